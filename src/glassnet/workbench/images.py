"""Reading a user's image safely: any common file in, one grayscale array out.

A photo from a phone, a scan, a drawing saved from Paint or a PNG from the web page all
arrive here. :func:`load_gray` turns each into the same thing, a float32 array of shape
``(H, W)`` in ``0..1`` where 0 is black and 1 is white, exactly as the picture looks:

* the formats people actually have: PNG, JPEG, BMP, GIF, WebP, TIFF (and PPM/PGM);
* every mode Pillow reads them in: RGB, RGBA, L, LA, P (palettes), 1 (black and white),
  16-bit (``I;16``, ``I``), float (``F``) and CMYK;
* the camera's EXIF orientation applied, so a phone photo taken sideways is upright;
* transparency laid on white paper, so black strokes on a transparent PNG read as ink.

Everything that can go wrong becomes an :class:`~glassnet.errors.ImageError` with one line
naming the file: an empty file, something that is not an image, a truncated download,
a picture too big to decode safely (a "decompression bomb": a few kilobytes of PNG can
claim 20000x20000 pixels, 400 MB once decoded), or one too small to hold a digit.
"""

import contextlib
import io
import os
import warnings

import numpy as np

from glassnet.errors import ImageError

# The formats we open. Pillow knows dozens more (some rarely exercised); a user's digit is
# in one of these, and refusing the rest keeps odd parsers away from untrusted bytes.
FORMATS = ("PNG", "JPEG", "BMP", "GIF", "WEBP", "TIFF", "PPM")

# 40 megapixels covers every phone camera we know of in its default mode. Bigger images
# are refused before their pixels are decoded: the size is in the header.
MAX_PIXELS = 40_000_000

# A digit needs some pixels to be seen at all; below this on either side there is nothing
# to read (MNIST itself is 28x28).
MIN_SIDE = 8

# ITU-R 601 luma, the weights Pillow's own "L" conversion uses: green looks brightest.
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def describe(source, name=None):
    """A short name for error messages: the file name, or what the caller called it."""
    if name is not None:
        return str(name)
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return "image"


def open_image(source, name=None, max_pixels=MAX_PIXELS, min_side=MIN_SIDE):
    """Open ``source`` (a path, bytes, or a file object) with Pillow, pixels not yet decoded.

    Checks that it is a non-empty image in a format we read, no larger than
    ``max_pixels`` (default :data:`MAX_PIXELS`) and no smaller than ``min_side`` (default
    :data:`MIN_SIDE`) on a side. The size is the one the file's header declares: a huge picture is refused
    before a single pixel is decoded.
    """
    from PIL import Image, UnidentifiedImageError

    label = describe(source, name)
    if isinstance(source, (bytes, bytearray, memoryview)):
        if len(source) == 0:
            raise ImageError(f"{label}: empty file (0 bytes)")
        source = io.BytesIO(bytes(source))
    elif isinstance(source, (str, os.PathLike)):
        if not os.path.exists(source):
            raise ImageError(f"{label}: no such file")
        if os.path.isdir(source):
            raise ImageError(f"{label}: is a folder, not an image")
        if os.path.getsize(source) == 0:
            raise ImageError(f"{label}: empty file (0 bytes)")
    try:
        with quiet_pillow():
            image = Image.open(source, formats=FORMATS)
    except UnidentifiedImageError:
        raise ImageError(f"{label}: not an image glassnet can read "
                         f"(expected {', '.join(FORMATS[:-2])} or TIFF)") from None
    except Image.DecompressionBombError:
        raise ImageError(f"{label}: too many pixels to decode safely "
                         f"(more than {max_pixels:,}); make it smaller") from None
    except Exception as error:  # Pillow's header parsers raise many kinds (OSError, SyntaxError, struct.error, ...)
        raise ImageError(f"{label}: can't read the image ({_short(error)})") from None
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise ImageError(f"{label}: {width}x{height} is too large to decode safely "
                         f"(limit {max_pixels:,} pixels); resize it first")
    if min(width, height) < min_side:
        image.close()
        raise ImageError(f"{label}: {width}x{height} pixels is too small to hold a digit "
                         f"(need at least {min_side}x{min_side})")
    return image


def load_gray(source, name=None, max_pixels=MAX_PIXELS, max_side=None):
    """Any image (path, bytes, PIL image or array) -> float32 ``(H, W)`` in 0..1, white = 1.

    Args:
        source: a file path, the file's bytes, an open ``PIL.Image``, or a NumPy array
            (``(H, W)`` gray or ``(H, W, 3|4)`` color; uint8 in 0..255 or float in 0..1).
        name: what to call it in error messages (default: the path, or "image").
        max_pixels: refuse a file declaring more pixels than this, before decoding it.
        max_side: if given, a bigger picture is scaled down while it is decoded (a JPEG
            at a fraction of its size, others by whole-pixel averaging), until its longer
            side is at most about twice this: memory then follows ``max_side``, not the
            photo (a server uses this; the result is up to 2x ``max_side`` on a side).

    Raises:
        ImageError: one line naming the image: unreadable, empty, truncated, too big,
            too small.
    """
    label = describe(source, name)
    if isinstance(source, np.ndarray):
        return array_to_gray(source, label)
    from PIL import Image, ImageOps

    opened = None if isinstance(source, Image.Image) else open_image(source, name, max_pixels)
    image = source if opened is None else opened
    frames = getattr(image, "n_frames", 1)
    if frames > 1 and image.format != "MPO":     # (a phone's MPO JPEG holds a preview too: not news)
        warnings.warn(f"{label}: {frames} frames (an animation or a multi-page file); reading the first only",
                      stacklevel=2)
    try:
        with quiet_pillow():
            if max_side is not None:
                image = decode_small(image, max_side)
            image.load()                          # decode now, so truncation shows up here
            image = ImageOps.exif_transpose(image)  # the camera's "this way up"
        return pil_to_gray(image, label)
    except ImageError:
        raise
    except Image.DecompressionBombError:
        raise ImageError(f"{label}: too many pixels to decode safely") from None
    except Exception as error:  # Pillow's decoders raise many kinds (OSError, SyntaxError, struct.error, ...)
        raise ImageError(f"{label}: truncated or corrupt image ({_short(error)})") from None
    finally:
        if opened is not None:
            opened.close()   # the file, now rather than whenever the garbage collector runs


def decode_small(image, max_side):
    """Decode ``image`` no bigger than needed: longer side at most ``2 * max_side``.

    A JPEG decodes straight at 1/2, 1/4 or 1/8 of its size (``draft``), which is faster
    and never holds the full photo; any other image is decoded, then averaged over
    whole ``k x k`` blocks (``reduce``), which keeps every pixel's contribution.
    """
    width, height = image.size
    factor = reduction(image.size, max_side)
    if factor < 2:
        return image
    if image.format == "JPEG":
        image.draft(image.mode, (width // factor, height // factor))
    image.load()
    factor = reduction(image.size, max_side)
    if factor < 2:
        return image
    if image.mode.startswith("I;16"):
        image = image.convert("I")
    elif image.mode not in ("L", "LA", "RGB", "RGBA", "I", "F"):   # P, 1, CMYK, ...: no reduce
        has_alpha = "A" in image.mode or "transparency" in image.info
        image = image.convert("RGBA" if has_alpha else "RGB")
    return image.reduce(factor)


def reduction(size, max_side):
    """The whole factor to shrink ``size`` by: towards ``max_side`` on the longer side, never
    below :data:`MIN_SIDE` on the shorter."""
    return max(1, min(max(size) // max_side, min(size) // MIN_SIDE))


@contextlib.contextmanager
def quiet_pillow():
    """Silence Pillow's warnings while it reads a user's file: its decompression-bomb warning
    (we have our own, lower limit, checked before decoding) and its notes on damaged files
    ("Tag data larger than file"), which either still decode or end in an ImageError."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        warnings.simplefilter("ignore", UserWarning)
        yield


def _short(error):
    """An exception as a short phrase (Pillow's messages can quote whole headers)."""
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def pil_to_gray(image, label="image"):
    """A decoded PIL image in any mode -> float32 ``(H, W)`` in 0..1, white = 1."""
    mode = image.mode
    if mode.startswith("I;16") or mode == "I":
        # 16-bit scans. "I" is 32-bit signed, used by Pillow for 16-bit PNGs too: if
        # nothing exceeds 8 bits it was an 8-bit image stored wide.
        values = np.asarray(image, dtype=np.float32)
        top = 65535.0 if mode.startswith("I;16") or values.max() > 255 else 255.0
        return np.clip(values / top, 0, 1)
    if mode == "F":
        values = np.asarray(image, dtype=np.float32)
        values = values / 255.0 if values.max() > 1 else values
        return np.clip(np.nan_to_num(values), 0, 1)
    if mode == "P":
        # A palette may mark one colour transparent: expand it to RGBA to honour that.
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif mode not in ("L", "LA", "RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in mode else "RGB")  # 1, CMYK, YCbCr, LAB, ...
    return array_to_gray(np.asarray(image), label)


def array_to_gray(array, label="image"):
    """A NumPy image -> float32 ``(H, W)`` in 0..1, white = 1, transparency on paper.

    Input shapes: ``(H, W)``, ``(H, W, 1)``, ``(H, W, 2)`` (gray + alpha), ``(H, W, 3)``
    (RGB) or ``(H, W, 4)`` (RGBA). uint8 is 0..255; floats are taken as 0..1.
    """
    array = np.asarray(array)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (2, 3, 4)):
        raise ImageError(f"{label}: expected an (H, W) or (H, W, 3|4) image array, got shape {array.shape}")
    if array.dtype.kind not in "biuf":
        raise ImageError(f"{label}: expected numbers, got an array of dtype {array.dtype}")
    if min(array.shape[:2]) < MIN_SIDE:
        raise ImageError(f"{label}: {array.shape[1]}x{array.shape[0]} pixels is too small to hold a "
                         f"digit (need at least {MIN_SIDE}x{MIN_SIDE})")
    values = array.astype(np.float32)
    if array.dtype.kind in "biu":
        values /= 65535.0 if array.dtype.itemsize > 1 and values.max() > 255 else 255.0
    if not np.isfinite(values).all():
        raise ImageError(f"{label}: contains NaN or infinite values")
    values = np.clip(values, 0, 1)
    if values.ndim == 2:
        return values
    alpha = values[..., -1] if values.shape[2] in (2, 4) else None
    color = values[..., :3] @ LUMA if values.shape[2] >= 3 else values[..., 0]
    return flatten_alpha(color, alpha)


def flatten_alpha(gray, alpha):
    """Lay a transparent image on paper: ``gray * alpha + paper * (1 - alpha)``.

    The paper is white, so black strokes on a transparent background become black on
    white. One exception: when what is drawn is itself light (white strokes exported from
    a dark-mode app), white paper would make it vanish, so the paper is black instead.
    """
    if alpha is None:
        return gray.astype(np.float32, copy=False)
    weight = alpha.sum()
    drawn_is_light = weight > 0 and float((gray * alpha).sum() / weight) > 0.5
    paper = 0.0 if drawn_is_light else 1.0
    return (gray * alpha + paper * (1 - alpha)).astype(np.float32)
