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
* **Winograd: only the outputs the pooling reads.** A 2x2 pooling of the default CNN's
  11x11 second convolution reads 10x10 of its outputs; F(5x5) tiles cover those exactly,
  with 196 Winograd points per image and channel pair where the Conv2D alone needs
  F(6x6)'s 256 for all 11x11 (:data:`WINOGRAD_TILES`). The Conv2D computes them rows
  first, ``(rows, cols, n, F)`` (``Conv2D.winograd_outputs``), so the pooling windows are
  strided pages of that image, wherever the tiles' edges fall, and only the pooled
  quarter is put back in the batch's usual layout. The default CNN's second convolution
  and pooling, batch 128, against pooling inside F(6x6) tiles cut out of the image
  (stop 26; medians of 30, old and new alternating): training
  forward 5.70 -> 4.06 ms, backward 8.06 -> 5.56 ms on one thread (4.97 -> 3.39 and
  6.20 -> 4.72 on two); prediction 42 -> 25 us per image (one thread), 36 -> 20 (two).

Backward: the gradient of each pooled output goes to the window offset that won (the
first one on a tie, as :class:`MaxPooling2D` does), times ReLU's derivative, and from
there through the convolution's usual backward pass. ReLU's derivative rides in the
winners: a pooled output that ReLU set to zero gets the winner code ``DEAD``, which no
offset has, so its gradient goes nowhere, and the backward pass never multiplies by
``relu'`` (one comparison in the forward pass instead of a comparison and a multiply in
the backward one). Each offset's share is ``g * (win == k)``, the comparison cast to
float32 first: NumPy's float-times-bool multiply casts as it goes, 111 against 89 us for
a chunk's offset. With the kernel's gradient summed in blocks of rows (``im2col.tall_inner``)
the default CNN's first convolution and pooling, batch 128, two threads, medians of 60:
backward 2.66 -> 2.02 ms, forward 2.26 -> 2.35 ms (the one more comparison).

A model runs every Conv2D (ReLU or no activation) whose only reader is such a
MaxPooling2D this way (:func:`plan`); ``glassnet.engine.layers.fused.FUSE = False`` runs
every layer on its own. The tests compare the two, gradients included, and
``benchmarks/cnn_mnist.py --split`` times both.
"""

import numpy as np

from glassnet.engine.layers import activations, chunks, winograd
from glassnet.engine.layers.conv import Conv2D
from glassnet.engine.layers.im2col import tall_inner
from glassnet.engine.layers.pooling import MaxPooling2D

FUSE = True   # False: every layer runs on its own (for comparing, and for tests)
DEAD = 255    # the winner code of a pooled output that ReLU set to zero (no offset is 255)

# The Winograd tiles a fused pair chooses from, for the outputs its pooling reads
# (winograd.fewest_points): F(5x5) for the default CNN's second convolution.
WINOGRAD_TILES = (winograd.F4, winograd.F5, winograd.F6)


def fusable(conv, pool):
    """True when ``pool(conv(x))`` can be computed by :class:`ConvPool`."""
    if type(conv) is not Conv2D or type(pool) is not MaxPooling2D or not pool.tiled:
        return False
    if None in conv.input_shape:                           # images of any size: fitted per batch, apart
        return False
    if conv.dilation_rate != (1, 1) or conv.groups != 1:   # its patches are spread out, or grouped
        return False
    if pool.pool_size[0] * pool.pool_size[1] >= DEAD:      # the winners are bytes, DEAD one of them
        return False
    if not (conv.activation is None or isinstance(conv.activation, activations.ReLU)):
        return False
    # a penalty on the conv's output needs that output
    return conv.activity_regularizer is None and pool.activity_regularizer is None


def plan(steps, output_slots, shared, make_step):
    """The steps a model runs: ``steps`` (in order), with each fusable Conv2D step and the
    MaxPooling2D step after it replaced by one step running a :class:`ConvPool`.

    A Conv2D is fused with the MaxPooling2D after it when that pooling is the only reader
    of its output, the output is not one of the model's, and neither layer is called twice
    (``shared``: the layers that are). ``make_step(layer, node, inputs, outputs)`` makes a
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
                                        [pool_step.output])
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
    activity_regularizer = None     # never fused when either layer has one (see fusable)

    def __init__(self, conv, pool):
        self.conv, self.pool = conv, pool
        ph, pw = pool.pool_size
        self.offsets = [(di, dj) for di in range(ph) for dj in range(pw)]   # row by row
        self._relu = isinstance(conv.activation, activations.ReLU)
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
        self.tile, covering = self._covering()
        conv.prepare(x, training, tile=self.tile, covering=covering)
        conv.y = None          # the full output is never made
        y = np.empty((len(x),) + pool.output_shape(conv.output_shape(conv.image)), x.dtype)
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
        conv.prepare_backward()
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
            lead = conv._buffer("fused_lead", worker, best.shape, np.bool_)
        for k in range(1, len(self.offsets)):
            page = pages(k)
            if win is not None:
                took = np.greater(page, so_far, out=lead).view(np.uint8)
                np.multiply(took, np.uint8(k), out=took)
                np.maximum(win, took, out=win)
            so_far = np.maximum(so_far, page, out=best)
        if so_far is not best:             # a single offset (a 1x1 window)
            np.copyto(best, so_far)
        if win is not None and self._relu:
            # ReLU's derivative, folded into the winners: where relu(best) = 0, win = DEAD.
            alive = np.greater(best, 0, out=lead).view(np.uint8)
            np.subtract(alive, np.uint8(1), out=alive)     # 0 where alive, 255 (wrapped) where dead
            np.bitwise_or(win, alive, out=win)

    def _route(self, g, win, k, worker, out):
        """``g * (win == k)`` into ``out``: the pooled gradient of the outputs offset ``k`` won
        (and ReLU let through), zero elsewhere."""
        conv = self.conv
        chosen = np.equal(win, k, out=conv._buffer("fused_chosen", worker, win.shape, np.bool_))
        mask = conv._buffer("fused_mask", worker, win.shape, g.dtype)
        np.copyto(mask, chosen, casting="unsafe")            # bool -> 0.0 / 1.0, then a float multiply
        return np.multiply(g, mask, out=out)

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
            # One multiply per offset. In blocks of rows, as the kernel's gradient is summed
            # (im2col.tall_inner), it measured slower with two threads at work: 2.0 -> 2.8 ms
            # a batch of 128 (more calls to NumPy and BLAS, more waiting for each other).
            return np.matmul(cols, conv.kernel_matrix, out=out)

        self._running_max(page, best, win, worker)
        conv._activate(best)
        if keep:
            self.winners[lo] = win

    def _im2col_backward(self, dy, dx, lo, hi, worker):
        conv, n = self.conv, hi - lo
        oh, ow, f = self.y.shape[1:]
        g = dy[lo:hi].reshape(-1, f)       # ReLU's derivative is in the winners (DEAD)
        win = self.winners[lo]
        part = conv.workspace.get(("grad", lo), conv.kernel_matrix.shape, dy.dtype, worker=worker)
        if dx is not None:
            (top, bottom), (left, right) = conv.pads
            h, w, c = conv.image
            dx_padded = conv._buffer("fused_dx", worker, (n, top + h + bottom, left + w + right, c),
                                     dy.dtype, zero=True)
        dz = conv._buffer("fused_dzk", worker, g.shape, dy.dtype)
        work = conv._buffer("fused_part", worker, part.shape, dy.dtype)
        share = conv._buffer("fused_share", worker, part.shape, dy.dtype)
        for k, cols in enumerate(self.cols[lo]):
            self._route(g, win, k, worker, out=dz)
            if k == 0:
                tall_inner(cols, dz, out=part, work=work)
            else:
                part += tall_inner(cols, dz, out=share, work=work)
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
        pages = np.matmul(dz, conv.transposed,                   # K[di, dj].T for every offset
                          out=conv._buffer("fused_pages", worker, (kh, kw, len(dz), c), dz.dtype))
        step_h, step_w = ph * sh, pw * sw
        for u in range(kh):
            for v in range(kw):
                top, left = di * sh + u, dj * sw + v
                dx_padded[:, top:top + (oh - 1) * step_h + 1:step_h,
                          left:left + (ow - 1) * step_w + 1:step_w] += pages[u, v].reshape(n, oh, ow, c)

    # -- Winograd: only the outputs the pooling reads ----------------------------------------
    def _covering(self):
        """``(tile, (rows, cols))``: the outputs the pooling windows read and the Winograd
        tile with the fewest points over them (None, None: the Conv2D runs im2col)."""
        conv, pool = self.conv, self.pool
        if conv.winograd is None:
            return None, None
        (ph, pw), (rows, cols, _) = pool.pool_size, pool.output_shape(conv.output_shape(conv.image))
        covering = (rows * ph, cols * pw)
        return winograd.fewest_points(*covering, WINOGRAD_TILES), covering

    def _winograd_forward(self, x, y, lo, hi, worker):
        conv, (ph, pw), n, f = self.conv, self.pool.pool_size, hi - lo, self.conv.filters
        out = conv.winograd_outputs(x, lo, hi, worker)          # (rows, cols, n, F): rows first
        rows, cols = y.shape[1:3]
        pages = out[:rows * ph, :cols * pw].reshape(rows, ph, cols, pw, n, f)
        best = conv._buffer("fused_best", worker, (rows, cols, n, f), x.dtype)
        keep = self.winners is not None
        win = conv.workspace.get(("fused_win", lo), best.shape, np.uint8, worker=worker) if keep else None
        self._running_max(lambda k: pages[:, self.offsets[k][0], :, self.offsets[k][1]], best, win, worker)
        conv._activate(best, out=y[lo:hi].transpose(1, 2, 0, 3))
        if keep:
            self.winners[lo] = win

    def _winograd_backward(self, dy, dx, lo, hi, worker):
        conv, (ph, pw), n, f = self.conv, self.pool.pool_size, hi - lo, self.conv.filters
        (t, s), m = conv.tile_counts, conv.tile.m
        rows, cols = dy.shape[1:3]
        # The pooled gradient, rows first like the winners (ReLU's derivative is in them).
        g = conv._buffer("fused_g", worker, (rows, cols, n, f), dy.dtype)
        np.copyto(g.transpose(2, 0, 1, 3), dy[lo:hi])
        # Each pooled gradient goes to the output that won its window, everything else is
        # zero: one page per window offset (di, dj). Outputs no window reads (past the last
        # whole window, and the last tiles' overhang) are never written: they stay zero.
        dout = conv._buffer("fused_dout", worker, (m * t, m * s, n, f), dy.dtype)
        pages = dout[:rows * ph, :cols * pw].reshape(rows, ph, cols, pw, n, f)
        win = self.winners[lo]
        for k, (di, dj) in enumerate(self.offsets):
            self._route(g, win, k, worker, out=pages[:, di, :, dj])
        return conv.winograd_backward(dout, conv.kept[lo], dx, lo, hi, worker)
