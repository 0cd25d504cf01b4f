"""Saliency: the input gradient is checked against finite differences; occlusion agrees with it."""

import numpy as np
import pytest

from glassnet.engine.layers import (BatchNormalization, Conv2D, Dense, Dropout, Flatten,
                                    MaxPooling2D)
from glassnet.engine.model import Sequential
from glassnet.workbench import saliency as sal

from tiny_models import tiny_digits, tiny_mlp


def small_cnn(dtype="float64", compile=True, seed=0):
    """Conv -> batch norm -> pool -> dense -> dropout -> softmax, on 10x10 pictures (float64:
    finite differences need the precision)."""
    model = Sequential([
        Conv2D(3, 3, activation="tanh", input_shape=(10, 10, 1), dtype=dtype),
        BatchNormalization(dtype=dtype), MaxPooling2D(2, dtype=dtype), Flatten(dtype=dtype),
        Dense(8, activation="tanh", dtype=dtype), Dropout(0.5, dtype=dtype),
        Dense(4, activation="softmax", dtype=dtype),
    ], seed=seed)
    model.build()
    rng = np.random.default_rng(seed)
    bn = model.layers[1]
    bn.state["moving_mean"][...] = rng.normal(0, 0.1, 3)     # statistics that are not 0 and 1
    bn.state["moving_variance"][...] = rng.uniform(0.5, 2, 3)
    if compile:   # compiling fuses the softmax with the loss: saliency must still start at the logits
        model.compile("adam", "sparse_categorical_crossentropy")
    return model


def numeric_gradient(model, x, classes, eps=1e-6):
    grad = np.zeros_like(x)
    for index in np.ndindex(*x.shape[1:]):
        for sign in (1, -1):
            shifted = x.copy()
            shifted[(slice(None),) + index] += sign * eps
            scores = sal.class_scores(model, shifted)[np.arange(len(x)), classes]
            grad[(slice(None),) + index] += sign * scores / (2 * eps)
    return grad


@pytest.mark.parametrize("compile", [True, False])
def test_input_gradient_matches_finite_differences(compile):
    model = small_cnn(compile=compile)
    x = np.random.default_rng(1).uniform(0, 1, (3, 10, 10, 1))
    classes = np.array([0, 2, 3])
    analytic, used = sal.input_gradient(model, x, classes)
    numeric = numeric_gradient(model, x, classes)
    assert (used == classes).all()
    assert analytic.shape == x.shape
    error = np.abs(analytic - numeric).max() / max(np.abs(numeric).max(), 1e-12)
    assert error < 1e-6, error


def test_input_gradient_of_an_mlp_with_flat_input_and_default_class():
    model = Sequential([Dense(6, activation="relu", input_shape=(16,), dtype="float64"),
                        Dense(3, activation="softmax", dtype="float64")], seed=3)
    model.build()
    x = np.random.default_rng(2).uniform(0.1, 1, (4, 16))
    analytic, classes = sal.input_gradient(model, x)
    assert (classes == sal.class_scores(model, x).argmax(axis=1)).all()
    assert np.allclose(analytic, numeric_gradient(model, x, classes), atol=1e-7)


def test_the_model_is_left_as_it_was():
    model = small_cnn()
    weights = [w.copy() for layer in model.layers for w in layer.get_weights()]
    fused = sal.final_softmax(model).fused_with_loss
    sal.saliency(model, np.random.default_rng(0).uniform(0, 1, (2, 10, 10, 1)))
    assert all(np.array_equal(a, b) for a, b in
               zip(weights, [w for layer in model.layers for w in layer.get_weights()]))
    assert sal.final_softmax(model).fused_with_loss == fused
    assert model.layers[0].needs_input_grad is False   # training's own saving, restored


def test_saliency_maps_are_per_image_and_scaled():
    model = small_cnn()
    x = np.random.default_rng(0).uniform(0, 1, (2, 10, 10))   # no channel axis: added for the model
    maps = sal.saliency(model, x)
    assert maps.shape == (2, 10, 10) and maps.dtype == np.float32
    assert np.allclose(maps.reshape(2, -1).max(axis=1), 1) and maps.min() >= 0
    smooth = sal.saliency(model, x, smooth=4)
    assert smooth.shape == (2, 10, 10) and not np.allclose(smooth, maps)


def test_occlusion_finds_the_only_pixels_that_matter():
    # A linear "model" that looks at the top-left 4x4 corner only.
    model = Sequential([Flatten(input_shape=(12, 12), dtype="float64"),
                        Dense(2, activation="softmax", dtype="float64")], seed=0)
    model.build()
    kernel = np.zeros((144, 2))
    kernel[np.ravel_multi_index(np.mgrid[0:4, 0:4].reshape(2, -1), (12, 12)), 0] = 1.0
    model.layers[1].params["kernel"][...] = kernel
    x = np.ones((1, 12, 12))
    drops = sal.occlusion(model, x, patch=4, stride=2)
    grads = sal.saliency(model, x)
    assert drops.shape == (1, 12, 12)
    assert drops[0, :4, :4].min() > 0 and np.allclose(drops[0, 6:, 6:], 0)
    assert np.allclose(grads[0, :4, :4], 1) and np.allclose(grads[0, 4:, 4:], 0)
    assert sal.agreement(grads, drops, top=16 / 144)[0] == 1.0


def test_gradient_and_occlusion_agree_on_real_digits():
    x_train, y_train, x_test, _ = tiny_digits(n_train=600, n_test=20)
    model = tiny_mlp(x_train, y_train, epochs=3)
    images = x_test[:16] / 255.0
    grads = sal.saliency(model, images, smooth=8)
    drops = sal.occlusion(model, images, patch=4, stride=1)
    overlap = sal.agreement(grads, drops, top=0.1)
    assert overlap.mean() > 0.2   # chance is about 0.1; a tiny MLP trained 3 epochs gives 0.2-0.3
