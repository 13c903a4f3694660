"""The pengaduan (complaint) workflow: filing, four-level escalation, Tabel 2 stages, referrals.

Declared as data from DOMAIN.md and seed 003 (Pedoman SPM-PKH): each level has its stages and
budgets; `advance` walks the stages, `escalate` moves to the next level's first stage.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.definition import (
    LINKED_REPORTER,
    OFFICE,
    Budget,
    TransitionDef,
    WorkflowDefinition,
)
from engine.state import CaseState
from workflows.complaint_codes import (
    DEADLINE_POLICY,
    INFORMED_VIA,
    LEVEL_RANK,
    LEVELS,
    NAME,
    REFERRAL_SERVICE,
    SIDE_BODIES,
    TABEL_2,
    _handling_states,
    _stages,
    _states,
    open_states,
    state_name,
    zone_for,
)
from workflows.complaint_effects import (
    on_assigned,
    on_closed,
    on_extended,
    on_filed,
    on_new_level,
    on_reclassified,
    on_referral_returned,
    on_referred,
    on_released,
    on_reopened,
    on_reporter_linked,
    on_stage_recorded,
)
from workflows.complaint_guards import (
    _enters_at,
    actor_is_not_subject,
    actor_may_file_at_level,
    at_least_two_reporters,
    duplicate_is_known,
    extension_is_reasonable,
    handler_changes,
    handler_is_eligible,
    has_handler,
    household_in_complaint_region,
    household_is_registered,
    is_pembayaran,
    pendamping_self_complaint_goes_to_pusat,
    region_fits_level,
    reporter_informed,
    reporter_is_new,
)
from workflows.complaint_parse import (
    INPUTS,
    parse_extend,
    parse_filing,
    parse_link_reporter,
    parse_reclassify,
    parse_reject,
    parse_simple,
)
from workflows.guards import actor_covers_region


def deadline_months(state: CaseState, due_field: str) -> int:
    """A deadline of this case counted in calendar months (0: in working days), for moving it
    when the calendar changes (engine.deadlines): a referral given months (service
    availability, as the complaint was typed when referred), its stage due, and its level due
    where the referral carried the level to the same date."""
    if not state.state.endswith("_dirujuk"):
        return 0
    months = state.attrs.get("referral_months")
    if months is None:  # referred before the budget was kept: by the type it had (and has)
        service = state.attrs.get("type") == "ketersediaan_layanan"
        months = REFERRAL_SERVICE.months if service else 0
    if not months:
        return 0
    if due_field == "stage_due" or (
        due_field == "level_due" and state.level_due == state.stage_due
    ):
        return int(months)
    return 0


def recipients(state: CaseState, template: str) -> tuple[str, ...]:
    """Letters go to every reporter of the complaint: the one who filed it (not an anonymous
    one: they cannot be written to) and each reporter linked to it since (`link_reporter`,
    e.g. the second reporter a PT Pos recommendation needs). The acknowledgement goes to the
    reporter just recorded: the filer when filed, the newly linked one when linked. The notice
    of a complaint forwarded to the next level goes to the officers of the office receiving it."""
    if template == "case_forwarded":
        return (OFFICE,)
    first, linked = reporter_recipients(state)
    if template == "acknowledgement":
        return linked[-1:] if linked else first
    return first + linked


def reporter_recipients(state: CaseState) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the filer unless anonymous, each linked reporter in linking order) as recipients, of a
    complaint or of a case that carries its reporters (KKN)."""
    known = state.attrs.get("linked_reporters") or {}
    linked = tuple(
        f"{LINKED_REPORTER}{key}"
        for key in sorted(known, key=lambda k: (len(k), k))  # "2" ... "10": in linking order
        if isinstance(known[key], Mapping)
    )
    return (() if state.attrs.get("anonymous") else ("reporter",)), linked


def _transitions() -> list[TransitionDef]:
    ts: list[TransitionDef] = []
    officer_roles = frozenset(LEVELS)
    for lvl in LEVELS:
        ts.append(
            TransitionDef(
                "file",
                ("baru",),
                state_name(lvl, _stages(lvl)[0][0]),
                "ComplaintFiled",
                officer_roles,
                when=(f"enters_at_{lvl}",),
                effect="on_filed",
                guards=(
                    "actor_covers_region",
                    "actor_may_file_at_level",
                    "region_fits_level",
                    "pendamping_self_complaint_goes_to_pusat",
                    "actor_is_not_subject",
                    "household_is_registered",
                    "household_in_complaint_region",
                ),
            )
        )
    handling_guards = ("actor_is_not_subject",)
    for lvl in LEVELS:
        role = frozenset({lvl})
        stages = _stages(lvl)
        handling = _handling_states(lvl)
        for i, (stage, _) in enumerate(stages):
            src = state_name(lvl, stage)
            if i + 1 < len(stages):
                required = {"identifikasi": ("parties",), "tindak_lanjut": ("result",)}
                ts.append(
                    TransitionDef(
                        "advance",
                        (src,),
                        state_name(lvl, stages[i + 1][0]),
                        "StageAdvanced",
                        role,
                        guards=handling_guards,
                        effect="on_stage_recorded" if stage in required else None,
                        required=required.get(stage, ()),
                    )
                )
            else:
                ts.append(
                    TransitionDef(
                        "advance",
                        (src,),
                        "selesai",
                        "CaseResolved",
                        role,
                        guards=(*handling_guards, "reporter_informed"),
                        effect="on_closed",
                        required=("result",) if stage == "penanganan" else (),
                    )
                )
        nxt = LEVELS[LEVEL_RANK[lvl] + 1] if lvl != "pusat" else None
        if nxt:
            ts.append(
                TransitionDef(
                    "escalate",
                    open_states(lvl),
                    state_name(nxt, _stages(nxt)[0][0]),
                    "CaseEscalated",
                    role | {"system"},
                    guards=handling_guards,
                    effect="on_new_level",
                    required=("reason",),
                )
            )
        if lvl in ("kabupaten", "pusat"):
            ts.append(
                TransitionDef(
                    "refer",
                    handling[1:3],
                    state_name(lvl, "dirujuk"),
                    "CaseReferred",
                    role,
                    guards=handling_guards,
                    effect="on_referred",
                    required=("body",),
                )
            )
            ts.append(
                TransitionDef(
                    "return_from_referral",
                    (state_name(lvl, "dirujuk"),),
                    state_name(lvl, "tindak_lanjut"),
                    "ReferralReturned",
                    role,
                    guards=handling_guards,
                    effect="on_referral_returned",
                    required=("outcome",),
                )
            )
        ts.append(
            TransitionDef(
                "reject",
                open_states(lvl),
                "ditolak",
                "CaseRejected",
                role,
                guards=(*handling_guards, "duplicate_is_known", "reporter_informed"),
                effect="on_closed",
                required=("reason",),
            )
        )
        ts.append(
            TransitionDef(
                "reopen",
                ("selesai",),
                state_name(lvl, stages[0][0]),
                "CaseReopened",
                role,
                when=(f"at_level_{lvl}",),
                effect="on_reopened",
                required=("reason",),
            )
        )
        internal = open_states(lvl)
        ts.append(
            TransitionDef(
                "assign",
                internal,
                internal[0],
                "HandlerAssigned",
                role | {"system"},
                # nor does the person it is about choose who handles it
                guards=("handler_changes", "handler_is_eligible", "actor_is_not_subject"),
                effect="on_assigned",
                required=("handler",),
                internal=True,
            )
        )
        ts.append(
            TransitionDef(
                "release",
                internal,
                internal[0],
                "HandlerReleased",
                role | {"system"},
                guards=("has_handler",),
                effect="on_released",
                required=("reason",),
                internal=True,
                label="back to the office queue",
            )
        )
        ts.append(
            TransitionDef(
                "reclassify",
                internal,
                internal[0],
                "ComplaintReclassified",
                role,
                guards=handling_guards,
                effect="on_reclassified",
                required=("type",),
                internal=True,
            )
        )
        ts.append(
            TransitionDef(
                "link_reporter",
                internal,
                internal[0],
                "ReporterLinked",
                role | {"system"},  # the reporters of a duplicate (complaint_store)
                guards=("reporter_is_new", *handling_guards),
                effect="on_reporter_linked",
                internal=True,
            )
        )
    ts.append(
        TransitionDef(
            "recommend_pt_pos",
            open_states("kabupaten"),
            "pusat_dokumentasi",
            "RecommendedToPusat",
            frozenset({"kabupaten"}),
            guards=("is_pembayaran", "at_least_two_reporters", *handling_guards),
            effect="on_new_level",
        )
    )
    ts.append(
        TransitionDef(
            "extend",
            open_states("pusat"),
            "pusat_dokumentasi",
            "LevelExtended",
            frozenset({"pusat"}),
            guards=("extension_is_reasonable", *handling_guards),
            effect="on_extended",
            required=("working_days", "reason"),
            internal=True,
        )
    )
    return ts


def definition(*, ketua_kelompok_days: int = 20, pendamping_days: int = 5) -> WorkflowDefinition:
    stage_budgets = {
        state_name(lvl, s): Budget(working_days=n)
        for lvl in ("kabupaten", "pusat")
        for s, n in TABEL_2
    }
    stage_budgets[state_name("ketua_kelompok", "penanganan")] = Budget(ketua_kelompok_days)
    stage_budgets[state_name("pendamping", "penanganan")] = Budget(pendamping_days)
    total = sum(n for _, n in TABEL_2)
    guards = {
        g.__name__: g
        for g in (
            actor_covers_region,
            actor_may_file_at_level,
            region_fits_level,
            pendamping_self_complaint_goes_to_pusat,
            actor_is_not_subject,
            household_is_registered,
            household_in_complaint_region,
            reporter_informed,
            is_pembayaran,
            at_least_two_reporters,
            reporter_is_new,
            duplicate_is_known,
            has_handler,
            handler_changes,
            handler_is_eligible,
            extension_is_reasonable,
        )
    }
    effects = {
        e.__name__: e
        for e in (
            on_filed,
            on_new_level,
            on_assigned,
            on_released,
            on_reclassified,
            on_reporter_linked,
            on_referred,
            on_referral_returned,
            on_extended,
            on_closed,
            on_stage_recorded,
            on_reopened,
        )
    }
    predicates = {f"enters_at_{lvl}": _enters_at(lvl) for lvl in LEVELS}
    predicates |= {f"at_level_{lvl}": _at_level_closed(lvl) for lvl in LEVELS}
    return WorkflowDefinition(
        name=NAME,
        version=1,
        id_prefix="ADU",
        initial="baru",
        states=_states(),
        transitions=tuple(_transitions()),
        stage_budgets=stage_budgets,
        level_budgets={
            "ketua_kelompok": Budget(ketua_kelompok_days),
            "pendamping": Budget(pendamping_days),
            "kabupaten": Budget(total),
            "pusat": Budget(total),
        },
        zone_for=zone_for,
        guards=guards,
        predicates=predicates,
        effects=effects,
        parsers={
            "file": parse_filing,
            "reclassify": parse_reclassify,
            "extend": parse_extend,
            "link_reporter": parse_link_reporter,
            "refer": parse_simple(("body", SIDE_BODIES)),
            "reject": parse_reject,
            "advance": parse_simple(("informed_via", INFORMED_VIA), texts=("result", "parties")),
            "escalate": parse_simple(texts=("reason",)),
            "reopen": parse_simple(texts=("reason",)),
            "release": parse_simple(texts=("reason",)),
            "assign": parse_simple(texts=("handler",)),
            "return_from_referral": parse_simple(texts=("outcome",)),
        },
        inputs=INPUTS,
        notifications={
            "ComplaintFiled": ("acknowledgement",),
            # another reporter of the same matter is told their report joined this complaint
            "ReporterLinked": ("acknowledgement",),
            "LevelExtended": ("extension_notice",),
            # the receiving office learns of it now, not at the sweep's first reminder; the
            # reporter, where the complaint is now handled and by when
            "CaseEscalated": ("case_forwarded", "forwarded_notice"),
            "RecommendedToPusat": ("case_forwarded", "forwarded_notice"),
            "CaseResolved": ("result_letter",),
            "CaseRejected": ("result_letter",),
        },
        recipients=recipients,
        deadline_policy=DEADLINE_POLICY,
        static_guards=frozenset(
            {"is_pembayaran", "at_least_two_reporters", "actor_is_not_subject", "has_handler"}
        ),
        creation_time_field="received_at",
        levels=LEVELS,
        title_id="Pengaduan",
        title_en="Complaint",
    )


def _at_level_closed(level: str) -> Any:
    # a closed case keeps the level it was closed at
    return lambda d: d.state is not None and d.state.level == level
