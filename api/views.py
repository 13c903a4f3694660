"""Shapes shown to people and programs: case views, history rows, worklist rows (JSON and text)."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from api.i18n import LABELS, field_label, label
from api.wiring import App
from engine.audit import ChainedEvent
from engine.calendar import WorkingCalendar
from engine.definition import WorkflowDefinition
from engine.machine import compile_workflow
from engine.service import CaseService
from engine.state import Actor, CaseState
from workflows import Registry
from workflows.indonesia import zone_label
from workflows.kpm_codes import KEPALA_KELUARGA
from workflows.roles import is_subject, masked, sees_reporter


def workflow_view(d: WorkflowDefinition) -> dict[str, Any]:
    """A workflow definition as data: levels, states with budgets, transitions with guards
    (the API's GET /workflows/{name} and `pkh workflow show`)."""
    return {
        "name": d.name,
        "version": d.version,
        "levels": list(d.levels),
        "states": [
            {
                "name": s.name,
                "level": s.level,
                "stage": s.stage,
                "closed": s.closed,
                "budget": str(d.stage_budgets[s.name]) if s.name in d.stage_budgets else None,
            }
            for s in d.states
        ],
        "transitions": [
            {
                "event": t.trigger,
                "from": list(t.source),
                "to": None if t.internal else t.dest,  # internal: stays where it is
                "records": t.event_type,
                "roles": sorted(t.roles),
                "guards": list(t.guards),
                "requires": list(t.required),
                "internal": t.internal,
            }
            for t in d.transitions
        ],
    }


def case_zone(state: CaseState) -> ZoneInfo:
    return ZoneInfo(state.zone)


def local_date(state: CaseState, dt: datetime | None) -> str | None:
    return None if dt is None else dt.astimezone(case_zone(state)).date().isoformat()


def case_view(
    app: App, state: CaseState, actor: str | None = None, *, replayed: bool = False
) -> dict[str, Any]:
    """The CLI's view: `actor` is a username, or None for the local operator."""
    who = app.service.actor(actor) if actor else None
    hidden = unseen(app.service, state, who)
    return case_out(app.registry, state, who, replayed=replayed, hidden=hidden)


def household_named(service: CaseService, state: CaseState, who: Actor | None) -> str | None:
    """The household a data or verification complaint names (`attrs.household`, its case
    number), when `who` may open it (`CaseService.may_read`); None otherwise. For a ketua
    kelompok households do not exist, nor for an officer outside the household's area: the
    complaint's page does not link it, and its views and history leave it out (`unseen`)."""
    return households_named(service, [state], who).get(state.id)


def households_named(
    service: CaseService, states: Sequence[CaseState], who: Actor | None
) -> dict[str, str | None]:
    """`household_named` of each of `states`, by case id, with one read for them all (a
    list's page: `unseen_in`)."""
    named = {st.id: _named(st) for st in states}
    if who is None:  # the local operator
        return named
    readable = service.readable_of(who, {h for h in named.values() if h is not None})
    return {i: h if h in readable else None for i, h in named.items()}


def _named(state: CaseState) -> str | None:
    case_id = state.attrs.get("household")
    return case_id if isinstance(case_id, str) and case_id else None


def hidden_of(state: CaseState, household: str | None) -> frozenset[str]:
    """`unseen` of a case whose named household `who` may open is `household` (None: may
    not, or names none), for a caller that has asked `household_named` already."""
    if state.attrs.get("household") and household is None:
        return frozenset({"household"})
    return frozenset()


def unseen(service: CaseService, state: CaseState, who: Actor | None) -> frozenset[str]:
    """The values of a case `who` may not see, whatever the reporter rules say: the household
    a complaint names, for a reader who may not open it (`household_named`). Left out of the
    case (`case_out`) and of its events' data and changes (`event_view`): the filing's data
    holds the household's code as it was typed (a no_kk, a NIK)."""
    if not state.attrs.get("household"):
        return frozenset()  # nothing to read
    return hidden_of(state, household_named(service, state, who))


def unseen_in(
    service: CaseService, states: Sequence[CaseState], who: Actor | None
) -> dict[str, frozenset[str]]:
    """`unseen` of each of `states`, by case id, with one read for the page whatever the
    number of complaints naming a household on it (`GET /cases`)."""
    named = households_named(service, states, who)
    return {st.id: hidden_of(st, named[st.id]) for st in states}


def without(values: Mapping[str, Any], hidden: Collection[str]) -> dict[str, Any]:
    """A copy without the keys `hidden`, at any depth of nested dicts."""
    return {
        k: without(v, hidden) if isinstance(v, Mapping) else v
        for k, v in values.items()
        if k not in hidden
    }


def case_out(
    registry: Registry,
    state: CaseState,
    who: Actor | None,
    *,
    replayed: bool = False,
    hidden: Collection[str] = (),
) -> dict[str, Any]:
    """A case as `who` may see it: allowed events for that user, reporter masked by the rules,
    without the values `hidden` (`unseen`)."""
    definition = registry.get(state.workflow, state.workflow_version)
    compiled = compile_workflow(definition)
    by_system: list[str] = []
    if who is None:
        # the local operator: every move from here, the engine's own apart (merging a
        # duplicate investigation, linking a reporter: the system makes them from the
        # complaint; by hand they would bypass it)
        allowed = compiled.triggers_from(state.state)
        by_system = [e for e in allowed if e in system_only(definition)]
        allowed = [e for e in allowed if e not in by_system]
    else:
        allowed = compiled.allowed_for(state, who)
    attrs = (
        dict(state.attrs)
        if sees_reporter(who, state)
        else masked(state.attrs, subject=is_subject(who, state))
    )
    if hidden:
        attrs = without(attrs, hidden)
    return {
        "id": state.id,
        "workflow": state.workflow,
        "workflow_version": state.workflow_version,
        "level": state.level,
        "state": state.state,
        "stage": state.stage,
        "status": state.status,
        "region": state.region,
        "zone": zone_label(state.zone),
        "stage_due": local_date(state, state.stage_due),
        "level_due": local_date(state, state.level_due),
        "stage_due_at": _iso(state.stage_due),
        "level_due_at": _iso(state.level_due),
        "handler": state.handler,
        "version": state.version,
        "allowed_events": [] if replayed else allowed,
        "system_events": [] if replayed else by_system,
        "created_at": _iso(state.created_at),
        "updated_at": _iso(state.updated_at),
        "closed_at": _iso(state.closed_at),
        "attrs": attrs,
    }


def system_only(definition: WorkflowDefinition) -> frozenset[str]:
    """The triggers only the engine itself may fire (every transition of theirs is the
    `system` role's)."""
    people = {t.trigger for t in definition.transitions if not t.roles <= {"system"}}
    return frozenset(t.trigger for t in definition.transitions if t.trigger not in people)


def _next_lines(v: dict[str, Any]) -> list[str]:
    lines = []
    if v["allowed_events"]:
        lines.append(f"  next:      {', '.join(v['allowed_events'])}")
    if v.get("system_events"):
        lines.append(f"  by the system only: {', '.join(v['system_events'])}")
    return lines


def _iso(dt: datetime | None) -> str | None:
    return None if dt is None else dt.astimezone(UTC).isoformat()


STAFF_WORKFLOWS = frozenset({"kkn", "discipline"})  # about a staff member: no type, level,
# stage, deadline or handler (nobody assigns them)


def case_text(v: dict[str, Any]) -> str:
    a = v["attrs"]
    if v["workflow"] in STAFF_WORKFLOWS:
        return _staff_case_text(v)
    lines = [
        # "v<n>" is an event's version in the history; the workflow's is its definition
        f"{v['id']}  [{v['status']}]  workflow {v['workflow']} (definition "
        f"{v['workflow_version']})  version {v['version']}",
        f"  type:      {a.get('type', '-')}   region {v['region']}",
        f"  level:     {v['level'] or '-'}   stage: {v['stage'] or '-'}   state: {v['state']}",
        # the handling office's days (pusat's are WIB whatever the region's zone)
        f"  due:       stage {v['stage_due'] or '-'}   level {v['level_due'] or '-'}"
        + (f"   ({v['zone']})" if v["stage_due"] or v["level_due"] else ""),
        f"  handler:   {v['handler'] or '(office queue)'}",
    ]
    if a.get("summary"):
        lines.append(f"  summary:   {a['summary']}")
    if a.get("referred_to"):  # a side body, named as the case page names it
        lines.append(f"  referred:  {label('body', a['referred_to'], 'en')}")
    lines += _next_lines(v)
    return "\n".join(lines)


def _staff_case_text(v: dict[str, Any]) -> str:
    """A KKN suspension or a discipline record: whom it is about, and what became of them."""
    a = v["attrs"]
    lines = [
        f"{v['id']}  [{v['status']}]  workflow {v['workflow']} (definition "
        f"{v['workflow_version']})  version {v['version']}",
        f"  staff:     {a.get('staff') or '-'}   region {v['region']}",
        f"  state:     {v['state']}",
    ]
    if a.get("complaint_id"):
        lines.append(f"  complaint: {a['complaint_id']}")
    if a.get("referred_to"):
        lines.append(f"  referred:  {label('referred_to', a['referred_to'], 'en')}")
    # a finding that restored nobody: the state alone ('reinstated') would say it did
    if a.get("dismissed_by"):
        lines.append(f"  dismissed: by {a['dismissed_by']}")
    elif a.get("suspended_by"):
        lines.append(f"  held:      still relieved of duty under {a['suspended_by']}")
    lines += _next_lines(v)
    return "\n".join(lines)


def event_view(
    c: ChainedEvent, *, mask: bool = False, subject: bool = False, hidden: Collection[str] = ()
) -> dict[str, Any]:
    """An event as the history shows it; `mask`: the reporter hidden (`sees_reporter`),
    `subject`: for the person the case is about (`masked`), `hidden`: values left out
    (`unseen`)."""
    e = c.event
    data, changes = dict(e.data), dict(e.changes)
    if mask or subject:
        data, changes = masked(data, subject=subject), masked(changes, subject=subject)
    if hidden:
        data, changes = without(data, hidden), without(changes, hidden)
    return {
        "version": e.version,
        "type": e.type,
        "trigger": e.trigger,
        "actor": e.actor,
        "role": e.role,
        "occurred_at": e.occurred_at.isoformat(),
        "recorded_at": e.recorded_at.isoformat(),
        "data": data,
        "changes": changes,
        "note": e.note,
        "hash": c.hash,
    }


# An event recorded this long after it happened was backdated (a paper form entered later):
# the history shows when it was recorded too (the case page's timeline, `pkh case history`).
RECORDED_LATE = timedelta(minutes=10)


def recorded_late(row: dict[str, Any]) -> bool:
    lag = datetime.fromisoformat(row["recorded_at"]) - datetime.fromisoformat(row["occurred_at"])
    return lag > RECORDED_LATE


def _given(value: Any) -> bool:
    """A value worth showing: not blank, not an unset flag (0 is a value)."""
    return not (value is None or value == "" or value is False)


def _shown(value: Any) -> str:
    if isinstance(value, str) and value and not any(c.isspace() or c in '"=' for c in value):
        return value
    return json.dumps(value, ensure_ascii=False)


def history_text(
    rows: list[dict[str, Any]],
    zone: str = "UTC",
    inputs: Mapping[str, tuple[str, ...]] | None = None,
) -> str:
    """Per event a line: when it happened, in the case's zone (`zone`, labelled), what, who,
    the move; under it, when it was recorded if that was later (backdated), and the command
    with its data (`escalate reason="perlu pusat"`; blank values left out, as on the case
    page; `rows` come masked by the same rules as the JSON). A value the workflow added to
    the data itself, not one of the data its command takes (`inputs`, the definition's, by
    trigger), is on a line of its own, named as the case page's timeline names it."""
    tz, label = ZoneInfo(zone), zone_label(zone) if zone != "UTC" else "UTC"
    out = []
    expected = rows[0]["version"] if rows else 1
    for r in rows:
        if r["version"] != expected:
            # an event deleted (or versions renumbered) in the store by hand: said where it is
            gone = (
                f"v{expected}"
                if r["version"] == expected + 1
                else f"v{expected}-v{r['version'] - 1}"
            )
            out.append(
                f"!!   {gone} missing: the store was altered outside pkh "
                "(`pkh audit verify --all` names every such problem)"
            )
        expected = r["version"] + 1
        ch = r["changes"]
        move = f" -> {ch['state']}" if "state" in ch else ""
        note = f'  "{r["note"]}"' if r["note"] else ""
        when = datetime.fromisoformat(r["occurred_at"]).astimezone(tz)
        out.append(
            f"v{r['version']:<3} {when:%Y-%m-%d %H:%M} {label:<4}  {r['type']:<22} "
            f"{r['actor']} ({r['role']}){move}{note}"
        )
        if recorded_late(r):
            recorded = datetime.fromisoformat(r["recorded_at"]).astimezone(tz)
            out.append(f"     recorded {recorded:%Y-%m-%d %H:%M} {label} (backdated)")
        takes = None if inputs is None else inputs.get(r["trigger"], ())
        data = r["data"]
        shown = [(k, v) for k, v in data.items() if _given(v) and not _twin(data, k)]
        given = [f"{k}={_shown(v)}" for k, v in shown if takes is None or k in takes]
        out.append(f"     {' '.join([r['trigger'], *given])}")
        for k, v in shown:
            if takes is not None and k not in takes:
                name, said = set_by_workflow(r["type"], k, v)
                out.append(f"     {name} (set by the workflow): {said}")
    return "\n".join(out)


# a referral's time limit as the event recorded it (`str(Budget)`: "15 hari kerja", "3 bulan")
_BUDGET = re.compile(r"^(\d+) (hari kerja|bulan)$")


def budget_text(recorded: str, lang: str) -> str:
    """A recorded time limit in the page's language: "15 hari kerja" -> "15 working days"."""
    m = _BUDGET.match(recorded)
    if m is None or lang != "en":
        return recorded
    n = int(m.group(1))
    unit = "working day" if m.group(2) == "hari kerja" else "month"
    return f"{n} {unit}{'' if n == 1 else 's'}"


# A recorded value whose name means something else in another workflow's events, shown under
# its own label key: a KKN decision's `outcome` is a verdict, not a referral's result.
EVENT_KEYS = {
    ("StaffDismissed", "outcome"): "verdict",
    ("StaffReinstated", "outcome"): "verdict",
}
# A value an event records twice under two names (the staff member's name for the letters,
# beside the `staff` the officer gave): shown once, under the name the officer gave it.
TWINS = {"staff_name": "staff"}


def _twin(data: Mapping[str, Any], key: str) -> bool:
    return key in TWINS and data.get(TWINS[key]) == data[key]


def set_by_workflow(event_type: str, key: str, value: Any) -> tuple[str, str]:
    """A value the workflow added to an event's data, in the command line's words (English):
    its name as the case page's timeline gives it ('referral time limit', 'verdict') and the
    value ('15 working days', 'Guilty', 'yes'; a structure as JSON)."""
    shown_as = EVENT_KEYS.get((event_type, key), key)
    name = field_label(shown_as, "en")
    name = name if name[1:2].isupper() else name[:1].lower() + name[1:]  # "NIK" stays
    if key == "budget" and isinstance(value, str):
        return name, budget_text(value, "en")
    if value is True:
        return name, "yes"
    if isinstance(value, str) and shown_as in LABELS:
        return name, label(shown_as, value, "en")
    return name, _shown(value)


def household_head(attrs: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """A household's kepala keluarga (hubungan_keluarga 1), the first living one; else None."""
    for _no, m in sorted(attrs.get("anggota", {}).items()):
        if m.get("hubungan_keluarga") == KEPALA_KELUARGA and not m.get("meninggal"):
            return m
    return None


def row_subject(state: CaseState) -> str:
    """Who a case that is not a complaint is about, in a line: a household's kepala keluarga
    and kode peserta, a staff member's name and account."""
    a = state.attrs
    if state.workflow == "kpm":
        head = household_head(a)
        return " · ".join(str(x) for x in ((head or {}).get("nama"), a.get("kode_peserta")) if x)
    staff, user = a.get("staff"), a.get("staff_user")
    return f"{staff} ({user})" if staff and user and user != staff else str(staff or "")


def worklist_row(state: CaseState, now: datetime, cal: WorkingCalendar) -> dict[str, Any]:
    due = state.stage_due
    flag = ""
    if due is not None and state.status == "open":
        today = now.astimezone(case_zone(state)).date()
        due_day = due.astimezone(case_zone(state)).date()
        if due < now:
            flag = f"overdue {cal.working_days_between(due_day, today)} wd"
        else:
            left = cal.working_days_between(today, due_day)
            flag = "due today" if left == 0 else f"{left} wd left"
    return {
        "id": state.id,
        "type": state.attrs.get("type"),
        "level": state.level,
        "stage": state.stage,
        "state": state.state,
        "status": state.status,
        "region": state.region,
        "zone": zone_label(state.zone),
        "handler": state.handler,
        "stage_due": local_date(state, state.stage_due),
        "level_due": local_date(state, state.level_due),
        "flag": flag,
    }


def worklist_text(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "(no cases)"
    head = (
        f"{'case':<18} {'type':<21} {'level':<15} {'stage':<14} {'stage due':<11} "
        f"{'level due':<11} {'zone':<5} {'handler':<16} status"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r['id']:<18} {r['type'] or '-':<21} {r['level'] or '-':<15} "
            f"{r['stage'] or r['state']:<14} {r['stage_due'] or '-':<11} "
            f"{r['level_due'] or '-':<11} {r['zone']:<5} {r['handler'] or '(office)':<16} "
            f"{r['flag']}"
        )
    return "\n".join(lines)
