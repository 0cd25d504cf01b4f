"""``tf.linalg`` for programs that start ``import glassnet as tf``: matrix products, the
diagonal and band of a (batch of) matrix, and NumPy's decompositions under TensorFlow's
names and argument orders (``tf.linalg.svd`` gives ``s, u, v``; NumPy gives ``u, s, vh``)::

    gram = tf.linalg.matmul(features, features, transpose_b=True)
    causal = tf.linalg.band_part(tf.ones((n, n)), -1, 0)       # the lower triangle: a causal mask

Matrices are the last two axes; any axes before them are a batch. The products, ``trace``,
``diag``, ``band_part`` and ``tensordot`` are differentiable in recorded math; ``inv``,
``det``, ``solve``... are as differentiable as glassnet's rules for ``np.linalg`` make them.
"""

import string

import numpy as np

from glassnet.engine.tensor import as_tensor
from glassnet.engine.autodiff import data_of
from glassnet.tf_arrays import _axis, _in, einsum, norm
from glassnet.tf_functions import _Functions, matmul
from glassnet.tf_nn import l2_normalize


def matvec(a, b, transpose_a=False, adjoint_a=False, name=None):
    """``a @ b`` for a (batch of) matrix ``a`` and vector ``b``."""
    a = np.swapaxes(_in(a), -1, -2) if transpose_a or adjoint_a else _in(a)
    return as_tensor(np.squeeze(np.matmul(a, np.expand_dims(_in(b), -1)), -1))


def matrix_transpose(a, name=None, conjugate=False):
    return as_tensor(np.swapaxes(_in(a), -1, -2))


adjoint = matrix_transpose


def diag_part(input, name=None, k=0):
    """The main diagonal of each matrix: ``x[..., i, i]``."""
    x = _in(input)
    if k != 0:
        raise NotImplementedError("tf.linalg.diag_part: glassnet reads the main diagonal only (k=0)")
    steps = np.arange(min(x.shape[-2:]))
    return as_tensor(x[..., steps, steps])


def diag(diagonal, name=None, k=0, num_rows=-1, num_cols=-1, padding_value=0):
    """Square matrices with ``diagonal``'s last axis on their diagonals, zeros elsewhere."""
    if k != 0 or num_rows != -1 or num_cols != -1 or padding_value != 0:
        raise NotImplementedError("tf.linalg.diag: glassnet builds square matrices on the main diagonal only")
    v = _in(diagonal)
    return as_tensor(np.expand_dims(v, -1) * np.eye(v.shape[-1], dtype=v.dtype))


def set_diag(input, diagonal, name=None, k=0):
    x = _in(input)
    n = min(x.shape[-2:])
    off = 1 - np.eye(*x.shape[-2:], dtype=x.dtype)
    return as_tensor(x * off + np.pad(diag(diagonal, k=k), _tail_pad(x.shape, n)))


def _tail_pad(shape, n):
    return [(0, 0)] * (len(shape) - 2) + [(0, shape[-2] - n), (0, shape[-1] - n)]


def trace(x, name=None):
    return as_tensor(np.sum(diag_part(x), axis=-1))


def band_part(input, num_lower, num_upper, name=None):
    """Each matrix with the entries more than ``num_lower`` below or ``num_upper`` above the
    diagonal set to zero (-1: keep them all)."""
    x = _in(input)
    rows, cols = np.indices(x.shape[-2:])
    keep = ((num_lower < 0) | (rows - cols <= num_lower)) & ((num_upper < 0) | (cols - rows <= num_upper))
    return as_tensor(x * keep.astype(x.dtype))


def eye(num_rows, num_columns=None, batch_shape=None, dtype=np.float32, name=None):
    matrix = np.eye(num_rows, num_columns, dtype=dtype)
    return as_tensor(np.broadcast_to(matrix, tuple(batch_shape or ()) + matrix.shape).copy())


def tensordot(a, b, axes, name=None):
    """``a``'s last ``axes`` axes (or the ones listed) summed against ``b``'s first (or listed)."""
    a, b = _in(a), _in(b)
    if np.ndim(axes) == 0:
        axes = (list(range(a.ndim - int(axes), a.ndim)), list(range(int(axes))))
    left, right = ([int(i) % x.ndim for i in np.atleast_1d(ax)] for ax, x in zip(axes, (a, b)))
    letters = iter(string.ascii_letters)
    a_term = [next(letters) for _ in range(a.ndim)]
    b_term = [next(letters) for _ in range(b.ndim)]
    for i, j in zip(left, right):
        b_term[j] = a_term[i]
    out = [c for i, c in enumerate(a_term) if i not in left] + [c for j, c in enumerate(b_term) if j not in right]
    return as_tensor(np.einsum(f"{''.join(a_term)},{''.join(b_term)}->{''.join(out)}", a, b))


def global_norm(t_list, name=None):
    """``sqrt(sum of every entry squared)`` over a list of arrays (the gradient clipper's norm)."""
    return as_tensor(np.sqrt(sum(np.sum(np.square(_in(t))) for t in t_list if t is not None)))


def clip_by_norm(t, clip_norm, axes=None, name=None):
    """``t`` scaled down so that its Euclidean norm (over ``axes``, or all) is at most ``clip_norm``."""
    t = _in(t)
    total = np.sqrt(np.sum(np.square(t), axis=_axis(axes), keepdims=True))
    return as_tensor(t * clip_norm / np.maximum(total, clip_norm))


def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """``(clipped, global_norm)``: every array scaled by ``clip_norm / max(global_norm, clip_norm)``,
    the norm over all of them together (a training loop's gradient clipping)."""
    total = global_norm(t_list) if use_norm is None else use_norm
    scale = clip_norm / np.maximum(total, clip_norm)
    return [None if t is None else as_tensor(_in(t) * np.asarray(data_of(scale), _in(t).dtype))
            for t in t_list], total


def _numpy(function, doc):
    def apply(*args, name=None, **kwargs):
        return as_tensor(function(*[_in(a) for a in args], **kwargs))
    apply.__name__, apply.__doc__ = function.__name__, doc
    return apply


inv = _numpy(np.linalg.inv, "The inverse of each matrix.")
det = _numpy(np.linalg.det, "The determinant of each matrix.")
cholesky = _numpy(np.linalg.cholesky, "The lower-triangular ``L`` with ``L @ L.T = x``.")
solve = _numpy(np.linalg.solve, "``x`` with ``matrix @ x = rhs``.")


pinv = _numpy(np.linalg.pinv, "The Moore-Penrose pseudo-inverse of each matrix.")
eigvalsh = _numpy(np.linalg.eigvalsh, "The eigenvalues of each symmetric matrix, smallest first.")
cross = _numpy(np.cross, "The cross product of 3-vectors, along the last axis.")


def matrix_rank(a, tol=None, validate_args=False, name=None):
    return as_tensor(np.linalg.matrix_rank(np.asarray(data_of(a)), tol=tol).astype(np.int32))


def lstsq(matrix, rhs, l2_regularizer=0.0, fast=True, name=None):
    """The ``x`` minimising ``|matrix @ x - rhs|**2 + l2_regularizer * |x|**2``."""
    a, b = _in(matrix), _in(rhs)
    gram = np.matmul(np.swapaxes(a, -1, -2), a) + l2_regularizer * np.eye(a.shape[-1], dtype=a.dtype)
    return as_tensor(np.linalg.solve(gram, np.matmul(np.swapaxes(a, -1, -2), b)))


def triangular_solve(matrix, rhs, lower=True, adjoint=False, name=None):
    """``x`` with ``matrix @ x = rhs`` for triangular matrices (only the triangle asked for is read)."""
    a = band_part(matrix, -1, 0) if lower else band_part(matrix, 0, -1)
    return as_tensor(np.linalg.solve(np.swapaxes(a, -1, -2) if adjoint else a, _in(rhs)))


def cholesky_solve(chol, rhs, name=None):
    """``x`` with ``(L @ L^T) x = rhs``, given the Cholesky factor ``L``."""
    return triangular_solve(chol, triangular_solve(chol, rhs), adjoint=True)


def expm(input, name=None):
    """The matrix exponential of each matrix (SciPy's)."""
    import scipy.linalg
    x = np.asarray(data_of(_in(input)))
    return as_tensor(np.reshape([scipy.linalg.expm(m) for m in x.reshape((-1,) + x.shape[-2:])], x.shape))


def normalize(tensor, ord="euclidean", axis=None, name=None):
    """``(tensor / norm, norm)``."""
    size = norm(tensor, ord=ord, axis=axis, keepdims=True)
    return as_tensor(_in(tensor) / size), size


def slogdet(input, name=None):
    """``(sign, log(|det|))`` of each matrix."""
    sign, logdet = np.linalg.slogdet(_in(input))
    return as_tensor(sign), as_tensor(logdet)


def logdet(matrix, name=None):
    """``log(det)`` of each (positive definite) matrix."""
    return slogdet(matrix)[1]


def qr(input, full_matrices=False, name=None):
    q, r = np.linalg.qr(_in(input), mode="complete" if full_matrices else "reduced")
    return as_tensor(q), as_tensor(r)


def svd(tensor, full_matrices=False, compute_uv=True, name=None):
    """``s`` (largest first), and with ``compute_uv`` also ``u`` and ``v`` (not ``v``'s
    transpose, as NumPy gives it): ``tensor = u @ diag(s) @ v^T``."""
    x = _in(tensor)
    if not compute_uv:
        return as_tensor(np.linalg.svd(x, compute_uv=False))
    u, s, vh = np.linalg.svd(x, full_matrices=full_matrices)
    return as_tensor(s), as_tensor(u), as_tensor(np.swapaxes(vh, -1, -2))


def eigh(tensor, name=None):
    values, vectors = np.linalg.eigh(_in(tensor))
    return as_tensor(values), as_tensor(vectors)


linalg = _Functions(
    _label="tf.linalg", matmul=matmul, matvec=matvec, matrix_transpose=matrix_transpose, adjoint=adjoint, diag=diag,
    diag_part=diag_part, set_diag=set_diag, trace=trace, band_part=band_part, eye=eye, tensordot=tensordot, global_norm=global_norm,
    inv=inv, det=det, cholesky=cholesky, solve=solve, slogdet=slogdet, logdet=logdet, qr=qr, svd=svd, eigh=eigh,
    norm=norm, l2_normalize=l2_normalize, pinv=pinv, eigvalsh=eigvalsh, cross=cross, matrix_rank=matrix_rank,
    lstsq=lstsq, triangular_solve=triangular_solve, cholesky_solve=cholesky_solve, expm=expm, normalize=normalize,
    einsum=einsum)
NAMES = ["eye", "tensordot", "clip_by_norm", "clip_by_global_norm"]
