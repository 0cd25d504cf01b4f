"""``glassnet predict MODEL IMAGE...``: read digits from your own photos, scans and drawings.

Each image goes through :func:`glassnet.workbench.preprocess.to_mnist` (the MNIST
preparation: light on dark, 20x20 box, centered by mass in 28x28) and then the model::

    $ glassnet predict mnist-mlp.npz seven.jpg scan.png letter-a.png empty.png
    seven.jpg: 7 (98.1%)    top 3: 7 98.1%, 1 1.2%, 9 0.3%
    scan.png: unsure, maybe 4 (47.5%)    top 3: 4 47.5%, 9 40.2%, 7 8.1%
    letter-a.png: that doesn't look like a digit (the nearest is 4, 69.9%)
    empty.png: blank, no guess

A picture is "not a digit" when the not-a-digit detector saved with the model (by
``glassnet train``; see :mod:`glassnet.workbench.novelty`) refuses it; ``--json`` says
``"status": "not_a_digit"`` and still gives the nearest digit. A model saved without a
detector reads anything as a digit, and says so once.

With ``--csv``, it classifies every row of Kaggle's digit-recognizer ``test.csv`` and
writes the submission file (``ImageId,Label``, ImageId from 1)::

    $ glassnet predict digits.npz --csv test.csv --out submission.csv
    wrote 28,000 rows to submission.csv (ImageId,Label) from test.csv
"""

import json
import sys

from glassnet.interfaces.cli.options import fraction, positive_int


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "predict", help="read the digit in your own images (photos, scans, drawings)",
        description="Prepare each image like an MNIST digit and print the model's guess, its "
                    "confidence and the top 3.")
    parser.add_argument("model", help="a model file saved by glassnet train or model.save()")
    parser.add_argument("images", nargs="*", metavar="IMAGE",
                        help="PNG, JPEG, BMP, GIF, WebP or TIFF files, one digit each")
    parser.add_argument("--csv", metavar="TEST.csv",
                        help="instead of images: every row of a Kaggle digit-recognizer test.csv "
                             "(784 pixel columns), written to --out as ImageId,Label")
    parser.add_argument("--out", metavar="SUBMISSION.csv",
                        help="with --csv: the submission file to write (default: submission.csv)")
    parser.add_argument("--threshold", type=fraction, default=0.6,
                        help="below this confidence the guess is reported as unsure (default: 0.6)")
    parser.add_argument("--top", type=positive_int, default=3, help="how many guesses to list (default: 3)")
    parser.add_argument("--show", metavar="OUT.png",
                        help="write a picture of each image beside the 28x28 the network saw and "
                             "which of its pixels mattered (saliency)")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON instead")
    parser.set_defaults(run=run)


def predict_one(model, names, path, args):
    """One image -> a JSON-friendly result dict (status ok, unsure, not_a_digit, blank or error).

    Raises ModelFileError (naming ``args.model``) when the model's answer is not finite: a
    broken model stops the command rather than print "nan%".
    """
    from glassnet.errors import GlassnetError
    from glassnet.interfaces.cli.checks import check_finite, quiet_overflow
    from glassnet.workbench.novelty import has_detector, judge
    from glassnet.workbench.preprocess import BlankImageError, to_mnist
    from glassnet.workbench.recognize import classify, top_k

    result = {"file": path, "status": None, "label": None, "confidence": None, "top": [],
              "error": None, "image28": None}
    try:
        digit = to_mnist(path)
    except BlankImageError:
        result["status"] = "blank"
        return result
    except (GlassnetError, OSError) as error:
        result.update(status="error", error=str(error))
        return result
    with quiet_overflow():   # checked just below
        if has_detector(model):
            probabilities, status = judge(model, digit[None], unsure_below=args.threshold)
            probabilities, status = probabilities[0], status[0]
        else:
            probabilities = classify(model, digit[None])[0]
            status = "ok" if probabilities.max() >= args.threshold else "unsure"
    check_finite(probabilities, args.model, path)
    top = top_k(probabilities, names, args.top)
    result.update(label=top[0][1], confidence=round(top[0][2], 4), image28=digit, status=status,
                  top=[{"label": name, "probability": round(p, 4)} for _, name, p in top])
    return result


def line(result):
    """The human-readable line for one result."""
    top = ", ".join(f"{t['label']} {t['probability']:.1%}" for t in result["top"])
    if result["status"] == "ok":
        return f"{result['file']}: {result['label']} ({result['confidence']:.1%})    top {len(result['top'])}: {top}"
    if result["status"] == "unsure":
        return (f"{result['file']}: unsure, maybe {result['label']} ({result['confidence']:.1%})    "
                f"top {len(result['top'])}: {top}")
    if result["status"] == "not_a_digit":
        return (f"{result['file']}: that doesn't look like a digit (the nearest is {result['label']}, "
                f"{result['confidence']:.1%})")
    return f"{result['file']}: blank, no guess"


def check_arguments(args):
    """Images or --csv, not both and not neither; --out only with --csv."""
    from glassnet.errors import GlassnetError

    if args.csv and args.images:
        raise GlassnetError("give either images or --csv, not both")
    if not args.csv and not args.images:
        raise GlassnetError("give one or more images, or --csv TEST.csv")
    if args.out and not args.csv:
        raise GlassnetError("--out is for --csv (the submission file to write)")


def run_csv(model, args):
    """``--csv``: the whole test.csv through the model, into a Kaggle submission file, each
    chunk's scores checked (a broken model's NaN would be written as a column of 0s)."""
    from glassnet.interfaces.cli.checks import check_finite, quiet_overflow
    from glassnet.workbench.kaggle import predict_csv

    out = args.out or "submission.csv"
    with quiet_overflow():   # checked chunk by chunk
        rows = predict_csv(model, args.csv, out, progress=True,
                           check=lambda scores: check_finite(scores, args.model, f"the images of {args.csv}"))
    print(f"wrote {rows:,} rows to {out} (ImageId,Label) from {args.csv}")
    return 0


def run(args):
    from glassnet.engine.saving import load_model
    from glassnet.interfaces.cli.checks import check_detector
    from glassnet.workbench.novelty import has_detector, no_detector_note
    from glassnet.workbench.recognize import check_digit_model, class_names

    check_arguments(args)
    if args.show:                     # a name that can't be written fails now, not after the work
        from glassnet.workbench.plots.style import picture_format
        picture_format(args.show)
    model = load_model(args.model, compile=False)
    check_digit_model(model, args.model)
    if args.csv:
        return run_csv(model, args)
    check_detector(model, args.model)   # a damaged one: one line now, not at the first image
    if not has_detector(model):   # once, on stderr, so that --json stays JSON
        print(no_detector_note(args.model), file=sys.stderr)
    names = class_names(model)
    results = [predict_one(model, names, path, args) for path in args.images]
    failed = [r for r in results if r["status"] == "error"]
    if args.json:
        clean = [{k: v for k, v in r.items() if k != "image28"} for r in results]
        print(json.dumps(clean, indent=2))
    else:
        for result in results:
            if result["status"] == "error":
                print(f"glassnet predict: error: {result['error']}", file=sys.stderr)
            else:
                print(line(result))
    if args.show:
        shown = [r for r in results if r["status"] != "error"]
        if shown:
            save_side_by_side(shown, args.show, model)
            if not args.json:
                print(f"wrote {args.show}: each image, the 28x28 the network saw, and which pixels mattered")
    return 2 if failed else 0


def save_side_by_side(results, out, model):
    """Write ``out``: one row per image, the original (as read), the 28x28 input, and the
    input with its saliency map over it (which pixels moved the answer's score most)."""
    import os

    import numpy as np
    from matplotlib.figure import Figure

    from glassnet.workbench.images import load_gray
    from glassnet.workbench.plots.saliency import overlay
    from glassnet.workbench.plots import style
    from glassnet.workbench.saliency import saliency

    figure = Figure(figsize=(6.6, 2.3 * len(results) + 0.3), layout="constrained")
    axes = figure.subplots(len(results), 3, squeeze=False)
    for (left, middle, right), result in zip(axes, results):
        left.imshow(load_gray(result["file"]), cmap="gray", vmin=0, vmax=1)
        left.set_title(os.path.basename(str(result["file"]))[-32:], fontsize=8)
        if result["status"] == "blank":
            middle.imshow(np.zeros((28, 28)), cmap="gray", vmin=0, vmax=1)
            middle.set_title("blank: no guess", fontsize=8)
            right.set_visible(False)
        else:
            seen = result["image28"]
            middle.imshow(seen, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            title = {"unsure": "unsure: ", "not_a_digit": "not a digit; nearest "}.get(result["status"], "")
            middle.set_title(f"network sees: {title}{result['label']} ({result['confidence']:.0%})", fontsize=8)
            right.imshow(overlay(seen, saliency(model, seen[None])[0]), interpolation="nearest")
            right.set_title(f"which pixels mattered to '{result['label']}'", fontsize=8)
        for ax in (left, middle, right):
            ax.set_xticks([])
            ax.set_yticks([])
    figure.suptitle("the network sees light ink on black (as MNIST); the saliency is drawn dark on "
                    "white, orange where a pixel moves the score most", fontsize=7)
    style.save(figure, out)   # in the format out's extension names
