"""Conv2D's Winograd path: 3x3 kernels, stride 1, with 2.25 or 1.78 multiply-adds per
output and channel pair instead of im2col's 9.

The transforms and why they work are in :mod:`glassnet.engine.layers.winograd`; this
module is how :class:`~glassnet.engine.layers.conv.Conv2D` runs them over a chunk of the
batch. For images ``lo:hi``::

    forward:  V = B^T d B  (winograd_points)      M[p] = V[p] @ U[p]     Y = A^T M A  (winograd_outputs)
    backward: dM = A dY A^T    dU[p] = V[p].T @ dM[p]    dV[p] = dM[p] @ U[p].T    dd = B dV B^T

The images of a chunk are laid out rows first, ``(H, W, n, C)``, so every transform is a
few matrix multiplies straight from the image and straight back into it. The bias rides
in ``M``'s page (1, 1) (``winograd.BIAS_POINT``), which reaches every output once, and its
gradient comes out of ``dM``'s same page.

:class:`WinogradPath` is mixed into Conv2D: it uses the layer's weights (``params``), work
arrays (``workspace``, ``_buffer``), padding (``pads``), fused activation (``_activate``,
``_derivative``) and what the forward pass kept for the backward one (``kept``). A max
pooling fused with the layer (:mod:`glassnet.engine.layers.fused`) calls
:meth:`~WinogradPath.winograd_outputs` and :meth:`~WinogradPath.winograd_backward` itself.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from glassnet.engine.layers import activations, winograd

ZERO_BIAS = 1e-6     # a bias this close to zero is below Winograd's rounding (see silent_outputs)
BIAS_PAGE = winograd.BIAS_POINT


class WinogradPath:
    """Conv2D's forward and backward passes by Winograd's transforms (mixed into Conv2D)."""

    def prepare_winograd(self, dtype, tile, covering=None):
        """Before a forward pass's chunks: the tile, how many tiles cover ``covering``
        (``(rows, cols)`` of outputs; default all), the weights' side ``U = G g G^T`` and
        whether outputs on silent windows must be made exact (:meth:`silent_outputs`)."""
        self.tile = tile
        rows, cols = covering or self.output_shape(self.image)[:2]
        self.tile_counts = (tile.tiles(rows), tile.tiles(cols))
        kernel, a = self.params["kernel"].astype(dtype, copy=False), tile.size
        self.u = tile.kernel(
            kernel, out=self.workspace.get("u", (a, a) + kernel.shape[2:], dtype),
            half=self.workspace.get("half_u", (a, kernel[0].size), dtype))
        self.exact_zeros = self._zero_bias_matters()     # once per batch, for every chunk

    def _tile_counts(self):
        """``(T, S)``: the layer's own tiles, down and across, over all its outputs."""
        oh, ow = self.output_shape(self.image)[:2]
        return self.winograd.tiles(oh), self.winograd.tiles(ow)

    def winograd_points(self, x, lo, hi, worker):
        """``V = B^T d B`` for every input tile of images ``lo:hi``: ``(a*a, T*S*n, C)``, tiles
        in the order ``(T, S, n)``; kept for the backward pass (training) or in a work array.

        The images go first into a work array laid out rows first, ``(H, W, n, C)``, with
        their padding and room for the last tiles (only its inside is ever written: the rest
        stays zero). The rows under a row of tiles are then one matrix, and ``B^T`` is applied
        straight to the image's windows (:func:`winograd.windows_to_points`).
        """
        wg, (t, s), c, n = self.tile, self.tile_counts, x.shape[-1], hi - lo
        a, m = wg.size, wg.m
        image = self._buffer("image_in", worker, (m * t + 2, m * s + 2, n, c), x.dtype)
        (top, _), (left, _) = self.pads
        rows, cols = min(x.shape[1], len(image) - top), min(x.shape[2], image.shape[1] - left)
        image[top:top + rows, left:left + cols] = x[lo:hi, :rows, :cols].transpose(1, 2, 0, 3)
        keep = self.kept is not None
        v = self.workspace.get(("v", lo) if keep else "v", (a * a, t * s * n, c), x.dtype, worker=worker)
        winograd.windows_to_points(wg.BT.astype(x.dtype), image, m, (t, s), out=v,
                                   half=self._buffer("half_in", worker, (a, t) + image.shape[1:], x.dtype),
                                   work=self._buffer("columns_in", worker, (a, a, t, s, n, c), x.dtype))
        if keep:
            self.kept[lo] = v
        return v

    def winograd_outputs(self, x, lo, hi, worker):
        """The outputs of images ``lo:hi``, bias added, before the activation, rows first:
        ``(m*T, m*S, n, F)``, the last tiles' overhang included."""
        wg, (t, s), f, n, dtype = self.tile, self.tile_counts, self.filters, hi - lo, x.dtype
        a, m = wg.size, wg.m
        v = self.winograd_points(x, lo, hi, worker)
        points = np.matmul(v, self.u, out=self._buffer("m", worker, (a * a, t * s * n, f), dtype))
        if self.use_bias:
            points[BIAS_PAGE * a + BIAS_PAGE] += self.params["bias"]   # see winograd.BIAS_POINT
        out = winograd.points_to_windows(wg.AT.astype(dtype), points.reshape(a, a, t, s, n, f), m,
                                         out=self._buffer("out", worker, (m * t, m * s, n, f), dtype),
                                         half=self._buffer("half_out", worker, (m, a, t, s, n, f), dtype),
                                         work=self._buffer("tiles_out", worker, (m, m, t, s, n, f), dtype))
        if self.exact_zeros:
            self._exact_where_silent(out, x, lo, hi)
        return out

    def _winograd_forward(self, x, y, lo, hi, worker):
        out = self.winograd_outputs(x, lo, hi, worker)
        oh, ow = y.shape[1:3]
        self._activate(out[:oh, :ow], out=y[lo:hi].transpose(1, 2, 0, 3))   # back to (n, OH, OW, F)

    def _zero_bias_matters(self):
        """Whether some output's sign may rest on a rounding error: a bias of (almost)
        exactly zero (every bias starts at zero), or no bias and a ReLU right here."""
        if self.use_bias:
            return bool((np.abs(self.params["bias"]) <= ZERO_BIAS).any())
        return isinstance(self.activation, activations.ReLU)

    def silent_outputs(self, x, lo, hi):
        """Where the whole 3x3 input window is zero, for images ``lo:hi``: bool ``(n, OH, OW)``.

        There the exact output is the bias alone, but Winograd's transforms mix a tile's
        pixels, so a zero window next to ink comes out as the bias plus a rounding error
        of about 1e-7. With a zero bias and a ReLU, that error decides whether the unit
        counts as active, and the gradient then flows where the direct convolution's (and
        Keras's) does not: at the start of training on MNIST, where the background and
        every dead ReLU are exact zeros, the bias gradient was 24% off. So while a bias is
        (almost) zero (``exact_zeros``), these outputs are set to exactly the bias. Once
        the biases have moved away from zero (one optimizer step) the error can't change
        a sign, and this pass over the input (a third of the layer's time) is skipped.
        """
        (top, bottom), (left, right) = self.pads
        ink = np.pad(x[lo:hi].any(axis=-1), ((0, 0), (top, bottom), (left, right)))   # (n, H, W)
        return ~sliding_window_view(ink, (3, 3), axis=(1, 2)).any(axis=(-2, -1))

    def _exact_where_silent(self, out, x, lo, hi):
        """Set the outputs ``out`` (rows first) whose input window is silent to exactly the bias."""
        silent = self.silent_outputs(x, lo, hi)                 # (n, OH, OW)
        rows, cols = min(silent.shape[1], len(out)), min(silent.shape[2], out.shape[1])
        silent = silent[:, :rows, :cols].transpose(1, 2, 0)
        if silent.any():
            out[:rows, :cols][silent] = self.params["bias"] if self.use_bias else 0

    def _winograd_backward(self, dz, dx, lo, hi, worker):
        """This chunk's ``dx`` into ``dx``; returns its ``(dU, db)``."""
        (t, s), f, n, m = self.tile_counts, self.filters, hi - lo, self.tile.m
        v = self.kept.get(lo) if self.kept else None
        if v is None:                                            # forward ran for inference
            v = self.winograd_points(self.x, lo, hi, worker)
        # dz * f', rows first like the outputs; the overhang past the image's edge is never
        # written (only the inside of `dout` is): its gradient stays zero.
        dout = self._buffer("dout", worker, (m * t, m * s, n, f), dz.dtype)
        oh, ow = dz.shape[1:3]
        inside = dout[:oh, :ow].transpose(2, 0, 1, 3)            # (n, OH, OW, F)
        derivative = self._derivative(self.y[lo:hi], worker)
        if derivative is None:
            inside[...] = dz[lo:hi]
        else:
            np.multiply(dz[lo:hi], derivative, out=inside)
        return self.winograd_backward(dout, v, dx, lo, hi, worker)

    def winograd_backward(self, dout, v, dx, lo, hi, worker):
        """The way back from the outputs' gradient ``dout`` ``(m*T, m*S, n, F)``, rows first
        (after the activation's derivative; zero where an output was not used), for images
        ``lo:hi`` whose input tiles are ``v``: their ``dx`` into ``dx`` (if not None);
        returns their ``(dU, db)``."""
        wg, (t, s), f, n, dtype = self.tile, self.tile_counts, self.filters, hi - lo, dout.dtype
        a, m = wg.size, wg.m
        dm = winograd.windows_to_points(wg.AT.T.astype(dtype), dout, m, (t, s),          # dM = A dY A^T
                                        out=self._buffer("dm", worker, (a * a, t * s * n, f), dtype),
                                        half=self._buffer("half_dm", worker, (a, t, m * s, n, f), dtype),
                                        work=self._buffer("columns_dm", worker, (a, m, t, s, n, f), dtype))
        # dU[p] = V[p].T @ dM[p]
        part = np.matmul(v.transpose(0, 2, 1), dm,
                         out=self.workspace.get(("grad", lo), self.u.shape, dtype, worker=worker))
        # The bias went in through M's page (1, 1), so its gradient comes out of dM's page
        # (1, 1): the sum of dz over each tile, added up over the tiles.
        bias_part = dm[BIAS_PAGE * a + BIAS_PAGE].sum(axis=0)
        if dx is not None:
            self._winograd_input_gradient(dm, dx, lo, hi, worker)
        return part, bias_part

    def _winograd_input_gradient(self, dm, dx, lo, hi, worker):
        """``dx`` for images ``lo:hi`` from ``dM`` ``(a*a, T*S*n, F)``: ``dV = dM @ U.T``, then
        ``B dV B^T`` of every tile added onto the image where the tiles overlap."""
        wg, (t, s), n, c, dtype = self.tile, self.tile_counts, hi - lo, dx.shape[-1], dm.dtype
        a, m = wg.size, wg.m
        dv = np.matmul(dm, self.transposed,                      # dV[p] = dM[p] @ U[p].T
                       out=self._buffer("dv", worker, (a * a, t * s * n, c), dtype))
        dimage = winograd.points_to_windows(wg.BT.T.astype(dtype), dv.reshape(a, a, t, s, n, c), m,
                                            out=self._buffer("dimage", worker, (m * t + 2, m * s + 2, n, c), dtype),
                                            half=self._buffer("half_dd", worker, (a, a, t, s, n, c), dtype),
                                            work=self._buffer("dtiles", worker, (a, a, t, s, n, c), dtype))
        (top, _), (left, _) = self.pads
        rows, cols = min(dx.shape[1], len(dimage) - top), min(dx.shape[2], dimage.shape[1] - left)
        # Pixels no computed output depends on (a fused pooling's): the last rows and columns.
        dx[lo:hi, rows:] = 0
        dx[lo:hi, :rows, cols:] = 0
        dx[lo:hi, :rows, :cols] = dimage[top:top + rows, left:left + cols].transpose(2, 0, 1, 3)
