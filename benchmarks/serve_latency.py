"""Benchmark: how fast does the drawing page answer, alone and under load, and in how much memory?

It starts a real ``glassnet serve`` (uvicorn) in a subprocess on a free port of 127.0.0.1
and measures POST /api/predict in four runs:

1. one user drawing: requests one after another over a keep-alive connection, as the
   page sends them (a 280x280 PNG data URL of a drawing);
2. load: 2,000 PNG requests from 20 concurrent clients;
3. load: 2,000 ``pixels`` (28x28 JSON) requests from 20 concurrent clients;
4. the worst the server accepts: 40 pictures of the largest size it decodes (16
   megapixels) and 40 that declare 36 megapixels (refused unread), 20 at a time.

Each prints p50/p95/p99 latency, requests per second and errors; the server's resident
memory (RSS, from /proc) is printed before and after, with its peak::

    flock /tmp/glassnet-heavy.lock python benchmarks/serve_latency.py [--model mnist-mlp.npz]
        [--requests 2000] [--concurrency 20]

Without ``--model`` (and no mnist-mlp.npz here) it serves an untrained classic MLP: the
weights' values change no timing. Localhost only; the server is stopped at the end. The
client runs in this process (asyncio), so on a small machine it competes with the server
for the CPU: the figures are the pair's, not the server's alone.
"""

import argparse
import asyncio
import base64
import io
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib
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
        urls.append(data_url(page))
    return urls


def data_url(image):
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def worst_images():
    """The largest picture the server decodes (16 MP, a digit on white) and a 36 MP claim."""
    from PIL import Image, ImageDraw
    page = Image.new("L", (4608, 3456), 255)
    ImageDraw.Draw(page).line([(1800, 800), (2800, 800), (2100, 2800)], fill=0, width=200)
    header = struct.pack(">IIBBBBB", 6000, 6000, 1, 0, 0, 0, 0)   # 36 MP declared, 1 bit gray

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    bomb = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(4096)))
            + chunk(b"IEND", b""))
    return data_url(page), "data:image/png;base64," + base64.b64encode(bomb).decode()


def rss_mb(pid):
    """``(current, peak)`` resident memory of process ``pid`` in MB (Linux /proc)."""
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            fields[key] = value
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def start_server(model_path):
    """Run ``glassnet serve MODEL --port 0`` and return (process, base URL) once it listens."""
    command = [sys.executable, "-m", "glassnet", "serve", str(model_path), "--host", HOST, "--port", "0"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 60
    for line in process.stdout:
        if line.startswith("open http://"):
            return process, line.split()[1].rstrip(";")
        if time.monotonic() > deadline:
            break
    process.kill()
    sys.exit(f"the server did not start:\n{process.stderr.read() if process.stderr else ''}")


async def load(client, bodies, count, concurrency, expect=200):
    """Send ``count`` requests, ``concurrency`` at a time; return (latencies in ms, errors, seconds)."""
    latencies, errors, next_index = [], [], iter(range(count))

    async def one_client():
        for i in next_index:
            start = time.perf_counter()
            try:
                response = await client.post("/api/predict", json=bodies[i % len(bodies)])
                status = response.status_code
            except Exception as error:   # noqa: BLE001 - a benchmark counts every failure
                status = type(error).__name__
            latencies.append(1000 * (time.perf_counter() - start))
            if status != expect:
                errors.append(status)

    start = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(concurrency)))
    return np.array(latencies), errors, time.perf_counter() - start


def report(name, latencies, errors, seconds):
    p50, p95, p99 = np.percentile(latencies, [50, 95, 99])
    print(f"{name:<36} n={len(latencies):>5}  p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  p99 {p99:7.2f} ms  "
          f"{len(latencies) / seconds:6.0f} requests/s  errors: {len(errors)}"
          + (f" {sorted(set(map(str, errors)))}" if errors else ""))
    return p95, len(errors)


async def run(url, pid, count, concurrency, rng, httpx):
    pngs = [{"image": u} for u in drawings(50, rng)]
    big, bomb = worst_images()
    # TCP_NODELAY, as browsers do: without it the client's kernel holds the body back
    # until the headers are acknowledged, and delayed ACKs add ~40 ms to every request.
    options = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    transport = httpx.AsyncHTTPTransport(socket_options=options, limits=limits)
    async with httpx.AsyncClient(base_url=url, timeout=60, transport=transport) as client:
        await load(client, pngs, 100, 1)                                                    # warm up
        pixels = [{"pixels": (await client.post("/api/predict", json=b)).json()["image28"]} for b in pngs[:20]]
        before = rss_mb(pid)
        print(f"server RSS before: {before[0]:.0f} MB")
        alone, _ = report("one user drawing (PNG, 1 at a time)", *await load(client, pngs, 500, 1))
        failures = 0
        for name, bodies in (("PNG drawings", pngs), ("28x28 pixels", pixels)):
            _, failed = report(f"{name}, {concurrency} concurrent", *await load(client, bodies, count, concurrency))
            failures += failed
        after = rss_mb(pid)
        print(f"server RSS after: {after[0]:.0f} MB (peak so far {after[1]:.0f} MB)")
        report("16 MP photos, 20 concurrent", *await load(client, [{"image": big}], 40, 20))
        report("36 MP claims (refused), 20 concurrent", *await load(client, [{"image": bomb}], 40, 20, expect=422))
        worst = rss_mb(pid)
        print(f"server RSS after the worst case: {worst[0]:.0f} MB (peak {worst[1]:.0f} MB)")
    return alone, failures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="model file (default: mnist-mlp.npz if present, else an untrained MLP)")
    parser.add_argument("--requests", type=int, default=2000, help="requests per load run (max 20000)")
    parser.add_argument("--concurrency", type=int, default=20, help="concurrent clients (max 200)")
    args = parser.parse_args(argv)
    count = max(100, min(args.requests, 20000))
    concurrency = max(1, min(args.concurrency, 200))

    try:   # the maintained fork, which starlette's own test client now uses
        import httpx2 as httpx
    except ImportError:
        import httpx

    print(f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}, "
          f"{os.cpu_count()} CPUs; client and server on this machine")
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
            alone, failures = asyncio.run(run(url, process.pid, count, concurrency, rng, httpx))
        finally:
            process.terminate()
            _, log = process.communicate(timeout=10)
    tracebacks = log.count("Traceback")
    print(f"server log: {tracebacks} tracebacks, {len(log.splitlines())} lines")
    print(f"one user drawing, target p95 < 30 ms: {'OK' if alone < 30 else 'MISSED'}; "
          f"errors under load: {failures}")
    return 0 if alone < 30 and failures == 0 and tracebacks == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
