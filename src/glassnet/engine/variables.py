"""Variable: a number (or array) a custom metric keeps between batches, Keras 3's way.

Keras's custom metrics keep their running totals in variables::

    class TruePositives(keras.metrics.Metric):
        def __init__(self, name="tp", **kwargs):
            super().__init__(name=name, **kwargs)
            self.tp = self.add_variable(shape=(), name="tp", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.tp.assign_add(np.sum(...))

        def result(self):
            return self.tp

        def reset_state(self):
            self.tp.assign(0.0)

In glassnet a Variable is a NumPy array with those three methods; it converts to a float
or an array wherever a number is expected. (Layers keep their weights as plain arrays in
``params``; see :mod:`glassnet.engine.layers.base`.)
"""

import numpy as np


class Variable:
    """A named array you change in place: ``assign``, ``assign_add``, ``assign_sub``.

    ``trainable`` is Keras's default, True: held by a layer (``self.v = keras.Variable(...)``)
    it becomes one of the layer's learned weights, or its state if not trainable; a metric's
    running totals (``add_variable``) are not trainable. As in Keras,
    ``keras.Variable([[1.0, 2.0]])`` is float32 and ``keras.Variable(1)`` int32. TensorFlow's
    ``tf.Variable(initial_value=...)`` is the same (its first argument's name there)."""

    def __init__(self, initializer=0.0, shape=None, dtype=None, name="variable", trainable=True, initial_value=None):
        from glassnet.engine import initializers
        from glassnet.engine.tensor import keras_dtype

        if initial_value is not None:                          # tf.Variable(initial_value=...)
            initializer = initial_value

        if isinstance(initializer, str) or callable(initializer):
            value = initializers.get(initializer)(tuple(shape or ()), np.random.default_rng())
            dtype = dtype or "float32"
        else:
            value = initializer
            dtype = dtype or keras_dtype(value)                 # keras.Variable(1): int32, as in Keras
        self.value = np.array(value, dtype=dtype)
        if shape is not None and self.value.shape != tuple(shape):
            self.value = np.broadcast_to(self.value, tuple(shape)).astype(dtype)
        self.name, self.trainable = name, trainable

    def assign(self, value):
        self.value[...] = np.asarray(value)
        return self

    def assign_add(self, value):
        self.value += np.asarray(value, dtype=self.value.dtype)
        return self

    def assign_sub(self, value):
        self.value -= np.asarray(value, dtype=self.value.dtype)
        return self

    def numpy(self):
        return self.value.copy()

    @property
    def shape(self):
        return self.value.shape

    @property
    def dtype(self):
        return self.value.dtype

    def __array__(self, dtype=None, copy=None):
        return self.value if dtype is None else self.value.astype(dtype)

    def __float__(self):
        return float(self.value)

    # Arithmetic reads the value, as with a Keras variable: total / count is an array.
    def __add__(self, other):
        return self.value + np.asarray(other)

    def __radd__(self, other):
        return np.asarray(other) + self.value

    def __sub__(self, other):
        return self.value - np.asarray(other)

    def __rsub__(self, other):
        return np.asarray(other) - self.value

    def __mul__(self, other):
        return self.value * np.asarray(other)

    def __rmul__(self, other):
        return np.asarray(other) * self.value

    def __truediv__(self, other):
        return self.value / np.asarray(other)

    def __rtruediv__(self, other):
        return np.asarray(other) / self.value

    def __neg__(self):
        return -self.value

    def __repr__(self):
        return f"<Variable {self.name!r} {self.value!r}>"
