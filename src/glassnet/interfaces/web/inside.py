""""Look inside": each layer's output on the current drawing, ready for the page to draw.

Works for any Sequential, layer by layer (see
:func:`glassnet.workbench.recognize.layer_outputs`):

* a vector (Dense, an activation after Flatten) is sent as its numbers; the page draws
  one cell per unit, a deeper blue for a larger output (white for zero);
* feature maps ``(H, W, channels)`` (Conv2D, pooling) are sent as one small grayscale PNG
  per channel (data URLs), each scaled to its own range (light: high), at most
  :data:`MAX_MAPS`.
"""

import base64
import io

import numpy as np

from glassnet.workbench.recognize import layer_outputs

MAX_UNITS = 1024   # longer vectors are cut (and say so)
MAX_MAPS = 64      # feature maps per layer


def activation_name(layer):
    """The activation a layer applies, by name ("relu"), or None."""
    fn = getattr(layer, "activation", None)
    return None if fn is None else type(fn).__name__.lower()


def describe_layers(model):
    """``[{"name", "kind", "output_shape", "params"}, ...]`` for every layer."""
    rows = []
    for node in model._nodes:
        layer = node.layer
        if not node.inputs:   # an InputLayer: the drawing itself
            continue
        rows.append({"name": layer.name, "kind": type(layer).__name__,
                     "output_shape": list(node.outputs[0].sample_shape),
                     "params": int(layer.count_params()), "activation": activation_name(layer)})
    return rows


def map_to_png(values):
    """One feature map ``(H, W)`` -> a grayscale PNG data URL, 0 = its lowest value."""
    from PIL import Image

    low, high = float(values.min()), float(values.max())
    scaled = (values - low) / (high - low) if high > low else np.zeros_like(values)
    buffer = io.BytesIO()
    Image.fromarray(np.round(scaled * 255).astype(np.uint8)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def look_inside(model, digit):
    """Every layer's output for one 28x28 ``digit``, as JSON-friendly dicts."""
    result = []
    for layer, output in layer_outputs(model, digit):
        entry = {"name": layer.name, "kind": type(layer).__name__, "shape": list(output.shape),
                 "activation": activation_name(layer)}
        if output.ndim == 3:   # (H, W, channels): one picture per channel
            channels = min(output.shape[-1], MAX_MAPS)
            entry["maps"] = [map_to_png(output[..., c]) for c in range(channels)]
        else:
            flat = output.ravel()
            entry["values"] = [round(float(v), 4) for v in flat[:MAX_UNITS]]
            entry["truncated"] = flat.size > MAX_UNITS
        result.append(entry)
    return result
