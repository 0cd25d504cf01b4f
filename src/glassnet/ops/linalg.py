"""``keras.ops.linalg`` (also at the top of ``keras.ops``): NumPy's linear algebra, Keras's way.

Each takes a matrix or a stack of them (..., m, n). Keras's differences from NumPy are
kept: results that NumPy gives as named tuples are plain tuples (``qr`` -> ``(q, r)``,
``svd`` -> ``(u, s, vh)``, ``slogdet`` -> ``(sign, logabsdet)``), ``lu_factor`` is
SciPy's ``(lu, pivots)``, and ``solve_triangular`` reads only one triangle.

Inside a custom layer's ``call()``, ``inv``, ``det``, ``slogdet``, ``logdet``, ``solve``,
``cholesky`` (:mod:`glassnet.engine.autodiff_linalg`) and ``solve_triangular``,
``cholesky_inverse``, ``cdist``, ``norm`` (made of those) pass gradients; the
decompositions (``eig``, ``eigh``, ``qr``, ``svd``, ``lu_factor``) and ``lstsq``, ``pinv``
stop with an error that names them.
"""

import numpy as np

from glassnet.engine.autodiff import CannotDifferentiate, Value, data_of

__all__ = ["cholesky", "cholesky_inverse", "det", "eig", "eigh", "inv", "lstsq", "lu_factor", "matrix_rank",
           "norm", "pinv", "qr", "slogdet", "logdet", "solve", "solve_triangular", "svd", "cdist"]


def _no_gradient(name, *arrays):
    """The plain arrays of ``arrays``; a recorded one that needs a gradient is refused."""
    if any(isinstance(a, Value) and a.needs_grad for a in arrays):
        raise CannotDifferentiate(f"glassnet has no gradient for ops.linalg.{name} (it differentiates inv, det, "
                                  f"slogdet, logdet, solve, solve_triangular, cholesky, cholesky_inverse, norm)")
    return [np.asarray(data_of(a)) for a in arrays]


def _float(x):
    """``x`` as a float array (whole numbers: float32, as Keras); a recorded Value as it is."""
    if isinstance(x, Value):
        return x
    x = np.asarray(x)
    return x if x.dtype.kind in "fc" else x.astype(np.float32)


def inv(x):
    """The inverse matrix: ``inv(x) @ x = I``."""
    return np.linalg.inv(_float(x))


def det(x):
    """The determinant."""
    return np.linalg.det(_float(x))


def slogdet(x):
    """``(sign, log|det(x)|)``: the determinant without overflow, as a sign and a logarithm."""
    return tuple(np.linalg.slogdet(_float(x)))


def logdet(x):
    """``log(det(x))`` of a positive-definite ``x`` (slogdet's logarithm)."""
    return slogdet(x)[1]


def solve(a, b):
    """The ``x`` with ``a @ x = b``."""
    return np.linalg.solve(_float(a), _float(b))


def solve_triangular(a, b, lower=False):
    """:func:`solve` for a triangular ``a``: only its lower (``lower=True``) or upper triangle is read."""
    a = _float(a)
    n = np.shape(data_of(a))[-1]
    triangle = np.tril(np.ones((n, n))) if lower else np.triu(np.ones((n, n)))
    b = _float(b)
    vector = np.ndim(data_of(b)) == np.ndim(data_of(a)) - 1
    x = np.linalg.solve(a * triangle.astype(np.asarray(data_of(a)).dtype), b[..., None] if vector else b)
    return x[..., 0] if vector else x


def cholesky(x, upper=False):
    """The lower-triangular ``L`` with ``L @ L.T = x`` (``upper=True``: ``L.T``), for a
    symmetric positive-definite ``x`` (only its lower triangle is read)."""
    return np.linalg.cholesky(_float(x), upper=upper)


def cholesky_inverse(x, upper=False):
    """``inv(A)`` from ``A``'s Cholesky factor ``x`` (lower, or upper with ``upper=True``)."""
    x = _float(x)
    factor = np.swapaxes(x, -1, -2) if upper else x           # the lower one, L
    return inv(factor @ np.swapaxes(factor, -1, -2))


def eig(x):
    """``(eigenvalues, eigenvectors)`` of a square matrix (complex in general)."""
    return tuple(np.linalg.eig(*_no_gradient("eig", _float(x))))


def eigh(x):
    """``(eigenvalues, eigenvectors)`` of a symmetric matrix: real, ascending."""
    return tuple(np.linalg.eigh(*_no_gradient("eigh", _float(x))))


def qr(x, mode="reduced"):
    """``(q, r)``: ``q`` with orthonormal columns, ``r`` upper triangular, ``q @ r = x``."""
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr: mode must be 'reduced' or 'complete', got {mode!r}")
    return tuple(np.linalg.qr(*_no_gradient("qr", _float(x)), mode=mode))


def svd(x, full_matrices=True, compute_uv=True):
    """``(u, s, vh)`` with ``u @ diag(s) @ vh = x`` (just ``s`` with ``compute_uv=False``)."""
    result = np.linalg.svd(*_no_gradient("svd", _float(x)), full_matrices=full_matrices, compute_uv=compute_uv)
    return tuple(result) if compute_uv else result


def lstsq(a, b, rcond=None):
    """The ``x`` that minimises ``||a @ x - b||`` (for one matrix ``a``)."""
    a, b = _no_gradient("lstsq", _float(a), _float(b))
    return np.linalg.lstsq(a, b, rcond=rcond)[0]


def pinv(x, rcond=None):
    """The Moore-Penrose pseudo-inverse."""
    (x,) = _no_gradient("pinv", _float(x))
    return np.linalg.pinv(x) if rcond is None else np.linalg.pinv(x, rcond=rcond)


def matrix_rank(x, tol=None):
    """How many singular values are above ``tol``, as int32."""
    x = np.asarray(data_of(x))
    if x.ndim < 2:
        raise ValueError(f"matrix_rank: expected a matrix (rank >= 2), got shape {x.shape}")
    return np.asarray(np.linalg.matrix_rank(x, tol=tol)).astype(np.int32)


def lu_factor(x):
    """SciPy's ``lu_factor``: ``(lu, pivots)`` with ``L`` (unit diagonal, below) and ``U``
    (on and above) in one matrix, and ``pivots[i]`` the row that row ``i`` was swapped with.

    Gaussian elimination with partial pivoting: for each column ``k``, the row with the
    largest ``|entry|`` at or below ``k`` is swapped up, then the rows below take away
    multiples of it. A stack of matrices is eliminated together, column by column.
    """
    (lu,) = _no_gradient("lu_factor", _float(x))
    shape = lu.shape
    m, n = shape[-2:]
    flat = np.array(lu, copy=True).reshape(-1, m, n)                   # (B, m, n)
    pivots = np.zeros((len(flat), min(m, n)), dtype=np.int32)
    each = np.arange(len(flat))
    for k in range(min(m, n)):
        p = k + np.argmax(np.abs(flat[:, k:, k]), axis=1)              # (B,): each matrix's pivot row
        pivots[:, k] = p
        row_k = flat[each, k].copy()
        flat[each, k], flat[each, p] = flat[each, p], row_k            # swap rows k and p
        pivot = flat[:, k:k + 1, k:k + 1]
        below = flat[:, k + 1:, k:k + 1] / np.where(pivot == 0, 1, pivot)
        flat[:, k + 1:, k + 1:] -= below * flat[:, k:k + 1, k + 1:]
        flat[:, k + 1:, k:k + 1] = below
    return flat.reshape(shape), pivots.reshape(shape[:-2] + (min(m, n),))


def norm(x, ord=None, axis=None, keepdims=False):
    """The vector or matrix norm, as NumPy's ``linalg.norm`` (whole numbers give float32)."""
    return np.linalg.norm(_float(x), ord=ord, axis=axis, keepdims=keepdims)


def cdist(x, y):
    """Euclidean distances between the rows: ``out[..., i, j] = ||x[..., i, :] - y[..., j, :]||``."""
    if np.ndim(data_of(x)) < 2 or np.ndim(data_of(y)) < 2:
        raise ValueError("cdist: the inputs must have rank >= 2")
    difference = _float(x)[..., :, None, :] - _float(y)[..., None, :, :]
    return np.sqrt(np.sum(np.square(difference), axis=-1))
