"""Layers: one small class each, with ``forward`` and ``backward``."""

from glassnet.engine.layers.activations import (Activation, LeakyReLU, ReLU, Sigmoid,
                                                Softmax, Tanh)
from glassnet.engine.layers.base import LAYERS, Layer
from glassnet.engine.layers.batchnorm import BatchNormalization
from glassnet.engine.layers.conv import Conv2D
from glassnet.engine.layers.dense import Dense
from glassnet.engine.layers.dropout import Dropout
from glassnet.engine.layers.pooling import (AveragePooling2D, GlobalAveragePooling2D,
                                            MaxPooling2D)
from glassnet.engine.layers.recurrent import GRU, LSTM, SimpleRNN
from glassnet.engine.layers.reshape import Flatten, Reshape
from glassnet.engine.layers.wrappers import Bidirectional, TimeDistributed

__all__ = ["Activation", "AveragePooling2D", "BatchNormalization", "Bidirectional", "Conv2D", "Dense",
           "Dropout", "Flatten", "GRU", "GlobalAveragePooling2D", "LAYERS", "LSTM", "Layer", "LeakyReLU",
           "MaxPooling2D", "ReLU", "Reshape", "Sigmoid", "SimpleRNN", "Softmax", "Tanh",
           "TimeDistributed"]
