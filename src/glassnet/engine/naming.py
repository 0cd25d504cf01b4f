"""Automatic names, as Keras 3 gives them: counted per Python session.

A layer made without ``name=`` is named after its class in snake case, numbered by how
many of that name this session made before it::

    Dense(3).name, Dense(3).name, Dense(3).name    # 'dense', 'dense_1', 'dense_2'

even when they go into different models, as in Keras (``Layer.__init__`` takes the name, so
the order the layers are made in decides it, not the model they join). Models are counted
the same way (``sequential``, ``sequential_1``; ``functional``...), and Input layers
(``input_layer``, ``input_layer_1``...). A name given with ``name=`` counts nothing.
:func:`glassnet.backend.clear_session` starts every count again at 0.

The counts decide only what the next layer is called: nothing saved depends on them (files
hold the names they were written with, and weights are matched by place), so a file
written in one session loads in another.

Models glassnet makes for itself (a copy of the line reader for another width, a probe)
are made inside :func:`hidden`, so that the next layer of yours is named as it would be in
Keras, where those models don't exist.
"""

import collections
import contextlib

_counts = collections.defaultdict(int)     # prefix -> how many names were made from it
_hiding = [0]                              # how many hidden() blocks are open now


def auto_name(prefix):
    """The next name for ``prefix``: ``"dense"`` the first time, then ``"dense_1"``..."""
    name = prefix if _counts[prefix] == 0 else f"{prefix}_{_counts[prefix]}"
    _counts[prefix] += 1
    return name


def get_uid(prefix=""):
    """Keras's ``keras.backend.get_uid``: count one more ``prefix`` and return the count
    (1 the first time). The counts are those of :func:`auto_name`."""
    _counts[prefix] += 1
    return _counts[prefix]


def reset_uids():
    """Forget every count: the next ``Dense()`` is ``dense`` again."""
    _counts.clear()


@contextlib.contextmanager
def hidden():
    """Names made inside are unique as usual, but counted only there: afterwards the
    counts are as they were before, so glassnet's own helper models don't rename yours."""
    saved = dict(_counts)
    _hiding[0] += 1
    try:
        yield
    finally:
        _hiding[0] -= 1
        _counts.clear()
        _counts.update(saved)


def hiding():
    """True inside :func:`hidden`: a layer named now may later meet a layer of yours of the
    same name in one model, and then yields it (:func:`glassnet.engine.symbolic.name_layers`)."""
    return _hiding[0] > 0
