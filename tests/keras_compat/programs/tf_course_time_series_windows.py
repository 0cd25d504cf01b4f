# The DeepLearning.AI "TensorFlow Developer" course, "Sequences, Time Series and
# Prediction" (course 4): its synthetic series (trend + seasonality + noise, built with the
# course's own functions), cut into training windows by `windowed_dataset` (Dataset.window,
# flat_map, shuffle, map, batch, prefetch), a Conv1D + LSTM + Dense model on
# `Lambda(expand_dims)`, the Huber loss and SGD with momentum, the learning-rate sweep with
# `LearningRateScheduler(lambda epoch: 1e-8 * 10**(epoch / 20))`, then training at the chosen
# rate and `model_forecast` over every window of the series with `model.predict`.
# Shortened: a few epochs instead of 100 and 500, and no plots (plot_series draws with matplotlib);
# the mean absolute error with Keras 3's spelling (below).
import numpy as np
import tensorflow as tf


def trend(time, slope=0):
    return slope * time


def seasonal_pattern(season_time):
    """Just an arbitrary pattern, you can change it if you wish"""
    return np.where(season_time < 0.4,
                    np.cos(season_time * 2 * np.pi),
                    1 / np.exp(3 * season_time))


def seasonality(time, period, amplitude=1, phase=0):
    """Repeats the same pattern at each period"""
    season_time = ((time + phase) % period) / period
    return amplitude * seasonal_pattern(season_time)


def noise(time, noise_level=1, seed=None):
    rnd = np.random.RandomState(seed)
    return rnd.randn(len(time)) * noise_level


time = np.arange(4 * 365 + 1, dtype="float32")
baseline = 10
amplitude = 40
slope = 0.05
noise_level = 5

# Create the series
series = baseline + trend(time, slope) + seasonality(time, period=365, amplitude=amplitude)
# Update with noise
series += noise(time, noise_level, seed=42)

split_time = 1000
time_train = time[:split_time]
x_train = series[:split_time]
time_valid = time[split_time:]
x_valid = series[split_time:]

window_size = 20
batch_size = 32
shuffle_buffer_size = 1000


def windowed_dataset(series, window_size, batch_size, shuffle_buffer):
    dataset = tf.data.Dataset.from_tensor_slices(series)
    dataset = dataset.window(window_size + 1, shift=1, drop_remainder=True)
    dataset = dataset.flat_map(lambda window: window.batch(window_size + 1))
    dataset = dataset.shuffle(shuffle_buffer).map(lambda window: (window[:-1], window[-1]))
    dataset = dataset.batch(batch_size).prefetch(1)
    return dataset


def model_forecast(model, series, window_size):
    ds = tf.data.Dataset.from_tensor_slices(series)
    ds = ds.window(window_size, shift=1, drop_remainder=True)
    ds = ds.flat_map(lambda w: w.batch(window_size))
    ds = ds.batch(32).prefetch(1)
    forecast = model.predict(ds)
    return forecast


dataset = windowed_dataset(x_train, window_size, batch_size, shuffle_buffer_size)
for x, y in dataset.take(1):
    first_x, first_y = x.numpy(), y.numpy()


def build_model():
    return tf.keras.models.Sequential([
        tf.keras.layers.Lambda(lambda x: tf.expand_dims(x, axis=-1), input_shape=[window_size]),
        tf.keras.layers.Conv1D(filters=32, kernel_size=5, strides=1, padding="causal", activation="relu"),
        tf.keras.layers.LSTM(32, return_sequences=True),
        tf.keras.layers.LSTM(32),
        tf.keras.layers.Dense(10, activation="relu"),
        tf.keras.layers.Dense(1),
        tf.keras.layers.Lambda(lambda x: x * 100.0)
    ])


# Pick a learning rate: raise it a little every epoch and watch the loss.
tf.keras.backend.clear_session()
tf.random.set_seed(51)
np.random.seed(51)
model = build_model()
lr_schedule = tf.keras.callbacks.LearningRateScheduler(
    lambda epoch: 1e-8 * 10**(epoch / 20))
optimizer = tf.keras.optimizers.SGD(learning_rate=1e-8, momentum=0.9)
model.compile(loss=tf.keras.losses.Huber(), optimizer=optimizer, metrics=["mae"])
history = model.fit(dataset, epochs=6, callbacks=[lr_schedule], verbose=0)
lrs = 1e-8 * (10 ** (np.arange(6) / 20))

# Train at the chosen rate.
tf.keras.backend.clear_session()
tf.random.set_seed(51)
np.random.seed(51)
model = build_model()
optimizer = tf.keras.optimizers.SGD(learning_rate=1e-5, momentum=0.9)
model.compile(loss=tf.keras.losses.Huber(), optimizer=optimizer, metrics=["mae"])
trained = model.fit(dataset, epochs=12, verbose=0)

forecast = model_forecast(model, series, window_size)
results = forecast[split_time - window_size:-1, 0]
# (The course's tf.keras.metrics.mean_absolute_error is keras.metrics.mean_absolute_error in Keras 3.)
mae = tf.keras.metrics.MeanAbsoluteError()(x_valid, results).numpy()
naive_forecast = series[split_time - 1:-1]
naive_mae = tf.keras.metrics.MeanAbsoluteError()(x_valid, naive_forecast).numpy()
print(mae, naive_mae)
