"""``import glassnet as tf``: the functions that cut, join, reorder and look up arrays
(glassnet/tf_arrays.py), their values and dtypes against TensorFlow's where it is installed,
and their gradients inside recorded math against finite differences."""

import numpy as np
import pytest

import glassnet as tf
from glassnet.engine.autodiff import Value
from test_autodiff import gradients

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4)).astype(np.float32)

# name -> a function of the tf module (glassnet's or TensorFlow's), run on both
SAME_AS_TENSORFLOW = {
    "split": lambda tf: tf.split(X, 2, axis=1) + tf.split(X, [1, -1, 1], axis=1),
    "unstack": lambda tf: tf.unstack(X, axis=1),
    "fill": lambda tf: [tf.fill([2, 3], 7), tf.fill((2,), 0.5)],
    "identity": lambda tf: tf.identity(X),
    "boolean_mask": lambda tf: [tf.boolean_mask(X, X[:, 0] > 0), tf.boolean_mask(X, X > 0),
                                tf.boolean_mask(X, [True, False, True, True], axis=1)],
    "argsort": lambda tf: [tf.argsort([3, 1, 3, 2]), tf.argsort([3, 1, 3, 2], direction="DESCENDING"),
                           tf.argsort(X, axis=0)],
    "sort": lambda tf: [tf.sort(X), tf.sort(X, axis=0, direction="DESCENDING"), tf.sort([3, 1, 2])],
    "cumsum": lambda tf: [tf.cumsum(X), tf.cumsum([1, 2, 3], exclusive=True, reverse=True),
                          tf.cumsum(X, axis=1, exclusive=True)],
    "cumprod": lambda tf: [tf.math.cumprod(X, axis=1, reverse=True), tf.math.cumprod([1, 2, 3], exclusive=True)],
    "einsum": lambda tf: tf.einsum("ij,kj->ik", X, X),
    "norm": lambda tf: [tf.norm(X), tf.norm(X, axis=1), tf.norm(X, ord=1, axis=0, keepdims=True),
                        tf.norm(X, ord=np.inf, axis=1), tf.norm(X, ord=3, axis=1), tf.norm(X, ord=1, axis=[0, 1]),
                        tf.norm(X, ord=2, axis=(-2, -1)), tf.norm(X, ord=np.inf, axis=[-2, -1], keepdims=True),
                        tf.norm(X, ord="fro", axis=[0, 1])],
    "pad": lambda tf: [tf.pad(X, [[1, 0], [2, 2]]), tf.pad(X, [[1, 2], [2, 3]], "REFLECT"),
                       tf.pad(X, [[2, 2], [1, 0]], mode="SYMMETRIC"), tf.pad(X, [[0, 1], [0, 0]], constant_values=9)],
    "reverse": lambda tf: tf.reverse(X, [0, 1]),
    "roll": lambda tf: [tf.roll(X, 1, 0), tf.roll(X, [1, -2], [0, 1])],
    "repeat": lambda tf: [tf.repeat(X, 2, axis=1), tf.repeat(X, [1, 0, 2], axis=0), tf.repeat([1, 2], 2)],
    "tile": lambda tf: [tf.tile(X, [2, 1]), tf.tile([1, 2], [3])],
    "broadcast_to": lambda tf: tf.broadcast_to([1, 2, 3], [2, 3]),
    "meshgrid": lambda tf: tf.meshgrid([1., 2., 3.], [4., 5.]) + tf.meshgrid([1, 2], [3, 4, 5], indexing="ij"),
    "gather": lambda tf: [tf.gather(X, [2, 0]), tf.gather(X, [[1], [3]], axis=1),
                          tf.gather(X, [[0, 0], [1, 3], [2, 2]], batch_dims=1, axis=1)],
    "gather_nd": lambda tf: [tf.gather_nd(X, [[0, 1], [2, 3]]), tf.gather_nd(X, [[1], [0]]),
                             tf.gather_nd(X, [[1], [0], [3]], batch_dims=1)],
    "scatter_nd": lambda tf: tf.scatter_nd([[1], [3], [1]], [9., 10., 11.], [5]),
    "tensor_scatter_nd_update": lambda tf: [tf.tensor_scatter_nd_update(X, [[0, 1], [2, 2]], [5., 6.]),
                                            tf.tensor_scatter_nd_add(X, [[1]], [np.ones(4, np.float32)])],
    "sequence_mask": lambda tf: [tf.sequence_mask([1, 3, 0], 4), tf.sequence_mask([[1, 2]], dtype=tf.float32)],
    "unique": lambda tf: list(tf.unique([3, 1, 3, 2, 1])) + list(tf.unique_with_counts([5, 5, 4])),
    "searchsorted": lambda tf: [tf.searchsorted([[1, 3, 5], [2, 4, 6]], [[2, 6], [1, 7]]),
                                tf.searchsorted([1., 2., 2., 3.], [2., 2.5], side="right")],
    "histogram_fixed_width": lambda tf: tf.histogram_fixed_width([-1., 0., 1.5, 2., 5., 15.], [0., 5.], nbins=5),
    "reduce_sum": lambda tf: [tf.reduce_sum(np.ones((2, 3, 4), np.float32), axis=[1, 2]),
                              tf.reduce_mean(X, axis=[0, 1], keepdims=True), tf.reduce_sum([1, 2]),
                              tf.reduce_mean([[-1, -2], [4, 7]], axis=1), tf.reduce_prod(np.int32([3, 4])),
                              tf.reduce_max([1.5, 2.0])],
    "stop_gradient": lambda tf: tf.stop_gradient(X),
    "scatter_more": lambda tf: [tf.tensor_scatter_nd_sub(X, [[0, 1], [0, 1]], [5., 6.]),
                                tf.tensor_scatter_nd_max(X, [[1, 2]], [9.]), tf.tensor_scatter_nd_min(X, [[2]], [X[0]])],
    "slice": lambda tf: [tf.slice(X, [1, 0], [2, -1]), tf.strided_slice(X, [0, 1], [3, 4], [2, 2]),
                         tf.strided_slice(X, [1, 0], [0, 3], [1, 1], begin_mask=0, end_mask=1),
                         tf.strided_slice(X, [2, 1], [3, 4], shrink_axis_mask=1)],
    "unravel_index": lambda tf: tf.unravel_index([5, 11, 0], [3, 4]),
    "reverse_sequence": lambda tf: [tf.reverse_sequence(X, [2, 4, 0], seq_axis=1, batch_axis=0),
                                    tf.reverse_sequence(X, [3, 1, 2, 0], seq_axis=0, batch_axis=1)],
    "partition_stitch": lambda tf: tf.dynamic_partition(X, [1, 0, 1], 2)
    + [tf.dynamic_stitch([[0, 2], [1, 3]], [X[:2], X[1:]]), tf.dynamic_stitch([[1], [1, 0]], [[5.], [6., 7.]])],
    "log": lambda tf: [tf.math.log(2. * np.pi), tf.exp(1.0), tf.maximum(1, 2)],
}


def _plain(result):
    return [np.asarray(r) for r in result] if isinstance(result, (list, tuple)) else [np.asarray(result)]


def assert_same_as_tensorflow(table, name, rtol=1e-5, atol=0):
    """``table[name](module)`` gives the same values, dtypes and shapes with glassnet as
    with TensorFlow (skipped where TensorFlow isn't installed)."""
    real = pytest.importorskip("tensorflow")
    ours, theirs = _plain(table[name](tf)), _plain(table[name](real))
    assert len(ours) == len(theirs)
    for i, (mine, reference) in enumerate(zip(ours, theirs)):
        assert mine.dtype == reference.dtype and mine.shape == reference.shape, (name, i)
        np.testing.assert_allclose(mine, reference, rtol=rtol, atol=atol, err_msg=f"{name} {i}")


@pytest.mark.parametrize("name", sorted(SAME_AS_TENSORFLOW))
def test_values_and_dtypes_are_tensorflows(name):
    assert_same_as_tensorflow(SAME_AS_TENSORFLOW, name)


def test_the_results_are_tensors_and_tf_tensor_knows_them():
    parts = tf.split(X, 2, axis=1)
    assert all(isinstance(p, tf.Tensor) for p in parts) and parts[0].numpy().shape == (3, 2)
    assert isinstance(Value(X), tf.Tensor) and not isinstance(X, tf.Tensor)
    with pytest.raises(ValueError, match="don't add up"):
        tf.split(X, [1, 1], axis=1)
    with pytest.raises(ValueError, match="REFLECT"):
        tf.pad(X, [[1, 1], [0, 0]], mode="edge")


def test_reduce_over_a_list_of_axes_as_the_vae_tutorials_write_it():
    """tf.reduce_sum(cross_ent, axis=[1, 2, 3]): NumPy wants a tuple (before: a TypeError)."""
    images = np.ones((2, 3, 4, 5), np.float32)
    np.testing.assert_array_equal(tf.reduce_sum(images, axis=[1, 2, 3]), [60, 60])
    assert tf.math.log(2. * np.pi).dtype == np.float32     # TensorFlow's float32, not NumPy's float64


# name -> (a function of one recorded value, its input): the gradient flows through tf.*
DIFFERENTIABLE = {
    "split": (lambda x: tf.split(x, [1, 3], axis=1)[1] * tf.split(x, 2, axis=1)[0].sum(), X),
    "unstack": (lambda x: tf.unstack(x, axis=1)[2] * 3 + tf.unstack(x)[0].sum(), X),
    "boolean_mask": (lambda x: tf.boolean_mask(x, X > 0) ** 2, X),
    "cumsum": (lambda x: tf.cumsum(x, axis=1, exclusive=True, reverse=True) * x, X),
    "cumprod": (lambda x: tf.math.cumprod(x, exclusive=True), X),
    "einsum": (lambda x: tf.einsum("ij,kj->ik", x, x), X),
    "norm": (lambda x: tf.norm(x, axis=1) + tf.norm(x, ord=1, axis=1) + tf.norm(x, ord=3, axis=1), X),
    "pad": (lambda x: tf.pad(x, [[1, 2], [2, 3]], "REFLECT") ** 2 + tf.pad(x, [[0, 3], [1, 4]]), X),
    "reverse_roll_repeat": (lambda x: tf.reverse(x, [1]) * tf.roll(x, 1, 0) + tf.repeat(x, [2, 1, 0], 0)[:3], X),
    "tile_broadcast": (lambda x: tf.tile(x, [1, 2]) * tf.broadcast_to(x[:1], [3, 4]).sum(), X),
    "gather": (lambda x: tf.gather(x, [[0, 0], [1, 3], [2, 2]], batch_dims=1, axis=1) + tf.gather(x, [2, 2, 0])[:, :2], X),
    "gather_nd": (lambda x: tf.gather_nd(x, [[0, 1], [2, 3], [0, 1]]) ** 2, X),
    "scatter": (lambda x: tf.tensor_scatter_nd_update(x, [[0, 1]], x[1:2, 2] * 5)
                + tf.scatter_nd([[1], [1]], x[:2, :], [3, 4]), X),
    "sort": (lambda x: tf.sort(x, direction="DESCENDING") * np.arange(4.), X),
}


@pytest.mark.parametrize("name", sorted(DIFFERENTIABLE))
def test_gradients_flow_through_them_as_finite_differences_say(name):
    function, x = DIFFERENTIABLE[name]
    (recorded, numeric), = gradients(function, [x.astype(np.float64)])
    np.testing.assert_allclose(recorded, numeric, rtol=1e-6, atol=1e-8)


def test_stop_gradient_stops_it():
    from glassnet.engine.autodiff import backpropagate
    x = Value(X.astype(np.float64), needs_grad=True)
    backpropagate(tf.stop_gradient(x) * tf.identity(x), np.ones(X.shape))     # d(c * x)/dx = c
    np.testing.assert_allclose(x.grad, X, rtol=1e-7)


def test_sigmoid_cross_entropy_in_a_tape_keeps_the_gradient_of_the_logits():
    """The convolutional VAE's loss: before, tf.nn.sigmoid_cross_entropy_with_logits turned the
    recorded logits into a plain array, so their gradient was silently lost."""
    from glassnet.gradcheck import numerical_gradient
    model = tf.keras.Sequential([tf.keras.layers.Input((3,)), tf.keras.layers.Dense(4, dtype="float64")])
    x, labels = RNG.standard_normal((5, 3)), RNG.integers(0, 2, (5, 4)).astype(np.float64)

    def loss():
        return tf.reduce_sum(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=model(x)), axis=[0, 1])

    with tf.GradientTape() as tape:
        value = loss()
    kernel, = tape.gradient(value, model.trainable_variables[:1])
    assert kernel is not None
    np.testing.assert_allclose(kernel, numerical_gradient(lambda: float(loss()), model.trainable_variables[0]),
                               rtol=1e-6)


class _Shuffler(tf.keras.layers.Layer):
    """A layer whose call() cuts, pads, rolls and sums with TensorFlow's functions."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], 4), initializer="random_normal")

    def call(self, inputs):
        left, right = tf.split(tf.einsum("bi,ij->bj", inputs, self.w), 2, axis=1)
        padded = tf.pad(left, [[0, 0], [1, 1]], mode="REFLECT")           # (batch, 4)
        mixed = tf.roll(padded, 1, axis=1) * tf.cumsum(tf.tile(right, [1, 2]), axis=1)
        return tf.nn.l2_normalize(mixed + tf.gather(inputs, [0, 2, 1, 0], axis=1), axis=1)


def test_a_layer_of_your_own_written_with_tensorflows_functions_gets_exact_gradients():
    """Inside a recorded call() a plain-array conversion would be refused: these functions
    keep the values recorded, and the gradients agree with finite differences."""
    from glassnet.gradcheck import check_layer
    report = check_layer(_Shuffler(), (3,))
    assert report.passed, report
