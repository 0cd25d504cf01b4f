"""Small real digits and tiny trained models for the workbench tests (metrics, pictures, reports).

Real digits come from glassnet's offline MNIST sample (shipped in the package: MNIST
training digits to train on, MNIST test digits to test on). Where it is unreadable, blurry
synthetic "digits" stand in: one blob position per class, so a model still learns something
and every picture has both right answers and mistakes to show.
"""

import numpy as np

from glassnet.datasets import load_sample
from glassnet import ops
from glassnet.engine.layers import Dense, Layer
from glassnet.errors import DataError
from glassnet.workbench import zoo


def tiny_digits(n_train=600, n_test=200, seed=0):
    """``(x_train, y_train, x_test, y_test)``: uint8 images (N, 28, 28), labels 0-9."""
    try:
        (x_train, y_train), (x_test, y_test) = load_sample()
    except DataError:
        x, y = synthetic_digits(n_train + n_test, seed)
        return x[:n_train], y[:n_train], x[n_train:], y[n_train:]
    rng = np.random.default_rng(seed)
    train = rng.permutation(len(x_train))[:n_train]
    test = rng.permutation(len(x_test))[:n_test]
    return x_train[train], y_train[train], x_test[test], y_test[test]


def synthetic_digits(n, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, n).astype(np.uint8)
    rows, cols = np.mgrid[0:28, 0:28]
    centre_r, centre_c = 6 + 4 * (y // 5), 4 + 5 * (y % 5)          # a place per class
    blob = np.exp(-((rows - centre_r[:, None, None]) ** 2 + (cols - centre_c[:, None, None]) ** 2) / 18)
    noise = rng.uniform(0, 0.6, (n, 28, 28))
    return (np.clip(blob + noise, 0, 1) * 255).astype(np.uint8), y


def tiny_mlp(x_train, y_train, epochs=3, seed=0):
    """The classic MLP, trained for a few epochs with validation (so it has a history)."""
    model = zoo.classic_mlp(seed=seed)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train / 255.0, y_train, epochs=epochs, batch_size=32, validation_split=0.2, verbose=0)
    model.settings.update(dataset="mnist", epochs=epochs, learning_rate=1e-3, seed=seed)
    return model


def tiny_cnn(x_train, y_train, epochs=1, seed=0):
    """A small CNN (Conv2D 8 -> MaxPooling -> Dense), or None when the conv layers are missing."""
    from glassnet.engine.layers.base import LAYERS
    from glassnet.engine.layers import Dense, Flatten
    from glassnet.engine.model import Sequential
    conv, pool = LAYERS.get("Conv2D"), LAYERS.get("MaxPooling2D")
    if conv is None or pool is None:
        try:  # they register themselves when their module is imported
            import glassnet.engine.layers.conv  # noqa: F401
            import glassnet.engine.layers.pooling  # noqa: F401
        except ImportError:
            return None
        conv, pool = LAYERS.get("Conv2D"), LAYERS.get("MaxPooling2D")
    model = Sequential([
        conv(8, 3, activation="relu", input_shape=(28, 28, 1)), pool(2),
        Flatten(), Dense(10, activation="softmax"),
    ], name="tiny_cnn", seed=seed)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train[..., None] / 255.0, y_train, epochs=epochs, batch_size=32, verbose=0)
    return model


class Doubler(Layer):
    """A custom layer (y = 2x) that no other format knows: exporting it must fail clearly."""

    def forward(self, x, training=False):
        return 2 * x

    def backward(self, dy):
        return 2 * dy


def augmented_model(seed=0):
    """Augmentation and normalisation inside the model, keras.io's way: the random image
    layers (the identity when predicting) and Normalization adapted (its statistics are
    weights), given for every axis at once (in the config), and inverted."""
    from glassnet.engine.layers import (Conv2D, Dense, Flatten, Input, Normalization, RandomFlip,
                                        RandomRotation, RandomTranslation, RandomZoom)
    from glassnet.engine.model import Sequential
    adapted = Normalization()
    adapted.adapt(np.random.default_rng(1).random((32, 8, 8, 2)))
    return Sequential([Input((8, 8, 2)), RandomFlip("horizontal", seed=1), RandomRotation(0.05),
                       RandomTranslation(0.1, (-0.2, 0.1), fill_mode="constant"), RandomZoom((-0.1, 0.1), 0.2),
                       adapted, Normalization(mean=0.2, variance=0.5, axis=None),
                       Normalization(mean=[0.1, -0.1], variance=[2.0, 0.5], invert=True),
                       Conv2D(4, 3, activation="relu"), Flatten(), Dense(10, activation="softmax")],
                      name="augmented", seed=seed)


def odd_layers_model(seed=0):
    """The layers a first model rarely has, which files must still carry: PReLU (slopes
    shared over the image), ELU, GlobalMaxPooling2D, and Permute, RepeatVector and Identity."""
    from glassnet.engine.layers import (ELU, PReLU, Conv2D, Dense, Flatten, GlobalMaxPooling2D, Identity, Input,
                                        Permute, RepeatVector)
    from glassnet.engine.model import Model
    inputs = Input((6, 6, 2))
    x = PReLU(alpha_initializer="random_uniform", shared_axes=[1, 2])(Conv2D(4, 3)(inputs))
    x = GlobalMaxPooling2D()(ELU(0.5)(x))                                   # (4,)
    x = Permute((2, 1))(RepeatVector(3)(x))                                 # (3, 4) -> (4, 3)
    outputs = Dense(10, activation="softmax")(Flatten()(Identity()(x)))
    return Model(inputs, outputs, name="odd_layers", seed=seed)


def recurrent_model(seed=0):
    """Rows as a sequence: LSTM, a Bidirectional GRU (outputs added), SimpleRNN, TimeDistributed
    and a Bidirectional LSTM that reads to the end."""
    from glassnet.engine.layers import GRU, LSTM, Dense, Input, SimpleRNN
    from glassnet.engine.layers.wrappers import Bidirectional, TimeDistributed
    from glassnet.engine.model import Sequential
    return Sequential([Input((8, 8)), LSTM(6, return_sequences=True),
                       Bidirectional(GRU(4, return_sequences=True), merge_mode="sum"),
                       SimpleRNN(5, activation="relu", return_sequences=True), TimeDistributed(Dense(3)),
                       Bidirectional(LSTM(3)), Dense(10, activation="softmax")], name="recurrent", seed=seed)


def separable_model(seed=0):
    """Xception's and MobileNet's convolutions: a dilated Conv2D, DepthwiseConv2D (two
    filters a channel, strided) and SeparableConv2D (dilated, two filters a channel), and a
    squeeze-and-excitation block whose merges broadcast ((5, 5, 8) * (1, 1, 8); + (8,))."""
    from glassnet.engine.layers import (Add, Conv2D, Dense, DepthwiseConv2D, Flatten, GlobalAveragePooling2D, Input,
                                        Multiply, SeparableConv2D)
    from glassnet.engine.model import Model
    inputs = Input((10, 10, 3))
    x = Conv2D(6, 3, dilation_rate=2, padding="same", activation="relu")(inputs)
    x = DepthwiseConv2D(3, depth_multiplier=2, padding="same", activation="relu")(x)          # 12 channels
    x = SeparableConv2D(8, 3, strides=2, padding="same", activation="relu")(x)                # 5x5
    squeezed = GlobalAveragePooling2D(keepdims=True)(x)                                         # (1, 1, 8)
    x = Multiply()([x, Dense(8, activation="sigmoid")(Dense(2, activation="relu")(squeezed))])
    x = Add()([x, Dense(8)(GlobalAveragePooling2D()(x))])                                       # + (8,)
    x = SeparableConv2D(5, (3, 2), dilation_rate=(1, 2), depth_multiplier=2, use_bias=False,
                        activation="tanh")(x)                                                   # 3x3
    x = Flatten()(DepthwiseConv2D(2, strides=1)(x))
    return Model(inputs, Dense(10, activation="softmax")(x), name="separable", seed=seed)


def attention_model(seed=0):
    """A Transformer's block on rows: causal self-attention (MultiHeadAttention), a skip and
    LayerNormalization, cross-attention with a key of its own, and Luong's Attention (the
    glassnet twin of the Keras-made fixture attention.keras)."""
    from glassnet.engine.layers import (Add, Attention, Dense, GlobalAveragePooling1D, Input, LayerNormalization,
                                        MultiHeadAttention)
    from glassnet.engine.model import Model
    x = Input((6, 8))
    a = MultiHeadAttention(2, 4, dropout=0.1)(x, x, use_causal_mask=True)
    b = LayerNormalization()(Add()([x, a]))
    c = MultiHeadAttention(3, 2, value_dim=5, output_shape=7)(b, x, Dense(3)(x))
    d = Attention(use_scale=True)([c, Dense(7)(x)], use_causal_mask=True)
    return Model(x, Dense(10, activation="softmax")(GlobalAveragePooling1D()(d)), name="attention", seed=seed)


def sequence_model(seed=0):
    """Rows as a sequence, read by convolutions: Conv1D of every padding (causal and dilated
    too), both 1-D poolings ("same" and overlapping), a Dense on every step, and the two
    global poolings (one keeping its axis) side by side."""
    from glassnet.engine.layers import (AveragePooling1D, Concatenate, Conv1D, Dense, Flatten,
                                        GlobalAveragePooling1D, GlobalMaxPooling1D, Input, MaxPooling1D)
    from glassnet.engine.model import Model
    inputs = Input((12, 8))
    x = Conv1D(6, 3, padding="causal", dilation_rate=2, activation="relu")(inputs)
    x = MaxPooling1D(3, strides=2, padding="same")(x)                                  # (6, 6)
    x = Conv1D(5, 2, strides=2, padding="same", activation="tanh")(x)                  # (3, 5)
    x = Dense(7, activation="relu")(AveragePooling1D(2, strides=1, padding="same")(x))  # (3, 7): each step
    x = Conv1D(4, 2)(x)                                                                # (2, 4)
    pooled = Concatenate()([GlobalAveragePooling1D()(x), Flatten()(GlobalMaxPooling1D(keepdims=True)(x))])
    return Model(inputs, Dense(10, activation="softmax")(pooled), name="sequence", seed=seed)


def text_model(seed=0):
    """Word numbers 0..19 read by an Embedding, then the 1-D padding, upsampling and cropping
    around a Conv1D (the glassnet twin of the Keras-made fixture text.keras). Feed it whole
    numbers: ``np.floor(20 * x)`` for x uniform in [0, 1)."""
    from glassnet.engine.layers import (Conv1D, Cropping1D, Dense, Embedding, GlobalAveragePooling1D, Input,
                                        UpSampling1D, ZeroPadding1D)
    from glassnet.engine.model import Sequential
    return Sequential([Input((10,)), Embedding(20, 4), ZeroPadding1D((1, 2)), Conv1D(3, 3, activation="relu"),
                       UpSampling1D(2), Cropping1D((1, 2)), GlobalAveragePooling1D(),
                       Dense(10, activation="softmax")], name="text", seed=seed)


class Scaled(Layer):
    """The fixture's layer of your own (scripts/make_keras_fixtures.py), written the same way."""

    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", name="kernel")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")
        self.scale = self.add_weight(shape=(), initializer="ones", name="scale")

    def call(self, inputs):
        return self.scale * ops.tanh(ops.matmul(inputs, self.w) + self.b)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class GatedBlock(Layer):
    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense = Dense(units, activation="relu")
        self.proj = Dense(units)

    def build(self, input_shape):
        self.gate = self.add_weight(shape=(), initializer="zeros", name="gate")

    def call(self, x):
        return self.proj(x) + self.gate * self.dense(x)

    def get_config(self):
        return {**super().get_config(), "units": self.units}
