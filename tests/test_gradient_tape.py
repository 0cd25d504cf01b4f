"""tf.GradientTape (engine/tape.py) and optimizer.apply_gradients: a training loop of your
own, TensorFlow's way. Every gradient is checked against finite differences in float64,
one Adam step against fit's, and (where TensorFlow is installed) against TensorFlow's tape."""

import warnings

import numpy as np
import pytest

import glassnet as tf
from glassnet import layers
from glassnet.gradcheck import numerical_gradient

RNG = np.random.default_rng(0)


def mlp(inputs, hidden, outputs, seed=0, **options):
    return tf.keras.Sequential([layers.Input((inputs,)), layers.Dense(hidden, activation="tanh", dtype="float64", **options),
                                layers.Dense(outputs, dtype="float64")], seed=seed)


def finite_differences(loss, weight):
    """d loss() / d weight, one entry at a time (glassnet.gradcheck's central differences)."""
    return np.reshape(numerical_gradient(lambda: float(loss()), weight), weight.shape)


def assert_gradients(grads, weights, loss):
    assert len(grads) == len(weights)
    for grad, weight in zip(grads, weights):
        np.testing.assert_allclose(np.asarray(grad), finite_differences(loss, weight), rtol=1e-6, atol=1e-8)


def test_the_gradient_of_a_models_loss_is_the_finite_differences():
    model = mlp(4, 6, 3)
    x, y = RNG.standard_normal((8, 4)), RNG.integers(0, 3, 8)
    loss_object = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def loss():
        return loss_object(y, model(x, training=True))

    with tf.GradientTape() as tape:
        value = loss()
    assert_gradients(tape.gradient(value, model.trainable_variables), model.trainable_variables, loss)


def test_a_gans_two_tapes_and_a_discriminator_called_twice():
    """TensorFlow's DCGAN tutorial: both tapes open together, the discriminator called on
    real and on generated images; each tape's gradient is its own loss's."""
    generator, discriminator = mlp(3, 5, 4, seed=1), mlp(4, 6, 1, seed=2)
    bce = tf.keras.losses.BinaryCrossentropy(from_logits=True)
    noise, images = RNG.standard_normal((8, 3)), RNG.standard_normal((8, 4))

    def losses():
        real = discriminator(images, training=True)
        fake = discriminator(generator(noise, training=True), training=True)
        return bce(np.ones_like(fake), fake), bce(np.ones_like(real), real) + bce(np.zeros_like(fake), fake)

    with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
        gen_loss, disc_loss = losses()
    assert_gradients(gen_tape.gradient(gen_loss, generator.trainable_variables), generator.trainable_variables,
                     lambda: losses()[0])
    assert_gradients(disc_tape.gradient(disc_loss, discriminator.trainable_variables),
                     discriminator.trainable_variables, lambda: losses()[1])


def test_a_call_between_the_tape_and_its_gradient_changes_nothing():
    """The model run again (a test batch) before tape.gradient(): the tape's calls ran on
    twins of the model, whose inputs stay the tape's."""
    model = mlp(4, 6, 2)
    x, y = RNG.standard_normal((8, 4)), RNG.standard_normal((8, 2))
    mse = tf.keras.losses.MeanSquaredError()
    with tf.GradientTape() as tape:
        value = mse(y, model(x, training=True))
    model(RNG.standard_normal((5, 4)))
    assert_gradients(tape.gradient(value, model.trainable_variables), model.trainable_variables,
                     lambda: mse(y, model(x)))


def test_a_watched_input_gets_its_gradient():
    """The adversarial-example (FGSM) tutorial: the gradient of the loss with respect to the
    picture itself."""
    model = mlp(4, 6, 3)
    x, y = RNG.standard_normal((2, 4)), np.array([0, 2])
    loss_object = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = loss_object(y, model(x))
    grad = tape.gradient(value, x)
    np.testing.assert_allclose(np.asarray(grad), finite_differences(lambda: loss_object(y, model(x)), x),
                               rtol=1e-6, atol=1e-8)


def test_math_on_the_outputs_is_recorded_too():
    model = mlp(3, 4, 2)
    x = RNG.standard_normal((5, 3))

    def loss():
        out = model(x, training=True)
        return tf.reduce_mean(tf.square(out)) + 0.5 * tf.reduce_sum(out[:, :1])

    with tf.GradientTape() as tape:
        value = loss()
    assert_gradients(tape.gradient(value, model.trainable_variables), model.trainable_variables, loss)


def test_apply_gradients_is_the_same_adam_step_as_fit():
    x, y = RNG.standard_normal((16, 4)).astype(np.float32), RNG.integers(0, 3, 16)
    fitted = tf.keras.Sequential([layers.Input((4,)), layers.Dense(5, activation="relu"), layers.Dense(3)], seed=3)
    looped = tf.keras.Sequential([layers.Input((4,)), layers.Dense(5, activation="relu"), layers.Dense(3)], seed=3)
    loss_object = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    fitted.compile(optimizer=tf.keras.optimizers.Adam(0.01), loss=loss_object)
    optimizer = tf.keras.optimizers.Adam(0.01)
    for _ in range(3):
        fitted.train_on_batch(x, y)
        with tf.GradientTape() as tape:
            value = loss_object(y, looped(x, training=True))
        grads = tape.gradient(value, looped.trainable_variables)
        optimizer.apply_gradients(zip(grads, looped.trainable_variables))
    assert int(optimizer.iterations) == 3
    for a, b in zip(fitted.get_weights(), looped.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_the_quickstart_for_experts_loop_learns():
    """TensorFlow's "quickstart for experts": a subclassed model, @tf.function, the tape,
    apply_gradients and Mean / SparseCategoricalAccuracy metrics called as functions."""
    class MyModel(tf.keras.Model):
        def __init__(self):
            super().__init__()
            self.d1 = layers.Dense(16, activation="relu")
            self.d2 = layers.Dense(2)

        def call(self, x):
            return self.d2(self.d1(x))

    x = RNG.standard_normal((256, 2)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] > 0).astype(int)
    model, optimizer = MyModel(), tf.keras.optimizers.Adam(0.02)
    loss_object = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    train_loss, train_accuracy = tf.keras.metrics.Mean(), tf.keras.metrics.SparseCategoricalAccuracy()

    @tf.function
    def train_step(images, labels):
        with tf.GradientTape() as tape:
            predictions = model(images, training=True)
            loss = loss_object(labels, predictions)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        train_loss(loss)
        train_accuracy(labels, predictions)

    for epoch in range(30):
        train_loss.reset_state()
        train_accuracy.reset_state()
        for start in range(0, 256, 32):
            train_step(x[start:start + 32], y[start:start + 32])
        if epoch == 0:
            first = float(train_loss.result())
    assert float(train_loss.result()) < first / 3 and float(train_accuracy.result()) > 0.9


def test_what_the_tape_refuses_and_allows():
    model = mlp(3, 4, 1)
    x = RNG.standard_normal((4, 3))
    other = mlp(3, 4, 1, seed=5)
    with tf.GradientTape() as tape:
        value = tf.reduce_sum(model(x))
    grads = tape.gradient(value, model.trainable_variables + other.trainable_variables)
    assert all(g is not None for g in grads[:4]) and grads[4:] == [None] * 4       # other: not on the tape
    with pytest.raises(RuntimeError, match="non-persistent GradientTape"):
        tape.gradient(value, model.trainable_variables)
    with tf.GradientTape(persistent=True) as tape:
        value = tf.reduce_sum(model(x))
    first = tape.gradient(value, {"w": model.trainable_variables[0]})
    again = tape.gradient(value, {"w": model.trainable_variables[0]})
    np.testing.assert_array_equal(first["w"], again["w"])
    zeros = tape.gradient(value, other.trainable_variables, unconnected_gradients="zero")
    assert all(not np.asarray(g).any() for g in zeros)
    with tf.GradientTape() as tape:
        with tape.stop_recording():
            unrecorded = model(x)
    assert tape.gradient(tf.reduce_sum(unrecorded), model.trainable_variables) == [None] * 4
    optimizer = tf.keras.optimizers.SGD(0.1)
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        optimizer.apply_gradients(zip([None] * 4, model.trainable_variables))
    with pytest.raises(ValueError, match="shape"):
        optimizer.apply_gradients([(np.ones(7), model.trainable_variables[0])])


def test_weight_and_activity_penalties_count_when_the_loss_reads_model_losses():
    """As in Keras's own loops: a loss without sum(model.losses) has no penalty in its
    gradient, one with it has the penalties' too (and fit's step still counts them)."""
    model = tf.keras.Sequential([layers.Input((3,)), layers.Dense(4, activation="tanh", dtype="float64",
                                                                  kernel_regularizer="l2", activity_regularizer="l1"),
                                 layers.Dense(1, dtype="float64")], seed=6)
    x = RNG.standard_normal((4, 3))

    def data_loss():
        return tf.reduce_sum(model(x, training=True))

    def whole_loss():
        value = data_loss()
        return value + sum(model.losses)

    for loss in (data_loss, whole_loss):
        with tf.GradientTape() as tape:
            value = loss()
        assert_gradients(tape.gradient(value, model.trainable_variables), model.trainable_variables, loss)


def test_tf_function_is_the_function_itself():
    def f(x):
        return x + 1

    assert tf.function(f) is f and tf.function(jit_compile=True)(f) is f
    assert float(tf.keras.metrics.Mean()(np.array([1.0, 3.0]))) == 2.0


def test_the_same_gradients_as_tensorflows_tape():
    keras = pytest.importorskip("keras")
    tensorflow = pytest.importorskip("tensorflow")
    if keras.backend.backend() != "tensorflow":
        pytest.skip("Keras runs on another backend")
    x, y = RNG.standard_normal((6, 4)).astype(np.float32), np.array([0, 1, 2, 1, 0, 2])
    ours = tf.keras.Sequential([layers.Input((4,)), layers.Dense(5, activation="relu"), layers.Dropout(0.0),
                                layers.Dense(3, activation="softmax")], seed=0)
    theirs = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, activation="relu"), keras.layers.Dropout(0.0),
                               keras.layers.Dense(3, activation="softmax")])
    theirs.set_weights(ours.get_weights())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with tensorflow.GradientTape() as tape:
            loss = keras.losses.SparseCategoricalCrossentropy()(y, theirs(x, training=True))
        expected = tape.gradient(loss, theirs.trainable_variables)
    with tf.GradientTape() as tape:
        value = tf.keras.losses.SparseCategoricalCrossentropy()(y, ours(x, training=True))
    for got, want in zip(tape.gradient(value, ours.trainable_variables), expected):
        np.testing.assert_allclose(np.asarray(got), want.numpy(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(float(value), float(loss), rtol=1e-6)


def test_a_compiled_models_fused_softmax_is_differentiated_in_a_tape():
    """compile() fuses a final softmax with its cross-entropy (dL/dlogits passes straight
    through it in fit); a tape's loss of its own gets the softmax's real gradient, and fit
    stays fused afterwards."""
    model = tf.keras.Sequential([layers.Input((4,)), layers.Dense(5, activation="tanh", dtype="float64"),
                                 layers.Dense(3, activation="softmax", dtype="float64")], seed=4)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x, targets = RNG.standard_normal((6, 4)), np.eye(3)[[0, 1, 2, 0, 1, 2]]
    mse = tf.keras.losses.MeanSquaredError()
    with tf.GradientTape() as tape:
        value = mse(targets, model(x, training=True))
    assert_gradients(tape.gradient(value, model.trainable_variables), model.trainable_variables,
                     lambda: mse(targets, model(x)))
    assert model.layers[-1].activation.fused_with_loss


class CustomModel(tf.keras.Model):
    """keras.io's "Customizing what happens in fit()", as written for Keras 3."""

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def test_a_train_step_of_your_own_trains_as_fit_does():
    """The same weights, data and order: the custom train_step and test_step give fit's and
    evaluate's numbers (the batches all of one size, so the unweighted mean is fit's)."""
    x, y = RNG.random((256, 8)).astype(np.float32), RNG.random((256, 1)).astype(np.float32)
    histories, results = [], []
    for cls in (CustomModel, tf.keras.Model):
        inputs = tf.keras.Input(shape=(8,))
        hidden = layers.Dense(4, activation="relu", kernel_regularizer="l2")(inputs)
        model = cls(inputs, layers.Dense(1)(hidden))
        same = np.random.default_rng(7)             # the same starting weights for both
        model.set_weights([0.3 * same.standard_normal(w.shape).astype(np.float32) for w in model.get_weights()])
        model.compile(optimizer="adam", loss="mse", metrics=["mae"])
        with warnings.catch_warnings():
            warnings.simplefilter("error")          # no penalty warning: compute_loss counts them
            histories.append(model.fit(x, y, epochs=3, batch_size=32, shuffle=False, verbose=0).history)
        results.append(model.evaluate(x, y, batch_size=32, verbose=0))
    assert list(histories[0]) == ["loss", "mae"]
    for key in histories[1]:
        np.testing.assert_allclose(histories[0][key], histories[1][key], rtol=1e-5)
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5)


def test_a_train_step_must_return_its_logs():
    class Silent(tf.keras.Model):
        def train_step(self, data):
            return None

    inputs = tf.keras.Input(shape=(2,))
    model = Silent(inputs, layers.Dense(1)(inputs))
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(TypeError, match="train_step\\(\\) must return a dict of logs"):
        model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0)


def test_a_variable_in_plain_math_is_refused_not_given_no_gradient():
    """TensorFlow's "Introduction to gradients" differentiates x @ w on a tf.Variable; glassnet's
    tape records layers, so it says so instead of answering None."""
    w = tf.Variable(RNG.standard_normal((3, 2)), name="w")
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(np.ones((1, 3)) @ w)
    with pytest.raises(NotImplementedError, match="Variable 'w' is not a weight of a layer.*add_weight"):
        tape.gradient(loss, [w])


def test_optimizer_apply_is_apply_gradients_with_two_lists():
    """Keras 3's ``optimizer.apply(grads, model.trainable_weights)`` (keras.io's "Writing a
    training loop from scratch"): the same step as apply_gradients; later calls may leave
    the weights out (the ones of the first call are moved)."""
    x, y = RNG.standard_normal((16, 4)), RNG.integers(0, 3, 16)
    loss_object = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    models = [mlp(4, 5, 3, seed=4), mlp(4, 5, 3, seed=4)]
    optimizers = [tf.keras.optimizers.Adam(0.01), tf.keras.optimizers.Adam(0.01)]
    for step in range(3):
        for model, optimizer, how in zip(models, optimizers, ("apply", "apply_gradients")):
            with tf.GradientTape() as tape:
                value = loss_object(y, model(x, training=True))
            grads = tape.gradient(value, model.trainable_weights)
            if how == "apply_gradients":
                optimizer.apply_gradients(zip(grads, model.trainable_weights))
            else:
                optimizer.apply(grads, model.trainable_weights if step == 0 else None)
    assert int(optimizers[0].iterations) == 3
    for a, b in zip(models[0].get_weights(), models[1].get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="apply\\(grads, variables\\) first"):
        tf.keras.optimizers.Adam().apply(grads)


def test_add_loss_in_a_tape_is_in_model_losses_and_in_the_gradient():
    """keras.io's ActivityRegularizationLayer (``self.add_loss(1e-2 * tf.reduce_sum(inputs))``)
    in a model called in a tape: ``model.losses`` holds this call's term (it read 0 from the
    layer's first, shape-finding call), and ``loss + sum(model.losses)`` has the gradient of
    both, a loss without them only its own, as in Keras (finite differences)."""
    class ActivityRegularizationLayer(layers.Layer):
        def call(self, inputs):
            self.add_loss(1e-2 * tf.reduce_sum(inputs))
            return inputs

    inputs = layers.Input((3,))
    hidden = ActivityRegularizationLayer(dtype="float64")(layers.Dense(4, activation="tanh", dtype="float64")(inputs))
    model = tf.keras.Model(inputs, layers.Dense(2, dtype="float64")(hidden))
    x = RNG.standard_normal((5, 3))

    def loss():
        out = model(x, training=True)
        return tf.reduce_mean(tf.square(out)) + sum(model.losses)

    def data_loss():
        return tf.reduce_mean(tf.square(model(x, training=True)))

    with tf.GradientTape() as tape:              # a loss without model.losses: no gradient from them
        value = data_loss()
    assert_gradients(tape.gradient(value, model.trainable_variables), model.trainable_variables, data_loss)
    with tf.GradientTape() as tape:
        value = loss()
    hidden_out = np.tanh(x @ model.layers[1].get_weights()[0] + model.layers[1].get_weights()[1])
    np.testing.assert_allclose(float(sum(model.losses)), 1e-2 * hidden_out.sum(), rtol=1e-9)
    assert_gradients(tape.gradient(value, model.trainable_variables), model.trainable_variables, loss)


def test_a_model_with_three_outputs_and_binary_crossentropy_as_a_function():
    """keras.io's VAE train_step: an encoder with three outputs (``z_mean, z_log_var, z``),
    a decoder on ``z``, ``keras.losses.binary_crossentropy`` called as a function on the
    recorded reconstruction, and the KL term on two of the outputs: every weight's gradient
    is the finite differences (float64)."""
    class Shift(layers.Layer):          # the VAE's Sampling with a fixed epsilon
        def call(self, inputs):
            z_mean, z_log_var = inputs
            return z_mean + tf.keras.ops.exp(0.5 * z_log_var) * 0.3

    ops = tf.keras.ops
    inputs = layers.Input((2, 3))
    flat = layers.Flatten()(inputs)
    z_mean = layers.Dense(2, dtype="float64")(flat)
    z_log_var = layers.Dense(2, dtype="float64")(flat)
    encoder = tf.keras.Model(inputs, [z_mean, z_log_var, Shift(dtype="float64")([z_mean, z_log_var])])
    latent = layers.Input((2,))
    decoded = layers.Reshape((2, 3))(layers.Dense(6, activation="sigmoid", dtype="float64")(latent))
    decoder = tf.keras.Model(latent, decoded)
    data = RNG.uniform(0.05, 0.95, (4, 2, 3))
    weights = encoder.trainable_weights + decoder.trainable_weights

    def loss():
        z_mean, z_log_var, z = encoder(data)
        reconstruction = decoder(z)
        reconstruction_loss = ops.mean(ops.sum(tf.keras.losses.binary_crossentropy(data, reconstruction), axis=1))
        kl_loss = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
        return reconstruction_loss + ops.mean(ops.sum(kl_loss, axis=1))

    with tf.GradientTape() as tape:
        value = loss()
    assert len(weights) == 6
    assert_gradients(tape.gradient(value, weights), weights, loss)


def test_a_model_that_is_only_a_train_step():
    """keras.io's VAE has no call(): fit runs its train_step with ``data = x`` (fit(x), no
    labels), which trains the models it holds; the model itself is never called (Keras's
    error), and its summary and weights are those of the models it holds."""
    class Steps(tf.keras.Model):
        def __init__(self, encoder, **kwargs):
            super().__init__(**kwargs)
            self.encoder = encoder
            self.seen = []

        def train_step(self, data):
            self.seen.append(type(data))
            with tf.GradientTape() as tape:
                a, b = self.encoder(data)
                loss = tf.reduce_mean(tf.square(a - 1.0)) + tf.reduce_mean(tf.square(b))
            grads = tape.gradient(loss, self.trainable_weights)
            self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
            return {"loss": loss}

    inputs = tf.keras.Input(shape=(3,))
    encoder = tf.keras.Model(inputs, [layers.Dense(2)(inputs), layers.Dense(2)(inputs)])
    model = Steps(encoder)
    model.compile(optimizer=tf.keras.optimizers.Adam(0.05))
    history = model.fit(RNG.random((64, 3)).astype(np.float32), epochs=5, batch_size=16, verbose=0)
    assert all(issubclass(t, np.ndarray) for t in model.seen)      # x itself, not (x, y)
    assert history.history["loss"][-1] < history.history["loss"][0] / 2
    assert int(model.optimizer.iterations) == 20 and len(model.trainable_weights) == 4
    assert [layer.name for layer in model.layers] == [encoder.name]
    with pytest.raises(NotImplementedError, match="does not have a `call\\(\\)` method"):
        model.predict(np.ones((2, 3)))


def test_a_recorded_loss_formats_as_a_number():
    """keras.io's GAN loop prints ``f"{d_loss:.2f}"`` of the loss its tape recorded."""
    model = mlp(3, 4, 1)
    with tf.GradientTape():
        loss = tf.reduce_mean(tf.square(model(RNG.standard_normal((5, 3)), training=True)))
    assert f"{loss:.2f}" == f"{float(loss):.2f}" and f"{loss}" == str(float(loss))


def test_the_gradient_with_respect_to_an_intermediate_result():
    """``h = encoder(x); tape.gradient(loss, h)``: TensorFlow's answer is dL/dh, summed over
    every use of ``h`` (here two), not None as for a tensor the loss never saw."""
    encoder, head = mlp(3, 4, 2, seed=1), mlp(2, 5, 1, seed=2)
    x = RNG.standard_normal((5, 3))

    def loss_of(h):
        return tf.reduce_sum(head(h) ** 2) + tf.reduce_sum(h * h)

    with tf.GradientTape() as tape:
        h = encoder(x)
        value = loss_of(h)
    grad = tape.gradient(value, h)
    h_array = np.array(h)
    np.testing.assert_allclose(np.asarray(grad), finite_differences(lambda: loss_of(h_array), h_array),
                               rtol=1e-6, atol=1e-8)


def grad_cam_models(dtype="float64"):
    """A small convnet and Grad-CAM's grad_model: its last conv layer's output and its
    predictions, two outputs of different shapes, the first feeding the second."""
    inputs = layers.Input((5, 5, 2))
    conv = layers.Conv2D(3, 2, activation="tanh", name="last_conv", dtype=dtype)(inputs)
    hidden = layers.Dense(4, activation="tanh", dtype=dtype)(layers.Flatten(dtype=dtype)(conv))
    model = tf.keras.Model(inputs, layers.Dense(3, dtype=dtype)(hidden), seed=3)
    return model, tf.keras.Model(model.inputs, [model.get_layer("last_conv").output, model.output])


def test_grad_cam_the_gradient_of_a_score_with_respect_to_an_inner_output():
    """keras.io's Grad-CAM: ``tape.gradient(preds[:, k], last_conv_layer_output)`` goes
    through the rest of the model (the path from the conv output to the predictions)."""
    model, grad_model = grad_cam_models()
    x = RNG.standard_normal((2, 5, 5, 2))
    with tf.GradientTape() as tape:
        conv_output, preds = grad_model(x)
        class_channel = preds[:, 1]
    grads = tape.gradient(class_channel, conv_output)
    assert grads.shape == conv_output.shape == (2, 4, 4, 3)
    np.testing.assert_allclose(np.asarray(preds), model.predict(x, verbose=0), rtol=1e-12)
    tail = model.layers[2:]                            # Flatten, Dense, Dense: after the conv layer
    conv_array = np.array(conv_output).copy()         # C order: finite differences write into it

    def score():
        y = conv_array
        for layer in tail:
            y = layer(y)
        return float(np.sum(np.asarray(y)[:, 1]))
    np.testing.assert_allclose(np.asarray(grads), finite_differences(score, conv_array), rtol=1e-6, atol=1e-8)
    with tf.GradientTape() as tape:                   # and the weights' gradients, both outputs in the loss
        conv_output, preds = grad_model(x)
        value = tf.reduce_sum(preds[:, 0]) + tf.reduce_sum(conv_output ** 2)
    weights = model.trainable_weights

    def loss():
        conv_output, preds = grad_model(x)
        return tf.reduce_sum(np.asarray(preds)[:, 0]) + tf.reduce_sum(np.asarray(conv_output) ** 2)
    assert_gradients(tape.gradient(value, weights), weights, loss)


def test_grad_cam_gives_tensorflows_gradient():
    keras = pytest.importorskip("keras")
    tensorflow = pytest.importorskip("tensorflow")
    if keras.backend.backend() != "tensorflow":
        pytest.skip("Keras runs on another backend")
    model, grad_model = grad_cam_models(dtype="float32")
    inputs = keras.Input((5, 5, 2))
    conv = keras.layers.Conv2D(3, 2, activation="tanh", name="last_conv")(inputs)
    hidden = keras.layers.Dense(4, activation="tanh")(keras.layers.Flatten()(conv))
    theirs = keras.Model(inputs, keras.layers.Dense(3)(hidden))
    theirs.set_weights(model.get_weights())
    their_grad_model = keras.Model(theirs.inputs, [theirs.get_layer("last_conv").output, theirs.output])
    x = RNG.standard_normal((2, 5, 5, 2)).astype(np.float32)
    with tensorflow.GradientTape() as tape:
        conv_output, preds = their_grad_model(x)
        class_channel = preds[:, 2]
    expected = tape.gradient(class_channel, conv_output).numpy()
    with tf.GradientTape() as tape:
        conv_output, preds = grad_model(x)
        class_channel = preds[:, 2]
    np.testing.assert_allclose(np.asarray(tape.gradient(class_channel, conv_output)), expected, rtol=1e-4, atol=1e-6)


def wgan_gp_losses(critic, real, fake, alpha):
    """keras.io's WGAN-GP critic loss: the Wasserstein estimate plus the gradient penalty, the
    critic's gradient at points between real and fake images, taken by a tape inside the tape."""
    with tf.GradientTape() as tape:
        d_cost = tf.reduce_mean(critic(fake, training=True)) - tf.reduce_mean(critic(real, training=True))
        interpolated = real + alpha * (fake - real)
        with tf.GradientTape() as gp_tape:
            gp_tape.watch(interpolated)
            pred = critic(interpolated, training=True)
        grads = gp_tape.gradient(pred, [interpolated])[0]
        norm = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1]))
        gp = tf.reduce_mean((norm - 1.0) ** 2)
        d_loss = d_cost + gp * 10.0
    return tape, d_cost, d_loss, grads


def test_a_gradient_penalty_needs_second_derivatives_and_glassnet_says_so():
    """The penalty's gradient with respect to the weights is a gradient of a gradient: never
    silently left out (the penalty taken as a constant), but refused in one line."""
    critic = mlp(4, 5, 1)
    real, fake, alpha = RNG.standard_normal((6, 4)), RNG.standard_normal((6, 4)), RNG.uniform(size=(6, 1))
    tape, _, d_loss, grads = wgan_gp_losses(critic, real, fake, alpha)
    with pytest.raises(NotImplementedError, match="needs second derivatives, which glassnet's tape does not compute"):
        tape.gradient(d_loss, critic.trainable_variables)
    # the inner gradient itself is right: the critic's input gradient at the interpolated points
    interpolated = real + alpha * (fake - real)
    point = interpolated.copy()
    expected = [finite_differences(lambda i=i: np.sum(np.asarray(critic(point))[i]), point)[i] for i in range(6)]
    np.testing.assert_allclose(np.asarray(grads), expected, rtol=1e-6, atol=1e-8)


def test_a_gradient_taken_inside_a_tape_but_not_differentiated_again_is_fine():
    critic = mlp(4, 5, 1)
    real, fake, alpha = RNG.standard_normal((6, 4)), RNG.standard_normal((6, 4)), RNG.uniform(size=(6, 1))
    tape, d_cost, _, _ = wgan_gp_losses(critic, real, fake, alpha)
    weights = critic.trainable_variables
    assert_gradients(tape.gradient(d_cost, weights), weights,
                     lambda: tf.reduce_mean(critic(fake)) - tf.reduce_mean(critic(real)))


def test_np_array_of_a_recorded_output_is_a_copy():
    """``np.array(predictions)`` copies, in NumPy as in TensorFlow: writing into the copy
    left the recorded output changed, and the gradient computed from it silently wrong."""
    model = mlp(3, 4, 2)
    x = RNG.standard_normal((5, 3))
    with tf.GradientTape() as tape:
        y = model(x)
        value = tf.reduce_sum(y * y)
    copy = np.array(y)
    expected = 2 * copy.sum(axis=0)                  # d value / d (last bias)
    copy[:] = 0
    assert np.asarray(y).any()
    np.testing.assert_allclose(np.asarray(tape.gradient(value, model.trainable_variables)[-1]), expected)
