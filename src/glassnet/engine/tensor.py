"""Tensor: a NumPy array that answers ``.numpy()``, as TensorFlow's tensors do.

glassnet computes with NumPy arrays from end to end. Keras 3 on TensorFlow hands back
*tensors* where a program calls a model (``model(x)``), a loss (``loss_fn(y, p)``) or
``tf.nn.softmax``, and the tutorials turn them into arrays with ``.numpy()``::

    predictions = model(x_train[:1]).numpy()     # the TensorFlow beginner quickstart

So those calls return a :class:`Tensor`: an ordinary ``np.ndarray`` in every way (it prints,
slices and computes as one), with one method more. So do a layer called on an array
(``normalizer(x).numpy()``) and a layer's weights asked for by Keras's names
(``normalizer.mean.numpy()``, ``dense.kernel``: views, so writing into one writes the layer).
``predict`` returns plain arrays, as in Keras.
"""

import numpy as np

from glassnet.engine.autodiff import Value, data_of


class Tensor(np.ndarray):
    """An ``np.ndarray`` with TensorFlow's ``.numpy()``; see the module docstring."""

    def numpy(self):
        """The values as a plain NumPy array (the same memory, no copy); a single string as
        bytes, as TensorFlow gives it (``chars_from_ids(i).numpy().decode("utf-8")``)."""
        if self.ndim == 0 and self.dtype.kind in "US":
            value = self.item()
            return value.encode("utf-8") if isinstance(value, str) else value
        return self.view(np.ndarray)

    # A layer's weight is such a view, so Keras's Variable methods write the layer itself:
    # ``layer.kernel.assign(new_kernel)``, ``for w in model.weights: w.assign(...)``, and a
    # state kept by a layer's call() (keras.io's ComputeSum: ``self.total.assign_add(...)``;
    # an update carries no gradient, so recorded math gives just its values).
    def assign(self, value):
        """Write ``value`` into this array, in place (Keras's ``Variable.assign``)."""
        self[...] = np.asarray(data_of(value))
        return self

    def assign_add(self, delta):
        self += np.asarray(data_of(delta), self.dtype)
        return self

    def assign_sub(self, delta):
        self -= np.asarray(data_of(delta), self.dtype)
        return self

    # TensorFlow's static-shape methods. A tensor here always has its full shape, so
    # ``set_shape`` (the time-series tutorial's ``inputs.set_shape([None, width, None])``)
    # only checks that the shape it is told agrees, as TensorFlow does.
    def set_shape(self, shape):
        """Check that ``shape`` (None for a size left open) fits this tensor's shape."""
        shape = None if shape is None else list(shape)
        if shape is not None and (len(shape) != self.ndim or any(
                want is not None and want != have for want, have in zip(shape, self.shape))):
            raise ValueError(f"set_shape: a tensor of shape {self.shape} can't take shape {tuple(shape)}")

    def __getitem__(self, index):
        """A slice as NumPy's; a single string stays a Tensor, so that TensorFlow's text
        tutorials' ``result[0].numpy().decode("utf-8")`` reads it (numbers stay NumPy's scalars)."""
        item = super().__getitem__(index)
        return np.asarray(item).view(Tensor) if isinstance(item, (np.str_, np.bytes_)) else item

    # That single string also reads as the str it holds: its methods (``text.startswith``)
    # and, as a dict key, its hash.
    def __getattr__(self, name):
        if self.ndim == 0 and self.dtype.kind in "US" and not name.startswith("__"):
            return getattr(self.item(), name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __hash__(self):
        if self.ndim == 0 and self.dtype.kind in "US":
            return hash(self.item())
        raise TypeError("unhashable type: a Tensor of more than one value")

    def get_shape(self):
        return self.shape

    @property
    def value(self):
        """Keras's ``Variable.value``: the values themselves."""
        return self


class Scalar(float):
    """A metric's result: a Python float that also answers TensorFlow's ``.numpy()``, as
    Keras's result (a tensor) does: ``train_loss.result().numpy()`` in TensorFlow's loops."""

    def numpy(self):
        return np.float32(self)

    dtype = np.dtype(np.float32)
    shape = ()


def as_tensor(value):
    """``value`` (an array, a number, or a list of arrays for a model with several outputs)
    as :class:`Tensor` (a view: nothing is copied)."""
    if isinstance(value, (list, tuple)):
        return type(value)(as_tensor(v) for v in value)
    if isinstance(value, Value):           # recorded math (engine/autodiff.py): kept as it is
        return value
    return np.asarray(value).view(Tensor)


def keras_dtype(value):
    """The dtype Keras 3 gives ``value`` when it makes a tensor or a variable of it: an array
    keeps its own, while Python numbers (and lists of them) become float32 or int32, Keras's
    and TensorFlow's defaults, where NumPy would take float64 or int64."""
    if hasattr(value, "dtype"):
        return np.dtype(value.dtype)
    kind = np.asarray(value).dtype.kind
    return np.dtype({"f": np.float32, "i": np.int32, "u": np.int32}.get(kind, np.asarray(value).dtype))
