"""TensorFlow's control flow (``tf.cond``, ``tf.while_loop``, ``tf.map_fn``, ``tf.scan``)
for programs that start ``import glassnet as tf``. TensorFlow needs them to put a branch or a
loop into a graph; glassnet runs Python as it comes, so each is the plain Python it stands
for, and the values computed in it stay recorded (the gradient flows through the loop)."""

import types

import numpy as np

from glassnet.engine.autodiff import data_of
from glassnet.engine.tensor import as_tensor
from glassnet.ops.control_flow import flatten as _flatten
from glassnet.ops.control_flow import pack as _pack
from glassnet.tf_arrays import _in


def cond(pred, true_fn=None, false_fn=None, name=None):
    """``true_fn()`` if ``pred`` else ``false_fn()``."""
    return true_fn() if bool(np.asarray(data_of(pred))) else false_fn()


def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations=10, back_prop=True,
               swap_memory=False, maximum_iterations=None, name=None):
    """``while cond(*loop_vars): loop_vars = body(*loop_vars)`` (at most ``maximum_iterations`` times)."""
    several = isinstance(loop_vars, (list, tuple))
    values, steps = (list(loop_vars) if several else [loop_vars]), 0
    while (maximum_iterations is None or steps < maximum_iterations) and bool(np.asarray(data_of(cond(*values)))):
        values = body(*values)
        values, steps = (list(values) if isinstance(values, (list, tuple)) else [values]), steps + 1
    return type(loop_vars)(values) if several else values[0]


def _rows(elems):
    """The slices of ``elems`` (an array, or a tuple of arrays read together) along the first axis."""
    if isinstance(elems, (list, tuple)):
        return [type(elems)(row) for row in zip(*[_rows(e) for e in elems])]
    elems = _in(elems)
    return [elems[i] for i in range(elems.shape[0])]


def _stacked(results):
    if isinstance(results[0], (list, tuple)):
        return type(results[0])(_stacked(list(part)) for part in zip(*results))
    return as_tensor(np.stack([_in(r) for r in results]))


def map_fn(fn, elems, dtype=None, parallel_iterations=None, back_prop=True, swap_memory=False, infer_shape=True,
           name=None, fn_output_signature=None):
    """``fn`` applied to each slice of ``elems`` along the first axis, the results stacked."""
    return _stacked([fn(row) for row in _rows(elems)])


def scan(fn, elems, initializer=None, parallel_iterations=10, back_prop=True, swap_memory=False,
         infer_shape=True, reverse=False, name=None):
    """``a = fn(a, x)`` for each slice ``x`` of ``elems``, every ``a`` stacked (``initializer``,
    or the first slice, to start from)."""
    rows = _rows(elems)
    rows = rows[::-1] if reverse else rows
    state, results = (rows[0], [rows[0]]) if initializer is None else (initializer, [])
    for row in rows[1:] if initializer is None else rows:
        state = fn(state, row)
        results.append(state)
    return _stacked(results[::-1] if reverse else results)


vectorized_map = map_fn       # tf.vectorized_map(fn, elems): the same results, one slice at a time


def case(pred_fn_pairs, default=None, exclusive=False, strict=False, name=None):
    """The function paired with the first true predicate, or ``default``."""
    for pred, fn in pred_fn_pairs:
        if bool(np.asarray(data_of(pred))):
            return fn()
    return default()


def switch_case(branch_index, branch_fns, default=None, name=None):
    """``branch_fns[branch_index]()`` (a list, or a dict by index); ``default`` when out of range."""
    fns = dict(enumerate(branch_fns)) if isinstance(branch_fns, (list, tuple)) else dict(branch_fns)
    index = int(np.asarray(data_of(branch_index)))
    return fns[index]() if index in fns else (default or fns[max(fns)])()


def foldl(fn, elems, initializer=None, parallel_iterations=10, back_prop=True, swap_memory=False, name=None):
    """``a = fn(a, x)`` over the slices of ``elems``, first to last; the last ``a``."""
    rows = _rows(elems)
    state, rows = (rows[0], rows[1:]) if initializer is None else (initializer, rows)
    for row in rows:
        state = fn(state, row)
    return state


def foldr(fn, elems, initializer=None, parallel_iterations=10, back_prop=True, swap_memory=False, name=None):
    """As :func:`foldl`, from the last slice to the first."""
    rows = _rows(elems)[::-1]
    state, rows = (rows[0], rows[1:]) if initializer is None else (initializer, rows)
    for row in rows:
        state = fn(state, row)
    return state


def _map_structure(fn, *structures, **unused):
    return _pack(structures[0], iter([fn(*leaves) for leaves in zip(*[_flatten(s) for s in structures])]))


# tf.nest: nested lists, tuples and dicts (keys in sorted order, as TensorFlow walks them).
nest = types.SimpleNamespace(flatten=lambda structure, expand_composites=False: _flatten(structure),
                             map_structure=_map_structure,
                             pack_sequence_as=lambda structure, flat_sequence, **unused: _pack(
                                 structure, iter(flat_sequence)),
                             is_nested=lambda x: isinstance(x, (list, tuple, dict)))

NAMES = ["cond", "while_loop", "map_fn", "scan", "vectorized_map", "case", "switch_case", "foldl", "foldr", "nest"]
