"""Reading the pickles some Keras datasets come in, without letting a file run code.

CIFAR-10's batches are Python pickles, and IMDB's ``.npz`` keeps its reviews (lists of word
numbers of every length) as object arrays, which NumPy can only store as pickles. A pickle
can ask to call any Python function as it loads (``os.system`` too), so these are read by
an unpickler that makes NumPy arrays and Python's own lists, dicts, numbers and bytes, and
refuses anything else in one line, as Keras 3's own dataset loaders do.
"""

import io
import pickle
import zipfile

import numpy as np

from glassnet.errors import DataError

# All that rebuilding an array needs, in NumPy 1's spelling and NumPy 2's; and what Python 3
# writes for bytes in an old-protocol pickle.
ALLOWED = frozenset({("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
                     ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode")})


class ArraysOnly(pickle.Unpickler):
    """An unpickler that makes arrays and plain Python data, and refuses everything else."""

    def find_class(self, module, name):
        if (module, name) in ALLOWED:
            return super().find_class(module, name)
        raise DataError(f"it asks for {module}.{name}, which a dataset file never holds "
                        f"(a pickle can run code: refused, not run)")


def load_pickle(data, encoding="ASCII"):
    """The object pickled in ``data`` (bytes), made by :class:`ArraysOnly`."""
    return ArraysOnly(io.BytesIO(data), encoding=encoding).load()


def load_npz(path):
    """``{name: array}`` from an ``.npz`` file, object arrays included, never running code.

    Raises:
        DataError: naming the file: not a zip of ``.npy`` arrays, or a pickle that asks for
            more than arrays.
    """
    arrays = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                if member.endswith(".npy"):
                    arrays[member[:-len(".npy")]] = _read_npy(io.BytesIO(archive.read(member)))
    except DataError as error:
        raise DataError(f"{path}: {error}") from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, pickle.UnpicklingError) as error:
        raise DataError(f"{path}: not a readable .npz file ({type(error).__name__}: {error})") from None
    return arrays


def _read_npy(stream):
    """One ``.npy`` member: numbers read with pickles off, an object array by :class:`ArraysOnly`."""
    version = np.lib.format.read_magic(stream)
    shape, fortran, dtype = (np.lib.format.read_array_header_1_0(stream) if version[0] == 1
                             else np.lib.format.read_array_header_2_0(stream))
    if dtype.hasobject:
        return ArraysOnly(stream).load()
    stream.seek(0)
    return np.lib.format.read_array(stream, allow_pickle=False)
