"""A model that feeds its prediction back one step at a time, as TensorFlow's time-series
tutorial's ``FeedBack`` does: a recurrent layer built on whole sequences is called again on
one step, with ``initial_state`` and ``return_state=True``. Its gradient (a shared layer with
three outputs, in a loop) is checked against finite differences in float64."""

import numpy as np
import pytest

import glassnet as tf
from glassnet import layers
from glassnet.errors import ShapeError
from glassnet.gradcheck import numerical_gradient

RNG = np.random.default_rng(3)


class FeedBack(tf.keras.Model):
    def __init__(self, units, out_steps, features):
        super().__init__(dtype="float64")
        self.out_steps = out_steps
        self.lstm_rnn = layers.LSTM(units, return_state=True, dtype="float64")
        self.dense = layers.Dense(features, dtype="float64")

    def call(self, inputs, training=None):
        x, *state = self.lstm_rnn(inputs)          # warm up on the whole window
        prediction = self.dense(x)
        predictions = [prediction]
        for _ in range(1, self.out_steps):         # then one step at a time, fed back
            x, *state = self.lstm_rnn(prediction[:, tf.newaxis, :], initial_state=state, training=training)
            prediction = self.dense(x)
            predictions.append(prediction)
        return tf.transpose(tf.stack(predictions), [1, 0, 2])


def model_and_data():
    model = FeedBack(units=4, out_steps=3, features=2)
    x, y = RNG.standard_normal((5, 6, 2)), RNG.standard_normal((5, 3, 2))
    model(x)
    return model, x, y


def test_the_prediction_loop_runs_the_shared_layer_on_one_step():
    model, x, _ = model_and_data()
    out = np.asarray(model(x))
    assert out.shape == (5, 3, 2)
    # By hand: the same layer and weights, one call at a time.
    h, hs, cs = model.lstm_rnn(x)
    first = model.dense(h)
    h2, _, _ = model.lstm_rnn(np.asarray(first)[:, None, :], initial_state=[hs, cs])
    np.testing.assert_allclose(out[:, 1], np.asarray(model.dense(h2)), rtol=1e-10)


def test_the_gradient_through_the_loop_is_the_finite_differences():
    model, x, y = model_and_data()

    def loss():
        return float(np.mean((np.asarray(model(x, training=True)) - y) ** 2))

    with tf.GradientTape() as tape:
        value = tf.reduce_mean(tf.square(model(x, training=True) - y))
    grads = tape.gradient(value, model.trainable_variables)
    assert len(grads) == 5                          # the LSTM's three weights, the Dense's two
    for grad, weight in zip(grads, model.trainable_variables):
        expected = np.reshape(numerical_gradient(loss, weight), weight.shape)
        np.testing.assert_allclose(np.asarray(grad), expected, rtol=1e-6, atol=1e-9)


def test_fit_trains_it():
    model, x, y = model_and_data()
    model.compile(optimizer=tf.keras.optimizers.Adam(0.05), loss="mse")
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=30, batch_size=5, verbose=0)
    assert model.evaluate(x, y, verbose=0) < 0.5 * before


def test_a_recurrent_layer_reads_any_length_but_not_other_features():
    lstm = layers.LSTM(3)
    lstm(np.zeros((2, 7, 4), np.float32))
    assert lstm(np.zeros((2, 1, 4), np.float32)).shape == (2, 3)
    with pytest.raises(ShapeError, match=r"expects sequences \(batch, time steps, 4\)"):
        lstm(np.zeros((2, 7, 5), np.float32))


def test_the_same_gradients_as_tensorflows_tape():
    keras = pytest.importorskip("keras")
    tensorflow = pytest.importorskip("tensorflow")
    model, x, y = model_and_data()

    class KerasFeedBack(keras.Model):
        def __init__(self):
            super().__init__(dtype="float64")
            self.lstm_rnn = keras.layers.LSTM(4, return_state=True, dtype="float64")
            self.dense = keras.layers.Dense(2, dtype="float64")

        def call(self, inputs):
            x, *state = self.lstm_rnn(inputs)
            prediction = self.dense(x)
            predictions = [prediction]
            for _ in range(2):
                x, *state = self.lstm_rnn(prediction[:, tensorflow.newaxis, :], initial_state=state)
                prediction = self.dense(x)
                predictions.append(prediction)
            return tensorflow.transpose(tensorflow.stack(predictions), [1, 0, 2])

    reference = KerasFeedBack()
    reference(x)
    reference.lstm_rnn.set_weights(model.lstm_rnn.get_weights())
    reference.dense.set_weights(model.dense.get_weights())
    with tensorflow.GradientTape() as tape:
        value = tensorflow.reduce_mean(tensorflow.square(reference(x) - y))
    expected = tape.gradient(value, reference.lstm_rnn.trainable_variables + reference.dense.trainable_variables)
    with tf.GradientTape() as tape:
        mine = tf.reduce_mean(tf.square(model(x) - y))
    grads = tape.gradient(mine, model.trainable_variables)
    np.testing.assert_allclose(float(mine), float(value), rtol=1e-10)
    for grad, want in zip(grads, expected):
        np.testing.assert_allclose(np.asarray(grad), want.numpy(), rtol=1e-7, atol=1e-10)


def test_a_cell_called_on_one_step_says_what_to_do_instead():
    cell = layers.LSTMCell(4)
    with pytest.raises(NotImplementedError, match=r"initial_state=states"):
        cell(np.zeros((2, 3), np.float32), states=[np.zeros((2, 4))] * 2)
