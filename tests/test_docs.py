"""The pages in docs/ link to the exact lines of code they explain; keep those links true.

A link such as ``[`Dense.backward`](../src/glassnet/engine/layers/dense.py#L73)`` must
point at a file that exists, and its ``#L`` line must be where ``Dense.backward`` is
defined. When code moves, run ``python tests/test_docs.py --fix`` to update the numbers.
"""

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
# [`Name.attr`](relative/path.py#L12) ; the symbol in backticks is optional
LINK = re.compile(r"\[(?:`(?P<symbol>[\w.]+)(?:\(\))?`|[^\]]*)\]\((?P<target>[^)#\s]+)(?:#L(?P<line>\d+))?\)")


def definition_line(path, symbol):
    """1-based line where ``symbol`` (``Class.method``, ``function`` or ``CONSTANT``) is defined."""
    lines = path.read_text().splitlines()
    start = 0
    for part in symbol.split("."):
        pattern = re.compile(rf"^\s*(?:(?:async\s+)?def|class)\s+{re.escape(part)}\b|^{re.escape(part)}\s*[:=]")
        for i in range(start, len(lines)):
            if pattern.match(lines[i]):
                start = i
                break
        else:
            return None
    return start + 1


def links():
    for page in sorted(DOCS.glob("*.md")):
        for number, text in enumerate(page.read_text().splitlines(), 1):
            for match in LINK.finditer(text):
                target = match["target"]
                if "://" in target or target.startswith("mailto:"):
                    continue
                yield page, number, match


def problems():
    found = []
    for page, number, match in links():
        where = f"{page.relative_to(ROOT)}:{number}"
        path = (page.parent / match["target"]).resolve()
        if not path.exists():
            found.append(f"{where}: {match['target']} does not exist")
            continue
        if match["line"] and match["symbol"]:
            line = definition_line(path, match["symbol"])
            if line is None:
                found.append(f"{where}: {match['symbol']} is not defined in {match['target']}")
            elif line != int(match["line"]):
                found.append(f"{where}: {match['symbol']} is at line {line}, not {match['line']} "
                             f"(python tests/test_docs.py --fix)")
        elif match["line"]:
            found.append(f"{where}: a #L link needs the symbol in backticks as its text")
    return found


def fix():
    for page in sorted(DOCS.glob("*.md")):
        def replace(match, page=page):
            path = (page.parent / match["target"]).resolve()
            if not (match["line"] and match["symbol"] and path.exists()):
                return match[0]
            line = definition_line(path, match["symbol"])
            return match[0] if line is None else match[0].replace(f"#L{match['line']})", f"#L{line})")
        text = page.read_text()
        fixed = LINK.sub(replace, text)
        if fixed != text:
            page.write_text(fixed)
            print(f"updated {page.relative_to(ROOT)}")


def test_docs_exist_and_are_indexed():
    if not DOCS.is_dir():
        pytest.skip("no docs/ folder")
    index = (DOCS / "README.md").read_text()
    for page in DOCS.glob("*.md"):
        if page.name != "README.md":
            assert f"({page.name})" in index, f"docs/README.md does not link to {page.name}"


def test_every_link_points_at_its_code():
    assert not problems(), "\n".join(problems())


def test_no_merge_conflict_is_left_in_the_text():
    """A conflict once left both sides of a paragraph, and its markers, in a page."""
    marker = re.compile(r"^(<{7}|>{7}) ", re.MULTILINE)
    pages = [ROOT / "README.md", *DOCS.glob("*.md"), *ROOT.glob("src/**/*.py"), *ROOT.glob("notebooks/*.ipynb")]
    left = [str(page.relative_to(ROOT)) for page in pages if page.is_file() and marker.search(page.read_text())]
    assert not left, f"merge conflict markers in: {', '.join(left)}"


def test_the_custom_layer_page_runs():
    """The code blocks of docs/custom_layers.md, run in order, must work as printed."""
    page = DOCS / "custom_layers.md"
    code = "\n".join(re.findall(r"```python\n(.*?)```", page.read_text(), re.S))
    from glassnet.engine.layers.base import LAYERS

    registered = dict(LAYERS)
    try:
        exec(compile(code, str(page), "exec"), {"__name__": "docs_custom_layers"})  # noqa: S102
    finally:  # the page's layer class registered itself; leave the registry as it was
        LAYERS.clear()
        LAYERS.update(registered)


# -- the pages with experiments: their figures, their scripts, their code ---------------------------
FIGURE = re.compile(r"!\[[^\]]*\]\(figures/([\w.-]+\.png)\)")
SCRIPT = re.compile(r"\]\(experiments/(\w+)\.py\)")


def experiment_pages():
    return sorted(page.name for page in DOCS.glob("*.md") if FIGURE.search(page.read_text()))


def test_every_figure_is_in_the_repo_and_made_by_a_script():
    assert experiment_pages(), "no page shows a figure"
    for name in experiment_pages():
        text = (DOCS / name).read_text()
        for figure in FIGURE.findall(text):
            path = DOCS / "figures" / figure
            assert path.exists(), f"docs/{name} shows figures/{figure}, which is missing"
            assert path.stat().st_size < 200_000, f"figures/{figure} is over 200 kB: keep PNGs small"
        assert SCRIPT.search(text), f"docs/{name} shows a figure but links no experiments/*.py script"


@pytest.mark.parametrize("name", experiment_pages())
def test_the_page_experiment_runs_and_draws_its_figures(name, tmp_path, monkeypatch):
    """The page's script, in quick mode, writes every figure the page shows (into tmp_path,
    leaving the committed ones alone)."""
    import importlib.util

    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    text = (DOCS / name).read_text()
    made = set()
    for script in SCRIPT.findall(text):
        path = DOCS / "experiments" / f"{script}.py"
        spec = importlib.util.spec_from_file_location(f"docs_experiment_{script}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.run(quick=True, out=tmp_path)
        made |= {p.name for p in tmp_path.glob("*.png")}
    missing = set(FIGURE.findall(text)) - made
    assert not missing, f"docs/{name}: the quick run did not draw {sorted(missing)}"


@pytest.mark.parametrize("name", experiment_pages())
def test_the_page_code_runs(name):
    """The page's python blocks, run in order, must work as printed."""
    page = DOCS / name
    code = "\n".join(re.findall(r"```python\n(.*?)```", page.read_text(), re.S))
    exec(compile(code, str(page), "exec"), {"__name__": f"docs_{page.stem}"})  # noqa: S102


# -- claims in the pages that running code can check ------------------------------------------------
def test_softmax_cross_entropy_page_float32_log_of_a_tiny_probability_is_finite():
    """log(1e-45) is finite; the gradient -1/p is what overflows; log hits -inf only at p == 0."""
    import numpy as np

    p = np.float32(1e-45)                            # rounds to the smallest subnormal, 1.4e-45
    assert p > 0 and np.log(p) == pytest.approx(-103.28, abs=0.01)
    assert np.log(1e-45) == pytest.approx(-103.62, abs=0.01)
    with np.errstate(over="ignore", divide="ignore"):
        assert np.isneginf(np.float32(-1) / p)       # -7e44 is past float32's 3.4e38
    for gap, underflows in ((103.0, False), (104.0, True)):
        z = np.array([0, -gap], np.float32)
        e = np.exp(z - z.max())
        assert (e[1] / e.sum() == 0) == underflows   # log(0) = -inf needs a gap of about 104


def test_softmax_cross_entropy_page_the_weights_left_after_a_nan_are_those_that_produced_it():
    import numpy as np

    from glassnet.callbacks import TerminateOnNaN
    from glassnet.errors import TrainingError
    from glassnet.optimizers import SGD
    from glassnet.workbench.zoo import classic_mlp
    from tiny_models import tiny_digits

    x, y, _, _ = tiny_digits(n_train=600, n_test=0)
    x = x.astype(np.float32)                         # 0..255 and SGD(1.0): diverges in a few batches
    left = []
    for callbacks in ([], [TerminateOnNaN()]):
        model = classic_mlp(seed=0)
        model.compile(optimizer=SGD(1.0), loss="sparse_categorical_crossentropy")
        with np.errstate(all="ignore"):
            try:
                model.fit(x, y, epochs=2, callbacks=callbacks, verbose=0)
            except TrainingError:
                assert not callbacks
            assert not np.isfinite(model.evaluate(x[:100], y[:100], verbose=0))
        left.append([w for layer in model.layers for w in layer.get_weights()])
    assert all(np.array_equal(a, b) for a, b in zip(*left))   # the same weights, guard or not


def test_gradient_checking_page_the_error_against_eps():
    """Truncation (~eps^2) above eps ~ 1e-5, rounding (~1/eps) below it, in float64."""
    import numpy as np

    from glassnet.gradcheck import numerical_gradient, relative_error

    rng = np.random.default_rng(0)
    x, W, dy = rng.standard_normal((4, 5)), rng.standard_normal((5, 3)), rng.standard_normal((4, 3))
    analytic = x.T @ ((1 - np.tanh(x @ W) ** 2) * dy)
    error = {}
    for k in range(1, 12):
        probe = W.copy()
        numeric = numerical_gradient(lambda: float(np.sum(np.tanh(x @ probe) * dy)), probe, 10.0 ** -k)
        error[k] = relative_error(analytic, numeric)
    best = min(error, key=error.get)
    assert best in (5, 6)                             # the optimum, near (3 * 2.2e-16)^(1/3)
    for k in (1, 2, 3):                               # truncation: 100x smaller per decade of eps
        assert 30 < error[k] / error[k + 1] < 300
    assert error[9] > 10 * error[7] and error[11] > 10 * error[9]   # rounding: grows as eps falls
    assert error[6] > 100 * error[4] / 1e4            # at 1e-6 rounding already dominates
    assert error[6] < 1e-6                            # ... and is still far below the tolerance


def test_optimizers_page_folded_bias_correction_is_the_papers_with_a_scaled_epsilon():
    import numpy as np

    from glassnet.optimizers import Adam

    rng = np.random.default_rng(0)
    w = rng.standard_normal(50)
    adam = Adam(0.01, epsilon=1e-3)                  # a large epsilon, so that its scaling shows
    paper, m, v = w.copy(), np.zeros(50), np.zeros(50)
    for t in range(1, 6):
        g = rng.standard_normal(50) * 1e-3
        adam.step([w], [g.copy()])
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        m_hat, v_hat = m / (1 - 0.9 ** t), v / (1 - 0.999 ** t)
        paper -= 0.01 * m_hat / (np.sqrt(v_hat) + 1e-3 / np.sqrt(1 - 0.999 ** t))
        assert np.allclose(w, paper, rtol=0, atol=1e-12)
        # the 1 - beta**t present: a steady gradient g gives m = (1 - 0.9**t) g
    steady = 0.0
    for t in range(1, 6):
        steady = 0.9 * steady + 0.1 * 1.0
        assert steady == pytest.approx(1 - 0.9 ** t)


def test_initialization_page_variance_needs_the_mean_square_not_zero_mean_inputs():
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.random((2000, 100))                       # inputs in 0..1: mean 1/2, E[x^2] = 1/3
    W = rng.normal(0, 0.1, (100, 2000))               # 2,000 units: Var over weights and inputs
    z = x @ W
    assert z.var() == pytest.approx(100 * 0.01 * (1 / 3), rel=0.1)   # fan_in * Var(W) * E[x^2]
    assert z.var() > 3 * 100 * 0.01 * x.var()                        # not Var(x) = 1/12


if __name__ == "__main__":
    if "--fix" in sys.argv:
        fix()
    print("\n".join(problems()) or "all links point at their code")
