"""Automatic names, counted across the session as Keras 3 counts them (glassnet.engine.naming).

glassnet named layers per model: a second model's first Dense was ``dense`` again, where
Keras says ``dense_2``, so ``model.get_layer("dense_2")`` and printed summaries of tutorials
that build several models differed. Nothing saved may depend on the counts: a file written
in one session loads in another where they differ.
"""

import numpy as np
import pytest

import glassnet as keras
from glassnet import layers
from glassnet.engine import naming


def names(model):
    return [layer.name for layer in model.layers]


def two_layer_model(units=3):
    return keras.Sequential([keras.Input((4,)), layers.Dense(units, activation="relu"), layers.Dense(2)], seed=0)


# -- the counts ------------------------------------------------------------------------------
def test_two_models_in_one_session_number_their_layers_on():
    first, second = two_layer_model(), two_layer_model()
    assert (first.name, names(first)) == ("sequential", ["dense", "dense_1"])
    assert (second.name, names(second)) == ("sequential_1", ["dense_2", "dense_3"])
    assert second.get_layer("dense_2") is second.layers[0]
    inputs = keras.Input((4,))                     # the two Sequentials' Inputs were input_layer, _1
    model = keras.Model(inputs, layers.Dense(1)(inputs))
    assert inputs.node.layer.name == "input_layer_2" and names(model) == ["input_layer_2", "dense_4"]
    assert model.name == "functional_2"            # each built Sequential counts the Functional Keras builds


def test_a_name_is_taken_when_the_layer_is_made_and_a_given_name_counts_nothing():
    made = [layers.Dense(1), layers.Dense(1, name="dense_5"), layers.Dense(1), layers.Dropout(0.1)]
    assert [layer.name for layer in made] == ["dense", "dense_5", "dense_1", "dropout"]
    assert keras.backend.get_uid("dense") == 3 and layers.Dense(1).name == "dense_3"   # keras.backend.get_uid


def test_clear_session_starts_the_names_again():
    two_layer_model()
    keras.backend.clear_session()
    model = two_layer_model()
    assert (model.name, names(model)) == ("sequential", ["dense", "dense_1"])
    keras.utils.clear_session(free_memory=False)
    assert layers.Dense(1).name == "dense" and keras.Input((2,)).node.layer.name == "input_layer"


def test_a_user_name_equal_to_a_later_automatic_one_is_refused_in_one_model_as_in_keras():
    inputs = keras.Input((4,))
    first = layers.Dense(2, name="dense")(inputs)
    with pytest.raises(ValueError, match="both named 'dense'"):
        keras.Model(inputs, layers.Dense(2)(first))


def test_wrappers_and_cells_count_what_keras_counts():
    both = layers.Bidirectional(layers.GRU(3))
    assert (both.name, both.forward_layer.name, both.backward_layer.name) == ("bidirectional", "forward_gru",
                                                                             "backward_gru")
    assert layers.GRU(2).name == "gru_1"           # the forward and backward copies count nothing
    assert layers.TimeDistributed(layers.Dense(2)).layer.name == "dense"
    assert layers.RNN(layers.LSTMCell(3)).name == "rnn" and layers.LSTM(2).name == "lstm"
    attention = layers.MultiHeadAttention(2, 4)
    attention(np.zeros((1, 3, 4), np.float32), np.zeros((1, 3, 4), np.float32))
    assert layers.Dropout(0.1).name == "dropout_1"     # Keras's attention made a Dropout when built


def test_rebuilding_from_a_config_or_a_file_keeps_the_names_and_counts_nothing(tmp_path):
    model = two_layer_model()
    model.save(tmp_path / "m.npz")
    copies = [keras.models.clone_model(model), keras.Sequential.from_config(model.get_config()),
              keras.models.load_model(tmp_path / "m.npz")]
    assert all((copy.name, names(copy)) == ("sequential", ["dense", "dense_1"]) for copy in copies)
    assert layers.Dense(1).name == "dense_2"


def test_glassnets_own_helper_models_number_none_of_yours():
    from glassnet.workbench import line_reader

    reader = line_reader.line_model(width=64, seed=0)
    before = dict(naming._counts)
    line_reader.built_for_width(reader, 48)
    function = keras.backend.function([reader.inputs[0]], [reader.layers[0].output])
    assert function([np.zeros((1, 32, 64, 1), np.float32)])[0].shape == (1, 32, 64, 16)
    assert dict(naming._counts) == before


def test_a_traced_function_yields_its_layers_name_to_yours():
    """A Lambda traced into a Rescaling named it as if it weren't there (Keras makes none),
    so a Rescaling of yours made next takes "rescaling" too; the traced one moves aside."""
    inputs = keras.Input((3,))
    halved = layers.Lambda(lambda x: x / 2)(inputs)
    mine = layers.Rescaling(3.0)
    model = keras.Model(inputs, mine(halved))
    assert mine.name == "rescaling" and model.get_layer("rescaling") is mine
    assert len({layer.name for layer in model.graph_layers}) == len(model.graph_layers)
    np.testing.assert_allclose(model.predict(np.ones((1, 3), np.float32), verbose=0), 1.5)


# -- files written in one session load in another ------------------------------------------
class Residual(layers.Layer):
    """A layer of yours that makes its Dense layers in __init__: loaded later in a session,
    they are named anew (dense_7), not as in the file (dense)."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.inner = layers.Dense(units, activation="relu")
        self.project = layers.Dense(units)

    def call(self, x):
        return self.project(self.inner(x)) + x

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def residual_model():
    return keras.Sequential([keras.Input((4,)), Residual(4), layers.Dense(2)], seed=0)


def trained(model, epochs=2):
    x = np.random.default_rng(0).random((32, 4), dtype=np.float32)
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, np.ones((32, 2), np.float32), epochs=epochs, batch_size=8, verbose=0)
    return model, x


@pytest.mark.parametrize("name", ["w.npz", "w.weights.h5"])
def test_weights_saved_in_one_session_load_where_the_names_went_on(tmp_path, name):
    model, x = trained(two_layer_model())
    model.save_weights(tmp_path / name)
    keras.backend.clear_session()
    layers.Dense(1), layers.Dense(1)                     # a new session that made layers first
    again = two_layer_model()
    assert names(again) == ["dense_2", "dense_3"]
    again.load_weights(tmp_path / name)
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))


def test_a_model_file_whose_layers_make_layers_loads_with_its_optimizer_state(tmp_path):
    """The Residual's Dense layers are renamed by the session that loads the file; its weights
    and Adam's moments were then 'no weight of the model'."""
    model, x = trained(residual_model())
    model.save(tmp_path / "m.npz")
    layers.Dense(1), layers.Dense(1)
    loaded = keras.models.load_model(tmp_path / "m.npz", custom_objects={"Residual": Residual})
    assert [layer.name for layer in loaded.layers[0].sublayers] == ["dense_5", "dense_6"]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    for saved, restored in zip(model.get_optimizer_state()["m"].values(), loaded.get_optimizer_state()["m"].values()):
        np.testing.assert_array_equal(saved, restored)


def test_backup_and_restore_resumes_in_a_session_where_the_names_differ(tmp_path):
    """The optimizer's state is kept by weight path: restored into a model whose names the
    new session gave (dense_2, not dense), Adam's moments started again at zero in silence."""
    from glassnet.engine.callbacks import BackupAndRestore

    model, _ = trained(two_layer_model(), epochs=1)
    backup = BackupAndRestore(tmp_path)
    backup.set_model(model)
    backup.backup()
    keras.backend.clear_session()
    layers.Dense(1), layers.Dense(1)
    fresh = two_layer_model()
    fresh.compile(optimizer="adam", loss="mse")
    restorer = BackupAndRestore(tmp_path)
    restorer.set_model(fresh)
    restorer.restore(restorer.path)
    assert names(fresh) == ["dense_2", "dense_3"]
    for saved, restored in zip(model.get_optimizer_state()["m"].values(), fresh.get_optimizer_state()["m"].values()):
        assert np.any(saved) and np.array_equal(saved, restored)


def test_resuming_compares_architectures_without_names():
    from glassnet.engine.saving import architecture

    def network():
        return keras.Sequential([keras.Input((5, 3)), layers.Bidirectional(layers.GRU(2)), layers.Dense(1)])

    first = network()
    assert architecture(network()) == architecture(first)     # gru_1, forward_gru_1... inside
    assert architecture(keras.Sequential([keras.Input((5, 3)), layers.Bidirectional(layers.GRU(3)),
                                          layers.Dense(1)])) != architecture(first)


# -- against Keras itself --------------------------------------------------------------------
PROGRAM = """
first = keras.Sequential([keras.Input((4,)), layers.Dense(3), layers.Dense(2)])
second = keras.Sequential([keras.Input((4,)), layers.Dense(3), layers.Dropout(0.1), layers.Dense(2)])
inputs = keras.Input((4,))
x = layers.Dense(3)(inputs)
both = layers.Bidirectional(layers.LSTM(2))
functional = keras.Model(inputs, layers.add([x, layers.Dense(3)(inputs)]))
shown = [[m.name] + [layer.name for layer in m.layers] for m in (first, second, functional)]
shown.append([both.name, both.forward_layer.name, both.backward_layer.name, layers.LSTM(1).name])
keras.backend.clear_session()
shown.append([keras.Sequential([layers.Dense(1)]).name, layers.Dense(1).name])
"""


def run(module, source):
    namespace = {"keras": module, "layers": module.layers}
    module.backend.clear_session()
    exec(source, namespace)
    return namespace["shown"]


def test_names_are_keras_s():
    real = pytest.importorskip("keras")
    assert run(keras, PROGRAM) == run(real, PROGRAM)
