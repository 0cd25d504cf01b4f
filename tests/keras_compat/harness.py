"""Run a Keras program on glassnet (or on Keras itself) with only its import lines changed.

``rewrite_imports`` turns ``import keras``, ``from keras import layers``,
``from tensorflow import keras``, ``import tensorflow as tf`` and ``from tensorflow.keras.X
import Y`` into the same imports from ``glassnet``; every other line stays as written. ``run`` executes a program
with ``mnist.load_data()`` answering a few thousand real MNIST images from ``../shared/data``
instead of all 70,000 (and never the network), after seeding the framework's random numbers
(``keras.utils.set_random_seed(0)``), and returns the program's variables.
"""

import re
from pathlib import Path

PROGRAMS = Path(__file__).parent / "programs"
SHARED_MNIST = Path(__file__).resolve().parents[3] / "shared" / "data" / "mnist"
TRAIN, TEST = 4000, 1000

_RULES = [
    (re.compile(r"^(\s*)from tensorflow import keras\s*$"), r"\1import glassnet as keras"),
    (re.compile(r"^(\s*)import tensorflow as (\w+)\s*$"), r"\1import glassnet as \2"),
    (re.compile(r"^(\s*)import tensorflow\.keras as (\w+)\s*$"), r"\1import glassnet as \2"),
    (re.compile(r"^(\s*)from tensorflow\.keras(\.[\w.]+)? import "), r"\1from glassnet\2 import "),
    (re.compile(r"^(\s*)import keras\s*$"), r"\1import glassnet as keras"),
    (re.compile(r"^(\s*)import keras as (\w+)\s*$"), r"\1import glassnet as \2"),
    (re.compile(r"^(\s*)from keras(\.[\w.]+)? import "), r"\1from glassnet\2 import "),
]


def rewrite_imports(source):
    """The program with its Keras imports pointing at glassnet; other lines untouched."""
    lines = []
    for line in source.splitlines():
        for pattern, replacement in _RULES:
            if pattern.match(line):
                line = pattern.sub(replacement, line)
                break
        lines.append(line)
    return "\n".join(lines) + "\n"


def changed_lines(source):
    """The lines ``rewrite_imports`` changed (each must be an import line)."""
    return [(a, b) for a, b in zip(source.splitlines(), rewrite_imports(source).splitlines()) if a != b]


def mnist_subset():
    """``((x_train, y_train), (x_test, y_test))``: the first TRAIN / TEST real MNIST images."""
    from glassnet.datasets import mnist
    (x_train, y_train), (x_test, y_test) = mnist.load_data(SHARED_MNIST)
    return (x_train[:TRAIN], y_train[:TRAIN]), (x_test[:TEST], y_test[:TEST])


def run(name, keras_module, source=None):
    """Execute program ``name`` with ``keras_module.datasets.mnist.load_data`` giving the
    subset; returns the program's global variables."""
    path = PROGRAMS / f"{name}.py"
    source = path.read_text() if source is None else source
    data = mnist_subset()
    keras_module.utils.set_random_seed(0)   # repeatable runs (the programs leave it to chance)
    mnist = keras_module.datasets.mnist
    original = mnist.load_data
    mnist.load_data = lambda *args, **kwargs: data
    try:
        namespace = {"__name__": "__main__", "__file__": str(path)}
        exec(compile(source, str(path), "exec"), namespace)
        return namespace
    finally:
        mnist.load_data = original
