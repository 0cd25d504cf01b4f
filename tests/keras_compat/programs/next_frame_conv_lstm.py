# keras.io's "Next-Frame Video Prediction with Convolutional LSTMs", made small: the tutorial
# downloads Moving MNIST (20 frames of 64x64); here the moving digits are made from a few MNIST
# images (shrunk to 8x8, bouncing about 16x16 frames, 10 frames a clip). The model is the
# tutorial's: ConvLSTM2D layers with BatchNormalization between them, and a Conv3D that gives
# each next frame, trained to turn frames 0..n-1 into frames 1..n.
import numpy as np
import keras
from keras import layers

(digits, _), _ = keras.datasets.mnist.load_data()
rng = np.random.default_rng(1)
FRAMES, SIZE = 10, 16


def moving_digit(image):
    """One clip: a digit (28x28 -> 8x8) bouncing about the frame, 1 or 2 pixels a step."""
    small = image[2:26, 2:26].reshape(8, 3, 8, 3).mean(axis=(1, 3)) / 255
    position = rng.integers(0, SIZE - 8, 2)
    velocity = rng.choice([-2, -1, 1, 2], 2)
    clip = np.zeros((FRAMES, SIZE, SIZE, 1), "float32")
    for t in range(FRAMES):
        clip[t, position[0]:position[0] + 8, position[1]:position[1] + 8, 0] = small
        for axis in range(2):
            if not 0 <= position[axis] + velocity[axis] <= SIZE - 8:
                velocity[axis] = -velocity[axis]
            position[axis] += velocity[axis]
    return clip


dataset = np.stack([moving_digit(image) for image in digits[:60]])

# Split into train and validation sets using indexing to optimize memory.
indexes = np.arange(dataset.shape[0])
np.random.shuffle(indexes)
train_index = indexes[: int(0.8 * dataset.shape[0])]
val_index = indexes[int(0.8 * dataset.shape[0]) :]
train_dataset = dataset[train_index]
val_dataset = dataset[val_index]


# We'll define a helper function to shift the frames, where
# `x` is frames 0 to n - 1, and `y` is frames 1 to n.
def create_shifted_frames(data):
    x = data[:, 0 : data.shape[1] - 1, :, :]
    y = data[:, 1 : data.shape[1], :, :]
    return x, y


# Apply the processing function to the datasets.
x_train, y_train = create_shifted_frames(train_dataset)
x_val, y_val = create_shifted_frames(val_dataset)
print("Training Dataset Shapes: " + str(x_train.shape) + ", " + str(y_train.shape))
print("Validation Dataset Shapes: " + str(x_val.shape) + ", " + str(y_val.shape))

# Construct the input layer with no definite frame size.
inp = layers.Input(shape=(None, *x_train.shape[2:]))

# We will construct 3 `ConvLSTM2D` layers with batch normalization,
# followed by a `Conv3D` layer for the spatiotemporal outputs.
x = layers.ConvLSTM2D(
    filters=8,
    kernel_size=(5, 5),
    padding="same",
    return_sequences=True,
    activation="relu",
)(inp)
x = layers.BatchNormalization()(x)
x = layers.ConvLSTM2D(
    filters=8,
    kernel_size=(3, 3),
    padding="same",
    return_sequences=True,
    activation="relu",
)(x)
x = layers.BatchNormalization()(x)
x = layers.ConvLSTM2D(
    filters=8,
    kernel_size=(1, 1),
    padding="same",
    return_sequences=True,
    activation="relu",
)(x)
x = layers.Conv3D(filters=1, kernel_size=(3, 3, 3), activation="sigmoid", padding="same")(x)

# Next, we will build the complete model and compile it.
model = keras.models.Model(inp, x)
model.compile(
    loss=keras.losses.binary_crossentropy,
    optimizer=keras.optimizers.Adam(learning_rate=0.01),
)

# Define some callbacks to improve training.
early_stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=10)
reduce_lr = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", patience=5)

# Define modifiable training hyperparameters.
epochs = 6
batch_size = 5

# Fit the model to the training data.
history = model.fit(
    x_train,
    y_train,
    batch_size=batch_size,
    epochs=epochs,
    validation_data=(x_val, y_val),
    callbacks=[early_stopping, reduce_lr],
)

# Select a random example from the validation dataset.
example = val_dataset[np.random.choice(range(len(val_dataset)), size=1)[0]]

# Pick the first/last five frames from the example.
frames = example[:5, ...]
original_frames = example[5:, ...]

# Predict a new set of 5 frames.
for _ in range(5):
    # Extract the model's prediction and post-process it.
    new_prediction = model.predict(np.expand_dims(frames, axis=0))
    new_prediction = np.squeeze(new_prediction, axis=0)
    predicted_frame = np.expand_dims(new_prediction[-1, ...], axis=0)

    # Extend the set of prediction frames.
    frames = np.concatenate((frames, predicted_frame), axis=0)

new_frames = frames[5:, ...]
print("Predicted frames:", new_frames.shape, "mean absolute error",
      float(np.mean(np.abs(new_frames - original_frames))))
