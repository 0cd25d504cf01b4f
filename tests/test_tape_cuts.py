"""In a GradientTape, TensorFlow's loss functions stay on the record, and a weight the loss
never reaches gets None (as TensorFlow gives), never a silent zero. TensorFlow's
convolutional VAE lost its decoder's gradients this way: ``tf.nn.sigmoid_cross_entropy_with_logits``
made a plain array of the decoder's output, and the decoder never learned."""

import warnings

import numpy as np
import pytest

import glassnet as tf
from glassnet import layers
from glassnet.gradcheck import numerical_gradient

RNG = np.random.default_rng(11)


def dense(units=3, features=4, seed=0):
    model = tf.keras.Sequential([layers.Input((features,)), layers.Dense(units, dtype="float64")], seed=seed)
    return model


LABELS = RNG.integers(0, 3, 6)
CASES = {   # each: a tf.nn loss of the (6, 3) logits, per sample or per element
    "sigmoid": lambda logits: tf.nn.sigmoid_cross_entropy_with_logits(labels=np.eye(3)[LABELS], logits=logits),
    "softmax": lambda logits: tf.nn.softmax_cross_entropy_with_logits(labels=np.eye(3)[LABELS], logits=logits),
    "sparse_softmax": lambda logits: tf.nn.sparse_softmax_cross_entropy_with_logits(labels=LABELS, logits=logits),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_tf_nn_losses_stay_on_the_record(name):
    model, x = dense(), RNG.standard_normal((6, 4))

    def loss():
        return tf.reduce_mean(CASES[name](model(x, training=True)))

    with tf.GradientTape() as tape:
        value = loss()
    grads = tape.gradient(value, model.trainable_variables)
    for grad, weight in zip(grads, model.trainable_variables):
        assert grad is not None
        expected = np.reshape(numerical_gradient(lambda: float(loss()), weight), weight.shape)
        np.testing.assert_allclose(np.asarray(grad), expected, rtol=1e-6, atol=1e-9)


def test_the_sparse_loss_is_the_dense_one():
    logits = RNG.standard_normal((6, 3))
    np.testing.assert_allclose(CASES["sparse_softmax"](logits), CASES["softmax"](logits), rtol=1e-12)


def test_a_model_the_loss_never_reaches_gets_none_and_apply_gradients_says_so():
    used, unused = dense(seed=1), dense(seed=2)
    x = RNG.standard_normal((5, 4))
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(used(x) ** 2)
        np.asarray(unused(x))                 # called in the tape, its output cut off the record
    weights = used.trainable_variables + unused.trainable_variables
    grads = tape.gradient(loss, weights)
    assert all(g is not None for g in grads[:2]) and grads[2:] == [None, None]
    with pytest.warns(UserWarning, match="Gradients do not exist for variables"):
        tf.keras.optimizers.SGD(0.1).apply_gradients(zip(grads, weights))


def test_axis_given_as_a_list_as_tensorflow_and_keras_take_it():
    x = RNG.standard_normal((2, 3, 4, 5))
    np.testing.assert_allclose(tf.reduce_sum(x, axis=[1, 2, 3]), x.sum(axis=(1, 2, 3)))
    np.testing.assert_allclose(tf.keras.ops.mean(x, axis=[1, 2]), x.mean(axis=(1, 2)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.shape(tf.reduce_max(x, axis=[0, -1], keepdims=True)) == (1, 3, 4, 1)
