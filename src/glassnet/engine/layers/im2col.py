"""im2col: a convolution as one matrix multiply, and the helpers every sliding window shares.

Copy every ``KH x KW`` patch of the input into one row of a matrix (:func:`im2col`); the
convolution of the whole batch is then that matrix times the kernel, one call to BLAS.
Its way back, :func:`col2im`, adds each patch's gradient onto the pixels the patch came
from. :func:`conv2d_reference` is the definition written as plain loops: slow, obvious,
and what the tests compare every fast path against. The shape helpers (padding, output
sizes) serve the pooling layers too. docs/im2col.md tells the story with the figures.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

PADDINGS = ("valid", "same")
# Below this many channels a patch's runs of contiguous numbers are too short: im2col copies
# one kernel offset at a time instead (and Conv2D stores the patches one offset per plane).
FEW_CHANNELS = 8
# The kernel's gradient, patches.T @ dz, summed over many thin rows (a grey image's patch
# has 10 or 26 numbers): BLAS does it faster in blocks of rows that fit in one core's L2
# cache (1 MB here) than in one call (:func:`tall_inner`). One thread, batch of 64:
# the default CNN's first convolution (10 x 32) 153 -> 83 us, LeNet-5's (26 x 6)
# 439 -> 185 us; 512 KB blocks measured better than 256 KB and 1 MB. Wide rows (151 or
# 289 numbers) gain nothing (404 -> 427 us): they stay one multiply.
CACHE_BYTES = 1 << 19
THIN = 64            # at most this many numbers in a row of patches and of dz together


def as_pair(value, what, owner):
    """``3 -> (3, 3)``; ``(3, 2)`` stays; anything but positive integers is a ValueError."""
    pair = (value, value) if np.ndim(value) == 0 else tuple(value)
    if len(pair) != 2 or not all(int(v) == v and v >= 1 for v in pair):
        raise ValueError(f"{owner}: {what} must be a positive integer or a pair of them, got {value!r}")
    return int(pair[0]), int(pair[1])


def as_padding(value, owner):
    padding = str(value).lower()
    if padding not in PADDINGS:
        raise ValueError(f"{owner}: padding must be 'valid' or 'same', got {value!r}")
    return padding


def output_length(size, window, stride, padding):
    """Output positions along one axis: ``floor((size - window) / stride) + 1`` for "valid";
    ``ceil(size / stride)`` for "same", which pads just enough to get there. A size left
    open (None) gives None."""
    if size is None:
        return None
    if padding == "same":
        return -(-size // stride)
    return (size - window) // stride + 1


def same_padding(size, window, stride):
    """``(before, after)`` zeros for "same" padding; the odd one goes after, as in Keras."""
    total = max((output_length(size, window, stride, "same") - 1) * stride + window - size, 0)
    return total // 2, total - total // 2


def span(kernel_size, dilation=(1, 1)):
    """How many pixels a dilated kernel covers along each axis: ``(K - 1) * D + 1``
    (a 3x3 kernel with dilation 2 reads every other pixel of a 5x5 square)."""
    return tuple((k - 1) * d + 1 for k, d in zip(kernel_size, dilation))


def im2col(x, kernel_size, strides, out=None, dilation=(1, 1)):
    """Copy every patch of ``x`` into a row: ``(N, H, W, C) -> (N, OH, OW, KH, KW, C)``.

    Reshaped to ``(N*OH*OW, KH*KW*C)``, row ``(n, i, j)`` holds the patch under output pixel
    ``(i, j)`` of image ``n``, in the same order as the kernel's ``(KH, KW, C)`` axes, so
    ``cols @ kernel.reshape(KH*KW*C, F)`` is the convolution. With a dilation ``(DH, DW)``
    kernel offset ``(di, dj)`` reads pixel ``(i*SH + di*DH, j*SW + dj*DW)``: the same
    kernel, spread out with gaps.
    """
    (kh, kw), (sh, sw), (dh, dw) = kernel_size, strides, dilation
    (span_h, span_w), (n, h, w, c) = span(kernel_size, dilation), x.shape
    oh, ow = (h - span_h) // sh + 1, (w - span_w) // sw + 1
    cols = np.empty((n, oh, ow, kh, kw, c), x.dtype) if out is None else out
    if c >= FEW_CHANNELS:
        # One copy through a strided view: no pixel is copied before it's needed. The
        # view is (N, OH, OW, C, KH, KW); moving C last makes each copied run C long.
        windows = sliding_window_view(x, (span_h, span_w), axis=(1, 2))[:, ::sh, ::sw, :, ::dh, ::dw]
        np.copyto(cols, windows.transpose(0, 1, 2, 4, 5, 3))
    else:
        # Few channels (a grayscale input has 1): the runs above would be a few numbers
        # long. Copying one kernel offset at a time moves whole image rows instead.
        for i in range(kh):
            for j in range(kw):
                top, left = i * dh, j * dw
                cols[:, :, :, i, j, :] = x[:, top:top + sh * oh:sh, left:left + sw * ow:sw, :]
    return cols


def col2im(pages, image_shape, strides, out=None, dilation=(1, 1)):
    """The way back from :func:`im2col`: add every patch's gradient onto its pixels.

    ``pages[di, dj]`` holds, for every output position ``(n, i, j)``, the gradient of the
    pixel that kernel offset ``(di, dj)`` saw there: ``x[n, i*SH + di*DH, j*SW + dj*DW, :]``.
    A pixel seen from several offsets (patches overlap) gets the sum. Pixels no patch saw
    get zero, and so does any part of ``image_shape`` past the last patch.

    Shapes: ``pages`` is ``(KH, KW, N, OH, OW, C)``, offset first, so that each of the
    KH*KW additions below reads one contiguous page; the result (written into ``out`` if
    given) is ``(N, H, W, C)``.
    """
    kh, kw, n, oh, ow, c = pages.shape
    (sh, sw), (dh, dw) = strides, dilation
    dilated = (dh, dw) != (1, 1)
    overlap = sh < kh or sw < kw or dilated      # (a dilated kernel's taps may interleave)
    tiled = not dilated and (sh, sw) == (kh, kw) and (oh * kh, ow * kw) == tuple(image_shape[:2])
    dx = np.empty((n,) + tuple(image_shape), pages.dtype) if out is None else out
    if not tiled:     # every pixel gets a value below only when the patches tile the image
        dx[...] = 0
    for di in range(kh):
        for dj in range(kw):
            top, left = di * dh, dj * dw
            target = dx[:, top:top + sh * oh:sh, left:left + sw * ow:sw, :]
            if overlap:
                target += pages[di, dj]
            else:   # each pixel gets one value at most: a copy, faster than an addition
                target[...] = pages[di, dj]
    return dx


def conv2d_reference(x, kernel, bias=None, strides=1, padding="valid", dilation=1):
    """The convolution by its definition, one output number at a time (slow; for teaching).

    ``y[n, i, j, f] = b[f] + sum over (di, dj, c) of x[n, i*sh + di*dh, j*sw + dj*dw, c] * K[di, dj, c, f]``
    where ``x`` is the input after zero padding and ``(dh, dw)`` the dilation (1: no gaps).
    (Deep-learning "convolution" does not flip the kernel; mathematicians call this
    cross-correlation.)
    """
    (kh, kw, _, filters), (sh, sw) = kernel.shape, as_pair(strides, "strides", "conv2d_reference")
    (dh, dw) = as_pair(dilation, "dilation", "conv2d_reference")
    (span_h, span_w), (n, h, w, _) = span((kh, kw), (dh, dw)), x.shape
    if padding == "same":
        x = np.pad(x, ((0, 0), same_padding(h, span_h, sh), same_padding(w, span_w, sw), (0, 0)))
    oh, ow = (x.shape[1] - span_h) // sh + 1, (x.shape[2] - span_w) // sw + 1
    y = np.zeros((n, oh, ow, filters), dtype=np.result_type(x, kernel))
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                patch = x[b, i * sh:i * sh + span_h:dh, j * sw:j * sw + span_w:dw, :]   # (KH, KW, C)
                for f in range(filters):
                    y[b, i, j, f] = np.sum(patch * kernel[:, :, :, f])
                    if bias is not None:
                        y[b, i, j, f] += bias[f]
    return y


def tall_inner(a, b, out, work):
    """``out = a.T @ b`` for tall ``a`` (M, K) and ``b`` (M, N): ``[cols, 1].T @ dz``, the
    kernel's gradient summed over every patch. With thin rows (``K + N <= THIN``) the sum runs
    block of rows by block, each block's share into ``work`` (K, N), then added on. The
    blocks are fixed by the shapes alone, so the sum comes out the same on every run."""
    rows = max(256, CACHE_BYTES // ((a.shape[1] + b.shape[1]) * a.itemsize))
    if len(a) <= rows or a.shape[1] + b.shape[1] > THIN:
        return np.matmul(a.T, b, out=out)
    np.matmul(a[:rows].T, b[:rows], out=out)
    for top in range(rows, len(a), rows):
        out += np.matmul(a[top:top + rows].T, b[top:top + rows], out=work)
    return out
