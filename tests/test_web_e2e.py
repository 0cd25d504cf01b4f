"""The drawing page in a real browser: Debian's chromium, driven by Playwright.

A uvicorn server runs in a thread on a free localhost port with a tiny trained MLP; the
test draws digits with mouse strokes, as a person would, and reads the page's answer.
Screenshots are saved under pytest's tmp_path. Skips (saying why) without chromium or
the playwright package; `.ci/run` installs chromium, and `playwright install` is never
needed because the system browser is used.
"""

import socket
import threading
import time
from pathlib import Path

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
expect = sync_api.expect

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

# Strokes in pad coordinates (0..1): a seven, a one, and a stray scribble.
SEVEN = [[(0.28, 0.22), (0.72, 0.22), (0.44, 0.82)]]
ONE = [[(0.5, 0.16), (0.5, 0.84)]]
SCRIBBLE = [[(0.1, 0.9), (0.9, 0.5)]]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server(tiny_digit_model):
    """The real app under uvicorn in a thread; yields its URL."""
    uvicorn = pytest.importorskip("uvicorn")
    from glassnet import load_model
    from glassnet.interfaces.web.app import create_app

    app = create_app(load_model(tiny_digit_model), model_file="tiny-mlp.npz",
                     allowed_hosts=["127.0.0.1", "localhost"])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)   # see serve.py
    sock.bind(("127.0.0.1", 0))                    # port 0: the system picks a free one
    sock.listen(64)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(10)
    sock.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.requests = []
    page.on("request", lambda request: page.requests.append(request.url))
    page.goto(server)
    expect(page.locator("#model-info")).to_contain_text("test accuracy")
    yield page
    context.close()


def draw(page, strokes):
    """Draw ``strokes`` on the pad with the mouse: press, glide through the points, release."""
    box = page.locator("#pad").bounding_box()
    at = lambda p: (box["x"] + p[0] * box["width"], box["y"] + p[1] * box["height"])  # noqa: E731
    for stroke in strokes:
        page.mouse.move(*at(stroke[0]))
        page.mouse.down()
        for point in stroke[1:]:
            page.mouse.move(*at(point), steps=12)
        page.mouse.up()


def shown_digit(page, expected, timeout=10_000):
    """Wait until the page shows ``expected`` as its answer; return what it shows."""
    expect(page.locator("#digit")).to_have_text(expected, timeout=timeout)
    return page.locator("#digit").text_content()


def test_draw_a_seven_and_see_it_read(page, server, tmp_path):
    assert page.locator("#digit").text_content() == "?"        # a blank canvas: no prediction
    assert not any("/api/predict" in url for url in page.requests)
    draw(page, SEVEN)
    assert shown_digit(page, "7") == "7"
    assert "sure" in page.locator("#confidence").text_content()
    top = page.locator("#bars li.best .name").text_content()
    assert top == "7"
    # The 28x28 preview shows light ink on black, as the network sees it.
    lit = page.evaluate("""() => {
        const data = document.getElementById('seen').getContext('2d').getImageData(0, 0, 28, 28).data;
        let lit = 0; for (let i = 0; i < data.length; i += 4) lit += data[i] > 128; return lit; }""")
    assert 40 < lit < 400
    page.wait_for_timeout(300)                                  # let the bars finish growing
    page.screenshot(path=tmp_path / "drawing-page.png", full_page=True)
    assert (tmp_path / "drawing-page.png").stat().st_size > 10_000
    # Everything came from our own server: no CDN, no fonts from elsewhere.
    assert all(url.startswith(server) or url.startswith("data:") for url in page.requests)


def test_undo_and_clear(page):
    draw(page, ONE)
    shown_digit(page, "1")
    draw(page, SCRIBBLE)
    page.wait_for_timeout(300)
    page.click("#undo")
    assert shown_digit(page, "1") == "1"
    page.click("#clear")
    assert shown_digit(page, "?") == "?"
    assert page.locator("#bars li.best").count() == 0
    assert page.locator("#undo").is_disabled()


def test_look_inside(page, tmp_path):
    page.click("#inside summary")
    draw(page, SEVEN)
    shown_digit(page, "7")
    expect(page.locator("#layers .cell")).to_have_count(128 + 64 + 10)
    titles = page.locator("#layers h3").all_text_contents()
    assert len(titles) == 3 and "Dense" in titles[0] and "relu" in titles[0]
    page.wait_for_timeout(300)
    page.screenshot(path=tmp_path / "look-inside.png", full_page=True)


def test_phone_layout_draws_instead_of_scrolling(browser, server, tmp_path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(server)
    assert page.evaluate("getComputedStyle(document.getElementById('pad')).touchAction") == "none"
    pad, result = page.locator("#pad").bounding_box(), page.locator(".result-card").bounding_box()
    assert pad["width"] <= 390 and result["y"] > pad["y"] + pad["height"]   # one column
    draw(page, ONE)
    assert shown_digit(page, "1") == "1"
    page.wait_for_timeout(300)
    page.screenshot(path=tmp_path / "phone.png", full_page=True)
    context.close()
