"""StringLookup, IntegerLookup and TextVectorization: vocabularies and outputs worked out by
hand, models fed strings, saving the vocabulary; and the same sentences through Keras 3.15
where it is installed."""

import numpy as np
import pytest

import glassnet
from glassnet import layers
from glassnet.errors import DataError

SENTENCES = np.array(["The cat sat on the mat.", "The dog ate my homework!", "A cat, a dog... and a bird?",
                      "Ünïcode ÉCOLE words: café, naïve", "  spaces\tand\nnew lines  ", ""])


# -- the vocabulary ------------------------------------------------------------------------------
def test_adapt_orders_by_count_then_by_token_larger_first():
    # counts: b 3, a 2, c 2, d 1, e 1 -> b; then the tie (c, a) larger first; then (e, d)
    lookup = layers.StringLookup()
    lookup.adapt(np.array([["a", "b"], ["b", "c"], ["c", "b"], ["a", "d"], ["e", "[UNK]"]]))
    assert lookup.get_vocabulary() == ["[UNK]", "b", "c", "a", "e", "d"]        # the OOV token isn't counted
    assert lookup.get_vocabulary(include_special_tokens=False) == ["b", "c", "a", "e", "d"]
    assert lookup.vocabulary_size() == 6
    assert lookup(np.array([["a", "z"], ["e", "b"]])).tolist() == [[3, 0], [4, 1]]


def test_max_tokens_keeps_the_most_frequent_and_integer_ties_go_larger_first():
    lookup = layers.IntegerLookup(max_tokens=4)
    lookup.adapt(np.array([1, 2, 2, 3, 7, 7, 9]))
    assert lookup.get_vocabulary() == [-1, 7, 2, 9]
    assert lookup(np.array([7., 9., 3.])).tolist() == [1, 3, 0]     # a model's float32 whole numbers too


def test_vocabulary_given_with_or_without_its_special_tokens_and_mask():
    with_mask = layers.StringLookup(vocabulary=["a", "b"], mask_token="")
    assert with_mask.get_vocabulary() == ["", "[UNK]", "a", "b"]
    assert with_mask(np.array(["", "a", "q"])).tolist() == [0, 2, 1]
    spelled_out = layers.StringLookup(vocabulary=["", "[UNK]", "a", "b"], mask_token="")
    assert spelled_out.get_vocabulary() == with_mask.get_vocabulary()
    with pytest.raises(ValueError, match="repeats \\['a'\\]"):
        layers.StringLookup(vocabulary=["a", "b", "a"])
    with pytest.raises(ValueError, match="larger than max_tokens=3"):
        layers.StringLookup(vocabulary=["a", "b", "c"], max_tokens=3)
    with pytest.raises(ValueError, match="num_oov_indices=0 all inputs must be in the vocabulary; found \\['q'\\]"):
        layers.StringLookup(vocabulary=["a"], num_oov_indices=0)(np.array(["a", "q"]))


def test_several_oov_indices_spread_integers_by_floormod_and_strings_by_farmhash():
    lookup = layers.IntegerLookup(vocabulary=[5, 6], num_oov_indices=3)
    assert lookup.get_vocabulary() == [-1, -1, -1, 5, 6]
    assert lookup(np.array([5, 6, 7, 8, 9, -1, 0])).tolist() == [3, 4, 1, 2, 0, 2, 0]
    # FarmHash's Fingerprint64: "x" 0xc17efdbaecff6802 (even) -> 0, "y" 0x8ea54fe91c2cea91 (odd) -> 1
    strings = layers.StringLookup(vocabulary=["a"], num_oov_indices=2)
    assert strings(np.array(["a", "x", "y"])).tolist() == [2, 0, 1]
    with pytest.raises(ValueError, match="salt can only be used with oov_method='farmhash'"):
        layers.IntegerLookup(num_oov_indices=2, salt=3)


def test_the_count_outputs_by_hand():
    vocabulary = ["a", "b", "c"]
    x = np.array([["a", "a", "q"], ["c", "b", "a"]])
    count = layers.StringLookup(vocabulary=vocabulary, output_mode="count")(x)
    assert count.tolist() == [[1, 2, 0, 0], [0, 1, 1, 1]] and count.dtype == np.float32
    assert layers.StringLookup(vocabulary=vocabulary, output_mode="multi_hot")(x).tolist() == \
        [[1, 1, 0, 0], [0, 1, 1, 1]]
    one_hot = layers.StringLookup(vocabulary=vocabulary, output_mode="one_hot")
    assert one_hot(np.array(["b", "z"])).tolist() == [[0, 0, 1, 0], [1, 0, 0, 0]]
    assert one_hot(np.array([["b"], ["z"]])).tolist() == [[0, 0, 1, 0], [1, 0, 0, 0]]   # (N, 1): replaced
    # tf_idf: count * weight; the OOV index gets the weights' mean, (0.5 + 1 + 2) / 3
    tf_idf = layers.StringLookup(vocabulary=vocabulary, output_mode="tf_idf", idf_weights=[0.5, 1.0, 2.0])
    assert np.allclose(tf_idf(x), [[7 / 6, 1.0, 0, 0], [0, 0.5, 1.0, 2.0]])
    padded = layers.StringLookup(vocabulary=vocabulary, output_mode="multi_hot", max_tokens=6, pad_to_max_tokens=True)
    assert padded(x).shape == (2, 6)


def test_adapted_tf_idf_weights_are_keras_formula():
    lookup = layers.StringLookup(output_mode="tf_idf")
    lookup.adapt(np.array([["a", "a"], ["a", "b"], ["c", "c"]]))      # a in 2 documents, b and c in 1
    idf_a, idf_1 = np.log(1 + 3 / 3), np.log(1 + 3 / 2)
    assert lookup.get_vocabulary() == ["[UNK]", "a", "c", "b"]
    expected_idf = [np.mean([idf_a, idf_1, idf_1]), idf_a, idf_1, idf_1]
    assert np.allclose(lookup(np.array([["a", "a", "b", "z"]])), [[expected_idf[0], 2 * idf_a, 0, idf_1]])


def test_invert_gives_the_tokens_back():
    words = layers.StringLookup(vocabulary=["a", "b"], invert=True)
    assert words(np.array([0, 1, 2, 5])).tolist() == ["[UNK]", "a", "b", "[UNK]"]
    masked = layers.StringLookup(vocabulary=["a", "b"], mask_token="", invert=True)
    assert masked(np.array([[0, 1], [2, 3]])).tolist() == [["", "[UNK]"], ["a", "b"]]
    assert layers.IntegerLookup(vocabulary=[5, 6], invert=True)(np.array([2, 0])).tolist() == [6, -1]
    with pytest.raises(ValueError, match="invert=True needs output_mode='int'"):
        layers.StringLookup(invert=True, output_mode="count")


# -- TextVectorization -------------------------------------------------------------------------------
def test_text_vectorization_vocabulary_and_padding_by_hand():
    vectorize = layers.TextVectorization(output_sequence_length=5)
    vectorize.adapt(["The cat sat.", "the dog ran!", "A cat, a dog", "zebra"])
    # the, dog, cat, a: twice each (larger first); then zebra, sat, ran once
    assert vectorize.get_vocabulary() == ["", "[UNK]", "the", "dog", "cat", "a", "zebra", "sat", "ran"]
    out = vectorize(np.array([["the cat ran home"], ["A DOG, a cat, the zebra sat!"]]))
    assert out.dtype == np.int64 and out.tolist() == [[2, 4, 8, 1, 0], [5, 3, 5, 4, 2]]   # padded, and cut
    assert layers.TextVectorization(vocabulary=["a", "b"])(np.array(["b a b", "a"])).tolist() == [[3, 2, 3],
                                                                                                     [2, 0, 0]]


def test_standardize_and_split_options():
    def vectorized(texts, **options):
        layer = layers.TextVectorization(**options)
        layer.adapt(texts)
        return layer.get_vocabulary(include_special_tokens=False)

    texts = ["Hello, World! ÉCOLE", "hello world"]
    # TensorFlow's lower case is ASCII's (É stays); punctuation is ASCII punctuation
    assert vectorized(texts) == ["world", "hello", "École"]
    # every token once: larger first (É after every ASCII letter, capitals before small letters)
    assert vectorized(texts, standardize="lower") == ["École", "world!", "world", "hello,", "hello"]
    assert vectorized(texts, standardize="strip_punctuation") == ["ÉCOLE", "world", "hello", "World", "Hello"]
    assert vectorized(texts, standardize=None, split=None) == ["hello world", "Hello, World! ÉCOLE"]
    assert vectorized(["ab ba"], split="character") == ["b", "a", " "]
    assert vectorized(["a-b c-d"], standardize=None, split=lambda t: [s.split("-") for s in t]) == \
        ["d", "b c", "a"]
    assert vectorized(["x\u00a0y z\tw"]) == ["z", "x\u00a0y", "w"]      # ASCII whitespace only, as TensorFlow
    assert vectorized(["a b c"], ngrams=2) == ["c", "b c", "b", "a b", "a"]
    assert vectorized(["a b c"], ngrams=(3,)) == ["a b c"]
    with pytest.raises(ValueError, match="standardize must be one of"):
        layers.TextVectorization(standardize="upper")
    with pytest.raises(NotImplementedError, match="one_hot' after a split .* 'multi_hot'"):
        layers.TextVectorization(output_mode="one_hot")
    one_hot = layers.TextVectorization(output_mode="one_hot", split=None)      # each string one token
    one_hot.adapt(["a b", "b c"])
    assert one_hot(np.array([["a b"], ["c"]])).tolist() == [[0, 0, 1], [1, 0, 0]]      # as Keras gives it


def test_text_vectorization_counts_and_tf_idf():
    texts = np.array(["a b a", "b c", "c c d"])
    multi_hot = layers.TextVectorization(output_mode="multi_hot")
    multi_hot.adapt(texts)
    assert multi_hot.get_vocabulary() == ["[UNK]", "c", "b", "a", "d"]     # no padding token in count outputs
    assert multi_hot(np.array(["a b z z", "c"])).tolist() == [[1, 0, 1, 1, 0], [0, 1, 0, 0, 0]]
    count = layers.TextVectorization(output_mode="count", max_tokens=8, pad_to_max_tokens=True)
    count.adapt(texts)
    assert count(np.array(["a b z z"])).tolist() == [[2, 0, 1, 1, 0, 0, 0, 0]]
    tf_idf = layers.TextVectorization(output_mode="tf_idf")
    tf_idf.adapt(texts)
    idf = np.log(1 + 3 / np.array([1 + 2, 1 + 2, 1 + 1, 1 + 1]))          # c, b, a, d
    assert np.allclose(tf_idf(np.array(["a a z"])), [[idf.mean(), 0, 0, 2 * idf[2], 0]], atol=1e-6)


# -- in models ------------------------------------------------------------------------------------
def _reviews(n=120, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    words = {1: ["great", "fun", "loved"], 0: ["awful", "dull", "hated"]}
    texts = np.array([" ".join(rng.choice(["the", "film", "was", "a"], 4).tolist() + rng.choice(words[y], 2).tolist())
                      for y in labels], dtype=object)
    return texts, labels


def _text_model(vectorize):
    inputs = glassnet.Input(shape=(1,), dtype="string")
    x = layers.Embedding(vectorize.vocabulary_size(), 8)(vectorize(inputs))
    outputs = layers.Dense(1, activation="sigmoid")(layers.GlobalAveragePooling1D()(x))
    model = glassnet.Model(inputs, outputs)
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    return model


def test_a_functional_model_takes_strings_and_learns(tmp_path):
    texts, labels = _reviews()
    vectorize = layers.TextVectorization(max_tokens=20, output_sequence_length=6)
    vectorize.adapt(texts)
    model = _text_model(vectorize)
    history = model.fit(texts, labels, epochs=40, verbose=0)
    assert history.history["accuracy"][-1] > 0.9
    assert model.inputs[0].dtype == object and model.get_layer("text_vectorization").count_params() == 0
    predictions = model.predict(texts[:4], verbose=0)
    assert predictions.shape == (4, 1)
    model.save(tmp_path / "m.npz")
    restored = glassnet.models.load_model(tmp_path / "m.npz")
    assert restored.get_layer("text_vectorization").get_vocabulary() == vectorize.get_vocabulary()
    assert np.allclose(restored.predict(texts[:4], verbose=0), predictions)


def test_a_sequential_model_without_an_input_takes_strings_and_numbers_are_refused():
    texts, labels = _reviews()
    vectorize = layers.TextVectorization(output_mode="multi_hot")
    vectorize.adapt(texts)
    model = glassnet.Sequential([vectorize, layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    model.fit(texts, labels, epochs=1, verbose=0)
    assert model.inputs[0].dtype == object
    with pytest.raises(DataError, match="the model takes strings .* got an array of dtype float64"):
        model.predict(np.zeros((2, 1)))
    numeric = glassnet.Sequential([glassnet.Input((1,)), layers.Dense(1)])
    with pytest.raises(DataError, match="expected numbers, got strings .*dtype='string'.* TextVectorization"):
        numeric.predict(np.array([["a"]]))


def test_npz_keeps_a_vocabulary_given_in_the_config_and_tf_idf_weights(tmp_path):
    given = layers.StringLookup(vocabulary=["a", "b", "c"], output_mode="tf_idf", idf_weights=[0.5, 1.0, 2.0])
    model = glassnet.Sequential([glassnet.Input(shape=(3,), dtype="string"), given, layers.Dense(2)])
    x = np.array([["a", "a", "q"], ["c", "b", "a"]])
    model.save(tmp_path / "m.npz")
    restored = glassnet.models.load_model(tmp_path / "m.npz")
    assert np.allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0))
    assert restored.layers[0].get_config() == given.get_config()


# -- Keras 3.15's own answers, where it is installed ---------------------------------------------------
def _both(make, data, adapt=None):
    """The layer made by ``make(layers)`` in glassnet and in Keras, adapted on ``adapt`` and run on ``data``."""
    keras = pytest.importorskip("keras")
    ours, theirs = make(layers), make(keras.layers)
    if adapt is not None:
        ours.adapt(adapt)
        theirs.adapt(adapt)
    return ours, theirs, np.asarray(ours(data)), keras.ops.convert_to_numpy(theirs(data))


@pytest.mark.parametrize("options", [
    {}, {"standardize": "lower"}, {"standardize": "strip_punctuation"}, {"standardize": None},
    {"split": "character"}, {"split": None}, {"standardize": None, "split": None}, {"ngrams": 2}, {"ngrams": (1, 3)},
    {"output_sequence_length": 3}, {"output_sequence_length": 12}, {"max_tokens": 6},
    {"output_mode": "multi_hot"}, {"output_mode": "count"}, {"output_mode": "tf_idf"},
    {"output_mode": "count", "max_tokens": 30, "pad_to_max_tokens": True}, {"output_mode": "tf_idf", "ngrams": 2}])
def test_text_vectorization_matches_keras(options):
    data = SENTENCES[:, np.newaxis] if options.get("split", "whitespace") is None else SENTENCES
    ours, theirs, a, b = _both(lambda module: module.TextVectorization(**options), data, adapt=SENTENCES)
    assert ours.get_vocabulary() == [str(t) for t in theirs.get_vocabulary()]
    assert a.shape == b.shape and np.allclose(a, b, atol=1e-6)
    config = {key: value for key, value in ours.get_config().items() if key != "input_shape"}
    keras_config = theirs.get_config()
    assert list(config) == list(keras_config)
    def plain(c):
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in c.items() if k not in ("name", "dtype")}
    assert plain(config) == plain(keras_config)


@pytest.mark.parametrize("options", [
    {}, {"mask_token": ""}, {"num_oov_indices": 0, "vocabulary": ["a", "b", "c", "z", "[UNK]x"]},
    {"output_mode": "one_hot"}, {"output_mode": "multi_hot"}, {"output_mode": "count"}, {"output_mode": "tf_idf"},
    {"output_mode": "multi_hot", "mask_token": "", "max_tokens": 7, "pad_to_max_tokens": True}, {"max_tokens": 3}])
def test_string_lookup_matches_keras(options):
    data = np.array([["a", "b", "z"], ["c", "c", ""], ["b", "a", "a"]])
    adapt = None if "vocabulary" in options else np.array([["a", "b"], ["b", "c"], ["c", "c"], ["", "d"]])
    if options.get("output_mode") == "one_hot":
        data = data[:, :1]
    ours, theirs, a, b = _both(lambda module: module.StringLookup(**options), data[:, :2] if "vocabulary" in options
                               else data, adapt)
    assert ours.get_vocabulary() == [str(t) for t in theirs.get_vocabulary()]
    assert a.shape == b.shape and np.allclose(a, b, atol=1e-6)
    assert list(k for k in ours.get_config() if k != "input_shape") == list(theirs.get_config())


@pytest.mark.parametrize("options", [{}, {"mask_token": 0}, {"num_oov_indices": 3}, {"output_mode": "count"},
                                     {"invert": True, "vocabulary": [4, 9]}])
def test_integer_lookup_matches_keras(options):
    data = np.array([[1, 4, 9], [9, 0, 12], [4, 4, -5]])
    ours, theirs, a, b = _both(lambda module: module.IntegerLookup(**options), data,
                               None if "vocabulary" in options else np.array([4, 4, 9, 1, 0, 9, 9]))
    assert [int(t) for t in ours.get_vocabulary()] == [int(t) for t in theirs.get_vocabulary()]
    assert a.shape == b.shape and np.array_equal(a, b)
    assert list(k for k in ours.get_config() if k != "input_shape") == list(theirs.get_config())


# -- .keras files: the vocabulary in the assets, as Keras lays it out ---------------------------
def _adapted_model(mode):
    texts, labels = _reviews(40)
    vectorize = layers.TextVectorization(max_tokens=20, output_mode=mode,
                                         **({"output_sequence_length": 5} if mode == "int" else {}))
    vectorize.adapt(texts)
    body = [layers.Embedding(20, 4), layers.GlobalAveragePooling1D()] if mode == "int" else []
    model = glassnet.Sequential([vectorize, *body, layers.Dense(1)])
    model.predict(texts[:2], verbose=0)                 # built on its first strings
    return model, texts


@pytest.mark.parametrize("mode", ["int", "tf_idf"])
def test_keras_file_keeps_the_vocabulary_in_its_assets(tmp_path, mode):
    import zipfile
    pytest.importorskip("h5py")
    model, texts = _adapted_model(mode)
    model.save(tmp_path / "m.keras")
    names = zipfile.ZipFile(tmp_path / "m.keras").namelist()
    assert {"assets/layers/text_vectorization/vocabulary.txt",
            "assets/layers/text_vectorization/_lookup_layer/vocabulary.txt"} <= set(names)
    text = zipfile.ZipFile(tmp_path / "m.keras").read("assets/layers/text_vectorization/vocabulary.txt")
    assert text.decode("utf-8").split("\n") == [str(t) for t in model.layers[0].get_vocabulary()]
    restored = glassnet.models.load_model(tmp_path / "m.keras")
    assert restored.layers[0].get_vocabulary() == model.layers[0].get_vocabulary()
    assert np.allclose(restored.predict(texts[:5], verbose=0), model.predict(texts[:5], verbose=0), atol=1e-6)


@pytest.mark.parametrize("mode", ["int", "tf_idf"])
def test_keras_reads_glassnets_text_models_and_glassnet_reads_keras(tmp_path, mode):
    keras = pytest.importorskip("keras")
    model, texts = _adapted_model(mode)
    model.save(tmp_path / "ours.keras")
    theirs = keras.models.load_model(tmp_path / "ours.keras")
    assert [str(t) for t in theirs.layers[0].get_vocabulary()] == model.layers[0].get_vocabulary()
    assert np.allclose(theirs.predict(texts[:5], verbose=0), model.predict(texts[:5], verbose=0), atol=1e-5)
    theirs.save(tmp_path / "theirs.keras")
    back = glassnet.models.load_model(tmp_path / "theirs.keras")
    assert np.allclose(back.predict(texts[:5], verbose=0), model.predict(texts[:5], verbose=0), atol=1e-5)


def test_a_standardize_function_not_registered_is_named_when_loading_fails(tmp_path):
    def mine(texts):
        return texts

    vectorize = layers.TextVectorization(standardize=mine, vocabulary=["a"], output_mode="count")
    model = glassnet.Sequential([glassnet.Input(shape=(1,), dtype="string"), vectorize, layers.Dense(1)])
    model.save(tmp_path / "m.npz")
    with pytest.raises(glassnet.errors.ModelFileError, match="standardize is the Python function 'mine'.*"
                                                             "custom_objects"):
        glassnet.models.load_model(tmp_path / "m.npz")
    restored = glassnet.models.load_model(tmp_path / "m.npz", custom_objects={"mine": mine})
    assert restored.layers[0].standardize is mine


# -- a standardize function of your own, as the tutorials write it ---------------------------------
def test_the_tutorials_custom_standardization_with_tf_strings_is_tensorflows():
    import re
    import string

    tf = glassnet        # import glassnet as tf

    def custom_standardization(input_data):
        lowercase = tf.strings.lower(input_data)
        stripped_html = tf.strings.regex_replace(lowercase, "<br />", " ")
        return tf.strings.regex_replace(stripped_html, "[%s]" % re.escape(string.punctuation), "")

    texts = np.array(["Great MOVIE!<br /><br />Loved it.", "ÉCOLE (1999): 10/10 -- \"wow\""])
    assert custom_standardization(texts).tolist() == ["great movie  loved it", "École 1999 1010  wow"]
    vectorize = layers.TextVectorization(standardize=custom_standardization)
    vectorize.adapt(texts)
    assert vectorize(np.array(["loved it<br />"])).tolist() == [[vectorize.get_vocabulary().index("loved"),
                                                                 vectorize.get_vocabulary().index("it")]]
    real = pytest.importorskip("tensorflow")
    assert [t.decode() for t in real.strings.regex_replace(real.strings.regex_replace(real.strings.lower(texts),
            "<br />", " "), "[%s]" % re.escape(string.punctuation), "").numpy()] == custom_standardization(texts).tolist()
    with pytest.raises(AttributeError, match="no strings.ngrams: .*lower, upper, regex_replace"):
        tf.strings.ngrams(texts, 2)


def test_a_registered_standardize_function_is_saved_by_name(tmp_path):
    pytest.importorskip("h5py")

    @glassnet.saving.register_keras_serializable(package="Text")
    def shout(texts):
        return glassnet.strings.upper(texts)

    vectorize = layers.TextVectorization(standardize=shout, output_mode="count", vocabulary=["HI", "YOU"])
    model = glassnet.Sequential([glassnet.Input(shape=(1,), dtype=glassnet.string), vectorize])
    assert vectorize.get_config()["standardize"] == {"function": "Text>shout"}
    import json
    import zipfile
    for name in ("m.npz", "m.keras"):
        model.save(tmp_path / name)
        restored = glassnet.models.load_model(tmp_path / name)
        assert restored.layers[0].standardize is shout
        assert restored.predict(np.array([["hi you hi"]]), verbose=0).tolist() == [[0, 2, 1]]
    written = json.loads(zipfile.ZipFile(tmp_path / "m.keras").read("config.json"))
    assert written["config"]["layers"][1]["config"]["standardize"] == {
        "module": "builtins", "class_name": "function", "config": "Text>shout", "registered_name": "function"}


def test_integer_inputs_reach_an_integer_lookup_as_integers():
    # a user id past 2**24 would come back as another number through float32 (123456789 -> 123456792)
    ids = np.array([[123456789], [123456790], [5]])
    lookup = layers.IntegerLookup(vocabulary=[123456789, 123456790])
    model = glassnet.Sequential([lookup, layers.Embedding(3, 2)])
    assert model.predict(ids, verbose=0).shape == (3, 1, 2)
    assert model.inputs[0].dtype == np.int64
    assert lookup(ids).tolist() == [[1], [2], [0]]
    inputs = glassnet.Input(shape=(1,), dtype="int64")
    functional = glassnet.Model(inputs, layers.IntegerLookup(vocabulary=[123456789])(inputs))
    assert functional.predict(ids, verbose=0).tolist() == [[1], [0], [0]]
    assert functional.get_config()["layers"][0]["config"]["dtype"] == "int64"


def test_a_count_outputs_width_cant_change_once_set_as_in_keras():
    layer = layers.StringLookup(output_mode="multi_hot")
    layer.adapt(np.array(["a", "b"]))
    layer.adapt(np.array(["c", "d"]))                  # the same size: fine
    with pytest.raises(RuntimeError, match="vocabulary's size can't change once set \\(it was 3, now 4\\)"):
        layer.adapt(np.array(["c", "d", "e"]))
    padded = layers.StringLookup(output_mode="multi_hot", max_tokens=9, pad_to_max_tokens=True)
    padded.adapt(np.array(["a"]))
    padded.adapt(np.array(["a", "b", "c"]))
    assert padded(np.array(["c"])).shape == (9,)
    keras = pytest.importorskip("keras")
    theirs = keras.layers.StringLookup(output_mode="multi_hot")
    theirs.adapt(np.array(["a", "b"]))
    with pytest.raises(RuntimeError, match="vocabulary size cannot be changed"):
        theirs.adapt(np.array(["c", "d", "e"]))
