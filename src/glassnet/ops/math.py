"""``keras.ops``' special functions and small helpers, on arrays and on recorded Values.

The error function family (``erf``, ``erfc``, ``erfinv``), ``divide_no_nan``,
``normalize``, ``stop_gradient`` and ``custom_gradient`` are differentiable inside a
custom layer's ``call()`` (a rule for each, beside its forward pass); ``saturate_cast``,
``multi_hot``, ``polar`` and the Fourier transforms work on arrays (their gradients are
not recorded: glassnet says so rather than guessing). The Fourier transforms take and give
``(real, imag)`` pairs, as Keras's do.
"""

import math

import numpy as np

from glassnet.engine.autodiff import Value, _unary, data_of, lift, record
from glassnet.engine.layers.activations import _erfc_chebyshev, erf as _erf

__all__ = ["erf", "erfc", "erfinv", "divide_no_nan", "normalize", "stop_gradient", "custom_gradient",
           "saturate_cast", "multi_hot", "polar", "fft", "fft2", "ifft2", "rfft", "irfft", "view_as_real",
           "view_as_complex", "view", "jvp"]


def _floats(x):
    """``x`` as a float array (whole numbers become float32, as Keras makes them)."""
    x = np.asarray(x)
    return x if x.dtype.kind in "fc" else x.astype(np.float32)


def _elementwise(forward, gradient):
    """``forward`` on an array; on a Value, recorded with ``gradient(g, x, y) -> dL/dx``."""
    rule = _unary(forward, gradient)

    def op(x):
        return rule(x.astype(np.float32) if x.dtype.kind not in "f" else x) if isinstance(x, Value) \
            else forward(_floats(x))
    return op


def _erfc(x):
    """``1 - erf(x)``, without losing the digits of a tiny erfc for large ``x``: erfc of
    ``|x|`` from the same Chebyshev fit as :func:`erf`, and ``2 - erfc(|x|)`` for ``x < 0``."""
    coef = _erfc_chebyshev()
    z = np.abs(x)
    t = 2 / (2 + z)
    u = np.maximum((t - 0.625) / 0.375, -1)
    b1 = b2 = 0 * u
    for c in coef[:0:-1]:
        b1, b2 = 2 * u * b1 - b2 + c, b1
    tail = t * np.exp(-z * z + (u * b1 - b2 + coef[0]))
    return np.where(x < 0, 2 - tail, tail).astype(x.dtype, copy=False)


def _erfinv(y):
    """The ``x`` with ``erf(x) = y`` (-1 < y < 1): Giles's (2010) polynomial, good to float32,
    then two Newton steps ``x -= (erf(x) - y) / erf'(x)`` in float64 for double precision."""
    y64 = np.asarray(y, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = -np.log((1 - y64) * (1 + y64))
        small, large = w - 2.5, np.sqrt(w) - 3
        p_small = np.polyval([2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                              -0.00125372503, -0.00417768164, 0.246640727, 1.50140941], small)
        p_large = np.polyval([-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                              -0.0076224613, 0.00943887047, 1.00167406, 2.83297682], large)
        x = np.where(w < 5, p_small, p_large) * y64
        for _ in range(2):
            step = (_erf(x) - y64) / (2 / math.sqrt(math.pi) * np.exp(-x * x))
            x = np.where(np.isfinite(step), x - step, x)
    x = np.where(np.abs(y64) == 1, np.copysign(np.inf, y64), x)
    return x.astype(np.asarray(y).dtype, copy=False)


_TWO_OVER_ROOT_PI = 2 / math.sqrt(math.pi)

# d/dx erf(x) = 2/sqrt(pi) exp(-x**2); erfc is 1 - erf; d/dy erfinv(y) = sqrt(pi)/2 exp(x**2).
erf = _elementwise(lambda x: _erf(x).astype(x.dtype, copy=False),
                   lambda g, x, y: g * _TWO_OVER_ROOT_PI * np.exp(-x * x))
erfc = _elementwise(_erfc, lambda g, x, y: -g * _TWO_OVER_ROOT_PI * np.exp(-x * x))
erfinv = _elementwise(_erfinv, lambda g, x, y: g / _TWO_OVER_ROOT_PI * np.exp(y * y))
for _function, _text in ((erf, "The error function ``2/sqrt(pi) * integral_0^x exp(-t**2) dt``."),
                         (erfc, "``1 - erf(x)``, accurate where it is tiny (large ``x``)."),
                         (erfinv, "The inverse of :func:`erf`: ``erfinv(erf(x)) = x``; +-inf at +-1.")):
    _function.__doc__ = _text
erf.__name__, erfc.__name__, erfinv.__name__ = "erf", "erfc", "erfinv"


def divide_no_nan(x1, x2):
    """``x1 / x2``, and 0 where ``x2`` is 0 (instead of inf or nan); its gradient is 0 there too."""
    zero = data_of(x2) == 0
    safe = np.where(zero, 1, x2) if isinstance(x2, Value) else np.where(zero, 1, _floats(x2))
    return np.where(zero, 0, (x1 if isinstance(x1, Value) else _floats(x1)) / safe)


def normalize(x, axis=-1, order=2, epsilon=None):
    """``x / ||x||`` along ``axis`` (Keras: ``order`` a whole number >= 1; a norm below
    ``epsilon``, 1e-7, counts as ``epsilon``, so a zero vector stays zero)."""
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"normalize: order must be an int >= 1, got {order!r}")
    x = x if isinstance(x, Value) else _floats(x)
    epsilon = 1e-7 if epsilon is None else epsilon
    if order == 2:
        with np.errstate(divide="ignore"):          # a zero vector: capped at 1 / epsilon below
            inverse = 1 / np.sqrt(np.sum(np.square(x), axis=axis, keepdims=True))
        return x * np.minimum(inverse, 1 / epsilon)
    norm = np.sum(np.abs(x) ** order, axis=axis, keepdims=True) ** (1 / order)
    return x / np.maximum(norm, epsilon)


def stop_gradient(variable):
    """``variable``'s value, through which no gradient flows back: to the recorded math it
    is a constant. The straight-through estimator of a VQ-VAE is built with it::

        quantized = x + ops.stop_gradient(quantized - x)   # forward: quantized; gradient: to x
    """
    if isinstance(variable, Value):
        return Value(variable.data)
    return variable


def custom_gradient(f):
    """A function with a gradient of your own (Keras's ``@ops.custom_gradient``): ``f(*args)``
    returns ``(output, grad)``, and ``grad(upstream)`` gives ``dL/d(args)`` (one array, or one
    per argument) from ``dL/d(output)``::

        @ops.custom_gradient
        def log1pexp(x):
            e = ops.exp(x)
            def grad(*args, upstream=None):
                upstream = args[0] if upstream is None else upstream
                return upstream * (1 - 1 / (1 + e))
            return ops.log(1 + e), grad

    ``f`` runs on plain arrays; its output is one recorded step whose backward is ``grad``.
    """
    def wrapped(*args, **kwargs):
        output, grad = f(*[data_of(a) for a in args], **kwargs)
        output = np.asarray(data_of(output))
        if not any(isinstance(a, Value) for a in args):
            return output

        def backward(g):
            grads = grad(g)
            grads = list(grads) if isinstance(grads, (list, tuple)) else [grads]
            return [None if d is None else np.asarray(data_of(d)) for d in grads]
        return record(output, [lift(a) for a in args], backward)

    wrapped.__name__ = getattr(f, "__name__", "custom_gradient")
    wrapped.__doc__ = f.__doc__
    return wrapped


def _limits(dtype):
    info = np.iinfo(dtype) if dtype.kind in "iu" else np.finfo(dtype)
    return int(info.min) if dtype.kind in "iu" else float(info.min), \
        int(info.max) if dtype.kind in "iu" else float(info.max)


def saturate_cast(x, dtype):
    """``x`` cast to ``dtype``, clipped first to what ``dtype`` can hold (300.7 as uint8: 255,
    not the 44 a plain cast wraps around to)."""
    x, dtype = np.asarray(data_of(x)), np.dtype(dtype)
    if dtype.kind in "iuf" and x.dtype.kind in "iuf":
        (out_low, out_high), (in_low, in_high) = _limits(dtype), _limits(x.dtype)
        low, high = np.array(max(out_low, in_low)).astype(x.dtype), np.array(min(out_high, in_high)).astype(x.dtype)
        if x.dtype.kind == "f":           # float32(2**31 - 1) rounds up to 2**31: step back inside
            low = np.nextafter(low, 0, dtype=x.dtype) if float(low) < out_low else low
            high = np.nextafter(high, 0, dtype=x.dtype) if float(high) > out_high else high
        x = np.clip(x, low, high)
    return x.astype(dtype)


def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """For each row of class indices, a vector with 1 at each class in it (a one-hot of the
    row's indices, or-ed together): ``multi_hot([[0, 2]], 4) = [[1, 0, 1, 0]]``."""
    num_classes = kwargs.pop("num_tokens", num_classes)
    if kwargs or num_classes is None or sparse:
        raise ValueError(f"multi_hot: give num_classes (sparse=True and {sorted(kwargs)} are not supported)")
    x = np.asarray(data_of(inputs)).astype(np.intp)
    hot = np.eye(int(num_classes), dtype=dtype or np.float32)[x]
    hot = hot if axis == -1 else np.moveaxis(hot, -1, axis)
    return hot.max(axis=1 if x.ndim > 1 else 0)


def polar(abs_, angle):
    """The complex number of length ``abs_`` and angle ``angle``: ``abs_ * (cos + i sin)``."""
    abs_, angle = _floats(abs_), _floats(angle)
    return abs_ * (np.cos(angle) + 1j * np.sin(angle))


def _complex(pair, what):
    if not isinstance(pair, (list, tuple)) or len(pair) != 2:
        raise ValueError(f"ops.{what} takes a pair (real, imag), as Keras's does")
    real, imag = (_floats(p) for p in pair)
    if real.shape != imag.shape:
        raise ValueError(f"ops.{what}: real {real.shape} and imag {imag.shape} must have the same shape")
    return real + 1j * imag, real.dtype


def _pair(z, dtype):
    return np.real(z).astype(dtype), np.imag(z).astype(dtype)


def fft(x):
    """The discrete Fourier transform along the last axis of ``x = (real, imag)``."""
    z, dtype = _complex(x, "fft")
    return _pair(np.fft.fft(z), dtype)


def fft2(x):
    """The 2-D discrete Fourier transform over the last two axes of ``(real, imag)``."""
    z, dtype = _complex(x, "fft2")
    return _pair(np.fft.fft2(z), dtype)


def ifft2(x):
    """The inverse of :func:`fft2`."""
    z, dtype = _complex(x, "ifft2")
    return _pair(np.fft.ifft2(z), dtype)


def rfft(x, fft_length=None):
    """The Fourier transform of a real signal along the last axis: its ``n // 2 + 1``
    non-negative frequencies, as ``(real, imag)``."""
    x = _floats(x)
    return _pair(np.fft.rfft(x, n=fft_length, axis=-1), x.dtype)


def irfft(x, fft_length=None):
    """The real signal whose :func:`rfft` is ``x = (real, imag)``."""
    z, dtype = _complex(x, "irfft")
    return np.fft.irfft(z, n=fft_length, axis=-1).astype(dtype)


def view_as_real(x):
    """A complex array as real numbers: its real and imaginary parts on a new last axis of 2."""
    x = np.asarray(x)
    return np.stack([np.real(x), np.imag(x)], axis=-1)


def view_as_complex(x):
    """The inverse of :func:`view_as_real`: a last axis of 2 read as ``real + i imag``."""
    x = np.asarray(x)
    if x.shape[-1:] != (2,):
        raise ValueError(f"view_as_complex: the last axis must have size 2, got shape {x.shape}")
    return x[..., 0] + 1j * x[..., 1]


def view(x, dtype=None):
    """The same bytes read as ``dtype`` (float32 -> int32: the bit patterns)."""
    x = np.asarray(x)
    return x if dtype is None else x.view(dtype)


def jvp(fun, primals, tangents, has_aux=False):
    """Forward-mode differentiation (JAX's ``jvp``): glassnet records for the backward mode
    only, as Keras's NumPy backend, and says so."""
    raise NotImplementedError("ops.jvp: glassnet has no forward-mode differentiation; use a GradientTape "
                              "(tape.gradient) for gradients")
