# keras.io's "Timeseries anomaly detection using an Autoencoder": a convolutional autoencoder
# (Conv1D down, Conv1DTranspose up) learns to rebuild windows of a normal series; a window it
# rebuilds worse than any training window holds an anomaly. The tutorial reads the NAB CSV
# files (art_daily_small_noise, art_daily_jumpsup); here the same kind of series is made with
# NumPy (a daily sine plus noise, then the same with a jump up), 48 steps a "day", not 288.
import numpy as np
import keras
from keras import layers

TIME_STEPS = 48
rng = np.random.default_rng(0)


def daily_series(days, jump_at=None, jump_length=24):
    t = np.arange(days * TIME_STEPS)
    values = 40 + 20 * np.sin(2 * np.pi * t / TIME_STEPS) + rng.normal(0, 1.5, len(t))
    if jump_at is not None:
        values[jump_at:jump_at + jump_length] += 60        # art_daily_jumpsup's jump
    return values.astype("float32")


df_small_noise = daily_series(12)
JUMP_AT = 5 * TIME_STEPS + 10
df_daily_jumpsup = daily_series(12, jump_at=JUMP_AT)

# Normalize and save the mean and std we get, for normalizing test data.
training_mean = df_small_noise.mean()
training_std = df_small_noise.std()
df_training_value = (df_small_noise - training_mean) / training_std
print("Number of training samples:", len(df_training_value))


# Generated training sequences for use in the model.
def create_sequences(values, time_steps=TIME_STEPS):
    output = []
    for i in range(len(values) - time_steps + 1):
        output.append(values[i : (i + time_steps)])
    return np.stack(output)


x_train = create_sequences(df_training_value)[..., None]
print("Training input shape: ", x_train.shape)

model = keras.Sequential(
    [
        layers.Input(shape=(x_train.shape[1], x_train.shape[2])),
        layers.Conv1D(filters=32, kernel_size=7, padding="same", strides=2, activation="relu"),
        layers.Dropout(rate=0.2),
        layers.Conv1D(filters=16, kernel_size=7, padding="same", strides=2, activation="relu"),
        layers.Conv1DTranspose(filters=16, kernel_size=7, padding="same", strides=2, activation="relu"),
        layers.Dropout(rate=0.2),
        layers.Conv1DTranspose(filters=32, kernel_size=7, padding="same", strides=2, activation="relu"),
        layers.Conv1DTranspose(filters=1, kernel_size=7, padding="same"),
    ]
)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss="mse")
model.summary()

history = model.fit(
    x_train,
    x_train,
    epochs=30,
    batch_size=32,
    validation_split=0.1,
    callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, mode="min")],
)

# Get train MAE loss.
x_train_pred = model.predict(x_train)
train_mae_loss = np.mean(np.abs(x_train_pred - x_train), axis=1)

# Get reconstruction loss threshold.
threshold = np.max(train_mae_loss)
print("Reconstruction error threshold: ", threshold)

# Prepare test data.
df_test_value = (df_daily_jumpsup - training_mean) / training_std
x_test = create_sequences(df_test_value)[..., None]
print("Test input shape: ", x_test.shape)

# Get test MAE loss.
x_test_pred = model.predict(x_test)
test_mae_loss = np.mean(np.abs(x_test_pred - x_test), axis=1)
test_mae_loss = test_mae_loss.reshape((-1))

# Detect all the samples which are anomalies.
anomalies = test_mae_loss > threshold
print("Number of anomaly samples: ", np.sum(anomalies))
print("Indices of anomaly samples: ", np.where(anomalies))

# data i is an anomaly if samples [(i - timesteps + 1) to (i)] are anomalies
anomalous_data_indices = []
for data_idx in range(TIME_STEPS - 1, len(df_test_value) - TIME_STEPS + 1):
    if np.all(anomalies[data_idx - TIME_STEPS + 1 : data_idx]):
        anomalous_data_indices.append(data_idx)
print("Anomalous data points:", anomalous_data_indices)
