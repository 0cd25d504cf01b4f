"""``tf.image``: TensorFlow's image functions that input pipelines and tutorials call, on
NumPy arrays of one image ``(H, W, C)`` or a batch ``(N, H, W, C)``::

    img = tf.image.decode_png(tf.io.read_file(path), channels=1)
    img = tf.image.convert_image_dtype(img, tf.float32)        # uint8 0..255 -> float 0..1
    img = tf.image.resize(img, [img_height, img_width])        # bilinear, float32
    img = tf.image.random_flip_left_right(img)

Resizing and the colour conversions are :mod:`glassnet.ops.image`'s (the same numbers as
TensorFlow's); the rest is slicing. Results answer ``.numpy()``. Random functions draw from
``seed=`` (a number), or from ``tf.random.set_seed``'s / ``keras.utils.set_random_seed``'s stream.
"""

import types

import numpy as np

from glassnet.engine.tensor import as_tensor
from glassnet.ops import image as _image
from glassnet.tf_io import decode_bmp, decode_gif, decode_image, decode_jpeg, decode_png, encode_png

ResizeMethod = types.SimpleNamespace(BILINEAR="bilinear", NEAREST_NEIGHBOR="nearest", BICUBIC="bicubic",
                                     AREA="area", LANCZOS3="lanczos3", LANCZOS5="lanczos5", GAUSSIAN="gaussian",
                                     MITCHELLCUBIC="mitchellcubic")


def _limits(dtype):
    info = np.iinfo(dtype)
    return info.min, info.max


def convert_image_dtype(image, dtype, saturate=False, name=None):
    """Pixels in another dtype, their range rescaled: integers run over their whole range
    (uint8: 0..255), floats over ``[0, 1]``. Float to integer multiplies by ``max + 0.5``
    and truncates, as TensorFlow does; ``saturate`` clips first."""
    image, dtype = np.asarray(image), np.dtype(dtype)
    if image.dtype == dtype:
        return as_tensor(image)
    if image.dtype.kind == "f" and dtype.kind == "f":
        return as_tensor(image.astype(dtype))
    if image.dtype.kind == "f":                                 # float [0, 1] -> integers
        low, high = _limits(dtype)
        scaled = image.astype(np.float64) * (high + 0.5)
        return as_tensor((np.clip(scaled, low, high) if saturate else scaled).astype(dtype))
    if image.dtype.kind not in "iub":
        raise ValueError(f"tf.image.convert_image_dtype: can't convert {image.dtype} images")
    high_in = _limits(image.dtype)[1] if image.dtype != bool else 1
    if dtype.kind == "f":                                       # integers -> float [0, 1]
        return as_tensor((image.astype(dtype) * (1.0 / high_in)).astype(dtype))
    high_out = _limits(dtype)[1]
    if high_out > high_in:                                      # widen: 255 -> 65535 * 255 / 255 ...
        return as_tensor(image.astype(dtype) * ((high_out + 1) // (high_in + 1)))
    return as_tensor((image // ((high_in + 1) // (high_out + 1))).astype(dtype))


def resize(images, size, method="bilinear", preserve_aspect_ratio=False, antialias=False, name=None):
    """Images resized to ``size = [height, width]`` (float32; ``nearest`` keeps the dtype).
    ``preserve_aspect_ratio``: the largest size within ``size`` of the image's own shape."""
    images = np.asarray(images)
    if method not in _image.INTERPOLATIONS:
        raise ValueError(f"tf.image.resize: glassnet resizes with {', '.join(_image.INTERPOLATIONS)}, "
                         f"not method={method!r}")
    height, width = (int(s) for s in np.asarray(size).reshape(-1))
    if preserve_aspect_ratio:
        h, w = images.shape[-3:-1]
        scale = min(height / h, width / w)
        height, width = int(np.round(scale * h)), int(np.round(scale * w))
    out = _image.resize(images, (height, width), interpolation=method, antialias=antialias)
    return as_tensor(out.astype(images.dtype if method == "nearest" else np.float32))


def flip_left_right(image):
    return as_tensor(np.flip(np.asarray(image), axis=-2))


def flip_up_down(image):
    return as_tensor(np.flip(np.asarray(image), axis=-3))


def rot90(image, k=1, name=None):
    """Turned ``k`` quarter turns counter-clockwise."""
    return as_tensor(np.rot90(np.asarray(image), k, axes=(-3, -2)))


def transpose(image, name=None):
    """Rows become columns: ``(H, W, C)`` -> ``(W, H, C)``."""
    return as_tensor(np.swapaxes(np.asarray(image), -3, -2))


def rgb_to_grayscale(images, name=None):
    images = np.asarray(images)
    grey = _image.rgb_to_grayscale(convert_image_dtype(images, np.float32))
    return convert_image_dtype(grey, images.dtype)


def grayscale_to_rgb(images, name=None):
    return as_tensor(np.repeat(np.asarray(images), 3, axis=-1))


def rgb_to_hsv(images, name=None):
    return as_tensor(_image.rgb_to_hsv(np.asarray(images)))


def hsv_to_rgb(images, name=None):
    return as_tensor(_image.hsv_to_rgb(np.asarray(images)))


def per_image_standardization(image):
    """Each image to mean 0 and variance 1: ``(x - mean) / max(std, 1 / sqrt(pixels))`` (float32)."""
    x = np.asarray(image, np.float32)
    mean = x.mean(axis=(-3, -2, -1), keepdims=True)
    std = np.maximum(x.std(axis=(-3, -2, -1), keepdims=True), 1 / np.sqrt(np.prod(x.shape[-3:])))
    return as_tensor(((x - mean) / std).astype(np.float32))


def adjust_brightness(image, delta):
    """``delta`` added to every pixel (in ``[0, 1]`` units for integer images)."""
    image = np.asarray(image)
    if image.dtype.kind == "f":
        return as_tensor(image + np.asarray(delta, image.dtype))
    return convert_image_dtype(convert_image_dtype(image, np.float32) + np.float32(delta), image.dtype, saturate=True)


def adjust_contrast(images, contrast_factor):
    """Each channel of each image: ``(x - mean) * contrast_factor + mean``."""
    images = np.asarray(images)
    x = convert_image_dtype(images, np.float32).view(np.ndarray)
    mean = x.mean(axis=(-3, -2), keepdims=True)
    return convert_image_dtype((x - mean) * np.float32(contrast_factor) + mean, images.dtype, saturate=True)


def adjust_gamma(image, gamma=1, gain=1):
    """``gain * x ** gamma`` on pixels in ``[0, 1]`` (integer images converted there and back)."""
    image = np.asarray(image)
    x = convert_image_dtype(image, np.float32).view(np.ndarray)
    return convert_image_dtype(np.float32(gain) * x ** np.float32(gamma), image.dtype, saturate=True)


def _in_hsv(image, change):
    """``change(hue, saturation)`` -> the new pair, done in HSV on RGB pixels in ``[0, 1]``."""
    image = np.asarray(image)
    hsv = _image.rgb_to_hsv(convert_image_dtype(image, np.float32).view(np.ndarray))
    hsv[..., 0], hsv[..., 1] = change(hsv[..., 0], hsv[..., 1])
    return convert_image_dtype(_image.hsv_to_rgb(hsv), image.dtype, saturate=True)


def adjust_saturation(image, saturation_factor, name=None):
    """The saturation (HSV's S) times ``saturation_factor``, kept within ``[0, 1]``."""
    return _in_hsv(image, lambda h, s: (h, np.clip(s * np.float32(saturation_factor), 0, 1)))


def adjust_hue(image, delta, name=None):
    """The hue turned by ``delta`` (a fraction of the colour circle, in ``[-1, 1]``)."""
    return _in_hsv(image, lambda h, s: ((h + np.float32(delta)) % 1.0, s))


def psnr(a, b, max_val, name=None):
    """Peak signal-to-noise ratio of each image pair, in decibels: ``20 log10(max_val) -
    10 log10(mean((a - b)**2))`` over each image's pixels and channels."""
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    mse = np.mean(np.square(a - b), axis=(-3, -2, -1))
    return as_tensor((20 * np.log10(np.float32(max_val)) - 10 * np.log10(mse)).astype(np.float32))


def _draw(seed):
    from glassnet.tf_functions import _random
    return _random(seed)


def random_brightness(image, max_delta, seed=None):
    if max_delta < 0:
        raise ValueError(f"tf.image.random_brightness: max_delta must be non-negative, got {max_delta}")
    return adjust_brightness(image, _draw(seed).uniform(-max_delta, max_delta))


def random_contrast(image, lower, upper, seed=None):
    if not 0 <= lower < upper:
        raise ValueError(f"tf.image.random_contrast: needs 0 <= lower < upper, got {lower}, {upper}")
    return adjust_contrast(image, _draw(seed).uniform(lower, upper))


def random_saturation(image, lower, upper, seed=None):
    if not 0 <= lower < upper:
        raise ValueError(f"tf.image.random_saturation: needs 0 <= lower < upper, got {lower}, {upper}")
    return adjust_saturation(image, _draw(seed).uniform(lower, upper))


def random_hue(image, max_delta, seed=None):
    if not 0 <= max_delta <= 0.5:
        raise ValueError(f"tf.image.random_hue: max_delta must be in [0, 0.5], got {max_delta}")
    return adjust_hue(image, _draw(seed).uniform(-max_delta, max_delta))


def random_crop(value, size, seed=None, name=None):
    """A window of shape ``size`` (one number per axis of ``value``) at a random place."""
    value = np.asarray(value)
    size = tuple(int(s) for s in np.asarray(size).reshape(-1))
    if len(size) != value.ndim or any(s > d for s, d in zip(size, value.shape)):
        raise ValueError(f"tf.image.random_crop: size {size} must give each of the {value.ndim} axes of a "
                         f"{value.shape} array a length no larger than its own")
    starts = [int(_draw(seed).integers(0, d - s + 1)) if d > s else 0 for s, d in zip(size, value.shape)]
    return as_tensor(value[tuple(slice(start, start + s) for start, s in zip(starts, size))])


def _random_flip(image, seed, axis):
    """Each image flipped along ``axis`` with probability 1/2 (a batch: each on its own)."""
    image = np.asarray(image)
    if image.ndim == 3:
        return as_tensor(np.flip(image, axis) if _draw(seed).random() < 0.5 else image)
    flips = _draw(seed).random(len(image)) < 0.5
    return as_tensor(np.where(flips[:, None, None, None], np.flip(image, axis), image))


def random_flip_left_right(image, seed=None):
    return _random_flip(image, seed, -2)


def random_flip_up_down(image, seed=None):
    return _random_flip(image, seed, -3)


def crop_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    image = np.asarray(image)
    h, w = image.shape[-3:-1]
    if offset_height + target_height > h or offset_width + target_width > w or min(offset_height, offset_width) < 0:
        raise ValueError(f"tf.image.crop_to_bounding_box: the box ({offset_height}, {offset_width}, {target_height}, "
                         f"{target_width}) is not inside the {h}x{w} image")
    return as_tensor(image[..., offset_height:offset_height + target_height,
                           offset_width:offset_width + target_width, :])


def pad_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    image = np.asarray(image)
    h, w = image.shape[-3:-1]
    after_h, after_w = target_height - offset_height - h, target_width - offset_width - w
    if min(offset_height, offset_width, after_h, after_w) < 0:
        raise ValueError(f"tf.image.pad_to_bounding_box: a {h}x{w} image at ({offset_height}, {offset_width}) "
                         f"doesn't fit in {target_height}x{target_width}")
    pads = [(0, 0)] * (image.ndim - 3) + [(offset_height, after_h), (offset_width, after_w), (0, 0)]
    return as_tensor(np.pad(image, pads))


def central_crop(image, central_fraction):
    """The centre ``central_fraction`` of each side (as TensorFlow rounds: the margin truncated)."""
    if not 0 < central_fraction <= 1:
        raise ValueError("central_fraction must be within (0, 1]")
    image = np.asarray(image)
    h, w = image.shape[-3:-1]
    top, left = int((h - h * central_fraction) / 2), int((w - w * central_fraction) / 2)
    return crop_to_bounding_box(image, top, left, h - 2 * top, w - 2 * left)


def resize_with_crop_or_pad(image, target_height, target_width):
    """Cropped (centred) where the image is larger than the target, zero-padded (centred) where smaller."""
    image = np.asarray(image)
    h, w = image.shape[-3:-1]
    cropped = crop_to_bounding_box(image, max((h - target_height) // 2, 0), max((w - target_width) // 2, 0),
                                   min(target_height, h), min(target_width, w))
    return pad_to_bounding_box(cropped, max(target_height - h, 0) // 2, max(target_width - w, 0) // 2,
                               target_height, target_width)


def resize_with_pad(image, target_height, target_width, method="bilinear", antialias=False):
    """Resized to fit inside the target with its aspect ratio kept, then zero-padded (centred) to it."""
    h, w = np.shape(image)[-3:-1]
    ratio = max(w / target_width, h / target_height)
    new_h, new_w = int(np.floor(h / ratio)), int(np.floor(w / ratio))
    top = max(0, int(np.floor((target_height - h / ratio) / 2)))
    left = max(0, int(np.floor((target_width - w / ratio) / 2)))
    resized = resize(image, (new_h, new_w), method=method, antialias=antialias)
    return pad_to_bounding_box(resized, top, left, target_height, target_width)


def extract_patches(images, sizes, strides, rates, padding, name=None):
    """TensorFlow's form of ``ops.image.extract_patches``: ``sizes``, ``strides`` and
    ``rates`` as ``[1, rows, cols, 1]``, padding ``"VALID"`` or ``"SAME"``."""
    images = np.asarray(images)
    patches = _image.extract_patches(images, tuple(sizes[1:3]), tuple(strides[1:3]), tuple(rates[1:3]),
                                     str(padding).lower())
    return as_tensor(patches.astype(images.dtype))


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"glassnet's tf.image has no {name!r}; it has {', '.join(sorted(__all__))}")


__all__ = ["ResizeMethod", "adjust_brightness", "adjust_contrast", "adjust_gamma", "adjust_hue", "adjust_saturation",
           "psnr", "random_crop", "random_hue", "random_saturation", "central_crop", "convert_image_dtype",
           "crop_to_bounding_box", "decode_bmp", "decode_gif", "decode_image", "decode_jpeg", "decode_png",
           "encode_png", "extract_patches", "flip_left_right", "flip_up_down", "grayscale_to_rgb", "hsv_to_rgb",
           "pad_to_bounding_box", "per_image_standardization", "random_brightness", "random_contrast",
           "random_flip_left_right", "random_flip_up_down", "resize", "resize_with_crop_or_pad", "resize_with_pad",
           "rgb_to_grayscale", "rgb_to_hsv", "rot90", "transpose"]
