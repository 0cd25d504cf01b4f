"""Objects that can be written down and rebuilt: Keras's ``get_config`` / ``from_config``.

A loss, a metric, an initializer, a regularizer and a learning-rate schedule are each
fully described by their class name and a small dict of settings. Saving a model
writes that dict (``get_config``); loading calls ``from_config`` on it, which here is
simply the class's constructor. The dict also makes a readable ``repr``::

    >>> from glassnet.engine.initializers import HeNormal
    >>> HeNormal(seed=3)
    HeNormal(seed=3)
"""

import contextlib


class Configurable:
    """Base for the settings-only objects of the engine (see the module docstring)."""

    def get_config(self):
        """The constructor arguments that rebuild this object, as a dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """The object ``get_config`` describes: ``cls(**config)``."""
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


# -- objects a program registers: what a saved model names and loading finds again ----------
# keras.saving.register_keras_serializable(package, name) files a function (a loss, say)
# under Keras's registered name "package>name"; a saved model writes that name, and loading
# looks it up here, or in the custom_objects given to load_model.
REGISTERED = {}
_scopes = []      # the custom_objects of every custom_object_scope now open, innermost last


def register(obj, package="Custom", name=None):
    """File ``obj`` under ``"package>name"`` (default name: its ``__name__``); returns the key."""
    key = f"{package}>{name or obj.__name__}"
    REGISTERED[key] = obj
    return key


def registered_name(obj):
    """The name ``obj`` was registered under, or None."""
    return next((key for key, value in REGISTERED.items() if value is obj), None)


@contextlib.contextmanager
def custom_object_scope(*custom_objects):
    """``with custom_object_scope({"my_loss": my_loss}): ...``: loading inside the block finds
    these objects by name (Keras's ``keras.saving.custom_object_scope``)."""
    merged = {}
    for objects in custom_objects:
        merged.update(objects or {})
    _scopes.append(merged)
    try:
        yield
    finally:
        _scopes.pop()


def function_config(function):
    """``{"function": name}``: how a setting given as a Python function of the program's own
    (an activation, a weight penalty, a constraint) is saved; a file holds no code."""
    return {"function": registered_name(function) or getattr(function, "__name__", "function")}


def function_from_config(config, what):
    """The function a :func:`function_config` names, from the open custom-object scopes or the
    registry, or a ValueError that says how to give it."""
    function = find_registered(config.get("function"))
    if not callable(function):
        raise ValueError(f"the {what} is the Python function {config.get('function')!r}, and a file holds "
                         f"no code: pass it in custom_objects to load_model, or register it with "
                         f"@keras.saving.register_keras_serializable()")
    return function


class FunctionSetting:
    """What the settings given as a Python function share (``self.fn``; an activation, weight
    penalty, constraint or initializer of the program's own): saved by the function's name
    (:func:`function_config`), found again by it when loaded. ``what`` names it in errors."""

    what = "function"

    def get_config(self):
        return function_config(self.fn)

    @classmethod
    def from_config(cls, config):
        return cls(function_from_config(config, cls.what))


def find_registered(name):
    """The object saved as ``name`` (``"package>name"`` or a plain name): from the open
    custom-object scopes first (by either), then the registry (by the whole registered name
    only, as in Keras: a function another package registered under the same short name is not
    the one the file means); None if nowhere."""
    if not isinstance(name, str):
        return None
    short = name.rpartition(">")[2]
    for objects in reversed(_scopes):
        for key in (name, short):
            if key in objects:
                return objects[key]
    return REGISTERED.get(name)
