"""Gradient checking: prove that a layer's ``backward`` matches its ``forward``.

Backpropagation is easy to get subtly wrong: a missing transpose or a forgotten ``1/N``
still trains, just badly. The cure is to compare the analytic gradient from ``backward``
with a numerical one from the definition of the derivative, by central differences::

    df/dx_i  ~  (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)

To check a layer we need a scalar function of its output. We use ``f = sum(y * dy)``
(plus the layer's weight penalty, if it has one) with a fixed random ``dy``: then
``df/dy = dy``, so ``backward(dy)`` must return exactly ``df/dx``, and every parameter's
gradient must equal ``df/dparam``. Checking ``dx`` and each parameter separately, entry by
entry, means two wrong halves can't cancel out.

Everything runs in float64 (with float32, rounding noise swamps the differences), and a
layer that draws random numbers (dropout) gets the same random numbers on every call.

    from glassnet.gradcheck import check_layer
    report = check_layer(MyLayer(16), input_shape=(8,))
    assert report.passed, report

The module has three levels: :func:`check_layer` and :func:`check_loss` for one
component, :func:`check_model` for a whole compiled model (it proves the fused
softmax + cross-entropy shortcut exact), and :func:`run_all`, which runs the catalogue of
every built-in component; ``glassnet gradcheck`` prints its table and the test suite
asserts it.
"""

from glassnet.gradcheck.components import (Check, Row, catalogue, registered_layers, run_all,
                                           uncatalogued)
from glassnet.gradcheck.checks import (TOLERANCE, Report, check_layer, check_loss, check_model,
                                       numerical_gradient, relative_error)

__all__ = ["TOLERANCE", "Check", "Report", "Row", "catalogue", "check_layer", "check_loss",
           "check_model", "numerical_gradient", "registered_layers", "relative_error", "run_all",
           "uncatalogued"]
