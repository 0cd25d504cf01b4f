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
.card { background: #f2f5f9; border-radius: 8px; padding: 10px 16px; min-width: 120px; max-width: 220px; }
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
    from glassnet.engine.summary import summary_table
    return "model", "Model", f"<pre>{html.escape(summary_table(model))}</pre>"


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
    from glassnet.workbench.plots.training import SHORT_RUN, best_epoch, plot_training_curves
    from glassnet.workbench.record import batch_losses
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
    batches = batch_losses(model)
    short = len(rows) <= SHORT_RUN
    text = ("<p>A run this short is drawn batch by batch: the pale line is the loss of each "
            "mini-batch, the dark one its moving average.</p>" if short and batches else
            "<p>Only the end of each epoch was recorded, so a run this short shows a few dots, "
            "not a curve.</p>" if short else "")
    return "history", "Training history", (
        image(plot_training_curves(history, batches=batches), "training curves") + text +
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
    from glassnet.workbench.plots import plot_confusion_examples, plot_confusion_matrix
    args = (result.y_true, result.y_pred, result.class_names)
    pictures = (image(plot_confusion_matrix(*args), "confusion matrix, counts") +
                image(plot_confusion_matrix(*args, normalize=True), "confusion matrix, row shares"))
    confusions = [(f"{t} → {p}", n) for t, p, n in result.top_confusions(10)]
    listing = (table(["true → predicted", "times"], confusions) if confusions
               else "<p>No confusions: every image was classified right.</p>")
    examples = (image(plot_confusion_examples(result.images, result.y_true, result.y_pred,
                                              result.class_names), "examples of the top confusions")
                if confusions else "")
    return "confusion", "Confusion matrix", (
        "<p>Row i, column j: how many images of class i the model called j. The diagonal holds "
        f'the right answers.</p><div class="pair">{pictures}</div>'
        f"<h3>The most frequent mistakes</h3>{listing}{examples}")


def mistakes_section(model, result, count=30):
    """The worst mistakes, each beside its saliency map for the (wrong) answer given."""
    from glassnet.workbench import plots
    from glassnet.workbench.plots.mistakes import worst_mistakes
    from glassnet.workbench.saliency import saliency
    images, y, probs, names = result.images, result.y_true, result.probs, result.class_names
    shown = worst_mistakes(y, probs)[:count]
    maps = None
    if len(shown):
        maps = np.zeros(np.shape(style.as_images(images)), np.float32)
        maps[shown] = saliency(model, images[shown], classes=result.y_pred[shown])
    fig = plots.plot_mistakes(images, y, probs, names, count=count, columns=10, maps=maps)
    return "mistakes", "Mistakes", (
        "<p>The images the model got wrong, labeled true → predicted (confidence), the most "
        "confident mistakes first. Beside each, in orange: the pixels that raised the score of "
        "the wrong answer most (the gradient of that score with respect to each pixel). Orange "
        "on blank paper matters too: ink there would have changed the answer.</p>"
        + image(fig, "misclassified images, each beside its saliency map"))


def picture_section(anchor, title, text, fig, alt):
    return anchor, title, f"<p>{html.escape(text)}</p>{image(fig, alt)}"


INSIDE_CONV = (
    "<p>A convolution slides small filters over its input. Each filter is a little pattern of "
    "weights (red positive, blue negative) and produces one feature map: bright where the input "
    "matches the pattern. The first convolution finds edges and stroke pieces in the pixels; a "
    "deeper one combines those maps into larger parts (curves, corners, loops). Below, every "
    "convolution's filters are drawn beside the maps they make of one test digit.</p>")
INSIDE_DENSE = (
    "<p>Each unit of the first dense layer has one weight per pixel, so its weights form a "
    "28x28 picture: red where ink excites the unit, blue where ink inhibits it. Many look like "
    "blurry pieces of digits, or like one digit minus another: the unit votes for one against "
    "the other.</p>")


def inside_section(model, result):
    from glassnet.workbench.plots import plot_conv_layer, plot_dense_weights
    convs = [layer for layer in model.layers if type(layer).__name__ == "Conv2D"]
    parts = []
    if convs:
        # A rich example: of the first 50 images read right, the one with most ink.
        right = np.flatnonzero(result.y_pred == result.y_true)[:50]
        ink = result.images[right].reshape(len(right), -1).sum(axis=1)
        pick = int(right[np.argmax(ink)]) if len(right) else 0
        parts.append(INSIDE_CONV)
        parts.append(f"<p>The feature maps are for test image #{pick}, a "
                     f"{html.escape(result.class_names[result.y_true[pick]])}.</p>")
        for conv in convs:
            parts.append(image(plot_conv_layer(model, result.images[pick], layer=conv.name),
                               f"filters and feature maps of {conv.name}"))
    else:
        try:
            fig = plot_dense_weights(model)
            parts.append(INSIDE_DENSE + image(fig, "first dense layer's weights"))
        except (ValueError, GlassnetError) as why:
            parts.append(note(f"No picture of the weights: {why}"))
    return "inside", "Inside the network", "".join(parts)


def explore_section(x, y, class_names):
    from glassnet.workbench.plots import explorer_figures
    figs = explorer_figures(x, y, class_names)
    return "dataset", "The training data", (
        f"<p>{len(y):,} training images.</p>" +
        "".join(image(fig, name.replace("_", " ")) for name, fig in figs.items()))


def summary_cards(result):
    """The headline figures, in plain words: ``[(value, what it means), ...]``."""
    n = len(result.y_true)
    wrong = int(np.sum(result.y_pred != result.y_true))
    confidence = result.probs.max(axis=1)
    sure = confidence >= 0.99
    cards = [(pct(result.accuracy), f"of the {n:,} test images read right"),
             (f"{wrong:,} of {n:,}", "read wrong")]
    if sure.any():
        right_when_sure = np.mean(result.y_pred[sure] == result.y_true[sure])
        cards.append((pct(right_when_sure), f"right when at least 99% sure ({sure.mean():.0%} of "
                                            f"the images)"))
    cards.append((pct(result.top_k_accuracy(2)), "right answer among its first two guesses"))
    top = result.top_confusions(1)
    if top:
        true, predicted, count = top[0]
        cards.append((f"{true} → {predicted}", f"its most frequent mistake ({count:,} times)"))
    return cards


def build_report(model, result, dataset=None, source=None, explore=None, title=None, progress=None):
    """The report as one HTML string.

    Args:
        model: the model (its summary, settings and history go in the report).
        result: an :class:`~glassnet.workbench.evaluation.Evaluation` of it on a test set.
        dataset: the dataset's name, for the headline; source: where it came from.
        explore: optional ``(x_train, y_train)`` to add the dataset explorer pictures.
        progress: show a progress bar while the sections are drawn (None: when the output
            is a terminal).
    """
    from tqdm import tqdm

    from glassnet.workbench import plots
    images, y, probs, names = result.images, result.y_true, result.probs, result.class_names
    makers = [
        ("training history", lambda: history_section(model)),
        ("per-class table", lambda: per_class_section(result)),
        ("confusion matrix", lambda: confusion_section(result)),
        ("mistakes", lambda: mistakes_section(model, result)),
        ("predictions", lambda: picture_section(
            "predictions", "Sample predictions", "Some test images and the probability the model "
            "gave each class.", plots.plot_predictions(images, y, probs, names), "sample predictions")),
        ("ROC curves", lambda: picture_section(
            "roc", "ROC curves and AUC", "One curve per class: how well its probability separates "
            "that class from the others. AUC 1 is perfect, 0.5 is chance.",
            plots.plot_roc_curves(y, probs, names), "ROC curves")),
        ("calibration", lambda: picture_section(
            "calibration", "Calibration", "When the model is 90% sure, is it right 90% of the time? "
            "Bars below the diagonal mean overconfidence. Pale bars hold too few images to judge.",
            plots.plot_reliability_diagram(y, probs), "reliability diagram")),
        ("inside the network", lambda: inside_section(model, result)),
        ("model", lambda: model_section(model)),
        ("settings", lambda: settings_section(model)),
    ]
    if explore is not None:
        makers.append(("training data", lambda: explore_section(explore[0], explore[1], names)))
    sections = []
    with tqdm(makers, desc="report", unit=" sections", leave=False,
              disable=None if progress is None else not progress) as steps:
        for what, make in steps:
            steps.set_postfix_str(what)
            sections.append(make())
    title = title or f"glassnet report: {model.name}"
    cards = summary_cards(result)
    loss = "" if result.loss is None else f"; test loss {result.loss:.4f}"
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    about = f"{model.name} on {dataset or 'the test set'}" + (f" ({source})" if source else "")
    parts = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<link rel="icon" href="data:,">',  # no favicon request: the page asks for nothing
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body><main>",
        f'<h1>{html.escape(title)}</h1><p class="sub">{html.escape(about)}, made {when}{loss}</p>',
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

