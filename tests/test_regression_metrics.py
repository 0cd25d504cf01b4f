"""RootMeanSquaredError, MAPE, MSLE, log-cosh, cosine, KL, Poisson and the hinges: by hand and
by scikit-learn where it has them."""

import numpy as np
import pytest

import glassnet
from glassnet import metrics

rng = np.random.default_rng(0)
Y_TRUE, Y_PRED = rng.random((20, 3)) + 0.1, rng.random((20, 3))


def _value(metric, y_true=Y_TRUE, y_pred=Y_PRED, weights=None):
    metric.update_state(y_true, y_pred, sample_weight=weights)
    return metric.result()


def test_the_regression_errors_are_scikit_learns():
    sklearn = pytest.importorskip("sklearn.metrics")
    assert _value(metrics.RootMeanSquaredError()) == pytest.approx(
        np.sqrt(sklearn.mean_squared_error(Y_TRUE, Y_PRED)))
    assert _value(metrics.MeanAbsolutePercentageError()) == pytest.approx(
        100 * sklearn.mean_absolute_percentage_error(Y_TRUE, Y_PRED))
    assert _value(metrics.MeanSquaredLogarithmicError()) == pytest.approx(
        sklearn.mean_squared_log_error(Y_TRUE, Y_PRED))


def test_the_others_by_their_formulas_and_rmse_is_the_root_of_all_it_saw():
    d = Y_PRED - Y_TRUE
    assert _value(metrics.LogCoshError()) == pytest.approx(np.mean(np.log(np.cosh(d))))
    cos = np.sum(Y_TRUE * Y_PRED, 1) / np.linalg.norm(Y_TRUE, axis=1) / np.linalg.norm(Y_PRED, axis=1)
    assert _value(metrics.CosineSimilarity()) == pytest.approx(cos.mean())
    assert _value(metrics.Poisson()) == pytest.approx(np.mean(Y_PRED - Y_TRUE * np.log(Y_PRED + 1e-7)))
    labels, scores = (Y_TRUE > 0.6).astype(float), Y_PRED * 2 - 1
    assert _value(metrics.Hinge(), labels, scores) == pytest.approx(np.mean(np.maximum(1 - (2 * labels - 1) * scores, 0)))
    rmse = metrics.RootMeanSquaredError()
    rmse.update_state(Y_TRUE[:5], Y_PRED[:5])
    rmse.update_state(Y_TRUE[5:], Y_PRED[5:])                      # not the mean of two roots
    assert rmse.result() == pytest.approx(np.sqrt(np.mean(d ** 2)))
    w = rng.random(20)
    assert _value(metrics.MeanSquaredLogarithmicError(), weights=w) == pytest.approx(
        np.average(np.mean((np.log1p(Y_PRED) - np.log1p(Y_TRUE)) ** 2, axis=1), weights=w))


@pytest.mark.parametrize("filename", ["m.keras", "m.npz"])
def test_a_model_logs_them_under_keras_names_and_keeps_them_in_its_file(tmp_path, filename):
    model = glassnet.Sequential([glassnet.Input((3,)), glassnet.layers.Dense(3)], seed=0)
    model.compile("adam", "mse", metrics=["mape", metrics.RootMeanSquaredError(), "msle", metrics.LogCoshError()])
    history = model.fit(Y_TRUE, Y_PRED, epochs=1, verbose=0)
    assert sorted(history.history) == ["logcosh", "loss", "mape", "msle", "root_mean_squared_error"]
    model.save(tmp_path / filename)
    loaded = glassnet.models.load_model(tmp_path / filename)
    assert loaded.evaluate(Y_TRUE, Y_PRED, verbose=0, return_dict=True) == pytest.approx(
        model.evaluate(Y_TRUE, Y_PRED, verbose=0, return_dict=True))
    assert metrics.mean_squared_error(Y_TRUE, Y_PRED) == pytest.approx(np.mean((Y_PRED - Y_TRUE) ** 2, axis=1))
