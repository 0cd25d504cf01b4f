"""ZeroPadding3D, Cropping3D and UpSampling3D: the layers of :mod:`glassnet.engine.layers.resampling`
on volumes ``(N, D, H, W, C)`` (a clip of frames, a scan), over three axes instead of two.

They learn nothing and only move numbers about; their backward passes move the gradient
back the same way (see that module). They differ from the 2-D ones only in how Keras spells
their settings: three sizes, or three ``(before, after)`` pairs.
"""

import numpy as np

from glassnet.engine.layers.resampling import Cropping, UpSampling, ZeroPadding, _channels_last
from glassnet.engine.layers.volumes import as_triple


def _triples(value, owner, label):
    """Keras's three spellings of a 3-D border -> ``((before, after),) * 3``: one number for
    every side, three (one per axis, both sides), or the three pairs."""
    try:
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            pairs = ((value, value),) * 3
        elif len(value) == 3 and all(isinstance(v, (int, np.integer)) for v in value):
            pairs = tuple((v, v) for v in value)
        else:
            pairs = tuple(tuple(v) for v in value)
        pairs = tuple(tuple(int(n) for n in pair) for pair in pairs)
    except (TypeError, ValueError):
        pairs = None
    if pairs is None or len(pairs) != 3 or any(len(p) != 2 or min(p) < 0 for p in pairs):
        raise ValueError(f"{owner}: {label} must be a number >= 0, three of them (depth, rows, columns) or "
                         f"three (before, after) pairs, got {value!r}")
    return pairs


class ZeroPadding3D(ZeroPadding):
    """Add zeros around each volume: ``y[:, d0:d0 + D, h0:h0 + H, w0:w0 + W] = x``, zeros
    elsewhere; ``dx`` is ``dy`` in that window.

    Args:
        padding: 1 (the default: one on every side), ``(depth, rows, columns)`` or three
            ``(before, after)`` pairs.

    Shape: ``(N, D, H, W, C) -> (N, D + d0 + d1, H + h0 + h1, W + w0 + w1, C)``.
    """

    RANK = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        _channels_last("ZeroPadding3D", data_format)
        self.padding = self.borders = _triples(padding, "ZeroPadding3D", "padding")

    def get_config(self):
        return {**super().get_config(), "padding": [list(p) for p in self.padding]}


class Cropping3D(Cropping):
    """Cut borders off each volume: ``y = x[:, d0:D - d1, h0:H - h1, w0:W - w1]``; ``dx`` is
    zeros with ``dy`` in that window.

    Args:
        cropping: three ``(before, after)`` pairs (the default cuts one off every side), one
            number for every side, or ``(depth, rows, columns)``.

    Shape: ``(N, D, H, W, C) -> (N, D - d0 - d1, H - h0 - h1, W - w0 - w1, C)``.
    """

    RANK = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        _channels_last("Cropping3D", data_format)
        self.cropping = self.borders = _triples(cropping, "Cropping3D", "cropping")

    def get_config(self):
        return {**super().get_config(), "cropping": [list(p) for p in self.cropping]}


class UpSampling3D(UpSampling):
    """Repeat every position ``size`` times along the depth, rows and columns::

        y[:, i, j, l] = x[:, i // sd, j // sh, l // sw]
        dx[:, a, b, e] = sum of dy over the sd x sh x sw block that position became

    Args:
        size: 2 (the default, every way) or ``(depth, rows, columns)``.

    Shape: ``(N, D, H, W, C) -> (N, sd * D, sh * H, sw * W, C)``.
    """

    RANK = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(**kwargs)
        _channels_last("UpSampling3D", data_format)
        self.size = self.factors = as_triple(size, "size", "UpSampling3D")

    def get_config(self):
        return {**super().get_config(), "size": list(self.size)}
