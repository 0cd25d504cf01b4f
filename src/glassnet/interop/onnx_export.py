"""ONNX export: ``model.export("m.onnx", format="onnx")``, a graph ONNX Runtime runs anywhere.

ONNX describes a network as a graph of standard operators (``Gemm``, ``Conv``, ``Relu``,
``Softmax``...) with the weights stored inside the file as constant tensors. ONNX Runtime
runs such a file on a server (Python, C#, Java, C++), on a phone, or in a web page
(onnxruntime-web), without glassnet or Python. Each glassnet layer becomes a few operators:

==========================  ===============================================================
glassnet                    ONNX
==========================  ===============================================================
Dense                       ``Gemm(x, kernel, bias)``: ``x @ W + b`` in one operator (on a sequence:
                            ``MatMul``, ``Add`` over the last axis)
Conv2D                      ``Transpose``, ``Conv`` (kernel as ``(F, C/G, KH, KW)``, ``group=G``), ``Transpose``
Conv1D                      ``Transpose``, ``Conv`` (kernel as ``(F, C/G, K)``, ``group=G``), ``Transpose``
Attention                   ``MatMul`` (scores), ``Mul`` (scale), ``Add`` (a causal mask), ``Softmax``,
                            ``MatMul``; MultiHeadAttention: its four projections as ``MatMul``, ``Add``
                            and the heads apart with ``Reshape``, ``Transpose``
DepthwiseConv2D             ``Transpose``, ``Conv`` with ``group=C`` (kernel as ``(C*M, 1, KH, KW)``),
                            ``Transpose``; SeparableConv2D: that ``Conv``, then a 1x1 ``Conv``
Conv2DTranspose             ``Transpose``, ``ConvTranspose`` (kernel as ``(C, F, KH, KW)``), ``Transpose``
ZeroPadding2D, Cropping2D   ``Pad``, ``Slice`` (ZeroPadding1D, Cropping1D: the same, along the steps)
UpSampling2D                ``Transpose``, ``Resize`` (nearest), ``Transpose`` (UpSampling1D: on (N, C, L))
Embedding                   ``Cast`` (the indices to int64), ``Gather`` (rows of the table)
MaxPooling2D, Average...    ``Transpose``, ``MaxPool`` / ``AveragePool``, ``Transpose``
MaxPooling1D, Average...    the same, on sequences
GlobalAveragePooling2D      ``ReduceMean`` over height and width (GlobalMaxPooling2D: ``ReduceMax``;
                            the 1-D ones over the steps)
BatchNormalization          ``Mul``, ``Add``: inference folds it into ``x * scale + shift``
LayerNormalization          ``LayerNormalization`` (opset 17), gamma and beta as constants
GroupNormalization          ``Reshape`` to ``(N, P, G, C/G)``, ``ReduceMean``, ``Sub``, ``Sqrt``, ``Div``, ``Reshape``,
                            ``Mul``, ``Add`` (a ``Transpose`` each way for channels not last)
Flatten, Reshape            ``Flatten``, ``Reshape``
Permute, RepeatVector       ``Transpose``; ``Unsqueeze``, ``Tile`` (Identity: ``Identity``)
SimpleRNN, GRU, LSTM        ``RNN``, ``GRU``, ``LSTM`` between two ``Transpose`` (time first), the
                            gates in ONNX's order; Bidirectional: one operator, both directions
TimeDistributed(Dense)      ``MatMul``, ``Add`` over every step
Dropout                     nothing (it only acts while training)
GaussianNoise, ...          nothing (GaussianDropout, AlphaDropout, SpatialDropout1D and 2D,
                            ActivityRegularization: the same)
RandomRotation, ...         nothing (RandomTranslation, RandomZoom, RandomFlip, RandomContrast,
                            RandomBrightness: training only)
Rescaling                   ``Mul``, ``Add``: ``x * scale + offset``
Resizing, CenterCrop, ...   ``Slice`` (the window), ``Resize`` (between two ``Transpose``)
Normalization               ``Sub``, ``Div``: ``(x - mean) / std`` (inverted: ``Mul``, ``Add``)
activations                 every one glassnet has: ``Relu``, ``LeakyRelu``, ``Sigmoid``, ``Tanh``,
                            ``Softmax``, ``Elu``, ``Selu``, ``PRelu``, ``Softplus``, ...; swish, gelu
                            and mish from a few operators (``Erf`` for gelu), relu6 as ``Clip``
Add, Concatenate, ...       ``Sum``, ``Concat``, ``Sub``, ``Mul``, ``Mean``, ``Max``, ``Min``
Dot                         ``Einsum`` (after ``LpNormalization``, with ``normalize``)
UnitNormalization           ``LpNormalization``
Conv3D, MaxPooling3D, ...   the 2-D layers' operators on volumes; Conv1DTranspose, DepthwiseConv1D and
                            SeparableConv1D: on sequences (:mod:`glassnet.interop.onnx_volumes`)
==========================  ===============================================================

glassnet's images are channels-last, ``(N, H, W, C)`` as in Keras, but ONNX's ``Conv`` and
pooling operators are channels-first, ``(N, C, H, W)``. So every convolution and pooling is
written between two ``Transpose`` operators; ONNX Runtime's graph optimizer removes the pairs
that cancel, and the exported model takes exactly the arrays glassnet's ``predict`` takes.
The batch size is left free (``"batch"``), and the file is float32.
"""

import os
import warnings

import numpy as np

from glassnet.errors import ExportError
from glassnet.interop.onnx_layers import EMITTERS

OPSET = 17          # ONNX Runtime (server and web) runs it; ReduceMean still takes axes= here
IR_VERSION = 8      # the file format version that goes with opset 17


def _onnx():
    try:
        import onnx
    except ImportError:
        raise ExportError("ONNX export needs the onnx package: pip install 'glassnet[onnx]'") from None
    return onnx


class _Graph:
    """The operators, constants, inputs and outputs of the ONNX graph being written."""

    def __init__(self, onnx):
        self.onnx, self.helper = onnx, onnx.helper
        self.nodes, self.constants, self.taken = [], [], set()

    def name(self, base):
        """A name no other value of the graph has: ``dense``, ``dense_1``, ..."""
        name, i = base, 0
        while name in self.taken:
            i += 1
            name = f"{base}_{i}"
        self.taken.add(name)
        return name

    def constant(self, base, array, dtype=np.float32):
        name = self.name(base)
        self.constants.append(self.onnx.numpy_helper.from_array(np.asarray(array, dtype), name))
        return name

    def op(self, op_type, inputs, base, **attributes):
        """Add one operator; returns the name of its output."""
        return self.op_outputs(op_type, inputs, [base], **attributes)[0]

    def op_outputs(self, op_type, inputs, bases, **attributes):
        """Add one operator whose ``i``-th output is named after ``bases[i]`` (None: not asked
        for; the recurrent operators give the sequence, the last state, the last cell);
        returns the names, "" for those not asked for."""
        outputs = [self.name(base) if base is not None else "" for base in bases]
        while outputs[-1] == "":                 # ONNX: optional outputs at the end are left out
            outputs.pop()
        self.nodes.append(self.helper.make_node(op_type, list(inputs), outputs,
                                                name=next(o for o in outputs if o), **attributes))
        return outputs + [""] * (len(bases) - len(outputs))


def _emit_model(graph, model, inputs):
    """Write every layer call of ``model`` (inputs: ONNX names of its inputs); returns the
    names of its outputs. A model used as a layer is written inline, call by call."""
    from glassnet.engine.layers.input_layer import InputLayer
    from glassnet.engine.model import Model

    values = {id(tensor): name for tensor, name in zip(model.inputs, inputs)}
    for node in model._nodes:               # the calls in topological order (a model internal)
        layer = node.layer
        if isinstance(layer, InputLayer):
            continue
        xs = [values[id(tensor)] for tensor in node.inputs]
        inner = layer if isinstance(layer, Model) else _block_graph(layer, node)
        if inner is not None:                     # a model inside, or a layer of layers: each output
            for tensor, out in zip(node.outputs, _emit_model(graph, inner, xs)):
                values[id(tensor)] = out
            continue
        kind = type(layer).__name__
        if kind not in EMITTERS or type(layer).__module__.split(".")[0] != "glassnet":
            raise ExportError(f"layer '{layer.name}' ({kind}) has no ONNX translation in glassnet")
        outputs = EMITTERS[kind](graph, layer, xs)           # a list for a layer with several
        for tensor, out in zip(node.outputs, outputs if isinstance(outputs, list) else [outputs]):
            values[id(tensor)] = out
    return [values[id(tensor)] for tensor in model.outputs]


def _block_graph(layer, node):
    """A layer of yours made of layers (its ``call()`` calls them: keras.io's TransformerBlock),
    as the graph its ``call()`` traces into, on placeholders of ``node``'s input shapes: its
    own layers, their weights shared, written as any graph's. None for any other layer; an
    ExportError when its ``call()`` computes itself (math the graph can't draw)."""
    from glassnet.engine import naming
    from glassnet.engine.layers.input_layer import Input
    from glassnet.engine.model import Model
    from glassnet.engine.tracing import ComputesOnInput, trace

    if not (layer.traces_call and type(layer).__module__.split(".")[0] != "glassnet"):
        return None
    if layer.params or layer.state:
        raise ExportError(f"layer '{layer.name}' ({type(layer).__name__}) computes with weights of its own in "
                          f"its call(), which glassnet can't write to ONNX")
    inside = [inner for inner in layer.walk() if inner is not layer]
    kept = [(len(inner.nodes), inner.rng) for inner in inside]
    try:
        with naming.hidden():        # a model of glassnet's own, to write: it numbers none of yours
            inputs = [Input(shape=tensor.sample_shape) for tensor in node.inputs]
            outputs = trace(layer, inputs if layer.takes_list else inputs[0], False)
            return Model(inputs, outputs, name=layer.name)
    except ComputesOnInput:
        raise ExportError(f"layer '{layer.name}' ({type(layer).__name__}) computes on its input in its call(), "
                          f"which glassnet can't write to ONNX") from None
    finally:
        for inner, (count, rng) in zip(inside, kept):     # the placeholder calls leave no trace on its layers
            del inner.nodes[count:]
            inner.rng = rng


def to_onnx(model, opset=OPSET):
    """The ONNX ``ModelProto`` of ``model`` (not yet written anywhere)."""
    import glassnet

    onnx = _onnx()
    if not model.built:
        raise ExportError(f"model '{model.name}' isn't built yet, so it has no weights to export")
    if model.makes_mask:
        raise ExportError(f"model '{model.name}' uses masks (Embedding(mask_zero=True) or Masking), which glassnet "
                          f"can't write to ONNX: the file would read the padding as data. Save it as .keras instead")
    if np.dtype(model.dtype) != np.float32:
        warnings.warn(f"model '{model.name}' computes in {np.dtype(model.dtype)}; the ONNX file is float32",
                      stacklevel=3)
    graph = _Graph(onnx)
    float32 = onnx.TensorProto.FLOAT
    inputs = []
    for tensor in model.inputs:
        name = graph.name(tensor.node.layer.name)
        inputs.append(onnx.helper.make_tensor_value_info(name, float32, ["batch", *tensor.sample_shape]))
    outputs = _emit_model(graph, model, [i.name for i in inputs])
    # Name each output after its layer: an Identity keeps the graph's own names apart.
    results = []
    for tensor, value in zip(model.outputs, outputs):
        name = graph.name(f"{tensor.node.layer.name}_output")
        graph.nodes.append(onnx.helper.make_node("Identity", [value], [name], name=name))
        results.append(onnx.helper.make_tensor_value_info(name, float32, ["batch", *tensor.sample_shape]))
    proto = onnx.helper.make_model(
        onnx.helper.make_graph(graph.nodes, model.name, inputs, results, graph.constants),
        opset_imports=[onnx.helper.make_opsetid("", opset)], producer_name="glassnet",
        producer_version=glassnet.__version__,
        doc_string=f"glassnet model '{model.name}': inputs {[i.name for i in inputs]} channels-last "
                   f"(as in glassnet and Keras), float32, any batch size")
    proto.ir_version = IR_VERSION
    try:
        onnx.checker.check_model(proto)
    except onnx.checker.ValidationError as error:     # a bug of this module, not of the model
        raise ExportError(f"model '{model.name}': the ONNX graph is invalid ({error})") from None
    return proto


def export(model, path, format=None, verbose=None, input_signature=None, **kwargs):
    """Write ``model`` as an ONNX file (Keras 3's ``model.export(path, format="onnx")``).

    Args:
        path: where to write, e.g. ``"mnist.onnx"``.
        format: ``"onnx"`` (or None with a ``.onnx`` path). Keras's other formats
            (``"tf_saved_model"``, ``"litert"``, ``"openvino"``) need Keras itself: save the
            model as ``.keras`` and export it there.
        verbose: print where the file went (default: yes, as Keras does).
        input_signature: not supported: the file takes the model's own input shape,
            with any batch size.

    Raises:
        ExportError: a layer glassnet can't translate, an unknown format, onnx missing.
    """
    from glassnet.engine.saving import atomic_write

    path = os.fspath(path)
    if format is None and path.endswith(".onnx"):
        format = "onnx"
    if format != "onnx":
        raise ExportError(f"{path}: glassnet exports format='onnx' only, got format={format!r}; for "
                          f"Keras's other formats save the model as .keras and export it in Keras")
    if input_signature is not None:
        raise ExportError(f"{path}: input_signature is not supported: the ONNX file takes the model's "
                          f"input shape {model.input_shape}, with any batch size")
    opset = kwargs.pop("opset_version", OPSET)
    if kwargs:
        raise TypeError(f"export: unknown argument(s) {', '.join(kwargs)}")
    try:
        proto = to_onnx(model, opset)
    except ExportError as error:
        raise ExportError(f"{path}: {error}") from None
    atomic_write(path, lambda f: f.write(proto.SerializeToString()))
    if verbose or verbose is None:
        print(f"Saved artifact at '{path}': ONNX opset {opset}, input "
              f"{', '.join(i.name for i in proto.graph.input)}, output "
              f"{', '.join(o.name for o in proto.graph.output)}")
    return path


def largest_difference(model, path, x):
    """The largest ``|ONNX Runtime - glassnet|`` over ``x``: the check that the file is right.

    Needs onnxruntime (``pip install onnxruntime``); ``x`` as ``model.predict`` takes it.
    """
    import onnxruntime

    session = onnxruntime.InferenceSession(os.fspath(path), providers=["CPUExecutionProvider"])
    xs = x if isinstance(x, (list, tuple)) else [x]
    feed = {i.name: np.asarray(v, np.float32) for i, v in zip(session.get_inputs(), xs)}
    theirs = session.run(None, feed)
    ours = model.predict(x, verbose=0)
    ours = ours if isinstance(ours, list) else [ours]
    return max(float(np.abs(a - b).max()) for a, b in zip(theirs, ours))
