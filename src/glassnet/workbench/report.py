"""One self-contained HTML page about a trained model: numbers, tables and every picture.

Everything is inside the file: the pictures are PNGs written into the page as base64
``data:`` URLs, and the style sheet is in a ``<style>`` tag. There is no script, no web
font, no link to fetch, so the page opens the same offline, attached to an e-mail, or
years later::

    result = evaluate_model(model, x_test / 255.0, y_test, class_names=data.class_names)
    write_report(model, result, "report.html", dataset=data.name)
"""

import base64
import datetime
import html
import math

import numpy as np

from glassnet.errors import GlassnetError
from glassnet.workbench.plots import style

CSS = """
body { font-family: "DejaVu Sans", system-ui, sans-serif; color: #2b2f36; background: #f6f7f9;
       margin: 0; line-height: 1.45; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 28px 60px; background: white; }
h1 { font-size: 26px; margin: 8px 0 4px; } h2 { font-size: 20px; margin: 36px 0 8px;
     padding-top: 12px; border-top: 1px solid #e3e6ea; }
.sub { color: #6b717b; margin: 0 0 16px; }
nav { font-size: 14px; margin: 12px 0 8px; } nav a { margin-right: 14px; color: #3b6ea8; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { background: #f2f5f9; border-radius: 8px; padding: 10px 16px; min-width: 120px; }
.card b { display: block; font-size: 24px; color: #3b6ea8; } .card span { font-size: 13px; color: #6b717b; }
img { max-width: 100%; height: auto; display: block; margin: 10px 0; }
.pair { display: flex; flex-wrap: wrap; gap: 12px; }
table { border-collapse: collapse; font-size: 14px; margin: 10px 0; }
th, td { padding: 4px 12px; text-align: right; border-bottom: 1px solid #e3e6ea; }
th { background: #f2f5f9; } td:first-child, th:first-child { text-align: left; }
table.text td, table.text th { text-align: left; }
tr.best td { background: #fff3e8; font-weight: bold; } tr.avg td { color: #6b717b; }
pre { background: #f2f5f9; padding: 12px; border-radius: 6px; font-size: 13px; overflow-x: auto; }
.note { background: #fff8e1; border-left: 4px solid #e0b339; padding: 8px 12px; }
"""


def image(fig, alt):
    """An ``<img>`` whose source is the figure's PNG itself, base64-encoded."""
    data = base64.b64encode(style.png_bytes(fig)).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def table(header, rows, row_classes=None, css=None):
    """An HTML table; every cell is escaped. ``css="text"`` left-aligns every column."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        marked = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        body.append(f"<tr{marked}>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>")
    table_class = f' class="{css}"' if css else ""
    return f"<table{table_class}><tr>{head}</tr>{''.join(body)}</table>"


def note(text):
    return f'<p class="note">{html.escape(text)}</p>'


def fmt(value):
    """A setting, readable: 0.000999 -> 0.000999, 0.97865 -> 0.9787, lists joined."""
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:.4g}" if abs(value) < 1e-2 else f"{value:.4f}".rstrip("0").rstrip(".")
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return str(value)


def num(value, digits=4):
    """A number in a table column: always ``digits`` decimals, so the column lines up."""
    if value is None or math.isnan(float(value)):
        return "-"
    return f"{float(value):.{digits}f}"


def pct(value):
    return "-" if math.isnan(value) else f"{value:.2%}"


# -- the sections: each returns (id, title, inner html) ----------------------------------
def model_section(model):
    return "model", "Model", f"<pre>{html.escape(model.summary(print_fn=None))}</pre>"


def settings_section(model):
    rows = {"parameters": f"{model.count_params():,}", "epochs trained": model.epoch}
    rows.update((key, fmt(value)) for key, value in model.settings.items())
    if model.optimizer is not None:  # the optimizer's own arguments say more than its name
        config = ", ".join(f"{k}={fmt(v)}" for k, v in model.optimizer.get_config().items())
        rows["optimizer"] = f"{type(model.optimizer).__name__} ({config})"
        rows["loss"] = getattr(model.loss, "name", type(model.loss).__name__)
    text = "" if model.settings else note("The model file records no training settings (it was "
                                          "not trained with fit, or saved before training).")
    return "settings", "Hyperparameters and settings", text + table(
        ["setting", "value"], list(rows.items()), css="text")


def history_section(model):
    from glassnet.workbench.plots.training import best_epoch, plot_training_curves
    history = model.training_log.as_dict()
    if not history.get("loss"):
        return "history", "Training history", note(
            "No training history: this model file has none (the model was never fitted, or was "
            "saved before fit), so there are no training curves to show.")
    best, _ = best_epoch(history)
    keys = [k for k in ("loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "seconds")
            if k in history]
    digits = {"learning_rate": 6, "seconds": 2}
    rows = [[i + 1] + [num(history[k][i], digits.get(k, 4)) for k in keys]
            for i in range(len(history["loss"]))]
    classes = ["best" if i == best else "" for i in range(len(rows))]
    return "history", "Training history", (
        image(plot_training_curves(history), "training curves") +
        f"<p>The highlighted row is epoch {best + 1}, the best one.</p>" +
        table(["epoch"] + keys, rows, classes))


def per_class_section(result):
    t, names = result.table, result.class_names
    rows = [[name, f"{t['support'][k]:,}", pct(t["accuracy"][k]), pct(t["precision"][k]),
             pct(t["recall"][k]), pct(t["f1"][k]), num(t["auc"][k])]
            for k, name in enumerate(names)]
    total = f"{int(t['support'].sum()):,}"
    for average, (p, r, f) in result.averages.items():
        rows.append([f"{average} average", total, "", pct(p), pct(r), pct(f),
                     num(result.auc_macro) if average == "macro" else ""])
    classes = [""] * len(names) + ["avg", "avg"]
    return "per-class", "Per-class results", (
        "<p>A class's accuracy is its recall: the share of its test images recognised. Precision "
        "is the share of the images called that class that really are. F1 combines the two.</p>" +
        table(["class", "support", "accuracy", "precision", "recall", "F1", "AUC"], rows, classes))


def confusion_section(result):
    from glassnet.workbench.plots import plot_confusion_matrix
    args = (result.y_true, result.y_pred, result.class_names)
    pictures = (image(plot_confusion_matrix(*args), "confusion matrix, counts") +
                image(plot_confusion_matrix(*args, normalize=True), "confusion matrix, row shares"))
    confusions = [(f"{t} → {p}", n) for t, p, n in result.top_confusions(10)]
    listing = (table(["true → predicted", "times"], confusions) if confusions
               else "<p>No confusions: every image was classified right.</p>")
    return "confusion", "Confusion matrix", (
        "<p>Row i, column j: how many images of class i the model called j. The diagonal holds "
        f'the right answers.</p><div class="pair">{pictures}</div>'
        f"<h3>The most frequent mistakes</h3>{listing}")


def picture_section(anchor, title, text, fig, alt):
    return anchor, title, f"<p>{html.escape(text)}</p>{image(fig, alt)}"


def inside_section(model, result):
    from glassnet.workbench.plots import plot_conv_filters, plot_dense_weights, plot_feature_maps
    kinds = {type(layer).__name__ for layer in model.layers}
    parts = []
    if "Conv2D" in kinds:
        # Feature maps of a rich example: of the first 50 images read right, the one with most ink.
        right = np.flatnonzero(result.y_pred == result.y_true)[:50]
        ink = result.images[right].reshape(len(right), -1).sum(axis=1)
        pick = int(right[np.argmax(ink)]) if len(right) else 0
        parts.append(image(plot_conv_filters(model), "first convolution's filters"))
        parts.append(f"<p>The feature maps below are for test image #{pick}, a "
                     f"{html.escape(result.class_names[result.y_true[pick]])}.</p>")
        parts.append(image(plot_feature_maps(model, result.images[pick]), "feature maps for one test image"))
    else:
        try:
            parts.append(image(plot_dense_weights(model), "first dense layer's weights"))
        except (ValueError, GlassnetError) as why:
            parts.append(note(f"No picture of the weights: {why}"))
    return "inside", "Inside the network", "".join(parts)


def explore_section(x, y, class_names):
    from glassnet.workbench.plots import explorer_figures
    figs = explorer_figures(x, y, class_names)
    return "dataset", "The training data", (
        f"<p>{len(y):,} training images.</p>" +
        "".join(image(fig, name.replace("_", " ")) for name, fig in figs.items()))


def build_report(model, result, dataset=None, source=None, explore=None, title=None):
    """The report as one HTML string.

    Args:
        model: the model (its summary, settings and history go in the report).
        result: an :class:`~glassnet.workbench.evaluation.Evaluation` of it on a test set.
        dataset: the dataset's name, for the headline; source: where it came from.
        explore: optional ``(x_train, y_train)`` to add the dataset explorer pictures.
    """
    from glassnet.workbench import plots
    images, y, probs, names = result.images, result.y_true, result.probs, result.class_names
    sections = [
        history_section(model),
        per_class_section(result),
        confusion_section(result),
        picture_section("mistakes", "Mistakes", "The images the model got wrong, labeled "
                        "true → predicted (confidence), the most confident mistakes first.",
                        plots.plot_mistakes(images, y, probs, names), "misclassified images"),
        picture_section("predictions", "Sample predictions", "Some test images and the probability "
                        "the model gave each class.", plots.plot_predictions(images, y, probs, names),
                        "sample predictions"),
        picture_section("roc", "ROC curves and AUC", "One curve per class: how well its probability "
                        "separates that class from the others. AUC 1 is perfect, 0.5 is chance.",
                        plots.plot_roc_curves(y, probs, names), "ROC curves"),
        picture_section("calibration", "Calibration", "When the model is 90% sure, is it right 90% of "
                        "the time? Bars below the diagonal mean overconfidence.",
                        plots.plot_reliability_diagram(y, probs), "reliability diagram"),
        inside_section(model, result),
        model_section(model),
        settings_section(model),
    ]
    if explore is not None:
        sections.append(explore_section(explore[0], explore[1], names))
    title = title or f"glassnet report: {model.name}"
    loss = "-" if result.loss is None else f"{result.loss:.4f}"
    cards = [(pct(result.accuracy), "test accuracy"), (loss, "test loss"),
             (num(result.auc_macro), "macro AUC"), (pct(result.top_k_accuracy(2)), "top-2 accuracy"),
             (pct(result.calibration.ece), "calibration error"), (f"{len(y):,}", "test images")]
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    about = f"{model.name} on {dataset or 'the test set'}" + (f" ({source})" if source else "")
    parts = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<link rel="icon" href="data:,">',  # no favicon request: the page asks for nothing
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body><main>",
        f'<h1>{html.escape(title)}</h1><p class="sub">{html.escape(about)}, made {when}</p>',
        '<div class="cards">' + "".join(f"<div class=card><b>{html.escape(v)}</b><span>{html.escape(k)}"
                                        "</span></div>" for v, k in cards) + "</div>",
        "<nav>" + "".join(f'<a href="#{a}">{html.escape(t)}</a>' for a, t, _ in sections) + "</nav>",
    ]
    parts += [f'<section id="{a}"><h2>{html.escape(t)}</h2>{body}</section>' for a, t, body in sections]
    parts.append("</main></body></html>\n")
    return "\n".join(parts)


def write_report(model, result, path, **kwargs):
    """Write :func:`build_report` to ``path`` (checked first, so a bad path fails fast)."""
    style.check_output_path(path)
    text = build_report(model, result, **kwargs)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path

