"""The learning-rate range test's picture: loss against a log-scale learning rate.

Read it from left to right. Flat: the steps are too small to matter. Falling: the useful
range. The lowest point, then a climb: the steps overshoot and the loss diverges. The
suggested rate (a tenth of the lowest point's) sits in the falling part.
"""

import math

import numpy as np

from glassnet.errors import DataError
from glassnet.workbench.plots import style


@style.picture
def plot_lr_range(finder, title="Learning-rate range test", data=None):
    """The batch losses (faint), the smoothed loss, the minimum and the suggested rate.

    Args:
        finder: a :class:`glassnet.engine.callbacks.lr_finder.LearningRateFinder` after its run.
        title: the figure's title.
        data: what the losses were measured on, shown under the title (e.g. "MNIST, 8,000
            training images, batch 32").
        path: also save the picture as a PNG there.

    Returns:
        a 7 x 4 inch Figure.
    """
    if not finder.losses:
        raise DataError("the learning-rate range test has not run: no losses to draw")
    rates = np.asarray(finder.rates)
    losses, smoothed = np.asarray(finder.losses), np.asarray(finder.smoothed)
    fig = style.new_figure(7, 4)
    ax = fig.subplots()
    ax.grid(True)
    ax.set_xscale("log")
    ax.plot(rates, losses, color=style.TRAIN, alpha=0.3, lw=1, label="loss of each batch")
    ax.plot(rates, smoothed, color=style.TRAIN, lw=2, label="smoothed")
    finite = smoothed[np.isfinite(smoothed)]
    if finite.size:  # keep the blow-up from squashing the interesting part
        low, first = finite.min(), finite[: max(1, min(10, finite.size))].mean()
        ax.set_ylim(low - 0.1 * (first - low + 1e-3), max(first, low) * 1.5 + 1e-3)
    if finder.minimum is not None:
        ax.axvline(finder.minimum, color=style.MUTED, ls=":", lw=1.2,
                   label=f"lowest smoothed loss (rate {finder.minimum:.2g})")
    if finder.suggestion is not None:
        ax.axvline(finder.suggestion, color=style.RIGHT, lw=2,
                   label=f"suggested rate {finder.suggestion:.2g}")
    if finder.divergence is not None:
        ax.axvline(finder.divergence, color=style.WRONG, ls="--", lw=1.2,
                   label=f"diverged at {finder.divergence:.2g}")
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("training loss")
    ax.legend(loc="lower left")
    suffix = f"\n{data}" if data else ""
    steps = len(finder.losses)
    ax.set_title(f"{steps} batches, the rate x{(finder.stop / finder.start) ** (1 / (finder.steps - 1)):.3g} "
                 f"each{suffix}", fontsize=9, fontweight="normal")
    fig.suptitle(title)
    if not math.isfinite(losses[-1]):
        ax.annotate("loss not finite", (rates[-1], ax.get_ylim()[1]), ha="right", va="top",
                    color=style.WRONG, fontsize=9)
    return fig
