"""Case facts for the monthly report, read from the `cases` projection and the `case_events` log.

Only the cases the month can need are read: created before the month ended and either open now
or closed at or after the month began. That is enough: events never go back in time within a case
(`occurred_at` is never before the previous event's) and a closed case takes no event but
`reopen`, so any case with an event in the month, open at its end, or closed in it, is open now or
has its last close on or after the month's start. The window is widened by a day on each side in
UTC so every zone's local month is inside it; `engine.report` then applies the exact local bounds.

Stage instances come from the events' `changes` (what the machine records on every move):
- a change with `stage_started_at` starts an instance (`stage`, the `level` in force, `stage_due`,
  `level_due`) and ends the one before it: advance, escalate, refer, return, reopen;
- a change to `status` "closed" ends the instance in progress as a close (`closed_at`);
- a change of `stage_due` alone (an extension at pusat) moves the due date of the instance in
  progress: it is the same stage, given more time, not a new one.

The report reads the log as it stands: an event recorded later but dated in the month (a
backdated paper form) changes that month's report when it is rebuilt.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import groupby
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.report import CaseFacts, Month, StageRecord
from engine.store.repository import CASES, EV

MARGIN = timedelta(days=1)  # wider than any zone's offset from UTC


def _dt(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def stage_records(changes: Iterable[Mapping[str, Any]]) -> tuple[StageRecord, ...]:
    """A case's stage instances from its events' `changes`, in version order."""
    out: list[StageRecord] = []
    current: StageRecord | None = None
    level: str | None = None
    level_due: datetime | None = None
    for ch in changes:
        if ch.get("status") == "closed":
            if current is not None:
                out.append(replace(current, left_at=_dt(ch.get("closed_at")), closed=True))
            current = None
            continue
        if "level" in ch:
            level = ch["level"]
        if "level_due" in ch:
            level_due = _dt(ch["level_due"])
        started = _dt(ch.get("stage_started_at"))
        if started is not None:
            if current is not None:
                out.append(replace(current, left_at=started))
            current = StageRecord(
                stage=str(ch.get("stage") or ch.get("state") or "-"),
                level=level,
                started_at=started,
                due_at=_dt(ch.get("stage_due")),
                level_due=level_due,
            )
        elif current is not None and ("stage_due" in ch or "level_due" in ch):
            due = _dt(ch["stage_due"]) if "stage_due" in ch else current.due_at
            current = replace(current, due_at=due, level_due=level_due)
    if current is not None:
        out.append(current)
    return tuple(out)


def _changes(value: Any) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return value
    return {}


def iter_case_facts(
    session: Session,
    month: Month | tuple[int, int] | str,
    *,
    workflow: str | None = None,
    region_prefix: str | None = None,
    batch: int = 2000,
) -> Iterator[CaseFacts]:
    """`CaseFacts` for every case the month's report may count, in case id order (streamed)."""
    month = Month.of(month)
    lo = month.start(UTC) - MARGIN
    hi = month.end(UTC) + MARGIN
    c = CASES.c
    q = (
        sa.select(
            c.id,
            c.region,
            c.case_type,
            c.level,
            c.status,
            c.created_at,
            c.closed_at,
            c.attrs["channel"].as_string().label("channel"),
            c.attrs["entry_level"].as_string().label("entry_level"),
            EV.c.payload["changes"].label("changes"),
        )
        .select_from(CASES.join(EV, EV.c.case_id == c.id))
        .where(c.created_at < hi, sa.or_(c.status == "open", c.closed_at >= lo))
        .order_by(c.id, EV.c.version)
        .execution_options(yield_per=batch)
    )
    if workflow:
        q = q.where(c.workflow == workflow)
    if region_prefix:
        q = q.where(c.region.startswith(region_prefix, autoescape=True))
    for _case_id, rows in groupby(session.execute(q), key=lambda r: r.id):
        group = list(rows)
        first = group[0]
        stages = stage_records(_changes(r.changes) for r in group)
        yield CaseFacts(
            id=first.id,
            case_type=first.case_type,
            region=first.region,
            channel=first.channel,
            entry_level=first.entry_level or (stages[0].level if stages else first.level),
            level=first.level,
            created_at=first.created_at,
            closed_at=first.closed_at,
            status=first.status,
            stages=stages,
        )
