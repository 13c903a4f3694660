"""sweep, sweep_idle, sweep_growth: engine.sweeper.sweep over bulk-seeded open cases.

The projection table is seeded with SQL (bench.seed.seed_projections); the sweep itself runs
through the real code (`engine.sweeper.sweep` with a CaseService from api.wiring.build_app), on a
SQLite file (the embedded default), at Tuesday 24 November 2026 09:00 WIB (10:00 WITA, 11:00 WIT:
office hours everywhere, a working day).

Full size: 1,000,000 open cases, 50,000 (5%) due or overdue; growth: 100,000 open with the same
50,000 due. Quick: the same open counts with 5,000 due; time goals are scaled by due/50,000.
"""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bench.core import Check, Context, Figure, log, median
from bench.seed import ProjectionSpec, seed_projections, set_counter, sqlite_count
from bench.store import (
    build,
    bulk_users,
    desa_by_kabupaten,
    migrated_sqlite,
    raw_sqlite,
    sqlite_ts,
    sqlite_url,
)

WIB = timezone(timedelta(hours=7))
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=WIB)
FULL_DUE = 50_000


def _make_db(
    workdir: Path, name: str, n_open: int, n_due: int, cal: Any, desa: dict[str, list[str]]
) -> Path:
    path = migrated_sqlite(workdir, name)
    kabs = sorted(desa)
    users = [(f"kab.{k}.{i}", "kabupaten", k) for k in kabs for i in (1, 2)]
    users += [(f"pusat.{i}", "pusat", None) for i in (1, 2, 3)] + [("admin", "admin", None)]
    bulk_users(path, users, NOW)
    handlers = {k: [f"kab.{k}.1", f"kab.{k}.2"] for k in kabs}
    t = time.perf_counter()
    seed_projections(path, ProjectionSpec(n_open, n_due, NOW), cal, desa, handlers, name)
    # the pendamping and ketua kelompok handlers the seed names (bench.seed: `pen.<kecamatan>`,
    # `ket.<desa>`) are accounts of their level covering their cases, the same in both
    # stores: the sweep reminds the office in place of a handler who cannot act (unknown,
    # disabled, relieved), and these offices have no one else
    local = {(f"ket.{d}", "ketua_kelompok", d) for ds in desa.values() for d in ds}
    local |= {(f"pen.{d[:6]}", "pendamping", d[:6]) for ds in desa.values() for d in ds}
    bulk_users(path, sorted(local), NOW)
    set_counter(path, "ADU-2026", n_open)
    log(f"  seeded {name}: {n_open:,} open, {n_due:,} due in {time.perf_counter() - t:.0f} s")
    return path


def _reset(path: Path) -> None:
    con = raw_sqlite(path)
    con.execute("DELETE FROM sweep_marks")
    con.execute("DELETE FROM sweep_quiet")
    con.execute("DELETE FROM outbox")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def _sweep(app: Any) -> tuple[float, Any]:
    from engine.sweeper import sweep

    t = time.perf_counter()
    report = sweep(app.service, NOW)
    return time.perf_counter() - t, report


# -- the bare baseline ----------------------------------------------------------------------------
def _capture(path: Path) -> tuple[list[str], list[tuple[str, list[Any], list[Any]]]]:
    """What the real sweep wrote, grouped by case in order: marks and outbox rows."""
    con = raw_sqlite(path)
    cols = [r[1] for r in con.execute("PRAGMA table_info(outbox)") if r[1] != "id"]
    marks: dict[str, list[Any]] = defaultdict(list)
    for r in con.execute(
        "SELECT case_id, stage_key, mark, created_at FROM sweep_marks ORDER BY rowid"
    ):
        marks[r[0]].append(r)
    obs: dict[str, list[Any]] = defaultdict(list)
    ci = cols.index("case_id")
    for r in con.execute(f"SELECT {', '.join(cols)} FROM outbox ORDER BY id"):
        obs[r[ci]].append(r)
    con.close()
    order = list(dict.fromkeys([*marks, *obs]))
    return cols, [(c, marks[c], obs[c]) for c in order]


def _bare(path: Path, horizon: str, cols: list[str], groups: list[Any]) -> tuple[float, float]:
    """Bare sqlite3: the candidate query, then per case one transaction checking and inserting
    its marks and inserting its outbox rows. Returns (sweep time, candidate query alone)."""
    con = raw_sqlite(path)
    q = (
        "SELECT * FROM cases WHERE status = 'open' AND workflow = 'complaint' "
        "AND stage_due <= ? ORDER BY stage_due, id"
    )
    ins_ob = f"INSERT INTO outbox ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    t = time.perf_counter()
    found = con.execute(q, (horizon,)).fetchall()
    for case_id, marks, obs in groups:
        con.execute("BEGIN IMMEDIATE")
        for _cid, key, mark, created in marks:
            con.execute(
                "SELECT mark FROM sweep_marks WHERE case_id = ? AND stage_key = ? AND mark = ?",
                (case_id, key, mark),
            ).fetchone()
            con.execute(
                "INSERT INTO sweep_marks (case_id, stage_key, mark, created_at) "
                "VALUES (?, ?, ?, ?)",
                (case_id, key, mark, created),
            )
        con.executemany(ins_ob, obs)
        con.execute("COMMIT")
    full = time.perf_counter() - t
    t = time.perf_counter()
    again = con.execute(q, (horizon,)).fetchall()
    idle = time.perf_counter() - t
    con.close()
    assert len(found) == len(again)
    return full, idle


def run(ctx: Context) -> list[Figure]:
    from engine.sweeper import _horizon
    from workflows.indonesia import build_calendar

    cal = build_calendar()
    assert cal.is_working_day(NOW.date())
    big, small = 1_000_000, 100_000
    due = ctx.size(5_000, FULL_DUE)
    scale = due / FULL_DUE
    desa = desa_by_kabupaten()
    p_big = _make_db(ctx.workdir, "sweep_1m.db", big, due, cal, desa)
    p_small = _make_db(ctx.workdir, "sweep_100k.db", small, due, cal, desa)
    app_big = build(sqlite_url(p_big), clock=lambda: NOW)
    app_small = build(sqlite_url(p_small), clock=lambda: NOW)
    horizon = sqlite_ts(_horizon(NOW, 2, app_big.service))

    t_full: list[float] = []
    t_idle: list[float] = []
    t_small: list[float] = []
    b_full: list[float] = []
    b_idle: list[float] = []
    captured: tuple[list[str], list[Any]] | None = None
    found = messages = 0
    for rep in range(ctx.reps):
        _reset(p_big)
        dt, rep_full = _sweep(app_big)
        if rep_full.examined != due or len(rep_full.reminded) != due or rep_full.failed:
            raise AssertionError(
                f"sweep found {rep_full.examined}, reminded {len(rep_full.reminded)} of {due} "
                f"due; failed {rep_full.failed[:3]}"
            )
        found, messages = rep_full.examined, rep_full.messages
        t_full.append(dt)
        di, rep_idle = _sweep(app_big)
        assert rep_idle.messages == 0 and not rep_idle.reminded, "second sweep did something"
        t_idle.append(di)
        if captured is None:
            captured = _capture(p_big)
            assert sqlite_count(p_big, "SELECT count(*) FROM outbox") == messages
        _reset(p_big)
        bf, bi = _bare(p_big, horizon, *captured)
        b_full.append(bf)
        b_idle.append(bi)
        _reset(p_small)
        ds, rep_small = _sweep(app_small)
        assert rep_small.examined == due and len(rep_small.reminded) == due
        t_small.append(ds)
        log(
            f"  sweep rep {rep + 1}/{ctx.reps}: 1M {dt:.1f} s (bare {bf:.1f} s), "
            f"idle {di:.2f} s (bare query {bi:.2f} s), 100k {ds:.1f} s"
        )
    app_big.db.dispose()
    app_small.db.dispose()

    note_q = " Goal scaled to the quick size (due/50,000)." if ctx.quick else ""
    size = f"{big:,} open, {due:,} due; {messages:,} messages"
    sw = Figure(
        "sweep",
        median(t_full),
        "s",
        baseline=median(b_full),
        baseline_what="bare sqlite3: the same candidate query, then per case one transaction "
        "that checks and inserts its marks and inserts its outbox rows (rows captured from the "
        "real sweep)",
        ratio=median([a / b for a, b in zip(t_full, b_full, strict=True)]),
        size=size,
        runs=t_full,
        baseline_runs=b_full,
        note=f"found {found:,} of {due:,} due, all reminded.{note_q}",
    ).judge(Check("value", "<=", 20 * scale, f"<= {20 * scale:g} s"))
    idle = Figure(
        "sweep_idle",
        median(t_idle),
        "s",
        baseline=median(b_idle),
        baseline_what="bare sqlite3: the candidate query alone (fetch all rows)",
        ratio=median([a / b for a, b in zip(t_idle, b_idle, strict=True)]),
        size=f"{big:,} open, {due:,} due, all already handled",
        runs=t_idle,
        baseline_runs=b_idle,
        note=f"second sweep at the same moment: 0 messages.{note_q}",
    ).judge(Check("value", "<=", 1 * scale, f"<= {1 * scale:g} s"))
    growth = Figure(
        "sweep_growth",
        median(t_full),
        "s at 1M open",
        baseline=median(t_small),
        baseline_what=f"the same sweep at {small:,} open with the same {due:,} due",
        ratio=median([a / b for a, b in zip(t_full, t_small, strict=True)]),
        size=f"{big:,} vs {small:,} open, {due:,} due in both",
        runs=t_full,
        baseline_runs=t_small,
    ).judge(Check("ratio", "<=", 1.5, "ratio <= 1.5"))
    return [sw, idle, growth]
