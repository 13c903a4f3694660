"""The sweep's decisions for one case, on dates around the 2026 holidays."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from engine.state import CaseState
from engine.sweep import plan
from workflows.complaint import DEADLINE_POLICY

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
    ("2026-03-17T09:00", "2026-03-25", "2026-04-15", [("remind", "due_soon")]),
    ("2026-03-16T09:00", "2026-03-25", "2026-04-15", [("remind", "due_soon")]),  # 17 and 25
    ("2026-03-13T09:00", "2026-03-25", "2026-04-15", []),  # 3 left: 16, 17 and 25
    ("2026-03-25T10:00", "2026-03-25", "2026-04-15", [("remind", "due_today")]),
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
    assert [a.mark for a in plan(wit, DEADLINE_POLICY, calendar, early)] == ["due_today"]
