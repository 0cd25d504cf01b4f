"""``glassnet explore``: look at a dataset before training on it.

Writes four pictures of the training set: samples of every class, the number of images per
class, the mean image of each class and a histogram of the pixel values. (``glassnet report
MODEL --explore`` adds the same pictures to a model's report.)
"""

import os
import re

from glassnet.interfaces.cli.options import add_data_arguments


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "explore", help="draw pictures of a dataset: samples, class counts, mean images, pixel values",
        description="Write the dataset explorer pictures (PNG) of a dataset's training or test set.")
    add_data_arguments(parser)
    parser.add_argument("--out", metavar="DIR",
                        help="folder for the pictures (default: explore-DATASET); created if missing")
    parser.add_argument("--split", choices=("train", "test"), default="train",
                        help="which part of the dataset to draw (default: train)")
    parser.set_defaults(run=run)


def output_folder(folder):
    """``folder``, created when its parent exists; one clear error otherwise."""
    parent = os.path.dirname(os.path.abspath(folder))
    if not os.path.isdir(folder):
        if not os.path.isdir(parent):
            raise FileNotFoundError(f"--out {folder}: folder {parent} does not exist")
        if not os.access(parent, os.W_OK):
            raise PermissionError(f"--out {folder}: folder {parent} is not writable")
        os.mkdir(folder)
    return folder


def run(args):
    from glassnet.datasets import load_dataset
    from glassnet.workbench.plots import save_explorer

    folder = args.out or "explore-" + re.sub(r"[^A-Za-z0-9_.-]+", "_", os.path.basename(args.dataset))
    if args.out:
        output_folder(folder)  # fail before loading the data
    data = load_dataset(args.dataset, data_dir=args.data_dir)
    print(data.source)
    x, y = (data.x_train, data.y_train) if args.split == "train" else (data.x_test, data.y_test)
    paths = save_explorer(x, y, output_folder(folder), class_names=data.class_names)
    print(f"wrote {len(paths)} pictures of {len(y):,} {data.name} {args.split} images:")
    for path in paths.values():
        print(f"  {path}")
