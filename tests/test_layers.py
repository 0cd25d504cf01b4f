"""The foundation layers: gradients (float64 finite differences), shapes, and the contract."""

import numpy as np
import pytest

from glassnet.errors import ShapeError
from glassnet.gradcheck import check_layer
from glassnet.layers import (Activation, Dense, Dropout, Flatten, LeakyReLU, ReLU, Reshape,
                             Sigmoid, Softmax, Tanh)
from glassnet.regularizers import l1_l2, l2

GRADIENT_CASES = [
    (Dense(5), (7,)),
    (Dense(5, activation="relu", kernel_initializer="he_normal"), (7,)),
    (Dense(4, activation="sigmoid", use_bias=False), (3,)),
    (Dense(4, activation="tanh", kernel_regularizer=l2(0.1)), (6,)),
    (Dense(3, activation="softmax", kernel_regularizer=l1_l2(0.01, 0.02)), (5,)),
    (Dense(6, activation="leaky_relu"), (4,)),
    (ReLU(), (9,)),
    (LeakyReLU(negative_slope=0.1), (9,)),
    (Sigmoid(), (9,)),
    (Tanh(), (9,)),
    (Softmax(), (6,)),
    (Activation("tanh"), (3, 4)),
    (Dropout(0.5), (10,)),
    (Flatten(), (3, 4, 2)),
    (Reshape((4, -1)), (12,)),
]


@pytest.mark.parametrize("layer, input_shape", GRADIENT_CASES,
                         ids=[f"{type(l).__name__}-{i}" for i, (l, _) in enumerate(GRADIENT_CASES)])
def test_gradients_shapes_dtypes_and_config(layer, input_shape):
    report = check_layer(layer, input_shape, batch_size=5)
    assert report.passed, report
    assert report.max_error <= 1e-6


def test_dense_forward_is_x_at_w_plus_b():
    layer = Dense(2)
    layer.build((3,), np.random.default_rng(0))
    layer.params["kernel"][...] = [[1, 2], [3, 4], [5, 6]]
    layer.params["bias"][...] = [0.5, -1]
    y = layer.forward(np.array([[1, 0, 1]], np.float32))
    np.testing.assert_allclose(y, [[6.5, 7.0]])
    assert y.dtype == np.float32


def test_backward_leaves_the_upstream_gradient_alone():
    rng = np.random.default_rng(1)
    for layer in (Dense(4, activation="relu"), ReLU(), Dropout(0.3), Softmax(), Tanh()):
        layer.build((4,), rng)
        layer.forward(rng.standard_normal((3, 4)).astype(np.float32), training=True)
        dy = rng.standard_normal((3, 4)).astype(np.float32)
        before = dy.copy()
        layer.backward(dy)
        np.testing.assert_array_equal(dy, before)


def test_params_and_grads_share_keys_and_shapes():
    layer = Dense(3)
    layer.build((2,), np.random.default_rng(0))
    assert layer.params.keys() == layer.grads.keys() == {"kernel", "bias"}
    for key in layer.params:
        assert layer.params[key].shape == layer.grads[key].shape
        assert layer.params[key].dtype == np.float32


def test_dropout_is_inverted_and_off_at_inference():
    layer = Dropout(0.25)
    layer.build((10_000,), np.random.default_rng(0))
    x = np.ones((2, 10_000), np.float32)
    np.testing.assert_array_equal(layer.forward(x, training=False), x)
    y = layer.forward(x, training=True)
    kept = y != 0
    assert abs(kept.mean() - 0.75) < 0.02            # about 1 - rate survive
    np.testing.assert_allclose(y[kept], 1 / 0.75)    # scaled so the mean is unchanged
    np.testing.assert_array_equal(layer.backward(x), y)


def test_softmax_survives_extreme_logits():
    p = Softmax().forward(np.array([[1000.0, 0.0, -1000.0], [-1e4, -1e4, -1e4]], np.float32))
    assert np.isfinite(p).all()
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_allclose(p[0], [1, 0, 0])


def test_sigmoid_does_not_overflow():
    with np.errstate(all="raise"):
        y = Sigmoid().forward(np.array([-1000.0, 0.0, 1000.0], np.float32))
    np.testing.assert_allclose(y, [0, 0.5, 1])


def test_flatten_and_reshape_shapes():
    assert Flatten().output_shape((28, 28)) == (784,)
    assert Reshape((28, 28, 1)).output_shape((784,)) == (28, 28, 1)
    assert Reshape((-1, 4)).output_shape((2, 6)) == (3, 4)
    with pytest.raises(ShapeError, match="can't reshape"):
        Reshape((5, 5)).output_shape((784,))


def test_dense_on_input_with_several_axes_works_on_the_last_one_as_in_keras():
    layer = Dense(3, activation="tanh", name="hidden")
    layer.build((5, 4), np.random.default_rng(0))
    x = np.random.default_rng(1).normal(size=(2, 5, 4)).astype(np.float32)
    y = layer.forward(x)
    assert y.shape == (2, 5, 3) and layer.output_shape((5, 4)) == (5, 3)
    W, b = layer.params["kernel"], layer.params["bias"]
    np.testing.assert_allclose(y[1, 2], np.tanh(x[1, 2] @ W + b), rtol=1e-5)   # each step alone
    dx = layer.backward(np.ones_like(y))
    assert dx.shape == x.shape and layer.grads["kernel"].shape == (4, 3)
    with pytest.raises(ShapeError, match="hidden.*expects input of shape"):
        layer.forward(x[:, :, :3])


def test_a_forgotten_flatten_is_named_at_the_loss():
    """Dense on 28x28 images gives 10 scores per image row (Keras does the same); labels of
    one class per image don't fit them, and the message says why, instead of training on a
    broadcast table."""
    from glassnet import layers, models

    model = models.Sequential([layers.Input((28, 28)), layers.Dense(8, activation="relu"),
                               layers.Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = np.zeros((4, 28, 28), np.float32), np.arange(4)
    with pytest.raises(ShapeError, match=r"labels of shape \(4,\) don't fit predictions \(4, 28, 10\).*"
                                         r"10 scores at each of 28 positions.*put a Flatten\(\) before"):
        model.fit(x, y, verbose=0)
    model.fit(x, np.tile(y[:, None], (1, 28)), verbose=0)    # a class for every row trains


def test_constructors_reject_bad_arguments():
    with pytest.raises(ValueError, match="units must be a positive integer, got 0"):
        Dense(0)
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\), got 1.5"):
        Dropout(1.5)
    with pytest.raises(ValueError, match="unknown activation 'relu7'; known:"):
        Dense(3, activation="relu7")
    with pytest.raises(ValueError, match="unknown initializer"):
        Dense(3, kernel_initializer="magic").build((2,))


def test_initializers_have_the_promised_spread():
    from glassnet import initializers
    rng = np.random.default_rng(0)
    he = initializers.he_normal((1000, 500), rng)
    assert abs(he.std() - np.sqrt(2 / 1000)) < 1e-3
    glorot = initializers.glorot_uniform((300, 100), rng)
    limit = np.sqrt(6 / 400)
    assert glorot.min() >= -limit and glorot.max() <= limit
    assert abs(glorot.std() - limit / np.sqrt(3)) < 2e-3
    conv_fans = initializers.fans((3, 3, 8, 16))
    assert conv_fans == (72, 144)
    assert abs(initializers.small_random((1000, 100), rng).std() - 0.01) < 1e-3


def test_layer_weights_in_keras_order_and_set_weights_checks_shapes():
    import pytest

    from glassnet.engine.layers import BatchNormalization, Dense

    dense = Dense(3)
    dense.build((2,), np.random.default_rng(0))
    assert [w.shape for w in dense.get_weights()] == [(2, 3), (3,)]
    dense.set_weights([np.ones((2, 3)), np.arange(3)])
    np.testing.assert_array_equal(dense.params["bias"], [0, 1, 2])
    with pytest.raises(ValueError, match=r"array 0 has shape \(3, 2\), expected \(2, 3\)"):
        dense.set_weights([np.ones((3, 2)), np.zeros(3)])
    with pytest.raises(ValueError, match="got 1 arrays but the weights are 2"):
        dense.set_weights([np.ones((2, 3))])
    bn = BatchNormalization()
    bn.build((4,), np.random.default_rng(0))
    # views of the arrays themselves (writing one writes the layer), named as Keras names them
    assert [np.shares_memory(w, a) for w, a in zip(bn.weights, [bn.params["gamma"], bn.params["beta"],
            bn.state["moving_mean"], bn.state["moving_variance"]])] == [True] * 4
    assert [w.name for w in bn.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert bn.weights[2].path == "batch_normalization/moving_mean"      # before a model names it too
    assert [w.trainable for w in bn.weights] == [True, True, False, False]
    bn.trainable = False
    assert bn.trainable_weights == [] and len(bn.non_trainable_weights) == 4
    assert [w.trainable for w in bn.weights] == [False] * 4


def test_a_weight_asked_for_by_its_keras_name_answers_as_a_keras_variable():
    """``layer.kernel.name`` / ``.path`` / ``.trainable``, as on Keras's Variable (the view had
    none of them), and on what ``add_weight`` returns."""
    from glassnet.engine.layers import BatchNormalization, Dense, Layer

    dense = Dense(3)
    dense.build((2,), np.random.default_rng(0))
    assert (dense.kernel.name, dense.kernel.path, dense.kernel.trainable) == ("kernel", "dense/kernel", True)
    dense.trainable = False
    assert dense.bias.trainable is False
    bn = BatchNormalization()
    bn.build((4,), np.random.default_rng(0))
    assert (bn.moving_mean.name, bn.moving_mean.trainable, bn.gamma.trainable) == ("moving_mean", False, True)

    class Counter(Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(2,), name="w")
            self.total = self.add_weight(shape=(), initializer="zeros", trainable=False)

    counter = Counter()
    counter.build((2,), np.random.default_rng(0))
    assert [(counter.w.name, counter.w.trainable), (counter.total.name, counter.total.trainable)] == \
        [("w", True), ("variable", False)]


def test_keras2_input_dim_warns_and_unknown_arguments_are_named():
    import pytest

    from glassnet.engine.layers import Dense

    with pytest.warns(DeprecationWarning, match="input_dim=784 is Keras 2's spelling"):
        layer = Dense(512, input_dim=784)
    assert layer.input_shape == (784,)
    with pytest.raises(TypeError, match="Dense: unknown argument"):
        Dense(3, kernel_size=2)


def test_a_dtype_glassnet_cant_compute_in_is_one_clear_line():
    """dtype='mixed_float16' (the mixed-precision guide's) raised NumPy's "data type
    'mixed_float16' not understood"; a float64 layer is fine."""
    import pytest

    from glassnet.engine.layers import Conv2D, Dense

    with pytest.raises(ValueError, match="Dense: dtype='mixed_float16' is mixed precision, which glassnet doesn't do"):
        Dense(3, dtype="mixed_float16")
    with pytest.raises(ValueError, match="Conv2D: dtype='float31' is not a NumPy dtype"):
        Conv2D(3, 3, dtype="float31")
    assert Dense(3, dtype="float64").dtype == "float64"


def test_weights_by_their_keras_names():
    import pytest

    from glassnet.engine.layers import BatchNormalization, Dense

    dense = Dense(3)
    dense.build((2,), np.random.default_rng(0))
    assert np.shares_memory(dense.kernel, dense.params["kernel"]) and dense.bias.shape == (3,)   # views
    bn = BatchNormalization()
    bn.build((4,), np.random.default_rng(0))
    assert np.shares_memory(bn.moving_variance, bn.state["moving_variance"]) and bn.gamma.shape == (4,)
    with pytest.raises(AttributeError, match="no attribute 'kernal'"):
        dense.kernal


def test_default_layer_names_follow_keras_rule():
    """PReLU was named 'pre_lu' (Keras: 'p_re_lu'), so get_layer('p_re_lu') failed."""
    from glassnet import Input, Sequential
    from glassnet.layers import PReLU

    model = Sequential([Input((3,)), PReLU(), PReLU()])
    assert [layer.name for layer in model.layers] == ["p_re_lu", "p_re_lu_1"]
    assert model.get_layer("p_re_lu") is model.layers[0]


@pytest.mark.parametrize("rows", [2, 37, 300])
def test_dense_splits_its_multiplies_over_two_threads_and_gets_the_same_numbers(rows, monkeypatch):
    """Inside fit and predict BLAS runs on one thread and Dense splits its three matrix
    multiplies by rows between the threads (chunks.matmul): every number as in one piece."""
    from threadpoolctl import threadpool_limits

    from glassnet.engine.layers import chunks

    monkeypatch.setattr(chunks, "SPLIT_WORK", 0)          # split even these small ones
    workers = []
    run = chunks.run
    monkeypatch.setattr(chunks, "run", lambda *a: workers.append(run(*a)) or workers[-1])
    rng = np.random.default_rng(rows)
    x = rng.standard_normal((rows, 150)).astype(np.float32)
    dy = rng.standard_normal((rows, 70)).astype(np.float32)
    layer = Dense(70, activation="tanh")
    layer.build((150,), rng=rng)
    results = {}
    for threads in (1, 2):
        with threadpool_limits(threads), chunks.hold_blas():
            y = layer.forward(x, training=True)
            dx = layer.backward(dy)
        results[threads] = (y, dx, layer.grads["kernel"].copy(), layer.grads["bias"].copy())
    assert workers == [1, 1, 1, 2, 2, 2]     # three multiplies on one thread, then on two
    for one, two in zip(results[1], results[2]):
        np.testing.assert_array_equal(one, two)
    W, b = (layer.params[k].astype(np.float64) for k in ("kernel", "bias"))
    y64 = np.tanh(x @ W + b)
    dz = dy * (1 - y64 ** 2)
    np.testing.assert_allclose(results[2][0], y64, atol=1e-5)
    np.testing.assert_allclose(results[2][1], dz @ W.T, atol=1e-4)
    np.testing.assert_allclose(results[2][2], x.T.astype(np.float64) @ dz, atol=1e-3)


def test_a_seed_on_a_noise_layer_gives_it_masks_of_its_own():
    """Keras's Dropout(0.5, seed=1): the same masks whatever the model's generator did."""
    from glassnet.engine.layers import GaussianDropout, GaussianNoise, SpatialDropout2D
    x = np.ones((4, 3, 3, 2), np.float32)
    for make in (lambda: Dropout(0.5, seed=1), lambda: GaussianNoise(0.3, seed=1),
                 lambda: GaussianDropout(0.3, seed=1), lambda: SpatialDropout2D(0.5, seed=1)):
        a, b = make(), make()
        for layer, other in ((a, 5), (b, 6)):
            layer.build(x.shape[1:], np.random.default_rng(other))
        np.testing.assert_array_equal(a.forward(x, training=True), b.forward(x, training=True))
        assert a.get_config()["seed"] == 1 and type(a).from_config(a.get_config()).seed == 1
    unseeded = [Dropout(0.5), Dropout(0.5)]
    for layer, other in zip(unseeded, (5, 6)):
        layer.build(x.shape[1:], np.random.default_rng(other))
    assert not np.array_equal(*(layer.forward(x, training=True) for layer in unseeded))


def test_permute_repeat_vector_and_identity_as_keras_has_them(tmp_path):
    import glassnet as keras
    from glassnet.layers import Identity, Permute, RepeatVector
    x = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)
    permute = Permute((2, 1))
    np.testing.assert_array_equal(permute(x).numpy(), x.transpose(0, 2, 1))
    assert Permute((3, 1, 2)).compute_output_shape((None, 5, 6, 7)) == (None, 7, 5, 6)
    repeat = RepeatVector(3)
    np.testing.assert_array_equal(repeat(x[:, 0]).numpy(), np.stack([x[:, 0]] * 3, axis=1))
    assert Identity()(x) is not None and np.array_equal(Identity()(x), x)
    with pytest.raises(ValueError, match="dims must reorder 1..2"):
        Permute((0, 1))
    with pytest.raises(ValueError, match="n must be a whole number >= 1"):
        RepeatVector(0)
    with pytest.raises(ShapeError, match="repeats vectors"):
        keras.Sequential([keras.Input((3, 4)), RepeatVector(2)])
    model = keras.Sequential([keras.Input((3, 4)), Permute((2, 1)), Flatten(), Dense(2), RepeatVector(2), Identity(),
                              Flatten()], seed=0)
    for name in ("m.npz", "m.keras"):
        model.save(tmp_path / name)
        np.testing.assert_array_equal(keras.models.load_model(tmp_path / name).predict(x, verbose=0),
                                      model.predict(x, verbose=0))


def test_every_config_starts_with_kerass_three_keys_and_keeps_a_frozen_layer_frozen():
    """Keras 3's get_config always has name, trainable and dtype; from_config honours them."""
    layer = Dense(3, name="frozen", trainable=False)
    config = layer.get_config()
    assert {key: config[key] for key in ("name", "trainable", "dtype")} == \
        {"name": "frozen", "trainable": False, "dtype": "float32"}
    again = Dense.from_config(config)
    assert again.name == "frozen" and again.trainable is False and again.units == 3
    assert ReLU().get_config()["dtype"] == "float32"


def test_print_model_layers_shows_what_keras_3_shows():
    """The Sequential guide's ``print(model.layers)``: Keras 3.15 prints
    ``[<Dense name=layer1, built=True>, ...]`` (glassnet printed ``Dense(name='layer1')``)."""
    import glassnet as keras

    model = keras.Sequential([keras.layers.Dense(2, name="layer1"), keras.layers.Dense(3)])
    assert repr(model.layers) == "[<Dense name=layer1, built=False>, <Dense name=dense, built=False>]"
    model.build((None, 4))
    assert str(model.layers[0]) == "<Dense name=layer1, built=True>"
    assert repr(model) == "<Sequential name=sequential, built=True>"
    inputs = keras.Input((3,))
    # functional_1: the Sequential, built, counted the Functional model Keras builds inside it
    assert repr(keras.Model(inputs, keras.layers.Dense(1)(inputs))) == "<Functional name=functional_1, built=True>"
