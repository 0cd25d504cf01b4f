"""The checks themselves: numerical gradients, and the comparison for a layer, a loss, a model."""

import copy
from dataclasses import dataclass, field

import numpy as np

from glassnet.engine.parameters import weight_paths

TOLERANCE = 1e-6


# Below this, in both, a gradient is zero: central differences with eps = 1e-6 in float64 leave
# about 1e-10 of rounding noise on a gradient that is exactly zero.
ZERO = 1e-8


def relative_error(analytic, numeric):
    """Largest elementwise ``|a - n| / max(|a|, |n|)``.

    Entries that are (nearly) zero in both are compared against a floor of 1e-3 of the
    array's largest value, so rounding noise on a zero gradient is not a failure; and a
    gradient that is zero up to rounding in both (below ``ZERO``: the key's bias in attention,
    which adds the same number to every score of a row, and a softmax ignores that) agrees.
    """
    analytic, numeric = np.asarray(analytic, np.float64), np.asarray(numeric, np.float64)
    scale = max(np.abs(analytic).max(initial=0.0), np.abs(numeric).max(initial=0.0), 1e-12)
    if scale < ZERO:
        return 0.0
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
        input_shape: shape of one sample, without the batch axis; for a layer that takes
            several inputs (Add, Concatenate), a list of such shapes.
        batch_size: samples in the test batch.
        training: run the layer in training mode (dropout active, batch statistics).
        x: a specific input to use instead of random normal numbers (e.g. no ties for
            max pooling); a list of arrays for several inputs.
        max_checks: at most this many entries of each array are checked numerically.

    Returns:
        A :class:`Report`; ``report.passed`` says whether everything agreed.
    """
    rng = np.random.default_rng(seed)
    several = layer.takes_list
    shapes = [tuple(s) for s in input_shape] if several else [tuple(input_shape)]
    shape = shapes if several else shapes[0]
    report = Report(f"{type(layer).__name__}", tolerance=tolerance)
    fresh = copy.deepcopy(layer)

    def batch(dtype, values=None):
        arrays = [rng.standard_normal((batch_size,) + s) for s in shapes] if values is None \
            else [np.array(v, np.float64) for v in (values if several else [values])]
        arrays = [a.astype(dtype) for a in arrays]
        return arrays if several else arrays[0]

    # 1. float32 in, float32 out, of the shape output_shape() promises.
    probe = copy.deepcopy(layer)
    probe.build(shape, np.random.default_rng(seed))
    y32 = probe.forward(batch(np.float32, x), training=training)
    expected = (batch_size,) + tuple(probe.output_shape(shape))
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
    layer.build(shape, np.random.default_rng(seed))
    parts = list(layer.walk())   # the layer and any layers inside it (a wrapper's)
    for part in parts:
        for key in part.state:
            part.state[key] = part.state[key].astype(np.float64)
    layer.needs_input_grad = True
    x = batch(np.float64, x)
    xs = x if several else [x]
    states = [copy.deepcopy(part.state) for part in parts]
    rng_state = layer.rng.bit_generator.state

    def output():
        # Same random draws (dropout mask) and same starting statistics on every call.
        layer.rng.bit_generator.state = rng_state
        for part, state in zip(parts, states):
            for key, value in state.items():
                part.state[key][...] = value
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
    dxs = list(dx) if several and dx is not None else [dx]

    # Weights of an inner layer are named "inner_name/key" (e.g. "forward_lstm/kernel").
    def label(part, key):
        return key if part is layer else f"{part.name}/{key}"

    inputs = [f"dx{i}" if several else "dx" for i in range(len(xs))]
    if not getattr(layer, "input_has_gradient", True):     # indices (Embedding): nothing to nudge
        if dx is not None:
            report.problems.append("its input is indices, which have no gradient, but backward returned one")
        inputs = []
    analytic = {**dict(zip(inputs, dxs)), **{f"d{label(part, k)}": g.copy() for part in parts
                                             for k, g in part.grads.items()}}
    targets = {**dict(zip(inputs, xs)), **{f"d{label(part, k)}": p for part in parts
                                           for k, p in part.params.items()}}
    for name, array in targets.items():
        indices = _sample(array.size, max_checks, rng)
        numeric = numerical_gradient(f, array, eps, indices)
        a = analytic.get(name)
        if a is None or np.shape(a) != array.shape:
            report.problems.append(f"{name} has shape {None if a is None else np.shape(a)}, "
                                   f"expected {array.shape}")
            continue
        if indices is not None:
            a, numeric = np.asarray(a).reshape(-1)[indices], numeric.reshape(-1)[indices]
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

    lr = 0.0
    iterations = 0

    def step(self, params, grads, *parts):
        pass


def as_float64(model):
    """A float64 copy of ``model`` (weights, statistics, gradients), for gradient checks."""
    from glassnet.engine.model import Model

    model = copy.deepcopy(model)
    for layer in model.walk():
        layer.dtype = np.dtype(np.float64)
        for store in (layer.params, layer.grads, layer.state):
            for key in store:
                store[key] = store[key].astype(np.float64)
    for layer in model.walk():
        if isinstance(layer, Model):
            layer._build_layers()   # fresh twins for shared layers, with float64 gradients
    model._parameters = None
    return model


def check_model(model, x, y, eps=1e-5, tolerance=TOLERANCE, max_checks=100, seed=0):
    """Check a whole compiled model: the gradient of its loss for every weight.

    This is the check that the model's shortcuts are exact. With a final softmax and a
    cross-entropy loss, training computes the loss from the logits and hands
    ``(p - y) / N`` straight to the last layer; branches add their gradients; a shared
    layer sums both calls'. Here the analytic gradients come from
    :meth:`Model.train_step` (exactly as in training, minus the update) and the numerical
    ones from the loss *as the user wrote it*, on the probabilities (or from the model's
    own ``compute_loss``, where it has one).

    Args:
        model: a compiled model (a float64 copy is checked; the model is not changed).
        x, y: a small batch and its labels (``x`` a list for a model with several inputs).
        eps: the finite-difference step. Larger than for one layer: a whole model's loss
            has many tiny gradient entries, which rounding noise swamps at 1e-6, while
            the truncation error of central differences (about eps**2) stays negligible.
    """
    if model.loss is None:
        raise ValueError("check_model needs a model compiled with a loss")
    if not model.built:
        model.build(np.asarray(x).shape[1:])
    model = as_float64(model)
    x = [np.asarray(v, np.float64) for v in x] if isinstance(x, list) else np.asarray(x, np.float64)
    model.optimizer, model._batch = _NoUpdate(), 0
    model._prepare_training()
    rng_state = model.rng.bit_generator.state  # the same dropout masks on every call

    def f():
        model.rng.bit_generator.state = rng_state
        y_pred = model.forward(x, training=True)
        if model._own_compute_loss():    # a compute_loss of your own, on plain arrays
            return float(model.compute_loss(x=x, y=y, y_pred=y_pred, training=True))
        # a masked output's loss is over its real steps (engine/masking.py), as in training
        return model.loss.forward(y, y_pred, model._with_masks(model.loss, None)) + model.regularization_loss()

    model.rng.bit_generator.state = rng_state
    model.train_step(x, y)
    report = Report(f"{type(model).__name__}", tolerance=tolerance)
    rng = np.random.default_rng(seed)
    for path, layer, key in weight_paths(model.sublayers):
        array = layer.params[key]
        analytic = layer.grads[key].copy()
        indices = _sample(array.size, max_checks, rng)
        numeric = numerical_gradient(f, array, eps, indices)
        if indices is not None:
            analytic, numeric = analytic.reshape(-1)[indices], numeric.reshape(-1)[indices]
        where, _, name = path.rpartition("/")
        report.errors[f"{where}/d{name}"] = relative_error(analytic, numeric)
    return report
