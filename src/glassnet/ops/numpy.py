"""``keras.ops.numpy``: the NumPy-named ops (``ops.numpy.mean``, ``ops.numpy.matmul``...),
the same functions as :mod:`glassnet.ops`'s."""


def __getattr__(name):
    from glassnet import ops
    return getattr(ops, name)
