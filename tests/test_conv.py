"""Conv2D: gradients, the fast path against the plain loops, shapes, errors, saving."""

import numpy as np
import pytest

from threadpoolctl import threadpool_limits

from glassnet import load_model
from glassnet.engine.layers import Conv2D, Dense, Flatten, conv, winograd
from glassnet.engine.layers.im2col import CACHE_BYTES, col2im, conv2d_reference, im2col, same_padding, tall_inner
from glassnet.engine.model import Sequential
from glassnet.engine.regularizers import l2
from glassnet.errors import ShapeError
from glassnet.gradcheck import check_layer

CASES = [  # (constructor arguments, input shape): strides 1 and 2, valid and same, odd sizes
    (dict(filters=3, kernel_size=3), (7, 5, 2)),
    (dict(filters=2, kernel_size=3, strides=2), (7, 5, 3)),
    (dict(filters=4, kernel_size=(3, 2), padding="same"), (5, 7, 1)),
    (dict(filters=2, kernel_size=3, strides=2, padding="same"), (7, 6, 3)),
    (dict(filters=3, kernel_size=(2, 3), strides=(2, 1), padding="same"), (6, 5, 2)),
    (dict(filters=2, kernel_size=2, strides=3), (7, 7, 2)),          # patches don't overlap
    (dict(filters=2, kernel_size=1), (3, 4, 5)),                      # a 1x1 convolution
    (dict(filters=3, kernel_size=3, activation="tanh", use_bias=False), (5, 5, 2)),
    (dict(filters=2, kernel_size=3, kernel_regularizer=l2(0.1)), (5, 6, 2)),
    (dict(filters=2, kernel_size=3, dilation_rate=2), (7, 6, 2)),    # taps two pixels apart
    (dict(filters=3, kernel_size=(3, 2), dilation_rate=(1, 3), padding="same", strides=2), (6, 7, 9)),
    (dict(filters=2, kernel_size=3, dilation_rate=2, padding="same", activation="relu"), (5, 5, 8)),
]


# 3x3, stride 1, at least WINOGRAD_MIN_CHANNELS input channels: the Winograd path.
WINOGRAD_CASES = [
    (dict(filters=5, kernel_size=3), (7, 6, 8)),                   # odd sizes: tiles stick out
    (dict(filters=3, kernel_size=3, padding="same"), (5, 9, 9)),
    (dict(filters=4, kernel_size=3, activation="relu"), (13, 13, 8)),   # the default CNN's shape
    (dict(filters=2, kernel_size=3, activation="tanh", use_bias=False), (6, 6, 8)),
    (dict(filters=3, kernel_size=3, padding="same", activation="sigmoid"), (4, 3, 10)),
    (dict(filters=2, kernel_size=3, kernel_regularizer=l2(0.1)), (5, 5, 8)),
]


@pytest.mark.parametrize("k, f", [(10, 32), (26, 6), (151, 16)])
def test_the_kernel_gradient_summed_in_blocks_of_rows_is_the_plain_product(k, f):
    """tall_inner sums a.T @ b block of rows by block for thin rows (the first convolution's
    kernel gradient): the same sum as one multiply, the last, shorter block included."""
    rng = np.random.default_rng(5)
    rows = 3 * CACHE_BYTES // ((k + f) * 8) + 77          # three blocks and a bit, in float64
    a, b = rng.standard_normal((rows, k)), rng.standard_normal((rows, f))
    out, work = np.empty((k, f)), np.empty((k, f))
    np.testing.assert_allclose(tall_inner(a, b, out, work), a.T @ b, rtol=1e-12, atol=1e-9)
    transposed = np.asfortranarray(a)                     # patches stored one plane per offset
    np.testing.assert_allclose(tall_inner(transposed, b, out, work), a.T @ b, rtol=1e-12, atol=1e-9)


def test_a_winograd_transform_in_blocks_of_columns_is_the_plain_product():
    """winograd.transform multiplies a wide matrix a block of columns at a time: every
    column, the last, narrower block's included, as one multiply gives it."""
    rng = np.random.default_rng(6)
    L = winograd.F6.BT.T
    x = rng.standard_normal((3, 8, 2 * CACHE_BYTES // (8 * 8) + 1000))      # float64: 2 blocks and a bit
    np.testing.assert_allclose(winograd.transform(L, x), L @ x, rtol=1e-12, atol=1e-12)
    flat = x[0]
    np.testing.assert_allclose(winograd.transform(L, flat, out=np.empty((8, flat.shape[1]))), L @ flat,
                               rtol=1e-12, atol=1e-12)


def test_the_winograd_cases_take_the_winograd_path_and_the_others_do_not():
    for kwargs, shape in WINOGRAD_CASES:
        layer = Conv2D(**kwargs)
        layer.build(shape)
        assert layer.winograd in (winograd.F4, winograd.F6)
    for kwargs, shape in CASES:
        layer = Conv2D(**kwargs)
        layer.build(shape)
        assert layer.winograd is None


@pytest.mark.parametrize("size, expected", [
    ((11, 11), "F6"),      # the default CNN's second layer: 3x3 tiles of 36 points (324), or 2x2 of 64 (256)
    ((12, 10), "F6"),      # 324 against 256
    ((8, 8), "F4"),        # 2x2 tiles either way: 144 against 256
    ((4, 3), "F4"),        # one tile either way
    ((14, 14), "F4"),      # a tie, 4x4 x 36 = 3x3 x 64 = 576: the smaller tile rounds less
    ((6, 30), "F6"),       # 2x8 x 36 = 576 against 1x5 x 64 = 320
])
def test_each_layer_takes_the_tile_with_the_fewest_winograd_points(size, expected):
    layer = Conv2D(4, 3)
    layer.build((size[0] + 2, size[1] + 2, 8))
    assert layer.winograd is getattr(winograd, expected)


def test_the_default_cnns_second_convolution_takes_f6():
    from glassnet.workbench import zoo

    model = zoo.get("cnn").build(input_shape=(28, 28, 1), num_classes=10, seed=0)
    first, second = [layer for layer in model.layers if isinstance(layer, Conv2D)]
    assert first.winograd is None                                   # one input channel: im2col
    assert second.winograd is winograd.F6 and second._tile_counts() == (2, 2)
    x = np.random.default_rng(2).random((2, 13, 13, 32), dtype=np.float32)    # ReLU'd, as there
    expected = conv2d_reference(x.astype(np.float64), second.params["kernel"].astype(np.float64))
    assert np.abs(second(x) - np.maximum(expected, 0)).max() <= 1e-5 * np.abs(expected).max()


@pytest.mark.parametrize("kwargs, shape", WINOGRAD_CASES)
def test_winograd_gradients_match_finite_differences(kwargs, shape, tile):
    # Winograd rounds a little more than the direct sum (its transforms multiply by up to
    # 8 for F(4x4), 32 for F(6x6)), even in float64: central differences with the default
    # step 1e-6 then carry about 1e-6 of rounding noise; a step of 1e-5 keeps both that and
    # the truncation below 1e-7.
    probe = Conv2D(**kwargs)
    probe.build(shape)
    assert probe.winograd is tile
    report = check_layer(Conv2D(**kwargs), shape, batch_size=2, eps=1e-5)
    assert report.passed, report
    # Finite differences show that backward is the gradient of forward, whatever forward
    # computes; that forward is the convolution (and so backward its gradient) shows here.
    x = np.random.default_rng(2).standard_normal((2,) + shape)
    results = []
    for path in (tile, None):                                        # Winograd, then im2col
        layer = Conv2D(**kwargs, dtype="float64")
        layer.build(shape, np.random.default_rng(0))
        layer.winograd, layer.needs_input_grad = path, True
        y = layer.forward(x, training=True)
        dx = layer.backward(np.cos(y))
        results.append([y, dx] + [layer.grads[k].copy() for k in sorted(layer.grads)])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("kwargs, shape", WINOGRAD_CASES)
def test_winograd_matches_the_reference_in_float64_and_float32(kwargs, shape, tile):
    kwargs = {**kwargs, "activation": None}
    x = np.random.default_rng(1).standard_normal((3,) + shape)
    layer = Conv2D(**kwargs, dtype="float64")
    y = layer(x)
    assert layer.winograd is tile
    bias = layer.params.get("bias")
    expected = conv2d_reference(x, layer.params["kernel"], bias, layer.strides, layer.padding)
    np.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-12)
    single = Conv2D(**kwargs)
    single.build(shape)
    single.set_weights(layer.get_weights())
    y32 = single(x.astype(np.float32))
    assert y32.dtype == np.float32
    assert np.abs(y32 - expected).max() <= 1e-5 * np.abs(expected).max()


def test_winograd_is_exact_where_the_input_window_is_all_zero(monkeypatch, tile):
    """MNIST's background and dead ReLUs are exact zeros. Where a whole 3x3 window is zero
    the output must be the bias exactly, as the direct sum gives it: Winograd's rounding
    (about 1e-7 next to ink) would otherwise switch on ReLUs whose bias is still zero, and
    send gradient into the bias that the direct convolution (and Keras) never sends."""
    rng = np.random.default_rng(3)
    x = np.zeros((6, 13, 13, 16), np.float32)
    x[:, 3:8, 4:9] = rng.random((6, 5, 5, 16))                      # ink in the middle only
    dy = rng.standard_normal((6, 13, 13, 32)).astype(np.float32)
    layers = {}
    for name, minimum in (("winograd", conv.WINOGRAD_MIN_CHANNELS), ("direct", 10 ** 9)):
        monkeypatch.setattr(conv, "WINOGRAD_MIN_CHANNELS", minimum)
        layer = Conv2D(32, 3, padding="same", activation="relu")
        layer.build((13, 13, 16), np.random.default_rng(0))          # zero biases, as at the start
        layer.forward(x, training=True)
        layer.backward(dy)
        layers[name] = layer
    assert layers["winograd"].winograd is tile and layers["direct"].winograd is None
    fast, direct = layers["winograd"], layers["direct"]
    background = fast.y == 0
    assert background[:, 0].all() and background[:, :, -1].all()    # far from the ink: 0 exactly
    np.testing.assert_array_equal(fast.y > 0, direct.y > 0)          # the same units are active
    np.testing.assert_allclose(fast.grads["bias"], direct.grads["bias"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fast.grads["kernel"], direct.grads["kernel"], rtol=1e-4, atol=1e-4)


def test_winograd_tiles_compute_a_3x3_convolution():
    """Every tile size, on one channel: ``A^T [(G g G^T) * (B^T d B)] A`` is the direct sum."""
    rng = np.random.default_rng(11)
    for wg in (winograd.F2, winograd.F4, winograd.F5, winograd.F6):
        assert (wg.BT.shape, wg.G.shape, wg.AT.shape) == ((wg.size, wg.size), (wg.size, 3), (wg.m, wg.size))
        np.testing.assert_array_equal(wg.AT[:, winograd.BIAS_POINT], 1)   # every output sees the bias once
        d = rng.standard_normal((wg.size, wg.size))                 # one input tile
        g = rng.standard_normal((3, 3))
        u = winograd.sandwich(wg.G, g)                               # G g G^T
        v = winograd.sandwich(wg.BT, d)                              # B^T d B
        y = winograd.sandwich(wg.AT, u * v)                          # A^T (U * V) A
        direct = [[np.sum(d[i:i + 3, j:j + 3] * g) for j in range(wg.m)] for i in range(wg.m)]
        np.testing.assert_allclose(y, direct, atol=1e-12)


def test_toom_cook_makes_the_f4_matrices_written_out():
    """The construction that makes F(6x6) gives exactly the F(4x4) written out by hand."""
    made = winograd.toom_cook(4, (0, 1, -1, 2, -2))
    for name in ("BT", "G", "AT"):
        np.testing.assert_array_equal(getattr(made, name), getattr(winograd.F4, name))


@pytest.mark.parametrize("kwargs, shape", [WINOGRAD_CASES[2], CASES[3], CASES[0]])
def test_chunks_and_threads_change_nothing(kwargs, shape, monkeypatch, tile):
    """Chunks of 1 image or of the whole batch, on one thread or two: the same numbers,
    and with the same chunks, the same bits on one thread as on two."""
    rng = np.random.default_rng(12)
    x = rng.standard_normal((7,) + shape).astype(np.float32)
    results = []
    for chunk_bytes, threads in [(1, 1), (1 << 30, 1), (1, 2)]:
        monkeypatch.setattr(conv, "CHUNK_BYTES", chunk_bytes)
        layer = Conv2D(**kwargs)
        layer.build(shape, np.random.default_rng(0))
        layer.needs_input_grad = True
        with threadpool_limits(threads):
            y = layer.forward(x, training=True)
            dx = layer.backward(np.cos(y))
        results.append([y, dx] + [layer.grads[k].copy() for k in sorted(layer.grads)])
    for a, b in zip(results[0], results[1]):  # float32 sums in another order: rounding only
        assert np.abs(a - b).max() <= 1e-5 * np.abs(b).max()
    for a, b in zip(results[0], results[2]):  # chunks of one image on one thread and on two
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kwargs, shape", [WINOGRAD_CASES[0], CASES[1]])
def test_backward_after_an_inference_forward_makes_what_it_needs(kwargs, shape, tile):
    """Inference keeps no patches; a backward pass after it (a saliency map, say) makes them
    again and gets the same gradients as after a training forward."""
    rng = np.random.default_rng(13)
    x = rng.standard_normal((3,) + shape)
    grads = []
    for training in (True, False):
        layer = Conv2D(**kwargs, dtype="float64")
        layer.build(shape, np.random.default_rng(0))
        layer.needs_input_grad = True
        y = layer.forward(x, training=training)
        dx = layer.backward(np.sin(y))
        grads.append([dx] + [layer.grads[k].copy() for k in sorted(layer.grads)])
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_each_forward_returns_a_new_array():
    """The output is never a reused buffer: a caller may keep it (predict keeps every batch's)."""
    for shape in [(6, 6, 1), (6, 6, 8)]:                             # im2col, Winograd
        layer = Conv2D(2, 3, activation="relu")
        x = np.random.default_rng(14).standard_normal((2,) + shape).astype(np.float32)
        first = layer(x)
        kept = first.copy()
        layer(-x)
        np.testing.assert_array_equal(first, kept)


@pytest.mark.parametrize("kwargs, shape", CASES)
def test_gradients_match_finite_differences(kwargs, shape):
    report = check_layer(Conv2D(**kwargs), shape, batch_size=2)
    assert report.passed, report


@pytest.mark.parametrize("kwargs, shape", CASES)
def test_fast_path_matches_the_reference_loops(kwargs, shape):
    layer = Conv2D(**{**kwargs, "activation": None}, dtype="float64")
    x = np.random.default_rng(1).standard_normal((3,) + shape)
    y = layer(x)
    bias = layer.params.get("bias")
    expected = conv2d_reference(x, layer.params["kernel"], bias, layer.strides, layer.padding,
                                layer.dilation_rate)
    assert y.shape == expected.shape == (3,) + layer.output_shape(shape)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


def test_im2col_and_col2im_are_adjoint():
    """<im2col(x), p> == <x, col2im(p)>: col2im sends each patch value back where it came from."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 7, 6, 3))
    for strides, dilation in [((1, 1), (1, 1)), ((2, 2), (1, 1)), ((2, 3), (1, 1)), ((1, 1), (2, 2)),
                              ((2, 1), (1, 2))]:
        cols = im2col(x, (3, 2), strides, dilation=dilation)     # (N, OH, OW, KH, KW, C)
        pages = rng.standard_normal(cols.shape[3:5] + cols.shape[:3] + cols.shape[5:])
        back = col2im(pages, x.shape[1:], strides, dilation=dilation)   # (N, H, W, C)
        np.testing.assert_allclose(np.sum(cols * pages.transpose(2, 3, 4, 0, 1, 5)),
                                   np.sum(x * back))


def test_same_padding_keeps_the_size_and_matches_keras():
    assert same_padding(28, 3, 1) == (1, 1)
    assert same_padding(28, 4, 1) == (1, 2)      # the odd one goes after, as in TensorFlow
    assert same_padding(7, 3, 2) == (1, 1)
    layer = Conv2D(4, 5, padding="same")
    assert layer.output_shape((28, 28, 1)) == (28, 28, 4)
    assert Conv2D(4, 3, strides=2, padding="same").output_shape((7, 7, 1)) == (4, 4, 4)


def test_float32_in_float32_out_and_keras_weight_shapes():
    layer = Conv2D(8, 3, activation="relu", input_shape=(6, 6, 2))
    y = layer(np.ones((4, 6, 6, 2), np.float32))
    assert y.dtype == np.float32 and y.shape == (4, 4, 4, 8)
    assert layer.params["kernel"].shape == (3, 3, 2, 8) and layer.params["bias"].shape == (8,)
    assert layer.count_params() == 3 * 3 * 2 * 8 + 8


def test_backward_leaves_dy_alone_and_first_layer_skips_dx():
    layer = Conv2D(2, 3, activation="relu")
    x = np.random.default_rng(3).standard_normal((2, 5, 5, 1)).astype(np.float32)
    dy = np.random.default_rng(4).standard_normal((2, 3, 3, 2)).astype(np.float32)
    layer(x)
    kept = dy.copy()
    assert layer.backward(dy).shape == x.shape
    np.testing.assert_array_equal(dy, kept)
    layer.needs_input_grad = False
    assert layer.backward(dy) is None


def test_batches_of_different_sizes_reuse_nothing_stale():
    """Work arrays are kept between batches; a smaller last batch must not see old data."""
    layer = Conv2D(3, 3, padding="same")
    rng = np.random.default_rng(5)
    big, small = rng.standard_normal((5, 6, 6, 2)), rng.standard_normal((2, 6, 6, 2))
    layer.dtype = np.dtype("float64")
    layer(big)
    y_small = layer(small)
    expected = conv2d_reference(small, layer.params["kernel"], layer.params["bias"], 1, "same")
    np.testing.assert_allclose(y_small, expected, atol=1e-12)


@pytest.mark.parametrize("kwargs, message", [
    (dict(filters=0, kernel_size=3), "filters must be a positive integer, got 0"),
    (dict(filters=2, kernel_size=(3,)), "kernel_size must be"),
    (dict(filters=2, kernel_size=3, strides=0), "strides must be"),
    (dict(filters=2, kernel_size=3, padding="full"), "padding must be 'valid' or 'same', got 'full'"),
    (dict(filters=2, kernel_size=3, activation="swoosh"), "unknown activation 'swoosh'"),
])
def test_bad_arguments_say_what_they_got(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Conv2D(**kwargs)


def test_shape_errors_name_the_layer_and_both_shapes():
    with pytest.raises(ShapeError, match=r"'conv'.*\('batch', 28, 28\).*input_shape=\(28, 28, 1\)"):
        Conv2D(2, 3, name="conv").build((28, 28))
    with pytest.raises(ShapeError, match="doesn't fit"):
        Conv2D(2, 5, name="conv").build((3, 3, 1))
    layer = Conv2D(2, 3, name="conv")
    layer.build((8, 8, 1))
    with pytest.raises(ShapeError, match=r"'conv' expects input of shape \('batch', 8, 8, 1\) "
                                         r"but got \(2, 8, 8, 3\)"):
        layer.forward(np.zeros((2, 8, 8, 3), np.float32))


def test_model_takes_digits_without_a_channel_axis_and_rejects_other_shapes():
    model = Sequential([Conv2D(2, 3, input_shape=(8, 8, 1)), Flatten(), Dense(3, activation="softmax")],
                       seed=0)
    x = np.random.default_rng(6).random((4, 8, 8)).astype(np.float32)
    np.testing.assert_array_equal(model.predict(x), model.predict(x[..., np.newaxis]))
    with pytest.raises(ShapeError, match=r"\(None, 8, 8, 1\) but got \(4, 8, 8, 3\)"):
        model.predict(np.zeros((4, 8, 8, 3)))


def test_config_round_trip_and_save_load(tmp_path):
    layer = Conv2D(4, (3, 2), strides=2, padding="same", activation="relu", use_bias=False,
                   kernel_initializer="he_normal", kernel_regularizer=l2(1e-4))
    clone = Conv2D.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    model = Sequential([Conv2D(3, 3, activation="relu", input_shape=(9, 9, 1)), layer,
                        Flatten(), Dense(2, activation="softmax")], seed=1)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x = np.random.default_rng(7).random((6, 9, 9, 1)).astype(np.float32)
    model.fit(x, np.arange(6) % 2, epochs=1, batch_size=3, verbose=0)
    model.save(tmp_path / "conv.npz")
    np.testing.assert_array_equal(load_model(tmp_path / "conv.npz").predict(x), model.predict(x))


def test_agrees_with_pytorch_where_it_is_installed():
    """Forward and every gradient against torch's conv2d (channels-first, so transposed)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    for strides, padding, dilation in [(1, "same", 1), (2, "valid", 1), ((2, 1), "valid", 1), (1, "same", 2),
                                       ((1, 2), "valid", (2, 1))]:
        layer = Conv2D(4, 3, strides=strides, padding=padding, dilation_rate=dilation, dtype="float64")
        x = rng.standard_normal((2, 7, 6, 3))
        y = layer(x)
        dy = rng.standard_normal(y.shape)
        dx = layer.backward(dy)
        tx = torch.tensor(x.transpose(0, 3, 1, 2), requires_grad=True)          # NCHW
        tk = torch.tensor(layer.params["kernel"].transpose(3, 2, 0, 1), requires_grad=True)
        tb = torch.tensor(layer.params["bias"], requires_grad=True)
        ty = torch.nn.functional.conv2d(tx, tk, tb, stride=layer.strides, dilation=layer.dilation_rate,
                                        padding="same" if padding == "same" else 0)
        ty.backward(torch.tensor(dy.transpose(0, 3, 1, 2)))
        np.testing.assert_allclose(y, ty.detach().numpy().transpose(0, 2, 3, 1), atol=1e-12)
        np.testing.assert_allclose(dx, tx.grad.numpy().transpose(0, 2, 3, 1), atol=1e-12)
        np.testing.assert_allclose(layer.grads["kernel"], tk.grad.numpy().transpose(2, 3, 1, 0),
                                   atol=1e-12)
        np.testing.assert_allclose(layer.grads["bias"], tb.grad.numpy(), atol=1e-12)


def test_chunks_cover_the_batch_the_same_way_on_any_number_of_threads():
    from glassnet.engine.layers import chunks
    for threads in (1, 2, 3):
        seen = []
        with threadpool_limits(threads):
            workers = chunks.run(10, 3, lambda worker, lo, hi: seen.append((lo, hi, worker)))
        assert sorted((lo, hi) for lo, hi, _ in seen) == [(0, 3), (3, 6), (6, 9), (9, 10)]
        assert 1 <= workers <= threads
        assert {worker for _, _, worker in seen} <= set(range(workers))


def test_an_error_in_a_worker_thread_reaches_the_caller():
    from glassnet.engine.layers import chunks

    def work(worker, lo, hi):
        if lo == 3:
            raise ValueError("chunk 3 failed")

    with threadpool_limits(2), pytest.raises(ValueError, match="chunk 3 failed"):
        chunks.run(6, 3, work)


def test_hold_blas_keeps_blas_at_one_thread_and_the_layers_on_all(numpy_blas_threads):
    from glassnet.engine.layers import chunks

    blas_threads = numpy_blas_threads
    with threadpool_limits(2):
        with chunks.hold_blas():
            assert blas_threads() == 1 and chunks.threads() == 2
            seen = []
            assert chunks.run(4, 1, lambda worker, lo, hi: seen.append(worker)) == 2
            assert blas_threads() == 1 and set(seen) <= {0, 1}
        assert blas_threads() == 2 and chunks.threads() == 2


def test_every_thread_that_runs_layers_warms_blas_once(numpy_blas_threads, monkeypatch):
    """warm_blas: one large multiply per thread, before that thread's first layer work
    (hold_blas's thread and each helper of run), and never again in the same thread."""
    import threading

    from glassnet.engine.layers import chunks

    monkeypatch.setattr(chunks, "_warm_threads", set())
    monkeypatch.setattr(chunks, "WARM_SIZE", 8)
    warmed = []
    warm = chunks.warm_blas
    monkeypatch.setattr(chunks, "warm_blas", lambda: warmed.append(threading.get_ident()) or warm())
    with threadpool_limits(2):
        for _ in range(3):
            with chunks.hold_blas():
                chunks.run(8, 1, lambda worker, lo, hi: None)
    assert threading.get_ident() in chunks._warm_threads
    assert 2 <= len(chunks._warm_threads) <= 1 + chunks._pool_size   # this thread and the helper(s)
    assert len(warmed) > len(chunks._warm_threads)   # asked again and again, warmed once each


@pytest.mark.parametrize("wg, tiles_down, tiles_across", [(winograd.F4, 3, 2), (winograd.F5, 2, 2),
                                                          (winograd.F6, 1, 2), (winograd.F6, 2, 7)])
def test_transforms_straight_from_an_image_laid_out_rows_first(wg, tiles_down, tiles_across):
    """The fused pair's transforms, window by window, against cutting every window out and
    applying ``sandwich``: the input transform (overlapping windows), the output transform
    (side by side), and the way back of each (overlaps added up)."""
    rng = np.random.default_rng(wg.m)
    a, m, counts, rest = wg.size, wg.m, (tiles_down, tiles_across), (3, 4)   # rest: (images, channels)
    image = rng.standard_normal((m * tiles_down + 2, m * tiles_across + 2) + rest)

    def cut(image, size):                   # every size x size window, one every m pixels
        return np.stack([np.stack([image[t * m:t * m + size, s * m:s * m + size]
                                   for s in range(tiles_across)], axis=2) for t in range(tiles_down)], axis=2)

    def paste(tiles, shape):                # the way back: windows added up where they overlap
        out = np.zeros(shape)
        for t in range(tiles_down):
            for s in range(tiles_across):
                out[t * m:t * m + len(tiles), s * m:s * m + len(tiles)] += tiles[:, :, t, s]
        return out

    for L, size, back in [(wg.BT, a, wg.BT.T), (wg.AT.T, m, wg.AT)]:      # input, then output side
        p = len(L)
        got = winograd.windows_to_points(L, image, m, counts, out=np.full((p, p) + counts + rest, np.nan),
                                         half=np.full((p, tiles_down) + image.shape[1:], np.nan),
                                         work=np.full((p, size) + counts + rest, np.nan))
        np.testing.assert_allclose(got, winograd.sandwich(L, cut(image, size)), rtol=1e-12, atol=1e-12)
        shape = (m * tiles_down + size - m, m * tiles_across + size - m) + rest
        out = np.full(shape, np.nan)        # stale numbers: every pixel must be written
        got = winograd.points_to_windows(back, got, m, out=out, half=np.full((size, p) + counts + rest, np.nan),
                                         work=np.full((size, size) + counts + rest, np.nan))
        np.testing.assert_allclose(got, paste(winograd.sandwich(back, winograd.sandwich(L, cut(image, size))), shape),
                                   rtol=1e-12, atol=1e-12)
