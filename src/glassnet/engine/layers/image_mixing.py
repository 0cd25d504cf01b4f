"""Keras 3's layers that mix images, or run other layers: MixUp, CutMix, RandAugment, AugMix
and Pipeline.

MixUp and CutMix pair each image of a batch with another of the same batch (a random
permutation ``p``) and mix the two, labels too when they are given as Keras gives them,
``layer({"images": x, "labels": y})`` (one-hot labels, in a ``dataset.map``)::

    MixUp    x_i = w_i x_i + (1 - w_i) x_p(i)       y_i = w_i y_i + (1 - w_i) y_p(i)     w_i ~ Beta(alpha, alpha)
    CutMix   x_i = x_p(i) inside a box, else x_i   y_i = w_i y_i + (1 - w_i) y_p(i)     w_i = 1 - box area / image area

Both are linear in the images: each image's gradient is its own share plus the shares of the
images it was mixed into.

RandAugment applies ``num_ops`` layers picked at random (the same for the whole batch, as
Keras picks them) from eleven; AugMix mixes several chains of them with the image; Pipeline
runs a list of layers one after the other, as a layer. Their gradient goes back through the
layers they ran, last first.
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
from glassnet.engine.shapes import SampleShape


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


def operations(factor, value_range, interpolation):
    """The augmentations RandAugment and AugMix pick from, by Keras's names, each of strength
    ``factor`` ``(lower, upper)``."""
    f, colour = list(factor), {"value_range": value_range}
    return {"random_shear": RandomShear(x_factor=f, y_factor=f, interpolation=interpolation),
            "random_translation": RandomTranslation(height_factor=f, width_factor=f, interpolation=interpolation),
            "random_rotation": RandomRotation(factor=f, interpolation=interpolation),
            "random_brightness": RandomBrightness(factor=f, **colour),
            "random_color_degeneration": RandomColorDegeneration(factor=f, **colour),
            "random_contrast": RandomContrast(factor=f, **colour),
            "random_sharpness": RandomSharpness(factor=f, **colour),
            "random_posterization": RandomPosterization(factor=max(1, int(8 * f[1])), **colour),
            "solarization": Solarization(addition_factor=f, threshold_factor=f, **colour),
            "auto_contrast": AutoContrast(**colour), "equalization": Equalization(**colour)}


class PickedAugmentations(ImageAugmentation):
    """What RandAugment and AugMix share: their augmentations (:func:`operations`, in the
    order ``names``), built with the layer and drawing from its generator."""

    abstract = True

    def _make_operations(self, names, value_range, factor, interpolation):
        self.value_range = checked_range(value_range, type(self).__name__)
        self.factor = keras_factor(factor, (0, 1), type(self).__name__)
        self.interpolation = interpolation
        made = operations(self.factor, self.value_range, interpolation)
        self.augmentations = [made[name] for name in names]

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        for layer in self.augmentations:           # they draw from this layer's generator
            layer.build(SampleShape(self.input_shape), self.draws)


def _count(value, owner, name, low=0):
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{owner}: {name} must be a whole number >= {low}, got {value!r}")
    return value


class RandAugment(PickedAugmentations):
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

    NAMES = ("random_shear", "random_translation", "random_rotation", "random_brightness",
             "random_color_degeneration", "random_contrast", "random_sharpness", "random_posterization",
             "solarization", "auto_contrast", "equalization")

    def __init__(self, value_range=(0, 255), num_ops=2, factor=0.5, interpolation="bilinear", seed=None,
                 data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.num_ops = _count(num_ops, "RandAugment", "num_ops")
        self._make_operations(self.NAMES, value_range, factor, interpolation)

    def augment(self, images):
        picked = self.draws.integers(0, len(self.augmentations), self.num_ops)
        images, self.ran = run_forward([self.augmentations[i] for i in picked], images, self.draws)
        return images

    def augment_backward(self, dy):
        return run_backward(self.ran, dy)

    def get_config(self):
        return {**super().get_config(), "value_range": list(self.value_range), "num_ops": self.num_ops,
                "factor": list(self.factor), "interpolation": self.interpolation}


class AugMix(PickedAugmentations):
    """AugMix (Hendrycks et al. 2020), as Keras 3 runs it: ``num_chains`` chains of up to
    ``chain_depth`` augmentations each (a step may pick none), their results mixed with
    Dirichlet weights ``c``, then mixed with the image itself by ``w ~ Beta(alpha, alpha)``::

        y = clip(w x + (1 - w) sum_i c_i chain_i(x))

    Args:
        value_range: the pixels' range.
        num_chains, chain_depth: how many chains, how many steps each (default 3 and 3).
        factor: the augmentations' strength, one number in [0, 1] for ``(0, f)`` (default 0.3).
        alpha: the Dirichlet and Beta distributions' parameter (default 1).
        all_ops: all eleven augmentations (default), or only the seven that leave the colours
            alone (no brightness, colour, contrast, sharpness).
        interpolation: for the geometric ones.
        seed: a generator of the layer's own; by default the model's.
    """

    ALL = ("random_shear", "random_translation", "random_rotation", "random_posterization", "solarization",
           "auto_contrast", "equalization", "random_brightness", "random_color_degeneration", "random_contrast",
           "random_sharpness")

    def __init__(self, value_range=(0, 255), num_chains=3, chain_depth=3, factor=0.3, alpha=1.0, all_ops=True,
                 interpolation="bilinear", seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.num_chains = _count(num_chains, "AugMix", "num_chains", low=1)
        self.chain_depth = _count(chain_depth, "AugMix", "chain_depth", low=1)
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or alpha <= 0:
            raise ValueError(f"AugMix: alpha must be a number > 0, got {alpha!r}")
        self.alpha, self.all_ops = alpha, bool(all_ops)
        self._make_operations(self.ALL if self.all_ops else self.ALL[:7], value_range, factor, interpolation)

    def augment(self, images):
        gamma = self.draws.gamma(self.alpha, size=self.num_chains)
        self.chain_weights = gamma / gamma.sum()
        self.own = self.draws.beta(self.alpha, self.alpha)
        self.chains, mixed = [], np.zeros_like(images)
        for weight in self.chain_weights:
            steps = self.draws.integers(0, len(self.augmentations) + 1, self.chain_depth)   # the last: none
            chained, ran = run_forward([self.augmentations[i] for i in steps if i < len(self.augmentations)],
                                       images, self.draws)
            mixed += weight * chained
            self.chains.append(ran)
        return self.clipped(self.own * images + (1 - self.own) * mixed)

    def clipped(self, y):
        low, high = self.value_range
        self.inside = (y >= low) & (y <= high)
        return np.clip(y, low, high)

    def augment_backward(self, dy):
        g = dy * self.inside
        dx = self.own * g
        for weight, ran in zip(self.chain_weights, self.chains):
            dx = dx + run_backward(ran, (1 - self.own) * weight * g)
        return dx

    def get_config(self):
        return {**super().get_config(), "value_range": list(self.value_range), "num_chains": self.num_chains,
                "chain_depth": self.chain_depth, "factor": list(self.factor), "alpha": self.alpha,
                "all_ops": self.all_ops, "interpolation": self.interpolation}


class Pipeline(Layer):
    """Run ``layers`` one after the other, as one layer (Keras 3's ``layers.Pipeline``):
    ``Pipeline([AutoContrast(), RandomZoom(0.2)])``, in a model or in a ``dataset.map``.
    Called on its own it runs them in training mode, as Keras does. Backward runs their
    backward passes in reverse.

    Args:
        layers: the layers (or their saved configs).
    """

    augments_by_default = True     # alone or in model(x), as Keras: call(inputs, training=True)

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
            layer.build(SampleShape(shape), self.rng)     # (sizes left open stay open)
            shape = SampleShape(layer.output_shape(shape))

    def output_shape(self, input_shape):
        for layer in self.pipeline_layers:
            input_shape = tuple(layer.output_shape(input_shape))
        return input_shape

    def __call__(self, inputs=None, training=None, mask=None, **tensors):
        from glassnet.engine import recording, symbolic
        if symbolic.is_symbolic(inputs) or recording.is_value(inputs) or recording.recording_now() or tensors:
            return super().__call__(inputs, training, mask, **tensors)
        training = True if training is None else training       # Keras: call(inputs, training=True)
        if isinstance(inputs, dict) or np.ndim(inputs) == 3:    # a dict, or one image: as each layer takes them
            for layer in self.pipeline_layers:
                inputs = layer(inputs, training=training)
            return inputs
        return super().__call__(inputs, training, mask)

    def forward(self, x, training=False):
        for layer in self.pipeline_layers:
            x = layer.forward(x, training=training)
        return x

    def backward(self, dy):
        if not self.needs_input_grad:
            return None
        return run_backward(self.pipeline_layers, dy)

    def get_config(self):
        from glassnet.engine.layers.wrappers import _spec
        return {"layers": [_spec(layer) for layer in self.pipeline_layers], "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


__all__ = ["AugMix", "CutMix", "MixUp", "Pipeline", "RandAugment", "operations"]
