"""Winograd's minimal filtering: a 3x3 convolution with fewer multiplications.

A 3x3 convolution computes each output pixel from 9 inputs. Along one axis, two outputs
``y0 = d0 g0 + d1 g1 + d2 g2`` and ``y1 = d1 g0 + d2 g1 + d3 g2`` take 6 multiplications;
Winograd's F(2, 3) gets them with 4, from sums of the inputs and of the weights::

    m0 = (d0 - d2) g0            m1 = (d1 + d2) (g0 + g1 + g2) / 2
    m3 = (d1 - d3) g2            m2 = (d2 - d1) (g0 - g1 + g2) / 2
    y0 = m0 + m1 + m2            y1 = m1 - m2 - m3

In matrix form ``y = A^T [(G g) * (B^T d)]`` (``*`` element by element), and in 2-D, for an
``m x m`` tile of outputs and the ``(m+2) x (m+2)`` tile of inputs ``d`` under it
(Lavin and Gray, 2016, "Fast algorithms for convolutional neural networks")::

    Y = A^T [ (G g G^T) * (B^T d B) ] A

The weights' side ``U = G g G^T`` is computed once per batch; ``V = B^T d B`` and the way
back ``A^T M A`` are a few sums of tiles. With ``C`` input channels and ``F`` filters, the
element-by-element product summed over the channels is, for each of the ``(m+2)**2``
points of a tile, one matrix multiply over all tiles of the batch::

    M[p] = V[p] @ U[p]            (tiles, C) @ (C, F) -> (tiles, F)

Multiply-adds per output pixel and channel pair: 9 for the direct convolution (im2col),
``(m+2)**2 / m**2`` here: 4 for F(2x2, 3x3), 2.25 for F(4x4, 3x3), 1.78 for F(6x6, 3x3).
glassnet uses the last two, each layer the one that covers its output with fewer points
(:func:`fewest_points`): a bigger tile saves more multiplications, but its last tile sticks
out further past the image. The default CNN's second convolution (11x11 outputs) takes
F(6x6): 256 points per image and channel pair instead of 324; a training step is 7-9%
faster, prediction 5-7% on one thread. Bigger tiles also have larger coefficients (F(4x4):
up to 8; F(6x6): up to 32), so float32 rounds more: on that layer (MNIST, He-initialised
weights) the largest error is 7.5e-7 of the largest output for the direct sum, 3.2e-6 for
F(4x4), 5.8e-6 for F(6x6) (root mean square: 2.4e-7, 7.2e-7, 1.5e-6). Training is not
affected. A Conv2D fused with the max pooling after it (:mod:`glassnet.engine.layers.fused`)
computes only the outputs the pooling reads and chooses among F(4x4), F(5x5) and F(6x6)
for those: F(5x5) for the default CNN's (10x10 of them, 196 points).

All four transforms are the same operation, ``L X L^T`` on the two axes of a tile; the
backward pass uses the transposed matrices (each transform is linear, so its gradient is
its transpose)::

    forward:   V = B^T d B,   M[p] = V[p] @ U[p],     Y = A^T M A
    backward:  dM = A dY A^T, dU[p] = V[p].T @ dM[p], dV[p] = dM[p] @ U[p].T, dd = B dV B^T

and ``dg = G^T dU G`` (:func:`sandwich`, on the kernel). The images are laid out rows
first, ``(H, W, n, C)``: the rows under a row of tiles are then one matrix, so the
transform down the rows is applied straight to the image; across, the windows' columns
are copied side by side first (:func:`windows_to_points`). The way back transforms every
tile with two large multiplies and puts the tiles in place with a few block copies,
adding up where neighbouring input tiles overlap by 2 pixels (:func:`points_to_windows`).
"""

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from glassnet.engine.layers.im2col import CACHE_BYTES


@dataclass(frozen=True)
class Winograd:
    """The three matrices of F(m x m, 3x3): ``m x m`` outputs per tile of ``(m+2) x (m+2)`` inputs."""

    m: int
    BT: np.ndarray   # (m+2, m+2): input tile -> Winograd points
    G: np.ndarray    # (m+2, 3):   kernel -> Winograd points
    AT: np.ndarray   # (m, m+2):   Winograd points -> output tile

    @property
    def size(self):
        """Input tile side, ``m + 2``."""
        return self.m + 2

    def tiles(self, outputs):
        """How many tiles cover ``outputs`` output pixels along one axis."""
        return -(-outputs // self.m)

    def kernel(self, kernel, out=None, half=None):
        """``U = G g G^T`` for every (channel, filter) pair: ``(3, 3, C, F) -> (a*a, C, F)``."""
        u = sandwich(self.G.astype(kernel.dtype), kernel, out, half)
        return u.reshape(self.size ** 2, *kernel.shape[2:])

    def kernel_gradient(self, du):
        """``dg = G^T dU G``: ``(a*a, C, F) -> (3, 3, C, F)``."""
        return sandwich(self.G.T.astype(du.dtype), du.reshape(self.size, self.size, *du.shape[1:]))


def transform(L, x, out=None):
    """``L @ x`` for a small ``L`` ``(p, q)`` and a wide ``x`` ``(..., q, N)``: every tile's
    numbers side by side, transformed at once.

    The multiply runs a block of columns at a time, each block's ``q`` rows small enough to
    stay in one core's L2 cache (``CACHE_BYTES``): BLAS does a very wide, very short matrix
    faster that way. F(5x5)'s 7 x 7 matrices on the default CNN's second convolution, one
    thread: 114 -> 59 us for 32,256 columns, 224 -> 159 us for 64,512. Columns never mix:
    each is the same few products either way (the same numbers bit for bit here; the tests
    compare the blocks with one multiply).
    """
    if out is None:
        out = np.empty(x.shape[:-2] + (L.shape[0], x.shape[-1]), np.result_type(L, x))
    width, block = x.shape[-1], max(1024, CACHE_BYTES // (x.shape[-2] * x.itemsize))
    if width <= block:
        return np.matmul(L, x, out=out)
    for left in range(0, width, block):
        np.matmul(L, x[..., left:left + block], out=out[..., left:left + block])
    return out


def sandwich(L, tiles, out=None, half=None):
    """``L @ X @ L.T`` for every 2-D tile ``X``, tiles stored with their two axes first.

    ``tiles`` is ``(q, q, ...)``; the result is ``(p, p, ...)`` for ``L`` of shape ``(p, q)``.
    Two matrix multiplies, one per axis, each over every tile at once. ``out`` (the result)
    and ``half`` (``(p, q * ...)``, the halfway point) may be given as work arrays.
    """
    p, q = L.shape
    rest = tiles.shape[2:]
    half = transform(L, tiles.reshape(q, -1), out=half)         # along the first axis
    if out is not None:
        out = out.reshape(p, p, -1)   # a view: out is contiguous
    return transform(L, half.reshape(p, q, -1), out=out).reshape((p, p) + rest)


def windows_to_points(L, image, step, counts, out, half, work):
    """``L W L^T`` for every window ``W`` of an image laid out rows first, ``(H, W, ...)``.

    The windows are ``q x q`` (``L`` is ``(p, q)``), one every ``step`` pixels down and
    across, ``counts = (T, S)`` of them: window ``(t, s)`` covers rows ``t*step .. t*step + q``
    and columns ``s*step .. s*step + q``. The result goes into ``out``, ``(p, p, T, S, ...)``.
    Work arrays: ``half`` ``(p, T, W, ...)`` and ``work`` ``(p, q, T, S, ...)``.

    With the rows of the image first (and the images of the batch inside each pixel), the
    ``q`` rows under a row of windows are one matrix, ``(q, W * ...)``: the transform down
    the rows is one multiply per row of windows, straight from the image. Across, the
    columns of every window are copied out side by side (``q`` strided copies, whatever
    the number of windows), and one multiply per row of the result does the rest: a few
    large multiplies instead of a small one per window, which a wide image (a line of
    digits: 22 windows across) would make by the hundred.
    """
    p, q = L.shape
    t_count, s_count = counts
    rest = math.prod(image.shape[2:])
    width = image.shape[1]
    rows = image.reshape(image.shape[0], width * rest)
    half = half.reshape(p, t_count, width * rest)
    for t in range(t_count):                                  # down the rows
        transform(L, rows[t * step:t * step + q], out=half[:, t])
    half = half.reshape(p, t_count, width, rest)
    columns = work.reshape(p, q, t_count, s_count, rest)      # column v of every window
    for v in range(q):
        columns[:, v] = half[:, :, v:v + (s_count - 1) * step + 1:step]
    transform(L, columns.reshape(p, q, -1), out=out.reshape(p, p, -1))   # across
    return out


def points_to_windows(L, points, step, out, half, work):
    """The way back: ``L X L^T`` of every tile ``X`` of ``points`` ``(q, q, T, S, ...)``,
    placed on the image ``out`` ``(H, W, ...)`` (rows first) at every ``step`` pixels.

    ``L`` is ``(p, q)``: tile ``(t, s)`` lands on rows ``t*step .. t*step + p`` and columns
    ``s*step .. s*step + p``. Two large multiplies transform every tile (``half``: a
    ``(p, q, T, S, ...)`` work array; ``work``: ``(p, p, T, S, ...)``, the tiles), then the
    tiles go in place: one strided copy when they lie side by side (``p == step``, the
    output transform). When they overlap (the input transform's gradient: by ``p - step``
    pixels) the overlaps add up: the first ``step x step`` block of every tile is copied
    (no two overlap), then each of the last rows, the last columns and the corner pixels
    is added onto the next tile's first ones, ``(p - step + 1)**2 - 1`` strided additions.
    ``out`` must be at least ``T*step + p - step`` by ``S*step + p - step``; past that it is
    left as it is.
    """
    p, q = L.shape
    t_count, s_count = points.shape[2:4]
    rest = math.prod(points.shape[4:])
    half = transform(L, points.reshape(q, -1), out=half.reshape(p, -1))      # down the rows
    tiles = transform(L, half.reshape(p, q, -1), out=work.reshape(p, p, -1))  # across
    tiles = tiles.reshape(p, p, t_count, s_count, rest).transpose(2, 0, 3, 1, 4)   # (T, i, S, j, ...)
    image = out.reshape(out.shape[0], out.shape[1], rest)
    rows, cols = t_count * step, s_count * step
    image[rows:rows + p - step] = 0                           # reached by additions only
    image[:rows, cols:cols + p - step] = 0
    np.copyto(image[:rows, :cols].reshape(t_count, step, s_count, step, rest), tiles[:, :step, :, :step])
    for e in range(p - step):       # row step + e of every tile: onto row e of the tile below
        below = image[step + e:step + e + rows:step, :cols]                      # (T, S*step, ...)
        below.reshape(t_count, s_count, step, rest)[...] += tiles[:, step + e, :, :step]
        right = image[:rows, step + e:step + e + cols:step]                      # (T*step, S, ...)
        right.reshape(t_count, step, s_count, rest)[...] += tiles[:, :step, :, step + e]
        for f in range(p - step):   # and the corners, onto the tile below and to the right
            image[step + e:step + e + rows:step, step + f:step + f + cols:step] += tiles[:, step + e, :, step + f]
    return out


F2 = Winograd(   # F(2x2, 3x3): additions only
    m=2,
    BT=np.array([[1, 0, -1, 0],
                 [0, 1, 1, 0],
                 [0, -1, 1, 0],
                 [0, 1, 0, -1]], dtype=float),
    G=np.array([[1, 0, 0],
                [1 / 2, 1 / 2, 1 / 2],
                [1 / 2, -1 / 2, 1 / 2],
                [0, 0, 1]]),
    AT=np.array([[1, 1, 1, 0],
                 [0, 1, -1, -1]], dtype=float))

F4 = Winograd(   # F(4x4, 3x3): points 0, 1, -1, 2, -2 and infinity
    m=4,
    BT=np.array([[4, 0, -5, 0, 1, 0],
                 [0, -4, -4, 1, 1, 0],
                 [0, 4, -4, -1, 1, 0],
                 [0, -2, -1, 2, 1, 0],
                 [0, 2, -1, -2, 1, 0],
                 [0, 4, 0, -5, 0, 1]], dtype=float),
    G=np.array([[1 / 4, 0, 0],
                [-1 / 6, -1 / 6, -1 / 6],
                [-1 / 6, 1 / 6, -1 / 6],
                [1 / 24, 1 / 12, 1 / 6],
                [1 / 24, -1 / 12, 1 / 6],
                [0, 0, 1]]),
    AT=np.array([[1, 1, 1, 1, 1, 0],
                 [0, 1, -1, 2, -2, 0],
                 [0, 1, 1, 4, 4, 0],
                 [0, 1, -1, 8, -8, 1]], dtype=float))


def toom_cook(m, points):
    """F(m x m, 3x3) from ``m + 1`` points and infinity, computed exactly with fractions.

    Along one axis, correlating ``d`` (``m + 2`` numbers) with ``g`` (3) is the transpose
    of multiplying two polynomials, ``h(x)`` with ``m`` coefficients and ``g(x)`` with 3:
    their product ``s(x)`` has ``m + 2`` coefficients, so it is fixed by its values at
    ``m + 1`` points ``a_j`` and its top coefficient (its "value at infinity"), and each
    value is one multiplication, ``s(a_j) = h(a_j) g(a_j)``. Lagrange's formula gets the
    coefficients back::

        s(x) = sum over j of s(a_j) P_j(x) / N_j  +  h_top g_top P(x)
        P(x) = product of (x - a_l) over all l,   P_j(x) = the same without l = j,
        N_j  = P_j(a_j)

    Transposed, for the correlation: ``G`` evaluates the kernel at the points (row ``j``:
    ``a_j**k / N_j``), ``B^T``'s rows are the coefficients of ``P_j`` (and of ``P`` for
    infinity), and ``A^T`` holds the powers ``a_j**i``. On the points 0, 1, -1, 2, -2 this
    gives exactly :data:`F4`'s matrices (a test checks it).
    """
    a = [Fraction(p) for p in points]
    assert len(a) == m + 1, "F(m, 3) takes m + 1 points besides infinity"

    def coefficients(roots):            # of the product of (x - r), lowest power first
        c = [Fraction(1)]
        for root in roots:
            c = [Fraction(0)] + c                                  # times x ...
            for k in range(len(c) - 1):
                c[k] -= root * c[k + 1]                            # ... minus root times
        return c

    bt, g = [], []
    for j, point in enumerate(a):
        others = a[:j] + a[j + 1:]
        bt.append(coefficients(others) + [0])
        n_j = math.prod(point - other for other in others)
        g.append([point ** k / n_j for k in range(3)])
    bt.append(coefficients(a))                                     # infinity
    g.append([0, 0, 1])
    at = [[point ** i for point in a] + [int(i == m - 1)] for i in range(m)]
    return Winograd(m=m, BT=np.array(bt, dtype=float), G=np.array(g, dtype=float),
                    AT=np.array(at, dtype=float))


# F(6x6, 3x3): points 0, 1, -1, 2, -2, 1/2, -1/2 and infinity (Lavin and Gray's; NNPACK's
# and wincnn's too). B^T's entries reach 21/4, A^T's 32 (2**5, from the point 2).
F6 = toom_cook(6, (0, 1, -1, 2, -2, Fraction(1, 2), Fraction(-1, 2)))

# F(5x5, 3x3): the first six of those points. Pooled 2x2, the default CNN's second
# convolution needs only 10x10 of its 11x11 outputs: two tiles of 5 cover them exactly,
# 196 points per image and channel pair (F(6x6): 256). A^T reaches 16 (2**4), B^T 6.
F5 = toom_cook(5, (0, 1, -1, 2, -2, Fraction(1, 2)))

# Point 1 of all three is seen by every output of the tile with weight 1 (column 1 of A^T
# is all ones: 1**i): a number added to page (1, 1) of M reaches each output once. That is
# where the bias goes, added to 1/(m+2)**2 of the numbers instead of to every output.
BIAS_POINT = 1


def fewest_points(height, width, choices=(F4, F6)):
    """The tile size that covers a ``height x width`` output with the fewest Winograd points,
    ``tiles(height) * tiles(width) * (m+2)**2``; on a tie the first (the smaller tile,
    whose float32 error is smaller). The default CNN's second convolution, 11x11 outputs:
    F(4x4) takes 3x3 tiles of 6x6 points, 324; F(6x6) 2x2 tiles of 8x8, 256."""
    return min(choices, key=lambda wg: wg.tiles(height) * wg.tiles(width) * wg.size ** 2)
