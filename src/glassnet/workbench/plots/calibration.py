"""The reliability diagram: when the model says "90% sure", is it right 90% of the time?

Predictions are grouped by their confidence (the top probability). For each group the bar
shows how often the model was right. A calibrated model's bars touch the diagonal; bars
below it mean overconfidence, a common trait of networks trained to a very low loss.

A bin holding only a few predictions says little (one mistake among two is "50% right"),
so bins with fewer than :data:`FEW` samples are drawn pale.
"""

from glassnet.workbench import metrics
from glassnet.workbench.plots import style

FEW = 30   # a bin with fewer samples than this is drawn pale: too few to judge


@style.picture
def plot_reliability_diagram(y_true, probs, n_bins=10, title="Reliability diagram"):
    """Accuracy against confidence per confidence bin, and how many samples fall in each.

    Args:
        y_true: labels ``(N,)``; probs: probabilities ``(N, K)``.
        n_bins: equal-width confidence bins between 0 and 1.
        path: also save the picture as a PNG there.

    Returns:
        a 6.5 x 6.5 inch Figure (650 x 650 pixels): the diagram above, the counts below.
    """
    bins = metrics.calibration_bins(y_true, probs, n_bins)
    centers = (bins.edges[:-1] + bins.edges[1:]) / 2
    width = bins.edges[1] - bins.edges[0]
    fig = style.new_figure(6.5, 6.5)
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})

    few = (bins.counts > 0) & (bins.counts < FEW)
    for shown, alpha, labelled in ((bins.counts >= FEW, 1.0, True), (few, 0.3, False)):
        if not shown.any():
            continue
        top.bar(centers[shown], bins.accuracy[shown], width=width * 0.92, color=style.TRAIN,
                alpha=alpha, label="accuracy in the bin" if labelled else None, zorder=2)
        # The gap between what the model claims and what it achieves, per bin.
        # Hatched, not filled: where the model is underconfident the gap lies on top of the
        # accuracy bar, and hatching stays readable there too.
        top.bar(centers[shown], bins.confidence[shown] - bins.accuracy[shown],
                bottom=bins.accuracy[shown], width=width * 0.92, fill=False, hatch="////",
                edgecolor=style.WRONG, linewidth=0, alpha=alpha,
                label="gap to the mean confidence" if labelled else None, zorder=3)
    if few.any():
        top.bar([], [], color=style.TRAIN, alpha=0.3, label=f"pale: under {FEW} samples, too few to judge")
    top.plot([0, 1], [0, 1], color=style.MUTED, ls="--", lw=1.2, label="perfect calibration", zorder=4)
    top.set_xlim(0, 1)
    top.set_ylim(0, 1)
    top.set_ylabel("accuracy")
    top.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    top.grid(True)
    top.set_axisbelow(True)
    top.legend(loc="upper left")
    top.set_title(f"{title}: expected calibration error {bins.ece:.2%}")

    bars = bottom.bar(centers, bins.counts, width=width * 0.92, color=style.MUTED, zorder=2)
    for bar, count in zip(bars, bins.counts):
        if 0 < count < FEW:
            bar.set_alpha(0.4)
    bottom.bar_label(bars, [f"{c:,}" if c else "" for c in bins.counts], fontsize=7.5, padding=1)
    # Most samples of a good model sit in the top bin: a log scale keeps the others visible.
    log = bins.counts.max() >= 100
    if log:
        bottom.set_yscale("log")
        bottom.set_ylim(0.8, bins.counts.max() * 6)
    else:
        bottom.set_ylim(0, bins.counts.max() * 1.3)
    bottom.set_ylabel("samples (log)" if log else "samples")
    bottom.set_xlabel("confidence (the top probability)")
    bottom.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    bottom.grid(True, axis="y")
    bottom.set_axisbelow(True)
    return fig
