"""Keras 3's model configs: a model's layers and the calls between them, both ways.

A Sequential lists its layers; a Functional model lists each layer with its calls, the
``inbound_nodes``: each call's arguments, as references ``[layer, call, output]`` to the
outputs of earlier calls (``__keras_tensor__`` objects in Keras 3, plain lists in Keras 2).
glassnet's own configs (``model.get_config()``) say the same with ``[layer, call, output]``
lists. This module translates the graph; :mod:`glassnet.interop.keras_config` translates each
layer in it.

* :func:`model_from_keras`: a Keras model config -> glassnet's ``{"class_name", "config"}``,
  which ``deserialize_layer`` builds;
* :func:`model_to_keras`: a glassnet model -> the Keras config that ``keras.models.load_model``
  rebuilds.
"""

from glassnet.errors import ExportError
from glassnet.interop.keras_config import (RECURRENT, input_from_keras, keras_class_name, layer_from_keras,
                                          layer_to_keras)
from glassnet.interop.keras_objects import Unsupported, _object, _policy


# -- models: Keras -> glassnet ------------------------------------------------------------------
def model_from_keras(spec, reading):
    """A Keras model spec (Sequential or Functional, or a subclass of the program's own) ->
    glassnet's model spec."""
    class_name, config = spec.get("class_name"), spec.get("config")
    if class_name not in ("Sequential", "Functional", "Model") and isinstance(config, dict) \
            and not str(spec.get("module") or "").startswith("keras"):
        return _subclass_from_keras(spec, reading)
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise Unsupported(f"the {class_name} model's config has no list of layers")
    if class_name == "Sequential":
        return {"class_name": "Sequential", "config": _sequential_from_keras(config, reading)}
    if class_name in ("Functional", "Model"):
        return {"class_name": "Functional", "config": _functional_from_keras(config, reading)}
    raise Unsupported(f"the model is a {class_name!r}; glassnet reads Sequential and Functional "
                      f"models (a subclassed Keras model has no config to rebuild from)")


def _subclass_from_keras(spec, reading):
    """A subclass of keras.Model the program defines (its class, registered or given in
    custom_objects, rebuilds it from its get_config), with the input shape Keras built it for."""
    own = layer_from_keras(spec, reading)
    build = spec.get("build_config")
    shape = build.get("input_shape") if isinstance(build, dict) else None
    if not isinstance(shape, list) or not shape:
        return own
    # Keras's shapes start with the batch it was built on ([8, 5]): any batch here
    anybatch = [[None, *one[1:]] for one in shape] if all(isinstance(one, list) and one for one in shape) \
        else [None, *shape[1:]]
    return {**own, "build_input_shape": anybatch}


def _sequential_from_keras(config, reading):
    layers, input_shape, batch = [], None, None
    for spec in config["layers"]:
        if isinstance(spec, dict) and spec.get("class_name") == "InputLayer":
            given = input_from_keras(spec.get("config") or {}, "the InputLayer")
            input_shape, batch = given["shape"], given.get("batch_size")
            continue
        inner = spec.get("config") if isinstance(spec, dict) else None
        if input_shape is None and not layers and isinstance(inner, dict) and inner.get("batch_input_shape"):
            input_shape = list(inner["batch_input_shape"])[1:]     # Keras 2's spelling
        layers.append(layer_from_keras(spec, reading))
    built = config.get("build_input_shape")
    if input_shape is None and isinstance(built, list) and built:
        input_shape = list(built)[1:]
    return {"name": config.get("name"), "trainable": config.get("trainable", True),
            "layers": layers, "input_shape": input_shape, **({} if batch is None else {"batch_size": batch})}


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
    ``[[[name, node, 0], ...], ...]``: for each call, the outputs it reads. A tensor given by
    name (``endpoint(targets, logits=logits)``) comes last, its name in its options."""
    calls = []
    for node in nodes or []:
        named = {}
        if isinstance(node, dict):                       # Keras 3
            args, kwargs = node.get("args") or [], node.get("kwargs") or {}
            # Keras writes mask=None, or the mask its graph computed (glassnet computes the same)
            kwargs = {k: v for k, v in kwargs.items() if v is not None and not (k == "mask" and _references(v))}
            named = {k: kwargs.pop(k) for k in list(kwargs) if k != "training" and _is_reference(kwargs[k])}
            mode = _call_mode(kwargs, owner)
            if len(args) > 1 and all(_is_reference(a) for a in args):   # one by one: call(targets, logits)
                tensors = args
            elif not args and named:                                     # all by name
                tensors = []
            elif len(args) == 1:                                         # one tensor, or a list (a merge)
                tensors = args[0] if isinstance(args[0], list) and args[0] and not isinstance(args[0][0], str) \
                    else [args[0]]
            else:
                raise Unsupported(f"{owner} is called with {len(args)} arguments; glassnet passes tensors only")
        elif isinstance(node, list):                      # Keras 2: [[name, node, tensor, kwargs], ...]
            tensors = node
            options = [t[3] if isinstance(t, list) and len(t) > 3 and t[3] else {} for t in tensors]
            mode = _call_mode(options[0] if options else {}, owner)
            if any(_call_mode(o, owner) != mode for o in options):
                raise Unsupported(f"{owner} is called with different arguments for its inputs")
        else:
            raise Unsupported(f"{owner}: a call is described by {type(node).__name__}")
        fixed = {"training": mode} if mode is not None else {}
        calls.append([_history(t) + ([fixed] if fixed else []) for t in tensors]
                     + [_history(t) + [{**fixed, "keyword": name}] for name, t in named.items()])
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
        kwargs = {key: value for key, value in (node.get("kwargs") or {}).items()
                  if not (_is_mask(key) and _references(value))}     # masks Keras computed: glassnet does too
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


def _recurrent_calls_from_keras(nodes, owner):
    """A recurrent layer's calls: the states of ``initial_state=[h, c]`` (a decoder started
    from its encoder's states) follow the sequences as more inputs, as glassnet's calls
    take them: ``layer([x, h, c])``."""
    calls = []
    for node in nodes or []:
        kwargs = dict(node.get("kwargs") or {}) if isinstance(node, dict) else {}
        states = kwargs.pop("initial_state", None)
        if states is not None:
            args = node.get("args") or []
            if len(args) != 1:
                raise Unsupported(f"{owner} is called with {len(args)} arguments besides initial_state")
            node = {"args": [[args[0]] + (states if isinstance(states, list) else [states])], "kwargs": kwargs}
        calls.append(node)
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


def _is_reference(value):
    """Whether ``value`` is one Keras tensor (a reference to a layer's output)."""
    return isinstance(value, dict) and value.get("class_name") == "__keras_tensor__"


def _references(value):
    """The layer names every ``__keras_tensor__`` inside ``value`` (lists, dicts) refers to."""
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            history = (value.get("config") or {}).get("keras_history")
            return [history[0]] if isinstance(history, list) and history else []
        return [name for v in value.values() for name in _references(v)]
    if isinstance(value, list):
        return [name for v in value for name in _references(v)]
    return []


def _is_mask(key):
    """A call's argument that passes a mask: ``mask``, or MultiHeadAttention's ``query_mask``..."""
    return key == "mask" or key.endswith("_mask") and key != "use_causal_mask"


def _mask_computations(config):
    """The names of the operations Keras wrote only to compute masks.

    Keras records a Functional model's masks as operations in its graph (``NotEqual`` of
    an ``Embedding(mask_zero=True)``'s input, ``Any`` of a Masking layer's, ...) and passes
    them to the layers that read them as ``mask=``. glassnet computes the same masks as the
    data flows (:mod:`glassnet.engine.masking`), so it leaves those operations out; one
    that something other than a mask reads is a computation glassnet can't run.
    """
    specs = {spec.get("name"): spec for spec in config["layers"] if isinstance(spec, dict)}

    def is_operation(name):
        return str((specs.get(name) or {}).get("module", "")).startswith("keras.src.ops")

    def calls(spec):
        return [node for node in spec.get("inbound_nodes") or [] if isinstance(node, dict)]

    masks = {name for spec in specs.values() for node in calls(spec)
             for key, value in (node.get("kwargs") or {}).items() if _is_mask(key)
             for name in _references(value) if is_operation(name)}
    todo = list(masks)
    while todo:                          # the operations those are computed from
        for name in _references([node.get("args") for node in calls(specs[todo.pop()])]):
            if is_operation(name) and name not in masks:
                masks.add(name)
                todo.append(name)
    for name, spec in specs.items():
        if name in masks:
            continue
        for node in calls(spec):
            read = _references([node.get("args"), {k: v for k, v in (node.get("kwargs") or {}).items()
                                                    if not _is_mask(k)}])
            used = sorted(masks.intersection(read))
            if used:
                raise Unsupported(f"layer {name!r} reads the mask operation {used[0]!r} as data, which glassnet "
                                  f"can't compute")
    return masks


def _functional_from_keras(config, reading):
    layers = []
    masks = _mask_computations(config)
    for spec in config["layers"]:
        if not isinstance(spec, dict):
            raise Unsupported("a layer entry is not a layer description")
        name = spec.get("name") or (spec.get("config") or {}).get("name")
        if name in masks:
            continue
        owner = f"layer {name!r} ({spec.get('class_name')})"
        nodes = spec.get("inbound_nodes")
        if str(spec.get("module") or "").startswith("keras.src.ops"):    # keras.ops.tanh(x), x + 1.0
            own, nodes = _operation_from_keras(spec, nodes, owner)
        else:
            own = layer_from_keras(spec, reading)
        if own["class_name"] in ATTENTION_LAYERS:
            nodes = _attention_calls_from_keras(nodes, own, owner)
        if own["class_name"] in RECURRENT + ("Bidirectional",):
            nodes = _recurrent_calls_from_keras(nodes, owner)
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


# keras.ops applied to a Functional graph's tensors, which Keras writes as operations in it:
# the element-wise functions glassnet has as activations, and arithmetic with a number
OPERATION_ACTIVATIONS = {"Tanh": "tanh", "Exp": "exponential", "Sigmoid": "sigmoid", "Relu": "relu",
                         "Relu6": "relu6", "Softplus": "softplus", "Softsign": "softsign", "Silu": "silu",
                         "Selu": "selu"}
OPERATION_MERGES = {"Add": "Add", "Subtract": "Subtract", "Multiply": "Multiply", "Maximum": "Maximum",
                    "Minimum": "Minimum"}


def _operation_from_keras(spec, nodes, owner):
    """A keras.ops operation in a Functional graph -> ``(glassnet's layer spec, its calls)``:
    ``ops.tanh(x)`` an Activation; ``x + y`` of two tensors a merge (Add, Subtract, Multiply,
    ``ops.maximum``, ``ops.minimum``), ``ops.concatenate([x, y], axis)`` a Concatenate;
    ``x * 2.0``, ``x - 1.0``, ``x / 255.0`` a Rescaling (``scale * x + offset``); anything
    else is refused in one line naming it."""
    kind, name = spec.get("class_name"), (spec.get("config") or {}).get("name") or spec.get("name")
    calls = [node for node in nodes or [] if isinstance(node, dict)]
    if len(calls) != 1 or calls[0].get("kwargs"):
        raise Unsupported(f"{owner} is keras.ops called {len(calls)} times or with options, which glassnet can't run")
    args = calls[0].get("args") or []
    tensors = [arg for arg in args if _is_reference(arg)]
    numbers = [arg for arg in args if isinstance(arg, (int, float)) and not isinstance(arg, bool)]
    if kind in OPERATION_ACTIVATIONS and len(args) == len(tensors) == 1:
        return {"class_name": "Activation", "config": {"name": name, "activation": OPERATION_ACTIVATIONS[kind]}}, nodes
    if kind in OPERATION_MERGES and len(args) == len(tensors) == 2:
        return {"class_name": OPERATION_MERGES[kind], "config": {"name": name}}, nodes
    if kind == "Concatenate" and len(args) == 1 and isinstance(args[0], list) and all(map(_is_reference, args[0])):
        return {"class_name": "Concatenate", "config": {"name": name, "axis": spec["config"].get("axis", -1)}}, nodes
    if len(args) == 2 and len(tensors) == len(numbers) == 1:
        scale_offset = _scale_offset(kind, float(numbers[0]), tensor_first=_is_reference(args[0]))
        if scale_offset is not None:
            scale, offset = scale_offset
            return ({"class_name": "Rescaling", "config": {"name": name, "scale": scale, "offset": offset}},
                    [{"args": tensors, "kwargs": {}}])
    raise Unsupported(f"{owner} is Keras's keras.ops operation {kind!r} on these arguments, which glassnet "
                      f"can't run in a graph (it reads the activations, concatenate, +, -, *, maximum and "
                      f"minimum of two tensors, and +, -, *, / by a number)")


def _scale_offset(kind, number, tensor_first):
    """``x op number`` (or ``number op x``) as ``scale * x + offset``; None if it isn't one."""
    if kind == "Add":
        return 1.0, number
    if kind == "Subtract":
        return (1.0, -number) if tensor_first else (-1.0, number)
    if kind == "Multiply":
        return number, 0.0
    if kind in ("Divide", "TrueDivide") and tensor_first and number != 0:
        return 1.0 / number, 0.0
    return None


def _end_call(entry, functional, step):
    """Keras numbers the calls of a Functional model inside another from 1 in a model's
    ``input_layers``/``output_layers`` (its call 0 is its own graph), but from 0 in the calls'
    arguments; glassnet numbers them from 0 everywhere. ``step``: -1 reading, +1 writing."""
    name, call, which = entry[:3]
    return [name, max(call + step, 0) if name in functional else call, which]


# -- models: glassnet -> Keras ------------------------------------------------------------------
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


def _batch(shape):
    return [None, *shape]


def _keras_dtype(dtype):
    """A tensor's dtype as Keras names it ("string" for text)."""
    from glassnet.engine.layers.base import STRING
    return "string" if dtype is STRING else str(dtype)


def _input_to_keras(name, shape, dtype, batch=None):
    return _object("keras.layers", "InputLayer",
                   {"batch_shape": [batch, *shape], "dtype": _keras_dtype(dtype), "sparse": False, "ragged": False,
                    "name": name, "optional": False})


def model_to_keras(model):
    """A glassnet model -> the spec Keras's ``deserialize_keras_object`` rebuilds."""
    from glassnet.engine.sequential import Sequential

    if not model.built:
        raise ExportError(f"model '{model.name}' isn't built yet, so it has no weights to write")
    if isinstance(model, Sequential) and not model.saved_as_graph:   # else: the graph it traced
        shape = list(model.sample_shapes[0])
        first = model.inputs[0].node.layer
        layers = [_input_to_keras(first.name, shape, first.dtype if first.dtype.kind in "Oiu" else model.dtype,
                                  getattr(first, "batch_size", None))]
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
                "config": {"shape": _batch(shape), "dtype": _keras_dtype(dtype), "keras_history": [name, index, which]}}

    specs = {spec["name"]: spec for spec in config["layers"]}
    layers = []
    for layer in keras_layer_order(model):
        saved_calls = specs[layer.name]["inbound_nodes"]
        calls = [[tensor(*entry[:3]) for entry in call] for call in saved_calls]
        if not calls:                                    # an InputLayer
            keras_spec = _input_to_keras(layer.name, list(layer.input_shape), layer.dtype, layer.batch_size)
        else:
            shapes_in = [t["config"]["shape"] for t in calls[0]]
            keras_spec = layer_to_keras(layer, shapes_in if layer.takes_list else shapes_in[0])
        keras_spec["name"] = layer.name
        # Keras 3 writes each call's arguments: one tensor, or a list for a merge layer, or
        # one by one for a call(targets, logits) of your own. A call that fixed its mode
        # (layer(x, training=False)) says so in its kwargs.
        spread = getattr(layer, "spreads_inputs", False)
        keras_spec["inbound_nodes"] = [{"args": call if spread else [call if layer.takes_list else call[0]],
                                        "kwargs": dict(saved[0][3]) if len(saved[0]) > 3 else {}}
                                       for call, saved in zip(calls, saved_calls)]
        kind = type(layer).__name__
        for node in keras_spec["inbound_nodes"] if kind in ATTENTION_LAYERS else []:
            if kind == "MultiHeadAttention":                  # mha(query, value[, key])
                node["args"] = node["args"][0]
            if layer.use_causal_mask:                         # Keras: an argument of the call
                node["kwargs"]["use_causal_mask"] = True
        for node in keras_spec["inbound_nodes"] if kind in RECURRENT + ("Bidirectional",) and layer.takes_list else []:
            sequences, *states = node["args"][0]              # layer(x, initial_state=[h, c])
            node["args"], node["kwargs"]["initial_state"] = [sequences], states
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
