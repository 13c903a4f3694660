"""A KPM import killed with SIGKILL mid-file, at chosen points, then run again to the end.

The import (`workflows.kpm_import.import_file`, what `pkh kpm import` runs) runs in a forked
child that SIGKILLs itself at a point chosen by the test: while staging the file (nothing
written yet), inside a batch's transaction once its households, events and index rows are all
written but not committed, and right after a batch committed; then at seeded random moments.
The kills follow each other on one store (each run resumes what the killed ones left). After
every kill, on the SQLite file and on PostgreSQL:

- `audit verify` passes (chains, projections against their replay, gapless case numbers);
- no household is half-registered: the no_kk and NIK index rows are exactly those the KPM
  cases' `attrs` call for, and the participant counters match the codes issued;

and the same import run once more to the end gives exactly the register one uninterrupted run
of the file gives on a fresh store (the same case numbers, participant codes, members and
index rows; no duplicates), its report accepting every good row and rejecting exactly the bad.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import signal
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from api.wiring import App, build_app
from bench.gen_kpm import generate
from engine.settings import Settings
from engine.store import audit_runner
from engine.store.kpm_tables import COUNTERS, HOUSEHOLDS, MEMBERS
from engine.store.migrate import upgrade
from engine.store.repository import CASES, EV
from tests.reliability._support import (
    TEST_SECRET,
    dump_figures,
    killer_at,
    wait_backends_gone,
    with_application_name,
)

WIB = timezone(timedelta(hours=7))
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=WIB)
ROWS, BATCH = 700, 100  # ~8 batches of ~100 rows


def _app(url: str) -> App:
    return build_app(Settings(database_url=url, secret_key=TEST_SECRET), clock=lambda: NOW)


def _import_until_killed(url: str, path: str, point: str, n: int, ready: Any) -> None:
    """The child: import `path`, SIGKILLing itself at `point` the n-th time it is reached."""
    from workflows import kpm_files, kpm_import

    die_at = killer_at(point, n)

    add, run, commit = kpm_files.Staging.add, kpm_import._Batch.run, kpm_import._commit_batch

    def staging_add(self: Any, *a: Any) -> None:
        add(self, *a)
        die_at("staging")

    def batch_run(self: Any, batch: Any) -> None:
        run(self, batch)  # every row of the batch written, the transaction not committed
        die_at("uncommitted")

    def commit_batch(*a: Any) -> Any:
        out = commit(*a)
        die_at("committed")
        return out

    kpm_files.Staging.add = staging_add  # type: ignore[method-assign]
    kpm_import._Batch.run = batch_run  # type: ignore[method-assign]
    kpm_import._commit_batch = commit_batch
    app = _app(url)
    app.service.calendar()
    ready.set()
    kpm_import.import_file(app, path, batch_rows=BATCH)
    os._exit(0)  # reached the end: the parent says it was not killed


def register(app: App) -> dict[str, Any]:
    """The whole register as comparable values (no timestamps)."""
    with app.db.reading() as s:
        cases = s.execute(
            sa.select(CASES.c.id, CASES.c.state, CASES.c.region, CASES.c.attrs, CASES.c.version)
            .where(CASES.c.workflow == "kpm")
            .order_by(CASES.c.id)
        ).all()
        events = s.execute(
            sa.select(EV.c.case_id, EV.c.version, EV.c.event_type).order_by(EV.c.id)
        ).all()
        households = set(s.execute(sa.select(HOUSEHOLDS)).all())
        members = s.execute(sa.select(MEMBERS.c.nik, MEMBERS.c.case_id, MEMBERS.c.member_no))
        member_rows = [tuple(r) for r in members]
        counters = dict(s.execute(sa.select(COUNTERS.c.key, COUNTERS.c.last)).all())
    return {
        "cases": [(c.id, c.state, c.region, c.version, c.attrs) for c in cases],
        "events": sorted(tuple(e) for e in events),
        "households": {tuple(h) for h in households},
        "members": sorted(member_rows),
        "counters": counters,
    }


def check_whole(app: App, where: str) -> dict[str, Any]:
    """Verify passes and every household is whole: its index rows are its attrs'."""
    report = audit_runner.verify(app.db, stop_at_first=False)
    assert report.ok, f"{where}: {[str(p) for p in report.problems[:5]]}"
    reg = register(app)
    want_households, want_members = set(), []
    issued: dict[str, int] = {}
    for case_id, _, region, _, attrs in reg["cases"]:
        code = attrs["kode_peserta"]
        want_households.add((attrs["no_kk"], case_id, code, region))
        want_members += [(m["nik"], case_id, no) for no, m in attrs["anggota"].items()]
        key = code[:8]
        issued[key] = max(issued.get(key, 0), int(code[8:]))
    assert reg["households"] == want_households, f"{where}: household index differs"
    assert reg["members"] == sorted(want_members), f"{where}: member index differs"
    assert len({nik for nik, _, _ in reg["members"]}) == len(reg["members"])
    assert reg["counters"] == issued, f"{where}: participant counters differ from codes issued"
    assert all(v == 1 for _, _, _, v, _ in reg["cases"]), f"{where}: a household has 2 events"
    return reg


def reference(tmp_path: Path, path: str) -> tuple[dict[str, Any], dict[str, Any], float]:
    """The register, report and seconds of one uninterrupted run on a fresh SQLite file."""
    from workflows.kpm_import import import_file

    url = f"sqlite:///{tmp_path / 'reference.db'}"
    upgrade(url)
    app = _app(url)
    try:
        t0 = time.perf_counter()
        report = import_file(app, path, batch_rows=BATCH).as_dict()
        return register(app), report, time.perf_counter() - t0
    finally:
        app.db.dispose()


KILLS = [
    ("staging", 350),  # reading the file: nothing written
    ("uncommitted", 1),  # the first batch written, not committed
    ("committed", 2),  # two batches in
    ("uncommitted", 2),  # resumed: the first batches are known, the next one dies unwritten
    ("committed", 3),
]


def kill_imports(app: App, url: str, tmp_path: Path, seed: int, timed: int) -> dict[str, Any]:
    from workflows.kpm_import import import_file

    g = generate(tmp_path / "kpm.csv", ROWS, seed=seed, bad=0.05, as_of=NOW.date())
    want, want_report, seconds = reference(tmp_path, g.path)
    assert want_report["new_households"] == g.households > ROWS // BATCH
    rng = random.Random(seed)
    ctx = mp.get_context("fork")
    name = f"pkh_import_{uuid.uuid4().hex[:8]}"
    child_url = with_application_name(url, name)
    plan = KILLS + [("timed", 0)] * timed
    households_after: list[int] = []
    start = time.perf_counter()
    timed_kills = 0
    for k, (point, n) in enumerate(plan):
        app.db.dispose()
        ready = ctx.Event()
        proc = ctx.Process(target=_import_until_killed, args=(child_url, g.path, point, n, ready))
        proc.start()
        assert ready.wait(60), "the import did not start"
        if point == "timed":
            # anywhere from the reading to past the end (then it finished: not counted)
            time.sleep(rng.uniform(0.2, 1.6) * seconds)
            os.kill(proc.pid, signal.SIGKILL)
        proc.join(120)
        if point != "timed" or proc.exitcode != 0:  # a timed kill may come after the end
            assert proc.exitcode == -signal.SIGKILL, (k, point, proc.exitcode)
            timed_kills += point == "timed"
        if url.startswith("postgresql"):
            wait_backends_gone(url, name)
        reg = check_whole(app, f"after kill {k + 1} ({point} {n})")
        households_after.append(len(reg["cases"]))
    assert households_after[0] == households_after[1] == 0  # nothing written before a commit
    assert households_after[-1] > 0 or timed == 0

    again = import_file(app, g.path, batch_rows=BATCH).as_dict()
    got = check_whole(app, "after the rerun")
    assert got == want, "the resumed import differs from one uninterrupted run"
    assert {r["line"] for r in again["rejected"]} == {r["line"] for r in want_report["rejected"]}
    assert again["rows"] == g.rows
    assert again["accepted_members"] == want_report["accepted_members"] == g.good_rows
    assert again["accepted_households"] == g.households
    assert again["new_households"] == g.households - households_after[-1]
    assert again["new_members"] + again["unchanged_members"] == g.good_rows
    assert again["added_members"] == 0
    return {
        "backend": app.db.dialect,
        "kills": len(KILLS) + timed_kills,
        "timed_kills_that_landed": f"{timed_kills} of {timed}",
        "households_after_each_kill": households_after,
        "rows": g.rows,
        "households": g.households,
        "resumed_new_households": again["new_households"],
        "seconds": round(time.perf_counter() - start, 1),
    }


def test_an_import_killed_mid_file_resumes_to_the_state_of_one_uninterrupted_run(
    db_url: str, tmp_path: Path
) -> None:
    app = _app(db_url)
    try:
        figures = kill_imports(app, db_url, tmp_path, seed=23, timed=3)
        dump_figures(f"import_crash[{figures['backend']}]", figures)
    finally:
        app.db.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("seed", [31, 37])
def test_an_import_killed_at_random_moments_resumes_exactly(
    db_url: str, tmp_path: Path, seed: int
) -> None:
    app = _app(db_url)
    try:
        figures = kill_imports(app, db_url, tmp_path, seed=seed, timed=12)
        dump_figures(f"import_crash_random[{figures['backend']}]", figures)
    finally:
        app.db.dispose()
