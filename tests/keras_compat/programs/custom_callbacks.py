# keras.io's "Writing your own callbacks", on MNIST: the hooks and their logs, an early
# stopping callback that restores the best weights, and a learning-rate schedule callback.
import numpy as np
import keras


def get_model():
    model = keras.Sequential()
    model.add(keras.layers.Dense(1))
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.01), loss="mean_squared_error",
                  metrics=["mean_absolute_error"])
    return model


(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.reshape(-1, 784).astype("float32") / 255.0
x_test = x_test.reshape(-1, 784).astype("float32") / 255.0
y_train, y_test = y_train.astype("float32"), y_test.astype("float32")

keys_seen = {}


class CustomCallback(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        keys_seen["train_begin"] = list(logs.keys())

    def on_epoch_end(self, epoch, logs=None):
        keys_seen["epoch_end"] = sorted(logs.keys())

    def on_test_end(self, logs=None):
        keys_seen["test_end"] = sorted(logs.keys())

    def on_predict_batch_end(self, batch, logs=None):
        keys_seen["predict_batch_end"] = list(logs.keys())


model = get_model()
model.fit(x_train, y_train, batch_size=128, epochs=1, verbose=0, validation_split=0.5, callbacks=[CustomCallback()])
res = model.evaluate(x_test, y_test, batch_size=128, verbose=0, callbacks=[CustomCallback()])
res = model.predict(x_test, batch_size=128, callbacks=[CustomCallback()])


class EarlyStoppingAtMinLoss(keras.callbacks.Callback):
    def __init__(self, patience=0):
        super().__init__()
        self.patience = patience
        self.best_weights = None

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = np.inf

    def on_epoch_end(self, epoch, logs=None):
        current = logs.get("loss")
        if np.less(current, self.best):
            self.best = current
            self.wait = 0
            self.best_weights = self.model.get_weights()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = epoch
                self.model.stop_training = True
                self.model.set_weights(self.best_weights)


class CustomLearningRateScheduler(keras.callbacks.Callback):
    def __init__(self, schedule):
        super().__init__()
        self.schedule = schedule

    def on_epoch_begin(self, epoch, logs=None):
        lr = self.model.optimizer.learning_rate
        scheduled_lr = self.schedule(epoch, lr)
        self.model.optimizer.learning_rate = scheduled_lr


def lr_schedule(epoch, lr):
    return 0.001 if epoch >= 2 else lr


stopper = EarlyStoppingAtMinLoss(patience=1)
model = get_model()
history = model.fit(x_train, y_train, batch_size=64, epochs=4, verbose=0,
                    callbacks=[stopper, CustomLearningRateScheduler(lr_schedule)])
final_rate = float(np.array(model.optimizer.learning_rate))
