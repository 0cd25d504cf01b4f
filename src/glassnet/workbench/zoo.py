"""Ready-made architectures for 28x28 digits, by name: ``glassnet train --arch NAME``.

Each entry builds an uncompiled :class:`Sequential` and says how it likes to be trained
(epochs, batch size, learning rate), so the command line has sensible defaults per model.
"""

from dataclasses import dataclass
from typing import Callable

from glassnet.engine.layers import Dense, Dropout, Flatten
from glassnet.engine.model import Sequential


def classic_mlp(input_shape=(28, 28), num_classes=10, seed=None):
    """The first network of the Keras tutorial: 784-128-64-10, ReLU, dropout 0.2 (109,386 weights)."""
    return Sequential([
        Flatten(input_shape=input_shape),
        Dense(128, activation="relu"), Dropout(0.2),
        Dense(64, activation="relu"), Dropout(0.2),
        Dense(num_classes, activation="softmax"),
    ], name="classic_mlp", seed=seed)


@dataclass
class Architecture:
    build: Callable           # build(input_shape, num_classes, seed) -> Sequential
    epochs: int
    batch_size: int
    learning_rate: float
    description: str


ARCHITECTURES = {
    "mlp": Architecture(classic_mlp, epochs=10, batch_size=32, learning_rate=1e-3,
                        description="784-128-64-10 perceptron with dropout (the Keras tutorial's)"),
}


def get(name):
    if name not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {name!r}; known: {', '.join(ARCHITECTURES)}")
    return ARCHITECTURES[name]
