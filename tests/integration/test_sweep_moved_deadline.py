"""A stage whose deadline moved (pusat's extension, a calendar change) is reminded again before
its new deadline: "due soon" and "due today" are once per deadline, not once per stage."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from api.wiring import App
from engine.store.sweep_source import MARKS
from engine.sweep import stage_key
from engine.sweeper import sweep
from tests.conftest import Clock, complaint_data


def at(clock: Clock, iso: str) -> datetime:
    clock.set(datetime.fromisoformat(iso))
    return clock()


def reminders(app: App) -> list[tuple[str, Any]]:
    from engine.store.repository import OUTBOX

    with app.db.reading() as s:
        rows = s.execute(
            sa.select(OUTBOX.c.template, OUTBOX.c.payload)
            .where(OUTBOX.c.event_type == "DeadlineSweep")
            .order_by(OUTBOX.c.id)
        )
        return [(r.template, r.payload["extra"]["stage_due"]) for r in rows]


def stored(app: App, case_id: str) -> Any:
    """The case as the sweep reads it (its stage key is made of the stored instants)."""
    from engine.store import repository as repo

    with app.db.reading() as s:
        return repo.load_case(s, case_id)


def test_after_an_extension_the_handler_is_reminded_before_the_new_deadline(
    app: App, clock: Clock
) -> None:
    # filed at pusat on Monday 2 March 2026: dokumentasi due Monday 9 March
    case = app.service.open_case("complaint", complaint_data(level="pusat"), "pusat.spm")
    for moment in ("2026-03-05T09:00", "2026-03-09T09:00", "2026-03-10T09:00"):
        sweep(app.service, at(clock, moment + "+07:00"))
    assert reminders(app) == [
        ("reminder_due_soon", "2026-03-09"),
        ("reminder_due_today", "2026-03-09"),
        ("reminder_overdue", "2026-03-09"),
    ]
    # pusat extends by 3 working days, counted from today (its due has passed): Friday 13 March
    at(clock, "2026-03-10T10:00+07:00")
    extended = app.service.apply(
        case.id, "extend", {"working_days": 3, "reason": "koordinasi"}, "pusat.spm"
    )
    assert extended.stage_due is not None and extended.stage_due.date().isoformat() == "2026-03-13"
    soon = sweep(app.service, at(clock, "2026-03-11T09:00+07:00"))  # 2 working days left
    today = sweep(app.service, at(clock, "2026-03-13T09:00+07:00"))
    assert (soon.reminded, today.reminded) == ([case.id], [case.id])
    assert reminders(app)[3:] == [
        ("reminder_due_soon", "2026-03-13"),
        ("reminder_due_today", "2026-03-13"),
    ]
    assert sweep(app.service, at(clock, "2026-03-13T14:00+07:00")).messages == 0  # once


def test_marks_an_older_version_recorded_still_count_for_their_deadline(
    app: App, clock: Clock
) -> None:
    """Marks recorded before they named their deadline ("due_soon", "due_today") are honoured
    for the deadline they were made for: an upgrade sends no reminder twice."""
    soon = app.service.open_case("complaint", complaint_data(), "kab.bogor")  # due 9 March
    today = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    with app.db.transaction() as s:
        s.execute(
            sa.insert(MARKS),
            [
                {
                    "case_id": case.id,
                    "stage_key": stage_key(stored(app, case.id)),
                    "mark": mark,
                    "created_at": datetime.fromisoformat(made),
                }
                for case, mark, made in (
                    (soon, "due_soon", "2026-03-05T09:00+07:00"),
                    (today, "due_today", "2026-03-09T08:00+07:00"),
                )
            ],
        )
    assert sweep(app.service, at(clock, "2026-03-06T09:00+07:00")).reminded == [today.id]
    assert sweep(app.service, at(clock, "2026-03-09T09:00+07:00")).reminded == [soon.id]
    assert reminders(app) == [
        ("reminder_due_soon", "2026-03-09"),
        ("reminder_due_today", "2026-03-09"),
    ]
