"""Recurrent layers: SimpleRNN, LSTM and GRU, read a sequence one step at a time.

A recurrent layer carries a *state* ``h`` (a vector of ``U`` numbers) along the sequence.
At every time step it mixes the new input ``x_t`` with the state so far, so the output at
step ``t`` can depend on everything before it::

    h_t = f(x_t @ W + h_{t-1} @ U + b)          # SimpleRNN; LSTM and GRU add gates

**Training: backpropagation through time.** Unrolled over ``T`` steps, the layer is a deep
network whose ``T`` layers share one set of weights. The backward pass walks the steps in
reverse, carrying ``dL/dh`` from step ``t`` back to step ``t - 1``, and each weight's
gradient is the sum of its gradients at every step.

**Speed.** Only the part that depends on the previous state must run step by step. The
input part ``x_t @ W + b`` is computed for all steps at once, one ``(N*T, F) @ (F, G)``
matrix multiply; in the backward pass ``dW``, ``dU`` and ``dx`` are likewise single matrix
multiplies over all the steps, and only ``dh`` is passed back step by step.

The weights have Keras's names, shapes and gate order (so ``set_weights`` takes Keras's
``get_weights``): ``kernel`` ``(F, G*U)``, ``recurrent_kernel`` ``(U, G*U)`` and ``bias``,
with ``G`` = 1 (SimpleRNN), 4 (LSTM: gates i, f, c, o) or 3 (GRU: gates z, r, h).

Input shape: ``(N, T, F)``. Output shape: ``(N, T, U)`` with ``return_sequences=True``,
else ``(N, U)``, the last state.

**States in and out** (Keras's sequence-to-sequence models). The reading starts from zero
states unless ``layer(x, initial_state=[h0])`` gives others (LSTM: ``[h0, c0]``, each
``(N, U)``); their gradients flow back to whatever made them. With ``return_state=True``
the layer also returns its last states: ``[output, h_T]`` (LSTM: ``[output, h_T, c_T]``).
An encoder hands its states to a decoder that way::

    _, h, c = LSTM(64, return_state=True)(encoder_inputs)
    y = LSTM(64, return_sequences=True)(decoder_inputs, initial_state=[h, c])
"""

import numpy as np

from glassnet.engine import initializers
from glassnet.engine.layers.base import Layer, snake_case
from glassnet.engine.layers.dropout import dropout_mask
from glassnet.engine.shapes import SampleShape
from glassnet.errors import ShapeError


def orthogonal(shape, rng, gain=1.0):
    """A random orthogonal matrix (Saxe et al., 2014), Keras's start for ``recurrent_kernel``.

    Multiplying the state by an orthogonal matrix keeps its length, so at the start of
    training the signal neither grows nor fades as it is passed along many steps.
    """
    rows, cols = int(np.prod(shape[:-1])), shape[-1]
    a = rng.normal(0.0, 1.0, size=(max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))          # makes the result uniformly distributed
    if rows < cols:
        q = q.T
    return np.ascontiguousarray(gain * q.reshape(shape))


def _rows(a):
    """``(N, T, F)`` (or ``(N, F)``) as rows ``(N*T, F)``: one matrix multiply for all the steps."""
    return a.reshape(-1, a.shape[-1])


def masked_product(a, W, masks):
    """``a @ W`` over the last axis of ``a`` (``(N, F)``, or ``(N, T, F)`` for all the steps
    at once). With dropout, ``masks[g]`` switches units of ``a`` off for the ``g``-th block
    of W's columns (a gate's), or one mask serves them all: ``[(a * m_g) @ W_g, ...]``."""
    if masks is None:
        return (_rows(a) @ W).reshape(a.shape[:-1] + (W.shape[1],))
    blocks = np.split(W, len(masks), axis=1)
    out = np.concatenate([_rows(a * m) @ block for m, block in zip(masks, blocks)], axis=1)
    return out.reshape(a.shape[:-1] + (W.shape[1],))


def masked_product_gradient(d, W, masks):
    """The gradient of :func:`masked_product` with respect to ``a``: ``sum_g (d_g @ W_g.T) * m_g``."""
    shape = d.shape[:-1] + (W.shape[0],)
    if masks is None:
        return (_rows(d) @ W.T).reshape(shape)
    blocks, ds = np.split(W, len(masks), axis=1), np.split(d, len(masks), axis=-1)
    return sum((_rows(d_g) @ block.T).reshape(shape) * m for d_g, block, m in zip(ds, blocks, masks))


def kernel_gradient(a, d, masks, out):
    """The gradient of :func:`masked_product` with respect to ``W``, written into ``out``:
    ``(a * m_g).T @ d_g`` for each block, summed over the rows (and steps)."""
    if masks is None:
        np.matmul(_rows(a).T, _rows(d), out=out)
        return
    for m, d_g, out_g in zip(masks, np.split(d, len(masks), axis=-1), np.split(out, len(masks), axis=1)):
        m = m if m.ndim == a.ndim else m[:, np.newaxis]       # a state's mask, (N, U), on every step
        out_g[...] = _rows(a * m).T @ _rows(d_g)


def _initializer(name):
    return orthogonal if name == "orthogonal" else initializers.get(name)


# Activations as (f, f' written in terms of the output y = f(z)): the backward pass then
# needs only the outputs, which the forward pass keeps anyway.
ACTIVATIONS = {
    "tanh": (np.tanh, lambda y: 1 - y * y),
    "sigmoid": (lambda z: 0.5 * (1 + np.tanh(0.5 * z)), lambda y: y * (1 - y)),  # no overflow
    "relu": (lambda z: np.maximum(z, 0), lambda y: (y > 0).astype(y.dtype)),
    "linear": (lambda z: z, lambda y: np.ones_like(y)),
    # Keras 3's: relu6(z + 3) / 6, a straight line from 0 to 1 between z = -3 and 3
    "hard_sigmoid": (lambda z: np.clip(z / 6 + 0.5, 0, 1), lambda y: ((y > 0) & (y < 1)) / np.asarray(6, y.dtype)),
}


def _activation(name, layer, argument):
    name = "linear" if name is None else name
    if name not in ACTIVATIONS:
        raise ValueError(f"{layer}: {argument} must be one of {', '.join(ACTIVATIONS)}, got {name!r}")
    return name


# Keras's recurrent arguments glassnet runs only at Keras's defaults (``implementation`` and
# ``unroll`` change how Keras computes, not what: any value is fine).
KERAS_ONLY = {"stateful": False,
              "time_major": False, "kernel_regularizer": None, "recurrent_regularizer": None,
              "bias_regularizer": None, "kernel_constraint": None, "recurrent_constraint": None,
              "bias_constraint": None}
HOW_KERAS_COMPUTES = ("implementation", "unroll", "use_cudnn")


class Recurrent(Layer):
    """What SimpleRNN, LSTM and GRU share: the sequence bookkeeping, the weights, the config.

    Args:
        units: size ``U`` of the state (and of the output).
        activation: for the state candidate (default ``"tanh"``).
        use_bias: add the biases.
        kernel_initializer, recurrent_initializer, bias_initializer: how the weights start
            (Keras's defaults: ``"glorot_uniform"``, ``"orthogonal"``, ``"zeros"``).
        return_sequences: return the state after every step ``(N, T, U)``, not only the
            last one ``(N, U)``.
        go_backwards: read the sequence from its end. As in Keras, the output sequence is
            then in reading order (reversed); :class:`Bidirectional` turns it round.
        return_state: also return the last states, ``[output, h_T]`` (LSTM: ``[output,
            h_T, c_T]``), as in Keras.
        dropout, recurrent_dropout: in training, the fraction of the inputs ``x_t`` (of the
            states ``h_{t-1}`` going into ``h_{t-1} @ U``) switched off, with one mask for every
            step of a sequence (Gal and Ghahramani, 2016). As in Keras, with
            ``recurrent_dropout`` every gate draws masks of its own; without it, one input mask
            serves all the gates. The cell ``c`` and the state update ``h_t = z * h_{t-1} + ...``
            are never masked.
        seed: the masks' generator (default: the model's).
    """

    gates = 1
    carried = ("h",)        # the states carried from step to step (LSTM: h and its cell c)

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 return_sequences=False, go_backwards=False, return_state=False, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        kind = type(self).__name__
        for name, default in KERAS_ONLY.items():     # Keras's, at values glassnet can't run: say so
            value = kwargs.pop(name, default)
            if value != default:
                raise ValueError(f"{kind}: {name}={value!r} is not supported by glassnet (its recurrent "
                                 f"layers run {name}={default!r}, Keras's default)")
        for name in HOW_KERAS_COMPUTES:
            kwargs.pop(name, None)
        super().__init__(**kwargs)
        if int(units) != units or units < 1:
            raise ValueError(f"{kind}: units must be a positive integer, got {units!r}")
        self.units = int(units)
        self.activation = _activation(activation, kind, "activation")
        self.use_bias = bool(use_bias)
        self.kernel_initializer = kernel_initializer
        self.recurrent_initializer = recurrent_initializer
        self.bias_initializer = bias_initializer
        for name in (kernel_initializer, recurrent_initializer, bias_initializer):
            _initializer(name)   # an unknown name fails here, not at build time
        self.return_sequences = bool(return_sequences)
        self.go_backwards = bool(go_backwards)
        self.return_state = bool(return_state)
        for name, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not 0 <= rate < 1:
                raise ValueError(f"{kind}: {name} must be in [0, 1), got {rate!r}")
        self.dropout, self.recurrent_dropout = float(dropout), float(recurrent_dropout)
        self.seed_with(seed)
        self.input_masks = self.recurrent_masks = None

    def __call__(self, inputs, initial_state=None, training=None, mask=None):
        """``layer(x)``, or ``layer(x, initial_state=[h0])`` (LSTM: ``[h0, c0]``) to start
        from those states instead of zeros, as in Keras. Inside, the states are more inputs
        of the layer: ``layer([x, h0, c0])`` is the same call (a saved model makes it so)."""
        kind = type(self).__name__
        if mask is not None:
            raise NotImplementedError(f"{kind}: mask= is not supported by glassnet (it has no masks)")
        if initial_state is not None:
            initial_state = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
            inputs = [inputs] + initial_state
        if isinstance(inputs, (list, tuple)) and len(inputs) == 1:
            inputs = inputs[0]
        with_states = isinstance(inputs, (list, tuple))
        if with_states and len(inputs) != 1 + len(self.carried):
            raise ValueError(f"{kind}: initial_state needs {len(self.carried)} state(s), "
                             f"[{', '.join(self.carried)}], got {len(inputs) - 1}")
        if self.built and with_states != self.takes_list:
            if self.nodes:             # a call in a graph reads one list of inputs (or one input)
                raise ShapeError(f"layer '{self.name or snake_case(kind)}' ({kind}) was built "
                                 f"{'with' if self.takes_list else 'without'} initial states; each call in a "
                                 f"model must be the same (use a layer of its own for the other)")
            sequences = self.input_shape[0] if self.takes_list else self.input_shape   # on arrays: as Keras
            self.input_shape = [sequences] + [SampleShape((self.units,))] * len(self.carried) \
                if with_states else sequences
        self.takes_list = with_states
        return super().__call__(inputs, training)

    def build(self, input_shape, rng=None):
        if self.takes_list:                   # [sequences, h0(, c0)]
            super().build(input_shape[0], rng)
            states = [SampleShape(shape) for shape in input_shape[1:]]
            for name, shape in zip(self.carried, states):
                if tuple(shape) != (self.units,):
                    given = ", ".join(str(size) for size in shape)
                    raise ShapeError(f"layer '{self.name or snake_case(type(self).__name__)}' ({type(self).__name__}): "
                                     f"the initial state {name} must be (batch, {self.units}), got (batch, {given})")
            self.input_shape = [self.input_shape] + states
        else:
            super().build(input_shape, rng)
        sequences = self.input_shape[0] if self.takes_list else self.input_shape
        if len(sequences) != 2:
            raise ShapeError(
                f"layer '{self.name}' ({type(self).__name__}) needs sequences (batch, time steps, "
                f"features) but got {('batch',) + sequences}")
        features, size = sequences[1], self.gates * self.units
        self.add_param("kernel", _initializer(self.kernel_initializer)((features, size), self.rng))
        self.add_param("recurrent_kernel",
                       _initializer(self.recurrent_initializer)((self.units, size), self.rng))
        if self.use_bias:
            self.add_param("bias", self._initial_bias())

    def _initial_bias(self):
        return _initializer(self.bias_initializer)((self.gates * self.units,), self.rng)

    def output_shape(self, input_shape):
        steps = (input_shape[0] if self.takes_list else input_shape)[0]
        output = (steps, self.units) if self.return_sequences else (self.units,)
        return [output] + [(self.units,)] * len(self.carried) if self.return_state else output

    # Each layer's forward/backward call these two (a base class with a forward of its own
    # would count as a layer of its own in the gradient-check catalogue).
    def _read_sequence(self, inputs, training=False):
        self.check_input(inputs)
        x = inputs[0] if self.takes_list else inputs
        if self.takes_list:                    # the states to start from, (N, U) each
            self.initial = [np.asarray(state, x.dtype) for state in inputs[1:]]
        else:
            self.initial = [np.zeros((len(x), self.units), x.dtype)] * len(self.carried)
        if self.go_backwards:
            x = x[:, ::-1]
        self.x = x
        self._draw_masks(len(x), x.shape[-1], x.dtype, training)
        states = self._steps(x)                                  # (N, T, U)
        output = states if self.return_sequences else states[:, -1]
        return [output] + self._last_states() if self.return_state else output

    def _last_states(self):
        """The states after the last step, as ``return_state`` gives them: ``[h_T]``."""
        return [self.states[:, -1]]

    def _draw_masks(self, n, features, dtype, training):
        """The dropout masks of this batch, or None: ``input_masks`` (one per gate, or one for
        all, each ``(N, 1, F)``: the same for every step) and ``recurrent_masks`` (one per
        gate, ``(N, U)``)."""
        self.input_masks = self.recurrent_masks = None
        if not training:
            return
        per_gate = self.gates if self.recurrent_dropout else 1     # Keras's implementation 1 and 2
        if self.dropout:
            self.input_masks = [dropout_mask(self.draws, (n, 1, features), self.dropout, dtype)
                                for _ in range(per_gate)]
        if self.recurrent_dropout:
            self.recurrent_masks = [dropout_mask(self.draws, (n, self.units), self.recurrent_dropout, dtype)
                                    for _ in range(self.gates)]

    def _backprop_sequence(self, dy):
        n, steps, _ = self.x.shape
        dy, d_last = (dy[0], dy[1:]) if self.return_state else (dy, [])
        if self.return_sequences:
            d_states = dy.copy() if d_last else dy
        else:                              # only the last state was used
            d_states = np.zeros((n, steps, self.units), dy.dtype)
            d_states[:, -1] = dy
        if d_last:                         # h_T returned as a state too: both gradients
            d_states[:, -1] += d_last[0]
        # dz: the gradient of every step's pre-activations (input part), (N, T, G*U); the
        # step loop also leaves d_initial, the gradients of the states it started from.
        dz = self._steps_backward(d_states, *d_last[1:])
        kernel_gradient(self.x, dz, self.input_masks, self.grads["kernel"])   # dW = X.T @ dZ
        if not self.needs_input_grad:
            return None
        dx = masked_product_gradient(dz, self.params["kernel"], self.input_masks)   # dX = dZ @ W.T
        dx = dx[:, ::-1] if self.go_backwards else dx
        return [dx] + self.d_initial if self.takes_list else dx

    def _previous_states(self):
        """``h_{t-1}`` for every step, ``(N, T, U)``: the initial state, then all but the last."""
        return np.concatenate([self.initial[0][:, np.newaxis], self.states[:, :-1]], axis=1)

    def _input_part(self, x):
        """``x_t @ W`` for every step at once: ``(N*T, F) @ (F, G*U)``, as (N, T, G*U)."""
        return masked_product(x, self.params["kernel"], self.input_masks)

    def _recurrent_part(self, h, U, masks=None):
        """``h_{t-1} @ U`` (with recurrent dropout, each gate's block from its own masked
        ``h``); ``masks`` defaults to every gate's."""
        return masked_product(h, U, self.recurrent_masks if masks is None else masks)

    def _recurrent_part_gradient(self, d, U, masks=None):
        """The gradient of :meth:`_recurrent_part` with respect to ``h_{t-1}``."""
        return masked_product_gradient(d, U, self.recurrent_masks if masks is None else masks)

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": None if self.activation == "linear" else self.activation,
                "use_bias": self.use_bias, "kernel_initializer": self.kernel_initializer,
                "recurrent_initializer": self.recurrent_initializer,
                "bias_initializer": self.bias_initializer,
                "return_sequences": self.return_sequences, "go_backwards": self.go_backwards,
                "return_state": self.return_state, "dropout": self.dropout,
                "recurrent_dropout": self.recurrent_dropout, **self.seed_config()}


class SimpleRNN(Recurrent):
    """The plain recurrent layer (Elman, 1990).

    Forward, for every step ``t`` (``h_0 = 0``, or the initial state given)::

        h_t = f(x_t @ W + h_{t-1} @ U + b)     # (N, F) @ (F, U) + (N, U) @ (U, U) + (U,)

    Backward, with ``dh_t`` = the gradient from the output plus the one from step ``t + 1``::

        dz_t = dh_t * f'(z_t)
        dh_{t-1} += dz_t @ U.T                 # passed back in time
        dW = sum_t x_t.T @ dz_t,  dU = sum_t h_{t-1}.T @ dz_t,  db = sum_t dz_t

    The gradient passed back is multiplied by ``U.T`` and ``f'`` once per step, so over many
    steps it tends to vanish (or explode): the problem LSTM and GRU were made to solve.

    Weights: ``kernel`` (F, U), ``recurrent_kernel`` (U, U), ``bias`` (U,).
    """

    def forward(self, x, training=False):
        return self._read_sequence(x, training)

    def backward(self, dy):
        return self._backprop_sequence(dy)

    def _steps(self, x):
        f = ACTIVATIONS[self.activation][0]
        n, steps, _ = x.shape
        z = self._input_part(x)
        if self.use_bias:
            z += self.params["bias"]
        U = self.params["recurrent_kernel"]
        states = np.empty((n, steps, self.units), x.dtype)
        h = self.initial[0]
        for t in range(steps):
            h = states[:, t] = f(z[:, t] + self._recurrent_part(h, U))
        self.states = states
        return states

    def _steps_backward(self, d_states):
        df = ACTIVATIONS[self.activation][1]
        n, steps, units = self.states.shape
        U = self.params["recurrent_kernel"]
        dz = np.empty_like(self.states)
        dh = np.zeros((n, units), self.states.dtype)
        for t in range(steps - 1, -1, -1):
            dz[:, t] = (d_states[:, t] + dh) * df(self.states[:, t])
            dh = self._recurrent_part_gradient(dz[:, t], U)
        self.d_initial = [dh]                          # after step 0: dL/dh_0
        kernel_gradient(self._previous_states(), dz, self.recurrent_masks, self.grads["recurrent_kernel"])
        if self.use_bias:
            np.sum(dz, axis=(0, 1), out=self.grads["bias"])
        return dz


class LSTM(Recurrent):
    """Long short-term memory (Hochreiter and Schmidhuber, 1997), as Keras computes it.

    Besides the output state ``h`` it carries a *cell* ``c``, changed only by gated
    additions, so gradients can flow back over many steps without vanishing::

        [z_i, z_f, z_c, z_o] = x_t @ W + h_{t-1} @ U + b     # (N, 4U), split in four
        i = sigmoid(z_i)    f = sigmoid(z_f)    o = sigmoid(z_o)    # input, forget, output gates
        g = tanh(z_c)                                             # the candidate
        c_t = f * c_{t-1} + i * g
        h_t = o * tanh(c_t)

    Backward, step by step from the end, with ``dh`` and ``dc`` coming back from ``t + 1``::

        do = dh * tanh(c_t)
        dc = dc_next + dh * o * (1 - tanh(c_t)**2)
        di = dc * g,  df = dc * c_{t-1},  dg = dc * i,  dc_next = dc * f
        dz = [di * i(1-i), df * f(1-f), dg * (1-g**2), do * o(1-o)]
        dh_next = dz @ U.T

    Args (besides :class:`Recurrent`'s):
        recurrent_activation: for the gates (default ``"sigmoid"``).
        unit_forget_bias: start the forget gate's bias at 1, so that the cell remembers at
            the start of training (Jozefowicz et al., 2015); Keras's default.

    Weights: ``kernel`` (F, 4U), ``recurrent_kernel`` (U, 4U), ``bias`` (4U,), gates in the
    order i, f, c, o (PyTorch's LSTM has the same order; its ``weight_ih`` is ``kernel.T``).
    """

    gates = 4
    carried = ("h", "c")

    def __init__(self, units, recurrent_activation="sigmoid", unit_forget_bias=True, **kwargs):
        super().__init__(units, **kwargs)
        self.recurrent_activation = _activation(recurrent_activation, "LSTM", "recurrent_activation")
        self.unit_forget_bias = bool(unit_forget_bias)

    def _initial_bias(self):
        bias = super()._initial_bias()
        if self.unit_forget_bias:
            bias[self.units:2 * self.units] = 1.0
        return bias

    def forward(self, x, training=False):
        return self._read_sequence(x, training)

    def backward(self, dy):
        return self._backprop_sequence(dy)

    def _steps(self, x):
        act, gate = ACTIVATIONS[self.activation][0], ACTIVATIONS[self.recurrent_activation][0]
        n, steps, _ = x.shape
        u = self.units
        z = self._input_part(x)
        if self.use_bias:
            z += self.params["bias"]
        U = self.params["recurrent_kernel"]
        # Kept for the backward pass: the gates (N, T, 4U), the cells and tanh(cells) (N, T, U).
        self.gate_values = np.empty_like(z)
        self.cells = np.empty((n, steps, u), x.dtype)
        self.cell_out = np.empty((n, steps, u), x.dtype)
        states = np.empty((n, steps, u), x.dtype)
        h, c = self.initial
        for t in range(steps):
            zt = z[:, t] + self._recurrent_part(h, U)
            g = self.gate_values[:, t]
            g[:, :2 * u] = gate(zt[:, :2 * u])          # i, f
            g[:, 2 * u:3 * u] = act(zt[:, 2 * u:3 * u])  # the candidate
            g[:, 3 * u:] = gate(zt[:, 3 * u:])          # o
            i, f, cand, o = g[:, :u], g[:, u:2 * u], g[:, 2 * u:3 * u], g[:, 3 * u:]
            c = self.cells[:, t] = f * c + i * cand
            tc = self.cell_out[:, t] = act(c)
            h = states[:, t] = o * tc
        self.states = states
        return states

    def _last_states(self):
        return [self.states[:, -1], self.cells[:, -1]]          # h_T and c_T

    def _steps_backward(self, d_states, d_last_cell=None):
        d_act, d_gate = ACTIVATIONS[self.activation][1], ACTIVATIONS[self.recurrent_activation][1]
        n, steps, u = self.states.shape
        U = self.params["recurrent_kernel"]
        dz = np.empty_like(self.gate_values)                          # (N, T, 4U)
        dh = np.zeros((n, u), self.states.dtype)
        # c_T returned as a state (return_state): its gradient starts the cell's chain
        dc_next = np.zeros((n, u), self.states.dtype) if d_last_cell is None else d_last_cell
        for t in range(steps - 1, -1, -1):
            g = self.gate_values[:, t]
            i, f, cand, o = g[:, :u], g[:, u:2 * u], g[:, 2 * u:3 * u], g[:, 3 * u:]
            tc = self.cell_out[:, t]
            c_prev = self.cells[:, t - 1] if t else self.initial[1]
            dh = d_states[:, t] + dh
            dc = dc_next + dh * o * d_act(tc)
            dzt = dz[:, t]
            dzt[:, :u] = dc * cand * d_gate(i)
            dzt[:, u:2 * u] = dc * c_prev * d_gate(f)
            dzt[:, 2 * u:3 * u] = dc * i * d_act(cand)
            dzt[:, 3 * u:] = dh * tc * d_gate(o)
            dc_next = dc * f
            dh = self._recurrent_part_gradient(dzt, U)
        self.d_initial = [dh, dc_next]                 # after step 0: dL/dh_0 and dL/dc_0
        kernel_gradient(self._previous_states(), dz, self.recurrent_masks, self.grads["recurrent_kernel"])
        if self.use_bias:
            np.sum(dz, axis=(0, 1), out=self.grads["bias"])
        return dz

    def get_config(self):
        return {**super().get_config(), "recurrent_activation": self.recurrent_activation,
                "unit_forget_bias": self.unit_forget_bias}


class GRU(Recurrent):
    """Gated recurrent unit (Cho et al., 2014), as Keras 3 computes it.

    Two gates and no separate cell: the update gate ``z`` chooses between keeping the old
    state and taking the candidate ``n``; the reset gate ``r`` chooses how much of the old
    state the candidate sees. With ``reset_after=True`` (Keras 3's default, and PyTorch's
    formula), the reset is applied after the recurrent matrix multiply::

        [a_z, a_r, a_h] = x_t @ W + b_in                 # (N, 3U), for all steps at once
        [q_z, q_r, q_h] = h_{t-1} @ U + b_rec            # (N, 3U)
        z = sigmoid(a_z + q_z)    r = sigmoid(a_r + q_r)
        n = tanh(a_h + r * q_h)
        h_t = z * h_{t-1} + (1 - z) * n

    With ``reset_after=False`` (the original paper; Keras 2's default) the candidate is
    ``n = tanh(a_h + (r * h_{t-1}) @ U_h)`` and there is one bias ``(3U,)``.

    Backward, with ``dh`` the gradient of ``h_t``::

        dn = dh * (1 - z),   dz = dh * (h_{t-1} - n),   dh_{t-1} = dh * z + ...
        da_h = dn * (1 - n**2),   dr = da_h * q_h,   dq_h = da_h * r      (reset_after)
        [da_z, da_r] = [dz * z(1-z), dr * r(1-r)],   dh_{t-1} += [da_z, da_r, dq_h] @ U.T

    Args (besides :class:`Recurrent`'s):
        recurrent_activation: for the gates (default ``"sigmoid"``).
        reset_after: see above (default True).

    Weights: ``kernel`` (F, 3U), ``recurrent_kernel`` (U, 3U), ``bias`` (2, 3U) with
    ``reset_after`` (row 0 the input bias, row 1 the recurrent bias) else (3U,); gates in
    the order z, r, h (PyTorch's GRU orders them r, z, n).
    """

    gates = 3

    def __init__(self, units, recurrent_activation="sigmoid", reset_after=True, **kwargs):
        super().__init__(units, **kwargs)
        self.recurrent_activation = _activation(recurrent_activation, "GRU", "recurrent_activation")
        self.reset_after = bool(reset_after)

    def _initial_bias(self):
        shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
        return _initializer(self.bias_initializer)(shape, self.rng)

    def forward(self, x, training=False):
        return self._read_sequence(x, training)

    def backward(self, dy):
        return self._backprop_sequence(dy)

    def _steps(self, x):
        act, gate = ACTIVATIONS[self.activation][0], ACTIVATIONS[self.recurrent_activation][0]
        n, steps, _ = x.shape
        u = self.units
        a = self._input_part(x)                                           # (N, T, 3U)
        if self.use_bias:
            a += self.params["bias"][0] if self.reset_after else self.params["bias"]
        U = self.params["recurrent_kernel"]
        z_and_r, candidate_mask = self._reset_before_masks()
        self.gate_values = np.empty_like(a)      # z, r, n for every step
        self.recurrent_part = np.empty((n, steps, u), x.dtype)   # q_h (reset_after) or r * h
        states = np.empty((n, steps, u), x.dtype)
        h = self.initial[0]
        for t in range(steps):
            g = self.gate_values[:, t]
            if self.reset_after:
                q = self._recurrent_part(h, U)
                if self.use_bias:
                    q += self.params["bias"][1]
                g[:, :2 * u] = gate(a[:, t, :2 * u] + q[:, :2 * u])
                self.recurrent_part[:, t] = q[:, 2 * u:]
                g[:, 2 * u:] = act(a[:, t, 2 * u:] + g[:, u:2 * u] * q[:, 2 * u:])
            else:
                g[:, :2 * u] = gate(a[:, t, :2 * u] + self._recurrent_part(h, U[:, :2 * u], z_and_r))
                reset_state = self.recurrent_part[:, t] = g[:, u:2 * u] * h * candidate_mask
                g[:, 2 * u:] = act(a[:, t, 2 * u:] + reset_state @ U[:, 2 * u:])
            z, cand = g[:, :u], g[:, 2 * u:]
            h = states[:, t] = z * h + (1 - z) * cand
        self.states = states
        return states

    def _steps_backward(self, d_states):
        d_act, d_gate = ACTIVATIONS[self.activation][1], ACTIVATIONS[self.recurrent_activation][1]
        n, steps, u = self.states.shape
        U = self.params["recurrent_kernel"]
        da = np.empty_like(self.gate_values)              # input-part pre-activations (N, T, 3U)
        dq = np.empty_like(self.gate_values)              # recurrent-part ones (reset_after)
        z_and_r, candidate_mask = self._reset_before_masks()
        dh = np.zeros((n, u), self.states.dtype)
        for t in range(steps - 1, -1, -1):
            g = self.gate_values[:, t]
            z, r, cand = g[:, :u], g[:, u:2 * u], g[:, 2 * u:]
            h_prev = self.states[:, t - 1] if t else self.initial[0]
            dh = d_states[:, t] + dh
            dat = da[:, t]
            dat[:, :u] = dh * (h_prev - cand) * d_gate(z)
            dat[:, 2 * u:] = dh * (1 - z) * d_act(cand)
            if self.reset_after:
                dat[:, u:2 * u] = dat[:, 2 * u:] * self.recurrent_part[:, t] * d_gate(r)
                dqt = dq[:, t]
                dqt[:, :2 * u] = dat[:, :2 * u]
                dqt[:, 2 * u:] = dat[:, 2 * u:] * r
                dh = dh * z + self._recurrent_part_gradient(dqt, U)
            else:
                d_reset_state = dat[:, 2 * u:] @ U[:, 2 * u:].T
                dat[:, u:2 * u] = d_reset_state * h_prev * candidate_mask * d_gate(r)
                dh = dh * z + self._recurrent_part_gradient(dat[:, :2 * u], U[:, :2 * u], z_and_r) \
                    + d_reset_state * r * candidate_mask
        self.d_initial = [dh]                          # after step 0: dL/dh_0
        previous = self._previous_states()
        grad_u = self.grads["recurrent_kernel"]
        if self.reset_after:
            kernel_gradient(previous, dq, self.recurrent_masks, grad_u)
            if self.use_bias:
                np.sum(da, axis=(0, 1), out=self.grads["bias"][0])
                np.sum(dq, axis=(0, 1), out=self.grads["bias"][1])
        else:
            kernel_gradient(previous, da[..., :2 * u], z_and_r, grad_u[:, :2 * u])
            grad_u[:, 2 * u:] = self.recurrent_part.reshape(-1, u).T @ da[..., 2 * u:].reshape(-1, u)
            if self.use_bias:
                np.sum(da, axis=(0, 1), out=self.grads["bias"])
        return da

    def _reset_before_masks(self):
        """With ``reset_after=False`` the candidate's ``r * h_{t-1}`` is multiplied by ``U_h``
        on its own: the recurrent masks of z and r (None: no dropout), and the candidate's
        (1: none)."""
        if self.recurrent_masks is None:
            return None, 1
        return self.recurrent_masks[:2], self.recurrent_masks[2]

    def get_config(self):
        return {**super().get_config(), "recurrent_activation": self.recurrent_activation,
                "reset_after": self.reset_after}
