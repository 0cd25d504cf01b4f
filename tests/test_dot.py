"""Dot: dot products of two inputs along an axis of each, against NumPy's own."""

import numpy as np
import pytest

import glassnet
from glassnet import layers
from glassnet.engine.model import Model
from glassnet.errors import ShapeError

rng = np.random.default_rng(0)


def test_two_vectors_give_one_number_per_sample_and_normalize_gives_their_cosine():
    a, b = rng.standard_normal((5, 4)), rng.standard_normal((5, 4))
    np.testing.assert_allclose(layers.Dot(axes=1, dtype="float64")([a, b]), np.sum(a * b, axis=1, keepdims=True),
                               rtol=1e-12)
    cosine = np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    np.testing.assert_allclose(layers.dot([a, b], axes=1, normalize=True, dtype="float64"), cosine[:, None], rtol=1e-12)


@pytest.mark.parametrize("shapes, axes, equation", [
    ([(3, 4), (5, 4)], (2, 2), "nik,njk->nij"),          # every query against every key
    ([(3, 4), (3, 2)], 1, "nki,nkj->nij"),                # over the steps
    ([(3, 4), (4, 2)], (-1, 1), "nik,nkj->nij"),          # a batched matrix product
    ([(2, 3, 4), (4, 5)], (3, 1), "nabk,nkc->nabc"),
])
def test_any_pair_of_axes_is_numpys_einsum(shapes, axes, equation):
    a, b = (rng.standard_normal((2,) + s) for s in shapes)
    np.testing.assert_allclose(layers.Dot(axes=axes, dtype="float64")([a, b]), np.einsum(equation, a, b), rtol=1e-12)


def test_bad_axes_and_sizes_that_differ_are_one_line_errors():
    a, b = glassnet.Input((3, 4)), glassnet.Input((5, 2))
    with pytest.raises(ShapeError, match=r"sizes along axes \(2, 2\) differ: 4 and 2"):
        layers.Dot(axes=2)([a, b])
    with pytest.raises(ShapeError, match=r"axes=\(3, 3\) don't exist"):
        layers.Dot(axes=3)([a, b])
    with pytest.raises(ValueError, match="other than 0"):
        layers.Dot(axes=0)
    with pytest.raises(ShapeError, match="exactly two inputs"):
        layers.Dot(axes=1)([glassnet.Input((4,))] * 3)


@pytest.mark.parametrize("filename", ["m.keras", "m.npz"])
def test_a_model_with_dots_trains_checks_and_loads_back(tmp_path, filename):
    from glassnet.gradcheck import check_model

    q, k = glassnet.Input((None, 4)), glassnet.Input((6,))
    keys = layers.Dense(4)(layers.RepeatVector(5)(k))
    scores = layers.GlobalMaxPooling1D()(layers.Dot(axes=(2, 2))([q, keys]))
    cosine = layers.dot([layers.GlobalAveragePooling1D()(q), layers.Dense(4)(k)], axes=1, normalize=True)
    model = Model([q, k], layers.Concatenate()([scores, cosine]), seed=0)
    model.compile("adam", "mse")
    x = [rng.random((3, 7, 4)), rng.random((3, 6))]
    assert check_model(model, x, rng.random((3, 6))).passed
    model.save(tmp_path / filename)
    loaded = glassnet.models.load_model(tmp_path / filename)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_a_model_with_dots_exports_to_onnx(tmp_path):
    pytest.importorskip("onnx", reason="the ONNX export needs onnx")
    pytest.importorskip("onnxruntime", reason="ONNX Runtime runs the exported file")
    from glassnet.interop.onnx_export import largest_difference

    a, b = glassnet.Input((3, 4)), glassnet.Input((4,))
    out = layers.Concatenate()([layers.Flatten()(layers.Dot(axes=(2, 1))([a, b])),
                                layers.Dot(axes=1, normalize=True)([b, layers.Dense(4)(b)])])
    model = Model([a, b], out, seed=0)
    model.export(tmp_path / "m.onnx", format="onnx")
    assert largest_difference(model, tmp_path / "m.onnx", [rng.random((2, 3, 4)), rng.random((2, 4))]) < 1e-5
