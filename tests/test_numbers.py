"""glassnet.datasets.numbers: whole numbers composed from digit images."""

import numpy as np
import pytest

from glassnet.datasets import numbers
from glassnet.errors import DataError


def bars(count=10):
    """Stand-in 'digits': digit d is a bright vertical bar d+2 pixels wide, in a 28x28 frame."""
    digits = np.zeros((count, 28, 28), np.uint8)
    for d in range(count):
        digits[d, 4:24, 12:14 + d % 10] = 255
    return digits, np.arange(count) % 10


def test_shapes_labels_and_dark_ink_on_light_paper():
    digits, labels = bars()
    data = numbers.compose(digits, labels, count=5, length=4, seed=0)
    assert data.images.dtype == np.uint8 and data.images.ndim == 3 and len(data) == 5
    assert all(len(text) == 4 and text.isdigit() for text in data.labels)
    assert data.boxes.shape == (5, 4, 4) and data.touching.shape == (5, 3)
    assert [''.join(str(labels[i]) for i in row) for row in data.sources] == data.labels
    # Paper is light: the median pixel; ink is dark: the darkest pixels are far below it.
    assert np.median(data.images) > 180
    assert np.percentile(data.images, 1) < 120


def test_boxes_hold_the_ink_left_to_right_with_the_right_widths():
    digits, labels = bars()
    data = numbers.compose(digits, labels, count=20, length=3, seed=1, touching=0.0)
    for image, text, boxes in zip(data.images, data.labels, data.boxes):
        assert (np.diff(boxes[:, 0]) > 0).all()                 # ordered left to right
        assert (boxes[1:, 0] >= boxes[:-1, 2]).all()            # no touching was asked for
        for digit, (x0, y0, x1, y1) in zip(text, boxes):
            assert image[y0:y1, x0:x1].min() < 120              # ink inside the box
            # A wider bar for a bigger digit: widths grow with the label (scale 0.9-2.0x).
            assert 0.8 * (int(digit) + 2) <= x1 - x0 <= 2.2 * (int(digit) + 2) + 2


def test_touching_gaps_overlap_or_meet():
    digits, labels = bars()
    data = numbers.compose(digits, labels, count=30, length=5, seed=2, touching=1.0, overlap=0.1)
    assert data.touching.all()
    gaps = data.boxes[:, 1:, 0] - data.boxes[:, :-1, 2]
    assert (gaps <= 1).all() and (gaps >= -0.1 * 28 * 2 - 1).all() and (gaps < 0).any()


def test_same_seed_same_images_other_seed_other_images():
    digits, labels = bars()
    a = numbers.compose(digits, labels, count=4, seed=7)
    b = numbers.compose(digits, labels, count=4, seed=7)
    c = numbers.compose(digits, labels, count=4, seed=8)
    assert np.array_equal(a.images, b.images) and a.labels == b.labels
    assert a.images.shape != c.images.shape or not np.array_equal(a.images, c.images)


def test_scale_digits_keeps_a_centred_square_centred():
    square = np.zeros((1, 28, 28), np.float32)
    square[0, 10:18, 10:18] = 1
    big = numbers.scale_digits(square, np.array([2.0]), 56)[0]
    rows, cols = np.nonzero(big > 0.5)
    assert rows.min() in (19, 20) and rows.max() in (35, 36) and cols.min() in (19, 20)
    assert abs(big.sum() - 4 * 64) < 8                      # area grows by the scale squared


@pytest.mark.parametrize("kwargs, message", [
    (dict(count=0), "count"), (dict(count=2, length=0), "length"),
    (dict(count=2, touching=1.5), "touching"), (dict(count=2, overlap=-0.1), "overlap"),
])
def test_bad_arguments_say_what_they_got(kwargs, message):
    digits, labels = bars()
    with pytest.raises(ValueError, match=message):
        numbers.compose(digits, labels, **kwargs)


def test_bad_digit_arrays_are_a_data_error():
    with pytest.raises(DataError, match="shape"):
        numbers.compose(np.zeros((3, 20, 20)), np.zeros(3), count=1)


def test_real_mnist_test_digits(shared_data):
    data = numbers.make_numbers(50, length=7, seed=0, path=shared_data / "mnist")
    assert len(data) == 50 and all(len(text) == 7 for text in data.labels)
    assert data.images.shape[0] == 50 and data.images.shape[1] < 120


# -- the training style: lengths, slant, pen, no paper, training digits --------------------


def test_lengths_between_fewest_and_most_and_unused_rows_marked():
    digits, labels = bars()
    data = numbers.compose(digits, labels, count=60, length=(1, 4), seed=3)
    lengths = [len(text) for text in data.labels]
    assert min(lengths) == 1 and max(lengths) == 4 and data.boxes.shape == (60, 4, 4)
    for text, boxes, sources, touching in zip(data.labels, data.boxes, data.sources, data.touching):
        assert (boxes[len(text):] == -1).all() and (sources[len(text):] == -1).all()
        assert (sources[:len(text)] >= 0).all() and not touching[len(text) - 1:].any()
        assert (boxes[:len(text), 2] > boxes[:len(text), 0]).all()
    # The ink ends with the last digit: nothing is drawn past its box.
    for image, text, boxes in zip(data.images, data.labels, data.boxes):
        assert image[:, boxes[len(text) - 1, 2] + 1:].min() > 120


def test_defaults_are_unchanged_by_the_new_options():
    """The benchmark's numbers: the same seed gives the same pixels as before the options
    existed (the new draws come from a second random stream)."""
    digits, labels = bars()
    a = numbers.compose(digits, labels, count=6, length=5, seed=4)
    b = numbers.compose(digits, labels, count=6, length=(5, 5), seed=4, slant=0.0, stroke=0.0)
    assert np.array_equal(a.images, b.images) and a.labels == b.labels
    styled = numbers.compose(digits, labels, count=6, length=5, seed=4, slant=0.3, stroke=0.5)
    assert styled.labels == a.labels and not np.array_equal(styled.images, a.images)


def test_shear_leans_the_top_right():
    bar = np.zeros((1, 9, 9), np.float32)
    bar[0, :, 4] = 1
    leaning = numbers.shear(bar, np.array([1.0]))[0]
    assert leaning[0].argmax() == 8 and leaning[4].argmax() == 4 and leaning[8].argmax() == 0
    half = numbers.shear(bar, np.array([0.5]))[0]
    np.testing.assert_allclose(half[1, 5:7], [0.5, 0.5])   # 1.5 pixels: split between two
    np.testing.assert_allclose(numbers.shear(bar, np.array([0.0])), bar)


def test_pen_makes_strokes_bolder_or_thinner():
    digits, _ = bars(1)
    ink = digits[:1] / np.float32(255)
    soft = ink * 0.6
    bold = numbers.pen(ink, np.array([1.0]))
    thin = numbers.pen(soft, np.array([-1.0]))
    assert (bold > 0.5).sum() > (ink > 0.5).sum()
    assert thin.sum() < soft.sum() and (thin[soft > 0] > 0).all()


def test_without_paper_the_images_are_ink(shared_data):
    data = numbers.make_numbers(5, length=(1, 10), seed=0, path=shared_data / "mnist", split="train",
                                paper=False, **numbers.TRAINING)
    assert data.images.dtype == np.float32 and data.images.max() <= 1 and np.median(data.images) == 0
    with pytest.raises(ValueError, match="split"):
        numbers.make_numbers(5, split="validation", path=shared_data / "mnist")


def test_training_numbers_come_from_training_digits(shared_data):
    from glassnet.datasets import mnist

    (x_train, _), (x_test, _) = mnist.load_data(shared_data / "mnist")
    train = numbers.make_numbers(20, length=3, seed=0, path=shared_data / "mnist", split="train")
    test = numbers.make_numbers(20, length=3, seed=0, path=shared_data / "mnist")
    assert train.sources.max() >= len(x_test)      # indices only the training set has
    assert test.sources.max() < len(x_test)


@pytest.mark.parametrize("kwargs, message", [
    (dict(length=(3, 2)), "length"), (dict(length=(0, 2)), "length"), (dict(slant=2), "slant"),
    (dict(stroke=-1), "stroke"), (dict(scale=(0.1, 1)), "scale"),
])
def test_bad_style_arguments(kwargs, message):
    digits, labels = bars()
    with pytest.raises(ValueError, match=message):
        numbers.compose(digits, labels, count=2, **kwargs)
