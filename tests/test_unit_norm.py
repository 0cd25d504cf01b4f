"""UnitNormalization and ActivityRegularization: what each computes, by hand."""

import numpy as np
import pytest

import glassnet
from glassnet import layers

rng = np.random.default_rng(0)


def test_unit_normalization_gives_length_one_along_its_axis():
    x = rng.standard_normal((3, 4, 5))
    np.testing.assert_allclose(np.linalg.norm(layers.UnitNormalization(dtype="float64")(x), axis=-1), 1.0)
    y = np.asarray(layers.UnitNormalization(axis=1, dtype="float64")(x))
    np.testing.assert_allclose(y, x / np.linalg.norm(x, axis=1, keepdims=True))
    np.testing.assert_array_equal(layers.UnitNormalization()(np.zeros((2, 3))), 0.0)     # no 0 / 0
    with pytest.raises(ValueError, match="other than 0"):
        layers.UnitNormalization(axis=0)


def test_activity_regularization_passes_its_input_and_adds_its_penalty_to_the_loss():
    x = rng.standard_normal((4, 3)).astype(np.float32)
    model = glassnet.Sequential([glassnet.Input((3,)), layers.ActivityRegularization(l1=0.1, l2=0.5),
                                 layers.Dense(1, kernel_initializer="zeros")], seed=0)
    model.compile("sgd", "mse")
    penalty = (0.1 * np.abs(x).sum() + 0.5 * (x ** 2).sum()) / len(x)
    assert model.evaluate(x, np.zeros((4, 1)), verbose=0) == pytest.approx(penalty, rel=1e-5)
    np.testing.assert_array_equal(model.layers[0](x), x)
    assert model.layers[0].get_config()["l2"] == 0.5
