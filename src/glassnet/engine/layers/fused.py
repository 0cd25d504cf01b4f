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
* **Winograd: only the outputs the pooling reads, the image's rows first.** A 2x2 pooling
  of the default CNN's 11x11 second convolution reads 10x10 of its outputs; F(5x5) tiles
  cover those exactly, with 196 Winograd points per image and channel pair where the
  Conv2D alone needs F(6x6)'s 256 for all 11x11 (:data:`WINOGRAD_TILES`). Inside the pair
  the images of a chunk are laid out rows first, ``(H, W, n, C)``: the rows under a row
  of tiles are then one matrix, and every transform is a few matrix multiplies straight
  from the image (``winograd.windows_to_points``) and straight back into it
  (``winograd.points_to_windows``), with no tiles cut out and no tiles put back in place.
  The pooling windows are strided pages of that image, wherever the tiles' edges fall.
  The default CNN's second convolution and pooling, batch 128, against pooling inside
  F(6x6) tiles in the usual layout (medians of 30, old and new alternating): training
  forward 5.70 -> 4.06 ms, backward 8.06 -> 5.56 ms on one thread (4.97 -> 3.39 and
  6.20 -> 4.72 on two); prediction 42 -> 25 us per image (one thread), 36 -> 20 (two).

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
from glassnet.engine.layers import conv as conv_module
from glassnet.engine.layers.conv import BIAS_PAGE, Conv2D
from glassnet.engine.layers.pooling import MaxPooling2D

FUSE = True   # False: every layer runs on its own (for comparing, and for tests)

# The Winograd tiles a fused pair chooses from, for the outputs its pooling reads
# (winograd.fewest_points): F(5x5) for the default CNN's second convolution.
WINOGRAD_TILES = (winograd.F4, winograd.F5, winograd.F6)


def fusable(conv, pool):
    """True when ``pool(conv(x))`` can be computed by :class:`ConvPool`."""
    if type(conv) is not Conv2D or type(pool) is not MaxPooling2D or not pool.tiled:
        return False
    if not (conv.activation is None or isinstance(conv.activation, activations.ReLU)):
        return False
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
        self.tile, self.counts = self._choose_tile()
        conv.prepare(x, training, tile=self.tile)
        conv.y = None          # the full output is never made
        y = np.empty((len(x),) + pool.output_shape(conv.output_shape(conv.input_shape)), x.dtype)
        self.x, self.y = x, y
        self.winners = {} if training else None    # chunk -> the winning offsets, kept for backward
        self.cols = {}                             # chunk -> each offset's patches (im2col, training)
        work = self._im2col_forward if conv.winograd is None else self._winograd_forward
        chunks.run(len(x), self._chunk_size(), lambda worker, lo, hi: work(x, y, lo, hi, worker))
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

        chunks.run(len(dy), self._chunk_size(), run)
        conv.store_gradients(parts, tile=self.tile)
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

    # -- Winograd: the image rows first, only the outputs the pooling reads ----------------
    def _choose_tile(self):
        """The Winograd tile for the outputs the pooling windows read (``conv.winograd`` set),
        else None (im2col); and how many tiles cover them, down and across."""
        conv, pool = self.conv, self.pool
        if conv.winograd is None:
            return None, None
        (ph, pw), (rows, cols, _) = pool.pool_size, pool.output_shape(conv.output_shape(conv.input_shape))
        tile = winograd.fewest_points(rows * ph, cols * pw, WINOGRAD_TILES)
        return tile, (tile.tiles(rows * ph), tile.tiles(cols * pw))

    def _chunk_size(self):
        """Images per chunk: about ``conv.CHUNK_BYTES`` of the work arrays below."""
        if self.tile is None:
            return self.conv._chunk_size()
        (a, m), (t, s) = (self.tile.size, self.tile.m), self.counts
        c, f = self.conv.input_shape[-1], self.conv.filters
        image_in = (m * t + 2) * (m * s + 2) * c + a * t * (m * s + 2) * c
        per_image = image_in + t * s * (a * a * (c + f) + m * a * f) + m * t * m * s * f
        return max(1, conv_module.CHUNK_BYTES // (per_image * self.conv.params["kernel"].itemsize))

    def _rows_first(self, x, lo, hi, worker):
        """Images ``lo:hi`` laid out ``(H, W, n, C)``, with their padding and room for the last
        tile (only the inside is ever written: the rest stays zero)."""
        conv, m, (t, s) = self.conv, self.tile.m, self.counts
        image = conv._buffer("fused_image_in", worker, (m * t + 2, m * s + 2, hi - lo, x.shape[-1]), x.dtype)
        (top, _), (left, _) = conv.pads
        rows, cols = min(x.shape[1], len(image) - top), min(x.shape[2], image.shape[1] - left)
        image[top:top + rows, left:left + cols] = x[lo:hi, :rows, :cols].transpose(1, 2, 0, 3)
        return image, (rows, cols)

    def _winograd_forward(self, x, y, lo, hi, worker):
        conv, wg, (t, s), (ph, pw) = self.conv, self.tile, self.counts, self.pool.pool_size
        a, m, n, f, dtype = wg.size, wg.m, hi - lo, conv.filters, x.dtype
        image, _ = self._rows_first(x, lo, hi, worker)
        v = conv.workspace.get(("fused_v", lo) if conv.kept is not None else "fused_v",
                               (a * a, t * s * n, x.shape[-1]), dtype, worker=worker)
        winograd.windows_to_points(wg.BT.astype(dtype), image, m, (t, s), out=v,      # V = B^T d B
                                   half=conv._buffer("fused_half_in", worker, (a, t) + image.shape[1:], dtype))
        if conv.kept is not None:
            conv.kept[lo] = v
        points = np.matmul(v, conv.u, out=conv._buffer("fused_m", worker, (a * a, t * s * n, f), dtype))
        if conv.use_bias:
            points[BIAS_PAGE * a + BIAS_PAGE] += conv.params["bias"]   # see winograd.BIAS_POINT
        out = winograd.points_to_windows(wg.AT.astype(dtype), points.reshape(a, a, t, s, n, f), m,  # A^T M A
                                         out=conv._buffer("fused_out", worker, (m * t, m * s, n, f), dtype),
                                         half=conv._buffer("fused_half_out", worker, (m, a, t, s, n, f), dtype))
        if conv.exact_zeros:
            self._exact_where_silent(out, x, lo, hi)
        rows, cols = y.shape[1:3]
        pages = out[:rows * ph, :cols * pw].reshape(rows, ph, cols, pw, n, f)
        best = conv._buffer("fused_best", worker, (rows, cols, n, f), dtype)
        keep = self.winners is not None
        win = conv.workspace.get(("fused_win", lo), best.shape, np.uint8, worker=worker) if keep else None
        self._running_max(lambda k: pages[:, self.offsets[k][0], :, self.offsets[k][1]], best, win, worker)
        conv._activate(best)
        y[lo:hi] = best.transpose(2, 0, 1, 3)
        if keep:
            self.winners[lo] = win

    def _exact_where_silent(self, out, x, lo, hi):
        """The Conv2D's exactness at all-zero input windows (see ``Conv2D.silent_outputs``),
        on the outputs ``(rows, cols, n, F)``: where the window is silent, exactly the bias."""
        conv = self.conv
        silent = conv.silent_outputs(x, lo, hi)                 # (n, OH, OW)
        rows, cols = min(silent.shape[1], len(out)), min(silent.shape[2], out.shape[1])
        silent = silent[:, :rows, :cols].transpose(1, 2, 0)
        if silent.any():
            out[:rows, :cols][silent] = conv.params["bias"] if conv.use_bias else 0

    def _winograd_backward(self, dy, dx, lo, hi, worker):
        conv, wg, (t, s), (ph, pw) = self.conv, self.tile, self.counts, self.pool.pool_size
        a, m, n, f, dtype = wg.size, wg.m, hi - lo, conv.filters, dy.dtype
        rows, cols = dy.shape[1:3]
        # The pooled gradient after the activation's derivative, rows first like the winners.
        g = conv._buffer("fused_g", worker, (rows, cols, n, f), dtype)
        self._gradient_pages(dy, lo, hi, worker, out=g.transpose(2, 0, 1, 3))
        # Each pooled gradient goes to the output that won its window, everything else is
        # zero: one page per window offset (di, dj). Outputs no window reads (past the last
        # whole window, and the last tiles' overhang) are never written: they stay zero.
        dout = conv._buffer("fused_dout", worker, (m * t, m * s, n, f), dtype)
        pages = dout[:rows * ph, :cols * pw].reshape(rows, ph, cols, pw, n, f)
        win = self.winners[lo]
        chosen = conv._buffer("fused_chosen", worker, win.shape, np.bool_)
        for k, (di, dj) in enumerate(self.offsets):
            np.equal(win, k, out=chosen)
            np.multiply(g, chosen, out=pages[:, di, :, dj])
        dm = winograd.windows_to_points(wg.AT.T.astype(dtype), dout, m, (t, s),        # dM = A dY A^T
                                        out=conv._buffer("fused_dm", worker, (a * a, t * s * n, f), dtype),
                                        half=conv._buffer("fused_half_dm", worker, (a, t, m * s, n, f), dtype))
        part = np.matmul(conv.kept[lo].transpose(0, 2, 1), dm,                      # dU[p] = V[p].T @ dM[p]
                         out=conv.workspace.get(("grad", lo), conv.u.shape, dtype, worker=worker))
        bias_part = dm[BIAS_PAGE * a + BIAS_PAGE].sum(axis=0)   # the bias went in at page (1, 1)
        if dx is not None:
            c = dx.shape[-1]
            dv = np.matmul(dm, conv.u.transpose(0, 2, 1),                          # dV[p] = dM[p] @ U[p].T
                           out=conv._buffer("fused_dv", worker, (a * a, t * s * n, c), dtype))
            dimage = winograd.points_to_windows(                                    # dd = B dV B^T, added up
                wg.BT.T.astype(dtype), dv.reshape(a, a, t, s, n, c), m,
                out=conv._buffer("fused_dimage", worker, (m * t + 2, m * s + 2, n, c), dtype),
                half=conv._buffer("fused_half_dd", worker, (a, a, t, s, n, c), dtype),
                work=conv._buffer("fused_dwindow", worker, (a, a, n, c), dtype))
            (top, _), (left, _) = conv.pads
            used_rows, used_cols = min(dx.shape[1], len(dimage) - top), min(dx.shape[2], dimage.shape[1] - left)
            if (used_rows, used_cols) != dx.shape[1:3]:
                dx[lo:hi] = 0                  # pixels no pooled output depends on
            dx[lo:hi, :used_rows, :used_cols] = dimage[top:top + used_rows,
                                                       left:left + used_cols].transpose(2, 0, 1, 3)
        return part, bias_part
