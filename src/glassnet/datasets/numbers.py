"""Whole handwritten numbers, composed from MNIST test digits, for testing number reading.

A plain network that reads one digit well can still "drop heavily" on a whole number: the
digits touch, a stroke breaks in two, the gaps are uneven. This module makes such numbers
on demand, with the right answer attached::

    from glassnet.datasets import numbers
    data = numbers.make_numbers(1000, length=7, seed=0)
    data.images.shape    # (1000, H, W) uint8: dark ink on light paper, like a scan
    data.labels[0]       # '5032917', the digits written, left to right
    data.boxes[0]        # (7, 4) ink box of each digit: x0, y0, x1, y1 (ends exclusive)

Every number is drawn from the MNIST **test** digits only, so a model trained on the
training set has never seen any of them. How a number is written:

* each digit is scaled (the whole number by 1.0-1.8x, each digit by another 0.9-1.1x) and
  moved up or down a little from the common baseline;
* the gap between the ink of two neighbours is uneven, and about one gap in ten
  (``touching=0.1``) is zero or negative, so those digits touch or overlap slightly
  (their ink boxes by up to ``overlap=0.06`` of the 28-pixel MNIST frame);
* the ink is dark on light paper, with an uneven paper tone, a faint lighting gradient
  and a little sensor noise.

The same ``seed`` gives the same numbers, pixel for pixel. All numbers of one call share
one image size (the widest number sets it; the others have blank paper on the right).
"""

from dataclasses import dataclass, field

import numpy as np

from glassnet.errors import DataError

NUMBER_SCALE = (1.0, 1.8)   # the size of a whole number, times MNIST's
DIGIT_SCALE = (0.9, 1.1)    # and of each digit within it
BASELINE_JITTER = 0.1       # up or down, as a fraction of the 28-pixel MNIST frame
GAP = (0.1, 0.5)            # a normal gap between two digits' ink, in MNIST frames (28 px)
MARGIN = 8                  # blank paper around the number, in pixels


@dataclass
class Numbers:
    """Number images and their answers.

    Attributes:
        images: uint8 ``(count, height, width)``, dark ink on light paper.
        labels: the digit strings, e.g. ``"0451"``.
        boxes: int ``(count, length, 4)``, each digit's ink box ``(x0, y0, x1, y1)``.
        touching: bool ``(count, length - 1)``, True where the gap after a digit was drawn
            as touching or overlapping.
        sources: int ``(count, length)``, which of the given digits each one is (for MNIST:
            its index in the test set).
    """

    images: np.ndarray = field(repr=False)
    labels: list = field(repr=False)
    boxes: np.ndarray = field(repr=False)
    touching: np.ndarray = field(repr=False)
    sources: np.ndarray = field(repr=False)

    def __len__(self):
        return len(self.labels)


def make_numbers(count=1000, length=7, seed=0, path=None, touching=0.1, overlap=0.06):
    """``count`` numbers of ``length`` digits each, from the MNIST test digits.

    Args:
        count: how many numbers.
        length: digits per number.
        seed: the same seed gives the same images.
        path: folder with the MNIST files (see :func:`glassnet.datasets.mnist.load_data`).
        touching: the chance that a gap is drawn as touching or overlapping.
        overlap: how far touching ink boxes may overlap, as a fraction of MNIST's frame.

    Returns:
        :class:`Numbers`.
    """
    from glassnet.datasets import mnist

    (_, _), (x_test, y_test) = mnist.load_data(path)
    return compose(x_test, y_test, count, length=length, seed=seed, touching=touching, overlap=overlap)


def compose(digits, labels, count, length=7, seed=0, touching=0.1, overlap=0.06):
    """Write ``count`` numbers with digits drawn (with replacement) from ``digits``.

    Args:
        digits: uint8 ``(N, 28, 28)`` MNIST-style digits, light ink on black.
        labels: ``(N,)`` their labels, 0-9.
        count, length, seed, touching, overlap: as in :func:`make_numbers`.
    """
    digits, labels = np.asarray(digits), np.asarray(labels)
    if digits.ndim != 3 or digits.shape[1:] != (28, 28) or len(digits) != len(labels) or not len(digits):
        raise DataError(f"compose: expected digits of shape (N, 28, 28) and N labels, "
                        f"got {digits.shape} and {labels.shape}")
    for name, value in (("count", count), ("length", length)):
        if int(value) != value or value < 1:
            raise ValueError(f"compose: {name} must be a positive whole number, got {value!r}")
    if not 0 <= touching <= 1:
        raise ValueError(f"compose: touching must be in [0, 1], got {touching!r}")
    if not 0 <= overlap <= 0.5:
        raise ValueError(f"compose: overlap must be in [0, 0.5], got {overlap!r}")
    count, length = int(count), int(length)
    rng = np.random.default_rng(seed)

    # 1. Choose the digits, and how big each one is written.
    pick = rng.integers(len(digits), size=(count, length))
    scale = rng.uniform(*NUMBER_SCALE, size=(count, 1)) * rng.uniform(*DIGIT_SCALE, size=(count, length))
    size = int(np.ceil(28 * NUMBER_SCALE[1] * DIGIT_SCALE[1]))  # every scaled tile fits in size x size
    tiles = scale_digits(digits[pick.ravel()] / np.float32(255), scale.ravel(), size)
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
    max_jitter = int(np.ceil(BASELINE_JITTER * 28 * NUMBER_SCALE[1] * DIGIT_SCALE[1]))
    y = MARGIN + max_jitter + jitter
    x = np.empty((count, length), dtype=int)
    cursor = MARGIN + rng.integers(0, MARGIN, size=count)   # where the next digit's ink begins
    for k in range(length):
        x[:, k] = cursor - left[:, k]
        cursor = x[:, k] + right[:, k] + np.rint(gap[:, k]).astype(int)
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
        ink[number, r, c] = np.maximum(ink[number, r, c], tiles[:, k])

    images = _on_paper(ink, rng)
    boxes = np.stack([x + left, y + top, x + right, y + bottom], axis=-1)
    text = [''.join(map(str, row)) for row in labels[pick].astype(int)]
    return Numbers(images, text, boxes, gap[:, :-1] <= 0, pick)


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
