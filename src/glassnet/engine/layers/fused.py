"""Conv2D then MaxPooling2D, computed together: the same numbers, less memory traffic.

The default CNN's first convolution writes 26x26x32 numbers per image (86 KB), and the
pooling layer right after reads them all back to keep one in four. For a batch of 128
that is 11 MB written to main memory and read again, in the forward pass and once more
in the backward pass: more time than the multiplications take. Run together, chunk by
chunk, the convolution's full output never leaves the processor's cache: each chunk of
images is convolved and pooled at once, and only the pooled maps (a quarter of the
numbers) are written.

How, for pooling windows that tile the image (``pool_size == strides``, ``"valid"``):

* **Pool first, then ReLU.** ReLU never changes which of two numbers is larger, so
  ``max(relu(z1), relu(z2)) = relu(max(z1, z2))``: the activation runs on a quarter of
  the numbers.
* **im2col: one matrix multiply per window offset.** The outputs at offset ``(di, dj)``
  of every 2x2 window form a convolution with twice the stride, started ``di`` rows and
  ``dj`` columns in. Each offset is one multiply; a running maximum over the offsets,
  remembering which offset won (one byte per output), is the pooling.
* **Winograd: pool inside the tiles.** An output tile is 4x4 or 6x6 pixels: whole 2x2
  windows. The max is taken over pages of the tiles' outputs, before they are put in
  place in the image (one copy of a quarter of the numbers instead of one of all of
  them). Windows that don't divide the tile (3x3 in a 4x4 tile, 4x4 in a 6x6) stay apart.

Backward: the gradient of each pooled output goes to the window offset that won (the
first one on a tie, as :class:`MaxPooling2D` does), times ReLU's derivative, and from
there through the convolution's usual backward pass.

A model runs every Conv2D (ReLU or no activation) whose only reader is such a
MaxPooling2D this way (:func:`plan`); ``glassnet.engine.layers.fused.FUSE = False`` runs
every layer on its own. The tests compare the two, gradients included, and
``benchmarks/cnn_mnist.py --split`` times both.
"""

import numpy as np

from glassnet.engine.layers import activations, chunks, winograd
from glassnet.engine.layers.conv import Conv2D
from glassnet.engine.layers.pooling import MaxPooling2D

FUSE = True   # False: every layer runs on its own (for comparing, and for tests)


def fusable(conv, pool):
    """True when ``pool(conv(x))`` can be computed by :class:`ConvPool`."""
    if type(conv) is not Conv2D or type(pool) is not MaxPooling2D or not pool.tiled:
        return False
    if not (conv.activation is None or isinstance(conv.activation, activations.ReLU)):
        return False
    if conv.winograd is not None:          # pooling windows must fit whole in a tile
        m, (ph, pw) = conv.winograd.m, pool.pool_size
        return m % ph == 0 and m % pw == 0
    return True


def plan(steps, output_slots, shared, make_step):
    """The steps a model runs: ``steps`` (in order), with each fusable Conv2D step and the
    MaxPooling2D step after it replaced by one step running a :class:`ConvPool`.

    A Conv2D is fused with the MaxPooling2D after it when that pooling is the only reader
    of its output, the output is not one of the model's, and neither layer is called twice
    (``shared``: the layers that are). ``make_step(layer, node, inputs, output)`` makes a
    step (the model's own Step class).
    """
    if not FUSE:
        return list(steps)
    readers = {}
    for index, step in enumerate(steps):
        for slot in step.inputs:
            readers.setdefault(slot, []).append(index)
    fused_into = {}                          # the index of a pooling step -> its fused step
    for index, step in enumerate(steps):
        only = readers.get(step.output, [])
        if len(only) != 1 or step.output in output_slots or step.takes_list:
            continue
        pool_step = steps[only[0]]
        if step.layer in shared or pool_step.layer in shared or not fusable(step.layer, pool_step.layer):
            continue
        fused_into[only[0]] = make_step(ConvPool(step.layer, pool_step.layer), step.node, step.inputs,
                                        pool_step.output)
        fused_into[index] = None             # runs as part of the fused step
    # The fused step takes the pooling's place: everything that reads the pooled output
    # comes after it, and its input was ready before the convolution.
    return [fused_into.get(index, step) for index, step in enumerate(steps)
            if fused_into.get(index, step) is not None]


def pairs(steps):
    """The :class:`ConvPool` units among a model's steps."""
    return [step.layer for step in steps if isinstance(step.layer, ConvPool)]


class ConvPool:
    """``pool(conv(x))`` in one pass over the batch; the weights and their gradients stay
    the Conv2D's own.

    Forward: ``(N, H, W, C) -> (N, PH, PW, F)``, the pooled maps. Backward: the gradient
    of the pooled maps -> the gradient of ``x`` (None when the Conv2D needs none), and
    the Conv2D's ``grads`` filled as its own backward pass would.
    """

    takes_list = False

    def __init__(self, conv, pool):
        self.conv, self.pool = conv, pool
        ph, pw = pool.pool_size
        self.offsets = [(di, dj) for di in range(ph) for dj in range(pw)]   # row by row
        self.winners = None

    def walk(self):
        """The two layers (a model looks here for weights and gradients)."""
        yield self.conv
        yield self.pool

    @property
    def needs_input_grad(self):
        return self.conv.needs_input_grad

    @needs_input_grad.setter
    def needs_input_grad(self, value):
        self.conv.needs_input_grad = self.pool.needs_input_grad = value

    def forward(self, x, training=False):
        conv, pool = self.conv, self.pool
        conv.prepare(x, training)
        conv.y = None          # the full output is never made
        y = np.empty((len(x),) + pool.output_shape(conv.output_shape(conv.input_shape)), x.dtype)
        self.x, self.y = x, y
        self.winners = {} if training else None    # chunk -> the winning offsets, kept for backward
        self.cols = {}                             # chunk -> each offset's patches (im2col, training)
        work = self._im2col_forward if conv.winograd is None else self._winograd_forward
        chunks.run(len(x), conv._chunk_size(), lambda worker, lo, hi: work(x, y, lo, hi, worker))
        return y

    def backward(self, dy):
        conv = self.conv
        if self.winners is None:       # forward ran for inference: keep what backward needs
            self.forward(self.x, training=True)
        dx = np.empty(self.x.shape, dy.dtype) if conv.needs_input_grad else None
        work = self._im2col_backward if conv.winograd is None else self._winograd_backward
        parts = {}

        def run(worker, lo, hi):
            parts[lo] = work(dy, dx, lo, hi, worker)

        chunks.run(len(dy), conv._chunk_size(), run)
        conv.store_gradients(parts)
        return dx

    # -- pooling as a running maximum ------------------------------------------------------
    def _running_max(self, pages, best, win, worker):
        """``best = max over the offsets of pages(offset)``, and ``win`` (if not None) the
        first offset that holds it. ``pages(k)`` is offset ``k``'s outputs, shaped as ``best``.

        Offset ``k`` takes the lead where it is strictly larger than all before it (a tie
        stays with the earlier one), so the winner is the last offset that took the lead:
        ``win = max over k of k * took_lead(k)``, all of it whole-array arithmetic.
        """
        conv = self.conv
        so_far = pages(0)                  # the maximum so far: offset 0's page, then `best`
        if win is not None:
            win[...] = 0
        for k in range(1, len(self.offsets)):
            page = pages(k)
            if win is not None:
                lead = np.greater(page, so_far, out=conv._buffer("fused_lead", worker, best.shape, np.bool_))
                lead = lead.view(np.uint8)
                np.multiply(lead, np.uint8(k), out=lead)
                np.maximum(win, lead, out=win)
            so_far = np.maximum(so_far, page, out=best)
        if so_far is not best:             # a single offset (a 1x1 window)
            np.copyto(best, so_far)

    def _gradient_pages(self, dy, lo, hi, worker, out=None):
        """``dy * f'`` for images ``lo:hi``: the pooled gradient after ReLU's derivative
        (into ``out`` when given, else a work array, or ``dy`` itself without a derivative)."""
        derivative = self.conv._derivative(self.y[lo:hi], worker)
        if derivative is None:
            if out is None:
                return dy[lo:hi]
            np.copyto(out, dy[lo:hi])
            return out
        if out is None:
            out = self.conv._buffer("fused_dz", worker, derivative.shape, dy.dtype)
        return np.multiply(dy[lo:hi], derivative, out=out)

    # -- im2col: a matrix multiply per window offset ---------------------------------------
    def _offset_cols(self, xp, k, out_shape, keep, lo, worker):
        """``[cols, 1]`` of window offset ``k``'s outputs for the padded images ``xp``:
        ``(n*OH*OW, KH*KW*C + 1)``, one patch per row (kept for backward when ``keep``)."""
        conv, (ph, pw) = self.conv, self.pool.pool_size
        (kh, kw), (sh, sw) = conv.kernel_size, conv.strides
        (oh, ow), (di, dj) = out_shape, self.offsets[k]
        top, left = di * sh, dj * sw
        window = xp[:, top:top + (oh - 1) * ph * sh + kh, left:left + (ow - 1) * pw * sw + kw]
        return conv.patch_matrix(window, (ph * sh, pw * sw), out_shape,
                                 ("fused_cols", lo, k) if keep else "fused_cols", worker)

    def _im2col_forward(self, x, y, lo, hi, worker):
        conv, n = self.conv, hi - lo
        xp = conv._padded(x, lo, hi, worker)
        oh, ow, f = y.shape[1:]
        keep = self.winners is not None
        best = y[lo:hi].reshape(n * oh * ow, f)
        win = conv.workspace.get(("fused_win", lo), best.shape, np.uint8, worker=worker) if keep else None

        kept = self.cols.setdefault(lo, []) if keep else None

        def page(k):
            cols = self._offset_cols(xp, k, (oh, ow), keep, lo, worker)
            if keep:
                kept.append(cols)
            out = best if k == 0 else conv._buffer("fused_z", worker, best.shape, x.dtype)
            return np.matmul(cols, conv.kernel_matrix, out=out)

        self._running_max(page, best, win, worker)
        conv._activate(best)
        if keep:
            self.winners[lo] = win

    def _im2col_backward(self, dy, dx, lo, hi, worker):
        conv, n = self.conv, hi - lo
        oh, ow, f = self.y.shape[1:]
        g = self._gradient_pages(dy, lo, hi, worker).reshape(-1, f)
        win = self.winners[lo]
        part = conv.workspace.get(("grad", lo), conv.kernel_matrix.shape, dy.dtype, worker=worker)
        if dx is not None:
            (top, bottom), (left, right) = conv.pads
            h, w, c = conv.input_shape
            dx_padded = conv._buffer("fused_dx", worker, (n, top + h + bottom, left + w + right, c),
                                     dy.dtype, zero=True)
        for k in range(len(self.offsets)):
            chosen = np.equal(win, k, out=conv._buffer("fused_chosen", worker, win.shape, np.bool_))
            dz = np.multiply(g, chosen, out=conv._buffer("fused_dzk", worker, g.shape, dy.dtype))
            cols = self.cols[lo][k]
            if k == 0:
                np.matmul(cols.T, dz, out=part)
            else:
                part += np.matmul(cols.T, dz, out=conv._buffer("fused_part", worker, part.shape, dy.dtype))
            if dx is not None:
                self._add_input_gradient(dz, k, dx_padded, (n, oh, ow), worker)
        if dx is not None:
            conv._unpad(dx_padded, dx, lo, hi)
        return part, None

    def _add_input_gradient(self, dz, k, dx_padded, out_shape, worker):
        """Add offset ``k``'s share of the input gradient onto ``dx_padded``: each patch's
        gradient ``dz @ K.T``, onto the pixels the patch came from (col2im)."""
        conv, (ph, pw) = self.conv, self.pool.pool_size
        (kh, kw), (sh, sw), c = conv.kernel_size, conv.strides, dx_padded.shape[-1]
        (n, oh, ow), (di, dj) = out_shape, self.offsets[k]
        pages = np.matmul(dz, conv.params["kernel"].transpose(0, 1, 3, 2),
                          out=conv._buffer("fused_pages", worker, (kh, kw, len(dz), c), dz.dtype))
        step_h, step_w = ph * sh, pw * sw
        for u in range(kh):
            for v in range(kw):
                top, left = di * sh + u, dj * sw + v
                dx_padded[:, top:top + (oh - 1) * step_h + 1:step_h,
                          left:left + (ow - 1) * step_w + 1:step_w] += pages[u, v].reshape(n, oh, ow, c)

    # -- Winograd: pooling inside the output tiles ------------------------------------------
    def _winograd_forward(self, x, y, lo, hi, worker):
        conv, (ph, pw) = self.conv, self.pool.pool_size
        m, (t, s), f, n = conv.winograd.m, conv._tile_counts(), conv.filters, hi - lo
        rows, cols = m // ph, m // pw            # pooled outputs per tile, down and across
        out = conv.winograd_outputs(x, lo, hi, worker)          # (m, m, n, T, S, F)
        if conv.exact_zeros:
            self._exact_where_silent(out, x, lo, hi)
        pages = out.reshape(rows, ph, cols, pw, n, t, s, f)     # pixel (a*ph + di, b*pw + dj)
        best = conv._buffer("fused_best", worker, (rows, cols, n, t, s, f), x.dtype)
        keep = self.winners is not None
        win = conv.workspace.get(("fused_win", lo), best.shape, np.uint8, worker=worker) if keep else None
        self._running_max(lambda k: pages[:, self.offsets[k][0], :, self.offsets[k][1]], best, win, worker)
        conv._activate(best)
        # best[a, b] is pooled pixel (a, b) of every tile: a tile of rows x cols pooled pixels
        winograd.untile(best, y[lo:hi],
                        lambda: conv._buffer("fused_tiled", worker, (n, t * rows, s * cols, f), y.dtype))
        if keep:
            self.winners[lo] = win

    def _exact_where_silent(self, out, x, lo, hi):
        """The Conv2D's exactness at all-zero input windows (see ``Conv2D.silent_outputs``),
        on the output tiles: where the window is silent, the output is exactly the bias."""
        conv, m, (t, s) = self.conv, self.conv.winograd.m, self.conv._tile_counts()
        silent = conv.silent_outputs(x, lo, hi)                 # (n, OH, OW)
        if not silent.any():
            return
        n, oh, ow = silent.shape
        tiled = np.zeros((n, m * t, m * s), bool)
        tiled[:, :oh, :ow] = silent
        out[winograd.tile_view(tiled, m, m)] = conv.params["bias"] if conv.use_bias else 0

    def _winograd_backward(self, dy, dx, lo, hi, worker):
        conv, (ph, pw) = self.conv, self.pool.pool_size
        m, (t, s), f, n = conv.winograd.m, conv._tile_counts(), conv.filters, hi - lo
        rows, cols = m // ph, m // pw
        win = self.winners[lo]                                  # (rows, cols, n, T, S, F)
        # The pooled gradient (after the activation's derivative) laid out as the winners
        # are: pooled pixel (i*rows + a, j*cols + b) is (a, b) of tile (i, j). The pooled
        # pixels past the image's edge stay zero (only the inside of `grid` is ever written).
        grid = conv._buffer("fused_grid", worker, (n, t * rows, s * cols, f), dy.dtype)
        self._gradient_pages(dy, lo, hi, worker, out=grid[:, :dy.shape[1], :dy.shape[2]])
        by_tile = winograd.tile_view(grid, rows, cols)
        # Each pooled gradient goes to the pixel of its tile that won, everything else is
        # zero: one page of output pixels per window offset (di, dj).
        dtiles = conv._buffer("fused_dtiles", worker, (m, m, n, t, s, f), dy.dtype)
        pages = dtiles.reshape(rows, ph, cols, pw, n, t, s, f)
        chosen = conv._buffer("fused_chosen", worker, win.shape, np.bool_)
        for k, (di, dj) in enumerate(self.offsets):
            np.equal(win, k, out=chosen)
            np.multiply(by_tile, chosen, out=pages[:, di, :, dj])
        return conv.winograd_backward(dtiles, conv.kept[lo], dx, lo, hi, worker)
