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


class ImageError(GlassnetError, ValueError):
    """An image can't be read, or holds nothing to recognise."""


class TrainingError(GlassnetError, RuntimeError):
    """Training went wrong: a NaN loss, or a resume that does not fit."""
