"""What the deadline sweep does to a case: escalate it as `system`, or claim its marks and
queue its reminders and supervisor notices as outbox rows, in one transaction per batch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine.errors import ConcurrencyConflict, EngineError
from engine.machine import CLOCK_SKEW
from engine.service import CaseService
from engine.state import SYSTEM, CaseState
from engine.store import repository as repo
from engine.store.sweep_source import MARKS
from engine.sweep import SWEEP_EVENT, Action
from engine.sweep_report import SweepReport


@dataclass(frozen=True)
class Notice:
    state: CaseState
    key: str
    action: Action
    to: list[str]
    handler: tuple[str | None, str | None] = (None, None)  # the handler, and why unable


def escalation_moment(state: CaseState, now: datetime) -> datetime | None:
    """When the sweep at `now` records its escalation of this case: at its moment, or at the
    case's last event where an officer's step came after that moment but within the engine's
    clock skew (the clock goes on while a sweep runs: an event cannot come before the case's
    last one). None: the case changed later than that, and the sweep's moment is stale for it."""
    last = state.updated_at
    if last is None or last <= now:
        return now
    return last if last - now <= CLOCK_SKEW else None


def escalate(
    service: CaseService,
    state: CaseState,
    action: Action,
    now: datetime,
    report: SweepReport,
    policy: Any,
    replanned: bool = False,
) -> list[CaseState]:
    """Escalate as `system`, on condition that the case is still as the sweep read it. A case
    changed since (an officer's step, another sweep's escalation) is returned, to be read
    and planned again: escalated if its plan still says so, else moved on; that is no failure.
    Failures are the refusals that remain.

    A case read already changed later than the sweep's moment allows (`escalation_moment`:
    a sweep re-run for a missed moment) is refused, loudly; one that changed so while the
    sweep ran (`replanned`: read before, changed since) is moved on, left to the next sweep."""
    at = escalation_moment(state, now)
    if at is None:
        if replanned:
            report.note("moved_on", state.id)
            return []
        report.failed.append(
            {
                "case_id": state.id,
                "action": "escalate",
                "error": (
                    f"the case changed at {state.updated_at}, after the sweep's moment "
                    f"{now.isoformat()}: a sweep for that moment cannot escalate it; "
                    "sweep at a later moment"
                ),
            }
        )
        return []
    # the level in words ("Ketua Kelompok", not "ketua_kelompok"): the reason is shown as
    # stored on the timeline and in the letters
    level = (state.level or "").replace("_", " ").title()
    reason = (
        f"tenggat tingkat {level} terlewati {action.extra['days_overdue']} hari "
        f"kerja (toleransi {action.extra['grace']}); eskalasi otomatis"
    )
    try:
        service.apply(
            state.id,
            policy.escalate_trigger,
            {"reason": reason},
            SYSTEM.username,
            at=at,
            expected_version=state.version,
            note="deadline sweep",
        )
    except ConcurrencyConflict:
        return [state]
    except EngineError as e:
        report.failed.append({"case_id": state.id, "action": "escalate", "error": str(e)})
        return []
    report.escalated.append(state.id)
    return []


def notify(
    service: CaseService, notices: list[Notice], now: datetime, report: SweepReport
) -> list[CaseState]:
    """One transaction: claim the marks; queue the messages of the marks this sweep won.
    Only for the cases still at the version the sweep planned on; the others are returned, to
    be planned again: a reminder of a stage the case has left, or to a handler it no longer
    has, is not queued."""
    with service.db.transaction() as s:
        planned = {n.state.id: n.state for n in notices}
        stale = _changed(s, {k: v.version for k, v in planned.items()})
        notices = [n for n in notices if n.state.id not in stale]
        won = _claim(s, notices, now) if notices else set()
        outbox = []
        for n in notices:
            if (n.state.id, n.key, n.action.mark) not in won:
                continue  # another sweep did it since we looked
            outbox += [_message(n.state, n.action, user, now, n.handler, n.key) for user in n.to]
            report.messages += len(n.to)
            report.note(
                "reminded" if n.action.kind == "remind" else "supervisor_notified", n.state.id
            )
        repo.add_outbox(s, outbox)
    return [planned[case_id] for case_id in sorted(stale)]


def _changed(s: Session, planned: dict[str, int]) -> set[str]:
    """The cases of `planned` (id: version) whose version moved since the sweep read them.

    Not locked: an officer's step committing after this read is ordered after the sweep's
    transaction (it reads nothing the sweep writes), as if it came once the sweep was done;
    the dispatcher then finds those messages lapsed. Locking the batch's rows would risk a
    deadlock with a command that holds one case and reaches for another (a duplicate's)."""
    c = repo.CASES.c
    q = sa.select(c.id, c.version).where(c.id.in_(sorted(planned)))
    current = {r.id: r.version for r in s.execute(q)}
    return {case_id for case_id, version in planned.items() if current.get(case_id) != version}


def _claim(s: Session, notices: list[Notice], now: datetime) -> set[tuple[str, str, str]]:
    """Record the marks; return those this call recorded (a mark already there, put there by a
    sweep running at the same time, is skipped and not returned)."""
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(MARKS)
        .on_conflict_do_nothing()
        .returning(MARKS.c.case_id, MARKS.c.stage_key, MARKS.c.mark)
    )
    rows = [
        {"case_id": n.state.id, "stage_key": n.key, "mark": n.action.mark, "created_at": now}
        for n in notices
    ]
    unique = list({(r["case_id"], r["stage_key"], r["mark"]): r for r in rows}.values())
    return {(r.case_id, r.stage_key, r.mark) for r in s.execute(stmt, unique)}


def _message(
    state: CaseState,
    action: Action,
    user: str,
    now: datetime,
    handler: tuple[str | None, str | None] = (None, None),
    key: str | None = None,
) -> dict[str, Any]:
    name, unable = handler
    extra = {**action.extra, "handler": name, **({"handler_unable": unable} if unable else {})}
    # the mark it was queued under: a due-soon reminder that lapses undelivered gives it back
    # (notifications.dispatch), so the sweep of the day it lapsed on says what is true then
    mark = {"mark": {"stage_key": key, "mark": action.mark}} if key else {}
    return {
        "case_id": state.id,
        "event_version": state.version,
        "event_type": SWEEP_EVENT,
        "template": action.template,
        "recipient": f"user:{user}",
        "payload": {"language": "id", "extra": extra, **mark},
        "status": "pending",
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
    }
