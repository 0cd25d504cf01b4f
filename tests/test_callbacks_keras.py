"""Keras 3's callback protocol: every hook, CallbackList, History, LambdaCallback, the
learning-rate log, EarlyStopping's restore at the end, TerminateOnNaN as an ordinary callback,
ModelCheckpoint's options and the progress display of fit, evaluate and predict.

These drive the callbacks by hand with a small stand-in model, so they test the protocol
whatever the training loop looks like.
"""

import io
import re
import warnings

import numpy as np
import pytest

from glassnet.engine.callbacks import (Callback, CallbackList, EarlyStopping, History,
                                       LambdaCallback, LearningRateScheduler, ModelCheckpoint,
                                       ProgressBar, ReduceLROnPlateau, TerminateOnNaN)
from glassnet.engine.optimizers import SGD


class StandIn:
    """The parts of a model callbacks use: weights, an optimizer, saving, stop_training."""

    def __init__(self):
        self.w = np.zeros(3)
        self.optimizer = SGD(0.1)
        self.stop_training = False
        self.saved = []
        self.metrics = []

    def get_weights(self):
        return [self.w.copy()]

    def set_weights(self, weights):
        self.w[...] = weights[0]

    def save(self, path):
        self.saved.append(("model", path))

    def save_weights(self, path):
        self.saved.append(("weights", path))


def run_epochs(callbacks, model, values, monitor="val_loss"):
    """on_train_begin, then one epoch per value of ``monitor``, then on_train_end."""
    hooks = CallbackList(callbacks, model, {"epochs": len(values), "steps": 1})
    hooks.on_train_begin()
    logs_seen = []
    for epoch, value in enumerate(values):
        hooks.on_epoch_begin(epoch)
        model.w[...] = epoch                  # mark the weights with the epoch that made them
        logs = {monitor: value}
        hooks.on_epoch_end(epoch, logs)
        logs_seen.append(logs)
        if model.stop_training:
            break
    hooks.on_train_end()
    return logs_seen


# -- the protocol ------------------------------------------------------------------------

def test_every_keras_3_hook_exists_and_does_nothing_by_default():
    callback = Callback()
    for hook in ("on_train_begin", "on_train_end", "on_test_begin", "on_test_end", "on_predict_begin",
                 "on_predict_end"):
        getattr(callback, hook)(logs={})
    for hook in ("on_epoch_begin", "on_epoch_end", "on_train_batch_begin", "on_train_batch_end",
                 "on_test_batch_begin", "on_test_batch_end", "on_predict_batch_begin",
                 "on_predict_batch_end", "on_batch_begin", "on_batch_end"):
        getattr(callback, hook)(0, logs={})


def test_keras_2_batch_hooks_are_called_from_the_train_batch_hooks():
    seen = []

    class Old(Callback):
        def on_batch_begin(self, batch, logs=None):
            seen.append(("begin", batch))

        def on_batch_end(self, batch, logs=None):
            seen.append(("end", batch, logs["loss"]))

    hooks = CallbackList([Old()], StandIn(), {})
    assert hooks.has_train_batch_hooks and not hooks.has_test_batch_hooks
    hooks.on_train_batch_begin(0)
    hooks.on_train_batch_end(0, {"loss": 0.5})
    assert seen == [("begin", 0), ("end", 0, 0.5)]


def test_batch_hook_families_are_skipped_when_nobody_uses_them():
    class OnlyPredict(Callback):
        def on_predict_batch_end(self, batch, logs=None):
            self.batches = getattr(self, "batches", 0) + 1

    only = OnlyPredict()
    hooks = CallbackList([Callback(), History(), only], StandIn(), {})
    assert (hooks.has_train_batch_hooks, hooks.has_test_batch_hooks, hooks.has_predict_batch_hooks) \
        == (False, False, True)
    hooks.on_train_batch_end(0, {})                  # nothing to call: returns at once
    hooks.on_predict_batch_end(0, {})
    hooks.on_predict_batch_end(1, {})
    assert only.batches == 2


def test_callback_list_adds_history_after_the_users_callbacks_and_hands_model_and_params():
    model, user = StandIn(), Callback()
    hooks = CallbackList([user], model, {"epochs": 2, "steps": 3, "verbose": 0},
                         add_history=True, add_progbar=True)
    assert hooks.callbacks[0] is user and isinstance(hooks.callbacks[1], History)
    assert len(hooks.callbacks) == 2                 # verbose=0: no progress bar
    assert user.model is model and user.params["steps"] == 3
    assert hooks.history is hooks.callbacks[1]


def test_history_records_every_epoch_and_becomes_model_history():
    model = StandIn()
    history = History()
    run_epochs([history], model, [0.5, 0.4], "loss")
    assert history.epoch == [0, 1] and history.history == {"loss": [0.5, 0.4]}
    assert model.history is history


def test_lambda_callback_calls_the_given_functions_and_only_those():
    seen = []
    callback = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append((epoch, logs["loss"])),
                              on_train_begin=lambda logs: seen.append("begin"),
                              on_test_end=lambda logs: seen.append("test end"))
    hooks = CallbackList([callback], StandIn(), {})
    assert not hooks.has_train_batch_hooks
    hooks.on_train_begin()
    hooks.on_epoch_end(0, {"loss": 1.5})
    hooks.on_test_end({})
    assert seen == ["begin", (0, 1.5), "test end"]
    assert CallbackList([LambdaCallback(on_train_batch_end=lambda b, logs: None)], None, {}).has_train_batch_hooks
    with pytest.raises(TypeError, match="'on_weird' is not a callback hook"):
        LambdaCallback(on_weird=print)


# -- learning rates ------------------------------------------------------------------------

def test_learning_rate_callbacks_write_the_rate_into_the_logs_as_keras_3():
    model = StandIn()
    logs = run_epochs([LearningRateScheduler(lambda epoch, lr: 0.1 * 0.5 ** epoch)], model, [1, 1, 1])
    assert [entry["learning_rate"] for entry in logs] == pytest.approx([0.1, 0.05, 0.025])
    model = StandIn()
    logs = run_epochs([ReduceLROnPlateau(factor=0.5, patience=1)], model, [1.0, 1.0, 1.0])
    # The rate of each epoch (logged before the cut it may cause), as Keras 3 logs it.
    assert [entry["learning_rate"] for entry in logs] == pytest.approx([0.1, 0.1, 0.05])
    assert model.optimizer.learning_rate == pytest.approx(0.025)


def test_history_after_the_learning_rate_callbacks_records_the_rate():
    model = StandIn()
    hooks = CallbackList([ReduceLROnPlateau(patience=0)], model, {}, add_history=True)
    hooks.on_train_begin()
    hooks.on_epoch_end(0, {"val_loss": 1.0})
    assert hooks.history.history["learning_rate"] == [pytest.approx(0.1)]


# -- EarlyStopping, Keras 3 ---------------------------------------------------------------

def test_early_stopping_restores_the_best_weights_when_training_ends_even_without_stopping():
    model = StandIn()
    stopper = EarlyStopping(patience=5, restore_best_weights=True, verbose=1)
    run_epochs([stopper], model, [0.9, 0.5, 0.7])     # all epochs run; epoch 1 was the best
    assert not model.stop_training and stopper.stopped_epoch == 0
    assert np.all(model.w == 1) and stopper.best == 0.5 and stopper.best_epoch == 1


def test_early_stopping_counts_no_epoch_whose_figure_is_missing():
    model = StandIn()
    stopper = EarlyStopping(monitor="val_accuracy", patience=0)
    with pytest.warns(RuntimeWarning, match="EarlyStopping is conditioned on 'val_accuracy'"):
        run_epochs([stopper], model, [0.1, 0.2], "loss")
    assert stopper.wait == 0 and not model.stop_training


def test_early_stopping_start_from_epoch_and_max_mode():
    model = StandIn()
    stopper = EarlyStopping(monitor="val_accuracy", patience=1, start_from_epoch=2)
    ran = run_epochs([stopper], model, [0.9, 0.1, 0.5, 0.4, 0.3], "val_accuracy")
    assert len(ran) == 4 and stopper.best == 0.5       # epochs 0 and 1 are not watched


# -- TerminateOnNaN, an ordinary callback --------------------------------------------------

def test_terminate_on_nan_stops_training_and_says_why(capsys):
    model = StandIn()
    model.nonfinite_reason = "loss became nan at epoch 1, batch 3 (first in the output of layer 'dense')"
    guard = TerminateOnNaN()
    hooks = CallbackList([guard], model, {})
    assert hooks.has_train_batch_hooks
    hooks.on_train_begin()
    hooks.on_train_batch_end(1, {"loss": 0.7})
    assert not model.stop_training and guard.message is None
    hooks.on_train_batch_end(2, {"loss": float("nan")})
    assert model.stop_training and guard.message == model.nonfinite_reason
    out = capsys.readouterr().out
    assert "Batch 2: Invalid loss, terminating training (loss became nan at epoch 1" in out


def test_terminate_on_nan_reacts_to_infinity_too():
    model = StandIn()
    guard = TerminateOnNaN()
    guard.set_model(model)
    guard.on_train_begin()
    guard.on_train_batch_end(0, {"loss": float("inf")})
    assert model.stop_training and guard.message == "Batch 0: Invalid loss, terminating training"


# -- ModelCheckpoint -------------------------------------------------------------------------

def test_checkpoint_saves_weights_only_and_best_only_as_asked():
    model = StandIn()
    checkpoint = ModelCheckpoint("w-{epoch:02d}.weights.h5", save_weights_only=True,
                                 save_best_only=True, monitor="val_loss")
    run_epochs([checkpoint], model, [0.9, 1.0, 0.5])
    assert model.saved == [("weights", "w-01.weights.h5"), ("weights", "w-03.weights.h5")]


def test_checkpoint_every_n_batches_and_initial_threshold():
    model = StandIn()
    checkpoint = ModelCheckpoint("m-{epoch}-{batch}.keras", save_freq=2)
    hooks = CallbackList([checkpoint], model, {})
    assert hooks.has_train_batch_hooks
    hooks.on_train_begin()
    hooks.on_epoch_begin(0)
    for batch in range(5):
        hooks.on_train_batch_end(batch, {"loss": 1.0})
    hooks.on_epoch_end(0, {"loss": 1.0})
    assert model.saved == [("model", "m-1-2.keras"), ("model", "m-1-4.keras")]
    assert not CallbackList([ModelCheckpoint("m.keras")], model, {}).has_train_batch_hooks
    model = StandIn()
    run_epochs([ModelCheckpoint("m.keras", save_best_only=True, initial_value_threshold=0.6)], model,
               [0.9, 0.7, 0.5])
    assert model.saved == [("model", "m.keras")]     # only 0.5 beat the threshold
    with pytest.raises(ValueError, match="save_freq must be 'epoch' or a whole number"):
        ModelCheckpoint("m.keras", save_freq="batch")


# -- the progress display -------------------------------------------------------------------

def drive_fit(bar, steps=4, validation_steps=3):
    bar.set_params({"epochs": 1, "steps": steps, "validation_steps": validation_steps})
    bar.on_train_begin()
    bar.on_epoch_begin(0)
    if bar.bar is not None:
        bar.bar.mininterval, bar.bar.miniters = 0, 1
    for batch in range(steps):
        bar.on_train_batch_end(batch, {"accuracy": 0.5, "loss": 0.25})
    bar.on_test_begin()
    if bar.bar is not None:
        bar.last_redraw = -1e9                        # redraw on the next validation batch
    for batch in range(validation_steps):
        bar.on_test_batch_end(batch, {})
        if bar.bar is not None:
            bar.bar.refresh()
            bar.last_redraw = -1e9
    bar.on_test_end({"loss": 0.3})
    bar.on_epoch_end(0, {"accuracy": 0.5, "loss": 0.25, "val_loss": 0.3})
    bar.on_train_end()


def test_the_bar_says_it_is_validating_instead_of_sitting_at_the_end():
    stream = io.StringIO()
    drive_fit(ProgressBar(1, stream, live=True))
    out = stream.getvalue()
    assert "4/4 ━━━━━━━━━━━━━━━━━━━━ - validating 3/3" in out
    assert out.splitlines()[-1].endswith("- accuracy: 0.5000 - loss: 0.2500 - val_loss: 0.3000")


def test_without_a_terminal_only_the_summary_lines_are_printed():
    stream = io.StringIO()                            # not a terminal
    bar = ProgressBar(1, stream)
    assert bar.live is False
    drive_fit(bar)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1             # one epoch: no "Epoch 1/1" header, as in Keras 3
    assert lines[0].startswith("4/4 ━━━━━━━━━━━━━━━━━━━━ 0s ")


def test_verbose_2_prints_one_line_per_epoch_without_a_bar():
    stream = io.StringIO()
    drive_fit(ProgressBar(2, stream, live=True))
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("4/4 - 0s - ") and "[" not in lines[0]
    assert re.match(r"4/4 - 0s - \d+(us|ms)/step - accuracy", lines[0])       # Keras 3.15's layout


@pytest.mark.parametrize("family", ["test", "predict"])
def test_evaluate_and_predict_get_a_bar_and_a_summary(family):
    stream = io.StringIO()
    bar = ProgressBar(1, stream, live=True)
    bar.set_params({"steps": 5})
    getattr(bar, f"on_{family}_begin")()
    bar.bar.mininterval, bar.bar.miniters = 0, 1
    for batch in range(5):
        getattr(bar, f"on_{family}_batch_end")(batch, {"loss": 0.125})
    getattr(bar, f"on_{family}_end")({"accuracy": 0.75, "loss": 0.125})
    out = stream.getvalue()
    assert "3/5 ━━━━━━━━━━━━────────" in out          # the bar moves: 12 of 20 done
    last = out.splitlines()[-1]
    assert last.startswith("5/5 ━━━━━━━━━━━━━━━━━━━━ 0s ") and "/step" in last
    if family == "test":
        assert last.endswith("- accuracy: 0.7500 - loss: 0.1250")


def test_tiny_values_are_shown_in_scientific_notation_as_keras_does():
    from glassnet.engine.callbacks.progress import format_logs, format_time
    assert format_logs({"loss": 0.5, "learning_rate": 1e-4}) == "loss: 0.5000 - learning_rate: 1.0000e-04"
    assert format_time(3.2, 1600) == "3s 2ms/step" and format_time(0.5, 1000) == "0s 500us/step"


def test_nothing_is_printed_at_verbose_0():
    stream = io.StringIO()
    drive_fit(ProgressBar(0, stream, live=True))
    assert stream.getvalue() == ""


def test_no_warnings_from_the_hooks_of_a_quiet_run():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run_epochs([EarlyStopping(), History()], StandIn(), [1.0, 0.5])


def test_every_hook_gets_a_dict_of_logs_with_keras_keys():
    """keras.io's "Writing your own callbacks" prints list(logs.keys()) in every hook."""
    import glassnet as keras

    seen = {}

    class Keys(keras.callbacks.Callback):
        pass

    hooks = ["on_train_begin", "on_train_end", "on_test_begin", "on_test_end", "on_predict_begin",
             "on_predict_end"]
    for hook in hooks:
        setattr(Keys, hook, lambda self, logs=None, hook=hook: seen.setdefault(hook, sorted(logs)))
    for hook in ["on_epoch_begin", "on_epoch_end", "on_train_batch_begin", "on_train_batch_end",
                 "on_test_batch_begin", "on_test_batch_end", "on_predict_batch_begin", "on_predict_batch_end"]:
        setattr(Keys, hook, lambda self, index, logs=None, hook=hook: seen.setdefault(hook, sorted(logs)))
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)], seed=0)
    model.compile(optimizer="sgd", loss="mean_squared_error", metrics=["mean_absolute_error"])
    x, y = np.ones((8, 4), np.float32), np.ones(8, np.float32)
    model.fit(x, y, epochs=1, batch_size=4, verbose=0, validation_split=0.5, callbacks=[Keys()])
    model.predict(x, verbose=0, callbacks=[Keys()])
    metrics = ["loss", "mean_absolute_error"]
    assert seen == {
        "on_train_begin": [], "on_epoch_begin": [], "on_train_batch_begin": [], "on_train_batch_end": metrics,
        "on_test_begin": [], "on_test_batch_begin": [], "on_test_batch_end": metrics, "on_test_end": metrics,
        "on_epoch_end": metrics + ["val_loss", "val_mean_absolute_error"],
        "on_train_end": metrics + ["val_loss", "val_mean_absolute_error"],
        "on_predict_begin": [], "on_predict_batch_begin": [], "on_predict_batch_end": ["outputs"],
        "on_predict_end": []}
