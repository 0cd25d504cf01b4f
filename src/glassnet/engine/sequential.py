"""Sequential: a stack of layers, each feeding the next. The model of every first network.

A Sequential is a :class:`~glassnet.engine.model.Model` whose graph is a chain::

    Sequential([Flatten(input_shape=(28, 28)), Dense(128, activation="relu"), Dense(10)])

is the same network as::

    inputs = Input(shape=(28, 28))
    outputs = Dense(10)(Dense(128, activation="relu")(Flatten()(inputs)))
    Model(inputs, outputs)

so forward is "each layer in turn" and backward "each layer in reverse". The input shape
can be given by ``Input(shape)`` as the first entry, by ``input_shape=`` on the first
layer, or left out: the model is then built on the first data it sees.
"""

import numpy as np

from glassnet.engine.layers.base import Layer
from glassnet.engine.layers.input_layer import InputLayer, checked_shape
from glassnet.engine.model import Model, deserialize_layer, layer_class_name
from glassnet.engine import naming
from glassnet.engine.shapes import SampleShape, sample_shape, shape_fits
from glassnet.engine.symbolic import name_layers, names_inside
from glassnet.engine.random import new_seed
from glassnet.engine.symbolic import SymbolicTensor
from glassnet.engine.training import Trainer
from glassnet.errors import ShapeError


class Sequential(Model):
    """A model made of layers applied one after the other.

    Args:
        layers: list of layers (an ``Input(...)`` first is allowed); more with :meth:`add`.
        name: shown by :meth:`summary`.
        seed: seeds the model's random generator (weights, dropout, shuffling). None takes
            one from ``glassnet.utils.set_random_seed`` if it was called, else from the
            operating system, as Keras does.

    Example::

        model = Sequential([
            Input(shape=(28, 28)),
            Flatten(),
            Dense(128, activation="relu"), Dropout(0.2),
            Dense(10, activation="softmax"),
        ], seed=0)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(x_train, y_train, epochs=5, validation_split=0.2)
    """

    def __init__(self, layers=None, name=None, seed=None, trainable=True, **kwargs):
        Layer.__init__(self, name=name, trainable=trainable, **kwargs)
        self.needs_input_grad = False
        self.seed = seed
        self.rng = np.random.default_rng(seed if seed is not None else new_seed())
        Trainer.__init__(self)
        self._layers = []          # the stack, without the InputLayer
        self._input_layer = None
        self.built = False
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._maybe_build()

    # -- building -----------------------------------------------------------------------
    def add(self, layer, rebuild=True):
        """Put ``layer`` on top of the stack (an ``Input(...)`` only as the first entry)."""
        if isinstance(layer, SymbolicTensor) and isinstance(layer.node.layer, InputLayer):
            layer = layer.node.layer
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add expects a layer, got {type(layer).__name__}")
        if isinstance(layer, InputLayer):
            if self._layers or self._input_layer is not None:
                raise ValueError("Sequential: an Input can only be the first entry")
            self._input_layer = layer
            return
        if any(layer is other for other in self._layers):
            raise ValueError(f"Sequential: layer '{layer._display_name}' is already in the model; a layer can "
                             f"appear once in a Sequential (use the Functional API to share one)")
        self._layers.append(layer)
        name_layers(self._layers, names_inside(self._layers))
        self.sublayers = list(self._layers)
        if rebuild:
            self._maybe_build()

    def pop(self):
        """Remove the top layer."""
        if not self._layers:
            raise TypeError("Sequential.pop: there are no layers to remove")
        layer = self._layers.pop()
        self.sublayers = list(self._layers)
        self.built = False
        self._maybe_build()
        return layer

    def _declared_input_shape(self):
        """The input shape the model was given, sizes left open (None) included."""
        if self._input_layer is not None:
            return self._input_layer.input_shape
        first = self._layers[0] if self._layers else None
        return getattr(first, "input_shape", None) if first is not None and not isinstance(first, Model) \
            else (first.sample_shapes[0] if isinstance(first, Model) and first.built else None)

    def _known_input_shape(self):
        """The input shape (sizes left open as None), or None while it is unknown."""
        shape = self._declared_input_shape()
        return None if shape is None else SampleShape(shape)

    def _maybe_build(self):
        self.built = False
        if self._layers and self._known_input_shape() is not None:
            self.build()

    def build(self, input_shape=None, rng=None):
        """Build every layer for inputs of ``input_shape``: Keras's ``(None, 784)`` or
        glassnet's ``(784,)`` (no batch axis). Without it, the shape the first layer was
        given (``input_shape=`` or an Input)."""
        if rng is not None:
            self.rng = rng
        shape = sample_shape(input_shape) if input_shape is not None else self._known_input_shape()
        if not self._layers:
            raise ValueError(f"model '{self.name}' has no layers")
        if shape is None:
            raise ShapeError(f"model '{self.name}' doesn't know its input shape: start it with "
                             f"Input(shape=...) or pass input_shape= to the first layer")
        declared = self._known_input_shape()
        if declared is not None and not shape_fits(declared, shape):
            raise ShapeError(f"model '{self.name}' takes inputs of shape {(None,) + declared}, "
                             f"not {(None,) + tuple(shape)}")
        if self.built and tuple(shape) == self.sample_shapes[0]:
            return
        old_nodes = list(getattr(self, "_nodes", []))
        if self._input_layer is None or self._input_layer.input_shape != tuple(shape):
            # a TextVectorization first: strings in; an IntegerLookup: integers
            self._input_layer = InputLayer(shape=tuple(shape),         # "input_layer_1", as Keras makes one
                                           dtype=getattr(self._layers[0], "input_dtype", None) or "float32")
        x = self._input_layer.output
        for layer in self._layers:
            # Each layer's weights come from the model's generator, in order, so the
            # same seed gives the same model bit for bit.
            if not layer.built or layer.provisional:
                layer.build(x.sample_shape, self.rng)
                layer.provisional = False
            x = layer(x)
            if isinstance(x, list):
                raise ShapeError(f"model '{self.name}': layer '{layer._display_name}' ({type(layer).__name__}) gives "
                                 f"{len(x)} outputs, and each layer of a Sequential model gives one; use the "
                                 f"Functional API (Model(inputs, outputs)) for a layer with several outputs")
        for node in old_nodes:        # forget the calls of an earlier build
            if node.inputs and node in node.layer.nodes:
                node.layer.nodes.remove(node)
        self._init_graph(self._input_layer.output, x)
        naming.get_uid("functional")      # Keras builds a Functional model inside: the next is "functional_1"
        if self.optimizer is not None:   # compiled before its input shape was known, as Keras allows:
            self._fuse_output_activation()   # only now is there a final activation to fuse the loss with

    @property
    def layers(self):
        """The stack, without the InputLayer (as Keras's Sequential lists them)."""
        return list(self._layers)

    @property
    def input_shape(self):
        if self.built:
            return self.inputs[0].shape
        shape = self._known_input_shape()
        return None if shape is None else (None,) + tuple(shape)

    @input_shape.setter
    def input_shape(self, value):
        pass

    @property
    def output_shape(self):
        if not self.built:
            raise ValueError(f"model '{self.name}' isn't built yet, so its output shape is unknown")
        return self.outputs[0].shape

    def accepts(self, input_shape):
        return not self.built or shape_fits(self.sample_shapes[0], input_shape)

    def shape_after(self, input_shape):
        if not self.built:
            self.build(input_shape)
        return super().shape_after(input_shape)

    # -- configuration ---------------------------------------------------------------------
    @property
    def saved_as_graph(self):
        """True when a layer of the stack is a layer of layers (a ``Lambda``, a ``call()``
        that calls layers): the model ran the layers it traced, and is saved as that
        Functional graph, so its file needs none of those classes to load."""
        return self.built and any(layer.traces_call and not layer.records_call and not isinstance(layer, Model)
                                  for layer in self._layers)

    def get_config(self):
        if self.saved_as_graph:
            return Model.get_config(self)
        config = {"name": self.name, "trainable": self.trainable, "seed": self.seed,
                  "layers": [{"class_name": layer_class_name(layer), "config": layer.get_config()}
                             for layer in self._layers]}
        shape = self._known_input_shape()
        config["input_shape"] = None if shape is None else list(shape)
        batch = getattr(self._input_layer, "batch_size", None)       # Input(batch_shape=(16, ...))
        return config if batch is None else {**config, "batch_size": batch}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        layers = [deserialize_layer(spec, custom_objects) for spec in config["layers"]]
        model = cls(name=config.get("name"), seed=config.get("seed"), trainable=config.get("trainable", True))
        with naming.hidden():      # its InputLayer's name isn't in the config (Keras's, there, counts nothing)
            if config.get("batch_size") is not None and config.get("input_shape") is not None:
                first = getattr(layers[0], "input_dtype", None) if layers else None     # a TextVectorization's strings
                model.add(InputLayer(shape=tuple(config["input_shape"]), batch_size=config["batch_size"],
                                     dtype=first or "float32"))
            for layer in layers:
                model.add(layer, rebuild=False)
            if config.get("input_shape") is not None:
                model.build(SampleShape(checked_shape(f"model '{model.name}'", config["input_shape"], None)))
        if config.get("input_shape") is not None:
            for _ in layers:          # Keras's from_config builds once a layer: the counts it leaves
                naming.get_uid("functional")
        return model
