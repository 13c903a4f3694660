"""`python -m bench`: run the figure groups (each in its own process), print a table, write JSON."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.core import Context, Figure, log, table

# group -> (module, function, figures it writes); run in this order
GROUPS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "calendar": ("bench.calendar", "run", ("calendar_bulk", "calendar_scalar_us")),
    "transitions_sqlite": ("bench.transitions", "run_sqlite", ("transitions_sqlite",)),
    "transitions_postgres": (
        "bench.transitions",
        "run_postgres",
        ("transitions_postgres_8clients",),
    ),
    "sweep": ("bench.sweep", "run", ("sweep", "sweep_idle", "sweep_growth")),
    "verify": ("bench.verify", "run", ("verify_events_per_s", "replay_100_events_ms")),
    "api": ("bench.api", "run", ("api_worklist_p99_ms", "api_post_events_per_s")),
    "kpm_import": ("bench.kpm", "run", ("kpm_import_rows_per_s",)),
}


def _select(only: list[str] | None) -> list[str]:
    if not only:
        return list(GROUPS)
    chosen = []
    for name in only:
        hits = [g for g, (_, _, figs) in GROUPS.items() if name == g or name in figs]
        if not hits:
            known = sorted({*GROUPS, *(f for _, _, fs in GROUPS.values() for f in fs)})
            raise SystemExit(f"error: unknown figure {name!r}; known: {', '.join(known)}")
        chosen += [g for g in hits if g not in chosen]
    return [g for g in GROUPS if g in chosen]


def _child(group: str, ctx: Context, out: Path) -> None:
    """Run one group in this process and write its figures as JSON to `out`."""
    module, fn, names = GROUPS[group]
    try:
        figs: list[Figure] = getattr(importlib.import_module(module), fn)(ctx)
    except Exception as e:  # noqa: BLE001 - a failing group must not hide the others
        import traceback

        traceback.print_exc()
        figs = [
            Figure(n, None, "", skipped=True, note=f"error: {type(e).__name__}: {e}") for n in names
        ]
    out.write_text(json.dumps({f.name: f.as_json() for f in figs}, default=str))


def _from_json(name: str, d: dict[str, Any]) -> Figure:
    d = dict(d)
    d["passed"] = d.pop("pass")
    return Figure(name=name, **d)


def summarize_server(path: Path) -> str:
    from bench.profiling import summarize

    return summarize(path, "")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--quick", action="store_true", help="smaller sizes (whole run < 20 min)")
    p.add_argument("--out", type=Path, help="write {name: {value, unit, baseline, ratio, ...}}")
    p.add_argument("--only", action="append", help="a figure or group name (repeatable)")
    p.add_argument("--reps", type=int, default=5, help="runs per figure, median taken (>= 5)")
    p.add_argument("--workdir", type=Path, help="where databases go (default: a temp dir)")
    p.add_argument("--keep", action="store_true", help="keep the workdir afterwards")
    p.add_argument("--list", action="store_true", help="list groups and figures")
    p.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="record py-spy profiles of each group (and of the API server) into DIR and print "
        "per-function summaries of the measured code (needs py-spy on PATH or $PY_SPY)",
    )
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    a = p.parse_args(argv)

    if a.list:
        for g, (_, _, figs) in GROUPS.items():
            print(f"{g}: {', '.join(figs)}")
        return 0
    if a.reps < 5 and not a.child:
        log(f"warning: --reps {a.reps} < 5; medians of fewer than 5 runs are not the issue's bar")

    own_workdir = a.workdir is None
    workdir = a.workdir or Path(tempfile.mkdtemp(prefix="pkh-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    ctx = Context(quick=a.quick, workdir=workdir, reps=a.reps, keep=a.keep, profile=a.profile)

    if a.child:
        _child(a.child, ctx, a.child_out)
        return 0

    groups = _select(a.only)
    log(
        f"bench: {'quick' if a.quick else 'full'} sizes, {a.reps} runs each, groups: "
        f"{', '.join(groups)}; workdir {workdir}"
    )
    figs: list[Figure] = []
    summaries: list[str] = []
    started = time.monotonic()
    try:
        for g in groups:
            log(f"== {g}")
            gdir = workdir / g
            gdir.mkdir(exist_ok=True)
            out = gdir / "result.json"
            cmd = [
                sys.executable,
                "-m",
                "bench",
                "--child",
                g,
                "--child-out",
                str(out),
                "--workdir",
                str(gdir),
                "--reps",
                str(a.reps),
            ]
            if a.quick:
                cmd.append("--quick")
            prof = None
            if a.profile:
                from bench.profiling import py_spy

                spy = py_spy()
                if spy is None:
                    raise SystemExit("error: --profile needs py-spy (pip install py-spy)")
                a.profile.mkdir(parents=True, exist_ok=True)
                cmd += ["--profile", str(a.profile)]
                prof = a.profile / f"{g}.txt"
                cmd = [
                    spy,
                    "record",
                    "-r",
                    "100",
                    "-f",
                    "raw",
                    "--subprocesses",
                    "--nonblocking",
                    "-o",
                    str(prof),
                    "--",
                    *cmd,
                ]
            t = time.monotonic()
            rc = subprocess.call(cmd, env={**os.environ, "PYTHONUNBUFFERED": "1"})
            if out.exists():
                got = json.loads(out.read_text())
                figs += [_from_json(n, d) for n, d in got.items()]
            else:
                figs += [
                    Figure(n, None, "", skipped=True, note=f"group process exited {rc}")
                    for n in GROUPS[g][2]
                ]
            log(f"== {g} done in {time.monotonic() - t:.0f} s")
            if a.out:  # after every group, so a run cut short keeps what it measured
                _write(a.out, figs)
            if prof is not None and prof.exists():
                from bench.profiling import WITHIN, summarize

                for spec in WITHIN.get(g, [""]):
                    summaries.append(summarize(prof, spec))
            if not a.keep:
                shutil.rmtree(gdir, ignore_errors=True)
    finally:
        if own_workdir and not a.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    if a.profile:
        for f in sorted(a.profile.glob("server-*.txt")):
            summaries.append(summarize_server(f))
    for s in summaries:
        print(s, end="\n\n")
    print()
    print(table(figs))
    print(f"\n{len(figs)} figures in {time.monotonic() - started:.0f} s")
    if a.out:
        _write(a.out, figs)
        log(f"wrote {a.out}")
    return 0


def _write(path: Path, figs: list[Figure]) -> None:
    path.write_text(json.dumps({f.name: f.as_json() for f in figs}, indent=2, default=str) + "\n")
