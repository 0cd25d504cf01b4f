"""Masks: padded steps are skipped by the recurrent layers, the masked mean, the loss and the
metrics, as in Keras 3 (engine/masking.py). Keras's own numbers are in tests/test_keras_file.py
(fixtures written by Keras with masks) and, where Keras is installed, at the end of this file."""

import importlib.util
import warnings

import numpy as np
import pytest

import glassnet
from glassnet.engine.layers import (GRU, LSTM, Add, Bidirectional, Concatenate, Dense, Dropout, Embedding,
                                    Flatten, GlobalAveragePooling1D, Input, Masking, SimpleRNN,
                                    TimeDistributed)
from glassnet.engine.model import Model, Sequential
from glassnet.errors import ExportError

WORDS = np.array([[4, 2, 7, 0, 0],        # padded after
                  [0, 0, 4, 2, 7],        # the same words, padded before
                  [4, 2, 7, 1, 3],        # no padding
                  [0, 0, 0, 0, 0]])       # nothing at all


def reader(layer, seed=0, **embedding):
    inputs = Input((None,))                 # sequences of any length
    return Model(inputs, layer(Embedding(9, 3, mask_zero=True, **embedding)(inputs)), seed=seed)


@pytest.mark.parametrize("make", [lambda: LSTM(4), lambda: GRU(4), lambda: GRU(4, reset_after=False),
                                  lambda: SimpleRNN(4), lambda: Bidirectional(LSTM(2)),
                                  lambda: LSTM(4, go_backwards=True)])
def test_the_padding_changes_nothing_before_or_after_the_words(make):
    model = reader(make())
    y = model.predict(WORDS, verbose=0)
    short_input = Input((None,))
    unpadded = Model(short_input, model.layers[-1](model.layers[1](short_input)))   # the same weights
    np.testing.assert_allclose(y[0], y[1], atol=1e-6)              # padded after == padded before
    np.testing.assert_allclose(y[0], unpadded.predict(WORDS[:1, :3], verbose=0)[0], atol=1e-6)
    np.testing.assert_array_equal(y[3], 0)                          # no real step: the zero state
    assert not np.allclose(y[0], y[2])                              # the extra words do count


def test_a_masked_step_keeps_the_state_and_the_output_repeats_or_is_zero():
    steps = reader(SimpleRNN(2, return_sequences=True)).predict(WORDS[:2], verbose=0)
    np.testing.assert_array_equal(steps[0, 3], steps[0, 2])        # padding after: the last output again
    np.testing.assert_array_equal(steps[0, 4], steps[0, 2])
    np.testing.assert_array_equal(steps[1, :2], 0)                 # before the first word: zeros
    zeros = reader(SimpleRNN(2, return_sequences=True, zero_output_for_mask=True)).predict(WORDS[:2], verbose=0)
    np.testing.assert_array_equal(zeros[0, 3:], 0)
    np.testing.assert_array_equal(zeros[0, :3], steps[0, :3])
    both = reader(Bidirectional(LSTM(2, return_sequences=True))).predict(WORDS[:2], verbose=0)
    np.testing.assert_array_equal(both[0, 3:], 0)                  # Bidirectional: zeros, as in Keras
    np.testing.assert_allclose(both[0, :3], both[1, 2:], atol=1e-6)


def test_the_state_is_kept_over_a_gap_in_the_middle():
    x = np.random.default_rng(0).standard_normal((1, 4, 2)).astype(np.float32)
    gap = x.copy()
    gap[0, 1] = 0                                                  # Masking: this step is padding
    inputs = Input((None, 2))
    model = Model(inputs, GRU(3)(Masking()(inputs)), seed=0)
    closed = Input((None, 2))
    without = Model(closed, model.layers[-1](closed))
    np.testing.assert_allclose(model.predict(gap, verbose=0), without.predict(x[:, [0, 2, 3]], verbose=0),
                               atol=1e-6)


def test_the_masked_mean_averages_the_real_steps_only():
    x = np.arange(12, dtype=np.float32).reshape(2, 3, 2) + 1
    mask = np.array([[True, False, True], [False, False, False]])
    pooling = GlobalAveragePooling1D()
    pooling.build((3, 2))
    y = pooling.forward(x, mask=mask)
    np.testing.assert_allclose(y, [[(1 + 5) / 2, (2 + 6) / 2], [0, 0]])     # by hand; none real: 0
    dx = pooling.backward(np.ones((2, 2), np.float32))
    np.testing.assert_allclose(dx[0, :, 0], [0.5, 0, 0.5])
    np.testing.assert_array_equal(dx[1], 0)


def test_the_loss_and_the_accuracy_count_the_real_steps_only():
    inputs = Input((5,))
    tags = Dense(3, activation="softmax")(LSTM(4, return_sequences=True)(Embedding(9, 3, mask_zero=True)(inputs)))
    model = Model(inputs, tags, seed=0)
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    labels = np.random.default_rng(1).integers(0, 3, (4, 5))
    loss, accuracy = model.evaluate(WORDS, labels, batch_size=4, verbose=0)
    p = model.predict(WORDS, verbose=0)
    real = WORDS != 0
    picked = np.take_along_axis(p, labels[..., None], axis=-1)[..., 0]
    assert loss == pytest.approx(-np.log(picked[real]).mean(), rel=1e-5)
    assert accuracy == pytest.approx((p.argmax(-1) == labels)[real].mean())
    weights = np.array([1.0, 2.0, 0.5, 1.0])                       # sample weights multiply in
    weighted = model.evaluate(WORDS, labels, sample_weight=weights, batch_size=4, verbose=0)[0]
    per_step = -np.log(picked) * weights[:, None]
    assert weighted == pytest.approx(per_step[real].sum() / real.sum(), rel=1e-5)


def test_training_learns_from_the_words_and_not_the_padding():
    """Whether a sequence holds word 7: padding before and after is the same task."""
    rng = np.random.default_rng(0)
    x = np.zeros((400, 8))
    for row in range(400):
        length = rng.integers(1, 9)
        words = rng.integers(1, 9, length)
        x[row, :length] = words if row % 2 else x[row, :length]
        x[row, 8 - length:] = words if not row % 2 else x[row, 8 - length:]
    y = (x == 7).any(axis=1).astype(np.float32)
    model = Sequential([Input((8,)), Embedding(9, 8, mask_zero=True), LSTM(8), Dense(1, activation="sigmoid")],
                       seed=0)
    model.compile(glassnet.optimizers.Adam(0.02), "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=12, batch_size=32, verbose=0)
    assert history.history["accuracy"][-1] > 0.95


def test_masks_flow_through_dense_dropout_and_merges_and_stop_at_layers_that_cant_keep_them():
    inputs = Input((5,))
    embedded = Embedding(9, 3, mask_zero=True)(inputs)
    kept = Dropout(0.2)(Dense(4, activation="relu")(embedded))
    joined = Concatenate()([kept, Dense(2)(embedded)])
    model = Model(inputs, [joined, Add()([kept, kept]), GRU(2, return_sequences=True)(joined)], seed=0)
    model.predict(WORDS, verbose=0)
    for mask in model.output_masks:
        np.testing.assert_array_equal(mask, WORDS != 0)
    with pytest.warns(UserWarning, match=r"Layer 'flatten' \(of type Flatten\) was passed an input with a mask "
                                         r"attached to it. However, this layer does not support masking"):
        flat = Model(inputs, Dense(1)(Flatten()(Embedding(9, 3, mask_zero=True, name="words")(inputs))), seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                              # said where the model is built, once
        flat.predict(WORDS, verbose=0)
    assert flat.output_masks == [None]
    flatten = Flatten()
    with pytest.warns(UserWarning, match="Layer 'flatten_1' .* does not support masking"):   # on arrays too
        flatten(Embedding(9, 3, mask_zero=True)(WORDS))


def test_batch_normalization_learns_its_statistics_from_the_real_steps():
    from glassnet.engine.layers import BatchNormalization
    x = np.random.default_rng(0).standard_normal((3, 4, 2)).astype(np.float32)
    mask = np.array([[True, True, False, False], [True, False, False, False], [True, True, True, True]])
    layer = BatchNormalization(momentum=0.0, epsilon=1e-3)
    layer.build((4, 2))
    y = layer.forward(x, training=True, mask=mask)
    real = x[mask]                                                  # (7, 2): the real steps' features
    np.testing.assert_allclose(layer.state["moving_mean"], real.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(layer.state["moving_variance"], real.var(axis=0), rtol=1e-4)
    np.testing.assert_allclose(y, (x - real.mean(axis=0)) / np.sqrt(real.var(axis=0) + 1e-3), atol=1e-5)
    assert layer.compute_mask(x, mask) is mask                      # and the mask passes on


def test_merges_join_masks_as_keras_does():
    a, b = np.array([[True, False, False]]), np.array([[False, True, False]])
    x = np.zeros((1, 3, 2))
    np.testing.assert_array_equal(Add().compute_mask([x, x], [a, b]), [[True, True, False]])
    assert Add().compute_mask([x, x], [a, None]) is None            # Keras 3.15: any input unmasked
    np.testing.assert_array_equal(Concatenate().compute_mask([x, x], [a, None]), [[True, True, True]])
    np.testing.assert_array_equal(Concatenate(axis=1).compute_mask([x, x], [a, b]),
                                  [[True, False, False, False, True, False]])


def test_time_distributed_passes_the_mask_on_as_in_keras_3_15():
    inputs = Input((5,))
    steps = TimeDistributed(Dense(3, activation="softmax"))(LSTM(2, return_sequences=True)(
        Embedding(9, 3, mask_zero=True)(inputs)))
    model = Model(inputs, steps, seed=0)
    model.predict(WORDS, verbose=0)
    np.testing.assert_array_equal(model.output_masks[0], WORDS != 0)


def test_on_arrays_a_layer_hands_its_mask_to_the_next_as_keras_mask():
    embedding, lstm = Embedding(9, 3, mask_zero=True), LSTM(2)
    embedded = embedding(WORDS)
    np.testing.assert_array_equal(embedded._keras_mask, WORDS != 0)
    np.testing.assert_array_equal(embedding.compute_mask(WORDS), WORDS != 0)
    by_attribute = lstm(embedded).numpy()
    np.testing.assert_allclose(by_attribute[0], by_attribute[1], atol=1e-6)
    np.testing.assert_allclose(lstm(embedded.numpy(), mask=WORDS != 0).numpy(), by_attribute)
    assert not np.allclose(lstm(embedded.numpy()).numpy()[0], by_attribute[0])    # no mask: padding read
    masking = Masking(mask_value=-1.0)
    np.testing.assert_array_equal(masking.compute_mask(-np.ones((1, 2, 3))), [[False, False]])
    assert Embedding(9, 3).compute_mask(WORDS) is None
    assert Embedding(9, 3, mask_zero=True).supports_masking and LSTM(2).supports_masking


def test_a_model_called_on_arrays_hands_out_its_output_mask():
    model = reader(GRU(2, return_sequences=True))
    np.testing.assert_array_equal(model(WORDS)._keras_mask, WORDS != 0)
    assert getattr(reader(GRU(2))(WORDS), "_keras_mask", None) is None


def test_a_mask_reaches_a_nested_model_and_comes_out_of_it():
    inner_input = Input((5, 3))
    inner = Model(inner_input, LSTM(2, return_sequences=True)(inner_input), name="inner")
    outer = Sequential([Input((5,)), Embedding(9, 3, mask_zero=True), inner, LSTM(2)], seed=0)
    y = outer.predict(WORDS, verbose=0)
    np.testing.assert_allclose(y[0], y[1], atol=1e-6)


def test_a_subclassed_model_traced_into_layers_masks_too():
    class Reader(Model):
        def __init__(self):
            super().__init__(seed=0)
            self.embedding = Embedding(9, 3, mask_zero=True)
            self.lstm = LSTM(2)

        def call(self, inputs):
            return self.lstm(self.embedding(inputs))

    y = Reader().predict(WORDS, verbose=0)
    np.testing.assert_allclose(y[0], y[1], atol=1e-6)


def test_a_layer_of_your_own_gets_the_mask_and_may_make_one():
    """keras.io's masking guide: a layer that takes mask= in call(), and one with compute_mask."""
    seen = {}

    class TemporalSum(glassnet.layers.Layer):
        def call(self, inputs, mask=None):
            seen["mask"] = mask
            weights = glassnet.ops.expand_dims(glassnet.ops.cast(mask, "float32"), -1)
            return glassnet.ops.sum(inputs * weights, axis=1)

        def compute_mask(self, inputs, mask=None):
            return None

    inputs = Input((5,))
    model = Model(inputs, TemporalSum()(Embedding(9, 3, mask_zero=True)(inputs)), seed=0)
    y = model.predict(WORDS, verbose=0)
    np.testing.assert_array_equal(seen["mask"], WORDS != 0)
    np.testing.assert_allclose(y[0], y[1], atol=1e-6)
    assert TemporalSum.uses_mask and TemporalSum.supports_masking


def test_saved_and_loaded_with_its_masks(tmp_path):
    inputs = Input((5, 2))
    model = Model(inputs, Bidirectional(GRU(2, return_sequences=True))(Masking(mask_value=-1.0)(inputs)), seed=0)
    x = np.random.default_rng(0).standard_normal((3, 5, 2)).astype(np.float32)
    x[:, 3:] = -1.0
    for name in ("m.keras", "m.npz"):
        model.save(tmp_path / name)
        again = glassnet.load_model(tmp_path / name)
        assert again.layers[1].mask_value == -1.0
        np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
    with pytest.raises(ExportError, match="uses masks .* which glassnet can't write to ONNX"):
        model.export(tmp_path / "m.onnx", verbose=False)


def test_padding_rows_are_zeroed_by_masking_and_get_no_gradient():
    layer = Masking()
    x = np.array([[[1.0, 2.0], [0.0, 0.0], [0.0, 3.0]]])
    np.testing.assert_array_equal(layer(x), x)
    np.testing.assert_array_equal(layer.compute_mask(x), [[True, False, True]])
    layer = Masking(mask_value=3.0)
    y = layer(np.array([[[3.0, 3.0], [1.0, 3.0]]]))
    np.testing.assert_array_equal(y, [[[0.0, 0.0], [1.0, 3.0]]])
    np.testing.assert_array_equal(layer.backward(np.ones((1, 2, 2))), [[[0, 0], [1, 1]]])


def test_attention_never_reads_a_padded_key_and_its_output_keeps_the_query_mask():
    from glassnet.engine.layers import Attention, MultiHeadAttention
    inputs = Input((5,))
    embedded = Embedding(9, 3, mask_zero=True)(inputs)
    attention, heads = Attention(), MultiHeadAttention(2, 2)
    model = Model(inputs, [attention([embedded, embedded]), heads(embedded, embedded)], seed=0)
    y, _ = model.predict(WORDS, verbose=0)
    real = WORDS != 0
    for layer in (attention, heads):
        weights = np.asarray(layer.last_attention_scores)
        weights = weights if weights.ndim == 3 else weights[:, 0]            # (N, Tq, Tv), one head
        np.testing.assert_array_equal(weights[real][:, :][:, None, :].shape[0], real.sum())
        for row in range(3):                                                 # real queries: real keys only
            for t in np.flatnonzero(real[row]):
                assert weights[row, t][~real[row]].sum() == 0 and weights[row, t].sum() == pytest.approx(1)
    np.testing.assert_array_equal(y[~real], 0)                    # Attention: padded queries give 0
    for mask in model.output_masks:
        np.testing.assert_array_equal(mask, real)


@pytest.mark.skipif(importlib.util.find_spec("keras") is None, reason="needs Keras 3 (the reference)")
@pytest.mark.parametrize("attention", ["dot", "heads"])
def test_keras_gives_the_same_outputs_loss_accuracy_and_step(tmp_path, attention):
    """Recurrent layers, merges, Attention or MultiHeadAttention on padded words. (Keras 3.15's
    MultiHeadAttention also takes the masks off its inputs as it runs, so that a layer that
    Keras happens to run after it sees none: glassnet doesn't copy that. One attention layer
    per model here, beside the branches it shares its input with.)"""
    import os
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    rng = np.random.default_rng(0)
    x = np.zeros((12, 6), "int32")
    for row in range(12):
        length = rng.integers(1, 7)
        start = 0 if row % 2 else 6 - length
        x[row, start:start + length] = rng.integers(1, 9, length)
    tags = rng.integers(0, 3, (12, 6))

    def build(lib):
        L = lib.layers
        inputs = L.Input((6,), dtype="int32") if lib is keras else L.Input((6,))
        h = L.Embedding(9, 4, mask_zero=True)(inputs)
        read = L.Attention(use_scale=True)([h, h]) if attention == "dot" else \
            L.MultiHeadAttention(2, 2)(h, L.Dense(4)(h), use_causal_mask=True)
        h = L.Concatenate()([L.Bidirectional(L.GRU(3, return_sequences=True))(h), L.Dense(2)(h), read])
        return (keras.Model if lib is keras else Model)(inputs, L.Dense(3, activation="softmax")(
            L.LSTM(3, return_sequences=True)(h)))

    keras.utils.set_random_seed(0)
    theirs = build(keras)
    theirs.save(tmp_path / "masked.keras")                 # Keras's masks travel as operations in its file
    ours = glassnet.load_model(tmp_path / "masked.keras")
    for model in (theirs, ours):
        model.compile(keras.optimizers.SGD(0.5) if model is theirs else glassnet.optimizers.SGD(0.5),
                      "sparse_categorical_crossentropy", metrics=["accuracy"])
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), atol=1e-6)
    np.testing.assert_allclose(ours.evaluate(x, tags, batch_size=12, verbose=0),
                               theirs.evaluate(x, tags, batch_size=12, verbose=0), rtol=1e-5)
    for model in (theirs, ours):
        model.fit(x, tags, epochs=1, batch_size=12, shuffle=False, verbose=0)
    for layer in theirs.layers:
        for a, b in zip(ours.get_layer(layer.name).get_weights(), layer.get_weights()):
            np.testing.assert_allclose(a, b, atol=1e-5)
