"""Which pixels mattered: saliency maps laid over the digits they explain.

Each picture is the digit, dark ink on white as everywhere in the workbench, with the
saliency map (:mod:`glassnet.workbench.saliency`) painted over it in orange: the stronger
the orange, the more that pixel moves the class's score. Orange on blank paper matters too:
ink there would change the answer (the gap that makes a 4 rather than a 9).
"""

import numpy as np
from matplotlib.colors import to_rgb

from glassnet.errors import ShapeError
from glassnet.workbench.plots import style

HEAT = "#f26b1d"   # the overlay's colour
GREY_INK = 0.15    # how dark full ink is drawn under the overlay (0 black, 1 white)


def overlay(image, heat, strength=0.85):
    """One digit ``(H, W)`` (0..1, ink = 1) and its map ``(H, W)`` (0..1) -> RGB ``(H, W, 3)``.

    The digit is drawn dark on white, then blended towards :data:`HEAT` in proportion to
    the map.
    """
    image = np.clip(np.asarray(image, np.float32), 0, 1)
    heat = np.clip(np.asarray(heat, np.float32), 0, 1)
    paper = 1 - (1 - GREY_INK) * image                            # (H, W): white paper, dark ink
    rgb = np.repeat(paper[..., None], 3, axis=2)
    alpha = strength * heat[..., None]
    return (1 - alpha) * rgb + alpha * np.asarray(to_rgb(HEAT), np.float32)


def _checked(images, maps):
    images, maps = style.as_images(images), style.as_images(maps, "maps")
    if images.shape != maps.shape:
        raise ShapeError(f"maps: shape {maps.shape} does not match the images' {images.shape}")
    return images, maps


def _scaled(images):
    """Images in 0..1 whatever their scale (0..255 pixels are divided by 255)."""
    images = np.asarray(images, np.float32)
    return images / 255 if images.max(initial=0) > 1 else images


@style.picture
def plot_saliency(images, maps, titles=None, columns=8, title="Which pixels mattered"):
    """A grid of digits, each with its saliency map laid over it.

    Args:
        images: ``(N, 28, 28)`` digits, light ink on dark as the model sees them (0..1 or
            0..255); drawn dark on white.
        maps: ``(N, 28, 28)`` saliency, 0..1 (from :func:`glassnet.workbench.saliency.saliency`).
        titles: a caption per digit (e.g. ``"7 (98%)"``).
        columns: digits per row.
        path: also save the picture as a PNG there.

    Returns:
        a Figure ``1.25 * columns`` inches wide, ``1.45`` inches per row plus 0.8.
    """
    images, maps = _checked(_scaled(images), maps)
    n = len(images)
    if titles is not None and len(titles) != n:
        raise ShapeError(f"titles: {len(titles)} captions for {n} images")
    columns = max(1, min(columns, n))
    rows = max(1, -(-n // columns))
    fig = style.new_figure(1.25 * columns, 1.45 * rows + 0.8)
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for i, ax in enumerate(axes):
        ax.set_axis_off()
        if i < n:
            ax.imshow(overlay(images[i], maps[i]), interpolation="nearest")
            if titles is not None:
                ax.set_title(titles[i], fontsize=9, fontweight="normal", pad=3)
    fig.suptitle(title, fontsize=12)
    fig.text(0.5, 0.005, "digits drawn dark on white; orange: pixels that most move the class's score",
             ha="center", va="bottom", fontsize=8, color=style.MUTED)
    return fig


@style.picture
def plot_saliency_check(image, gradient_map, occlusion_map, label=None,
                        title="Two ways to ask which pixels mattered"):
    """One digit, its gradient map and its occlusion map, side by side.

    Where both agree, the answer really depends on those pixels: the gradient says the
    score is sensitive there, and covering them does lower it.

    Args:
        image: ``(28, 28)``, ink = 1.
        gradient_map: ``(28, 28)`` from :func:`~glassnet.workbench.saliency.saliency`.
        occlusion_map: ``(28, 28)`` from :func:`~glassnet.workbench.saliency.occlusion`
            (score lost; scaled here to its largest drop).
        label: what the model answered, for the title.
    """
    image = _scaled(np.asarray(image))
    images, maps = _checked(np.stack([image, image]), np.stack([gradient_map, occlusion_map]))
    occlusion = np.clip(maps[1], 0, None)
    occlusion = occlusion / occlusion.max() if occlusion.max() > 0 else occlusion
    fig = style.new_figure(7.5, 3.0)
    panels = fig.subplots(1, 3)
    style.show_image(panels[0], images[0], "the digit (dark on white)")
    panels[1].imshow(overlay(images[0], maps[0]), interpolation="nearest")
    panels[1].set_title("gradient: |d score / d pixel|", fontsize=9, fontweight="normal")
    panels[2].imshow(overlay(images[0], occlusion), interpolation="nearest")
    panels[2].set_title("occlusion: score lost\nwhen covered", fontsize=9, fontweight="normal")
    for ax in panels[1:]:
        ax.set_axis_off()
    fig.suptitle(f"{title}{f': {label}' if label else ''}", fontsize=11)
    return fig
