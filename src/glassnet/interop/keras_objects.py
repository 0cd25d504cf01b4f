"""Keras 3's settings objects in glassnet's words, and back: activations, initializers,
weight penalties, constraints, and the functions and classes of a program's own given as any
of these (Géron's ``my_softplus``, ``MyL1Regularizer``).

In a ``.keras`` file each one is ``{"module", "class_name", "config"}`` (a built-in by its
Keras name, one of the program's own by its registered name). One function a direction and
kind: :mod:`glassnet.interop.keras_config` calls them for every layer it translates. The
small pieces every translation shares (:class:`Unsupported`, the reading's notes) live here too.
"""

import math

from glassnet.engine import initializers
from glassnet.errors import ExportError


class Unsupported(ValueError):
    """Something in a Keras file that glassnet can't run the way Keras does."""


# -- small shared pieces --------------------------------------------------------------
def _object(module, class_name, config, registered_name=None):
    """How Keras 3 writes any object: module, class, its config."""
    return {"module": module, "class_name": class_name, "config": config,
            "registered_name": registered_name}


def _policy(dtype):
    return _object("keras", "DTypePolicy", {"name": str(dtype)})


def _same(value, default):
    """Keras writes tuples as lists and pairs as one number; compare the spellings as equal."""
    if isinstance(default, (list, tuple)) and isinstance(value, (int, float)):
        value = [value] * len(default)
    if isinstance(value, (list, tuple)) and isinstance(default, (list, tuple)):
        return [_same_scalar(v) for v in value] == [_same_scalar(v) for v in default]
    return _same_scalar(value) == _same_scalar(default)


def _same_scalar(value):
    return value.lower() if isinstance(value, str) else value


class _Reading:
    """What translating one Keras config needs: where notes go, how to name a layer."""

    def __init__(self, notes, safe_mode=True):
        self.notes = notes
        self.safe_mode = safe_mode      # False: a Lambda's bytecode may be loaded (keras_lambda)

    def require(self, config, owner, **defaults):
        """Refuse values that change what the layer computes, unless they are Keras's default."""
        for key, default in defaults.items():
            if key in config and config[key] is not None and not _same(config[key], default):
                raise Unsupported(f"{owner} has {key}={config[key]!r}; glassnet runs only "
                                  f"{key}={default!r}")

    def training_only(self, config, owner, *keys):
        """Note settings that only Keras's training would use (glassnet can't honour them)."""
        for key in keys:
            value = config.get(key)
            if value not in (None, False, 0, 0.0, [], {}):
                self.notes.append(f"{owner}: {key} is not supported by glassnet (ignored; it only "
                                  f"matters when training)")


def _name_of(value):
    """A Keras reference to a function or object: ``"relu"``, or ``{"class_name": ...}``."""
    if isinstance(value, dict):
        if value.get("class_name") == "function" and isinstance(value.get("config"), str):
            return value["config"]
        return value.get("class_name")
    return value


# -- activations ------------------------------------------------------------------------
KERAS_LEAKY_SLOPE = 0.2   # keras.activations.leaky_relu's default negative_slope

ACTIVATIONS_FROM_KERAS = {"relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh",
                          "softmax": "softmax", "linear": None,
                          "leaky_relu": {"name": "leaky_relu", "negative_slope": KERAS_LEAKY_SLOPE}}


# Keras 3's names for the activations glassnet has under the same names, computing the
# same function (each checked against keras.activations: within float32 rounding).
SAME_NAMES = ("relu6", "elu", "selu", "gelu", "silu", "swish", "softplus", "softsign", "hard_sigmoid",
              "hard_silu", "hard_swish", "mish", "exponential", "log_softmax")
SAME_NAMES += ("celu", "hard_shrink", "soft_shrink", "hard_tanh", "log_sigmoid", "sparse_plus", "sparse_sigmoid",
               "squareplus", "tanh_shrink", "sparsemax")


def activation_from_keras(value, owner):
    name = _name_of(value)
    if name is None:
        return None
    if isinstance(value, dict) and value.get("class_name") == "function" and name not in ACTIVATIONS_FROM_KERAS \
            and name not in SAME_NAMES:
        return {"name": "function", "function": name}      # a function of the program's own
    if name in SAME_NAMES:
        return name
    if name not in ACTIVATIONS_FROM_KERAS:
        raise Unsupported(f"{owner} uses the activation {name!r}, which glassnet doesn't have "
                          f"(it has {', '.join(sorted({*ACTIVATIONS_FROM_KERAS, *SAME_NAMES}))})")
    return ACTIVATIONS_FROM_KERAS[name]


def activation_to_keras(value, owner):
    """glassnet's serialized activation -> Keras's name for the same function."""
    if value in (None, "linear"):
        return "linear"
    if isinstance(value, str) and value in ("relu", "sigmoid", "tanh", "softmax", *SAME_NAMES):
        return value
    if isinstance(value, dict) and value.get("name") == "function":     # a function of yours, by name
        return _object("builtins", "function", value["function"], registered_name="function")
    if isinstance(value, dict) and value.get("name") == "leaky_relu" \
            and math.isclose(value.get("negative_slope", -1), KERAS_LEAKY_SLOPE):
        return "leaky_relu"
    raise ExportError(f"{owner}: activation {value!r} has no Keras spelling (Keras's 'leaky_relu' "
                      f"has slope {KERAS_LEAKY_SLOPE}); use a separate LeakyReLU layer instead")


# -- initializers and regularizers -------------------------------------------------------------
INITIALIZERS_TO_KERAS = {"glorot_uniform": "GlorotUniform", "xavier_uniform": "GlorotUniform",
                         "glorot_normal": "GlorotNormal", "xavier_normal": "GlorotNormal",
                         "he_uniform": "HeUniform", "he_normal": "HeNormal",
                         "zeros": "Zeros", "ones": "Ones", "orthogonal": "Orthogonal"}
INITIALIZERS_FROM_KERAS = {"GlorotUniform": "glorot_uniform", "GlorotNormal": "glorot_normal",
                           "HeUniform": "he_uniform", "HeNormal": "he_normal",
                           "Zeros": "zeros", "Ones": "ones", "Orthogonal": "orthogonal"}


def initializer_to_keras(name):
    if name == "small_random":   # glassnet's N(0, 0.01**2)
        return _object("keras.initializers", "RandomNormal", {"mean": 0.0, "stddev": 0.01, "seed": None})
    if name not in INITIALIZERS_TO_KERAS and isinstance(name, str):
        try:                     # another of Keras's names ("uniform", "lecun_normal"): the same class
            initializer = initializers.get(name)
        except ValueError:
            initializer = None
        if isinstance(initializer, initializers.Initializer):
            return _object("keras.initializers", type(initializer).__name__, initializer.get_config())
    keras_name = INITIALIZERS_TO_KERAS.get(name, "GlorotUniform")
    config = {} if keras_name in ("Zeros", "Ones") else {"seed": None}
    return _object("keras.initializers", keras_name, config)


def initializer_object_to_keras(value):
    """A serialized glassnet initializer (a name, or ``{"class_name", "config"}`` with
    Keras's class names) as Keras writes one."""
    if isinstance(value, dict) and value["class_name"] == "FunctionInitializer":   # a function of yours
        return own_object_to_keras(value, {})
    if isinstance(value, dict):
        return _object("keras.initializers", value["class_name"], dict(value.get("config") or {}))
    return initializer_to_keras(value)


def _plain(value):
    """Whether a Keras initializer holds only its defaults (no seed; Orthogonal's gain 1), so
    that glassnet's name for it says all (a seed or a gain keeps the whole spec)."""
    config = value.get("config") if isinstance(value, dict) else None
    return not isinstance(config, dict) or all(
        setting is None or (key == "gain" and setting == 1.0) for key, setting in config.items())


def initializer_from_keras(value, owner, reading):
    """A Keras initializer -> glassnet's name (it only shapes *fresh* weights; a loaded
    model's come from the file, so an unknown one is a note, not an error)."""
    name = _name_of(value)
    if name is None:
        return "glorot_uniform"
    if isinstance(name, str) and name in INITIALIZERS_TO_KERAS:
        return name
    if name in INITIALIZERS_FROM_KERAS and _plain(value):
        return INITIALIZERS_FROM_KERAS[name]
    if isinstance(value, str) and value in initializers.INITIALIZERS:    # "uniform", "lecun_normal"
        return value
    if name == "RandomNormal" and isinstance(value, dict) and \
            (value.get("config") or {}).get("stddev") == 0.01 and not (value.get("config") or {}).get("mean"):
        return "small_random"
    own = own_object_from_keras(value, "FunctionInitializer")
    if own is not None:                         # the program's own: found again if it is defined
        spec = own
    elif isinstance(value, dict) and isinstance(value.get("config") or {}, dict):
        # one of Keras's (a None is its default: Keras 3.15's input_axes=None, which glassnet lacks)
        spec = {"class_name": name, "config": {key: setting for key, setting in (value.get("config") or {}).items()
                                               if setting is not None}}
    else:
        spec = None
    if spec is not None:
        try:
            initializers.get(spec)
            return spec
        except (ValueError, TypeError, KeyError):   # a class or a setting glassnet lacks
            pass
    if name in INITIALIZERS_FROM_KERAS:             # a setting glassnet lacks: the class without it
        return INITIALIZERS_FROM_KERAS[name]
    reading.notes.append(f"{owner}: initializer {name!r} is not in glassnet; fresh weights would "
                         f"start glorot_uniform (the file's weights are loaded as they are)")
    return "glorot_uniform"


def regularizer_to_keras(config):
    """A glassnet regularizer's config (``{"class_name": "L2", "config": {"l2": ...}}``, or the
    flat ``{"l1": ..., "l2": ...}`` of older files) as Keras writes it."""
    if config is None:
        return None
    if config.get("class_name", "L1L2") not in ("L1", "L2", "L1L2"):
        from glassnet.engine.regularizers import REGULARIZERS_BY_CLASS
        return own_object_to_keras(config, REGULARIZERS_BY_CLASS)
    config = config.get("config", config)
    l1, l2 = float(config.get("l1", 0)), float(config.get("l2", 0))
    if not l1:
        return _object("keras.regularizers", "L2", {"l2": l2})
    if not l2:
        return _object("keras.regularizers", "L1", {"l1": l1})
    return _object("keras.regularizers", "L1L2", {"l1": l1, "l2": l2})


def own_object_to_keras(config, classes):
    """A penalty, constraint or initializer of the program's own as Keras 3 writes it: a function
    (``Function...`` in glassnet) by its name, a class by its module, name and config."""
    if config["class_name"].startswith("Function"):
        return _object("builtins", "function", config["config"]["function"], registered_name="function")
    cls = classes.get(config["class_name"])
    return _object(getattr(cls, "__module__", None), config["class_name"], dict(config.get("config") or {}),
                   registered_name=config["class_name"])


def own_object_from_keras(value, function_class):
    """The other way: Keras's entry for a function or a class of the program's own (not in a
    ``keras`` module) as glassnet's config, or None for anything else."""
    if not isinstance(value, dict) or str(value.get("module") or "").startswith("keras"):
        return None
    if value.get("class_name") == "function" and isinstance(value.get("config"), str):
        return {"class_name": function_class, "config": {"function": value["config"]}}
    return {"class_name": value.get("class_name"), "config": dict(value.get("config") or {})}


def regularizer_from_keras(value, owner, reading):
    name = _name_of(value)
    if name is None:
        return None
    own = own_object_from_keras(value, "FunctionRegularizer")
    if own is not None:
        return own
    config = (value.get("config") or {}) if isinstance(value, dict) else {}
    if name in ("l1", "l2", "l1_l2"):   # the string forms, at Keras's default factor 0.01
        return {"l1": 0.01 if name != "l2" else 0.0, "l2": 0.01 if name != "l1" else 0.0}
    if name in ("L1", "L2", "L1L2"):
        return {"l1": float(config.get("l1", 0.0) if name != "L2" else 0.0),
                "l2": float(config.get("l2", 0.0) if name != "L1" else 0.0)}
    reading.notes.append(f"{owner}: regularizer {name!r} is not in glassnet (ignored; it only "
                         f"matters when training)")
    return None


CONSTRAINT_NAMES = {"max_norm": "MaxNorm", "min_max_norm": "MinMaxNorm", "unit_norm": "UnitNorm",
                    "non_neg": "NonNeg", "nonneg": "NonNeg"}


def constraint_to_keras(config):
    """glassnet's ``{"class_name": "MaxNorm", "config": {...}}`` as Keras 3 writes it (same names)."""
    if config is None:
        return None
    if config["class_name"] not in CONSTRAINT_NAMES.values():
        from glassnet.engine.constraints import CONSTRAINTS_BY_CLASS
        return own_object_to_keras(config, CONSTRAINTS_BY_CLASS)
    return _object("keras.constraints", config["class_name"], dict(config.get("config") or {}))


def constraint_from_keras(value, owner, reading):
    from glassnet.engine.constraints import CONSTRAINTS_BY_CLASS
    name = _name_of(value)
    if name is None:
        return None
    own = own_object_from_keras(value, "FunctionConstraint")
    if own is not None:
        return own
    name = CONSTRAINT_NAMES.get(name, name)
    if name not in CONSTRAINTS_BY_CLASS:
        reading.notes.append(f"{owner}: constraint {name!r} is not in glassnet (ignored; it only "
                             f"matters when training)")
        return None
    config = (value.get("config") or {}) if isinstance(value, dict) else {}
    return {"class_name": name, "config": dict(config)}
