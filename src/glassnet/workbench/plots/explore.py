"""The dataset explorer: look at the digits before training on them.

Four pictures answer the first questions about any image dataset: what do the samples of
each class look like, are the classes balanced, what is the "average" sample of each class,
and what values do the pixels take (MNIST: mostly exact 0, a little ink near 255).
"""

import os

import numpy as np

from glassnet.errors import ShapeError
from glassnet.workbench import metrics
from glassnet.workbench.plots import style


def _checked(x, y, class_names):
    images, labels = style.as_images(x), metrics.as_labels(y, "y")
    if len(images) != len(labels):
        raise ShapeError(f"x has {len(images)} images but y has {len(labels)} labels")
    k = len(class_names) if class_names is not None else int(labels.max()) + 1
    return images, labels, style.class_names_for(class_names, k)


@style.picture
def plot_samples_per_class(x, y, class_names=None, per_class=12, seed=0, title="Samples of each class"):
    """A grid with one row per class and ``per_class`` random samples of it.

    Returns:
        a Figure ``0.75 * per_class + 1.4`` inches wide, 0.75 inch per class high (+0.6).
    """
    images, labels, names = _checked(x, y, class_names)
    rng = np.random.default_rng(seed)
    h, w = images.shape[1:]
    grid = np.full((len(names), per_class, h, w), np.nan)   # a class per row, NaN: no sample
    for k in range(len(names)):
        members = np.flatnonzero(labels == k)
        chosen = rng.choice(members, min(per_class, len(members)), replace=False)
        grid[k, :len(chosen)] = images[chosen]
    fig = style.new_figure(0.75 * per_class + 1.4, 0.75 * len(names) + 0.6)
    ax = fig.subplots()
    gap = 4
    style.show_mosaic(ax, style.mosaic(grid.reshape(-1, h, w), per_class, gap), vmin=0)
    ax.set_yticks(np.arange(len(names)) * (h + gap) + h / 2, names, fontsize=10)
    ax.tick_params(length=0)
    fig.suptitle(title)
    return fig


@style.picture
def plot_class_counts(y, class_names=None, title="Images per class"):
    """A bar per class with its count, and the mean as a dashed line.

    Returns:
        an 8 x 4 inch Figure (800 x 400 pixels).
    """
    labels = metrics.as_labels(y, "y")
    names = style.class_names_for(class_names, len(class_names) if class_names else int(labels.max()) + 1)
    counts = np.bincount(labels, minlength=len(names))
    fig = style.new_figure(8, 4)
    ax = fig.subplots()
    bars = ax.bar(range(len(names)), counts, color=style.TRAIN, width=0.7, zorder=2)
    ax.bar_label(bars, [f"{c:,}" for c in counts], fontsize=8.5, padding=2)
    ax.axhline(counts.mean(), color=style.MUTED, ls="--", lw=1.2, label=f"mean {counts.mean():,.0f}")
    long_names = max(map(len, names)) > 2
    ax.set_xticks(range(len(names)), names, rotation=30 if long_names else 0,
                  ha="right" if long_names else "center")
    ax.set_ylabel("images")
    ax.set_ylim(0, counts.max() * 1.25)
    ax.grid(True, axis="y")
    ax.legend(loc="upper right")
    spread = counts.max() / max(counts.min(), 1)
    ax.set_title(f"{title}: {counts.sum():,} in all; the largest class is {spread:.2f}x the smallest")
    return fig


@style.picture
def plot_mean_images(x, y, class_names=None, title="The mean image of each class"):
    """The pixel-wise mean of every class: the blurry "typical" sample.

    Returns:
        a Figure 1.3 inch per class wide (at least 6) and 2.0 inches high.
    """
    images, labels, names = _checked(x, y, class_names)
    fig = style.new_figure(max(6.0, 1.3 * len(names)), 2.0)
    for k, ax in enumerate(fig.subplots(1, len(names), squeeze=False)[0]):
        members = labels == k
        if members.any():
            style.show_image(ax, images[members].mean(axis=0, dtype=np.float64),
                             f"{names[k]} ({members.sum():,})")
        else:
            style.message(ax, f"{names[k]}\n(none)")
    fig.suptitle(title)
    return fig


@style.picture
def plot_pixel_histogram(x, bins=64, title="Pixel intensities"):
    """A histogram of every pixel value in ``x``, on a log scale (most pixels are background).

    Returns:
        an 8 x 4 inch Figure (800 x 400 pixels).
    """
    values = np.asarray(x).ravel()
    top = 255 if values.max() > 1 else 1
    fig = style.new_figure(8, 4)
    ax = fig.subplots()
    ax.hist(values, bins=bins, range=(0, top), color=style.TRAIN, zorder=2)
    ax.set_yscale("log")
    ax.set_xlim(0, top)
    ax.set_xlabel(f"pixel value (0 = background, {top} = full ink; the pictures draw ink dark on white)")
    ax.set_ylabel("pixels (log scale)")
    ax.grid(True, axis="y")
    zero, full = np.mean(values == 0), np.mean(values >= top * 0.99)
    ax.set_title(f"{title}: {zero:.0%} of pixels are exactly 0, {full:.1%} are full ink; "
                 f"mean {values.mean():.3g}, std {values.std():.3g}", fontsize=10.5)
    return fig


def explorer_figures(x, y, class_names=None, progress=None):
    """All four explorer pictures, as ``{name: Figure}``.

    ``progress``: show a progress bar (None: when the output is a terminal); on all of
    MNIST the pictures take a few seconds.
    """
    from tqdm import tqdm
    _checked(x, y, class_names)
    makers = {
        "samples": lambda: plot_samples_per_class(x, y, class_names),
        "class_counts": lambda: plot_class_counts(y, class_names),
        "mean_images": lambda: plot_mean_images(x, y, class_names),
        "pixel_histogram": lambda: plot_pixel_histogram(x),
    }
    figures = {}
    with tqdm(makers.items(), desc="explore", unit=" pictures", leave=False,
              disable=None if progress is None else not progress) as steps:
        for name, make in steps:
            steps.set_postfix_str(name.replace("_", " "))
            figures[name] = make()
    return figures


def save_explorer(x, y, folder, class_names=None, prefix="", progress=None):
    """Write the explorer pictures as ``folder/<prefix><name>.png``; returns the paths."""
    folder = style.check_output_folder(folder)
    paths = {}
    for name, fig in explorer_figures(x, y, class_names, progress).items():
        paths[name] = os.path.join(folder, f"{prefix}{name}.png")
        style.save(fig, paths[name])
    return paths
