"""What Keras 3's image-augmentation layers share (RandomInvert, Solarization, RandomErasing,
MixUp, RandAugment, ...): how they are called, their factors, and the pixels' value range.

Called on their own, as Keras's are (``keras.layers.RandomInvert()(images)``, or inside
``dataset.map(...)``), they augment: Keras's ``call(data, training=True)``. Inside a model
they act only when ``training=True`` (in ``fit``) and let images through in ``predict`` (a
few, such as ``AutoContrast``, act in both, as in Keras). They take

* a batch ``(N, H, W, C)`` (or ``(N, H, W)`` grey images inside a model),
* one image ``(H, W, C)``, called on its own (Keras's "unbatched" images),
* a dict ``{"images": ..., "labels": ...}``: the images are augmented, and the labels too
  where the layer mixes images (``MixUp``, ``CutMix``).

Colour layers compute in a 0-255 scale: ``value_range=(low, high)`` says what the pixels'
range is (``(0, 1)`` after ``Rescaling(1 / 255)``), and ``to_255`` / ``from_255`` map it.
"""

import copy

import numpy as np

from glassnet.engine.layers.base import Layer
from glassnet.engine.layers.preprocessing import require_images

GRAY_WEIGHTS = np.array([0.2989, 0.5870, 0.1140])   # Keras's (and tf.image's) rgb_to_grayscale


def keras_factor(value, bounds, owner, name="factor"):
    """Keras's ``(lower, upper)`` from one number or a pair: a number ``f`` means
    ``(max(-f, bounds[0]), f)``, a pair is sorted."""
    message = (f"{owner}: {name} must be a number or a pair of numbers in [{bounds[0]}, {bounds[1]}], "
               f"got {value!r}")
    if isinstance(value, (list, tuple)):
        if len(value) != 2 or value[0] > bounds[1] or value[1] < bounds[0]:
            raise ValueError(message)
        return tuple(sorted(value))
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not bounds[0] <= value <= bounds[1]:
        raise ValueError(message)
    return (max(-abs(value), bounds[0]), abs(value))


def checked_range(value_range, owner):
    """``value_range`` as Keras keeps it: two numbers, low first."""
    if not isinstance(value_range, (list, tuple)) or len(value_range) != 2:
        raise ValueError(f"{owner}: value_range must be (low, high), got {value_range!r}")
    return sorted(value_range)


def to_255(x, value_range):
    """Pixels in ``value_range`` -> the same pixels in 0..255."""
    low, high = value_range
    return x if (low, high) == (0, 255) else (x - low) * (255.0 / (high - low))


def from_255(x, value_range):
    """The inverse of :func:`to_255`."""
    low, high = value_range
    return x if (low, high) == (0, 255) else x * ((high - low) / 255.0) + low


def grayscale(images):
    """``(N, H, W, C)`` -> ``(N, H, W, 1)``: Keras's ``rgb_to_grayscale`` (a grey image as it is)."""
    if images.shape[-1] == 1:
        return images
    if images.shape[-1] != 3:
        raise ValueError(f"grayscale needs 1 or 3 channels, got images of shape {images.shape}")
    return (images @ GRAY_WEIGHTS.astype(images.dtype))[..., np.newaxis]


def grayscale_transpose(g, channels):
    """The gradient through :func:`grayscale` of ``channels``-channel images, from the grey
    image's ``g`` ``(N, H, W, 1)``: each channel gets its weight's share."""
    return g if channels == 1 else g * GRAY_WEIGHTS.astype(g.dtype)


def chosen(draws, n, probability):
    """``(N, 1, 1, 1)`` booleans: which images a layer changes. As Keras draws it: each image
    draws a chance ``p ~ U(probability)`` and is changed when a uniform number falls below."""
    low, high = probability
    p = draws.uniform(low, high, n)
    return (draws.random(n) < p)[:, np.newaxis, np.newaxis, np.newaxis]


def run_forward(chain, images, draws):
    """``images`` through the layers of ``chain`` in turn, in training, each drawing from
    ``draws`` (its owner's generator) and taking any image size, as its owner does.

    Returns the images and the layers as they ran: a copy of each, so that a layer picked
    twice keeps what each of its passes needs for backward (:func:`run_backward`)."""
    ran = []
    for layer in chain:
        layer = copy.copy(layer)
        layer.rng, layer.input_shape = draws, images.shape[1:]
        images = layer.forward(images, training=True)
        ran.append(layer)
    return images, ran


def run_backward(ran, dy):
    """The gradient back through the layers :func:`run_forward` ran, last first."""
    for layer in reversed(ran):
        layer.needs_input_grad = True
        dy = layer.backward(dy)
    return dy


class ImageAugmentation(Layer):
    """The base of the Keras-3 augmentation layers: the calls above, training-only by
    default, images seen as ``(N, H, W, C)``.

    A subclass gives ``augment(images)`` (``(N, H, W, C)`` in, the same shape out, drawing
    from ``self.draws``) and, for the gradient, ``augment_backward(dy)``.
    """

    abstract = True
    augments_by_default = True     # alone or in model(x), as Keras: call(inputs, training=True)
    in_inference = False   # AutoContrast: True (Keras applies it in predict too)
    seeded = True          # whether Keras's config has a "seed" key

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{type(self).__name__}: only data_format='channels_last' is supported, "
                             f"got {data_format!r}")
        self.seed_with(seed)
        self.applied = False

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        require_images(self)

    def __call__(self, inputs=None, training=None, mask=None, **tensors):
        from glassnet.engine import recording, symbolic
        if symbolic.is_symbolic(inputs) or recording.is_value(inputs) or recording.recording_now() or tensors:
            return super().__call__(inputs, training, mask, **tensors)
        training = True if training is None else training        # Keras: call(data, training=True)
        if isinstance(inputs, dict):
            return self.call_on_dict(inputs, training)
        if np.ndim(inputs) == 3 and not (self.built and len(self.input_shape) == 2):   # one (H, W, C) image
            return super().__call__(np.asarray(inputs)[np.newaxis], training, mask)[0]
        return super().__call__(inputs, training, mask)

    def call_on_dict(self, data, training):
        """Keras's ``{"images": ..., "labels": ...}``: the images augmented; the labels as
        :meth:`transform_labels` says (unchanged, except where images are mixed)."""
        if "images" not in data:
            raise ValueError(f"{type(self).__name__}: a dict input needs an 'images' key, got {sorted(data)}")
        out = dict(data)
        out["images"] = self(data["images"], training=training)
        if "labels" in data and self.applied and np.ndim(data["images"]) != 3:   # one image: its own labels
            out["labels"] = self.transform_labels(np.asarray(data["labels"]))
        return out

    def transform_labels(self, labels):
        return labels

    def check_input(self, x):
        """Any images, as Keras's augmentation layers take them (a batch of another size than
        the first, another channel count): only the rank must fit."""
        if self.built and x.ndim != len(self.input_shape) + 1:
            super().check_input(x)

    def forward(self, x, training=False):
        self.check_input(x)
        self.applied = bool(training) or self.in_inference
        if not self.applied:
            return x
        y = self.augment(x.reshape(x.shape[:3] + (-1,)))             # (N, H, W, C)
        return y.astype(x.dtype, copy=False).reshape(x.shape)

    def augment(self, images):
        raise NotImplementedError

    def backward(self, dy):
        if not self.needs_input_grad:
            return None
        if not self.applied:
            return dy
        return self.augment_backward(dy.reshape(dy.shape[:3] + (-1,))).astype(dy.dtype, copy=False).reshape(dy.shape)

    def augment_backward(self, dy):
        raise NotImplementedError(f"{type(self).__name__} passes no gradient back")

    def get_config(self):
        config = {**super().get_config(), "data_format": "channels_last"}
        return {**config, "seed": self.seed} if self.seeded else config


__all__ = ["ImageAugmentation", "chosen", "checked_range", "from_255", "grayscale", "grayscale_transpose",
           "keras_factor", "run_backward", "run_forward", "to_255"]
