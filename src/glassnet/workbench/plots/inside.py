"""What the network learned: its weights and its activations, drawn as images.

* The first Dense layer of an MLP has one weight per pixel for each unit, so each unit's
  weights *are* a 28x28 image: the pattern of ink that excites it (red) or inhibits it (blue).
* The first convolution's filters are small images too: edge, stroke and blob detectors.
* Feature maps are a convolution's outputs for one input: where each filter fired.

Layers are recognised by class name (``Dense``, ``Conv2D``, ``MaxPooling2D``...), so these
pictures also work with a user's own layers of the same names.
"""

import math

import numpy as np

from glassnet.errors import ShapeError
from glassnet.workbench.plots import style

SPATIAL = ("Conv2D", "MaxPooling2D", "AveragePooling2D")  # layers whose outputs are images
PASS_THROUGH = ("Flatten", "Reshape", "InputLayer")         # reshape only: pixels stay pixels


def _find(model, kinds, layer=None):
    """The layer named ``layer`` (or at index ``layer``), else the first whose class is in ``kinds``."""
    if isinstance(layer, int):
        return model.layers[layer]
    for candidate in model.layers:
        if (layer is None and type(candidate).__name__ in kinds) or candidate.name == layer:
            return candidate
    wanted = f"layer {layer!r}" if layer is not None else f"{' or '.join(kinds)} layer"
    raise ValueError(f"model '{model.name}' has no {wanted}")


def _grid(count, columns):
    return max(1, math.ceil(count / columns)), min(count, columns)


def _tiles(fig, images, columns, cmap, symmetric, labels=None):
    """Draw ``images`` (M, H, W) as one mosaic, each scaled to its own range.

    Signed images (weights) are divided by their largest magnitude, so 0 is white and each
    tile uses the whole red-blue range; others (activations) are divided by their maximum.
    """
    images = np.asarray(images, dtype=np.float64)
    scale = (np.abs(images) if symmetric else images).max(axis=(1, 2), keepdims=True)
    images = images / np.where(scale > 0, scale, 1)
    columns = min(columns, len(images))
    ax = fig.subplots()
    h, w = images.shape[1:]
    gap = max(1, h // 7)
    style.show_mosaic(ax, style.mosaic(images, columns, gap), cmap, vmin=-1 if symmetric else 0, vmax=1)
    for i, label in enumerate(labels or []):
        row, column = divmod(i, columns)
        ax.text(column * (w + gap) + w / 2, row * (h + gap) - 0.5, label, ha="center", va="bottom",
                fontsize=7)
    return ax


@style.picture
def plot_dense_weights(model, count=64, columns=16, layer=None):
    """The incoming weights of the first Dense layer's units, each as an input-sized image.

    Args:
        model: a built model whose first Dense layer sees the pixels (through Flatten).
        count: show the first ``count`` units.
        columns: units per row.
        layer: a layer name or index instead of the first Dense layer.
        path: also save the picture as a PNG there.

    Returns:
        a Figure 0.8 inch per unit wide and per row high (plus 0.7 for the title).

    Each image has its own colour scale, centred on zero: red pixels push the unit up when
    there is ink there, blue ones push it down.
    """
    dense = _find(model, ("Dense",), layer)
    before = model.layers[:model.layers.index(dense)]
    if any(type(l).__name__ not in PASS_THROUGH + ("Dropout",) for l in before):
        raise ValueError(f"layer '{dense.name}' sees the outputs of other layers, not pixels; "
                         "its weights are not pictures (use plot_conv_filters for a CNN)")
    shape = tuple(d for d in model.input_shape[1:] if d != 1)  # (28, 28, 1) -> (28, 28)
    kernel = dense.params["kernel"]                          # (pixels, units)
    if len(shape) != 2 or kernel.shape[0] != shape[0] * shape[1]:
        raise ShapeError(f"layer '{dense.name}': inputs of shape {model.input_shape} are not a 2-D image")
    units = min(count, kernel.shape[1])
    images = kernel[:, :units].T.reshape(units, *shape)     # (units, H, W)
    rows, cols = _grid(units, columns)
    fig = style.new_figure(0.8 * cols + 0.2, 0.8 * rows + 0.7)
    _tiles(fig, images, columns, style.WEIGHT_CMAP, symmetric=True)
    fig.suptitle(f"What the first {units} of {kernel.shape[1]} units of '{dense.name}' look for "
                 "(red: ink here excites the unit, blue: inhibits it)", fontsize=11)
    return fig


@style.picture
def plot_conv_filters(model, layer=None, columns=16):
    """The filters of the first convolution (or ``layer``), one small image each.

    Conv2D kernels are ``(KH, KW, C_in, F)``, channels-last as in Keras; a filter with several
    input channels is shown as the sum over its channels.

    Returns:
        a Figure 0.75 inch per filter wide and per row high (plus 0.7 for the title).
    """
    conv = _find(model, ("Conv2D",), layer)
    kernel = conv.params["kernel"]
    if kernel.ndim != 4:
        raise ShapeError(f"layer '{conv.name}': expected a (KH, KW, C_in, F) kernel, got {kernel.shape}")
    filters = kernel.sum(axis=2).transpose(2, 0, 1)   # (F, KH, KW)
    rows, cols = _grid(len(filters), columns)
    fig = style.new_figure(0.75 * cols + 0.2, 0.75 * rows + 0.7)
    _tiles(fig, filters, columns, style.WEIGHT_CMAP, symmetric=True)
    kh, kw = filters.shape[1:]
    fig.suptitle(f"The {len(filters)} {kh}x{kw} filters of '{conv.name}' (red: positive weight, "
                 "blue: negative)", fontsize=11)
    return fig


def layer_outputs(model, image):
    """``{layer: output}`` of every layer for one ``image`` (shaped like one sample)."""
    shape = model.input_shape[1:]
    x = np.asarray(image, dtype=model.dtype)
    if x.size != math.prod(shape):
        raise ShapeError(f"image: model '{model.name}' expects one input of shape "
                         f"{shape}, got {x.shape}")
    return {layer: output[0] for layer, output in model.layer_outputs(x.reshape((1,) + tuple(shape)))}


@style.picture
def plot_feature_maps(model, image, layer=None, count=32, columns=8):
    """The input image and the feature maps of the first convolution (or ``layer``).

    Args:
        model: a built model with a Conv2D (or pooling) layer.
        image: one input, shaped like a sample (e.g. ``(28, 28)``), scaled as in training.
        layer: a layer name or index (default: the first Conv2D).
        count: show at most this many maps.
        path: also save the picture as a PNG there.

    Returns:
        a Figure 1.1 inch per map wide (plus up to 2.6 for the input) and 1.1 inch per row
        high (plus 1.1).
    """
    target = _find(model, ("Conv2D",), layer)
    if type(target).__name__ not in SPATIAL:
        raise ValueError(f"layer '{target.name}' ({type(target).__name__}) has no feature maps; "
                         f"choose one of: {', '.join(SPATIAL)}")
    maps = layer_outputs(model, image)[target]                    # (H, W, C)
    maps = maps.transpose(2, 0, 1)[:count]                        # (C, H, W)
    rows, cols = _grid(len(maps), columns)
    height = 1.1 * rows + 1.1
    side = min(2.4, height - 0.6)   # the input, about as tall as the grid of maps
    fig = style.new_figure(1.1 * cols + side + 0.2, height)
    left, right = fig.subfigures(1, 2, width_ratios=[side, 1.1 * cols], wspace=0.02)
    style.show_image(left.subplots(), np.asarray(image).reshape(model.input_shape[1:3]), "input", fontsize=10)
    _tiles(right, maps, columns, style.HEAT_CMAP, symmetric=False,
           labels=[f"map {c}" for c in range(len(maps))])
    fig.suptitle(f"Feature maps of '{target.name}' ({type(target).__name__})\n"
                 "where each filter responds to this input (dark: strong)", fontsize=11)
    return fig


@style.picture
def plot_conv_layer(model, image, layer=None, count=64, columns=8):
    """One convolution's filters, and beside them the feature maps they make of ``image``.

    Filter ``k`` (left) and map ``k`` (right) sit at the same place in their grids, so each
    filter can be read next to what it found: a filter that is red along a slanted line
    lights up the map where the digit has strokes at that slant. A filter of a deeper
    convolution looks at all the maps of the layer below; it is drawn as the sum over them.

    Args:
        model: a built model with Conv2D layers.
        image: one input, shaped like a sample, scaled as in training.
        layer: a Conv2D layer's name or index (default: the first).
        count: show at most this many filters.
        columns: filters (and maps) per row.
        path: also save the picture as a PNG there.

    Returns:
        a Figure 2.1 inches per column wide and 1.0 inch per row high (plus 1.0).
    """
    conv = _find(model, ("Conv2D",), layer)
    if type(conv).__name__ != "Conv2D":
        raise ValueError(f"layer '{conv.name}' ({type(conv).__name__}) is not a convolution")
    kernel = conv.params["kernel"]                             # (KH, KW, C_in, F)
    filters = kernel.sum(axis=2).transpose(2, 0, 1)[:count]    # (F, KH, KW)
    maps = layer_outputs(model, image)[conv]
    maps = maps.transpose(2, 0, 1)[:count]                     # (F, H, W)
    rows, cols = _grid(len(filters), columns)
    fig = style.new_figure(2.1 * cols + 0.3, 1.0 * rows + 1.0)
    left, right = fig.subfigures(1, 2, wspace=0.03)
    _tiles(left, filters, columns, style.WEIGHT_CMAP, symmetric=True)
    left.suptitle(f"{len(filters)} filters, {filters.shape[1]}x{filters.shape[2]}\n"
                  "red: positive weight, blue: negative", fontsize=10, fontweight="normal")
    _tiles(right, maps, columns, style.HEAT_CMAP, symmetric=False)
    right.suptitle(f"their feature maps, {maps.shape[1]}x{maps.shape[2]}\n"
                   "dark: the filter responds strongly there", fontsize=10, fontweight="normal")
    fig.suptitle(f"'{conv.name}': each filter (left) beside what it finds in the digit (right, "
                 "same place)", fontsize=11)
    return fig
