# A convolutional denoising autoencoder, as in "Building Autoencoders in Keras" and keras.io's
# image-denoising example: noisy digits in, clean digits out, the decoder growing back to 28x28.
import numpy as np
import keras
from keras import layers

(x_train, _), (x_test, _) = keras.datasets.mnist.load_data()
x_train = x_train.astype("float32")[..., None] / 255
x_test = x_test.astype("float32")[..., None] / 255

autoencoder = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.GaussianNoise(0.3),                 # the noise is added while training only
    layers.ZeroPadding2D(2),                   # 32x32: halves twice without remainders
    layers.Conv2D(16, 3, activation="relu", padding="same"),
    layers.MaxPooling2D(2, padding="same"),
    layers.Conv2D(8, 3, activation="relu", padding="same"),
    layers.MaxPooling2D(2, padding="same"),
    layers.SpatialDropout2D(0.1),
    layers.Conv2D(8, 3, activation="relu", padding="same"),
    layers.UpSampling2D(2),
    layers.Conv2DTranspose(16, 3, strides=2, activation="relu", padding="same"),   # 16x16 -> 32x32
    layers.Conv2D(1, 3, activation="sigmoid", padding="same"),
    layers.Cropping2D(2),                      # back to 28x28
])
autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
initial_loss = autoencoder.evaluate(x_test, x_test, verbose=0)
autoencoder.fit(x_train, x_train, epochs=3, batch_size=128, shuffle=True)
final_loss = autoencoder.evaluate(x_test, x_test, verbose=0)
decoded = autoencoder.predict(x_test[:10])
print("reconstruction loss:", initial_loss, "->", final_loss, "output", decoded.shape)
