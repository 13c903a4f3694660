"""Case state and events: the fold that turns a case's event stream into its current state."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from itertools import takewhile
from operator import attrgetter
from typing import Any, NamedTuple

from engine.errors import EngineError

DATETIME_FIELDS = frozenset(
    {"stage_started_at", "stage_due", "level_started_at", "level_due", "created_at", "closed_at"}
)


@dataclass(frozen=True, slots=True)
class Actor:
    username: str
    role: str
    region: str | None = None  # None: national scope (pusat, admin)
    # the staff record name this account goes by, if any: a complaint may name its accused by
    # it, and the accused never sees who reported them (workflows.roles.sees_reporter)
    staff_name: str | None = None

    def covers(self, region: str) -> bool:
        return self.region is None or region.startswith(self.region)


SYSTEM = Actor("system", "system", None)


def name_key(value: object) -> str:
    """A person's name or account as a complaint may type it (any case, extra spaces), for
    comparing: "Budi  SANTOSO" and "budi santoso" are one person."""
    return " ".join(str(value or "").split()).lower()


@dataclass(frozen=True, slots=True)
class Event:
    """One recorded fact about a case. `changes` are the field values the fact sets."""

    case_id: str
    version: int
    type: str
    trigger: str
    workflow: str
    workflow_version: int
    actor: str
    role: str
    occurred_at: datetime
    recorded_at: datetime
    data: Mapping[str, Any] = field(default_factory=dict)
    changes: Mapping[str, Any] = field(default_factory=dict)
    note: str | None = None

    def payload(self) -> dict[str, Any]:
        return {
            "trigger": self.trigger,
            "data": dict(self.data),
            "changes": dict(self.changes),
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class CaseState:
    id: str
    workflow: str
    workflow_version: int
    version: int
    state: str
    status: str  # open | closed
    region: str
    zone: str
    level: str | None = None
    stage: str | None = None
    handler: str | None = None
    stage_started_at: datetime | None = None
    stage_due: datetime | None = None
    level_started_at: datetime | None = None
    level_due: datetime | None = None
    created_at: datetime | None = None
    closed_at: datetime | None = None
    updated_at: datetime | None = None
    attrs: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["attrs"] = dict(self.attrs)
        return out


class ReplayError(EngineError):
    """Events that do not fold into a case: one missing or out of order, an unknown field.
    Stored events that do so were altered outside the engine (verify names the problem)."""

    code = "replay_error"

    def __init__(
        self, message: str, *, version: int | None = None, message_id: str | None = None
    ) -> None:
        super().__init__(message)
        self.version = version  # the event at fault, where one is
        # the same in Bahasa Indonesia (the auditor's page says it in its language)
        self.message_id = message_id


_SETTABLE = frozenset(f.name for f in fields(CaseState)) - {
    "id",
    "workflow",
    "workflow_version",
    "version",
    "attrs",
    "updated_at",
}


_FIELDS = tuple(f.name for f in fields(CaseState))


_TAKES = _SETTABLE | {"attrs"}
_DATETIMES = tuple(sorted(DATETIME_FIELDS))


def evolve(state: CaseState | None, event: Event) -> CaseState:
    """Apply one event. Creation events carry every required field in their changes."""
    if state is None:
        return CaseState(**_start(event))
    values = {n: getattr(state, n) for n in _FIELDS}
    _step(values, event)
    return CaseState(**values)


def replay(
    events: Iterable[Event], *, as_of: datetime | None = None, basis: str = "recorded"
) -> CaseState | None:
    """Fold events in order; with `as_of`, stop at the first event recorded (or occurred) later.
    The fold runs over one dict and builds the state once at the end (the same steps as
    `evolve`, without constructing a frozen state per event)."""
    if as_of is not None:
        moment = attrgetter("recorded_at" if basis == "recorded" else "occurred_at")
        events = takewhile(lambda ev: moment(ev) <= as_of, events)
    return fold(events)


class Fact(NamedTuple):
    """What the fold reads of an event. Audit verify folds the rows of a SQLite store as these,
    without building an `Event` (whose data, note and trigger the fold does not read)."""

    case_id: str
    version: int
    workflow: str
    workflow_version: int
    occurred_at: datetime
    changes: Mapping[str, Any]


def fold(events: Iterable[Event | Fact]) -> CaseState | None:
    """The state after `events` (in version order), as `replay` without a moment."""
    values: dict[str, Any] | None = None
    for ev in events:
        if values is None:
            values = _start(ev)
        else:
            _step(values, ev)
    return None if values is None else CaseState(**values)


def _changes(event: Event | Fact) -> dict[str, Any]:
    """The fields an event sets (attrs apart), instants as datetimes. Copied whole and the
    few instant fields converted, rather than a call per field: a replay folds every event
    of a case, and audit verify every event of the store."""
    ch = event.changes
    if not _TAKES.issuperset(ch):
        unknown = set(ch) - _TAKES
        raise ReplayError(
            f"event {event.case_id}#{event.version} sets unknown fields {unknown}",
            version=event.version,
            message_id=f"kejadian {event.case_id}#{event.version} mengisi kolom yang tidak "
            f"dikenal {unknown}",
        )
    out = dict(ch)
    out.pop("attrs", None)
    if not DATETIME_FIELDS.isdisjoint(ch):  # most events set no instant (a handler, attrs)
        for key in _DATETIMES:
            value = out.get(key)
            if isinstance(value, str):
                out[key] = _instant(value)
    return out


_INSTANTS: dict[str, datetime] = {}


def _instant(text: str) -> datetime:
    """An event's instant as a datetime, one object for equal texts of recent events: the
    events of a batch share their moments (a bulk import's thousands of new cases start their
    stage at the same instant), and an instant the store binds again (the projection) is
    converted once for all the rows holding that object (engine.store.prepared)."""
    known = _INSTANTS.get(text)
    if known is None:
        known = datetime.fromisoformat(text)
        if len(_INSTANTS) >= 4096:
            _INSTANTS.clear()
        _INSTANTS[text] = known
    return known


def _start(event: Event | Fact) -> dict[str, Any]:
    """The state's fields after a creation event."""
    values = _changes(event)
    if event.version != 1:
        raise ReplayError(
            f"case {event.case_id} starts at version {event.version}, not 1",
            version=event.version,
            message_id=f"kasus {event.case_id} dimulai pada versi {event.version}, bukan 1",
        )
    values.update(
        id=event.case_id,
        workflow=event.workflow,
        workflow_version=event.workflow_version,
        version=1,
        attrs=dict(event.changes.get("attrs", {})),
        updated_at=event.occurred_at,
    )
    return values


def _step(values: dict[str, Any], event: Event | Fact) -> None:
    """Apply a later event to the state's fields, in place."""
    changes = _changes(event)
    if event.version != values["version"] + 1:
        raise ReplayError(
            f"case {values['id']}: version {event.version} follows {values['version']}",
            version=event.version,
            message_id=f"kasus {values['id']}: versi {event.version} menyusul versi "
            f"{values['version']}",
        )
    if "attrs" in event.changes:
        values["attrs"] = {**values["attrs"], **event.changes["attrs"]}
    values.update(changes)
    values["version"] = event.version
    values["updated_at"] = event.occurred_at
