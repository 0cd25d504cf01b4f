"""Sequential: the Keras workflow, determinism, and clear errors."""

import numpy as np
import pytest

from glassnet import Sequential
from glassnet.callbacks import Callback
from glassnet.errors import DataError, ShapeError, TrainingError
from glassnet.layers import Dense, Dropout, Flatten, Softmax
from glassnet.optimizers import SGD
from glassnet.engine.summary import summary_table


def toy_digits(n=240, seed=0):
    """Tiny 'images' whose class is decided by which quadrant is brightest: learnable fast."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, 8, 8)) * 0.3
    y = rng.integers(0, 4, n)
    for k in range(4):
        r, c = divmod(k, 2)
        x[y == k, 4 * r:4 * r + 4, 4 * c:4 * c + 4] += 0.7
    return x, y


def classic(seed=0, input_shape=(8, 8)):
    return Sequential([
        Flatten(input_shape=input_shape),
        Dense(16, activation="relu"), Dropout(0.2),
        Dense(8, activation="relu"), Dropout(0.2),
        Dense(4, activation="softmax"),
    ], seed=seed)


def test_the_keras_tutorial_code_runs_unchanged():
    """The issue's Keras example, with only the import changed (on MNIST-shaped noise)."""
    from glassnet import Sequential
    from glassnet.layers import Dense, Dropout, Flatten
    rng = np.random.default_rng(0)
    x_train, y_train = rng.random((100, 28, 28)), rng.integers(0, 10, 100)
    x_test, y_test = rng.random((20, 28, 28)), rng.integers(0, 10, 20)
    model = Sequential([
        Flatten(input_shape=(28, 28)),
        Dense(128, activation="relu"), Dropout(0.2),
        Dense(64, activation="relu"), Dropout(0.2),
        Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=2, batch_size=32, validation_split=0.2, verbose=0)
    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
    assert set(history.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(history.history["loss"]) == 2
    assert np.isfinite(test_loss) and 0 <= test_acc <= 1
    assert model.count_params() == 109_386


def test_summary_lists_shapes_and_the_classic_parameter_count():
    model = Sequential([Flatten(input_shape=(28, 28)), Dense(128, activation="relu"), Dropout(0.2),
                        Dense(64, activation="relu"), Dropout(0.2), Dense(10, activation="softmax")])
    text = summary_table(model)
    assert "dense_1 (Dense)" in text and "(None, 784)" in text and "(None, 64)" in text
    assert "Total params: 109,386" in text and "Non-trainable params: 0" in text
    printed = []
    assert model.summary(print_fn=printed.append) is None       # as Keras: a notebook shows it once
    assert printed == [text + "\n"]                             # the whole text, as Keras hands it


def test_it_learns():
    x, y = toy_digits()
    model = classic()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=15, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0] / 3
    assert model.evaluate(x, y, verbose=0)[1] > 0.95
    probabilities = model.predict(x[:5])
    assert probabilities.shape == (5, 4) and probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)


def test_same_seed_same_weights_and_history_bit_for_bit():
    x, y = toy_digits()
    runs = []
    for _ in range(2):
        model = classic(seed=7)
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0)
        runs.append((model.weights[0].copy(), history.history))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert {k: v for k, v in runs[0][1].items() if k != "seconds"} == \
           {k: v for k, v in runs[1][1].items() if k != "seconds"}
    other = classic(seed=8)
    other.build()
    assert not np.array_equal(other.weights[0], classic(seed=7).build() or runs[0][0])


def test_a_new_order_every_epoch():
    seen = []

    class Spy(Callback):
        def on_batch_begin(self, batch, logs=None):
            pass

    x = np.arange(8, dtype=np.float32).reshape(8, 1)
    y = np.zeros(8, int)
    model = Sequential([Dense(2, activation="softmax", input_shape=(1,))], seed=0)
    model.compile(SGD(0.01), "sparse_categorical_crossentropy")
    original = model.train_step
    model.train_step = lambda xb, yb, wb: (seen.append(xb[:, 0].tolist()), original(xb, yb, wb))[1]
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[Spy()])
    assert sorted(seen[0]) == sorted(seen[1]) == list(range(8))
    assert seen[0] != seen[1]


def test_fused_softmax_loss_matches_the_plain_chain():
    """compile() fuses a final softmax with cross-entropy; the numbers must not change."""
    x, y = toy_digits(64)
    fused = classic(seed=3)
    fused.compile(SGD(0.1), "sparse_categorical_crossentropy", metrics=["accuracy"])
    assert fused._fused is fused.layers[-1].activation and fused._fused.fused_with_loss
    plain = classic(seed=3)
    plain.compile(SGD(0.1), "mse")  # any loss that is not cross-entropy: no fusion
    assert plain._fused is None and not plain.layers[-1].activation.fused_with_loss
    p = fused.predict(x)
    loss = fused.evaluate(x, y, verbose=0)[0]
    expected = -np.mean(np.log(p[np.arange(len(y)), y]))
    assert loss == pytest.approx(expected, rel=1e-4)


def test_validation_data_and_history():
    x, y = toy_digits()
    model = classic()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x[:200], y[:200], epochs=2, validation_data=(x[200:], y[200:]), verbose=0)
    assert len(history.history["val_accuracy"]) == 2 and history.epoch == [0, 1]
    assert model.history is history
    # Keras 2's imdb examples pass a list, which Keras unpacks as (x, y) too
    listed = model.fit(x[:200], y[:200], epochs=1, validation_data=[x[200:], y[200:]], verbose=0)
    assert listed.history["val_loss"] == pytest.approx([model.evaluate(x[200:], y[200:], verbose=0)[0]])


def test_verbose_output_is_keras_like(capsys):
    x, y = toy_digits(64)
    model = classic()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=16, validation_split=0.25, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert "3/3 ━━━━━━━━━━━━━━━━━━━━ " in out and "- loss: " in out and "- val_accuracy: " in out


def test_wrong_input_shape_names_model_layer_and_shapes():
    model = classic()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    with pytest.raises(ShapeError, match=r"model 'sequential' expects input of shape \(None, 8, 8\) but got "
                                         r"\(10, 64\); each sample holds the right 64 numbers: reshape"):
        model.fit(np.zeros((10, 64)), np.zeros(10), verbose=0)
    with pytest.raises(ShapeError, match=r"got \(64, 10\): one column per image\? pass x.T"):
        model.fit(np.zeros((64, 10)), np.zeros(10), verbose=0)
    with pytest.raises(ShapeError, match=r"expects input of shape"):
        model.predict(np.zeros((3, 9, 9)))


def test_nan_in_data_is_refused():
    x, y = toy_digits(32)
    x[3, 2, 2] = np.nan
    model = classic()
    model.compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(DataError, match="NaN"):
        model.fit(x, y, verbose=0)


def test_a_table_of_numbers_and_bools_is_numbers():
    """pd.get_dummies adds bool columns, so a data frame of the regression tutorial becomes an
    object array (floats and bools); it is numbers, as TensorFlow takes it. Other objects are not."""
    model = Sequential([Dense(1, input_shape=(3,), kernel_initializer="ones")], seed=0)
    table = np.array([[1.5, True, False], [2.0, False, True]], dtype=object)
    np.testing.assert_allclose(model.predict(table, verbose=0), [[2.5], [3.0]])
    with pytest.raises(DataError, match="expected numbers, got an array of dtype object"):
        model.predict(np.array([[1.5, None, 0.0]], dtype=object), verbose=0)


def test_compiled_before_its_input_shape_is_known():
    """Chollet's book: ``Sequential([Dense(16, "relu"), Dense(1, "sigmoid")])`` compiled before
    ``fit`` gives it the input shape. compile raised AttributeError (no 'outputs')."""
    x, y = toy_digits(64)
    model = Sequential([Flatten(), Dense(16, activation="relu"), Dense(1, activation="sigmoid")], seed=0)
    model.compile("rmsprop", "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, (y == 0).astype(float), epochs=2, verbose=0)
    assert model.built and sorted(history.history) == ["accuracy", "loss"]
    assert model._fused is model.layers[-1].activation      # the loss is fused once the model is built


def test_nan_in_targets_or_sample_weights_is_a_data_error_not_a_learning_rate_problem():
    """A NaN target used to surface as a NaN loss blamed on the learning rate (fit), or as
    ``nan`` quietly returned (evaluate, validation)."""
    x, y = toy_digits(32)
    model = Sequential([Flatten(input_shape=(8, 8)), Dense(1)], seed=0)
    model.compile("adam", "mse")
    bad = y.astype(float)
    bad[5] = np.nan
    with pytest.raises(DataError, match=r"^y: contains NaN or infinite values$"):
        model.fit(x, bad, verbose=0)
    with pytest.raises(DataError, match=r"^evaluate y: contains NaN"):
        model.evaluate(x, bad, verbose=0)
    with pytest.raises(DataError, match=r"^validation_data y: contains NaN"):
        model.fit(x, y, validation_data=(x, bad), verbose=0)
    with pytest.raises(DataError, match=r"^y: contains NaN"):
        model.train_on_batch(x, np.where(np.isnan(bad), np.inf, bad))
    weights = np.ones(32)
    weights[0] = np.nan
    with pytest.raises(DataError, match=r"^sample_weight: contains NaN"):
        model.fit(x, y, sample_weight=weights, verbose=0)
    with pytest.raises(DataError, match=r"^evaluate sample_weight: contains NaN"):
        model.evaluate(x, y, sample_weight=weights, verbose=0)


def test_batch_size_zero_is_refused_not_taken_for_the_default():
    x, y = toy_digits(32)
    model = classic()
    model.compile("adam", "sparse_categorical_crossentropy")
    for call in (lambda: model.fit(x, y, batch_size=0, verbose=0),
                 lambda: model.fit(x, y, validation_data=(x, y), validation_batch_size=0, verbose=0),
                 lambda: model.evaluate(x, y, batch_size=0, verbose=0),
                 lambda: model.predict(x, batch_size=0, verbose=0)):
        with pytest.raises(ValueError, match="batch_size must be a positive whole number, got 0"):
            call()


def test_class_weight_keys_that_are_not_class_numbers():
    x, y = toy_digits(32)
    model = classic()
    model.compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"class_weight: keys must be class indices \(0, 1, \.\.\.\), got '0'"):
        model.fit(x, y, class_weight={"0": 2.0}, verbose=0)


def test_label_count_mismatch():
    x, y = toy_digits(32)
    model = classic()
    model.compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(ShapeError, match="32 samples but y has 31 labels"):
        model.fit(x, y[:31], verbose=0)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_nan_loss_stops_with_a_message_and_keeps_the_last_good_weights():
    x, y = toy_digits(64)
    model = Sequential([Flatten(input_shape=(8, 8)), Dense(8, activation="relu"), Dense(4)], seed=0)
    model.compile(SGD(1e6), "mse")
    with pytest.raises(TrainingError, match=r"loss became (nan|inf) at epoch 1, batch \d+ .*lower learning rate"):
        model.fit(x * 1e3, y, epochs=3, batch_size=8, verbose=0)
    assert all(np.isfinite(w).all() for w in model.get_weights())


def test_predict_in_batches_gives_the_same_answer():
    x, y = toy_digits(50)
    model = classic()
    model.build()
    np.testing.assert_allclose(model.predict(x, batch_size=7), model.predict(x), rtol=1e-6)


def test_standalone_softmax_layer_is_fused_too():
    model = Sequential([Flatten(input_shape=(8, 8)), Dense(4), Softmax()], seed=0)
    model.compile("sgd", "categorical_crossentropy", metrics=["accuracy"])
    x, y = toy_digits(32)
    model.fit(x, np.eye(4)[y], epochs=1, verbose=0)
    assert model._fused is model.layers[-1]


def test_mistakes_in_the_workflow():
    model = classic()
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(*toy_digits(8), verbose=0)
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        model.compile("adam", "mse", metrics=["f1"])
    with pytest.raises(TypeError, match="expects a layer"):
        model.add("dense")
    with pytest.raises(ShapeError, match="input_shape"):
        Sequential([Dense(3)]).build()


def test_the_on_batch_calls_hold_blas_at_one_thread_as_fit_does(monkeypatch, numpy_blas_threads):
    """A loop of ``train_on_batch`` calls (the line reader's training) used to run each step
    with BLAS on every core: its idle threads spun between the layers' multiplies and fought
    the layers' own threads, and the process writing the next epoch's numbers, for the cores."""
    from threadpoolctl import threadpool_limits

    from glassnet.engine.layers import chunks

    blas_threads = numpy_blas_threads

    x, y = toy_digits(16)
    model = Sequential([Flatten(input_shape=(8, 8)), Dense(3, activation="softmax")], seed=0)
    model.compile("adam", "sparse_categorical_crossentropy")
    seen = []
    for name in ("train_step", "test_step", "forward"):
        method = getattr(model, name)
        monkeypatch.setattr(model, name, lambda *a, method=method, **k:
                            seen.append((blas_threads(), chunks.threads())) or method(*a, **k))
    with threadpool_limits(2):
        model.train_on_batch(x, y % 3)
        model.test_on_batch(x, y % 3)
        model.predict_on_batch(x)
        assert blas_threads() == 2               # and given back afterwards
    assert set(seen) == {(1, 2)} and len(seen) >= 3   # BLAS held at one, the layers still on two


def test_to_json_and_model_from_json_give_the_architecture_back():
    import glassnet as keras
    from glassnet import layers
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="relu"), layers.Dense(2)], seed=0)
    again = keras.models.model_from_json(model.to_json())
    assert [type(l).__name__ for l in again.layers] == ["Dense", "Dense"] and again.count_params() == 23
    inputs = keras.Input((4,))
    functional = keras.Model(inputs, layers.Dropout(0.5)(layers.Dense(2)(inputs), training=True))
    copy = keras.models.model_from_json(functional.to_json(indent=1))
    assert [s.training for s in copy._steps] == [None, True]


def test_keras_2_generator_and_class_methods_run_with_a_deprecation_warning():
    import glassnet as keras
    rng = np.random.default_rng(0)
    x, y = rng.random((20, 4)).astype(np.float32), np.arange(20) % 3
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")], seed=0)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])

    class Batches(keras.utils.Sequence):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return x[i * 10:(i + 1) * 10], y[i * 10:(i + 1) * 10]

    with pytest.warns(DeprecationWarning, match="fit_generator is Keras 2's.*use fit"):
        history = model.fit_generator(Batches(), steps_per_epoch=2, epochs=2, verbose=0, workers=4)
    assert len(history.history["loss"]) == 2
    with pytest.warns(DeprecationWarning, match="evaluate_generator"):
        assert len(model.evaluate_generator(Batches(), steps=2)) == 2
    with pytest.warns(DeprecationWarning, match="predict_generator"):
        assert model.predict_generator(Batches(), steps=2).shape == (20, 3)
    with pytest.warns(DeprecationWarning, match="np.argmax"):
        classes = model.predict_classes(x)
    np.testing.assert_array_equal(classes, model.predict(x, verbose=0).argmax(axis=-1))
    with pytest.warns(DeprecationWarning, match="use predict"):
        assert model.predict_proba(x).shape == (20, 3)
