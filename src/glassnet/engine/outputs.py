"""Several outputs, one training: a loss for each output, weighted and added, and metrics for
each output, logged under the output's name as Keras 3 logs them (``digit_loss``,
``digit_accuracy``)::

    model = Model(image, [digit, size])          # two heads on one trunk
    model.compile("adam", loss=["sparse_categorical_crossentropy", "mse"],
                  loss_weights=[1.0, 0.5], metrics=[["accuracy"], ["mae"]])
    model.fit(x, [digits, sizes])                # or {"digit": digits, "size": sizes}

The loss trained on is ``L = sum_i w_i L_i``, so its gradient with respect to output ``i``
is ``w_i dL_i/dy_i``: each head gets its own loss's gradient, scaled by its weight, and the
model's backward pass adds the heads' gradients up where their branches meet in the trunk.
An output given no loss (``None``) is not trained (nothing flows back from it).
"""

import numpy as np

from glassnet.engine import masking
from glassnet.engine import losses as losses_module
from glassnet.engine import metrics as metrics_module
from glassnet.errors import ShapeError


def per_output(value, names, what, default=None):
    """One entry per output from a list (in the outputs' order), a dict by output name, or
    one value for every output (Keras's three ways to give a loss, weight or metric)."""
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise ValueError(f"compile: {what} names output {unknown[0]!r}, but the model's outputs are "
                             f"{', '.join(map(repr, names))}")
        return [value.get(name, default) for name in names]
    if isinstance(value, (list, tuple)):
        if len(value) != len(names):
            raise ValueError(f"compile: {what} for a model with {len(names)} outputs ({', '.join(names)}) "
                             f"needs one entry per output, or a dict by output name; got {len(value)}")
        return list(value)
    return [value] * len(names)


def numbered(names):
    """``["mae", "mae", "mse"] -> ["mae", "mae_1", "mse"]``: how Keras 3 tells apart the metrics
    of a subclassed model's outputs, which it can't name (it logs them by their own names)."""
    seen, out = {}, []
    for name in names:
        count = seen.get(name, 0)
        out.append(name if count == 0 else f"{name}_{count}")
        seen[name] = count + 1
    return out


class Targets:
    """The labels of every output, cut together: ``targets[index]`` takes the same samples
    from each (a batch, a shuffled order, a validation split)."""

    def __init__(self, arrays):
        self.arrays = list(arrays)

    def __len__(self):
        return len(self.arrays[0])

    def __getitem__(self, index):
        if isinstance(index, (int, np.integer)):
            return self.arrays[index]            # one output's labels
        return Targets([a[index] for a in self.arrays])


def as_output_targets(y, names, what, check):
    """``y`` for a model with outputs ``names``: a list (their order) or a dict (by name) of
    label arrays, each checked with ``check(array, what)``, as :class:`Targets`."""
    if isinstance(y, Targets):
        return y
    if isinstance(y, dict):
        missing = [name for name in names if name not in y]
        if missing or len(y) != len(names):
            raise ShapeError(f"{what}: a dict of labels needs one entry per output ({', '.join(names)}); "
                             f"got {', '.join(map(repr, y))}")
        y = [y[name] for name in names]
    if not isinstance(y, (list, tuple)) or len(y) != len(names):
        raise ShapeError(f"{what}: the model has {len(names)} outputs ({', '.join(names)}): pass their labels "
                         f"as a list of {len(names)} arrays or a dict by output name")
    arrays = [check(part, f"{what} for output '{name}'") for part, name in zip(y, names)]
    lengths = {len(a) for a in arrays}
    if len(lengths) > 1:
        raise ShapeError(f"{what}: the outputs' labels have different numbers of samples: "
                         f"{', '.join(f'{name} {len(a)}' for name, a in zip(names, arrays))}")
    return Targets(arrays)


class OutputLosses(losses_module.Loss):
    """The loss of a model with several outputs: ``sum_i w_i L_i(y_i, p_i)``.

    Args:
        losses: one loss per output (a name, an object, or None for an output not trained).
        loss_weights: ``w_i``, one number per output (default 1 each).
        output_names: the outputs' names, for the logs (``<name>_loss``) and for errors.
    """

    name = "loss"

    def __init__(self, losses, loss_weights=None, output_names=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(losses, (list, tuple)):
            raise ValueError(f"compile: the losses of several outputs are a list, got {type(losses).__name__}")
        self.losses = [None if loss is None else losses_module.get(loss) for loss in losses]
        if any(isinstance(loss, OutputLosses) for loss in self.losses):
            raise ValueError("compile: an output's loss can't itself be the loss of several outputs")
        if all(loss is None for loss in self.losses):
            raise ValueError("compile: every output's loss is None, so there is nothing to train on")
        weights = [1.0] * len(self.losses) if loss_weights is None else loss_weights
        if not isinstance(weights, (list, tuple)) or len(weights) != len(self.losses) or not all(
                isinstance(w, (int, float, np.number)) and not isinstance(w, bool) and np.isfinite(w) and w >= 0
                for w in weights):
            raise ValueError(f"compile: loss_weights must be one number >= 0 per output, got {loss_weights!r}")
        self.loss_weights = [float(w) for w in weights]
        self.output_names = list(output_names or (f"output_{i}" for i in range(len(self.losses))))
        if len(self.output_names) != len(self.losses):
            raise ValueError(f"compile: {len(self.losses)} losses for a model with {len(self.output_names)} "
                             f"outputs ({', '.join(map(str, self.output_names))})")
        self.values = [None] * len(self.losses)      # the last batch's loss of each output

    def forward(self, y_true, y_pred, sample_weight=None):
        total = 0.0
        for i, loss in enumerate(self.losses):
            if loss is not None:
                self.values[i] = loss.forward(y_true[i], y_pred[i], _of_output(sample_weight, i))
                total += self.loss_weights[i] * self.values[i]
        return total

    def backward(self):
        """``[w_i dL_i/dp_i, ...]``: one gradient per output (None where it has no loss)."""
        grads = []
        for loss, weight in zip(self.losses, self.loss_weights):
            grad = None if loss is None else loss.backward()
            if grad is not None and weight != 1:
                grad = grad * np.asarray(weight, grad.dtype)
            grads.append(grad)
        return grads

    def call(self, y_true, y_pred):
        raise TypeError("OutputLosses is one total over several outputs, with no per-sample values: "
                        "ask each output's loss (model.loss.losses[i])")

    def get_config(self):
        return {"losses": [None if loss is None else losses_module.serialize(loss) for loss in self.losses],
                "loss_weights": self.loss_weights, "output_names": self.output_names}

    @classmethod
    def from_config(cls, config):
        return cls(config["losses"], config.get("loss_weights"), config.get("output_names"))


class OutputMetric(metrics_module.Metric):
    """A metric of one output of several: it reads that output's labels and predictions, and
    is logged as ``<output name>_<metric name>`` (``digit_accuracy``), as in Keras 3."""

    def __init__(self, metric, index, output_name, name=None, dtype=None):
        self.metric = metrics_module.get(metric)
        if isinstance(self.metric, OutputMetric):
            raise ValueError("a metric of one output can't itself be a metric of one output")
        if not isinstance(index, (int, np.integer)) or isinstance(index, bool) or index < 0:
            raise ValueError(f"an output's metric needs the output's number (0, 1, ...), got {index!r}")
        self.index, self.output_name = int(index), str(output_name)
        super().__init__(name=name or f"{self.output_name}_{self.metric.name}", dtype=dtype)

    @property
    def direction(self):
        return self.metric.direction

    def reset_state(self):
        self.metric.reset_state()

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.metric.update_state(y_true[self.index], y_pred[self.index], _of_output(sample_weight, self.index))

    def result(self):
        return self.metric.result()

    def get_config(self):
        return {"metric": metrics_module.serialize(self.metric), "index": self.index,
                "output_name": self.output_name, "name": self.name}


def compile_outputs(names, loss, loss_weights, metrics, weighted_metrics, subclass=False):
    """What ``compile`` sets for a model with outputs ``names``: its :class:`OutputLosses`, its
    metrics and weighted metrics (:class:`OutputMetric`), and the names each output's loss is
    logged under (``<output>_loss``; none when fewer than two outputs have a loss, as in Keras).

    A ``subclass`` (Keras can't name its outputs) logs by the losses' and metrics' own names as
    given: ``sparse_categorical_crossentropy_loss``, ``mse_loss``, ``mae``, ``mae_1``."""
    given = None
    if isinstance(loss, OutputLosses):              # a saved model's, compiled again
        given, loss_weights = loss.losses, loss.loss_weights
    elif loss is not None:
        given = per_output(loss, names, "loss")
        if loss_weights is not None:
            loss_weights = per_output(loss_weights, names, "loss_weights", default=1.0)
    losses = None if given is None else OutputLosses(given, loss_weights, names)
    compiled = output_metrics(metrics, names, "metrics")
    weighted = output_metrics(weighted_metrics, names, "weighted_metrics")
    logged = []
    if losses is not None:
        logged = [name for name, part in zip(names, losses.losses) if part is not None]
    if subclass:
        for metric, name in zip(compiled + weighted, numbered([m.metric.name for m in compiled + weighted])):
            metric.name = name
        logged = numbered([part if isinstance(part, str) else losses_module.get(part).name
                           for part in given or () if part is not None])
    return losses, compiled, weighted, logged if len(logged) > 1 else []


def output_metrics(metrics, names, what):
    """Keras 3's metrics for several outputs: a list with one entry per output (a metric or a
    list of them), or a dict by output name -> :class:`OutputMetric` objects, output by output.
    Already made ones (a saved model's, compiled again) are named after this model's outputs."""
    if metrics is None or (isinstance(metrics, (list, tuple, dict)) and not metrics):
        return []
    if isinstance(metrics, (list, tuple)) and all(isinstance(m, OutputMetric) for m in metrics):
        for metric in metrics:
            if not 0 <= metric.index < len(names):
                raise ValueError(f"compile: a metric of output {metric.index}, but the model has {len(names)}")
        return [OutputMetric(m.metric, m.index, names[m.index]) for m in metrics]
    if not isinstance(metrics, (dict, list, tuple)):
        raise ValueError(f"compile: {what} for a model with {len(names)} outputs must be a list with one entry "
                         f"per output or a dict by output name, e.g. {what}=[['accuracy'], ['mae']]")
    made = []
    for index, (name, entry) in enumerate(zip(names, per_output(metrics, names, what))):
        for metric in ([] if entry is None else entry if isinstance(entry, (list, tuple)) else [entry]):
            made.append(OutputMetric(metric, index, name))
    return made


def _of_output(sample_weight, index):
    """Output ``index``'s weights: its own when they differ by output (its mask,
    :class:`~glassnet.engine.masking.PerOutput`), else the sample weights all outputs share."""
    return sample_weight[index] if isinstance(sample_weight, masking.PerOutput) else sample_weight
