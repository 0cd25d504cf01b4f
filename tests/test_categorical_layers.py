"""CategoryEncoding and Discretization, the structured-data tutorials' layers: outputs worked
by hand, Keras 3's on the same inputs (adapt's quantiles too), and .keras files both ways."""

import numpy as np
import pytest

from glassnet import layers
from glassnet.engine.layers.categorical import compress_summary, summarize

RNG = np.random.default_rng(5)


def test_category_encoding_by_hand():
    assert layers.CategoryEncoding(4, output_mode="one_hot")(np.array([[3], [0]])).tolist() == [[0, 0, 0, 1],
                                                                                               [1, 0, 0, 0]]
    assert layers.CategoryEncoding(4)(np.array([[3, 1, 1], [0, 0, 2]])).tolist() == [[0, 1, 0, 1], [1, 0, 1, 0]]
    assert layers.CategoryEncoding(3, output_mode="count")(np.array([[2, 2, 0]])).tolist() == [[1, 0, 2]]
    weighted = layers.CategoryEncoding(3, output_mode="count")(np.array([[2, 2, 0]]),
                                                              count_weights=np.array([[0.5, 1.5, 3.0]]))
    assert weighted.tolist() == [[3.0, 0, 2.0]]
    assert layers.CategoryEncoding(3, output_mode="binary").output_mode == "multi_hot"   # Keras 2's name


def test_category_encoding_says_what_is_wrong():
    with pytest.raises(ValueError, match="num_tokens must be a positive integer"):
        layers.CategoryEncoding()
    with pytest.raises(ValueError, match="output_mode must be one of"):
        layers.CategoryEncoding(3, output_mode="int")
    with pytest.raises(ValueError, match="class numbers, got fractions"):
        layers.CategoryEncoding(3)(np.array([[0.5]]))
    with pytest.raises(ValueError, match="only with output_mode='count'"):
        layers.CategoryEncoding(3)(np.array([[1]]), count_weights=np.array([[1.0]]))


def test_discretization_by_hand():
    layer = layers.Discretization(bin_boundaries=[0.0, 1.0, 2.5])
    x = np.array([[-1.0, 0.0, 0.5], [1.0, 2.5, 9.0]])
    assert layer(x).tolist() == [[0, 1, 1], [2, 3, 3]] and layer(x).dtype == np.int32
    assert layers.Discretization(bin_boundaries=[0.0], output_mode="one_hot")(np.array([[-2.0], [3.0]])).tolist() \
        == [[1, 0], [0, 1]]
    with pytest.raises(ValueError, match="either bin_boundaries or num_bins"):
        layers.Discretization()
    with pytest.raises(ValueError, match="adapt"):
        layers.Discretization(num_bins=3)(x)


def test_the_summary_is_exact_for_small_data_and_gives_quantiles():
    values = RNG.permutation(np.arange(50, dtype=np.float32))
    summary = summarize(values, 0.01)                   # fewer values than 1/epsilon: all, weight 1
    assert summary[0].tolist() == list(range(50)) and set(summary[1]) == {1.0}
    boundaries = compress_summary(summary, 1 / 5)[0, :-1]
    np.testing.assert_allclose(boundaries, [9, 19, 29, 39])  # the 20%, 40%... points of the cumulative counts


@pytest.mark.parametrize("batches", [1, 3])
def test_adapt_and_outputs_equal_keras(batches):
    keras = pytest.importorskip("keras")
    data = RNG.normal(size=(600, 2)).astype(np.float32) * 3
    feed = data if batches == 1 else [data[i::batches] for i in range(batches)]
    mine, theirs = layers.Discretization(num_bins=5), keras.layers.Discretization(num_bins=5)
    mine.adapt(feed)
    theirs.adapt(feed)
    np.testing.assert_allclose(mine.bin_boundaries, theirs.bin_boundaries, rtol=1e-6)
    x = RNG.normal(size=(20, 2)).astype(np.float32) * 3
    np.testing.assert_array_equal(mine(x), np.asarray(theirs(x)))
    for mode in ("one_hot", "multi_hot", "count"):
        ids = RNG.integers(0, 6, (8, 3))
        np.testing.assert_array_equal(layers.CategoryEncoding(6, output_mode=mode)(ids),
                                      np.asarray(keras.layers.CategoryEncoding(6, output_mode=mode)(ids)))


def test_keras_files_both_ways(tmp_path):
    keras = pytest.importorskip("keras")
    import glassnet

    def build(lib):
        age = lib.Input(shape=(1,), name="age")
        kind = lib.Input(shape=(1,), name="kind", dtype="int64")
        discretizer = lib.layers.Discretization(num_bins=4, name="bins")
        discretizer.adapt(np.linspace(0, 90, 200).astype(np.float32))
        ages = lib.layers.CategoryEncoding(4, output_mode="one_hot")(discretizer(age))
        kinds = lib.layers.CategoryEncoding(3, output_mode="one_hot")(kind)
        out = lib.layers.Dense(1)(lib.layers.Concatenate()([ages, kinds]))
        return lib.Model([age, kind], out)

    x = [np.array([[5.0], [50.0], [80.0]], np.float32), np.array([[0], [2], [1]])]
    for make, load in ((glassnet, keras), (keras, glassnet)):
        model = build(make)
        path = tmp_path / f"{make.__name__}.keras"
        model.save(path)
        loaded = load.models.load_model(path)
        np.testing.assert_allclose(np.asarray(loaded.predict(x, verbose=0)), model.predict(x, verbose=0),
                                   rtol=1e-5, atol=1e-6)
