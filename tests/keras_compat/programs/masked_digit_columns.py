# keras.io's "Understanding masking & padding" guide, on digits: each MNIST image read as a
# sequence of its ink columns. The blank columns at the sides are cut off, so the sequences
# have different lengths; pad_sequences pads them to one length with zeros, and a Masking
# layer tells the LSTM to skip the padding.
import numpy as np
import keras
from keras import layers

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train, x_test = x_train / 255.0, x_test / 255.0


def ink_columns(images):
    """Each image as the list of its columns (time steps of 28 pixels), blank margins cut off."""
    sequences = []
    for image in images:
        columns = image.T
        inked = np.flatnonzero(columns.max(axis=1) > 0)
        sequences.append(columns[inked[0]:inked[-1] + 1])
    return sequences


train_sequences, test_sequences = ink_columns(x_train), ink_columns(x_test)
lengths = [len(s) for s in train_sequences]
print("columns per digit: from", min(lengths), "to", max(lengths))

x_train_padded = keras.utils.pad_sequences(train_sequences, maxlen=28, dtype="float32", padding="post")
x_test_padded = keras.utils.pad_sequences(test_sequences, maxlen=28, dtype="float32", padding="post")

model = keras.Sequential([
    keras.Input(shape=(28, 28)),
    layers.Masking(mask_value=0.0),
    layers.Bidirectional(layers.LSTM(32)),
    layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x_train_padded, y_train, batch_size=64, epochs=3, validation_split=0.1)
test_loss, test_acc = model.evaluate(x_test_padded, y_test, verbose=2)

# The mask makes the padding invisible: the same digits padded in front give the same answers.
x_front = keras.utils.pad_sequences(test_sequences[:20], maxlen=28, dtype="float32", padding="pre")
difference = np.abs(model.predict(x_front) - model.predict(x_test_padded[:20])).max()
print("largest difference, padded after or before:", difference)
