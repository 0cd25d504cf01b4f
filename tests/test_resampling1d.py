"""ZeroPadding1D, Cropping1D, UpSampling1D on sequences (N, L, C): against hand-worked values
and NumPy's own pad / slice / repeat, their gradients by hand, bad settings, .keras both ways
and ONNX. Their gradients are in the gradient-check catalogue (glassnet gradcheck); Keras 3
runs them in tests/test_embedding.py (test_what_keras_computes) and test_keras_file.py
(the Keras-made text.keras)."""

import numpy as np
import pytest

import glassnet
from glassnet import layers, models
from glassnet.errors import ShapeError

X = np.arange(12, dtype=np.float32).reshape(2, 3, 2)      # 2 sequences of 3 steps, 2 channels


def run(layer, x=X):
    models.Sequential([layers.Input(x.shape[1:]), layer], seed=0)
    return layer.forward(x)


def test_zero_padding_adds_zero_steps_at_each_end():
    y = run(layers.ZeroPadding1D((1, 2)))
    np.testing.assert_array_equal(y[0, :, 0], [0, 0, 2, 4, 0, 0])
    np.testing.assert_array_equal(y, np.pad(X, ((0, 0), (1, 2), (0, 0))))
    np.testing.assert_array_equal(run(layers.ZeroPadding1D()), np.pad(X, ((0, 0), (1, 1), (0, 0))))   # Keras's 1
    dy = np.arange(2 * 6 * 2, dtype=np.float32).reshape(2, 6, 2)
    np.testing.assert_array_equal(layers.ZeroPadding1D((1, 2)).backward(dy), dy[:, 1:4])


def test_cropping_cuts_steps_off_and_undoes_the_padding():
    crop = layers.Cropping1D((1, 0))
    np.testing.assert_array_equal(run(crop)[0, :, 1], [3, 5])
    dx = crop.backward(np.ones((2, 2, 2), np.float32))
    np.testing.assert_array_equal(dx[0, :, 0], [0, 1, 1])               # the cut step gets no gradient
    padded = run(layers.ZeroPadding1D(2))
    np.testing.assert_array_equal(run(layers.Cropping1D(2), padded), X)
    assert layers.Cropping1D().cropping == (1, 1)                        # Keras's default


def test_upsampling_repeats_each_step_and_sums_the_copies_gradients():
    up = layers.UpSampling1D(3)
    y = run(up)
    np.testing.assert_array_equal(y[0, :, 0], [0, 0, 0, 2, 2, 2, 4, 4, 4])
    np.testing.assert_array_equal(y, np.repeat(X, 3, axis=1))
    dy = np.arange(2 * 9 * 2, dtype=np.float32).reshape(2, 9, 2)
    np.testing.assert_array_equal(up.backward(dy), dy.reshape(2, 3, 3, 2).sum(axis=2))
    assert up.backward(dy)[0, 0, 0] == 0 + 2 + 4                       # steps 0, 1, 2 of channel 0


def test_bad_settings_and_shapes_get_clear_errors():
    with pytest.raises(ValueError, match=r"ZeroPadding1D: padding must be a whole number >= 0 or \(before, after\), "
                                         r"got -1"):
        layers.ZeroPadding1D(-1)
    with pytest.raises(ValueError, match=r"Cropping1D: cropping must be .* got \(1, 2, 3\)"):
        layers.Cropping1D((1, 2, 3))
    with pytest.raises(ValueError, match="UpSampling1D: size must be a positive integer, got 0"):
        layers.UpSampling1D(0)
    with pytest.raises(ValueError, match="data_format='channels_first' is not supported"):
        layers.ZeroPadding1D(data_format="channels_first")
    with pytest.raises(ShapeError, match=r"can't crop \(2, 1\) off a sequence of 3 steps: nothing would be left"):
        run(layers.Cropping1D((2, 1)))
    with pytest.raises(ShapeError, match=r"UpSampling1D\) needs sequences \(batch, steps, channels\)"):
        models.Sequential([layers.Input((4, 4, 1)), layers.UpSampling1D()])
    with pytest.raises(ShapeError, match=r"ZeroPadding1D\) needs sequences"):
        models.Sequential([layers.Input((4,)), layers.ZeroPadding1D()])


def test_a_model_with_them_trains_saves_and_exports(tmp_path):
    model = models.Sequential([layers.Input((8, 3)), layers.ZeroPadding1D((2, 0)), layers.Conv1D(4, 3),
                               layers.UpSampling1D(2), layers.Cropping1D((3, 1)), layers.Flatten(),
                               layers.Dense(3, activation="softmax")], seed=0)
    model.compile("adam", "sparse_categorical_crossentropy")
    x = np.random.default_rng(0).random((12, 8, 3), dtype=np.float32)
    model.fit(x, np.arange(12) % 3, epochs=1, verbose=0)
    crop = model.layers[3]
    assert crop.input_shape == (16, 4) and crop.output_shape(crop.input_shape) == (12, 4)   # 8+2-2 steps, x2, -4
    for name in ("m.npz", "m.keras"):
        model.save(tmp_path / name)
        again = glassnet.load_model(tmp_path / name)
        assert [again.layers[i].get_config() for i in (0, 2, 3)] == [model.layers[i].get_config() for i in (0, 2, 3)]
        np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    from glassnet.interop.onnx_export import largest_difference
    model.export(tmp_path / "m.onnx", verbose=False)
    assert largest_difference(model, tmp_path / "m.onnx", x) < 1e-6
