"""Cutting a picture of a number into pieces that might each be one digit.

Reading a number is segmentation first: where does one digit end and the next begin?
Ink that touches is one *connected component*, so most digits are exactly one component.
Two things break that rule, and this module prepares for both without deciding anything:

* a digit in several pieces (a 5 whose top bar floats free, a 4 or 7 drawn in two
  strokes, a stroke broken by a light pen): its components overlap in x or nearly touch,
  so neighbouring components may be *joined*;
* digits that touch: one component is as wide as two digits, so it may be *cut*. Good
  places to cut are columns with little ink, the minima of the vertical projection
  (the ink summed down each column).

The result is a row of *atoms*, ordered left to right: whole components, or slices of a
wide component between two candidate cuts. A cut is not a straight line: the ink right at
the cut is removed, and every stroke that comes loose goes, whole, to the side it mostly
lies on. So two digits that touch at one point and overlap a little in x come apart
with their shapes intact. Every digit the reader will finally see is a
run of neighbouring atoms; :mod:`glassnet.workbench.reader` lets the classifier choose
which runs.

The stroke mask is taken at half the stroke strength, so that the faint rim where two
digits nearly meet does not join them. But a pen often runs faint at the end of a stroke
(the flag of a 5, the tail of a 3), and MNIST kept that ink: its digits are all the ink
above a quarter of the stroke strength. So once the atoms are found, each one also claims
the faint ink next to its strokes, up to :data:`REACH` digit sizes away.
"""

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from glassnet.errors import ImageError
from glassnet.workbench.preprocess import STROKE, BlankImageError

MAX_COMPONENTS = 50       # more pieces than this is not a number we can read quickly
MAX_WIDTH = 20_000        # pixels; this wide or wider would make the search slow for no good reason
SPECK = 0.2               # a component smaller than this x the digit size both ways is noise
CUT_FROM = 0.5            # components wider and taller than this x the digit size get cuts
MIN_SLICE = 0.1           # no slice narrower than this x the digit size
MAX_CUTS = 6              # candidate cuts per component, the deepest projection minima ...
DEPTH = 0.85              # ... each at most this x the highest column on either side
WIDEST = 1.15             # the ruler counts no component wider than this x its height
REACH = 0.15              # each atom claims the faint ink (above STROKE) this far around its strokes


@dataclass
class Atom:
    """A component, or a slice of one, that may be (part of) a digit.

    Its pixels are those with ``Segments.labels == label``: its strokes and the faint ink
    around them. ``x0, y0, x1, y1`` is the box of its strokes (ends exclusive); the faint
    ink may reach up to ``Segments.reach`` pixels beyond it. A slice after a cut
    describes the cut at its left edge: ``crossings``, the strokes the cut goes through,
    and ``sides``, the height of the shorter of the component's two sides (in digit
    sizes). Whole components have 0, 0.
    """

    label: int
    component: int
    x0: int
    y0: int
    x1: int
    y1: int
    crossings: int = 0
    sides: float = 0.0

    @property
    def centre(self):
        return (self.x0 + self.x1) / 2


@dataclass
class Segments:
    """What :func:`segment` found.

    Attributes:
        ink: float32 ``(H, W)``, 0 = paper .. 1 = ink (the image, ink made bright).
        labels: int32 ``(H, W)``, the atom each inked pixel belongs to (0 = none).
        atoms: the atoms, ordered left to right by their centres.
        size: the typical size of one digit in pixels (see :func:`digit_size`), the ruler
            for every threshold.
        reach: how many pixels past its box an atom's faint ink may lie.
    """

    ink: np.ndarray
    labels: np.ndarray
    atoms: list
    size: float
    reach: int = 0


def segment(ink, mask, name="image"):
    """Find the atoms of a number in an ink map (0 = paper, 1 = ink) and its stroke mask.

    Raises:
        ImageError: no ink, too wide, or too many components to search quickly.
    """
    if ink.shape[1] > MAX_WIDTH:
        raise ImageError(f"{name}: {ink.shape[1]:,} pixels wide; a number wider than "
                         f"{MAX_WIDTH:,} pixels would take too long to read; scale it down")
    labels, count, boxes, size, specks = marks(mask, name)
    widths, heights = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    keep = np.flatnonzero(~specks) + 1                                 # labels start at 1
    if len(keep) < count:   # forget the specks, so no digit is drawn with their ink
        labels[specks[labels - 1] & (labels > 0)] = 0

    # Wide components are cut into slices, each with a label of its own after the others.
    cuts, fresh = {}, count + 1
    for component in keep:
        if min(widths[component - 1], heights[component - 1]) > CUT_FROM * size:
            made = cut(labels, ink, component, boxes[component - 1], size, fresh)
            cuts.update(made)
            fresh += len(made)
    atoms = []
    for label, found in enumerate(ndimage.find_objects(labels), start=1):
        if found is None:                                             # a speck, or a cut-up component
            continue
        rows, cols = found
        crossings, sides, component = cuts.get(label, (0, 0.0, label))
        atoms.append(Atom(label, component, cols.start, rows.start, cols.stop, rows.stop,
                          crossings, sides))
    atoms.sort(key=lambda atom: atom.centre)
    # The boxes above are the strokes'; the pictures of the digits get their faint ink too.
    reach = int(np.ceil(REACH * size))
    return Segments(ink, claim_faint_ink(labels, ink > STROKE, reach), atoms, size, reach)


def marks(mask, name="image"):
    """The connected pieces of ink in a stroke mask, and which of them are mere specks.

    Returns ``(labels, count, boxes, size, specks)``: the labelled mask and its number of
    pieces (:func:`scipy.ndimage.label`), each piece's box ``(x0, y0, x1, y1)`` (an array
    ``(count, 4)``), the typical digit size (:func:`digit_size`), and a boolean per piece:
    smaller than :data:`SPECK` digit sizes both ways.

    Raises:
        BlankImageError: no ink.
        ImageError: more than :data:`MAX_COMPONENTS` pieces that are not specks: noise, or a
            page of writing, not one number (both readers refuse it).
    """
    # 8-connectivity: diagonal neighbours belong together, as a pen stroke at 45 degrees does.
    labels, count = ndimage.label(mask, structure=EIGHT)
    if count == 0:
        raise BlankImageError(f"{name}: blank: no ink found, no number to read")
    boxes = np.array([(s[1].start, s[0].start, s[1].stop, s[0].stop)
                      for s in ndimage.find_objects(labels)])          # (count, 4): x0 y0 x1 y1
    widths, heights = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    size = digit_size(widths, heights, np.bincount(labels.ravel(), minlength=count + 1)[1:])
    specks = np.maximum(widths, heights) < SPECK * size
    if count - specks.sum() > MAX_COMPONENTS:
        raise ImageError(f"{name}: {count - specks.sum()} separate marks; more than {MAX_COMPONENTS} is "
                         f"not a number glassnet can read (is the image noisy or a whole page?)")
    return labels, count, boxes, size, specks


def claim_faint_ink(labels, faint, steps):
    """Give each unlabelled pixel of ``faint`` ink to the atom it touches, growing every
    atom one pixel at a time (``steps`` times), so ink is claimed only along connected
    ink and by the nearest atom. Where two atoms reach a pixel at the same step, the
    higher label takes it.

    Input: int ``labels`` ``(H, W)`` (0 = none) and bool ``faint`` ``(H, W)``.
    Output: a new int ``(H, W)`` labels array.
    """
    for _ in range(steps):
        neighbour = ndimage.grey_dilation(labels, size=(3, 3))
        new = (labels == 0) & faint & (neighbour > 0)
        if not new.any():
            break
        labels = np.where(new, neighbour, labels)
    return labels


EIGHT = np.ones((3, 3), bool)


def digit_size(widths, heights, areas):
    """The typical size of one digit: the median of ``max(width, height)`` over the
    components, each counted as often as it has inked pixels.

    Why the larger side: MNIST scaled every digit to fit a 20x20 box, so a narrow 1 is
    20 tall and a wide, flat 2 is 20 wide; their larger side is the same. Why weighted by
    ink: specks and detached bars have little of it, so they barely count, even when a
    number has only one or two digits.

    A component more than :data:`WIDEST` times as wide as it is tall is no one digit but
    touching digits, so it counts as only that wide. Otherwise two touching pairs, which
    hold much of a number's ink, would set the ruler at the width of a pair, and a pair
    would then look narrow enough to be read as one digit.
    """
    sides = np.maximum(heights, np.minimum(widths, WIDEST * heights))
    order = np.argsort(sides)
    cumulative = np.cumsum(areas[order])
    return float(sides[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def cut(labels, ink, component, box, size, fresh):
    """Cut a wide component near its projection minima, relabelling its pixels in place.

    Each cut is a path from top to bottom (:func:`cut_path`) that starts near a minimum
    and bends around strokes, so digits that overlap a little in x still come apart.
    The slices get labels ``fresh, fresh + 1, ...`` from left to right. Returns
    ``{label: (crossings, sides, component)}`` for every slice (the first has no cut on
    its left: 0 crossings), or ``{}`` when there is no good place to cut.
    """
    x0, y0, x1, y1 = box
    region = labels[y0:y1, x0:x1]                                   # a view: edits go to labels
    own = region == component
    weight = np.where(own, ink[y0:y1, x0:x1], 0)
    margin = max(2, int(MIN_SLICE * size))
    at = projection_minima(weight.sum(axis=0), margin)
    if not at:
        return {}
    # Each path may wander halfway to the next cut, and never closer than margin to an end.
    bounds = [margin] + [(a + b) // 2 for a, b in zip(at[:-1], at[1:])] + [x1 - x0 - margin]
    paths = np.stack([cut_path(weight, column, lo, hi)
                      for column, lo, hi in zip(at, bounds[:-1], bounds[1:])])    # (cuts, rows)
    columns = np.arange(x1 - x0)
    by_side = (columns[None, None, :] >= paths[:, :, None]).sum(axis=0)    # (rows, cols): slice index
    # Take out the ink within a pixel of each path; what comes loose is whole strokes.
    band = (np.abs(columns[None, None, :] - paths[:, :, None]) <= 1).any(axis=0)
    loose, pieces = ndimage.label(own & ~band, structure=EIGHT)
    # Which slice each loose stroke mostly lies in: count its pixels per slice.
    slices = len(at) + 1
    counts = np.bincount((loose * slices + by_side)[loose > 0],
                         minlength=(pieces + 1) * slices).reshape(pieces + 1, slices)
    majority = counts.argmax(axis=1)
    # A stroke that lies well across a path (a poor cut) is cut along the path instead.
    clear = counts.max(axis=1) >= 0.75 * np.maximum(counts.sum(axis=1), 1)
    assigned = np.where(clear[loose] & (loose > 0), majority[loose], by_side)
    region[own] = fresh + assigned[own]

    made = {fresh: (0, 0.0, int(component))}   # the first slice: no cut on its left
    rows = np.arange(y1 - y0)
    for index, path in enumerate(paths, start=1):
        on_path = own[rows, path]
        left = np.flatnonzero((own & (by_side < index)).any(axis=1))
        right = np.flatnonzero((own & (by_side >= index)).any(axis=1))
        sides = min(len(left) and left[-1] - left[0] + 1, len(right) and right[-1] - right[0] + 1)
        made[fresh + index] = (crossings(on_path), float(sides / size), int(component))
    return made


def cut_path(weight, start, lo, hi, bend=0.1):
    """The cheapest path from the top row to the bottom one, through columns ``lo..hi-1``.

    Dynamic programming, row by row: the cost of reaching column ``c`` of row ``r`` is the
    ink there plus the cheapest of the three cells above it (``c-1, c, c+1``), plus
    ``bend`` for a diagonal step, so the path runs straight unless ink is in the way.
    Staying near ``start`` costs nothing; wandering off costs a little per column.

    Input: ``weight`` ``(rows, cols)`` ink. Output: int ``(rows,)``, the path's column per row.
    """
    rows = weight.shape[0]
    lo, hi = min(lo, start), max(hi, start + 1)
    cost = weight[:, lo:hi] + 0.02 * np.abs(np.arange(lo, hi) - start)[None, :]
    total = cost[0].copy()
    step = np.zeros(cost.shape, dtype=np.int8)                     # -1, 0, +1: where it came from
    for r in range(1, rows):
        from_left = np.concatenate(([np.inf], total[:-1])) + bend
        from_right = np.concatenate((total[1:], [np.inf])) + bend
        options = np.stack([from_left, total, from_right])        # (3, width)
        best = options.argmin(axis=0)
        step[r] = best - 1
        total = cost[r] + options[best, np.arange(len(total))]
    path = np.empty(rows, dtype=int)
    path[-1] = int(total.argmin())
    for r in range(rows - 1, 0, -1):
        path[r - 1] = path[r] + step[r, path[r]]
    return path + lo


def crossings(column):
    """How many separate strokes a vertical cut through ``column`` (bool) goes through."""
    return int(column[0]) + int(np.count_nonzero(column[1:] & ~column[:-1]))


def projection_minima(profile, margin):
    """Up to :data:`MAX_CUTS` columns where ``profile`` has a clear local minimum.

    A clear minimum is no higher than its neighbours and at most :data:`DEPTH` times the
    highest column on either side of it: a dip between two digits, not a ripple along a
    bar. Minima are taken deepest first, at least ``margin`` from either end and from
    each other, and returned left to right.
    """
    n = len(profile)
    if n < 2 * margin + 1:
        return []
    inside = np.arange(margin, n - margin)
    here = profile[inside]
    local = (here <= profile[inside - 1]) & (here <= profile[inside + 1])
    peak_left = np.maximum.accumulate(profile)[inside]
    peak_right = np.maximum.accumulate(profile[::-1])[::-1][inside]
    deep = here <= DEPTH * np.minimum(peak_left, peak_right)
    minima = inside[local & deep]
    chosen = []
    for column in minima[np.argsort(profile[minima], kind="stable")]:
        if all(abs(column - c) >= margin for c in chosen):
            chosen.append(int(column))
        if len(chosen) == MAX_CUTS:
            break
    return sorted(chosen)
