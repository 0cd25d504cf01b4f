"""``glassnet serve DIGITS.npz --reader LINE.npz``: the number mode reads with a line reader."""

import json

import numpy as np
import pytest

starlette = pytest.importorskip("starlette", reason="starlette is not installed (pip install glassnet)")
from starlette.testclient import TestClient  # noqa: E402

from glassnet import load_model  # noqa: E402
from glassnet.errors import ModelFileError  # noqa: E402
from glassnet.interfaces.cli.serve import load_line_reader  # noqa: E402
from glassnet.interfaces.web.app import create_app  # noqa: E402
from glassnet.workbench.reader import read_number  # noqa: E402
from test_reader import write  # noqa: E402
from test_web_read import data_url  # noqa: E402


@pytest.fixture(scope="module")
def client(model_file, line_file):
    reader = load_line_reader(line_file)
    with TestClient(create_app(load_model(model_file), model_file="templates.npz", reader=reader)) as client:
        yield client


def read(client, image):
    response = client.post("/api/read", content=json.dumps({"image": data_url(image)}),
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    return response.json()


def test_the_number_mode_reads_as_glassnet_read_with_the_line_reader(client, model_file, line_file):
    image = write("7051")
    result = read(client, image)
    # What `glassnet read LINE.npz --digits DIGITS.npz` reads, digit for digit: the line
    # reader, its candidates rescored by the served digit model (the segmenter's 7051 alone
    # would not be this untrained line reader's text).
    expected = read_number(load_model(line_file, compile=False), image, digit_model=load_model(model_file))
    assert result["text"] == expected.text != "7051"
    assert [d["digit"] for d in result["digits"]] == expected.digits
    assert result["confidence"] == pytest.approx(expected.confidence, rel=1e-4)
    assert result["reader"] == f"{line_file} + templates.npz" and result["left_out"] == []
    assert np.array(result["images28"]).shape == (len(expected.digits), 28, 28)


def test_info_names_the_reader_and_a_blank_page_is_blank(client, line_file):
    info = client.get("/api/info").json()
    assert info["reader"]["file"] == line_file and info["reader"]["params"] > 0
    assert read(client, np.full((100, 300), 255, np.uint8)) == {"blank": True, "text": None}


def test_without_a_reader_the_page_cuts_numbers_into_digits(model_file):
    with TestClient(create_app(load_model(model_file), model_file="templates.npz")) as plain:
        assert plain.get("/api/info").json()["reader"] is None
        result = read(plain, write("7051"))
    assert result["text"] == "7051" and result["reader"] == "templates.npz"


def test_reader_must_be_a_line_reader(model_file):
    with pytest.raises(ModelFileError, match="not a line reader.*glassnet train --task numbers"):
        load_line_reader(model_file)


def test_a_drawing_with_no_digits_is_refused_when_the_digit_model_has_a_detector(line_file,
                                                                                  tiny_digit_model_with_detector):
    """As ``glassnet read LINE.npz --digits MODEL.npz``: the line reader reads a shape as some
    digits, the served model's not-a-digit detector refuses every mark of it."""
    from PIL import Image

    from glassnet.datasets.nondigits import make_nondigits
    page = Image.new("L", (400, 200), 255)
    shape = make_nondigits(1, seed=5, kinds=("shape",)).images[0]
    page.paste(Image.fromarray(255 - shape).resize((130, 130)), (40, 35))
    reader = load_line_reader(line_file)
    app = create_app(load_model(tiny_digit_model_with_detector), model_file="detector.npz", reader=reader)
    with TestClient(app) as client:
        result = read(client, np.array(page))
    assert result["text"] == "" and result["digits"] == [] and len(result["left_out"]) == 1
