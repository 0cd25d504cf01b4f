"""Recurrent layers read a sequence one step at a time: what SimpleRNN, LSTM (lstm.py) and
GRU (gru.py) share, and SimpleRNN.

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

**Masks** (padded sequences: :mod:`glassnet.engine.masking`). On a masked step the state
is kept as it was, ``h_t = h_{t-1}`` (and ``c_t = c_{t-1}``), so the padding changes
nothing, whether it comes before the sequence or after it. The output at a masked step
repeats the last one (zeros before the first real step), or is zero with
``zero_output_for_mask=True``. Backward, the gradient of a kept state passes straight back
to ``h_{t-1}``, and the masked step's weights get none.
"""

import numpy as np

from glassnet.engine import constraints, initializers, masking, regularizers, symbolic
from glassnet.engine.layers.base import Layer, snake_case
from glassnet.engine.layers.dropout import dropout_mask
from glassnet.engine.shapes import SampleShape, shape_fits
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


def initializer_of(name):
    return orthogonal if name == "orthogonal" else initializers.get(name)


def _initializer_config(value):
    """An initializer as a config holds it: a name or a ``{"class_name", "config"}`` as given,
    an Initializer object as its config (a model config is plain JSON)."""
    return initializers.serialize(value) if isinstance(value, initializers.Initializer) else value


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


def activation_name(name, layer, argument):
    name = "linear" if name is None else name
    if name not in ACTIVATIONS:
        raise ValueError(f"{layer}: {argument} must be one of {', '.join(ACTIVATIONS)}, got {name!r}")
    return name


# Keras's recurrent arguments glassnet runs only at Keras's defaults (``implementation`` and
# ``unroll`` change how Keras computes, not what: any value is fine).
KERAS_ONLY = {"stateful": False, "time_major": False}
# A penalty or a constraint on each weight, by Keras's argument names (the recurrent kernel's
# is ``recurrent_regularizer``); inside, each is the ``<weight>_regularizer`` attribute that
# the base Layer reads (``recurrent_kernel_regularizer``).
WEIGHT_SETTINGS = {"kernel": "kernel", "recurrent": "recurrent_kernel", "bias": "bias"}
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
        zero_output_for_mask: with a mask, the output at a masked step is zero, not the last
            output repeated (Bidirectional sets it when it returns sequences, as Keras does).
        kernel_regularizer, recurrent_regularizer, bias_regularizer: a weight penalty
            (``l2(1e-4)``) that joins the loss; kernel_constraint, recurrent_constraint,
            bias_constraint: applied after every optimizer step, as for Dense.
    """

    abstract = True         # SimpleRNN, LSTM and GRU are the layers (each gives its steps)
    gates = 1
    carried = ("h",)        # the states carried from step to step (LSTM: h and its cell c)

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 return_sequences=False, go_backwards=False, return_state=False, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, zero_output_for_mask=False, **kwargs):
        kind = type(self).__name__
        for name, default in KERAS_ONLY.items():     # Keras's, at values glassnet can't run: say so
            value = kwargs.pop(name, default)
            if value != default:
                raise ValueError(f"{kind}: {name}={value!r} is not supported by glassnet (its recurrent "
                                 f"layers run {name}={default!r}, Keras's default)")
        for name in HOW_KERAS_COMPUTES:
            kwargs.pop(name, None)
        # Made as Keras's RNN(LSTMCell(...)) (layers/cells.py): written to .keras files that way
        self.made_as_rnn = bool(kwargs.pop("made_as_rnn", False))
        weight_settings = {f"{weight}_{what}": kwargs.pop(f"{given}_{what}", None)
                           for given, weight in WEIGHT_SETTINGS.items() for what in ("regularizer", "constraint")}
        super().__init__(**kwargs)
        if int(units) != units or units < 1:
            raise ValueError(f"{kind}: units must be a positive integer, got {units!r}")
        self.units = int(units)
        self.activation = activation_name(activation, kind, "activation")
        self.use_bias = bool(use_bias)
        self.kernel_initializer = kernel_initializer
        self.recurrent_initializer = recurrent_initializer
        self.bias_initializer = bias_initializer
        for name in (kernel_initializer, recurrent_initializer, bias_initializer):
            initializer_of(name)   # an unknown name fails here, not at build time
        self.return_sequences = bool(return_sequences)
        self.go_backwards = bool(go_backwards)
        self.return_state = bool(return_state)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.step_mask = None
        for name, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not 0 <= rate < 1:
                raise ValueError(f"{kind}: {name} must be in [0, 1), got {rate!r}")
        self.dropout, self.recurrent_dropout = float(dropout), float(recurrent_dropout)
        self.seed_with(seed)
        self.input_masks = self.recurrent_masks = None
        for attribute, given in weight_settings.items():      # e.g. recurrent_kernel_regularizer
            module = regularizers if attribute.endswith("_regularizer") else constraints
            setattr(self, attribute, module.get(given))

    def __call__(self, inputs, initial_state=None, training=None, mask=None):
        """``layer(x)``, or ``layer(x, initial_state=[h0])`` (LSTM: ``[h0, c0]``) to start
        from those states instead of zeros, as in Keras. Inside, the states are more inputs
        of the layer: ``layer([x, h0, c0])`` is the same call (a saved model makes it so)."""
        kind = type(self).__name__
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
            if self.nodes and not symbolic.is_symbolic(inputs):   # on arrays, beside its graph's call:
                twin = self.copy_for_another_call()               # a twin, weights shared, takes the other
                twin.nodes = []
                return Recurrent.__call__(twin, inputs, None, training, mask)
            if self.nodes:             # a call in a graph reads one list of inputs (or one input)
                raise ShapeError(f"layer '{self.name or snake_case(kind)}' ({kind}) was built "
                                 f"{'with' if self.takes_list else 'without'} initial states; each call in a "
                                 f"model must be the same (use a layer of its own for the other)")
            sequences = self.input_shape[0] if self.takes_list else self.input_shape   # on arrays: as Keras
            self.input_shape = [sequences] + [SampleShape((self.units,))] * len(self.carried) \
                if with_states else sequences
        self.takes_list = with_states
        if mask is not None and with_states:       # the sequences' mask; the states have none
            mask = [mask, *[None] * len(self.carried)]
        return super().__call__(inputs, training, mask)

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
                f"layer '{self._display_name}' ({type(self).__name__}) needs sequences (batch, time steps, "
                f"features) but got {('batch',) + sequences}")
        features, size = sequences[1], self.gates * self.units
        self.add_param("kernel", initializer_of(self.kernel_initializer)((features, size), self.rng))
        self.add_param("recurrent_kernel",
                       initializer_of(self.recurrent_initializer)((self.units, size), self.rng))
        if self.use_bias:
            self.add_param("bias", self._initial_bias())

    def get_initial_state(self, batch_size):
        """Keras's zero states to start from: ``[h0]`` (LSTM ``[h0, c0]``), each ``(batch_size, U)``.

        Keras 2's tutorials pass the inputs instead (``gru.get_initial_state(x)``): their
        batch size is taken. On a placeholder (a model's ``call()`` being traced) the states
        are not known arrays yet: None, which the layer reads as the same zeros."""
        from glassnet.engine.symbolic import is_symbolic
        if is_symbolic(batch_size):
            return None
        if not isinstance(batch_size, (int, np.integer)):
            batch_size = len(batch_size)
        return [np.zeros((int(batch_size), self.units), self.dtype) for _ in self.carried]

    def accepts(self, input_shape):
        """As in Keras, a recurrent layer reads sequences of any length: only the features
        (and the states' sizes) must be those it was built for. A model that feeds its
        last prediction back one step at a time (the time-series tutorial's ``FeedBack``)
        calls the layer built on 24 steps with 1."""
        def any_length(shape):
            return (None,) + tuple(shape)[1:]
        if self.takes_list:
            return len(input_shape) == len(self.input_shape) and shape_fits(
                any_length(self.input_shape[0]), input_shape[0]) and all(
                shape_fits(built, given) for built, given in zip(self.input_shape[1:], input_shape[1:]))
        return shape_fits(any_length(self.input_shape), input_shape)

    def check_input(self, x):
        given = [v.shape[1:] for v in x] if self.takes_list else x.shape[1:]
        if self.built and not self.accepts(given):
            built = self.input_shape[0] if self.takes_list else self.input_shape
            raise ShapeError(f"layer '{self._display_name}' ({type(self).__name__}) expects sequences (batch, "
                             f"time steps, {built[-1]}) and states (batch, {self.units}), got "
                             f"{[v.shape for v in x] if self.takes_list else x.shape}")

    def _initial_bias(self):
        return initializer_of(self.bias_initializer)((self.gates * self.units,), self.rng)

    def output_shape(self, input_shape):
        steps = (input_shape[0] if self.takes_list else input_shape)[0]
        output = (steps, self.units) if self.return_sequences else (self.units,)
        return [output] + [(self.units,)] * len(self.carried) if self.return_state else output

    def compute_mask(self, inputs, mask=None):
        """Keras's: the sequences' mask goes on with the output sequence (return_sequences);
        the last output and the states have none."""
        mask = mask[0] if isinstance(mask, list) else mask
        output = mask if self.return_sequences else None
        return [output] + [None] * len(self.carried) if self.return_state else output

    def forward(self, inputs, training=False, mask=None):
        self.check_input(inputs)
        x = inputs[0] if self.takes_list else inputs
        mask = mask[0] if isinstance(mask, list) else mask
        self.step_mask = None if mask is None else masking.for_steps(mask, x)
        if self.step_mask is not None and self.go_backwards:
            self.step_mask = self.step_mask[:, ::-1]
        if self.takes_list:                    # the states to start from, (N, U) each
            self.initial = [np.asarray(state, x.dtype) for state in inputs[1:]]
        else:
            self.initial = [np.zeros((len(x), self.units), x.dtype)] * len(self.carried)
        if self.go_backwards:
            x = x[:, ::-1]
        self.x = x
        self._draw_masks(len(x), x.shape[-1], x.dtype, training)
        states = self._steps(x)                                  # (N, T, U)
        if self.step_mask is not None:       # what the output shows at masked steps
            seen = self.step_mask if self.zero_output_for_mask else np.logical_or.accumulate(self.step_mask, axis=1)
            self.shown = seen[..., np.newaxis].astype(x.dtype)   # (N, T, 1): 0 where it shows zeros
            states = states * self.shown
        output = states if self.return_sequences else states[:, -1]
        return [output] + self._last_states() if self.return_state else output

    def _keep(self, t, new, old):
        """The state after step ``t``: ``new``, or on a masked step the ``old`` one, kept."""
        if self.step_mask is None:
            return new
        return np.where(self.step_mask[:, t, np.newaxis], new, old)

    def _through(self, t, d):
        """The gradient ``d`` of the state after step ``t``, split in two: the part that step
        ``t`` made, and the part that passes straight back to the state before (masked rows,
        which kept it); None for the second when nothing is masked."""
        if self.step_mask is None:
            return d, None
        made = d * self.step_mask[:, t, np.newaxis]
        return made, d - made

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

    def backward(self, dy):
        n, steps, _ = self.x.shape
        dy, d_last = (dy[0], dy[1:]) if self.return_state else (dy, [])
        if self.return_sequences:
            d_states = dy.copy() if d_last else dy
        else:                              # only the last state was used
            d_states = np.zeros((n, steps, self.units), dy.dtype)
            d_states[:, -1] = dy
        if self.step_mask is not None:     # outputs shown as zeros have no gradient
            d_states = d_states * self.shown
        if d_last:                         # h_T returned as a state too: both gradients
            d_states[:, -1] += d_last[0]
        # dz: the gradient of every step's pre-activations (input part), (N, T, G*U); the
        # step loop also leaves d_initial, the gradients of the states it started from.
        dz = self._steps_backward(d_states, *d_last[1:])
        kernel_gradient(self.x, dz, self.input_masks, self.grads["kernel"])   # dW = X.T @ dZ
        self.add_penalty_gradients()               # kernel_regularizer=l2(...) and the like
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
                "use_bias": self.use_bias,
                **{key: _initializer_config(getattr(self, key))
                   for key in ("kernel_initializer", "recurrent_initializer", "bias_initializer")},
                "return_sequences": self.return_sequences, "go_backwards": self.go_backwards,
                "return_state": self.return_state, "stateful": False, "unroll": False,
                "zero_output_for_mask": self.zero_output_for_mask, "dropout": self.dropout,
                "recurrent_dropout": self.recurrent_dropout, **self.seed_config(),
                **{f"{given}_{kind}": (regularizers if kind == "regularizer" else constraints).serialize(
                    getattr(self, f"{weight}_{kind}"))
                   for given, weight in WEIGHT_SETTINGS.items() for kind in ("regularizer", "constraint")},
                **({"made_as_rnn": True} if self.made_as_rnn else {})}


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
            h = states[:, t] = self._keep(t, f(z[:, t] + self._recurrent_part(h, U)), h)
        self.states = states
        return states

    def _steps_backward(self, d_states):
        df = ACTIVATIONS[self.activation][1]
        n, steps, units = self.states.shape
        U = self.params["recurrent_kernel"]
        dz = np.empty_like(self.states)
        dh = np.zeros((n, units), self.states.dtype)
        for t in range(steps - 1, -1, -1):
            dh, kept = self._through(t, d_states[:, t] + dh)
            dz[:, t] = dh * df(self.states[:, t])
            dh = self._recurrent_part_gradient(dz[:, t], U)
            if kept is not None:                       # a masked step: its state came from t - 1
                dh += kept
        self.d_initial = [dh]                          # after step 0: dL/dh_0
        kernel_gradient(self._previous_states(), dz, self.recurrent_masks, self.grads["recurrent_kernel"])
        if self.use_bias:
            np.sum(dz, axis=(0, 1), out=self.grads["bias"])
        return dz
