# keras.io's "Visualizing what convnets learn" (Keras 3, TensorFlow backend), on a small
# MNIST convnet instead of ResNet50V2: a feature_extractor = keras.Model(model.inputs,
# layer.output) cut at a conv layer, and gradient ascent on the input image (tape.watch(img)
# in a tf.function, tf.math.l2_normalize on the gradient) to maximise one filter's mean
# activation away from the border; then deprocess_image makes it a picture.
#
# The convnet is keras.io's "Simple MNIST convnet" trained for 1 epoch on the harness's
# 4,000 digits; the images are 28x28x1, so the crop is 2 pixels (not 25), and 4 filters
# are drawn (not 64), visualize_filter also returns the first step's loss, and the plots
# are left out.
import numpy as np
import tensorflow as tf
import keras
from keras import layers

num_classes = 10
(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = np.expand_dims(x_train.astype("float32") / 255, -1)
y_train = keras.utils.to_categorical(y_train, num_classes)

inputs = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(32, kernel_size=(3, 3), activation="relu", name="conv2d")(inputs)
x = layers.MaxPooling2D(pool_size=(2, 2))(x)
x = layers.Conv2D(64, kernel_size=(3, 3), activation="relu", name="conv2d_1")(x)
x = layers.MaxPooling2D(pool_size=(2, 2))(x)
x = layers.Flatten()(x)
x = layers.Dropout(0.5)(x)
outputs = layers.Dense(num_classes, activation="softmax")(x)
model = keras.Model(inputs, outputs)
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=128, epochs=1)

# The dimensions of our input image
img_width = 28
img_height = 28
# Our target layer: we will visualize the filters from this layer.
# See `model.summary()` for list of layer names, if you want to change this.
layer_name = "conv2d_1"

# Set up a model that returns the activation values for our target layer
layer = model.get_layer(name=layer_name)
feature_extractor = keras.Model(inputs=model.inputs, outputs=layer.output)


def compute_loss(input_image, filter_index):
    activation = feature_extractor(input_image)
    # We avoid border artifacts by only involving non-border pixels in the loss.
    filter_activation = activation[:, 2:-2, 2:-2, filter_index]
    return tf.reduce_mean(filter_activation)


@tf.function
def gradient_ascent_step(img, filter_index, learning_rate):
    with tf.GradientTape() as tape:
        tape.watch(img)
        loss = compute_loss(img, filter_index)
    # Compute gradients.
    grads = tape.gradient(loss, img)
    # Normalize gradients.
    grads = tf.math.l2_normalize(grads)
    img += learning_rate * grads
    return loss, img


def initialize_image():
    # We start from a gray image with some random noise
    img = tf.random.uniform((1, img_width, img_height, 1))
    # The convnet expects inputs in the range [0, 1].
    # Here we scale our random inputs to [0.375, 0.625]
    return (img - 0.5) * 0.25 + 0.5


def visualize_filter(filter_index):
    # We run gradient ascent for 20 steps
    iterations = 30
    learning_rate = 10.0
    img = initialize_image()
    first_loss = None
    for iteration in range(iterations):
        loss, img = gradient_ascent_step(img, filter_index, learning_rate)
        first_loss = loss if first_loss is None else first_loss

    # Decode the resulting input image
    img = deprocess_image(img[0].numpy())
    return first_loss, loss, img


def deprocess_image(img):
    # Normalize array: center on 0., ensure variance is 0.15
    img -= img.mean()
    img /= img.std() + 1e-5
    img *= 0.15

    # Center crop
    img = img[2:-2, 2:-2, :]

    # Clip to [0, 1]
    img += 0.5
    img = np.clip(img, 0, 1)

    # Convert to RGB array
    img *= 255
    img = np.clip(img, 0, 255).astype("uint8")
    return img


# Compute image inputs that maximize per-filter activations
# for the first 4 filters of our target layer
all_imgs = []
losses = []
for filter_index in range(4):
    print("Processing filter %d" % (filter_index,))
    first_loss, loss, img = visualize_filter(filter_index)
    losses.append((float(first_loss), float(loss)))
    all_imgs.append(img)
