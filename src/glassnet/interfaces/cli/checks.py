"""Checks the subcommands share on what a model file gives them, each failing in one line
that names the file.

* :func:`check_finite`: a model whose weights are broken or too large answers NaN or
  infinity; printed calmly, that would read as "unsure, maybe 9 (nan%)". It stops instead.
* :func:`check_detector`: a not-a-digit detector edited by hand (or damaged) is reported
  when the model is loaded, not as a traceback at the first image.
* :func:`as_model_input` and :func:`naming_the_file`: data laid out as the model reads
  it, and an error that names the model only by its internal name given the file too.
"""

import contextlib
import warnings

import numpy as np

from glassnet.errors import ModelFileError


def check_finite(outputs, model_file, what):
    """Raise :class:`ModelFileError` unless every number in ``outputs`` is finite.

    Args:
        outputs: the model's outputs (or what was computed from them): an array, or a
            list of arrays for a model with several outputs.
        model_file: the model file, as the user named it.
        what: the inputs the outputs are for, in words ("img/one.png", "the 10,000 mnist
            test images").
    """
    arrays = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    if all(np.isfinite(np.asarray(a, dtype=np.float64)).all() for a in arrays):
        return
    raise ModelFileError(f"{model_file}: its outputs are not finite numbers (NaN or infinity) for "
                         f"{what}; its weights are broken or too large (retrain it)")


@contextlib.contextmanager
def quiet_overflow():
    """A context in which NumPy doesn't warn of overflow or invalid values: for running a
    model whose outputs :func:`check_finite` checks just after (one line, not three).

    ``np.errstate`` covers this thread; the warnings filter covers the threads a large
    matrix product is split over (:mod:`glassnet.engine.layers.chunks`)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.filterwarnings("ignore", r"(overflow|invalid value|divide by zero) encountered",
                                RuntimeWarning)
        yield


def check_detector(model, model_file):
    """Read the not-a-digit detector saved with ``model`` now, if it has one, so that a
    damaged one stops the command in one line naming the file (and how to fix it)."""
    from glassnet.workbench.novelty import detector_for, has_detector

    if not has_detector(model):
        return
    try:
        with quiet_overflow():
            detector_for(model)
    except ModelFileError as error:
        raise ModelFileError(f"{model_file}: {error}; fit a new one with: glassnet calibrate "
                             f"{model_file}") from None


def as_model_input(model, images):
    """``images`` ``(N, H, W)`` as flat rows ``(N, H*W)`` when the model reads flat rows of
    that many values (built with ``Input(shape=(784,))``), as ``glassnet predict`` feeds
    it; otherwise unchanged. Only the flat layout is taken: reshaping 28x28 into another
    grid (14x56) would feed the model a picture it never saw."""
    images = np.asarray(images)
    if len(model.inputs) != 1:
        return images
    expected = tuple(model.input_shape[1:])
    if images.ndim > 2 and expected == (int(np.prod(images.shape[1:])),):
        return images.reshape(len(images), -1)
    return images


def naming_the_file(error, model_file):
    """``error``'s message with the model file the user gave in front, unless it names it
    already: a workbench function knows only the model's internal name (``model
    'sequential'``), which the user may never have seen."""
    message = str(error)
    return message if str(model_file) in message else f"{model_file}: {message}"
