"""Optimizer steps against values computed by hand from the update rules."""

import numpy as np
import pytest

from glassnet.optimizers import SGD, Adam, get


def run(optimizer, grads, w0=1.0):
    w = np.array([w0], np.float64)
    for g in grads:
        optimizer.step([w], [np.array([g])])
    return w[0]


def test_plain_sgd():
    assert run(SGD(0.1), [2.0, -1.0]) == pytest.approx(1 - 0.2 + 0.1)


def test_sgd_momentum():
    # v1 = -0.1*2 = -0.2, w = 0.8; v2 = 0.9*-0.2 - 0.1*1 = -0.28, w = 0.52
    assert run(SGD(0.1, momentum=0.9), [2.0, 1.0]) == pytest.approx(0.52)


def test_sgd_nesterov():
    # v1 = -0.2, w = 1 + 0.9*-0.2 - 0.2 = 0.62
    # v2 = -0.28, w = 0.62 + 0.9*-0.28 - 0.1 = 0.268
    assert run(SGD(0.1, momentum=0.9, nesterov=True), [2.0, 1.0]) == pytest.approx(0.268)


def test_adam_first_steps_by_hand():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-7
    w, m, v = 1.0, 0.0, 0.0
    for t, g in enumerate([0.5, -2.0, 1.0], start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        lr_t = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        w -= lr_t * m / (np.sqrt(v) + eps)
    optimizer = Adam(lr)
    assert run(optimizer, [0.5, -2.0, 1.0]) == pytest.approx(w, rel=1e-12)
    assert optimizer.iterations == 3


def test_adam_first_step_moves_each_weight_by_lr():
    """With bias correction, Adam's first step is lr * sign(g), whatever the gradient's size."""
    w = np.array([1.0, 1.0, 1.0], np.float32)
    Adam(0.01).step([w], [np.array([0.5, -3.0, 50.0], np.float32)])
    np.testing.assert_allclose(w, [0.99, 1.01, 0.99], rtol=1e-4)
    assert w.dtype == np.float32


def test_state_is_kept_per_parameter():
    optimizer = SGD(0.1, momentum=0.5)
    a, b = np.zeros(2), np.zeros(3)
    optimizer.step([a, b], [np.ones(2), -np.ones(3)])
    assert [s.shape for s in optimizer.slots["velocity"]] == [(2,), (3,)]


def test_schedules_are_called_with_the_step():
    optimizer = SGD(lambda step: 0.1 / (step + 1))
    assert run(optimizer, [1.0, 1.0]) == pytest.approx(1 - 0.1 - 0.05)


def test_aliases_and_errors():
    assert isinstance(get("adam"), Adam) and isinstance(get("SGD"), SGD)
    with pytest.raises(ValueError, match="unknown optimizer 'adamaxx'"):
        get("adamaxx")
    with pytest.raises(ValueError, match="learning_rate must be > 0, got -1"):
        Adam(-1)
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\), got 1.2"):
        SGD(momentum=1.2)


def test_the_learning_rate_answers_assign_as_keras_variable_does():
    """The fine-tuning tutorials lower the rate with ``optimizer.learning_rate.assign(1e-5)``."""
    from glassnet.engine.optimizers import Adam
    optimizer = Adam(1e-3)
    rate = optimizer.learning_rate
    assert rate == 1e-3 and rate * 2 == 2e-3 and rate.numpy() == 1e-3
    rate.assign(1e-5)
    assert optimizer.learning_rate == 1e-5 and optimizer.get_config()["learning_rate"] == 1e-5
    import copy
    import pickle
    for kept in (copy.deepcopy(rate), pickle.loads(pickle.dumps(rate))):   # (a report copies it)
        assert type(kept) is float and kept == 1e-3

