"""Layers: one small class each, with ``forward`` and ``backward``."""

from glassnet.engine.layers.activations import (Activation, LeakyReLU, ReLU, Sigmoid,
                                                Softmax, Tanh)
from glassnet.engine.layers.base import LAYERS, Layer
from glassnet.engine.layers.dense import Dense
from glassnet.engine.layers.dropout import Dropout
from glassnet.engine.layers.reshape import Flatten, Reshape

__all__ = ["Activation", "Dense", "Dropout", "Flatten", "LAYERS", "Layer", "LeakyReLU", "ReLU",
           "Reshape", "Sigmoid", "Softmax", "Tanh"]
