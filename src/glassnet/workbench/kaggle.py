"""Kaggle's "Digit Recognizer": from ``test.csv`` to ``submission.csv`` with a trained model.

::

    from glassnet import load_model
    from glassnet.workbench.kaggle import predict_csv

    rows = predict_csv(load_model("digits.npz"), "test.csv", "submission.csv")

The CSV is read a few thousand rows at a time (:func:`~glassnet.datasets.kaggle_csv.read_kaggle_csv_chunks`),
each chunk is scaled as in training (``x / 255``) and classified, and the labels are
written as ``ImageId,Label`` with ImageId from 1, the row's position in ``test.csv``.
"""

import numpy as np

from glassnet.datasets.kaggle_csv import read_kaggle_csv_chunks, write_submission


def predict_labels(model, x, check=None):
    """The model's most likely class for each uint8 image ``(n, 28, 28)``: ``(n,)`` int64.

    The pixels are scaled as ``glassnet train`` scales them (``x / 255``) and reshaped to
    whatever one sample looks like to the model (``(28, 28)``, ``(28, 28, 1)``, ``(784,)``).
    ``check(scores)``, if given, sees the scores first.
    """
    scores = model.predict((x / np.float32(255)).reshape((-1,) + sample_shape(model)), verbose=0)
    if check is not None:
        check(scores)
    return scores.argmax(axis=1)


def sample_shape(model):
    """One sample's shape, without the batch axis. (Isolated: ``model.input_shape`` gains a
    batch axis, ``(None, 28, 28)``, in the model-core rewrite; this reads either form.)"""
    shape = tuple(model.input_shape)
    return shape[1:] if shape and shape[0] is None else shape


def predict_csv(model, csv_path, out_path, progress=False, check=None):
    """Classify every image of a Kaggle ``test.csv`` and write ``submission.csv``.

    Args:
        model: a trained digit classifier (loaded with :func:`glassnet.load_model`).
        csv_path: Kaggle's ``test.csv`` (a ``train.csv`` works too: its labels are ignored).
        out_path: where to write ``ImageId,Label``.
        progress: show a progress bar while reading (on a terminal).
        check: called with each chunk's scores before they become labels (the command
            line stops there on NaN, which argmax would turn into a column of 0s).

    Returns:
        the number of rows written (one per image).

    Raises:
        DataError: the CSV is malformed (the message names the file, line and column).
    """
    labels = [predict_labels(model, x, check) for x, _ in read_kaggle_csv_chunks(csv_path, progress=progress)]
    return write_submission(np.concatenate(labels), out_path)
