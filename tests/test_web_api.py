"""The drawing page's server, through Starlette's TestClient: good requests and bad ones."""

import base64
import io
import json
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageDraw

starlette = pytest.importorskip("starlette", reason="starlette is not installed (pip install glassnet)")
from starlette.testclient import TestClient  # noqa: E402

from glassnet import load_model  # noqa: E402
from glassnet.interfaces.web.app import MAX_BODY_BYTES, create_app  # noqa: E402


def data_url(image, fmt="PNG"):
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return f"data:image/{fmt.lower()};base64," + base64.b64encode(buffer.getvalue()).decode()


def png_header_only(width, height):
    """A PNG whose header claims width x height but holds a few rows (see test_images)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 4096)) + chunk(b"IEND", b""))


def drawing(line=((80, 60), (200, 60), (120, 230)), width=22):
    """What the page sends: dark strokes on a white 280x280 canvas (a 7 by default)."""
    page = Image.new("RGB", (280, 280), "white")
    ImageDraw.Draw(page).line(list(line), fill="black", width=width, joint="curve")
    return page


@pytest.fixture(scope="module")
def client(tiny_digit_model):
    model = load_model(tiny_digit_model)
    with TestClient(create_app(model, model_file="tiny-mlp.npz")) as client:
        yield client


def post(client, body, **kwargs):
    return client.post("/api/predict", content=json.dumps(body),
                       headers={"Content-Type": "application/json"}, **kwargs)


# -- good requests ------------------------------------------------------------------------
def test_page_and_assets_are_served_locally(client):
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    for asset, kind in [("/static/app.js", "javascript"), ("/static/style.css", "text/css")]:
        response = client.get(asset)
        assert response.status_code == 200 and kind in response.headers["content-type"]
        assert "http://" not in response.text and "https://" not in response.text   # no CDN
    assert "http://" not in page.text and "https://" not in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_info(client):
    info = client.get("/api/info").json()
    assert info["file"] == "tiny-mlp.npz" and info["model"] == "classic_mlp"
    assert 0.5 < info["test_accuracy"] <= 1 and info["params"] == 109_386
    assert info["classes"] == [str(d) for d in range(10)]
    assert {"name": "digit", "endpoint": "/api/predict"} in info["modes"]
    assert [layer["kind"] for layer in info["layers"]][:2] == ["Flatten", "Dense"]


def test_predict_a_png_drawing(client):
    response = post(client, {"image": data_url(drawing())})
    assert response.status_code == 200
    result = response.json()
    assert result["blank"] is False and result["label"] == "7" and result["index"] == 7
    assert sum(result["probabilities"]) == pytest.approx(1, abs=1e-3)
    assert result["confidence"] == max(result["probabilities"])
    seen = np.array(result["image28"])
    assert seen.shape == (28, 28) and seen.max() == 1 and seen[0].max() == 0
    assert "inside" not in result


def test_predict_pixels_is_the_same_as_the_png(client):
    from_png = post(client, {"image": data_url(drawing())}).json()
    from_pixels = post(client, {"pixels": from_png["image28"]}).json()
    np.testing.assert_allclose(from_pixels["probabilities"], from_png["probabilities"], atol=1e-3)


def test_other_image_formats_in_the_data_url(client):
    assert post(client, {"image": data_url(drawing(), "JPEG")}).json()["label"] == "7"


def test_blank_canvas_gets_no_prediction(client):
    for body in ({"image": data_url(Image.new("RGB", (280, 280), "white"))},
                 {"image": data_url(Image.new("RGBA", (280, 280), (0, 0, 0, 0)))},
                 {"pixels": [[0] * 28] * 28}):
        assert post(client, body).json() == {"blank": True, "label": None}


def test_look_inside_an_mlp(client):
    inside = post(client, {"image": data_url(drawing()), "inside": True}).json()["inside"]
    assert [(layer["kind"], len(layer["values"])) for layer in inside] == [
        ("Dense", 128), ("Dense", 64), ("Dense", 10)]           # Flatten and Dropout skipped
    assert min(inside[0]["values"]) >= 0                         # after ReLU
    assert inside[0]["activation"] == "relu"


def test_look_inside_a_cnn():
    layers = pytest.importorskip("glassnet.engine.layers")
    if not hasattr(layers, "Conv2D"):
        pytest.skip("Conv2D is not in this build of glassnet yet")
    from glassnet import Sequential
    model = Sequential([layers.Conv2D(4, 3, activation="relu", input_shape=(28, 28, 1)),
                        layers.Flatten(), layers.Dense(10, activation="softmax")], seed=0)
    model.build()
    with TestClient(create_app(model)) as client:
        result = post(client, {"image": data_url(drawing()), "inside": True}).json()
    maps = result["inside"][0]
    assert maps["kind"] == "Conv2D" and maps["shape"] == [26, 26, 4] and len(maps["maps"]) == 4
    with Image.open(io.BytesIO(base64.b64decode(maps["maps"][0].split(",")[1]))) as picture:
        assert picture.size == (26, 26)


# -- bad requests -------------------------------------------------------------------------
@pytest.mark.parametrize("body, status, message", [
    ("{not json", 400, "not valid JSON"),
    ('{"pixels": NaN}', 400, "not valid JSON"),
    ("[1, 2, 3]", 422, "expected a JSON object"),
    ("{}", 422, "exactly one of"),
    ('{"image": "x", "pixels": []}', 422, "exactly one of"),
    ('{"image": "x", "colour": 1}', 422, "unknown field 'colour'"),
    ('{"image": 42}', 422, "data URL"),
    ('{"image": "https://example.com/seven.png"}', 422, "data URL"),
    ('{"image": "data:image/png;base64,@@@not-base64@@@"}', 422, "not valid base64"),
    ('{"image": "data:image/png;base64,aGVsbG8gd29ybGQ="}', 422, "not an image"),
    ('{"image": "data:image/png;base64,"}', 422, "empty"),
    ('{"pixels": [[0, 1], [1, 0]]}', 422, "got shape (2, 2)"),
    ('{"pixels": [[0, 1], [1]]}', 422, "28 rows of 28 numbers"),
    ('{"pixels": "lots"}', 422, "28 rows of 28 numbers"),
    ('{"pixels": ' + json.dumps([[255] * 28] * 28) + "}", 422, "0..1"),
    ('{"pixels": ' + json.dumps([["a"] * 28] * 28) + "}", 422, "28 rows of 28 numbers"),
    ('{"pixels": ' + json.dumps([[0] * 28] * 28) + ', "inside": "yes"}', 422, "inside must be"),
])
def test_malformed_bodies_get_a_clear_json_error(client, body, status, message):
    response = client.post("/api/predict", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == status
    assert message in response.json()["error"]


def test_images_that_are_too_small_or_bombs(client):
    tiny = post(client, {"image": data_url(Image.new("L", (1, 1)))})
    assert tiny.status_code == 422 and "too small" in tiny.json()["error"]
    bomb = "data:image/png;base64," + base64.b64encode(png_header_only(20000, 20000)).decode()
    response = post(client, {"image": bomb})
    assert response.status_code == 422 and "too many pixels" in response.json()["error"]


def test_wrong_content_type_and_method(client):
    response = client.post("/api/predict", content=b"image=...", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415 and "application/json" in response.json()["error"]
    assert client.get("/api/predict").status_code == 405
    missing = client.get("/api/nothing")
    assert missing.status_code == 404 and "error" in missing.json()


def test_oversized_requests_are_refused(client):
    big = json.dumps({"image": "data:image/png;base64," + "A" * MAX_BODY_BYTES})
    response = client.post("/api/predict", content=big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and "too large" in response.json()["error"]

    def chunks():   # no Content-Length: the server must count as it reads
        yield b'{"image": "data:image/png;base64,'
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b"A" * 65536
        yield b'"}'
    response = client.post("/api/predict", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_only_named_hosts_when_asked(tiny_digit_model):
    app = create_app(load_model(tiny_digit_model), allowed_hosts=["127.0.0.1", "localhost"])
    with TestClient(app, base_url="http://localhost:8000") as local:
        assert local.get("/api/info").status_code == 200
    with TestClient(app, base_url="http://evil.example") as rebound:
        assert rebound.get("/api/info").status_code == 400


# -- glassnet serve: what goes wrong before the server starts ------------------------------
def test_serve_without_a_model_says_what_to_do(tmp_path, monkeypatch, capsys):
    from glassnet.interfaces.cli import main
    monkeypatch.chdir(tmp_path)
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "no mnist-mlp.npz" in err and "glassnet train" in err and len(err.strip().splitlines()) == 1


def test_serve_with_a_broken_model_file(tmp_path, capsys):
    from glassnet.interfaces.cli import main
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"\x00" * 100)
    assert main(["serve", str(broken)]) == 2
    assert capsys.readouterr().err.startswith(f"glassnet serve: error: {broken}: ")


def test_serve_on_a_busy_port(tiny_digit_model, capsys):
    import socket

    from glassnet.interfaces.cli import main
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        assert main(["serve", str(tiny_digit_model), "--port", str(port)]) == 2
    assert f"can't listen on 127.0.0.1:{port}" in capsys.readouterr().err
