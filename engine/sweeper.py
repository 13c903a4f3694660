"""Runs the deadline sweep over the store: find due cases by index, plan, act once, report.

Reminders and supervisor notices become outbox rows, written with the sweep mark that makes them
happen once, in one transaction per case. Escalations are commands by the `system` actor.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.errors import EngineError
from engine.service import CaseService
from engine.state import SYSTEM, Actor, CaseState
from engine.store import repository as repo
from engine.store.tables import SweepMarkRow, UserRow
from engine.sweep import Action, plan, stage_key

MARKS = SweepMarkRow.__table__  # type: ignore[attr-defined]


@dataclass
class SweepReport:
    now: str
    examined: int = 0
    reminded: list[str] = field(default_factory=list)
    supervisor_notified: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    messages: int = 0

    def merge(self, other: SweepReport) -> None:
        self.examined += other.examined
        self.reminded += other.reminded
        self.supervisor_notified += other.supervisor_notified
        self.escalated += other.escalated
        self.failed += other.failed
        self.messages += other.messages

    def as_dict(self) -> dict[str, Any]:
        return {
            "now": self.now,
            "examined": self.examined,
            "reminded": sorted(self.reminded),
            "supervisor_notified": sorted(self.supervisor_notified),
            "escalated": sorted(self.escalated),
            "failed": self.failed,
            "messages": self.messages,
        }


def _horizon(now: datetime, days: int, service: CaseService) -> datetime:
    """Every stage due within `days` working days of today in any zone is due before this."""
    cal = service.calendar()
    start = now.astimezone(UTC).date() - timedelta(days=1)
    last = cal.add_working_days(start, days + 2)
    return datetime.combine(last, time(23, 59, 59), tzinfo=UTC)


def candidates(
    s: Session, workflow: str, horizon: datetime, province: str | None
) -> list[CaseState]:
    c = repo.CASES.c
    q = sa.select(repo.CASES).where(
        c.status == "open", c.workflow == workflow, c.stage_due <= horizon
    )
    if province:
        q = q.where(c.region.startswith(province, autoescape=True))
    return [repo.state_from_row(r) for r in s.execute(q.order_by(c.stage_due, c.id))]


class Offices:
    """Officers by role, for 'every officer of the handling office' and the level above."""

    def __init__(self, s: Session) -> None:
        rows = s.execute(
            sa.select(UserRow.username, UserRow.role, UserRow.region).where(
                UserRow.active.is_(True), UserRow.suspended.is_(False)
            )
        ).all()
        self._by_role: dict[str, list[Actor]] = {}
        for r in rows:
            self._by_role.setdefault(r.role, []).append(Actor(r.username, r.role, r.region))

    def officers(self, role: str | None, region: str) -> list[str]:
        return sorted(a.username for a in self._by_role.get(role or "", []) if a.covers(region))


def sweep(
    service: CaseService, now: datetime, *, provinces: Iterable[str] | None = None
) -> SweepReport:
    report = SweepReport(now=now.isoformat())
    for prov in list(provinces) if provinces else [None]:
        report.merge(sweep_province(service, now, prov))
    return report


def sweep_province(service: CaseService, now: datetime, province: str | None) -> SweepReport:
    report = SweepReport(now=now.isoformat())
    cal = service.calendar()
    for name in _workflows(service):
        definition = service.workflows.get(name)
        policy = definition.deadline_policy
        if policy is None:
            continue
        with service.db.reading() as s:
            found = candidates(s, name, _horizon(now, policy.due_soon_days, service), province)
            offices = Offices(s)
        report.examined += len(found)
        levels = list(definition.levels)
        for state in found:
            actions = plan(state, policy, cal, now)
            if not actions:
                continue
            if actions[0].kind == "escalate":
                _escalate(service, state, actions[0], now, report, policy.escalate_trigger)
                continue
            above = (
                levels[levels.index(state.level) + 1]
                if state.level in levels and levels.index(state.level) + 1 < len(levels)
                else None
            )
            _notify(service, state, actions, offices, above, now, report)
    return report


def _workflows(service: CaseService) -> list[str]:
    names = getattr(service.workflows, "names", None)
    return list(names()) if callable(names) else []


def _escalate(
    service: CaseService,
    state: CaseState,
    action: Action,
    now: datetime,
    report: SweepReport,
    trigger: str,
) -> None:
    reason = (
        f"tenggat tingkat {state.level} terlewati {action.extra['days_overdue']} hari "
        f"kerja (toleransi {action.extra['grace']}); eskalasi otomatis"
    )
    try:
        service.apply(
            state.id,
            trigger,
            {"reason": reason},
            SYSTEM.username,
            at=now,
            expected_version=state.version,
            note="deadline sweep",
        )
        report.escalated.append(state.id)
    except EngineError as e:
        report.failed.append({"case_id": state.id, "action": "escalate", "error": str(e)})


def _notify(
    service: CaseService,
    state: CaseState,
    actions: list[Action],
    offices: Offices,
    above: str | None,
    now: datetime,
    report: SweepReport,
) -> None:
    key = stage_key(state)
    with service.db.transaction() as s:
        for action in actions:
            if action.kind == "remind":
                to = (
                    [state.handler]
                    if state.handler
                    else offices.officers(state.level, state.region)
                )
            else:
                to = offices.officers(above, state.region) if above else []
            if not to or not _claim(s, state.id, key, action.mark, now):
                continue
            repo.add_outbox(s, [_message(state, action, user, now) for user in to])
            report.messages += len(to)
            target = report.reminded if action.kind == "remind" else report.supervisor_notified
            if state.id not in target:
                target.append(state.id)


def _claim(s: Session, case_id: str, key: str, mark: str, now: datetime) -> bool:
    """Record the mark; False if this stage instance already has it (done before)."""
    exists = s.execute(
        sa.select(MARKS.c.mark).where(
            MARKS.c.case_id == case_id, MARKS.c.stage_key == key, MARKS.c.mark == mark
        )
    ).first()
    if exists:
        return False
    s.execute(sa.insert(MARKS).values(case_id=case_id, stage_key=key, mark=mark, created_at=now))
    return True


def _message(state: CaseState, action: Action, user: str, now: datetime) -> dict[str, Any]:
    return {
        "case_id": state.id,
        "event_version": state.version,
        "event_type": "DeadlineSweep",
        "template": action.template,
        "recipient": f"user:{user}",
        "payload": {"language": "id", "extra": {**action.extra, "handler": state.handler}},
        "status": "pending",
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
    }
