"""``keras.ops``' control flow: ``cond``, ``switch``, the loops, ``map``, ``scan``...

On TensorFlow or JAX these build loops into a compiled graph. glassnet runs Python, so each
one is the plain loop it stands for, as Keras's NumPy backend has them. Inside a custom
layer's ``call()`` the bodies compute on recorded Values, so the result is differentiable
whenever the bodies are made of recorded ops: the record is simply the loop unrolled.

A structure (``init``, ``loop_vars``, ``xs``) may be one array or nested lists, tuples and
dicts of arrays, as in Keras.
"""

import builtins

import numpy as np

from glassnet.engine.autodiff import data_of

__all__ = ["cond", "switch", "fori_loop", "while_loop", "map", "scan", "associative_scan", "vectorized_map"]


def flatten(structure):
    """The arrays of a nested structure (dicts by sorted key, lists, tuples), in order."""
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in flatten(structure[key])]
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    return [structure]


def pack(structure, leaves):
    """``leaves`` (a flat list) put back into ``structure``'s shape (a namedtuple stays one)."""
    leaves = iter(leaves)

    def build(part):
        if isinstance(part, dict):
            return {key: build(part[key]) for key in sorted(part)}
        if isinstance(part, (list, tuple)):
            items = [build(item) for item in part]
            return type(part)(*items) if hasattr(part, "_fields") else type(part)(items)
        return next(leaves)
    return build(structure)


_flatten, _pack = flatten, pack


def _truth(value):
    """A predicate's truth: it carries no gradient, so its recorded value may be read."""
    return bool(np.asarray(data_of(value)))


def cond(pred, true_fn, false_fn):
    """``true_fn()`` if ``pred`` else ``false_fn()``."""
    return true_fn() if _truth(pred) else false_fn()


def switch(index, branches, *operands):
    """``branches[index](*operands)``, the index clipped into range (as Keras clips it)."""
    index = int(np.clip(int(np.asarray(data_of(index))), 0, len(branches) - 1))
    return branches[index](*operands)


def fori_loop(lower, upper, body_fun, init_val):
    """``val = body_fun(i, val)`` for ``i`` from ``lower`` up to ``upper`` (not included)."""
    value = init_val
    for i in range(int(data_of(lower)), int(data_of(upper))):
        value = body_fun(i, value)
    return value


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)`` (at most
    ``maximum_iterations`` times); a tuple or list in gives a tuple out, one array an array."""
    several = isinstance(loop_vars, (tuple, list))
    loop_vars = tuple(loop_vars) if several else (loop_vars,)
    steps = 0
    while (maximum_iterations is None or steps < maximum_iterations) and _truth(cond(*loop_vars)):
        loop_vars = body(*loop_vars)
        loop_vars = tuple(loop_vars) if isinstance(loop_vars, (tuple, list)) else (loop_vars,)
        steps += 1
    return loop_vars if several else loop_vars[0]


def _stacked(results):
    """Per-step results (each a structure) stacked into one structure of arrays (steps first)."""
    if not results:
        return None
    columns = zip(*[_flatten(result) for result in results])
    return _pack(results[0], [np.stack(list(column)) for column in columns])


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """``carry, y = f(carry, x)`` for each ``x`` of ``xs`` (along its first axis); gives
    ``(carry, ys)``, the ys stacked. Without ``xs``, ``f`` gets None ``length`` times."""
    if xs is None and length is None:
        raise ValueError("scan: give xs to scan over, or length")
    leaves = [] if xs is None else _flatten(xs)
    steps = int(length) if length is not None else len(leaves[0])
    carry, ys = init, []
    for i in (reversed(range(steps)) if reverse else range(steps)):
        carry, y = f(carry, None if xs is None else _pack(xs, [leaf[i] for leaf in leaves]))
        ys.append(y)
    if reverse:
        ys.reverse()
    return carry, (None if all(y is None for y in ys) else _stacked(ys))


def map(f, xs):
    """``f`` applied to each entry of ``xs`` along its first axis, the results stacked."""
    leaves = _flatten(xs)
    return _stacked([f(_pack(xs, [leaf[i] for leaf in leaves])) for i in range(len(leaves[0]))])


def vectorized_map(function, elements):
    """``function`` on each entry of ``elements`` along the first axis, the results stacked
    (one call per entry here: glassnet doesn't vectorize it)."""
    return map(function, elements)


def associative_scan(f, elems, reverse=False, axis=0):
    """The running "sum" with an associative ``f``: entry ``i`` is ``f`` folded over entries
    ``0..i`` along ``axis`` (``ops.associative_scan(ops.add, x)`` is ``cumsum``). ``f``
    gets slices that keep ``axis`` (of size 1); it is folded in order, one step per entry."""
    leaves = _flatten(elems)
    steps = np.shape(data_of(leaves[0]))[axis]

    def entry(i):
        i = steps - 1 - i if reverse else i
        taken = [leaf[(builtins.slice(None),) * (axis % np.ndim(data_of(leaf))) + (builtins.slice(i, i + 1),)]
                 for leaf in leaves]
        return _pack(elems, taken)

    running = [entry(0)]
    for i in range(1, steps):
        running.append(f(running[-1], entry(i)))
    if reverse:
        running.reverse()
    columns = zip(*[_flatten(r) for r in running])
    return _pack(elems, [np.concatenate(list(column), axis=axis) for column in columns])
