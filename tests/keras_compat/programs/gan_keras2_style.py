# The GAN every Keras 2 tutorial wrote (Erik Linder-Noren's Keras-GAN, and the books after
# it): a discriminator compiled on its own, then frozen inside a combined model that trains
# the generator, the two trained in turn with train_on_batch.
#
# Keras 3 takes `discriminator.trainable = False` at its word: from then on the
# discriminator's own train_on_batch leaves it as it is, and says so ("The model does not
# have any trainable weights"); Keras 2 had kept it trainable there, fixed when compiled.
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

(x_train, _), (_, _) = keras.datasets.mnist.load_data()
x_train = (x_train.astype("float32") - 127.5) / 127.5
x_train = x_train.reshape(-1, 784)
latent_dim = 32

generator = keras.Sequential([
    layers.Input(shape=(latent_dim,)),
    layers.Dense(128), layers.LeakyReLU(negative_slope=0.2),
    layers.BatchNormalization(momentum=0.8),
    layers.Dense(784, activation="tanh"),
], name="generator")
discriminator = keras.Sequential([
    layers.Input(shape=(784,)),
    layers.Dense(128), layers.LeakyReLU(negative_slope=0.2),
    layers.Dense(1, activation="sigmoid"),
], name="discriminator")
discriminator.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(0.0002, 0.5),
                      metrics=["accuracy"])

# The combined model: the generator makes pictures, the frozen discriminator judges them.
discriminator.trainable = False
z = keras.Input(shape=(latent_dim,))
validity = discriminator(generator(z))
combined = keras.Model(z, validity)
combined.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(0.0002, 0.5))

batch_size = 64
valid = np.ones((batch_size, 1))
fake = np.zeros((batch_size, 1))
rng = np.random.default_rng(0)
g_losses, d_losses = [], []
judge_before = [w.copy() for w in discriminator.get_weights()]
for step in range(40):
    imgs = x_train[rng.integers(0, x_train.shape[0], batch_size)]
    noise = rng.normal(0, 1, (batch_size, latent_dim)).astype("float32")
    gen_imgs = generator.predict(noise, verbose=0)
    d_loss_real = discriminator.train_on_batch(imgs, valid)
    d_loss_fake = discriminator.train_on_batch(gen_imgs, fake)
    d_losses.append(0.5 * np.add(d_loss_real, d_loss_fake))
    g_losses.append(combined.train_on_batch(noise, valid))
    if step % 10 == 0:
        print(f"{step} [D loss: {d_losses[-1][0]:.3f}, acc.: {100 * d_losses[-1][1]:.1f}%] [G loss: {g_losses[-1]:.3f}]")
judge_after = discriminator.get_weights()
samples = generator.predict(rng.normal(0, 1, (16, latent_dim)), verbose=0).reshape(16, 28, 28)
