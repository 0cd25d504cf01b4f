"""Keras 3's compile settings in glassnet's words, and back: optimizer, loss, metrics.

A ``.keras`` file keeps them in ``config.json`` under ``compile_config`` (a legacy ``.h5``
in its ``training_config`` attribute), and the optimizer's state in the weights file, in an
order of Keras's own (:func:`optimizer_slot_groups`). An optimizer, schedule or loss
glassnet doesn't have is not an error: the model is loaded uncompiled, with a note, as
Keras itself does when it can't compile a loaded model.
"""

import numpy as np

from glassnet.engine.configurable import registered_name
from glassnet.engine.metrics import METRICS_BY_CLASS
from glassnet.errors import ExportError
from glassnet.interop.keras_objects import Unsupported, _name_of, _object

OPTIMIZER_OPTIONS = {   # glassnet's arguments besides learning_rate and clipping
    "SGD": ("momentum", "nesterov"),
    "Adam": ("beta_1", "beta_2", "epsilon"),
    "AdamW": ("weight_decay", "beta_1", "beta_2", "epsilon"),
    "RMSprop": ("rho", "momentum", "epsilon", "centered"),
    "Adagrad": ("initial_accumulator_value", "epsilon"),
    "Adadelta": ("rho", "epsilon"),
    "Nadam": ("beta_1", "beta_2", "epsilon"),
    "Adamax": ("beta_1", "beta_2", "epsilon"),
    "Lion": ("beta_1", "beta_2"),
    "Lamb": ("beta_1", "beta_2", "epsilon"),
    "Adafactor": ("beta_2_decay", "epsilon_1", "epsilon_2", "clip_threshold", "relative_step"),
    "Ftrl": ("learning_rate_power", "initial_accumulator_value", "l1_regularization_strength",
             "l2_regularization_strength", "l2_shrinkage_regularization_strength", "beta"),
}
OPTIMIZER_NAMES = {name.lower(): name for name in OPTIMIZER_OPTIONS}
SCHEDULE_OPTIONS = {   # schedules both libraries have, with the arguments they share
    "CosineDecay": ("initial_learning_rate", "decay_steps", "alpha", "name", "warmup_target", "warmup_steps"),
    "ExponentialDecay": ("initial_learning_rate", "decay_steps", "decay_rate", "staircase", "name"),
    "PiecewiseConstantDecay": ("boundaries", "values", "name"),
    "InverseTimeDecay": ("initial_learning_rate", "decay_steps", "decay_rate", "staircase", "name"),
    "PolynomialDecay": ("initial_learning_rate", "decay_steps", "end_learning_rate", "power", "cycle", "name"),
    "CosineDecayRestarts": ("initial_learning_rate", "first_decay_steps", "t_mul", "m_mul", "alpha", "name"),
}
CLIPPING = ("clipnorm", "clipvalue", "global_clipnorm")
EMA = ("use_ema", "ema_momentum", "ema_overwrite_frequency")   # every optimizer, both libraries
LOSSES = {"SparseCategoricalCrossentropy": "sparse_categorical_crossentropy",
          "CategoricalCrossentropy": "categorical_crossentropy",
          "BinaryCrossentropy": "binary_crossentropy",
          "MeanSquaredError": "mean_squared_error", "MeanAbsoluteError": "mean_absolute_error",
          "Huber": "huber_loss", "KLDivergence": "kl_divergence",
          "MeanSquaredLogarithmicError": "mean_squared_logarithmic_error",
          "MeanAbsolutePercentageError": "mean_absolute_percentage_error", "LogCosh": "log_cosh",
          "Poisson": "poisson", "Hinge": "hinge", "SquaredHinge": "squared_hinge",
          "CosineSimilarity": "cosine_similarity", "BinaryFocalCrossentropy": "binary_focal_crossentropy",
          "CategoricalFocalCrossentropy": "categorical_focal_crossentropy",
          "CategoricalHinge": "categorical_hinge", "Dice": "dice", "Tversky": "tversky", "Circle": "circle",
          "CategoricalGeneralizedCrossEntropy": "categorical_generalized_cross_entropy"}
KERAS3_LOSS_OPTIONS = {"Dice": ("axis",), "Tversky": ("alpha", "beta", "axis"), "CategoricalHinge": (),
                       "Circle": ("gamma", "margin", "remove_diagonal"),
                       "CategoricalGeneralizedCrossEntropy": ("q",)}    # their own settings
FOCAL_OPTIONS = ("alpha", "gamma", "apply_class_balancing")     # the focal losses' own settings
LOSS_NAMES = {**{v: k for k, v in LOSSES.items()}, "mse": "MeanSquaredError", "mae": "MeanAbsoluteError",
              "huber": "Huber", "kld": "KLDivergence", "msle": "MeanSquaredLogarithmicError",
              "mape": "MeanAbsolutePercentageError", "logcosh": "LogCosh"}
# The other metrics both libraries have under one name (Keras's class -> its string name)
METRICS = {"BinaryAccuracy": "binary_accuracy", "MeanSquaredError": "mean_squared_error",
           "MeanAbsoluteError": "mean_absolute_error", "TopKCategoricalAccuracy": "top_k_categorical_accuracy",
           "SparseTopKCategoricalAccuracy": "sparse_top_k_categorical_accuracy",
           "RootMeanSquaredError": "root_mean_squared_error",
           "MeanAbsolutePercentageError": "mean_absolute_percentage_error",
           "MeanSquaredLogarithmicError": "mean_squared_logarithmic_error", "LogCoshError": "logcosh",
           "CosineSimilarity": "cosine_similarity", "KLDivergence": "kl_divergence", "Poisson": "poisson",
           "Hinge": "hinge", "SquaredHinge": "squared_hinge", "CategoricalHinge": "categorical_hinge",
           "F1Score": "f1_score", "FBetaScore": "fbeta_score", "R2Score": "r2_score",
           "Precision": "precision", "Recall": "recall", "AUC": "auc",
           "IoU": "io_u", "MeanIoU": "mean_io_u", "BinaryIoU": "binary_io_u", "OneHotIoU": "one_hot_io_u",
           "OneHotMeanIoU": "one_hot_mean_io_u", "PearsonCorrelation": "pearson_correlation",
           "ConcordanceCorrelation": "concordance_correlation", "PrecisionAtRecall": "precision_at_recall",
           "RecallAtPrecision": "recall_at_precision", "SensitivityAtSpecificity": "sensitivity_at_specificity",
           "SpecificityAtSensitivity": "specificity_at_sensitivity"}
# The settings a metric's config carries besides its name (the same keys in both libraries)
METRIC_SETTINGS = ("threshold", "k", "average", "beta", "class_aggregation", "num_regressors",
                   "thresholds", "top_k", "class_id", "num_thresholds", "curve", "summation_method",
                   "from_logits", "multi_label", "num_labels", "label_weights",
                   "num_classes", "target_class_ids", "ignore_class", "sparse_y_true", "sparse_y_pred", "axis",
                   "recall", "precision", "sensitivity", "specificity")
METRIC_NAMES = {**{v: k for k, v in METRICS.items()}, "mse": "MeanSquaredError", "mae": "MeanAbsoluteError",
                "mape": "MeanAbsolutePercentageError", "msle": "MeanSquaredLogarithmicError"}
ACCURACIES = ("accuracy", "acc", "sparse_categorical_accuracy", "categorical_accuracy")
ACCURACY_NAMES = {"Accuracy": "accuracy", "SparseCategoricalAccuracy": "sparse_categorical_accuracy",
                  "CategoricalAccuracy": "categorical_accuracy"}


def compile_from_keras(compiled, reading, output_names=None):
    """Keras's ``compile_config`` -> glassnet's compile settings (as ``saving.compile_config``
    writes them), or None with a note when glassnet has no such optimizer or loss. A model
    with several outputs (``output_names``) gets a loss and metrics for each."""
    if not compiled:
        return None
    try:
        optimizer = _optimizer_from_keras(compiled.get("optimizer"))
        if output_names:
            loss = _output_losses_from_keras(compiled.get("loss"), compiled.get("loss_weights"), output_names)
        else:
            loss = _loss_from_keras(compiled.get("loss"))
            if compiled.get("loss_weights") not in (None, 1, 1.0, [1], [1.0]):
                raise Unsupported(f"loss_weights={compiled['loss_weights']!r}")
    except (Unsupported, TypeError, ValueError, AttributeError, KeyError) as error:
        reading.notes.append(f"the model was compiled with settings glassnet lacks ({error}); it is "
                             f"loaded uncompiled: call compile() before training it")
        return None
    found = {}
    for group in ("metrics", "weighted_metrics"):
        given = compiled.get(group)
        if not (output_names and given):
            found[group] = [spec for spec in (_metric_from_keras(m, reading) for m in _flat(given)) if spec]
            continue
        # Several outputs: one entry (a metric or a list of them) per output, or a dict by name.
        entries = [given.get(name) for name in output_names] if isinstance(given, dict) else given
        found[group] = []
        for index, (name, entry) in enumerate(zip(output_names, entries)):
            for metric in _flat(entry):
                spec = _metric_from_keras(metric, reading)
                if spec:
                    found[group].append({"class_name": "OutputMetric",
                                         "config": {"metric": spec, "index": index, "output_name": name}})
    return {"optimizer": optimizer, "loss": loss, **found}


def _metric_from_keras(metric, reading):
    """One metric of Keras's compile_config as glassnet's spec, or None (with a note)."""
    name = metric if isinstance(metric, str) else \
        ((metric.get("config") or {}).get("name") if isinstance(metric, dict) else None)
    kind = _name_of(metric)
    if kind == "MeanMetricWrapper":                           # Keras 2's wrapped functions
        kind = (metric.get("config") or {}).get("fn")
    if kind in ACCURACIES or kind in ("SparseCategoricalAccuracy", "CategoricalAccuracy"):
        return {"class_name": "Accuracy", "config": {"name": name or "accuracy"}}
    class_name = METRIC_NAMES.get(kind, kind if kind in METRICS else None)
    if class_name is not None:
        config = (metric.get("config") or {}) if isinstance(metric, dict) else {}
        own = {key: config[key] for key in METRIC_SETTINGS if key in config}
        try:                                     # settings glassnet lacks (AUC(multi_label=True)...)
            METRICS_BY_CLASS[class_name](**own)
        except (TypeError, ValueError) as error:
            reading.notes.append(f"metric {kind!r} with these settings is not in glassnet ({error}; left out)")
            return None
        return {"class_name": class_name, "config": {"name": name or METRICS[class_name], **own}}
    if isinstance(metric, dict) and _registered_metric(metric.get("registered_name")):
        return {"class_name": metric["registered_name"], "config": dict(metric.get("config") or {})}
    reading.notes.append(f"metric {kind!r} is not in glassnet (left out)")
    return None


def _registered_metric(name):
    """Whether ``name`` ("Custom>MyMetric") is a Metric class this program registered (or
    gave in ``custom_objects``): a metric of the program's own, found again by that name."""
    from glassnet.engine.configurable import find_registered
    from glassnet.engine.metrics import Metric

    found = find_registered(name)
    return isinstance(found, type) and issubclass(found, Metric)


def _output_losses_from_keras(spec, weights, names):
    """Keras's losses of a model with several outputs (a list, a dict by output name, or one
    for all) and their ``loss_weights`` -> glassnet's :class:`OutputLosses` spec."""
    by_name = isinstance(spec, dict) and not ({"class_name", "module"} & set(spec))
    parts = [spec.get(name) for name in names] if by_name else spec if isinstance(spec, list) else [spec] * len(names)
    if len(parts) != len(names):
        raise Unsupported(f"{len(parts)} losses for {len(names)} outputs")
    if isinstance(weights, dict):
        weights = [weights.get(name, 1.0) for name in names]
    elif weights is not None and not isinstance(weights, list):
        weights = [weights] * len(names)
    return {"class_name": "OutputLosses", "config": {"losses": [_loss_from_keras(p) for p in parts],
                                                     "loss_weights": weights, "output_names": list(names)}}


def _flat(metrics):
    if metrics is None:
        return []
    if isinstance(metrics, dict):
        metrics = list(metrics.values())
    out = []
    for m in metrics if isinstance(metrics, list) else [metrics]:
        out.extend(_flat(m) if isinstance(m, list) else [m])
    return out


def _optimizer_from_keras(spec):
    if isinstance(spec, str):
        spec = {"class_name": spec, "config": {}}
    if not isinstance(spec, dict):
        raise Unsupported(f"optimizer {spec!r}")
    kind = str(spec.get("class_name")).removeprefix("Custom>")     # tf.keras 2.11+ wrote "Custom>Adam"
    class_name = OPTIMIZER_NAMES.get(kind.lower())
    if class_name is None:
        raise Unsupported(f"optimizer {kind!r}")
    config = dict(spec.get("config") or {})
    if "lr" in config and "learning_rate" not in config:            # Keras 2's early spelling
        config["learning_rate"] = config.pop("lr")
    if config.get("decay"):
        raise Unsupported(f"{class_name} with Keras 2's decay={config['decay']!r}")
    for key in ("amsgrad", "loss_scale_factor", "gradient_accumulation_steps"):
        if config.get(key):
            raise Unsupported(f"{class_name} with {key}={config[key]!r}")
    out = {key: config[key] for key in (*CLIPPING, "weight_decay", *OPTIMIZER_OPTIONS[class_name])
           if config.get(key) is not None}     # weight_decay: every Keras 3 optimizer has it
    if config.get("use_ema"):
        out.update({key: config[key] for key in EMA if config.get(key) is not None})
    if "learning_rate" in config:
        out["learning_rate"] = _schedule_from_keras(config["learning_rate"])
    return {"class_name": class_name, "config": out}


def _schedule_from_keras(value):
    if not isinstance(value, dict):
        return float(value)
    name = value.get("class_name")
    if name not in SCHEDULE_OPTIONS:
        raise Unsupported(f"learning-rate schedule {name!r}")
    config = value.get("config") or {}
    return {"class_name": name, "config": {k: config[k] for k in SCHEDULE_OPTIONS[name] if k in config}}


def _loss_from_keras(spec):
    if spec is None:
        return None
    if isinstance(spec, list) and len(spec) == 1:
        spec = spec[0]
    if isinstance(spec, dict) and spec.get("class_name") == "function" and isinstance(spec.get("config"), str):
        # a function of the program's own, by its registered name: found again on loading
        return {"class_name": "LossFunction", "config": {"function": spec["config"]}}
    name = _name_of(spec)
    class_name = LOSS_NAMES.get(name, name if name in LOSSES else None)
    if class_name is None:
        raise Unsupported(f"loss {name!r}")
    config = (spec.get("config") or {}) if isinstance(spec, dict) and isinstance(spec.get("config"), dict) else {}
    if config.get("reduction") not in (None, "sum_over_batch_size", "auto"):
        raise Unsupported(f"loss reduction {config['reduction']!r}")
    if class_name in KERAS3_LOSS_OPTIONS:
        own = {key: config[key] for key in KERAS3_LOSS_OPTIONS[class_name] if key in config}
        return {"class_name": class_name, "config": own}
    if config.get("ignore_class") is not None or config.get("axis", -1) != -1:
        raise Unsupported(f"{class_name} with ignore_class or axis")
    own = {"from_logits": bool(config.get("from_logits", False))} if "Crossentropy" in class_name else {}
    if config.get("label_smoothing"):
        if class_name not in ("CategoricalCrossentropy", "BinaryCrossentropy", "BinaryFocalCrossentropy",
                              "CategoricalFocalCrossentropy"):
            raise Unsupported(f"{class_name} with label_smoothing")
        own["label_smoothing"] = float(config["label_smoothing"])
    if class_name == "Huber":
        own["delta"] = float(config.get("delta", 1.0))
    if "Focal" in class_name:
        own.update({key: config[key] for key in FOCAL_OPTIONS if key in config})
    return {"class_name": class_name, "config": own}


def compile_to_keras(model, notes):
    """glassnet's compile settings -> Keras's ``compile_config`` (None if not compiled)."""
    from glassnet.engine import schedules

    optimizer = model.optimizer
    if optimizer is None:
        return None
    kind = type(optimizer).__name__
    if kind not in OPTIMIZER_OPTIONS:
        raise ExportError(f"optimizer {kind} has no Keras equivalent that glassnet knows")
    config = optimizer.get_config()
    rate = optimizer.schedule or optimizer.learning_rate
    if isinstance(rate, schedules.LearningRateSchedule):
        name = type(rate).__name__
        if name in SCHEDULE_OPTIONS:
            own = rate.get_config()
            rate = _object("keras.optimizers.schedules", name,
                           {"name": name, **{k: own[k] for k in SCHEDULE_OPTIONS[name] if k in own}})
        else:
            notes.append(f"Keras has no {name} schedule: the .keras file's optimizer keeps the current "
                         f"learning rate {optimizer.lr:.3g} for Keras (glassnet keeps the schedule)")
            rate = float(optimizer.lr)
    keras_config = {"name": kind.lower(), "learning_rate": rate,
                    **{k: config.get(k) for k in CLIPPING},
                    "use_ema": optimizer.use_ema, "ema_momentum": optimizer.ema_momentum,
                    "ema_overwrite_frequency": optimizer.ema_overwrite_frequency,
                    **{k: config[k] for k in OPTIMIZER_OPTIONS[kind] if k in config}}
    keras_config["weight_decay"] = config.get("weight_decay")      # every Keras 3 optimizer has it
    loss, loss_weights = None, None
    if type(model.loss).__name__ == "OutputLosses":        # several outputs: a list, as Keras writes it
        loss = [None if part is None else _loss_to_keras(part, notes) for part in model.loss.losses]
        loss_weights = model.loss.loss_weights
    elif model.loss is not None:
        loss = _loss_to_keras(model.loss, notes)
    metrics = {}
    for group, found in (("metrics", model.compiled_metrics), ("weighted_metrics", model.weighted_metrics)):
        if found and type(found[0]).__name__ == "OutputMetric":       # one list per output
            names = [[] for _ in model.outputs]
            for metric in found:
                names[metric.index] += _metric_names([metric.metric], notes)
        else:
            names = _metric_names(found, notes)
        metrics[group] = names or None
    return {"optimizer": _object("keras.optimizers", kind, keras_config), "loss": loss,
            "loss_weights": loss_weights, **metrics, "run_eagerly": False, "steps_per_execution": 1,
            "jit_compile": False}


def _loss_to_keras(loss, notes):
    """One glassnet loss as Keras serializes it, or None (with a note) where Keras can't have it."""
    loss_kind = type(loss).__name__
    if loss_kind in LOSSES:
        return _object("keras.losses", loss_kind,
                       {"name": LOSSES[loss_kind], "reduction": "sum_over_batch_size", **loss.get_config()})
    if loss_kind == "LossFunction" and registered_name(loss.fn):
        # Keras 3's way to name a registered function: it finds it again by that name
        return {"module": "builtins", "class_name": "function",
                "config": registered_name(loss.fn), "registered_name": "function"}
    if loss_kind == "LossFunction":
        notes.append(f"the loss function {loss.name!r} is not registered, so Keras can't find it "
                     f"again: the .keras file is compiled without a loss for Keras (decorate it with "
                     f"@keras.saving.register_keras_serializable(); glassnet finds it through "
                     f"load_model's custom_objects)")
    else:
        notes.append(f"Keras has no {loss_kind} loss; the .keras file is compiled without one")
    return None


def _metric_names(found, notes):
    names = []
    for metric in found:
        metric_kind = type(metric).__name__
        if metric_kind in ACCURACY_NAMES:
            names.append(metric.name if metric.name in ACCURACIES else ACCURACY_NAMES[metric_kind])
        elif metric_kind in METRICS:                 # as an object: Keras then logs it by its name too
            own = {key: value for key, value in metric.get_config().items() if key in METRIC_SETTINGS}
            names.append(_object("keras.metrics", metric_kind, {"name": metric.name, "dtype": "float32", **own}))
        elif registered_name(type(metric)):          # yours, registered: Keras finds it by that name
            config = {**metric.get_config(), "dtype": "float32"}
            names.append(_object(None, metric_kind, config, registered_name(type(metric))))
        else:
            notes.append(f"glassnet doesn't write the {metric_kind} metric into .keras files yet; "
                         f"left out (compile the loaded model with it again)")
    return names


def keras_has_learning_rate_variable(keras_compiled):
    """Whether Keras keeps the learning rate as a variable (it does unless it is a schedule)."""
    optimizer = (keras_compiled or {}).get("optimizer")
    if isinstance(optimizer, dict):
        return not isinstance((optimizer.get("config") or {}).get("learning_rate"), dict)
    return True


def optimizer_trailing(optimizer):
    """What Keras keeps after the weights' state: Nadam's running product of its momentum
    factors, ``U_t`` (glassnet works it out again from the step count when it reads one)."""
    if type(optimizer).__name__ == "Nadam":
        return [np.array(optimizer.momentum_product(optimizer.iterations), np.float32)]
    return []


def optimizer_slot_groups(optimizer):
    """The order Keras keeps an optimizer's state in, after ``iterations`` (and the learning
    rate): groups of glassnet slot names, each group interleaved weight by weight.

    Keras's Adam makes ``momentum, velocity`` for each weight in turn; RMSprop makes every
    velocity, then every momentum, then every average gradient. The quantities are the
    same as glassnet's (the update rules match line for line), only the names differ.
    With ``use_ema``, every weight's moving average comes first (Keras's base class makes
    them before the optimizer's own state).
    """
    kind = type(optimizer).__name__
    if kind in ("Adam", "AdamW", "Nadam"):
        groups = [("m", "v")]
    elif kind == "Adamax":
        groups = [("m", "u")]           # Keras's momentum and norm
    elif kind == "SGD":
        groups = [("velocity",)] if optimizer.momentum else []
    elif kind == "RMSprop":
        groups = [("velocity",)] + ([("momentum",)] if optimizer.momentum else []) + \
            ([("average_gradient",)] if optimizer.centered else [])
    elif kind == "Adagrad":
        groups = [("accumulator",)]
    elif kind == "Adadelta":
        groups = [("accumulated_grad", "accumulated_delta")]
    elif kind in ("Lion", "Lamb", "Ftrl", "Adafactor"):
        groups = [optimizer.slot_names]     # Keras's names: momentum (velocity), accumulator
        # and linear, Adafactor's r, c and velocity: in the same order
    else:
        return None
    return [("average",)] + groups if optimizer.use_ema else groups
