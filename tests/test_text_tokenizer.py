"""Keras 2's keras.preprocessing.text (TensorFlow's NLP course, tf.keras 2 text tutorials):
the Tokenizer's numbering, sequences, matrices and JSON, and its helper functions."""

import numpy as np
import pytest

import glassnet as tf
from glassnet.preprocessing.text import Tokenizer, text_to_word_sequence, tokenizer_from_json

SENTENCES = ["I love my dog", "I love my cat", "You love my dog!", "Do you think my dog is amazing?"]


def test_the_nlp_courses_first_tokenizer_gives_its_numbers():
    """The course's printed answers: words numbered by frequency after <OOV>, ties as first seen."""
    from glassnet.keras.preprocessing.text import Tokenizer as FromTensorFlowPath
    tokenizer = FromTensorFlowPath(num_words=100, oov_token="<OOV>")
    tokenizer.fit_on_texts(SENTENCES)
    assert tokenizer.word_index == {"<OOV>": 1, "my": 2, "love": 3, "dog": 4, "i": 5, "you": 6, "cat": 7, "do": 8,
                                    "think": 9, "is": 10, "amazing": 11}
    sequences = tokenizer.texts_to_sequences(["i really love my dog", "my dog loves my manatee"])
    assert sequences == [[5, 1, 3, 2, 4], [2, 4, 1, 2, 1]]
    padded = tf.keras.preprocessing.sequence.pad_sequences(sequences, maxlen=5, padding="post")
    assert padded.shape == (2, 5)
    assert tokenizer.sequences_to_texts([[5, 1, 3]]) == ["i <OOV> love"]
    assert tokenizer.word_counts["my"] == 4 and tokenizer.word_docs["dog"] == 3 and tokenizer.document_count == 4


def test_num_words_keeps_the_most_frequent_and_the_rest_are_dropped_or_oov():
    plain = Tokenizer(num_words=4)
    plain.fit_on_texts(SENTENCES)
    assert plain.word_index["dog"] == 3 and len(plain.word_index) == 10      # the vocabulary keeps every word
    assert plain.texts_to_sequences(["my dog is a cat"]) == [[1, 3]]           # numbers >= 4 are left out
    oov = Tokenizer(num_words=3, oov_token="?")
    oov.fit_on_texts(SENTENCES)
    assert oov.texts_to_sequences(["my dog"]) == [[2, 1]]
    chars = Tokenizer(char_level=True)
    chars.fit_on_texts(["abA"])
    assert chars.word_index == {"a": 1, "b": 2}


def test_matrices_in_keras_2s_four_modes():
    tokenizer = Tokenizer()
    tokenizer.fit_on_texts(["a a b", "b c"])                   # a: 1, b: 2, c: 3 (a and b tie; a first)
    assert tokenizer.texts_to_matrix(["a a b"], mode="binary").tolist() == [[0, 1, 1, 0]]
    assert tokenizer.texts_to_matrix(["a a b"], mode="count").tolist() == [[0, 2, 1, 0]]
    np.testing.assert_allclose(tokenizer.texts_to_matrix(["a a b"], mode="freq"), [[0, 2 / 3, 1 / 3, 0]])
    tfidf = tokenizer.texts_to_matrix(["a a b"], mode="tfidf")
    np.testing.assert_allclose(tfidf[0, 1], (1 + np.log(2)) * np.log(1 + 2 / 2))
    with pytest.raises(ValueError, match="mode must be binary, count, freq or tfidf"):
        tokenizer.texts_to_matrix(["a"], mode="onehot")


def test_json_round_trip_and_the_helper_functions():
    tokenizer = Tokenizer(num_words=50, oov_token="<OOV>")
    tokenizer.fit_on_texts(SENTENCES)
    again = tokenizer_from_json(tokenizer.to_json())
    assert again.word_index == tokenizer.word_index and again.index_word == tokenizer.index_word
    assert again.texts_to_sequences(SENTENCES) == tokenizer.texts_to_sequences(SENTENCES)
    assert text_to_word_sequence("Hello, World! It's") == ["hello", "world", "it's"]
    hashed = tf.keras.preprocessing.text.hashing_trick("the cat the", 10, hash_function="md5")
    assert hashed[0] == hashed[2] and all(1 <= n < 10 for n in hashed)
    from glassnet.layers.embeddings import Embedding                      # Keras 2's module path
    assert Embedding is tf.keras.layers.Embedding
