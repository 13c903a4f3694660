"""The worklist and the sweep are served by indexes, on SQLite and on PostgreSQL (issue 7).

The statements checked are the ones the product runs: each query function is called with a
listener on the engine that records the SQL and parameters it sends, and the database is asked
to EXPLAIN exactly that. The table holds 20,000 projection rows (most closed, as in a running
programme) and the planner's statistics are fresh, so a plan here is the plan the planner would
choose for a real table, not one forced by switching sequential scans off.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.store import repository as repo
from engine.store.db import Database
from engine.store.sweep_source import candidates

ROWS = 20_000
KABUPATEN = [f"{p}{k:02d}" for p in ("31", "32", "33", "35", "73") for k in range(1, 9)]
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def _seed(db: Database) -> None:
    rng = random.Random(7)
    rows = []
    for i in range(ROWS):
        open_ = rng.random() < 0.15
        kab = rng.choice(KABUPATEN)
        due = NOW + timedelta(days=rng.randint(-60, 400), hours=rng.randint(0, 23))
        rows.append(
            {
                "id": f"ADU-2026-{i:06d}",
                "workflow": "complaint" if i % 10 else "kkn",
                "workflow_version": 1,
                "version": 3,
                "state": "identifikasi" if open_ else "selesai",
                "status": "open" if open_ else "closed",
                "level": "kabupaten",
                "stage": "identifikasi" if open_ else None,
                "region": f"{kab}{rng.randint(1, 30):02d}{rng.randint(1, 20):04d}",
                "zone": "Asia/Jakarta",
                "handler": f"kab.{kab}.{rng.randint(1, 5)}",
                "stage_started_at": NOW,
                "stage_due": due if open_ or rng.random() < 0.5 else None,
                "level_started_at": NOW,
                "level_due": due + timedelta(days=20) if open_ else None,
                "created_at": NOW - timedelta(days=30),
                "closed_at": None if open_ else NOW,
                "updated_at": NOW,
                "attrs": {"type": "pembayaran"},
                "case_type": "pembayaran",
                "summary": "Bantuan belum diterima",
                "subject": f"staff-{i % 997}" if i % 10 == 0 else None,
            }
        )
    with db.transaction() as s:
        s.execute(sa.insert(repo.CASES), rows)
    # fresh statistics (and, on PostgreSQL, the visibility map autovacuum would have set)
    with db.write_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.exec_driver_sql("ANALYZE" if db.dialect == "sqlite" else "VACUUM ANALYZE cases")


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    d = Database(db_url)
    _seed(d)
    yield d
    d.dispose()


def _plan(db: Database, run: Callable[[Session], Any], pick: int = -1) -> str:
    """Run the product's query function, capture what it sent, and EXPLAIN one SELECT of it
    (by default the last)."""
    sent: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, parameters))

    sa.event.listen(db.read_engine, "before_cursor_execute", capture)
    try:
        with db.reading() as s:
            run(s)
    finally:
        sa.event.remove(db.read_engine, "before_cursor_execute", capture)
    assert sent, "the query function sent no SELECT"
    statement, params = sent[pick]
    prefix = "EXPLAIN QUERY PLAN " if db.dialect == "sqlite" else "EXPLAIN "
    with db.read_engine.connect() as c:
        rows = c.exec_driver_sql(prefix + statement, params).all()
    return "\n".join(str(r[-1]) for r in rows)


def _uses(plan: str, index: str, dialect: str) -> None:
    assert index in plan, f"expected {index} in the plan:\n{plan}"
    full_scan = "Seq Scan on cases" if dialect == "postgresql" else "SCAN cases\n"
    assert full_scan not in plan + "\n", f"full scan of cases:\n{plan}"


def _ordered_by_index(plan: str, dialect: str) -> None:
    """The rows come out of the index in order: no sort of the matching rows."""
    sort = "Sort" if dialect == "postgresql" else "TEMP B-TREE"
    assert sort not in plan, f"the matching rows are sorted, not read in index order:\n{plan}"


def test_sweep_candidates_come_from_the_due_index(db: Database) -> None:
    """A range of the due index: the cost follows the number due, not the number open (the
    few rows found may then be sorted; that is cheap and also proportional to the due).
    For one province the planner may instead take the office index (status, region,
    stage_due, id): the deadline is inside the index, so the cases not yet due are passed
    over as index entries, never read as rows."""
    horizon = NOW + timedelta(days=4)
    plan = _plan(db, lambda s: candidates(s, "complaint", horizon, None))
    _uses(plan, "ix_cases_open_stage_due", db.dialect)
    plan = _plan(db, lambda s: candidates(s, "complaint", horizon, "32"))
    if "ix_cases_status_region_due" in plan:
        _uses(plan, "ix_cases_status_region_due", db.dialect)
        cond = "Index Cond" if db.dialect == "postgresql" else "USING INDEX"
        line = next(x for x in plan.splitlines() if cond in x)
        assert "stage_due" in line or db.dialect == "sqlite", plan
    else:
        _uses(plan, "ix_cases_open_stage_due", db.dialect)


def test_worklist_pages_come_from_the_due_index_in_order(db: Database) -> None:
    def page(s: Session, **kw: Any) -> None:
        repo.search_cases(s, repo.CaseFilter(**kw), limit=50)

    plan = _plan(db, lambda s: page(s, status="open"))
    _uses(plan, "ix_cases_open_stage_due", db.dialect)
    _ordered_by_index(plan, db.dialect)

    # the next page continues from the cursor inside the index
    with db.reading() as s:
        _, _, cursor = repo.search_cases(s, repo.CaseFilter(status="open"), limit=50)
    assert cursor is not None
    plan = _plan(
        db,
        lambda s: repo.search_cases(s, repo.CaseFilter(status="open"), limit=50, after=cursor),
    )
    _uses(plan, "ix_cases_open_stage_due", db.dialect)
    _ordered_by_index(plan, db.dialect)


def test_worklist_counts_from_an_index(db: Database) -> None:
    # search_cases sends the count first, then the page
    plan = _plan(
        db, lambda s: repo.search_cases(s, repo.CaseFilter(status="open"), limit=50), pick=0
    )
    _uses(plan, "ix_cases_", db.dialect)


def test_an_office_worklist_and_its_count_use_the_status_region_index(db: Database) -> None:
    """A kabupaten officer sees the open cases of the kabupaten: one range of (status,
    region), counted and paged from there (the few matching rows may then be sorted)."""
    f = repo.CaseFilter(status="open", scope="3201")
    count = _plan(db, lambda s: repo.search_cases(s, f, limit=50), pick=0)
    page = _plan(db, lambda s: repo.search_cases(s, f, limit=50), pick=1)
    for plan in (count, page):
        _uses(plan, "ix_cases_status_region_due", db.dialect)


def test_the_count_stops_above_the_cap(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(repo, "COUNT_CAP", 100)
    with db.reading() as s:
        _, capped, _ = repo.search_cases(s, repo.CaseFilter(status="open"), limit=5)
        _, exact, _ = repo.search_cases(s, repo.CaseFilter(status="open", scope="3201"), limit=5)
        real = s.execute(
            sa.select(sa.func.count())
            .select_from(repo.CASES)
            .where(repo.CASES.c.status == "open", repo.CASES.c.region.like("3201%"))
        ).scalar_one()
    assert capped == 101  # "more than 100"
    assert exact == real and 0 < real <= 100


def test_handler_and_overdue_worklists_use_indexes(db: Database) -> None:
    plan = _plan(
        db, lambda s: repo.search_cases(s, repo.CaseFilter(handler="kab.3201.1"), limit=50)
    )
    _uses(plan, "ix_cases_handler", db.dialect)
    plan = _plan(
        db,
        lambda s: repo.search_cases(s, repo.CaseFilter(overdue_at=NOW), limit=50),
    )
    assert "ix_cases_open_stage_due" in plan or "ix_cases_open_level_due" in plan, plan
    assert ("Seq Scan on cases" if db.dialect == "postgresql" else "SCAN cases\n") not in (
        plan + "\n"
    ), plan


def test_cases_about_a_person_use_the_subject_index(db: Database) -> None:
    from workflows.staff import _cases_about

    plan = _plan(db, lambda s: _cases_about(s, "staff-10"))
    _uses(plan, "ix_cases_subject", db.dialect)


@pytest.mark.parametrize("order", list(repo.ORDERS))
def test_every_worklist_order_pages_from_an_index(db: Database, order: str) -> None:
    """The page's sorts (due, level due, case number, each both ways) are keyset pages read
    from an index, first page and the next alike, never a scan of the table."""
    f = repo.CaseFilter(status="open")

    def page(s: Session, after: Any = None) -> Any:
        return repo.search_cases(s, f, limit=50, order=order, counted=False, after=after)

    with db.reading() as s:
        _, _, cursor = page(s)
    assert cursor is not None
    column = repo.ORDERS[order][0]
    for plan in (_plan(db, page, pick=0), _plan(db, lambda s: page(s, cursor), pick=0)):
        _uses(plan, "ix_cases_" if column else "", db.dialect)
        if column == "stage_due":
            _uses(plan, "ix_cases_open_stage_due", db.dialect)
            _ordered_by_index(plan, db.dialect)
        elif column == "level_due":
            _uses(plan, "ix_cases_open_level_due", db.dialect)


@pytest.mark.parametrize("scope", [None, "3201"])
def test_the_worklist_chips_are_counted_from_an_index(db: Database, scope: str | None) -> None:
    """One statement over the filter's open cases, found through an index (a national
    officer's chips read the open cases once, not the closed ones)."""
    from api.page_cases import flag_bounds
    from workflows.indonesia import build_calendar

    f = repo.CaseFilter(status="open", scope=scope)
    bounds = flag_bounds(NOW, build_calendar())
    plan = _plan(db, lambda s: repo.count_flags(s, f, NOW, bounds))
    _uses(plan, "ix_cases_", db.dialect)


def test_a_lapsed_reminders_copies_are_found_among_its_cases_messages(db: Database) -> None:
    """A "due soon" reminder that lapses undelivered asks whether a copy of it was sent
    (notifications.dispatch.copy_sent). Asked by status, it read every message ever sent
    (ix_outbox_due: status = 'sent'), 90 ms a lapsed reminder with 480,000 sent: minutes for
    the reminders an overnight outage lapses. It reads the case's messages only."""
    from notifications.dispatch import copy_sent

    rows = [
        {
            "case_id": f"ADU-2026-{i % 5000:06d}",
            "event_version": 1,
            "event_type": "DeadlineSweep",
            "template": "reminder_due_soon" if i % 3 else "reminder_overdue",
            "recipient": "user:kab.bogor",
            "payload": {},
            "status": "sent",
            "attempts": 1,
            "created_at": NOW - timedelta(days=i % 90),
            "next_attempt_at": NOW - timedelta(days=i % 90),
        }
        for i in range(20_000)
    ]
    with db.transaction() as s:
        s.execute(sa.insert(repo.OUTBOX), rows)
    with db.write_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.exec_driver_sql("ANALYZE" if db.dialect == "sqlite" else "VACUUM ANALYZE outbox")
    plan = _plan(db, lambda s: copy_sent(s, "ADU-2026-000042", "reminder_due_soon", NOW))
    assert "ix_outbox_case" in plan, plan
    assert "ix_outbox_due" not in plan and "Seq Scan" not in plan, plan
