"""A model made from a dict of Inputs takes a dict, by the dict's keys: of arrays (fit, predict)
and of placeholders (the "Load CSV data" tutorial calls its preprocessing head on the Inputs
to build the whole model)."""

import numpy as np
import pytest

import glassnet as keras
from glassnet import layers
from glassnet.errors import DataError


def head():
    inputs = {"age": keras.Input(shape=(1,), name="age_in"), "fare": keras.Input(shape=(1,), name="fare")}
    joined = layers.Concatenate()([inputs["age"], inputs["fare"] * 2.0])
    return inputs, keras.Model(inputs, joined)


def test_a_head_called_on_its_dict_of_inputs_builds_the_whole_model():
    inputs, preprocessing = head()
    model = keras.Model(inputs, layers.Dense(1, kernel_initializer="ones")(preprocessing(inputs)))
    data = {"age": np.array([[1.0], [2.0]]), "fare": np.array([[10.0], [20.0]]), "unused": np.zeros((2, 1))}
    np.testing.assert_allclose(model.predict(data, verbose=0), [[21.0], [42.0]])
    # the dict's keys, not the Inputs' names ("age_in"), are what the model reads
    np.testing.assert_allclose(preprocessing({"age": np.ones((1, 1)), "fare": np.ones((1, 1))}), [[1.0, 2.0]])


def test_a_missing_key_is_named():
    inputs, preprocessing = head()
    with pytest.raises(DataError, match=r"needs the keys \['age', 'fare'\]; missing \['fare'\]"):
        preprocessing({"age": inputs["age"]})
    with pytest.raises(DataError, match=r"missing \['age'\]"):
        preprocessing.predict({"fare": np.ones((1, 1))}, verbose=0)
