"""glassnet.metrics, Keras 3's streaming metrics: hand-worked values, streaming equals all at
once, the names a program logs under, and what "accuracy" means for each shape. The numbers
against Keras are in ``test_keras_reference``; the workbench's evaluation functions are tested
in ``test_metrics``."""

import json
import warnings
import zipfile

import numpy as np
import pytest

import glassnet as keras
from glassnet.engine import metrics
from glassnet.errors import ShapeError

PROBS = np.array([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3], [0.2, 0.3, 0.5], [0.4, 0.4, 0.2]])
LABELS = np.array([1, 2, 2, 1])                     # right, wrong, right, tie (first wins: 0)


def test_accuracies_by_hand():
    assert metrics.SparseCategoricalAccuracy()(LABELS, PROBS) == pytest.approx(0.5)
    assert metrics.CategoricalAccuracy()(np.eye(3)[LABELS], PROBS) == pytest.approx(0.5)
    # top 2: sample 1's class 2 scores 0.3 (2nd); sample 3's class 1 ties for first.
    assert metrics.SparseTopKCategoricalAccuracy(k=2)(LABELS, PROBS) == pytest.approx(1.0)
    assert metrics.TopKCategoricalAccuracy(k=1)(np.eye(3)[LABELS], PROBS) == pytest.approx(0.75)
    assert metrics.BinaryAccuracy()(np.array([1, 0, 1]), np.array([[0.7], [0.6], [0.2]])) == pytest.approx(1 / 3)
    assert metrics.BinaryAccuracy(threshold=0.1)(np.array([1, 0, 1]), np.array([[0.7], [0.6], [0.2]])) \
        == pytest.approx(2 / 3)


@pytest.mark.parametrize("y_true, y_pred, kind", [
    (LABELS, PROBS, "sparse"), (LABELS[:, None], PROBS, "sparse"),
    (np.eye(3)[LABELS], PROBS, "categorical"),
    (np.array([1, 0, 1, 1]), PROBS[:, :1], "binary"), (np.array([[1], [0]]), np.array([[0.9], [0.2]]), "binary"),
])
def test_accuracy_picks_its_kind_from_the_shapes_as_keras_3(y_true, y_pred, kind):
    assert metrics.accuracy_kind(y_true, y_pred) == kind
    expected = {"sparse": metrics.sparse_categorical_accuracy, "categorical": metrics.categorical_accuracy,
                "binary": metrics.binary_accuracy}[kind](y_true, y_pred).mean()
    assert metrics.Accuracy()(y_true, y_pred) == pytest.approx(expected)


def test_accuracy_of_1d_predictions_is_equality():
    assert metrics.Accuracy()(np.array([1, 2, 3, 4]), np.array([1, 2, 0, 4])) == pytest.approx(0.75)


def test_streaming_over_batches_equals_all_at_once_with_sample_weights():
    rng = np.random.default_rng(0)
    y, p, w = rng.integers(0, 5, 100), rng.dirichlet(np.ones(5), 100), rng.uniform(0, 2, 100)
    for make in (metrics.SparseCategoricalAccuracy, lambda: metrics.SparseTopKCategoricalAccuracy(2),
                 metrics.AUC, metrics.Precision, metrics.Recall, metrics.MeanSquaredError):
        whole, parts = make(), make()
        whole.update_state(y, p, sample_weight=w)
        for i in range(0, 100, 32):
            parts.update_state(y[i:i + 32], p[i:i + 32], sample_weight=w[i:i + 32])
        assert parts.result() == pytest.approx(whole.result(), rel=1e-12)
        parts.reset_state()
        assert parts.result() == 0.0


def test_weighted_mean_and_mean_metric_wrapper():
    mean = metrics.Mean()
    mean.update_state([1.0, 3.0], sample_weight=[1.0, 3.0])
    mean.update_state([10.0])
    assert mean.result() == pytest.approx((1 + 9 + 10) / 5)
    cube = metrics.MeanMetricWrapper(lambda y, p: (np.asarray(p) - y) ** 3, name="cube")
    assert cube([0, 0], [1, 2]) == pytest.approx(4.5) and cube.name == "cube"


def test_precision_recall_by_hand_with_class_id_and_top_k():
    y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    p = np.array([[0.9, 0.2], [0.6, 0.7], [0.3, 0.8], [0.1, 0.4]])
    # predicted positive (> 0.5): (0,0) TP, (1,0) FP, (1,1) TP, (2,1) TP; (2,0) FN
    assert metrics.Precision()(y, p) == pytest.approx(3 / 4)
    assert metrics.Recall()(y, p) == pytest.approx(3 / 4)
    assert metrics.Precision(class_id=0)(y, p) == pytest.approx(1 / 2)
    assert metrics.Recall(class_id=0)(y, p) == pytest.approx(1 / 2)
    assert metrics.Precision(thresholds=0.65)(y, p) == pytest.approx(1.0)
    # top_k=1: each row's largest counts as positive, whatever its value.
    assert metrics.Precision(top_k=1)(y, p) == pytest.approx(3 / 4)
    # class numbers for a (N, K) output become one-hot rows (glassnet's convenience)
    assert metrics.Recall(top_k=1)(np.array([0, 1]), p[:2]) == pytest.approx(1.0)


def test_the_four_counts_of_the_imbalanced_data_tutorial():
    """keras.metrics.TruePositives(name='tp'), FalsePositives, TrueNegatives, FalseNegatives:
    counts over every output at 0.5 (or thresholds=), weighted, and logged by their names."""
    y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]])
    p = np.array([[0.9, 0.2], [0.6, 0.7], [0.3, 0.8], [0.1, 0.4]])
    counts = {cls.__name__: cls()(y, p) for cls in (keras.metrics.TruePositives, keras.metrics.FalsePositives,
                                                      keras.metrics.TrueNegatives, keras.metrics.FalseNegatives)}
    assert counts == {"TruePositives": 3, "FalsePositives": 1, "TrueNegatives": 3, "FalseNegatives": 1}
    assert keras.metrics.TruePositives(thresholds=0.75)(y, p) == 2
    assert keras.metrics.FalseNegatives()(y, p, sample_weight=np.array([1, 1, 5, 1])) == 5
    tp = keras.metrics.TruePositives(name="tp")
    assert tp.name == "tp" and tp.get_config() == {"name": "tp", "thresholds": None}
    assert [v.name for v in tp.variables] == ["accumulator"]
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=[tp, keras.metrics.FalsePositives(name="fp"),
                                                           "true_negatives"])
    history = model.fit(np.ones((8, 2)), np.array([1, 0] * 4), epochs=1, verbose=0)
    assert sorted(history.history) == ["fp", "loss", "tp", "true_negatives"]
    assert history.history["tp"][0] + history.history["fp"][0] + history.history["true_negatives"][0] <= 8


def test_auc_of_a_perfect_a_useless_and_a_hand_worked_ranking():
    y = np.array([0, 0, 1, 1])
    assert metrics.AUC()(y, np.array([[0.1], [0.2], [0.8], [0.9]])) == pytest.approx(1.0)
    assert metrics.AUC()(y, np.full((4, 1), 0.5)) == pytest.approx(0.5)
    # One of the four (negative, positive) pairs is in the wrong order: AUC = 3/4.
    assert metrics.AUC(num_thresholds=1001)(y, np.array([[0.1], [0.6], [0.4], [0.9]])) \
        == pytest.approx(0.75, abs=1e-9)
    assert metrics.AUC(curve="PR")(y, np.array([[0.1], [0.2], [0.8], [0.9]])) == pytest.approx(1.0)
    assert len(metrics.AUC(num_thresholds=5).thresholds) == 5
    with pytest.raises(ValueError, match="multi_label, num_labels and label_weights are not supported"):
        metrics.AUC(multi_label=True)


@pytest.mark.parametrize("identifier, cls, name", [
    ("acc", metrics.Accuracy, "acc"), ("accuracy", metrics.Accuracy, "accuracy"),
    ("AUC", metrics.AUC, "AUC"), ("auc", metrics.AUC, "auc"), ("precision", metrics.Precision, "precision"),
    ("sparse_categorical_accuracy", metrics.SparseCategoricalAccuracy, "sparse_categorical_accuracy"),
    ("SparseTopKCategoricalAccuracy", metrics.SparseTopKCategoricalAccuracy, "SparseTopKCategoricalAccuracy"),
    ("mse", metrics.MeanSquaredError, "mse"), ("mae", metrics.MeanAbsoluteError, "mae"),
])
def test_a_name_logs_under_exactly_that_name_as_keras_3(identifier, cls, name):
    metric = metrics.get(identifier)
    assert type(metric) is cls and metric.name == name


def test_objects_keep_their_names_and_functions_are_wrapped():
    metric = metrics.SparseTopKCategoricalAccuracy(k=2)
    assert metrics.get(metric) is metric and metric.name == "sparse_top_k_categorical_accuracy"
    assert metrics.get(metrics.AUC).name == "auc"
    wrapped = metrics.get(metrics.sparse_categorical_accuracy)
    assert wrapped.name == "sparse_categorical_accuracy" and wrapped(LABELS, PROBS) == pytest.approx(0.5)
    rebuilt = metrics.get(metrics.serialize(metrics.SparseTopKCategoricalAccuracy(k=3, name="top3")))
    assert rebuilt.name == "top3" and rebuilt.fn_kwargs == {"k": 3}
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        metrics.get("f1")


def test_directions_for_monitoring():
    assert metrics.AUC().direction == "up" and metrics.Accuracy().direction == "up"
    assert metrics.MeanSquaredError().direction == "down" and metrics.Mean().direction is None


def test_labels_that_dont_fit_are_clear_errors():
    with pytest.raises(ShapeError, match=r"labels of shape \(3,\) don't fit predictions \(4, 3\)"):
        metrics.SparseCategoricalAccuracy().update_state(LABELS[:3], PROBS)
    with pytest.raises(ShapeError, match="one-hot labels of shape"):
        metrics.CategoricalAccuracy().update_state(np.eye(4)[LABELS], PROBS)


def test_a_keras_3_custom_metric_with_add_variable_trains_and_resets_each_epoch():
    """keras.io's CategoricalTruePositives, word for word (ops and all)."""
    import glassnet as keras
    from glassnet import layers, ops

    class CategoricalTruePositives(keras.metrics.Metric):
        def __init__(self, name="categorical_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
            values = ops.cast(ops.cast(y_true, "int32") == ops.cast(y_pred, "int32"), "float32")
            self.true_positives.assign_add(ops.sum(values))

        def result(self):
            return self.true_positives

        def reset_state(self):
            self.true_positives.assign(0.0)

    metric = CategoricalTruePositives()
    metric.update_state(np.array([[1], [2]]), np.array([[0.1, 0.9, 0.0], [0.8, 0.1, 0.1]]))
    assert float(metric.result()) == 1.0
    metric.reset_state()
    assert float(metric.result()) == 0.0
    inputs = keras.Input((4,))
    model = keras.Model(inputs, layers.Dense(3, activation="softmax")(inputs))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=[CategoricalTruePositives()])
    x, y = np.eye(4, dtype=np.float32)[[0, 1, 2, 3] * 4], np.array([0, 1, 2, 0] * 4)[:, None]
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    counts = history.history["categorical_true_positives"]
    assert len(counts) == 2 and all(0 <= c <= 16 and float(c) == int(c) for c in counts)   # reset each epoch
    variable = keras.Variable(np.zeros(3), name="v")
    variable.assign_add([1, 2, 3])
    assert variable.numpy().tolist() == [1, 2, 3] and np.asarray(variable).shape == (3,)


class HuberMetric(keras.metrics.Metric):
    """Géron ch. 12's streaming metric: add_weight totals, no reset_state of its own, and a
    result that divides one variable by another."""

    def __init__(self, threshold=1.0, **kwargs):
        super().__init__(**kwargs)
        self.threshold = threshold
        self.total = self.add_weight(name="total", initializer="zeros")
        self.count = self.add_weight(name="count", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        error = np.abs(np.asarray(y_true) - np.asarray(y_pred))
        huber = np.where(error < self.threshold, error ** 2 / 2, self.threshold * error - self.threshold ** 2 / 2)
        self.total.assign_add(np.sum(huber))
        self.count.assign_add(float(np.size(y_true)))

    def result(self):
        return self.total / self.count

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}


def test_a_metric_of_your_own_as_geron_writes_one(tmp_path):
    metric = HuberMetric(2.0)
    assert metric.name == "huber_metric"                        # Keras names it after its class
    assert float(metric(np.array([[2.0]]), np.array([[10.0]]))) == 14.0
    assert float(metric(np.array([[0.0], [5.0]]), np.array([[1.0], [9.25]]))) == 7.0
    assert [v.name for v in metric.variables] == ["total", "count"]
    metric.reset_state()                                        # Keras's default: the variables to zero
    assert float(metric.total) == 0.0 and float(metric.count) == 0.0
    model = keras.Sequential([keras.layers.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse", metrics=[HuberMetric(2.0)])
    model.fit(np.ones((4, 3)), np.ones((4, 1)), epochs=1, verbose=0)
    model.save(tmp_path / "m.npz")
    loaded = keras.models.load_model(tmp_path / "m.npz", custom_objects={"HuberMetric": HuberMetric})
    assert [m.name for m in loaded.metrics] == ["loss", "huber_metric"]
    assert loaded.compiled_metrics[0].threshold == 2.0


@pytest.mark.parametrize("suffix", [".keras", ".npz"])
def test_a_registered_metric_of_your_own_is_found_again_without_custom_objects(tmp_path, suffix):
    """keras.io's serialization guide: a class decorated with register_keras_serializable
    loads by itself (glassnet saved it under its class name and then couldn't find it)."""
    registered = keras.saving.register_keras_serializable("tests")(
        type("RegisteredHuber", (HuberMetric,), {}))
    model = keras.Sequential([keras.layers.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse", metrics=[registered(2.0)])
    model.fit(np.ones((4, 3)), np.ones((4, 1)), epochs=1, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                     # nothing is left out of the file
        model.save(tmp_path / f"m{suffix}")
    loaded = keras.models.load_model(tmp_path / f"m{suffix}")
    assert type(loaded.compiled_metrics[0]) is registered and loaded.compiled_metrics[0].threshold == 2.0
    if suffix == ".keras":      # Keras's own compile_config names it as Keras writes it
        with zipfile.ZipFile(tmp_path / "m.keras") as archive:
            written = json.loads(archive.read("config.json"))["compile_config"]["metrics"][0]
        assert (written["class_name"], written["registered_name"]) == ("RegisteredHuber", "tests>RegisteredHuber")


def test_a_metric_in_metrics_and_in_weighted_metrics_is_logged_twice_as_keras_logs_it():
    """Keras logs the weighted one as 'weighted_accuracy' (glassnet refused the pair)."""
    import glassnet

    x = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    model = glassnet.Sequential([glassnet.Input((3,)), glassnet.layers.Dense(1, activation="sigmoid")], seed=0)
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy", "mae"],
                  weighted_metrics=["accuracy", glassnet.metrics.AUC()])
    history = model.fit(x, y, sample_weight=np.linspace(0.5, 2, 32), epochs=1, verbose=0, validation_split=0.25)
    assert sorted(history.history) == ["accuracy", "auc", "loss", "mae", "val_accuracy", "val_auc", "val_loss",
                                       "val_mae", "val_weighted_accuracy", "weighted_accuracy"]


def test_calling_a_metric_gives_a_float32_tensor_as_keras_does():
    # The DeepLearning.AI course: tf.keras.metrics.MeanAbsoluteError()(x_valid, forecast).numpy().
    result = keras.metrics.MeanAbsoluteError()(np.array([1.0, 2.0, 4.0]), np.array([1.5, 2.0, 3.0]))
    assert result.numpy() == np.float32(0.5) and result.dtype == np.float32 and result.shape == ()
    assert float(keras.metrics.Mean()([1.0, 3.0])) == 2.0


def test_result_answers_numpy_as_keras_tensors_do():
    """TensorFlow's loops print ``train_loss.result().numpy()``; the result is a float that
    also has .numpy(), so it still goes into logs, JSON and f-strings as a number."""
    import glassnet

    mean = glassnet.keras.metrics.Mean()
    mean.update_state([1.0, 2.0])
    assert mean.result().numpy() == np.float32(1.5) and json.dumps([mean.result()]) == "[1.5]"
    accuracy = glassnet.keras.metrics.SparseCategoricalAccuracy()
    accuracy.update_state([1, 0], [[0.1, 0.9], [0.2, 0.8]])
    assert f"{accuracy.result():.2f}" == "0.50" and accuracy.result().numpy().dtype == np.float32

    class Constant(glassnet.keras.metrics.Metric):
        def update_state(self, y_true, y_pred, sample_weight=None):
            pass

        def result(self):
            return 0.25

    assert Constant(name="c").result().numpy() == np.float32(0.25)
