"""fit(validation_split=...) keeps each class's share in the validation set, deterministically."""

import numpy as np

from glassnet import Sequential
from glassnet.engine.layers import Dense


def model():
    m = Sequential([Dense(3, activation="softmax", input_shape=(2,))], seed=0)
    m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def test_each_class_keeps_its_share_and_the_total_is_rounded():
    y = np.array([0] * 50 + [1] * 30 + [2] * 20)
    np.random.default_rng(1).shuffle(y)
    x = np.arange(200, dtype=np.float32).reshape(100, 2)
    x_train, y_train, x_val, y_val = model().split_validation(x, y, 0.2)
    assert len(x_val) == 20 and len(x_train) == 80
    assert np.bincount(y_val).tolist() == [10, 6, 4]
    # Rows stay paired with their labels, and each class gives its *last* samples.
    np.testing.assert_array_equal(y[(x_val[:, 0] / 2).astype(int)], y_val)
    last_zeros = np.flatnonzero(y == 0)[-10:]
    assert set((x_val[y_val == 0, 0] / 2).astype(int)) == set(last_zeros)


def test_largest_remainders_fill_the_rounding_gap():
    x = np.zeros((16, 2), np.float32)
    y = np.array([0] * 7 + [1] * 7 + [2] * 2)
    _, _, _, y_val = model().split_validation(x, y, 0.25)        # 4 of 16: quotas 1.75, 1.75, 0.5
    assert np.bincount(y_val, minlength=3).tolist() == [2, 2, 0]
    y = np.array([0] * 6 + [1] * 6 + [2] * 4)
    _, _, _, y_val = model().split_validation(x, y, 0.25)        # quotas 1.5, 1.5, 1.0
    assert np.bincount(y_val, minlength=3).tolist() == [2, 1, 1]  # ties go to the lower class


def test_one_hot_labels_and_determinism_and_regression_targets():
    labels = np.repeat(np.arange(4), 25)
    one_hot = np.eye(4, dtype=np.float32)[labels]
    x = np.random.default_rng(0).normal(size=(100, 2)).astype(np.float32)
    a, b = model().split_validation(x, one_hot, 0.2), model().split_validation(x, one_hot, 0.2)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert a[3].sum(axis=0).tolist() == [5, 5, 5, 5]
    targets = np.linspace(0, 1, 100).astype(np.float32)           # not classes: Keras' last 20%
    _, _, x_val, y_val = model().split_validation(x, targets, 0.2)
    np.testing.assert_array_equal(y_val, targets[-20:])


def test_fit_uses_the_stratified_split_without_touching_the_random_stream():
    y = np.array([0] * 90 + [1] * 10)          # the last 20 samples hold no 1s in Keras' split
    x = np.random.default_rng(0).normal(size=(100, 2)).astype(np.float32)
    m = model()
    state = m.rng.bit_generator.state
    m.split_validation(x, y, 0.2)
    assert m.rng.bit_generator.state == state
    history = m.fit(x, y, epochs=1, validation_split=0.2, verbose=0)
    assert "val_accuracy" in history.history
