"""Keras 3's RMSNormalization and EinsumDense: values by hand, Keras's own (where installed),
get_config keys, saving in .npz and .keras files (both libraries' files, where Keras is
installed), and errors. Their gradients are in the gradcheck catalogue (test_gradcheck)."""

import os

import numpy as np
import pytest

import glassnet
from glassnet.engine.layers import EinsumDense, Input, RMSNormalization
from glassnet.engine.layers.einsum_dense import einsum_shapes
from glassnet.engine.model import Model, Sequential

RNG = np.random.default_rng(0)


def test_rms_normalization_by_hand():
    x = np.array([[3.0, 4.0], [1.0, -1.0]], np.float32)
    layer = RMSNormalization(epsilon=0.0)
    Sequential([Input((2,)), layer])
    layer.set_weights([np.array([1.0, 2.0], np.float32)])
    rms = np.sqrt([[12.5], [1.0]])
    np.testing.assert_allclose(layer.forward(x), x / rms * [1.0, 2.0], rtol=1e-6)
    assert layer.get_config()["axis"] == [-1]
    with pytest.raises(ValueError, match="axis must be an axis other than 0"):
        RMSNormalization(axis=0)
    with pytest.raises(glassnet.errors.ShapeError, match="must be the last axes"):
        Sequential([Input((3, 4)), RMSNormalization(axis=1)])


def test_einsum_dense_by_hand_and_its_shapes():
    layer = EinsumDense("abc,cde->abde", output_shape=(None, 2, 5), bias_axes="de")
    model = Sequential([Input((4, 3)), layer])
    kernel, bias = layer.get_weights()
    assert kernel.shape == (3, 2, 5) and bias.shape == (2, 5) and model.output_shape == (None, 4, 2, 5)
    x = RNG.normal(size=(2, 4, 3)).astype(np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), np.einsum("abc,cde->abde", x, kernel) + bias, rtol=1e-5)
    assert einsum_shapes("ab...,bc->ac...", "c", (None, 3, 7), 4)[:3] == ([3, 4], [4, 1], [None, 4, 7])
    limit = np.sqrt(6 / (3 + 10))                     # Glorot over the input and output axes, as Keras
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > limit / 2
    with pytest.raises(ValueError, match="Invalid einsum equation"):
        EinsumDense("ab->b", 3)
    with pytest.raises(ValueError, match="Bias dimension 'z' was requested"):
        EinsumDense("ab,bc->ac", 4, bias_axes="z")
    with pytest.raises(glassnet.errors.ShapeError, match="Input shape and output shape do not match"):
        Sequential([Input((3, 2)), EinsumDense("abc,cd->abd", (4, 5))])
    with pytest.raises(ValueError, match="lora_rank=4 is not supported"):
        EinsumDense("ab,bc->ac", 4, lora_rank=4)


def _projection_model():
    inputs = Input((4, 3))
    heads = EinsumDense("abc,cde->abde", (None, 2, 5), bias_axes="de", activation="relu")(inputs)
    out = RMSNormalization(axis=[2, 3])(heads)
    return Model(inputs, EinsumDense("abde,dec->ac", 6, bias_axes="c")(out))


@pytest.mark.parametrize("suffix", [".npz", ".keras"])
def test_a_model_of_them_trains_saves_and_loads(tmp_path, suffix):
    x = RNG.normal(size=(32, 4, 3)).astype(np.float32)
    y = RNG.normal(size=(32, 6)).astype(np.float32)
    model = _projection_model()
    model.compile(glassnet.optimizers.Adam(0.01), "mse")
    history = model.fit(x, y, epochs=8, batch_size=8, verbose=0).history["loss"]
    assert history[-1] < history[0]
    model.save(tmp_path / f"m{suffix}")
    again = glassnet.load_model(tmp_path / f"m{suffix}")
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_the_same_values_configs_and_files_as_keras(tmp_path):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    keras = pytest.importorskip("keras")
    cases = [(RMSNormalization(axis=[1, 2], epsilon=0.1), keras.layers.RMSNormalization(axis=[1, 2], epsilon=0.1),
              (3, 4)),
             (EinsumDense("abc,cde->abde", (None, 2, 5), bias_axes="de", activation="relu"),
              keras.layers.EinsumDense("abc,cde->abde", (None, 2, 5), bias_axes="de", activation="relu"), (4, 3)),
             (EinsumDense("...b,bc->...c", 4, bias_axes="c"), keras.layers.EinsumDense("...b,bc->...c", 4,
                                                                                        bias_axes="c"), (2, 3))]
    for ours, theirs, shape in cases:
        theirs.build((None,) + shape)
        model = Sequential([Input(shape), ours])
        weights = [RNG.normal(size=w.shape).astype(np.float32) for w in theirs.get_weights()]
        theirs.set_weights(weights)
        ours.set_weights(weights)
        x = RNG.normal(size=(3,) + shape).astype(np.float32)
        np.testing.assert_allclose(model.predict(x, verbose=0), np.asarray(theirs(x)), rtol=1e-5, atol=1e-6)
        assert set(ours.get_config()) - {"input_shape"} == set(theirs.get_config())
    inputs = keras.Input((4, 3))
    out = keras.layers.EinsumDense("abc,cde->abde", (None, 2, 5), bias_axes="de")(inputs)
    keras_model = keras.Model(inputs, keras.layers.RMSNormalization(axis=[2, 3])(out))
    keras_model.save(tmp_path / "keras.keras")
    ours = glassnet.load_model(tmp_path / "keras.keras")
    x = RNG.normal(size=(2, 4, 3)).astype(np.float32)
    np.testing.assert_allclose(ours.predict(x, verbose=0), keras_model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    ours.save(tmp_path / "ours.keras")
    np.testing.assert_allclose(keras.saving.load_model(tmp_path / "ours.keras").predict(x, verbose=0),
                               keras_model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_additive_attention_by_hand():
    from glassnet.engine.layers import AdditiveAttention
    q, v = RNG.normal(size=(2, 3, 4)), RNG.normal(size=(2, 5, 4))
    layer = AdditiveAttention(use_scale=False)
    layer.build([(3, 4), (5, 4)])
    scores = np.tanh(q[:, :, None, :] + v[:, None, :, :]).sum(-1)
    weights = np.exp(scores) / np.exp(scores).sum(-1, keepdims=True)
    np.testing.assert_allclose(layer.forward([q, v]), weights @ v, rtol=1e-6)
    assert set(AdditiveAttention().get_config()) >= {"use_scale", "dropout", "seed"}
    assert "score_mode" not in AdditiveAttention().get_config()


def test_additive_attention_equals_keras_and_travels_both_ways(tmp_path):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    keras = pytest.importorskip("keras")
    from glassnet.engine.layers import AdditiveAttention
    q, v, k = (RNG.normal(size=(2, t, 4)).astype(np.float32) for t in (3, 5, 5))
    theirs = keras.layers.AdditiveAttention()
    expected = np.asarray(theirs([q, v, k]))
    ours = AdditiveAttention()
    inputs = [Input((3, 4)), Input((5, 4)), Input((5, 4))]
    model = Model(inputs, ours(inputs))
    ours.set_weights([np.asarray(w) for w in theirs.get_weights()])
    np.testing.assert_allclose(model.predict([q, v, k], verbose=0), expected, rtol=1e-5, atol=1e-6)
    assert set(ours.get_config()) - {"use_causal_mask"} == set(theirs.get_config())   # glassnet keeps the mask's setting
    qi, vi = keras.Input((3, 4)), keras.Input((5, 4))
    keras_model = keras.Model([qi, vi], keras.layers.AdditiveAttention(dropout=0.1)([qi, vi]))
    keras_model.save(tmp_path / "keras.keras")
    again = glassnet.load_model(tmp_path / "keras.keras")
    np.testing.assert_allclose(again.predict([q, v], verbose=0), keras_model.predict([q, v], verbose=0),
                               rtol=1e-5, atol=1e-6)
    again.save(tmp_path / "ours.keras")
    np.testing.assert_allclose(keras.saving.load_model(tmp_path / "ours.keras").predict([q, v], verbose=0),
                               keras_model.predict([q, v], verbose=0), rtol=1e-5, atol=1e-6)


def test_spectral_normalization_rescales_the_kernel_while_training_only():
    from glassnet.engine.layers import Dense, SpectralNormalization
    layer = SpectralNormalization(Dense(3), power_iterations=20)
    Sequential([Input((4,)), layer])
    kernel = layer.layer.params["kernel"]
    kernel[...] = RNG.normal(size=(4, 3)) * 5
    before = kernel.copy()
    layer.forward(RNG.normal(size=(2, 4)), training=False)
    np.testing.assert_array_equal(kernel, before)
    layer.forward(RNG.normal(size=(2, 4)), training=True)
    assert np.linalg.norm(kernel, 2) == pytest.approx(1.0, rel=1e-4)          # the largest singular value
    np.testing.assert_allclose(kernel * np.linalg.norm(before, 2), before, rtol=1e-4)
    with pytest.raises(ValueError, match="`power_iterations` should be greater than zero"):
        SpectralNormalization(Dense(3), power_iterations=0)
    with pytest.raises(glassnet.errors.ShapeError, match="has no attribute 'kernel' nor 'embeddings'"):
        Sequential([Input((4,)), SpectralNormalization(glassnet.layers.Dropout(0.5))])


def test_spectral_normalization_trains_and_saves(tmp_path):
    from glassnet.engine.layers import Dense, SpectralNormalization
    x = RNG.normal(size=(32, 4)).astype(np.float32)
    y = (x[:, :1] > 0).astype(np.float32)
    model = Sequential([Input((4,)), SpectralNormalization(Dense(8, activation="relu")), Dense(1, activation="sigmoid")],
                       seed=0)
    model.compile(glassnet.optimizers.Adam(0.02), "binary_crossentropy")
    history = model.fit(x, y, epochs=10, batch_size=8, verbose=0).history["loss"]
    assert history[-1] < history[0]
    for suffix in (".npz", ".keras"):
        model.save(tmp_path / f"m{suffix}")
        again = glassnet.load_model(tmp_path / f"m{suffix}")
        np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
        np.testing.assert_array_equal(again.layers[0].state["vector_u"], model.layers[0].state["vector_u"])


def test_spectral_normalization_steps_and_files_as_keras(tmp_path):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    keras = pytest.importorskip("keras")
    from glassnet.engine.layers import Dense, SpectralNormalization
    x = RNG.normal(size=(3, 4)).astype(np.float32)
    theirs = keras.layers.SpectralNormalization(keras.layers.Dense(3), power_iterations=2)
    theirs.build((None, 4))
    ours = SpectralNormalization(Dense(3), power_iterations=2)
    Sequential([Input((4,)), ours])
    by_name = {w.path.split("/")[-1]: np.asarray(w) for w in theirs.weights}
    for name in ("kernel", "bias"):
        ours.layer.params[name][...] = by_name[name]
    ours.state["vector_u"][...] = by_name["vector_u"]
    for training in (False, True, True):
        np.testing.assert_allclose(ours.forward(x, training=training), np.asarray(theirs(x, training=training)),
                                   rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(ours.state["vector_u"], np.asarray(theirs.vector_u), rtol=1e-5, atol=1e-7)
    assert set(ours.get_config()) - {"input_shape"} == set(theirs.get_config())
    keras_model = keras.Sequential([keras.Input((4,)), keras.layers.SpectralNormalization(keras.layers.Dense(3))])
    keras_model(x, training=True)
    keras_model.save(tmp_path / "keras.keras")
    again = glassnet.load_model(tmp_path / "keras.keras")
    np.testing.assert_allclose(again.predict(x, verbose=0), keras_model.predict(x, verbose=0), rtol=1e-6)
    np.testing.assert_array_equal(again.layers[0].state["vector_u"], np.asarray(keras_model.layers[0].vector_u))
    again.save(tmp_path / "ours.keras")
    back = keras.saving.load_model(tmp_path / "ours.keras")
    np.testing.assert_array_equal(np.asarray(back.layers[0].vector_u), np.asarray(keras_model.layers[0].vector_u))


class _Rows(glassnet.layers.Layer):
    """A layer of your own that states its input, as keras.io's do."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.input_spec = glassnet.layers.InputSpec(ndim=2, axes={-1: 4})

    def call(self, x):
        return x * 2.0


def test_input_spec_is_checked_when_the_layer_is_called():
    from glassnet.engine.layers import InputSpec
    layer = _Rows(name="rows")
    np.testing.assert_allclose(layer(np.ones((3, 4), np.float32)), 2.0)
    with pytest.raises(ValueError, match=r"Input 0 of layer 'rows' is incompatible with the layer: expected "
                                         r"ndim=2, found ndim=3. Full shape received: \(3, 4, 1\)"):
        layer(np.ones((3, 4, 1), np.float32))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 4"):
        _Rows(name="rows")(Input((5,)))
    spec = InputSpec(shape=(None, 28, 28))
    assert spec.ndim == 3 and InputSpec.from_config(spec.get_config()).shape == (None, 28, 28)


def test_spectral_normalization_lists_its_weights_in_keras_order():
    """Keras 3.15: [kernel, vector_u, bias] (the wrapper tracks the kernel first), in a model too."""
    from glassnet.engine.layers import Dense, SpectralNormalization
    layer = SpectralNormalization(Dense(3))
    model = Sequential([Input((4,)), layer, Dense(2)])
    assert [w.shape for w in layer.get_weights()] == [(4, 3), (1, 3), (3,)]
    assert [w.path.split("/")[-1] for w in model.weights] == ["kernel", "vector_u", "bias", "kernel", "bias"]
    assert len(layer.trainable_weights) == 2 and len(layer.non_trainable_weights) == 1 and model.count_params() == 26
    arrays = [np.full(w.shape, i, np.float32) for i, w in enumerate(model.get_weights())]
    model.set_weights(arrays)
    np.testing.assert_array_equal(layer.layer.params["kernel"], 0)
    np.testing.assert_array_equal(layer.state["vector_u"], 1)
    keras = pytest.importorskip("keras")
    theirs = keras.Sequential([keras.Input((4,)), keras.layers.SpectralNormalization(keras.layers.Dense(3)),
                               keras.layers.Dense(2)])
    theirs.set_weights(model.get_weights())
    for a, b in zip(theirs.get_weights(), arrays):
        np.testing.assert_array_equal(a, b)
