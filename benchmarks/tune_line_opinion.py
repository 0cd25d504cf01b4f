"""How much should the segmenter's opinion count when it rescores the line reader?

``glassnet read LINE.npz IMAGE --digits CNN.npz`` chooses, among the line reader's beam
candidates and the segmenter's reading, the text with the highest
``log p_ctc(text) + opinion(text)`` (see :func:`glassnet.workbench.line_reader.segmenter_opinion`).
This script measures whole-number accuracy over a grid of the opinion's three constants,
on numbers written from the **last 5,000 MNIST training digits**: the digits the line
reader never trains on (``glassnet train --task numbers`` holds them out) and that
``glassnet train --arch cnn`` keeps for validation (its default 20% split takes the last
samples of each class). No test digit is used, so the benchmark stays a fair test.
It also measures how often the segmenter must be asked at all: only when the line reader
hesitates (``line_reader.is_sure``), for each threshold ``SURE`` of its margin.

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
            logits = list(lr.line_logits(line, strips))
            segmented = read_number(digit, image)
            own_texts, alone, _ = lr.candidates(logits)                  # the line reader's own beam
            texts, scores, _ = lr.candidates(logits, extra=[segmented.digits])
            margin = lr.margin(alone)                                    # what is_sure looks at
            by_itself = "".join(map(str, own_texts[int(np.argmax(alone))]))     # what it reads alone
            cases.append((truth, texts, scores, segmented, margin, by_itself))
    print(f"read {len(cases)} numbers (7 digits, held-out training digits, standard and harder) "
          f"in {time.perf_counter() - start:.0f} s")

    def accuracy(weight, doubt, floor, sure=np.inf, among=None):
        """Whole numbers read right (of ``among``, default all), the segmenter asked when the
        line reader's margin is under ``sure``."""
        among = cases if among is None else among
        right = 0
        for truth, texts, ctc, segmented, margin, by_itself in among:
            if margin >= sure:        # the line reader alone
                right += by_itself == truth
                continue
            log_probs = weight * np.log(np.maximum(segmented.probabilities, floor))
            own = log_probs.max(axis=1).sum()
            scores = [c + (log_probs[np.arange(len(t)), t].sum() if len(t) == len(log_probs)
                           else own + weight * np.log(doubt)) for t, c in zip(texts, ctc)]
            right += "".join(map(str, texts[int(np.argmax(scores))])) == truth
        return right / len(among)

    line_alone = np.mean([by_itself == truth for truth, *_, by_itself in cases])
    segmenter_alone = np.mean([s.text == truth for truth, _, _, s, *_ in cases])
    print(f"whole numbers: line reader alone {line_alone:.2%}, segmenter alone {segmenter_alone:.2%}")
    results = []
    for weight, doubt, floor in itertools.product((0.25, 0.5, 0.75, 1.0), (0.01, 0.05, 0.2), (1e-4, 1e-2, 0.05)):
        results.append((accuracy(weight, doubt, floor), weight, doubt, floor))
    for acc, weight, doubt, floor in sorted(results, reverse=True)[:8]:
        print(f"  weight {weight:4}  count doubt {doubt:5}  floor {floor:6}:  {acc:.2%} whole")
    now = (lr.OPINION_WEIGHT, lr.COUNT_DOUBT, lr.OPINION_FLOOR)
    print(f"now in line_reader.py: weight {now[0]}, count doubt {now[1]}, floor {now[2]}: "
          f"{accuracy(*now):.2%}")
    # The segmenter costs as much time as the line reader: ask it only when the line reader
    # is unsure (is_sure: its best text less than e ** SURE times as likely as the next).
    print("asking the segmenter only when the line reader's margin is under SURE (now "
          f"{lr.SURE}):")
    half = len(cases) // 2        # the standard numbers, then the harder ones
    for sure in (0, 0.5, 1, 2, 3, 4, 5, 6, 8, 10, np.inf):   # 0: never asked; inf: always
        asked = np.mean([margin < sure for *_, margin, _ in cases])
        print(f"  SURE {sure:>4}: segmenter asked for {asked:6.1%} of numbers; whole "
              f"{accuracy(*now, sure):.2%} (standard {accuracy(*now, sure, cases[:half]):.2%}, "
              f"harder {accuracy(*now, sure, cases[half:]):.2%})")


if __name__ == "__main__":
    main()
