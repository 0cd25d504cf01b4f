"""One look for every picture: colours, fonts, sizes, and how a picture is saved.

Every picture function in this package is decorated with :func:`picture`. It draws inside
this module's style (so all pictures share fonts and colours), returns a
:class:`matplotlib.figure.Figure`, and writes a PNG when given ``path=``::

    fig = plot_confusion_matrix(y_true, y_pred)               # a Figure to show or embed
    plot_confusion_matrix(y_true, y_pred, path="cm.png")      # ... also saved as a PNG

No pyplot: a Figure with an Agg canvas has no global state and needs no display, so the
pictures work the same in a script, a test, a notebook and a web server.
"""

import functools
import io
import os

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from glassnet.errors import ShapeError

DPI = 100  # a figure of 8 x 4 inches is an 800 x 400 PNG

# Colours with a meaning, used the same way in every picture.
TRAIN = "#3b6ea8"      # training curves
VALIDATION = "#e07b39"  # validation curves
RIGHT = "#2e8b57"      # a right answer
WRONG = "#c8413b"      # a mistake
MUTED = "#8a8f98"      # guides: the chance line, the mean, grid
INK = "#2b2f36"        # text
IMAGE_CMAP = "gray_r"  # digits drawn dark on white, like ink on paper
HEAT_CMAP = "Blues"    # counts and fractions
WEIGHT_CMAP = "RdBu_r"  # signed weights: red positive, blue negative, white zero
CLASS_COLORS = ["#3b6ea8", "#e07b39", "#2e8b57", "#c8413b", "#8064a2",
                "#8c564b", "#d46ab0", "#6b6b6b", "#b5a82b", "#2bb5c4"]

RC = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "axes.edgecolor": "#c5c9d0",
    "axes.labelcolor": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "grid.color": "#e3e6ea",
    "grid.linewidth": 0.8,
    "xtick.color": INK,
    "ytick.color": INK,
    "text.color": INK,
    "legend.frameon": False,
    "legend.fontsize": 9,
    "figure.facecolor": "white",
    "figure.titlesize": 13,
    "figure.titleweight": "bold",
}


def new_figure(width, height):
    """A blank white figure of ``width`` x ``height`` inches, laid out automatically."""
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def picture(draw):
    """Decorator: draw in the house style; return the Figure; save it if ``path=`` is given."""
    @functools.wraps(draw)
    def wrapper(*args, path=None, **kwargs):
        with matplotlib.rc_context(RC):
            fig = draw(*args, **kwargs)
            if path is not None:
                save(fig, path)
        return fig
    return wrapper


def check_output_folder(folder, what=None):
    """Fail early, in one line, when files can't be written into ``folder``."""
    folder = os.fspath(folder)
    what = what or folder
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{what}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise PermissionError(f"{what}: folder {folder} is not writable")
    return folder


def check_output_path(path):
    """Fail early, in one line, when the file ``path`` can't be written."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path}: is a folder; give a file name")
    check_output_folder(os.path.dirname(os.path.abspath(path)), path)
    return path


def picture_format(path):
    """The format a picture named ``path`` is written in, checked before any drawing.

    The extension decides, as in matplotlib (``.png``, ``.jpg``, ``.pdf``, ``.svg``, ...),
    and a name without one is a PNG. Pass the result to ``savefig(path, format=...)``:
    given no format, matplotlib would write ``out`` as ``out.png``, a file the user never
    named. A folder that isn't there, or an extension matplotlib can't write (``.txt``),
    fails here, in one line.
    """
    from glassnet.errors import GlassnetError

    path = check_output_path(path)
    extension = os.path.splitext(path)[1][1:].lower() or "png"
    supported = FigureCanvasAgg(Figure()).get_supported_filetypes()
    if extension not in supported:
        raise GlassnetError(f"{path}: can't write a picture as .{extension}; name it .png "
                            f"(or {', '.join('.' + e for e in sorted(supported) if e != 'png')})")
    return extension


def save(fig, path):
    """Write ``fig`` to ``path`` in the format its extension names (a PNG of exactly
    ``figsize * DPI`` pixels for ``.png`` or no extension; ``.pdf``, ``.svg``, ``.jpg``...)."""
    fig.savefig(path, dpi=DPI, format=picture_format(path), facecolor="white")


def png_bytes(fig):
    """The PNG of ``fig`` as bytes (for inlining in an HTML report)."""
    buffer = io.BytesIO()
    with matplotlib.rc_context(RC):
        fig.savefig(buffer, dpi=DPI, format="png", facecolor="white")
    return buffer.getvalue()


def message(ax, text):
    """Write ``text`` in the middle of an empty panel (e.g. "no mistakes")."""
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=11, color=MUTED,
            transform=ax.transAxes, wrap=True)


# -- inputs shared by several pictures --------------------------------------------------
def as_images(x, what="images"):
    """Images as a 3-D array ``(N, H, W)``: accepts ``(N, H, W)``, ``(N, H, W, 1)`` or
    flat ``(N, H*W)`` rows of a square image."""
    x = np.asarray(x)
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim == 2:
        side = int(round(np.sqrt(x.shape[1])))
        if side * side != x.shape[1]:
            raise ShapeError(f"{what}: flat rows of {x.shape[1]} pixels are not a square image")
        x = x.reshape(len(x), side, side)
    if x.ndim != 3:
        raise ShapeError(f"{what}: expected images of shape (N, H, W), got {x.shape}")
    return x


def class_names_for(class_names, num_classes):
    """``class_names`` as a list of strings, or ``"0".."K-1"`` when none are given."""
    if class_names is None:
        return [str(k) for k in range(num_classes)]
    names = [str(name) for name in class_names]
    if len(names) < num_classes:
        raise ShapeError(f"class_names: {len(names)} names for {num_classes} classes")
    return names


def mosaic(images, columns, gap=2):
    """Tile images ``(M, H, W)`` into one 2-D array, ``columns`` per row, ``gap`` pixels apart.

    The gaps (and the empty slots of the last row) are NaN, which the colour maps here draw
    white. One ``imshow`` of a mosaic draws in a fraction of the time of one axes per image.
    """
    m, h, w = images.shape
    rows = -(-m // columns)
    padded = np.full((rows * columns, h + gap, w + gap), np.nan)
    padded[:m, :h, :w] = images
    # (rows, columns, H+gap, W+gap) -> (rows, H+gap, columns, W+gap): each tile row of pixels
    # continues into the same row of the tile to its right.
    canvas = padded.reshape(rows, columns, h + gap, w + gap).transpose(0, 2, 1, 3)
    return canvas.reshape(rows * (h + gap), columns * (w + gap))[:-gap or None, :-gap or None]


def colormap(name):
    """A colour map that draws NaN (the gaps of a mosaic) white."""
    return matplotlib.colormaps[name].with_extremes(bad="white")


def show_mosaic(ax, canvas, cmap=IMAGE_CMAP, vmin=None, vmax=None):
    """Draw a mosaic on ``ax`` with no ticks or frame."""
    ax.imshow(canvas, cmap=colormap(cmap), vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def percent(p):
    """A probability as a percentage that never rounds up to a false "100%": 0.9996 -> 99.9%."""
    if p < 0.995 or p >= 1:
        return f"{p:.0%}"
    return f"{np.floor(p * 1000) / 10:.1f}%"


def show_image(ax, image, title=None, color=INK, fontsize=9):
    """One image on an axes with no ticks, dark ink on white."""
    ax.imshow(image, cmap=IMAGE_CMAP, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        ax.set_title(title, fontsize=fontsize, color=color, fontweight="normal", pad=3)
