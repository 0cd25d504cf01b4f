"""Embedding: rows of a table looked up by word number. Against hand-worked values and
finite differences (repeated words included), in a text model that learns, saved as .npz and
.keras both ways, exported to ONNX, and against Keras 3 where it is installed. Its gradient
is also in the gradient-check catalogue (glassnet gradcheck)."""

import json
import warnings
import zipfile

import numpy as np
import pytest

import glassnet
from glassnet import layers, models
from glassnet.errors import DataError, ShapeError
from glassnet.gradcheck import check_layer
from glassnet.gradcheck.components import _indices
from tiny_models import text_model
from glassnet.engine.summary import summary_table

TABLE = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]], np.float32)    # 3 words, 2 numbers each


def embedding(table=TABLE, input_shape=(3,), **kwargs):
    layer = layers.Embedding(*table.shape, weights=table, name="words", **kwargs)
    layer.build(input_shape, np.random.default_rng(0))
    return layer


def test_each_index_becomes_its_row():
    layer = embedding()
    y = layer.forward(np.array([[2, 0, 2], [1, 1, 0]], np.float32))
    np.testing.assert_array_equal(y, [[[4, 5], [0, 1], [4, 5]], [[2, 3], [2, 3], [0, 1]]])
    assert y.dtype == np.float32 and layer.output_shape((3,)) == (3, 2)
    grid = embedding(input_shape=(2, 2)).forward(np.array([[[0, 1], [2, 2]]]))       # integers work too
    assert grid.shape == (1, 2, 2, 2) and grid[0, 1, 0].tolist() == [4, 5]


def test_a_row_read_twice_gets_both_gradients_and_the_indices_none():
    layer = embedding()
    layer.forward(np.array([[2, 0, 2]], np.float32))
    dy = np.array([[[1, 1], [10, 20], [100, 200]]], np.float32)
    assert layer.backward(dy) is None                       # word numbers are not learned
    np.testing.assert_array_equal(layer.grads["embeddings"], [[10, 20], [0, 0], [101, 201]])
    np.testing.assert_array_equal(dy, [[[1, 1], [10, 20], [100, 200]]])    # the caller's dy untouched


@pytest.mark.parametrize("input_shape, input_dim", [((6,), 4), ((2, 5), 30)])
def test_the_table_gradient_is_the_finite_difference_one_in_float64(input_shape, input_dim):
    x = _indices(input_dim)((5,) + input_shape)
    assert len(np.unique(x)) < x.size                       # some rows are read several times
    report = check_layer(layers.Embedding(input_dim, 3), input_shape, batch_size=5, x=x)
    assert report.passed, report
    assert set(report.errors) == {"dembeddings"}


def test_the_gradient_check_catches_a_backward_that_drops_repeated_rows():
    class Forgetful(layers.Embedding):
        def backward(self, dy):                     # fancy-index +=: a repeated row keeps one share
            self.grads["embeddings"][...] = 0
            self.grads["embeddings"][self.rows] += dy
    report = check_layer(Forgetful(4, 3), (6,), x=_indices(4)((4, 6)))
    assert not report.passed and report.errors["dembeddings"] > 0.1


def test_a_text_model_learns_which_half_of_the_vocabulary_a_sentence_uses():
    # Class c's sentences take 7 of their 10 words from its half of the vocabulary, 3 from anywhere.
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    own = rng.integers(0, 10, (300, 10)) + 10 * y[:, None]
    x = np.where(rng.random((300, 10)) < 0.7, own, rng.integers(0, 20, (300, 10))).astype(np.float32)
    model = models.Sequential([layers.Input((10,)), layers.Embedding(20, 8), layers.GlobalAveragePooling1D(),
                               layers.Dense(2, activation="softmax")], seed=0)
    model.compile(glassnet.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x[:200], y[:200], epochs=10, batch_size=20, verbose=0)
    assert history.history["loss"][-1] < 0.2 * history.history["loss"][0]      # 0.62 -> 0.02
    assert model.evaluate(x[200:], y[200:], verbose=0)[1] > 0.95          # chance is 0.5
    text = summary_table(model)
    assert "embedding (Embedding)" in text and "(None, 10, 8)" in text and "160" in text


def test_pretrained_rows_stay_put_when_frozen_and_a_penalty_joins_the_loss():
    table = np.random.default_rng(1).normal(size=(20, 4)).astype(np.float32)
    frozen = layers.Embedding(20, 4, weights=[table], trainable=False)
    model = models.Sequential([layers.Input((5,)), frozen, layers.GlobalAveragePooling1D(),
                               layers.Dense(2, activation="softmax")], seed=0)
    model.compile("adam", "sparse_categorical_crossentropy")
    x = np.random.default_rng(2).integers(0, 20, (16, 5)).astype(np.float32)
    model.fit(x, np.arange(16) % 2, epochs=2, verbose=0)
    np.testing.assert_array_equal(frozen.embeddings.numpy(), table)
    penalized = layers.Embedding(3, 2, weights=TABLE, embeddings_regularizer=glassnet.regularizers.l2(0.1))
    models.Sequential([layers.Input((2,)), penalized]).build((2,))
    assert float(penalized.losses[0]) == pytest.approx(0.1 * (TABLE ** 2).sum())


def test_keras_2s_input_length_is_the_input_shape_and_must_agree():
    with pytest.warns(DeprecationWarning, match=r"input_length is Keras 2's argument; use Input\(shape=\(10,\)\)"):
        model = models.Sequential([layers.Embedding(20, 4, input_length=10), layers.Flatten(), layers.Dense(2)])
    assert model.predict(np.zeros((3, 10)), verbose=0).shape == (3, 2)
    with pytest.warns(DeprecationWarning):
        layer = layers.Embedding(20, 4, input_length=10)
    with pytest.raises(ShapeError, match=r"layer 'embedding_1' \(Embedding\) was given input_length=\(10,\) but its input "
                                         r"has shape \('batch', 12\)"):
        models.Model(*(lambda i: (i, layer(i)))(layers.Input((12,))))
    with pytest.raises(ValueError, match="input_length=10 disagrees with input_shape=\\(12,\\)"):
        layers.Embedding(20, 4, input_length=10, input_shape=(12,))


def test_one_embedding_serves_any_number_of_words_as_in_keras():
    """TensorFlow's word-embeddings tutorial calls one layer on three words, then on two rows
    of three; a shared embedding reads a question and an answer of different lengths."""
    embedding_layer = layers.Embedding(1000, 5)
    assert embedding_layer(np.array([1, 2, 3])).shape == (3, 5)
    assert embedding_layer(np.array([[0, 1, 2], [3, 4, 5]])).shape == (2, 3, 5)
    shared = layers.Embedding(50, 4)
    question, answer = layers.Input((5,)), layers.Input((7,))
    pooled = [layers.GlobalAveragePooling1D()(shared(words)) for words in (question, answer)]
    model = models.Model([question, answer], layers.Dense(1)(layers.Concatenate()(pooled)))
    assert [t.shape for t in (shared(question), shared(answer))] == [(None, 5, 4), (None, 7, 4)]
    model.compile("adam", "mse")
    rng = np.random.default_rng(0)
    history = model.fit([rng.integers(0, 50, (16, 5)), rng.integers(0, 50, (16, 7))], np.ones(16), epochs=2,
                        verbose=0)
    assert history.history["loss"][1] < history.history["loss"][0]
    with pytest.raises(ShapeError, match=r"expects input of shape \(None, 10\) but got \(3, 12\)"):
        models.Sequential([layers.Input((10,)), layers.Embedding(20, 4), layers.Flatten(),
                           layers.Dense(2)]).predict(np.zeros((3, 12)), verbose=0)


@pytest.mark.parametrize("x, message", [
    ([[0, 3, 1]], r"layer 'words' \(Embedding\): index 3 is outside its table of input_dim=3 rows \(0 to 2\)"),
    ([[0, -1, 1]], r"index -1 is outside its table of input_dim=3 rows \(0 to 2\); word numbers start at 0"),
    ([[True, False, True]], r"takes word indices \(whole numbers\), got an array of bool"),
    ([[0, 1.5, 1]], r"its input holds 1.5, which is not a whole number"),
    ([[0, np.nan, 1]], r"its input contains NaN"),
    ([["a", "b", "c"]], r"takes word indices \(whole numbers\), got an array of <U1"),
])
def test_indices_it_cannot_look_up_are_named_in_one_line(x, message):
    with pytest.raises(DataError, match=message) as error:
        embedding().forward(np.array(x))
    assert "\n" not in str(error.value)


def test_a_model_names_the_layer_when_a_word_is_beyond_its_vocabulary():
    model = models.Sequential([layers.Input((3,)), layers.Embedding(5, 2, name="words"), layers.Flatten()])
    with pytest.raises(DataError, match=r"layer 'words' \(Embedding\): index 7 is outside its table of "
                                        r"input_dim=5 rows \(0 to 4\); make input_dim larger"):
        model.predict(np.array([[1, 7, 2]]), verbose=0)


def test_settings_glassnet_cannot_honour_are_refused():
    with pytest.raises(ValueError, match="lora_rank=4 is not supported"):
        layers.Embedding(10, 4, lora_rank=4)
    with pytest.raises(ValueError, match="input_dim must be a positive integer, got 0"):
        layers.Embedding(0, 4)
    with pytest.raises(ValueError, match="output_dim must be a positive integer, got 2.5"):
        layers.Embedding(10, 2.5)
    with pytest.raises(ValueError, match=r"weights must be one table of shape \(input_dim, output_dim\) = "
                                         r"\(10, 4\), got shape \(4, 10\)"):
        layers.Embedding(10, 4, weights=np.zeros((4, 10)))
    with pytest.raises(ValueError, match="exact only up to 2\\*\\*24"):
        layers.Embedding(2 ** 24 + 1, 1)


def test_its_default_start_is_keras_uniform():
    layer = layers.Embedding(50, 40)
    layer.build((3,), np.random.default_rng(0))
    table = layer.embeddings.numpy()
    assert -0.05 <= table.min() < -0.049 and 0.049 < table.max() <= 0.05
    assert type(layer.embeddings_initializer).__name__ == "RandomUniform"


def test_saved_and_loaded_as_npz_and_keras(tmp_path):
    model = text_model()
    model.layers[0].embeddings_regularizer = glassnet.regularizers.l2(0.01)
    model.compile("adam", "sparse_categorical_crossentropy")
    x = np.floor(20 * np.random.default_rng(0).random((16, 10))).astype(np.float32)
    model.fit(x, np.arange(16) % 10, epochs=1, batch_size=8, verbose=0)
    for name in ("m.npz", "m.keras"):
        model.save(tmp_path / name)
        again = models.load_model(tmp_path / name)
        np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
        assert [type(l).__name__ for l in again.layers] == [type(l).__name__ for l in model.layers]
        assert again.layers[0].embeddings_regularizer.l2 == pytest.approx(0.01)
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        specs = {spec["class_name"]: spec["config"]
                 for spec in json.loads(archive.read("config.json"))["config"]["layers"]}
    assert specs["Embedding"]["embeddings_initializer"]["class_name"] == "RandomUniform"   # Keras's "uniform"
    assert specs["Embedding"]["embeddings_initializer"]["config"]["minval"] == -0.05
    assert specs["Embedding"]["mask_zero"] is False
    assert specs["ZeroPadding1D"]["padding"] == [1, 2] and specs["Cropping1D"]["cropping"] == [1, 2]
    assert specs["UpSampling1D"]["size"] == 2


def test_a_keras_file_with_mask_zero_loads_and_a_layer_that_cant_keep_the_mask_drops_it(tmp_path):
    """The fixture's Embedding is followed by ZeroPadding1D, which (in Keras too) can't keep a
    mask: Keras's warning, word for word, and then the same numbers as without the mask."""
    source = __import__("pathlib").Path(__file__).parent / "fixtures" / "keras" / "text.keras"
    with zipfile.ZipFile(source) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    config = json.loads(members["config.json"])
    config["config"]["layers"][1]["config"]["mask_zero"] = True
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(tmp_path / "masked.keras", "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.warns(UserWarning, match=r"Layer 'zero_padding1d' \(of type ZeroPadding1D\) was passed an input "
                                         r"with a mask attached to it. However, this layer does not support masking"):
        masked = glassnet.load_model(tmp_path / "masked.keras")
    plain = glassnet.load_model(source)
    assert masked.layers[0].mask_zero and not plain.layers[0].mask_zero
    x = np.array([[3, 1, 0, 0, 0, 0, 0, 0, 0, 0][:masked.input_shape[1]]] * 2)
    np.testing.assert_array_equal(masked.predict(x, verbose=0), plain.predict(x, verbose=0))


def test_exported_to_onnx_as_a_gather_of_int64_indices(tmp_path):
    pytest.importorskip("onnx")
    onnxruntime = pytest.importorskip("onnxruntime")
    inputs = layers.Input((2, 3))
    model = models.Model(inputs, layers.Embedding(7, 4, name="words")(inputs), seed=0)
    path = model.export(tmp_path / "m.onnx", verbose=False)
    import onnx
    assert [node.op_type for node in onnx.load(path).graph.node] == ["Cast", "Gather", "Identity"]
    x = np.random.default_rng(0).integers(0, 7, (5, 2, 3)).astype(np.float32)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    np.testing.assert_array_equal(session.run(None, {session.get_inputs()[0].name: x})[0],
                                  model.predict(x, verbose=0))


def test_what_keras_computes(tmp_path):
    """Keras 3's Embedding with glassnet's table gives the same rows, and Keras opens glassnet's
    .keras text model (Embedding, ZeroPadding1D, Conv1D, UpSampling1D, Cropping1D) and predicts
    the same. (Importing Keras takes 10-20 s the first time in a session.)"""
    keras = pytest.importorskip("keras")
    x = np.random.default_rng(0).integers(0, 3, (4, 2, 3)).astype(np.float32)
    ours = embedding(input_shape=(2, 3))
    theirs = keras.layers.Embedding(3, 2)
    theirs.build((None, 2, 3))
    theirs.set_weights([TABLE])
    np.testing.assert_array_equal(np.asarray(theirs(x)), ours.forward(x))
    model = text_model()
    words = np.floor(20 * np.random.default_rng(1).random((16, 10))).astype(np.float32)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(words, np.arange(16) % 10, epochs=1, batch_size=8, verbose=0)
    model.save(tmp_path / "m.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(np.asarray(loaded.predict(words, verbose=0)), model.predict(words, verbose=0),
                               atol=1e-6, rtol=0)
