# Keras 3's newer augmentation layers as keras.io's image-classification examples use them:
# RandAugment, RandomShear and RandomErasing applied to whole batches in a tf.data pipeline
# (dataset.map, training data only), a MixUp of images and one-hot labels for a second
# pipeline, and more augmentation inside the model (a blur, acting in fit only), then the
# trained model saved as .keras and loaded back.
import numpy as np
import tensorflow as tf
import keras
from keras import layers

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train[..., np.newaxis].astype("float32")        # 0..255: the layers' value_range
x_test = x_test[..., np.newaxis].astype("float32")

rand_augment = layers.RandAugment(value_range=(0, 255), num_ops=2, factor=0.1)
shear = layers.RandomShear(x_factor=0.15, y_factor=0.15, fill_mode="constant")
erasing = layers.RandomErasing(factor=0.5, scale=(0.02, 0.1), fill_value=0.0)


def augment(images, labels):
    images = rand_augment(images)
    images = shear(images)
    images = erasing(images)
    return images, labels


train_ds = (
    tf.data.Dataset.from_tensor_slices((x_train, y_train))
    .shuffle(len(x_train), seed=0)
    .batch(64)
    .map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    .prefetch(tf.data.AUTOTUNE)
)
test_ds = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(256)

for images, labels in train_ds.take(1):
    augmented_range = (float(np.min(images)), float(np.max(images)))
    batch_shape = tuple(images.shape)
print("one augmented batch:", batch_shape, "pixels in", augmented_range)

model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.RandomGaussianBlur(factor=0.3, sigma=0.5),
    layers.Rescaling(1.0 / 255),
    layers.Conv2D(16, 3, activation="relu"),
    layers.MaxPooling2D(),
    layers.Conv2D(32, 3, activation="relu"),
    layers.MaxPooling2D(),
    layers.Flatten(),
    layers.Dropout(0.2),
    layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(train_ds, epochs=3, validation_data=test_ds)

# MixUp mixes the labels too: it takes a dict of images and one-hot labels.
mix_up = layers.MixUp(alpha=0.2)


def mix(images, labels):
    mixed = mix_up({"images": images, "labels": tf.one_hot(labels, 10)})
    return mixed["images"], mixed["labels"]


mixed_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train)).batch(64).map(mix)
for mixed_images, mixed_labels in mixed_ds.take(1):
    label_sums = np.asarray(mixed_labels).sum(axis=1)
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
mixup_history = model.fit(mixed_ds, epochs=1, validation_data=test_ds.map(lambda x, y: (x, tf.one_hot(y, 10))))

model.save("rand_augment.keras")
restored = keras.models.load_model("rand_augment.keras")
difference = float(np.abs(restored.predict(x_test[:100]) - model.predict(x_test[:100])).max())
print("validation accuracy:", history.history["val_accuracy"][-1], mixup_history.history["val_accuracy"][-1])
print("largest difference after loading:", difference)
