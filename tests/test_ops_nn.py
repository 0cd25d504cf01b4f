"""keras.ops.nn (glassnet/ops/nn.py): each differentiable op's recorded gradient against
finite differences in float64, its values against Keras 3 (TensorFlow backend) where
installed, and ctc_loss / ctc_decode with Keras's conventions."""

import numpy as np
import pytest

import glassnet as keras
from glassnet import layers, ops
from glassnet.engine.autodiff import Value, backpropagate
from glassnet.gradcheck import numerical_gradient, relative_error

RNG = np.random.default_rng(0)


def normal(*shape):
    return RNG.standard_normal(shape)


def apart(*shape):
    """Values at least 0.05 apart: no ties for the max pools."""
    values = np.linspace(-3.0, 3.0, int(np.prod(shape)))
    return RNG.permutation(values).reshape(shape)


CTC_TARGET, CTC_LENGTHS, CTC_STEPS = np.array([[1, 2, 2], [3, 1, 0]]), np.array([3, 2]), np.array([7, 5])

# name -> (function of the inputs, the inputs): every input gets its gradient checked.
CASES = {
    "conv": (lambda x, k: ops.conv(x, k, strides=2, padding="same"), [normal(2, 5, 6, 3), normal(3, 3, 3, 2)]),
    "conv_1d": (lambda x, k: ops.conv(x, k, padding="same"), [normal(2, 7, 3), normal(3, 3, 2)]),
    "conv_dilated": (lambda x, k: ops.conv(x, k, dilation_rate=2), [normal(1, 6, 6, 2), normal(2, 2, 2, 3)]),
    "depthwise_conv": (lambda x, k: ops.depthwise_conv(x, k, padding="same"), [normal(2, 5, 5, 2), normal(3, 3, 2, 2)]),
    "separable_conv": (lambda x, d, p: ops.separable_conv(x, d, p),
                       [normal(2, 5, 5, 2), normal(3, 3, 2, 2), normal(1, 1, 4, 3)]),
    "conv_transpose": (lambda x, k: ops.conv_transpose(x, k, strides=2, padding="same"),
                       [normal(2, 3, 4, 3), normal(3, 3, 2, 3)]),
    "max_pool": (lambda x: ops.max_pool(x, 2), [apart(2, 4, 6, 2)]),
    "max_pool_same": (lambda x: ops.max_pool(x, 3, 2, "same"), [apart(2, 5, 5, 2)]),
    "average_pool": (lambda x: ops.average_pool(x, 3, 2, "same"), [normal(2, 5, 5, 2)]),
    "average_pool_1d": (lambda x: ops.average_pool(x, 2), [normal(2, 6, 3)]),
    "adaptive_average_pool": (lambda x: ops.adaptive_average_pool(x, (2, 3)), [normal(2, 5, 7, 2)]),
    "adaptive_max_pool": (lambda x: ops.adaptive_max_pool(x, (2, 3)), [apart(2, 5, 7, 2)]),
    "batch_normalization": (lambda x, m, v, o, s: ops.batch_normalization(x, m, v, -1, o, s),
                            [normal(4, 3), normal(3), RNG.uniform(0.5, 2, 3), normal(3), normal(3)]),
    "layer_normalization": (lambda x, g, b: ops.layer_normalization(x, g, b), [normal(4, 5), normal(5), normal(5)]),
    "rms_normalization": (lambda x, s: ops.rms_normalization(x, s), [normal(4, 5), normal(5)]),
    "dot_product_attention": (lambda q, k, v: ops.dot_product_attention(q, k, v, is_causal=True),
                              [normal(2, 4, 2, 3), normal(2, 4, 2, 3), normal(2, 4, 2, 3)]),
    "grouped_query_attention": (lambda q, k, v: ops.dot_product_attention(q, k, v),
                                [normal(1, 3, 4, 2), normal(1, 5, 2, 2), normal(1, 5, 2, 2)]),
    "psnr": (lambda a, b: ops.psnr(a, b, 1.0), [normal(2, 3), normal(2, 3)]),
    "extract_sequences": (lambda x: ops.extract_sequences(x, 4, 3), [normal(2, 11)]),
    "depth_to_space": (lambda x: ops.depth_to_space(x, 2), [normal(1, 2, 3, 8)]),
    "space_to_depth": (lambda x: ops.space_to_depth(x, 2), [normal(1, 4, 2, 3)]),
    "unfold": (lambda x: ops.unfold(x, 2, stride=2), [normal(1, 2, 4, 5)]),
    "unfold_padded_dilated": (lambda x: ops.unfold(x, (2, 3), dilation=(1, 2), padding=1), [normal(2, 2, 4, 5)]),
    "fold": (lambda x: ops.fold(x, (4, 5), 2, stride=1, padding=1), [normal(2, 8, 30)]),
    "ctc_loss": (lambda z: ops.ctc_loss(CTC_TARGET, z, CTC_LENGTHS, CTC_STEPS), [normal(2, 7, 4)]),
    "ctc_loss_last_blank": (lambda z: ops.ctc_loss(CTC_TARGET - 1, z, CTC_LENGTHS, CTC_STEPS, mask_index=-1),
                            [normal(2, 7, 4)]),
}


def gradients(function, arrays):
    """Each input's gradient of sum(function(inputs) * dy): recorded, and by finite differences."""
    values = [Value(a, needs_grad=True) for a in arrays]
    out = function(*values)
    dy = np.random.default_rng(1).standard_normal(out.shape)
    backpropagate(out, dy)

    def f():
        return float(np.sum(function(*[Value(a) for a in arrays]).data * dy))
    return [(v.grad, numerical_gradient(f, a)) for v, a in zip(values, arrays)]


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_op_agrees_with_finite_differences(name):
    function, arrays = CASES[name]
    for recorded, numeric in gradients(function, [a.copy() for a in arrays]):
        assert recorded is not None and recorded.shape == numeric.shape
        assert relative_error(recorded, numeric) < 1e-6, name


def test_a_wrong_backward_is_caught(monkeypatch):
    """The check can fail: a convolution whose kernel gradient is doubled disagrees."""
    from glassnet.ops import nn
    run = nn._run_layer

    def doubled(layer, x, weights):
        out = run(layer, x, weights)
        backward = out.backward
        out.backward = lambda g: [2 * part for part in backward(g)]
        return out
    monkeypatch.setattr(nn, "_run_layer", doubled)
    (dx, dx_numeric), _ = gradients(*CASES["conv"])
    assert relative_error(dx, dx_numeric) > 0.1


def test_ops_nn_and_ops_image_are_modules_and_the_nn_functions_are_ops_own():
    from glassnet.ops import image, nn
    assert keras.ops.nn is nn and keras.ops.image is image and keras.ops.conv is nn.conv
    assert keras.ops.nn.relu is keras.ops.relu
    with pytest.raises(AttributeError, match="no 'conv9d'"):
        keras.ops.nn.conv9d


def test_a_conv_in_a_custom_layer_trains_its_kernel():
    """ops.conv in call(): the kernel, a weight of the layer, gets its gradient from the layer's backward."""
    class MyConv(layers.Layer):
        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(3, 3, input_shape[-1], 4), initializer="glorot_uniform")

        def call(self, x):
            return ops.max_pool(ops.relu(ops.conv(x, self.kernel, padding="same")), 2)

    model = keras.Sequential([keras.Input((8, 8, 1)), MyConv(), layers.Flatten(), layers.Dense(2)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x, y = RNG.standard_normal((16, 8, 8, 1)).astype("float32"), (np.arange(16) % 2)
    before = model.layers[0].get_weights()[0].copy()
    history = model.fit(x, y, epochs=3, verbose=0)
    assert model.output_shape == (None, 2) and not np.allclose(before, model.layers[0].get_weights()[0])
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_ctc_decode_greedy_merges_repeats_drops_blanks_and_pads_with_minus_one():
    path = [1, 1, 0, 1, 2, 2, 0, 0]          # 1 1 - 1 2 2 - -  ->  1 1 2
    logits = np.full((1, 8, 3), -5.0, np.float32)
    logits[0, np.arange(8), path] = 5.0
    decoded, scores = ops.ctc_decode(logits, [8])
    assert decoded.shape == (1, 1, 8) and decoded.dtype == np.int32
    np.testing.assert_array_equal(decoded[0, 0], [1, 1, 2, -1, -1, -1, -1, -1])
    assert scores.shape == (1, 1) and scores[0, 0] == pytest.approx(-40.0)
    decoded, _ = ops.ctc_decode(logits, [3])                 # only the first 3 steps count
    np.testing.assert_array_equal(decoded[0, 0, :2], [1, -1])
    decoded, _ = ops.ctc_decode(logits, [8], merge_repeated=False)
    np.testing.assert_array_equal(decoded[0, 0, :5], [1, 1, 1, 2, 2])
    with pytest.raises(ValueError, match="Invalid strategy"):
        ops.ctc_decode(logits, [8], strategy="best")


def test_ctc_beam_search_finds_the_text_whose_paths_add_up():
    """Greedy reads the single best path; beam search the likeliest text (its paths summed)."""
    p = np.array([[0.4, 0.35, 0.25], [0.4, 0.35, 0.25]])     # blank 0: the best path is "--", the empty text
    logits = np.log(p)[None].astype(np.float32)
    greedy, _ = ops.ctc_decode(logits, [2])
    beam, scores = ops.ctc_decode(logits, [2], strategy="beam_search", beam_width=10, top_paths=2)
    assert beam.shape == (2, 1, 2) and scores.shape == (1, 2)
    np.testing.assert_array_equal(greedy[0, 0], [-1, -1])
    np.testing.assert_array_equal(beam[0, 0], [1, -1])      # "1": 1 1, 1 -, - 1 add up to 0.4025 > 0.16
    assert scores[0, 0] == pytest.approx(np.log(0.4025), abs=1e-5)


@pytest.fixture(scope="module")
def real_keras():
    return pytest.importorskip("keras")


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_op_gives_keras_values(name, real_keras):
    function, arrays = CASES[name]
    mine = function(*[a.astype(np.float32) for a in arrays])
    assert not isinstance(mine, Value)          # arrays in, an array out
    keras_ops = real_keras.ops
    theirs = _keras_function(name, keras_ops)(*[keras_ops.convert_to_tensor(a.astype(np.float32)) for a in arrays])
    np.testing.assert_allclose(mine, np.asarray(theirs), rtol=1e-4, atol=1e-5)


def _keras_function(name, k):
    """The same computation written with Keras's ops (where the names differ from glassnet's)."""
    function, _ = CASES[name]
    code = function.__code__
    namespace = dict(function.__globals__, ops=k)
    return type(function)(code, namespace)


def test_ctc_decode_gives_keras_answers(real_keras):
    logits = normal(3, 9, 5).astype(np.float32)
    lengths = np.array([9, 6, 3])
    for strategy, top in (("greedy", 1), ("beam_search", 3)):
        mine = ops.ctc_decode(logits, lengths, strategy=strategy, top_paths=top)
        theirs = real_keras.ops.ctc_decode(logits, lengths, strategy=strategy, top_paths=top)
        np.testing.assert_array_equal(mine[0], np.asarray(theirs[0]))
        np.testing.assert_allclose(mine[1], np.asarray(theirs[1]), rtol=1e-4)


def test_fold_adds_up_overlapping_windows_and_undoes_unfold_where_they_dont():
    x = normal(2, 3, 4, 6)
    np.testing.assert_allclose(ops.fold(ops.unfold(x, 2, stride=2), (4, 6), 2, stride=2), x)
    ones = ops.fold(np.ones((1, 4, 9)), (4, 4), 2)       # 2x2 windows, stride 1: each pixel counted by its windows
    np.testing.assert_array_equal(ones[0, 0], [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]])


def test_stft_and_istft_give_the_signal_back():
    x = normal(2, 64).astype(np.float32)
    real, imag = ops.stft(x, 16, 4, 16)
    assert real.shape == imag.shape == (2, 17, 9) and real.dtype == np.float32
    back = ops.istft((real, imag), 16, 4, 16, length=64)
    assert back.shape == x.shape     # exact where four frames overlap (TensorFlow's window sums, as Keras's)
    np.testing.assert_allclose(back[:, 4:-4], x[:, 4:-4], atol=1e-5)
    frame = x[0, :16] * (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(16) / 16))      # frame 2 starts at sample 0
    np.testing.assert_allclose(real[0, 2] + 1j * imag[0, 2], np.fft.rfft(frame), atol=1e-5)
    with pytest.raises(ValueError, match="hann"):
        ops.stft(x, 16, 4, 16, window="kaiser")


@pytest.mark.parametrize("arguments", [(16, 8, 16, "hann", True), (10, 4, 16, "hamming", False),
                                       (16, 8, 32, None, True), (8, 3, 8, "hann", True)])
def test_stft_and_istft_give_keras_values(arguments, real_keras):
    length, stride, fft_length, window, center = arguments
    x = normal(2, 50).astype(np.float32)
    mine = ops.stft(x, length, stride, fft_length, window=window, center=center)
    theirs = real_keras.ops.stft(x, length, stride, fft_length, window=window, center=center)
    for a, b in zip(mine, theirs):
        np.testing.assert_allclose(a, np.asarray(b), atol=1e-5)
    for size in (None, 30):
        np.testing.assert_allclose(
            ops.istft(mine, length, stride, fft_length, length=size, window=window, center=center),
            np.asarray(real_keras.ops.istft(theirs, length, stride, fft_length, length=size, window=window,
                                            center=center)), atol=1e-5)


def test_on_placeholders_the_ops_are_steps_of_a_functional_model(tmp_path):
    """ops.image.resize and ops.max_pool on an Input: Operation steps named as Keras names them,
    trained through (their gradient is the recorded one) and saved to .npz."""
    inputs = keras.Input((8, 8, 1))
    x = ops.max_pool(ops.image.resize(inputs, (6, 6)), 2)
    model = keras.Model(inputs, layers.Dense(2)(layers.Flatten()(x)))
    assert [layer.name for layer in model.layers[1:3]] == ["resize", "max_pool"]
    assert tuple(model.layers[1].output.shape) == (None, 6, 6, 1) and tuple(model.layers[2].output.shape) == (None, 3, 3, 1)
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x_train = RNG.standard_normal((8, 8, 8, 1)).astype("float32")
    model.fit(x_train, np.arange(8) % 2, epochs=1, verbose=0)
    model.save(tmp_path / "m.npz")
    again = keras.models.load_model(tmp_path / "m.npz")
    np.testing.assert_allclose(again.predict(x_train, verbose=0), model.predict(x_train, verbose=0), atol=1e-6)


def test_ctc_loss_takes_any_label_as_keras_does_and_a_ctc_layer_with_blank_zero_trains():
    """ops.ctc_loss never refuses a label (TensorFlow's doesn't): one too long for its steps
    costs inf; so a CTC layer with Keras's blank 0 gets through glassnet's shape probe (a
    batch of zero labels) and trains."""
    logits = normal(2, 3, 4).astype(np.float32)
    value = Value(logits, needs_grad=True)
    losses = ops.ctc_loss(np.array([[1, 1, 1], [0, 0, 0]]), value, np.array([3, 1]), np.array([3, 3]))
    assert losses.data[0] == np.inf and np.isfinite(losses.data[1])
    backpropagate(losses, np.ones(2))
    assert not value.grad[0].any() and value.grad[1].any()

    class CTCLayer(layers.Layer):
        def call(self, y_true, y_pred):
            n = ops.shape(y_true)[0]
            loss = ops.ctc_loss(y_true, y_pred, ops.shape(y_true)[1] * ops.ones((n,), "int32"),
                                ops.shape(y_pred)[1] * ops.ones((n,), "int32"))
            self.add_loss(ops.mean(loss))
            return y_pred

    x_in, y_in = keras.Input((12, 4), name="x"), keras.Input((3,), name="y")
    model = keras.Model([x_in, y_in], CTCLayer()(y_in, layers.Dense(5)(x_in)))
    model.compile("adam")
    history = model.fit({"x": normal(16, 12, 4).astype("float32"), "y": RNG.integers(1, 5, (16, 3))},
                        epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
