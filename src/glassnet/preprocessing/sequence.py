"""Sequences for the recurrent and 1-D layers: padded to one length, or cut from a long series.

* :func:`pad_sequences`: lists of word numbers of different lengths -> one ``(N, maxlen)``
  array, zeros in front (Keras's ``keras.utils.pad_sequences``), so that a batch holds
  sequences of one length;
* :func:`timeseries_dataset_from_array`: a long series (a temperature every 10 minutes) ->
  batches of windows and the value to predict for each (Keras's
  ``keras.utils.timeseries_dataset_from_array``), as a ``tf.data.Dataset`` (glassnet's,
  :class:`glassnet.tf_data.Dataset`) that ``fit`` reads.
"""

import math

import numpy as np

from glassnet.engine.tensor import as_tensor
from glassnet.errors import DataError


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """Sequences of different lengths as one array ``(N, maxlen)`` (Keras's defaults).

    Args:
        sequences: a list of sequences (lists of numbers, or arrays whose first axis is the steps).
        maxlen: the length to pad or cut to; default the longest sequence's.
        dtype: of the result (``"int32"``, for word numbers).
        padding: ``"pre"`` puts the padding ``value`` in front, ``"post"`` after.
        truncating: ``"pre"`` cuts a longer sequence's first steps, ``"post"`` its last.
        value: what the padding is.
    """
    for name, given in (("padding", padding), ("truncating", truncating)):
        if given not in ("pre", "post"):
            raise ValueError(f"pad_sequences: {name} must be 'pre' or 'post', got {given!r}")
    try:
        sequences = [np.asarray(s) for s in sequences]
    except (TypeError, ValueError):
        raise DataError("pad_sequences: sequences must be a list of sequences of numbers") from None
    lengths = [len(s) if s.ndim else 0 for s in sequences]
    if maxlen is None:
        maxlen = max(lengths, default=0)
    step = next((s.shape[1:] for s in sequences if s.size), ())       # one step's shape: () for numbers
    out = np.full((len(sequences), int(maxlen)) + tuple(step), value, dtype=dtype)
    for i, s in enumerate(sequences):
        if not s.size or not maxlen:
            continue
        if s.shape[1:] != step:
            raise DataError(f"pad_sequences: sequence {i} has steps of shape {s.shape[1:]}, the others {step}")
        kept = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        if padding == "post":
            out[i, :len(kept)] = kept
        else:
            out[i, maxlen - len(kept):] = kept
    return out


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1, sampling_rate=1,
                                  batch_size=128, shuffle=False, seed=None, start_index=None, end_index=None):
    """Windows of a long series and their targets, in batches (Keras's function and defaults).

    Window ``i`` holds ``data[s], data[s + r], ..., data[s + (L - 1) * r]`` for the start
    ``s = start_index + i * sequence_stride`` (``r``: ``sampling_rate``, ``L``: ``sequence_length``),
    and its target is ``targets[s]``: to predict the value ``delay`` steps after a window, give
    ``targets=data[delay:]``, as Chollet's temperature forecast does.

    Returns a :class:`~glassnet.tf_data.Dataset` of ``(windows, targets)`` batches (windows
    alone if ``targets`` is None): ``fit``, ``evaluate`` and ``predict`` read it, a ``for``
    loop walks it, and ``dataset[i]`` (glassnet's own) is batch ``i``.
    """
    from glassnet.tf_data import Dataset

    data = np.asarray(data)
    if data.ndim == 0:
        raise DataError("timeseries_dataset_from_array: data must be a series (its first axis is time)")
    for name, number in (("sequence_length", sequence_length), ("sequence_stride", sequence_stride),
                         ("sampling_rate", sampling_rate), ("batch_size", batch_size or 1)):
        if int(number) != number or number < 1:
            raise ValueError(f"timeseries_dataset_from_array: {name} must be a whole number >= 1, got {number!r}")
    start = 0 if start_index is None else int(start_index)
    end = len(data) if end_index is None else int(end_index)
    if not 0 <= start < end <= len(data):
        raise ValueError(f"timeseries_dataset_from_array: start_index={start_index} and end_index={end_index} "
                         f"must satisfy 0 <= start_index < end_index <= {len(data)} (the series' length)")
    count = end - start - (sequence_length - 1) * sampling_rate       # windows that fit
    if targets is not None:
        targets = np.asarray(targets)
        count = min(count, len(targets))
    starts = np.arange(0, max(count, 0), sequence_stride)
    if shuffle:                          # Keras's order for a given seed (not its extra shuffle within batches)
        np.random.RandomState(np.random.randint(1e6) if seed is None else seed).shuffle(starts)
    starts += start
    offsets = np.arange(sequence_length) * sampling_rate
    per_batch = batch_size or 1          # None: one window at a time, without a batch axis

    class Windows(Dataset):
        def __init__(self):
            super().__init__(lambda: (self[i] for i in range(len(self))), math.ceil(len(starts) / per_batch))

        def __getitem__(self, index):
            if not 0 <= index < len(self):
                raise IndexError(f"batch {index} of {len(self)}")
            chosen = starts[index * per_batch:(index + 1) * per_batch]
            windows, aims = data[chosen[:, None] + offsets], None if targets is None else targets[chosen]
            if batch_size is None:
                windows, aims = windows[0], None if aims is None else aims[0]
            return as_tensor(windows) if aims is None else (as_tensor(windows), as_tensor(aims))

    return Windows()
