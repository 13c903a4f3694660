"""The deadline sweep killed with SIGKILL mid-run, then run again at the same moment.

Cases: kabupaten complaints with a handler and without one (reminders, supervisor notices),
and pendamping complaints past their level deadline (escalations by `system`). The sweep runs
in a forked child, in notice transactions of 4 cases, that SIGKILLs itself at a point chosen by
the test: after the n-th escalation committed, inside a notice transaction once its marks are
claimed (not committed), after the n-th notice transaction committed, before the quiet rows
are recorded; then at seeded random moments. After every kill, on the SQLite file and on
PostgreSQL, `audit verify` passes and no (case, stage, mark) has more than one set of
messages; after a sweep run to the end, the store holds exactly what one uninterrupted sweep
gives on a fresh store: the same messages (none twice for one stage and mark), the same
escalations (each case escalated once), the same case states.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import signal
import time
import uuid
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from api.admin import add_user
from api.wiring import App, build_app
from engine.settings import Settings
from engine.store import audit_runner
from engine.store.migrate import upgrade
from engine.store.repository import CASES, EV, OUTBOX
from tests.conftest import OFFICERS, Clock, complaint_data
from tests.reliability._support import (
    TEST_SECRET,
    dump_figures,
    killer_at,
    wait_backends_gone,
    with_application_name,
)

SWEEP_AT = datetime.fromisoformat("2026-03-10T09:00:00+07:00")  # a working Tuesday
NEXT_DAY = datetime.fromisoformat("2026-03-11T09:00:00+07:00")  # new overdue reminders


def cases(app: App) -> None:
    """Filed on Monday 2 March: by 10 March every kabupaten stage is overdue and every
    pendamping level deadline (9 March) has passed."""
    for i in range(10):
        app.service.open_case("complaint", complaint_data(summary=f"ditangani {i}"), "kab.bogor")
        app.service.open_case("complaint", complaint_data(summary=f"antrean {i}"), "pusat.spm")
        app.service.open_case(
            "complaint",
            complaint_data(level="pendamping", region="327101", summary=f"pendamping {i}"),
            "pdp.bogor",
        )


def _sweep_until_killed(url: str, point: str, n: int, ready: Any, moment: datetime) -> None:
    import engine.sweep_actions as acts
    import engine.sweeper as sw

    die_at = killer_at(point, n)

    escalate, notify, claim, settle = sw.escalate, sw.notify, acts._claim, sw._settle

    def escalated(*a: Any, **kw: Any) -> Any:
        out = escalate(*a, **kw)
        die_at("escalated")
        return out

    def notified(*a: Any, **kw: Any) -> Any:
        out = notify(*a, **kw)
        die_at("notified")
        return out

    def claimed(*a: Any, **kw: Any) -> Any:
        out = claim(*a, **kw)  # the marks written, the transaction not committed
        die_at("claimed")
        return out

    def settled(*a: Any, **kw: Any) -> Any:
        die_at("settling")
        return settle(*a, **kw)

    sw.escalate, sw.notify, sw._settle = escalated, notified, settled
    acts._claim = claimed  # called by notify
    sw.BATCH = 4
    app = build_app(Settings(database_url=url, secret_key=TEST_SECRET), clock=lambda: moment)
    app.service.calendar()
    ready.set()
    sw.sweep(app.service, moment)
    os._exit(0)


def outcome(app: App) -> dict[str, Any]:
    with app.db.reading() as s:
        messages = Counter(
            tuple(r)
            for r in s.execute(
                sa.select(
                    OUTBOX.c.case_id,
                    OUTBOX.c.event_version,
                    OUTBOX.c.template,
                    OUTBOX.c.recipient,
                    OUTBOX.c.payload,
                ).where(OUTBOX.c.event_type == "DeadlineSweep")
            )
            for r in [(*r[:4], repr(sorted(r[4]["extra"].items())))]
        )
        escalations = Counter(
            r.case_id
            for r in s.execute(sa.select(EV.c.case_id).where(EV.c.event_type == "CaseEscalated"))
        )
        states = [
            tuple(r)
            for r in s.execute(
                sa.select(CASES.c.id, CASES.c.state, CASES.c.level, CASES.c.version).order_by(
                    CASES.c.id
                )
            )
        ]
        outbox_all = Counter(
            tuple(r)
            for r in s.execute(
                sa.select(
                    OUTBOX.c.case_id, OUTBOX.c.event_version, OUTBOX.c.template, OUTBOX.c.recipient
                ).where(OUTBOX.c.event_type != "DeadlineSweep")
            )
        )
    return {"messages": messages, "escalations": escalations, "states": states, "all": outbox_all}


def check(app: App, where: str) -> dict[str, Any]:
    report = audit_runner.verify(app.db, stop_at_first=False)
    assert report.ok, f"{where}: {[str(p) for p in report.problems[:5]]}"
    got = outcome(app)
    # a sweep's message is one mark's (its day and figures are in `extra`), others one event's
    assert all(c == 1 for c in got["messages"].values()), f"{where}: a reminder queued twice"
    assert all(c == 1 for c in got["all"].values()), f"{where}: a message queued twice"
    assert all(c == 1 for c in got["escalations"].values()), f"{where}: escalated twice"
    return got


def reference(tmp_path: Path) -> dict[str, Any]:
    from engine.sweeper import sweep

    url = f"sqlite:///{tmp_path / 'reference.db'}"
    upgrade(url)
    clock = Clock(datetime.fromisoformat("2026-03-02T09:00:00+07:00"))
    app = build_app(Settings(database_url=url, secret_key=TEST_SECRET), clock=clock)
    try:
        for name, role, region in OFFICERS:
            add_user(app.db, name, role, region, now=clock())
        cases(app)
        clock.set(SWEEP_AT)
        sweep(app.service, SWEEP_AT)
        first = outcome(app)
        clock.set(NEXT_DAY)
        sweep(app.service, NEXT_DAY)
        return {"first": first, "next_day": outcome(app)}
    finally:
        app.db.dispose()


KILLS = [
    ("escalated", 3),
    ("claimed", 1),  # the first notice transaction dies before its commit
    ("notified", 2),
    ("notified", 1),
    ("settling", 1),
]


def test_a_sweep_killed_mid_run_completes_on_a_rerun_with_nothing_twice(
    app: App, db_url: str, clock: Clock, tmp_path: Path
) -> None:
    from engine.sweeper import sweep

    wants = reference(tmp_path)
    want = wants["first"]
    assert len(want["escalations"]) == 10 and len(want["messages"]) >= 30
    assert sum(wants["next_day"]["messages"].values()) > sum(want["messages"].values())
    cases(app)
    clock.set(SWEEP_AT)
    rng = random.Random(41)
    ctx = mp.get_context("fork")
    name = f"pkh_sweep_{uuid.uuid4().hex[:8]}"
    child_url = with_application_name(db_url, name)
    plan = [(p, n, SWEEP_AT) for p, n in KILLS] + [("timed", 0, NEXT_DAY)] * 4
    progress: list[tuple[int, int]] = []
    landed = 0
    start = time.perf_counter()
    for k, (point, n, moment) in enumerate(plan):
        if k == len(KILLS):  # the killed sweeps of the first day, done by one run to the end
            assert sweep(app.service, SWEEP_AT).failed == []
            got = check(app, "after the first day's rerun")
            assert got == want, "the resumed sweep differs from one uninterrupted sweep"
            assert sweep(app.service, SWEEP_AT).messages == 0
            want = wants["next_day"]
            clock.set(NEXT_DAY)
        app.db.dispose()
        ready = ctx.Event()
        proc = ctx.Process(target=_sweep_until_killed, args=(child_url, point, n, ready, moment))
        proc.start()
        assert ready.wait(60)
        if point == "timed":
            time.sleep(rng.uniform(0.0, 0.04))  # the day's sweep takes ~0.05 s
            os.kill(proc.pid, signal.SIGKILL)
        proc.join(60)
        if point != "timed" or proc.exitcode != 0:
            assert proc.exitcode == -signal.SIGKILL, (k, point, proc.exitcode)
            landed += 1
        if db_url.startswith("postgresql"):
            wait_backends_gone(db_url, name)
        got = check(app, f"after kill {k + 1} ({point} {n})")
        progress.append((len(got["escalations"]), sum(got["messages"].values())))
        if k == 0:
            assert progress[0] == (3, 0)  # escalations go first, notices after
    assert sweep(app.service, NEXT_DAY).failed == []
    got = check(app, "after the next day's rerun")
    assert got == want, "the resumed sweep differs from one uninterrupted sweep"
    assert sweep(app.service, NEXT_DAY).messages == 0
    dump_figures(
        f"sweep_crash[{app.db.dialect}]",
        {
            "backend": app.db.dialect,
            "kills": landed,
            "timed_kills": 4,
            "cases": 30,
            "escalations_and_messages_after_each_kill": progress,
            "messages_over_two_days": sum(want["messages"].values()),
            "seconds": round(time.perf_counter() - start, 1),
        },
    )
