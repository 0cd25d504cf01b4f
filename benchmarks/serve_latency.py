"""Benchmark: how fast does the drawing page answer? p50 and p95 latency of POST /api/predict.

It starts a real ``glassnet serve`` (uvicorn) in a subprocess on a free port of
127.0.0.1, then sends a few thousand requests over one keep-alive connection, the way the
page does while you draw: a 280x280 PNG data URL of a drawing, then the 28x28 ``pixels``
form, then (fewer) PNG requests asking to look inside. Target: p95 < 30 ms for the PNG
requests with the default MLP.

    flock /tmp/glassnet-heavy.lock python benchmarks/serve_latency.py [--model mnist-mlp.npz]
        [--requests 3000]

Without ``--model`` (and no mnist-mlp.npz here) it serves an untrained classic MLP: the
weights' values change no timing. Localhost only; the server is stopped at the end.
"""

import argparse
import base64
import io
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HOST = "127.0.0.1"   # never anything else: this benchmark does not leave the machine


def drawings(count, rng):
    """``count`` different 280x280 drawings, as the page sends them: PNG data URLs."""
    from PIL import Image, ImageDraw
    urls = []
    for _ in range(count):
        page = Image.new("RGB", (280, 280), "white")
        points = [tuple(rng.uniform(50, 230, 2)) for _ in range(rng.integers(3, 7))]
        ImageDraw.Draw(page).line(points, fill="#111827", width=int(rng.integers(14, 30)), joint="curve")
        buffer = io.BytesIO()
        page.save(buffer, format="PNG")
        urls.append("data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode())
    return urls


def start_server(model_path):
    """Run ``glassnet serve MODEL --port 0`` and return (process, base URL) once it listens."""
    command = [sys.executable, "-m", "glassnet", "serve", str(model_path), "--host", HOST, "--port", "0"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    deadline = time.monotonic() + 60
    for line in process.stdout:
        if line.startswith("open http://"):
            return process, line.split()[1].rstrip(";")
        if time.monotonic() > deadline:
            break
    process.kill()
    sys.exit(f"the server did not start:\n{process.stdout.read() if process.stdout else ''}")


def measure(client, bodies, count):
    """Send ``count`` requests cycling through ``bodies``; return latencies in ms."""
    latencies = np.empty(count)
    for i in range(count):
        start = time.perf_counter()
        response = client.post("/api/predict", json=bodies[i % len(bodies)])
        latencies[i] = 1000 * (time.perf_counter() - start)
        if response.status_code != 200:
            sys.exit(f"request {i} failed: {response.status_code} {response.text[:200]}")
    return latencies


def report(name, latencies):
    p50, p95, p99 = np.percentile(latencies, [50, 95, 99])
    print(f"{name:<28} n={len(latencies):>5}  p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  p99 {p99:6.2f} ms  "
          f"({len(latencies) / (latencies.sum() / 1000):.0f} requests/s)")
    return p95


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="model file (default: mnist-mlp.npz if present, else an untrained MLP)")
    parser.add_argument("--requests", type=int, default=3000, help="PNG requests to time (max 20000)")
    args = parser.parse_args(argv)
    count = max(100, min(args.requests, 20000))

    try:   # the maintained fork, which starlette's own test client now uses
        import httpx2 as httpx
    except ImportError:
        import httpx

    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as folder:
        model_path = args.model or ("mnist-mlp.npz" if Path("mnist-mlp.npz").exists() else None)
        if model_path is None:
            from glassnet.workbench.zoo import classic_mlp
            model_path = Path(folder) / "untrained-mlp.npz"
            model = classic_mlp(seed=0)
            model.build()
            model.save(model_path)
            print("serving an untrained classic MLP (784-128-64-10): its weights don't change the timing")
        else:
            print(f"serving {model_path}")
        process, url = start_server(model_path)
        try:
            pngs = [{"image": url_} for url_ in drawings(50, rng)]
            # TCP_NODELAY, as browsers do: without it the client's kernel holds the body back
            # until the headers are acknowledged, and delayed ACKs add ~40 ms to every request.
            transport = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
            with httpx.Client(base_url=url, timeout=10, transport=transport) as client:
                measure(client, pngs, 100)                                     # warm up
                pixels = [{"pixels": client.post("/api/predict", json=b).json()["image28"]} for b in pngs[:20]]
                png_p95 = report("PNG data URL (the page)", measure(client, pngs, count))
                report("28x28 pixels", measure(client, pixels, count // 2))
                report("PNG + look inside", measure(client, [dict(b, inside=True) for b in pngs], count // 5))
        finally:
            process.terminate()
            process.wait(10)
    print(f"target p95 < 30 ms for PNG requests: {'OK' if png_p95 < 30 else 'MISSED'}")
    return 0 if png_p95 < 30 else 1


if __name__ == "__main__":
    sys.exit(main())
