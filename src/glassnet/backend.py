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
    """Start the automatic names again: the next ``Dense()`` is ``dense``, the next model
    ``sequential`` or ``functional``, as after Keras's ``clear_session()``. (Keras also
    forgets its graphs; glassnet keeps none between models.) ``free_memory``: collect
    Python's garbage too, as Keras does."""
    from glassnet.engine import naming

    naming.reset_uids()
    if free_memory:
        import gc
        gc.collect()


def get_uid(prefix=""):
    """Keras's ``keras.backend.get_uid``: one more of ``prefix`` counted, and the count
    (1 the first time); the same counts that number automatic layer names."""
    from glassnet.engine import naming

    return naming.get_uid(prefix)


def is_keras_tensor(x):
    """True for a placeholder made by ``Input(...)`` or a layer called on one."""
    from glassnet.engine import symbolic

    return symbolic.is_symbolic(x)


# -- Keras 3's dtype helpers ------------------------------------------------------------------
def standardize_dtype(dtype):
    """Keras's name of a dtype: ``"float32"``, ``"int64"``, ``"bool"``, ``"string"``; Python's
    ``float`` is ``"float32"`` and ``int`` ``"int64"`` (Keras's floatx and default int); None is
    ``floatx()``. An object with a ``dtype`` (an array) gives its own."""
    import numpy

    if dtype is None:
        return floatx()
    if dtype is float:
        return "float32"
    if dtype is int:
        return "int64"
    if dtype in ("string", str):
        return "string"
    dtype = getattr(dtype, "dtype", dtype) if not isinstance(dtype, (str, type)) else dtype
    try:
        return numpy.dtype(dtype).name
    except TypeError:
        raise ValueError(f"Invalid dtype: {dtype!r}") from None


def is_float_dtype(dtype):
    """True for a floating-point dtype (``"float16"``, ``"float32"``, ``"float64"``)."""
    return standardize_dtype(dtype).startswith(("float", "bfloat"))


def is_int_dtype(dtype):
    """True for an integer dtype, signed or not."""
    return standardize_dtype(dtype).startswith(("int", "uint"))


def result_type(*dtypes):
    """The dtype an operation on these dtypes gives, as Keras promotes them: with a float
    among them, the widest float (``int64`` and ``float32``: ``float32``, where NumPy would say
    ``float64``); integers alone as NumPy promotes them; a Python ``float`` with integers, or
    no dtype at all, ``floatx()``."""
    import numpy

    if not dtypes:
        return floatx()
    names = [standardize_dtype(d) for d in dtypes if d is not float and d is not int]
    weak_float = any(d is float for d in dtypes)
    if not names:
        return floatx() if weak_float else "int64"
    floats = [name for name in names if is_float_dtype(name)]
    if floats:                 # Keras's (JAX's) lattice: integers give way to any float
        return numpy.result_type(*floats).name
    return floatx() if weak_float else numpy.result_type(*names).name


# -- Keras 2's backend math, for the custom metrics and losses of older programs ------------
# The classic Kaggle F1 metric, word for word:
#
#     def recall_m(y_true, y_pred):
#         true_positives = K.sum(K.round(K.clip(y_true * y_pred, 0, 1)))
#         possible_positives = K.sum(K.round(K.clip(y_true, 0, 1)))
#         return true_positives / (possible_positives + K.epsilon())
#
# Here each is NumPy's function under Keras 2's name (Keras 3 removed them; use keras.ops).
# A metric computes on arrays, so these just work; a loss written with them is
# differentiated by recording its math (glassnet.engine.autodiff; K.round has no gradient).
import numpy as _np  # noqa: E402

from glassnet import ops as _ops  # noqa: E402

cast = _ops.cast

mean, sum, max, min, prod, std = _np.mean, _np.sum, _np.max, _np.min, _np.prod, _np.std
square, sqrt, exp, log, abs, sign = _np.square, _np.sqrt, _np.exp, _np.log, _np.abs, _np.sign
round, pow, maximum, minimum, equal, dot = _np.round, _np.power, _np.maximum, _np.minimum, _np.equal, _np.dot
ones_like, zeros_like, stack, concatenate, clip = _np.ones_like, _np.zeros_like, _np.stack, _np.concatenate, _np.clip


def get_value(x):
    """Keras 2's ``K.get_value(model.optimizer.lr)``: the value as a NumPy number or array."""
    return x.numpy() if hasattr(x, "numpy") else _np.asarray(x)


def set_value(x, value):
    """Keras 2's ``K.set_value(model.optimizer.lr, 0.001)`` (learning-rate finders and the
    schedules of older programs): written through the variable's ``assign``."""
    if not hasattr(x, "assign"):
        raise TypeError(f"K.set_value: a {type(x).__name__} can't be changed in place; pass a variable, "
                        f"such as model.optimizer.learning_rate")
    x.assign(value)


class _LearningPhase:
    """Keras 2's ``K.learning_phase()``: a placeholder among :func:`function`'s inputs whose
    value (0 predicting, 1 training) says how Dropout and BatchNormalization run."""

    def __repr__(self):
        return "<learning phase>"


_LEARNING_PHASE = _LearningPhase()


def learning_phase():
    return _LEARNING_PHASE


def function(inputs, outputs, updates=None, name=None, **kwargs):
    """Keras 2's ``K.function([model.input], [layer.output])``, which older programs use to
    see inside a network: a function of a list of input arrays that returns the list of the
    outputs' values. ``K.learning_phase()`` among the inputs takes 0 or 1 (training)."""
    from glassnet.engine import naming
    from glassnet.engine.model import Model

    inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    phase = [i for i, tensor in enumerate(inputs) if tensor is _LEARNING_PHASE]
    several = isinstance(outputs, (list, tuple))
    with naming.hidden():            # a model of glassnet's own: the next of yours is still "functional"
        model = Model([t for t in inputs if t is not _LEARNING_PHASE], list(outputs) if several else outputs)

    def run(values):
        values = list(values) if isinstance(values, (list, tuple)) else [values]
        training = bool(values[phase[0]]) if phase else False
        arrays = [v for i, v in enumerate(values) if i not in phase]
        result = model(arrays if len(arrays) > 1 else arrays[0], training=training)
        result = [_np.asarray(r) for r in (result if isinstance(result, list) else [result])]
        return result if several else result[0]
    return run


def argmax(x, axis=-1):
    return _np.argmax(x, axis=axis)


def flatten(x):
    return _np.reshape(x, -1)


def binary_crossentropy(target, output, from_logits=False):
    from glassnet.engine.losses import binary_crossentropy as bce
    return bce(target, output, from_logits=from_logits)


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    from glassnet.engine.losses import categorical_crossentropy as cce
    return cce(target, output, from_logits=from_logits, axis=axis)


# Keras 2's CTC (the keras.io OCR tutorial before Keras 3): softmax probabilities in, the
# blank the last class, lengths as (N, 1) columns.
def ctc_batch_cost(y_true, y_pred, input_length, label_length):
    """Keras 2's ``K.ctc_batch_cost``: the CTC loss of each sample, ``(N, 1)``.

    ``y_true`` ``(N, L)`` labels (the first ``label_length`` of each count); ``y_pred``
    ``(N, T, C)`` softmax probabilities, the blank class ``C - 1``; ``input_length`` and
    ``label_length`` ``(N, 1)``. It is :func:`glassnet.ops.ctc_loss` on ``log(y_pred + epsilon)``
    (recorded in a layer's call(), as the tutorial's CTCLayer calls it)."""
    from glassnet.engine.autodiff import data_of

    def column(lengths):
        return _np.reshape(data_of(lengths), -1).astype(_np.int32)
    classes = _np.shape(data_of(y_pred))[-1]
    losses = _ops.ctc_loss(_np.asarray(data_of(y_true)).astype(_np.int32), _np.log(y_pred + epsilon()),
                           column(label_length), column(input_length), mask_index=classes - 1)
    return _np.expand_dims(losses, 1)


def ctc_decode(y_pred, input_length, greedy=True, beam_width=100, top_paths=1):
    """Keras 2's ``K.ctc_decode``: best-path decoding of softmax probabilities ``(N, T, C)``
    (blank ``C - 1``), as ``([decoded], log_prob)``: decoded ``(N, T)`` class indices padded
    with -1, log_prob ``(N, 1)`` minus the sum of each step's largest log-probability."""
    if not greedy:
        raise ValueError("K.ctc_decode(greedy=False): Keras 2's beam search (which also merges repeated labels) "
                         "is not in glassnet; use keras.ops.ctc_decode(..., strategy='beam_search')")
    log_p = _np.log(_np.asarray(y_pred, _np.float32) + epsilon())
    decoded, scores = _ops.ctc_decode(log_p, _np.reshape(input_length, -1), mask_index=-1)
    return [decoded[0]], scores
