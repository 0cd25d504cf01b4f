"""The validation split of ``fit(validation_split=...)``: held out, class by class."""

import numpy as np


def split_sizes(samples, fraction):
    """``(train, validation)`` sample counts of a split that holds out ``fraction``."""
    held = int(round(samples * fraction)) if fraction else 0
    return samples - held, held


def stratified_split(x, y, fraction):
    """Hold out ``fraction`` of the samples for validation, keeping the class proportions.

    Keras holds out the last samples, whatever their classes. Here each class gives its
    own last ``fraction`` (rounded so the total is ``round(len(x) * fraction)``), so each
    class's share of the validation set is its share of the data, to within one sample,
    however the data happen to be ordered. No randomness is involved: the
    same data always gives the same split, and the model's random stream is untouched.
    Labels that are not classes (regression targets) get Keras' split.
    """
    n_val = split_sizes(len(x), fraction)[1]
    if n_val < 1 or n_val >= len(x):
        raise ValueError(f"validation_split={fraction} leaves no samples for training or validation")
    labels = class_labels(y)
    if labels is None:
        return x[:-n_val], y[:-n_val], x[-n_val:], y[-n_val:]
    classes, counts = np.unique(labels, return_counts=True)
    quota = counts * (n_val / len(x))
    take = np.floor(quota).astype(int)
    # Largest remainders get the samples left over by rounding down (ties: lower class).
    take[np.argsort(-(quota - take), kind="stable")[:n_val - take.sum()]] += 1
    held = np.zeros(len(x), dtype=bool)
    for label, k in zip(classes, take):
        members = np.flatnonzero(labels == label)
        held[members[len(members) - k:]] = True
    return x[~held], y[~held], x[held], y[held]


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
