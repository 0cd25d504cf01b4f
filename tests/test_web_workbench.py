"""The drawing page's second pass (issue 15), through Starlette's TestClient: "that's not a
digit", which pixels mattered, two models side by side, and "Wrong? It was a ..."."""

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image, ImageDraw

pytest.importorskip("starlette", reason="starlette is not installed (pip install glassnet)")
from starlette.testclient import TestClient  # noqa: E402

from glassnet import load_model  # noqa: E402
from glassnet.errors import GlassnetError  # noqa: E402
from glassnet.interfaces.web import app as web  # noqa: E402
from glassnet.workbench.handwriting import load_user_digits  # noqa: E402


def data_url(image):
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def seven():
    page = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(page).line([(80, 60), (200, 60), (120, 230)], fill=0, width=22, joint="curve")
    return page


def static(size=(280, 280)):
    from glassnet.datasets.nondigits import make_nondigits
    return Image.fromarray(255 - make_nondigits(1, seed=5, kinds=("noise",)).images[0]).resize(size)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("collect") / "digits"


@pytest.fixture(scope="module")
def client(tiny_digit_model, tiny_digit_model_with_detector, folder):
    """The model with a detector, and beside it the same model without one."""
    app = web.create_app(load_model(tiny_digit_model_with_detector), model_file="with-detector.npz",
                         compare=[(load_model(tiny_digit_model), "without.npz")], collect=folder)
    with TestClient(app) as client:
        yield client


def post(client, body, path="/api/predict"):
    return client.post(path, content=json.dumps(body), headers={"Content-Type": "application/json"})


def test_info_lists_both_models_and_the_collection_folder(client, folder):
    info = client.get("/api/info").json()
    assert [m["file"] for m in info["models"]] == ["with-detector.npz", "without.npz"]
    assert [m["can_refuse"] for m in info["models"]] == [True, False]
    assert info["file"] == "with-detector.npz" and info["can_refuse"] is True   # the first, as before
    assert info["collect"] == str(folder)
    assert {"name": "digit", "endpoint": "/api/predict"} in info["modes"]


def test_a_drawing_that_is_not_a_digit(client):
    refused = post(client, {"image": data_url(static())}).json()
    assert refused["status"] == "not_a_digit" and refused["can_refuse"] is True
    assert refused["label"] in list("0123456789") and len(refused["probabilities"]) == 10   # the nearest
    blind = post(client, {"image": data_url(static()), "model": 1}).json()
    assert blind["status"] in ("ok", "unsure") and blind["can_refuse"] is False
    assert blind["probabilities"] == refused["probabilities"]          # the same network answers
    assert post(client, {"image": data_url(seven())}).json()["status"] == "ok"


def test_saliency_comes_when_asked(client, tiny_digit_model):
    from glassnet.workbench.saliency import saliency
    plain = post(client, {"image": data_url(seven())}).json()
    assert "saliency" not in plain
    answer = post(client, {"image": data_url(seven()), "saliency": True}).json()
    heat = np.array(answer["saliency"])
    assert heat.shape == (28, 28) and heat.max() == 1 and heat.min() >= 0
    expected = saliency(load_model(tiny_digit_model), np.array(answer["image28"], np.float32)[None])[0]
    assert np.allclose(heat, expected, atol=2e-3)          # what the workbench computes, rounded
    assert post(client, {"image": data_url(seven()), "saliency": "yes"}).status_code == 422


@pytest.mark.parametrize("index", [2, -1, True, "1", 0.0, None])
def test_the_model_index_is_checked(client, index):
    for path in ("/api/predict", "/api/read"):
        response = post(client, {"image": data_url(seven()), "model": index}, path)
        assert response.status_code == 422 and "model must be an index from 0 to 1" in response.json()["error"]


def test_read_leaves_out_marks_that_are_not_digits(client):
    page = Image.new("L", (840, 280), 255)
    draw = ImageDraw.Draw(page)
    draw.line([(120, 50), (120, 230)], fill=0, width=20)                       # a 1
    draw.line([(220, 60), (330, 60), (250, 230)], fill=0, width=20)            # a 7
    page.paste(static((180, 180)), (560, 50))                                  # static
    result = post(client, {"image": data_url(page)}, "/api/read").json()
    assert result["text"] == "17" and len(result["images28"]) == 2
    assert len(result["left_out"]) == 1 and result["left_out"][0]["box"][0] >= 550
    for digit in result["digits"]:                                             # bars for each digit
        assert len(digit["probabilities"]) == 10 and max(digit["probabilities"]) == digit["confidence"]
    blind = post(client, {"image": data_url(page), "model": 1}, "/api/read").json()
    assert blind["left_out"] == [] and len(blind["text"]) == 3                 # reads the static too


def test_wrong_it_was_a_keeps_the_drawing(client, folder):
    first = post(client, {"image": data_url(seven()), "label": "1"}, "/api/collect").json()
    assert first["saved"] == "1/0001.png" and first["folder"] == str(folder) and first["count"] == 1
    again = post(client, {"image": data_url(seven()), "label": "1"}, "/api/collect").json()
    assert again["saved"] == "1/0002.png" and again["count"] == 2
    x, y, files = load_user_digits(folder)
    assert x.shape[1:] == (28, 28) and set(y.tolist()) == {1} and len(files) >= 2
    kept = np.asarray(Image.open(folder / "1" / "0001.png"))
    assert kept.shape == (280, 280) and kept[0, 0] == 255              # the drawing as drawn


@pytest.mark.parametrize("body, message", [
    ({"image": "IMAGE", "label": "x"}, "label must be one of the model's classes"),
    ({"image": "IMAGE", "label": 7}, "label must be one of the model's classes"),
    ({"image": "IMAGE", "label": "../7"}, "label must be one of the model's classes"),
    ({"image": "IMAGE"}, "send 'image'"),
    ({"image": "BLANK", "label": "7"}, "the drawing is blank"),
    ({"image": "IMAGE", "label": "7", "x": 1}, "unknown field 'x'"),
])
def test_corrections_are_checked(client, body, message):
    urls = {"IMAGE": data_url(seven()), "BLANK": data_url(Image.new("L", (280, 280), 255))}
    body = {k: urls.get(v, v) if k == "image" else v for k, v in body.items()}
    response = post(client, body, "/api/collect")
    assert response.status_code == 422 and message in response.json()["error"]


def test_no_corrections_without_a_folder_and_at_most_so_many(tiny_digit_model, tmp_path, monkeypatch):
    with TestClient(web.create_app(load_model(tiny_digit_model))) as client:
        response = post(client, {"image": data_url(seven()), "label": "7"}, "/api/collect")
        assert response.status_code == 404 and "--no-collect" in response.json()["error"]
        assert client.get("/api/info").json()["collect"] is None
    monkeypatch.setattr(web, "MAX_COLLECTED", 1)
    with TestClient(web.create_app(load_model(tiny_digit_model), collect=tmp_path)) as client:
        assert post(client, {"image": data_url(seven()), "label": "7"}, "/api/collect").status_code == 200
        full = post(client, {"image": data_url(seven()), "label": "7"}, "/api/collect")
        assert full.status_code == 409 and "holds 1 pictures already" in full.json()["error"]


def test_only_models_of_one_dataset_side_by_side(tiny_digit_model):
    model = load_model(tiny_digit_model)
    other = load_model(tiny_digit_model)
    other.settings["class_names"] = list("abcdefghij")
    with pytest.raises(GlassnetError, match="its classes .* are not"):
        web.create_app(model, compare=[(other, "letters.npz")])
    with pytest.raises(GlassnetError, match="at most 2 models"):
        web.create_app(model, compare=[(model, "b"), (model, "c")])


def test_serve_checks_its_arguments(tiny_digit_model, capsys):
    from glassnet.interfaces.cli import main
    path = str(tiny_digit_model)
    assert main(["serve", path, path, path]) == 2
    assert "at most 2 models" in capsys.readouterr().err
    assert main(["serve", path, "--collect", "x", "--no-collect"]) == 2
    assert "contradict" in capsys.readouterr().err


def test_the_default_collection_folder_follows_xdg(monkeypatch, tmp_path):
    from glassnet.workbench.handwriting import default_folder
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_folder() == tmp_path / "glassnet" / "digits"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")
    assert default_folder().parts[-4:] == (".local", "share", "glassnet", "digits")
