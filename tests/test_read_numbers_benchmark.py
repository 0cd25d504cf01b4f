"""benchmarks/read_numbers.py's reference row: the classifier handed each digit cut perfectly."""

import importlib.util
from pathlib import Path

import numpy as np

from glassnet.datasets import numbers

ROOT = Path(__file__).resolve().parents[1]


def load_benchmark():
    spec = importlib.util.spec_from_file_location("read_numbers_benchmark", ROOT / "benchmarks" / "read_numbers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cut_perfectly_reads_each_numbers_own_digits(monkeypatch):
    # Ten "MNIST digits", each a square of its own brightness, so a classifier that reads
    # the brightness back tells which digit it was handed; digit 7 (the 8th image) it
    # misreads as a 1. Numbers of 1 to 4 digits: the shorter ones' unused places must not
    # become digits.
    digits = np.zeros((10, 28, 28), np.uint8)
    for k in range(10):
        digits[k, 8:20, 8:20] = 20 * (k + 1)
    labels = np.arange(10)
    data = numbers.compose(digits, labels, 40, length=(1, 4), seed=3)

    def classify(model, images):
        assert images.shape[1:] == (28, 28) and images.dtype == np.float32 and images.max() <= 1
        read = np.rint(images.max(axis=(1, 2)) * 255 / 20).astype(int) - 1
        read[read == 7] = 1
        return np.eye(10)[read]

    import glassnet.workbench.recognize
    monkeypatch.setattr(glassnet.workbench.recognize, "classify", classify)
    texts = load_benchmark().read_cut_perfectly(None, digits, data)
    assert texts == [label.replace("7", "1") for label in data.labels]
    assert any("7" in label for label in data.labels) and any(len(label) < 4 for label in data.labels)
