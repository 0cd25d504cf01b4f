"""GRU: a recurrent layer with two gates and no separate cell.

The sequence bookkeeping, the weights, states in and out and dropout are the recurrent base
class's (:mod:`glassnet.engine.layers.recurrent`); this file is the GRU step, forward and
backward.
"""

import numpy as np

from glassnet.engine.layers.recurrent import ACTIVATIONS, Recurrent, activation_name, initializer_of, kernel_gradient


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
        self.recurrent_activation = activation_name(recurrent_activation, "GRU", "recurrent_activation")
        self.reset_after = bool(reset_after)

    def _initial_bias(self):
        shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
        return initializer_of(self.bias_initializer)(shape, self.rng)

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
            h = states[:, t] = self._keep(t, z * h + (1 - z) * cand, h)
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
            dh, kept = self._through(t, d_states[:, t] + dh)    # a masked step: h passed back as it was
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
            if kept is not None:
                dh += kept
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
