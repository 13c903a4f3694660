"""A calendar override's recount of deadlines killed with SIGKILL midway.

`pkh calendar override add` stores the override and records a `DeadlinesRecalculated` event on
every open case whose deadline it moves, in one transaction (engine.store.recalc), in batches
of cases. A forked child adds the override with batches of 3 cases and SIGKILLs itself after
the n-th batch is written (not committed), or at seeded random moments. After each kill, on
the SQLite file and on PostgreSQL: `audit verify` passes, and either nothing changed (no
override, no recount event, every deadline as before) or everything did; adding the override
again then moves every affected case exactly once, as one uninterrupted run does.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import signal
import time
import uuid
from collections import Counter
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from api.admin import add_override
from api.wiring import App, build_app
from engine.settings import Settings
from engine.store import audit_runner
from engine.store.repository import CASES, EV
from tests.conftest import Clock, complaint_data
from tests.reliability._support import (
    TEST_SECRET,
    dump_figures,
    wait_backends_gone,
    with_application_name,
)

DAY = date(2026, 3, 4)  # a Wednesday inside every new case's first stage
AT = datetime.fromisoformat("2026-03-03T09:00:00+07:00")


def _add_until_killed(url: str, n: int, ready: Any) -> None:
    from engine.store import recalc

    seen = {"n": 0}
    move = recalc._move

    def moved(*a: Any, **kw: Any) -> int:
        out = move(*a, **kw)  # the batch's events written, the transaction not committed
        seen["n"] += 1
        if seen["n"] == n:
            os.kill(os.getpid(), signal.SIGKILL)
        return out

    recalc._move = moved
    recalc.BATCH = 3
    app = build_app(Settings(database_url=url, secret_key=TEST_SECRET), clock=lambda: AT)
    ready.set()
    add_override(app.db, DAY, working=False, name="Libur tambahan", actor="admin", now=AT)
    os._exit(0)


def state(app: App) -> tuple[int, Counter[str], list[tuple[Any, ...]]]:
    with app.db.reading() as s:
        overrides = len(list(s.execute(sa.text("SELECT day FROM calendar_overrides"))))
        recounts = Counter(
            r.case_id
            for r in s.execute(
                sa.select(EV.c.case_id).where(EV.c.event_type == "DeadlinesRecalculated")
            )
        )
        dues = [
            tuple(r)
            for r in s.execute(
                sa.select(CASES.c.id, CASES.c.stage_due, CASES.c.level_due).order_by(CASES.c.id)
            )
        ]
    return overrides, recounts, dues


def test_a_recount_killed_midway_leaves_all_or_nothing_and_a_rerun_moves_each_case_once(
    app: App, db_url: str, clock: Clock
) -> None:
    ids = [
        app.service.open_case("complaint", complaint_data(summary=f"tenggat {i}"), "kab.bogor").id
        for i in range(14)
    ]
    before = state(app)
    assert before[0] == 0 and not before[1]
    ctx = mp.get_context("fork")
    name = f"pkh_recount_{uuid.uuid4().hex[:8]}"
    child_url = with_application_name(db_url, name)
    rng = random.Random(3)
    plan = [1, 3, 5, 0, 0, 0]  # the n-th batch of 3 cases (5 batches); 0: a timed kill
    landed = 0
    start = time.perf_counter()
    for k, n in enumerate(plan):
        app.db.dispose()
        ready = ctx.Event()
        proc = ctx.Process(target=_add_until_killed, args=(child_url, n or 99, ready))
        proc.start()
        assert ready.wait(60)
        if not n:
            time.sleep(rng.uniform(0.0, 0.05))
            os.kill(proc.pid, signal.SIGKILL)
        proc.join(60)
        if n or proc.exitcode != 0:
            assert proc.exitcode == -signal.SIGKILL, (k, n, proc.exitcode)
            landed += 1
        if db_url.startswith("postgresql"):
            wait_backends_gone(db_url, name)
        report = audit_runner.verify(app.db, stop_at_first=False)
        assert report.ok, f"after kill {k + 1}: {[str(p) for p in report.problems[:5]]}"
        now = state(app)
        if proc.exitcode != 0:
            assert now == before, f"after kill {k + 1}: a half-done recount is visible"
        else:  # the timed kill came after the end: all of it is there, once
            assert now[0] == 1 and sorted(now[1]) == sorted(ids), now[:2]
            before = now
    first = before
    clock.set(AT)
    add_override(app.db, DAY, working=False, name="Libur tambahan", actor="admin", now=AT)
    overrides, recounts, dues = state(app)
    assert overrides == 1 and sorted(recounts) == sorted(ids)
    assert set(recounts.values()) == {1}, "a case was recounted twice"
    assert all(new[1] > old[1] for new, old in zip(dues, first[2], strict=True)) or first[0] == 1, (
        "a stage deadline did not move"
    )
    assert audit_runner.verify(app.db).ok
    dump_figures(
        f"recount_crash[{app.db.dialect}]",
        {
            "backend": app.db.dialect,
            "kills": landed,
            "cases": len(ids),
            "seconds": round(time.perf_counter() - start, 1),
        },
    )
