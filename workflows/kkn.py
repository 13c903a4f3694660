"""KKN suspension: staff accused of corruption are relieved of duty at once, then dismissed
(and referred to the authorities) or reinstated; new information reopens the investigation.

One case per staff member and allegation. It is opened by the `system` actor in the same
transaction as the complaint that names them (workflows/staff.py has the reaction).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from engine.definition import Effect, StateDef, TransitionDef, WorkflowDefinition
from engine.errors import InvalidInput, echoed
from engine.machine import Decision
from engine.state import CaseState
from workflows.complaint import reporter_recipients
from workflows.complaint_effects import on_reporter_linked
from workflows.complaint_guards import actor_is_not_subject
from workflows.complaint_parse import parse_link_reporter, parse_region, parse_simple
from workflows.indonesia import ZONE_INFO, zone_for_region

NAME = "kkn"
# Who finds the accused guilty or not guilty: UPPKH Pusat. "UPPKH kabupaten/kota tidak
# bertanggung jawab menangani kasus korupsi": the kabupaten only gathers information and
# coordinates (seed 003, KKN row; DOMAIN: "kabupaten gathers information; pusat and
# authorities handle"), so it may suspend (and suspend again on new information) but not
# clear or dismiss its own staff.
DECIDERS = frozenset({"pusat"})
SUSPENDERS = frozenset({"kabupaten", "pusat"})
# APH (aparat penegak hukum) in general, or a named body
AUTHORITIES = ("aph", "kepolisian", "kejaksaan", "kpk", "apip")


def parse_suspension(data: Mapping[str, Any]) -> dict[str, Any]:
    staff = str(data.get("staff") or "").strip()
    if not staff:
        raise InvalidInput("staff", "is required", message_id="wajib diisi")
    out = {**data, "staff": staff, "region": parse_region(data.get("region"))}
    linked = data.get("linked_reporters")
    if linked:
        # the complaint's reporters, as its own `link_reporter` recorded them
        keys = ("reporter_name", "reporter_contact", "linked_at")
        if not isinstance(linked, Mapping) or not all(
            isinstance(v, Mapping) and all(isinstance(v.get(k) or "", str) for k in keys)
            for v in linked.values()
        ):
            raise InvalidInput(
                "linked_reporters",
                "expected the complaint's linked reporters",
                message_id="harus berupa pelapor lain dari pengaduan",
            )
        out["linked_reporters"] = {
            str(k): {key: v.get(key) for key in keys} for k, v in linked.items()
        }
        out["reporters"] = 1 + len(linked)
    return out


def parse_guilty(data: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(data)
    body = str(data.get("referred_to") or "").strip().lower()
    if body and body not in AUTHORITIES:
        raise InvalidInput(
            "referred_to",
            f"unknown authority {echoed(body)}; expected one of: {', '.join(AUTHORITIES)}",
            message_id=f"instansi {echoed(body)} tidak dikenal; pilihan: {', '.join(AUTHORITIES)}",
        )
    if body:
        out["referred_to"] = body
    return out


def on_suspended(d: Decision) -> Effect:
    attrs = {
        k: d.data.get(k)
        for k in (
            "staff",
            "complaint_id",
            "reporter_name",
            "reporter_contact",
            "anonymous",
            "confidential",
            "staff_user",
        )
    }
    # the complaint's other reporters so far (one reclassified as KKN after they were linked);
    # those linked later follow (workflows/staff.py)
    if d.data.get("linked_reporters"):
        attrs["reporters"] = d.data["reporters"]
        attrs["linked_reporters"] = d.data["linked_reporters"]
    attrs["subject"] = d.data["staff"]
    attrs["suspensions"] = 1
    return Effect(
        changes={"region": d.data["region"], "handler": None, "created_at": d.at},
        attrs=attrs,
        payload={"staff_name": d.data["staff"]},
    )


def on_decided(d: Decision) -> Effect:
    guilty = d.transition is not None and d.transition.dest == "dismissed"
    outcome = "guilty" if guilty else "not_guilty"
    # dismissed meanwhile by another case (a discipline termination): a not-guilty finding
    # restores nothing, and the reporter's letter must not say it does
    ended = d.env.facts.get("subject_dismissed")
    # cleared while another allegation still relieves them of duty: that one's complaint (the
    # letters must not say they are restored)
    held = None if guilty or ended else d.env.facts.get("subject_suspended_by")
    attrs = {
        "outcome": outcome,
        "referred_to": d.data.get("referred_to") if guilty else None,
        "dismissed_by": ended,
    }
    if held:
        attrs["suspended_by"] = held
    payload = {
        "outcome": outcome,
        "staff_name": d.attr("staff"),
        "complaint_id": d.attr("complaint_id"),
    }
    if ended:
        payload["dismissed_by"] = ended
    if held:
        payload["suspended_by"] = held
    return Effect(attrs=attrs, payload=payload)


def on_reopened(d: Decision) -> Effect:
    # a person dismissed meanwhile by another case is not relieved of duty again (no letter)
    ended = d.env.facts.get("subject_dismissed")
    attrs: dict[str, Any] = {
        "outcome": None,
        "suspensions": int(d.attr("suspensions", 1)) + 1,
        "dismissed_by": ended,
    }
    if d.attr("suspended_by"):
        # what held them at the finding this undoes (the next finding says what holds then)
        attrs["suspended_by"] = None
    return Effect(
        attrs=attrs,
        payload={"staff_name": d.attr("staff"), "complaint_id": d.attr("complaint_id")},
    )


def on_merged(d: Decision) -> Effect:
    return Effect(
        attrs={"merged_into": d.data["into"]},
        payload={"staff_name": d.attr("staff"), "complaint_id": d.attr("complaint_id")},
    )


def recipients(state: CaseState, template: str) -> tuple[str, ...]:
    staff_user = state.attrs.get("staff_user")
    # without an account the letter still goes out: on paper, addressed by the staff name
    to_staff = (f"user:{staff_user}",) if staff_user else ("staff",)
    if template in ("kkn_suspension", "kkn_decision"):
        # nobody to relieve of duty, clear or dismiss once another case ended the engagement
        return () if state.attrs.get("dismissed_by") else to_staff
    first, linked = reporter_recipients(state)
    return first + linked  # the outcome letter with the reporter's recourse, to each reporter


def zone_for(level: str | None, region: str) -> ZoneInfo:
    return ZONE_INFO[zone_for_region(region)]


def definition() -> WorkflowDefinition:
    states = (
        StateDef("suspended", label_id="dibebastugaskan", label_en="relieved of duty"),
        StateDef("dismissed", closed=True, label_id="diberhentikan", label_en="dismissed"),
        StateDef("reinstated", closed=True, label_id="dipulihkan", label_en="reinstated"),
        # the same allegation as another KKN case (its complaint was rejected as a duplicate of
        # that one's): decided there, its reporters told there
        StateDef("merged", closed=True, label_id="digabungkan", label_en="merged"),
    )
    conflict = ("actor_is_not_subject",)
    transitions = (
        TransitionDef(
            "suspend",
            ("baru",),
            "suspended",
            "StaffSuspended",
            SUSPENDERS | {"system"},
            effect="on_suspended",
            required=("staff", "region"),
        ),
        TransitionDef(
            "find_guilty",
            ("suspended",),
            "dismissed",
            "StaffDismissed",
            DECIDERS,
            guards=conflict,
            effect="on_decided",
            required=("referred_to",),
        ),
        TransitionDef(
            "find_not_guilty",
            ("suspended",),
            "reinstated",
            "StaffReinstated",
            DECIDERS,
            guards=conflict,
            effect="on_decided",
        ),
        TransitionDef(
            "reopen",
            ("reinstated",),
            "suspended",
            "InvestigationReopened",
            SUSPENDERS | {"system"},
            guards=conflict,
            effect="on_reopened",
            required=("reason",),
        ),
        TransitionDef(
            "merge",
            ("suspended",),
            "merged",
            "InvestigationMerged",
            frozenset({"system"}),
            effect="on_merged",
            required=("into",),
        ),
        # another reporter of the complaint, linked to it after this case opened: told the
        # outcome too (the system, from the complaint: workflows/staff.py)
        TransitionDef(
            "link_reporter",
            ("suspended", "dismissed", "reinstated"),
            "suspended",  # internal: each stays in its own state
            "ReporterLinked",
            frozenset({"system"}),
            effect="on_reporter_linked",
            internal=True,
        ),
    )
    return WorkflowDefinition(
        name=NAME,
        version=1,
        id_prefix="KKN",
        initial="baru",
        states=states,
        transitions=transitions,
        stage_budgets={},
        level_budgets={},
        zone_for=zone_for,
        guards={"actor_is_not_subject": actor_is_not_subject},
        effects={
            f.__name__: f
            for f in (on_suspended, on_decided, on_reopened, on_reporter_linked, on_merged)
        },
        parsers={
            "link_reporter": parse_link_reporter,
            "suspend": parse_suspension,
            "find_guilty": parse_guilty,
            "reopen": parse_simple(texts=("reason",)),
            "merge": parse_simple(texts=("into",)),
        },
        # the data each command takes (anything else is refused, naming it)
        inputs={
            # from the complaint (workflows/staff.py): who, where, and its reporters
            "suspend": (
                "staff",
                "staff_user",
                "region",
                "complaint_id",
                "reporter_name",
                "reporter_contact",
                "anonymous",
                "confidential",
                "reporters",
                "linked_reporters",
            ),
            "find_guilty": ("referred_to", "reason"),
            "find_not_guilty": ("reason",),
            "reopen": ("reason",),
            "merge": ("into",),
            "link_reporter": ("reporter_name", "reporter_contact"),
        },
        notifications={
            "StaffSuspended": ("kkn_suspension",),
            "InvestigationReopened": ("kkn_suspension",),
            # the finding: to the reporters (with their recourse) and to the staff member
            "StaffDismissed": ("kkn_outcome", "kkn_decision"),
            "StaffReinstated": ("kkn_outcome", "kkn_decision"),
        },
        recipients=recipients,
        static_guards=frozenset({"actor_is_not_subject"}),
        title_id="Pembebastugasan KKN",
        title_en="KKN suspension",
    )
