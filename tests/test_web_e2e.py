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
HASH = [[(0.35, 0.1), (0.3, 0.9)], [(0.65, 0.1), (0.6, 0.9)], [(0.1, 0.35), (0.9, 0.35)],   # not a digit
        [(0.1, 0.65), (0.9, 0.65)]]
ONE_SEVEN_ONE = [[(0.2, 0.15), (0.2, 0.85)], [(0.4, 0.2), (0.58, 0.2), (0.46, 0.85)], [(0.78, 0.15), (0.78, 0.85)]]


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
    from glassnet import load_model
    from glassnet.interfaces.web.app import create_app

    app = create_app(load_model(tiny_digit_model), model_file="tiny-mlp.npz",
                     allowed_hosts=["127.0.0.1", "localhost"])
    yield from serving(app)


def serving(app):
    """Run ``app`` under uvicorn in a thread on a free port; yield its URL, then stop it."""
    uvicorn = pytest.importorskip("uvicorn")
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


# -- the second pass (issue 15): not a digit, which pixels mattered, corrections, whole
# numbers, two models side by side, the phone layout -----------------------------------------
@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("collect") / "digits"


@pytest.fixture(scope="module")
def workbench(tiny_digit_model, tiny_digit_model_with_detector, folder):
    """The model with a not-a-digit detector, keeping corrections in ``folder``."""
    from glassnet import load_model
    from glassnet.interfaces.web.app import create_app

    app = create_app(load_model(tiny_digit_model_with_detector), model_file="tiny-mlp.npz",
                     allowed_hosts=["127.0.0.1", "localhost"], collect=folder)
    yield from serving(app)


@pytest.fixture(scope="module")
def two_models(tiny_digit_model, tiny_digit_model_with_detector):
    """Two models side by side: with a detector, and the same network without one."""
    from glassnet import load_model
    from glassnet.interfaces.web.app import create_app

    app = create_app(load_model(tiny_digit_model_with_detector), model_file="with-detector.npz",
                     allowed_hosts=["127.0.0.1", "localhost"],
                     compare=[(load_model(tiny_digit_model), "without-detector.npz")])
    yield from serving(app)


def open_page(browser, url, **options):
    context = browser.new_context(**({"viewport": {"width": 1200, "height": 900}} | options))
    page = context.new_page()
    page.goto(url)
    expect(page.locator("#model-info")).to_contain_text("test accuracy")
    return page


def orange_pixels(page, canvas="heat"):
    """How many pixels of a 28x28 canvas the saliency overlay has turned orange."""
    return page.evaluate(f"""() => {{
        const data = document.getElementById('{canvas}').getContext('2d').getImageData(0, 0, 28, 28).data;
        let n = 0; for (let i = 0; i < data.length; i += 4) n += data[i] - data[i + 2] > 60; return n; }}""")


def test_a_drawing_that_is_not_a_digit_is_refused(browser, workbench, tmp_path):
    page = open_page(browser, workbench)
    assert page.locator("#note").is_hidden()            # this model can refuse: nothing to say
    draw(page, HASH)
    expect(page.locator("#confidence")).to_contain_text("That's not a digit", timeout=10_000)
    assert page.locator("#digit").text_content() == "✗"
    assert page.locator("#bars.refused").count() == 1     # the bars stay, greyed
    page.wait_for_timeout(300)                  # a fresh frame for the screenshot
    page.screenshot(path=tmp_path / "not-a-digit.png", full_page=True)
    page.click("#clear")
    draw(page, SEVEN)
    assert shown_digit(page, "7") == "7"
    assert page.locator("#bars.refused").count() == 0
    page.context.close()


def test_the_saliency_overlay_follows_the_drawing(browser, workbench, tmp_path):
    page = open_page(browser, workbench)
    assert orange_pixels(page) == 0
    draw(page, ONE)
    shown_digit(page, "1")
    expect(page.locator("#heat")).to_have_attribute("data-drawn", "yes")
    first = page.evaluate("Array.from(document.getElementById('heat').getContext('2d')"
                          ".getImageData(0, 0, 28, 28).data)")
    assert orange_pixels(page) > 10
    draw(page, [[(0.3, 0.2), (0.5, 0.16)]])             # a flag on the 1: the map is redrawn
    page.wait_for_function("(first) => { const now = document.getElementById('heat').getContext('2d')"
                           ".getImageData(0, 0, 28, 28).data; return now.some((v, i) => v !== first[i]); }",
                           arg=first, timeout=10_000)
    page.wait_for_timeout(300)                  # a fresh frame for the screenshot
    page.screenshot(path=tmp_path / "saliency.png", full_page=True)
    page.click("#clear")
    assert orange_pixels(page) == 0
    page.context.close()


def test_wrong_it_was_a_keeps_the_drawing_in_the_collect_folder(browser, workbench, folder):
    from glassnet.workbench.handwriting import load_user_digits
    page = open_page(browser, workbench)
    assert page.locator("#correct").is_hidden()          # nothing drawn, nothing to correct
    draw(page, SEVEN)
    shown_digit(page, "7")
    expect(page.locator("#correct")).to_be_visible()
    page.locator("#choices").get_by_role("button", name="1", exact=True).click()
    expect(page.locator("#correct-said")).to_contain_text("Kept as a 1: 1/0001.png", timeout=10_000)
    assert "--extra-data" in page.locator("#correct-said").text_content()
    x, y, files = load_user_digits(folder)
    assert [f.relative_to(folder).as_posix() for f in files] == ["1/0001.png"] and y.tolist() == [1]
    assert x[0].max() > 0.9                                 # the seven as drawn, kept as a "1"
    page.context.close()


def test_whole_numbers_get_boxes_on_the_drawing_and_bars_per_digit(browser, workbench, tmp_path):
    page = open_page(browser, workbench)
    page.get_by_role("button", name="Whole number").click()
    page.click("#inside summary")
    draw(page, ONE_SEVEN_ONE)
    expect(page.locator("#digit")).to_have_text("171", timeout=10_000)
    expect(page.locator("#per-digit .one-digit")).to_have_count(3)
    assert page.locator("#per-digit .one-digit").nth(1).locator(".mini-bars span").count() == 10
    assert page.locator("#bars").is_hidden()
    # A blue box round each digit, on the pad: blue columns in three groups, left to right.
    columns = page.evaluate("""() => {
        const c = document.getElementById('marks'), d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const blue = new Array(c.width).fill(0);
        for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 200 && d[i + 2] > 180 && d[i] < 100) blue[(i / 4) % c.width]++;
        return blue.map((n, x) => n > 0 ? x : -1).filter((x) => x >= 0).map((x) => x / c.width); }""")
    groups = [columns[0]] + [b for a, b in zip(columns, columns[1:]) if b - a > 0.05]
    assert len(groups) == 3 and groups[0] < 0.25 < groups[1] < 0.6 < groups[2]
    # Look inside stays: the chosen digit's layers, and another digit when clicked.
    expect(page.locator("#layers .cell")).to_have_count(128 + 64 + 10)
    expect(page.locator("#inside-which")).to_contain_text("Digit 1 of 3, read as 1")
    page.locator("#per-digit .one-digit").nth(1).click()
    expect(page.locator("#inside-which")).to_contain_text("Digit 2 of 3, read as 7")
    expect(page.locator("#layers .cells.labelled .cell.lit")).to_have_text("7")
    page.wait_for_timeout(300)                  # a fresh frame for the screenshot
    page.screenshot(path=tmp_path / "whole-number.png", full_page=True)
    page.context.close()


def test_two_models_side_by_side(browser, two_models, tmp_path):
    page = open_page(browser, two_models)
    expect(page.locator(".result-card")).to_have_count(2)
    assert " vs " in page.locator("#model-info").text_content()
    expect(page.locator("#note")).to_contain_text("without-detector.npz has no not-a-digit detector")
    assert "glassnet calibrate without-detector.npz" in page.locator("#note").text_content()
    draw(page, SEVEN)
    assert shown_digit(page, "7") == "7"
    expect(page.locator("#digit-1")).to_have_text("7", timeout=10_000)
    left, right = page.locator("#result-0").bounding_box(), page.locator("#result-1").bounding_box()
    assert abs(left["y"] - right["y"]) < 2 and right["x"] > left["x"] + left["width"]   # side by side
    page.click("#clear")
    draw(page, HASH)                                     # one refuses it, the other can't
    expect(page.locator("#confidence")).to_contain_text("That's not a digit", timeout=10_000)
    expect(page.locator("#digit-1")).not_to_have_text("✗")
    expect(page.locator("#digit-1")).not_to_have_text("?")
    page.wait_for_timeout(300)                  # a fresh frame for the screenshot
    page.screenshot(path=tmp_path / "two-models.png", full_page=True)
    page.context.close()


def test_phone_layout_has_a_tall_number_pad(browser, workbench, tmp_path):
    page = open_page(browser, workbench, viewport={"width": 390, "height": 844}, device_scale_factor=2,
                     is_mobile=True, has_touch=True)
    pad, result = page.locator("#pad").bounding_box(), page.locator(".result-card").bounding_box()
    assert pad["width"] <= 390 and result["y"] > pad["y"] + pad["height"]     # one column
    page.get_by_role("button", name="Whole number").click()
    page.wait_for_timeout(200)
    pad = page.locator("#pad").bounding_box()
    assert pad["height"] >= pad["width"] / 1.6 and pad["height"] > 200      # tall enough to write in
    draw(page, ONE_SEVEN_ONE)
    expect(page.locator("#digit")).to_have_text("171", timeout=10_000)
    assert page.locator("#pad").bounding_box()["x"] + pad["width"] <= 390
    page.wait_for_timeout(300)                  # a fresh frame for the screenshot
    page.screenshot(path=tmp_path / "phone-number.png", full_page=True)
    page.context.close()
