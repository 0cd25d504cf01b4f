"""Grouped convolution (Keras's ``groups=``): the channels cut into groups, each with its own filters.

With ``groups=G`` the ``C`` input channels are cut into ``G`` groups of ``C / G`` neighbours,
and the ``F`` filters into ``G`` groups of ``F / G``: filter ``f`` reads only the channels of
group ``f // (F / G)``. That is ``G`` small convolutions side by side, with ``G`` times fewer
weights and multiplications than one full convolution (AlexNet's two GPUs, ResNeXt's blocks;
``G = C`` is a depthwise convolution). The kernel keeps Keras's shape, ``(KH, KW, C/G, F)``.

Here the windows are cut out once for all the channels (im2col), then split by group, and the
whole convolution is one batched matrix multiply over the groups::

    cols: (M, T, C) -> (G, M, T*C/G)         # M windows, T taps, the channels of each group
    kernel: (T, C/G, F) -> (G, T*C/G, F/G)   # each group's filters
    z = cols @ kernel: (G, M, F/G) -> (M, F) # filter f = g * F/G + j: group g, its j-th

Backward is Dense's for each group: ``dK_g = cols_g.T @ dz_g`` and ``dcols_g = dz_g @ K_g.T``,
and ``dcols`` goes back onto the pixels (col2im) as for any convolution. One group (the
default) never comes here: Conv2D and Conv1D keep their own paths for it.
"""

import numpy as np

from glassnet.engine.layers.im2col import col2im, im2col
from glassnet.errors import ShapeError


def check_groups(owner, groups, filters):
    """``groups`` as an int, or a ValueError: a positive integer that divides ``filters``."""
    if isinstance(groups, bool) or int(groups) != groups or groups < 1:
        raise ValueError(f"{owner}: groups must be a positive integer, got {groups!r}")
    if filters % int(groups):
        raise ValueError(f"{owner}: the number of filters must be evenly divisible by the number of groups; "
                         f"got filters={filters}, groups={groups}")
    return int(groups)


def group_channels(layer, channels):
    """``C / G`` for a layer of ``layer.groups`` groups on ``channels`` input channels, or a
    one-line ShapeError when the groups don't divide them (Keras's check)."""
    if channels % layer.groups:
        raise ShapeError(f"layer '{layer._display_name}' ({type(layer).__name__}): the number of input channels "
                         f"must be evenly divisible by the number of groups; got groups={layer.groups}, but "
                         f"the input has {channels} channels")
    return channels // layer.groups


def grouped_matmul(cols, kernel, groups):
    """The convolution of windows ``cols`` (M, T, C) with ``kernel`` (T, C/G, F), group by
    group: ``z`` (M, F), and the two stacks multiplied, kept for :func:`grouped_matmul_backward`."""
    (m, taps, channels), filters = cols.shape, kernel.shape[-1]
    per_group, per_filter = channels // groups, filters // groups
    a = cols.reshape(m, taps, groups, per_group).transpose(2, 0, 1, 3).reshape(groups, m, taps * per_group)
    w = kernel.reshape(taps, per_group, groups, per_filter).transpose(2, 0, 1, 3).reshape(
        groups, taps * per_group, per_filter)                                      # (G, T*C/G, F/G)
    z = np.matmul(a, w)                                                            # (G, M, F/G)
    return z.transpose(1, 0, 2).reshape(m, filters), (a, w)


def grouped_matmul_backward(dz, stacks, kernel_shape, need_cols):
    """From ``dz`` (M, F): the kernel's gradient, shaped ``kernel_shape`` (T, C/G, F), and
    (``need_cols``) the windows' gradient ``(M, T, C)``, else None."""
    a, w = stacks
    groups, m = len(a), len(dz)
    taps, per_group, filters = kernel_shape
    dz = dz.reshape(m, groups, filters // groups).transpose(1, 0, 2)               # (G, M, F/G)
    dw = np.matmul(a.transpose(0, 2, 1), dz)                                       # (G, T*C/G, F/G)
    dkernel = dw.reshape(groups, taps, per_group, -1).transpose(1, 2, 0, 3).reshape(kernel_shape)
    if not need_cols:
        return dkernel, None
    da = np.matmul(dz, w.transpose(0, 2, 1))                                       # (G, M, T*C/G)
    return dkernel, da.reshape(groups, m, taps, per_group).transpose(1, 2, 0, 3).reshape(m, taps, -1)


class GroupedPath:
    """Conv2D's passes for ``groups > 1``: im2col on all the channels, then
    :func:`grouped_matmul` (plain and unchunked: the fast paths are for one group)."""

    def grouped_forward(self, x, training):
        self.check_input(x)
        self.fit_batch(x)
        self.x = x
        (top, bottom), (left, right) = self.pads
        padded = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
        (kh, kw), (n, channels) = self.kernel_size, (len(x), x.shape[-1])
        oh, ow, filters = self.output_shape(self.image)
        cols = im2col(padded, self.kernel_size, self.strides, dilation=self.dilation_rate)  # (N, OH, OW, KH, KW, C)
        kernel = self.params["kernel"]
        z, self.stacks = grouped_matmul(cols.reshape(n * oh * ow, kh * kw, channels),
                                        kernel.reshape(kh * kw, -1, filters), self.groups)
        if self.use_bias:
            z += self.params["bias"]
        z = z.reshape(n, oh, ow, filters)
        return z if self.activation is None else self.activation.forward(z, training)

    def grouped_backward(self, dy):
        dz = dy if self.activation is None else self.activation.backward(dy)
        n, oh, ow, filters = dz.shape
        dz = dz.reshape(-1, filters)                                               # (N*OH*OW, F)
        (kh, kw), kernel = self.kernel_size, self.grads["kernel"]
        dkernel, dcols = grouped_matmul_backward(dz, self.stacks, (kh * kw, kernel.shape[2], filters),
                                                 self.needs_input_grad)
        kernel[...] = dkernel.reshape(kernel.shape)
        if self.use_bias:
            self.grads["bias"][...] = dz.sum(axis=0)
        self.add_penalty_gradients()
        if dcols is None:
            return None
        h, w, channels = self.image
        (top, bottom), (left, right) = self.pads
        pages = dcols.reshape(n, oh, ow, kh, kw, channels).transpose(3, 4, 0, 1, 2, 5)   # (KH, KW, N, OH, OW, C)
        dx = col2im(np.ascontiguousarray(pages), (top + h + bottom, left + w + right, channels), self.strides,
                    dilation=self.dilation_rate)
        return dx[:, top:top + h, left:left + w]
