"""F1Score, FBetaScore and R2Score: scikit-learn as the oracle, Keras 3's numbers, and fit's logs."""

import csv
import json

import numpy as np
import pytest
from sklearn.metrics import f1_score, fbeta_score, r2_score

import glassnet
from glassnet.engine.layers import Dense, Input
from glassnet.engine.metrics import F1Score, FBetaScore, R2Score, get
from glassnet.engine.model import Sequential
from glassnet.errors import ShapeError

rng = np.random.default_rng(0)
LABELS = rng.integers(0, 4, 60)
Y = np.eye(4, dtype=np.float32)[LABELS]
P = rng.random((60, 4)).astype(np.float32)


def in_batches(metric, y, p, size=16, sample_weight=None):
    for i in range(0, len(y), size):
        w = None if sample_weight is None else sample_weight[i:i + size]
        metric.update_state(y[i:i + size], p[i:i + size], sample_weight=w)
    return metric.result()


@pytest.mark.parametrize("average", [None, "macro", "weighted", "micro"])
def test_f1_of_the_argmax_is_scikit_learns(average):
    expected = f1_score(LABELS, P.argmax(1), average=average)
    np.testing.assert_allclose(in_batches(F1Score(average=average), Y, P), expected, atol=1e-5)


def test_fbeta_with_a_threshold_treats_each_column_alone():
    called = (P > 0.6).astype(int)
    expected = fbeta_score(Y.astype(int), called, beta=2.0, average="macro", zero_division=0)
    np.testing.assert_allclose(in_batches(FBetaScore(beta=2.0, average="macro", threshold=0.6), Y, P), expected,
                               atol=1e-5)


def test_sample_weights_and_keras_3_numbers():
    """Keras 3.15 on the same data (rng 0): F1Score() per class, and weighted by samples."""
    w = np.random.default_rng(1).random(60).astype(np.float32)
    np.testing.assert_allclose(in_batches(F1Score(average="macro"), Y, P, sample_weight=w),
                               f1_score(LABELS, P.argmax(1), average="macro", sample_weight=w), atol=1e-5)
    y = np.eye(4, dtype=np.float32)[np.random.default_rng(0).integers(0, 4, 50)]
    p = np.random.default_rng(0).random((50, 4)).astype(np.float32)
    metric = F1Score()
    metric.update_state(y[:20], p[:20])
    np.testing.assert_allclose(metric.result(), f1_score(y[:20].argmax(1), p[:20].argmax(1), average=None),
                               atol=1e-5)
    assert [v.name for v in metric.variables] == ["true_positives", "false_positives", "false_negatives",
                                                   "intermediate_weights"]


@pytest.mark.parametrize("aggregation", ["uniform_average", "variance_weighted_average", None])
def test_r2_is_scikit_learns(aggregation):
    t = rng.random((40, 3))
    q = t + 0.3 * rng.standard_normal((40, 3))
    w = rng.random(40)
    sklearn_name = {"uniform_average": "uniform_average", "variance_weighted_average": "variance_weighted"}
    expected = r2_score(t, q, sample_weight=w, multioutput=sklearn_name.get(aggregation, "raw_values"))
    np.testing.assert_allclose(in_batches(R2Score(class_aggregation=aggregation), t, q, 7, w), expected, atol=1e-9)


def test_adjusted_r2_counts_samples():
    t = rng.random((40, 1))
    q = t + 0.2 * rng.standard_normal((40, 1))
    plain = r2_score(t, q)
    np.testing.assert_allclose(in_batches(R2Score(num_regressors=3), t[:, 0], q), 1 - (1 - plain) * 39 / 36,
                               atol=1e-9)      # (N,) targets for an (N, 1) output are fine
    with pytest.warns(UserWarning, match="R2Score: 50 regressors for 40 samples"):
        assert in_batches(R2Score(num_regressors=50), t, q) == pytest.approx(plain)


def test_by_name_in_compile_and_in_fits_logs(tmp_path):
    assert type(get("f1_score")) is F1Score and type(get("R2Score")) is R2Score
    model = Sequential([Input((4,)), Dense(4, activation="softmax")], seed=0)
    model.compile("adam", "categorical_crossentropy", metrics=["f1_score", F1Score(average="macro", name="f1m")])
    log = tmp_path / "log.csv"
    history = model.fit(P, Y, epochs=2, verbose=1, validation_split=0.25,
                        callbacks=[glassnet.callbacks.CSVLogger(str(log)),
                                   glassnet.callbacks.TensorBoard(str(tmp_path / "tb"))])
    assert sorted(history.history) == ["f1_score", "f1m", "loss", "val_f1_score", "val_f1m", "val_loss"]
    assert len(history.history["f1_score"][-1]) == 4 and isinstance(history.history["f1m"][-1], float)
    with open(log) as file:
        assert "f1_score" in next(csv.reader(file))
    model.save(tmp_path / "m.keras")
    again = glassnet.load_model(tmp_path / "m.keras")
    assert [type(m).__name__ for m in again.compiled_metrics] == ["F1Score", "F1Score"]
    json.dumps(again.history.history if hasattr(again, "history") and again.history else {})
    with pytest.raises(ValueError, match="'f1_score', which has one value per class; monitor one number"):
        model.fit(P, Y, epochs=2, verbose=0, callbacks=[glassnet.callbacks.EarlyStopping(monitor="f1_score")])


def test_bad_settings_and_shapes_say_so():
    with pytest.raises(ValueError, match="average must be None, 'micro', 'macro' or 'weighted'"):
        F1Score(average="samples")
    with pytest.raises(ValueError, match="beta must be a float > 0"):
        FBetaScore(beta=2)
    with pytest.raises(ValueError, match=r"threshold must be a float in \(0, 1\]"):
        F1Score(threshold=1.5)
    with pytest.raises(ShapeError, match="R2Score expects 2-D labels and predictions"):
        R2Score().update_state(np.zeros((2, 3, 4)), np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match="class_aggregation must be"):
        R2Score(class_aggregation="mean")
