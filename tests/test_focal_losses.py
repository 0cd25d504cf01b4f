"""The focal losses: Keras's documented values by hand, Keras 3 itself (values and, through
TensorFlow, gradients) where it is installed, their names in compile, and their configs in
.npz and .keras files (their gradients are checked by the gradient-check catalogue)."""

import os

import numpy as np
import pytest

import glassnet
from glassnet import layers, losses

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
RNG = np.random.default_rng(0)


def test_keras_documented_values():
    """The examples in Keras 3's docstrings."""
    y, p = np.array([[0, 1], [0, 0]], np.float32), np.array([[0.6, 0.4], [0.4, 0.6]], np.float32)
    np.testing.assert_allclose(losses.binary_focal_crossentropy(y, p, gamma=2), [0.330, 0.206], atol=1e-3)
    y, p = np.array([[0., 1., 0.], [0., 0., 1.]]), np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    assert losses.CategoricalFocalCrossentropy()(y, p) == pytest.approx(0.23315276, rel=1e-5)
    assert losses.CategoricalFocalCrossentropy()(y, p, sample_weight=np.array([0.3, 0.7])) == \
        pytest.approx(0.1632, abs=1e-4)
    np.testing.assert_allclose(losses.CategoricalFocalCrossentropy(reduction=None)(y, p),
                               [3.2058331e-05, 4.6627346e-01], rtol=1e-4)


def test_binary_focal_by_hand_and_gamma_zero_is_binary_crossentropy():
    y = (RNG.uniform(size=(5, 3)) > 0.5).astype(np.float64)
    p = RNG.uniform(0.05, 0.95, (5, 3))
    p_t = y * p + (1 - y) * (1 - p)
    bce = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    weight = y * 0.4 + (1 - y) * 0.6
    expected = np.mean(weight * (1 - p_t) ** 3 * bce, axis=-1)
    np.testing.assert_allclose(losses.binary_focal_crossentropy(y, p, True, 0.4, 3.0), expected, rtol=1e-12)
    assert losses.BinaryFocalCrossentropy(gamma=0)(y, p) == pytest.approx(losses.BinaryCrossentropy()(y, p))


def test_categorical_focal_with_class_numbers_equals_one_hot_and_gamma_zero_is_alpha_times_cross_entropy():
    z = RNG.standard_normal((6, 4))
    labels = np.array([0, 3, 1, 1, 2, 3])
    focal = losses.CategoricalFocalCrossentropy(from_logits=True)
    assert focal(labels, z) == pytest.approx(focal(np.eye(4)[labels], z))
    plain = losses.CategoricalFocalCrossentropy(alpha=1.0, gamma=0.0, from_logits=True)
    assert plain(labels, z) == pytest.approx(losses.CategoricalCrossentropy(from_logits=True)(labels, z))


def _keras_cases(keras):
    z = (RNG.normal(size=(6, 4)) * 3).astype(np.float32)
    s = (1 / (1 + np.exp(-z))).astype(np.float32)
    p = np.exp(losses.log_softmax(z)).astype(np.float32)
    yb = (RNG.uniform(size=(6, 4)) > 0.5).astype(np.float32)
    onehot = np.eye(4, dtype=np.float32)[RNG.integers(0, 4, 6)]
    K = keras.losses
    return [
        (losses.BinaryFocalCrossentropy(), K.BinaryFocalCrossentropy(), yb, s),
        (losses.BinaryFocalCrossentropy(True, 0.3, 1.5, True, 0.1),
         K.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.3, gamma=1.5, from_logits=True,
                                   label_smoothing=0.1), yb, z),
        (losses.BinaryFocalCrossentropy(from_logits=True, reduction="sum"),
         K.BinaryFocalCrossentropy(from_logits=True, reduction="sum"), yb, 10 * z),        # far past the clip
        (losses.CategoricalFocalCrossentropy(), K.CategoricalFocalCrossentropy(), onehot, p),
        (losses.CategoricalFocalCrossentropy([0.1, 0.2, 0.3, 0.4], 3.0, True, 0.2),
         K.CategoricalFocalCrossentropy(alpha=[0.1, 0.2, 0.3, 0.4], gamma=3.0, from_logits=True,
                                        label_smoothing=0.2), onehot, z),
        (losses.CategoricalFocalCrossentropy(reduction="mean_with_sample_weight"),
         K.CategoricalFocalCrossentropy(reduction="mean_with_sample_weight"), onehot, s),   # rows not summing to 1
    ]


def test_the_same_values_and_gradients_as_keras():
    keras = pytest.importorskip("keras")
    tf = pytest.importorskip("tensorflow")
    weights = RNG.uniform(0, 2, 6).astype(np.float32)
    for ours, theirs, y, x in _keras_cases(keras):
        for w in (None, weights):
            assert ours(y, x, w) == pytest.approx(float(theirs(y, x, sample_weight=w)), rel=1e-5), ours
        variable = tf.Variable(x)
        with tf.GradientTape() as tape:
            value = theirs(y, variable, sample_weight=weights)
        ours.forward(y, x, weights)
        np.testing.assert_allclose(ours.backward(), tape.gradient(value, variable).numpy(), rtol=1e-4, atol=1e-6)
        config = ours.get_config()
        assert set(config) == set(theirs.get_config()) - {"dtype"}
        assert type(ours).from_config(config).get_config() == config
    y, p = _keras_cases(keras)[0][2:]
    np.testing.assert_allclose(losses.binary_focal_crossentropy(y, p), keras.losses.binary_focal_crossentropy(y, p),
                               rtol=1e-5)


@pytest.mark.parametrize("make, message", [
    (lambda: losses.BinaryFocalCrossentropy(gamma=-1), "gamma must be >= 0"),
    (lambda: losses.CategoricalFocalCrossentropy(label_smoothing=2), r"label_smoothing must be in \[0, 1\]"),
    (lambda: losses.CategoricalFocalCrossentropy(axis=1), "only axis=-1"),
])
def test_bad_arguments_say_what_they_got(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_names_functions_and_the_fused_sigmoid():
    assert type(losses.get("binary_focal_crossentropy")).__name__ == "BinaryFocalCrossentropy"
    assert type(losses.get("categorical_focal_crossentropy")).__name__ == "CategoricalFocalCrossentropy"
    assert type(losses.get(losses.binary_focal_crossentropy)).__name__ == "BinaryFocalCrossentropy"
    assert glassnet.keras.losses.CategoricalFocalCrossentropy is losses.CategoricalFocalCrossentropy
    fused = losses.BinaryFocalCrossentropy(gamma=1.0).logits_version(layers.Sigmoid())
    assert fused.from_logits and fused.gamma == 1.0
    z = RNG.standard_normal((4, 2))
    y = (RNG.uniform(size=(4, 2)) > 0.5).astype(np.float64)
    assert fused(y, z) == pytest.approx(losses.BinaryFocalCrossentropy(gamma=1.0)(y, 1 / (1 + np.exp(-z))))


@pytest.mark.parametrize("loss, activation, units", [("binary_focal_crossentropy", "sigmoid", 1),
                                                     ("categorical_focal_crossentropy", "softmax", 3)])
def test_a_model_compiled_by_name_trains_and_saves_its_loss(tmp_path, loss, activation, units):
    x = RNG.standard_normal((64, 4)).astype(np.float32)
    y = (x[:, :1] > 0).astype(np.float32) if units == 1 else np.eye(3, dtype=np.float32)[(x[:, 0] > 0) + (x[:, 1] > 1) * 1]
    model = glassnet.Sequential([layers.Input((4,)), layers.Dense(units, activation=activation)], seed=0)
    model.compile(glassnet.optimizers.SGD(0.5), loss)
    history = model.fit(x, y, epochs=10, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.8 * history.history["loss"][0]
    for suffix in ("npz", "keras"):
        model.save(tmp_path / f"m.{suffix}")
        again = glassnet.load_model(tmp_path / f"m.{suffix}")
        assert type(again.loss).__name__ == type(model.loss).__name__
        assert again.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-6)


def test_keras_reads_the_loss_from_a_keras_file_and_glassnet_reads_keras(tmp_path):
    keras = pytest.importorskip("keras")
    model = glassnet.Sequential([layers.Input((4,)), layers.Dense(3, activation="softmax")], seed=0)
    model.compile("adam", losses.CategoricalFocalCrossentropy(alpha=0.5, gamma=3.0, label_smoothing=0.1))
    model.save(tmp_path / "ours.keras")
    theirs = keras.models.load_model(tmp_path / "ours.keras")
    config = theirs.loss.get_config()
    assert (type(theirs.loss).__name__, config["alpha"], config["gamma"], config["label_smoothing"]) == \
        ("CategoricalFocalCrossentropy", 0.5, 3.0, 0.1)
    made = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    made.compile("adam", keras.losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.4, gamma=1.0,
                                                               from_logits=True))
    made.save(tmp_path / "theirs.keras")
    read = glassnet.load_model(tmp_path / "theirs.keras").loss.get_config()
    assert (read["apply_class_balancing"], read["alpha"], read["gamma"], read["from_logits"]) == (True, 0.4, 1.0, True)
