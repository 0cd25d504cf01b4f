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
    _check(model, args.out)
    return 0


def _size(path):
    return f"{os.path.getsize(path) / 1024:,.0f} KB"


def _check(model, path):
    """Run the file in ONNX Runtime on random inputs and compare with glassnet's predictions."""
    try:
        import onnxruntime
    except ImportError:
        print("not checked: install onnxruntime to compare the file with glassnet's predictions")
        return
    import numpy as np

    from glassnet.interop.onnx_export import largest_difference

    rng = np.random.default_rng(0)
    x = [rng.random((CHECK_SAMPLES, *shape), dtype=np.float32) for shape in model.sample_shapes]
    difference = largest_difference(model, path, x if len(x) > 1 else x[0])
    print(f"checked with ONNX Runtime {onnxruntime.__version__} on {CHECK_SAMPLES} random inputs "
          f"(uniform in [0, 1)): largest difference from glassnet {difference:.1e}")
