"""Photographs of ink, made up: what a user's picture of a digit looks like.

A user photographs a digit written on paper, or scans it. Compared with MNIST the photo
is dark ink on light (never quite white) paper, 2-5 times the size, somewhere on a bigger
page, turned a few degrees, lit unevenly, a little blurred and noisy, and saved as JPEG.
:func:`photograph` does all that to any ink picture (an MNIST digit, a letter, a
scribble), so that benchmarks and the "not a digit" detector can test the whole path a
user's picture takes (file bytes -> ``to_mnist`` -> model) without a single real photo.
"""

import io

import numpy as np
from PIL import Image
from scipy import ndimage

FRAME = 28   # the ink is treated as drawn in MNIST's 28-pixel frame, whatever its pixel size


def photograph(ink, rng):
    """One ink picture -> the bytes of a photo or scan of it (JPEG or PNG).

    Args:
        ink: ``(H, W)`` light ink on black, uint8 0..255 or float 0..1 (an MNIST digit
            is one). Its longer side stands for MNIST's 28-pixel frame.
        rng: a ``np.random.Generator``; the same state gives the same photo.

    Returns:
        bytes: a grayscale or RGB picture, dark ink on light paper.
    """
    ink = np.asarray(ink)
    if ink.dtype.kind == "f":
        ink = np.clip(ink * 255, 0, 255).astype(np.uint8)
    scale = rng.uniform(2, 5)
    size = round(FRAME * scale)                       # the frame's longer side, in pixels
    height, width = ink.shape
    side = max(height, width)
    shape = (max(1, round(width * size / side)), max(1, round(height * size / side)))
    picture = Image.fromarray(ink).resize(shape, Image.Resampling.BILINEAR)
    picture = picture.rotate(rng.uniform(-8, 8), resample=Image.Resampling.BILINEAR, expand=True)
    picture = np.asarray(picture, dtype=np.float32) / 255                # (s, s), 1 = ink

    # A page 1.5-3x the picture, the picture anywhere on it.
    page_h = round(picture.shape[0] * rng.uniform(1.5, 3))
    page_w = round(picture.shape[1] * rng.uniform(1.5, 3))
    page = np.zeros((page_h, page_w), np.float32)
    top = rng.integers(0, page_h - picture.shape[0] + 1)
    left = rng.integers(0, page_w - picture.shape[1] + 1)
    page[top:top + picture.shape[0], left:left + picture.shape[1]] = picture
    if rng.random() < 0.5:   # the camera is never quite in focus
        page = ndimage.gaussian_filter(page, rng.uniform(0.3, 0.6) * scale)

    paper, pen = rng.uniform(0.65, 0.95), rng.uniform(0.05, 0.3)
    gray = paper - (paper - pen) * page                                # dark ink, light paper
    # Light falling off across the page in a random direction, by up to 35%.
    angle = rng.uniform(0, 2 * np.pi)
    yy, xx = np.mgrid[0:page_h, 0:page_w]
    ramp = (np.cos(angle) * xx / page_w + np.sin(angle) * yy / page_h)
    ramp = (ramp - ramp.min()) / max(np.ptp(ramp), 1e-6)
    gray *= 1 - rng.uniform(0.0, 0.35) * ramp
    gray += rng.normal(0, rng.uniform(0.01, 0.05), gray.shape)
    image = Image.fromarray(np.clip(gray * 255, 0, 255).astype(np.uint8))
    if rng.random() < 0.5:
        image = image.convert("RGB")
    buffer = io.BytesIO()
    if rng.random() < 0.7:
        image.save(buffer, format="JPEG", quality=int(rng.integers(70, 95)))
    else:
        image.save(buffer, format="PNG")
    return buffer.getvalue()


def photographed_mnist(pictures, rng, name="photo"):
    """Photograph each ink picture and read it back with ``to_mnist``, as ``glassnet predict`` would.

    Returns ``(images, readable)``: float32 ``(N, 28, 28)`` (zeros where ``to_mnist`` found
    the photo blank) and a bool ``(N,)`` mask of the photos it could read.
    """
    from glassnet.workbench.preprocess import BlankImageError, to_mnist
    images = np.zeros((len(pictures), 28, 28), np.float32)
    readable = np.ones(len(pictures), bool)
    for i, picture in enumerate(pictures):
        try:
            images[i] = to_mnist(photograph(picture, rng), name=f"{name} {i}")
        except BlankImageError:
            readable[i] = False
    return images, readable
