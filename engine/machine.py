"""decide(): check a command against a workflow and return the events it causes, or refuse.

One `transitions.Machine` is built per definition version and shared: a throwaway proxy carrying
the case's state is run through the event, so no model stays attached between requests.
"""

from __future__ import annotations

import calendar as _cal
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from transitions import Machine, MachineError

from engine.calendar import WorkingCalendar
from engine.definition import Budget, TransitionDef, WorkflowDefinition
from engine.errors import (
    GuardRejected,
    InvalidInput,
    NotPermitted,
    Reason,
    TransitionNotAllowed,
    instant,
    refuse_unknown_keys,
)
from engine.state import Actor, CaseState, Event

CLOCK_SKEW = timedelta(minutes=5)
# The engine's own guard, on every transition of every workflow: a person relieved of duty
# (dibebastugaskan) cannot act on any case until reinstated.
SUSPENDED = Reason(
    "actor_suspended",
    "Anda sedang dibebastugaskan dan tidak dapat menangani kasus apa pun",
    "you are relieved of duty and cannot act on any case",
)
CONFLICT = Reason(
    "conflict_of_interest",
    "Anda tidak dapat menangani pengaduan tentang diri Anda",
    "nobody handles a complaint about themselves",
)


@dataclass(frozen=True)
class Env:
    """Everything outside the case a decision may look at, passed in as values."""

    calendar: WorkingCalendar
    now: datetime
    max_backdate: timedelta = timedelta(days=60)
    facts: Mapping[str, Any] = field(default_factory=dict)  # looked up by the service beforehand


@dataclass(frozen=True)
class Command:
    trigger: str
    actor: Actor
    occurred_at: datetime
    data: Mapping[str, Any] = field(default_factory=dict)
    note: str | None = None
    case_id: str | None = None  # set by the service for creation commands
    # the zone `occurred_at` was given in, where the service handed it on in UTC: a refused
    # moment with no office's zone to tell it in (a filing's wrong region) is said in it
    given_in: tzinfo | None = None


@dataclass(frozen=True)
class Decision:
    """What guards, predicates and effects see."""

    definition: WorkflowDefinition
    state: CaseState | None
    command: Command
    env: Env
    source: str
    transition: TransitionDef | None = None

    @property
    def data(self) -> Mapping[str, Any]:
        return self.command.data

    @property
    def actor(self) -> Actor:
        return self.command.actor

    @property
    def at(self) -> datetime:
        return self.command.occurred_at

    def attr(self, key: str, default: Any = None) -> Any:
        return self.state.attrs.get(key, default) if self.state else default


class _Proxy:
    """Stands in for a case while the shared machine runs one trigger."""

    __slots__ = ("state", "decision", "chosen")

    def __init__(self, state: str, decision: Decision) -> None:
        self.state = state
        self.decision = decision
        self.chosen: TransitionDef | None = None


_NO_ENV = Env(WorkingCalendar(()), datetime.min.replace(tzinfo=UTC))  # static guards need none


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, _cal.monthrange(year, month)[1]))


def due_at(calendar: WorkingCalendar, start: datetime, budget: Budget, tz: ZoneInfo) -> datetime:
    """End of the budget's last day in the office's zone."""
    if budget.months:
        day = add_months(start.astimezone(tz).date(), budget.months)
        if not calendar.is_working_day(day):
            day = calendar.next_working_day(day)
        return datetime.combine(day, time(23, 59, 59), tzinfo=tz)
    return calendar.deadline(start, budget.working_days, tz)


class CompiledWorkflow:
    def __init__(self, definition: WorkflowDefinition) -> None:
        self.definition = definition
        self._closed = definition.closed_states()
        self._states = {s.name: s for s in definition.states}
        self.machine = Machine(
            model=None,
            states=[definition.initial, *self._states],
            transitions=[self._spec(t) for t in definition.transitions],
            initial=definition.initial,
            auto_transitions=False,
            send_event=True,
        )
        self._roles = frozenset(r for t in definition.transitions for r in t.roles)
        self._by_source: dict[str, list[TransitionDef]] = {}
        for t in definition.transitions:
            for s in t.source:
                self._by_source.setdefault(s, []).append(t)

    def _spec(self, t: TransitionDef) -> dict[str, Any]:
        preds = [self.definition.predicates[p] for p in t.when]

        def chosen(ev: Any, t: TransitionDef = t) -> None:
            ev.model.chosen = t

        return {
            "trigger": t.trigger,
            "source": list(t.source),
            "dest": None if t.internal else t.dest,
            "conditions": [lambda ev, p=p: p(ev.model.decision) for p in preds],
            "before": [chosen],
        }

    # -- what may happen -------------------------------------------------------------------------
    def triggers_from(self, state: str) -> list[str]:
        seen: dict[str, None] = {}
        for t in self._by_source.get(state, ()):
            seen.setdefault(t.trigger)
        return list(seen)

    def allowed_for(self, state: CaseState | None, actor: Actor) -> list[str]:
        """Events this actor may attempt now: role, region, and the guards that depend only on
        the case and the actor (the others run on the attempt, with the command's data)."""
        if state is not None and not actor.covers(state.region):
            return []
        src = state.state if state else self.definition.initial
        seen: dict[str, None] = {}
        for t in self._by_source.get(src, ()):
            if (
                actor.role in t.roles
                and t.trigger not in seen
                and self._statically_ok(state, actor, t)
            ):
                seen[t.trigger] = None
        return list(seen)

    def _statically_ok(self, state: CaseState | None, actor: Actor, t: TransitionDef) -> bool:
        static = [g for g in t.guards if g in self.definition.static_guards]
        if not static or state is None:
            return True
        cmd = Command(t.trigger, actor, state.updated_at or datetime.min, {})
        decision = Decision(self.definition, state, cmd, _NO_ENV, state.state, t)
        return all(self.definition.guards[g](decision) is None for g in static)

    # -- deciding --------------------------------------------------------------------------------
    def decide(self, state: CaseState | None, command: Command, env: Env) -> list[Event]:
        d = self.definition
        actor = command.actor
        if state is not None and not actor.covers(state.region):
            raise NotPermitted(
                f"case {state.id} is outside the region of {actor.username}", out_of_scope=True
            )
        if actor.role not in self._roles:
            # e.g. an auditor: it may read everything in scope and change nothing
            raise NotPermitted(
                f"role '{actor.role}' cannot act on {d.name} cases",
                role=actor.role,
                workflow=d.name,
                allowed=sorted(self._roles - {"system"}),
            )
        # a filing is checked whole: a refused moment (received_at) is told with what the
        # parser refuses in the rest of the form, not alone before it
        late: InvalidInput | None = None
        try:
            self._check_time(state, command, env)
        except InvalidInput as e:
            if state is not None:
                raise
            late = e
        if env.facts.get("actor_suspended") and actor.role != "system":
            # said first and plainly, whatever else the attempt would have met
            reasons = [SUSPENDED]
            if env.facts.get("subject_user") == actor.username:
                reasons.append(CONFLICT)
            raise GuardRejected(command.trigger, reasons)
        src = state.state if state else d.initial
        if command.trigger not in self.triggers_from(src):
            raise TransitionNotAllowed(command.trigger, src, self.allowed_for(state, actor))
        if d.inputs is not None:
            refuse_unknown_keys(command.data, d.inputs.get(command.trigger, ()))
        parser = d.parsers.get(command.trigger)
        if parser is not None:
            try:
                data = parser(command.data)
            except InvalidInput as e:
                if late is None:
                    raise
                raise InvalidInput(
                    late.field,
                    late.message,
                    message_id=late.message_id,
                    more=(*late.more, *e.every),
                ) from None
            command = replace(command, actor=actor, data=data)
        if late is not None:
            raise late
        chosen = self._route(Decision(d, state, command, env, src))
        if actor.role not in chosen.roles:
            raise NotPermitted(
                f"role '{actor.role}' may not '{command.trigger}' in state '{src}' "
                f"(allowed roles: {', '.join(sorted(chosen.roles))})",
                role=actor.role,
                event=command.trigger,
                workflow=d.name,
                allowed=sorted(chosen.roles),
            )
        decision = Decision(d, state, command, env, src, chosen)
        reasons = self._check_guards(decision)
        if reasons:
            raise GuardRejected(command.trigger, reasons)
        return [self._event(decision)]

    def _check_time(self, state: CaseState | None, cmd: Command, env: Env) -> None:
        field = self.definition.creation_time_field if state is None else "at"
        at = instant(cmd.occurred_at, field)
        # told in the handling office's zone (WIB/WITA/WIT) where it is known, else as it was given
        tz = (
            (_zone(state.zone) if state is not None else self._filing_zone(cmd.data))
            or cmd.given_in
            or cmd.occurred_at.tzinfo
            or UTC
        )

        def shown(moment: datetime) -> str:
            try:
                local = moment.astimezone(tz)
            except OverflowError:  # a moment at the very edge of what datetime holds
                return moment.isoformat()
            return f"{local:%Y-%m-%d %H:%M} {local.tzname() or local.strftime('%z')}"

        if at > env.now + CLOCK_SKEW:
            raise InvalidInput(
                field,
                f"{shown(at)} is in the future",
                message_id=f"{shown(at)} belum terjadi (masih di masa depan)",
            )
        if at < env.now - env.max_backdate:
            days = env.max_backdate.days
            raise InvalidInput(
                field,
                f"{shown(at)} is more than {days} days in the past",
                message_id=f"{shown(at)} lebih dari {days} hari yang lalu",
            )
        if state is not None and state.updated_at is not None and at < state.updated_at:
            raise InvalidInput(
                field,
                f"{shown(at)} is before the case's last event ({shown(state.updated_at)})",
                message_id=(
                    f"{shown(at)} lebih awal dari kejadian terakhir kasus ini "
                    f"({shown(state.updated_at)})"
                ),
            )

    def _filing_zone(self, data: Mapping[str, Any]) -> ZoneInfo | None:
        """The zone of the office a new case would be handled by, if its raw data can say."""
        level, region = data.get("level"), data.get("region")
        try:
            return self.definition.zone_for(
                level if isinstance(level, str) else None,
                region if isinstance(region, str) else "",
            )
        except Exception:  # noqa: BLE001 - unparsed input; the parser names what is wrong later
            return None

    def _route(self, decision: Decision) -> TransitionDef:
        proxy = _Proxy(decision.source, decision)
        event = self.machine.events.get(decision.command.trigger)
        try:
            ok = event is not None and event.trigger(proxy)
        except MachineError:
            ok = False
        if not ok or proxy.chosen is None:
            raise TransitionNotAllowed(
                decision.command.trigger,
                decision.source,
                self.allowed_for(decision.state, decision.actor),
            )
        return proxy.chosen

    def _check_guards(self, decision: Decision) -> list[Reason]:
        t = decision.transition
        assert t is not None
        missing = [k for k in t.required if decision.data.get(k) in (None, "")]
        if missing:
            # bad input, naming the field (a 422 / exit 2), not a refusal of the case's state
            # said alike in both languages: the field is named by the error, the step by the
            # request (the pages show the field's label; a raw trigger name read as code there)
            also = f" (also missing: {', '.join(missing[1:])})" if missing[1:] else ""
            raise InvalidInput(
                missing[0],
                f"is required{also}",
                message_id="wajib diisi"
                + (f" (juga belum diisi: {', '.join(missing[1:])})" if missing[1:] else ""),
            )
        reasons: list[Reason] = []
        for name in t.guards:
            r = self.definition.guards[name](decision)
            if r is not None:
                reasons.append(r)
        return reasons

    def _event(self, decision: Decision) -> Event:
        d, t, cmd, st = decision.definition, decision.transition, decision.command, decision.state
        assert t is not None
        effect = d.effects[t.effect](decision) if t.effect else None
        changes: dict[str, Any] = {}
        if not t.internal:
            changes.update(self._clock_changes(decision, t))
        if effect is not None:
            changes.update(effect.changes)
            if effect.attrs:
                changes["attrs"] = dict(effect.attrs)
        payload = dict(cmd.data)
        if effect is not None:
            payload.update(effect.payload)
        case_id = st.id if st else cmd.case_id
        if case_id is None:
            raise InvalidInput(
                "case_id",
                "a new case needs an id from the service",
                message_id="kasus baru memerlukan nomor dari layanan",
            )
        return Event(
            case_id=case_id,
            version=(st.version if st else 0) + 1,
            type=t.event_type,
            trigger=t.trigger,
            workflow=st.workflow if st else d.name,
            workflow_version=st.workflow_version if st else d.version,
            actor=cmd.actor.username,
            role=cmd.actor.role,
            occurred_at=cmd.occurred_at,
            recorded_at=decision.env.now,
            data=payload,
            changes=_jsonable(changes),
            note=cmd.note,
        )

    def _clock_changes(self, decision: Decision, t: TransitionDef) -> dict[str, Any]:
        d, st, at = decision.definition, decision.state, decision.at
        dest = self._states[t.dest]
        out: dict[str, Any] = {
            "state": dest.name,
            "stage": dest.stage,
            "status": "closed" if dest.closed else "open",
        }
        if dest.closed:
            out.update(stage_started_at=None, stage_due=None, level_due=None, closed_at=at)
            return out
        region = st.region if st else str(decision.data.get("region", ""))
        level = dest.level
        zone = d.zone_for(level, region)
        out["level"] = level
        out["zone"] = str(zone.key)
        budget = d.stage_budgets.get(dest.name)
        out["stage_started_at"] = at
        out["stage_due"] = due_at(decision.env.calendar, at, budget, zone) if budget else None
        new_level = st is None or st.status == "closed" or st.level != level
        if new_level:
            lb = d.level_budgets.get(level or "")
            out["level_started_at"] = at
            out["level_due"] = due_at(decision.env.calendar, at, lb, zone) if lb else None
            out["closed_at"] = None
        level_due = out["level_due"] if new_level else (st.level_due if st else None)
        # A stage never outlasts its level: the level's budget is the hard limit.
        if out["stage_due"] is not None and level_due is not None:
            out["stage_due"] = min(out["stage_due"], level_due)
        return out


def _jsonable(changes: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in changes.items()}


_COMPILED: dict[tuple[str, int], CompiledWorkflow] = {}


def compile_workflow(definition: WorkflowDefinition) -> CompiledWorkflow:
    """The shared machine for this definition version, built once per process."""
    compiled = _COMPILED.get(definition.key)
    if compiled is None or compiled.definition is not definition:
        compiled = _COMPILED[definition.key] = CompiledWorkflow(definition)
    return compiled


def mermaid(definition: WorkflowDefinition) -> str:
    """The state diagram in mermaid syntax, built by transitions' mermaid engine (no graphviz)."""
    from transitions.extensions import GraphMachine

    m = GraphMachine(
        states=[definition.initial, *(s.name for s in definition.states)],
        transitions=[
            {"trigger": t.trigger, "source": src, "dest": src}
            if t.internal
            else {"trigger": t.trigger, "source": src, "dest": t.dest}
            for t in definition.transitions
            for src in t.source
        ],
        initial=definition.initial,
        auto_transitions=False,
        graph_engine="mermaid",
        title=f"{definition.name} v{definition.version}",
    )
    return str(m.get_graph().draw(None))


def _zone(key: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(key)
    except (ValueError, KeyError):
        return None
