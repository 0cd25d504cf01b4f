"""BatchNormalization: gradients, statistics, training vs inference, saving with the model."""

import numpy as np
import pytest

from glassnet import load_model
from glassnet.engine.layers import (AveragePooling2D, BatchNormalization, Conv2D, Dense, Dropout,
                                    GlobalAveragePooling2D, MaxPooling2D)
from glassnet.engine.model import Sequential
from glassnet.gradcheck import check_layer
from glassnet.engine.summary import summary_table


@pytest.mark.parametrize("shape, batch_size", [((5,), 6), ((4, 3, 2), 4), ((3, 5, 3), 5)])
@pytest.mark.parametrize("training", [True, False])
def test_gradients(shape, batch_size, training):
    report = check_layer(BatchNormalization(), shape, batch_size=batch_size, training=training)
    assert report.passed, report
    assert set(report.errors) == {"dx", "dgamma", "dbeta"}


@pytest.mark.parametrize("kwargs", [dict(center=False), dict(scale=False), dict(epsilon=0.5)])
def test_gradients_without_gamma_or_beta(kwargs):
    report = check_layer(BatchNormalization(**kwargs), (4, 3), batch_size=5)
    assert report.passed, report


def test_training_normalises_each_channel_over_batch_and_pixels():
    x = np.random.default_rng(0).normal(3.0, 5.0, (8, 4, 4, 3)).astype(np.float32)
    x[..., 2] *= 10
    layer = BatchNormalization()
    y = layer(x, training=True)
    assert y.dtype == np.float32 and y.shape == x.shape
    np.testing.assert_allclose(y.mean(axis=(0, 1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=(0, 1, 2)), 1, atol=1e-3)   # epsilon shrinks it a bit


def test_running_statistics_follow_keras_and_drive_inference():
    rng = np.random.default_rng(1)
    x = rng.normal(2.0, 3.0, (16, 5)).astype(np.float32)
    layer = BatchNormalization(momentum=0.9)
    layer.build((5,))
    layer.forward(x, training=True)
    np.testing.assert_allclose(layer.state["moving_mean"], 0.1 * x.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(layer.state["moving_variance"], 0.9 + 0.1 * x.var(axis=0), rtol=1e-5)
    # Inference uses the running statistics, so one sample's output ignores its batch mates.
    alone = layer.forward(x[:1], training=False)
    together = layer.forward(x, training=False)[:1]
    np.testing.assert_allclose(alone, together)
    expected = (x[:1] - layer.state["moving_mean"]) / np.sqrt(layer.state["moving_variance"] + 1e-3)
    np.testing.assert_allclose(alone, expected, rtol=1e-5)


def test_statistics_are_state_not_trainable_weights():
    model = Sequential([Dense(4, input_shape=(3,)), BatchNormalization()])
    model.build()
    bn = model.layers[1]
    assert set(bn.params) == {"gamma", "beta"}
    assert set(bn.state) == {"moving_mean", "moving_variance"}
    # Keras counts every weight, learned or not: 16 + 8 learned, 8 statistics.
    assert model.count_params() == 3 * 4 + 4 + 4 + 4 + 8
    assert [w.shape for w in bn.trainable_weights] == [(4,), (4,)]
    assert [w.shape for w in bn.non_trainable_weights] == [(4,), (4,)]
    assert "Non-trainable params: 8" in summary_table(model)


def test_arguments():
    layer = BatchNormalization(momentum=0.9, epsilon=1e-5, center=False)
    assert BatchNormalization.from_config(layer.get_config()).get_config() == layer.get_config()
    with pytest.raises(ValueError, match="momentum must be in \\[0, 1\\), got 1.5"):
        BatchNormalization(momentum=1.5)
    with pytest.raises(ValueError, match="epsilon must be > 0, got 0"):
        BatchNormalization(epsilon=0)
    with pytest.raises(ValueError, match="only the last axis"):
        BatchNormalization(axis=1).build((4, 4, 3))
    BatchNormalization(axis=3).build((4, 4, 3))   # Keras counts the batch axis: 3 is the last


def test_a_model_with_every_new_layer_trains_saves_and_loads(tmp_path):
    """Conv2D, both poolings, global pooling and batch norm: identical predictions after
    save/load, and the batch-norm statistics come back too."""
    model = Sequential([
        Conv2D(4, 3, padding="same", activation="relu", input_shape=(10, 10, 1)),
        BatchNormalization(),
        MaxPooling2D(2),                                  # 5x5
        Conv2D(6, 2, strides=1, activation="relu"),       # 4x4
        AveragePooling2D(2),                              # 2x2
        BatchNormalization(),
        Conv2D(8, 1),
        GlobalAveragePooling2D(),
        Dense(8, activation="relu"), BatchNormalization(), Dropout(0.2),
        Dense(3, activation="softmax"),
    ], seed=3)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(4)
    x, y = rng.random((24, 10, 10)).astype(np.float32), rng.integers(0, 3, 24)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    before = model.predict(x)
    assert np.isfinite(before).all()
    bn = model.layers[1]
    assert not np.allclose(bn.state["moving_mean"], 0)   # training moved the statistics

    model.save(tmp_path / "every_layer.npz")
    loaded = load_model(tmp_path / "every_layer.npz")
    np.testing.assert_array_equal(loaded.predict(x), before)
    for old, new in zip(model.layers, loaded.layers):
        assert type(new) is type(old) and new.get_config() == old.get_config()
        for key, value in old.state.items():
            np.testing.assert_array_equal(new.state[key], value)
    loaded.fit(x, y, epochs=1, batch_size=8, verbose=0)   # and it can go on training


# -- recalibrate_batch_norm: the statistics of clean images after training ------------------

def _stacked_model(seed=0):
    """Conv -> BN -> Dropout -> Dense -> BN: a BN on pixels, and one after an active-in-training dropout."""
    model = Sequential([Conv2D(3, 3, activation="relu", input_shape=(6, 6, 1)), BatchNormalization(),
                        Dropout(0.5), GlobalAveragePooling2D(), Dense(4), BatchNormalization(momentum=0.5),
                        Dense(2, activation="softmax")], seed=seed)
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


def test_recalibration_sets_the_exact_statistics_of_the_images():
    from glassnet.engine.layers.batchnorm import recalibrate_batch_norm
    model = _stacked_model()
    x = np.random.default_rng(0).normal(1.0, 2.0, (40, 6, 6, 1)).astype(np.float32)
    model.fit(x, np.arange(40) % 2, epochs=2, batch_size=8, verbose=0)
    bn1, bn2 = [layer for layer in model.layers if isinstance(layer, BatchNormalization)]
    recalibrate_batch_norm(model, x, batch_size=len(x))   # one batch: the statistics are exact
    conv, _, _, pool, dense = (layer for layer in model.layers[:5])
    # By hand, in float64: the first BN's input over batch and pixels; the second one's input
    # is the first normalised by those statistics, with dropout off.
    h = conv.forward(x).astype(np.float64)
    mean, var = h.mean(axis=(0, 1, 2)), h.var(axis=(0, 1, 2))
    np.testing.assert_allclose(bn1.state["moving_mean"], mean, rtol=1e-5)
    np.testing.assert_allclose(bn1.state["moving_variance"], var, rtol=1e-4)
    normalised = (h - mean) / np.sqrt(var + bn1.epsilon) * bn1.params["gamma"] + bn1.params["beta"]
    d = pool.forward(normalised.astype(np.float32)).astype(np.float64) @ dense.params["kernel"] + dense.params["bias"]
    np.testing.assert_allclose(bn2.state["moving_mean"], d.mean(axis=0), atol=1e-6)
    np.testing.assert_allclose(bn2.state["moving_variance"], d.var(axis=0), rtol=1e-4)
    assert bn1.tally is None and bn2.tally is None   # back to normal inference
    before = model.predict(x, verbose=0)
    np.testing.assert_array_equal(model.predict(x, verbose=0), before)   # inference is deterministic


def test_recalibration_in_batches_adds_up_every_batch():
    """Batches normalise with their own statistics during the pass; the first layer's
    statistics (fed straight by the images) are exact whatever the batch size."""
    from glassnet.engine.layers.batchnorm import recalibrate_batch_norm
    x = np.random.default_rng(1).normal(0.5, 1.5, (50, 6, 6, 1)).astype(np.float32)
    whole, batched = _stacked_model(), _stacked_model()
    recalibrate_batch_norm(whole, x, batch_size=50)
    recalibrate_batch_norm(batched, x, batch_size=7)   # 7 batches, the last one of 1
    for a, b in zip(whole.layers[1].state.values(), batched.layers[1].state.values()):
        np.testing.assert_allclose(a, b, rtol=1e-5)
    (mean, var), (batched_mean, batched_var) = (model.layers[5].state.values() for model in (whole, batched))
    np.testing.assert_allclose(batched_mean, mean, atol=1e-6)   # each batch normalised by its own
    np.testing.assert_allclose(batched_var, var, rtol=0.2)      # statistics: close, not equal


def test_recalibration_leaves_frozen_layers_and_refuses_models_without_batch_norm():
    from glassnet.engine.layers.batchnorm import recalibrate_batch_norm
    model = _stacked_model()
    bn1, bn2 = [layer for layer in model.layers if isinstance(layer, BatchNormalization)]
    bn1.trainable = False
    x = np.random.default_rng(2).normal(3.0, 2.0, (20, 6, 6, 1)).astype(np.float32)
    assert recalibrate_batch_norm(model, x) == [bn2]
    np.testing.assert_array_equal(bn1.state["moving_mean"], 0)
    np.testing.assert_array_equal(bn1.state["moving_variance"], 1)
    assert not np.allclose(bn2.state["moving_mean"], 0)
    bn2.trainable = False
    with pytest.raises(ValueError, match="every BatchNormalization layer .* is frozen"):
        recalibrate_batch_norm(model, x)
    plain = Sequential([Dense(3, input_shape=(4,))])
    plain.build()
    with pytest.raises(ValueError, match="has no BatchNormalization layer"):
        recalibrate_batch_norm(plain, np.zeros((2, 4), np.float32))
    bn2.trainable = True
    with pytest.raises(ValueError, match="no images"):
        recalibrate_batch_norm(model, x[:0])
    assert bn2.tally is None
    before = {key: value.copy() for key, value in bn2.state.items()}
    x[3, 2, 2, 0] = np.nan    # a damaged image: refused (by predict), and nothing changes
    with pytest.raises(ValueError, match="NaN"):
        recalibrate_batch_norm(model, x)
    x[3, 2, 2, 0] = 1e30      # finite, but its square overflows float32: refused too
    with pytest.raises(ValueError, match="statistics of layer '.*' are not finite"):
        recalibrate_batch_norm(model, x)
    for key, value in before.items():
        np.testing.assert_array_equal(bn2.state[key], value)


def test_layer_normalization_normalises_each_sample_on_its_own():
    """Each sample's features get mean 0 and variance 1 (before gamma and beta), whatever else
    is in the batch, in training and in inference alike."""
    from glassnet.engine.layers import LayerNormalization
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 5.0, (4, 7, 6)).astype(np.float32)
    layer = LayerNormalization(epsilon=1e-6)
    layer.build((7, 6), rng)
    y = layer.forward(x, training=True)
    np.testing.assert_allclose(y.mean(axis=-1), 0, atol=1e-5)
    np.testing.assert_allclose(y.var(axis=-1), 1, atol=1e-4)
    np.testing.assert_allclose(layer.forward(x[:1], training=False), y[:1], rtol=1e-6)   # alone: the same
    with pytest.raises(ValueError, match="axis=1 is not supported"):
        LayerNormalization(axis=1)
