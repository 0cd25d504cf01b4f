"""What TensorFlow programs write for TensorFlow's graphs and devices (``tf.name_scope``,
``tf.device``, ``tf.control_dependencies``, ``tf.ensure_shape``, ``tf.debugging``'s
asserts), for programs that start ``import glassnet as tf``. glassnet runs every line as it
comes, on the CPU, so these scopes change nothing and the checks run at once.

Also here: ``tf.custom_gradient``, which puts a gradient of your own on a function
(TensorFlow's guide: a numerically stable ``log(1 + exp(x))``, gradient clipping)::

    @tf.custom_gradient
    def clip_gradients(y):
        def backward(dy):
            return tf.clip_by_norm(dy, 0.5)
        return y, backward
"""

import contextlib

import numpy as np

from glassnet import initializers
from glassnet.engine.autodiff import Value, data_of, lift, record
from glassnet.engine.tensor import Tensor, as_tensor
from glassnet.tf_arrays import _in


def name_scope(name):
    """``with tf.name_scope("encoder"):``: names are for TensorFlow's graph; nothing changes here."""
    return contextlib.nullcontext(name)


def device(device_name):
    """``with tf.device("/CPU:0"):``: glassnet computes on the CPU, whatever is asked."""
    return contextlib.nullcontext()


def control_dependencies(control_inputs):
    """Lines run in order already: nothing to add."""
    return contextlib.nullcontext()


def no_op(name=None):
    return None


def is_tensor(x):
    return isinstance(x, (Tensor, Value))


def get_static_value(tensor, partial=False):
    return np.asarray(data_of(tensor))


def ensure_shape(x, shape, name=None):
    """``x``, once its shape is checked against ``shape`` (None: any size)."""
    if shape is not None and (len(shape) != np.ndim(data_of(x)) or any(
            want is not None and want != have for want, have in zip(shape, np.shape(data_of(x))))):
        raise ValueError(f"tf.ensure_shape: shape {tuple(np.shape(data_of(x)))} is not compatible with {tuple(shape)}")
    return as_tensor(_in(x))


def identity_n(input, name=None):
    return [as_tensor(_in(x)) for x in input]


def shape_n(input, out_type=np.int32, name=None):
    return [as_tensor(np.array(np.shape(data_of(x)), out_type)) for x in input]


def _assert(check, words):
    def assertion(x, y, message=None, summarize=None, name=None):
        if not np.all(check(np.asarray(data_of(x)), np.asarray(data_of(y)))):
            raise AssertionError(message or f"Condition x {words} y did not hold element-wise")
    assertion.__name__ = f"assert_{words.replace(' ', '_')}"
    return assertion


assert_equal, assert_greater, assert_less = (_assert(np.equal, "equal"), _assert(np.greater, "greater"),
                                             _assert(np.less, "less"))


def assert_rank(x, rank, message=None, name=None):
    if np.ndim(data_of(x)) != rank:
        raise ValueError(message or f"tf.assert_rank: rank {np.ndim(data_of(x))}, expected {rank}")


def custom_gradient(f=None):
    """``f(*x)`` returns ``(y, grad)``; recorded math then uses ``grad(dy)`` (one gradient per
    ``x``) as ``y``'s gradient rule, instead of differentiating ``f``'s own math."""
    def wrapped(*args, **kwargs):
        y, grad = f(*[as_tensor(data_of(a)) if isinstance(a, Value) else a for a in args], **kwargs)
        if not any(isinstance(a, Value) for a in args):
            return y
        if isinstance(y, (list, tuple)):
            raise NotImplementedError("tf.custom_gradient: glassnet supports a function with one output")

        def backward(g):
            grads = grad(as_tensor(g))
            grads = grads if isinstance(grads, (list, tuple)) else [grads]
            return [None if d is None else np.asarray(data_of(d)) for d in grads]
        return record(np.asarray(data_of(y)), [lift(a) for a in args], backward)
    wrapped.__name__, wrapped.__doc__ = f.__name__, f.__doc__
    return wrapped


class TensorShape(tuple):
    """``tf.TensorShape([None, 28, 28])``: a tuple of sizes (None: not known), with TensorFlow's
    ``as_list``, ``rank`` and ``is_compatible_with``."""

    def __new__(cls, dims=()):
        return super().__new__(cls, () if dims is None else (None if d is None else int(d) for d in dims))

    rank = property(len)

    def as_list(self):
        return list(self)

    def is_compatible_with(self, other):
        other = TensorShape(other)
        return len(self) == len(other) and all(a is None or b is None or a == b for a, b in zip(self, other))

    def __repr__(self):
        return f"TensorShape({list(self)})"


# TensorFlow 2's names for Keras's initializers.
zeros_initializer, ones_initializer = initializers.Zeros, initializers.Ones
constant_initializer = initializers.Constant
random_normal_initializer, random_uniform_initializer = initializers.RandomNormal, initializers.RandomUniform

NAMES = ["TensorShape", "name_scope", "device", "control_dependencies", "no_op", "is_tensor", "get_static_value", "ensure_shape",
         "identity_n", "shape_n", "assert_equal", "assert_greater", "assert_less", "assert_rank", "custom_gradient",
         "zeros_initializer", "ones_initializer", "constant_initializer", "random_normal_initializer",
         "random_uniform_initializer"]
