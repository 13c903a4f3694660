"""The service layer: one function per command. Load, decide, append events and outbox rows, commit.

Knows nothing of PKH: workflows come from a registry, the holiday calendar from a factory, and
the clock is injected so tests and the sweep can run at any moment.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, Protocol, cast

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.audit import ChainedEvent
from engine.calendar import WorkingCalendar
from engine.definition import WorkflowDefinition
from engine.errors import (
    CaseNotFound,
    ConcurrencyConflict,
    InvalidInput,
    NotFound,
    StoredDataUnreadable,
    UnknownActor,
    instant,
)
from engine.machine import Command, Env, compile_workflow
from engine.state import SYSTEM, Actor, CaseState, Event, ReplayError, evolve, replay
from engine.store import repository as repo
from engine.store.db import Database
from engine.store.tables import IdempotencyRow


class WorkflowSource(Protocol):
    def get(self, name: str, version: int | None = None) -> WorkflowDefinition: ...


@dataclass(frozen=True)
class CalendarDay:
    day: date
    working: bool
    name: str


CalendarFactory = Callable[[Sequence[CalendarDay]], WorkingCalendar]


@dataclass(frozen=True)
class FollowUp:
    """A command another case must take in the same transaction (a process-manager step)."""

    trigger: str
    data: Mapping[str, Any]
    case_id: str | None = None  # an existing case...
    workflow: str | None = None  # ...or a new case of this workflow
    note: str | None = None


@dataclass(frozen=True)
class ReactionContext:
    """What a reaction may look at: the open transaction (read-only use) and the moment."""

    session: Session
    now: datetime


# (workflow, event type) -> functions returning follow-ups; they run as the `system` actor
ReactionFn = Callable[[ReactionContext, CaseState, Event], Sequence[FollowUp]]
# extra facts for decisions, looked up in the command's transaction (e.g. suspensions)
FactsProvider = Callable[[Session, Command, CaseState | None], Mapping[str, Any]]
# a workflow's own derived tables (e.g. the KPM register's NIK index), written in the same
# transaction as each of its cases' events: (session, the case before or None, after)
ProjectorFn = Callable[[Session, CaseState | None, CaseState], None]
# workflow name -> the roles that may read its cases (within their region); a workflow not
# named is read by every role. Declared with the workflows, passed in by the wiring.
Readers = Mapping[str, Collection[str]]
MAX_REACTION_DEPTH = 3


RETRIES = 5
_UNREAD = object()  # see CaseService._read_as


def utcnow() -> datetime:
    return datetime.now(UTC)


class CaseService:
    def __init__(
        self,
        db: Database,
        workflows: WorkflowSource,
        calendar_factory: CalendarFactory,
        *,
        clock: Callable[[], datetime] = utcnow,
        max_backdate: timedelta = timedelta(days=60),
        facts_provider: FactsProvider | None = None,
        reactions: Mapping[tuple[str, str], Sequence[ReactionFn]] | None = None,
        workflow_facts: Mapping[str, FactsProvider] | None = None,
        projectors: Mapping[str, Sequence[ProjectorFn]] | None = None,
        readers: Readers | None = None,
        staff_register: Callable[[Session], repo.StaffRegister] | None = None,
    ) -> None:
        self.db = db
        # who the staff register relieves of duty, and its records' accounts (wired in):
        # officers it relieves are not told of cases, nor is an officer a case is about
        self._staff_register = staff_register
        self.readers = {w: frozenset(roles) for w, roles in (readers or {}).items()}
        self.facts_provider = facts_provider
        # by workflow name: the facts only that workflow's register knows, and its projectors
        self.workflow_facts = dict(workflow_facts or {})
        self.projectors = dict(projectors or {})
        self.reactions = dict(reactions or {})
        self.workflows = workflows
        self._calendar_factory = calendar_factory
        # (store token, overrides, calendar): see _calendar
        self._calendar_cache: tuple[str | None, tuple[Any, ...], WorkingCalendar] | None = None
        self.clock = clock
        self.max_backdate = max_backdate

    # -- commands --------------------------------------------------------------------------------
    def open_case(
        self,
        workflow: str,
        data: Mapping[str, Any],
        actor: str,
        *,
        at: datetime | None = None,
        note: str | None = None,
        once: Once | None = None,
    ) -> CaseState:
        return self.open_case_once(workflow, data, actor, at=at, note=note, once=once).state

    def open_case_once(
        self,
        workflow: str,
        data: Mapping[str, Any],
        actor: str,
        *,
        at: datetime | None = None,
        note: str | None = None,
        once: Once | None = None,
    ) -> Outcome:
        definition = self.workflows.get(workflow)
        now = self.clock()
        try:
            with self.db.transaction() as s:
                who = self._actor(s, actor)
                done = _replayed(s, who, once)
                if done:
                    return done
                given_in = at.tzinfo if at else None
                at = instant(at, definition.creation_time_field) if at else now
                state = self._open_in(s, definition, data, who, at, note, now, given_in=given_in)
                return _remember(s, who, once, state, now)
        except IntegrityError:
            # The same key sent again while its first sending was being recorded (PostgreSQL:
            # both passed the key check, the first committed): the retry gets the first's
            # answer, and its own case, number included, was rolled back.
            if once is None:
                raise
            with self.db.reading() as s:
                done = _replayed(s, self._actor(s, actor), once)
            if done is None:
                raise
            return done

    def open_and_apply(
        self,
        workflow: str,
        data: Mapping[str, Any],
        actor: str,
        trigger: str,
        event_data: Mapping[str, Any],
        *,
        at: datetime | None = None,
        note: str | None = None,
    ) -> CaseState:
        """Open a case and apply its first command in one transaction: both happen or neither
        (a refused first sanction leaves no empty discipline record, no used case number)."""
        definition = self.workflows.get(workflow)
        now = self.clock()
        with self.db.transaction() as s:
            who = self._actor(s, actor)
            opened_at = instant(at, definition.creation_time_field) if at else now
            given_in = at.tzinfo if at else None
            state = self._open_in(s, definition, data, who, opened_at, None, now, given_in=given_in)
            cmd = Command(trigger, who, at or now, dict(event_data), note)
            return self._decide_and_store(s, definition, state, cmd, now)

    def apply(
        self,
        case_id: str,
        trigger: str,
        data: Mapping[str, Any],
        actor: str,
        *,
        at: datetime | None = None,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> CaseState:
        return self.apply_once(
            case_id, trigger, data, actor, at=at, note=note, expected_version=expected_version
        ).state

    def apply_once(
        self,
        case_id: str,
        trigger: str,
        data: Mapping[str, Any],
        actor: str,
        *,
        at: datetime | None = None,
        note: str | None = None,
        expected_version: int | None = None,
        once: Once | None = None,
    ) -> Outcome:
        # Without an expected version the caller means "whatever is current": a lost race is
        # retried on the new state. With one, a lost race is the caller's conflict to resolve.
        attempts = 1 if expected_version is not None else RETRIES
        for attempt in range(attempts):
            try:
                with self.db.transaction() as s:
                    # the case and the actor's account in one statement where it can be
                    # (`_actor` then answers from the unit of work)
                    read = self._read_as(s, case_id, actor, for_update=True)
                    who = self._actor(s, actor)
                    done = _replayed(s, who, once)
                    if done:
                        return replace(done, actor=who)
                    state = self._visible(s, case_id, who, for_update=True, read=read)
                    # "now" is read once this case is ours: a writer that won the race
                    # earlier cannot leave us with a time before its event
                    now = self.clock()
                    if expected_version is not None and expected_version != state.version:
                        raise ConcurrencyConflict(case_id, expected_version, state.version)
                    definition = self.workflows.get(state.workflow, state.workflow_version)
                    cmd = Command(trigger, who, at or now, dict(data), note)
                    new_state = self._decide_and_store(s, definition, state, cmd, now)
                    return replace(_remember(s, who, once, new_state, now), actor=who)
            except IntegrityError:
                # Another writer appended the same version (or used the same key) first.
                if once is not None:
                    with self.db.reading() as s:
                        who = self._actor(s, actor)
                        done = _replayed(s, who, once)
                    if done:
                        return replace(done, actor=who)
                with self.db.reading() as s:
                    current = repo.current_version(s, case_id)
                if attempt + 1 == attempts:
                    raise ConcurrencyConflict(
                        case_id, expected_version or current - 1, current
                    ) from None
        raise AssertionError("unreachable")

    def _open_in(
        self,
        s: Session,
        definition: WorkflowDefinition,
        data: Mapping[str, Any],
        who: Actor,
        at: datetime,
        note: str | None,
        now: datetime,
        depth: int = 0,
        *,
        given_in: tzinfo | None = None,
    ) -> CaseState:
        repo.hold_cases(s)  # a calendar change under way commits first (PostgreSQL)
        key = f"{definition.id_prefix}-{at.year}"
        case_id = f"{key}-{repo.next_case_number(s, key):06d}"
        trigger = _trigger_for_creation(definition)
        cmd = Command(trigger, who, at, dict(data), note, case_id, given_in=given_in)
        return self._decide_and_store(s, definition, None, cmd, now, depth)

    def _decide_and_store(
        self,
        s: Session,
        definition: WorkflowDefinition,
        state: CaseState | None,
        cmd: Command,
        now: datetime,
        depth: int = 0,
    ) -> CaseState:
        _check_note(cmd.note)
        facts = self._facts(s, cmd, state, definition.name)
        env = Env(self._calendar(s), now, self.max_backdate, facts)
        events = compile_workflow(definition).decide(state, cmd, env)
        expected = state.version if state else 0
        repo.append(s, events, expected)
        new_state = state
        outbox = []
        for ev in events:
            new_state = evolve(new_state, ev)
            outbox += [
                repo.outbox_row(ev, template, recipient, now)
                for template in definition.notifications.get(ev.type, ())
                for recipient in repo.addressees(
                    s,
                    new_state,
                    definition.recipients(new_state, template),
                    lambda: self.staff_register(s),
                    definition.levels,
                )
            ]
        assert new_state is not None
        repo.save_projection(s, new_state, expected, before=state)
        for project in self.projectors.get(definition.name, ()):
            project(s, state, new_state)
        repo.add_outbox(s, outbox)
        self._react(s, new_state, events, cmd.occurred_at, now, depth)
        return new_state

    def _react(
        self,
        s: Session,
        state: CaseState,
        events: Sequence[Event],
        at: datetime,
        now: datetime,
        depth: int,
    ) -> None:
        """Run the reactions to these events in the same transaction, as the system actor."""
        ctx = ReactionContext(s, now)
        for ev in events:
            for react in self.reactions.get((state.workflow, ev.type), ()):
                for step in react(ctx, state, ev):
                    if depth >= MAX_REACTION_DEPTH:
                        raise RuntimeError(f"reactions nest deeper than {MAX_REACTION_DEPTH}")
                    self._follow(s, step, at, now, depth + 1)

    def _follow(self, s: Session, step: FollowUp, at: datetime, now: datetime, depth: int) -> None:
        if step.case_id is None:
            definition = self.workflows.get(str(step.workflow))
            self._open_in(s, definition, step.data, SYSTEM, at, step.note, now, depth)
            return
        other = repo.load_case(s, step.case_id, for_update=True)
        if other is None:
            raise CaseNotFound(step.case_id)
        definition = self.workflows.get(other.workflow, other.workflow_version)
        when = max(at, other.updated_at) if other.updated_at else at
        cmd = Command(step.trigger, SYSTEM, when, dict(step.data), step.note)
        self._decide_and_store(s, definition, other, cmd, now, depth)

    # -- reads -----------------------------------------------------------------------------------
    def may_read(self, who: Actor, state: CaseState) -> bool:
        """The one read-scope rule: a case within the actor's region, of a workflow its role
        may read (`readers`). Any other case does not exist for the actor (not found, left out
        of lists), so its existence does not leak."""
        return self._may_read(who, state.workflow, state.region)

    def _may_read(self, who: Actor, workflow: str, region: str) -> bool:
        roles = self.readers.get(workflow)
        return who.covers(region) and (roles is None or who.role in roles)

    def readable_of(self, who: Actor, case_ids: Collection[str]) -> frozenset[str]:
        """Those of the cases `case_ids` that `who` may open (`may_read`), in one statement
        whatever their number (a list asks it about each of its cases' households at once);
        one that does not exist is not among them."""
        if not case_ids:
            return frozenset()
        with self.db.reading() as s:
            scopes = repo.case_scopes(s, case_ids)
        return frozenset(i for i, (wf, region) in scopes.items() if self._may_read(who, wf, region))

    def unreadable(self, who: Actor) -> tuple[str, ...]:
        """The workflows `who` may not read at all: a worklist leaves them out
        (`CaseFilter.hidden_workflows`), as `may_read` does for one case."""
        return tuple(sorted(w for w, roles in self.readers.items() if who.role not in roles))

    def get(self, case_id: str, actor: str | None = None) -> CaseState:
        with self.db.reading() as s:
            if actor is None:
                state = repo.load_case(s, case_id)
                if state is None:
                    raise CaseNotFound(case_id)
                return state
            return self._visible(s, case_id, self._actor(s, actor))

    def get_as(self, case_id: str, actor: str) -> tuple[Actor, CaseState]:
        """The account `actor` (UnknownActor if unknown or inactive) and the case as it may
        see it, in one read: one statement where the case exists."""
        with self.db.reading() as s:
            read = self._read_as(s, case_id, actor)
            who = self._actor(s, actor)
            return who, self._visible(s, case_id, who, read=read)

    def history(self, case_id: str, actor: str | None = None) -> list[ChainedEvent]:
        if actor is not None:
            return self.recorded(case_id, actor)[1]
        with self.db.reading() as s:  # no one to check: the events alone (replay's path)
            events = repo.load_events(s, case_id)
        if not events:
            raise CaseNotFound(case_id)
        return events

    def recorded(
        self,
        case_id: str,
        actor: str | None = None,
        *,
        replayed_for: Collection[str] = (),
    ) -> tuple[CaseState, list[ChainedEvent]]:
        """The case and its events, read in one snapshot. Where its stored row is gone or
        cannot be read (verify: `projection_missing`, `projection_unreadable`), the roles in
        `replayed_for` (the auditors; anyone when no actor is given) get the case as its
        events replay: they still say which region it belongs to, so an auditor can look into
        it. Others find the case not found, or unreadable, as everywhere else. Events that
        cannot be read are refused (`StoredDataUnreadable`)."""
        unreadable: StoredDataUnreadable | None = None
        with self.db.reading(snapshot=True) as s:
            who = self._actor(s, actor) if actor is not None else None
            try:
                state = repo.load_case(s, case_id)
            except StoredDataUnreadable as e:  # the row was read whole; one value is bad
                state, unreadable = None, e
            try:
                events = repo.load_events(s, case_id)
            except StoredDataUnreadable:
                # said only to whoever may read the case (its row says the region): to anyone
                # else it does not exist, damaged or not
                if who is None or (state is None and who.region is None):
                    raise
                if state is not None and self.may_read(who, state):
                    raise
                raise CaseNotFound(case_id) from None
        if not events:
            raise CaseNotFound(case_id)
        if state is None:
            if who is not None and who.role not in replayed_for:
                raise unreadable or CaseNotFound(case_id)
            try:
                state = replay(c.event for c in events)
            except ReplayError:  # events that do not replay say no region
                state = None
        if state is None or (who is not None and not self.may_read(who, state)):
            raise CaseNotFound(case_id)
        return state, events

    def replay(
        self,
        case_id: str,
        as_of: datetime | None = None,
        *,
        basis: str = "recorded",
        actor: str | None = None,
    ) -> CaseState | None:
        if basis not in ("recorded", "occurred"):
            raise InvalidInput("basis", "must be 'recorded' or 'occurred'")
        return replay((c.event for c in self.history(case_id, actor)), as_of=as_of, basis=basis)

    def allowed_events(self, state: CaseState, actor: str) -> list[str]:
        definition = self.workflows.get(state.workflow, state.workflow_version)
        with self.db.reading() as s:
            who = self._actor(s, actor)
        return compile_workflow(definition).allowed_for(state, who)

    def calendar(self) -> WorkingCalendar:
        with self.db.reading() as s:
            return self._calendar(s)

    def staff_register(self, s: Session) -> repo.StaffRegister:
        """What the staff register says of accounts (nothing without one wired in)."""
        return self._staff_register(s) if self._staff_register else repo.NO_REGISTER

    def calendar_in(self, s: Session) -> WorkingCalendar:
        """The working calendar as the transaction `s` sees it (engine.bulk)."""
        return self._calendar(s)

    def actor(self, username: str) -> Actor:
        with self.db.reading() as s:
            return self._actor(s, username)

    # -- helpers ---------------------------------------------------------------------------------
    def _actor(self, s: Session, username: str) -> Actor:
        if username == SYSTEM.username:
            return SYSTEM
        row = repo.user_row(s, username)
        if row is None or not row.active:
            raise UnknownActor(f"unknown or inactive user: {username}")
        return Actor(row.username, row.role, row.region, row.staff_name)

    def _read_as(
        self, s: Session, case_id: str, username: str, *, for_update: bool = False
    ) -> CaseState | None | object:
        """The case, read with the account `username` (`repo.load_case_as`) for `_actor` and
        `_visible` to use; `_UNREAD` for the system actor, which has no account."""
        if username == SYSTEM.username:
            return _UNREAD
        return repo.load_case_as(s, case_id, username, for_update=for_update)

    def _visible(
        self,
        s: Session,
        case_id: str,
        who: Actor,
        *,
        for_update: bool = False,
        read: CaseState | None | object = _UNREAD,
    ) -> CaseState:
        state = (
            repo.load_case(s, case_id, for_update=for_update)
            if read is _UNREAD
            else cast(CaseState | None, read)
        )
        # Outside what the actor may read a case does not exist, so existence does not leak.
        if state is None or not self.may_read(who, state):
            raise CaseNotFound(case_id)
        return state

    def actor_facts(self, s: Session, actor: Actor) -> dict[str, Any]:
        """What every decision knows of the one acting (a suspension, by the account or by
        the staff register): for doors that decide through `engine.bulk`, asked once per
        actor and batch, so a person relieved of duty is refused there too."""
        facts = self._facts(s, Command("", actor, self.clock(), {}, None), None, "")
        return {k: v for k, v in facts.items() if k == "actor_suspended"}

    def _facts(
        self, s: Session, cmd: Command, state: CaseState | None, workflow: str
    ) -> dict[str, Any]:
        facts: dict[str, Any] = {}
        me = repo.user_row(s, cmd.actor.username)
        facts["actor_suspended"] = bool(me and me.suspended)
        # read as the workflows' parsers read them (trimmed; a case number in upper case), or a
        # value they accept would be looked up as typed and reported "unknown"
        handler = str(cmd.data.get("handler") or "").strip()
        if handler:
            row = repo.user_row(s, handler)
            if row is None:  # typed in another case: the one account it matches, if one
                names = repo.usernames_ignoring_case(s, handler, 2)
                row = repo.user_row(s, names[0]) if len(names) == 1 else None
            if row is not None and row.active:
                facts["handler_user"] = Actor(row.username, row.role, row.region)
                facts["handler_suspended"] = row.suspended
        other = str(cmd.data.get("duplicate_of") or "").strip().upper()
        if other:
            # a duplicate of a case the actor may see, of the same workflow: a case outside the
            # actor's region is "not found" here as everywhere (its existence does not leak,
            # and the reporter is not sent to follow a case nobody here can see)
            found = repo.load_case(s, str(other))
            facts["duplicate_exists"] = (
                found is not None
                and self.may_read(cmd.actor, found)
                and (state is None or found.workflow == state.workflow)
            )
        if self.facts_provider is not None:
            provided = dict(self.facts_provider(s, cmd, state))
            # a suspension known to either source counts
            for key in ("actor_suspended", "handler_suspended"):
                if facts.get(key):
                    provided.pop(key, None)
            facts.update(provided)
        own = self.workflow_facts.get(workflow)
        if own is not None:
            facts.update(own(s, cmd, state))
        return facts

    def _calendar(self, s: Session) -> WorkingCalendar:
        """The working calendar under the overrides this unit of work sees. Kept while the
        store's calendar token is the one it was built under (the token came with the
        actor's row); otherwise the overrides are read, and the calendar rebuilt only if they
        differ from those it was built from."""
        token = repo.calendar_token(s)
        cached = self._calendar_cache
        if cached is not None and token is not None and cached[0] == token:
            return cached[2]
        rows = repo.calendar_overrides(s)
        key = tuple(sorted((r.day, r.working) for r in rows))
        if cached is None or cached[1] != key:
            days = [CalendarDay(r.day, r.working, r.name) for r in rows]
            cached = (token, key, self._calendar_factory(days))
        self._calendar_cache = (token, cached[1], cached[2])
        return cached[2]


@dataclass(frozen=True)
class Once:
    """An idempotency key: the first response is kept and returned to every retry."""

    key: str
    fingerprint: str  # of the request; the same key with another request is refused
    respond: Callable[[CaseState, Actor], dict[str, Any]]
    status_code: int = 200


@dataclass(frozen=True)
class Outcome:
    state: CaseState
    status_code: int = 200
    response: dict[str, Any] | None = None
    replayed: bool = False
    actor: Actor | None = None  # who acted, as read in the command's own transaction


def _replayed(s: Session, who: Actor, once: Once | None) -> Outcome | None:
    if once is None:
        return None
    row = s.get(IdempotencyRow, (who.username, once.key))
    if row is None:
        return None
    if row.fingerprint != once.fingerprint:
        raise InvalidInput("Idempotency-Key", "was already used for a different request")
    state = repo.load_case(s, row.case_id)
    assert state is not None
    return Outcome(state, row.status_code, dict(row.response), replayed=True)


def _remember(
    s: Session, who: Actor, once: Once | None, state: CaseState, now: datetime
) -> Outcome:
    if once is None:
        return Outcome(state)
    body = once.respond(state, who)
    s.add(
        IdempotencyRow(
            username=who.username,
            key=once.key,
            fingerprint=once.fingerprint,
            case_id=state.id,
            version=state.version,
            status_code=once.status_code,
            response=body,
            created_at=now,
        )
    )
    s.flush()
    return Outcome(state, once.status_code, body)


def _trigger_for_creation(definition: WorkflowDefinition) -> str:
    for t in definition.transitions:
        if definition.initial in t.source:
            return t.trigger
    raise NotFound(f"workflow {definition.name} has no creation event")


NOTE_MAX = 2000  # characters: an officer's note on an event (the doors say so too)


def _check_note(note: str | None) -> None:
    """Every door's notes pass here (the API's schema, the pages, the command line, the
    flows): a note longer than NOTE_MAX, or with a NUL character, is refused naming it."""
    if note is None:
        return
    if len(note) > NOTE_MAX:
        raise InvalidInput(
            "note",
            f"is {len(note):,} characters long; at most {NOTE_MAX:,}",
            # Indonesian groups thousands with a dot: 2.001
            message_id=f"panjangnya {len(note):,} karakter; paling banyak {NOTE_MAX:,}".replace(
                ",", "."
            ),
        )
    if "\x00" in note:
        raise InvalidInput(
            "note",
            "contains a NUL character",
            message_id="mengandung karakter NUL",
        )
