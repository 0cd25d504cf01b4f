"""``tf.data.Dataset`` in NumPy: an input pipeline, one element at a time.

TensorFlow's tutorials feed their models through a chain like this one::

    ds = tf.data.Dataset.from_tensor_slices((x_train, y_train))   # one element per image
    ds = ds.map(normalize).cache().shuffle(1000).batch(32).prefetch(tf.data.AUTOTUNE)
    model.fit(ds, validation_data=val_ds, epochs=5)

A :class:`Dataset` here is a *recipe*: a function that starts a fresh pass over the elements,
and how many elements a pass gives (its *cardinality*). Every method wraps that function in
a new one (``map`` calls yours on each element, ``batch`` stacks ``n`` of them on a new first
axis, ...), so nothing is computed until a ``for`` loop (or ``fit``) asks for elements, and
every pass starts again from the source, as in TensorFlow: ``shuffle`` draws a new order for
each pass, ``repeat`` makes several passes one.

An element is an array (a :class:`~glassnet.engine.tensor.Tensor`, which answers ``.numpy()``)
or a tuple / dict of them (see :mod:`glassnet.tf_data.structure`). glassnet runs each step
in Python as it is asked for, so ``num_parallel_calls``, ``prefetch`` and ``AUTOTUNE`` are
accepted and change nothing but speed in TensorFlow; here they change nothing at all.
"""

import itertools
import math

import numpy as np

from glassnet.engine.random import new_seed
from glassnet.engine.tensor import as_tensor
from glassnet.tf_data import structure
from glassnet.tf_data.spec import DatasetSpec, TensorSpec, conform

AUTOTUNE = -1
INFINITE = -1    # tf.data.INFINITE_CARDINALITY: a dataset that repeats forever
UNKNOWN = -2     # tf.data.UNKNOWN_CARDINALITY: after filter, or from a generator

# What TensorFlow's Dataset has and this one hasn't, with what to do instead.
MISSING = {
    "class_names": "it belongs to the dataset image_dataset_from_directory returns, not to one made from it "
                   "(by cache, map, shuffle...); read it first, class_names = train_ds.class_names, as in TensorFlow",
    "file_paths": "it belongs to the dataset image_dataset_from_directory returns, not to one made from it; "
                  "read it first, as in TensorFlow",
}


class _MissingNames(type):
    """Makes ``tf.data.Dataset.list_files(...)`` say in one line that glassnet lacks it."""

    def __getattr__(cls, name):
        return _missing(name)


def _missing(name):
    if name.startswith("__"):
        raise AttributeError(name)
    reason = MISSING.get(name, "not part of glassnet's small tf.data")
    raise AttributeError(f"glassnet's tf.data.Dataset has no {name}: {reason}")


def _count(value, what, low=-1):
    """A whole number (a 0-d array too, as ``cardinality()`` gives) of at least ``low``."""
    number = int(value) if np.ndim(value) == 0 and np.asarray(value).dtype.kind in "iu" else value
    if isinstance(number, bool) or not isinstance(number, int) or number < low:
        raise ValueError(f"{what} must be a whole number >= {low}, got {value!r}")
    return number


def _finite(function, *cardinalities):
    """``function`` of the cardinalities when all are known and finite, else the first
    INFINITE or UNKNOWN among them (UNKNOWN wins)."""
    if UNKNOWN in cardinalities:
        return UNKNOWN
    return INFINITE if INFINITE in cardinalities else function(*cardinalities)


class Dataset(metaclass=_MissingNames):
    """A sequence of elements made on demand; see the module docstring.

    ``Dataset(iterate, cardinality, rows)``: ``iterate()`` starts a new pass (an iterator
    over the elements); ``cardinality``: elements per pass, or INFINITE / UNKNOWN; ``rows``:
    the length of every element's first axis where it is the same for all (so ``unbatch``
    knows its length, as TensorFlow's does), else None. Programs make datasets with the
    static methods (``from_tensor_slices``...), not this constructor.
    """

    def __init__(self, iterate, cardinality, rows=None):
        self._iterate, self._cardinality, self._rows = iterate, int(cardinality), rows

    # -- sources ---------------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors, name=None):
        """One element per row: ``(x, y)`` with ``x`` (N, 28, 28) and ``y`` (N,) gives N
        elements ``(x[i], y[i])`` of shapes (28, 28) and ()."""
        element = structure.as_element(tensors, "from_tensor_slices")
        arrays = structure.leaves(element)
        if any(a.ndim == 0 for a in arrays):
            raise ValueError("from_tensor_slices: a single number has no rows to slice; use from_tensors")
        lengths = sorted({len(a) for a in arrays})
        if len(lengths) > 1:
            raise ValueError(f"from_tensor_slices: all parts need the same first axis (one row per element), "
                             f"got lengths {lengths}")

        def iterate():
            return (structure.map_structure(lambda a: as_tensor(a[i]), element) for i in range(lengths[0]))
        return Dataset(iterate, lengths[0], _common_rows(a.shape[1:] for a in arrays))

    @staticmethod
    def from_tensors(tensors, name=None):
        """One element: ``tensors`` whole."""
        element = structure.as_element(tensors, "from_tensors")
        return Dataset(lambda: iter([element]), 1, _common_rows(a.shape for a in structure.leaves(element)))

    @staticmethod
    def range(*args, dtype=np.int64, name=None):
        """``range(5)`` -> 0, 1, 2, 3, 4 (``range(start, stop, step)`` too), each an int64 number."""
        numbers = range(*args)
        return Dataset(lambda: (as_tensor(np.array(i, dtype)) for i in numbers), len(numbers))

    @staticmethod
    def zip(*datasets, name=None):
        """Elements side by side: ``zip(a, b)`` (or ``zip((a, b))``, or a dict of datasets)
        gives ``(a_i, b_i)``, as long as the shortest."""
        datasets = datasets[0] if len(datasets) == 1 else datasets
        parts = structure.leaves(datasets)
        if not parts or not all(isinstance(d, Dataset) for d in parts):
            raise TypeError("Dataset.zip: expected datasets (a, b, ...), a tuple or a dict of them")

        def iterate():
            for values in zip(*parts):
                yield structure.rebuild(datasets, values)
        sizes = [d._cardinality for d in parts]
        finite = [s for s in sizes if s >= 0]
        cardinality = UNKNOWN if UNKNOWN in sizes else min(finite) if finite else INFINITE
        return Dataset(iterate, cardinality)

    @staticmethod
    def sample_from_datasets(datasets, weights=None, seed=None, stop_on_empty_dataset=False,
                             rerandomize_each_iteration=None):
        """Each element drawn from one of ``datasets``, chosen at random with probabilities
        ``weights`` (equal by default): the imbalanced-data tutorial's oversampling,
        ``sample_from_datasets([pos_ds, neg_ds], weights=[0.5, 0.5])``. A dataset that runs
        out leaves the draw (or ends it, with ``stop_on_empty_dataset``)."""
        datasets = list(datasets)
        weights = np.ones(len(datasets)) if weights is None else np.asarray(weights, np.float64)
        if len(weights) != len(datasets) or (weights < 0).any():
            raise ValueError(f"sample_from_datasets: weights must be {len(datasets)} numbers >= 0, got {weights}")
        if np.count_nonzero(weights) == 1:        # one dataset can be drawn: it, as TensorFlow gives it
            return datasets[int(np.flatnonzero(weights)[0])]
        seeds = np.random.default_rng(new_seed() if seed is None else seed)

        def iterate():
            rng, iterators = np.random.default_rng(int(seeds.integers(2**63))), [iter(d) for d in datasets]
            live = list(range(len(datasets)))
            while live and weights[live].sum() > 0:
                k = live[rng.choice(len(live), p=weights[live] / weights[live].sum())]
                element = next(iterators[k], None)
                if element is not None:
                    yield element
                elif stop_on_empty_dataset:
                    return
                else:
                    live.remove(k)
        infinite = any(d._cardinality == INFINITE for d in datasets)
        return Dataset(iterate, INFINITE if infinite else UNKNOWN)

    @staticmethod
    def from_generator(generator, output_types=None, output_shapes=None, args=None, output_signature=None,
                       name=None):
        """The values ``generator(*args)`` yields, each checked against ``output_signature``
        (a :class:`TensorSpec`, or a tuple / dict of them) and cast to its dtypes. A new
        pass calls ``generator`` again, so it must be the function, not a generator made by it."""
        if not callable(generator):
            raise TypeError(f"from_generator: generator must be a function that returns an iterator (pass "
                            f"the function, not what it returns), got {type(generator).__name__}")
        signature = output_signature
        if signature is None and output_types is not None:
            shapes = structure.along(output_types, output_shapes)
            signature = structure.rebuild(output_types, [TensorSpec(s, t) for t, s in
                                                         zip(structure.leaves(output_types), shapes)])

        def iterate():
            for value in generator(*(args or ())):
                element = structure.as_element(tuple(value) if isinstance(value, list) and
                                               isinstance(signature, tuple) else value, "from_generator")
                yield element if signature is None else structure.map_structure(conform, element, signature)
        return Dataset(iterate, UNKNOWN)

    # -- transformations -------------------------------------------------------------------
    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        """``map_func`` on each element: ``f(x, y)`` for a tuple ``(x, y)``, ``f(x)`` for one
        array or a dict. After ``batch`` each call gets a whole batch."""
        def iterate():
            for element in self._iterate():
                try:
                    result = structure.call(map_func, element)
                except structure.Skipped:           # ignore_errors() further on
                    continue
                yield structure.as_element(tuple(result) if isinstance(result, list) else result, "map")
        return Dataset(iterate, self._cardinality)

    def filter(self, predicate, name=None):
        """The elements for which ``predicate`` (called as ``map`` calls) is True."""
        def keep(element):
            try:
                answer = np.asarray(structure.call(predicate, element))
            except structure.Skipped:               # ignore_errors() further on
                return False
            if answer.shape != ():
                raise ValueError(f"filter: the predicate must return one True or False, got shape {answer.shape}")
            return bool(answer)
        return Dataset(lambda: filter(keep, self._iterate()), _finite(lambda c: UNKNOWN, self._cardinality))

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True, name=None):
        """The elements in a random order, drawn from a buffer of ``buffer_size``, as
        TensorFlow does: fill the buffer, then repeatedly hand out a random one of it and put
        the next element in its place. A buffer at least as long as the dataset shuffles it
        completely; a short one only mixes neighbours. Each pass draws a new order (the same
        order again with ``reshuffle_each_iteration=False``); ``seed`` makes them repeatable.
        """
        size = _count(buffer_size, "shuffle: buffer_size", low=1)
        seeds = np.random.default_rng(new_seed() if seed is None else seed)
        fixed = int(seeds.integers(2**63))

        def iterate():
            pass_seed = int(seeds.integers(2**63)) if reshuffle_each_iteration else fixed
            return _buffer_shuffle(self._iterate(), size, np.random.default_rng(pass_seed))
        return Dataset(iterate, self._cardinality, self._rows)

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None, deterministic=None, name=None):
        """``batch_size`` elements stacked on a new first axis: ``(x, y)`` of shapes (28, 28)
        and () become (32, 28, 28) and (32,). The last batch may be smaller, unless
        ``drop_remainder`` drops it."""
        size = _count(batch_size, "batch: batch_size", low=1)
        return self._batches(size, drop_remainder, lambda group: structure.stack(group, "batch"))

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None, drop_remainder=False, name=None):
        """As :meth:`batch`, for elements of different lengths: each is padded at the end
        (with ``padding_values``, default 0) to ``padded_shapes`` (default: the batch's longest)."""
        size = _count(batch_size, "padded_batch: batch_size", low=1)
        return self._batches(size, drop_remainder, lambda group: structure.pad_and_stack(
            group, padded_shapes, padding_values, "padded_batch"))

    def _batches(self, size, drop_remainder, combine):
        def iterate():
            elements = self._iterate()
            while True:
                group = list(itertools.islice(elements, size))
                if not group or (drop_remainder and len(group) < size):
                    return
                yield combine(group)
        rounding = math.floor if drop_remainder else math.ceil
        return Dataset(iterate, _finite(lambda c: rounding(c / size), self._cardinality),
                       size if drop_remainder else None)

    def unbatch(self, name=None):
        """The rows of every element, one element each (``batch`` undone)."""
        def iterate():
            for element in self._iterate():
                yield from structure.unstack(element)
        rows = self._rows
        return Dataset(iterate, _finite(lambda c: c * rows if rows is not None else UNKNOWN if c else 0,
                                        self._cardinality))

    def repeat(self, count=None, name=None):
        """The dataset ``count`` times over (forever when None or -1), a new pass each time."""
        count = -1 if count is None else _count(count, "repeat: count")

        def iterate():
            for _ in (itertools.count() if count == -1 else range(count)):
                empty = True
                for element in self._iterate():
                    empty = False
                    yield element
                if empty:           # repeating nothing forever gives nothing, as in TensorFlow
                    return
        if count == -1:
            cardinality = 0 if self._cardinality == 0 else INFINITE     # UNKNOWN too, as TensorFlow says
        else:
            cardinality = _finite(lambda c: c * count, self._cardinality) if count else 0
        return Dataset(iterate, cardinality, self._rows)

    def take(self, count, name=None):
        """The first ``count`` elements (all of them for -1)."""
        count = _count(count, "take: count")
        if count == -1:
            return self
        known = self._cardinality if self._cardinality >= 0 else count if self._cardinality == INFINITE else UNKNOWN
        return Dataset(lambda: itertools.islice(self._iterate(), count),
                       min(known, count) if known >= 0 else UNKNOWN, self._rows)

    def skip(self, count, name=None):
        """All but the first ``count`` elements (none for -1)."""
        count = _count(count, "skip: count")
        if count == -1:
            return Dataset(lambda: iter(()), 0)
        return Dataset(lambda: itertools.islice(self._iterate(), count, None),
                       _finite(lambda c: max(c - count, 0), self._cardinality), self._rows)

    def cache(self, filename="", name=None):
        """The elements of the first complete pass, kept and replayed by the later ones (so
        ``map`` runs once). A ``filename`` is accepted; glassnet keeps them in memory."""
        kept = []

        def iterate():
            return iter(kept[0]) if kept else _recorded(self._iterate(), kept)
        return Dataset(iterate, self._cardinality, self._rows)

    def prefetch(self, buffer_size, name=None):
        """TensorFlow prepares the next elements while the model trains; glassnet makes
        each one when it is asked for, so this is the same dataset."""
        return self

    def enumerate(self, start=0, name=None):
        """``(i, element)`` pairs, ``i`` counting from ``start`` (int64)."""
        def iterate():
            for i, element in enumerate(self._iterate(), start):
                yield as_tensor(np.array(i, np.int64)), element
        return Dataset(iterate, self._cardinality)

    def concatenate(self, dataset, name=None):
        """This dataset's elements, then ``dataset``'s."""
        return Dataset(lambda: itertools.chain(self._iterate(), dataset._iterate()),
                       _finite(lambda a, b: a + b, self._cardinality, dataset._cardinality))

    def flat_map(self, map_func, name=None):
        """``map_func`` gives a dataset for each element; their elements one after another."""
        def iterate():
            for element in self._iterate():
                yield from structure.call(map_func, element)
        return Dataset(iterate, UNKNOWN)

    def apply(self, transformation_func):
        """``transformation_func(self)``: a chain of steps written as one function."""
        return transformation_func(self)

    # -- reading ---------------------------------------------------------------------------
    def __iter__(self):
        return iter(self._iterate())

    def reduce(self, initial_state, reduce_func, name=None):
        """``reduce_func(state, element)`` over all the elements, from ``initial_state``:
        ``Dataset.range(5).reduce(0, lambda total, x: total + x)`` is 10."""
        state = initial_state
        for element in self._iterate():
            state = reduce_func(state, element)
        return structure.as_element(state, "reduce")

    def as_numpy_iterator(self):
        """The elements with plain NumPy arrays (single numbers as NumPy scalars)."""
        return (structure.plain(element) for element in self._iterate())

    def cardinality(self):
        """Elements per pass as an int64 number, or INFINITE (-1) / UNKNOWN (-2)."""
        return as_tensor(np.array(self._cardinality, np.int64))

    def __len__(self):
        if self._cardinality == INFINITE:
            raise TypeError("The dataset is infinite.")
        if self._cardinality == UNKNOWN:
            raise TypeError("The dataset length is unknown.")
        return self._cardinality

    def __bool__(self):
        return True      # not len(self): an infinite dataset is still a dataset

    @property
    def element_spec(self):
        """A :class:`TensorSpec` (or a tuple / dict of them) for the first element; a
        :class:`DatasetSpec` for a dataset of datasets (``window``'s).
        (TensorFlow writes None for a size that may vary, such as the last batch's.)"""
        first = next(iter(self._iterate()), None)
        if first is None:
            raise ValueError("element_spec: the dataset is empty")
        return structure.map_structure(lambda a: DatasetSpec(a.element_spec) if isinstance(a, Dataset)
                                       else TensorSpec(a.shape, a.dtype), first)

    def __getattr__(self, name):
        return _missing(name)

    def __repr__(self):
        size = {INFINITE: "infinite", UNKNOWN: "unknown"}.get(self._cardinality, self._cardinality)
        return f"<Dataset cardinality={size}>"


def _common_rows(shapes):
    """The first axis all these shapes share, or None (a single number, or lengths that differ)."""
    firsts = {shape[0] if len(shape) else None for shape in shapes}
    return firsts.pop() if len(firsts) == 1 else None


def _buffer_shuffle(elements, size, rng):
    """TensorFlow's shuffle: hand out a random element of a buffer of ``size``, refill its place."""
    elements = iter(elements)
    buffer = list(itertools.islice(elements, size))
    for element in elements:
        i = int(rng.integers(len(buffer)))
        yield buffer[i]
        buffer[i] = element
    while buffer:                       # the input is done: empty the buffer at random
        i = int(rng.integers(len(buffer)))
        buffer[i], buffer[-1] = buffer[-1], buffer[i]
        yield buffer.pop()


def _recorded(elements, kept):
    """``elements``, each also written down; once all have passed, they go into ``kept``."""
    seen = []
    for element in elements:
        seen.append(element)
        yield element
    kept.append(seen)
