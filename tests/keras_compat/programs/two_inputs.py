# A Functional model with two inputs: the image and a hint (is the digit drawn thick?).
import numpy as np
import keras
from keras import layers

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.astype("float32") / 255
x_test = x_test.astype("float32") / 255
ink_train = x_train.reshape(len(x_train), -1).mean(axis=1, keepdims=True)
ink_test = x_test.reshape(len(x_test), -1).mean(axis=1, keepdims=True)

image = keras.Input(shape=(28, 28), name="image")
ink = keras.Input(shape=(1,), name="ink")
features = layers.Flatten()(image)
features = layers.Dense(64, activation="relu")(features)
hint = layers.Dense(8, activation="relu")(ink)
merged = layers.concatenate([features, hint])
output = layers.Dense(10, activation="softmax", name="digit")(merged)
model = keras.Model(inputs=[image, ink], outputs=output)
model.summary()

model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit({"image": x_train, "ink": ink_train}, y_train, epochs=2, batch_size=64,
          validation_split=0.1)
loss, accuracy = model.evaluate([x_test, ink_test], y_test)
print("accuracy:", accuracy)
