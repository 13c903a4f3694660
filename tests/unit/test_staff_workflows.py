"""Every allowed and forbidden transition of the KKN and discipline workflows, in memory."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from engine.errors import GuardRejected, InvalidInput, NotPermitted, TransitionNotAllowed
from engine.machine import Command, Env, compile_workflow
from engine.state import SYSTEM, Actor, CaseState, evolve
from workflows import discipline, kkn
from workflows.indonesia import build_calendar

WIB = timezone(timedelta(hours=7))
NOW = datetime(2026, 3, 2, 9, tzinfo=WIB)
PUSAT = Actor("pst", "pusat", None)
KAB = Actor("kab", "kabupaten", "3271")

CALENDAR = build_calendar()  # cached per process
KKN = kkn.definition()
DSP = discipline.definition()
KKN_EXPECTED = {
    ("suspended", "find_guilty"): "dismissed",
    ("suspended", "find_not_guilty"): "reinstated",
    ("reinstated", "reopen"): "suspended",
    # another reporter of the complaint (the system's, from the complaint): in every state
    **{(s, "link_reporter"): s for s in ("suspended", "dismissed", "reinstated")},
    ("suspended", "merge"): "merged",
}
DSP_EXPECTED = {
    ("tercatat", "warn"): "teguran_lisan",
    **{(s, "warn"): "teguran_lisan" for s in ("teguran_lisan",)},
    **{(s, "warn"): s for s in ("sp1", "sp2", "sp3")},
    ("teguran_lisan", "issue_sp1"): "sp1",
    ("sp1", "issue_sp2"): "sp2",
    **{(s, "issue_sp3"): "sp3" for s in ("tercatat", "teguran_lisan", "sp1", "sp2")},
    **{(s, "terminate"): "terminated" for s in discipline.OPEN},
    **{(s, "assess_performance"): s for s in discipline.OPEN},
}
DATA = {
    "referred_to": "kejaksaan",
    "reason": "tidak puas",
    "reporter_name": "Ibu Ratna",
    "into": "KKN-2026-000002",
    "operational": "5,5,5,5,5,5,5,5",
    "behavioural": "5,5,5,5,5",
}


def data_for(definition: Any, trigger: str) -> dict[str, Any]:
    """DATA's keys that `trigger` takes (a command refuses any other)."""
    return {k: v for k, v in DATA.items() if k in definition.inputs.get(trigger, ())}


DSP_DATA = {
    "warn": {"reason": "late"},
    "issue_sp1": {},
    "issue_sp2": {"reason": "negligence"},
    "issue_sp3": {"reason": "data_markup"},
    "terminate": {"reason": "resignation"},
    "assess_performance": {"operational": "5,5,5,5,5,5,5,5", "behavioural": "5,5,5,5,5"},
}


def state(definition: Any, name: str, **attrs: Any) -> CaseState:
    closed = definition.state(name).closed
    return CaseState(
        id="X-2026-000001",
        workflow=definition.name,
        workflow_version=1,
        version=2,
        state=name,
        status="closed" if closed else "open",
        region="327101",
        zone="Asia/Jakarta",
        updated_at=NOW - timedelta(days=1),
        attrs={"staff": "Andi", "subject": "Andi", "oral_warnings": 3, **attrs},
    )


def decide(
    definition: Any,
    st: CaseState | None,
    trigger: str,
    actor: Actor,
    data: dict[str, Any],
    **facts: Any,
) -> CaseState:
    cmd = Command(trigger, actor, NOW, data, case_id="X-2026-000001")
    out = st
    for ev in compile_workflow(definition).decide(st, cmd, Env(CALENDAR, NOW, facts=facts)):
        out = evolve(out, ev)
    assert out is not None
    return out


def _table(definition: Any, expected: dict[tuple[str, str], str]) -> list[tuple[str, str]]:
    triggers = sorted({t.trigger for t in definition.transitions} - {"suspend", "open_record"})
    return [(s.name, t) for s in definition.states for t in triggers]


@pytest.mark.parametrize("source,trigger", _table(KKN, KKN_EXPECTED))
def test_every_kkn_transition_is_allowed_or_refused_as_specified(source: str, trigger: str) -> None:
    expected = KKN_EXPECTED.get((source, trigger))
    actor = SYSTEM if trigger in ("link_reporter", "merge") else PUSAT
    if expected is None:
        with pytest.raises(TransitionNotAllowed):
            decide(KKN, state(KKN, source), trigger, actor, data_for(KKN, trigger))
    else:
        assert (
            decide(KKN, state(KKN, source), trigger, actor, data_for(KKN, trigger)).state
            == expected
        )


def test_only_the_system_links_a_reporter_to_a_kkn_case() -> None:
    with pytest.raises(NotPermitted):
        decide(KKN, state(KKN, "suspended"), "link_reporter", PUSAT, data_for(KKN, "link_reporter"))
    linked = decide(
        KKN, state(KKN, "suspended"), "link_reporter", SYSTEM, data_for(KKN, "link_reporter")
    )
    assert linked.attrs["reporters"] == 2
    assert linked.attrs["linked_reporters"]["2"]["reporter_name"] == "Ibu Ratna"


@pytest.mark.parametrize("source,trigger", _table(DSP, DSP_EXPECTED))
def test_every_discipline_transition_is_allowed_or_refused_as_specified(
    source: str, trigger: str
) -> None:
    expected = DSP_EXPECTED.get((source, trigger))
    st = state(DSP, source, termination_proposed=True)
    if expected is None:
        with pytest.raises(TransitionNotAllowed):
            decide(DSP, st, trigger, KAB, dict(DSP_DATA[trigger]))
    else:
        assert decide(DSP, st, trigger, KAB, dict(DSP_DATA[trigger])).state == expected


def test_the_specification_tables_list_every_declared_move() -> None:
    for definition, expected in ((KKN, KKN_EXPECTED), (DSP, DSP_EXPECTED)):
        declared = {(s, t.trigger) for t in definition.transitions for s in t.source if s != "baru"}
        assert declared == set(expected)


def test_a_suspension_opens_at_once_as_system() -> None:
    data = {
        "staff": "Andi",
        "region": "327101",
        "complaint_id": "ADU-2026-000001",
        "staff_user": "pdp.andi",
    }
    st = decide(KKN, None, "suspend", Actor("system", "system"), data)
    assert (st.state, st.status, st.attrs["subject"]) == ("suspended", "open", "Andi")


def test_nobody_decides_their_own_case_and_auditors_decide_nothing() -> None:
    with pytest.raises(GuardRejected, match="conflict_of_interest"):
        decide(KKN, state(KKN, "suspended"), "find_not_guilty", PUSAT, {}, subject_user="pst")
    with pytest.raises(NotPermitted):
        decide(KKN, state(KKN, "suspended"), "find_not_guilty", Actor("a", "auditor"), {})


def test_the_kabupaten_suspends_and_reopens_but_only_pusat_finds_guilty_or_not() -> None:
    """Seed 003: UPPKH kabupaten/kota does not handle corruption cases, it gathers information;
    it must not clear (or dismiss) its own staff."""
    for trigger in ("find_not_guilty", "find_guilty"):
        with pytest.raises(NotPermitted):
            decide(KKN, state(KKN, "suspended"), trigger, KAB, data_for(KKN, trigger))
    assert decide(KKN, state(KKN, "suspended"), "find_not_guilty", PUSAT, {}).state == "reinstated"
    reopened = decide(KKN, state(KKN, "reinstated"), "reopen", KAB, {"reason": "bukti baru"})
    assert reopened.state == "suspended"


def test_sp1_needs_more_than_two_oral_warnings() -> None:
    st = state(DSP, "teguran_lisan", oral_warnings=2)
    with pytest.raises(GuardRejected, match="too_few_oral_warnings"):
        decide(DSP, st, "issue_sp1", KAB, {})
    third = decide(DSP, st, "warn", KAB, {"reason": "missed_meeting"})
    assert third.attrs["oral_warnings"] == 3
    assert decide(DSP, third, "issue_sp1", KAB, {}).state == "sp1"


def test_a_yearly_score_below_26_proposes_termination() -> None:
    st = state(DSP, "tercatat")
    with pytest.raises(GuardRejected, match="no_low_score"):
        decide(DSP, st, "terminate", KAB, {"reason": "performance_below_26"})
    low = decide(
        DSP,
        st,
        "assess_performance",
        KAB,
        {"operational": "2,2,1,2,2,2,1,2", "behavioural": "2,1,2,2,2"},
    )
    assert low.attrs["performance"]["total"] == 23 and low.attrs["termination_proposed"]
    assert (
        decide(DSP, low, "terminate", KAB, {"reason": "performance_below_26"}).state == "terminated"
    )
    fine = decide(
        DSP,
        st,
        "assess_performance",
        KAB,
        {"operational": "2,2,2,2,2,2,2,2", "behavioural": "2,2,2,2,2"},
    )
    assert fine.attrs["performance"]["total"] == 26 and not fine.attrs["termination_proposed"]


def test_termination_after_sp3_needs_an_sp3() -> None:
    with pytest.raises(GuardRejected, match="no_sp3_yet"):
        decide(DSP, state(DSP, "sp2"), "terminate", KAB, {"reason": "after_sp3"})
    assert (
        decide(DSP, state(DSP, "sp3"), "terminate", KAB, {"reason": "after_sp3"}).state
        == "terminated"
    )


@pytest.mark.parametrize(
    "operational,behavioural,field",
    [
        ("5", "5", "operational"),  # two perfect marks used to total 10 and propose termination
        ("5,5,5", "5,5,5,5,5", "operational"),  # the three aspects, not their eight indicators
        ("5,5,5,5,5,5,5,5", "5,5,5", "behavioural"),
        ("5,5,5,5,5,5,5,5,5", "5,5,5,5,5", "operational"),
        ("5,5,5,5,5,5,5,6", "5,5,5,5,5", "operational"),
        ("5,5,5,5,5,5,5,5", "5,5,5,5,0", "behavioural"),
        ("5,5,5,5,5,5,5,5", "baik", "behavioural"),
        ("", "5,5,5,5,5", "operational"),
    ],
)
def test_a_performance_assessment_needs_every_indicator_of_seed_002_scored_1_to_5(
    operational: str, behavioural: str, field: str
) -> None:
    st = state(DSP, "tercatat")
    data = {"operational": operational, "behavioural": behavioural}
    with pytest.raises(InvalidInput) as refused:
        decide(DSP, st, "assess_performance", KAB, data)
    assert refused.value.field == field


def test_the_assessment_scores_the_eight_operational_and_five_behavioural_indicators() -> None:
    assert len(discipline.OPERATIONAL_INDICATORS) == 8  # planning, six processes, reporting
    assert len(discipline.BEHAVIOURAL_INDICATORS) == 5
    st = state(DSP, "tercatat")
    best = decide(DSP, st, "assess_performance", KAB, dict(DSP_DATA["assess_performance"]))
    assert best.attrs["performance"]["total"] == 65 and not best.attrs["termination_proposed"]
    worst = {"operational": ",".join("1" * 8), "behavioural": "1,1,1,1,1"}
    low = decide(DSP, st, "assess_performance", KAB, worst)
    assert low.attrs["performance"]["total"] == 13 and low.attrs["termination_proposed"]


@pytest.mark.parametrize("trigger", sorted(DSP_DATA))
def test_a_dismissed_staff_member_gets_no_new_sanction(trigger: str) -> None:
    source = "sp1" if trigger == "issue_sp2" else "teguran_lisan"
    st = state(DSP, source, termination_proposed=True)
    with pytest.raises(GuardRejected) as refused:
        decide(DSP, st, trigger, KAB, dict(DSP_DATA[trigger]), subject_dismissed="KKN-2026-000001")
    assert [r.key for r in refused.value.reasons] == ["staff_dismissed"]
    assert "KKN-2026-000001" in refused.value.reasons[0].id


def test_a_sanction_records_the_unit_that_issued_it() -> None:
    by_kab = decide(DSP, state(DSP, "sp1"), "issue_sp2", KAB, {"reason": "negligence"})
    by_pusat = decide(DSP, state(DSP, "sp2"), "issue_sp3", PUSAT, {"reason": "double_job"})
    assert (by_kab.attrs["issuer"], by_pusat.attrs["issuer"]) == ("kabupaten", "pusat")


def test_staff_without_an_account_still_get_their_letters_on_paper() -> None:
    no_account = state(DSP, "sp1")
    assert discipline.recipients(no_account, "discipline_letter") == ("staff",)
    linked = state(DSP, "sp1", staff_user="pdp.andi")
    assert discipline.recipients(linked, "discipline_letter") == ("user:pdp.andi",)
    assert kkn.recipients(state(KKN, "suspended"), "kkn_suspension") == ("staff",)


def test_the_assessment_form_tells_the_officer_how_many_scores_each_aspect_needs() -> None:
    from api.i18n import field_label

    for lang in ("id", "en"):
        for key, indicators in discipline.INDICATORS.items():
            shown = field_label(key, lang)
            assert f"{len(indicators)} " in shown and "1-5" in shown, shown
