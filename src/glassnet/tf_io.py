"""``tf.io``: reading a file and decoding the picture in it, as TensorFlow's image pipelines do::

    img = tf.io.read_file(img_path)                 # the file's bytes
    img = tf.io.decode_png(img, channels=1)         # (H, W, 1) uint8
    img = tf.image.convert_image_dtype(img, tf.float32)   # [0, 1]

The decoders are Pillow's (PNG, JPEG, GIF, BMP); the result is a uint8 array ``(H, W, C)``
(``C``: the file's own channels, or ``channels`` 1, 3 or 4 when given), which answers
``.numpy()`` as TensorFlow's does.
"""

import io as _io

import numpy as np

from glassnet.engine.tensor import as_tensor

MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}


def read_file(filename, name=None):
    """The bytes of the file ``filename`` (a str, bytes, a path or a 0-d array of one)."""
    path = np.asarray(filename).item() if not isinstance(filename, (str, bytes)) else filename
    path = path.decode("utf-8") if isinstance(path, bytes) else str(path)
    with open(path, "rb") as file:
        return file.read()


def write_file(filename, contents, name=None):
    """Write ``contents`` (bytes, or a str) to the file ``filename``."""
    data = contents.encode("utf-8") if isinstance(contents, str) else bytes(np.asarray(contents).item())
    with open(str(np.asarray(filename).item()), "wb") as file:
        file.write(data)


def _bytes(contents, what):
    if isinstance(contents, bytes):
        return contents
    value = np.asarray(contents).item() if np.ndim(contents) == 0 else None
    if not isinstance(value, bytes):
        raise TypeError(f"tf.io.{what}: expected the file's bytes (tf.io.read_file(path)), got "
                        f"{type(contents).__name__}")
    return value


def decode_image(contents, channels=None, dtype=np.uint8, name=None, expand_animations=True):
    """The picture in ``contents`` (PNG, JPEG, GIF or BMP bytes) as ``(H, W, C)`` ``dtype``
    (uint8 as stored; a float dtype scales it to ``[0, 1]``, as ``convert_image_dtype``)."""
    from PIL import Image, UnidentifiedImageError

    try:
        picture = Image.open(_io.BytesIO(_bytes(contents, "decode_image")))
        picture.load()
    except UnidentifiedImageError:
        raise ValueError("tf.io.decode_image: the bytes are not a PNG, JPEG, GIF or BMP picture") from None
    channels = int(channels or 0)
    if channels not in (0, 1, 3, 4):
        raise ValueError(f"tf.io.decode_image: channels must be 0 (the file's), 1, 3 or 4, got {channels}")
    if channels:
        picture = picture.convert(MODES[channels])
    elif picture.mode not in MODES.values():
        picture = picture.convert("RGBA" if "A" in picture.mode or "transparency" in picture.info else "RGB")
    pixels = np.asarray(picture, dtype=np.uint8)
    pixels = pixels[:, :, np.newaxis] if pixels.ndim == 2 else pixels
    if np.dtype(dtype) != np.uint8:
        from glassnet.tf_image import convert_image_dtype
        return convert_image_dtype(pixels, dtype)
    return as_tensor(pixels)


def decode_png(contents, channels=0, dtype=np.uint8, name=None):
    """A PNG's pixels, ``(H, W, C)`` uint8 (see :func:`decode_image`)."""
    return decode_image(contents, channels, dtype)


def decode_jpeg(contents, channels=0, ratio=1, fancy_upscaling=True, try_recover_truncated=False,
                acceptable_fraction=1, dct_method="", name=None):
    """A JPEG's pixels, ``(H, W, C)`` uint8 (see :func:`decode_image`)."""
    if ratio != 1:
        raise ValueError("tf.io.decode_jpeg: glassnet decodes at full size only (ratio=1); resize after")
    return decode_image(contents, channels)


decode_gif = decode_bmp = decode_image


def encode_png(image, compression=-1, name=None):
    """The PNG bytes of a uint8 image ``(H, W, C)`` (1, 2, 3 or 4 channels)."""
    from PIL import Image

    pixels = np.asarray(image)
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] not in MODES:
        raise ValueError(f"tf.io.encode_png: expected a uint8 image (H, W, 1..4), got {pixels.dtype} {pixels.shape}")
    buffer = _io.BytesIO()
    Image.fromarray(pixels[:, :, 0] if pixels.shape[2] == 1 else pixels, MODES[pixels.shape[2]]).save(buffer, "PNG")
    return buffer.getvalue()


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"glassnet's tf.io has no {name!r}: it has read_file, write_file, decode_image, "
                         f"decode_png, decode_jpeg, decode_gif, decode_bmp and encode_png (TFRecord files "
                         f"and tf.io.gfile are TensorFlow's)")
