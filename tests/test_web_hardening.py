"""The drawing page's server against hostile and odd requests: always a 4xx JSON error,
never a 500, a traceback, NaN in JSON, or a picture decoded on the event loop."""

import base64
import io
import json
import math
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

pytest.importorskip("starlette", reason="starlette is not installed (pip install glassnet)")
from starlette.testclient import TestClient  # noqa: E402

from glassnet import load_model  # noqa: E402
from glassnet.errors import ModelFileError  # noqa: E402
from glassnet.interfaces.web import app as web  # noqa: E402
from test_web_api import data_url, drawing, png_header_only  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def model(tiny_digit_model):
    return load_model(tiny_digit_model)


@pytest.fixture(scope="module")
def client(model):
    with TestClient(web.create_app(model, model_file="tiny-mlp.npz"), raise_server_exceptions=False) as client:
        yield client


def post(client, body, path="/api/predict"):
    content = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(path, content=content, headers={"Content-Type": "application/json"})


def pixels_json(value):
    return '{"pixels": [' + ",".join(["[" + ",".join([value] * 28) + "]"] * 28) + "]}"


@pytest.mark.parametrize("body, status, message", [
    (pixels_json(str(10**400)), 422, "number too large"),
    (pixels_json("1e400"), 400, "too large"),
    (pixels_json("-1e400"), 400, "too large"),
    ('{"pixels": ' + "[" * 100_000 + "]" * 100_000 + "}", 400, "nested too deep"),
    ("[" * 100_000 + "]" * 100_000, 400, "nested too deep"),
    (pixels_json('"0.5"'), 422, "not strings, booleans or null"),
    (pixels_json("true"), 422, "not strings, booleans or null"),
    (pixels_json("null"), 422, "not strings, booleans or null"),
    ('{"pixels": {"0": 1}}', 422, "28 rows of 28 numbers"),
    ('{"pixels": [' + ",".join(["[0.5]"] * 28) + "]}", 422, "got shape (28, 1)"),
    ('{"pixels": [[1' + "0" * 5000 + "]]}", 400, "not valid JSON"),   # an int of over 4,300 digits
    ('{"image": "data:image/png;base64,' + "A" * 8 + '", "inside": 1}', 422, "inside must be"),
    (b'{"image": "\xff\xfe"}', 400, "not valid JSON"),
])
def test_hostile_bodies_get_a_4xx_json_error(client, body, status, message):
    response = post(client, body)
    assert response.status_code == status, response.text
    assert message in response.json()["error"]
    assert "\n" not in response.json()["error"]


def test_a_36_megapixel_png_is_refused_before_decoding(client):
    bomb = png_header_only(6000, 6000)   # 36 megapixels declared, a few hundred bytes sent
    url = "data:image/png;base64," + base64.b64encode(bomb).decode()
    start = time.perf_counter()
    response = post(client, {"image": url})
    assert time.perf_counter() - start < 1.0
    assert response.status_code == 422 and "6000x6000 is too large" in response.json()["error"]
    response = post(client, {"image": url}, path="/api/read")
    assert response.status_code == 422 and "too large" in response.json()["error"]


def test_big_photos_are_decoded_small_and_boxes_stay_in_its_pixels(client):
    """A 4400x1500 photo of a number is decoded at half size; boxes are in the photo's pixels."""
    page = Image.new("RGB", (4400, 1500), "white")
    pen = ImageDraw.Draw(page)
    pen.line([(1000, 300), (1000, 1200)], fill="black", width=120)                  # a 1
    pen.line([(2600, 300), (3300, 300), (2800, 1200)], fill="black", width=120)     # a 7
    buffer = io.BytesIO()
    page.save(buffer, format="JPEG", quality=80)
    gray, scale = web.decode(buffer.getvalue())
    assert max(gray.shape) <= 2 * web.WORK_SIDE and scale >= 2
    url = "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()
    result = post(client, {"image": url}, path="/api/read").json()
    assert len(result["digits"]) == 2
    (x0, y0, x1, y1), (u0, _, u1, _) = (digit["box"] for digit in result["digits"])
    assert 850 < x0 < 1000 < x1 < 1150 and 200 < y0 < 300 and 1200 < y1 < 1350
    assert 2450 < u0 < 2650 and 3250 < u1 < 3450


def test_images_are_decoded_in_a_worker_thread(client, monkeypatch):
    seen = []
    real = web.decode

    def spy(raw):
        seen.append(threading.current_thread().name)
        return real(raw)

    monkeypatch.setattr(web, "decode", spy)
    assert post(client, {"image": data_url(drawing())}).status_code == 200
    assert post(client, {"image": data_url(drawing())}, path="/api/read").status_code == 200
    assert len(seen) == 2 and all(name.startswith("glassnet-web") for name in seen)
    assert threading.main_thread().name not in seen


def test_too_many_waiting_requests_get_503(client):
    state = client.app.state
    state.queued = web.MAX_QUEUED
    try:
        response = post(client, {"image": data_url(drawing())})
    finally:
        state.queued = 0
    assert response.status_code == 503 and "busy" in response.json()["error"]


def test_no_nan_in_json_for_a_model_with_an_empty_test_set(model):
    settings = dict(model.settings)
    model.settings.update(test_accuracy=float("nan"), epochs=float("inf"), arch={"x": 1})
    try:
        with TestClient(web.create_app(model)) as client:
            response = client.get("/api/info")
    finally:
        model.settings.clear()
        model.settings.update(settings)
    assert response.status_code == 200
    info = json.loads(response.text, parse_constant=lambda name: pytest.fail(f"{name} in JSON"))
    assert info["test_accuracy"] is None and info["epochs"] is None and info["arch"] is None


def test_nan_weights_are_refused_when_the_app_is_made_and_never_reach_json(model):
    weights = model.layers[-1].params
    name = next(iter(weights))
    saved = weights[name].copy()
    weights[name][...] = np.nan
    try:
        with pytest.raises(ModelFileError, match="weights hold NaN"):
            web.create_app(model, model_file="nan.npz")
    finally:
        weights[name][...] = saved
    # weights that break after the server started: a 500 with a JSON error, not NaN
    app = web.create_app(model)
    weights[name][...] = np.nan
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            response = post(client, {"image": data_url(drawing())})
    finally:
        weights[name][...] = saved
    assert response.status_code == 500 and "not a number" in response.json()["error"]
    assert "NaN" not in response.text.replace("(NaN", "")


def test_an_unknown_host_gets_json(model):
    app = web.create_app(model, allowed_hosts=["127.0.0.1", "localhost", "[::1]"])
    with TestClient(app, base_url="http://evil.example:8000") as rebound:
        response = rebound.get("/api/info")
    assert response.status_code == 400
    assert response.json()["error"].startswith("invalid host header 'evil.example'")
    for host in ("localhost:8000", "[::1]:8000", "127.0.0.1"):
        with TestClient(app, base_url=f"http://{host}") as local:
            assert local.get("/api/info").status_code == 200, host
    assert web.host_name("[::1]:8000") == "[::1]" and web.host_name("LocalHost") == "localhost"


# -- a real server: what reaches its log -------------------------------------------------
def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def raw_request(port, data, read=True):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        if not read:
            return b""
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def test_a_real_server_logs_no_traceback(tiny_digit_model, tmp_path):
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), OPENBLAS_NUM_THREADS="1")
    server = subprocess.Popen([sys.executable, "-m", "glassnet", "serve", str(tiny_digit_model),
                               "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=env, cwd=tmp_path)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        head = (f"POST /api/predict HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n").encode()
        raw_request(port, head + b'{"image": "data:image/png;base64,AAAA', read=False)  # then hang up
        refused = raw_request(port, b"GET /api/info HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
        assert refused.startswith(b"HTTP/1.1 400") and b'{"error":"invalid host header' in refused
        body = pixels_json(str(10**400)).encode()
        huge = raw_request(port, (f"POST /api/predict HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                                  f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                                  ).encode() + body)
        assert huge.startswith(b"HTTP/1.1 422")
        time.sleep(0.3)
    finally:
        server.terminate()
        _, err = server.communicate(timeout=10)
    assert b"Traceback" not in err and b"Exception" not in err, err.decode()[-2000:]


def test_probabilities_are_finite_numbers(client):
    result = post(client, {"image": data_url(drawing()), "inside": True}).json()
    assert all(math.isfinite(p) for p in result["probabilities"])


@pytest.mark.parametrize("declared, status", [("-1", 400), ("12abc", 400), ("+5", 400), ("99999999999", 413)])
def test_a_content_length_that_is_no_size_is_a_bad_request_not_too_large(client, declared, status):
    response = client.post("/api/predict", content=b"{}", headers={"Content-Type": "application/json",
                                                                    "Content-Length": declared})
    assert response.status_code == status and response.headers["content-type"] == "application/json"
    assert ("whole number of bytes" if status == 400 else "too large") in response.json()["error"]
