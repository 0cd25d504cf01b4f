"""Model: a network of layers, as a graph, with Keras's API.

Keras's Functional API describes the network by calling layers on placeholders (see
:mod:`glassnet.engine.symbolic`)::

    inputs = Input(shape=(784,))
    hidden = Dense(64, activation="relu")(inputs)
    outputs = Dense(10, activation="softmax")(Add()([hidden, Dense(64)(inputs)]))
    model = Model(inputs, outputs)

The model follows the calls back from ``outputs`` to ``inputs`` and puts them in an order
where every layer comes after the layers that feed it (a *topological* order). Then:

* **forward**: run the calls in that order, each on the outputs of the calls before it;
* **backward**: run them in reverse. Every layer's ``backward`` turns the gradient of its
  output into the gradient of its input(s). Where a tensor feeds several layers (a branch),
  the gradients coming back from each are **added**: that is the chain rule for a
  variable used twice. A layer called twice (shared) gets the sum of both calls' gradients.

:class:`~glassnet.engine.sequential.Sequential` is a Model whose graph is a chain, and a
Model is a Layer, so a model can be used inside another. Training (``compile``, ``fit``,
``evaluate``, ``predict``) lives in :class:`~glassnet.engine.training.Trainer`; saving in
:mod:`glassnet.engine.saving`.
"""

import warnings

import numpy as np

from glassnet.engine.layers import fused
from glassnet.engine.layers.base import (LAYERS, Layer, refund_weights, set_arrays, snake_case, spreads_call,
                                        tensors_in_call_order)
from glassnet.engine.shapes import sample_shape, shape_fits
from glassnet.engine.layers.input_layer import InputLayer
from glassnet.engine.random import new_seed
from glassnet.engine.symbolic import (cut_at_inputs, keras_layer_order, name_layers, names_inside, shown_layers,
                                      tensor_list, topological_order)
from glassnet.engine.state import ModelState
from glassnet.engine import naming, recording
from glassnet.engine.tracing import ComputesOnInput, defines_call, run_call
from glassnet.engine.training import Trainer
from glassnet.errors import ShapeError


class Step:
    """One layer call of the graph, ready to run: which slots it reads and writes."""

    __slots__ = ("layer", "node", "inputs", "output", "outputs", "takes_list", "learns", "runs_backward",
                 "training", "nested", "shapes")

    def __init__(self, layer, node, inputs, outputs):
        # ``outputs``: the slots it writes, one for most layers, several for a layer (a model
        # inside) that gives several outputs; ``output`` is the first, or the only one
        self.layer, self.node, self.inputs, self.outputs = layer, node, inputs, list(outputs)
        self.output = self.outputs[0] if len(self.outputs) == 1 else None
        self.shapes = None                 # several outputs: their shapes in the last forward pass
        self.takes_list = layer.takes_list
        self.training = node.training      # None, or the mode the call asked for (layer(x, training=...))
        self.nested = isinstance(layer, Model)    # a model inside: it may take training=None
        self.learns = self.runs_backward = True


class Model(Trainer, ModelState, Layer):
    """A network of layers: the Functional API's ``Model(inputs, outputs)``.

    Args:
        inputs: the placeholder(s) made by ``Input(...)``: one, or a list.
        outputs: the placeholder(s) the layers produced from them: one, or a list.
        name: shown by :meth:`summary` (default ``"functional"``).
        seed: seeds the model's random generator (initial weights of layers not built yet,
            dropout masks, shuffling). None takes one from ``glassnet.utils.set_random_seed``
            if it was called, else from the operating system, as Keras does.

    A subclass of Model with its own ``call()`` (Keras's "subclassing" style) works when
    ``call()`` calls layers: on the first data (or ``build``), glassnet runs it once on
    placeholders and trains the graph of layers it calls (see :mod:`glassnet.engine.tracing`).
    Arbitrary NumPy in ``call()`` can't be traced (glassnet has no automatic
    differentiation); that is a custom Layer with ``forward`` and ``backward``
    (docs/custom_layers.md).

    A subclass with no ``call()`` but a ``train_step(data)`` of its own (keras.io's GAN,
    holding a generator and a discriminator) is trained by fit as Keras trains it: each
    batch goes to its train_step as it comes, and the logs are what that returns; calling
    it is an error, as in Keras. One with neither (TensorFlow's convolutional VAE, whose
    ``encode`` and ``decode`` methods call its layers in a loop of your own) holds its
    layers, and ``trainable_variables`` are theirs.
    """

    def __init__(self, inputs=None, outputs=None, name=None, seed=None, trainable=True, **kwargs):
        if inputs is self and outputs is None:       # Keras 2's tutorials: super().__init__(self)
            warnings.warn(f"{type(self).__name__}: super().__init__(self) passes the model as its own inputs "
                          f"(Keras 2 ignored it, Keras 3 refuses it); call super().__init__()",
                          DeprecationWarning, stacklevel=2)
            inputs = None
        traced = inputs is None and outputs is None and defines_call(type(self), Model)
        # keras.io's GAN: no call(), only a train_step of its own, run by fit; TensorFlow's
        # CVAE: no call() at all, its layers used by methods of its own (_init_steps_only)
        steps_only = inputs is None and outputs is None and not traced and type(self) is not Model
        if (inputs is None or outputs is None) and not (traced or steps_only):
            raise TypeError(f"{type(self).__name__}: Model needs inputs and outputs: Model(inputs, outputs). "
                            f"Build the network with the Functional API (Model(inputs, outputs)), "
                            f"Sequential, or a subclass whose call() calls layers.")
        Layer.__init__(self, name=name, trainable=trainable, **kwargs)
        self.needs_input_grad = False   # set by an enclosing model that needs it
        self.seed = seed
        self.rng = np.random.default_rng(seed if seed is not None else new_seed())
        Trainer.__init__(self)
        self.traces_call = traced
        if steps_only:
            self._init_steps_only()
            return
        if traced:                  # call() is traced when the input shape is known: build()
            self.built = False
            return
        self._init_graph(inputs, outputs)

    def _base_name(self):
        """Keras's names: ``functional`` for ``Model(inputs, outputs)``, and a model of your
        own class after it (MyModel: ``my_model``), numbered across the session."""
        return "functional" if type(self) is Model else snake_case(type(self).__name__)

    # -- the graph ---------------------------------------------------------------------
    def _init_steps_only(self):
        """A model with no ``call()``, only a ``train_step(data)`` (and ``test_step``) of its own:
        keras.io's GAN, holding a generator and a discriminator. Keras never calls it: fit and
        evaluate hand each batch to its steps as it comes, and its logs are what they return.
        So it has no graph: no inputs or outputs, its batches pass unchanged, its weights are
        those of the layers and models it holds (:meth:`Layer.walk`), which its steps train
        with their own optimizers."""
        self.steps_only = True
        self.inputs, self.outputs, self._inputs_struct, self._given_keys = [], [], None, None
        self._nodes, self._blocks, self._graph_layers, self.sublayers = [], [], [], []
        self._steps, self._twins, self._inner, self._regularized = [], [], [], []
        self._masked, self.output_masks, self._plan_key, self._fusions = False, None, None, None
        self.built = True

    def _init_graph(self, inputs, outputs):
        """Find the graph between ``inputs`` and ``outputs``, order it, build its layers."""
        inputs, outputs = cut_at_inputs(inputs, outputs)     # an input computed on the way: a fresh Input
        self._inputs_struct = inputs
        # Outputs given as a dict: predict and model(x) answer with a dict by the same keys, in
        # the order given; the model's own order (of its outputs, their layers and a list of
        # losses) is the keys' alphabetical one, as in Keras 3.
        self._given_keys = list(outputs) if isinstance(outputs, dict) else None
        if isinstance(outputs, dict):
            outputs = {key: outputs[key] for key in sorted(outputs)}
        self.inputs = tensor_list(inputs, "inputs", self.name)
        self.outputs = tensor_list(outputs, "outputs", self.name)
        nodes = topological_order(self.outputs, self.inputs, self.name)
        # Every layer once, in order; names made unique where the user gave none.
        layers, blocks = [], []
        for node in nodes:
            if node.layer not in layers:
                layers.append(node.layer)
            blocks += [block for block in node.blocks if not any(block is b for b in blocks)]
        name_layers(layers + blocks, names_inside(layers))
        layers = keras_layer_order(self.outputs, self.inputs)    # as Keras lists them: the outputs last
        self._nodes = nodes
        self._blocks = blocks                # layers of layers, traced into their layers
        self._graph_layers = layers          # InputLayers included, as Keras lists them
        self.sublayers = [layer for layer in layers if not isinstance(layer, InputLayer)]
        self._build_layers()
        self.built = True

    def _build_layers(self):
        """Draw the weights of provisionally built layers from the model's own seed, hand
        every layer the model's generator, and make the twins of shared layers."""
        for node in self._nodes:
            layer = node.layer
            if layer.provisional and not isinstance(layer, InputLayer):
                refund_weights(layer)     # the provisional weights are replaced, not added to
                shapes = [t.sample_shape for t in node.inputs]
                layer.build(shapes if layer.takes_list else shapes[0], self.rng)
                if layer.records_call:    # the layers its call() built when first run: drawn again too
                    for inner in layer.walk():
                        # (a layer of layers run inline, keras.io's Encoder, has no shape or weights of its own)
                        if inner is not layer and inner.built and not isinstance(inner, Model) \
                                and inner.input_shape is not None:
                            inner.build(inner.input_shape, self.rng)
                layer.provisional = False
        # Every layer inside, once (the per-step checks below read this list, not the tree).
        self._inner = [layer for layer in self.walk() if layer is not self]
        # The layers that may add a weight penalty: any with weights (a regularizer can be
        # set after building), or with a regularization_loss of their own.
        self._regularized = [layer for layer in self._inner if not isinstance(layer, Model) and (
            layer.params or type(layer).regularization_loss is not Layer.regularization_loss)]
        for layer in self._inner:
            layer.rng = self.rng
        slots = {}
        for node in self._nodes:
            for tensor in node.outputs:
                slots[id(tensor)] = len(slots)
        self._input_slots = [slots[id(t)] for t in self.inputs]
        self._output_slots = [slots[id(t)] for t in self.outputs]
        self._slot_count = len(slots)
        steps, calls = [], {}
        for node in self._nodes:
            if isinstance(node.layer, InputLayer):
                continue
            # The first call of a layer runs on the layer; each later one on a twin. A layer
            # without weights may be called on other shapes too (a shared ReLU): such a call
            # runs on a twin built for its own shape.
            seen = calls.setdefault(id(node.layer), [])
            shapes = [t.sample_shape for t in node.inputs]
            shape = shapes if node.layer.takes_list else shapes[0]
            fits = node.layer.accepts(shape)
            layer = node.layer if not seen and fits else node.layer.copy_for_another_call()
            if not fits:
                layer.build(shape, self.rng)
            seen.append(layer)
            steps.append(Step(layer, node, [slots[id(t)] for t in node.inputs], [slots[id(t)] for t in node.outputs]))
        self._steps = steps
        self._twins = [(calls[id(step.node.layer)][0], step.layer) for step in steps
                       if step.layer is not step.node.layer]
        self._plan_key = None
        self._fusions = None
        self._masked = any(step.layer.makes_mask for step in steps)   # masks to track (engine/masking.py)
        self.output_masks = None

    @property
    def makes_mask(self):
        """Whether a mask can arise inside (an Embedding(mask_zero=True), a Masking layer)."""
        return getattr(self, "_masked", False)

    def compute_mask(self, inputs, mask=None):
        masks = self.output_masks
        if masks is None:
            return None
        return masks[0] if len(masks) == 1 else list(masks)

    def copy_for_another_call(self):
        """A twin of this model for its second call in a graph (a siamese network's encoder,
        say): every layer inside gets a twin of its own (:meth:`Layer.copy_for_another_call`),
        and the twin model runs those, so the two calls keep their own inputs and gradients
        while sharing the weights."""
        twin = super().copy_for_another_call()       # twins of the layers it holds
        twins = {id(layer): other for layer, other in zip(self.sublayers, twin.sublayers)}

        def twin_of(layer):   # a layer's own twin, or (a shared layer's later calls) a new one
            if id(layer) not in twins:
                twins[id(layer)] = layer.copy_for_another_call()
            return twins[id(layer)]

        if self.built and getattr(self, "_steps", None) is not None:
            twin._steps = [Step(twin_of(step.layer), step.node, step.inputs, step.outputs) for step in self._steps]
            twin._twins = [(twin_of(layer), twin_of(other)) for layer, other in self._twins]
            twin._inner = [layer for layer in twin.walk() if layer is not twin]
            twin._plan_key, twin._fusions = None, None
        return twin

    @property
    def layers(self):
        """The model's layers in the order they run (with their InputLayers, as Keras lists them).

        A subclass with ``call()`` lists the layers it holds as attributes, in the order they
        were set, as Keras does (a block of your own is one entry; :attr:`graph_layers` has
        what its ``call()`` was traced into)."""
        if self.traces_call or self.steps_only:
            from glassnet.engine.recording import held_layers
            from glassnet.engine.symbolic import name_layers
            held = held_layers(self)
            if any(layer.name is None for layer in held):     # "dense", "block", ... as Keras shows them
                name_layers(held, {layer.name for layer in self.walk() if layer.name})
            return held
        return shown_layers(self._graph_layers, self._nodes)     # a Lambda as one layer, as in Keras

    @property
    def graph_layers(self):
        """The layers the model runs, in order, without InputLayers: :attr:`layers` for a
        Sequential or Functional model; for a subclass, the layers its ``call()`` was traced
        into (its blocks' own layers, and an ``Add`` for each ``x + y``)."""
        layers = self._graph_layers if self.built else self.layers      # not built yet: no graph
        return [layer for layer in layers if not isinstance(layer, InputLayer)]

    def get_layer(self, name=None, index=None):
        """The layer called ``name`` (or at position ``index`` of :attr:`layers`)."""
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(f"model '{self.name}' has {len(self.layers)} layers, no index {index}")
            return self.layers[index]
        # a layer of layers too, as in Keras; and a subclass's traced layers after the ones it holds
        for layer in self.layers + self.graph_layers + getattr(self, "_blocks", []):
            if layer.name == name:
                return layer
        raise ValueError(f"model '{self.name}' has no layer named {name!r}; it has "
                         f"{', '.join(repr(l.name) for l in self.layers)}")

    # -- shapes (Keras's, with None for the batch axis) ------------------------------------
    @property
    def input_shape(self):
        shapes = [t.shape for t in self.inputs] if self.built else [None]
        return shapes[0] if len(shapes) == 1 else shapes

    @input_shape.setter
    def input_shape(self, value):   # Layer.__init__ sets it; a model's comes from its inputs
        pass

    @property
    def output_shape(self):
        if not self.built:
            raise ValueError(f"model '{self.name}' isn't built yet, so its output shape is unknown")
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def input(self):
        return self.inputs[0] if len(self.inputs) == 1 else self.inputs

    @property
    def output(self):
        return self.outputs[0] if len(self.outputs) == 1 else self.outputs

    @property
    def sample_shapes(self):
        """One sample's shape for each input (no batch axis): what ``fit`` checks ``x`` against."""
        return [t.sample_shape for t in self.inputs]

    @property
    def dtype(self):
        """The dtype of the model's weights (float32 unless its layers were made otherwise):
        inputs are cast to it."""
        for layer in getattr(self, "_inner", ()):
            for array in layer.params.values():
                return array.dtype
        return self._dtype

    @dtype.setter
    def dtype(self, value):
        Layer.dtype.fset(self, value)

    # -- a model used as a layer -----------------------------------------------------------
    @property
    def takes_list(self):
        return self.built and len(self.inputs) > 1

    def build(self, input_shape=None, rng=None):
        """A Functional model is built when made; this only checks ``input_shape`` agrees.

        A subclass with its own ``call()`` is built here: ``input_shape`` as Keras's
        ``(None, 28, 28)`` or glassnet's ``(28, 28)``, and ``call()`` traced on it."""
        if self.traces_call and not self.built:
            self._trace(input_shape, rng)
            return
        if input_shape is not None and not self.accepts(sample_shape(input_shape)):
            raise ShapeError(f"model '{self.name}' takes inputs of shape {self.input_shape}, "
                             f"not {input_shape}")
        if rng is not None and rng is not self.rng:   # inside another model: share its generator
            self.rng = rng
            for layer in self.walk():
                layer.rng = rng

    def _trace(self, input_shape, rng):
        """Run ``call()`` on an ``Input`` of ``input_shape``; the layers it calls become the
        model's graph (a Functional one), as though made with ``Model(inputs, outputs)``."""
        from glassnet.engine.layers.input_layer import Input
        from glassnet.engine.tracing import trace

        if input_shape is None:
            raise ShapeError(f"model '{self.name}' ({type(self).__name__}) doesn't know its input shape "
                             f"yet: call build((None, ...)) or give it data (fit, predict, model(x))")
        if rng is not None:
            self.rng = rng
        shape = sample_shape(input_shape)
        with naming.hidden():       # Keras makes no Input here: the next one of yours is named as there
            inputs = [Input(shape=s) for s in shape] if isinstance(shape, list) else Input(shape=shape)
        inner = [layer for held in recording.held_layers(self) for layer in held.walk()]
        calls = [len(layer.nodes) for layer in inner]
        try:
            outputs = trace(self, inputs)
        except ComputesOnInput:        # math in call() (keras.io's VAE adds its KL term there)
            for layer, count in zip(inner, calls):
                del layer.nodes[count:]          # forget the calls traced before the math
            with naming.hidden():
                outputs = RecordedCall(self)(inputs)
        self._init_graph(inputs, outputs)
        if self.optimizer is not None:   # compiled before it was built, as Keras allows
            self._fuse_output_activation()

    def accepts(self, input_shape):
        if not self.built:              # a subclass not traced yet takes what it is given first
            return True
        shapes = input_shape if self.takes_list else [input_shape]
        return len(shapes) == len(self.sample_shapes) and all(
            shape_fits(expected, given) for expected, given in zip(self.sample_shapes, shapes))

    def shape_after(self, input_shape):
        if not self.accepts(input_shape):
            raise ShapeError(f"model '{self.name}' takes inputs of shape {self.input_shape}, not "
                             f"{input_shape}")
        if len(self.outputs) != 1:           # used as a layer, it gives several outputs
            return [t.sample_shape for t in self.outputs]
        return self.outputs[0].sample_shape

    # -- the two passes -----------------------------------------------------------------
    @property
    def output_names(self):
        """The names of the layers that make the outputs, in order (Keras 3's ``output_names``):
        a model with several outputs logs each one's loss and metrics under them."""
        return [t.node.layer.name for t in self.outputs]

    def forward(self, inputs, training=False, mask=None):
        """Run every layer call in order on ``inputs`` (an array, or a list for several inputs).

        ``training``: True or False for every call, or None (``model(x)``): each call then
        runs as it was made, ``layer(x, training=...)``, else in inference, as in Keras 3.
        ``mask``: the inputs' mask (a model used as a layer, after an Embedding that masks);
        the outputs' masks are left in ``output_masks`` (None when the model has none)."""
        if self.steps_only:
            self._refuse_call("run it on data")
        values = [None] * self._slot_count
        inputs = inputs if len(self._input_slots) > 1 else [inputs]
        if len(inputs[0]) == 0:    # an empty batch (the last of a filter, say): empty outputs, as in Keras
            outputs = [np.zeros((0,) + tuple(d or 0 for d in t.sample_shape), self.dtype) for t in self.outputs]
            self.output_masks = None
            return outputs[0] if len(outputs) == 1 else outputs
        for slot, value in zip(self._input_slots, inputs):
            values[slot] = value
        masks = self._input_masks(mask)
        for step in self._run_steps():
            # Keras 3's rule: the mode the model runs in (fit: training, predict and evaluate:
            # inference) wins; a call's own ``training=`` counts when it runs without one,
            # ``model(x)``, and a nested model passes that on to its own calls.
            mode = step.training if training is None else training
            if mode is None and not step.nested:        # model(x): Keras's default for each layer
                mode = step.layer.augments_by_default
            if masks is not None:                    # masks to pass on (engine/masking.py)
                y = self._run_step(step, values, masks, mode)
            elif step.takes_list:
                y = step.layer.forward([values[i] for i in step.inputs], mode)
            else:
                y = step.layer.forward(values[step.inputs[0]], mode)
            if step.output is None:                  # several outputs, one slot each
                step.shapes = [(v.shape, v.dtype) for v in y]
                for slot, value in zip(step.outputs, y):
                    values[slot] = value
            else:
                values[step.output] = y
            if step.layer.activity_regularizer is not None:      # kept for its penalty
                step.layer.activity_output = y
        self.output_masks = None if masks is None else [masks[slot] for slot in self._output_slots]
        outputs = [values[slot] for slot in self._output_slots]
        return outputs[0] if len(outputs) == 1 else outputs

    def _input_masks(self, mask):
        """One mask slot per tensor of the graph, the inputs' filled from ``mask`` (an outer
        model's), or None when no mask can arise (most models: nothing to track)."""
        if not self._masked and mask is None:
            return None
        masks = [None] * self._slot_count
        if mask is not None:
            for slot, m in zip(self._input_slots, mask if len(self._input_slots) > 1 else [mask]):
                masks[slot] = m
        return masks

    def _run_step(self, step, values, masks, mode):
        """Run one call: its inputs from their slots, its output(s) into theirs. With masks
        (:mod:`glassnet.engine.masking`), a layer that reads them gets its input's, and its
        outputs' masks go into their slots. (forward runs a model without masks itself: it
        is the inner loop of training.)"""
        layer = step.layer
        args = [values[i] for i in step.inputs] if step.takes_list else values[step.inputs[0]]
        if masks is None:
            y = layer.forward(args, mode)
        else:
            given = [masks[i] for i in step.inputs]
            mask = given if step.takes_list else given[0]
            has_mask = any(m is not None for m in given)
            y = layer.forward(args, mode, mask=mask) if has_mask and layer.uses_mask else layer.forward(args, mode)
            made = layer.output_mask(args, mask, has_mask)
            if step.output is None and not isinstance(made, (list, tuple)):   # the states of return_state: none
                made = [made] + [None] * (len(step.outputs) - 1)
            for slot, m in zip(step.outputs, made if step.output is None else [made]):
                masks[slot] = m
        for slot, value in zip(step.outputs, y if step.output is None else [y]):
            values[slot] = value
        return y

    def backward(self, dy):
        """Backpropagate ``dy = dL/d(output)`` through the graph, in reverse order.

        Fills every layer's ``grads``; returns the gradient for the input(s) when the
        model itself is asked for one (``needs_input_grad``), else None.
        """
        self._plan_backward()
        grads = [None] * self._slot_count
        for slot, g in zip(self._output_slots, dy if len(self._output_slots) > 1 else [dy]):
            grads[slot] = g
        outputs, totals = set(self._output_slots), {}
        for step in reversed(self._run_steps()):
            g = _gradient_of(step, grads)
            if not outputs.isdisjoint(step.outputs):     # an output's gradient, complete now
                totals.update(zip(step.outputs, [g] if step.output is not None else g or [None] * len(step.outputs)))
            if not step.runs_backward:
                continue
            if step.layer.activity_regularizer is not None:     # its penalty's gradient joins dy
                g = step.layer.activity_gradient(g)
            if g is None:   # this call's output reaches no output of the model
                for layer in step.layer.walk():
                    for grad in layer.grads.values():
                        grad[...] = 0
                continue
            dx = step.layer.backward(g)
            if dx is None:
                continue
            for slot, d in zip(step.inputs, dx if step.takes_list else [dx]):
                if d is not None and self._wants[slot]:
                    # A tensor that feeds several layers gets the sum of their gradients.
                    grads[slot] = d if grads[slot] is None else grads[slot] + d
        for layer, twin in self._twins:   # a shared layer: both calls' gradients, added
            layer.add_twin_gradients(twin)
        # dL/d(each output), all paths in: an output that feeds another (Grad-CAM's conv layer)
        self.output_gradients = [totals.get(slot, grads[slot]) for slot in self._output_slots]
        if not self.needs_input_grad:
            return None
        dx = [grads[slot] for slot in self._input_slots]
        return dx if len(dx) > 1 else dx[0]

    def _run_steps(self):
        """The steps forward and backward run: the layer calls, with each Conv2D and the
        MaxPooling2D after it as one step where they can run fused (see
        :mod:`glassnet.engine.layers.fused`)."""
        if self._fusions is None or self._fusions[0] != fused.FUSE:
            shared = {layer for pair in self._twins for layer in pair}
            self._fusions = (fused.FUSE, fused.plan(self._steps, self._output_slots, shared, Step))
            self._plan_key = None          # new steps: decide again which run backward
        return self._fusions[1]

    def _plan_backward(self):
        """Decide which calls need a backward pass and which tensors need a gradient.

        A tensor needs its gradient only if some learned weight lies upstream of it (or it
        is an input and the model is asked for the input's gradient): there is no point
        computing ``dL/d(pixels)``. Frozen layers with nothing learned below them are
        skipped altogether, which makes fine-tuning the top of a frozen network cheap.
        """
        key = (self.needs_input_grad, self.trainable, tuple([layer._trainable for layer in self._inner]))
        if key == self._plan_key:
            return
        wants = [False] * self._slot_count
        for slot in self._input_slots:
            wants[slot] = self.needs_input_grad
        for step in self._run_steps():
            step.learns = any(layer.trainable and layer.params for layer in step.layer.walk())
            upstream = any(wants[slot] for slot in step.inputs)
            step.layer.needs_input_grad = upstream
            step.runs_backward = step.learns or upstream
            for slot in step.outputs:
                wants[slot] = step.learns or upstream
        self._wants, self._plan_key = wants, key

    # -- looking inside -------------------------------------------------------------------
    def layer_outputs(self, inputs):
        """Every call's output for ``inputs`` (inference): ``[(layer, output), ...]`` in order.

        What the workbench's "look inside" pictures show; nested models are run as a whole.
        """
        values = [None] * self._slot_count
        inputs = inputs if len(self._input_slots) > 1 else [inputs]
        for slot, value in zip(self._input_slots, inputs):
            values[slot] = value
        masks = self._input_masks(None)
        return [(step.node.layer, self._run_step(step, values, masks, False)) for step in self._steps]

    def final_activation(self):
        """The activation the (single) output ends in: a Softmax or Sigmoid layer or a
        layer's ``activation``, or None. The loss is fused with it when possible."""
        if not self.built or len(self.outputs) != 1:   # a Sequential not built yet has no outputs
            return None
        return _final_activation(self.outputs[0].node.layer)

    # -- gradients for the workbench -------------------------------------------------------
    def input_gradient(self, x, output_gradient, of_logits=True):
        """``dL/dx`` for one or more inputs, given ``output_gradient = dL/d(output)``.

        What "which pixels mattered" draws: with a one-hot ``output_gradient`` it is the
        gradient of one class's score with respect to every pixel. With ``of_logits=True``
        (the default) and a model ending in softmax, the gradient is taken for the scores
        *before* the softmax (the logits), as saliency maps usually are.
        """
        x = self._prepare_inputs(x)
        final = self.final_activation()
        saved_fusion = getattr(final, "fused_with_loss", None)
        saved_need = self.needs_input_grad
        try:
            if final is not None:
                final.fused_with_loss = bool(of_logits)   # pass dy straight through to the logits
            self.needs_input_grad = True
            self.forward(x, training=False)
            return self.backward(np.asarray(output_gradient, dtype=self.dtype))
        finally:
            self.needs_input_grad = saved_need
            if final is not None:
                final.fused_with_loss = saved_fusion
            self._plan_backward()   # the layers' own switches, as training wants them

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Print each layer's output shape and parameter count, as Keras does (and, as Keras,
        return None: a notebook cell ending in ``model.summary()`` shows the table once; the
        text itself is :func:`glassnet.engine.summary.summary_table`).

        ``expand_nested`` lists the layers of a model used as a layer under it;
        ``show_trainable`` adds a column; ``line_length`` and ``positions`` size the box as
        in Keras; ``layer_range`` is not supported.
        """
        from glassnet.engine.summary import summary_table
        if layer_range is not None:
            raise ValueError("summary: layer_range is not supported by glassnet; the whole model is shown")
        text = summary_table(self, expand_nested=expand_nested, show_trainable=show_trainable,
                             line_length=line_length, positions=positions)
        if print_fn is None:
            print(text)
        else:
            print_fn(text + "\n")          # as Keras hands it: the whole text, ending its last line

    def count_params(self):
        if not self.built:
            raise ValueError(f"model '{self.name}' isn't built yet: give it an input shape or some data")
        return super().count_params()

    # -- weights ------------------------------------------------------------------------
    def set_weights(self, weights):
        set_arrays([array for _, _, array in self._weights()], weights, f"model '{self.name}'")

    # -- configuration ---------------------------------------------------------------------
    def get_config(self):
        """The architecture as plain JSON-friendly data (no weights): Keras's Functional
        layout, each layer with the calls that feed it."""
        index = {}
        for node in self._nodes:
            index[id(node)] = len([n for n in self._nodes[:self._nodes.index(node)]
                                   if n.layer is node.layer])
        layers = []
        for layer in self._graph_layers:
            # Keras 2's layout: [layer, call, 0] per input, and the call's arguments fourth.
            inbound = [[[t.node.layer.name, index[id(t.node)], t.index, *_call_options(node)] for t in node.inputs]
                       for node in self._nodes if node.layer is layer and node.inputs]
            layers.append({"class_name": layer_class_name(layer), "name": layer.name,
                           "config": layer.get_config(), "inbound_nodes": inbound})
        ends = lambda tensors: [[t.node.layer.name, index[id(t.node)], t.index] for t in tensors]
        outputs = ends(self.outputs)
        if self._given_keys is not None:       # outputs given as a dict: saved as one, as Keras saves them
            outputs = self._as_given(outputs)
        return {"name": self.name, "trainable": self.trainable, "seed": self.seed,
                "layers": layers, "input_layers": ends(self.inputs), "output_layers": outputs}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild the model :meth:`get_config` describes (fresh weights); a subclass from its
        own get_config, without layers, as Keras does: ``cls(**config)``."""
        if "layers" not in config and cls is not Model:
            return super().from_config(config)
        created, made = {}, {}

        def tensor(name, node_index, tensor_index=0):
            made_there = made[(name, node_index)]       # a list, for a layer with several outputs
            return made_there[tensor_index] if isinstance(made_there, list) else made_there

        specs = list(config["layers"])
        for spec in specs:
            created[spec["name"]] = deserialize_layer(spec, custom_objects)
        # Replay the calls in the saved order until every one has been made.
        pending = [(spec, i, args) for spec in specs for i, args in enumerate(spec["inbound_nodes"])]
        for spec in specs:
            if isinstance(created[spec["name"]], InputLayer):
                made[(spec["name"], 0)] = created[spec["name"]].output
        while pending:
            progress = False
            for item in list(pending):
                spec, i, args = item
                if all((entry[0], entry[1]) in made for entry in args):
                    named = {entry[3]["keyword"]: tensor(*entry[:3]) for entry in args
                             if len(entry) > 3 and isinstance(entry[3], dict) and "keyword" in entry[3]}
                    inputs = [tensor(*entry[:3]) for entry in args[:len(args) - len(named)]]
                    layer = created[spec["name"]]
                    several = layer.takes_list or len(inputs) + len(named) > 1   # a layer of your own on a list too
                    if named or spreads_call(layer, len(inputs)):      # its call(targets, logits=...)
                        inputs = tensors_in_call_order(layer, inputs, named)
                    made[(spec["name"], i)] = layer(inputs if several else inputs[0],
                                                    training=_call_mode(args, spec["name"]))
                    pending.remove(item)
                    progress = True
            if not progress:
                raise ValueError(f"model config: the calls of layer(s) "
                                 f"{', '.join(sorted({s['name'] for s, _, _ in pending}))} can't be "
                                 f"connected (a missing or circular input)")
        inputs = [tensor(*entry) for entry in config["input_layers"]]
        ends = config["output_layers"]
        if isinstance(ends, dict):             # outputs by name: predict answers with a dict
            outputs = {key: tensor(*entry) for key, entry in ends.items()}
        else:
            outputs = [tensor(*entry) for entry in ends]
            outputs = outputs if len(outputs) > 1 else outputs[0]
        return cls(inputs if len(inputs) > 1 else inputs[0], outputs,
                   name=config.get("name"), seed=config.get("seed"), trainable=config.get("trainable", True))



# -- helpers ----------------------------------------------------------------------------
class RecordedCall(Layer):
    """The whole ``call()`` of a Model subclass that computes (keras.io's variational
    autoencoder: ``kl = -0.5 * ops.mean(...)``, ``self.add_loss(kl)``), run as one recorded
    step of its graph: its math and its layers' calls recorded as they run and
    differentiated (glassnet.engine.recording), where a ``call()`` of layers alone is traced
    into a graph of them. Such a model trains, evaluates and predicts; its file keeps only
    its weights (``save_weights``): a graph of layers is what glassnet and Keras files hold.
    """

    def __init__(self, model):
        super().__init__(name=f"{model.name}_call", dtype=model.dtype)
        self._call = model.call               # the bound method: the model is not held as a layer
        self.traces_call = True

    @property
    def model(self):
        return self._call.__self__

    def build(self, input_shape, rng=None):
        # the model's layers, learning in its place (found once, before the model lists its graph)
        held = self.sublayers or [layer for layer in recording.held_layers(self.model) if layer is not self]
        super().build(input_shape, rng)
        recording.start_recording(self, [] if isinstance(input_shape, list) else None)
        self.takes_list = isinstance(input_shape, list)
        self.sublayers = held
        every = []                    # the layers it holds and theirs, depth first
        for inner in (inner for layer in held for inner in layer.walk()):
            if not any(inner is seen for seen in every):
                every.append(inner)
        if any(layer.name is None for layer in every):       # one name each, in the order Keras gives them
            from glassnet.engine.symbolic import name_layers
            name_layers(every)

    def call(self, inputs, training=None):
        model = self.model
        model.__dict__["added_losses"] = self.__dict__.get("added_losses", [])   # its add_loss terms
        try:
            return run_call(model, inputs, training)
        finally:
            model.__dict__.pop("added_losses", None)

    def get_config(self):
        from glassnet.errors import ExportError
        raise ExportError(f"model '{self.model.name}' ({type(self.model).__name__}) computes in its call(), so "
                          f"it is no graph of layers that a file can describe: save its weights with "
                          f"save_weights(...) and load them into a new {type(self.model).__name__}")


def _call_options(node):
    """``[{"training": ...}]`` for a call that fixed its mode, else nothing."""
    return [{"training": node.training}] if node.training is not None else []


def _call_mode(entries, name):
    """The ``training`` a saved call fixed (its inputs' fourth item), or None."""
    options = entries[0][3] if entries and len(entries[0]) > 3 else {}
    options = {k: v for k, v in options.items() if k != "keyword"} if isinstance(options, dict) else options
    if not isinstance(options, dict) or set(options) - {"training"} or \
            not isinstance(options.get("training", False), bool):
        raise ValueError(f"a call of layer {name!r} has arguments glassnet can't pass: {options!r} "
                         f"(only training=True/False)")
    return options.get("training")


def _gradient_of(step, grads):
    """The gradient of ``step``'s output (taken out of ``grads``): None if it reaches no
    output of the model; for several outputs, a list, zeros for those that reach none."""
    if step.output is not None:
        g, grads[step.output] = grads[step.output], None
        return g
    gs = [grads[slot] for slot in step.outputs]
    for slot in step.outputs:
        grads[slot] = None
    if all(g is None for g in gs):
        return None
    return [np.zeros(shape, dtype) if g is None else g for g, (shape, dtype) in zip(gs, step.shapes)]


def _final_activation(layer):
    from glassnet.engine.layers.activations import Activation, Sigmoid, Softmax

    if isinstance(layer, Model):
        return layer.final_activation()
    if layer.activity_regularizer is not None:     # its penalty needs the probabilities: not fused
        return None
    if isinstance(layer, (Softmax, Sigmoid)):
        return layer
    if isinstance(layer, Activation):
        return layer.fn if isinstance(layer.fn, (Softmax, Sigmoid)) else None
    fn = getattr(layer, "activation", None)
    return fn if isinstance(fn, (Softmax, Sigmoid)) else None


def layer_class_name(layer):
    """The class name a config uses: ``"Functional"`` for a plain Model, as Keras writes it."""
    if type(layer) is Model or (isinstance(layer, Model) and layer.traces_call) or \
            getattr(layer, "saved_as_graph", False):
        return "Functional"    # a subclass with call(), a Sequential holding a Lambda: their graphs
    return type(layer).__name__


def deserialize_layer(spec, custom_objects=None):
    """A layer (or a model) from ``{"class_name": ..., "config": ...}``."""
    known = {**LAYERS, "Functional": Model, "Model": Model, "Sequential": Sequential,
             **(custom_objects or {})}
    cls = known.get(spec.get("class_name"))
    if cls is None:
        name = spec.get("class_name")
        raise ValueError(f"unknown layer class {name!r}: if it is a layer of your own, define (or import) "
                         f"the class before loading, or pass custom_objects={{{name!r}: {name}}}")
    config = dict(spec.get("config") or {})
    if issubclass(cls, Model):
        return cls.from_config(config, custom_objects)
    return cls.from_config(config)


# Sequential is a Model whose graph is a chain (engine/sequential.py); importable from here too.
from glassnet.engine.sequential import Sequential  # noqa: E402, F401  (after Model: it subclasses it)
