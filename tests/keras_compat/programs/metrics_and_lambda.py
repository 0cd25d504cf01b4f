# Metrics by the names people type, top-k, AUC, a LambdaCallback and a TerminateOnNaN guard.
import keras
from keras import layers

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.astype("float32") / 255
x_test = x_test.astype("float32") / 255
y_train_1hot = keras.utils.to_categorical(y_train, 10)
y_test_1hot = keras.utils.to_categorical(y_test, 10)

model = keras.Sequential([
    keras.Input(shape=(28, 28)),
    layers.Flatten(),
    layers.Dense(64, activation="relu"),
    layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="nadam", loss="categorical_crossentropy",
              metrics=["acc", keras.metrics.TopKCategoricalAccuracy(k=2, name="top2"),
                       keras.metrics.AUC(name="auc"), keras.metrics.Precision(name="precision")])
seen = []
log_epochs = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(logs["loss"]))
history = model.fit(x_train, y_train_1hot, epochs=2, batch_size=128,
                    callbacks=[log_epochs, keras.callbacks.TerminateOnNaN()])
print(sorted(history.history))
print(model.evaluate(x_test, y_test_1hot, return_dict=True, verbose=0))
