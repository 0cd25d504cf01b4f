"""glassnet.read_number: cutting a picture of a number into digits and reading them.

The pictures are drawn here, stroke by stroke, so the right answer is known by
construction. The classifier is a nearest-template stand-in: it knows the glyphs drawn
below (rendered the way the reader renders digits) and is unsure about anything else,
as a good classifier should be. That keeps these tests about segmentation, and fast.
"""

import numpy as np
import pytest

import glassnet
from glassnet.errors import ImageError
from glassnet.workbench import reader, segment
from glassnet.workbench.preprocess import BlankImageError, fit_and_center

HEIGHT, STROKE = 36, 4


def ring(height, width, thickness=STROKE):
    """An upright ellipse outline, ``thickness`` pixels wide."""
    y, x = np.indices((height, width)) + 0.5
    cy, cx, ry, rx = height / 2, width / 2, height / 2, width / 2
    outer = ((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2 <= 1
    inner = ((y - cy) / (ry - thickness)) ** 2 + ((x - cx) / (rx - thickness)) ** 2 <= 1
    return outer & ~inner


def line(mask, y0, x0, y1, x1, thickness=STROKE):
    """Draw a thick straight stroke from (y0, x0) to (y1, x1) into ``mask``."""
    y, x = np.indices(mask.shape) + 0.5
    dy, dx = y1 - y0, x1 - x0
    t = np.clip(((y - y0) * dy + (x - x0) * dx) / (dy * dy + dx * dx), 0, 1)
    mask |= (y - y0 - t * dy) ** 2 + (x - x0 - t * dx) ** 2 <= (thickness / 2) ** 2
    return mask


def glyph(digit):
    """A bool ``(HEIGHT, width)`` drawing of ``digit`` ("1", "0", "7" or "5")."""
    if digit == "1":
        return np.ones((HEIGHT, STROKE), bool)
    if digit == "0":
        return ring(HEIGHT, 24)
    mask = np.zeros((HEIGHT, 24), bool)
    if digit == "7":
        line(mask, 2, 1, 2, 23)
        return line(mask, 2, 22, 35, 9)
    if digit == "5":   # the top bar floats 4 pixels above the rest: a separate component
        line(mask, 2, 7, 2, 22)
        line(mask, 8, 3, 18, 3)                               # the stem ...
        line(mask, 18, 3, 16, 12)                             # ... leads into the bowl
        bowl = ring(21, 22)
        bowl &= (np.arange(22)[None, :] >= 10) | (np.arange(21)[:, None] >= 13)   # open on the left
        mask[15:36, 1:23] |= bowl
        return mask
    raise ValueError(digit)


def write(text, gaps=None, height=64, specks=()):
    """Dark ink on white paper: ``text`` drawn with these gaps (pixels) between glyphs."""
    glyphs = [glyph(d) for d in text]
    gaps = [10] * (len(text) - 1) if gaps is None else gaps
    width = 16 + sum(g.shape[1] for g in glyphs) + sum(gaps)
    ink = np.zeros((height, width), bool)
    x = 8
    for i, g in enumerate(glyphs):
        ink[14:14 + HEIGHT, x:x + g.shape[1]] |= g
        x += g.shape[1] + (gaps[i] if i < len(gaps) else 0)
    for y, x in specks:
        ink[y:y + 2, x:x + 2] = True
    return np.where(ink, 20, 235).astype(np.uint8)


class Templates:
    """A stand-in classifier: nearest template, unsure about what matches none.

    Each class's score is ``exp(-d / T)`` for the mean squared distance ``d`` to its
    template; a "none of these" score ``exp(-D / T)`` is spread evenly over all classes.
    """

    input_shape = (None, 28, 28)
    output_shape = (None, 10)
    inputs = outputs = [None]
    built = True
    settings = {}

    def __init__(self, digits="0157", temperature=0.01, reject=0.05):
        self.templates = {int(d): fit_and_center(glyph(d).astype(np.float32), glyph(d)) for d in digits}
        self.temperature, self.reject = temperature, reject
        self.calls = 0

    def final_activation(self):
        from glassnet.engine.layers import Softmax
        return Softmax()

    def predict(self, x, verbose=0):
        self.calls += 1
        x = np.asarray(x).reshape(len(x), 28, 28)
        scores = np.zeros((len(x), 10))
        for digit, template in self.templates.items():
            scores[:, digit] = np.exp(-((x - template) ** 2).mean(axis=(1, 2)) / self.temperature)
        scores += np.exp(-self.reject / self.temperature) / 10
        return scores / scores.sum(axis=1, keepdims=True)


@pytest.fixture(scope="module")
def model():
    return Templates()


def test_clean_gaps_read_exactly(model):
    reading = glassnet.read_number(model, write("1075"))
    assert reading.text == "1075"
    assert reading.digits == [1, 0, 7, 5]
    assert len(reading.boxes) == len(reading.confidences) == 4
    assert all(p > 0.9 for p in reading.confidences)
    assert reading.confidence == pytest.approx(np.prod(reading.confidences))
    assert reading.images.shape == (4, 28, 28) and reading.probabilities.shape == (4, 10)
    # Boxes: ordered left to right, each around its glyph (drawn from row 14, 36 tall).
    x0s = [box[0] for box in reading.boxes]
    assert x0s == sorted(x0s) and x0s[0] == 8
    assert all(box[1] == 14 and box[3] == 50 for box in reading.boxes if box != reading.boxes[3])


def test_all_candidates_are_classified_in_one_batch():
    model = Templates()
    glassnet.read_number(model, write("1075"))
    assert model.calls == 1


def test_a_detached_top_bar_joins_its_five():
    image = write("51")
    # Two components for the 5 (bar and body) and one for the 1: three pieces of ink.
    found = segment.segment(*_ink(image))
    assert len({atom.component for atom in found.atoms}) == 3
    reading = glassnet.read_number(Templates(), image)
    assert reading.text == "51"
    x0, y0, x1, y1 = reading.boxes[0]
    assert (y0, y1) == (14, 50)          # the 5's box reaches up to its bar


def test_two_touching_digits_are_split():
    image = write("107", gaps=[-1, 10])  # the 1 touches the 0
    found = segment.segment(*_ink(image))
    assert len({atom.component for atom in found.atoms}) == 2
    reading = glassnet.read_number(Templates(), image)
    assert reading.text == "107"


def test_noise_specks_are_ignored(model):
    specks = [(3, 5), (58, 30), (5, 70), (60, 90)]
    clean, noisy = write("1075"), write("1075", specks=specks)
    assert glassnet.read_number(model, noisy).text == "1075"
    assert glassnet.read_number(model, noisy).boxes == glassnet.read_number(model, clean).boxes


def test_light_ink_on_dark_reads_the_same(model):
    assert glassnet.read_number(model, 255 - write("701")).text == "701"


def test_a_blank_image_says_so(model):
    with pytest.raises(BlankImageError, match="blank"):
        glassnet.read_number(model, np.full((60, 200), 240, np.uint8))


def test_more_than_50_marks_is_refused_quickly(model):
    image = np.full((64, 60 * 20), 235, np.uint8)
    for i in range(60):                       # 60 separate "1"s
        image[14:50, 10 + 20 * i:14 + 20 * i] = 20
    with pytest.raises(ImageError, match="more than 50"):
        glassnet.read_number(model, image)


def test_20000_pixels_wide_is_refused(model):
    image = np.full((10, 20_000), 235, np.uint8)
    with pytest.raises(ImageError, match="20,000"):
        glassnet.read_number(model, image)


def test_image_errors_name_the_file(model, tmp_path):
    bad = tmp_path / "not-an-image.png"
    bad.write_bytes(b"hello")
    with pytest.raises(ImageError, match="not-an-image.png"):
        glassnet.read_number(model, bad)


def test_a_model_that_does_not_read_digits_is_refused():
    from glassnet.errors import ShapeError
    from glassnet.engine.layers import Dense, Flatten
    from glassnet.engine.model import Sequential

    wrong = Sequential([Flatten(input_shape=(8, 8)), Dense(10, activation="softmax")], seed=0)
    wrong.build()
    with pytest.raises(ShapeError, match="28x28"):
        glassnet.read_number(wrong, write("10"))


def test_to_dict_is_json_friendly(model):
    import json

    data = glassnet.read_number(model, write("70")).to_dict()
    assert json.loads(json.dumps(data))["text"] == "70"
    assert [d["digit"] for d in data["digits"]] == [7, 0]


def test_best_path_covers_every_atom_once():
    runs = [(0, 1), (1, 2), (0, 2), (2, 3)]
    assert reader.best_path(3, runs, np.array([-1.0, -1.0, -0.5, -0.1])) == [2, 3]
    assert reader.best_path(3, runs, np.array([-0.1, -0.1, -0.5, -0.1])) == [0, 1, 3]


def test_projection_minima_are_clear_dips_away_from_the_ends():
    profile = np.array([0, 9, 9, 2, 9, 9, 9, 9, 1, 9, 9, 0], float)
    assert segment.projection_minima(profile, margin=2) == [3, 8]
    assert segment.projection_minima(profile, margin=4) == []               # too near the ends
    close = np.array([0, 9, 9, 2, 9, 1, 9, 9, 9, 9, 9, 0], float)
    assert segment.projection_minima(close, margin=3) == [5]                # the deeper of two
    assert segment.projection_minima(np.full(12, 5.0), margin=2) == []     # a bar: no dip
    assert segment.projection_minima(profile[:4], margin=2) == []           # too narrow


def test_digit_size_is_not_set_by_touching_pairs():
    # Three lone digits 20 tall (one a wide 2, 22 across), and two touching pairs 40
    # wide that hold most of the ink: the ruler is a digit's size, not a pair's.
    widths, heights = np.array([12, 22, 10, 40, 40]), np.array([20, 20, 20, 20, 21])
    areas = np.array([100, 200, 90, 400, 400])
    assert segment.digit_size(widths, heights, areas) == pytest.approx(23)     # 1.15 x 20
    assert segment.digit_size(widths[:3], heights[:3], areas[:3]) == 22        # the 2's width counts
    # A lone wide digit's own height, never less: a 1 is 20 tall, 4 wide.
    assert segment.digit_size(np.array([4]), np.array([20]), np.array([60])) == 20


def test_a_piece_shorter_than_the_number_s_digits_is_doubted_in_proportion():
    def doubt(height):   # one whole component, 8 wide, ``height`` tall; digits are 20
        atom = segment.Atom(1, 1, 0, 0, 8, height)
        return -reader.prior(segment.Segments(None, None, [atom], 20.0), 0, 1)

    assert doubt(20) == doubt(16) == 0                                # 0.8 x 20 and up: none
    assert doubt(12) == pytest.approx(reader.FULL_COST * (0.8 - 0.6))  # in proportion ...
    assert doubt(8) == pytest.approx(reader.FULL_COST * 0.4 + reader.SHORT_COST)  # ... and a fragment


def test_each_digit_keeps_the_faint_ink_at_the_ends_of_its_strokes():
    # Two bars 20 tall, 6 apart. The left one runs on faintly (ink 0.4, under the mask's
    # 0.5 but above MNIST's 0.25) for 3 rows below, and faint ink (0.3) bridges the gap.
    # Digits are 20 tall, so an atom reaches ceil(0.15 x 20) = 3 pixels.
    ink = np.zeros((40, 30), np.float32)
    ink[10:30, 5:9] = ink[10:30, 15:19] = 1.0
    ink[30:33, 5:9] = 0.4
    ink[20:22, 9:15] = 0.3
    ink[2, 25] = 0.4                                  # faint and alone: nobody's
    found = segment.segment(ink, ink > 0.5)
    left, right = (atom.label for atom in found.atoms)
    assert (found.atoms[0].y0, found.atoms[0].y1) == (10, 30)      # boxes are the strokes'
    assert found.reach == 3
    assert (found.labels[30:33, 5:9] == left).all()               # the tail goes with its bar
    assert (found.labels[20:22, 9:12] == left).all() and (found.labels[20:22, 12:15] == right).all()
    assert found.labels[2, 25] == 0
    # The picture the classifier sees has the tail: the bar and its tail (23 rows) are
    # what is scaled to 20 rows, so the tail's 3 rows of faint ink are at the bottom.
    piece = reader.render(found, found.atoms[:1])
    rows = np.flatnonzero((piece > 0.25).any(axis=1))
    assert rows[-1] - rows[0] + 1 == 20
    assert piece[rows[-1]].max() < 0.6 < piece[rows[0] + 10].max()


def test_a_cut_path_follows_the_gap_between_strokes():
    weight = np.ones((5, 7))
    gap = [3, 3, 2, 2, 3]                  # a winding gap with no ink
    weight[np.arange(5), gap] = 0
    path = segment.cut_path(weight, start=3, lo=1, hi=6)
    assert path.tolist() == gap


def _ink(image):
    from glassnet.workbench.images import load_gray
    from glassnet.workbench.preprocess import ink_image, ink_mask

    ink = ink_image(load_gray(image))
    return ink, ink_mask(ink, min_part=0)


@pytest.mark.slow
def test_real_numbers_with_a_quickly_trained_mlp(shared_data):
    """End to end on real digits: composed 7-digit numbers, a classic MLP trained 3 epochs."""
    from glassnet.datasets import mnist, numbers
    from glassnet.workbench.zoo import classic_mlp

    (x_train, y_train), (x_test, y_test) = mnist.load_data(shared_data / "mnist")
    model = classic_mlp(seed=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train / 255.0, y_train, epochs=3, batch_size=64, verbose=0)
    data = numbers.compose(x_test, y_test, 100, length=7, seed=5)
    texts = [glassnet.read_number(model, image).text for image in data.images]
    whole = np.mean([t == label for t, label in zip(texts, data.labels)])
    wrong_count = np.mean([len(t) != 7 for t in texts])
    assert whole >= 0.6 and wrong_count <= 0.08, (whole, wrong_count)


def test_a_page_on_a_dark_desk_reads_as_the_page_alone(model):
    # The desk shows all round the photographed page: ink_mask's frame rule drops it,
    # here as in to_mnist (it was read as digits when every piece of ink was kept).
    page = np.pad(np.pad(write("1075"), 60, constant_values=235), 30, constant_values=90)
    assert glassnet.read_number(model, page).text == "1075"


def test_a_box_around_the_whole_number_is_no_digit(model):
    # A form's field: the box holds four digits, more than a box around one digit may
    # (boxed=2, so that a smiley keeps its face); reading numbers asks for any number.
    page = np.pad(write("1075"), 12, constant_values=235)
    page[4:7, 4:-4] = page[-7:-4, 4:-4] = page[4:-4, 4:7] = page[4:-4, -7:-4] = 60
    assert glassnet.read_number(model, page).text == "1075"


def test_a_stray_dot_under_a_digit_is_left_out(model):
    # A pen dot well below a digit overlaps it in x: joined to it, the digit would be
    # drawn taller, shrunk, and misread; and between the slices of the 0 (in the order of
    # their centres) it was joined to one of them. The dot is left out wherever it lies.
    for text, x, digit in [("1075", 31, 1), ("1075", 72, 2), ("7051", 30, 0)]:
        image = write(text, height=96)
        image[62:71, x:x + 9] = 20
        reading = glassnet.read_number(model, image)
        assert reading.text == text
        assert reading.boxes[digit][3] == 50          # the digit's box ends where it does


def test_an_underline_is_left_out_not_read_as_a_digit(model):
    # A flat line wider than a digit is no digit: it came out as a 1, "10175". (A 5's bar
    # drawn apart is flat too, but narrower than a digit: benchmarks/read_numbers.py, whose
    # numbers hold MNIST digits in pieces, reads as before.)
    for gap in (4, 14):
        image = write("1075", height=96)
        image[50 + gap:53 + gap, 6:-6] = 20
        assert glassnet.read_number(model, image).text == "1075"


def test_two_lines_of_writing_are_refused_not_read_as_one_number(model):
    # Read as one row of atoms, the two numbers' digits came out interleaved.
    two = np.vstack([write("1075"), write("5701")])
    with pytest.raises(ImageError, match="2 lines of writing"):
        glassnet.read_number(model, two)
    tall = write("1075", height=120)          # one line with paper above and below: read
    assert glassnet.read_number(model, tall).text == "1075"


def test_reading_as_glassnet_read_does_takes_model_files_too(model_file, line_file):
    from glassnet.workbench.reader import read_leaving_out_nondigits
    reading, left_out = read_leaving_out_nondigits(model_file, write("1075"))
    assert reading.text == "1075" and left_out == []
    reading, left_out = read_leaving_out_nondigits(line_file, write("1075"), digit_model=model_file)
    assert left_out == [] and reading.text.isdigit()
