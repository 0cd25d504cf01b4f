# Feeding fit from a generator and from a keras.utils.PyDataset.
import math

import numpy as np
import keras
from keras import layers

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.astype("float32") / 255
x_test = x_test.astype("float32") / 255

def batches(x, y, batch_size):
    rng = np.random.default_rng(0)
    while True:
        order = rng.permutation(len(x))
        for start in range(0, len(x) - batch_size + 1, batch_size):
            index = order[start:start + batch_size]
            yield x[index], y[index]

class MnistBatches(keras.utils.PyDataset):
    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size = x, y, batch_size

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, index):
        low = index * self.batch_size
        high = min(low + self.batch_size, len(self.x))
        return self.x[low:high], self.y[low:high]

model = keras.Sequential([
    keras.Input(shape=(28, 28)),
    layers.Flatten(),
    layers.Dense(128, activation="relu"),
    layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
batch_size = 64
steps = len(x_train) // batch_size
model.fit(batches(x_train, y_train, batch_size), steps_per_epoch=steps, epochs=2,
          validation_data=(x_test, y_test))
model.fit(MnistBatches(x_train, y_train, batch_size), epochs=1)
loss, accuracy = model.evaluate(MnistBatches(x_test, y_test, 256))
print("accuracy:", accuracy)
