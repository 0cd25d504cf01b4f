"""Weight constraints (Keras's kernel_constraint=...): their values, and that training keeps them."""

import numpy as np
import pytest

import glassnet as keras
from glassnet import constraints, layers

W = np.random.default_rng(0).standard_normal((3, 3, 2, 4)).astype(np.float32)


def _norms(w, axis):
    return np.sqrt(np.sum(w ** 2, axis=axis))


def test_each_constraint_by_hand_and_as_keras_3_computes_it():
    clipped = constraints.MaxNorm(1.5, axis=[0, 1, 2])(W)                 # one filter's norm
    assert _norms(clipped, (0, 1, 2)).max() == pytest.approx(1.5, rel=1e-5)
    short = _norms(W, (0, 1, 2)) <= 1.5
    np.testing.assert_allclose(clipped[..., short], W[..., short], rtol=1e-5)   # short ones untouched
    np.testing.assert_allclose(_norms(constraints.UnitNorm(axis=[0, 1, 2])(W), (0, 1, 2)), 1, rtol=1e-5)
    np.testing.assert_array_equal(constraints.NonNeg()(W), np.maximum(W, 0))
    # Keras 3.15's MaxNorm(1.5) and MinMaxNorm(0.5, 1.0, rate=0.7), on the first numbers of W
    np.testing.assert_allclose(constraints.MaxNorm(1.5)(W).ravel()[:3], [0.09339, -0.13210, 0.64042], atol=2e-5)
    np.testing.assert_allclose(constraints.MinMaxNorm(0.5, 1.0, rate=0.7)(W).ravel()[:3],
                               [0.08130, -0.10942, 0.62139], atol=2e-5)
    assert keras.constraints.max_norm is constraints.MaxNorm and constraints.get("non_neg").__class__ is constraints.NonNeg
    with pytest.raises(ValueError, match="unknown constraint 'max'"):
        layers.Dense(2, kernel_constraint="max")


def test_training_keeps_every_constrained_weight_in_its_set_and_files_keep_the_constraint(tmp_path):
    model = keras.Sequential([keras.Input((6,)), layers.Dense(5, activation="relu", kernel_constraint=keras.constraints.max_norm(0.5)),
                              layers.Dense(3, activation="softmax", kernel_constraint="non_neg")], seed=0)
    model.compile(keras.optimizers.SGD(1.0), "sparse_categorical_crossentropy")
    x, y = np.random.default_rng(1).random((32, 6)).astype(np.float32), np.arange(32) % 3
    free = keras.Sequential([keras.Input((6,)), layers.Dense(5, activation="relu"),
                             layers.Dense(3, activation="softmax")], seed=0)
    free.compile(keras.optimizers.SGD(1.0), "sparse_categorical_crossentropy")
    for m in (model, free):
        m.fit(x, y, epochs=3, verbose=0)
    assert _norms(free.layers[0].params["kernel"], 0).max() > 0.5 and free.layers[1].params["kernel"].min() < 0
    assert _norms(model.layers[0].params["kernel"], 0).max() <= 0.5 + 1e-6     # the constraint held
    assert model.layers[1].params["kernel"].min() >= 0
    names = ["m.npz"] + (["m.keras"] if pytest.importorskip("h5py") else [])
    for name in names:
        model.save(tmp_path / name)
        again = keras.models.load_model(tmp_path / name)
        assert repr(again.layers[0].kernel_constraint) == "MaxNorm(max_value=0.5, axis=0)"
        assert isinstance(again.layers[1].kernel_constraint, constraints.NonNeg)
