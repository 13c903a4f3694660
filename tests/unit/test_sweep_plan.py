"""The sweep's decisions for one case, on dates around the 2026 holidays."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine.state import CaseState
from engine.sweep import plan, quiet_until
from workflows.complaint_codes import DEADLINE_POLICY
from workflows.indonesia import build_calendar

WIB = timezone(timedelta(hours=7))


def due(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T23:59:59+07:00")


def case(stage_due: str, level_due: str, level: str = "kabupaten") -> CaseState:
    return CaseState(
        id="ADU-2026-000001",
        workflow="complaint",
        workflow_version=1,
        version=2,
        state=f"{level}_dokumentasi",
        status="open",
        region="3271",
        zone="Asia/Jakarta",
        level=level,
        stage="dokumentasi",
        stage_started_at=datetime(2026, 3, 2, 9, tzinfo=WIB),
        stage_due=due(stage_due),
        level_due=due(level_due),
    )


# (now in WIB, stage due, level due, expected (kind, mark) list)
TABLE: list[tuple[str, str, str, list[tuple[str, str]]]] = [
    # Tuesday 17 March; due Wednesday 25 March: 18-24 are holidays, so 1 working day left
    ("2026-03-17T09:00", "2026-03-25", "2026-04-15", [("remind", "due_soon:2026-03-25")]),
    # 17 and 25 left
    ("2026-03-16T09:00", "2026-03-25", "2026-04-15", [("remind", "due_soon:2026-03-25")]),
    ("2026-03-13T09:00", "2026-03-25", "2026-04-15", []),  # 3 left: 16, 17 and 25
    ("2026-03-25T10:00", "2026-03-25", "2026-04-15", [("remind", "due_today:2026-03-25")]),
    (
        "2026-03-26T10:00",
        "2026-03-25",
        "2026-04-15",
        [("remind", "overdue:2026-03-26"), ("notify_supervisor", "supervisor")],
    ),
    # Cuti bersama (20 March), a Saturday, a national holiday and after office hours: nothing
    ("2026-03-20T10:00", "2026-03-19", "2026-04-15", []),
    ("2026-03-21T10:00", "2026-03-19", "2026-04-15", []),
    ("2026-03-19T10:00", "2026-03-17", "2026-04-15", []),
    ("2026-03-17T17:30", "2026-03-17", "2026-04-15", []),
    # level passed by 3 working days: still within kabupaten's grace; by 4: escalate
    (
        "2026-04-20T09:00",
        "2026-04-15",
        "2026-04-15",
        [("remind", "overdue:2026-04-20"), ("notify_supervisor", "supervisor")],
    ),
    ("2026-04-21T09:00", "2026-04-15", "2026-04-15", [("escalate", "escalate")]),
]


@pytest.mark.parametrize("now,stage_due,level_due,expected", TABLE)
def test_the_sweep_plans_exactly_the_expected_actions(
    calendar: Any, now: str, stage_due: str, level_due: str, expected: list[tuple[str, str]]
) -> None:
    moment = datetime.fromisoformat(now).replace(tzinfo=WIB)
    actions = plan(case(stage_due, level_due), DEADLINE_POLICY, calendar, moment)
    assert [(a.kind, a.mark) for a in actions] == expected


def test_a_pendamping_case_escalates_the_day_after_its_deadline(calendar: Any) -> None:
    c = case("2026-03-05", "2026-03-05", level="pendamping")
    day_after = datetime(2026, 3, 6, 9, tzinfo=WIB)
    assert [a.kind for a in plan(c, DEADLINE_POLICY, calendar, day_after)] == ["escalate"]


def test_pusat_is_never_escalated_automatically(calendar: Any) -> None:
    c = case("2026-03-05", "2026-03-05", level="pusat")
    later = datetime(2026, 4, 6, 9, tzinfo=WIB)
    assert "escalate" not in [a.kind for a in plan(c, DEADLINE_POLICY, calendar, later)]


def test_office_hours_are_the_offices_own(calendar: Any) -> None:
    # 07:30 WIB is 09:30 in Jayapura (WIT): the Papua office is at work, Jakarta not yet.
    early = datetime(2026, 3, 25, 7, 30, tzinfo=WIB)
    wib = case("2026-03-25", "2026-04-15")
    wit = CaseState(
        **{
            **wib.as_dict(),
            "zone": "Asia/Jayapura",
            "region": "9171",
            "stage_due": datetime(2026, 3, 25, 23, 59, 59, tzinfo=timezone(timedelta(hours=9))),
        }
    )
    assert plan(wib, DEADLINE_POLICY, calendar, early) == []
    assert [a.mark for a in plan(wit, DEADLINE_POLICY, calendar, early)] == ["due_today:2026-03-25"]


# -- quiet_until: how long a handled case can be left out of the sweep --------------------------
ZONES = ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]
LEVELS = ["ketua_kelompok", "pendamping", "kabupaten", "pusat"]
CAL = build_calendar()


def _marks(state: CaseState, moment: datetime) -> set[str]:
    return {a.mark for a in plan(state, DEADLINE_POLICY, CAL, moment)}


def _office_moments() -> st.SearchStrategy[datetime]:
    """Local moments inside office hours on any day (two thirds of days are working days):
    `quiet_until` answers None outside office hours, so uniformly drawn moments were mostly
    discarded by `assume` (and Hypothesis' filter health check failed now and then)."""
    start, end = DEADLINE_POLICY.office_hours
    first = start.hour * 60 + start.minute
    last = end.hour * 60 + end.minute - 1
    return st.builds(
        lambda d, minute, micro: (
            datetime.combine(d, time(0)) + timedelta(minutes=minute, microseconds=micro)
        ),
        st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)),
        st.integers(min_value=first, max_value=last),
        st.integers(min_value=0, max_value=59_999_999),
    )


@settings(max_examples=400, deadline=None)
@given(
    # moments in office hours (the interesting ones), and any moment at all
    now=st.one_of(
        _office_moments(),
        st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),
    ),
    zone=st.sampled_from(ZONES),
    level=st.sampled_from(LEVELS),
    stage_offset=st.integers(min_value=-30 * 24 * 60, max_value=30 * 24 * 60),
    level_offset=st.integers(min_value=-30 * 24 * 60, max_value=30 * 24 * 60),
    fractions=st.lists(st.floats(min_value=0, max_value=1, exclude_max=True), max_size=5),
)
def test_a_quiet_case_needs_nothing_new_until_its_quiet_ends(
    now: datetime,
    zone: str,
    level: str,
    stage_offset: int,
    level_offset: int,
    fractions: list[float],
) -> None:
    moment = now.replace(tzinfo=ZoneInfo(zone))
    state = CaseState(
        **{
            **case("2026-03-25", "2026-04-15", level=level).as_dict(),
            "zone": zone,
            "stage_due": moment + timedelta(minutes=stage_offset),
            "level_due": moment + timedelta(minutes=level_offset),
        }
    )
    until = quiet_until(state, DEADLINE_POLICY, CAL, moment)
    assume(until is not None)
    assert until is not None and until > moment
    assert until <= moment + timedelta(days=1)
    before = _marks(state, moment)
    later = [moment + (until - moment) * f for f in fractions] + [until - timedelta(microseconds=1)]
    for m in later:
        assert _marks(state, m) <= before, m


def test_an_overdue_case_is_quiet_until_midnight_then_reminded_again() -> None:
    state = case("2026-03-25", "2026-04-15")
    ten = datetime(2026, 3, 26, 10, tzinfo=WIB)
    until = quiet_until(state, DEADLINE_POLICY, CAL, ten)
    assert until == datetime(2026, 3, 27, 0, tzinfo=WIB)
    assert _marks(state, datetime(2026, 3, 27, 9, tzinfo=WIB)) == {
        "overdue:2026-03-27",
        "supervisor",
    }


def test_a_case_due_later_today_is_quiet_only_until_its_deadline() -> None:
    state = CaseState(
        **{
            **case("2026-03-25", "2026-04-15").as_dict(),
            "stage_due": datetime(2026, 3, 25, 12, tzinfo=WIB),
        }
    )
    assert quiet_until(state, DEADLINE_POLICY, CAL, datetime(2026, 3, 25, 10, tzinfo=WIB)) == (
        datetime(2026, 3, 25, 12, tzinfo=WIB)
    )


def test_outside_office_hours_nothing_is_quiet() -> None:
    state = case("2026-03-25", "2026-04-15")
    assert quiet_until(state, DEADLINE_POLICY, CAL, datetime(2026, 3, 26, 6, tzinfo=WIB)) is None
    assert quiet_until(state, DEADLINE_POLICY, CAL, datetime(2026, 3, 21, 10, tzinfo=WIB)) is None


def test_a_deadline_at_this_very_instant_promises_no_quiet() -> None:
    moment = datetime(2026, 3, 25, 10, tzinfo=WIB)
    state = CaseState(**{**case("2026-03-25", "2026-04-15").as_dict(), "stage_due": moment})
    assert quiet_until(state, DEADLINE_POLICY, CAL, moment) is None
