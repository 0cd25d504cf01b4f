"""Benchmark: reading whole 7-digit handwritten numbers, the segmenter and the line reader side by side.

The numbers are composed from MNIST **test** digits by :mod:`glassnet.datasets.numbers`:
dark ink on light paper, uneven gaps, baseline jitter and scale changes. Two variants:

* ``standard``: the benchmark's generator as it always was, about one gap in ten touching
  or overlapping (``touching=0.1, overlap=0.06``);
* ``harder``: half the gaps touching, overlapping up to twice as far
  (:data:`glassnet.datasets.numbers.HARDER`).

Each model given is read exactly as ``glassnet read`` reads
(:func:`glassnet.workbench.reader.read_leaving_out_nondigits`: marks a not-a-digit
detector refuses are left out): a digit classifier by cutting the number into digits (the segmenter), a line
reader (``glassnet train --task numbers``) by reading the whole strip with CTC. Printed,
per model and variant:

* whole numbers right; digits right (of all digits written; a number read with the wrong
  count of digits scores the digits of its longest common subsequence with the truth);
  numbers read with the wrong count of digits;
* milliseconds per number (reading only, one number at a time, as ``glassnet read`` does);
* for each digit classifier, also a reference row **"cut perfectly"**: the same classifier
  shown each digit of each number alone, as MNIST has it (no neighbour's ink, no cutting
  to get wrong). No reader can count on doing better than that, and the digits of both
  variants are the same ones (only the gaps differ), so it is the ceiling that the
  classifier's own accuracy puts on reading both;
* what went wrong, by kind: a digit that touches a neighbour, a digit that MNIST itself
  has in several pieces (a broken stroke), a digit found and still misread, or an extra
  digit read from a stray mark (for the line reader, whose boxes are only where the
  digits were read, the split between kinds is approximate).

Targets (issue 16), for the line reader: whole numbers >= 97%, digits >= 99.5%, wrong
digit count <= 0.5%, <= 50 ms per number on 2 cores. The segmenter with the default CNN
reads about 91% whole.

    glassnet train --task numbers --out numbers-line.npz
    glassnet train --arch cnn --out mnist-cnn.npz
    OPENBLAS_NUM_THREADS=2 flock /tmp/glassnet-heavy.lock python benchmarks/read_numbers.py \\
        numbers-line.npz mnist-cnn.npz [--digits mnist-cnn.npz] [--variants standard harder]
        [--count 1000] [--length 7] [--seed 0] [--data-dir ../shared/data/mnist]

With ``--digits``, each line reader is also run with the segmenter's second opinion
(``glassnet read LINE.npz --digits CNN.npz``), as one more row.
"""

import argparse
import os
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "mnist"
VARIANTS = {"standard": dict(touching=0.1, overlap=0.06), "harder": None}   # harder: numbers.HARDER


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


def read_all(model, data, broken, show_failures=0, digit_model=None):
    """Read every number of ``data`` one at a time; ``(texts, seconds, kinds of mistakes)``."""
    from glassnet.workbench.reader import read_leaving_out_nondigits as read   # as glassnet read does

    read(model, data.images[0], digit_model=digit_model)   # warm up (imports, first predict)
    texts, kinds, seconds, shown = [], Counter(), 0.0, 0
    for k in range(len(data)):
        start = time.perf_counter()
        reading, _ = read(model, data.images[k], digit_model=digit_model)
        seconds += time.perf_counter() - start
        texts.append(reading.text)
        if reading.text != data.labels[k]:
            for kind in failure_kinds(data.labels[k], data.boxes[k], data.touching[k], broken[k], reading):
                kinds[kind] += 1
            if shown < show_failures:
                shown += 1
                print(f"  #{k}: {data.labels[k]} read as {reading.text}")
    return texts, seconds, kinds


def read_cut_perfectly(model, digits, data):
    """The numbers read by the classifier ``model`` from their digits alone (the MNIST
    ``digits`` each number was written with, ``data.sources``): the segmenter's ceiling."""
    from glassnet.workbench.recognize import classify

    used = data.sources >= 0
    read = classify(model, digits[data.sources[used]] / np.float32(255)).argmax(axis=1)
    read_digits = np.full(data.sources.shape, -1)
    read_digits[used] = read
    return ["".join(str(d) for d in row if d >= 0) for row in read_digits]


def describe_model(path, model):
    from glassnet.workbench.line_reader import is_line_model

    if is_line_model(model):
        trained = model.settings.get("train_seconds")
        return (f"{path}: line reader (CNN + CTC"
                + (f", trained {trained / 60:.1f} min" if trained else "") + ")")
    accuracy = float(model.settings.get("test_accuracy", float("nan")))
    return f"{path}: segmenter + digit classifier {model.name} (MNIST test accuracy {accuracy:.2%})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", metavar="MODEL",
                        help="models saved by glassnet train: digit classifiers and/or line readers")
    parser.add_argument("--variants", nargs="+", choices=sorted(VARIANTS), default=["standard", "harder"])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--length", type=int, default=7)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=os.environ.get("GLASSNET_DATA", str(DEFAULT_DATA)))
    parser.add_argument("--digits", metavar="DIGIT_MODEL",
                        help="also read with each line reader rescored by the segmenter with this digit "
                             "classifier (glassnet read --digits)")
    parser.add_argument("--show-failures", type=int, default=0, metavar="N",
                        help="print the first N misread numbers of each model and variant")
    args = parser.parse_args()

    from glassnet.datasets import mnist, numbers
    from glassnet.engine.saving import load_model
    from glassnet.workbench.line_reader import score_texts

    (_, _), (x_test, y_test) = mnist.load_data(args.data_dir)
    broken_by_digit = broken_digits(x_test)
    from glassnet.workbench.line_reader import is_line_model

    models = [(path, load_model(path, compile=False), None) for path in args.models]
    if args.digits:
        digit_model = load_model(args.digits, compile=False)
        models += [(f"{path} + {args.digits}", model, digit_model)
                   for path, model, _ in models if is_line_model(model)]
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "unset")
    print(f"{args.count} numbers of {args.length} digits from MNIST test digits, seed {args.seed}; "
          f"OPENBLAS_NUM_THREADS={threads}")
    for path, model, digit_model in models:
        print("  " + (describe_model(path, model) if digit_model is None else
                      f"{path}: the line reader, rescored by the segmenter with {args.digits}"))
    rows = []
    for variant in args.variants:
        style = VARIANTS[variant] or numbers.HARDER
        data = numbers.compose(x_test, y_test, args.count, length=args.length, seed=args.seed, **style)
        broken = np.where(data.sources >= 0, broken_by_digit[np.maximum(data.sources, 0)], False)
        print(f"{variant}: touching {style['touching']:.0%} of gaps (overlap up to {style['overlap']:.0%} of "
              f"28 px); {int(data.touching.sum())} gaps drawn touching, "
              f"{int(broken.any(axis=1).sum())} numbers with a digit MNIST has in pieces")
        for path, model, digit_model in models:
            texts, seconds, kinds = read_all(model, data, broken, args.show_failures, digit_model)
            whole, right, wrong_count = score_texts(texts, data.labels)
            name = " + ".join(os.path.basename(p) for p in path.split(" + "))
            rows.append((variant, name, whole, right, wrong_count, 1000 * seconds / len(data)))
            print(f"  {name}: mistakes by kind (a number can have several): " +
                  (", ".join(f"{kind} {count}" for kind, count in kinds.most_common()) or "none"))
        for path, model, digit_model in models:
            if digit_model is None and not is_line_model(model):
                whole, right, wrong_count = score_texts(read_cut_perfectly(model, x_test, data), data.labels)
                rows.append((variant, f"{os.path.basename(path)}, cut perfectly", whole, right, wrong_count,
                             float("nan")))
    print()
    print(f"{'variant':9}  {'model':40}  {'whole':>7}  {'digits':>7}  {'wrong count':>11}  {'ms/number':>9}")
    for variant, name, whole, right, wrong_count, ms in rows:
        timing = f"{ms:9.1f}" if ms == ms else f"{'-':>9}"   # a reference row is not timed
        print(f"{variant:9}  {name[:40]:40}  {whole:7.1%}  {right:7.2%}  {wrong_count:11.1%}  {timing}")
    print("targets for the line reader: whole >= 97%, digits >= 99.5%, wrong count <= 0.5%, "
          "<= 50 ms per number on 2 cores")


if __name__ == "__main__":
    main()
