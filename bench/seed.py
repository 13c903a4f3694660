"""Data for the figures: lifecycles recorded through the real service, cloned in bulk with correct
hash chains (`engine.audit.event_hash`), and projection rows seeded in bulk with SQL.
"""

from __future__ import annotations

import dataclasses
import json
import random
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bench.core import log
from bench.store import raw_sqlite, sqlite_ts

Step = tuple[str, dict[str, Any]]  # (trigger, data)

COMPLAINT = {
    "type": "data_peserta",
    "channel": "surat",
    "level": "kabupaten",
    "summary": "Nama KPM salah di data peserta; bantuan tahap 3 belum diterima",
    "reporter_name": "Ibu Siti Aminah",
    "reporter_contact": "siti.aminah@example.org",
}

# file -> dokumentasi -> identifikasi -> tindak_lanjut -> pemberitahuan -> selesai (5 commands,
# outbox rows on filing and on closing).
CLOSE_SCRIPT: list[Step] = [
    ("advance", {}),
    ("advance", {"parties": "Dinas Sosial Kabupaten"}),
    ("advance", {"result": "Data KPM diperbaiki di DTKS"}),
    ("advance", {"informed_via": "surat"}),
]


def long_script(handlers: Sequence[str], events: int) -> list[Step]:
    """file, advance x2, then cycles of refer/return/assign/link/reclassify: `events` events."""
    steps: list[Step] = [("advance", {}), ("advance", {"parties": "Dinas Sosial Kabupaten"})]
    types = ["pembayaran", "data_peserta", "komitmen_verifikasi"]
    i = 0
    while len(steps) + 1 < events:
        cycle: list[Step] = [
            ("refer", {"body": "dinas_teknis"}),
            ("return_from_referral", {"outcome": "Dinas teknis sudah menindaklanjuti"}),
            ("assign", {"handler": handlers[i % len(handlers)]}),
            # another person each time: a reporter already on the case is refused
            ("link_reporter", {"reporter_name": f"Pelapor {i + 2}"}),
            ("reclassify", {"type": types[i % len(types)]}),
        ]
        steps += cycle[: events - 1 - len(steps)]
        i += 1
    return steps


# -- recording a lifecycle through the service --------------------------------------------------
@dataclass
class Template:
    """One case as the real service wrote it, snapshotted raw after every command."""

    case_id: str
    events: list[dict[str, Any]]  # raw case_events rows, in version order
    cases: list[dict[str, Any]]  # raw cases row after each version
    outbox: list[list[dict[str, Any]]]  # raw outbox rows written by each command
    counter_key: str
    chained: list[Any]  # ChainedEvent objects (engine.audit) for re-hashing clones


def record(app: Any, actor: str, data: dict[str, Any], script: Sequence[Step]) -> Template:
    """Run file + script through CaseService; snapshot the raw rows each command wrote."""
    from engine.store import repository as repo

    def snap(conn: sa.Connection, table: str, last: int) -> list[dict[str, Any]]:
        q = sa.text(f"SELECT * FROM {table} WHERE id > :last ORDER BY id")
        return [dict(r) for r in conn.execute(q, {"last": last}).mappings()]

    def max_id(conn: sa.Connection, table: str) -> int:
        return int(conn.execute(sa.text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar())

    eng = app.db.read_engine
    with eng.connect() as c:
        last_ev, last_ob = max_id(c, "case_events"), max_id(c, "outbox")
    events: list[dict[str, Any]] = []
    cases: list[dict[str, Any]] = []
    outbox: list[list[dict[str, Any]]] = []
    case_id = ""
    for i, (trigger, payload) in enumerate([("file", data), *script]):
        if i == 0:
            case_id = app.service.open_case("complaint", payload, actor).id
        else:
            app.service.apply(case_id, trigger, payload, actor)
        with eng.connect() as c:
            new_ev = snap(c, "case_events", last_ev)
            new_ob = snap(c, "outbox", last_ob)
            row = c.execute(sa.text("SELECT * FROM cases WHERE id = :i"), {"i": case_id})
            cases.append(dict(row.mappings().one()))
        assert len(new_ev) == 1, f"{trigger}: expected one event, got {len(new_ev)}"
        events += new_ev
        outbox.append(new_ob)
        last_ev = new_ev[-1]["id"]
        last_ob = new_ob[-1]["id"] if new_ob else last_ob
    with app.db.reading() as s:
        chained = repo.load_events(s, case_id)
    return Template(case_id, events, cases, outbox, case_id.rsplit("-", 1)[0], chained)


# -- the bare baseline: the same inserts and updates, one transaction per command ---------------
class BareWriter:
    """Writes what the service writes for one command, with the bare driver: the counter upsert
    (filing), the event row, the projection insert/update and the outbox rows; no reads, no ORM.
    Row content is the recorded template's, with the case id replaced."""

    def __init__(self, con: Any, tpl: Template, dialect: str) -> None:
        self.con = con
        self.tpl = tpl
        self.sqlite = dialect == "sqlite"
        ph = "?" if self.sqlite else "%s"
        if not self.sqlite:
            from psycopg.types.json import Jsonb

            self._wrap: Callable[[Any], Any] = lambda v: (
                Jsonb(v) if isinstance(v, dict | list) else v
            )
        else:
            self._wrap = lambda v: v
        self.ev_cols = [c for c in tpl.events[0] if c != "id"]
        self.case_cols = list(tpl.cases[0])
        self.set_cols = [c for c in self.case_cols if c != "id"]
        self.ob_cols = [c for c in (tpl.outbox[0][0] if tpl.outbox[0] else {}) if c != "id"]
        if not self.ob_cols:
            self.ob_cols = [c for rows in tpl.outbox for r in rows for c in r if c != "id"]
            self.ob_cols = list(dict.fromkeys(self.ob_cols))
        self.sql_counter = (
            f"INSERT INTO case_counters (key, last) VALUES ({ph}, 1) ON CONFLICT (key) "
            "DO UPDATE SET last = case_counters.last + 1 RETURNING last"
        )
        self.sql_event = (
            f"INSERT INTO case_events ({', '.join(self.ev_cols)}) "
            f"VALUES ({', '.join([ph] * len(self.ev_cols))})"
        )
        self.sql_case_ins = (
            f"INSERT INTO cases ({', '.join(self.case_cols)}) "
            f"VALUES ({', '.join([ph] * len(self.case_cols))})"
        )
        self.sql_case_upd = (
            f"UPDATE cases SET {', '.join(f'{c} = {ph}' for c in self.set_cols)} "
            f"WHERE id = {ph} AND version = {ph}"
        )
        self.sql_outbox = (
            f"INSERT INTO outbox ({', '.join(self.ob_cols)}) "
            f"VALUES ({', '.join([ph] * len(self.ob_cols))})"
        )
        w = self._wrap
        # pre-wrapped template values (only the case id changes per clone)
        self.ev_vals = [[w(e[c]) for c in self.ev_cols] for e in tpl.events]
        self.ev_case_i = self.ev_cols.index("case_id")
        self.case_vals = [[w(r[c]) for c in self.set_cols] for r in tpl.cases]
        self.ob_vals = [[[w(o.get(c)) for c in self.ob_cols] for o in rows] for rows in tpl.outbox]
        self.ob_case_i = self.ob_cols.index("case_id") if self.ob_cols else 0
        self.cur = con.cursor()

    def _begin(self) -> None:
        if self.sqlite:
            self.cur.execute("BEGIN IMMEDIATE")

    def _commit(self) -> None:
        if self.sqlite:
            self.cur.execute("COMMIT")
        else:
            self.con.commit()

    def lifecycle(self) -> int:
        """All of the template's commands for one new case; returns the transactions run."""
        cur = self.cur
        case_id = ""
        for k in range(len(self.tpl.events)):
            self._begin()
            if k == 0:
                n = cur.execute(self.sql_counter, (self.tpl.counter_key,)).fetchone()[0]
                case_id = f"{self.tpl.counter_key}-{n:06d}"
            ev = list(self.ev_vals[k])
            ev[self.ev_case_i] = case_id
            cur.execute(self.sql_event, ev)
            if k == 0:
                cur.execute(self.sql_case_ins, [case_id, *self.case_vals[0]])
            else:
                cur.execute(self.sql_case_upd, [*self.case_vals[k], case_id, k])
                if cur.rowcount != 1:
                    raise RuntimeError(f"baseline update of {case_id} matched {cur.rowcount}")
            for ob in self.ob_vals[k]:
                row = list(ob)
                row[self.ob_case_i] = case_id
                cur.execute(self.sql_outbox, row)
            self._commit()
        return len(self.tpl.events)


# -- clones with correct hash chains (verify, API) ----------------------------------------------
def clone_rows(
    tpl: Template, case_id: str, k: int
) -> tuple[list[tuple[Any, ...]], tuple[Any, ...], list[str], list[str]]:
    """Raw rows for a copy of the template's first k events under `case_id`, re-hashed."""
    from engine.audit import GENESIS, event_hash

    ev_cols = [c for c in tpl.events[0] if c != "id"]
    rows = []
    prev = GENESIS
    for raw, ch in zip(tpl.events[:k], tpl.chained[:k], strict=True):
        h = event_hash(prev, dataclasses.replace(ch.event, case_id=case_id))
        r = dict(raw)
        r.update(case_id=case_id, prev_hash=prev, hash=h)
        rows.append(tuple(r[c] for c in ev_cols))
        prev = h
    case = dict(tpl.cases[k - 1])
    case["id"] = case_id
    return rows, tuple(case.values()), ev_cols, list(case)


def _insert_sql(table: str, cols: Sequence[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"


def write_clones(
    path: Path,
    tpl: Template,
    specs: Iterable[tuple[str, int]],
    total: int,
    *,
    label: str = "clones",
    batch: int = 20_000,
) -> int:
    """Insert cloned cases (events + projection) with sqlite3 executemany; returns events."""
    con = raw_sqlite(path)
    events = 0
    ev_sql = case_sql = ""
    ev_buf: list[tuple[Any, ...]] = []
    case_buf: list[tuple[Any, ...]] = []

    def flush() -> None:
        con.execute("BEGIN")
        con.executemany(ev_sql, ev_buf)
        con.executemany(case_sql, case_buf)
        con.execute("COMMIT")
        ev_buf.clear()
        case_buf.clear()

    for done, (case_id, k) in enumerate(specs, start=1):
        rows, case, ev_cols, case_cols = clone_rows(tpl, case_id, k)
        if not ev_sql:
            ev_sql = _insert_sql("case_events", ev_cols)
            case_sql = _insert_sql("cases", case_cols)
        ev_buf += rows
        case_buf.append(case)
        events += len(rows)
        if len(case_buf) >= batch:
            flush()
            log(f"  {label}: {done:,}/{total:,} cases, {events:,} events")
    if case_buf:
        flush()
    con.close()
    return events


def set_counter(path: Path, key: str, last: int) -> None:
    con = raw_sqlite(path)
    con.execute(
        "INSERT INTO case_counters (key, last) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET last = excluded.last",
        (key, last),
    )
    con.close()


# -- projection rows in bulk (sweep, worklist) --------------------------------------------------
@dataclass(frozen=True)
class ProjectionSpec:
    n_open: int
    n_due: int  # overdue, due today or due within 2 working days at `now`
    now: datetime
    first_number: int = 1
    seed: int = 8


def _end_of(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=tz)


def projection_rows(
    spec: ProjectionSpec,
    cal: Any,
    desa: dict[str, list[str]],
    office_handlers: dict[str, list[str]],
) -> Iterator[tuple[Any, ...]]:
    """Open complaint projections. The first n_due (in a shuffled order) need a reminder at
    `now`: 40% overdue by 1-5 working days, 20% due today, 40% due in 1-2 working days.
    The rest are due 5-40 working days later. Overdue ones are at kabupaten or pusat, with
    the level deadline still ahead, so the sweep reminds and tells supervisors but escalates
    nothing (an escalation is a full command; projection-only rows have no events)."""
    from workflows.complaint_codes import TABEL_2, TYPES, zone_for

    rng = random.Random(spec.seed)
    kabs = sorted(desa)
    stages = [s for s, _ in TABEL_2]
    attrs_cache: dict[tuple[str, str], str] = {}
    due_flags = [True] * spec.n_due + [False] * (spec.n_open - spec.n_due)
    rng.shuffle(due_flags)
    tz_now = {}
    for i, due in enumerate(due_flags):
        kab = kabs[rng.randrange(len(kabs))]
        region = rng.choice(desa[kab])
        r = rng.random()
        if due:
            kind = rng.random()
            if kind < 0.4:  # overdue: kabupaten (85%) or pusat
                level = "kabupaten" if rng.random() < 0.85 else "pusat"
            else:
                level = rng.choice(("kabupaten", "kabupaten", "kabupaten", "pusat", "pendamping"))
        else:
            kind = 2.0
            level = (
                "kabupaten"
                if r < 0.7
                else "pusat"
                if r < 0.8
                else "pendamping"
                if r < 0.9
                else "ketua_kelompok"
            )
        stage = rng.choice(stages) if level in ("kabupaten", "pusat") else "penanganan"
        if level == "pendamping":
            region = region[:6]
        tz = zone_for(level, region)
        key = tz.key
        if key not in tz_now:
            tz_now[key] = spec.now.astimezone(tz).date()
        today = tz_now[key]
        if kind < 0.4:
            due_day = today - timedelta(days=1)
            for _ in range(rng.randint(0, 4)):
                due_day -= timedelta(days=1)
            while not cal.is_working_day(due_day):
                due_day -= timedelta(days=1)
        elif kind < 0.6:
            due_day = today
        elif kind < 1.0:
            due_day = cal.add_working_days(today, rng.randint(1, 2))
        else:
            due_day = cal.add_working_days(today, rng.randint(5, 40))
        stage_due = _end_of(due_day, tz)
        level_due = (
            _end_of(cal.add_working_days(due_day, rng.randint(3, 15)), tz)
            if level in ("kabupaten", "pusat")
            else stage_due
        )
        started_day = min(
            due_day - timedelta(days=rng.randint(3, 20)),
            today - timedelta(days=rng.randint(0, 20)),
        )
        started = datetime.combine(started_day, time(3, rng.randint(0, 59)), tzinfo=UTC)
        if level == "kabupaten":
            hs = office_handlers.get(kab, [])
            handler = hs[0] if hs and rng.random() < 0.7 else None
        elif level == "pusat":
            handler = "pusat.1" if rng.random() < 0.5 else None
        else:
            handler = f"{level[:3]}.{region}"
        ctype = TYPES[rng.randrange(len(TYPES))]
        a_key = (ctype, level)
        if a_key not in attrs_cache:
            attrs_cache[a_key] = json.dumps(
                {
                    "type": ctype,
                    "channel": "surat",
                    "summary": COMPLAINT["summary"],
                    "reporter_kind": "kpm",
                    "anonymous": False,
                    "confidential": False,
                    "about_self": False,
                    "reporter_name": COMPLAINT["reporter_name"],
                    "reporter_contact": COMPLAINT["reporter_contact"],
                    "accused": None,
                    "form": "C-1",
                    "reporters": 1,
                    "received_at": "2026-10-01T09:00:00+07:00",
                    "entry_level": level,
                    "filed_by": "bench",
                }
            )
        ts_started = sqlite_ts(started)
        yield (
            f"ADU-2026-{spec.first_number + i:06d}",
            "complaint",
            1,
            2,
            f"{level}_{stage}",
            "open",
            level,
            stage,
            region,
            tz.key,
            handler,
            ts_started,
            sqlite_ts(stage_due),
            ts_started,
            sqlite_ts(level_due),
            ts_started,
            None,
            ts_started,
            ctype,
            COMPLAINT["summary"],
            attrs_cache[a_key],
        )


CASE_COLUMNS = (
    "id, workflow, workflow_version, version, state, status, level, stage, region, zone, "
    "handler, stage_started_at, stage_due, level_started_at, level_due, created_at, closed_at, "
    "updated_at, case_type, summary, attrs"
)


def seed_projections(
    path: Path,
    spec: ProjectionSpec,
    cal: Any,
    desa: dict[str, list[str]],
    office_handlers: dict[str, list[str]],
    label: str,
) -> None:
    """Bulk INSERT of projection rows with sqlite3; the cases indexes are dropped during the
    load and re-created from their own DDL (sqlite_master), so the schema is the product's."""
    con = raw_sqlite(path)
    idx = con.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'cases' "
        "AND sql IS NOT NULL"
    ).fetchall()
    for name, _ in idx:
        con.execute(f"DROP INDEX {name}")
    sql = f"INSERT INTO cases ({CASE_COLUMNS}) VALUES ({', '.join('?' * 21)})"
    rows = projection_rows(spec, cal, desa, office_handlers)
    done = 0
    while True:
        chunk = [r for _, r in zip(range(100_000), rows, strict=False)]
        if not chunk:
            break
        con.execute("BEGIN")
        con.executemany(sql, chunk)
        con.execute("COMMIT")
        done += len(chunk)
        if spec.n_open >= 200_000:
            log(f"  {label}: {done:,}/{spec.n_open:,} projection rows")
    for _, ddl in idx:
        con.execute(ddl)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def sqlite_count(path: Path, sql: str, params: Sequence[Any] = ()) -> int:
    con = sqlite3.connect(path)
    try:
        return int(con.execute(sql, params).fetchone()[0])
    finally:
        con.close()
