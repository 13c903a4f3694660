"""The deadline sweep's decisions for one case: pure, from the case, its policy, the calendar, now.

Marks name what was done for a stage instance ("due_soon:2026-03-25", "overdue:2026-03-26",
"supervisor", ...) so the runner can make every action happen once: a second sweep at the same
moment does nothing. "Due soon" and "due today" name the deadline they were about: a stage
whose deadline moved (pusat's extension, a calendar change) is reminded again before its new
one. Marks recorded before they named it ("due_soon", "due_today": LEGACY_MARKS) are honoured
for the deadline they were made for (engine.sweeper).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from engine.calendar import WorkingCalendar
from engine.definition import DeadlinePolicy
from engine.state import CaseState

SWEEP_EVENT = "DeadlineSweep"  # the outbox rows' event_type: queued by the sweep, not an event
# reminder marks as recorded before they named their deadline
LEGACY_MARKS = ("due_soon", "due_today")


@dataclass(frozen=True)
class Action:
    kind: str  # remind | notify_supervisor | escalate
    mark: str
    template: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def stage_key(state: CaseState) -> str:
    started = state.stage_started_at.isoformat() if state.stage_started_at else "-"
    return f"{state.state}@{started}"


def lapsed(
    queued: CaseState,
    current: CaseState,
    *,
    to_handler: bool,
    queued_at: datetime | None = None,
    now: datetime | None = None,
) -> str | None:
    """Why a sweep's message, queued when the case stood as `queued`, no longer applies to the
    case as it is now (None: it still does). A reminder or a supervisor notice is about one
    stage instance and its deadline, and a reminder is for the handler it was queued for; once
    the case has left that stage, closed, had its deadline moved or changed hands, telling
    anyone about that stage's deadline would be wrong.

    A reminder is also about its day: "due in 2 working days", "ends today", "overdue by 1"
    are true on the local day it was queued for (`queued_at`, in the office's zone) and wrong
    on any later one. Delivered after that day (an outage, a late dispatch, a retry), it has
    lapsed: the sweep of the day it is delivered on queues what is true then. A supervisor
    notice is told once per stage, so it goes out late rather than not at all."""
    if current.status != "open":
        return f"the case is {current.status} now"
    # compared as instants: a replayed state and a stored one may carry different offsets
    if (current.state, current.stage_started_at) != (queued.state, queued.stage_started_at):
        return f"the case has left stage {queued.state} (now {current.state})"
    if current.stage_due != queued.stage_due:
        return "the stage's deadline has moved"
    if to_handler and current.handler != queued.handler:
        return "the case has another handler now"
    if to_handler and queued_at is not None and now is not None:
        tz = ZoneInfo(queued.zone)
        day = queued_at.astimezone(tz).date()
        if now.astimezone(tz).date() > day:
            return f"for {day.isoformat()} ({queued.zone}), a day that has passed"
    return None


def in_office_hours(policy: DeadlinePolicy, calendar: WorkingCalendar, local: datetime) -> bool:
    start, end = policy.office_hours
    return calendar.is_working_day(local.date()) and start <= local.time() < end


def plan(
    state: CaseState, policy: DeadlinePolicy, calendar: WorkingCalendar, now: datetime
) -> list[Action]:
    """What the sweep should do for this case now (before checking what was already done)."""
    if state.status != "open" or state.stage_due is None:
        return []
    tz = ZoneInfo(state.zone)
    local = now.astimezone(tz)
    if not in_office_hours(policy, calendar, local):
        return []
    today = local.date()
    escalation = _escalation(state, policy, calendar, now, today, tz)
    if escalation:
        return [escalation]
    due_day = state.stage_due.astimezone(tz).date()
    common = {"stage_due": due_day.isoformat()}
    if now > state.stage_due:
        days = calendar.working_days_between(due_day, today)
        actions = []
        if policy.remind_overdue_daily:
            actions.append(
                Action(
                    "remind",
                    f"overdue:{today.isoformat()}",
                    "reminder_overdue",
                    {**common, "days_overdue": days},
                )
            )
        if policy.notify_supervisor:
            actions.append(
                Action(
                    "notify_supervisor",
                    "supervisor",
                    "supervisor_overdue",
                    {**common, "days_overdue": days},
                )
            )
        return actions
    if due_day == today:
        return (
            [
                Action(
                    "remind",
                    f"due_today:{due_day.isoformat()}",
                    "reminder_due_today",
                    {**common, "days_left": 0},
                )
            ]
            if policy.remind_due_today
            else []
        )
    left = calendar.working_days_between(today, due_day)
    if left <= policy.due_soon_days:
        return [
            Action(
                "remind",
                f"due_soon:{due_day.isoformat()}",
                "reminder_due_soon",
                {**common, "days_left": left},
            )
        ]
    return []


def quiet_until(
    state: CaseState, policy: DeadlinePolicy, calendar: WorkingCalendar, now: datetime
) -> datetime | None:
    """Until when this case, unchanged, needs nothing of the sweep that `plan(state, now)` does
    not already ask for: for every `now'` in [now, until), the marks of `plan(state, now')` are
    among those of `plan(state, now)` (tests/unit/test_sweep_plan.py checks it). None outside
    office hours (the office opening changes the plan at once) and when a deadline falls at
    this very instant.

    `plan` depends on the moment only through the local date (reminder marks, day counts,
    office days), the time of day (office hours: outside them the plan is empty, which asks
    for nothing new) and the comparisons with the stage and level deadlines. So the answer is
    the next local midnight or the next of those deadlines, whichever comes first."""
    tz = ZoneInfo(state.zone)
    local = now.astimezone(tz)
    if not in_office_hours(policy, calendar, local):
        return None
    until = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=tz)
    for instant in (state.stage_due, state.level_due):
        if instant is not None and now <= instant < until:
            until = instant
    return until if until > now else None  # a deadline at this very instant: nothing to promise


def _escalation(
    state: CaseState,
    policy: DeadlinePolicy,
    calendar: WorkingCalendar,
    now: datetime,
    today: Any,
    tz: ZoneInfo,
) -> Action | None:
    grace = policy.escalate_after.get(state.level or "")
    if grace is None or state.level_due is None or now <= state.level_due:
        return None
    level_day = state.level_due.astimezone(tz).date()
    over = calendar.working_days_between(level_day, today)
    if over <= grace:
        return None
    return Action(
        "escalate",
        "escalate",
        None,
        {"days_overdue": over, "grace": grace, "level_due": level_day.isoformat()},
    )
