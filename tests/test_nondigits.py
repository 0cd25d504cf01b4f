"""The generated non-digits and the made-up photographs the not-a-digit detector is tuned on."""

import io

import numpy as np
import pytest
from PIL import Image

from glassnet.datasets import nondigits
from glassnet.datasets.nondigits import KINDS, make_nondigits
from glassnet.datasets.photos import photograph, photographed_mnist
from glassnet.workbench.preprocess import to_mnist


def test_every_kind_in_turn_with_ink_on_black():
    made = make_nondigits(2 * len(KINDS), seed=0)
    assert made.images.shape == (14, nondigits.SIZE, nondigits.SIZE) and made.images.dtype == np.uint8
    assert made.kinds == list(KINDS) * 2
    assert all(name.startswith(kind + " ") for name, kind in zip(made.names, made.kinds))
    for image in made.images:
        assert image.max() > 200                           # there is ink ...
        assert (image > 128).mean() < 0.9                  # ... on a dark frame
        assert image[0].max() == 0 and image[:, 0].max() == 0   # with a blank margin, as in MNIST


def test_same_seed_same_pictures_other_seed_others():
    a, b = make_nondigits(14, seed=3), make_nondigits(14, seed=3)
    assert np.array_equal(a.images, b.images) and a.names == b.names
    assert not np.array_equal(a.images, make_nondigits(14, seed=4).images)


def test_no_digit_lookalikes_among_letters_and_symbols():
    for lookalike in "OoQDIlijJZzSsBbGgq0123456789":
        assert lookalike not in nondigits.LETTERS
    for lookalike in "|/\\()[]!.,:;0123456789":
        assert lookalike not in nondigits.SYMBOLS


def test_calibration_and_benchmark_fonts_are_disjoint():
    calibration, benchmark = nondigits.font_files("calibration"), nondigits.font_files("benchmark")
    if not calibration or not benchmark:
        pytest.skip("the DejaVu and Liberation fonts are not installed")
    assert not set(calibration) & set(benchmark)
    made = make_nondigits(7, seed=0, fonts="benchmark", kinds=("letter",))
    assert all(font.startswith("Liberation") for font in made.fonts)


def test_without_font_files_pillows_own_font_draws_the_text():
    made = make_nondigits(3, seed=0, fonts=[], kinds=("letter", "word", "symbol"))
    assert made.fonts == ["Pillow's built-in font"]
    assert all(image.max() > 200 for image in made.images)


def test_bad_arguments_are_one_line_errors():
    with pytest.raises(ValueError, match="unknown kind"):
        make_nondigits(3, kinds=("letter", "spaceship"))
    with pytest.raises(ValueError, match="fonts must be"):
        make_nondigits(3, fonts="comic")


def test_a_photograph_is_dark_ink_on_light_paper_and_reads_back():
    ink = np.zeros((28, 28), np.uint8)
    ink[6:22, 12:16] = 255                                   # a plain "1"
    rng = np.random.default_rng(0)
    data = photograph(ink, rng)
    picture = np.asarray(Image.open(io.BytesIO(data)).convert("L"), np.float32)
    assert min(picture.shape) >= 2 * 28                      # bigger than MNIST
    assert np.median(picture) > 128                          # light paper
    assert picture.min() < np.median(picture) - 60           # darker ink
    digit = to_mnist(data)
    assert digit.shape == (28, 28) and digit.max() > 0.9
    assert photograph(ink, np.random.default_rng(0)) == data   # same state, same photo


def test_photographed_mnist_marks_what_to_mnist_finds_blank():
    pictures = np.zeros((2, 40, 40), np.uint8)
    pictures[0, 10:30, 18:22] = 255
    images, readable = photographed_mnist(pictures, np.random.default_rng(1))
    assert images.shape == (2, 28, 28) and images.dtype == np.float32
    assert readable.tolist() == [True, False]
    assert images[1].max() == 0
