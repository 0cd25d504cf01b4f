"""CTC: learning to read a sequence without being told where each symbol is.

A line reader looks at a strip of handwriting and gives, for each of its ``T`` columns
(time steps), scores for ``C`` classes: the ten digits and one extra class, *blank*
("no new symbol here"). The training label is just the text, e.g. ``"2441"``: nobody says
which columns hold the 2. Connectionist temporal classification (Graves et al., 2006)
makes that enough.

**Paths and the collapse.** A *path* picks one class per column, e.g. with ``-`` for blank::

    - 2 2 - - 4 - 4 4 - 1 -      ->  merge repeats:  - 2 - 4 - 4 - 1 -  ->  drop blanks: 2441

Many paths collapse to the same text, and a blank is the only way to write a digit twice
(``4 4`` merges into one 4, ``4 - 4`` stays two). The probability of a text is the sum over
all its paths of the product of the column probabilities, and the loss is its negative log::

    L = -log p(text | strip) = -log sum_{paths -> text} prod_t p_t(path_t)

**Counting every path at once (the forward-backward algorithm).** Write the label with
blanks around and between its symbols, ``z = - 2 - 4 - 4 - 1 -`` (length ``S = 2L + 1``). A
path that reads the text walks along ``z`` from left to right: in each column it stays on
its symbol, steps to the next one, or skips a blank (only between two *different* symbols).
``alpha[t, s]``, the total probability of all path beginnings that are at ``z[s]`` after
column ``t``, obeys::

    alpha[t, s] = p_t(z[s]) * (alpha[t-1, s] + alpha[t-1, s-1] + alpha[t-1, s-2] if allowed)

and ``p(text) = alpha[T-1, S-1] + alpha[T-1, S-2]`` (ending on the last symbol or the blank
after it). ``beta`` does the same from the right. ``alpha[t, s] * beta[t, s] / p_t(z[s])``
is the probability of all full paths through ``z[s]`` at column ``t``, which gives the
gradient with respect to the logits ``u`` (the softmax and the log cancel, as in
cross-entropy)::

    dL/du[t, k] = p_t(k) - (1 / p(text)) * sum_{s : z[s] = k} alpha[t, s] beta[t, s] / p_t(k)

"the model's probability minus the share of the reading's paths that use ``k`` at ``t``".
The probabilities of long paths underflow float64 quickly, so everything is done with
logarithms: products become sums and sums become ``logaddexp``.

Shapes: logits ``(N, T, C)``; labels ``(N, L)`` integers, padded with ``-1`` (or given
with explicit lengths). The loop runs over the ``T`` columns; each step works on the whole
batch and every label position at once.
"""

import math

import numpy as np

from glassnet.engine.autodiff import data_of
from glassnet.engine.losses import Loss, log_softmax
from glassnet.errors import ShapeError


def _labels_and_lengths(labels, label_lengths, num_classes, blank, lenient=False):
    """``(N, L)`` int labels (padding set to 0) and ``(N,)`` lengths, checked."""
    labels = np.asarray(labels)
    if labels.ndim != 2:
        raise ShapeError(f"CTC: labels must be a (batch, max_length) array of class indices padded "
                         f"with -1, got shape {labels.shape}")
    if labels.dtype.kind == "f":
        if not np.all(labels == np.round(labels)):
            raise ShapeError("CTC: labels must be whole class indices, got fractional values")
    elif labels.dtype.kind not in "iu":
        raise ShapeError(f"CTC: labels must be integers, got dtype {labels.dtype}")
    labels = labels.astype(np.intp)
    if label_lengths is None:
        valid = labels >= 0
        lengths = valid.sum(axis=1)
        # -1 padding may only follow the label, never interrupt it.
        if not np.array_equal(valid, np.arange(labels.shape[1]) < lengths[:, None]):
            raise ShapeError("CTC: -1 padding may only come after a label's symbols")
    else:
        lengths = np.asarray(label_lengths).astype(np.intp).reshape(-1)
        if len(lengths) != len(labels) or lengths.min(initial=0) < 0 or lengths.max(initial=0) > labels.shape[1]:
            raise ShapeError(f"CTC: label_lengths must be {len(labels)} numbers in 0..{labels.shape[1]}")
    used = labels[np.arange(labels.shape[1]) < lengths[:, None]]
    if used.size and (used.min() < 0 or used.max() >= num_classes):
        raise ShapeError(f"CTC: labels must be class indices in 0..{num_classes - 1}, "
                         f"got {used.min()}..{used.max()}")
    if used.size and np.any(used == blank) and not lenient:
        raise ShapeError(f"CTC: a label uses class {blank}, the blank; the blank can't be in a label")
    labels = np.where(np.arange(labels.shape[1]) < lengths[:, None], labels, 0)
    if labels.shape[1] == 0:   # only empty labels: keep one (unused) position
        labels = np.zeros((len(labels), 1), dtype=np.intp)
    return labels, lengths


def _extend(labels, lengths, blank):
    """``2441`` -> ``-2-4-4-1-``: the blank-interleaved labels ``(N, S)``, their lengths, and
    where the skip from ``s - 2`` to ``s`` is allowed (a symbol unlike the one two before)."""
    n, max_length = labels.shape
    extended = np.full((n, 2 * max_length + 1), blank, dtype=np.intp)
    extended[:, 1::2] = labels
    skip = np.zeros(extended.shape, dtype=bool)
    skip[:, 3::2] = labels[:, 1:] != labels[:, :-1]
    return extended, 2 * lengths + 1, skip


def _from_left(a, k):
    """``a[:, s - k]`` at every ``s`` (``-inf`` where ``s - k < 0``): ``k`` steps back along the label."""
    out = np.full_like(a, -np.inf)
    out[:, k:] = a[:, :-k]
    return out


def _from_right(a, k):
    """``a[:, s + k]`` at every ``s`` (``-inf`` past the end): ``k`` steps on along the label."""
    out = np.full_like(a, -np.inf)
    out[:, :-k] = a[:, k:]
    return out


def _prepared(log_probs, labels, label_lengths, input_lengths, blank, lenient=False):
    """Check the arguments and lay the labels out for the recursions: ``(lengths,
    input_lengths, z, z_lengths, skip, emit)``, ``emit[n, t, s] = log p_t(z[n, s])``."""
    n, t_max, num_classes = log_probs.shape
    labels, lengths = _labels_and_lengths(labels, label_lengths, num_classes, blank, lenient)
    if len(labels) != n:
        raise ShapeError(f"CTC: {len(labels)} labels for {n} predictions")
    if input_lengths is None:
        input_lengths = np.full(n, t_max, dtype=np.intp)
    else:
        input_lengths = np.asarray(input_lengths).astype(np.intp).reshape(-1)
        if len(input_lengths) != n or input_lengths.min(initial=1) < 1 or input_lengths.max(initial=1) > t_max:
            raise ShapeError(f"CTC: input_lengths must be {n} numbers in 1..{t_max}")
    # Each repeated symbol needs a blank between its copies: the fewest columns that can
    # hold a label is its length plus its repeats.
    repeats = ((labels[:, 1:] == labels[:, :-1]) & (np.arange(1, labels.shape[1]) < lengths[:, None])).sum(axis=1)
    needed = lengths + repeats
    if np.any(needed > input_lengths) and not lenient:
        i = int(np.argmax(needed > input_lengths))
        raise ShapeError(f"CTC: sample {i}'s label needs at least {needed[i]} time steps "
                         f"(its {lengths[i]} symbols and a blank between repeats) but the "
                         f"predictions have {input_lengths[i]}; use a wider input or fewer pooling steps")
    z, z_lengths, skip = _extend(labels, lengths, blank)
    emit = log_probs[np.arange(n)[:, None, None], np.arange(t_max)[None, :, None], z[:, None, :]]   # (N, T, S)
    return lengths, input_lengths, z, z_lengths, skip, emit


def _alpha(emit, lengths, skip):
    """The forward recursion: ``alpha[n, t, s]``, log of all path beginnings at ``z[s]`` after column ``t``."""
    n, t_max, s_max = emit.shape
    alpha = np.full((n, t_max, s_max), -np.inf)
    # Start on the first blank or the first symbol.
    alpha[:, 0, 0] = emit[:, 0, 0]
    alpha[:, 0, 1] = np.where(lengths > 0, emit[:, 0, 1], -np.inf)
    for t in range(1, t_max):
        prev = alpha[:, t - 1]
        total = np.logaddexp(prev, _from_left(prev, 1))                          # stay, or from s - 1
        total = np.where(skip, np.logaddexp(total, _from_left(prev, 2)), total)  # or skip a blank
        alpha[:, t] = total + emit[:, t]
    return alpha


def ctc_log_likelihood(log_probs, labels, label_lengths=None, input_lengths=None, blank=0):
    """``log p(label)`` per sample, ``(N,)``: the forward pass alone (no gradient), for
    scoring candidate texts. Arguments as :func:`ctc_forward_backward`'s.

    ``p(text) = alpha[T-1, S-1] + alpha[T-1, S-2]``: the paths that end on the last symbol
    or on the blank after it (an empty text: only the all-blank path).
    """
    lengths, input_lengths, z, z_lengths, skip, emit = _prepared(
        np.asarray(log_probs, np.float64), labels, label_lengths, input_lengths, blank)
    alpha = _alpha(emit, lengths, skip)
    last = alpha[np.arange(len(alpha)), input_lengths - 1]                       # (N, S)
    on_symbol = np.take_along_axis(last, (z_lengths - 1)[:, None], axis=1)[:, 0]
    on_blank = np.take_along_axis(last, np.maximum(z_lengths - 2, 0)[:, None], axis=1)[:, 0]
    return np.where(z_lengths > 1, np.logaddexp(on_symbol, on_blank), on_symbol)


def ctc_forward_backward(log_probs, labels, label_lengths=None, input_lengths=None, blank=0, lenient=False):
    """Per-sample CTC losses and the posteriors needed for the gradient.

    Args:
        log_probs: ``(N, T, C)`` log-probabilities (``log_softmax`` of the logits).
        labels: ``(N, L)`` class indices padded with -1, or with ``label_lengths``.
        input_lengths: ``(N,)`` columns that count in each sample (default all ``T``).
        blank: the blank's class index.
        lenient: no errors for a label that uses the blank or needs more steps than it has
            (TensorFlow's and Keras's ``ctc_loss``: an impossible label's loss is ``inf``, its
            gradient 0).

    Returns:
        ``(losses, occupancy, input_lengths)``: losses ``(N,)`` = ``-log p(label)``;
        occupancy ``(N, T, C)``, the share of the label's paths that use class ``k`` at
        column ``t`` (each column sums to 1 where it counts, 0 after the input length).
    """
    n, t_max, num_classes = log_probs.shape
    lengths, input_lengths, z, z_lengths, skip, emit = _prepared(log_probs, labels, label_lengths,
                                                                 input_lengths, blank, lenient)
    s_max = z.shape[1]
    rows = np.arange(n)[:, None]
    neg_inf = np.float64(-np.inf)
    alpha = _alpha(emit, lengths, skip)           # paths from the left

    # beta: paths from the right, each sample from its own last column and label end.
    beta = np.full((n, t_max, s_max), neg_inf)
    s_index = np.arange(s_max)
    at_end = (s_index == (z_lengths - 1)[:, None]) | (s_index == (z_lengths - 2)[:, None])
    ends = input_lengths - 1
    beta[np.arange(n), ends] = np.where(at_end, emit[np.arange(n), ends], neg_inf)
    # The skip from s to s + 2 is allowed where the skip into s + 2 is.
    skip_from = np.zeros_like(skip)
    skip_from[:, :-2] = skip[:, 2:]
    for t in range(t_max - 2, -1, -1):
        nxt = beta[:, t + 1]
        total = np.logaddexp(nxt, _from_right(nxt, 1))                           # stay, or on to s + 1
        total = np.where(skip_from, np.logaddexp(total, _from_right(nxt, 2)), total)
        active = (t < ends)[:, None]          # before each sample's own last column
        beta[:, t] = np.where(active, total + emit[:, t], beta[:, t])

    # Every path is in z[0] or z[1] in the first column: p(label) = sum of alpha * beta / p there.
    log_likelihood = np.logaddexp(alpha[:, 0, 0] + beta[:, 0, 0] - emit[:, 0, 0],
                                  alpha[:, 0, 1] + beta[:, 0, 1] - emit[:, 0, 1])
    # Posterior of being at z[s] in column t, then summed over the s that share a class.
    with np.errstate(invalid="ignore"):   # -inf - -inf where no path passes
        gamma = np.exp(alpha + beta - emit - log_likelihood[:, None, None])
    gamma = np.nan_to_num(gamma, nan=0.0)
    gamma[np.arange(t_max)[None, :] >= input_lengths[:, None]] = 0.0
    to_class = np.zeros((n, s_max, num_classes))
    to_class[rows, s_index[None, :], z] = s_index[None, :] < z_lengths[:, None]
    occupancy = gamma @ to_class                                                 # (N, T, C)
    return -log_likelihood, occupancy, input_lengths


class CTCLoss(Loss):
    """Connectionist temporal classification: ``L = mean_n -log p(label_n | logits_n)``.

    See the module docstring for the algorithm. The predictions are *logits*, one row of
    ``C`` scores per time step; the log-softmax is taken here, as Keras's and PyTorch's CTC
    losses do. The gradient with respect to the logits, per sample and time step, is
    ``softmax(u_t) - occupancy_t`` (the probabilities minus the label's share), over ``N``.

    Args:
        blank: the class index of the blank (Keras 3 and PyTorch use 0; the line reader uses
            the last class, 10, so that class ``d`` is digit ``d``).

    ``forward(y_true, y_pred, sample_weight=None, label_lengths=None, input_lengths=None)``:

    * ``y_true``: ``(N, L)`` class indices, padded with -1 after each label (or any value,
      with ``label_lengths``);
    * ``y_pred``: ``(N, T, C)`` logits;
    * ``input_lengths``: how many of the ``T`` steps count for each sample (the rest is
      padding), default all.

    Returns the mean over the batch (``sum_n w_n L_n / N`` with sample weights).
    """

    name = "ctc"

    def __init__(self, blank=0, reduction="sum_over_batch_size", name="ctc"):
        if int(blank) != blank:
            raise ValueError(f"CTCLoss: blank must be a class index, got {blank!r}")
        super().__init__(reduction, name)
        self.blank = int(blank)
        self.lengths = (None, None)       # forward's label_lengths and input_lengths, for call()

    def _check(self, y_pred):
        y_pred = np.asarray(y_pred)
        if y_pred.ndim != 3:
            raise ShapeError(f"CTC: predictions must be (batch, time steps, classes) logits, "
                             f"got shape {y_pred.shape}")
        if not -y_pred.shape[2] <= self.blank < y_pred.shape[2]:
            raise ShapeError(f"CTC: blank={self.blank} is not one of the {y_pred.shape[2]} classes")
        return y_pred

    def per_sample(self, y_true, y_pred, label_lengths=None, input_lengths=None):
        """``-log p(label_n)`` for every sample, ``(N,)``, without keeping the gradient."""
        y_pred = self._check(y_pred)
        log_p = log_softmax(y_pred.astype(np.float64))
        return ctc_forward_backward(log_p, y_true, label_lengths, input_lengths,
                                    self.blank % y_pred.shape[2])[0]

    def call(self, y_true, y_pred):
        """``-log p(label_n)`` per sample, ``(N,)``; keeps each sample's gradient,
        ``softmax(u_t) - occupancy_t`` over its counted steps, for :meth:`gradient`."""
        y_pred = self._check(y_pred)
        log_p = log_softmax(y_pred.astype(np.float64))         # the recursions in float64
        label_lengths, input_lengths = self.lengths
        losses, occupancy, input_lengths = ctc_forward_backward(
            log_p, y_true, label_lengths, input_lengths, self.blank % y_pred.shape[2])
        counts = np.arange(y_pred.shape[1])[None, :] < input_lengths[:, None]     # (N, T)
        self.sample_grads = np.exp(log_p) * counts[:, :, None] - occupancy
        self.grad_dtype = y_pred.dtype if y_pred.dtype.kind == "f" else np.dtype(np.float64)
        return losses.astype(self.grad_dtype)

    def gradient(self, dvalues):
        """``dL/d(logits)``: each sample's gradient times ``dL/dl_n``."""
        dvalues = np.reshape(dvalues, (-1, 1, 1)) if np.ndim(dvalues) else dvalues
        return (self.sample_grads * dvalues).astype(self.grad_dtype)

    def forward(self, y_true, y_pred, sample_weight=None, label_lengths=None, input_lengths=None):
        self.lengths = (label_lengths, input_lengths)
        try:
            return super().forward(y_true, y_pred, sample_weight)
        finally:
            self.lengths = (None, None)

    def get_config(self):
        return {"blank": self.blank, **super().get_config()}


class CTC(CTCLoss):
    """Keras 3's ``keras.losses.CTC``: the blank is class 0, and a label is padded with 0s
    (its length: how many of its entries are not 0); the predictions are logits ``(N, T, C)``.

    Args:
        reduction: as every loss's (``"sum_over_batch_size"``: the mean over the batch).
        name: ``"ctc"``.
    """

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(blank=0, reduction=reduction, name=name)

    def call(self, y_true, y_pred):
        y_true = np.asarray(y_true)
        if y_true.ndim != 2:
            raise ShapeError(f"CTC: y_true must be (batch_size, max_length) integer labels, got shape {y_true.shape}")
        given = self.lengths
        self.lengths = (np.sum(y_true != 0, axis=-1), given[1])
        try:
            return super().call(y_true, y_pred)
        finally:
            self.lengths = given

    def get_config(self):
        return Loss.get_config(self)


def ctc(y_true, y_pred):
    """Keras 3's ``keras.losses.ctc``: per-sample CTC losses ``(N,)``, blank 0, labels padded
    with 0, every time step counted (:func:`glassnet.ops.nn.ctc_loss`; recorded in a call())."""
    from glassnet.ops.nn import ctc_loss
    y_true = np.asarray(data_of(y_true))
    if y_true.ndim != 2 or np.ndim(data_of(y_pred)) != 3:
        raise ShapeError(f"ctc: y_true must be (batch_size, max_length) and y_pred (batch_size, max_length, "
                         f"num_classes), got {y_true.shape} and {np.shape(data_of(y_pred))}")
    n, steps = np.shape(data_of(y_pred))[:2]
    return ctc_loss(y_true, y_pred, np.sum(y_true != 0, axis=-1), np.full(n, steps), mask_index=0)


def _collapse(path, blank):
    """Merge repeats, then drop blanks: ``[b, 2, 2, b, 4, b, 4] -> [2, 4, 4]``."""
    keep = np.ones(len(path), dtype=bool)
    keep[1:] = path[1:] != path[:-1]
    return [int(k) for k in path[keep] if k != blank]


def ctc_greedy_decode(y_pred, blank=0, input_lengths=None):
    """Best-path decoding: the likeliest class in every column, collapsed.

    Fast and usually right when the network is confident, but it is the single best *path*,
    not the best *text* (a text whose probability is spread over many paths can win
    without any one of its paths being the best; :func:`ctc_beam_decode` looks for that).

    Args:
        y_pred: ``(N, T, C)`` logits, probabilities or log-probabilities (only the argmax
            matters).
        blank: the blank's class index.
        input_lengths: columns that count per sample (default all).

    Returns:
        a list of ``N`` lists of class indices.
    """
    y_pred = np.asarray(y_pred)
    if y_pred.ndim != 3:
        raise ShapeError(f"ctc_greedy_decode: expected (batch, time steps, classes), got {y_pred.shape}")
    blank %= y_pred.shape[2]
    best = y_pred.argmax(axis=2)                                # (N, T)
    lengths = [y_pred.shape[1]] * len(best) if input_lengths is None else input_lengths
    return [_collapse(row[:int(length)], blank) for row, length in zip(best, lengths)]


def _logaddexp(a, b):
    """``log(exp(a) + exp(b))`` for two Python floats (NumPy's is slow one number at a time)."""
    if a < b:
        a, b = b, a
    return a if b == -math.inf else a + math.log1p(math.exp(b - a))


def ctc_beam_decode(log_probs, blank=0, beam_width=8, input_lengths=None, prune=-12.0):
    """Prefix beam search: the likeliest *texts*, summing over all the paths of each.

    Keeps the ``beam_width`` best prefixes after every column. Each prefix carries two
    log-probabilities: of its paths ending in a blank, and ending in its last symbol. A
    repeat of the last symbol extends the second without writing a new symbol; after a
    blank the same symbol is a new one (``4 - 4`` is 44, ``4 4`` is 4).

    Args:
        log_probs: ``(N, T, C)`` log-probabilities (``log_softmax`` of the logits).
        blank: the blank's class index.
        beam_width: prefixes kept per column.
        input_lengths: columns that count per sample (default all).
        prune: symbols less likely than this log-probability in a column are not tried
            there (they could not reach the beam anyway); makes the search several times faster.

    Returns:
        a list of ``N`` lists of ``(labels, log_probability)``, best first, at most
        ``beam_width`` each.
    """
    log_probs = np.asarray(log_probs, dtype=np.float64)
    if log_probs.ndim != 3:
        raise ShapeError(f"ctc_beam_decode: expected (batch, time steps, classes), got {log_probs.shape}")
    if int(beam_width) != beam_width or beam_width < 1:
        raise ValueError(f"ctc_beam_decode: beam_width must be a positive integer, got {beam_width!r}")
    blank %= log_probs.shape[2]
    lengths = [log_probs.shape[1]] * len(log_probs) if input_lengths is None else input_lengths
    results = []
    for sample, length in zip(log_probs, lengths):
        beams = {(): (0.0, -math.inf)}     # prefix -> (log p ending in blank, ending in its last symbol)
        for column in sample[:int(length)].tolist():
            grown = {}

            def add(prefix, to_blank, to_symbol):
                b, s = grown.get(prefix, (-math.inf, -math.inf))
                grown[prefix] = (_logaddexp(b, to_blank), _logaddexp(s, to_symbol))

            likely = [k for k, p in enumerate(column) if p > prune and k != blank]
            for prefix, (p_blank, p_symbol) in beams.items():
                total = _logaddexp(p_blank, p_symbol)
                add(prefix, total + column[blank], -math.inf)                  # a blank: same text
                last = prefix[-1] if prefix else None
                for k in likely:
                    if k == last:
                        add(prefix, -math.inf, p_symbol + column[k])           # a repeat merges
                        add(prefix + (k,), -math.inf, p_blank + column[k])     # after a blank: new
                    else:
                        add(prefix + (k,), -math.inf, total + column[k])
            ranked = sorted(grown.items(), key=lambda item: -_logaddexp(*item[1]))
            beams = dict(ranked[:int(beam_width)])
        results.append([(list(prefix), _logaddexp(*p)) for prefix, p in
                        sorted(beams.items(), key=lambda item: -_logaddexp(*item[1]))])
    return results
