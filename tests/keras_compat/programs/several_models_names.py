# A baseline and a bigger network in one session, as the tutorials that compare models build
# them. Keras names layers across the whole session, so the bigger model's first Dense layer
# is "dense_2" (the baseline has "dense" and "dense_1"), and get_layer asks for it by that name;
# clear_session() starts the names again.
import numpy as np
import keras
from keras import layers

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.reshape(-1, 784).astype("float32") / 255
x_test = x_test.reshape(-1, 784).astype("float32") / 255

baseline = keras.Sequential([
    keras.Input(shape=(784,)),
    layers.Dense(32, activation="relu"),
    layers.Dense(10, activation="softmax"),
])
bigger = keras.Sequential([
    keras.Input(shape=(784,)),
    layers.Dense(128, activation="relu"),
    layers.Dropout(0.2),
    layers.Dense(10, activation="softmax"),
])
inputs = keras.Input(shape=(784,))
x = layers.Dense(64, activation="relu")(inputs)
functional = keras.Model(inputs, layers.Dense(10, activation="softmax")(x))
models = [baseline, bigger, functional]
names = {model.name: [layer.name for layer in model.layers] for model in models}
print(names)
bigger.summary()
hidden = bigger.get_layer("dense_2")
print("bigger's hidden layer:", hidden.name, hidden.units)

for model in models:
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=2, batch_size=128, verbose=0)
accuracies = {model.name: model.evaluate(x_test, y_test, verbose=0)[1] for model in models}
print(accuracies)
baseline.save("baseline.keras")

keras.backend.clear_session()
restarted = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(16), layers.Dense(10)])
restarted_names = [restarted.name] + [layer.name for layer in restarted.layers]
reloaded = keras.models.load_model("baseline.keras")
reloaded_names = [reloaded.name] + [layer.name for layer in reloaded.layers]
difference = float(np.abs(reloaded.predict(x_test[:100], verbose=0) - baseline.predict(x_test[:100], verbose=0)).max())
print(restarted_names, reloaded_names, difference)
