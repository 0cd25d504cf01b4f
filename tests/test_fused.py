"""Conv2D + MaxPooling2D run together (glassnet.engine.layers.fused) give what the two
layers give one after the other: outputs, weight gradients and input gradients."""

import copy

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from glassnet.engine.layers import (Conv2D, Dense, Flatten, Input, MaxPooling2D, chunks, conv, fused,
                                    winograd)
from glassnet.engine.model import Model, Sequential
from glassnet.gradcheck.checks import check_model

CASES = [  # Conv2D arguments, MaxPooling2D arguments, input shape
    (dict(filters=4, kernel_size=3, activation="relu"), dict(pool_size=2), (9, 8, 1)),       # im2col
    (dict(filters=3, kernel_size=3, strides=2, padding="same"), dict(pool_size=2), (11, 9, 2)),
    (dict(filters=3, kernel_size=(2, 3), activation="relu", use_bias=False), dict(pool_size=(3, 2)),
     (10, 9, 3)),
    (dict(filters=3, kernel_size=2, activation="relu"), dict(pool_size=2), (9, 9, 9)),       # one patch a row
    (dict(filters=5, kernel_size=3, activation="relu"), dict(pool_size=2), (13, 13, 8)),     # Winograd
    (dict(filters=4, kernel_size=3, padding="same", activation="relu"), dict(pool_size=(2, 1)),
     (9, 11, 8)),
    (dict(filters=3, kernel_size=3, use_bias=False), dict(pool_size=(1, 2)), (7, 10, 9)),
    (dict(filters=4, kernel_size=3, padding="same", activation="relu"), dict(pool_size=4), (8, 9, 8)),  # F4
    (dict(filters=3, kernel_size=3, activation="relu"), dict(pool_size=3), (11, 13, 8)),
]
WINOGRAD = [case for case in CASES if case[2][-1] >= 8 and case[0]["kernel_size"] == 3
            and case[0].get("strides", 1) == 1]


def small_model(conv_args, pool_args, shape, dtype="float32", seed=0):
    model = Sequential([Input(shape), Conv2D(**conv_args, dtype=dtype), MaxPooling2D(**pool_args),
                        Flatten(), Dense(3, dtype=dtype)], seed=seed)
    return model


def both_ways(model, x, dy=None, training=True):
    """``[output, input gradient, weight gradients...]`` with and without fusing."""
    results = []
    for fuse in (False, True):
        twin = copy.deepcopy(model)
        fused.FUSE = fuse
        try:
            twin.needs_input_grad = True
            y = twin.forward(x, training=training)
            gradient = np.cos(3 * y) if dy is None else dy
            dx = twin.backward(gradient)
            assert len(fused.pairs(twin._run_steps())) == (1 if fuse else 0)
            results.append([y, dx] + [g.copy() for layer in twin._inner for g in layer.grads.values()])
        finally:
            fused.FUSE = True
    return results


def on_im2col(model):
    """A copy of ``model`` whose convolution runs im2col: no Winograd matrices involved."""
    twin = copy.deepcopy(model)
    twin.layers[0].winograd = None
    return twin


@pytest.mark.parametrize("conv_args, pool_args, shape", CASES)
def test_fused_pair_matches_the_two_layers(conv_args, pool_args, shape):
    model = small_model(conv_args, pool_args, shape, dtype="float64")
    layer = model.layers[0]
    assert (layer.winograd is not None) == (shape[-1] >= conv.WINOGRAD_MIN_CHANNELS
                                            and layer.kernel_size == (3, 3) and layer.strides == (1, 1))
    x = np.random.default_rng(1).standard_normal((5,) + shape)
    for training in (True, False):
        plain, together = both_ways(model, x, training=training)
        for a, b in zip(plain, together):
            np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("conv_args, pool_args, shape", WINOGRAD)
def test_each_tile_size_computes_the_pooled_convolution(conv_args, pool_args, shape, tile):
    """Whatever the tile and the pooling window (a window may straddle two tiles), and
    whether the last tiles stick out past the image or not."""
    model = small_model(conv_args, pool_args, shape, dtype="float64")
    assert model.layers[0].winograd is tile
    x = np.random.default_rng(1).standard_normal((5,) + shape)
    for training in (True, False):
        plain, together = both_ways(model, x, training=training)
        direct = both_ways(on_im2col(model), x, training=training)[1]
        for a, b, c in zip(plain, together, direct):
            np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(b, c, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("conv_args, pool_args, shape", [CASES[0], CASES[4]])
def test_ties_go_to_the_first_input_of_the_window_as_in_max_pooling(conv_args, pool_args, shape,
                                                                    tile):
    """A zero image with a little ink: most windows are all ties (ReLU's zeros, or the
    bias). The gradient still goes where MaxPooling2D sends it.

    With im2col both ways make the same sums, so the ties are exact at any bias and the
    outputs equal bit for bit. Winograd's transforms leave a rounding error of about 1e-7
    on a silent output unless the bias is zero (``Conv2D.exact_zeros``), and the fused pair
    sums in its own order: a nonzero bias would let rounding, differently on each side,
    pick the winner of a tie. So the Winograd convolution keeps a zero bias here."""
    model = small_model(conv_args, pool_args, shape)
    x = np.zeros((4,) + shape, np.float32)
    x[:, 2:5, 3:6] = np.random.default_rng(2).random((4, 3, 3, shape[-1]))
    for layer in model._inner:
        if "bias" in layer.params:
            layer.params["bias"][...] = 0.25           # every silent window ties at the bias
    on_winograd = model.layers[0].winograd is not None
    if on_winograd:
        model.layers[0].params["bias"][...] = 0        # ... exactly 0 here
    plain, together = both_ways(model, x)
    if not on_winograd:
        np.testing.assert_array_equal(together[0], plain[0])
    for a, b in zip(plain, together):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


def test_zero_biases_keep_winograds_exact_zeros(tile):
    """At the start of training (zero biases) the Winograd convolution is exact where the
    input window is all zero; fused with the pooling it must still be."""
    conv_args, pool_args, shape = CASES[4]
    model = small_model(conv_args, pool_args, shape)
    assert model.layers[0].winograd is tile
    x = np.zeros((3,) + shape, np.float32)
    x[:, 4:9, 4:9] = np.random.default_rng(3).random((3, 5, 5, shape[-1]))
    plain, together = both_ways(model, x)
    direct = both_ways(on_im2col(model), x)[1]
    for a, b, c in zip(plain, together, direct):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
        assert np.abs(b - c).max() <= 1e-5 * np.abs(c).max()     # float32 rounding of another sum


@pytest.mark.parametrize("conv_args, pool_args, shape", [CASES[1], CASES[5]])
def test_gradients_of_a_fused_model_match_finite_differences(conv_args, pool_args, shape):
    model = small_model(conv_args, pool_args, shape, seed=4)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(5).standard_normal((3,) + shape)
    assert fused.pairs(model._run_steps())
    report = check_model(model, x, np.array([0, 2, 1]))
    assert report.passed, report


@pytest.mark.parametrize("conv_args, pool_args, shape", [CASES[5], CASES[6]])
def test_gradients_of_a_fused_winograd_model_match_finite_differences(conv_args, pool_args, shape,
                                                                       tile):
    """Either tile size; the last tiles stick out past the image (9x11 and 5x8 outputs)."""
    model = small_model(conv_args, pool_args, shape, seed=4)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    assert model.layers[0].winograd is tile and fused.pairs(model._run_steps())
    x = np.random.default_rng(5).standard_normal((3,) + shape)
    report = check_model(model, x, np.array([0, 2, 1]))
    assert report.passed, report
    # ... and they are the convolution's gradients, not just those of what forward computes
    model = small_model(conv_args, pool_args, shape, dtype="float64", seed=4)
    for a, b in zip(both_ways(model, x)[1], both_ways(on_im2col(model), x)[1]):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_backward_after_an_inference_forward_keeps_what_it_needs(tile):
    for conv_args, pool_args, shape in (CASES[0], CASES[4]):
        model = small_model(conv_args, pool_args, shape, dtype="float64")
        model.needs_input_grad = True
        x = np.random.default_rng(6).standard_normal((3,) + shape)
        grads = []
        for training in (True, False):
            y = model.forward(x, training=training)
            dx = model.backward(np.sin(y))
            grads.append([dx] + [g.copy() for layer in model._inner for g in layer.grads.values()])
        for a, b in zip(*grads):
            np.testing.assert_allclose(a, b, atol=1e-12)


def test_chunks_and_threads_change_nothing(monkeypatch, tile):
    conv_args, pool_args, shape = CASES[4]
    model = small_model(conv_args, pool_args, shape)
    x = np.random.default_rng(7).standard_normal((9,) + shape).astype(np.float32)
    results = []
    for chunk_bytes, threads in [(1, 1), (1, 2)]:
        monkeypatch.setattr(conv, "CHUNK_BYTES", chunk_bytes)
        with threadpool_limits(threads):
            results.append(both_ways(model, x)[1])
    assert chunks.threads() >= 1
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_only_pairs_whose_output_nothing_else_reads_are_fused():
    shape = (10, 10, 8)
    inputs = Input(shape)
    features = Conv2D(4, 3, activation="relu")(inputs)
    pooled = MaxPooling2D()(features)
    side = Flatten()(features)                               # the convolution's output read twice
    model = Model(inputs, [Dense(2)(Flatten()(pooled)), Dense(2)(side)])
    assert not fused.pairs(model._run_steps())
    tanh = Sequential([Input(shape), Conv2D(4, 3, activation="tanh"), MaxPooling2D()])
    assert not fused.pairs(tanh._run_steps())                     # not ReLU: not fused
    overlapping = Sequential([Input(shape), Conv2D(4, 3), MaxPooling2D(3, strides=2)])
    assert not fused.pairs(overlapping._run_steps())             # windows that don't tile
    # Winograd pairs take the tile with the fewest points over the outputs the pooling
    # reads, whatever the Conv2D alone would take.
    for size, pool, alone, together in [(10, 3, winograd.F4, winograd.F6),   # 8x8 outputs, 6x6 read
                                        (13, 2, winograd.F6, winograd.F5),   # 11x11, 10x10 read
                                        (13, 4, winograd.F6, winograd.F4)]:  # 11x11, 8x8 read
        model = Sequential([Input((size, size, 8)), Conv2D(4, 3), MaxPooling2D(pool)])
        pairs = fused.pairs(model._run_steps())
        assert model.layers[0].winograd is alone and len(pairs) == 1
        model.predict(np.ones((1, size, size, 8), np.float32), verbose=0)
        assert pairs[0].tile is together
    plain = Sequential([Input(shape), Conv2D(4, 3), MaxPooling2D()])
    assert len(fused.pairs(plain._run_steps())) == 1
    fused.FUSE = False
    try:
        assert not fused.pairs(plain._run_steps())
    finally:
        fused.FUSE = True


def test_the_default_cnn_runs_both_pairs_fused_and_predicts_the_same():
    from glassnet.workbench import zoo

    model = zoo.get("cnn").build(input_shape=(28, 28, 1), num_classes=10, seed=0)
    assert len(fused.pairs(model._run_steps())) == 2
    x = np.random.default_rng(8).random((6, 28, 28, 1), dtype=np.float32)
    together = model.predict(x, verbose=0)
    fused.FUSE = False
    try:
        plain = model.predict(x, verbose=0)
    finally:
        fused.FUSE = True
    np.testing.assert_allclose(together, plain, rtol=1e-5, atol=1e-7)


hypothesis = pytest.importorskip("hypothesis", reason="hypothesis is not installed (pip install '.[test]')")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=25, deadline=None)
@given(height=st.integers(3, 17), width=st.integers(3, 23), channels=st.integers(8, 10),
       filters=st.integers(1, 5), padding=st.sampled_from(["valid", "same"]),
       pool=st.tuples(st.integers(1, 3), st.integers(1, 3)), batch=st.integers(1, 4),
       tile=st.sampled_from(["F4", "F5", "F6"]))
def test_winograd_alone_and_fused_match_im2col_for_any_shape(height, width, channels, filters, padding,
                                                             pool, batch, tile):
    """Any image size (the last tiles sticking out or not, a single tile, wide images), either
    padding, any tiling pooling window (straddling tiles or not), any tile size: the Conv2D
    alone and fused with its pooling give im2col's outputs and gradients (float64)."""
    conv_args = dict(filters=filters, kernel_size=3, padding=padding, activation="relu")
    out_h, out_w = (height, width) if padding == "same" else (height - 2, width - 2)
    if out_h < pool[0] or out_w < pool[1]:
        return                                           # no whole pooling window
    wg = getattr(winograd, tile)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(conv, "WINOGRAD_TILES", (wg,))
        patch.setattr(fused, "WINOGRAD_TILES", (wg,))
        model = small_model(conv_args, dict(pool_size=pool), (height, width, channels), dtype="float64")
        assert model.layers[0].winograd is wg
        x = np.random.default_rng(height * width).standard_normal((batch, height, width, channels))
        plain, together = both_ways(model, x)
        direct = both_ways(on_im2col(model), x)[0]
    for a, b, c in zip(plain, together, direct):
        np.testing.assert_allclose(a, c, rtol=1e-9, atol=1e-11)
        np.testing.assert_allclose(b, c, rtol=1e-9, atol=1e-11)


def test_a_pooling_window_of_255_numbers_or_more_is_not_fused():
    """The fused pair keeps each window's winner in a byte, with DEAD (255) for outputs
    ReLU zeroed: a 16x16 window (256 offsets) would mistake offset 255 for DEAD, so it runs
    as two layers."""
    model = small_model(dict(filters=2, kernel_size=3, padding="same", activation="relu"), dict(pool_size=16),
                        (16, 16, 1))
    conv_layer, pool = model.layers[0], model.layers[1]
    assert not fused.fusable(conv_layer, pool)
    assert not fused.pairs(model._run_steps())
    smaller = small_model(dict(filters=2, kernel_size=3, padding="same", activation="relu"), dict(pool_size=15),
                          (15, 15, 1))
    assert fused.fusable(smaller.layers[0], smaller.layers[1])    # 225 offsets: one byte holds them


def test_a_dilated_convolution_is_not_fused_and_pools_what_it_computes():
    """The fused pair reads undilated patches; a dilated Conv2D runs on its own, and the model
    gives what the two layers give one after the other."""
    model = small_model(dict(filters=3, kernel_size=3, dilation_rate=2, activation="relu"), dict(pool_size=2),
                        (9, 9, 2), dtype="float64")
    assert not fused.fusable(model.layers[0], model.layers[1])
    assert not fused.pairs(model._run_steps())
    x = np.random.default_rng(0).standard_normal((2, 9, 9, 2))
    conv, pool = model.layers[0], model.layers[1]
    expected = model.layers[3](model.layers[2](pool(conv(x))))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-12)
