"""Which pixels mattered: saliency maps, by gradient and by occlusion.

A network's answer is a score per class, computed from the pixels. Two ways to ask which
pixels the score of class ``c`` depends on:

**The gradient** (Simonyan, Vedaldi and Zisserman, 2013). ``dz_c / dx``, the derivative
of the class's score (its logit, before the softmax) with respect to every pixel, says how
much the score would move if that pixel alone were a little darker or lighter. Training
already computes gradients with respect to the input: backpropagation carries ``dL/dy``
down through every layer. Here the "loss" is the class score itself, so the backward pass
starts from a one-hot ``dz = e_c`` at the logits and runs every layer's ``backward``
down to the pixels. One forward and one backward pass: fast enough to redraw while you draw.

**Occlusion** (Zeiler and Fergus, 2014). Cover a small square of the picture with blank
paper and see how much the class's score drops; slide the square everywhere. It needs
one forward pass per position, but nothing about gradients, so it checks the gradient map
with a different question: where the gradient says "this matters", covering it should hurt.

    maps = saliency(model, images)                  # (N, 28, 28), 0..1, for the predicted class
    drops = occlusion(model, images)                # (N, 28, 28), score lost when covered
"""

import numpy as np

from glassnet.workbench.recognize import final_softmax


def class_scores(model, images):
    """The scores (logits) ``(N, C)`` of a batch: what the final softmax turns into
    probabilities, or the output itself for a model without a softmax."""
    x = _batch(model, images)
    out = model.forward(x, training=False)
    softmax = final_softmax(model)
    return np.array(softmax.logits) if softmax is not None else out


def _batch(model, images):
    """``images`` as a batch in the model's input shape and dtype."""
    return np.asarray(images, dtype=model.dtype).reshape((-1,) + tuple(model.input_shape[1:]))


def input_gradient(model, images, classes=None):
    """``dz_c / dx``: the gradient of each image's class score with respect to its pixels.

    Args:
        model: a trained classifier.
        images: a batch in the model's input shape (or ``(N, 28, 28)`` for a model that
            wants a channel axis).
        classes: the class of each image whose score is differentiated (default: the
            class the model predicts).

    Returns:
        ``(gradients (N, *input_shape), classes (N,))``; the gradients are signed: positive
        where more ink would raise the score.
    """
    x = _batch(model, images)
    logits = class_scores(model, x)
    classes = logits.argmax(axis=1) if classes is None else np.broadcast_to(classes, (len(x),))
    onehot = np.zeros_like(logits)
    onehot[np.arange(len(x)), classes] = 1          # d(score_c)/d(logits): one at class c
    # The model runs the backward pass from the logits (past the softmax) to the pixels.
    return model.input_gradient(x, onehot, of_logits=True), np.asarray(classes)


def saliency(model, images, classes=None, smooth=0, noise=0.15, seed=0):
    """How much each pixel matters to the class score: ``|dz_c/dx|`` scaled to 0..1 per image.

    Args:
        model, images, classes: as for :func:`input_gradient`.
        smooth: average the gradient over this many noisy copies of each image
            (SmoothGrad, Smilkov et al., 2017): a less speckled map, ``smooth`` times slower.
            0: the plain gradient.
        noise: the standard deviation of that noise, in pixel units (0..1).
        seed: of the noise.

    Returns:
        float32 ``(N, 28, 28)`` (the input's spatial shape): 1 at each image's most
        important pixel.
    """
    x = _batch(model, images)
    if classes is None:
        classes = class_scores(model, x).argmax(axis=1)
    if smooth:
        rng = np.random.default_rng(seed)
        total = 0
        for _ in range(smooth):
            noisy = x + rng.normal(0, noise, x.shape).astype(x.dtype)
            total = total + np.abs(input_gradient(model, noisy, classes)[0])
        magnitude = total / smooth
    else:
        magnitude = np.abs(input_gradient(model, x, classes)[0])
    return _per_image_unit(_spatial(magnitude, len(x)))


def occlusion(model, images, classes=None, patch=6, stride=2, fill=0.0):
    """How much each pixel's neighbourhood matters: the class score (logit) lost when a
    ``patch x patch`` square around it is covered with ``fill`` (blank paper).

    The score, not the probability: a digit read with 99.99% loses almost no probability
    whatever is covered, but its score still drops where the evidence was.

    Every position of the square (every ``stride`` pixels) makes one covered copy of the
    image; one image's copies go through the model as one batch. A pixel's value is the
    mean drop over the squares that cover it.

    Returns:
        float32 ``(N, H, W)``: the score lost (negative where covering helps).
    """
    x = _batch(model, images)
    spatial = _with_channels(x)                                   # (N, H, W, channels)
    n, height, width, _ = spatial.shape
    scores = class_scores(model, x)
    classes = scores.argmax(axis=1) if classes is None else np.broadcast_to(classes, (n,))
    base = scores[np.arange(n), classes]
    tops = range(0, height - patch + 1, stride)
    lefts = range(0, width - patch + 1, stride)
    masks = np.zeros((len(tops) * len(lefts), height, width), bool)     # (P, H, W)
    for k, (top, left) in enumerate((t, l) for t in tops for l in lefts):
        masks[k, top:top + patch, left:left + patch] = True
    drops = np.zeros((n, height, width), np.float32)
    covered = masks.sum(axis=0)
    for i in range(n):          # one image at a time: its P covered copies are one batch
        copies = np.where(masks[..., None], fill, spatial[i]).astype(x.dtype)   # (P, H, W, ch)
        covered_scores = class_scores(model, copies.reshape((-1,) + x.shape[1:]))[:, classes[i]]
        drops[i] = np.tensordot(base[i] - covered_scores, masks, axes=1) / np.maximum(covered, 1)
    return drops


def _with_channels(x):
    """A batch as ``(N, H, W, channels)``, whatever the model's input layout."""
    if x.ndim == 2:                      # flat rows of a square image
        side = int(round(np.sqrt(x.shape[1])))
        return x.reshape(len(x), side, side, 1)
    return x[..., None] if x.ndim == 3 else x


def _spatial(values, n):
    """``(N, *input_shape)`` -> ``(N, 28, 28)``: channels summed, flat rows made square."""
    values = values.reshape(n, -1) if values.ndim == 2 else values
    if values.ndim == 4:
        values = values.sum(axis=-1)
    if values.ndim == 2:
        side = int(round(np.sqrt(values.shape[1])))
        values = values.reshape(n, side, side)
    return values


def _per_image_unit(values):
    peak = values.reshape(len(values), -1).max(axis=1)
    return (values / np.where(peak > 0, peak, 1)[:, None, None]).astype(np.float32)


def agreement(gradient_map, occlusion_map, top=0.1):
    """The share of the ``top`` fraction of pixels by gradient that are also in the
    ``top`` fraction by occlusion, per image: ``(N,)``, 0..1 (chance: about ``top``)."""
    a = np.asarray(gradient_map).reshape(len(gradient_map), -1)
    b = np.asarray(occlusion_map).reshape(len(occlusion_map), -1)
    k = max(1, int(round(top * a.shape[1])))
    top_a = np.argsort(-a, axis=1)[:, :k]
    top_b = np.argsort(-b, axis=1)[:, :k]
    return np.array([len(np.intersect1d(p, q)) / k for p, q in zip(top_a, top_b)])
