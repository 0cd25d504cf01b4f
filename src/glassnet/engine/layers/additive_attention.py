"""AdditiveAttention: Bahdanau's attention, scores from a tanh of query plus key (Keras's)."""

import numpy as np

from glassnet.engine import initializers
from glassnet.engine.layers.attention import Attention


class AdditiveAttention(Attention):
    """Additive (Bahdanau-style) attention, Keras's ``layers.AdditiveAttention``.

    Where :class:`Attention` scores a query against a key by their dot product, this one adds
    them and scores the sum through a tanh, with a learned weight ``w`` (D,) per feature::

        T[t, s] = tanh(q_t + k_s)                   # (N, Tq, Tv, D)
        scores[t, s] = sum_d w_d T[t, s, d]         # (N, Tq, Tv); w = 1 without use_scale
        W = softmax(scores);  y = W @ V             # as Attention

    Backward, from ``dscores`` (Attention's softmax rule), with ``G = dscores[..., None] * w * (1 - T**2)``::

        dw = sum(dscores[..., None] * T),   dq_t = sum_s G[t, s],   dk_s = sum_t G[t, s]

    Args:
        use_scale: learn ``w`` (Keras's default True; it starts Glorot-uniform).
        dropout: fraction of the attention weights dropped while training.
        seed: Keras's; glassnet draws from the model's generator.

    Call: ``layer([query, value])`` or ``layer([query, value, key])``, as Attention. Query and
    key need the same number of features ``D``.
    """

    def __init__(self, use_scale=True, dropout=0.0, seed=None, **kwargs):
        kwargs.pop("score_mode", None)             # Keras's config may carry Attention's
        super().__init__(use_scale=use_scale, dropout=dropout, seed=seed, **kwargs)
        self.score_mode, self.seed = "concat", seed

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)            # checks the shapes; a scalar scale we replace
        self.params.pop("scale", None)
        self.grads.pop("scale", None)
        if self.use_scale:
            features = self.input_shape[0][1]
            self.add_param("scale", initializers.get("glorot_uniform")((features,), self.rng))

    def forward(self, xs, training=False, mask=None):
        self.check_input(xs)
        self.q, self.v = xs[0], xs[1]
        self.k = xs[2] if len(xs) > 2 else xs[1]
        self.tanh = np.tanh(self.q[:, :, np.newaxis, :] + self.k[:, np.newaxis, :, :])   # (N, Tq, Tv, D)
        w = self.params["scale"] if self.use_scale else 1.0
        scores = np.sum(w * self.tanh, axis=-1)                                     # (N, Tq, Tv)
        query_mask, value_mask = (list(mask) + [None])[:2] if mask is not None else (None, None)
        allowed = None if value_mask is None else np.asarray(value_mask, bool)[:, np.newaxis, :]
        self.dropped = self._attend(scores, training, allowed)
        self.query_kept = None if query_mask is None else np.asarray(query_mask, bool)[..., np.newaxis]
        y = self.dropped @ self.v
        return y if self.query_kept is None else np.where(self.query_kept, y, np.zeros((), y.dtype))

    def backward(self, dy):
        if self.query_kept is not None:
            dy = np.where(self.query_kept, dy, np.zeros((), dy.dtype))
        dv = np.swapaxes(self.dropped, -1, -2) @ dy                                 # (N, Tv, D)
        dscores = self._attend_backward(dy @ np.swapaxes(self.v, -1, -2))[..., np.newaxis]
        w = 1.0
        if self.use_scale:
            w = self.params["scale"]
            self.grads["scale"][...] = np.sum(dscores * self.tanh, axis=(0, 1, 2))
        g = dscores * w * (1 - self.tanh ** 2)                                      # (N, Tq, Tv, D)
        dq, dk = g.sum(axis=2), g.sum(axis=1)
        if len(self.input_shape) > 2:
            return [dq, dv, dk]
        return [dq, dv + dk]                                                        # value was the key too

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return {**config, "seed": self.seed}
