"""Moving models between glassnet and the engines built for production.

* :mod:`glassnet.interop.keras_graph`: Keras 3's model configs (the layers and the calls
  between them) in glassnet's words, and back; :mod:`glassnet.interop.keras_config` each
  layer's (:mod:`glassnet.interop.keras_objects`: the activations, initializers, penalties and
  constraints they hold; :mod:`glassnet.interop.keras_compile`: the optimizer, loss and metrics);
* :mod:`glassnet.interop.keras_file`: the real ``.keras`` archive and ``.weights.h5`` file,
  written and read (``model.save("m.keras")``, ``glassnet.load_model("m.keras")``);
* :mod:`glassnet.interop.onnx_export`: ``model.export("m.onnx", format="onnx")``, a graph
  that ONNX Runtime runs on a server, a phone or in a web page (each layer's operators:
  :mod:`glassnet.interop.onnx_layers`).

Nothing here is imported by ``import glassnet``: h5py and onnx are loaded when a file of
theirs is written or read.
"""
