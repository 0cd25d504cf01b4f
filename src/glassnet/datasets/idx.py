"""Read and write IDX files, the simple binary format MNIST is stored in.

An IDX file is a short header followed by raw bytes, one per pixel or label:

    bytes 0-1   always 0
    byte  2     the type of each value: 0x08 means "unsigned byte" (0-255)
    byte  3     how many dimensions follow: 3 for images, 1 for labels
    then        one 4-byte size per dimension, big-endian ("most significant byte
                first", the order a human writes digits in)
    then        the values themselves, row after row, with no separators

So the first four bytes of an image file read 00 00 08 03 (the "magic number"
0x00000803), then come 60000, 28 and 28 (each as four bytes), then
60000 * 28 * 28 = 47,040,000 pixel bytes. A label file starts 00 00 08 01, then
60000, then 60,000 label bytes. The MNIST files are shipped gzip-compressed
(``.gz``); :func:`read_idx` accepts both forms.

Because the header only *claims* a size, the reader checks the claim against the
bytes really there before trusting it: a corrupt header saying "two billion
images" must produce an error, not an attempt to allocate 1.5 TB.
"""

import gzip
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from glassnet.errors import DataError

IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions (count, rows, cols)
LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dimension (count)
_KINDS = {IMAGES_MAGIC: "images", LABELS_MAGIC: "labels"}
_GZIP_START = b"\x1f\x8b"  # every gzip stream starts with these two bytes
_CHUNK = 1 << 22  # decompress 4 MiB at a time, so memory follows the real data
MAX_SIDE = 1 << 16   # the widest image a header may claim
MAX_BYTES = 1 << 30  # the most values read from one gzip file (MNIST's biggest holds 47 MB; EMNIST's 550 MB)


def read_idx(path, kind=None):
    """Read an IDX file (raw or gzip-compressed) into a uint8 array.

    Args:
        path: the file, e.g. ``train-images-idx3-ubyte.gz``.
        kind: ``"images"`` or ``"labels"`` to insist on one of the two;
            ``None`` accepts either.

    Returns:
        uint8 array of shape ``(N, rows, cols)`` for images or ``(N,)`` for
        labels. Label files must hold digits 0-9.

    Raises:
        DataError: one line naming the file and what is wrong with it: not gzip
            (an HTML error page saved as .gz), truncated, a wrong magic number,
            a header that disagrees with the bytes present, labels above 9.
    """
    path = Path(path)
    try:
        with open(path, "rb") as f:
            start = f.read(64)
    except OSError as e:
        raise DataError(f"{path}: cannot read the file ({e.strerror or e})") from None
    if not start:
        raise DataError(f"{path}: the file is empty")
    if start.startswith(_GZIP_START):
        values, dims = _read_gzip(path)
    elif start.lstrip().startswith(b"<"):
        raise DataError(
            f"{path}: this is an HTML page, not MNIST data "
            "(a failed download saved as a file?); delete it and try again"
        )
    elif path.suffix == ".gz":
        raise DataError(f"{path}: not gzip data (it starts with bytes {start[:4].hex(' ')})")
    else:
        values, dims = _read_raw(path)
    array = values.reshape(dims)
    if kind is not None and _kind_of(dims) != kind:
        raise DataError(f"{path}: expected an IDX {kind} file but this one holds {_kind_of(dims)}")
    if array.ndim == 1 and array.size and array.max() > 9:
        where = int(np.argmax(array > 9))
        raise DataError(f"{path}: label {array[where]} at position {where} is outside 0-9")
    return array


def write_idx(path, array):
    """Write a uint8 array as an IDX file; gzip-compressed when the name ends in .gz.

    Handy for making tiny test fixtures. The inverse of :func:`read_idx`.

    Args:
        path: where to write.
        array: integers in 0-255, 1-D (labels) or 3-D (images, ``(N, rows, cols)``).
    """
    payload = idx_bytes(array, name=path)
    opener = gzip.open if Path(path).suffix == ".gz" else open
    with opener(path, "wb") as f:
        f.write(payload)


def idx_bytes(array, name="array"):
    """The IDX encoding of a uint8-range array: the header, then the values row by row."""
    array = np.asarray(array)
    if array.ndim not in (1, 3):
        raise DataError(f"{name}: IDX arrays here are 1-D labels or 3-D images, got shape {array.shape}")
    if array.size and (array.min() < 0 or array.max() > 255):
        raise DataError(f"{name}: values must lie in 0-255 to fit in unsigned bytes")
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim)  # the magic number
    header += struct.pack(f">{array.ndim}I", *array.shape)  # big-endian sizes
    return header + array.astype(np.uint8).tobytes()


def _kind_of(dims):
    return "images" if len(dims) == 3 else "labels"


def _parse_header(path, read):
    """Parse the magic number and sizes with ``read(n)``; return ``(dims, n_values)``."""
    magic_bytes = read(4)
    if len(magic_bytes) < 4:
        raise DataError(f"{path}: too short to hold an IDX header")
    (magic,) = struct.unpack(">I", magic_bytes)
    if magic not in _KINDS:
        raise DataError(
            f"{path}: magic number 0x{magic:08x} is not an IDX images file "
            f"(0x{IMAGES_MAGIC:08x}) or labels file (0x{LABELS_MAGIC:08x})"
        )
    ndim = magic & 0xFF
    size_bytes = read(4 * ndim)
    if len(size_bytes) < 4 * ndim:
        raise DataError(f"{path}: too short to hold an IDX header")
    dims = struct.unpack(f">{ndim}I", size_bytes)
    n_values = int(np.prod(dims, dtype=object))
    if len(dims) == 3 and max(dims[1:]) > MAX_SIDE:   # (0, 4e9, 4e9) holds no values, yet no array has that shape
        raise DataError(f"{path}: the header claims images of {dims[1]}x{dims[2]} pixels, "
                        f"more than {MAX_SIDE:,} on a side")
    return dims, n_values


def _size_error(path, dims, n_found, exact=True):
    """The one-line message for a header that disagrees with the payload."""
    if len(dims) == 3:
        claim = f"{dims[0]} images of {dims[1]}x{dims[2]}"
        what = "pixels"
    else:
        claim, what = f"{dims[0]} labels", "labels"
    if n_found < int(np.prod(dims, dtype=object)):
        problem, amount = "truncated", f"{n_found}"
    else:
        problem, amount = "too long", f"{n_found}" if exact else f"more than {n_found - 1}"
    return DataError(f"{path}: {problem}: header says {claim} but the file holds {amount} bytes of {what}")


def _read_raw(path):
    """An uncompressed file: compare the claimed size with the file size, then read."""
    with open(path, "rb") as f:
        dims, n_values = _parse_header(path, f.read)
        n_found = os.path.getsize(path) - f.tell()
        if n_found != n_values:
            raise _size_error(path, dims, n_found)
        return np.fromfile(f, dtype=np.uint8, count=n_values), dims


def _read_gzip(path):
    """A gzip file: its true size is unknown until decompressed, so read in chunks,
    never asking for more than the header claims plus one byte."""
    try:
        with gzip.open(path, "rb") as f:
            dims, n_values = _parse_header(path, f.read)
            if n_values > MAX_BYTES:   # refused before a byte is kept: a gzip bomb stops here
                raise DataError(f"{path}: the header claims {' x '.join(map(str, dims))} = {n_values:,} "
                                f"values, more than glassnet reads from one gzip file ({MAX_BYTES:,})")
            payload = bytearray()
            while len(payload) <= n_values:
                chunk = f.read(min(_CHUNK, n_values + 1 - len(payload)))
                if not chunk:
                    break
                payload += chunk
    except EOFError:
        raise DataError(f"{path}: truncated gzip file (the download was cut short?)") from None
    except (gzip.BadGzipFile, zlib.error) as e:
        raise DataError(f"{path}: corrupt gzip data ({e})") from None
    if len(payload) != n_values:
        raise _size_error(path, dims, len(payload), exact=False)
    return np.frombuffer(payload, dtype=np.uint8), dims
