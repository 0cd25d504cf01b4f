"""``model.export("m.onnx", format="onnx")``: every exported model runs in ONNX Runtime and
predicts what glassnet predicts, within 1e-5, on the same channels-last arrays."""

import numpy as np
import pytest

import glassnet

from glassnet.engine.layers import (GRU, LSTM, Activation, Add, Average, AveragePooling2D,
                                    BatchNormalization, Bidirectional, Concatenate, Conv2D, Conv2DTranspose,
                                    Cropping2D, Dense, Dropout, Flatten, GaussianDropout, GaussianNoise,
                                    GlobalAveragePooling2D, Input, LeakyReLU, MaxPooling2D, Maximum, Minimum,
                                    Multiply, ReLU, Reshape, Sigmoid, SimpleRNN, Softmax, SpatialDropout2D,
                                    Subtract, Tanh, UpSampling2D, ZeroPadding2D)
from glassnet.engine.model import Model, Sequential
from glassnet.errors import ExportError
from glassnet.interfaces.cli import main
from glassnet.interop.onnx_export import largest_difference
from glassnet.workbench import recipes, zoo
from tiny_models import (Doubler, attention_model, augmented_model, odd_layers_model, recurrent_model,
                         separable_model, sequence_model, text_model)

pytest.importorskip("onnx", reason="the ONNX export needs onnx (pip install 'glassnet[onnx]')")
onnxruntime = pytest.importorskip("onnxruntime", reason="ONNX Runtime runs the exported files")


def residual_model():
    """Functional: a skip connection, batch norm, "same" pooling, every merge, a nested model."""
    inputs = Input((12, 12, 1), name="image")
    a = Conv2D(6, 3, padding="same", activation="relu")(inputs)
    b = BatchNormalization()(Conv2D(6, 3, padding="same")(a))
    c = ReLU()(Add()([a, b]))
    c = MaxPooling2D(2, strides=1, padding="same")(c)
    c = AveragePooling2D(3, strides=2, padding="same")(c)                     # 6x6x6
    pooled = Flatten()(GlobalAveragePooling2D(keepdims=True)(c))                # (1, 1, 6) -> 6
    flat = Flatten()(Conv2D(4, 3, strides=2, activation=LeakyReLU(0.1))(c))   # 2x2x4 -> 16
    head = Sequential([Input((16,)), Dense(6, activation="tanh")], name="head")
    d, e = head(flat), Dense(6, activation="sigmoid")(pooled)
    merged = Concatenate()([Subtract()([d, e]), Multiply()([d, e]), Average()([d, e]),
                            Maximum()([d, e]), Minimum()([d, e])])
    shaped = Flatten()(Tanh()(Reshape((5, 6))(merged)))
    outputs = Softmax()(Dense(10)(Dropout(0.5)(Sigmoid()(Activation("relu")(shaped)))))
    return Model(inputs, outputs, name="residual", seed=0)


def decoder_model():
    """Padding, cropping, upsampling, transposed convolutions (their windows of every kind:
    cut, exact, padded at the end) and the noise layers that export as nothing."""
    return Sequential([Input((12, 12, 1)), ZeroPadding2D(((1, 2), (0, 1))), GaussianNoise(0.1),
                       Conv2D(4, 3, strides=2, activation="relu"), SpatialDropout2D(0.2),
                       Conv2DTranspose(3, 3, strides=2, padding="same", activation="relu"),
                       UpSampling2D((1, 2)), Conv2DTranspose(2, (2, 4), strides=(3, 2), padding="valid"),
                       Conv2DTranspose(2, 4, strides=2, padding="same", use_bias=False),
                       Cropping2D(((2, 3), (1, 0))), GaussianDropout(0.1), Flatten(), Dense(10)],
                      name="decoder", seed=0)


def rescaled_model():
    """Rescaling, one number and one per channel, also as traced arithmetic in a Lambda."""
    from glassnet.layers import Lambda, Rescaling
    return Sequential([Input((6, 6, 2)), Rescaling([0.5, 2.0], offset=[0.1, -0.2]),
                       Lambda(lambda v: 2 * (v / 255.0) - 1), Flatten(), Dense(10)],
                      name="rescaled", seed=0)


def layer_norm_model():
    """LayerNormalization on every position of a sequence, with and without its beta; a Dense
    on every position (MatMul over the last axis, not Gemm)."""
    from glassnet.layers import LayerNormalization
    return Sequential([Input((5, 6)), LayerNormalization(gamma_initializer="glorot_uniform",
                                                         beta_initializer="glorot_uniform"),
                       Dense(7, activation="relu"), Flatten(), Dense(8), LayerNormalization(center=False, epsilon=0.1), Dense(10)],
                      name="layer-norm", seed=0)


def grouped_model():
    """Grouped convolutions (ONNX Conv's group), on images and on sequences; group
    normalization, channels last and (on the steps of a sequence) not."""
    from glassnet.layers import Conv1D, GroupNormalization
    return Sequential([Input((7, 6, 4)), Conv2D(6, 3, groups=2, padding="same", activation="relu"),
                       GroupNormalization(groups=3, gamma_initializer="random_normal", beta_initializer="random_normal"),
                       Conv2D(6, (2, 3), groups=3, strides=2), Reshape((-1, 6)),
                       GroupNormalization(groups=2, axis=1, epsilon=0.1, center=False), Conv1D(4, 2, groups=2),
                       Flatten(), Dense(10)], name="grouped", seed=0)


MODELS = {
    "mlp": lambda: zoo.classic_mlp(seed=0),
    "cnn": lambda: zoo.small_cnn(seed=0),
    "lenet5": lambda: zoo.lenet5(seed=0),
    "best-cnn": lambda: recipes.best_cnn(seed=0),
    "residual": residual_model,
    "decoder": decoder_model,
    "rescaled": rescaled_model,
    "augmented": augmented_model,        # the random image layers (nothing), Normalization (Sub, Div)
    "odd-layers": odd_layers_model,      # PRelu, Elu, ReduceMax, Transpose, Unsqueeze + Tile, Identity
    "recurrent": recurrent_model,        # LSTM, GRU, RNN (both directions in one), MatMul over the steps
    "layer-norm": layer_norm_model,      # LayerNormalization (opset 17)
    "sequence": sequence_model,          # Conv, MaxPool, AveragePool on (N, C, L); ReduceMean/Max over the steps
    "attention": attention_model,        # MatMul, Softmax, a causal mask's Add; the heads by Reshape, Transpose
    "separable": separable_model,        # a dilated Conv; Conv with a group per channel; then a 1x1 Conv
    "grouped": grouped_model,            # Conv with group=2 and 3, 2-D and 1-D; GroupNormalization
    "text": text_model,                  # Cast + Gather (Embedding); Pad, Resize, Slice along the steps
}


def randomize_statistics(model, rng):
    """Give batch norm statistics that aren't the identity (fresh ones are 0 and 1)."""
    for layer in model.walk():
        if isinstance(layer, BatchNormalization):
            layer.state["moving_mean"][...] = rng.normal(0, 0.5, layer.state["moving_mean"].shape)
            layer.state["moving_variance"][...] = rng.uniform(0.5, 2, layer.state["moving_variance"].shape)
            layer.params["gamma"][...] = rng.uniform(0.5, 1.5, layer.params["gamma"].shape)
            layer.params["beta"][...] = rng.normal(0, 0.2, layer.params["beta"].shape)


@pytest.mark.parametrize("name", MODELS)
def test_exported_model_predicts_what_glassnet_predicts(name, tmp_path):
    rng = np.random.default_rng(0)
    model = MODELS[name]()
    randomize_statistics(model, rng)
    path = tmp_path / f"{name}.onnx"
    model.export(path, format="onnx", verbose=False)
    x = rng.random((16,) + model.sample_shapes[0], dtype=np.float32)
    if name == "text":
        x = np.floor(20 * x)                                             # word numbers 0..19
    assert largest_difference(model, path, x) < 1e-5
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (given,), (output,) = session.get_inputs(), session.get_outputs()
    assert given.shape == ["batch", *model.sample_shapes[0]]           # channels-last, any batch
    assert output.shape == ["batch", 10]
    one = session.run(None, {given.name: x[:1]})[0]                      # a batch of one works too
    np.testing.assert_allclose(one, model.predict(x[:1], verbose=0), atol=1e-5, rtol=0)


@pytest.mark.parametrize("make", [
    lambda: LSTM(5, go_backwards=True, return_sequences=True),     # Keras gives the steps as read
    lambda: GRU(4, reset_after=False, return_sequences=True),      # the bias on the input only
    lambda: SimpleRNN(3, go_backwards=True, use_bias=False),
    lambda: Bidirectional(LSTM(3, return_sequences=True), merge_mode="mul"),
    lambda: Bidirectional(GRU(3), merge_mode="ave"),
    lambda: Bidirectional(SimpleRNN(3, activation="relu"), merge_mode="concat"),
    lambda: LSTM(4, recurrent_activation="hard_sigmoid"),      # ONNX's HardSigmoid with Keras 3's slope 1/6
    lambda: Bidirectional(GRU(3, recurrent_activation="hard_sigmoid", activation="relu")),
], ids=["lstm-backwards", "gru-reset-before", "rnn-backwards", "bi-mul", "bi-ave", "bi-concat",
        "lstm-hard-sigmoid", "bi-gru-hard-sigmoid"])
def test_every_recurrent_setting_exports_as_it_runs(make, tmp_path):
    model = Sequential([Input((8, 6)), make(), Flatten(), Dense(10)], seed=0)
    for layer in model.walk():       # biases that are not zero, so their place is checked
        for key, value in layer.params.items():
            if key == "bias":
                value[...] = np.random.default_rng(1).normal(0, 0.5, value.shape)
    model.export(tmp_path / "m.onnx", verbose=False)
    x = np.random.default_rng(0).random((4, 8, 6), dtype=np.float32)
    assert largest_difference(model, tmp_path / "m.onnx", x) < 1e-5


ACTIVATIONS = ["relu", "sigmoid", "tanh", "softmax", "elu", "selu", "gelu", "silu", "softplus", "softsign",
               "relu6", "hard_sigmoid", "exponential", "mish", "hard_silu", "log_softmax", "leaky_relu"]


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_activation_exports(activation, tmp_path):
    model = Sequential([Input((6,)), Dense(5, activation=activation), Dense(3)], seed=0)
    model.export(tmp_path / "m.onnx", verbose=False)
    x = np.random.default_rng(0).normal(0, 2, (16, 6)).astype(np.float32)
    assert largest_difference(model, tmp_path / "m.onnx", x) < 1e-5


@pytest.mark.parametrize("layer", [lambda: ReLU(max_value=1.0, negative_slope=0.1, threshold=0.2),
                                   lambda: ReLU(6.0), lambda: ReLU(negative_slope=0.3),
                                   lambda: Activation(glassnet.layers.GELU(approximate=True))],
                         ids=["relu-every-option", "relu-capped", "relu-sloped", "gelu-tanh"])
def test_relu_options_and_the_gelu_approximation_export_as_they_run(layer, tmp_path):
    # A ReLU with options used to be written as a plain Relu: a capped one exported uncapped.
    model = Sequential([Input((6,)), layer(), Dense(3)], seed=0)
    model.export(tmp_path / "m.onnx", verbose=False)
    x = np.random.default_rng(0).normal(0, 2, (16, 6)).astype(np.float32)
    assert largest_difference(model, tmp_path / "m.onnx", x) < 1e-5


def test_recurrent_layers_refuse_what_onnx_runs_otherwise(tmp_path):
    model = Sequential([Input((8, 6)), SimpleRNN(3, activation="linear"), Dense(2)])
    with pytest.raises(ExportError, match=r"layer 'simple_rnn' \(SimpleRNN\): ONNX export knows the "
                                          r"activations tanh, sigmoid, relu, hard_sigmoid, not 'linear'"):
        model.export(tmp_path / "m.onnx")


def test_file_name_decides_the_format_and_other_formats_are_refused(tmp_path, capsys):
    model = zoo.classic_mlp(seed=0)
    model.export(tmp_path / "m.onnx")                                   # format from the name
    assert "Saved artifact at" in capsys.readouterr().out
    with pytest.raises(ExportError, match="format='onnx' only"):
        model.export(tmp_path / "saved_model", format="tf_saved_model")
    with pytest.raises(ExportError, match="input_signature"):
        model.export(tmp_path / "m.onnx", input_signature=[(None, 28, 28)])


class FeedForward(glassnet.layers.Layer):
    """A layer of layers (keras.io's kind): one layer of the model, its call() recorded."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.dense = Dense(units, activation="relu")
        self.drop = glassnet.layers.Dropout(0.5)
        self.norm = glassnet.layers.LayerNormalization()

    def call(self, x, training=None):
        return self.norm(x + self.drop(self.dense(x), training=training))


def test_a_layer_made_of_layers_exports_as_the_layers_it_calls(tmp_path):
    """It was traced into its layers in the model, and exported so; now that it is one layer
    of the model (as in Keras), the export draws its call() as their graph again."""
    model = Sequential([Input((6,)), FeedForward(6), Dense(10)], seed=0)
    nodes = [len(inner.nodes) for inner in model.layers[0].walk()]
    model.export(tmp_path / "m.onnx", format="onnx", verbose=False)
    x = np.random.default_rng(0).random((8, 6), dtype=np.float32)
    assert largest_difference(model, tmp_path / "m.onnx", x) < 1e-5
    assert [len(inner.nodes) for inner in model.layers[0].walk()] == nodes     # no calls left behind


def test_a_layer_without_onnx_translation_is_one_line(tmp_path):
    model = Sequential([Input((4,)), Doubler(), Dense(2)])
    with pytest.raises(ExportError, match=r"m.onnx: layer 'doubler' \(Doubler\) has no ONNX translation"):
        model.export(tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_cli_export_writes_and_checks(tiny_digit_model, tmp_path, capsys):
    out = tmp_path / "tiny.onnx"
    assert main(["export", str(tiny_digit_model), str(out)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith(f"wrote {out} (") and "input (batch, 28, 28) float32" in lines[0]
    assert lines[1].startswith("checked with ONNX Runtime") and "largest difference from glassnet" in lines[1]
    assert float(lines[1].rsplit(" ", 1)[1]) < 1e-5
    assert main(["export", str(tiny_digit_model), str(tmp_path / "tiny.keras")]) == 0
    assert "Keras 3 format" in capsys.readouterr().out
    assert main(["export", str(tiny_digit_model), str(tmp_path / "tiny.pb")]) == 2
    assert "name the file NAME.onnx" in capsys.readouterr().err
