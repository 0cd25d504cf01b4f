"""TensorFlow's names for the ops a custom layer reaches for, for programs that start
``import glassnet as tf`` (keras.io's VQ-VAE as first written: ``tf.stop_gradient``,
``tf.argmin``, ``tf.one_hot``)::

    quantized = x + tf.stop_gradient(quantized - x)
    tf.math.erf(x), tf.math.unsorted_segment_sum(data, ids, num_segments=3)
    tf.linalg.inv(a), tf.linalg.triangular_solve(lower, b)

Each is :mod:`glassnet.ops`' function (differentiable in a ``call()`` where that one is),
with TensorFlow's argument names and defaults where they differ from Keras's.
"""

import numpy as np

from glassnet import ops
from glassnet.engine import initializers
from glassnet.engine.autodiff import data_of
from glassnet.ops import linalg as _linalg


def stop_gradient(input, name=None):
    return ops.stop_gradient(input)


def custom_gradient(f=None):
    """``@tf.custom_gradient``: ``f`` returns ``(output, grad)``, as :func:`glassnet.ops.custom_gradient`."""
    return ops.custom_gradient(f) if f is not None else ops.custom_gradient


def cond(pred, true_fn=None, false_fn=None, name=None):
    return ops.cond(pred, true_fn, false_fn)


def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations=10, back_prop=True,
               swap_memory=False, maximum_iterations=None, name=None):
    """``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)``; a list in gives a list out."""
    result = ops.while_loop(cond, body, loop_vars, maximum_iterations=maximum_iterations)
    return list(result) if isinstance(loop_vars, list) else result


def _sorted_segments(reduce):
    """``tf.math.segment_*``: the segments are ``0 .. max(ids)``, and an empty one is 0."""
    def segment(data, segment_ids, name=None):
        out = reduce(data, segment_ids)
        ids = np.asarray(data_of(segment_ids))
        empty = np.bincount(ids, minlength=len(data_of(out))) == 0
        return ops.where(empty.reshape((-1,) + (1,) * (np.ndim(data_of(out)) - 1)), 0, out) if empty.any() else out
    segment.__name__ = reduce.__name__
    return segment


def _unsorted_segments(reduce):
    """``tf.math.unsorted_segment_*(data, segment_ids, num_segments)``: Keras's ``segment_*``."""
    def segment(data, segment_ids, num_segments, name=None):
        return reduce(data, segment_ids, num_segments=num_segments)
    segment.__name__ = f"unsorted_{reduce.__name__}"
    return segment


def l2_normalize(x, axis=None, epsilon=1e-12, name=None):
    """``x / sqrt(max(sum(x**2), epsilon))`` along ``axis`` (TensorFlow's epsilon is on the square)."""
    return ops.normalize(x, axis=-1 if axis is None else axis, epsilon=float(np.sqrt(epsilon)))


MATH = {"erf": ops.erf, "erfc": ops.erfc, "erfinv": ops.erfinv, "divide_no_nan": ops.divide_no_nan,
        "l2_normalize": l2_normalize, "softplus": ops.softplus, "log_sigmoid": ops.log_sigmoid,
        **{name: _sorted_segments(getattr(ops, name)) for name in ("segment_sum", "segment_max", "segment_min",
                                                                    "segment_prod")},
        **{f"unsorted_{name}": _unsorted_segments(getattr(ops, name))
           for name in ("segment_sum", "segment_max", "segment_min", "segment_prod")}}


def _triangular_solve(matrix, rhs, lower=True, adjoint=False, name=None):
    """TensorFlow's: ``lower`` is True by default, ``adjoint`` solves with the transpose."""
    if adjoint:
        matrix, lower = np.swapaxes(matrix, -1, -2), not lower
    return _linalg.solve_triangular(matrix, rhs, lower=lower)


def _svd(tensor, full_matrices=False, compute_uv=True, name=None):
    """TensorFlow's order: ``(s, u, v)`` with ``tensor = u @ diag(s) @ v.T`` (``v``, not ``vh``)."""
    if not compute_uv:
        return _linalg.svd(tensor, full_matrices=full_matrices, compute_uv=False)
    u, s, vh = _linalg.svd(tensor, full_matrices=full_matrices)
    return s, u, np.swapaxes(vh, -1, -2).conj()


class _Linalg:
    """``tf.linalg``: the linear algebra of :mod:`glassnet.ops.linalg` under TensorFlow's names."""

    inv, det, slogdet, logdet = (staticmethod(f) for f in (_linalg.inv, _linalg.det, _linalg.slogdet, _linalg.logdet))
    solve, cholesky, eigh, qr = (staticmethod(f) for f in (_linalg.solve, _linalg.cholesky, _linalg.eigh, _linalg.qr))
    norm, pinv, matrix_rank = staticmethod(_linalg.norm), staticmethod(_linalg.pinv), staticmethod(_linalg.matrix_rank)
    triangular_solve, svd = staticmethod(_triangular_solve), staticmethod(_svd)
    matmul, eye, diag_part = staticmethod(np.matmul), staticmethod(ops.eye), staticmethod(
        lambda x: np.diagonal(x, axis1=-2, axis2=-1))

    def __getattr__(self, name):
        raise AttributeError(f"glassnet's tf.linalg has no {name!r}; it has "
                             f"{', '.join(sorted(n for n in dir(type(self)) if not n.startswith('_')))}")


linalg = _Linalg()

# TensorFlow's initializers by their snake_case names (``w_init = tf.random_uniform_initializer()``,
# then ``tf.Variable(initial_value=w_init(shape=..., dtype="float32"))``): Keras's, same defaults.
random_uniform_initializer, random_normal_initializer = initializers.RandomUniform, initializers.RandomNormal
zeros_initializer, ones_initializer, constant_initializer = initializers.Zeros, initializers.Ones, initializers.Constant

NAMES = ["stop_gradient", "custom_gradient", "cond", "while_loop", "linalg", "random_uniform_initializer",
         "random_normal_initializer", "zeros_initializer", "ones_initializer", "constant_initializer"]
