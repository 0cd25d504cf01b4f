"""Benchmark: reading whole 7-digit handwritten numbers with ``glassnet.read_number``.

The numbers are composed from MNIST **test** digits by :mod:`glassnet.datasets.numbers`:
dark ink on light paper, uneven gaps, about one gap in ten touching or overlapping,
baseline jitter and scale changes. Each image goes through ``read_number`` exactly as
``glassnet read`` would send it. Printed:

* digits right: of all digits written; a number read with the wrong count of digits
  scores the digits of its longest common subsequence with the truth;
* whole numbers right, and numbers read with the wrong count of digits;
* milliseconds per number (reading only: cutting, rendering, one batched classify);
* what went wrong, by kind: a digit that touches a neighbour, a digit that MNIST itself
  has in several pieces (a broken stroke), a digit cut out right and still misread, or
  an extra digit read from a stray mark.

Targets with the default CNN (``glassnet train --arch cnn``): whole numbers >= 90%,
digits >= 98.5%, wrong digit count <= 3%, <= 50 ms per number.

    glassnet train --arch cnn --out mnist-cnn.npz
    flock /tmp/glassnet-heavy.lock python benchmarks/read_numbers.py mnist-cnn.npz \\
        [--count 1000] [--length 7] [--seed 0] [--touching 0.1] [--overlap 0.06]
        [--data-dir ../shared/data/mnist]
"""

import argparse
import os
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "mnist"


def common_digits(a, b):
    """Length of the longest common subsequence of two strings: digits read right, in order."""
    table = np.zeros((len(a) + 1, len(b) + 1), dtype=int)
    for i, x in enumerate(a, 1):
        for j, y in enumerate(b, 1):
            table[i, j] = table[i - 1, j - 1] + 1 if x == y else max(table[i - 1, j], table[i, j - 1])
    return int(table[-1, -1])


def broken_digits(digits):
    """True for each MNIST digit whose ink (as the reader thresholds it) is in several
    sizeable pieces: a broken stroke or a detached bar."""
    from scipy import ndimage

    broken = np.zeros(len(digits), bool)
    for i, digit in enumerate(digits):
        labels, count = ndimage.label(digit > 127, structure=np.ones((3, 3)))
        if count > 1:
            sizes = np.bincount(labels.ravel())[1:]
            broken[i] = np.count_nonzero(sizes >= 8) > 1
    return broken


def overlap(a, b):
    """Intersection over union of two boxes (x0, y0, x1, y1)."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def failure_kinds(truth, boxes, touching, broken, reading):
    """Why a number was misread: the kinds of its wrong digits.

    A true digit is read right when a reading box covers it (IoU >= 0.5) with the right
    digit. A wrong one is put down to touching (a neighbour gap was drawn touching), else
    to a broken stroke (MNIST has it in pieces), else to the classifier (misread).
    """
    kinds = set()
    for i, digit in enumerate(truth):
        best = max(range(len(reading.boxes)), key=lambda k: overlap(boxes[i], reading.boxes[k]), default=None)
        if best is not None and overlap(boxes[i], reading.boxes[best]) >= 0.5 \
                and str(reading.digits[best]) == digit:
            continue
        near_touch = (i > 0 and touching[i - 1]) or (i < len(touching) and touching[i])
        kinds.add("touching pair" if near_touch else "broken stroke" if broken[i] else "misread digit")
    return kinds or {"extra digit"}   # every digit read right, plus one more (a stray mark)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="a digit model saved by glassnet train")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--length", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--touching", type=float, default=0.1, help="share of gaps drawn touching")
    parser.add_argument("--overlap", type=float, default=0.06,
                        help="how far touching digits may overlap (fraction of the 28-pixel frame)")
    parser.add_argument("--data-dir", default=os.environ.get("GLASSNET_DATA", str(DEFAULT_DATA)))
    parser.add_argument("--show-failures", type=int, default=0, metavar="N",
                        help="print the first N misread numbers")
    args = parser.parse_args()

    from glassnet.datasets import mnist, numbers
    from glassnet.engine.saving import load_model
    from glassnet.workbench.reader import read_number

    model = load_model(args.model, compile=False)
    (_, _), (x_test, y_test) = mnist.load_data(args.data_dir)
    data = numbers.compose(x_test, y_test, args.count, length=args.length, seed=args.seed,
                           touching=args.touching, overlap=args.overlap)
    broken = broken_digits(x_test)[data.sources]
    read_number(model, data.images[0])                  # warm up (imports, first predict)

    texts, kinds, seconds = [], Counter(), 0.0
    for k in range(len(data)):
        start = time.perf_counter()
        reading = read_number(model, data.images[k])
        seconds += time.perf_counter() - start
        texts.append(reading.text)
        if reading.text != data.labels[k]:
            for kind in failure_kinds(data.labels[k], data.boxes[k], data.touching[k], broken[k], reading):
                kinds[kind] += 1
            if args.show_failures and sum(t != l for t, l in zip(texts, data.labels)) <= args.show_failures:
                print(f"  #{k}: {data.labels[k]} read as {reading.text}")

    n, digits = len(data), len(data) * args.length
    whole = sum(t == l for t, l in zip(texts, data.labels))
    wrong_count = sum(len(t) != len(l) for t, l in zip(texts, data.labels))
    right_digits = sum(sum(a == b for a, b in zip(t, l)) if len(t) == len(l) else common_digits(t, l)
                       for t, l in zip(texts, data.labels))
    accuracy = float(model.settings.get("test_accuracy", float("nan")))
    print(f"model: {args.model} ({model.name}, MNIST test accuracy {accuracy:.2%})")
    print(f"{n} numbers of {args.length} digits from MNIST test digits, seed {args.seed}, "
          f"touching {args.touching:.0%} of gaps (overlap up to {args.overlap:.0%} of 28 px); "
          f"{int(data.touching.sum())} gaps drawn touching, "
          f"{int(broken.any(axis=1).sum())} numbers with a digit MNIST has in pieces")
    print(f"digits right:        {right_digits / digits:.2%}   (target >= 98.5%)")
    print(f"whole numbers right: {whole / n:.2%}   (target >= 90%)")
    print(f"wrong digit count:   {wrong_count / n:.2%}   (target <= 3%)")
    print(f"time per number:     {1000 * seconds / n:.1f} ms   (target <= 50 ms)")
    print("misread numbers by kind of mistake (a number can have several): " +
          (", ".join(f"{kind} {count}" for kind, count in kinds.most_common()) or "none"))


if __name__ == "__main__":
    main()
