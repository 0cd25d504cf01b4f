"""The drawing page's number mode: ``POST /api/read`` through Starlette's TestClient."""

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

starlette = pytest.importorskip("starlette", reason="starlette is not installed (pip install glassnet)")
from starlette.testclient import TestClient  # noqa: E402

from glassnet import load_model  # noqa: E402
from glassnet.interfaces.web.app import MAX_BODY_BYTES, create_app  # noqa: E402
from test_reader import write  # noqa: E402


def data_url(array):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@pytest.fixture(scope="module")
def client(model_file):
    with TestClient(create_app(load_model(model_file), model_file="templates.npz")) as client:
        yield client


def post(client, body, content_type="application/json"):
    return client.post("/api/read", content=json.dumps(body), headers={"Content-Type": content_type})


def test_the_page_offers_the_number_mode(client):
    assert {"name": "number", "endpoint": "/api/read"} in client.get("/api/info").json()["modes"]


def test_reads_a_number_drawn_on_a_wide_canvas(client):
    response = post(client, {"image": data_url(write("7051"))})
    assert response.status_code == 200
    result = response.json()
    assert result["blank"] is False and result["text"] == "7051"
    assert [d["digit"] for d in result["digits"]] == [7, 0, 5, 1]
    assert all(len(d["box"]) == 4 and 0 < d["confidence"] <= 1 for d in result["digits"])
    assert np.array(result["images28"]).shape == (4, 28, 28)
    assert 0 < result["confidence"] <= 1 and result["ms"] > 0


def test_a_blank_canvas_is_blank(client):
    result = post(client, {"image": data_url(np.full((100, 300), 255, np.uint8))}).json()
    assert result == {"blank": True, "text": None}


@pytest.mark.parametrize("body, status, message", [
    ({}, 422, "image"),
    ({"image": "not a data url"}, 422, "data URL"),
    ({"image": "data:image/png;base64,%%%"}, 422, "base64"),
    ({"image": "data:image/png;base64," + base64.b64encode(b"not a png").decode()}, 422, "image"),
    ({"image": "x", "pixels": []}, 422, "unknown field"),
])
def test_bad_requests_get_a_clear_json_error(client, body, status, message):
    response = post(client, body)
    assert response.status_code == status
    assert message in response.json()["error"]


def test_wrong_content_type_and_oversized_bodies(client):
    assert post(client, {"image": "x"}, content_type="text/plain").status_code == 415
    huge = {"image": "data:image/png;base64," + "A" * (MAX_BODY_BYTES + 10)}
    response = post(client, huge)
    assert response.status_code == 413 and "too large" in response.json()["error"]


def test_too_many_marks_is_a_422_not_a_long_search(client):
    image = np.full((64, 1200), 255, np.uint8)
    for i in range(60):
        image[14:50, 10 + 20 * i:14 + 20 * i] = 0
    response = post(client, {"image": data_url(image)})
    assert response.status_code == 422 and "more than 50" in response.json()["error"]


# -- the page, in a real browser (skips without playwright and Debian's chromium) ---------
def test_number_mode_in_the_browser(tiny_digit_model, tmp_path):
    """Switch the page to "Whole number", write 1 7 1 across the wide pad, read it back."""
    e2e = pytest.importorskip("test_web_e2e", reason="the browser test helpers")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not e2e.CHROMIUM.exists():
        pytest.skip(f"{e2e.CHROMIUM} not found: install Debian's chromium (apt-get install chromium)")
    server = e2e.server.__wrapped__(tiny_digit_model)   # the same uvicorn-in-a-thread server
    url = next(server)
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(e2e.CHROMIUM), headless=True,
                                                 args=e2e.ARGS)
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(url)
            sync_api.expect(page.locator("#modes button")).to_have_count(2)
            page.get_by_role("button", name="Whole number").click()
            pad = page.locator("#pad").bounding_box()
            assert pad["width"] > 2.8 * pad["height"]                 # a wide pad
            # Three strokes in pad coordinates (x, y in 0..1): a 1, a 7, a 1.
            e2e.draw(page, [[(0.2, 0.15), (0.2, 0.85)],
                            [(0.4, 0.2), (0.58, 0.2), (0.46, 0.85)],
                            [(0.78, 0.15), (0.78, 0.85)]])
            sync_api.expect(page.locator("#digit")).to_have_text("171", timeout=10_000)
            assert "whole number" in page.locator("#confidence").text_content()
            sync_api.expect(page.locator("#per-digit .one-digit")).to_have_count(3)   # each digit as seen
            assert page.locator("#inside").is_visible()             # look inside the digits too
            page.screenshot(path=tmp_path / "number-mode.png", full_page=True)
            browser.close()
    finally:
        next(server, None)
