"""Training curves: loss and accuracy per epoch, training against validation.

A short run (up to :data:`SHORT_RUN` epochs) has too few epochs to draw a curve; given the
loss of every mini-batch (:mod:`glassnet.workbench.record`), its training curves are drawn
batch by batch instead, the epochs' figures as dots on them.

The two curves tell a story. Both falling: the network is still learning. Training still
falling while validation turns up: it has started to memorise the training images
(overfitting), and the best model was the one at the marked epoch.
"""

import numpy as np

from glassnet.errors import DataError
from glassnet.workbench.plots import style

SHORT_RUN = 3   # epochs: a run this short is drawn batch by batch, when the batches were recorded


def history_dict(history):
    """The ``{"loss": [...], ...}`` dict of a History, a TrainingLog, a model, or the dict itself."""
    if not isinstance(history, dict):
        history = getattr(history, "training_log", history)  # a model -> every epoch it trained
    if not isinstance(history, dict):
        history = getattr(history, "history", None)     # a History -> its dict
    history = {key: list(values) for key, values in (history or {}).items()}
    if not history.get("loss"):
        raise DataError("no training history: the model was never fitted, or its file was "
                        "saved without one")
    return history


def best_epoch(history):
    """The index of the best epoch: lowest validation loss (else highest validation
    accuracy, else lowest training loss), the one early stopping would keep."""
    for key, pick in (("val_loss", np.nanargmin), ("val_accuracy", np.nanargmax), ("loss", np.nanargmin)):
        if history.get(key):
            return int(pick(np.asarray(history[key], dtype=float))), key
    raise DataError("no training history to pick the best epoch from")


def smooth(values, window):
    """A moving average over ``window`` values (shorter at the ends), to see the trend."""
    values = np.asarray(values, dtype=float)
    window = max(1, min(int(window), len(values)))
    kernel = np.ones(window)
    return np.convolve(values, kernel, "same") / np.convolve(np.ones(len(values)), kernel, "same")


@style.picture
def plot_training_curves(history, title="Training curves", batches=None):
    """Loss and accuracy per epoch, training (solid) and validation (dashed), best epoch marked.

    Args:
        history: a :class:`History`, its ``.history`` dict, or a fitted model.
        title: the figure's title.
        batches: the per-batch record (``{"epoch": [...], "loss": [...], "accuracy": [...]}``,
            see :func:`glassnet.workbench.record.batch_losses`); used for runs of at most
            :data:`SHORT_RUN` epochs.
        path: also save the picture as a PNG there.

    Returns:
        a 10 x 4 inch Figure (1000 x 400 pixels): loss on the left, accuracy on the right.
    """
    history = history_dict(history)
    best, best_key = best_epoch(history)
    epochs = np.arange(1, len(history["loss"]) + 1)
    fig = style.new_figure(10, 4)
    panels = [("loss", "Loss", "lower is better")]
    if history.get("accuracy"):
        panels.append(("accuracy", "Accuracy", "higher is better"))
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    by_batch = batches if batches and len(epochs) <= SHORT_RUN else None
    for ax, (key, label, hint) in zip(axes, panels):
        ax.grid(True)
        if by_batch and by_batch.get(key):
            where, values = np.asarray(by_batch["epoch"]), np.asarray(by_batch[key])
            ax.plot(where, values, color=style.TRAIN, lw=0.6, alpha=0.35, label="training, each batch")
            ax.plot(where, smooth(values, len(values) / 25), color=style.TRAIN, lw=2,
                    label="training, smoothed")
            ax.hlines(history[key], epochs - 1, epochs, color=style.TRAIN, lw=1.2, ls=":",
                      label="training, mean over the epoch")
        else:
            ax.plot(epochs, history[key], color=style.TRAIN, marker="o", markersize=3.5, lw=2,
                    label="training")
        val = history.get(f"val_{key}")
        if val:
            ax.plot(epochs, val, color=style.VALIDATION, marker="o", markersize=3.5, lw=2,
                    ls="--", label="validation")
        ax.axvline(epochs[best], color=style.MUTED, lw=1.2, ls=":", zorder=0)
        marked = val if val else history[key]
        ax.plot(epochs[best], marked[best], ls="none", marker="*", markersize=15,
                color=style.VALIDATION if val else style.TRAIN, markeredgecolor="white", zorder=5,
                label=f"best epoch ({best + 1})")
        if key == "accuracy":
            ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}" if v >= 0.1 else f"{v:.1%}")
        ax.set_title(f"{label} ({hint})")
        ax.set_xlabel("epoch" if not by_batch else "epoch (batch by batch in between)")
        ax.set_xticks(epochs if len(epochs) <= 20 else np.linspace(1, epochs[-1], 11).round())
        if by_batch:
            ax.set_xticks(np.arange(len(epochs) + 1))
            ax.set_xlim(0, len(epochs) * 1.02)
        ax.legend(loc="upper right" if key == "loss" else "lower right")
    why = {"val_loss": "lowest validation loss", "val_accuracy": "highest validation accuracy",
           "loss": "lowest training loss"}[best_key]
    fig.suptitle(f"{title}: best epoch {best + 1} of {len(epochs)} ({why})")
    return fig
