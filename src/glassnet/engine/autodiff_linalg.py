"""Gradient rules for the linear algebra a custom layer may use: inv, det, slogdet, solve, cholesky.

They join :mod:`glassnet.engine.autodiff`'s table (``np.linalg.inv(value)`` and
``ops.linalg.inv(value)`` record themselves). Each works on a stack of matrices
(..., n, n); ``T`` below swaps the last two axes. For an output gradient ``G``::

    C = inv(A)           dA = -C.T @ G @ C.T
    d = det(A)           dA = g * d * inv(A).T
    l = log|det(A)|      dA = g * inv(A).T               (slogdet's second output; its sign has none)
    X = solve(A, B)      dB = solve(A.T, G)              dA = -dB @ X.T
    L = cholesky(A)      dA = L^-T Phi(L.T @ G) L^-1     (Murray, 2016)

``Phi`` keeps the lower triangle and halves the diagonal. NumPy's cholesky reads only the
lower triangle of ``A`` (the upper one with ``upper=True``), so that is where its gradient
goes: an entry off the diagonal stands for itself and its mirror image, and gets the sum of
the two halves.
"""

import numpy as np

from glassnet.engine.autodiff import lift, record


def _T(x):
    return np.swapaxes(x, -1, -2)


def _inv(a):
    a = lift(a)
    c = np.linalg.inv(a.data)
    return record(c, (a,), lambda g: (-_T(c) @ g @ _T(c),))


def _det(a):
    a = lift(a)
    d = np.linalg.det(a.data)
    return record(d, (a,), lambda g: (np.asarray(g * d)[..., None, None] * _T(np.linalg.inv(a.data)),))


def _slogdet(a):
    """``(sign, log|det|)``: the sign is a plain array, the log a recorded Value."""
    a = lift(a)
    sign, log = np.linalg.slogdet(a.data)
    return sign, record(log, (a,), lambda g: (np.asarray(g)[..., None, None] * _T(np.linalg.inv(a.data)),))


def _solve(a, b):
    a, b = lift(a), lift(b)
    vector = b.ndim == 1                            # NumPy 2: only a 1-D b is one vector
    x = np.linalg.solve(a.data, b.data)

    def backward(g):
        g2, x2 = (g[..., None], x[..., None]) if vector else (g, x)
        db = np.linalg.solve(_T(a.data), g2)
        da = -db @ _T(x2)
        return da, (db[..., 0] if vector else db)
    return record(x, (a, b), backward)


def _cholesky(a, upper=False):
    a = lift(a)
    lower = np.linalg.cholesky(a.data)

    def backward(g):
        g = _T(g) if upper else g                   # the gradient of L from that of L.T
        phi = np.tril(_T(lower) @ g)
        phi = phi - 0.5 * np.eye(phi.shape[-1]) * phi   # halve the diagonal
        inverse = np.linalg.inv(lower)
        s = _T(inverse) @ phi @ inverse
        symmetric = s + _T(s)                       # dA for A = A.T, counted once per pair
        read = np.tril(symmetric) - 0.5 * np.eye(s.shape[-1]) * symmetric
        return (_T(read) if upper else read,)       # upper=True reads the upper triangle
    return record(_T(lower) if upper else lower, (a,), backward)


RULES = {"inv": _inv, "det": _det, "slogdet": _slogdet, "solve": _solve, "cholesky": _cholesky}
