"""FeatureSpace.save and load_model: the ``.keras`` layout Keras 3.15 writes for an adapted
``keras.utils.FeatureSpace`` (config.json, statistics in model.weights.h5, vocabularies in
assets/), read and written by glassnet; where Keras 3 is installed, files go both ways."""

import zipfile

import numpy as np
import pytest

import glassnet
from glassnet.engine.feature_space import FeatureSpace
from glassnet.errors import ModelFileError

RNG = np.random.default_rng(0)
TABLE = {"f": RNG.normal(3.0, 2.0, 60), "g": RNG.uniform(-1, 1, 60), "s": RNG.choice(["a", "b", "cc", "é"], 60),
         "t": RNG.choice(["x", "y"], 60), "i": RNG.integers(0, 6, 60), "d": RNG.uniform(0, 10, 60),
         "r": RNG.uniform(0, 4, 60), "h": RNG.choice(["p", "q", "w"], 60), "n": RNG.integers(0, 99, 60)}


def every_kind(fs, output_mode="concat"):
    """Every kind of feature, two of a few (their weight groups are counted), and two crosses."""
    return fs({"f": "float_normalized", "g": fs.float_normalized(), "s": "string_categorical",
               "t": fs.string_categorical(num_oov_indices=0), "i": "integer_categorical",
               "d": fs.float_discretized(num_bins=4), "r": fs.float_rescaled(scale=0.5, offset=1.0),
               "h": fs.string_hashed(num_bins=5), "n": fs.integer_hashed(num_bins=3)},
              crosses=[fs.cross(("i", "d"), crossing_dim=8), fs.cross(("s", "t"), crossing_dim=4)],
              output_mode=output_mode)


def glassnet_space(output_mode="concat"):
    space = every_kind(FeatureSpace, output_mode)
    space.adapt(glassnet.data.Dataset.from_tensor_slices(TABLE).batch(16))
    return space


def as_arrays(encoded):
    return {k: np.asarray(v) for k, v in encoded.items()} if isinstance(encoded, dict) else np.asarray(encoded)


def assert_same(a, b):
    a, b = as_arrays(a), as_arrays(b)
    if isinstance(a, dict):
        assert list(a) == list(b)
        for name in a:
            np.testing.assert_allclose(a[name], b[name], rtol=1e-6, atol=1e-6, err_msg=name)
    else:
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("output_mode", ["concat", "dict"])
def test_glassnet_save_then_load_encodes_the_same(tmp_path, output_mode):
    space = glassnet_space(output_mode)
    space.save(tmp_path / "fs.keras")
    back = glassnet.saving.load_model(tmp_path / "fs.keras")
    assert isinstance(back, FeatureSpace) and back.output_mode == output_mode
    assert_same(back(TABLE), space(TABLE))
    assert_same(glassnet.keras.models.load_model(tmp_path / "fs.keras")({k: v[:1] for k, v in TABLE.items()}),
                space({k: v[:1] for k, v in TABLE.items()}))


def test_the_file_is_laid_out_as_kerass(tmp_path):
    import h5py
    import io
    glassnet_space().save(tmp_path / "fs.keras")
    with zipfile.ZipFile(tmp_path / "fs.keras") as archive:
        names = set(archive.namelist())
        assert {"config.json", "metadata.json", "model.weights.h5",
                "assets/preprocessors/string_lookup/vocabulary.txt",
                "assets/preprocessors/string_lookup_1/vocabulary.txt",
                "assets/preprocessors/integer_lookup/vocabulary.txt"} <= names
        assert archive.read("assets/preprocessors/string_lookup_1/vocabulary.txt").decode().split("\n") \
            in (["x", "y"], ["y", "x"])
        with h5py.File(io.BytesIO(archive.read("model.weights.h5"))) as h5:
            assert h5["preprocessors/normalization_1/vars/0"].shape == (1,)
            assert h5["preprocessors/normalization_1/vars/2"].dtype == np.int64
            np.testing.assert_allclose(h5["preprocessors/normalization_1/vars/0"][()],
                                       [TABLE["g"].mean()], rtol=1e-5)
            assert "crossers/hashed_crossing_1/vars" in h5 and "concat/vars" in h5


def test_a_damaged_or_truncated_file_is_one_line_naming_it(tmp_path):
    glassnet_space().save(tmp_path / "fs.keras")
    data = (tmp_path / "fs.keras").read_bytes()
    (tmp_path / "cut.keras").write_bytes(data[:len(data) // 2])
    with pytest.raises(ModelFileError, match="cut.keras") as info:
        glassnet.saving.load_model(tmp_path / "cut.keras")
    assert "\n" not in str(info.value)
    with zipfile.ZipFile(tmp_path / "fs.keras") as source, zipfile.ZipFile(tmp_path / "bad.keras", "w") as bad:
        for item in source.infolist():
            content = source.read(item)
            bad.writestr(item, content.replace(b'"Normalization"', b'"Normalisation"')
                         if item.filename == "config.json" else content[:40] if item.filename.endswith(".h5")
                         else content)
    with pytest.raises(ModelFileError, match="bad.keras.*Normalisation") as info:
        glassnet.saving.load_model(tmp_path / "bad.keras")
    assert "\n" not in str(info.value)


def test_the_vocabulary_must_be_there(tmp_path):
    glassnet_space().save(tmp_path / "fs.keras")
    with zipfile.ZipFile(tmp_path / "fs.keras") as source, zipfile.ZipFile(tmp_path / "novocab.keras", "w") as out:
        for item in source.infolist():
            if item.filename != "assets/preprocessors/integer_lookup/vocabulary.txt":
                out.writestr(item, source.read(item))
    with pytest.raises(ModelFileError, match="novocab.keras: layer 'i_preprocessor' has no "
                                             "assets/preprocessors/integer_lookup/vocabulary.txt"):
        glassnet.saving.load_model(tmp_path / "novocab.keras")


# -- with Keras 3 -------------------------------------------------------------------------------------
@pytest.mark.parametrize("output_mode", ["concat", "dict"])
def test_files_go_both_ways_with_keras(tmp_path, output_mode):
    keras = pytest.importorskip("keras")
    tf = pytest.importorskip("tensorflow")
    theirs = every_kind(keras.utils.FeatureSpace, output_mode)
    theirs.adapt(tf.data.Dataset.from_tensor_slices(TABLE).batch(16))
    expected = theirs(TABLE)
    theirs.save(str(tmp_path / "keras.keras"))
    ours = glassnet.saving.load_model(tmp_path / "keras.keras")        # Keras -> glassnet
    assert_same(ours(TABLE), expected)
    ours.save(tmp_path / "glassnet.keras")                             # glassnet -> Keras
    assert_same(keras.saving.load_model(str(tmp_path / "glassnet.keras"))(TABLE), expected)
    mine = glassnet_space(output_mode)                                 # adapted by glassnet, read by Keras
    mine.save(tmp_path / "mine.keras")
    assert_same(keras.models.load_model(str(tmp_path / "mine.keras"))(TABLE), mine(TABLE))


TEXTS = {"txt": np.array(["a b", "b c", "c d e", "a"] * 3), "x": np.arange(12.0)}


def text_space(keras_module, batches):
    """A TextVectorization feature of the program's own (Keras keeps its StringLookup's vocabulary in
    ``text_vectorization/_lookup_layer`` as well), beside a normalized one."""
    fs = keras_module.utils.FeatureSpace
    layer = keras_module.layers.TextVectorization(output_mode="multi_hot", max_tokens=6)
    space = fs({"txt": fs.feature(preprocessor=layer, dtype="string", output_mode="float"), "x": "float_normalized"},
               output_mode="dict")
    space.adapt(batches(TEXTS))
    return space


def test_a_text_vectorization_feature_travels(tmp_path):
    space = text_space(glassnet, lambda t: glassnet.data.Dataset.from_tensor_slices(t).batch(4))
    space.save(tmp_path / "fs.keras")
    with zipfile.ZipFile(tmp_path / "fs.keras") as archive:
        assert "assets/preprocessors/text_vectorization/_lookup_layer/vocabulary.txt" in archive.namelist()
    assert_same(glassnet.saving.load_model(tmp_path / "fs.keras")(TEXTS), space(TEXTS))
    keras = pytest.importorskip("keras")
    tf = pytest.importorskip("tensorflow")
    assert_same(keras.saving.load_model(str(tmp_path / "fs.keras"))(TEXTS), space(TEXTS))
    theirs = text_space(keras, lambda t: tf.data.Dataset.from_tensor_slices(t).batch(4))
    theirs.save(str(tmp_path / "keras.keras"))
    assert_same(glassnet.saving.load_model(tmp_path / "keras.keras")(TEXTS), theirs(TEXTS))
