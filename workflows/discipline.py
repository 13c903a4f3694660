"""Staff discipline (SDM sanctions): oral warnings, SP-1, SP-2, SP-3, termination.

The ladder follows DOMAIN.md and seed 001 (Kode Etik SDM PKH): SP-1 needs more than two oral
warnings; SP-3 is for breaking the law or the code of ethics, and can come at any step; the
engagement ends after SP-3, or for the other reasons the rules list, including a yearly
performance score below 26. One case per staff member; a dismissed person gets no new sanction.
The UPPKH Kabupaten/Kota sanctions its staff down to the pendamping (seed 003, "teknis,
administrasi" row 2; seed 000, SANKSI), UPPKH Pusat may too: each sanction records which.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from engine.definition import Effect, StateDef, TransitionDef, WorkflowDefinition
from engine.errors import InvalidInput, Reason, echoed
from engine.machine import Decision
from engine.state import CaseState
from workflows.complaint_guards import actor_is_not_subject
from workflows.complaint_parse import parse_region
from workflows.indonesia import ZONE_INFO, zone_for_region

NAME = "discipline"
OFFICERS = frozenset({"kabupaten", "pusat"})
ORAL_REASONS = ("late", "missed_meeting", "late_report", "absent_without_leave", "not_coordinating")
SP2_REASONS = ("negligence", "core_duties_not_done", "absent_over_3_days")
SP3_REASONS = (
    "data_markup",
    "misuse_of_funds",
    "party_politics",
    "double_job",
    "law_breach",
    "ethics_breach",
)
OTHER_TERMINATION = (
    "breach_of_contract",
    "legal_case",
    "resignation",
    "death",
    "force_majeure",
    "performance_below_26",
)
TERMINATION_REASONS = ("after_sp3", *OTHER_TERMINATION)
PASSING_SCORE = 26
# Seed 002, "Penilaian Kinerja (1)": the operational aspects are work planning, the business
# processes (six, each scored) and reporting; the behavioural competences are five. Scores are
# 1-5 each (slide 25). 13 scores give 13-65, which the seed's grades fit (below 26: every score
# under "kurang mampu"; above 45: "sangat baik"); 3 + 5 scores could never exceed 40.
OPERATIONAL_INDICATORS = (
    "perencanaan kerja",
    "validasi",
    "penyaluran bansos",
    "P2K2",
    "verifikasi",
    "pemutakhiran data",
    "transformasi kepesertaan",
    "pelaporan kegiatan",
)
BEHAVIOURAL_INDICATORS = (
    "komunikasi",
    "hubungan interpersonal",
    "koordinasi",
    "analisis dan penyelesaian masalah",
    "pengendalian diri",
)
INDICATORS = {"operational": OPERATIONAL_INDICATORS, "behavioural": BEHAVIOURAL_INDICATORS}
# the same indicators, in order, as an English refusal and the English form name them (the
# glossary's programme terms, validasi, P2K2, verifikasi, pemutakhiran, kept)
INDICATORS_EN = {
    "operational": (
        "work planning",
        "validasi",
        "distribution of social assistance (penyaluran bansos)",
        "P2K2",
        "verifikasi",
        "data updates (pemutakhiran data)",
        "transformation of participation (transformasi kepesertaan)",
        "activity reporting",
    ),
    "behavioural": (
        "communication",
        "interpersonal relations",
        "coordination",
        "problem analysis and solving",
        "self-control",
    ),
}
SANCTION_LABELS = {
    "sp1": "Surat Peringatan Pertama (SP-1)",
    "sp2": "Surat Peringatan Kedua (SP-2)",
    "sp3": "Surat Peringatan Ketiga (SP-3)",
    "terminated": "Pemutusan Hubungan Kerja",
}
OPEN = ("tercatat", "teguran_lisan", "sp1", "sp2", "sp3")


def _reason(options: tuple[str, ...]) -> Any:
    def parse(data: Mapping[str, Any]) -> dict[str, Any]:
        value = str(data.get("reason") or "").strip().lower()
        if value and value not in options:
            raise InvalidInput(
                "reason",
                f"unknown reason {echoed(value)}; expected one of: {', '.join(options)}",
                message_id=f"alasan {echoed(value)} tidak dikenal; pilihan: {', '.join(options)}",
            )
        return {**data, "reason": value or None}

    return parse


def parse_opening(data: Mapping[str, Any]) -> dict[str, Any]:
    staff = str(data.get("staff") or "").strip()
    if not staff:
        raise InvalidInput("staff", "is required", message_id="wajib diisi")
    return {**data, "staff": staff, "region": parse_region(data.get("region"))}


def _scores(data: Mapping[str, Any], key: str) -> list[int]:
    """One score of 1-5 for every indicator of the aspect, in the seed's order: a partial
    assessment would total low and propose a termination nobody earned."""
    indicators = INDICATORS[key]
    expected = (
        f"expected {len(indicators)} scores of 1-5 separated by commas, one per indicator "
        f"in this order: {', '.join(INDICATORS_EN[key])}"
    )
    expected_id = (
        f"harus {len(indicators)} nilai 1-5 dipisah koma, satu untuk setiap indikator "
        f"dengan urutan: {', '.join(indicators)}"
    )
    raw = data.get(key)
    items = raw if isinstance(raw, list) else str(raw if raw is not None else "").split(",")
    try:
        scores = [int(str(x).strip()) for x in items if str(x).strip()]
    except ValueError:
        raise InvalidInput(key, expected, message_id=expected_id) from None
    if len(scores) != len(indicators):
        raise InvalidInput(
            key,
            f"{expected}; got {len(scores)}",
            message_id=f"{expected_id}; yang diberikan {len(scores)}",
        )
    if any(not 1 <= x <= 5 for x in scores):
        raise InvalidInput(
            key,
            f"each score must be 1 to 5; {expected}",
            message_id=f"setiap nilai harus 1 sampai 5; {expected_id}",
        )
    return scores


def parse_assessment(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        **data,
        "operational": _scores(data, "operational"),
        "behavioural": _scores(data, "behavioural"),
    }


# ----------------------------------------------------------------------------------- guards
def more_than_two_oral_warnings(d: Decision) -> Reason | None:
    n = int(d.attr("oral_warnings", 0))
    if n > 2:
        return None
    return Reason(
        "too_few_oral_warnings",
        f"SP-1 memerlukan lebih dari dua teguran lisan (baru {n})",
        f"SP-1 needs more than two oral warnings ({n} so far)",
    )


def subject_is_not_dismissed(d: Decision) -> Reason | None:
    # the service's staff facts name the case that ended the engagement (KKN or discipline)
    ended = d.env.facts.get("subject_dismissed")
    if not ended:
        return None
    who = d.attr("staff")
    return Reason(
        "staff_dismissed",
        f"{who} sudah diberhentikan ({ended}); sanksi baru tidak dapat diberikan",
        f"{who} has been dismissed ({ended}); no new sanction can be given",
    )


def termination_is_founded(d: Decision) -> Reason | None:
    reason = d.data.get("reason")
    if reason == "after_sp3" and d.source != "sp3":
        return Reason(
            "no_sp3_yet",
            "pemutusan setelah SP-3 memerlukan SP-3",
            "termination after SP-3 needs an SP-3 first",
        )
    if reason == "performance_below_26" and not d.attr("termination_proposed"):
        return Reason(
            "no_low_score",
            f"belum ada penilaian kinerja di bawah {PASSING_SCORE}",
            f"no yearly performance score below {PASSING_SCORE} is recorded",
        )
    return None


# ---------------------------------------------------------------------------------- effects
def on_opened(d: Decision) -> Effect:
    return Effect(
        changes={"region": d.data["region"], "handler": None, "created_at": d.at},
        attrs={
            "staff": d.data["staff"],
            "subject": d.data["staff"],
            "staff_user": d.data.get("staff_user"),
            "oral_warnings": 0,
        },
    )


def on_warned(d: Decision) -> Effect:
    return Effect(attrs={"oral_warnings": int(d.attr("oral_warnings", 0)) + 1})


def on_sanctioned(d: Decision) -> Effect:
    assert d.transition is not None
    sanction = d.transition.dest
    # the unit that issues (and signs) the letter: pusat when pusat acted, else the
    # UPPKH Kabupaten/Kota of the staff member's region
    issuer = "pusat" if d.actor.role == "pusat" else "kabupaten"
    attrs: dict[str, Any] = {"sanction": sanction, "issuer": issuer}
    if sanction == "terminated" and d.data.get("reason") == "death":
        attrs["deceased"] = True  # no letter telling the deceased their engagement ends
    return Effect(
        attrs=attrs,
        payload={
            "sanction": sanction,
            "issuer": issuer,
            "sanction_label": SANCTION_LABELS[sanction],
            "staff_name": d.attr("staff"),
        },
    )


def on_assessed(d: Decision) -> Effect:
    total = sum(d.data["operational"]) + sum(d.data["behavioural"])
    return Effect(
        attrs={
            "performance": {
                "operational": d.data["operational"],
                "behavioural": d.data["behavioural"],
                "total": total,
            },
            "termination_proposed": total < PASSING_SCORE,
        },
        payload={"total": total, "proposes_termination": total < PASSING_SCORE},
    )


def recipients(state: CaseState, template: str) -> tuple[str, ...]:
    if state.attrs.get("deceased"):
        # "hubungan kerja Saudara/Saudari ... diakhiri; dapat menyampaikan tanggapan" is no
        # letter to send a person who has died (the termination stays on the record)
        return ()
    # without an account the letter still goes out: on paper, addressed by the staff name
    user = state.attrs.get("staff_user")
    return (f"user:{user}",) if user else ("staff",)


def zone_for(level: str | None, region: str) -> ZoneInfo:
    return ZONE_INFO[zone_for_region(region)]


def definition() -> WorkflowDefinition:
    states = (
        StateDef("tercatat", label_id="tercatat", label_en="on record"),
        StateDef("teguran_lisan", label_id="teguran lisan", label_en="oral warning"),
        StateDef("sp1", label_id="SP-1", label_en="first warning letter"),
        StateDef("sp2", label_id="SP-2", label_en="second warning letter"),
        StateDef("sp3", label_id="SP-3", label_en="third warning letter"),
        StateDef("terminated", closed=True, label_id="diberhentikan", label_en="terminated"),
    )
    g = ("actor_is_not_subject", "subject_is_not_dismissed")
    t = TransitionDef
    transitions = (
        t(
            "open_record",
            ("baru",),
            "tercatat",
            "DisciplineRecordOpened",
            OFFICERS,
            guards=g[:1],
            effect="on_opened",
            required=("staff", "region"),
        ),
        t(
            "warn",
            ("tercatat",),
            "teguran_lisan",
            "OralWarningGiven",
            OFFICERS,
            guards=g,
            effect="on_warned",
            required=("reason",),
        ),
        t(
            "warn",
            ("teguran_lisan", "sp1", "sp2", "sp3"),
            "teguran_lisan",
            "OralWarningGiven",
            OFFICERS,
            guards=g,
            effect="on_warned",
            required=("reason",),
            internal=True,
        ),
        t(
            "issue_sp1",
            ("teguran_lisan",),
            "sp1",
            "WarningLetterIssued",
            OFFICERS,
            guards=(*g, "more_than_two_oral_warnings"),
            effect="on_sanctioned",
        ),
        t(
            "issue_sp2",
            ("sp1",),
            "sp2",
            "WarningLetterIssued",
            OFFICERS,
            guards=g,
            effect="on_sanctioned",
            required=("reason",),
        ),
        t(
            "issue_sp3",
            ("tercatat", "teguran_lisan", "sp1", "sp2"),
            "sp3",
            "WarningLetterIssued",
            OFFICERS,
            guards=g,
            effect="on_sanctioned",
            required=("reason",),
        ),
        t(
            "terminate",
            OPEN,
            "terminated",
            "EngagementTerminated",
            OFFICERS,
            guards=(*g, "termination_is_founded"),
            effect="on_sanctioned",
            required=("reason",),
        ),
        t(
            "assess_performance",
            OPEN,
            "tercatat",
            "PerformanceAssessed",
            OFFICERS,
            guards=g,
            effect="on_assessed",
            required=("operational", "behavioural"),
            internal=True,
        ),
    )
    return WorkflowDefinition(
        name=NAME,
        version=1,
        id_prefix="DSP",
        initial="baru",
        states=states,
        transitions=transitions,
        stage_budgets={},
        level_budgets={},
        zone_for=zone_for,
        guards={
            f.__name__: f
            for f in (
                actor_is_not_subject,
                subject_is_not_dismissed,
                more_than_two_oral_warnings,
                termination_is_founded,
            )
        },
        effects={f.__name__: f for f in (on_opened, on_warned, on_sanctioned, on_assessed)},
        parsers={
            "open_record": parse_opening,
            "warn": _reason(ORAL_REASONS),
            "issue_sp2": _reason(SP2_REASONS),
            "issue_sp3": _reason(SP3_REASONS),
            "terminate": _reason(TERMINATION_REASONS),
            "assess_performance": parse_assessment,
        },
        # the data each command takes (anything else is refused, naming it)
        inputs={
            "open_record": ("staff", "region", "staff_user"),
            **{
                k: ("reason",) for k in ("warn", "issue_sp1", "issue_sp2", "issue_sp3", "terminate")
            },
            "assess_performance": ("operational", "behavioural"),
        },
        notifications={
            "WarningLetterIssued": ("discipline_letter",),
            "EngagementTerminated": ("discipline_letter",),
        },
        recipients=recipients,
        static_guards=frozenset({"actor_is_not_subject", "more_than_two_oral_warnings"}),
        title_id="Disiplin SDM",
        title_en="Staff discipline",
    )
