"""``glassnet evaluate MODEL``: how good a saved model is on its test set, digit by digit.

The first line gives the test loss and accuracy; then a table per class (accuracy,
precision, recall, F1, support, AUC), the most frequent mistakes and the AUC::

    mnist-mlp.npz: test loss 0.0751, test accuracy 97.86% on 10,000 mnist test images
    data: MNIST from ~/.cache/glassnet/mnist
    ...

The first line names the test images; offline, they are the 1,000 MNIST test digits of
glassnet's offline sample, and the line says so. A line reader (``glassnet train --task
numbers``) is scored on 1,000 seven-digit numbers made from the MNIST test digits instead.
"""

import math
import sys

from glassnet.interfaces.cli.options import add_data_arguments, positive_int


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "evaluate", help="test a saved model on its dataset's test set",
        description="Print the test loss and accuracy of a saved model, a per-class table "
                    "(accuracy, precision, recall, F1, support), the top confusions and the AUC.")
    parser.add_argument("model", help="a model file saved by glassnet train or model.save()")
    add_data_arguments(parser)
    parser.add_argument("--top", type=positive_int, default=5, metavar="N",
                        help="how many of the most frequent confusions to list (default: 5)")
    parser.set_defaults(run=run)


def load_for_evaluation(args, model=None):
    """The model (``model``, or the one in ``args.model``), its test data, and the
    evaluation: shared with ``glassnet report``.

    A model built for flat rows (``Input(shape=(784,))``) is given the images as flat
    rows, as ``glassnet predict`` gives them. Errors name the model file; a model whose
    outputs are NaN or infinite stops here, before any number is printed.
    """
    from glassnet.datasets import load_dataset
    from glassnet.datasets.kaggle_csv import UnlabeledCSV
    from glassnet.engine.saving import load_model
    from glassnet.errors import ShapeError
    from glassnet.interfaces.cli.checks import as_model_input, check_finite, naming_the_file, quiet_overflow
    from glassnet.workbench.evaluation import evaluate_model
    from glassnet.workbench.recognize import refuse_line_reader

    model = model if model is not None else load_model(args.model)
    refuse_line_reader(model, args.model)          # glassnet report: it has no digit test set
    dataset = args.dataset if args.dataset != "mnist" else model.settings.get("dataset", "mnist")
    try:
        data = load_dataset(dataset, data_dir=args.data_dir)
    except UnlabeledCSV:
        path = dataset.strip()[len("csv:"):]
        raise UnlabeledCSV(
            f"{path}: has no label column (Kaggle's test.csv?), so there is nothing to check the "
            f"model's answers against; to write a submission run: glassnet predict {args.model} "
            f"--csv {path} --out submission.csv") from None
    trained_on = model.settings.get("dataset")
    named = {"mnist", "fashion-mnist"}   # a CSV may hold either, so it is never "other" data
    if {trained_on, data.name} <= named and trained_on != data.name:   # allowed, rarely meant
        print(f"note: {args.model} was trained on {trained_on}; evaluating it on {data.name}",
              file=sys.stderr)
    if model.loss is None:
        model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x = as_model_input(model, data.x_test / 255.0)
    try:
        with quiet_overflow():   # checked just below
            result = evaluate_model(model, x, data.y_test, class_names=data.class_names)
    except ShapeError as error:
        raise ShapeError(naming_the_file(error, args.model)) from None
    check_finite(result.probs, args.model, f"the {data.test_set}")
    return model, data, result


def percent(value):
    return "     -" if math.isnan(value) else f"{value:6.2%}"


def format_table(result):
    """The per-class table, then the macro and weighted averages, as aligned text."""
    names = result.class_names
    width = max(5, *map(len, names), len("weighted avg"))
    kind = "digit" if all(name.isdigit() for name in names) else "class"
    header = (f"{kind:<{width}}  {'accuracy':>8}  {'precision':>9}  {'recall':>7}  "
              f"{'F1':>7}  {'support':>7}  {'AUC':>6}")
    lines = [header, "-" * len(header)]
    t = result.table
    for k, name in enumerate(names):
        auc = "     -" if math.isnan(t["auc"][k]) else f"{t['auc'][k]:.4f}"
        lines.append(f"{name:<{width}}  {percent(t['accuracy'][k]):>8}  "
                     f"{percent(t['precision'][k]):>9}  {percent(t['recall'][k]):>7}  "
                     f"{percent(t['f1'][k]):>7}  {t['support'][k]:>7,}  {auc:>6}")
    lines.append("-" * len(header))
    total = int(t["support"].sum())
    for average, (precision, recall, f1) in result.averages.items():
        lines.append(f"{average + ' avg':<{width}}  {'':>8}  {percent(precision):>9}  {percent(recall):>7}  "
                     f"{percent(f1):>7}  {total:>7,}")
    return "\n".join(lines)


def format_report(result, top=5):
    """Everything after the first line of ``glassnet evaluate``, as text."""
    lines = ["", format_table(result),
             "(a class's accuracy is its recall: the share of its images recognised; "
             "- where undefined)", ""]
    confusions = result.top_confusions(top)
    if confusions:
        lines.append("Top confusions (true → predicted):")
        width = max(len(f"{t} → {p}") for t, p, _ in confusions)
        lines += [f"  {f'{t} → {p}':<{width}}  {n:>5,} {'time' if n == 1 else 'times'}"
                  for t, p, n in confusions]
    else:
        lines.append("No confusions: every test image was classified right.")
    lines.append("")
    aucs = result.table["auc"]
    if math.isnan(result.auc_macro):
        lines.append("AUC: undefined (the test set has fewer than two classes)")
    else:
        worst = min((a, name) for a, name in zip(aucs, result.class_names) if not math.isnan(a))
        missing = [name for a, name in zip(aucs, result.class_names) if math.isnan(a)]
        note = f" (over the classes present; none of {', '.join(missing)})" if missing else ""
        kind = "digit " if all(name.isdigit() for name in result.class_names) else ""
        lines.append(f"AUC (one-vs-rest, macro): {result.auc_macro:.4f}{note}; lowest: "
                     f"{kind}{worst[1]} ({worst[0]:.4f})")
    lines.append(f"Top-2 accuracy: {result.top_k_accuracy(2):.2%}; expected calibration error: "
                 f"{result.calibration.ece:.2%}")
    return "\n".join(lines)


def evaluate_line_reader(args, model):
    """A line reader's score: the 1,000 seven-digit numbers ``glassnet train --task numbers``
    reads at its end (MNIST test digits, seed 0, best path)."""
    from glassnet.datasets import numbers
    from glassnet.interfaces.cli.train_numbers import read_texts
    from glassnet.workbench.line_reader import score_texts

    test = numbers.make_numbers(1000, length=7, seed=0, path=args.data_dir)
    whole, right, wrong_count = score_texts(read_texts(model, test.images), test.labels)
    print(f"{args.model}: a line reader; {len(test):,} seven-digit numbers from MNIST test digits (seed 0, best path): "
          f"{whole:.1%} read whole, {right:.2%} of digits, {wrong_count:.1%} with the wrong number of digits")
    print("(benchmarks/read_numbers.py reads them as glassnet read does, with the harder variant and the "
          "segmenter beside it)")


def run(args):
    from glassnet.engine.saving import load_model
    from glassnet.workbench.line_reader import is_line_model

    model = load_model(args.model)                   # read once: a digit classifier goes on below
    if is_line_model(model):
        return evaluate_line_reader(args, model)
    model, data, result = load_for_evaluation(args, model)
    print(f"{args.model}: test loss {result.loss:.4f}, test accuracy {result.accuracy:.2%} on "
          f"{data.test_set}")
    print(f"data: {data.source}")
    print(format_report(result, top=args.top))
