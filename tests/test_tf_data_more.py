"""tf.data's less common methods (glassnet.tf_data.windows, .more, .csv_files): each against
hand-worked values, then against TensorFlow's own tf.data where it is installed (the same
elements in the same order, the same cardinality)."""

import gzip

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


def test_a_window_datasets_element_spec_is_a_dataset_spec(real_tf):
    ours = Dataset.range(7).window(3).element_spec
    theirs = real_tf.data.Dataset.range(7).window(3).element_spec
    assert repr(ours) == repr(theirs) == "DatasetSpec(TensorSpec(shape=(), dtype=tf.int64, name=None), TensorShape([]))"
    assert ours == tf.data.DatasetSpec(tf.TensorSpec((), np.int64))


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


# -- interleave, list_files, scan, take_while, shard, unique... ---------------------------------

def test_interleave_cycles_over_inputs_a_block_at_a_time():
    # Inputs 1, 2, 3 give 10 | 20 21 | 30 31 32; two at a time, two elements from each:
    # 10 (1 runs out, 3 takes its slot next time), 20 21, 30 31, 32.
    nested = Dataset.range(1, 4).interleave(lambda x: Dataset.range(x * 10, x * 10 + x), cycle_length=2,
                                            block_length=2)
    assert values(nested) == [10, 20, 21, 30, 31, 32] and cardinality(nested) == tf.data.UNKNOWN_CARDINALITY
    one_each = Dataset.range(1, 4).interleave(lambda x: Dataset.from_tensors(x).repeat(3), cycle_length=3)
    assert values(one_each) == [1, 2, 3] * 3
    endless = Dataset.range(2).repeat().interleave(lambda x: Dataset.from_tensors(x), cycle_length=2)
    assert values(endless.take(3)) == [0, 1, 0]


def test_list_files_sorts_then_shuffles_each_pass(tmp_path):
    for name in ["b.txt", "a.txt", "c.csv"]:
        (tmp_path / name).write_text(name)
    pattern = str(tmp_path / "*.txt")
    assert [p.split("/")[-1] for p in values(Dataset.list_files(pattern, shuffle=False))] == ["a.txt", "b.txt"]
    both = Dataset.list_files([pattern, str(tmp_path / "*.csv")], shuffle=False)
    assert [p.split("/")[-1] for p in values(both)] == ["a.txt", "b.txt", "c.csv"] and cardinality(both) == 3
    passes = [tuple(values(Dataset.list_files(str(tmp_path / "*"), seed=1))) for _ in range(2)]
    shuffled = Dataset.list_files(str(tmp_path / "*"), seed=1)
    assert len({tuple(values(shuffled)) for _ in range(8)}) > 1 and passes[0] == passes[1]
    lines = Dataset.list_files(pattern, shuffle=False).interleave(tf.data.TextLineDataset, cycle_length=2)
    assert values(lines) == ["a.txt", "b.txt"]
    with pytest.raises(ValueError, match="^list_files: No files matched pattern: .*png"):
        Dataset.list_files(str(tmp_path / "*.png"))


def test_scan_take_while_shard_and_unique():
    assert values(Dataset.range(5).scan(0, lambda total, x: (total + x, total + x))) == [0, 1, 3, 6, 10]
    assert values(Dataset.range(10).take_while(lambda x: x * x < 10)) == [0, 1, 2, 3]
    assert values(Dataset.range(10).shard(3, 1)) == [1, 4, 7] and cardinality(Dataset.range(10).shard(3, 0)) == 4
    assert values(Dataset.from_tensor_slices(["b", "a", "b"]).unique()) == ["b", "a"]
    with pytest.raises(ValueError, match="shard: index must be below num_shards"):
        Dataset.range(3).shard(2, 2)
    with pytest.raises(TypeError, match="^unique: only single whole numbers or strings"):
        list(Dataset.range(3).map(lambda x: (x, x)).unique())


def test_sources_counter_random_choose_and_get_single_element():
    assert values(Dataset.counter(3, 2).take(3)) == [3, 5, 7]
    assert cardinality(Dataset.counter()) == cardinality(Dataset.random()) == tf.data.INFINITE_CARDINALITY
    draws = Dataset.random(seed=4).take(5)
    assert values(draws) == values(draws) and all(0 <= v < 2**32 for v in values(draws))
    assert next(iter(draws)).dtype == np.int64
    fresh = Dataset.random(seed=4, rerandomize_each_iteration=True).take(5)
    assert values(fresh) != values(fresh)
    datasets = [Dataset.range(3), Dataset.range(10, 12)]
    choices = Dataset.from_tensor_slices(np.array([1, 0, 1, 1, 0], np.int64))
    assert values(Dataset.choose_from_datasets(datasets, choices)) == [10, 0, 11]          # 1 ran out: the end
    assert values(Dataset.choose_from_datasets(datasets, choices, stop_on_empty_dataset=False)) == [10, 0, 11, 1]
    assert Dataset.range(5).skip(4).get_single_element().tolist() == 4
    with pytest.raises(ValueError, match="Dataset had more than one element"):
        Dataset.range(2).get_single_element()
    with pytest.raises(ValueError, match="Dataset was empty"):
        Dataset.range(0).get_single_element()


def test_ignore_errors_skips_the_elements_whose_function_failed():
    def inverse(x):
        if int(x) == 2:
            raise ValueError("divide by zero")
        return 1.0 / (float(x) - 2)
    assert values(Dataset.range(4).map(inverse).ignore_errors()) == [-0.5, -1.0, 1.0]
    assert values(Dataset.range(4).filter(lambda x: inverse(x) > -0.7).ignore_errors()) == [0, 3]
    with pytest.warns(UserWarning, match="ignore_errors: an element was skipped: ValueError: divide by zero"):
        assert len(values(Dataset.range(4).map(inverse).ignore_errors(log_warning=True))) == 3
    with pytest.raises(ValueError, match="divide by zero"):     # after ignore_errors, errors are errors
        list(Dataset.range(4).ignore_errors().map(inverse))


def test_options_are_kept_and_checked():
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    options.deterministic = False
    ds = Dataset.range(3).with_options(options)
    assert values(ds) == [0, 1, 2] and ds.options().deterministic is False
    assert ds.options().experimental_distribute.auto_shard_policy == tf.data.experimental.AutoShardPolicy.DATA
    assert Dataset.range(3).options().deterministic is None
    with pytest.raises(AttributeError, match="^Cannot set the property determinstic on Options"):
        options.determinstic = True


# -- CSV files ----------------------------------------------------------------------------------

PASSENGERS = 'name,age,fare,big,survived\n"Smith, J",22,7.25,3000000000,0\nAnn,,8,1,1\nBo,35,NA,2,1\n'


@pytest.fixture
def csv_files(tmp_path):
    (tmp_path / "a.csv").write_text(PASSENGERS)
    (tmp_path / "b.csv").write_text("name,age,fare,big,survived\nCy,4,1.5,5,0\n")
    (tmp_path / "bad.csv").write_text("name,age,fare,big,survived\nCy,4,1.5,5,0\nDi,x,2,3,1\nEd,5,2,3,1\n")
    return tmp_path


def test_make_csv_dataset_infers_column_types_and_batches_a_dict(csv_files):
    ds = tf.data.experimental.make_csv_dataset(str(csv_files / "a.csv"), batch_size=2, label_name="survived",
                                               num_epochs=1, shuffle=False, na_value="NA")
    (features, label), (last, _) = list(ds)
    assert list(features) == ["name", "age", "fare", "big"] and label.tolist() == [0, 1]
    # int32 where every value fits, int64 past 2**31, float32, strings; empty and NA fields are 0.
    assert [features[k].dtype for k in features] == [np.dtype("<U8"), np.int32, np.float32, np.int64]
    assert features["name"].tolist() == ["Smith, J", "Ann"] and features["age"].tolist() == [22, 0]
    assert last["fare"].tolist() == [0.0] and cardinality(ds) == tf.data.UNKNOWN_CARDINALITY
    endless = tf.data.experimental.make_csv_dataset(str(csv_files / "[ab].csv"), batch_size=3, shuffle=False,
                                                    num_parallel_reads=2, select_columns=["name"])
    assert [b["name"].tolist() for b in endless.take(2)] == [["Smith, J", "Cy", "Ann"], ["Bo", "Smith, J", "Cy"]]
    assert cardinality(endless) == tf.data.INFINITE_CARDINALITY
    shuffled = tf.data.experimental.make_csv_dataset(str(csv_files / "[ab].csv"), batch_size=9, num_epochs=1)
    assert sorted(next(iter(shuffled))["name"].tolist()) == ["Ann", "Bo", "Cy", "Smith, J"]
    skipped = tf.data.experimental.make_csv_dataset(str(csv_files / "bad.csv"), batch_size=5, num_epochs=1,
                                                    shuffle=False, ignore_errors=True, column_defaults=[
                                                        tf.string, 0, 0.0, 0, 0])
    assert next(iter(skipped))["name"].tolist() == ["Cy", "Ed"]          # Di's age is no number
    with gzip.open(csv_files / "a.csv.gz", "wt") as file:
        file.write(PASSENGERS)
    packed = tf.data.experimental.make_csv_dataset(str(csv_files / "a.csv.gz"), batch_size=3, num_epochs=1,
                                                   shuffle=False, compression_type="GZIP", label_name="survived")
    assert values(packed)[0][0]["big"] == [3000000000, 1, 2]


def test_csv_dataset_types_columns_by_record_defaults(csv_files):
    lines = tf.data.experimental.CsvDataset(str(csv_files / "a.csv"), [tf.string, 0, 0.0, tf.int64, 0],
                                            header=True, na_value="NA")
    assert values(lines)[1] == ("Ann", 0, 8.0, 1, 1)
    assert [v.dtype for v in next(iter(lines))] == [np.dtype("<U8"), np.int32, np.float32, np.int64, np.int32]
    fares = tf.data.experimental.CsvDataset(str(csv_files / "a.csv"), [-1.0], header=True, select_cols=[2],
                                            na_value="NA")
    assert values(fares) == [(7.25,), (8.0,), (-1.0,)]
    required = tf.data.experimental.CsvDataset(str(csv_files / "a.csv"), [tf.string, tf.int32, 0.0, tf.int64, 0],
                                               header=True)
    with pytest.raises(ValueError, match="^CsvDataset: Field 1 is required but missing in record!"):
        list(required)
    with pytest.raises(ValueError, match="^CsvDataset: Field 0 in record is not a valid float: Smith, J"):
        list(tf.data.experimental.CsvDataset(str(csv_files / "a.csv"), [0.0] * 5, header=True))


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
    "interleave": lambda d: d.Dataset.range(1, 6).interleave(lambda x: d.Dataset.range(x * 10, x * 10 + x),
                                                            cycle_length=2, block_length=2),
    "interleave_parallel": lambda d: d.Dataset.range(1, 9).interleave(
        lambda x: d.Dataset.range(x * 10, x * 10 + x), cycle_length=4, block_length=3,
        num_parallel_calls=d.AUTOTUNE, deterministic=True),
    "interleave_empty_inputs": lambda d: d.Dataset.range(0, 6).interleave(
        lambda x: d.Dataset.range(x * 10, x * 10 + x), cycle_length=3),
    "interleave_endless": lambda d: d.Dataset.range(3).repeat().interleave(
        lambda x: d.Dataset.from_tensors(x).repeat(2), cycle_length=2).take(9),
    "scan": lambda d: d.Dataset.range(5).scan(np.int64(0), lambda s, x: (s + x, s * 2)),
    "scan_pairs": lambda d: d.Dataset.from_tensor_slices((np.arange(3), np.arange(3))).scan(
        np.int64(0), lambda s, e: (s + e[0], s)),
    "take_while": lambda d: d.Dataset.range(10).take_while(lambda x: x < 4),
    "shard": lambda d: d.Dataset.range(10).shard(3, 1),
    "shard_last": lambda d: d.Dataset.range(10).shard(3, 2),
    "shard_endless": lambda d: d.Dataset.range(10).repeat().shard(3, 1).take(5),
    "unique": lambda d: d.Dataset.from_tensor_slices([1, 2, 1, 3, 2, 2]).unique(),
    "unique_strings": lambda d: d.Dataset.from_tensor_slices(["a", "b", "a"]).unique(),
    "counter": lambda d: d.Dataset.counter(3, 2).take(3),
    "choose": lambda d: d.Dataset.choose_from_datasets(
        [d.Dataset.range(3), d.Dataset.range(10, 13), d.Dataset.range(20, 21)],
        d.Dataset.from_tensor_slices(np.array([0, 1, 1, 0, 2], np.int64))),
    "choose_stop": lambda d: d.Dataset.choose_from_datasets(
        [d.Dataset.range(3), d.Dataset.range(10, 13), d.Dataset.range(20, 21)],
        d.Dataset.from_tensor_slices(np.array([2, 2, 0, 0, 0, 0, 1], np.int64))),
    "choose_go_on": lambda d: d.Dataset.choose_from_datasets(
        [d.Dataset.range(3), d.Dataset.range(10, 13), d.Dataset.range(20, 21)],
        d.Dataset.from_tensor_slices(np.array([2, 2, 0, 0, 0, 0, 1], np.int64)), stop_on_empty_dataset=False),
    "ignore_errors": lambda d: d.Dataset.range(5).map(fails_at_two(d)).ignore_errors(),
    "ignore_errors_filter": lambda d: d.Dataset.range(5).map(fails_at_two(d)).filter(lambda x: x > 0)
    .ignore_errors().batch(2),
}


def fails_at_two(module):
    """``1 / (x - 2)``, an error at 2 (TensorFlow's check_numerics on the infinity)."""
    if module is not tf.data:
        real = _tensorflow()
        return lambda x: real.debugging.check_numerics(1.0 / real.cast(x - 2, real.float32), "infinite")

    def inverse(x):
        if int(x) == 2:
            raise ValueError("infinite")
        return np.float32(1.0) / np.float32(x - 2)
    return inverse


@pytest.mark.parametrize("name", sorted(PIPELINES))
def test_each_pipeline_gives_what_tensorflow_gives(real_tf, name):
    ours, theirs = PIPELINES[name](tf.data), PIPELINES[name](real_tf.data)
    assert values(ours) == values(theirs)
    assert cardinality(ours) == cardinality(theirs)


CSV_PIPELINES = {
    "make_csv_dataset": lambda e, t, folder: e.make_csv_dataset(
        str(folder / "a.csv"), batch_size=2, label_name="survived", num_epochs=1, shuffle=False, na_value="NA"),
    "make_csv_dataset_columns": lambda e, t, folder: e.make_csv_dataset(
        str(folder / "[ab].csv"), batch_size=2, num_epochs=2, shuffle=False, select_columns=["fare", "name"]),
    "make_csv_dataset_parallel_reads": lambda e, t, folder: e.make_csv_dataset(
        str(folder / "[ab].csv"), batch_size=3, shuffle=False, na_value="NA", num_parallel_reads=2).take(3),
    "make_csv_dataset_ignore_errors": lambda e, t, folder: e.make_csv_dataset(
        str(folder / "bad.csv"), batch_size=5, num_epochs=1, shuffle=False, ignore_errors=True,
        column_defaults=[t.string, 0, 0.0, 0, 0]),
    "csv_dataset": lambda e, t, folder: e.CsvDataset(
        str(folder / "a.csv"), [t.string, 0, 0.0, t.int64, 0], header=True, na_value="NA"),
    "csv_dataset_select": lambda e, t, folder: e.CsvDataset(
        str(folder / "a.csv"), [0.0], header=True, select_cols=[2], na_value="NA"),
    "csv_dataset_exclude": lambda e, t, folder: e.CsvDataset(
        str(folder / "a.csv"), [t.string, 0, 0.0], header=True, exclude_cols=[3, 4], na_value="NA"),
    "csv_dataset_ignore_errors": lambda e, t, folder: e.CsvDataset(
        [str(folder / "bad.csv"), str(folder / "b.csv")], [t.string, 0, 0.0, 0, 0], header=True).ignore_errors(),
}


@pytest.mark.parametrize("name", sorted(CSV_PIPELINES))
def test_csv_files_read_as_tensorflow_reads_them(real_tf, csv_files, name):
    ours = CSV_PIPELINES[name](tf.data.experimental, tf, csv_files)
    theirs = CSV_PIPELINES[name](real_tf.data.experimental, real_tf, csv_files)
    assert values(ours) == values(theirs) and cardinality(ours) == cardinality(theirs)
    first, expected = next(iter(ours)), next(iter(theirs))
    dtypes = [np.dtype(t.dtype.as_numpy_dtype) for t in real_tf.nest.flatten(expected)]
    assert [a.dtype if a.dtype.kind != "U" else np.dtype(object) for a in real_tf.nest.flatten(first)] == dtypes


def test_list_files_as_tensorflows(real_tf, tmp_path):
    for name in ["b.txt", "a.txt", "c.csv", "z.txt"]:
        (tmp_path / name).write_text(name)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.txt").write_text("x")
    patterns = [str(tmp_path / "*.txt"), str(tmp_path / "*.csv"), str(tmp_path / "*" / "*.txt")]
    for pattern, shuffle in [(patterns[0], False), (patterns, False), (patterns, None)]:
        ours, theirs = tf.data.Dataset.list_files(pattern, shuffle), real_tf.data.Dataset.list_files(pattern, shuffle)
        assert (values(ours) == values(theirs)) if shuffle is False else sorted(values(ours)) == sorted(values(theirs))
        assert cardinality(ours) == cardinality(theirs)


def test_counter_and_random_elements_as_tensorflows(real_tf):
    for source in ("counter", "random"):
        ours, theirs = getattr(tf.data.Dataset, source)(), getattr(real_tf.data.Dataset, source)()
        assert cardinality(ours) == cardinality(theirs)
        assert next(iter(ours)).dtype == theirs.element_spec.dtype.as_numpy_dtype and next(iter(ours)).shape == ()
