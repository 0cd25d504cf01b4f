"""The gallery of mistakes: the images the model got wrong, the most confident first.

Looking at these is the fastest way to learn what a network has and hasn't understood.
Some are the model's fault (a clear 4 read as a 9); some are the data's (a "7" that any
person would call a 1); a confident mistake is the most instructive of all.
"""

import numpy as np

from glassnet.errors import ShapeError
from glassnet.workbench import metrics
from glassnet.workbench.plots import style


def worst_mistakes(y_true, probs):
    """Indices of the misclassified samples, most confident (worst) mistake first."""
    y_true = metrics.as_labels(y_true)
    probs = metrics.as_probs(probs, len(y_true))
    predicted, confidence = probs.argmax(axis=1), probs.max(axis=1)
    wrong = np.flatnonzero(predicted != y_true)
    return wrong[np.argsort(-confidence[wrong], kind="stable")]


@style.picture
def plot_mistakes(images, y_true, probs, class_names=None, count=30, columns=10,
                  title="Mistakes, most confident first", maps=None):
    """A grid of misclassified images, each labeled ``true → predicted (confidence)``.

    With ``maps`` (a saliency map per image, see :mod:`glassnet.workbench.saliency`), each
    mistake is followed by its map laid over it: the pixels that made the model say what
    it said.

    Args:
        images: ``(N, 28, 28)`` (or flat, or with a channel axis), any scale.
        y_true: the labels, ``(N,)``.
        probs: the model's probabilities, ``(N, K)``.
        class_names: names of the classes (default their numbers).
        count: show at most this many mistakes.
        columns: images per row (with ``maps``, a mistake and its map take two).
        maps: optional ``(N, 28, 28)`` saliency maps, 0..1, for the predicted class.
        path: also save the picture as a PNG there.

    Returns:
        a Figure ``1.25 * columns`` inches wide and ``1.45`` inches per row (plus 0.6 for the
        title); one row saying so when there are no mistakes.
    """
    images = style.as_images(images)
    y_true = metrics.as_labels(y_true)
    probs = metrics.as_probs(probs, len(y_true))
    if len(images) != len(y_true):
        raise ShapeError(f"images has {len(images)} samples but y_true has {len(y_true)}")
    names = style.class_names_for(class_names, probs.shape[1])
    order = worst_mistakes(y_true, probs)
    shown = order[:count]
    per_row = columns // 2 if maps is not None else columns
    rows = max(1, -(-len(shown) // per_row))
    fig = style.new_figure(1.25 * columns, 1.45 * rows + (0.9 if maps is not None else 0.6))
    if len(shown) == 0:
        style.message(fig.subplots(), "No mistakes: every image was classified right.")
        fig.suptitle(title)
        return fig
    long_names = max(map(len, names)) > 3
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    step = 2 if maps is not None else 1
    for ax in axes[len(shown) * step:]:
        ax.set_axis_off()
    for slot, i in enumerate(shown):
        ax = axes[slot * step]
        predicted = int(probs[i].argmax())
        label = f"{names[y_true[i]]} → {names[predicted]}\n({style.percent(probs[i, predicted])})"
        style.show_image(ax, images[i], label, color=style.WRONG, fontsize=7.5 if long_names else 9)
        if maps is not None:
            from glassnet.workbench.plots.saliency import overlay
            scaled = images[i] / 255 if images.max() > 1 else images[i]
            axes[slot * step + 1].imshow(overlay(scaled, maps[i]), interpolation="nearest")
            axes[slot * step + 1].set_axis_off()
            axes[slot * step + 1].set_title(f"why {names[predicted]}", fontsize=7.5 if long_names else 9,
                                            color=style.MUTED, fontweight="normal", pad=3)
    why = "\nbeside each, in orange: the pixels that most raised the wrong answer" if maps is not None else ""
    fig.suptitle(f"{title}: {len(shown)} of {len(order):,} mistakes, labeled true → predicted (confidence){why}",
                 fontsize=11)
    return fig
