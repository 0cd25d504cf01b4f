"""Masks: which time steps of a padded sequence are real, and which are padding.

Sentences, digit strings and recordings have different lengths, but a batch is one array.
So short sequences are *padded* to the longest one, with a value that means "nothing here"
(index 0 for words, a row of zeros for features)::

    [[ 5, 12,  7,  0,  0],           # 3 real steps, 2 of padding
     [ 3,  9, 14,  2,  8]]           # 5 real steps

Without help, an LSTM reads the padding as if it were data, and a mean over time averages
it in. A *mask* is a boolean array ``(N, T)`` that travels beside the data, True where a
step is real. It is made by ``Embedding(mask_zero=True)`` (index 0 is padding) or
``Masking(mask_value=0.0)`` (a step whose features all equal the value is padding), and it
flows through the model by itself, as in Keras:

* a layer that treats each step on its own (Dense, Dropout, activations, LayerNormalization)
  passes it on unchanged (``supports_masking``);
* a layer that reads it (``uses_mask``: its ``forward`` takes ``mask=``) does something
  with it: SimpleRNN, LSTM and GRU leave their state unchanged on a masked step;
  GlobalAveragePooling1D averages the real steps only;
* a merge layer (Add, Concatenate) passes on the steps real in any input (Add and the others
  only when every input has a mask), as Keras 3.15 does;
* a layer that can't keep it (Flatten, Conv1D) drops it, with Keras's warning;
* the loss and the metrics of an output that still has a mask count only its real steps:
  the mean over the real steps, ``sum(mask * loss) / sum(mask)``.

A mask carries no gradient: it is data about the data. A layer that reads it keeps it from
its forward pass for its backward pass, where masked steps pass the gradient straight
through (a state kept unchanged) or get none (an average that left them out).
"""

import warnings

import numpy as np

from glassnet.errors import ShapeError

DROPPED = ("Layer '{name}' (of type {kind}) was passed an input with a mask attached to it. However, this "
           "layer does not support masking and will therefore destroy the mask information. Downstream "
           "layers will not see the mask.")


def warn_dropped(layer):
    """Keras's warning (word for word) when a layer that can't keep a mask receives one."""
    warnings.warn(DROPPED.format(name=layer._display_name, kind=type(layer).__name__), stacklevel=4)


def either(masks):
    """The mask of a merge (Keras 3.15's): the steps real in any input, or None unless every
    input has a mask."""
    if any(m is None for m in masks):
        return None
    return np.logical_or.reduce([np.asarray(m, bool) for m in masks])


def for_steps(mask, x):
    """``mask`` checked against the sequences ``x`` (``(N, T, ...)``): a boolean ``(N, T)``."""
    mask = np.asarray(mask, bool)
    if mask.shape != x.shape[:2]:
        raise ShapeError(f"a mask of shape {mask.shape} doesn't fit sequences of shape {x.shape}: "
                         f"expected (batch, time steps) = {x.shape[:2]}")
    return mask


def loss_weights(mask, sample_weight, reduction):
    """The weights a masked output's loss is computed with, as Keras 3 merges them.

    For the mean over the batch (``"sum_over_batch_size"``) each real step weighs
    ``total / real`` and each padded step 0, so that the usual ``sum(w * l) / total`` is
    the mean over the real steps; other reductions take the mask as 0 and 1. Sample weights
    (one per sample, or one per step) multiply in.
    """
    if mask is None:
        return sample_weight
    mask = np.asarray(mask, bool)
    weights = mask.astype(np.float64)
    if reduction in ("sum_over_batch_size", "mean"):
        real = weights.sum()
        weights *= mask.size / real if real else 0.0
    return weights if sample_weight is None else _times(weights, sample_weight)


class PerOutput(list):
    """Weights for a model with several outputs, one entry per output (None: unweighted),
    where a mask makes them differ from output to output."""


def metric_weights(mask, sample_weight):
    """The weights of a masked output's metrics: the mask as 0 and 1, times any sample weights."""
    if mask is None:
        return sample_weight
    weights = np.asarray(mask, np.float64)
    return weights if sample_weight is None else _times(weights, sample_weight)


def _times(weights, sample_weight):
    """``weights`` (N, T) times sample weights given per sample (N,) or per step (N, T)."""
    w = np.asarray(sample_weight, np.float64)
    if w.ndim == 2 and w.shape[1] == 1:
        w = w[:, 0]
    if w.ndim == 1:
        w = w[:, np.newaxis]
    return weights * w
