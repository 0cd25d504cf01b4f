"""ROC curves, one per class: how well the scores rank "is a k" above "is not a k".

Lowering the threshold on ``probs[:, k]`` from 1 to 0 finds more of the k's (true-positive
rate, up) at the cost of more false alarms (false-positive rate, right). A perfect ranking
goes straight up the left edge; a coin toss follows the diagonal. The area under the curve
(AUC) sums it up in one number. For a good digit model every curve hugs the top-left
corner, so the right panel zooms in there.
"""

import numpy as np

from glassnet.workbench import metrics
from glassnet.workbench.plots import style


@style.picture
def plot_roc_curves(y_true, probs, class_names=None, zoom=0.1,
                    title="ROC curves, one class against the rest"):
    """One-vs-rest ROC curves with each class's AUC, and a zoom on the top-left corner.

    Args:
        y_true: labels ``(N,)``; probs: probabilities ``(N, K)``.
        class_names: names of the classes (default their numbers).
        zoom: the zoomed panel shows false-positive rates 0..zoom and true-positive rates
            1-zoom..1.
        path: also save the picture as a PNG there.

    Returns:
        an 11 x 5 inch Figure (1100 x 500 pixels).
    """
    y_true = metrics.as_labels(y_true)
    probs = metrics.as_probs(probs, len(y_true))
    k = probs.shape[1]
    names = style.class_names_for(class_names, k)
    curves = metrics.roc_curves(y_true, probs)
    fig = style.new_figure(11, 5)
    full, corner = fig.subplots(1, 2)
    aucs = []
    for cls, (fpr, tpr, _) in enumerate(curves):
        if np.isnan(fpr).any() or np.isnan(tpr).any():
            aucs.append(np.nan)   # the class has no samples (or nothing else): no curve
            continue
        aucs.append(metrics.auc(fpr, tpr))
        color = style.CLASS_COLORS[cls % len(style.CLASS_COLORS)]
        for ax in (full, corner):
            ax.plot(fpr, tpr, color=color, lw=1.6, label=f"{names[cls]}  (AUC {aucs[-1]:.4f})")
    for ax in (full, corner):
        ax.plot([0, 1], [0, 1], color=style.MUTED, lw=1, ls="--", label="chance (AUC 0.5)")
        ax.set_xlabel("false-positive rate (other classes called this one)")
        ax.set_ylabel("true-positive rate (this class found)")
        ax.grid(True)
        ax.set_aspect("equal")
    full.set_xlim(-0.01, 1.01)
    full.set_ylim(-0.01, 1.01)
    full.set_title("All thresholds")
    corner.set_xlim(0, zoom)
    corner.set_ylim(1 - zoom, 1.002)
    corner.set_title(f"Zoom on the top-left corner (false positives ≤ {zoom:.0%})")
    handles, labels = full.get_legend_handles_labels()
    missing = [names[c] for c in range(k) if np.isnan(aucs[c])]
    fig.legend(handles, labels, loc="outside right center", title="class (AUC)",
               fontsize=8.5 if k <= 10 else 7)
    defined = np.asarray(aucs)[~np.isnan(aucs)]
    macro = f"macro AUC {defined.mean():.4f}" if len(defined) else "AUC undefined"
    note = f" (no curve for {', '.join(missing)}: no test samples)" if missing else ""
    fig.suptitle(f"{title}: {macro}{note}")
    return fig
