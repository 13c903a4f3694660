"""Tamper evidence: the per-case hash chain, checkpoints over all case heads, replay checks.

Pure functions over event values; the store feeds them rows and acts on what they find.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from json.encoder import c_make_encoder as _c_make_encoder  # type: ignore[attr-defined]
from json.encoder import encode_basestring
from operator import attrgetter
from typing import Any

from engine.errors import StoredDataUnreadable
from engine.state import CaseState, Event, Fact, ReplayError, fold, replay

_string = encode_basestring  # json's own string encoder (C), as json.dumps(ensure_ascii=False)

GENESIS = "0" * 64


def _instant(dt: datetime) -> str:
    """The instant in UTC as 'YYYY-MM-DDTHH:MM:SS.ffffffZ' (part of every event's hash).
    isoformat gives the same text as strftime("%Y-%m-%dT%H:%M:%S.%fZ") for years 1000-9999
    at a fraction of the cost (strftime was 15% of audit verify); other years keep strftime,
    whose unpadded year the stored hashes were computed with. An instant in UTC formats as
    '...+00:00'; that suffix is cut instead of building a naive copy first."""
    u = dt if dt.tzinfo is UTC else dt.astimezone(UTC)
    if u.year >= 1000:
        return u.isoformat(timespec="microseconds")[:-6] + "Z"
    return u.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _item(value: Any) -> str:
    """canonical(value), the common cases without the encoder's set-up."""
    kind = type(value)
    if kind is str:
        return _string(value)
    if kind is int:
        return int.__repr__(value)
    return canonical(value)


def payload_text(ev: Event) -> str:
    """The event's payload in canonical JSON: the text that is hashed and the text stored."""
    return canonical(ev.payload())


def _body(prev_hash: str, ev: Event, payload: str) -> str:
    """canonical([prev_hash, case_id, version, type, payload, workflow, workflow_version,
    actor, role, occurred_at, recorded_at]) with the payload's canonical text given: a JSON
    array with "," between items is the items' own texts joined, so the payload is encoded
    once for the hash and for storage (`chain`), and audit verify can hash the stored text
    without decoding and encoding it again."""
    return "".join(
        (
            "[",
            _item(prev_hash),
            ",",
            _item(ev.case_id),
            ",",
            _item(ev.version),
            ",",
            _item(ev.type),
            ",",
            payload,
            ",",
            _item(ev.workflow),
            ",",
            _item(ev.workflow_version),
            ",",
            _item(ev.actor),
            ",",
            _item(ev.role),
            ",",
            _string(_instant(ev.occurred_at)),
            ",",
            _string(_instant(ev.recorded_at)),
            "]",
        )
    )


def _digest(prev_hash: str, ev: Event, payload: str) -> str:
    return hashlib.sha256(_body(prev_hash, ev, payload).encode()).hexdigest()


def event_hash(prev_hash: str, ev: Event) -> str:
    """SHA-256 of canonical([prev_hash, case_id, version, type, payload, workflow,
    workflow_version, actor, role, occurred_at, recorded_at]) (instants as `_instant`)."""
    return _digest(prev_hash, ev, payload_text(ev))


def chain(prev_hash: str, ev: Event) -> tuple[str, str]:
    """(payload text, hash) of an event appended after `prev_hash`: the payload is encoded
    once, and the text stored is the text hashed."""
    payload = payload_text(ev)
    return payload, _digest(prev_hash, ev, payload)


PAYLOAD_KEYS = frozenset({"trigger", "data", "changes", "note"})


@dataclass(frozen=True, slots=True)
class ChainedEvent:
    seq: int
    event: Event
    prev_hash: str
    hash: str
    stored_keys: frozenset[str] = PAYLOAD_KEYS  # the payload's keys as stored
    # The payload's text as the store holds it, where it keeps the text written (SQLite; a
    # PostgreSQL jsonb column keeps its own form): what was hashed, for events written since
    # the payload is stored in canonical form.
    stored_text: str | None = None


@dataclass(frozen=True)
class Problem:
    """One thing verify found. It names a case (`case_id`, with the event's version where
    one event is at fault), or a checkpoint (`checkpoint`), or neither where it concerns
    the checkpoints as a whole."""

    case_id: str | None
    version: int | None
    kind: str
    detail: str
    checkpoint: int | None = None
    # the detail in Bahasa Indonesia, for the auditor's page; None where only English is given
    # (the page then shows `detail`)
    detail_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "checkpoint": self.checkpoint,
            "version": self.version,
            "kind": self.kind,
            "detail": self.detail,
            "detail_id": self.detail_id,
        }

    @property
    def subject(self) -> str:
        """What the problem is about, as a reader names it."""
        return problem_subject(self.as_dict())

    def __str__(self) -> str:
        where = self.subject + (f" version {self.version}" if self.version else "")
        return f"{where}: {self.kind}: {self.detail}"


def problem_subject(problem: Mapping[str, Any]) -> str:
    """What a problem (`Problem.as_dict()`, or one an audit run stored) is about: its case,
    else its checkpoint, else the checkpoints as a whole. Runs stored before problems named
    their checkpoint apart kept "checkpoint N" in `case_id`."""
    if problem.get("case_id") is not None:
        return str(problem["case_id"])
    cp = problem.get("checkpoint")
    return f"checkpoint {cp}" if cp is not None else "checkpoints"


def verify_chain(case_id: str, rows: Sequence[ChainedEvent]) -> Problem | None:
    """The first break in one case's chain: edits, deletions, insertions and reorderings."""
    prev = GENESIS
    for expected_version, row in enumerate(rows, start=1):
        ev = row.event
        if ev.version != expected_version:
            return Problem(
                case_id,
                ev.version,
                "version_gap",
                f"expected version {expected_version}, found {ev.version}",
                detail_id=f"seharusnya versi {expected_version}, ditemukan versi {ev.version}",
            )
        if row.prev_hash != prev:
            return Problem(
                case_id,
                ev.version,
                "chain_broken",
                "previous-hash link does not match the event before it",
                detail_id="tautan hash sebelumnya tidak cocok dengan kejadian sebelumnya",
            )
        why = _NOT_HASHED if row.stored_keys != PAYLOAD_KEYS else _hash_problem(prev, row)
        if why is not None:
            en, id_ = why
            return Problem(case_id, ev.version, "hash_mismatch", en, detail_id=id_)
        prev = row.hash
    return None


_NOT_HASHED = (
    "the event's content does not match its hash",
    "isi kejadian tidak cocok dengan hash-nya",
)


# A payload in canonical form starts with its first key in sorted order ("changes"); text in
# any other form (rows written before, re-encoded by a tool) goes straight to re-encoding.
_CANONICAL_START = '{"changes":'


def _hash_problem(prev: str, row: ChainedEvent) -> tuple[str, str] | None:
    """Why the event's hash does not match its content (English, Indonesian); None when it
    does. First over the payload's stored text (no JSON encoding): if that digest matches, the
    stored text is the canonical text hashed when the event was written (SHA-256 is collision
    resistant; the text is one whole JSON value, since it was decoded into the event), so the
    stored event is the one written. Otherwise, e.g. the text was re-encoded by the store or
    written before payloads were stored canonically, over the canonical encoding of the
    decoded payload, which is what decides, provided the stored text reads the same to every
    JSON reader: a text with a key twice in one object does not (Python keeps the last,
    SQLite's JSON functions, which the monthly report reads, the first), so one that names the
    content hashed to verify may name other content to the report."""
    text = row.stored_text
    if text is not None:
        if text.startswith(_CANONICAL_START) and _digest(prev, row.event, text) == row.hash:
            return None
        key = duplicate_key(text)
        if key is not None:
            return (
                f"the stored payload holds the key {_string(key)} twice in one object: JSON "
                "readers differ on which one counts (SQLite's JSON functions read the first, "
                "replay the last), so the text cannot be shown to hold the content hashed",
                f"isi kejadian yang tersimpan memuat kunci {_string(key)} dua kali dalam satu "
                "objek: pembaca JSON berbeda tentang mana yang berlaku (fungsi JSON SQLite "
                "membaca yang pertama, pemutaran ulang yang terakhir), jadi tidak dapat "
                "dipastikan teks itu memuat isi yang di-hash",
            )
    return None if event_hash(prev, row.event) == row.hash else _NOT_HASHED


class _DuplicateKey(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return out


_strict_decode = json.JSONDecoder(object_pairs_hook=_unique_keys).decode


def duplicate_key(text: str) -> str | None:
    """A key that occurs twice in one object of the JSON `text` (the first such, as decoded:
    an escaped spelling of a key is the key), or None; None too for text that is not JSON
    at all (the reader that decoded it says so)."""
    try:
        _strict_decode(text)
    except _DuplicateKey as e:
        return str(e.args[0])
    except (ValueError, RecursionError):
        return None
    return None


# ------------------------------------------------------------------ the stored rows of SQLite
# An event row as audit verify reads it from a SQLite store, in this column order: the payload
# and the two instants as the text stored (engine.store.repository.STORED_EVENT_COLUMNS).
STORED_COLUMNS = (
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
# the C scanner under JSONDecoder.raw_decode: (value, end) of the JSON value at an index
_scan_value = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
_CHANGES_AT = len(_CANONICAL_START)
_from_iso = datetime.fromisoformat


def replay_stored(rows: Sequence[Sequence[Any]]) -> CaseState | None:
    """One case's replay from its rows as SQLite stores them (STORED_COLUMNS, in version
    order), when every link and every hash holds over the stored texts; None when any does not
    or any value is not as pkh stores it: the full check (`verify_chain`, `verify_projection`)
    then reads the case and names what is wrong.

    Audit verify's way over a SQLite store. The hash is taken over the stored payload text and
    the stored instants put in the hash's form, as `_hash_problem` does first: a digest that
    matches proves (SHA-256) that every hashed value is the one written, so the row holds the
    event written, a canonical payload and instants that read as written. The fold then needs
    only the payload's `changes`, its first key in canonical form, decoded alone; the data, the
    note and the trigger are not decoded. The same fold as `replay` (engine.state.fold)."""
    facts = []
    prev = GENESIS
    string, item, sha256, at = _string, _item, hashlib.sha256, _from_iso
    for expected, row in enumerate(rows, start=1):
        case_id, version, typ, payload, workflow, wv, actor, role, occ, rec, prev_hash, h = row
        if (
            type(version) is not int
            or version != expected
            or prev_hash != prev
            or type(payload) is not str
            or not payload.startswith(_CANONICAL_START)
            or type(occ) is not str
            or len(occ) != 26
            or occ[10] != " "
            or type(rec) is not str
            or len(rec) != 26
            or rec[10] != " "
        ):
            return None
        # the hashed text (`_body`) over the stored texts: `prev` is GENESIS or a digest that
        # matched (hex digits); each instant's text as SQLite stores it, 'YYYY-MM-DD
        # HH:MM:SS.ffffff' in UTC (engine.store.tables.UTCDateTime), put in the hash's form
        # (`_instant`, JSON-quoted); any other text goes to the full check
        body = (
            f'["{prev}",{string(case_id) if type(case_id) is str else item(case_id)},'
            f"{version},{string(typ) if type(typ) is str else item(typ)},{payload},"
            f"{string(workflow) if type(workflow) is str else item(workflow)},{item(wv)},"
            f"{string(actor) if type(actor) is str else item(actor)},"
            f"{string(role) if type(role) is str else item(role)},"
            f'"{occ[:10]}T{occ[11:]}Z","{rec[:10]}T{rec[11:]}Z"]'
        )
        if sha256(body.encode()).hexdigest() != h:
            return None
        try:
            changes = _scan_value(payload, _CHANGES_AT)[0]
            occurred = at(occ + "+00:00")
            at(rec + "+00:00")  # an instant that reads (the full check reads both)
        except (StopIteration, ValueError, RecursionError):
            return None  # the full check says why
        facts.append(Fact(case_id, version, workflow, wv, occurred, changes))
        prev = h
    try:
        return fold(facts)
    except (ReplayError, TypeError, ValueError, KeyError, AttributeError):
        return None  # the full check says why


# A case row as audit verify reads it from a SQLite store, in this column order, each value as
# stored (instants as text, attrs as its JSON text), then the columns derived from its attrs
# (engine.store.repository.stored_case_rows).
STORED_CASE_FIELDS = (
    "id",
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
)
STORED_CASE_INSTANTS = (
    "stage_started_at",
    "stage_due",
    "level_started_at",
    "level_due",
    "created_at",
    "closed_at",
    "updated_at",
)
STORED_CASE_COLUMNS = (*STORED_CASE_FIELDS, *STORED_CASE_INSTANTS, "attrs")
assert sorted(STORED_CASE_COLUMNS) == sorted(f.name for f in fields(CaseState)), "a state field"
_N_FIELDS = len(STORED_CASE_FIELDS)
_N_PLAIN = len(STORED_CASE_FIELDS) + len(STORED_CASE_INSTANTS)
_state_fields = attrgetter(*STORED_CASE_FIELDS)
_state_instants = attrgetter(*STORED_CASE_INSTANTS)


def _canonical(value: Any) -> str:
    """canonical(value), by json's C encoder without JSONEncoder's set-up per call where
    there is one (the same arguments JSONEncoder.iterencode gives it)."""
    if _c_make_encoder is None:
        return canonical(value)
    encode = _c_make_encoder({}, str, _string, None, ":", ",", True, False, True)
    return "".join(encode(value, 0))


def stored_case_holds(
    replayed: CaseState,
    row: Sequence[Any],
    derive: Callable[[Mapping[str, Any]], Mapping[str, Any]],
    derived_names: Sequence[str],
) -> bool:
    """Whether a case row as SQLite stores it (STORED_CASE_COLUMNS, then `derived_names`)
    holds `replayed`, as `compare_projection` decides over the row read as a state: True only
    where that finds nothing (False: the full comparison decides and names what differs).

    Audit verify's way over a SQLite store, without reading the row through SQLAlchemy and
    building a second state: each value is the one the row's column types give (instants
    parsed as engine.store.tables.UTCDateTime reads the text SQLite stores, attrs decoded as
    JSON), and compared as `compare_projection` compares them: the fields by value, attrs by
    value and as canonical JSON, the derived columns by value and type."""
    if _state_fields(replayed) != tuple(row[:_N_FIELDS]):
        return False
    stored_instants: list[datetime | None] = []
    for text in row[_N_FIELDS:_N_PLAIN]:
        if text is None:
            stored_instants.append(None)
        elif type(text) is str:
            try:
                stored_instants.append(_from_iso(text + "+00:00"))
            except ValueError:
                return False
        else:
            return False
    if _state_instants(replayed) != tuple(stored_instants):
        return False
    text = row[_N_PLAIN]
    if type(text) is not str:
        return False
    try:
        attrs = json.loads(text)
    except (ValueError, RecursionError):
        return False
    mine = replayed.attrs
    if type(attrs) is not dict or attrs != mine or _canonical(attrs) != _canonical(mine):
        return False
    stored = dict(zip(derived_names, row[_N_PLAIN + 1 :], strict=True))
    return not DerivedColumns(derive, stored).differing(replayed)


def comparable(state: CaseState | None) -> dict[str, Any] | None:
    if state is None:
        return None
    out = state.as_dict()
    for k, v in out.items():
        if isinstance(v, datetime):
            out[k] = _instant(v)
    # attrs compared as canonical text: a number that became 2.0 or true is a change, though
    # Python's == holds between 2, 2.0 and True
    out["attrs"] = canonical(out["attrs"])
    return out


@dataclass(frozen=True, slots=True)
class DerivedColumns:
    """Columns a store keeps beside a case's state, derived from its attrs when the row is
    written (to be searched and counted: the case's type, summary and subject): `derive` is
    the writer's own derivation, `stored` what the case's row holds."""

    derive: Callable[[Mapping[str, Any]], Mapping[str, Any]]
    stored: Mapping[str, Any]

    def differing(self, state: CaseState) -> list[str]:
        """The columns whose stored value is not what the writer derives from `state` (the
        same value of the same type: a stored 1 is not the text "1")."""
        stored = self.stored
        return [
            c
            for c, v in self.derive(state.attrs).items()
            if (w := stored.get(c, _ABSENT)) is not v and (type(w) is not type(v) or w != v)
        ]


_ABSENT = object()


def verify_projection(
    case_id: str,
    rows: Sequence[ChainedEvent],
    projection: CaseState | None,
    derived: DerivedColumns | None = None,
) -> Problem | None:
    try:
        replayed = replay(r.event for r in rows)
    except (ReplayError, TypeError, ValueError, KeyError) as e:
        # a forged or damaged event that cannot even be folded is tampering too
        return replay_failed(case_id, e)
    return compare_projection(case_id, replayed, projection, derived)


def replay_failed(case_id: str, e: Exception) -> Problem:
    """The problem of a case whose events could not be replayed (or checked) for `e`: what
    it says, in Bahasa Indonesia too where the engine words it (ReplayError's message_id);
    an error of Python's own is said as given, marked as the system's."""
    detail = f"{type(e).__name__}: {e}"
    said = getattr(e, "message_id", None)
    detail_id = f"{type(e).__name__}: {said}" if said else f"galat sistem: {detail}"
    return Problem(case_id, None, "replay_failed", detail, detail_id=detail_id)


# a stored column as the auditor's page names it in Bahasa Indonesia (others: "kolom <name>")
_COLUMN_ID = {
    "payload": "isi kejadian (payload)",
    "case row": "baris kasus",
    "version": "nomor versi",
    "events": "kejadian",
}


def unreadable_problem(kind: str, e: StoredDataUnreadable) -> Problem:
    """The problem of a stored row that cannot be read (`kind`: event_unreadable or
    projection_unreadable), in English and Bahasa Indonesia; a reason the database driver or
    Python gave stays as given."""
    column_id = _COLUMN_ID.get(e.column, f"kolom {e.column}")
    return Problem(
        e.case_id,
        e.version,
        kind,
        f"the stored {e.column} cannot be read ({e.detail})",
        detail_id=f"{column_id} yang tersimpan tidak dapat dibaca ({e.detail_id or e.detail})",
    )


def compare_projection(
    case_id: str,
    replayed: CaseState | None,
    projection: CaseState | None,
    derived: DerivedColumns | None = None,
) -> Problem | None:
    """The stored case row against the replay of its events: its state, and with `derived`
    the columns the writer derives from the state (each as derived from the replay)."""
    columns: list[str] = []
    if derived is not None and replayed is not None and projection is not None:
        columns = derived.differing(replayed)
    if (
        not columns
        and replayed == projection
        and (
            replayed is None
            or projection is None
            or canonical(replayed.attrs) == canonical(projection.attrs)
        )
    ):
        # The fields equal by value (equal instants have the same text) and attrs equal as
        # canonical JSON: what the normalized comparison below decides, without building it;
        # that is needed only to name what differs.
        return None
    a, b = comparable(replayed), comparable(projection)
    if a == b and not columns:
        return None
    if b is None:
        return Problem(
            case_id,
            None,
            "projection_missing",
            "events exist but no case row",
            detail_id="kejadiannya ada tetapi baris kasusnya tidak",
        )
    if a is None:
        return Problem(
            case_id,
            None,
            "events_missing",
            "a case row exists without events",
            detail_id="baris kasusnya ada tanpa kejadian",
        )
    fields = sorted({k for k in a if a.get(k) != b.get(k)}.union(columns))
    return Problem(
        case_id,
        replayed.version if replayed else None,
        "projection_mismatch",
        f"stored case differs from its replay in: {', '.join(fields)}",
        detail_id=f"kasus tersimpan berbeda dari pemutaran ulangnya pada: {', '.join(fields)}",
    )


def heads_digest(heads: Iterable[tuple[str, int, str]]) -> str:
    """Digest over every case head (case id, version, hash), in case-id order."""
    h = hashlib.sha256()
    lines = [f"{case_id}:{version}:{head}\n" for case_id, version, head in sorted(heads)]
    for i in range(0, len(lines), 10_000):  # one update per 10,000 lines: same digest
        h.update("".join(lines[i : i + 10_000]).encode())
    return h.hexdigest()


Head = tuple[int, str]  # a case's last event: its version and hash


def sealed_changes(
    checkpoint: str,
    sealed: Mapping[str, Head],
    now: Mapping[str, Head],
    checkpoint_id: str | None = None,
) -> list[Problem]:
    """The cases whose history, as far as `checkpoint` sealed it, is not what it sealed:
    `sealed` holds each case's head then, `now` each case's head over the same events today
    (the events up to the checkpoint's last event id). A case gone, cut short, rewritten,
    or one that has appeared among the sealed events, each named, in case-id order.
    `checkpoint_id`: the checkpoint as Bahasa Indonesia names it (the problems' detail_id)."""
    cp_id = checkpoint_id or checkpoint
    problems = []
    for case_id in sorted(sealed.keys() | now.keys()):
        then, today = sealed.get(case_id), now.get(case_id)
        if then == today:
            continue
        if then is None:
            assert today is not None
            detail = f"{today[0]} events that {checkpoint} did not seal (added afterwards)"
            detail_id = f"{today[0]} kejadian yang tidak disegel {cp_id} (ditambahkan sesudahnya)"
        elif today is None:
            detail = f"{checkpoint} sealed it at version {then[0]}; all its events are gone"
            detail_id = f"{cp_id} menyegelnya pada versi {then[0]}; semua kejadiannya hilang"
        elif type(today[0]) is int and type(then[0]) is int and today[0] < then[0]:
            detail = (
                f"{checkpoint} sealed it at version {then[0]}; it now ends at version "
                f"{today[0]}: events removed"
            )
            detail_id = (
                f"{cp_id} menyegelnya pada versi {then[0]}; kini berakhir pada versi "
                f"{today[0]}: kejadian dihapus"
            )
        else:
            detail = (
                f"{checkpoint} sealed it at version {then[0]} (hash {then[1][:12]}...); "
                f"its events up to there now end at version {today[0]} (hash "
                f"{today[1][:12]}...): rewritten"
            )
            detail_id = (
                f"{cp_id} menyegelnya pada versi {then[0]} (hash {then[1][:12]}...); "
                f"kejadiannya sampai di situ kini berakhir pada versi {today[0]} (hash "
                f"{today[1][:12]}...): ditulis ulang"
            )
        version = then[0] if then else None
        problems.append(Problem(case_id, version, "history_changed", detail, detail_id=detail_id))
    return problems


def checkpoint_digest(
    prev_digest: str, last_event_id: int, event_count: int, case_count: int, heads: str
) -> str:
    return hashlib.sha256(
        canonical([prev_digest, last_event_id, event_count, case_count, heads]).encode()
    ).hexdigest()
