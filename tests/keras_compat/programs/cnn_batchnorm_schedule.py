# A CNN with batch normalization, a learning-rate schedule object and class weights.
import numpy as np
import keras
from keras import layers

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train[..., np.newaxis].astype("float32") / 255.0
x_test = x_test[..., np.newaxis].astype("float32") / 255.0

model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(16, 3, padding="same", use_bias=False),
    layers.BatchNormalization(momentum=0.9),   # statistics that settle within a short run
    layers.Activation("relu"),
    layers.MaxPooling2D(),
    layers.Conv2D(32, 3, padding="same", activation="relu"),
    layers.BatchNormalization(momentum=0.9),   # statistics that settle within a short run
    layers.MaxPooling2D(),
    layers.GlobalAveragePooling2D(),
    layers.Dense(10, activation="softmax"),
])
schedule = keras.optimizers.schedules.ExponentialDecay(
    initial_learning_rate=3e-3, decay_steps=100, decay_rate=0.9)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=schedule),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
counts = np.bincount(y_train, minlength=10)
class_weight = {i: float(len(y_train) / (10 * c)) for i, c in enumerate(counts)}
history = model.fit(x_train, y_train, batch_size=64, epochs=3, class_weight=class_weight,
                    validation_data=(x_test, y_test))
print("final validation accuracy:", history.history["val_accuracy"][-1])
print("non-trainable params:", sum(int(np.prod(w.shape)) for w in model.non_trainable_weights))
