"""``glassnet read MODEL IMAGE...``: read whole handwritten numbers, not just one digit.

With a digit classifier, each image is cut into digits and every digit is read by the
model (see :mod:`glassnet.workbench.reader`); with a line reader (``glassnet train --task
numbers``) the whole number is read at once (:mod:`glassnet.workbench.line_reader`)::

    $ glassnet read mnist-cnn.npz cheque.jpg blank.png
    cheque.jpg: 4071    (whole number 96.2%; digits 4 99.1%, 0 98.9%, 7 99.0%, 1 99.2%)
    blank.png: blank, no number

Marks that are not digits (a tick, a currency sign, a smudge) are left out of the number,
and the line says so, when the model has a not-a-digit detector
(:func:`glassnet.workbench.novelty.leave_out_nondigits`). A line reader refuses a picture
with no digit in it (letters, a drawing) when ``--digits`` gives a digit classifier with a
detector (:func:`glassnet.workbench.reader.read_leaving_out_nondigits`).
"""

import json
import sys


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "read", help="read whole handwritten numbers (several digits) in your images",
        description="Cut each image into digits (joining the pieces of a broken digit, "
                    "splitting digits that touch), read each with the model, and print the number.")
    parser.add_argument("model", help="a model file saved by glassnet train or model.save(): a digit "
                                      "classifier, or a line reader (glassnet train --task numbers)")
    parser.add_argument("images", nargs="+", metavar="IMAGE",
                        help="PNG, JPEG, BMP, GIF, WebP or TIFF files, one number each")
    parser.add_argument("--digits", metavar="DIGIT_MODEL",
                        help="with a line reader: where it is unsure, also cut the number into digits, "
                             "read them with this digit classifier, and let that reading rescore the "
                             "line reader's")
    parser.add_argument("--show", metavar="OUT.png",
                        help="write a picture of each image with the digits' boxes and what was read")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON instead")
    parser.set_defaults(run=run)


def read_one(model, path, digit_model=None, model_file="model"):
    """One image -> ``(result dict, Reading or None)``; status ok, blank or error.

    Raises ModelFileError (naming ``model_file``) when the reading's probabilities are not
    finite: a broken model stops the command rather than print "nan%".
    """
    from glassnet.errors import GlassnetError
    from glassnet.interfaces.cli.checks import check_finite, quiet_overflow
    from glassnet.workbench.preprocess import BlankImageError
    from glassnet.workbench.reader import read_leaving_out_nondigits

    result = {"file": path, "status": "ok", "text": None, "confidence": None, "digits": [],
              "left_out": [], "error": None}
    try:
        with quiet_overflow():   # checked just below
            # Marks that are not digits are left out where a detector can tell (issue 15).
            reading, result["left_out"] = read_leaving_out_nondigits(model, path, digit_model=digit_model)
    except BlankImageError:
        result["status"] = "blank"
        return result, None
    except (GlassnetError, OSError) as error:
        result.update(status="error", error=str(error))
        return result, None
    check_finite([reading.probabilities, reading.confidences, reading.confidence], model_file, path)
    if result["left_out"] and not reading.digits:
        result["status"] = "not_a_digit"
    result.update(reading.to_dict())
    return result, reading


def line(result):
    """The human-readable line for one result."""
    if result["status"] == "blank":
        return f"{result['file']}: blank, no number"
    left_out = len(result["left_out"])
    marks = f"{left_out} mark{'s' if left_out > 1 else ''} that {'are' if left_out > 1 else 'is'} not a digit"
    if result["status"] == "not_a_digit":
        return f"{result['file']}: no digits, only {marks}"
    digits = ", ".join(f"{d['digit']} {d['confidence']:.1%}" for d in result["digits"])
    note = f"; left out {marks}" if left_out else ""
    return f"{result['file']}: {result['text']}    (whole number {result['confidence']:.1%}; digits {digits}{note})"


def run(args):
    from glassnet.engine.saving import load_model
    from glassnet.workbench.line_reader import is_line_model
    from glassnet.workbench.recognize import check_digit_model

    if args.show:                     # a name that can't be written fails now, not after the work
        from glassnet.workbench.plots.style import picture_format
        picture_format(args.show)
    model = load_model(args.model, compile=False)
    digit_model = None
    if not is_line_model(model):
        check_digit_model(model, args.model)
        if args.digits:
            from glassnet.errors import ModelFileError
            raise ModelFileError(f"--digits goes with a line reader (glassnet train --task numbers); "
                                 f"{args.model} is a digit classifier already")
        from glassnet.interfaces.cli.checks import check_detector
        from glassnet.workbench.novelty import has_detector, no_detector_note
        check_detector(model, args.model)   # a damaged one: one line now, not at the first image
        if not has_detector(model):   # once, on stderr, so that --json stays JSON
            print(no_detector_note(args.model), file=sys.stderr)
    else:
        from glassnet.workbench.novelty import has_detector, line_reader_note
        if args.digits:
            digit_model = load_model(args.digits, compile=False)
            check_digit_model(digit_model, args.digits)
        if digit_model is None or not has_detector(digit_model):
            print(line_reader_note(args.model, args.digits), file=sys.stderr)
    # With --digits, either model's NaN reaches the reading: name both files then.
    model_file = f"{args.model} (with --digits {args.digits})" if digit_model is not None else args.model
    results, readings = zip(*(read_one(model, path, digit_model, model_file) for path in args.images))
    failed = [r for r in results if r["status"] == "error"]
    if args.json:
        print(json.dumps(list(results), indent=2))
    else:
        for result in results:
            if result["status"] == "error":
                print(f"glassnet read: error: {result['error']}", file=sys.stderr)
            else:
                print(line(result))
    shown = [(r["file"], reading, r["left_out"]) for r, reading in zip(results, readings)
             if r["status"] != "error"]
    if args.show and shown:
        save_readings(shown, args.show)
        if not args.json:
            print(f"wrote {args.show}: each image with its digits' boxes, and the 28x28 digits the network saw")
    return 2 if failed else 0


def save_readings(shown, out):
    """Write ``out``: per image, the image with a box and the digit read over each digit
    (a dashed box round each mark left out as not a digit), and under it the digits as the
    network saw them."""
    import os

    import numpy as np
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    from glassnet.workbench.images import load_gray
    from glassnet.workbench.plots import style

    figure = Figure(figsize=(8, 3.2 * len(shown)), layout="constrained")
    axes = figure.subplots(2 * len(shown), 1, squeeze=False, height_ratios=[3, 1] * len(shown))[:, 0]
    for (path, reading, left_out), top, bottom in zip(shown, axes[0::2], axes[1::2]):
        gray = load_gray(path)
        top.imshow(gray, cmap="gray", vmin=0, vmax=1)
        name = os.path.basename(str(path))[-40:]
        if reading is None:
            top.set_title(f"{name}: blank, no number", fontsize=9)
            bottom.set_visible(False)
        else:
            top.set_title(f"{name}: {reading.text} ({reading.confidence:.0%})", fontsize=9)
            for (x0, y0, x1, y1), digit, p in zip(reading.boxes, reading.digits, reading.confidences):
                top.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False,
                                        edgecolor="tab:red", linewidth=1.2))
                top.text(x0, y0 - 2, f"{digit} {p:.0%}", color="tab:red", fontsize=8, va="bottom")
            for x0, y0, x1, y1 in (mark["box"] for mark in left_out):   # not digits, left out
                top.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False,
                                        edgecolor="tab:gray", linewidth=1, linestyle="--"))
                top.text(x0, y1 + 2, "not a digit", color="tab:gray", fontsize=7, va="top")
            if len(reading.images):
                strip = np.concatenate([np.pad(image, 1, constant_values=0.35) for image in reading.images],
                                       axis=1)
                bottom.imshow(strip, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
                bottom.set_title("the network sees", fontsize=8)
            else:   # every mark was left out as not a digit
                bottom.set_visible(False)
        for ax in (top, bottom):
            ax.set_xticks([])
            ax.set_yticks([])
    style.save(figure, out)   # in the format out's extension names
