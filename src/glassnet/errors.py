"""The exceptions glassnet raises for bad input.

Every error a user can cause (a corrupt file, a wrong shape, a NaN loss, an odd image)
is raised as a subclass of :class:`GlassnetError` with a one-line message that names the
file or argument and the problem. The command line prints that line to stderr and exits
with status 2, without a traceback.
"""


class GlassnetError(Exception):
    """Base class: a problem with the user's input, explained in one line."""


class DataError(GlassnetError, ValueError):
    """A data file or array is missing, corrupt, or not what it claims to be."""


class ShapeError(GlassnetError, ValueError):
    """An array does not have the shape a layer or model expects."""


class ModelFileError(GlassnetError, ValueError):
    """A saved model file is truncated, corrupt, or not a glassnet model."""


class ExportError(GlassnetError, ValueError):
    """A model can't be written in the format asked for (Keras or ONNX has no such layer)."""


class ImageError(GlassnetError, ValueError):
    """An image can't be read, or holds nothing to recognise."""


class TrainingError(GlassnetError, RuntimeError):
    """Training went wrong: a NaN loss, or a resume that does not fit."""


def transposed_hint(shape, sample_shape):
    """The hint for data laid out one column per image (a notebook habit), or ``""``.

    Many tutorials keep a dataset as ``(784, m)``, one column per image; glassnet, like
    Keras, wants ``(m, 784)``, one row per image. A model's input check can add this hint
    to its ShapeError::

        >>> transposed_hint((784, 41000), (784,))
        'got (784, 41000): one column per image? pass x.T'
        >>> transposed_hint((784, 41000), (28, 28))
        'got (784, 41000): one column per image? pass x.T'
        >>> transposed_hint((41000, 784), (784,))
        ''

    Args:
        shape: the shape of the array the user passed.
        sample_shape: one sample's shape as the model expects it, without the batch axis.
    """
    size = 1
    for side in sample_shape:
        size *= int(side)
    if len(shape) == 2 and shape[0] == size and shape[1] != size:
        return f"got {tuple(int(n) for n in shape)}: one column per image? pass x.T"
    return ""
