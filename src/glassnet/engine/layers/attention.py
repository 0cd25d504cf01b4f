"""Attention and MultiHeadAttention: each position of a sequence looks at every other one.

A convolution mixes a few neighbours with fixed weights; attention lets every position
of the query sequence choose, by content, which positions of another sequence (or of its
own: self-attention) to read. Position ``t`` compares its query ``q_t`` with every key
``k_s`` (a dot product: large when they point the same way), turns the scores into
weights that sum to 1 with a softmax, and returns the weighted mean of the values::

    scores[t, s]  = q_t . k_s                     (Tq, Tv)
    weights[t, :] = softmax(scores[t, :])         each row sums to 1
    out[t]        = sum over s of weights[t, s] * v_s

That is the whole of the Transformer's core. The backward pass is the chain rule through
these three lines (the softmax's Jacobian applied as ``w * (dw - sum(dw * w))``, as for
any softmax). Both layers take inputs ``(N, T, D)``.

**Masks** (padded sequences, :mod:`glassnet.engine.masking`), as Keras 3.15 uses them: a
padded value (key) step is never attended to (its score is replaced by -1e9 before the
softmax), and the output keeps the query's mask. A padded query spreads its weights evenly
(MultiHeadAttention), or gets a zero output (Attention).
"""

import numpy as np

from glassnet.engine import constraints, initializers, naming, regularizers
from glassnet.engine.layers.activations import softmax_rows, softmax_rows_backward
from glassnet.engine.layers.base import Layer
from glassnet.engine.shapes import SampleShape, same_size
from glassnet.errors import ShapeError

# The score of a position that may not be attended to (Keras's -1e9): its weight is then 0
LARGE_NEGATIVE = -1e9


def causal_mask(tq, tv):
    """``(Tq, Tv)``: True where query ``t`` may look at value ``s``, that is ``s <= t``
    (a decoder must not read the future)."""
    return np.tril(np.ones((tq, tv), bool))


class _Attending(Layer):
    """What both layers share: a list of sequences as input, dropout on the weights, and
    ``use_causal_mask`` / ``return_attention_scores`` given when the layer is called."""

    takes_list = True

    def _call(self, inputs, training, return_attention_scores, use_causal_mask, mask=None):
        """Keras passes ``use_causal_mask`` with each call. In a model's graph glassnet keeps it
        with the layer (it is saved in the layer's config), so the layer's calls there must
        agree; on arrays it holds for that call only (None: as the layer is set)."""
        from glassnet.engine import symbolic
        if not symbolic.is_symbolic(inputs):
            kept = self.use_causal_mask
            self.use_causal_mask = kept if use_causal_mask is None else bool(use_causal_mask)
            try:
                y = Layer.__call__(self, inputs, training=training, mask=mask)
            finally:
                self.use_causal_mask = kept
            return (y, self.last_attention_scores) if return_attention_scores else y
        if return_attention_scores:
            raise NotImplementedError(f"{type(self).__name__}: return_attention_scores=True in a model's graph "
                                      f"is not supported by glassnet (its layers give one output); call the "
                                      f"layer on arrays to see the scores, or read layer.last_attention_scores")
        if use_causal_mask is not None:
            if self.nodes and bool(use_causal_mask) != self.use_causal_mask:
                raise ValueError(f"layer '{self._display_name}' ({type(self).__name__}) was called with "
                                 f"use_causal_mask={self.use_causal_mask} in the graph; glassnet keeps one "
                                 f"setting per layer")
            self.use_causal_mask = bool(use_causal_mask)
        return Layer.__call__(self, inputs, training=training, mask=mask)

    def _check_sequences(self, shapes):
        owner = f"layer '{self._display_name}' ({type(self).__name__})"
        if not 2 <= len(shapes) <= 3:
            raise ShapeError(f"{owner} takes [query, value] or [query, value, key], got {len(shapes)} inputs")
        if any(len(s) != 2 for s in shapes):
            raise ShapeError(f"{owner} needs sequences (batch, steps, features), got "
                             f"{', '.join(str((None,) + tuple(s)) for s in shapes)}")
        if len(shapes) == 3 and not same_size(shapes[2][0], shapes[1][0]):
            raise ShapeError(f"{owner}: key and value need the same number of steps, got {shapes[2][0]} "
                             f"and {shapes[1][0]}")

    def get_config(self):
        return {**super().get_config(), "use_causal_mask": self.use_causal_mask}

    def compute_mask(self, inputs, mask=None):
        """Keras's: the output carries the query's mask."""
        return None if mask is None else mask[0]

    def _attend(self, scores, training, allowed=None):
        """Masked, softmaxed, dropped-out weights from ``scores`` (..., Tq, Tv); keeps what
        backward needs. ``allowed`` (N, Tq, Tv): the pairs that may attend (the padding's
        masks, and the past with use_causal_mask); a row with none allowed (a padded query)
        gets even weights, as in Keras."""
        if allowed is not None and allowed.ndim == scores.ndim - 1:     # one mask for every head
            allowed = allowed[:, np.newaxis]
        if self.use_causal_mask:
            causal = causal_mask(*scores.shape[-2:])
            allowed = causal if allowed is None else allowed & causal
        self.allowed = allowed
        if allowed is not None:          # replaced, not added to: no gradient reaches a masked score
            scores = np.where(allowed, scores, np.asarray(LARGE_NEGATIVE, scores.dtype))
        self.attention_weights = softmax_rows(scores)
        self.last_attention_scores = self.attention_weights
        self.keep = None
        if training and self.dropout > 0:
            kept = self.rng.random(self.attention_weights.shape) >= self.dropout
            self.keep = (kept / (1 - self.dropout)).astype(scores.dtype)      # inverted dropout, as Keras's
            return self.attention_weights * self.keep
        return self.attention_weights

    def _attend_backward(self, dweights_dropped):
        dweights = dweights_dropped if self.keep is None else dweights_dropped * self.keep
        dscores = softmax_rows_backward(self.attention_weights, dweights)
        return dscores if self.allowed is None else np.where(self.allowed, dscores, np.zeros((), dscores.dtype))


class Attention(_Attending):
    """Dot-product (Luong-style) attention: ``softmax(s * Q K^T) V``, Keras's ``layers.Attention``.

    Forward, for query ``Q`` (N, Tq, D), value ``V`` (N, Tv, D) and key ``K`` (default ``V``)::

        scores = s * Q @ K^T           # (N, Tq, Tv); s a learned scale (use_scale) or 1
        W = softmax(scores)            # each row sums to 1 (future steps masked with use_causal_mask)
        y = W @ V                      # (N, Tq, D)

    Backward, given ``dy``: ``dV = W^T @ dy``, ``dW = dy @ V^T``, ``dscores`` by the softmax's
    rule, then ``dQ = s * dscores @ K``, ``dK = s * dscores^T @ Q`` and ``ds = sum(dscores * Q K^T)``.

    Args:
        use_scale: learn the scale ``s`` (it starts at 1).
        score_mode: ``"dot"`` (``"concat"``, Bahdanau's, is not supported by glassnet).
        dropout: fraction of the attention weights dropped while training.
        seed: Keras's; glassnet draws from the model's generator.

    Call: ``layer([query, value])`` or ``layer([query, value, key])``, with Keras's
    ``use_causal_mask=True`` and (on arrays) ``return_attention_scores=True``. glassnet keeps
    ``use_causal_mask`` with the layer (it can also be given here, when the layer is made).
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, use_causal_mask=False, **kwargs):
        super().__init__(**kwargs)
        if score_mode != "dot":
            raise ValueError(f"Attention: score_mode={score_mode!r} is not supported by glassnet (only 'dot')")
        if not 0 <= dropout < 1:
            raise ValueError(f"Attention: dropout must be in [0, 1), got {dropout!r}")
        self.use_scale, self.score_mode, self.dropout = bool(use_scale), score_mode, float(dropout)
        self.use_causal_mask = bool(use_causal_mask)

    def __call__(self, inputs, mask=None, training=None, return_attention_scores=False, use_causal_mask=None):
        if mask is not None and all(m is None for m in mask):
            mask = None
        return self._call(inputs, training, return_attention_scores, use_causal_mask, mask)

    def build(self, input_shape, rng=None):
        self.input_shape = [SampleShape(shape) for shape in input_shape]   # steps may be left open (None)
        self.rng = rng if rng is not None else np.random.default_rng()
        self._check_sequences(self.input_shape)
        if self.input_shape[0][1] != self.input_shape[-1][1]:
            raise ShapeError(f"layer '{self._display_name}' (Attention): query and key need the same features, got "
                             f"{self.input_shape[0][1]} and {self.input_shape[-1][1]}")
        if self.use_scale:
            self.add_param("scale", np.ones((), self.dtype))
        self.built = True

    def output_shape(self, input_shape):
        return (input_shape[0][0], input_shape[1][1])

    def forward(self, xs, training=False, mask=None):
        self.check_input(xs)
        self.q, self.v = xs[0], xs[1]
        self.k = xs[2] if len(xs) > 2 else xs[1]
        self.raw = self.q @ np.swapaxes(self.k, -1, -2)                  # (N, Tq, Tv)
        scale = self.params["scale"] if self.use_scale else 1.0
        query_mask, value_mask = (list(mask) + [None])[:2] if mask is not None else (None, None)
        allowed = None if value_mask is None else np.asarray(value_mask, bool)[:, np.newaxis, :]   # (N, 1, Tv)
        self.dropped = self._attend(scale * self.raw, training, allowed)
        self.query_kept = None if query_mask is None else np.asarray(query_mask, bool)[..., np.newaxis]
        y = self.dropped @ self.v
        return y if self.query_kept is None else np.where(self.query_kept, y, np.zeros((), y.dtype))

    def backward(self, dy):
        if self.query_kept is not None:                                  # padded queries' outputs: 0
            dy = np.where(self.query_kept, dy, np.zeros((), dy.dtype))
        dv = np.swapaxes(self.dropped, -1, -2) @ dy                      # (N, Tv, D)
        dscores = self._attend_backward(dy @ np.swapaxes(self.v, -1, -2))
        scale = 1.0
        if self.use_scale:
            scale = self.params["scale"]
            self.grads["scale"][...] = (dscores * self.raw).sum()
        draw = dscores * scale
        dq = draw @ self.k
        dk = np.swapaxes(draw, -1, -2) @ self.q
        if len(self.input_shape) > 2:
            return [dq, dv, dk]
        return [dq, dv + dk]                                             # value was the key too

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale, "score_mode": self.score_mode,
                "dropout": self.dropout}


class MultiHeadAttention(_Attending):
    """Multi-head attention, the Transformer's: ``H`` attentions side by side, each on its own
    learned projections of the inputs, their outputs projected back together.

    Forward, for query ``x_q`` (N, T, D), value ``x_v`` (N, S, Dv) and key ``x_k`` (default ``x_v``)::

        Q = x_q @ Wq + bq              # (N, T, H, key_dim): one projection per head
        K = x_k @ Wk + bk              # (N, S, H, key_dim)
        V = x_v @ Wv + bv              # (N, S, H, value_dim)
        scores = Q . K / sqrt(key_dim) # (N, H, T, S)
        A = softmax(scores)            # over S (future steps masked with use_causal_mask)
        O = A @ V                      # (N, T, H, value_dim)
        y = O @ Wo + bo                # (N, T, D): the heads summed back into D features

    Backward: the same lines in reverse, each one's gradient by the rules of Dense
    (``dW = x^T @ dz``, ``dx = dz @ W^T``) and of the softmax; ``x_q``, ``x_k`` and ``x_v`` each
    get the gradients of their projections (self-attention, ``mha(x, x)``, sums them).

    Args:
        num_heads: ``H``.
        key_dim: size of each head's query and key.
        value_dim: size of each head's value (default ``key_dim``).
        dropout: fraction of the attention weights dropped while training.
        use_bias: biases on the four projections.
        output_shape: features of the output (default: the query's ``D``).
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        kernel_constraint, bias_constraint: for the four projections, as in Dense.
        attention_axes: Keras's; only attention over the steps (None) is supported.

    Call: ``mha(query, value)`` or ``mha(query, value, key)`` on sequences ``(N, T, D)``,
    with Keras's ``use_causal_mask=True`` (kept with the layer, as for Attention) and (on
    arrays) ``return_attention_scores=True``. Weights, in Keras's order: the query's, key's and value's kernel ``(D, H, key_dim)``
    and bias ``(H, key_dim)``, then the output's kernel ``(H, value_dim, D)`` and bias ``(D,)``.
    """

    PROJECTIONS = ("query", "key", "value", "output")

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
                 attention_axes=None, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, seed=None, use_causal_mask=False, **kwargs):
        for label, value in (("num_heads", num_heads), ("key_dim", key_dim), ("value_dim", value_dim)):
            if value is not None and (isinstance(value, bool) or int(value) != value or value < 1):
                raise ValueError(f"MultiHeadAttention: {label} must be a positive integer, got {value!r}")
        if attention_axes not in (None, 1, (1,), [1], -2, (-2,), [-2]):
            raise ValueError(f"MultiHeadAttention: attention_axes={attention_axes!r} is not supported by glassnet "
                             f"(attention over the steps of (batch, steps, features) only)")
        if not 0 <= dropout < 1:
            raise ValueError(f"MultiHeadAttention: dropout must be in [0, 1), got {dropout!r}")
        for key in ("use_gate", "sliding_window", "flash_attention"):
            if kwargs.pop(key, None):
                raise ValueError(f"MultiHeadAttention: {key} is not supported by glassnet")
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.num_heads, self.key_dim = int(num_heads), int(key_dim)
        self.value_dim = int(value_dim) if value_dim is not None else self.key_dim
        self.dropout, self.use_bias = float(dropout), bool(use_bias)
        self.output_features = None if output_shape is None else int(np.ravel(output_shape)[-1])
        self._initializer_names = {"kernel_initializer": kernel_initializer, "bias_initializer": bias_initializer}
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.use_causal_mask = bool(use_causal_mask)
        for weight in self.PROJECTIONS:    # one penalty and constraint for all four, named per weight
            setattr(self, f"{weight}_kernel_regularizer", regularizers.get(kernel_regularizer))
            setattr(self, f"{weight}_bias_regularizer", regularizers.get(bias_regularizer))
            setattr(self, f"{weight}_kernel_constraint", constraints.get(kernel_constraint))
            setattr(self, f"{weight}_bias_constraint", constraints.get(bias_constraint))

    def __call__(self, query, value=None, key=None, query_mask=None, value_mask=None, key_mask=None,
                 attention_mask=None, return_attention_scores=False, training=None, use_causal_mask=None):
        if value is None and isinstance(query, (list, tuple)) and 2 <= len(query) <= 3:
            query, value, key = (list(query) + [None])[:3]      # [query, value, key]: how a model calls it
        if value is None:
            raise TypeError("MultiHeadAttention: call it as mha(query, value), e.g. mha(x, x) for self-attention")
        if any(m is not None for m in (query_mask, value_mask, key_mask, attention_mask)):
            raise NotImplementedError("MultiHeadAttention: masks given in the call (attention_mask=, query_mask=, "
                                      "...) are not supported by glassnet; use_causal_mask=True is, and so are "
                                      "the masks of padded sequences (Embedding(mask_zero=True), Masking), "
                                      "which reach it by themselves")
        inputs = [query, value] + ([key] if key is not None else [])
        return self._call(inputs, training, return_attention_scores, use_causal_mask)

    def build(self, input_shape, rng=None):
        self.input_shape = [SampleShape(shape) for shape in input_shape]   # steps may be left open (None)
        self.rng = rng if rng is not None else np.random.default_rng()
        self._check_sequences(self.input_shape)
        (_, d_query), (_, d_value) = self.input_shape[:2]
        d_key = self.input_shape[2][1] if len(self.input_shape) > 2 else d_value
        h, k, v = self.num_heads, self.key_dim, self.value_dim
        if not self.params:        # Keras makes a Dropout and a Softmax here: your next Dropout is dropout_1
            naming.get_uid("dropout")
            naming.get_uid("softmax")
        shapes = {"query": ((d_query, h, k), (h, k)), "key": ((d_key, h, k), (h, k)),
                  "value": ((d_value, h, v), (h, v)), "output": ((h, v, self.output_dim), (self.output_dim,))}
        for weight, (kernel, bias) in shapes.items():
            self.add_param(f"{weight}_kernel", self._initialize_kernel(kernel, weight))
            if self.use_bias:
                self.add_param(f"{weight}_bias", self.bias_initializer(bias, self.rng))
        self.built = True

    @property
    def output_dim(self):
        return self.output_features or self.input_shape[0][1]

    def _initialize_kernel(self, shape, weight):
        """Keras initializes each projection as a Dense from its input to all heads' features."""
        if weight == "output":
            flat = (shape[0] * shape[1], shape[2])
        else:
            flat = (shape[0], shape[1] * shape[2])
        return self.kernel_initializer(flat, self.rng).reshape(shape)

    def output_shape(self, input_shape):
        return (input_shape[0][0], self.output_features or input_shape[0][1])

    def _project(self, x, weight):
        """``x @ W + b`` for one projection: (N, T, D) @ (D, H, k) -> (N, T, H, k)."""
        kernel = self.params[f"{weight}_kernel"]
        z = (x @ kernel.reshape(len(kernel), -1)).reshape(x.shape[:2] + kernel.shape[1:])
        return z + self.params[f"{weight}_bias"] if self.use_bias else z

    def forward(self, xs, training=False, mask=None):
        self.check_input(xs)
        self.xs = xs
        x_q, x_v = xs[0], xs[1]
        x_k = xs[2] if len(xs) > 2 else x_v
        self.Q, self.K, self.V = self._project(x_q, "query"), self._project(x_k, "key"), self._project(x_v, "value")
        self.scale = 1.0 / float(np.sqrt(self.key_dim))       # a Python float: float32 stays float32
        scores = np.einsum("nthk,nshk->nhts", self.Q, self.K) * self.scale        # (N, H, T, S)
        self.A = self._attend(scores, training, self._allowed(mask))
        self.O = np.einsum("nhts,nshv->nthv", self.A, self.V)                      # (N, T, H, v)
        n, t = self.O.shape[:2]
        kernel = self.params["output_kernel"]
        y = (self.O.reshape(n * t, -1) @ kernel.reshape(-1, kernel.shape[-1])).reshape(n, t, -1)
        return y + self.params["output_bias"] if self.use_bias else y

    @staticmethod
    def _allowed(mask):
        """Keras's: query t may attend to value s when both are real steps (and the key too,
        when it is given apart): ``(N, T, S)``, or None without masks."""
        if mask is None or all(m is None for m in mask):
            return None
        query_mask, *others = [None if m is None else np.asarray(m, bool) for m in mask]
        allowed = None if query_mask is None else query_mask[:, :, np.newaxis]
        for m in others:                                                     # the value's, the key's
            if m is not None:
                allowed = m[:, np.newaxis, :] if allowed is None else allowed & m[:, np.newaxis, :]
        return allowed

    def _project_backward(self, x, dz, weight):
        """Gradients of ``z = x @ W + b`` given ``dz`` (N, T, H, k): fills W's and b's, returns dx."""
        kernel = self.params[f"{weight}_kernel"]
        flat_x, flat_dz = x.reshape(-1, x.shape[-1]), dz.reshape(-1, dz.shape[2] * dz.shape[3])
        self.grads[f"{weight}_kernel"][...] = (flat_x.T @ flat_dz).reshape(kernel.shape)
        if self.use_bias:
            self.grads[f"{weight}_bias"][...] = dz.sum(axis=(0, 1))
        return (flat_dz @ kernel.reshape(len(kernel), -1).T).reshape(x.shape)

    def backward(self, dy):
        n, t, d_out = dy.shape
        kernel = self.params["output_kernel"]                                       # (H, v, D)
        flat_dy = dy.reshape(n * t, d_out)
        self.grads["output_kernel"][...] = (self.O.reshape(n * t, -1).T @ flat_dy).reshape(kernel.shape)
        if self.use_bias:
            self.grads["output_bias"][...] = flat_dy.sum(axis=0)
        dO = (flat_dy @ kernel.reshape(-1, d_out).T).reshape(self.O.shape)         # (N, T, H, v)
        dV = np.einsum("nhts,nthv->nshv", self.A, dO)
        dscores = self._attend_backward(np.einsum("nthv,nshv->nhts", dO, self.V)) * self.scale
        dQ = np.einsum("nhts,nshk->nthk", dscores, self.K)
        dK = np.einsum("nhts,nthk->nshk", dscores, self.Q)
        x_q, x_v = self.xs[0], self.xs[1]
        x_k = self.xs[2] if len(self.xs) > 2 else x_v
        dx_q = self._project_backward(x_q, dQ, "query")
        dx_k = self._project_backward(x_k, dK, "key")
        dx_v = self._project_backward(x_v, dV, "value")
        self.add_penalty_gradients()
        return [dx_q, dx_v, dx_k] if len(self.xs) > 2 else [dx_q, dx_v + dx_k]

    def get_config(self):
        def initializer(label):
            given = self._initializer_names[label]
            return given if isinstance(given, (str, dict)) else initializers.serialize(getattr(self, label))
        config = {**super().get_config(), "num_heads": self.num_heads, "key_dim": self.key_dim,
                  "value_dim": self.value_dim, "dropout": self.dropout, "use_bias": self.use_bias,
                  "output_shape": self.output_features,
                  "kernel_initializer": initializer("kernel_initializer"),
                  "bias_initializer": initializer("bias_initializer"),
                  "kernel_regularizer": regularizers.serialize(self.query_kernel_regularizer),
                  "bias_regularizer": regularizers.serialize(self.query_bias_regularizer),
                  "kernel_constraint": constraints.serialize(self.query_kernel_constraint),
                  "bias_constraint": constraints.serialize(self.query_bias_constraint)}
        return config
