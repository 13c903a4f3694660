"""Harness plumbing: figures, goals, medians, progress, the printed table and the JSON file."""

from __future__ import annotations

import math
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# the parent passes its start time down, so every group's progress shows the harness's clock
_T0 = float(os.environ.get("PKH_BENCH_T0") or time.time())
os.environ["PKH_BENCH_T0"] = str(_T0)


def log(msg: str) -> None:
    """Progress on stderr, stamped with the time since the harness started."""
    s = int(time.time() - _T0)
    print(f"[{s // 60:02d}:{s % 60:02d}] {msg}", file=sys.stderr, flush=True)


def median(xs: Sequence[float]) -> float:
    return float(statistics.median(xs))


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


@dataclass(frozen=True)
class Check:
    """One goal: `field` ('value' or 'ratio') `op` ('>=' or '<=') `limit`."""

    field: str
    op: str
    limit: float
    text: str

    def ok(self, fig: Figure) -> bool | None:
        v = getattr(fig, self.field)
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return None
        return v >= self.limit if self.op == ">=" else v <= self.limit


@dataclass
class Figure:
    """One row of the results. `ratio` is always cost relative to the baseline (>1: slower):
    time / baseline time for durations, baseline rate / rate for throughputs."""

    name: str
    value: float | None
    unit: str
    baseline: float | None = None
    baseline_what: str = ""
    ratio: float | None = None
    goal: str = ""
    passed: bool | None = None
    size: str = ""
    note: str = ""
    runs: list[float] = field(default_factory=list)
    baseline_runs: list[float] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    skipped: bool = False

    def judge(self, *checks: Check) -> Figure:
        self.goal = "; ".join(c.text for c in checks)
        verdicts = [c.ok(self) for c in checks]
        self.passed = None if any(v is None for v in verdicts) else all(verdicts)
        return self

    def as_json(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("name")
        d["pass"] = d.pop("passed")
        return d


def rate_figure(
    name: str,
    unit: str,
    items: int,
    times: Sequence[float],
    base_times: Sequence[float] | None,
    baseline_what: str,
    size: str,
) -> Figure:
    """Throughput from per-run durations: value = items / median time (same for the baseline);
    ratio = median over runs of (time / baseline time), runs paired as they were interleaved."""
    value = items / median(times)
    fig = Figure(name, value, unit, size=size, baseline_what=baseline_what)
    fig.runs = [items / t for t in times]
    if base_times:
        fig.baseline = items / median(base_times)
        fig.baseline_runs = [items / t for t in base_times]
        fig.ratio = median([t / b for t, b in zip(times, base_times, strict=False)])
    return fig


def time_figure(
    name: str,
    unit: str,
    scale: float,
    times: Sequence[float],
    base_times: Sequence[float] | None,
    baseline_what: str,
    size: str,
) -> Figure:
    """Duration figure: value = median time * scale (e.g. 1000 for ms); ratio paired medians."""
    fig = Figure(name, median(times) * scale, unit, size=size, baseline_what=baseline_what)
    fig.runs = [t * scale for t in times]
    if base_times:
        fig.baseline = median(base_times) * scale
        fig.baseline_runs = [t * scale for t in base_times]
        fig.ratio = median([t / b for t, b in zip(times, base_times, strict=False) if b > 0])
    return fig


@dataclass
class Context:
    quick: bool
    workdir: Path
    reps: int
    keep: bool = False
    profile: Path | None = None  # directory for py-spy profiles (servers the harness starts)

    def size(self, quick: int, full: int) -> int:
        return quick if self.quick else full


def fmt(v: float | None) -> str:
    if v is None:
        return "-"
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 100_000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:,.0f}" if a >= 1000 else f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3g}"


def table(figs: Sequence[Figure]) -> str:
    head = ("figure", "value", "unit", "baseline", "ratio", "goal", "pass", "size")
    rows = []
    for f in figs:
        verdict = "SKIP" if f.skipped else {True: "PASS", False: "MISS", None: "-"}[f.passed]
        rows.append(
            (
                f.name,
                fmt(f.value),
                f.unit,
                fmt(f.baseline),
                fmt(f.ratio),
                f.goal,
                verdict,
                f.size,
            )
        )
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)
    ]
    line = "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))
    out = [line, "-" * len(line)]
    for r in rows:
        out.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    notes = [f"  {f.name}: baseline = {f.baseline_what}" for f in figs if f.baseline_what]
    notes += [f"  {f.name}: {f.note}" for f in figs if f.note]
    if notes:
        out += ["", "notes:", *notes]
    return "\n".join(out)


def cpu_count() -> int:
    return os.cpu_count() or 1
