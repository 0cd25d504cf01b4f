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
``(m+2)**2 / m**2`` here: 4 for F(2x2, 3x3), 2.25 for F(4x4, 3x3), which glassnet uses. The
bigger tile saves more but its transforms have larger coefficients (up to 8), so float32
results carry an error of a few 1e-6 relative instead of a few 1e-7; training is not
affected.

All four transforms are the same operation, ``L X L^T`` on the two tile axes of a stack of
tiles (:func:`sandwich`); the backward pass uses the transposed matrices (each transform is
linear, so its gradient is its transpose)::

    forward:   V = B^T d B,   M[p] = V[p] @ U[p],     Y = A^T M A
    backward:  dM = A dY A^T, dU[p] = V[p].T @ dM[p], dV[p] = dM[p] @ U[p].T, dd = B dV B^T

and ``dg = G^T dU G``. Neighbouring input tiles overlap by 2 pixels, so ``dd`` is added
back onto the image like im2col's patches (col2im).
"""

from dataclasses import dataclass

import numpy as np


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


def sandwich(L, tiles, out=None, half=None):
    """``L @ X @ L.T`` for every 2-D tile ``X``, tiles stored with their two axes first.

    ``tiles`` is ``(q, q, ...)``; the result is ``(p, p, ...)`` for ``L`` of shape ``(p, q)``.
    Two matrix multiplies, one per axis, each over every tile at once. ``out`` (the result)
    and ``half`` (``(p, q * ...)``, the halfway point) may be given as work arrays.
    """
    p, q = L.shape
    rest = tiles.shape[2:]
    half = np.matmul(L, tiles.reshape(q, -1), out=half)         # along the first axis
    if out is not None:
        out = out.reshape(p, p, -1)   # a view: out is contiguous
    return np.matmul(L, half.reshape(p, q, -1), out=out).reshape((p, p) + rest)


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

# Point 1 of both is seen by every output of the tile with weight 1 (column 1 of A^T is all
# ones): a number added to page (1, 1) of M reaches each output once. That is where the
# bias goes, added to 1/(m+2)**2 of the numbers instead of to every output.
BIAS_POINT = 1
