"""Whole-store audit verifications as recorded runs: started one at a time, run in the
background with a heartbeat, read back with their progress and result.

A national store takes minutes to verify (14,000 events/s in one process here, about 1.8x that
with a worker process per core of 2; 10M events ~7-12 min), too long for a request. The API
starts a run (`start`), executes it on a thread of its own (`execute`) and answers at once;
the auditor reads the run (`get`, `recent`). The nightly
Prefect flow records its runs the same way, so the last verification is known whoever ran it.

A run writes its progress at most every `BEAT` seconds; that write is its heartbeat. A run
still marked `running` with no heartbeat for `STALE` belongs to a process that stopped (a
restart, a crash): it reads as `interrupted`, and the next `start` records it so.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from engine.errors import AlreadyRunning, NotFound
from engine.store import audit_runner
from engine.store.db import Database
from engine.store.tables import AuditRunRow

log = logging.getLogger("pkh.audit")
RUNS = AuditRunRow.__table__  # type: ignore[attr-defined]
STALE = timedelta(minutes=15)  # the checkpoint and numbering checks report no progress
BEAT = 5.0  # seconds between progress writes
KEPT_PROBLEMS = 1000  # problems stored per run; problem_count has them all


@dataclass(frozen=True)
class Run:
    id: int
    status: str  # running, ok, failed (problems found), error (could not finish), interrupted
    started_by: str
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    events_total: int
    events_done: int
    cases: int
    checkpoints: int
    problem_count: int
    problems: list[dict[str, Any]]
    error: str | None

    @property
    def finished(self) -> bool:
        return self.status != "running"

    @property
    def error_id(self) -> str | None:
        """`error` in Bahasa Indonesia, for the auditor's page: why a run was interrupted,
        or what stopped it (an error of Python's own or the database's, said as given)."""
        if self.error is None:
            return None
        if self.status == "interrupted":
            return _silent_since_id(self.updated_at)
        return f"galat sistem: {self.error}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "ok": self.status == "ok",
            "started_by": self.started_by,
            "started_at": self.started_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "events_total": self.events_total,
            "events_done": self.events_done,
            "cases": self.cases,
            "checkpoints": self.checkpoints,
            "problem_count": self.problem_count,
            "problems": self.problems,
            "error": self.error,
        }


def _alive(row: Any, now: datetime) -> bool:
    return bool(row.status == "running" and now - row.updated_at <= STALE)


def _view(row: Any, now: datetime) -> Run:
    status = row.status
    error = row.error
    if status == "running" and not _alive(row, now):
        status = "interrupted"
        error = error or _silent_since(row.updated_at)
    return Run(
        id=row.id,
        status=status,
        started_by=row.started_by,
        started_at=row.started_at,
        updated_at=row.updated_at,
        finished_at=row.finished_at,
        events_total=row.events_total,
        events_done=row.events_done,
        cases=row.cases,
        checkpoints=row.checkpoints,
        problem_count=row.problem_count,
        problems=list(row.problems or []),
        error=error,
    )


def _silent_since(when: datetime) -> str:
    return (
        f"no progress since {when:%Y-%m-%d %H:%M:%S} UTC: "
        "the process running it stopped; start a new run"
    )


def _silent_since_id(when: datetime) -> str:
    return (
        f"tidak ada kemajuan sejak {when:%Y-%m-%d %H:%M:%S} UTC: proses yang menjalankannya "
        "berhenti; mulai pemeriksaan baru"
    )


def start(db: Database, started_by: str, now: datetime) -> Run:
    """Record a new run as `running`. Refused with AlreadyRunning while another one is alive;
    one that went silent is recorded as interrupted first. Two starts at once: the partial
    unique index lets one of them in."""
    try:
        with db.transaction() as s:
            running = s.execute(sa.select(RUNS).where(RUNS.c.status == "running")).first()
            if running is not None:
                if _alive(running, now):
                    raise _already(running)
                # only if it is still the silent run read above: a result it wrote meanwhile
                # (PostgreSQL, READ COMMITTED) is kept
                s.execute(
                    RUNS.update()
                    .where(
                        RUNS.c.id == running.id,
                        RUNS.c.status == "running",
                        RUNS.c.updated_at == running.updated_at,
                    )
                    .values(
                        status="interrupted",
                        finished_at=running.updated_at,
                        error=_silent_since(running.updated_at),
                    )
                )
            row = AuditRunRow(
                status="running", started_by=started_by, started_at=now, updated_at=now
            )
            s.add(row)
            s.flush()
            return _view(row, now)
    except sa.exc.IntegrityError:
        with db.reading() as s:
            running = s.execute(sa.select(RUNS).where(RUNS.c.status == "running")).first()
        if running is None:  # the other run finished in between: a retry will do
            raise AlreadyRunning("another verification was starting; try again", run_id=0) from None
        raise _already(running) from None


def _already(row: Any) -> AlreadyRunning:
    return AlreadyRunning(
        f"audit run {row.id}, started by {row.started_by} at "
        f"{row.started_at:%Y-%m-%d %H:%M} UTC, is still running "
        f"({row.events_done:,} of {row.events_total:,} events verified)",
        run_id=row.id,
    )


def launch(db: Database, started_by: str, clock: Callable[[], datetime]) -> Run:
    """`start` a run and `execute` it on a thread of its own (daemon: a stopping server does
    not wait for it; the run then reads as interrupted). Returns the run as started."""
    run = start(db, started_by, clock())
    threading.Thread(
        target=execute, args=(db, run.id, clock), name=f"pkh-audit-run-{run.id}", daemon=True
    ).start()
    return run


def execute(
    db: Database,
    run_id: int,
    clock: Callable[[], datetime],
    *,
    progress: Callable[[int, int], None] | None = None,
    anchors: Sequence[tuple[int, str]] = (),
) -> Run:
    """Verify the whole store for the run `run_id` (from `start`), writing its progress and
    then its result. Never raises for a failure of the verification itself: that is recorded
    as status `error` (and logged), so a background thread leaves no run `running`."""
    last = [0.0]
    events_total = [0]  # the snapshot's event count, as verify reported it

    def beat(done: int, total: int) -> None:
        events_total[0] = total
        if progress is not None:
            progress(done, total)
        if time.monotonic() - last[0] < BEAT:
            return
        last[0] = time.monotonic()
        try:  # a heartbeat that cannot be written (a writer holding the lock) loses nothing
            _update(
                db,
                run_id,
                running_only=True,
                updated_at=clock(),
                events_done=done,
                events_total=total,
            )
        except Exception:
            log.warning("audit run %s: progress not recorded", run_id, exc_info=True)

    try:
        report = audit_runner.verify(db, stop_at_first=False, progress=beat, anchors=anchors)
    except Exception as e:  # recorded, not lost: the run must not stay `running`
        log.exception("audit run %s could not finish", run_id)
        _update(
            db,
            run_id,
            status="error",
            updated_at=clock(),
            finished_at=clock(),
            error=f"{type(e).__name__}: {e}"[:500],
        )
    else:
        problems = [p.as_dict() for p in report.problems[:KEPT_PROBLEMS]]
        _update(
            db,
            run_id,
            status="ok" if report.ok else "failed",
            error=None,  # if it was taken for interrupted meanwhile, this is what it found
            updated_at=clock(),
            finished_at=clock(),
            events_done=report.events,
            events_total=max(report.events, events_total[0]),
            cases=report.cases,
            checkpoints=report.checkpoints,
            problem_count=len(report.problems),
            problems=problems,
        )
    return get(db, run_id, clock())


def _update(db: Database, run_id: int, *, running_only: bool = False, **values: Any) -> None:
    """Write `values` to the run; `running_only`: unless it was recorded as interrupted."""
    stmt = RUNS.update().where(RUNS.c.id == run_id)
    if running_only:
        stmt = stmt.where(RUNS.c.status == "running")
    with db.transaction() as s:
        s.execute(stmt.values(**values))


def get(db: Database, run_id: int, now: datetime) -> Run:
    with db.reading() as s:
        row = s.execute(sa.select(RUNS).where(RUNS.c.id == run_id)).first()
    if row is None:
        raise NotFound(f"no audit run {run_id}")
    return _view(row, now)


def recent(db: Database, now: datetime, limit: int = 20) -> list[Run]:
    """The latest runs, newest first."""
    with db.reading() as s:
        rows = s.execute(sa.select(RUNS).order_by(RUNS.c.id.desc()).limit(limit)).all()
    return [_view(r, now) for r in rows]
