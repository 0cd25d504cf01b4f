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

from glassnet.engine.optimizers import schedules
from glassnet.engine.optimizers.adadelta import Adadelta
from glassnet.engine.optimizers.adafactor import Adafactor
from glassnet.engine.optimizers.adagrad import Adagrad
from glassnet.engine.optimizers.adam import Adam, AdamW
from glassnet.engine.optimizers.adamax import Adamax
from glassnet.engine.optimizers.base import OPTIMIZERS_BY_CLASS, Optimizer
from glassnet.engine.optimizers.ftrl import Ftrl
from glassnet.engine.optimizers.lamb import Lamb
from glassnet.engine.optimizers.lion import Lion
from glassnet.engine.optimizers.nadam import Nadam
from glassnet.engine.optimizers.rmsprop import RMSprop
from glassnet.engine.optimizers.sgd import SGD

OPTIMIZERS = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop, "adagrad": Adagrad,
              "nadam": Nadam, "adamax": Adamax, "adadelta": Adadelta,
              "lion": Lion, "lamb": Lamb, "adafactor": Adafactor, "ftrl": Ftrl}


def get(optimizer):
    """An optimizer from a Keras alias (``"adam"``, ``"sgd"``, ``"Nadam"``...), a config dict
    (``{"class_name": "Adam", "config": {"learning_rate": 0.01}}``) or an instance."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, dict) and optimizer.get("class_name") in OPTIMIZERS_BY_CLASS:
        return OPTIMIZERS_BY_CLASS[optimizer["class_name"]].from_config(optimizer.get("config") or {})
    if isinstance(optimizer, str) and optimizer.lower() in OPTIMIZERS:
        return OPTIMIZERS[optimizer.lower()]()
    raise ValueError(f"unknown optimizer {optimizer!r}; known: {', '.join(sorted(OPTIMIZERS))}")


def serialize(optimizer):
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config):
    return get(config)


__all__ = ["OPTIMIZERS", "OPTIMIZERS_BY_CLASS", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "Nadam",
           "Optimizer", "RMSprop", "SGD", "deserialize", "get", "schedules", "serialize",
           "Lion", "Lamb", "Adafactor", "Ftrl"]
