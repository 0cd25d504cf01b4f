"""ZeroPadding2D, Cropping2D, UpSampling2D, GaussianNoise, GaussianDropout, SpatialDropout1D and 2D:
what each computes, by NumPy's own means; their gradients are checked with the rest in
``glassnet gradcheck`` (tests/test_gradcheck.py)."""

import numpy as np
import pytest

import glassnet
from glassnet import Sequential
from glassnet.engine.layers import (Conv2D, Conv2DTranspose, Cropping2D, Dense, Flatten, GaussianDropout, GaussianNoise,
                                    SpatialDropout2D, UpSampling2D, ZeroPadding2D)

X = np.random.default_rng(0).standard_normal((2, 4, 5, 3)).astype(np.float32)


def run(layer, x=X, training=False):
    model = Sequential([layer], seed=0)
    model.build(x.shape[1:])
    return layer.forward(x, training=training)


@pytest.mark.parametrize("padding, pads", [(1, ((1, 1), (1, 1))), ((2, 0), ((2, 2), (0, 0))),
                                           (((0, 1), (3, 2)), ((0, 1), (3, 2)))])
def test_zero_padding_is_numpy_pad_and_cropping_undoes_it(padding, pads):
    padded = run(ZeroPadding2D(padding))
    np.testing.assert_array_equal(padded, np.pad(X, ((0, 0), *pads, (0, 0))))
    np.testing.assert_array_equal(run(Cropping2D(padding), padded), X)
    assert ZeroPadding2D(padding).output_shape((4, 5, 3)) == padded.shape[1:]


def test_upsampling_repeats_every_pixel_and_its_gradient_sums_the_copies():
    up = UpSampling2D((2, 3))
    y = run(up)
    np.testing.assert_array_equal(y, np.kron(X, np.ones((1, 2, 3, 1), np.float32)))
    dy = np.ones_like(y)
    np.testing.assert_array_equal(up.backward(dy), np.full_like(X, 6))       # 2 x 3 copies each
    with pytest.raises(ValueError, match="interpolation='bilinear' is not supported"):
        UpSampling2D(interpolation="bilinear")


def test_the_noise_layers_are_the_identity_at_inference_and_noisy_as_promised_in_training():
    big = np.ones((400, 8, 8, 16), np.float32)
    for layer in (GaussianNoise(0.5), GaussianDropout(0.2), SpatialDropout2D(0.25)):
        np.testing.assert_array_equal(run(layer, big), big)
    noise = run(GaussianNoise(0.5), big, training=True) - 1
    assert abs(noise.mean()) < 0.01 and abs(noise.std() - 0.5) < 0.01
    factor = run(GaussianDropout(0.2), big, training=True)
    assert abs(factor.mean() - 1) < 0.01 and abs(factor.std() - np.sqrt(0.2 / 0.8)) < 0.01
    maps = run(SpatialDropout2D(0.25), big, training=True)
    per_map = maps.reshape(400, 64, 16)
    assert set(np.unique(per_map)) == {0.0, np.float32(1 / 0.75)}
    assert (per_map.min(axis=1) == per_map.max(axis=1)).all()            # whole feature maps, on or off
    assert abs((per_map[:, 0] == 0).mean() - 0.25) < 0.02


def test_bad_settings_are_refused_in_words():
    with pytest.raises(ValueError, match=r"ZeroPadding2D: padding must be a number >= 0"):
        ZeroPadding2D(-1)
    with pytest.raises(ValueError, match="channels last"):
        Cropping2D(1, data_format="channels_first")
    with pytest.raises(glassnet.errors.ShapeError, match="nothing would be left"):
        Sequential([Cropping2D(2)]).build((4, 4, 1))
    with pytest.raises(ValueError, match="GaussianDropout: rate must be in"):
        GaussianDropout(1.0)
    with pytest.raises(ValueError, match="Conv2DTranspose: filters must be a positive integer"):
        Conv2DTranspose(0, 3)
    with pytest.raises(ValueError, match="Conv2DTranspose: output_padding=1 is not supported"):
        Conv2DTranspose(4, 3, output_padding=1)


def test_a_model_with_them_travels_as_a_keras_file(tmp_path):
    model = Sequential([ZeroPadding2D(2, input_shape=(8, 8, 1)), GaussianNoise(0.1), Conv2D(4, 3, strides=2),
                        SpatialDropout2D(0.2), UpSampling2D(2), Conv2DTranspose(2, 3, strides=2, padding="same"),
                        Cropping2D(((1, 1), (0, 2))), GaussianDropout(0.1),
                        Flatten(), Dense(3, activation="softmax")], seed=0)
    model.compile("adam", "sparse_categorical_crossentropy")
    x = np.random.default_rng(1).random((6, 8, 8, 1), dtype=np.float32)
    model.fit(x, np.arange(6) % 3, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = glassnet.load_model(tmp_path / "m.keras")
    assert [type(layer).__name__ for layer in loaded.layers] == [type(layer).__name__ for layer in model.layers]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize("kernel, strides, padding", [(3, 2, "same"), (4, 2, "same"), (3, 1, "same"),
                                                     (2, 2, "valid"), ((3, 2), (1, 2), "same")])
def test_conv2d_transpose_is_the_input_gradient_of_a_conv2d(kernel, strides, padding):
    # A transposed convolution is, by its definition, what a Conv2D's backward pass does to
    # its output gradient: the same kernel (kh, kw, F, C) read as the Conv2D's (in=F, out=C).
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 4, 2))
    transpose = Conv2DTranspose(5, kernel, strides=strides, padding=padding, use_bias=False, dtype="float64")
    Sequential([transpose], seed=0).build(x.shape[1:])
    y = transpose.forward(x)
    conv = Conv2D(2, kernel, strides=strides, padding=padding, use_bias=False, dtype="float64")
    Sequential([conv], seed=0).build(y.shape[1:])
    conv.params["kernel"][...] = transpose.params["kernel"]
    assert conv.forward(y).shape == x.shape
    np.testing.assert_allclose(conv.backward(x), y, rtol=1e-12, atol=1e-12)


def test_conv2d_transpose_computes_what_keras_does():
    keras = pytest.importorskip("keras")
    from glassnet.engine.layers import Conv2DTranspose as Ours

    rng = np.random.default_rng(0)
    for kernel, strides, padding in [(3, 2, "same"), (3, 2, "valid"), (2, 3, "valid"), (2, 3, "same"),
                                     ((4, 3), (2, 1), "same"), (5, 2, "same")]:
        x = rng.standard_normal((2, 5, 4, 3)).astype(np.float32)
        theirs = keras.layers.Conv2DTranspose(2, kernel, strides=strides, padding=padding, activation="relu")
        theirs(x)
        weights = [rng.standard_normal(w.shape).astype(np.float32) for w in theirs.get_weights()]
        theirs.set_weights(weights)
        ours = Ours(2, kernel, strides=strides, padding=padding, activation="relu")
        Sequential([ours], seed=0).build(x.shape[1:])
        ours.params["kernel"][...], ours.params["bias"][...] = weights
        np.testing.assert_allclose(ours.forward(x), np.asarray(theirs(x)), atol=1e-5)


def test_spatial_dropout_1d_drops_whole_channels_of_a_sequence():
    from glassnet.engine.layers import SpatialDropout1D
    from glassnet.errors import ShapeError

    layer = SpatialDropout1D(0.5, seed=0)
    x = np.ones((64, 7, 5), np.float32)
    y = layer(x, training=True)
    per_channel = np.asarray(y)[:, 0, :]                     # each sequence's channels: 0 or 2
    assert set(np.unique(per_channel)) == {0.0, 2.0}
    np.testing.assert_array_equal(np.asarray(y), per_channel[:, None, :].repeat(7, axis=1))   # all steps alike
    assert 0.35 < (per_channel == 0).mean() < 0.65
    np.testing.assert_array_equal(layer(x, training=False), x)
    with pytest.raises(ShapeError, match=r"needs sequences \(batch, steps, channels\)"):
        SpatialDropout1D(0.2)(np.ones((2, 3, 4, 5)))


def test_alpha_dropout_keeps_a_selu_networks_mean_and_variance():
    from glassnet.engine.layers import AlphaDropout

    x = np.random.default_rng(0).standard_normal((400, 500))
    layer = AlphaDropout(0.2, seed=0, dtype="float64")        # the float64 sample, exactly
    y = np.asarray(layer(x, training=True))
    a = ((1 - 0.2) * (1 + 0.2 * AlphaDropout.ALPHA_P ** 2)) ** -0.5
    b = -a * AlphaDropout.ALPHA_P * 0.2
    dropped = layer.mask == 0                                     # kept: dy/dx = a
    assert abs(dropped.mean() - 0.2) < 0.01 and np.allclose(layer.mask[~dropped], a)
    np.testing.assert_allclose(y[dropped], a * AlphaDropout.ALPHA_P + b)
    np.testing.assert_allclose(y[~dropped], a * x[~dropped] + b)
    assert abs(y.mean()) < 0.01 and abs(y.std() - 1) < 0.01        # still mean 0, variance 1
    np.testing.assert_array_equal(layer(x, training=False), x)
