"""Asking a saved model about 28x28 digits: probabilities, the top guesses, and the
activations of every layer on the way ("look inside").

Shared by ``glassnet predict``, the drawing page and the number reader, so that they all
agree on what a model's answer is.
"""

import numpy as np

from glassnet.errors import ShapeError

DIGITS = [str(d) for d in range(10)]


def check_digit_model(model, name="model"):
    """Raise a clear ShapeError unless ``model`` reads one 28x28 image (any layout of 784)."""
    if not model.built or len(model.inputs) != 1:
        raise ShapeError(f"{name}: expects {len(model.inputs) if model.built else 'unknown'} inputs, "
                         f"not one 28x28 image")
    shape = model.input_shape[1:]
    if int(np.prod(shape)) != 28 * 28:
        refuse_line_reader(model, name)
        raise ShapeError(f"{name}: expects input of shape {shape}, but digit images are 28x28; "
                         f"use a model trained on MNIST-sized images")
    out = model.output_shape[1:] if len(model.outputs) == 1 else ()
    if len(out) != 1 or out[0] < 2:
        raise ShapeError(f"{name}: its output has shape {out}, not one score per class")


def refuse_line_reader(model, name="model"):
    """A ShapeError for a line reader (``glassnet train --task numbers``) given where a digit
    classifier is needed, saying which commands take it; nothing for another model."""
    from glassnet.workbench.line_reader import is_line_model
    if is_line_model(model):
        raise ShapeError(f"{name}: a line reader, which reads whole numbers, not one digit: read with "
                         f"glassnet read {name} IMAGE, score it with glassnet evaluate {name}")


def final_softmax(model):
    """The softmax the model ends with, as the model says (``final_activation``), or None.
    It keeps the logits of its last forward pass in ``.logits``."""
    from glassnet.engine.layers.activations import Softmax
    final = model.final_activation()
    return final if isinstance(final, Softmax) else None


def class_names(model):
    """The model's class names (saved by ``glassnet train``), or the digits 0-9."""
    names = (model.settings or {}).get("class_names")
    count = model.output_shape[-1]
    if isinstance(names, list) and len(names) == count:
        return [str(n) for n in names]
    return DIGITS[:count] if count <= 10 else [str(i) for i in range(count)]


def classify(model, images):
    """Class probabilities for a batch of 28x28 images: ``(N, 28, 28)`` -> ``(N, classes)``.

    A model that ends without a softmax gives scores (logits), not probabilities; they
    are turned into probabilities here, so callers can always show percentages.
    """
    from glassnet.engine.layers.activations import Softmax

    images = np.asarray(images, dtype=np.float32).reshape((-1,) + tuple(model.input_shape[1:]))
    scores = model.predict(images, verbose=0)
    if not isinstance(model.final_activation(), Softmax):   # logits: softmax them here
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        scores /= scores.sum(axis=1, keepdims=True)
    return scores


def top_k(probabilities, names, k=3):
    """The ``k`` likeliest classes of one sample: ``[(index, name, probability), ...]``."""
    order = np.argsort(probabilities)[::-1][:k]
    return [(int(i), names[i], float(probabilities[i])) for i in order]


def layer_outputs(model, image):
    """Run one 28x28 image through the model one layer at a time; yield each layer's output.

    This is what "look inside" shows: a Dense layer's activations (a vector), a
    convolution's feature maps ``(H, W, channels)``. Layers that only reshape or pass
    their input through at inference (Flatten, Dropout) are skipped: their output is a
    view of their input and shows nothing new.

    Yields ``(layer, output)`` with the batch axis removed.
    """
    x = np.asarray(image, dtype=np.float32).reshape((1,) + tuple(model.input_shape[1:]))
    seen = [x]
    for layer, y in model.layer_outputs(x):
        if not any(y.size == s.size and np.shares_memory(y, s) for s in seen):
            yield layer, y[0]
        seen.append(y)
