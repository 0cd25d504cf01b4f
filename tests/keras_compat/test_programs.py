"""Keras 3 programs, as people copy them, run on glassnet with only their imports changed.

Each file in ``programs/`` is a complete Keras program (the first-network tutorials, the
keras.io convnet, the TensorFlow quickstart, Functional models, callbacks and saving,
generators, tf.data pipelines, two inputs). Every one was also run on Keras 3.15 (TensorFlow 2.21 backend)
by ``scripts/run_keras_compat.py`` and passes the same checks there. Here each runs on
4,000 real MNIST training images (1,000 to test) with its Keras imports rewritten to
glassnet, and must show what ``expectations.py`` asks.
"""

import pytest

from expectations import EXPECTATIONS
from harness import PROGRAMS, SHARED_MNIST, changed_lines, rewrite_imports, run

NAMES = sorted(p.stem for p in PROGRAMS.glob("*.py"))


def test_there_are_at_least_ten_programs_and_each_has_its_checks():
    assert len(NAMES) >= 10
    assert set(NAMES) == set(EXPECTATIONS)


@pytest.mark.parametrize("name", NAMES)
def test_only_import_lines_change(name):
    source = (PROGRAMS / f"{name}.py").read_text()
    changes = changed_lines(source)
    assert changes, "the program imports Keras somewhere"
    for before, after in changes:
        assert before.lstrip().startswith(("import ", "from ")) and "glassnet" in after


@pytest.mark.parametrize("name", NAMES)
def test_the_program_runs_on_glassnet(name, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)              # where a program writes its files (logs/, models)
    if not SHARED_MNIST.is_dir():
        pytest.skip(f"real MNIST not found at {SHARED_MNIST} (../shared/data from the repo root)")
    import glassnet

    source = rewrite_imports((PROGRAMS / f"{name}.py").read_text())
    namespace = run(name, glassnet, source)
    capsys.readouterr()
    assert EXPECTATIONS[name](namespace)
