"""Keras 3's Wrapper base class and SpectralNormalization, a wrapper that keeps a layer's
kernel at spectral norm 1 (the GAN discriminators' stabiliser, Miyato et al., 2018)."""

import numpy as np

from glassnet.engine import initializers
from glassnet.engine.layers.base import Layer
from glassnet.engine.layers.wrappers import _layer_from_spec, _spec
from glassnet.engine.shapes import SampleShape
from glassnet.errors import ShapeError


class Wrapper(Layer):
    """Keras's base class for a layer that wraps another (``self.layer``): it builds the
    inner layer on its own input shape and saves it in its config (``"layer"``). Subclass it
    with ``forward``/``backward`` that call the inner layer's."""

    def __init__(self, layer, **kwargs):
        layer = _layer_from_spec(layer, type(self).__name__)
        if not isinstance(layer, Layer):
            raise ValueError(f"Layer {layer} supplied to Wrapper isn't a supported layer type. Please ensure "
                             f"wrapped layer is a valid Keras layer.")
        super().__init__(**kwargs)
        self.layer = layer
        self.sublayers = [self.layer]

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        if not self.layer.built:
            self.layer.dtype = self.dtype
            self.layer.build(SampleShape(self.input_shape), self.rng)

    def output_shape(self, input_shape):
        return self.layer.output_shape(input_shape)

    def forward(self, x, training=False):
        return self.layer.forward(x, training)

    def backward(self, dy):
        self.layer.needs_input_grad = self.needs_input_grad
        return self.layer.backward(dy)

    def get_config(self):
        return {**super().get_config(), "layer": _spec(self.layer)}


class SpectralNormalization(Wrapper):
    """Divide the wrapped layer's kernel by its largest singular value before each training
    step, as Keras 3 does.

    The largest singular value ``sigma`` of the kernel ``W``, seen as a matrix ``(rest, units)``,
    is estimated by power iteration from a vector ``u`` (1, units) kept between steps::

        v = normalize(u @ W^T);  u = normalize(v @ W)     # power_iterations times
        sigma = v @ W @ u^T
        W <- W / sigma                                     # in place, as Keras assigns it

    Only in training; in inference the layer runs with the kernel as it stands. As in Keras,
    the rescaling is not differentiated: the gradient is the wrapped layer's at the rescaled
    kernel (``u`` and ``v`` are constants), and a kernel of zeros is left alone.

    Args:
        layer: a layer with a ``kernel`` (Dense, Conv2D...) or ``embeddings`` (Embedding).
        power_iterations: the power iterations a step (1), > 0.
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if not power_iterations > 0:
            raise ValueError(f"`power_iterations` should be greater than zero. Received: "
                             f"`power_iterations={power_iterations}`")
        self.power_iterations = int(power_iterations)

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        self.kernel_name = next((name for name in ("kernel", "embeddings") if name in self.layer.params), None)
        if self.kernel_name is None:
            raise ShapeError(f"layer '{self._display_name}' (SpectralNormalization): {type(self.layer).__name__} "
                             f"object has no attribute 'kernel' nor 'embeddings'")
        units = self.layer.params[self.kernel_name].shape[-1]
        self.state["vector_u"] = np.asarray(initializers.TruncatedNormal(stddev=0.02)((1, units), self.rng),
                                            dtype=self.dtype)

    def forward(self, x, training=False):
        kernel = self.layer.params[self.kernel_name]
        if training and np.any(kernel != 0):
            self.normalize_kernel(kernel)
        return self.layer.forward(x, training)

    def normalize_kernel(self, kernel):
        """One step of the power iteration, then ``kernel /= sigma``, in place."""
        w = kernel.reshape(-1, kernel.shape[-1])                  # (rest, units)
        u = self.state["vector_u"]
        for _ in range(self.power_iterations):
            v = _unit(u @ w.T)                                    # (1, rest)
            u = _unit(v @ w)                                      # (1, units)
        sigma = (v @ w @ u.T).item()
        self.state["vector_u"][...] = u
        kernel /= kernel.dtype.type(sigma)

    def _own_weights(self):
        """Keras's order: the wrapped layer's kernel (the wrapper's ``self.kernel`` too), then
        ``u``; the inner layer then adds its bias: ``get_weights()`` is ``[kernel, u, bias]``."""
        if not self.built:
            return super()._own_weights()
        inner = self.layer
        return [(inner, self.kernel_name, inner.params[self.kernel_name], inner.trainable),
                *super()._own_weights()]

    def save_own_variables(self, store):
        """Keras's layout: the wrapper keeps the kernel too (its ``self.kernel``), then ``u``."""
        store["0"], store["1"] = self.layer.params[self.kernel_name], self.state["vector_u"]

    def load_own_variables(self, store):
        if len(store) != 2:
            raise ValueError(f"Layer '{self.name}' expected 2 variables, but received {len(store)} variables "
                             f"during loading")
        self.layer.params[self.kernel_name][...] = store["0"]
        self.state["vector_u"][...] = store["1"]

    def get_config(self):
        return {**super().get_config(), "power_iterations": self.power_iterations}


def _unit(x):
    """``x / max(|x|, 1e-7)``, the norm over the whole array (Keras's ``normalize(axis=None)``)."""
    return x / max(float(np.sqrt(np.sum(x * x))), 1e-7)
