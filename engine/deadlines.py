"""Deadlines moved by a change of the working calendar: pure, from the case and two calendars.

A case's stage and level deadlines are computed once, under the calendar of the moment
(engine.machine). When a later decree adds a day off, or takes one back, the open cases whose
deadline window spans that day get their deadlines counted again under the new calendar, and
that is recorded as a `system` event (`DeadlinesRecalculated`) in the case's log, so replay and
audit verify stay exact. Extensions and caps are kept: a deadline D counted from S (both as
local dates in the case's zone, as `WorkingCalendar.deadline` counts them) lies k working days
after S under the old calendar, and moves to the k-th working day after S under the new one.
S is the start of the deadline's window, unless the count was started again inside it (an
extension of a late case counts from the day it is given, a referral's return from the day it
comes back): the workflow records that day (`counted_from`), and a day changed before it does
not move that deadline. Knows nothing of PKH.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from engine.calendar import CalendarRangeError, WorkingCalendar
from engine.machine import add_months
from engine.state import SYSTEM, CaseState, Event

RECALCULATED = "DeadlinesRecalculated"
TRIGGER = "recalculate_deadlines"
# (window start, deadline): each deadline is counted from the start of its own window
WINDOWS = (("stage_started_at", "stage_due"), ("level_started_at", "level_due"))
# attrs key: {due field: {"window": its window's start, "from": the instant it is counted from}}
COUNTED_FROM = "counted_from"
# Every instant whose local date, in any zone (UTC-12 .. UTC+14), is on or after a day is at
# or after that day's midnight UTC less this: the lower bound of the candidates' index range.
_WIDEST_OFFSET = timedelta(hours=14)
# A window's budget in calendar months (a referral's 3 months), 0 for working days: such a
# deadline is a date, rolled to the next working day, not a count of working days
Months = Callable[[CaseState, str], int]


def _month_due(cal: WorkingCalendar, start: date, months: int) -> date:
    day = add_months(start, months)
    return day if cal.is_working_day(day) else cal.next_working_day(day)


def counted_from(
    state: CaseState,
    *,
    tied: Iterable[str] = (),
    months: Mapping[str, int] | None = None,
    **origins: datetime,
) -> dict[str, Any]:
    """The `COUNTED_FROM` attrs value saying that these deadlines (`stage_due=`, `level_due=`)
    are now counted from the given instants, not from their window's start: for an effect
    that starts a deadline's count again inside its window. Tied to the window it was given
    in: a stage or level started later counts from its own start again. `months`: a deadline
    given as a date some calendar months on (a service referral's 3 months), not a count of
    working days; kept with it, so it moves as such after the case has left the state that
    gave it. A deadline in `tied` is the later of its new count and the one it had, which end
    on the same day (a referral back on the day its working days end with the level's): each
    is kept (`also`), so a day changed in either span moves it as re-deciding would."""
    kept = dict(state.attrs.get(COUNTED_FROM) or {})
    starts = {due: start for start, due in WINDOWS}
    for due_field, origin in origins.items():
        window = getattr(state, starts[due_field])
        if window is None:
            continue
        entry: dict[str, Any] = {"window": window.isoformat(), "from": origin.isoformat()}
        if months and months.get(due_field):
            entry["months"] = months[due_field]
        if due_field in tied:
            entry["also"] = [
                {"from": t.isoformat(), **({"months": m} if m else {})}
                for t, m in count_starts(state, starts[due_field], due_field)
            ]
        kept[due_field] = entry
    return kept


def _entry(state: CaseState, start_field: str, due_field: str) -> dict[str, Any] | None:
    """This deadline's `counted_from` record, if it was made in its current window."""
    start: datetime | None = getattr(state, start_field)
    kept = (state.attrs.get(COUNTED_FROM) or {}).get(due_field)
    if start is None or not kept or datetime.fromisoformat(kept["window"]) != start:
        return None
    return dict(kept)


def count_start(state: CaseState, start_field: str, due_field: str) -> datetime | None:
    """Where this deadline's working days are counted from: its window's start, or the later
    instant an effect started the count again at within that same window (`counted_from`)."""
    start: datetime | None = getattr(state, start_field)
    kept = _entry(state, start_field, due_field)
    if start is None or kept is None:
        return start
    return max(start, datetime.fromisoformat(kept["from"]))


def count_starts(
    state: CaseState, start_field: str, due_field: str
) -> list[tuple[datetime, int | None]]:
    """Every instant this deadline is counted from, each with its months when it was given as
    a date months on (None: as the workflow's `Months` says; 0: working days): `count_start`,
    then the counts it is the later of (`counted_from`'s `tied`); [] before its window."""
    first = count_start(state, start_field, due_field)
    if first is None:
        return []
    kept = _entry(state, start_field, due_field)
    if kept is None:
        return [(first, None)]
    also = [
        (datetime.fromisoformat(a["from"]), int(a.get("months", 0))) for a in kept.get("also", ())
    ]
    return [(first, kept.get("months")), *also]


def changes_on(old: WorkingCalendar, new: WorkingCalendar, day: date) -> int:
    """+1 when `day` stops being a working day (deadlines move later), -1 when it becomes one
    (earlier), 0 when the calendars agree on it (nothing to move, e.g. a day off declared on a
    day the calendar already had off, or a day outside the calendar's range)."""
    try:
        before, after = old.is_working_day(day), new.is_working_day(day)
    except CalendarRangeError:
        return 0
    if before == after:
        return 0
    return 1 if before else -1


def lowest_due(day: date) -> datetime:
    """No deadline whose local date is `day` or later is before this instant."""
    return datetime.combine(day, time(0), tzinfo=UTC) - _WIDEST_OFFSET


def moved_dues(
    state: CaseState,
    old: WorkingCalendar,
    new: WorkingCalendar,
    day: date,
    months: Months | None = None,
) -> dict[str, datetime]:
    """The deadlines of this case that the change of `day` moves, with their new values (empty:
    none). Only an open case's deadline that falls on or after `day` and is counted from a day
    on or before it (`count_start`) moves; the stage never outlasts its level. A window
    budgeted in months (`months`) keeps its date unless the day it rolls to changes; working
    days added to it since (an extension) are counted again from there."""
    if state.status != "open":
        return {}
    tz = ZoneInfo(state.zone)
    out: dict[str, datetime] = {}
    for start_field, due_field in WINDOWS:
        starts, due = count_starts(state, start_field, due_field), getattr(state, due_field)
        if not starts or due is None:
            continue
        local_due = due.astimezone(tz)
        start_days = [start.astimezone(tz).date() for start, _ in starts]
        if local_due.date() < day or min(start_days) > day:
            continue
        # each count in the months it was given in; else as the workflow says (its state)
        asked = months(state, due_field) if months is not None else 0
        in_months = [asked if m is None else m for _, m in starts]
        try:
            counts = [
                _recounted(old, new, d, local_due.date(), m)
                for d, m in zip(start_days, in_months, strict=True)
            ]
        except CalendarRangeError:
            continue  # beyond the calendar's range: it cannot be counted again
        if counts[0] is None:
            continue
        moved = max(c if c is not None else local_due.date() for c in counts)
        new_due = datetime.combine(moved, local_due.time(), tzinfo=tz)
        if new_due != due:
            out[due_field] = new_due
    stage = out.get("stage_due", state.stage_due)
    level = out.get("level_due", state.level_due)
    if stage is not None and level is not None and stage > level:
        out["stage_due"] = level  # the level's budget is the hard limit (engine.machine)
    if "stage_due" in out and out["stage_due"] == state.stage_due:
        del out["stage_due"]
    return out


def _recounted(
    old: WorkingCalendar, new: WorkingCalendar, start: date, due: date, months: int
) -> date | None:
    """The day a deadline on `due`, counted from `start` under `old`, falls on under `new`;
    None when it is not a count to move (on its window's first day, or capped by its level)."""
    if months:
        base_old, base_new = _month_due(old, start, months), _month_due(new, start, months)
        if due < base_old:
            return None  # capped by its level: the cap below decides
        k = old.working_days_between(base_old, due)
        return new.add_working_days(base_new, k) if k else base_new
    if start > due:
        return None
    k = old.working_days_between(start, due)
    if k == 0:
        return None  # a deadline on its window's first day: no working day to count
    return new.add_working_days(start, k)


def recalculation(
    state: CaseState,
    old: WorkingCalendar,
    new: WorkingCalendar,
    day: date,
    *,
    now: datetime,
    reason: Mapping[str, Any],
    months: Months | None = None,
) -> Event | None:
    """The `system` event that moves this case's deadlines for the change of `day` (None when
    none moves). `reason` says what changed (the override's date, name, decree...); the event's
    data adds the deadlines before and after."""
    moved = moved_dues(state, old, new, day, months)
    if not moved:
        return None
    tz = ZoneInfo(state.zone)  # told in the case's zone, as the machine records deadlines
    before = {k: getattr(state, k).astimezone(tz).isoformat() for k in moved}
    after = {k: v.astimezone(tz).isoformat() for k, v in moved.items()}
    # never before the case's last event: an event's time orders the case's history
    at = max(now, state.updated_at) if state.updated_at is not None else now
    return Event(
        case_id=state.id,
        version=state.version + 1,
        type=RECALCULATED,
        trigger=TRIGGER,
        workflow=state.workflow,
        workflow_version=state.workflow_version,
        actor=SYSTEM.username,
        role=SYSTEM.role,
        occurred_at=at,
        recorded_at=now,
        data={**reason, "before": before, "after": after},
        changes=after,
        note="calendar override",
    )
