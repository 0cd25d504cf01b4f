"""Every picture returns a Figure and writes a non-empty PNG of the size it promises."""

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from glassnet.errors import DataError, GlassnetError, ShapeError
from glassnet.workbench import plots
from glassnet.workbench.plots import style
from tiny_models import tiny_cnn, tiny_digits, tiny_mlp


@pytest.fixture(scope="module")
def digits():
    return tiny_digits(n_train=500, n_test=200)


@pytest.fixture(scope="module")
def mlp(digits):
    x_train, y_train, _, _ = digits
    return tiny_mlp(x_train, y_train, epochs=3)


@pytest.fixture(scope="module")
def predicted(digits, mlp):
    _, _, x_test, y_test = digits
    return x_test / 255.0, y_test, mlp.predict(x_test / 255.0)


@pytest.fixture(scope="module")
def cnn(digits):
    model = tiny_cnn(digits[0], digits[1])
    if model is None:
        pytest.skip("Conv2D / MaxPooling2D are not in glassnet.engine.layers yet")
    return model


def check_png(fig, path, size):
    """``fig`` is a Figure, ``path`` a non-blank PNG of ``size`` = (width, height) pixels."""
    assert isinstance(fig, Figure)
    assert path.stat().st_size > 1000
    with Image.open(path) as png:
        assert png.format == "PNG"
        assert png.size == size
        low, high = png.convert("L").getextrema()
        assert low < 100 and high > 200  # something dark drawn on white


def test_training_curves(tmp_path, mlp):
    path = tmp_path / "curves.png"
    fig = plots.plot_training_curves(mlp.history, path=path)
    check_png(fig, path, (1000, 400))
    assert "best epoch" in fig.get_suptitle()
    # a model, or the plain dict, work as well; without validation the best epoch is by loss
    assert isinstance(plots.plot_training_curves(mlp), Figure)
    fig = plots.plot_training_curves({"loss": [1.0, 0.5, 0.7], "accuracy": [0.5, 0.8, 0.7]})
    assert "best epoch 2 of 3 (lowest training loss)" in fig.get_suptitle()


def test_training_curves_without_history_says_why():
    with pytest.raises(DataError, match="no training history"):
        plots.plot_training_curves({})


@pytest.mark.parametrize("normalize", [False, True])
def test_confusion_matrix(tmp_path, predicted, normalize):
    _, y, probs = predicted
    path = tmp_path / "cm.png"
    fig = plots.plot_confusion_matrix(y, probs.argmax(1), normalize=normalize, path=path)
    check_png(fig, path, (520, 480))


def test_a_picture_is_written_in_the_format_its_name_says(tmp_path, predicted):
    """path="cm.pdf" writes a PDF and "cm.jpg" a JPEG (both were PNG bytes under those
    names); a name matplotlib can't write is one error naming it."""
    _, y, probs = predicted
    plots.plot_confusion_matrix(y, probs.argmax(1), path=tmp_path / "cm.pdf")
    assert (tmp_path / "cm.pdf").read_bytes()[:4] == b"%PDF"
    plots.plot_confusion_matrix(y, probs.argmax(1), path=tmp_path / "cm.jpg")
    with Image.open(tmp_path / "cm.jpg") as picture:
        assert picture.format == "JPEG"
    with pytest.raises(GlassnetError, match=r"cm.txt: can't write a picture as .txt"):
        plots.plot_confusion_matrix(y, probs.argmax(1), path=tmp_path / "cm.txt")


def test_mistakes_worst_first(tmp_path, predicted):
    x, y, probs = predicted
    path = tmp_path / "mistakes.png"
    fig = plots.plot_mistakes(x, y, probs, count=20, columns=10, path=path)
    check_png(fig, path, (1250, 350))
    order = plots.mistakes.worst_mistakes(y, probs)
    assert np.all(probs.argmax(1)[order] != y[order])
    assert np.all(np.diff(probs.max(1)[order]) <= 0)  # most confident mistake first
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    first = order[0]
    assert titles[0].startswith(f"{y[first]} → {probs[first].argmax()}")


def test_mistakes_when_there_are_none(tmp_path):
    y = np.arange(10)
    path = tmp_path / "none.png"
    fig = plots.plot_mistakes(np.zeros((10, 28, 28)), y, np.eye(10)[y], path=path)
    assert isinstance(fig, Figure) and Image.open(path).size == (1250, 205)


def test_predictions(tmp_path, predicted):
    x, y, probs = predicted
    path = tmp_path / "predictions.png"
    fig = plots.plot_predictions(x, y, probs, count=8, path=path)
    check_png(fig, path, (1200, 380))
    assert len(fig.axes) == 16  # an image and a bar chart per sample


def test_roc_and_reliability(tmp_path, predicted):
    _, y, probs = predicted
    check_png(plots.plot_roc_curves(y, probs, path=tmp_path / "roc.png"), tmp_path / "roc.png", (1100, 500))
    check_png(plots.plot_reliability_diagram(y, probs, path=tmp_path / "rel.png"), tmp_path / "rel.png",
              (650, 650))


def test_roc_with_a_class_missing(tmp_path, predicted):
    _, y, probs = predicted
    keep = y != 3
    fig = plots.plot_roc_curves(y[keep], probs[keep])
    assert "no curve for 3" in fig.get_suptitle()


def test_dense_weights(tmp_path, mlp):
    path = tmp_path / "dense.png"
    check_png(plots.plot_dense_weights(mlp, count=64, columns=16, path=path), path, (1300, 390))


def test_conv_filters_and_feature_maps(tmp_path, cnn, digits):
    path = tmp_path / "filters.png"
    check_png(plots.plot_conv_filters(cnn, path=path), path, (620, 145))
    path = tmp_path / "maps.png"
    image = digits[2][0] / 255.0
    check_png(plots.plot_feature_maps(cnn, image, path=path), path, (1060, 220))
    fig = plots.plot_feature_maps(cnn, image, layer="max_pooling2d", columns=4)
    assert "MaxPooling2D" in fig.get_suptitle()
    with pytest.raises(ValueError, match="not pixels"):
        plots.plot_dense_weights(cnn)
    with pytest.raises(ValueError, match="no feature maps"):
        plots.plot_feature_maps(cnn, image, layer="dense")
    with pytest.raises(ShapeError, match="expects one input"):
        plots.plot_feature_maps(cnn, np.zeros((14, 14)))


def test_inside_pictures_need_the_right_layers(mlp):
    with pytest.raises(ValueError, match="has no Conv2D layer"):
        plots.plot_conv_filters(mlp)


def test_explorer(tmp_path, digits):
    x, y = digits[0], digits[1]
    sizes = {"samples": (1040, 810), "class_counts": (800, 400), "mean_images": (1300, 200),
             "pixel_histogram": (800, 400)}
    paths = plots.save_explorer(x, y, tmp_path, prefix="mnist-")
    assert set(paths) == set(sizes)
    figures = plots.explorer_figures(x, y)
    for name, path in paths.items():
        assert path.endswith(f"mnist-{name}.png")
        check_png(figures[name], tmp_path / f"mnist-{name}.png", sizes[name])


def test_explorer_with_class_names_and_flat_images(digits):
    x, y = digits[0], digits[1]
    names = [f"class {k}" for k in range(10)]
    assert isinstance(plots.plot_samples_per_class(x.reshape(len(x), -1), y, names, per_class=3), Figure)
    with pytest.raises(ShapeError, match="not a square image"):
        plots.plot_mean_images(np.zeros((4, 30)), np.arange(4))
    with pytest.raises(ShapeError, match="4 images but y has 3"):
        plots.plot_mean_images(np.zeros((4, 28, 28)), np.arange(3))


def test_bad_output_paths(tmp_path, predicted, monkeypatch):
    _, y, probs = predicted
    with pytest.raises(FileNotFoundError, match="does not exist"):
        plots.plot_roc_curves(y, probs, path=tmp_path / "missing" / "roc.png")
    with pytest.raises(IsADirectoryError, match="is a folder"):
        plots.plot_roc_curves(y, probs, path=tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        plots.save_explorer(np.zeros((2, 28, 28)), [0, 1], tmp_path / "missing")
    # (root may write anywhere, so "not writable" is simulated)
    monkeypatch.setattr(style.os, "access", lambda path, mode: False)
    with pytest.raises(PermissionError, match="is not writable"):
        plots.plot_roc_curves(y, probs, path=tmp_path / "roc.png")


# -- the second pass: saliency, confusions with examples, conv layers, short runs ---------------
def test_training_curves_of_a_short_run_batch_by_batch(tmp_path):
    batches = {"epoch": list(np.linspace(0.02, 2, 100)), "loss": list(np.linspace(2.3, 0.3, 100)),
               "accuracy": list(np.linspace(0.1, 0.9, 100))}
    history = {"loss": [1.2, 0.4], "accuracy": [0.5, 0.85], "val_loss": [0.6, 0.5],
               "val_accuracy": [0.8, 0.86]}
    path = tmp_path / "short.png"
    fig = plots.plot_training_curves(history, batches=batches, path=path)
    check_png(fig, path, (1000, 400))
    labels = [text.get_text() for ax in fig.axes for text in ax.get_legend().get_texts()]
    assert "training, each batch" in labels and "training, mean over the epoch" in labels
    assert "batch by batch" in fig.axes[0].get_xlabel()
    long = {k: v * 3 for k, v in history.items()}                 # 6 epochs: per epoch again
    fig = plots.plot_training_curves(long, batches=batches)
    assert "training" in [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def test_reliability_diagram_dims_bins_with_few_samples(predicted):
    from glassnet.workbench.plots.calibration import FEW
    _, y, probs = predicted
    fig = plots.plot_reliability_diagram(y, probs)
    top = fig.axes[0]
    alphas = {bar.get_alpha() for bar in top.patches if bar.get_height() > 0}
    assert 0.3 in alphas   # a tiny test set leaves some bins nearly empty
    assert any(f"under {FEW} samples" in t.get_text() for t in top.get_legend().get_texts())


def test_confusion_examples(tmp_path, predicted):
    x, y, probs = predicted
    path = tmp_path / "examples.png"
    fig = plots.plot_confusion_examples(x, y, probs.argmax(1), top=4, per_pair=6, path=path)
    check_png(fig, path, (760, 510))
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    (true, predicted_class, count), = plots.confusion.metrics.most_confused(y, probs.argmax(1), top=1)
    assert texts[0].startswith(f"{true} read as {predicted_class}\n{count} time")
    fig = plots.plot_confusion_examples(x, y, y)
    assert "No mistakes" in fig.axes[0].texts[0].get_text()


def test_mistakes_beside_their_saliency(tmp_path, predicted, mlp):
    from glassnet.workbench.saliency import saliency
    x, y, probs = predicted
    maps = saliency(mlp, x, classes=probs.argmax(1))
    path = tmp_path / "mistakes.png"
    fig = plots.plot_mistakes(x, y, probs, count=10, columns=10, maps=maps, path=path)
    check_png(fig, path, (1250, 380))
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    first = plots.mistakes.worst_mistakes(y, probs)[0]
    assert titles[1] == f"why {probs[first].argmax()}"


def test_saliency_pictures(tmp_path, digits, mlp):
    from glassnet.workbench.saliency import occlusion, saliency
    images = digits[2][:6]                                      # 0..255 works as well
    maps = saliency(mlp, images / 255.0)
    path = tmp_path / "saliency.png"
    check_png(plots.plot_saliency(images, maps, titles=list("abcdef"), columns=3, path=path), path,
              (375, 370))
    path = tmp_path / "check.png"
    fig = plots.plot_saliency_check(images[0] / 255.0, maps[0], occlusion(mlp, images[:1] / 255.0)[0],
                                    label="7", path=path)
    check_png(fig, path, (750, 300))
    with pytest.raises(ShapeError, match="does not match"):
        plots.plot_saliency(images, maps[:3])
    rgb = plots.saliency.overlay(np.zeros((2, 2)), np.array([[0, 1], [0, 0]]))
    assert np.allclose(rgb[0, 0], 1) and rgb[0, 1, 0] > rgb[0, 1, 2]   # white paper; orange heat


def test_every_conv_layer_beside_its_maps(tmp_path, cnn, digits):
    path = tmp_path / "conv.png"
    fig = plots.plot_conv_layer(cnn, digits[2][0] / 255.0, path=path)
    check_png(fig, path, (1710, 200))
    assert "each filter (left) beside" in fig.get_suptitle()
    with pytest.raises(ValueError, match="is not a convolution"):
        plots.plot_conv_layer(cnn, digits[2][0] / 255.0, layer="max_pooling2d")
