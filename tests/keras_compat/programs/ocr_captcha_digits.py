# keras.io's "OCR model for reading Captchas" (Keras 3, TensorFlow backend), on captchas made
# of MNIST digits: four digits side by side, written as PNG files named after their text,
# then read back as the tutorial reads its captcha folder: tf.data over the file names,
# tf.io.read_file, tf.io.decode_png, tf.image.convert_image_dtype, ops.image.resize, the
# image transposed so that its width is the time axis, and StringLookup for the characters.
# The model is the tutorial's (two Conv2D and MaxPooling2D, Reshape, Dense, Dropout, two
# Bidirectional LSTMs, a softmax) with its CTCLayer adding the CTC loss by add_loss; the
# prediction model is cut from model.input and get_layer("dense2"), and its output decoded
# with keras.ops.ctc_decode. Changes: the CTC loss is Keras 3's keras.ops.ctc_loss (the
# tutorial's ctc_batch_cost calls tf.compat.v1), on the log of the softmax, with the blank
# the last class as ctc_batch_cost has it; the layers are smaller, and it trains for 15 epochs
# on 700 captchas; the decoded text is joined from the vocabulary (the tutorial's
# tf.strings.reduce_join(...).numpy().decode), and the plots are left out.
import os

os.environ["KERAS_BACKEND"] = "tensorflow"

import tempfile
from pathlib import Path

import numpy as np
from PIL import Image
import tensorflow as tf
import keras
from keras import ops
from keras import layers

# Make the captchas: four MNIST digits side by side, saved as "<text>.png".
(digits, digit_labels), _ = keras.datasets.mnist.load_data()
data_dir = Path(tempfile.mkdtemp()) / "captcha_digits"
data_dir.mkdir()
rng = np.random.default_rng(1337)
written = set()
while len(written) < 800:
    picks = rng.integers(0, len(digits), size=4)
    text = "".join(str(d) for d in digit_labels[picks])
    if text in written:
        continue
    written.add(text)
    Image.fromarray(np.concatenate(list(digits[picks]), axis=1)).save(data_dir / f"{text}.png")

# Get list of all the images
images = sorted(list(map(str, list(data_dir.glob("*.png")))))
labels = [img.split(os.path.sep)[-1].split(".png")[0] for img in images]
characters = set(char for label in labels for char in label)
characters = sorted(list(characters))

print("Number of images found: ", len(images))
print("Number of labels found: ", len(labels))
print("Number of unique characters: ", len(characters))
print("Characters present: ", characters)

# Batch size for training and validation
batch_size = 16

# Desired image dimensions
img_width = 112
img_height = 28

# Factor by which the image is going to be downsampled
# by the convolutional blocks. We will be using two
# convolution blocks and each block will have
# a pooling layer which downsample the features by a factor of 2.
# Hence total downsampling factor would be 4.
downsample_factor = 4

# Maximum length of any captcha in the dataset
max_length = max([len(label) for label in labels])

# Mapping characters to integers
char_to_num = layers.StringLookup(vocabulary=list(characters), mask_token=None)

# Mapping integers back to original characters
num_to_char = layers.StringLookup(vocabulary=char_to_num.get_vocabulary(), mask_token=None, invert=True)


def split_data(images, labels, train_size=0.875, shuffle=True):
    # 1. Get the total size of the dataset
    size = len(images)
    # 2. Make an indices array and shuffle it, if required
    indices = ops.arange(size)
    if shuffle:
        indices = ops.convert_to_numpy(keras.random.shuffle(indices))
    # 3. Get the size of training samples
    train_samples = int(size * train_size)
    # 4. Split data into training and validation sets
    x_train, y_train = images[indices[:train_samples]], labels[indices[:train_samples]]
    x_valid, y_valid = images[indices[train_samples:]], labels[indices[train_samples:]]
    return x_train, x_valid, y_train, y_valid


# Splitting data into training and validation sets
x_train, x_valid, y_train, y_valid = split_data(np.array(images), np.array(labels))


def encode_single_sample(img_path, label):
    # 1. Read image
    img = tf.io.read_file(img_path)
    # 2. Decode and convert to grayscale
    img = tf.io.decode_png(img, channels=1)
    # 3. Convert to float32 in [0, 1] range
    img = tf.image.convert_image_dtype(img, tf.float32)
    # 4. Resize to the desired size
    img = ops.image.resize(img, [img_height, img_width])
    # 5. Transpose the image because we want the time
    # dimension to correspond to the width of the image.
    img = ops.transpose(img, axes=[1, 0, 2])
    # 6. Map the characters in label to numbers
    label = char_to_num(tf.strings.unicode_split(label, input_encoding="UTF-8"))
    # 7. Return a dict as our model is expecting two inputs
    return {"image": img, "label": label}


train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train))
train_dataset = (
    train_dataset.map(encode_single_sample, num_parallel_calls=tf.data.AUTOTUNE)
    .batch(batch_size)
    .prefetch(buffer_size=tf.data.AUTOTUNE)
)

validation_dataset = tf.data.Dataset.from_tensor_slices((x_valid, y_valid))
validation_dataset = (
    validation_dataset.map(encode_single_sample, num_parallel_calls=tf.data.AUTOTUNE)
    .batch(batch_size)
    .prefetch(buffer_size=tf.data.AUTOTUNE)
)

blank = len(char_to_num.get_vocabulary())    # the last class, as Keras 2's ctc_batch_cost has it


class CTCLayer(layers.Layer):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.loss_fn = ops.ctc_loss

    def call(self, y_true, y_pred):
        # Compute the training-time loss value and add it
        # to the layer using `self.add_loss()`.
        batch_len = ops.shape(y_true)[0]
        input_length = ops.shape(y_pred)[1] * ops.ones(shape=(batch_len,), dtype="int32")
        label_length = ops.shape(y_true)[1] * ops.ones(shape=(batch_len,), dtype="int32")
        log_probabilities = ops.log(y_pred + keras.backend.epsilon())
        loss = self.loss_fn(ops.cast(y_true, "int32"), log_probabilities, label_length, input_length,
                            mask_index=blank)
        self.add_loss(ops.mean(loss))

        # At test time, just return the computed predictions
        return y_pred


def build_model():
    # Inputs to the model
    input_img = layers.Input(shape=(img_width, img_height, 1), name="image", dtype="float32")
    labels = layers.Input(name="label", shape=(None,), dtype="float32")

    # First conv block
    x = layers.Conv2D(16, (3, 3), activation="relu", kernel_initializer="he_normal", padding="same",
                      name="Conv1")(input_img)
    x = layers.MaxPooling2D((2, 2), name="pool1")(x)

    # Second conv block
    x = layers.Conv2D(32, (3, 3), activation="relu", kernel_initializer="he_normal", padding="same",
                      name="Conv2")(x)
    x = layers.MaxPooling2D((2, 2), name="pool2")(x)

    # We have used two max pool with pool size and strides 2.
    # Hence, downsampled feature maps are 4x smaller. The number of
    # filters in the last layer is 32. Reshape accordingly before
    # passing the output to the RNN part of the model
    new_shape = ((img_width // 4), (img_height // 4) * 32)
    x = layers.Reshape(target_shape=new_shape, name="reshape")(x)
    x = layers.Dense(64, activation="relu", name="dense1")(x)
    x = layers.Dropout(0.2)(x)

    # RNNs
    x = layers.Bidirectional(layers.LSTM(64, return_sequences=True, dropout=0.25))(x)
    x = layers.Bidirectional(layers.LSTM(32, return_sequences=True, dropout=0.25))(x)

    # Output layer
    x = layers.Dense(len(char_to_num.get_vocabulary()) + 1, activation="softmax", name="dense2")(x)

    # Add CTC layer for calculating CTC loss at each step
    output = CTCLayer(name="ctc_loss")(labels, x)

    # Define the model
    model = keras.models.Model(inputs=[input_img, labels], outputs=output, name="ocr_model_v1")
    # Optimizer
    opt = keras.optimizers.Adam(learning_rate=3e-3)
    # Compile the model and return
    model.compile(optimizer=opt)
    return model


# Get the model
model = build_model()
model.summary()

epochs = 15
early_stopping_patience = 10
# Add early stopping
early_stopping = keras.callbacks.EarlyStopping(
    monitor="val_loss", patience=early_stopping_patience, restore_best_weights=True
)

# Train the model
history = model.fit(
    train_dataset,
    validation_data=validation_dataset,
    epochs=epochs,
    callbacks=[early_stopping],
)

# Get the prediction model by extracting layers till the output layer
prediction_model = keras.models.Model(model.input[0], model.get_layer(name="dense2").output)
prediction_model.summary()

vocabulary = num_to_char.get_vocabulary()


# A utility function to decode the output of the network
def decode_batch_predictions(pred):
    input_len = np.ones(pred.shape[0]) * pred.shape[1]
    # Use greedy search. For complex tasks, you can use beam search
    results = ops.ctc_decode(pred, sequence_lengths=input_len, strategy="greedy", mask_index=blank)[0][0]
    results = ops.convert_to_numpy(results)[:, :max_length]
    # Iterate over the results and get back the text
    output_text = []
    for res in results:
        output_text.append("".join(vocabulary[i] for i in res if i >= 0))
    return output_text


#  Let's check results on the validation samples
read, total = 0, 0
for batch in validation_dataset:
    batch_images = batch["image"]
    batch_labels = batch["label"]

    preds = prediction_model.predict(batch_images, verbose=0)
    pred_texts = decode_batch_predictions(preds)

    orig_texts = []
    for label in ops.convert_to_numpy(batch_labels):
        orig_texts.append("".join(vocabulary[int(i)] for i in label))
    read += sum(p == o for p, o in zip(pred_texts, orig_texts))
    total += len(orig_texts)

print(f"Read {read} of {total} validation captchas")
beam_texts, beam_scores = ops.ctc_decode(preds, np.ones(len(preds)) * preds.shape[1], strategy="beam_search",
                                         beam_width=10, top_paths=2, mask_index=blank)
