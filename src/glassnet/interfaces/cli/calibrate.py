"""``glassnet calibrate MODEL``: give a digit model its not-a-digit detector.

``glassnet train`` does this itself for a model trained on MNIST (:func:`attach_detector`,
called at the end of training); this command is for a model saved without one (by an
older glassnet, by ``model.save()`` in a script, or trained with too few held-out digits)::

    $ glassnet calibrate mnist-mlp.npz
    fitting the not-a-digit detector on its validation split (12,000 MNIST training digits ...
    not-a-digit detector: refuses 0.8% of held-out digits, 1.2% of photographed ones and ...
    saved the model, with its detector, to mnist-mlp.npz

The detector (:mod:`glassnet.workbench.novelty`) must be calibrated on digits the model
did not train on: the validation split the model was trained with (rebuilt exactly as
``fit`` made it), or the MNIST test set when it trained on every training digit. Which one
is said in ``model.settings["novelty"]["info"]["held_out"]``.
"""

import time

MIN_HELD_OUT = 1000   # fewer held-out digits can't place a threshold at 0.75% of them
NONDIGITS = 4000      # generated non-digits to calibrate on (made once, then cached)
PHOTOS = 3000         # held-out digits photographed as a user would (cached too)
DIGIT_DATASETS = ("mnist",)


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "calibrate", help="add a not-a-digit detector to a digit model saved without one",
        description="Fit the detector that lets predict, read and the drawing page refuse pictures "
                    "that are not digits, on MNIST digits the model did not train on, and save it "
                    "with the model.")
    parser.add_argument("model", help="a digit model file (.npz) saved by glassnet train or model.save()")
    parser.add_argument("--data-dir", help="a folder holding the MNIST files (default: the usual places, "
                                           "downloading them if needed)")
    parser.add_argument("--out", help="where to save the model with its detector (default: the same file)")
    parser.set_defaults(run=run)


def held_out_digits(x_train, y_train, x_test, y_test, validation_split, source="MNIST"):
    """The digits to calibrate on, and the digits of the training set the model learned from.

    Returns ``(x_fit, y_fit, x_held, y_held, words)``: with a validation split, ``fit``'s
    own split (:func:`~glassnet.engine.splits.keras_split`); without one, the test set.
    """
    from glassnet.engine.splits import keras_split

    if validation_split:   # the same split as fit(validation_split=...) made
        x_fit, y_fit, x_held, y_held = keras_split(x_train, y_train, validation_split)
        words = f"its validation split ({len(x_held):,} {source} training digits it did not train on)"
        return x_fit, y_fit, x_held, y_held, words
    words = f"the {len(x_test):,} {source} test digits (it trained on every training digit)"
    return x_train, y_train, x_test, y_test, words


def attach_detector(model, dataset, x_train, y_train, x_test, y_test, validation_split, source="MNIST"):
    """Fit the not-a-digit detector for a digit model and keep it in ``model.settings["novelty"]``.

    Args:
        model: the trained model.
        dataset: the name of what it was trained on; only digit datasets
            (:data:`DIGIT_DATASETS`) get a detector. Any other drops a stale one.
        x_train, y_train, x_test, y_test: the dataset, pixels scaled to 0..1.
        validation_split: the share of ``x_train`` the model was validated on (not trained on).
        source: how to name the digits in what is printed.

    Returns:
        the :class:`~glassnet.workbench.novelty.NoveltyDetector`, or None when none was fitted
        (a dataset that is not digits, or fewer than :data:`MIN_HELD_OUT` held-out digits:
        then a note says so).
    """
    from glassnet.workbench.novelty import fit_detector

    stale = model.settings.pop("novelty", None)   # the weights changed: an old detector no longer fits
    if dataset not in DIGIT_DATASETS:
        return None
    x_fit, y_fit, x_held, y_held, words = held_out_digits(x_train, y_train, x_test, y_test,
                                                          validation_split, source)
    if len(x_held) < MIN_HELD_OUT:
        again = " (the one it had was for the old weights)" if stale else ""
        print(f"note: no not-a-digit detector{again}: {words} are too few to calibrate one on "
              f"(at least {MIN_HELD_OUT:,}); the model will read anything as a digit")
        return None
    print(f"fitting the not-a-digit detector on {words} and generated non-digits ...", flush=True)
    start = time.perf_counter()
    detector = fit_detector(model, x_fit, y_fit, x_held, y_held, nondigits=NONDIGITS, photos=PHOTOS,
                            held_out=words, note=print)
    model.settings["novelty"] = detector.to_settings()
    info = detector.info
    print(f"not-a-digit detector: refuses {info['refused_digits']:.1%} of held-out digits, "
          f"{info['refused_photos']:.1%} of photographed ones and {info['refused_nondigits_fit']:.0%} "
          f"of the {info['nondigits']:,} non-digits it was fitted on ({time.perf_counter() - start:.0f}s)")
    return detector


def run(args):
    import numpy as np

    from glassnet.datasets import load_dataset
    from glassnet.engine.saving import load_model
    from glassnet.errors import DataError
    from glassnet.workbench.recognize import check_digit_model

    if args.out:   # a folder that isn't there, or a name that isn't a model file's, fails now,
        from glassnet.engine.saving import check_file_name           # not after the detector is fitted
        from glassnet.workbench.plots.style import check_output_path
        check_file_name(check_output_path(args.out))
    model = load_model(args.model)
    check_digit_model(model, args.model)
    settings = model.settings or {}
    dataset = settings.get("dataset", "mnist")
    if dataset not in DIGIT_DATASETS:
        raise DataError(f"{args.model}: trained on {dataset}, not on digits; the not-a-digit detector "
                        f"is for digit models (MNIST)")
    if model.output_shape[-1] != 10:
        raise DataError(f"{args.model}: it has {model.output_shape[-1]} classes, not the 10 digits")
    data = load_dataset("mnist", data_dir=args.data_dir)
    print(data.source)
    scale = np.float32(1 / 255)
    split = settings.get("validation_split", 0.2)   # what fit was given (saved by fit)
    detector = attach_detector(model, "mnist", data.x_train * scale, data.y_train, data.x_test * scale,
                               data.y_test, split, source="MNIST")
    if detector is None:
        return 1
    out = args.out or args.model
    model.save(out)
    print(f"saved the model, with its detector, to {out}")
    return 0
