"""How much should the segmenter's opinion count when it rescores the line reader?

``glassnet read LINE.npz IMAGE --digits CNN.npz`` chooses, among the line reader's beam
candidates and the segmenter's reading, the text with the highest
``log p_ctc(text) + opinion(text)`` (see :func:`glassnet.workbench.line_reader.segmenter_opinion`).
This script measures whole-number accuracy over a grid of the opinion's three constants,
on numbers written from the **last 5,000 MNIST training digits**: the digits the line
reader never trains on (``glassnet train --task numbers`` holds them out) and that
``glassnet train --arch cnn`` keeps for validation (its default 20% split takes the last
samples of each class). No test digit is used, so the benchmark stays a fair test.

    python benchmarks/tune_line_opinion.py numbers-line.npz mnist-cnn.npz [--count 1000]
"""

import argparse
import itertools
import os
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "mnist"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("line_model")
    parser.add_argument("digit_model")
    parser.add_argument("--count", type=int, default=1000, help="numbers per variant")
    parser.add_argument("--data-dir", default=os.environ.get("GLASSNET_DATA", str(DEFAULT_DATA)))
    args = parser.parse_args()

    from glassnet.datasets import mnist, numbers
    from glassnet.engine.saving import load_model
    from glassnet.interfaces.cli.train_numbers import HELD_OUT
    from glassnet.workbench import line_reader as lr
    from glassnet.workbench.reader import read_number

    line = load_model(args.line_model, compile=False)
    digit = load_model(args.digit_model, compile=False)
    (x_train, y_train), _ = mnist.load_data(args.data_dir)
    held = (x_train[-HELD_OUT:], y_train[-HELD_OUT:])
    cases = []     # per number: truth, candidate texts, their mean CTC log-likelihoods, the segmenter's reading
    start = time.perf_counter()
    for seed, style in ((11, dict(touching=0.1, overlap=0.06)), (12, numbers.HARDER)):
        data = numbers.compose(*held, args.count, length=7, seed=seed, **style)
        for image, truth in zip(data.images, data.labels):
            strips, _, _ = lr.picture_strips(image, views=lr.VIEWS)      # exactly as read_line does
            segmented = read_number(digit, image)
            texts, scores, _ = lr.candidates(lr.line_logits(line, strips), extra=[segmented.digits])
            cases.append((truth, texts, scores, segmented))
    print(f"read {len(cases)} numbers (7 digits, held-out training digits, standard and harder) "
          f"in {time.perf_counter() - start:.0f} s")

    def accuracy(weight, doubt, floor):
        right = 0
        for truth, texts, ctc, segmented in cases:
            log_probs = weight * np.log(np.maximum(segmented.probabilities, floor))
            own = log_probs.max(axis=1).sum()
            scores = [c + (log_probs[np.arange(len(t)), t].sum() if len(t) == len(log_probs)
                           else own + weight * np.log(doubt)) for t, c in zip(texts, ctc)]
            right += "".join(map(str, texts[int(np.argmax(scores))])) == truth
        return right / len(cases)

    line_alone = sum("".join(map(str, t[int(np.argmax(c))])) == truth for truth, t, c, _ in cases) / len(cases)
    segmenter_alone = sum(s.text == truth for truth, _, _, s in cases) / len(cases)
    print(f"whole numbers: line reader alone {line_alone:.2%}, segmenter alone {segmenter_alone:.2%}")
    results = []
    for weight, doubt, floor in itertools.product((0.25, 0.5, 0.75, 1.0), (0.01, 0.05, 0.2), (1e-4, 1e-2, 0.05)):
        results.append((accuracy(weight, doubt, floor), weight, doubt, floor))
    for acc, weight, doubt, floor in sorted(results, reverse=True)[:8]:
        print(f"  weight {weight:4}  count doubt {doubt:5}  floor {floor:6}:  {acc:.2%} whole")
    print(f"now in line_reader.py: weight {lr.OPINION_WEIGHT}, count doubt {lr.COUNT_DOUBT}, "
          f"floor {lr.OPINION_FLOOR}: {accuracy(lr.OPINION_WEIGHT, lr.COUNT_DOUBT, lr.OPINION_FLOOR):.2%}")


if __name__ == "__main__":
    main()
