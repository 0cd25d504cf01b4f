"""What the benchmarks share: the data, the thread counts, peak memory, child processes.

    from _common import blas_gflops, blas_info, load_mnist_float, peak_memory_mb, run_child

Each framework is best timed in a process of its own (``run_child``): its peak memory is
then its own, and one framework's thread pool can't slow the other down.
"""

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MNIST = ROOT.parent / "shared" / "data" / "mnist"


def blas_info():
    """``"openblas 0.3.31 (SkylakeX): 2 threads"``: the BLAS NumPy uses, and its threads."""
    from threadpoolctl import threadpool_info
    pools = [f"{p['internal_api']} {p.get('version') or ''} ({p.get('architecture') or '?'}): "
             f"{p['num_threads']} threads" for p in threadpool_info() if p["user_api"] == "blas"]
    return "; ".join(pools) or "no BLAS found"


def blas_gflops(repeats=5):
    """The rate BLAS reaches on a large float32 matrix multiply (GFLOP/s, best of ``repeats``)
    with the threads it has now: the yardstick for "the arithmetic floor"."""
    import time
    rng = np.random.default_rng(0)
    a = rng.random((4096, 512), dtype=np.float32)
    b = rng.random((512, 256), dtype=np.float32)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * a.shape[0] * a.shape[1] * b.shape[1] / best / 1e9


def peak_memory_mb():
    """Peak resident memory of this process so far, in MB (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_mnist_float(data_dir=None):
    """``(x_train, y_train), (x_test, y_test)``: pixels as float32 in [0, 1], shape (N, 28, 28).

    ``data_dir`` defaults to ``$GLASSNET_DATA``, then ``../shared/data/mnist`` beside the repo.
    """
    from glassnet.datasets import mnist
    data_dir = data_dir or os.environ.get("GLASSNET_DATA") or DEFAULT_MNIST
    (x_train, y_train), (x_test, y_test) = mnist.load_data(data_dir)
    scale = np.float32(1 / 255)
    return ((x_train.astype(np.float32) * scale, y_train.astype(np.int64)),
            (x_test.astype(np.float32) * scale, y_test.astype(np.int64)))


def run_child(script, *args):
    """Run ``python script *args`` and return the JSON object its last output line holds.

    The child's other output (progress, warnings) is passed through to ours.
    """
    result = subprocess.run([sys.executable, str(script), *map(str, args)],
                            stdout=subprocess.PIPE, text=True, check=False)
    lines = result.stdout.strip().splitlines()
    for line in lines[:-1]:
        print(line, flush=True)
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"{Path(script).name} {' '.join(map(str, args))} failed "
                           f"(exit status {result.returncode})")
    return json.loads(lines[-1])


def mlp_and_cnn(args, train):
    """``(arch, model, name)`` for each of the MLP and the CNN a benchmark scores: loaded
    from ``args.mlp`` / ``args.cnn`` where given, else trained here by ``train(arch)``
    (the name says which, and how long training took); ``args.only`` keeps one of them."""
    from glassnet.engine.saving import load_model

    for arch, path in (("mlp", args.mlp), ("cnn", args.cnn)):
        if args.only and arch != args.only:
            continue
        if path:
            yield arch, load_model(path), f"{arch.upper()} ({path})"
        else:
            start = time.perf_counter()
            model = train(arch)
            yield arch, model, f"default {arch.upper()} (trained here in {time.perf_counter() - start:.0f}s)"
