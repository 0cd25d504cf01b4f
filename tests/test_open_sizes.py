"""Sizes left open: ``Input(shape=(None,))`` takes sequences of any length.

Every catalogued layer is called on an input whose sizes (all but the features) are left
open. Either it refuses in one line when the graph is drawn (Conv2D needs an image's height
and width), or the one model it makes runs on inputs of several lengths and gives, for
each, the outputs and gradients of the same layer built for exactly that length.
"""

import copy

import numpy as np
import pytest

import glassnet
from glassnet import layers
from glassnet.engine.model import Model, Sequential
from glassnet.errors import DataError, ShapeError
from glassnet.gradcheck import components

# Layers that must keep working on open sizes (a regression that refuses them fails here):
# sequences of any length, and images of any size for the convolutions and poolings.
SEQUENCE_LAYERS = {"Dense", "Embedding", "SimpleRNN", "LSTM", "GRU", "Bidirectional", "TimeDistributed",
                   "Conv1D", "MaxPooling1D", "AveragePooling1D", "GlobalAveragePooling1D", "GlobalMaxPooling1D",
                   "Attention", "MultiHeadAttention", "Add", "Multiply", "Concatenate", "LayerNormalization",
                   "BatchNormalization", "ZeroPadding1D", "Cropping1D", "UpSampling1D", "Dropout", "Activation",
                   "GlobalAveragePooling2D", "ZeroPadding2D", "UpSampling2D", "Conv2D", "MaxPooling2D",
                   "AveragePooling2D", "Reshape", "DepthwiseConv2D", "SeparableConv2D",
                   "Conv2DTranspose"}
# Layers that need every size: refused in one line when the graph is drawn.
NEEDS_EVERY_SIZE = {"Flatten"}


def _catalogue():
    """(layer, input shape, batch size, training) for each catalogued layer whose input has
    an axis besides the features, as glassnet's gradient-check catalogue builds them."""
    entries = []
    original = components.check_layer
    components.check_layer = lambda layer, shape, batch_size=4, x=None, training=True: entries.append(
        (layer, shape, batch_size))
    try:
        for check in components._layer_checks():
            check.run()
    finally:
        components.check_layer = original
    several = lambda shape: isinstance(shape, list)               # noqa: E731
    return [(layer, shape, batch) for layer, shape, batch in entries
            if type(layer).__name__ != "InputLayer"
            and all(len(s) >= 2 for s in (shape if several(shape) else [shape]))]


CATALOGUE = _catalogue()


def _open(shape):
    """Every size but the last (the features) left open."""
    if isinstance(shape, list):
        return [_open(s) for s in shape]
    return (None,) * (len(shape) - 1) + (shape[-1],)


def _longer(shape, k):
    if isinstance(shape, list):
        return [_longer(s, k) for s in shape]
    return tuple(d + k for d in shape[:-1]) + (shape[-1],)


def _model(layer, shape, seed=0):
    """``Input -> linear Activation -> layer``: the Activation makes the layer pass on ``dx``."""
    several = isinstance(shape, list)
    inputs = [glassnet.Input(shape=s) for s in shape] if several else glassnet.Input(shape=shape)
    first = [layers.Activation("linear")(i) for i in inputs] if several else layers.Activation("linear")(inputs)
    model = Model(inputs, layer(first), seed=seed)
    model.needs_input_grad = True
    for inner in model.layers:
        inner.needs_input_grad = True
    return model


def _data(layer, shape, batch, seed):
    rng = np.random.default_rng(seed)
    if isinstance(shape, list):
        return [rng.standard_normal((batch,) + s).astype(np.float32) for s in shape]
    x = rng.standard_normal((batch,) + shape)
    if type(layer).__name__ == "Embedding":
        x = np.abs(x * 3).astype(int) % layer.input_dim
    return x.astype(np.float32)


@pytest.mark.parametrize("layer, shape, batch", CATALOGUE,
                         ids=[f"{type(l).__name__}-{s}" for l, s, _ in CATALOGUE])
def test_a_layer_on_open_sizes_refuses_in_one_line_or_matches_the_layer_built_for_each_length(layer, shape, batch):
    name = type(layer).__name__
    inner = type(getattr(layer, "layer", None)).__name__      # a wrapper: the layer it wraps
    try:
        model = _model(copy.deepcopy(layer), _open(shape))
    except ShapeError as error:
        assert name not in SEQUENCE_LAYERS or inner in NEEDS_EVERY_SIZE, f"{name} should take open sizes: {error}"
        assert "\n" not in str(error) and "None" in str(error)
        return
    assert name not in NEEDS_EVERY_SIZE, f"{name} was built on open sizes {_open(shape)}"
    broadcasts = isinstance(shape, list) and len({len(s) for s in shape} | {tuple(s) for s in shape}) > 2
    for k in ((0,) if broadcasts else (0, 2, 3)):        # shapes that broadcast only at their own sizes
        concrete = _longer(shape, k)
        fixed = _model(copy.deepcopy(layer), concrete)
        fixed.set_weights(model.get_weights())
        x = _data(layer, concrete, batch, seed=k)
        y, y_fixed = model.forward(x, training=False), fixed.forward(x, training=False)
        np.testing.assert_allclose(y, y_fixed, rtol=1e-5, atol=1e-6, err_msg=f"{name} at {concrete}")
        dy = np.random.default_rng(9).standard_normal(np.shape(y)).astype(np.float32)
        dx, dx_fixed = model.backward(dy), fixed.backward(dy)
        for a, b in zip(dx if isinstance(dx, list) else [dx], dx_fixed if isinstance(dx_fixed, list) else [dx_fixed]):
            if name != "Embedding":                  # word numbers have no gradient
                np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5, err_msg=f"{name} dx at {concrete}")
        for open_layer, fixed_layer in zip(model.layers, fixed.layers):
            for key, grad in open_layer.grads.items():
                np.testing.assert_allclose(grad, fixed_layer.grads[key], rtol=1e-4, atol=1e-5,
                                           err_msg=f"{name} d{key} at {concrete}")


def test_every_sequence_layer_and_every_image_layer_is_in_the_catalogue_run_above():
    names = {type(layer).__name__ for layer, _, _ in CATALOGUE}
    assert SEQUENCE_LAYERS - {"Dropout", "Activation"} <= names and NEEDS_EVERY_SIZE <= names


def _ticket_model():
    """keras.io's Functional API guide: titles and bodies of any length, and tags."""
    title = glassnet.Input(shape=(None,), name="title")
    body = glassnet.Input(shape=(None,), name="body")
    tags = glassnet.Input(shape=(12,), name="tags")
    t = layers.LSTM(8)(layers.Embedding(100, 6)(title))
    b = layers.LSTM(4)(layers.Embedding(100, 6)(body))
    x = layers.concatenate([t, b, tags])
    outputs = {"priority": layers.Dense(1, name="priority")(x),
               "department": layers.Dense(4, name="department")(x)}
    return Model([title, body, tags], outputs, seed=0)


def test_a_layer_wrapped_in_time_distributed_needs_only_its_own_sizes():
    inputs = glassnet.Input(shape=(None, 5, 5, 1))
    model = Model(inputs, layers.TimeDistributed(layers.Conv2D(2, 3))(inputs), seed=0)
    assert model.output_shape == (None, None, 3, 3, 2)
    for steps in (2, 7):
        assert model.predict(np.ones((3, steps, 5, 5, 1)), verbose=0).shape == (3, steps, 3, 3, 2)


def test_the_functional_guides_model_trains_on_one_length_and_predicts_on_others():
    model = _ticket_model()
    assert model.input_shape == [(None, None), (None, None), (None, 12)]
    assert model.count_params() == 600 + 4 * 8 * (6 + 8 + 1) + 600 + 4 * 4 * (6 + 4 + 1) + 25 + 100
    model.compile("rmsprop", loss={"priority": glassnet.losses.BinaryCrossentropy(from_logits=True),
                                   "department": glassnet.losses.CategoricalCrossentropy(from_logits=True)})
    rng = np.random.default_rng(0)
    x = {"title": rng.integers(0, 100, (64, 10)), "body": rng.integers(0, 100, (64, 30)),
         "tags": rng.integers(0, 2, (64, 12)).astype(np.float32)}
    y = {"priority": rng.random((64, 1)), "department": np.eye(4)[rng.integers(0, 4, 64)]}
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert set(history.history) == {"loss", "priority_loss", "department_loss"}
    short = {"title": x["title"][:3, :4], "body": x["body"][:3, :17], "tags": x["tags"][:3]}
    out = model.predict(short, verbose=0)
    assert out["priority"].shape == (3, 1) and out["department"].shape == (3, 4)
    with pytest.raises(ShapeError, match=r"expects input of shape \(None, 12\) but got \(3, 11\)"):
        model.predict({**short, "tags": x["tags"][:3, :11]}, verbose=0)


def test_a_model_with_open_sizes_is_saved_and_loaded_with_them_open(tmp_path):
    model = _ticket_model()
    x = [np.arange(6).reshape(2, 3) % 100, np.arange(14).reshape(2, 7), np.ones((2, 12), np.float32)]
    for path in (tmp_path / "m.keras", tmp_path / "m.npz"):
        model.save(path)
        loaded = glassnet.models.load_model(path)
        assert loaded.input_shape == model.input_shape
        ours, theirs = model.predict(x, verbose=0), loaded.predict(x, verbose=0)
        assert list(theirs) == ["priority", "department"]          # a dict still, by the keys given
        for name in ours:
            np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-6)
    seq = Sequential([glassnet.Input(shape=(None, 3)), layers.GRU(4), layers.Dense(2)], seed=0)
    seq.save(tmp_path / "s.npz")
    assert glassnet.models.load_model(tmp_path / "s.npz").input_shape == (None, None, 3)


def test_a_custom_layer_whose_call_computes_finds_which_output_sizes_stay_open():
    """keras.io's position embedding adds ``pos_emb(ops.arange(length))``: the length is
    whatever the batch has."""
    from glassnet import ops

    class PositionEmbedding(layers.Layer):
        def __init__(self, maxlen, vocab, dim):
            super().__init__()
            self.tokens, self.positions = layers.Embedding(vocab, dim), layers.Embedding(maxlen, dim)

        def call(self, x):
            return self.tokens(x) + self.positions(ops.arange(0, ops.shape(x)[-1]))

    inputs = glassnet.Input(shape=(None,))
    embedded = PositionEmbedding(20, 30, 4)(inputs)
    assert embedded.shape == (None, None, 4)
    model = Model(inputs, layers.GlobalAveragePooling1D()(embedded), seed=0)
    for steps in (3, 11):
        x = np.full((2, steps), 5)
        expected = model.get_weights()[0][5] + model.get_weights()[1][:steps].mean(axis=0)
        np.testing.assert_allclose(model.predict(x, verbose=0), np.tile(expected, (2, 1)), rtol=1e-5)


def test_sizes_that_must_agree_are_checked_on_each_batch_in_one_line():
    a, b = glassnet.Input(shape=(None, 2)), glassnet.Input(shape=(None, 2))
    model = Model([a, b], layers.Add()([a, b]))
    assert model.predict([np.ones((1, 3, 2)), np.ones((1, 3, 2))], verbose=0).shape == (1, 3, 2)
    with pytest.raises(ShapeError, match=r"layer 'add' \(Add\) needs inputs of one shape .* got \(None, 3, 2\), "
                                         r"\(None, 5, 2\)"):
        model.predict([np.ones((1, 3, 2)), np.ones((1, 5, 2))], verbose=0)
    short = Model(a, layers.Conv1D(2, 5)(a))
    with pytest.raises(ShapeError, match=r"a window of 5 steps doesn't fit in 3 steps"):
        short.predict(np.ones((1, 3, 2)), verbose=0)
    with pytest.raises(ShapeError, match=r"layer 'flatten' \(Flatten\) can't take inputs of shape "
                                         r"\(None, None, 2\): it needs the sizes left open \(None\) known"):
        layers.Flatten(name="flatten")(a)


@pytest.mark.parametrize("shape", [(0,), (-3,), ("a",), (2.5,), (True,)])
def test_an_input_shape_still_holds_only_sizes_or_none(shape):
    with pytest.raises(ValueError, match=r"positive whole numbers \(or None for a size left open\)"):
        glassnet.Input(shape=shape)


def test_data_for_an_open_model_is_still_checked():
    model = Sequential([glassnet.Input(shape=(None, 3)), layers.LSTM(2)])
    with pytest.raises(DataError, match="NaN"):
        model.predict(np.full((1, 4, 3), np.nan), verbose=0)
    with pytest.raises(ShapeError, match=r"expects input of shape \(None, None, 3\) but got \(1, 4\)"):
        model.predict(np.ones((1, 4)), verbose=0)


def test_an_onnx_file_of_a_model_with_open_lengths_runs_at_every_length(tmp_path):
    pytest.importorskip("onnx", reason="the ONNX export needs onnx")
    pytest.importorskip("onnxruntime", reason="ONNX Runtime runs the exported file")
    from glassnet.interop.onnx_export import largest_difference

    inputs = glassnet.Input(shape=(None, 3))
    x = layers.Conv1D(4, 3, strides=2, padding="same", activation="relu")(inputs)    # padding depends on length
    x = layers.AveragePooling1D(3, strides=2, padding="same")(x)
    x = layers.Cropping1D((1, 0))(x)
    x = layers.Reshape((-1, 4))(x)                                                      # the open size at -1
    x = layers.MultiHeadAttention(2, 3)(x, x, use_causal_mask=True)                  # mask made per length
    x = layers.Bidirectional(layers.GRU(2, return_sequences=True))(x)
    model = Model(inputs, layers.GlobalMaxPooling1D()(x), seed=0)
    model.export(tmp_path / "m.onnx", format="onnx")
    rng = np.random.default_rng(0)
    for steps in (9, 16, 23):
        assert largest_difference(model, tmp_path / "m.onnx", rng.standard_normal((2, steps, 3))) < 1e-5


def _fully_convolutional(shape):
    """A CNN for images of any size: Conv2D (the second one on Winograd's path), max pooling
    (fused with a convolution where the size is known), "same" average pooling, a global pool."""
    inputs = glassnet.Input(shape=shape)
    x = layers.Conv2D(8, 3, activation="relu")(inputs)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(16, 3, padding="same", activation="relu")(x)
    x = layers.AveragePooling2D(3, strides=2, padding="same")(x)
    return Model(inputs, layers.Dense(3)(layers.GlobalAveragePooling2D()(x)), seed=0)


def test_a_cnn_for_images_of_any_size_matches_the_one_built_for_each_size():
    from glassnet.gradcheck import check_model

    model = _fully_convolutional((None, None, 1))
    assert model.output_shape == (None, 3) and model.layers[2].output.shape == (None, None, None, 8)
    model.compile("adam", "sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    for size in ((12, 12), (17, 9), (28, 28)):
        x = rng.random((4, *size, 1)).astype(np.float32)
        fixed = _fully_convolutional(size + (1,))
        fixed.set_weights(model.get_weights())
        np.testing.assert_allclose(model.predict(x, verbose=0), fixed.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
        model.fit(x, rng.integers(0, 3, 4), epochs=1, verbose=0)
    assert check_model(model, rng.random((3, 10, 13, 1)), rng.integers(0, 3, 3)).passed
    with pytest.raises(ShapeError, match=r"doesn't fit in images of \(2, 9\)"):
        model.predict(np.ones((1, 2, 9, 1), np.float32), verbose=0)


def test_an_onnx_file_of_a_cnn_for_images_of_any_size_runs_at_every_size(tmp_path):
    pytest.importorskip("onnx", reason="the ONNX export needs onnx")
    pytest.importorskip("onnxruntime", reason="ONNX Runtime runs the exported file")
    from glassnet.interop.onnx_export import largest_difference

    model = _fully_convolutional((None, None, 1))
    model.export(tmp_path / "m.onnx", format="onnx")
    rng = np.random.default_rng(0)
    for size in ((12, 12), (17, 9), (28, 31)):
        assert largest_difference(model, tmp_path / "m.onnx", rng.random((2, *size, 1))) < 1e-5
