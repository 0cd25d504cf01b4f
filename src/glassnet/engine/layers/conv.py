"""Conv2D: a small filter slid over the image, the layer that sees shapes instead of pixels.

A Dense layer on a flattened image has one weight per pixel per unit, and no idea that two
pixels are neighbours. A convolution learns a few small filters (3x3, say) and applies the
same filter at every position, so an edge or a loop is detected wherever it appears, with
a few hundred weights instead of hundreds of thousands.

The direct way is **im2col** (:mod:`glassnet.engine.layers.im2col`): copy every KHxKW
patch of the input into one row of a matrix; then the whole convolution of the whole batch
is *one* matrix multiply, which BLAS does at full speed. The backward pass is two more
matrix multiplies and **col2im**, which adds each patch's gradient back where the patch
came from. 3x3 kernels with enough channels take **Winograd's** way instead
(:mod:`glassnet.engine.layers.conv_winograd`, with the transforms themselves in
:mod:`glassnet.engine.layers.winograd`), with fewer multiplications. ``conv2d_reference``
(in the im2col module) is the definition written as plain loops: slow, obvious, and what
the tests compare every fast path against.

Images are channels-last, ``(N, H, W, C)``, as in Keras.
"""

import numpy as np

from glassnet.engine import constraints, initializers, regularizers
from glassnet.engine.layers import activations, chunks, winograd
from glassnet.engine.layers.base import Layer, Workspace
from glassnet.engine.layers.conv_winograd import WinogradPath
from glassnet.engine.layers.grouped import GroupedPath, check_groups, group_channels
from glassnet.engine.layers.im2col import (FEW_CHANNELS, as_padding, as_pair, col2im, im2col, output_length,
                                           same_padding, span, tall_inner)
from glassnet.errors import ShapeError

# Below this many input channels (a grey image has 1) Winograd's transforms cost more than
# the multiplications they save, and im2col is faster.
WINOGRAD_MIN_CHANNELS = 8
# The tile sizes a layer picks from: the one with the fewest Winograd points over its output
# (winograd.fewest_points). F(6x6) for the default CNN's second convolution, 11x11 outputs.
WINOGRAD_TILES = (winograd.F4, winograd.F6)
# About how many bytes of work arrays one chunk of the batch may use: small enough to stay
# in the processor's cache, large enough that NumPy's per-call cost doesn't matter.
# 8 MB (two threads' chunks fit in the 32 MB shared cache) measured a little faster than 4 MB
# once convolution and pooling ran fused: training step 18.5 against 20.0 ms, median of 6.
CHUNK_BYTES = 1 << 23


class Conv2D(GroupedPath, WinogradPath, Layer):
    """2-D convolution: ``y = f(conv(x, K) + b)``, with ``F`` filters of ``KH x KW x C``.

    Forward, with ``cols = im2col(x)`` (every patch as a row)::

        z = cols @ K + b       # (N*OH*OW, KH*KW*C) @ (KH*KW*C, F) -> (N*OH*OW, F)
        y = f(z)               # reshaped to (N, OH, OW, F)

    Backward, given ``dy`` (N, OH, OW, F), exactly as for Dense with ``cols`` as the input::

        dz = dy * f'(z)
        dK = cols.T @ dz       # (KH*KW*C, F): each weight's share, summed over every position
        db = dz.sum(axis=0)    # (F,)
        dx = col2im(dz @ K.T)  # each patch's gradient, added back onto its pixels

    How it is made fast (docs/im2col.md has the measurements):

    * the batch is worked through in chunks that fit in the cache, on every core BLAS may
      use (:mod:`glassnet.engine.layers.chunks`);
    * the bias rides in the matrix multiply: ``cols`` gets a column of ones and ``K`` a
      last row ``b``, so ``[cols, 1] @ [K; b] = cols @ K + b`` and ``db`` comes out of
      ``dK``'s multiply as its last row;
    * ReLU and tanh are applied in place on the chunk just multiplied, and their gradient
      taken from the output (``z > 0`` exactly where ``y > 0``; ``tanh' = 1 - y**2``);
    * 3x3 kernels with stride 1 and at least ``WINOGRAD_MIN_CHANNELS`` input channels use
      Winograd's F(4x4, 3x3) or F(6x6, 3x3) (:mod:`glassnet.engine.layers.winograd`)
      instead of im2col: 2.25 or 1.78 multiply-adds per output and channel pair instead of
      9. Each layer takes the tile size that covers its output with fewer Winograd points
      (``winograd.fewest_points``): F(6x6) for the default CNN's second convolution, whose
      11x11 outputs take 256 points per image and channel pair instead of 324 (a
      training step 7-9% faster). The images of a chunk are laid out rows first for it,
      ``(H, W, n, C)``, so that every transform is a few matrix multiplies straight from
      the image and straight back into it.

    Args:
        filters: number of filters ``F`` (output channels).
        kernel_size: ``3`` or ``(KH, KW)``.
        strides: step between patches, ``1`` or ``(SH, SW)``.
        padding: ``"valid"`` (no padding; the output shrinks by ``K - 1``) or ``"same"``
            (zeros around the image so that the output is ``ceil(H / S)`` high).
        activation: ``"relu"``, ... or None.
        use_bias: add one bias per filter.
        kernel_initializer: how ``K`` starts (default ``"glorot_uniform"``, as in Keras).
        kernel_regularizer, bias_regularizer: e.g. ``l2(1e-4)``; the penalty joins the loss.
        bias_initializer: how ``b`` starts (default ``"zeros"``).
        kernel_constraint, bias_constraint: e.g. ``max_norm(3, axis=[0, 1, 2])`` (one
            filter's norm): applied after every optimizer step.
        dilation_rate: ``1`` or ``(DH, DW)``, the gap between the kernel's taps: with 2, a
            3x3 kernel reads every other pixel of a 5x5 square, seeing farther for the
            same weights (it takes the im2col path).
        activity_regularizer: e.g. ``l2(1e-5)`` on the layer's output.
        groups: ``G``, filters that each read ``C / G`` of the channels (a grouped
            convolution, :mod:`glassnet.engine.layers.grouped`): the kernel is then
            ``(KH, KW, C/G, F)``, as in Keras. ``G`` must divide ``C`` and ``F``.
        data_format: Keras's; only channels-last is supported (anything else is an error,
            not a setting ignored).

    Input shape: ``(N, H, W, C)``. Output shape: ``(N, OH, OW, F)``.
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        owner = type(self).__name__        # Conv2D, or Conv2DTranspose which shares these
        self.dilation_rate = as_pair(dilation_rate, "dilation_rate", owner)
        unsupported = {"data_format": data_format not in (None, "channels_last"),
                       "dilation_rate": owner == "Conv2DTranspose" and self.dilation_rate != (1, 1),
                       "groups": owner == "Conv2DTranspose" and groups != 1}
        for label, given in unsupported.items():
            if given:
                raise ValueError(f"{owner}: {label}={locals()[label]!r} is not supported by glassnet "
                                 f"(images are channels-last; a transposed convolution has one group, undilated)")
        if int(filters) != filters or filters < 1:
            raise ValueError(f"{owner}: filters must be a positive integer, got {filters!r}")
        self.filters = int(filters)
        self.groups = check_groups(owner, groups, self.filters)
        self.kernel_size = as_pair(kernel_size, "kernel_size", owner)
        self.strides = as_pair(strides, "strides", owner)
        self.padding = as_padding(padding, owner)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = kernel_initializer
        self.init = initializers.get(kernel_initializer)
        self.bias_initializer = bias_initializer
        self.bias_init = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.workspace = Workspace()

    @property
    def span(self):
        """How many pixels one patch covers, ``(KH, KW)`` spread out by the dilation."""
        return span(self.kernel_size, self.dilation_rate)

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        if len(self.input_shape) != 3:
            raise ShapeError(
                f"layer '{self._display_name}' (Conv2D) needs images (batch, height, width, channels) but "
                f"got {('batch',) + tuple(self.input_shape)}; for 28x28 digits use input_shape=(28, 28, 1)")
        (kh, kw), channels = self.kernel_size, self.input_shape[-1]
        if channels is None:
            raise ShapeError(f"layer '{self._display_name}' (Conv2D) needs the number of channels known, got "
                             f"{('batch',) + tuple(self.input_shape)}")
        self.add_param("kernel", self.init((kh, kw, group_channels(self, channels), self.filters), self.rng))
        if self.use_bias:
            self.add_param("bias", self.bias_init((self.filters,), self.rng))
        self.fit_declared_size()             # (a height or width left open: each batch's)

    def fit_image(self, shape):
        """Everything that depends on the images' size, for images of ``shape`` (H, W, C):
        ``self.image``, the "same" padding and the Winograd tile (or none)."""
        (kh, kw), (sh, sw), (span_h, span_w) = self.kernel_size, self.strides, self.span
        h, w, channels = shape
        oh, ow = self.output_shape(shape)[:2]
        if oh < 1 or ow < 1:
            raise ShapeError(
                f"layer '{self._display_name}' (Conv2D): a {self.kernel_size} kernel (covering {self.span}) "
                f"doesn't fit in images of {(h, w)} with padding='valid'")
        self.image = tuple(shape)
        if self.padding == "same":
            self.pads = (same_padding(h, span_h, sh), same_padding(w, span_w, sw))
        else:
            self.pads = ((0, 0), (0, 0))
        self.winograd = None
        if (kh, kw, sh, sw) == (3, 3, 1, 1) and self.dilation_rate == (1, 1) \
                and channels >= WINOGRAD_MIN_CHANNELS:
            self.winograd = winograd.fewest_points(oh, ow, WINOGRAD_TILES)

    def output_shape(self, input_shape):
        h, w = input_shape[:2]
        (kh, kw), (sh, sw) = self.span, self.strides
        return (output_length(h, kh, sh, self.padding), output_length(w, kw, sw, self.padding),
                self.filters)

    # -- the two passes ----------------------------------------------------------------
    def forward(self, x, training=False):
        if self.groups > 1:                     # a grouped convolution: its own path (layers/grouped.py)
            return self.grouped_forward(x, training)
        if x.shape[1:] != self.image:           # a size left open: this batch's (checked in prepare)
            self.check_input(x)
            self.fit_batch(x)
        oh, ow, f = self.output_shape(self.image)
        y = np.empty((len(x), oh, ow, f), x.dtype)
        work = self.prepare(x, training)
        self.y = y
        chunks.run(len(x), self._chunk_size(), lambda worker, lo, hi: work(x, y, lo, hi, worker))
        if self.activation is not None and not self._fused():
            y = self.activation.forward(y, training)
        return y

    def prepare(self, x, training, tile=None, covering=None):
        """What every forward pass does before its chunks: check ``x``, keep it, and turn
        the weights into the form the chunks multiply by. Returns the chunks' work
        function, ``work(x, y, lo, hi, worker)``.

        On the Winograd path, ``covering`` is the ``(rows, cols)`` of outputs to compute
        (default: all of them) and ``tile`` the Winograd tile (default: the layer's own);
        a max pooling fused with the layer asks for the outputs it reads, with a tile of
        its choice (:mod:`glassnet.engine.layers.fused`).
        """
        self.check_input(x)
        self.x = x
        # Training keeps each chunk's patches (or Winograd tiles) for the backward pass;
        # inference keeps nothing, and a backward pass after it makes them again.
        self.kept = {} if training else None
        if self.winograd is None:
            self.kernel_matrix = self._kernel_matrix()
            return self._im2col_forward
        self.prepare_winograd(x.dtype, tile or self.winograd, covering)
        return self._winograd_forward

    def backward(self, dy):
        if self.groups > 1:
            return self.grouped_backward(dy)
        # A fused activation's derivative is applied chunk by chunk; any other first.
        dz = dy if self.activation is None or self._fused() else self.activation.backward(dy)
        dx = np.empty(self.x.shape, dy.dtype) if self.needs_input_grad else None
        # The chunk's share of [dK; db] (im2col), or of dU: (a*a, C, F) (Winograd).
        work = self._im2col_backward if self.winograd is None else self._winograd_backward
        self.prepare_backward()
        parts = {}   # lo -> this chunk's share of the weight gradient (and, for Winograd, of db)

        def run(worker, lo, hi):
            parts[lo] = work(dz, dx, lo, hi, worker)

        chunks.run(len(dy), self._chunk_size(), run)
        self.store_gradients(parts)
        return dx

    def prepare_backward(self):
        """What every backward pass does once before its chunks, when it makes an input
        gradient: the transposed weights it multiplies by, contiguous. ``U[p].T`` for every
        Winograd point (``dM[p] @ U[p].T``: 259 us a chunk against 393 with a transposed view,
        the default CNN's second convolution, 36 images, one thread), or ``K[di, dj].T`` for
        every kernel offset on the im2col path (LeNet-5's second convolution, 64 images:
        800 against 1,050 us)."""
        if not self.needs_input_grad:
            return
        weights = self.params["kernel"] if self.winograd is None else self.u
        transposed = np.swapaxes(weights, -1, -2)
        self.transposed = self.workspace.get("transposed", transposed.shape, weights.dtype)
        np.copyto(self.transposed, transposed)

    def store_gradients(self, parts):
        """Add up the chunks' shares of the weight gradient into ``grads``: ``parts`` maps
        each chunk's first image to its ``([dK; db], None)`` (im2col) or ``(dU, db)``
        (Winograd, for the tile of the last forward pass). The sum runs in chunk order,
        the same on any number of threads."""
        ordered = [parts[lo] for lo in sorted(parts)]
        total = sum(part[0] for part in ordered)
        if self.winograd is None:
            rows = self.params["kernel"].size // self.filters
            self.grads["kernel"][...] = total[:rows].reshape(self.grads["kernel"].shape)
            if self.use_bias:
                self.grads["bias"][...] = total[rows]          # the row of the ones column
        else:
            self.grads["kernel"][...] = self.tile.kernel_gradient(total)
            if self.use_bias:
                self.grads["bias"][...] = sum(part[1] for part in ordered)
        self.add_penalty_gradients()

    # -- helpers shared by both paths ----------------------------------------------------
    def _buffer(self, name, worker, shape, dtype, zero=False):
        """A work array of this worker, kept from batch to batch (see :class:`Workspace`)."""
        array = self.workspace.get(name, shape, dtype, worker=worker)
        if zero:
            array[...] = 0
        return array

    def _fused(self):
        """True when the activation is applied in place here (ReLU, tanh)."""
        return isinstance(self.activation, (activations.ReLU, activations.Tanh))

    def _activate(self, z, out=None):
        """The fused activation of a chunk of outputs ``z``, into ``out`` (default: in place)."""
        out = z if out is None else out
        if isinstance(self.activation, activations.ReLU):
            activations.positive_part(z, out=out)
        elif isinstance(self.activation, activations.Tanh):
            np.tanh(z, out=out)
        elif out is not z:
            np.copyto(out, z)

    def _derivative(self, y, worker):
        """``f'(z)`` of the fused activation for a chunk, from its output ``y`` (None: no
        fused activation)."""
        if isinstance(self.activation, activations.ReLU):
            # z > 0 exactly where y = max(z, 0) > 0
            return np.greater(y, 0, out=self._buffer("derivative", worker, y.shape, np.bool_))
        if isinstance(self.activation, activations.Tanh):
            derivative = np.multiply(y, y, out=self._buffer("derivative", worker, y.shape, y.dtype))
            return np.subtract(1, derivative, out=derivative)   # tanh'(z) = 1 - tanh(z)**2
        return None

    def _chunk_size(self):
        """Images per chunk: about ``CHUNK_BYTES`` of work arrays (at least one image)."""
        c, (oh, ow, f) = self.image[-1], self.output_shape(self.image)
        if self.winograd is None:
            kh, kw = self.kernel_size
            per_image = oh * ow * (kh * kw * c + 1 + f)
        else:   # the work arrays of the tile of the last forward pass, rows first
            (a, m), (t, s) = (self.tile.size, self.tile.m), self.tile_counts
            image_in = (m * t + 2) * (m * s + 2) * c * (1 + a / m)    # the image, and halfway
            per_image = int(image_in) + t * s * (a * a * (2 * c + f) + m * (a + m) * f) + m * t * m * s * f
        return max(1, CHUNK_BYTES // (per_image * self.params["kernel"].itemsize))

    def _padded(self, x, lo, hi, worker):
        """Images ``lo:hi`` of ``x`` with their "same" padding."""
        (top, bottom), (left, right) = self.pads
        if not (top or bottom or left or right):
            return x[lo:hi]
        n, h, w, c = hi - lo, *x.shape[1:]
        # Only the inside of this buffer is ever written: its border stays zero.
        padded = self._buffer("padded", worker, (n, top + h + bottom, left + w + right, c), x.dtype)
        padded[:, top:top + h, left:left + w] = x[lo:hi]
        return padded

    def _unpad(self, dx_padded, dx, lo, hi):
        """The gradient of images ``lo:hi`` without their padding, into ``dx``."""
        (top, _), (left, _) = self.pads
        h, w = self.image[:2]
        dx[lo:hi] = dx_padded[:, top:top + h, left:left + w]

    def _kernel_matrix(self):
        """``[K; b]``: ``(KH*KW*C + 1, F)`` with the bias as last row (no row without a bias)."""
        f = self.filters
        kernel = self.params["kernel"].reshape(-1, f)
        if not self.use_bias:
            return kernel
        return np.concatenate([kernel, self.params["bias"].reshape(1, f)])

    # -- im2col: any kernel, any stride --------------------------------------------------
    def _cols(self, x, lo, hi, worker, keep):
        """``[cols, 1]`` for images ``lo:hi``: ``(n*OH*OW, KH*KW*C + 1)``, kept for the
        backward pass (training) or in a work array reused by the next chunk (inference)."""
        xp = self._padded(x, lo, hi, worker)
        out_hw = self.output_shape(self.image)[:2]
        cols = self.patch_matrix(xp, self.strides, out_hw, ("cols", lo) if keep else "cols", worker)
        if keep:
            self.kept[lo] = cols
        return cols

    def patch_matrix(self, xp, strides, out_hw, name, worker):
        """``[cols, 1]`` for the padded images ``xp``: ``(n*OH*OW, KH*KW*C + 1)``, one patch
        per row and a column of ones for the bias, in the work array ``name``.

        With few channels (a grey image has 1) the matrix is stored transposed, one plane
        of memory per kernel offset: im2col then copies whole image rows into contiguous
        memory instead of one number in every ``KH*KW*C + 1``, and BLAS multiplies by the
        transpose as it is (LeNet-5's first layer, 5x5 on 28x28, batch 128, one thread:
        4.9 -> 3.0 ms forward; the default CNN's first, 3x3 and pooled with it, within the
        noise). The numbers are the same either way.
        """
        (kh, kw), c, n, (oh, ow) = self.kernel_size, xp.shape[-1], len(xp), out_hw
        k, width = kh * kw * c, len(self.kernel_matrix)
        # The ones (the bias's column) are filled once, when the array is made; im2col writes the rest.
        if c < FEW_CHANNELS:
            planes = self.workspace.get(name, (width, n * oh * ow), xp.dtype, fill=1, worker=worker)
            im2col(xp, self.kernel_size, strides, dilation=self.dilation_rate,
                   out=planes[:k].reshape(kh, kw, c, n, oh, ow).transpose(3, 4, 5, 0, 1, 2))
            return planes.T
        cols = self.workspace.get(name, (n * oh * ow, width), xp.dtype, fill=1, worker=worker)
        im2col(xp, self.kernel_size, strides, dilation=self.dilation_rate,
               out=cols[:, :k].reshape(n, oh, ow, kh, kw, c))
        return cols

    def _im2col_forward(self, x, y, lo, hi, worker):
        cols = self._cols(x, lo, hi, worker, keep=self.kept is not None)
        z = y[lo:hi].reshape(len(cols), -1)                      # (n*OH*OW, F)
        np.matmul(cols, self.kernel_matrix, out=z)               # z = cols @ K + b
        self._activate(z)

    def _im2col_backward(self, dz, dx, lo, hi, worker):
        """This chunk's ``dx`` into ``dx``; returns its ``([dK; db], None)``."""
        f = self.filters
        cols = self.kept.get(lo) if self.kept else None
        if cols is None:                                         # forward ran for inference
            cols = self._cols(self.x, lo, hi, worker, keep=False)
        derivative = self._derivative(self.y[lo:hi], worker)
        if derivative is not None:
            dz = np.multiply(dz[lo:hi], derivative, out=self._buffer("dz", worker, derivative.shape,
                                                                     dz.dtype))
        else:
            dz = dz[lo:hi]
        dz = dz.reshape(-1, f)                                   # (n*OH*OW, F)
        part = tall_inner(cols, dz, out=self.workspace.get(("grad", lo), self.kernel_matrix.shape,
                                                           dz.dtype, worker=worker),
                          work=self._buffer("grad_block", worker, self.kernel_matrix.shape, dz.dtype))
        if dx is not None:
            self._im2col_input_gradient(dz, dx, lo, hi, worker)
        return part, None

    def _im2col_input_gradient(self, dz, dx, lo, hi, worker):
        """``dx = col2im(dz @ K.T)`` for images ``lo:hi``; ``dz`` is ``(n*OH*OW, F)``."""
        n = hi - lo
        (h, w, c), (kh, kw) = self.image, self.kernel_size
        (top, bottom), (left, right) = self.pads
        oh, ow = self.output_shape(self.image)[:2]
        # Each patch's gradient, one page per kernel offset: dz (n*OH*OW, F) @ K[di, dj].T
        pages = np.matmul(dz, self.transposed,                   # K[di, dj].T for every offset
                          out=self._buffer("pages", worker, (kh, kw, n * oh * ow, c), dz.dtype))
        padded = (n, top + h + bottom, left + w + right, c)
        dx_padded = col2im(pages.reshape(kh, kw, n, oh, ow, c), padded[1:], self.strides,
                           out=self._buffer("dx_padded", worker, padded, dz.dtype), dilation=self.dilation_rate)
        self._unpad(dx_padded, dx, lo, hi)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "dilation_rate": list(self.dilation_rate),
            "groups": self.groups,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": _initializer_config(self.kernel_initializer, self.init),
            "bias_initializer": _initializer_config(self.bias_initializer, self.bias_init),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }


def _initializer_config(given, made):
    """What rebuilds an initializer: the name or config the user gave, else the object's config."""
    return given if isinstance(given, (str, dict)) else initializers.serialize(made)
