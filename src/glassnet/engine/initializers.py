"""Weight initializers: where training starts.

If the first weights are too small, the signal shrinks layer by layer and the gradients
vanish; too large, and they explode. The fixes below choose the spread of the random
weights from the layer's fan-in (inputs per unit) and fan-out (outputs per unit) so that
the variance of the activations stays about the same from layer to layer.

* Glorot / Xavier (2010), for tanh and sigmoid: ``Var(W) = 2 / (fan_in + fan_out)``.
* He / Kaiming (2015), for ReLU, which zeroes half its inputs: ``Var(W) = 2 / fan_in``.

A uniform distribution on ``[-limit, limit]`` has variance ``limit**2 / 3``, which is where
the ``sqrt(6 / ...)`` limits come from. Every initializer takes the model's random
generator, so one seed fixes every weight.
"""

import numpy as np


def fans(shape):
    """``(fan_in, fan_out)`` of a weight: Dense ``(in, out)`` or Conv2D ``(kh, kw, c_in, c_out)``."""
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive_field = int(np.prod(shape[:-2]))  # kh * kw for a convolution kernel
    return shape[-2] * receptive_field, shape[-1] * receptive_field


def glorot_uniform(shape, rng):
    fan_in, fan_out = fans(shape)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape)


def glorot_normal(shape, rng):
    fan_in, fan_out = fans(shape)
    return rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), size=shape)


def he_uniform(shape, rng):
    fan_in, _ = fans(shape)
    limit = np.sqrt(6.0 / fan_in)
    return rng.uniform(-limit, limit, size=shape)


def he_normal(shape, rng):
    fan_in, _ = fans(shape)
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)


def small_random(shape, rng):
    """The textbook start: ``N(0, 0.01**2)``. Fine for one hidden layer, poor for deep nets."""
    return rng.normal(0.0, 0.01, size=shape)


def zeros(shape, rng=None):
    return np.zeros(shape)


def ones(shape, rng=None):
    return np.ones(shape)


INITIALIZERS = {
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "xavier_uniform": glorot_uniform,
    "xavier_normal": glorot_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
    "small_random": small_random,
    "zeros": zeros,
    "ones": ones,
}


def get(name):
    """Look an initializer up by name; a function ``f(shape, rng)`` is used as it is.

    The returned function first counts the weights it is about to make against the limit
    a model file sets while it is being loaded (see ``layers.base.weight_budget``), so a
    file that asks for a billion weights is refused before anything is allocated.
    """
    from glassnet.engine.layers.base import charge_weights

    if callable(name):
        fn = name
    elif name not in INITIALIZERS:
        raise ValueError(f"unknown initializer {name!r}; known: {', '.join(sorted(INITIALIZERS))}")
    else:
        fn = INITIALIZERS[name]

    def initialize(shape, rng=None):
        charge_weights(shape)
        return fn(shape, rng)

    initialize.__name__ = getattr(fn, "__name__", "initializer")
    return initialize
