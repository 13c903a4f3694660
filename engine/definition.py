"""Workflow definitions as versioned data: states, transitions, guards, budgets, notifications.

A definition knows nothing of storage or HTTP. Guards, routing predicates and effects are small pure
functions referenced by name, so the definition itself reads as a table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from engine.errors import Reason

if TYPE_CHECKING:
    from engine.machine import Decision
    from engine.state import CaseState


@dataclass(frozen=True)
class Budget:
    """How long a stage or level may take: working days, or calendar months (referrals)."""

    working_days: int = 0
    months: int = 0

    def __str__(self) -> str:
        return f"{self.months} bulan" if self.months else f"{self.working_days} hari kerja"


@dataclass(frozen=True)
class DeadlinePolicy:
    """What the deadline sweep does for a workflow's open cases, declared as data."""

    due_soon_days: int = 2  # remind once when the stage is due within this many working days
    remind_due_today: bool = True
    remind_overdue_daily: bool = True  # then once each working day while overdue
    notify_supervisor: bool = True  # tell the level above once a stage is overdue
    # working days of grace after a level deadline before `escalate_trigger` runs, by level;
    # a level missing here is never escalated automatically
    escalate_after: Mapping[str, int] = field(default_factory=dict)
    escalate_trigger: str = "escalate"
    office_hours: tuple[time, time] = (time(8, 0), time(16, 0))  # local, office's own zone


@dataclass(frozen=True)
class StateDef:
    name: str
    level: str | None = None
    stage: str | None = None
    closed: bool = False
    label_id: str = ""
    label_en: str = ""


@dataclass(frozen=True)
class TransitionDef:
    trigger: str
    source: tuple[str, ...]
    dest: str
    event_type: str
    roles: frozenset[str]
    guards: tuple[str, ...] = ()
    when: tuple[str, ...] = ()  # routing predicates: choose among alternatives, never refuse
    effect: str | None = None
    required: tuple[str, ...] = ()  # keys of the command's data that must be present
    internal: bool = False  # stays in the same state without restarting any clock
    label: str = ""


@dataclass(frozen=True)
class Effect:
    """What an effect decides beyond the state change: field changes, attrs, and event payload."""

    changes: Mapping[str, Any] = field(default_factory=dict)
    attrs: Mapping[str, Any] = field(default_factory=dict)
    payload: Mapping[str, Any] = field(default_factory=dict)


GuardFn = Callable[["Decision"], Reason | None]
PredicateFn = Callable[["Decision"], bool]
EffectFn = Callable[["Decision"], Effect]
ParseFn = Callable[[Mapping[str, Any]], dict[str, Any]]
ZoneFn = Callable[[str | None, str], ZoneInfo]  # (level, region) -> the handling office's zone


OFFICE = "office"  # a recipient: the officers of the case's level covering its region
# a recipient: another reporter of the same case, by its key in the case's `linked_reporters`
# ("reporter:2"); written to at the address the case holds for them now
LINKED_REPORTER = "reporter:"


@dataclass(frozen=True, eq=False)
class WorkflowDefinition:
    name: str
    version: int
    id_prefix: str
    initial: str  # a pseudo-state before creation; never stored
    states: tuple[StateDef, ...]
    transitions: tuple[TransitionDef, ...]
    stage_budgets: Mapping[str, Budget]  # by state name
    level_budgets: Mapping[str, Budget]  # by level
    zone_for: ZoneFn
    guards: Mapping[str, GuardFn] = field(default_factory=dict)
    predicates: Mapping[str, PredicateFn] = field(default_factory=dict)
    effects: Mapping[str, EffectFn] = field(default_factory=dict)
    parsers: Mapping[str, ParseFn] = field(default_factory=dict)  # by trigger: validate data
    # by trigger: the data keys a command takes; any other key is refused naming it (a trigger
    # left out takes no data). None: the parsers alone decide (as the KPM ones do, with `only`)
    inputs: Mapping[str, tuple[str, ...]] | None = None
    # event type -> templates
    notifications: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # who receives a template for this case; () writes no outbox row (e.g. an anonymous reporter).
    # "reporter", a linked reporter (LINKED_REPORTER + key), "staff", "user:<name>", or OFFICE:
    # every officer who can act on the case at its level and region (active, not suspended,
    # not its subject), expanded when queued
    recipients: Callable[[CaseState, str], tuple[str, ...]] = field(
        default=lambda _s, _t: ("reporter",)
    )
    levels: tuple[str, ...] = ()  # escalation order, lowest first
    # guards that read only the case and the actor: offered events are filtered by them
    static_guards: frozenset[str] = frozenset()
    creation_time_field: str = "at"  # how doors name the creation event's time
    deadline_policy: DeadlinePolicy | None = None
    title_id: str = ""
    title_en: str = ""

    def __post_init__(self) -> None:
        names = {s.name for s in self.states}
        problems = [
            f"{t.trigger}: unknown state {s}"
            for t in self.transitions
            for s in (*t.source, t.dest)
            if s not in names and s != self.initial
        ]
        problems += [
            f"{t.trigger}: unknown {kind} {n}"
            for t in self.transitions
            for kind, n, table in (
                *(("guard", g, self.guards) for g in t.guards),
                *(("predicate", p, self.predicates) for p in t.when),
                *((("effect", t.effect, self.effects),) if t.effect else ()),
            )
            if n not in table
        ]
        if self.inputs is not None:
            problems += [
                f"{t.trigger}: requires {k}, which it does not take (inputs)"
                for t in self.transitions
                for k in t.required
                if k not in self.inputs.get(t.trigger, ())
            ]
            triggers = {t.trigger for t in self.transitions}
            problems += [f"inputs: unknown trigger {k}" for k in self.inputs if k not in triggers]
        if problems:
            raise ValueError(f"workflow {self.name} v{self.version} is inconsistent: {problems}")

    @property
    def key(self) -> tuple[str, int]:
        return (self.name, self.version)

    def state(self, name: str) -> StateDef:
        for s in self.states:
            if s.name == name:
                return s
        raise KeyError(name)

    def closed_states(self) -> frozenset[str]:
        return frozenset(s.name for s in self.states if s.closed)

    def first_state_of(self, level: str) -> str:
        for s in self.states:
            if s.level == level:
                return s.name
        raise KeyError(level)

    def next_level(self, level: str | None) -> str | None:
        if level not in self.levels:
            return None
        i = self.levels.index(level)
        return self.levels[i + 1] if i + 1 < len(self.levels) else None


def utc_iso(dt: datetime | None) -> str | None:
    return None if dt is None else dt.isoformat()
