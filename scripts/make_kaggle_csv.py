"""Write MNIST in the layout of Kaggle's "Digit Recognizer" CSVs, to try the Kaggle workflow offline.

    python scripts/make_kaggle_csv.py ../shared/data/mnist OUT_DIR

writes ``OUT_DIR/train.csv`` (42,000 labelled rows: ``label,pixel0,...,pixel783``, the
first 42,000 MNIST training digits, as many as Kaggle's train.csv), ``OUT_DIR/test.csv``
(the 10,000 MNIST test digits without labels: ``pixel0,...,pixel783``) and
``OUT_DIR/test-labels.csv`` (their answers, ``ImageId,Label``, for scoring a submission
with ``--score``)::

    python scripts/make_kaggle_csv.py --score OUT_DIR/submission.csv OUT_DIR/test-labels.csv
"""

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from glassnet.datasets import mnist, write_submission  # noqa: E402

KAGGLE_TRAIN_ROWS = 42_000


def write_csv(path, x, y=None):
    names = [f"pixel{i}" for i in range(784)]
    table = x.reshape(len(x), -1)
    if y is not None:
        names, table = ["label"] + names, np.c_[y, table]
    np.savetxt(path, table, fmt="%d", delimiter=",", header=",".join(names), comments="")


def score(submission, answers):
    got = np.loadtxt(submission, delimiter=",", skiprows=1, dtype=np.int64, ndmin=2)
    want = np.loadtxt(answers, delimiter=",", skiprows=1, dtype=np.int64, ndmin=2)
    if got.shape != want.shape or (got[:, 0] != want[:, 0]).any():
        sys.exit(f"{submission}: its ImageIds do not match {answers}")
    print(f"{submission}: {np.mean(got[:, 1] == want[:, 1]):.2%} of {len(want):,} MNIST test digits right")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs=2, type=Path, help="MNIST_DIR OUT_DIR, or with --score SUBMISSION ANSWERS")
    parser.add_argument("--score", action="store_true", help="score a submission against test-labels.csv")
    args = parser.parse_args()
    if args.score:
        return score(*args.paths)
    source, out = args.paths
    (x_train, y_train), (x_test, y_test) = mnist.load_data(source)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "train.csv", x_train[:KAGGLE_TRAIN_ROWS], y_train[:KAGGLE_TRAIN_ROWS])
    write_csv(out / "test.csv", x_test)
    write_submission(y_test, out / "test-labels.csv")
    print(f"wrote {out / 'train.csv'} ({KAGGLE_TRAIN_ROWS:,} rows), {out / 'test.csv'} "
          f"({len(x_test):,} rows) and {out / 'test-labels.csv'}")


if __name__ == "__main__":
    main()
