# Polyak averaging (use_ema, SwapEMAWeights) and a run interrupted and started again
# (BackupAndRestore), as the keras.io callback docs show them.
import os
import tempfile

import numpy as np
import keras
from keras import layers

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.astype("float32") / 255
x_test = x_test.astype("float32") / 255


class Interrupt(keras.callbacks.Callback):
    """The machine goes away at the first batch of the third epoch."""

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if self.epoch == 2:
            raise RuntimeError("interrupted")


def build():
    model = keras.Sequential([
        keras.Input(shape=(28, 28)),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(use_ema=True, ema_momentum=0.9),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


backup_dir = os.path.join(tempfile.mkdtemp(), "backup")
model = build()
try:
    model.fit(x_train, y_train, epochs=4, validation_split=0.1,
              callbacks=[keras.callbacks.BackupAndRestore(backup_dir), Interrupt()])
except RuntimeError as error:
    print("first run:", error)

model = build()
history = model.fit(x_train, y_train, epochs=4, validation_split=0.1,
                    callbacks=[keras.callbacks.BackupAndRestore(backup_dir), keras.callbacks.SwapEMAWeights()])
print("epochs run after the restart:", len(history.history["loss"]))
print("backup removed:", not os.path.exists(backup_dir))
test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
print("test accuracy:", test_acc)
