# Focal loss on an imbalanced problem, with group normalization and grouped convolutions
# (Lin et al.'s focal loss; Wu and He's group norm; ResNeXt's grouped 3x3 convolutions), as a
# keras.io-style program: MNIST's zeros against every other digit (about 10% positives) with
# BinaryFocalCrossentropy and class balancing, saved and reloaded; then all ten digits with the
# categorical focal loss by its name.
import numpy as np
import keras
from keras import layers

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.astype("float32")[..., None] / 255
x_test = x_test.astype("float32")[..., None] / 255
is_zero_train = (y_train == 0).astype("float32")
is_zero_test = (y_test == 0).astype("float32")
print(f"positives: {is_zero_train.mean():.1%} of {len(is_zero_train)}")


def conv_block(x, filters, groups):
    """A grouped 3x3 convolution, group-normalized, then ReLU."""
    x = layers.Conv2D(filters, 3, padding="same", groups=groups, use_bias=False)(x)
    x = layers.GroupNormalization(groups=4)(x)
    return layers.Activation("relu")(x)


inputs = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu")(inputs)
x = conv_block(x, 16, groups=4)
x = layers.MaxPooling2D()(x)
x = conv_block(x, 32, groups=8)
x = layers.GlobalAveragePooling2D()(x)
outputs = layers.Dense(1, activation="sigmoid")(x)
detector = keras.Model(inputs, outputs, name="zero_detector")
detector.summary()

detector.compile(
    optimizer=keras.optimizers.Adam(3e-3),
    loss=keras.losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.75, gamma=2.0),
    metrics=[keras.metrics.AUC(curve="PR", name="prc"), keras.metrics.Recall(name="recall")],
)
history = detector.fit(x_train, is_zero_train, batch_size=64, epochs=4, validation_split=0.1, verbose=2)
results = detector.evaluate(x_test, is_zero_test, verbose=0, return_dict=True)
print(results)

# One focal loss per sample, with Keras's function.
probabilities = detector.predict(x_test[:8], verbose=0)
per_sample = keras.losses.binary_focal_crossentropy(is_zero_test[:8, None], probabilities, gamma=2.0)
print(np.round(np.asarray(per_sample), 4))

detector.save("zero_detector.keras")
reloaded = keras.models.load_model("zero_detector.keras")
difference = float(np.max(np.abs(reloaded.predict(x_test[:8], verbose=0) - probabilities)))
print("reloaded, largest difference:", difference)

# All ten digits: the categorical focal loss on one-hot labels, by its name.
classifier = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(32, 3, activation="relu"),
    layers.GroupNormalization(groups=8),
    layers.MaxPooling2D(),
    layers.Conv2D(32, 3, groups=4, activation="relu"),
    layers.MaxPooling2D(),
    layers.Flatten(),
    layers.Dense(10, activation="softmax"),
])
classifier.compile(optimizer="adam", loss="categorical_focal_crossentropy", metrics=["accuracy"])
classifier.fit(x_train, keras.utils.to_categorical(y_train, 10), batch_size=64, epochs=3, verbose=2)
test_loss, test_acc = classifier.evaluate(x_test, keras.utils.to_categorical(y_test, 10), verbose=0)
print(f"test accuracy: {test_acc:.3f}")
