"""Keras 3's model configs in glassnet's words, and glassnet's in Keras's.

A ``.keras`` file describes its model in ``config.json``, in Keras's words: every layer is
``{"module": "keras.layers", "class_name": "Dense", "config": {...}}`` with all of Keras's
constructor arguments, and a Functional model lists each layer's calls as ``inbound_nodes``
of ``__keras_tensor__`` references. glassnet's own configs (``model.get_config()``) say the
same things more briefly. This module translates both ways, one small function per layer
class:

* :func:`model_from_keras`: a Keras model config -> glassnet's ``{"class_name", "config"}``,
  which ``deserialize_layer`` builds;
* :func:`model_to_keras`: a glassnet model -> the Keras config that ``keras.models.load_model``
  rebuilds.

(:mod:`glassnet.interop.keras_objects` translates the settings objects the layers hold:
activations, initializers, weight penalties, constraints; :mod:`glassnet.interop.keras_compile`
the optimizer, loss and metrics.)

Anything glassnet can't run *exactly* as Keras would (a layer it doesn't have, channels-first
images, a dilated transposed convolution, an activation it lacks) is refused with one line naming the
layer. Settings that matter only while training in Keras (constraints, a bias regularizer,
dropout's noise shape) can't change a prediction: they are collected in ``notes`` and the
loader warns about them once.
"""

import math

from glassnet.errors import ExportError
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
    if dtype == "float64":
        out["dtype"] = "float64"
    elif dtype not in (None, "float32"):
        reading.notes.append(f"{owner}: dtype policy {dtype!r} runs in float32 in glassnet")
    return out


def _constraints_in(config, reading, owner):
    return {f"{weight}_constraint": constraint_from_keras(config.get(f"{weight}_constraint"), owner, reading)
            for weight in ("kernel", "bias")}


def _regularizers_in(config, reading, owner):
    return {key: regularizer_from_keras(config.get(key), owner, reading)
            for key in ("kernel_regularizer", "bias_regularizer", "activity_regularizer")}


def _dense_in(config, reading, owner):
    reading.require(config, owner, lora_rank=None, quantization_config=None)
    return "Dense", {"units": config["units"],
                     "activation": activation_from_keras(config.get("activation"), owner),
                     "use_bias": config.get("use_bias", True),
                     "kernel_initializer": initializer_from_keras(config.get("kernel_initializer"), owner, reading),
                     **_regularizers_in(config, reading, owner), **_constraints_in(config, reading, owner)}


def _conv2d_in(config, reading, owner, class_name="Conv2D"):
    undilated = {"dilation_rate": [1, 1]} if class_name == "Conv2DTranspose" else {}
    reading.require(config, owner, data_format="channels_last", groups=1, lora_rank=None, output_padding=None,
                    **undilated)
    return class_name, {"filters": config["filters"], "kernel_size": config["kernel_size"],
                      "strides": config.get("strides", [1, 1]), "padding": config.get("padding", "valid"),
                      **({} if undilated else {"dilation_rate": config.get("dilation_rate", [1, 1])}),
                      "activation": activation_from_keras(config.get("activation"), owner),
                      "use_bias": config.get("use_bias", True),
                      "kernel_initializer": initializer_from_keras(config.get("kernel_initializer"), owner, reading),
                      **_regularizers_in(config, reading, owner), **_constraints_in(config, reading, owner)}


def _conv1d_in(config, reading, owner):
    reading.require(config, owner, data_format="channels_last", groups=1, lora_rank=None)
    return "Conv1D", {"filters": config["filters"], "kernel_size": config["kernel_size"],
                      "strides": config.get("strides", 1), "padding": config.get("padding", "valid"),
                      "dilation_rate": config.get("dilation_rate", 1),
                      "activation": activation_from_keras(config.get("activation"), owner),
                      "use_bias": config.get("use_bias", True),
                      "kernel_initializer": initializer_from_keras(config.get("kernel_initializer"), owner, reading),
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
               for w in weights if w != "bias"},
            **{f"{w}_regularizer": regularizer_from_keras(config.get(f"{w}_regularizer"), owner, reading)
               for w in weights + ("activity",)},
            **{f"{w}_constraint": constraint_from_keras(config.get(f"{w}_constraint"), owner, reading)
               for w in weights}}
    return read


def _embedding_in(config, reading, owner):
    """Keras 2 also wrote ``input_length``; the model's input gives the same length (Keras 2
    refused a mismatch), so it is not needed."""
    reading.require(config, owner, mask_zero=False, lora_rank=None, lora_alpha=None, quantization_config=None)
    return "Embedding", {"input_dim": config["input_dim"], "output_dim": config["output_dim"],
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
        "kernel_initializer": initializer_from_keras(config.get("kernel_initializer"), owner, reading),
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
                                  "center": config.get("center", True), "scale": config.get("scale", True)}


def _dropout_in(config, reading, owner):
    reading.training_only(config, owner, "noise_shape")
    return "Dropout", {"rate": config["rate"]}


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


def _recurrent_out(config, owner):
    out = {key: config[key] for key in ("units", "use_bias", "return_sequences", "go_backwards")}
    out["activation"] = activation_to_keras(config["activation"], owner)
    for key in ("kernel_initializer", "recurrent_initializer", "bias_initializer"):
        out[key] = initializer_object_to_keras(config[key])
    if "recurrent_activation" in config:
        out["recurrent_activation"] = activation_to_keras(config["recurrent_activation"], owner)
    for key in ("unit_forget_bias", "reset_after"):
        if key in config:
            out[key] = config[key]
    return {**out, "return_state": False, "stateful": False, "unroll": False}


def _random_image_out(*keys):
    """The random image layers: their own settings ``keys`` and the seed, channels last."""
    def write(config, owner):
        return {**{key: config[key] for key in keys}, "seed": config["seed"], "data_format": "channels_last"}
    return write


RESAMPLING_KEYS = ("fill_mode", "fill_value", "interpolation")


RECURRENT = ("SimpleRNN", "LSTM", "GRU")


def _recurrent_in(class_name):
    """SimpleRNN, LSTM, GRU: the settings glassnet runs; dropout inside the recurrence is
    Keras's training only (a note), a state kept across batches or returned is refused."""
    def read(config, reading, owner):
        reading.require(config, owner, stateful=False, return_state=False, use_cudnn="auto")
        reading.training_only(config, owner, "dropout", "recurrent_dropout", "kernel_regularizer",
                              "recurrent_regularizer", "bias_regularizer", "activity_regularizer",
                              "kernel_constraint", "recurrent_constraint", "bias_constraint")
        own = {"units": config["units"], "activation": _name_of(config.get("activation", "tanh")),
               "use_bias": config.get("use_bias", True),
               "return_sequences": config.get("return_sequences", False),
               "go_backwards": config.get("go_backwards", False)}
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


def _reshape_in(config, reading, owner):
    return "Reshape", {"target_shape": config["target_shape"]}


def _permute_in(config, reading, owner):
    return "Permute", {"dims": config["dims"]}


def _repeat_vector_in(config, reading, owner):
    return "RepeatVector", {"n": config["n"]}


def _activation_in(config, reading, owner):
    activation = activation_from_keras(config.get("activation"), owner)
    if activation is None:
        raise Unsupported(f"{owner} is a linear Activation, which glassnet doesn't have as a layer")
    return "Activation", {"activation": activation}


def _relu_in(config, reading, owner):
    reading.require(config, owner, max_value=None, threshold=0.0)
    slope = float(config.get("negative_slope") or 0.0)
    if slope:
        return "LeakyReLU", {"negative_slope": slope}
    return "ReLU", {}


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


KERAS_ALIASES = ("MaxPool2D", "AvgPool2D", "GlobalAvgPool2D", "GlobalMaxPool2D", "Convolution1D", "MaxPool1D",
                 "AvgPool1D", "GlobalAvgPool1D", "GlobalMaxPool1D", "SeparableConvolution2D")
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
    "BatchNormalization": _batchnorm_in, "LayerNormalization": _layernorm_in, "Dropout": _dropout_in, "Flatten": _flatten_in,
    "Reshape": _reshape_in, "Permute": _permute_in, "RepeatVector": _repeat_vector_in,
    "Identity": lambda config, reading, owner: ("Identity", {}),
    "Rescaling": _rescaling_in, "Activation": _activation_in, "ReLU": _relu_in,
    "LeakyReLU": _leaky_relu_in, "Softmax": _softmax_in, "Concatenate": _concatenate_in,
    "ZeroPadding2D": _image_layer_in("ZeroPadding2D", "padding"),
    "Cropping2D": _image_layer_in("Cropping2D", "cropping"),
    "UpSampling2D": _image_layer_in("UpSampling2D", "size", interpolation="nearest"),
    "ZeroPadding1D": _image_layer_in("ZeroPadding1D", "padding"),
    "Cropping1D": _image_layer_in("Cropping1D", "cropping"),
    "UpSampling1D": _image_layer_in("UpSampling1D", "size"),
    "Embedding": _embedding_in,
    "Attention": _attention_in, "MultiHeadAttention": _multi_head_attention_in,
    "GaussianNoise": _image_layer_in("GaussianNoise", "stddev"),
    "GaussianDropout": _image_layer_in("GaussianDropout", "rate"),
    "SpatialDropout2D": _image_layer_in("SpatialDropout2D", "rate"),
    "RandomRotation": _image_layer_in("RandomRotation", "factor", *RESAMPLING_KEYS, "seed"),
    "RandomTranslation": _image_layer_in("RandomTranslation", "height_factor", "width_factor",
                                         *RESAMPLING_KEYS, "seed"),
    "RandomZoom": _image_layer_in("RandomZoom", "height_factor", "width_factor", *RESAMPLING_KEYS, "seed"),
    "RandomFlip": _image_layer_in("RandomFlip", "mode", "seed"),
    "Normalization": _normalization_in,
    **{name: _recurrent_in(name) for name in RECURRENT},
    "Bidirectional": _bidirectional_in, "TimeDistributed": _time_distributed_in,
    **{name: _merge_in(name) for name in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum")},
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
    if class_name in ("Sequential", "Functional", "Model"):
        return model_from_keras(spec, reading)
    if class_name == "InputLayer":
        return {"class_name": "InputLayer", "config": _input_from_keras(config, owner)}
    if class_name not in LAYERS_FROM_KERAS and not str(spec.get("module") or "").startswith("keras"):
        return _custom_from_keras(spec, config, reading, owner)      # the program's own class
    if class_name not in LAYERS_FROM_KERAS:
        known = sorted(name for name in LAYERS_FROM_KERAS if name not in KERAS_ALIASES)
        raise Unsupported(f"{owner}: glassnet has no {class_name} layer (it reads {', '.join(known)})")
    glassnet_class, own = LAYERS_FROM_KERAS[class_name](config, reading, owner)
    return {"class_name": glassnet_class, "config": {**_common_from_keras(config, reading, owner), **own}}


def _input_from_keras(config, owner):
    shape = config.get("batch_shape") or config.get("batch_input_shape")
    if shape is not None:
        shape = list(shape)[1:]
    else:
        shape = config.get("shape")
    if not isinstance(shape, list) or any(d is not None and (not isinstance(d, int) or isinstance(d, bool))
                                          for d in shape):          # None: a size left open
        raise Unsupported(f"{owner}: the input's shape must be a list of sizes, got {shape!r}")
    if config.get("sparse") or config.get("ragged"):
        raise Unsupported(f"{owner}: sparse or ragged inputs are not supported by glassnet")
    return {"name": config.get("name"), "shape": shape}


# -- models: Keras -> glassnet ------------------------------------------------------------------
def model_from_keras(spec, reading):
    """A Keras model spec (Sequential or Functional) -> glassnet's model spec."""
    class_name, config = spec.get("class_name"), spec.get("config")
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise Unsupported(f"the {class_name} model's config has no list of layers")
    if class_name == "Sequential":
        return {"class_name": "Sequential", "config": _sequential_from_keras(config, reading)}
    if class_name in ("Functional", "Model"):
        return {"class_name": "Functional", "config": _functional_from_keras(config, reading)}
    raise Unsupported(f"the model is a {class_name!r}; glassnet reads Sequential and Functional "
                      f"models (a subclassed Keras model has no config to rebuild from)")


def _sequential_from_keras(config, reading):
    layers, input_shape = [], None
    for spec in config["layers"]:
        if isinstance(spec, dict) and spec.get("class_name") == "InputLayer":
            input_shape = _input_from_keras(spec.get("config") or {}, "the InputLayer")["shape"]
            continue
        inner = spec.get("config") if isinstance(spec, dict) else None
        if input_shape is None and not layers and isinstance(inner, dict) and inner.get("batch_input_shape"):
            input_shape = list(inner["batch_input_shape"])[1:]     # Keras 2's spelling
        layers.append(layer_from_keras(spec, reading))
    built = config.get("build_input_shape")
    if input_shape is None and isinstance(built, list) and built:
        input_shape = list(built)[1:]
    return {"name": config.get("name"), "trainable": config.get("trainable", True),
            "layers": layers, "input_shape": input_shape}


def _history(value):
    """A reference to a layer call's output: ``[layer_name, node_index, tensor_index]``."""
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        history = (value.get("config") or {}).get("keras_history")
    else:
        history = value
    if not (isinstance(history, list) and len(history) >= 3 and isinstance(history[0], str)
            and all(isinstance(i, int) and not isinstance(i, bool) for i in history[1:3])):
        raise Unsupported(f"a layer's input {value!r} is not a reference to another layer's output")
    return [history[0], history[1], history[2]]     # layer, call, which of its outputs


def _inbound_from_keras(nodes, owner):
    """Keras 3's ``[{"args": [...], "kwargs": {}}]`` (or Keras 2's nested lists) -> glassnet's
    ``[[[name, node, 0], ...], ...]``: for each call, the outputs it reads."""
    calls = []
    for node in nodes or []:
        if isinstance(node, dict):                       # Keras 3
            args, kwargs = node.get("args") or [], node.get("kwargs") or {}
            kwargs = {k: v for k, v in kwargs.items() if v is not None}   # Keras writes mask=None
            mode = _call_mode(kwargs, owner)
            if len(args) != 1:
                raise Unsupported(f"{owner} is called with {len(args)} arguments; glassnet passes one")
            tensors = args[0] if isinstance(args[0], list) and args[0] and not isinstance(args[0][0], str) \
                else [args[0]]
        elif isinstance(node, list):                      # Keras 2: [[name, node, tensor, kwargs], ...]
            tensors = node
            options = [t[3] if isinstance(t, list) and len(t) > 3 and t[3] else {} for t in tensors]
            mode = _call_mode(options[0] if options else {}, owner)
            if any(_call_mode(o, owner) != mode for o in options):
                raise Unsupported(f"{owner} is called with different arguments for its inputs")
        else:
            raise Unsupported(f"{owner}: a call is described by {type(node).__name__}")
        fixed = [{"training": mode}] if mode is not None else []
        calls.append([_history(t) + fixed for t in tensors])
    return calls


ATTENTION_LAYERS = ("Attention", "MultiHeadAttention")
# What an attention layer's call may say besides its tensors, and the value glassnet runs
ATTENTION_CALL_DEFAULTS = {"return_attention_scores": False, "use_causal_mask": False, "mask": None,
                           "attention_mask": None, "query_mask": None, "value_mask": None, "key_mask": None}


def _attention_calls_from_keras(nodes, own, owner):
    """An attention layer's calls: ``use_causal_mask`` moves into the layer's config (glassnet
    keeps it with the layer), MultiHeadAttention's ``(query, value[, key])`` become one list
    of tensors as glassnet's calls take them."""
    calls, causal = [], set()
    for node in nodes or []:
        if not isinstance(node, dict):
            raise Unsupported(f"{owner}: a call written as Keras 2 writes them")
        kwargs = dict(node.get("kwargs") or {})
        for key, default in ATTENTION_CALL_DEFAULTS.items():
            value = kwargs.pop(key, default)
            if key == "use_causal_mask":
                causal.add(bool(value))
            elif value != default:
                raise Unsupported(f"{owner} is called with {key}={value!r}, which glassnet can't run")
        args = node.get("args") or []
        if own["class_name"] == "MultiHeadAttention":
            args = [kwargs.pop(key) if key in kwargs else None for key in ("query", "value", "key")] \
                if not args else list(args) + [kwargs.pop(k) for k in ("value", "key") if k in kwargs]
            args = [[a for a in args if a is not None]]
        calls.append({"args": args, "kwargs": kwargs})
    if len(causal) > 1:
        raise Unsupported(f"{owner} is called with and without use_causal_mask; glassnet keeps one per layer")
    if True in causal:
        own["config"]["use_causal_mask"] = True
    return calls


def _call_mode(kwargs, owner):
    """A call's keyword arguments -> the ``training`` it fixes (None: none); anything else
    glassnet can't pass to a layer is Unsupported."""
    if not isinstance(kwargs, dict):
        raise Unsupported(f"{owner}: a call's arguments are {type(kwargs).__name__}, not a dict")
    other = sorted(set(kwargs) - {"training"})
    if other:
        raise Unsupported(f"{owner} is called with {', '.join(other)}=..., which glassnet can't pass "
                          f"to a layer")
    mode = kwargs.get("training")
    if mode is not None and not isinstance(mode, bool):
        raise Unsupported(f"{owner} is called with training={mode!r}; glassnet takes True or False")
    return mode


def _ends(value):
    """``input_layers``/``output_layers``: one ``[name, 0, 0]``, a list or a dict of them."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list) and value and isinstance(value[0], str):
        return [_history(value)]
    if not isinstance(value, list) or not value:
        raise Unsupported("the model's inputs or outputs are not listed")
    return [_history(v) for v in value]


def _functional_from_keras(config, reading):
    layers = []
    for spec in config["layers"]:
        if not isinstance(spec, dict):
            raise Unsupported("a layer entry is not a layer description")
        name = spec.get("name") or (spec.get("config") or {}).get("name")
        owner = f"layer {name!r} ({spec.get('class_name')})"
        own = layer_from_keras(spec, reading)
        nodes = spec.get("inbound_nodes")
        if own["class_name"] in ATTENTION_LAYERS:
            nodes = _attention_calls_from_keras(nodes, own, owner)
        layers.append({**own, "name": name, "inbound_nodes": _inbound_from_keras(nodes, owner)})
        layers[-1]["config"]["name"] = name
    inputs, outputs = config.get("input_layers"), config.get("output_layers")
    if isinstance(outputs, dict) and outputs:     # outputs by name: kept, so predict answers with a dict
        ends = {key: _ends(value)[0] for key, value in outputs.items()}
    else:
        ends = _ends(outputs)
    functional = {spec["name"] for spec in config["layers"] if spec.get("class_name") == "Functional"}
    shift = lambda entry: _end_call(entry, functional, -1)            # noqa: E731
    ends = {key: shift(e) for key, e in ends.items()} if isinstance(ends, dict) else [shift(e) for e in ends]
    return {"name": config.get("name"), "trainable": config.get("trainable", True), "layers": layers,
            "input_layers": [shift(e) for e in _ends(inputs)], "output_layers": ends}


def _end_call(entry, functional, step):
    """Keras numbers the calls of a Functional model inside another from 1 in a model's
    ``input_layers``/``output_layers`` (its call 0 is its own graph), but from 0 in the calls'
    arguments; glassnet numbers them from 0 everywhere. ``step``: -1 reading, +1 writing."""
    name, call, which = entry[:3]
    return [name, max(call + step, 0) if name in functional else call, which]


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
    if kind in ("Sigmoid", "Tanh"):
        return "Activation"
    if kind == "Activation":
        fn = layer.get_config().get("activation")
        if isinstance(fn, dict) and fn.get("name") == "leaky_relu" \
                and not math.isclose(fn.get("negative_slope", -1), KERAS_LEAKY_SLOPE):
            return "LeakyReLU"
    return kind


def keras_layer_order(model):
    """A Functional model's layers in the order Keras lists them (``model.layers``), which is
    also the order its weights file counts them in (``dense``, ``dense_1``, ...).

    Keras's order is not the order the layers run in: it groups them by *depth*, the number
    of calls between a layer and the output, deepest first, and breaks ties by the order a
    depth-first walk back from the outputs first meets them. (Keras's ``map_graph``, in
    ``keras/src/ops/function.py``, does exactly this.) Two branches of different lengths
    come out interleaved, so a file read in glassnet's order would swap their weights.
    """
    nodes, first_seen, done = [], {}, set()

    def visit(node):                     # post-order: a node after every node it reads
        if id(node) in done:
            return
        first_seen.setdefault(id(node.layer), len(first_seen))
        for tensor in node.inputs:
            visit(tensor.node)
        done.add(id(node))
        nodes.append(node)

    for tensor in model.outputs:
        visit(tensor.node)
    node_depth, layer_depth, layers = {}, {}, {}
    for node in reversed(nodes):         # from the outputs back: depth = 1 + the deepest reader
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = node_depth[id(node)] = depth
        layers[id(node.layer)] = node.layer
        for tensor in node.inputs:
            parent = id(tensor.node)
            node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
    for tensor in model.inputs:          # an input no output depends on
        layer = tensor.node.layer
        if id(layer) not in layers:
            layers[id(layer)], layer_depth[id(layer)], first_seen[id(layer)] = layer, 0, -1
    return sorted(layers.values(), key=lambda layer: (-layer_depth[id(layer)], first_seen[id(layer)]))


def keras_layers(model):
    """``model.layers`` as Keras lists them: a Sequential's stack, a Functional model's layers
    in :func:`keras_layer_order`."""
    from glassnet.engine.sequential import Sequential
    return model.layers if isinstance(model, Sequential) and not model.saved_as_graph else keras_layer_order(model)


def _common_to_keras(layer):
    return {"name": layer.name, "trainable": bool(layer.trainable), "dtype": _policy(layer.dtype)}


def _regularizers_out(config):
    return {key: regularizer_to_keras(config.get(key))
            for key in ("kernel_regularizer", "bias_regularizer", "activity_regularizer")}


def _dense_out(config, owner):
    return {"units": config["units"], "activation": activation_to_keras(config.get("activation"), owner),
            "use_bias": config.get("use_bias", True),
            "kernel_initializer": initializer_object_to_keras(config.get("kernel_initializer")),
            "bias_initializer": initializer_to_keras("zeros"),
            **_regularizers_out(config), "kernel_constraint": constraint_to_keras(config.get("kernel_constraint")),
            "bias_constraint": constraint_to_keras(config.get("bias_constraint"))}


def _conv2d_out(config, owner):
    return {"filters": config["filters"], "kernel_size": list(config["kernel_size"]),
            "strides": list(config["strides"]), "padding": config["padding"],
            "data_format": "channels_last", "dilation_rate": list(config.get("dilation_rate", [1, 1])), "groups": 1,
            "activation": activation_to_keras(config.get("activation"), owner),
            "use_bias": config.get("use_bias", True),
            "kernel_initializer": initializer_object_to_keras(config.get("kernel_initializer")),
            "bias_initializer": initializer_to_keras("zeros"),
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
                "bias_initializer": initializer_to_keras("zeros"),
                **{f"{w}_regularizer": regularizer_to_keras(config.get(f"{w}_regularizer"))
                   for w in weights + ("activity",)},
                **{f"{w}_constraint": constraint_to_keras(config.get(f"{w}_constraint")) for w in weights}}
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
            "rms_scaling": False, "beta_initializer": initializer_to_keras("zeros"),
            "gamma_initializer": initializer_to_keras("ones"), "beta_regularizer": None,
            "gamma_regularizer": None, "beta_constraint": None, "gamma_constraint": None}


def _embedding_out(config, owner):
    return {"input_dim": config["input_dim"], "output_dim": config["output_dim"],
            "embeddings_initializer": initializer_object_to_keras(config["embeddings_initializer"]),
            "embeddings_regularizer": regularizer_to_keras(config.get("embeddings_regularizer")),
            "activity_regularizer": regularizer_to_keras(config.get("activity_regularizer")),
            "embeddings_constraint": constraint_to_keras(config.get("embeddings_constraint")),
            "mask_zero": False, "quantization_config": None}


def _activation_layer_out(config, owner):
    fn = config.get("activation")
    if isinstance(fn, dict) and fn.get("name") == "leaky_relu" \
            and not math.isclose(fn.get("negative_slope", -1), KERAS_LEAKY_SLOPE):
        return {"negative_slope": fn["negative_slope"]}          # written as a LeakyReLU layer
    return {"activation": activation_to_keras(fn, owner)}


LAYERS_TO_KERAS = {
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
    "Dropout": lambda c, o: {"rate": c["rate"], "seed": None, "noise_shape": None},
    "Flatten": lambda c, o: {"data_format": "channels_last"},
    "Reshape": lambda c, o: {"target_shape": list(c["target_shape"])},
    "Permute": lambda c, o: {"dims": list(c["dims"])},
    "RepeatVector": lambda c, o: {"n": c["n"]},
    "Identity": lambda c, o: {},
    "Rescaling": lambda c, o: {"scale": c["scale"], "offset": c["offset"]},
    "Activation": _activation_layer_out,
    "Sigmoid": lambda c, o: {"activation": "sigmoid"},
    "Tanh": lambda c, o: {"activation": "tanh"},
    "ReLU": lambda c, o: {"max_value": None, "negative_slope": 0.0, "threshold": 0.0},
    "LeakyReLU": lambda c, o: {"negative_slope": c["negative_slope"]},
    "Softmax": lambda c, o: {"axis": -1},
    "Concatenate": lambda c, o: {"axis": c["axis"]},
    "ZeroPadding2D": lambda c, o: {"padding": c["padding"], "data_format": "channels_last"},
    "Cropping2D": lambda c, o: {"cropping": c["cropping"], "data_format": "channels_last"},
    "UpSampling2D": lambda c, o: {"size": c["size"], "data_format": "channels_last", "interpolation": "nearest"},
    "ZeroPadding1D": lambda c, o: {"padding": c["padding"], "data_format": "channels_last"},
    "Cropping1D": lambda c, o: {"cropping": c["cropping"]},
    "UpSampling1D": lambda c, o: {"size": c["size"]},
    "Embedding": _embedding_out,
    "Attention": lambda c, o: {"use_scale": c["use_scale"], "score_mode": "dot", "dropout": c["dropout"],
                               "seed": None},
    "MultiHeadAttention": lambda c, o: {
        "num_heads": c["num_heads"], "key_dim": c["key_dim"], "value_dim": c["value_dim"], "dropout": c["dropout"],
        "use_bias": c["use_bias"], "use_gate": False, "output_shape": c["output_shape"], "attention_axes": [1],
        "sliding_window": None, "kernel_initializer": initializer_object_to_keras(c.get("kernel_initializer")),
        "bias_initializer": initializer_to_keras("zeros"), **_regularizers_out(c),
        "kernel_constraint": constraint_to_keras(c.get("kernel_constraint")),
        "bias_constraint": constraint_to_keras(c.get("bias_constraint")), "seed": None},
    "GaussianNoise": lambda c, o: {"stddev": c["stddev"], "seed": None},
    "GaussianDropout": lambda c, o: {"rate": c["rate"], "seed": None},
    "SpatialDropout2D": lambda c, o: {"rate": c["rate"], "seed": None, "data_format": "channels_last"},
    "RandomRotation": _random_image_out("factor", *RESAMPLING_KEYS),
    "RandomTranslation": _random_image_out("height_factor", "width_factor", *RESAMPLING_KEYS),
    "RandomZoom": _random_image_out("height_factor", "width_factor", *RESAMPLING_KEYS),
    "RandomFlip": _random_image_out("mode"),
    "Normalization": _normalization_out,
    **{name: _recurrent_out for name in RECURRENT},
    **{name: (lambda c, o: {}) for name in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum")},
}


def layer_to_keras(layer, input_shape):
    """A glassnet layer -> Keras's spec (``input_shape`` is Keras's, with None for the batch)."""
    from glassnet.engine.model import Model

    if isinstance(layer, Model):
        return model_to_keras(layer)
    if type(layer).__name__ == "MultiHeadAttention":     # Keras builds it from each input's shape
        names = ("query_shape", "value_shape", "key_shape")
        return {**_layer_spec(layer), "build_config": {"shapes_dict": dict(zip(names, input_shape))}}
    return {**_layer_spec(layer), "build_config": {"input_shape": input_shape}}


def _layer_spec(layer):
    """A glassnet layer as Keras's spec, without the build config (how Keras writes the layers
    inside a wrapper, too)."""
    kind = type(layer).__name__
    owner = f"layer '{layer.name}' ({kind})"
    wrapper = kind in ("Bidirectional", "TimeDistributed")
    if is_custom(layer) and layer.traces_call:      # Keras's kind of layer of your own: call()
        return _custom_spec(layer)
    if (kind not in LAYERS_TO_KERAS and not wrapper) or is_custom(layer):
        raise ExportError(f"{owner} has no Keras equivalent that glassnet knows; save the model "
                          f"as .npz instead")
    common = _common_to_keras(layer)
    if kind == "SpatialDropout2D":     # Keras's takes no trainable= (and never writes one)
        common.pop("trainable", None)
    if kind == "Bidirectional":        # the two inner layers as Keras writes them
        own = {"layer": _layer_spec(layer.forward_layer), "merge_mode": layer.merge_mode,
               "backward_layer": _layer_spec(layer.backward_layer)}
    elif kind == "TimeDistributed":
        own = {"layer": _layer_spec(layer.layer)}
    else:
        own = LAYERS_TO_KERAS[kind](layer.get_config(), owner)
    return _object("keras.layers", keras_class_name(layer), {**common, **own})


def is_custom(layer):
    """A layer class of the user's program, not glassnet's."""
    return type(layer).__module__.split(".")[0] != "glassnet"


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
    return _object(cls.__module__, cls.__name__, {**common, **own},
                   registered_name=registered_name(cls) or cls.__name__)


def _custom_from_keras(spec, config, reading, owner):
    """A layer of the program's own from a Keras file: its config as it is (the class, defined
    by the program or given in custom_objects, rebuilds it), Keras's common keys translated."""
    own = {key: value for key, value in config.items() if key not in ("name", "trainable", "dtype")}
    if "activity_regularizer" in own:
        own["activity_regularizer"] = regularizer_from_keras(own["activity_regularizer"], owner, reading)
    return {"class_name": spec["class_name"], "config": {**_common_from_keras(config, reading, owner), **own}}


def _batch(shape):
    return [None, *shape]


def _input_to_keras(name, shape, dtype):
    return _object("keras.layers", "InputLayer",
                   {"batch_shape": _batch(shape), "dtype": str(dtype), "sparse": False, "ragged": False,
                    "name": name, "optional": False})


def model_to_keras(model):
    """A glassnet model -> the spec Keras's ``deserialize_keras_object`` rebuilds."""
    from glassnet.engine.sequential import Sequential

    if not model.built:
        raise ExportError(f"model '{model.name}' isn't built yet, so it has no weights to write")
    if isinstance(model, Sequential) and not model.saved_as_graph:   # else: the graph it traced
        shape = list(model.sample_shapes[0])
        layers = [_input_to_keras(model.inputs[0].node.layer.name, shape, model.dtype)]
        for layer, layer_input in zip(model.layers, _sequential_inputs(model)):
            layers.append(layer_to_keras(layer, _batch(layer_input)))
        return {**_object("keras", "Sequential",
                          {"name": model.name, "trainable": bool(model.trainable),
                           "dtype": _policy(model.dtype), "layers": layers,
                           "build_input_shape": _batch(shape)}),
                "build_config": {"input_shape": _batch(shape)}}
    return {**_object("keras.src.models.functional", "Functional", _functional_to_keras(model),
                      registered_name="Functional"),
            "build_config": {"input_shape": None}}


def _sequential_inputs(model):
    """Each layer's input shape (per sample) in a built Sequential."""
    return [node.inputs[0].sample_shape for node in _calls(model)]


def _calls(model):
    """The model's layer calls in order, InputLayers left out (a model internal, kept here)."""
    from glassnet.engine.layers.input_layer import InputLayer
    return [node for node in model._nodes if not isinstance(node.layer, InputLayer)]


def _functional_to_keras(model):
    config = model.get_config()                          # names, inbound nodes, ends
    shapes = {}
    counts = {}
    for node in model._nodes:                            # (layer name, call index) -> output
        index = counts.get(id(node.layer), 0)
        counts[id(node.layer)] = index + 1
        for t in node.outputs:
            shapes[(node.layer.name, index, t.index)] = (t.sample_shape, t.dtype)

    def tensor(name, index, which=0):
        shape, dtype = shapes[(name, index, which)]
        return {"class_name": "__keras_tensor__",
                "config": {"shape": _batch(shape), "dtype": str(dtype), "keras_history": [name, index, which]}}

    specs = {spec["name"]: spec for spec in config["layers"]}
    layers = []
    for layer in keras_layer_order(model):
        saved_calls = specs[layer.name]["inbound_nodes"]
        calls = [[tensor(*entry[:3]) for entry in call] for call in saved_calls]
        if not calls:                                    # an InputLayer
            keras_spec = _input_to_keras(layer.name, list(layer.input_shape), layer.dtype)
        else:
            shapes_in = [t["config"]["shape"] for t in calls[0]]
            keras_spec = layer_to_keras(layer, shapes_in if layer.takes_list else shapes_in[0])
        keras_spec["name"] = layer.name
        # Keras 3 writes each call's arguments: one tensor, or a list for a merge layer.
        # A call that fixed its mode (layer(x, training=False)) says so in its kwargs.
        keras_spec["inbound_nodes"] = [{"args": [call if layer.takes_list else call[0]],
                                        "kwargs": dict(saved[0][3]) if len(saved[0]) > 3 else {}}
                                       for call, saved in zip(calls, saved_calls)]
        kind = type(layer).__name__
        for node in keras_spec["inbound_nodes"] if kind in ATTENTION_LAYERS else []:
            if kind == "MultiHeadAttention":                  # mha(query, value[, key])
                node["args"] = node["args"][0]
            if layer.use_causal_mask:                         # Keras: an argument of the call
                node["kwargs"]["use_causal_mask"] = True
        layers.append(keras_spec)
    functional = {layer.name for layer in model.layers if keras_class_name(layer) == "Functional"}
    ends = [_end_call(entry, functional, +1) for entry in config["input_layers"]]
    if isinstance(config["output_layers"], dict):           # outputs by name, as Keras 3 writes them
        outs = {key: _end_call(entry, functional, +1) for key, entry in config["output_layers"].items()}
    else:
        outs = [_end_call(entry, functional, +1) for entry in config["output_layers"]]
        outs = outs[0] if len(outs) == 1 else outs
    return {"name": model.name, "trainable": bool(model.trainable), "layers": layers,
            "input_layers": ends[0] if len(ends) == 1 else ends, "output_layers": outs}
