"""What the line reader (:mod:`glassnet.workbench.line_reader`) learns from: numbers composed
from MNIST **training** digits, made into strips exactly as reading makes them
(:func:`training_strips`), and their texts as the padded labels CTC trains on
(:func:`encode_labels`).
"""

import numpy as np

from glassnet.workbench.strips import BAND, HEIGHT, WIDTH, ink_band, to_strip

LONGER = 1.0        # training numbers of n digits are drawn with probability ~ n ** LONGER


def encode_labels(texts, length=None, name="labels"):
    """Digit strings -> the padded label array CTC trains on: ``["407", "12"]`` ->
    ``[[4, 0, 7], [1, 2, -1]]``.

    Raises:
        DataError: a label that is empty or holds anything but the digits 0-9, named.
    """
    from glassnet.errors import DataError

    texts = [str(text) for text in texts]
    for i, text in enumerate(texts):
        bad = next((c for c in text if c not in "0123456789"), None)
        if bad is not None or not text:
            raise DataError(f"{name}: label {i} ({text!r}) " + (f"has {bad!r}, not a digit 0-9"
                            if bad is not None else "is empty; a number has at least one digit"))
    length = max((len(t) for t in texts), default=0) if length is None else length
    if any(len(t) > length for t in texts):
        raise DataError(f"{name}: a label is longer than {length} digits")
    out = np.full((len(texts), length), -1, dtype=np.int64)
    for i, text in enumerate(texts):
        out[i, :len(text)] = [int(c) for c in text]
    return out



def training_strips(count, seed=0, path=None, width=WIDTH, digits=None, lengths=(1, 10), on_paper=0.25,
                    longer=LONGER):
    """``count`` numbers composed from MNIST **training** digits, as strips and labels.

    Each number is written in the training style of :mod:`glassnet.datasets.numbers`
    (1 to 10 digits, a third of them touching, slanted, thin to bold pens), then turned
    into a strip exactly as :func:`~glassnet.workbench.strips.picture_strip` does with a picture, with a little
    variation: the ink's height in the strip (20-26 rows), a row or two up or down, a
    fainter or bolder stroke level, and faint background noise, like what
    :func:`~glassnet.workbench.preprocess.ink_image` leaves of a photographed page.

    Args:
        count: how many numbers.
        seed: the same seed gives the same strips.
        path: the MNIST folder; digits: ``(images, labels)`` to use instead (e.g. a subset).
        width: the strips' width; a rare wider number is squeezed to fit.
        lengths: ``(fewest, most)`` digits per number.
        longer: how much likelier long numbers are: a number has ``n`` digits with
            probability proportional to ``n ** longer`` (0: every length equally often).
            Long numbers fill more of the strip: more digits to learn from for the same work.
        on_paper: the share of numbers written on simulated paper and read back with
            :func:`~glassnet.workbench.strips.picture_strip`'s own steps (slower, and exactly what reading sees); the
            others go from ink straight to the strip.

    Returns:
        ``(x, y)``: float32 ``(count, HEIGHT, width, 1)`` and int ``(count, lengths[1])``
        digit labels padded with -1, ready for ``model.fit`` with ``CTCLoss(blank=10)``.
    """
    from glassnet.datasets import mnist, numbers
    from glassnet.workbench.preprocess import resize

    if digits is None:
        (images, labels), _ = mnist.load_data(path)
    else:
        images, labels = digits
    from glassnet.workbench.preprocess import BlankImageError, ink_image, ink_mask

    rng = np.random.default_rng(seed)
    papers = int(round(count * on_paper))
    style = dict(scale=(0.8, 1.2), **numbers.TRAINING)
    inks = _compose(images, labels, count - papers, lengths, longer, rng, paper=False, **style)
    pages = _compose(images, labels, papers, lengths, longer, rng, **style)
    x = np.zeros((count, HEIGHT, width, 1), np.float32)
    y = encode_labels(inks[1] + pages[1], lengths[1])
    bands = rng.uniform(0.85, 1.08, size=count) * BAND
    offsets = rng.uniform(-2, 2, size=count)
    for k in range(count):
        try:
            if k < count - papers:
                ink = inks[0][k]
                mask = ink > 0.5 * ink.max()      # a thin pen can leave a faint number
            else:    # on paper: exactly the steps of picture_strip
                ink = ink_image(pages[0][k - (count - papers)] / np.float32(255))
                mask = ink_mask(ink)
            strip, _ = to_strip(ink, ink_band(mask), bands[k], offsets[k])
        except BlankImageError:   # (rare) nothing visible: an empty strip, read as nothing
            y[k] = -1
            continue
        if strip.shape[1] > width:
            strip = resize(strip, (width, HEIGHT), "bilinear")
        x[k, :, :strip.shape[1], 0] = strip
    # The straight-from-ink strips get the stroke level and faint noise a page leaves.
    plain = x[:count - papers]
    plain *= rng.uniform(1.0, 1.6, size=(len(plain), 1, 1, 1)).astype(np.float32)
    plain += np.abs(rng.standard_normal(plain.shape, dtype=np.float32)) \
        * rng.uniform(0, 0.04, size=(len(plain), 1, 1, 1)).astype(np.float32)
    np.clip(x, 0, 1, out=x)
    return x, y


def _compose(images, labels, count, lengths, longer, rng, **style):
    """``count`` numbers written by :func:`glassnet.datasets.numbers.compose`, their lengths
    drawn with probabilities proportional to ``length ** longer``: ``(pictures, labels)``,
    the pictures of one length the same size."""
    from glassnet.datasets import numbers

    choices = np.arange(lengths[0], lengths[1] + 1)
    chance = choices.astype(float) ** longer
    drawn = rng.choice(choices, size=count, p=chance / chance.sum())
    pictures, texts = [None] * count, [None] * count
    for length in np.unique(drawn):           # one call per length: shorter numbers, smaller pictures
        where = np.flatnonzero(drawn == length)
        made = numbers.compose(images, labels, len(where), length=int(length), seed=rng.integers(2**31), **style)
        for k, picture, text in zip(where, made.images, made.labels):
            pictures[k], texts[k] = picture, text
    return pictures, texts
