"""The drawing page's server: a small Starlette app around one model (or two, side by
side), loaded once.

Routes (see :data:`API_ROUTES`)::

    GET  /                the page (static/index.html; its CSS and JS under /static)
    GET  /api/info        the models: name, dataset, test accuracy, layers, whether each can
                          refuse non-digits; the page's modes; the collection folder; the
                          line reader (or null)
    POST /api/predict     {"image": "data:image/png;base64,..."} or {"pixels": 28x28 in 0..1},
                          optional "inside": true, "saliency": true, "model": 1 -> the status
                          (ok, unsure or not_a_digit), probabilities, the 28x28 the network
                          saw, (with saliency) which of its pixels mattered, and (with inside)
                          every layer's output
    POST /api/read        {"image": "data:image/png;base64,..."} of a whole number, optional
                          "model" -> its digits, their confidences, probabilities and boxes,
                          each 28x28 the network saw, the marks left out as not digits, and
                          which files read it (with ``glassnet serve --reader LINE.npz``, the
                          line reader, rescored by the model asked)
    POST /api/collect     {"image": ..., "label": "7"}: "Wrong? It was a 7": keep the drawing
                          in the collection folder (``glassnet serve --collect DIR``), for
                          ``glassnet train --resume MODEL --extra-data DIR``

Bad requests get a 4xx status and ``{"error": "one line"}``: a body over
:data:`MAX_BODY_BYTES` (413), a body that isn't JSON, is nested too deep or holds a
number too big for a float (400), the wrong content type (415), fields that aren't what
the API expects (422: pixels that are strings or booleans, an image that isn't one or
declares more than :data:`MAX_IMAGE_PIXELS` pixels), a Host the server doesn't answer
(400). No response ever holds NaN or infinity.

The work one request causes is bounded: the body's size, the picture's declared pixel
count (checked before decoding), the size it is decoded at (:data:`WORK_SIDE`). Images
are decoded and prepared in :data:`WORKERS` worker threads, off the event loop, so a big
photo never stalls the other requests; at most :data:`MAX_QUEUED` requests wait for a
worker (more get 503, "busy"). The model's layers keep their last input for a backward
pass, so two threads must not run it at once: model calls hold ``state.model_lock``.

Adding a mode (the number reader, say) takes a handler, one line in :data:`API_ROUTES`
and one in :data:`MODES`; the page builds its mode switch from ``/api/info``.

A model saved with a not-a-digit detector (:mod:`glassnet.workbench.novelty`) answers
``"status": "not_a_digit"`` for a drawing that is no digit; one without says
``"can_refuse": false`` in ``/api/info``, and the page says once that it reads anything
as a digit.
"""

import asyncio
import base64
import binascii
import contextlib
import json
import math
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from glassnet.errors import GlassnetError, ModelFileError
from glassnet.interfaces.web.inside import describe_layers, look_inside
from glassnet.workbench.images import load_gray, open_image
from glassnet.workbench.novelty import UNSURE_BELOW, has_detector, judge
from glassnet.workbench.preprocess import MIN_CONTRAST, BlankImageError, to_mnist
from glassnet.workbench.recognize import class_names, classify

STATIC = Path(__file__).resolve().parent / "static"
MAX_BODY_BYTES = 2_000_000   # a 280x280 drawing is ~10 kB; a phone photo as a data URL fits too
MAX_IMAGE_PIXELS = 16_000_000  # a 16-megapixel phone photo (4608x3456); checked before decoding
WORK_SIDE = 2048      # bigger pictures are decoded at 1/2, 1/4, ... until their longer side is at most ~2x this
WORKERS = 2           # threads decoding images and running the model
MAX_QUEUED = 64       # requests waiting for a worker; beyond this, 503
MAX_MODELS = 2         # served side by side
MAX_COLLECTED = 10_000  # pictures in the collection folder; beyond this, corrections are refused
DATA_URL = re.compile(r"data:image/[a-z0-9.+-]+;base64,", re.IGNORECASE)
PREDICT_FIELDS = {"image", "pixels", "inside", "saliency", "model"}

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
    if declared is not None and not (declared.isascii() and declared.isdigit()):
        raise HTTPException(400, f"Content-Length must be a whole number of bytes, not {declared[:40]!r}")
    if declared is not None and int(declared) > limit:
        raise HTTPException(413, f"request body too large: {declared} bytes (limit {limit:,})")
    body = bytearray()
    try:
        async for chunk in request.stream():   # a body sent in chunks has no declared length
            body += chunk
            if len(body) > limit:
                raise HTTPException(413, f"request body too large: over {limit:,} bytes")
    except ClientDisconnect:   # nobody to answer; handled here so that nothing is logged
        raise HTTPException(400, "the client disconnected before sending the whole body") from None
    try:
        data = json.loads(body, parse_constant=reject_constant, parse_float=finite_float)
    except RecursionError:
        raise HTTPException(400, "body is not valid JSON (nested too deep)") from None
    except (ValueError, UnicodeDecodeError) as error:   # also ints of over 4,300 digits
        raise HTTPException(400, f"body is not valid JSON ({str(error)[:200]})") from None
    if not isinstance(data, dict):
        raise HTTPException(422, f"expected a JSON object, got {type(data).__name__}")
    return data


def reject_constant(name):
    """json.loads accepts NaN and Infinity, which JSON itself does not; refuse them."""
    raise ValueError(f"{name} is not allowed")


def finite_float(text):
    """A JSON number with a fraction or exponent; 1e400 would become infinity: refuse it."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:20]} is too large")
    return value


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
    """``data["pixels"]`` as a float32 (28, 28) array in 0..1 (light ink on dark, like MNIST).

    Checked as JSON first: 28 lists of 28 numbers, where a string ("0.5") or a boolean
    (true) is not a number, though NumPy would happily convert both."""
    rows = data["pixels"]
    if not (isinstance(rows, list) and len(rows) == 28
            and all(isinstance(row, list) and len(row) == 28 for row in rows)):
        raise HTTPException(422, f"pixels must be 28 rows of 28 numbers{shape_of(rows)}")
    if not all(type(value) in (int, float) for row in rows for value in row):   # bool is not int here
        raise HTTPException(422, "pixels must be 28 rows of 28 numbers, not strings, booleans or null")
    try:
        pixels = np.array(rows, dtype=np.float64)
    except OverflowError:   # an integer beyond a float's range, e.g. 10**400
        raise HTTPException(422, "pixels must be in 0..1 (MNIST / 255), got a number too large") from None
    if not (pixels.min() >= 0 and pixels.max() <= 1):
        raise HTTPException(422, f"pixels must be in 0..1 (MNIST / 255), got {pixels.min():g}..{pixels.max():g}")
    return pixels.astype(np.float32)


def shape_of(rows):
    """``", got shape (2, 2)"`` for a rectangular list of lists, else ``""``."""
    if isinstance(rows, list) and rows and all(isinstance(row, list) for row in rows):
        if len({len(row) for row in rows}) == 1:
            return f", got shape ({len(rows)}, {len(rows[0])})"
    return ""


def decode(raw):
    """An image's bytes -> float32 gray ``(H, W)``, and how many original pixels one of its
    pixels spans (1.0 unless a big photo was decoded at a fraction of its size).

    Refuses a picture declaring more than :data:`MAX_IMAGE_PIXELS` before decoding it,
    and decodes one larger than :data:`WORK_SIDE` at 1/2, 1/4, ... of its size."""
    image = open_image(raw, name="image", max_pixels=MAX_IMAGE_PIXELS)
    side = max(image.size)
    gray = load_gray(image, name="image", max_side=WORK_SIDE)
    return gray, side / max(gray.shape)


# -- the models -----------------------------------------------------------------------------
class Served:
    """One model the page asks, with what the server keeps beside it.

    Its layers keep their last input for a backward pass, so two threads must not run
    it at once: every call holds ``lock``."""

    def __init__(self, model, model_file):
        self.model = model
        self.file = str(model_file)
        self.classes = class_names(model)
        self.can_refuse = has_detector(model)
        self.lock = threading.Lock()


def model_index(state, data):
    """Which model a request asks, ``"model": index`` (default 0), checked."""
    index = data.get("model", 0)
    if type(index) is not int or not 0 <= index < len(state.models):   # bool is not int here
        raise HTTPException(422, f"model must be an index from 0 to {len(state.models) - 1}")
    return index


# -- the work, done in a worker thread ------------------------------------------------------
def answer_digit(state, pixels, raw, inside, saliency=False, index=0):
    """The predict response for 28x28 ``pixels`` or an image's ``raw`` bytes."""
    from glassnet.workbench.saliency import saliency as saliency_map

    try:
        digit = to_mnist(decode(raw)[0], name="image") if raw is not None else pixels
    except BlankImageError:
        digit = None
    except GlassnetError as error:
        raise HTTPException(422, str(error)) from None
    if digit is None or digit.max() < MIN_CONTRAST:
        return {"blank": True, "label": None}
    one = state.models[index]
    with one.lock:
        if one.can_refuse:
            probabilities, status = judge(one.model, digit[None])
            probabilities, status = probabilities[0], status[0]
        else:
            probabilities = classify(one.model, digit[None])[0]
            status = "ok" if probabilities.max() >= UNSURE_BELOW else "unsure"
        heat = saliency_map(one.model, digit[None])[0] if saliency else None
        layers = look_inside(one.model, digit) if inside else None
    check_finite(probabilities)
    best = int(probabilities.argmax())
    result = {
        "blank": False,
        "status": status,
        "can_refuse": one.can_refuse,
        "label": one.classes[best],
        "index": best,
        "confidence": round(float(probabilities[best]), 5),
        "probabilities": [round(float(p), 5) for p in probabilities],
        "classes": one.classes,
        "image28": np.round(digit, 3).tolist(),
    }
    if saliency:
        result["saliency"] = np.round(np.nan_to_num(heat), 3).tolist()
    if inside:
        result["inside"] = layers
    return result


def answer_number(state, raw, index=0):
    """The read response for an image of a whole number."""
    one = state.models[index]
    left_out = []
    try:
        gray, scale = decode(raw)
        reading, left_out = read_whole_number(state.reader, one, gray)
    except BlankImageError:
        return {"blank": True, "text": None}
    except GlassnetError as error:
        raise HTTPException(422, str(error)) from None
    check_finite(reading.probabilities)
    result = {"blank": False, "can_refuse": one.can_refuse, **reading.to_dict(), "left_out": left_out,
              "reader": one.file if state.reader is None else f"{state.reader.file} + {one.file}",
              "images28": [np.round(image, 3).tolist() for image in reading.images]}
    for digit, probabilities in zip(result["digits"], reading.probabilities):
        digit["probabilities"] = [round(float(p), 4) for p in probabilities]
    if scale != 1:   # boxes in the pixels of the picture sent, not of the smaller one read
        for mark in result["digits"] + left_out:
            mark["box"] = [int(round(v * scale)) for v in mark["box"]]
    return result


def read_whole_number(reader, one, gray):
    """``(reading, marks left out)`` for a picture of a number: read by the line reader
    ``reader`` when the server has one, rescored by the digit model ``one`` (as ``glassnet
    read LINE.npz --digits MODEL.npz`` reads), else by cutting it into digits for ``one``;
    the marks that are not digits left out where ``one`` has a detector
    (:func:`~glassnet.workbench.reader.read_leaving_out_nondigits`)."""
    from glassnet.workbench.reader import read_leaving_out_nondigits

    if reader is not None:
        with reader.lock, one.lock:        # always in this order: no two requests wait on each other
            return read_leaving_out_nondigits(reader.model, gray, name="image", digit_model=one.model)
    with one.lock:                         # marks that are not digits are left out
        return read_leaving_out_nondigits(one.model, gray, name="image")


def keep_correction(state, raw, label):
    """Save a drawing the model read wrong, with its right ``label``, in the collection folder."""
    from glassnet.workbench.handwriting import save_user_digit

    folder = state.collect
    try:
        gray = decode(raw)[0]
        to_mnist(gray, name="image")   # checked: a picture of something, not a blank page
    except BlankImageError:
        raise HTTPException(422, "the drawing is blank: nothing to keep") from None
    except GlassnetError as error:
        raise HTTPException(422, str(error)) from None
    with state.collect_lock:
        kept = sum(1 for _ in folder.glob("*/*.png")) if folder.is_dir() else 0
        if kept >= MAX_COLLECTED:
            raise HTTPException(409, f"the collection folder holds {kept:,} pictures already "
                                     f"(at most {MAX_COLLECTED:,}); teach the model with them first")
        try:
            path = save_user_digit(folder, np.round(gray * 255).astype(np.uint8), label)
        except OSError as error:
            raise HTTPException(500, f"can't write to the collection folder ({error.strerror})") from None
    return {"saved": f"{label}/{path.name}", "folder": str(folder), "label": label,
            "count": sum(1 for _ in path.parent.glob("*.png")), "total": kept + 1}


def check_finite(probabilities):
    """A model whose output is NaN can't answer; say so instead of writing NaN into JSON."""
    if not np.isfinite(probabilities).all():
        raise HTTPException(500, "the model's output is not a number (NaN or infinity): "
                                 "its weights are broken; retrain it")


async def in_worker(request, work, *args):
    """Run ``work(*args)`` in a worker thread, so the event loop keeps answering; 503 when
    :data:`MAX_QUEUED` requests are already waiting."""
    state = request.app.state
    if state.queued >= MAX_QUEUED:
        raise HTTPException(503, f"busy: {state.queued} requests are waiting; try again in a moment")
    state.queued += 1
    try:
        return await asyncio.get_running_loop().run_in_executor(state.workers, work, *args)
    finally:
        state.queued -= 1


# -- the handlers -------------------------------------------------------------------------
async def index(request):
    return FileResponse(STATIC / "index.html")


async def info(request):
    state = request.app.state
    models = [describe_model(one) for one in state.models]
    return JSONResponse({
        **models[0],            # the first model's fields at the top, as with one model
        "models": models,
        "modes": [{"name": name, "endpoint": endpoint} for name, endpoint in MODES.items()],
        "collect": None if state.collect is None else str(state.collect),
        "reader": None if state.reader is None else {"file": state.reader.file, "model": state.reader.model.name,
                                                     "params": int(state.reader.model.count_params())},
        "max_body_bytes": MAX_BODY_BYTES,
    })


def describe_model(one):
    """What the page shows about one model."""
    settings = one.model.settings if isinstance(one.model.settings, dict) else {}
    return {
        "model": one.model.name,
        "file": one.file,
        "arch": text_or_none(settings.get("arch")),
        "dataset": text_or_none(settings.get("dataset")),
        "test_accuracy": number_or_none(settings.get("test_accuracy")),
        "epochs": number_or_none(settings.get("epochs")),
        "params": int(one.model.count_params()),
        "classes": one.classes,
        "can_refuse": one.can_refuse,
        "layers": describe_layers(one.model),
    }


def number_or_none(value):
    """A setting as a finite number, or None (JSON null): a model trained with an empty
    test set has a test accuracy of NaN, which JSON can't hold and which means "unknown"."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if math.isfinite(value) else None


def text_or_none(value):
    return value if isinstance(value, str) else None


async def predict(request):
    start = time.perf_counter()
    data = await read_json(request)
    check_fields(data, PREDICT_FIELDS)
    flags = {name: data.get(name, False) for name in ("inside", "saliency")}
    for name, value in flags.items():
        if not isinstance(value, bool):
            raise HTTPException(422, f"{name} must be true or false")
    if ("image" in data) == ("pixels" in data):
        raise HTTPException(422, "send exactly one of 'image' (a PNG data URL) or 'pixels' (28x28)")
    state = request.app.state
    index = model_index(state, data)
    pixels = pixel_array(data) if "pixels" in data else None
    raw = image_bytes(data) if "image" in data else None
    result = await in_worker(request, answer_digit, state, pixels, raw, flags["inside"],
                             flags["saliency"], index)
    if not result["blank"]:
        result["ms"] = round(1000 * (time.perf_counter() - start), 2)
    return JSONResponse(result)


async def read(request):
    """The number mode: read every digit of a number drawn across a wide canvas."""
    start = time.perf_counter()
    data = await read_json(request)
    check_fields(data, {"image", "model"})
    if "image" not in data:
        raise HTTPException(422, "send 'image': a PNG data URL of the number")
    state = request.app.state
    index = model_index(state, data)
    result = await in_worker(request, answer_number, state, image_bytes(data), index)
    if not result["blank"]:
        result["ms"] = round(1000 * (time.perf_counter() - start), 2)
    return JSONResponse(result)


async def collect(request):
    """"Wrong? It was a ...": keep the drawing and its right label for fine-tuning."""
    data = await read_json(request)
    check_fields(data, {"image", "label"})
    state = request.app.state
    if state.collect is None:
        raise HTTPException(404, "this server keeps no corrections (started with --no-collect)")
    if "image" not in data or "label" not in data:
        raise HTTPException(422, "send 'image' (a PNG data URL of the drawing) and 'label' (e.g. \"7\")")
    label = data["label"]
    if not isinstance(label, str) or label not in state.models[0].classes:
        raise HTTPException(422, f"label must be one of the model's classes: {', '.join(state.models[0].classes)}")
    return JSONResponse(await in_worker(request, keep_correction, state, image_bytes(data), label))


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
    Route("/api/collect", collect, methods=["POST"]),
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


class AllowedHosts:
    """ASGI middleware answering only requests whose Host header names an allowed host.

    This stops another web site reaching a localhost server through DNS rebinding. Any
    other Host gets a 400 with a JSON error, like every other refusal."""

    def __init__(self, app, hosts):
        self.app = app
        self.hosts = {host.lower() for host in hosts}

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            host = host_name(Headers(scope=scope).get("host", ""))
            if host not in self.hosts:
                message = f"invalid host header {host[:100]!r}: this server answers {', '.join(sorted(self.hosts))}"
                await JSONResponse({"error": message}, status_code=400)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def host_name(header):
    """``"localhost:8000"`` -> ``"localhost"``; ``"[::1]:8000"`` -> ``"[::1]"``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[:header.find("]") + 1] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def check_weights(model, model_file):
    """Refuse a model whose weights hold NaN or infinity: every answer would be NaN."""
    for weight in model.weights:   # every layer's, inner layers' too
        if not np.isfinite(weight).all():
            raise ModelFileError(f"{model_file}: its weights hold NaN or infinite values, so it "
                                 "can't answer anything; retrain it (or train with a lower --lr)")


def create_app(model, model_file="model", allowed_hosts=None, extra_routes=(), compare=(), collect=None,
               reader=None):
    """The Starlette app serving the page for ``model`` (already loaded and checked).

    Args:
        model: a model that reads 28x28 digits.
        model_file: the file it came from, shown on the page.
        allowed_hosts: Host headers to answer (e.g. ``["127.0.0.1", "localhost"]``), which
            stops other web sites reaching a localhost server through DNS rebinding.
            None answers every host.
        extra_routes: more routes, placed before the static files.
        compare: ``(model, model_file)`` pairs shown beside the first, at most
            :data:`MAX_MODELS` in all (``glassnet serve MLP.npz CNN.npz``).
        collect: the folder "Wrong? It was a ..." saves drawings in (``DIR/<label>/<n>.png``),
            or None to keep none.
        reader: ``(line_model, model_file)``: a line reader (``glassnet train --task numbers``)
            that reads whole numbers in the number mode, each model's digit probabilities
            rescoring its candidates; None cuts numbers into digits.

    Raises:
        ModelFileError: a model's weights hold NaN or infinity.
        GlassnetError: more than :data:`MAX_MODELS` models, or models with different classes.
    """
    pairs = [(model, model_file), *compare]
    if len(pairs) > MAX_MODELS:
        raise GlassnetError(f"the page shows at most {MAX_MODELS} models side by side, got {len(pairs)}")
    for one, name in pairs + ([reader] if reader is not None else []):
        check_weights(one, name)
    models = [Served(one, name) for one, name in pairs]
    if any(one.classes != models[0].classes for one in models):
        raise GlassnetError(f"{models[1].file}: its classes ({', '.join(models[1].classes)}) are not "
                            f"{models[0].file}'s ({', '.join(models[0].classes)}); compare models of one dataset")
    routes = [Route("/", index, methods=["GET"]), *API_ROUTES, *extra_routes,
              Mount("/static", StaticFiles(directory=STATIC), name="static")]
    middleware = [Middleware(SecurityHeaders)]
    if allowed_hosts:
        middleware.append(Middleware(AllowedHosts, hosts=list(allowed_hosts)))

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        app.state.workers.shutdown(wait=False, cancel_futures=True)

    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                    exception_handlers={HTTPException: error_response, Exception: server_error})
    app.state.models = models
    app.state.model = model                  # the first model, as with one
    app.state.model_file = str(model_file)
    app.state.classes = models[0].classes
    app.state.model_lock = models[0].lock
    app.state.collect = None if collect is None else Path(collect).expanduser()
    app.state.reader = None if reader is None else Served(*reader)
    app.state.collect_lock = threading.Lock()
    app.state.workers = ThreadPoolExecutor(WORKERS, thread_name_prefix="glassnet-web")
    app.state.queued = 0
    return app
