"""glassnet.workbench.metrics against scikit-learn, on random inputs and on the awkward cases.

(Keras's streaming metrics, ``glassnet.metrics``, are tested in test_keras_metrics.)
"""

import warnings

import numpy as np
import pytest

sk = pytest.importorskip("sklearn.metrics", reason="scikit-learn is the oracle for the workbench metrics")
from sklearn.calibration import calibration_curve  # noqa: E402

import glassnet  # noqa: E402
from glassnet.workbench import metrics  # noqa: E402
from glassnet.errors import DataError, ShapeError  # noqa: E402

K = 10


def random_case(seed, n=200, k=K):
    """Labels, probabilities (rows sum to 1) and the predictions they imply, mostly right."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += rng.uniform(0, 4, n)  # make the true class likely
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y, probs, probs.argmax(axis=1)


# The awkward cases: (y_true, y_pred, labels)
EDGE_CASES = {
    "class never predicted": ([0, 1, 2, 2, 1, 0], [0, 1, 1, 1, 1, 0], None),
    "class absent from labels": ([0, 0, 1, 1], [0, 2, 1, 1], None),
    "class in neither": ([0, 1, 1, 2], [0, 0, 1, 1], [0, 1, 2, 3]),
    "single sample right": ([3], [3], None),
    "single sample wrong": ([3], [4], None),
    "labels subset": ([0, 1, 2, 3, 3], [1, 1, 2, 0, 3], [1, 3]),
}


@pytest.fixture(autouse=True)
def quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both libraries warn about ill-defined ratios
        yield


def test_importable_as_glassnet_workbench_metrics():
    import glassnet.workbench.metrics as by_import
    assert by_import is metrics is glassnet.workbench.metrics
    assert metrics.confusion_matrix([0, 1], [1, 1]).tolist() == [[0, 1], [0, 1]]


@pytest.mark.parametrize("seed", range(3))
def test_random_inputs_match_sklearn(seed):
    y, probs, pred = random_case(seed)
    assert metrics.accuracy(y, pred) == pytest.approx(sk.accuracy_score(y, pred))
    np.testing.assert_array_equal(metrics.confusion_matrix(y, pred), sk.confusion_matrix(y, pred))
    for normalize in ("true", "pred", "all"):
        np.testing.assert_allclose(metrics.confusion_matrix(y, pred, normalize=normalize),
                                   sk.confusion_matrix(y, pred, normalize=normalize))
    for average in (None, "macro", "weighted", "micro"):
        ours = metrics.precision_recall_fscore_support(y, pred, average=average)
        theirs = sk.precision_recall_fscore_support(y, pred, average=average)
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float))
    np.testing.assert_allclose(metrics.per_class_accuracy(y, pred), sk.recall_score(y, pred, average=None))
    # one-hot labels and probability rows are read as their argmax
    assert metrics.accuracy(np.eye(K)[y], probs) == pytest.approx(sk.accuracy_score(y, pred))


@pytest.mark.parametrize("seed", range(3))
def test_roc_auc_and_top_k_match_sklearn(seed):
    y, probs, _ = random_case(seed)
    np.testing.assert_allclose(metrics.roc_auc_score(y, probs, average=None),
                               sk.roc_auc_score(y, probs, multi_class="ovr", average=None))
    assert metrics.roc_auc_score(y, probs) == pytest.approx(
        sk.roc_auc_score(y, probs, multi_class="ovr", average="macro"))
    for k in (1, 2, 3, 5, 10, 12):
        assert metrics.top_k_accuracy(y, probs, k=k) == pytest.approx(
            sk.top_k_accuracy_score(y, probs, k=k, labels=range(K)))
    for cls, (fpr, tpr, thresholds) in enumerate(metrics.roc_curves(y, probs)):
        ref = sk.roc_curve(y == cls, probs[:, cls])
        for a, b in zip((fpr, tpr, thresholds), ref):
            np.testing.assert_allclose(a, b)


def test_roc_curve_with_ties_and_one_class_matches_sklearn():
    scores = np.array([0.1, 0.5, 0.5, 0.3, 0.9, 0.5, 0.1])
    for positive in ([0, 1, 1, 0, 1, 0, 1], [0, 0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1]):
        for drop in (True, False):
            ours = metrics.roc_curve(positive, scores, drop_intermediate=drop)
            theirs = sk.roc_curve(positive, scores, drop_intermediate=drop)
            for a, b in zip(ours, theirs):
                np.testing.assert_allclose(a, b)


def test_top_k_ties_match_sklearn():
    y = np.array([0, 1, 2, 3, 2])
    probs = np.array([[0.25] * 4, [0.25] * 4, [0.4, 0.2, 0.2, 0.2], [0.1, 0.3, 0.3, 0.3], [0.5, 0.5, 0, 0]])
    for k in (1, 2, 3):
        assert metrics.top_k_accuracy(y, probs, k=k) == pytest.approx(
            sk.top_k_accuracy_score(y, probs, k=k, labels=range(4)))


@pytest.mark.parametrize("case", EDGE_CASES)
@pytest.mark.parametrize("zero_division", ["warn", 0, 1, np.nan])
def test_edge_cases_match_sklearn(case, zero_division):
    y_true, y_pred, labels = EDGE_CASES[case]
    np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_pred, labels=labels),
                                  sk.confusion_matrix(y_true, y_pred, labels=labels))
    np.testing.assert_allclose(metrics.confusion_matrix(y_true, y_pred, labels=labels, normalize="true"),
                               sk.confusion_matrix(y_true, y_pred, labels=labels, normalize="true"))
    for average in (None, "macro", "weighted", "micro"):
        ours = metrics.precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average=average, zero_division=zero_division)
        theirs = sk.precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average=average, zero_division=zero_division)
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(np.asarray(a, float), np.asarray(b, float))


def test_num_classes_reports_every_digit():
    y_true, y_pred = [0, 1, 1], [0, 1, 2]
    cm = metrics.confusion_matrix(y_true, y_pred, num_classes=K)
    assert cm.shape == (K, K) and cm.sum() == 3
    np.testing.assert_array_equal(cm, sk.confusion_matrix(y_true, y_pred, labels=range(K)))
    recall = metrics.per_class_accuracy(y_true, y_pred, num_classes=K, zero_division=np.nan)
    np.testing.assert_allclose(recall, sk.recall_score(y_true, y_pred, labels=range(K), average=None,
                                                       zero_division=np.nan))


def test_warn_means_zero_and_warns():
    with pytest.warns(metrics.UndefinedMetricWarning, match="Precision"):
        precision = metrics.precision_score([0, 1], [0, 0], average=None)
    np.testing.assert_array_equal(precision, [0.5, 0.0])


def test_roc_auc_with_a_class_absent_is_nan_as_in_sklearn():
    y, probs, _ = random_case(0, n=50, k=4)
    y[y == 3] = 0
    per_class = metrics.roc_auc_score(y, probs, average=None)
    assert np.isnan(per_class[3]) and not np.isnan(per_class[:3]).any()
    for cls in range(3):
        assert per_class[cls] == pytest.approx(sk.roc_auc_score(y == cls, probs[:, cls]))
    assert np.isnan(metrics.roc_auc_score(y, probs))
    assert np.isnan(sk.roc_auc_score(y, probs, multi_class="ovr", labels=range(4)))


def test_most_confused():
    y_true = [4, 4, 4, 3, 3, 7, 1, 1]
    y_pred = [9, 9, 4, 5, 5, 1, 1, 7]
    assert metrics.most_confused(y_true, y_pred) == [(3, 5, 2), (4, 9, 2), (1, 7, 1), (7, 1, 1)]
    assert metrics.most_confused(y_true, y_pred, top=1) == [(3, 5, 2)]
    assert metrics.most_confused([1, 2], [1, 2]) == []
    cm = sk.confusion_matrix(y_true, y_pred, labels=range(K))
    for true, pred, count in metrics.most_confused(y_true, y_pred):
        assert cm[true, pred] == count


@pytest.mark.parametrize("n_bins", [5, 10, 15])
def test_calibration_matches_sklearn(n_bins):
    y, probs, pred = random_case(1, n=300)
    bins = metrics.calibration_bins(y, probs, n_bins=n_bins)
    correct, confidence = pred == y, probs.max(axis=1)
    prob_true, prob_pred = calibration_curve(correct, confidence, n_bins=n_bins)
    full = bins.counts > 0
    np.testing.assert_allclose(bins.accuracy[full], prob_true)
    np.testing.assert_allclose(bins.confidence[full], prob_pred)
    assert np.isnan(bins.accuracy[~full]).all() and bins.counts.sum() == len(y)
    # ECE by its definition, from scikit-learn's bin means
    expected = np.sum(bins.counts[full] / len(y) * np.abs(prob_true - prob_pred))
    assert metrics.expected_calibration_error(y, probs, n_bins) == pytest.approx(expected)


def test_calibration_of_a_perfect_confident_model_is_zero():
    y = np.array([0, 1, 2])
    assert metrics.expected_calibration_error(y, np.eye(3)) == 0.0
    bins = metrics.calibration_bins(y, np.eye(3), n_bins=4)
    assert bins.counts.tolist() == [0, 0, 0, 3]  # confidence 1.0 lands in the last bin


def test_single_sample():
    assert metrics.accuracy([7], [7]) == 1.0
    assert metrics.top_k_accuracy([2], [[0.1, 0.3, 0.6]], k=1) == 1.0
    assert metrics.expected_calibration_error([2], [[0.1, 0.3, 0.6]]) == pytest.approx(0.4)
    assert metrics.most_confused([2], [1]) == [(2, 1, 1)]


@pytest.mark.parametrize("call, error, match", [
    (lambda: metrics.accuracy([0, 1], [0]), ShapeError, "2 samples but y_pred has 1"),
    (lambda: metrics.accuracy([], []), DataError, "no samples"),
    (lambda: metrics.accuracy([0.5], [0]), DataError, "whole numbers"),
    (lambda: metrics.accuracy([-1], [0]), DataError, "0 or more"),
    (lambda: metrics.accuracy(["a"], [0]), DataError, "integers"),
    (lambda: metrics.top_k_accuracy([0, 1], [[1.0, 0.0]]), ShapeError, r"shape \(2, K\)"),
    (lambda: metrics.top_k_accuracy([5], [[1.0, 0.0]]), DataError, "only 2 columns"),
    (lambda: metrics.top_k_accuracy([0], [[np.nan, 0.0]]), DataError, "NaN"),
    (lambda: metrics.top_k_accuracy([0], [[1.0, 0.0]], k=0), ValueError, "positive integer"),
    (lambda: metrics.confusion_matrix([0], [0], normalize="rows"), ValueError, "normalize"),
    (lambda: metrics.f1_score([0], [0], average="samples"), ValueError, "average"),
    (lambda: metrics.f1_score([0], [0], zero_division=2), ValueError, "zero_division"),
    (lambda: metrics.calibration_bins([0], [[1.0]], n_bins=0), ValueError, "n_bins"),
])
def test_bad_input_gets_a_clear_error(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_metric_variables_are_named_as_keras_names_them():
    """Géron's streaming metrics: precision.variables."""
    from glassnet import metrics
    precision = metrics.Precision()
    precision.update_state([0, 1, 1, 1], [1, 1, 0, 1])
    assert [(v.name, float(v.numpy())) for v in precision.variables] == [("true_positives", 2.0),
                                                                         ("false_positives", 1.0)]
    mean = metrics.Mean()
    mean.update_state([1.0, 3.0])
    assert [(v.name, float(v.numpy())) for v in mean.variables] == [("total", 4.0), ("count", 2.0)]
