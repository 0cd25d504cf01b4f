"""tf.data's less common methods (glassnet.tf_data.windows, .more, .csv_files): each against
hand-worked values, then against TensorFlow's own tf.data where it is installed (the same
elements in the same order, the same cardinality)."""

import numpy as np
import pytest

import glassnet as tf
from glassnet.tf_data import Dataset


def plain(element):
    """An element as nested Python lists / numbers / str (TensorFlow's bytes decoded); a
    window's Dataset as the list of its elements."""
    if isinstance(element, tuple):
        return tuple(plain(part) for part in element)
    if isinstance(element, dict):
        return {key: plain(value) for key, value in element.items()}
    if hasattr(element, "as_numpy_iterator"):
        return [plain(e) for e in element.as_numpy_iterator()]
    array = np.asarray(element)
    if array.dtype.kind in "SO":
        array = np.vectorize(lambda b: b.decode() if isinstance(b, bytes) else b, otypes=[str])(array)
    return array.tolist()


def values(ds):
    return [plain(e) for e in ds]


def cardinality(ds):
    return int(ds.cardinality())


# -- window ---------------------------------------------------------------------------------

def test_window_cuts_neighbours_every_shift_with_stride():
    windows = Dataset.range(7).window(3, shift=2)
    assert values(windows) == [[0, 1, 2], [2, 3, 4], [4, 5, 6], [6]] and cardinality(windows) == 4
    assert values(Dataset.range(7).window(3, shift=2, drop_remainder=True)) == [[0, 1, 2], [2, 3, 4], [4, 5, 6]]
    assert values(Dataset.range(5).window(2, shift=1, stride=3)) == [[0, 3], [1, 4], [2], [3], [4]]
    assert values(Dataset.range(10).window(3, shift=4)) == [[0, 1, 2], [4, 5, 6], [8, 9]]   # skips 3 and 7
    assert cardinality(Dataset.range(10).window(3, shift=4, drop_remainder=True)) == 2
    assert cardinality(Dataset.range(3).repeat().window(2)) == tf.data.INFINITE_CARDINALITY
    assert values(Dataset.range(3).repeat().window(2).take(2)) == [[0, 1], [2, 0]]     # lazily, from an endless one


def test_window_of_pairs_is_a_pair_of_datasets_as_the_course_batches_them():
    pairs = Dataset.from_tensor_slices((np.arange(5), np.arange(5) * 10)).window(2, drop_remainder=True)
    x, y = next(iter(pairs))
    assert values(x) == [0, 1] and values(y) == [0, 10] and cardinality(x) == 2
    zipped = pairs.flat_map(lambda x, y: Dataset.zip((x.batch(2), y.batch(2))))
    assert values(zipped) == [([0, 1], [0, 10]), ([2, 3], [20, 30])]
    assert values(Dataset.from_tensor_slices({"a": np.arange(3)}).window(2).map(lambda w: w["a"].reduce(
        np.int64(0), lambda total, v: total + v))) == [1, 2]
    # The course's windowed_dataset: 10 numbers, windows of 4 -> 7 (past three, next one) pairs.
    course = Dataset.from_tensor_slices(np.arange(10.0)).window(4, shift=1, drop_remainder=True)
    course = course.flat_map(lambda w: w.batch(4)).map(lambda w: (w[:-1], w[-1]))
    assert values(course)[2] == ([2.0, 3.0, 4.0], 5.0) and len(values(course)) == 7


def test_window_refuses_sizes_below_one():
    with pytest.raises(ValueError, match="window: shift must be a whole number >= 1, got 0"):
        Dataset.range(3).window(2, shift=0)


# -- group_by_window, bucket_by_sequence_length, rebatch ----------------------------------------

def test_group_by_window_batches_each_key_apart_and_flushes_by_key():
    grouped = Dataset.range(10).group_by_window(lambda x: x % 3, lambda key, w: w.batch(2), window_size=2)
    assert values(grouped) == [[0, 3], [1, 4], [2, 5], [6, 9], [7], [8]]
    sized = Dataset.range(7).group_by_window(lambda x: x % 2, lambda key, w: w.batch(9),
                                             window_size_func=lambda key: 3 - key)
    assert values(sized) == [[1, 3], [0, 2, 4], [6], [5]]      # the rest by key: 0 first
    with pytest.raises(ValueError, match="either window_size or window_size_func"):
        Dataset.range(3).group_by_window(lambda x: x, lambda k, w: w)


def sequences(module):
    """Ten sequences 1..n of lengths 1 to 9, from a generator, in either library."""
    lengths = [1, 5, 3, 7, 2, 9, 4, 4, 8, 1]
    spec = (tf if module is tf.data else __import__("tensorflow")).TensorSpec(shape=(None,), dtype=np.int64)
    return module.Dataset.from_generator(lambda: (np.arange(n) + 1 for n in lengths), output_signature=spec)


def length(module, x):
    return (tf if module is tf.data else __import__("tensorflow")).shape(x)[0]


def test_bucket_by_sequence_length_pads_within_buckets():
    buckets = sequences(tf.data).bucket_by_sequence_length(lambda x: length(tf.data, x), [3, 6], [2, 2, 3])
    lengths = [[int(np.count_nonzero(row)) for row in batch] for batch in buckets.as_numpy_iterator()]
    # lengths < 3 in bucket 0, 3..5 in bucket 1, >= 6 in bucket 2; each batch as long as its longest.
    assert lengths == [[5, 3], [1, 2], [4, 4], [7, 9, 8], [1]]
    assert [b.shape[1] for b in buckets.as_numpy_iterator()] == [5, 2, 4, 9, 1]
    boundary = sequences(tf.data).bucket_by_sequence_length(lambda x: length(tf.data, x), [3, 6, 10],
                                                              [2, 2, 3, 1], pad_to_bucket_boundary=True)
    assert [b.shape[1] for b in boundary.as_numpy_iterator()] == [5, 2, 5, 9, 2]   # boundary - 1


def test_rebatch_cuts_the_batches_again():
    assert values(Dataset.range(10).batch(4).rebatch(3)) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert values(Dataset.range(12).batch(4).rebatch([2, 3], drop_remainder=True)) == \
        [[0, 1], [2, 3, 4], [5, 6], [7, 8, 9], [10, 11]]


# -- the same as TensorFlow's -------------------------------------------------------------------

@pytest.fixture(scope="module")
def real_tf():
    return pytest.importorskip("tensorflow")


def _tensorflow():
    return __import__("tensorflow")


PIPELINES = {
    "window": lambda d: d.Dataset.range(7).window(3, 2),
    "window_stride": lambda d: d.Dataset.range(5).window(2, 1, 3),
    "window_stride_drop": lambda d: d.Dataset.range(5).window(2, 1, 3, True),
    "window_shift_past_size": lambda d: d.Dataset.range(10).window(3, shift=4),
    "window_shift_past_size_drop": lambda d: d.Dataset.range(10).window(3, shift=4, drop_remainder=True),
    "window_too_short": lambda d: d.Dataset.range(3).window(5, drop_remainder=True),
    "window_course": lambda d: d.Dataset.range(10).window(4, shift=1, drop_remainder=True)
    .flat_map(lambda window: window.batch(4)).map(lambda window: (window[:-1], window[-1])),
    "window_pairs": lambda d: d.Dataset.from_tensor_slices((np.arange(5), np.arange(5) * 2.0)).window(2)
    .flat_map(lambda x, y: d.Dataset.zip((x.batch(2), y.batch(2)))),
    "window_endless": lambda d: d.Dataset.range(3).repeat().window(2).take(4).flat_map(lambda w: w.batch(2)),
    "group_by_window": lambda d: d.Dataset.range(10).group_by_window(lambda x: x % 3, lambda k, w: w.batch(2),
                                                                     window_size=2),
    "group_by_window_func": lambda d: d.Dataset.range(13).group_by_window(
        lambda x: x % 3, lambda k, w: w.batch(5), window_size_func=lambda k: k + 1),
    "group_by_window_pairs": lambda d: d.Dataset.from_tensor_slices((np.arange(7), np.arange(7) % 2))
    .group_by_window(lambda x, y: y, lambda k, w: w.batch(3), window_size=3),
    "bucket": lambda d: sequences(d).bucket_by_sequence_length(lambda x: length(d, x), [3, 6], [2, 2, 3]),
    "bucket_boundary": lambda d: sequences(d).bucket_by_sequence_length(
        lambda x: length(d, x), [3, 6, 10], [2, 2, 3, 1], pad_to_bucket_boundary=True),
    "bucket_drop": lambda d: sequences(d).bucket_by_sequence_length(
        lambda x: length(d, x), [3, 6], [2, 2, 3], drop_remainder=True, padding_values=np.int64(-1)),
    "bucket_no_padding": lambda d: d.Dataset.from_tensor_slices((np.arange(9, dtype=np.int32), np.arange(9.0)))
    .bucket_by_sequence_length(
        lambda x, y: x, [4], [2, 3], no_padding=True),
    "rebatch": lambda d: d.Dataset.range(10).batch(4).rebatch(3),
    "rebatch_drop": lambda d: d.Dataset.range(10).batch(4).rebatch(3, drop_remainder=True),
    "rebatch_sizes": lambda d: d.Dataset.range(12).batch(4).rebatch([2, 3]),
}


@pytest.mark.parametrize("name", sorted(PIPELINES))
def test_each_pipeline_gives_what_tensorflow_gives(real_tf, name):
    ours, theirs = PIPELINES[name](tf.data), PIPELINES[name](real_tf.data)
    assert values(ours) == values(theirs)
    assert cardinality(ours) == cardinality(theirs)
