"""Keras 3's layers that mix images, or run other layers: MixUp, CutMix, RandAugment and
Pipeline.

MixUp and CutMix pair each image of a batch with another of the same batch (a random
permutation ``p``) and mix the two, labels too when they are given as Keras gives them,
``layer({"images": x, "labels": y})`` (one-hot labels, in a ``dataset.map``)::

    MixUp    x_i = w_i x_i + (1 - w_i) x_p(i)       y_i = w_i y_i + (1 - w_i) y_p(i)     w_i ~ Beta(alpha, alpha)
    CutMix   x_i = x_p(i) inside a box, else x_i   y_i = w_i y_i + (1 - w_i) y_p(i)     w_i = 1 - box area / image area

Both are linear in the images: each image's gradient is its own share plus the shares of the
images it was mixed into.

RandAugment applies ``num_ops`` layers picked at random (the same for the whole batch, as
Keras picks them) from eleven; Pipeline runs a list of layers one after the other, as a layer.
"""

import numpy as np

from glassnet.engine.layers.base import Layer
from glassnet.engine.layers.image_augmentation import (ImageAugmentation, checked_range, keras_factor, run_backward,
                                                       run_forward)
from glassnet.engine.layers.image_filters import RandomSharpness, box_mask, random_boxes
from glassnet.engine.layers.image_pixels import (AutoContrast, Equalization, RandomColorDegeneration,
                                                 RandomPosterization, Solarization)
from glassnet.engine.layers.image_warps import RandomShear
from glassnet.engine.layers.preprocessing import RandomRotation, RandomTranslation
from glassnet.engine.layers.random_color import RandomBrightness, RandomContrast


class ImageMixing(ImageAugmentation):
    """What MixUp and CutMix share: a partner for each image, ``self.order`` (a permutation),
    and each image's own share ``self.weight`` (N,) of the labels."""

    abstract = True

    def transform_labels(self, labels):
        labels = labels.astype(np.float64) if labels.dtype.kind != "f" else labels
        if labels.ndim == 1:          # one label per image: a column, as Keras mixes (N, classes)
            return self.transform_labels(labels[:, None])[:, 0]
        w = self.weight.reshape(-1, 1).astype(labels.dtype)
        return w * labels + (1 - w) * labels[self.order]

    def partner_gradient(self, own, to_partner):
        """``dx``: each image's ``own`` share plus what it gave its partners (``to_partner``)."""
        dx = own.copy()
        dx[self.order] += to_partner
        return dx


class MixUp(ImageMixing):
    """MixUp (Zhang et al. 2018): each training image is blended with another image of the
    batch, ``w x_i + (1 - w) x_p(i)``, ``w ~ Beta(alpha, alpha)``; with
    ``{"images": x, "labels": y}`` the labels are blended the same way.

    Args:
        alpha: the Beta distribution's parameter (default 0.2: most ``w`` near 0 or 1).
        seed: a generator of the layer's own; by default the model's.
    """

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or alpha <= 0:
            raise ValueError(f"MixUp: alpha must be a number > 0, got {alpha!r}")
        self.alpha = alpha

    def augment(self, images):
        n = len(images)
        self.order = self.draws.permutation(n)
        self.weight = self.draws.beta(self.alpha, self.alpha, n)
        w = self.weight.reshape(-1, 1, 1, 1).astype(images.dtype)
        return w * images + (1 - w) * images[self.order]

    def augment_backward(self, dy):
        w = self.weight.reshape(-1, 1, 1, 1)
        return self.partner_gradient(w * dy, (1 - w) * dy)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class CutMix(ImageMixing):
    """CutMix (Yun et al. 2019): a box of each training image is replaced by the same box of
    another image of the batch; its side is ``sqrt(1 - w)`` of the image's, ``w ~ Beta(a, a)``,
    ``a ~ U(factor)``; the labels are mixed by the area each image keeps. A single image
    (unbatched) is left as it is, as in Keras.

    Args:
        factor: ``a``'s range, one number in [0, 1] for ``(0, f)`` (default 1).
        seed: a generator of the layer's own; by default the model's.
    """

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = keras_factor(factor, (0, 1), "CutMix")

    def augment(self, images):
        n, height, width, _ = images.shape
        a = self.draws.uniform(*self.factor) + 1e-6
        side = np.sqrt(1 - self.draws.beta(a, a, n))
        x0, x1, y0, y1 = random_boxes(self.draws, n, height, width, np.stack([side, side], 1))
        self.order = self.draws.permutation(n)
        self.boxes = box_mask(height, width, (x0, x1, y0, y1))
        self.weight = 1 - (x1 - x0) * (y1 - y0) / (width * height)
        if n == 1:                                  # Keras leaves one image alone
            self.boxes[:], self.weight[:] = False, 1.0
        return np.where(self.boxes, images[self.order], images)

    def augment_backward(self, dy):
        return self.partner_gradient(np.where(self.boxes, 0, dy), np.where(self.boxes, dy, 0))

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor)}


class RandAugment(ImageAugmentation):
    """RandAugment (Cubuk et al. 2019), as Keras 3 runs it: ``num_ops`` times, one of eleven
    augmentations is picked at random for the batch and applied with strength ``factor``:
    shear, translation, rotation, brightness, colour degeneration, contrast, sharpness,
    posterization, solarization, auto-contrast, equalization.

    Args:
        value_range: the pixels' range.
        num_ops: how many augmentations each batch gets (default 2).
        factor: the strength, one number in [0, 1] for ``(0, f)`` (default 0.5).
        interpolation: for the geometric ones, ``"bilinear"`` or ``"nearest"``.
        seed: a generator of the layer's own; by default the model's.
    """

    def __init__(self, value_range=(0, 255), num_ops=2, factor=0.5, interpolation="bilinear", seed=None,
                 data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if isinstance(num_ops, bool) or not isinstance(num_ops, int) or num_ops < 0:
            raise ValueError(f"RandAugment: num_ops must be a whole number >= 0, got {num_ops!r}")
        self.value_range = checked_range(value_range, "RandAugment")
        self.num_ops, self.interpolation = num_ops, interpolation
        self.factor = keras_factor(factor, (0, 1), "RandAugment")
        f, colour = list(self.factor), {"value_range": self.value_range}
        self.augmentations = [
            RandomShear(x_factor=f, y_factor=f, interpolation=interpolation),
            RandomTranslation(height_factor=f, width_factor=f, interpolation=interpolation),
            RandomRotation(factor=f, interpolation=interpolation),
            RandomBrightness(factor=f, **colour), RandomColorDegeneration(factor=f, **colour),
            RandomContrast(factor=f, **colour), RandomSharpness(factor=f, **colour),
            RandomPosterization(factor=max(1, int(8 * f[1])), **colour),
            Solarization(addition_factor=f, threshold_factor=f, **colour),
            AutoContrast(**colour), Equalization(**colour)]

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        for layer in self.augmentations:           # they draw from this layer's generator
            layer.build(self.input_shape, self.draws)

    def augment(self, images):
        picked = self.draws.integers(0, len(self.augmentations), self.num_ops)
        self.ran = [self.augmentations[i] for i in picked]
        return run_forward(self.ran, images, self.draws)

    def augment_backward(self, dy):
        return run_backward(self.ran, dy)

    def get_config(self):
        return {**super().get_config(), "value_range": list(self.value_range), "num_ops": self.num_ops,
                "factor": list(self.factor), "interpolation": self.interpolation}


class Pipeline(Layer):
    """Run ``layers`` one after the other, as one layer (Keras 3's ``layers.Pipeline``):
    ``Pipeline([AutoContrast(), RandomZoom(0.2)])``, in a model or in a ``dataset.map``.
    Called on its own it runs them in training mode, as Keras does. Backward runs their
    backward passes in reverse.

    Args:
        layers: the layers (or their saved configs).
    """

    def __init__(self, layers, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if not isinstance(layers, (list, tuple)):
            raise ValueError(f"Pipeline: layers must be a list of layers, got {layers!r}")
        from glassnet.engine.layers.wrappers import _layer_from_spec
        self.pipeline_layers = [_layer_from_spec(layer, "Pipeline") for layer in layers]

    @property
    def layers(self):
        return self.pipeline_layers

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        shape = self.input_shape
        for layer in self.pipeline_layers:
            layer.build(shape, self.rng)
            shape = tuple(layer.output_shape(shape))

    def output_shape(self, input_shape):
        for layer in self.pipeline_layers:
            input_shape = tuple(layer.output_shape(input_shape))
        return input_shape

    def __call__(self, inputs=None, training=None, mask=None, **tensors):
        from glassnet.engine import symbolic
        if training is None and not symbolic.is_symbolic(inputs):
            training = True                          # Keras: call(inputs, training=True)
        if isinstance(inputs, dict) or (np.ndim(inputs) == 3 and not self.built):   # as each layer takes them
            for layer in self.pipeline_layers:
                inputs = layer(inputs, training=training)
            return inputs
        return super().__call__(inputs, training, mask, **tensors)

    def forward(self, x, training=False):
        for layer in self.pipeline_layers:
            x = layer.forward(x, training=training)
        return x

    def backward(self, dy):
        for layer in reversed(self.pipeline_layers):
            layer.needs_input_grad = True
            dy = layer.backward(dy)
        return dy if self.needs_input_grad else None

    def get_config(self):
        from glassnet.engine.layers.wrappers import _spec
        return {"layers": [_spec(layer) for layer in self.pipeline_layers], "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


__all__ = ["CutMix", "MixUp", "Pipeline", "RandAugment"]
