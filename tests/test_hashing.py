"""Hashing and the string hashes under it: FarmHash's Fingerprint64 and SipHash-2-4 against
published values and, where installed, TensorFlow's own buckets; the layer against Keras 3.15."""

import numpy as np
import pytest

from glassnet import layers
from glassnet.engine.layers.string_hashes import fingerprint64, siphash24


def test_fingerprint64_known_values():
    # TensorFlow's tf.strings.to_hash_bucket_fast(s, 2**63 - 1) agrees with these (checked with TF 2.21);
    # the empty string's is FarmHash's k2 constant
    assert fingerprint64("") == 0x9ae16a3b2f90404f
    assert fingerprint64("x") == 0xc17efdbaecff6802
    assert fingerprint64(b"y") == 0x8ea54fe91c2cea91 == fingerprint64("y")


def test_siphash24_reference_vector():
    # The SipHash paper's test vector: key 00..0f, message 00..0e -> a129ca6149be45e5
    key = [int.from_bytes(bytes(range(8)), "little"), int.from_bytes(bytes(range(8, 16)), "little")]
    assert siphash24(key, bytes(range(15))) == 0xa129ca6149be45e5


@pytest.mark.parametrize("salt", [None, [7, 11]])
def test_the_hashes_match_tensorflow_on_every_length(salt):
    tf = pytest.importorskip("tensorflow")
    rng = np.random.default_rng(0)
    strings = ["".join(chr(c) for c in rng.integers(32, 0x3000, n)) for n in [*range(0, 140), 300, 1000]]
    buckets = (1 << 62) + 12345
    theirs = (tf.strings.to_hash_bucket_fast(strings, buckets) if salt is None
              else tf.strings.to_hash_bucket_strong(strings, buckets, salt)).numpy()
    ours = [(fingerprint64(s) if salt is None else siphash24(salt, s)) % buckets for s in strings]
    assert ours == theirs.tolist()


def test_hashing_layer_by_hand():
    x = np.array([["x"], ["y"], ["x"]])
    assert layers.Hashing(num_bins=2)(x).tolist() == [[0], [1], [0]]          # the parities above
    assert layers.Hashing(num_bins=3, mask_value="y")(x).tolist() == [[1 + 0xc17efdbaecff6802 % 2], [0],
                                                                      [1 + 0xc17efdbaecff6802 % 2]]
    assert layers.Hashing(num_bins=2, output_mode="one_hot")(x).tolist() == [[1, 0], [0, 1], [1, 0]]
    assert layers.Hashing(num_bins=2, output_mode="count")(np.array([["x", "x", "y"]])).tolist() == [[2, 1]]
    # numbers are hashed as their decimal text; floats cut to integers first
    assert np.array_equal(layers.Hashing(num_bins=97)(np.array([12, 7])),
                          layers.Hashing(num_bins=97)(np.array(["12", "7"])))
    assert np.array_equal(layers.Hashing(num_bins=97)(np.array([12.0, 7.9])), layers.Hashing(97)(np.array([12, 7])))
    with pytest.raises(ValueError, match="salt must be one integer or two"):
        layers.Hashing(num_bins=3, salt="pepper")


@pytest.mark.parametrize("options", [{}, {"salt": 133}, {"salt": (1, 2)}, {"mask_value": "b"},
                                     {"output_mode": "multi_hot"}, {"output_mode": "count"},
                                     {"output_mode": "one_hot"}])
def test_hashing_matches_keras(options):
    keras = pytest.importorskip("keras")
    data = np.array([["a"], ["b"], ["hello world"], ["Ünïcode"], [""]]) if options.get("output_mode") == "one_hot" \
        else np.array([["a", "b", "hello world"], ["Ünïcode", "", "a"]])
    ours, theirs = layers.Hashing(num_bins=5, **options), keras.layers.Hashing(num_bins=5, **options)
    assert np.array_equal(ours(data), keras.ops.convert_to_numpy(theirs(data)))
    skip = ("input_shape", "dtype", "name")
    assert {key: value for key, value in ours.get_config().items() if key not in skip} == \
        {key: value for key, value in theirs.get_config().items() if key not in skip}
    numbers = np.array([[3, 70000, -5]])
    if "mask_value" not in options:          # (Keras can't compare numbers with the mask "b")
        assert np.array_equal(ours(numbers), keras.ops.convert_to_numpy(theirs(numbers)))


def test_string_lookup_oov_buckets_match_keras():
    keras = pytest.importorskip("keras")
    data = np.array([["a", "q", "r"], ["s", "t", "a"]])
    for options in ({"num_oov_indices": 3}, {"num_oov_indices": 4, "salt": 9}):
        ours = layers.StringLookup(vocabulary=["a"], **options)
        theirs = keras.layers.StringLookup(vocabulary=["a"], **options)
        assert np.array_equal(ours(data), keras.ops.convert_to_numpy(theirs(data)))
    ours = layers.IntegerLookup(vocabulary=[1], num_oov_indices=3, oov_method="farmhash")
    theirs = keras.layers.IntegerLookup(vocabulary=[1], num_oov_indices=3, oov_method="farmhash")
    assert np.array_equal(ours(np.array([1, 5, 77, -4])), keras.ops.convert_to_numpy(theirs(np.array([1, 5, 77, -4]))))
