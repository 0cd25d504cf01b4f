"""``glassnet export MODEL OUT``: the model as a file the production engines open.

* ``OUT.onnx``: an ONNX graph for ONNX Runtime (a server, a phone, a web page);
* ``OUT.keras``: Keras 3's own archive, for ``keras.models.load_model`` (JAX, TensorFlow or
  PyTorch underneath, GPUs, many devices).

MODEL is any model glassnet loads (its own ``.npz`` or a ``.keras`` file)::

    $ glassnet export mnist-cnn.npz mnist-cnn.onnx
    wrote mnist-cnn.onnx (881 KB, ONNX opset 17): input (batch, 28, 28, 1) float32, channels-last
    as in glassnet -> output (batch, 10)
    checked with ONNX Runtime 1.32.0 on 64 random inputs (uniform in [0, 1)): largest difference
    from glassnet 3.7e-08

The check runs when onnxruntime is installed; the file is written either way.
"""

import os

CHECK_SAMPLES = 64


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "export", help="write a model as ONNX (.onnx) or as a Keras 3 file (.keras)",
        description="Write a saved model as an ONNX graph for ONNX Runtime (OUT.onnx), or as a "
                    "Keras 3 archive (OUT.keras). An ONNX file is checked against glassnet's own "
                    "predictions when onnxruntime is installed.")
    parser.add_argument("model", help="a model file glassnet loads (.npz from glassnet train or "
                                      "model.save(), or .keras)")
    parser.add_argument("out", help="the file to write: NAME.onnx or NAME.keras")
    parser.set_defaults(run=run)


def run(args):
    from glassnet.engine.saving import load_model
    from glassnet.errors import ExportError

    kind = os.path.splitext(args.out)[1].lower()
    if kind not in (".onnx", ".keras"):
        raise ExportError(f"{args.out}: name the file NAME.onnx (ONNX) or NAME.keras (Keras 3)")
    model = load_model(args.model, compile=kind == ".keras")
    x = random_inputs(model)
    if x is not None:   # a model that answers NaN is not worth a file in any format
        _glassnet_outputs(model, x, args.model)
    if kind == ".keras":
        model.save(args.out)
        print(f"wrote {args.out} ({_size(args.out)}, Keras 3 format): open it with "
              f"keras.models.load_model({args.out!r})")
        return 0
    from glassnet.interop.onnx_export import OPSET
    model.export(args.out, format="onnx", verbose=False)
    shape = ", ".join(str(d) for d in ("batch", *model.sample_shapes[0]))
    outputs = ", ".join(f"(batch, {', '.join(str(d) for d in t.sample_shape)})" for t in model.outputs)
    print(f"wrote {args.out} ({_size(args.out)}, ONNX opset {OPSET}): input ({shape}) float32, "
          f"channels-last as in glassnet -> output {outputs}")
    _check(model, args.out, x, args.model)
    return 0


def _size(path):
    return f"{os.path.getsize(path) / 1024:,.0f} KB"


def random_inputs(model):
    """:data:`CHECK_SAMPLES` random inputs, uniform in [0, 1), in the layout ``model.predict``
    takes (a list for a model with several inputs); None when an input's size isn't fixed."""
    import numpy as np

    shapes = model.sample_shapes
    if any(side is None for shape in shapes for side in shape):
        return None
    rng = np.random.default_rng(0)
    x = [rng.random((CHECK_SAMPLES, *shape), dtype=np.float32) for shape in shapes]
    return x if len(x) > 1 else x[0]


def _glassnet_outputs(model, x, model_file):
    """glassnet's own predictions for ``x``, or a ModelFileError naming ``model_file`` when
    they are not finite numbers."""
    from glassnet.interfaces.cli.checks import check_finite, quiet_overflow

    with quiet_overflow():   # checked just below
        outputs = model.predict(x, verbose=0)
    check_finite(outputs, model_file, f"{CHECK_SAMPLES} random inputs (uniform in [0, 1))")
    return outputs


def _check(model, path, x, model_file):
    """Run the file in ONNX Runtime on random inputs and compare with glassnet's predictions.

    The check fails (ExportError, and the file is removed) when the difference is not a
    finite number: a NaN difference means the file does not compute what the model does.
    """
    try:
        import onnxruntime
    except ImportError:
        print("not checked: install onnxruntime to compare the file with glassnet's predictions")
        return
    import math

    from glassnet.errors import ExportError
    from glassnet.interfaces.cli.checks import quiet_overflow
    from glassnet.interop.onnx_export import largest_difference

    if x is None:
        print("not checked: the model's input size is not fixed, so there are no random inputs to try")
        return
    with quiet_overflow():   # checked just below
        difference = largest_difference(model, path, x)
    if not math.isfinite(difference):
        os.remove(path)
        raise ExportError(f"{path}: checked with ONNX Runtime {onnxruntime.__version__}, its outputs "
                          f"differ from glassnet's by {difference} (not a finite number) on "
                          f"{CHECK_SAMPLES} random inputs; the file does not compute what "
                          f"{model_file} does, and is removed")
    print(f"checked with ONNX Runtime {onnxruntime.__version__} on {CHECK_SAMPLES} random inputs "
          f"(uniform in [0, 1)): largest difference from glassnet {difference:.1e}")
