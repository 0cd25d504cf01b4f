# keras.io's "Customizing what happens in fit() with TensorFlow": a train_step of your own
# with tf.GradientTape, self.compute_loss and the metrics updated by hand, then a test_step
# of your own for evaluate(), as written there (on its random data, then on MNIST digits).
import numpy as np
import tensorflow as tf
import keras
from keras import layers


class CustomModel(keras.Model):
    def train_step(self, data):
        # Unpack the data. Its structure depends on your model and
        # on what you pass to `fit()`.
        x, y = data

        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)  # Forward pass
            # Compute the loss value
            # (the loss function is configured in `compile()`)
            loss = self.compute_loss(y=y, y_pred=y_pred)

        # Compute gradients
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)

        # Update weights
        self.optimizer.apply_gradients(zip(gradients, trainable_vars))

        # Update metrics (includes the metric that tracks the loss)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)

        # Return a dict mapping metric names to current value
        return {m.name: m.result() for m in self.metrics}


# Construct and compile an instance of CustomModel
inputs = keras.Input(shape=(32,))
outputs = keras.layers.Dense(1)(inputs)
model = CustomModel(inputs, outputs)
model.compile(optimizer="adam", loss="mse", metrics=["mae"])

# Just use `fit` as usual
x = np.random.random((1000, 32))
y = np.random.random((1000, 1))
history = model.fit(x, y, epochs=3)


class CustomEvaluator(keras.Model):
    def test_step(self, data):
        # Unpack the data
        x, y = data
        # Compute predictions
        y_pred = self(x, training=False)
        # Updates the metrics tracking the loss
        loss = self.compute_loss(y=y, y_pred=y_pred)
        # Update the metrics.
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        # Return a dict mapping metric names to current value.
        # Note that it will include the loss (tracked in self.metrics).
        return {m.name: m.result() for m in self.metrics}


# Construct an instance of CustomEvaluator
inputs = keras.Input(shape=(32,))
outputs = keras.layers.Dense(1)(inputs)
evaluator = CustomEvaluator(inputs, outputs)
evaluator.compile(loss="mse", metrics=["mae"])

# Evaluate with our custom test_step
x = np.random.random((1000, 32))
y = np.random.random((1000, 1))
results = evaluator.evaluate(x, y, return_dict=True)

# The same train_step on digits: a small classifier with a softmax, trained and evaluated.
(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.reshape(-1, 784).astype("float32") / 255
x_test = x_test.reshape(-1, 784).astype("float32") / 255
digits_in = keras.Input(shape=(784,))
hidden = layers.Dense(64, activation="relu")(digits_in)
digits = CustomModel(digits_in, layers.Dense(10, activation="softmax")(hidden))
digits.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
digits_history = digits.fit(x_train, y_train, batch_size=64, epochs=3, validation_data=(x_test, y_test))
test_loss, test_acc = digits.evaluate(x_test, y_test, verbose=0)
