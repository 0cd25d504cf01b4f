"""keras.ops.linalg (glassnet/ops/linalg.py): values against NumPy/SciPy by hand and Keras,
the gradients of inv, det, slogdet, solve, cholesky and what is made of them by finite
differences, and a clear error for the decompositions' gradients."""

import numpy as np
import pytest

from glassnet import ops
from glassnet.engine.autodiff import CannotDifferentiate, Value, backpropagate
from glassnet.gradcheck import numerical_gradient, relative_error
from glassnet.ops import linalg

RNG = np.random.default_rng(0)
A = RNG.normal(size=(2, 4, 4))
SPD = A @ np.swapaxes(A, -1, -2) + 4 * np.eye(4)          # symmetric positive-definite
B = RNG.normal(size=(2, 4, 3))


def check_gradient(function, *arrays):
    values = [Value(a, needs_grad=True) for a in arrays]
    out = function(*values)
    dy = np.random.default_rng(1).standard_normal(np.shape(out))
    backpropagate(out, dy)
    for value, array in zip(values, arrays):
        numeric = numerical_gradient(lambda: float(np.sum(np.asarray(function(*arrays)) * dy)), array)
        assert relative_error(value.grad, numeric) < 1e-6


def test_keras_ops_linalg_is_a_submodule_and_its_names_are_at_the_top():
    from glassnet.ops import linalg as imported
    from glassnet.ops import numpy as numpy_ops
    assert imported is linalg and ops.inv(SPD).shape == (2, 4, 4) and numpy_ops.mean(np.ones(2)) == 1


def test_values_by_hand():
    np.testing.assert_allclose(linalg.inv(np.array([[2.0, 0.0], [0.0, 4.0]])), [[0.5, 0], [0, 0.25]])
    assert linalg.det(np.array([[1, 2], [3, 4]])) == pytest.approx(-2)        # whole numbers: float32
    sign, log = linalg.slogdet(np.array([[0.0, 2.0], [3.0, 0.0]]))
    assert sign == -1 and log == pytest.approx(np.log(6))
    assert linalg.logdet(np.diag([2.0, 3.0])) == pytest.approx(np.log(6))
    np.testing.assert_allclose(linalg.solve(np.diag([2.0, 4.0]), np.array([2.0, 2.0])), [1, 0.5])
    np.testing.assert_allclose(linalg.cholesky(np.array([[4.0, 2.0], [2.0, 5.0]])), [[2, 0], [1, 2]])
    np.testing.assert_allclose(linalg.cholesky(np.array([[4.0, 2.0], [2.0, 5.0]]), upper=True), [[2, 1], [0, 2]])
    lower = np.array([[2.0, 0.0], [1.0, 1.0]])
    np.testing.assert_allclose(linalg.solve_triangular(lower + np.triu(np.ones((2, 2)), 1) * 9, [2.0, 3.0],
                                                       lower=True), [1, 2])     # the upper 9s are not read
    np.testing.assert_allclose(linalg.cholesky_inverse(lower), np.linalg.inv(lower @ lower.T))
    assert linalg.matrix_rank(np.array([[1.0, 2.0], [2.0, 4.0]])) == 1
    np.testing.assert_allclose(linalg.cdist(np.array([[0.0, 0.0]]), np.array([[3.0, 4.0], [0.0, 1.0]])), [[5, 1]])


def test_decompositions_are_numpys_as_plain_tuples():
    q, r = linalg.qr(A)
    np.testing.assert_allclose(q @ r, A, atol=1e-12)
    u, s, vh = linalg.svd(A)
    np.testing.assert_allclose((u * s[..., None, :]) @ vh, A, atol=1e-12)
    w, v = linalg.eigh(SPD)
    np.testing.assert_allclose(SPD @ v, v * w[..., None, :], atol=1e-10)
    w, v = linalg.eig(A[0])
    np.testing.assert_allclose(A[0] @ v, v * w, atol=1e-10)
    assert type(linalg.qr(A)) is tuple and type(linalg.svd(A)) is tuple and type(linalg.slogdet(A)) is tuple
    np.testing.assert_allclose(linalg.lstsq(A[0], B[0]), np.linalg.lstsq(A[0], B[0])[0])
    np.testing.assert_allclose(linalg.pinv(A), np.linalg.pinv(A))


def test_lu_factor_is_scipys():
    scipy_linalg = pytest.importorskip("scipy.linalg")
    for matrix in (A[0], A[1], np.array([[0.0, 1.0], [1.0, 0.0]]), RNG.normal(size=(3, 5)), RNG.normal(size=(5, 3))):
        lu, pivots = linalg.lu_factor(matrix)
        expected_lu, expected_pivots = scipy_linalg.lu_factor(matrix)
        np.testing.assert_allclose(lu, expected_lu, atol=1e-12)
        np.testing.assert_array_equal(pivots, expected_pivots)
    lu, pivots = linalg.lu_factor(A)                                   # a stack: each matrix on its own
    np.testing.assert_allclose(lu[1], scipy_linalg.lu_factor(A[1])[0], atol=1e-12)


@pytest.mark.parametrize("name, function, arrays", [
    ("inv", lambda a: linalg.inv(a), [A + 4 * np.eye(4)]),
    ("det", lambda a: linalg.det(a), [A]),
    ("slogdet", lambda a: linalg.slogdet(a)[1], [A]),
    ("logdet", lambda a: linalg.logdet(a @ np.swapaxes(a, -1, -2) + np.eye(4)), [A]),
    ("solve", lambda a, b: linalg.solve(a, b), [0.3 * A + np.eye(4), B]),
    ("solve a vector", lambda a, b: linalg.solve(a, b), [0.3 * A[0] + np.eye(4), B[0, :, 0]]),
    ("solve_triangular", lambda a, b: linalg.solve_triangular(a, b, lower=True), [0.3 * A + np.eye(4), B]),
    ("cholesky, only its lower triangle read", lambda a: linalg.cholesky(a), [SPD + np.triu(A, 1)]),
    ("cholesky upper", lambda a: linalg.cholesky(a, upper=True), [SPD]),
    ("cholesky_inverse", lambda a: linalg.cholesky_inverse(a), [np.tril(A) + 3 * np.eye(4)]),
    ("cdist", lambda x, y: linalg.cdist(x, y), [A[0], A[1, :2]]),
])
def test_gradients_agree_with_finite_differences(name, function, arrays):
    check_gradient(function, *[a.copy() for a in arrays])


def test_the_decompositions_gradients_are_refused_by_name():
    value = Value(SPD, needs_grad=True)
    for name in ("eigh", "qr", "svd", "pinv", "lu_factor"):
        with pytest.raises(CannotDifferentiate, match=name):
            getattr(linalg, name)(value)
    assert linalg.matrix_rank(value).tolist() == [4, 4]              # a count: no gradient needed


def test_keras_gives_the_same_numbers():
    keras = pytest.importorskip("keras")
    spd, b = SPD.astype(np.float32), B.astype(np.float32)
    for name, args in [("inv", (spd,)), ("det", (spd,)), ("logdet", (spd,)), ("solve", (spd, b)),
                       ("cholesky", (spd,)), ("cholesky_inverse", (np.linalg.cholesky(spd),)),
                       ("solve_triangular", (spd, b)), ("slogdet", (A.astype(np.float32),)),
                       ("qr", (spd,)), ("matrix_rank", (spd,)), ("cdist", (b, b[:, :2]))]:
        ours, theirs = getattr(linalg, name)(*args), getattr(keras.ops, name)(*args)
        for a, t in zip(ours if isinstance(ours, tuple) else [ours], theirs if isinstance(theirs, tuple) else [theirs]):
            t = keras.ops.convert_to_numpy(t)
            assert np.asarray(a).dtype == t.dtype, name
            np.testing.assert_allclose(a, t, rtol=2e-4, atol=2e-4, err_msg=name)


def test_the_error_for_a_missing_rule_lists_the_linear_algebra_it_has():
    with pytest.raises(CannotDifferentiate, match=r"no gradient for np\.eigh; .*cholesky.*det.*inv.*slogdet, solve"):
        np.linalg.eigh(Value(SPD, needs_grad=True))
