"""Pictures that are not digits: letters, words, symbols, shapes, noise, scribbles, smileys.

A network trained on MNIST has only ever seen digits, so it calls *anything* a digit,
often with confidence: a letter A "4 (70%)", a smiley "0 (99%)". To teach the workbench to
say "that's not a digit" (see :mod:`glassnet.workbench.novelty`) and to measure how well it
does, we need many pictures of things that are not digits. They are made here, never
downloaded, so that anyone can make more::

    from glassnet.datasets.nondigits import make_nondigits
    found = make_nondigits(700, seed=0, fonts="calibration")
    found.images   # uint8 (700, 112, 112): light ink on black, like MNIST before its 28x28 step
    found.kinds    # ["letter", "word", "symbol", "shape", "noise", "scribble", "smiley", "letter", ...]
    found.names    # ["letter t", "word and", "symbol Ω", "shape grid", "noise chessboard", ...]

Each picture is ink on a dark ``SIZE x SIZE`` frame, like MNIST's own digits; photograph
it with :func:`glassnet.datasets.photos.photograph` to get what a user's camera would.

Two sets of fonts keep tuning and testing apart: ``"calibration"`` renders text in the
DejaVu fonts, ``"benchmark"`` in the Liberation fonts (both on most Linux systems:
``fonts-dejavu-core``, ``fonts-liberation``). Without them, Pillow's built-in font is used.

Some letters and symbols are written just like digits (O and 0, l and 1, S and 5, Z and 2,
B and 8, g and 9): no picture-based test can tell them apart, and nobody would blame
it, so :data:`LETTERS` and :data:`SYMBOLS` leave them out. A plain ring is left out of
the shapes for the same reason (it is a 0).
"""

import glob
import os
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

SIZE = 112   # pixels a side of every picture; the content fills about 20/28 of it, as in MNIST
BOX = 80     # ... this many pixels
KINDS = ("letter", "word", "symbol", "shape", "noise", "scribble", "smiley")

# Letters not written like a digit: without O o Q D (0), I l i j J (1), Z z (2), S s (5),
# B (8), b G (6), g q (9).
LETTERS = "ACEFHKLMNPRTUVWXYacdefhkmnprtuvwxy"
WORDS = ("cat", "dog", "ok", "yes", "no", "hi", "the", "and", "net", "abc", "hello", "word",
         "map", "sun", "tree", "kiwi", "max", "pen", "fox", "run", "key", "web", "zoo", "art")
# Symbols not written like a digit: without | / \ ( ) [ ] ! (1) and the tiny . , : ; ' "
SYMBOLS = "+×÷=≠?@#$%&*€£§¶©®±√∞≈≤≥πΩµ→←↑↓♥♦♣♠☺~^<>{}ΣΔλß¿¡"
FONT_FAMILIES = {"calibration": "DejaVu", "benchmark": "Liberation"}
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.fonts", "~/.local/share/fonts",
             "/Library/Fonts", "/System/Library/Fonts", "C:/Windows/Fonts")


@dataclass
class NonDigits:
    """What :func:`make_nondigits` returns."""
    images: np.ndarray   # uint8 (N, SIZE, SIZE), light ink on black
    kinds: list          # one of KINDS per image
    names: list          # what each image shows: "letter A", "word cat", "shape star", ...
    fonts: list          # the font files used for text ("Pillow's built-in font" if none)


def make_nondigits(count, seed=0, fonts="calibration", kinds=KINDS):
    """``count`` pictures that are not digits, the same ones for the same arguments.

    Args:
        count: how many; the kinds take turns, so each gets ``count / len(kinds)``.
        seed: seeds one ``np.random.default_rng``.
        fonts: ``"calibration"`` (DejaVu), ``"benchmark"`` (Liberation), or a list of
            font files.
        kinds: which of :data:`KINDS` to make.

    Returns:
        :class:`NonDigits`.
    """
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ValueError(f"make_nondigits: unknown kind(s) {unknown}; known: {', '.join(KINDS)}")
    files = font_files(fonts) if isinstance(fonts, str) else list(fonts)
    typefaces = [Typeface(path) for path in files] or [Typeface(None)]
    rng = np.random.default_rng(seed)
    makers = {"letter": lambda: text(str(rng.choice(list(LETTERS))), typefaces, rng),
              "word": lambda: text(word(rng), typefaces, rng),
              "symbol": lambda: text(str(rng.choice(list(SYMBOLS))), typefaces, rng),
              "shape": lambda: shape(rng), "noise": lambda: noise(rng),
              "scribble": lambda: scribble(rng), "smiley": lambda: smiley(rng)}
    chosen = [kinds[i % len(kinds)] for i in range(count)]
    images = np.zeros((count, SIZE, SIZE), np.uint8)
    names = []
    for i, kind in enumerate(chosen):
        images[i], what = makers[kind]()
        names.append(f"{kind} {what}")
    return NonDigits(images, chosen, names, [t.name for t in typefaces])


def font_files(which):
    """The TrueType files of one family (:data:`FONT_FAMILIES`) found on this machine."""
    if which not in FONT_FAMILIES:
        raise ValueError(f"fonts must be one of {', '.join(FONT_FAMILIES)} or a list of files, "
                         f"got {which!r}")
    family = FONT_FAMILIES[which]
    found = set()
    for folder in FONT_DIRS:
        found.update(glob.glob(os.path.join(os.path.expanduser(folder), "**", f"{family}*.ttf"),
                               recursive=True))
    # DejaVu's math font draws letters in its own odd way; the light weight lacks symbols.
    return sorted(f for f in found if "Math" not in os.path.basename(f))


class Typeface:
    """One font file, at the size text is drawn, and which characters it really has."""

    def __init__(self, path):
        self.name = os.path.basename(path) if path else "Pillow's built-in font"
        self.font = ImageFont.truetype(path, 90) if path else ImageFont.load_default(size=90)
        self._missing = self.draw("\ue000")   # a private-use character: the "no glyph" box

    def draw(self, chars):
        """``chars`` drawn white on black, cropped to the ink: uint8 (h, w)."""
        left, top, right, bottom = self.font.getbbox(chars)
        canvas = Image.new("L", (right - left + 8, bottom - top + 8))
        ImageDraw.Draw(canvas).text((4 - left, 4 - top), chars, font=self.font, fill=255)
        return np.asarray(canvas)

    def has(self, chars):
        drawn = self.draw(chars)
        return drawn.max() > 0 and not (drawn.shape == self._missing.shape
                                         and np.array_equal(drawn, self._missing))


def word(rng):
    """A short word, or 2-5 random letters."""
    if rng.random() < 0.5:
        return str(rng.choice(WORDS))
    return "".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz"), size=rng.integers(2, 6)))


def text(chars, typefaces, rng):
    """``chars`` in a random typeface that has them, slanted or turned a little."""
    order = rng.permutation(len(typefaces))
    face = next((typefaces[i] for i in order if typefaces[i].has(chars)), typefaces[order[0]])
    ink = Image.fromarray(face.draw(chars))
    ink = ink.transform(ink.size, Image.Transform.AFFINE, (1, rng.uniform(-0.3, 0.3), 0, 0, 1, 0),
                        resample=Image.Resampling.BILINEAR)
    ink = ink.rotate(rng.uniform(-10, 10), resample=Image.Resampling.BILINEAR, expand=True)
    return frame(np.asarray(ink)), chars


def frame(ink):
    """Scale ink to fit a BOX x BOX box (aspect kept) in the middle of a SIZE x SIZE frame."""
    rows, cols = np.nonzero(ink > 32)
    if len(rows) == 0:
        return np.zeros((SIZE, SIZE), np.uint8)
    ink = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    scale = BOX / max(ink.shape)
    width, height = max(1, round(ink.shape[1] * scale)), max(1, round(ink.shape[0] * scale))
    small = np.asarray(Image.fromarray(ink).resize((width, height), Image.Resampling.LANCZOS))
    out = np.zeros((SIZE, SIZE), np.uint8)
    top, left = (SIZE - height) // 2, (SIZE - width) // 2
    out[top:top + height, left:left + width] = small
    return out


def pen(rng):
    """A stroke width in pixels of the SIZE frame, about MNIST's (2-3 pixels of 28)."""
    return int(rng.integers(6, 13))


def canvas():
    image = Image.new("L", (SIZE, SIZE))
    return image, ImageDraw.Draw(image)


def shape(rng):
    """A geometric shape, filled or drawn: polygon, star, heart, cross, arrow, grid, ..."""
    image, draw = canvas()
    width, c, r = pen(rng), SIZE / 2, BOX / 2
    kind = rng.choice(["polygon", "star", "heart", "cross", "arrow", "grid", "squares", "disc"])
    filled = rng.random() < 0.4
    if kind == "polygon":      # a triangle, square, pentagon or hexagon
        sides = int(rng.integers(3, 7))
        turn = rng.uniform(0, 2 * np.pi)
        points = [(c + r * np.cos(turn + 2 * np.pi * k / sides),
                   c + r * np.sin(turn + 2 * np.pi * k / sides)) for k in range(sides)]
        polygon(draw, points, filled, width)
    elif kind == "star":
        tips = int(rng.integers(5, 8))
        points = [(c + (r if k % 2 == 0 else r * 0.45) * np.cos(np.pi * k / tips - np.pi / 2),
                   c + (r if k % 2 == 0 else r * 0.45) * np.sin(np.pi * k / tips - np.pi / 2))
                  for k in range(2 * tips)]
        polygon(draw, points, filled, width)
    elif kind == "heart":
        t = np.linspace(0, 2 * np.pi, 60)
        x, y = 16 * np.sin(t) ** 3, 13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t)
        polygon(draw, list(zip(c + x * r / 17, c - y * r / 17)), filled, width)
    elif kind == "cross":      # + or x
        a = rng.choice([0, np.pi / 4])
        for b in (a, a + np.pi / 2):
            draw.line([(c - r * np.cos(b), c - r * np.sin(b)), (c + r * np.cos(b), c + r * np.sin(b))],
                      fill=255, width=width)
    elif kind == "arrow":
        draw.line([(c - r, c), (c + r, c)], fill=255, width=width)
        draw.line([(c + r - r / 2, c - r / 2), (c + r, c), (c + r - r / 2, c + r / 2)], fill=255,
                  width=width, joint="curve")
        image = image.rotate(rng.choice([0, 90, 180, 270]) + rng.uniform(-20, 20))
    elif kind == "grid":       # a hash sign, a noughts-and-crosses board
        lines = int(rng.integers(2, 4))
        for k in range(1, lines + 1):
            at = c - r + 2 * r * k / (lines + 1)
            draw.line([(at, c - r), (at, c + r)], fill=255, width=width)
            draw.line([(c - r, at), (c + r, at)], fill=255, width=width)
    elif kind == "squares":    # squares inside squares
        for k in range(int(rng.integers(2, 4))):
            s = r * (1 - 0.33 * k)
            draw.rectangle([c - s, c - s, c + s, c + s], outline=255, width=width)
    else:                      # a blot
        s = r * rng.uniform(0.5, 1)
        draw.ellipse([c - r, c - s, c + r, c + s], fill=255)
    image = image.rotate(rng.uniform(-15, 15), resample=Image.Resampling.BILINEAR)
    return frame(np.asarray(image)), f"{'filled ' if filled else ''}{kind}"


def polygon(draw, points, filled, width):
    if filled:
        draw.polygon(points, fill=255)
    else:
        draw.line(points + points[:1], fill=255, width=width, joint="curve")


def noise(rng):
    """Noise and texture: static, blotches, dots, stripes, a chessboard."""
    kind = rng.choice(["static", "blotches", "dots", "stripes", "chessboard"])
    yy, xx = np.mgrid[0:BOX, 0:BOX] / BOX
    if kind == "static":
        ink = rng.random((BOX, BOX)) * rng.uniform(0.6, 1)
    elif kind == "blotches":
        field = ndimage.gaussian_filter(rng.normal(size=(BOX, BOX)), rng.uniform(2, 6))
        ink = (field > np.quantile(field, rng.uniform(0.4, 0.7))).astype(np.float32)
    elif kind == "dots":
        ink = (rng.random((BOX, BOX)) < rng.uniform(0.02, 0.08)).astype(np.float32)
        ink = ndimage.maximum_filter(ink, size=int(rng.integers(3, 7)))
    elif kind == "stripes":
        angle, period = rng.uniform(0, np.pi), rng.uniform(8, 20)
        ink = (np.sin(2 * np.pi * (xx * np.cos(angle) + yy * np.sin(angle)) * BOX / period) > 0)
    else:
        cells = int(rng.integers(3, 7))
        ink = ((np.floor(xx * cells) + np.floor(yy * cells)) % 2).astype(np.float32)
    out = np.zeros((SIZE, SIZE), np.uint8)
    pad = (SIZE - BOX) // 2
    out[pad:pad + BOX, pad:pad + BOX] = np.clip(np.asarray(ink, np.float32) * 255, 0, 255)
    return out, kind


def scribble(rng):
    """A tangle: a smooth pen path through 7-14 random points, or a zigzag, or shading."""
    image, draw = canvas()
    kind = rng.choice(["tangle", "tangle", "zigzag", "shading"])
    if kind == "tangle":
        points = rng.uniform(0, SIZE, size=(int(rng.integers(7, 15)), 2))
        draw.line([tuple(p) for p in smooth_path(points)], fill=255, width=pen(rng), joint="curve")
    elif kind == "zigzag":
        teeth = int(rng.integers(5, 10))
        x = np.linspace(0, SIZE, 2 * teeth)
        y = np.where(np.arange(2 * teeth) % 2 == 0, SIZE * 0.3, SIZE * 0.7) + rng.normal(0, 4, 2 * teeth)
        draw.line(list(zip(x, y)), fill=255, width=pen(rng), joint="curve")
        image = image.rotate(rng.uniform(0, 180), resample=Image.Resampling.BILINEAR)
    else:   # back-and-forth strokes, as when colouring something in
        rows = int(rng.integers(6, 12))
        y = np.linspace(0, SIZE, rows)
        x = np.where(np.arange(rows) % 2 == 0, 0, SIZE) + rng.normal(0, 6, rows)
        draw.line(list(zip(x, y)), fill=255, width=pen(rng) + 4, joint="curve")
        image = image.rotate(rng.uniform(0, 180), resample=Image.Resampling.BILINEAR)
    return frame(np.asarray(image)), kind


def smooth_path(points, steps=12):
    """A Catmull-Rom spline through ``points`` (K, 2): a pen moving smoothly from one to the next."""
    p = np.concatenate([points[:1], points, points[-1:]])
    t = np.linspace(0, 1, steps, endpoint=False)[:, None]
    path = []
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        path.append(0.5 * (2 * p1 + (p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t ** 2
                           + (3 * p1 - p0 - 3 * p2 + p3) * t ** 3))
    return np.concatenate(path + [points[-1:]])


def smiley(rng):
    """A face: a round outline (or none), two eyes, a smile, a frown or a straight mouth."""
    image, draw = canvas()
    width, c, r = pen(rng), SIZE / 2, BOX / 2
    squash = rng.uniform(0.85, 1.15)
    if rng.random() < 0.8:
        draw.ellipse([c - r, c - r * squash, c + r, c + r * squash], outline=255, width=width)
    eye_y, eye_x, eye = c - r * rng.uniform(0.25, 0.4), r * rng.uniform(0.3, 0.45), rng.uniform(4, 9)
    for x in (c - eye_x, c + eye_x):
        draw.ellipse([x - eye, eye_y - eye, x + eye, eye_y + eye], fill=255)
    mouth = rng.choice(["smile", "frown", "straight"])
    m = r * rng.uniform(0.35, 0.6)
    if mouth == "smile":
        draw.arc([c - m, c - m * 0.6, c + m, c + m], 20, 160, fill=255, width=width)
    elif mouth == "frown":
        draw.arc([c - m, c + r * 0.3, c + m, c + r * 0.3 + m], 200, 340, fill=255, width=width)
    else:
        draw.line([(c - m, c + r * 0.4), (c + m, c + r * 0.4)], fill=255, width=width)
    image = image.rotate(rng.uniform(-15, 15), resample=Image.Resampling.BILINEAR)
    return frame(np.asarray(image)), mouth
