"""Check, with real Keras 3, that the files glassnet writes open there and behave the same.

    KERAS_BACKEND=torch python scripts/check_keras_interop.py     # or jax, tensorflow

For the zoo's MLP, CNN and LeNet-5, best-cnn, a Functional residual model, a decoder
(padding, transposed convolutions, upsampling, cropping), the noise layers, the
augmentation and Normalization layers, a few others (PReLU, ELU, GlobalMaxPooling2D,
Permute, RepeatVector, Identity), the recurrent layers and wrappers, the sequence
layers (Conv1D, the 1-D poolings, Dense on every step), a text model (Embedding, the
1-D padding, upsampling and cropping), the dilated, depthwise and separable convolutions, and
attention (MultiHeadAttention, causal, and Attention), glassnet trains
one epoch on random data and saves the model as ``.keras`` and as legacy ``.h5``. Keras loads
each file and predicts; the largest difference from glassnet's predictions must be under
1e-5. For the models without dropout (whose masks no two libraries draw alike) Keras then
takes one more training step from the file, and glassnet the same step: the weights must
still agree, which shows that the optimizer's state (Adam's running averages, its step
count) crossed over intact. Exits with status 1 if any check fails.
"""

import sys
import tempfile
from pathlib import Path

import numpy as np

import glassnet
from glassnet.engine.layers import (Activation, Add, BatchNormalization, Concatenate, Conv2D, Conv2DTranspose,
                                    Cropping2D, Dense, Flatten, GaussianDropout, GaussianNoise, Input,
                                    MaxPooling2D, SpatialDropout2D, UpSampling2D, ZeroPadding2D)
from glassnet.engine.model import Model, Sequential
from glassnet.workbench import recipes, zoo

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from tiny_models import (GatedBlock, Scaled, augmented_model, odd_layers_model, recurrent_model,  # noqa: E402
                         separable_model, sequence_model, text_model, attention_model)

TOLERANCE = 1e-5


def residual(seed=0):
    inputs = Input((28, 28, 1), name="image")
    a = Conv2D(8, 3, padding="same", activation="relu")(inputs)
    # No bias before batch norm: it would be cancelled by the normalisation, so its gradient
    # is rounding noise that Adam divides by its own tiny running average, and the two
    # libraries' noise differs (1e-4 apart after one step; everything else agrees to 1e-7).
    b = BatchNormalization()(Conv2D(8, 3, padding="same", use_bias=False)(a))
    c = Dense(16, activation="relu")(Flatten()(MaxPooling2D(2)(Activation("relu")(Add()([a, b])))))
    # Branches of different lengths: Keras numbers layers by depth, not in the order they run.
    branches = [Dense(16, activation="tanh")(c), Dense(16)(Dense(16, activation="relu")(c))]
    outputs = Dense(10, activation="softmax")(Concatenate()(branches))
    return Model(inputs, outputs, name="residual", seed=seed)


def decoder(seed=0):
    """Padding, a strided convolution, transposed convolutions, upsampling and cropping."""
    return Sequential([Input((12, 12, 1)), ZeroPadding2D(((1, 2), (0, 1))), Conv2D(4, 3, strides=2, activation="relu"),
                       Conv2DTranspose(3, 3, strides=2, padding="same", activation="relu"), UpSampling2D((1, 2)),
                       Conv2DTranspose(2, (2, 4), strides=(3, 2)), Cropping2D(((2, 3), (1, 0))), Flatten(),
                       Dense(10, activation="softmax")], name="decoder", seed=seed)


def noisy(seed=0):
    """The noise layers (they draw their noise differently: predictions only)."""
    return Sequential([Input((8, 8, 2)), GaussianNoise(0.1), SpatialDropout2D(0.2), GaussianDropout(0.1),
                       Flatten(), Dense(10, activation="softmax")], name="noisy", seed=seed)





MODELS = {"mlp": zoo.classic_mlp, "cnn": zoo.small_cnn, "lenet5": zoo.lenet5,
          "best-cnn": recipes.best_cnn, "residual": residual, "decoder": decoder, "noisy": noisy,
          "augmented": augmented_model, "odd-layers": odd_layers_model, "recurrent": recurrent_model,
          "sequence": sequence_model, "text": text_model, "separable": separable_model,
          "attention": attention_model}
RANDOM_LAYERS = ("Dropout", "SpatialDropout2D", "GaussianNoise", "GaussianDropout", "RandomFlip",
                 "RandomRotation", "RandomTranslation", "RandomZoom")


def main():
    import keras

    rng = np.random.default_rng(0)
    failures = 0
    print(f"Keras {keras.__version__} (backend {keras.backend.backend()}), glassnet {glassnet.__version__}; "
          f"random inputs uniform in [0, 1), 64 training samples, 16 to predict")
    print(f"{'model':10} {'file':7} {'|Keras - glassnet| predictions':>31} {'after one more step (weights)':>31}")
    with tempfile.TemporaryDirectory() as folder:
        for name, build in MODELS.items():
            model = build(seed=0)
            x = rng.random((64,) + model.sample_shapes[0], dtype=np.float32)
            if name == "text":
                x = np.floor(20 * x)                     # word numbers 0..19 for its Embedding
            y = rng.integers(0, 10, 64)
            model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
            model.fit(x, y, epochs=1, batch_size=16, verbose=0)
            ours = model.predict(x[:16], verbose=0)
            for suffix in (".keras", ".h5"):
                path = str(Path(folder) / f"{name}{suffix}")
                model.save(path)
                theirs = keras.models.load_model(path)
                difference = float(np.abs(np.asarray(theirs.predict(x[:16], verbose=0)) - ours).max())
                step = "-"
                has_dropout = any(type(l).__name__ in RANDOM_LAYERS or getattr(l, "dropout", 0) for l in model.layers)
                # Keras on TensorFlow gives an Embedding's gradient as IndexedSlices, and its Adam
                # squares each repeated word's share apart (v grows by the sum of the squares, not
                # the square of the sum: a word seen twice moves 1.41 lr on the first step, not
                # lr); on its other backends Keras takes the dense step glassnet takes (PyTorch: 7e-9).
                sparse_adam = name == "text" and keras.backend.backend() == "tensorflow"
                if sparse_adam and suffix == ".keras":
                    step = "(TF's sparse Adam)"
                elif suffix == ".keras" and not has_dropout:
                    again = glassnet.load_model(path)
                    again.train_on_batch(x[:16], y[:16])
                    theirs.train_on_batch(x[:16], y[:16])
                    step_difference = max(   # layer by layer: the two list them in different orders
                        float(np.abs(np.asarray(a) - b).max()) for layer in theirs.layers
                        for a, b in zip(layer.get_weights(), again.get_layer(layer.name).get_weights()))
                    step = f"{step_difference:.1e}"
                    failures += step_difference >= TOLERANCE
                failures += difference >= TOLERANCE
                print(f"{name:10} {suffix:7} {difference:31.1e} {step:>31}")
        failures += check_optimizers(keras, folder, np.random.default_rng(1))   # its own data, whatever the models drew
        failures += check_custom_layers(keras, folder, np.random.default_rng(2))
    print("all within 1e-5" if not failures else f"{failures} check(s) over 1e-5")
    return 1 if failures else 0


def check_custom_layers(keras, folder, rng):
    """Layers of your own (a call() doing math, a layer holding two Dense and a gate), written
    by glassnet and loaded by Keras with its own classes of the same names (the fixtures')."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import make_keras_fixtures as theirs_classes

    model = Sequential([Input((8,)), Scaled(6), GatedBlock(6), Dense(10, activation="softmax")], seed=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x, y = rng.random((64, 8), dtype=np.float32), rng.integers(0, 10, 64)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    path = str(Path(folder) / "custom.keras")
    model.save(path)
    theirs = keras.models.load_model(path, custom_objects={"Scaled": theirs_classes.Scaled,
                                                           "GatedBlock": theirs_classes.GatedBlock})
    difference = float(np.abs(np.asarray(theirs.predict(x[:16], verbose=0)) - model.predict(x[:16], verbose=0)).max())
    print(f"{'custom':10} {'.keras':7} {difference:31.1e} {'-':>31}")
    return int(difference >= TOLERANCE)


OPTIMIZERS = {"sgd": lambda: glassnet.optimizers.SGD(0.05, momentum=0.9),
              "rmsprop": lambda: glassnet.optimizers.RMSprop(0.001, momentum=0.5, centered=True),
              "adagrad": lambda: glassnet.optimizers.Adagrad(0.05),
              "adadelta": lambda: glassnet.optimizers.Adadelta(1.0),
              "adamw": lambda: glassnet.optimizers.AdamW(0.01),
              "nadam": lambda: glassnet.optimizers.Nadam(0.01),
              # epsilon above float32 gradient noise: with 1e-7, a dead unit whose gradient is
              # rounding noise (~1e-7) steps by lr/10, a step the two libraries round apart
              "adamax": lambda: glassnet.optimizers.Adamax(0.01, epsilon=1e-3),
              # the weights become their moving averages after every step: the averages must
              # cross over too, in Keras's place for them (before Adam's own state)
              "adam-ema": lambda: glassnet.optimizers.Adam(0.01, use_ema=True, ema_momentum=0.9,
                                                            ema_overwrite_frequency=1)}


def check_optimizers(keras, folder, rng):
    """Every optimizer the two share: train the residual model a few steps with it, save
    ``.keras``, take one more step in Keras and in glassnet from the file: the weights must
    agree, so the optimizer's state crossed over in Keras's order. Returns the failures."""
    failures = 0
    for name, make in OPTIMIZERS.items():
        model = residual(seed=0)
        x = rng.random((64,) + model.sample_shapes[0], dtype=np.float32)
        y = rng.integers(0, 10, 64)
        model.compile(optimizer=make(), loss="sparse_categorical_crossentropy")
        model.fit(x, y, epochs=1, batch_size=16, verbose=0)
        path = str(Path(folder) / f"residual-{name}.keras")
        model.save(path)
        theirs, again = keras.models.load_model(path), glassnet.load_model(path)
        again.train_on_batch(x[:16], y[:16])
        theirs.train_on_batch(x[:16], y[:16])
        difference = max(float(np.abs(np.asarray(a) - b).max()) for layer in theirs.layers
                         for a, b in zip(layer.get_weights(), again.get_layer(layer.name).get_weights()))
        failures += difference >= TOLERANCE
        print(f"{'residual':10} {name:7} {'(optimizer state)':>31} {difference:31.1e}")
    return failures


if __name__ == "__main__":
    sys.exit(main())
