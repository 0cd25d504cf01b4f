"""More of ``tf.random``: the stateless functions (the same ``seed`` pair, the same numbers),
``tf.random.Generator`` and ``tf.random.poisson``::

    noise = tf.random.stateless_normal([32, 100], seed=[1, 2])
    g = tf.random.Generator.from_seed(42); g.normal([2, 3])

The numbers come from NumPy's generator seeded with the seed: repeatable from run to run
like TensorFlow's, but not the very numbers TensorFlow draws (its Philox stream).
"""

import numpy as np

from glassnet.engine.tensor import as_tensor


def _seeded(seed):
    """NumPy's generator for a stateless ``seed`` (a pair of whole numbers)."""
    return np.random.default_rng([int(s) & 0xFFFFFFFF for s in np.asarray(seed).reshape(-1)])


def stateless_normal(shape, seed, mean=0.0, stddev=1.0, dtype=np.float32, name=None, alg=None):
    return as_tensor(_seeded(seed).normal(mean, stddev, tuple(shape)).astype(dtype))


def stateless_truncated_normal(shape, seed, mean=0.0, stddev=1.0, dtype=np.float32, name=None, alg=None):
    from glassnet.engine.initializers import truncated_standard_normal
    return as_tensor((mean + stddev * truncated_standard_normal(tuple(shape), _seeded(seed))).astype(dtype))


def stateless_uniform(shape, seed, minval=0, maxval=None, dtype=np.float32, name=None, alg=None):
    """Floats in ``[minval, maxval)`` (``maxval`` 1 by default), or whole numbers for an int dtype."""
    generator = _seeded(seed)
    if np.dtype(dtype).kind in "iu":
        if maxval is None:
            raise ValueError("tf.random.stateless_uniform: an integer dtype needs maxval")
        return as_tensor(generator.integers(minval, maxval, tuple(shape)).astype(dtype))
    return as_tensor(generator.uniform(minval, 1.0 if maxval is None else maxval, tuple(shape)).astype(dtype))


def stateless_categorical(logits, num_samples, seed, dtype=np.int64, name=None):
    from glassnet.tf_functions import random
    return random.categorical(logits, num_samples, dtype=dtype, seed=_seeded(seed).integers(2**31))


def poisson(shape, lam, dtype=np.float32, seed=None, name=None):
    """Poisson counts with rates ``lam``: shape ``shape + lam.shape``, as TensorFlow gives."""
    from glassnet.tf_functions import _random
    lam = np.asarray(lam)
    return as_tensor(_random(seed).poisson(lam, tuple(shape) + lam.shape).astype(dtype))


def fold_in(seed, data, alg=None):
    """A new seed pair made from ``seed`` and the number ``data``."""
    words = [int(s) & 0xFFFFFFFF for s in np.asarray(seed).reshape(-1)] + [int(data) & 0xFFFFFFFF]
    return as_tensor(np.random.SeedSequence(words).generate_state(2).astype(np.int64))


def split(seed, num=2, alg=None):
    """``num`` new seed pairs, shape ``(num, 2)``, made from ``seed``."""
    return as_tensor(np.stack([fold_in(seed, i) for i in range(num)]))


class Generator:
    """``tf.random.Generator``: a random stream of its own, repeatable from its seed."""

    def __init__(self, seed=None, alg=None):
        self.generator = np.random.default_rng(seed)

    @classmethod
    def from_seed(cls, seed, alg=None):
        return cls(seed)

    @classmethod
    def from_non_deterministic_state(cls, alg=None):
        return cls()

    def normal(self, shape, mean=0.0, stddev=1.0, dtype=np.float32, name=None):
        return as_tensor(self.generator.normal(mean, stddev, tuple(shape)).astype(dtype))

    def uniform(self, shape, minval=0, maxval=None, dtype=np.float32, name=None):
        if np.dtype(dtype).kind in "iu":
            return as_tensor(self.generator.integers(minval, maxval, tuple(shape)).astype(dtype))
        return as_tensor(self.generator.uniform(minval, 1.0 if maxval is None else maxval, tuple(shape)).astype(dtype))

    def truncated_normal(self, shape, mean=0.0, stddev=1.0, dtype=np.float32, name=None):
        from glassnet.engine.initializers import truncated_standard_normal
        return as_tensor((mean + stddev * truncated_standard_normal(tuple(shape), self.generator)).astype(dtype))

    def split(self, count=1):
        """``count`` new generators, each its own stream drawn from this one."""
        return [Generator(int(s)) for s in self.generator.integers(2**63, size=count)]


_global = [None]


def get_global_generator():
    if _global[0] is None:
        _global[0] = Generator()
    return _global[0]


def set_global_generator(generator):
    _global[0] = generator


RANDOM = {name: globals()[name] for name in (
    "stateless_normal", "stateless_truncated_normal", "stateless_uniform", "stateless_categorical", "poisson",
    "fold_in", "split", "Generator", "get_global_generator", "set_global_generator")}
