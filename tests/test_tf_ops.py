"""TensorFlow's names for glassnet.ops (tf_arrays.py, tf_math.py, tf_linalg.py, tf_control.py), for ``import glassnet as tf``:
tf.stop_gradient, tf.cond, tf.while_loop, tf.linalg, tf.math.erf and the segment sums, the
initializers by snake_case name and tf.Variable(initial_value=...): against TensorFlow, and
keras.io's VQ-VAE quantizer as first written (all tf.*) trained in a model."""

import numpy as np
import pytest

import glassnet as tf
from glassnet import layers

RNG = np.random.default_rng(0)
A = RNG.normal(size=(2, 4, 4)).astype(np.float32)
SPD = A @ np.swapaxes(A, -1, -2) + 4 * np.eye(4, dtype=np.float32)
B = RNG.normal(size=(2, 4, 3)).astype(np.float32)
X = RNG.normal(size=(5, 3)).astype(np.float32)
IDS = np.array([0, 0, 2, 2, 3])


def test_by_hand():
    np.testing.assert_array_equal(tf.math.segment_sum(X, IDS)[1], [0, 0, 0])              # empty: 0
    assert tf.math.unsorted_segment_max(X, IDS, 5)[4, 0] == np.finfo(np.float32).min   # empty: lowest
    assert tf.while_loop(lambda i, t: i < 3, lambda i, t: (i + 1, t * 2), [0, 1]) == [3, 8]
    assert tf.cond(np.array(False), lambda: 1, lambda: 2) == 2
    s, u, v = tf.linalg.svd(A)
    np.testing.assert_allclose((u * s[..., None, :]) @ np.swapaxes(v, -1, -2), A, atol=1e-5)   # v, not vh
    lower = np.array([[2.0, 9.0], [1.0, 1.0]])
    np.testing.assert_allclose(tf.linalg.triangular_solve(lower, np.array([[2.0], [3.0]])), [[1], [2]])
    assert tf.random_uniform_initializer(-1.0, 1.0)(shape=(50,), dtype="float32").dtype == np.float32
    np.testing.assert_array_equal(np.asarray(tf.Variable(initial_value=np.ones(2, np.float32))), [1, 1])
    with pytest.raises(AttributeError, match="tf.linalg has no 'lu'"):
        tf.linalg.lu(A)


def test_tensorflow_gives_the_same_numbers():
    real_tf = pytest.importorskip("tensorflow")
    pairs = [(tf.math.erf(X), real_tf.math.erf(X)), (tf.math.erfinv(np.tanh(X)), real_tf.math.erfinv(np.tanh(X))),
             (tf.math.segment_max(X, IDS), real_tf.math.segment_max(X, IDS)),
             (tf.math.unsorted_segment_sum(X, IDS, 5), real_tf.math.unsorted_segment_sum(X, IDS, 5)),
             (tf.math.l2_normalize(X, axis=1), real_tf.math.l2_normalize(X, axis=1)),
             (tf.math.divide_no_nan(X, np.round(X)), real_tf.math.divide_no_nan(X, np.round(X))),
             (tf.linalg.triangular_solve(SPD, B), real_tf.linalg.triangular_solve(SPD, B)),
             (tf.linalg.triangular_solve(SPD, B, adjoint=True), real_tf.linalg.triangular_solve(SPD, B, adjoint=True)),
             (tf.linalg.svd(A)[0], real_tf.linalg.svd(A)[0]), (tf.linalg.logdet(SPD), real_tf.linalg.logdet(SPD)),
             (tf.linalg.inv(SPD), real_tf.linalg.inv(SPD)), (tf.linalg.slogdet(A)[1], real_tf.linalg.slogdet(A)[1]),
             (tf.stop_gradient(X), real_tf.stop_gradient(X))]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-4, atol=1e-5)


class VectorQuantizer(layers.Layer):
    """keras.io's, as first written with TensorFlow's functions (word for word but the docstring)."""

    def __init__(self, num_embeddings, embedding_dim, beta=0.25, **kwargs):
        super().__init__(**kwargs)
        self.embedding_dim = embedding_dim
        self.num_embeddings = num_embeddings
        self.beta = beta
        w_init = tf.random_uniform_initializer()
        self.embeddings = tf.Variable(
            initial_value=w_init(shape=(self.embedding_dim, self.num_embeddings), dtype="float32"),
            trainable=True, name="embeddings_vqvae")

    def call(self, x):
        input_shape = tf.shape(x)
        flattened = tf.reshape(x, [-1, self.embedding_dim])
        encoding_indices = self.get_code_indices(flattened)
        encodings = tf.one_hot(encoding_indices, self.num_embeddings)
        quantized = tf.matmul(encodings, self.embeddings, transpose_b=True)
        quantized = tf.reshape(quantized, input_shape)
        commitment_loss = tf.reduce_mean((tf.stop_gradient(quantized) - x) ** 2)
        codebook_loss = tf.reduce_mean((quantized - tf.stop_gradient(x)) ** 2)
        self.add_loss(self.beta * commitment_loss + codebook_loss)
        quantized = x + tf.stop_gradient(quantized - x)
        return quantized

    def get_code_indices(self, flattened_inputs):
        similarity = tf.matmul(flattened_inputs, self.embeddings)
        distances = (tf.reduce_sum(flattened_inputs ** 2, axis=1, keepdims=True)
                     + tf.reduce_sum(self.embeddings ** 2, axis=0) - 2 * similarity)
        return tf.argmin(distances, axis=1)


def test_the_tensorflow_written_quantizer_trains_its_codebook_and_passes_gradients_straight_through():
    inputs = tf.keras.Input((4, 4, 3))
    encoded = layers.Conv2D(3, 1, name="encoder")(inputs)
    quantizer = VectorQuantizer(8, 3, name="vq")
    outputs = layers.Conv2D(2, 1)(quantizer(encoded))
    model = tf.keras.Model(inputs, outputs)
    model.compile(tf.keras.optimizers.Adam(0.01), "mse")
    x = RNG.normal(size=(64, 4, 4, 3)).astype(np.float32)
    codebook = np.array(quantizer.embeddings)
    encoder = model.get_layer("encoder").get_weights()[0].copy()
    model.fit(x, x[..., :2], epochs=2, batch_size=16, verbose=0)
    assert len(model.trainable_weights) == 5
    assert not np.allclose(np.array(quantizer.embeddings), codebook)          # the codebook loss
    assert not np.allclose(model.get_layer("encoder").get_weights()[0], encoder)
    codes = quantizer.get_code_indices(np.asarray(model.get_layer("encoder")(x[:2])).reshape(-1, 3))
    assert codes.shape == (32,) and 0 <= codes.min() <= codes.max() < 8


def test_keras_random_is_a_module_path_too():
    from glassnet.random import SeedGenerator, normal
    assert normal((2, 3), seed=SeedGenerator(1)).shape == (2, 3)
