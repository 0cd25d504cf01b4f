"""Keras's ``Lambda`` layer in its ``.keras`` files: the function as Python bytecode.

Keras 3 writes ``Lambda(lambda x: x * 100.0)``'s function as
``{"class_name": "__lambda__", "config": {"code": ..., "defaults": ..., "closure": ...}}``,
``code`` being the base64 of ``marshal.dumps(function.__code__)``. Loading it runs code from
the file, which can do anything, so Keras refuses unless ``load_model(..., safe_mode=False)``
(or ``keras.config.enable_unsafe_deserialization()``), and so does glassnet, in one line. With
it, glassnet rebuilds the function as Keras does (``keras/src/utils/python_utils.py``,
``func_load``), its global names those a Keras program has (``keras``, ``ops``, ``tf``, ``np``
as glassnet's), and the Lambda is traced as any other. A function written by name (a
``def`` of yours: ``{"class_name": "function", "config": "my_fn"}``) is found as Keras finds
it: registered, or in ``custom_objects``.

glassnet writes a Lambda as the layers its function was traced into (``x * 100.0``: a
Rescaling), which both libraries load without running code from the file.
"""

import base64
import binascii
import marshal
import types

from glassnet.interop.keras_objects import Unsupported

_unsafe = [False]      # keras.config.enable_unsafe_deserialization() was called


def enable_unsafe_deserialization():
    _unsafe[0] = True


def lambda_from_keras(config, reading, owner):
    """Keras's Lambda config -> glassnet's (the function itself, rebuilt)."""
    if config.get("mask") is not None:
        raise Unsupported(f"{owner}: a Lambda's mask= is not supported by glassnet")
    own = {"function": _function(config.get("function"), reading, owner),
           "arguments": dict(config.get("arguments") or {})}
    shape = config.get("output_shape")
    if isinstance(shape, (list, tuple)):
        own["output_shape"] = tuple(shape)
    return "Lambda", own


def _function(spec, reading, owner):
    from glassnet.engine.configurable import find_registered

    if isinstance(spec, dict) and spec.get("class_name") == "__lambda__":
        if getattr(reading, "safe_mode", True) and not _unsafe[0]:
            raise Unsupported(f"{owner}: its function is Python bytecode (a lambda), and loading it runs code "
                              f"from the file; if you trust the file, pass safe_mode=False to load_model "
                              f"(or call keras.config.enable_unsafe_deserialization())")
        return _from_bytecode(spec.get("config"), owner)
    name = spec.get("config") if isinstance(spec, dict) and spec.get("class_name") == "function" else spec
    found = find_registered(name) if isinstance(name, str) else None
    if not callable(found):
        raise Unsupported(f"{owner}: its function {name!r} is not defined here; define and register it "
                          f"(keras.saving.register_keras_serializable) or give it in custom_objects")
    return found


def _from_bytecode(config, owner):
    """``func_load``'s function: the code unmarshalled, with its defaults and closure."""
    if not isinstance(config, dict) or not isinstance(config.get("code"), str):
        raise Unsupported(f"{owner}: its function's bytecode is missing")
    try:
        code = marshal.loads(base64.b64decode(config["code"].encode("ascii")))
    except (binascii.Error, ValueError, EOFError, TypeError, UnicodeEncodeError) as error:
        raise Unsupported(f"{owner}: its function's bytecode can't be read by this Python ({error}); "
                          f"it was written by another Python version") from None
    if not isinstance(code, types.CodeType):
        raise Unsupported(f"{owner}: its function's bytecode is not a function's")
    defaults = config.get("defaults")
    closure = config.get("closure")
    try:
        return types.FunctionType(code, _globals(), code.co_name, tuple(defaults) if defaults else None,
                                  tuple(types.CellType(value) for value in closure) if closure else None)
    except (TypeError, ValueError) as error:
        raise Unsupported(f"{owner}: its function can't be rebuilt ({error})") from None


def _globals():
    """The names a Lambda's function may use, as in a Keras program (glassnet's own)."""
    import builtins

    import numpy as np

    import glassnet
    return {"__builtins__": builtins, "keras": glassnet, "tf": glassnet, "ops": glassnet.ops, "np": np,
            "layers": glassnet.layers, "activations": glassnet.activations}
