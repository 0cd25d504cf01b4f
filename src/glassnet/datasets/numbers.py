"""Whole handwritten numbers, composed from MNIST digits, for testing and training number reading.

A plain network that reads one digit well can still "drop heavily" on a whole number: the
digits touch, a stroke breaks in two, the gaps are uneven. This module makes such numbers
on demand, with the right answer attached::

    from glassnet.datasets import numbers
    data = numbers.make_numbers(1000, length=7, seed=0)
    data.images.shape    # (1000, H, W) uint8: dark ink on light paper, like a scan
    data.labels[0]       # '5032917', the digits written, left to right
    data.boxes[0]        # (7, 4) ink box of each digit: x0, y0, x1, y1 (ends exclusive)

By default every number is drawn from the MNIST **test** digits only, so a model trained
on the training set has never seen any of them. ``split="train"`` draws from the training
digits instead: that is what a line reader learns from (never from test digits)::

    train = numbers.make_numbers(5000, length=(1, 10), split="train", seed=1, **numbers.TRAINING)

How a number is written:

* each digit is scaled (the whole number by 1.0-1.8x, each digit by another 0.9-1.1x) and
  moved up or down a little from the common baseline;
* the gap between the ink of two neighbours is uneven, and about one gap in ten
  (``touching=0.1``) is zero or negative, so those digits touch or overlap slightly
  (their ink boxes by up to ``overlap=0.06`` of the 28-pixel MNIST frame);
* the ink is dark on light paper, with an uneven paper tone, a faint lighting gradient
  and a little sensor noise.

The training style (:data:`TRAINING`) varies more: 1 to 10 digits, a third of the gaps
touching and overlapping by up to an eighth of the frame, a slant (each number leans by
up to ``slant`` pixels per pixel of height) and a pen (``stroke``: from thin to bold).
:data:`HARDER` is the benchmark's harder test: half the gaps touching, overlapping more.

The same ``seed`` gives the same numbers, pixel for pixel, and the default arguments give
the same numbers as every earlier version. All numbers of one call share one image size
(the widest number sets it; the others have blank paper on the right).
"""

from dataclasses import dataclass, field

import numpy as np

from glassnet.errors import DataError

NUMBER_SCALE = (1.0, 1.8)   # the size of a whole number, times MNIST's
DIGIT_SCALE = (0.9, 1.1)    # and of each digit within it
BASELINE_JITTER = 0.1       # up or down, as a fraction of the 28-pixel MNIST frame
GAP = (0.1, 0.5)            # a normal gap between two digits' ink, in MNIST frames (28 px)
MARGIN = 8                  # blank paper around the number, in pixels

# The benchmark's harder variant: many more touching digits, overlapping further.
HARDER = dict(touching=0.5, overlap=0.12)
# How a line reader's training numbers are written: see the module docstring.
TRAINING = dict(touching=0.35, overlap=0.12, slant=0.3, stroke=0.6)


@dataclass
class Numbers:
    """Number images and their answers.

    Attributes:
        images: uint8 ``(count, height, width)``, dark ink on light paper (or, made with
            ``paper=False``, float32 ink amounts 0..1, light on black).
        labels: the digit strings, e.g. ``"0451"``.
        boxes: int ``(count, length, 4)``, each digit's ink box ``(x0, y0, x1, y1)``
            (``length`` is the longest number's; a shorter number's unused rows are -1).
        touching: bool ``(count, length - 1)``, True where the gap after a digit was drawn
            as touching or overlapping.
        sources: int ``(count, length)``, which of the given digits each one is (for MNIST:
            its index in the test or training set; -1 past a shorter number's end).
    """

    images: np.ndarray = field(repr=False)
    labels: list = field(repr=False)
    boxes: np.ndarray = field(repr=False)
    touching: np.ndarray = field(repr=False)
    sources: np.ndarray = field(repr=False)

    def __len__(self):
        return len(self.labels)


def make_numbers(count=1000, length=7, seed=0, path=None, touching=0.1, overlap=0.06, split="test",
                 **style):
    """``count`` numbers of ``length`` digits each, from the MNIST test (or training) digits.

    Args:
        count: how many numbers.
        length: digits per number, or ``(fewest, most)`` for lengths drawn evenly between.
        seed: the same seed gives the same images.
        path: folder with the MNIST files (see :func:`glassnet.datasets.mnist.load_data`).
        touching: the chance that a gap is drawn as touching or overlapping.
        overlap: how far touching ink boxes may overlap, as a fraction of MNIST's frame.
        split: ``"test"`` (the default: for measuring) or ``"train"`` (for training).
        style: ``scale``, ``slant``, ``stroke``, ``paper``: see :func:`compose`.

    Returns:
        :class:`Numbers`.
    """
    from glassnet.datasets import mnist

    if split not in ("test", "train"):
        raise ValueError(f"make_numbers: split must be 'test' or 'train', got {split!r}")
    (x_train, y_train), (x_test, y_test) = mnist.load_data(path)
    digits, labels = (x_test, y_test) if split == "test" else (x_train, y_train)
    return compose(digits, labels, count, length=length, seed=seed, touching=touching,
                   overlap=overlap, **style)


def compose(digits, labels, count, length=7, seed=0, touching=0.1, overlap=0.06,
            scale=NUMBER_SCALE, slant=0.0, stroke=0.0, paper=True):
    """Write ``count`` numbers with digits drawn (with replacement) from ``digits``.

    Args:
        digits: uint8 ``(N, 28, 28)`` MNIST-style digits, light ink on black.
        labels: ``(N,)`` their labels, 0-9.
        count, length, seed, touching, overlap: as in :func:`make_numbers`.
        scale: ``(smallest, largest)`` size of a whole number, times MNIST's.
        slant: each number leans by a shear drawn from ``[-slant, slant]`` (pixels to the
            right per pixel up), each digit by a little more or less.
        stroke: each number's pen, drawn from ``[-stroke, stroke]``: above 0 bolder (up to
            a pixel all round), below 0 thinner (faint edges fade).
        paper: False skips the paper: ``images`` are then float32 ink amounts (0..1, light
            on black), as :func:`~glassnet.workbench.preprocess.ink_image` would make of a
            scan, and composing is several times faster (for training).
    """
    digits, labels = np.asarray(digits), np.asarray(labels)
    if digits.ndim != 3 or digits.shape[1:] != (28, 28) or len(digits) != len(labels) or not len(digits):
        raise DataError(f"compose: expected digits of shape (N, 28, 28) and N labels, "
                        f"got {digits.shape} and {labels.shape}")
    lengths = tuple(length) if isinstance(length, (tuple, list)) else (length, length)
    for name, value in (("count", count), ("length", lengths[0]), ("length", lengths[1])):
        if int(value) != value or value < 1:
            raise ValueError(f"compose: {name} must be a positive whole number, got {value!r}")
    if len(lengths) != 2 or lengths[0] > lengths[1]:
        raise ValueError(f"compose: length must be a number or (fewest, most), got {length!r}")
    if not 0 <= touching <= 1:
        raise ValueError(f"compose: touching must be in [0, 1], got {touching!r}")
    if not 0 <= overlap <= 0.5:
        raise ValueError(f"compose: overlap must be in [0, 0.5], got {overlap!r}")
    if len(scale) != 2 or not 0.25 <= scale[0] <= scale[1] <= 4:
        raise ValueError(f"compose: scale must be (smallest, largest) within 0.25..4, got {scale!r}")
    if not 0 <= slant <= 1 or not 0 <= stroke <= 1:
        raise ValueError(f"compose: slant and stroke must be in [0, 1], got {slant!r} and {stroke!r}")
    count, length = int(count), int(lengths[1])
    rng = np.random.default_rng(seed)
    # What the first version did not draw (lengths, slant, pen) comes from a second stream,
    # so that the same seed still gives the same benchmark numbers.
    style = rng.spawn(1)[0]

    # 1. Choose the digits, and how big each one is written.
    pick = rng.integers(len(digits), size=(count, length))
    scale_range = tuple(float(v) for v in scale)
    scale = rng.uniform(*scale_range, size=(count, 1)) * rng.uniform(*DIGIT_SCALE, size=(count, length))
    size = int(np.ceil(28 * scale_range[1] * DIGIT_SCALE[1]))  # every scaled tile fits in size x size
    # Each number's own length; only the digits written are drawn (the rest stay black).
    used = np.arange(length) < style.integers(lengths[0], lengths[1] + 1, size=(count, 1)) \
        if lengths[0] < lengths[1] else np.ones((count, length), bool)
    drawn = used.ravel()
    tiles = np.zeros((count * length, size, size), np.float32)
    tiles[drawn] = scale_digits(digits[pick.ravel()[drawn]] / np.float32(255), scale.ravel()[drawn], size)
    if slant:
        lean = style.uniform(-slant, slant, size=(count, 1)) + style.uniform(-slant, slant, size=(count, length)) / 4
        tiles[drawn] = shear(tiles[drawn], np.clip(lean, -1, 1).ravel()[drawn])
    if stroke:
        tiles[drawn] = pen(tiles[drawn], np.repeat(style.uniform(-stroke, stroke, size=count), length)[drawn])
    tiles = tiles.reshape(count, length, size, size)

    # 2. Where each tile's ink starts and ends, so gaps are measured between the ink.
    cols, rows = tiles.max(axis=2) > 0.25, tiles.max(axis=3) > 0.25    # (count, length, size)
    left, right = cols.argmax(axis=2), size - cols[..., ::-1].argmax(axis=2)
    top, bottom = rows.argmax(axis=2), size - rows[..., ::-1].argmax(axis=2)

    # 3. Lay the digits out left to right: uneven gaps, a few touching, a jittered baseline.
    frame = 28 * scale
    gap = np.where(rng.random((count, length)) < touching,
                   rng.uniform(-overlap, 0, size=(count, length)),
                   rng.uniform(*GAP, size=(count, length))) * frame
    jitter = np.rint(rng.uniform(-1, 1, size=(count, length)) * BASELINE_JITTER * frame).astype(int)
    max_jitter = int(np.ceil(BASELINE_JITTER * 28 * scale_range[1] * DIGIT_SCALE[1]))
    y = MARGIN + max_jitter + jitter
    x = np.empty((count, length), dtype=int)
    cursor = MARGIN + rng.integers(0, MARGIN, size=count)   # where the next digit's ink begins
    for k in range(length):
        x[:, k] = cursor - left[:, k]
        step = x[:, k] + right[:, k] + np.rint(gap[:, k]).astype(int)
        cursor = np.where(used[:, k], step, cursor)   # past a number's end: nothing more
    height = size + 2 * (MARGIN + max_jitter)
    width = int((x + size).max()) + MARGIN

    # 4. Paste the tiles, one digit position at a time for all numbers at once. Where two
    #    digits overlap the darker ink wins, as it does on paper.
    ink = np.zeros((count, height, width), np.float32)
    number = np.arange(count)[:, None, None]
    span = np.arange(size)
    for k in range(length):
        r = y[:, k, None, None] + span[None, :, None]                  # (count, size, 1)
        c = x[:, k, None, None] + span[None, None, :]                  # (count, 1, size)
        ink[number, r, c] = np.maximum(ink[number, r, c], tiles[:, k] * used[:, k, None, None])

    images = _on_paper(ink, rng) if paper else ink
    boxes = np.stack([x + left, y + top, x + right, y + bottom], axis=-1)
    text = [''.join(str(d) for d, u in zip(row, keep) if u) for row, keep in zip(labels[pick].astype(int), used)]
    boxes[~used] = -1
    touching = (gap[:, :-1] <= 0) & used[:, 1:]
    return Numbers(images, text, boxes, touching, np.where(used, pick, -1))


def shear(tiles, lean):
    """Slant each tile: row ``r`` moves right by ``lean * (middle - r)`` pixels (the top
    leans right for ``lean > 0``), blending the two nearest columns.

    A row moves as a whole, so it is a whole-pixel shift ``k`` and one blend fraction:
    ``out[row] = (1 - frac) * tile[row, col - k] + frac * tile[row, col - k - 1]``. The
    shifted rows are read as windows of a black-padded copy, one row at a time for all
    the tiles together.

    Args:
        tiles: float ``(N, size, size)``; lean: ``(N,)``.
    """
    n, size, _ = tiles.shape
    shift = lean[:, None] * ((size - 1) / 2 - np.arange(size))[None, :]     # (N, rows)
    whole = np.floor(shift).astype(int)
    frac = (shift - whole).astype(np.float32)[:, :, None]
    pad = int(np.abs(whole).max(initial=0)) + 1
    padded = np.zeros((n, size, size + 2 * pad + 1), np.float32)
    padded[:, :, pad + 1:pad + 1 + size] = tiles
    windows = np.lib.stride_tricks.sliding_window_view(padded, size + 1, axis=2)  # (N, rows, starts, size+1)
    rows = windows[np.arange(n)[:, None], np.arange(size)[None, :], pad - whole]   # (N, rows, size+1)
    # rows[..., c + 1] is tile[row, c - k], rows[..., c] is tile[row, c - k - 1].
    return (1 - frac) * rows[..., 1:] + frac * rows[..., :-1]


def pen(tiles, weight):
    """A bolder or thinner pen: ``weight > 0`` spreads the ink by up to a pixel all round
    (a 3x3 maximum, blended in by ``weight``), ``weight < 0`` fades the faint edges
    (``ink ** (1 + 2 |weight|)``), so strokes look thinner.

    Args:
        tiles: float ``(N, size, size)`` in 0..1; weight: ``(N,)`` in -1..1.
    """
    bold = tiles.copy()
    for axis in (1, 2):                      # a 3x3 maximum, as two 3-wide passes
        spread = bold.copy()
        ahead = [slice(None)] * 3
        behind = [slice(None)] * 3
        ahead[axis], behind[axis] = slice(1, None), slice(None, -1)
        np.maximum(spread[tuple(ahead)], bold[tuple(behind)], out=spread[tuple(ahead)])
        np.maximum(spread[tuple(behind)], bold[tuple(ahead)], out=spread[tuple(behind)])
        bold = spread
    w = weight.astype(np.float32)[:, None, None]
    thicker = tiles + np.maximum(w, 0) * (bold - tiles)
    return np.where(w < 0, tiles ** (1 + 2 * np.abs(w)), thicker)


def scale_digits(images, scales, size):
    """Scale each image about its centre by its own factor, into ``size x size`` tiles.

    Bilinear interpolation is separable, so scaling image ``i`` is two small matrix
    products, ``W_i @ image_i @ W_i.T``, where row ``j`` of ``W_i`` holds the weights of the
    two source pixels either side of where output pixel ``j`` comes from. One batched
    ``matmul`` then scales every image at once.

    Args:
        images: float ``(N, h, h)``; scales: ``(N,)``; size: the output side.

    Returns:
        float32 ``(N, size, size)``.
    """
    n, h = len(images), images.shape[1]
    # Output pixel j's centre maps back to this (fractional) source position.
    source = (np.arange(size) + 0.5 - size / 2) / scales[:, None] + h / 2 - 0.5    # (N, size)
    low = np.floor(source).astype(int)
    frac = (source - low).astype(np.float32)
    weights = np.zeros((n, size, h), np.float32)
    sample, out = np.arange(n)[:, None], np.arange(size)[None, :]
    for index, weight in ((low, 1 - frac), (low + 1, frac)):
        inside = (index >= 0) & (index < h)   # beyond the edge the digit is black anyway
        weights[sample, out, np.clip(index, 0, h - 1)] += np.where(inside, weight, 0)
    return weights @ images.astype(np.float32) @ weights.transpose(0, 2, 1)


def _on_paper(ink, rng):
    """Ink amounts 0..1 -> uint8 dark ink on light, unevenly lit, slightly noisy paper.

    Works in place on ``ink`` in float32: a thousand numbers are tens of millions of pixels.
    """
    count, height, width = ink.shape
    paper = rng.uniform(200, 250, size=(count, 1, 1)).astype(np.float32)
    pen = rng.uniform(0, 60, size=(count, 1, 1)).astype(np.float32)
    # A faint lighting gradient across the page, as in a phone photo: up to +-12 levels.
    slope = rng.uniform(-12, 12, size=(count, 1, 1)).astype(np.float32)
    light = slope * np.linspace(-1, 1, width, dtype=np.float32)[None, None, :]
    pixels = ink
    pixels *= pen - paper                                  # the ink darkens the paper ...
    pixels += paper + light                                # ... which is unevenly lit ...
    pixels += rng.standard_normal(ink.shape, dtype=np.float32) * np.float32(3)   # ... and noisy
    np.clip(pixels, 0, 255, out=pixels)
    return np.rint(pixels, out=pixels).astype(np.uint8)
