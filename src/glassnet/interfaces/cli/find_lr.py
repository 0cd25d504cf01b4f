"""``glassnet train --find-lr`` and ``--lr auto``: choose the learning rate by the range test.

``--find-lr [PNG]`` runs the learning-rate range test
(:class:`glassnet.engine.callbacks.lr_finder.LearningRateFinder`) on a fresh copy of the
model, saves its picture (loss against a log-scale rate), prints the suggested rate and
stops. ``--lr auto`` runs the same test and then trains at the suggested rate; with both,
you get the picture and the training run.

The logic lives here so that ``train.py`` needs only a few lines.
"""

import argparse

from glassnet.interfaces.cli.options import positive_float

AUTO = "auto"


def rate_or_auto(text):
    """``--lr``: a number > 0, or ``auto``."""
    if text.strip().lower() == AUTO:
        return AUTO
    try:
        return positive_float(text)
    except argparse.ArgumentTypeError as error:
        raise argparse.ArgumentTypeError(f"{error} (or 'auto')") from None


def add_arguments(parser):
    parser.add_argument("--find-lr", nargs="?", const="lr_range.png", metavar="PNG",
                        help="run the learning-rate range test, save its picture (default lr_range.png) "
                             "and print the suggested rate; then stop, unless --lr auto")


def choose_rate(args, build, x, y):
    """Run the range test on the model ``build()`` makes; return the rate to train with.

    Args:
        args: the parsed ``glassnet train`` arguments (``lr``, ``find_lr``, ``resume``).
        build: a function returning ``(compiled model, plan)`` as ``train._new_model`` does.
        x, y: the training data (already scaled).

    Returns:
        the suggested rate for ``--lr auto``; None for ``--find-lr`` alone (the caller
        then stops without training).
    """
    from glassnet.engine.callbacks.lr_finder import find_learning_rate
    from glassnet.errors import TrainingError

    if args.resume:
        raise TrainingError("--find-lr and --lr auto need a new model; --resume continues its own "
                            "optimizer and rate")
    auto = args.lr == AUTO
    if auto:
        args.lr = None                       # build with the architecture's own optimizer
    model, plan = build()
    finder = find_learning_rate(model, x, y, batch_size=plan["batch_size"])
    print(finder.summary())
    if args.find_lr:
        from glassnet.workbench.plots.lr_range import plot_lr_range
        data = f"{len(x)} training images, batch {plan['batch_size']}, {type(model.optimizer).__name__}"
        plot_lr_range(finder, title=f"Learning-rate range test: {plan['name']}", data=data, path=args.find_lr)
        print(f"saved the learning-rate range test to {args.find_lr}")
    if not auto:
        return None
    if finder.suggestion is None:
        raise TrainingError("--lr auto: the range test ran too few batches to suggest a rate")
    print(f"training at the suggested learning rate {finder.suggestion:.3g}")
    return finder.suggestion

