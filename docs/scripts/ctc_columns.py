"""Draw docs/images/ctc_columns.png: what a line reader sees and says, column by column.

    python docs/scripts/ctc_columns.py numbers-line.npz [--seed 5] [--out docs/images/ctc_columns.png]

Top: one seven-digit number composed from MNIST test digits (the benchmark's generator,
harder variant: touching digits), as the strip the network reads. Below: the network's probabilities at every output step
(one column per 4 strip columns), for the ten digits and the blank, darker = likelier;
the likeliest class of each step is marked. Merging repeats and dropping blanks gives
the text printed in the title.
"""

import argparse
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="a line reader saved by glassnet train --task numbers")
    parser.add_argument("--seed", type=int, default=5, help="which benchmark number to draw")
    parser.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data" / "mnist"))
    parser.add_argument("--out", default=str(ROOT / "docs" / "images" / "ctc_columns.png"))
    args = parser.parse_args()

    from glassnet.datasets import numbers
    from glassnet.engine.saving import load_model
    from glassnet.workbench import line_reader as lr

    model = load_model(args.model, compile=False)
    data = numbers.make_numbers(1, length=7, seed=args.seed, path=args.data_dir, **numbers.HARDER)
    strip, _, _ = lr.picture_strip(data.images[0])
    digits, _, probs, _ = lr.decode(lr.line_logits(model, [strip])[0])
    figure = lr.plot_columns(strip, probs, digits, title=f"a number from the benchmark's harder variant "
                             f"(MNIST test digits: {data.labels[0]}), as the strip the network reads",
                             stride=lr.stride_of(model))
    figure.savefig(args.out, dpi=110)
    print(f"wrote {args.out}: {data.labels[0]} read as {''.join(map(str, digits))}")


if __name__ == "__main__":
    main()
