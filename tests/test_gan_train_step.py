"""keras.io's GAN: a keras.Model with no call(), only compile() and train_step() of its own
holding a generator and a discriminator (engine/model.py's ``_init_steps_only``). fit runs
its train_step on each batch as it comes and logs what it returns; the gradients its two
tapes give are checked against finite differences in float64."""

import math

import numpy as np
import pytest

import glassnet as keras
from glassnet import layers, ops
from glassnet.gradcheck import numerical_gradient

RNG = np.random.default_rng(3)
LATENT, PIXELS, BATCH = 3, 5, 4


class GAN(keras.Model):
    """keras.io's, on vectors, its random numbers drawn ahead (``self.ahead``, popped in
    order) so that the finite differences can repeat the very same step."""

    def __init__(self, discriminator, generator, latent_dim):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.ahead = []
        self.taken = []              # (grads, every weight before the update), per apply_gradients

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer, self.g_optimizer, self.loss_fn = d_optimizer, g_optimizer, loss_fn
        self.d_loss_metric = keras.metrics.Mean(name="d_loss")
        self.g_loss_metric = keras.metrics.Mean(name="g_loss")

    @property
    def metrics(self):
        return [self.d_loss_metric, self.g_loss_metric]

    def d_loss(self, real_images, random_latent_vectors, noise):
        combined_images = ops.concatenate([self.generator(random_latent_vectors), real_images], axis=0)
        batch_size = ops.shape(real_images)[0]
        labels = ops.concatenate([ops.ones((batch_size, 1)), ops.zeros((batch_size, 1))], axis=0)
        labels += 0.05 * noise
        return self.loss_fn(labels, self.discriminator(combined_images))

    def g_loss(self, random_latent_vectors):
        misleading_labels = ops.zeros((ops.shape(random_latent_vectors)[0], 1))
        return self.loss_fn(misleading_labels, self.discriminator(self.generator(random_latent_vectors)))

    def step(self, optimizer, loss, weights, tape):
        grads = tape.gradient(loss, weights)
        self.taken.append(([np.array(g) for g in grads], [w.copy() for w in self.get_weights()]))
        optimizer.apply_gradients(zip(grads, weights))

    def train_step(self, real_images):
        first, noise, second = self.ahead.pop(0), self.ahead.pop(0), self.ahead.pop(0)
        with keras.GradientTape() as tape:
            d_loss = self.d_loss(real_images, first, noise)
        self.step(self.d_optimizer, d_loss, self.discriminator.trainable_weights, tape)
        with keras.GradientTape() as tape:
            g_loss = self.g_loss(second)
        self.step(self.g_optimizer, g_loss, self.generator.trainable_weights, tape)
        self.d_loss_metric.update_state(d_loss)
        self.g_loss_metric.update_state(g_loss)
        return {"d_loss": self.d_loss_metric.result(), "g_loss": self.g_loss_metric.result()}


def small_gan():
    discriminator = keras.Sequential([layers.Input((PIXELS,)), layers.Dense(6, activation="tanh", dtype="float64"),
                                      layers.Dense(1, activation="sigmoid", dtype="float64")], seed=1)
    generator = keras.Sequential([layers.Input((LATENT,)), layers.Dense(4, dtype="float64"),
                                  layers.LeakyReLU(negative_slope=0.2, dtype="float64"),
                                  layers.Dense(PIXELS, activation="sigmoid", dtype="float64")], seed=2)
    gan = GAN(discriminator, generator, LATENT)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3), keras.losses.BinaryCrossentropy())
    return gan


def draws(batches):
    return [array for _ in range(batches) for array in (
        RNG.standard_normal((BATCH, LATENT)), RNG.random((2 * BATCH, 1)), RNG.standard_normal((BATCH, LATENT)))]


def finite_differences(loss, weight):
    """d loss() / d weight, one entry at a time (glassnet.gradcheck's central differences)."""
    return np.reshape(numerical_gradient(lambda: float(loss()), weight), weight.shape)


def test_both_gradients_of_a_step_are_the_finite_differences():
    """The discriminator's gradient at the weights the step began with; the generator's at
    the discriminator's weights after its update, as the step takes them."""
    gan, images = small_gan(), RNG.random((BATCH, PIXELS))
    gan.ahead = draws(1)
    first, noise, second = gan.ahead
    gan.fit(images, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    (d_grads, before_d), (g_grads, before_g) = gan.taken
    checks = [(d_grads, before_d, gan.discriminator, lambda: gan.d_loss(images, first, noise)),
              (g_grads, before_g, gan.generator, lambda: gan.g_loss(second))]
    for grads, weights, model, loss in checks:
        gan.set_weights(weights)
        assert len(grads) == len(model.trainable_weights) > 0
        for grad, weight in zip(grads, model.trainable_weights):
            np.testing.assert_allclose(grad, finite_differences(loss, weight), rtol=1e-6, atol=1e-9)


def test_fit_logs_the_trackers_and_trains_both_models():
    gan, images = small_gan(), RNG.random((3 * BATCH, PIXELS))
    gan.ahead = draws(6)
    before = [w.copy() for w in gan.get_weights()]
    history = gan.fit(images, batch_size=BATCH, epochs=2, verbose=0)
    assert set(history.history) == {"d_loss", "g_loss"} and len(history.history["d_loss"]) == 2
    assert all(math.isfinite(v) for values in history.history.values() for v in values)
    assert int(gan.d_optimizer.iterations) == int(gan.g_optimizer.iterations) == 6
    assert len(gan.trainable_weights) == 8          # the two models' weights, as Keras tracks them
    assert gan.layers == [gan.discriminator, gan.generator]
    assert all(not np.array_equal(a, b) for a, b in zip(before, gan.get_weights()))


def test_a_model_with_no_call_is_never_called_but_its_weights_are_saved(tmp_path):
    """As in Keras: such a model only trains by its train_step; its weights (the models it
    holds) are saved and loaded as any model's."""
    gan, x = small_gan(), np.zeros((1, PIXELS))
    for run in (lambda: gan(x), lambda: gan.predict(x), lambda: gan.evaluate(x),
                lambda: gan.save(tmp_path / "gan.keras")):
        with pytest.raises(NotImplementedError, match="Model GAN does not have a `call\\(\\)` method"):
            run()
    gan.set_weights([w + RNG.random(w.shape) for w in gan.get_weights()])   # not small_gan()'s own
    gan.save_weights(tmp_path / "gan.weights.h5")
    other = small_gan()
    other.load_weights(tmp_path / "gan.weights.h5")
    for a, b in zip(gan.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_model_with_neither_call_nor_steps_is_made_and_refuses_to_run_as_keras_does():
    class Empty(keras.Model):
        pass

    model = Empty()                     # Keras makes it (TensorFlow's CVAE is one: methods of its own)
    with pytest.raises(NotImplementedError, match="does not have a `call\\(\\)` method.*give it a call"):
        model(np.zeros((2, 3)))
    with pytest.raises(TypeError, match="Model needs inputs and outputs"):
        keras.Model()


def test_noisy_binary_labels_a_little_outside_0_1_are_kept_as_keras_keeps_them():
    """keras.io's label noise makes labels up to 1.05: the loss is the formula, unclipped;
    class numbers 0..9 are still refused."""
    loss = keras.losses.BinaryCrossentropy()
    y, p = np.array([[1.05], [0.02]]), np.array([[0.9], [0.2]])
    expected = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    np.testing.assert_allclose(float(loss(y, p)), expected, rtol=1e-6)
    with pytest.raises(Exception, match="labels must be 0/1"):
        loss(np.array([[3.0], [0.0]]), p)
