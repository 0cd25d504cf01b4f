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
