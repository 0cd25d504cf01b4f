"""Keras 3's optimizer surface: Nadam and Adamax by hand, weight_decay on every optimizer,
Keras 2's lr= and decay=, the learning_rate property, names and configs, and the three new
schedules. The step-by-step comparisons with Keras are in ``test_keras_reference``."""

import math

import numpy as np
import pytest

from glassnet.engine import optimizers, schedules
from glassnet.engine.optimizers import SGD, Adadelta, Adam, Adamax, AdamW, Nadam, RMSprop


def steps(optimizer, w0, grads):
    w = np.array(w0, dtype=np.float64)
    for g in grads:
        optimizer.step([w], [np.array(g, dtype=np.float64)])
    return w


def test_nadam_first_two_steps_by_hand():
    lr, b1, b2, eps, g1, g2 = 0.1, 0.9, 0.999, 1e-7, 2.0, -1.0
    u = [b1 * (1 - 0.5 * 0.96 ** t) for t in (1, 2, 3)]                     # u_1, u_2, u_3
    w, m, v, product = 1.0, 0.0, 0.0, 1.0
    for t, g in ((1, g1), (2, g2)):
        product *= u[t - 1]
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = u[t] * m / (1 - product * u[t]) + (1 - u[t - 1]) * g / (1 - product)
        w -= lr * m_hat / (math.sqrt(v / (1 - b2 ** t)) + eps)
    assert steps(Nadam(lr), [1.0], [[g1], [g2]])[0] == pytest.approx(w, rel=1e-12)


def test_nadam_after_a_reload_continues_the_momentum_product():
    grads = np.random.default_rng(0).normal(size=(6, 4))
    whole = steps(Nadam(0.01), np.ones(4), grads)
    first = Nadam(0.01)
    w = steps(first, np.ones(4), grads[:3])
    second = Nadam(0.01)                        # a fresh optimizer with the saved state
    second.iterations, second.slots = first.iterations, first.slots
    np.testing.assert_allclose(steps(second, w, grads[3:]), whole, rtol=1e-12)


def test_adamax_first_two_steps_by_hand():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-7
    w, m, u = 1.0, 0.0, 0.0
    for t, g in ((1, 2.0), (2, -3.0)):
        m = b1 * m + (1 - b1) * g
        u = max(b2 * u, abs(g))
        w -= lr * m / ((1 - b1 ** t) * (u + eps))
    assert steps(Adamax(lr), [1.0], [[2.0], [-3.0]])[0] == pytest.approx(w, rel=1e-12)


def test_adadelta_three_steps_by_hand_and_as_keras_takes_them():
    lr, rho, eps = 1.0, 0.9, 1e-7
    grads = [[2.0, -1.0, 0.25], [-1.0, 0.5, 0.5], [0.3, 0.3, -2.0]]
    w, a, d = np.array([1.0, -2.0, 0.5]), np.zeros(3), np.zeros(3)
    for g in np.array(grads):
        a = rho * a + (1 - rho) * g * g
        step = -np.sqrt(d + eps) / np.sqrt(a + eps) * g
        d = rho * d + (1 - rho) * step * step
        w = w + lr * step
    np.testing.assert_allclose(steps(Adadelta(lr, rho=rho), [1.0, -2.0, 0.5], grads), w, rtol=1e-12)
    # Keras 3.15 (TensorFlow backend), the same three steps in float32:
    # keras.optimizers.Adadelta(learning_rate=1.0, rho=0.9).apply_gradients(...)
    keras = np.array([0.99943656, -2.0000916, 0.4995402], dtype=np.float32)
    w32 = np.array([1.0, -2.0, 0.5], dtype=np.float32)
    optimizer = Adadelta(lr, rho=rho)
    for g in grads:
        optimizer.step([w32], [np.array(g, dtype=np.float32)])
    np.testing.assert_allclose(w32, keras, rtol=1e-6)
    assert optimizers.get("adadelta").learning_rate == 0.001 and Adadelta().rho == 0.95   # Keras 3's defaults


@pytest.mark.parametrize("make", [lambda: SGD(0.1, weight_decay=0.5), lambda: RMSprop(0.1, weight_decay=0.5),
                                  lambda: Nadam(0.1, weight_decay=0.5), lambda: Adamax(0.1, weight_decay=0.5)])
def test_weight_decay_shrinks_every_weight_before_the_update(make):
    # With a zero gradient only the decay moves the weights: w *= 1 - lr * wd, each step.
    w = steps(make(), [2.0, -4.0], [[0.0, 0.0]] * 3)
    np.testing.assert_allclose(w, np.array([2.0, -4.0]) * 0.95 ** 3, rtol=1e-6)


def test_adamw_is_adam_with_weight_decay_switched_on():
    grads = np.random.default_rng(1).normal(size=(4, 5))
    np.testing.assert_allclose(steps(AdamW(0.01, weight_decay=0.1), np.ones(5), grads),
                               steps(Adam(0.01, weight_decay=0.1), np.ones(5), grads), rtol=1e-15)
    with pytest.raises(ValueError, match="AdamW: weight_decay can't be None"):
        AdamW(weight_decay=None)


def test_keras_2_lr_decay_epsilon_none_and_amsgrad_false_work_with_a_warning():
    with pytest.warns(DeprecationWarning, match="Adam: lr= is Keras 2's name; use learning_rate="):
        adam = Adam(lr=0.05)
    assert adam.learning_rate == 0.05
    # Keras 2's decay: lr / (1 + decay * step), step counted from 0 (Keras 3 ignores it)
    with pytest.warns(DeprecationWarning, match="SGD: decay= is Keras 2's.*InverseTimeDecay"):
        sgd = SGD(0.1, decay=0.5)
    p = np.zeros(1)
    for _ in range(3):
        sgd.step([p], [np.ones(1)])
    np.testing.assert_allclose(p, -(0.1 + 0.1 / 1.5 + 0.1 / 2), rtol=1e-12)
    with pytest.raises(ValueError, match="decay= and a learning-rate schedule can't be combined"):
        SGD(schedules.ExponentialDecay(0.1, 10, 0.9), decay=0.5)
    # The line older tutorials copy whole: Adam(lr, beta_1, beta_2, epsilon=None, decay=0.0, amsgrad=False)
    with pytest.warns(DeprecationWarning, match="epsilon=None is Keras 2's way of saying 1e-7"):
        assert Adam(0.001, 0.9, 0.999, epsilon=None, decay=0.0, amsgrad=False).epsilon == 1e-7
    with pytest.raises(ValueError, match="amsgrad=True is not supported"):
        Adam(amsgrad=True)
    with pytest.raises(ValueError, match="gradient_accumulation_steps=4 is not supported"):
        Adam(gradient_accumulation_steps=4)
    with pytest.raises(TypeError, match="Adam: unknown argument"):
        Adam(betas=(0.9, 0.99))


def test_learning_rate_is_a_float_assignable_and_a_schedule_stays_one():
    sgd = SGD(0.1)
    sgd.learning_rate = 1e-4
    assert sgd.learning_rate == 1e-4 and sgd.lr == 1e-4 and sgd.schedule is None
    with pytest.raises(ValueError, match="learning_rate must be > 0, got -1"):
        sgd.learning_rate = -1
    scheduled = SGD(schedules.InverseTimeDecay(0.1, 1, 1.0))
    assert scheduled.learning_rate == pytest.approx(0.1)          # evaluated at iterations = 0
    steps(scheduled, [0.0], [[1.0]])
    assert scheduled.learning_rate == pytest.approx(0.05)          # Keras 3 reports the value
    with pytest.raises(TypeError, match="the learning rate is a schedule"):
        scheduled.learning_rate = 0.01
    scheduled.learning_rate = schedules.StepDecay(0.5, 10)         # a new schedule is fine
    assert scheduled.learning_rate == 0.5


def test_names_configs_and_get():
    assert Nadam().name == "nadam" and Adam(name="my_adam").name == "my_adam"
    for alias, cls in (("nadam", Nadam), ("Adamax", Adamax), ("adamax", Adamax)):
        assert type(optimizers.get(alias)) is cls
    original = Nadam(schedules.PolynomialDecay(0.1, 100), beta_1=0.8, weight_decay=0.01, name="n")
    rebuilt = optimizers.get(optimizers.serialize(original))
    assert type(rebuilt) is Nadam and rebuilt.get_config() == original.get_config()
    assert Adam().get_config()["name"] == "adam"


def test_new_optimizers_allocate_no_network_sized_temporaries():
    import tracemalloc
    for optimizer in (Nadam(0.01), Adamax(0.01), Adadelta(1.0), SGD(0.01, weight_decay=0.1)):
        w, g = np.ones(250_000, np.float32), np.full(250_000, 0.1, np.float32)
        optimizer.step([w], [g])
        tracemalloc.start()
        optimizer.step([w], [g])
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < w.nbytes / 10 and w.dtype == np.float32


# -- schedules -----------------------------------------------------------------------------

def test_polynomial_decay_by_hand():
    s = schedules.PolynomialDecay(1.0, 10, end_learning_rate=0.1, power=2.0)
    assert s(0) == 1.0 and s(5) == pytest.approx(0.9 * 0.25 + 0.1) and s(10) == s(50) == pytest.approx(0.1)
    cyclic = schedules.PolynomialDecay(1.0, 10, end_learning_rate=0.0, cycle=True)
    assert cyclic(15) == pytest.approx(1 - 15 / 20)                 # the second cycle is 20 long


def test_inverse_time_decay_by_hand():
    s = schedules.InverseTimeDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert s(0) == 0.1 and s(20) == pytest.approx(0.1 / 2) and s(15) == pytest.approx(0.1 / 1.75)
    assert schedules.InverseTimeDecay(0.1, 10, 0.5, staircase=True)(15) == pytest.approx(0.1 / 1.5)


def test_cosine_decay_restarts_by_hand():
    s = schedules.CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=2.0, m_mul=0.5, alpha=0.1)
    assert s(0) == pytest.approx(1.0) and s(5) == pytest.approx(0.9 * 0.5 + 0.1)
    assert s(10) == pytest.approx(0.9 * 0.5 + 0.1)                  # restart: half as high
    assert s(20) == pytest.approx(0.9 * 0.5 * 0.5 + 0.1)            # halfway through 20 steps
    assert schedules.CosineDecayRestarts(1.0, 10, t_mul=1.0)(15) == pytest.approx(0.5)


@pytest.mark.parametrize("schedule", [schedules.PolynomialDecay(0.1, 100, 0.001, 0.5, True),
                                      schedules.InverseTimeDecay(0.1, 10, 0.5, True),
                                      schedules.CosineDecayRestarts(0.1, 20, 1.5, 0.9, 0.05)])
def test_new_schedules_round_trip_through_their_config(schedule):
    rebuilt = schedules.deserialize(schedules.serialize(schedule))
    assert [rebuilt(s) for s in (0, 7, 33, 250)] == [schedule(s) for s in (0, 7, 33, 250)]


def test_schedules_are_where_keras_keeps_them():
    from glassnet.engine.optimizers import schedules as keras_place
    assert keras_place.CosineDecayRestarts is schedules.CosineDecayRestarts
    with pytest.raises(ValueError, match="PolynomialDecay: decay_steps must be > 0, got 0"):
        schedules.PolynomialDecay(0.1, 0)


def test_use_ema_averages_the_weights_by_hand_and_as_keras_does():
    # SGD(0.1), ema_momentum 0.5: the average starts at the weights after the first step,
    # then average = 0.5 * average + 0.5 * weights; finalize_variable_values swaps it in.
    grads = [[2.0, -1.0, 0.25], [-1.0, 0.5, 0.5], [0.3, 0.3, -2.0]]
    w, average = np.array([1.0, -2.0, 0.5]), None
    for g in np.array(grads):
        w = w - 0.1 * g
        average = w.copy() if average is None else 0.5 * average + 0.5 * w
    sgd = SGD(0.1, use_ema=True, ema_momentum=0.5)
    w64 = steps(sgd, [1.0, -2.0, 0.5], grads)
    np.testing.assert_allclose(w64, w, rtol=1e-12)               # the weights themselves move as before
    sgd.finalize_variable_values([w64])
    np.testing.assert_allclose(w64, average, rtol=1e-12)
    # Keras 3.15 (TensorFlow backend), the same steps in float32, before and after
    # optimizer.finalize_variable_values([w]); Adam with ema_overwrite_frequency=2 swaps the
    # average in after its second step too.
    keras = {"sgd": ([0.87, -1.98, 0.625], [0.86, -1.9525, 0.5375]),
             "adam": ([0.86843085, -1.8940238, 0.4318032], [0.89444685, -1.8970063, 0.39449555])}
    for name, optimizer in (("sgd", SGD(0.1, use_ema=True, ema_momentum=0.5)),
                            ("adam", Adam(0.1, use_ema=True, ema_momentum=0.9, ema_overwrite_frequency=2))):
        w32 = np.array([1.0, -2.0, 0.5], dtype=np.float32)
        for g in grads:
            optimizer.step([w32], [np.array(g, dtype=np.float32)])
        np.testing.assert_allclose(w32, keras[name][0], rtol=1e-6, atol=1e-6)
        optimizer.finalize_variable_values()
        np.testing.assert_allclose(w32, keras[name][1], rtol=1e-6, atol=1e-6)


def test_use_ema_settings_are_checked_and_kept_in_the_config():
    with pytest.raises(ValueError, match="Adam: ema_momentum must be in \\[0, 1\\], got 1.5"):
        Adam(use_ema=True, ema_momentum=1.5)
    with pytest.raises(ValueError, match="SGD: ema_overwrite_frequency must be a whole number >= 1 or None"):
        SGD(use_ema=True, ema_overwrite_frequency=0.5)
    config = Adam(0.01, use_ema=True, ema_momentum=0.95).get_config()
    assert config["use_ema"] and config["ema_momentum"] == 0.95 and config["ema_overwrite_frequency"] is None
    assert Adam.from_config(config).use_ema and "use_ema" not in Adam().get_config()
    sgd = SGD(0.1, use_ema=True)
    w = steps(sgd, [1.0], [[1.0]])
    with pytest.raises(ValueError, match="weight 0 of var_list is not one this optimizer has trained"):
        sgd.finalize_variable_values([np.zeros(1)])
    sgd.finalize_variable_values([w])


def test_fit_with_use_ema_ends_on_the_averaged_weights_and_resumes_exactly(tmp_path):
    from glassnet import Sequential
    from glassnet.engine.callbacks import Callback
    from glassnet.engine.layers import Dense
    from glassnet.engine.saving import load_for_resume

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 5)).astype(np.float32), rng.integers(0, 3, 64)

    def build():
        model = Sequential([Dense(8, activation="relu", input_shape=(5,)), Dense(3, activation="softmax")], seed=1)
        model.compile(Adam(0.01, use_ema=True, ema_momentum=0.9), "sparse_categorical_crossentropy")
        return model

    class Watch(Callback):
        def on_train_batch_end(self, batch, logs=None):
            self.live = [w.copy() for w in self.model.get_weights()]

        def on_epoch_end(self, epoch, logs=None):
            if epoch == 2:
                self.model.save(tmp_path / "mid.npz")

        def on_train_end(self, logs=None):
            self.final = [w.copy() for w in self.model.get_weights()]

    model, watch = build(), Watch()
    model.fit(x, y, epochs=5, batch_size=16, verbose=0, callbacks=[watch])
    averages = model.get_optimizer_state()["average"]
    assert not np.allclose(watch.live[0], watch.final[0])       # the last step's weights ...
    for (path, average), weight in zip(averages.items(), model.get_weights()):
        np.testing.assert_array_equal(weight, np.reshape(average, weight.shape), err_msg=path)  # ... gave way
    model.optimizer.finalize_variable_values(model.trainable_variables)   # Keras's call, Keras's names
    assert len(model.variables) == len(model.weights) == 4 and model.non_trainable_variables == []
    resumed = load_for_resume(tmp_path / "mid.npz")               # saved during fit: live weights + averages
    resumed.fit(x, y, initial_epoch=3, epochs=5, batch_size=16, verbose=0)
    for a, b in zip(resumed.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_swap_ema_weights_validates_on_the_averages_and_leaves_training_alone():
    from glassnet import Sequential
    from glassnet.engine.callbacks import Callback, SwapEMAWeights
    from glassnet.engine.layers import Dense

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(96, 5)).astype(np.float32), rng.integers(0, 3, 96)

    def train(*callbacks):
        model = Sequential([Dense(8, activation="relu", input_shape=(5,)), Dense(3, activation="softmax")], seed=1)
        model.compile(SGD(0.1, use_ema=True, ema_momentum=0.8), "sparse_categorical_crossentropy")
        history = model.fit(x[:64], y[:64], epochs=3, batch_size=16, verbose=0, callbacks=list(callbacks),
                            validation_data=(x[64:], y[64:]))
        return model, history.history["val_loss"][-1]

    class Saw(Callback):               # after SwapEMAWeights: what a ModelCheckpoint would save
        def on_epoch_end(self, epoch, logs=None):
            self.weights = [w.copy() for w in self.model.get_weights()]

    plain, plain_val = train()
    swapped, swapped_val = train(SwapEMAWeights())
    for a, b in zip(plain.get_weights(), swapped.get_weights()):   # the same training, the same end
        np.testing.assert_array_equal(a, b)
    final_val = plain.evaluate(x[64:], y[64:], verbose=0)           # the averages, in place after fit
    assert swapped_val == pytest.approx(final_val, rel=1e-6) and plain_val != pytest.approx(final_val, rel=1e-6)
    saw = Saw()
    on_epoch, _ = train(SwapEMAWeights(swap_on_epoch=True), saw)
    for a, b, c in zip(saw.weights, on_epoch.get_weights(), plain.get_weights()):
        np.testing.assert_array_equal(a, c)                        # the checkpoint saw the averages
        np.testing.assert_array_equal(b, c)                        # and fit still ends on them
    model = Sequential([Dense(3, input_shape=(5,))])
    model.compile(SGD(0.1), "mse")
    with pytest.raises(ValueError, match=r"SwapEMAWeights needs an optimizer with use_ema=True, got SGD"):
        model.fit(x, np.zeros((96, 3), np.float32), epochs=1, verbose=0, validation_split=0.25,
                  callbacks=[SwapEMAWeights()])


def test_the_step_count_answers_numpy_value_and_assign_as_keras_variable_does():
    """``model.optimizer.iterations.numpy()`` (a callback logging the step) raised: an int has
    no numpy(). It is still a number to compare, count with and save."""
    import copy
    import json

    import glassnet as keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.1), "mse")
    model.fit(np.ones((8, 3)), np.ones((8, 1)), batch_size=4, verbose=0)
    steps = model.optimizer.iterations
    assert steps == 2 and steps.numpy() == 2 and steps.value == 2 and steps + 1 == 3
    assert json.dumps({"steps": steps}) == '{"steps": 2}' and type(copy.deepcopy(steps)) is int
    steps.assign(10)
    assert model.optimizer.iterations == 10
    model.fit(np.ones((8, 3)), np.ones((8, 1)), batch_size=4, verbose=0)
    assert int(model.optimizer.iterations) == 12
