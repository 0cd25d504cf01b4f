"""fit / evaluate / predict on a ``tf.data.Dataset``: the same numbers as on the arrays it
was made from (shuffle off), Keras's rules for steps_per_epoch and ``.repeat()``, and one
clear line for a dataset that isn't batched or never ends."""

import numpy as np
import pytest

import glassnet as tf
from glassnet import layers
from glassnet.errors import DataError, ShapeError

RNG = np.random.default_rng(0)
X = RNG.normal(size=(50, 6)).astype(np.float32)
Y = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0)           # three classes
W = RNG.uniform(0.5, 2, size=50).astype(np.float32)


def model(inputs=None):
    inputs = tf.keras.Input((6,)) if inputs is None else inputs
    net = tf.keras.Sequential([inputs, layers.Dense(8, activation="relu"), layers.Dense(3)], seed=0)
    net.compile("adam", tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return net


def same_weights(a, b):
    return all(np.allclose(u, v, rtol=1e-6, atol=1e-7) for u, v in zip(a.get_weights(), b.get_weights()))


def test_fit_evaluate_and_predict_on_a_dataset_match_the_arrays():
    on_arrays, on_dataset = model(), model()
    history = on_arrays.fit(X, Y, batch_size=16, epochs=3, shuffle=False, validation_data=(X[:20], Y[:20]),
                            verbose=0).history
    train = tf.data.Dataset.from_tensor_slices((X, Y)).batch(16).prefetch(tf.data.AUTOTUNE)
    val = tf.data.Dataset.from_tensor_slices((X[:20], Y[:20])).batch(32)
    same = on_dataset.fit(train, validation_data=val, epochs=3, verbose=0).history
    assert same_weights(on_arrays, on_dataset)
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(same[key], history[key], rtol=1e-6)
    np.testing.assert_allclose(on_dataset.evaluate(train, verbose=0), on_arrays.evaluate(X, Y, verbose=0), rtol=1e-6)
    expected = on_arrays.predict(X, verbose=0)
    np.testing.assert_allclose(on_dataset.predict(train, verbose=0), expected, rtol=1e-6)      # y ignored
    x_only = tf.data.Dataset.from_tensor_slices(X).batch(7)
    np.testing.assert_allclose(on_dataset.predict(x_only, verbose=0), expected, rtol=1e-6)


def test_sample_weights_and_a_dict_of_inputs_come_through_the_dataset():
    weighted, on_dataset = model(), model()
    weighted.fit(X, Y, sample_weight=W, batch_size=10, epochs=2, shuffle=False, verbose=0)
    on_dataset.fit(tf.data.Dataset.from_tensor_slices((X, Y, W)).batch(10), epochs=2, verbose=0)
    assert same_weights(weighted, on_dataset)
    by_name = model(tf.keras.Input((6,), name="features"))
    by_name.fit(tf.data.Dataset.from_tensor_slices(({"features": X}, Y)).batch(10), epochs=2, verbose=0)
    plain = model(tf.keras.Input((6,), name="features"))
    plain.fit(X, Y, batch_size=10, epochs=2, shuffle=False, verbose=0)
    assert same_weights(plain, by_name)


def test_a_fresh_pass_every_epoch_so_shuffle_reshuffles():
    seen = []
    net = model()
    ds = tf.data.Dataset.from_tensor_slices((X, Y)).shuffle(50, seed=1).batch(50) \
        .map(lambda x, y: seen.append(x[:, 0].copy()) or (x, y))
    net.fit(ds, epochs=2, verbose=0)
    assert len(seen) == 2 and not np.array_equal(seen[0], seen[1])
    assert sorted(seen[0]) == sorted(seen[1]) == sorted(X[:, 0])


def test_steps_per_epoch_with_repeat_reads_on_across_epochs_as_keras_does():
    firsts = []
    ds = tf.data.Dataset.range(5).map(lambda i: (np.full((2, 6), float(i), np.float32), np.array([0, 1]))) \
        .map(lambda x, y: firsts.append(float(x[0, 0])) or (x, y))
    net = model()
    history = net.fit(ds.repeat(), steps_per_epoch=3, epochs=3, verbose=0)
    assert firsts == [0, 1, 2, 3, 4, 0, 1, 2, 3] and len(history.history["loss"]) == 3
    assert int(net.optimizer.iterations) == 9
    firsts.clear()
    with pytest.warns(UserWarning, match="ran out of data after 2 of the 3 batches"):   # 5 = 3 + 2, then new
        net.fit(ds, steps_per_epoch=3, epochs=3, verbose=0)
    assert firsts == [0, 1, 2, 3, 4, 0, 1, 2]
    assert np.isfinite(net.evaluate(ds.repeat(), steps=4, verbose=0)[0])


def test_a_dataset_of_unknown_length_is_read_to_its_end():
    net = model()
    kept = tf.data.Dataset.from_tensor_slices((X, Y)).filter(lambda x, y: y > 0).batch(8)
    net.fit(kept, epochs=1, verbose=0)
    assert int(net.optimizer.iterations) == int(np.ceil((Y > 0).sum() / 8))


def test_an_unbatched_or_endless_dataset_is_one_clear_line():
    net = model()
    single = tf.data.Dataset.from_tensor_slices((X, Y))
    with pytest.raises(DataError, match=r"gives single samples, not batches .*call \.batch\(32\)"):
        net.fit(single, epochs=1, verbose=0)
    with pytest.raises(ShapeError, match=r"expects input of shape \(None, 6\) but got \(6,\).*\.batch\(32\)"):
        net.predict(tf.data.Dataset.from_tensor_slices(X), verbose=0)
    with pytest.raises(ValueError, match=r"repeats forever \(\.repeat\(\)\); pass steps_per_epoch"):
        net.fit(single.batch(8).repeat(), epochs=1, verbose=0)
    with pytest.warns(UserWarning, match=r"batch_size=16 is ignored: the dataset makes its own batches"):
        net.fit(single.batch(8), batch_size=16, verbose=0)          # as Keras, which ignores it
    assert int(net.optimizer.iterations) == 7                       # 50 samples in batches of 8


def test_keras_on_tensorflows_dataset_trains_as_glassnet_on_its_own():
    """The same model, weights and pipeline (batches of 16 repeated, 3 steps an epoch, so an
    epoch starts mid-pass and one batch holds 2 samples): Keras 3 on tf.data and glassnet on
    its Dataset log the same losses and end with the same weights."""
    keras = pytest.importorskip("keras")
    real_tf = pytest.importorskip("tensorflow")
    ours = model()
    theirs = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(3)])
    theirs.set_weights(ours.get_weights())
    theirs.compile(keras.optimizers.Adam(), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                   metrics=["accuracy"])
    pipeline = lambda data: data.Dataset.from_tensor_slices((X, Y)).batch(16).repeat()   # noqa: E731
    mine = ours.fit(pipeline(tf.data), steps_per_epoch=3, epochs=3, verbose=0).history
    keras_history = theirs.fit(pipeline(real_tf.data), steps_per_epoch=3, epochs=3, shuffle=False, verbose=0).history
    np.testing.assert_allclose(mine["loss"], keras_history["loss"], rtol=1e-4)
    np.testing.assert_allclose(mine["accuracy"], keras_history["accuracy"], rtol=1e-6)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    test = lambda data: data.Dataset.from_tensor_slices((X, Y)).batch(20)   # noqa: E731
    np.testing.assert_allclose(ours.evaluate(test(tf.data), verbose=0), theirs.evaluate(test(real_tf.data), verbose=0),
                               rtol=1e-4)
