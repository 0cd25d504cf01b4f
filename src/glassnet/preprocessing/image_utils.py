"""Image files to arrays and back, as Keras 3's ``keras.utils`` has them (via Pillow).

The "predict your own digit" tutorials do::

    img = keras.utils.load_img("my_digit.png", color_mode="grayscale", target_size=(28, 28))
    x = keras.utils.img_to_array(img)          # float32 (28, 28, 1), pixels 0..255

* :func:`load_img`: a file -> a PIL image, converted to the colour mode asked for and
  resized when ``target_size`` is given;
* :func:`img_to_array`: a PIL image -> a float32 array ``(H, W, C)``;
* :func:`array_to_img`: an array ``(H, W, C)`` -> a PIL image (stretched to 0..255 by default);
* :func:`save_img`: an array -> an image file.

Unlike :func:`glassnet.workbench.images.load_gray` (the workbench's reader for any photo of a
digit), these do no more than Keras does: no inverting, no EXIF rotation, no centring, pixels
kept in 0..255. A missing, empty or unreadable file is one :class:`~glassnet.errors.ImageError`
naming it.
"""

import io
import os
import pathlib
import warnings

import numpy as np

from glassnet.errors import ImageError

#: ``interpolation=`` names, as Keras spells them, and Pillow's resampling filters.
INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")

COLOR_MODES = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}


def _check_channels_last(data_format, where):
    if data_format not in (None, "channels_last"):
        raise ValueError(f"{where}: glassnet's images are (height, width, channels); "
                         f"data_format={data_format!r} is not supported")


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest",
             keep_aspect_ratio=False):
    """Load an image file as a PIL image (Keras's ``keras.utils.load_img``).

    Args:
        path: a file path (``str`` or ``pathlib.Path``) or an ``io.BytesIO``.
        color_mode: ``"grayscale"``, ``"rgb"`` or ``"rgba"``. A grayscale image that is
            already 16- or 32-bit (``I;16``, ``I``) stays so, as in Keras.
        target_size: ``(height, width)`` to resize to, or None to keep the size.
        interpolation: the resampling filter for the resize: one of :data:`INTERPOLATIONS`.
        keep_aspect_ratio: crop the middle of the image to the target's aspect ratio
            before resizing, so nothing is stretched.

    Returns:
        a ``PIL.Image.Image``.

    Raises:
        ImageError: the file is missing, empty, or not an image (one line naming it).
    """
    from PIL import Image

    from glassnet.workbench.images import _short, open_image, quiet_pillow

    if color_mode not in COLOR_MODES:
        raise ValueError(f'load_img: color_mode must be "grayscale", "rgb" or "rgba", got {color_mode!r}')
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"load_img: interpolation must be one of {', '.join(INTERPOLATIONS)}, "
                         f"got {interpolation!r}")
    if isinstance(path, pathlib.Path):
        path = str(path)
    if not isinstance(path, (str, bytes, io.BytesIO)):
        raise TypeError(f"load_img: path should be a file path or io.BytesIO, not {type(path).__name__}")
    if isinstance(path, bytes):       # a path given as bytes, as Keras allows
        path = os.fsdecode(path)
    label = path if isinstance(path, str) else "image"
    image = open_image(path, label, min_side=1)
    try:
        with quiet_pillow():
            image.load()                 # decode now, so a truncated file fails here
    except Image.DecompressionBombError:
        raise ImageError(f"{label}: too many pixels to decode safely") from None
    except Exception as error:  # Pillow's decoders raise many kinds (OSError, SyntaxError, ...)
        raise ImageError(f"{label}: truncated or corrupt image ({_short(error)})") from None
    wanted = COLOR_MODES[color_mode]
    if image.mode != wanted and not (color_mode == "grayscale" and image.mode in ("I;16", "I")):
        image = image.convert(wanted)
    if target_size is not None:
        image = _resize(image, target_size, interpolation, keep_aspect_ratio)
    return image


def _resize(image, target_size, interpolation, keep_aspect_ratio):
    """``image`` resized to ``target_size = (height, width)``, as Keras does it."""
    from PIL import Image

    height, width = (int(side) for side in target_size)
    if (width, height) == image.size:
        return image
    resample = getattr(Image.Resampling, interpolation.upper())
    box = None
    if keep_aspect_ratio:
        # The largest middle part of the picture with the target's aspect ratio.
        old_width, old_height = image.size
        crop_height = min(old_height, (old_width * height) // width)
        crop_width = min(old_width, (old_height * width) // height)
        top, left = (old_height - crop_height) // 2, (old_width - crop_width) // 2
        box = (left, top, left + crop_width, top + crop_height)
    return image.resize((width, height), resample, box=box)


def img_to_array(img, data_format=None, dtype=None):
    """A PIL image as an array ``(height, width, channels)`` (float32 unless ``dtype`` says).

    A grayscale image gets a channel axis of 1: ``(28, 28)`` -> ``(28, 28, 1)``. Pixels keep
    their values (0..255 for 8-bit images): divide by 255 yourself, as the tutorials do.
    """
    _check_channels_last(data_format, "img_to_array")
    x = np.asarray(img, dtype=dtype or "float32")
    if x.ndim == 2:
        x = x[:, :, np.newaxis]
    elif x.ndim != 3:
        raise ValueError(f"img_to_array: unsupported image shape {x.shape}")
    return x


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """An array ``(height, width, channels)`` (1, 3 or 4 channels) as a PIL image.

    Args:
        scale: stretch the values so that the smallest becomes 0 and the largest 255 (Keras's
            default). With ``scale=False`` the values must already be 0..255.
    """
    from PIL import Image

    _check_channels_last(data_format, "array_to_img")
    x = np.array(x, dtype=dtype or "float32")          # a copy: scaled below
    if x.ndim != 3:
        raise ValueError(f"array_to_img: expected one image of rank 3 (height, width, channels), "
                         f"got shape {x.shape}")
    if scale:
        x -= x.min()
        if x.max() != 0:
            x /= x.max()
        x *= 255
    channels = x.shape[2]
    if channels in (3, 4):
        return Image.fromarray(x.astype("uint8"), "RGB" if channels == 3 else "RGBA")
    if channels == 1:
        if x.max() > 255:                 # wider than 8 bits: Pillow's 32-bit mode "I"
            return Image.fromarray(x[:, :, 0].astype("int32"), "I")
        return Image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"array_to_img: expected 1, 3 or 4 channels, got {channels}")


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Save an array ``(height, width, channels)`` as an image file.

    The format comes from the file's extension unless ``file_format`` says (needed for a
    file object). The file is written whole or not at all: a half-written picture is never
    left under the name. Other keyword arguments go to ``PIL.Image.save``.
    """
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower() or None
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    image = array_to_img(x, data_format=data_format, scale=scale)
    if image.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("save_img: JPEG has no transparency; saving the image as RGB", stacklevel=2)
        image = image.convert("RGB")
    if not isinstance(path, (str, pathlib.Path)):
        image.save(path, format=file_format, **kwargs)       # a file object
        return
    from glassnet.engine.saving import atomic_write

    atomic_write(path, lambda file: image.save(file, format=file_format, **kwargs))


__all__ = ["array_to_img", "img_to_array", "load_img", "save_img"]
