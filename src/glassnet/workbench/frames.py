"""Ink that frames a digit instead of being part of it: a box drawn around it, the desk
around a photographed page.

:func:`~glassnet.workbench.preprocess.ink_mask` finds the connected pieces of ink and asks
:func:`frames` which of them to drop. Without that, the frame is the "digit" and the real
one shrinks to a speck inside it.
"""

import numpy as np
from scipy import ndimage


def frames(labels, sizes, boxed=2):
    """The labels of the pieces that frame the ink rather than being strokes.

    Two kinds, both common in photos: the box a digit was written in (a form's cell, a
    square drawn around it), which encloses the rest of the ink, so that nearly all of
    it lies in the box's hole; and the desk or table around a photographed page, darker
    than the paper, which runs along a third of the picture's edge or more (a digit
    cropped tight touches it far less), or along one side as a band
    (:func:`is_band`). A piece counts as a box only if what it holds is a real
    part of the ink (at least a fifth of its own size), so a 0 with a speck of dust in
    its loop stays a 0, and only if it holds at most ``boxed`` pieces (2, a digit: a
    smiley keeps its face; None: any number of them, for a box around a whole number). A
    box's gaps up to a thirtieth of its side are closed first.

    Input: ``labels`` from ``ndimage.label`` and ``sizes``, the pixel count per label
    (``sizes[0]`` = 0). Output: a list of labels (empty when nothing frames the ink).
    """
    edge = np.concatenate([labels[0], labels[-1], labels[1:-1, 0], labels[1:-1, -1]])
    on_edge = np.bincount(edge, minlength=len(sizes))
    along_a_side = np.zeros(len(sizes), bool)      # runs along nine tenths of a side or more
    for side in (labels[0], labels[-1], labels[:, 0], labels[:, -1]):
        along_a_side |= np.bincount(side, minlength=len(sizes)) >= 0.9 * len(side)
    total, found = sizes.sum(), []
    for index, box in enumerate(ndimage.find_objects(labels), start=1):
        others = total - sizes[index]
        if box is None or others == 0:
            continue
        if on_edge[index] > len(edge) / 3 or (along_a_side[index] and is_band(labels, index, box)):
            found.append(index)                    # the desk
            continue
        piece = labels[box] == index
        if np.count_nonzero(labels[box]) - sizes[index] < 0.9 * others or others < sizes[index] / 5:
            continue                               # the rest of the ink is not in its box
        # Close small gaps first (a hand-drawn box, a line broken by the camera), by up
        # to a thirtieth of the box's side, then look for the hole.
        gap = max(1, max(piece.shape) // 60)
        closed = ndimage.binary_closing(np.pad(piece, gap), iterations=gap)[gap:-gap, gap:-gap]
        hole = ndimage.binary_fill_holes(closed) & ~closed
        held = labels[box][hole]
        pieces_held = len(np.unique(held[held > 0]))
        if np.count_nonzero(held) >= 0.9 * others and (boxed is None or pieces_held <= boxed):
            found.append(index)                    # a box: the rest of the ink is inside it
    return found


def is_band(labels, index, box):
    """Whether piece ``index``, running along a side of the picture, is the desk showing
    there rather than a stroke: a band at least 1.5 times as thick as the thickest stroke
    of the rest of the ink (so the bar of a big 5 drawn right to the edge stays a stroke).
    Thickness: the largest distance from inside a piece to its outside (half the width of
    its widest part)."""
    piece = np.pad(labels[box] == index, 1)
    rest = (labels > 0) & (labels != index)
    return ndimage.distance_transform_edt(piece).max() >= 1.5 * ndimage.distance_transform_edt(rest).max()
