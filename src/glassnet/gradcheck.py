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

import copy
from dataclasses import dataclass, field

import numpy as np

TOLERANCE = 1e-6


def relative_error(analytic, numeric):
    """Largest elementwise ``|a - n| / max(|a|, |n|)``.

    Entries that are (nearly) zero in both are compared against a floor of 1e-3 of the
    array's largest value, so rounding noise on a zero gradient is not a failure.
    """
    analytic, numeric = np.asarray(analytic, np.float64), np.asarray(numeric, np.float64)
    scale = max(np.abs(analytic).max(initial=0.0), np.abs(numeric).max(initial=0.0), 1e-12)
    denominator = np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), 1e-3 * scale)
    return float((np.abs(analytic - numeric) / denominator).max(initial=0.0))


def numerical_gradient(f, array, eps=1e-6, indices=None):
    """Central differences of the scalar ``f()`` with respect to ``array`` (changed in place
    and restored). ``indices`` limits the check to some flat positions of a large array."""
    grad = np.zeros(array.size)
    flat = array.reshape(-1)  # a view: writing to it changes ``array``
    for i in range(array.size) if indices is None else indices:
        old = flat[i]
        flat[i] = old + eps
        plus = f()
        flat[i] = old - eps
        minus = f()
        flat[i] = old
        grad[i] = (plus - minus) / (2 * eps)
    return grad.reshape(array.shape)


@dataclass
class Report:
    """The result of one check: ``errors`` maps ``"dx"`` and each parameter to its error."""

    name: str
    errors: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)
    tolerance: float = TOLERANCE

    @property
    def max_error(self):
        return max(self.errors.values(), default=0.0)

    @property
    def passed(self):
        return not self.problems and self.max_error <= self.tolerance

    def __str__(self):
        parts = [f"{k}={v:.2e}" for k, v in self.errors.items()] + self.problems
        return f"{self.name}: {'pass' if self.passed else 'FAIL'} ({', '.join(parts)})"


def _sample(size, limit, rng):
    """All flat indices, or ``limit`` of them drawn at random for a big array."""
    return None if size <= limit else rng.choice(size, limit, replace=False)


def check_layer(layer, input_shape, batch_size=4, training=True, seed=0, eps=1e-6,
                tolerance=TOLERANCE, max_checks=300, x=None):
    """Check shapes, dtypes, the config round trip and every gradient of ``layer``.

    Args:
        layer: an unbuilt layer instance (it is built here, in float64).
        input_shape: shape of one sample, without the batch axis.
        batch_size: samples in the test batch.
        training: run the layer in training mode (dropout active, batch statistics).
        x: a specific input to use instead of random normal numbers (e.g. no ties for
            max pooling).
        max_checks: at most this many entries of each array are checked numerically.

    Returns:
        A :class:`Report`; ``report.passed`` says whether everything agreed.
    """
    rng = np.random.default_rng(seed)
    input_shape = tuple(input_shape)
    report = Report(f"{type(layer).__name__}", tolerance=tolerance)
    fresh = copy.deepcopy(layer)

    # 1. float32 in, float32 out, of the shape output_shape() promises.
    probe = copy.deepcopy(layer)
    probe.build(input_shape, np.random.default_rng(seed))
    x32 = rng.standard_normal((batch_size,) + input_shape).astype(np.float32)
    y32 = probe.forward(x32, training=training)
    expected = (batch_size,) + tuple(probe.output_shape(input_shape))
    if y32.shape != expected:
        report.problems.append(f"output shape {y32.shape} != output_shape() {expected}")
    if y32.dtype != np.float32:
        report.problems.append(f"float32 input gave {y32.dtype} output")

    # 2. The config rebuilds an equivalent layer.
    try:
        type(layer).from_config(probe.get_config())
    except Exception as error:  # noqa: BLE001 - reported, not raised
        report.problems.append(f"from_config(get_config()) failed: {error}")

    # 3. Gradients, in float64.
    layer = fresh
    layer.dtype = np.dtype(np.float64)
    layer.build(input_shape, np.random.default_rng(seed))
    for key in layer.state:
        layer.state[key] = layer.state[key].astype(np.float64)
    layer.needs_input_grad = True
    x = rng.standard_normal((batch_size,) + input_shape) if x is None else np.array(x, np.float64)
    state = copy.deepcopy(layer.state)
    rng_state = layer.rng.bit_generator.state

    def output():
        # Same random draws (dropout mask) and same starting statistics on every call.
        layer.rng.bit_generator.state = rng_state
        for key, value in state.items():
            layer.state[key][...] = value
        return layer.forward(x, training=training)

    dy = rng.standard_normal(output().shape)

    def f():
        # A weight penalty (kernel_regularizer) is part of the loss, so part of f too.
        return float(np.sum(output() * dy)) + layer.regularization_loss()

    output()
    dy_given = dy.copy()
    dx = layer.backward(dy_given)
    if not np.array_equal(dy_given, dy):
        report.problems.append("backward changed the caller's dy in place")
    analytic = {"dx": dx, **{f"d{k}": g.copy() for k, g in layer.grads.items()}}
    targets = {"dx": x, **{f"d{k}": p for k, p in layer.params.items()}}
    for name, array in targets.items():
        indices = _sample(array.size, max_checks, rng)
        numeric = numerical_gradient(f, array, eps, indices)
        a = analytic[name]
        if a is None or a.shape != array.shape:
            report.problems.append(f"{name} has shape {None if a is None else a.shape}, expected {array.shape}")
            continue
        if indices is not None:
            a, numeric = a.reshape(-1)[indices], numeric.reshape(-1)[indices]
        report.errors[name] = relative_error(a, numeric)
    return report


def check_loss(loss, y_pred, y_true, eps=1e-6, tolerance=TOLERANCE):
    """Check ``loss.backward()`` against finite differences of ``loss.forward``."""
    y_pred = np.array(y_pred, dtype=np.float64)
    loss.forward(y_true, y_pred)
    analytic = loss.backward()
    numeric = numerical_gradient(lambda: loss.forward(y_true, y_pred), y_pred, eps)
    report = Report(f"{type(loss).__name__}", tolerance=tolerance)
    report.errors["dy_pred"] = relative_error(analytic, numeric)
    return report


class _NoUpdate:
    """An optimizer that leaves the weights alone: ``train_step`` then only fills the grads."""

    def step(self, params, grads, *parts):
        pass


def check_model(model, x, y, eps=1e-5, tolerance=TOLERANCE, max_checks=100, seed=0):
    """Check a whole compiled model: the gradient of its loss for every weight.

    This is the check that the model's shortcuts are exact. With a final softmax and a
    cross-entropy loss, training computes the loss from the logits and hands
    ``(p - y) / N`` straight to the last layer. Here the analytic gradients come from
    :meth:`Sequential.train_step` (fused, exactly as in training, minus the update) and
    the numerical ones from the loss *as the user wrote it*, on the probabilities.

    Args:
        model: a compiled, unbuilt model (a copy is built here in float64).
        x, y: a small batch and its labels.
        eps: the finite-difference step. Larger than for one layer: a whole model's loss
            has many tiny gradient entries, which rounding noise swamps at 1e-6, while
            the truncation error of central differences (about eps**2) stays negligible.
    """
    model = copy.deepcopy(model)
    if model.built or model.loss is None:
        raise ValueError("check_model needs a compiled model that has not been built yet")
    for layer in model.layers:
        layer.dtype = np.dtype(np.float64)
    x = np.asarray(x, np.float64)
    model.build(x.shape[1:])
    model.optimizer, model._batch = _NoUpdate(), 0
    rng_state = model.rng.bit_generator.state  # the same dropout masks on every call

    def f():
        model.rng.bit_generator.state = rng_state
        return model.loss.forward(y, model.forward(x, training=True)) + model.regularization_loss()

    model.rng.bit_generator.state = rng_state
    model.train_step(x, y)
    report = Report(f"{type(model).__name__}", tolerance=tolerance)
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        for key, array in layer.params.items():
            analytic = layer.grads[key].copy()
            indices = _sample(array.size, max_checks, rng)
            numeric = numerical_gradient(f, array, eps, indices)
            if indices is not None:
                analytic, numeric = analytic.reshape(-1)[indices], numeric.reshape(-1)[indices]
            report.errors[f"{layer.name}/d{key}"] = relative_error(analytic, numeric)
    return report


# -- the catalogue: every built-in component, in the configurations that matter ----------
#
# ``glassnet gradcheck`` and tests/test_gradcheck.py both run :func:`run_all`. Layers are
# found in the layer registry, so a new built-in layer with no entry below shows up in
# the table as a failure instead of going unchecked.

@dataclass
class Check:
    """One line of the table: what is checked, how it is set up, and the check itself."""

    component: str
    configuration: str
    run: object  # () -> Report


@dataclass
class Row:
    """One result: the largest relative error over ``dx`` and every parameter."""

    component: str
    configuration: str
    max_error: float
    passed: bool
    detail: str = ""


def _away_from_zero(shape, seed=1):
    """Random numbers with ``|x| >= 0.1``: ReLU has no derivative at its kink, so avoid it."""
    x = np.random.default_rng(seed).standard_normal(shape)
    return np.sign(x) * (0.1 + np.abs(x))


def _distinct(shape, seed=1):
    """All values different (a shuffled ramp): max pooling's winner is then unambiguous."""
    size = int(np.prod(shape))
    return np.random.default_rng(seed).permutation(size).reshape(shape) / size - 0.5


def registered_layers():
    """Every built-in layer class by name, after importing every module of the layers package.

    Abstract bases (classes without their own ``forward``, such as ``Pooling2D``) are left
    out: there is nothing to run.
    """
    import importlib
    import pkgutil

    from glassnet.engine import layers
    from glassnet.engine.layers.base import LAYERS, Layer

    for module in pkgutil.iter_modules(layers.__path__):
        importlib.import_module(f"{layers.__name__}.{module.name}")
    return {name: cls for name, cls in LAYERS.items()
            if cls.__module__.startswith("glassnet.") and cls.forward is not Layer.forward}


def _layer_checks():
    from glassnet.engine.layers.activations import ACTIVATIONS
    from glassnet.engine.regularizers import l1, l1_l2, l2

    known = registered_layers()
    checks = []

    def add(name, input_shape, label=None, batch_size=4, x=None, training=True, **kwargs):
        if name not in known:  # e.g. a layer of a later release: nothing to check yet
            return
        label = label or ", ".join(f"{k}={v!r}" for k, v in kwargs.items()) or "defaults"
        label += f", input {tuple(input_shape)}" + ("" if training else ", inference")
        data = None if x is None else x((batch_size,) + tuple(input_shape))
        checks.append(Check(name, label, lambda: check_layer(
            known[name](**kwargs), input_shape, batch_size=batch_size, x=data, training=training)))

    add("Dense", (4,), units=3)
    add("Dense", (4,), units=3, use_bias=False)
    for activation in ACTIVATIONS:
        add("Dense", (4,), units=3, activation=activation)
    for text, regularizer in (("l2(0.1)", l2(0.1)), ("l1(0.1)", l1(0.1)), ("l1_l2()", l1_l2())):
        add("Dense", (4,), f"units=3, activation='relu', kernel_regularizer={text}",
            units=3, activation="relu", kernel_regularizer=regularizer)
    for name in ACTIVATIONS:
        add("Activation", (5,), x=_away_from_zero, activation=name)
    for cls in ACTIVATIONS.values():
        add(cls.__name__, (5,), x=_away_from_zero)
    add("LeakyReLU", (5,), x=_away_from_zero, negative_slope=0.1)
    add("Flatten", (2, 3, 2))
    add("Reshape", (12,), target_shape=(3, 4))
    add("Reshape", (2, 3, 2), target_shape=(-1, 2))
    add("Dropout", (6,), "rate=0.5, fixed mask", batch_size=5, rate=0.5)
    add("Dropout", (6,), training=False, rate=0.5)

    # Convolutions: stride 1 and 2, valid and same, odd sizes, several channels.
    add("Conv2D", (5, 5, 1), filters=2, kernel_size=3)
    add("Conv2D", (5, 6, 2), filters=3, kernel_size=3, padding="same")
    add("Conv2D", (7, 7, 2), filters=2, kernel_size=3, strides=2)
    add("Conv2D", (6, 7, 3), filters=2, kernel_size=(3, 2), strides=2, padding="same")
    add("Conv2D", (5, 5, 2), filters=2, kernel_size=3, activation="relu", use_bias=False)
    add("Conv2D", (5, 5, 2), "filters=2, kernel_size=3, kernel_regularizer=l2(0.1)",
        filters=2, kernel_size=3, kernel_regularizer=l2(0.1))
    # Pooling, on inputs without ties.
    add("MaxPooling2D", (4, 4, 2), x=_distinct, pool_size=2)
    add("MaxPooling2D", (5, 5, 2), x=_distinct, pool_size=2)
    add("MaxPooling2D", (7, 7, 1), x=_distinct, pool_size=3, strides=2)
    add("MaxPooling2D", (5, 5, 2), x=_distinct, pool_size=2, padding="same")
    add("AveragePooling2D", (4, 4, 2), pool_size=2)
    add("AveragePooling2D", (7, 7, 1), pool_size=3, strides=2)
    add("AveragePooling2D", (5, 5, 2), pool_size=2, padding="same")
    add("GlobalAveragePooling2D", (3, 4, 2))
    # Batch norm: batch statistics in training (a batch of at least 4), running ones after.
    add("BatchNormalization", (5,), batch_size=6)
    add("BatchNormalization", (3, 3, 2), batch_size=4)
    add("BatchNormalization", (5,), batch_size=4, center=False, scale=False)
    add("BatchNormalization", (5,), batch_size=4, training=False)
    add("BatchNormalization", (3, 3, 2), batch_size=4, training=False)
    return checks


def _loss_checks():
    from glassnet.engine import losses

    rng = np.random.default_rng(2)
    logits = 2 * rng.standard_normal((5, 4))                       # (N, K) scores
    probs = np.exp(losses.log_softmax(logits))                     # rows sum to 1, all > 1e-7
    labels = np.array([0, 3, 1, 1, 2])                             # (N,) integers
    onehot = losses.one_hot(labels, 4, np.float64)                 # (N, K)
    smooth = 0.9 * onehot + 0.1 / 4                                # label smoothing
    targets = rng.standard_normal((5, 4))                          # regression targets
    known = {name: cls for name, cls in losses.LOSSES_BY_CLASS.items()
             if cls.__module__.startswith("glassnet.")}
    cases = [
        ("CategoricalCrossentropy", {"from_logits": True}, logits, labels, "fused: logits, integer labels"),
        ("CategoricalCrossentropy", {"from_logits": True}, logits, onehot, "fused: logits, one-hot labels"),
        ("CategoricalCrossentropy", {"from_logits": True}, logits, smooth, "fused: logits, smoothed labels"),
        ("CategoricalCrossentropy", {}, probs, labels, "not fused: probabilities, integer labels"),
        ("CategoricalCrossentropy", {}, probs, onehot, "not fused: probabilities, one-hot labels"),
        ("SparseCategoricalCrossentropy", {"from_logits": True}, logits, labels, "fused: logits"),
        ("SparseCategoricalCrossentropy", {}, probs, labels, "not fused: probabilities"),
        ("MeanSquaredError", {}, logits, onehot, "one-hot targets"),
        ("MeanSquaredError", {}, logits, labels, "integer labels"),
        ("MeanSquaredError", {}, logits, targets, "real targets"),
    ]
    return [Check(name, label, lambda name=name, kw=kw, p=p, t=t: check_loss(known[name](**kw), p, t))
            for name, kw, p, t, label in cases if name in known]


def _model_checks():
    from glassnet.engine.layers import Dense, Dropout, Flatten
    from glassnet.engine.model import Sequential
    from glassnet.engine.regularizers import l2

    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((6, 3, 4)), np.array([0, 1, 2, 3, 4, 0])

    def run(loss, *layers):
        model = Sequential([Flatten(input_shape=(3, 4)), *layers], seed=0)
        model.compile("sgd", loss)
        return check_model(model, x, y)

    checks, known = [], registered_layers()
    if {"Conv2D", "MaxPooling2D", "BatchNormalization"} <= set(known):
        images = rng.standard_normal((4, 6, 6, 1))
        model = Sequential([known["Conv2D"](2, 3, activation="relu", input_shape=(6, 6, 1)),
                            known["MaxPooling2D"](2), known["BatchNormalization"](), Flatten(),
                            Dense(3, activation="softmax")], seed=0)
        model.compile("sgd", "sparse_categorical_crossentropy")
        checks.append(Check("Sequential", "Conv2D(relu) > MaxPooling2D > BatchNormalization > Dense(softmax)",
                            lambda: check_model(model, images, y[:4] % 3)))
    return checks + [
        Check("Sequential", "Dense(softmax) + categorical_crossentropy, fused in training",
              lambda: run("categorical_crossentropy", Dense(5, activation="softmax"))),
        Check("Sequential", "Dense(relu, l2) > Dropout(0.5) > Dense(softmax) + sparse CE, fused",
              lambda: run("sparse_categorical_crossentropy", Dense(6, activation="relu",
                          kernel_regularizer=l2(0.01)), Dropout(0.5), Dense(5, activation="softmax"))),
        Check("Sequential", "Dense(tanh) > Dense(sigmoid) + mse, not fused",
              lambda: run("mse", Dense(6, activation="tanh"), Dense(5, activation="sigmoid"))),
    ]


def catalogue():
    """Every check :func:`run_all` runs: layers, losses (fused and not) and whole models."""
    return _layer_checks() + _loss_checks() + _model_checks()


def uncatalogued(checks=None):
    """Built-in layer and loss classes that no check covers (each is a failure in the table)."""
    from glassnet.engine.losses import LOSSES_BY_CLASS

    covered = {check.component for check in (catalogue() if checks is None else checks)}
    builtin = set(registered_layers()) | {name for name, cls in LOSSES_BY_CLASS.items()
                                          if cls.__module__.startswith("glassnet.")}
    return sorted(builtin - covered)


def run_all(only=None):
    """Run the catalogue and return one :class:`Row` per check.

    Args:
        only: keep the components whose name contains this text (case-insensitive).
            Without it, every uncatalogued built-in class adds a failing row.
    """
    checks = catalogue()
    rows = []
    for check in checks:
        if only and only.lower() not in check.component.lower():
            continue
        try:
            report = check.run()
        except Exception as error:  # noqa: BLE001 - a crash is a failed check, shown in the table
            rows.append(Row(check.component, check.configuration, float("nan"), False,
                            f"raised {type(error).__name__}: {error}"))
            continue
        rows.append(Row(check.component, check.configuration, report.max_error, report.passed,
                        "; ".join(report.problems)))
    if not only:
        rows += [Row(name, "-", float("nan"), False, "no entry in the glassnet.gradcheck catalogue")
                 for name in uncatalogued(checks)]
    return rows
