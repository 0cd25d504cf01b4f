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

import re

import numpy as np

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_WHITESPACE = " \t\n\v\f\r"


def _each(input, function, dtype=str):
    """``function`` on every string of ``input``, in its shape (a str for a str)."""
    if isinstance(input, (str, bytes)):
        return function(_text(input))
    array = np.asarray(getattr(input, "numpy", lambda: input)(), dtype=object)
    flat = [function(_text(value)) for value in array.reshape(-1).tolist()]
    return np.array(flat, dtype=dtype).reshape(array.shape) if flat else np.zeros(array.shape, dtype)


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
    return np.array(joined, dtype=str).reshape(arrays[0].shape)


def __getattr__(name):
    raise AttributeError(f"glassnet has no strings.{name}: its tf.strings has lower, upper, regex_replace, "
                         f"regex_full_match, strip, length, join and unicode_split (on NumPy arrays of str); do the rest "
                         f"with Python's str methods")


def unicode_split(input, input_encoding, errors="replace", replacement_char=65533, name=None):
    """The characters of a string, as an array of one-character str (the OCR tutorial's
    ``tf.strings.unicode_split(label, input_encoding="UTF-8")`` before a StringLookup); a
    list of such arrays for an array of strings."""
    if isinstance(input, (str, bytes)) or np.ndim(input) == 0:
        text = _text(input if isinstance(input, (str, bytes)) else np.asarray(input).item())
        return np.array(list(text), dtype=str)
    return [unicode_split(one, input_encoding) for one in np.asarray(input, dtype=object).reshape(-1)]
