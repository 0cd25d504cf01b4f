"""Keras 3's losses: the new ones by hand, sample weights and reductions, names, configs, the
function forms, and ``logits_version`` (the fusion the model asks for).

Gradients of every loss (weighted too) are checked by the gradcheck catalogue; the numbers
against Keras are in ``test_keras_reference``.
"""

import json
import math
import zipfile

import numpy as np
import pytest

from glassnet.engine import losses
from glassnet.engine.layers.activations import Sigmoid, Softmax, Tanh
from glassnet.engine.losses import (BinaryCrossentropy, CategoricalCrossentropy, Huber, KLDivergence,
                                    MeanAbsoluteError, MeanSquaredError, SparseCategoricalCrossentropy)
from glassnet.errors import ShapeError


def test_binary_crossentropy_by_hand_from_probabilities_and_from_logits():
    y = np.array([[1.0], [0.0]])
    p = np.array([[0.8], [0.4]])
    expected = -(math.log(0.8) + math.log(0.6)) / 2
    assert BinaryCrossentropy()(y, p) == pytest.approx(expected)
    z = np.log(p / (1 - p))                                  # the logits of those probabilities
    assert BinaryCrossentropy(from_logits=True)(y, z) == pytest.approx(expected)
    assert BinaryCrossentropy()(np.array([1, 0]), p) == pytest.approx(expected)     # (N,) labels
    loss = BinaryCrossentropy(from_logits=True)
    loss(y, z)
    np.testing.assert_allclose(loss.backward(), (p - y) / 2)  # (sigmoid(z) - y) / N


def test_binary_crossentropy_label_smoothing_and_extreme_logits():
    smoothed = BinaryCrossentropy(label_smoothing=0.2)(np.array([[1.0]]), np.array([[0.9]]))
    assert smoothed == pytest.approx(-(0.9 * math.log(0.9) + 0.1 * math.log(0.1)))
    z = np.array([[1e4], [-1e4]], np.float32)
    loss = BinaryCrossentropy(from_logits=True)
    assert loss(np.array([0.0, 1.0]), z) == pytest.approx(1e4)
    assert np.isfinite(loss.backward()).all()


def test_mean_absolute_error_huber_and_kl_divergence_by_hand():
    y, p = np.array([[0.0, 1.0]]), np.array([[0.5, -1.0]])
    assert MeanAbsoluteError()(y, p) == pytest.approx((0.5 + 2.0) / 2)
    # |e| = 0.5 <= 1: e**2 / 2 = 0.125; |e| = 2 > 1: 1 * (2 - 0.5) = 1.5
    assert Huber()(y, p) == pytest.approx((0.125 + 1.5) / 2)
    assert Huber(delta=3.0)(y, p) == pytest.approx((0.125 + 2.0) / 2)
    t, q = np.array([[0.25, 0.75]]), np.array([[0.5, 0.5]])
    assert KLDivergence()(t, q) == pytest.approx(0.25 * math.log(0.5) + 0.75 * math.log(1.5))
    assert KLDivergence()(t, t) == pytest.approx(0.0, abs=1e-12)


def test_sample_weights_scale_each_sample_and_the_reductions_divide_as_keras():
    y, p = np.array([[0.0], [0.0], [0.0]]), np.array([[1.0], [2.0], [3.0]])   # MSE per sample 1, 4, 9
    w = np.array([1.0, 0.5, 0.0])
    assert MeanSquaredError()(y, p) == pytest.approx(14 / 3)
    assert MeanSquaredError()(y, p, sample_weight=w) == pytest.approx((1 + 2 + 0) / 3)
    assert MeanSquaredError(reduction="sum")(y, p, w) == pytest.approx(3.0)
    assert MeanSquaredError(reduction="mean_with_sample_weight")(y, p, w) == pytest.approx(3 / 1.5)
    loss = MeanSquaredError()
    loss(y, p, w)
    np.testing.assert_allclose(loss.backward(), 2 * (p - y) * w[:, None] / 3)
    with pytest.raises(ShapeError, match=r"sample_weight of shape \(2,\) doesn't fit 3 samples"):
        loss(y, p, w[:2])
    with pytest.raises(ValueError, match="reduction must be one of .*or None, got 'mean'"):
        MeanSquaredError(reduction="mean")


def test_probabilities_are_normalised_then_clipped_as_keras_does():
    labels = np.array([0, 1])
    rows = np.array([[0.2, 0.6], [0.5, 0.5]])                # the first row sums to 0.8
    expected = -(math.log(0.25) + math.log(0.5)) / 2
    assert CategoricalCrossentropy()(labels, rows) == pytest.approx(expected)
    assert SparseCategoricalCrossentropy()(labels, rows) == pytest.approx(expected)


def test_categorical_label_smoothing_integer_and_one_hot_agree():
    p = np.array([[0.7, 0.2, 0.1]])
    for labels in (np.array([0]), np.array([[1.0, 0.0, 0.0]])):
        value = CategoricalCrossentropy(label_smoothing=0.3)(labels, p)
        target = np.array([0.8, 0.1, 0.1])
        assert value == pytest.approx(-(target * np.log(p)).sum())


def test_function_forms_return_one_loss_per_sample():
    y, z = np.array([0, 2]), np.array([[2.0, 0.0, 0.0], [0.0, 0.0, 3.0]])
    per_sample = losses.sparse_categorical_crossentropy(y, z, from_logits=True)
    assert per_sample.shape == (2,)
    np.testing.assert_allclose(per_sample, -np.log(np.exp([2.0, 3.0]) / (np.exp([2.0, 3.0]) + 2)))
    assert losses.mean_squared_error(np.zeros((4, 3)), np.ones((4, 3))).shape == (4,)
    assert losses.mse is losses.mean_squared_error and losses.kld is losses.kl_divergence
    assert losses.binary_crossentropy([[1.0]], [[0.5]]) == pytest.approx([math.log(2)])
    with pytest.raises(ValueError, match="ignore_class is not supported"):
        losses.sparse_categorical_crossentropy(y, z, ignore_class=0)


@pytest.mark.parametrize("name, cls", [
    ("binary_crossentropy", BinaryCrossentropy), ("bce", BinaryCrossentropy),
    ("mae", MeanAbsoluteError), ("mean_absolute_error", MeanAbsoluteError), ("MAE", MeanAbsoluteError),
    ("huber", Huber), ("huber_loss", Huber), ("Huber", Huber),
    ("kld", KLDivergence), ("kl_divergence", KLDivergence), ("kullback_leibler_divergence", KLDivergence),
    ("mse", MeanSquaredError), ("sparse_categorical_crossentropy", SparseCategoricalCrossentropy),
])
def test_keras_names_and_aliases(name, cls):
    assert type(losses.get(name)) is cls


def test_get_takes_functions_config_dicts_and_instances_and_configs_round_trip():
    assert type(losses.get(losses.huber)) is Huber
    assert losses.get({"class_name": "Huber", "config": {"delta": 2.0}}).delta == 2.0
    loss = BinaryCrossentropy(from_logits=True, label_smoothing=0.1, name="bce_loss")
    assert losses.get(loss) is loss
    rebuilt = losses.get(losses.serialize(loss))
    assert rebuilt.get_config() == loss.get_config() and rebuilt.name == "bce_loss"
    assert CategoricalCrossentropy().name == "categorical_crossentropy" and Huber().name == "huber_loss"
    assert isinstance(losses.get(lambda y, p: ((y - p) ** 2).mean(axis=-1)), losses.LossFunction)


def custom_mean_squared_error(y_true, y_pred):
    """keras.io's custom loss function, with NumPy where it writes ops."""
    return np.mean(np.square(y_true - y_pred), axis=-1)


class CustomMSE(losses.Loss):
    """keras.io's custom loss class: call() only."""

    def __init__(self, regularization_factor=0.1, name="custom_mse"):
        super().__init__(name=name)
        self.regularization_factor = regularization_factor

    def call(self, y_true, y_pred):
        mse = np.mean(np.square(y_true - y_pred), axis=-1)
        reg = np.mean(np.square(0.5 - y_pred), axis=-1)
        return mse + reg * self.regularization_factor


def test_a_loss_with_only_call_gets_its_exact_gradient_by_recording():
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.random((6, 4)), rng.random((6, 4))
    weights = rng.random(6)
    mine = losses.get(custom_mean_squared_error)
    exact = MeanSquaredError()
    for sample_weight in (None, weights):
        assert mine.forward(y_true, y_pred, sample_weight) == pytest.approx(exact.forward(y_true, y_pred, sample_weight))
        np.testing.assert_allclose(mine.backward(), exact.backward(), rtol=1e-12, atol=1e-15)
    custom = losses.get(CustomMSE())
    custom.forward(y_true, y_pred)
    expected = (2 * (y_pred - y_true) + 0.1 * 2 * (y_pred - 0.5)) / 4 / 6
    np.testing.assert_allclose(custom.backward(), expected, rtol=1e-12)


def test_a_loss_with_math_autodiff_cant_follow_falls_back_on_numerical_differences_and_says_so():
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.random((6, 4)), rng.random((6, 4))
    odd = losses.get(lambda y, p: np.mean(np.arctan(p - y) ** 2, axis=-1))
    odd.forward(y_true, y_pred)
    with pytest.warns(UserWarning, match="np.arctan.*numerically"):
        grad = odd.backward()
    d = y_pred - y_true
    np.testing.assert_allclose(grad, 2 * np.arctan(d) / (1 + d * d) / 4 / 6, rtol=1e-6)
    batch_mean = losses.get(lambda y, p: np.mean(np.arctan(p - y)))       # numerical needs one per sample
    batch_mean.forward(y_true, y_pred)
    with pytest.warns(UserWarning), pytest.raises(ShapeError, match="one loss per sample"):
        batch_mean.backward()


def test_a_model_compiled_with_a_loss_function_trains_and_saves_without_it(tmp_path):
    import glassnet as keras
    x = np.random.default_rng(0).random((32, 4)).astype(np.float32)
    y = x @ np.array([[1.0], [-1.0], [0.5], [2.0]], np.float32)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)], seed=0)
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss=custom_mean_squared_error)
    history = model.fit(x, y, epochs=30, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 0.1 * history.history["loss"][0]
    model.save(tmp_path / "m.npz")
    with pytest.raises(Exception, match="custom_mean_squared_error.*compile=False"):
        keras.models.load_model(tmp_path / "m.npz")
    again = keras.models.load_model(tmp_path / "m.npz", compile=False)
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
    # Given by name, the function comes back with the optimizer's state: training goes on.
    for name in ("m.npz", "m.keras"):
        if name.endswith(".keras"):
            pytest.importorskip("h5py")
            with pytest.warns(UserWarning, match="not registered"):
                model.save(tmp_path / name)
        again = keras.models.load_model(tmp_path / name,
                                        custom_objects={"custom_mean_squared_error": custom_mean_squared_error})
        assert again.loss.fn is custom_mean_squared_error
        assert again.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-6)


def test_a_registered_loss_function_is_found_again_by_its_registered_name(tmp_path):
    import glassnet as keras
    from glassnet.engine import configurable

    def doubled_error(y_true, y_pred):
        return 2 * keras.losses.mean_squared_error(y_true, y_pred)

    registered = keras.saving.register_keras_serializable(package="probe")(doubled_error)
    try:
        assert registered is doubled_error
        assert keras.saving.get_registered_name(doubled_error) == "probe>doubled_error"
        assert keras.saving.get_registered_object("probe>doubled_error") is doubled_error
        x = np.random.default_rng(1).random((16, 3)).astype(np.float32)
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)], seed=0)
        model.compile(optimizer="sgd", loss=doubled_error)
        model.fit(x, x.sum(axis=1), epochs=1, verbose=0)
        h5py = pytest.importorskip("h5py")
        model.save(tmp_path / "m.keras")
        with zipfile.ZipFile(tmp_path / "m.keras") as archive:   # as Keras 3 names a registered function
            loss = json.loads(archive.read("config.json"))["compile_config"]["loss"]
        assert loss == {"module": "builtins", "class_name": "function", "config": "probe>doubled_error",
                        "registered_name": "function"}
        assert h5py and keras.models.load_model(tmp_path / "m.keras").loss.fn is doubled_error
    finally:
        configurable.REGISTERED.pop("probe>doubled_error", None)
    with pytest.raises(Exception, match="doubled_error.*custom_objects"):   # unregistered: told what to do
        keras.models.load_model(tmp_path / "m.keras")


def test_logits_version_pairs_cross_entropy_with_softmax_and_bce_with_sigmoid():
    fused = CategoricalCrossentropy(label_smoothing=0.1).logits_version(Softmax())
    assert isinstance(fused, CategoricalCrossentropy) and fused.from_logits and fused.label_smoothing == 0.1
    assert SparseCategoricalCrossentropy().logits_version(Softmax()).from_logits
    assert BinaryCrossentropy().logits_version(Sigmoid()).from_logits
    assert BinaryCrossentropy().logits_version(Softmax()) is None
    assert CategoricalCrossentropy(from_logits=True).logits_version(Softmax()) is None
    assert MeanSquaredError().logits_version(Sigmoid()) is None
    assert CategoricalCrossentropy().logits_version(Tanh()) is None


def test_fused_bce_equals_sigmoid_then_bce():
    rng = np.random.default_rng(0)
    z, y = rng.normal(size=(6, 3)), (rng.uniform(size=(6, 3)) > 0.5).astype(float)
    sigmoid, plain = Sigmoid(), BinaryCrossentropy()
    value = plain(y, sigmoid.forward(z))
    chained = sigmoid.backward(plain.backward())
    fused = plain.logits_version(sigmoid)
    assert fused(y, z) == pytest.approx(value, rel=1e-12)
    np.testing.assert_allclose(fused.backward(), chained, rtol=1e-9)


def test_regression_targets_of_the_wrong_shape_are_clear_errors():
    with pytest.raises(ShapeError, match=r"MeanAbsoluteError: targets of shape \(3, 2\) don't match "
                                         r"predictions \(3, 4\)"):
        MeanAbsoluteError()(np.zeros((3, 2)), np.zeros((3, 4)))
    with pytest.raises(ShapeError, match="BinaryCrossentropy: 2 targets for 3 predictions"):
        BinaryCrossentropy()(np.zeros(2), np.zeros((3, 1)))


def test_reduction_none_gives_one_loss_per_sample_and_trains_on_their_mean():
    """Keras 3's reduction=None: the figures are Keras 3.15's (a model compiled with it
    evaluates to the same mean as with the default)."""
    import glassnet as keras
    y, p = np.array([1, 0, 2]), np.array([[0.2, 0.8, 0.0], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]], np.float32)
    for reduction in (None, "none"):
        per_sample = SparseCategoricalCrossentropy(reduction=reduction)
        np.testing.assert_allclose(per_sample(y, p), [0.22314, 0.51083, 0.22314], rtol=1e-4)
        np.testing.assert_allclose(per_sample(y, p, sample_weight=[0, 1, 2]), [0, 0.51083, 0.44629], rtol=1e-4)
    x = np.random.default_rng(0).random((8, 4)).astype(np.float32)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")], seed=0)
    model.compile("sgd", SparseCategoricalCrossentropy(reduction=None))
    per_sample_mean = model.evaluate(x, np.arange(8) % 3, verbose=0)
    model.compile("sgd", SparseCategoricalCrossentropy())
    assert per_sample_mean == pytest.approx(model.evaluate(x, np.arange(8) % 3, verbose=0), rel=1e-6)
    with pytest.raises(ValueError, match="reduction must be one of"):
        SparseCategoricalCrossentropy(reduction="mean")
