# The methods checklist: L2, ReduceLROnPlateau, LearningRateScheduler, scikit-learn metrics.
import numpy as np
import keras
from keras import layers, regularizers
from sklearn.metrics import classification_report, confusion_matrix, accuracy_score

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.reshape(-1, 28 * 28).astype("float32") / 255.0
x_test = x_test.reshape(-1, 28 * 28).astype("float32") / 255.0

model = keras.Sequential([
    keras.Input(shape=(784,)),
    layers.Dense(256, activation="relu", kernel_regularizer=regularizers.l2(1e-4)),
    layers.Dropout(0.3),
    layers.Dense(128, activation="relu", kernel_regularizer=regularizers.l2(1e-4)),
    layers.Dense(10, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])

def schedule(epoch, lr):
    return lr if epoch < 2 else lr * 0.5

callbacks = [
    keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, min_lr=1e-5),
    keras.callbacks.LearningRateScheduler(schedule),
]
history = model.fit(x_train, y_train, epochs=4, batch_size=64, validation_split=0.1, callbacks=callbacks)
print("learning rates:", history.history["learning_rate"])

y_pred = np.argmax(model.predict(x_test), axis=1)
print(classification_report(y_test, y_pred, digits=3))
print(confusion_matrix(y_test, y_pred))
print("accuracy:", accuracy_score(y_test, y_pred))
