"""``tf.TensorSpec``: the shape and dtype of one array, as ``from_generator``'s
``output_signature`` gives them and ``Dataset.element_spec`` reports them; ``DatasetSpec``
for an element that is itself a dataset (``window``'s)."""

import numpy as np

from glassnet.engine.tensor import as_tensor


class TensorSpec:
    """The shape and dtype of one array (TensorFlow's ``tf.TensorSpec``): ``from_generator``'s
    ``output_signature`` and a dataset's ``element_spec``. None in ``shape`` is any size."""

    def __init__(self, shape, dtype=np.float32, name=None):
        self.shape = None if shape is None else tuple(None if d is None else int(d) for d in shape)
        self.dtype, self.name = np.dtype(dtype), name

    def is_compatible_with(self, array):
        shape = np.shape(array)
        return self.shape is None or (len(shape) == len(self.shape) and
                                      all(s is None or s == n for s, n in zip(self.shape, shape)))

    def __eq__(self, other):
        return isinstance(other, TensorSpec) and (self.shape, self.dtype) == (other.shape, other.dtype)

    def __repr__(self):
        return f"TensorSpec(shape={self.shape}, dtype=tf.{self.dtype.name}, name={self.name!r})"


class DatasetSpec:
    """The element of a dataset of datasets (TensorFlow's ``tf.data.DatasetSpec``): the
    inner datasets' ``element_spec``."""

    def __init__(self, element_spec, dataset_shape=()):
        self.element_spec, self.dataset_shape = element_spec, tuple(dataset_shape)

    def __eq__(self, other):
        return isinstance(other, DatasetSpec) and self.element_spec == other.element_spec

    def __repr__(self):
        return f"DatasetSpec({self.element_spec!r}, TensorShape({list(self.dataset_shape)}))"


def conform(array, spec):
    """One value ``from_generator`` yielded, checked against its :class:`TensorSpec`."""
    if not spec.is_compatible_with(array):
        raise TypeError(f"from_generator: `generator` yielded an element of shape {np.shape(array)} where an "
                        f"element of shape {spec.shape} was expected")
    return as_tensor(np.asarray(array).astype(spec.dtype, copy=False))
