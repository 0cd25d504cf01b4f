"""The ``glassnet`` command: ``glassnet train``, ``glassnet evaluate MODEL``, ...

Each subcommand lives in its own module of this package, which defines
``add_parser(subparsers)``; that function registers the arguments and sets ``run``, the
function called with the parsed arguments. Modules import heavy libraries (matplotlib, the
web server) inside ``run``, so ``glassnet train`` starts quickly.

A user's mistake (a bad file, a wrong shape, a NaN loss) is reported as one line on stderr
with exit status 2, never as a traceback. A warning is one line too (``glassnet read:
warning: ...``), without Python's file name and source line.
"""

import argparse
import importlib
import sys
import warnings

from glassnet.errors import GlassnetError

# The subcommands, in the order ``glassnet --help`` lists them.
COMMANDS = ["train", "calibrate", "evaluate", "report", "explore", "gradcheck", "doctor", "predict", "read", "serve",
            "export"]


def build_parser():
    parser = argparse.ArgumentParser(
        prog="glassnet",
        description="Train, inspect and use digit classifiers written from scratch in NumPy.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"glassnet.interfaces.cli.{name}").add_parser(subparsers)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    python_format = warnings.formatwarning
    warnings.formatwarning = lambda message, *where, **line: f"glassnet {args.command}: warning: {message}\n"
    try:
        return args.run(args) or 0
    except GlassnetError as error:
        message = str(error)
    except OSError as error:  # a missing file, a folder we can't write to
        message = str(error)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    finally:
        warnings.formatwarning = python_format
    print(f"glassnet {args.command}: error: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
