"""Run a model on a labelled test set once, and keep every number the reports show.

``glassnet evaluate`` prints an :class:`Evaluation` as text and ``glassnet report`` turns it
into pictures; both start here, so they always agree::

    result = evaluate_model(model, x_test / 255.0, y_test, class_names=data.class_names)
    result.accuracy, result.table["f1"], result.top_confusions, result.auc_macro
"""

import warnings
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from glassnet.errors import ShapeError
from glassnet.workbench import metrics


def num_outputs(model):
    """How many classes the model predicts: the size of its last output axis."""
    if not model.built:
        model.build()
    return int(model.output_shape[-1])


def check_compatible(model, x, y, class_names=None):
    """One clear error when ``(x, y)`` is not data this model can be evaluated on."""
    k = num_outputs(model)
    x = np.asarray(x)
    expected = tuple(model.input_shape[1:])
    if x.shape[1:] != expected and x.shape[1:] + (1,) != expected:
        raise ShapeError(f"the images have shape {x.shape[1:]} but model '{model.name}' was built "
                         f"for {expected}: evaluate it on data like the data it was trained on")
    if len(x) != len(y):
        raise ShapeError(f"{len(x)} images but {len(y)} labels")
    if class_names is not None and len(class_names) != k:
        raise ShapeError(f"the data has {len(class_names)} classes but model '{model.name}' "
                         f"predicts {k}: evaluate it on data with the classes it was trained on")
    labels = metrics.as_labels(y, "labels")
    if labels.max() >= k:
        raise ShapeError(f"the labels go up to {labels.max()} but model '{model.name}' predicts "
                         f"only {k} classes (0-{k - 1})")
    return labels


def as_probabilities(outputs, ends_in_softmax):
    """The model's outputs as probabilities: unchanged after a softmax (the model says
    whether it ends in one), else softmaxed (they are logits)."""
    outputs = np.asarray(outputs, dtype=np.float64)
    if ends_in_softmax:
        return outputs
    shifted = np.exp(outputs - outputs.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


@dataclass
class Evaluation:
    """A model's answers on a test set, and the metrics computed from them.

    Attributes:
        images: the inputs as the model saw them (for the pictures).
        y_true: labels ``(N,)``; probs: probabilities ``(N, K)``.
        class_names: a name per class.
        loss: the test loss (None when the model has no loss).
    """

    images: np.ndarray = field(repr=False)
    y_true: np.ndarray = field(repr=False)
    probs: np.ndarray = field(repr=False)
    class_names: list
    loss: float = None

    @cached_property
    def y_pred(self):
        return self.probs.argmax(axis=1)

    @property
    def num_classes(self):
        return self.probs.shape[1]

    @cached_property
    def accuracy(self):
        return metrics.accuracy(self.y_true, self.y_pred)

    @cached_property
    def confusion(self):
        return metrics.confusion_matrix(self.y_true, self.y_pred, num_classes=self.num_classes)

    @cached_property
    def table(self):
        """Per class: accuracy, precision, recall, F1, support and AUC (NaN: undefined)."""
        k = self.num_classes
        precision, recall, f1, support = metrics.precision_recall_fscore_support(
            self.y_true, self.y_pred, num_classes=k, zero_division=np.nan)
        return {"accuracy": recall, "precision": precision, "recall": recall, "f1": f1,
                "support": support, "auc": self.auc_per_class}

    @cached_property
    def averages(self):
        """``{"macro": (precision, recall, f1), "weighted": (...)}`` over the classes."""
        return {average: metrics.precision_recall_fscore_support(
                    self.y_true, self.y_pred, num_classes=self.num_classes, average=average,
                    zero_division=np.nan)[:3]
                for average in ("macro", "weighted")}

    @cached_property
    def auc_per_class(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", metrics.UndefinedMetricWarning)
            return metrics.roc_auc_score(self.y_true, self.probs, average=None)

    @property
    def auc_macro(self):
        """Mean AUC over the classes that have test samples (NaN if none has)."""
        defined = self.auc_per_class[~np.isnan(self.auc_per_class)]
        return float(defined.mean()) if len(defined) else float("nan")

    def top_confusions(self, top=5):
        """``[(true name, predicted name, count), ...]``, the most frequent mistakes first."""
        return [(self.class_names[t], self.class_names[p], n)
                for t, p, n in metrics.most_confused(self.y_true, self.y_pred, top=top)]

    def top_k_accuracy(self, k=2):
        return metrics.top_k_accuracy(self.y_true, self.probs, k=k)

    @cached_property
    def calibration(self):
        return metrics.calibration_bins(self.y_true, self.probs, n_bins=10)


def predict_in_batches(model, x, batch_size=None, progress=None, desc="evaluating"):
    """The model's outputs and, when it ends in a softmax, its logits: one pass over ``x``
    in batches, with a progress bar.

    Args:
        progress: True shows a bar, False never; None (default) shows it when the output is
            a terminal.

    Returns:
        ``(outputs (N, K), logits (N, K) or None)``.
    """
    from tqdm import tqdm

    from glassnet.engine.layers.activations import Softmax

    batch_size = int(batch_size or 1000)
    final = model.final_activation()
    softmax = final if isinstance(final, Softmax) else None
    outputs, logits = [], []
    with tqdm(total=len(x), desc=desc, unit=" images", disable=None if progress is None else not progress,
              leave=False, mininterval=0.5) as bar:
        for start in range(0, len(x), batch_size):
            batch = x[start:start + batch_size]
            outputs.append(model.predict(batch, batch_size=len(batch), verbose=0))
            if softmax is not None:   # the softmax keeps the scores it was given
                logits.append(np.array(softmax.logits))
            bar.update(len(batch))
    if not outputs:
        raise ShapeError("no images to evaluate")
    return np.concatenate(outputs), (np.concatenate(logits) if logits else None)


def test_loss(model, labels, outputs, logits):
    """The model's loss on the test set, from the logits when it can (exact even where a
    probability rounds to 0), plus any weight penalty, as ``model.evaluate`` computes it."""
    loss = model.loss
    on_logits = loss.logits_version(model.final_activation()) if logits is not None else None
    if on_logits is not None:
        value = on_logits.forward(labels, logits)
    else:
        value = loss.forward(labels, outputs)
    return float(value + model.regularization_loss())


def evaluate_model(model, x, y, class_names=None, batch_size=None, progress=None):
    """Predict ``x`` with ``model`` and gather the metrics, after checking the data fits.

    One pass over the data (in batches, with a progress bar when ``progress`` is True, or
    None and the output is a terminal) gives both the probabilities and the loss.

    Args:
        model: a built (ideally compiled) model.
        x: inputs, preprocessed as for training (e.g. pixels / 255).
        y: integer labels.
        class_names: one name per class the model predicts (default ``"0".."K-1"``).
        progress: show a progress bar (see :func:`predict_in_batches`).

    Raises:
        ShapeError: images of another shape, or labels / class names for more classes than
            the model predicts.
    """
    labels = check_compatible(model, x, y, class_names)
    outputs, logits = predict_in_batches(model, np.asarray(x), batch_size, progress)
    from glassnet.workbench.recognize import final_softmax
    probs = as_probabilities(outputs, final_softmax(model) is not None)
    loss = None if model.loss is None else test_loss(model, labels, outputs, logits)
    k = probs.shape[1]
    names = [str(c) for c in (class_names if class_names is not None else range(k))]
    return Evaluation(np.asarray(x), labels, probs, names, loss)
