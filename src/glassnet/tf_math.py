"""More of ``tf.math`` (and its top-level aliases): the element-wise functions beyond the
basic ones, the safe divisions, counting, and the segment reductions::

    tf.math.squared_difference(y, prediction)
    tf.math.unsorted_segment_sum(messages, receivers, num_segments=nodes)   # a graph network
    tf.math.divide_no_nan(total, count)                                     # 0 where count is 0

NumPy's functions under TensorFlow's names; on recorded values (a loss, a GradientTape
block) the differentiable ones record themselves. ``erf``, ``lgamma``... come from
``scipy.special`` and work on arrays only.
"""

import numpy as np

from glassnet import ops
from glassnet.engine.autodiff import CannotDifferentiate, Value, data_of
from glassnet.engine.autodiff_arrays import scatter
from glassnet.engine.tensor import as_tensor
from glassnet.tf_arrays import _axis, _in
from glassnet.tf_functions import _elementwise


def _special(scipy_name):
    """``scipy.special.<scipy_name>`` (imported when first called: glassnet loads without SciPy)."""
    def apply(x, name=None):
        import scipy.special
        return as_tensor(getattr(scipy.special, scipy_name)(_in(x)))
    apply.__name__ = scipy_name
    return apply


ELEMENTWISE = {name: _elementwise(getattr(np, numpy)) for name, numpy in {
    "acos": "arccos", "acosh": "arccosh", "asin": "arcsin", "asinh": "arcsinh", "atan": "arctan",
    "atan2": "arctan2", "atanh": "arctanh", "cosh": "cosh", "sinh": "sinh", "tan": "tan", "expm1": "expm1",
    "reciprocal": "reciprocal", "negative": "negative", "rint": "rint", "is_finite": "isfinite", "is_inf": "isinf",
    "logical_xor": "logical_xor", "floordiv": "floor_divide", "floormod": "mod", "mod": "mod",
    "truediv": "true_divide", "realdiv": "true_divide"}.items()}
SPECIAL = {name: _special(scipy_name) for name, scipy_name in {
    "erf": "erf", "erfc": "erfc", "erfinv": "erfinv", "erfcinv": "erfcinv", "lgamma": "gammaln",
    "digamma": "digamma", "ndtri": "ndtri", "bessel_i0": "i0", "bessel_i0e": "i0e", "bessel_i1": "i1",
    "bessel_i1e": "i1e"}.items()}
ELEMENTWISE.update(conj=_elementwise(np.conj), real=_elementwise(np.real), imag=_elementwise(np.imag),
                   nextafter=_elementwise(np.nextafter))


def _special2(scipy_name):
    def apply(a, x, name=None):
        import scipy.special
        return as_tensor(getattr(scipy.special, scipy_name)(_in(a), _in(x)))
    apply.__name__ = scipy_name
    return apply


SPECIAL.update(igamma=_special2("gammainc"), igammac=_special2("gammaincc"), zeta=_special2("zeta"),
               polygamma=_special2("polygamma"), xlog1py=_special2("xlog1py"))


def betainc(a, b, x, name=None):
    import scipy.special
    return as_tensor(scipy.special.betainc(_in(a), _in(b), _in(x)))


def lbeta(x, name=None):
    """``log(prod(gamma(x)) / gamma(sum(x)))`` over the last axis."""
    import scipy.special
    x = _in(x)
    return as_tensor(np.sum(scipy.special.gammaln(x), axis=-1) - scipy.special.gammaln(np.sum(x, axis=-1)))


def reciprocal_no_nan(x, name=None):
    return divide_no_nan(np.ones((), np.asarray(data_of(_in(x))).dtype), x)


def is_non_decreasing(x, name=None):
    return as_tensor(np.all(np.diff(np.asarray(data_of(x)).reshape(-1)) >= 0))


def is_strictly_increasing(x, name=None):
    return as_tensor(np.all(np.diff(np.asarray(data_of(x)).reshape(-1)) > 0))


def polyval(coeffs, x, name=None):
    """``coeffs[0] * x**(n-1) + ... + coeffs[n-1]`` (Horner's rule)."""
    x, total = _in(x), 0
    for c in coeffs:
        total = total * x + c
    return as_tensor(total)


def cumulative_logsumexp(x, axis=0, exclusive=False, reverse=False, name=None):
    """``log(cumsum(exp(x)))``, the running maximum taken out first (no overflow)."""
    from glassnet.tf_arrays import cumsum
    x = _in(x)
    top = np.max(np.asarray(data_of(x)), axis=axis, keepdims=True)
    return as_tensor(np.log(cumsum(np.exp(x - top), axis=axis, exclusive=exclusive, reverse=reverse)) + top)


def rsqrt(x, name=None):
    return as_tensor(1 / np.sqrt(_in(x)))


def squared_difference(x, y, name=None):
    """``(x - y) ** 2``, element by element."""
    return as_tensor(np.square(_in(x) - _in(y)))


def divide_no_nan(x, y, name=None):
    """``x / y``, and 0 where ``y`` is 0."""
    x, y = _in(x), _in(y)
    zero = np.asarray(data_of(y)) == 0
    return as_tensor(np.where(zero, 0, x / np.where(zero, 1, y)))


def multiply_no_nan(x, y, name=None):
    """``x * y``, and 0 where ``y`` is 0 (even if ``x`` is inf or nan)."""
    x, y = _in(x), _in(y)
    zero = np.asarray(data_of(y)) == 0
    return as_tensor(np.where(zero, 0, np.where(zero, 0, x) * y))


def xlogy(x, y, name=None):
    """``x * log(y)``, and 0 where ``x`` is 0."""
    x, y = _in(x), _in(y)
    zero = np.asarray(data_of(x)) == 0
    return as_tensor(np.where(zero, 0, x * np.log(np.where(zero, 1, y))))


def xdivy(x, y, name=None):
    x, y = _in(x), _in(y)
    zero = np.asarray(data_of(x)) == 0
    return as_tensor(np.where(zero, 0, x / np.where(zero, 1, y)))


def log_sigmoid(x, name=None):
    """``log(sigmoid(x)) = -softplus(-x)``, written so that nothing overflows."""
    x = _in(x)
    return as_tensor(np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x))))


def softplus(features, name=None):
    """``log(1 + exp(x))``, without overflow: ``max(x, 0) + log(1 + exp(-|x|))``."""
    x = _in(features)
    return as_tensor(np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))))


def softsign(features, name=None):
    x = _in(features)
    return as_tensor(x / (1 + np.abs(x)))


def log_softmax(logits, axis=-1, name=None):
    x = _in(logits)
    return as_tensor(x - ops.logsumexp(x, axis=axis, keepdims=True))


def softmax(logits, axis=-1, name=None):
    x = _in(logits)
    return as_tensor(np.exp(x - ops.logsumexp(x, axis=axis, keepdims=True)))


def reduce_logsumexp(input_tensor, axis=None, keepdims=False, name=None):
    """``log(sum(exp(x)))`` over ``axis``, the largest value taken out first (no overflow)."""
    return as_tensor(ops.logsumexp(_in(input_tensor), axis=_axis(axis), keepdims=keepdims))


def reduce_euclidean_norm(input_tensor, axis=None, keepdims=False, name=None):
    return as_tensor(np.sqrt(np.sum(np.square(_in(input_tensor)), axis=_axis(axis), keepdims=keepdims)))


def count_nonzero(input, axis=None, keepdims=False, dtype=np.int64, name=None):
    counts = np.count_nonzero(np.asarray(data_of(_in(input))), axis=_axis(axis), keepdims=keepdims)
    return as_tensor(np.asarray(counts).astype(dtype))


def zero_fraction(value, name=None):
    return as_tensor(np.float32(np.mean(np.asarray(data_of(value)) == 0)))


def bincount(arr, weights=None, minlength=None, maxlength=None, dtype=np.int32, axis=None, name=None):
    """How often each whole number appears in ``arr`` (or the sum of its ``weights``)."""
    arr = np.asarray(data_of(arr)).reshape(-1)
    length = max(int(arr.max(initial=-1)) + 1, minlength or 0)
    length = min(length, maxlength) if maxlength is not None else length
    kept = arr < length
    if weights is None:
        return as_tensor(np.bincount(arr[kept], minlength=length).astype(dtype))
    weights = np.asarray(data_of(_in(weights))).reshape(-1)
    return as_tensor(np.bincount(arr[kept], weights[kept], minlength=length).astype(weights.dtype))


def invert_permutation(x, name=None):
    x = np.asarray(data_of(_in(x)))
    return as_tensor(np.argsort(x).astype(x.dtype))


def scalar_mul(scalar, x, name=None):
    return as_tensor(scalar * _in(x))


def in_top_k(targets, predictions, k, name=None):
    """True where ``targets``' class is among the ``k`` largest of its row of ``predictions``."""
    return as_tensor(ops.in_top_k(np.asarray(data_of(targets)), np.asarray(data_of(predictions)), k))


# -- segment reductions: rows of data summed (averaged, ...) by the segment each belongs to --
def _segments(kind, sorted_ids):
    """``segment_<kind>`` (``num_segments`` = the largest id + 1) or ``unsorted_segment_<kind>``."""
    def reduce(data, segment_ids, num_segments=None, name=None):
        data, ids = _in(data), np.asarray(data_of(segment_ids)).astype(np.intp)
        count = int(ids.max(initial=-1)) + 1 if sorted_ids else int(num_segments)
        shape = (count,) + tuple(data.shape[ids.ndim:])
        index = (ids,)
        if kind in ("sum", "mean", "sqrt_n"):
            total = scatter(np.zeros(shape, data.dtype), index, data, add=True)
            sizes = np.bincount(ids.reshape(-1), minlength=count).reshape((count,) + (1,) * (len(shape) - 1))
            scale = {"sum": 1, "mean": np.maximum(sizes, 1), "sqrt_n": np.sqrt(np.maximum(sizes, 1))}[kind]
            return as_tensor(total / np.asarray(scale, data.dtype) if kind != "sum" else total)
        if isinstance(data, Value) and data.needs_grad:
            raise CannotDifferentiate(f"glassnet has no gradient for tf.math.segment_{kind}")
        ufunc, start = {"max": (np.maximum, _lowest), "min": (np.minimum, _highest),
                        "prod": (np.multiply, lambda dtype: 1)}[kind]
        out = np.full(shape, start(data.dtype), data.dtype)
        ufunc.at(out, index, np.asarray(data_of(data)))
        if sorted_ids and kind != "prod":      # segment_max / min: an empty segment is 0 (unsorted: the start)
            out[np.bincount(ids.reshape(-1), minlength=count) == 0] = 0
        return as_tensor(out)
    reduce.__name__ = f"{'' if sorted_ids else 'unsorted_'}segment_{kind}"
    return reduce


def _lowest(dtype):
    return np.finfo(dtype).min if np.dtype(dtype).kind == "f" else np.iinfo(dtype).min


def _highest(dtype):
    return np.finfo(dtype).max if np.dtype(dtype).kind == "f" else np.iinfo(dtype).max


SEGMENTS = {f"segment_{kind}": _segments(kind, True) for kind in ("sum", "mean", "max", "min", "prod")}
SEGMENTS.update({f"unsorted_segment_{kind}": _segments(kind, False)
                 for kind in ("sum", "mean", "max", "min", "prod", "sqrt_n")})

MATH = {**ELEMENTWISE, **SPECIAL, **SEGMENTS, **{name: globals()[name] for name in (
    "rsqrt", "squared_difference", "divide_no_nan", "multiply_no_nan", "xlogy", "xdivy", "log_sigmoid", "softplus",
    "softsign", "log_softmax", "softmax", "reduce_logsumexp", "reduce_euclidean_norm", "count_nonzero",
    "zero_fraction", "bincount", "invert_permutation", "scalar_mul", "in_top_k", "betainc", "lbeta",
    "reciprocal_no_nan", "is_non_decreasing", "is_strictly_increasing", "polyval", "cumulative_logsumexp")}}
# the ones TensorFlow also has at the top level (tf.acos, tf.negative, tf.reduce_logsumexp...)
TOP_LEVEL = ["acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "cosh", "sinh", "tan", "negative",
             "truediv", "realdiv", "reduce_logsumexp", "scalar_mul", "truncatediv", "truncatemod"]
MATH.update(truncatediv=_elementwise(lambda x, y: np.trunc(np.true_divide(x, y)).astype(np.result_type(x, y))),
            truncatemod=_elementwise(np.fmod))
