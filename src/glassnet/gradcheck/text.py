"""The catalogue's rows for the text and category layers (StringLookup, IntegerLookup, TextVectorization,
Hashing, CategoryEncoding, Discretization, HashedCrossing).

They take strings, token ids or values to bin, which have no gradient, and hold no weights: there is nothing
to nudge. Each row instead runs the layer on a few tokens and compares its output with the
one worked out by hand (Keras 3.15 gives the same), and checks that backward gives no
gradient and that the layer rebuilds from its config.
"""

import numpy as np

from glassnet.gradcheck.checks import Report


def _compare(name, layer, x, expected):
    """A Report: the largest difference between ``layer(x)`` and ``expected``, and problems."""
    report = Report(name)
    report.errors["output"] = float(np.max(np.abs(np.asarray(layer(x), np.float64) - np.asarray(expected))))
    if layer.backward(np.ones_like(np.asarray(layer(x), np.float64))) is not None:
        report.problems.append("its input is tokens, which have no gradient, but backward returned one")
    # (a config rebuilds the layer without its vocabulary, which saved files keep apart)
    config = {key: value for key, value in layer.get_config().items() if key != "vocabulary_size"}
    twin = type(layer).from_config(layer.get_config())
    if {key: value for key, value in twin.get_config().items() if key != "vocabulary_size"} != config:
        report.problems.append("from_config(get_config()) gives another config")
    return report


def text_checks(Check):
    from glassnet.engine.layers import Hashing as layers_hashing
    from glassnet.engine.layers import (CategoryEncoding, Discretization, IntegerLookup, StringLookup,
                                        TextVectorization)

    def strings():
        # "b" twice, "a" and "c" once: b, then the tie larger first (c, a); "z" is OOV
        layer = StringLookup(output_mode="count")
        layer.adapt(np.array([["a", "b"], ["b", "c"]]))
        return _compare("StringLookup", layer, np.array([["b", "z", "b"], ["a", "c", "a"]]),
                        [[1, 2, 0, 0], [0, 0, 1, 2]])

    def integers():
        layer = IntegerLookup(vocabulary=[5, 6], num_oov_indices=3)      # OOV: n mod 3
        return _compare("IntegerLookup", layer, np.array([5, 6, 7, 8, 9, -1]), [3, 4, 1, 2, 0, 2])

    def text():
        layer = TextVectorization(output_sequence_length=4)
        layer.adapt(np.array(["The cat sat.", "the dog!", "A cat"]))     # the, cat; then sat, dog, a
        return _compare("TextVectorization", layer, np.array(["the CAT, a bird", "dog"]),
                        [[2, 3, 6, 1], [5, 0, 0, 0]])

    def hashing():
        # FarmHash's Fingerprint64 of "x" is even and of "y" odd (tests/test_hashing.py); "m" is the mask
        return _compare("Hashing", layers_hashing(num_bins=3, mask_value="m"), np.array([["x", "y", "m"]]),
                        [[1, 2, 0]])

    def categories():
        return _compare("CategoryEncoding", CategoryEncoding(4, output_mode="count"), np.array([[3, 1, 3], [0, 0, 2]]),
                        [[0, 1, 0, 2], [2, 0, 1, 0]])

    def bins():
        return _compare("Discretization", Discretization(bin_boundaries=[0.0, 1.0]), np.array([[-1.0, 0.0, 0.5, 7.0]]),
                        [[0, 1, 1, 2]])

    def crossing():
        # tf.sparse.cross_hashed's bins for (1, "a"), (2, "b"), (7, "fixed") (tests/test_feature_space.py)
        from glassnet.engine.layers.hashed_crossing import HashedCrossing
        return _compare("HashedCrossing", HashedCrossing(5), [np.array([[1], [2], [7]]),
                                                               np.array([["a"], ["b"], ["fixed"]])], [[0], [4], [1]])

    return [Check("Hashing", "num_bins=3, mask_value (no gradient: compared by hand)", hashing),
            Check("CategoryEncoding", "num_tokens=4, output_mode='count' (no gradient: compared by hand)", categories),
            Check("Discretization", "bin_boundaries=[0, 1] (no gradient: compared by hand)", bins),
            Check("StringLookup", "adapt, output_mode='count' (no gradient: compared by hand)", strings),
            Check("IntegerLookup", "num_oov_indices=3 (floormod; no gradient: compared by hand)", integers),
            Check("TextVectorization", "adapt, output_sequence_length=4 (no gradient: compared by hand)", text),
            Check("HashedCrossing", "num_bins=5, an int and a string column (no gradient: compared by hand)",
                  crossing)]
