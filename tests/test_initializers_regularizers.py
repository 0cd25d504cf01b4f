"""Keras 3's initializer and regularizer classes, and Dense's bias arguments."""

import numpy as np
import pytest

from glassnet.engine import initializers, regularizers
from glassnet.engine.layers import Dense
from glassnet.engine.regularizers import L1, L1L2, L2, l1_l2, l2

RNG = np.random.default_rng


@pytest.mark.parametrize("name, std", [
    ("glorot_uniform", np.sqrt(2 / 700)), ("glorot_normal", np.sqrt(2 / 700)),
    ("he_uniform", np.sqrt(2 / 400)), ("he_normal", np.sqrt(2 / 400)),
    ("lecun_uniform", np.sqrt(1 / 400)), ("lecun_normal", np.sqrt(1 / 400)),
    ("random_normal", 0.05), ("truncated_normal", 0.05 * 0.8796), ("random_uniform", 0.1 / np.sqrt(12)),
])
def test_each_initializer_has_the_spread_keras_gives_it(name, std):
    w = initializers.get(name)((400, 300), RNG(0))
    assert w.shape == (400, 300)
    assert w.std() == pytest.approx(std, rel=0.02)
    if "normal" in name and name != "random_normal":      # cut at two standard deviations
        spread = std / 0.8796                             # of the normal before the cut
        assert np.abs(w).max() <= 2 * spread * (1 + 1e-9)


def test_constant_zeros_ones_identity_orthogonal():
    assert np.all(initializers.Constant(0.5)((2, 3)) == 0.5)
    assert np.all(initializers.get("ones")((3,)) == 1) and np.all(initializers.get("Zeros")((3,)) == 0)
    np.testing.assert_array_equal(initializers.Identity(2.0)((3, 3)), 2 * np.eye(3))
    q = initializers.Orthogonal()((6, 4), RNG(0))
    np.testing.assert_allclose(q.T @ q, np.eye(4), atol=1e-12)
    wide = initializers.Orthogonal(gain=3.0)((3, 5), RNG(1))
    np.testing.assert_allclose(wide @ wide.T, 9 * np.eye(3), atol=1e-12)


def test_a_seeded_initializer_repeats_itself_and_otherwise_uses_the_models_generator():
    seeded = initializers.GlorotUniform(seed=3)
    np.testing.assert_array_equal(seeded((4, 4)), seeded((4, 4), RNG(99)))
    plain = initializers.HeNormal()
    np.testing.assert_array_equal(plain((4, 4), RNG(5)), plain((4, 4), RNG(5)))
    assert plain((2, 2), "float32").dtype == np.float32            # Keras's init(shape, dtype)


def test_names_classes_configs_and_functions():
    for name in ("GlorotUniform", "glorot_uniform", "xavier_uniform"):
        assert type(initializers.get(name)) is initializers.GlorotUniform
    init = initializers.get({"class_name": "RandomNormal", "config": {"mean": 1.0, "stddev": 0.1}})
    assert init.mean == 1.0 and init.stddev == 0.1
    assert initializers.get(initializers.serialize(init)).get_config() == init.get_config()
    assert initializers.get(initializers.VarianceScaling).get_config()["mode"] == "fan_in"

    def custom(shape, rng):
        return np.full(shape, 7.0)
    assert initializers.get(custom) is custom
    # The plain functions of earlier versions still work, ``f(shape, rng)``.
    assert initializers.he_uniform((10, 10), RNG(0)).shape == (10, 10)
    with pytest.raises(ValueError, match="unknown initializer 'magic'"):
        initializers.get("magic")
    with pytest.raises(ValueError, match="VarianceScaling: mode must be"):
        initializers.VarianceScaling(mode="fan_max")


def test_the_lowercase_names_make_initializers_as_in_keras():
    """``tf.initializers.zeros()`` (TensorFlow's time-series tutorial) and
    ``keras.initializers.he_normal(seed=42)``: Keras 3's lowercase names are its classes."""
    import glassnet as tf
    assert type(tf.initializers.zeros()) is initializers.Zeros
    assert tf.keras.initializers.he_normal(seed=42).get_config() == {"seed": 42}
    assert type(tf.keras.initializers.constant(0.1)) is initializers.Constant
    assert type(tf.keras.initializers.random_normal(stddev=0.01)) is initializers.RandomNormal
    layer = Dense(24, kernel_initializer=tf.initializers.zeros(), bias_initializer=tf.keras.initializers.he_normal)
    layer.build((None, 3))
    assert not layer.get_weights()[0].any()
    assert layer.get_config()["bias_initializer"]["class_name"] == "HeNormal"  # saved by its class


def test_no_initializer_is_glorot_uniform_as_keras_makes_such_a_weight():
    """TensorFlow's imbalanced-data tutorial: ``Dense(1, bias_initializer=output_bias)`` with
    ``output_bias=None``; Keras 3 starts that bias glorot-uniform (not zero)."""
    assert type(initializers.get(None)) is initializers.GlorotUniform
    layer = Dense(4, bias_initializer=None)
    layer.build((None, 3))
    bias = layer.get_weights()[1]
    assert bias.any() and np.abs(bias).max() <= np.sqrt(6 / 8)        # fans of a (4,) weight: 4 and 4


def test_regularizer_classes_and_aliases():
    w = np.array([[1.0, -2.0], [0.5, 0.0]])
    assert L2(0.1)(w) == pytest.approx(0.1 * 5.25) and L1(0.1).penalty(w) == pytest.approx(0.35)
    np.testing.assert_allclose(L1L2(0.1, 0.2).gradient(w), 0.1 * np.sign(w) + 0.4 * w)
    assert l2 is L2 and l1_l2 is L1L2 and isinstance(l2(1e-4), regularizers.Regularizer)
    assert L1L2().get_config() == {"l1": 0.0, "l2": 0.0}           # Keras 3's defaults
    assert regularizers.get("l2").l2 == 0.01 and type(regularizers.get("L1")) is L1
    old = regularizers.get({"l1": 0.0, "l2": 0.001})                 # an older glassnet model file
    assert type(old) is L1L2 and old.l2 == 0.001
    config = regularizers.serialize(L2(0.003))
    assert config == {"class_name": "L2", "config": {"l2": 0.003}} and regularizers.get(config).l2 == 0.003


def test_dense_bias_initializer_and_regularizer():
    layer = Dense(3, bias_initializer="ones", bias_regularizer=L2(0.5))
    layer.build((2,), RNG(0))
    np.testing.assert_array_equal(layer.params["bias"], [1, 1, 1])
    assert layer.regularization_loss() == pytest.approx(0.5 * 3)
    layer.forward(np.zeros((1, 2)))
    layer.backward(np.zeros((1, 3)))
    np.testing.assert_allclose(layer.grads["bias"], [1.0, 1.0, 1.0])   # 2 * 0.5 * b
    rebuilt = Dense.from_config(layer.get_config())
    assert rebuilt.bias_regularizer.l2 == 0.5 and type(rebuilt.bias_initializer) is initializers.Ones
    assert layer.get_config()["kernel_initializer"] == "glorot_uniform"
    objects = Dense(3, kernel_initializer=initializers.HeNormal(seed=1)).get_config()
    assert objects["kernel_initializer"] == {"class_name": "HeNormal", "config": {"seed": 1}}


def test_an_activity_regularizer_adds_penalty_of_the_output_over_the_batch_size_as_keras_3():
    """Keras 3 adds activity_regularizer(y) / N to the loss (layer.py, "normalize by batch size")."""
    import glassnet as keras
    from glassnet.gradcheck import check_model

    x = np.random.default_rng(0).standard_normal((6, 4))
    y = np.array([0, 1, 2, 0, 1, 2])
    model = keras.Sequential([keras.Input((4,)), Dense(5, activation="relu", activity_regularizer=L1(0.1)),
                              Dense(3, activation="softmax", activity_regularizer=L2(0.05))], seed=0)
    model.compile("sgd", "sparse_categorical_crossentropy")
    report = check_model(model, x, y)
    assert report.passed, report                     # the penalties' gradients reach every weight
    hidden = model.layers[0](x).numpy()
    probabilities = model.predict(x, verbose=0)
    data_loss = keras.losses.SparseCategoricalCrossentropy()(y, probabilities)
    expected = float(data_loss) + (0.1 * np.abs(hidden).sum() + 0.05 * (probabilities ** 2).sum()) / 6
    assert model.evaluate(x, y, batch_size=6, verbose=0) == pytest.approx(expected, rel=1e-5)
    assert Dense(3, activity_regularizer="l2").get_config()["activity_regularizer"]["class_name"] == "L2"
    assert Dense.from_config(Dense(3, activity_regularizer=L1(0.3)).get_config()).activity_regularizer.l1 == 0.3


def test_dense_keras_argument_order_puts_use_bias_third():
    assert Dense(4, "relu", False).use_bias is False


def my_l1_regularizer(weights):
    """Geron's custom regularizer, word for word (tf. as glassnet)."""
    import glassnet as tf
    return tf.reduce_sum(tf.abs(0.01 * weights))


def test_a_penalty_of_your_own_as_a_function_or_a_call_is_differentiated_exactly(tmp_path):
    import glassnet as keras
    from glassnet.gradcheck import check_model

    class Scaled(keras.regularizers.Regularizer):
        def __init__(self, factor):
            self.factor = factor

        def __call__(self, weights):
            return keras.ops.sum(keras.ops.square(self.factor * weights))

        def get_config(self):
            return {"factor": self.factor}

    w = np.random.default_rng(0).standard_normal((4, 3))
    np.testing.assert_allclose(regularizers.get(my_l1_regularizer).gradient(w), 0.01 * np.sign(w))
    np.testing.assert_allclose(Scaled(0.5).gradient(w), 0.5 * w)
    assert Scaled(0.5).penalty(w) == pytest.approx(0.25 * np.sum(w ** 2))
    x, y = np.random.default_rng(1).standard_normal((6, 4)), np.array([0, 1, 2, 0, 1, 2])
    model = keras.Sequential([keras.Input((4,)), Dense(5, activation="tanh", kernel_regularizer=my_l1_regularizer),
                              Dense(3, activation="softmax", kernel_regularizer=Scaled(0.1))], seed=0)
    model.compile("sgd", "sparse_categorical_crossentropy")
    assert check_model(model, x, y).passed
    model.save(tmp_path / "m.npz")
    again = keras.models.load_model(tmp_path / "m.npz", custom_objects={"my_l1_regularizer": my_l1_regularizer})
    assert again.layers[0].kernel_regularizer.fn is my_l1_regularizer
    model.save(tmp_path / "m.keras")                 # as Keras writes a function: by its name
    again = keras.models.load_model(tmp_path / "m.keras", custom_objects={"my_l1_regularizer": my_l1_regularizer})
    assert again.layers[0].kernel_regularizer.fn is my_l1_regularizer
    assert again.layers[1].kernel_regularizer.get_config() == {"factor": 0.1}


def test_constant_takes_a_whole_matrix_as_keras_does():
    """keras.io's pretrained word vectors: Embedding(..., embeddings_initializer=Constant(matrix))."""
    from glassnet import initializers, layers

    matrix = np.random.default_rng(0).normal(size=(50, 4)).astype(np.float32)
    embedding = layers.Embedding(50, 4, embeddings_initializer=initializers.Constant(matrix), trainable=False)
    embedding.build((None, 6))
    np.testing.assert_allclose(embedding.get_weights()[0], matrix)
    assert initializers.Constant(matrix).get_config()["value"] == matrix.tolist()
    np.testing.assert_array_equal(initializers.Constant([1.0, 2.0])((3, 2)), [[1, 2]] * 3)     # broadcast
    with pytest.raises(ValueError, match=r"a value of shape \(50, 4\) can't fill a weight of shape \(3, 3\)"):
        initializers.Constant(matrix)((3, 3))
