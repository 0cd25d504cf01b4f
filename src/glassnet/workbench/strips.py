"""From a picture of a number to the strip a line reader reads (:mod:`glassnet.workbench.line_reader`).

The picture's ink is found as :func:`~glassnet.workbench.preprocess.to_mnist` finds it
(polarity, the paper's lighting, specks and frames left out), then the rows of its one line
of writing (:func:`line_rows`: two lines are refused; a dot or an underline off the line
is left out), and the ink box is scaled so that the number is :data:`BAND` rows high in a
strip :data:`HEIGHT` rows high (:func:`to_strip`), its shapes kept, its width following.
"""

import math

import numpy as np

from glassnet.errors import ImageError
from glassnet.workbench.segment import MAX_WIDTH, marks   # MAX_WIDTH pixels: a picture this wide or wider is refused

HEIGHT = 32         # rows of the strip the network reads ...
WIDTH = 256         # ... and the columns the line reader is built for (a wider number gets a wider copy)
BAND = 24           # ... of which the number's ink fills this many (4 rows of margin above and below)
MAX_HEIGHT = 512    # taller pictures are scaled down to this many rows first (number_picture)
MAX_DIGITS = 60     # a strip wider than this many digits' worth is not a number we read
NEAR = 0.3   # ink this many line heights above or below a line of writing still belongs to it


def ink_bands(mask):
    """The bands of rows holding ink, separated by empty rows: ``(top, bottom)`` pairs."""
    edges = np.flatnonzero(np.diff(np.r_[0, mask.any(axis=1).astype(np.int8), 0]))
    return [(int(top), int(bottom)) for top, bottom in zip(edges[::2], edges[1::2])]


def lines_error(name, lines):
    """The error for a picture holding ``lines`` lines of writing, one above the other (read
    as one, their digits would come out as one nonsense number); both readers raise it."""
    return ImageError(f"{name}: {lines} lines of writing, one above the other; glassnet reads one "
                      f"number per picture: crop each line")


def line_rows(mask, name="image"):
    """The rows ``(top, bottom)`` of the one line of writing in ``mask`` (None when it holds
    no ink): the tallest band of ink, with the bands less than :data:`NEAR` of its height
    above or below it (the detached bar of a 5), but not a dot farther off, which would
    shrink the number in its strip, nor an underline (a band less than half the line's
    height high and over 1.5 times as wide: read as digits).

    Raises:
        ImageError: two bands or more at least half as tall as the tallest: two lines of
            writing, one above the other (a dot or an underline is no line of its own).
    """
    bands = ink_bands(mask)
    if not bands:
        return None
    top, bottom = max(bands, key=lambda band: band[1] - band[0])
    height = bottom - top
    lines = sum(band_bottom - band_top >= height / 2 for band_top, band_bottom in bands)
    if lines > 1:
        raise lines_error(name, lines)

    def is_rule(band_top, band_bottom):
        cols = np.flatnonzero(mask[band_top:band_bottom].any(axis=0))
        return band_bottom - band_top < height / 2 and cols[-1] - cols[0] > 1.5 * height

    grown = True
    while grown:                  # take in the bands close enough, until none is left
        grown = False
        for band_top, band_bottom in bands:
            near = 0 < band_top - bottom <= NEAR * height or 0 < top - band_bottom <= NEAR * height
            if near and not is_rule(band_top, band_bottom):
                top, bottom, grown = min(top, band_top), max(bottom, band_bottom), True
    return top, bottom


def ink_band(mask, name="image"):
    """The box ``(x0, y0, x1, y1)`` (ends exclusive) around the stroke pixels of ``mask``."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not len(rows):
        from glassnet.workbench.preprocess import BlankImageError
        raise BlankImageError(f"{name}: blank: no ink stands out from the background, no guess")
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def to_strip(ink, box, band=BAND, offset=0.0, stretch=1.0):
    """Cut the number out of ``ink`` and scale it into a strip :data:`HEIGHT` rows high.

    The ink box's height becomes ``band`` rows, centred (plus ``offset`` rows), and the
    width follows at the same scale, so digits keep their shape.

    Args:
        ink: float ``(H, W)`` ink amounts in 0..1, light on black.
        box: ``(x0, y0, x1, y1)``, the number's ink (:func:`ink_band`).
        band, offset: the ink's height in the strip and a vertical shift (training varies both).
        stretch: the width's scale relative to the height's (1: shapes kept).

    Returns:
        ``(strip, scale)``: float32 ``(HEIGHT, w)`` with ``w`` about ``(x1 - x0) * scale``
        plus a margin, and ``scale``, strip pixels per picture pixel.
    """
    from glassnet.workbench.preprocess import resize

    x0, y0, x1, y1 = box
    scale = band / max(y1 - y0, 1)
    # The picture window that becomes the strip: the box, plus the margin rows (and as
    # many margin columns) the strip needs, cut from the picture padded with black.
    margin = (HEIGHT - band) / 2 / scale
    top = y0 - margin - offset / scale
    height = HEIGHT / scale
    left = x0 - margin
    width = x1 - x0 + 2 * margin
    columns = max(1, int(round(width * scale * stretch)))
    t, l = int(math.floor(top)), int(math.floor(left))
    b, r = int(math.ceil(top + height)), int(math.ceil(left + width))
    window = np.zeros((b - t, r - l), np.float32)
    src = ink[max(t, 0):min(b, ink.shape[0]), max(l, 0):min(r, ink.shape[1])]
    window[max(t, 0) - t:max(t, 0) - t + src.shape[0], max(l, 0) - l:max(l, 0) - l + src.shape[1]] = src
    # The whole pixels cut above cover a little more than the exact window: resize the
    # window with its size rounded, the fraction is less than one strip pixel.
    return np.clip(resize(window, (columns, HEIGHT), "bilinear"), 0, 1), scale


def lean(strip, shear):
    """``strip`` slanted: each row moved sideways by ``shear`` columns per row from the
    middle row (rows above go right for ``shear > 0``, the writing leans right), with
    enough blank columns added on both sides that no ink is cut.

    The line reader reads each number slanted a little both ways as well as upright
    (:data:`~glassnet.workbench.line_reader.VIEWS`): a slant it reads badly is seldom
    bad in every view.
    """
    from scipy import ndimage

    if not shear:
        return strip
    rows = strip.shape[0]
    pad = int(math.ceil(abs(shear) * rows / 2)) + 1
    padded = np.pad(strip, ((0, 0), (pad, pad)))
    # Output pixel (r, c) takes input pixel (r, c + shear * (r - middle)).
    middle = (rows - 1) / 2
    return ndimage.affine_transform(padded, np.array([[1.0, 0.0], [shear, 1.0]]), offset=(0.0, -shear * middle),
                                    order=1).astype(np.float32)


def fit_width(strip, width):
    """``strip`` left-aligned in a black strip ``width`` columns wide."""
    out = np.zeros((HEIGHT, width), np.float32)
    out[:, :min(width, strip.shape[1])] = strip[:, :width]
    return out


def number_picture(image, name=None):
    """A picture of a number -> ``(label, gray, scale)``, where both readers start: its name
    for messages, the grayscale picture (:func:`~glassnet.workbench.images.load_gray`),
    scaled down to :data:`MAX_HEIGHT` rows when taller (a few hundred rows are plenty), and
    ``scale``, its pixels per pixel of the picture.

    Raises:
        ImageError: unreadable, or :data:`MAX_WIDTH` pixels wide or more.
    """
    from glassnet.workbench.images import describe, load_gray
    from glassnet.workbench.preprocess import resize

    label, gray, scale = describe(image, name), load_gray(image, name), 1.0
    if gray.shape[1] >= MAX_WIDTH:
        raise ImageError(f"{label}: {gray.shape[1]:,} pixels wide; a number {MAX_WIDTH:,} pixels "
                         f"wide or more would take too long to read; scale it down")
    if gray.shape[0] > MAX_HEIGHT:
        scale = MAX_HEIGHT / gray.shape[0]
        gray = resize(gray, (max(1, round(gray.shape[1] * scale)), MAX_HEIGHT), "box")
    return label, gray, scale


def picture_strips(image, name=None, views=None):
    """A picture (path, bytes, PIL image or array; any ink on any paper) -> its strips.

    Args:
        views: ``(band, stretch)`` or ``(band, stretch, shear)``, one strip each (see
            :func:`to_strip` and :func:`lean`); default one strip, the ink :data:`BAND`
            rows high, shapes kept.

    Returns ``(strips, box, scale)``: the strips, the number's ink box in the picture's
    pixels, and strip pixels per picture pixel of the first view.

    Raises:
        ImageError: unreadable, blank, :data:`MAX_WIDTH` pixels wide or more, noise (over 50
            separate marks), or not one line (two lines one above the other, or ink far wider
            than a number).
    """
    from glassnet.workbench.preprocess import ink_image, ink_mask

    label, gray, shrink = number_picture(image, name)
    ink = ink_image(gray, label)
    mask = ink_mask(ink, boxed=None)           # a box around the whole number is no digit
    marks(mask, label)                         # noise or a page of writing: refused, as the segmenter does
    rows = line_rows(mask, label)
    if rows is not None:
        mask[:rows[0]], mask[rows[1]:] = False, False   # a stray dot or an underline well off the line
    box = ink_band(mask, label)
    strips, scales = [], []
    for band, stretch, *shear in views or [(BAND, 1.0)]:
        strip, scale = to_strip(ink, box, band, stretch=stretch)
        strips.append(lean(strip, shear[0]) if shear else strip)
        scales.append(scale)
    if strips[0].shape[1] > MAX_DIGITS * BAND:
        raise ImageError(f"{label}: the ink is {strips[0].shape[1] // BAND} times as wide as it is high; "
                         f"that is not one line of at most {MAX_DIGITS} digits")
    # The box and the scale in the picture's own pixels.
    return list(strips), tuple(int(round(v / shrink)) for v in box), scales[0] * shrink


def picture_strip(image, name=None):
    """A picture -> ``(strip, box, scale)``: :func:`picture_strips` with one plain view."""
    strips, box, scale = picture_strips(image, name)
    return strips[0], box, scale
