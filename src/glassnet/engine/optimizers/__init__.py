"""Optimizers: how the weights move once the gradients are known.

``step(params, grads)`` updates each array of ``params`` in place, using the matching array
of ``grads``. An optimizer owns its state (momentum, running averages), one slot per
parameter, kept by the parameter's position in the list, and counts its steps in
``iterations`` (Adam's bias correction needs the count; schedules read it too).

The model hands over its weights packed into one flat array (and the gradients into
another), so one call of ``update`` moves every weight of the network at once. Every
update is written with ``out=`` and one reused scratch array: it runs once per batch, and
allocating fresh temporaries the size of the network each time would cost more than the
arithmetic.

Clipping (``clipnorm``, ``clipvalue``, ``global_clipnorm``) works on any optimizer. Keras'
``clipnorm`` limits each weight array's gradient on its own; since the flat gradient holds
them all, the model also passes ``parts``, the per-array views, to ``step``.
"""

from glassnet.engine.optimizers.adagrad import Adagrad
from glassnet.engine.optimizers.adam import Adam, AdamW
from glassnet.engine.optimizers.base import OPTIMIZERS_BY_CLASS, Optimizer
from glassnet.engine.optimizers.rmsprop import RMSprop
from glassnet.engine.optimizers.sgd import SGD

OPTIMIZERS = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop, "adagrad": Adagrad}


def get(optimizer):
    """An optimizer from a Keras alias (``"adam"``, ``"sgd"``, ``"rmsprop"``...) or an instance."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, str) and optimizer.lower() in OPTIMIZERS:
        return OPTIMIZERS[optimizer.lower()]()
    raise ValueError(f"unknown optimizer {optimizer!r}; known: {', '.join(sorted(OPTIMIZERS))}")


__all__ = ["OPTIMIZERS", "OPTIMIZERS_BY_CLASS", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop",
           "SGD", "get"]
