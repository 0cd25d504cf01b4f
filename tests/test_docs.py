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


if __name__ == "__main__":
    if "--fix" in sys.argv:
        fix()
    print("\n".join(problems()) or "all links point at their code")
