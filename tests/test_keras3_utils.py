"""Keras 3's small helpers: OrthogonalRegularizer, keras.utils' Progbar, CustomObjectScope,
(de)serialize_keras_object, get_registered_*, get_source_inputs, is_keras_tensor,
standardize_dtype; keras.saving's load_weights/save_weights; keras.backend's dtype helpers."""

import io
import os

import numpy as np
import pytest

from glassnet import backend, regularizers, saving, utils
from glassnet.engine.layers import Add, Dense, Input
from glassnet.engine.model import Sequential

RNG = np.random.default_rng(0)


def test_orthogonal_regularizer_by_hand_and_its_gradient():
    w = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]])
    # unit rows: (1,0), (.707,.707), (0,1); |cosines| of the 3 pairs: .707, 0, .707
    assert regularizers.OrthogonalRegularizer(0.1)(w) == pytest.approx(0.1 * 0.5 * 2 * 2 ** -0.5 * 2 / 3)
    # columns (1,1,0)/sqrt(2) and (0,1,2)/sqrt(5): cosine 1/sqrt(10), one pair
    assert regularizers.OrthogonalRegularizer(1.0, mode="columns")(w) == pytest.approx(0.5 * 2 / 10 ** 0.5 / 1)
    penalty = regularizers.OrthogonalRegularizer(0.3)
    w = RNG.normal(size=(4, 3))
    numeric = np.zeros_like(w)
    for i in np.ndindex(w.shape):
        step = np.zeros_like(w)
        step[i] = 1e-6
        numeric[i] = (penalty.penalty(w + step) - penalty.penalty(w - step)) / 2e-6
    np.testing.assert_allclose(penalty.gradient(w), numeric, rtol=1e-6, atol=1e-9)
    assert regularizers.get("orthogonal_regularizer").get_config() == {"factor": 0.01, "mode": "rows"}
    with pytest.raises(ValueError, match="must have rank 2"):
        penalty(np.ones(3))
    model = Sequential([Input((4,)), Dense(3, kernel_regularizer=regularizers.OrthogonalRegularizer(0.1))], seed=0)
    model.compile("sgd", "mse")
    model.fit(RNG.normal(size=(8, 4)), RNG.normal(size=(8, 3)), verbose=0)


def test_progbar_draws_averages_and_stateful_values():
    out = io.StringIO()
    bar = utils.Progbar(4, stateful_metrics=["acc"], stream=out, interval=0)
    for step in range(4):
        bar.update(step + 1, values=[("loss", float(step)), ("acc", 0.25 * step)])
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("1/4 ━━━━━─────────────── 0s") and len(lines) == 4       # Keras 3's bar
    assert lines[-1].startswith("4/4 ━━━━━━━━━━━━━━━━━━━━ ") and lines[-1].endswith("loss: 1.5000 - acc: 0.7500")
    out = io.StringIO()
    bar = utils.Progbar(3, verbose=2, stream=out)
    for _ in range(3):
        bar.add(1, values=[("loss", 2.0)])
    assert out.getvalue().count("\n") == 1 and out.getvalue().startswith("3/3 - ")


def test_serialization_helpers_and_scopes():
    def my_loss(y, p):
        return y - p
    with utils.CustomObjectScope({"my_loss": my_loss}):
        assert utils.get_registered_object("my_loss") is my_loss
    with saving.CustomObjectScope({"my_loss": my_loss}):
        assert utils.deserialize_keras_object({"class_name": "function", "config": "my_loss"}) is my_loss
    assert utils.get_registered_object("my_loss") is None
    spec = utils.serialize_keras_object(regularizers.OrthogonalRegularizer(0.2, "columns"))
    assert spec["module"] == "keras.regularizers" and spec["class_name"] == "OrthogonalRegularizer"
    assert utils.deserialize_keras_object(spec).get_config() == {"factor": 0.2, "mode": "columns"}
    assert utils.get_registered_name(my_loss) == "my_loss"


def test_source_inputs_and_keras_tensors():
    x, z = Input((3,)), Input((2,))
    out = Add()([Dense(2)(x), z])
    assert utils.get_source_inputs(out) == [x, z] and utils.get_source_inputs(x) == [x]
    assert utils.is_keras_tensor(out) and not utils.is_keras_tensor(np.ones(2))


def test_save_and_load_weights_functions(tmp_path):
    model = Sequential([Input((3,)), Dense(2)], seed=0)
    saving.save_weights(model, tmp_path / "w.weights.h5")
    other = Sequential([Input((3,)), Dense(2)], seed=1)
    saving.load_weights(other, tmp_path / "w.weights.h5")
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("given, name", [("float32", "float32"), (float, "float32"), (int, "int64"), (np.float64, "float64"),
                                         (np.dtype("uint8"), "uint8"), ("bool", "bool"), (None, "float32")])
def test_standardize_dtype(given, name):
    assert backend.standardize_dtype(given) == utils.standardize_dtype(given) == name


def test_dtype_kinds_and_promotion_as_keras():
    assert backend.is_float_dtype("float16") and not backend.is_float_dtype("int8")
    assert backend.is_int_dtype("uint8") and not backend.is_int_dtype("bool")
    assert backend.result_type("int64", "float32") == "float32"       # NumPy would say float64
    assert backend.result_type("uint8", "int8") == "int16" and backend.result_type("int32", float) == "float32"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    keras = pytest.importorskip("keras")
    for pair in [("int8", "float32"), ("int32", float), ("float16", "float64"), ("bool", "int8"), ("int64", "float16")]:
        assert backend.result_type(*pair) == keras.backend.result_type(*pair)
    w = RNG.normal(size=(5, 3)).astype(np.float32)
    for mode in ("rows", "columns"):
        theirs = keras.regularizers.OrthogonalRegularizer(0.1, mode)(keras.ops.convert_to_tensor(w))
        assert regularizers.OrthogonalRegularizer(0.1, mode)(w) == pytest.approx(float(theirs), rel=1e-5)
