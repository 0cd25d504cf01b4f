"""Keras 3's automatic config: a layer of your own without ``get_config`` still saves.

Keras remembers the arguments a layer was made with (``Residual(36)``: ``{"units": 36}``)
when they are all plain values (str, int, float, bool, None, and lists or dicts of them),
and its ``get_config()`` returns them when the class doesn't write a ``get_config`` of its
own (``keras/src/ops/operation.py``, ``Operation.__new__`` and ``get_config``). So a model
holding such a layer is saved and rebuilt with ``Residual(units=36)``.
"""

import inspect

PLAIN = (str, int, float, bool, type(None))


def remember_arguments(layer, args, kwargs):
    """``layer.__dict__["_auto_config"]``: the arguments ``type(layer)(*args, **kwargs)``
    was called with (defaults filled in, ``name`` left to get_config), or None where one
    isn't a plain value or can't be named (``*args``)."""
    try:
        bound = inspect.signature(type(layer).__init__).bind(layer, *args, **kwargs)
    except TypeError:
        layer.__dict__["_auto_config"] = None     # __init__ itself will say what is wrong
        return
    bound.apply_defaults()
    parameters = inspect.signature(type(layer).__init__).parameters
    arguments = dict(bound.arguments)
    arguments.pop(next(iter(parameters)))         # self
    config = {}
    for key, value in arguments.items():
        kind = parameters[key].kind
        if kind is inspect.Parameter.VAR_KEYWORD:
            config.update(value)
        elif kind is inspect.Parameter.VAR_POSITIONAL:
            if value:
                layer.__dict__["_auto_config"] = None
                return
        else:
            config[key] = value
    config.pop("name", None)
    layer.__dict__["_auto_config"] = config if all(_plain(v) for v in config.values()) else None


def _plain(value):
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return isinstance(value, PLAIN)


def automatic_config(layer):
    """The remembered arguments, for a class of your own that writes no ``get_config``
    (``{}`` otherwise, or when they weren't all plain values)."""
    from glassnet.engine.layers.base import Layer

    if type(layer).get_config is not Layer.get_config or type(layer).__module__.startswith("glassnet."):
        return {}
    remembered = layer.__dict__.get("_auto_config")
    if remembered is None:
        skip = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        own = [name for name, p in list(inspect.signature(type(layer).__init__).parameters.items())[1:]
               if p.kind not in skip and name != "name"]
        if own:                                   # Keras's words: saving it could not rebuild it
            raise NotImplementedError(f"Layer {type(layer).__name__} has arguments {own} in `__init__()` and "
                                      f"therefore must override `get_config()` (they are not all plain values: "
                                      f"str, int, float, bool, None)")
    return dict(remembered or {})


def takes_name(cls):
    """Whether ``cls.__init__`` takes ``name=`` (by name, or in ``**kwargs``): where it
    doesn't, Keras's automatic config leaves the name out (keras.io's
    ``TransformerBlock(embed_dim, num_heads, ff_dim, rate=0.1)``)."""
    parameters = inspect.signature(cls.__init__).parameters
    return "name" in parameters or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
