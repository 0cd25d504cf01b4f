"""Keras 3's IoU metrics, the figures at a constrained threshold, the correlations and Sum:
values by hand, over several updates with sample weights, reset_state, get_config, Keras's
own values (where Keras is installed), fit's logs and .keras files."""

import os
import warnings

import numpy as np
import pytest

import glassnet
from glassnet import metrics
from glassnet.engine.layers import Dense, Input
from glassnet.engine.model import Sequential

RNG = np.random.default_rng(0)


def test_mean_iou_by_hand_over_two_updates():
    m = metrics.MeanIoU(3)
    m.update_state([0, 0, 1], [0, 1, 1])
    m.update_state([2, 1], [2, 0])
    # matrix rows true, columns predicted: [[1,1,0],[1,1,0],[0,0,1]]
    # IoU_0 = 1/(2+2-1) = 1/3, IoU_1 = 1/3, IoU_2 = 1
    assert m.result() == pytest.approx((1 / 3 + 1 / 3 + 1) / 3, rel=1e-6)
    np.testing.assert_array_equal(m.total_confusion_matrix, [[1, 1, 0], [1, 1, 0], [0, 0, 1]])
    m.reset_state()
    assert m.result() == 0.0
    iou = metrics.IoU(3, target_class_ids=[2], ignore_class=0)
    iou.update_state([0, 2, 2, 1], [2, 2, 1, 1], sample_weight=[5, 1, 1, 2])
    assert iou.result() == pytest.approx(1 / 2, rel=1e-6)          # class 0 ignored: TP 1, FN 1


def test_binary_and_one_hot_ious():
    b = metrics.BinaryIoU(target_class_ids=[1], threshold=0.3)
    b.update_state([1, 0, 1, 0], [0.4, 0.35, 0.1, 0.2])
    assert b.result() == pytest.approx(1 / 3, rel=1e-6)            # TP 1, FP 1, FN 1
    one_hot = metrics.OneHotMeanIoU(2)
    one_hot.update_state(np.eye(2)[[0, 1, 1]], np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]))
    assert one_hot.result() == pytest.approx((1 / 2 + 1 / 2) / 2, rel=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match="weight as `float`"):
            metrics.MeanIoU(2).update_state([0, 1], [0, 1], sample_weight=np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match="Target class id 3 is out of range"):
        metrics.IoU(3, [3])


def test_figures_at_a_constrained_threshold_by_hand():
    y = np.array([1, 1, 0, 0, 1])
    p = np.array([0.9, 0.6, 0.7, 0.2, 0.3])
    # num_thresholds=3: thresholds 0, 0.5, 1. At 0: all positive (TP 3, FP 2); at 0.5: TP 2, FP 1.
    m = metrics.PrecisionAtRecall(0.6, num_thresholds=3)
    m.update_state(y, p)
    assert m.result() == pytest.approx(2 / 3)                       # recall 2/3 >= 0.6 at 0.5
    s = metrics.SpecificityAtSensitivity(1.0, num_thresholds=3)
    s.update_state(y, p)
    assert s.result() == 0.0                                        # only threshold 0 has recall 1
    r = metrics.RecallAtPrecision(0.6, num_thresholds=3)
    r.update_state(y, p, sample_weight=[1, 1, 1, 1, 3])
    assert r.result() == pytest.approx(5 / 5)                       # at 0: precision 5/7, recall 1
    with pytest.raises(ValueError, match=r"`specificity` must be in the range \[0, 1\]"):
        metrics.SensitivityAtSpecificity(1.5)


def test_correlations_and_sum_by_hand():
    y, p = np.array([[1.0, 2.0, 3.0], [1.0, 0.0, 1.0]]), np.array([[2.0, 4.0, 6.0], [0.0, 1.0, 0.0]])
    np.testing.assert_allclose(metrics.pearson_correlation(y, p), [1.0, -1.0], rtol=1e-6)
    c = metrics.ConcordanceCorrelation()
    c.update_state(y, y)
    assert c.result() == pytest.approx(1.0, abs=1e-6)
    total = metrics.Sum()
    total.update_state([1.0, 2.0], sample_weight=[1.0, 0.5])
    total.update_state(3.0)
    assert total.result() == pytest.approx(5.0) and total.get_config() == {"name": "sum", "dtype": "float32"}
    assert metrics.binary_focal_crossentropy is glassnet.losses.binary_focal_crossentropy


def test_in_fit_logs_and_keras_files(tmp_path):
    x = RNG.normal(size=(40, 4)).astype(np.float32)
    y = np.eye(2, dtype=np.float32)[(x[:, 0] > 0).astype(np.int64)]
    model = Sequential([Input((4,)), Dense(2, activation="softmax")], seed=0)
    model.compile("adam", "categorical_crossentropy",
                  metrics=[metrics.MeanIoU(2, sparse_y_true=False, sparse_y_pred=False), metrics.PearsonCorrelation(),
                           metrics.RecallAtPrecision(0.5, num_thresholds=50)])
    logs = model.fit(x, y, epochs=1, verbose=0, validation_split=0.25).history
    assert {"mean_io_u", "val_pearson_correlation", "recall_at_precision"} <= set(logs)
    model.save(tmp_path / "m.keras")
    again = glassnet.load_model(tmp_path / "m.keras")
    found = {type(m).__name__: m.get_config() for m in again.compiled_metrics}
    assert found["MeanIoU"]["sparse_y_pred"] is False and found["RecallAtPrecision"]["num_thresholds"] == 50


def test_the_same_values_and_configs_as_keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    keras = pytest.importorskip("keras")
    K = keras.metrics
    classes = [(RNG.integers(0, 4, (5, 3)), RNG.integers(-1, 5, (5, 3)), RNG.integers(0, 3, (5, 3))) for _ in range(3)]
    binary = [((RNG.uniform(size=(8, 3)) > 0.6).astype("float32"), RNG.uniform(size=(8, 3)).astype("float32"),
               RNG.uniform(0, 2, 8).astype("float32")) for _ in range(3)]
    onehot = [(np.eye(3)[RNG.integers(0, 3, 6)], RNG.uniform(size=(6, 3)), RNG.integers(0, 3, 6)) for _ in range(3)]
    real = [(RNG.normal(size=(6, 4)).astype("float32"), RNG.normal(size=(6, 4)).astype("float32"),
             RNG.uniform(0, 2, 6).astype("float32")) for _ in range(3)]
    cases = [
        (metrics.IoU(4, [0, 2], name="a"), K.IoU(4, [0, 2], name="a"), classes),
        (metrics.MeanIoU(4, ignore_class=1, name="b"), K.MeanIoU(4, ignore_class=1, name="b"), classes),
        (metrics.BinaryIoU([1], 0.3, name="c"), K.BinaryIoU([1], 0.3, name="c"),
         [(y, p, np.ones_like(y, dtype=np.int64)) for y, p, _ in binary]),
        (metrics.OneHotIoU(3, [0, 2], name="d"), K.OneHotIoU(3, [0, 2], name="d"), onehot),
        (metrics.OneHotMeanIoU(3, name="e"), K.OneHotMeanIoU(3, name="e"), onehot),
        (metrics.PearsonCorrelation(), K.PearsonCorrelation(), real),
        (metrics.ConcordanceCorrelation(axis=0), K.ConcordanceCorrelation(axis=0), [(y, p, None) for y, p, _ in real]),
        (metrics.PrecisionAtRecall(0.7, name="f"), K.PrecisionAtRecall(0.7, name="f"), binary),
        (metrics.RecallAtPrecision(0.5, num_thresholds=7, class_id=1, name="g"),
         K.RecallAtPrecision(0.5, num_thresholds=7, class_id=1, name="g"), binary),
        (metrics.SensitivityAtSpecificity(0.8, name="h"), K.SensitivityAtSpecificity(0.8, name="h"), binary),
        (metrics.SpecificityAtSensitivity(0.5, num_thresholds=7, class_id=1, name="i"),
         K.SpecificityAtSensitivity(0.5, num_thresholds=7, class_id=1, name="i"), binary),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for ours, theirs, batches in cases:
            for y, p, w in batches:
                ours.update_state(y, p, w)
                theirs.update_state(y, p, w)
            assert ours.result() == pytest.approx(float(theirs.result()), rel=1e-5, abs=1e-7), type(ours).__name__
            assert ours.get_config() == theirs.get_config()
            ours.reset_state()
            assert ours.result() == 0.0
    total, theirs = metrics.Sum(), K.Sum()
    for _, p, w in real:
        total.update_state(p, w)
        theirs.update_state(p, w)
    assert total.result() == pytest.approx(float(theirs.result()), rel=1e-5)
    y, p = real[0][0], real[0][1]
    np.testing.assert_allclose(metrics.concordance_correlation(y, p), K.concordance_correlation(y, p), rtol=1e-5)
