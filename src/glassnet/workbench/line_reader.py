"""Reading a whole number the way sequence models do: one network over the whole strip, and CTC.

The segmenter (:mod:`glassnet.workbench.reader`) first cuts the number into digits and
then reads each one. When two digits touch, the cut can go wrong, and no classifier can
repair a digit that was cut in half. A *line reader* never cuts:

1. the picture becomes a **strip** (:mod:`glassnet.workbench.strips`): the ink, scaled so
   that the number's height is :data:`BAND` pixels in a :data:`HEIGHT`-row strip, left-aligned;
2. a small convolutional network slides over the strip and gives, for every 2 or 4
   columns (:func:`stride_of`), scores for 11 classes: the digits 0-9 and *blank* (class 10);
3. **CTC** (:mod:`glassnet.engine.ctc`) turns those per-column scores into a text: merge
   repeated classes, drop blanks. Training needs only the text of each number, never where
   its digits are: the CTC loss sums over every way of placing the text on the columns.

The network (:func:`line_model`) is an ordinary :class:`~glassnet.engine.model.Sequential`
of Conv2D, MaxPooling2D and BatchNormalization layers, trained with ``model.fit`` and
:class:`~glassnet.engine.ctc.CTCLoss`, so ``glassnet.load_model`` loads it like any other.
Its layers are all convolutions, so the same weights read strips of any width; a number
wider than the strip the model was trained on is read by a copy built for its width
(:func:`at_width`).
"""

import math

import numpy as np

from glassnet.engine.ctc import (CTCLoss, ctc_beam_decode, ctc_forward_backward,  # noqa: F401
                                 ctc_greedy_decode, ctc_log_likelihood)
from glassnet.engine.losses import log_softmax
# The strip's making lives in its own module; its names are the line reader's too.
from glassnet.workbench.strips import (BAND, HEIGHT, MAX_DIGITS, MAX_HEIGHT, MAX_WIDTH, WIDTH,  # noqa: F401
                                       fit_width, ink_band, lean, picture_strip, picture_strips, to_strip)
# So are the training data's: the labels CTC trains on, and the numbers it learns from.
from glassnet.workbench.line_data import LONGER, encode_labels, training_strips  # noqa: F401

STRIDE = 4          # strip columns per output step of line_model by default (two 2x2 poolings; see stride_of)
WIDTH_STEP = 32     # strips are read (and trained) at a width that is a multiple of this
TAIL = 24           # blank columns read after a number (training puts 8 to 32 after its ink, and rounds up)
# Reading looks at each number seven times and keeps the text likeliest on average: its ink
# 24, 21 and 27 rows high, and 24 rows slanted by -0.3, -0.15, 0.15 and 0.3 columns per row
# (``(band, stretch, shear)``, see strips.picture_strips). On 1,000 standard and 1,000 harder
# numbers from held-out training digits, read whole: one view 96.5% / 93.8%, the three
# heights 97.1% / 94.4%, all seven 97.8% / 94.3%, with the wrong count of digits 0.4% / 1.2%
# -> 0.0% / 0.7% (the slants mostly remove a stroke read as an extra 1).
VIEWS = ((BAND, 1.0, 0.0), (BAND - 3, 1.0, 0.0), (BAND + 3, 1.0, 0.0),
         (BAND, 1.0, -0.3), (BAND, 1.0, -0.15), (BAND, 1.0, 0.15), (BAND, 1.0, 0.3))
BLANK = 10          # class 10 is CTC's blank; classes 0-9 are the digits themselves
CLASSES = 11


def line_model(width=WIDTH, seed=None, recurrent=True, units=64, filters=(16, 32, 64), stride=STRIDE):
    """The line reader's network: a strip ``(HEIGHT, width, 1)`` -> logits ``(T, 11)``.

    Three 3x3 convolution blocks (``filters``: 16, 32, 64 by default), each followed by
    max pooling and batch norm, as in the best MNIST CNN. The poolings halve the height three times
    (32 -> 4) but the width only twice, so every output step covers :data:`STRIDE` = 4
    columns (``stride=2``: the width only once, twice the steps. ``glassnet train --task
    numbers`` trains that: two thin 1s drawn close together need three steps for CTC's "1",
    blank, "1", and 4-column steps were too coarse for them). A convolution over the
    remaining 4 rows and 3 steps gives 128 features per step (at 4 columns a step it sees
    about 26 strip columns, one digit). Then each step looks at its neighbours (is this
    stroke a digit of its own, or the end of the digit beside it?):

    * ``recurrent=True`` (a CRNN): a bidirectional GRU of ``units`` units each way (64 by
      default, small and quick; ``glassnet train --task numbers`` trains 96, with filters
      24, 48, 96) runs along the steps, so every step sees the whole line, and a Dense
      layer applied to every step gives the 11 scores::

        (32, W, 1) -> (16, W/2, 16) -> (8, W/4, 32) -> (4, W/4, 64) -> (1, T, 128)   (default filters)
                   -> (T, 128) -> GRU both ways (T, 2 * units) -> (T, 11),   T = W/stride - 2

    * ``recurrent=False`` (all convolutions): a convolution over 5 neighbouring steps
      (about 42 columns) and a 1x1 convolution give the 11 scores.

    The output is logits (no softmax): :class:`CTCLoss` takes the log-softmax itself.
    """
    from glassnet.engine.layers import (GRU, BatchNormalization, Bidirectional, Conv2D, Dense, MaxPooling2D,
                                        Reshape, TimeDistributed)
    from glassnet.engine.model import Sequential

    if stride not in (2, 4):
        raise ValueError(f"line_model: stride must be 2 or 4 columns per step, got {stride!r}")
    if width % stride or width < 4 * stride:
        raise ValueError(f"line_model: width must be a multiple of {stride}, at least {4 * stride}; got {width}")
    he = dict(activation="relu", kernel_initializer="he_uniform")
    first, second, third = filters
    trunk = [
        Conv2D(first, 3, padding="same", input_shape=(HEIGHT, width, 1), **he),  # (32, W, 16)
        MaxPooling2D(2), BatchNormalization(),                                   # (16, W/2, 16)
        Conv2D(second, 3, padding="same", **he),
        MaxPooling2D((2, stride // 2)), BatchNormalization(),                    # (8, W/4, 32)
        Conv2D(third, 3, padding="same", **he),
        MaxPooling2D((2, 1)), BatchNormalization(),                              # (4, W/4, 64)
        Conv2D(128, (4, 3), **he), BatchNormalization(),                         # (1, T, 128)
    ]
    if recurrent:
        head = [Reshape((-1, 128)),                                              # (T, 128)
                Bidirectional(GRU(units, return_sequences=True)),                # (T, 2 * units)
                TimeDistributed(Dense(CLASSES))]                                 # (T, 11)
    else:
        head = [Conv2D(128, (1, 5), padding="same", **he),                       # (1, T, 128)
                Conv2D(CLASSES, 1),                                              # (1, T, 11)
                Reshape((-1, CLASSES))]                                          # (T, 11)
    return Sequential(trunk + head, name="line_reader", seed=seed)


def is_line_model(model):
    """True for a model that reads strips into per-step digit/blank scores (not a digit classifier)."""
    if model.settings.get("task") == "numbers":
        return True
    if not model.built or len(model.inputs) != 1 or len(model.outputs) != 1:
        return False
    shape, out = model.input_shape[1:], model.output_shape[1:]
    return len(shape) == 3 and shape[0] == HEIGHT and len(out) == 2 and out[-1] == CLASSES


# -- reading --------------------------------------------------------------------------------


def at_width(model, width):
    """The model with the same weights, built for strips ``width`` columns wide.

    No weight of :func:`line_model` depends on the width: convolutions, poolings and batch
    norms slide along it, and the GRU and the Dense layer run once per step. The copy is
    kept for the next strip of that width, and given the model's current weights every
    time (the model may have trained since).
    """
    if model.input_shape[2] == width:
        return model
    cache = model.__dict__.setdefault("_copies_by_width", {})
    if width not in cache:
        cache[width] = built_for_width(model, width)
    copy = cache[width]
    copy.set_weights(model.weights)     # in place: no new arrays
    return copy


def built_for_width(model, width):
    """A new model with ``model``'s architecture and weights, built for strips ``width``
    columns wide (not compiled). (This rebuilds the layers from their configs: the one
    place that reaches into the model, see the report for the model core.)"""
    from glassnet.engine import naming
    from glassnet.engine.sequential import Sequential

    config = model.get_config()          # the architecture, then built for the new width
    for spec in config["layers"]:
        spec["config"].pop("input_shape", None)
    config.update(input_shape=[HEIGHT, width, 1], seed=0)
    with naming.hidden():                # a copy of glassnet's own: the next model you make is still "sequential_1"
        copy = Sequential.from_config(config)
    copy.set_weights(model.weights)
    return copy


def strip_width(columns):
    """The width strips of ``columns`` columns (a number or an array) are read and trained
    at: rounded up to :data:`WIDTH_STEP`, and at least two steps."""
    return np.maximum(-(-np.asarray(columns) // WIDTH_STEP) * WIDTH_STEP, 2 * WIDTH_STEP)


def line_logits(model, strips, width=None):
    """Per-step logits ``(N, T, 11)`` for strips ``(N, HEIGHT, w)`` of any width ``w``.

    The strips are padded with :data:`TAIL` blank columns after the widest one, rounded
    up to :data:`WIDTH_STEP`, and read by a copy of the model built for that width: the
    blank it was trained to see after a number (``glassnet train --task numbers`` trains
    on numbers cut to their width), and no work on columns beyond. ``width``: pad to
    exactly this many columns instead.
    """
    if width is None:
        width = int(strip_width(max(strip.shape[1] for strip in strips) + TAIL))
    batch = np.stack([fit_width(strip, width) for strip in strips])[..., None]
    return at_width(model, width).predict(batch, verbose=0)


def steps_to_columns(step, stride=STRIDE):
    """The strip column at the centre of output step ``step``'s window (``stride`` columns
    per step: :func:`stride_of` the model)."""
    return stride * step + stride + stride // 2


def stride_of(model):
    """How many strip columns each of the line reader's output steps covers (2 or 4),
    worked out from its shapes: its last convolution spans 3 steps, unpadded, so
    ``T = width / stride - 2``."""
    return model.input_shape[2] // (model.output_shape[1] + 2)


def decode(logits, beam_width=8, opinion=None, extra=(), found=None):
    """One strip's logits ``(T, 11)``, or a list of them for several views of the same
    number -> ``(digits, log p(text), per-step probabilities, the steps each digit was
    read at)`` (the last three of the first view).

    Prefix beam search over the first view finds the likeliest texts (each summed over all
    its paths). The text chosen is the one whose CTC log-probability, averaged over all the
    views, is highest: an ensemble of views, each read by the same network. (Searching
    every view's beam as well found the same texts on 2,000 numbers: the right one is
    nearly always among the first view's eight, what the views fix is their order.)
    Each digit's steps are those of the best path that reads exactly that text.

    Args:
        opinion: optional ``f(text) -> log-score`` from a second reader (the segmenter,
            see :func:`segmenter_opinion`), added to the average.
        extra: more candidate texts (lists of digits) to weigh, e.g. the segmenter's reading.
        found: what ``candidates(logits, beam_width, extra)`` returned, when the caller has it.
    """
    texts, scores, log_ps = candidates(logits, beam_width, extra) if found is None else found
    total = scores + (0 if opinion is None else np.array([opinion(t) for t in texts]))
    best = int(np.argmax(total))
    text = texts[best]
    return text, float(scores[best]), np.exp(log_ps[0]), best_alignment(log_ps[0], text)


def candidates(logits, beam_width=8, extra=()):
    """The texts worth weighing and their scores: ``(texts, mean log p(text) over the
    views, each view's log-probabilities)``, for one view's logits ``(T, 11)`` or a list
    (the texts: the first view's beam, and ``extra``)."""
    views = list(logits) if isinstance(logits, (list, tuple)) or np.ndim(logits) == 3 else [logits]
    log_ps = [log_softmax(np.asarray(view, np.float64)) for view in views]
    texts = [text for text, _ in ctc_beam_decode(log_ps[0][None], blank=BLANK, beam_width=beam_width)[0]]
    texts += [list(t) for t in extra if list(t) not in texts]
    if len({log_p.shape for log_p in log_ps}) == 1:      # the usual case: one forward pass for all
        scores = text_log_likelihoods(np.stack(log_ps), texts)
    else:
        scores = [text_log_likelihoods(log_p, texts) for log_p in log_ps]
    return texts, np.mean(scores, axis=0), log_ps


def text_log_likelihoods(log_p, texts):
    """``log p(text)`` under CTC for each of ``texts``, from one strip's ``(T, 11)``
    log-probabilities, or ``(V, T, 11)`` for ``V`` views of the same strip width (then
    ``(V, len(texts))``); ``-inf`` for a text too long for the strip."""
    log_p = np.asarray(log_p)
    views = log_p.reshape(-1, *log_p.shape[-2:])
    steps = views.shape[1]
    fits = [len(t) + sum(a == b for a, b in zip(t, t[1:])) <= steps for t in texts]
    out = np.full((len(views), len(texts)), -np.inf)
    chosen = [t for t, ok in zip(texts, fits) if ok]
    if chosen:
        labels = np.full((len(chosen), max(map(len, chosen))), -1)
        for i, t in enumerate(chosen):
            labels[i, :len(t)] = t
        # Every (view, text) pair is one sample of the batch.
        scores = ctc_log_likelihood(np.repeat(views, len(chosen), axis=0), np.tile(labels, (len(views), 1)),
                                    blank=BLANK)
        out[:, np.flatnonzero(fits)] = scores.reshape(len(views), len(chosen))
    return out if log_p.ndim == 3 else out[0]


COUNT_DOUBT = 0.05      # the segmenter's doubt that it counted the digits right (these three: tuned by
                        # benchmarks/tune_line_opinion.py on held-out training digits)
OPINION_WEIGHT = 0.5    # how much the segmenter's digit probabilities count against CTC's
OPINION_FLOOR = 0.01    # no digit probability below this: a classifier's "never" is not certain
SURE = 3.0              # the segmenter is asked only when the line reader's best text is less than
                        # e ** SURE times as likely as its runner-up (is_sure; tuned there too)


def segmenter_opinion(reading):
    """``f(text) -> log-score`` from a segmenter's :class:`~glassnet.workbench.reader.Reading`.

    A text as long as the segmenter's reading scores the (floored, weighted) log of the
    classifier's probability of each of its digits at that place; a text of another
    length scores what the segmenter's own best text does, less ``log(1 / COUNT_DOUBT)``.
    """
    log_probs = OPINION_WEIGHT * np.log(np.maximum(reading.probabilities, OPINION_FLOOR))   # (n, 10)
    own = float(log_probs.max(axis=1).sum())
    n = len(log_probs)

    def score(text):
        if len(text) != n:
            return own + OPINION_WEIGHT * math.log(COUNT_DOUBT)
        return float(log_probs[np.arange(n), list(text)].sum())
    return score


def best_alignment(log_p, text):
    """The likeliest single path that reads ``text`` (Viterbi: CTC's forward pass with
    ``max`` in place of the sum), as a list of each digit's steps: where it was read."""
    if not len(text):
        return []
    z = np.full(2 * len(text) + 1, BLANK)
    z[1::2] = text
    skip = np.zeros(len(z), bool)
    skip[3::2] = np.asarray(text[1:]) != np.asarray(text[:-1])
    steps, size = len(log_p), len(z)
    best = np.full(size, -np.inf)
    best[:2] = log_p[0, z[:2]]
    came = np.zeros((steps, size), dtype=int)
    for t in range(1, steps):
        options = np.full((3, size), -np.inf)
        options[0] = best                               # stay
        options[1, 1:] = best[:-1]                      # from the one before
        options[2, 2:] = np.where(skip[2:], best[:-2], -np.inf)   # over a blank
        choice = options.argmax(axis=0)
        came[t] = np.arange(size) - choice
        best = options[choice, np.arange(size)] + log_p[t, z]
    s = size - 1 if best[-1] >= best[-2] else size - 2
    where = [[] for _ in text]
    for t in range(steps - 1, -1, -1):
        if s % 2:
            where[s // 2].append(t)
        s = came[t, s]
    return [w[::-1] for w in where]


def read_line(model, image, name=None, beam_width=8, digit_model=None):
    """Read the number in ``image`` with the line reader ``model``.

    Args:
        digit_model: optionally a digit classifier: when the line reader is unsure
            (:func:`is_sure`), the segmenter reads the number too, and its reading and
            digit probabilities rescore the line reader's best candidates
            (:func:`segmenter_opinion`): two readers that fail differently. A number the
            line reader is sure of is not read twice.

    Returns a :class:`~glassnet.workbench.reader.Reading`: each digit's confidence is its
    probability at the step where it was read most surely (among the digits, blank left
    out); the whole number's confidence is CTC's probability of the whole text (summed
    over every way of placing it); each box spans the columns where it was read.
    """
    from glassnet.workbench.reader import Reading, read_number

    strips, box, scale = picture_strips(image, name, VIEWS)
    logits = list(line_logits(model, strips))            # one batch: every view at once
    found, opinion = candidates(logits, beam_width), None
    if digit_model is not None and not is_sure(found[1]):
        segmented = read_number(digit_model, image, name)
        found = candidates(logits, beam_width, extra=[segmented.digits])
        opinion = segmenter_opinion(segmented)
    reading = reading_from_logits(logits, strips[0], box, scale, beam_width, opinion, found=found,
                                  stride=stride_of(model))
    return Reading(*reading)


def margin(scores):
    """How far the best candidate's score (a mean log-likelihood, from :func:`candidates`)
    is ahead of the runner-up's: infinite for a lone candidate."""
    top = np.sort(np.asarray(scores, float))[::-1]
    return top[0] - top[1] if len(top) > 1 else np.inf


def is_sure(scores):
    """Whether the line reader is sure enough of its best text not to ask the segmenter:
    its best text is at least ``e ** SURE`` times as likely as the runner-up (:func:`margin`)."""
    return margin(scores) >= SURE


def reading_from_logits(logits, strip, box, scale, beam_width=8, opinion=None, found=None, stride=STRIDE):
    """The fields of a Reading from one strip's logits, or several views' with the first
    view's strip and scale (see :func:`read_line` and :func:`decode`); ``stride``: strip
    columns per output step."""
    digits, score, probs, steps = decode(logits, beam_width, opinion, found=found)
    x0, y0, x1, y1 = box
    left = x0 - (HEIGHT - BAND) / 2 / scale          # the picture column of strip column 0
    boxes, confidences, rows, images = [], [], [], []
    for digit, where in zip(digits, steps):
        peak = max(where, key=lambda t: probs[t, digit])
        row = probs[peak, :BLANK] / probs[peak, :BLANK].sum()
        rows.append(row)
        confidences.append(float(row[digit]))
        c0 = steps_to_columns(where[0], stride) - stride
        c1 = steps_to_columns(where[-1], stride) + stride
        boxes.append((int(round(left + c0 / scale)), y0, int(round(left + c1 / scale)), y1))
        images.append(_digit_picture(strip, c0 - 6, c1 + 6))
    text = "".join(map(str, digits))
    return (text, list(digits), confidences, float(math.exp(score)), boxes,
            np.array(rows).reshape(-1, 10), np.array(images, np.float32).reshape(-1, 28, 28))


def _digit_picture(strip, c0, c1):
    """The strip's columns ``c0..c1`` as a 28x28 picture (for showing what was read where)."""
    from glassnet.workbench.preprocess import resize

    piece = strip[:, max(c0, 0):max(c1, c0 + 1)]
    if not piece.size:
        return np.zeros((28, 28), np.float32)
    h, w = piece.shape
    side = max(h, w)
    square = np.zeros((side, side), np.float32)
    square[(side - h) // 2:(side - h) // 2 + h, (side - w) // 2:(side - w) // 2 + w] = piece
    return np.clip(resize(square, (28, 28), "bilinear"), 0, 1)


def common_digits(a, b):
    """Length of the longest common subsequence of two strings: digits read right, in order."""
    table = np.zeros((len(a) + 1, len(b) + 1), dtype=int)
    for i, x in enumerate(a, 1):
        for j, y in enumerate(b, 1):
            table[i, j] = table[i - 1, j - 1] + 1 if x == y else max(table[i - 1, j], table[i, j - 1])
    return int(table[-1, -1])


def score_texts(texts, truths):
    """``(whole, digits, wrong_count)``: the share of numbers read exactly, of digits read
    right (a number read with the wrong count scores its longest common subsequence with
    the truth), and of numbers read with the wrong count of digits."""
    n, total = len(truths), sum(len(t) for t in truths)
    whole = sum(t == l for t, l in zip(texts, truths)) / n
    wrong_count = sum(len(t) != len(l) for t, l in zip(texts, truths)) / n
    right = sum(sum(a == b for a, b in zip(t, l)) if len(t) == len(l) else common_digits(t, l)
                for t, l in zip(texts, truths)) / total
    return whole, right, wrong_count


def plot_columns(strip, probs, digits=None, title=None, stride=STRIDE):
    """A Figure: the strip, and under it the probability of every class at every output
    step (darker = likelier), the likeliest digit of each step marked in red.

    Args:
        strip: float ``(HEIGHT, w)``; probs: ``(T, 11)`` softmax of the logits;
        digits: the text read (for the title);
        stride: strip columns per output step (:func:`stride_of` the model).
    """
    from matplotlib.figure import Figure

    shown = min(len(probs), int(np.searchsorted([steps_to_columns(t, stride) for t in range(len(probs))],
                                                strip.shape[1] + stride)) + 1)
    columns = steps_to_columns(shown - 1, stride) + stride
    figure = Figure(figsize=(9, 3.8), layout="constrained")
    top, bottom = figure.subplots(2, 1, height_ratios=[1, 2.6], sharex=True)
    top.imshow(fit_width(strip, columns), cmap="gray", vmin=0, vmax=1, aspect="auto",
               extent=(-0.5, columns - 0.5, HEIGHT - 0.5, -0.5))
    top.set_title(title or f"the strip the network reads ({HEIGHT} rows; one output step per "
                           f"{stride} columns)", fontsize=9)
    top.set_yticks([])
    centres = [steps_to_columns(t, stride) for t in range(shown)]
    bottom.imshow(probs[:shown].T, cmap="Greys", vmin=0, vmax=1, aspect="auto",
                  extent=(centres[0] - stride / 2, centres[-1] + stride / 2, 10.5, -0.5))
    for t, k in enumerate(probs[:shown].argmax(axis=1)):
        if k != BLANK:
            bottom.text(centres[t], k, str(k), color="tab:red", ha="center", va="center", fontsize=8)
    bottom.set_yticks(range(CLASSES), [str(d) for d in range(10)] + ["blank"], fontsize=7)
    bottom.set_xlabel("strip column", fontsize=8)
    read = "" if digits is None else f"; merge repeats, drop blanks: {''.join(map(str, digits))}"
    bottom.set_title(f"probability of each class at each output step{read}", fontsize=9)
    return figure
