"""Run the Keras programs of tests/keras_compat on real Keras 3, unmodified.

The programs in ``tests/keras_compat/programs`` are written for Keras 3; the test suite
runs them on glassnet with only their imports changed. This script runs the very same
files on Keras itself (where it is installed: ``pip install ".[bench]"``), on the same
4,000 training / 1,000 test MNIST images, and applies the same checks, so the claim "runs
on Keras too" is tested, not assumed. Then it runs them on glassnet for comparison.

    python scripts/run_keras_compat.py [NAME ...]

Prints one line per program and framework: passed or failed, and the seconds it took.
"""

import contextlib
import io
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests" / "keras_compat")]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from expectations import EXPECTATIONS  # noqa: E402
from harness import PROGRAMS, rewrite_imports, run  # noqa: E402


def attempt(name, framework, source):
    start = time.perf_counter()
    output = io.StringIO()
    try:
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            namespace = run(name, framework, source)
        ok = bool(EXPECTATIONS[name](namespace))
        problem = "" if ok else "ran, but its checks failed"
    except Exception:  # noqa: BLE001 - reported
        ok, problem = False, traceback.format_exc(limit=3).strip().splitlines()[-1]
    return ok, time.perf_counter() - start, problem, output.getvalue()


def main(names):
    try:
        import keras
    except ImportError:
        print("Keras is not installed (pip install '.[bench]'); nothing to compare with")
        return 0
    import glassnet

    names = names or sorted(p.stem for p in PROGRAMS.glob("*.py"))
    print(f"Keras {keras.__version__} (backend {keras.backend.backend()}) vs glassnet {glassnet.__version__}")
    failures = 0
    for name in names:
        source = (PROGRAMS / f"{name}.py").read_text()
        for label, framework, code in (("keras", keras, source), ("glassnet", glassnet, rewrite_imports(source))):
            # Each run in a folder of its own: a program that names its files by the clock
            # (TensorBoard's logs/fit/<time>) would otherwise find the other framework's files.
            with tempfile.TemporaryDirectory(prefix=f"keras_compat_{label}_") as folder:
                home = os.getcwd()
                os.chdir(folder)
                try:
                    ok, seconds, problem, output = attempt(name, framework, code)
                finally:
                    os.chdir(home)
            failures += not ok
            print(f"{name:26s} {label:9s} {'passed' if ok else 'FAILED'} {seconds:6.1f}s {problem}", flush=True)
            if not ok and os.environ.get("SHOW_OUTPUT"):
                print(output)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
