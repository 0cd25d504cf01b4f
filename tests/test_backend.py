"""``from keras import backend as K``: the settings Keras programs read, and the ones glassnet refuses."""

import pytest

from glassnet import backend as K
from glassnet import layers


def test_what_the_classic_examples_ask():
    assert K.image_data_format() == "channels_last" and K.floatx() == "float32"
    assert K.epsilon() == 1e-7 and K.backend() == "numpy"
    K.set_image_data_format("channels_last")      # what glassnet does anyway: fine
    K.clear_session()
    assert K.is_keras_tensor(layers.Input((3,))) and not K.is_keras_tensor([1.0, 2.0])


@pytest.mark.parametrize("call, words", [(lambda: K.set_image_data_format("channels_first"), "channels_last"),
                                         (lambda: K.set_floatx("float16"), "float32"),
                                         (lambda: K.set_epsilon(1e-3), "fixed")])
def test_settings_glassnet_cant_honour_are_refused(call, words):
    with pytest.raises(ValueError, match=words):
        call()


def test_keras_2_backend_math_for_custom_metrics_and_losses():
    """The most-copied Kaggle F1 metric, written with K.sum, K.round, K.clip and K.epsilon."""
    import numpy as np

    import glassnet as keras
    from glassnet import backend as K

    def recall_m(y_true, y_pred):
        true_positives = K.sum(K.round(K.clip(y_true * y_pred, 0, 1)))
        possible_positives = K.sum(K.round(K.clip(y_true, 0, 1)))
        return true_positives / (possible_positives + K.epsilon())

    y_true = np.array([[1, 0], [0, 1], [1, 0]], np.float32)
    y_pred = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7]], np.float32)
    assert abs(recall_m(y_true, y_pred) - 1 / 3) < 1e-6                 # 1 of the 3 positives found
    assert K.mean(K.square(y_pred - y_true), axis=-1).shape == (3,)
    assert K.argmax(y_pred).tolist() == [0, 0, 1] and K.cast(K.equal(y_true, 1), "int32").sum() == 3
    np.testing.assert_allclose(K.categorical_crossentropy(y_true, y_pred), -np.log([0.9, 0.2, 0.3]), rtol=1e-6)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="softmax")], seed=0)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=[recall_m])
    history = model.fit(y_pred, y_true, epochs=2, verbose=0)
    assert len(history.history["recall_m"]) == 2


def test_keras_2_get_value_and_set_value_on_the_learning_rate():
    """Older learning-rate finders: ``K.set_value(model.optimizer.lr, lr * factor)`` and
    ``K.get_value(model.optimizer.lr)``; with Keras 2's decay= too, which it sets before decay."""
    import warnings

    import glassnet as keras
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(0.001), "mse")
    assert K.get_value(model.optimizer.learning_rate) == pytest.approx(0.001)
    K.set_value(model.optimizer.learning_rate, 0.01)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        decayed = keras.optimizers.SGD(lr=0.1, decay=0.5)
    decayed.iterations = 2
    K.set_value(decayed.lr, 0.2)
    assert decayed.schedule.initial_learning_rate == 0.2 and float(decayed.learning_rate) == pytest.approx(0.1)
    with pytest.raises(TypeError, match="K.set_value: a float can't be changed in place"):
        K.set_value(0.5, 0.1)


def test_keras_2_k_function_gives_a_layers_output_with_or_without_training():
    """Deep Learning with Python (1st edition) and older blog posts look inside a network with
    K.function([model.input, K.learning_phase()], [layer.output])."""
    import numpy as np

    import glassnet as keras
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dropout(0.5), keras.layers.Dense(1)])
    x = np.ones((3, 4), np.float32)
    hidden = K.function([model.input], [model.layers[0].output])
    [values] = hidden([x])
    np.testing.assert_allclose(values, keras.Model(model.input, model.layers[0].output).predict(x, verbose=0))
    dropped = K.function([model.input, K.learning_phase()], model.layers[1].output)
    np.testing.assert_allclose(dropped([x, 0]), values)                  # 0: predicting, Dropout passes all
    training = dropped([x, 1])
    assert training.shape == (3, 8) and np.all((training == 0) | np.isclose(training, 2 * values))
    assert (training == 0).any() or not values.any()                      # 1: training, some dropped
