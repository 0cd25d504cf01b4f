"""The confusion matrix as a heatmap: which digit is taken for which.

Row ``i`` holds the images of class ``i``; column ``j`` says what they were called. The
diagonal is the right answers; every other cell is a kind of mistake (the 4 read as a 9).
"""

import numpy as np
from matplotlib.colors import PowerNorm

from glassnet.workbench import metrics
from glassnet.workbench.plots import style


@style.picture
def plot_confusion_matrix(y_true, y_pred, class_names=None, normalize=False, title=None):
    """The confusion matrix, with the number in every cell that isn't zero.

    Args:
        y_true, y_pred: class labels (or one-hot / probability rows).
        class_names: one name per class (default ``"0".."K-1"``).
        normalize: False for counts; True to divide each row by its total, so a cell reads
            "this share of the images of class i was called j" (each row sums to 100%).
        title: the title (a sensible default says which variant it is).
        path: also save the picture as a PNG there.

    Returns:
        a 5.2 x 4.8 inch Figure (520 x 480 pixels).

    The colour is always the row share, on a square-root scale, so that the few mistakes
    show up beside a diagonal of thousands of right answers.
    """
    y_true, y_pred = metrics.as_labels(y_true, "y_true"), metrics.as_labels(y_pred, "y_pred")
    k = len(class_names) if class_names is not None else int(max(y_true.max(), y_pred.max())) + 1
    names = style.class_names_for(class_names, k)
    counts = metrics.confusion_matrix(y_true, y_pred, num_classes=k)
    shares = metrics.confusion_matrix(y_true, y_pred, num_classes=k, normalize="true")

    fig = style.new_figure(5.2, 4.8)
    ax = fig.subplots()
    image = ax.imshow(shares, cmap=style.HEAT_CMAP, norm=PowerNorm(0.5, vmin=0, vmax=1))
    # The text in each cell: white on dark cells, ink on light ones; smaller for long numbers.
    # A share that rounds to 0% is shown as a dot: there are a few, but too few to count.
    texts = {(i, j): (f"{shares[i, j]:.0%}" if shares[i, j] >= 0.005 else "·") if normalize
             else str(counts[i, j]) for i, j in zip(*np.nonzero(counts))}
    longest = max(map(len, texts.values()), default=1)
    fontsize = {1: 9, 2: 9, 3: 9, 4: 8}.get(longest, 7) - (2 if k > 10 else 0)
    for (i, j), text in texts.items():
        ax.text(j, i, text, ha="center", va="center", fontsize=fontsize,
                color="white" if shares[i, j] > 0.4 else style.INK,
                fontweight="bold" if i == j else "normal")
    long_names = max(map(len, names)) > 2
    ax.set_xticks(range(k), names, rotation=40 if long_names else 0, ha="right" if long_names else "center",
                  rotation_mode="anchor", fontsize=8.5 if long_names else 10)
    ax.set_yticks(range(k), names, fontsize=8.5 if long_names else 10)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    # Thin white lines between cells make rows and columns easy to follow.
    ax.set_xticks(np.arange(k + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(k + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="minor", length=0)
    colorbar = fig.colorbar(image, ax=ax, shrink=0.85, pad=0.02, aspect=30)
    colorbar.ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    colorbar.set_label("share of the true class's images", fontsize=8.5)
    colorbar.ax.tick_params(labelsize=8)
    colorbar.outline.set_visible(False)
    right = np.trace(counts)
    default = ("Confusion matrix (% of each true class)" if normalize else "Confusion matrix (counts)")
    ax.set_title(f"{title or default}\n{right:,} of {counts.sum():,} right ({right / counts.sum():.2%})",
                 fontsize=11)
    return fig


@style.picture
def plot_confusion_examples(images, y_true, y_pred, class_names=None, top=5, per_pair=8,
                            title="The most frequent mistakes, with examples"):
    """For each of the ``top`` most frequent confusions, a row of the images behind it.

    A count in the confusion matrix ("4 read as 9: 23 times") says how often; the images say
    why: some are sloppy 4s, some are 4s with a closed top that any reader could take for a 9.

    Args:
        images: ``(N, 28, 28)``, drawn dark on white.
        y_true, y_pred: labels and predictions ``(N,)``.
        class_names: one name per class (default their numbers).
        top: how many confusions (rows).
        per_pair: images per row, at most.
        path: also save the picture as a PNG there.

    Returns:
        a Figure ``1.0 * per_pair + 1.6`` inches wide and 1.1 inches per row (plus 0.7).
    """
    images = style.as_images(images)
    y_true, y_pred = metrics.as_labels(y_true), metrics.as_labels(y_pred, "y_pred")
    names = style.class_names_for(class_names, int(max(y_true.max(), y_pred.max())) + 1)
    pairs = metrics.most_confused(y_true, y_pred, top=top)
    rows = max(1, len(pairs))
    fig = style.new_figure(1.0 * per_pair + 1.6, 1.1 * rows + 0.7)
    if not pairs:
        style.message(fig.subplots(), "No mistakes: every image was classified right.")
        fig.suptitle(title)
        return fig
    axes = fig.subplots(rows, per_pair + 1, squeeze=False,
                        gridspec_kw={"width_ratios": [1.6] + [1] * per_pair})
    for row, (true, predicted, count) in zip(axes, pairs):
        row[0].set_axis_off()
        row[0].text(1, 0.5, f"{names[true]} read as {names[predicted]}\n{count:,} time{'s' * (count != 1)}",
                    ha="right", va="center", fontsize=10, color=style.WRONG, transform=row[0].transAxes)
        shown = np.flatnonzero((y_true == true) & (y_pred == predicted))[:per_pair]
        for ax, i in zip(row[1:], list(shown) + [None] * per_pair):
            if i is None:
                ax.set_axis_off()
            else:
                style.show_image(ax, images[i])
    fig.suptitle(f"{title} (digits drawn dark on white)", fontsize=12)
    return fig
