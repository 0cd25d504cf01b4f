"""MSLE, MAPE, log-cosh, Poisson, the hinges and cosine similarity as losses: their values by
hand (their gradients are checked by the gradient-check catalogue)."""

import numpy as np
import pytest

import glassnet
from glassnet import losses

rng = np.random.default_rng(0)
Y, P = rng.random((6, 3)) + 0.1, rng.random((6, 3)) + 0.05


@pytest.mark.parametrize("loss, expected", [
    (losses.MeanSquaredLogarithmicError(), np.mean((np.log1p(P) - np.log1p(Y)) ** 2)),
    (losses.MeanAbsolutePercentageError(), 100 * np.mean(np.abs(Y - P) / Y)),
    (losses.LogCosh(), np.mean(np.log(np.cosh(P - Y)))),
    (losses.Poisson(), np.mean(P - Y * np.log(P + 1e-7))),
    (losses.CosineSimilarity(), -np.mean(np.sum(Y * P, 1) / np.linalg.norm(Y, axis=1) / np.linalg.norm(P, axis=1))),
])
def test_each_loss_is_its_formula(loss, expected):
    assert loss(Y, P) == pytest.approx(expected)


def test_hinge_reads_0_1_labels_as_minus_1_and_1():
    labels, scores = (Y > 0.6).astype(float), P * 2 - 1
    signed = 2 * labels - 1
    assert losses.Hinge()(labels, scores) == pytest.approx(np.mean(np.maximum(1 - signed * scores, 0)))
    assert losses.SquaredHinge()(signed, scores) == pytest.approx(np.mean(np.maximum(1 - signed * scores, 0) ** 2))


def test_they_are_found_by_keras_names_and_train_a_model():
    for name, cls in (("msle", "MeanSquaredLogarithmicError"), ("mape", "MeanAbsolutePercentageError"),
                      ("log_cosh", "LogCosh"), ("poisson", "Poisson"), ("squared_hinge", "SquaredHinge")):
        assert type(losses.get(name)).__name__ == cls
    assert type(losses.get(losses.log_cosh)).__name__ == "LogCosh"
    np.testing.assert_allclose(losses.log_cosh(Y, P), np.mean(np.log(np.cosh(P - Y)), axis=1))
    model = glassnet.Sequential([glassnet.Input((3,)), glassnet.layers.Dense(3)], seed=0)
    model.compile(glassnet.optimizers.SGD(0.1), "log_cosh")
    history = model.fit(Y, P, epochs=5, batch_size=6, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
