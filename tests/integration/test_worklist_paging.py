"""The worklist pages through every open case in each order it offers, and its chips count the
whole filter (review: it stopped at 300 cases, and counted and sorted only those).

Projection rows are written directly (as in test_query_plans): ties of deadlines, cases without
one, and the three zones, so the keyset cursors and the per-zone flag bounds are exercised.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from api import page_views as pv
from api.page_cases import flag_bounds
from engine.calendar import WorkingCalendar
from engine.state import CaseState
from engine.store import repository as repo
from engine.store.db import Database

NOW = datetime(2026, 3, 12, 3, 0, tzinfo=UTC)  # Thursday 10:00 WIB, 11:00 WITA, 12:00 WIT
ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")
ROWS = 460


def _row(i: int, rng: random.Random) -> dict[str, Any]:
    zone = ZONES[i % 3]
    # deadlines on a few whole hours around now, so many cases share one (keyset ties)
    stage = NOW + timedelta(hours=rng.choice((-50, -2, 5, 14, 20, 30, 44, 70, 100, 300)))
    level = stage + timedelta(hours=rng.choice((0, 3, 24, 200)))
    if i % 11 == 0:
        stage = None
    if i % 13 == 0:
        level = None
    open_ = i % 9 != 0
    return {
        "id": f"ADU-2026-{i:06d}",
        "workflow": "complaint",
        "workflow_version": 1,
        "version": 1,
        "state": "identifikasi" if open_ else "selesai",
        "status": "open" if open_ else "closed",
        "level": "kabupaten" if i % 4 else "pusat",
        "stage": "identifikasi",
        "region": ("3201" if i % 2 else "7371") + f"{i % 7:02d}",
        "zone": zone,
        "handler": None,
        "stage_started_at": NOW,
        "stage_due": stage,
        "level_started_at": NOW,
        "level_due": level,
        "created_at": NOW,
        "closed_at": None,
        "updated_at": NOW,
        "attrs": {"type": "pembayaran", "summary": f"kasus {i}"},
        "case_type": "pembayaran",
        "summary": f"kasus {i}",
        "subject": None,
    }


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    d = Database(db_url)
    rng = random.Random(11)
    with d.transaction() as s:
        s.execute(sa.insert(repo.CASES), [_row(i, rng) for i in range(ROWS)])
    yield d
    d.dispose()


def _all(db: Database, f: repo.CaseFilter) -> list[CaseState]:
    with db.reading() as s:
        return [repo.state_from_row(r) for r in s.execute(sa.select(repo.CASES))]


def _expected(states: list[CaseState], order: str, f: repo.CaseFilter) -> list[str]:
    chosen = [
        st
        for st in states
        if st.status == "open" and (f.scope is None or st.region.startswith(f.scope))
    ]
    column, desc = repo.ORDERS[order]
    if column is None:
        return sorted((st.id for st in chosen), reverse=desc)
    dated = [st for st in chosen if getattr(st, column) is not None]
    undated = [st for st in chosen if getattr(st, column) is None]
    dated.sort(key=lambda st: (getattr(st, column), st.id), reverse=desc)
    undated.sort(key=lambda st: st.id, reverse=desc)
    return [st.id for st in dated + undated]


@pytest.mark.parametrize("scope", [None, "3201"])
@pytest.mark.parametrize("order", list(repo.ORDERS))
def test_paging_visits_every_case_once_in_the_order_asked(
    db: Database, order: str, scope: str | None
) -> None:
    f = repo.CaseFilter(status="open", scope=scope)
    seen: list[str] = []
    cursor = None
    with db.reading() as s:
        while True:
            page, _, cursor = repo.search_cases(
                s, f, limit=37, after=cursor, order=order, counted=False
            )
            seen += [st.id for st in page]
            if cursor is None:
                break
            assert len(page) == 37
    assert seen == _expected(_all(db, f), order, f)


def test_descending_due_starts_with_the_latest_deadline_of_all(db: Database) -> None:
    """`-due` was the 300 soonest, reversed."""
    f = repo.CaseFilter(status="open")
    with db.reading() as s:
        page, _, _ = repo.search_cases(s, f, limit=5, order="-stage_due", counted=False)
        latest = s.execute(
            sa.select(sa.func.max(repo.CASES.c.stage_due)).where(repo.CASES.c.status == "open")
        ).scalar_one()
    assert page[0].stage_due == latest


@pytest.mark.parametrize("hours", [0, 9, 15, 20])  # the zones' days start at different instants
@pytest.mark.parametrize("scope", [None, "7371"])
def test_the_chips_count_every_case_of_the_filter_as_the_rows_flag_them(
    db: Database, calendar: WorkingCalendar, hours: int, scope: str | None
) -> None:
    now = NOW + timedelta(hours=hours)
    f = repo.CaseFilter(status="open", scope=scope)
    with db.reading() as s:
        counts = repo.count_flags(s, f, now, flag_bounds(now, calendar))
    chosen = [
        st
        for st in _all(db, f)
        if st.status == "open" and (scope is None or st.region.startswith(scope))
    ]
    expected = Counter(pv.worklist_item(st, now, calendar)["flag"] for st in chosen)
    assert counts == {flag: expected.get(flag, 0) for flag in repo.FLAGS}
    assert sum(counts.values()) == len(chosen) > 300 or scope
    if hours == 0:
        assert all(counts[flag] for flag in repo.FLAGS)  # the seed reaches every flag


def test_a_case_without_any_deadline_is_counted_apart_not_on_track(
    db: Database, calendar: WorkingCalendar
) -> None:
    f = repo.CaseFilter(status="open")
    with db.reading() as s:
        counts = repo.count_flags(s, f, NOW, flag_bounds(NOW, calendar))
    undated = [
        st
        for st in _all(db, f)
        if st.status == "open" and st.stage_due is None and st.level_due is None
    ]
    assert counts["none"] == len(undated) == 3


def test_the_chips_follow_the_other_filters(db: Database, calendar: WorkingCalendar) -> None:
    f = repo.CaseFilter(status="open", level="pusat", text="kasus 1")
    with db.reading() as s:
        counts = repo.count_flags(s, f, NOW, flag_bounds(NOW, calendar))
        page, total, _ = repo.search_cases(s, f, limit=1000)
    assert sum(counts.values()) == total == len(page) > 0
