"""The training callbacks: early stopping, checkpoints, CSV logs, NaN guard, learning-rate control."""

import csv
import re
import warnings

import numpy as np
import pytest

from glassnet import Sequential
from glassnet.engine.callbacks import (Callback, CSVLogger, EarlyStopping, LearningRateScheduler,
                                       ModelCheckpoint, ReduceLROnPlateau, TerminateOnNaN)
from glassnet.engine.layers import Dense, Layer
from glassnet.engine.optimizers import SGD, Adam
from glassnet.engine.saving import load_model
from glassnet.engine.schedules import StepDecay
from glassnet.errors import TrainingError

RNG = np.random.default_rng(0)
X = RNG.normal(size=(64, 4)).astype(np.float32)
Y = (X[:, 0] > 0).astype(int)


def small_model(optimizer="adam", seed=0):
    model = Sequential([Dense(8, activation="relu", input_shape=(4,)), Dense(2, activation="softmax")],
                       seed=seed)
    model.compile(optimizer, "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.build()
    return model


def drive(callback, model, values, monitor="val_loss"):
    """Call the epoch hooks with ``monitor`` taking ``values``; return the epochs that ran."""
    callback.set_model(model)
    callback.on_train_begin()
    ran = []
    for epoch, value in enumerate(values):
        model.weights[0][:] = epoch          # mark the weights with the epoch that made them
        ran.append(epoch)
        callback.on_epoch_end(epoch, {monitor: value})
        if model.stop_training:
            break
    callback.on_train_end()
    return ran


# -- EarlyStopping ------------------------------------------------------------------------
def test_early_stopping_waits_patience_epochs_then_restores_the_best():
    model = small_model()
    stopper = EarlyStopping(patience=2, restore_best_weights=True)
    assert drive(stopper, model, [1.0, 0.9, 0.95, 0.96, 0.97, 0.5]) == [0, 1, 2, 3]
    assert stopper.stopped_epoch == 3 and stopper.best_epoch == 1
    assert np.all(model.weights[0] == 1)            # the weights of epoch 1, the best


def test_early_stopping_min_delta_mode_and_baseline():
    model = small_model()
    # Gains of 0.001 don't count with min_delta=0.01: stops after patience 1.
    assert drive(EarlyStopping("val_accuracy", min_delta=0.01, patience=1), model,
                 [0.90, 0.901, 0.902, 0.95], "val_accuracy") == [0, 1]
    model.stop_training = False
    # mode="max" is picked automatically for accuracies; a steady climb never stops.
    assert drive(EarlyStopping("val_accuracy", patience=0), model, [0.1, 0.2, 0.3], "val_accuracy") == [0, 1, 2]
    model.stop_training = False
    # Epochs that don't beat the baseline count towards patience, even the first (Keras).
    model.stop_training = False
    assert drive(EarlyStopping(patience=2), model, [0.9, 0.95, 0.96, 0.97]) == [0, 1, 2]
    model.stop_training = False
    assert drive(EarlyStopping(patience=2, baseline=0.5), model, [0.9, 0.95, 0.96, 0.97]) == [0, 1]


def test_early_stopping_in_fit_keeps_the_history():
    model = small_model()
    history = model.fit(X, Y, epochs=10, batch_size=16, validation_split=0.25, verbose=0,
                        callbacks=[EarlyStopping(monitor="val_loss", min_delta=10.0, patience=0)])
    assert history.epoch == [0, 1] and model.epoch == 2


def test_any_figure_can_be_watched_and_a_missing_one_is_a_warning():
    EarlyStopping(monitor="val_acc")                          # any name the logs may hold
    ModelCheckpoint("x.npz", monitor="val_AUC")
    model = small_model()
    with pytest.warns(RuntimeWarning, match="'val_loss', which is not in the logs.*validation_split"):
        history = model.fit(X, Y, epochs=2, verbose=0, callbacks=[EarlyStopping()])
    assert history.epoch == [0, 1]                             # nothing stopped it


class FakeMetric:
    def __init__(self, name, direction):
        self.name, self.direction = name, direction


@pytest.mark.parametrize("monitor, metrics, mode", [
    ("val_loss", [], "min"), ("loss", [], "min"),
    ("val_acc", [], "max"), ("val_AUC", [], "max"), ("recall", [], "max"),
    ("val_mean_absolute_error", [], "min"),
    ("val_score", [FakeMetric("score", "up")], "max"),        # the metric's own direction
    ("val_mse", [FakeMetric("mse", "down")], "min"),
])
def test_auto_mode_takes_the_direction_from_the_metric_or_its_name(monitor, metrics, mode):
    model = type("M", (), {"metrics": metrics})()
    from glassnet.engine.callbacks.monitor import Monitor
    assert Monitor("EarlyStopping", monitor).resolve(model) == mode


def test_auto_mode_that_cant_tell_asks_for_a_mode():
    model = small_model()
    with pytest.raises(ValueError, match="can't tell whether 'val_score' should go up or down; pass mode="):
        model.fit(X, Y, epochs=1, verbose=0, callbacks=[EarlyStopping(monitor="val_score")])


@pytest.mark.parametrize("make, message", [
    (lambda: EarlyStopping(patience=-1), "EarlyStopping: patience must be a whole number >= 0, got -1"),
    (lambda: EarlyStopping(min_delta=-0.1), "EarlyStopping: min_delta must be >= 0, got -0.1"),
    (lambda: EarlyStopping(mode="up"), "mode must be 'auto', 'min' or 'max', got 'up'"),
    (lambda: ReduceLROnPlateau(patience=-2), "ReduceLROnPlateau: patience must be a whole number >= 0"),
    (lambda: ReduceLROnPlateau(factor=1.5), r"ReduceLROnPlateau: factor must be in \(0, 1\), got 1.5"),
    (lambda: ReduceLROnPlateau(min_lr=-1e-3), "ReduceLROnPlateau: min_lr must be >= 0, got -0.001"),
    (lambda: LearningRateScheduler(0.1), "LearningRateScheduler: schedule must be a function"),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


# -- ModelCheckpoint ------------------------------------------------------------------------
def test_checkpoint_saves_only_improvements_with_formatted_names(tmp_path):
    model = small_model()
    checkpoint = ModelCheckpoint(tmp_path / "best.npz", monitor="val_accuracy", save_best_only=True)
    drive(checkpoint, model, [0.5, 0.7, 0.6], "val_accuracy")
    saved = load_model(tmp_path / "best.npz")
    assert np.all(saved.weights[0] == 1)              # epoch 1 had the best accuracy
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.npz"]   # no temporary files left


def test_checkpoint_says_where_the_best_starts_for_the_direction_monitored(tmp_path, capsys):
    model = small_model()
    drive(ModelCheckpoint(tmp_path / "a.npz", monitor="val_accuracy", save_best_only=True, verbose=1),
          model, [0.5], "val_accuracy")
    drive(ModelCheckpoint(tmp_path / "b.npz", save_best_only=True, verbose=1), model, [0.5])
    out = capsys.readouterr().out
    assert "val_accuracy improved from -inf to 0.50000" in out       # it was "from inf": not an improvement
    assert "val_loss improved from inf to 0.50000" in out
    assert out.count("finished saving model to") == 2                # Keras 3's second line


def test_checkpoint_says_it_saves_and_then_that_it_finished_as_keras_does(tmp_path, capsys):
    """The save-and-load tutorial's ModelCheckpoint(..., verbose=1) prints two lines per save."""
    path = tmp_path / "cp.weights.h5"
    small_model().fit(X, Y, epochs=1, verbose=0, callbacks=[ModelCheckpoint(str(path), save_weights_only=True,
                                                                          verbose=1)])
    lines = [line for line in capsys.readouterr().out.splitlines() if line]
    assert lines == [f"Epoch 1: saving model to {path}", f"Epoch 1: finished saving model to {path}"]


def test_checkpoint_every_epoch_in_fit_is_resumable(tmp_path):
    model = small_model()
    model.fit(X, Y, epochs=2, batch_size=16, verbose=0,
              callbacks=[ModelCheckpoint(str(tmp_path / "ckpt-{epoch:02d}-{loss:.3f}.npz"))])
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 2 and names[0].startswith("ckpt-01-") and names[1].startswith("ckpt-02-")
    resumed = load_model(tmp_path / names[1])
    assert resumed.epoch == 2 and resumed.optimizer.iterations == 8
    np.testing.assert_array_equal(resumed.weights[0], model.weights[0])
    with pytest.raises(TrainingError, match="names 'val_loss', which is not in the logs"):
        model.fit(X, Y, epochs=1, verbose=0, callbacks=[ModelCheckpoint(str(tmp_path / "{val_loss}.npz"))])


def test_checkpoint_makes_the_folder_its_path_names_as_keras_does(tmp_path):
    """TensorFlow's "Save and load models" tutorial checkpoints to training_1/cp.weights.h5."""
    model = small_model()
    model.fit(X, Y, epochs=1, batch_size=16, verbose=0, callbacks=[
        ModelCheckpoint(str(tmp_path / "training_1" / "cp.weights.h5"), save_weights_only=True),
        ModelCheckpoint(str(tmp_path / "runs" / "{epoch:02d}" / "model.npz"))])
    assert (tmp_path / "training_1" / "cp.weights.h5").is_file()
    assert (tmp_path / "runs" / "01" / "model.npz").is_file()


# -- CSVLogger --------------------------------------------------------------------------
def test_csv_logger_writes_one_row_per_epoch_and_appends(tmp_path):
    path = tmp_path / "log.csv"
    model = small_model()
    model.fit(X, Y, epochs=2, batch_size=16, validation_split=0.25, verbose=0, callbacks=[CSVLogger(path)])
    model.fit(X, Y, initial_epoch=2, epochs=3, batch_size=16, validation_split=0.25, verbose=0,
              callbacks=[CSVLogger(path, append=True)])
    rows = list(csv.DictReader(path.open()))
    assert [row["epoch"] for row in rows] == ["0", "1", "2"]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(rows[0])
    assert float(rows[-1]["loss"]) == pytest.approx(model.history.history["loss"][-1])


# -- TerminateOnNaN ---------------------------------------------------------------------
class Poison(Layer):
    """Identity with one weight, a state counter, and a NaN gradient from batch ``bad`` on."""

    def __init__(self, bad, **kwargs):
        super().__init__(**kwargs)
        self.bad, self.calls = bad, 0

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        self.add_param("scale", np.ones(1))
        self.state["batches_seen"] = np.zeros(1, dtype=self.dtype)

    def forward(self, x, training=False):
        if training:
            self.state["batches_seen"] += 1
        return x * self.params["scale"]

    def backward(self, dy):
        self.calls += 1
        self.grads["scale"][...] = np.nan if self.calls > self.bad else 0.0
        return dy * self.params["scale"]


class WeightRecorder(Callback):
    def on_batch_begin(self, batch, logs=None):
        self.last = self.model.weights[0].copy()


def test_terminate_on_nan_stops_at_a_bad_gradient_with_the_last_good_weights(capsys):
    model = Sequential([Dense(4, input_shape=(4,)), Poison(bad=5, name="poison"),
                        Dense(2, activation="softmax")], seed=0)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    guard, recorder = TerminateOnNaN(), WeightRecorder()
    history = model.fit(X, Y, epochs=3, batch_size=16, verbose=0, callbacks=[recorder, guard])
    # Batches 1-5 were good; the 6th (epoch 2, batch 2) gave a NaN gradient.
    assert "epoch 2, batch 2" in guard.message and "layer 'poison'" in guard.message
    assert "Invalid loss, terminating training (a gradient became non-finite at epoch 2, batch 2" in capsys.readouterr().out
    np.testing.assert_array_equal(model.weights[0], recorder.last)     # untouched by the bad step
    assert np.isfinite(model.weights[0]).all()
    assert model.layers[1].state["batches_seen"][0] == 5               # the bad batch's update undone
    assert history.epoch == [0, 1] and np.isnan(history.history["loss"][-1])
    assert model.optimizer.iterations == 5 and model.check_gradients is False


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_terminate_on_nan_stops_at_a_nan_loss_naming_the_layer():
    model = Sequential([Dense(8, activation="relu", input_shape=(4,), name="big"),
                        Dense(2, name="out")], seed=0)
    model.compile(SGD(1e6), "mse")
    guard = TerminateOnNaN()
    model.fit(X * 1e10, np.ones((64, 2), np.float32), epochs=5, batch_size=16, verbose=0,
              callbacks=[guard])
    # Batch 1's huge step makes batch 2's outputs overflow: the first non-finite output is 'out'.
    assert guard.message.startswith("loss became inf at epoch 1, batch 2 (first in the output of layer 'out')")
    assert all(np.isfinite(w).all() for w in model.weights)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_without_the_callback_a_nan_loss_raises_and_nothing_is_checked_per_batch():
    model = Sequential([Dense(2, input_shape=(4,))], seed=0)
    model.compile(SGD(1e6), "mse")
    with pytest.raises(TrainingError, match="loss became .* at epoch 1, batch"):
        model.fit(X * 1e10, np.ones((64, 2), np.float32), epochs=5, batch_size=16, verbose=0)
    assert model.check_gradients is False


# -- learning-rate callbacks --------------------------------------------------------------
def test_learning_rate_scheduler_sets_and_logs_the_rate_per_epoch():
    model = small_model(Adam(0.01))
    history = model.fit(X, Y, epochs=3, batch_size=32, verbose=0,
                        callbacks=[LearningRateScheduler(lambda epoch, lr: 0.01 * 0.5 ** epoch)])
    assert history.history["learning_rate"] == pytest.approx([0.01, 0.005, 0.0025])
    model = small_model(Adam(0.01))
    model.fit(X, Y, epochs=2, verbose=0, callbacks=[LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1))])
    assert model.optimizer.learning_rate == pytest.approx(0.05)


def test_learning_rate_scheduler_rejects_bad_rates_and_schedule_objects():
    with pytest.raises(ValueError, match="the schedule returned -1.0 for epoch 0"):
        small_model().fit(X, Y, verbose=0, callbacks=[LearningRateScheduler(lambda e, lr: -1.0)])
    with pytest.raises(TypeError, match="learning_rate is a schedule"):
        small_model(Adam(StepDecay(0.1, 10))).fit(X, Y, verbose=0, callbacks=[ReduceLROnPlateau()])


def test_reduce_lr_on_plateau_cuts_after_patience_with_cooldown_and_floor():
    model = small_model(Adam(1.0))
    callback = ReduceLROnPlateau(factor=0.5, patience=1, cooldown=2, min_lr=0.2)
    callback.set_model(model)
    callback.on_train_begin()
    rates = []
    for value in [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5]:
        callback.on_epoch_end(len(rates), {"val_loss": value})
        rates.append(model.optimizer.learning_rate)
    # Cut at epoch 1, two cooldown epochs (Keras counts the cut epoch), cut at 3, then the floor.
    assert rates == pytest.approx([1.0, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2, 0.2])


def test_keras_2_decay_goes_on_under_the_rate_the_callbacks_set():
    """Keras 2's ``SGD(lr=0.01, decay=1e-6)`` with ReduceLROnPlateau, as older tutorials
    write them: the callback cuts the rate before decay, and the decay goes on applying."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        model = small_model(SGD(lr=0.1, decay=0.01))
    plateau = ReduceLROnPlateau(monitor="loss", mode="max", factor=0.5, patience=0)  # a falling loss never improves
    history = model.fit(X, Y, epochs=3, batch_size=len(X), verbose=0, callbacks=[plateau])
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.1, 0.05])    # logged before the cut
    assert model.optimizer.learning_rate == pytest.approx(0.025 / (1 + 0.01 * 3))
    model.fit(X, Y, epochs=2, batch_size=len(X), verbose=0, callbacks=[LearningRateScheduler(lambda e, lr: 0.2)])
    assert model.optimizer.schedule.initial_learning_rate == 0.2
    assert model.optimizer.learning_rate == pytest.approx(0.2 / (1 + 0.01 * 5))


def test_progress_bar_reads_like_keras_inside_and_after_the_epoch():
    import io

    from glassnet.engine.callbacks import ProgressBar

    stream = io.StringIO()
    bar = ProgressBar(verbose=1, stream=stream, live=True)
    bar.params = {"epochs": 3, "steps": 4}
    bar.on_train_begin()
    bar.on_epoch_begin(0)
    bar.bar.mininterval, bar.bar.miniters = 0, 1      # redraw on every batch
    for batch in range(3):
        bar.on_train_batch_end(batch, {"accuracy": 0.25, "loss": 0.5})
    bar.on_epoch_end(0, {"accuracy": 0.25, "loss": 0.5, "seconds": 1.0})
    out = stream.getvalue()
    assert "Epoch 1/3" in out
    assert "3/4 ━━━━━━━━━━━━━━━───── ETA " in out and " - accuracy: 0.2500 - loss: 0.5000" in out
    assert ", loss" not in out                          # no tqdm postfix comma
    last = out.splitlines()[-1]
    # the seconds are the wall clock's (0s here, more on a busy machine): Keras's layout, not a time
    assert re.match(r"4/4 ━{20} \d+s \d+(us|ms)/step - accuracy", last)        # Keras 3's line
    assert "seconds" not in last


class _Classifier:
    """What LearningCheck asks of a model: how many classes it scores."""

    def __init__(self, classes):
        self.classes = classes

    def output_classes(self):
        return self.classes


def _learning_check(first_loss, epoch_loss, classes):
    """Run LearningCheck over one epoch that began at ``first_loss`` and ended at ``epoch_loss``;
    the warnings it gave."""
    from glassnet.engine.callbacks.learning_check import LearningCheck

    check = LearningCheck()
    check.set_model(_Classifier(classes))
    check.on_train_begin()
    check.on_train_batch_end(0, {"loss": first_loss})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check.on_epoch_end(0, {"loss": epoch_loss})
    return [str(w.message) for w in caught]


def test_a_fine_tuned_classifier_whose_loss_rises_a_little_is_not_diverging():
    # A trained model starts at 0.003 on MNIST and ends an epoch of a new writer's digits at
    # 0.03: ten times higher, and still a model that is learning.
    assert _learning_check(0.0033, 0.03, classes=10) == []
    # A fine-tuning run that really blows up is still called out ...
    assert "diverging" in _learning_check(0.0033, 5.0, classes=10)[0]
    # ... and so is a run from scratch whose loss triples.
    assert "diverging" in _learning_check(2.3, 7.5, classes=10)[0]
    # Without classes (a regression), the first loss alone is the yardstick.
    assert "diverging" in _learning_check(0.01, 0.05, classes=None)[0]


def test_keras_2s_period_saves_every_that_many_epochs(tmp_path):
    """Keras 2's ModelCheckpoint('weights-{epoch:02d}.npz', period=2), with a warning."""
    with pytest.warns(DeprecationWarning, match="period= is Keras 2's"):
        checkpoint = ModelCheckpoint(str(tmp_path / "weights-{epoch:02d}.npz"), save_weights_only=True, period=2)
    small_model().fit(X, Y, epochs=5, verbose=0, callbacks=[checkpoint])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["weights-02.npz", "weights-04.npz"]
    with pytest.raises(ValueError, match="period must be a whole number of epochs >= 1"):
        ModelCheckpoint(str(tmp_path / "m.npz"), period=0)
