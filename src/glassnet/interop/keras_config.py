"""Keras 3's model configs in glassnet's words, and glassnet's in Keras's.

A ``.keras`` file describes its model in ``config.json``, in Keras's words: every layer is
``{"module": "keras.layers", "class_name": "Dense", "config": {...}}`` with all of Keras's
constructor arguments, and a Functional model lists each layer's calls as ``inbound_nodes``
of ``__keras_tensor__`` references. glassnet's own configs (``model.get_config()``) say the
same things more briefly. This module translates both ways, one small function per layer
class:

* :func:`layer_from_keras`: a Keras layer spec -> glassnet's ``{"class_name", "config"}``;
* :func:`layer_to_keras`: a glassnet layer -> the Keras spec ``keras.models.load_model`` rebuilds.

(:mod:`glassnet.interop.keras_graph` does the models: their layers and the calls between them.)

(:mod:`glassnet.interop.keras_objects` translates the settings objects the layers hold:
activations, initializers, weight penalties, constraints; :mod:`glassnet.interop.keras_compile`
the optimizer, loss and metrics.)

Anything glassnet can't run *exactly* as Keras would (a layer it doesn't have, channels-first
images, a dilated transposed convolution, an activation it lacks) is refused with one line naming the
layer. Settings that matter only while training in Keras (constraints, a bias regularizer,
dropout's noise shape) can't change a prediction: they are collected in ``notes`` and the
loader warns about them once.
"""

import inspect
import math

from glassnet.engine.layers.auto_config import takes_name
from glassnet.engine.layers.base import Layer, snake_case
from glassnet.errors import ExportError
from glassnet.interop.keras_lambda import lambda_from_keras
from glassnet.interop.keras_objects import (KERAS_LEAKY_SLOPE, Unsupported, _name_of, _object, _policy,
                                            activation_from_keras, activation_to_keras, constraint_from_keras,
                                            constraint_to_keras, initializer_from_keras,
                                            initializer_object_to_keras, initializer_to_keras,
                                            regularizer_from_keras, regularizer_to_keras)


# -- layers: Keras -> glassnet ------------------------------------------------------------------
def _common_from_keras(config, reading, owner):
    """name, trainable, dtype: what every layer config holds."""
    out = {"name": config.get("name")}
    if config.get("trainable") is False:
        out["trainable"] = False
    dtype = config.get("dtype")                      # "float32", or a DTypePolicy
    if isinstance(dtype, dict):
        dtype = (dtype.get("config") or {}).get("name")
    if dtype in ("float64", "int64"):                # int64: Hashing's bins
        out["dtype"] = dtype
    elif dtype not in (None, "float32"):
        reading.notes.append(f"{owner}: dtype policy {dtype!r} runs in float32 in glassnet")
    return out


def _constraints_in(config, reading, owner):
    return {f"{weight}_constraint": constraint_from_keras(config.get(f"{weight}_constraint"), owner, reading)
            for weight in ("kernel", "bias")}


def _initializers_in(config, reading, owner):
    """The kernel's initializer and the bias's."""
    return {"kernel_initializer": initializer_from_keras(config.get("kernel_initializer"), owner, reading),
            **_bias_initializer_in(config, reading, owner)}


def _bias_initializer_in(config, reading, owner):
    """The bias's initializer (Keras's default, and glassnet's: zeros)."""
    bias = config.get("bias_initializer")
    return {"bias_initializer": "zeros" if bias is None else initializer_from_keras(bias, owner, reading)}


def _regularizers_in(config, reading, owner):
    return {key: regularizer_from_keras(config.get(key), owner, reading)
            for key in ("kernel_regularizer", "bias_regularizer", "activity_regularizer")}


def _dense_in(config, reading, owner):
    reading.require(config, owner, lora_rank=None, quantization_config=None)
    return "Dense", {"units": config["units"],
                     "activation": activation_from_keras(config.get("activation"), owner),
                     "use_bias": config.get("use_bias", True),
                     **_initializers_in(config, reading, owner),
                     **_regularizers_in(config, reading, owner), **_constraints_in(config, reading, owner)}


def _conv2d_in(config, reading, owner, class_name="Conv2D"):
    transposed = class_name == "Conv2DTranspose"        # undilated, one group
    undilated = {"dilation_rate": [1, 1], "groups": 1} if transposed else {}
    reading.require(config, owner, data_format="channels_last", lora_rank=None, output_padding=None, **undilated)
    return class_name, {"filters": config["filters"], "kernel_size": config["kernel_size"],
                      "strides": config.get("strides", [1, 1]), "padding": config.get("padding", "valid"),
                      **({} if transposed else {"dilation_rate": config.get("dilation_rate", [1, 1]),
                                                "groups": config.get("groups", 1)}),
                      "activation": activation_from_keras(config.get("activation"), owner),
                      "use_bias": config.get("use_bias", True),
                      **_initializers_in(config, reading, owner),
                      **_regularizers_in(config, reading, owner), **_constraints_in(config, reading, owner)}


def _conv1d_in(config, reading, owner):
    reading.require(config, owner, data_format="channels_last", lora_rank=None)
    return "Conv1D", {"filters": config["filters"], "kernel_size": config["kernel_size"],
                      "strides": config.get("strides", 1), "padding": config.get("padding", "valid"),
                      "dilation_rate": config.get("dilation_rate", 1), "groups": config.get("groups", 1),
                      "activation": activation_from_keras(config.get("activation"), owner),
                      "use_bias": config.get("use_bias", True),
                      **_initializers_in(config, reading, owner),
                      **_regularizers_in(config, reading, owner), **_constraints_in(config, reading, owner)}


DEPTHWISE_WEIGHTS = {"DepthwiseConv2D": ("depthwise", "bias"),
                     "SeparableConv2D": ("depthwise", "pointwise", "bias")}


def _depthwise_in(class_name):
    """DepthwiseConv2D and SeparableConv2D: Keras's config keys are glassnet's."""
    def read(config, reading, owner):
        reading.require(config, owner, data_format="channels_last")
        weights = DEPTHWISE_WEIGHTS[class_name]
        out = {key: config[key] for key in ("filters", "kernel_size", "strides", "padding", "depth_multiplier",
                                            "dilation_rate", "use_bias") if key in config}
        return class_name, {
            **out, "activation": activation_from_keras(config.get("activation"), owner),
            **{f"{w}_initializer": initializer_from_keras(config.get(f"{w}_initializer"), owner, reading)
               for w in weights if w != "bias"}, **_bias_initializer_in(config, reading, owner),
            **{f"{w}_regularizer": regularizer_from_keras(config.get(f"{w}_regularizer"), owner, reading)
               for w in weights + ("activity",)},
            **{f"{w}_constraint": constraint_from_keras(config.get(f"{w}_constraint"), owner, reading)
               for w in weights}}
    return read


def _conv1d_transpose_in(config, reading, owner):
    """Conv1DTranspose: Conv1D's keys, undilated, one group, no output padding."""
    reading.require(config, owner, output_padding=None, dilation_rate=[1])
    _, own = _conv1d_in(config, reading, owner)
    return "Conv1DTranspose", {key: value for key, value in own.items() if key not in ("groups", "dilation_rate")}


DEPTHWISE_WEIGHTS.update({"DepthwiseConv1D": DEPTHWISE_WEIGHTS["DepthwiseConv2D"],
                          "SeparableConv1D": DEPTHWISE_WEIGHTS["SeparableConv2D"]})


def _conv3d_in(config, reading, owner):
    reading.require(config, owner, groups=1)
    _, own = _conv2d_in(config, reading, owner)
    return "Conv3D", own


def _conv3d_transpose_in(config, reading, owner):
    """Conv3DTranspose: Conv3D's keys, undilated, one group, no output padding."""
    reading.require(config, owner, output_padding=None, dilation_rate=[1, 1, 1])
    _, own = _conv2d_in(config, reading, owner)
    return "Conv3DTranspose", {key: value for key, value in own.items() if key not in ("groups", "dilation_rate")}


CONV_LSTM_KEYS = ("filters", "kernel_size", "strides", "padding", "dilation_rate", "use_bias", "unit_forget_bias",
                  "return_sequences", "go_backwards")


def _conv_lstm_in(class_name):
    """ConvLSTM1D and ConvLSTM2D: Keras's keys are glassnet's; what they run only at Keras's
    defaults is refused."""
    def read(config, reading, owner):
        reading.require(config, owner, data_format="channels_last", stateful=False, return_state=False,
                        dropout=0.0, recurrent_dropout=0.0)
        own = {key: config[key] for key in CONV_LSTM_KEYS if key in config}
        own.update({"activation": _name_of(config.get("activation", "tanh")),
                    "recurrent_activation": _name_of(config.get("recurrent_activation", "sigmoid")),
                    **{key: initializer_from_keras(config[key], owner, reading)
                       for key in ("kernel_initializer", "recurrent_initializer", "bias_initializer") if key in config},
                    **{f"{w}_regularizer": regularizer_from_keras(config.get(f"{w}_regularizer"), owner, reading)
                       for w in (*RECURRENT_WEIGHTS, "activity")},
                    **{f"{w}_constraint": constraint_from_keras(config.get(f"{w}_constraint"), owner, reading)
                       for w in RECURRENT_WEIGHTS}})
        return class_name, own
    return read


def _conv_lstm_out(config, owner):
    return {"return_sequences": config["return_sequences"], "return_state": False,
            "go_backwards": config["go_backwards"], "stateful": False, "unroll": False, "zero_output_for_mask": False,
            **{key: config[key] for key in CONV_LSTM_KEYS if key not in ("return_sequences", "go_backwards")},
            "data_format": "channels_last",
            "activation": activation_to_keras(config["activation"], owner),
            "recurrent_activation": activation_to_keras(config["recurrent_activation"], owner),
            **{key: initializer_object_to_keras(config[key])
               for key in ("kernel_initializer", "recurrent_initializer", "bias_initializer")},
            **{f"{w}_regularizer": regularizer_to_keras(config.get(f"{w}_regularizer"))
               for w in (*RECURRENT_WEIGHTS, "activity")},
            **{f"{w}_constraint": constraint_to_keras(config.get(f"{w}_constraint")) for w in RECURRENT_WEIGHTS},
            "dropout": 0.0, "recurrent_dropout": 0.0, "seed": config.get("seed")}



def _groupnorm_in(config, reading, owner):
    """GroupNormalization: Keras's config keys are glassnet's."""
    return "GroupNormalization", {
        **{key: config[key] for key in ("groups", "axis", "epsilon", "center", "scale") if key in config},
        **{f"{w}_initializer": initializer_from_keras(config.get(f"{w}_initializer", default), owner, reading)
           for w, default in (("beta", "zeros"), ("gamma", "ones"))},
        **{f"{w}_regularizer": regularizer_from_keras(config.get(f"{w}_regularizer"), owner, reading)
           for w in ("beta", "gamma")},
        **{f"{w}_constraint": constraint_from_keras(config.get(f"{w}_constraint"), owner, reading)
           for w in ("beta", "gamma")}}

def _embedding_in(config, reading, owner):
    """Keras 2 also wrote ``input_length``; the model's input gives the same length (Keras 2
    refused a mismatch), so it is not needed."""
    reading.require(config, owner, lora_rank=None, lora_alpha=None, quantization_config=None)
    return "Embedding", {"input_dim": config["input_dim"], "output_dim": config["output_dim"],
                         "mask_zero": bool(config.get("mask_zero", False)),
                         "embeddings_initializer": initializer_from_keras(
                             config.get("embeddings_initializer", "uniform"), owner, reading),
                         **{key: regularizer_from_keras(config.get(key), owner, reading)
                            for key in ("embeddings_regularizer", "activity_regularizer")},
                         "embeddings_constraint": constraint_from_keras(config.get("embeddings_constraint"),
                                                                        owner, reading)}


def _attention_in(config, reading, owner):
    reading.require(config, owner, score_mode="dot")
    return "Attention", {"use_scale": config.get("use_scale", False), "dropout": config.get("dropout", 0.0)}


def _multi_head_attention_in(config, reading, owner):
    reading.require(config, owner, use_gate=False, sliding_window=None)
    if config.get("attention_axes") not in (None, [1], [-2], 1, -2):
        raise Unsupported(f"{owner} has attention_axes={config['attention_axes']!r}; glassnet attends over the "
                          f"steps of (batch, steps, features) only")
    output = config.get("output_shape")
    return "MultiHeadAttention", {
        "num_heads": config["num_heads"], "key_dim": config["key_dim"], "value_dim": config.get("value_dim"),
        "dropout": config.get("dropout", 0.0), "use_bias": config.get("use_bias", True),
        "output_shape": output[-1] if isinstance(output, list) else output,
        **_initializers_in(config, reading, owner),
        **_regularizers_in(config, reading, owner), **_constraints_in(config, reading, owner)}


def _pooling_in(class_name, pool_size=(2, 2)):
    def read(config, reading, owner):
        reading.require(config, owner, data_format="channels_last")
        return class_name, {"pool_size": config.get("pool_size", list(pool_size)), "strides": config.get("strides"),
                            "padding": config.get("padding", "valid")}
    return read


def _global_pooling_in(class_name):
    def read(config, reading, owner):
        reading.require(config, owner, data_format="channels_last")
        return class_name, {"keepdims": config.get("keepdims", False)}
    return read


def _prelu_in(config, reading, owner):
    reading.training_only(config, owner, "alpha_constraint")
    return "PReLU", {"alpha_initializer": initializer_from_keras(config.get("alpha_initializer"), owner, reading),
                     "alpha_regularizer": regularizer_from_keras(config.get("alpha_regularizer"), owner, reading),
                     "shared_axes": config.get("shared_axes")}


def _batchnorm_in(config, reading, owner):
    reading.require(config, owner, renorm=False)
    reading.training_only(config, owner, "beta_regularizer", "gamma_regularizer", "beta_constraint",
                          "gamma_constraint", "synchronized")
    axis = config.get("axis", -1)
    if isinstance(axis, list) and len(axis) == 1:
        axis = axis[0]
    return "BatchNormalization", {"axis": axis, "momentum": config.get("momentum", 0.99),
                                  "epsilon": config.get("epsilon", 1e-3),
                                  "center": config.get("center", True), "scale": config.get("scale", True)}


def _layernorm_in(config, reading, owner):
    reading.require(config, owner, rms_scaling=False)
    reading.training_only(config, owner, "beta_regularizer", "gamma_regularizer", "beta_constraint",
                          "gamma_constraint")
    axis = config.get("axis", -1)
    if isinstance(axis, list) and len(axis) == 1:
        axis = axis[0]
    return "LayerNormalization", {"axis": axis, "epsilon": config.get("epsilon", 1e-3),
                                  "center": config.get("center", True), "scale": config.get("scale", True),
                                  **{f"{weight}_initializer": initializer_from_keras(
                                      config.get(f"{weight}_initializer", default), owner, reading)
                                     for weight, default in (("beta", "zeros"), ("gamma", "ones"))}}


def _dropout_in(config, reading, owner):
    reading.training_only(config, owner, "noise_shape")
    return "Dropout", _seeded({"rate": config["rate"]}, config)


def _seeded(own, config):
    """``own`` with the seed Keras's config gives (a layer drawing its noise from a generator
    of its own); none when the config has none."""
    return own if config.get("seed") is None else {**own, "seed": config["seed"]}


def _image_layer_in(class_name, *keys, **required):
    """A layer that only moves or perturbs pixels (ZeroPadding2D, GaussianNoise, ...): its
    own settings ``keys``, channels last, and Keras's settings glassnet runs only at the
    values given in ``required``."""
    def read(config, reading, owner):
        reading.require(config, owner, data_format="channels_last", **required)
        return class_name, {key: config[key] for key in keys if key in config}
    return read


def _normalization_in(config, reading, owner):
    """Keras 3 keeps its axis as a tuple (``()`` for every axis together); its statistics are
    in the config when given, else they are the layer's weights (mean, variance, count)."""
    axis = config.get("axis", -1)
    if isinstance(axis, (list, tuple)):
        if len(axis) > 1:
            raise Unsupported(f"{owner} keeps statistics over the axes {list(axis)}; glassnet keeps them "
                              f"over one axis or none")
        axis = axis[0] if axis else None
    mean = config.get("mean")
    return "Normalization", {"axis": axis, "invert": bool(config.get("invert", False)), "mean": mean,
                             "variance": config.get("variance"), "adapted": mean is None}


def _normalization_out(config, owner):
    axis = config["axis"]
    return {"axis": [] if axis is None else [axis], "invert": config["invert"], "mean": config["mean"],
            "variance": config["variance"]}


TEXT_KEYS = {
    "StringLookup": ("invert", "max_tokens", "num_oov_indices", "oov_token", "mask_token", "output_mode", "sparse",
                     "pad_to_max_tokens", "idf_weights", "vocabulary", "vocabulary_size", "oov_method", "salt",
                     "encoding"),
    "IntegerLookup": ("invert", "max_tokens", "num_oov_indices", "oov_token", "mask_token", "output_mode", "sparse",
                      "pad_to_max_tokens", "vocabulary_dtype", "idf_weights", "vocabulary", "vocabulary_size",
                      "oov_method", "salt"),
    "Hashing": ("num_bins", "salt", "mask_value", "output_mode", "sparse"),
    "CategoryEncoding": ("num_tokens", "output_mode"),
    "Discretization": ("bin_boundaries", "num_bins", "epsilon", "output_mode", "sparse"),
    "TextVectorization": ("max_tokens", "standardize", "split", "ngrams", "output_mode", "output_sequence_length",
                          "pad_to_max_tokens", "sparse", "ragged", "vocabulary", "idf_weights", "encoding",
                          "vocabulary_size")}
TEXT_KEYS["HashedCrossing"] = ("num_bins", "output_mode", "sparse")     # (FeatureSpace's crosses)


def _text_in(class_name):
    """StringLookup, IntegerLookup, TextVectorization, Hashing: Keras's config keys are glassnet's (the
    vocabulary, when adapted, is in the file's assets); a function of the program's own as
    TextVectorization's standardize or split is refused."""
    def read(config, reading, owner):
        reading.require(config, owner, sparse=False, ragged=False)
        own = {key: config[key] for key in TEXT_KEYS[class_name] if key in config}
        for key in ("standardize", "split"):     # a function of the program's own, by name
            value = own.get(key)
            if isinstance(value, dict):
                if value.get("class_name") != "function" or not isinstance(value.get("config"), str):
                    raise Unsupported(f"{owner} has {key}={value!r}, which glassnet can't read")
                own[key] = {"function": value["config"]}
        return class_name, own
    return read


def _text_out(class_name):
    """The config as it is; a function of the program's own as standardize or split as Keras
    writes one (``{"class_name": "function", "config": "Custom>name", ...}``)."""
    def write(config, owner):
        own = {key: config[key] for key in TEXT_KEYS[class_name]}
        for key in ("standardize", "split"):
            if isinstance(own.get(key), dict):
                own[key] = _object("builtins", "function", own[key]["function"], registered_name="function")
        return own
    return write


def _recurrent_out(config, owner):
    out = {key: config[key] for key in ("units", "use_bias", "return_sequences", "go_backwards", "return_state",
                                        "dropout", "recurrent_dropout")}
    out["seed"] = config.get("seed")
    out["activation"] = activation_to_keras(config["activation"], owner)
    for key in ("kernel_initializer", "recurrent_initializer", "bias_initializer"):
        out[key] = initializer_object_to_keras(config[key])
    if "recurrent_activation" in config:
        out["recurrent_activation"] = activation_to_keras(config["recurrent_activation"], owner)
    for key in ("unit_forget_bias", "reset_after"):
        if key in config:
            out[key] = config[key]
    for w in RECURRENT_WEIGHTS:
        out[f"{w}_regularizer"] = regularizer_to_keras(config.get(f"{w}_regularizer"))
        out[f"{w}_constraint"] = constraint_to_keras(config.get(f"{w}_constraint"))
    out["activity_regularizer"] = regularizer_to_keras(config.get("activity_regularizer"))
    return {**out, "stateful": False, "unroll": False, "zero_output_for_mask": config.get("zero_output_for_mask", False)}


def _random_image_out(*keys):
    """The random image layers: their own settings ``keys`` and the seed, channels last."""
    def write(config, owner):
        return {**{key: config[key] for key in keys}, "seed": config["seed"], "data_format": "channels_last"}
    return write


RESAMPLING_KEYS = ("fill_mode", "fill_value", "interpolation")


AUGMENTATION_KEYS = {     # Keras 3's image-augmentation layers: their config keys are glassnet's
    "RandomShear": ("x_factor", "y_factor", "fill_mode", "interpolation", "fill_value", "seed"),
    "RandomErasing": ("factor", "scale", "fill_value", "value_range", "seed"),
    "RandomGaussianBlur": ("factor", "kernel_size", "sigma", "value_range", "seed"),
    "RandomInvert": ("factor", "value_range", "seed"),
    "AutoContrast": ("value_range",),
    "Solarization": ("addition_factor", "threshold_factor", "value_range", "seed"),
    "RandomPerspective": ("factor", "scale", "interpolation", "fill_value", "seed"),
    "RandomElasticTransform": ("factor", "scale", "interpolation", "fill_mode", "fill_value", "value_range", "seed"),
    "RandomGrayscale": ("factor",),
    "RandomColorDegeneration": ("factor", "value_range", "seed"),
    "RandomPosterization": ("factor", "value_range", "seed"),
    "RandomSharpness": ("factor", "value_range", "seed"),
    "Equalization": ("bins", "value_range"),
    "MixUp": ("alpha", "seed"),
    "CutMix": ("factor", "seed"),
    "RandAugment": ("value_range", "num_ops", "factor", "interpolation", "seed"),
    "RandomSaturation": ("factor", "value_range", "seed"),
    "RandomHue": ("factor", "value_range", "seed"),
    "RandomColorJitter": ("value_range", "brightness_factor", "contrast_factor", "saturation_factor", "hue_factor",
                          "seed"),
    "AugMix": ("value_range", "num_chains", "chain_depth", "factor", "alpha", "all_ops", "interpolation", "seed"),
}


def _augmentation_out(class_name):
    """Keras's config of an augmentation layer: glassnet's keys, channels last."""
    def write(config, owner):
        return {**{key: config[key] for key in AUGMENTATION_KEYS[class_name]}, "data_format": "channels_last"}
    return write


def _shear_out(config, owner):
    """RandomShear as Keras writes it, except that a symmetric range ``(-f, f)`` is written as
    ``f``: Keras 3.15 refuses to read back the negative number of its own config."""
    out = _augmentation_out("RandomShear")(config, owner)
    for key in ("x_factor", "y_factor"):
        lower, upper = out[key]
        if lower == -upper:
            out[key] = upper
    return out


def _pipeline_in(config, reading, owner):
    """Keras's Pipeline: its layers, each read as a layer of its own."""
    return "Pipeline", {"layers": [layer_from_keras(spec, reading) for spec in config.get("layers") or []]}


RECURRENT = ("SimpleRNN", "LSTM", "GRU")
RECURRENT_WEIGHTS = ("kernel", "recurrent", "bias")    # their regularizers' and constraints' names


def _recurrent_in(class_name):
    """SimpleRNN, LSTM, GRU: the settings glassnet runs (dropout inside the recurrence too); a
    state kept across batches is refused."""
    def read(config, reading, owner):
        reading.require(config, owner, stateful=False, use_cudnn="auto")
        own = {"units": config["units"], "activation": _name_of(config.get("activation", "tanh")),
               "use_bias": config.get("use_bias", True),
               "return_sequences": config.get("return_sequences", False),
               "go_backwards": config.get("go_backwards", False),
               "return_state": config.get("return_state", False),
               "zero_output_for_mask": config.get("zero_output_for_mask", False),
               "dropout": config.get("dropout", 0.0), "recurrent_dropout": config.get("recurrent_dropout", 0.0),
               **{f"{w}_regularizer": regularizer_from_keras(config.get(f"{w}_regularizer"), owner, reading)
                  for w in (*RECURRENT_WEIGHTS, "activity")},
               **{f"{w}_constraint": constraint_from_keras(config.get(f"{w}_constraint"), owner, reading)
                  for w in RECURRENT_WEIGHTS}}
        if config.get("seed") is not None:
            own["seed"] = config["seed"]
        for key in ("kernel_initializer", "recurrent_initializer", "bias_initializer"):
            if key in config:
                own[key] = initializer_from_keras(config[key], owner, reading)
        if class_name != "SimpleRNN":
            own["recurrent_activation"] = _name_of(config.get("recurrent_activation", "sigmoid"))
        if class_name == "LSTM":
            own["unit_forget_bias"] = config.get("unit_forget_bias", True)
        if class_name == "GRU":
            own["reset_after"] = config.get("reset_after", True)
        return class_name, own
    return read


def _rnn_in(config, reading, owner):
    """Keras's ``RNN(LSTMCell(...))``: glassnet's LSTM, the cell's settings and the RNN's in one
    config (the weights are kept under the same ``cell`` path)."""
    cell = config.get("cell") or {}
    kind = cell.get("class_name", "") if isinstance(cell, dict) else ""
    if kind not in ("SimpleRNNCell", "LSTMCell", "GRUCell"):
        raise Unsupported(f"{owner} runs a {kind or 'cell'} that glassnet doesn't have (it runs SimpleRNNCell, "
                          f"LSTMCell and GRUCell)")
    layer = kind[:-len("Cell")]
    merged = {**(cell.get("config") or {}), **{key: value for key, value in config.items() if key != "cell"}}
    name, own = _recurrent_in(layer)(merged, reading, owner)
    return name, {**own, "made_as_rnn": True}


def _bidirectional_in(config, reading, owner):
    backward = config.get("backward_layer")
    return "Bidirectional", {"layer": layer_from_keras(config.get("layer"), reading),
                             "merge_mode": config.get("merge_mode", "concat"),
                             "backward_layer": None if backward is None else layer_from_keras(backward, reading)}


def _time_distributed_in(config, reading, owner):
    return "TimeDistributed", {"layer": layer_from_keras(config.get("layer"), reading)}


def _flatten_in(config, reading, owner):
    reading.require(config, owner, data_format="channels_last")
    return "Flatten", {}


def _rescaling_in(config, reading, owner):
    return "Rescaling", {"scale": config["scale"], "offset": config.get("offset", 0.0)}


def _resizing_in(config, reading, owner):
    reading.require(config, owner, data_format="channels_last", pad_to_aspect_ratio=False)
    return "Resizing", {"height": config["height"], "width": config["width"],
                        "interpolation": config.get("interpolation", "bilinear"),
                        "crop_to_aspect_ratio": bool(config.get("crop_to_aspect_ratio", False))}


def _reshape_in(config, reading, owner):
    return "Reshape", {"target_shape": config["target_shape"]}


def _permute_in(config, reading, owner):
    return "Permute", {"dims": config["dims"]}


def _repeat_vector_in(config, reading, owner):
    return "RepeatVector", {"n": config["n"]}


def _activation_in(config, reading, owner):
    return "Activation", {"activation": activation_from_keras(config.get("activation"), owner) or "linear"}


def _relu_in(config, reading, owner):
    return "ReLU", _relu_options(config)


def _relu_options(config):
    """ReLU's three options, as Keras and glassnet both spell them: the ceiling, the slope
    below the threshold, and the threshold itself."""
    max_value = config.get("max_value")
    return {"max_value": None if max_value is None else float(max_value),
            "negative_slope": float(config.get("negative_slope") or 0.0),
            "threshold": float(config.get("threshold") or 0.0)}


def _leaky_relu_in(config, reading, owner):
    return "LeakyReLU", {"negative_slope": config.get("negative_slope", 0.3)}


def _softmax_in(config, reading, owner):
    reading.require(config, owner, axis=-1)
    return "Softmax", {}


def _merge_in(class_name):
    def read(config, reading, owner):
        return class_name, {}
    return read


def _concatenate_in(config, reading, owner):
    return "Concatenate", {"axis": config.get("axis", -1)}


def _dot_in(config, reading, owner):
    return "Dot", {"axes": config.get("axes", -1), "normalize": bool(config.get("normalize", False))}


KERAS_ALIASES = ("MaxPool2D", "AvgPool2D", "GlobalAvgPool2D", "GlobalMaxPool2D", "Convolution1D", "MaxPool1D",
                 "AvgPool1D", "GlobalAvgPool1D", "GlobalMaxPool1D", "SeparableConvolution2D",
                 "Convolution1DTranspose", "SeparableConvolution1D", "Convolution3D", "Convolution3DTranspose",
                 "MaxPool3D", "AvgPool3D", "GlobalAvgPool3D", "GlobalMaxPool3D")
LAYERS_FROM_KERAS = {
    "Dense": _dense_in, "Conv2D": _conv2d_in, "Conv1D": _conv1d_in, "Convolution1D": _conv1d_in,
    **{name: _pooling_in(kind, pool_size=(2,)) for name, kind in (
        ("MaxPooling1D", "MaxPooling1D"), ("MaxPool1D", "MaxPooling1D"),
        ("AveragePooling1D", "AveragePooling1D"), ("AvgPool1D", "AveragePooling1D"))},
    **{name: _global_pooling_in(kind) for name, kind in (
        ("GlobalAveragePooling1D", "GlobalAveragePooling1D"), ("GlobalAvgPool1D", "GlobalAveragePooling1D"),
        ("GlobalMaxPooling1D", "GlobalMaxPooling1D"), ("GlobalMaxPool1D", "GlobalMaxPooling1D"))},
    "Conv2DTranspose": lambda config, reading, owner: _conv2d_in(config, reading, owner, "Conv2DTranspose"),
    "DepthwiseConv2D": _depthwise_in("DepthwiseConv2D"), "SeparableConv2D": _depthwise_in("SeparableConv2D"),
    "SeparableConvolution2D": _depthwise_in("SeparableConv2D"),
    "MaxPooling2D": _pooling_in("MaxPooling2D"), "AveragePooling2D": _pooling_in("AveragePooling2D"),
    "MaxPool2D": _pooling_in("MaxPooling2D"), "AvgPool2D": _pooling_in("AveragePooling2D"),
    "GlobalAveragePooling2D": _global_pooling_in("GlobalAveragePooling2D"),
    "GlobalAvgPool2D": _global_pooling_in("GlobalAveragePooling2D"),
    "GlobalMaxPooling2D": _global_pooling_in("GlobalMaxPooling2D"),
    "GlobalMaxPool2D": _global_pooling_in("GlobalMaxPooling2D"),
    "ELU": lambda config, reading, owner: ("ELU", {"alpha": config.get("alpha", 1.0)}),
    "PReLU": _prelu_in,
    "BatchNormalization": _batchnorm_in, "LayerNormalization": _layernorm_in,
    "GroupNormalization": _groupnorm_in, "Dropout": _dropout_in, "Flatten": _flatten_in,
    "Reshape": _reshape_in, "Permute": _permute_in, "RepeatVector": _repeat_vector_in,
    "Identity": lambda config, reading, owner: ("Identity", {}),
    "Rescaling": _rescaling_in, "Resizing": _resizing_in, "Lambda": lambda_from_keras,
    "CenterCrop": _image_layer_in("CenterCrop", "height", "width"),
    "RandomCrop": _image_layer_in("RandomCrop", "height", "width", "seed"), "Activation": _activation_in, "ReLU": _relu_in,
    "LeakyReLU": _leaky_relu_in, "Softmax": _softmax_in, "Concatenate": _concatenate_in, "Dot": _dot_in,
    "ZeroPadding2D": _image_layer_in("ZeroPadding2D", "padding"),
    "Cropping2D": _image_layer_in("Cropping2D", "cropping"),
    "UpSampling2D": _image_layer_in("UpSampling2D", "size", interpolation="nearest"),
    "ZeroPadding1D": _image_layer_in("ZeroPadding1D", "padding"),
    "Cropping1D": _image_layer_in("Cropping1D", "cropping"),
    "UpSampling1D": _image_layer_in("UpSampling1D", "size"),
    "Embedding": _embedding_in,
    "Masking": lambda config, reading, owner: ("Masking", {"mask_value": config.get("mask_value", 0.0)}),
    "Attention": _attention_in, "MultiHeadAttention": _multi_head_attention_in,
    "GaussianNoise": _image_layer_in("GaussianNoise", "stddev", "seed"),
    "GaussianDropout": _image_layer_in("GaussianDropout", "rate", "seed"),
    "SpatialDropout2D": _image_layer_in("SpatialDropout2D", "rate", "seed"),
    "SpatialDropout1D": lambda config, reading, owner: ("SpatialDropout1D", _seeded({"rate": config["rate"]}, config)),
    "AlphaDropout": _image_layer_in("AlphaDropout", "rate", "seed", noise_shape=None),
    "ActivityRegularization": lambda config, reading, owner: (
        "ActivityRegularization", {"l1": config.get("l1", 0.0), "l2": config.get("l2", 0.0)}),
    "UnitNormalization": lambda config, reading, owner: ("UnitNormalization", {"axis": config.get("axis", -1)}),
    "RandomRotation": _image_layer_in("RandomRotation", "factor", *RESAMPLING_KEYS, "seed"),
    "RandomTranslation": _image_layer_in("RandomTranslation", "height_factor", "width_factor",
                                         *RESAMPLING_KEYS, "seed"),
    "RandomZoom": _image_layer_in("RandomZoom", "height_factor", "width_factor", *RESAMPLING_KEYS, "seed"),
    "RandomFlip": _image_layer_in("RandomFlip", "mode", "seed"),
    "RandomContrast": _image_layer_in("RandomContrast", "factor", "value_range", "seed"),
    "RandomBrightness": _image_layer_in("RandomBrightness", "factor", "value_range", "seed"),
    "Normalization": _normalization_in,
    **{name: _text_in(name) for name in TEXT_KEYS},
    **{name: _recurrent_in(name) for name in RECURRENT},
    "RNN": _rnn_in,
    "Bidirectional": _bidirectional_in, "TimeDistributed": _time_distributed_in,
    **{name: _merge_in(name) for name in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum")},
    "Conv1DTranspose": _conv1d_transpose_in, "Convolution1DTranspose": _conv1d_transpose_in,
    "DepthwiseConv1D": _depthwise_in("DepthwiseConv1D"), "SeparableConv1D": _depthwise_in("SeparableConv1D"),
    "SeparableConvolution1D": _depthwise_in("SeparableConv1D"),
    "Conv3D": _conv3d_in, "Convolution3D": _conv3d_in,
    "Conv3DTranspose": _conv3d_transpose_in, "Convolution3DTranspose": _conv3d_transpose_in,
    **{name: _pooling_in(kind, pool_size=(2, 2, 2)) for name, kind in (
        ("MaxPooling3D", "MaxPooling3D"), ("MaxPool3D", "MaxPooling3D"),
        ("AveragePooling3D", "AveragePooling3D"), ("AvgPool3D", "AveragePooling3D"))},
    **{name: _global_pooling_in(kind) for name, kind in (
        ("GlobalAveragePooling3D", "GlobalAveragePooling3D"), ("GlobalAvgPool3D", "GlobalAveragePooling3D"),
        ("GlobalMaxPooling3D", "GlobalMaxPooling3D"), ("GlobalMaxPool3D", "GlobalMaxPooling3D"))},
    "ZeroPadding3D": _image_layer_in("ZeroPadding3D", "padding"),
    "Cropping3D": _image_layer_in("Cropping3D", "cropping"),
    "UpSampling3D": _image_layer_in("UpSampling3D", "size"),
    "SpatialDropout3D": _image_layer_in("SpatialDropout3D", "rate", "seed"),
    "ConvLSTM2D": _conv_lstm_in("ConvLSTM2D"), "ConvLSTM1D": _conv_lstm_in("ConvLSTM1D"),
    **{f"Adaptive{kind}Pooling{rank}D": _image_layer_in(f"Adaptive{kind}Pooling{rank}D", "output_size")
       for kind in ("Average", "Max") for rank in (1, 2, 3)},
    **{name: _image_layer_in(name, *keys) for name, keys in AUGMENTATION_KEYS.items()},
    "Pipeline": _pipeline_in,
}


def layer_from_keras(spec, reading):
    """One Keras layer spec -> glassnet's ``{"class_name", "config"}`` (models recursively)."""
    if not isinstance(spec, dict):
        raise Unsupported(f"a layer entry is {type(spec).__name__}, not a layer description")
    class_name, config = spec.get("class_name"), spec.get("config")
    if not isinstance(config, dict):
        raise Unsupported(f"layer {class_name!r} has no config")
    name = config.get("name") or spec.get("name")
    owner = f"layer {name!r} ({class_name})"
    if class_name in ("Sequential", "Functional", "Model"):      # a model inside a model
        from glassnet.interop.keras_graph import model_from_keras
        return model_from_keras(spec, reading)
    if class_name == "InputLayer":
        return {"class_name": "InputLayer", "config": input_from_keras(config, owner)}
    if class_name not in LAYERS_FROM_KERAS and not str(spec.get("module") or "").startswith("keras"):
        return _custom_from_keras(spec, config, reading, owner)      # the program's own class
    if class_name not in LAYERS_FROM_KERAS:
        known = sorted(name for name in LAYERS_FROM_KERAS if name not in KERAS_ALIASES)
        raise Unsupported(f"{owner}: glassnet has no {class_name} layer (it reads {', '.join(known)})")
    glassnet_class, own = LAYERS_FROM_KERAS[class_name](config, reading, owner)
    return {"class_name": glassnet_class, "config": {**_common_from_keras(config, reading, owner), **own}}


def input_from_keras(config, owner):
    shape = config.get("batch_shape") or config.get("batch_input_shape")
    batch = None
    if shape is not None:
        batch, shape = list(shape)[0], list(shape)[1:]
    else:
        shape = config.get("shape")
    if not isinstance(shape, list) or any(d is not None and (not isinstance(d, int) or isinstance(d, bool))
                                          for d in shape):          # None: a size left open
        raise Unsupported(f"{owner}: the input's shape must be a list of sizes, got {shape!r}")
    if config.get("sparse") or config.get("ragged"):
        raise Unsupported(f"{owner}: sparse or ragged inputs are not supported by glassnet")
    if batch is not None and (not isinstance(batch, int) or isinstance(batch, bool) or batch < 1):
        raise Unsupported(f"{owner}: the input's batch size must be a positive whole number, got {batch!r}")
    dtype = config.get("dtype")         # Input(dtype="string") for text, "int32" for token ids
    text = {"dtype": dtype} if dtype in ("string", "int32", "int64") else {}
    return {"name": config.get("name"), "shape": shape, **text, **({} if batch is None else {"batch_size": batch})}


# -- layers and models: glassnet -> Keras ----------------------------------------------------
def keras_class_name(layer):
    """The Keras class a glassnet layer is written as (it also names its weights' group)."""
    from glassnet.engine.model import Model
    from glassnet.engine.sequential import Sequential

    kind = type(layer).__name__
    if isinstance(layer, Sequential) and not layer.saved_as_graph:
        return "Sequential"
    if isinstance(layer, Model):
        return "Functional"
    if kind in ACTIVATION_LAYERS:
        return "Activation"
    if getattr(layer, "made_as_rnn", False):     # RNN(LSTMCell(...)): Keras's RNN, its weights' group "rnn"
        return "RNN"
    if kind == "Activation":
        fn = layer.get_config().get("activation")
        if isinstance(fn, dict) and fn.get("name") == "leaky_relu" \
                and not math.isclose(fn.get("negative_slope", -1), KERAS_LEAKY_SLOPE):
            return "LeakyReLU"
    return kind


def _common_to_keras(layer):
    return {"name": layer.name, "trainable": bool(layer.trainable), "dtype": _policy(layer.dtype)}


def _regularizers_out(config):
    return {key: regularizer_to_keras(config.get(key))
            for key in ("kernel_regularizer", "bias_regularizer", "activity_regularizer")}


def _dense_out(config, owner):
    return {"units": config["units"], "activation": activation_to_keras(config.get("activation"), owner),
            "use_bias": config.get("use_bias", True),
            "kernel_initializer": initializer_object_to_keras(config.get("kernel_initializer")),
            "bias_initializer": initializer_object_to_keras(config.get("bias_initializer", "zeros")),
            **_regularizers_out(config), "kernel_constraint": constraint_to_keras(config.get("kernel_constraint")),
            "bias_constraint": constraint_to_keras(config.get("bias_constraint"))}


def _conv2d_out(config, owner):
    return {"filters": config["filters"], "kernel_size": list(config["kernel_size"]),
            "strides": list(config["strides"]), "padding": config["padding"],
            "data_format": "channels_last", "dilation_rate": list(config.get("dilation_rate", [1, 1])),
            "groups": config.get("groups", 1),
            "activation": activation_to_keras(config.get("activation"), owner),
            "use_bias": config.get("use_bias", True),
            "kernel_initializer": initializer_object_to_keras(config.get("kernel_initializer")),
            "bias_initializer": initializer_object_to_keras(config.get("bias_initializer", "zeros")),
            **_regularizers_out(config),
            "kernel_constraint": constraint_to_keras(config.get("kernel_constraint")),
            "bias_constraint": constraint_to_keras(config.get("bias_constraint"))}


def _conv1d_out(config, owner):
    """Keras writes a Conv1D's sizes as one-element lists: ``"kernel_size": [3]``."""
    sizes = {key: [config[key]] for key in ("kernel_size", "strides", "dilation_rate")}
    return {**_conv2d_out({**config, **sizes}, owner), **sizes}


def _depthwise_out(class_name):
    def write(config, owner):
        weights = DEPTHWISE_WEIGHTS[class_name]
        out = {key: config[key] for key in ("filters", "kernel_size", "strides", "padding", "depth_multiplier",
                                            "dilation_rate", "use_bias") if key in config}
        return {**out, "data_format": "channels_last",
                "activation": activation_to_keras(config.get("activation"), owner),
                **{f"{w}_initializer": initializer_object_to_keras(config.get(f"{w}_initializer"))
                   for w in weights if w != "bias"},
                "bias_initializer": initializer_object_to_keras(config.get("bias_initializer", "zeros")),
                **{f"{w}_regularizer": regularizer_to_keras(config.get(f"{w}_regularizer"))
                   for w in weights + ("activity",)},
                **{f"{w}_constraint": constraint_to_keras(config.get(f"{w}_constraint")) for w in weights}}
    return write


def _depthwise1d_out(class_name):
    """DepthwiseConv1D and SeparableConv1D: as the 2-D ones, with Keras's one-element lists."""
    def write(config, owner):
        sizes = {key: [config[key]] for key in ("kernel_size", "strides", "dilation_rate")}
        return {**_depthwise_out(class_name)(config, owner), **sizes}
    return write


def _pooling_out(config, owner):
    as_list = (lambda v: [v]) if isinstance(config["pool_size"], int) else list   # 1-D: [2]; 2-D: [2, 2]
    return {"pool_size": as_list(config["pool_size"]), "padding": config["padding"],
            "strides": as_list(config["strides"]), "data_format": "channels_last"}


def _batchnorm_out(config, owner):
    return {"axis": config["axis"], "momentum": config["momentum"], "epsilon": config["epsilon"],
            "center": config["center"], "scale": config["scale"],
            "beta_initializer": initializer_to_keras("zeros"), "gamma_initializer": initializer_to_keras("ones"),
            "moving_mean_initializer": initializer_to_keras("zeros"),
            "moving_variance_initializer": initializer_to_keras("ones"),
            "beta_regularizer": None, "gamma_regularizer": None, "beta_constraint": None,
            "gamma_constraint": None, "synchronized": False}


def _layernorm_out(config, owner):
    return {"axis": -1, "epsilon": config["epsilon"], "center": config["center"], "scale": config["scale"],
            "rms_scaling": False,
            "beta_initializer": initializer_object_to_keras(config.get("beta_initializer", "zeros")),
            "gamma_initializer": initializer_object_to_keras(config.get("gamma_initializer", "ones")),
            "beta_regularizer": None,
            "gamma_regularizer": None, "beta_constraint": None, "gamma_constraint": None}



def _groupnorm_out(config, owner):
    return {**{key: config[key] for key in ("groups", "axis", "epsilon", "center", "scale")},
            **{f"{w}_initializer": initializer_object_to_keras(config.get(f"{w}_initializer", default))
               for w, default in (("beta", "zeros"), ("gamma", "ones"))},
            **{f"{w}_regularizer": regularizer_to_keras(config.get(f"{w}_regularizer")) for w in ("beta", "gamma")},
            **{f"{w}_constraint": constraint_to_keras(config.get(f"{w}_constraint")) for w in ("beta", "gamma")}}

def _embedding_out(config, owner):
    return {"input_dim": config["input_dim"], "output_dim": config["output_dim"],
            "embeddings_initializer": initializer_object_to_keras(config["embeddings_initializer"]),
            "embeddings_regularizer": regularizer_to_keras(config.get("embeddings_regularizer")),
            "activity_regularizer": regularizer_to_keras(config.get("activity_regularizer")),
            "embeddings_constraint": constraint_to_keras(config.get("embeddings_constraint")),
            "mask_zero": config.get("mask_zero", False), "quantization_config": None}


def _activation_layer_out(config, owner):
    fn = config.get("activation")
    if isinstance(fn, dict) and fn.get("name") == "leaky_relu" \
            and not math.isclose(fn.get("negative_slope", -1), KERAS_LEAKY_SLOPE):
        return {"negative_slope": fn["negative_slope"]}          # written as a LeakyReLU layer
    return {"activation": activation_to_keras(fn, owner)}


# glassnet's layers of one activation, which Keras has only as Activation("name")
ACTIVATION_LAYERS = {"Sigmoid": "sigmoid", "Tanh": "tanh", "GELU": "gelu", "SiLU": "silu", "Softplus": "softplus",
                     "Softsign": "softsign", "SELU": "selu", "ReLU6": "relu6", "HardSigmoid": "hard_sigmoid",
                     "HardSilu": "hard_silu", "Mish": "mish", "LogSoftmax": "log_softmax",
                     "Exponential": "exponential"}
# Keras 3's newer ones (ops.celu(x) on a placeholder is such a layer); their options at Keras's defaults.
ACTIVATION_LAYERS.update({"CELU": "celu", "HardShrink": "hard_shrink", "SoftShrink": "soft_shrink", "HardTanh": "hard_tanh",
                          "LogSigmoid": "log_sigmoid", "SparsePlus": "sparse_plus", "SparseSigmoid": "sparse_sigmoid",
                          "Squareplus": "squareplus", "TanhShrink": "tanh_shrink", "Sparsemax": "sparsemax"})
_KERAS_DEFAULTS = {"alpha": 1.0, "threshold": 0.5, "b": 4}


def _activation_class_out(name):
    """One of :data:`ACTIVATION_LAYERS`, written as Keras's Activation layer of that name."""
    def write(config, owner):
        if config.get("approximate"):
            raise ExportError(f"{owner}: Keras's 'gelu' activation is the exact one; GELU(approximate=True) "
                              f"has no Keras spelling as a layer")
        changed = [key for key, default in _KERAS_DEFAULTS.items() if config.get(key, default) != default]
        if changed:
            raise ExportError(f"{owner}: Keras's '{name}' activation has {changed[0]}={_KERAS_DEFAULTS[changed[0]]}; "
                              f"{changed[0]}={config[changed[0]]} has no Keras spelling as a layer")
        return {"activation": name}
    return write


LAYERS_TO_KERAS = {
    **{kind: _activation_class_out(name) for kind, name in ACTIVATION_LAYERS.items()},
    "Dense": _dense_out, "Conv2D": _conv2d_out,
    "Conv2DTranspose": lambda c, o: {**{k: v for k, v in _conv2d_out(c, o).items() if k != "groups"},
                                     "output_padding": None},
    "MaxPooling2D": _pooling_out, "AveragePooling2D": _pooling_out,
    "DepthwiseConv2D": _depthwise_out("DepthwiseConv2D"), "SeparableConv2D": _depthwise_out("SeparableConv2D"),
    "Conv1D": _conv1d_out, "MaxPooling1D": _pooling_out, "AveragePooling1D": _pooling_out,
    **{name: (lambda c, o: {"data_format": "channels_last", "keepdims": c.get("keepdims", False)})
       for name in ("GlobalAveragePooling1D", "GlobalMaxPooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling2D")},
    "ELU": lambda c, o: {"alpha": c["alpha"]},
    "PReLU": lambda c, o: {"alpha_initializer": initializer_object_to_keras(c["alpha_initializer"]),
                           "alpha_regularizer": regularizer_to_keras(c["alpha_regularizer"]),
                           "alpha_constraint": None, "shared_axes": c["shared_axes"]},
    "BatchNormalization": _batchnorm_out,
    "LayerNormalization": _layernorm_out,
    "GroupNormalization": _groupnorm_out,
    "Dropout": lambda c, o: {"rate": c["rate"], "seed": c.get("seed"), "noise_shape": None},
    "Flatten": lambda c, o: {"data_format": "channels_last"},
    "Reshape": lambda c, o: {"target_shape": list(c["target_shape"])},
    "Permute": lambda c, o: {"dims": list(c["dims"])},
    "RepeatVector": lambda c, o: {"n": c["n"]},
    "Identity": lambda c, o: {},
    "Rescaling": lambda c, o: {"scale": c["scale"], "offset": c["offset"]},
    "Resizing": lambda c, o: {"height": c["height"], "width": c["width"], "interpolation": c["interpolation"],
                              "crop_to_aspect_ratio": c["crop_to_aspect_ratio"], "pad_to_aspect_ratio": False,
                              "fill_mode": "constant", "fill_value": 0.0, "data_format": "channels_last"},
    "CenterCrop": lambda c, o: {"height": c["height"], "width": c["width"], "data_format": "channels_last"},
    "RandomCrop": lambda c, o: {"height": c["height"], "width": c["width"], "seed": c["seed"],
                                "data_format": "channels_last"},
    "Activation": _activation_layer_out,
    "ReLU": lambda c, o: _relu_options(c),
    "LeakyReLU": lambda c, o: {"negative_slope": c["negative_slope"]},
    "Softmax": lambda c, o: {"axis": -1},
    "Concatenate": lambda c, o: {"axis": c["axis"]},
    "Dot": lambda c, o: {"axes": c["axes"], "normalize": c["normalize"]},
    "ZeroPadding2D": lambda c, o: {"padding": c["padding"], "data_format": "channels_last"},
    "Cropping2D": lambda c, o: {"cropping": c["cropping"], "data_format": "channels_last"},
    "UpSampling2D": lambda c, o: {"size": c["size"], "data_format": "channels_last", "interpolation": "nearest"},
    "ZeroPadding1D": lambda c, o: {"padding": c["padding"], "data_format": "channels_last"},
    "Cropping1D": lambda c, o: {"cropping": c["cropping"]},
    "UpSampling1D": lambda c, o: {"size": c["size"]},
    "Embedding": _embedding_out,
    "Masking": lambda c, o: {"mask_value": c["mask_value"]},
    "Attention": lambda c, o: {"use_scale": c["use_scale"], "score_mode": "dot", "dropout": c["dropout"],
                               "seed": None},
    "MultiHeadAttention": lambda c, o: {
        "num_heads": c["num_heads"], "key_dim": c["key_dim"], "value_dim": c["value_dim"], "dropout": c["dropout"],
        "use_bias": c["use_bias"], "use_gate": False, "output_shape": c["output_shape"], "attention_axes": [1],
        "sliding_window": None, "kernel_initializer": initializer_object_to_keras(c.get("kernel_initializer")),
        "bias_initializer": initializer_object_to_keras(c.get("bias_initializer", "zeros")), **_regularizers_out(c),
        "kernel_constraint": constraint_to_keras(c.get("kernel_constraint")),
        "bias_constraint": constraint_to_keras(c.get("bias_constraint")), "seed": None},
    "GaussianNoise": lambda c, o: {"stddev": c["stddev"], "seed": c.get("seed")},
    "GaussianDropout": lambda c, o: {"rate": c["rate"], "seed": c.get("seed")},
    "SpatialDropout2D": lambda c, o: {"rate": c["rate"], "seed": c.get("seed"), "data_format": "channels_last"},
    "SpatialDropout1D": lambda c, o: {"rate": c["rate"], "seed": c.get("seed")},
    "AlphaDropout": lambda c, o: {"rate": c["rate"], "seed": c.get("seed"), "noise_shape": None},
    "ActivityRegularization": lambda c, o: {"l1": c["l1"], "l2": c["l2"]},
    "UnitNormalization": lambda c, o: {"axis": c["axis"]},
    "RandomRotation": _random_image_out("factor", *RESAMPLING_KEYS),
    "RandomTranslation": _random_image_out("height_factor", "width_factor", *RESAMPLING_KEYS),
    "RandomZoom": _random_image_out("height_factor", "width_factor", *RESAMPLING_KEYS),
    "RandomFlip": _random_image_out("mode"),
    "RandomContrast": _random_image_out("factor", "value_range"),
    "RandomBrightness": _random_image_out("factor", "value_range"),
    "Normalization": _normalization_out,
    **{name: _text_out(name) for name in TEXT_KEYS},
    **{name: _recurrent_out for name in RECURRENT},
    **{name: (lambda c, o: {}) for name in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum")},
    "Conv1DTranspose": lambda c, o: {**{k: v for k, v in _conv1d_out(c, o).items() if k != "groups"},
                                     "output_padding": None},
    "DepthwiseConv1D": _depthwise1d_out("DepthwiseConv1D"), "SeparableConv1D": _depthwise1d_out("SeparableConv1D"),
    "Conv3D": _conv2d_out,
    "Conv3DTranspose": lambda c, o: {**{k: v for k, v in _conv2d_out(c, o).items() if k != "groups"},
                                     "output_padding": None},
    "MaxPooling3D": _pooling_out, "AveragePooling3D": _pooling_out,
    **{name: (lambda c, o: {"data_format": "channels_last", "keepdims": c.get("keepdims", False)})
       for name in ("GlobalAveragePooling3D", "GlobalMaxPooling3D")},
    "ZeroPadding3D": lambda c, o: {"padding": c["padding"], "data_format": "channels_last"},
    "Cropping3D": lambda c, o: {"cropping": c["cropping"], "data_format": "channels_last"},
    "UpSampling3D": lambda c, o: {"size": c["size"], "data_format": "channels_last"},
    "SpatialDropout3D": lambda c, o: {"rate": c["rate"], "seed": c.get("seed"), "data_format": "channels_last"},
    "ConvLSTM2D": _conv_lstm_out,
    "ConvLSTM1D": lambda c, o: {**_conv_lstm_out(c, o),
                                **{key: [c[key]] for key in ("kernel_size", "strides", "dilation_rate")}},
    **{f"Adaptive{kind}Pooling{rank}D": lambda c, o: {"output_size": c["output_size"], "data_format": "channels_last"}
       for kind in ("Average", "Max") for rank in (1, 2, 3)},
    **{name: _augmentation_out(name) for name in AUGMENTATION_KEYS},
    "RandomShear": _shear_out,
}


def layer_to_keras(layer, input_shape):
    """A glassnet layer -> Keras's spec (``input_shape`` is Keras's, with None for the batch)."""
    from glassnet.engine.model import Model

    if isinstance(layer, Model):                             # a model inside a model
        from glassnet.interop.keras_graph import model_to_keras
        return model_to_keras(layer)
    if type(layer).__name__ == "MultiHeadAttention":     # Keras builds it from each input's shape
        names = ("query_shape", "value_shape", "key_shape")
        return {**_layer_spec(layer), "build_config": {"shapes_dict": dict(zip(names, input_shape))}}
    if type(layer).__name__ in RECURRENT + ("Bidirectional",) and layer.takes_list:   # with initial_state=
        return {**_layer_spec(layer), "build_config": {"shapes_dict": {
            "sequences_shape": input_shape[0], "initial_state_shape": input_shape[1:]}}}
    return {**_layer_spec(layer), "build_config": {"input_shape": input_shape}}


def _layer_spec(layer):
    """A glassnet layer as Keras's spec, without the build config (how Keras writes the layers
    inside a wrapper, too)."""
    kind = type(layer).__name__
    owner = f"layer '{layer.name}' ({kind})"
    wrapper = kind in ("Bidirectional", "TimeDistributed", "Pipeline")
    if is_custom(layer) and (layer.traces_call or _keras_base(layer)):   # a call(), or a Dense of yours
        return _custom_spec(layer)
    if kind == "Operation":
        raise ExportError(f"layer '{layer.name}' is ops.{layer.op} on a placeholder, which glassnet doesn't "
                          f"write to .keras files yet; save the model as .npz instead")
    if (kind not in LAYERS_TO_KERAS and not wrapper) or is_custom(layer):
        raise ExportError(f"{owner} has no Keras equivalent that glassnet knows; save the model "
                          f"as .npz instead")
    common = _common_to_keras(layer)
    if kind in ("SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "Discretization"):   # Keras's take no trainable= (nor write one)
        common.pop("trainable", None)
    if kind == "Bidirectional":        # the two inner layers as Keras writes them
        own = {"layer": _layer_spec(layer.forward_layer), "merge_mode": layer.merge_mode,
               "backward_layer": _layer_spec(layer.backward_layer)}
    elif kind == "TimeDistributed":
        own = {"layer": _layer_spec(layer.layer)}
    elif kind == "Pipeline":           # Keras's Pipeline(layers, name) takes no other setting
        own, common = {"layers": [_layer_spec(inner) for inner in layer.layers]}, {"name": common["name"]}
    else:
        own = LAYERS_TO_KERAS[kind](layer.get_config(), owner)
    if kind == "SpectralNormalization":     # the layer it wraps, as Keras writes it
        own = {"layer": _layer_spec(layer.layer), **own}
    if getattr(layer, "made_as_rnn", False):
        own = _rnn_out(kind, common, own)
    return _object("keras.layers", keras_class_name(layer), {**common, **own})


def _rnn_out(kind, common, own):
    """An LSTM made as ``RNN(LSTMCell(...))``, as Keras writes that: the RNN's own settings, and
    the cell's in a ``cell`` spec of its own."""
    rnn_keys = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll", "zero_output_for_mask")
    cell = {key: value for key, value in own.items() if key not in rnn_keys}
    return {**{key: own[key] for key in rnn_keys},
            "cell": _object("keras.layers", f"{kind}Cell", {**common, "name": f"{snake_case(kind)}_cell", **cell})}


def is_custom(layer):
    """A layer class of the user's program, not glassnet's."""
    return type(layer).__module__.split(".")[0] != "glassnet"


def _keras_base(layer):
    """The built-in layer class a layer of your own extends (``class ScaledDense(Dense)``) if
    Keras has it too, else None: Keras rebuilds such a layer from its class and config, as it
    does a ``call()`` of yours (a glassnet-only ``forward``/``backward`` it couldn't run).
    ``layer`` may be the class itself."""
    mro = (layer if isinstance(layer, type) else type(layer)).__mro__[1:]
    return next((cls for cls in mro if cls.__module__.startswith("glassnet.") and cls.__name__ in LAYERS_TO_KERAS
                 and cls.__name__ in LAYERS_FROM_KERAS), None)


def _own_arguments(cls, base):
    """The arguments ``cls.__init__`` names that ``base.__init__`` doesn't (``scale=`` of a
    ``ScaledDense(Dense)``): the settings a subclass adds to its base's config."""
    def named(init):
        return {name for name, parameter in inspect.signature(init).parameters.items()
                if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)}
    return sorted(named(cls.__init__) - named(base.__init__) - {"self"})


def _custom_spec(layer):
    """A layer of your own (a ``call()``) as Keras 3 writes one: its module, class and registered
    name, and its get_config; Keras loads it back with the class defined (or custom_objects)."""
    from glassnet.engine.configurable import registered_name

    cls = type(layer)
    config = layer.get_config()
    own = {key: value for key, value in config.items()
           if key not in ("name", "input_shape", "trainable", "dtype", "activity_regularizer")}
    if layer.activity_regularizer is not None:
        from glassnet.engine import regularizers
        own["activity_regularizer"] = regularizer_to_keras(regularizers.serialize(layer.activity_regularizer))
    # A get_config that didn't start from super().get_config() (keras.io's ``{"factor": ...}``)
    # is written as it is, as Keras writes it: its __init__ may take nothing else.
    common = _common_to_keras(layer) if "name" in config else {}
    if type(layer).get_config is Layer.get_config and not takes_name(cls):   # Keras's automatic config
        common.pop("name", None)
    return _object(cls.__module__, cls.__name__, {**common, **own},
                   registered_name=registered_name(cls) or cls.__name__)


def _custom_from_keras(spec, config, reading, owner):
    """A layer of the program's own from a Keras file: its config as it is (the class, defined
    by the program or given in custom_objects, rebuilds it), Keras's common keys translated.
    A subclass of a built-in layer (``class ScaledDense(Dense)``) has the built-in's settings
    read as that layer's are, and its own arguments as they are."""
    from glassnet.engine.configurable import find_registered

    cls = find_registered(spec.get("registered_name")) or find_registered(spec.get("class_name"))
    base = _keras_base(cls) if isinstance(cls, type) else None
    if base is not None:
        _, own = LAYERS_FROM_KERAS[base.__name__](config, reading, owner)
        own.update({key: config[key] for key in _own_arguments(cls, base) if key in config})
        return {"class_name": spec["class_name"], "config": {**_common_from_keras(config, reading, owner), **own}}
    own = {key: value for key, value in config.items() if key not in ("name", "trainable", "dtype")}
    if "activity_regularizer" in own:
        own["activity_regularizer"] = regularizer_from_keras(own["activity_regularizer"], owner, reading)
    return {"class_name": spec["class_name"], "config": {**_common_from_keras(config, reading, owner), **own}}


# -- Keras 3's RMSNormalization and EinsumDense ---------------------------------------------------
def _einsum_dense_in(config, reading, owner):
    reading.require(config, owner, lora_rank=None, quantization_config=None)
    return "EinsumDense", {"equation": config["equation"], "output_shape": config["output_shape"],
                           "bias_axes": config.get("bias_axes"),
                           "activation": activation_from_keras(config.get("activation"), owner),
                           **_initializers_in(config, reading, owner), **_regularizers_in(config, reading, owner),
                           **_constraints_in(config, reading, owner)}


def _einsum_dense_out(config, owner):
    return {"output_shape": list(config["output_shape"]), "equation": config["equation"],
            "activation": activation_to_keras(config.get("activation"), owner), "bias_axes": config["bias_axes"],
            "kernel_initializer": initializer_object_to_keras(config.get("kernel_initializer")),
            "bias_initializer": initializer_object_to_keras(config.get("bias_initializer", "zeros")),
            **_regularizers_out(config), "kernel_constraint": constraint_to_keras(config.get("kernel_constraint")),
            "bias_constraint": constraint_to_keras(config.get("bias_constraint")), "quantization_config": None}


LAYERS_FROM_KERAS.update({
    "RMSNormalization": lambda config, reading, owner: (
        "RMSNormalization", {"axis": config.get("axis", -1), "epsilon": config.get("epsilon", 1e-6)}),
    "EinsumDense": _einsum_dense_in,
    "AdditiveAttention": lambda config, reading, owner: (
        "AdditiveAttention", {"use_scale": config.get("use_scale", True), "dropout": config.get("dropout", 0.0)}),
    "SpectralNormalization": lambda config, reading, owner: (
        "SpectralNormalization", {"layer": layer_from_keras(config["layer"], reading),
                                  "power_iterations": config.get("power_iterations", 1)}),
})
LAYERS_TO_KERAS.update({
    "RMSNormalization": lambda c, o: {"axis": c["axis"], "epsilon": c["epsilon"]},
    "EinsumDense": _einsum_dense_out,
    "AdditiveAttention": lambda c, o: {"use_scale": c["use_scale"], "dropout": c["dropout"], "seed": None},
    "SpectralNormalization": lambda c, o: {"power_iterations": c["power_iterations"]},
})
