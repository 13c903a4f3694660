"""What the officer pages show: deadlines as flags, event forms, timelines, audit comparisons.

Plain functions over the service's values, so the page routes (`api.page_cases`,
`api.page_office`) stay thin.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import col

from api.i18n import DAY_KINDS, code_name, field_label, label, roles_text, text, when
from api.replaying import in_zone, not_yet_text, replay_case, replay_out
from api.views import (
    EVENT_KEYS,
    TWINS,
    budget_text,
    case_out,
    case_zone,
    recorded_late,
    row_subject,
    unseen,
)
from api.wiring import App
from engine.calendar import WorkingCalendar
from engine.deadlines import COUNTED_FROM
from engine.definition import WorkflowDefinition
from engine.errors import (
    ConcurrencyConflict,
    EngineError,
    GuardRejected,
    InvalidInput,
    NotPermitted,
    TransitionNotAllowed,
    echoed,
)
from engine.state import Actor, CaseState, Event
from engine.store import audit_runner
from engine.store import repository as repo
from engine.store.tables import UserRow
from workflows import kpm_codes as KC
from workflows import kpm_parse as KP
from workflows import kpm_store
from workflows.complaint_codes import INFORMED_VIA, LEVELS, REJECT_REASONS, SIDE_BODIES, TYPES
from workflows.complaint_parse import FILING_KEYS
from workflows.discipline import ORAL_REASONS, SP2_REASONS, SP3_REASONS, TERMINATION_REASONS
from workflows.indonesia import ZONE_INFO, Zone, zone_for_region
from workflows.kkn import AUTHORITIES
from workflows.regions import UnknownRegion, region_name

CASE_NUMBER = re.compile(r"[A-Z]{2,5}-\d{4}-\d{6}")
SEVERITY = {"ok": 0, "soon": 1, "today": 2, "overdue": 3}
CHOICES = {"informed_via": INFORMED_VIA, "body": SIDE_BODIES, "type": TYPES}
LONG_TEXT = frozenset({"parties", "result", "outcome", "reason"})
EXTRA_FIELDS = {"link_reporter": ("reporter_name", "reporter_contact")}
DIFF_FIELDS = ("state", "level", "stage", "status", "handler", "stage_due", "level_due", "version")
DUE_INSTANTS = {"stage_due": "stage_due_at", "level_due": "level_due_at"}
# What the pages ask for a workflow's command where its transitions' `required` alone does not
# say (a KPM command's data is checked by its parser): (name, kind, required, options). Where a
# command's data cannot be typed into a form (attendance of every member, a member list) the
# page says how it is recorded instead.
# `required` may name the text saying when an input is needed (one answer of another needs it):
# the label says that, not "(optional)", and the browser does not insist on it.
PAGE_INPUTS: dict[tuple[str, str], tuple[tuple[str, str, bool | str, tuple[str, ...]], ...]] = {
    ("kpm", "validasi"): (
        ("hasil", "select", True, KP.VALIDATION_RESULTS),
        ("alasan", "select", "needed_for_non_eligible", KP.NON_ELIGIBLE_REASONS),
    ),
    ("kpm", "tetapkan"): (("nomor_sk", "text", True, ()), ("tanggal_sk", "date", True, ())),
    ("kpm", "anggota_meninggal"): (
        ("nomor_anggota", "member", True, ()),
        ("tanggal", "date", True, ()),
    ),
    ("kpm", "resertifikasi"): (("hasil", "select", True, KP.RESERTIFIKASI),),
    ("kpm", "tidak_layak"): (
        ("alasan", "select", True, KP.EXIT_REASONS),
        ("keterangan", "textarea", "needed_for_other", ()),  # needed for alasan=lainnya
    ),
    ("kpm", "pindah"): (("tujuan", "text", True, ()), ("alasan", "textarea", False, ())),
    ("kpm", "graduasi_mandiri"): (("alasan", "textarea", True, ()),),
    ("kpm", "pulihkan"): (("alasan", "textarea", True, ()),),
    ("kpm", "hentikan"): (("alasan", "textarea", True, ()),),
}
# A data update (pemutakhiran) or a pusat correction (koreksi) on the page: one member's field
# and its new value (the fields `kpm_parse.member_changes` reads) and, for an update, a member
# to add (the member fields the registration's parser reads, `tambah_<field>`) and a member to
# remove with the reason. `command_data` folds them into the parser's `anggota`, `tambah` and
# `hapus`; every input is optional, and the parser refuses an update that changes nothing.
NEW_MEMBER = "tambah_"
CODE_TABLES: dict[str, Any] = {
    "jenis_kelamin": KC.JENIS_KELAMIN,
    "hubungan_keluarga": KC.HUBUNGAN,
    "komponen": KC.KOMPONEN,
    "jenjang_sekolah": KC.JENJANG_SEKOLAH,
}
# the member fields picked from a list: the master codes (shown with their names) and the
# classes 1-12 (shown as numbers)
PICKED: dict[str, Any] = {**CODE_TABLES, "kelas": KC.ANY_KELAS}
MEMBER_INPUTS = tuple(
    (f, "code" if f in PICKED else "date" if f == "tanggal_lahir" else "text")
    for f in KC.MEMBER_FIELDS
)
# A member's coded field is changed by picking its new code from the master list (blank: no
# change), the other fields by naming the field and typing the value; the parser checks both.
CHANGE_CODE = "ubah_"
CHANGE_INPUTS: tuple[tuple[str, str, bool, tuple[str, ...]], ...] = (
    ("nomor_anggota", "member", False, ()),
    ("isian", "select", False, tuple(f for f in KP.FIELD_PARSERS if f not in PICKED)),
    ("nilai_baru", "text", False, ()),
    *(
        (
            CHANGE_CODE + f,
            "code",
            False,
            # a death is not a component picked here: it has its own command and date
            tuple(str(c) for c in PICKED[f] if (f, c) != ("komponen", KC.MENINGGAL)),
        )
        for f in KC.MEMBER_FIELDS
        if f in PICKED
    ),
)
ADD_INPUTS = tuple(
    (NEW_MEMBER + f, kind, False, tuple(str(c) for c in PICKED.get(f, ())))
    for f, kind in MEMBER_INPUTS
)
PAGE_INPUTS[("kpm", "pemutakhiran")] = (
    *CHANGE_INPUTS,
    *ADD_INPUTS,
    ("hapus_anggota", "member", False, ()),
    ("hapus_alasan", "select", False, KP.REMOVAL_REASONS),
)
# a correction (UPPKH Pusat, on a complaint) changes the data of members the household has:
# `kpm_parse.correction` takes no member to add, so the form offers none
PAGE_INPUTS[("kpm", "koreksi")] = (("pengaduan", "text", True, ()), *CHANGE_INPUTS)
# A choice a staff case's command takes by its code (the parser refuses anything else): picked
# from the codes, each shown by its label (api.i18n: `referred_to`, `reason`).
PAGE_INPUTS[("kkn", "find_guilty")] = (("referred_to", "select", True, AUTHORITIES),)
PAGE_INPUTS.update(
    {
        ("discipline", event): (("reason", "select", True, reasons),)
        for event, reasons in (
            ("warn", ORAL_REASONS),
            ("issue_sp2", SP2_REASONS),
            ("issue_sp3", SP3_REASONS),
            ("terminate", TERMINATION_REASONS),
        )
    }
)
ELSEWHERE = {
    ("kpm", "verifikasi_komitmen"): "kpm_verify_elsewhere",
}
# the page where a step said to be recorded elsewhere is recorded (api.page_kpm)
ELSEWHERE_PAGES = {("kpm", "verifikasi_komitmen"): "/kpm/verifikasi"}


def region_label(code: str) -> str:
    try:
        return region_name(code)
    except UnknownRegion:
        return ""


def deadline(
    state: CaseState, due: datetime | None, now: datetime, cal: WorkingCalendar
) -> dict[str, Any] | None:
    """A due moment as a flag and a working-day count, counted in the case's own zone."""
    if due is None or state.status != "open":
        return None
    zone = case_zone(state)
    today, day = now.astimezone(zone).date(), due.astimezone(zone).date()
    if due < now:
        return {"flag": "overdue", "days": cal.working_days_between(day, today), "date": day}
    left = cal.working_days_between(today, day)
    return {
        "flag": "today" if left == 0 else "soon" if left <= 2 else "ok",
        "days": left,
        "date": day,
    }


def workflow_key(workflow: str) -> str:
    """The label key (kind `type`) of a workflow's title: `api.i18n` holds every one."""
    return f"workflow:{workflow}"


def state_key(workflow: str, state: str) -> str:
    """The label key (kind `stage`) of a workflow's state: `api.i18n` holds every one."""
    return f"{workflow}:{state}"


def row_case(state: CaseState) -> CaseState:
    """The case as its worklist row shows it. A household or a staff case has no complaint
    type, summary or stage of its own: its workflow's title, its subject (the kepala
    keluarga and kode peserta, the staff member) and its state stand in their places, as
    label keys the page translates. Deadlines and sorting read the case itself."""
    if state.workflow == "complaint":
        return state
    attrs = {
        **state.attrs,
        "type": workflow_key(state.workflow),
        "summary": row_subject(state),
    }
    return replace(state, attrs=attrs, stage=state_key(state.workflow, state.state))


def guard_ahead(definition: WorkflowDefinition, state: str, guard: str) -> bool:
    """Whether a transition reachable from `state` (or from it) is checked by `guard`."""
    seen, todo = {state}, [state]
    while todo:
        here = todo.pop()
        for t in definition.transitions:
            if here in t.source:
                if guard in t.guards:
                    return True
                if t.dest not in seen:
                    seen.add(t.dest)
                    todo.append(t.dest)
    return False


def worklist_item(state: CaseState, now: datetime, cal: WorkingCalendar) -> dict[str, Any]:
    stage, level = (
        deadline(state, state.stage_due, now, cal),
        deadline(state, state.level_due, now, cal),
    )
    flags = [d["flag"] for d in (stage, level) if d]
    return {
        "case": row_case(state),
        "stage_due": stage,
        "level_due": level,
        "flag": max(flags, key=SEVERITY.__getitem__, default="none"),  # as the chips count it
        "no_deadline": not flags,  # a KKN, discipline or household case: nothing to count down
        "region_name": region_label(state.region),
    }


def sort_key(row: dict[str, Any], key: str, reverse: bool) -> tuple[Any, ...]:
    state = row["case"]
    if key == "id":
        return (state.id,)
    due = getattr(state, key)
    # Cases without a deadline stay at the bottom whichever way the list is sorted.
    return (
        (due is not None) if reverse else (due is None),
        due.timestamp() if due else 0,
        state.id,
    )


def sort_link(filters: dict[str, str], key: str) -> str:
    new = f"-{key}" if filters["sort"] == key else key
    return "/?" + urlencode({k: v for k, v in {**filters, "sort": new}.items() if v})


def _handlers(app: App, state: CaseState) -> list[tuple[str, str]]:
    """The officers the handler picker offers: those the assignment's guard accepts (of the
    case's office, active, not relieved of duty by account or by the staff register, not the
    person the case is about, not the one who has it already), read with one indexed query
    rather than every account."""
    with app.db.reading() as s:
        able = repo.able_officers(s, state.level, state, app.service.staff_register(s))
        able = [u for u in able if u != state.handler]
        names: dict[str, str | None] = {
            u: name
            for u, name in s.execute(
                sa.select(col(UserRow.username), col(UserRow.full_name)).where(
                    col(UserRow.username).in_(able)
                )
            )
        }
    return [(u, f"{u} ({names[u]})" if names.get(u) else u) for u in able]


def _field(app: App, state: CaseState, event: str, key: str, required: bool, lang: str) -> Any:
    options: list[tuple[str, str]] | None = None
    if key == "handler":
        options = _handlers(app, state)
    elif key == "reason" and event == "reject":
        options = [(v, label("reason", v, lang)) for v in REJECT_REASONS]
    elif key in CHOICES:
        values = [v for v in CHOICES[key] if not (key == "type" and v == state.attrs.get("type"))]
        options = [(v, label(key, v, lang)) for v in values]
    kind = "select" if options is not None else "text"
    hint = None
    if key == "working_days":
        kind, hint = "number", text("working_days_range", lang)
    elif key in LONG_TEXT and options is None:
        kind = "textarea"
    field = {"name": key, "kind": kind, "options": options or [], "required": required}
    return field | ({"hint": hint} if hint else {})


def _declared(state: CaseState, inputs: Any, lang: str) -> list[dict[str, Any]]:
    fields = []
    for name, kind, required, values in inputs:
        options = [(v, label(name, v, lang)) for v in values]
        blank = None
        if kind == "code":  # a master code of a member field: "3 · ANAK" / "3 · Child"
            kind = "select"
            field = name.removeprefix(NEW_MEMBER).removeprefix(CHANGE_CODE)
            options = [(v, code_text(field, int(v), lang)) for v in values]
            blank = "no_change" if name.startswith(CHANGE_CODE) else None
        elif kind == "member":  # the household's living members
            kind = "select"
            options = [
                (no, f"{no} · {m.get('nama', '')}")
                for no, m in sorted(state.attrs.get("anggota", {}).items())
                if m.get("komponen") != KC.MENINGGAL
            ]
        field = {"name": name, "kind": kind, "options": options, "required": required is True}
        if blank:
            field["blank"] = blank
        if isinstance(required, str):
            field["needed_when"] = text(required, lang)
        fields.append(field)
    return fields


def event_form(
    app: App, definition: WorkflowDefinition, state: CaseState, actor: Actor, event: str, lang: str
) -> dict[str, Any]:
    """The inputs an event needs here: its transitions' required data plus what guards check."""
    form = _event_form(app, definition, state, actor, event, lang)
    return form | {"closes": closing(definition, state, actor, event, lang)}


def closing(
    definition: WorkflowDefinition, state: CaseState, actor: Actor, event: str, lang: str
) -> dict[str, Any] | None:
    """Whether taking `event` here closes the case, read from the definition (the closed
    states its transitions lead to), so the form says so before the click: "always" when
    every way it may go closes the case, "maybe" when one of them does (a routing choice)."""
    dests = {
        t.dest
        for t in definition.transitions
        if t.trigger == event and state.state in t.source and actor.role in t.roles
    }
    closed = sorted(d for d in dests if definition.state(d).closed)
    if not closed:
        return None
    states = ", ".join(state_label(definition, d, lang) for d in closed)
    return {"always": len(closed) == len(dests), "states": states}


def _event_form(
    app: App, definition: WorkflowDefinition, state: CaseState, actor: Actor, event: str, lang: str
) -> dict[str, Any]:
    flow_event = (state.workflow, event)
    if flow_event in ELSEWHERE:
        said = text(ELSEWHERE[flow_event], lang)
        return {
            "event": event,
            "fields": [],
            "elsewhere": said,
            "link": ELSEWHERE_PAGES.get(flow_event),
        }
    if flow_event in PAGE_INPUTS:
        return {"event": event, "fields": _declared(state, PAGE_INPUTS[flow_event], lang)}
    needed: dict[str, bool] = {}
    for t in definition.transitions:
        if t.trigger != event or state.state not in t.source or actor.role not in t.roles:
            continue
        needed |= {k: True for k in t.required}
        if "reporter_informed" in t.guards and not state.attrs.get("anonymous"):
            needed.setdefault("informed_via", True)
        if "duplicate_is_known" in t.guards:
            needed.setdefault("duplicate_of", False)
    for key in EXTRA_FIELDS.get(event, ()):
        needed.setdefault(key, False)
    fields = [_field(app, state, event, k, req, lang) for k, req in needed.items()]
    if any(f["name"] == "handler" and not f["options"] for f in fields):
        # nobody else of the office can take it: said, not a form with an empty choice
        return {"event": event, "fields": [], "elsewhere": text("nobody_to_assign", lang)}
    return {"event": event, "fields": fields}


def command_data(
    workflow: str, event: str, values: dict[str, str], members: Any = None
) -> dict[str, Any]:
    """A posted form's fields (blanks left out) as the command's data. The data-update forms
    (see `PAGE_INPUTS`) fold their flat inputs into the nested data the parser reads, as the
    JSON API takes it: `anggota` {no: {field: value}}, `tambah` [member], `hapus` {no: reason}.
    `members`: the household's (its `anggota`): a code picked that the member already has is
    refused, not recorded as a change (with another field changed the guard lets it through,
    and a komponen set again restarts the day a pregnancy is counted from)."""
    if (workflow, event) not in (("kpm", "pemutakhiran"), ("kpm", "koreksi")):
        return dict(values)
    rest = dict(values)
    out: dict[str, Any] = {}
    no, field, value = (rest.pop(k, "") for k in ("nomor_anggota", "isian", "nilai_baru"))
    codes = {
        k.removeprefix(CHANGE_CODE): rest.pop(k) for k in list(rest) if k.startswith(CHANGE_CODE)
    }
    codes = {k: v for k, v in codes.items() if v}  # blank: no change
    member = members.get(no) if isinstance(members, Mapping) else None
    for f, v in codes.items():
        had = member.get(f) if isinstance(member, Mapping) else None
        if isinstance(had, int) and v.strip().isdigit() and int(v) == had:
            said_id, said_en = KC.field_words(f)
            raise InvalidInput(
                CHANGE_CODE + f,
                f"member {no} already has {said_en} {code_text(f, had, 'en')}: "
                "leave it at no change",
                message_id=f"anggota {no} sudah tercatat dengan {said_id} "
                f"{code_text(f, had, 'id')}: biarkan tidak diubah",
            )
    if field or value or (no and not codes):
        for key, given in (("nomor_anggota", no), ("isian", field), ("nilai_baru", value)):
            if not given:
                raise InvalidInput(
                    key,
                    "is required to change a member's data (member, field and new value)",
                    message_id="wajib diisi untuk mengubah data anggota (anggota, isian, dan "
                    "nilai baru)",
                )
        if field in codes:
            raise InvalidInput(
                "isian",
                f"{echoed(field)} is also picked from its list: give it once",
                message_id=f"{echoed(field)} juga dipilih dari daftarnya: isi sekali saja",
            )
        codes[field] = value
    if codes:
        if not no:
            raise InvalidInput(
                "nomor_anggota",
                "is required to change a member's data",
                message_id="wajib diisi untuk mengubah data anggota",
            )
        out["anggota"] = {no: codes}
    new = {k.removeprefix(NEW_MEMBER): rest.pop(k) for k in list(rest) if k.startswith(NEW_MEMBER)}
    if new:
        out["tambah"] = [new]
    gone, why = rest.pop("hapus_anggota", ""), rest.pop("hapus_alasan", "")
    if gone or why:
        if not (gone and why):
            raise InvalidInput(
                "hapus_alasan" if gone else "hapus_anggota",
                "is required to remove a member (member and reason)",
                message_id="wajib diisi untuk menghapus anggota (anggota dan alasan)",
            )
        out["hapus"] = {gone: why}
    return out | rest  # what else was sent: the parser takes it or names it


def find_case(app: App, actor: Actor, code: str) -> str | None:
    """The case a worklist search names: a case number, or a household's kode peserta, kode
    anggota, no_kk or NIK (the register's `kpm_store.resolve`), when the officer may open it;
    otherwise None and the search reads the summaries as before."""
    code = code.strip()
    if not code or len(code) > 40:
        return None
    case_id: str | None
    try:
        with app.db.reading() as s:
            case_id = kpm_store.resolve(s, code)
    except EngineError:  # not a household's code: a case number of any workflow, or text
        case_id = code.upper() if CASE_NUMBER.fullmatch(code.upper()) else None
    if case_id is None:
        return None
    try:
        return app.service.get(case_id, actor.username).id
    except EngineError:  # not found, or outside the officer's reach: a search as before
        return None


# A member's fields in the order the pages show them (the members table, the timeline, the
# audit page's differences); codes with their master names.
MEMBER_COLUMNS = (
    "nama",
    "nik",
    "hubungan_keluarga",
    "komponen",
    "jenis_kelamin",
    "tanggal_lahir",
    "tempat_lahir",
    "nama_ibu_kandung",
    "jenjang_sekolah",
    "kelas",
    "meninggal",
)


def code_text(field: str, value: Any, lang: str) -> Any:
    """A member's coded value with its master name in the page's language: 3 -> '3 · ANAK'
    ('3 · Child' in English)."""
    table = CODE_TABLES.get(field)
    if table and isinstance(value, int) and not isinstance(value, bool) and value in table:
        return f"{value} · {code_name(field, value, lang)}"
    return value


def member_value(field: str, value: Any, lang: str) -> Any:
    """A member's recorded value as the pages show it: a code with its master name, a plain
    day (a birth, a death, the day a pregnancy was recorded) as the pages write a day ('3 Mar
    2008', in the page's language: `api.i18n.label`)."""
    if field in DAY_KINDS and isinstance(value, str):
        return label(field, value, lang)
    return code_text(field, value, lang)


def _member_fields(m: Mapping[str, Any], lang: str) -> list[tuple[str, Any]]:
    order = [f for f in MEMBER_COLUMNS if f in m] + sorted(f for f in m if f not in MEMBER_COLUMNS)
    return [(f, member_value(f, m[f], lang)) for f in order]


def detail(
    key: str,
    value: Any,
    numbers: Mapping[str, str] | None = None,
    lang: str = "id",
    names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """How the pages show a recorded value: households' members as small tables, attendance
    as ya/tidak per member, member changes per member and field; anything else as a value.
    `numbers`: the member number each NIK was given (the event's own changes), for a list
    of members (daftar, tambah) whose numbers the command did not carry: shown, not the
    list's positions (a member added as 03 read "1"). `names`: the household's member
    names by number, shown beside a number an event names alone (attendance, changes, a
    removal, a death) where the household's data has it."""
    named = {"names": dict(names)} if names else {}
    if key == "budget" and isinstance(value, str):
        return {"kind": "value", "value": budget_text(value, lang)}
    if isinstance(value, Mapping) and value and key in ("hadir",):
        return {"kind": "attendance", "rows": sorted(value.items()), **named}
    if isinstance(value, Mapping) and value and key in ("hapus",):
        return {"kind": "removed", "rows": sorted(value.items()), **named}
    if key == "nomor_anggota" and isinstance(value, str) and names and names.get(value):
        return {"kind": "member", "value": value, "name": names[value]}
    if isinstance(value, list) and value and all(isinstance(m, Mapping) for m in value):
        if all("nama" in m or "nik" in m for m in value):  # members (daftar, tambah)
            columns = [f for f in MEMBER_COLUMNS if any(f in m for m in value)]
            rows = [[member_value(f, m.get(f), lang) for f in columns] for m in value]
            numbered = [(numbers or {}).get(str(m.get("nik"))) for m in value]
            return {"kind": "members", "columns": columns, "rows": rows, "numbers": numbered}
        return {"kind": "list", "items": [detail(key, dict(m), lang=lang) for m in value]}
    if isinstance(value, Mapping) and value:
        if all(isinstance(v, Mapping) for v in value.values()):  # {member no: {field: value}}
            changes = [
                (no, f, v)
                for no, fields in sorted(value.items())
                for f, v in _member_fields(fields, lang)
            ]
            return {"kind": "member_changes", "rows": changes, **named}
        shown = [(k, detail(k, v, lang=lang, names=names)) for k, v in value.items()]
        return {"kind": "mapping", "rows": shown}
    return {"kind": "value", "value": value}


def member_changes(
    then: Mapping[str, Any],
    now: Mapping[str, Any],
    lang: str = "id",
    replaced: frozenset[str] = frozenset(),
) -> list[tuple[Any, ...]]:
    """A household's members then and now, compared per member and field (in the pages'
    order): (member no, name, field, then, now); a member on one side only is one row with
    the field None. A number in `replaced` was removed since and given to someone added
    later: the member then removed, the member now added, not one person's fields."""
    out: list[tuple[Any, ...]] = []
    for no in sorted(set(then) | set(now)):
        before, after = then.get(no), now.get(no)
        if before is not None and after is not None and no in replaced:
            out.append((no, before.get("nama", ""), None, "present", None))
            out.append((no, after.get("nama", ""), None, None, "present"))
            continue
        name = (after or before or {}).get("nama", "")
        if before is None or after is None:
            out.append((no, name, None, before and "present", after and "present"))
            continue
        for f, _ in _member_fields({**before, **after}, lang):
            if before.get(f) != after.get(f):
                was = member_value(f, before.get(f), lang)
                now_ = member_value(f, after.get(f), lang)
                out.append((no, name, f, was, now_))
    return out


def member_names(members: Any) -> dict[str, str]:
    """A household's member names by number, from its `anggota` (a state's or an event's)."""
    if not isinstance(members, Mapping):
        return {}
    return {
        str(no): str(m["nama"])
        for no, m in members.items()
        if isinstance(m, Mapping) and isinstance(m.get("nama"), str) and m["nama"]
    }


def timeline(
    history: list[dict[str, Any]], lang: str = "id", members: Any = None
) -> list[dict[str, Any]]:
    """History rows with the move each made, and whether it was recorded well after the fact.
    A member an event names by number is shown with the name the household had for it then
    (the members the events before recorded; a member the event itself added, by the name
    it was given), else the name it has now (`members`: the case's current `anggota`)."""
    out, current = [], None
    names: dict[str, str] = {}
    now = member_names(members)
    for e in history:
        to = e["changes"].get("state")
        moved = to is not None and to != current
        after = member_names((e["changes"].get("attrs") or {}).get("anggota"))
        said = now | after | names  # then's names win: the member as the event knew it
        out.append(
            {
                **e,
                "from": current if moved else None,
                "to": to if moved else None,
                "late": recorded_late(e),
                "details": [
                    (
                        EVENT_KEYS.get((e.get("type", ""), k), k),
                        detail(k, v, _numbers_given(e["changes"]), lang, said),
                    )
                    for k, v in e["data"].items()
                    if v is not None
                    and v != ""
                    and v is not False
                    and not (k in TWINS and e["data"].get(TWINS[k]) == v)
                ],
            }
        )
        current = to or current
        if "anggota" in (e["changes"].get("attrs") or {}):
            names = after
    return out


def _numbers_given(changes: Mapping[str, Any]) -> dict[str, str]:
    """NIK -> member number, from the household's members an event recorded (its changes)."""
    members = (changes.get("attrs") or {}).get("anggota")
    if not isinstance(members, Mapping):
        return {}
    return {str(m.get("nik")): no for no, m in members.items() if isinstance(m, Mapping)}


def state_label(definition: WorkflowDefinition, name: str, lang: str) -> str:
    try:
        s = definition.state(name)
    except KeyError:
        return name
    if s.label_id or s.label_en:  # the definition's own name of the state
        said = s.label_en if lang == "en" and s.label_en else s.label_id or s.label_en
        return said[:1].upper() + said[1:]
    if s.closed:
        return label("closed", name, lang)
    if s.level is None and s.stage is None:
        return name
    return f"{label('level', s.level, lang)} · {label('stage', s.stage, lang)}"


def parse_local(raw: str, zone: ZoneInfo, field: str) -> datetime:
    """A datetime-local input read in `zone` (an explicit offset wins)."""
    try:
        dt = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            field,
            f"{echoed(raw)} is not a date and time",
            message_id=f"{echoed(raw)} bukan tanggal dan jam",
        ) from None
    return in_zone(dt, raw, zone, field)


def complaint_defaults(actor: Actor, now: datetime) -> dict[str, str]:
    zone = zone_for_region(actor.region) if actor.region else Zone.WIB
    return {
        "level": actor.role if actor.role in LEVELS else "",
        "region": actor.region or "",
        "zone": zone.value,
        "received_at": f"{now.astimezone(ZONE_INFO[zone]):%Y-%m-%dT%H:%M}",
        "reporter_kind": "kpm",
    }


FILING_FLAGS = ("anonymous", "confidential", "about_self")
# the form's text fields: the filing's keys but the checkboxes and the household (linked by
# the KPM pages, not typed on the form)
FILING_TEXT = tuple(k for k in FILING_KEYS if k not in (*FILING_FLAGS, "household"))


def filing_data(values: dict[str, str]) -> dict[str, Any]:
    """Forms C-1/C-2 as the workflow's filing data: blanks left out, checkboxes as booleans."""
    data: dict[str, Any] = {k: values[k] for k in FILING_TEXT if values.get(k)}
    return data | {f: bool(values.get(f)) for f in FILING_FLAGS}


# attrs the audit page's table of changes leaves out: the members (their own table, below it)
# and the bookkeeping deadlines are counted again with after a calendar override (the day a
# count started again, a referral's budget): the deadlines they give are in the table.
AUDIT_UNLISTED = frozenset({"anggota", COUNTED_FROM, "referral_months"})


def undone_closing(events: list[Event]) -> dict[str, datetime]:
    """The attrs a case open again still carries from a closing that its reopening undid,
    each with when that closing happened: a reopened complaint keeps the level it was closed
    at and how its reporter was told (the fold keeps what the events recorded), which no
    longer hold. The pages say whose they are; replay is left as the events give it."""
    set_by: dict[str, Event] = {}
    status = None
    for ev in events:
        status = ev.changes.get("status", status)
        for k in ev.changes.get("attrs") or {}:
            set_by[k] = ev
    if status != "open":
        return {}
    return {
        k: ev.occurred_at
        for k, ev in set_by.items()
        if ev.changes.get("status") == "closed" and ev.changes["attrs"][k] is not None
    }


def removed_since(members: Mapping[str, Any], later: list[Event]) -> frozenset[str]:
    """The member numbers of `members` that `later` events removed from the household (a
    number removed may be given again: the next number after the highest)."""
    removed: set[str] = set()
    before = set(members)
    for ev in later:
        after = (ev.changes.get("attrs") or {}).get("anggota")
        if isinstance(after, Mapping):
            removed |= before - set(after)
            before = set(after)
    return frozenset(removed)


def audit_case(app: App, actor: Actor, form: dict[str, str], lang: str) -> dict[str, Any]:
    """The case as it stood at a moment, what changed since, and the store's verification.
    The moment is read as everywhere (`api.replaying`): a bare date is the end of that day;
    in the zone chosen, by default the case's own."""
    case_id = form["case_id"]
    try:
        zone = ZONE_INFO[Zone(form["zone"])] if form["zone"] else None
    except ValueError:
        raise InvalidInput(
            "zone", "use WIB, WITA or WIT", message_id="gunakan WIB, WITA, atau WIT"
        ) from None
    r = replay_case(
        app, case_id, actor.username, form["at"] or None, form["basis"], zone=zone, field="moment"
    )
    hidden = unseen(app.service, r.now, actor)  # as the replay masks: by the case now
    now = case_out(app.registry, r.now, actor, hidden=hidden)
    then, not_yet = None, None
    # values of an earlier closing, undone by a reopening: {False: then's, True: now's}
    undone = {False: {}, True: undone_closing(r.events(upto=False))}
    changes: list[tuple[str, Any, Any]] = []
    members: list[tuple[Any, ...]] = []
    if r.state is None:
        hint = text("basis_hint", lang)
        not_yet = not_yet_text(
            r,
            lang,
            hint=hint,
            fmt=lambda dt, z: when(dt, z, lang),
            exact=lambda dt, z: when(dt, z, lang, seconds=True),
        )
    else:
        then = replay_out(app.registry, r, actor, hidden=hidden)
        upto = r.events(upto=True)
        then_n = len(upto)
        undone[False] = undone_closing(upto)
        # a deadline as the cards write it: the instant, shown in the office's zone
        at = {k: DUE_INSTANTS.get(k, k) for k in DIFF_FIELDS}
        changes = [(k, then[at[k]], now[at[k]]) for k in DIFF_FIELDS if then[at[k]] != now[at[k]]]
        keys = sorted(set(then["attrs"]) | set(now["attrs"]))
        # a value that held then and is now an undone closing's has changed, though equal
        said = {
            is_now: {k: (side["attrs"].get(k), undone[is_now].get(k)) for k in keys}
            for is_now, side in ((False, then), (True, now))
        }
        changes += [
            (k, then["attrs"].get(k), now["attrs"].get(k))
            for k in keys
            if said[False][k] != said[True][k] and k not in AUDIT_UNLISTED
        ]
        members = member_changes(
            then["attrs"].get("anggota", {}),
            now["attrs"].get("anggota", {}),
            lang,
            removed_since(then["attrs"].get("anggota", {}), r.events(upto=False)[then_n:]),
        )
    # each column names the members of its own moment (a number may have been reused since:
    # a member removed, a newborn added under it), the other moment's names where it has none
    names_now = member_names(now["attrs"].get("anggota"))
    names_then = member_names((then or {}).get("attrs", {}).get("anggota"))
    names = {False: names_now | names_then, True: names_then | names_now}
    # this case's chain and stored state; the whole store is a background run (POST
    # /audit/runs, the page's own section, `pkh audit verify`): minutes on a national store
    report = audit_runner.verify_case(app.db, case_id)
    definition = app.registry.get(r.now.workflow, r.now.workflow_version)
    return {
        "as_of": r.as_of,
        "basis": r.basis,
        "current": r.current and bool(form["at"]),
        "then": then,
        "not_yet": not_yet,
        "now": now,
        "changes": changes,
        "member_changes": members,
        # when the closing was whose values a side still carries, reopened since: key -> text
        "undone": {
            is_now: {k: when(at, r.now.zone, lang) for k, at in side.items()}
            for is_now, side in undone.items()
        },
        # detail(k, v, True): a value of the case as it is now
        "detail": lambda k, v, is_now=False: detail(k, v, lang=lang, names=names[is_now]),
        "report": report,
        "problems": report.problems,
        "zone": r.now.zone,
        "state_label": lambda name: state_label(definition, name, lang),
        # a KKN or discipline case has no handler (nobody assigns it) and no deadlines: the
        # page does not call it "(office queue)" nor give it deadlines of "–"
        "handled": any(t.trigger == "assign" for t in definition.transitions),
        "dated": bool(definition.stage_budgets or definition.level_budgets),
    }


def audit_check(app: App, actor: Actor, case_id: str) -> dict[str, Any] | None:
    """The check of one case alone, for a case whose history cannot be shown (its events do
    not replay, one cannot be read): None where the actor may not read its row."""
    try:
        app.service.get(case_id, actor.username)  # its row says the region: in scope, or not
    except EngineError:
        return None
    report = audit_runner.verify_case(app.db, case_id)
    return {"report": report, "problems": report.problems}


_MEMBER_PATH = re.compile(r"(anggota\.\d+|tambah\[\d+\])\.(\w+)")


def form_input(path: str) -> str:
    """The data-update form's input for a member field the command's data names by its path:
    a member's field picked from a list (`anggota.03.kelas` -> `ubah_kelas`), another one
    typed as the new value (`nilai_baru`), a new member's (`tambah[0].kelas` ->
    `tambah_kelas`); any other path as it is."""
    m = _MEMBER_PATH.fullmatch(path)
    if m is None:
        return path
    member, field = m.groups()
    if member.startswith("tambah"):
        return NEW_MEMBER + field
    return CHANGE_CODE + field if field in PICKED else "nilai_baru"


def _said_beside(beside: dict[str, str], path: str, msg: str, lang: str) -> None:
    """Add what is wrong with a member field (by the command data's path) to what is said
    under the form's input it came from."""
    name = form_input(path)
    if name == "nilai_baru":  # the typed value: which field it is about
        msg = f"{KC.field_words(path.rsplit('.', 1)[1])[lang == 'en']}: {msg}"
    beside[name] = f"{beside[name]}; {msg}" if name in beside else msg


def engine_error(e: EngineError, lang: str) -> tuple[int, dict[str, Any]]:
    """What the officer reads when the engine refuses, and the page's status code."""
    if isinstance(e, GuardRejected):
        reasons = [r.en if lang == "en" else r.id for r in e.reasons]
        # what a rule says of one input, said beside it too (the box keeps the whole reason)
        beside: dict[str, str] = {}
        for path, said_id, said_en in (f for r in e.reasons for f in r.fields):
            _said_beside(beside, path, said_en if lang == "en" else said_id, lang)
        refused = {"message": text("refused", lang), "reasons": reasons, "reload": False}
        return 422, refused | ({"by_field": beside} if beside else {})
    if isinstance(e, ConcurrencyConflict):
        message = text("conflict", lang, current=e.current, expected=e.expected)
        return 409, {"message": message, "reasons": [], "reload": True}
    if isinstance(e, TransitionNotAllowed):
        return 409, {"message": text("not_allowed", lang), "reasons": [str(e)], "reload": True}
    if isinstance(e, InvalidInput):
        # each field's own message, for the page to put next to the field it names
        by_field: dict[str, str] = {}
        for one in e.every:
            msg = one.message_id if lang == "id" and one.message_id else one.message
            by_field[one.field] = f"{by_field[one.field]}; {msg}" if one.field in by_field else msg
        said = [f"{field_label(f, lang)}: {msg}" for f, msg in by_field.items()]
        # a member field named by its path ('tambah[0].nik': the box says "anggota baru
        # ke-1, NIK: ..."), said under the data-update form's input too ('tambah_nik')
        under: dict[str, str] = {}
        for path, msg in by_field.items():
            if form_input(path) != path:
                _said_beside(under, path, msg, lang)
        fields = {
            "by_field": by_field | under,
            "fields": list(zip(by_field, said, strict=True)),  # the box's links (complaint form)
        }
        if len(said) > 1:  # a form checked whole: every wrong field, each on its line
            message = text("fields_wrong", lang, n=len(said))
            return 422, {"message": message, "reasons": said, "reload": False, **fields}
        return 422, {"message": said[0], "reasons": [], "reload": False, **fields}
    if isinstance(e, NotPermitted):
        return 403, {"message": not_permitted_text(e, lang), "reasons": [], "reload": False}
    return 422, {"message": str(e), "reasons": [], "reload": False}


def not_permitted_text(e: NotPermitted, lang: str) -> str:
    """A refusal of the officer's role in the page's words: the role, the step and who may
    take it, labelled (not the engine's "role 'kabupaten' may not 'find_guilty' ...")."""
    if e.role is None:  # a door's own refusal, already said for people
        return str(e)
    who, may = label("role", e.role, lang), roles_text(e.allowed, lang)
    if e.event is None and e.workflow is None:  # a door for some roles only (a report)
        return text("forbidden_roles", lang, roles=may)
    if e.event is None:
        what = label("type", workflow_key(e.workflow or ""), lang)
        return text("role_may_not_change", lang, role=who, workflow=what, roles=may)
    return text("role_may_not", lang, role=who, event=label("event", e.event, lang), roles=may)
