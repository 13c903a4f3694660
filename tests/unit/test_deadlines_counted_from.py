"""A calendar override moves each deadline as the machine would have counted it had the new
calendar been known: a deadline counted again from an extension or a referral's return is
not moved by a day changed before that day (engine.deadlines, decided in memory)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from engine.calendar import WorkingCalendar
from engine.deadlines import moved_dues
from engine.machine import Command, Env, compile_workflow
from engine.state import Actor, CaseState, evolve
from tests.conftest import complaint_data
from workflows import complaint
from workflows.indonesia import Override, build_calendar

WIB = timezone(timedelta(hours=7))
WF = compile_workflow(complaint.definition())
KAB, PUSAT = Actor("kab", "kabupaten", "3271"), Actor("pst", "pusat", None)
FACTS = {"handler_user": Actor("other", "kabupaten", "3271")}
Step = tuple[str, Actor, str, dict[str, Any]]


def at(iso: str) -> datetime:
    return datetime.fromisoformat(f"{iso}+07:00")


FILE: Step = ("file", KAB, "2026-03-02T09:00", complaint_data(type="pembayaran"))
TO_PUSAT: Step = ("escalate", KAB, "2026-03-02T09:00", {"reason": "kewenangan pusat"})
ADVANCE: Step = ("advance", KAB, "2026-03-02T09:00", {"parties": "x", "result": "y"})
REFER: Step = ("refer", KAB, "2026-03-02T09:00", {"body": "pt_pos"})
SERVICE = complaint_data(type="ketersediaan_layanan")


def extend(day: str, n: int) -> Step:
    return ("extend", PUSAT, f"{day}T10:00", {"working_days": n, "reason": "menunggu data"})


def back(actor: Actor, day: str) -> Step:
    return ("return_from_referral", actor, f"{day}T10:00", {"outcome": "sudah dibayar"})


SCRIPTS: dict[str, list[Step]] = {
    # stage due 9 March passed: 3 working days from 12 March (17 March); level on from its due
    "extended late": [FILE, TO_PUSAT, extend("2026-03-12", 3)],
    "extended before its due": [FILE, TO_PUSAT, extend("2026-03-04", 3)],
    "extended late twice": [FILE, TO_PUSAT, extend("2026-03-12", 3), extend("2026-03-26", 2)],
    "extended late, then before its new due": [
        FILE,
        TO_PUSAT,
        extend("2026-03-12", 3),
        extend("2026-03-13", 2),
    ],
    # level due 16 April; back on 30 March: the level gets 18 working days from then
    "referral returned at kabupaten": [FILE, ADVANCE, REFER, back(KAB, "2026-03-30")],
    "referral returned at pusat": [
        FILE,
        TO_PUSAT,
        (ADVANCE[0], PUSAT, ADVANCE[2], ADVANCE[3]),
        (REFER[0], PUSAT, REFER[2], REFER[3]),
        back(PUSAT, "2026-03-30"),
    ],
    "referral returned early (the level keeps its due)": [
        FILE,
        ADVANCE,
        REFER,
        back(KAB, "2026-03-05"),
    ],
    # back on 12 March: its 18 working days end on 15 April, the level's own due (a tie):
    # the level due is the later of the two counts, each moved by the days in its own span
    "referral returned on the day its days end with the level's": [
        FILE,
        ADVANCE,
        REFER,
        back(KAB, "2026-03-12"),
    ],
    # the same with the Nyepi and Idul Fitri days off (18-24 March) between the level's start
    # (16 March, due 29 April) and the return (2 April, 18 working days: 29 April too)
    "referral returned on a tie, days off between": [
        (FILE[0], KAB, "2026-03-16T09:00", FILE[3]),
        (ADVANCE[0], KAB, "2026-03-16T09:00", ADVANCE[3]),
        (REFER[0], KAB, "2026-03-16T09:00", REFER[3]),
        back(KAB, "2026-04-02"),
    ],
    "returned, then extended late at pusat": [
        FILE,
        TO_PUSAT,
        (ADVANCE[0], PUSAT, ADVANCE[2], ADVANCE[3]),
        (REFER[0], PUSAT, REFER[2], REFER[3]),
        back(PUSAT, "2026-03-30"),
        extend("2026-04-29", 4),
    ],
    # referred on 10 March for 3 months: stage and level due 10 June, a date
    "service referral made after the level began": [
        ("file", KAB, "2026-03-02T09:00", SERVICE),
        ("advance", KAB, "2026-03-10T09:00", ADVANCE[3]),
        ("refer", KAB, "2026-03-10T09:00", {"body": "dinas_teknis"}),
    ],
    # returned early (1 April): the level keeps the referral's date, 10 June, a date in months
    # counted from the referral, not working days
    "service referral returned early": [
        ("file", KAB, "2026-03-02T09:00", SERVICE),
        ("advance", KAB, "2026-03-10T09:00", ADVANCE[3]),
        ("refer", KAB, "2026-03-10T09:00", {"body": "dinas_teknis"}),
        back(KAB, "2026-04-01"),
    ],
    # returned 8 May: its 18 working days end on 10 June too (a tie with a date in months)
    "service referral returned on a tie": [
        ("file", KAB, "2026-03-02T09:00", SERVICE),
        ("advance", KAB, "2026-03-10T09:00", ADVANCE[3]),
        ("refer", KAB, "2026-03-10T09:00", {"body": "dinas_teknis"}),
        back(KAB, "2026-05-08"),
    ],
    "service referral returned on its due day": [
        ("file", KAB, "2026-03-02T09:00", SERVICE),
        ("advance", KAB, "2026-03-10T09:00", ADVANCE[3]),
        ("refer", KAB, "2026-03-10T09:00", {"body": "dinas_teknis"}),
        back(KAB, "2026-06-10"),
    ],
}


def run(script: list[Step], calendar: WorkingCalendar) -> CaseState:
    state: CaseState | None = None
    for trigger, actor, when, data in script:
        moment = at(when)
        cmd = Command(trigger, actor, moment, data, case_id="ADU-2026-000001")
        for ev in WF.decide(state, cmd, Env(calendar, moment, facts=FACTS)):
            state = evolve(state, ev)
    assert state is not None
    return state


OLD = build_calendar(first_year=2026, last_year=2026)
WEEKDAYS = [
    d
    for d in (date(2026, 3, 2) + timedelta(days=i) for i in range(130))
    if d.weekday() < 5  # a weekend day is never made working (api.admin refuses it)
]


@pytest.mark.parametrize("name", SCRIPTS)
def test_every_override_day_moves_the_deadlines_to_what_the_new_calendar_gives(
    name: str,
) -> None:
    """For each weekday from the filing on (a day off added, or a listed holiday worked
    after all), the recount equals deciding the same commands under the new calendar."""
    script = SCRIPTS[name]
    before = run(script, OLD)
    wrong = []
    for day in WEEKDAYS:
        new = build_calendar(
            [Override(day, not OLD.is_working_day(day), "x")], first_year=2026, last_year=2026
        )
        want = run(script, new)
        moved = moved_dues(before, OLD, new, day, complaint.deadline_months)
        got = {k: moved.get(k, getattr(before, k)) for k in ("stage_due", "level_due")}
        expected = {"stage_due": want.stage_due, "level_due": want.level_due}
        if got != expected:
            wrong.append((day.isoformat(), got, expected))
    assert wrong == []
