"""A model of your own holds every layer it sets as an attribute, as Keras 3 tracks them: their
weights are the model's (in the order set), and fit trains those the loss depends on, even a
layer its call() never runs (keras.io's Distiller's teacher). See glassnet.engine.held_weights."""

import warnings

import numpy as np
import pytest

import glassnet as keras
from glassnet import layers


def distiller_class(kit):
    """keras.io's knowledge distillation, written against ``kit`` (glassnet or Keras 3): call()
    is the student's; compute_loss also runs the teacher."""

    class Distiller(kit.Model):
        def __init__(self, student, teacher):
            super().__init__()
            self.teacher = teacher
            self.student = student

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, allow_empty=False):
            teacher_pred = self.teacher(x, training=False)
            student_loss = kit.losses.SparseCategoricalCrossentropy(from_logits=True)(y, y_pred)
            distillation_loss = kit.losses.KLDivergence()(kit.ops.softmax(teacher_pred / 4.0, axis=1),
                                                          kit.ops.softmax(y_pred / 4.0, axis=1)) * 16.0
            return 0.1 * student_loss + 0.9 * distillation_loss

        def call(self, x):
            return self.student(x)
    return Distiller


Distiller = distiller_class(keras)


def data(n=32):
    rng = np.random.default_rng(0)
    return rng.random((n, 6, 6), dtype=np.float32), rng.integers(0, 10, n)


def small(api, name, seed):
    """A Flatten + Dense(10) with weights drawn from ``seed`` (the same on glassnet and Keras)."""
    model = api.Sequential([api.Input((6, 6)), api.layers.Flatten(), api.layers.Dense(10)], name=name)
    model.set_weights([np.random.default_rng(seed).normal(size=w.shape).astype("float32") * 0.3
                       for w in model.get_weights()])
    return model


def one_epoch(api, distiller_class, lr=0.1):
    """The Distiller trained one full batch with SGD: (teacher, student, the distiller, its weights before)."""
    x, y = data()
    teacher, student = small(api, "teacher", 1), small(api, "student", 2)
    model = distiller_class(student, teacher)
    model.compile(optimizer=api.optimizers.SGD(lr))
    before = [w.copy() for w in teacher.get_weights()]
    model.fit(x, y, epochs=1, batch_size=len(x), shuffle=False, verbose=0)
    return teacher, student, model, before


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_the_distillers_teacher_moves_by_the_gradient_of_the_distillation_loss():
    """Worked by hand: L = 0.1 CE + 0.9 * 16 * mean KL(p || q), p = softmax(t / 4), t = X W + b.
    dL/dp = 14.4 (log(p / q) + 1) / N; dL/dt = p (dL/dp - sum(p dL/dp)) / 4; dW = X^T dL/dt."""
    x, _ = data()
    teacher, student, _, (w0, b0) = one_epoch(keras, Distiller)
    flat = x.reshape(len(x), -1).astype(np.float64)
    p = softmax((flat @ w0 + b0) / 4)
    s0 = [np.random.default_rng(2).normal(size=w.shape) * 0.3 for w in student.get_weights()]
    q = softmax((flat @ s0[0].astype(np.float32) + s0[1].astype(np.float32)) / 4)
    d_p = 14.4 * (np.log(p / q) + 1) / len(x)
    d_t = p * (d_p - (p * d_p).sum(axis=1, keepdims=True)) / 4
    w1, b1 = teacher.get_weights()
    assert np.abs(w1 - w0).max() > 1e-3                           # it moved
    np.testing.assert_allclose(w1 - w0, -0.1 * flat.T @ d_t, atol=2e-6)
    np.testing.assert_allclose(b1 - b0, -0.1 * d_t.sum(axis=0), atol=2e-6)


def test_the_distiller_trains_and_lists_its_weights_as_keras_does():
    keras3 = pytest.importorskip("keras")

    ours, theirs = one_epoch(keras, Distiller), one_epoch(keras3, distiller_class(keras3))
    for mine, reference in zip(ours[:2], theirs[:2]):              # the teacher, then the student
        for a, b in zip(mine.get_weights(), reference.get_weights()):
            np.testing.assert_allclose(a, b, atol=1e-6)
    assert [w.shape for w in ours[2].weights] == [tuple(w.shape) for w in theirs[2].weights]
    assert ours[2].count_params() == theirs[2].count_params() == 740
    assert len(ours[2].trainable_weights) == len(theirs[2].trainable_weights) == 4


def test_a_frozen_teacher_stays_and_the_model_counts_its_weights_as_not_trainable():
    x, y = data()
    teacher, student = small(keras, "teacher", 1), small(keras, "student", 2)
    teacher.trainable = False
    model = Distiller(student, teacher)
    model.compile(optimizer="sgd")
    before = teacher.get_weights()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, teacher.get_weights()))
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    model.trainable = False                  # as in Keras: every layer it holds
    assert student.trainable is False and model.trainable_weights == []


class Holder(keras.Model):
    """Layers held one by one, in a list and in a dict, one twice, one frozen, one never built."""

    def __init__(self):
        super().__init__()
        self.d2 = layers.Dense(3, name="d2")
        self.d1 = layers.Dense(4, name="d1")
        self.extra = [layers.Dense(5, name="l0"), layers.BatchNormalization(name="bn")]
        self.by_name = {"z": layers.Dense(6, name="dz"), "a": layers.Dense(7, name="da")}
        self.d2_again = self.d2
        self.frozen = layers.Dense(2, name="frozen", trainable=False)
        self.unbuilt = layers.Dense(9, name="unbuilt")

    def call(self, x):
        return self.d2(self.d1(x))


def held_model():
    model = Holder()
    x = np.random.default_rng(0).random((16, 8), dtype=np.float32)
    model(x[:1])
    for layer in (*model.extra, *model.by_name.values(), model.frozen):
        layer.build((None, 8))
    return model, x


# What Keras 3.15 lists for Holder (checked on it): attribute order, each layer once.
HOLDER_WEIGHTS = ["d2/kernel", "d2/bias", "d1/kernel", "d1/bias", "l0/kernel", "l0/bias", "bn/gamma", "bn/beta",
                  "bn/moving_mean", "bn/moving_variance", "dz/kernel", "dz/bias", "da/kernel", "da/bias",
                  "frozen/kernel", "frozen/bias"]


def test_a_model_lists_the_weights_of_every_layer_it_holds_in_the_order_set():
    model, _ = held_model()
    assert [w.path for w in model.weights] == HOLDER_WEIGHTS
    assert [w.path for w in model.trainable_weights] == [p for p in HOLDER_WEIGHTS if "moving" not in p
                                                         and not p.startswith("frozen")]
    assert model.count_params() == 263 and len(model.get_weights()) == 16
    model.set_weights([np.full(w.shape, i, np.float32) for i, w in enumerate(model.get_weights())])
    assert float(model.by_name["a"].kernel.numpy()[0, 0]) == 12


def test_fit_leaves_the_layers_the_loss_doesnt_depend_on_and_warns_as_keras_does():
    model, x = held_model()
    model.compile(optimizer=keras.optimizers.AdamW(0.1, weight_decay=0.5), loss="mse")
    before = model.get_weights()
    with pytest.warns(UserWarning, match=r"Gradients do not exist for variables \['l0/kernel', 'l0/bias', "
                                         r"'bn/gamma', 'bn/beta', 'dz/kernel', 'dz/bias', 'da/kernel', 'da/bias'\]"):
        model.fit(x, np.zeros((16, 3), np.float32), epochs=2, batch_size=8, verbose=0)
    moved = [not np.array_equal(a, b) for a, b in zip(before, model.get_weights())]
    assert moved == [True] * 4 + [False] * 12


def test_the_loss_gradient_with_respect_to_the_targets_is_exact():
    """gradient_true of each loss that has one, against central differences in float64."""
    rng = np.random.default_rng(1)
    probabilities = softmax(rng.normal(size=(4, 5)))
    cases = [(keras.losses.KLDivergence(), softmax(rng.normal(size=(4, 5))), probabilities),
             (keras.losses.CategoricalCrossentropy(label_smoothing=0.2), softmax(rng.normal(size=(4, 5))),
              probabilities),
             (keras.losses.CategoricalCrossentropy(from_logits=True), softmax(rng.normal(size=(4, 5))),
              rng.normal(size=(4, 5))),
             (keras.losses.BinaryCrossentropy(label_smoothing=0.1), rng.random((4, 3)), rng.random((4, 3))),
             (keras.losses.BinaryCrossentropy(from_logits=True), rng.random((4, 3)), rng.normal(size=(4, 3))),
             (keras.losses.MeanSquaredError(), rng.normal(size=(4, 3)), rng.normal(size=(4, 3))),
             (keras.losses.MeanAbsoluteError(), rng.normal(size=(4, 3)), rng.normal(size=(4, 3))),
             (keras.losses.Huber(0.5), rng.normal(size=(4, 3)), rng.normal(size=(4, 3))),
             *[(loss, y_true, y_pred) for loss, y_true, y_pred, _ in real_target_cases(rng)]]
    for loss, y_true, y_pred in cases:
        loss.forward(y_true, y_pred)
        exact = loss.gradient_true(loss.dvalues)
        numerical = np.zeros_like(y_true)
        for index in np.ndindex(y_true.shape):
            up, down = y_true.copy(), y_true.copy()
            up[index] += 1e-6
            down[index] -= 1e-6
            numerical[index] = (loss.forward(up, y_pred) - loss.forward(down, y_pred)) / 2e-6
        np.testing.assert_allclose(exact, numerical, rtol=1e-5, atol=1e-8, err_msg=type(loss).__name__)


def real_target_cases(rng):
    """(glassnet loss, y_true, y_pred, Keras 3's class name and arguments) for the losses whose
    y_true is a real number, away from their kinks and clips (float64)."""
    positive = rng.uniform(0.2, 2.0, (4, 3))
    return [(keras.losses.CosineSimilarity(), rng.normal(size=(4, 5)), rng.normal(size=(4, 5)), ("CosineSimilarity", {})),
            (keras.losses.CosineSimilarity(reduction="sum"), rng.normal(size=(4, 5)), rng.normal(size=(4, 5)),
             ("CosineSimilarity", {"reduction": "sum"})),
            (keras.losses.LogCosh(), rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), ("LogCosh", {})),
            (keras.losses.Poisson(), rng.uniform(0, 3, (4, 3)), positive, ("Poisson", {})),
            (keras.losses.MeanSquaredLogarithmicError(), rng.uniform(0.1, 3, (4, 3)), positive,
             ("MeanSquaredLogarithmicError", {})),
            (keras.losses.MeanAbsolutePercentageError(), rng.choice([-1, 1], (4, 3)) * rng.uniform(0.5, 2, (4, 3)),
             rng.normal(size=(4, 3)) * 3, ("MeanAbsolutePercentageError", {})),
            (keras.losses.Hinge(), rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), ("Hinge", {})),
            (keras.losses.SquaredHinge(), rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), ("SquaredHinge", {})),
            (keras.losses.CategoricalHinge(), softmax(rng.normal(size=(4, 5))), rng.normal(size=(4, 5)),
             ("CategoricalHinge", {})),
            (keras.losses.Dice(), rng.random((4, 5)), rng.random((4, 5)), ("Dice", {})),
            (keras.losses.Dice(axis=-1), rng.random((4, 5)), rng.random((4, 5)), ("Dice", {"axis": -1})),
            (keras.losses.Tversky(alpha=0.3, beta=0.7), rng.random((4, 5)), rng.random((4, 5)),
             ("Tversky", {"alpha": 0.3, "beta": 0.7})),
            (keras.losses.BinaryFocalCrossentropy(apply_class_balancing=True, label_smoothing=0.1), rng.random((4, 3)),
             rng.uniform(0.05, 0.95, (4, 3)), ("BinaryFocalCrossentropy",
                                               {"apply_class_balancing": True, "label_smoothing": 0.1})),
            (keras.losses.BinaryFocalCrossentropy(from_logits=True, gamma=1.5), rng.random((4, 3)),
             rng.normal(size=(4, 3)), ("BinaryFocalCrossentropy", {"from_logits": True, "gamma": 1.5})),
            (keras.losses.CategoricalFocalCrossentropy(label_smoothing=0.2), softmax(rng.normal(size=(4, 5))),
             softmax(rng.normal(size=(4, 5))), ("CategoricalFocalCrossentropy", {"label_smoothing": 0.2})),
            (keras.losses.CategoricalFocalCrossentropy(from_logits=True), softmax(rng.normal(size=(4, 5))),
             rng.normal(size=(4, 5)), ("CategoricalFocalCrossentropy", {"from_logits": True}))]


def test_the_loss_gradient_with_respect_to_the_targets_is_tensorflows():
    """gradient_true against TensorFlow's tape, through Keras 3's own losses, w.r.t. y_true;
    hinge's 0/1 labels too (read as 2 y - 1, so the gradient doubles)."""
    tf = pytest.importorskip("tensorflow")
    keras3 = pytest.importorskip("keras")
    if keras3.backend.backend() != "tensorflow":
        pytest.skip("Keras 3 runs on another backend")
    rng = np.random.default_rng(2)
    cases = real_target_cases(rng)
    cases += [(keras.losses.Hinge(), rng.integers(0, 2, (4, 3)).astype(float), rng.normal(size=(4, 3)), ("Hinge", {})),
              (keras.losses.MeanSquaredLogarithmicError(), np.array([[0.0, 1.0, -0.5]]), np.array([[0.5, 0.2, 1.0]]),
               ("MeanSquaredLogarithmicError", {}))]            # y clipped at eps: no gradient there
    for loss, y_true, y_pred, (name, arguments) in cases:
        loss.forward(y_true, y_pred)
        exact = loss.gradient_true(loss.dvalues)
        target = tf.Variable(y_true)
        with tf.GradientTape() as tape:
            value = getattr(keras3.losses, name)(dtype="float64", **arguments)(target, tf.constant(y_pred))
        np.testing.assert_allclose(exact, tape.gradient(value, target).numpy(), rtol=1e-6, atol=1e-10, err_msg=name)


def test_a_recorded_target_trains_through_a_cosine_similarity():
    """SimSiam without stop_gradient: both branches are trained by -cos(a(x), b(x))."""
    x, _ = data(8)
    a, b = small(keras, "a", 1), small(keras, "b", 2)
    optimizer = keras.optimizers.SGD(0.1)
    before = [w.numpy().copy() for w in b.trainable_weights]
    with keras.GradientTape() as tape:
        loss = keras.losses.CosineSimilarity()(b(x), a(x))
    weights = a.trainable_weights + b.trainable_weights
    grads = tape.gradient(loss, weights)
    assert all(g is not None for g in grads)
    optimizer.apply_gradients(zip(grads, weights))
    assert all(not np.array_equal(w0, w.numpy()) for w0, w in zip(before, b.trainable_weights))


def test_a_loss_without_a_gradient_for_its_targets_says_so():
    """Class labels computed from a teacher: a loss whose y_true are labels has no gradient for them."""

    class Distance(Distiller):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, allow_empty=False):
            labels = keras.ops.cast(y, "float32") + 0 * keras.ops.sum(self.teacher(x), axis=-1)   # recorded
            return keras.losses.SparseCategoricalCrossentropy(from_logits=True)(labels, y_pred)

    x, y = data()
    model = Distance(small(keras, "student", 2), small(keras, "teacher", 1))
    model.compile(optimizer="sgd")
    with pytest.raises(Exception, match=r"loss 'sparse_categorical_crossentropy' \(SparseCategoricalCrossentropy\) "
                                        r"is differentiated with "
                                        r"respect to y_pred only"):
        model.fit(x, y, epochs=1, verbose=0)
    with keras.GradientTape(), pytest.raises(Exception, match=r"loss 'categorical_hinge' \(CategoricalHinge\) is "
                                                             r"differentiated with respect to y_pred only"):
        labels = keras.ops.cast(y[:4], "float32") + 0 * keras.ops.sum(model.teacher(x[:4]), axis=-1)
        keras.losses.CategoricalHinge()(labels, model.student(x[:4]))       # class numbers: one-hot rows


def test_summary_counts_the_teachers_weights():
    from glassnet.engine.summary import summary_table
    teacher, student = small(keras, "teacher", 1), small(keras, "student", 2)
    model = Distiller(student, teacher)
    model.build((None, 6, 6))
    text = summary_table(model)
    assert "Total params: 740" in text and "│ teacher (Sequential)            │ (None, 10)   " in text
    rows = summary_table(held_model()[0])
    assert "│ l0 (Dense)                      │ (None, 5)              │            45 │" in rows    # as Keras shows them
    assert "│ unbuilt (Dense)                 │ ?                      │   0 (unbuilt) │" in rows


def test_a_distillers_weights_file_is_laid_out_as_keras_lays_it_out(tmp_path):
    """Keras's .weights.h5 of a Distiller: each model it holds, and Adam's two slots for each of
    the teacher's weights too (it trains them); Keras loads glassnet's file without a warning."""
    keras3 = pytest.importorskip("keras")
    h5py = pytest.importorskip("h5py")

    class KerasDistiller(keras3.Model):
        def __init__(self, student, teacher):
            super().__init__()
            self.teacher = teacher
            self.student = student

        def call(self, x):
            return self.student(x)

    def listing(path):
        found = []
        with h5py.File(path) as h5:
            h5.visititems(lambda name, item: found.append((name, item.shape)) if hasattr(item, "shape") else None)
        return found

    x, y = data()
    ours = Distiller(small(keras, "student", 2), small(keras, "teacher", 1))
    ours.compile(optimizer="adam")
    ours.fit(x, y, epochs=1, verbose=0)
    ours.save_weights(tmp_path / "ours.weights.h5")
    theirs = KerasDistiller(small(keras3, "student", 3), small(keras3, "teacher", 4))
    theirs.compile(optimizer="adam", loss="mse")
    theirs.fit(x, np.zeros((len(x), 10), np.float32), epochs=1, verbose=0)
    theirs.save_weights(tmp_path / "theirs.weights.h5")
    assert listing(tmp_path / "ours.weights.h5") == listing(tmp_path / "theirs.weights.h5")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        theirs.load_weights(tmp_path / "ours.weights.h5")
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, b)
