"""keras.utils.plot_model drawn with matplotlib: the right boxes, arrows and labels, a layout
without overlaps, and files written in the format their name asks for."""

import ast
import importlib.util
import inspect
import os
import sys
import warnings

import pytest
from PIL import Image

import glassnet as keras
from glassnet import layers
from glassnet.errors import ShapeError
from glassnet.workbench.plots.model_graph import graph_of, layout, plot_model


# -- models ------------------------------------------------------------------------------
def mlp():
    return keras.Sequential([keras.Input(shape=(784,)), layers.Dense(64, activation="relu"),
                             layers.Dropout(0.2), layers.Dense(10, activation="softmax")], seed=0)


def cnn():
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)), layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(10, activation="softmax")], seed=0)


def residual():
    """input -> dense -> dense_1 -> dense_2 -> add <- dense (a skip over two layers)."""
    inputs = keras.Input(shape=(784,))
    x = layers.Dense(64, activation="relu")(inputs)
    hidden = layers.Dense(64, activation="relu")(x)        # made before the next: dense_1
    y = layers.Dense(64)(hidden)
    outputs = layers.Dense(10)(layers.Add()([x, y]))
    return keras.Model(inputs, outputs, name="residual", seed=0)


def two_inputs():
    title, body = keras.Input(shape=(32,), name="title"), keras.Input(shape=(16,), name="body")
    merged = layers.Concatenate()([layers.Dense(8)(title), layers.Dense(8)(body)])
    return keras.Model([title, body], layers.Dense(1, activation="sigmoid")(merged), seed=0)


def labels(graph):
    return {box.name: box.label for box in graph.boxes}


# -- the graph: boxes, arrows, labels -------------------------------------------------------
def test_sequential_is_a_column_without_an_input_box():
    graph = graph_of(mlp(), show_shapes=True, show_layer_names=True)
    assert [box.name for box in graph.boxes] == ["dense", "dropout", "dense_1"]   # as Keras: no InputLayer
    assert graph.edges == [("dense", "dropout"), ("dropout", "dense_1")]
    assert labels(graph)["dense"] == "dense (Dense)\nInput shape: (None, 784) | Output shape: (None, 64)"


def test_labels_follow_keras_options():
    plain = graph_of(mlp())
    assert labels(plain)["dense"] == "Dense"          # Keras 3: show_layer_names=False by default
    assert "shape" not in "".join(labels(plain).values())
    keras.utils.clear_session()          # Keras counts names across the session: dense again
    model = mlp()
    model.layers[0].trainable = False
    rich = labels(graph_of(model, show_dtype=True, show_layer_activations=True, show_trainable=True))
    assert rich["dense"] == "Dense\nActivation: relu\nOutput dtype: float32 | Non-trainable"
    assert rich["dense_1"].endswith("Trainable") and "Non" not in rich["dense_1"]
    assert rich["dropout"] == "Dropout\nOutput dtype: float32"   # no activation, no weights


def test_cnn_shapes():
    graph = graph_of(cnn(), show_shapes=True)
    assert len(graph.boxes) == 4 and len(graph.edges) == 3
    assert "Input shape: (None, 28, 28, 1) | Output shape: (None, 26, 26, 32)" in graph.boxes[0].label
    assert "Output shape: (None, 5408)" in graph.box("flatten").label


def test_residual_merge_has_two_arrows_in():
    graph = graph_of(residual(), show_shapes=True)
    assert len(graph.boxes) == 6 and len(graph.edges) == 6
    assert sorted(graph.incoming("add")) == ["dense", "dense_2"]
    assert "Input shape: [(None, 64), (None, 64)]" in graph.box("add").label
    assert "Output shape: (None, 784)" in graph.box("input_layer").label
    assert "Input shape" not in graph.box("input_layer").label       # an InputLayer has none


def test_two_inputs_and_shared_layers_and_nested_models():
    graph = graph_of(two_inputs())
    assert [b.name for b in graph.boxes if b.class_name == "InputLayer"] == ["title", "body"]
    assert len(graph.incoming("concatenate")) == 2
    # One box per layer, as Keras draws it: a shared layer gets both calls' arrows.
    encoder = keras.Sequential([keras.Input(shape=(8,)), layers.Dense(4)], name="encoder")
    a, b = keras.Input(shape=(8,)), keras.Input(shape=(8,))
    shared = layers.Dense(8, name="shared")
    model = keras.Model([a, b], layers.Concatenate()([encoder(shared(a)), encoder(shared(b))]))
    graph = graph_of(model, show_layer_names=True)
    assert [box.name for box in graph.boxes].count("shared") == 1
    assert sorted(graph.incoming("shared")) == ["input_layer_1", "input_layer_2"]   # the encoder's is input_layer
    assert graph.box("encoder").label == "encoder (Sequential)"


# -- the layout --------------------------------------------------------------------------
def overlap(p, q):
    return (abs(p.x - q.x) < (p.width + q.width) / 2 and abs(p.y - q.y) < (p.height + q.height) / 2)


@pytest.mark.parametrize("make", [mlp, cnn, residual, two_inputs])
@pytest.mark.parametrize("rankdir", ["TB", "LR"])
def test_layout_has_no_overlaps_and_arrows_run_one_way(make, rankdir):
    graph = layout(graph_of(make(), show_shapes=True, show_layer_names=True), rankdir)
    width, height = graph.size
    for i, box in enumerate(graph.boxes):
        assert 0 <= box.x - box.width / 2 and box.x + box.width / 2 <= width
        assert 0 <= box.y - box.height / 2 and box.y + box.height / 2 <= height
        for other in graph.boxes[i + 1:]:
            assert not overlap(box, other), (box.name, other.name)
    for (source, target), points in graph.paths.items():
        a, b = graph.box(source), graph.box(target)
        along = 1 if rankdir == "TB" else 0
        coordinates = [p[along] for p in points]
        assert coordinates == sorted(coordinates)        # always down (TB) or right (LR)
        start, end = points[0], points[-1]
        if rankdir == "TB":
            assert start[1] == pytest.approx(a.y + a.height / 2) and end[1] == pytest.approx(b.y - b.height / 2)
        else:
            assert start[0] == pytest.approx(a.x + a.width / 2) and end[0] == pytest.approx(b.x - b.width / 2)


def test_a_skip_connection_goes_around_the_layers_it_skips():
    graph = layout(graph_of(residual(), show_shapes=True), "TB")
    skip = graph.paths[("dense", "add")]
    assert len(skip) == 4                     # out of dense, past dense_1 and dense_2, into add
    for name, (x, y) in zip(["dense_1", "dense_2"], skip[1:3]):
        box = graph.box(name)
        assert y == pytest.approx(box.y) and abs(x - box.x) > box.width / 2


def test_merge_arrows_arrive_at_different_points():
    graph = layout(graph_of(two_inputs()), "TB")
    ends = [graph.paths[(source, "concatenate")][-1] for source in graph.incoming("concatenate")]
    assert ends[0] != ends[1]


# -- files -------------------------------------------------------------------------------
def check_png(path, min_side=100):
    with Image.open(path) as image:
        assert image.format == "PNG" and min(image.size) >= min_side
        colours = image.convert("L").getcolors(maxcolors=1 << 20)
    assert len(colours) > 10                  # text and boxes, not a blank page


def test_writes_png_as_keras_utils_plot_model(tmp_path):
    path = tmp_path / "my_first_model.png"
    keras.utils.plot_model(residual(), str(path))
    check_png(path)
    keras.utils.plot_model(residual(), tmp_path / "with_shapes.png", show_shapes=True)
    check_png(tmp_path / "with_shapes.png")
    assert sorted(os.listdir(tmp_path)) == ["my_first_model.png", "with_shapes.png"]  # no temporaries


def test_show_shapes_and_lr_change_the_picture(tmp_path):
    sizes = {}
    for name, options in [("plain", {}), ("shapes", {"show_shapes": True}),
                          ("lr", {"show_shapes": True, "rankdir": "LR"})]:
        plot_model(mlp(), tmp_path / f"{name}.png", dpi=100, **options)
        check_png(tmp_path / f"{name}.png", min_side=50)
        with Image.open(tmp_path / f"{name}.png") as image:
            sizes[name] = image.size
    assert sizes["shapes"][0] > sizes["plain"][0]          # wider boxes
    assert sizes["lr"][0] > 2 * sizes["shapes"][0] and sizes["lr"][1] < sizes["shapes"][1] / 2


def test_suffix_picks_the_format(tmp_path):
    plot_model(two_inputs(), tmp_path / "model.svg", show_shapes=True)
    assert b"<svg" in (tmp_path / "model.svg").read_bytes()[:1000]
    plot_model(two_inputs(), tmp_path / "model.pdf")
    assert (tmp_path / "model.pdf").read_bytes().startswith(b"%PDF")
    plot_model(two_inputs(), tmp_path / "model")           # no suffix: PNG, as Keras writes it
    assert (tmp_path / "model").read_bytes().startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="can't write .dot"):
        plot_model(two_inputs(), tmp_path / "model.dot")


@pytest.mark.parametrize("splines", ["ortho", "polyline", "spline"])
def test_every_arrow_style_draws(tmp_path, splines):
    plot_model(residual(), tmp_path / "m.png", splines=splines, dpi=72)
    check_png(tmp_path / "m.png", min_side=50)


# -- bad input ---------------------------------------------------------------------------
def test_unbuilt_model_is_one_clear_error(tmp_path):
    model = keras.Sequential([layers.Dense(10)])
    with pytest.raises(ShapeError, match="has not yet been built") as error:
        keras.utils.plot_model(model, tmp_path / "m.png")
    assert "\n" not in str(error.value) and isinstance(error.value, ValueError)   # as Keras: ValueError
    assert not (tmp_path / "m.png").exists()


def test_arguments_glassnet_cannot_honour_are_refused_or_warned(tmp_path):
    with pytest.raises(ValueError, match="layer_range"):
        plot_model(mlp(), tmp_path / "m.png", layer_range=["dense", "dense_1"])
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        plot_model(mlp(), tmp_path / "m.png", show_colors=True)
    with pytest.raises(ValueError, match="rankdir"):
        plot_model(mlp(), tmp_path / "m.png", rankdir="BT")
    with pytest.raises(ValueError, match="splines"):
        plot_model(mlp(), tmp_path / "m.png", splines="wavy")
    with pytest.raises(TypeError, match="expected a Sequential or Functional model"):
        plot_model(layers.Dense(3), tmp_path / "m.png")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        plot_model(mlp(), tmp_path / "missing" / "m.png")
    inner = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(2)])
    outer = keras.Sequential([keras.Input(shape=(4,)), inner, layers.Dense(1)])
    with pytest.warns(RuntimeWarning, match="one box"):
        plot_model(outer, tmp_path / "nested.png", expand_nested=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plot_model(mlp(), tmp_path / "flat.png", expand_nested=True)   # nothing nested: no warning
    check_png(tmp_path / "nested.png", min_side=50)


# -- the reference -----------------------------------------------------------------------
def test_signature_and_defaults_are_keras_3s():
    """Read Keras's source (without importing Keras, which imports TensorFlow)."""
    spec = importlib.util.find_spec("keras")
    if spec is None:
        pytest.skip("Keras is not installed: the signature check needs its source")
    source = os.path.join(os.path.dirname(spec.origin), "src", "utils", "model_visualization.py")
    tree = ast.parse(open(source, encoding="utf-8").read())
    function = next(node for node in tree.body
                    if isinstance(node, ast.FunctionDef) and node.name == "plot_model")
    names = [a.arg for a in function.args.args]
    defaults = [ast.literal_eval(d) for d in function.args.defaults]
    keras_signature = dict(zip(names[len(names) - len(defaults):], defaults))
    for ours in (plot_model, keras.utils.plot_model):
        parameters = inspect.signature(ours).parameters
        assert list(parameters)[:len(names)] == names
        assert {n: p.default for n, p in parameters.items()
                if p.default is not inspect.Parameter.empty} == keras_signature


def test_a_layer_applied_to_its_own_output(tmp_path):
    inputs = keras.Input(shape=(8,))
    dense = layers.Dense(8)
    model = keras.Model(inputs, layers.Dense(2)(dense(dense(inputs))))
    graph = layout(graph_of(model), "TB")
    assert ("dense", "dense") in graph.edges and ("dense", "dense") not in graph.paths  # loop not drawn
    assert graph.paths[("input_layer", "dense")][-1][0] == pytest.approx(graph.box("dense").x)
    plot_model(model, tmp_path / "loop.png", dpi=72)
    check_png(tmp_path / "loop.png", min_side=50)


def test_returns_none_in_a_script_and_a_picture_in_a_notebook(tmp_path):
    if "IPython.display" not in sys.modules:
        assert plot_model(mlp(), tmp_path / "m.png", dpi=72) is None
    display = pytest.importorskip("IPython.display", reason="IPython shows pictures in notebooks")
    assert isinstance(plot_model(mlp(), tmp_path / "m.png", dpi=72), display.Image)
    assert isinstance(plot_model(mlp(), tmp_path / "m.svg"), display.SVG)
    assert plot_model(mlp(), tmp_path / "m.pdf") is None
