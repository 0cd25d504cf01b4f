"""The catalogue: every built-in layer, activation and loss, in the configurations that matter."""

from dataclasses import dataclass

import numpy as np

from glassnet.gradcheck.checks import check_layer, check_loss, check_model


# ``glassnet gradcheck`` and tests/test_gradcheck.py both run :func:`run_all`. Layers are
# found in the layer registry, so a new built-in layer with no entry below shows up in
# the table as a failure instead of going unchecked.

@dataclass
class Check:
    """One line of the table: what is checked, how it is set up, and the check itself."""

    component: str
    configuration: str
    run: object  # () -> Report


@dataclass
class Row:
    """One result: the largest relative error over ``dx`` and every parameter."""

    component: str
    configuration: str
    max_error: float
    passed: bool
    detail: str = ""


def _away_from_zero(shape, seed=1):
    """Random numbers with ``|x| >= 0.1``: ReLU has no derivative at its kink, so avoid it."""
    x = np.random.default_rng(seed).standard_normal(shape)
    return np.sign(x) * (0.1 + np.abs(x))


def _avoiding(*kinks, gap=0.05):
    """Random normal numbers kept ``gap`` away from each kink (where there is no derivative)."""
    def make(shape, seed=1):
        x = np.random.default_rng(seed).standard_normal(shape)
        for kink in kinks:
            near = np.abs(x - kink) < gap
            x[near] = kink + np.where(x[near] >= kink, gap, -gap)
        return x
    return make


def _distinct(shape, seed=1):
    """All values different (a shuffled ramp): max pooling's winner is then unambiguous."""
    size = int(np.prod(shape))
    return np.random.default_rng(seed).permutation(size).reshape(shape) / size - 0.5


def _ramp(shape, seed, step):
    """``0, step, 2*step, ...`` shuffled: two ramps of steps 0.1 and 0.3, one shifted by 0.05,
    never come closer than 0.05 (Maximum's winner is then unambiguous)."""
    size = int(np.prod(shape))
    return np.random.default_rng(seed).permutation(size).reshape(shape) * step


def _indices(count):
    """Whole numbers in ``[0, count)``, as an Embedding reads them: drawn with replacement,
    so a batch asks for some rows several times (their gradients must add up) and, when
    ``count`` is large, never for others (theirs must stay zero)."""
    def make(shape, seed=1):
        return np.random.default_rng(seed).integers(0, count, shape).astype(np.float64)
    return make


def registered_layers():
    """Every built-in layer class by name, after importing every module of the layers package.

    Abstract bases (classes without their own ``forward``, such as ``Pooling2D``, or that say
    ``abstract = True`` in their own body, such as ``RandomAffine``) are left out: there is
    nothing to run; so are models, which are checked whole (below).
    """
    import importlib
    import pkgutil

    from glassnet.engine import layers
    from glassnet.engine.layers.base import LAYERS, Layer
    from glassnet.engine.model import Model

    for module in pkgutil.iter_modules(layers.__path__):
        importlib.import_module(f"{layers.__name__}.{module.name}")
    return {name: cls for name, cls in LAYERS.items()
            if cls.__module__.startswith("glassnet.") and cls.forward is not Layer.forward
            and not cls.__dict__.get("abstract", False) and not issubclass(cls, Model)}


def _layer_checks():
    from glassnet.engine.layers.activations import ACTIVATIONS, _class_of
    from glassnet.engine.regularizers import l1, l1_l2, l2

    known = registered_layers()
    checks = []

    def add(name, input_shape, label=None, batch_size=4, x=None, training=True, **kwargs):
        if name not in known:  # e.g. a layer of a later release: nothing to check yet
            return
        label = label or ", ".join(f"{k}={v!r}" for k, v in kwargs.items()) or "defaults"
        several = bool(input_shape) and isinstance(input_shape[0], tuple)
        shown = [tuple(s) for s in input_shape] if several else tuple(input_shape)
        label += f", input {shown}" + ("" if training else ", inference")
        batched = [(batch_size,) + s for s in shown] if several else (batch_size,) + shown
        data = None if x is None else x(batched)
        checks.append(Check(name, label, lambda: check_layer(
            known[name](**kwargs), input_shape, batch_size=batch_size, x=data, training=training)))

    add("Dense", (4,), units=3)
    add("Dense", (4,), units=3, use_bias=False)
    add("Dense", (2, 4), units=3)                       # on the last axis, the same W at each step
    add("Dense", (2, 3, 4), units=3, activation="softmax")
    for activation in ACTIVATIONS:
        add("Dense", (4,), units=3, activation=activation)
    for text, regularizer in (("l2(0.1)", l2(0.1)), ("l1(0.1)", l1(0.1)), ("l1_l2(0.01, 0.01)", l1_l2(0.01, 0.01))):
        add("Dense", (4,), f"units=3, activation='relu', kernel_regularizer={text}",
            units=3, activation="relu", kernel_regularizer=regularizer)
    add("Dense", (4,), "units=3, bias_initializer='random_normal', bias_regularizer=l1_l2(0.1, 0.1)",
        units=3, bias_initializer="random_normal", bias_regularizer=l1_l2(0.1, 0.1))
    for name in ACTIVATIONS:
        add("Activation", (5,), x=_away_from_zero, activation=name)
    for cls in dict.fromkeys(_class_of(name) for name in ACTIVATIONS):
        add(cls.__name__, (5,), x=_away_from_zero)
    add("LeakyReLU", (5,), x=_away_from_zero, negative_slope=0.1)
    # The new activations' options, and the learned slope of PReLU.
    add("ReLU", (6,), x=_avoiding(0.2, 1.0), max_value=1.0, negative_slope=0.1, threshold=0.2)
    add("ReLU", (6,), x=_avoiding(0.0, 0.5), max_value=0.5)
    add("ELU", (5,), x=_away_from_zero, alpha=0.5)
    add("GELU", (5,), approximate=True)
    add("CELU", (5,), x=_away_from_zero, alpha=0.5)
    add("Squareplus", (5,), b=1.0)
    add("SoftShrink", (6,), x=_avoiding(-0.25, 0.25), threshold=0.25)
    add("Threshold", (5,), x=_away_from_zero, threshold=0.0, default_value=-1.5)
    add("PReLU", (5,), x=_away_from_zero, alpha_initializer="random_uniform")
    add("PReLU", (3, 3, 2), x=_away_from_zero, alpha_initializer="random_uniform", shared_axes=[1, 2])
    add("PReLU", (5,), "alpha_initializer='random_uniform', alpha_regularizer=l2(0.1)", x=_away_from_zero,
        alpha_initializer="random_uniform", alpha_regularizer=l2(0.1))
    # Preprocessing: the identity in inference, a resampling (linear in x) in training.
    add("Rescaling", (3, 3, 2), scale=0.5, offset=-0.25)
    add("Rescaling", (2, 2, 2), scale=[2.0, 0.5])
    add("Normalization", (5,), mean=[0.1, 0.2, 0.3, 0.4, 0.5], variance=[1.0, 2.0, 3.0, 4.0, 0.5])
    add("Normalization", (3, 3, 2), mean=[0.5, -1.0], variance=[2.0, 0.25], invert=True)
    for fill_mode in ("reflect", "constant", "wrap", "nearest"):
        add("RandomRotation", (6, 7, 2), factor=0.2, fill_mode=fill_mode, fill_value=0.5)
    add("RandomRotation", (5, 5), factor=0.2, interpolation="nearest")
    add("RandomRotation", (5, 5, 1), training=False, factor=0.2)
    add("RandomTranslation", (6, 5, 1), height_factor=0.3, width_factor=(0.1, 0.4))
    add("RandomTranslation", (6, 5, 1), training=False, height_factor=0.3, width_factor=0.3)
    add("RandomZoom", (6, 6, 2), height_factor=0.3)
    add("RandomZoom", (6, 5, 1), height_factor=(-0.3, -0.1), width_factor=0.2, fill_mode="constant")
    add("RandomZoom", (6, 5, 1), training=False, height_factor=0.2)
    for mode in ("horizontal", "vertical", "horizontal_and_vertical"):
        add("RandomFlip", (4, 5, 2), mode=mode)
    add("RandomFlip", (4, 5), training=False)
    spread = lambda shape, seed=1: 0.3 + 0.4 * np.random.default_rng(seed).random(shape)   # noqa: E731  (never clipped)
    add("RandomContrast", (4, 5, 2), "factor=(0.3, 0.2), value_range=(0, 1)", x=spread, factor=(0.3, 0.2),
        value_range=(0, 1))
    add("RandomBrightness", (4, 5), "factor=0.2, value_range=(0, 1)", x=spread, factor=0.2, value_range=(0, 1))
    add("RandomContrast", (4, 5, 2), training=False, factor=0.2)
    add("Resizing", (4, 5, 2), "height=6, width=3 (bilinear: larger and smaller)", height=6, width=3)
    add("Resizing", (5, 4, 1), "height=3, width=7, interpolation='nearest'", height=3, width=7,
        interpolation="nearest")
    add("Resizing", (6, 4, 1), "height=3, width=3, crop_to_aspect_ratio=True", height=3, width=3,
        crop_to_aspect_ratio=True)
    add("CenterCrop", (6, 5, 2), height=3, width=4)
    add("CenterCrop", (3, 4, 1), "height=5, width=5 (larger: resized)", height=5, width=5)
    add("RandomCrop", (6, 7, 2), "height=4, width=3, fixed window", height=4, width=3)
    # Keras 3's augmentation layers (image_pixels, image_filters, image_warps, image_mixing), on
    # pixels in (0.3, 0.7) with value_range=(0, 1), so that no clipping sits at the checked point
    unit = {"value_range": (0, 1)}
    add("RandomInvert", (5, 5, 1), x=spread, factor=0.9, **unit)
    add("AutoContrast", (6, 5, 3), x=spread, **unit)
    add("AutoContrast", (6, 5, 1), training=False, x=spread, **unit)
    add("Solarization", (5, 5, 2), x=spread, addition_factor=0.1, threshold_factor=0.6, **unit)
    add("RandomGrayscale", (5, 4, 3), x=spread, factor=0.6)
    add("RandomColorDegeneration", (5, 4, 3), x=spread, factor=0.5, **unit)
    add("RandomPosterization", (4, 4, 1), "zero gradient", x=spread, factor=(3, 3), **unit)
    add("Equalization", (4, 4, 2), "zero gradient", x=spread, **unit)
    add("Equalization", (4, 4, 2), training=False, x=spread, **unit)
    add("RandomSharpness", (5, 6, 2), x=spread, factor=(0.1, 0.3), **unit)
    add("RandomGaussianBlur", (6, 5, 2), x=spread, kernel_size=(3, 5), sigma=0.8, **unit)
    add("RandomErasing", (6, 6, 1), x=spread, scale=(0.2, 0.4), **unit)
    add("RandomShear", (6, 7, 2), x_factor=0.3, y_factor=(0.1, 0.2))
    add("RandomShear", (6, 5, 1), training=False, x_factor=0.3)
    add("RandomPerspective", (6, 7, 1), scale=0.5, fill_value=0.5)
    add("RandomElasticTransform", (12, 10, 1), x=spread, factor=0.9, **unit)
    add("MixUp", (4, 5, 2), alpha=0.5)
    add("CutMix", (6, 6, 1), factor=0.8)
    add("RandAugment", (6, 6, 3), "num_ops=1 (AutoContrast with this seed)", x=spread, num_ops=1, **unit)
    add("RandAugment", (6, 6, 3), "num_ops=6, factor=0.2 (posterization: zero gradient)", x=spread, num_ops=6,
        factor=0.2, **unit)
    add("RandomSaturation", (5, 4, 3), x=spread, factor=(0.3, 0.6), **unit)
    add("RandomSaturation", (5, 4, 3), "factor=(0.8, 0.9) (saturation clipped at 1)", x=spread, factor=(0.8, 0.9),
        **unit)
    add("RandomHue", (5, 4, 3), x=spread, factor=0.6, **unit)
    add("RandomColorJitter", (5, 4, 3), x=spread, brightness_factor=0.1, contrast_factor=(0.1, 0.1),
        saturation_factor=(0.4, 0.6), hue_factor=0.3, **unit)
    add("AugMix", (6, 6, 3), "all_ops=False", x=spread, all_ops=False, **unit)
    add("AugMix", (6, 6, 3), x=spread, num_chains=2, chain_depth=2, factor=0.2, **unit)
    add("Pipeline", (6, 6, 1), "RandomInvert, RandomShear", x=spread,
        layers=[{"class_name": "RandomInvert", "config": {"value_range": (0, 1)}},
                {"class_name": "RandomShear", "config": {"x_factor": 0.2}}])
    add("Flatten", (2, 3, 2))
    add("Reshape", (12,), target_shape=(3, 4))
    add("Reshape", (2, 3, 2), target_shape=(-1, 2))
    add("Permute", (2, 3), dims=(2, 1))
    add("Permute", (2, 3, 4), dims=(3, 1, 2))
    add("RepeatVector", (5,), n=3)
    add("Identity", (2, 3))
    add("ActivityRegularization", (5,), x=_away_from_zero, l1=0.1, l2=0.2)
    add("UnitNormalization", (5,))
    add("UnitNormalization", (3, 4), axis=1)
    add("Dropout", (6,), "rate=0.5, fixed mask", batch_size=5, rate=0.5)
    add("Dropout", (6,), training=False, rate=0.5)
    add("SpatialDropout2D", (3, 3, 4), "rate=0.5, fixed mask", batch_size=5, rate=0.5)
    add("SpatialDropout2D", (3, 3, 4), training=False, rate=0.5)
    add("SpatialDropout1D", (4, 3), "rate=0.5, fixed mask", batch_size=5, rate=0.5)
    add("GaussianNoise", (6,), "stddev=0.3, fixed noise", stddev=0.3)
    add("GaussianDropout", (2, 3), "rate=0.4, fixed noise", rate=0.4)
    add("GaussianDropout", (2, 3), training=False, rate=0.4)
    add("AlphaDropout", (6,), "rate=0.3, fixed mask", batch_size=5, rate=0.3)
    add("ZeroPadding2D", (3, 4, 2), padding=1)
    add("ZeroPadding2D", (3, 4, 2), padding=((0, 2), (1, 0)))
    add("Cropping2D", (5, 6, 2), cropping=((1, 0), (2, 1)))
    add("Cropping2D", (5, 6, 2), cropping=(1, 2))
    add("UpSampling2D", (2, 3, 2))
    add("UpSampling2D", (2, 3, 1), size=(3, 1))
    add("ZeroPadding1D", (4, 2))
    add("ZeroPadding1D", (4, 2), padding=(0, 3))
    add("Cropping1D", (6, 2))
    add("Cropping1D", (6, 2), cropping=(2, 0))
    add("UpSampling1D", (3, 2))
    add("UpSampling1D", (3, 1), size=3)
    # Embedding: the table's gradient, with rows asked for several times in a batch.
    add("Embedding", (6,), "input_dim=5, output_dim=3, 24 indices of 5 rows (repeated)",
        x=_indices(5), input_dim=5, output_dim=3)
    add("Embedding", (2, 3), "input_dim=40, output_dim=2, embeddings_regularizer=l2(0.1), rows unused",
        x=_indices(40), input_dim=40, output_dim=2, embeddings_regularizer=l2(0.1))
    add("Conv2DTranspose", (3, 3, 2), filters=3, kernel_size=3, strides=2, padding="same")
    add("Conv2DTranspose", (3, 2, 2), filters=2, kernel_size=(2, 3), strides=(2, 1), activation="tanh")
    add("Conv2DTranspose", (2, 3, 1), filters=2, kernel_size=2, strides=3, padding="valid", use_bias=False)
    add("Conv2DTranspose", (3, 3, 2), filters=2, kernel_size=4, strides=2, padding="same",
        kernel_regularizer=l2(0.1))

    # Convolutions: stride 1 and 2, valid and same, odd sizes, several channels.
    add("Conv2D", (5, 5, 1), filters=2, kernel_size=3)
    add("Conv2D", (5, 6, 2), filters=3, kernel_size=3, padding="same")
    add("Conv2D", (7, 7, 2), filters=2, kernel_size=3, strides=2)
    add("Conv2D", (6, 7, 3), filters=2, kernel_size=(3, 2), strides=2, padding="same")
    add("Conv2D", (5, 5, 2), filters=2, kernel_size=3, activation="relu", use_bias=False)
    add("Conv2D", (5, 5, 2), "filters=2, kernel_size=3, kernel_regularizer=l2(0.1)",
        filters=2, kernel_size=3, kernel_regularizer=l2(0.1))
    add("Conv2D", (5, 5, 2), "filters=2, kernel_size=3, bias_initializer='random_normal', bias_regularizer=l2(0.1)",
        filters=2, kernel_size=3, bias_initializer="random_normal", bias_regularizer=l2(0.1))
    add("Conv2D", (7, 6, 2), filters=2, kernel_size=3, dilation_rate=2)
    add("Conv2D", (6, 7, 9), filters=2, kernel_size=(3, 2), dilation_rate=(1, 3), strides=2, padding="same")
    # Grouped convolutions: each group of channels with its own filters.
    add("Conv2D", (5, 6, 4), filters=6, kernel_size=3, groups=2)
    add("Conv2D", (6, 7, 6), "filters=3, kernel_size=(3, 2), groups=3, strides=2, padding='same', "
        "activation='tanh', kernel_regularizer=l2(0.1)", filters=3, kernel_size=(3, 2), groups=3, strides=2,
        padding="same", activation="tanh", kernel_regularizer=l2(0.1))
    add("Conv2D", (7, 6, 2), filters=4, kernel_size=2, groups=2, dilation_rate=2, use_bias=False)
    add("Conv1D", (7, 4), filters=6, kernel_size=3, groups=2, padding="causal")
    add("Conv1D", (8, 6), filters=3, kernel_size=2, groups=3, strides=2, activation="tanh")
    # Depthwise and separable convolutions: each channel filtered on its own (then mixed).
    add("DepthwiseConv2D", (5, 6, 3), kernel_size=3)
    add("DepthwiseConv2D", (6, 5, 2), kernel_size=3, depth_multiplier=2, strides=2, padding="same",
        activation="tanh")
    add("DepthwiseConv2D", (7, 6, 2), "kernel_size=(2, 3), dilation_rate=2, depthwise_regularizer=l2(0.1)",
        kernel_size=(2, 3), dilation_rate=2, depthwise_regularizer=l2(0.1))
    add("SeparableConv2D", (5, 5, 3), filters=4, kernel_size=3)
    add("SeparableConv2D", (6, 6, 2), filters=3, kernel_size=3, depth_multiplier=2, strides=2, padding="same",
        activation="tanh", use_bias=False)
    add("SeparableConv2D", (7, 6, 2), "filters=2, kernel_size=2, dilation_rate=(2, 1), pointwise_regularizer=l2(0.1)",
        filters=2, kernel_size=2, dilation_rate=(2, 1), pointwise_regularizer=l2(0.1))
    # Pooling, on inputs without ties.
    add("MaxPooling2D", (4, 4, 2), x=_distinct, pool_size=2)
    add("MaxPooling2D", (5, 5, 2), x=_distinct, pool_size=2)
    add("MaxPooling2D", (7, 7, 1), x=_distinct, pool_size=3, strides=2)
    add("MaxPooling2D", (5, 5, 2), x=_distinct, pool_size=2, padding="same")
    add("AveragePooling2D", (4, 4, 2), pool_size=2)
    add("AveragePooling2D", (7, 7, 1), pool_size=3, strides=2)
    from glassnet.engine.configurable import register
    from glassnet.gradcheck.recorded import my_softplus
    register(my_softplus, "glassnet.gradcheck")
    add("FunctionActivation", (5,), "my_softplus written with ops (recorded)", fn=my_softplus)
    add("Dense", (4,), "activation=my_softplus", units=3, activation=my_softplus)
    add("AveragePooling2D", (5, 5, 2), pool_size=2, padding="same")
    add("GlobalAveragePooling2D", (3, 4, 2))
    add("GlobalMaxPooling2D", (3, 4, 2), x=_distinct)
    add("GlobalAveragePooling2D", (3, 4, 2), keepdims=True)
    add("GlobalMaxPooling2D", (3, 4, 2), x=_distinct, keepdims=True)
    # The sequence layers: a convolution and poolings along one axis.
    add("Conv1D", (7, 2), filters=3, kernel_size=3)
    add("Conv1D", (8, 2), filters=2, kernel_size=3, strides=2, padding="same", activation="tanh")
    add("Conv1D", (7, 2), filters=2, kernel_size=2, dilation_rate=2, padding="causal",
        kernel_regularizer=l2(0.1))
    add("Conv1D", (6, 1), filters=2, kernel_size=4, padding="same", use_bias=False)
    add("MaxPooling1D", (7, 2), x=_distinct)
    add("MaxPooling1D", (7, 2), x=_distinct, pool_size=3, strides=2, padding="same")
    add("AveragePooling1D", (7, 2), pool_size=2)
    add("AveragePooling1D", (7, 2), pool_size=3, strides=1, padding="same")
    add("GlobalAveragePooling1D", (5, 3))
    add("GlobalMaxPooling1D", (5, 3), x=_distinct, keepdims=True)
    # The 1-D convolutions run as 2-D ones on one-row images (conv1d_rows.py).
    add("Conv1DTranspose", (4, 2), filters=3, kernel_size=3, strides=2, padding="same")
    add("Conv1DTranspose", (3, 2), filters=2, kernel_size=2, strides=3, activation="tanh", use_bias=False)
    add("Conv1DTranspose", (4, 3), "filters=2, kernel_size=4, strides=2, kernel_regularizer=l2(0.1)",
        filters=2, kernel_size=4, strides=2, kernel_regularizer=l2(0.1))
    add("DepthwiseConv1D", (7, 3), kernel_size=3)
    add("DepthwiseConv1D", (8, 2), kernel_size=3, depth_multiplier=2, strides=2, padding="same", activation="tanh")
    add("DepthwiseConv1D", (8, 2), "kernel_size=2, dilation_rate=3, depthwise_regularizer=l2(0.1)",
        kernel_size=2, dilation_rate=3, depthwise_regularizer=l2(0.1))
    add("SeparableConv1D", (7, 3), filters=4, kernel_size=3)
    add("SeparableConv1D", (8, 2), filters=3, kernel_size=3, depth_multiplier=2, strides=2, padding="same",
        use_bias=False)
    add("SeparableConv1D", (8, 2), "filters=2, kernel_size=2, dilation_rate=2, pointwise_regularizer=l2(0.1)",
        filters=2, kernel_size=2, dilation_rate=2, pointwise_regularizer=l2(0.1))
    # Volumes (N, D, H, W, C): the 3-D convolutions, poolings and resampling layers.
    add("Conv3D", (4, 3, 4, 2), filters=3, kernel_size=2)
    add("Conv3D", (4, 5, 3, 2), filters=2, kernel_size=(3, 2, 2), strides=2, padding="same", activation="tanh")
    add("Conv3D", (5, 4, 4, 1), "filters=2, kernel_size=2, dilation_rate=(2, 1, 2), kernel_regularizer=l2(0.1)",
        filters=2, kernel_size=2, dilation_rate=(2, 1, 2), kernel_regularizer=l2(0.1))
    add("Conv3DTranspose", (2, 3, 2, 2), filters=2, kernel_size=3, strides=2, padding="same")
    add("Conv3DTranspose", (2, 2, 3, 1), filters=2, kernel_size=(2, 3, 2), strides=(1, 2, 3), use_bias=False)
    add("MaxPooling3D", (4, 4, 4, 2), x=_distinct, pool_size=2)
    add("MaxPooling3D", (5, 4, 3, 2), x=_distinct, pool_size=(3, 2, 2), strides=(2, 1, 2), padding="same")
    add("AveragePooling3D", (4, 4, 4, 2), pool_size=2)
    add("AveragePooling3D", (5, 3, 4, 1), pool_size=2, strides=1, padding="same")
    add("GlobalAveragePooling3D", (2, 3, 2, 3))
    add("GlobalMaxPooling3D", (2, 3, 2, 3), x=_distinct, keepdims=True)
    add("ZeroPadding3D", (2, 3, 2, 2), padding=((0, 1), (2, 0), (1, 1)))
    add("Cropping3D", (4, 5, 4, 2), cropping=((1, 0), (1, 2), (0, 1)))
    add("UpSampling3D", (2, 3, 2, 2), size=(2, 1, 3))
    add("SpatialDropout3D", (2, 3, 2, 4), "rate=0.5, fixed mask", batch_size=5, rate=0.5)
    # ConvLSTM2D: an LSTM over frames, its products convolutions (gradients through every step).
    add("ConvLSTM2D", (3, 4, 5, 2), filters=2, kernel_size=3, batch_size=2)
    add("ConvLSTM2D", (3, 4, 4, 1), "filters=2, kernel_size=(2, 3), padding='same', return_sequences=True, "
        "bias_initializer='random_normal'", filters=2, kernel_size=(2, 3), padding="same", return_sequences=True,
        bias_initializer="random_normal", batch_size=2)
    add("ConvLSTM2D", (2, 5, 5, 2), "filters=3, kernel_size=2, strides=2, go_backwards=True, "
        "recurrent_regularizer=l2(0.1)", filters=3, kernel_size=2, strides=2, go_backwards=True,
        recurrent_regularizer=l2(0.1), batch_size=2)
    add("ConvLSTM2D", (3, 5, 4, 1), filters=1, kernel_size=2, dilation_rate=2, activation="relu", batch_size=2)
    add("ConvLSTM1D", (3, 6, 2), filters=2, kernel_size=3, batch_size=2)
    add("ConvLSTM1D", (3, 7, 1), filters=2, kernel_size=2, strides=2, padding="same", return_sequences=True,
        go_backwards=True, batch_size=2)
    # Adaptive pooling: windows fitted to the output size (overlapping, or wider than the axis).
    add("AdaptiveAveragePooling1D", (7, 2), output_size=3)
    add("AdaptiveMaxPooling1D", (7, 2), x=_distinct, output_size=3)
    add("AdaptiveAveragePooling2D", (5, 7, 2), output_size=(3, 4))
    add("AdaptiveMaxPooling2D", (5, 7, 2), x=_distinct, output_size=(2, 3))
    add("AdaptiveAveragePooling3D", (3, 5, 4, 2), output_size=(2, 3, 2))
    add("AdaptiveMaxPooling3D", (3, 5, 4, 1), x=_distinct, output_size=(2, 2, 3))
    add("AdaptiveMaxPooling2D", (3, 2, 1), "output_size=(5, 4), larger than the input", x=_distinct,
        output_size=(5, 4))
    # Batch norm: batch statistics in training (a batch of at least 4), running ones after.
    add("LayerNormalization", (5,), "gamma and beta drawn at random (not 1 and 0)", batch_size=3,
        gamma_initializer="glorot_uniform", beta_initializer="glorot_uniform")
    add("LayerNormalization", (3, 4), "on a sequence (every position), epsilon=0.01", epsilon=0.01)
    add("LayerNormalization", (5,), center=False)
    add("LayerNormalization", (5,), scale=False)
    # Group norm: each sample's groups of channels on their own, whatever the batch.
    add("GroupNormalization", (3, 4, 6), "groups=3, gamma and beta drawn at random", groups=3,
        gamma_initializer="glorot_uniform", beta_initializer="glorot_uniform")
    add("GroupNormalization", (6, 5), "groups=2, axis=1 (channels first), gamma_regularizer=l2(0.1)", groups=2,
        axis=1, gamma_initializer="glorot_uniform", gamma_regularizer=l2(0.1))
    add("GroupNormalization", (5, 4), groups=-1, center=False)
    add("GroupNormalization", (4,), groups=1, scale=False, epsilon=0.01)
    add("BatchNormalization", (5,), batch_size=6)
    add("BatchNormalization", (3, 3, 2), batch_size=4)
    add("BatchNormalization", (5,), batch_size=4, center=False, scale=False)
    add("BatchNormalization", (5,), batch_size=4, training=False)
    add("BatchNormalization", (3, 3, 2), batch_size=4, training=False)
    add("InputLayer", (3, 2), shape=(3, 2))
    # Merges: several inputs, one gradient each (Maximum/Minimum on inputs without ties).
    for name in ("Add", "Subtract", "Multiply", "Average"):
        add(name, [(3, 2), (3, 2)])
    add("Add", [(4,), (4,), (4,)], "three inputs")
    add("Multiply", [(4,), (4,), (4,)], "three inputs")
    # broadcast: an image times weights per channel (squeeze-and-excitation), fewer axes, a 1 in each
    add("Multiply", [(3, 4, 2), (1, 1, 2)], "broadcast: (3, 4, 2) * (1, 1, 2)")
    add("Add", [(3, 2), (2,)], "broadcast: (3, 2) + (2,)")
    add("Subtract", [(3, 1), (1, 4)], "broadcast: (3, 1) - (1, 4)")
    add("Average", [(2, 3), (2, 1), (1, 3)], "broadcast: three shapes")
    def apart(shapes):   # two inputs that differ by at least 0.03 everywhere: no ties
        a = _distinct(shapes[0], 1)
        return [a, a + 0.3 * _away_from_zero(shapes[0], 2)]

    add("Maximum", [(5,), (5,)], x=apart)
    add("Minimum", [(5,), (5,)], x=apart)
    add("Maximum", [(3, 4), (1, 4)], "broadcast: (3, 4) and (1, 4)",
        x=lambda shapes: [_ramp(shapes[0], 1, 0.1), _ramp(shapes[1], 3, 0.3) + 0.05])
    add("Dot", [(4,), (4,)], "axes=1: one number per sample", axes=1)
    add("Dot", [(3, 4), (5, 4)], "axes=(2, 2): every query against every key", axes=(2, 2))
    add("Dot", [(3, 4), (3, 2)], "axes=1, normalize=True (cosine)", axes=1, normalize=True)
    add("Concatenate", [(2, 3), (2, 1)])
    add("Concatenate", [(2, 3), (4, 3)], axis=1)
    # Attention: queries against keys and values, one head or several.
    add("Attention", [(3, 4), (5, 4)])
    add("Attention", [(3, 4), (5, 2), (5, 4)], "use_scale=True, a key of its own", use_scale=True)
    add("Attention", [(4, 3), (4, 3)], "dropout=0.5, inference", training=False, dropout=0.5)
    add("MultiHeadAttention", [(3, 4), (5, 6)], num_heads=2, key_dim=3)
    add("MultiHeadAttention", [(4, 5), (4, 5), (4, 2)], "num_heads=3, key_dim=2, value_dim=4, output_shape=6, "
        "use_bias=False, kernel_regularizer=l2(0.1), a key of its own", num_heads=3, key_dim=2, value_dim=4,
        output_shape=6, use_bias=False, kernel_regularizer=l2(0.1))
    # Recurrent layers: the last state or every state, forwards and backwards.
    add("SimpleRNN", (5, 3), units=4)
    add("SimpleRNN", (5, 3), units=4, activation="relu", return_sequences=True, go_backwards=True,
        x=_away_from_zero)
    add("LSTM", (5, 3), units=4)
    add("LSTM", (5, 3), units=4, return_sequences=True, go_backwards=True)
    add("LSTM", (5, 3), units=4, return_sequences=True, use_bias=False, unit_forget_bias=False)
    add("GRU", (5, 3), units=4, recurrent_activation="hard_sigmoid")
    add("GRU", (5, 3), units=4)
    add("GRU", (5, 3), units=4, return_sequences=True, go_backwards=True)
    add("GRU", (5, 3), units=4, return_sequences=True, reset_after=False)
    # Dropout inside the recurrence: fixed masks (the same draws on every call of the check).
    add("SimpleRNN", (5, 3), "dropout=0.3, recurrent_dropout=0.4, fixed masks", units=4, dropout=0.3,
        recurrent_dropout=0.4, return_sequences=True)
    add("LSTM", (5, 3), "dropout=0.3 (one input mask for all gates), fixed mask", units=4, dropout=0.3)
    add("LSTM", (5, 3), "dropout=0.25, recurrent_dropout=0.5 (masks per gate), fixed masks", units=4,
        dropout=0.25, recurrent_dropout=0.5, return_sequences=True, go_backwards=True)
    add("GRU", (5, 3), "dropout=0.3, recurrent_dropout=0.4, fixed masks", units=4, dropout=0.3,
        recurrent_dropout=0.4, return_sequences=True)
    add("GRU", (5, 3), "reset_after=False, dropout=0.3, recurrent_dropout=0.4, fixed masks", units=4,
        dropout=0.3, recurrent_dropout=0.4, reset_after=False)
    add("LSTM", (5, 3), training=False, units=4, dropout=0.5, recurrent_dropout=0.5)
    add("GRU", (5, 3), "kernel_regularizer=l2(0.1), recurrent_regularizer=l2(0.2), bias_regularizer=l2(0.3)",
        units=4, kernel_regularizer=l2(0.1), recurrent_regularizer=l2(0.2), bias_regularizer=l2(0.3))
    # Wrappers: their inner layers' weights are checked too.
    if "LSTM" in known and "GRU" in known:
        from glassnet.engine.layers import GRU, LSTM
        for mode in ("concat", "sum", "mul", "ave"):
            add("Bidirectional", (5, 3), f"LSTM(3, return_sequences=True), merge_mode={mode!r}",
                layer=LSTM(3, return_sequences=True), merge_mode=mode)
        add("Bidirectional", (5, 3), "GRU(3) (last states)", layer=GRU(3))
        add("TimeDistributed", (5, 4), "Dense(3, activation='tanh')",
            layer=known["Dense"](3, activation="tanh"))
        add("TimeDistributed", (3, 5, 5, 1), "Conv2D(2, 3)", layer=known["Conv2D"](2, 3))
    add("RMSNormalization", (5,))
    add("RMSNormalization", (3, 4), axis=[1, 2], epsilon=0.1)
    add("EinsumDense", (3,), equation="ab,bc->ac", output_shape=4, bias_axes="c", activation="tanh")
    add("EinsumDense", (4, 3), equation="abc,cde->abde", output_shape=(None, 2, 5), bias_axes="de")
    add("EinsumDense", (2, 2, 3), equation="...b,bc->...c", output_shape=4, bias_axes="c")
    add("EinsumDense", (3, 2), equation="ab...,bc->ac...", output_shape=4, bias_axes="c")
    add("EinsumDense", (2, 3), equation="abc,cd->ad", output_shape=4, bias_axes="d")       # b summed alone
    add("EinsumDense", (2, 3), equation="abc,bcd->ad", output_shape=5)
    add("AdditiveAttention", [(3, 4), (5, 4)])
    add("AdditiveAttention", [(3, 4), (5, 2), (5, 4)], "use_scale=False, a key of its own", use_scale=False)
    add("AdditiveAttention", [(4, 3), (4, 3)], "use_causal_mask=True", use_causal_mask=True)
    add("Wrapper", (4,), "Dense(3, activation='tanh')", layer=known["Dense"](3, activation="tanh"))
    # SpectralNormalization's rescaling is not differentiated (as in Keras): checked in inference
    add("SpectralNormalization", (4,), "Dense(3, activation='tanh')", training=False,
        layer=known["Dense"](3, activation="tanh"))
    add("SpectralNormalization", (5, 5, 2), "Conv2D(2, 3), power_iterations=2", training=False,
        layer=known["Conv2D"](2, 3), power_iterations=2)
    return checks


def _loss_checks():
    from glassnet.engine import losses

    rng = np.random.default_rng(2)
    logits = 2 * rng.standard_normal((5, 4))                       # (N, K) scores
    probs = np.exp(losses.log_softmax(logits))                     # rows sum to 1, all > 1e-7
    labels = np.array([0, 3, 1, 1, 2])                             # (N,) integers
    onehot = losses.one_hot(labels, 4, np.float64)                 # (N, K)
    smooth = 0.9 * onehot + 0.1 / 4                                # label smoothing
    targets = rng.standard_normal((5, 4))                          # regression targets
    binary = (rng.uniform(size=(5, 4)) > 0.5).astype(np.float64)   # yes/no labels
    sigmoid = 1 / (1 + np.exp(-logits))                            # probabilities, not clipped
    known = {name: cls for name, cls in losses.LOSSES_BY_CLASS.items()
             if cls.__module__.startswith("glassnet.")}
    cases = [
        ("CategoricalCrossentropy", {"from_logits": True}, logits, labels, "fused: logits, integer labels"),
        ("CategoricalCrossentropy", {"from_logits": True}, logits, onehot, "fused: logits, one-hot labels"),
        ("CategoricalCrossentropy", {"from_logits": True}, logits, smooth, "fused: logits, smoothed labels"),
        ("CategoricalCrossentropy", {}, probs, labels, "not fused: probabilities, integer labels"),
        ("CategoricalCrossentropy", {}, probs, onehot, "not fused: probabilities, one-hot labels"),
        ("SparseCategoricalCrossentropy", {"from_logits": True}, logits, labels, "fused: logits"),
        ("SparseCategoricalCrossentropy", {}, probs, labels, "not fused: probabilities"),
        ("CategoricalCrossentropy", {"label_smoothing": 0.2}, probs, labels, "not fused: label_smoothing=0.2"),
        ("CategoricalCrossentropy", {}, 1.7 * probs, onehot, "not fused: rows not summing to 1"),
        ("MeanSquaredError", {}, logits, onehot, "one-hot targets"),
        ("MeanSquaredError", {}, logits, labels, "integer labels"),
        ("MeanSquaredError", {}, logits, targets, "real targets"),
        ("BinaryCrossentropy", {"from_logits": True}, logits, binary, "fused: logits, 0/1 labels"),
        ("BinaryCrossentropy", {"from_logits": True, "label_smoothing": 0.1}, logits, binary,
         "fused: logits, label_smoothing=0.1"),
        ("BinaryCrossentropy", {}, sigmoid, binary, "not fused: probabilities"),
        ("BinaryCrossentropy", {}, sigmoid[:, :1], binary[:, 0], "not fused: one output, (N,) labels"),
        ("MeanAbsoluteError", {}, logits, targets, "real targets"),
        ("Huber", {}, logits, targets, "delta=1"),
        ("Huber", {"delta": 0.3}, logits, targets, "delta=0.3"),
        ("KLDivergence", {}, probs, smooth, "probability rows"),
        ("LossFunction", {"fn": _log_cosh}, logits, targets, "a function of yours, its math recorded"),
        ("MeanSquaredLogarithmicError", {}, np.abs(logits) + 0.1, np.abs(targets), "positive values"),
        ("MeanAbsolutePercentageError", {}, logits, targets, "real targets"),
        ("LogCosh", {}, logits, targets, "real targets"),
        ("Poisson", {}, np.abs(logits) + 0.1, np.abs(np.round(targets * 3)), "rates and counts"),
        ("Hinge", {}, logits + 0.05, binary, "0/1 labels (read as -1/1)"),        # no kink at y p = 1
        ("SquaredHinge", {}, logits, 2 * binary - 1, "-1/1 labels"),
        ("CosineSimilarity", {}, logits, targets, "real targets"),
        ("BinaryFocalCrossentropy", {}, sigmoid, binary, "probabilities, gamma=2"),
        ("BinaryFocalCrossentropy", {"from_logits": True, "apply_class_balancing": True, "alpha": 0.3,
                                     "gamma": 1.5, "label_smoothing": 0.1}, logits, binary,
         "logits, class balancing, gamma=1.5, label_smoothing=0.1"),
        ("CategoricalFocalCrossentropy", {}, probs, onehot, "probabilities, one-hot labels"),
        ("CategoricalFocalCrossentropy", {"gamma": 3.0}, 1.7 * probs, labels, "rows not summing to 1, gamma=3"),
        ("CategoricalFocalCrossentropy", {"from_logits": True, "alpha": [0.1, 0.2, 0.3, 0.4],
                                          "label_smoothing": 0.2}, logits, onehot,
         "logits, alpha per class, label_smoothing=0.2"),
    ]
    checks = [Check(name, label, lambda name=name, kw=kw, p=p, t=t: check_loss(known[name](**kw), p, t))
              for name, kw, p, t, label in cases if name in known]
    # Sample weights: L = sum(w_i * l_i) / N, and the gradient scaled the same way.
    weights = rng.uniform(0.2, 2.0, 5)
    weighted = [
        ("SparseCategoricalCrossentropy", {"from_logits": True}, logits, labels),
        ("CategoricalCrossentropy", {}, probs, onehot),
        ("BinaryCrossentropy", {"from_logits": True}, logits, binary),
        ("MeanSquaredError", {}, logits, targets),
        ("Huber", {"reduction": "mean_with_sample_weight"}, logits, targets),
        ("KLDivergence", {"reduction": "sum"}, probs, smooth),
        ("BinaryFocalCrossentropy", {"from_logits": True}, logits, binary),
        ("CategoricalFocalCrossentropy", {"reduction": "mean_with_sample_weight"}, probs, onehot),
        ("LossFunction", {"fn": _log_cosh}, logits, targets),
    ]
    checks += [Check(name, f"sample_weight, {kw.get('reduction', 'sum_over_batch_size')}",
                     lambda name=name, kw=kw, p=p, t=t: check_loss(_With(known[name](**kw), sample_weight=weights), p, t))
               for name, kw, p, t in weighted if name in known]
    # CTC: logits (N, T, C), labels padded with -1, repeats (which need a blank between),
    # an empty label, a label as long as it can be; and shorter inputs (input_lengths).
    from glassnet.engine.ctc import CTCLoss

    sequences = rng.standard_normal((4, 8, 5))
    padded = np.array([[1, 2, 2, 3], [4, -1, -1, -1], [-1, -1, -1, -1], [3, 3, 3, 3]])
    steps = np.array([8, 5, 2, 7])
    checks += [
        Check("CTCLoss", "blank=0, labels padded with -1, repeats, an empty label",
              lambda: check_loss(CTCLoss(), sequences, padded, eps=1e-5)),
        Check("CTCLoss", "blank=4 (the last class)",
              lambda: check_loss(CTCLoss(blank=4), sequences, np.where(padded == 4, 0, padded), eps=1e-5)),
        Check("CTCLoss", "input_lengths 8, 5, 2, 7 (padded time steps)",
              lambda: check_loss(_With(CTCLoss(), input_lengths=steps), sequences, padded, eps=1e-5)),
    ]
    checks += _keras3_loss_checks(rng, logits, probs, labels, onehot, sigmoid, binary, weights)
    from glassnet.engine.ctc import CTC    # Keras 3's: labels padded with 0, the blank
    checks += [Check("CTC", f"Keras's: labels padded with 0, {reduction}",
                     lambda reduction=reduction: check_loss(CTC(reduction=reduction), sequences,
                                                            np.where(padded < 0, 0, padded), eps=1e-5))
               for reduction in ("sum_over_batch_size", "sum")]
    return checks


def _keras3_loss_checks(rng, logits, probs, labels, onehot, sigmoid, binary, weights):
    """Dice, Tversky, CategoricalHinge, Circle, CategoricalGeneralizedCrossEntropy."""
    from glassnet.engine import keras3_losses as k3

    masks = (rng.uniform(size=(5, 3, 4)) > 0.5).astype(np.float64)       # (N, H, W) segmentation masks
    soft = rng.uniform(0.05, 0.95, (5, 3, 4))
    embeddings = rng.standard_normal((6, 3))
    embeddings /= np.linalg.norm(embeddings, axis=1, keepdims=True)     # (N, D), unit length
    classes = np.array([0, 0, 1, 1, 1, 2])                              # class 2 alone: no loss
    cases = [
        ("Dice", k3.Dice(), sigmoid, binary, "axis=None: one value for the batch"),
        ("Dice", k3.Dice(axis=(1, 2)), soft, masks, "axis=(1, 2): one value per mask"),
        ("Dice", _With(k3.Dice(), sample_weight=weights), sigmoid, binary, "axis=None, sample_weight"),
        ("Dice", _With(k3.Dice(axis=-1), sample_weight=weights), sigmoid, binary, "axis=-1, sample_weight"),
        ("Tversky", k3.Tversky(0.3, 0.7), sigmoid, binary, "alpha=0.3, beta=0.7"),
        ("Tversky", _With(k3.Tversky(axis=(1, 2)), sample_weight=weights), soft, masks,
         "axis=(1, 2), sample_weight"),
        ("CategoricalHinge", k3.CategoricalHinge(), logits, onehot, "one-hot labels"),
        ("CategoricalHinge", _With(k3.CategoricalHinge(), sample_weight=weights), logits, labels,
         "integer labels, sample_weight"),
        ("CategoricalGeneralizedCrossEntropy", k3.CategoricalGeneralizedCrossEntropy(), probs, labels, "q=0.5"),
        ("CategoricalGeneralizedCrossEntropy", _With(k3.CategoricalGeneralizedCrossEntropy(0.2),
                                                     sample_weight=weights), probs, labels, "q=0.2, sample_weight"),
        ("Circle", k3.Circle(gamma=4.0, margin=0.3), embeddings, classes, "gamma=4, a class of one"),
        ("Circle", k3.Circle(gamma=2.0, remove_diagonal=False, reduction="sum"), 0.9 * embeddings, classes,
         "remove_diagonal=False, reduction='sum'"),
    ]
    return [Check(name, label, lambda loss=loss, p=p, t=t: check_loss(loss, p, t))
            for name, loss, p, t, label in cases]


def _log_cosh(y_true, y_pred):
    """A smooth loss glassnet doesn't have, written as a Keras user would (one value per
    sample), for :class:`~glassnet.engine.losses.LossFunction` (its math recorded and differentiated)."""
    return np.mean(np.log(np.cosh(y_pred - y_true)), axis=-1)


class _With:
    """A loss given fixed extra arguments on every ``forward`` (sample weights, input
    lengths), in the shape ``check_loss`` calls."""

    def __init__(self, loss, **arguments):
        self.loss, self.arguments = loss, arguments

    def forward(self, y_true, y_pred):
        return self.loss.forward(y_true, y_pred, **self.arguments)

    def backward(self):
        return self.loss.backward()


def _model_checks():
    from glassnet.engine.layers import Dense, Dropout, Flatten
    from glassnet.engine.model import Sequential
    from glassnet.engine.regularizers import l1, l2

    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((6, 3, 4)), np.array([0, 1, 2, 3, 4, 0])

    def _compiled(loss, *layers):
        model = Sequential([Flatten(input_shape=(3, 4)), *layers], seed=0)
        model.compile("sgd", loss)
        return model

    def run(loss, *layers):
        return check_model(_compiled(loss, *layers), x, y)

    checks, known = [], registered_layers()
    if {"Conv2D", "MaxPooling2D", "BatchNormalization"} <= set(known):
        images = rng.standard_normal((4, 6, 6, 1))
        model = Sequential([known["Conv2D"](2, 3, activation="relu", input_shape=(6, 6, 1)),
                            known["MaxPooling2D"](2), known["BatchNormalization"](), Flatten(),
                            Dense(3, activation="softmax")], seed=0)
        model.compile("sgd", "sparse_categorical_crossentropy")
        checks.append(Check("Sequential", "Conv2D(relu) > MaxPooling2D > BatchNormalization > Dense(softmax)",
                            lambda: check_model(model, images, y[:4] % 3)))
    return checks + _functional_checks() + _masked_checks() + [
        Check("Sequential", "Dense(softmax) + categorical_crossentropy, fused in training",
              lambda: run("categorical_crossentropy", Dense(5, activation="softmax"))),
        Check("Sequential", "Dense(relu, l2) > Dropout(0.5) > Dense(softmax) + sparse CE, fused",
              lambda: run("sparse_categorical_crossentropy", Dense(6, activation="relu",
                          kernel_regularizer=l2(0.01)), Dropout(0.5), Dense(5, activation="softmax"))),
        Check("Sequential", "Dense(tanh) > Dense(sigmoid) + mse, not fused",
              lambda: run("mse", Dense(6, activation="tanh"), Dense(5, activation="sigmoid"))),
        Check("Sequential", "activity_regularizer: Dense(relu, l1 on its output) > Dense(softmax, l2 "
                            "on the probabilities, so not fused)",
              lambda: run("sparse_categorical_crossentropy", Dense(6, activation="relu", activity_regularizer=l1(0.1)),
                          Dense(5, activation="softmax", activity_regularizer=l2(0.05)))),
        Check("Sequential", "Dense(gelu) > Dense(1, sigmoid) + binary_crossentropy",
              lambda: check_model(_compiled("binary_crossentropy", Dense(6, activation="gelu"),
                                            Dense(1, activation="sigmoid")), x, y % 2)),
    ]


def _compiled_graph(inputs, outputs):
    """A Functional model of ``inputs`` and ``outputs``, compiled with cross-entropy for a check."""
    from glassnet.engine.model import Model
    model = Model(inputs, outputs, seed=0)
    model.compile("sgd", "sparse_categorical_crossentropy")
    return model


def _functional_checks():
    """Graphs that are not chains: a residual block, a shared layer, Concatenate, two inputs."""
    from glassnet.engine.layers import Add, Bidirectional, Concatenate, Dense, Input, SimpleRNN, Subtract
    from glassnet.engine.model import Model

    rng = np.random.default_rng(4)
    x, x2, y = rng.standard_normal((6, 4)), rng.standard_normal((6, 3)), np.array([0, 1, 2, 0, 1, 2])

    def residual():
        inputs = Input(shape=(4,))
        h = Dense(4, activation="relu")(inputs)
        h = Add()([inputs, Dense(4)(h)])                       # x + f(x)
        return check_model(_compiled_graph(inputs, Dense(3, activation="softmax")(h)), x, y)

    def shared():
        inputs = Input(shape=(4,))
        layer = Dense(4, activation="tanh")
        h = layer(layer(inputs))                               # one Dense, called twice
        return check_model(_compiled_graph(inputs, Dense(3, activation="softmax")(h)), x, y)

    def concatenated():
        inputs = Input(shape=(4,))
        h = Concatenate()([Dense(3, activation="relu")(inputs), Dense(2, activation="tanh")(inputs)])
        return check_model(_compiled_graph(inputs, Dense(3, activation="softmax")(h)), x, y)

    def two_inputs():
        a, b = Input(shape=(4,)), Input(shape=(3,))
        h = Concatenate()([Dense(3, activation="tanh")(a), b])
        return check_model(_compiled_graph([a, b], Dense(3, activation="softmax")(h)), [x, x2], y)

    def siamese():
        inside = Input(shape=(4,))
        twice = Dense(4, activation="tanh")
        encoder = Model(inside, twice(twice(inside)), seed=1)  # a model that shares a layer itself
        a, b = Input(shape=(4,)), Input(shape=(4,))
        h = Subtract()([encoder(a), encoder(b)])                # the model called twice
        return check_model(_compiled_graph([a, b], Dense(3, activation="softmax")(h)), [x, x[::-1]], y)

    def shared_wrapper():
        a, b = Input(shape=(5, 2)), Input(shape=(5, 2))
        reader = Bidirectional(SimpleRNN(3))                    # its weights are in its sublayers
        h = Concatenate()([reader(a), reader(b)])
        return check_model(_compiled_graph([a, b], Dense(3, activation="softmax")(h)),
                           [sequences, sequences[::-1]], y)

    sequences = rng.standard_normal((6, 5, 2))

    def seq2seq():
        from glassnet.engine.layers import LSTM
        source, target = Input(shape=(5, 2)), Input(shape=(4, 2))
        _, h, c = LSTM(3, return_state=True)(source)            # the encoder's last states ...
        decoded = LSTM(3)(target, initial_state=[h, c])          # ... start the decoder
        head = Dense(3, activation="softmax")(Concatenate()([decoded, c]))   # c_T read twice
        return check_model(_compiled_graph([source, target], head), [sequences, sequences[:, :4, ::-1]], y)

    def states_both_ways():
        from glassnet.engine.layers import GRU
        inputs = Input(shape=(5, 2))
        steps, h = GRU(3, return_state=True, return_sequences=True, go_backwards=True)(inputs)
        again = SimpleRNN(3)(steps, initial_state=h)
        return check_model(_compiled_graph(inputs, Dense(3, activation="softmax")(Concatenate()([again, h]))),
                           sequences, y)

    def state_from_a_dense():
        from glassnet.engine.layers import GRU
        inputs, summary = Input(shape=(5, 2)), Input(shape=(4,))
        start = Dense(3, activation="tanh")(summary)             # learned: dL/dh_0 reaches it
        read = GRU(3, reset_after=False)(inputs, initial_state=start)
        return check_model(_compiled_graph([inputs, summary], Dense(3, activation="softmax")(read)), [sequences, x], y)

    def bidirectional_states():
        from glassnet.engine.layers import LSTM
        inputs = Input(shape=(5, 2))
        y_both, h_fwd, c_fwd, h_bwd, c_bwd = Bidirectional(LSTM(2, return_state=True))(inputs)
        return check_model(_compiled_graph(inputs, Dense(3, activation="softmax")(Concatenate()([y_both, c_fwd, h_bwd]))),
                           sequences, y)

    def bidirectional_apart():
        from glassnet.engine.layers import LSTM, Flatten
        inputs = Input(shape=(5, 2))
        y_fwd, y_bwd, h_fwd, c_fwd, h_bwd, c_bwd = Bidirectional(
            LSTM(2, return_sequences=True, return_state=True), merge_mode=None)(inputs)
        joined = Concatenate()([Flatten()(y_bwd), c_fwd, Flatten()(y_fwd)])
        return check_model(_compiled_graph(inputs, Dense(3, activation="softmax")(joined)), sequences, y)

    def bidirectional_started():
        from glassnet.engine.layers import LSTM
        inputs, summary = Input(shape=(5, 2)), Input(shape=(4,))
        states = [Dense(2, activation="tanh")(summary) for _ in range(4)]     # h, c of each reading
        read = Bidirectional(LSTM(2))(inputs, initial_state=states)
        return check_model(_compiled_graph([inputs, summary], Dense(3, activation="softmax")(read)), [sequences, x], y)

    def two_outputs():
        inputs = Input(shape=(4,))
        h = Dense(4, activation="tanh")(inputs)
        digit = Dense(3, activation="softmax", name="digit")(h)
        size = Dense(1, name="size")(Dense(2, activation="relu")(h))
        model = Model(inputs, [digit, size], seed=0)
        model.compile("sgd", ["sparse_categorical_crossentropy", "mse"], loss_weights=[1.0, 0.3])
        return check_model(model, x, [y, x[:, :1]])

    return [Check("Model", "residual block: x + Dense(Dense(x)), fused softmax", residual),
            Check("OutputLosses", "two outputs (softmax + cross-entropy, linear + MSE), loss_weights "
                                  "[1, 0.3]: both heads' gradients meet in the trunk", two_outputs),
            Check("Model", "one Dense layer shared by two calls: gradients summed", shared),
            Check("Model", "a model (sharing a layer inside) called on two inputs, as a siamese "
                           "network's encoder", siamese),
            Check("Model", "a Bidirectional layer shared by two calls", shared_wrapper),
            Check("Model", "two branches joined by Concatenate", concatenated),
            Check("Model", "sequence to sequence: an LSTM encoder's states (return_state) start an LSTM "
                           "decoder (initial_state); c_T also read by the head", seq2seq),
            Check("Model", "GRU(return_state, go_backwards, return_sequences) starts a SimpleRNN; h_T read "
                           "twice", states_both_ways),
            Check("Model", "GRU(reset_after=False) started from a Dense layer's output", state_from_a_dense),
            Check("Model", "Bidirectional(LSTM(return_state)): the merged output and two of the four "
                           "states", bidirectional_states),
            Check("Model", "Bidirectional(LSTM(return_sequences, return_state), merge_mode=None): both "
                           "readings apart, and a state", bidirectional_apart),
            Check("Model", "Bidirectional(LSTM) started from four Dense layers' outputs (initial_state)",
                  bidirectional_started),
            Check("Model", "two inputs, Concatenate", two_inputs)]


def _masked_checks():
    """Padded sequences (engine/masking.py): masked steps keep the recurrent state, the mean
    and the loss leave them out. Sequences padded after, before, and not at all; one is all
    padding. (Masking's own input gradient jumps where a feature reaches the mask value, so
    it is checked inside models, by the weights before and after it.)"""
    from glassnet.engine.layers import (GRU, LSTM, Bidirectional, Concatenate, Dense, Embedding,
                                        GlobalAveragePooling1D, Input, Masking, SimpleRNN)
    from glassnet.engine.initializers import RandomNormal

    def embedding():               # rows of size 1, not Keras's +-0.05: finite differences stay clear of noise
        return Embedding(7, 2, mask_zero=True, embeddings_initializer=RandomNormal(stddev=1.0))

    rng = np.random.default_rng(5)
    lengths = [5, 3, 0, 2, 4, 1]                 # one sequence with no real step at all
    words = np.zeros((6, 5))
    numbers = np.zeros((6, 5, 2))
    for row, length in enumerate(lengths):
        start = 0 if row % 2 else 5 - length     # padded after (odd rows) or before (even)
        words[row, start:start + length] = rng.integers(1, 7, length)
        numbers[row, start:start + length] = _away_from_zero((length, 2), seed=row)
    numbers[4, 2] = 0                            # a step left out in the middle (Masking)
    labels, tags = np.array([0, 1, 2, 0, 1, 2]), rng.integers(0, 3, (6, 5))

    def tagger():                  # one class per real step: the loss's mean is over those
        inputs = Input(shape=(5, 2))
        steps = LSTM(3, return_sequences=True)(Masking()(inputs))
        return check_model(_compiled_graph(inputs, Dense(3, activation="softmax")(steps)), numbers, tags)

    def gap_in_the_middle():       # the state passes over the masked step to the next real one
        inputs = Input(shape=(5, 2))
        read = SimpleRNN(3)(Masking()(inputs))
        return check_model(_compiled_graph(inputs, Dense(3, activation="softmax")(read)), numbers, labels)

    def zero_outputs():
        inputs = Input(shape=(5,))
        steps = GRU(3, return_sequences=True, zero_output_for_mask=True)(embedding()(inputs))
        return check_model(_compiled_graph(inputs, Dense(3, activation="softmax")(steps)), words, tags)

    def last_state():
        inputs = Input(shape=(5,))
        read = GRU(3, reset_after=False, go_backwards=True)(embedding()(inputs))
        return check_model(_compiled_graph(inputs, Dense(3, activation="softmax")(read)), words, labels)

    def both_ways_averaged():
        inputs = Input(shape=(5,))
        steps = Bidirectional(SimpleRNN(2, return_sequences=True))(embedding()(inputs))
        mean = GlobalAveragePooling1D()(Dense(3, activation="tanh")(steps))
        return check_model(_compiled_graph(inputs, Dense(3, activation="softmax")(mean)), words, labels)

    def started_and_returned():    # padding before the first real step shows zeros, keeps h_0
        inputs, summary = Input(shape=(5, 2)), Input(shape=(4,))
        start = [Dense(3, activation="tanh")(summary) for _ in range(2)]
        y, h, c = LSTM(3, return_state=True)(Masking()(inputs), initial_state=start)
        head = Dense(3, activation="softmax")(Concatenate()([y, h, c]))
        return check_model(_compiled_graph([inputs, summary], head), [numbers, rng.standard_normal((6, 4))], labels)

    def normalised_over_real_steps():   # the batch's statistics from the real steps only
        from glassnet.engine.layers import BatchNormalization
        inputs = Input(shape=(5, 2))
        steps = BatchNormalization()(GRU(3, return_sequences=True)(Masking()(inputs)))
        return check_model(_compiled_graph(inputs, Dense(3, activation="softmax")(steps)), numbers, tags)

    def attention_masked():        # padded keys get no weight; padded queries' outputs are 0
        from glassnet.engine.layers import Attention
        inputs, unmasked = Input(shape=(5,)), Input(shape=(5, 2))
        embedded = embedding()(inputs)
        read = Attention(use_scale=True)([Dense(2, activation="tanh")(embedded), embedded])
        every_step = Concatenate()([read, unmasked])       # real everywhere: every step's loss counts
        return check_model(_compiled_graph([inputs, unmasked], Dense(3, activation="softmax")(every_step)),
                           [words, numbers], tags)

    def heads_masked():            # and a padded query attends everywhere, as in a Keras model
        from glassnet.engine.layers import Add, MultiHeadAttention
        inputs = Input(shape=(5,))
        embedded = embedding()(inputs)
        read = MultiHeadAttention(2, 2, use_causal_mask=True)(embedded, Dense(2)(embedded))
        head = Dense(3, activation="softmax")(Add()([read, MultiHeadAttention(2, 2)(read, read)]))
        return check_model(_compiled_graph(inputs, head), words, tags)

    return [Check("Masking", "Masking -> LSTM(return_sequences) -> Dense per step: the loss's mean over the "
                             "real steps", tagger),
            Check("Masking", "Masking -> SimpleRNN: a step masked in the middle of a sequence", gap_in_the_middle),
            Check("Model", "Embedding(mask_zero) -> GRU(return_sequences, zero_output_for_mask)", zero_outputs),
            Check("Model", "Embedding(mask_zero) -> GRU(reset_after=False, go_backwards): the last real "
                           "step's state", last_state),
            Check("Model", "Embedding(mask_zero) -> Bidirectional(SimpleRNN) -> Dense -> GlobalAveragePooling1D "
                           "(masked mean)", both_ways_averaged),
            Check("Model", "Masking -> LSTM(initial_state from Dense layers, return_state): h_0 kept through "
                           "leading padding", started_and_returned),
            Check("BatchNormalization", "after a masked GRU: the training statistics of the real steps",
                  normalised_over_real_steps),
            Check("Attention", "Embedding(mask_zero) -> Attention(use_scale): padded keys and queries",
                  attention_masked),
            Check("MultiHeadAttention", "Embedding(mask_zero) -> MultiHeadAttention(causal), then another whose "
                                        "masks are taken off (Keras 3.15)", heads_masked)]


def catalogue():
    """Every check :func:`run_all` runs: layers, losses (fused and not) and whole models."""
    from glassnet.gradcheck.recorded import recorded_checks
    from glassnet.gradcheck.text import text_checks
    return _layer_checks() + _loss_checks() + _model_checks() + recorded_checks(Check) + text_checks(Check)


def uncatalogued(checks=None):
    """Built-in layer and loss classes that no check covers (each is a failure in the table)."""
    from glassnet.engine.losses import LOSSES_BY_CLASS

    covered = {check.component for check in (catalogue() if checks is None else checks)}
    builtin = set(registered_layers()) | {name for name, cls in LOSSES_BY_CLASS.items()
                                          if cls.__module__.startswith("glassnet.")}
    return sorted(builtin - covered)


def run_all(only=None):
    """Run the catalogue and return one :class:`Row` per check.

    Args:
        only: keep the components whose name contains this text (case-insensitive).
            Without it, every uncatalogued built-in class adds a failing row.
    """
    checks = catalogue()
    rows = []
    for check in checks:
        if only and only.lower() not in check.component.lower():
            continue
        try:
            report = check.run()
        except Exception as error:  # noqa: BLE001 - a crash is a failed check, shown in the table
            rows.append(Row(check.component, check.configuration, float("nan"), False,
                            f"raised {type(error).__name__}: {error}"))
            continue
        rows.append(Row(check.component, check.configuration, report.max_error, report.passed,
                        "; ".join(report.problems)))
    if not only:
        rows += [Row(name, "-", float("nan"), False, "no entry in the glassnet.gradcheck catalogue")
                 for name in uncatalogued(checks)]
    return rows
