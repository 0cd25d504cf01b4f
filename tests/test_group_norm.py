"""GroupNormalization: its formula by hand, finite differences (also in the gradient-check
catalogue), Keras 3 on the same weights and inputs where it is installed, bad arguments, and
get_config / .npz / .keras round trips (read back by Keras too)."""

import os

import numpy as np
import pytest

import glassnet
from glassnet import layers
from glassnet.errors import ShapeError
from glassnet.gradcheck import check_layer

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
RNG = np.random.default_rng(0)
CASES = [  # (constructor arguments, input shape without the batch)
    (dict(groups=2), (3, 4, 6)),
    (dict(groups=3, axis=1), (6, 5)),
    (dict(groups=-1), (5, 4)),
    (dict(groups=1, axis=2, epsilon=0.1), (3, 4, 2)),
    (dict(groups=2, center=False), (4,)),
    (dict(groups=4, scale=False), (2, 8)),
]


def by_hand(x, groups, gamma, beta, epsilon):
    """Channels last: every sample's groups of channels normalised over their positions."""
    n, c = len(x), x.shape[-1]
    g = x.reshape(n, -1, groups, c // groups)
    mean = g.mean(axis=(1, 3), keepdims=True)
    var = ((g - mean) ** 2).mean(axis=(1, 3), keepdims=True)
    return ((g - mean) / np.sqrt(var + epsilon)).reshape(x.shape) * gamma + beta


def test_the_formula_by_hand_and_its_float32():
    layer = layers.GroupNormalization(groups=3, gamma_initializer="random_normal", beta_initializer="random_normal")
    x = (RNG.standard_normal((4, 5, 5, 6)) * 3 + 1).astype(np.float32)
    y = layer(x)
    assert y.dtype == np.float32 and y.shape == x.shape
    np.testing.assert_allclose(y, by_hand(x.astype(np.float64), 3, layer.params["gamma"], layer.params["beta"], 1e-3),
                               rtol=1e-5, atol=1e-5)
    assert [w.shape for w in layer.get_weights()] == [(6,), (6,)]          # gamma, then beta: Keras's order


def test_one_group_per_channel_is_instance_normalisation_and_the_batch_does_not_matter():
    layer = layers.GroupNormalization(groups=-1)
    x = RNG.standard_normal((3, 4, 4, 2))
    y = layer(x)
    assert layer.groups == 2 and layer.get_config()["groups"] == 2       # as Keras sets it on build
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0, atol=1e-6)
    np.testing.assert_allclose(layer(x[:1]), y[:1], rtol=1e-6)


@pytest.mark.parametrize("kwargs, shape", CASES)
def test_gradients_match_finite_differences(kwargs, shape):
    layer = layers.GroupNormalization(**kwargs, gamma_initializer="glorot_uniform", beta_initializer="glorot_uniform",
                                      gamma_regularizer="l2", beta_regularizer="l1")
    report = check_layer(layer, shape, batch_size=3)
    assert report.passed, report


@pytest.mark.parametrize("kwargs, shape", CASES)
def test_keras_gives_the_same_numbers_on_the_same_weights(kwargs, shape):
    keras = pytest.importorskip("keras")
    ours = layers.GroupNormalization(**kwargs, gamma_initializer="random_normal", beta_initializer="random_normal")
    x = (RNG.standard_normal((2,) + shape) * 2 + 0.5).astype(np.float32)
    y = ours(x)
    theirs = keras.layers.GroupNormalization(**kwargs)
    theirs.build(x.shape)
    theirs.set_weights(ours.get_weights())
    np.testing.assert_allclose(y, np.asarray(theirs(x)), rtol=1e-5, atol=1e-5)
    config = {k: v for k, v in ours.get_config().items() if k != "input_shape"}
    assert set(config) == set(theirs.get_config())


@pytest.mark.parametrize("make, message", [
    (lambda: layers.GroupNormalization(groups=0), "groups must be a positive integer"),
    (lambda: layers.GroupNormalization(groups=2.5), "groups must be a positive integer"),
    (lambda: layers.GroupNormalization(axis=0), "axis must be one axis other than 0"),
    (lambda: layers.GroupNormalization(epsilon=0), "epsilon must be positive"),
])
def test_bad_arguments_say_what_they_got(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_shape_errors_name_the_layer():
    with pytest.raises(ShapeError, match=r"'gn' \(GroupNormalization\): 4 groups don't divide 6 channels"):
        layers.GroupNormalization(groups=4, name="gn").build((3, 6))
    with pytest.raises(ShapeError, match=r"axis 3 is out of bounds"):
        layers.GroupNormalization(groups=1, axis=3).build((3, 6))


def _model():
    return glassnet.Sequential([layers.Input((4, 4, 6)),
                                layers.GroupNormalization(groups=3, gamma_initializer="random_normal",
                                                          beta_regularizer="l2", gamma_constraint="non_neg"),
                                layers.Conv2D(2, 3, activation="relu"), layers.Flatten(), layers.Dense(2)], seed=0)


def test_trains_and_saves_as_npz_and_keras(tmp_path):
    model = _model()
    x = RNG.standard_normal((16, 4, 4, 6)).astype(np.float32)
    y = RNG.standard_normal((16, 2)).astype(np.float32)
    model.compile("adam", "mse")
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert (model.layers[0].params["gamma"] >= 0).all()                    # the constraint held
    assert model.layers[0].regularization_loss() > 0
    for suffix in ("npz", "keras"):
        model.save(tmp_path / f"m.{suffix}")
        again = glassnet.load_model(tmp_path / f"m.{suffix}")
        np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
        assert again.layers[0].regularization_loss() == pytest.approx(model.layers[0].regularization_loss())
        config = again.layers[0].get_config()
        assert config["groups"] == 3 and config["gamma_constraint"] == {"class_name": "NonNeg", "config": {}}


def test_keras_files_both_ways(tmp_path):
    keras = pytest.importorskip("keras")
    model = _model()
    x = RNG.standard_normal((3, 4, 4, 6)).astype(np.float32)
    model.save(tmp_path / "ours.keras")
    theirs = keras.models.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(theirs.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    assert theirs.layers[0].get_config()["groups"] == 3
    made = keras.Sequential([keras.Input((4, 4, 6)),
                             keras.layers.GroupNormalization(groups=-1, epsilon=0.01, center=False,
                                                             gamma_initializer="random_normal")])
    made.save(tmp_path / "theirs.keras")
    read = glassnet.load_model(tmp_path / "theirs.keras")
    np.testing.assert_allclose(read.predict(x, verbose=0), made.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    assert read.layers[0].get_config()["groups"] == 6 and read.layers[0].center is False
