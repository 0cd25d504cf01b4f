# keras.io's "Save, serialize, and export models" guide on MNIST: a registered layer of your
# own holding a keras.Variable, a subclass of Dense, a registered metric and a schedule, all
# saved to one .keras file and loaded back without custom_objects.
import os
import tempfile

import numpy as np
import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="guide")
class ScaleAndShift(layers.Layer):
    def __init__(self, factor, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor
        self.shift = keras.Variable(np.zeros((784,)), name="shift", dtype="float32")

    def call(self, x):
        return x * self.factor + self.shift

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@keras.saving.register_keras_serializable(package="guide")
class WideDense(layers.Dense):
    def __init__(self, units, width_note="wide", **kwargs):
        super().__init__(units, **kwargs)
        self.width_note = width_note

    def get_config(self):
        return {**super().get_config(), "width_note": self.width_note}


@keras.saving.register_keras_serializable(package="guide")
class ConfidentCount(keras.metrics.Metric):
    def __init__(self, threshold=0.9, name="confident", **kwargs):
        super().__init__(name=name, **kwargs)
        self.threshold = threshold
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.count.assign_add(ops.sum(ops.cast(ops.max(y_pred, axis=-1) > self.threshold, "float32")))

    def result(self):
        return self.count

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}


(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.reshape(-1, 784).astype("float32") / 255
x_test = x_test.reshape(-1, 784).astype("float32") / 255

inputs = keras.Input(shape=(784,), name="digits")
x = ScaleAndShift(2.0)(inputs)
x = WideDense(64, activation="relu", width_note="sixty-four")(x)
outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
model = keras.Model(inputs, outputs)
print(model.layers)
shift_weights = [w.name for w in model.layers[1].weights]
model.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.ExponentialDecay(1e-3, 100, 0.9)),
              loss="sparse_categorical_crossentropy", metrics=["accuracy", ConfidentCount(0.8)])
history = model.fit(x_train, y_train, batch_size=64, epochs=2, validation_split=0.1)
shift_moved = float(np.abs(ops.convert_to_numpy(model.layers[1].shift)).sum()) > 0

path = os.path.join(tempfile.mkdtemp(), "guide_model.keras")
model.save(path)
restored = keras.models.load_model(path)
difference = float(np.abs(restored.predict(x_test, verbose=0) - model.predict(x_test, verbose=0)).max())
scores = restored.evaluate(x_test, y_test, return_dict=True, verbose=0)
print("largest difference after loading:", difference)
print("restored model:", scores)
rate = float(ops.convert_to_numpy(restored.optimizer.learning_rate))
print("learning rate now:", rate)
