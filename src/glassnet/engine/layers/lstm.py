"""LSTM: a recurrent layer with a cell that remembers, and three gates.

The sequence bookkeeping, the weights, states in and out and dropout are the recurrent base
class's (:mod:`glassnet.engine.layers.recurrent`); this file is the LSTM step, forward and
backward.
"""

import numpy as np

from glassnet.engine.layers.recurrent import ACTIVATIONS, Recurrent, activation_name, kernel_gradient


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
        self.recurrent_activation = activation_name(recurrent_activation, "LSTM", "recurrent_activation")
        self.unit_forget_bias = bool(unit_forget_bias)

    def _initial_bias(self):
        bias = super()._initial_bias()
        if self.unit_forget_bias:
            bias[self.units:2 * self.units] = 1.0
        return bias

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
            c = self.cells[:, t] = self._keep(t, f * c + i * cand, c)
            tc = self.cell_out[:, t] = act(c)
            h = states[:, t] = self._keep(t, o * tc, h)
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
            dh, dh_kept = self._through(t, d_states[:, t] + dh)    # a masked step kept h and c:
            dc_next, dc_kept = self._through(t, dc_next)             # their gradients pass back
            dc = dc_next + dh * o * d_act(tc)
            dzt = dz[:, t]
            dzt[:, :u] = dc * cand * d_gate(i)
            dzt[:, u:2 * u] = dc * c_prev * d_gate(f)
            dzt[:, 2 * u:3 * u] = dc * i * d_act(cand)
            dzt[:, 3 * u:] = dh * tc * d_gate(o)
            dc_next = dc * f
            dh = self._recurrent_part_gradient(dzt, U)
            if dh_kept is not None:
                dh += dh_kept
                dc_next += dc_kept
        self.d_initial = [dh, dc_next]                 # after step 0: dL/dh_0 and dL/dc_0
        kernel_gradient(self._previous_states(), dz, self.recurrent_masks, self.grads["recurrent_kernel"])
        if self.use_bias:
            np.sum(dz, axis=(0, 1), out=self.grads["bias"])
        return dz

    def get_config(self):
        return {**super().get_config(), "recurrent_activation": self.recurrent_activation,
                "unit_forget_bias": self.unit_forget_bias}
