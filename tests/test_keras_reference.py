"""The same numbers as Keras 3: activations, losses, optimizer steps, schedules, metrics and the
random image layers with fixed factors. Keras is only a yardstick here (skipped when it is not
installed); every component also has a test of its own that runs without it.

Keras computes in float32, so the tolerances are float32's.
"""

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
keras = pytest.importorskip("keras")

from glassnet.engine import activations_api, losses, metrics, optimizers, schedules  # noqa: E402
from glassnet.engine.layers import preprocessing  # noqa: E402

RNG = np.random.default_rng(0)
X = (RNG.normal(size=(4, 6)) * 3).astype(np.float32)


@pytest.mark.parametrize("name", ["relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "swish",
                                  "softplus", "softsign", "sigmoid", "hard_sigmoid", "hard_silu", "tanh",
                                  "mish", "exponential", "linear", "softmax", "log_softmax"])
def test_activations(name):
    ours = activations_api.get(name)(X)
    theirs = np.asarray(keras.activations.get(name)(X))
    np.testing.assert_allclose(ours, theirs, rtol=2e-5, atol=2e-6)


def test_activation_options():
    np.testing.assert_allclose(activations_api.relu(X, negative_slope=0.1, max_value=2.0, threshold=0.5),
                               keras.activations.relu(X, negative_slope=0.1, max_value=2.0, threshold=0.5),
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(activations_api.gelu(X, approximate=True),
                               keras.activations.gelu(X, approximate=True), rtol=2e-5, atol=2e-6)
    np.testing.assert_allclose(activations_api.elu(X, alpha=0.3), keras.activations.elu(X, alpha=0.3),
                               rtol=1e-5, atol=1e-6)


def _loss_cases():
    z = (RNG.normal(size=(6, 4)) * 3).astype(np.float32)
    p = np.exp(losses.log_softmax(z)).astype(np.float32)
    labels = np.array([0, 3, 1, 1, 2, 3])
    onehot = np.eye(4, dtype=np.float32)[labels]
    s = (1 / (1 + np.exp(-z))).astype(np.float32)
    yb = (RNG.uniform(size=(6, 4)) > 0.5).astype(np.float32)
    K = keras.losses
    return [
        (losses.CategoricalCrossentropy(), K.CategoricalCrossentropy(), onehot, p),
        (losses.CategoricalCrossentropy(label_smoothing=0.1), K.CategoricalCrossentropy(label_smoothing=0.1), onehot, p),
        (losses.CategoricalCrossentropy(True, 0.2), K.CategoricalCrossentropy(from_logits=True, label_smoothing=0.2), onehot, z),
        (losses.CategoricalCrossentropy(), K.CategoricalCrossentropy(), onehot, s),          # rows not summing to 1
        (losses.SparseCategoricalCrossentropy(), K.SparseCategoricalCrossentropy(), labels, p),
        (losses.SparseCategoricalCrossentropy(True), K.SparseCategoricalCrossentropy(from_logits=True), labels, z),
        (losses.BinaryCrossentropy(), K.BinaryCrossentropy(), yb, s),
        (losses.BinaryCrossentropy(True, 0.1), K.BinaryCrossentropy(from_logits=True, label_smoothing=0.1), yb, z),
        (losses.MeanSquaredError(), K.MeanSquaredError(), yb, z),
        (losses.MeanAbsoluteError(), K.MeanAbsoluteError(), yb, z),
        (losses.Huber(0.7), K.Huber(0.7), yb, z),
        (losses.KLDivergence(), K.KLDivergence(), onehot * 0.9 + 0.025, p),
    ]


def test_losses_with_and_without_sample_weights():
    weights = RNG.uniform(0, 2, 6).astype(np.float32)
    for ours, theirs, y, p in _loss_cases():
        for w in (None, weights):
            assert ours(y, p, w) == pytest.approx(float(theirs(y, p, sample_weight=w)), rel=1e-5), type(ours)


def test_loss_functions_per_sample():
    z = RNG.normal(size=(5, 3)).astype(np.float32)
    y = np.array([0, 2, 1, 1, 0])
    np.testing.assert_allclose(losses.sparse_categorical_crossentropy(y, z, from_logits=True),
                               keras.losses.sparse_categorical_crossentropy(y, z, from_logits=True), rtol=1e-5)
    np.testing.assert_allclose(losses.huber(np.zeros((5, 3)), z, 0.5), keras.losses.huber(np.zeros((5, 3)), z, 0.5),
                               rtol=1e-5)


def _keras_steps(optimizer, w0, grads):
    variable = keras.Variable(w0.astype("float32"))
    for g in grads:
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(g.astype("float32")), variable)])
    return keras.ops.convert_to_numpy(variable)


@pytest.mark.parametrize("ours, theirs", [
    (lambda: optimizers.Nadam(0.01), lambda: keras.optimizers.Nadam(0.01)),
    (lambda: optimizers.Nadam(0.01, beta_1=0.8, weight_decay=0.1), lambda: keras.optimizers.Nadam(0.01, beta_1=0.8, weight_decay=0.1)),
    (lambda: optimizers.Adamax(0.01), lambda: keras.optimizers.Adamax(0.01)),
    (lambda: optimizers.SGD(0.1, momentum=0.9, weight_decay=0.05), lambda: keras.optimizers.SGD(0.1, momentum=0.9, weight_decay=0.05)),
    (lambda: optimizers.AdamW(0.01, weight_decay=0.1), lambda: keras.optimizers.AdamW(0.01, weight_decay=0.1)),
    (lambda: optimizers.RMSprop(0.01, weight_decay=0.02), lambda: keras.optimizers.RMSprop(0.01, weight_decay=0.02)),
])
def test_optimizer_steps(ours, theirs):
    w0, grads = RNG.normal(size=20), RNG.normal(size=(6, 20))
    w = w0.copy()
    optimizer = ours()
    for g in grads:
        optimizer.step([w], [g.copy()])
    np.testing.assert_allclose(w, _keras_steps(theirs(), w0, grads), atol=2e-6)


@pytest.mark.parametrize("ours, theirs", [
    ("PolynomialDecay", (0.1, 100, 0.001, 2.0)), ("PolynomialDecay", (0.1, 100, 0.001, 0.5, True)),
    ("InverseTimeDecay", (0.1, 10, 0.5)), ("InverseTimeDecay", (0.1, 10, 0.5, True)),
    ("CosineDecayRestarts", (0.1, 20)), ("CosineDecayRestarts", (0.1, 20, 3.0, 0.7, 0.1)),
])
def test_schedules(ours, theirs):
    mine, keras_schedule = getattr(schedules, ours)(*theirs), getattr(keras.optimizers.schedules, ours)(*theirs)
    for step in (0, 1, 5, 19, 20, 21, 59, 99, 100, 101, 250, 1000):
        assert mine(step) == pytest.approx(float(keras_schedule(step)), rel=2e-5, abs=1e-8)


def test_metrics_streaming_with_sample_weights():
    n, k = 300, 5
    y = RNG.integers(0, k, n)
    logits = RNG.normal(size=(n, k))
    logits[np.arange(n), y] += 1
    p = (np.exp(logits) / np.exp(logits).sum(1, keepdims=True)).astype("float32")
    onehot, w = np.eye(k, dtype="float32")[y], RNG.uniform(0, 2, n).astype("float32")
    yb = (RNG.uniform(size=n) > 0.4).astype("float32")[:, None]
    pb = np.clip(yb * 0.3 + RNG.uniform(size=(n, 1)) * 0.7, 0, 1).astype("float32")
    K = keras.metrics
    cases = [
        (metrics.SparseTopKCategoricalAccuracy(2), K.SparseTopKCategoricalAccuracy(2), y, p),
        (metrics.TopKCategoricalAccuracy(3), K.TopKCategoricalAccuracy(3), onehot, p),
        (metrics.SparseCategoricalAccuracy(), K.SparseCategoricalAccuracy(), y, p),
        (metrics.CategoricalAccuracy(), K.CategoricalAccuracy(), onehot, p),
        (metrics.AUC(), K.AUC(), onehot, p),
        (metrics.AUC(), K.AUC(), yb, pb),
        (metrics.AUC(curve="PR"), K.AUC(curve="PR"), yb, pb),
        (metrics.AUC(num_thresholds=7, summation_method="minoring"), K.AUC(num_thresholds=7, summation_method="minoring"), yb, pb),
        (metrics.Precision(), K.Precision(), yb, pb),
        (metrics.Recall(thresholds=0.3), K.Recall(thresholds=0.3), yb, pb),
        (metrics.Precision(class_id=2), K.Precision(class_id=2), onehot, p),
        (metrics.Recall(top_k=2), K.Recall(top_k=2), onehot, p),
        (metrics.BinaryAccuracy(), K.BinaryAccuracy(), yb, pb),
        (metrics.MeanSquaredError(), K.MeanSquaredError(), onehot, p),
        (metrics.MeanAbsoluteError(), K.MeanAbsoluteError(), onehot, p),
    ]
    for ours, theirs, yt, yp in cases:
        for i in range(0, n, 128):
            part = slice(i, i + 128)
            ours.update_state(yt[part], yp[part], sample_weight=w[part])
            theirs.update_state(yt[part], yp[part], sample_weight=w[part])
        assert ours.result() == pytest.approx(float(theirs.result()), rel=1e-5, abs=1e-7), type(ours)


@pytest.mark.parametrize("mode", ["reflect", "constant", "nearest"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_random_image_layers_with_fixed_factors(mode, interpolation):
    # Keras's TensorFlow backend wraps with period n - 1 rather than n, so "wrap" is tested
    # by hand in test_preprocessing.
    x = RNG.uniform(size=(2, 9, 11, 2)).astype(np.float32)
    options = dict(fill_mode=mode, interpolation=interpolation)
    pairs = [
        ("RandomRotation", ((0.07, 0.07),), dict(fill_value=0.3)),
        ("RandomTranslation", ((0.23, 0.23), (-0.31, -0.31)), {}),
        ("RandomZoom", ((0.3, 0.3), (-0.2, -0.2)), {}),
        ("RandomZoom", ((-0.4, -0.4),), {}),
    ]
    for name, args, extra in pairs:
        ours = getattr(preprocessing, name)(*args, **options, **extra)(x, training=True)
        theirs = getattr(keras.layers, name)(*args, **options, **extra)(x, training=True)
        np.testing.assert_allclose(ours, keras.ops.convert_to_numpy(theirs), atol=2e-6)
