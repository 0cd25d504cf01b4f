# TensorFlow Datasets' "Training a neural network on MNIST with Keras"
# (tensorflow.org/datasets/keras_example), fed from arrays as tensorflow.org's "Load NumPy
# data" tutorial does (keras.datasets.mnist in place of tfds.load): from_tensor_slices ->
# map(normalize_img) -> cache -> shuffle -> batch -> prefetch(AUTOTUNE) -> fit with a
# validation dataset; then the tf.data guide's peeks at the elements, evaluate and predict on
# datasets, and "Load NumPy data"'s shorter pipeline repeated, with steps_per_epoch.
import numpy as np
import tensorflow as tf

(x_train, y_train), (x_test, y_test) = tf.keras.datasets.mnist.load_data()

ds_train = tf.data.Dataset.from_tensor_slices((x_train, y_train))
ds_test = tf.data.Dataset.from_tensor_slices((x_test, y_test))
print(ds_train.element_spec)

for image, label in ds_train.take(1):
  first_shape, first_label = tuple(image.shape), int(label.numpy())
print(first_shape, first_label)


def normalize_img(image, label):
  """Normalizes images: `uint8` -> `float32`."""
  return tf.cast(image, tf.float32) / 255., label


ds_train = ds_train.map(normalize_img, num_parallel_calls=tf.data.AUTOTUNE)
ds_train = ds_train.cache()
ds_train = ds_train.shuffle(len(x_train))
ds_train = ds_train.batch(128)
ds_train = ds_train.prefetch(tf.data.AUTOTUNE)

ds_test = ds_test.map(normalize_img, num_parallel_calls=tf.data.AUTOTUNE)
ds_test = ds_test.batch(128)
ds_test = ds_test.cache()
ds_test = ds_test.prefetch(tf.data.AUTOTUNE)

model = tf.keras.models.Sequential([
  tf.keras.layers.Flatten(input_shape=(28, 28)),
  tf.keras.layers.Dense(128, activation='relu'),
  tf.keras.layers.Dense(10)
])
model.compile(
    optimizer=tf.keras.optimizers.Adam(0.001),
    loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=[tf.keras.metrics.SparseCategoricalAccuracy()],
)

history = model.fit(
    ds_train,
    epochs=3,
    validation_data=ds_test,
)

train_batches = int(tf.data.experimental.cardinality(ds_train))
test_loss, test_accuracy = model.evaluate(ds_test)
predictions = model.predict(ds_test.map(lambda image, label: image))
predicted = np.argmax(predictions, axis=1)
print("accuracy from predict:", np.mean(predicted == y_test))

# "Load NumPy data": shuffle(SHUFFLE_BUFFER_SIZE).batch(BATCH_SIZE), here repeated forever,
# so steps_per_epoch says where an epoch ends.
BATCH_SIZE = 64
SHUFFLE_BUFFER_SIZE = 100
repeated = tf.data.Dataset.from_tensor_slices((x_train / 255.0, y_train))
repeated = repeated.shuffle(SHUFFLE_BUFFER_SIZE).batch(BATCH_SIZE).repeat()
more = model.fit(repeated, epochs=2, steps_per_epoch=20)
