"""The validation split of ``fit(validation_split=...)``: the last samples, as Keras holds them out."""

import math
import warnings

import numpy as np


def split_sizes(samples, fraction):
    """``(train, validation)`` sample counts of a split that holds out ``fraction``.

    Keras's rule: the first ``floor(samples * (1 - fraction))`` samples train, the rest
    validate (256 samples and 0.2: 204 and 52).
    """
    train = math.floor(samples * (1.0 - fraction)) if fraction else samples
    return train, samples - train


def keras_split(x, y, fraction):
    """``(x_train, y_train, x_val, y_val)``: the last ``fraction`` of the samples held out
    for validation, before any shuffling, exactly as Keras 3 splits them.

    The split takes no random numbers, so the same data always gives the same split. Data
    sorted by class would leave classes out of the validation set (or out of training);
    that is Keras's behaviour too, so it is kept, with a warning that says what happened
    (:func:`warn_if_unrepresentative`).
    """
    train, held = split_sizes(len(x), fraction)
    if held < 1 or train < 1:
        raise ValueError(f"validation_split={fraction} leaves no samples for training or validation "
                         f"({len(x)} samples)")
    warn_if_unrepresentative(y[:train], y[train:], fraction)
    return x[:train], y[:train], x[train:], y[train:]


def warn_if_unrepresentative(y_train, y_val, fraction):
    """Warn when the held-out tail can't stand for the data: it holds a class that training
    never sees, or it is big enough to hold every class yet lacks some (data sorted by class)."""
    train_classes, val_classes = _classes(y_train), _classes(y_val)
    if train_classes is None or val_classes is None:
        return                                      # regression targets: nothing to count
    unseen = sorted(val_classes - train_classes)
    missing = sorted(train_classes - val_classes)
    if unseen:
        problem = f"class(es) {_listed(unseen)} appear only there, never in training"
    elif missing and len(y_val) >= 10 * len(train_classes):
        problem = f"class(es) {_listed(missing)} never appear there"
    else:
        return
    warnings.warn(f"fit: validation_split={fraction} holds out the last {len(y_val)} samples, as Keras does, "
                  f"and {problem}: are the data sorted by class? Shuffle x and y together first "
                  f"(e.g. sklearn.utils.shuffle(x, y)) or pass validation_data", UserWarning, stacklevel=6)   # at the fit() call


def _listed(classes, most=5):
    shown = ", ".join(str(c) for c in classes[:most])
    return shown + (f" and {len(classes) - most} more" if len(classes) > most else "")


def _classes(y):
    labels = class_labels(y)
    return None if labels is None else set(labels.tolist())


def class_labels(y):
    """Integer class labels from ``y`` (integers or one-hot), or None for other targets."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        one_hot = np.all((y == 0) | (y == 1)) and np.all(y.sum(axis=1) == 1)
        return y.argmax(axis=1) if one_hot else None
    y = y.reshape(len(y), -1)
    if y.shape[1] != 1 or y.dtype.kind not in "biuf" or not np.all(y == np.round(y)):
        return None
    return y[:, 0].astype(np.int64)
