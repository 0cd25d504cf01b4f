"""``tf.data.Dataset`` (glassnet.tf_data): each method against hand-worked values, then
against TensorFlow's own where it is installed. fit / evaluate / predict on a dataset are
in tests/test_tf_data_fit.py."""

import numpy as np
import pytest

import glassnet as tf
from glassnet.engine.tensor import Tensor
from glassnet.tf_data import Dataset


def values(ds):
    """The elements as nested Python lists / numbers, for comparing with a hand-worked list."""
    def plain(e):
        if isinstance(e, tuple):
            return tuple(plain(p) for p in e)
        if isinstance(e, dict):
            return {k: plain(v) for k, v in e.items()}
        return np.asarray(e).tolist()
    return [plain(e) for e in ds.as_numpy_iterator()]


# -- sources ------------------------------------------------------------------------------

def test_from_tensor_slices_gives_one_element_per_row_of_each_structure():
    x = np.arange(12, dtype=np.float32).reshape(3, 2, 2)
    y = np.array([7, 8, 9])
    assert values(Dataset.from_tensor_slices(y)) == [7, 8, 9]
    pairs = list(Dataset.from_tensor_slices((x, y)))
    assert len(pairs) == 3 and pairs[1][0].shape == (2, 2) and pairs[1][0].tolist() == [[4, 5], [6, 7]]
    assert isinstance(pairs[2][1], Tensor) and pairs[2][1].numpy() == 9 and pairs[2][1].shape == ()
    assert values(Dataset.from_tensor_slices({"a": y, "b": -y})) == [{"a": 7, "b": -7}, {"a": 8, "b": -8},
                                                                      {"a": 9, "b": -9}]
    assert values(Dataset.from_tensor_slices(({"a": y}, y * 2)))[0] == ({"a": 7}, 14)
    # Python numbers become TensorFlow's float32 / int32; a list is one tensor, not a structure.
    ints, floats = next(iter(Dataset.from_tensor_slices(([1, 2], [0.5, 1.5]))))
    assert (ints.dtype, floats.dtype) == (np.int32, np.float32)
    assert values(Dataset.from_tensor_slices([[1, 2], [3, 4]])) == [[1, 2], [3, 4]]
    assert Dataset.from_tensor_slices(x).element_spec == tf.TensorSpec((2, 2), np.float32)


def test_from_tensors_range_and_zip():
    assert values(Dataset.from_tensors(([1, 2], 3))) == [([1, 2], 3)]
    assert values(Dataset.range(5)) == [0, 1, 2, 3, 4] and values(Dataset.range(2, 9, 3)) == [2, 5, 8]
    assert next(iter(Dataset.range(1))).dtype == np.int64
    a, b = Dataset.range(4), Dataset.range(10, 13)
    assert values(Dataset.zip((a, b))) == [(0, 10), (1, 11), (2, 12)] == values(Dataset.zip(a, b))
    assert values(Dataset.zip({"x": a, "y": b}).take(1)) == [{"x": 0, "y": 10}]
    assert len(Dataset.zip(a, b)) == 3 and len(Dataset.zip(a.repeat(), b)) == 3


def test_from_generator_calls_the_function_each_pass_and_checks_the_signature():
    calls = []

    def gen(stop):
        calls.append(stop)
        for i in range(stop):
            yield np.full(2, i), i

    signature = (tf.TensorSpec(shape=(None,), dtype=tf.float32), tf.TensorSpec(shape=(), dtype=tf.int32))
    ds = Dataset.from_generator(gen, args=(3,), output_signature=signature)
    assert values(ds) == [([0.0, 0.0], 0), ([1.0, 1.0], 1), ([2.0, 2.0], 2)] and calls == [3]
    x, y = next(iter(ds))
    assert (x.dtype, y.dtype) == (np.float32, np.int32) and calls == [3, 3]
    assert int(ds.cardinality()) == tf.data.UNKNOWN_CARDINALITY
    older = Dataset.from_generator(lambda: iter([[1, 2]]), output_types=tf.float32, output_shapes=(2,))
    assert next(iter(older)).dtype == np.float32
    wrong = Dataset.from_generator(lambda: iter([np.zeros(3)]), output_signature=tf.TensorSpec((2,), tf.float32))
    with pytest.raises(TypeError, match=r"yielded an element of shape \(3,\) where an element of shape \(2,\)"):
        list(wrong)
    with pytest.raises(TypeError, match="pass the function, not what it returns"):
        Dataset.from_generator(gen(3))


# -- transformations ------------------------------------------------------------------------

def test_map_unpacks_a_tuple_and_after_batch_gets_whole_batches():
    ds = Dataset.from_tensor_slices((np.arange(5.0), np.arange(5)))
    assert values(ds.map(lambda x, y: (x * 10, y + 1), num_parallel_calls=tf.data.AUTOTUNE).take(2)) == \
        [(0.0, 1), (10.0, 2)]
    assert values(Dataset.range(3).map(lambda i: [i, i * i])) == [(0, 0), (1, 1), (2, 4)]  # a list: a tuple
    assert values(Dataset.from_tensor_slices({"a": np.arange(2)}).map(lambda d: d["a"] + 1)) == [1, 2]
    sizes = []
    list(ds.batch(2).map(lambda x, y: sizes.append(len(x)) or (x, y)))
    assert sizes == [2, 2, 1]


def test_filter_keeps_what_the_predicate_accepts_and_makes_the_length_unknown():
    ds = Dataset.range(10).filter(lambda i: i % 3 == 0)
    assert values(ds) == [0, 3, 6, 9] and int(ds.cardinality()) == tf.data.experimental.UNKNOWN_CARDINALITY
    with pytest.raises(TypeError, match="length is unknown"):
        len(ds)
    with pytest.raises(ValueError, match="one True or False, got shape"):
        list(Dataset.range(4).batch(2).filter(lambda b: b > 0))


def test_shuffle_is_a_seeded_permutation_new_each_pass_from_a_buffer():
    ds = Dataset.range(20).shuffle(20, seed=3)
    first, second = values(ds), values(ds)
    assert sorted(first) == list(range(20)) and first != list(range(20)) and first != second
    assert values(Dataset.range(20).shuffle(20, seed=3)) == first           # the same seed: the same orders
    fixed = Dataset.range(20).shuffle(20, seed=3, reshuffle_each_iteration=False)
    assert values(fixed) == values(fixed)
    assert values(Dataset.range(6).shuffle(1)) == list(range(6))              # a buffer of one: no change
    # A buffer of 3 holds elements k..k+2 when the k-th goes out, so element i can't leave before
    # position i - 2: a short buffer only mixes neighbours (the hand-worked rule of TF's buffer).
    for seed in range(20):
        order = values(Dataset.range(30).shuffle(3, seed=seed))
        assert sorted(order) == list(range(30)) and all(position >= i - 2 for position, i in enumerate(order))
    tf.keras.utils.set_random_seed(1)
    unseeded = values(Dataset.range(10).shuffle(10))
    tf.keras.utils.set_random_seed(1)
    assert values(Dataset.range(10).shuffle(10)) == unseeded                 # keras.utils.set_random_seed


def test_batch_drop_remainder_unbatch_and_their_cardinality():
    x, y = np.arange(14.0).reshape(7, 2), np.arange(7)
    ds = Dataset.from_tensor_slices((x, y))
    batches = list(ds.batch(3))
    assert [b[0].shape for b in batches] == [(3, 2), (3, 2), (1, 2)] and batches[2][1].tolist() == [6]
    assert len(ds.batch(3)) == 3 and len(ds.batch(3, drop_remainder=True)) == 2
    assert [b[1].tolist() for b in ds.batch(3, drop_remainder=True)] == [[0, 1, 2], [3, 4, 5]]
    assert values(ds.batch(3).unbatch()) == values(ds)
    assert int(ds.batch(3).unbatch().cardinality()) == tf.data.UNKNOWN_CARDINALITY    # the last batch: 1
    assert len(ds.batch(3, drop_remainder=True).unbatch()) == 6 and len(Dataset.from_tensor_slices(x).unbatch()) == 14
    assert int(ds.repeat().batch(3).cardinality()) == tf.data.INFINITE_CARDINALITY
    with pytest.raises(ValueError, match="different shapes"):
        list(Dataset.from_generator(lambda: iter([np.zeros(2), np.zeros(3)])).batch(2))


def test_repeat_take_and_skip_work_together():
    ds = Dataset.range(3)
    assert values(ds.repeat(2)) == [0, 1, 2, 0, 1, 2] and len(ds.repeat(2)) == 6
    assert values(ds.repeat().take(7)) == [0, 1, 2, 0, 1, 2, 0] and len(ds.repeat().take(7)) == 7
    assert values(ds.take(2).repeat(2)) == [0, 1, 0, 1] and values(ds.repeat(2).skip(4)) == [1, 2]
    assert values(ds.take(-1)) == [0, 1, 2] and values(ds.skip(-1)) == [] and values(ds.take(10)) == [0, 1, 2]
    assert len(ds.skip(5)) == 0 and values(Dataset.range(0).repeat()) == []
    assert values(ds.take(np.int64(2))) == [0, 1] and values(ds.take(ds.cardinality() // 3)) == [0]
    with pytest.raises(TypeError, match="The dataset is infinite."):
        len(ds.repeat())
    with pytest.raises(ValueError, match="take: count must be a whole number"):
        ds.take(1.5)


def test_cache_runs_the_pipeline_once_but_only_after_a_whole_pass():
    calls = []
    ds = Dataset.range(4).map(lambda i: calls.append(int(i)) or i * 2).cache()
    assert values(ds.take(2)) == [0, 2] and calls == [0, 1]          # a partial pass is not kept
    assert values(ds) == [0, 2, 4, 6] and values(ds) == [0, 2, 4, 6] and calls == [0, 1, 0, 1, 2, 3]
    shuffled = Dataset.range(8).cache().shuffle(8, seed=0)           # cache before shuffle: new orders
    assert values(shuffled) != values(shuffled)


def test_prefetch_enumerate_concatenate_padded_batch_and_as_numpy_iterator():
    ds = Dataset.range(3)
    assert ds.prefetch(tf.data.AUTOTUNE) is ds and tf.data.AUTOTUNE == tf.data.experimental.AUTOTUNE == -1
    assert values(ds.enumerate(start=5)) == [(5, 0), (6, 1), (7, 2)]
    assert values(ds.concatenate(Dataset.range(7, 9))) == [0, 1, 2, 7, 8] and len(ds.concatenate(ds)) == 6
    rows = Dataset.from_generator(lambda: iter([np.array([1]), np.array([2, 3, 4]), np.array([5, 6])]))
    assert values(rows.padded_batch(2)) == [[[1, 0, 0], [2, 3, 4]], [[5, 6]]]
    assert values(rows.padded_batch(3, padded_shapes=(4,), padding_values=-1)) == \
        [[[1, -1, -1, -1], [2, 3, 4, -1], [5, 6, -1, -1]]]
    pairs = rows.map(lambda r: (r, len(r)))
    assert values(pairs.padded_batch(3, padded_shapes=([None], []))) == [([[1, 0, 0], [2, 3, 4], [5, 6, 0]],
                                                                            [1, 3, 2])]
    first = next(Dataset.from_tensor_slices((np.ones((2, 2)), [1, 2])).as_numpy_iterator())
    assert type(first[0]) is np.ndarray and isinstance(first[1], np.integer)
    assert values(ds.flat_map(lambda i: Dataset.range(int(i)))) == [0, 0, 1]
    assert values(ds.apply(lambda d: d.map(lambda i: -i))) == [0, -1, -2]


def test_reduce_sample_from_datasets_and_py_function():
    assert int(Dataset.range(5).reduce(0, lambda total, x: total + x)) == 10
    assert int(Dataset.zip(Dataset.range(3), Dataset.range(3)).reduce(0, lambda s, pair: s + pair[0] * pair[1])) == 5
    a, b = Dataset.range(3), Dataset.range(10, 15)
    mixed = values(Dataset.sample_from_datasets([a, b], seed=0))
    assert sorted(mixed) == [0, 1, 2, 10, 11, 12, 13, 14] and [v for v in mixed if v < 10] == [0, 1, 2]
    assert values(Dataset.sample_from_datasets([a, b], weights=[1, 0])) == [0, 1, 2]
    assert len(values(Dataset.sample_from_datasets([a.repeat(), b], stop_on_empty_dataset=True, seed=3))) < 20
    # The imbalanced-data tutorial's oversampling: half the draws from each, however rare one is.
    pos, neg = Dataset.from_tensor_slices(np.ones(5)).repeat(), Dataset.from_tensor_slices(np.zeros(500)).repeat()
    draws = next(iter(tf.data.experimental.sample_from_datasets([pos, neg], [0.5, 0.5], seed=1).batch(2000)))
    assert abs(float(np.mean(draws)) - 0.5) < 0.05
    assert int(Dataset.sample_from_datasets([pos, neg]).cardinality()) == tf.data.INFINITE_CARDINALITY
    assert int(Dataset.sample_from_datasets([a, b]).cardinality()) == tf.data.UNKNOWN_CARDINALITY
    doubled = Dataset.range(3).map(lambda i: tf.py_function(lambda v: np.asarray(v) * 2, [i], tf.float32))
    assert values(doubled) == [0.0, 2.0, 4.0] and next(iter(doubled)).dtype == np.float32


def test_what_glassnet_lacks_is_one_line_naming_it():
    with pytest.raises(AttributeError, match=r"^glassnet's tf.data.Dataset has no snapshot: "):
        Dataset.range(3).snapshot("saved")
    with pytest.raises(AttributeError, match="no load"):
        tf.data.Dataset.load("saved")
    with pytest.raises(AttributeError, match=r"^glassnet has no tf.data.TFRecordDataset: "):
        tf.data.TFRecordDataset(["a.tfrecord"])
    with pytest.raises(AttributeError, match=r"^glassnet has no tf.data.experimental.SqlDataset: "):
        tf.data.experimental.SqlDataset("sqlite", "a.db", "SELECT 1", (tf.int32,))
    with pytest.raises(TypeError, match=r"^from_tensor_slices: object values are not supported"):
        Dataset.from_tensor_slices(np.array([{"a": 1}, None], dtype=object))
    with pytest.raises(ValueError, match="^from_tensors: can't make one array of a list .*a tuple is a structure"):
        Dataset.from_tensors([np.zeros(2), np.zeros(3)])
    with pytest.raises(ValueError, match="same first axis"):
        Dataset.from_tensor_slices((np.zeros(3), np.zeros(4)))


# -- the same as TensorFlow's ----------------------------------------------------------------

@pytest.fixture(scope="module")
def real_tf():
    return pytest.importorskip("tensorflow")


PIPELINES = {
    "slices_map_batch": lambda d: d.Dataset.from_tensor_slices((np.arange(10.0).reshape(5, 2), np.arange(5)))
    .map(lambda x, y: (x * 2, y)).batch(2),
    "drop_remainder": lambda d: d.Dataset.range(10).batch(4, drop_remainder=True),
    "repeat_take": lambda d: d.Dataset.range(3).repeat().take(8).batch(3),
    "filter_enumerate": lambda d: d.Dataset.range(10).filter(lambda i: i % 2 == 1).enumerate(),
    "zip_skip_concat": lambda d: d.Dataset.zip((d.Dataset.range(5), d.Dataset.range(5, 10))).skip(2)
    .concatenate(d.Dataset.zip((d.Dataset.range(2), d.Dataset.range(2)))),
    "unbatch_dict": lambda d: d.Dataset.from_tensor_slices({"a": np.arange(6).reshape(3, 2)}).unbatch().batch(4),
    "padded": lambda d: d.Dataset.range(1, 5).map(lambda i: i * d_range(d, i)).padded_batch(2),
    "cache_repeat": lambda d: d.Dataset.range(4).cache().repeat(2).take(6),
    "sample_weights_one_side": lambda d: d.Dataset.sample_from_datasets(
        [d.Dataset.range(4), d.Dataset.range(9, 12)], weights=[0.0, 1.0]),
    "repeat_unknown_forever": lambda d: d.Dataset.range(3).filter(lambda i: i > 0).repeat().take(5),
}


def d_range(module, i):
    """``tf.range(i)`` in either library (glassnet's tf.range, TensorFlow's)."""
    return (tf if module is tf.data else __import__("tensorflow")).range(i, dtype="int64")


@pytest.mark.parametrize("name", sorted(PIPELINES))
def test_each_pipeline_gives_what_tensorflow_gives(real_tf, name):
    ours, theirs = PIPELINES[name](tf.data), PIPELINES[name](real_tf.data)
    assert values(ours) == values(theirs)
    assert int(ours.cardinality()) == int(theirs.cardinality())


def test_shuffle_like_tensorflows_permutes_the_same_elements(real_tf):
    ours = values(tf.data.Dataset.range(50).shuffle(10, seed=1))
    theirs = values(real_tf.data.Dataset.range(50).shuffle(10, seed=1))
    assert sorted(ours) == sorted(theirs) == list(range(50))
    assert all(p >= i - 9 for p, i in enumerate(ours)) and all(p >= i - 9 for p, i in enumerate(theirs))


def test_element_spec_and_constants_as_tensorflows(real_tf):
    x = np.zeros((4, 28, 28), np.uint8)
    ours = tf.data.Dataset.from_tensor_slices((x, np.arange(4))).element_spec
    theirs = real_tf.data.Dataset.from_tensor_slices((x, np.arange(4))).element_spec
    assert [(s.shape, np.dtype(s.dtype)) for s in ours] == [(tuple(t.shape), t.dtype.as_numpy_dtype) for t in theirs]
    assert (tf.data.AUTOTUNE, tf.data.INFINITE_CARDINALITY, tf.data.UNKNOWN_CARDINALITY) == \
        (real_tf.data.AUTOTUNE, real_tf.data.INFINITE_CARDINALITY, real_tf.data.UNKNOWN_CARDINALITY)


def test_text_travels_as_strings_as_tf_string_tensors_do():
    texts = Dataset.from_tensor_slices(["a cat", "a dog", "a bird"])
    assert [str(t) for t in texts] == ["a cat", "a dog", "a bird"]
    batch = next(iter(Dataset.from_tensor_slices({"town": np.array(["Cork", "Cobh"], dtype=object),
                                                  "age": [3.0, 4.0]}).batch(2)))
    assert batch["town"].tolist() == ["Cork", "Cobh"] and batch["age"].dtype == np.float32
    assert [str(v) for v in Dataset.range(2).map(lambda i: "label")] == ["label", "label"]



def test_text_line_dataset_reads_the_lines_of_its_files(tmp_path):
    (tmp_path / "a.txt").write_text("first line\nsecond\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("third", encoding="utf-8")
    lines = tf.data.TextLineDataset([str(tmp_path / "a.txt"), tmp_path / "b.txt"])
    assert [str(line) for line in lines] == ["first line", "second", "third"]
    assert [str(line) for line in tf.data.TextLineDataset(str(tmp_path / "b.txt")).map(tf.strings.upper)] == ["THIRD"]


def test_text_is_carried_as_str():
    """File names and labels (the OCR tutorial's pipeline) go through slicing, map and batch."""
    dataset = Dataset.from_tensor_slices((np.array(["a.png", "b.png", "c.png"]), [b"12", b"34", b"56"]))
    first = next(iter(dataset))
    assert first[0] == "a.png" and first[1] == "12" and first[1].dtype.kind == "U"
    lengths = dataset.map(lambda path, label: (tf.strings.length(path), label)).batch(2)
    batch = next(iter(lengths))
    np.testing.assert_array_equal(batch[0], [5, 5])
    np.testing.assert_array_equal(batch[1], ["12", "34"])
    assert list(Dataset.range(2).map(lambda i: "label")) == ["label", "label"]
