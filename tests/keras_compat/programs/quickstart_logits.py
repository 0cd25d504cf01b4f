# The TensorFlow beginner quickstart, Keras 3 style: logits, model(x), a probability model.
import numpy as np
import keras

mnist = keras.datasets.mnist
(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train, x_test = x_train / 255.0, x_test / 255.0

model = keras.models.Sequential([
    keras.layers.Input(shape=(28, 28)),
    keras.layers.Flatten(),
    keras.layers.Dense(128, activation="relu"),
    keras.layers.Dropout(0.2),
    keras.layers.Dense(10),
])
predictions = np.asarray(model(x_train[:1]))
print(predictions)
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
initial_loss = float(loss_fn(y_train[:1], predictions))
print("loss before training:", initial_loss)     # about ln(10) = 2.3

model.compile(optimizer="adam", loss=loss_fn, metrics=["accuracy"])
model.fit(x_train, y_train, epochs=2)
model.evaluate(x_test, y_test, verbose=2)

probability_model = keras.Sequential([model, keras.layers.Softmax()])
probabilities = np.asarray(probability_model(x_test[:5]))
print(probabilities.sum(axis=1))
