"""``keras.utils.plot_model``: a picture of a model's layers and how they connect.

Keras draws it with Graphviz (through pydot); glassnet draws it with matplotlib, so it needs
nothing more than the pictures of :mod:`glassnet.workbench.plots`::

    import glassnet as keras
    keras.utils.plot_model(model, "my_first_model.png")
    keras.utils.plot_model(model, "my_first_model_with_shape_info.png", show_shapes=True)

It is done in three steps, each a function you can call on its own:

1. :func:`graph_of`: the boxes (one per layer, with Keras's labels) and the arrows between
   them. Nothing is drawn yet, so a test can count boxes and read labels.
2. :func:`layout`: where every box goes. Each layer sits at its *depth* (the longest
   path from an input to it), so every arrow points one way, down the page (``"TB"``) or
   to the right (``"LR"``). Layers at the same depth go side by side, ordered so that
   arrows cross as little as possible. An arrow that skips depths (a residual
   connection) is bent around the boxes in between.
3. :func:`draw_graph`: a matplotlib Figure of the boxes and arrows.
"""

import os
import sys
import warnings
from dataclasses import dataclass, field

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import FancyArrowPatch, Rectangle
from matplotlib.path import Path
from matplotlib.textpath import TextToPath

from glassnet.engine.saving import atomic_write
from glassnet.errors import ShapeError
from glassnet.workbench.plots.style import INK, RC, RIGHT, WRONG, check_output_path

# Sizes in points (1/72 inch): the picture is laid out in points, then drawn at ``dpi``.
TITLE_SIZE = 11      # "dense (Dense)"
CELL_SIZE = 9.5      # "Output shape: (None, 10)"
PAD = 6              # space between a cell's text and its border
GAP_BETWEEN_DEPTHS = 30
GAP_SIDE_BY_SIDE = 22
MARGIN = 12
LINE = "#2b2f36"     # box borders and arrows
EDGE_STYLES = ("ortho", "polyline", "line", "spline", "curved")


# -- 1. the graph: boxes and arrows ------------------------------------------------------
@dataclass
class Cell:
    """One cell of a box: runs of ``(text, bold)`` written on a ``fill`` background."""

    runs: tuple
    fill: str = "white"
    ink: str = INK
    size: float = CELL_SIZE

    @property
    def text(self):
        return "".join(text for text, _ in self.runs)


@dataclass
class Box:
    """One layer: its rows of cells, top to bottom (the title, the activation, the shapes)."""

    name: str
    class_name: str
    rows: list
    width: float = 0.0    # set by layout()
    height: float = 0.0
    x: float = 0.0        # the centre, in points from the top left corner
    y: float = 0.0

    @property
    def label(self):
        """All the box's text: rows on separate lines, cells of a row split by ``" | "``."""
        return "\n".join(" | ".join(cell.text for cell in row) for row in self.rows)


@dataclass
class ModelGraph:
    """The boxes of a model's picture and its arrows, ``(from_name, to_name)``."""

    boxes: list
    edges: list
    paths: dict = field(default_factory=dict)   # set by layout(): edge -> points along it
    size: tuple = (0.0, 0.0)                     # set by layout(): (width, height) in points

    def box(self, name):
        return next(box for box in self.boxes if box.name == name)

    def incoming(self, name):
        """The names of the boxes with an arrow into box ``name``."""
        return [source for source, target in self.edges if target == name]


def graph_of(model, show_shapes=False, show_dtype=False, show_layer_names=False,
             show_layer_activations=False, show_trainable=False):
    """The boxes and arrows of ``model``'s picture, labelled as Keras 3 labels them.

    One box per layer, as in Keras: a layer called twice (shared) is one box with the
    arrows of both calls, and shows the shapes of its first call. A Sequential has no
    box for its input, as in Keras; a Functional model has one per ``Input``. A model
    used as a layer is one box.
    """
    options = dict(show_shapes=show_shapes, show_dtype=show_dtype,
                   show_layer_names=show_layer_names,
                   show_layer_activations=show_layer_activations, show_trainable=show_trainable)
    drawn = {id(layer) for layer in model.layers}
    boxes, seen, edges = [], set(), []
    for node in _layer_calls(model):
        layer = node.layer
        if id(layer) not in drawn:
            continue
        if id(layer) not in seen:       # the first call of this layer
            seen.add(id(layer))
            boxes.append(_box(layer, node, **options))
        for tensor in node.inputs:
            edge = (tensor.node.layer.name, layer.name)
            if id(tensor.node.layer) in drawn and edge not in edges:
                edges.append(edge)
    return ModelGraph(boxes, edges)


def _layer_calls(model):
    """Every call of a layer in ``model``'s graph, each after the calls that feed it.

    The one place that reads a model internal: the list of :class:`Node` s the model
    keeps (``node.layer``, ``node.inputs``, ``node.outputs``; see engine/symbolic.py).
    """
    return list(model._nodes)


def _box(layer, node, show_shapes, show_dtype, show_layer_names, show_layer_activations,
         show_trainable):
    """A layer's box, row by row, with Keras 3's wording."""
    from glassnet.engine.model import layer_class_name

    class_name = layer_class_name(layer)
    title = ((layer.name, True), (f" ({class_name})", False)) if show_layer_names \
        else ((class_name, True),)
    rows = [[Cell(title, fill=INK, ink="white", size=TITLE_SIZE)]]
    activation = _activation_name(layer) if show_layer_activations else None
    if activation is not None:
        rows.append([Cell((("Activation: ", False), (activation, True)))])
    cells = []
    if show_shapes:
        if class_name != "InputLayer":
            shapes = [tensor.shape for tensor in node.inputs]
            shown = shapes[0] if len(shapes) == 1 else shapes
            cells.append(Cell((("Input shape: ", False), (str(shown), True))))
        cells.append(Cell((("Output shape: ", False), (str(node.outputs[0].shape), True))))
    if show_dtype:
        cells.append(Cell((("Output dtype: ", False), (str(node.outputs[0].dtype), True))))
    if show_trainable and layer.weights:
        cells.append(Cell((("Trainable", True),), fill=RIGHT, ink="white") if layer.trainable
                     else Cell((("Non-trainable", True),), fill=WRONG, ink="white"))
    if cells:
        rows.append(cells)
    return Box(layer.name, class_name, rows)


def _activation_name(layer):
    """The name of a layer's activation (``"relu"``; ``"linear"`` for none, as Keras says),
    or None for a layer that has no activation argument."""
    config = layer.get_config()
    if "activation" not in config:
        return None
    name = config["activation"]
    if isinstance(name, dict):
        name = name.get("name")
    return str(name or "linear")


# -- 2. the layout: where each box goes ------------------------------------------------
def _text_width(runs, size):
    """The width in points of text written in runs of ``(text, bold)``."""
    measure = TextToPath()
    return sum(measure.get_text_width_height_descent(
        text, _font(size, bold), ismath=False)[0] for text, bold in runs)


def _font(size, bold):
    return FontProperties(family=RC["font.family"], size=size, weight="bold" if bold else "normal")


def _row_height(row):
    return max(cell.size for cell in row) * 1.25 + 2 * PAD


def _size_box(box):
    """The box's width and height: as wide as its widest row of text."""
    box.width = max(sum(_text_width(cell.runs, cell.size) + 2 * PAD for cell in row)
                    for row in box.rows)
    box.height = sum(_row_height(row) for row in box.rows)


def layout(graph, rankdir="TB"):
    """Place every box of ``graph`` and route every arrow; returns ``graph``.

    Sets each box's ``x, y`` (its centre), ``width`` and ``height``, ``graph.size`` and
    ``graph.paths``: for every edge, the points it passes through, from the edge of one box
    to the edge of the next. Coordinates are points from the top left corner, y downwards.
    """
    across_first = rankdir == "TB"   # TB: depths go down the page, boxes side by side across
    for box in graph.boxes:
        _size_box(box)
    boxes = {box.name: box for box in graph.boxes}
    names = [box.name for box in graph.boxes]
    order = {name: i for i, name in enumerate(names)}
    # An arrow that goes back up the order (a layer that feeds an earlier one through a
    # shared layer) would make a loop: it is drawn, but doesn't decide the depths.
    forward = [(a, b) for a, b in graph.edges if order[a] < order[b]]
    depth = _depths(names, forward)
    levels, chains = _levels_with_waypoints(names, forward, depth)
    _order_levels(levels, chains)

    def across(item):   # a box's size side by side with its neighbours; a waypoint has none
        box = boxes.get(item)
        return 0.0 if box is None else (box.width if across_first else box.height)

    def along(item):
        box = boxes.get(item)
        return 0.0 if box is None else (box.height if across_first else box.width)

    centre_across = _place_across(levels, chains, across)
    # Depths are bands, each as deep as its deepest box.
    band_start, position = [], 0.0
    for level in levels:
        band_start.append(position)
        position += max(along(item) for item in level) + GAP_BETWEEN_DEPTHS
    centre_along = {item: band_start[k] + max(along(i) for i in level) / 2
                    for k, level in enumerate(levels) for item in level}
    low = min(centre_across[i] - across(i) / 2 for level in levels for i in level)
    high = max(centre_across[i] + across(i) / 2 for level in levels for i in level)
    extent_across = high - low + 2 * MARGIN
    extent_along = position - GAP_BETWEEN_DEPTHS + 2 * MARGIN

    def point(item):  # (x, y) on the page
        a = centre_across[item] - low + MARGIN
        b = centre_along[item] + MARGIN
        return (a, b) if across_first else (b, a)

    for box in graph.boxes:
        box.x, box.y = point(box.name)
    graph.size = (extent_across, extent_along) if across_first else (extent_along, extent_across)
    # Each arrow passes through its waypoints; _attach_ports adds its two ends.
    graph.paths = {edge: [point(item) for item in chains.get(edge, [])[1:-1]] for edge in graph.edges}
    _attach_ports(graph, across_first)
    return graph


def _depths(names, edges):
    """Each box's depth: 0 for a box nothing points to, else 1 + the deepest box feeding it."""
    depth = {}
    for name in names:    # names come in an order where every box follows its sources
        depth[name] = max((depth[a] + 1 for a, b in edges if b == name), default=0)
    return depth


def _levels_with_waypoints(names, edges, depth):
    """Boxes grouped by depth, with a *waypoint* at each depth an arrow passes over.

    Returns ``levels`` (a list of lists of items, an item being a box name or a waypoint)
    and ``chains``: for each edge, the items it runs through, from source to target.
    """
    levels = [[] for _ in range(max(depth.values()) + 1)]
    for name in names:
        levels[depth[name]].append(name)
    chains = {}
    for a, b in edges:
        chain = [a]
        for k in range(depth[a] + 1, depth[b]):
            waypoint = ("waypoint", a, b, k)
            levels[k].append(waypoint)
            chain.append(waypoint)
        chain.append(b)
        chains[(a, b)] = chain
    return levels, chains


def _neighbours(chains):
    """For every item, the items one depth above it and one depth below it."""
    above, below = {}, {}
    for chain in chains.values():
        for upper, lower in zip(chain, chain[1:]):
            below.setdefault(upper, []).append(lower)
            above.setdefault(lower, []).append(upper)
    return above, below


def _order_levels(levels, chains, sweeps=4):
    """Order each depth's items to cross few arrows: the *barycentre* heuristic.

    Each item moves to the average position of its neighbours in the depth above (then,
    sweeping back up, in the depth below); items with no neighbours there keep their place.
    """
    above, below = _neighbours(chains)
    for sweep in range(sweeps):
        going_down = sweep % 2 == 0
        sequence = range(1, len(levels)) if going_down else range(len(levels) - 2, -1, -1)
        for k in sequence:
            reference = levels[k - 1] if going_down else levels[k + 1]
            place = {item: i for i, item in enumerate(reference)}
            linked = above if going_down else below

            def barycentre(indexed):
                i, item = indexed
                spots = [place[n] for n in linked.get(item, []) if n in place]
                return sum(spots) / len(spots) if spots else i

            levels[k] = [item for _, item in sorted(enumerate(levels[k]), key=barycentre)]


def _place_across(levels, chains, across):
    """The across coordinate of every item's centre.

    Each item wants to sit at the average of its neighbours: first, going down, of the
    items that feed it (so a chain of layers is a straight line); then, going up, of the
    items it feeds (so an input sits over its layer, and two branches sit evenly around
    their merge). Items keep their order and ``GAP_SIDE_BY_SIDE`` between them.
    """
    above, below = _neighbours(chains)
    centre = {}
    for linked, sequence in ((above, levels), (below, levels[::-1])):
        for level in sequence:
            wishes = []
            for item in level:
                spots = [centre[n] for n in linked.get(item, []) if n in centre]
                wishes.append(sum(spots) / len(spots) if spots else centre.get(item, 0.0))
            centre.update(zip(level, _place_level(level, wishes, across)))
    return centre


def _place_level(level, wishes, across):
    """Positions for one depth's items, in order, as near their wishes as spacing allows.

    Left to right, each item goes to its wish or, if that is too close to the item
    before, just far enough from it; then the whole depth shifts by the average miss.
    """
    placed = []
    for i, (item, wish) in enumerate(zip(level, wishes)):
        if i:
            nearest = placed[-1] + (across(level[i - 1]) + across(item)) / 2 + GAP_SIDE_BY_SIDE
            wish = max(wish, nearest)
        placed.append(wish)
    shift = sum(w - p for w, p in zip(wishes, placed)) / len(placed)
    return [p + shift for p in placed]


def _attach_ports(graph, across_first):
    """Start and end every arrow on a box's edge, spreading several arrows along it.

    In ``"TB"`` arrows leave from the bottom of a box and arrive at the top (``"LR"``:
    right and left). A merge with three inputs gets three arrival points, ordered like
    the boxes they come from, so arrows never cross at the box. (A layer applied to its
    own output has an arrow from itself to itself: it is not drawn.)
    """
    def across_of(p):
        return p[0] if across_first else p[1]

    def port(box, index, count, leaving):
        length = box.width if across_first else box.height
        offset = (index + 1) / (count + 1) * length * 0.6 - length * 0.3 if count > 1 else 0.0
        if across_first:
            return (box.x + offset, box.y + (box.height / 2 if leaving else -box.height / 2))
        return (box.x + (box.width / 2 if leaving else -box.width / 2), box.y + offset)

    ends = {}
    for box in graph.boxes:
        leaving = [e for e in graph.edges if e[0] == box.name != e[1]]
        arriving = [e for e in graph.edges if e[1] == box.name != e[0]]

        def toward(edge, start):  # the next point along the edge, seen from this box
            path = graph.paths[edge]
            other = graph.box(edge[1] if start else edge[0])
            if path:
                return across_of(path[0] if start else path[-1])
            return across_of((other.x, other.y))

        leaving.sort(key=lambda e: toward(e, True))
        arriving.sort(key=lambda e: toward(e, False))
        for i, edge in enumerate(leaving):
            ends.setdefault(edge, [None, None])[0] = port(box, i, len(leaving), True)
        for i, edge in enumerate(arriving):
            ends.setdefault(edge, [None, None])[1] = port(box, i, len(arriving), False)
    for edge, (start, end) in ends.items():
        graph.paths[edge] = [start, *graph.paths[edge], end]
    for edge in graph.edges:
        if edge[0] == edge[1]:
            del graph.paths[edge]


# -- 3. drawing --------------------------------------------------------------------------
def draw_graph(graph, rankdir="TB", dpi=200, splines="ortho"):
    """A Figure of a laid-out ``graph``: 1 point of layout is 1 point on the page."""
    width, height = graph.size
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(width / 72, height / 72), dpi=dpi)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, width)
        ax.set_ylim(height, 0)   # y grows downwards, as in the layout
        ax.set_axis_off()
        for points in graph.paths.values():
            _draw_arrow(ax, points, rankdir == "TB", splines)
        for box in graph.boxes:
            _draw_box(ax, box)
    return fig


def _draw_box(ax, box):
    top = box.y - box.height / 2
    for row in box.rows:
        row_height = _row_height(row)
        widths = [_text_width(cell.runs, cell.size) + 2 * PAD for cell in row]
        spare = (box.width - sum(widths)) / len(row)   # a short row is stretched to the box
        left = box.x - box.width / 2
        for cell, cell_width in zip(row, widths):
            cell_width += spare
            ax.add_patch(Rectangle((left, top), cell_width, row_height, facecolor=cell.fill,
                                   edgecolor=LINE, linewidth=0.8, zorder=3))
            _write(ax, cell, left + cell_width / 2, top + row_height / 2)
            left += cell_width
        top += row_height


def _write(ax, cell, x_centre, y_centre):
    """Write a cell's runs centred at ``(x_centre, y_centre)``, bold where asked."""
    measure = TextToPath()
    x = x_centre - _text_width(cell.runs, cell.size) / 2
    _, height, descent = measure.get_text_width_height_descent("Ag(", _font(cell.size, False),
                                                              ismath=False)
    baseline = y_centre + (height - descent) / 2 - descent / 2
    for text, bold in cell.runs:
        ax.text(x, baseline, text, fontproperties=_font(cell.size, bold), color=cell.ink,
                ha="left", va="baseline", zorder=4)
        x += _text_width(((text, bold),), cell.size)


def _draw_arrow(ax, points, top_to_bottom, splines):
    """An arrow through ``points``: right-angled (``"ortho"``), straight, or curved."""
    vertices, codes = [points[0]], [Path.MOVETO]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if splines == "ortho":
            bends = [(x0, (y0 + y1) / 2), (x1, (y0 + y1) / 2)] if top_to_bottom \
                else [((x0 + x1) / 2, y0), ((x0 + x1) / 2, y1)]
            vertices += [*bends, (x1, y1)]
            codes += [Path.LINETO] * 3
        elif splines in ("spline", "curved"):
            controls = [(x0, (y0 + y1) / 2), (x1, (y0 + y1) / 2)] if top_to_bottom \
                else [((x0 + x1) / 2, y0), ((x0 + x1) / 2, y1)]
            vertices += [*controls, (x1, y1)]
            codes += [Path.CURVE4] * 3
        else:
            vertices.append((x1, y1))
            codes.append(Path.LINETO)
    ax.add_patch(FancyArrowPatch(path=Path(vertices, codes), arrowstyle="-|>", mutation_scale=11,
                                 color=LINE, linewidth=1.3, shrinkA=0, shrinkB=0, zorder=2))


# -- the Keras function ------------------------------------------------------------------
def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=False, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, splines="ortho", **kwargs):
    """Draw ``model``'s layers and connections into ``to_file``, as ``keras.utils.plot_model``.

    Keras 3's arguments and defaults; drawn with matplotlib, so neither pydot nor Graphviz
    is needed. Each layer is a box titled with its class (and, with
    ``show_layer_names=True``, its name: ``dense (Dense)``); arrows follow the data.

    Args:
        model: a built Sequential or Functional model.
        to_file: the picture's file; its suffix picks the format (``.png``, ``.svg``,
            ``.pdf``, ``.jpg``, ...; none: PNG, as Keras does). Written atomically.
        show_shapes: add each layer's input and output shapes, ``(None, 784)``.
        show_dtype: add each layer's output dtype.
        show_layer_names: put the layer's name before its class. Keras 3's default is
            False (Keras 2's was True).
        rankdir: ``"TB"`` draws top to bottom, ``"LR"`` left to right.
        expand_nested: Keras draws a nested model's own layers inside a dashed frame;
            glassnet draws a nested model as one box and warns.
        dpi: dots per inch of a PNG or JPEG.
        show_layer_activations: add the activation of layers that have one
            (``"linear"`` for none, as Keras says).
        show_trainable: mark layers with weights "Trainable" (green) or "Non-trainable" (red).
        splines: arrows with right angles (``"ortho"``), straight (``"polyline"``,
            ``"line"``) or curved (``"spline"``, ``"curved"``).

    Returns:
        In a notebook (IPython running), an ``IPython.display.Image`` of the file (an
        ``SVG`` for ``.svg``), which the notebook shows, as Keras returns; None in a
        script, and for a PDF.
    """
    from glassnet.engine.model import Model

    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("plot_model: Argument `layer_range` is no longer supported (Keras 3 "
                         "dropped it too)")
    if kwargs:
        raise ValueError(f"plot_model: Unrecognized keyword arguments: {sorted(kwargs)}")
    if not isinstance(model, Model):
        raise TypeError(f"plot_model: expected a Sequential or Functional model, got "
                        f"{type(model).__name__}")
    if not model.built:
        raise ShapeError(f"plot_model: model '{model.name}' has not yet been built, so its layers "
                         f"have no shapes to draw; start it with Input(shape=...), or call "
                         f"model.build(input_shape) or fit it first")
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"plot_model: rankdir must be 'TB' (top to bottom) or 'LR' (left to "
                         f"right), got {rankdir!r}")
    if splines not in EDGE_STYLES:
        raise ValueError(f"plot_model: splines must be one of {', '.join(EDGE_STYLES)}; "
                         f"got {splines!r}")
    if not isinstance(dpi, (int, float)) or dpi <= 0:
        raise ValueError(f"plot_model: dpi must be a positive number, got {dpi!r}")
    if expand_nested and any(isinstance(layer, Model) for layer in model.layers):
        warnings.warn("plot_model: expand_nested=True: glassnet draws each nested model as one "
                      "box (Keras draws its layers inside a frame)", RuntimeWarning, stacklevel=2)
    to_file = check_output_path(os.fspath(to_file))
    extension = os.path.splitext(to_file)[1][1:].lower() or "png"
    supported = FigureCanvasAgg(Figure()).get_supported_filetypes()
    if extension not in supported:
        raise ValueError(f"plot_model: can't write .{extension} files; matplotlib writes "
                         f"{', '.join('.' + e for e in sorted(supported))}")
    graph = graph_of(model, show_shapes=show_shapes, show_dtype=show_dtype,
                     show_layer_names=show_layer_names,
                     show_layer_activations=show_layer_activations, show_trainable=show_trainable)
    fig = draw_graph(layout(graph, rankdir), rankdir=rankdir, dpi=dpi, splines=splines)
    with matplotlib.rc_context(RC):     # written whole or not at all, as glassnet saves models
        atomic_write(to_file, lambda file: fig.savefig(file, format=extension, dpi=dpi, facecolor="white"))
    return _notebook_picture(to_file, extension)


def _notebook_picture(path, extension):
    """What Keras returns: the picture for a notebook to show, when running under IPython.

    Keras returns it whenever IPython is installed; glassnet only when IPython is already
    running (a notebook or an IPython shell has imported ``IPython.display``), so a plain
    script neither imports IPython nor needs it.
    """
    display = sys.modules.get("IPython.display")
    if display is None or extension == "pdf":
        return None
    if extension == "svg":
        return display.SVG(filename=path)
    try:
        return display.Image(filename=path)
    except ValueError:   # a format IPython can't show inline
        return None
