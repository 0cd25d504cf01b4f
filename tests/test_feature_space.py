"""keras.utils.FeatureSpace and the HashedCrossing layer it crosses features with; a Functional
model whose input is a placeholder computed on the way (``Model(encoded_features, outputs)``).

Hand-worked checks run everywhere; where Keras 3 is installed the same tables are encoded by
Keras's FeatureSpace too and the arrays must be equal.
"""

import numpy as np
import pytest

import glassnet
from glassnet.engine.feature_space import FeatureSpace
from glassnet.engine.layers.hashed_crossing import HASH_KEY, HashedCrossing

MASK = 2 ** 64 - 1

RAW = {"f": np.array([0.0, 1.0, 2.0, 3.0, 10.0]), "s": np.array(["a", "b", "a", "c", "zz"]),
       "i": np.array([3, 1, 3, 2, 7]), "d": np.array([0.1, 0.5, 0.9, 0.3, 0.7])}


def small_space(fs=FeatureSpace, output_mode="concat"):
    return fs(features={"s": "string_categorical", "i": fs.integer_categorical(num_oov_indices=0),
                        "f": "float_normalized", "d": fs.float_discretized(num_bins=3)},
              crosses=[fs.cross(("s", "i"), crossing_dim=4)], output_mode=output_mode)


def cat64(a, b):
    """TensorFlow's FingerprintCat64, written again with Python ints (the layer uses uint64 arrays)."""
    k = 0xC6A4A7935BD1E995

    def mix(v):
        return v ^ (v >> 47)
    result = (a ^ k) ^ (mix((b * k) & MASK) * k & MASK)
    result = (result * k) & MASK
    return mix((mix(result) * k) & MASK)


# -- HashedCrossing ----------------------------------------------------------------------------
def test_hashed_crossing_of_whole_numbers_is_tensorflows_fingerprint_cat():
    a, b = np.array([[1], [2], [-3]]), np.array([[5], [0], [7]])
    expected = [[cat64(cat64(HASH_KEY, x & MASK), y & MASK) % 10] for x, y in zip(a[:, 0].tolist(), b[:, 0].tolist())]
    assert HashedCrossing(10)([a, b]).tolist() == expected
    assert HashedCrossing(10)([a[:, 0], b[:, 0]]).tolist() == [row[0] for row in expected]   # (N,) in, (N,) out


def test_hashed_crossing_bins_and_one_hot_rows_are_kerass():
    # tf.sparse.cross_hashed's bins (Keras 3.15 + TensorFlow 2.21), strings fingerprinted first
    crossed = HashedCrossing(5)([np.array([[1], [2], [7]]), np.array([["a"], ["b"], ["fixed"]])])
    assert crossed.tolist() == [[0], [4], [1]] and crossed.dtype == np.int64
    one_hot = HashedCrossing(5, output_mode="one_hot")([np.array([[1], [2]]), np.array([["a"], ["b"]])])
    assert np.asarray(one_hot).tolist() == [[1, 0, 0, 0, 0], [0, 0, 0, 0, 1]]


def test_hashed_crossing_refuses_floats_and_a_single_column_in_one_line():
    with pytest.raises(ValueError, match="whole numbers or strings, got float64"):
        HashedCrossing(4)([np.array([[1.5]]), np.array([[1]])])
    with pytest.raises(ValueError, match="at least two columns"):
        HashedCrossing(4).bins([np.array([[1]])])
    with pytest.raises(ValueError, match="output_mode must be 'int' or 'one_hot'"):
        HashedCrossing(4, output_mode="count")


# -- FeatureSpace: hand-worked --------------------------------------------------------------------
def test_concat_columns_are_the_sorted_feature_names_then_the_crosses():
    space = small_space()
    space.adapt(RAW)
    out = np.asarray(space(RAW))
    # d: 3 bins | f: 1 | i: 4 (3, 7, 2, 1: most frequent first, ties larger first) | s: 5 ([UNK], a, zz, c, b) | s_X_i: 4
    assert out.shape == (5, 17) and out.dtype == np.float32
    assert space.preprocessors["s"].get_vocabulary() == ["[UNK]", "a", "zz", "c", "b"]
    assert space.preprocessors["i"].get_vocabulary() == [3, 7, 2, 1]
    np.testing.assert_allclose(out[:, 3], (RAW["f"] - 3.2) / np.sqrt(12.56), rtol=1e-6)   # mean 3.2, var 12.56
    assert out[:, 4:8].tolist() == np.eye(4)[[0, 3, 0, 2, 1]].tolist()
    assert out[:, 8:13].tolist() == np.eye(5)[[1, 4, 1, 3, 2]].tolist()
    bins = HashedCrossing(4)([np.array([[1], [4], [1], [3], [2]]), np.array([[0], [3], [0], [2], [1]])])
    assert out[:, 13:].tolist() == np.eye(4)[bins[:, 0]].tolist()
    assert (out[:, :3].sum(axis=1) == 1).all()


def test_one_row_gives_one_vector_and_dict_mode_gives_each_feature():
    space = small_space()
    space.adapt(glassnet.data.Dataset.from_tensor_slices(RAW))      # one row at a time: batched by 32
    row = space({name: column[1] for name, column in RAW.items()})
    assert np.shape(row) == (17,) and np.asarray(row).tolist() == np.asarray(space(RAW))[1].tolist()
    as_dict = small_space(output_mode="dict")
    as_dict.adapt(glassnet.data.Dataset.from_tensor_slices(RAW).batch(2))
    encoded = as_dict(RAW)
    assert list(encoded) == ["d", "f", "i", "s", "s_X_i"]
    assert {name: np.shape(value) for name, value in encoded.items()} == \
        {"d": (5, 3), "f": (5, 1), "i": (5, 4), "s": (5, 5), "s_X_i": (5, 4)}


def test_encoded_features_make_a_model_from_raw_columns_and_one_from_the_encoded_vector():
    space = small_space()
    space.adapt(RAW)
    inputs, encoded = space.get_inputs(), space.get_encoded_features()
    assert sorted(inputs) == ["d", "f", "i", "s"] and encoded.shape == (None, 17)
    dense = glassnet.layers.Dense(1)
    outputs = dense(encoded)
    end_to_end = glassnet.Model(inputs, outputs)
    head = glassnet.Model(encoded, outputs)        # Keras 3: the graph cut at a fresh Input
    assert head.inputs[0].shape == (None, 17) and head.inputs[0] is not encoded
    assert [type(layer).__name__ for layer in head.layers] == ["InputLayer", "Dense"]
    columns = {name: column[:, None] for name, column in RAW.items()}
    np.testing.assert_allclose(end_to_end.predict(columns, verbose=0),
                               head.predict(np.asarray(space(RAW)), verbose=0), rtol=1e-6)
    head.compile(optimizer="sgd", loss="mse")
    head.fit(np.asarray(space(RAW)), np.ones((5, 1)), epochs=1, verbose=0)    # trains the shared Dense
    np.testing.assert_allclose(end_to_end.predict(columns, verbose=0),
                               head.predict(np.asarray(space(RAW)), verbose=0), rtol=1e-6)


def test_every_kind_by_name_and_the_config_round_trip():
    features = {"a": "float", "b": "float_rescaled", "c": "float_normalized", "d": "float_discretized",
                "e": "integer_categorical", "f": "string_categorical", "g": "integer_hashed", "h": "string_hashed"}
    space = FeatureSpace(features, crosses=[("e", "f")], crossing_dim=8, hashing_dim=6, num_discretization_bins=4)
    rng = np.random.default_rng(0)
    table = {"a": rng.normal(size=40), "b": rng.normal(size=40), "c": rng.normal(size=40), "d": rng.normal(size=40),
             "e": rng.integers(0, 3, 40), "f": rng.choice(["x", "y"], 40), "g": rng.integers(0, 99, 40),
             "h": rng.choice(["p", "q", "r"], 40)}
    space.adapt(table)
    # 1 + 1 + 1 + 4 bins + (3 + OOV) + (2 + OOV) + 6 + 6 + 8
    assert np.shape(space(table)) == (40, 1 + 1 + 1 + 4 + 4 + 3 + 6 + 6 + 8)
    config = space.get_config()
    assert config["crosses"][0]["config"] == {"feature_names": ("e", "f"), "crossing_dim": 8, "output_mode": "one_hot"}
    assert FeatureSpace.from_config(config).get_config() == config


def test_a_feature_of_your_own_alone_is_its_layers_output():
    """Keras's docstring example: one TextVectorization(tf_idf) feature; nothing to concatenate.
    idf = log(1 + 3 documents / (1 + documents with the word)): "string" 0.5596, the others 0.9163."""
    layer = glassnet.layers.TextVectorization(output_mode="tf_idf")
    space = FeatureSpace({"text": FeatureSpace.feature(preprocessor=layer, dtype="string", output_mode="float")})
    data = {"text": ["1st string", "2nd string", "3rd string"]}
    space.adapt(glassnet.data.Dataset.from_tensor_slices(data))
    out = np.asarray(space(data))
    string, other = np.log(1 + 3 / 4), np.log(1 + 3 / 2)
    assert out.shape == (3, 5) and layer.get_vocabulary()[1] == "string"
    np.testing.assert_allclose(out[:, 1], string, rtol=1e-6)
    np.testing.assert_allclose(np.sort(out[:, 2:], axis=1), [[0, 0, other]] * 3, rtol=1e-6)


def test_what_featurespace_refuses_it_says_in_one_line():
    with pytest.raises(ValueError, match="invalid feature type 'text'"):
        FeatureSpace({"a": "text"})
    with pytest.raises(ValueError, match="names features that aren't in features: \\['z'\\]"):
        FeatureSpace({"a": "float"}, crosses=[("a", "z")])
    with pytest.raises(ValueError, match="output_mode must be 'dict' or 'concat'"):
        FeatureSpace({"a": "float"}, output_mode="tuple")
    space = small_space()
    with pytest.raises(ValueError, match="call `.adapt\\(dataset\\)`"):
        space(RAW)
    space.adapt(RAW)
    with pytest.raises(ValueError, match="no column 'f'"):
        space({name: RAW[name] for name in "sid"})
    with pytest.raises(ValueError, match="can't concatenate feature 'i'"):
        FeatureSpace({"i": FeatureSpace.integer_categorical(output_mode="int")}).adapt(RAW)
    with pytest.raises(ValueError, match="must end in .keras"):
        space.save("space.h5")
    assert glassnet.utils.FeatureSpace is FeatureSpace and glassnet.keras.utils.FeatureSpace is FeatureSpace


# -- the same tables through Keras 3 ---------------------------------------------------------------
def both_ways(make, table):
    """(Keras's encoding, glassnet's) of ``table`` by the FeatureSpace ``make(FeatureSpace)`` builds."""
    keras = pytest.importorskip("keras")
    tf = pytest.importorskip("tensorflow")
    theirs, ours = make(keras.utils.FeatureSpace), make(FeatureSpace)
    table = {name: table[name] for name in ours.features}     # (Keras's takes no other column)
    theirs.adapt(tf.data.Dataset.from_tensor_slices(table).batch(16))
    ours.adapt(glassnet.data.Dataset.from_tensor_slices(table).batch(16))
    return theirs(table), ours(table)


def heart_table(n=150, seed=0):
    rng = np.random.default_rng(seed)
    return {"age": rng.integers(29, 78, n), "sex": rng.integers(0, 2, n), "thal": rng.choice(["fixed", "normal"], n),
            "chol": rng.integers(126, 565, n).astype(float), "ca": rng.integers(0, 4, n),
            "oldpeak": rng.uniform(0, 6, n), "zip": rng.choice(["a1", "b22", "c333"], n), "id": rng.integers(0, 999, n)}


def test_concat_encoding_equals_kerass():
    def make(fs):
        return fs({"age": fs.float_discretized(num_bins=10), "sex": "integer_categorical", "thal": "string_categorical",
                   "chol": "float_normalized", "ca": fs.integer_categorical(num_oov_indices=0),
                   "oldpeak": fs.float_rescaled(scale=0.5, offset=1.0), "zip": fs.string_hashed(num_bins=7),
                   "id": fs.integer_hashed(num_bins=5)},
                  crosses=[fs.cross(("sex", "age"), crossing_dim=64), fs.cross(("thal", "ca"), crossing_dim=16)])
    theirs, ours = both_ways(make, heart_table())
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-5, atol=1e-6)


def test_dict_encoding_equals_kerass():
    def make(fs):
        return fs({"age": "float_discretized", "sex": fs.integer_categorical(output_mode="int"), "oldpeak": "float",
                   "thal": fs.string_categorical(output_mode="int"), "ca": "integer_categorical"},
                  crosses=[fs.cross(("sex", "thal"), crossing_dim=8, output_mode="int"), ("ca", "age")],
                  output_mode="dict", num_discretization_bins=5, crossing_dim=12)
    theirs, ours = both_ways(make, heart_table(seed=1))
    assert list(ours) == list(theirs)
    for name in theirs:
        np.testing.assert_allclose(np.asarray(ours[name]), np.asarray(theirs[name]), rtol=1e-5, err_msg=name)


def test_a_model_on_raw_columns_travels_in_keras_files_both_ways(tmp_path):
    """The lookups, bins, statistics, HashedCrossing and one-hot layers of the graph are Keras's
    layers in the .keras file: glassnet and Keras 3 load it and predict the same."""
    space = small_space()
    space.adapt(RAW)
    model = glassnet.Model(space.get_inputs(), glassnet.layers.Dense(1)(space.get_encoded_features()))
    columns = {name: column[:, None] for name, column in RAW.items()}
    expected = model.predict(columns, verbose=0)
    model.save(tmp_path / "space.keras")
    np.testing.assert_allclose(glassnet.models.load_model(tmp_path / "space.keras").predict(columns, verbose=0),
                               expected, rtol=1e-6)
    keras = pytest.importorskip("keras")
    tf = pytest.importorskip("tensorflow")
    theirs = keras.models.load_model(tmp_path / "space.keras")
    np.testing.assert_allclose(np.asarray(theirs({n: tf.constant(v) for n, v in columns.items()})), expected,
                               rtol=1e-6)
    theirs.save(tmp_path / "back.keras")
    np.testing.assert_allclose(glassnet.models.load_model(tmp_path / "back.keras").predict(columns, verbose=0),
                               expected, rtol=1e-6)
