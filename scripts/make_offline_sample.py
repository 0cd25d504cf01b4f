"""Make glassnet's offline MNIST sample from the original MNIST files, reproducibly.

    python scripts/make_offline_sample.py ../shared/data/mnist

writes ``src/glassnet/datasets/mnist_sample/``: the same four IDX files as MNIST
(``train-images-idx3-ubyte.gz`` ...), holding

* 600 *training* digits of each class (6,000), drawn from MNIST's training set, and
* 100 *test* digits of each class (1,000), drawn from MNIST's test set,

so that a model trained on all of MNIST is still tested offline on digits it has never
seen. Within each class the digits are a seeded random draw, not the first ones in the
file: MNIST's test set puts its 5,000 cleaner digits first. The digits are stored in a
shuffled order, not sorted by class.

The script prints the SHA-256 of each file's *uncompressed* IDX content; the same
figures are in ``glassnet/datasets/sample.py`` (checked on every load) and in the README
beside the files. They do not depend on the gzip library, so anyone can reproduce them
from the original MNIST files with this script; ``--check`` only compares, writing nothing.
"""

import argparse
import gzip
import hashlib
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from glassnet.datasets.download import FILES, _read_pair  # noqa: E402
from glassnet.datasets.idx import idx_bytes  # noqa: E402
from glassnet.datasets.sample import PER_CLASS_TEST, PER_CLASS_TRAIN, SAMPLE_DIR, SEED, SHA256  # noqa: E402


def stratified(labels, per_class, rng):
    """Indices of ``per_class`` random samples of each label 0-9, in a shuffled order."""
    order = rng.permutation(len(labels))
    chosen = np.concatenate([order[labels[order] == digit][:per_class] for digit in range(10)])
    return chosen[rng.permutation(len(chosen))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mnist", type=Path, help="folder holding the four original MNIST files")
    parser.add_argument("--out", type=Path, default=SAMPLE_DIR, help=f"default: {SAMPLE_DIR}")
    parser.add_argument("--check", action="store_true", help="compare with the shipped checksums only")
    args = parser.parse_args()

    rng = np.random.default_rng(SEED)
    x_train, y_train = _read_pair(args.mnist / FILES[0], args.mnist / FILES[1])
    x_test, y_test = _read_pair(args.mnist / FILES[2], args.mnist / FILES[3])
    train = stratified(y_train, PER_CLASS_TRAIN, rng)
    test = stratified(y_test, PER_CLASS_TEST, rng)
    arrays = dict(zip(FILES, (x_train[train], y_train[train], x_test[test], y_test[test])))

    different = 0
    for name, array in arrays.items():
        raw = idx_bytes(array)
        digest = hashlib.sha256(raw).hexdigest()
        same = digest == SHA256[name]
        different += not same
        print(f"{digest}  {name}  {'(as shipped)' if same else '(DIFFERS from the shipped one)'}")
        if not args.check:
            args.out.mkdir(parents=True, exist_ok=True)
            # mtime=0 and no file name inside: the same digits give the same .gz bytes.
            with open(args.out / name, "wb") as file, \
                    gzip.GzipFile(filename="", mode="wb", fileobj=file, compresslevel=9, mtime=0) as gz:
                gz.write(raw)
    if not args.check:
        size = sum((args.out / name).stat().st_size for name in FILES)
        print(f"wrote {len(train):,} training and {len(test):,} test digits to {args.out} ({size / 1e6:.2f} MB)")
    return 1 if different and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
