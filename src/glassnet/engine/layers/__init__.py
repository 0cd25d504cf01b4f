"""Layers: one small class each, with ``forward`` and ``backward``."""

from glassnet.engine.layers.activations import (Activation, LeakyReLU, ReLU, Sigmoid,
                                                Softmax, Tanh)
from glassnet.engine.layers.base import LAYERS, Layer
from glassnet.engine.layers.batchnorm import BatchNormalization
from glassnet.engine.layers.conv import Conv2D
from glassnet.engine.layers.dense import Dense
from glassnet.engine.layers.dropout import Dropout
from glassnet.engine.layers.input_layer import Input, InputLayer
from glassnet.engine.layers.merge import (Add, Average, Concatenate, Maximum, Minimum, Multiply,
                                          Subtract, add, average, concatenate, maximum, minimum,
                                          multiply, subtract)
from glassnet.engine.layers.pooling import (AveragePooling2D, GlobalAveragePooling2D,
                                            MaxPooling2D)
from glassnet.engine.layers.reshape import Flatten, Reshape

__all__ = ["Activation", "Add", "Average", "AveragePooling2D", "BatchNormalization", "Concatenate",
           "Conv2D", "Dense", "Dropout", "Flatten", "GlobalAveragePooling2D", "Input", "InputLayer",
           "LAYERS", "Layer", "LeakyReLU", "MaxPooling2D", "Maximum", "Minimum", "Multiply", "ReLU",
           "Reshape", "Sigmoid", "Softmax", "Subtract", "Tanh", "add", "average", "concatenate",
           "maximum", "minimum", "multiply", "subtract"]
