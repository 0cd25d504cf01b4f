"""Fuzz tests of the drawing page's API: generated bodies and JSON structures.

Whatever is sent, the answer is a 200 or a 4xx with ``{"error": "one line"}``: never a
500, never a body that isn't JSON, never NaN. (The examples are fixed: see conftest.py.)
"""

import base64
import io
import json

import pytest

hypothesis = pytest.importorskip("hypothesis", reason="hypothesis is not installed (pip install '.[test]')")
pytest.importorskip("starlette", reason="starlette is not installed (pip install glassnet)")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from PIL import Image  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from glassnet import load_model  # noqa: E402
from glassnet.interfaces.web.app import create_app  # noqa: E402

pytestmark = pytest.mark.fuzz
module_client = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def client(tiny_digit_model, tmp_path_factory):
    app = create_app(load_model(tiny_digit_model), allowed_hosts=["testserver"],
                     collect=tmp_path_factory.mktemp("collect"))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def check(response):
    assert response.status_code == 200 or 400 <= response.status_code < 500, response.text[:300]
    body = json.loads(response.text, parse_constant=lambda name: pytest.fail(f"{name} in the JSON"))
    if response.status_code != 200:
        assert isinstance(body["error"], str) and "\n" not in body["error"]
    return body


NUMBERS = st.one_of(st.integers(-2, 2), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                    st.floats(0, 1), st.sampled_from([10**400, -(10**30), 1e308, 5e-324, 0.5]))
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), NUMBERS, st.text(max_size=10)),
    lambda children: st.one_of(st.lists(children, max_size=30), st.dictionaries(st.text(max_size=8), children, max_size=4)),
    max_leaves=60)


@st.composite
def pixel_grids(draw):
    """Nearly 28x28 grids: the right shape with odd values, or odd shapes of numbers."""
    rows = draw(st.sampled_from([28, 28, 28, 27, 29, 0, 1]))
    cols = draw(st.sampled_from([28, 28, 28, 27, 29, 0, 1]))
    value = draw(st.one_of(st.floats(0, 1), NUMBERS, st.text(max_size=3), st.booleans(), st.none()))
    grid = [[draw(st.floats(0, 1)) for _ in range(cols)] for _ in range(rows)]
    if rows and cols:
        grid[draw(st.integers(0, rows - 1))][draw(st.integers(0, cols - 1))] = value
    return grid


def image_url(data, kind="png"):
    return f"data:image/{kind};base64," + base64.b64encode(data).decode()


def png(size):
    buffer = io.BytesIO()
    Image.new("L", size, 255).save(buffer, format="PNG")
    return buffer.getvalue()


BODIES = st.one_of(
    JSON.map(json.dumps),
    st.fixed_dictionaries({"pixels": pixel_grids()}, optional={"inside": JSON}).map(json.dumps),
    st.fixed_dictionaries({"image": st.one_of(JSON, st.binary(max_size=300).map(image_url),
                                              st.sampled_from([(1, 1), (8, 300), (3000, 8), (300, 300)])
                                              .map(png).map(image_url))},
                          optional={"label": st.one_of(JSON, st.sampled_from(["7", "x", "../7"])),
                                    "model": JSON, "saliency": JSON}).map(json.dumps),
    st.binary(max_size=300),
)


@module_client
@given(body=BODIES, path=st.sampled_from(["/api/predict", "/api/read", "/api/collect"]))
def test_the_api_answers_every_body_with_json(client, body, path):
    response = client.post(path, content=body, headers={"Content-Type": "application/json"})
    body = check(response)
    if response.status_code == 200:
        assert "blank" in body or "saved" in body


@module_client
@given(content_type=st.one_of(st.text(max_size=40), st.sampled_from(["application/json; charset=utf-8", ""])),
       method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
       path=st.sampled_from(["/api/predict", "/api/read", "/api/collect", "/api/info", "/api/x",
                             "/static/../app.py"]))
def test_any_method_path_and_content_type(client, content_type, method, path):
    headers = {"Content-Type": content_type.encode("ascii", "ignore").decode().replace("\n", "")}
    response = client.request(method, path, content=b"{}", headers=headers)
    assert response.status_code < 500
    if path.startswith("/api"):
        check(response)
