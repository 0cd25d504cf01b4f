"""The learning-rate range test: its rates, its batch losses, its suggestion, and --find-lr."""

import math

import numpy as np
import pytest

from glassnet import Sequential, load_model
from glassnet.callbacks import TerminateOnNaN
from glassnet.engine.callbacks.lr_finder import BatchLosses, LearningRateFinder, find_learning_rate
from glassnet.interfaces.cli import main
from glassnet.layers import Dense, Flatten
from glassnet.optimizers import SGD, Adam
from glassnet.workbench import zoo
from tiny_models import tiny_digits


@pytest.fixture(scope="module")
def digits():
    x, y, _, _ = tiny_digits(n_train=2000, n_test=0, seed=0)
    return x.astype(np.float32) / 255, y


def mlp(seed=0, optimizer=None):
    model = zoo.classic_mlp(seed=seed)
    model.compile(optimizer=optimizer or Adam(1e-3), loss="sparse_categorical_crossentropy")
    return model


def test_the_rates_are_evenly_spaced_on_a_log_axis():
    finder = LearningRateFinder(start=1e-6, stop=10, steps=15)
    rates = [finder.rate(i) for i in range(15)]
    assert rates[0] == pytest.approx(1e-6) and rates[-1] == pytest.approx(10)
    assert np.allclose(np.diff(np.log10(rates)), 0.5)


@pytest.mark.parametrize("options", [dict(start=0), dict(start=1, stop=1), dict(steps=5), dict(beta=1),
                                     dict(diverge=1)])
def test_bad_settings_are_refused(options):
    with pytest.raises(ValueError, match="LearningRateFinder"):
        LearningRateFinder(**options)


def test_batch_losses_are_each_batchs_own_loss(digits):
    """fit's logs hold the epoch's running mean; BatchLosses recovers every batch's loss,
    the smaller last batch and the restart of the mean at each epoch included."""
    x, y = digits[0][:100], digits[1][:100]
    model = Sequential([Flatten(input_shape=(28, 28)), Dense(10, activation="softmax")], seed=0)
    model.compile(optimizer=SGD(1e-12), loss="sparse_categorical_crossentropy")   # weights ~fixed
    recorder = BatchLosses()
    model.fit(x, y, epochs=2, batch_size=32, shuffle=False, callbacks=[recorder], verbose=0)
    expected = [model.evaluate(x[i:i + 32], y[i:i + 32], verbose=0) for i in range(0, 100, 32)]
    assert np.allclose(recorder.losses, expected * 2, rtol=1e-5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_suggestion_for_adam_on_the_default_mlp(digits, seed):
    finder = find_learning_rate(mlp(seed), *digits)
    assert 1e-4 <= finder.suggestion <= 1e-2
    assert finder.suggestion == pytest.approx(finder.minimum / 10)
    assert finder.divergence is None or finder.divergence > finder.minimum
    assert len(finder.rates) == len(finder.losses) == len(finder.smoothed) <= 200
    assert "suggested rate" in finder.summary()


def test_sgd_gets_a_larger_rate_than_adam(digits):
    adam = find_learning_rate(mlp(0), *digits).suggestion
    sgd = find_learning_rate(mlp(0, SGD(0.01)), *digits).suggestion
    assert sgd > 3 * adam


def test_find_learning_rate_leaves_the_model_alone(digits):
    model = mlp()
    model.build((28, 28))
    weights, rng_state = model.layers[1].get_weights()[0].copy(), model.rng.bit_generator.state
    find_learning_rate(model, *digits)
    assert np.array_equal(model.layers[1].get_weights()[0], weights)
    assert model.rng.bit_generator.state == rng_state
    assert model.optimizer.iterations == 0 and model.optimizer.learning_rate == 1e-3


def test_the_callback_puts_back_the_weights_and_the_optimizer(digits):
    model = mlp()
    model.fit(*[a[:64] for a in digits], epochs=1, verbose=0)          # Adam has state now
    weights = [w.copy() for layer in model.layers for w in layer.get_weights()]
    slots = {k: [a.copy() for a in v] for k, v in model.optimizer.slots.items()}
    iterations = model.optimizer.iterations
    finder = LearningRateFinder(steps=50)
    model.fit(*digits, epochs=1, batch_size=32, callbacks=[finder, TerminateOnNaN()], verbose=0)
    assert len(finder.losses) <= 50
    assert all(np.array_equal(a, b) for a, b in
               zip(weights, [w for layer in model.layers for w in layer.get_weights()]))
    assert model.optimizer.iterations == iterations and model.optimizer.learning_rate == 1e-3
    assert all(np.array_equal(a, b) for k in slots for a, b in zip(slots[k], model.optimizer.slots[k]))


def test_a_loss_that_stops_being_a_number_is_where_it_diverged(digits):
    x, y = digits
    finder = find_learning_rate(mlp(optimizer=SGD(0.01)), x * 255, y, start=1e-3, stop=1e12, steps=50)
    assert finder.divergence is not None
    assert not math.isfinite(finder.losses[-1]) or finder.smoothed[-1] > 4 * np.nanmin(finder.smoothed)


def test_the_picture(digits, tmp_path):
    from glassnet.workbench.plots.lr_range import plot_lr_range

    finder = find_learning_rate(mlp(), *digits)
    fig = plot_lr_range(finder, data="2000 sample digits", path=tmp_path / "range.png")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and "suggested rate" in " ".join(t.get_text() for t in ax.get_legend().texts)
    assert (tmp_path / "range.png").read_bytes()[:4] == b"\x89PNG"


# -- glassnet train --find-lr / --lr auto ------------------------------------------------------------
def test_find_lr_draws_the_test_and_stops(digit_folder, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--data-dir", str(digit_folder), "--find-lr", "range.png"]) == 0
    out = capsys.readouterr().out
    assert "suggested rate" in out and "saved the learning-rate range test to range.png" in out
    assert (tmp_path / "range.png").exists() and not list(tmp_path.glob("*.npz"))   # no training


def test_lr_auto_trains_at_the_suggestion(digit_folder, tmp_path, capsys):
    out = tmp_path / "model.npz"
    assert main(["train", "--data-dir", str(digit_folder), "--lr", "auto", "--epochs", "1",
                 "--out", str(out), "--verbose", "0"]) == 0
    printed = capsys.readouterr().out
    rate = float(printed.split("training at the suggested learning rate ")[1].split()[0])
    assert 1e-4 <= rate <= 1e-2
    assert load_model(out).settings["learning_rate"] == pytest.approx(rate, rel=1e-2)


def test_lr_auto_refuses_resume_and_bad_values(digit_folder, tmp_path, capsys):
    mlp().save(tmp_path / "m.npz")
    assert main(["train", "--data-dir", str(digit_folder), "--lr", "auto", "--resume", str(tmp_path / "m.npz")]) == 2
    assert "--resume" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", "--lr", "fast"])
    assert "(or 'auto')" in capsys.readouterr().err
