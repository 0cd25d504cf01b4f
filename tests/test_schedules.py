"""Learning-rate schedules: hand values, PyTorch's OneCycleLR, saving, bad input."""

import math

import numpy as np
import pytest

from glassnet import Sequential
from glassnet.engine import schedules
from glassnet.engine.layers import Dense
from glassnet.engine.optimizers import SGD, Adam
from glassnet.engine.saving import load_model
from glassnet.engine.schedules import (CosineDecay, ExponentialDecay, OneCycle,
                                       PiecewiseConstantDecay, StepDecay)


def test_step_decay():
    schedule = StepDecay(0.1, step_size=10, gamma=0.5)
    assert [schedule(s) for s in (0, 9, 10, 19, 20, 35)] == [0.1, 0.1, 0.05, 0.05, 0.025, 0.0125]


def test_piecewise_constant_decay_matches_keras_boundaries():
    schedule = PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.1])
    assert [schedule(s) for s in (0, 100, 101, 200, 201, 10_000)] == [1.0, 1.0, 0.5, 0.5, 0.1, 0.1]


def test_exponential_decay_smooth_and_staircase():
    smooth = ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5)
    assert smooth(0) == 0.1
    assert smooth(50) == pytest.approx(0.1 * 0.5 ** 0.5)
    assert smooth(200) == pytest.approx(0.025)
    stairs = ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5, staircase=True)
    assert stairs(99) == 0.1 and stairs(100) == pytest.approx(0.05) and stairs(250) == pytest.approx(0.025)


def test_cosine_decay_without_and_with_warmup():
    cosine = CosineDecay(1.0, decay_steps=100, alpha=0.1)
    assert cosine(0) == 1.0
    assert cosine(50) == pytest.approx(0.1 + 0.9 * 0.5)           # halfway down the cosine
    assert cosine(100) == pytest.approx(0.1) and cosine(500) == pytest.approx(0.1)
    warm = CosineDecay(0.0, decay_steps=100, warmup_target=1e-3, warmup_steps=10)
    assert warm(0) == 0.0
    assert warm(5) == pytest.approx(5e-4)                           # halfway up the ramp
    assert warm(10) == pytest.approx(1e-3)                          # the top
    assert warm(60) == pytest.approx(1e-3 * 0.5)                    # halfway down
    assert warm(110) == pytest.approx(0.0, abs=1e-15) and warm(10_000) == pytest.approx(0.0, abs=1e-15)


def test_one_cycle_by_hand():
    schedule = OneCycle(1.0, total_steps=101, pct_start=0.3, div_factor=10, final_div_factor=100)
    peak = 0.3 * 101 - 1
    assert schedule(0) == pytest.approx(0.1)                        # max / div_factor
    assert schedule(peak / 2) == pytest.approx(0.55)                # halfway up: the mean
    assert schedule(peak) == pytest.approx(1.0)
    assert schedule(100) == pytest.approx(0.001)                    # max / div / final_div
    assert schedule(500) == pytest.approx(0.001)


def test_peak_is_the_highest_rate_given_or_the_one_cycles_own():
    # Sampled for a decay: its first rate. A one-step one-cycle run is already at its floor
    # (2.4e-8) and never reaches its peak, which is still what it was built for.
    assert ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5).peak(1000) == pytest.approx(0.1)
    short = OneCycle(6e-3, total_steps=1, pct_start=0.25)
    assert short(0) < 1e-7 and short.peak(1) == 6e-3


def test_one_cycle_matches_torch():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install torch==2.13.0)")
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=0.1)
    reference = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=57, pct_start=0.25,
                                                    cycle_momentum=False)
    expected = []
    for _ in range(57):
        expected.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        reference.step() if len(expected) < 57 else None
    ours = OneCycle(0.1, total_steps=57, pct_start=0.25)
    np.testing.assert_allclose([ours(s) for s in range(57)], expected, rtol=1e-12)


def test_the_optimizer_follows_its_schedule_step_by_step():
    optimizer = SGD(StepDecay(1.0, step_size=2, gamma=0.1))
    w = np.zeros(1)
    rates = []
    for _ in range(5):
        rates.append(optimizer.lr)
        optimizer.step([w], [np.ones(1)])
    assert rates == pytest.approx([1.0, 1.0, 0.1, 0.1, 0.01])
    assert w[0] == pytest.approx(-(1 + 1 + 0.1 + 0.1 + 0.01))


def test_a_saved_model_reloads_its_schedule_and_step(tmp_path):
    x = np.random.default_rng(0).normal(size=(20, 3)).astype(np.float32)
    y = np.arange(20) % 2
    model = Sequential([Dense(2, activation="softmax", input_shape=(3,))], seed=0)
    schedule = CosineDecay(0.0, decay_steps=50, warmup_target=0.01, warmup_steps=5)
    model.compile(Adam(schedule), "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=5, verbose=0)
    model.save(tmp_path / "m.npz")
    loaded = load_model(tmp_path / "m.npz")
    assert isinstance(loaded.optimizer.schedule, CosineDecay)
    assert loaded.optimizer.schedule.get_config() == schedule.get_config()
    assert loaded.optimizer.iterations == 8 and loaded.optimizer.lr == model.optimizer.lr
    assert model.training_log.learning_rate[-1] == pytest.approx(schedule(8))   # logged every epoch
    assert loaded.training_log.learning_rate == model.training_log.learning_rate


def test_keras_schedules_take_and_report_their_name_as_keras_does():
    """Keras 3.15's get_config of each (glassnet's had no 'name'; name= was refused)."""
    assert ExponentialDecay(0.1, 10, 0.9).get_config() == {
        "initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.9, "staircase": False,
        "name": "ExponentialDecay"}
    assert PiecewiseConstantDecay([10, 20], [0.1, 0.05, 0.01]).get_config() == {
        "boundaries": [10, 20], "values": [0.1, 0.05, 0.01], "name": "PiecewiseConstant"}
    assert CosineDecay(0.1, decay_steps=40).get_config() == {
        "initial_learning_rate": 0.1, "decay_steps": 40, "alpha": 0.0, "name": "CosineDecay",
        "warmup_target": None, "warmup_steps": 0}
    named = ExponentialDecay(0.1, 10, 0.9, name="my_decay")
    assert schedules.deserialize(schedules.serialize(named)).name == "my_decay"


def test_serialize_round_trip_and_plain_functions():
    for schedule in (StepDecay(0.1, 5), PiecewiseConstantDecay([3], [0.1, 0.01]),
                     ExponentialDecay(0.1, 10, 0.9, True), CosineDecay(0.1, 10, alpha=0.2),
                     OneCycle(0.1, 100)):
        rebuilt = schedules.deserialize(schedules.serialize(schedule))
        assert type(rebuilt) is type(schedule)
        assert [rebuilt(s) for s in range(0, 120, 7)] == [schedule(s) for s in range(0, 120, 7)]
    assert schedules.serialize(0.5) == 0.5
    with pytest.raises(ValueError, match="a plain function has no config"):
        schedules.serialize(lambda step: 0.1)
    with pytest.raises(ValueError, match="unknown learning-rate schedule 'Nope'; known: "):
        schedules.deserialize({"class_name": "Nope", "config": {}})


@pytest.mark.parametrize("make, message", [
    (lambda: StepDecay(-0.1, 10), "StepDecay: initial_learning_rate must be > 0, got -0.1"),
    (lambda: StepDecay(0.1, 0), "StepDecay: step_size must be > 0, got 0"),
    (lambda: ExponentialDecay(0.1, 10, -0.5), "ExponentialDecay: decay_rate must be > 0, got -0.5"),
    (lambda: CosineDecay(-1.0, 10), "CosineDecay: initial_learning_rate must be > 0"),
    (lambda: CosineDecay(0.1, 10, alpha=2), r"CosineDecay: alpha must be in \[0, 1\], got 2"),
    (lambda: CosineDecay(0.0, 10, warmup_target=-1, warmup_steps=5), "warmup_target must be > 0"),
    (lambda: OneCycle(0.1, 100, pct_start=1.5), r"OneCycle: pct_start must be in \(0, 1\), got 1.5"),
    (lambda: OneCycle(-0.1, 100), "OneCycle: max_learning_rate must be > 0, got -0.1"),
    (lambda: PiecewiseConstantDecay([1, 2], [0.1]), "needs one value more than boundaries"),
    (lambda: PiecewiseConstantDecay([1], [0.1, -0.2]), "value must be > 0, got -0.2"),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_schedules_are_plain_python_floats():
    for schedule in (StepDecay(0.1, 5), CosineDecay(0.1, 10), OneCycle(0.1, 100)):
        assert isinstance(schedule(3), float) and math.isfinite(schedule(3))
