"""Profiles of the measured code: py-spy's raw (collapsed) stacks, summarised per function.

    python -m bench --profile --only NAME ...        # record while the figure runs
    python -m bench.profiling FILE [--within func@file] [--top N]

`--within` keeps only the samples whose stack passes through that frame (e.g. the measured loop),
so set-up and baseline work do not dilute the picture. Frames are aggregated per function
(line numbers dropped); "self" is time in the function itself, "total" includes its callees.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
from collections import Counter
from pathlib import Path

# group -> the frames that hold the measured work
WITHIN: dict[str, list[str]] = {
    "transitions_sqlite": ["_lifecycles@bench/transitions.py"],
    "transitions_postgres": ["_lifecycles@bench/transitions.py"],
    "sweep": ["sweep@engine/sweeper.py"],
    "verify": ["verify@engine/store/audit_runner.py", "replay@engine/service.py"],
    "calendar": ["add_working_days_bulk@engine/calendar.py"],
    "api": [""],
    "kpm_import": ["import_file@workflows/kpm_import.py"],
}

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def py_spy() -> str | None:
    return os.environ.get("PY_SPY") or shutil.which("py-spy")


def _frame_key(frame: str) -> str:
    m = _FRAME.match(frame.strip())
    if not m:
        return frame.strip()
    f = m.group("file")
    for marker in ("/site-packages/", "/work/main/", "/lib/python3"):
        if marker in f:
            f = f.split(marker, 1)[1]
    return f"{m.group('func')} ({f})"


def _matches(key: str, spec: str) -> bool:
    if not spec:
        return True
    func, _, file = spec.partition("@")
    name, _, where = key.partition(" (")
    return (name == func or name.endswith("." + func)) and (not file or file in where)


def summarize(path: Path, within: str = "", top: int = 15) -> str:
    self_c: Counter[str] = Counter()
    total_c: Counter[str] = Counter()
    samples = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if not stack or not n.isdigit():
            continue
        frames = [_frame_key(f) for f in stack.split(";")]
        # py-spy puts process/thread names first: drop anything that is not a code frame
        frames = [f for f in frames if f.endswith(")")]
        if within:
            idx = next((i for i, f in enumerate(frames) if _matches(f, within)), None)
            if idx is None:
                continue
            frames = frames[idx:]
        if not frames:
            continue
        k = int(n)
        samples += k
        self_c[frames[-1]] += k
        for f in set(frames):
            total_c[f] += k
    if not samples:
        return f"{path.name}: no samples{f' within {within}' if within else ''}"
    out = [f"{path.name}: {samples} samples{f' within {within}' if within else ''}", "  self:"]
    out += [f"    {100 * c / samples:5.1f}%  {f}" for f, c in self_c.most_common(top)]
    out.append("  total (including callees):")
    out += [f"    {100 * c / samples:5.1f}%  {f}" for f, c in total_c.most_common(top + 10)]
    return "\n".join(out)


def children(path: Path, parent: str, top: int = 15) -> str:
    """Where the time under `parent` (func@file) goes: its direct callees, inclusive."""
    kids: Counter[str] = Counter()
    samples = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if not stack or not n.isdigit():
            continue
        frames = [f for f in (_frame_key(x) for x in stack.split(";")) if f.endswith(")")]
        idx = next((i for i, f in enumerate(frames) if _matches(f, parent)), None)
        if idx is None:
            continue
        samples += int(n)
        kids[frames[idx + 1] if idx + 1 < len(frames) else "(self)"] += int(n)
    if not samples:
        return f"{path.name}: no samples under {parent}"
    out = [f"{path.name}: {samples} samples under {parent}, by direct callee:"]
    out += [f"    {100 * c / samples:5.1f}%  {f}" for f, c in kids.most_common(top)]
    return "\n".join(out)


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.profiling")
    p.add_argument("file", type=Path)
    p.add_argument("--within", default="")
    p.add_argument("--top", type=int, default=15)
    p.add_argument("--children", default="", help="func@file: break its time down by callee")
    a = p.parse_args()
    if a.children:
        print(children(a.file, a.children, a.top))
    else:
        print(summarize(a.file, a.within, a.top))


if __name__ == "__main__":
    main()
