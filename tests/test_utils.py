"""glassnet.utils: to_categorical, normalize, set_random_seed and the PyDataset base class."""

import math
import random

import numpy as np
import pytest

from glassnet import utils
from glassnet.errors import DataError


def test_to_categorical_as_keras():
    np.testing.assert_array_equal(utils.to_categorical([2, 0, 1]), np.eye(3)[[2, 0, 1]])
    out = utils.to_categorical(np.array([[1], [3]]), num_classes=5)    # a trailing 1 is dropped
    assert out.shape == (2, 5) and out.dtype == np.float32 and out[1, 3] == 1
    assert utils.to_categorical(np.zeros((2, 3), int), 4).shape == (2, 3, 4)
    with pytest.raises(DataError, match="class number 7 doesn't fit num_classes=5"):
        utils.to_categorical([1, 7], 5)
    with pytest.raises(DataError, match="class numbers must be >= 0, got -1"):
        utils.to_categorical([-1, 2])
    with pytest.raises(DataError, match="expected whole class numbers"):
        utils.to_categorical([0.5])


def test_normalize_gives_unit_rows_and_leaves_zero_rows_alone():
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(utils.normalize(x), [[0.6, 0.8], [0.0, 0.0]])
    np.testing.assert_allclose(utils.normalize(x, order=1), [[3 / 7, 4 / 7], [0, 0]])


def test_set_random_seed_repeats_python_and_numpy_draws():
    utils.set_random_seed(3)
    first = (random.random(), np.random.random())
    utils.set_random_seed(3)
    assert (random.random(), np.random.random()) == first


class Squares(utils.PyDataset):
    def __init__(self, n, batch_size):
        super().__init__()
        self.x = np.arange(n, dtype=np.float32)
        self.batch_size, self.epochs_ended = batch_size, 0

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, index):
        part = self.x[index * self.batch_size:(index + 1) * self.batch_size]
        return part, part ** 2

    def on_epoch_end(self):
        self.epochs_ended += 1


def test_pydataset_is_what_fit_reads_and_sequence_is_its_keras_2_name():
    data = Squares(10, 4)
    assert data.num_batches == len(data) == 3
    x, y = data[2]
    np.testing.assert_array_equal(y, [64, 81])
    assert utils.Sequence is utils.PyDataset
    data.on_epoch_begin()
    data.on_epoch_end()
    assert data.epochs_ended == 1


def test_pydataset_without_methods_says_what_is_missing_and_workers_warn():
    class Empty(utils.PyDataset):
        pass
    assert Empty().num_batches is None
    with pytest.raises(NotImplementedError, match="must define __getitem__"):
        Empty()[0]
    with pytest.warns(RuntimeWarning, match="reads batches in the training loop"):
        Empty(workers=4)
