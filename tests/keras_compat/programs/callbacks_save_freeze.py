# Callbacks, saving to .keras, get/set_weights and a frozen layer.
import os
import tempfile

import numpy as np
import keras
from keras import layers

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.astype("float32") / 255
x_test = x_test.astype("float32") / 255

def build():
    return keras.Sequential([
        keras.Input(shape=(28, 28)),
        layers.Flatten(),
        layers.Dense(64, activation="relu", name="hidden"),
        layers.Dense(10, activation="softmax", name="out"),
    ])

model = build()
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
folder = tempfile.mkdtemp()
best_path = os.path.join(folder, "best.keras")
callbacks = [
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True),
    keras.callbacks.ModelCheckpoint(best_path, monitor="val_accuracy", save_best_only=True),
    keras.callbacks.CSVLogger(os.path.join(folder, "log.csv")),
]
history = model.fit(x_train, y_train, epochs=4, validation_split=0.2, callbacks=callbacks)

path = os.path.join(folder, "mnist_mlp.keras")
model.save(path)
restored = keras.models.load_model(path)
same = np.allclose(restored.predict(x_test[:100]), model.predict(x_test[:100]), atol=1e-6)
print("restored predicts the same:", same)
best = keras.models.load_model(best_path)
print("best checkpoint accuracy:", best.evaluate(x_test, y_test, verbose=0)[1])

# A second model starts from the first one's weights, with its hidden layer frozen.
student = build()
student.set_weights(model.get_weights())
student.get_layer("hidden").trainable = False
student.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
frozen_before = student.get_layer("hidden").get_weights()[0].copy()
student.fit(x_train, y_train, epochs=1)
frozen_after = student.get_layer("hidden").get_weights()[0]
print("frozen layer unchanged:", np.array_equal(frozen_before, frozen_after))
print("trainable weights:", len(student.trainable_weights), "non-trainable:", len(student.non_trainable_weights))
