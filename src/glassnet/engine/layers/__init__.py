"""Layers: one small class each, with ``forward`` and ``backward``."""

from glassnet.engine.layers.activations import (ELU, GELU, SELU, Activation, Exponential,
                                                HardSigmoid, HardSilu, LeakyReLU, LogSoftmax, Mish,
                                                PReLU, ReLU, ReLU6, Sigmoid, SiLU, Softmax, Softplus,
                                                Softsign, Tanh)
from glassnet.engine.layers.attention import Attention, MultiHeadAttention
from glassnet.engine.layers.base import LAYERS, Layer
from glassnet.engine.layers.batchnorm import BatchNormalization
from glassnet.engine.layers.cells import RNN, GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells
from glassnet.engine.layers.conv import Conv2D
from glassnet.engine.layers.conv1d import Conv1D
from glassnet.engine.layers.conv_transpose import Conv2DTranspose
from glassnet.engine.layers.dense import Dense
from glassnet.engine.layers.dot import Dot, dot
from glassnet.engine.layers.depthwise import DepthwiseConv2D, SeparableConv2D
from glassnet.engine.layers.dropout import Dropout
from glassnet.engine.layers.embedding import Embedding
from glassnet.engine.layers.groupnorm import GroupNormalization
from glassnet.engine.layers.gru import GRU
from glassnet.engine.layers.categorical import CategoryEncoding, Discretization
from glassnet.engine.layers.hashing import Hashing
from glassnet.engine.layers.input_layer import Input, InputLayer
from glassnet.engine.layers.lambda_layer import Lambda
from glassnet.engine.layers.operation import Operation
from glassnet.engine.layers.layernorm import LayerNormalization
from glassnet.engine.layers.lstm import LSTM
from glassnet.engine.layers.masking import Masking
from glassnet.engine.layers.noise import AlphaDropout, GaussianDropout, GaussianNoise, SpatialDropout1D, SpatialDropout2D
from glassnet.engine.layers.merge import (Add, Average, Concatenate, Maximum, Minimum, Multiply,
                                          Subtract, add, average, concatenate, maximum, minimum,
                                          multiply, subtract)
from glassnet.engine.layers.pooling import (AveragePooling2D, GlobalAveragePooling2D,
                                            GlobalMaxPooling2D, MaxPooling2D)
from glassnet.engine.layers.pooling1d import (AveragePooling1D, GlobalAveragePooling1D, GlobalMaxPooling1D,
                                              MaxPooling1D)
from glassnet.engine.layers.preprocessing import (Normalization, RandomFlip, RandomRotation,
                                                  RandomTranslation, RandomZoom, Rescaling)
from glassnet.engine.layers.random_color import RandomBrightness, RandomContrast
from glassnet.engine.layers.recurrent import SimpleRNN
from glassnet.engine.layers.reshape import ActivityRegularization, Flatten, Identity, Permute, RepeatVector, Reshape
from glassnet.engine.layers.resizing import CenterCrop, RandomCrop, Resizing
from glassnet.engine.layers.string_lookup import IntegerLookup, StringLookup
from glassnet.engine.layers.text_vectorization import TextVectorization
from glassnet.engine.layers.resampling import (Cropping1D, Cropping2D, UpSampling1D, UpSampling2D, ZeroPadding1D,
                                              ZeroPadding2D)
from glassnet.engine.layers.unit_norm import UnitNormalization
from glassnet.engine.layers.wrappers import Bidirectional, TimeDistributed
from glassnet.engine.layers.image_pixels import (AutoContrast, Equalization, RandomColorDegeneration,
                                                 RandomGrayscale, RandomInvert, RandomPosterization, Solarization)
from glassnet.engine.layers.image_filters import RandomErasing, RandomGaussianBlur, RandomSharpness
from glassnet.engine.layers.image_warps import RandomElasticTransform, RandomPerspective, RandomShear
from glassnet.engine.layers.image_mixing import AugMix, CutMix, MixUp, Pipeline, RandAugment
from glassnet.engine.layers.image_hsv import RandomColorJitter, RandomHue, RandomSaturation

# Keras's aliases.
Convolution1D = Conv1D
MaxPool1D = MaxPooling1D
AvgPool1D = AveragePooling1D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalMaxPool1D = GlobalMaxPooling1D
Convolution2D = Conv2D
Convolution2DTranspose = Conv2DTranspose
MaxPool2D = MaxPooling2D
AvgPool2D = AveragePooling2D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalMaxPool2D = GlobalMaxPooling2D
SeparableConvolution2D = SeparableConv2D

# The 1-D convolutions that are 2-D ones on one-row images (conv1d_rows.py).
from glassnet.engine.layers.conv1d_rows import Conv1DTranspose, DepthwiseConv1D, SeparableConv1D  # noqa: E402
Convolution1DTranspose = Conv1DTranspose
SeparableConvolution1D = SeparableConv1D

# Volumes (N, D, H, W, C): the 3-D convolutions, poolings and resampling layers.
from glassnet.engine.layers.conv3d import Conv3D, Conv3DTranspose  # noqa: E402
from glassnet.engine.layers.noise import SpatialDropout3D  # noqa: E402
from glassnet.engine.layers.pooling3d import (AveragePooling3D, GlobalAveragePooling3D, GlobalMaxPooling3D,  # noqa: E402
                                              MaxPooling3D)
from glassnet.engine.layers.resampling3d import Cropping3D, UpSampling3D, ZeroPadding3D  # noqa: E402
Convolution3D = Conv3D
Convolution3DTranspose = Conv3DTranspose
MaxPool3D = MaxPooling3D
AvgPool3D = AveragePooling3D
GlobalAvgPool3D = GlobalAveragePooling3D
GlobalMaxPool3D = GlobalMaxPooling3D

from glassnet.engine.layers.conv_lstm import ConvLSTM2D  # noqa: E402
from glassnet.engine.layers.conv1d_rows import ConvLSTM1D  # noqa: E402
from glassnet.engine.layers.adaptive_pooling import (AdaptiveAveragePooling1D, AdaptiveAveragePooling2D,  # noqa: E402
                                                     AdaptiveAveragePooling3D, AdaptiveMaxPooling1D,
                                                     AdaptiveMaxPooling2D, AdaptiveMaxPooling3D)

__all__ = ["ELU", "GELU", "GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "SimpleRNNCell", "StackedRNNCells", "SELU", "Activation", "ActivityRegularization", "Add", "AlphaDropout", "Attention", "Average", "AveragePooling1D",
           "AveragePooling2D", "AvgPool1D", "AvgPool2D", "Conv1D", "Convolution1D", "GlobalAveragePooling1D",
           "GlobalAvgPool1D", "GlobalMaxPool1D", "GlobalMaxPooling1D", "MaxPool1D", "MaxPooling1D", "BatchNormalization", "Bidirectional", "CenterCrop", "Concatenate", "Conv2D", "Conv2DTranspose", "Convolution2D", "Cropping1D", "Cropping2D", "Dense", "DepthwiseConv2D", "Dot", "Dropout",
           "Embedding", "Exponential", "Flatten", "GaussianDropout", "GaussianNoise", "GlobalAveragePooling2D", "GlobalAvgPool2D", "GlobalMaxPool2D",
           "GlobalMaxPooling2D", "GroupNormalization", "HardSigmoid", "Hashing", "IntegerLookup", "StringLookup",
           "TextVectorization",
           "HardSilu", "Identity", "Input", "InputLayer", "LAYERS", "Lambda", "Layer", "LayerNormalization", "LeakyReLU", "LogSoftmax",
           "Masking", "MaxPool2D", "MaxPooling2D", "Maximum", "Minimum", "Mish", "MultiHeadAttention", "Multiply", "Normalization",
           "Operation",
           "PReLU", "Permute", "RandomBrightness", "RandomContrast", "RandomCrop", "RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom", "ReLU", "ReLU6", "RepeatVector", "Rescaling",
           "Reshape", "Resizing", "SeparableConv2D", "SeparableConvolution2D", "SiLU", "Sigmoid", "SimpleRNN", "Softmax", "Softplus", "Softsign", "SpatialDropout1D", "SpatialDropout2D",
           "Subtract", "Tanh", "TimeDistributed", "UnitNormalization", "UpSampling1D", "UpSampling2D", "ZeroPadding1D",
           "ZeroPadding2D",
           "CategoryEncoding", "Discretization",
           "add", "average", "concatenate", "deserialize", "dot", "maximum", "minimum", "multiply", "serialize",
           "subtract",
           "Conv1DTranspose", "Convolution1DTranspose", "DepthwiseConv1D", "SeparableConv1D", "SeparableConvolution1D",
           "Conv3D", "Conv3DTranspose", "Convolution3D", "Convolution3DTranspose", "SpatialDropout3D",
           "AveragePooling3D", "AvgPool3D", "GlobalAveragePooling3D", "GlobalAvgPool3D", "GlobalMaxPool3D",
           "GlobalMaxPooling3D", "MaxPool3D", "MaxPooling3D", "Cropping3D", "UpSampling3D", "ZeroPadding3D",
           "ConvLSTM2D", "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
           "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D", "ConvLSTM1D",
           "AutoContrast", "CutMix", "Equalization", "MixUp", "Pipeline", "RandAugment", "RandomColorDegeneration",
           "RandomElasticTransform", "RandomErasing", "RandomGaussianBlur", "RandomGrayscale", "RandomInvert",
           "RandomPerspective", "RandomPosterization", "RandomSharpness", "RandomShear", "Solarization",
           "RandomColorJitter", "RandomHue", "RandomSaturation", "AugMix"]


def serialize(layer):
    """Keras's ``keras.layers.serialize``: a layer as ``{"class_name": ..., "config": ...}``,
    named as a model's config names it (a plain Model is "Functional")."""
    from glassnet.engine.model import layer_class_name
    return {"module": "keras.layers", "class_name": layer_class_name(layer), "config": layer.get_config(),
            "registered_name": None}


def deserialize(config, custom_objects=None):
    """Keras's ``keras.layers.deserialize``: the layer (or model) that :func:`serialize` described."""
    from glassnet.engine.model import deserialize_layer
    return deserialize_layer(config, custom_objects)


def __getattr__(name):
    """A Keras layer glassnet doesn't have (``layers.Conv2DTranspose``): say so in words a
    learner can act on, rather than Python's bare "module has no attribute"."""
    if name[:1].isupper() and not name.startswith("__"):
        raise AttributeError(f"glassnet has no layer {name!r}: it has the layers of first networks "
                             f"(see 'What works' in the README, or sorted(glassnet.layers.LAYERS)); for "
                             f"another one, write it as a Layer with forward and backward "
                             f"(docs/custom_layers.md)")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

# Keras 3's RMSNormalization and EinsumDense (layers/rms_norm.py, layers/einsum_dense.py).
from glassnet.engine.layers.rms_norm import RMSNormalization  # noqa: E402
from glassnet.engine.layers.einsum_dense import EinsumDense  # noqa: E402
from glassnet.engine.layers.additive_attention import AdditiveAttention  # noqa: E402
from glassnet.engine.layers.spectral_norm import SpectralNormalization, Wrapper  # noqa: E402
from glassnet.engine.layers.input_spec import InputSpec  # noqa: E402

__all__ += ["EinsumDense", "RMSNormalization", "AdditiveAttention", "SpectralNormalization", "Wrapper", "InputSpec"]
# The structured-data tutorials' feature crosses (FeatureSpace's crosses are these).
from glassnet.engine.layers.hashed_crossing import HashedCrossing  # noqa: E402
__all__ += ["HashedCrossing"]
