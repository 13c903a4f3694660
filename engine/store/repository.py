"""Row mapping and the queries the service needs: events by case, projections, counters."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.audit import (
    GENESIS,
    STORED_CASE_COLUMNS,
    STORED_CASE_FIELDS,
    STORED_CASE_INSTANTS,
    STORED_COLUMNS,
    ChainedEvent,
    chain,
)
from engine.definition import OFFICE
from engine.errors import ConcurrencyConflict, StoredDataUnreadable
from engine.state import CaseState, Event, name_key
from engine.store.credentials import check_signed_in
from engine.store.prepared import Prepared, Unreadable
from engine.store.tables import (
    CalendarEpochRow,
    CalendarOverrideRow,
    CaseCounterRow,
    CaseEventRow,
    CaseRow,
    EncodedJson,
    OutboxRow,
    StaffRow,
    UserRow,
    UTCDateTime,
)

EV = CaseEventRow.__table__  # type: ignore[attr-defined]
CASES = CaseRow.__table__  # type: ignore[attr-defined]
OUTBOX = OutboxRow.__table__  # type: ignore[attr-defined]
COUNTERS = CaseCounterRow.__table__  # type: ignore[attr-defined]
USERS = UserRow.__table__  # type: ignore[attr-defined]
OVERRIDES = CalendarOverrideRow.__table__  # type: ignore[attr-defined]
EPOCH = CalendarEpochRow.__table__  # type: ignore[attr-defined]

# The statements of the write path and of replay and verify, built once and run on the DBAPI
# cursor with SQLAlchemy's compiled SQL and type processors (engine.store.prepared; bench:
# transitions_sqlite, replay_100_events_ms, verify_events_per_s).
_HEAD_HASH = (
    sa.select(EV.c.hash)
    .where(EV.c.case_id == CASES.c.id, EV.c.version == CASES.c.version)
    .scalar_subquery()
    .label("head_hash")
)
_LOAD_CASE_STMT = sa.select(CASES, _HEAD_HASH).where(CASES.c.id == sa.bindparam("b_id"))
_LOAD_CASE = Prepared(_LOAD_CASE_STMT)
_LOAD_CASE_FOR_UPDATE = Prepared(_LOAD_CASE_STMT.with_for_update())
_PREV_HASH = Prepared(
    sa.select(EV.c.hash).where(
        EV.c.case_id == sa.bindparam("b_case"), EV.c.version == sa.bindparam("b_version")
    )
)
_INSERT_EVENTS = Prepared(sa.insert(EV))
_INSERT_CASE = Prepared(sa.insert(CASES))
_UPDATE_CASE = Prepared(
    sa.update(CASES).where(
        CASES.c.id == sa.bindparam("b_id"), CASES.c.version == sa.bindparam("b_expected")
    )
)
_INSERT_OUTBOX = Prepared(sa.insert(OUTBOX))
_NEXT_NUMBER = Prepared(
    sa.text(
        "INSERT INTO case_counters (key, last) VALUES (:k, 1) "
        "ON CONFLICT (key) DO UPDATE SET last = case_counters.last + 1 RETURNING last"
    )
)
# Events are read with the payload's text as stored where the store keeps text (SQLite), so
# audit verify can hash that text (`ChainedEvent.stored_text`); `event_from_row` decodes it.
# PostgreSQL's driver hands a jsonb value back decoded.
_EVENT_COLUMNS = [
    sa.type_coerce(c, sa.Text).label(c.name) if c.name == "payload" else c for c in EV.c
]
_EVENTS_OF = Prepared(
    sa.select(*_EVENT_COLUMNS).where(EV.c.case_id == sa.bindparam("b_case")).order_by(EV.c.version)
)
_ALL_EVENTS = Prepared(sa.select(*_EVENT_COLUMNS).order_by(EV.c.case_id, EV.c.version))
# The events of the cases with ids in [b_lo, b_hi), or from b_lo on: one part of a parallel
# audit verify (engine.store.audit_runner), served by the (case_id, version) index.
_EVENTS_FROM = sa.select(*_EVENT_COLUMNS).where(EV.c.case_id >= sa.bindparam("b_lo"))
_EVENTS_IN = Prepared(
    _EVENTS_FROM.where(EV.c.case_id < sa.bindparam("b_hi")).order_by(EV.c.case_id, EV.c.version)
)
_EVENTS_FROM_ON = Prepared(_EVENTS_FROM.order_by(EV.c.case_id, EV.c.version))
_CALENDAR_TOKEN = sa.select(EPOCH.c.token).where(EPOCH.c.id == 1).scalar_subquery()
_STAFF_USERS = StaffRow.__table__  # type: ignore[attr-defined]


class UserRead(NamedTuple):
    """An account as a command reads it (`_USER`, or `_CASE_AND_USER` with its case)."""

    username: str
    role: str
    region: str | None
    active: bool
    suspended: bool
    calendar_token: str | None
    staff_name: str | None  # the staff record linked to the account (one at most), if any
    # when the password was last set or changed (None: not since migration 0013): a token
    # issued before it is refused (engine.store.credentials)
    password_changed_at: datetime | None
    signed_out_at: datetime | None  # the account's last sign-out ends what was issued before


_USER_FIELDS = UserRead._fields
_USER_COLUMNS = (
    "username",
    "role",
    "region",
    "active",
    "suspended",
    "password_changed_at",
    "signed_out_at",
)


def _user_columns(prefix: str = "") -> list[Any]:
    """The UserRead columns, labelled with `prefix`. The calendar's token comes with the
    actor's row (one statement fewer per command), and whether any staff record names the
    account: a command asks whether its actor is a suspended staff member (workflows.staff),
    and most actors are not staff at all."""
    return [
        *(USERS.c[n].label(f"{prefix}{n}") for n in _USER_COLUMNS),
        _CALENDAR_TOKEN.label(f"{prefix}calendar_token"),
        sa.select(sa.func.min(_STAFF_USERS.c.name))
        .where(_STAFF_USERS.c.username == USERS.c.username)
        .scalar_subquery()
        .label(f"{prefix}staff_name"),
    ]


_USER = Prepared(sa.select(*_user_columns()).where(USERS.c.username == sa.bindparam("b_name")))
_TOKEN = Prepared(sa.select(_CALENDAR_TOKEN.label("calendar_token")))
# A command's first read: its case and its actor's account in one statement (one round trip
# fewer on PostgreSQL; bench: transitions_postgres_8clients). The account's columns come
# prefixed `u_` and are NULL when no account has that name.
_CASE_AND_USER_STMT = (
    sa.select(CASES, _HEAD_HASH, *_user_columns("u_"))
    .select_from(CASES.outerjoin(USERS, USERS.c.username == sa.bindparam("b_name")))
    .where(CASES.c.id == sa.bindparam("b_id"))
)
_CASE_AND_USER = Prepared(_CASE_AND_USER_STMT)
_CASE_AND_USER_FOR_UPDATE = Prepared(_CASE_AND_USER_STMT.with_for_update(of=CASES))
_OVERRIDES = Prepared(sa.select(OVERRIDES.c.day, OVERRIDES.c.working, OVERRIDES.c.name))

# a case's state fields besides its id and attrs, in the order audit verify reads them as stored
_STATE_COLUMNS = (*STORED_CASE_FIELDS[1:], *STORED_CASE_INSTANTS)


def event_from_row(row: Any) -> ChainedEvent:
    """The event of a row of `_EVENT_COLUMNS` (or an `Unreadable` one from a lenient read).
    Raises StoredDataUnreadable naming the case, version and column when the row cannot be
    an event as the engine writes them."""
    if isinstance(row, Unreadable):
        raise StoredDataUnreadable(
            str(row.raw.get("case_id")), _version_of(row.raw.get("version")), row.column, row.error
        )
    p = row.payload
    text = None
    try:
        if type(p) is str:  # SQLite: the text as stored
            text, p = p, json.loads(p)
        elif isinstance(p, bytes):  # a payload some tool stored as a BLOB: decoded, no text kept
            p = json.loads(p)
    except ValueError as e:  # JSONDecodeError, UnicodeDecodeError
        raise StoredDataUnreadable(
            row.case_id,
            _version_of(row.version),
            "payload",
            f"not valid JSON: {e}",
            detail_id=f"bukan JSON yang sah: {e}",
        ) from None
    if type(p) is not dict:
        raise StoredDataUnreadable(
            row.case_id,
            _version_of(row.version),
            "payload",
            "not a JSON object",
            detail_id="bukan objek JSON",
        )
    if type(row.version) is not int:
        raise StoredDataUnreadable(
            row.case_id,
            None,
            "version",
            f"{row.version!r} is not a whole number",
            detail_id=f"{row.version!r} bukan bilangan bulat",
        )
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
    return ChainedEvent(row.id, ev, row.prev_hash, row.hash, frozenset(p), text)


def _version_of(value: Any) -> int | None:
    return value if type(value) is int else None


def prefix_bounds(prefix: str) -> tuple[str, str]:
    """[lower, upper) of the codes that start with `prefix`."""
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


def region_within(col: Any, prefix: str) -> Any:
    """`col` starts with `prefix`, written as a range so an index serves it (a LIKE is not
    served by an index on SQLite, nor on PostgreSQL outside the C collation). Region codes
    are digit strings, for which code-point and collation order agree."""
    lower, upper = prefix_bounds(prefix)
    return sa.and_(col >= lower, col < upper)


def state_from_row(row: Any) -> CaseState:
    return CaseState(
        id=row.id, attrs=dict(row.attrs or {}), **{c: getattr(row, c) for c in _STATE_COLUMNS}
    )


def derived_values(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """The columns of `cases` the writer derives from a case's attrs (kept as columns to be
    searched: the worklist's type filter and text search, the staff register's subjects, the
    monthly report's types). Audit verify derives them from the replay with this same
    function and compares them with the stored row (`DERIVED_COLUMNS`)."""
    return {
        "case_type": attrs.get("type"),
        "summary": attrs.get("summary"),
        "subject": attrs.get("subject"),
    }


DERIVED_COLUMNS = tuple(derived_values({}))


def derived_stored(row: Any) -> dict[str, Any]:
    """The `DERIVED_COLUMNS` of a row of `cases`, as stored."""
    return {c: getattr(row, c) for c in DERIVED_COLUMNS}


def stored_derived_of(session: Session, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The `DERIVED_COLUMNS` of the cases `ids` as stored (plain text columns: read whatever
    the rest of a row holds), by case id; a case without a row is left out."""
    q = sa.select(CASES.c.id, *(CASES.c[c] for c in DERIVED_COLUMNS)).where(CASES.c.id.in_(ids))
    return {r.id: derived_stored(r) for r in session.execute(q)}


def case_scopes(session: Session, ids: Collection[str]) -> dict[str, tuple[str, str]]:
    """(workflow, region) of the cases `ids` (what decides who may read them), by case id, in
    one statement; a case without a row is left out."""
    q = sa.select(CASES.c.id, CASES.c.workflow, CASES.c.region).where(
        CASES.c.id.in_(sorted(set(ids)))
    )
    return {r.id: (r.workflow, r.region) for r in session.execute(q)}


def state_values(state: CaseState) -> dict[str, Any]:
    values = {c: getattr(state, c) for c in _STATE_COLUMNS}
    values["attrs"] = dict(state.attrs)
    values.update(derived_values(state.attrs))
    return values


def load_case(session: Session, case_id: str, *, for_update: bool = False) -> CaseState | None:
    # for_update: on PostgreSQL writers of one case queue here (SQLite: BEGIN IMMEDIATE)
    q = _LOAD_CASE_FOR_UPDATE if for_update else _LOAD_CASE
    return _case_read(session, _run(session, q, {"b_id": case_id}).first(lenient=True))


def load_case_as(
    session: Session, case_id: str, username: str, *, for_update: bool = False
) -> CaseState | None:
    """`load_case`, reading the account `username` in the same statement: `user_row` then
    answers from this unit of work without a statement of its own. When the case does not
    exist nothing is remembered of the account (`user_row` reads it as usual)."""
    q = _CASE_AND_USER_FOR_UPDATE if for_update else _CASE_AND_USER
    row = _run(session, q, {"b_id": case_id, "b_name": str(username)}).first(lenient=True)
    if row is not None and not isinstance(row, Unreadable):
        seen = session.info.setdefault("users", {})
        if username not in seen:
            user = None
            if row.u_username is not None:
                user = UserRead(*(getattr(row, f"u_{n}") for n in _USER_FIELDS))
                session.info["calendar_token"] = user.calendar_token
            seen[username] = user
    return _case_read(session, row)


def _case_read(session: Session, row: Any) -> CaseState | None:
    if row is None:
        return None
    if isinstance(row, Unreadable):
        raise StoredDataUnreadable(str(row.raw.get("id")), None, row.column, row.error)
    try:
        state = state_from_row(row)
    except (TypeError, ValueError) as e:  # attrs that are not an object, and the like
        raise StoredDataUnreadable(row.id, None, "case row", str(e)) from None
    if row.head_hash is not None:  # NULL if a concurrent writer's event is not visible yet
        _heads(session)[(row.id, row.version)] = row.head_hash
    return state


def _run(session: Session, stmt: Prepared, params: Any = None) -> Any:
    """Run a prebuilt write-path statement on the session's connection (engine.store.prepared),
    after flushing any ORM objects pending in this unit of work."""
    return stmt.run(session, params)


def _heads(session: Session) -> dict[tuple[str, int], str]:
    """Hash of the last event of each case this unit of work has read or written, by version:
    the link the next event chains to."""
    heads: dict[tuple[str, int], str] = session.info.setdefault("heads", {})
    return heads


def user_row(session: Session, username: str) -> Any:
    """(username, role, region, active, suspended, ...) of one user, or None. Read once per
    unit of work: a command asks about its actor more than once. A token's username
    (`SignedIn`) issued before the account's password last changed is refused here, from the
    same read (CredentialsChanged)."""
    seen = session.info.setdefault("users", {})
    if username not in seen:
        row = seen[username] = _run(session, _USER, {"b_name": str(username)}).first()
        if row is not None:
            session.info["calendar_token"] = row.calendar_token
    row = seen[username]
    if row is not None:
        check_signed_in(username, row.password_changed_at, row.signed_out_at)
    return row


def hold_username(session: Session, name: str) -> None:
    """Before a new account's name is checked (PostgreSQL): wait for any transaction adding a
    name equal to it ignoring case, so two admins adding "budi" and "Budi" at once do not both
    pass the check (the lower(username) index is not unique: migration 0016). SQLite: one
    writer at a time already."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(sa.func.lower(name))))
        )


def usernames_ignoring_case(session: Session, name: str, limit: int) -> list[str]:
    """The accounts whose names equal `name` ignoring (ASCII) letter case, by the index on
    lower(username) (migration 0016); the database's lower() on both sides, so both stores
    fold alike. Callers take a name typed in another case as the one account it matches
    (api.admin.sign_in_account), never one of two."""
    found = session.execute(
        sa.select(USERS.c.username)
        .where(sa.func.lower(USERS.c.username) == sa.func.lower(name))
        .limit(limit)
    )
    return list(found.scalars())


def known_not_staff(session: Session, username: str) -> bool:
    """True when this unit of work has read the account `username` (`user_row`) and no staff
    record names it: then it cannot be a suspended staff member, and nothing need be read."""
    row = session.info.get("users", {}).get(username)
    return row is not None and row.staff_name is None


def hold_cases(session: Session) -> None:
    """Before a new case is decided (PostgreSQL): take the cases table's writer lock, which
    waits for a calendar change under way (`recalc.lock_calendar`), and forget the calendar
    token read so far, so the decision counts under the calendar as it is once the lock is
    held. A command on an existing case needs neither: its case is read for update with the
    token, in one statement, under the same lock. (SQLite: one writer at a time already.)"""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text(f"LOCK TABLE {CASES.name} IN ROW EXCLUSIVE MODE"))
        session.info.pop("calendar_token", None)


def calendar_token(session: Session) -> str | None:
    """The token of the calendar overrides as this unit of work sees them (it changes with
    every change to them: migration 0008), read with the actor's row when there was one;
    None where the store has no token (a schema built without the migrations)."""
    if "calendar_token" not in session.info:
        session.info["calendar_token"] = _run(session, _TOKEN).scalar_one()
    return session.info["calendar_token"]  # type: ignore[no-any-return]


def calendar_overrides(session: Session) -> list[Any]:
    """Every (day, working, name) override of the calendar."""
    return list(_run(session, _OVERRIDES))


def load_events(session: Session, case_id: str) -> list[ChainedEvent]:
    rows = _run(session, _EVENTS_OF, {"b_case": case_id}).all(lenient=True)
    return [event_from_row(r) for r in rows]


def iter_all_events(
    session: Session, batch: int = 5000, *, lo: str | None = None, hi: str | None = None
) -> Iterator[Any]:
    """Every event row in (case, version) order, streamed; with `lo`/`hi`, only the cases
    with ids in [lo, hi) (either bound may be left open)."""
    if lo is None and hi is None:
        result = _ALL_EVENTS.run(session, stream=True)
    elif hi is None:
        result = _EVENTS_FROM_ON.run(session, {"b_lo": lo}, stream=True)
    else:
        result = _EVENTS_IN.run(session, {"b_lo": lo or "", "b_hi": hi}, stream=True)
    yield from result.stream(batch, lenient=True)


assert set(STORED_COLUMNS) <= set(EV.c.keys()), "engine.audit.STORED_COLUMNS names a column"
_STORED_EVENTS = f"SELECT {', '.join(STORED_COLUMNS)} FROM {EV.name}"
_STORED_ORDER = " ORDER BY case_id, version"


def stored_event_rows(
    session: Session, lo: str | None = None, hi: str | None = None, batch: int = 5000
) -> Iterator[tuple[Any, ...]] | None:
    """Every event row as a SQLite store holds it (engine.audit.STORED_COLUMNS: the payload
    and the instants as their stored text, nothing converted), in (case, version) order, with
    `lo`/`hi` as `iter_all_events`; read on the session's own connection, so in its snapshot.
    None for a store that keeps no payload text (PostgreSQL's jsonb): read `iter_all_events`.
    Audit verify checks the hashes over these texts (engine.audit.replay_stored)."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return None
    where, params = "", ()  # type: tuple[str, tuple[str, ...]]
    if lo is not None and hi is not None:
        where, params = " WHERE case_id >= ? AND case_id < ?", (lo, hi)
    elif lo is not None:
        where, params = " WHERE case_id >= ?", (lo,)
    elif hi is not None:
        where, params = " WHERE case_id < ?", (hi,)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(_STORED_EVENTS + where + _STORED_ORDER, params)

    def rows() -> Iterator[tuple[Any, ...]]:
        try:
            while chunk := cursor.fetchmany(batch):
                yield from chunk
        finally:
            cursor.close()

    return rows()


_STORED_CASES = (
    f"SELECT {', '.join((*STORED_CASE_COLUMNS, *DERIVED_COLUMNS))} FROM {CASES.name}"
    " WHERE id >= ? AND id <= ?"
)


def stored_case_rows(session: Session, first: str, last: str) -> dict[str, tuple[Any, ...]] | None:
    """The rows of `cases` with ids from `first` to `last` as a SQLite store holds them
    (engine.audit.STORED_CASE_COLUMNS, then DERIVED_COLUMNS; nothing converted), by id, read on
    the session's own connection (its snapshot); None for another store (read them with
    SQLAlchemy). Audit verify compares them with the replay (engine.audit.stored_case_holds)."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return None
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        return {row[0]: row for row in cursor.execute(_STORED_CASES, (first, last))}
    finally:
        cursor.close()


def case_id_bounds(session: Session, every: int) -> list[str]:
    """Every `every`-th case id in id order (the bounds that cut the store into parts of
    `every` cases), counted in the database: only the bounds come back."""
    numbered = sa.select(
        CASES.c.id, sa.func.row_number().over(order_by=CASES.c.id).label("n")
    ).subquery()
    q = sa.select(numbered.c.id).where(numbered.c.n % every == 0).order_by(numbered.c.id)
    return list(session.execute(q).scalars())


def current_version(session: Session, case_id: str) -> int:
    v = session.execute(sa.select(sa.func.max(EV.c.version)).where(EV.c.case_id == case_id))
    return int(v.scalar() or 0)


def next_case_number(session: Session, key: str) -> int:
    return int(_run(session, _NEXT_NUMBER, {"k": key}).scalar_one())


def event_row(ev: Event, prev_hash: str, hash_: str, payload: str) -> dict[str, Any]:
    """The case_events row of one chained event (the service's and the bulk path's); `payload`
    is the canonical text that was hashed (`engine.audit.chain`), stored as it is."""
    return {
        "case_id": ev.case_id,
        "version": ev.version,
        "event_type": ev.type,
        "payload": EncodedJson(payload),
        "workflow": ev.workflow,
        "workflow_version": ev.workflow_version,
        "actor": ev.actor,
        "role": ev.role,
        "occurred_at": ev.occurred_at,
        "recorded_at": ev.recorded_at,
        "prev_hash": prev_hash,
        "hash": hash_,
    }


def append(session: Session, events: Sequence[Event], expected: int) -> list[str]:
    """Insert events after version `expected`, chaining their hashes. Returns the new hashes."""
    if not events:
        return []
    case_id = events[0].case_id
    prev = GENESIS
    heads = _heads(session)
    if expected > 0:
        known = heads.get((case_id, expected))
        if known is not None:
            prev = known
        else:
            prev_row = _run(session, _PREV_HASH, {"b_case": case_id, "b_version": expected}).first()
            if prev_row is None:
                raise ConcurrencyConflict(case_id, expected, current_version(session, case_id))
            prev = prev_row.hash
    rows, hashes = [], []
    for ev in events:
        payload, h = chain(prev, ev)
        rows.append(event_row(ev, prev, h, payload))
        hashes.append(h)
        prev = h
    _run(session, _INSERT_EVENTS, rows)
    heads[(case_id, events[-1].version)] = hashes[-1]
    return hashes


def insert_events(session: Session, rows: list[dict[str, Any]]) -> None:
    """Many `event_row`s in one executemany (the bulk path)."""
    if rows:
        _run(session, _INSERT_EVENTS, rows)


def insert_projections(session: Session, states: Sequence[CaseState]) -> None:
    """The projection rows of new cases in one executemany (the bulk path)."""
    if states:
        _run(session, _INSERT_CASE, [{"id": st.id, **state_values(st)} for st in states])


def changed_values(before: CaseState, after: CaseState) -> dict[str, Any]:
    """The projection columns that differ between two states of one case (`state_values`
    of those only): an update writes these. A command changes a handful (version, stage,
    deadlines, updated_at). The attrs (encoded as JSON) are written when `after` holds
    another mapping than `before`: `evolve` keeps the same one unless an event sets attrs.
    Identity, not equality: 2 == 2.0 == True, and the stored JSON must be the replay's."""
    values = {c: v for c in _STATE_COLUMNS if (v := getattr(after, c)) != getattr(before, c)}
    if after.attrs is not before.attrs:
        values["attrs"] = dict(after.attrs)
        values.update(derived_values(after.attrs))
    return values


def save_projection(
    session: Session, state: CaseState, expected: int, before: CaseState | None = None
) -> None:
    """Insert the projection of a new case (`expected` 0), or update the row at version
    `expected`: every column, or with `before` (the state as read in this transaction, the
    row as stored) only those that changed."""
    if expected == 0:
        _run(session, _INSERT_CASE, {"id": state.id, **state_values(state)})
        return
    values = changed_values(before, state) if before is not None else state_values(state)
    result = _run(session, _UPDATE_CASE, {"b_id": state.id, "b_expected": expected, **values})
    if result.rowcount != 1:
        raise ConcurrencyConflict(state.id, expected, current_version(session, state.id))


def add_outbox(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        _run(session, _INSERT_OUTBOX, rows)


def office_officers(session: Session, role: str | None, region: str) -> list[str]:
    """The accounts who can act for the office of `role` covering `region`: active, not
    suspended, of the role, with no region (national) or a region that is a prefix of it."""
    if not role:
        return []
    prefixes = [region[:n] for n in range(1, len(region) + 1)]
    q = (
        sa.select(USERS.c.username)
        .where(
            USERS.c.role == role,
            USERS.c.active.is_(True),
            USERS.c.suspended.is_(False),
            sa.or_(USERS.c.region.is_(None), USERS.c.region.in_(prefixes)),
        )
        .order_by(USERS.c.username)
    )
    return list(session.execute(q).scalars())


class StaffRegister(NamedTuple):
    """What the staff register says of accounts (workflows.staff.register): those relieved of
    duty or dismissed (username -> "suspended" | "dismissed"), and the account of each staff
    record linked to one, by the record's name as `name_key` reads it."""

    relieved: Mapping[str, str]
    accounts: Mapping[str, str]


NO_REGISTER = StaffRegister({}, {})


def subject_accounts(state: CaseState, register: StaffRegister) -> set[str]:
    """The accounts a case is about, as `name_key`s: those it names (its accused, its staff
    member), and the accounts linked to the staff records it names."""
    a = state.attrs
    named = {name_key(v) for v in (a.get("subject_user"), a.get("subject"), a.get("staff_user"))}
    named |= {name_key(register.accounts.get(n)) for n in list(named)}
    return {n for n in named if n}


def able_officers(
    s: Session, level: str | None, state: CaseState, known: StaffRegister
) -> list[str]:
    """The accounts that can act for the office of `level` covering the case (office_officers),
    less those the staff register relieves of duty or dismissed and those the case is about:
    the officers told of a case, and those the officer pages offer as its handler."""
    about = subject_accounts(state, known)
    return [
        u
        for u in office_officers(s, level, state.region)
        if u not in known.relieved and name_key(u) not in about
    ]


def addressees(
    s: Session,
    state: CaseState,
    recipients: Sequence[str],
    register: Callable[[], StaffRegister] = lambda: NO_REGISTER,
    levels: Sequence[str] = (),
) -> list[str]:
    """The recipients of a message, with OFFICE expanded to the accounts that can act for the
    office now holding the case: not one relieved of duty or dismissed, never one the case
    is about (an accused officer is not told). An office with nobody who can act (no
    account yet, all relieved) is not a dead end: the office of the next of `levels` above
    it covering the case is told instead, and the message says why (notifications)."""
    out: list[str] = []
    for r in recipients:
        if r != OFFICE:
            out.append(r)
            continue
        known = register()
        above = levels[levels.index(state.level) + 1 :] if state.level in levels else ()
        for level in (state.level, *above):
            found = [f"user:{u}" for u in able_officers(s, level, state, known)]
            if found:
                out += found
                break
    return out


def outbox_row(ev: Event, template: str, recipient: str, now: datetime) -> dict[str, Any]:
    return {
        "case_id": ev.case_id,
        "event_version": ev.version,
        "event_type": ev.type,
        "template": template,
        "recipient": recipient,
        # who acted ("system": the deadline sweep), for letters that say so
        "payload": {"language": "id", "extra": dict(ev.data), "actor": ev.actor},
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
    # the workflows the actor may not read (CaseService.unreadable): always applied
    hidden_workflows: tuple[str, ...] = ()
    case_type: str | None = None
    handler: str | None = None
    due_before: datetime | None = None
    overdue_at: datetime | None = None  # stage or level due before this instant, still open
    text: str | None = None


FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)
COUNT_CAP = 10_000


# The worklist's statements, one set per shape of filter (which fields are set), built and
# compiled once and run through `Prepared` (bench: api_worklist_p99_ms; the values are bound).
_FILTER_COLUMNS = ("workflow", "status", "level", "state", "case_type", "handler")


@dataclass(frozen=True)
class _Search:
    count: Prepared
    first: Prepared | None  # the first page's cases with a deadline in the order's column
    after: Prepared | None  # the same after a cursor
    undated: Prepared  # then the cases without one (by id order: every case), from a cursor's id
    undated_first: Prepared  # the same with no cursor


_SEARCHES: dict[tuple[Any, ...], _Search] = {}
# The worklist's orders: (column or None for the case number, descending). Cases without a
# deadline in the order's column come last whichever way the list runs.
ORDERS: dict[str, tuple[str | None, bool]] = {
    "stage_due": ("stage_due", False),
    "-stage_due": ("stage_due", True),
    "level_due": ("level_due", False),
    "-level_due": ("level_due", True),
    "id": (None, False),
    "-id": (None, True),
}


def _shape(f: CaseFilter) -> tuple[Any, ...]:
    return (
        tuple(bool(getattr(f, n)) for n in _FILTER_COLUMNS),
        bool(f.region_prefix),
        bool(f.scope),
        f.due_before is not None,
        f.overdue_at is not None,
        bool(f.text),
        len(f.hidden_workflows),
    )


def _where(q: Any, shape: tuple[Any, ...]) -> Any:
    c = CASES.c
    columns, region, scope, due_before, overdue, text, hidden = shape
    for name, present in zip(_FILTER_COLUMNS, columns, strict=True):
        if present:
            q = q.where(c[name] == sa.bindparam(f"f_{name}"))
    for prefix, present in (("region", region), ("scope", scope)):
        if present:  # a range, so an index serves it (see region_within)
            q = q.where(
                c.region >= sa.bindparam(f"f_{prefix}_lo"),
                c.region < sa.bindparam(f"f_{prefix}_hi"),
            )
    if due_before:
        q = q.where(c.stage_due <= sa.bindparam("f_due_before"))
    if overdue:
        at = sa.bindparam("f_overdue_at", type_=UTCDateTime())
        q = q.where(c.status == "open", sa.or_(c.stage_due < at, c.level_due < at))
    if text:  # the summary, or the person the case is about (the accused; the staff member)
        like: sa.BindParameter[str] = sa.bindparam("f_text")
        q = q.where(
            sa.or_(
                sa.func.lower(c.summary).like(like, escape="/"),
                sa.func.lower(c.subject).like(like, escape="/"),
            )
        )
    for i in range(hidden):
        q = q.where(c.workflow != sa.bindparam(f"f_hidden_{i}"))
    return q


def _searches(shape: tuple[Any, ...], order: str = "stage_due") -> _Search:
    known = _SEARCHES.get((shape, order))
    if known is not None:
        return known
    c = CASES.c
    column, desc = ORDERS[order]
    counted = _where(sa.select(sa.literal(1)).select_from(CASES), shape).limit(
        sa.bindparam("p_cap")
    )
    count = sa.select(sa.func.count()).select_from(counted.subquery())
    ids = _where(sa.select(c.id), shape)
    after_id: sa.BindParameter[str] = sa.bindparam("p_after_id")
    id_key = c.id.desc() if desc else c.id
    id_after = c.id < after_id if desc else c.id > after_id
    first = after = None
    rest = ids
    if column is not None:
        col = c[column]
        cursor = sa.tuple_(col, c.id)
        bound = sa.tuple_(sa.bindparam("p_after_due", type_=UTCDateTime()), after_id)
        dated = ids.where(col.is_not(None)).order_by(col.desc() if desc else col, id_key)
        first = Prepared(_rows_of(dated))
        after = Prepared(_rows_of(dated.where(cursor < bound if desc else cursor > bound)))
        rest = ids.where(col.is_(None))
    rest = rest.order_by(id_key)
    known = _SEARCHES[(shape, order)] = _Search(
        Prepared(count),
        first,
        after,
        Prepared(_rows_of(rest.where(id_after))),
        Prepared(_rows_of(rest)),
    )
    return known


def _rows_of(ids: Any) -> Any:
    """The rows of the page that `ids` picks: the page is chosen inside an index (the ids, in
    order, limited), and only its rows are read (a "deferred join"; search_cases puts them
    back in order). An office's page sorted whole rows of every open case of the office;
    now it sorts index entries."""
    page = ids.limit(sa.bindparam("p_limit")).subquery("page")
    return sa.select(CASES).join(page, CASES.c.id == page.c.id)


def _values(f: CaseFilter) -> dict[str, Any]:
    values: dict[str, Any] = {f"f_{n}": getattr(f, n) for n in _FILTER_COLUMNS if getattr(f, n)}
    for name, prefix in (("region", f.region_prefix), ("scope", f.scope)):
        if prefix:
            values[f"f_{name}_lo"], values[f"f_{name}_hi"] = prefix_bounds(prefix)
    if f.due_before is not None:
        values["f_due_before"] = f.due_before
    if f.overdue_at is not None:
        values["f_overdue_at"] = f.overdue_at
    if f.text:
        escaped = f.text.lower().replace("/", "//").replace("%", "/%").replace("_", "/_")
        values["f_text"] = f"%{escaped}%"
    for i, workflow in enumerate(f.hidden_workflows):
        values[f"f_hidden_{i}"] = workflow
    return values


def search_cases(
    session: Session,
    f: CaseFilter,
    *,
    limit: int = 50,
    after: tuple[datetime, str] | None = None,
    order: str = "stage_due",
    counted: bool = True,
    unreadable: list[str] | None = None,
) -> tuple[list[CaseState], int, tuple[datetime, str] | None]:
    """A page of cases in `order` (ORDERS: by stage or level deadline, soonest or latest
    first, then those without one; or by case number), and the total, counted up to
    COUNT_CAP + 1 (above COUNT_CAP means "10,000+": an exact count of millions of open cases
    would cost more than the page itself); with `counted=False` no count is made (total -1).
    Keyset pagination on (deadline, id): a case without a deadline carries FAR_FUTURE in its
    cursor, and so does every case of an order by case number. Each part of the page is one
    range of an index read in order (ix_cases_open_stage_due, ix_cases_open_level_due, the
    primary key), so page 1,000 costs as page 1; for an office, one range of
    ix_cases_status_region_due (sorted entries of the office's cases, then the page's rows).
    A row that cannot be read (a value altered behind the engine's back, which audit verify
    names) is left out of the page and its id appended to `unreadable`, so one bad row does
    not take every officer's worklist down; without that list it is refused
    (StoredDataUnreadable)."""
    column, desc = ORDERS[order]
    search = _searches(_shape(f), order)
    values = _values(f)
    total = -1
    if counted:
        total = int(search.count.run(session, {**values, "p_cap": COUNT_CAP + 1}).scalar_one())
    rows: list[Any] = []
    if column is not None:
        assert search.first is not None and search.after is not None
        if after is None:
            rows = search.first.run(session, {**values, "p_limit": limit + 1}).all(lenient=True)
        elif after[0] < FAR_FUTURE:
            params = {"p_after_due": after[0], "p_after_id": after[1], "p_limit": limit + 1}
            rows = search.after.run(session, {**values, **params}).all(lenient=True)
        rows = _readable(rows, unreadable)
        rows.sort(key=lambda r: (getattr(r, column), r.id), reverse=desc)
    if len(rows) <= limit:
        more = {"p_limit": limit + 1 - len(rows)}
        if after is not None and after[0] >= FAR_FUTURE:
            rest = search.undated.run(session, {**values, **more, "p_after_id": after[1]})
        else:
            rest = search.undated_first.run(session, {**values, **more})
        rows += sorted(_readable(rest.all(lenient=True), unreadable), key=_id_order, reverse=desc)
    states = []
    for r in rows[:limit]:
        try:
            states.append(state_from_row(r))
        except (TypeError, ValueError) as e:  # attrs that are not an object, and the like
            if unreadable is None:
                raise StoredDataUnreadable(r.id, None, "case row", str(e)) from None
            unreadable.append(r.id)
    cursor = None
    if len(rows) > limit:  # after the page's last row (read, even when its state was not)
        last = rows[limit - 1]
        due = getattr(last, column) if column is not None else None
        cursor = (due or FAR_FUTURE, last.id)
    return states, total, cursor


def _readable(rows: list[Any], unreadable: list[str] | None) -> list[Any]:
    """The rows that could be read; the others' ids go to `unreadable` (or are refused)."""
    out = []
    for r in rows:
        if isinstance(r, Unreadable):
            if unreadable is None:
                raise StoredDataUnreadable(str(r.raw.get("id")), None, r.column, r.error)
            unreadable.append(str(r.raw.get("id")))
        else:
            out.append(r)
    return out


def _id_order(row: Any) -> str:
    return row.id  # type: ignore[no-any-return]


# The worklist's chips: how many cases of a filter are overdue, due today, due soon or on
# track (api.page_views.deadline's flags), counted in one statement over the filter. "Today"
# and "soon" end at instants that depend on each case's zone (the start of the first and of
# the third working day after today there): the caller computes them per zone and passes them.
FLAGS = ("overdue", "today", "soon", "ok", "none")
_FLAG_COUNTS: dict[tuple[Any, ...], Prepared] = {}


def _flag_counts(shape: tuple[Any, ...], zones: int) -> Prepared:
    known = _FLAG_COUNTS.get((shape, zones))
    if known is not None:
        return known
    c = CASES.c

    def before(name: str) -> Any:
        at = sa.bindparam(name, type_=UTCDateTime())
        return sa.or_(c.stage_due < at, c.level_due < at)

    def within(kind: str) -> Any:
        return sa.or_(
            *(
                sa.and_(c.zone == sa.bindparam(f"z_{i}"), before(f"{kind}_{i}"))
                for i in range(zones)
            )
        )

    flag = sa.case(
        (before("now"), "overdue"),
        (within("today"), "today"),
        (within("soon"), "soon"),
        (sa.and_(c.stage_due.is_(None), c.level_due.is_(None)), "none"),
        else_="ok",
    ).label("flag")
    flagged = _where(sa.select(flag).select_from(CASES), shape).subquery()
    q = sa.select(flagged.c.flag, sa.func.count()).group_by(flagged.c.flag)
    known = _FLAG_COUNTS[(shape, zones)] = Prepared(q)
    return known


def count_flags(
    session: Session, f: CaseFilter, now: datetime, bounds: dict[str, tuple[datetime, datetime]]
) -> dict[str, int]:
    """{flag: number of cases} over every case of `f` (one statement): overdue when a stage or
    level deadline is before `now`; else "today" when one is before the first instant of
    `bounds[case zone]`, "soon" before the second; "none" when it has no deadline at all (a
    KKN, discipline or household case); else "ok" (so is one whose zone `bounds` does not
    name)."""
    params: dict[str, Any] = {**_values(f), "now": now}
    for i, (zone, (today_end, soon_end)) in enumerate(sorted(bounds.items())):
        params[f"z_{i}"], params[f"today_{i}"], params[f"soon_{i}"] = zone, today_end, soon_end
    counts = dict.fromkeys(FLAGS, 0)
    for flag, n in _flag_counts(_shape(f), len(bounds)).run(session, params):
        counts[flag] = int(n)
    return counts
