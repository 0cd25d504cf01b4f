"""The doctor: why doesn't my network learn? Karpathy's recipe, run as a function.

Andrej Karpathy's "A Recipe for Training Neural Networks" (2019) says: before tuning
anything, check the data, check the loss at initialisation, make sure the model can
overfit one small batch, and watch the gradients and the activations. Each of those checks
takes a few seconds and catches a bug that would otherwise cost a day of training runs.
:func:`diagnose` makes them, in this order, on a copy of the model (yours is not touched):

1. the data: the inputs' scale and centring; how balanced the labels are;
2. the model as it starts: the loss against ``ln(classes)`` (a uniform guess); each layer's
   gradient (vanishing, exploding); dead ReLUs and saturated sigmoid/tanh units;
3. training: can it overfit 16 samples; does a short run at its own learning rate bring
   the loss down; where is the useful range of learning rates (the range test)?

Each :class:`Finding` says what was measured, what it means and what to try::

    from glassnet.workbench.doctor import diagnose
    for finding in diagnose(model, x_train / 255.0, y_train):
        print(finding)

``glassnet doctor`` runs the same checks from the command line.
"""

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from glassnet.engine import losses as losses_module
from glassnet.engine.callbacks.lr_finder import BatchLosses, copy_model, find_learning_rate
from glassnet.engine.layers.activations import ReLU, Sigmoid, Softmax, Tanh
from glassnet.errors import TrainingError

OK, WARNING, PROBLEM = "ok", "warning", "problem"

# Where a measurement turns into a finding. Each is explained where it is used.
INPUT_RMS = (0.01, 5.0)     # root mean square of the inputs: about 1 is what initializers assume
VANISHING = 1e-3            # a layer's gradient below this share of the largest layer's
EXPLODING = 1e3             # the input side's gradient above this multiple of the output side's
DEAD, SATURATED = 0.5, 0.5  # share of units (values) that are dead (saturated): a problem
OVERFIT_SAMPLES, OVERFIT_STEPS = 16, 100
SHORT_RUN_STEPS = 50


@dataclass
class Finding:
    """One check's result: what was measured, what it means, and what to try."""

    check: str
    status: str          # "ok", "warning" or "problem"
    measured: str
    meaning: str
    advice: str = ""
    values: dict = field(default_factory=dict)   # the numbers behind ``measured``, for --json

    def __str__(self):
        lines = [f"{self.status.upper():8s} {self.check}: {self.measured}", f"         {self.meaning}"]
        if self.advice:
            lines.append(f"         try: {self.advice}")
        return "\n".join(lines)

    def to_dict(self):
        """A JSON-friendly dict: numbers as floats, NaN and infinity as None (strict JSON)."""
        return _plain(asdict(self))


def _plain(value):
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def healthy(findings):
    """True when no finding is a problem (warnings are worth reading but not fatal)."""
    return not any(f.status == PROBLEM for f in findings)


# -- the one place that touches the model's layers ---------------------------------------------
def forward_backward(model, x, y, training=True):
    """One forward and one backward pass over ``model.layers``, without an update.

    The four steps of training (see :mod:`glassnet.engine.model`) written out, so the doctor
    can look at every layer's output and weight gradient::

        outputs = [h_1, h_2, ...]            # each layer's output
        loss    = loss_fn(y, h_last)
        dy      = dL/dh_last                 # then each layer's backward, last to first

    When the model ends in a softmax fused with a cross-entropy loss (``compile`` does that),
    the loss is computed from the softmax's logits and the softmax passes ``(p - y) / N``
    straight through, exactly as in training.

    Returns:
        ``(loss, outputs, gradients)``: the loss with any weight penalty (a float), each
        layer's output (a list of arrays), and each layer's weight gradients (a list of
        dicts of copies; empty for layers without weights).
    """
    outputs = []
    for layer in model.layers:
        x = layer.forward(x, training=training)
        outputs.append(x)
    loss_fn, scores = model.loss, x
    softmax = _activation_of(model.layers[-1])
    if isinstance(softmax, Softmax) and softmax.fused_with_loss:
        loss_fn, scores = type(model.loss)(from_logits=True), softmax.logits
    loss = loss_fn.forward(y, scores) + sum(layer.regularization_loss() for layer in model.layers)
    dy = loss_fn.backward()
    for layer in reversed(model.layers):
        dy = layer.backward(dy)
        if dy is None:   # the layers below have no weights
            break
    return float(loss), outputs, [{k: g.copy() for k, g in layer.grads.items()} for layer in model.layers]


def _activation_of(layer):
    """The activation a layer applies last (``Dense(.., activation=)``, ``Activation``, ``ReLU``)."""
    return getattr(layer, "activation", None) or getattr(layer, "fn", None) or layer


# -- 1. the data ---------------------------------------------------------------------------------
def check_input_scale(x):
    """The inputs' size (root mean square) and centring, against what initializers assume."""
    x = np.asarray(x[:10000], np.float64)
    if not np.isfinite(x).all():
        return [Finding("input values", PROBLEM, f"{np.size(x) - np.isfinite(x).sum()} inputs are NaN "
                        "or infinite", "every loss and gradient that touches them is NaN too",
                        "find where they come from (a division by zero in preprocessing?) and remove them")]
    low, high, mean, std = x.min(), x.max(), x.mean(), x.std()
    rms = math.sqrt(float(np.mean(x * x)))
    values = dict(min=float(low), max=float(high), mean=float(mean), std=float(std), rms=rms)
    measured = f"inputs from {low:.3g} to {high:.3g}, mean {mean:.3g}, root mean square {rms:.3g}"
    why = ("Glorot and He initializers size the first weights so that a layer's outputs are "
           "about as large as its inputs, and Adam's first steps (about the learning rate each) "
           "suit weights of that size")
    if rms > INPUT_RMS[1]:
        scale = Finding("input scale", PROBLEM, measured,
                        f"the inputs are {rms:.0f} times larger than the ~1 the network expects: the "
                        f"first layer's outputs are too, the softmax starts saturated and confidently "
                        f"wrong. {why}",
                        "divide pixels by 255 (x / 255.0), or standardise: (x - mean) / std with the "
                        "training set's mean and std", values)
    elif rms < INPUT_RMS[0]:
        scale = Finding("input scale", PROBLEM, measured,
                        f"the inputs are tiny: the first layer's outputs are close to 0 for every "
                        f"sample, so the network starts unable to tell them apart. {why}",
                        "rescale the inputs to a spread of about 1: (x - mean) / std", values)
    else:
        scale = Finding("input scale", OK, measured, f"about the size the initial weights expect. {why}",
                        values=values)
    if abs(mean) > 3 * std:
        centring = Finding("input centring", WARNING, f"mean {mean:.3g} against a spread (std) of {std:.3g}",
                           "the inputs are mostly one constant offset: every first-layer unit sees nearly "
                           "the same input for every sample, and learns slowly to tell them apart",
                           "subtract the training set's mean (and divide by its std)", values)
    else:
        centring = Finding("input centring", OK, f"mean {mean:.3g} against a spread (std) of {std:.3g}",
                           "not far from centred; centring (x - mean) would change little here",
                           values=values)
    return [scale, centring]


def _labels(y):
    """Integer class labels from integers or one-hot rows."""
    y = np.asarray(y)
    return y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(-1)


def check_labels(y, classes):
    """How many samples each class has, and the accuracy of always answering the largest."""
    labels = _labels(y)
    if labels.dtype.kind == "f" and not np.all(labels == np.round(labels)):
        return Finding("labels", PROBLEM, "the labels are not whole numbers",
                       "a classifier needs class numbers 0, 1, 2, ... (or one-hot rows)",
                       "pass integer class labels")
    labels = labels.astype(np.int64)
    if labels.min() < 0 or labels.max() >= classes:
        return Finding("labels", PROBLEM, f"labels from {labels.min()} to {labels.max()}, "
                       f"but the model has {classes} outputs",
                       "a label outside 0..outputs-1 has no output to be learned by",
                       "give the last layer as many units as there are classes, or renumber the labels")
    counts = np.bincount(labels, minlength=classes)
    share = counts / counts.sum()
    small, large = int(counts.argmin()), int(counts.argmax())
    values = dict(counts=counts.tolist(), majority_share=float(share.max()))
    measured = (f"{len(labels)} samples of {classes} classes; smallest class {small} "
                f"({share[small]:.1%}), largest {large} ({share[large]:.1%})")
    baseline = f"always answering {large} would score {share[large]:.1%}"
    if counts.min() == 0:
        return Finding("label balance", WARNING, measured,
                       f"{int((counts == 0).sum())} classes never appear: the network can't learn them",
                       "check that the data holds every class (and the right labels)", values)
    if counts.min() < 0.5 * counts.max():
        return Finding("label balance", WARNING, measured,
                       f"imbalanced: {baseline}, so accuracy flatters the model",
                       "read the per-class accuracy (glassnet evaluate), or rebalance the classes", values)
    return Finding("label balance", OK, measured, f"balanced: {baseline}, so accuracy is a fair measure",
                   values=values)


# -- 2. the model as it starts -----------------------------------------------------------------
def check_initial_loss(loss, classes, trained, logits_std, cross_entropy=True):
    """The loss before training against ``ln(classes)``, the loss of a uniform guess."""
    chance = math.log(classes)
    values = dict(loss=loss, chance=chance, logits_std=logits_std)
    if not cross_entropy:
        return Finding("loss at the start", OK, f"loss {loss:.4g} before training",
                       "not a cross-entropy, so there is no ln(classes) to compare it with",
                       values=values)
    if trained:
        return Finding("loss at the start", OK, f"loss {loss:.4g} with the model's current (trained) weights",
                       f"a uniform guess over {classes} classes scores ln({classes}) = {chance:.3f}; "
                       f"this model has been trained, so its start can't be checked",
                       values=values)
    measured = f"loss {loss:.4g} before training; a uniform guess over {classes} classes gives ln({classes}) = {chance:.3f}"
    if not math.isfinite(loss) or loss > 1.5 * chance:
        return Finding("loss at the start", PROBLEM, measured,
                       f"the network starts confidently wrong: its scores (logits) spread by {logits_std:.3g}, "
                       f"so the softmax is saturated. The first steps will be spent shrinking them, and the "
                       f"gradients of a saturated softmax are tiny or huge",
                       "scale the inputs to about 1, use a Glorot or He initializer, or start the last "
                       "layer's weights smaller", values)
    if loss < 0.5 * chance:
        return Finding("loss at the start", WARNING, measured,
                       "lower than a guess before any training: the labels may leak into the inputs",
                       "check that the inputs do not contain the answer", values)
    return Finding("loss at the start", OK, measured,
                   "about a uniform guess, as it should be: the network starts unsure", values=values)


def check_gradients(model, gradients):
    """Each layer's weight-gradient size (root mean square), input side to output side."""
    rows = [(layer.name, float(np.sqrt(np.mean(g["kernel"].astype(np.float64) ** 2))))
            for layer, g in zip(model.layers, gradients) if "kernel" in g]
    if not rows:
        return Finding("gradients", OK, "no layer with a kernel", "nothing to compare")
    values = dict(rms=dict(rows))
    measured = "root mean square of dL/dW, input to output: " + ", ".join(f"{n} {v:.2g}" for n, v in rows)
    sizes = np.array([v for _, v in rows])
    if not np.isfinite(sizes).all():
        return Finding("gradients", PROBLEM, measured, "some gradients are not finite: training will give NaN",
                       "lower the learning rate, scale the inputs, clip the gradients (clipnorm=1)", values)
    largest = sizes.max()
    if largest == 0:
        return Finding("gradients", PROBLEM, measured, "every weight gradient is exactly 0: nothing can learn",
                       "read the units finding: dead ReLUs pass no gradient back", values)
    faded = [name for name, v in rows if v < VANISHING * largest]
    if faded:
        return Finding("gradients", PROBLEM, measured,
                       f"vanishing gradients: {', '.join(faded)} get less than {VANISHING:g} of the largest "
                       f"layer's gradient ({sizes.min() / largest:.1e} at the least), so they hardly learn. "
                       f"Backpropagation multiplies by each layer's W.T and f'(z): sigmoid' <= 1/4, and "
                       f"small weights shrink it further",
                       "use ReLU with He initialisation (he_normal), fewer layers, or batch normalisation",
                       values)
    if sizes[0] > EXPLODING * sizes[-1]:
        return Finding("gradients", PROBLEM, measured,
                       f"exploding gradients: the first layer's is {sizes[0] / sizes[-1]:.0f} times the last's",
                       "smaller initial weights (Glorot/He), batch normalisation, gradient clipping", values)
    return Finding("gradients", OK, measured,
                   f"every layer gets a gradient within a factor {largest / sizes.min():.0f} of the largest: "
                   f"all of them can learn", values=values)


def check_units(model, outputs):
    """Dead ReLUs (never positive on the batch) and saturated sigmoid/tanh outputs, per layer."""
    rows = []
    for layer, out in zip(model.layers, outputs):
        fn = _activation_of(layer)
        if isinstance(fn, ReLU):
            units = out.reshape(-1, out.shape[-1])          # samples (and positions) x units
            rows.append((layer.name, "dead ReLUs", float(np.mean((units <= 0).all(axis=0)))))
        elif isinstance(fn, (Sigmoid, Tanh)):
            # Saturated: the local derivative is below 1% of its largest value.
            slope = out * (1 - out) / 0.25 if isinstance(fn, Sigmoid) else 1 - out * out
            rows.append((layer.name, f"saturated {type(fn).__name__.lower()}", float(np.mean(slope < 0.01))))
    if not rows:
        return Finding("units", OK, "no ReLU, sigmoid or tanh layer", "nothing to check")
    values = {f"{name} {what}": share for name, what, share in rows}
    measured = ", ".join(f"{name}: {share:.0%} {what}" for name, what, share in rows)
    dead = [name for name, what, share in rows if what == "dead ReLUs" and share > DEAD]
    stuck = [name for name, what, share in rows if what != "dead ReLUs" and share > SATURATED]
    if dead:
        return Finding("units", PROBLEM, measured,
                       f"more than {DEAD:.0%} of the ReLUs of {', '.join(dead)} output 0 for every sample: "
                       f"their gradient is 0, so they never recover (dying ReLU)",
                       "lower the learning rate, scale the inputs, He initialisation, or LeakyReLU", values)
    if stuck:
        return Finding("units", PROBLEM, measured,
                       f"most outputs of {', '.join(stuck)} sit on the flat ends of the curve, where the "
                       f"derivative is nearly 0: little gradient gets through",
                       "scale the inputs to about 1, use smaller initial weights, or ReLU", values)
    return Finding("units", OK, measured, "the units respond to the data: few dead, few saturated",
                   values=values)


# -- 3. training -------------------------------------------------------------------------------
def check_overfit(model, x, y):
    """Train on 16 samples for 100 steps: a working network learns them by heart."""
    probe, xb, yb = copy_model(model), x[:OVERFIT_SAMPLES], y[:OVERFIT_SAMPLES]
    before = forward_backward(probe, xb, yb, training=False)[0]
    try:
        probe.fit(xb, yb, epochs=OVERFIT_STEPS, batch_size=len(xb), shuffle=False, verbose=0)
    except TrainingError:
        return Finding("overfit one batch", PROBLEM,
                       f"training on {len(xb)} samples, the loss stopped being a number",
                       "the steps are so large that the weights overflow", "lower the learning rate",
                       dict(loss_before=before, loss_after=math.nan))
    after, outputs, _ = forward_backward(probe, xb, yb, training=False)
    accuracy = float(np.mean(outputs[-1].argmax(axis=-1) == _labels(yb)))
    values = dict(loss_before=before, loss_after=after, accuracy=accuracy)
    measured = (f"{OVERFIT_STEPS} steps on the same {len(xb)} samples: loss {before:.3g} -> {after:.3g}, "
                f"{accuracy:.0%} of them right")
    if accuracy == 1 and after < 0.25 * before:
        return Finding("overfit one batch", OK, measured,
                       "the network can learn its data by heart: it is wired right and has the capacity",
                       values=values)
    return Finding("overfit one batch", PROBLEM, measured,
                   "a working network learns 16 samples by heart; this one can't, so something between "
                   "the input and the loss blocks learning",
                   "read the other findings (gradients, units, learning rate); check the labels match the "
                   "inputs and the loss suits the last layer", values)


def check_short_run(model, x, y, batch_size):
    """Train for 50 batches at the model's own learning rate: does the loss come down?"""
    probe = copy_model(model)
    rate = probe.optimizer.lr
    held, y_held = x[-512:], y[-512:]
    before = forward_backward(probe, held, y_held, training=False)[0]
    recorder = BatchLosses()
    n = min(len(x), SHORT_RUN_STEPS * batch_size)
    diverged = False
    try:
        probe.fit(x[:n], y[:n], epochs=1, batch_size=batch_size, callbacks=[recorder], verbose=0)
        after = forward_backward(probe, held, y_held, training=False)[0]
    except TrainingError:
        after, diverged = math.nan, True
    worst = max(recorder.losses, default=math.nan)
    values = dict(rate=rate, loss_before=before, loss_after=after, worst_batch_loss=worst)
    measured = (f"{len(recorder.losses) + diverged} batches of {batch_size} at learning rate {rate:.3g}: "
                f"loss on {len(held)} of the samples {before:.3g} -> {after:.3g} "
                f"(largest batch loss {worst:.3g})")
    # What the run did to the units: too large a step pushes ReLUs where they never fire again.
    units = None if diverged else check_units(probe, forward_backward(probe, held, y_held, training=False)[1])
    if units is not None:
        units.check = f"units after {len(recorder.losses)} steps"
    if diverged or not math.isfinite(after) or worst > 2 * before + 1 or after > before:
        run = Finding("learning rate", PROBLEM, measured,
                      f"the loss diverges: at {rate:.3g} each step overshoots the valley it should go down",
                      "lower the learning rate (see the range test for a good one)", values)
    elif after > 0.95 * before:
        run = Finding("learning rate", PROBLEM, measured,
                      "the loss hardly moves: the steps are too small, or the gradients too weak to use",
                      "raise the learning rate (see the range test), and read the gradient findings", values)
    else:
        run = Finding("learning rate", OK, measured, "the loss comes down at this rate", values=values)
    return [run] + ([units] if units is not None else [])


def check_rate_range(model, x, y, batch_size):
    """The learning-rate range test, and where the model's own rate falls in it."""
    finder = find_learning_rate(model, x, y, batch_size=batch_size)
    rate = model.optimizer.lr
    values = dict(rate=rate, suggestion=finder.suggestion, minimum=finder.minimum,
                  divergence=finder.divergence)
    measured = f"{finder.summary()}; the model's rate is {rate:.3g}"
    if finder.suggestion is None:
        return Finding("learning-rate range", WARNING, measured, "the test could not run long enough",
                       "give the doctor more samples", values), finder
    if finder.divergence is not None and rate >= finder.divergence:
        status, meaning, advice = (PROBLEM, f"the model's rate is past the point where the loss blows up "
                                   f"({finder.divergence:.2g})", f"use about {finder.suggestion:.2g}")
    elif rate > 10 * finder.suggestion:
        status, meaning, advice = (WARNING, "the model's rate is near or past the loss's lowest point, where "
                                   "steps start to overshoot", f"try about {finder.suggestion:.2g}")
    elif rate < finder.suggestion / 30:
        status, meaning, advice = (WARNING, "the model's rate is far below the useful range: training "
                                   "will be slow", f"try about {finder.suggestion:.2g}")
    else:
        status, meaning, advice = OK, "the model's rate is in the useful range of the curve", ""
    return Finding("learning-rate range", status, measured, meaning, advice, values), finder


# -- all together --------------------------------------------------------------------------------
def _diagnose(model, x, y, batch_size=32, return_finder=False):
    """Run every check on a copy of ``model`` with the data ``(x, y)``; return the findings.

    Args:
        model: a model (compiled or not; an uncompiled one gets Adam and cross-entropy).
        x, y: training inputs, exactly as you would give them to ``fit``, and labels
            (integers or one-hot). A few thousand samples are plenty; the range test uses
            200 batches and goes round ``x`` as often as needed.
        batch_size: the batch size you train with.
        return_finder: also return the range test's LearningRateFinder (for its picture).

    Returns:
        a list of :class:`Finding` (and the finder, or None when the checks stopped early).
    """
    work = copy_model(model)
    if work.optimizer is None:
        work.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x, y = np.asarray(x), np.asarray(y)
    findings = check_input_scale(x)
    finder = None
    if findings[0].status == PROBLEM and findings[0].check == "input values":
        return (findings, finder) if return_finder else findings
    x = _as_model_input(work, x)
    classes = int(work.predict(x[:1], verbose=0).shape[-1])   # also builds the model
    findings.append(check_labels(y, classes))
    if findings[-1].check == "labels":                # labels the model can't use: stop here
        return (findings, finder) if return_finder else findings
    if isinstance(work.loss, losses_module.MeanSquaredError):
        findings.append(Finding("loss", WARNING, "mean squared error on class labels",
                                "with a softmax or sigmoid output, squared error learns slowly when the "
                                "network is confidently wrong (its gradient carries the activation's "
                                "flat slope); cross-entropy's gradient is p - y",
                                'loss="sparse_categorical_crossentropy"'))
    loss, outputs, gradients = forward_backward(work, x[:512], y[:512], training=False)
    scores = getattr(_activation_of(work.layers[-1]), "logits", outputs[-1])
    trained = getattr(work, "epoch", 0) > 0 or getattr(work.optimizer, "iterations", 0) > 0
    cross_entropy = isinstance(work.loss, losses_module.CategoricalCrossentropy)
    findings.append(check_initial_loss(loss, classes, trained, float(np.std(scores)), cross_entropy))
    findings.append(check_units(work, outputs))
    gradients = forward_backward(work, x[:256], y[:256], training=True)[2]
    findings.append(check_gradients(work, gradients))
    findings.append(check_overfit(work, x, y))
    findings.extend(check_short_run(work, x, y, batch_size))
    range_finding, finder = check_rate_range(work, x, y, batch_size)
    if not healthy(findings) and range_finding.status != OK:
        range_finding.advice += " (once the problems above are fixed: they change this curve)"
    findings.append(range_finding)
    return (findings, finder) if return_finder else findings


def _as_model_input(model, x):
    """``(N, 28, 28)`` -> ``(N, 28, 28, 1)`` for a model that wants a channel axis, in the
    layers' dtype (``fit`` and ``predict`` do the same; the doctor calls layers directly)."""
    wanted = tuple(model.layers[0].input_shape or x.shape[1:])
    if x.shape[1:] + (1,) == wanted:
        x = x[..., np.newaxis]
    dtype = next((a.dtype for layer in model.layers for a in layer.params.values()), np.dtype("float32"))
    return x.astype(dtype, copy=False)


def report(findings):
    """The findings as text, problems first, and a closing line with the verdict."""
    order = {PROBLEM: 0, WARNING: 1, OK: 2}
    lines = [str(f) for f in sorted(findings, key=lambda f: order[f.status])]
    problems = sum(f.status == PROBLEM for f in findings)
    warnings = sum(f.status == WARNING for f in findings)
    verdict = ("healthy: nothing stops this network from learning" if not problems
               else f"{problems} problem{'s' * (problems != 1)} to fix")
    lines.append(f"\n{verdict} ({len(findings)} checks, {warnings} warning{'s' * (warnings != 1)})")
    return "\n".join(lines)


def diagnose(model, x, y, batch_size=32, return_finder=False):
    """Run every check on a copy of ``model`` with the data ``(x, y)``; return the findings
    (see :func:`_diagnose`). The short training runs inside are experiments: the warnings
    ``fit`` gives about runs that go nowhere are the doctor's findings here, so they are
    not printed twice."""
    import warnings

    from glassnet.engine.callbacks.learning_check import LearningWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LearningWarning)
        return _diagnose(model, x, y, batch_size=batch_size, return_finder=return_finder)
