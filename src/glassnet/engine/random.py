"""Where a model's randomness comes from when no seed is given.

Every model owns one ``np.random.default_rng(seed)``: its initial weights, dropout masks
and the shuffling of each epoch all come from it, so ``Sequential(..., seed=0)`` makes a
run repeatable bit for bit, whatever else the program does.

Keras programs make runs repeatable differently, with one global call before building
anything::

    keras.utils.set_random_seed(42)

:func:`set_random_seed` is that call. It seeds a global generator whose only job is to
hand out seeds: a model made without ``seed=`` takes its seed from there, so the same
program gives the same models. Without it (the default) each model's seed comes from
the operating system's entropy, as NumPy's ``default_rng()`` does.
"""

import numpy as np

_seeds = None   # a Generator that deals out model seeds, once set_random_seed() was called
_tf_draws = None   # tf.random.set_seed's Generator for tf.random's functions; set_random_seed forgets it


def set_random_seed(seed):
    """Make every model built from now on without ``seed=`` repeatable (Keras's
    ``keras.utils.set_random_seed``). Python's and NumPy's global generators are seeded too,
    since Keras programs shuffle their own data with them."""
    global _seeds, _tf_draws
    import random

    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"set_random_seed: seed must be a whole number >= 0, got {seed!r}")
    _seeds = np.random.default_rng(int(seed))
    _tf_draws = None     # as Keras's call sets tf.random's seed anew: no draws left over from before
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)


def new_seed():
    """A seed for a model made without one: from :func:`set_random_seed`'s stream, or None
    (fresh entropy) when it was never called."""
    return None if _seeds is None else int(_seeds.integers(2**63))


def set_tf_seed(seed):
    """``tf.random.set_seed(seed)``: tf.random's functions draw from one generator seeded
    with ``seed`` (until :func:`set_random_seed` is called)."""
    global _tf_draws
    _tf_draws = np.random.default_rng(seed)


def tf_draws():
    """tf.random.set_seed's generator, or None when it wasn't set since :func:`set_random_seed`."""
    return _tf_draws
