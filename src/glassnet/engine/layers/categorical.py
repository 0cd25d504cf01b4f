"""CategoryEncoding and Discretization: the structured-data layers that turn a column into classes.

TensorFlow's "Load CSV data" tutorial builds a model's preprocessing head from them: a
``StringLookup`` turns ``"female"`` into a class number, ``CategoryEncoding`` turns the
number into a one-hot vector, and ``Discretization`` cuts a number (an age) into ranges::

    CategoryEncoding(num_tokens=4, output_mode="one_hot")([[3], [0]])  -> [[0,0,0,1], [1,0,0,0]]
    Discretization(bin_boundaries=[18., 65.])([[10.], [40.], [70.]])     -> [[0], [1], [2]]

A value ``v`` falls in bin ``i`` when ``boundaries[i-1] <= v < boundaries[i]`` (NumPy's
``digitize``), so ``n`` boundaries make ``n + 1`` bins. The counts (``one_hot``,
``multi_hot``, ``count``) are those of the lookup layers
(:mod:`glassnet.engine.layers.token_counts`). No weights; no gradient reaches their inputs,
which are classes, not measurements.

``Discretization(num_bins=...)`` learns its boundaries with ``adapt(data)``: the values at
``1/num_bins, 2/num_bins, ...`` of the data's cumulative distribution. Keras finds them from
a *summary* of the data (about ``1/epsilon`` weighted points, so data of any size fits in a
little memory, batch after batch), interpolating the cumulative weights; glassnet keeps the
same summary, so the boundaries are Keras's to the last bit.
"""

import numpy as np

from glassnet.engine.layers.base import Layer
from glassnet.engine.layers.token_counts import encode

MODES = ("one_hot", "multi_hot", "count")


def _check_mode(owner, output_mode, allowed):
    if output_mode not in allowed:
        raise ValueError(f"{owner}: output_mode must be one of {', '.join(map(repr, allowed))}, got {output_mode!r}")


def _encoded_shape(input_shape, depth, output_mode):
    """Keras's output shape (one sample's) for ``depth`` classes: one_hot replaces a last
    axis of 1 (else adds one); multi_hot and count sum over the last axis."""
    input_shape = tuple(input_shape)
    if output_mode == "one_hot":
        return input_shape[:-1] + (depth,) if input_shape and input_shape[-1] == 1 else input_shape + (depth,)
    return input_shape[:-1] + (depth,)


class CategoryEncoding(Layer):
    """Class numbers in ``[0, num_tokens)`` as vectors of ``num_tokens`` numbers.

    Args:
        num_tokens: how many classes (the output's last size).
        output_mode: ``"multi_hot"`` (Keras's default: a 1 for each class a sample holds),
            ``"one_hot"`` (one vector per number) or ``"count"`` (how many times each class
            appears); ``"binary"`` is Keras 2's name for multi_hot.

    Input: integers ``(N,)``, ``(N, 1)`` or ``(N, T)``. Output: float32 ``(N, num_tokens)``
    (one_hot of ``(N, T)``: ``(N, T, num_tokens)``). ``count_weights=`` in the call (same
    shape as the input) adds those weights instead of 1s, with ``output_mode="count"``.
    """

    input_has_gradient = False

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        output_mode = "multi_hot" if output_mode == "binary" else output_mode
        _check_mode("CategoryEncoding", output_mode, MODES)
        if num_tokens is None or num_tokens < 1:
            raise ValueError(f"CategoryEncoding: num_tokens must be a positive integer (the number of classes), "
                             f"got {num_tokens!r}; without it, use IntegerLookup, which learns them")
        if sparse:
            raise NotImplementedError("CategoryEncoding: sparse=True (sparse tensors) is not supported by glassnet")
        super().__init__(**kwargs)
        self.num_tokens, self.output_mode = int(num_tokens), output_mode

    def __call__(self, inputs=None, training=None, mask=None, count_weights=None, **tensors):
        if count_weights is None:
            return super().__call__(inputs, training, mask, **tensors)
        if self.output_mode != "count":
            raise ValueError(f"CategoryEncoding: count_weights is used only with output_mode='count', "
                             f"not {self.output_mode!r}")
        return self._weighted_counts(np.asarray(inputs), np.asarray(count_weights, self.dtype))

    def forward(self, x, training=False):
        return encode(self._classes(x), self.num_tokens, self.output_mode, dtype=self.dtype)

    def _weighted_counts(self, x, weights):
        classes = self._classes(x)
        grid = classes.reshape(1, -1) if classes.ndim <= 1 else classes
        weights = weights.reshape(grid.shape)
        keep = (grid >= 0) & (grid < self.num_tokens)
        rows = np.broadcast_to(np.arange(len(grid))[:, None], grid.shape)
        out = np.zeros((len(grid), self.num_tokens), self.dtype)
        np.add.at(out, (rows[keep], grid[keep]), weights[keep])
        return out[0] if classes.ndim <= 1 else out

    def _classes(self, x):
        x = np.asarray(x)
        if x.dtype.kind == "f" and not np.all(x == np.round(x)):
            raise ValueError(f"CategoryEncoding: its inputs are class numbers, got fractions such as "
                             f"{x[x != np.round(x)].flat[0]!r}")
        return x.astype(np.int64)

    def backward(self, dy):
        return None

    def output_shape(self, input_shape):
        return _encoded_shape(input_shape, self.num_tokens, self.output_mode)

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens, "output_mode": self.output_mode}


class Discretization(Layer):
    """Numbers to the bins between ``bin_boundaries`` (or ``num_bins`` bins learned by ``adapt``).

    Args:
        bin_boundaries: sorted cut points; ``n`` of them make ``n + 1`` bins.
        num_bins: instead, the number of bins, each holding about as many of the adapted
            data's values (their boundaries come from :meth:`adapt`).
        epsilon: the precision of the quantiles adapt finds (Keras's summary, module docstring).
        output_mode: ``"int"`` (the bin numbers, int32 as in Keras), ``"one_hot"``,
            ``"multi_hot"`` or ``"count"``.

    Input: numbers ``(N, ...)``. Output: the bin of each, same shape; or its vectors.
    """

    input_has_gradient = False

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int", sparse=False,
                 **kwargs):
        _check_mode("Discretization", output_mode, ("int",) + MODES)
        if (bin_boundaries is None) == (num_bins is None):
            raise ValueError("Discretization: give either bin_boundaries or num_bins (then adapt it on data), "
                             f"not {'both' if num_bins is not None else 'neither'}")
        if num_bins is not None and num_bins < 0:
            raise ValueError(f"Discretization: num_bins must be >= 0, got {num_bins!r}")
        if sparse:
            raise NotImplementedError("Discretization: sparse=True (sparse tensors) is not supported by glassnet")
        super().__init__(**kwargs)
        self.bin_boundaries = None if bin_boundaries is None else [float(b) for b in bin_boundaries]
        if self.bin_boundaries is not None and np.any(np.diff(self.bin_boundaries) < 0):
            raise ValueError(f"Discretization: bin_boundaries must be sorted, got {bin_boundaries!r}")
        self.num_bins, self.epsilon, self.output_mode = num_bins, float(epsilon), output_mode
        self.summary = None if bin_boundaries is not None else np.zeros((2, 0), np.float32)

    # -- adapt: Keras's quantile summary ------------------------------------------------------
    def adapt(self, data, batch_size=None, steps=None):
        """Learn ``num_bins`` boundaries from ``data`` (an array, or batches: a list, a
        generator or a ``tf.data.Dataset``), batch after batch as Keras does."""
        if self.num_bins is None:
            raise ValueError("Discretization: adapt() learns boundaries for num_bins; this layer was given "
                             "bin_boundaries")
        self.summary = np.zeros((2, 0), np.float32)
        batches = [data] if isinstance(data, np.ndarray) or np.isscalar(data) else data
        for i, batch in enumerate(batches):
            if steps is not None and i >= steps:
                break
            summary = summarize(np.asarray(batch, np.float32), self.epsilon)
            self.summary = merge_summaries(summary, self.summary, self.epsilon)
        self.bin_boundaries = compress_summary(self.summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def forward(self, x, training=False):
        if self.bin_boundaries is None:
            raise ValueError("Discretization: it has no bin boundaries yet: give bin_boundaries, or call "
                             "adapt(data) before using it")
        bins = np.digitize(np.asarray(x, np.float32), np.asarray(self.bin_boundaries, np.float32))
        if self.output_mode == "int":
            return bins.astype(np.int32)
        return encode(bins, len(self.bin_boundaries) + 1, self.output_mode, dtype=self.dtype)

    def backward(self, dy):
        return None

    def output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        depth = len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins
        return _encoded_shape(input_shape, depth, self.output_mode)

    def get_config(self):
        return {**super().get_config(), "bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins,
                "epsilon": self.epsilon, "output_mode": self.output_mode, "sparse": False}

    @classmethod
    def from_config(cls, config):
        """An adapted layer's config holds both its boundaries and num_bins (as Keras saves it)."""
        config = dict(config)
        boundaries = config.pop("bin_boundaries", None)
        if boundaries is not None and config.get("num_bins") is not None:
            layer = cls(**config)
            layer.bin_boundaries = [float(b) for b in boundaries]
            return layer
        return cls(bin_boundaries=boundaries, **config)


def summarize(values, epsilon):
    """About ``1/epsilon`` of the sorted values, evenly spaced, each weighted by how many
    values it stands for: ``(2, k)`` rows of values and weights (all the values, weight 1,
    when there are fewer)."""
    values = np.sort(np.reshape(values, -1))
    step = max(values.size * epsilon, 1)
    kept = values[int(step - 1)::int(step)]
    return np.stack([kept, np.full(kept.shape, step, kept.dtype)])


def merge_summaries(first, second, epsilon):
    """Two summaries as one, sorted by value, then compressed back to ``epsilon``."""
    merged = np.concatenate((first, second), axis=1)
    return compress_summary(merged[:, np.argsort(merged[0], kind="quicksort")], epsilon)


def compress_summary(summary, epsilon):
    """The summary at the cumulative shares ``epsilon, 2 epsilon, ..., 1``: each point's value
    and weight interpolated from the cumulative weights (unchanged when already that small)."""
    if summary.shape[1] * epsilon < 1:
        return summary
    shares = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    values = np.interp(shares, cumulative / cumulative[-1], summary[0])
    cumulative = np.interp(shares, cumulative / cumulative[-1], cumulative)
    weights = cumulative - np.concatenate(([0], cumulative[:-1]))
    return np.stack((values, weights)).astype(np.float32)
