"""Moves open cases' deadlines when the working calendar changes, inside the caller's transaction.

The calendar change (an override added, changed or removed) and the events that move the
deadlines it affects commit together: no moment exists, for any reader or after any crash,
where the calendar has changed and some open case still carries deadlines counted under the
old one (or the reverse), and nothing needs to be run again. The work is done in batches of
BATCH cases (one read, one lock, one multi-row insert and update each), so memory stays flat
however many cases move. Candidates come from the due indexes: open cases whose stage (or
else level) deadline is on or after the day, one due value at a time, in the order opposite
to the direction the deadlines move, so a case moved is never met again. Knows nothing of PKH.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.bulk import load_for_update, record
from engine.calendar import WorkingCalendar
from engine.deadlines import Months, changes_on, lowest_due, recalculation
from engine.service import CalendarDay
from engine.state import CaseState, Event, evolve
from engine.store import repository as repo

BATCH = 500
Calendars = Callable[[Sequence[CalendarDay]], WorkingCalendar]  # engine.service.CalendarFactory


def lock_calendar(s: Session) -> None:
    """Serialise changes of the calendar: each counts from the calendar the one before left
    (PostgreSQL locks the token's row; SQLite has one writer from BEGIN IMMEDIATE).

    On PostgreSQL the cases table is then held against writers until the change commits
    (EXCLUSIVE: reads go on). A command under way finishes first and the recount sees it;
    a later one waits, and reads the calendar after the change (its case is read, with the
    calendar's token, under the table lock: `repository.hold_cases`). Without it a command
    that read the old calendar and committed after the change kept its old deadlines."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(sa.select(repo.EPOCH.c.id).where(repo.EPOCH.c.id == 1).with_for_update())
        s.execute(sa.text(f"LOCK TABLE {repo.CASES.name} IN EXCLUSIVE MODE"))


def current_calendar(
    s: Session, calendars: Calendars, *, leaving_out: date | None = None
) -> WorkingCalendar:
    """The working calendar under the overrides this transaction sees (its own changes too);
    `leaving_out`: without that day's override (what the day is without it)."""
    rows = repo.calendar_overrides(s)
    return calendars([CalendarDay(r.day, r.working, r.name) for r in rows if r.day != leaving_out])


def recalculate(
    s: Session,
    old: WorkingCalendar,
    new: WorkingCalendar,
    day: date,
    *,
    now: datetime,
    reason: Mapping[str, Any],
    months: Months | None = None,
) -> int:
    """Record a `DeadlinesRecalculated` event on every open case whose stage or level deadline
    the change of `day` from `old` to `new` moves (engine.deadlines); returns how many."""
    direction = changes_on(old, new, day)
    if direction == 0:
        return 0
    lo = lowest_due(day)
    c = repo.CASES.c
    passes = (
        (c.stage_due, [c.status == "open", c.stage_due >= lo]),
        # the cases not met by the first pass: a level deadline after the day, the stage's not
        (
            c.level_due,
            [
                c.status == "open",
                c.level_due >= lo,
                sa.or_(c.stage_due.is_(None), c.stage_due < lo),
            ],
        ),
    )
    moved = 0
    against: set[str] = set()  # cases moved the other way (a cap): they could be met again
    for column, where in passes:
        # deadlines move later when the day is taken off: visit the latest first (and the
        # earliest first when a day off is taken back), so a case moved is not met again
        order = column.desc() if direction > 0 else column.asc()
        values = list(s.execute(sa.select(column).where(*where).distinct().order_by(order)))
        pending: list[str] = []
        for (value,) in values:
            ids = s.execute(sa.select(c.id).where(*where, column == value).order_by(c.id))
            pending += [i for (i,) in ids if i not in against]
            while len(pending) >= BATCH:
                moved += _move(
                    s, pending[:BATCH], old, new, day, now, reason, direction, against, months
                )
                del pending[:BATCH]
        if pending:
            moved += _move(s, pending, old, new, day, now, reason, direction, against, months)
    return moved


def _move(
    s: Session,
    ids: list[str],
    old: WorkingCalendar,
    new: WorkingCalendar,
    day: date,
    now: datetime,
    reason: Mapping[str, Any],
    direction: int,
    against: set[str],
    months: Months | None = None,
) -> int:
    states = load_for_update(s, ids)
    changed: list[tuple[CaseState, CaseState, Sequence[Event]]] = []
    for case_id in ids:
        state = states.get(case_id)
        if state is None:
            continue
        ev = recalculation(state, old, new, day, now=now, reason=reason, months=months)
        if ev is None:
            continue
        after = evolve(state, ev)
        changed.append((state, after, [ev]))
        for field in ("stage_due", "level_due"):
            a, b = getattr(state, field), getattr(after, field)
            if a is not None and b is not None and (b - a).total_seconds() * direction < 0:
                against.add(case_id)
    record(s, changed)
    return len(changed)
