"""The contract every layer keeps.

A network is a chain of layers. Training it needs two things from each layer:

* ``forward(x, training)``: turn a batch of inputs into a batch of outputs, and remember
  whatever the backward pass will need (the input, a mask, ...).
* ``backward(dy)``: given ``dy = dL/d(output)``, the gradient of the loss with respect to
  this layer's output, return ``dx = dL/d(input)`` and write ``dL/d(parameter)`` for each
  parameter into ``self.grads``. This is the chain rule, one layer at a time.

``backward`` never changes the weights (that is the optimizer's job) and never changes the
caller's ``dy``, so every gradient can be checked on its own against finite differences.

Parameters live in ``self.params`` and their gradients in ``self.grads``, two dicts with the
same keys. Both are filled *in place* (``self.grads["kernel"][...] = ...``) and never
rebound, because the model packs all of them into one flat buffer so that the optimizer can
update every weight of the network in a handful of vectorised NumPy calls.

Weights are made on first use: a layer learns its input shape from the data (or from
``input_shape=`` on the first layer) and ``build`` creates the weights then. Shapes never
include the batch axis: ``Dense(128)`` on 784 features has ``input_shape == (784,)``.

A layer may be made of other layers (``Bidirectional`` wraps two recurrent layers; a
model used as a layer holds its own). It lists them in ``self.sublayers``; the model finds
every weight by walking that tree (:meth:`Layer.walk`), so a wrapper never copies its
inner layers' weights into its own ``params``.

``trainable = False`` freezes a layer: its weights stay in ``params`` (they are still used
and saved) but the model's optimizer no longer moves them, as in Keras.
"""

import re
import warnings

import numpy as np

from glassnet.errors import ShapeError

# Every Layer subclass, by class name, so a saved model can be rebuilt from its config.
# Subclasses register themselves when Python creates the class (see __init_subclass__),
# which is also how a user's own custom layer becomes loadable.
LAYERS = {}


def snake_case(name):
    """``MaxPooling2D`` -> ``max_pooling2d``: the default name of a layer."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "_", name).lower()


class Layer:
    """Base class of all layers.

    Args:
        input_shape: shape of one sample, without the batch axis. Only needed on the first
            layer of a model, as in Keras: ``Flatten(input_shape=(28, 28))``.
        name: a name for ``summary()``; the model gives one if you don't.
        dtype: dtype of the weights. float32 by default; gradient checks use float64.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        LAYERS[cls.__name__] = cls

    def __init__(self, input_shape=None, name=None, dtype="float32", trainable=True, input_dim=None,
                 **unknown):
        if unknown:
            raise TypeError(f"{type(self).__name__}: unknown argument(s) "
                            f"{', '.join(f'{k}={v!r}' for k, v in unknown.items())}")
        if input_dim is not None:   # Keras 2: Dense(512, input_dim=784)
            warnings.warn(f"{type(self).__name__}: input_dim={input_dim} is Keras 2's spelling; "
                          f"use input_shape=({input_dim},)", DeprecationWarning, stacklevel=3)
            input_shape = (input_dim,)
        self.input_shape = None if input_shape is None else tuple(int(d) for d in input_shape)
        self.name = name
        self.sublayers = []  # the layers this one is made of, if any (see the module docstring)
        self.dtype = dtype
        self.params = {}   # learned weights, e.g. {"kernel": W, "bias": b}
        self.grads = {}    # dL/d(weight), same keys and shapes as params
        self.state = {}    # arrays that are not learned but saved (batch-norm statistics)
        self.built = False
        self.rng = None    # the model's np.random.Generator, handed over in build()
        self.trainable = trainable
        # The first layer of a model needs no gradient for its input (the pixels are not
        # learned), so the model switches this off there and saves a matrix multiply.
        self.needs_input_grad = True

    # -- properties that a wrapper passes on to the layers inside it --------------------
    @property
    def dtype(self):
        return self._dtype

    @dtype.setter
    def dtype(self, value):
        self._dtype = np.dtype(value)
        for layer in self.sublayers:
            layer.dtype = self._dtype

    @property
    def trainable(self):
        """False freezes the layer (and every layer inside it): the optimizer skips its weights."""
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for layer in self.sublayers:
            layer.trainable = value

    def walk(self):
        """This layer, then every layer inside it, depth first."""
        yield self
        for layer in self.sublayers:
            yield from layer.walk()

    # -- building -----------------------------------------------------------------------
    def build(self, input_shape, rng=None):
        """Create the weights for inputs of ``input_shape`` (no batch axis)."""
        self.input_shape = tuple(int(d) for d in input_shape)
        self.rng = rng if rng is not None else np.random.default_rng()
        self.built = True

    def add_param(self, name, value):
        """Register a trainable weight and a zero gradient of the same shape."""
        self.params[name] = np.asarray(value, dtype=self.dtype)
        self.grads[name] = np.zeros_like(self.params[name])

    def output_shape(self, input_shape):
        """Shape of one output sample for one input sample of ``input_shape``."""
        return tuple(input_shape)

    def check_input(self, x):
        """Raise a clear ShapeError if ``x`` does not fit the shape this layer was built for."""
        if self.built and tuple(x.shape[1:]) != self.input_shape:
            raise ShapeError(
                f"layer '{self.name}' expects input of shape {('batch',) + self.input_shape} "
                f"but got {tuple(x.shape)}"
            )

    # -- the two passes -----------------------------------------------------------------
    def forward(self, x, training=False):
        raise NotImplementedError

    def backward(self, dy):
        raise NotImplementedError

    def __call__(self, x, training=False):
        """Run ``forward``, building the weights first if this is the first call."""
        x = np.asarray(x)
        if not self.built:
            self.build(x.shape[1:], self.rng)
        return self.forward(x, training=training)

    # -- bookkeeping --------------------------------------------------------------------
    def regularization_loss(self):
        """The weight penalty this layer adds to the loss (0 unless it has a regularizer)."""
        return 0.0

    # -- weights, the Keras way -----------------------------------------------------------
    @property
    def weights(self):
        """Every weight array, in Keras's order: each layer's learned weights, then its
        non-learned state (batch norm: gamma, beta, moving_mean, moving_variance), layer by
        layer through :meth:`walk`. The arrays themselves, not copies."""
        return [array for layer in self.walk()
                for array in (*layer.params.values(), *layer.state.values())]

    @property
    def trainable_weights(self):
        """The weights the optimizer moves: ``params`` of every layer that is trainable."""
        return [array for layer in self.walk() if layer.trainable for array in layer.params.values()]

    @property
    def non_trainable_weights(self):
        """Everything else: ``state``, and the ``params`` of frozen layers."""
        trainable = {id(a) for a in self.trainable_weights}
        return [a for a in self.weights if id(a) not in trainable]

    def get_weights(self):
        """Copies of :attr:`weights` (a list of NumPy arrays), as Keras returns them."""
        return [array.copy() for array in self.weights]

    def set_weights(self, weights):
        """Write ``weights`` (as :meth:`get_weights` returns them) into the layer, in place."""
        set_arrays(self.weights, weights, f"layer '{self.name}'")

    def count_params(self):
        """How many numbers :attr:`weights` holds (learned or not), as Keras counts them."""
        return sum(array.size for array in self.weights)

    def get_config(self):
        """The constructor arguments that rebuild this layer (JSON-friendly)."""
        config = {"name": self.name}
        if self.input_shape is not None:
            config["input_shape"] = list(self.input_shape)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r})"


def set_arrays(targets, values, owner):
    """Copy each of ``values`` into the matching array of ``targets``, in place, or raise a
    one-line ValueError naming ``owner`` when the count or a shape does not match."""
    values = list(values)
    if len(values) != len(targets):
        raise ValueError(f"{owner}: set_weights got {len(values)} arrays but the weights are "
                         f"{len(targets)} ({', '.join(str(t.shape) for t in targets) or 'none'})")
    for i, (target, value) in enumerate(zip(targets, values)):
        value = np.asarray(value)
        if value.shape != target.shape:
            raise ValueError(f"{owner}: set_weights array {i} has shape {value.shape}, "
                             f"expected {target.shape}")
        target[...] = value
