"""Keras's recurrent cells and ``RNN(cell)``: the recurrent layers, spelled the other way.

In Keras a *cell* is one step of a recurrent layer (``LSTMCell``: ``h_t, c_t`` from ``x_t``,
``h_{t-1}``, ``c_{t-1}``) and ``RNN(cell)`` runs it over a sequence. ``RNN(LSTMCell(64))``
computes exactly what ``LSTM(64)`` does, and keeps the same weights under the same names, so
glassnet gives the layer itself (which a ``.keras`` file then holds as Keras's RNN again): the steps, their gradients and dropout are the layers' own
(:mod:`glassnet.engine.layers.recurrent`). A cell only holds its settings.

    RNN(LSTMCell(64, dropout=0.2), return_sequences=True)   # is LSTM(64, dropout=0.2, return_sequences=True)
"""

from glassnet.engine import naming
from glassnet.engine.layers.base import snake_case
from glassnet.engine.layers.gru import GRU
from glassnet.engine.layers.lstm import LSTM
from glassnet.engine.layers.recurrent import SimpleRNN


class RecurrentCell:
    """One step of a recurrent layer, as Keras's cells are made: ``units`` and the layer's
    settings (activations, initializers, regularizers, constraints, dropout, ...)."""

    layer = None            # the layer that runs this cell over a sequence

    def __init__(self, units, **settings):
        with naming.hidden():                     # a layer only to check the settings: it names none of yours
            self.layer(units, **settings)         # checks the settings here, as the layer would
        self.units, self.settings = units, settings
        self.name = settings.pop("name", None) or naming.auto_name(snake_case(type(self).__name__))

    @property
    def state_size(self):
        """Keras's ``cell.state_size``: the size of each state carried from step to step."""
        return self.units if self.layer is not LSTM else [self.units, self.units]

    def get_config(self):
        return {"units": self.units, **self.settings}

    def __call__(self, *args, **kwargs):
        kind = type(self).__name__
        raise NotImplementedError(
            f"{kind}(...)(x, states): running a cell on one step by itself is not in glassnet (its cells "
            f"are the settings of RNN({kind}(...)), which makes the layer). Call that layer on the one step "
            f"instead, with the states: rnn = RNN(cell, return_state=True), then "
            f"x, *states = rnn(x[:, None, :], initial_state=states), as a feedback loop of TensorFlow's "
            f"time-series tutorial can be written")


class SimpleRNNCell(RecurrentCell):
    """One step of :class:`~glassnet.engine.layers.recurrent.SimpleRNN`."""

    layer = SimpleRNN


class LSTMCell(RecurrentCell):
    """One step of :class:`~glassnet.engine.layers.lstm.LSTM`."""

    layer = LSTM


class GRUCell(RecurrentCell):
    """One step of :class:`~glassnet.engine.layers.gru.GRU`."""

    layer = GRU


class StackedRNNCells:
    """Keras's cells run one after the other at every step. Not in glassnet: stacking the
    layers computes the same (``return_sequences=True`` on all but the last)."""

    def __init__(self, cells, **kwargs):
        raise NotImplementedError(
            "StackedRNNCells is not in glassnet: stack the layers instead, which computes the same, e.g. "
            "RNN(LSTMCell(32), return_sequences=True) then RNN(LSTMCell(16))")


def RNN(cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False, unroll=False,
        zero_output_for_mask=False, **kwargs):
    """Keras's ``keras.layers.RNN(cell)``: the recurrent layer that runs ``cell`` over a
    sequence (module docstring): ``RNN(GRUCell(32))`` is ``GRU(32)``."""
    if isinstance(cell, (list, tuple)):
        StackedRNNCells(cell)                     # says what to do instead
    if not isinstance(cell, RecurrentCell):
        raise NotImplementedError(
            f"RNN: glassnet runs its own cells (SimpleRNNCell, LSTMCell, GRUCell), not "
            f"{type(cell).__name__}; a step of your own is a Layer with forward and backward over the "
            f"whole sequence (docs/custom_layers.md)")
    if kwargs.get("name") is None:                # Keras's RNN(LSTMCell(8)) is "rnn", not "lstm"
        kwargs["name"] = naming.auto_name("rnn")
    return cell.layer(cell.units, **cell.settings, return_sequences=return_sequences, return_state=return_state,
                      go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                      zero_output_for_mask=zero_output_for_mask, made_as_rnn=True, **kwargs)
