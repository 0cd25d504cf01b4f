"""``import glassnet as tf``: more of tf.math (tf_math.py), tf.nn (tf_nn.py), tf.linalg
(tf_linalg.py), tf.random (tf_random.py) and the control flow (tf_control.py): values and
dtypes against TensorFlow's where it is installed, gradients against finite differences."""

import numpy as np
import pytest

import glassnet as tf
from glassnet import ops
from glassnet.engine.autodiff import CannotDifferentiate, Value
from test_autodiff import gradients
from test_tf_arrays import assert_same_as_tensorflow

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4)).astype(np.float32)
P = RNG.uniform(0.2, 0.9, (3, 4)).astype(np.float32)
Z = np.where(X > 0, 0, X).astype(np.float32)                  # with zeros
with np.errstate(divide="ignore"):
    X_BY_Z = X / Z                                              # with infinities
IDS = np.array([0, 0, 2])
M = (RNG.standard_normal((2, 3, 3)) + 3 * np.eye(3)).astype(np.float32)
SPD = (M @ np.swapaxes(M, -1, -2)).astype(np.float32)

SAME_AS_TENSORFLOW = {
    "trig": lambda tf: [tf.math.acos(P), tf.math.asinh(X), tf.math.atan2(X, P), tf.math.atanh(P - 0.5), tf.tan(X),
                        tf.math.cosh(X), tf.acos(0.5)],
    "elementwise": lambda tf: [tf.math.expm1(X), tf.math.log1p(P), tf.math.rsqrt(P), tf.math.reciprocal(P),
                               tf.math.squared_difference(X, P), tf.math.floordiv(X, P), tf.math.floormod(X, P),
                               tf.math.mod(7, 3), tf.math.is_finite(X), tf.math.is_inf(X_BY_Z), tf.math.is_nan(X),
                               tf.negative(X), tf.math.rint(X * 3), tf.math.truediv(X, P)],
    "safe": lambda tf: [tf.math.divide_no_nan(X, Z), tf.math.multiply_no_nan(X_BY_Z, Z), tf.math.xlogy(Z, P),
                        tf.math.xdivy(Z, P)],
    "activations": lambda tf: [tf.math.log_sigmoid(X * 30), tf.math.softplus(X * 30), tf.math.log_softmax(X),
                               tf.math.softmax(X, axis=0), tf.math.softsign(X)],
    "reductions": lambda tf: [tf.reduce_logsumexp(X * 100, axis=1), tf.math.reduce_logsumexp(X, axis=[0, 1]),
                              tf.math.reduce_euclidean_norm(X, axis=0), tf.math.count_nonzero(Z),
                              tf.math.count_nonzero(Z, axis=1, keepdims=True), tf.math.zero_fraction(Z)],
    "counting": lambda tf: [tf.math.bincount([1, 1, 3]), tf.math.bincount([1, 1, 3], minlength=6),
                            tf.math.bincount([0, 2, 2], weights=[0.5, 1., 2.]),
                            tf.math.invert_permutation([2, 0, 1]), tf.math.in_top_k([0, 3, 1], X, 2)],
    "cumulative": lambda tf: [tf.math.cumsum(X, axis=1), tf.math.cumprod(P, exclusive=True)],
    "special": lambda tf: [tf.math.erf(X), tf.math.erfc(X), tf.math.lgamma(P), tf.math.digamma(P)],
    "segments": lambda tf: [tf.math.segment_sum(X, IDS), tf.math.segment_mean(X, IDS), tf.math.segment_max(X, IDS),
                            tf.math.segment_min(X, IDS), tf.math.segment_prod(X, IDS),
                            tf.math.unsorted_segment_sum(X, [2, 0, 2], 4), tf.math.unsorted_segment_mean(X, [2, 0, 2], 4),
                            tf.math.unsorted_segment_sqrt_n(X, [2, 0, 2], 3), tf.math.unsorted_segment_max(X, [1, 1, 0], 2)],
    "nn": lambda tf: [tf.nn.l2_normalize(X, axis=1), tf.math.l2_normalize(X), tf.nn.bias_add(X, P[0]),
                      tf.nn.l2_loss(X), tf.nn.log_poisson_loss(P * 3, X), tf.nn.log_poisson_loss(P * 3, X, True),
                      tf.nn.weighted_cross_entropy_with_logits(P, X * 10, 3.0), tf.nn.embedding_lookup(X, [[2, 0]]),
                      tf.nn.crelu(X), tf.nn.leaky_relu(X), tf.nn.compute_average_loss(X[0]),
                      tf.nn.compute_average_loss(X[0], sample_weight=P[0], global_batch_size=8),
                      tf.nn.scale_regularization_loss(X[0]), tf.nn.in_top_k([0, 3, 1], X, 1)]
    + list(tf.nn.moments(X, axes=[0])) + list(tf.nn.moments(X, [0, 1], keepdims=True)),
    "linalg": lambda tf: [tf.linalg.matmul(M, M, transpose_b=True), tf.linalg.matvec(M, M[:, 0]),
                          tf.linalg.diag(X), tf.linalg.diag_part(M), tf.linalg.trace(M), tf.linalg.band_part(M, 0, 1),
                          tf.linalg.band_part(X, -1, 0), tf.linalg.eye(2, 3), tf.eye(2, batch_shape=[3]),
                          tf.linalg.set_diag(X, P[0, :3]), tf.tensordot(M, X, 1), tf.tensordot(X, P, [[0, 1], [0, 1]]),
                          tf.linalg.matrix_transpose(M), tf.linalg.adjoint(M), tf.linalg.global_norm([X, P]),
                          tf.linalg.det(M), tf.linalg.norm(X), tf.linalg.l2_normalize(X, axis=0)]
    + list(tf.linalg.slogdet(M)) + [tf.linalg.logdet(SPD)],
    "decompositions": lambda tf: [tf.linalg.inv(M), tf.linalg.solve(M, M[..., :2]),
                                  tf.linalg.cholesky(SPD), tf.linalg.svd(M, compute_uv=False),
                                  tf.linalg.eigh(SPD)[0]],
    "math_more": lambda tf: [tf.math.erfcinv(P), tf.math.bessel_i0(X), tf.math.bessel_i1e(X), tf.math.igamma(P, P),
                             tf.math.igammac(P, X * X), tf.math.zeta(P + 1, P), tf.math.polygamma(1., P),
                             tf.math.xlog1py(Z, P), tf.math.betainc(P, P, P), tf.math.lbeta(P),
                             tf.math.reciprocal_no_nan(Z), tf.math.is_non_decreasing([1, 2, 2]),
                             tf.math.is_strictly_increasing([1, 2, 2]), tf.math.polyval([P, X, P], X),
                             tf.math.cumulative_logsumexp(X * 50, axis=1), tf.math.conj(X), tf.math.real(X),
                             tf.truncatediv(np.int32([-7, 7]), np.int32([2, 2])),
                             tf.truncatemod(np.int32([-7, 7]), np.int32([2, 2]))],
    "linalg_more": lambda tf: [tf.linalg.pinv(X), tf.linalg.eigvalsh(SPD), tf.linalg.cross(X[:, :3], P[:, :3]),
                               tf.linalg.matrix_rank(M), tf.linalg.lstsq(M, M[..., :2]),
                               tf.linalg.lstsq(M, M[..., :2], l2_regularizer=0.5),
                               tf.linalg.triangular_solve(M, M[..., :2]),
                               tf.linalg.triangular_solve(M, M[..., :2], lower=False, adjoint=True),
                               tf.linalg.cholesky_solve(tf.linalg.cholesky(SPD), M[..., :1]), tf.linalg.expm(M / 4),
                               tf.linalg.einsum("bij->bj", M)] + list(tf.linalg.normalize(X, axis=1)),
    "nn_more": lambda tf: [tf.nn.batch_normalization(X, P[0], P[1], X[0], None, 1e-3),
                           tf.nn.batch_normalization(X, 0.5, 2.0, None, P[2], 1e-3), tf.nn.zero_fraction(Z)]
    + list(tf.nn.normalize_moments(4., X[0], P[0], None)) + list(tf.nn.normalize_moments(4., X[0], P[0], 0.5)),
    "control_more": lambda tf: [tf.case([(tf.greater(X[0, 0], 5.), lambda: X), (tf.less(X[0, 0], 5.), lambda: P)], default=lambda: Z),
                                tf.switch_case(tf.constant(1), [lambda: X, lambda: P]),
                                tf.switch_case(tf.constant(7), [lambda: X, lambda: P]),
                                tf.foldl(lambda a, x: a * 2 + x, X), tf.foldr(lambda a, x: a * 2 + x, X, P[0]),
                                tf.vectorized_map(lambda row: row[::-1], X)]
    + tf.nest.flatten({"b": [X, (P,)], "a": Z})
    + tf.nest.flatten(tf.nest.map_structure(lambda a, b: a + b, [X, {"k": P}], [P, {"k": X}])),
    "clipping": lambda tf: [tf.clip_by_norm(X, 1.0), tf.clip_by_norm(X, 1.5, axes=[1]), tf.clip_by_norm(X, 100.)]
    + tf.clip_by_global_norm([X, P], 2.0)[0] + [tf.clip_by_global_norm([X, P], 2.0)[1]],
    "graph": lambda tf: [tf.ensure_shape(X, [None, 4]), tf.get_static_value(X), tf.is_tensor(tf.constant(X))]
    + tf.identity_n([X, P]) + tf.shape_n([X, M]),
    "control": lambda tf: [tf.map_fn(lambda row: row * 2, X), tf.scan(lambda a, x: a + x, X),
                           tf.scan(lambda a, x: a * x, P, initializer=np.ones(4, np.float32), reverse=True),
                           tf.cond(X[0, 0] > 0, lambda: X, lambda: -X),
                           tf.while_loop(lambda i, s: i < 4, lambda i, s: (i + 1, s * 2.0), (0, X[0]))[1]],
}


@pytest.mark.parametrize("name", sorted(SAME_AS_TENSORFLOW))
def test_values_and_dtypes_are_tensorflows(name):
    assert_same_as_tensorflow(SAME_AS_TENSORFLOW, name, rtol=2e-5, atol=1e-6)


def test_decompositions_rebuild_their_matrix():
    """qr and svd are unique only up to signs: check that they rebuild the matrix, with
    TensorFlow's order (s, u, v) and v not transposed."""
    q, r = tf.linalg.qr(M)
    np.testing.assert_allclose(q @ r, M, rtol=1e-4, atol=1e-5)
    s, u, v = tf.linalg.svd(M)
    np.testing.assert_allclose(u @ (s[..., None] * np.swapaxes(v, -1, -2)), M, rtol=1e-4, atol=1e-5)


DIFFERENTIABLE = {
    "safe": (lambda x: tf.math.divide_no_nan(x, Z) + tf.math.xlogy(Z, x * x + 1) + tf.math.squared_difference(x, 1.)),
    "activations": (lambda x: tf.math.log_sigmoid(x) + tf.math.softplus(x) * tf.math.log_softmax(x)),
    "reductions": (lambda x: tf.reduce_logsumexp(x, axis=1) + tf.math.reduce_euclidean_norm(x, axis=1)),
    "segments": (lambda x: tf.math.segment_mean(x, IDS)[2] * tf.math.unsorted_segment_sum(x, [1, 1, 0], 2)[1]),
    "nn": (lambda x: tf.nn.l2_normalize(x, axis=1) * tf.nn.weighted_cross_entropy_with_logits(P, x, 2.0)
           + tf.nn.crelu(x)[:, :4] + tf.nn.l2_loss(x) + tf.nn.bias_add(x, x[0]) + tf.nn.moments(x, [0])[1]),
    "linalg": (lambda x: tf.linalg.band_part(tf.linalg.matmul(x, x, transpose_b=True), 0, 1)
               + tf.linalg.diag(tf.linalg.diag_part(x[:, :3] * 2)) + tf.linalg.trace(x[:, 1:])
               + tf.tensordot(x, x[0], 1)[:, None] + tf.linalg.matvec(x, x[1])[:, None]
               + tf.linalg.set_diag(x[:, :3], x[0, :3] ** 2)),
    "control": (lambda x: tf.map_fn(lambda row: row * row, x) + tf.scan(lambda a, r: a * r, x)
                + tf.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, s * x), [0, x])[1]),
}


@pytest.mark.parametrize("name", sorted(DIFFERENTIABLE))
def test_gradients_flow_through_them_as_finite_differences_say(name):
    (recorded, numeric), = gradients(DIFFERENTIABLE[name], [X.astype(np.float64)])
    np.testing.assert_allclose(recorded, numeric, rtol=1e-6, atol=1e-8)


def test_what_has_no_gradient_says_so():
    x = Value(X.astype(np.float64), needs_grad=True)
    with pytest.raises(CannotDifferentiate, match="segment_max"):
        tf.math.segment_max(x, IDS)


def test_dropout_keeps_the_expectation_and_the_noise_shape():
    kept = tf.nn.dropout(np.ones((200, 50), np.float32), rate=0.25, seed=1)
    assert set(np.unique(kept)) <= {0.0, np.float32(1 / 0.75)} and abs(float(np.mean(kept)) - 1) < 0.05
    rows = tf.nn.dropout(np.ones((4, 50), np.float32), 0.5, noise_shape=[4, 1], seed=2)
    assert all(len(set(row)) == 1 for row in np.asarray(rows))


def test_stateless_numbers_come_again_from_the_same_seed():
    a, b = tf.random.stateless_normal([3, 2], seed=[1, 2]), tf.random.stateless_normal([3, 2], seed=[1, 2])
    assert a.dtype == np.float32 and np.array_equal(a, b)
    assert not np.array_equal(a, tf.random.stateless_normal([3, 2], seed=[1, 3]))
    ints = tf.random.stateless_uniform([100], seed=[3, 4], minval=0, maxval=5, dtype=tf.int32)
    assert ints.dtype == np.int32 and set(np.unique(ints)) == set(range(5))
    cut = tf.random.stateless_truncated_normal([1000], seed=[5, 6])
    assert np.abs(cut).max() <= 2
    draws = tf.random.stateless_categorical(np.log([[0.1, 0.9]]), 500, seed=[7, 8])
    assert draws.shape == (1, 500) and 0.8 < np.mean(draws) < 1.0
    assert tf.random.fold_in([1, 2], 3).shape == (2,) and tf.random.split([1, 2], 3).shape == (3, 2)
    counts = tf.random.poisson([1000], [1.0, 5.0], seed=1)
    assert counts.shape == (1000, 2) and counts.dtype == np.float32
    np.testing.assert_allclose(np.mean(counts, axis=0), [1, 5], rtol=0.1)


def test_a_generator_is_repeatable_from_its_seed():
    first, again = tf.random.Generator.from_seed(42), tf.random.Generator.from_seed(42)
    assert np.array_equal(first.normal([2, 3]), again.normal([2, 3]))
    assert first.uniform([5], maxval=10, dtype=tf.int64).dtype == np.int64
    children = first.split(2)
    assert not np.array_equal(children[0].normal([4]), children[1].normal([4]))


CONV = {   # tf.nn function -> (glassnet.ops function it calls, arguments)
    "conv2d": ("conv", lambda tf: tf.nn.conv2d(IMAGES, KERNEL, strides=2, padding="SAME")),
    "conv1d": ("conv", lambda tf: tf.nn.conv1d(IMAGES[:, 0], KERNEL[0], stride=1, padding="VALID")),
    "max_pool2d": ("max_pool", lambda tf: tf.nn.max_pool2d(IMAGES, 2, 2, "VALID")),
    "avg_pool2d": ("average_pool", lambda tf: tf.nn.avg_pool2d(IMAGES, ksize=3, strides=1, padding="SAME")),
    "depthwise_conv2d": ("depthwise_conv", lambda tf: tf.nn.depthwise_conv2d(IMAGES, KERNEL[..., :1], [1, 1, 1, 1],
                                                                              "SAME")),
    "separable_conv2d": ("separable_conv", lambda tf: tf.nn.separable_conv2d(
        IMAGES, KERNEL[..., :1], np.ones((1, 1, 2, 4), np.float32), [1, 1, 1, 1], "VALID")),
    "conv2d_transpose": ("conv_transpose", lambda tf: tf.nn.conv2d_transpose(
        IMAGES, np.swapaxes(KERNEL, 2, 3), [2, 12, 12, 3], strides=2, padding="SAME")),
}
IMAGES = RNG.standard_normal((2, 6, 6, 2)).astype(np.float32)
KERNEL = RNG.standard_normal((3, 3, 2, 3)).astype(np.float32)


@pytest.mark.parametrize("name", sorted(CONV))
def test_convolutions_and_pooling_are_glassnet_ops_under_tensorflows_names(name):
    op, function = CONV[name]
    if not hasattr(ops, op):
        with pytest.raises(NotImplementedError, match=f"glassnet.ops.{op}"):
            function(tf)
        pytest.skip(f"glassnet.ops has no {op} yet")
    real = pytest.importorskip("tensorflow")
    np.testing.assert_allclose(function(tf), function(real), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", sorted(CONV))
def test_the_wrappers_hand_keras_ops_the_arguments_it_expects(name, monkeypatch):
    """With Keras 3's own ops standing in for glassnet.ops', tf.nn's wrappers give TensorFlow's
    numbers: the argument names and layouts they pass are keras.ops'."""
    keras = pytest.importorskip("keras")
    real = pytest.importorskip("tensorflow")
    op, function = CONV[name]
    monkeypatch.setattr(ops, op, getattr(keras.ops, op), raising=False)
    np.testing.assert_allclose(function(tf), function(real), rtol=1e-4, atol=1e-5)


CTC = (RNG.standard_normal((5, 2, 4)).astype(np.float32),            # time first, as TensorFlow has it
       np.array([[1, 2], [3, 0]]), np.array([2, 1]), np.array([5, 4]))


def test_ctc_functions_are_glassnet_ops_under_tensorflows_names():
    logits, labels, label_length, logit_length = CTC
    if not hasattr(ops, "ctc_loss"):
        with pytest.raises(NotImplementedError, match="glassnet.ops.ctc_loss"):
            tf.nn.ctc_loss(labels, logits, label_length, logit_length)
        pytest.skip("glassnet.ops has no ctc_loss yet")
    real = pytest.importorskip("tensorflow")
    np.testing.assert_allclose(tf.nn.ctc_loss(labels, logits, label_length, logit_length),
                               real.nn.ctc_loss(labels, logits, label_length, logit_length), rtol=1e-4)


def test_the_ctc_wrappers_hand_keras_ops_the_arguments_it_expects(monkeypatch):
    keras = pytest.importorskip("keras")
    real = pytest.importorskip("tensorflow")
    logits, labels, label_length, logit_length = CTC
    monkeypatch.setattr(ops, "ctc_loss", keras.ops.ctc_loss, raising=False)
    monkeypatch.setattr(ops, "ctc_decode", keras.ops.ctc_decode, raising=False)
    np.testing.assert_allclose(tf.nn.ctc_loss(labels, logits, label_length, logit_length),
                               real.nn.ctc_loss(labels, logits, label_length, logit_length), rtol=1e-4)
    (ours,), _ = tf.nn.ctc_greedy_decoder(logits, logit_length)
    (theirs,), _ = real.nn.ctc_greedy_decoder(logits, logit_length)
    np.testing.assert_array_equal(np.asarray(ours)[:, :theirs.dense_shape[1]],
                                  real.sparse.to_dense(theirs, default_value=-1))


def test_custom_gradient_replaces_the_gradient_of_the_math_inside():
    """TensorFlow's guide: a stable gradient for log(1 + exp(x)), and one that clips."""
    from glassnet.engine.autodiff import backpropagate

    @tf.custom_gradient
    def log1pexp(x):
        e = tf.exp(x)

        def grad(upstream):
            return upstream * (1 - 1 / (1 + e))
        return tf.math.log(1 + e), grad

    @tf.custom_gradient
    def clip_gradients(y):
        def backward(dy):
            return tf.clip_by_norm(dy, 0.5)
        return y, backward

    x = Value(np.array([0.0, 100.0, -3.0]), needs_grad=True)
    y = log1pexp(x)
    backpropagate(y, np.ones(3))
    np.testing.assert_allclose(x.grad, [0.5, 1.0, 1 / (1 + np.exp(3))])      # no nan at x = 100
    np.testing.assert_allclose(log1pexp(np.array([0.0])), [np.log(2)])       # on arrays: the values
    v = Value(np.array([3.0, 4.0]), needs_grad=True)
    backpropagate(clip_gradients(v) * 10, np.ones(2))
    np.testing.assert_allclose(v.grad, [0.5 / np.sqrt(2)] * 2)               # (10, 10) clipped to norm 0.5


def test_graph_scopes_change_nothing_and_the_checks_run_at_once():
    with tf.name_scope("encoder"), tf.device("/GPU:0"), tf.control_dependencies([tf.no_op()]):
        y = tf.identity(X) * 2
    np.testing.assert_array_equal(y, X * 2)
    with pytest.raises(ValueError, match="not compatible"):
        tf.ensure_shape(X, [None, 5])
    assert tf.assert_equal(X, X) is None
    with pytest.raises(AssertionError, match="x less y"):
        tf.assert_less(X, X)
    with pytest.raises(ValueError, match="rank 2, expected 3"):
        tf.assert_rank(X, 3)
    assert isinstance(tf.zeros_initializer()((2,)), np.ndarray) and tf.constant_initializer(3.)((2,))[0] == 3


def test_tensor_shape_is_a_tuple_with_tensorflows_methods():
    shape = tf.TensorShape([None, 28, 28])
    assert shape == (None, 28, 28) and shape.rank == 3 and shape.as_list() == [None, 28, 28]
    assert shape.is_compatible_with([32, 28, 28]) and not shape.is_compatible_with([32, 28, 27])
    assert repr(shape) == "TensorShape([None, 28, 28])"
    assert tf.nest.pack_sequence_as({"b": [0, 0], "a": 0}, [1, 2, 3]) == {"a": 1, "b": [2, 3]}


def test_the_generic_pool_takes_its_rank_from_the_input(monkeypatch):
    calls = []
    monkeypatch.setattr(ops, "max_pool", lambda x, size, **kw: calls.append((size, kw["strides"])) or x,
                        raising=False)
    tf.nn.max_pool(np.ones((1, 4, 4, 4, 1)), 2, 2, "VALID")
    tf.nn.max_pool1d(np.ones((1, 4, 1)), [1, 2, 1], 2, "SAME")
    assert calls == [((2, 2, 2), (2, 2, 2)), ((2,), (2,))]


def test_a_missing_linalg_function_is_named_with_what_there_is():
    with pytest.raises(AttributeError, match="glassnet's tf.linalg has no 'lu'; it has adjoint, band_part"):
        tf.linalg.lu
