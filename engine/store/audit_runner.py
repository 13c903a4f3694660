"""Runs the pure audit checks over the whole store: chains, projections, checkpoints, numbering."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.audit import (
    GENESIS,
    ChainedEvent,
    DerivedColumns,
    Head,
    Problem,
    checkpoint_digest,
    compare_projection,
    heads_digest,
    replay_failed,
    replay_stored,
    sealed_changes,
    stored_case_holds,
    unreadable_problem,
    verify_chain,
    verify_projection,
)
from engine.errors import EngineError, StoredDataUnreadable
from engine.state import CaseState
from engine.store import repository as repo
from engine.store.db import Database
from engine.store.prepared import Unreadable
from engine.store.tables import AuditCheckpointHeadRow, AuditCheckpointRow, AuditRunRow

log = logging.getLogger("pkh.audit")
CP = AuditCheckpointRow.__table__  # type: ignore[attr-defined]
HEADS = AuditCheckpointHeadRow.__table__  # type: ignore[attr-defined]
HEADS_BATCH = 5_000
RUNS = AuditRunRow.__table__  # type: ignore[attr-defined]


@dataclass
class VerifyReport:
    cases: int = 0
    events: int = 0
    checkpoints: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


# A case's events (or its stored rows), why they cannot be read, and its replay where the
# stored rows' own check gave it (engine.audit.replay_stored; None: the full check decides)
Group = tuple[str, Sequence[Any], Problem | None, CaseState | None]


def _grouped(
    session: Session, lo: str | None = None, hi: str | None = None
) -> Generator[Group, None, None]:
    """Each case's events in version order; a case with a row that cannot be read as an
    event comes with the problem (its first such row) instead of a chain to check.

    On SQLite each case's rows are first checked as stored (`replay_stored`: the hashes over
    the stored texts, the fold over the payloads' changes alone, ~4x cheaper than reading
    every row as an event); a case whose rows do not all hold there is read again as events
    and checked in full, which names what is wrong."""
    stored = repo.stored_event_rows(session, lo, hi)
    if stored is None:
        yield from _events_grouped(session, lo, hi)
        return
    for case_id, rows in groupby(stored, itemgetter(0)):
        bucket = list(rows)
        replayed = replay_stored(bucket)
        if replayed is not None:
            yield case_id, bucket, None, replayed
        else:  # in the same snapshot: [case_id, case_id + NUL) holds this case alone
            yield from _events_grouped(session, case_id, case_id + "\0")


def _events_grouped(
    session: Session, lo: str | None = None, hi: str | None = None
) -> Iterator[Group]:
    current: str | None = None
    bucket: list[ChainedEvent] = []
    unreadable: Problem | None = None
    for row in repo.iter_all_events(session, lo=lo, hi=hi):
        case_id = row.raw.get("case_id") if isinstance(row, Unreadable) else row.case_id
        if case_id != current:
            if current is not None:
                yield current, bucket, unreadable, None
            current, bucket, unreadable = case_id, [], None
        if unreadable is not None:
            bucket.append(_SKIPPED)  # counted, not read
            continue
        try:
            bucket.append(repo.event_from_row(row))
        except StoredDataUnreadable as e:
            unreadable = unreadable_problem("event_unreadable", e)
            bucket.append(_SKIPPED)
    if current is not None:
        yield current, bucket, unreadable, None


_SKIPPED: Any = None  # an event of an unreadable case: counted among the events, not checked


Projections = tuple[dict[str, CaseState | StoredDataUnreadable], dict[str, dict[str, Any]]]


def _projections(s: Session, ids: list[str]) -> Projections:
    """The stored case rows of `ids`; a row that cannot be read, the reason instead. With
    them, each row's columns derived from its state (repo.DERIVED_COLUMNS) as stored."""
    result = s.execute(sa.select(repo.CASES).where(repo.CASES.c.id.in_(ids)))
    states: dict[str, CaseState | StoredDataUnreadable] = {}
    derived: dict[str, dict[str, Any]] = {}
    try:
        for r in result:
            states[r.id] = repo.state_from_row(r)
            derived[r.id] = repo.derived_stored(r)
        return states, derived
    except (ValueError, TypeError):  # some row altered outside pkh: read them one by one
        # (the statement stopped mid-way is closed first: on SQLite an open one keeps the
        # connection's read snapshot, and every later read on it would see the past)
        result.close()
        out: dict[str, CaseState | StoredDataUnreadable] = {}
        for case_id in ids:
            try:
                state = repo.load_case(s, case_id)
            except StoredDataUnreadable as e:
                out[case_id] = e
            else:
                if state is not None:
                    out[case_id] = state
        return out, repo.stored_derived_of(s, ids)


def _check_case(
    case_id: str,
    rows: Sequence[Any],
    unreadable: Problem | None,
    projection: CaseState | StoredDataUnreadable | None,
    replayed: CaseState | None = None,
    derived: Mapping[str, Any] | None = None,
) -> Problem | None:
    """One case's problem: an unreadable row, its chain, its stored row against its replay.
    `replayed`: the replay `replay_stored` made of rows whose chain holds (only the stored
    row is left to compare); otherwise `rows` are ChainedEvents, checked in full. `derived`:
    the row's columns derived from its state as stored (repo.DERIVED_COLUMNS), compared
    with the writer's derivation (repo.derived_values) from the replay."""
    if unreadable is not None:
        return unreadable
    if isinstance(projection, StoredDataUnreadable):
        return unreadable_problem("projection_unreadable", projection)
    columns = None if derived is None else DerivedColumns(repo.derived_values, derived)
    try:
        if replayed is not None:
            return compare_projection(case_id, replayed, projection, columns)
        return verify_chain(case_id, rows) or verify_projection(case_id, rows, projection, columns)
    except Exception as e:  # noqa: BLE001 - an audit reports what it cannot check, and goes on
        log.warning("audit verify: case %s could not be checked", case_id, exc_info=True)
        return replay_failed(case_id, e)


CHUNK = 2000  # cases verified per projection lookup
# Parallel verify (`workers` > 1): the store is cut into parts of at most PART_CASES cases by
# case id, at least PARTS_PER_WORKER parts a worker (so a slow part does not leave the others
# idle at the end); below PARALLEL_FROM events one process does it all (starting the worker
# processes costs about a second).
PARALLEL_FROM = 50_000
PART_CASES = 20_000
PARTS_PER_WORKER = 4
WORKER_NICE = 5  # worker processes yield the CPU to the API's requests and the writers


def default_workers() -> int:
    """PKH_AUDIT_WORKERS, else one worker process per CPU."""
    from engine.settings import get_settings

    return get_settings().audit_workers or os.cpu_count() or 1


def verify(
    db: Database,
    *,
    stop_at_first: bool = True,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
    parallel_from: int | None = None,
    anchors: Sequence[tuple[int, str]] = (),
) -> VerifyReport:
    """Every chain, every projection against its replay, numbering and checkpoints. Streams:
    events in (case, version) order, projections fetched for CHUNK cases at a time, so memory
    does not grow with the number of cases. `progress(events verified, events in the
    snapshot)` is called as the cases are verified and after each of the store-wide checks at
    the end (a national store takes minutes).

    Each case is verified in one snapshot (a writer committing meanwhile must not look like
    tampering). With `workers` > 1 (default: `default_workers()`) and at least
    `parallel_from` events (default PARALLEL_FROM), the cases are verified by that many
    processes, each over its own parts of the case-id range in a snapshot of its own, and the
    store-wide checks (cases without events, numbering, checkpoints) here in one snapshot:
    every check still reads one moment. The verification runs at a lower CPU priority
    (WORKER_NICE) in those processes, and outside this process's GIL: an API serving
    requests while an audit runs keeps serving them. Problems are reported in case-id order
    either way; with `stop_at_first`, one problem (the parts still queued are dropped).

    `anchors`: (checkpoint id, digest) pairs the auditor kept outside the store (printed by
    `pkh audit checkpoint`). Someone able to write to the database could remove a case's
    last events and every checkpoint together; the checkpoints are chained, so one anchored
    digest that is still there and still matches vouches for every checkpoint up to it."""
    report = VerifyReport()
    n_workers = default_workers() if workers is None else workers
    threshold = PARALLEL_FROM if parallel_from is None else parallel_from
    with db.reading(snapshot=True) as s:
        total = int(s.execute(sa.select(sa.func.count()).select_from(repo.EV)).scalar_one())
        if progress is not None:
            progress(0, total)
        wide: VerifyReport | None = None
        if n_workers > 1 and total >= threshold and _shareable(db.url):

            def meanwhile() -> None:
                # the store-wide checks, in this snapshot, while the workers verify the cases
                # (this process would otherwise wait for them); kept apart until the cases'
                # problems are in, so the report reads as it would have in that order
                nonlocal wide
                wide = VerifyReport()
                _store_wide(s, wide, stop_at_first, None, anchors)

            _verify_parallel(
                s, db.url, report, n_workers, stop_at_first, progress, total, meanwhile
            )
        else:

            def on_chunk() -> None:
                if progress is not None:
                    progress(report.events, total)

            _verify_cases(s, report, stop_at_first, on_chunk)
        if stop_at_first and report.problems:
            return report
        if wide is None:
            tick = (lambda: progress(report.events, total)) if progress is not None else None
            _store_wide(s, report, stop_at_first, tick, anchors)
        else:
            report.problems += wide.problems
            report.checkpoints += wide.checkpoints
    if stop_at_first:
        report.problems = report.problems[:1]
    return report


def _store_wide(
    s: Session,
    report: VerifyReport,
    stop_at_first: bool,
    tick: Callable[[], None] | None,
    anchors: Sequence[tuple[int, str]],
) -> None:
    """The checks over the whole store, into `report`: cases without events, numbering,
    checkpoints (`tick` after numbering and after each checkpoint)."""
    ev, cases = repo.EV, repo.CASES
    without_events = (
        sa.select(cases.c.id)
        .where(~sa.exists().where(ev.c.case_id == cases.c.id))
        .order_by(cases.c.id)
    )
    for (case_id,) in s.execute(without_events):
        report.problems.append(_events_gone(case_id))
        if stop_at_first:
            return
    report.problems += _check_numbering(s)
    if tick is not None:
        tick()
    report.problems += _check_checkpoints(s, report, tick, anchors)


def _verify_cases(
    s: Session,
    report: VerifyReport,
    stop_at_first: bool,
    on_chunk: Callable[[], None] | None = None,
    lo: str | None = None,
    hi: str | None = None,
) -> None:
    """Chains and projections of the cases with ids in [lo, hi) (open where None), into
    `report`; `on_chunk` after every CHUNK cases."""
    # closed on every way out: a SQLite statement left open keeps its read snapshot on the
    # connection, which goes back to the pool (engine.store.db.Database.reading)
    with contextlib.closing(_grouped(s, lo, hi)) as groups:
        for chunk in _chunks(groups, CHUNK):
            ids = [group[0] for group in chunk]
            # SQLite: the rows as stored, compared with each replay that holds (the rest, and
            # any row that does not hold it, read with SQLAlchemy and compared in full)
            stored = repo.stored_case_rows(s, ids[0], ids[-1])
            if stored is None:
                projections, derived = _projections(s, ids)
            for case_id, rows, unreadable, replayed in chunk:
                report.cases += 1
                report.events += len(rows)
                if stored is not None:
                    row = stored.get(case_id)
                    if (
                        replayed is not None
                        and unreadable is None
                        and row is not None
                        and _holds(replayed, row)
                    ):
                        continue
                    projections, derived = _projections(s, [case_id])
                problem = _check_case(
                    case_id,
                    rows,
                    unreadable,
                    projections.get(case_id),
                    replayed,
                    derived.get(case_id),
                )
                if problem:
                    report.problems.append(problem)
                    if stop_at_first:
                        return
            if on_chunk is not None:
                on_chunk()


def _holds(replayed: CaseState, row: Sequence[Any]) -> bool:
    """Whether a stored case row (repo.stored_case_rows) holds the replay of its events."""
    try:
        return stored_case_holds(replayed, row, repo.derived_values, repo.DERIVED_COLUMNS)
    except Exception:  # noqa: BLE001 - the full comparison decides, and says why
        return False


def _shareable(url: str) -> bool:
    """Whether other processes can open the store at `url` (not an in-memory SQLite)."""
    u = sa.engine.make_url(url)
    return u.get_backend_name() != "sqlite" or u.database not in (None, "", ":memory:")


def _parts(s: Session, n_workers: int) -> list[tuple[str | None, str | None]]:
    """[lo, hi) case-id ranges that together cover every id, each of at most PART_CASES
    cases, at least PARTS_PER_WORKER per worker (events of a case without a row fall into
    whichever range holds its id)."""
    cases = int(s.execute(sa.select(sa.func.count()).select_from(repo.CASES)).scalar_one())
    parts = max(n_workers * PARTS_PER_WORKER, -(-cases // PART_CASES))
    every = max(1, -(-cases // parts))
    bounds: list[str | None] = [None, *repo.case_id_bounds(s, every), None]
    return [(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]


_worker_dbs: dict[str, Database] = {}


def _worker_start() -> None:
    with contextlib.suppress(OSError):  # not permitted here: the usual priority then
        os.nice(WORKER_NICE)


def _verify_part(
    url: str, lo: str | None, hi: str | None, stop_at_first: bool
) -> tuple[int, int, list[Problem]]:
    """One part, in a worker process: (cases, events, problems)."""
    db = _worker_dbs.get(url)
    if db is None:
        db = _worker_dbs[url] = Database(url)
    part = VerifyReport()
    with db.reading(snapshot=True) as s:
        _verify_cases(s, part, stop_at_first, None, lo, hi)
    return part.cases, part.events, part.problems


def _verify_parallel(
    s: Session,
    url: str,
    report: VerifyReport,
    n_workers: int,
    stop_at_first: bool,
    progress: Callable[[int, int], None] | None,
    total: int,
    meanwhile: Callable[[], None] | None = None,
) -> None:
    """The cases' checks by worker processes, part by part; `meanwhile` is run here once the
    parts are handed out, before their results are awaited."""
    parts = _parts(s, n_workers)
    done: dict[int, tuple[int, int, list[Problem]]] = {}
    events_done = 0

    def finished(i: int, result: tuple[int, int, list[Problem]]) -> bool:
        """Record part i; whether to stop (stop_at_first and it found a problem)."""
        nonlocal events_done
        done[i] = result
        events_done += result[1]
        if progress is not None:
            progress(events_done, total)
        return stop_at_first and bool(result[2])

    stopped = False
    # spawn: a fresh interpreter, not a fork of a process running threads (the API, Prefect)
    pool = ProcessPoolExecutor(
        max_workers=min(n_workers, len(parts)),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_worker_start,
    )
    try:
        futures = {
            pool.submit(_verify_part, url, lo, hi, stop_at_first): i
            for i, (lo, hi) in enumerate(parts)
        }
        if meanwhile is not None:
            meanwhile()
        for future in as_completed(futures):
            if finished(futures[future], future.result()):
                stopped = True
                break
    except BrokenProcessPool:
        # A worker died (killed, out of memory, or a caller's script without the
        # `if __name__ == "__main__":` guard that spawned processes need): nothing is lost,
        # the parts not done are verified here, in this snapshot.
        log.warning(
            "audit verify: a worker process stopped; verifying the rest here", exc_info=True
        )
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    for i, (lo, hi) in enumerate(parts):
        if stopped:
            break
        if i not in done:
            part = VerifyReport()
            _verify_cases(s, part, stop_at_first, None, lo, hi)
            stopped = finished(i, (part.cases, part.events, part.problems))
    for i in sorted(done):  # in case-id order, as one process would have found them
        cases, events, problems = done[i]
        report.cases += cases
        report.events += events
        report.problems += problems
        if stop_at_first and problems:
            report.problems = report.problems[:1]
            return


def verify_case(db: Database, case_id: str) -> VerifyReport:
    """One case: its chain, its stored state against the replay of its events, and what each
    checkpoint sealed of it (its recorded heads), in one snapshot. What the whole-store
    `verify` checks for this case, at the cost of its own events (the auditor's page: a
    whole-store verify of a national store takes minutes). Numbering, and whether the
    recorded heads still add up to each checkpoint's digest, are store-wide: left to
    `verify`."""
    report = VerifyReport(cases=1)
    unreadable: Problem | None = None
    projection: CaseState | StoredDataUnreadable | None
    with db.reading(snapshot=True) as s:
        try:
            rows = repo.load_events(s, case_id)
        except StoredDataUnreadable as e:
            rows = []
            unreadable = unreadable_problem("event_unreadable", e)
        try:
            projection = repo.load_case(s, case_id)
        except StoredDataUnreadable as e:
            projection = e
        derived = repo.stored_derived_of(s, [case_id]).get(case_id)
        sealed = [] if unreadable else _case_under_checkpoints(s, case_id, rows, report)
    report.events = len(rows)
    if unreadable is None and not rows:
        if projection is not None:
            report.problems.append(_events_gone(case_id))
    else:
        problem = _check_case(case_id, rows, unreadable, projection, derived=derived)
        if problem:
            report.problems.append(problem)
    report.problems += sealed
    return report


def _events_gone(case_id: str) -> Problem:
    return Problem(
        case_id,
        None,
        "events_missing",
        "a case row exists but all its events are gone",
        detail_id="baris kasusnya ada tetapi semua kejadiannya hilang",
    )


def _case_under_checkpoints(
    s: Session, case_id: str, rows: list[ChainedEvent], report: VerifyReport
) -> list[Problem]:
    """The case's history today against what each checkpoint sealed of it, as recorded
    (`audit_checkpoint_heads`): cut short, rewritten with its chain recomputed, or gone
    under a checkpoint, named at the first checkpoint that shows it, as `verify` names it.
    Checkpoints taken before heads were recorded (migration 0011) are not asked."""
    first = s.execute(sa.select(sa.func.min(HEADS.c.checkpoint_id))).scalar()
    if first is None:
        return []
    recorded = s.execute(
        sa.select(HEADS.c.checkpoint_id, HEADS.c.version, HEADS.c.hash)
        .where(HEADS.c.case_id == case_id)
        .order_by(HEADS.c.checkpoint_id)
    ).all()
    checkpoints = s.execute(
        sa.select(CP.c.id, CP.c.created_at, CP.c.last_event_id)
        .where(CP.c.id >= first)
        .order_by(CP.c.id)
    ).all()
    sealed: Head | None = None
    i = 0
    for cp in checkpoints:
        report.checkpoints += 1
        while i < len(recorded) and recorded[i].checkpoint_id <= cp.id:
            sealed = (recorded[i].version, recorded[i].hash)
            i += 1
        now: Head | None = None
        for r in rows:
            if r.seq <= cp.last_event_id and (now is None or r.event.version > now[0]):
                now = (r.event.version, r.hash)
        name, name_id = _checkpoint_name(cp)
        found = sealed_changes(
            name, {case_id: sealed} if sealed else {}, {case_id: now} if now else {}, name_id
        )
        if found:
            return found
    return []


def _chunks(groups: Iterator[Group], size: int) -> Iterator[list[Group]]:
    chunk: list[Group] = []
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
                    detail_id=f"nomor kasus sudah diterbitkan tetapi kasusnya hilang "
                    f"({len(missing)} hilang di bawah {key})",
                )
            )
    return problems


def _heads(s: Session, last_event_id: int) -> tuple[int, list[Any]]:
    """The number of events up to `last_event_id` and each case's head among them (case id,
    version, hash and the head event's id)."""
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
        sa.select(ev.c.case_id, ev.c.version, ev.c.hash, ev.c.id).join(
            latest, sa.and_(ev.c.case_id == latest.c.case_id, ev.c.version == latest.c.v)
        )
    ).all()
    return count, list(heads)


def _sealed_heads(s: Session, cp: Any) -> dict[str, Head] | None:
    """The case heads checkpoint `cp` sealed, from the recorded heads (each case's latest row
    at or before it); None when they do not add up to its digest (a checkpoint taken before
    heads were recorded, or rows altered or removed since)."""
    sealed: dict[str, Head] = {}
    q = (
        sa.select(HEADS.c.case_id, HEADS.c.version, HEADS.c.hash)
        .where(HEADS.c.checkpoint_id <= cp.id)
        .order_by(HEADS.c.checkpoint_id)
    )
    for r in s.execute(q):
        sealed[r.case_id] = (r.version, r.hash)
    digest = heads_digest((c, v, h) for c, (v, h) in sealed.items())
    return sealed if len(sealed) == cp.case_count and digest == cp.heads_digest else None


def _history_changed(
    s: Session, cp: Any, count: int, now: dict[str, Head]
) -> tuple[bool, list[Problem]]:
    """What differs under a checkpoint whose sealed heads are not today's (`now`: each case's
    head among the `count` events up to it): the cases, named (True), when the recorded heads
    still add up to the checkpoint; otherwise the totals."""
    sealed = _sealed_heads(s, cp)
    if sealed is not None:
        name, name_id = _checkpoint_name(cp)
        named = sealed_changes(name, sealed, now, name_id)
        if named:
            return True, named
    taken = f"{cp.created_at:%Y-%m-%d %H:%M} UTC"
    return False, [
        Problem(
            None,
            None,
            "history_changed",
            f"events up to #{cp.last_event_id} differ from the checkpoint taken {taken}: "
            f"{cp.case_count} cases / {cp.event_count} events then, {len(now)} / {count} now"
            + (
                ""
                if sealed is not None
                else " (its recorded case heads are incomplete: no case named)"
            ),
            checkpoint=cp.id,
            detail_id=f"kejadian sampai #{cp.last_event_id} berbeda dari titik periksa yang "
            f"dibuat {taken}: {cp.case_count} kasus / {cp.event_count} kejadian saat itu, "
            f"{len(now)} / {count} kini"
            + (
                ""
                if sealed is not None
                else " (catatan kepala kasusnya tidak lengkap: tidak ada kasus yang disebut)"
            ),
        )
    ]


def _checkpoint_name(cp: Any) -> tuple[str, str]:
    """A checkpoint as a problem's detail names it: in English, in Bahasa Indonesia."""
    taken = f"{cp.created_at:%Y-%m-%d %H:%M} UTC"
    return f"checkpoint {cp.id} ({taken})", f"titik periksa {cp.id} ({taken})"


Sealed = tuple[int, int, str]  # what a checkpoint seals: events, cases, digest of the heads


def _heads_at(
    s: Session, expected: Mapping[int, set[Sealed]]
) -> dict[int, tuple[Sealed, dict[str, Head] | None]]:
    """For each last event id in `expected`: the events up to it, its case heads' count and
    digest, and the heads themselves where those are none of the `expected` (to name the
    cases that differ). One pass over the events in id order, whatever the number of
    checkpoints (reading the events again for each one cost seconds per checkpoint at 1M
    events); a case's head is its highest version among the events up to the id."""
    cuts = sorted(expected)
    out: dict[int, tuple[Sealed, dict[str, Head] | None]] = {}
    if not cuts:
        return out
    heads: dict[str, Head] = {}
    seen = i = 0

    def seal(cut: int) -> None:
        got = (seen, len(heads), heads_digest((c, v, h) for c, (v, h) in heads.items()))
        out[cut] = (got, None if got in expected[cut] else dict(heads))

    ev = repo.EV
    q = (
        sa.select(ev.c.id, ev.c.case_id, ev.c.version, ev.c.hash)
        .where(ev.c.id <= cuts[-1])
        .order_by(ev.c.id)
    )
    for part in s.execute(q.execution_options(yield_per=10_000)).tuples().partitions():
        for event_id, case_id, version, digest in part:
            while event_id > cuts[i]:
                seal(cuts[i])
                i += 1
            seen += 1
            head = heads.get(case_id)
            try:
                newer = head is None or version > head[0]
            except TypeError:  # a version altered into text: the digest will not match
                newer = True
            if newer:
                heads[case_id] = (version, digest)
    for cut in cuts[i:]:
        seal(cut)
    return out


def _check_checkpoints(
    s: Session,
    report: VerifyReport,
    tick: Callable[[], None] | None = None,
    anchors: Sequence[tuple[int, str]] = (),
) -> list[Problem]:
    rows = s.execute(sa.select(CP).order_by(CP.c.id)).all()
    # reported, and the checkpoints still there are checked all the same
    missing = _checkpoints_missing(s, rows, anchors)
    expected: dict[int, set[Sealed]] = {}
    for cp in rows:
        expected.setdefault(cp.last_event_id, set()).add(
            (cp.event_count, cp.case_count, cp.heads_digest)
        )
    found_at = _heads_at(s, expected)
    recorded = _recorded_heads(s, [cp.id for cp in rows])
    # every checkpoint is checked: each may name cases the ones before it could not see (a
    # case's events after an earlier seal); a case is named once, at the first that shows it
    changed: list[Problem] = []
    records_told = False
    prev, prev_id = GENESIS, None
    for cp in rows:
        report.checkpoints += 1
        found, now = found_at[cp.last_event_id]
        if tick is not None:
            tick()
        expected_digest = checkpoint_digest(
            prev, cp.last_event_id, cp.event_count, cp.case_count, cp.heads_digest
        )
        if cp.prev_digest != prev or cp.digest != expected_digest:
            return missing + changed + [_chain_broken(cp, prev, prev_id, rows)]
        kept = recorded.get(cp.id)
        if (
            not records_told
            and found == (cp.event_count, cp.case_count, cp.heads_digest)
            and kept is not None
            and kept != (cp.case_count, cp.heads_digest)
        ):
            # the events hold what it sealed, but its recorded heads do not: the records that
            # name a case were tampered with (said once: later checkpoints build on them)
            records_told = True
            changed.append(
                Problem(
                    None,
                    None,
                    "checkpoint_heads_altered",
                    f"the case heads recorded for checkpoint {cp.id} ({kept[0]} cases) no longer "
                    f"add up to what it sealed ({cp.case_count} cases): rows of "
                    "audit_checkpoint_heads were altered or removed; the events themselves "
                    "still hold what it sealed",
                    checkpoint=cp.id,
                    detail_id=f"kepala kasus yang dicatat untuk titik periksa {cp.id} ({kept[0]} "
                    f"kasus) tidak lagi sesuai dengan yang disegelnya ({cp.case_count} kasus): "
                    "baris audit_checkpoint_heads diubah atau dihapus; kejadiannya sendiri masih "
                    "memuat yang disegelnya",
                )
            )
        if found != (cp.event_count, cp.case_count, cp.heads_digest):
            assert now is not None
            named = {p.case_id for p in changed}
            by_case, problems = _history_changed(s, cp, found[0], now)
            if by_case:
                changed += [p for p in problems if p.case_id not in named]
            elif not changed:  # no case named: said once is enough
                changed += problems
        prev, prev_id = cp.digest, cp.id
    return missing + changed


def _recorded_heads(s: Session, ids: Sequence[int]) -> dict[int, tuple[int, str]]:
    """For each checkpoint id in `ids` from the first with recorded heads on: the number and
    digest of the heads recorded as of it (each case's latest row at or before it), in one
    pass over the records."""
    heads: dict[str, Head] = {}
    out: dict[int, tuple[int, str]] = {}
    q = sa.select(HEADS.c.checkpoint_id, HEADS.c.case_id, HEADS.c.version, HEADS.c.hash)
    rows = s.execute(q.order_by(HEADS.c.checkpoint_id).execution_options(yield_per=10_000))
    wanted = sorted(ids)
    i = 0
    started = False

    def seal(cp_id: int) -> None:
        out[cp_id] = (len(heads), heads_digest((c, v, h) for c, (v, h) in heads.items()))

    for part in rows.tuples().partitions():
        for cp_id, case_id, version, digest in part:
            started = True
            while i < len(wanted) and wanted[i] < cp_id:
                if heads:
                    seal(wanted[i])
                i += 1
            heads[case_id] = (version, digest)
    if started:
        for cp_id in wanted[i:]:
            seal(cp_id)
    return out


def _chain_broken(cp: Any, prev: str, prev_id: int | None, rows: Sequence[Any]) -> Problem:
    """Why checkpoint `cp` does not follow the one before it (`prev_id`, digest `prev`):
    sealed after a checkpoint that is no longer in the store, or its row altered."""
    where, where_id = f"checkpoint {cp.id}", f"titik periksa {cp.id}"
    named = f"(digest {cp.prev_digest[:16]}...)"
    if cp.prev_digest != prev and all(r.digest != cp.prev_digest for r in rows):
        after = f"checkpoint {prev_id}" if prev_id is not None else "the start"
        after_id = f"titik periksa {prev_id}" if prev_id is not None else "awal"
        return Problem(
            None,
            None,
            "checkpoint_missing",
            f"{where} was sealed after a checkpoint that is no longer in the store {named}: a "
            f"checkpoint between {after} and {where} was removed",
            checkpoint=cp.id,
            detail_id=f"{where_id} disegel sesudah titik periksa yang tidak ada lagi di "
            f"penyimpanan {named}: sebuah titik periksa antara {after_id} dan {where_id} dihapus",
        )
    if cp.prev_digest != prev:
        return Problem(
            None,
            None,
            "checkpoint_tampered",
            f"{where} names another checkpoint {named} as the one before it: the checkpoints "
            "were reordered or altered",
            checkpoint=cp.id,
            detail_id=f"{where_id} menyebut titik periksa lain {named} sebagai pendahulunya: "
            "urutan titik periksa diubah atau titik periksanya diubah",
        )
    return Problem(
        None,
        None,
        "checkpoint_tampered",
        f"the digest of {where} no longer matches its recorded last event (#"
        f"{cp.last_event_id}), counts ({cp.case_count} cases, {cp.event_count} events) and "
        "heads digest: the checkpoint row was altered",
        checkpoint=cp.id,
        detail_id=f"digest {where_id} tidak lagi cocok dengan kejadian terakhir yang dicatatnya "
        f"(#{cp.last_event_id}), jumlahnya ({cp.case_count} kasus, {cp.event_count} kejadian) "
        "dan digest kepala kasusnya: baris titik periksa diubah",
    )


def _checkpoints_missing(
    s: Session, rows: Sequence[Any], anchors: Sequence[tuple[int, str]]
) -> list[Problem]:
    """Checkpoints are only ever added. Fewer than an earlier recorded audit run verified, or
    an anchored checkpoint gone or changed, means some were removed (and with them what they
    sealed: the checks above cannot see a case's last events removed behind them)."""
    by_id = {r.id: r.digest for r in rows}
    for cp_id, digest in anchors:
        if by_id.get(cp_id) != digest.lower():
            found = by_id.get(cp_id)
            return [
                Problem(
                    None,
                    None,
                    "checkpoint_missing" if found is None else "checkpoint_tampered",
                    f"the anchored checkpoint {cp_id} (digest {digest[:16]}...) is "
                    + ("gone from the store" if found is None else f"now {found[:16]}..."),
                    checkpoint=cp_id,
                    detail_id=f"titik periksa {cp_id} yang dijangkarkan (digest {digest[:16]}...) "
                    + ("hilang dari penyimpanan" if found is None else f"kini {found[:16]}..."),
                )
            ]
    seen = s.execute(
        sa.select(RUNS.c.id, RUNS.c.checkpoints, RUNS.c.finished_at)
        .where(RUNS.c.status.in_(("ok", "failed")))
        .order_by(RUNS.c.checkpoints.desc(), RUNS.c.id)
        .limit(1)
    ).first()
    if seen is not None and seen.checkpoints > len(rows):
        at = f"{seen.finished_at:%Y-%m-%d %H:%M} UTC" if seen.finished_at else None
        when, when_id = (f" on {at}", f" pada {at}") if at else ("", "")
        return [
            Problem(
                None,
                None,
                "checkpoint_missing",
                f"{len(rows)} checkpoints in the store, but audit run {seen.id}{when} verified "
                f"{seen.checkpoints}: checkpoints were removed",
                detail_id=f"{len(rows)} titik periksa di penyimpanan, tetapi pemeriksaan audit "
                f"{seen.id}{when_id} memeriksa {seen.checkpoints}: titik periksa dihapus",
            )
        ]
    return []


class NotIntact(EngineError):
    """The store does not verify, so it is not sealed: a checkpoint would vouch for the
    tampering."""

    code = "store_not_intact"

    def __init__(self, problem: Problem) -> None:
        super().__init__(f"refusing to seal a store that does not verify: {problem}")
        self.problem = problem


def seal(db: Database, now: datetime) -> AuditCheckpointRow:
    """Verify the whole store, then take a checkpoint of it (`pkh audit checkpoint`, the
    weekly flow); a store that does not verify is refused (`NotIntact`). Events written
    between the two by the engine are sealed unverified: they are minutes old, and the next
    verify checks them under this checkpoint."""
    report = verify(db)
    if not report.ok:
        raise NotIntact(report.problems[0])
    return checkpoint(db, now)


def checkpoints(db: Database) -> list[Any]:
    """Every checkpoint, oldest first: id, created_at, case_count, event_count, digest."""
    with db.reading() as s:
        return list(
            s.execute(
                sa.select(
                    CP.c.id, CP.c.created_at, CP.c.case_count, CP.c.event_count, CP.c.digest
                ).order_by(CP.c.id)
            )
        )


def checkpoint(db: Database, now: datetime) -> AuditCheckpointRow:
    """Seal every case head as it stands now; later deletions of whole cases are then visible."""
    with db.transaction() as s:
        if db.dialect == "postgresql":
            # Event ids are handed out at insert, not at commit: wait for writers in flight, or
            # an id below the seal could still appear after it (SQLite writers are serial).
            s.execute(sa.text("LOCK TABLE case_events IN SHARE MODE"))
        last_id = int(s.execute(sa.select(sa.func.max(repo.EV.c.id))).scalar() or 0)
        count, heads = _heads(s, last_id)
        cases = len(heads)
        digest = heads_digest((h.case_id, h.version, h.hash) for h in heads)
        prev_row = s.execute(
            sa.select(CP.c.id, CP.c.digest, CP.c.last_event_id).order_by(CP.c.id.desc()).limit(1)
        ).first()
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
        # Heads recorded for checkpoints that are gone (removed behind the engine's back, which
        # verify reports) describe nothing, and a checkpoint id can be handed out again
        # (SQLite): they give way to this checkpoint's.
        s.execute(sa.delete(HEADS).where(HEADS.c.checkpoint_id > (prev_row.id if prev_row else 0)))
        # the heads that changed since the checkpoint before (all of them the first time)
        recorded = s.execute(sa.select(HEADS.c.checkpoint_id).limit(1)).first() is not None
        since = prev_row.last_event_id if prev_row is not None and recorded else 0
        changed = [
            {"checkpoint_id": row.id, "case_id": h.case_id, "version": h.version, "hash": h.hash}
            for h in heads
            if h.id > since
        ]
        for i in range(0, len(changed), HEADS_BATCH):
            s.execute(sa.insert(HEADS), changed[i : i + HEADS_BATCH])
        return row
