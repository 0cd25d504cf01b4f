"""What TensorFlow's text-generation tutorial needs beyond the layers: tf.strings that split
into rows of different lengths (a small tf.RaggedTensor), joins, lookups row by row, a
SparseTensor, a GRU's initial state, and a model of your own called with its call()'s
arguments. Checked by hand, and against TensorFlow where it is installed."""

import numpy as np
import pytest

import glassnet as tf


def test_unicode_split_gives_rows_and_a_lookup_maps_each():
    chars = tf.strings.unicode_split(["abcdefg", "xyz"], input_encoding="UTF-8")
    assert isinstance(chars, tf.RaggedTensor) and chars.to_list() == [list("abcdefg"), list("xyz")]
    ids_from_chars = tf.keras.layers.StringLookup(vocabulary=list("abcxyz"), mask_token=None)
    ids = ids_from_chars(chars)
    assert ids.to_list() == [[1, 2, 3, 0, 0, 0, 0], [4, 5, 6]]
    assert ids.to_tensor().tolist() == [[1, 2, 3, 0, 0, 0, 0], [4, 5, 6, 0, 0, 0, 0]]
    chars_from_ids = tf.keras.layers.StringLookup(vocabulary=ids_from_chars.get_vocabulary(), invert=True,
                                                  mask_token=None)
    joined = tf.strings.reduce_join(chars_from_ids(ids), axis=-1)
    assert joined.tolist() == ["abc[UNK][UNK][UNK][UNK]", "xyz"]
    assert tf.strings.unicode_split("héllo", "UTF-8").tolist() == list("héllo")      # one string: an array


def test_the_other_string_functions():
    assert tf.strings.split(["a b  c", "d"]).to_list() == [["a", "b", "c"], ["d"]]
    assert tf.strings.reduce_join([["a", "b"], ["c", "d"]], axis=1, separator="-").tolist() == ["a-b", "c-d"]
    assert str(tf.strings.reduce_join(["a", "b", "c"])) == "abc"
    assert tf.strings.substr(["hello", "world"], 1, 3).tolist() == ["ell", "orl"]
    assert tf.strings.to_number(["1.5", "2"]).tolist() == [1.5, 2.0]
    with pytest.raises(ValueError, match="'x' is not a number"):
        tf.strings.to_number(["x"])
    assert tf.strings.as_string([1, 2]).tolist() == ["1", "2"]
    assert tf.strings.as_string([0.5], precision=2).tolist() == ["0.50"]
    # a single string is bytes from .numpy(), as TensorFlow's, also when indexed out of an array
    assert tf.strings.join([["ab"], ["cd"]])[0].numpy().decode("utf-8") == "abcd"


def test_sparse_tensor_to_dense():
    sparse = tf.SparseTensor(values=[-np.inf, -np.inf], indices=[[0], [3]], dense_shape=[5])
    assert tf.sparse.to_dense(sparse).tolist() == [-np.inf, 0, 0, -np.inf, 0]
    with pytest.raises(ValueError, match="each index needs 2 coordinates"):
        tf.SparseTensor(values=[1.0], indices=[[0]], dense_shape=[2, 2])


def test_get_initial_state_keras_3s_and_keras_2s_ways():
    gru, lstm = tf.keras.layers.GRU(4), tf.keras.layers.LSTM(3)
    assert [s.shape for s in gru.get_initial_state(2)] == [(2, 4)]
    assert [s.shape for s in lstm.get_initial_state(np.zeros((5, 7, 2)))] == [(5, 3), (5, 3)]   # Keras 2: inputs


class Generator(tf.keras.Model):
    """The tutorial's model: call() takes states and may return them."""

    def __init__(self):
        super().__init__(self)                        # as the tutorial (Keras 2) writes it
        self.embedding = tf.keras.layers.Embedding(10, 4)
        self.gru = tf.keras.layers.GRU(6, return_sequences=True, return_state=True)
        self.dense = tf.keras.layers.Dense(10)

    def call(self, inputs, states=None, return_state=False, training=False):
        x = self.embedding(inputs, training=training)
        if states is None:
            states = self.gru.get_initial_state(x)
        x, states = self.gru(x, initial_state=states, training=training)
        x = self.dense(x, training=training)
        return (x, states) if return_state else x


def test_a_model_called_with_its_calls_arguments_runs_that_call():
    with pytest.warns(DeprecationWarning, match=r"super\(\).__init__\(self\)"):
        model = Generator()
    ids = np.random.default_rng(0).integers(0, 10, (3, 12))
    model.compile(optimizer="adam", loss=tf.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(ids, ids, epochs=1, verbose=0)
    # A prompt of 5 steps through layers built on 12 (Dense, GRU read any length, as in Keras),
    # then one step at a time from the states it returned.
    logits, states = model(ids[:, :5], states=None, return_state=True)
    assert np.shape(logits) == (3, 5, 10) and np.shape(states) == (3, 6)
    more, _ = model(ids[:, 5:6], states=states, return_state=True)
    whole = np.asarray(model(ids[:, :6]))
    np.testing.assert_allclose(np.asarray(more)[:, 0], whole[:, 5], rtol=1e-5, atol=1e-6)


def test_the_same_as_tensorflows_strings():
    real = pytest.importorskip("tensorflow")
    texts = ["The cat", "sat on a mat", "ünï"]

    def as_text(value):
        return np.vectorize(lambda v: v.decode("utf-8") if isinstance(v, bytes) else v, otypes=[object])(value)

    assert tf.strings.unicode_split(texts, "UTF-8").to_list() == [
        [c.decode("utf-8") for c in row] for row in real.strings.unicode_split(texts, "UTF-8").to_list()]
    assert tf.strings.split(texts).to_list() == [[w.decode() for w in row] for row in real.strings.split(texts).to_list()]
    for ours, theirs in [
        (tf.strings.reduce_join([["a", "b"], ["c", "d"]], axis=0, separator=","),
         real.strings.reduce_join([["a", "b"], ["c", "d"]], axis=0, separator=",")),
        (tf.strings.substr(texts, 2, 3), real.strings.substr(texts, 2, 3)),
        (tf.strings.as_string([1.25, -3.0], precision=3), real.strings.as_string([1.25, -3.0], precision=3)),
    ]:
        assert np.asarray(ours).tolist() == as_text(theirs.numpy()).tolist()
    np.testing.assert_array_equal(tf.strings.to_hash_bucket_fast(texts, 97),
                                  real.strings.to_hash_bucket_fast(texts, 97).numpy())
    np.testing.assert_allclose(tf.strings.to_number(["1e3", "-2.5"]), real.strings.to_number(["1e3", "-2.5"]).numpy())


def test_a_single_string_reads_as_the_str_it_holds_and_as_tensorflows():
    texts = tf.constant(["a cat", "a dog"])
    first = texts[0]
    assert first.numpy() == b"a cat" and first.startswith("a ") and {"a cat": 1}[str(first)] == 1
    assert {first: 1}["a cat"] == 1 and [t.upper() for t in texts] == ["A CAT", "A DOG"]
    with pytest.raises(TypeError, match="unhashable"):
        hash(texts)
