"""The handful of TensorFlow functions that TensorFlow's MNIST tutorials call around a Keras
model, on NumPy arrays, for programs that start ``import glassnet as tf``::

    x_train = x_train[..., tf.newaxis]
    noisy = tf.clip_by_value(x + 0.2 * tf.random.normal(shape=x.shape), 0., 1.)
    tf.math.confusion_matrix(labels, tf.argmax(predictions, axis=1))

Each is NumPy's function under TensorFlow's name; results are arrays that also answer
``.numpy()`` (:class:`~glassnet.engine.tensor.Tensor`). They compute values, not graphs: on a
placeholder of the Functional API they say it has no values yet.
"""

import collections
import types

import numpy as np

from glassnet import ops
from glassnet.engine.activations_api import sigmoid as _sigmoid
from glassnet.engine.tensor import as_tensor, keras_dtype

newaxis = None
float16, float32, float64 = np.float16, np.float32, np.float64
int8, int16, int32, int64, uint8 = np.int8, np.int16, np.int32, np.int64, np.uint8


def constant(value, dtype=None, shape=None, name=None):
    """Python numbers become float32 or int32, as in TensorFlow (NumPy: float64, int64)."""
    array = np.array(value, dtype=dtype or keras_dtype(value))
    return as_tensor(np.broadcast_to(array, shape).copy() if shape is not None else array)


def convert_to_tensor(value, dtype=None, name=None):
    return ops.convert_to_tensor(value, dtype)


def cast(x, dtype, name=None):
    return as_tensor(ops.cast(x, dtype))


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    return as_tensor(np.clip(t, clip_value_min, clip_value_max))


def argmax(input, axis=None, output_type=np.int64, name=None):
    return as_tensor(np.argmax(input, axis=0 if axis is None else axis).astype(output_type))


def argmin(input, axis=None, output_type=np.int64, name=None):
    return as_tensor(np.argmin(input, axis=0 if axis is None else axis).astype(output_type))


def _reduce(fn):
    def reduce(input_tensor, axis=None, keepdims=False, name=None):
        axis = tuple(axis) if isinstance(axis, (list, np.ndarray)) else axis    # axis=[1, 2, 3]
        x = input_tensor if hasattr(input_tensor, "dtype") else np.asarray(input_tensor, keras_dtype(input_tensor))
        out = fn(x, axis=axis, keepdims=keepdims)
        if x.dtype.kind in "iu" and fn in (np.sum, np.prod, np.mean):       # TensorFlow keeps int32 int32
            out = out.astype(x.dtype)
        return as_tensor(out)
    reduce.__name__ = f"reduce_{fn.__name__}"
    return reduce


reduce_sum, reduce_mean, reduce_max = _reduce(np.sum), _reduce(np.mean), _reduce(np.max)
reduce_min, reduce_prod = _reduce(np.min), _reduce(np.prod)


def matmul(a, b, transpose_a=False, transpose_b=False, name=None):
    """``a @ b``, either one transposed first (its last two axes swapped) when asked."""
    a = np.swapaxes(a, -1, -2) if transpose_a else a
    b = np.swapaxes(b, -1, -2) if transpose_b else b
    return as_tensor(np.matmul(a, b))


def _elementwise(function):
    def apply(*args, name=None):
        if not any(hasattr(a, "dtype") for a in args):    # tf.math.log(2. * np.pi): float32, as in TF
            args = [np.asarray(a, keras_dtype(a)) for a in args]
        return as_tensor(function(*args))
    apply.__name__ = function.__name__
    return apply


square, sqrt, exp, log, abs = (_elementwise(f) for f in (np.square, np.sqrt, np.exp, np.log, np.abs))
ceil, floor, round = _elementwise(np.ceil), _elementwise(np.floor), _elementwise(np.round)  # round: half to even
tanh, sigmoid, pow = _elementwise(np.tanh), _elementwise(_sigmoid), _elementwise(np.power)
maximum, minimum = _elementwise(np.maximum), _elementwise(np.minimum)
add, subtract, multiply, divide = (_elementwise(f) for f in (np.add, np.subtract, np.multiply, np.divide))
equal, not_equal, greater, less = (_elementwise(f) for f in (np.equal, np.not_equal, np.greater, np.less))


def transpose(a, perm=None, name=None):
    return as_tensor(np.transpose(a, perm))


def concat(values, axis, name=None):
    return as_tensor(np.concatenate(list(values), axis=axis))


def stack(values, axis=0, name=None):
    return as_tensor(np.stack(list(values), axis=axis))


def where(condition, x=None, y=None, name=None):
    return as_tensor(np.where(condition, x, y))


def zeros_like(input, dtype=None, name=None):
    return as_tensor(np.zeros_like(ops._data_of(input), dtype=dtype))


def ones_like(input, dtype=None, name=None):
    return as_tensor(np.ones_like(ops._data_of(input), dtype=dtype))


def expand_dims(input, axis, name=None):
    return as_tensor(np.expand_dims(input, axis))


def squeeze(input, axis=None, name=None):
    return as_tensor(np.squeeze(input, axis=axis))


def reshape(tensor, shape, name=None):
    return as_tensor(np.reshape(tensor, shape))


def linspace(start, stop, num, name=None, axis=0):
    """``num`` evenly spaced numbers from ``start`` to ``stop``, both included (the regression
    tutorial's ``tf.linspace(0.0, 250, 251)``): float32, as TensorFlow gives them."""
    return as_tensor(ops.linspace(start, stop, num, axis=axis))


def range(start, limit=None, delta=1, dtype=None, name="range"):
    """``tf.range(10)`` or ``tf.range(2, 10, 2)``: int32 for whole numbers, float32 otherwise."""
    return as_tensor(ops.arange(start, limit, delta, dtype=dtype))


def zeros(shape, dtype=np.float32, name=None):
    return as_tensor(ops.zeros(shape, dtype))


def ones(shape, dtype=np.float32, name=None):
    return as_tensor(ops.ones(shape, dtype))


def shape(input, out_type=np.int32, name=None):
    return as_tensor(np.array(np.shape(input), dtype=out_type))


def size(input, out_type=np.int32, name=None):
    return as_tensor(np.array(np.size(input), dtype=out_type))


def rank(input, name=None):
    return as_tensor(np.array(np.ndim(input), dtype=np.int32))


def executing_eagerly():
    """True: glassnet runs every line as it comes (there are no graphs to build)."""
    return True


def print(*inputs, output_stream=None, sep=" ", end="\n", **kwargs):
    """TensorFlow's ``tf.print``: the values, as arrays print."""
    import builtins
    builtins.print(*(np.asarray(i) if hasattr(i, "shape") else i for i in inputs), sep=sep, end=end)


def py_function(func, inp, Tout, name=None):
    """``func(*inp)``, its results cast to ``Tout`` (one dtype, or a list of them): in
    TensorFlow the way to run plain Python inside ``Dataset.map``; glassnet runs Python anyway."""
    result = func(*inp)
    if isinstance(Tout, (list, tuple)):
        return [as_tensor(np.asarray(r, dtype=t)) for r, t in zip(result, Tout)]
    return as_tensor(np.asarray(result, dtype=Tout))


numpy_function = py_function     # tf.numpy_function(func, inp, Tout): the same here


TopK = collections.namedtuple("TopKV2", ["values", "indices"])


def top_k(input, k=1, sorted=True, name=None):
    """The ``k`` largest entries of the last axis and where they are, largest first."""
    values, indices = ops.top_k(input, k)
    return TopK(as_tensor(values), as_tensor(indices))


def add_n(inputs, name=None):
    """The sum of a list of arrays of one shape (``tf.add_n(model.losses)``): recorded math
    (a loss of your own) stays recorded."""
    inputs = list(inputs)
    if not inputs:
        raise ValueError("add_n: needs at least one input to add")
    total = inputs[0]
    for value in inputs[1:]:
        total = total + value
    return as_tensor(total)


def one_hot(indices, depth, on_value=1.0, off_value=0.0, dtype=np.float32, name=None):
    hot = ops.one_hot(indices, depth, dtype=np.float64)
    return as_tensor((off_value + (on_value - off_value) * hot).astype(dtype))


def confusion_matrix(labels, predictions, num_classes=None, weights=None, dtype=np.int32, name=None):
    """``[i, j]``: how many samples of class ``i`` were predicted as class ``j``
    (:func:`glassnet.workbench.metrics.confusion_matrix`, TensorFlow's default of
    ``max label + 1`` classes)."""
    from glassnet.workbench.metrics import confusion_matrix as count

    if weights is not None:
        raise ValueError("tf.math.confusion_matrix: weights= is not supported by glassnet")
    labels, predictions = np.asarray(labels).reshape(-1), np.asarray(predictions).reshape(-1)
    if num_classes is None:
        num_classes = int(max(labels.max(initial=-1), predictions.max(initial=-1))) + 1
    return as_tensor(count(labels, predictions, num_classes=num_classes).astype(dtype))


class SeedGenerator:
    """Keras 3's ``keras.random.SeedGenerator(seed)``: a stream of random numbers a layer
    keeps (``keras.random.normal(shape, seed=self.seed_generator)``), so its draws are
    repeatable from ``seed`` and differ from call to call."""

    def __init__(self, seed=None, name=None, **kwargs):
        from glassnet.engine.random import new_seed
        self.generator = np.random.default_rng(new_seed() if seed is None else seed)


def _random(seed):
    """The generator for one call: its own ``seed=`` (a number or a SeedGenerator),
    tf.random.set_seed's, or a fresh one seeded from ``keras.utils.set_random_seed``'s
    stream (entropy when that was never called)."""
    from glassnet.engine.random import new_seed, tf_draws

    if isinstance(seed, SeedGenerator):
        return seed.generator
    if seed is not None:
        return np.random.default_rng(seed)
    return tf_draws() if tf_draws() is not None else np.random.default_rng(new_seed())


def _normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None, name=None):
    return as_tensor(_random(seed).normal(mean, stddev, tuple(shape)).astype(dtype or np.float32))


def _uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None, name=None):
    return as_tensor(_random(seed).uniform(minval, maxval, tuple(shape)).astype(dtype or np.float32))


def _randint(shape, minval, maxval, dtype="int32", seed=None, name=None):
    """Keras 3's ``keras.random.randint``: whole numbers from ``minval`` up to ``maxval`` (not included)."""
    return as_tensor(_random(seed).integers(minval, maxval, size=tuple(shape)).astype(dtype))


def _truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None, name=None):
    """Keras 3's ``keras.random.truncated_normal``: normal draws, those beyond two standard
    deviations drawn again (the truncated normal initializer's)."""
    from glassnet.engine.initializers import truncated_standard_normal
    values = mean + stddev * truncated_standard_normal(tuple(shape), _random(seed))
    return as_tensor(values.astype(dtype or np.float32))


def _shuffle(x, axis=0, seed=None, name=None):
    """Keras 3's ``keras.random.shuffle``: ``x`` in a random order along ``axis``."""
    return as_tensor(_random(seed).permutation(np.asarray(x), axis=axis))


def _dropout(inputs, rate, noise_shape=None, seed=None):
    """Keras 3's ``keras.random.dropout``: each entry kept with probability ``1 - rate`` and
    scaled by ``1 / (1 - rate)`` (a mask drawn for ``noise_shape``, broadcast, if given)."""
    if not 0 <= rate < 1:
        raise ValueError(f"keras.random.dropout: rate must be in [0, 1), got {rate!r}")
    shape = tuple(np.shape(inputs)) if noise_shape is None else tuple(noise_shape)
    keep = (_random(seed).random(shape) >= rate) / (1.0 - rate)
    return as_tensor(inputs * keep.astype(ops.dtype(inputs)))


def _categorical(logits, num_samples, dtype="int32", seed=None, name=None):
    """``num_samples`` class indices for each row of ``logits`` (unnormalized log-probabilities)."""
    logits = np.asarray(logits, np.float64)
    probabilities = np.exp(logits - logits.max(axis=-1, keepdims=True))
    probabilities /= probabilities.sum(axis=-1, keepdims=True)
    generator = _random(seed)
    draws = [generator.choice(len(row), size=int(num_samples), p=row) for row in probabilities]
    return as_tensor(np.array(draws).astype(dtype))


def _gamma(shape, alpha, dtype=None, seed=None):
    return as_tensor(_random(seed).gamma(alpha, 1.0, tuple(shape)).astype(dtype or np.float32))


def _beta(shape, alpha, beta, dtype=None, seed=None):
    return as_tensor(_random(seed).beta(alpha, beta, tuple(shape)).astype(dtype or np.float32))


def _binomial(shape, counts, probabilities, dtype=None, seed=None):
    return as_tensor(_random(seed).binomial(counts, probabilities, tuple(shape)).astype(dtype or np.float32))


def _set_seed(seed):
    from glassnet.engine.random import set_tf_seed
    set_tf_seed(seed)


class _Functions(types.SimpleNamespace):
    """A namespace of functions (``keras.random``, ``tf.math``) that names one it lacks."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(f"glassnet's {self.__dict__.get('_label', 'namespace')} has no {name!r}; it has "
                             f"{', '.join(sorted(k for k in vars(self) if not k.startswith('_')))}")


# keras.random and tf.random: Keras 3's functions, with TensorFlow's argument names where they differ.
random = _Functions(_label="random", normal=_normal, uniform=_uniform, truncated_normal=_truncated_normal,
                    randint=_randint, shuffle=_shuffle, categorical=_categorical, gamma=_gamma, beta=_beta,
                    binomial=_binomial, dropout=_dropout, set_seed=_set_seed, SeedGenerator=SeedGenerator)
greater_equal, less_equal = _elementwise(np.greater_equal), _elementwise(np.less_equal)
sign, sin, cos = _elementwise(np.sign), _elementwise(np.sin), _elementwise(np.cos)
logical_and, logical_or, logical_not = (_elementwise(f) for f in (np.logical_and, np.logical_or, np.logical_not))
reduce_any, reduce_all = _reduce(np.any), _reduce(np.all)
reduce_std, reduce_variance = _reduce(np.std), _reduce(np.var)

# tf.math: the element-wise and reducing functions above under one roof, as TensorFlow has
# them (an anomaly detector's tf.math.less(loss, threshold)), and the few that live only there.
math = _Functions(
    _label="math", abs=abs, add=add, subtract=subtract, multiply=multiply, divide=divide, pow=pow, exp=exp, log=log,
    log1p=_elementwise(np.log1p), sqrt=sqrt, square=square, tanh=tanh, sigmoid=sigmoid, sign=sign, sin=sin,
    cos=cos, ceil=ceil, floor=floor, round=round, maximum=maximum, minimum=minimum, equal=equal,
    not_equal=not_equal, greater=greater, greater_equal=greater_equal, less=less, less_equal=less_equal,
    logical_and=logical_and, logical_or=logical_or, logical_not=logical_not, is_nan=_elementwise(np.isnan),
    reduce_sum=reduce_sum, reduce_mean=reduce_mean, reduce_max=reduce_max, reduce_min=reduce_min,
    reduce_prod=reduce_prod, reduce_any=reduce_any, reduce_all=reduce_all, reduce_std=reduce_std,
    reduce_variance=reduce_variance, argmax=argmax, argmin=argmin, confusion_matrix=confusion_matrix,
    add_n=add_n, top_k=top_k)



# tf.dtypes: the dtypes and cast, where older programs reach for them (tf.dtypes.cast(x, tf.int32)).
dtypes = types.SimpleNamespace(cast=cast, float16=float16, float32=float32, float64=float64, int8=int8,
                               int16=int16, int32=int32, int64=int64, uint8=uint8)

def function(func=None, input_signature=None, autograph=True, jit_compile=None, reduce_retracing=False,
             **options):
    """``@tf.function``: TensorFlow traces the function into a graph and runs that; glassnet
    runs NumPy as it goes, so the function is returned as it is (what TensorFlow does with
    ``tf.config.run_functions_eagerly(True)``). The numbers are the same; Python code
    in it (a print) runs every call, not only while tracing."""
    if func is None:
        return lambda f: f
    return func


NAMES = ["abs", "function", "add", "add_n", "py_function", "numpy_function", "dtypes", "gather", "print", "sort", "tile", "cos", "equal", "greater_equal", "less_equal", "logical_and", "logical_not",
         "logical_or", "reduce_all", "reduce_any", "sign", "sin", "executing_eagerly", "greater", "less", "not_equal", "rank", "shape",
         "size", "floor", "linspace", "ones", "range", "round", "zeros", "concat", "divide", "exp", "log", "maximum", "minimum", "multiply", "ones_like", "pow",
         "sigmoid", "sqrt", "square", "stack", "subtract", "tanh", "transpose", "where", "zeros_like", "argmax", "argmin", "cast", "clip_by_value", "constant", "convert_to_tensor", "expand_dims",
         "float16", "float32", "float64", "int8", "int16", "int32", "int64", "math", "matmul", "newaxis", "one_hot",
         "random", "reduce_max", "reduce_mean", "reduce_min", "reduce_prod", "reduce_sum", "reshape", "squeeze",
         "uint8"]

# The rest of TensorFlow's functions, one module per group: tf_arrays (tf.split, tf.pad,
# tf.gather_nd...), tf_math, tf_linalg (tf.linalg, tf.clip_by_norm...), tf_control (tf.cond,
# tf.while_loop, tf.map_fn, tf.scan), tf_graph (tf.name_scope, tf.device, tf.custom_gradient...).
from glassnet import tf_arrays as _arrays, tf_control as _control, tf_graph as _graph  # noqa: E402
from glassnet import tf_linalg as _linalg, tf_math as _math, tf_random as _random_more  # noqa: E402
from glassnet.tf_nn import l2_normalize as _l2_normalize  # noqa: E402

for _module in (_arrays, _control, _graph, _linalg):
    globals().update({_name: getattr(_module, _name) for _name in _module.NAMES})
    NAMES += [_name for _name in _module.NAMES if _name not in NAMES]
globals().update({_name: _math.MATH[_name] for _name in _math.TOP_LEVEL})
vars(math).update(_math.MATH, cumsum=_arrays.cumsum, cumprod=_arrays.cumprod, l2_normalize=_l2_normalize)
vars(random).update(_random_more.RANDOM)
linalg = _linalg.linalg
bool, double, half = np.bool_, np.float64, np.float16
uint16, uint32, uint64, complex64, complex128 = np.uint16, np.uint32, np.uint64, np.complex64, np.complex128
NAMES += _math.TOP_LEVEL + ["linalg", "bool", "double", "half", "uint16", "uint32", "uint64", "complex64",
                            "complex128"]
