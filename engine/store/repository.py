"""Row mapping and the queries the service needs: events by case, projections, counters."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.audit import GENESIS, ChainedEvent, event_hash
from engine.errors import ConcurrencyConflict
from engine.state import CaseState, Event
from engine.store.tables import CaseCounterRow, CaseEventRow, CaseRow, OutboxRow, UTCDateTime

EV = CaseEventRow.__table__  # type: ignore[attr-defined]
CASES = CaseRow.__table__  # type: ignore[attr-defined]
OUTBOX = OutboxRow.__table__  # type: ignore[attr-defined]
COUNTERS = CaseCounterRow.__table__  # type: ignore[attr-defined]

_STATE_COLUMNS = (
    "workflow",
    "workflow_version",
    "version",
    "state",
    "status",
    "region",
    "zone",
    "level",
    "stage",
    "handler",
    "stage_started_at",
    "stage_due",
    "level_started_at",
    "level_due",
    "created_at",
    "closed_at",
    "updated_at",
)


def event_from_row(row: Any) -> ChainedEvent:
    p = row.payload
    ev = Event(
        case_id=row.case_id,
        version=row.version,
        type=row.event_type,
        trigger=p.get("trigger", ""),
        workflow=row.workflow,
        workflow_version=row.workflow_version,
        actor=row.actor,
        role=row.role,
        occurred_at=row.occurred_at,
        recorded_at=row.recorded_at,
        data=p.get("data", {}),
        changes=p.get("changes", {}),
        note=p.get("note"),
    )
    return ChainedEvent(row.id, ev, row.prev_hash, row.hash, frozenset(p))


def state_from_row(row: Any) -> CaseState:
    return CaseState(
        id=row.id, attrs=dict(row.attrs or {}), **{c: getattr(row, c) for c in _STATE_COLUMNS}
    )


def state_values(state: CaseState) -> dict[str, Any]:
    values = {c: getattr(state, c) for c in _STATE_COLUMNS}
    values["attrs"] = dict(state.attrs)
    values["case_type"] = state.attrs.get("type")
    values["summary"] = state.attrs.get("summary")
    values["subject"] = state.attrs.get("subject")
    return values


def load_case(session: Session, case_id: str, *, for_update: bool = False) -> CaseState | None:
    q = sa.select(CASES).where(CASES.c.id == case_id)
    if for_update:  # PostgreSQL: writers of one case queue here (SQLite: BEGIN IMMEDIATE)
        q = q.with_for_update()
    row = session.execute(q).first()
    return state_from_row(row) if row else None


def load_events(session: Session, case_id: str) -> list[ChainedEvent]:
    rows = session.execute(
        sa.select(EV).where(EV.c.case_id == case_id).order_by(EV.c.version)
    ).all()
    return [event_from_row(r) for r in rows]


def iter_all_events(session: Session, batch: int = 5000) -> Iterator[Any]:
    """Every event row in (case, version) order, streamed."""
    result = session.execute(
        sa.select(EV).order_by(EV.c.case_id, EV.c.version).execution_options(yield_per=batch)
    )
    yield from result


def current_version(session: Session, case_id: str) -> int:
    v = session.execute(sa.select(sa.func.max(EV.c.version)).where(EV.c.case_id == case_id))
    return int(v.scalar() or 0)


def next_case_number(session: Session, key: str) -> int:
    stmt = sa.text(
        "INSERT INTO case_counters (key, last) VALUES (:k, 1) "
        "ON CONFLICT (key) DO UPDATE SET last = case_counters.last + 1 RETURNING last"
    )
    return int(session.execute(stmt, {"k": key}).scalar_one())


def append(session: Session, events: Sequence[Event], expected: int) -> list[str]:
    """Insert events after version `expected`, chaining their hashes. Returns the new hashes."""
    if not events:
        return []
    case_id = events[0].case_id
    prev = GENESIS
    if expected > 0:
        prev_row = session.execute(
            sa.select(EV.c.hash).where(EV.c.case_id == case_id, EV.c.version == expected)
        ).first()
        if prev_row is None:
            raise ConcurrencyConflict(case_id, expected, current_version(session, case_id))
        prev = prev_row.hash
    rows, hashes = [], []
    for ev in events:
        h = event_hash(prev, ev)
        rows.append(
            {
                "case_id": ev.case_id,
                "version": ev.version,
                "event_type": ev.type,
                "payload": ev.payload(),
                "workflow": ev.workflow,
                "workflow_version": ev.workflow_version,
                "actor": ev.actor,
                "role": ev.role,
                "occurred_at": ev.occurred_at,
                "recorded_at": ev.recorded_at,
                "prev_hash": prev,
                "hash": h,
            }
        )
        hashes.append(h)
        prev = h
    session.execute(sa.insert(EV), rows)
    return hashes


def save_projection(session: Session, state: CaseState, expected: int) -> None:
    values = state_values(state)
    if expected == 0:
        session.execute(sa.insert(CASES).values(id=state.id, **values))
        return
    result = session.execute(
        sa.update(CASES).where(CASES.c.id == state.id, CASES.c.version == expected).values(**values)
    )
    if result.rowcount != 1:
        raise ConcurrencyConflict(state.id, expected, current_version(session, state.id))


def add_outbox(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(sa.insert(OUTBOX), rows)


def outbox_row(ev: Event, template: str, recipient: str, now: datetime) -> dict[str, Any]:
    return {
        "case_id": ev.case_id,
        "event_version": ev.version,
        "event_type": ev.type,
        "template": template,
        "recipient": recipient,
        "payload": {"language": "id", "extra": dict(ev.data)},
        "status": "pending",
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
    }


@dataclass(frozen=True)
class CaseFilter:
    workflow: str | None = None
    status: str | None = None
    level: str | None = None
    state: str | None = None
    region_prefix: str | None = None  # the caller's request
    scope: str | None = None  # the actor's region: always applied
    case_type: str | None = None
    handler: str | None = None
    due_before: datetime | None = None
    overdue_at: datetime | None = None  # stage or level due before this instant, still open
    text: str | None = None


FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)


def _where(q: Any, f: CaseFilter) -> Any:
    c = CASES.c
    for col, value in (
        (c.workflow, f.workflow),
        (c.status, f.status),
        (c.level, f.level),
        (c.state, f.state),
        (c.case_type, f.case_type),
        (c.handler, f.handler),
    ):
        if value:
            q = q.where(col == value)
    for prefix in (f.region_prefix, f.scope):
        if prefix:
            q = q.where(c.region.startswith(prefix, autoescape=True))
    if f.due_before is not None:
        q = q.where(c.stage_due <= f.due_before)
    if f.overdue_at is not None:
        q = q.where(
            c.status == "open", sa.or_(c.stage_due < f.overdue_at, c.level_due < f.overdue_at)
        )
    if f.text:
        q = q.where(sa.func.lower(c.summary).contains(f.text.lower(), autoescape=True))
    return q


def search_cases(
    session: Session, f: CaseFilter, *, limit: int = 50, after: tuple[datetime, str] | None = None
) -> tuple[list[CaseState], int, tuple[datetime, str] | None]:
    """A page of cases, soonest stage deadline first (keyset pagination), and the total."""
    due = sa.func.coalesce(CASES.c.stage_due, FAR_FUTURE)
    total = int(
        session.execute(_where(sa.select(sa.func.count()).select_from(CASES), f)).scalar_one()
    )
    q = _where(sa.select(CASES), f)
    if after is not None:
        q = q.where(
            sa.tuple_(due, CASES.c.id)
            > sa.tuple_(sa.literal(after[0], UTCDateTime()), sa.literal(after[1]))
        )
    rows = session.execute(q.order_by(due, CASES.c.id).limit(limit + 1)).all()
    states = [state_from_row(r) for r in rows[:limit]]
    cursor = None
    if len(rows) > limit:
        last = states[-1]
        cursor = (last.stage_due or FAR_FUTURE, last.id)
    return states, total, cursor


def list_cases(
    session: Session,
    *,
    workflow: str | None = None,
    status: str | None = None,
    level: str | None = None,
    state: str | None = None,
    region_prefix: str | None = None,
    handler: str | None = None,
    due_before: datetime | None = None,
    limit: int = 100,
) -> list[CaseState]:
    q = sa.select(CASES)
    if workflow:
        q = q.where(CASES.c.workflow == workflow)
    if status:
        q = q.where(CASES.c.status == status)
    if level:
        q = q.where(CASES.c.level == level)
    if state:
        q = q.where(CASES.c.state == state)
    if region_prefix:
        q = q.where(CASES.c.region.startswith(region_prefix, autoescape=True))
    if handler:
        q = q.where(CASES.c.handler == handler)
    if due_before is not None:
        q = q.where(CASES.c.stage_due <= due_before)
    q = q.order_by(CASES.c.stage_due.is_(None), CASES.c.stage_due, CASES.c.id).limit(limit)
    return [state_from_row(r) for r in session.execute(q)]
