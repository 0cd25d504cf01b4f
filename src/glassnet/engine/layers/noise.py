"""GaussianNoise, GaussianDropout, AlphaDropout, SpatialDropout1D and 2D: noise while
training, nothing after.

Like Dropout, each one makes training harder on purpose, so that the network can't lean
on any one exact value; at inference they let the input through unchanged.
"""

import numpy as np

from glassnet.engine.layers.base import Layer
from glassnet.engine.layers.dropout import Dropout
from glassnet.errors import ShapeError


class GaussianNoise(Layer):
    """Add zero-mean Gaussian noise while training::

        y = x + stddev * normal(0, 1)          (training)      dx = dy
        y = x                                  (inference)

    Args:
        stddev: the noise's standard deviation, >= 0 (0: nothing is added).

    Input and output shape: anything, unchanged.
    """

    supports_masking = True    # a mask passes through (engine/masking.py)

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not stddev >= 0:
            raise ValueError(f"GaussianNoise: stddev must be >= 0, got {stddev!r}")
        self.stddev = float(stddev)
        self.seed_with(seed)

    def forward(self, x, training=False):
        if not training or self.stddev == 0:
            return x
        return x + (self.stddev * self.draws.standard_normal(x.shape, dtype=np.float32)).astype(x.dtype)

    def backward(self, dy):
        return dy

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, **self.seed_config()}


class GaussianDropout(Layer):
    """Multiply by Gaussian noise of mean 1 while training (Srivastava et al., 2014, 10)::

        noise = 1 + sqrt(rate / (1 - rate)) * normal(0, 1)
        y = x * noise       dx = dy * noise    (training)
        y = x                                  (inference: the noise's mean is 1)

    It has the same variance as dropout with that ``rate``, without switching units off.

    Args:
        rate: in ``[0, 1)``, as Dropout's.
    """

    supports_masking = True

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate < 1:
            raise ValueError(f"GaussianDropout: rate must be in [0, 1), got {rate!r}")
        self.rate = float(rate)
        self.noise = None
        self.seed_with(seed)

    def forward(self, x, training=False):
        if not training or self.rate == 0:
            self.noise = None
            return x
        spread = np.sqrt(self.rate / (1 - self.rate))
        self.noise = (1 + spread * self.draws.standard_normal(x.shape, dtype=np.float32)).astype(x.dtype)
        return x * self.noise

    def backward(self, dy):
        return dy if self.noise is None else dy * self.noise

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, **self.seed_config()}


class SpatialDropout2D(Dropout):
    """Dropout of whole feature maps: each image loses each channel with probability
    ``rate`` while training, and the kept channels are scaled by ``1 / (1 - rate)``::

        mask = (uniform(N, 1, 1, C) >= rate) / (1 - rate)
        y = x * mask        dx = dy * mask     (training; y = x at inference)

    Neighbouring pixels of one feature map are strongly alike, so dropping single pixels
    (Dropout) hardly hides anything from the next convolution; dropping the whole map does.
    It is :class:`Dropout` with one draw per map instead of one per value.

    Args:
        rate: fraction of feature maps to drop, in ``[0, 1)``.

    Input and output: ``(N, H, W, C)``.
    """

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        if data_format not in (None, "channels_last"):
            raise ValueError(f"SpatialDropout2D: glassnet keeps images channels last; "
                             f"data_format={data_format!r} is not supported")
        super().__init__(rate, seed=seed, **kwargs)

    RANK = 2        # the axes one draw covers: an image's rows and columns

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        if len(self.input_shape) != self.RANK + 1:
            what = {1: "sequences (batch, steps, channels)", 2: "images (batch, height, width, channels)",
                    3: "volumes (batch, depth, height, width, channels)"}[self.RANK]
            raise ShapeError(f"layer '{self.name or type(self).__name__}' ({type(self).__name__}) needs {what} but got "
                             f"{('batch',) + tuple(self.input_shape)}")

    def forward(self, x, training=False):
        self.check_input(x)
        return super().forward(x, training)

    def mask_shape(self, x):
        return (len(x),) + (1,) * self.RANK + (x.shape[-1],)


class SpatialDropout1D(SpatialDropout2D):
    """Dropout of whole channels of a sequence: each sequence loses each channel (an
    embedding's feature, a Conv1D's filter) at every step at once, with probability ``rate``::

        mask = (uniform(N, 1, C) >= rate) / (1 - rate)
        y = x * mask        dx = dy * mask     (training; y = x at inference)

    Args:
        rate: fraction of channels to drop, in ``[0, 1)``.

    Input and output: ``(N, T, C)``.
    """

    RANK = 1

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)


class AlphaDropout(Dropout):
    """Dropout for self-normalizing networks (SELU activations; Klambauer et al., 2017).

    Plain dropout sets values to 0, which is not SELU's resting value, and so shifts the mean
    and variance the network keeps at 0 and 1. AlphaDropout sets dropped values to SELU's
    saturation instead, ``alpha' = -scale * alpha = -1.7581``, then restores mean and variance
    with an affine map, as Keras does::

        x~ = x * kept + alpha' * (1 - kept)              kept ~ Bernoulli(1 - rate)
        y = a * x~ + b     a = ((1 - rate) * (1 + rate * alpha'**2)) ** -0.5,  b = -a * alpha' * rate
        dx = a * kept * dy                                (training; y = x at inference)

    Args:
        rate: fraction of values to drop, in ``[0, 1)``.
    """

    ALPHA_P = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946

    def forward(self, x, training=False):
        if not training or self.rate == 0:
            self.mask = None
            return x
        kept = self.draws.random(x.shape) >= self.rate
        a = ((1 - self.rate) * (1 + self.rate * self.ALPHA_P ** 2)) ** -0.5
        b = -a * self.ALPHA_P * self.rate
        self.mask = (a * kept).astype(x.dtype)                   # dy/dx where kept, else 0
        return (self.mask * x + np.where(kept, 0.0, a * self.ALPHA_P) + b).astype(x.dtype)



class SpatialDropout3D(SpatialDropout2D):
    """Dropout of whole channels of a volume: each sample loses each channel at every
    position at once, with probability ``rate``::

        mask = (uniform(N, 1, 1, 1, C) >= rate) / (1 - rate)
        y = x * mask        dx = dy * mask     (training; y = x at inference)

    Args:
        rate: fraction of channels to drop, in ``[0, 1)``.
        data_format: only ``"channels_last"``.

    Input and output: ``(N, D, H, W, C)``.
    """

    RANK = 3
