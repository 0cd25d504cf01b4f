"""keras.ops' segments, scatters, rearrange (glassnet/ops/core.py) and control flow
(glassnet/ops/control_flow.py): values by hand and against Keras, gradients by finite
differences, and the loops differentiated through in a custom layer that trains."""

import numpy as np
import pytest

import glassnet
from glassnet import layers, ops
from glassnet.engine.autodiff import CannotDifferentiate, Value, backpropagate
from glassnet.gradcheck import numerical_gradient, relative_error

RNG = np.random.default_rng(0)
DATA = np.array([[1.0, 5.0], [3.0, 2.0], [-1.0, 0.0], [4.0, 4.0]])
IDS = np.array([0, 0, 2, 0])


def check_gradient(function, *arrays):
    """Each input's recorded gradient of sum(function(*inputs) * dy) against finite differences."""
    values = [Value(a, needs_grad=True) for a in arrays]
    out = function(*values)
    dy = np.random.default_rng(1).standard_normal(np.shape(out))
    backpropagate(out, dy)
    for value, array in zip(values, arrays):
        numeric = numerical_gradient(lambda: float(np.sum(np.asarray(function(*arrays)) * dy)), array)
        assert value.grad is not None and relative_error(value.grad, numeric) < 1e-6


def test_segments_by_hand():
    np.testing.assert_array_equal(ops.segment_sum(DATA, IDS), [[8, 11], [0, 0], [-1, 0]])
    np.testing.assert_array_equal(ops.segment_max(DATA, IDS, num_segments=3)[[0, 2]], [[4, 5], [-1, 0]])
    assert ops.segment_max(DATA, IDS)[1, 0] == np.finfo(np.float64).min      # empty: TensorFlow's lowest
    np.testing.assert_array_equal(ops.segment_min(DATA, IDS)[0], [1, 2])
    np.testing.assert_array_equal(ops.segment_prod(DATA, IDS), [[12, 40], [1, 1], [-1, 0]])
    np.testing.assert_array_equal(ops.segment_sum(DATA, np.array([0, -1, 1, 1])), [[1, 5], [3, 4]])  # -1: left out
    with pytest.raises(ValueError, match="one id per row"):
        ops.segment_sum(DATA, np.array([0, 1]))


@pytest.mark.parametrize("name", ["segment_sum", "segment_max", "segment_min"])
def test_segments_pass_gradients(name):
    data = RNG.permutation(np.linspace(-2, 2, 12)).reshape(6, 2)      # no ties
    check_gradient(lambda d: getattr(ops, name)(d, np.array([1, 0, 1, 3, -1, 2]), num_segments=4), data)
    with pytest.raises(CannotDifferentiate, match="segment_prod"):
        ops.segment_prod(Value(data, needs_grad=True), np.zeros(6, int))


def test_scatter_scatter_update_slice_update_by_hand_and_inputs_unchanged():
    np.testing.assert_array_equal(ops.scatter(np.array([[0, 1], [1, 0], [0, 1]]), np.array([1.0, 2.0, 3.0]), (2, 2)),
                                  [[0, 4], [2, 0]])                       # a repeated index adds up
    np.testing.assert_array_equal(ops.scatter(np.array([[1]]), np.array([[7.0, 8.0]]), (2, 2)), [[0, 0], [7, 8]])
    x = np.zeros((2, 3))
    np.testing.assert_array_equal(ops.scatter_update(x, np.array([[0, 2], [1, 1]]), np.array([5.0, 6.0])),
                                  [[0, 0, 5], [0, 6, 0]])
    np.testing.assert_array_equal(ops.scatter_update(x, [[0, 2], [0, 2]], np.array([5.0, 6.0]), reduction="add"),
                                  [[0, 0, 11], [0, 0, 0]])
    np.testing.assert_array_equal(ops.slice_update(x, (1, 1), np.ones((1, 2))), [[0, 0, 0], [0, 1, 1]])
    assert not x.any()                                                    # nothing written in place
    assert ops.get_item(np.arange(6).reshape(2, 3), (1, 2)) == 5
    with pytest.raises(ValueError, match="reduction"):
        ops.scatter_update(x, [[0, 0]], np.ones(1), reduction="mean")


def test_scatters_pass_gradients():
    check_gradient(lambda v: ops.scatter(np.array([[0, 1], [2, 0], [0, 1]]), v, (3, 2)), RNG.normal(size=3))
    check_gradient(lambda x, u: ops.scatter_update(x, np.array([[0, 1], [2, 2]]), u), RNG.normal(size=(3, 3)),
                   RNG.normal(size=2))
    check_gradient(lambda x, u: ops.scatter_update(x, np.array([[1]]), u, reduction="add"), RNG.normal(size=(3, 2)),
                   RNG.normal(size=(1, 2)))
    check_gradient(lambda x, u: ops.slice_update(x, (0, 1), u), RNG.normal(size=(3, 4)), RNG.normal(size=(2, 2)))


def test_rearrange_by_hand_and_its_gradient():
    x = np.arange(2 * 6 * 4 * 3).reshape(2, 6, 4, 3)
    np.testing.assert_array_equal(ops.rearrange(x, "b h w c -> b (h w) c"), x.reshape(2, 24, 3))
    np.testing.assert_array_equal(ops.rearrange(x, "b h w c -> c b w h"), x.transpose(3, 0, 2, 1))
    patches = ops.rearrange(x, "b (h p) w c -> b h (p w) c", p=2)
    np.testing.assert_array_equal(patches, x.reshape(2, 3, 2, 4, 3).reshape(2, 3, 8, 3))
    check_gradient(lambda a: ops.rearrange(a, "(a b) c -> c (b a)", b=2), RNG.normal(size=(4, 3)))
    with pytest.raises(ValueError, match="names 3 axes"):
        ops.rearrange(x, "b h w -> b (h w)")


def test_keras_gives_the_same_numbers():
    keras = pytest.importorskip("keras")
    x = RNG.normal(size=(5, 3)).astype(np.float32)
    ids = np.array([0, 2, 2, 1, 0])
    t = RNG.normal(size=(2, 6, 4, 3)).astype(np.float32)
    pairs = [(ops.segment_sum(x, ids), keras.ops.segment_sum(x, ids, num_segments=3)),
             (ops.segment_max(x, ids, 4), keras.ops.segment_max(x, ids, 4)),
             (ops.scatter(np.array([[0, 1], [3, 0]]), x[:2], (4, 2, 3)),
              keras.ops.scatter(np.array([[0, 1], [3, 0]]), x[:2], (4, 2, 3))),
             (ops.scatter_update(x, [[1, 2], [4, 0]], np.ones(2, np.float32)),
              keras.ops.scatter_update(x, [[1, 2], [4, 0]], np.ones(2, np.float32))),
             (ops.slice_update(x, (2, 1), np.ones((2, 2), np.float32)),
              keras.ops.slice_update(x, (2, 1), np.ones((2, 2), np.float32))),
             (ops.rearrange(t, "b (h p) w c -> (b h) (p w c)", p=3),
              keras.ops.rearrange(t, "b (h p) w c -> (b h) (p w c)", p=3))]
    for ours, theirs in pairs:
        theirs = keras.ops.convert_to_numpy(theirs)
        assert np.asarray(ours).dtype == theirs.dtype
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


# -- control flow ------------------------------------------------------------------------------
def test_control_flow_by_hand():
    x = np.arange(4.0)
    assert ops.cond(np.array(True), lambda: 1, lambda: 2) == 1
    assert ops.switch(7, [lambda v: v - 1, lambda v: v + 1], 10) == 11       # the index is clipped
    assert ops.fori_loop(0, 4, lambda i, total: total + i, 0) == 6
    assert ops.while_loop(lambda i, t: i < 5, lambda i, t: (i + 1, t * 2), (0, 1)) == (5, 32)
    assert ops.while_loop(lambda t: t < 100, lambda t: t * 3, 1, maximum_iterations=2) == 9
    np.testing.assert_array_equal(ops.map(lambda v: v * v, x), x * x)
    carry, ys = ops.scan(lambda c, v: (c + v, c * v), 0.0, x)
    assert carry == 6 and ys.tolist() == [0, 0, 2, 9]                       # ys: the carry before times v
    carry, ys = ops.scan(lambda c, _: (c * 2, None), 1, length=3)
    assert carry == 8 and ys is None
    _, ys = ops.scan(lambda c, v: (c + v, c), 0.0, x, reverse=True)
    assert ys.tolist() == [6, 5, 3, 0]
    np.testing.assert_array_equal(ops.associative_scan(np.add, x), np.cumsum(x))
    np.testing.assert_array_equal(ops.associative_scan(np.maximum, np.array([[1, 3, 2]]), axis=1), [[1, 3, 3]])
    pair = ops.map(lambda p: {"sum": p[0] + p[1]}, (x, x))                  # nested structures in and out
    np.testing.assert_array_equal(pair["sum"], 2 * x)
    np.testing.assert_array_equal(ops.vectorized_map(lambda v: v.sum(), np.ones((3, 2))), [2, 2, 2])


def test_control_flow_is_differentiable_when_its_bodies_are_recorded():
    check_gradient(lambda a: ops.scan(lambda c, v: (c * 0.5 + v, c * v), ops.zeros(3), a)[1], RNG.normal(size=(4, 3)))
    check_gradient(lambda a: ops.fori_loop(0, 3, lambda i, v: np.tanh(v) * (i + 1), a), RNG.normal(size=3))
    check_gradient(lambda a: ops.associative_scan(lambda p, q: p * q, a, axis=1), RNG.normal(size=(2, 4)))
    check_gradient(lambda a: ops.map(lambda row: ops.sum(row ** 2), a), RNG.normal(size=(3, 2)))
    check_gradient(lambda a: ops.while_loop(lambda v: ops.sum(ops.abs(v)) < 50, lambda v: v * 3, a),
                   RNG.uniform(0.5, 1, 3))
    check_gradient(lambda a: ops.cond(ops.sum(a) > 0, lambda: a * 2, lambda: -a), RNG.normal(size=3))


def test_keras_gives_the_same_loops():
    keras = pytest.importorskip("keras")
    x = RNG.normal(size=(4, 3)).astype(np.float32)

    def step(c, v):
        return c * 0.5 + v, c * v
    for ours, theirs in [(ops.scan(step, np.zeros(3, np.float32), x), keras.ops.scan(step, np.zeros(3, np.float32), x)),
                         (ops.associative_scan(np.add, x, reverse=True),
                          keras.ops.associative_scan(keras.ops.add, x, reverse=True))]:
        for a, b in zip(ours if isinstance(ours, tuple) else [ours], theirs if isinstance(theirs, tuple) else [theirs]):
            np.testing.assert_allclose(a, keras.ops.convert_to_numpy(b), rtol=1e-6)


def test_a_layer_that_loops_over_time_with_scan_trains():
    """An exponential moving average over the steps of a sequence, written with ops.scan
    (keras.io's custom RNN-ish layers), with a learned decay: trained through the loop."""
    class Smooth(layers.Layer):
        def build(self, input_shape):
            self.decay = self.add_weight(shape=(input_shape[-1],), initializer="zeros")

        def call(self, inputs):                                         # (N, T, F)
            keep = ops.sigmoid(self.decay)
            steps = ops.transpose(inputs, (1, 0, 2))                     # (T, N, F)
            last, _ = ops.scan(lambda c, v: (keep * c + (1 - keep) * v, None), steps[0] * 0, steps)
            return last

    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 6, 2)).astype(np.float32)
    y = x[:, -1, :1] * 0.9 + x[:, -2, :1] * 0.1
    model = glassnet.Sequential([layers.Input((6, 2)), Smooth(), layers.Dense(1)], seed=0)
    model.compile(glassnet.optimizers.Adam(0.05), "mse")
    history = model.fit(x, y, epochs=15, batch_size=32, verbose=0).history["loss"]
    assert history[-1] < 0.3 * history[0]
