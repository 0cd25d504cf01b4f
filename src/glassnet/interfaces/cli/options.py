"""Argument types shared by the subcommands, so bad values fail at parse time with a clear line."""

import argparse


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
    return value


def fraction(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {text}")
    return value


def add_data_arguments(parser):
    """``--dataset`` and ``--data-dir``, used by every command that reads a dataset."""
    parser.add_argument("--dataset", default="mnist",
                        help="mnist, fashion-mnist, or csv:PATH for a Kaggle digit-recognizer train.csv "
                             "(default: mnist)")
    parser.add_argument("--data-dir", metavar="DIR",
                        help="folder with the four IDX files (default: $GLASSNET_DATA, then the cache, "
                             "then download)")
