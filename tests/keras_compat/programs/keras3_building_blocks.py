# Keras 3's newer building blocks on MNIST, the way the keras.io examples use them:
# EinsumDense projections of each image row into heads, RMSNormalization, AdditiveAttention,
# Lion (with weight decay) against Lamb, MeanIoU as a metric; then a denoising "segmentation"
# of the ink, trained with the Dice loss and Adafactor, scored with BinaryIoU and
# ConcordanceCorrelation; and the Lion model saved and loaded back.
import numpy as np
import keras
from keras import layers

(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.astype("float32") / 255.0
x_test = x_test.astype("float32") / 255.0


def build_classifier():
    inputs = keras.Input(shape=(28, 28))              # each image row is a token of 28 pixels
    x = layers.EinsumDense("btp,phd->bthd", output_shape=(28, 4, 8), bias_axes="hd", activation="gelu")(inputs)
    x = layers.RMSNormalization(axis=[-2, -1])(x)
    x = layers.EinsumDense("bthd,hdk->btk", output_shape=(28, 32), bias_axes="k", activation="relu")(x)
    x = layers.AdditiveAttention()([x, x])
    x = layers.Flatten()(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs)


results, histories = {}, {}
for name, optimizer in [("lion", keras.optimizers.Lion(learning_rate=1e-3, weight_decay=0.01)),
                        ("lamb", keras.optimizers.Lamb(learning_rate=2e-2))]:
    model = build_classifier()
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy", keras.metrics.MeanIoU(num_classes=10, sparse_y_pred=False, name="mean_iou")])
    histories[name] = model.fit(x_train, y_train, batch_size=32, epochs=3, validation_split=0.1, verbose=2)
    results[name] = model.evaluate(x_test, y_test, return_dict=True, verbose=0)
    print(name, results[name])
    if name == "lion":
        lion_model = model

lion_model.save("lion_classifier.keras")
restored = keras.saving.load_model("lion_classifier.keras")
difference = float(np.max(np.abs(restored.predict(x_test[:64], verbose=0) - lion_model.predict(x_test[:64], verbose=0))))
restored_optimizer = type(restored.optimizer).__name__

# Denoising segmentation: which pixels of a noisy digit are ink?
rng = np.random.default_rng(0)
noisy_train = np.clip(x_train + rng.normal(0, 0.3, x_train.shape), 0, 1).astype("float32")
noisy_test = np.clip(x_test + rng.normal(0, 0.3, x_test.shape), 0, 1).astype("float32")
mask_train, mask_test = (x_train > 0.5).astype("float32"), (x_test > 0.5).astype("float32")

segmenter = keras.Sequential([
    keras.Input(shape=(28, 28)),
    layers.EinsumDense("bhw,wk->bhk", output_shape=(28, 64), bias_axes="k", activation="relu"),
    layers.EinsumDense("bhk,kw->bhw", output_shape=(28, 28), bias_axes="w", activation="sigmoid"),
])
segmenter.compile(optimizer=keras.optimizers.Adafactor(learning_rate=0.05), loss=keras.losses.Dice(),
                  metrics=[keras.metrics.BinaryIoU(target_class_ids=[1]), keras.metrics.ConcordanceCorrelation()])
segmentation_history = segmenter.fit(noisy_train, mask_train, batch_size=64, epochs=3, verbose=2)
segmentation = segmenter.evaluate(noisy_test, mask_test, return_dict=True, verbose=0)
print("segmentation", segmentation)
