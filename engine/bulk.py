"""Many commands in one transaction: the bulk path for imports and flows over many cases.

Each command is decided exactly as `CaseService` decides it (the shared machine, guards, effects,
the same Env), and what it records is what the service records: events hash-chained with
`engine.audit.chain`, the projection row, outbox rows, and gapless case numbers from the
same `case_counters` row. Only the writing is batched: one multi-row insert or update per table
for the whole batch, inside the caller's transaction, so `audit_runner.verify` holds.

A refused command is returned as its error and writes nothing; the rest of the batch goes on.
Knows nothing of PKH.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.audit import GENESIS, chain
from engine.calendar import WorkingCalendar
from engine.definition import WorkflowDefinition
from engine.errors import (
    CaseNotFound,
    ConcurrencyConflict,
    EngineError,
    InvalidInput,
    instant,
)
from engine.machine import Command, Env, compile_workflow
from engine.state import Actor, CaseState, Event, evolve
from engine.store import repository as repo


@dataclass(frozen=True)
class Item:
    """One command of a batch. `facts` are what the door looked up beforehand (see Env)."""

    trigger: str
    data: Mapping[str, Any]
    actor: Actor
    at: datetime
    case_id: str | None = None  # None: open a new case
    note: str | None = None
    facts: Mapping[str, Any] = field(default_factory=dict)


Result = CaseState | EngineError


@dataclass
class Bulk:
    """The deciding context of a batch: workflows, calendar and clock, as the service has them."""

    workflows: Any  # WorkflowSource: .get(name, version)
    calendar: WorkingCalendar
    now: datetime
    max_backdate_days: int = 60
    # what every decision knows of the actor (CaseService.actor_facts: a suspension)
    actor_facts: Callable[[Session, Actor], Mapping[str, Any]] | None = None
    # the working calendar as a transaction sees it (CaseService.calendar_in): each batch
    # decides under the calendar of its own moment, read under the cases' writer lock
    calendar_in: Callable[[Session], WorkingCalendar] | None = None
    # what the staff register says of accounts (CaseService.staff_register): an office's
    # notices leave out those it relieves of duty, as the service's do
    staff_register: Callable[[Session], repo.StaffRegister] | None = None

    def _hold(self, s: Session) -> None:
        """Before a batch decides: wait for a calendar change under way, then count under
        the calendar as it is (a batch of a long import may follow a later SKB)."""
        repo.hold_cases(s)
        if self.calendar_in is not None:
            self.calendar = self.calendar_in(s)

    def _register(self, s: Session) -> Callable[[], repo.StaffRegister]:
        """The staff register as `repository.addressees` asks for it: read when first
        needed, once per batch."""
        read = self.staff_register
        known: list[repo.StaffRegister] = []

        def register() -> repo.StaffRegister:
            if not known:
                known.append(read(s) if read is not None else repo.NO_REGISTER)
            return known[0]

        return register

    def _env(self, s: Session, item: Item, known: dict[str, Mapping[str, Any]]) -> Env:
        facts = item.facts
        if self.actor_facts is not None:
            name = item.actor.username
            if name not in known:
                known[name] = self.actor_facts(s, item.actor)
            facts = {**known[name], **item.facts}
        return Env(self.calendar, self.now, timedelta(days=self.max_backdate_days), facts)

    # -- new cases -------------------------------------------------------------------------------
    def open_cases(self, s: Session, workflow: str, items: Sequence[Item]) -> list[Result]:
        """Decide and record a new case per item; numbers are taken only by accepted items."""
        self._hold(s)
        definition = self.workflows.get(workflow)
        compiled = compile_workflow(definition)
        creation = _creation_trigger(definition)
        results: list[Result] = []
        next_no: dict[str, int] = {}
        events: list[Event] = []
        known: dict[str, Mapping[str, Any]] = {}
        for item in items:
            try:
                at = instant(item.at, definition.creation_time_field)
                key = f"{definition.id_prefix}-{at.year}"
                if key not in next_no:
                    next_no[key] = _lock_counter(s, key) + 1
                cmd = Command(
                    creation, item.actor, item.at, item.data, item.note, f"{key}-{next_no[key]:06d}"
                )
                decided = compiled.decide(None, cmd, self._env(s, item, known))
            except EngineError as e:
                results.append(e)
                continue
            next_no[key] += 1
            state = None
            for ev in decided:
                state = evolve(state, ev)
            assert state is not None
            events += decided
            results.append(state)
        for key, n in next_no.items():
            _set_counter(s, key, n - 1)
        created = [r for r in results if isinstance(r, CaseState)]
        _insert_events(s, events, {})
        repo.insert_projections(s, created)
        _outbox(s, definition, events, created, self.now, self._register(s))
        return results

    # -- existing cases --------------------------------------------------------------------------
    def apply(self, s: Session, items: Sequence[Item]) -> list[Result]:
        """Decide and record one command per item on existing cases (one item per case)."""
        ids = [i.case_id for i in items if i.case_id]
        if len(set(ids)) != len(ids) or len(ids) != len(items):
            raise InvalidInput("case_id", "a batch applies one command to each of distinct cases")
        self._hold(s)
        states = load_for_update(s, ids)
        results: list[Result] = []
        changed: list[tuple[CaseState, CaseState, list[Event]]] = []
        known: dict[str, Mapping[str, Any]] = {}
        for item in items:
            assert item.case_id is not None
            state = states.get(item.case_id)
            try:
                if state is None or not item.actor.covers(state.region):
                    raise CaseNotFound(item.case_id)
                definition = self.workflows.get(state.workflow, state.workflow_version)
                cmd = Command(item.trigger, item.actor, item.at, item.data, item.note)
                decided = compile_workflow(definition).decide(state, cmd, self._env(s, item, known))
            except EngineError as e:
                results.append(e)
                continue
            new = state
            for ev in decided:
                new = evolve(new, ev)
            changed.append((state, new, decided))
            results.append(new)
        if changed:
            record(s, changed)
            register = self._register(s)
            for old, new, evs in changed:
                definition = self.workflows.get(old.workflow, old.workflow_version)
                _outbox(s, definition, evs, [new], self.now, register)
        return results


def record(s: Session, changed: Sequence[tuple[CaseState, CaseState, Sequence[Event]]]) -> None:
    """Write what was decided for existing cases, each (state as read, state after, its new
    events): the events chained from each case's head and the projections updated at the
    version read, in one statement per table. Outbox rows are the caller's."""
    if not changed:
        return
    heads = _heads(s, [(old.id, old.version) for old, _, _ in changed])
    _insert_events(s, [ev for _, _, evs in changed for ev in evs], heads)
    _update_projections(s, [(old.version, new) for old, new, _ in changed])


def load_for_update(s: Session, case_ids: Sequence[str]) -> dict[str, CaseState]:
    """The cases' rows, locked until the transaction ends (PostgreSQL; SQLite holds its write
    lock from BEGIN IMMEDIATE)."""
    out: dict[str, CaseState] = {}
    for chunk in _chunks(sorted(case_ids), 500):
        q = sa.select(repo.CASES).where(repo.CASES.c.id.in_(chunk)).order_by(repo.CASES.c.id)
        for row in s.execute(q.with_for_update()):
            out[row.id] = repo.state_from_row(row)
    return out


def _creation_trigger(definition: WorkflowDefinition) -> str:
    for t in definition.transitions:
        if definition.initial in t.source:
            return t.trigger
    raise InvalidInput("workflow", f"{definition.name} has no creation event")


def _lock_counter(s: Session, key: str) -> int:
    """The last number issued under `key`, with the counter row locked until commit."""
    stmt = sa.text(
        "INSERT INTO case_counters (key, last) VALUES (:k, 0) "
        "ON CONFLICT (key) DO UPDATE SET last = case_counters.last RETURNING last"
    )
    return int(s.execute(stmt, {"k": key}).scalar_one())


def _set_counter(s: Session, key: str, last: int) -> None:
    s.execute(repo.COUNTERS.update().where(repo.COUNTERS.c.key == key).values(last=last))


def _heads(s: Session, versions: Sequence[tuple[str, int]]) -> dict[str, str]:
    ev = repo.EV
    out: dict[str, str] = {}
    for chunk in _chunks(list(versions), 500):
        q = sa.select(ev.c.case_id, ev.c.hash).where(
            sa.tuple_(ev.c.case_id, ev.c.version).in_(chunk)
        )
        out.update((r.case_id, r.hash) for r in s.execute(q))
    missing = [(c, v) for c, v in versions if c not in out and v > 0]
    if missing:
        raise ConcurrencyConflict(missing[0][0], missing[0][1], 0)
    return out


def _insert_events(s: Session, events: Sequence[Event], heads: dict[str, str]) -> None:
    """Chain each case's events from its head (GENESIS for a new case) and insert them all."""
    rows = []
    prev = dict(heads)
    for ev in events:
        before = prev.get(ev.case_id, GENESIS)
        payload, h = chain(before, ev)
        rows.append(repo.event_row(ev, before, h, payload))
        prev[ev.case_id] = h
    repo.insert_events(s, rows)


def _update_projections(s: Session, updates: Sequence[tuple[int, CaseState]]) -> None:
    values = [repo.state_values(st) for _, st in updates]
    stmt = (
        sa.update(repo.CASES)
        .where(repo.CASES.c.id == sa.bindparam("_id"))
        .where(repo.CASES.c.version == sa.bindparam("_expected"))
        .values({c: sa.bindparam(f"_{c}") for c in values[0]})
    )
    params = [
        {"_id": st.id, "_expected": v, **{f"_{k}": x for k, x in vals.items()}}
        for (v, st), vals in zip(updates, values, strict=True)
    ]
    result = s.execute(stmt, params)
    dialect = s.get_bind().dialect
    if dialect.supports_sane_multi_rowcount and result.rowcount != len(params):  # type: ignore[attr-defined]
        current = repo.current_version(s, updates[0][1].id)
        raise ConcurrencyConflict(updates[0][1].id, updates[0][0], current)


def _outbox(
    s: Session,
    definition: WorkflowDefinition,
    events: Sequence[Event],
    states: Sequence[CaseState],
    now: datetime,
    register: Callable[[], repo.StaffRegister] = lambda: repo.NO_REGISTER,
) -> None:
    if not definition.notifications:
        return
    by_id = {st.id: st for st in states}
    rows = [
        repo.outbox_row(ev, template, recipient, now)
        for ev in events
        if ev.case_id in by_id
        for template in definition.notifications.get(ev.type, ())
        for recipient in repo.addressees(
            s,
            by_id[ev.case_id],
            definition.recipients(by_id[ev.case_id], template),
            register,
            definition.levels,
        )
    ]
    repo.add_outbox(s, rows)


def _chunks(values: list[Any], size: int) -> list[list[Any]]:
    return [values[i : i + size] for i in range(0, len(values), size)]
