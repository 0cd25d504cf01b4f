"""Sample predictions: each image above the model's probability for every class.

A network does not just answer "7"; it gives a probability to every class. The bars show
how sure it was, and which other answer it was considering.
"""

import numpy as np

from glassnet.errors import ShapeError
from glassnet.workbench import metrics
from glassnet.workbench.plots import style


def pick_samples(y_true, probs, count, seed=0):
    """``count`` sample indices, mostly right answers with a few mistakes mixed in.

    A uniformly random pick from a 98%-accurate model would show no mistake at all; this
    shows up to a quarter of mistakes, so the picture has both kinds to compare.
    """
    rng = np.random.default_rng(seed)
    wrong = np.flatnonzero(probs.argmax(axis=1) != y_true)
    right = np.flatnonzero(probs.argmax(axis=1) == y_true)
    n_wrong = min(len(wrong), count // 4, count)
    chosen = np.r_[rng.choice(wrong, n_wrong, replace=False),
                   rng.choice(right, min(len(right), count - n_wrong), replace=False)]
    return np.sort(chosen.astype(int))


@style.picture
def plot_predictions(images, y_true, probs, class_names=None, count=8, indices=None, seed=0,
                     title="Sample predictions"):
    """Images, each above a bar per class: its predicted probability.

    The predicted class's bar is green when right and red when wrong; when wrong, the true
    class's bar is outlined in green.

    Args:
        images, y_true, probs: images ``(N, H, W)``, labels ``(N,)``, probabilities ``(N, K)``.
        class_names: names of the classes (default their numbers).
        count: how many samples (a quarter of them mistakes, when there are any).
        indices: exactly which samples to show instead.
        seed: for the random pick.
        path: also save the picture as a PNG there.

    Returns:
        a Figure 1.5 inches wide per sample (at least 6) and 3.8 inches high.
    """
    images = style.as_images(images)
    y_true = metrics.as_labels(y_true)
    probs = metrics.as_probs(probs, len(y_true))
    if len(images) != len(y_true):
        raise ShapeError(f"images has {len(images)} samples but y_true has {len(y_true)}")
    k = probs.shape[1]
    names = style.class_names_for(class_names, k)
    chosen = pick_samples(y_true, probs, count, seed) if indices is None else np.asarray(indices, int)
    n = len(chosen)
    fig = style.new_figure(max(6.0, 1.5 * n), 3.8)
    axes = fig.subplots(2, n, squeeze=False, gridspec_kw={"height_ratios": [1.15, 1]})
    for column, i in enumerate(chosen):
        predicted = int(probs[i].argmax())
        right = predicted == y_true[i]
        style.show_image(axes[0, column], images[i],
                         f"true {names[y_true[i]]}\nsaid {names[predicted]} ({style.percent(probs[i, predicted])})",
                         color=style.RIGHT if right else style.WRONG)
        ax = axes[1, column]
        colors = [style.MUTED] * k
        colors[predicted] = style.RIGHT if right else style.WRONG
        bars = ax.bar(range(k), probs[i], color=colors, width=0.75)
        if not right:
            bars[y_true[i]].set_edgecolor(style.RIGHT)
            bars[y_true[i]].set_linewidth(1.5)
        ax.set_ylim(0, 1)
        ax.set_xticks(range(k), [str(c) for c in range(k)], fontsize=7)
        ax.set_yticks([0, 0.5, 1], ["0", "50%", "100%"] if column == 0 else [], fontsize=7)
        ax.tick_params(length=0)
        ax.grid(True, axis="y")
        ax.set_axisbelow(True)
    fig.suptitle(f"{title}: the probability of every class (green: right, red: wrong)", fontsize=11)
    return fig
