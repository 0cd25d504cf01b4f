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

import contextlib
import copy
import functools
import inspect
import math
import re
import warnings

import numpy as np

from glassnet.engine.naming import auto_name, hiding
from glassnet.engine.shapes import SampleShape, sample_shape, shape_fits
from glassnet.engine.tensor import Tensor, as_tensor
from glassnet.engine.variables import Variable
from glassnet.errors import ModelFileError, ShapeError

# Every Layer subclass, by class name, so a saved model can be rebuilt from its config.
# Subclasses register themselves when Python creates the class (see __init_subclass__),
# which is also how a user's own custom layer becomes loadable.
LAYERS = {}

# Keras's dtype "string" (an Input of text): arrays of Python str, kept as they are.
STRING = np.dtype(object)


def snake_case(name):
    """The default name of a layer, by Keras's rule (its ``to_snake_case``), so that
    ``model.get_layer("p_re_lu")`` finds the same layer in both::

        >>> [snake_case(n) for n in ("MaxPooling2D", "LeakyReLU", "PReLU", "SEBlock")]
        ['max_pooling2d', 'leaky_re_lu', 'p_re_lu', 'se_block']

    A capital that starts a word (a capital and small letters) gets an ``_`` before it,
    then so does a capital after a small letter.
    """
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


class Layer:
    """Base class of all layers.

    Args:
        input_shape: shape of one sample, without the batch axis. Only needed on the first
            layer of a model, as in Keras: ``Flatten(input_shape=(28, 28))``.
        name: a name for ``summary()``; without one, the class's in snake case, numbered
            across the session as Keras numbers it (``dense``, ``dense_1``: see
            :mod:`glassnet.engine.naming`).
        dtype: dtype of the weights. float32 by default; gradient checks use float64.
    """

    # A merge layer (Add, Concatenate) takes a *list* of inputs: forward gets a list of
    # arrays, backward returns a list of gradients, and shapes come as lists too.
    takes_list = False
    # Masks (glassnet.engine.masking): a layer that passes a mask on unchanged (each time
    # step on its own: Dense, Dropout), or computes its own (compute_mask), supports_masking;
    # one whose forward (or call) takes mask= is given it (uses_mask: LSTM, GlobalAveragePooling1D).
    supports_masking = False
    uses_mask = False
    # A layer of layers (a call() that calls them, no forward): set for each subclass below.
    traces_call = False
    steps_only = False       # a Model with no call(), trained by its own train_step (engine/model.py)
    # A layer whose call() computes (weights of its own, math on its input): one step of the
    # graph, run recorded and differentiated (glassnet.engine.recording). Set when first called.
    records_call = False
    # A random augmentation layer (RandomFlip, RandomRotation...) augments when it is called
    # without training= (on its own, or in model(x)), as Keras's call(inputs, training=True)
    # does; fit trains with it on, predict and evaluate run it off.
    augments_by_default = False
    # A layer given seed= draws its random numbers from a generator of its own (seed_with).
    seed = None
    activity_regularizer = None
    named_quietly = False     # named inside naming.hidden(): renamed rather than clash with yours
    generator = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        LAYERS[cls.__name__] = cls
        # Keras's way to make a layer of layers: a call() that calls them, and no forward.
        # In a model, the layers it calls take its place (see glassnet.engine.tracing).
        from glassnet.engine.tracing import defines_call
        cls.traces_call = defines_call(cls, Layer) and cls.forward is Layer.forward
        _refuse_a_call_over_a_built_in_forward(cls)
        # A layer class of your own adopts the keras.Variable it holds as a weight
        # (_adopting_setattr). glassnet's layers hold none, and set attributes in every
        # forward pass (self.x = x), so they keep Python's plain, faster setattr.
        if not cls.__module__.startswith("glassnet."):
            cls.__setattr__ = Layer._adopting_setattr
        # Keras's rules, for glassnet's layers and yours: one that says what its output's
        # mask is (compute_mask) supports masking; one that takes mask= is given the mask.
        if "supports_masking" not in vars(cls) and cls.compute_mask is not Layer.compute_mask:
            cls.supports_masking = True
        if "uses_mask" not in vars(cls):
            cls.uses_mask = _takes_mask(cls.forward if cls.forward is not Layer.forward else getattr(cls, "call", None))
        if "build" in vars(cls) and _keras_signature(vars(cls)["build"]):
            cls.build = _keras_build(vars(cls)["build"])

    def __new__(cls, *args, **kwargs):
        layer = super().__new__(cls)
        if not cls.__module__.startswith("glassnet."):     # a class of yours: Keras's automatic config
            from glassnet.engine.layers.auto_config import remember_arguments
            remember_arguments(layer, args, kwargs)
        return layer

    def __init__(self, input_shape=None, name=None, dtype="float32", trainable=True, input_dim=None,
                 activity_regularizer=None, autocast=True, **unknown):
        # autocast: Keras's mixed-precision switch (a custom layer's config carries it); glassnet
        # computes in the layer's one dtype, so there is nothing to switch.
        if unknown:
            raise TypeError(f"{type(self).__name__}: unknown argument(s) "
                            f"{', '.join(f'{k}={v!r}' for k, v in unknown.items())}")
        if input_dim is not None:   # Keras 2: Dense(512, input_dim=784)
            warnings.warn(f"{type(self).__name__}: input_dim={input_dim} is Keras 2's spelling; "
                          f"use input_shape=({input_dim},)", DeprecationWarning, stacklevel=3)
            input_shape = (input_dim,)
        # None: a size left open (Keras's LSTM(64, input_shape=(None, 28)): any number of time
        # steps); a Sequential fixes it at its first data (Sequential.build)
        self.input_shape = None if input_shape is None else tuple(None if d is None else int(d) for d in input_shape)
        self.name = name if name is not None else auto_name(self._base_name())
        if name is None and hiding():    # named for glassnet's own use: yields to a layer of yours
            self.named_quietly = True
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
        self.nodes = []           # its calls in Functional graphs (see engine/symbolic.py)
        # A penalty on the layer's *output* (Keras's activity_regularizer): regularizer(y) / N
        # joins the loss; see activity_loss. None for most layers.
        from glassnet.engine import regularizers
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.provisional = False  # weights made by a symbolic call, redrawn by the model

    def _adopting_setattr(self, name, value):
        """``self.v = keras.Variable(...)`` in a layer of your own makes ``v`` one of the
        layer's weights, as in Keras: learned if the variable is trainable (Keras's default),
        else kept with the layer's state. The attribute is then a view of that weight, as
        ``add_weight`` returns."""
        if isinstance(value, Variable) and "params" in self.__dict__:
            value = self._adopt(value)
        object.__setattr__(self, name, value)

    def _adopt(self, variable):
        """A :class:`Variable` as one of this layer's weights, under its name (made unique)."""
        name, i = variable.name, 0
        while name in self.params or name in self.state:
            i += 1
            name = f"{variable.name}_{i}"
        if "_built_unnamed" in self.__dict__:      # made by build(): made again, not doubled, by a rebuild
            self._built_unnamed.append(name)
        if variable.trainable:
            self.add_param(name, variable.value)
            array = self.params[name]
        else:
            array = self.state[name] = np.asarray(variable.value, dtype=self.dtype)
        view = as_tensor(array)
        view.name, view.trainable = name, bool(variable.trainable)
        return view

    # -- properties that a wrapper passes on to the layers inside it --------------------
    @property
    def dtype(self):
        return self._dtype

    @dtype.setter
    def dtype(self, value):
        name = getattr(value, "name", value)            # a Keras DTypePolicy has its name
        if name == "string":     # Input(shape=(1,), dtype="string"): text for a TextVectorization
            self._dtype = STRING
            return
        if isinstance(name, str) and name.startswith("mixed_"):
            raise ValueError(f"{type(self).__name__}: dtype={name!r} is mixed precision, which glassnet "
                             f"doesn't do (it is for GPUs); its layers compute in float32")
        try:
            self._dtype = np.dtype(name)
        except TypeError:
            raise ValueError(f"{type(self).__name__}: dtype={value!r} is not a NumPy dtype "
                             f"('float32', the default, or 'float64')") from None
        for layer in self.sublayers:
            layer.dtype = self._dtype

    @property
    def trainable(self):
        """False freezes the layer (and every layer inside it): the optimizer skips its weights."""
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for layer in self.tracked_layers():
            layer.trainable = value

    def tracked_layers(self):
        """The layers directly inside this one, as Keras tracks them. A layer of layers (its
        call() calls them) used on its own holds them as attributes. A model of your own holds
        them too, even one its call() never uses (keras.io's Distiller holds a teacher that
        only its compute_loss calls): the layers it holds, in the order they were set, then
        the other layers of the graph its call() was traced into (an Add for ``x + y``)."""
        inner = self.sublayers
        if self.traces_call or self.steps_only:
            from glassnet.engine.model import Model
            from glassnet.engine.recording import held_layers
            if isinstance(self, Model) and not self.steps_only:
                held = held_layers(self)
                inner = held + [layer for layer in inner if not any(layer is h for h in held)]
            elif not inner:
                inner = held_layers(self)
        return inner

    def walk(self):
        """This layer, then every layer inside it (:meth:`tracked_layers`), depth first, each
        once: a layer reached twice (a model's and its block's) counts once, as in Keras."""
        return _walk(self, set())

    # -- building -----------------------------------------------------------------------
    def build(self, input_shape, rng=None):
        """Create the weights for inputs of ``input_shape`` (no batch axis; Keras's leading
        ``None`` is dropped; a list of shapes for a layer called on several inputs).
        ``rng``: the model's generator (default: the one the layer has)."""
        self.input_shape = sample_shape(input_shape)
        if rng is not None or self.rng is None:
            self.rng = rng if rng is not None else np.random.default_rng()
        self.built = True

    def seed_with(self, seed):
        """Keras's ``seed=`` on a layer that draws random numbers (dropout masks, noise,
        augmentation): a generator of its own, seeded so. Without one the layer draws from
        the model's generator, which the model's seed fixes. Its state is saved with the
        model (``ModelState.get_training_state``), so a resumed run draws on as before."""
        self.seed = seed
        self.generator = None if seed is None else np.random.default_rng(seed)

    @property
    def draws(self):
        """The generator this layer's random numbers come from: its own, or the model's."""
        return self.generator if self.generator is not None else self.rng

    def seed_config(self):
        """``{"seed": seed}`` for get_config when a seed was given, else nothing."""
        return {} if self.seed is None else {"seed": self.seed}

    def add_param(self, name, value):
        """Register a learned weight and a zero gradient of the same shape."""
        value = np.asarray(value, dtype=self.dtype)     # (ascontiguousarray would make a 0-d weight 1-d)
        self.params[name] = value if value.flags.c_contiguous else np.ascontiguousarray(value)
        self.grads[name] = np.zeros_like(self.params[name])

    def move_param(self, name, array):
        """Keep weight ``name`` in ``array`` from now on (its values copied there first by
        the caller), and point every attribute that held the old array (a Keras-style
        ``self.w = self.add_weight(...)``) at the new one, so ``self.w`` stays the weight."""
        old = self.params[name]
        self.params[name] = array
        for attribute, value in list(vars(self).items()):
            if value is old:
                setattr(self, attribute, array)
            elif holds(value, old):                # the view add_weight handed out
                setattr(self, attribute, as_tensor(array))

    def add_weight(self, name=None, shape=None, initializer=None, trainable=True, dtype=None,
                   regularizer=None, constraint=None, **keras_options):
        """Keras's way to make a weight: Keras 3's ``add_weight(shape=(D, U),
        initializer="glorot_uniform", name="kernel")`` (or its positional ``add_weight((D, U))``),
        or the older ``add_weight("kernel", (D, U), "glorot_uniform")``.

        Learned weights (``trainable=True``) go to ``params`` with a gradient; others to
        ``state``. No initializer: Keras 3's default, ``"glorot_uniform"``. A regularizer
        is applied as ``kernel_regularizer=`` is on Dense. The size is checked *before*
        anything is allocated, so a model file that asks for a billion weights is refused
        instead of filling the memory.
        """
        from glassnet.engine import initializers, regularizers

        owner = f"{type(self).__name__}.add_weight"
        if name is not None and not isinstance(name, str):    # Keras 3's order: (shape, initializer, ...)
            name, shape, initializer = None, name, shape if initializer is None else initializer
        if shape is None:
            raise ValueError(f"{owner}: shape= is required")
        if constraint is not None:
            raise ValueError(f"{owner}: constraint= is not supported by glassnet")
        unknown = {k: v for k, v in keras_options.items()
                   if k not in ("autocast", "aggregation", "synchronization", "use_resource")}
        if unknown:
            raise TypeError(f"{owner}: unknown argument(s) {', '.join(sorted(unknown))}")
        if name is None:                                      # Keras 3 names them "variable", ...
            name, i = "variable", 0
            while name in self.params or name in self.state:
                i += 1
                name = f"variable_{i}"
            if "_built_unnamed" in self.__dict__:             # made by build(): made again by a rebuild
                self._built_unnamed.append(name)
        shape = tuple(int(d) for d in shape)
        value = initializers.get(initializer or "glorot_uniform")(shape, self.rng)   # counted against the budget there
        if trainable:
            self.add_param(name, value)
        else:
            self.state[name] = np.asarray(value, dtype=self.dtype)
        if regularizer is not None:
            setattr(self, f"{name}_regularizer", regularizers.get(regularizer))
        # A view that answers .numpy() and .name, as a Keras variable does (self.alpha.numpy())
        view = as_tensor(self.params[name] if trainable else self.state[name])
        view.name, view.trainable = name, bool(trainable)
        return view

    def output_shape(self, input_shape):
        """Shape of one output sample for one input sample of ``input_shape``."""
        if type(self).compute_output_shape is not Layer.compute_output_shape:   # Keras's way, given
            return tuple(self.compute_output_shape((None,) + tuple(input_shape)))[1:]
        if self.records_call:                  # call() computes: run it once and see
            from glassnet.engine import recording
            return recording.output_shape(self, input_shape)
        return tuple(input_shape)

    def compute_output_shape(self, input_shape):
        """Keras's name for :meth:`output_shape`, with the batch axis: ``(None, 784) -> (None, 128)``.
        A Keras-style layer may define this instead of ``output_shape``."""
        if self.takes_list:
            return (None,) + tuple(self.shape_after([tuple(s)[1:] for s in input_shape]))
        shape = tuple(input_shape)
        return (shape[0] if shape else None,) + tuple(self.shape_after(shape[1:]))

    def shape_after(self, input_shape):
        """What the framework asks: :meth:`output_shape` (a model, whose ``output_shape`` is
        Keras's property, answers from its graph)."""
        return self.output_shape(input_shape)

    def check_input(self, x):
        """Raise a clear ShapeError if ``x`` (a list, for a layer that takes several inputs)
        does not fit the shape this layer was built for."""
        if self.takes_list:
            if self.built and not self.accepts([v.shape[1:] for v in x]):
                raise ShapeError(f"layer '{self.name or type(self).__name__}' expects inputs of shapes "
                                 f"{[(None,) + tuple(s) for s in self.input_shape]} but got {[v.shape for v in x]}")
            return
        if self.built and not self.accepts(x.shape[1:]):
            raise ShapeError(
                f"layer '{self.name or type(self).__name__}' expects input of shape {('batch',) + self.input_shape} "
                f"but got {tuple(x.shape)}"
            )

    def accepts(self, input_shape):
        """Whether this built layer can run on inputs of ``input_shape`` (one sample's)."""
        if self.takes_list:
            return len(input_shape) == len(self.input_shape) and all(
                shape_fits(built, given) for built, given in zip(self.input_shape, input_shape))
        return shape_fits(self.input_shape, input_shape)

    # -- images of any size (engine/shapes.py) -------------------------------------------
    def fit_declared_size(self):
        """For a layer that prepares work from its images' size (``fit_image(shape)``: the
        padding, the windows): prepare it now if the size is known; a size left open is
        fitted to each batch instead (:meth:`fit_batch`)."""
        self.image = None
        if None not in self.input_shape:
            self.fit_image(self.input_shape)

    def fit_batch(self, x):
        """Fit to this batch's images, unless they have the size fitted last (one comparison)."""
        if x.shape[1:] != self.image:
            self.fit_image(x.shape[1:])

    # -- the two passes -----------------------------------------------------------------
    def forward(self, x, training=False, mask=None):
        if self.traces_call and not self.records_call and (self.params or self.state):
            from glassnet.engine import recording     # weights of its own: call() computes
            recording.start_recording(self, x)
        if self.records_call:    # call() computes: run it recorded (glassnet.engine.recording)
            from glassnet.engine import recording
            return recording.forward(self, x, training, mask)
        if self.traces_call:     # a layer of layers, run on its own: its call() on the data
            from glassnet.engine.tracing import run_call
            for layer in self.walk():        # each call's add_loss terms replace the last call's, as in Keras
                layer.__dict__.pop("added_losses", None)
            y = run_call(self, x, training, mask)
            return [np.asarray(one) for one in y] if isinstance(y, (list, tuple)) else np.asarray(y)
        raise NotImplementedError(f"{type(self).__name__} has no forward(): a custom layer computes "
                                  f"its output in forward and its gradients in backward "
                                  f"(docs/custom_layers.md), or calls other layers in call()")

    def backward(self, dy):
        if self.records_call:    # back through the record its forward made
            from glassnet.engine import recording
            return recording.backward(self, dy)
        if self.traces_call:
            raise NotImplementedError(f"{type(self).__name__} is a layer of layers (call() calls them): "
                                      f"put it in a model, where the layers it calls learn in its place")
        raise NotImplementedError(f"{type(self).__name__} has no backward(): a custom layer needs one "
                                  f"to be trained (docs/custom_layers.md)")

    def __call__(self, inputs=None, training=None, mask=None, **tensors):
        """``layer(x)``: run the layer on a batch, as Keras does.

        On arrays it builds the weights if needed and returns ``forward(x)`` (inference
        unless ``training=True``). On the placeholders of the Functional API
        (``Input(...)``) it computes nothing: it records the call and returns a placeholder
        for the output (see :mod:`glassnet.engine.symbolic`).

        Masks: on arrays, the output of a layer that makes or passes on a mask carries it
        as ``_keras_mask`` (Keras's attribute), and the next layer called on it reads it;
        ``mask=`` gives one explicitly. In a model, masks flow by themselves.

        A layer of your own whose ``call()`` takes several tensors is given them as Keras
        gives them: ``endpoint(targets, logits)`` or ``endpoint(targets, logits=logits)``.
        """
        from glassnet.tf_ragged import is_ragged
        if is_ragged(inputs):        # rows of different lengths (tf.strings.unicode_split's): row by row
            return inputs.map_rows(lambda row: np.asarray(self(row, training=training)))
        from glassnet.engine import recording, symbolic

        if inputs is None and not tensors:
            raise TypeError(f"{type(self).__name__} was called without an input: layer(x)")
        if tensors or (_is_tensor(training) and spreads_call(self, 2)):
            # keras.io's LogisticEndpoint()(targets, logits), or (targets, logits=logits): a
            # call() of several tensors takes them as one list of inputs, and gets them back
            # one by one (tracing.run_call)
            positional = ([] if inputs is None else [inputs]) + ([training] if _is_tensor(training) else [])
            training = None if _is_tensor(training) else training
            inputs = tensors_in_call_order(self, positional, tensors)
        if isinstance(inputs, _Spread):             # (also a saved graph's call, rebuilt)
            inputs = list(inputs)
            self.takes_list = self.spreads_inputs = True
        if vars(self).get("input_spec") is not None:     # Keras's InputSpec, set by a layer of yours
            from glassnet.engine.layers.input_spec import assert_input_compatibility
            assert_input_compatibility(self.input_spec, inputs, self._display_name)
        if symbolic.is_symbolic(inputs):
            if mask is not None:
                raise NotImplementedError(f"{type(self).__name__}: mask= in a Functional model is not supported "
                                          f"by glassnet; masks made by Embedding(mask_zero=True) or Masking "
                                          f"flow through the model by themselves")
            return symbolic.call_symbolically(self, inputs, training)
        if recording.is_value(inputs) or recording.recording_now():   # inside recorded math: a step of the record
            return recording.call_layer(self, inputs, training)
        if training is None and self.augments_by_default:
            training = True
        if self.takes_list:
            x = [self._as_input(v) for v in inputs]
            shape = [v.shape[1:] for v in x]
        else:
            x = self._as_input(inputs)
            shape = x.shape[1:]
        if not self.built:
            from glassnet.engine.random import new_seed
            self.build(shape, self.rng or np.random.default_rng(new_seed()))
        if mask is None:            # the mask the input carries (a layer's output on arrays)
            mask = [getattr(v, "_keras_mask", None) for v in inputs] if self.takes_list \
                else getattr(inputs, "_keras_mask", None)
        given = any(m is not None for m in mask) if self.takes_list else mask is not None
        y = self.forward(x, training=bool(training), mask=mask) if given and self.uses_mask \
            else self.forward(x, training=bool(training))
        out_mask = self.output_mask(x, mask, given)
        if isinstance(y, (list, tuple)):          # several outputs (a model inside, a call() of your own)
            y = [as_tensor(one) for one in y]
            if out_mask is not None:
                for one, m in zip(y, out_mask if isinstance(out_mask, (list, tuple)) else [out_mask]):
                    one._keras_mask = m
            return y
        y = as_tensor(y)                          # answers .numpy(), as in TensorFlow
        if out_mask is not None:
            y._keras_mask = out_mask
        return y

    def _as_input(self, value):
        """An array as this layer computes on it: floats in the layer's dtype, as Keras casts
        them (``Dense(2)(np.ones((1, 3)))`` is float32, not NumPy's float64); integers (token
        ids for an Embedding) as they are."""
        array = np.asarray(value)
        if array.dtype.kind == "f" and self.dtype.kind == "f" and array.dtype != self.dtype:
            return array.astype(self.dtype)
        return array

    @property
    def _display_name(self):
        """The name messages use: the layer's own, or (a layer that set its name to None)
        its class's in snake case, never 'None'."""
        return self.name or self._base_name()

    def _base_name(self):
        """The name Keras gives a layer of this class: its class name in snake case
        (``Conv2D`` -> ``conv2d``), numbered across the session (``dense_1``)."""
        return snake_case(type(self).__name__)

    # -- masks (glassnet.engine.masking) ------------------------------------------------
    @property
    def makes_mask(self):
        """Whether this layer may start a mask: ``Embedding(mask_zero=True)``, ``Masking``, or a
        layer of your own with a ``compute_mask`` (a model tracks masks only if one does)."""
        return type(self).compute_mask is not Layer.compute_mask and not type(self).__module__.startswith("glassnet.")

    def compute_mask(self, inputs, mask=None):
        """The mask of this layer's output for ``inputs`` (Keras's method): the input's mask
        passed on if the layer ``supports_masking``, else None."""
        return mask if self.supports_masking else None

    def output_mask(self, x, mask, given):
        """:meth:`compute_mask` after a forward pass, with Keras's warning when a layer that
        can't keep the mask it was ``given`` drops it."""
        if given and not (self.supports_masking or self.uses_mask):
            if not self.__dict__.get("warned_of_mask"):       # once per layer, not every batch
                from glassnet.engine import masking
                masking.warn_dropped(self)
                self.warned_of_mask = True
            return None
        return self.compute_mask(x, mask)

    def copy_for_another_call(self):
        """A twin of this layer for its second call in one graph (a *shared* layer).

        A layer remembers only its last forward pass (its input, its masks) for the
        backward pass, so each extra call of a shared layer runs on a twin: a shallow copy
        that shares the weights (the same ``params`` dict) but keeps its own caches and its
        own gradients. The model adds the twin's gradients into the layer's after the
        backward pass: a weight used twice gets the sum of both contributions.
        """
        twin = copy.copy(self)
        twin.grads = {key: np.zeros_like(g) for key, g in self.grads.items()}
        twins = {}      # id(layer inside) -> its twin: one per layer, however it is reached

        def twin_of(layer):
            if id(layer) not in twins:
                twins[id(layer)] = layer.copy_for_another_call()
            return twins[id(layer)]

        twin.sublayers = [twin_of(layer) for layer in self.sublayers]
        for attribute, value in vars(self).items():
            if isinstance(value, Layer):          # e.g. Dense's activation keeps a mask
                setattr(twin, attribute, twin_of(value))
            elif isinstance(value, Workspace):    # work arrays must not be shared either
                setattr(twin, attribute, Workspace())
        return twin

    def add_twin_gradients(self, twin):
        """After the backward pass: add the gradients of ``twin`` (this layer's other call)
        into this layer's own, so a weight used twice gets both contributions."""
        for key, grad in self.grads.items():
            grad += twin.grads[key]
        for layer, other in zip(self.sublayers, twin.sublayers):
            layer.add_twin_gradients(other)

    # -- weight penalties (kernel_regularizer=..., bias_regularizer=...) -------------------
    def penalties(self):
        """``(weight name, regularizer)`` for each weight that has a penalty: a weight ``w``
        is penalized when the layer has a ``w_regularizer`` attribute that is set (Dense's
        ``kernel_regularizer``, PReLU's ``alpha_regularizer``, ...)."""
        return [(name, regularizer) for name in self.params
                if (regularizer := vars(self).get(f"{name}_regularizer")) is not None]

    def regularization_loss(self):
        """The weight penalty this layer adds to the loss: ``sum(penalty(w))`` over its
        penalized weights (0 when none is)."""
        return sum((regularizer.penalty(self.params[name]) for name, regularizer in self.penalties()), 0.0)

    def activity_loss(self):
        """What this layer's last forward pass added to the loss: Keras's
        ``activity_regularizer(y) / N`` on its output ``y`` (a batch of ``N``), and the terms a
        recorded ``call()`` gave to ``self.add_loss`` (summed)."""
        total = 0.0
        output = self.__dict__.get("activity_output")
        if self.activity_regularizer is not None and output is not None and len(output):
            total += self.activity_regularizer.penalty(output) / len(output)
        for value in self.__dict__.get("added_losses", ()):
            total += float(np.sum(getattr(value, "data", value)))
        return total

    def activity_gradient(self, dy):
        """``dy`` plus the gradient of the activity penalty on the output, ``gradient(y) / N``
        (a layer's backward then carries both)."""
        output = self.__dict__.get("activity_output")
        if self.activity_regularizer is None or output is None:
            return dy
        extra = self.activity_regularizer.gradient(output) / len(output)
        return extra if dy is None else dy + extra

    def add_loss(self, loss):
        """Keras's ``self.add_loss(term)`` in a ``call()``: the term (summed) joins the loss of
        this forward pass. In a recorded call() (glassnet.engine.recording) its gradient flows
        back through the math that made it."""
        from glassnet.engine.symbolic import is_symbolic
        if is_symbolic(loss):          # met while tracing: this call() is math, to be recorded
            from glassnet.engine.tracing import ComputesOnInput
            raise ComputesOnInput("add_loss on a placeholder")
        self.__dict__.setdefault("added_losses", []).append(loss)

    @property
    def losses(self):
        """Keras's ``layer.losses`` / ``model.losses``: the weight penalty of every layer here
        (this one and those inside it) that has one, then what the last forward pass added
        (an ``activity_regularizer``'s penalty, the terms of ``self.add_loss``), one number
        each. Their sum is what training adds to the data's loss."""
        from glassnet.engine import recording
        recording.penalties_read()      # in a GradientTape: the loss counts them, as fit's does
        found, added = [], []
        for layer in self.walk():
            if type(layer).regularization_loss is Layer.regularization_loss:
                found += [regularizer.penalty(layer.params[name]) for name, regularizer in layer.penalties()]
            elif not hasattr(layer, "fit"):     # a layer's own penalty (a model's are its layers')
                found.append(layer.regularization_loss())
            output = layer.__dict__.get("activity_output")
            if layer.activity_regularizer is not None and output is not None and len(output):
                added.append(layer.activity_regularizer.penalty(output) / len(output))
            added += [np.sum(getattr(value, "data", value)) for value in layer.__dict__.get("added_losses", ())]
        return [as_tensor(np.asarray(value, dtype=self.dtype)) for value in found + added]

    def kernel_and_bias_settings(self, kernel_initializer, bias_initializer, kernel_regularizer=None,
                                 bias_regularizer=None, kernel_constraint=None, bias_constraint=None):
        """Keras's six settings of a layer with a ``kernel`` and a ``bias`` (Dense, the
        convolutions, EinsumDense): how each starts, its penalty and its constraint, each
        given by name or as an object."""
        from glassnet.engine import constraints, initializers, regularizers
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def add_penalty_gradients(self):
        """Add each penalty's gradient to its weight's: the last step of ``backward`` in a
        layer that takes regularizers. (The loss is ``data loss + sum(penalty(w))``, so
        ``dL/dw`` is the data's gradient plus the penalty's, e.g. ``2 * l2 * w``.)"""
        for name, regularizer in self.penalties():
            self.grads[name] += regularizer.gradient(self.params[name])

    # -- its place in a graph, the Keras way ----------------------------------------------
    @property
    def input(self):
        """The placeholder that went into this layer's first call in a graph (Keras's
        ``layer.input``; a list for a layer that takes several)."""
        tensors = self._first_call("input").inputs
        return tensors[0] if len(tensors) == 1 and not self.takes_list else tensors

    @property
    def output(self):
        """The placeholder this layer's first call in a graph made (Keras's ``layer.output``):
        what a new model can end in, e.g. one that shows every layer's output::

            features = Model(model.inputs, [layer.output for layer in model.layers])
        """
        tensors = self._first_call("output").outputs
        return tensors[0] if len(tensors) == 1 else tensors

    def _first_call(self, what):
        if not self.nodes:
            raise AttributeError(_never_called(self, what))
        return self.nodes[0]

    # -- weights, the Keras way -----------------------------------------------------------
    def __getattr__(self, name):
        """Keras's names for a layer's weights: ``layer.kernel``, ``layer.bias``,
        ``layer.moving_mean`` (only asked when no ordinary attribute has the name)."""
        stores = self.__dict__
        recorded = stores.get("recorded_weights")     # inside a recorded call(): the weight's Value
        if recorded and name in recorded:
            return recorded[name]
        for store in ("params", "state"):
            if name in stores.get(store, ()):           # a view that answers .numpy() and .name, as a Variable does
                return _named(self, name, stores[store][name])
        if name in ("input", "output"):         # the property found no call (Python then asks here)
            raise AttributeError(_never_called(self, name))
        if name == "__name__" and type(self).__module__.endswith(".activations"):
            from glassnet.engine.layers.activations import function_name
            return function_name(self)            # Keras's layer.activation.__name__: "relu"
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _weights(self, trainable=None):
        """``[(layer, name, array), ...]`` in Keras's order: each layer's learned weights, then
        its non-learned state (batch norm: gamma, beta, moving_mean, moving_variance), layer by
        layer through :meth:`walk`; only the trainable ones, or only the others, if asked."""
        found, seen = [], set()
        for layer in self.walk():
            for owner, name, array, moves in layer._own_weights():
                if id(array) not in seen:            # a weight two layers list (a wrapper's kernel): once
                    seen.add(id(array))
                    if trainable is None or moves == trainable:
                        found.append((owner, name, array))
        return found

    def _own_weights(self):
        """``[(layer, name, array, learned), ...]``: the weights this layer lists first, before
        the layers inside it: its learned ones, then its state. (A wrapper may list one of its
        inner layer's too, as Keras's SpectralNormalization lists the kernel.)"""
        return [(self, name, array, self.trainable) for name, array in self.params.items()] + \
            [(self, name, array, False) for name, array in self.state.items()]

    @property
    def weights(self):
        """Every weight, in Keras's order (see :meth:`_weights`): views of the arrays themselves
        (writing into one writes the layer), each with Keras's ``.name`` (``"kernel"``) and
        ``.path`` (``"dense/kernel"``), and ``.numpy()``."""
        return [_named(layer, name, array) for layer, name, array in self._weights()]

    @property
    def trainable_weights(self):
        """The weights the optimizer moves: ``params`` of every layer that is trainable."""
        return [_named(layer, name, array) for layer, name, array in self._weights(trainable=True)]

    @property
    def non_trainable_weights(self):
        """Everything else: ``state``, and the ``params`` of frozen layers."""
        return [_named(layer, name, array) for layer, name, array in self._weights(trainable=False)]

    # Keras 3's other names for the same three lists.
    variables = weights
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    def get_weights(self):
        """Copies of :attr:`weights` (a list of NumPy arrays), as Keras returns them."""
        return [array.copy() for _, _, array in self._weights()]

    def set_weights(self, weights):
        """Write ``weights`` (as :meth:`get_weights` returns them) into the layer, in place."""
        set_arrays([array for _, _, array in self._weights()], weights, f"layer '{self._display_name}'")

    def count_params(self):
        """How many numbers :attr:`weights` holds (learned or not), as Keras counts them."""
        return sum(array.size for _, _, array in self._weights())

    def save_own_variables(self, store):
        """Keras's hook for its files: put this layer's own weights (not those of the layers
        inside it) in ``store``, a dict, as ``store["0"]``, ``store["1"]``...: the learned
        ones, then the others, as Keras 3 does. A ``.keras`` or ``.weights.h5`` file keeps what
        is put there in the layer's group (``layers/dense/vars/0``). Override it, with
        :meth:`load_own_variables`, to keep something else."""
        for i, array in enumerate([*self.params.values(), *self.state.values()]):
            store[str(i)] = array

    def load_own_variables(self, store):
        """Keras's hook for its files: take this layer's own weights back from ``store`` (a
        dict of arrays, what :meth:`save_own_variables` put there)."""
        arrays = [*self.params.values(), *self.state.values()]
        if len(store) != len(arrays):
            raise ValueError(f"Layer '{self.name}' expected {len(arrays)} variables, but received "
                             f"{len(store)} variables during loading")
        for i, array in enumerate(arrays):
            array[...] = store[str(i)]

    def get_config(self):
        """The constructor arguments that rebuild this layer (JSON-friendly). Every layer's
        start with the three keys Keras's do: ``name``, ``trainable`` and ``dtype``."""
        dtype = self.dtype if isinstance(self.dtype, str) or self.dtype is None else np.dtype(self.dtype).name
        dtype = "string" if self.dtype is STRING else dtype
        config = {"name": self.name, "trainable": self.trainable, "dtype": dtype}
        if self.input_shape is not None and not self.takes_list:    # several inputs: the graph says (merges)
            config["input_shape"] = list(self.input_shape)
        if self.activity_regularizer is not None:
            from glassnet.engine import regularizers
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        from glassnet.engine.layers.auto_config import automatic_config
        return {**config, **automatic_config(self)}

    @classmethod
    def from_config(cls, config):
        """The layer :meth:`get_config` describes. The keys every layer has (``name``,
        ``trainable``, ``dtype``) are set afterwards on a layer of your own whose ``__init__``
        doesn't take them (keras.io's ``__init__(self, factor)``), as Keras does."""
        config = dict(config)
        parameters = inspect.signature(cls.__init__).parameters
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
        later = {key: config.pop(key) for key in ("name", "trainable", "dtype")
                 if key in config and not takes_any and key not in parameters}
        layer = cls(**config)
        for key, value in later.items():
            setattr(layer, key, value)
        return layer

    def __repr__(self):
        """Keras 3's ``<Dense name=dense, built=True>`` (what ``print(model.layers)`` shows;
        ``Model(inputs, outputs)`` is a ``Functional``, as in its summary)."""
        from glassnet.engine.summary import _kind
        return f"<{_kind(self)} name={self._display_name}, built={self.built}>"


def _walk(layer, seen):
    """:meth:`Layer.walk` of ``layer``, leaving out the layers in ``seen`` (ids), met already."""
    seen.add(id(layer))
    yield layer
    for inner in layer.tracked_layers():
        if id(inner) not in seen:
            yield from _walk(inner, seen)


def _refuse_a_call_over_a_built_in_forward(cls):
    """``class ScaledDense(layers.Dense)`` with a ``call()`` of its own: glassnet's Dense
    computes in ``forward`` (and its gradient in ``backward``), which would run instead and
    silently ignore that call(). Say so where the class is defined, with what works."""
    owner = next(klass for klass in cls.__mro__ if "forward" in vars(klass))
    if owner is Layer or not owner.__module__.startswith("glassnet.engine.layers."):
        return
    below = cls.__mro__[:cls.__mro__.index(owner)]
    if any("call" in vars(klass) for klass in below):
        raise TypeError(f"{cls.__name__} overrides call() of glassnet's {owner.__name__}, which glassnet "
                        f"can't run (its {owner.__name__} computes in forward/backward); make "
                        f"{cls.__name__} a keras.layers.Layer that holds a {owner.__name__} "
                        f"(self.inner = {owner.__name__}(...)) and calls it in call()")


def holds(value, array):
    """True when ``value`` is ``array`` or a whole view of it (what add_weight returns)."""
    return value is array or (isinstance(value, np.ndarray) and value.base is array
                               and value.shape == array.shape)


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


class Workspace:
    """Work arrays a layer keeps from batch to batch, by name (and by worker thread).

    A fresh array of a megabyte or more costs about as much as a pass of arithmetic over
    it: the allocator hands freed memory back to the operating system, which then hands
    over new zeroed pages. So every large intermediate array is made once and reused while
    the shapes stay the same. Each name keeps its two latest shapes (a full chunk of the
    batch and the batch's last, shorter chunk); new arrays are full of ``fill``.
    """

    def __init__(self):
        self.arrays = {}   # worker -> {(name, shape, dtype): array}; one dict per thread

    def get(self, name, shape, dtype, fill=0, worker=0):
        arrays = self.arrays.setdefault(worker, {})
        key = (name, tuple(shape), np.dtype(dtype))
        array = arrays.get(key)
        if array is None:
            older = [k for k in arrays if k[0] == name]
            for k in older[:-1]:
                del arrays[k]
            array = arrays[key] = np.full(shape, fill, dtype)
        return array


# -- a limit on the weights a model file may make (see add_weight and saving.load_model) --
_budget = None   # numbers that may still be allocated, or None: no limit


@contextlib.contextmanager
def weight_budget(limit, source):
    """Within this block, layers may create at most ``limit`` weight numbers in all;
    beyond it :meth:`Layer.add_weight` raises a ModelFileError naming ``source``."""
    global _budget
    saved, _budget = _budget, [int(limit), source]
    try:
        yield
    finally:
        _budget = saved


def _is_tensor(value):
    """Whether ``value`` is data (a placeholder, an array, recorded math), not a flag."""
    from glassnet.engine.autodiff import Value
    from glassnet.engine.symbolic import SymbolicTensor
    return isinstance(value, (SymbolicTensor, np.ndarray, Value))


class _Spread(list):
    """The tensors of one call of a ``call(a, b, ...)`` of your own, to be given back to it one by one."""


def tensors_in_call_order(layer, positional, named=None):
    """The tensors of one call of a layer of your own whose ``call()`` takes several
    (``layer(targets, logits=logits)``, or a saved graph's call of it, rebuilt), as one list
    in the order of its ``call()``, marked to be given back to it one by one; or a one-line
    error for a name its ``call()`` doesn't have, a gap in its order, or a non-tensor.

    Args:
        positional: the tensors given in place; named: ``{argument: tensor}`` given by name.
    """
    kind, names = type(layer).__name__, _call_tensor_names(type(layer))
    named = dict(named or {})
    unknown = [name for name in named if name not in names]
    if unknown:
        raise TypeError(f"{kind}: unknown argument(s) {', '.join(map(repr, unknown))} in the call "
                        f"(its call() takes {', '.join(names) or 'one input'})")
    given = list(positional)
    for name in names[len(given):]:
        if name not in named:
            break
        given.append(named.pop(name))
    if named:
        raise NotImplementedError(f"{kind}: glassnet gives call() its tensors in order; "
                                  f"{', '.join(map(repr, named))} comes after an argument left out: give "
                                  f"them all, in the order of call({', '.join(names)})")
    if not all(_is_tensor(t) for t in given):
        raise NotImplementedError(f"{kind}: glassnet gives call() tensors only, by name or in place; "
                                  f"got {', '.join(type(t).__name__ for t in given)}")
    return _Spread(given)


def spreads_call(layer, count):
    """Whether ``count`` tensors for ``layer`` go to its ``call()`` one by one (a call of your
    own that takes that many), not as one list (a merge, or a ``call(inputs)`` given a list)."""
    return count > 1 and len(_call_tensor_names(type(layer))) >= count


def _call_tensor_names(cls):
    """The names of the tensors a Keras-style ``call()`` of the class's own takes, in order
    (its arguments after ``self``, but ``training`` and ``mask``); [] for a layer without one."""
    from glassnet.engine.tracing import defines_call
    call = getattr(cls, "call", None)
    if call is None or not defines_call(cls, Layer):
        return []
    try:
        parameters = list(inspect.signature(call).parameters.values())[1:]   # after self
    except (TypeError, ValueError):
        return []
    return [p.name for p in parameters
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name not in ("training", "mask")]


def _takes_mask(method):
    """Whether ``forward`` (or a Keras-style ``call``) has a ``mask`` argument."""
    try:
        return method is not None and "mask" in inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False


def _keras_signature(build):
    """True for Keras's ``build(self, input_shape)``: no ``rng`` to take."""
    try:
        parameters = list(inspect.signature(build).parameters.values())
    except (TypeError, ValueError):
        return False
    return len(parameters) == 2 and all(p.kind is p.POSITIONAL_OR_KEYWORD for p in parameters)


def _keras_build(keras_build):
    """Wrap a layer's Keras-style ``build(self, input_shape)`` into glassnet's
    ``build(self, input_shape, rng)``: the model's generator is set before it runs (so
    ``add_weight`` draws from the model's seed), it gets Keras's batch-inclusive shape
    ``(None, ...)``, and the layer is built afterwards whether or not it called
    ``super().build``, as in Keras."""
    @functools.wraps(keras_build)
    def build(self, input_shape, rng=None):
        if rng is not None or self.rng is None:
            self.rng = rng if rng is not None else np.random.default_rng()
        sample = [SampleShape(s) for s in input_shape] if self.takes_list else sample_shape(input_shape)
        keras_shape = [(None, *s) for s in sample] if self.takes_list else (None, *sample)
        # Built again (a model draws its layers' weights from its own seed): the weights the
        # last build made without a name, or as a keras.Variable, are replaced, not joined by
        # "variable_2" or "extra_1" (a weight Keras doesn't have, and a file can't place)
        for name in self.__dict__.get("_built_unnamed", ()):
            for store in (self.params, self.grads, self.state):
                store.pop(name, None)
        self.__dict__["_built_unnamed"] = []
        keras_build(self, keras_shape)
        if not self.built:
            self.input_shape = sample
            self.built = True
    return build


def refund_weights(layer):
    """Give back to the budget the weights ``layer`` holds now (it is about to make them
    again: a provisional build being redone with the model's own seed)."""
    if _budget is not None:
        _budget[0] += sum(a.size for inner in layer.walk()
                          for a in (*inner.params.values(), *inner.state.values()))


def charge_weights(shape):
    """Count ``shape``'s numbers against the budget, before they are allocated."""
    if _budget is None:
        return
    count = math.prod(int(d) for d in shape)
    _budget[0] -= count
    if _budget[0] < 0:
        raise ModelFileError(f"{_budget[1]}: asks for weights of shape {tuple(shape)}, more than "
                             f"the file holds")


def _named(layer, name, array):
    """``array`` as a :class:`Tensor` view that answers Keras's ``.name``, ``.path`` and
    ``.trainable`` (a learned weight of a layer that is trainable): the very object a
    Keras-style ``self.w = self.add_weight(...)`` holds, if the layer holds one (so
    ``layer.weights == [layer.w, layer.b]``, as keras.io's guide checks), else a new view."""
    held = [value for value in vars(layer).values() if isinstance(value, Tensor) and holds(value, array)]
    view = held[0] if held else as_tensor(array)
    view.name, view.path = name, f"{layer._display_name}/{name}"
    view.trainable = name in layer.params and bool(layer.trainable)
    return view


def _never_called(layer, what):
    return (f"layer '{layer.__dict__.get('name') or type(layer).__name__}' has never been called in a model, "
            f"so it has no {what} yet (build the model first, e.g. with an Input(shape=...))")
