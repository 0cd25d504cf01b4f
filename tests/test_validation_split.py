"""fit(validation_split=...) holds out the last samples, exactly as Keras 3 does, and says so
when that tail can't stand for the data (data sorted by class)."""

import warnings

import numpy as np
import pytest

from glassnet import Sequential
from glassnet.engine.layers import Dense
from glassnet.engine.splits import split_sizes


def model():
    m = Sequential([Dense(3, activation="softmax", input_shape=(2,))], seed=0)
    m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


@pytest.mark.parametrize("samples, fraction, held", [(256, 0.2, 52), (100, 0.2, 20), (10, 0.25, 3),
                                                     (60000, 0.2, 12000), (7, 0.5, 4), (3, 0.1, 1)])
def test_sizes_follow_keras_floor_rule(samples, fraction, held):
    # Keras: split_at = floor(samples * (1 - fraction)); 256 * 0.8 = 204.8 -> 204 train, 52 held.
    assert split_sizes(samples, fraction) == (samples - held, held)


def test_the_last_samples_are_held_out_in_order():
    y = np.random.default_rng(1).integers(0, 3, 100)
    x = np.arange(200, dtype=np.float32).reshape(100, 2)
    x_train, y_train, x_val, y_val = model().split_validation(x, y, 0.2)
    np.testing.assert_array_equal(x_train, x[:80])
    np.testing.assert_array_equal(x_val, x[80:])
    np.testing.assert_array_equal(y_val, y[80:])


def test_fit_validates_on_the_same_samples_as_keras():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 2)).astype(np.float32)
    y = rng.integers(0, 3, 256)
    m = model()
    history = m.fit(x, y, epochs=1, validation_split=0.2, batch_size=32, verbose=0)
    # 52 held-out samples: the validation accuracy is a multiple of 1/52.
    assert round(history.history["val_accuracy"][0] * 52, 4) == round(history.history["val_accuracy"][0] * 52)
    val_loss, val_acc = m.evaluate(x[204:], y[204:], verbose=0)
    assert val_acc == pytest.approx(history.history["val_accuracy"][0])
    assert val_loss == pytest.approx(history.history["val_loss"][0], rel=1e-5)


def test_sorted_labels_get_a_warning_that_says_what_happened():
    y = np.array([0] * 90 + [1] * 10)          # the last 20 samples: 10 zeros and every 1
    x = np.random.default_rng(0).normal(size=(100, 2)).astype(np.float32)
    with pytest.warns(UserWarning, match=r"class\(es\) 1 appear only there.*sorted by class"):
        model().fit(x, y, epochs=1, validation_split=0.1, verbose=0)
    y = np.repeat(np.arange(3), 40)            # sorted: the last 20% are all 2s
    x = np.zeros((120, 2), np.float32)
    with pytest.warns(UserWarning, match=r"class\(es\) 0, 1 never appear there"):
        model().fit(x, y, epochs=1, validation_split=0.25, verbose=0)


def test_shuffled_labels_regression_targets_and_one_hot_give_no_warning():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(300, 2)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model().fit(x, rng.integers(0, 3, 300), epochs=1, validation_split=0.2, verbose=0)
        model().fit(x, np.eye(3, dtype=np.float32)[rng.integers(0, 3, 300)], epochs=1, validation_split=0.2,
                    verbose=0)
        m = Sequential([Dense(1, input_shape=(2,))], seed=0)
        m.compile("sgd", "mse")
        m.fit(x, np.linspace(0, 1, 300, dtype=np.float32), epochs=1, validation_split=0.2, verbose=0)


def test_split_takes_no_random_numbers_and_refuses_an_empty_side():
    x = np.zeros((5, 2), np.float32)
    m = model()
    state = m.rng.bit_generator.state
    m.split_validation(x, np.zeros(5, int), 0.2)
    assert m.rng.bit_generator.state == state
    with pytest.raises(ValueError, match="leaves no samples"):
        m.fit(x[:1], np.zeros(1, int), validation_split=0.5, verbose=0)
