"""The Functional API and the Model core: graphs, shared layers, nested models, Keras semantics."""

import numpy as np
import pytest

import glassnet as keras
from glassnet import layers
from glassnet.engine.layers.input_layer import InputLayer
from glassnet.errors import DataError, ShapeError
from glassnet.models import Model, Sequential, clone_model, load_model
from glassnet.engine.summary import summary_table
from glassnet.engine.summary_box import read_rows

RNG = np.random.default_rng(0)
X = RNG.standard_normal((48, 6)).astype(np.float32)
Y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1).astype(int)


def residual(seed=0):
    inputs = keras.Input(shape=(6,), name="pixels")
    h = layers.Dense(6, activation="relu")(inputs)
    h = layers.Add()([inputs, layers.Dense(6)(h)])
    outputs = layers.Dense(3, activation="softmax")(h)
    return Model(inputs, outputs, name="residual", seed=seed)


def test_a_residual_model_trains_and_its_graph_is_in_order():
    model = residual()
    assert [type(l).__name__ for l in model.layers] == ["InputLayer", "Dense", "Dense", "Add", "Dense"]
    assert model.input_shape == (None, 6) and model.output_shape == (None, 3)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(X, Y, epochs=3, batch_size=16, verbose=0)
    assert sorted(history.history) == ["accuracy", "loss"] and history.epoch == [0, 1, 2]
    assert history.history["loss"][-1] < history.history["loss"][0]
    rows = read_rows(summary_table(model, line_length=140))
    assert rows[0][-1] == "Connected to" and rows[4][-1] == "pixels[0][0], dense_1[0][0]"   # the Add


def test_model_call_returns_an_array_and_a_model_is_a_layer():
    model = residual()
    out = model(X[:4])
    assert isinstance(out, np.ndarray) and out.shape == (4, 3)
    np.testing.assert_allclose(out, model.predict(X[:4], verbose=0), rtol=1e-6)
    # The TensorFlow quickstart: a probability model wrapped around a model that gives logits.
    logits = Sequential([layers.Input((6,)), layers.Dense(3)], seed=0)
    probability = Sequential([logits, layers.Softmax()])
    p = probability(X[:4])
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-6)
    # ...and a model used inside a Functional graph, trained through.
    inputs = keras.Input((6,))
    outer = Model(inputs, layers.Dense(3, activation="softmax")(residual()(inputs)), seed=1)
    outer.compile("sgd", "sparse_categorical_crossentropy")
    before = outer.get_weights()
    outer.fit(X, Y, epochs=1, verbose=0)
    assert all(not np.array_equal(a, b) for a, b in zip(before, outer.get_weights()))


def test_a_layer_called_on_two_inputs_shares_its_weights():
    inputs = keras.Input((6,))
    shared = layers.Dense(6, activation="tanh", name="shared")
    outputs = layers.Dense(3, activation="softmax")(shared(shared(inputs)))
    model = Model(inputs, outputs)
    assert len([l for l in model.layers if l is shared]) == 1
    assert model.count_params() == 42 + 21
    text = summary_table(model)
    assert "shared[1][0]" in text and "0 (shared)" in text


def test_two_inputs_fed_as_a_list_or_a_dict():
    a, b = keras.Input((6,), name="a"), keras.Input((2,), name="b")
    h = layers.Concatenate()([layers.Dense(4)(a), b])
    model = Model([a, b], layers.Dense(3, activation="softmax")(h), seed=0)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    extra = RNG.standard_normal((48, 2)).astype(np.float32)
    model.fit([X, extra], Y, epochs=1, verbose=0)
    np.testing.assert_array_equal(model.predict([X, extra], verbose=0),
                                  model.predict({"a": X, "b": extra}, verbose=0))
    with pytest.raises(DataError, match="has 2 inputs; pass a list of 2 arrays"):
        model.predict(X, verbose=0)


def test_the_config_rebuilds_the_graph_and_a_saved_model_predicts_the_same(tmp_path):
    model = residual()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(X, Y, epochs=2, verbose=0)
    rebuilt = Model.from_config(model.get_config())
    assert [l.name for l in rebuilt.layers] == [l.name for l in model.layers]
    model.save(tmp_path / "residual.npz")
    loaded = load_model(tmp_path / "residual.npz")
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    assert loaded.optimizer.iterations == model.optimizer.iterations
    assert loaded.evaluate(X, Y, verbose=0) == model.evaluate(X, Y, verbose=0)


def test_clone_model_has_the_architecture_and_new_weights():
    model = residual(seed=3)
    clone = clone_model(model)
    assert [type(l) for l in clone.layers] == [type(l) for l in model.layers]
    assert not np.array_equal(clone.get_weights()[0], model.get_weights()[0])
    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(clone.predict(X, verbose=0), model.predict(X, verbose=0))


def test_frozen_layers_never_move_and_count_as_non_trainable():
    model = Sequential([layers.Input((6,)), layers.Dense(5, activation="relu", name="base"),
                        layers.BatchNormalization(), layers.Dense(3, activation="softmax")], seed=0)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(X, Y, epochs=1, verbose=0)
    model.get_layer("base").trainable = False
    frozen = model.get_layer("base").get_weights()
    head = model.layers[-1].get_weights()
    model.fit(X, Y, epochs=2, verbose=0)
    for a, b in zip(frozen, model.get_layer("base").get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(head[0], model.layers[-1].get_weights()[0])   # the rest still learns
    text = summary_table(model)
    assert f"Non-trainable params: {35 + 10}" in text      # base 6*5+5 and batch norm's statistics
    model.trainable = False
    assert model.trainable_weights == []


def test_a_gan_the_keras_2_way_a_compiled_discriminator_frozen_inside_the_combined_model():
    """The classic GAN loop: the discriminator is compiled, then frozen and called in the
    combined model, which is compiled too. The combined model's loss was 0.0 and its
    metrics_names ['loss', 'loss']: it listed the discriminator's own loss tracker as one of
    its metrics (Keras 3 skips a compiled model's inside another). Training a model whose
    weights are all frozen leaves it as it is, and says so, as Keras 3 does."""
    generator = Sequential([layers.Input((4,)), layers.Dense(6)], name="generator", seed=0)
    discriminator = Sequential([layers.Input((6,)), layers.Dense(1, activation="sigmoid")],
                               name="discriminator", seed=1)
    discriminator.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    discriminator.trainable = False
    z = keras.Input((4,))
    combined = Model(z, discriminator(generator(z)))
    combined.compile("adam", "binary_crossentropy")
    noise, real = X[:16, :4], np.ones((16, 1), np.float32)

    expected = keras.losses.binary_crossentropy(real, combined.predict(noise, verbose=0)).mean()
    loss = combined.train_on_batch(noise, real)
    assert combined.metrics_names == ["loss"] and isinstance(loss, float)
    assert loss == pytest.approx(float(expected), rel=1e-5)          # before the step, as Keras reports it
    assert combined.evaluate(noise, real, verbose=0) > 0.1

    before = discriminator.get_weights()
    with pytest.warns(UserWarning, match="does not have any trainable weights: 'discriminator'"):
        discriminator.train_on_batch(noise @ np.ones((4, 6), np.float32), real)
    for a, b in zip(before, discriminator.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_get_weights_is_in_keras_order_and_set_weights_checks():
    model = Sequential([layers.Input((6,)), layers.Dense(4), layers.BatchNormalization(),
                        layers.Dense(2)])
    assert [w.shape for w in model.get_weights()] == [(6, 4), (4,), (4,), (4,), (4,), (4,), (4, 2), (2,)]
    with pytest.raises(ValueError, match="set_weights got 2 arrays but the weights are 8"):
        model.set_weights(model.get_weights()[:2])
    bad = model.get_weights()
    bad[0] = np.zeros((4, 6))
    with pytest.raises(ValueError, match=r"array 0 has shape \(4, 6\), expected \(6, 4\)"):
        model.set_weights(bad)


def test_graph_mistakes_get_clear_errors():
    a, b = keras.Input((6,)), keras.Input((6,))
    with pytest.raises(ValueError, match="graph disconnected: .* not among the model's inputs"):
        Model(a, layers.Add()([a, b]))
    with pytest.raises(ShapeError, match=r"Conv2D\) needs images .* got \('batch', 6\)"):
        layers.Conv2D(3, 3)(a)
    assert layers.Dense(3)(keras.Input((4, 4))).shape == (None, 4, 3)     # Keras: on the last axis
    with pytest.raises(ShapeError, match="needs inputs of one shape"):
        layers.Add()([a, keras.Input((5,))])
    dense = layers.Dense(3)
    dense(a)
    with pytest.raises(ShapeError, match=r"was built for inputs of shape \(None, 6\) but is called on \(None, 5\)"):
        dense(keras.Input((5,)))
    block = keras.Sequential([layers.Dense(2)])
    block(np.zeros((1, 6)))                                   # a model's input_shape has its batch axis
    with pytest.raises(ShapeError, match=r"shape \(None, 6\) but is called on \(None, 5\)"):
        block(keras.Input((5,)))
    with pytest.raises(TypeError, match="placeholder in a Functional model and has no values"):
        np.asarray(a)


def test_input_layer_first_in_a_sequential_and_layers_without_it():
    model = Sequential([keras.Input(shape=(6,)), layers.Dense(3)])
    assert model.built and model.input_shape == (None, 6)
    assert not any(isinstance(l, InputLayer) for l in model.layers)
    later = Sequential([layers.Dense(3)])
    assert not later.built
    later.predict(X, verbose=0)          # built on its first data, as in Keras
    assert later.input_shape == (None, 6)


def test_fit_takes_weights_generators_sequences_and_steps():
    model = Sequential([layers.Input((6,)), layers.Dense(3, activation="softmax")], seed=0)
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(X, Y, class_weight={0: 1.0, 1: 2.0, 2: 5.0}, sample_weight=np.ones(48), epochs=1, verbose=0)

    def batches():
        while True:
            for i in range(0, 48, 16):
                yield X[i:i + 16], Y[i:i + 16]

    history = model.fit(batches(), steps_per_epoch=3, epochs=2, verbose=0,
                        validation_data=batches(), validation_steps=2)
    assert len(history.history["val_loss"]) == 2
    with pytest.raises(ValueError, match="steps_per_epoch"):
        model.fit(batches(), epochs=1, verbose=0)

    class Data(keras.utils.Sequence if hasattr(keras, "utils") else object):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return X[i * 16:(i + 1) * 16], Y[i * 16:(i + 1) * 16]

    history = model.fit(Data(), epochs=1, verbose=0)
    assert model.evaluate(Data(), verbose=0, return_dict=True).keys() == {"loss", "accuracy"}


def test_keras_epoch_semantics_and_evaluate_forms():
    model = Sequential([layers.Input((6,)), layers.Dense(3, activation="softmax")], seed=0)
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["acc"])
    first = model.fit(X, Y, epochs=2, verbose=0)
    second = model.fit(X, Y, epochs=2, verbose=0)       # two more, counted 0, 1 again
    assert first.epoch == second.epoch == [0, 1] and model.epoch == 2
    assert len(model.training_log) == 4 and sorted(second.history) == ["acc", "loss"]
    third = model.fit(X, Y, initial_epoch=2, epochs=3, verbose=0)
    assert third.epoch == [2]
    assert isinstance(model.evaluate(X, Y, verbose=0), list)
    assert set(model.evaluate(X, Y, verbose=0, return_dict=True)) == {"loss", "acc"}
    model.compile("sgd", "sparse_categorical_crossentropy")
    assert isinstance(model.evaluate(X, Y, verbose=0), float)
    with pytest.raises(ValueError, match="epochs must be a whole number"):
        model.fit(X, Y, epochs=2.5, verbose=0)
    with pytest.raises(DataError, match="single number 3"):
        model.fit(X, y=3, verbose=0)
    with pytest.raises(DataError, match="no samples"):
        model.fit(X[:0], Y[:0], verbose=0)
    with pytest.raises(ValueError, match="batch_size must be a positive whole number, got -1"):
        model.predict(X, batch_size=-1)


def test_train_on_batch_and_input_gradient():
    model = residual()
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    loss, accuracy = model.train_on_batch(X[:8], Y[:8])
    assert np.isfinite(loss) and 0 <= accuracy <= 1
    onehot = np.eye(3, dtype=np.float32)[Y[:4]]
    grad = model.input_gradient(X[:4], onehot)
    assert grad.shape == (4, 6)
    # Finite differences of the chosen class's logit, for one input number.
    eps, i, j = 1e-2, 1, 2

    def logit(x):
        outputs = dict((l.name, o) for l, o in model.layer_outputs(x))
        last = model.layers[-1]
        return x.dtype.type(0) + (outputs["add"] @ last.params["kernel"] + last.params["bias"])[i, Y[i]]

    plus, minus = X[:4].copy(), X[:4].copy()
    plus[i, j] += eps
    minus[i, j] -= eps
    assert grad[i, j] == pytest.approx((logit(plus) - logit(minus)) / (2 * eps), rel=2e-2, abs=1e-4)


def test_a_frozen_batch_norm_runs_in_inference_mode_and_its_statistics_stay():
    model = Sequential([layers.Input((6,)), layers.Dense(4), layers.BatchNormalization(name="bn"),
                        layers.Dense(3, activation="softmax")], seed=0)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(X, Y, epochs=1, verbose=0)
    bn = model.get_layer("bn")
    bn.trainable = False
    before = [w.copy() for w in bn.get_weights()]
    model.fit(X, Y, epochs=2, verbose=0)
    for a, b in zip(before, bn.get_weights()):    # gamma, beta and the moving statistics
        np.testing.assert_array_equal(a, b)
    x = X[:5]
    np.testing.assert_allclose(bn.forward(model.layers[0].forward(x), training=True),
                               bn.forward(model.layers[0].forward(x), training=False))


def test_a_nested_models_weight_penalty_counts_once():
    from glassnet.regularizers import l2
    inner = Sequential([layers.Input((6,)), layers.Dense(4, kernel_regularizer=l2(0.1))], seed=0)
    outer = Sequential([inner, layers.Dense(3)])
    kernel = inner.layers[0].params["kernel"]
    assert outer.regularization_loss() == pytest.approx(0.1 * float((kernel ** 2).sum()), rel=1e-6)


def test_no_metrics_with_validation_data_logs_the_two_losses():
    model = Sequential([layers.Input((6,)), layers.Dense(3, activation="softmax")], seed=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(X, Y, validation_data=(X[:10], Y[:10]), epochs=2, verbose=0)
    assert sorted(history.history) == ["loss", "val_loss"]


def test_wrapped_recurrent_layers_train_and_save(tmp_path):
    """Bidirectional and TimeDistributed keep their weights in their inner layers: the model
    finds them there to train, save and load them."""
    seqs = RNG.standard_normal((16, 5, 3)).astype(np.float32)
    labels = (seqs.sum(axis=(1, 2)) > 0).astype(int)
    model = Sequential([layers.Input((5, 3)), layers.Bidirectional(layers.LSTM(4, return_sequences=True)),
                        layers.TimeDistributed(layers.Dense(2)), layers.Flatten(),
                        layers.Dense(2, activation="softmax")], seed=0)
    model.compile("adam", "sparse_categorical_crossentropy")
    before = model.get_weights()
    assert len(before) == 3 + 3 + 2 + 2                # two LSTMs, the wrapped Dense, the head
    model.fit(seqs, labels, epochs=2, batch_size=8, verbose=0)
    assert all(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    model.save(tmp_path / "rnn.npz")
    loaded = load_model(tmp_path / "rnn.npz")
    np.testing.assert_array_equal(loaded.predict(seqs, verbose=0), model.predict(seqs, verbose=0))


def test_summary_expands_nested_models_and_refuses_what_it_cannot_do():
    inner = Sequential([layers.Input((6,)), layers.Dense(4, name="hidden")], name="base")
    model = Sequential([inner, layers.Dense(2)])
    text = summary_table(model, expand_nested=True)
    assert "└ hidden (Dense)" in text and "base (Sequential)" in text         # Keras's mark
    assert "hidden" not in summary_table(model)
    with pytest.raises(ValueError, match="layer_range is not supported"):
        model.summary(layer_range=("base", "dense"))


def test_models_named_by_default_get_unique_names_in_a_model_that_holds_several():
    """keras.io's Functional API guide ensembles three models made by one function. The
    names are Keras 3.15's, counted across the session: each Sequential built on its input
    counts a Functional of its own, as Keras builds one inside (so the ensemble is
    ``functional_4``), and a layer named ``functional`` doesn't rename a model."""
    def get_model():
        inputs = keras.Input(shape=(8,))
        return keras.Model(inputs, layers.Dense(1)(inputs))

    inputs = keras.Input(shape=(8,))
    members = [get_model(), get_model(), keras.Sequential([layers.Dense(1)]), keras.Sequential([layers.Dense(1)])]
    ensemble = keras.Model(inputs, layers.average([member(inputs) for member in members]))
    assert [m.name for m in members] == ["functional", "functional_1", "sequential", "sequential_1"]
    assert ensemble.name == "functional_4"
    assert ensemble.predict(np.ones((2, 8)), verbose=0).shape == (2, 1)
    named = keras.Model(inputs, layers.Dense(1, name="functional")(get_model()(inputs)))
    assert [l.name for l in named.layers][1:] == ["functional_5", "functional"]
    assert named.name == "functional_6"
    with pytest.raises(ValueError, match="both named 'head'"):
        keras.Model(inputs, layers.add([layers.Dense(1, name="head")(inputs), layers.Dense(1, name="head")(inputs)]))


def test_every_layer_has_keras_input_and_output_to_build_a_feature_extractor():
    """Keras's ``Model(model.inputs, [layer.output for layer in model.layers])``: every layer's
    output of one picture, as the books show what a CNN sees."""
    model = Sequential([keras.Input((8, 8, 1)), layers.Conv2D(2, 3, activation="relu"), layers.MaxPooling2D(),
                        layers.Flatten(), layers.Dense(3, activation="softmax")], seed=0)
    extractor = Model(inputs=model.inputs, outputs=[layer.output for layer in model.layers])
    x = np.random.default_rng(0).random((2, 8, 8, 1)).astype(np.float32)
    outputs = extractor.predict(x, verbose=0)
    assert [o.shape for o in outputs] == [(2, 6, 6, 2), (2, 3, 3, 2), (2, 18), (2, 3)]
    np.testing.assert_allclose(outputs[-1], model.predict(x, verbose=0), rtol=1e-6)
    assert model.layers[1].input is model.layers[0].output
    inputs = keras.Input((4,))
    shared, add = layers.Dense(3), layers.Add()
    Model(inputs, add([shared(inputs), shared(inputs)]))
    assert add.input == [shared.nodes[0].outputs[0], shared.nodes[1].outputs[0]]
    assert shared.output is shared.nodes[0].outputs[0]            # the first call's, as in Keras 3
    with pytest.raises(AttributeError, match="'lonely' has never been called in a model"):
        layers.Dense(2, name="lonely").output


def test_model_losses_are_the_weight_penalties_keras_lists():
    model = Sequential([keras.Input((4,)), layers.Dense(3, kernel_regularizer=keras.regularizers.l2(0.01)),
                        layers.Dense(2, kernel_regularizer="l1", bias_regularizer="l2")], seed=0)
    kernel, second = model.layers[0].params["kernel"], model.layers[1].params["kernel"]
    expected = [0.01 * np.sum(kernel ** 2), 0.01 * np.sum(np.abs(second)), 0.0]   # the bias starts at zero
    np.testing.assert_allclose([float(v) for v in model.losses], expected, rtol=1e-6)
    assert [float(v) for v in model.layers[0].losses] == [float(model.losses[0])]
    assert float(sum(model.losses)) == pytest.approx(model.regularization_loss(), rel=1e-6)
    assert layers.Dense(2).losses == [] and Sequential([keras.Input((4,)), layers.Dense(2)]).losses == []


def test_model_losses_add_what_the_last_call_added_and_sum_to_what_training_adds():
    """Keras 3 lists an activity penalty (``l1(output) / batch``) after a call, and the terms
    of ``self.add_loss``; the data's loss plus their sum is the loss evaluate reports."""
    model = Sequential([keras.Input((6,)), layers.Dense(4, activation="relu", kernel_regularizer=keras.regularizers.l2(0.01),
                                                        activity_regularizer=keras.regularizers.l1(0.1)),
                        layers.Dense(2)], seed=0)
    model.compile("sgd", "mse")
    assert len(model.losses) == 1                       # nothing called yet: the weight penalty only
    x, y = np.random.default_rng(0).random((16, 6)).astype(np.float32), np.zeros((16, 2), np.float32)
    hidden = np.maximum(x @ model.layers[0].params["kernel"] + model.layers[0].params["bias"], 0)
    model(x)
    assert len(model.losses) == 2 and float(model.losses[1]) == pytest.approx(0.1 * np.abs(hidden).sum() / 16, rel=1e-5)
    data = float(np.mean((model.predict(x, verbose=0) - y) ** 2))
    assert model.evaluate(x, y, verbose=0) == pytest.approx(data + float(sum(model.losses)), rel=1e-6)


def test_inputs_keras_takes_a_dict_for_one_input_a_spare_last_axis_and_an_empty_batch():
    inputs = keras.Input((6,), name="pixels")
    model = Model(inputs, layers.Dense(3, activation="softmax")(inputs), seed=0)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = np.random.default_rng(0).random((8, 6)).astype(np.float32), np.arange(8) % 3
    model.fit({"pixels": x}, y, epochs=1, verbose=0)               # the one input, by its name
    np.testing.assert_array_equal(model.predict({"pixels": x}, verbose=0), model.predict(x, verbose=0))
    images = Sequential([keras.Input((3, 2)), layers.Flatten(), layers.Dense(2)], seed=0)
    # (N, 3, 2, 1) for a (3, 2) model loses its last axis, as (N, 3, 2) for (3, 2, 1) gains one
    np.testing.assert_array_equal(images.predict(x.reshape(8, 3, 2, 1), verbose=0),
                                  images.predict(x.reshape(8, 3, 2), verbose=0))
    for empty in (np.zeros((0, 6), np.float32), {"pixels": np.zeros((0, 6), np.float32)}):
        assert model.predict(empty, verbose=0).shape == (0, 3)
        assert model.predict_on_batch(empty).shape == (0, 3) and np.shape(model(empty)) == (0, 3)
    with pytest.raises(DataError, match="train_on_batch: x has no samples"):
        model.train_on_batch(np.zeros((0, 6)), np.zeros(0))


def test_a_generator_batch_with_nan_is_named_not_blamed_on_the_learning_rate():
    model = Sequential([keras.Input((4,)), layers.Dense(3, activation="softmax")], seed=0)
    model.compile("adam", "sparse_categorical_crossentropy")

    def batches():
        x = np.ones((8, 4), np.float32)
        yield x, np.arange(8) % 3
        x = x.copy()
        x[2, 1] = np.nan
        yield x, np.arange(8) % 3

    with pytest.raises(DataError, match="fit x: batch 2 contains NaN or infinite values"):
        model.fit(batches(), steps_per_epoch=2, verbose=0)


def test_merges_broadcast_as_keras_3s_do():
    """A squeeze-and-excitation block multiplies an image (N, 6, 6, 4) by weights per channel
    (N, 1, 1, 4); a sample with fewer axes lines up from the right; a repeated input gets the
    sum of its copies' gradients."""
    from glassnet.engine.layers import Add, Dense, GlobalAveragePooling2D, Input, Maximum, Multiply
    image = Input((6, 6, 4))
    weights = Dense(4, activation="sigmoid")(GlobalAveragePooling2D(keepdims=True)(image))   # (1, 1, 4)
    model = Model(image, Multiply()([image, weights]))
    assert model.output_shape == (None, 6, 6, 4)
    x = np.random.default_rng(0).standard_normal((2, 6, 6, 4)).astype(np.float32)
    squeezed = model.layers[2](model.layers[1](x))
    np.testing.assert_allclose(model.predict(x, verbose=0), x * squeezed, rtol=1e-6)
    add = Add()
    a, b = np.ones((2, 3, 2)), np.arange(4.0).reshape(2, 2)
    np.testing.assert_array_equal(add([a, b]), a + b[:, None, :])          # (N, 2) lined up as (N, 1, 2)
    da, db = add.backward(np.ones((2, 3, 2)))
    assert da.shape == (2, 3, 2) and db.shape == (2, 2) and (db == 3).all()  # used three times each
    with pytest.raises(ShapeError, match=r"needs inputs of one shape \(or shapes that broadcast.*\(None, 3\), "
                                         r"\(None, 4\)"):
        Maximum()([Input((3,)), Input((4,))])


@pytest.mark.parametrize("filename", ["m.keras", "m.npz"])
def test_a_layer_without_weights_is_shared_between_tensors_of_different_shapes(tmp_path, filename):
    """``relu = layers.ReLU()`` used on a vector and on a sequence, as Keras allows (it was
    refused: 'built for inputs of shape (None, 3)'); a layer with weights still may not."""
    relu, drop = layers.ReLU(), layers.Dropout(0.5)
    a, b = keras.Input((3,)), keras.Input((5, 2))
    model = Model([a, b], [drop(relu(a)), layers.Flatten()(drop(relu(b)))], seed=0)
    x = [np.linspace(-1, 1, 6).reshape(2, 3), np.linspace(-1, 1, 20).reshape(2, 5, 2)]
    y = model.predict(x, verbose=0)
    np.testing.assert_allclose(y[0], np.maximum(x[0], 0))
    np.testing.assert_allclose(y[1], np.maximum(x[1], 0).reshape(2, 10))
    model.compile("sgd", ["mse", "mse"])
    model.fit(x, [np.ones((2, 3)), np.ones((2, 10))], verbose=0)
    model.save(tmp_path / filename)
    for u, v in zip(load_model(tmp_path / filename).predict(x, verbose=0), y):
        np.testing.assert_allclose(u, v)
    dense = layers.Dense(2)
    dense(a)
    with pytest.raises(ShapeError, match=r"was built for inputs of shape \(None, 3\) but is called on \(None, 5, 2\)"):
        dense(b)


def test_the_summary_names_a_nested_model_functional_and_marks_weightless_layers_with_a_dash():
    """As Keras 3's summary does: ``functional (Functional)``, and the Trainable column says
    Y or N for a layer with weights and "-" for one without."""
    import glassnet as keras
    inner_input = keras.Input((4,))
    inner = keras.Model(inner_input, keras.layers.Dense(3)(inner_input), name="encoder")
    x = keras.Input((4,))
    model = keras.Model(x, keras.layers.Dense(2, trainable=False)(keras.layers.Dropout(0.1)(inner(x))))
    text = summary_table(model, show_trainable=True)
    rows = {cells[0].split()[0]: " ".join(cells).split() for cells in read_rows(text)[1:]}
    assert rows["encoder"][1] == "(Functional)" and rows["encoder"][-1] == "Y"
    assert rows["dropout"][-1] == "-" and rows["dense_1"][-1] == "N"    # Keras's name: "dense" is the encoder's


def test_an_inputs_batch_size_shows_in_the_shapes_and_travels_in_keras_files(tmp_path):
    """Input(batch_shape=(16, 5)) or Input(shape, batch_size=16): Keras shows the 16 in every
    shape computed from it; the model still takes any batch size."""
    inputs = keras.Input(batch_shape=(16, 5))
    model = Model(inputs, layers.Dense(3)(layers.Dense(4)(inputs)))
    assert model.input_shape == (16, 5) and model.output_shape == (16, 3)
    assert model.predict(np.zeros((3, 5), np.float32), verbose=0).shape == (3, 3)
    model.save(tmp_path / "m.keras")
    again = load_model(tmp_path / "m.keras")
    assert again.input_shape == (16, 5) and again.output_shape == (16, 3)
    assert keras.Input((5,), batch_size=4).shape == (4, 5)
    unbuilt = Sequential([layers.Dense(2, name="head")])         # its graph_layers before any graph
    assert [layer.name for layer in unbuilt.graph_layers] == ["head"] and unbuilt.get_layer("head")
    stack = Sequential([keras.Input(batch_shape=(8, 5)), layers.Dense(2)])
    assert stack.output_shape == (8, 2)
    for name in ("s.keras", "s.npz"):
        stack.save(tmp_path / name)
        assert load_model(tmp_path / name).output_shape == (8, 2), name
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="batch size must be a positive whole number"):
            keras.Input((5,), batch_size=bad)


def test_model_layers_are_in_keras_order_deepest_first_outputs_last():
    """Keras 3 lists a graph's layers by depth from the outputs (Keras's map_graph), so an
    output that branches off early comes last, after the branch that goes on: its
    get_weights() order and summary rows are Keras's. glassnet listed out1 after h."""
    x = keras.Input((4,), name="x")
    h = layers.Dense(8, name="h")(x)
    out1 = layers.Dense(2, name="out1")(h)
    a = layers.Dense(3, name="a")(h)
    s = layers.Add(name="add")([a, layers.Dense(3, name="b")(a)])
    model = Model(x, [out1, layers.Dense(1, name="out2")(s)])
    assert [layer.name for layer in model.layers] == ["x", "h", "a", "b", "add", "out1", "out2"]
    assert [w.shape for w in model.get_weights()][-4:] == [(8, 2), (2,), (3, 1), (1,)]
    # A plain chain, a shared layer and inputs met in order are listed as before.
    i1, i2 = keras.Input((4,), name="i1"), keras.Input((4,), name="i2")
    shared = layers.Dense(5, name="shared")
    d = layers.Dense(5, name="d")(layers.Concatenate(name="cat")([shared(i1), shared(i2)]))
    both = Model([i1, i2], layers.Dense(1, name="y")(layers.Add(name="skip")([d, shared(i1)])))
    assert [layer.name for layer in both.layers] == ["i1", "i2", "shared", "cat", "d", "skip", "y"]


def test_a_model_can_start_from_a_placeholder_computed_on_the_way():
    """Keras 3 (keras.io's FeatureSpace tutorial): ``Model(hidden, outputs)`` cuts the graph at a
    fresh Input where ``hidden`` is; the layers after it are shared with the whole model, and a
    disconnected output is still refused."""
    inputs = keras.Input((4,))
    hidden = layers.Dense(3, activation="relu")(inputs)
    tail = layers.Dense(2)
    outputs = tail(layers.Dropout(0.5)(hidden))
    whole, head = Model(inputs, outputs), Model(hidden, outputs)
    assert isinstance(head.inputs[0].node.layer, InputLayer) and head.inputs[0].shape == (None, 3)
    assert [type(layer).__name__ for layer in head.layers] == ["InputLayer", "Dropout", "Dense"]
    assert head.layers[-1] is tail and len(whole.layers) == 4     # the whole model keeps its own graph
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    h = whole.layers[1](x)
    np.testing.assert_allclose(head.predict(h, verbose=0), whole.predict(x, verbose=0), rtol=1e-6)
    with pytest.raises(ValueError, match="graph disconnected"):
        Model(hidden, layers.Add()([outputs, layers.Dense(2)(keras.Input((4,)))]))
