"""Random single-row tampering with `case_events` (and a case's row): audit verify detects each
one and names the case.

A seeded store (complaints with 1 to 9 events each, filed, advanced, escalated, extended,
rejected, linked; a checkpoint part-way) is tampered with once per trial, then verified:

- SQLite: 1,000 trials, each on a fresh copy of the seeded file (the SQLite online backup API
  copies it back over the working file in about a millisecond);
- PostgreSQL: 50 trials inside one transaction, each in a savepoint rolled back after verify,
  with verify reading through that same connection.

Kinds (one row each, or one pair for a reordering):
- modify: case_id, version, event_type, payload (data, changes, note, trigger: edited, added,
  removed), workflow, workflow_version, actor, role, occurred_at, recorded_at, prev_hash, hash;
  and the columns of the case's row derived from its state: subject, case_type, summary;
- delete: one row;
- insert: a forged next event with a correctly computed hash, one with a wrong hash, one past a
  gap, a new case's first event;
- reorder: two events of a case swap versions; two events swap their contents; the events of the
  same version of two cases swap cases;
- corrupt: a value no engine writes (a payload that is not JSON or not an object, a date that
  is not one, a version that is not a number; on SQLite a payload text with a forged "changes"
  put before the real one, which SQLite's JSON functions read and Python does not): reported
  naming the case, not a crash.

Each trial must make `verify` fail, and its first problem (what `pkh audit verify` prints) must
name a case the tampering touched. The figures (trials per kind, detections, problem kinds) are
printed at the end. (tests/integration/test_service.py and tests/e2e/test_cli.py hold the
hand-picked tamper cases.)
"""

from __future__ import annotations

import dataclasses
import random
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from api.wiring import App
from engine.audit import GENESIS, event_hash
from engine.store import audit_runner
from engine.store.db import Database
from engine.store.repository import CASES, EV, event_from_row
from tests.reliability._support import ADVANCE_DATA, dump_figures, filing

SQLITE_TRIALS = 1000
POSTGRES_TRIALS = 50

EVENT_TYPES = ("ComplaintFiled", "StageAdvanced", "ReporterLinked", "CaseResolved", "CaseRejected")
ACTORS = ("kab.bogor", "kab.bogor2", "pusat.spm", "system", "admin")
ROLES = ("kabupaten", "pusat", "pendamping", "system", "admin")
MODIFY_COLUMNS = (
    "case_id",
    "version",
    "event_type",
    "payload",
    "workflow",
    "workflow_version",
    "actor",
    "role",
    "occurred_at",
    "recorded_at",
    "prev_hash",
    "hash",
)
# the columns of `cases` the writer derives from a case's attrs (repository.derived_values)
CASE_COLUMNS = ("subject", "case_type", "summary")
CASES_DERIVED = tuple(CASES.c[c] for c in CASE_COLUMNS)
INSERTS = ("forged_next_valid_hash", "next_wrong_hash", "past_a_gap", "new_case")
REORDERS = ("swap_versions", "swap_contents", "swap_cases")


# ------------------------------------------------------------------------------------- seeding
def seed(app: App) -> None:
    """Complaints of 1 to 9 events in every shape the workflow allows; a checkpoint part-way."""
    svc = app.service
    rng = random.Random(3)
    ids = []
    for i in range(14):
        if i % 5 == 4:
            data = filing(level="pusat", region="32", summary=f"pusat {i}")
            ids.append(svc.open_case("complaint", data, "pusat.spm").id)
        elif i % 4 == 3:
            data = filing(anonymous=True, reporter_name=None, reporter_contact=None)
            ids.append(svc.open_case("complaint", data, "kab.bogor").id)
        else:
            ids.append(svc.open_case("complaint", filing(summary=f"kasus {i}"), "kab.bogor").id)
    for n, case_id in enumerate(ids):
        if n == 7:
            audit_runner.checkpoint(app.db, datetime.now(UTC))
        for _ in range(rng.randrange(0, 8)):
            st = svc.get(case_id)
            if st.status != "open":
                break
            actor = "pusat.spm" if st.level == "pusat" else "kab.bogor"
            roll = rng.random()
            if roll < 0.5:
                svc.apply(case_id, "advance", ADVANCE_DATA, actor, note=f"maju {n}")
            elif roll < 0.7:
                svc.apply(
                    case_id, "link_reporter", {"reporter_name": f"Pelapor {n} v{st.version}"}, actor
                )
            elif roll < 0.8 and st.level == "pusat":
                svc.apply(case_id, "extend", {"working_days": 2, "reason": "data"}, actor)
            elif roll < 0.85 and st.level == "kabupaten":
                svc.apply(case_id, "escalate", {"reason": "perlu pusat"}, actor)
            elif roll < 0.9:
                svc.apply(
                    case_id, "reject", {"reason": "bukan_pkh", "informed_via": "surat"}, actor
                )
            else:
                handler = "pusat.spm2" if st.level == "pusat" else "kab.bogor2"
                svc.apply(case_id, "assign", {"handler": handler}, actor)
    report = audit_runner.verify(app.db, stop_at_first=False)
    assert report.ok and report.checkpoints == 1, report.problems


# ------------------------------------------------------------------------------------ tampering
@dataclasses.dataclass
class Tamper:
    kind: str  # modify | delete | insert | reorder
    detail: str  # which column or which variant
    cases: set[str]  # the cases it touched


def _rows(conn: sa.Connection) -> list[Any]:
    return list(conn.execute(sa.select(EV).order_by(EV.c.case_id, EV.c.version)))


def _values(row: Any) -> dict[str, Any]:
    return {c.name: getattr(row, c.name) for c in EV.columns if c.name != "id"}


def _other(rng: random.Random, options: tuple[Any, ...], current: Any) -> Any:
    return rng.choice([o for o in options if o != current])


def _hex(rng: random.Random, current: str) -> str:
    if rng.random() < 0.5:  # one character flipped
        i = rng.randrange(len(current))
        c = _other(rng, tuple("0123456789abcdef"), current[i])
        return current[:i] + c + current[i + 1 :]
    return "".join(rng.choice("0123456789abcdef") for _ in range(64))


def _instant(rng: random.Random, current: datetime) -> datetime:
    delta = rng.choice(
        [
            timedelta(microseconds=rng.choice([1, -1, 999])),
            timedelta(seconds=rng.randint(1, 59) * rng.choice([1, -1])),
            timedelta(days=rng.randint(1, 30) * rng.choice([1, -1])),
        ]
    )
    return current + delta


def _payload(rng: random.Random, p: dict[str, Any]) -> tuple[dict[str, Any], str]:
    p = {k: (dict(v) if isinstance(v, dict) else v) for k, v in p.items()}
    data, changes = p.setdefault("data", {}), p.setdefault("changes", {})
    options = ["data_add", "changes_add", "note", "trigger"]
    if data:
        options += ["data_edit", "data_remove"]
    if changes:
        options += ["changes_edit", "changes_remove"]
    what = rng.choice(options)
    if what == "data_add":
        data[f"x{rng.randrange(100)}"] = rng.choice(["ya", 1, True, None])
    elif what == "data_edit":
        k = rng.choice(sorted(data))
        data[k] = f"{data[k]}!" if isinstance(data[k], str) else [data[k]]
    elif what == "data_remove":
        del data[rng.choice(sorted(data))]
    elif what == "changes_add":
        changes["handler"] = "penyusup" if changes.get("handler") != "penyusup" else "lain"
    elif what == "changes_edit":
        k = rng.choice(sorted(changes))
        v = changes[k]
        changes[k] = f"{v}x" if isinstance(v, str) else ("diubah" if v is None else None)
    elif what == "changes_remove":
        del changes[rng.choice(sorted(changes))]
    elif what == "note":
        p["note"] = (p.get("note") or "") + " (diubah)"
    else:
        p["trigger"] = _other(rng, ("file", "advance", "reject", "link_reporter"), p.get("trigger"))
    return p, f"payload.{what}"


def _update(conn: sa.Connection, row_id: int, **values: Any) -> None:
    conn.execute(sa.update(EV).where(EV.c.id == row_id).values(**values))


def modify(conn: sa.Connection, rng: random.Random, rows: list[Any]) -> Tamper:
    row = rng.choice(rows)
    column = rng.choice(MODIFY_COLUMNS + CASE_COLUMNS)
    by_case: dict[str, set[int]] = {}
    for r in rows:
        by_case.setdefault(r.case_id, set()).add(r.version)
    touched = {row.case_id}
    detail = column
    if column == "case_id":
        others = [c for c, vs in by_case.items() if c != row.case_id and row.version not in vs]
        target = rng.choice(others) if others and rng.random() < 0.7 else "ADU-2026-999999"
        _update(conn, row.id, case_id=target)
        touched.add(target)
    elif column == "version":
        taken = by_case[row.case_id]
        choices = [v for v in range(-1, max(taken) + 4) if v not in taken]
        _update(conn, row.id, version=rng.choice(choices))
    elif column in CASE_COLUMNS:
        current = conn.execute(
            sa.select(CASES.c[column]).where(CASES.c.id == row.case_id)
        ).scalar_one()
        value = _other(rng, ("Andi", "pembayaran", "kkn", "ringkasan lain", None), current)
        conn.execute(sa.update(CASES).where(CASES.c.id == row.case_id).values({column: value}))
    elif column == "payload":
        payload, detail = _payload(rng, dict(row.payload))
        _update(conn, row.id, payload=payload)
    elif column in ("occurred_at", "recorded_at"):
        _update(conn, row.id, **{column: _instant(rng, getattr(row, column))})
    elif column in ("prev_hash", "hash"):
        _update(conn, row.id, **{column: _hex(rng, getattr(row, column))})
    elif column == "workflow_version":
        _update(conn, row.id, workflow_version=row.workflow_version + rng.choice([1, -1, 10]))
    else:
        options = {
            "event_type": EVENT_TYPES,
            "workflow": ("kkn", "discipline", "complaint_v2"),
            "actor": ACTORS,
            "role": ROLES,
        }[column]
        _update(conn, row.id, **{column: _other(rng, options, getattr(row, column))})
    return Tamper("modify", detail, touched)


def delete(conn: sa.Connection, rng: random.Random, rows: list[Any]) -> Tamper:
    row = rng.choice(rows)
    conn.execute(sa.delete(EV).where(EV.c.id == row.id))
    last = max(r.version for r in rows if r.case_id == row.case_id)
    where = "first" if row.version == 1 else "last" if row.version == last else "middle"
    return Tamper("delete", where, {row.case_id})


def insert(conn: sa.Connection, rng: random.Random, rows: list[Any]) -> Tamper:
    how = rng.choice(INSERTS)
    heads: dict[str, Any] = {}
    for r in rows:
        heads[r.case_id] = r  # rows are in (case, version) order: the last one is the head
    head = rng.choice(list(heads.values()))
    ev = event_from_row(head).event
    later = ev.recorded_at + timedelta(minutes=1)
    if how == "new_case":
        forged = dataclasses.replace(ev, case_id="ADU-2026-888888", version=1, recorded_at=later)
        prev = GENESIS
    else:
        version = ev.version + (2 if how == "past_a_gap" else 1)
        template = event_from_row(rng.choice(rows)).event  # any event's content
        forged = dataclasses.replace(
            template, case_id=ev.case_id, version=version, recorded_at=later, occurred_at=later
        )
        prev = head.hash
    values = _values(head)
    values.update(
        case_id=forged.case_id,
        version=forged.version,
        event_type=forged.type,
        payload=forged.payload(),
        workflow=forged.workflow,
        workflow_version=forged.workflow_version,
        actor=forged.actor,
        role=forged.role,
        occurred_at=forged.occurred_at,
        recorded_at=forged.recorded_at,
        prev_hash=prev,
        hash=event_hash(prev, forged) if how != "next_wrong_hash" else _hex(rng, head.hash),
    )
    conn.execute(sa.insert(EV).values(**values))
    return Tamper("insert", how, {forged.case_id})


def reorder(conn: sa.Connection, rng: random.Random, rows: list[Any]) -> Tamper:
    how = rng.choice(REORDERS)
    by_case: dict[str, list[Any]] = {}
    for r in rows:
        by_case.setdefault(r.case_id, []).append(r)
    if how == "swap_cases":
        pairs = [
            (a, b)
            for a in by_case
            for b in by_case
            if a < b and {r.version for r in by_case[a]} & {r.version for r in by_case[b]}
        ]
        a, b = rng.choice(pairs)
        v = rng.choice(sorted({r.version for r in by_case[a]} & {r.version for r in by_case[b]}))
        ra = next(r for r in by_case[a] if r.version == v)
        rb = next(r for r in by_case[b] if r.version == v)
        _update(conn, ra.id, version=-7)
        _update(conn, rb.id, case_id=a)
        _update(conn, ra.id, case_id=b, version=v)
        return Tamper("reorder", how, {a, b})
    case_id = rng.choice([c for c, rs in by_case.items() if len(rs) >= 2])
    x, y = rng.sample(by_case[case_id], 2)
    if how == "swap_versions":
        _update(conn, x.id, version=-7)
        _update(conn, y.id, version=x.version)
        _update(conn, x.id, version=y.version)
    else:  # the rows keep their ids and versions and trade everything else
        keep = ("case_id", "version")
        vx = {k: v for k, v in _values(x).items() if k not in keep}
        vy = {k: v for k, v in _values(y).items() if k not in keep}
        _update(conn, x.id, **vy)
        _update(conn, y.id, **vx)
    return Tamper("reorder", how, {case_id})


# Values no engine writes, in a form each backend's column can hold (PostgreSQL's typed
# columns take only JSON of the wrong shape): verify must report them, not crash on them.
CORRUPTIONS = {
    "sqlite": (
        ("payload", "'{not json'"),
        ("payload", "'[]'"),
        ("payload", "'\"text\"'"),
        ("occurred_at", "'garbage'"),
        ("recorded_at", "'2026-13-45 99:00:00'"),
        ("version", "'x'"),
        (
            "payload",
            """'{"changes":{"state":"selesai","status":"closed"},' || substr(payload, 2)""",
        ),
    ),
    "postgresql": (
        ("payload", "'[]'::jsonb"),
        ("payload", "'\"text\"'::jsonb"),
        ("payload", "'1'::jsonb"),
    ),
}


def corrupt(conn: sa.Connection, rng: random.Random, rows: list[Any]) -> Tamper:
    row = rng.choice(rows)
    column, value = rng.choice(CORRUPTIONS[conn.dialect.name])
    conn.execute(
        sa.text(f"UPDATE case_events SET {column} = {value} WHERE id = :id"), {"id": row.id}
    )
    return Tamper("corrupt", f"{column}={value}", {row.case_id})


KINDS: dict[str, Callable[[sa.Connection, random.Random, list[Any]], Tamper]] = {
    "modify": modify,
    "delete": delete,
    "insert": insert,
    "reorder": reorder,
    "corrupt": corrupt,
}


# -------------------------------------------------------------------------------------- trials
@dataclasses.dataclass
class Tally:
    trials: Counter[str] = dataclasses.field(default_factory=Counter)
    detected: Counter[str] = dataclasses.field(default_factory=Counter)
    named: Counter[str] = dataclasses.field(default_factory=Counter)
    details: Counter[str] = dataclasses.field(default_factory=Counter)
    problems: Counter[str] = dataclasses.field(default_factory=Counter)
    crashes: Counter[str] = dataclasses.field(default_factory=Counter)
    misses: list[str] = dataclasses.field(default_factory=list)

    def check(self, t: Tamper, db: Any) -> None:
        """Verify and record what it found."""
        try:
            # In full: its first problem is the one `pkh audit verify` (stop at first) names.
            every = audit_runner.verify(db, stop_at_first=False).problems
        except Exception as e:  # noqa: BLE001 - a verify that crashes detects nothing
            self.trials[t.kind] += 1
            self.details[f"{t.kind}:{t.detail}"] += 1
            self.crashes[f"{t.kind}:{t.detail}: {type(e).__name__}"] += 1
            self.misses.append(f"{t.kind}:{t.detail} on {sorted(t.cases)}: verify crashed: {e!r}")
            return
        self.record(t, every[0] if every else None, every)

    def record(self, t: Tamper, first: Any, every: list[Any]) -> None:
        self.trials[t.kind] += 1
        self.details[f"{t.kind}:{t.detail}"] += 1
        if first is None:
            self.misses.append(f"{t.kind}:{t.detail} on {sorted(t.cases)} was not detected")
            return
        self.detected[t.kind] += 1
        self.problems[first.kind] += 1
        if first.case_id in t.cases:
            self.named[t.kind] += 1
        else:
            self.misses.append(f"{t.kind}:{t.detail} on {sorted(t.cases)} named {first}")
        stray = {p.case_id for p in every if p.case_id is not None} - t.cases
        if stray:  # a problem about a checkpoint names no case
            self.misses.append(f"{t.kind}:{t.detail} on {sorted(t.cases)} also blamed {stray}")

    def figures(self, backend: str, seconds: float) -> dict[str, Any]:
        return {
            "backend": backend,
            "trials": sum(self.trials.values()),
            "by_kind": dict(self.trials),
            "detected": dict(self.detected),
            "named_the_case": dict(self.named),
            "variants": dict(sorted(self.details.items())),
            "first_problem_kinds": dict(self.problems),
            "verify_crashed": dict(self.crashes),
            "misses": len(self.misses),
            "seconds": round(seconds, 1),
        }


def _seeded_in_memory(app: App, url: str) -> sqlite3.Connection:
    """Seed the store at `url` and keep a copy of it in memory."""
    seed(app)
    app.db.dispose()
    pristine = sqlite3.connect(":memory:")
    with sqlite3.connect(Path(url.removeprefix("sqlite:///"))) as src:
        src.backup(pristine)
    return pristine


def _restore(pristine: sqlite3.Connection, work: Path) -> None:
    """A fresh copy of the seeded store at `work` (the online backup API: ~1 ms)."""
    target = sqlite3.connect(work)
    target.execute("PRAGMA synchronous=OFF")  # a scratch copy: no fsync needed
    pristine.backup(target)
    target.close()


def test_1000_random_tamperings_on_sqlite_are_each_detected_naming_the_case(
    sqlite_app: App, sqlite_url: str, tmp_path: Path
) -> None:
    pristine = _seeded_in_memory(sqlite_app, sqlite_url)
    work = tmp_path / "work.db"
    url = f"sqlite:///{work}"
    db = Database(url)
    rng = random.Random(20261122)
    tally = Tally()
    start = time.perf_counter()
    try:
        for _ in range(SQLITE_TRIALS):
            _restore(pristine, work)
            with db.write_engine.begin() as conn:
                rows = _rows(conn)
                t = KINDS[rng.choice(list(KINDS))](conn, rng, rows)
            tally.check(t, db)
    finally:
        db.dispose()
        pristine.close()
    figures = tally.figures("sqlite", time.perf_counter() - start)
    dump_figures("tampering[sqlite]", figures)
    assert sum(tally.trials.values()) == SQLITE_TRIALS
    assert not tally.misses, "\n".join(tally.misses[:20])


class InTransaction:
    """verify()'s view of the database: through one connection, inside its open transaction."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name

    @contextmanager
    def reading(self, *, snapshot: bool = False) -> Iterator[Session]:
        with Session(bind=self.conn, join_transaction_mode="create_savepoint") as s:
            yield s


@pytest.mark.postgres
def test_random_tamperings_on_postgresql_are_each_detected_naming_the_case(
    postgres_app: App,
) -> None:
    seed(postgres_app)
    rng = random.Random(77)
    tally = Tally()
    start = time.perf_counter()
    with postgres_app.db.write_engine.connect() as conn:
        outer = conn.begin()
        view: Any = InTransaction(conn)
        for _ in range(POSTGRES_TRIALS):
            sp = conn.begin_nested()
            t = KINDS[rng.choice(list(KINDS))](conn, rng, _rows(conn))
            tally.check(t, view)
            sp.rollback()
        outer.rollback()
    assert audit_runner.verify(postgres_app.db).ok  # every trial was rolled back
    figures = tally.figures("postgresql", time.perf_counter() - start)
    dump_figures("tampering[postgresql]", figures)
    assert sum(tally.trials.values()) == POSTGRES_TRIALS
    assert not tally.misses, "\n".join(tally.misses[:20])


# ----------------------------------------------------------------------- minimal reproductions
def _insert_event(app: App, values: dict[str, Any]) -> None:
    with app.db.write_engine.begin() as conn:
        conn.execute(sa.insert(EV).values(**values))


def test_verify_reports_a_forged_first_event_of_a_new_case_instead_of_crashing(
    sqlite_app: App,
) -> None:
    """A new case whose first event is not a filing (its hash computed right) must be reported.

    Regression (issue 7): verify raised TypeError from CaseState(...) in engine/state.py
    evolve(), so `pkh audit verify` died with a traceback and GET /audit/verify answered 500.
    """
    case_id = sqlite_app.service.open_case("complaint", filing(), "kab.bogor").id
    sqlite_app.service.apply(case_id, "advance", {}, "kab.bogor")
    with sqlite_app.db.reading() as s:
        row = s.execute(sa.select(EV).where(EV.c.case_id == case_id, EV.c.version == 2)).one()
    ev = dataclasses.replace(event_from_row(row).event, case_id="ADU-2026-000099", version=1)
    values = _values(row)
    values.update(case_id=ev.case_id, version=1, prev_hash=GENESIS, hash=event_hash(GENESIS, ev))
    _insert_event(sqlite_app, values)
    report = audit_runner.verify(sqlite_app.db)
    assert not report.ok and report.problems[0].case_id == "ADU-2026-000099", report.problems


def test_a_key_added_to_an_events_stored_payload_is_detected(sqlite_app: App) -> None:
    """The stored payload must be what was hashed.

    Regression (issue 7): verify rebuilt the payload from the keys it knows (trigger, data,
    changes, note: engine/store/repository.py event_from_row) and hashed that, so anything else
    written into the stored JSON passed verify unseen.
    """
    case_id = sqlite_app.service.open_case("complaint", filing(), "kab.bogor").id
    with sqlite_app.db.write_engine.begin() as conn:
        row = conn.execute(sa.select(EV).where(EV.c.case_id == case_id)).one()
        payload = {**row.payload, "disisipkan": {"reporter_name": "Orang Lain"}}
        conn.execute(sa.update(EV).where(EV.c.id == row.id).values(payload=payload))
    report = audit_runner.verify(sqlite_app.db)
    assert not report.ok and report.problems[0].case_id == case_id, "the edit passed verify"


# ------------------------------------------------------------------------ parallel verify
PARALLEL_TRIALS = 8  # each starts two worker processes twice (~1 s a start)


def _parity(db: Database, t: Tamper) -> None:
    """The worker processes report what one process reports, in the same order."""
    one = audit_runner.verify(db, stop_at_first=False, workers=1)
    calls: list[tuple[int, int]] = []
    every = audit_runner.verify(
        db,
        stop_at_first=False,
        workers=2,
        parallel_from=0,
        progress=lambda done, total: calls.append((done, total)),
    )
    first = audit_runner.verify(db, workers=2, parallel_from=0)
    where = f"{t.kind}:{t.detail} on {sorted(t.cases)}"
    assert not one.ok, f"{where} not detected"
    assert [p.as_dict() for p in every.problems] == [p.as_dict() for p in one.problems], where
    assert (every.cases, every.events, every.checkpoints) == (
        one.cases,
        one.events,
        one.checkpoints,
    ), where
    assert len(first.problems) == 1 and first.problems[0] in one.problems, where
    dones = [d for d, _ in calls]
    assert dones == sorted(dones) and calls[-1] == (one.events, one.events), calls


def test_parallel_verify_reports_what_one_process_reports_under_random_tampering(
    sqlite_app: App, sqlite_url: str, tmp_path: Path
) -> None:
    """verify(workers=2) cuts the store into parts by case id (8 parts here: 2 cases each)
    verified in two spawned processes; every problem, its order and the counts must be those
    of the one-process verify, and stop-at-first must name one of them."""
    pristine = _seeded_in_memory(sqlite_app, sqlite_url)
    work = tmp_path / "work.db"
    db = Database(f"sqlite:///{work}")
    rng = random.Random(20261123)
    try:
        _restore(pristine, work)
        clean = audit_runner.verify(db, stop_at_first=False, workers=2, parallel_from=0)
        assert clean.ok and clean.cases == 14 and clean.checkpoints == 1, clean.problems
        for n in range(PARALLEL_TRIALS):
            _restore(pristine, work)
            kind = list(KINDS)[n % len(KINDS)]
            with db.write_engine.begin() as conn:
                t = KINDS[kind](conn, rng, _rows(conn))
            _parity(db, t)
    finally:
        db.dispose()
        pristine.close()


@pytest.mark.postgres
def test_parallel_verify_on_postgresql_reports_what_one_process_reports(
    postgres_app: App,
) -> None:
    """The workers open their own connections (each its own REPEATABLE READ snapshot), so the
    tampering is committed, and undone after each trial by writing the events back."""
    seed(postgres_app)
    db = postgres_app.db
    with db.write_engine.connect() as conn:
        pristine = [dict(r._mapping) for r in _rows(conn)]
        derived = [dict(r._mapping) for r in conn.execute(sa.select(CASES.c.id, *CASES_DERIVED))]
    rng = random.Random(78)
    for kind in KINDS:
        with db.write_engine.begin() as conn:
            t = KINDS[kind](conn, rng, _rows(conn))
        _parity(db, t)
        with db.write_engine.begin() as conn:
            conn.execute(sa.delete(EV))
            conn.execute(sa.insert(EV), pristine)
            for values in derived:
                conn.execute(sa.update(CASES).where(CASES.c.id == values["id"]).values(values))
    assert audit_runner.verify(db, stop_at_first=False, workers=2, parallel_from=0).ok


UNGUARDED = """
import json, sys
from engine.store.audit_runner import verify
from engine.store.db import Database

report = verify(Database(sys.argv[1]), stop_at_first=False, workers=2, parallel_from=0)
print(json.dumps({"ok": report.ok, "cases": report.cases, "events": report.events}))
"""


def test_parallel_verify_finishes_in_process_when_its_workers_cannot_start(
    sqlite_app: App, sqlite_url: str, tmp_path: Path
) -> None:
    """A script without the `if __name__ == "__main__":` guard: each spawned worker re-runs
    it and dies at once. verify says so on stderr and verifies every part itself."""
    import json
    import os
    import subprocess
    import sys

    seed(sqlite_app)
    sqlite_app.db.dispose()
    script = tmp_path / "unguarded.py"
    script.write_text(UNGUARDED)
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run(
        [sys.executable, str(script), sqlite_url],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
        check=True,
    )
    db = Database(sqlite_url)
    one = audit_runner.verify(db, workers=1)
    db.dispose()
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"ok": True, "cases": one.cases, "events": one.events}, out.stderr
    assert "a worker process stopped; verifying the rest here" in out.stderr
