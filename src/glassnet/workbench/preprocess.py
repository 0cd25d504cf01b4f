"""``to_mnist``: turn anyone's digit into the picture an MNIST model was trained on.

A model that scores 98% on MNIST often gets a user's own digit wrong. The model is not
the problem; the picture is. Every MNIST digit was prepared the same way: white ink on
black, the digit scaled to fit a 20x20 box with its aspect ratio kept, and that box placed
in a 28x28 frame so that the digit's center of mass sits at the middle. A phone photo is
dark ink on light paper, somewhere in a big frame, under uneven light. :func:`to_mnist`
repeats MNIST's preparation on it, step by step::

    gray  = load_gray(image)          # any file -> (H, W) in 0..1, white = 1
    ink   = ink_image(gray)           # polarity, paper removed: ink = 1, paper = 0
    mask  = ink_mask(ink)             # which pixels are strokes (specks dropped)
    digit = fit_and_center(ink, mask) # 20x20 box, center of mass at the middle of 28x28

Each step is a small public function, so the multi-digit reader can run the first three
on a whole number and :func:`fit_and_center` on each digit it finds.
"""

import numpy as np
from scipy import ndimage

from glassnet.errors import ImageError
from glassnet.workbench.frames import frames
from glassnet.workbench.images import describe, load_gray

SIZE = 28          # MNIST's frame ...
BOX = 20           # ... and the box the digit is scaled to fit, aspect ratio kept
CENTER = 14.0      # where MNIST puts the center of mass (measured: 13.99, 14.00 on average)
WORK_SIDE = 1024   # bigger photos are shrunk to this first: plenty for one digit, and fast
SMALL = 32         # below this many pixels a side, the paper gets one level (no lighting model)
PAPER_WINDOW = 0.4  # the paper level's square: 40% of the picture's height, wider than strokes
DARKEST = 1 / 64   # darker than this is black (the logarithm of the brightness needs a floor)
ENDS = 0.2         # dark_ink counts the pixels within this share of the range of either end
MIN_CONTRAST = 0.12  # ink must stand out from the paper by this much (0..1), else "blank"
MIN_EXTENT = 0.02    # ... and span this fraction of the image, else it is a speck, "blank"
RIM = 1             # a small digit keeps this many pixels of soft gray rim around its strokes ...
FAINT = 0.05        # ... where the ink is above this (paper noise is not)
STROKE = 0.25       # ink above this is stroke: its box is what is scaled to 20x20
THIN, TARGET = 0.08, 0.11  # stroke width / digit height: MNIST's median is ~0.13
BOLD = 0.35  # ... above this (MNIST: at most 0.28) the strokes are thinned to TARGET


class BlankImageError(ImageError):
    """The image holds no ink (or only specks): there is nothing to guess."""


def to_mnist(image, name=None):
    """Any picture of one digit -> the float32 ``(28, 28)`` image an MNIST model expects.

    Args:
        image: a file path, the file's bytes, a ``PIL.Image`` or a NumPy array; see
            :func:`glassnet.workbench.images.load_gray`.
        name: what to call it in error messages (default: the path).

    Returns:
        float32 array ``(28, 28)`` in 0..1, light ink on black, like ``x_test / 255``.

    Raises:
        BlankImageError: the image is blank or near-blank (no guess should be made).
        ImageError: the file can't be read (empty, truncated, not an image, too big...).
    """
    label = describe(image, name)
    gray = shrink(load_gray(image, name), WORK_SIDE)
    ink = ink_image(gray, label)
    mask = ink_mask(ink)
    return fit_and_center(ink, mask, label)


def shrink(gray, max_side):
    """Scale ``gray`` down (area averaging) so that its longer side is at most ``max_side``."""
    height, width = gray.shape
    if max(height, width) <= max_side:
        return gray
    scale = max_side / max(height, width)
    return resize(gray, (max(1, round(width * scale)), max(1, round(height * scale))), "box")


def dark_ink(gray):
    """True for dark ink on light paper (a photo), False for light ink on dark (MNIST).

    Ink covers a minority of the picture and paper the majority, so of the two ends of
    the brightness range, the ink's end holds fewer pixels: count the pixels within a
    fifth of the range of the darkest and of the brightest. (The middle, the median,
    would not do: a shadow over half the page puts the median in the shadow, nearer the
    ink than the lit paper.) The ends are taken as the 0.05% and 99.95% percentiles, so
    that a small digit on a big page still counts; a dim photo, whose "white" paper is
    only mid-gray, still has its paper at the bright end.
    """
    step = max(1, int(np.sqrt(gray.size / 250_000)))   # a subsample is plenty for counting
    sample = gray[::step, ::step]
    low, high = np.percentile(sample, [0.05, 99.95])
    near = ENDS * (high - low)
    return bool(np.count_nonzero(sample < low + near) < np.count_nonzero(sample > high - near))


def paper_level(ink):
    """How much "ink" the bare paper shows at each pixel: a surface under the strokes.

    A phone photo is brighter on one side than the other or in the middle than in the
    corners, a shadow may cross the page with a sharp edge, and the desk may show around
    it. Strokes are thin; light and shadow come in large regions. So take away what is
    thin and keep the rest:

    * a grey *opening* (a minimum filter, then a maximum filter, over a square) removes
      everything thinner than the square and keeps larger regions with their edges where
      they were. The square is three times as wide as the thickest strokes
      (:func:`stroke_width`, measured on a first pass with the widest square a stroke
      could need, :func:`paper_window`): any wider, and it can't follow light that falls
      off into the picture's corners;
    * the square can't reach into a region's narrow corners (a shadow's edge meeting
      the picture's edge at a slant), so an *opening by reconstruction*
      (:func:`reconstructed`) fills those: a region keeps its whole shape if any part
      of it holds the square.

    Input: ``(H, W)`` ink-positive (paper low). Output: ``(H, W)``, or a scalar when the
    image is small or evenly lit.
    """
    height, width = ink.shape
    if min(height, width) < SMALL:      # too small to model lighting: one level for all
        return np.float32(np.median(ink))
    window = paper_window(ink.shape)
    level = ndimage.grey_opening(ink, size=(window, window))
    if np.ptp(level) < MIN_CONTRAST / 2:   # evenly lit: a single level is more exact
        return np.float32(np.median(ink))
    window = min(window, max(3, int(3 * stroke_width(ink - level))))
    level = ndimage.grey_opening(ink, size=(window, window))
    return np.maximum(level, reconstructed(ink, window))


def stroke_width(ink):
    """About how wide the thickest strokes of ``ink`` (denoised, paper at 0) are, in pixels:
    twice the 99th percentile of the distance from a stroke pixel to the paper (a stroke
    ``w`` wide has pixels up to ``w / 2`` from its edge)."""
    if ink.max() <= 0:
        return float(max(ink.shape))
    mask = ink > 0.5 * stroke_level(ink)
    return 2 * float(np.percentile(ndimage.distance_transform_edt(mask)[mask], 99))


def stroke_level(smooth):
    """How much ink a typical stroke pixel of ``smooth`` (denoised, paper at 0) holds: the
    median of the pixels above half the strongest."""
    return float(np.median(smooth[smooth > smooth.max() / 2]))


def paper_window(shape):
    """The widest square :func:`paper_level` may need for a picture ``(H, W)``: wider than
    any stroke. Digits stand upright, so a stroke is at most about a third as thick as the
    picture is tall (a bold marker's, the digit filling the picture): the square is 40%
    of the height, and no wider than the picture (a tight crop of a 1 is narrow)."""
    height, width = shape
    return max(3, min(int(PAPER_WINDOW * height), width))


def reconstructed(ink, window, side=64):
    """The opening of ``ink`` by reconstruction with a square ``window`` pixels wide, worked
    out on a copy ``side`` pixels long and scaled back (smooth, so only a floor under the
    exact opening).

    The minimum filter leaves a seed in every region that holds the square; the seeds
    then grow, a pixel at a time, back into all of the region they came from, but never
    above the image itself (``min(dilate(level), image)`` until nothing changes).
    """
    height, width = ink.shape
    scale = side / max(height, width)
    small = resize(ink, fit_size(ink.shape, scale), "box")
    window = max(3, round(window * scale))
    level = ndimage.grey_erosion(small, size=(window, window))
    for _ in range(2 * side):              # a seed crosses the copy in at most this many steps
        grown = np.minimum(ndimage.grey_dilation(level, size=(3, 3)), small)
        if np.array_equal(grown, level):
            break
        level = grown
    return resize(level, (width, height), "bilinear")


def ink_image(gray, name="image"):
    """Grayscale picture -> ink intensity: 1 where the pen pressed, 0 on bare paper.

    Steps: invert dark ink on light paper (:func:`dark_ink`); take away the paper's
    uneven brightness (:func:`paper_level`); divide by the typical stroke brightness so
    that strokes reach 1, as in MNIST. The decisions (is there ink? how dark is a
    stroke?) are taken on a denoised copy (:func:`denoise`), so that sensor noise can't
    make them.

    Paper reflects light, so in a shadow both the paper and the ink on it get darker by
    the same factor, and a stroke stands out from its paper by less. So a photo's ink is
    ``1 - gray / paper``, as strong in the shadow as in the light, and the paper level
    is found for the *logarithm* of the brightness, where the light's factor is a term
    added to the page's own darkness. (Light ink on dark has the level subtracted.)

    Input: ``(H, W)`` in 0..1, white = 1. Output: float32 ``(H, W)`` in 0..1.

    Raises:
        BlankImageError: nothing stands out from the paper by :data:`MIN_CONTRAST`.
    """
    if dark_ink(gray):
        darkness = -np.log(np.maximum(gray, DARKEST))
        ink = -np.expm1(-(darkness - paper_level(denoise(darkness))))   # 1 - gray / paper
    else:
        ink = gray - paper_level(denoise(gray))
    ink = np.clip(ink, 0, None).astype(np.float32)
    smooth = denoise(ink)
    peak = float(smooth.max())
    if peak < MIN_CONTRAST:
        raise BlankImageError(f"{name}: blank: no ink stands out from the background, no guess")
    return np.clip(ink / stroke_level(smooth), 0, 1)


def denoise(ink):
    """A slightly blurred copy of a big image (Gaussian, sigma 1 pixel, cut at 2 sigma):
    pixel noise averages out.

    Only for images of 100 pixels a side or more, where a pixel is far thinner than a
    stroke; a 28x28 digit would lose its shape.
    """
    return ndimage.gaussian_filter(ink, sigma=1.0, truncate=2.0) if min(ink.shape) >= 100 else ink


def ink_mask(ink, threshold=0.5, min_part=0.05, boxed=2):
    """Which pixels are strokes: ``ink > threshold`` (after :func:`denoise`), without specks
    and without frames.

    Connected pieces (8-neighbours) smaller than ``min_part`` of the largest piece are
    dust or noise and are dropped; a digit's own pieces (the bar of a 5) are bigger. A box
    drawn around the ink, or the desk around the page, is dropped too (:func:`frames`;
    ``boxed``: the most pieces a box may hold, 2 for one digit, None for a whole number).

    Input: ``(H, W)`` ink in 0..1. Output: bool ``(H, W)``.
    """
    mask = denoise(ink) > threshold
    labels, count = ndimage.label(mask, structure=np.ones((3, 3)))
    if count <= 1:
        return mask
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0                                  # label 0 is the background
    sizes[frames(labels, sizes, boxed)] = 0       # a box around the digit, the desk around the page
    keep = (sizes > 0) & (sizes >= min_part * sizes.max())    # (min_part=0 keeps every piece but those)
    return keep[labels]


def fit_and_center(ink, mask, name="image"):
    """Crop to the strokes, scale to fit 20x20 (aspect kept), center by mass in 28x28.

    When the digit is at least twice too big (a photo), the strokes are redrawn as MNIST's
    were: a black-and-white mask, thickened if the pen was thin, then area-averaged down,
    which gives the soft gray edges MNIST has. A small digit keeps its own gray levels and
    is scaled with a Lanczos filter.

    Input: ink ``(H, W)`` in 0..1 and the stroke mask ``(H, W)`` (pass a mask holding
    one digit's pieces to read one digit of a number).
    Output: float32 ``(28, 28)`` in 0..1.

    Raises:
        BlankImageError: the mask is empty, or spans only a speck of the image.
    """
    rows, cols = np.nonzero(mask)
    if len(rows) == 0 or max(np.ptp(rows), np.ptp(cols)) + 1 < max(3, MIN_EXTENT * max(ink.shape)):
        raise BlankImageError(f"{name}: blank: only specks, no digit to guess")
    top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    scale = BOX / max(bottom - top, right - left)
    if scale <= 0.5:
        strokes = mnist_stroke_width(mask[top:bottom, left:right])
        scale = BOX / max(strokes.shape)
        small = resize(strokes.astype(np.float32), fit_size(strokes.shape, scale), "box")
    else:
        # Keep the gray, anti-aliased rim around the strokes (RIM pixels wide), not specks.
        near = ndimage.binary_dilation(mask, iterations=RIM) & (ink > FAINT)
        rows, cols = np.nonzero(near)
        top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
        crop = (ink * near)[top:bottom, left:right]
        # Scale the strokes' box (ink above STROKE) to 20 pixels, not the rim's: in MNIST
        # that box is 20 pixels for 99.8% of digits, and the rim is what spills past it.
        # Lanczos, sharper than bilinear, keeps strokes as crisp as MNIST's; together
        # they bring a digit scaled up and back (as in a picture of a number) closer to how
        # the network saw it (measured on 12,000 held-out digits: 1.07% -> 1.00% misread).
        rows, cols = np.nonzero(near & (ink > STROKE))
        side = max(np.ptp(rows), np.ptp(cols)) + 1 if len(rows) else max(crop.shape)
        scale = min(BOX / side, SIZE / max(crop.shape))
        small = resize(crop, fit_size(crop.shape, scale), "lanczos")
    return center_by_mass(np.clip(small, 0, 1))


def fit_size(shape, scale):
    """(width, height) of ``shape`` scaled by ``scale``, at least one pixel each."""
    return max(1, round(shape[1] * scale)), max(1, round(shape[0] * scale))


def mnist_stroke_width(strokes):
    """Bring strokes to MNIST's proportions: widen pen-thin ones, thin very bold ones.

    Stroke width is estimated as ``2 * area / outline`` (a stroke of length ``L`` and
    width ``w`` has area ``L*w`` and an outline of about ``2*L`` pixels). MNIST's strokes
    are about 0.13 of the digit's height. Below :data:`THIN` they are grown to
    :data:`TARGET` by a distance transform (a round pen, in one pass). Above :data:`BOLD`
    (a small digit drawn with a wide pen: scaled to 20 pixels, its strokes would fill its
    loops, and a 7 starts to look like an 8) they are eroded the same way: peeling ``r``
    pixels off every side leaves strokes ``w - 2r`` wide in a digit ``side - 2r`` tall.

    Input: bool ``(h, w)``. Output: bool (padded by the growth when widened).
    """
    side = max(strokes.shape)
    outline = np.count_nonzero(strokes & ~ndimage.binary_erosion(strokes))
    width = 2 * np.count_nonzero(strokes) / max(outline, 1)
    if width < THIN * side:
        radius = int(np.ceil((TARGET * side - width) / 2))
        padded = np.pad(strokes, radius)
        return ndimage.distance_transform_edt(~padded) <= radius
    if width > BOLD * side:
        radius = (width - TARGET * side) / (2 * (1 - TARGET))
        thinner = ndimage.distance_transform_edt(np.pad(strokes, 1)) > radius
        if thinner.any():
            return thinner[1:-1, 1:-1]
    return strokes


def center_by_mass(small):
    """Put a digit of at most 20x20 into 28x28 with its center of mass at (14, 14).

    The shift is rounded to whole pixels, as MNIST's was, and never pushes ink out of
    the frame.
    """
    height, width = small.shape
    total = float(small.sum())
    if total > 0:
        cy, cx = ndimage.center_of_mass(small)
    else:
        cy, cx = (height - 1) / 2, (width - 1) / 2
    top = int(np.clip(round(CENTER - cy), 0, SIZE - height))
    left = int(np.clip(round(CENTER - cx), 0, SIZE - width))
    out = np.zeros((SIZE, SIZE), dtype=np.float32)
    out[top:top + height, left:left + width] = small
    return out


def resize(array, size, method):
    """Resize a float image to ``size = (width, height)`` with Pillow ("box", "bilinear" or "lanczos").

    Pillow filters properly when shrinking (each output pixel averages the input pixels
    it covers), which plain NumPy slicing would not.
    """
    from PIL import Image

    filters = {"box": Image.Resampling.BOX, "bilinear": Image.Resampling.BILINEAR,
               "lanczos": Image.Resampling.LANCZOS}
    image = Image.fromarray(np.ascontiguousarray(array, dtype=np.float32))
    return np.asarray(image.resize(tuple(size), filters[method]), dtype=np.float32)
