"""A made-up writer: digits in one consistent hand that MNIST never saw.

To show that fine-tuning teaches a model *your* handwriting, we need a writer whose digits
the model has not learned: not MNIST's 500 writers, and kept out of every training set.
This module invents one. Each of its digits starts from a typeface's glyph (the shapes of
the digits: a 4 with a closed top, a 7 with a flag, a 1 with a foot), and the writer's
habits are applied to every digit alike:

* a strong slant (the pen leans right, more than almost anyone in MNIST);
* narrow digits, as if squeezed from the sides;
* a broad pen (thick strokes);

then every digit gets its own small wobbles, as no one writes the same digit twice: a turn
of a few degrees, a slightly different size, and an elastic distortion (the pen's
tremble, see :class:`glassnet.datasets.augment.DigitAugmentation`). Finally it goes
through ``to_mnist`` like any user's drawing::

    x, y = writer_digits(per_digit=50, seed=0)     # float32 (500, 28, 28), labels 0-9
"""

import numpy as np
from PIL import Image
from scipy import ndimage

from glassnet.datasets.augment import DigitAugmentation
from glassnet.datasets.nondigits import SIZE, Typeface, font_files, frame

SLANT = 0.45       # horizontal shear: x moves right by this much per unit of height up
SQUEEZE = 0.7      # width kept
PEN = 9            # stroke thickening, in pixels of the SIZE frame (a maximum filter)
FONT = "DejaVuSans-Bold"   # whose digit shapes the writer learned at school


def writer_digits(per_digit=10, seed=0, font=FONT):
    """``per_digit`` digits of each class in the writer's hand, ready for an MNIST model.

    Args:
        per_digit: how many of each digit 0-9.
        seed: the same seed gives the same digits; another seed, the same writer's other
            digits.
        font: the typeface (file name without extension) the writer's shapes come from;
            Pillow's built-in font when it is not installed.

    Returns:
        ``(x, y)``: float32 ``(10 * per_digit, 28, 28)`` in 0..1, light ink on black as
        ``to_mnist`` gives, and int64 labels, the digits in turn (0, 1, ..., 9, 0, ...).
    """
    from glassnet.workbench.preprocess import to_mnist
    rng = np.random.default_rng(seed)
    files = [f for f in font_files("calibration") + font_files("benchmark") if f.endswith(f"/{font}.ttf")]
    face = Typeface(files[0] if files else None)
    glyphs = [habits(face.draw(str(d))) for d in range(10)]
    wobble = DigitAugmentation(rotation_range=6, width_shift_range=0, height_shift_range=0,
                               zoom_range=0.08, elastic_alpha=40, elastic_sigma=8)
    labels = np.tile(np.arange(10), per_digit)
    pictures = np.stack([glyphs[d] for d in labels]).astype(np.float32)   # (N, SIZE, SIZE)
    pictures = wobble(pictures, rng)
    images = np.stack([to_mnist(np.clip(p, 0, 255).astype(np.uint8)) for p in pictures])
    return images.astype(np.float32), labels.astype(np.int64)


def habits(glyph):
    """What the writer does to every digit: slant, squeeze, a broad pen. uint8 in and out."""
    ink = Image.fromarray(glyph)
    width, height = ink.size
    pad = int(SLANT * height) + 8
    ink = ink.crop((-pad, -8, width + pad, height + 8))      # room to lean
    # An affine map from output to input pixels: x_in = x_out + SLANT * (y_out - height / 2).
    ink = ink.transform(ink.size, Image.Transform.AFFINE,
                        (1, SLANT, -SLANT * ink.size[1] / 2, 0, 1, 0),
                        resample=Image.Resampling.BILINEAR)
    ink = ink.resize((max(1, round(ink.size[0] * SQUEEZE)), ink.size[1]), Image.Resampling.BILINEAR)
    framed = frame(np.asarray(ink))
    return ndimage.maximum_filter(framed, size=PEN * SIZE // 112)
