"""Write the Keras-made ``.keras`` fixtures that glassnet's tests load (needs real Keras 3).

    KERAS_BACKEND=torch python scripts/make_keras_fixtures.py [NAME ...]   # any backend will do

For each small model (every layer, activation, optimizer and loss glassnet reads from Keras,
Sequential, Functional and nested) this trains one epoch on random data in Keras, saves
``tests/fixtures/keras/NAME.keras`` with ``model.save``, and stores the inputs and Keras's
predictions for them in ``NAME.npz``; ``tests/test_keras_file.py`` checks that glassnet
predicts the same. ``unsupported.keras`` holds a ConvLSTM3D, which glassnet lacks:
the test checks the one-line error that names it. The images are 8x8, and the archive is
packed again with deflate (Keras stores its members uncompressed; their bytes are left as
Keras wrote them), so each file stays a few kilobytes.
"""

import zipfile

import os
from pathlib import Path

import numpy as np

import keras
from keras import layers

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "keras"


def mlp():
    model = keras.Sequential([
        keras.Input((8, 8)), layers.Flatten(), layers.Dense(16, activation="relu"),
        layers.Dropout(0.2), layers.Dense(10, activation="softmax"),
    ], name="mlp")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def cnn():
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        layers.Conv2D(4, 3, padding="same", activation="relu", kernel_initializer="he_uniform"),
        layers.MaxPooling2D(2), layers.BatchNormalization(),
        layers.Conv2D(6, 3, activation="tanh", kernel_regularizer=keras.regularizers.L2(1e-4)),
        layers.AveragePooling2D(2), layers.Flatten(), layers.Dense(10), layers.Activation("softmax"),
    ], name="cnn")
    model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9),
                  loss=keras.losses.SparseCategoricalCrossentropy(), metrics=["accuracy"])
    return model


def residual():
    inputs = keras.Input((8, 8, 1), name="image")
    a = layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    b = layers.BatchNormalization()(layers.Conv2D(4, 3, padding="same")(a))
    c = layers.GlobalAveragePooling2D()(layers.ReLU()(layers.Add()([a, b])))
    d = layers.Concatenate()([layers.Dense(4, activation="leaky_relu")(c),
                              layers.Dense(4, activation="sigmoid")(c)])
    e = layers.LeakyReLU(negative_slope=0.1)(layers.Flatten()(layers.Reshape((2, 4))(d)))
    outputs = layers.Softmax()(layers.Dense(10)(layers.Subtract()([e, layers.Dense(8, activation="tanh")(e)])))
    model = keras.Model(inputs, outputs, name="residual")
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3, momentum=0.5),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def nested():
    inner = keras.Sequential([keras.Input((8,)), layers.Dense(8, activation="relu")], name="inner")
    inputs = keras.Input((8,))
    outputs = layers.Dense(3, activation="softmax")(layers.Maximum()([inner(inputs), inputs]))
    model = keras.Model(inputs, outputs, name="nested")
    model.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.ExponentialDecay(1e-3, 100, 0.9)),
                  loss="sparse_categorical_crossentropy")
    return model


def branches():
    """Branches of different lengths: Keras lists (and numbers) the layers by depth, not in
    the order they run, so dense_1 here is the *second* layer of the long branch."""
    inputs = keras.Input((6,))
    short = layers.Dense(6, activation="tanh")(inputs)
    long = layers.Dense(6)(layers.Dense(6, activation="relu")(inputs))
    outputs = layers.Dense(3, activation="softmax")(layers.Add()([short, long, layers.Dense(6)(inputs)]))
    model = keras.Model(inputs, outputs, name="branches")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def tutorial():
    """keras.io's image tutorials start with Rescaling(1 / 255): pixels 0..255 in, 0..1 on."""
    model = keras.Sequential([
        keras.Input((8, 8, 1)), layers.Rescaling(1 / 255), layers.Conv2D(4, 3, activation="relu"),
        layers.Flatten(), layers.Dense(10, activation="softmax"),
    ], name="tutorial")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def augmented():
    """keras.io's way to augment and normalise inside the model: the random image layers (the
    identity when predicting) and Normalization, adapted (its statistics are weights), given
    (in the config, one for every axis) and inverted."""
    adapted = layers.Normalization()
    adapted.adapt(np.random.default_rng(1).random((64, 8, 8, 2)).astype("float32"))
    model = keras.Sequential([
        keras.Input((8, 8, 2)), layers.RandomFlip("horizontal", seed=1), layers.RandomRotation(0.05),
        layers.RandomTranslation(0.1, (-0.2, 0.1), fill_mode="constant"), layers.RandomZoom((-0.1, 0.1), 0.2),
        adapted, layers.Normalization(mean=0.2, variance=0.5, axis=None),
        layers.Normalization(mean=[0.1, -0.1], variance=[2.0, 0.5], invert=True),
        layers.Conv2D(4, 3, activation="relu"), layers.Flatten(), layers.Dense(10, activation="softmax"),
    ], name="augmented")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def odd_layers():
    """PReLU (its slopes shared over the image), ELU, GlobalMaxPooling2D, Permute, RepeatVector."""
    inputs = keras.Input((6, 6, 2))
    x = layers.PReLU(alpha_initializer="random_uniform", shared_axes=[1, 2])(layers.Conv2D(4, 3)(inputs))
    x = layers.GlobalMaxPooling2D()(layers.ELU(0.5)(x))
    x = layers.Permute((2, 1))(layers.RepeatVector(3)(x))
    outputs = layers.Dense(10, activation="softmax")(layers.Flatten()(layers.Identity()(x)))
    model = keras.Model(inputs, outputs, name="odd_layers")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def recurrent():
    """MNIST's rows as a sequence: every recurrent layer and both wrappers (their weights are
    kept in cells: ``lstm/cell``, ``bidirectional/forward_layer/cell``, ``time_distributed/layer``)."""
    model = keras.Sequential([
        keras.Input((8, 8)), layers.LSTM(6, return_sequences=True),
        layers.Bidirectional(layers.GRU(4, return_sequences=True), merge_mode="sum"),
        layers.SimpleRNN(5, activation="relu", return_sequences=True), layers.TimeDistributed(layers.Dense(3)),
        layers.Bidirectional(layers.LSTM(3)), layers.Dense(10, activation="softmax"),
    ], name="recurrent")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


class Scaled(layers.Layer):
    """keras.io's Linear, and a learned scale: a layer of your own whose call() does math."""

    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", name="kernel")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")
        self.scale = self.add_weight(shape=(), initializer="ones", name="scale")

    def call(self, inputs):
        return self.scale * keras.ops.tanh(keras.ops.matmul(inputs, self.w) + self.b)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class GatedBlock(layers.Layer):
    """A layer of your own holding two Dense layers and a learned gate."""

    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense = layers.Dense(units, activation="relu")
        self.proj = layers.Dense(units)

    def build(self, input_shape):
        self.gate = self.add_weight(shape=(), initializer="zeros", name="gate")

    def call(self, x):
        return self.proj(x) + self.gate * self.dense(x)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def custom_layers():
    """Layers of your own (Scaled, GatedBlock): glassnet loads them with the classes given."""
    model = keras.Sequential([keras.Input((8,)), Scaled(6), GatedBlock(6), layers.Dense(10, activation="softmax")],
                             name="custom_layers")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def layer_norm():
    """LayerNormalization on a sequence's every position, with a learned gamma and beta."""
    model = keras.Sequential([keras.Input((6, 8)), layers.LayerNormalization(epsilon=1e-2), layers.Flatten(),
                              layers.Dense(10, activation="softmax")], name="layer_norm")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def sequence():
    """Rows as a sequence read by convolutions: Conv1D (causal and dilated, strided "same"),
    the 1-D poolings, a Dense on every step, a global pooling."""
    model = keras.Sequential([keras.Input((12, 8)),
                              layers.Conv1D(6, 3, padding="causal", dilation_rate=2, activation="relu"),
                              layers.MaxPool1D(3, strides=2, padding="same"),
                              layers.Conv1D(5, 2, strides=2, padding="same", activation="tanh"),
                              layers.AveragePooling1D(2, strides=1, padding="same"),
                              layers.Dense(7, activation="relu"), layers.GlobalMaxPooling1D(),
                              layers.Dense(10, activation="softmax")], name="sequence")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def separable():
    """Xception's and MobileNet's convolutions: a dilated Conv2D, DepthwiseConv2D, SeparableConv2D."""
    model = keras.Sequential([keras.Input((10, 10, 3)),
                              layers.Conv2D(6, 3, dilation_rate=2, padding="same", activation="relu"),
                              layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same", activation="relu"),
                              layers.SeparableConv2D(8, 3, strides=2, padding="same", activation="relu"),
                              layers.SeparableConv2D(5, (3, 2), dilation_rate=(1, 2), depth_multiplier=2,
                                                     use_bias=False, activation="tanh"),
                              layers.DepthwiseConv2D(2), layers.Flatten(),
                              layers.Dense(10, activation="softmax")], name="separable")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def attention():
    """A Transformer's block on rows: causal self-attention (MultiHeadAttention), a skip and
    LayerNormalization, cross-attention with a key of its own, and Luong's Attention."""
    x = keras.Input((6, 8))
    a = layers.MultiHeadAttention(2, 4, dropout=0.1)(x, x, use_causal_mask=True)
    b = layers.LayerNormalization()(layers.Add()([x, a]))
    c = layers.MultiHeadAttention(3, 2, value_dim=5, output_shape=7)(b, x, layers.Dense(3)(x))
    d = layers.Attention(use_scale=True)([c, layers.Dense(7)(x)], use_causal_mask=True)
    model = keras.Model(x, layers.Dense(10, activation="softmax")(layers.GlobalAveragePooling1D()(d)),
                        name="attention")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def fresh():
    """Compiled and saved before any training: Keras keeps its optimizer's step count only."""
    model = keras.Sequential([keras.Input((6,)), layers.Dense(3, activation="softmax")], name="fresh")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def text():
    """Word numbers read by an Embedding, then the 1-D padding, cropping and upsampling
    around a Conv1D. Its inputs are whole numbers 0..19 (as float32, as glassnet feeds them)."""
    model = keras.Sequential([keras.Input((10,)), layers.Embedding(20, 4), layers.ZeroPadding1D((1, 2)),
                              layers.Conv1D(3, 3, activation="relu"), layers.UpSampling1D(2),
                              layers.Cropping1D((1, 2)), layers.GlobalAveragePooling1D(),
                              layers.Dense(3, activation="softmax")], name="text")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def tickets():
    """The Functional API guide's ticket model: titles of any length (Input(shape=(None,))),
    tags, and two outputs given as a dict whose keys are not in alphabetical order (Keras
    orders the output layers, and so their weight groups, alphabetically)."""
    title, tags = keras.Input((None,), name="title"), keras.Input((5,), name="tags")
    x = layers.concatenate([layers.GRU(4)(layers.Embedding(20, 3)(title)), tags])
    model = keras.Model([title, tags], {"priority": layers.Dense(2, name="priority")(x),
                                        "department": layers.Dense(2, name="department")(x)}, name="tickets")
    model.compile(optimizer="adam", loss={"priority": "mse", "department": "mse"})
    return model


def nested_outputs():
    """The Keras blog's VAE shape: an encoder model with three outputs called as a layer, a
    decoder model on its third, and the model's output is the decoder's (Keras numbers a
    nested model's calls from 1 in output_layers)."""
    x_in = keras.Input((6,))
    h = layers.Dense(5, activation="tanh")(x_in)
    z_mean, z_log_var = layers.Dense(2, name="z_mean")(h), layers.Dense(2, name="z_log_var")(h)
    z = layers.Add()([z_mean, z_log_var])
    encoder = keras.Model(x_in, [z_mean, z_log_var, z], name="encoder")
    z_in = keras.Input((2,))
    decoder = keras.Model(z_in, layers.Dense(6, activation="softmax")(z_in), name="decoder")
    inputs = keras.Input((6,))
    model = keras.Model(inputs, decoder(encoder(inputs)[2]), name="nested_outputs")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def seq2seq():
    """keras.io's character-level sequence to sequence model, small: an LSTM encoder whose last
    states (return_state=True) start an LSTM decoder (initial_state=), a softmax on every step."""
    encoder_inputs, decoder_inputs = keras.Input((None, 6)), keras.Input((None, 7))
    _, state_h, state_c = layers.LSTM(5, return_state=True)(encoder_inputs)
    decoded, _, _ = layers.LSTM(5, return_sequences=True, return_state=True)(
        decoder_inputs, initial_state=[state_h, state_c])
    model = keras.Model([encoder_inputs, decoder_inputs], layers.Dense(7, activation="softmax")(decoded),
                        name="seq2seq")
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    return model


def rnn_cells():
    """keras.io's "RNN layers and RNN cells": RNN(LSTMCell), RNN(GRUCell) and RNN(SimpleRNNCell)
    with dropout in the cell (Keras keeps their weights in the RNN's ``cell`` group)."""
    model = keras.Sequential([
        keras.Input((6, 3)), layers.RNN(layers.LSTMCell(5, dropout=0.1), return_sequences=True),
        layers.RNN(layers.GRUCell(4, reset_after=False), return_sequences=True, go_backwards=True),
        layers.RNN(layers.SimpleRNNCell(3)), layers.Dense(4, activation="softmax"),
    ], name="rnn_cells")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def masked():
    """Padded word sequences (Embedding(mask_zero=True)) read by two branches: a
    Bidirectional LSTM averaged over the real steps, and a GRU's last real state; Keras writes
    the mask's NotEqual operation into the graph and passes it to Bidirectional as mask=."""
    words = keras.Input((None,), dtype="int32")
    embedded = layers.Embedding(12, 4, mask_zero=True)(words)
    both = layers.GlobalAveragePooling1D()(layers.Bidirectional(layers.LSTM(3, return_sequences=True))(embedded))
    model = keras.Model(words, layers.Dense(3, activation="softmax")(
        layers.Concatenate()([both, layers.GRU(3)(embedded)])), name="masked")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def masked_tagger():
    """One class per step of number sequences padded with zero rows (Masking): the loss and
    the accuracy count the real steps only."""
    model = keras.Sequential([keras.Input((8, 2)), layers.Masking(), layers.LSTM(4, return_sequences=True),
                              layers.Dense(3, activation="softmax")], name="masked_tagger")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _padded(rng, n, steps, make, shortest=0):
    """``n`` sequences of random lengths shortest..steps, padded with zeros after (odd rows) or
    before (even rows)."""
    x = np.zeros((n, steps) + make(1).shape[1:], "float32")
    for row in range(n):
        length = rng.integers(shortest, steps + 1)
        start = 0 if row % 2 else steps - length
        x[row, start:start + length] = make(length)
    return x


class Autoencoder(keras.Model):
    """A subclass of keras.Model as keras.io writes them (tests/test_keras_file.py has the same
    class): models, a list and layers held by attribute, set in another order than called."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.encoder = keras.Sequential([layers.Dense(4, activation="relu"), layers.Dense(2)])
        self.decoder = keras.Sequential([layers.Dense(4, activation="relu"), layers.Dense(5)])
        self.hidden = [layers.Dense(3, activation="tanh"), layers.Dense(2)]
        self.proj = layers.Dense(5)
        self.norm = layers.BatchNormalization()

    def call(self, x, training=False):
        z = self.encoder(x)
        for layer in self.hidden:
            z = layer(z)
        return self.norm(self.decoder(z) + self.proj(x), training=training)


def subclassed():
    """A subclassed model: glassnet rebuilds it with the class given, its weights by attribute."""
    model = Autoencoder(name="subclassed")
    model.compile(optimizer="adam", loss="mse")
    return model


def operations():
    """keras.ops on a Functional graph's tensors: glassnet runs them as Activation, Rescaling
    (arithmetic with a number) and merge layers (of two tensors)."""
    inputs = keras.Input((6,))
    h = layers.Dense(4)(inputs)
    a, b = keras.ops.tanh(h) + 1.0, 2.0 - keras.ops.sigmoid(h)
    mixed = (a + b) * (keras.ops.relu(h) * 3.0) - h / 255.0
    both = keras.ops.concatenate([keras.ops.silu(mixed), keras.ops.maximum(a, b)], axis=-1)
    model = keras.Model(inputs, layers.Dense(10, activation="softmax")(both), name="operations")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def _shared_layers():
    """tests/fixtures/keras/shared_layers.py, run with Keras: the layers of your own that
    glassnet's tests run from the same text."""
    namespace = {}
    exec(compile((OUT / "shared_layers.py").read_text(), "shared_layers.py", "exec"), namespace)
    return namespace


def _compiled(model):
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def feed_forward():
    """A layer of layers (Dense, Dropout, LayerNormalization) in a Sequential model."""
    return _compiled(_shared_layers()["feed_forward_stack"]())


def transformer():
    """keras.io's TransformerBlock and TokenAndPositionEmbedding, in their classifier."""
    return _compiled(_shared_layers()["transformer_classifier"]())


def own_variables():
    """add_weight and keras.Variable in layers of your own, a Dense subclass among them, and
    save_own_variables / load_own_variables of your own."""
    return _compiled(_shared_layers()["own_variables"]())


def lambdas():
    """Lambda layers, as keras.io writes them: Keras keeps their functions as Python bytecode
    (Python 3.11's here), which it and glassnet load only with safe_mode=False."""
    inputs = keras.Input((3,))
    x = layers.Lambda(lambda v: v * 100.0)(inputs)
    x = layers.Dense(4, activation="relu")(x)
    outputs = layers.Lambda(lambda v, power: keras.ops.softmax(v * power), arguments={"power": 0.5})(x)
    return _compiled(keras.Model(inputs, outputs, name="lambdas"))


def unsupported():
    return keras.Sequential([keras.Input((2, 4, 4, 4, 1)), layers.ConvLSTM3D(2, 3)], name="unsupported")


def _deflate(path):
    """Pack the archive's members with deflate: the same bytes, a tenth of the size."""
    with zipfile.ZipFile(path) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for info, data in members:
            archive.writestr(info.filename, data)


def main(only=None):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    OUT.mkdir(parents=True, exist_ok=True)
    for build in (mlp, cnn, residual, nested, branches, unsupported, tutorial, augmented, odd_layers,
                  recurrent, custom_layers, layer_norm, sequence, separable, fresh, text, attention, tickets,
                  nested_outputs, seq2seq, rnn_cells, masked, masked_tagger, subclassed, operations,
                  feed_forward, transformer, own_variables, lambdas):
        if only and build.__name__ not in only:
            continue
        model = build()
        if build is tickets:                               # two inputs, outputs by name
            x = [rng.integers(0, 20, (32, 7)).astype("float32"), rng.random((32, 5)).astype("float32")]
            model.fit(x, {"priority": rng.random((32, 2)), "department": rng.random((32, 2))}, epochs=1,
                      batch_size=8, verbose=0)
            path = OUT / "tickets.keras"
            model.save(path)
            _deflate(path)
            y = model.predict([v[:4] for v in x], verbose=0)
            np.savez(OUT / "tickets.npz", title=x[0][:4], tags=x[1][:4], **y)
            continue
        if build is seq2seq:                               # two inputs: source and target sequences
            x = [rng.random((32, 5, 6)).astype("float32"), rng.random((32, 4, 7)).astype("float32")]
            model.fit(x, rng.integers(0, 7, (32, 4)), epochs=1, batch_size=8, verbose=0)
            path = OUT / "seq2seq.keras"
            model.save(path)
            _deflate(path)
            np.savez(OUT / "seq2seq.npz", source=x[0][:4], target=x[1][:4], y=model.predict([v[:4] for v in x], verbose=0))
            continue
        if build is subclassed:                            # no inputs to read a shape from
            x = rng.random((32, 5)).astype("float32")
            model.fit(x, x, epochs=1, batch_size=8, verbose=0)
            path = OUT / "subclassed.keras"
            model.save(path)
            _deflate(path)
            np.savez(OUT / "subclassed.npz", x=x[:4], y=model.predict(x[:4], verbose=0))
            continue
        if build in (masked, masked_tagger):            # padded sequences; Keras's masked loss kept too
            if build is masked:
                x = _padded(rng, 32, 7, lambda k: rng.integers(1, 12, k), shortest=1)   # (Keras: 0/0 for none)
                y = rng.integers(0, 3, 32)
            else:
                x = _padded(rng, 32, 8, lambda k: rng.standard_normal((k, 2)) + 0.5)
                y = rng.integers(0, 3, (32, 8))
            model.fit(x, y, epochs=1, batch_size=8, verbose=0)
            path = OUT / f"{build.__name__}.keras"
            model.save(path)
            _deflate(path)
            np.savez(OUT / f"{build.__name__}.npz", x=x[:6], y=model.predict(x[:6], verbose=0), labels=y[:6],
                     evaluation=model.evaluate(x[:6], y[:6], verbose=0, return_dict=False))
            continue
        shape = tuple(model.inputs[0].shape[1:])
        x = rng.random((32,) + shape).astype("float32") * (255 if build is tutorial else 1)
        if build in (text, transformer):                   # word numbers
            x = rng.integers(0, 20, (32,) + shape).astype("float32")
        classes = model.outputs[0].shape[-1]
        if model.compiled and build is not fresh:
            model.fit(x, rng.integers(0, classes, 32), epochs=1, batch_size=8, verbose=0)
        path = OUT / f"{build.__name__}.keras"
        model.save(path)
        _deflate(path)
        np.savez(OUT / f"{build.__name__}.npz", x=x[:4], y=model.predict(x[:4], verbose=0))
        print(f"wrote {path.relative_to(OUT.parents[2])} ({os.path.getsize(path):,} bytes), Keras "
              f"{keras.__version__}, backend {keras.backend.backend()}")


if __name__ == "__main__":
    import sys
    main(sys.argv[1:])      # names of the fixtures to write again (default: all)
