"""Is it a digit at all? Refusing pictures that are not digits.

A network trained on MNIST has seen nothing but digits, and its softmax must share 100%
among ten digits, so it calls anything a digit: a letter A "4 (70%)", static "8 (74%)", a
smiley "0 (99%)". Low confidence alone catches few of them. This module asks more
questions, of the network and of the picture, and lets a small probe weigh the answers:

what the network tells
    * the activations of every hidden layer (a convolution's maps averaged per channel):
      a digit lights up the patterns the network learned for digits;
    * the logits (the scores before the softmax) and the *energy*
      ``-log sum_c exp(z_c)``: unfamiliar pictures tend to excite every class weakly.
what the picture tells (after ``to_mnist``, 28x28)
    * how far it is from each digit's "eigen-digits", the mean and first :data:`EIGEN`
      principal components of each class's training images (close for a digit);
    * which way its strokes run in each part of the frame (a histogram of oriented
      gradients: a letter's strokes are arranged unlike any digit's);
    * ink statistics: how much ink, how much of the frame it covers, how many separate
      pieces and how many closed holes (a digit has one or two pieces, at most two holes).

No single one of these is enough (measured on the default MLP, at 1% of digits refused:
the energy alone refuses 38% of the non-digits, the distance in the last hidden layer
10%, the eigen-digits 58%). The probe is a small network (one hidden layer of
:data:`PROBE_UNITS`) trained by glassnet
itself to tell held-out MNIST digits (as they are and photographed, see
:mod:`glassnet.datasets.photos`) from generated non-digits (letters, words, symbols,
shapes, noise, scribbles, smileys, see :mod:`glassnet.datasets.nondigits`). Its output is
a score, the log-odds that the picture is not a digit.

**The operating point.** A picture is refused when its score is above a threshold, set
where it refuses :data:`REJECT_DIGITS` (0.75%) of other held-out MNIST digits and at
most twice that share of photographed ones (measured on the MNIST test set: about 0.7%
and 1.5%; ``benchmarks/not_a_digit.py`` prints the figures). Raising the threshold refuses fewer real digits and lets more non-digits through:
:func:`tradeoff` computes that curve and ``benchmarks/not_a_digit.py --curve`` draws it.

Usage::

    detector = fit_detector(model, x_train, y_train, x_val, y_val)   # at training time
    model.settings["novelty"] = detector.to_settings()               # saved with the model
    probabilities, status = judge(model, images)   # status: "ok", "unsure" or "not_a_digit"

``glassnet train`` does the first two lines for a digit model (on its validation split),
and ``glassnet calibrate MODEL`` for a model saved without a detector.
"""

import hashlib
import os

import numpy as np
from scipy import ndimage

from glassnet.errors import GlassnetError, ModelFileError

REJECT_DIGITS = 0.0075  # the operating point: refuse this share of held-out digits (twice for photos)
EIGEN = 20              # principal components per digit class ("eigen-digits")
PROBE_UNITS = 128       # the probe's hidden layer ...
PROBE_EPOCHS = 20       # ... and how long it trains
UNSURE_BELOW = 0.6      # a digit guessed with less confidence than this is "unsure"
INK = 0.3               # a pixel above this is ink, for counting pieces and holes


class NoDetectorError(GlassnetError):
    """The model was saved without a not-a-digit detector."""


def has_detector(model):
    """Whether ``model`` was saved with a not-a-digit detector."""
    return bool((getattr(model, "settings", None) or {}).get("novelty"))


def no_detector_note(model_file):
    """The one line said when a model can't refuse non-digits, and how to fix that."""
    return (f"note: {model_file} has no not-a-digit detector, so it reads anything as a digit; "
            f"add one with: glassnet calibrate {model_file}")


def line_reader_note(model_file, digits_file=None):
    """The one line said when a line reader can't refuse a picture with no digits in it."""
    if digits_file:
        return (f"note: {digits_file} has no not-a-digit detector, so {model_file} reads anything as digits; "
                f"add one with: glassnet calibrate {digits_file}")
    return ("note: a line reader alone reads anything as digits; give --digits DIGIT_MODEL, a digit "
            "classifier with a not-a-digit detector, to have pictures with no digits refused")


# -- what the network tells ---------------------------------------------------------------
def network_features(model, images, batch_size=500):
    """What the network computes on the way: ``(hidden (N, H), logits (N, C))``.

    ``hidden`` puts side by side the outputs of every layer with a kernel (Dense, Conv2D)
    before the output layer; a convolution's ``(h, w, channels)`` maps are averaged to one
    number per channel. ``logits`` are the scores the final softmax turns into
    probabilities (the output itself for a model without a softmax). The model hands over
    every layer's output itself (``model.layer_outputs``).
    """
    x = np.asarray(images, dtype=np.float32).reshape((-1,) + tuple(model.input_shape[1:]))
    output_layer = model.outputs[0].node.layer
    hidden, logits = [], []
    for start in range(0, len(x), batch_size):
        parts, out = [], None
        for layer, h in model.layer_outputs(x[start:start + batch_size]):
            if layer is output_layer:
                out = h
            elif "kernel" in layer.params:
                parts.append(h.mean(axis=(1, 2)) if h.ndim == 4 else h.reshape(len(h), -1))
        hidden.append(np.concatenate(parts, axis=1) if parts else np.zeros((len(out), 0), np.float32))
        logits.append(_logits(model, out))
    return np.concatenate(hidden), np.concatenate(logits)


def _logits(model, output):
    """The scores before the final softmax, which keeps them after its forward pass."""
    from glassnet.workbench.recognize import final_softmax
    softmax = final_softmax(model)
    return np.array(softmax.logits) if softmax is not None else np.array(output)


def softmax(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def energy(logits):
    """``-log sum_c exp(z_c)``, computed stably: low for a familiar input, high otherwise."""
    top = logits.max(axis=1)
    return -(top + np.log(np.exp(logits - top[:, None]).sum(axis=1)))


# -- what the picture tells ----------------------------------------------------------------
def eigen_digits(images, labels, count=EIGEN):
    """Each class's mean image, first ``count`` principal directions, and the spread of
    the class's images along each.

    Returns ``(means (C, 784), bases (C, count, 784), spreads (C, count))``; the rows of
    each basis are orthonormal (from an SVD of the class's centred images), and
    ``spreads`` are standard deviations along them.
    """
    x = np.asarray(images, np.float32).reshape(len(images), -1)
    labels = np.asarray(labels).reshape(-1)
    means, bases, spreads = [], [], []
    for c in np.unique(labels):
        xc = x[labels == c]
        mean = xc.mean(axis=0)
        _, singular, vt = np.linalg.svd(xc - mean, full_matrices=False)   # rows of vt: directions
        means.append(mean)
        bases.append(vt[:count])
        spreads.append(singular[:count] / np.sqrt(max(len(xc) - 1, 1)))
    return np.stack(means), np.stack(bases), np.stack(spreads)


def eigen_distances(images, means, bases, spreads):
    """How far each picture is from each class's eigen-digits: ``(N, 2C)``.

    For class c, with ``v = x - mean_c`` and ``a = basis_c @ v`` its coordinates along the
    principal directions, two distances (as ``log(1 + d)``):

    * ``|v - basis_c.T @ a|^2``: what the eigen-digits can't draw of the picture;
    * ``sum_k (a_k / spread_ck)^2``: how unusual the part they can draw is (a
      Mahalanobis distance within the principal directions).
    """
    x = np.asarray(images, np.float32).reshape(len(images), -1)
    out = np.empty((len(x), 2 * len(means)), np.float32)
    for c, (mean, basis, spread) in enumerate(zip(means, bases, spreads)):
        centred = x - mean                                  # (N, 784)
        coords = centred @ basis.T                          # (N, k)
        residual = centred - coords @ basis                 # (N, 784)
        out[:, 2 * c] = np.log1p((residual ** 2).sum(axis=1))
        out[:, 2 * c + 1] = np.log1p(((coords / spread) ** 2).sum(axis=1))
    return out


def ink_statistics(images):
    """Per picture: ink mass, share of the frame inked, pieces of ink, closed holes: ``(N, 4)``.

    Pieces and holes are counted for the whole batch at once: ``ndimage.label`` on the
    stacked pictures with a structure that never links two pictures, so each picture's
    labels form one run of numbers, in order.
    """
    x = np.asarray(images, np.float32).reshape(-1, 28, 28)
    ink = x > INK
    within = np.zeros((3, 3, 3), bool)
    within[1] = True                                        # 8-neighbours inside one picture
    pieces = _count_per_image(*ndimage.label(ink, within))
    # Holes: pieces of paper not reached from the border (4-neighbours, as paper flows).
    paper = np.pad(~ink, ((0, 0), (1, 1), (1, 1)), constant_values=True)
    cross = np.zeros((3, 3, 3), bool)
    cross[1] = ndimage.generate_binary_structure(2, 1)
    holes = _count_per_image(*ndimage.label(paper, cross)) - 1   # minus the outside
    return np.stack([x.mean(axis=(1, 2)), (x > 0.2).mean(axis=(1, 2)), pieces, holes],
                    axis=1).astype(np.float32)


def stroke_directions(images, cells=4, bins=8):
    """Which way the strokes run, in each part of the picture: ``(N, cells * cells * bins)``.

    A histogram of oriented gradients (HOG, Dalal and Triggs, 2005), the classic
    hand-made description of handwriting: the gradient at each pixel points across the
    stroke edge; its direction (modulo 180 degrees) falls into one of ``bins`` bins and
    adds its length there, summed over each of ``cells x cells`` squares; each picture's
    histogram is then scaled to length 1.
    """
    x = np.asarray(images, np.float32).reshape(-1, 28, 28)
    gy, gx = np.gradient(x, axis=(1, 2))
    length = np.hypot(gx, gy)                                           # (N, 28, 28)
    direction = np.floor((np.arctan2(gy, gx) % np.pi) / np.pi * bins).astype(int) % bins
    votes = (direction[..., None] == np.arange(bins)) * length[..., None]   # (N, 28, 28, bins)
    side = 28 // cells
    histogram = votes.reshape(len(x), cells, side, cells, side, bins).sum(axis=(2, 4))
    histogram = histogram.reshape(len(x), -1)
    return histogram / (np.linalg.norm(histogram, axis=1, keepdims=True) + 1e-6)


def _count_per_image(labels, total):
    """How many labels each picture holds, given labels numbered picture after picture."""
    last = labels.reshape(len(labels), -1).max(axis=1)
    last = np.maximum.accumulate(last)                      # a picture without any keeps the count
    return np.diff(np.concatenate([[0], last])).astype(np.float32)


# -- the detector ----------------------------------------------------------------------------
class NoveltyDetector:
    """Scores pictures by how little they look like a digit, and refuses the worst.

    Built by :func:`fit_detector`; saved with the model through :meth:`to_settings`.

    Attributes:
        means, bases, spreads: the eigen-digits (see :func:`eigen_digits`).
        center, scale: each feature's mean and spread on the probe's training data.
        probe: the weights of the probe, ``[W1 (F, 64), b1, W2 (64, 2), b2]``.
        threshold: scores above this are "not a digit".
        info: how it was calibrated (counts, seeds, the rates measured), for reports.
    """

    def __init__(self, means, bases, spreads, center, scale, probe, threshold, info=None):
        self.means = np.asarray(means, np.float32)
        self.bases = np.asarray(bases, np.float32)
        self.spreads = np.asarray(spreads, np.float32)
        self.center = np.asarray(center, np.float32)
        self.scale = np.asarray(scale, np.float32)
        self.probe = [np.asarray(w, np.float32) for w in probe]
        self.threshold = float(threshold)
        self.info = dict(info or {})

    def features(self, model, images):
        """Everything the probe weighs, one row per picture, and the logits on the way:
        ``(features (N, F), logits (N, C))``."""
        hidden, logits = network_features(model, images)
        features = np.concatenate([hidden, logits, energy(logits)[:, None],
                                   eigen_distances(images, self.means, self.bases, self.spreads),
                                   ink_statistics(images), stroke_directions(images)], axis=1)
        return features, logits

    def scores(self, model=None, images=None, features=None):
        """The log-odds that each picture is not a digit: ``(N,)``; above ``threshold``: refused.

        Give the model and the pictures, or the features already computed."""
        f = self.features(model, images)[0] if features is None else features
        w1, b1, w2, b2 = self.probe
        h = np.maximum((f - self.center) / self.scale @ w1 + b1, 0)   # the probe: Dense + ReLU
        z = h @ w2 + b2                                                # (N, 2) logits
        return z[:, 1] - z[:, 0]

    def is_digit(self, model, images):
        return self.scores(model, images) <= self.threshold

    def to_settings(self):
        """A dict for ``model.settings["novelty"]``: float32 arrays, a threshold and the info.

        ``model.save`` stores the arrays as arrays in the model file (about 0.7 MB for an
        MLP's detector), not as JSON text.
        """
        as32 = lambda a: np.asarray(a, np.float32)   # noqa: E731
        return {"means": as32(self.means), "bases": as32(self.bases),
                "spreads": as32(self.spreads), "center": as32(self.center),
                "scale": as32(self.scale), "probe": [as32(w) for w in self.probe],
                "threshold": self.threshold, "info": self.info}

    @classmethod
    def from_settings(cls, settings):
        """The detector saved in ``model.settings["novelty"]``, every setting checked first
        (see :func:`check_settings`): a file edited by hand fails here, in one line."""
        return cls(**check_settings(settings))

    def check_model(self, model):
        """Raise :class:`ModelFileError` unless the probe weighs as many features as ``model``
        and the picture give (one blank picture is run through both to count them)."""
        given = self.features(model, np.zeros((1, 28, 28), np.float32))[0].shape[1]
        if given != len(self.center):
            raise ModelFileError(f"{DAMAGED} was made for another model: it weighs {len(self.center)} "
                                 f"features, and this model and a picture give {given}")


# -- reading the detector back from a model file ------------------------------------------------
DAMAGED = "its not-a-digit detector (settings 'novelty')"

# The arrays of a detector, each axis named: an axis's size must agree wherever its name comes
# back (the probe's features are the center's), and the sizes in SIZES are fixed.
SHAPES = {"means": ("classes", "pixels"), "bases": ("classes", "components", "pixels"),
          "spreads": ("classes", "components"), "center": ("features",), "scale": ("features",)}
PROBE_SHAPES = (("features", "units"), ("units",), ("units", "answers"), ("answers",))
SIZES = {"pixels": (28 * 28, "a 28x28 picture"), "answers": (2, "the probe's two answers")}
POSITIVE = ("spreads", "scale")   # divided by: a zero makes every score NaN


def check_settings(settings):
    """Check the settings :meth:`NoveltyDetector.to_settings` wrote, as read back from a file.

    Returns:
        the keyword arguments of :class:`NoveltyDetector`, arrays as float32.

    Raises:
        ModelFileError: a setting is missing or unknown, an array is not numbers, has a shape
            that disagrees with the others, holds NaN or infinity (or a zero it divides by),
            or the threshold is not a finite number. The message names the setting.
    """
    if not isinstance(settings, dict):
        raise ModelFileError(f"{DAMAGED} is {_kind(settings)}, not a table of settings")
    missing = [name for name in (*SHAPES, "probe", "threshold") if name not in settings]
    unknown = sorted(set(settings) - {*SHAPES, "probe", "threshold", "info"})
    if missing or unknown:
        problem = f"'{missing[0]}' is missing" if missing else f"'{unknown[0]}' is not one of its settings"
        raise ModelFileError(f"{DAMAGED} is damaged: {problem}")
    sizes = dict(SIZES)   # filled in as the arrays are read
    checked = {name: _checked_array(name, settings[name], dims, sizes) for name, dims in SHAPES.items()}
    probe = settings["probe"]
    if not isinstance(probe, (list, tuple)) or len(probe) != len(PROBE_SHAPES):
        count = (f"{len(probe)} array{'' if len(probe) == 1 else 's'}" if isinstance(probe, (list, tuple))
                 else _kind(probe))
        raise ModelFileError(f"{DAMAGED} is damaged: 'probe' must be 4 arrays (two layers' kernel "
                             f"and bias), not {count}")
    checked["probe"] = [_checked_array(f"probe[{i}]", w, dims, sizes)
                        for i, (w, dims) in enumerate(zip(probe, PROBE_SHAPES))]
    checked["threshold"] = _checked_threshold(settings["threshold"])
    info = settings.get("info")
    if info is not None and not isinstance(info, dict):
        raise ModelFileError(f"{DAMAGED} is damaged: 'info' is {_kind(info)}, not a table")
    checked["info"] = info
    return checked


def _checked_array(name, value, dims, sizes):
    """``value`` as a finite float32 array whose axes agree with ``sizes`` (which it fills
    in: ``{axis name: (size, the setting it came from)}``)."""
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError):
        raw = None
    if raw is None or raw.dtype.kind not in "iuf":
        raise ModelFileError(f"{DAMAGED} is damaged: '{name}' is not an array of numbers")
    if raw.ndim != len(dims):
        raise ModelFileError(f"{DAMAGED} is damaged: '{name}' has shape {raw.shape}, not "
                             f"({', '.join(dims)})")
    for dim, size in zip(dims, raw.shape):
        expected, source = sizes.setdefault(dim, (size, f"'{name}'"))
        if size != expected:
            raise ModelFileError(f"{DAMAGED} is damaged: '{name}' has shape {raw.shape}: {size} {dim}, "
                                 f"but {source} has {expected}")
    with np.errstate(over="ignore"):   # a float64 too large for float32 becomes inf: refused below
        array = raw.astype(np.float32)
    if not np.isfinite(array).all():
        raise ModelFileError(f"{DAMAGED} is damaged: '{name}' holds NaN or infinite values")
    if name in POSITIVE and not (array > 0).all():
        raise ModelFileError(f"{DAMAGED} is damaged: '{name}' holds zeros or negative values "
                             f"(it divides by them)")
    return array


def _checked_threshold(value):
    """The threshold as a float, or a ModelFileError: it must be one finite number."""
    number = np.asarray(value) if isinstance(value, (int, float, np.number, np.ndarray)) else None
    if number is None or isinstance(value, bool) or number.ndim or number.dtype.kind not in "iuf":
        raise ModelFileError(f"{DAMAGED} is damaged: 'threshold' is {value!r}, not a number")
    if not np.isfinite(number):
        raise ModelFileError(f"{DAMAGED} is damaged: 'threshold' is {float(number)}, not a finite number")
    return float(number)


def _kind(value):
    """What a JSON value is, in words: "a list", "text", "a number"..."""
    kinds = {list: "a list", tuple: "a list", str: "text", bool: "true or false", int: "a number",
             float: "a number", dict: "a table", type(None): "null"}
    return kinds.get(type(value), f"a {type(value).__name__}")


def detector_for(model):
    """The detector saved with ``model``, or raise :class:`NoDetectorError`.

    Its settings are checked the first time (:func:`check_settings`, then
    :meth:`NoveltyDetector.check_model`): a damaged detector raises :class:`ModelFileError`.
    """
    settings = (getattr(model, "settings", None) or {}).get("novelty")
    if not settings:
        raise NoDetectorError(f"model '{model.name}' was saved without a not-a-digit detector; "
                              f"train it again with this version of glassnet")
    parsed = getattr(model, "_novelty", None)   # (the settings it was parsed from, the detector)
    if parsed is None or parsed[0] is not settings:
        detector = NoveltyDetector.from_settings(settings)
        detector.check_model(model)
        model._novelty = parsed = (settings, detector)
    return parsed[1]


def judge(model, images, detector=None, unsure_below=UNSURE_BELOW):
    """What the command line and the drawing page answer for each picture.

    Args:
        model: an MNIST-sized classifier.
        images: ``(N, 28, 28)`` pictures as ``to_mnist`` makes them.
        detector: a :class:`NoveltyDetector` (default: the one saved with the model).
        unsure_below: a digit guessed with less confidence than this is "unsure".

    Returns:
        ``(probabilities (N, C), status)``, status a list of ``"ok"``, ``"unsure"`` or
        ``"not_a_digit"``.
    """
    detector = detector or detector_for(model)
    images = np.asarray(images, np.float32).reshape(-1, 28, 28)
    features, logits = detector.features(model, images)
    probabilities = softmax(logits)
    digit = detector.scores(features=features) <= detector.threshold
    confident = probabilities.max(axis=1) >= unsure_below
    status = np.where(~digit, "not_a_digit", np.where(confident, "ok", "unsure"))
    return probabilities, status.tolist()


def leave_out_nondigits(model, reading, detector=None):
    """A number's reading without the marks that are not digits.

    Each digit of ``reading`` (a :class:`~glassnet.workbench.reader.Reading`), as the
    network saw it, is judged by the detector; those it refuses are taken out of the text,
    the digits, the boxes and the whole number's confidence.

    Returns:
        ``(reading, left_out)``: the reading of the digits kept (``reading`` itself when
        none was refused), and one dict per mark left out, ``{"box": [x0, y0, x1, y1],
        "guess": digit, "confidence": p}`` (what the network would have read).
    """
    from dataclasses import replace
    detector = detector or detector_for(model)
    if not reading.digits:
        return reading, []
    digit = detector.scores(model, reading.images) <= detector.threshold
    if digit.all():
        return reading, []
    left_out = [{"box": [int(v) for v in reading.boxes[i]], "guess": reading.digits[i],
                 "confidence": round(float(reading.confidences[i]), 4)} for i in np.flatnonzero(~digit)]
    keep = np.flatnonzero(digit)
    kept = lambda values: [values[i] for i in keep]   # noqa: E731
    confidences = kept(reading.confidences)
    return replace(reading, text="".join(str(d) for d in kept(reading.digits)), digits=kept(reading.digits),
                   confidences=confidences, confidence=float(np.prod(confidences)),
                   boxes=kept(reading.boxes), probabilities=reading.probabilities[keep],
                   images=reading.images[keep]), left_out


# -- calibration ------------------------------------------------------------------------------
def fit_detector(model, x_train, y_train, x_val, y_val, nondigits=4000, photos=3000, seed=0,
                 reject_digits=REJECT_DIGITS, fonts="calibration", cache=True, verbose=False,
                 held_out=None, note=None):
    """Build a :class:`NoveltyDetector` for ``model``, calibrated on data made here.

    Args:
        model: the trained classifier.
        x_train, y_train: its training digits (float 0..1): for the eigen-digits.
        x_val, y_val: digits it was *not* trained on (its validation split): half of them
            teach the probe what a digit looks like, the other half set the threshold.
        nondigits: generated non-digits to teach the probe (2/3 of them photographed).
        photos: held-out digits photographed as a user would (half for each job); at
            most a third of ``x_val``, so that two thirds are left as they are.
        seed: the seed of every picture made here; a benchmark must score others.
        reject_digits: the share of held-out digits the threshold refuses.
        fonts: the fonts of the generated text (see :func:`make_nondigits`).
        cache: keep the generated non-digits and the photographed digits in the user's
            cache folder for next time (see :func:`calibration_nondigits`).
        verbose: print each step and the rates measured.
        held_out: what ``x_val`` is, in words, for ``info`` (e.g. "the validation split").
        note: told (e.g. ``print``) when the non-digits must be made, which takes a while
            the first time; ``verbose`` tells it too.

    Returns:
        :class:`NoveltyDetector`, its ``info`` holding what was measured.
    """
    from glassnet.engine import naming
    from glassnet.engine.layers import Dense
    from glassnet.engine.model import Sequential
    say = print if verbose else (lambda *args, **kwargs: None)
    rng = np.random.default_rng(seed)
    x_train, x_val = (np.asarray(a, np.float32).reshape(-1, 28, 28) for a in (x_train, x_val))
    y_train = np.asarray(y_train).reshape(-1)

    # The eigen-digits: at most 2,000 training digits per class are plenty.
    keep = np.concatenate([rng.permutation(np.flatnonzero(y_train == c))[:2000]
                           for c in np.unique(y_train)])
    detector = NoveltyDetector(*eigen_digits(x_train[keep], y_train[keep], EIGEN), 0, 1, [], 0.0)

    photos = min(photos, len(x_val) // 3)
    say(f"making {nondigits:,} non-digits and {photos:,} photos of held-out digits ...")
    note = note or (say if verbose else None)
    fake = calibration_nondigits(nondigits, seed, fonts, cache, say=note)
    order = rng.permutation(len(x_val))
    shots = photographed_digits(x_val[order[:photos]], np.random.default_rng([seed, 1]), cache, say=note)
    rest = order[photos:]
    raw_fit, raw_set = x_val[rest[:len(rest) // 2]], x_val[rest[len(rest) // 2:]]
    shots_fit, shots_set = shots[:photos // 2], shots[photos // 2:]
    digits_fit = np.concatenate([raw_fit, shots_fit])

    # The probe: digits (0) against non-digits (1), each class weighted alike by
    # repeating the rarer one.
    positives = detector.features(model, digits_fit)[0]
    negatives = detector.features(model, fake)[0]
    features = np.concatenate([positives, negatives])
    detector.center = features.mean(axis=0)
    detector.scale = features.std(axis=0) + 1e-6
    labels = np.r_[np.zeros(len(positives), int), np.ones(len(negatives), int)]
    ratio = max(1, round(len(negatives) / len(positives)))
    rows = np.r_[np.tile(np.arange(len(positives)), ratio), len(positives) + np.arange(len(negatives))]
    with naming.hidden():     # glassnet's own layers: they don't number the next ones you make
        probe = Sequential([Dense(PROBE_UNITS, activation="relu", input_shape=(features.shape[1],)),
                            Dense(2, activation="softmax")], name="not_a_digit_probe", seed=seed)
    probe.compile("adam", "sparse_categorical_crossentropy")
    say(f"training the probe on {len(positives):,} digits and {len(negatives):,} non-digits ...")
    probe.fit((features[rows] - detector.center) / detector.scale, labels[rows], epochs=PROBE_EPOCHS,
              batch_size=64, verbose=0)
    detector.probe = [layer.params[k].copy() for layer in probe.layers for k in ("kernel", "bias")]

    # The threshold: refuse ``reject_digits`` of the other held-out digits as they are,
    # and at most twice that share of the photographed ones, whichever is stricter.
    raw_scores, shot_scores = detector.scores(model, raw_set), detector.scores(model, shots_set)
    detector.threshold = float(max(np.quantile(raw_scores, 1 - reject_digits),
                                   np.quantile(shot_scores, 1 - 2 * reject_digits)))
    fake_scores = detector.scores(features=negatives)
    detector.info = {"held_out": held_out or f"{len(x_val):,} digits the model did not train on",
                     "reject_digits": reject_digits, "seed": seed, "fonts": fonts,
                     "nondigits": int(len(fake)), "digits_fit": int(len(digits_fit)),
                     "digits_threshold": int(len(raw_set) + len(shots_set)), "photos": int(photos),
                     "refused_digits": float(np.mean(raw_scores > detector.threshold)),
                     "refused_photos": float(np.mean(shot_scores > detector.threshold)),
                     "refused_nondigits_fit": float(np.mean(fake_scores > detector.threshold))}
    say(f"threshold {detector.threshold:.3f}: refuses {reject_digits:.1%} of held-out digits, "
        f"{detector.info['refused_nondigits_fit']:.1%} of the non-digits it was fitted on")
    return detector


_CALIBRATION = {}     # made in this process, by (count, seed, fonts)
GENERATOR_VERSION = 1  # change when the generators change, so that old caches are not reused


def calibration_nondigits(count, seed, fonts="calibration", cache=True, say=None):
    """``count`` generated non-digits as ``to_mnist`` sees them: ``(count, 28, 28)`` float32.

    Two in three are photographed (:func:`glassnet.datasets.photos.photograph`), the rest
    go straight to ``to_mnist`` as a drawing would. Making them takes half a minute or
    more; they don't depend on the model, so they are kept for the rest of the process and,
    with ``cache``, in the user's cache folder (``~/.cache/glassnet/nondigits``) for the
    next. ``say`` (e.g. ``print``) is told when they must be made.
    """
    from glassnet.datasets.nondigits import font_files
    files = font_files(fonts) if isinstance(fonts, str) else list(fonts)
    key = (count, seed, tuple(files))
    if key not in _CALIBRATION:
        tag = hashlib.sha1(repr((GENERATOR_VERSION, [os.path.basename(f) for f in files])).encode())
        name = f"nondigits-{count}-{seed}-{tag.hexdigest()[:10]}.npy"
        _CALIBRATION[key] = _kept(name, lambda: make_calibration_nondigits(count, seed, files), cache,
                                  say, f"making {count:,} pictures that are not digits")
    return _CALIBRATION[key]


def _kept(name, make, cache, say=None, making=None):
    """``make()``'s array, read from ``~/.cache/glassnet/nondigits/<name>`` when it was kept
    there before; made (and, with ``cache``, kept) otherwise. A cache that can't be read
    or written is no error: the array is made, as right as ever."""
    path = None
    if cache:
        from glassnet.datasets.download import cache_dir
        path = cache_dir("nondigits") / name
        if path.is_file():
            try:
                return np.load(path)
            except (OSError, ValueError):
                pass   # a damaged cache file is made again
    if say and making:
        where = f"; kept in {path.parent} for next time" if path is not None else ""
        say(f"{making} (once{where}) ...")
    array = make()
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(".part.npy")
            np.save(temporary, array)
            os.replace(temporary, path)
        except OSError:
            pass
    return array


def make_calibration_nondigits(count, seed, fonts):
    """What :func:`calibration_nondigits` keeps: made anew."""
    from glassnet.datasets.nondigits import make_nondigits
    from glassnet.datasets.photos import photographed_mnist
    from glassnet.workbench.preprocess import BlankImageError, to_mnist
    made = make_nondigits(count, seed=seed, fonts=fonts)
    rng = np.random.default_rng(seed)
    photographed = rng.random(count) < 2 / 3
    images, readable = photographed_mnist(made.images[photographed], rng)
    drawn = []
    for picture in made.images[~photographed]:
        try:
            drawn.append(to_mnist(picture))
        except BlankImageError:
            pass
    return np.concatenate([images[readable], np.reshape(drawn, (-1, 28, 28))]).astype(np.float32)


def photographed_digits(digits, rng, cache=False, say=None):
    """Digits (float 0..1, light on dark) photographed and read back by ``to_mnist``.

    A photo ``to_mnist`` finds blank is replaced by the digit as it is. With ``cache``, the
    photos are kept in the user's cache folder, named by the digits and the random
    stream's state (they take about 8 ms each to make, and every model trained on the same
    MNIST split photographs the same held-out digits). ``say`` is told when they are made.
    """
    from glassnet.datasets.photos import photographed_mnist
    digits = np.asarray(digits, np.float32).reshape(-1, 28, 28)

    def make():
        images, readable = photographed_mnist(digits, rng)
        images[~readable] = digits[~readable]
        return images

    if not cache:
        return make()
    tag = hashlib.sha1(digits.tobytes() + repr((GENERATOR_VERSION, rng.bit_generator.state)).encode())
    return _kept(f"photos-{len(digits)}-{tag.hexdigest()[:16]}.npy", make, cache, say,
                 f"photographing {len(digits):,} held-out digits")


def tradeoff(digit_scores, nondigit_scores, points=200):
    """The trade-off curve: for thresholds from strict to lax, ``(thresholds,
    refused_digits, refused_nondigits)``, each ``(points,)``, shares in 0..1."""
    digit_scores, nondigit_scores = np.asarray(digit_scores), np.asarray(nondigit_scores)
    both = np.concatenate([digit_scores, nondigit_scores])
    thresholds = np.quantile(both, np.linspace(0, 1, points))
    refused_digits = (digit_scores[None, :] > thresholds[:, None]).mean(axis=1)
    refused_nondigits = (nondigit_scores[None, :] > thresholds[:, None]).mean(axis=1)
    return thresholds, refused_digits, refused_nondigits
