"""Windows over volumes ``(N, D, H, W, C)``: what the 3-D convolutions and poolings share.

A video's frames or a scan's slices are a third axis in front of the rows and columns. The
windows are taken as in 2-D (:mod:`glassnet.engine.layers.im2col`), with one axis more:

* :func:`patches` is every window as a strided view, ``(N, OD, OH, OW, C, KD, KH, KW)``, nothing
  copied (im2col is one copy of it);
* :func:`scatter` is the way back: each kernel offset's gradient, one strided view of the
  input per offset, added onto the positions that offset read (col2im).
"""

import itertools

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from glassnet.engine.layers.im2col import output_length, same_padding, span
from glassnet.errors import ShapeError

AXES = (1, 2, 3)


def as_triple(value, what, owner):
    """``3 -> (3, 3, 3)``; ``(3, 2, 1)`` stays; anything but positive integers is a ValueError."""
    triple = (value,) * 3 if np.ndim(value) == 0 else tuple(value)
    if len(triple) != 3 or not all(not isinstance(v, bool) and int(v) == v and v >= 1 for v in triple):
        raise ValueError(f"{owner}: {what} must be a positive integer or three of them, got {value!r}")
    return tuple(int(v) for v in triple)


def channels_last(owner, data_format):
    if data_format not in (None, "channels_last"):
        raise ValueError(f"{owner}: data_format={data_format!r} is not supported by glassnet "
                         f"(volumes are (batch, depth, height, width, channels))")


def need_volumes(layer):
    """A one-line error unless the layer was built for volumes ``(D, H, W, C)``."""
    if len(layer.input_shape) != 4 or layer.input_shape[-1] is None:
        raise ShapeError(f"layer '{layer._display_name}' ({type(layer).__name__}) needs volumes (batch, depth, "
                         f"height, width, channels) with the channels known, but got "
                         f"{('batch',) + tuple(layer.input_shape)}")


def out_sizes(sizes, spans, strides, padding):
    """Output positions along each axis (None for a size left open)."""
    return tuple(output_length(n, k, s, padding) for n, k, s in zip(sizes, spans, strides))


def pads(sizes, spans, strides, padding):
    """``((before, after),) * 3``: Keras's "same" padding, or none."""
    if padding != "same":
        return ((0, 0),) * 3
    return tuple(same_padding(n, k, s) for n, k, s in zip(sizes, spans, strides))


def fit(layer, shape, spans):
    """``layer.volume``, ``layer.pads`` and ``layer.out`` for volumes of ``shape`` (D, H, W, C),
    or a one-line error when no window fits."""
    sizes = tuple(shape[:3])
    out = out_sizes(sizes, spans, layer.strides, layer.padding)
    if min(out) < 1:
        raise ShapeError(f"layer '{layer._display_name}' ({type(layer).__name__}): a window covering {spans} "
                         f"doesn't fit in volumes of {sizes} with padding='{layer.padding}'")
    layer.volume, layer.out = tuple(shape), out
    layer.pads = pads(sizes, spans, layer.strides, layer.padding)


def pad(x, borders, fill=0.0):
    """``x`` with ``borders`` of ``fill`` around its three volume axes."""
    if not any(before or after for before, after in borders):
        return x
    return np.pad(x, ((0, 0), *borders, (0, 0)), constant_values=fill)


def unpad(dxp, borders, sizes):
    """The padded input's gradient without its borders."""
    return dxp[(slice(None),) + tuple(slice(before, before + n) for (before, _), n in zip(borders, sizes))]


def patches(xp, kernel, strides, dilation=(1, 1, 1)):
    """Every window of the padded ``xp`` (N, D, H, W, C) as a view (N, OD, OH, OW, C, KD, KH, KW):
    ``[n, i, j, l, c, a, b, e] = xp[n, i*SD + a*DD, j*SH + b*DH, l*SW + e*DW, c]``."""
    (sd, sh, sw), (dd, dh, dw) = strides, dilation
    view = sliding_window_view(xp, span(kernel, dilation), axis=AXES)
    return view[:, ::sd, ::sh, ::sw, :, ::dd, ::dh, ::dw]


def offsets(kernel, strides, out, dilation=(1, 1, 1)):
    """Each kernel offset ``(a, b, e)`` with the index of the input positions it read for
    every output: ``[:, a*DD : ... : SD, b*DH : ... : SH, e*DW : ... : SW]``."""
    for offset in itertools.product(*(range(k) for k in kernel)):
        yield offset, (slice(None),) + tuple(slice(k * d, k * d + s * (o - 1) + 1, s)
                                             for k, d, s, o in zip(offset, dilation, strides, out))


def scatter(pages, padded_shape, kernel, strides, dilation=(1, 1, 1)):
    """col2im in 3-D: ``pages`` (N, OD, OH, OW, KD, KH, KW, C), each offset's gradient, added
    onto the positions that offset read; returns the padded input's gradient ``padded_shape``."""
    dxp = np.zeros(padded_shape, pages.dtype)
    out = pages.shape[1:4]
    for (a, b, e), where in offsets(kernel, strides, out, dilation):
        dxp[where] += pages[:, :, :, :, a, b, e]
    return dxp
