"""Embedding: a table of learned vectors, one per word (or any other thing numbered 0, 1, 2...).

A text model reads words as numbers: "the" is 1, "cat" is 7. An Embedding layer keeps a
table with one row of ``D`` numbers per word and replaces each word's number by its row,
so a sentence of ``L`` word numbers becomes ``L`` vectors that the next layers (a
GlobalAveragePooling1D, a Conv1D, an LSTM) can compute with. Training moves the rows of the
words it saw, so words used alike end up with rows alike.
"""

import warnings

import numpy as np

from glassnet.engine import constraints, initializers, regularizers
from glassnet.engine.layers.base import Layer
from glassnet.errors import DataError, ShapeError

# Indices reach a model as float32 (the model casts its inputs), which holds every whole
# number exactly only up to 2**24; a larger table could read a neighbouring row.
LARGEST_TABLE = 2 ** 24


def _positive_int(value, what):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"Embedding: {what} must be a positive integer, got {value!r}")
    return int(value)


class Embedding(Layer):
    """Look each index up in a learned table: ``y[n, t] = E[x[n, t]]``.

    Forward, for indices ``x`` of any shape ``(N, ...)`` and the table ``E`` of
    ``input_dim`` rows (``V``) of ``output_dim`` numbers (``D``)::

        y = E[x]               # (N, ...) indices -> (N, ..., D): row x[n, t] of E

    This is what a Dense layer does to a one-hot vector (``one_hot(x) @ E`` picks row ``x``),
    without ever building the ``V``-wide one-hot vectors.

    Backward, given ``dy`` (N, ..., D): each row of ``E`` gets the sum of ``dy`` at every
    position that read it; rows no index asked for get zero::

        dE = zeros (V, D)
        dE[x[n, t]] += dy[n, t]      for every n, t (an index that appears twice adds twice)

    The indices themselves are not learned and have no gradient (a word number is not a
    quantity: word 7 is not "a bit more" than word 6), so backward returns None.

    Args:
        input_dim: ``V``, the size of the vocabulary: indices run from 0 to ``V - 1``.
        output_dim: ``D``, the length of each row (the embedding's size).
        embeddings_initializer: how ``E`` starts (default ``"uniform"``: Keras's
            ``RandomUniform(-0.05, 0.05)``).
        embeddings_regularizer, embeddings_constraint: a penalty on ``E`` (e.g. ``l2(1e-4)``)
            and a constraint applied after every step (e.g. ``max_norm(3)``), as on Dense.
        weights: a starting table ``(V, D)`` (or a list holding it), e.g. pretrained word
            vectors; with ``trainable=False`` they stay as given.
        mask_zero: index 0 is padding: the output carries a mask, True where the index is
            not 0, and the layers after skip the padded steps (an LSTM keeps its state, a mean
            leaves them out, the loss counts the real steps only: see
            :mod:`glassnet.engine.masking`). The vocabulary then holds ``input_dim - 1`` words.
        lora_rank, lora_alpha, quantization_config: Keras's fine-tuning and quantization
            options, not supported (refused when set).
        input_length: Keras 2's argument: the length of each sequence. Taken as the input
            shape ``(input_length,)`` (with a DeprecationWarning: write ``Input((L,))``);
            data of another length is refused.

    Input shape: ``(N, ...)`` whole numbers in ``[0, V)`` (as floats, since the model casts
    its inputs to float32, or integers). Output shape: ``(N, ..., D)``.
    """

    # Its input is indices, not quantities: backward gives them no gradient (the gradient
    # check then checks the table's gradient only).
    input_has_gradient = False

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, weights=None, lora_rank=None, lora_alpha=None,
                 quantization_config=None, input_length=None, **kwargs):
        lengths = None if input_length is None else self._input_length(input_length, kwargs.get("input_shape"))
        if lengths is not None:
            kwargs["input_shape"] = lengths
        super().__init__(**kwargs)
        self.input_dim = _positive_int(input_dim, "input_dim")
        self.output_dim = _positive_int(output_dim, "output_dim")
        if self.input_dim > LARGEST_TABLE:
            raise ValueError(f"Embedding: input_dim={self.input_dim:,} is more rows than glassnet can index: "
                             f"indices reach the model as float32, exact only up to 2**24 = {LARGEST_TABLE:,}")
        for label, value in (("lora_rank", lora_rank), ("lora_alpha", lora_alpha),
                             ("quantization_config", quantization_config)):
            if value is not None:
                raise ValueError(f"Embedding: {label}={value!r} is not supported by glassnet "
                                 f"(no LoRA or quantization); leave it None")
        self.input_length = lengths
        self.mask_zero = bool(mask_zero)
        self._initializer_name = embeddings_initializer
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.initial_table = None if weights is None else self._table(weights)

    def _input_length(self, input_length, input_shape):
        """Keras 2's ``input_length=10`` -> the input shape ``(10,)``."""
        lengths = (input_length,) if np.ndim(input_length) == 0 else tuple(input_length)
        if not lengths or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n > 0
                                  for n in lengths):
            raise ValueError(f"Embedding: input_length must be a positive integer, got {input_length!r}")
        lengths = tuple(int(n) for n in lengths)
        if input_shape is not None and tuple(input_shape) != lengths:
            raise ValueError(f"Embedding: input_length={input_length!r} disagrees with "
                             f"input_shape={tuple(input_shape)!r}; give one of them")
        warnings.warn(f"Embedding: input_length is Keras 2's argument; use Input(shape={lengths}) "
                      f"(it is taken as the input shape)", DeprecationWarning, stacklevel=3)
        return lengths

    def _table(self, weights):
        """``weights=`` as the starting table: an array ``(V, D)``, or a list holding one."""
        if isinstance(weights, (list, tuple)) and len(weights) == 1:
            weights = weights[0]
        table = np.asarray(weights, dtype=np.float64)
        if table.shape != (self.input_dim, self.output_dim):
            raise ValueError(f"Embedding: weights must be one table of shape (input_dim, output_dim) = "
                             f"{(self.input_dim, self.output_dim)}, got shape {table.shape}")
        return table

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        if self.input_length is not None and self.input_shape != self.input_length:
            raise ShapeError(f"{self.owner} was given input_length={self.input_length} "
                             f"but its input has shape {('batch',) + self.input_shape}")
        shape = (self.input_dim, self.output_dim)
        self.add_param("embeddings", self.initial_table if self.initial_table is not None
                       else self.embeddings_initializer(shape, self.rng))

    def output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def accepts(self, input_shape):
        """Any shape of word numbers: a table lookup's weights don't depend on how many words
        come in, so, as in Keras, one Embedding serves a question of 100 words and an answer
        of 20 (a shared embedding), or one word list and then a batch of them."""
        return True

    def check_input(self, x):
        """Nothing to check about the shape (see :meth:`accepts`); :meth:`indices` checks the numbers."""

    @property
    def owner(self):
        """Who an error names: ``layer 'embedding' (Embedding)``."""
        return f"layer '{self._display_name}' (Embedding)"

    def indices(self, x):
        """``x`` as integer row numbers, or a one-line error naming this layer when an entry
        is not a whole number in ``[0, input_dim)`` (NumPy's IndexError would name neither)."""
        x = np.asarray(x)
        owner = self.owner
        if x.dtype.kind not in "iuf":
            raise DataError(f"{owner} takes word indices (whole numbers), got an array of {x.dtype}")
        if x.size == 0:
            return x.astype(np.intp)
        if x.dtype.kind == "f" and not np.isfinite(x).all():
            raise DataError(f"{owner}: its input contains NaN or infinite values; it takes word indices")
        low, high = x.min(), x.max()
        if low < 0 or high >= self.input_dim:
            bad, hint = (low, "word numbers start at 0") if low < 0 else \
                (high, "make input_dim larger than the largest index")
            raise DataError(f"{owner}: index {bad:g} is outside its table of input_dim={self.input_dim} rows "
                            f"(0 to {self.input_dim - 1}); {hint}")
        indices = x.astype(np.intp)
        if x.dtype.kind == "f" and not np.array_equal(indices, x):
            bad = x.reshape(-1)[np.flatnonzero(indices.reshape(-1) != x.reshape(-1))[0]]
            raise DataError(f"{owner}: its input holds {bad:g}, which is not a whole number; it takes "
                            f"word indices 0 to {self.input_dim - 1}")
        return indices

    @property
    def makes_mask(self):
        return self.mask_zero

    def compute_mask(self, inputs, mask=None):
        """With ``mask_zero``: True where the index is not 0 (padding), shaped like ``inputs``."""
        return np.not_equal(inputs, 0) if self.mask_zero else None

    def forward(self, x, training=False):
        self.check_input(x)
        self.rows = self.indices(x)                     # (N, ...) integers
        return self.params["embeddings"][self.rows]     # (N, ..., D)

    def backward(self, dy):
        # dE[x[n, t]] += dy[n, t], for every position. np.add.at adds an index that appears
        # twice twice (dE[rows] += dy would keep only one of them); on the flat table, one
        # number at a time, it is 2-5x faster than on rows (NumPy 2: 0.3 ms against 1.7 ms
        # for 1,600 positions of 32 numbers).
        grad = self.grads["embeddings"]
        grad[...] = 0
        columns = np.arange(self.output_dim)
        flat = (self.rows.reshape(-1, 1) * self.output_dim + columns).reshape(-1)   # (N*L*D,)
        np.add.at(grad.reshape(-1), flat, dy.reshape(-1))
        self.add_penalty_gradients()                    # embeddings_regularizer=l2(...)
        return None                                     # indices are not learned: no gradient

    def get_config(self):
        initializer = self._initializer_name
        if not isinstance(initializer, (str, dict)):
            initializer = initializers.serialize(self.embeddings_initializer)
        return {**super().get_config(), "input_dim": self.input_dim, "output_dim": self.output_dim,
                "embeddings_initializer": initializer,
                "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
                "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
                "mask_zero": self.mask_zero}
