"""Shared pytest fixtures, and the Hypothesis profiles of the fuzz tests."""

import os
from pathlib import Path

import pytest

try:
    from hypothesis import HealthCheck, settings
except ImportError:   # the fuzz tests skip themselves without it
    settings = None

if settings is not None:
    # "ci" (the default): the same examples on every run, so a failure is reproducible and
    # the suite's time is fixed. "explore": new random examples each run, and more of them,
    # for hunting bugs (HYPOTHESIS_PROFILE=explore python -m pytest tests/test_fuzz_*.py).
    settings.register_profile("ci", derandomize=True, max_examples=80, deadline=None, database=None,
                              suppress_health_check=[HealthCheck.too_slow])
    settings.register_profile("explore", max_examples=1000, deadline=None,
                              suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# The real MNIST / Fashion-MNIST files live beside the project, in ../shared/data.
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(autouse=True)
def fresh_names():
    """Every test starts with Keras's automatic names counted from 0 (``dense``, not
    ``dense_7``), as a fresh Python session would: otherwise a test's layer names would
    depend on which tests ran before it."""
    from glassnet.engine import naming
    naming.reset_uids()


@pytest.fixture
def shared_data():
    """The folder holding the real datasets (``mnist/``, ``fashion-mnist/``), or skip."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real datasets not found at {SHARED_DATA} (../shared/data from the repo root)")
    return SHARED_DATA


@pytest.fixture
def numpy_blas_threads():
    """A function: how many threads the BLAS that NumPy multiplies with may use now.

    Only NumPy's: SciPy's wheels bring a BLAS of their own, loaded once a test has imported
    scipy; glassnet never multiplies there and leaves it alone, so counting it too made the
    BLAS tests depend on which tests ran before them."""
    from threadpoolctl import threadpool_info

    def threads():
        blas = [p for p in threadpool_info() if p["user_api"] == "blas"]
        numpy_own = [p for p in blas if "numpy" in os.path.basename(os.path.dirname(p["filepath"]))]
        return max(p["num_threads"] for p in numpy_own or blas)

    return threads


@pytest.fixture(scope="session")
def tiny_digit_model(tmp_path_factory):
    """Path of a classic MLP trained for a fraction of a second on 1,000 real digits.

    The digits are glassnet's offline MNIST sample (shipped in the package, no network):
    1,000 of its training digits to train on, its 1,000 MNIST test digits to test on. The
    model reads about 90% of them and clearly drawn 1s and 7s: enough for tests of
    ``glassnet predict`` and the drawing page, which need a real model, not a good one.
    """
    from glassnet.datasets import load_sample
    from glassnet.workbench.zoo import classic_mlp

    (x_train, y_train), (x_test, y_test) = load_sample()
    model = classic_mlp(seed=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train[:1000] / 255.0, y_train[:1000], epochs=10, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(x_test / 255.0, y_test, verbose=0)
    model.settings.update(arch="mlp", dataset="mnist", test_accuracy=accuracy,
                          class_names=[str(d) for d in range(10)])
    path = tmp_path_factory.mktemp("models") / "tiny-mlp.npz"
    model.save(path)
    return path


@pytest.fixture(scope="session")
def tiny_digit_model_with_detector(tiny_digit_model, tmp_path_factory):
    """Path of :func:`tiny_digit_model` saved with a small not-a-digit detector.

    Calibrated on 2,000 training digits of the offline sample the model did not train on
    and 240 generated non-digits (not the user's cache: made here, in a few seconds): enough to
    refuse static, scribbles and shapes, not a benchmark.
    """
    from glassnet import load_model
    from glassnet.datasets import load_sample
    from glassnet.workbench.novelty import fit_detector

    (x_train, y_train), _ = load_sample()
    model = load_model(tiny_digit_model)
    detector = fit_detector(model, x_train[:1000] / 255.0, y_train[:1000], x_train[1000:3000] / 255.0,
                            y_train[1000:3000], nondigits=240, photos=150, seed=0, cache=False)
    model.settings["novelty"] = detector.to_settings()
    path = tmp_path_factory.mktemp("models") / "tiny-mlp-detector.npz"
    model.save(path)
    return path


@pytest.fixture(scope="module")
def digit_folder(tmp_path_factory):
    """An MNIST folder (IDX files) of 2,000 real training digits and 100 test digits from
    glassnet's offline sample, for tests of ``glassnet train --data FOLDER``."""
    import numpy as np

    from glassnet.datasets.idx import write_idx
    from tiny_models import tiny_digits

    x, y, x_test, y_test = tiny_digits(n_train=2000, n_test=100, seed=0)
    folder = tmp_path_factory.mktemp("data") / "mnist"
    folder.mkdir()
    for split, images, labels in (("train", x, y), ("t10k", x_test, y_test)):
        write_idx(folder / f"{split}-images-idx3-ubyte.gz", images)
        write_idx(folder / f"{split}-labels-idx1-ubyte.gz", labels.astype(np.uint8))
    return folder


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    """A real saved model that is a nearest-template classifier for the drawn glyphs.

    ``-|x - t|^2 / T = (2 x.t - |t|^2) / T - |x|^2 / T``, and softmax ignores the last
    term (the same for every class), so one Dense layer with kernel ``2 t / T`` and bias
    ``-|t|^2 / T`` picks the nearest template.
    """
    from glassnet.engine.layers import Dense, Flatten
    from test_reader import Templates
    from glassnet.engine.model import Sequential

    model = Sequential([Flatten(input_shape=(28, 28)), Dense(10, activation="softmax")], seed=0)
    model.build()
    dense = model.layers[1]
    dense.params["kernel"][...] = 0
    dense.params["bias"][...] = -1e3                          # classes with no template
    temperature = 2.0
    for digit, template in Templates().templates.items():
        dense.params["kernel"][:, digit] = 2 * template.ravel() / temperature
        dense.params["bias"][digit] = -(template ** 2).sum() / temperature
    path = tmp_path_factory.mktemp("model") / "templates.npz"
    model.save(path)
    return str(path)


@pytest.fixture(scope="module")
def line_file(tmp_path_factory):
    """An untrained line reader, saved: its readings are arbitrary, their form is not."""
    from glassnet.workbench.line_reader import line_model

    model = line_model(width=64, seed=0)
    model.build()
    model.settings["task"] = "numbers"
    path = tmp_path_factory.mktemp("line") / "line.npz"
    model.save(path)
    return str(path)


@pytest.fixture(params=["F4", "F5", "F6"])
def tile(request, monkeypatch):
    """Each Winograd tile size in turn: every Winograd layer built in the test uses it, and
    every Conv2D + MaxPooling2D pair run fused."""
    from glassnet.engine.layers import conv, fused, winograd

    wg = getattr(winograd, request.param)
    monkeypatch.setattr(conv, "WINOGRAD_TILES", (wg,))
    monkeypatch.setattr(fused, "WINOGRAD_TILES", (wg,))
    return wg
