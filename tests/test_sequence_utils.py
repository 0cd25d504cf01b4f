"""pad_sequences and timeseries_dataset_from_array, against the arrays worked out by hand."""

import numpy as np
import pytest

import glassnet
from glassnet.errors import DataError
from glassnet.utils import pad_sequences, timeseries_dataset_from_array


def test_pad_sequences_pads_and_cuts_at_the_front_by_default():
    seqs = [[1, 2, 3], [4, 5], [6, 7, 8, 9, 10], []]
    np.testing.assert_array_equal(pad_sequences(seqs), [[0, 0, 1, 2, 3], [0, 0, 0, 4, 5], [6, 7, 8, 9, 10], [0] * 5])
    np.testing.assert_array_equal(pad_sequences(seqs, maxlen=4), [[0, 1, 2, 3], [0, 0, 4, 5], [7, 8, 9, 10], [0] * 4])
    np.testing.assert_array_equal(pad_sequences(seqs, maxlen=4, padding="post", truncating="post", value=-1),
                                  [[1, 2, 3, -1], [4, 5, -1, -1], [6, 7, 8, 9], [-1] * 4])
    assert pad_sequences(seqs).dtype == np.int32
    vectors = pad_sequences([np.ones((2, 3)), np.ones((1, 3))], dtype="float32")    # steps of 3 numbers
    assert vectors.shape == (2, 2, 3) and vectors[1, 0].sum() == 0


def test_pad_sequences_bad_settings_are_one_line_errors():
    with pytest.raises(ValueError, match="padding must be 'pre' or 'post'"):
        pad_sequences([[1]], padding="left")
    with pytest.raises(DataError, match=r"sequence 1 has steps of shape \(2,\), the others \(3,\)"):
        pad_sequences([np.ones((2, 3)), np.ones((2, 2))])


def test_windows_of_a_series_and_their_targets():
    data = np.arange(20)
    batches = timeseries_dataset_from_array(data, targets=data[3:] * 10, sequence_length=3, batch_size=4)
    x, y = batches[0]
    np.testing.assert_array_equal(x, [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]])
    np.testing.assert_array_equal(y, [30, 40, 50, 60])                 # the value right after each window
    assert len(batches) == 5 and len(batches[4][0]) == 1                # 17 windows: 4 + 4 + 4 + 4 + 1
    assert isinstance(batches, glassnet.data.Dataset)                   # Keras's is a tf.data.Dataset too
    assert [len(y) for _, y in batches.unbatch().batch(8)] == [8, 8, 1] and batches[0][1].numpy()[0] == 30
    strided = timeseries_dataset_from_array(data, None, sequence_length=3, sequence_stride=4, sampling_rate=2,
                                            start_index=2, end_index=15, batch_size=None)
    np.testing.assert_array_equal([strided[i] for i in range(len(strided))], [[2, 4, 6], [6, 8, 10], [10, 12, 14]])


def test_shuffled_windows_are_the_same_windows_in_a_seeded_order_and_fit_reads_them():
    data = np.random.default_rng(0).random((60, 2)).astype(np.float32)
    make = lambda seed: timeseries_dataset_from_array(data, data[5:, 0], sequence_length=5, shuffle=True,   # noqa: E731
                                                      seed=seed, batch_size=100)[0]
    (a, ya), (b, yb), (c, _) = make(1), make(1), make(2)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(a, c) and sorted(map(tuple, a[:, 0])) == sorted(map(tuple, c[:, 0]))
    model = glassnet.Sequential([glassnet.Input((5, 2)), glassnet.layers.LSTM(3), glassnet.layers.Dense(1)], seed=0)
    model.compile("adam", "mse")
    history = model.fit(timeseries_dataset_from_array(data, data[5:, 0], sequence_length=5, batch_size=16),
                        epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    with pytest.raises(ValueError, match="start_index=30 and end_index=10"):
        timeseries_dataset_from_array(data, None, 3, start_index=30, end_index=10)
