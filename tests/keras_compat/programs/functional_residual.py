# A Functional-API MLP with residual (skip) connections.
import numpy as np
import keras
from keras import layers

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.reshape(-1, 784).astype("float32") / 255
x_test = x_test.reshape(-1, 784).astype("float32") / 255

inputs = keras.Input(shape=(784,), name="digits")
x = layers.Dense(128, activation="relu", name="stem")(inputs)
for i in range(2):
    shortcut = x
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dense(128)(x)
    x = layers.add([shortcut, x])
    x = layers.Activation("relu")(x)
outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
model = keras.Model(inputs=inputs, outputs=outputs, name="residual_mlp")
model.summary()

model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=1e-3),
    loss=keras.losses.SparseCategoricalCrossentropy(),
    metrics=[keras.metrics.SparseCategoricalAccuracy()],
)
history = model.fit(x_train, y_train, batch_size=64, epochs=2, validation_data=(x_test, y_test))
print(history.history.keys())
results = model.evaluate(x_test, y_test, batch_size=128, return_dict=True)
print(results)
