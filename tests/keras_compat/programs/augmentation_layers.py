# keras.io's and TensorFlow's way to augment and normalise: the preprocessing layers inside the
# model (a Sequential of random layers, the identity when predicting), a Normalization adapted
# to the training images, then the trained model saved as .keras and loaded back.
import numpy as np
import keras
from keras import layers

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train[..., np.newaxis].astype("float32")          # 0..255: Normalization scales them
x_test = x_test[..., np.newaxis].astype("float32")

normalizer = layers.Normalization(axis=None)
normalizer.adapt(x_train)

data_augmentation = keras.Sequential([
    layers.RandomRotation(0.05),
    layers.RandomTranslation(0.1, 0.1),
    layers.RandomZoom(0.1),
], name="data_augmentation")

model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    data_augmentation,
    normalizer,
    layers.Conv2D(16, 3, activation="relu"),
    layers.MaxPooling2D(),
    layers.Conv2D(32, 3, activation="relu"),
    layers.MaxPooling2D(),
    layers.Flatten(),
    layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x_train, y_train, epochs=3, batch_size=64, validation_data=(x_test, y_test))

model.save("augmented.keras")
restored = keras.models.load_model("augmented.keras")
difference = float(np.abs(restored.predict(x_test[:100]) - model.predict(x_test[:100])).max())
print("validation accuracy:", history.history["val_accuracy"][-1])
print("largest difference after loading:", difference)
print("mean and variance:", float(np.squeeze(normalizer.mean)), float(np.squeeze(normalizer.variance)))
