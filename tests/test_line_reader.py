"""The line reader: strips, labels, CTC decoding and alignment, reading, saving, bad input.

These tests use an untrained (or hand-set) network: they are about the plumbing, which
must be right whatever the weights. ``test_a_short_training_learns_to_read`` (slow)
trains one for real.
"""

import numpy as np
import pytest

import glassnet
from glassnet.errors import DataError, ImageError
from glassnet.workbench import line_reader as lr
from glassnet.workbench.preprocess import BlankImageError


@pytest.fixture(scope="module")
def model():
    model = lr.line_model(width=64, seed=0)
    model.build()
    return model


def paper_with_bar(height=200, width=300, box=(50, 40, 170, 100)):
    """White paper with one black rectangle of ink."""
    picture = np.full((height, width), 255, np.uint8)
    x0, y0, x1, y1 = box
    picture[y0:y1, x0:x1] = 0
    return picture


def test_strip_puts_the_ink_in_the_band_and_keeps_its_shape():
    ink = np.zeros((200, 300), np.float32)
    ink[40:100, 50:170] = 1                        # 60 high, 120 wide
    strip, scale = lr.to_strip(ink, lr.ink_band(ink > 0.5))
    assert scale == pytest.approx(lr.BAND / 60)
    rows = np.flatnonzero(strip.max(axis=1) > 0.5)
    cols = np.flatnonzero(strip.max(axis=0) > 0.5)
    margin = (lr.HEIGHT - lr.BAND) // 2
    assert strip.shape[0] == lr.HEIGHT and rows[0] == margin and rows[-1] == lr.HEIGHT - margin - 1
    assert cols[-1] - cols[0] + 1 == pytest.approx(120 * scale, abs=1)    # aspect ratio kept
    assert cols[0] == pytest.approx(margin, abs=1)                       # left-aligned, same margin


def test_lean_slants_the_strip_about_its_middle_row_and_cuts_no_ink():
    strip = np.zeros((lr.HEIGHT, 40), np.float32)
    strip[4:28, 20] = 1                              # an upright bar
    leaning = lr.lean(strip, 0.25)
    pad = (leaning.shape[1] - 40) // 2
    assert pad >= 0.25 * lr.HEIGHT / 2 and leaning.dtype == np.float32
    centre = [np.average(np.arange(leaning.shape[1]), weights=leaning[r]) - pad for r in (6, 16, 26)]
    # Rows above the middle (15.5) move right, rows below move left: 0.25 columns per row.
    np.testing.assert_allclose(centre, [20 + 0.25 * 9.5, 20 - 0.25 * 0.5, 20 - 0.25 * 10.5], atol=0.05)
    assert leaning.sum() == pytest.approx(strip.sum(), rel=0.02)
    assert lr.lean(strip, 0.0) is strip


def test_picture_strips_gives_one_strip_per_view_and_the_first_view_places_the_box():
    views = [(lr.BAND, 1.0), (lr.BAND - 3, 1.0, 0.0), (lr.BAND, 1.0, 0.3)]
    strips, box, scale = lr.picture_strips(paper_with_bar(), views=views)
    plain, _, plain_scale = lr.picture_strip(paper_with_bar())
    np.testing.assert_array_equal(strips[0], plain)
    assert scale == plain_scale and len(strips) == 3
    assert strips[1].shape[1] < plain.shape[1] < strips[2].shape[1]    # smaller; slanted, with room


def test_picture_strip_finds_the_number_on_paper():
    strip, box, scale = lr.picture_strip(paper_with_bar())
    assert box == (50, 40, 170, 100) and strip.max() == pytest.approx(1, abs=0.01)


@pytest.mark.parametrize("picture, error, words", [
    (np.full((60, 120), 240, np.uint8), BlankImageError, "blank"),
    (np.full((40, 20_000), 240, np.uint8), ImageError, "20,000 pixels wide"),
    (np.zeros((0, 0), np.uint8), ImageError, "image"),
    (np.random.default_rng(0).integers(0, 256, (300, 300)).astype(np.uint8), ImageError, "separate marks"),
], ids=["empty picture", "20,000 pixels wide", "no pixels", "noise (read as a 0 before)"])
def test_bad_pictures_get_one_clear_error(model, picture, error, words):
    with pytest.raises(error, match=words):
        glassnet.read_number(model, picture)


def test_a_big_photo_is_shrunk_first_and_the_box_is_in_its_own_pixels():
    strip, box, scale = lr.picture_strip(paper_with_bar(2000, 3000, (500, 400, 1700, 1000)))
    assert box == pytest.approx((500, 400, 1700, 1000), abs=5)
    assert scale == pytest.approx(lr.BAND / 600, rel=0.02) and strip.shape[0] == lr.HEIGHT


def test_two_lines_of_writing_are_refused_and_a_box_around_the_number_is_no_ink():
    """Read as one strip, two numbers one above the other came out as one short nonsense
    number; a blot or an underline is no second line, and both are left out of the strip
    (they made the ink box taller, the number smaller in it, and an underline was read as
    digits). A box drawn
    around the whole number (a form's field) is left out too: its sides were read as 1s."""
    two = paper_with_bar(200, 300, (50, 20, 250, 80))
    two[120:180, 50:250] = 0
    with pytest.raises(ImageError, match="2 lines of writing"):
        lr.picture_strip(two)
    underlined = paper_with_bar(200, 300, (50, 40, 250, 100))
    underlined[110:114, 50:250] = 0                              # an underline
    underlined[150:175, 130:170] = 0                             # and a blot well below it
    assert lr.picture_strip(underlined)[1][3] == 100             # one line; both are left out
    five = paper_with_bar(200, 300, (50, 60, 250, 120))
    five[43:55, 60:120] = 0                                      # a detached bar close above: kept
    assert lr.picture_strip(five)[1][1] == 43
    boxed = paper_with_bar(200, 300, (60, 60, 240, 120))
    for gap in range(8, 210, 40):                                # five "digits" in a box
        boxed[60:120, 60 + gap:60 + gap + 10] = 255
    boxed[20:24, 20:280] = boxed[156:160, 20:280] = 40           # the box
    boxed[20:160, 20:24] = boxed[20:160, 276:280] = 40
    assert lr.picture_strip(boxed)[1] == pytest.approx((60, 60, 240, 120), abs=2)


def test_a_shadow_across_the_number_is_no_ink():
    """The phone's shadow over half the page, its edge slanting through the number: the
    strip is cut from the number's own rows (the edge was read as ink, 0% of such photos
    read whole)."""
    page = paper_with_bar(300, 400, (80, 120, 320, 170)).astype(np.float32) * 0.9
    rows, cols = np.mgrid[0:300, 0:400]
    page[cols + 0.3 * rows > 230] *= 0.5
    assert lr.picture_strip(page.astype(np.uint8))[1] == pytest.approx((80, 120, 320, 170), abs=3)


def test_a_line_of_ink_too_long_for_a_number_is_refused():
    with pytest.raises(ImageError, match="not one line"):
        lr.picture_strip(paper_with_bar(60, 8000, (10, 20, 7990, 40)))


def test_labels_become_padded_class_indices_and_non_digits_are_refused():
    np.testing.assert_array_equal(lr.encode_labels(["407", "12"]), [[4, 0, 7], [1, 2, -1]])
    assert lr.encode_labels(["5"], length=3).tolist() == [[5, -1, -1]]
    with pytest.raises(DataError, match=r"label 1 \('1a2'\) has 'a', not a digit"):
        lr.encode_labels(["12", "1a2"])
    with pytest.raises(DataError, match="empty"):
        lr.encode_labels([""])
    with pytest.raises(DataError, match="longer than 2"):
        lr.encode_labels(["123"], length=2)


def path_logits(path, confidence=8.0):
    """Logits whose best path is ``path`` (a list of classes, 10 = blank)."""
    return np.eye(lr.CLASSES)[path] * confidence


def test_decode_reads_the_text_and_where_each_digit_is():
    b = lr.BLANK
    logits = path_logits([b, 2, 2, b, 4, b, b, 4, 4, b, 7, b])
    digits, score, probs, steps = lr.decode(logits)
    assert digits == [2, 4, 4, 7] and steps == [[1, 2], [4], [7, 8], [10]]
    assert score < 0 and probs.shape == (12, 11)
    np.testing.assert_allclose(probs.sum(axis=1), 1)


def test_a_second_opinion_decides_between_close_candidates():
    b = lr.BLANK
    logits = path_logits([b, 3, b, 8, b], confidence=3.0)
    logits[3, 9] = 2.9                     # the second digit: 8, or very nearly 9
    assert lr.decode(logits)[0] == [3, 8]

    class Segmenter:                       # a Reading's probabilities: sure it is 39
        probabilities = np.array([[0.0] * 3 + [1.0] + [0.0] * 6, [0.0] * 9 + [1.0]])
        digits = [3, 9]

    opinion = lr.segmenter_opinion(Segmenter())
    assert opinion([3, 9]) > opinion([3, 8]) and opinion([3, 9]) > opinion([3, 9, 1])
    assert lr.decode(logits, opinion=opinion, extra=[Segmenter.digits])[0] == [3, 9]
    # A strong line reader is not overruled by a small doubt.
    logits[3, 9] = -5.0
    assert lr.decode(logits, opinion=opinion, extra=[Segmenter.digits])[0] == [3, 8]


def test_the_line_reader_is_sure_when_its_best_text_is_far_likelier_than_the_next():
    assert lr.is_sure([-1.0, -1.0 - lr.SURE - 0.1]) and lr.is_sure([-1.0 - lr.SURE, -1.0])
    assert not lr.is_sure([-1.0, -1.0 - lr.SURE + 0.1]) and not lr.is_sure([-3.0, -2.0, -2.5])
    assert lr.is_sure([-7.0])                     # one candidate: nothing to weigh it against
    assert lr.margin([-3.0, -2.0, -2.5]) == 0.5 and lr.margin([-7.0]) == np.inf


@pytest.mark.parametrize("sure, asked", [(0.0, 0), (np.inf, 1)])
def test_the_segmenter_is_asked_only_when_the_line_reader_is_unsure(model, tiny_digit_model, monkeypatch,
                                                                    sure, asked):
    from glassnet.engine.saving import load_model
    from glassnet.workbench import reader

    calls = []
    segmenter = reader.read_number
    monkeypatch.setattr(reader, "read_number", lambda *a, **k: calls.append(1) or segmenter(*a, **k))
    monkeypatch.setattr(lr, "SURE", sure)
    digits = load_model(tiny_digit_model, compile=False)
    reading = lr.read_line(model, paper_with_bar(), digit_model=digits)
    assert len(calls) == asked and reading.text == "".join(map(str, reading.digits))


def test_views_vote_by_their_average_log_probability():
    b = lr.BLANK
    sure = path_logits([b, 3, b, 8, b], confidence=3.0)
    unsure = sure.copy()
    unsure[3, 9] = 3.5                    # this view would read 39 ...
    assert lr.decode(unsure)[0] == [3, 9]
    assert lr.decode([sure, unsure, sure])[0] == [3, 8]    # ... the other two outvote it


def test_views_of_one_width_are_scored_in_one_batch_and_views_of_other_widths_too():
    rng = np.random.default_rng(1)
    views = [lr.log_softmax(rng.standard_normal((6, lr.CLASSES))) for _ in range(3)]
    texts = [[1], [2, 2], [3, 1, 4], [], [1, 1, 1, 1]]
    each = np.array([lr.text_log_likelihoods(view, texts) for view in views])
    np.testing.assert_allclose(lr.text_log_likelihoods(np.stack(views), texts), each)
    assert np.isneginf(each[:, 4]).all()          # 1 1 1 1 needs 7 steps, there are 6
    # decode's candidates: the first view's beam, scored on average over all the views.
    found, scores, _ = lr.candidates(views, extra=[[1]])
    beam = [text for text, _ in lr.ctc_beam_decode(views[0][None], blank=lr.BLANK)[0]]
    assert found[:len(beam)] == beam and scores[found.index([1])] == pytest.approx(each[:, 0].mean())
    mixed = views[:2] + [lr.log_softmax(rng.standard_normal((9, lr.CLASSES)))]   # a wider strip
    found, scores, _ = lr.candidates(mixed, extra=[[2, 2]])
    expected = np.mean([lr.text_log_likelihoods(v, [[2, 2]])[0] for v in mixed])
    assert scores[found.index([2, 2])] == pytest.approx(expected)


def test_text_log_likelihoods_are_ctc_and_impossible_texts_score_minus_infinity():
    log_p = lr.log_softmax(np.random.default_rng(0).standard_normal((4, lr.CLASSES)))
    scores = lr.text_log_likelihoods(log_p, [[1], [1, 1], [1, 1, 1], []])
    expected = -lr.CTCLoss(blank=lr.BLANK).per_sample(np.array([[1, -1], [1, 1]]), np.repeat(log_p[None], 2, 0))
    np.testing.assert_allclose(scores[:2], expected)
    assert scores[2] == -np.inf                             # 1 1 1 needs 5 steps, there are 4
    assert scores[3] == pytest.approx(log_p[:, lr.BLANK].sum())   # nothing: blank all along


def test_all_blank_reads_nothing():
    digits, score, _, steps = lr.decode(path_logits([lr.BLANK] * 6))
    assert digits == [] and steps == [] and score == pytest.approx(6 * np.log(1 / (1 + 10 * np.exp(-8))))


def test_best_alignment_is_the_viterbi_path_of_the_given_text():
    b = lr.BLANK
    logits = path_logits([b, 3, 3, 3, b, b])
    assert lr.best_alignment(lr.log_softmax(logits), [3]) == [[1, 2, 3]]
    # Forced to read "33", the best path must put a blank between the two 3s.
    where = lr.best_alignment(lr.log_softmax(logits), [3, 3])
    assert len(where) == 2 and where[0][-1] < where[1][0] - 1


def test_a_wider_copy_of_the_model_reads_the_same_columns_the_same():
    # All convolutions: each step sees only nearby columns, so a wider copy reads the
    # first columns exactly as the narrow model does.
    model = lr.line_model(width=64, seed=0, recurrent=False)
    rng = np.random.default_rng(0)
    strip = rng.random((lr.HEIGHT, 60)).astype(np.float32)
    narrow = model.predict(lr.fit_width(strip, 64)[None, :, :, None], verbose=0)[0]
    wide = lr.at_width(model, 128)
    assert wide.input_shape == (None, lr.HEIGHT, 128, 1) and lr.at_width(model, 128) is wide   # cached
    wide_logits = wide.predict(lr.fit_width(strip, 128)[None, :, :, None], verbose=0)[0]
    np.testing.assert_allclose(wide_logits[:12], narrow[:12], rtol=1e-4, atol=1e-4)
    # line_logits reads at the widest strip's width plus TAIL blank columns, rounded up to
    # WIDTH_STEP (60 + 24 -> 96 columns, 22 steps), with a copy built for that width.
    cut = lr.line_logits(model, [strip])[0]
    assert cut.shape == (96 // lr.STRIDE - 2, lr.CLASSES)
    np.testing.assert_allclose(cut[:12], narrow[:12], rtol=1e-4, atol=1e-4)
    assert lr.line_logits(model, [np.zeros((lr.HEIGHT, 100), np.float32)]).shape == (1, 30, 11)
    assert lr.line_logits(model, [strip], width=64)[0].shape == narrow.shape
    # The kept copy reads with the model's weights of now, not those it was made with.
    model.set_weights([w * 0.5 for w in model.get_weights()])
    np.testing.assert_array_equal(lr.at_width(model, 128).get_weights()[0], model.get_weights()[0])


def test_a_wider_copy_of_the_recurrent_model_has_the_same_weights(model):
    # The GRU runs along the steps, so a wider strip's padding changes what it reads; but
    # no weight depends on the width, and the wider copy carries every one of them.
    wide = lr.at_width(model, 192)
    assert wide.output_shape == (None, 192 // lr.STRIDE - 2, lr.CLASSES)
    for mine, its in zip(model.get_weights(), wide.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, its)
    strip = np.random.default_rng(1).random((lr.HEIGHT, 150)).astype(np.float32)
    assert lr.line_logits(model, [strip]).shape == (1, 46, 11)


def test_only_line_models_are_line_models(model, tiny_digit_model):
    from glassnet.engine.saving import load_model

    assert lr.is_line_model(model)
    assert not lr.is_line_model(load_model(tiny_digit_model, compile=False))


def test_read_number_with_a_line_model_gives_a_consistent_reading(model):
    reading = glassnet.read_number(model, paper_with_bar())
    n = len(reading.digits)
    assert reading.text == "".join(map(str, reading.digits))
    assert len(reading.boxes) == len(reading.confidences) == n
    assert reading.probabilities.shape == (n, 10) and reading.images.shape == (n, 28, 28)
    assert 0 <= reading.confidence <= 1


def test_reading_from_logits_places_boxes_where_the_digits_were_read():
    b = lr.BLANK
    strip = np.zeros((lr.HEIGHT, 64), np.float32)
    logits = path_logits([b, b, 1, b, b, b, b, b, 5, 5, b, b, b, b])
    text, digits, confidences, confidence, boxes, probs, images = lr.reading_from_logits(
        logits, strip, box=(100, 10, 300, 70), scale=0.5)
    assert text == "15" and confidences[0] > 0.99 and confidence > 0.9
    (a0, _, a1, _), (b0, _, b1, _) = boxes
    assert a0 < a1 < b0 < b1 and boxes[0][1] == 10 and boxes[0][3] == 70


def test_training_strips_are_seeded_padded_and_in_range(shared_data):
    from glassnet.datasets import mnist

    digits = mnist.load_data(shared_data / "mnist")[0]
    x, y = lr.training_strips(20, seed=3, digits=digits, width=128, lengths=(1, 4))
    again, _ = lr.training_strips(20, seed=3, digits=digits, width=128, lengths=(1, 4))
    assert x.shape == (20, lr.HEIGHT, 128, 1) and x.dtype == np.float32 and y.shape == (20, 4)
    assert np.array_equal(x, again) and 0 <= x.min() and x.max() <= 1
    lengths = (y >= 0).sum(axis=1)
    assert lengths.min() >= 1 and lengths.max() <= 4 and (y[y >= 0] <= 9).all()


def test_the_model_saves_and_loads_with_its_loss(model, tmp_path):
    from glassnet.engine.saving import load_model

    trained = lr.line_model(width=64, seed=1)
    trained.compile("adam", lr.CTCLoss(blank=lr.BLANK))
    x = np.random.default_rng(0).random((4, lr.HEIGHT, 64, 1)).astype(np.float32)
    trained.fit(x, lr.encode_labels(["1", "22", "303", "4"]), epochs=1, batch_size=2, verbose=0)
    trained.save(tmp_path / "line.npz")
    loaded = load_model(tmp_path / "line.npz")
    assert isinstance(loaded.loss, lr.CTCLoss) and loaded.loss.blank == lr.BLANK
    np.testing.assert_allclose(loaded.predict(x, verbose=0), trained.predict(x, verbose=0), rtol=1e-6)


@pytest.mark.slow
def test_a_short_training_learns_to_read(shared_data):
    from glassnet.interfaces.cli.train_numbers import train

    logs = []
    model = train(epochs=4, per_epoch=3000, seed=0, path=shared_data / "mnist", verbose=0,
                  validation=200, log=logs.append)
    history = model.training_log.history     # every epoch (each fit is one epoch of fresh numbers)
    assert model.training_log.epochs == [0, 1, 2, 3]
    assert history["loss"][-1] < history["loss"][0] / 2
    assert history["val_whole"][-1] > 0.1, logs


def test_the_helper_process_writes_the_numbers_this_process_would(digit_folder, monkeypatch):
    """Training writes the next epoch's numbers in a helper process while it trains on this
    epoch's: they must be exactly the numbers written here, and training must use them."""
    from glassnet.interfaces.cli import train_numbers as tn

    monkeypatch.setattr(tn, "HELD_OUT", 500)           # the folder has 2,000 training digits
    with tn.number_writer() as writer:
        x, y = writer.submit(tn.epoch_numbers, 12, (0, 1), str(digit_folder)).result()
    here_x, here_y = tn.epoch_numbers(12, (0, 1), str(digit_folder))
    assert x.dtype == np.uint8 and x.shape == (12, lr.HEIGHT, lr.WIDTH, 1) and x.max() > 128
    np.testing.assert_array_equal(x, here_x)
    np.testing.assert_array_equal(y, here_y)

    model = tn.train(epochs=2, per_epoch=24, batch_size=12, path=str(digit_folder), verbose=0,
                     validation=10, log=lambda line: None)
    assert model.training_log.epochs == [0, 1]
    assert len(model.training_log.history["val_whole"]) == 2


def test_width_batches_cut_each_strip_to_its_ink_and_use_every_strip_once():
    from glassnet.interfaces.cli.train_numbers import width_batches

    rng = np.random.default_rng(0)
    ends = rng.integers(0, 257, 100)             # where each strip's ink stops (0: no ink)
    x = np.zeros((100, lr.HEIGHT, 256, 1), np.uint8)
    for k, end in enumerate(ends):
        x[k, 10, max(end - 5, 0):end, 0] = 200 if end else 0
    x[0, :, :, 0] = 40                           # faint background noise, no ink: counts as blank
    ends[0] = 0
    batches = width_batches(x, 16, rng, margin=(8, 40))     # WIDTH_STEP 32
    rows = np.concatenate([r for r, _ in batches])
    assert sorted(rows) == list(range(100)) and [len(r) for r, _ in batches].count(16) == 6
    for r, width in batches:
        assert width % 32 == 0 and 64 <= width <= 256
        assert (np.minimum(ends[r] + 8, 256) <= width).all()         # the ink and a margin fit
    # Sorted by width, so most batches are much narrower than the strip.
    assert np.mean([w for _, w in batches]) < 256
    assert [w for _, w in batches] != sorted(w for _, w in batches)  # in random order


def test_width_copies_train_one_network_at_every_width(model):
    """A step on a narrow batch is the step a model built for that width takes; the
    weights (batch-norm statistics too) and the optimizer's step count carry over."""
    from glassnet.engine.optimizers import Adam
    from glassnet.interfaces.cli.train_numbers import WidthCopies

    net = lr.line_model(width=64, seed=0)
    net.compile(Adam(1e-2), lr.CTCLoss(blank=lr.BLANK))
    net.build()
    reference = lr.line_model(width=32, seed=5)
    reference.compile(Adam(1e-2), lr.CTCLoss(blank=lr.BLANK))
    reference.build()
    reference.set_weights(net.get_weights())
    rng = np.random.default_rng(2)
    narrow = rng.random((4, lr.HEIGHT, 32, 1)).astype(np.float32)
    labels = lr.encode_labels(["1", "2", "34", "5"])

    copies = WidthCopies(net)
    loss = copies.train_on_batch(narrow, labels)
    assert loss == pytest.approx(reference.train_on_batch(narrow, labels), rel=1e-6)
    copies.gather()
    for mine, its in zip(net.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_allclose(mine, its, rtol=1e-5, atol=1e-7)
    moving = [w for w in net.weights if w.ndim == 1]
    assert net.optimizer.iterations == 1 and any((m != 0).any() and (m != 1).any() for m in moving)
    copies.train_on_batch(rng.random((4, lr.HEIGHT, 64, 1)).astype(np.float32), labels)   # the model itself
    assert net.optimizer.iterations == 2


def test_a_stride_2_reader_has_twice_the_steps_and_reads_its_boxes_at_its_own_stride():
    """``glassnet train --task numbers`` trains a reader with an output step every 2 columns;
    a saved reader of 4 columns a step still reads, its boxes where its steps are."""
    fine = lr.line_model(width=64, seed=0, stride=2)
    coarse = lr.line_model(width=64, seed=0)
    assert fine.output_shape == (None, 64 // 2 - 2, lr.CLASSES) and coarse.output_shape == (None, 64 // 4 - 2, lr.CLASSES)
    assert lr.stride_of(fine) == 2 and lr.stride_of(coarse) == 4
    assert lr.stride_of(lr.at_width(fine, 128)) == 2 and lr.stride_of(lr.at_width(coarse, 128)) == 4
    assert lr.line_logits(fine, [np.zeros((lr.HEIGHT, 100), np.float32)]).shape == (1, 128 // 2 - 2, 11)
    b = lr.BLANK
    logits = path_logits([b, b, 1, b, b, b, b, b, 5, 5, b, b, b, b])
    boxes = {stride: lr.reading_from_logits(logits, np.zeros((lr.HEIGHT, 64), np.float32), box=(0, 0, 99, 9),
                                            scale=1.0, stride=stride)[4] for stride in (2, 4)}
    left = -(lr.HEIGHT - lr.BAND) / 2       # the picture column of strip column 0
    for stride, ((a0, _, a1, _), (b0, _, b1, _)) in boxes.items():   # "1" at step 2, "5" at steps 8-9
        assert (a0, a1) == (round(left + lr.steps_to_columns(2, stride) - stride),
                            round(left + lr.steps_to_columns(2, stride) + stride))
        assert b1 == round(left + lr.steps_to_columns(9, stride) + stride)
    assert boxes[2][1][2] < boxes[4][1][2]
    with pytest.raises(ValueError, match="stride must be 2 or 4"):
        lr.line_model(width=64, stride=3)


def test_a_stopped_training_goes_on_from_its_backup_to_the_same_model(digit_folder, monkeypatch, tmp_path):
    """Training saves the model after every epoch; stopped (here: Ctrl-C in the second
    epoch's report), the same call goes on from the last finished epoch and ends with the
    weights of a run never stopped. A backup of other options is refused."""
    from glassnet.errors import TrainingError
    from glassnet.interfaces.cli import train_numbers as tn

    monkeypatch.setattr(tn, "HELD_OUT", 500)           # the folder has 2,000 training digits
    options = dict(epochs=3, per_epoch=24, batch_size=12, path=str(digit_folder), verbose=0, validation=10,
                   units=8, filters=(4, 8, 8))
    never_stopped = tn.train(**options, log=lambda line: None)

    said = []

    def stop_in_epoch_2(line):
        said.append(line)
        if len(said) == 2:
            raise KeyboardInterrupt

    backup = tn.backup_path(tmp_path / "line.npz")
    assert backup.name == "line.backup.npz"
    with pytest.raises(KeyboardInterrupt):
        tn.train(**options, log=stop_in_epoch_2, backup=backup)
    with pytest.raises(TrainingError, match=r"line.backup.npz: the backup of another training run \(seed 0 there, 1 now\)"):
        tn.train(**{**options, "seed": 1}, log=said.append, backup=backup)

    resumed = tn.train(**options, log=said.append, backup=backup)
    assert said[2] == f"resuming {backup}: 1 of 3 epochs done"
    assert resumed.training_log.epochs == [0, 1, 2] and resumed.optimizer.iterations == 3 * 2
    for a, b in zip(resumed.get_weights(), never_stopped.get_weights()):
        np.testing.assert_array_equal(a, b)
