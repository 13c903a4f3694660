"""The pure core imports no storage, web, flow or template library, and never reads the clock."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PURE_CORE = [
    "engine/definition.py",
    "engine/machine.py",
    "engine/state.py",
    "engine/errors.py",
    "engine/calendar.py",
    "engine/audit.py",
    "engine/sweep.py",
    "engine/sweep_report.py",
    "engine/report.py",
    "engine/deadlines.py",
]
FORBIDDEN = {"sqlmodel", "sqlalchemy", "fastapi", "prefect", "jinja2", "alembic", "starlette"}
CLOCK_CALLS = {"now", "utcnow", "today", "time", "monotonic", "perf_counter"}
CLOCK_OWNERS = {"datetime", "date", "time", "_dt"}


def _imports(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def _local_modules(tree: ast.AST) -> set[str]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("engine"):
            out.add(node.module)
    return out


@pytest.mark.parametrize("path", PURE_CORE)
def test_the_pure_core_imports_no_io_library_directly_or_through_the_engine(path: str) -> None:
    seen: set[str] = set()
    todo = [path]
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        tree = ast.parse((ROOT / p).read_text())
        bad = _imports(tree) & FORBIDDEN
        assert not bad, f"{p} imports {bad}"
        todo += [m.replace(".", "/") + ".py" for m in _local_modules(tree)]
    assert all(s in PURE_CORE for s in seen), f"{path} reaches outside the core: {seen}"


@pytest.mark.parametrize("path", PURE_CORE)
def test_the_pure_core_never_reads_the_clock(path: str) -> None:
    tree = ast.parse((ROOT / path).read_text())
    for node in ast.walk(tree):
        # datetime.now(), date.today(), time.time(), ...: a clock read, not a method on a value
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in CLOCK_OWNERS
        ):
            assert node.func.attr not in CLOCK_CALLS, f"{path}:{node.lineno} reads the clock"


def test_the_readme_names_the_pure_core_the_test_holds() -> None:
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"The pure core\s*\(([^)]*)\)", readme)
    assert match, "README no longer names the pure core"
    named = {w.strip() for w in match.group(1).replace("\n", " ").split(",")}
    assert named == {Path(p).stem for p in PURE_CORE}
