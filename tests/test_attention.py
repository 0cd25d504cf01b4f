"""Attention and MultiHeadAttention: against the attention formula written out in NumPy,
finite differences (causal and with dropout masks too), the causal mask's promise, saving,
a small model that has to attend to learn, and the errors for what glassnet can't run."""

import numpy as np
import pytest

import glassnet
from glassnet import layers, ops
from glassnet.engine.layers.attention import causal_mask
from glassnet.engine.model import Model
from glassnet.errors import ShapeError
from glassnet.gradcheck import check_layer, check_model


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def attention_by_hand(q, k, v, scale=1.0, causal=False):
    scores = scale * np.einsum("ntd,nsd->nts", q, k)
    if causal:
        scores = np.where(causal_mask(*scores.shape[1:]), scores, -np.inf)
    return softmax(scores) @ v


def mha_by_hand(layer, q, v, k, causal):
    """Each head on its own projections, the heads concatenated, then the output projection."""
    p = layer.params
    heads = []
    for h in range(layer.num_heads):
        def project(x, weight):
            return x @ p[f"{weight}_kernel"][:, h] + p[f"{weight}_bias"][h]
        heads.append(attention_by_hand(project(q, "query"), project(k, "key"), project(v, "value"),
                                       1 / np.sqrt(layer.key_dim), causal))
    stacked = np.stack(heads, axis=2)                                   # (N, T, H, value_dim)
    return np.einsum("nthv,hvd->ntd", stacked, p["output_kernel"]) + p["output_bias"]


RNG = np.random.default_rng(0)
Q, V, K = RNG.standard_normal((2, 4, 6)), RNG.standard_normal((2, 5, 3)), RNG.standard_normal((2, 5, 6))


@pytest.mark.parametrize("causal", [False, True])
def test_attention_is_its_formula(causal):
    layer = layers.Attention(use_scale=True, dtype="float64")
    layer([Q, V[..., :3], K])                                             # builds the scale
    layer.params["scale"][...] = 0.7
    y, scores = layer([Q, V, K], return_attention_scores=True, use_causal_mask=causal)
    np.testing.assert_allclose(y, attention_by_hand(Q, K, V, 0.7, causal), atol=1e-12)
    np.testing.assert_allclose(scores.sum(axis=-1), 1)
    if causal:
        assert np.all(scores[:, 0, 1:] < 1e-300)                          # the first step sees only itself


@pytest.mark.parametrize("causal", [False, True])
def test_multi_head_attention_is_its_heads_put_together(causal):
    layer = glassnet.layers.MultiHeadAttention(3, 2, value_dim=4, output_shape=5, bias_initializer="random_normal",
                                               dtype="float64")
    y, scores = layer(Q, V, K, return_attention_scores=True, use_causal_mask=causal)
    assert y.shape == (2, 4, 5) and scores.shape == (2, 3, 4, 5)
    np.testing.assert_allclose(y, mha_by_hand(layer, Q, V, K, causal), atol=1e-12)
    assert [w.shape for w in layer.get_weights()] == [(6, 3, 2), (3, 2), (6, 3, 2), (3, 2), (3, 3, 4), (3, 4),
                                                      (3, 4, 5), (5,)]      # Keras's shapes and order


def test_a_causal_output_never_depends_on_later_steps():
    layer = layers.MultiHeadAttention(2, 3, dtype="float64")
    x = RNG.standard_normal((1, 6, 4))
    later_changed = x.copy()
    later_changed[:, 3:] += 5
    first, second = layer(x, x, use_causal_mask=True), layer(later_changed, later_changed, use_causal_mask=True)
    np.testing.assert_allclose(first[:, :3], second[:, :3], atol=1e-12)
    assert not np.allclose(first[:, 3:], second[:, 3:])


@pytest.mark.parametrize("make, shapes", [
    (lambda: layers.Attention(use_causal_mask=True), [(4, 3), (4, 3)]),
    (lambda: layers.Attention(dropout=0.4, use_scale=True), [(3, 2), (4, 2)]),
    (lambda: layers.MultiHeadAttention(2, 3, use_causal_mask=True), [(4, 5), (4, 5)]),
    (lambda: layers.MultiHeadAttention(2, 2, dropout=0.3, value_dim=3), [(3, 4), (5, 2), (5, 3)]),
], ids=["attention-causal", "attention-dropout", "mha-causal", "mha-dropout"])
def test_gradients_with_a_mask_and_with_dropout_match_finite_differences(make, shapes):
    """In training, with dropout: the same dropped weights on every evaluation (check_layer
    draws them from one seed each time)."""
    report = check_layer(make(), shapes, batch_size=2)
    assert report.passed, report


def test_self_attention_sums_both_uses_of_its_input():
    """mha(x, x): x is the query and the value (and the key): its gradient is the sum."""
    inputs = layers.Input((4, 3))
    model = Model(inputs, layers.Flatten()(layers.MultiHeadAttention(2, 2)(inputs, inputs)), seed=0)
    model.compile("sgd", "mse")
    x = RNG.random((3, 4, 3))
    report = check_model(model, x, RNG.random((3, 12)))
    assert report.passed, report


def test_a_model_that_must_attend_learns_it():
    """Copy the step the last number points at: only attention (or a lot of weights) can."""
    rng = np.random.default_rng(1)
    n, t = 512, 6
    values = rng.integers(0, 4, (n, t))
    pointer = rng.integers(0, t - 1, n)
    x = np.zeros((n, t, 4 + t), np.float32)
    x[np.arange(n)[:, None], np.arange(t), values] = 1                   # each step: its value, one-hot
    x[np.arange(n), :, 4 + pointer] = 1                                   # ... and which step to copy
    x[:, np.arange(t), 4 + np.arange(t)] += 1                             # ... and where it is
    y = values[np.arange(n), pointer]
    inputs = layers.Input((t, 4 + t))
    attended = layers.MultiHeadAttention(2, 8)(inputs, inputs)
    outputs = layers.Dense(4, activation="softmax")(layers.GlobalAveragePooling1D()(attended))
    model = Model(inputs, outputs, seed=0)
    model.compile(glassnet.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=30, batch_size=64, verbose=0)
    assert history.history["accuracy"][-1] > 0.9, history.history["accuracy"][-5:]


def test_saved_and_loaded_with_the_causal_mask(tmp_path):
    from tiny_models import attention_model
    model = attention_model()
    x = RNG.random((8, 6, 8)).astype(np.float32)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, np.arange(8), epochs=1, verbose=0)
    for suffix in ("npz", "keras"):
        model.save(tmp_path / f"m.{suffix}")
        again = glassnet.load_model(tmp_path / f"m.{suffix}")
        np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
        assert [getattr(layer, "use_causal_mask", None) for layer in again.layers] == \
            [getattr(layer, "use_causal_mask", None) for layer in model.layers]


class PositionalBlock(layers.Layer):
    """keras.io's TokenAndPositionEmbedding: an Embedding of ops.arange(steps), called on a
    constant inside call(); its table must learn all the same."""

    def __init__(self, steps, dim, **kwargs):
        super().__init__(**kwargs)
        self.project = layers.Dense(dim)
        self.positions = layers.Embedding(steps, dim)

    def call(self, x):
        return self.project(x) + self.positions(ops.arange(0, ops.shape(x)[-2]))


class TransformerBlock(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.att = layers.MultiHeadAttention(2, 4)
        self.norm = layers.LayerNormalization()

    def call(self, x):
        return self.norm(x + self.att(x, x))


def test_a_layer_called_on_constants_inside_call_learns_and_blocks_are_found_by_name():
    inputs = layers.Input((5, 3))
    x = PositionalBlock(5, 4, name="embed")(inputs)
    x = TransformerBlock(name="block")(x)
    model = Model(inputs, layers.Dense(2, activation="softmax")(layers.Flatten()(x)), seed=0)
    model.compile("adam", "sparse_categorical_crossentropy")
    table = model.get_layer("embed").positions.params["embeddings"].copy()
    model.fit(RNG.random((16, 5, 3)), np.arange(16) % 2, epochs=2, verbose=0)
    assert not np.allclose(model.get_layer("embed").positions.params["embeddings"], table)
    block = model.get_layer("block")                                        # traced into its layers, still found
    scores = block.att(np.ones((1, 5, 4), np.float32), np.ones((1, 5, 4), np.float32),
                       return_attention_scores=True)[1]
    assert scores.shape == (1, 2, 5, 5)


def test_what_glassnet_cannot_run_is_refused_in_one_line():
    x = layers.Input((4, 3))
    with pytest.raises(NotImplementedError, match="return_attention_scores=True in a model's graph"):
        layers.MultiHeadAttention(2, 2)(x, x, return_attention_scores=True)
    with pytest.raises(NotImplementedError, match="masks .* are not supported"):
        layers.MultiHeadAttention(2, 2)(x, x, attention_mask=np.ones((1, 4, 4), bool))
    with pytest.raises(ValueError, match="attention_axes=\\(1, 2\\) is not supported"):
        layers.MultiHeadAttention(2, 2, attention_axes=(1, 2))
    with pytest.raises(ValueError, match="score_mode='concat' is not supported"):
        layers.Attention(score_mode="concat")
    with pytest.raises(ShapeError, match=r"needs sequences \(batch, steps, features\)"):
        layers.Attention()([layers.Input((4,)), layers.Input((4,))])
    layer = layers.Attention()
    layer([x, x], use_causal_mask=True)
    with pytest.raises(ValueError, match="glassnet keeps one setting per layer"):
        layer([x, x], use_causal_mask=False)
    ones = np.ones((1, 4, 3), np.float32)                   # on arrays: for that call only
    steps = ones * np.arange(4)[:, None]
    assert not np.allclose(layer([ones, steps], use_causal_mask=False), layer([ones, steps]))
    assert layer.use_causal_mask
