"""``glassnet.backend``: what Keras programs ask ``keras.backend`` (``from keras import backend as K``).

glassnet has one backend, NumPy, and one image layout: ``(batch, height, width, channels)``,
Keras's default ``"channels_last"``. The classic Keras examples ask before reshaping::

    if K.image_data_format() == 'channels_first':
        x_train = x_train.reshape(x_train.shape[0], 1, img_rows, img_cols)
    else:
        x_train = x_train.reshape(x_train.shape[0], img_rows, img_cols, 1)

A setting glassnet can't honour (channels first, another epsilon) is an error, not ignored.
"""

from glassnet.engine.losses import EPSILON


def backend():
    """The name of the backend: ``"numpy"`` (Keras: ``"tensorflow"``, ``"jax"``, ``"torch"``)."""
    return "numpy"


def image_data_format():
    """``"channels_last"``: images are ``(batch, height, width, channels)``."""
    return "channels_last"


def set_image_data_format(data_format):
    """Only ``"channels_last"`` is possible in glassnet."""
    if data_format != "channels_last":
        raise ValueError(f"glassnet's image layers take (batch, height, width, channels), Keras's "
                         f"'channels_last'; {data_format!r} is not supported")


def floatx():
    """The default float type of weights and layer outputs: ``"float32"``."""
    return "float32"


def set_floatx(value):
    """Only ``"float32"`` is the default in glassnet (a layer's ``dtype=`` can ask for float64)."""
    if value != "float32":
        raise ValueError(f"glassnet's default float type is float32; set_floatx({value!r}) is not "
                         f"supported (give a layer dtype='float64' instead)")


def epsilon():
    """The small number that keeps logarithms finite: probabilities are clipped to
    ``[epsilon, 1 - epsilon]`` in the cross-entropy losses (1e-7, as in Keras)."""
    return EPSILON


def set_epsilon(value):
    """glassnet's epsilon is fixed at 1e-7."""
    if value != EPSILON:
        raise ValueError(f"glassnet's epsilon is fixed at {EPSILON}; set_epsilon({value!r}) is not supported")


def clear_session(free_memory=True):
    """Keras forgets the layers and graphs it made so far. glassnet keeps nothing between
    models (each model names its own layers), so there is nothing to clear."""


def is_keras_tensor(x):
    """True for a placeholder made by ``Input(...)`` or a layer called on one."""
    from glassnet.engine import symbolic

    return symbolic.is_symbolic(x)
