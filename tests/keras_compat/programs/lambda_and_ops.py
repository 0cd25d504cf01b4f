# Keras 3 odds and ends around a Functional CNN: a Lambda, arithmetic and an activation
# function on symbolic tensors, and keras.ops on the predictions.
import numpy as np
import keras
from keras import layers, ops

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()

inputs = keras.Input(shape=(28, 28))
x = layers.Lambda(lambda images: images / 255.0)(inputs)
x = 2.0 * x - 1.0                                    # pixels in [-1, 1]
x = layers.Reshape((28, 28, 1))(x)
x = layers.Conv2D(16, 3, activation="relu")(x)
x = layers.MaxPooling2D()(x)
x = layers.Flatten()(x)
x = keras.activations.relu(layers.Dense(64)(x))
outputs = layers.Dense(10, activation="softmax")(x)
model = keras.Model(inputs, outputs)

model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x_train, y_train, batch_size=64, epochs=2, validation_split=0.1)
probabilities = model.predict(x_test)
predicted = ops.convert_to_numpy(ops.argmax(probabilities, axis=-1))
accuracy = float(np.mean(predicted == y_test))
targets = ops.convert_to_numpy(ops.one_hot(y_test[:5], 10))
print(f"test accuracy {accuracy:.4f}")
