"""Run the "Get started with TensorBoard" program on Keras 3 and on glassnet, and compare the
TensorBoard logs they write: the runs, the scalar tags and their steps, as TensorBoard's own
reader (the one behind its web page) sees them.

    python scripts/compare_tensorboard_tags.py

Needs Keras with the TensorFlow backend and the tensorboard package. Keras writes each scalar
as a tensor, glassnet as a simple_value; TensorBoard's reader turns both into the same
scalar series, which is what this compares (and the values, loosely: the two runs train
differently seeded networks).
"""

import contextlib
import io
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests" / "keras_compat")]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from harness import PROGRAMS, rewrite_imports, run  # noqa: E402


def scalars(log_dir):
    """``{(run, tag): [(step, value), ...]}`` as TensorBoard's scalars plugin reads them."""
    from tensorboard.backend.event_processing.plugin_event_accumulator import EventAccumulator
    from tensorboard.util import tensor_util

    series = {}
    for folder in sorted(os.listdir(log_dir)):          # train/, validation/: TensorBoard's "runs"
        accumulator = EventAccumulator(os.path.join(log_dir, folder))
        accumulator.Reload()
        for tag in accumulator.PluginTagToContent("scalars"):
            series[folder, tag] = [(e.step, float(tensor_util.make_ndarray(e.tensor_proto)))
                                for e in accumulator.Tensors(tag)]
    return series


def logs_of(framework, source):
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            namespace = run("tensorboard_get_started", framework, source)
        return scalars(namespace["log_dir"])


def main():
    import keras

    import glassnet

    source = (PROGRAMS / "tensorboard_get_started.py").read_text()
    theirs = logs_of(keras, source)
    ours = logs_of(glassnet, rewrite_imports(source))
    print(f"{'run/tag':48s} {'Keras ' + keras.__version__:>28s} {'glassnet':>28s}")
    for key in sorted(set(theirs) | set(ours)):
        cells = []
        for series in (theirs, ours):
            steps = [step for step, _ in series.get(key, [])]
            last = series[key][-1][1] if key in series else None
            cells.append(f"steps {steps}, last {last:.4g}" if key in series else "-")
        print(f"{'/'.join(key):48s} {cells[0]:>28s} {cells[1]:>28s}")
    same = {k: [s for s, _ in v] for k, v in theirs.items()} == {k: [s for s, _ in v] for k, v in ours.items()}
    print("same runs, tags and steps" if same else "DIFFERENT runs, tags or steps")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
