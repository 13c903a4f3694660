"""Runs the pure audit checks over the whole store: chains, projections, checkpoints, numbering."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.audit import (
    GENESIS,
    ChainedEvent,
    Problem,
    checkpoint_digest,
    heads_digest,
    verify_chain,
    verify_projection,
)
from engine.store import repository as repo
from engine.store.db import Database
from engine.store.tables import AuditCheckpointRow

CP = AuditCheckpointRow.__table__  # type: ignore[attr-defined]


@dataclass
class VerifyReport:
    cases: int = 0
    events: int = 0
    checkpoints: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _grouped(session: Session) -> Iterator[tuple[str, list[ChainedEvent]]]:
    current: str | None = None
    bucket: list[ChainedEvent] = []
    for row in repo.iter_all_events(session):
        if row.case_id != current:
            if current is not None:
                yield current, bucket
            current, bucket = row.case_id, []
        bucket.append(repo.event_from_row(row))
    if current is not None:
        yield current, bucket


CHUNK = 2000  # cases verified per projection lookup


def verify(
    db: Database,
    *,
    stop_at_first: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> VerifyReport:
    """Every chain, every projection against its replay, numbering and checkpoints, in one
    snapshot (a writer committing meanwhile must not look like tampering). Streams: events in
    (case, version) order, projections fetched for CHUNK cases at a time, so memory does not
    grow with the number of cases. `progress(events verified, events in the snapshot)` is
    called after every CHUNK cases and after each of the store-wide checks at the end (a
    national store takes minutes)."""
    report = VerifyReport()
    with db.reading(snapshot=True) as s:
        total = 0
        if progress is not None:
            total = int(s.execute(sa.select(sa.func.count()).select_from(repo.EV)).scalar_one())
            progress(0, total)
        for chunk in _chunks(_grouped(s), CHUNK):
            ids = [case_id for case_id, _ in chunk]
            projections = {
                r.id: repo.state_from_row(r)
                for r in s.execute(sa.select(repo.CASES).where(repo.CASES.c.id.in_(ids)))
            }
            for case_id, rows in chunk:
                report.cases += 1
                report.events += len(rows)
                problem = verify_chain(case_id, rows) or verify_projection(
                    case_id, rows, projections.get(case_id)
                )
                if problem:
                    report.problems.append(problem)
                    if stop_at_first:
                        return report
            if progress is not None:
                progress(report.events, total)
        ev, cases = repo.EV, repo.CASES
        without_events = (
            sa.select(cases.c.id)
            .where(~sa.exists().where(ev.c.case_id == cases.c.id))
            .order_by(cases.c.id)
        )
        for (case_id,) in s.execute(without_events):
            report.problems.append(
                Problem(
                    case_id, None, "events_missing", "a case row exists but all its events are gone"
                )
            )
            if stop_at_first:
                return report
        tick = (lambda: progress(report.events, total)) if progress is not None else None
        report.problems += _check_numbering(s)
        if tick is not None:
            tick()
        report.problems += _check_checkpoints(s, report, tick)
    if stop_at_first:
        report.problems = report.problems[:1]
    return report


def verify_case(db: Database, case_id: str) -> VerifyReport:
    """One case: its chain, and its stored state against the replay of its events, in one
    snapshot. What the whole-store `verify` checks for this case, at the cost of its own
    events (the auditor's page: a whole-store verify of a national store takes minutes).
    Numbering and checkpoints are store-wide and left to `verify`."""
    report = VerifyReport(cases=1)
    with db.reading(snapshot=True) as s:
        rows = repo.load_events(s, case_id)
        projection = repo.load_case(s, case_id)
    report.events = len(rows)
    if not rows:
        if projection is not None:
            report.problems.append(
                Problem(
                    case_id, None, "events_missing", "a case row exists but all its events are gone"
                )
            )
        return report
    problem = verify_chain(case_id, rows) or verify_projection(case_id, rows, projection)
    if problem:
        report.problems.append(problem)
    return report


def _chunks(
    groups: Iterator[tuple[str, list[ChainedEvent]]], size: int
) -> Iterator[list[tuple[str, list[ChainedEvent]]]]:
    chunk: list[tuple[str, list[ChainedEvent]]] = []
    for group in groups:
        chunk.append(group)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _check_numbering(s: Session) -> list[Problem]:
    """Case numbers are gapless per prefix and year; a missing number is a removed case (one
    with neither a projection nor any event). One bit per issued number."""
    counters = {r.key: r.last for r in s.execute(sa.select(repo.COUNTERS))}
    present = {key: bytearray(last // 8 + 1) for key, last in counters.items()}
    ids = sa.union(sa.select(repo.EV.c.case_id.label("id")), sa.select(repo.CASES.c.id))
    for (case_id,) in s.execute(ids.execution_options(yield_per=10_000)):
        key, _, number = case_id.rpartition("-")
        bits = present.get(key)
        if bits is not None and number.isdigit():
            n = int(number)
            if n <= counters[key]:
                bits[n >> 3] |= 1 << (n & 7)
    problems = []
    for key, last in sorted(counters.items()):
        bits = present[key]
        missing = [n for n in range(1, last + 1) if not bits[n >> 3] & (1 << (n & 7))]
        if missing:
            problems.append(
                Problem(
                    f"{key}-{missing[0]:06d}",
                    None,
                    "case_missing",
                    f"case number issued but the case is gone ({len(missing)} missing under {key})",
                )
            )
    return problems


def _heads_upto(s: Session, last_event_id: int) -> tuple[int, int, str]:
    ev = repo.EV
    upto = ev.c.id <= last_event_id
    count = int(s.execute(sa.select(sa.func.count()).where(upto)).scalar_one())
    latest = (
        sa.select(ev.c.case_id, sa.func.max(ev.c.version).label("v"))
        .where(upto)
        .group_by(ev.c.case_id)
        .subquery()
    )
    heads = s.execute(
        sa.select(ev.c.case_id, ev.c.version, ev.c.hash).join(
            latest, sa.and_(ev.c.case_id == latest.c.case_id, ev.c.version == latest.c.v)
        )
    ).all()
    return count, len(heads), heads_digest((h.case_id, h.version, h.hash) for h in heads)


def _check_checkpoints(
    s: Session, report: VerifyReport, tick: Callable[[], None] | None = None
) -> list[Problem]:
    prev = GENESIS
    for cp in s.execute(sa.select(CP).order_by(CP.c.id)).all():
        report.checkpoints += 1
        count, cases, digest = _heads_upto(s, cp.last_event_id)
        if tick is not None:  # each checkpoint reads every event up to it: seconds at scale
            tick()
        expected = checkpoint_digest(
            prev, cp.last_event_id, cp.event_count, cp.case_count, cp.heads_digest
        )
        if cp.prev_digest != prev or cp.digest != expected:
            return [
                Problem(
                    f"checkpoint {cp.id}",
                    None,
                    "checkpoint_tampered",
                    "the checkpoint chain does not match",
                )
            ]
        if (count, cases, digest) != (cp.event_count, cp.case_count, cp.heads_digest):
            return [
                Problem(
                    f"checkpoint {cp.id}",
                    None,
                    "history_changed",
                    f"events up to #{cp.last_event_id} differ from the checkpoint taken "
                    f"{cp.created_at:%Y-%m-%d %H:%M} UTC: {cp.case_count} cases / "
                    f"{cp.event_count} events then, {cases} / {count} now",
                )
            ]
        prev = cp.digest
    return []


def checkpoint(db: Database, now: datetime) -> AuditCheckpointRow:
    """Seal every case head as it stands now; later deletions of whole cases are then visible."""
    with db.transaction() as s:
        if db.dialect == "postgresql":
            # Event ids are handed out at insert, not at commit: wait for writers in flight, or
            # an id below the seal could still appear after it (SQLite writers are serial).
            s.execute(sa.text("LOCK TABLE case_events IN SHARE MODE"))
        last_id = int(s.execute(sa.select(sa.func.max(repo.EV.c.id))).scalar() or 0)
        count, cases, digest = _heads_upto(s, last_id)
        prev_row = s.execute(sa.select(CP.c.digest).order_by(CP.c.id.desc()).limit(1)).first()
        prev = prev_row.digest if prev_row else GENESIS
        row = AuditCheckpointRow(
            created_at=now,
            last_event_id=last_id,
            event_count=count,
            case_count=cases,
            heads_digest=digest,
            prev_digest=prev,
            digest=checkpoint_digest(prev, last_id, count, cases, digest),
        )
        s.add(row)
        s.flush()
        return row
