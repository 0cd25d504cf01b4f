"""Feeding ``fit``: the batches of one epoch, from arrays or from a generator.

``fit`` is a short loop over epochs and batches; everything about *where the batches
come from* lives here (Keras keeps it in an "epoch iterator"):

* arrays (``x``, ``y``, optional per-sample weights): a new random order every epoch,
  then consecutive slices of ``batch_size``;
* a ``glassnet.utils.Sequence`` / ``PyDataset`` (anything with ``len()`` and ``[i]``
  giving ``(x, y)`` or ``(x, y, sample_weight)``): its batches, in a new order every epoch
  when ``shuffle=True``, and its ``on_epoch_end()`` after each epoch;
* a Python generator: ``steps_per_epoch`` batches per epoch, drawn as it yields them;
* a dataset (``tf.data.Dataset``'s protocol: ``cardinality()`` and a new pass at every
  ``iter()``, as :class:`glassnet.tf_data.Dataset` has): a fresh pass every epoch, read to its
  end; with ``steps_per_epoch``, that many batches an epoch from one pass that goes on across
  epochs (Keras's rule, so ``.repeat()`` with ``steps_per_epoch`` works).

``class_weight`` turns into per-sample weights here, so the loop sees one kind of weight.
"""

import math
import numbers
import warnings

import numpy as np

from glassnet.engine.shapes import shape_fits
from glassnet.errors import DataError, ShapeError, transposed_hint


def as_array(value, what):
    """``value`` as a NumPy array of numbers, or one clear DataError."""
    if hasattr(value, "to_numpy"):          # pandas DataFrame / Series
        value = value.to_numpy()
    try:
        array = np.asarray(value)
    except Exception as error:              # ragged lists and the like
        raise DataError(f"{what}: can't be turned into an array ({error})") from None
    if array.dtype.kind in "US" or _holds_strings(array):
        raise DataError(f"{what}: expected numbers, got strings (dtype {array.dtype}); a model takes text when "
                        f"it starts with Input(shape=(1,), dtype='string') and a TextVectorization or StringLookup")
    if array.dtype.kind == "O" and array.size and all(
            isinstance(v, (numbers.Real, np.bool_)) for v in array.reshape(-1)):
        array = array.astype(np.float32)     # a frame of number and bool columns (pd.get_dummies's)
    if array.dtype.kind not in "biuf":
        raise DataError(f"{what}: expected numbers, got an array of dtype {array.dtype}")
    if array.ndim == 0:
        raise DataError(f"{what}: expected a batch of samples (an array with a first axis), got "
                        f"the single number {array.item()!r}")
    return array


def _holds_strings(array):
    """Whether an object array holds Python strings (its first entry says)."""
    return array.dtype.kind == "O" and array.size > 0 and isinstance(array.reshape(-1)[0], (str, bytes))


def as_text(value, what):
    """``value`` as a NumPy array of strings, for a model whose input is text (dtype
    "string"), or one clear DataError."""
    if hasattr(value, "to_numpy"):
        value = value.to_numpy()
    array = np.asarray(value)
    if array.dtype.kind not in "US" and not _holds_strings(array):
        raise DataError(f"{what}: the model takes strings (its input has dtype 'string'), got an array of "
                        f"dtype {array.dtype}")
    if array.ndim == 0:
        raise DataError(f"{what}: expected a batch of strings (an array with a first axis), got one string")
    return array


def input_dtype(model, index=0):
    """The dtype of input ``index`` of ``model``: its Input's (``Input(dtype="string")``: text),
    or for a Sequential not built yet what its first layer takes (a TextVectorization: text)."""
    from glassnet.engine.layers.base import STRING
    if model.built:
        return model.inputs[index].dtype
    layers = getattr(model, "_layers", None)
    wanted = getattr(layers[0], "input_dtype", None) if layers else None
    return STRING if wanted == "string" else np.dtype(wanted or "float32")


def batch_input(value, what):
    """One input of a batch a generator or a dataset gave: strings as they are (for a model
    that starts with a TextVectorization), else numbers (:func:`as_array`)."""
    array = np.asarray(value.to_numpy() if hasattr(value, "to_numpy") else value)
    return as_text(array, what) if array.dtype.kind in "US" or _holds_strings(array) else as_array(array, what)


def takes_text(model, index=0):
    """Whether input ``index`` of ``model`` is text (see :func:`input_dtype`)."""
    return input_dtype(model, index).kind == "O"


def as_targets(value, what):
    """Labels, targets or sample weights: :func:`as_array`, and every value finite.

    The inputs get the same check when they are fitted to the model's shapes; a NaN in the
    targets would otherwise surface only later, as a NaN loss that ``fit`` blames on the
    learning rate, or as ``evaluate`` quietly returning ``nan``.
    """
    array = as_array(value, what)
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise DataError(f"{what}: contains NaN or infinite values")
    return array


def is_batch_source(x):
    """A generator / iterator or a Sequence: something that hands out whole batches."""
    if x is None or isinstance(x, (np.ndarray, list, tuple, dict)) or hasattr(x, "to_numpy"):
        return False
    if hasattr(x, "__getitem__") and hasattr(x, "__len__"):
        return True
    return hasattr(x, "__next__") or (hasattr(x, "__iter__") and not hasattr(x, "shape"))


def _split_batch(batch, where):
    """``(x, y)``, ``(x, y, w)`` or ``x`` alone from a generator -> ``(x, y, w)``."""
    if isinstance(batch, tuple) and 1 <= len(batch) <= 3:
        return tuple(batch) + (None,) * (3 - len(batch))
    if isinstance(batch, tuple):
        raise DataError(f"{where}: a batch must be (x, y) or (x, y, sample_weight), got a tuple of "
                        f"{len(batch)}")
    return batch, None, None


def class_weights(y, class_weight):
    """Per-sample weights from ``{class: weight}`` and the labels (integers or one-hot)."""
    from glassnet.engine.outputs import Targets
    if isinstance(y, Targets):
        raise ValueError("class_weight weighs the classes of a model's one output (as in Keras); with "
                         "several outputs, pass sample_weight instead")
    if not isinstance(class_weight, dict):
        raise ValueError(f"class_weight must be a dict {{class: weight}}, got {type(class_weight).__name__}")
    for label, weight in class_weight.items():      # checked before a key is compared or used
        if not isinstance(label, numbers.Integral) or label < 0:
            raise ValueError(f"class_weight: keys must be class indices (0, 1, ...), got {label!r}")
        if not (isinstance(weight, numbers.Real) and math.isfinite(weight) and weight >= 0):
            raise ValueError(f"class_weight: weight for class {label} must be a number >= 0, got {weight!r}")
    y = np.asarray(y)
    labels = y.argmax(axis=-1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(len(y))
    table = np.ones(int(max(labels.max(initial=0), max(class_weight, default=0))) + 1, np.float32)
    for label, weight in class_weight.items():
        table[label] = weight
    return table[labels.astype(np.intp)]


class ArrayBatches:
    """Mini-batches of arrays: ``x`` (one array, or a list for a model with several inputs)."""

    def __init__(self, x, y, sample_weight, batch_size, shuffle, steps=None):
        self.x = x if isinstance(x, list) else [x]
        self.y, self.sample_weight = y, sample_weight
        self.size = len(self.x[0])
        self.batch_size, self.shuffle = batch_size, shuffle
        self.steps = steps_per_epoch(self.size, batch_size)
        if steps is not None:
            self.steps = min(self.steps, steps)

    def epoch(self, rng):
        """Yield ``(x, y, w)`` for every batch of one epoch (a new order when shuffling)."""
        order = rng.permutation(self.size) if self.shuffle else None
        for step in range(self.steps):
            part = slice(step * self.batch_size, (step + 1) * self.batch_size)
            index = order[part] if order is not None else part
            xs = [x[index] for x in self.x]
            yield (xs if len(xs) > 1 else xs[0],
                   None if self.y is None else self.y[index],
                   None if self.sample_weight is None else self.sample_weight[index])

    def on_epoch_end(self):
        pass


def is_dataset(source):
    """A ``tf.data.Dataset`` (or anything with its protocol): a new pass at every ``iter()``,
    and ``cardinality()``: batches per pass, or -1 (repeats forever) / -2 (unknown)."""
    return callable(getattr(type(source), "cardinality", None)) and hasattr(source, "__iter__")


class SourceBatches:
    """Batches from a Sequence (indexable), a dataset or a generator (``steps`` per epoch).

    ``inputs(x, what)``, if given, fits each batch's ``x`` to the model (its dtype, shapes,
    a dict by input name) as arrays given to ``fit`` are fitted."""

    def __init__(self, source, steps, shuffle, what, class_weight=None, targets=None, inputs=None):
        self.source, self.what, self.class_weight = source, what, class_weight
        self.targets = targets or as_targets      # how labels are checked (a model's several outputs: each)
        self.inputs = inputs
        self.dataset = is_dataset(source)
        self.indexable = hasattr(source, "__getitem__") and hasattr(source, "__len__") and not self.dataset
        self.shuffle = shuffle and self.indexable
        self.iterator = None
        if self.dataset:
            self.steps = self._dataset_steps(steps)
        elif self.indexable:
            length = len(source)
            self.steps = length if steps is None else min(int(steps), length)
        else:
            if steps is None:
                raise ValueError(f"{what}: a generator has no length; pass steps_per_epoch "
                                 f"(validation_steps for validation data) to say how many batches "
                                 f"make an epoch")
            self.steps = int(steps)
            self.iterator = iter(source)
        if self.steps is not None and self.steps < 1:
            raise DataError(f"{what}: yields no batches")
        self.size = None

    def _dataset_steps(self, steps):
        """Batches per epoch from a dataset: ``steps``, else all of one pass (None: unknown
        until the pass ends, after ``filter``)."""
        cardinality = int(self.source.cardinality())
        if steps is not None:
            return int(steps)
        if cardinality == -1:
            raise ValueError(f"{self.what}: the dataset repeats forever (.repeat()); pass steps_per_epoch "
                             f"(validation_steps for validation data, steps for evaluate and predict) to say "
                             f"how many batches make an epoch")
        return cardinality if cardinality >= 0 else None

    def _dataset_batches(self, steps):
        """One epoch of a dataset's batches, by Keras's rule (see the module docstring)."""
        if steps is None:
            yield from self.source
            return
        for step in range(steps):
            batch = next(self.iterator, None) if self.iterator is not None else None
            if batch is None and step == 0:     # the last pass ended with the last epoch: a new one
                self.iterator = iter(self.source)
                batch = next(self.iterator, None)
            if batch is None:
                self.iterator = None
                warnings.warn(f"{self.what}: your input ran out of data after {step} of the {steps} batches of "
                              f"this epoch; interrupting the epoch. Make sure that your dataset can generate at "
                              f"least steps_per_epoch * epochs batches (use .repeat())", UserWarning, stacklevel=4)
                return
            yield batch

    def epoch(self, rng):
        if self.dataset:
            batches = self._dataset_batches(self.steps)
        elif self.indexable:
            order = rng.permutation(len(self.source)) if self.shuffle else range(len(self.source))
            batches = (self.source[int(i)] for i in list(order)[:self.steps])
        else:
            batches = (next(self.iterator, None) for _ in range(self.steps))
        for step, batch in enumerate(batches):
            if batch is None:
                raise DataError(f"{self.what}: the generator ran out after {step} batches of the "
                                f"{self.steps} per epoch")
            x, y, w = _split_batch(batch, self.what)
            if self.dataset:
                _check_batched(x, y, self.what)
            parts = list(x.values()) if isinstance(x, dict) else list(x) if isinstance(x, (list, tuple)) else [x]
            parts = [batch_input(v, f"{self.what} x") for v in parts]
            for part in parts:      # else "loss became nan": a learning rate?
                if part.dtype.kind == "f" and not np.isfinite(part).all():
                    raise DataError(f"{self.what}: batch {step + 1} contains NaN or infinite values")
            if self.inputs is not None:
                x = self._fitted_inputs(x)
            else:
                x = parts if isinstance(x, (list, tuple)) else parts[0]
            y = None if y is None else self.targets(y, f"{self.what} y")
            w = None if w is None else as_targets(w, f"{self.what} sample_weight")
            if self.class_weight is not None and y is not None:
                cw = class_weights(y, self.class_weight)
                w = cw if w is None else np.asarray(w) * cw
            yield x, y, w

    def _fitted_inputs(self, x):
        try:
            return self.inputs(x, f"{self.what} x")
        except ShapeError as error:
            if not self.dataset:
                raise
            raise ShapeError(f"{error}; if the dataset gives single samples, call .batch(32) on it") from None

    def on_epoch_end(self):
        if hasattr(self.source, "on_epoch_end"):
            self.source.on_epoch_end()


def _check_batched(x, y, what):
    """A dataset's element must be a batch: a label that is a single number means it isn't."""
    if y is not None and not isinstance(y, (dict, list, tuple)) and np.ndim(y) == 0:
        raise DataError(f"{what}: the dataset gives single samples, not batches (a label of shape (), an x "
                        f"of shape {np.shape(x) if not isinstance(x, dict) else 'a dict'}); call "
                        f".batch(32) on it, as Keras needs")


def steps_per_epoch(samples, batch_size):
    """Batches in one epoch of ``samples``: the last one may be smaller."""
    return math.ceil(samples / batch_size)


def check_batch_size(batch_size, what="batch_size"):
    if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1:
        raise ValueError(f"{what} must be a positive whole number, got {batch_size!r}")
    return int(batch_size)


def check_lengths(xs, y, sample_weight, where):
    n = len(xs[0])
    for i, x in enumerate(xs[1:], 1):
        if len(x) != n:
            raise ShapeError(f"{where}: input 0 has {n} samples but input {i} has {len(x)}")
    if y is not None and len(y) != n:
        raise ShapeError(f"{where}: x has {n} samples but y has {len(y)} labels")
    if sample_weight is not None and (sample_weight.ndim != 1 or len(sample_weight) != n):
        raise ShapeError(f"{where}: sample_weight must be one weight per sample, shape ({n},), got "
                         f"{sample_weight.shape}")
    if n == 0:
        raise DataError(f"{where}: x has no samples")


def input_keys(model):
    """The key of each of ``model.inputs`` in a dict of inputs: the model's own key where it
    was made from a dict (``Model({"age": a, ...}, ...)``), else its Input's name."""
    given = getattr(model, "_inputs_struct", None)
    keys = {id(t): key for key, t in given.items()} if isinstance(given, dict) else {}
    return [keys.get(id(t), t.node.layer.name) for t in model.inputs]


def inputs_from_dict(model, x, what="x"):
    """The values of the dict ``x`` in the order of ``model.inputs`` (a list; keys beyond
    the model's are left out, as Keras leaves out a data frame's other columns)."""
    keys = input_keys(model)
    missing = [k for k in keys if k not in x]
    if missing:
        raise DataError(f"{what}: a dict of inputs needs the keys {keys}; missing {missing}")
    return [x[k] for k in keys]


def prepare_inputs(model, x, what="x"):
    """``x`` as ``model``'s dtype and shapes: one array, or a list for several inputs.

    Accepted: one array; a list of arrays or a dict ``{input name: array}`` for several
    inputs; pandas frames. ``(N, 28, 28)`` for a model that wants ``(28, 28, 1)`` gets its
    channel axis, and ``(N, 28, 28, 1)`` for one that wants ``(28, 28)`` loses it, as in Keras. Anything else is one clear error: the wrong shape (with
    the likely fix), NaN or infinite values, data that are not numbers.
    """
    if not model.built:   # a Sequential without an input shape, a subclass: built on their first data
        several = getattr(model, "traces_call", False) and isinstance(x, (list, tuple)) and len(x) > 1 \
            and all(isinstance(v, np.ndarray) for v in x)       # call(self, [a, b]): two inputs
        sample = as_text(x, what) if takes_text(model) else None
        model.build([as_array(v, what).shape[1:] for v in x] if several else
                    (sample if sample is not None else as_array(x, what)).shape[1:])
    count = len(model.inputs)
    if isinstance(x, dict):
        x = inputs_from_dict(model, x, what)
        x = x if count > 1 else x[0]
    elif count > 1:
        if not isinstance(x, (list, tuple)) or len(x) != count:
            raise DataError(f"{what}: model '{model.name}' has {count} inputs; pass a list of "
                            f"{count} arrays (or a dict by input name)")
    elif isinstance(x, (list, tuple)) and len(x) == 1 and isinstance(x[0], np.ndarray) and x[0].ndim > 0:
        x = x[0]
    xs = list(x) if count > 1 else [x]
    prepared = []
    for i, (value, expected) in enumerate(zip(xs, model.sample_shapes)):
        label = what if count == 1 else f"{what}[{i}]"
        text = takes_text(model, i)
        array = as_text(value, label) if text else as_array(value, label)
        if shape_fits(expected, array.shape[1:] + (1,)) and expected[-1] == 1:   # (N, 28, 28) for a
            array = array[..., np.newaxis]                                       # (28, 28, 1) model
        elif shape_fits(expected + (1,), array.shape[1:]):   # (N, 28, 28, 1) for a (28, 28) one
            array = array[..., 0]
        if not shape_fits(expected, array.shape[1:]):
            raise ShapeError(_shape_message(model, label, array.shape, expected))
        wanted = input_dtype(model, i)
        if text or (wanted.kind in "iu" and array.dtype.kind in "iub"):   # strings, and integers for an
            prepared.append(array if text else array.astype(wanted, copy=False))   # Input(dtype="int64"):
            continue                                                      # as they are, not via float32
        array = array.astype(model.dtype, copy=False)
        if not np.isfinite(array).all():
            raise DataError(f"{label}: contains NaN or infinite values")
        prepared.append(array)
    return prepared if count > 1 else prepared[0]


def _shape_message(model, label, got, expected):
    """The one-line error for input of the wrong shape, with the likely fix."""
    message = (f"{label}: model '{model.name}' expects input of shape {(None,) + tuple(expected)} "
               f"but got {tuple(got)}")
    if None in expected:                       # a size left open: no reshape to suggest
        return message
    features = int(np.prod(expected))
    transposed = transposed_hint(got, expected)
    if transposed:
        message += f"; {transposed}"
    elif int(np.prod(got[1:])) == features:
        message += f"; each sample holds the right {features} numbers: reshape x to {(-1,) + tuple(expected)}"
    return message
