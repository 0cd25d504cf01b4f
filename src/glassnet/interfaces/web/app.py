"""The drawing page's server: a small Starlette app around one model, loaded once.

Routes (see :data:`API_ROUTES`)::

    GET  /                the page (static/index.html; its CSS and JS under /static)
    GET  /api/info        the model: name, dataset, test accuracy, layers, the page's modes
    POST /api/predict     {"image": "data:image/png;base64,..."} or {"pixels": 28x28 in 0..1},
                          optional "inside": true -> probabilities, the 28x28 the network
                          saw, and (with inside) every layer's output
    POST /api/read        {"image": "data:image/png;base64,..."} of a whole number -> its
                          digits, their confidences and boxes, and each 28x28 the network saw

Bad requests get a 4xx status and ``{"error": "one line"}``: a body over
:data:`MAX_BODY_BYTES` (413), a body that isn't JSON (400), the wrong content type (415),
or fields that aren't what the API expects (422).

The model's layers keep their last input for a backward pass, so two requests must not
run the model at the same time. The handlers are ``async`` and do their few milliseconds
of NumPy work directly on the event loop, which runs one at a time: no locks needed.

Adding a mode (the number reader, say) takes a handler, one line in :data:`API_ROUTES`
and one in :data:`MODES`; the page builds its mode switch from ``/api/info``.
"""

import base64
import binascii
import json
import re
import time
from pathlib import Path

import numpy as np
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from glassnet.errors import GlassnetError
from glassnet.interfaces.web.inside import describe_layers, look_inside
from glassnet.workbench.preprocess import MIN_CONTRAST, BlankImageError, to_mnist
from glassnet.workbench.recognize import class_names, classify

STATIC = Path(__file__).resolve().parent / "static"
MAX_BODY_BYTES = 2_000_000   # a 280x280 drawing is ~10 kB; a phone photo as a data URL fits too
DATA_URL = re.compile(r"data:image/[a-z0-9.+-]+;base64,", re.IGNORECASE)
PREDICT_FIELDS = {"image", "pixels", "inside"}

# Locks the page out of everything that isn't glassnet's own: no CDN, no inline script.
SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; object-src 'none'; "
                                 b"base-uri 'none'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


# -- reading a request --------------------------------------------------------------------
async def read_json(request, limit=MAX_BODY_BYTES):
    """The request's JSON object, read at most ``limit`` bytes far; else an HTTPException."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise HTTPException(415, f"send JSON with Content-Type: application/json, not {content_type or 'nothing'!r}")
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise HTTPException(413, f"request body too large: {declared} bytes (limit {limit:,})")
    body = bytearray()
    async for chunk in request.stream():   # a body sent in chunks has no declared length
        body += chunk
        if len(body) > limit:
            raise HTTPException(413, f"request body too large: over {limit:,} bytes")
    try:
        data = json.loads(body, parse_constant=reject_constant)
    except (ValueError, UnicodeDecodeError) as error:
        raise HTTPException(400, f"body is not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise HTTPException(422, f"expected a JSON object, got {type(data).__name__}")
    return data


def reject_constant(name):
    """json.loads accepts NaN and Infinity, which JSON itself does not; refuse them."""
    raise ValueError(f"{name} is not allowed")


def check_fields(data, allowed):
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise HTTPException(422, f"unknown field {unknown[0]!r}; expected {', '.join(sorted(allowed))}")


def image_bytes(data):
    """The bytes of the image in ``data["image"]``, a ``data:image/...;base64,`` URL."""
    url = data["image"]
    if not isinstance(url, str) or not DATA_URL.match(url):
        raise HTTPException(422, "image must be a data URL: 'data:image/png;base64,...'")
    try:
        return base64.b64decode(url[url.index(",") + 1:], validate=True)
    except (binascii.Error, ValueError):
        raise HTTPException(422, "image: the data URL is not valid base64") from None


def pixel_array(data):
    """``data["pixels"]`` as a float32 (28, 28) array in 0..1 (light ink on dark, like MNIST)."""
    try:
        pixels = np.array(data["pixels"], dtype=np.float64)
    except (ValueError, TypeError):
        raise HTTPException(422, "pixels must be 28 rows of 28 numbers") from None
    if pixels.shape != (28, 28):
        raise HTTPException(422, f"pixels must be 28 rows of 28 numbers, got shape {pixels.shape}")
    if not (pixels.min() >= 0 and pixels.max() <= 1):
        raise HTTPException(422, f"pixels must be in 0..1 (MNIST / 255), got {pixels.min():g}..{pixels.max():g}")
    return pixels.astype(np.float32)


def digit_from(data):
    """The 28x28 digit a predict request describes, or None when it is blank."""
    if ("image" in data) == ("pixels" in data):
        raise HTTPException(422, "send exactly one of 'image' (a PNG data URL) or 'pixels' (28x28)")
    if "pixels" in data:
        pixels = pixel_array(data)
        return None if pixels.max() < MIN_CONTRAST else pixels
    try:
        return to_mnist(image_bytes(data), name="image")
    except BlankImageError:
        return None
    except GlassnetError as error:
        raise HTTPException(422, str(error)) from None


# -- the handlers -------------------------------------------------------------------------
async def index(request):
    return FileResponse(STATIC / "index.html")


async def info(request):
    state = request.app.state
    settings = state.model.settings or {}
    return JSONResponse({
        "model": state.model.name,
        "file": state.model_file,
        "arch": settings.get("arch"),
        "dataset": settings.get("dataset"),
        "test_accuracy": settings.get("test_accuracy"),
        "epochs": settings.get("epochs"),
        "params": int(state.model.count_params()),
        "classes": state.classes,
        "layers": describe_layers(state.model),
        "modes": [{"name": name, "endpoint": endpoint} for name, endpoint in MODES.items()],
        "max_body_bytes": MAX_BODY_BYTES,
    })


async def predict(request):
    start = time.perf_counter()
    data = await read_json(request)
    check_fields(data, PREDICT_FIELDS)
    inside = data.get("inside", False)
    if not isinstance(inside, bool):
        raise HTTPException(422, "inside must be true or false")
    digit = digit_from(data)
    if digit is None:
        return JSONResponse({"blank": True, "label": None})
    model, classes = request.app.state.model, request.app.state.classes
    probabilities = classify(model, digit[None])[0]
    best = int(probabilities.argmax())
    result = {
        "blank": False,
        "label": classes[best],
        "index": best,
        "confidence": round(float(probabilities[best]), 5),
        "probabilities": [round(float(p), 5) for p in probabilities],
        "classes": classes,
        "image28": np.round(digit, 3).tolist(),
    }
    if inside:
        result["inside"] = look_inside(model, digit)
    result["ms"] = round(1000 * (time.perf_counter() - start), 2)
    return JSONResponse(result)


async def read(request):
    """The number mode: read every digit of a number drawn across a wide canvas."""
    from glassnet.workbench.reader import read_number

    start = time.perf_counter()
    data = await read_json(request)
    check_fields(data, {"image"})
    if "image" not in data:
        raise HTTPException(422, "send 'image': a PNG data URL of the number")
    try:
        reading = read_number(request.app.state.model, image_bytes(data), name="image")
    except BlankImageError:
        return JSONResponse({"blank": True, "text": None})
    except GlassnetError as error:
        raise HTTPException(422, str(error)) from None
    result = {"blank": False, **reading.to_dict(),
              "images28": [np.round(image, 3).tolist() for image in reading.images]}
    result["ms"] = round(1000 * (time.perf_counter() - start), 2)
    return JSONResponse(result)


async def error_response(request, error):
    """Every error as JSON: ``{"error": "one line"}`` with the right status."""
    return JSONResponse({"error": error.detail}, status_code=error.status_code,
                        headers=getattr(error, "headers", None))


async def server_error(request, error):
    return JSONResponse({"error": f"internal error: {type(error).__name__}"}, status_code=500)


# The page's modes: name -> endpoint. /api/info lists them; the page shows a switch when
# there is more than one. A new mode adds its route below and its name here.
MODES = {"digit": "/api/predict", "number": "/api/read"}

API_ROUTES = [
    Route("/api/info", info, methods=["GET"]),
    Route("/api/predict", predict, methods=["POST"]),
    Route("/api/read", read, methods=["POST"]),
]


class SecurityHeaders:
    """ASGI middleware adding :data:`SECURITY_HEADERS` to every response."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers if scope["type"] == "http" else send)


def create_app(model, model_file="model", allowed_hosts=None, extra_routes=()):
    """The Starlette app serving the page for ``model`` (already loaded and checked).

    Args:
        model: a Sequential that reads 28x28 digits.
        model_file: the file it came from, shown on the page.
        allowed_hosts: Host headers to answer (e.g. ``["127.0.0.1", "localhost"]``), which
            stops other web sites reaching a localhost server through DNS rebinding.
            None answers every host.
        extra_routes: more routes, placed before the static files.
    """
    routes = [Route("/", index, methods=["GET"]), *API_ROUTES, *extra_routes,
              Mount("/static", StaticFiles(directory=STATIC), name="static")]
    middleware = [Middleware(SecurityHeaders)]
    if allowed_hosts:
        middleware.append(Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts)))
    app = Starlette(routes=routes, middleware=middleware,
                    exception_handlers={HTTPException: error_response, Exception: server_error})
    app.state.model = model
    app.state.model_file = str(model_file)
    app.state.classes = class_names(model)
    return app
