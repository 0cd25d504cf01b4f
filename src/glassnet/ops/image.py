"""``keras.ops.image``: Keras 3's image functions, on NumPy arrays ``(N, H, W, C)`` or ``(H, W, C)``.

Resizing is two matrix products, one per axis: output row ``i`` is a weighted sum of input
rows, ``y = R_h @ x @ R_w^T`` (per image and channel), with ``R`` the interpolation's
weights (:func:`resize_weights`). Patches are a convolution with an identity kernel, as in
Keras. Both are recorded NumPy (products, transposes, a convolution), so inside a custom
layer's ``call()`` (keras.io's Vision Transformer's ``Patches``) the gradient flows back
through them.
"""

import numpy as np

from glassnet.engine.autodiff import Value, data_of, lift, record
from glassnet.ops.nn import _channels_last, conv, depthwise_conv

INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5")


def _keys_cubic(t):
    """Keys' cubic kernel with ``a = -0.5`` (TensorFlow's bicubic), zero beyond 2."""
    t = np.abs(t)
    return np.where(t <= 1, (1.5 * t - 2.5) * t * t + 1,
                    np.where(t < 2, ((-0.5 * t + 2.5) * t - 4) * t + 2, 0.0))


def _lanczos(radius):
    return lambda t: np.where(np.abs(t) < radius, np.sinc(t) * np.sinc(t / radius), 0.0)


KERNELS = {"bilinear": (lambda t: np.maximum(0.0, 1 - np.abs(t)), 1), "bicubic": (_keys_cubic, 2),
           "lanczos3": (_lanczos(3), 3), "lanczos5": (_lanczos(5), 5)}


def resize_weights(size, new_size, interpolation="bilinear", antialias=False):
    """``(new_size, size)``: how much output ``i`` takes from each input position.

    Output ``i``'s centre falls at input coordinate ``(i + 0.5) * size / new_size - 0.5``
    (pixel centres, TensorFlow's ``half_pixel_centers``). Bilinear and bicubic take their
    neighbours there, bilinear clamped at the edges; ``nearest`` the one whose cell holds the
    centre. With ``antialias`` a shrinking kernel is widened by the shrink factor, so every
    input pixel counts (TensorFlow's ``scale_and_translate``); there, and for bicubic and
    lanczos, each row of weights is renormalised over the pixels inside the image.
    """
    scale = size / new_size
    out = np.arange(new_size)
    weights = np.zeros((new_size, size))
    if interpolation == "nearest":
        weights[out, np.minimum(np.floor((out + 0.5) * scale).astype(int), size - 1)] = 1.0
        return weights
    kernel, radius = KERNELS[interpolation]
    centre = (out + 0.5) * scale - 0.5
    if interpolation == "bicubic" and not antialias:      # TensorFlow reads a table of 1024 steps
        centre = np.floor(centre) + np.rint((centre - np.floor(centre)) * 1024) / 1024
    if antialias or interpolation != "bilinear":
        width = max(scale, 1.0) if antialias else 1.0
        weights = kernel((np.arange(size)[None, :] - centre[:, None]) / width)
        total = weights.sum(axis=1, keepdims=True)
        return weights / np.where(total == 0, 1, total)
    first = np.floor(centre).astype(int)
    for tap in range(1 - radius, radius + 1):                 # neighbours, clamped to the image
        at = first + tap
        np.add.at(weights, (out, np.clip(at, 0, size - 1)), kernel(at - centre))
    return weights


def _batched(images, what):
    """``(images as (N, H, W, C), undo)``: a single image gets a batch axis, given back after."""
    ndim = np.ndim(data_of(images))
    if ndim == 3:
        return np.expand_dims(images, 0), (lambda y: np.squeeze(y, 0))
    if ndim != 4:
        raise ValueError(f"ops.image.{what}: expected an image (H, W, C) or a batch (N, H, W, C), "
                         f"got shape {np.shape(data_of(images))}")
    return images, (lambda y: y)


def _resize_axes(x, rows, cols):
    """``rows @ x @ cols^T`` over the height and width of ``(N, H, W, C)`` images."""
    dtype = data_of(x).dtype if data_of(x).dtype.kind == "f" else np.float32
    x = np.moveaxis(x if data_of(x).dtype.kind == "f" else np.asarray(x, np.float32), -1, 1)   # (N, C, H, W)
    y = np.matmul(np.matmul(rows.astype(dtype), x), cols.T.astype(dtype))
    return np.moveaxis(y, 1, -1)


def resize(images, size, interpolation="bilinear", antialias=False, crop_to_aspect_ratio=False,
           pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, data_format=None):
    """Images resized to ``size = (height, width)``, as TensorFlow's ``tf.image.resize``.

    ``crop_to_aspect_ratio``: first the largest centred window of the new aspect ratio;
    ``pad_to_aspect_ratio``: first pad (with ``fill_value``) to it instead.
    """
    from glassnet.engine.layers.resizing import aspect_window
    _channels_last(data_format, "image.resize")
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"ops.image.resize: glassnet interpolates with {', '.join(INTERPOLATIONS)}, "
                         f"got interpolation={interpolation!r}")
    if fill_mode != "constant" or (crop_to_aspect_ratio and pad_to_aspect_ratio):
        raise ValueError("ops.image.resize: fill_mode must be 'constant', and only one of crop_to_aspect_ratio "
                         "and pad_to_aspect_ratio may be set")
    if len(size) != 2:
        raise ValueError(f"ops.image.resize: size must be (height, width), got {size!r}")
    x, undo = _batched(images, "resize")
    (h, w), (new_h, new_w) = np.shape(data_of(x))[1:3], (int(size[0]), int(size[1]))
    if crop_to_aspect_ratio:
        top, left, h, w = aspect_window(h, w, new_h, new_w)
        x = x[:, top:top + h, left:left + w]
    elif pad_to_aspect_ratio:
        # As Keras: the same margin on both sides (an odd one's extra row is left out).
        top, left = (max(h, int(w * new_h / new_w)) - h) // 2, (max(w, int(h * new_w / new_h)) - w) // 2
        x = pad_images(x, top, left, top, left, fill_value=fill_value)
        h, w = h + 2 * top, w + 2 * left
    rows = resize_weights(h, new_h, interpolation, antialias)
    cols = resize_weights(w, new_w, interpolation, antialias)
    return undo(_resize_axes(x, rows, cols))


def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid", data_format=None):
    """``(N, H, W, C)`` -> ``(N, OH, OW, PH * PW * C)``: each ``size`` patch flattened (row,
    column, channel), patches ``strides`` apart (default: ``size``, side by side)."""
    _channels_last(data_format, "image.extract_patches")
    if not isinstance(size, int) and len(size) != 2:
        raise ValueError(f"ops.image.extract_patches: glassnet cuts 2-D patches, size=(rows, cols); got size={size!r} "
                         f"(3-D patches of volumes are not supported)")
    patch_h, patch_w = (size, size) if isinstance(size, int) else tuple(size)
    x, undo = _batched(images, "extract_patches")
    channels = np.shape(data_of(x))[-1]
    depth = patch_h * patch_w * channels
    eye = np.eye(depth, dtype=data_of(x).dtype).reshape(patch_h, patch_w, channels, depth)
    return undo(conv(x, eye, strides=strides or (patch_h, patch_w), padding=padding, dilation_rate=dilation_rate))


def _box(height, width, before_h, before_w, after_h, after_w, target_h, target_w, what):
    """Keras's padding/cropping arguments as ``(top, left, bottom, right)``: two of each
    axis's before, after and target size given."""
    def axis(before, after, target, size, name):
        if target is not None and before is not None and after is None:
            after = (target - size - before) if what == "pad" else (size - target - before)
        elif target is not None and after is not None and before is None:
            before = (target - size - after) if what == "pad" else (size - target - after)
        elif before is None or after is None or target is not None:
            raise ValueError(f"ops.image.{what}_images: give exactly two of the {name}'s before, after and "
                             f"target sizes")
        if before < 0 or after < 0:
            raise ValueError(f"ops.image.{what}_images: {size} pixels of {name} can't become {target} that way "
                             f"(a negative margin: {before} before, {after} after)")
        return before, after
    top, bottom = axis(before_h, after_h, target_h, height, "height")
    left, right = axis(before_w, after_w, target_w, width, "width")
    return top, left, bottom, right


def pad_images(images, top_padding=None, left_padding=None, bottom_padding=None, right_padding=None,
               target_height=None, target_width=None, data_format=None, fill_value=0.0):
    """Zeros (``fill_value``) around the images: ``top_padding`` rows above and so on; of
    each axis give two of before, after and the target size."""
    _channels_last(data_format, "image.pad_images")
    x, undo = _batched(images, "pad_images")
    h, w = np.shape(data_of(x))[1:3]
    top, left, bottom, right = _box(h, w, top_padding, left_padding, bottom_padding, right_padding,
                                    target_height, target_width, "pad")
    n, c = np.shape(data_of(x))[0], np.shape(data_of(x))[3]
    dtype = data_of(x).dtype
    rows = np.concatenate([np.full((n, top, w, c), fill_value, dtype), x, np.full((n, bottom, w, c), fill_value, dtype)],
                          axis=1)
    pieces = [np.full((n, h + top + bottom, left, c), fill_value, dtype), rows,
              np.full((n, h + top + bottom, right, c), fill_value, dtype)]
    return undo(np.concatenate(pieces, axis=2))


def crop_images(images, top_cropping=None, left_cropping=None, bottom_cropping=None, right_cropping=None,
                target_height=None, target_width=None, data_format=None):
    """The images without ``top_cropping`` rows at the top and so on; of each axis give two
    of before, after and the target size."""
    _channels_last(data_format, "image.crop_images")
    x, undo = _batched(images, "crop_images")
    h, w = np.shape(data_of(x))[1:3]
    top, left, bottom, right = _box(h, w, top_cropping, left_cropping, bottom_cropping, right_cropping,
                                    target_height, target_width, "crop")
    return undo(x[:, top:h - bottom, left:w - right])


def rgb_to_grayscale(images, data_format=None):
    """``0.2989 R + 0.587 G + 0.114 B`` (TensorFlow's weights), one channel; grey stays as it is."""
    _channels_last(data_format, "image.rgb_to_grayscale")
    channels = np.shape(data_of(images))[-1]
    if channels == 1:
        return images
    if channels != 3:
        raise ValueError(f"ops.image.rgb_to_grayscale: expected 1 or 3 channels, got {channels}")
    dtype = data_of(images).dtype
    weights = np.array([0.2989, 0.5870, 0.1140], dtype if dtype.kind == "f" else np.float32)
    grey = np.sum(images * weights, axis=-1, keepdims=True)
    return grey if dtype.kind == "f" else np.asarray(grey).astype(dtype)


def rgb_to_hsv(images, data_format=None):
    """Hue, saturation and value, each in ``[0, 1]`` (hue 0 red, 1/3 green, 2/3 blue), for float RGB in ``[0, 1]``."""
    _channels_last(data_format, "image.rgb_to_hsv")
    rgb = np.asarray(data_of(images))
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    value = rgb.max(axis=-1)
    spread = value - rgb.min(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        saturation = np.where(value > 0, spread / value, 0)
        safe = np.where(spread > 0, spread, 1)
        hue = np.where(value == r, (g - b) / safe, np.where(value == g, 2 + (b - r) / safe, 4 + (r - g) / safe))
    hue = np.where(spread > 0, (hue / 6) % 1.0, 0)
    return np.stack([hue, saturation, value], axis=-1).astype(rgb.dtype)


def hsv_to_rgb(images, data_format=None):
    """The inverse of :func:`rgb_to_hsv`."""
    _channels_last(data_format, "image.hsv_to_rgb")
    hsv = np.asarray(data_of(images))
    h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    # Each channel: v - v*s*clip(|((6h + k) mod 6) - 3| - 1, 0, 1) ... written as TensorFlow does.
    channels = [v * (1 - s * np.clip(2 - np.abs((6 * h + k) % 6 - 3), 0, 1)) for k in (0, 4, 2)]
    return np.stack(channels, axis=-1).astype(hsv.dtype)


def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """Each channel convolved with a normalised Gaussian of ``kernel_size`` and ``sigma``,
    zeros around the image ("same" padding), as Keras's (which builds its kernel as the
    outer product of the width's bell and the height's, laid out as ``kernel_size``)."""
    _channels_last(data_format, "image.gaussian_blur")
    x, undo = _batched(images, "gaussian_blur")

    def bell(size, s):
        t = np.arange(size) - (size - 1) / 2
        k = np.exp(-t * t / (2 * s * s))
        return k / k.sum()
    kernel = np.outer(bell(kernel_size[1], sigma[1]), bell(kernel_size[0], sigma[0])).reshape(tuple(kernel_size))
    channels = np.shape(data_of(x))[-1]
    kernel = np.tile(kernel[:, :, None, None], (1, 1, channels, 1)).astype(data_of(x).dtype)
    return undo(depthwise_conv(x, kernel, padding="same"))


def _not_in_glassnet(name):
    def refuse(*args, **kwargs):
        raise NotImplementedError(f"ops.image.{name} is not part of glassnet yet")
    refuse.__name__ = name
    return refuse


def affine_transform(images, transform, interpolation="bilinear", fill_mode="constant", fill_value=0,
                     data_format=None):
    """Each image read through its map ``transform = [a0, a1, a2, b0, b1, b2, c0, c1]`` (one,
    or ``(N, 8)``): output pixel ``(x, y)`` (column, row) reads the input at
    ``(a0 x + a1 y + a2, b0 x + b1 y + b2)``, as the random image layers do (their
    :class:`~glassnet.datasets.augment.Resampler`, whose transpose is the gradient). Only
    affine maps: ``c0 = c1 = 0``. ``nearest`` rounds a point exactly halfway up (TensorFlow:
    away from zero)."""
    from glassnet.datasets.augment import FILL_MODES, Resampler, affine_points
    _channels_last(data_format, "image.affine_transform")
    if interpolation not in ("bilinear", "nearest") or fill_mode not in set(FILL_MODES) - {"wrap"}:
        raise ValueError(f"ops.image.affine_transform: interpolation is 'bilinear' or 'nearest' and fill_mode "
                         f"'constant', 'nearest' or 'reflect' (TensorFlow reads 'wrap' its own way at the edges), "
                         f"got {interpolation!r} and {fill_mode!r}")
    x, undo = _batched(images, "affine_transform")
    n, height, width = np.shape(data_of(x))[:3]
    t = np.broadcast_to(np.asarray(data_of(transform), np.float64).reshape(-1, 8), (n, 8))
    if np.any(t[:, 6:]):
        raise ValueError("ops.image.affine_transform: glassnet maps images by affine transforms only (c0 = c1 = 0); "
                         "projective ones are not supported")
    # Keras's (x, y) map as a (row, col) one: row_in = b1 row + b0 col + b2, col_in = a1 row + a0 col + a2.
    matrices = np.stack([np.stack([t[:, 4], t[:, 3]], -1), np.stack([t[:, 1], t[:, 0]], -1)], -2)
    rows, cols = affine_points(matrices, np.stack([t[:, 5], t[:, 2]], -1), height, width)
    resampler = Resampler(rows, cols, height, width, fill_mode, interpolation)
    value = lift(x)
    out = resampler(value.data, fill_value)
    if not isinstance(x, Value):
        return undo(out)
    return undo(record(out, (value,), lambda g: (resampler.transpose(np.asarray(g)),)))


def _fold_back(index, size, fill_mode):
    """Indices outside ``0..size-1`` brought in as ``fill_mode`` extends the array: ``(index, inside)``."""
    if fill_mode == "constant":
        return np.clip(index, 0, size - 1), (index >= 0) & (index < size)
    if fill_mode == "nearest":
        return np.clip(index, 0, size - 1), True
    if fill_mode == "wrap":
        return index % size, True
    mod = np.abs(index) % (2 * size)                      # mirror: ... 2 1 | 0 1 2 | 1 0 ...
    folded = np.where(mod < size, mod, 2 * size - mod)
    if fill_mode == "reflect":                            # reflect: ... 1 0 | 0 1 2 | 2 1 ...
        folded = np.where(mod < size, folded, folded - 1)
    return np.clip(folded, 0, size - 1), True          # (Keras's mirror would read index ``size`` itself)


def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0):
    """``inputs`` read at fractional points: ``coordinates`` ``(inputs.ndim, ...)``, one
    coordinate array per axis; ``order`` 0 takes the nearest entry (halves to even), 1
    interpolates linearly between the two neighbours on every axis (``2**ndim`` reads, their
    weights multiplied). Outside the array, ``fill_mode``: ``"constant"`` (``fill_value``),
    ``"nearest"``, ``"wrap"``, ``"mirror"`` or ``"reflect"``. Recorded in a call() (the
    gradient goes back to ``inputs``; the coordinates get none)."""
    import itertools
    points = np.asarray(data_of(coordinates), np.float64)
    shape = np.shape(data_of(inputs))
    if points.ndim < 2 or len(points) != len(shape):
        raise ValueError(f"ops.image.map_coordinates: coordinates must be (inputs.ndim, ...) = ({len(shape)}, ...), "
                         f"got shape {points.shape}")
    if order not in (0, 1) or fill_mode not in ("constant", "nearest", "wrap", "mirror", "reflect"):
        raise ValueError(f"ops.image.map_coordinates: order 0 or 1, fill_mode constant, nearest, wrap, mirror or "
                         f"reflect; got {order!r}, {fill_mode!r}")
    per_axis = []                              # each axis: [(index, inside, weight), ...]
    for point, size in zip(points, shape):
        low = np.rint(point) if order == 0 else np.floor(point)
        nodes = [(low, 1.0)] if order == 0 else [(low, 1 - (point - low)), (low + 1, point - low)]
        per_axis.append([(*_fold_back(index.astype(np.intp), size, fill_mode), weight) for index, weight in nodes])
    dtype = data_of(inputs).dtype
    total = 0
    for reads in itertools.product(*per_axis):
        indices, insides, weights = zip(*reads)
        inside = np.logical_and.reduce([np.broadcast_to(i, points.shape[1:]) for i in insides])
        weight = np.prod(np.broadcast_arrays(*weights), axis=0).astype(dtype if dtype.kind == "f" else np.float32)
        total = total + np.where(inside, inputs[indices], np.asarray(fill_value, weight.dtype)) * weight
    if dtype.kind != "f":
        return np.rint(total).astype(dtype)
    return total
perspective_transform = _not_in_glassnet("perspective_transform")
elastic_transform = _not_in_glassnet("elastic_transform")


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"glassnet's ops.image has no {name!r}; it has {', '.join(__all__)}")


__all__ = ["affine_transform", "crop_images", "extract_patches", "gaussian_blur", "hsv_to_rgb", "pad_images", "resize",
           "map_coordinates", "rgb_to_grayscale", "rgb_to_hsv"]
