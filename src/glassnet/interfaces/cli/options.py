"""Argument types shared by the subcommands, so bad values fail at parse time with a clear line."""

import argparse
import math

# The zoo's architecture names, spelled out here (as train.py spells RECIPE_NAMES) so that
# ``glassnet --help`` doesn't import the engine; tests/test_cli_options.py keeps them in step.
ARCH_NAMES = ("mlp", "cnn", "lenet5")


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
    if math.isinf(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
    return value


def fraction(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {text}")
    return value


def add_arch_argument(parser):
    """``--arch``, limited to the zoo's architectures (an unknown name fails at parse time)."""
    parser.add_argument("--arch", choices=ARCH_NAMES,
                        help="architecture (default: mlp, the Keras tutorial's 784-128-64-10)")


def add_data_arguments(parser):
    """``--dataset`` and ``--data-dir``, used by every command that reads a dataset."""
    parser.add_argument("--dataset", default="mnist",
                        help="mnist, fashion-mnist, or csv:PATH for a Kaggle digit-recognizer train.csv "
                             "(default: mnist)")
    parser.add_argument("--data-dir", metavar="DIR",
                        help="folder with the four IDX files (default: $GLASSNET_DATA, then the cache, "
                             "then download)")
