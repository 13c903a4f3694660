"""transitions_sqlite and transitions_postgres: complaint transitions through CaseService, one
transaction per command, against a bare-driver baseline doing the same inserts and updates.

Workload: each case is filed, then advanced four times until it closes (dokumentasi ->
identifikasi -> tindak_lanjut -> pemberitahuan -> selesai): five commands, each its own
transaction writing the event and the projection; the filing and the closing also write their
outbox row (acknowledgement, result letter), the filing also takes the next case number.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import random
import time
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from bench.core import Check, Context, Figure, log, rate_figure
from bench.seed import CLOSE_SCRIPT, COMPLAINT, BareWriter, Template, record
from bench.store import (
    add_users,
    build,
    desa_by_kabupaten,
    migrated_sqlite,
    pg_reachable,
    pg_schema,
    raw_pg,
    raw_sqlite,
    sqlite_url,
)

KABS = ["3271", "3273", "3201", "7371", "5171", "9171", "1371", "6471"]
PER_CASE = 1 + len(CLOSE_SCRIPT)


def _officers() -> list[tuple[str, str, str | None]]:
    return [(f"kab.{k}", "kabupaten", k) for k in KABS] + [("kab.3271b", "kabupaten", "3271")]


def _regions() -> dict[str, list[str]]:
    desa = desa_by_kabupaten()
    return {k: desa[k][:50] for k in KABS}


def _lifecycles(app: Any, officer: str, regions: list[str], cases: int, seed: int) -> int:
    """The measured loop: file + 4 advances per case, each a CaseService command."""
    rng = random.Random(seed)
    svc = app.service
    n = 0
    for _ in range(cases):
        data = {**COMPLAINT, "region": rng.choice(regions)}
        case_id = svc.open_case("complaint", data, officer).id
        for trigger, payload in CLOSE_SCRIPT:
            svc.apply(case_id, trigger, payload, officer)
        n += PER_CASE
    return n


def _template(url: str) -> Template:
    app = build(url)
    add_users(app, _officers(), datetime.now(UTC))
    tpl = record(app, "kab.3271", {**COMPLAINT, "region": "3271011001"}, CLOSE_SCRIPT)
    app.db.dispose()
    tpl.chained = []
    return tpl


def _count(url: str, table: str) -> int:
    eng = sa.create_engine(url)
    try:
        with eng.connect() as c:
            return int(c.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar())
    finally:
        eng.dispose()


# -- SQLite ---------------------------------------------------------------------------------------
def run_sqlite(ctx: Context) -> list[Figure]:
    n = ctx.size(2_000, 20_000)
    cases = n // PER_CASE
    regions = _regions()
    tpl = _template(sqlite_url(migrated_sqlite(ctx.workdir, "tr_template.db")))
    times: list[float] = []
    base: list[float] = []
    for rep in range(ctx.reps):
        order = ("service", "bare") if rep % 2 == 0 else ("bare", "service")
        for which in order:
            path = migrated_sqlite(ctx.workdir, f"tr_{which}.db")
            if which == "service":
                app = build(sqlite_url(path))
                add_users(app, _officers(), datetime.now(UTC))
                _lifecycles(app, "kab.3271", regions["3271"], 2, seed=0)  # warm-up, untimed
                t = time.perf_counter()
                done = _lifecycles(app, "kab.3271", regions["3271"], cases, seed=rep)
                dt = time.perf_counter() - t
                app.db.dispose()
                got = _count(sqlite_url(path), "case_events") - 2 * PER_CASE
                assert got == done == cases * PER_CASE, (got, done)
                times.append(dt)
            else:
                con = raw_sqlite(path)
                w = BareWriter(con, tpl, "sqlite")
                w.lifecycle()  # warm-up
                t = time.perf_counter()
                done = sum(w.lifecycle() for _ in range(cases))
                dt = time.perf_counter() - t
                con.close()
                base.append(dt)
            log(f"  transitions_sqlite rep {rep + 1}/{ctx.reps} {which}: {done / dt:,.0f}/s")
    fig = rate_figure(
        "transitions_sqlite",
        "transitions/s",
        cases * PER_CASE,
        times,
        base,
        "bare sqlite3: same inserts/updates (counter, event, projection, outbox), "
        "one BEGIN IMMEDIATE..COMMIT per command, same pragmas",
        f"{cases * PER_CASE:,} transitions ({cases:,} cases x {PER_CASE}), WAL file",
    )
    return [
        fig.judge(
            Check("value", ">=", 1000, ">= 1,000/s"),
            Check("ratio", "<=", 4, "ratio <= 4"),
        )
    ]


# -- PostgreSQL, 8 client processes ---------------------------------------------------------------
def _pg_worker(
    kind: str,
    target: str,
    officer: str,
    regions: list[str],
    cases: int,
    tpl: Template | None,
    barrier: Any,
    out: Any,
    seed: int,
) -> None:
    try:
        if kind == "service":
            app = build(target)
            _lifecycles(app, officer, regions, 1, seed=seed + 1000)  # warm-up
            barrier.wait()
            t0 = time.time()
            done = _lifecycles(app, officer, regions, cases, seed=seed)
            t1 = time.time()
            app.db.dispose()
        else:
            assert tpl is not None
            con = raw_pg(target)
            w = BareWriter(con, tpl, "postgresql")
            w.lifecycle()
            barrier.wait()
            t0 = time.time()
            done = sum(w.lifecycle() for _ in range(cases))
            t1 = time.time()
            con.close()
        out.put((t0, t1, done, None))
    except Exception as e:  # noqa: BLE001 - reported to the parent
        import traceback

        with contextlib.suppress(Exception):
            barrier.abort()
        out.put((0.0, 0.0, 0, f"{type(e).__name__}: {e}\n{traceback.format_exc()}"))


def _pg_round(
    kind: str, clients: int, cases: int, tpl: Template, regions: dict[str, list[str]], rep: int
) -> float:
    ctx = mp.get_context("spawn")
    with pg_schema("bench") as (url, schema):
        if kind == "service":
            app = build(url)
            add_users(app, _officers(), datetime.now(UTC))
            app.db.dispose()
        barrier = ctx.Barrier(clients)
        out = ctx.Queue()
        procs = [
            ctx.Process(
                target=_pg_worker,
                args=(
                    kind,
                    url if kind == "service" else schema,
                    f"kab.{KABS[i % len(KABS)]}",
                    regions[KABS[i % len(KABS)]],
                    cases,
                    tpl if kind == "bare" else None,
                    barrier,
                    out,
                    rep * 100 + i,
                ),
            )
            for i in range(clients)
        ]
        for p in procs:
            p.start()
        results = [out.get(timeout=3600) for _ in procs]
        for p in procs:
            p.join()
        errors = [r[3] for r in results if r[3]]
        if errors:
            raise RuntimeError(f"postgres {kind} worker failed: {errors[0]}")
        wall = max(r[1] for r in results) - min(r[0] for r in results)
        done = sum(r[2] for r in results)
        expect = clients * cases * PER_CASE
        assert done == expect, (done, expect)
        if kind == "service":
            assert _count(url, "case_events") == expect + clients * PER_CASE
    return wall


def run_postgres(ctx: Context) -> list[Figure]:
    name = "transitions_postgres_8clients"
    clients = 8
    why = pg_reachable()
    if why:
        f = Figure(name, None, "transitions/s", skipped=True, note=f"PostgreSQL unreachable: {why}")
        return [f.judge(Check("value", ">=", 1000, ">= 1,000/s"))]
    per_client = ctx.size(250, 2_500) // PER_CASE
    regions = _regions()
    with pg_schema("bench") as (url, _schema):
        tpl = _template(url)
    times: list[float] = []
    base: list[float] = []
    for rep in range(ctx.reps):
        order = ("service", "bare") if rep % 2 == 0 else ("bare", "service")
        for kind in order:
            wall = _pg_round(kind, clients, per_client, tpl, regions, rep)
            (times if kind == "service" else base).append(wall)
            rate = clients * per_client * PER_CASE / wall
            log(f"  {name} rep {rep + 1}/{ctx.reps} {kind}: {rate:,.0f}/s")
    total = clients * per_client * PER_CASE
    fig = rate_figure(
        name,
        "transitions/s",
        total,
        times,
        base,
        "bare psycopg in 8 processes: same inserts/updates, one transaction per command",
        f"{total:,} transitions, {clients} client processes x {per_client:,} cases x {PER_CASE}",
    )
    return [fig.judge(Check("value", ">=", 1000, ">= 1,000/s"))]
