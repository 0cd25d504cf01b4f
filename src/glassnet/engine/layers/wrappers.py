"""Wrappers: layers that run other layers. ``Bidirectional`` and ``TimeDistributed``.

A wrapper holds its inner layers in ``self.sublayers``, builds them in its own ``build``
with the model's random generator, and keeps no weights of its own: the model finds the
inner layers' weights by walking the tree (see :mod:`glassnet.engine.layers.base`).
"""

import numpy as np

from glassnet.engine.layers.base import LAYERS, Layer
from glassnet.engine.shapes import SampleShape
from glassnet.errors import ShapeError

MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _layer_from_spec(spec, owner):
    """A layer from ``{"class_name": ..., "config": ...}`` (what ``get_config`` saves)."""
    if isinstance(spec, Layer):
        return spec
    try:
        cls = LAYERS[spec["class_name"]]
    except (KeyError, TypeError):
        raise ValueError(f"{owner}: expected a layer or a saved layer config, got {spec!r}") from None
    return cls.from_config(spec["config"])


def _spec(layer):
    config = layer.get_config()
    config.pop("input_shape", None)     # the wrapper's input shape is the one that counts
    return {"class_name": type(layer).__name__, "config": config}


class Bidirectional(Layer):
    """Read the sequence both ways and put the two readings side by side.

    A recurrent layer's output at step ``t`` knows only the steps before ``t``. Reading a
    line of digits, the columns to the *right* matter just as much. ``Bidirectional`` runs
    a copy of the layer forwards and another backwards (``go_backwards=True``), turns the
    backward one's outputs round so that step ``t`` faces step ``t``, and merges them::

        y_fwd = forward_layer(x)                     # (N, T, U), step t knows x_0..x_t
        y_bwd = reverse(backward_layer(x))           # (N, T, U), step t knows x_t..x_{T-1}
        y = concat([y_fwd, y_bwd], axis=-1)          # (N, T, 2U); or sum, mul, ave

    Backward splits ``dy`` the same way, sends each part through its layer, and adds the
    two ``dx``.

    Args:
        layer: a recurrent layer (e.g. ``LSTM(64, return_sequences=True)``). It is copied
            twice, as ``forward_<name>`` and ``backward_<name>``, as in Keras.
        merge_mode: ``"concat"`` (default), ``"sum"``, ``"mul"``, ``"ave"``, or None for
            the two readings as two outputs, ``[y_fwd, y_bwd]`` (in a Functional model).
        backward_layer: a different layer to read backwards (default: a copy of ``layer``
            with ``go_backwards`` flipped).

    Input shape: ``(N, T, F)``. Output shape: ``(N, T, 2U)`` with concat, else ``(N, T, U)``
    (without the time axis when the layer does not return sequences). With a layer that has
    ``return_state=True``, the last states of both readings follow, as in Keras:
    ``[y, h_fwd, c_fwd, h_bwd, c_bwd]`` for an LSTM; ``initial_state`` takes them in the same
    order.
    """

    def __init__(self, layer, merge_mode="concat", backward_layer=None, **kwargs):
        super().__init__(**kwargs)
        layer = _layer_from_spec(layer, "Bidirectional")
        if not hasattr(layer, "go_backwards") or not hasattr(layer, "return_sequences"):
            raise ValueError(f"Bidirectional: needs a recurrent layer (SimpleRNN, LSTM, GRU), "
                             f"got {type(layer).__name__}")
        if merge_mode not in MERGE_MODES:
            raise ValueError(f"Bidirectional: merge_mode must be 'concat', 'sum', 'mul', 'ave' or None, "
                             f"got {merge_mode!r}")
        self.merge_mode = merge_mode
        base = layer.name                                          # Keras's forward_simple_rnn
        config = layer.get_config()
        config.pop("input_shape", None)
        self.forward_layer = type(layer).from_config({**config, "name": f"forward_{base}"})
        if backward_layer is None:
            backward_config = {**config, "name": f"backward_{base}", "go_backwards": not layer.go_backwards}
            self.backward_layer = type(layer).from_config(backward_config)
        else:
            self.backward_layer = _layer_from_spec(backward_layer, "Bidirectional")
            if self.backward_layer.return_sequences != layer.return_sequences:
                raise ValueError("Bidirectional: the forward and backward layers must agree on "
                                 "return_sequences")
        if self.backward_layer.return_state != self.forward_layer.return_state:
            raise ValueError("Bidirectional: the forward and backward layers must agree on return_state")
        self.return_state = self.forward_layer.return_state
        for reader in (self.forward_layer, self.backward_layer):    # as Keras: padded steps show zeros
            reader.zero_output_for_mask = reader.return_sequences
        self.base_name = base
        self.sublayers = [self.forward_layer, self.backward_layer]
        self.dtype, self.trainable = self.dtype, self.trainable   # pass both on to the inner layers

    def build(self, input_shape, rng=None):
        if self.takes_list:                  # [sequences, the forward reading's states, the backward's]
            self.input_shape = [SampleShape(shape) for shape in input_shape]
            self.rng = rng if rng is not None else self.rng or np.random.default_rng()
            self.built = True
        else:
            super().build(input_shape, rng)
        for layer, shape in zip(self.sublayers, self._inner_shapes(self.input_shape)):
            layer.dtype = self.dtype
            layer.takes_list = self.takes_list
            layer.build(shape, self.rng)

    def _inner_shapes(self, input_shape):
        """What each reading is built for: the sequences, and its half of the initial states."""
        if not self.takes_list:
            return [input_shape, input_shape]
        sequences, *states = input_shape
        half = len(states) // 2
        return [[sequences] + states[:half], [sequences] + states[half:]]

    def __call__(self, inputs, initial_state=None, training=None, mask=None):
        """``layer(x)``, or ``layer(x, initial_state=[h_fwd(, c_fwd), h_bwd(, c_bwd)])``: the
        first half of the states starts the forward reading, the second the backward one, as
        in Keras."""
        if initial_state is not None:
            states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
            needed = 2 * len(self.forward_layer.carried)
            if len(states) != needed:
                raise ValueError(f"Bidirectional: initial_state needs {needed} states, those of the forward "
                                 f"reading then the backward one's, got {len(states)}")
            if self.built and not self.takes_list:
                raise ShapeError(f"layer '{self._display_name}' (Bidirectional) was built without initial states; each "
                                 f"call must be the same (use a layer of its own for the other)")
            self.takes_list = True
            inputs = [inputs] + states
        elif isinstance(inputs, (list, tuple)) and len(inputs) > 1:    # layer([x, *states]): the same call
            self.takes_list = True
        if mask is not None and self.takes_list:     # the sequences' mask; the states have none
            mask = [mask] + [None] * (len(inputs) - 1)
        return super().__call__(inputs, training, mask)

    def output_shape(self, input_shape):
        shapes = self._inner_shapes(input_shape)
        a, *a_states = self._as_list(self.forward_layer.output_shape(shapes[0]))
        b, *b_states = self._as_list(self.backward_layer.output_shape(shapes[1]))
        if self.merge_mode is None:
            merged = [a, b]
        else:
            merged = [a[:-1] + (a[-1] + b[-1],)] if self.merge_mode == "concat" else [a]
        return self._one_or_list(merged + a_states + b_states)

    def _as_list(self, value):
        """A reading's output and its states (return_state) as one list: ``[y, h(, c)]``."""
        return list(value) if self.return_state else [value]

    @staticmethod
    def _one_or_list(outputs):
        """The layer's outputs, Keras's way: the merged output alone, or a list (two readings
        with ``merge_mode=None``; states after them with ``return_state``)."""
        return outputs if len(outputs) > 1 else outputs[0]

    def _turn(self, y, layer):
        """A backwards reader's sequence, in the input's order."""
        return y[:, ::-1] if layer.return_sequences and layer.go_backwards else y

    def compute_mask(self, inputs, mask=None):
        """Keras's: the sequences' mask goes on with the output sequence(s); none otherwise."""
        mask = mask[0] if isinstance(mask, list) else mask
        shown = mask if self.forward_layer.return_sequences else None
        outputs = [shown, shown] if self.merge_mode is None else [shown]
        masks = outputs + [None] * (2 * len(self.forward_layer.carried) if self.return_state else 0)
        return self._one_or_list(masks)

    def forward(self, x, training=False, mask=None):
        self.check_input(x)
        forward, backward = self.forward_layer, self.backward_layer
        x_a, x_b = self._inner_shapes(x)         # (the same sequences; each its own states)
        a, *a_states = self._as_list(forward.forward(x_a, training, mask=mask))
        b, *b_states = self._as_list(backward.forward(x_b, training, mask=mask))
        self.a, self.b = self._turn(a, forward), self._turn(b, backward)
        if self.merge_mode is None:
            merged = [self.a, self.b]
        elif self.merge_mode == "concat":
            merged = [np.concatenate([self.a, self.b], axis=-1)]
        elif self.merge_mode == "sum":
            merged = [self.a + self.b]
        elif self.merge_mode == "mul":
            merged = [self.a * self.b]
        else:
            merged = [(self.a + self.b) / 2]
        return self._one_or_list(merged + a_states + b_states)

    def backward(self, dy):
        dy = list(dy) if self.merge_mode is None or self.return_state else [dy]
        outputs = 2 if self.merge_mode is None else 1
        d_outputs, d_states = dy[:outputs], dy[outputs:]    # return_state: the states' gradients follow
        half = len(d_states) // 2
        dy = d_outputs[0]
        if self.merge_mode is None:
            da, db = d_outputs
        elif self.merge_mode == "concat":
            units = self.a.shape[-1]
            da, db = dy[..., :units], dy[..., units:]
        elif self.merge_mode == "sum":
            da = db = dy
        elif self.merge_mode == "mul":
            da, db = dy * self.b, dy * self.a
        else:
            da = db = dy / 2
        for layer in self.sublayers:
            layer.needs_input_grad = self.needs_input_grad
        da, db = self._turn(da, self.forward_layer), self._turn(db, self.backward_layer)
        dx_a = self.forward_layer.backward([da] + d_states[:half] if self.return_state else da)
        dx_b = self.backward_layer.backward([db] + d_states[half:] if self.return_state else db)
        if dx_a is None:
            return None
        if self.takes_list:                # the sequences' gradient, then each state's
            return [dx_a[0] + dx_b[0]] + dx_a[1:] + dx_b[1:]
        return dx_a + dx_b

    def get_config(self):
        layer = _spec(self.forward_layer)
        layer["config"]["name"] = self.base_name
        return {**super().get_config(), "layer": layer,
                "merge_mode": self.merge_mode, "backward_layer": _spec(self.backward_layer)}


class TimeDistributed(Layer):
    """Apply one layer to every time step, with the same weights.

    The time axis is folded into the batch, the layer runs once on all the steps of all the
    samples, and the result is unfolded::

        (N, T, *in) -> (N*T, *in) -> layer -> (N*T, *out) -> (N, T, *out)

    ``TimeDistributed(Dense(11))`` on ``(N, T, F)`` is a Dense layer applied to each of the
    ``T`` feature vectors: per-column class scores for CTC.

    Args:
        layer: the layer to apply (built here for one step's shape, ``input_shape[1:]``).

    Input shape: ``(N, T, *in)``. Output shape: ``(N, T, *out)``. A mask over the time steps
    passes through, as in Keras 3.15 (the inner layer sees each step's own part of it).
    """

    supports_masking = True

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        self.layer = _layer_from_spec(layer, "TimeDistributed")
        self.sublayers = [self.layer]
        self.dtype, self.trainable = self.dtype, self.trainable   # pass both on to the inner layer

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        if len(self.input_shape) < 2:
            raise ShapeError(f"layer '{self._display_name}' (TimeDistributed) needs (batch, time steps, ...) "
                             f"input but got {('batch',) + self.input_shape}")
        self.layer.dtype = self.dtype
        self.layer.build(SampleShape(self.input_shape[1:]), self.rng)

    def output_shape(self, input_shape):
        return (input_shape[0],) + tuple(self.layer.output_shape(SampleShape(input_shape[1:])))

    def forward(self, x, training=False, mask=None):
        self.check_input(x)
        n, steps = x.shape[:2]
        folded = x.reshape((n * steps,) + x.shape[2:])
        if mask is not None and self.layer.uses_mask and np.ndim(mask) > 2:   # (N, T, T2): each step's (T2,)
            y = self.layer.forward(folded, training, mask=np.reshape(mask, (n * steps,) + np.shape(mask)[2:]))
        else:
            y = self.layer.forward(folded, training)
        return y.reshape((n, steps) + y.shape[1:])

    def backward(self, dy):
        n, steps = dy.shape[:2]
        self.layer.needs_input_grad = self.needs_input_grad
        dx = self.layer.backward(dy.reshape((n * steps,) + dy.shape[2:]))
        return None if dx is None else dx.reshape((n, steps) + dx.shape[1:])

    def get_config(self):
        return {**super().get_config(), "layer": _spec(self.layer)}
