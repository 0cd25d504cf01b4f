"""Resizing: every image brought to one height and width, inside the model.

``Resizing(32, 32)`` in front of LeNet-5 turns MNIST's 28x28 digits into the 32x32 it was
designed for; in front of a CNN for images of any size (``Input(shape=(None, None, 1))``)
it brings each batch to the size the layers after it expect.

Each output row reads the input rows around one point, as TensorFlow's ``image.resize``
does (Keras's ``Resizing`` on any backend): output row ``i`` of ``OH`` sits at input row
``(i + 0.5) * H / OH - 0.5`` (pixel centres line up), clamped to the image. "bilinear" mixes
the two rows on either side by their distance; "nearest" takes the row
``floor((i + 0.5) * H / OH)``. Columns the same way. Both are one matrix each way::

    Y = R_h @ X @ R_w^T      (per image and channel: R_h is (OH, H), R_w is (OW, W))
    dX = R_h^T @ dY @ R_w     (the resizing is linear in the image, so backward is the transpose)

As in TensorFlow, shrinking reads only the rows nearest each point (no averaging over the
rows in between: no "antialias").
"""

import numpy as np

from glassnet.engine.layers.base import Layer
from glassnet.errors import ShapeError

INTERPOLATIONS = ("bilinear", "nearest")


def resize_matrix(size, new_size, interpolation):
    """``(new_size, size)``: row ``i`` holds the weights output ``i`` gives each input position."""
    out = np.arange(new_size)
    scale = size / new_size
    matrix = np.zeros((new_size, size))
    if interpolation == "nearest":
        matrix[out, np.minimum(np.floor((out + 0.5) * scale).astype(int), size - 1)] = 1.0
        return matrix
    point = np.clip((out + 0.5) * scale - 0.5, 0, size - 1)        # where output i reads
    below = np.floor(point).astype(int)
    above = np.minimum(below + 1, size - 1)
    share = point - below                                           # how much of the row above
    np.add.at(matrix, (out, below), 1 - share)
    np.add.at(matrix, (out, above), share)
    return matrix


class Resizing(Layer):
    """Resize images to ``(height, width)`` (Keras's ``Resizing``).

    Args:
        height, width: the output's size.
        interpolation: ``"bilinear"`` (Keras's default) or ``"nearest"``.

    Input: ``(N, H, W, C)``, any ``H`` and ``W``. Output: ``(N, height, width, C)``.
    """

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f"Resizing: interpolation={interpolation!r} is not supported by glassnet "
                             f"(it has {', '.join(map(repr, INTERPOLATIONS))})")
        for name, value in (("crop_to_aspect_ratio", crop_to_aspect_ratio), ("pad_to_aspect_ratio", pad_to_aspect_ratio)):
            if value:
                raise ValueError(f"Resizing: {name}=True is not supported by glassnet")
        if data_format not in (None, "channels_last"):
            raise ValueError(f"Resizing: glassnet keeps images channels last; data_format={data_format!r} "
                             f"is not supported")
        if int(height) != height or int(width) != width or height < 1 or width < 1:
            raise ValueError(f"Resizing: height and width must be whole numbers >= 1, got {height!r}, {width!r}")
        self.height, self.width, self.interpolation = int(height), int(width), interpolation
        self.matrices = {}      # (H, W, dtype) -> (R_h, R_w), made once per input size

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        if len(self.input_shape) != 3:
            raise ShapeError(f"layer '{self.name or 'resizing'}' (Resizing) needs images (batch, height, width, "
                             f"channels) but got {('batch',) + tuple(self.input_shape)}")

    def output_shape(self, input_shape):
        return (self.height, self.width, input_shape[-1])

    def _matrices(self, h, w, dtype):
        key = (h, w, np.dtype(dtype))
        if key not in self.matrices:
            self.matrices[key] = (resize_matrix(h, self.height, self.interpolation).astype(dtype),
                                  resize_matrix(w, self.width, self.interpolation).astype(dtype))
        return self.matrices[key]

    def forward(self, x, training=False):
        self.check_input(x)
        self.x_shape = x.shape
        rows, cols = self._matrices(x.shape[1], x.shape[2], x.dtype)
        # (N, H, W, C) -> (N, C, H, W): R_h @ X @ R_w^T on every image and channel at once
        y = rows @ np.moveaxis(x, 3, 1) @ cols.T                          # (N, C, OH, OW)
        return np.ascontiguousarray(np.moveaxis(y, 1, 3))

    def backward(self, dy):
        if not self.needs_input_grad:
            return None
        rows, cols = self._matrices(self.x_shape[1], self.x_shape[2], dy.dtype)
        dx = rows.T @ np.moveaxis(dy, 3, 1) @ cols                       # (N, C, H, W)
        return np.ascontiguousarray(np.moveaxis(dx, 1, 3))

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width,
                "interpolation": self.interpolation}
