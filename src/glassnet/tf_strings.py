"""``tf.strings``: the string functions TensorFlow's text tutorials call, on NumPy arrays of str.

Their ``custom_standardization`` is the usual one (for ``TextVectorization(standardize=...)``,
which glassnet hands a NumPy array of str)::

    def custom_standardization(input_data):
        lowercase = tf.strings.lower(input_data)
        stripped_html = tf.strings.regex_replace(lowercase, "<br />", " ")
        return tf.strings.regex_replace(stripped_html, "[%s]" % re.escape(string.punctuation), "")

Each function takes a str, bytes, or an array (or list) of them and gives the same shape back,
as NumPy str (TensorFlow gives bytes). As in TensorFlow, ``lower`` and ``upper`` change the
ASCII letters only unless ``encoding="utf-8"``; regular expressions are Python's ``re`` (the
same as TensorFlow's RE2 for the usual patterns: classes, ``\\s``, groups, ``\\1``).
"""

import builtins
import re

import numpy as np

from glassnet.engine.tensor import as_tensor

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_WHITESPACE = " \t\n\v\f\r"


def _each(input, function, dtype=str):
    """``function`` on every string of ``input``, in its shape (a str for a str)."""
    if isinstance(input, (str, bytes)):
        return function(_text(input))
    array = np.asarray(input, dtype=object)
    flat = [function(_text(value)) for value in array.reshape(-1).tolist()]
    return as_tensor(np.array(flat, dtype=dtype).reshape(array.shape) if flat else np.zeros(array.shape, dtype))


def _text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if not isinstance(value, str):
        raise TypeError(f"tf.strings: expected strings, got {type(value).__name__}")
    return value


def lower(input, encoding="", name=None):
    """Lower case: ASCII letters only (TensorFlow's default), or every letter with encoding='utf-8'."""
    return _each(input, (lambda s: s.lower()) if encoding else (lambda s: s.translate(_ASCII_LOWER)))


def upper(input, encoding="", name=None):
    """Upper case: ASCII letters only, or every letter with encoding='utf-8'."""
    return _each(input, (lambda s: s.upper()) if encoding else (lambda s: s.translate(_ASCII_UPPER)))


def regex_replace(input, pattern, rewrite, replace_global=True, name=None):
    """Each match of ``pattern`` replaced by ``rewrite`` (only the first, with replace_global=False)."""
    compiled = re.compile(pattern)
    return _each(input, lambda s: compiled.sub(rewrite, s, count=0 if replace_global else 1))


def regex_full_match(input, pattern, name=None):
    """Whether each whole string matches ``pattern`` (booleans)."""
    compiled = re.compile(pattern)
    return _each(input, lambda s: compiled.fullmatch(s) is not None, dtype=bool)


def strip(input, name=None):
    """Leading and trailing (ASCII) whitespace removed."""
    return _each(input, lambda s: s.strip(_WHITESPACE))


def length(input, unit="BYTE", name=None):
    """Each string's length in bytes (UTF-8), or in characters with unit='UTF8_CHAR'."""
    if unit not in ("BYTE", "UTF8_CHAR"):
        raise ValueError(f"tf.strings.length: unit must be 'BYTE' or 'UTF8_CHAR', got {unit!r}")
    return _each(input, (lambda s: len(s.encode("utf-8"))) if unit == "BYTE" else len, dtype=np.int32)


def join(inputs, separator="", name=None):
    """The strings of ``inputs`` (a list of arrays of one shape) joined element by element."""
    arrays = np.broadcast_arrays(*[np.asarray(_each(one, lambda s: s), dtype=object) for one in inputs])
    joined = [separator.join(parts) for parts in zip(*[a.reshape(-1).tolist() for a in arrays])]
    return as_tensor(np.array(joined, dtype=str).reshape(arrays[0].shape))


def _rows_of(input, split):
    """``split`` (str -> list of str) on a string: an array; on a 1-D array of strings: a
    :class:`~glassnet.tf_ragged.RaggedTensor` of the pieces, as TensorFlow gives."""
    from glassnet.tf_ragged import RaggedTensor
    if isinstance(input, (str, bytes)) or np.ndim(input) == 0:
        return as_tensor(np.array(split(_text(input if isinstance(input, (str, bytes)) else np.asarray(input).item())),
                                  dtype=str))
    array = np.asarray(input, dtype=object)
    if array.ndim != 1:
        raise ValueError(f"tf.strings: glassnet splits a string or a 1-D array of them, got shape {array.shape}")
    return RaggedTensor([np.array(split(_text(value)), dtype=str) for value in array.tolist()])


def unicode_split(input, input_encoding="UTF-8", errors="replace", replacement_char=65533, name=None):
    """Each string as its characters (a RaggedTensor for several strings)."""
    return _rows_of(input, list)


def bytes_split(input, name=None):
    """Each string as its bytes, one string each (ASCII text: its characters)."""
    return _rows_of(input, lambda s: [bytes([b]).decode("latin-1") for b in s.encode("utf-8")])


def split(input, sep=None, maxsplit=-1, name=None):
    """Each string split at ``sep`` (default: runs of whitespace), as Python's str.split."""
    return _rows_of(input, lambda s: s.split(sep, maxsplit))


def reduce_join(inputs, axis=None, keepdims=False, separator="", name=None):
    """The strings joined along ``axis`` (all of them for None); a RaggedTensor's rows, each."""
    from glassnet.tf_ragged import is_ragged
    if is_ragged(inputs):
        if axis not in (-1, 1):
            raise ValueError("tf.strings.reduce_join: glassnet joins a RaggedTensor along its rows (axis=-1)")
        return as_tensor(np.array([separator.join(_text(v) for v in row.tolist()) for row in inputs.rows], dtype=str))
    array = np.asarray(_each(inputs, lambda t: t), dtype=object)
    if axis is None:
        joined = np.array(separator.join(array.reshape(-1).tolist()), dtype=str)
        return as_tensor(joined.reshape((1,) * array.ndim) if keepdims else joined)
    joined = np.apply_along_axis(lambda row: separator.join(row.tolist()), axis, array).astype(str)
    return as_tensor(np.expand_dims(joined, axis) if keepdims else joined)


def substr(input, pos, len, unit="BYTE", name=None):
    """``len`` bytes (or characters, with unit="UTF8_CHAR") from ``pos`` (negative: from
    the end) of each string, as TensorFlow cuts them (a cut through a character shows "\ufffd")."""
    if unit not in ("BYTE", "UTF8_CHAR"):
        raise ValueError(f"tf.strings.substr: unit must be 'BYTE' or 'UTF8_CHAR', got {unit!r}")

    def cut(s):
        units = s.encode("utf-8") if unit == "BYTE" else s
        start = pos if pos >= 0 else builtins.len(units) + pos
        piece = units[start:start + len]
        return piece.decode("utf-8", errors="replace") if unit == "BYTE" else piece
    return _each(input, cut)


def to_number(string_tensor, out_type=np.float32, name=None):
    """Each string read as a number (an error names the one that isn't)."""
    def number(s):
        try:
            return float(s) if np.dtype(out_type).kind == "f" else int(s)
        except ValueError:
            raise ValueError(f"tf.strings.to_number: {s!r} is not a number") from None
    return _each(string_tensor, number, dtype=out_type)


def as_string(input, precision=-1, scientific=False, shortest=False, width=-1, fill="", name=None):
    """Each number as a string (TensorFlow's %f style with ``precision``, else its shortest)."""
    def text(value):
        if isinstance(value, (bool, np.bool_)):
            return "true" if value else "false"
        if isinstance(value, float) and precision >= 0:
            return f"{value:.{precision}{'e' if scientific else 'f'}}"
        if isinstance(value, float):
            return f"{value:f}" if not (scientific or shortest) else repr(value)
        return str(value)
    array = np.asarray(input)
    flat = [text(v).rjust(width, fill or " ") if width > 0 else text(v) for v in array.reshape(-1).tolist()]
    return as_tensor(np.array(flat, dtype=str).reshape(array.shape))


def to_hash_bucket_fast(input, num_buckets, name=None):
    """Each string's FarmHash fingerprint modulo ``num_buckets`` (TensorFlow's, as Hashing's)."""
    from glassnet.engine.layers.hashing import hash_buckets
    return _each(input, lambda s: int(hash_buckets([s], num_buckets)[0]), dtype=np.int64)


def __getattr__(name):
    raise AttributeError(f"glassnet has no strings.{name}: its tf.strings has lower, upper, regex_replace, "
                         f"regex_full_match, strip, length, join, reduce_join, split, unicode_split, "
                         f"bytes_split, substr, to_number, as_string and to_hash_bucket_fast (on NumPy "
                         f"arrays of str); do the rest with Python's str methods")
