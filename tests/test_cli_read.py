"""``glassnet read MODEL IMAGE...``: output lines, --json, --show, and its errors."""

import json

import numpy as np
import pytest
from PIL import Image

from glassnet.interfaces.cli import main
from test_reader import write


@pytest.fixture
def images(tmp_path):
    paths = {}
    for name, array in [("number", write("1075")), ("blank", np.full((60, 120), 240, np.uint8))]:
        paths[name] = tmp_path / f"{name}.png"
        Image.fromarray(array).save(paths[name])
    return {k: str(v) for k, v in paths.items()}


def test_prints_the_number_and_its_confidences(model_file, images, capsys):
    assert main(["read", model_file, images["number"], images["blank"]]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{images['number']}: 1075    (whole number ")
    assert "digits 1 " in out[0] and out[0].count("%") == 5
    assert out[1] == f"{images['blank']}: blank, no number"


def test_json(model_file, images, capsys):
    assert main(["read", model_file, images["number"], images["blank"], "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in results] == ["ok", "blank"]
    assert results[0]["text"] == "1075" and 0 < results[0]["confidence"] <= 1
    assert [d["digit"] for d in results[0]["digits"]] == [1, 0, 7, 5]
    assert all(len(d["box"]) == 4 for d in results[0]["digits"])


def test_show_writes_a_picture(model_file, images, tmp_path, capsys):
    out = tmp_path / "boxes.png"
    assert main(["read", model_file, images["number"], images["blank"], "--show", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    with Image.open(out) as picture:
        assert picture.format == "PNG" and picture.size[0] > 300


def test_a_bad_image_is_one_line_on_stderr_and_exit_2(model_file, images, tmp_path, capsys):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    assert main(["read", model_file, str(bad), images["number"]]) == 2
    captured = capsys.readouterr()
    errors = [line for line in captured.err.strip().splitlines() if not line.startswith("note:")]
    assert len(errors) == 1 and errors[0].startswith("glassnet read: error: ") and "broken.png" in errors[0]
    assert "1075" in captured.out                              # the good image is still read


def test_a_model_for_other_images_is_refused(tmp_path, images, capsys):
    from glassnet.engine.layers import Dense, Flatten
    from glassnet.engine.model import Sequential

    wrong = Sequential([Flatten(input_shape=(32, 32)), Dense(10, activation="softmax")], seed=0)
    wrong.build()
    path = tmp_path / "wrong.npz"
    wrong.save(path)
    assert main(["read", str(path), images["number"]]) == 2
    assert "28x28" in capsys.readouterr().err


def test_read_is_listed_in_help(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "read" in capsys.readouterr().out


# -- marks that are not digits are left out (issue 15) ---------------------------------------
def test_marks_that_are_not_digits_are_left_out(tiny_digit_model_with_detector, tmp_path, capsys):
    from PIL import ImageDraw
    from glassnet.datasets.nondigits import make_nondigits
    page = Image.new("L", (560, 200), 255)
    draw = ImageDraw.Draw(page)
    draw.line([(60, 40), (60, 170)], fill=0, width=14)                      # a 1
    draw.line([(120, 40), (200, 40), (140, 170)], fill=0, width=14)         # a 7
    static = Image.fromarray(255 - make_nondigits(1, seed=5, kinds=("noise",)).images[0]).resize((130, 130))
    page.paste(static, (380, 35))                                            # and static beside them
    path = tmp_path / "number.png"
    page.save(path)
    model = str(tiny_digit_model_with_detector)
    assert main(["read", model, str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)[0]
    assert result["status"] == "ok" and result["text"] == "17"
    assert len(result["left_out"]) == 1 and result["left_out"][0]["box"][0] >= 370
    assert main(["read", model, str(path), "--show", str(tmp_path / "boxes.png")]) == 0
    assert "; left out 1 mark that is not a digit)" in capsys.readouterr().out


# -- with a line reader (glassnet train --task numbers) --------------------------------------


def test_a_line_reader_reads_and_says_so(line_file, images, capsys):
    assert main(["read", line_file, images["number"], images["blank"], "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert [r["status"] for r in results] == ["ok", "blank"]
    assert results[0]["text"] == "".join(str(d["digit"]) for d in results[0]["digits"])


def test_a_line_reader_with_the_segmenters_opinion(line_file, model_file, images, capsys):
    assert main(["read", line_file, images["number"], "--digits", model_file]) == 0
    assert capsys.readouterr().out.startswith(f"{images['number']}: ")


def test_digits_goes_with_a_line_reader_only(model_file, images, capsys):
    assert main(["read", model_file, images["number"], "--digits", model_file]) == 2
    assert "--digits goes with a line reader" in capsys.readouterr().err


def test_train_numbers_refuses_options_it_cant_honour(capsys):
    assert main(["train", "--task", "numbers", "--arch", "cnn"]) == 2
    assert "--arch can't be used with --task numbers" in capsys.readouterr().err


def test_a_line_reader_with_a_detector_refuses_a_picture_with_no_digits(line_file, tiny_digit_model_with_detector,
                                                                         tmp_path, capsys):
    """A line reader alone reads anything as digits (a zigzag as 11111, letters as 14130);
    with --digits MODEL, a model with a not-a-digit detector, the picture is refused."""
    from glassnet.datasets.nondigits import make_nondigits
    page = Image.new("L", (400, 200), 255)
    shape = make_nondigits(1, seed=5, kinds=("shape",)).images[0]
    page.paste(Image.fromarray(255 - shape).resize((130, 130)), (40, 35))
    path = tmp_path / "shape.png"
    page.save(path)

    assert main(["read", line_file, str(path), "--json"]) == 0
    alone = capsys.readouterr()
    assert json.loads(alone.out)[0]["text"]                     # the untrained reader reads some digits
    assert "note: a line reader alone reads anything as digits; give --digits" in alone.err

    assert main(["read", line_file, str(path), "--digits", str(tiny_digit_model_with_detector), "--json"]) == 0
    checked = capsys.readouterr()
    result = json.loads(checked.out)[0]
    assert result["status"] == "not_a_digit" and result["text"] == "" and len(result["left_out"]) == 1
    assert "note:" not in checked.err
    assert main(["read", line_file, str(path), "--digits", str(tiny_digit_model_with_detector)]) == 0
    assert capsys.readouterr().out.strip() == f"{path}: no digits, only 1 mark that is not a digit"


def test_a_line_reader_is_scored_on_numbers_and_the_digit_commands_name_it(line_file, images, shared_data,
                                                                           monkeypatch, capsys):
    """glassnet evaluate scores a line reader on seven-digit numbers (it said "the images have
    shape (28, 28) but model 'line_reader' was built for (32, 256, 1)"); predict, report,
    doctor and calibrate say it is a line reader and what to use instead."""
    from glassnet.datasets import numbers
    made = numbers.make_numbers
    monkeypatch.setattr(numbers, "make_numbers", lambda count, **kwargs: made(12, **kwargs))   # 1,000: slow
    assert main(["evaluate", line_file, "--data-dir", str(shared_data / "mnist")]) == 0
    said = capsys.readouterr().out
    assert said.startswith(f"{line_file}: a line reader; 12 seven-digit numbers from MNIST test digits")
    assert "read whole" in said and "with the wrong number of digits" in said
    for command in (["predict", line_file, images["number"]], ["report", line_file], ["doctor", line_file],
                    ["calibrate", line_file]):
        assert main(command + ["--data-dir", str(shared_data / "mnist")] * (command[0] != "predict")) == 2
        assert f"{line_file}: a line reader, which reads whole numbers" in capsys.readouterr().err, command
