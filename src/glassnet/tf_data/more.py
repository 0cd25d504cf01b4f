"""More of ``tf.data.Dataset``: reading several datasets at once (``interleave``,
``choose_from_datasets``), files (``list_files``), running state (``scan``), stopping and
splitting (``take_while``, ``shard``, ``unique``), endless sources (``counter``,
``random``), ``get_single_element``, ``ignore_errors`` and ``options`` / ``with_options``.

Each works as the methods of :mod:`glassnet.tf_data.dataset` do: a new ``iterate`` function
that pulls from the old one, so nothing is made before it is asked for. The functions in
``METHODS`` become methods of :class:`~glassnet.tf_data.dataset.Dataset`, those in
``STATIC`` its static methods, in :mod:`glassnet.tf_data`.
"""

import glob
import itertools
import os

import numpy as np

from glassnet.engine.random import new_seed
from glassnet.engine.tensor import as_tensor
from glassnet.tf_data import structure
from glassnet.tf_data.dataset import AUTOTUNE, INFINITE, UNKNOWN, Dataset, _count, _finite
from glassnet.tf_data.options import Options


def interleave(self, map_func, cycle_length=None, block_length=None, num_parallel_calls=None,
               deterministic=None, name=None):
    """The elements of the datasets ``map_func`` makes of each element, ``block_length`` at a
    time from each of ``cycle_length`` datasets in turn, in TensorFlow's order: when one
    runs out, the next input element's dataset takes its place the next time round.
    ``Dataset.range(1, 4).interleave(lambda x: Dataset.range(x).repeat(...)...)``; reading
    several files at once is ``files.interleave(tf.data.TextLineDataset, cycle_length=4)``.
    ``cycle_length`` defaults to the number of CPU cores, as TensorFlow's AUTOTUNE does."""
    cycle = _cpu_count() if cycle_length in (None, AUTOTUNE) else _count(cycle_length, "interleave: cycle_length", 1)
    block = 1 if block_length is None else _count(block_length, "interleave: block_length", low=1)

    def iterate():
        inputs, slots = self._iterate(), [None] * cycle
        index, taken, open_, inputs_left = 0, 0, 0, True
        while inputs_left or open_:
            if slots[index] is not None:
                element = next(slots[index], _END)
                if element is not _END:
                    taken += 1
                    if taken == block:
                        index, taken = (index + 1) % cycle, 0
                    yield element
                    continue
                slots[index], open_ = None, open_ - 1      # run out: the slot waits for a new input
            elif inputs_left:
                element = next(inputs, _END)
                inputs_left = element is not _END
                if inputs_left:
                    slots[index], open_ = iter(structure.call(map_func, element)), open_ + 1
                    continue                               # read the new dataset at once
            index, taken = (index + 1) % cycle, 0
    return Dataset(iterate, UNKNOWN)


_END = object()


def _cpu_count():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def list_files(file_pattern, shuffle=None, seed=None, name=None):
    """The names of the files that match ``file_pattern`` (a glob pattern, or a list of
    them), as strings: sorted, then shuffled anew each pass unless ``shuffle=False``, as
    TensorFlow does."""
    patterns = [file_pattern] if isinstance(file_pattern, (str, bytes, os.PathLike)) else list(file_pattern)
    names = sorted(name for pattern in patterns for name in glob.glob(os.fsdecode(pattern)))
    if not names:
        raise ValueError(f"list_files: No files matched pattern: {', '.join(map(os.fsdecode, patterns))}")
    files = Dataset.from_tensor_slices(np.array(names, dtype=str))
    return files.shuffle(len(names), seed=seed) if shuffle is None or shuffle else files


def scan(self, initial_state, scan_func, name=None):
    """A running state: ``scan_func(state, element)`` gives ``(new_state, output)``; the
    outputs are the elements. ``Dataset.range(5).scan(0, lambda total, x: (total + x, total + x))``
    gives the running sums 0, 1, 3, 6, 10."""
    def iterate():
        state = structure.as_element(initial_state, "scan")
        for element in self._iterate():
            answer = scan_func(state, element)
            if not isinstance(answer, (tuple, list)) or len(answer) != 2:
                raise ValueError("scan: scan_func must return a pair (new_state, output_element)")
            state = structure.as_element(answer[0], "scan")
            yield structure.as_element(answer[1], "scan")
    return Dataset(iterate, self._cardinality)


def take_while(self, predicate, name=None):
    """The elements up to the first for which ``predicate`` (called as ``map`` calls) is False."""
    return Dataset(lambda: itertools.takewhile(lambda e: _truth(predicate, e, "take_while"), self._iterate()),
                   UNKNOWN)


def _truth(predicate, element, what):
    answer = np.asarray(structure.call(predicate, element))
    if answer.shape != ():
        raise ValueError(f"{what}: the predicate must return one True or False, got shape {answer.shape}")
    return bool(answer)


def shard(self, num_shards, index, name=None):
    """Every ``num_shards``-th element, from element ``index`` on: one worker's part."""
    num_shards = _count(num_shards, "shard: num_shards", low=1)
    index = _count(index, "shard: index", low=0)
    if index >= num_shards:
        raise ValueError(f"shard: index must be below num_shards ({num_shards}), got {index}")
    return Dataset(lambda: itertools.islice(self._iterate(), index, None, num_shards),
                   _finite(lambda n: n // num_shards + (index < n % num_shards), self._cardinality), self._rows)


def unique(self, name=None):
    """Each element once, where it first comes (single whole numbers or strings)."""
    def iterate():
        seen = set()
        for element in self._iterate():
            array = np.asarray(element) if not isinstance(element, (tuple, dict)) else None
            if array is None or array.ndim or array.dtype.kind not in "iuUS":
                raise TypeError("unique: only single whole numbers or strings can be compared, got "
                                f"{'a structure' if array is None else f'{array.dtype} of shape {array.shape}'}")
            if array.item() not in seen:
                seen.add(array.item())
                yield element
    return Dataset(iterate, UNKNOWN)


def get_single_element(self, name=None):
    """The one element of a dataset that has exactly one."""
    elements = self._iterate()
    first, second = next(elements, _END), next(elements, _END)
    if first is _END:
        raise ValueError("get_single_element: Dataset was empty.")
    if second is not _END:
        raise ValueError("get_single_element: Dataset had more than one element.")
    return first


def counter(start=0, step=1, dtype=np.int64, name=None):
    """``start, start + step, ...`` forever."""
    return Dataset(lambda: (as_tensor(np.array(i, dtype)) for i in itertools.count(start, step)), INFINITE)


def random(seed=None, rerandomize_each_iteration=None, name=None):
    """Random whole numbers in ``[0, 2**32)`` (int64) forever; the same each pass unless
    ``rerandomize_each_iteration``. (Not TensorFlow's numbers: another generator.)"""
    seeds = np.random.default_rng(new_seed() if seed is None else seed)
    fixed = int(seeds.integers(2**63))

    def iterate():
        rng = np.random.default_rng(int(seeds.integers(2**63)) if rerandomize_each_iteration else fixed)
        return (as_tensor(rng.integers(0, 2**32, dtype=np.int64)) for _ in itertools.count())
    return Dataset(iterate, INFINITE)


def choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset=True):
    """Element ``i`` from ``datasets[choice_i]``, the numbers of ``choice_dataset`` (int64).
    A chosen dataset that has run out ends the whole (or is passed over, with
    ``stop_on_empty_dataset=False``)."""
    datasets = list(datasets)

    def iterate():
        iterators = [iter(d) for d in datasets]
        for choice in choice_dataset:
            k = int(np.asarray(choice))
            if not 0 <= k < len(datasets):
                raise ValueError(f"choose_from_datasets: choice {k} is not the number of one of the "
                                 f"{len(datasets)} datasets")
            element = next(iterators[k], _END)
            if element is not _END:
                yield element
            elif stop_on_empty_dataset:
                return
    return Dataset(iterate, UNKNOWN)


def ignore_errors(self, log_warning=False, name=None):
    """The elements, less those whose ``map`` (or ``filter``) function raised an error.
    (An error elsewhere, in a generator or a file, ends the pass: a Python generator can't
    go on after raising one.)"""
    def iterate():
        elements = self._iterate()
        while True:
            try:
                with structure.skipping_errors(log_warning):
                    element = next(elements, _END)
            except Exception:         # noqa: BLE001 - what ignore_errors is for; next() tries again
                continue
            if element is _END:
                return
            yield element
    return Dataset(iterate, _finite(lambda n: UNKNOWN, self._cardinality))


def options(self):
    """The options given to ``with_options`` (``tf.data.Options``); glassnet tunes nothing.
    (TensorFlow passes them on to the datasets made from this one by ``map``, ``batch``...;
    here those give the defaults.)"""
    return self.__dict__.get("_options") or Options()


def with_options(self, options, name=None):
    """The same dataset, with ``options`` kept (see :mod:`glassnet.tf_data.options`)."""
    if not isinstance(options, Options):
        raise TypeError(f"with_options: expected a tf.data.Options, got {type(options).__name__}")
    dataset = Dataset(self._iterate, self._cardinality, self._rows)
    dataset._options = self.options().merge(options)
    return dataset


METHODS = (interleave, scan, take_while, shard, unique, get_single_element, ignore_errors, options, with_options)
STATIC = (list_files, counter, random, choose_from_datasets)
