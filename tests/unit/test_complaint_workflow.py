"""Every allowed and every forbidden transition of the complaint workflow, decided in memory."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from engine.errors import GuardRejected, InvalidInput, NotPermitted, TransitionNotAllowed
from engine.machine import Command, Env, compile_workflow
from engine.state import Actor, CaseState, evolve
from workflows import complaint

WIB = timezone(timedelta(hours=7))
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=WIB)
DEF = complaint.definition()
WF = compile_workflow(DEF)
ACTORS = {
    "ketua_kelompok": Actor("kk", "ketua_kelompok", "3271011001"),
    "pendamping": Actor("pdp", "pendamping", "327101"),
    "kabupaten": Actor("kab", "kabupaten", "3271"),
    "pusat": Actor("pst", "pusat", None),
}
# Data that satisfies every required key, so only the table decides.
FULL_DATA: dict[str, Any] = {
    "parties": "Dinas Sosial",
    "result": "sudah diperbaiki",
    "informed_via": "surat",
    "reason": "bukan_pkh",
    "body": "tim_koordinasi_kabupaten",
    "outcome": "selesai",
    "working_days": 5,
    "handler": "other",
    "type": "pembayaran",
    "reporter_name": "Ibu Ani",
}


def full_data(trigger: str) -> dict[str, Any]:
    """FULL_DATA's keys that `trigger` takes (a command refuses any other)."""
    return {k: v for k, v in FULL_DATA.items() if k in complaint.INPUTS.get(trigger, ())}


K, P = "kabupaten", "pusat"
FOUR = ("dokumentasi", "identifikasi", "tindak_lanjut", "pemberitahuan")


def _chain(level: str) -> dict[tuple[str, str], str]:
    names = [f"{level}_{s}" for s in FOUR]
    table = {(a, "advance"): b for a, b in zip(names, names[1:], strict=False)}
    table[(names[-1], "advance")] = "selesai"
    table[(f"{level}_identifikasi", "refer")] = f"{level}_dirujuk"
    table[(f"{level}_tindak_lanjut", "refer")] = f"{level}_dirujuk"
    table[(f"{level}_dirujuk", "return_from_referral")] = f"{level}_tindak_lanjut"
    return table


# The specification, written out independently of the definition.
EXPECTED: dict[tuple[str, str], str] = {
    ("ketua_kelompok_penanganan", "advance"): "selesai",
    ("pendamping_penanganan", "advance"): "selesai",
    ("ketua_kelompok_penanganan", "escalate"): "pendamping_penanganan",
    ("pendamping_penanganan", "escalate"): "kabupaten_dokumentasi",
    **_chain(K),
    **_chain(P),
    **{(f"{K}_{s}", "escalate"): "pusat_dokumentasi" for s in (*FOUR, "dirujuk")},
    **{(f"{K}_{s}", "recommend_pt_pos"): "pusat_dokumentasi" for s in (*FOUR, "dirujuk")},
}
OPEN = [s.name for s in DEF.states if not s.closed]
for s in OPEN:
    EXPECTED[(s, "reject")] = "ditolak"
    for internal in ("assign", "release", "reclassify", "link_reporter"):
        EXPECTED[(s, internal)] = s
for s in (f"{P}_{x}" for x in (*FOUR, "dirujuk")):
    EXPECTED[(s, "extend")] = s
TRIGGERS = sorted({t.trigger for t in DEF.transitions} - {"file", "reopen"})


def state_at(name: str, **attrs: Any) -> CaseState:
    sd = DEF.state(name)
    level = sd.level or "kabupaten"
    return CaseState(
        id="ADU-2026-000001",
        workflow="complaint",
        workflow_version=1,
        version=3,
        state=name,
        status="closed" if sd.closed else "open",
        region="3271011001",
        zone="Asia/Jakarta",
        level=level,
        stage=sd.stage,
        handler=None,
        stage_due=NOW + timedelta(days=5),
        level_due=NOW + timedelta(days=30),
        updated_at=NOW - timedelta(days=1),
        attrs={"type": "pembayaran", "reporters": 2, "anonymous": False, **attrs},
    )


def env(calendar: Any, **facts: Any) -> Env:
    base = {"handler_user": Actor("other", "kabupaten", "3271")}
    return Env(calendar, NOW, facts={**base, **facts})


def decide(
    calendar: Any,
    state: CaseState | None,
    trigger: str,
    actor: Actor,
    data: dict[str, Any] | None = None,
    **facts: Any,
) -> CaseState:
    cmd = Command(
        trigger,
        actor,
        NOW,
        data if data is not None else full_data(trigger),
        case_id="ADU-2026-000001",
    )
    events = WF.decide(state, cmd, env(calendar, **facts))
    out = state
    for ev in events:
        out = evolve(out, ev)
    assert out is not None
    return out


def actor_for(state: str) -> Actor:
    return ACTORS[DEF.state(state).level or "kabupaten"]


@pytest.mark.parametrize("source", [s.name for s in DEF.states])
@pytest.mark.parametrize("trigger", TRIGGERS)
def test_every_transition_is_allowed_or_refused_exactly_as_specified(
    calendar: Any, source: str, trigger: str
) -> None:
    actor = actor_for(source)
    st = replace(state_at(source), handler=actor.username)  # someone handles it: releasable
    colleague = Actor("other", actor.role, actor.region)
    data = full_data(trigger)
    facts = {"handler_user": colleague}
    expected = EXPECTED.get((source, trigger))
    if expected is None:
        with pytest.raises(TransitionNotAllowed) as err:
            decide(calendar, st, trigger, actor, data, **facts)
        assert trigger not in err.value.allowed
        assert err.value.allowed == WF.allowed_for(st, actor)
    else:
        after = decide(calendar, st, trigger, actor, data, **facts)
        assert after.state == expected
        assert after.version == st.version + 1


def test_the_specification_table_and_the_definition_list_the_same_moves() -> None:
    declared = {
        (s, t.trigger)
        for t in DEF.transitions
        for s in t.source
        if t.trigger not in ("file", "reopen")
    }
    assert declared == set(EXPECTED)


@pytest.mark.parametrize("level", complaint.LEVELS)
def test_a_complaint_is_filed_at_the_first_stage_of_its_entry_level(
    calendar: Any, level: str
) -> None:
    from tests.conftest import complaint_data

    region = "3271011001"
    actor = ACTORS[level] if level != "pusat" else ACTORS["pusat"]
    st = decide(calendar, None, "file", actor, complaint_data(level=level, region=region))
    assert st.level == level
    assert st.state == DEF.first_state_of(level)
    assert st.status == "open" and st.version == 1
    assert st.handler == actor.username


def test_stage_and_level_due_dates_follow_tabel_2_and_restart_at_pusat(calendar: Any) -> None:
    from tests.conftest import complaint_data

    st = decide(calendar, None, "file", ACTORS["kabupaten"], complaint_data())
    # Monday 2 March 2026 + 5 working days. The level: 26 working days, skipping 18-24 March
    # (Nyepi, Idul Fitri and their cuti bersama) and Good Friday 3 April: 15 April.
    assert st.stage_due.date().isoformat() == "2026-03-09"
    assert st.stage_due.astimezone(WIB).time().isoformat() == "23:59:59"
    assert st.level_due.date().isoformat() == "2026-04-15"
    up = decide(calendar, st, "escalate", ACTORS["kabupaten"], {"reason": "perlu pusat"})
    assert up.level == "pusat" and up.handler is None
    assert up.stage_due.date().isoformat() == "2026-03-09"
    assert up.level_due.date().isoformat() == "2026-04-15"


def test_a_wita_office_gets_its_own_local_due_date(calendar: Any) -> None:
    from tests.conftest import complaint_data

    # 23:30 WIB on Friday 6 March is already Saturday 00:30 in Makassar (WITA).
    late = datetime(2026, 3, 6, 23, 30, tzinfo=WIB)
    mks = Actor("kab.mks", "kabupaten", "7371")
    cmd = Command("file", mks, late, complaint_data(region="7371"), case_id="ADU-2026-000002")
    ev = WF.decide(None, cmd, Env(calendar, late + timedelta(hours=1)))[0]
    st = evolve(None, ev)
    assert st.zone == "Asia/Makassar"
    assert st.stage_due.isoformat() == "2026-03-13T23:59:59+08:00"
    cmd_wib = Command(
        "file", ACTORS["kabupaten"], late, complaint_data(), case_id="ADU-2026-000003"
    )
    st_wib = evolve(None, WF.decide(None, cmd_wib, Env(calendar, late + timedelta(hours=1)))[0])
    assert st_wib.stage_due.isoformat() == "2026-03-13T23:59:59+07:00"
    late_fri = datetime(2026, 3, 5, 23, 30, tzinfo=WIB)  # Friday 00:30 in WITA
    cmd2 = Command("file", mks, late_fri, complaint_data(region="7371"), case_id="ADU-2026-4")
    st2 = evolve(None, WF.decide(None, cmd2, Env(calendar, late))[0])
    assert st2.stage_due.isoformat() == "2026-03-13T23:59:59+08:00"  # Fri + 5 wd = next Fri


def test_a_guard_refusal_lists_every_failing_reason(calendar: Any) -> None:
    st = state_at("kabupaten_dokumentasi", type="data_peserta", reporters=1)
    with pytest.raises(GuardRejected) as err:
        decide(calendar, st, "recommend_pt_pos", ACTORS["kabupaten"], {})
    keys = [r.key for r in err.value.reasons]
    assert keys == ["not_payment", "too_few_reporters"]
    assert all(r.id and r.en for r in err.value.reasons)


def test_pt_pos_recommendation_needs_two_linked_reporters(calendar: Any) -> None:
    st = state_at("kabupaten_tindak_lanjut", reporters=1)
    with pytest.raises(GuardRejected, match="too_few_reporters"):
        decide(calendar, st, "recommend_pt_pos", ACTORS["kabupaten"], {})
    two = decide(calendar, st, "link_reporter", ACTORS["kabupaten"], {"reporter_name": "Ibu Ani"})
    assert decide(calendar, two, "recommend_pt_pos", ACTORS["kabupaten"], {}).level == "pusat"


def test_a_linked_reporter_is_someone_and_someone_new(calendar: Any) -> None:
    # an empty "Tambah pelapor", or one person linked twice, used to count as a second
    # reporter and unlock the PT Pos recommendation
    st = state_at("kabupaten_tindak_lanjut", reporters=1, reporter_name="Ibu Siti")
    kab = ACTORS["kabupaten"]
    with pytest.raises(InvalidInput, match="reporter_name"):
        decide(calendar, st, "link_reporter", kab, {})
    with pytest.raises(InvalidInput, match="reporter_name"):
        decide(calendar, st, "link_reporter", kab, {"reporter_name": "  ", "reporter_contact": ""})
    with pytest.raises(GuardRejected, match="reporter_already_recorded"):
        decide(calendar, st, "link_reporter", kab, {"reporter_name": "ibu  siti"})
    two = decide(
        calendar,
        st,
        "link_reporter",
        kab,
        {"reporter_name": "Ibu Ani", "reporter_contact": "0812 1"},
    )
    assert two.attrs["reporters"] == 2
    assert two.attrs["linked_reporters"] == {
        "2": {
            "reporter_name": "Ibu Ani",
            "reporter_contact": "0812 1",
            "linked_at": "2026-03-02T09:00:00+07:00",  # when their report was recorded
        }
    }
    with pytest.raises(GuardRejected, match="reporter_already_recorded"):
        decide(calendar, two, "link_reporter", kab, {"reporter_contact": "0812 1"})
    # the same name with another contact is another person
    three = decide(
        calendar,
        two,
        "link_reporter",
        kab,
        {"reporter_name": "Ibu Ani", "reporter_contact": "0813"},
    )
    assert three.attrs["reporters"] == 3


def test_nobody_handles_a_complaint_about_themselves(calendar: Any) -> None:
    st = state_at("kabupaten_dokumentasi", accused="kab")
    with pytest.raises(GuardRejected, match="conflict_of_interest"):
        decide(calendar, st, "advance", ACTORS["kabupaten"], {})
    with pytest.raises(GuardRejected, match="handler_ineligible"):
        decide(
            calendar,
            state_at("kabupaten_dokumentasi", accused="other"),
            "assign",
            ACTORS["kabupaten"],
            {"handler": "other"},
        )


def test_why_a_handler_cannot_be_assigned_is_told_in_indonesian_too(calendar: Any) -> None:
    st = state_at("kabupaten_dokumentasi", accused="other")
    colleague = Actor("other", "kabupaten", "3271")  # one the officer could otherwise assign
    with pytest.raises(GuardRejected) as err:
        decide(
            calendar,
            st,
            "assign",
            ACTORS["kabupaten"],
            {"handler": "other"},
            handler_user=colleague,
            handler_suspended=True,
        )
    (reason,) = err.value.reasons
    assert reason.key == "handler_ineligible"
    for indonesian in ("dibebastugaskan", "diadukan"):
        assert indonesian in reason.id, reason.id
    assert "relieved of duty" in reason.en and "diadukan" not in reason.en


def test_an_account_out_of_the_cases_reach_is_refused_as_if_there_were_none(
    calendar: Any,
) -> None:
    """No account, another role, another region: the same words, so typing names does not tell
    an officer which accounts exist elsewhere or their roles (nor that one is suspended)."""
    st = state_at("kabupaten_dokumentasi", accused="other")
    said = set()
    for facts in (
        {"handler_user": None},  # no active account by that name
        {"handler_user": Actor("other", "pendamping", "327101")},
        {"handler_user": Actor("other", "kabupaten", "3273")},
        {"handler_user": Actor("other", "pusat", None)},
        {"handler_user": Actor("other", "admin", None), "handler_suspended": True},
    ):
        with pytest.raises(GuardRejected) as err:
            decide(calendar, st, "assign", ACTORS["kabupaten"], {"handler": "other"}, **facts)
        (reason,) = err.value.reasons
        said.add((reason.key, reason.id, reason.en))
    assert said == {
        (
            "handler_not_assignable",
            "tidak ada petugas bernama other yang dapat ditugasi kasus ini: "
            "pilih petugas kabupaten yang aktif di wilayah kasus",
            "no handler named other you can assign to this case: "
            "choose an active kabupaten officer of the case's region",
        )
    }


def test_a_pendamping_complaint_about_itself_must_go_to_pusat(calendar: Any) -> None:
    from tests.conftest import complaint_data

    data = complaint_data(reporter_kind="pendamping", about_self=True)
    with pytest.raises(GuardRejected, match="pendamping_self_to_pusat"):
        decide(calendar, None, "file", ACTORS["kabupaten"], data)
    st = decide(calendar, None, "file", ACTORS["pusat"], {**data, "level": "pusat"})
    assert st.level == "pusat" and st.attrs["form"] == "C-2"


def test_a_complaint_cannot_close_before_the_reporter_is_informed_unless_anonymous(
    calendar: Any,
) -> None:
    st = state_at("kabupaten_pemberitahuan")
    with pytest.raises(GuardRejected, match="reporter_not_informed"):
        decide(calendar, st, "advance", ACTORS["kabupaten"], {})
    closed = decide(
        calendar,
        state_at("kabupaten_pemberitahuan", anonymous=True),
        "advance",
        ACTORS["kabupaten"],
        {},
    )
    assert closed.status == "closed" and closed.stage_due is None and closed.level_due is None


def test_leaving_a_stage_that_needs_data_names_the_missing_keys(calendar: Any) -> None:
    # bad input naming the field (422 / exit 2), not a refusal of the case's state
    with pytest.raises(InvalidInput, match="parties") as missing:
        decide(calendar, state_at("kabupaten_identifikasi"), "advance", ACTORS["kabupaten"], {})
    assert missing.value.field == "parties" and missing.value.message_id == "wajib diisi"


def test_a_duplicate_rejection_must_name_an_existing_case(calendar: Any) -> None:
    st = state_at("kabupaten_dokumentasi")
    data = {"reason": "duplikat", "informed_via": "surat"}
    with pytest.raises(GuardRejected, match="duplicate_of_missing"):
        decide(calendar, st, "reject", ACTORS["kabupaten"], data)
    with pytest.raises(GuardRejected, match="duplicate_of_unknown"):
        decide(
            calendar,
            st,
            "reject",
            ACTORS["kabupaten"],
            {**data, "duplicate_of": "X"},
            duplicate_exists=False,
        )
    done = decide(
        calendar,
        st,
        "reject",
        ACTORS["kabupaten"],
        {**data, "duplicate_of": "X"},
        duplicate_exists=True,
    )
    assert done.state == "ditolak" and done.attrs["duplicate_of"] == "X"


def test_a_resolved_complaint_reopens_at_its_level_with_a_fresh_clock(calendar: Any) -> None:
    closed = state_at("selesai")
    later = decide(calendar, closed, "reopen", ACTORS["kabupaten"], {"reason": "tidak puas"})
    assert later.state == "kabupaten_dokumentasi" and later.status == "open"
    assert later.level_due.date().isoformat() == "2026-04-15"
    with pytest.raises(TransitionNotAllowed):
        decide(calendar, state_at("ditolak"), "reopen", ACTORS["kabupaten"], {"reason": "x"})


def test_a_referral_for_service_availability_gets_three_months(calendar: Any) -> None:
    st = state_at("kabupaten_tindak_lanjut", type="ketersediaan_layanan")
    out = decide(calendar, st, "refer", ACTORS["kabupaten"], {"body": "dinas_teknis"})
    assert out.stage_due.date().isoformat() == "2026-06-02"  # 2 March + 3 months, a working day
    assert out.level_due >= out.stage_due


def test_a_follow_up_back_from_a_referral_gets_its_15_working_days_within_the_new_level_due(
    calendar: Any,
) -> None:
    # referred for 3 months on 2 March, so the level is held to 2 June; the body answers on
    # that very day: the level gets 15 + 3 more working days, and so must its follow-up
    # stage (15), not a stage due the day it starts under the level due the return replaced
    st = state_at("kabupaten_tindak_lanjut", type="ketersediaan_layanan")
    referred = decide(calendar, st, "refer", ACTORS["kabupaten"], {"body": "dinas_teknis"})
    back_at = datetime(2026, 6, 2, 10, 0, tzinfo=WIB)
    cmd = Command(
        "return_from_referral",
        ACTORS["kabupaten"],
        back_at,
        {"outcome": "guru sudah ditempatkan"},
        case_id="ADU-2026-000001",
    )
    ev = WF.decide(referred, cmd, Env(calendar, back_at, facts=env(calendar).facts))[0]
    back = evolve(referred, ev)
    assert back.state == "kabupaten_tindak_lanjut"
    assert back.level_due.date().isoformat() == "2026-06-29"  # 18 wd, skips 16 June
    assert back.stage_due.date().isoformat() == "2026-06-24"  # 15 wd
    assert back.stage_due <= back.level_due


def test_pusat_extends_its_deadline_by_working_days(calendar: Any) -> None:
    st = state_at("pusat_tindak_lanjut")
    st = CaseState(
        **{
            **st.as_dict(),
            "level": "pusat",
            "level_due": datetime(2026, 3, 17, 23, 59, 59, tzinfo=WIB),
        }
    )
    out = decide(calendar, st, "extend", ACTORS["pusat"], {"working_days": "2", "reason": "x"})
    assert out.level_due.date().isoformat() == "2026-03-26"  # skips 18-24 March
    with pytest.raises(GuardRejected, match="extension_out_of_range"):
        decide(calendar, st, "extend", ACTORS["pusat"], {"working_days": 40, "reason": "x"})


def test_an_extension_of_an_overdue_case_counts_from_the_day_it_is_given(calendar: Any) -> None:
    # due 13 and 6 February, extended on 2 March: N working days from 2 March, not from the
    # old dues (which would give "new" deadlines still in the past, the stage still overdue)
    st = state_at("pusat_tindak_lanjut")
    st = CaseState(
        **{
            **st.as_dict(),
            "level": "pusat",
            "level_due": datetime(2026, 2, 13, 23, 59, 59, tzinfo=WIB),
            "stage_due": datetime(2026, 2, 6, 23, 59, 59, tzinfo=WIB),
        }
    )
    out = decide(calendar, st, "extend", ACTORS["pusat"], {"working_days": "5", "reason": "x"})
    assert out.level_due.date().isoformat() == "2026-03-09"  # 2 March + 5 working days
    assert out.stage_due.date().isoformat() == "2026-03-09"
    assert out.stage_due > NOW and out.level_due > NOW


def test_roles_and_regions_limit_who_may_act(calendar: Any) -> None:
    st = state_at("kabupaten_dokumentasi")
    with pytest.raises(NotPermitted) as err:
        decide(calendar, st, "advance", ACTORS["pendamping"], {})
    assert not err.value.out_of_scope
    with pytest.raises(NotPermitted) as err:
        decide(calendar, st, "advance", Actor("kab.bdg", "kabupaten", "3273"), {})
    assert err.value.out_of_scope
    assert WF.allowed_for(st, Actor("kab.bdg", "kabupaten", "3273")) == []
    assert WF.allowed_for(st, Actor("aud", "auditor", None)) == []


@pytest.mark.parametrize(
    "field,value",
    [
        ("type", "bukan_tipe"),
        ("region", "3299"),
        ("level", "desa"),
        ("channel", "burung"),
        ("summary", ""),
        ("reporter_name", None),
    ],
)
def test_bad_filing_data_names_the_field(calendar: Any, field: str, value: Any) -> None:
    from tests.conftest import complaint_data

    with pytest.raises(InvalidInput) as err:
        decide(calendar, None, "file", ACTORS["kabupaten"], complaint_data(**{field: value}))
    assert err.value.field == field
    assert err.value.message_id and err.value.message_id != err.value.message  # for the pages


def test_event_times_may_be_backdated_within_limits_but_not_in_the_future(calendar: Any) -> None:
    from tests.conftest import complaint_data

    for at, ok in (
        (NOW - timedelta(days=10), True),
        (NOW + timedelta(hours=1), False),
        (NOW - timedelta(days=61), False),
    ):
        cmd = Command("file", ACTORS["kabupaten"], at, complaint_data(), case_id="ADU-X")
        if ok:
            WF.decide(None, cmd, Env(calendar, NOW))
        else:
            with pytest.raises(InvalidInput, match="at"):
                WF.decide(None, cmd, Env(calendar, NOW))


def test_a_refused_time_is_told_in_the_cases_zone_in_english_and_indonesian(
    calendar: Any,
) -> None:
    """The officer typed 10:00 WIB: the refusal says 10:00 WIB, not 03:00 UTC, and the pages
    have it in Bahasa Indonesia."""
    st = state_at("kabupaten_dokumentasi")  # a Bogor case: Asia/Jakarta
    typed = (NOW + timedelta(days=1)).astimezone(WIB).replace(hour=10, minute=0)
    cmd = Command("advance", ACTORS["kabupaten"], typed, {})
    with pytest.raises(InvalidInput) as err:
        WF.decide(st, cmd, Env(calendar, NOW))
    shown = f"{typed:%Y-%m-%d} 10:00 WIB"
    assert err.value.field == "at" and err.value.message == f"{shown} is in the future"
    assert err.value.message_id is not None and err.value.message_id.startswith(shown)
    assert "masa depan" in err.value.message_id


def test_a_result_belongs_to_its_level_and_a_rejection_quotes_only_its_own(
    calendar: Any,
) -> None:
    kab = ACTORS["kabupaten"]
    followed = decide(
        calendar, state_at("kabupaten_tindak_lanjut"), "advance", kab, {"result": "x"}
    )
    assert followed.attrs["result"] == "x"
    up = decide(calendar, followed, "escalate", kab, {"reason": "perlu pusat"})
    assert up.attrs.get("result") is None and up.attrs.get("parties") is None
    rejected = decide(
        calendar, followed, "reject", kab, {"reason": "bukan_pkh", "informed_via": "surat"}
    )
    assert rejected.attrs.get("result") is None  # the follow-up's result is not the reason
    said = {"reason": "bukan_pkh", "informed_via": "surat", "result": "di luar PKH"}
    assert decide(calendar, followed, "reject", kab, said).attrs["result"] == "di luar PKH"


def test_a_stage_started_late_never_outlasts_its_level(calendar: Any) -> None:
    st = state_at("kabupaten_identifikasi")
    st = CaseState(**{**st.as_dict(), "level_due": datetime(2026, 3, 4, 23, 59, 59, tzinfo=WIB)})
    out = decide(calendar, st, "advance", ACTORS["kabupaten"], {"parties": "Dinas Sosial"})
    # tindak_lanjut would get 15 working days, but the level ends on 4 March
    assert out.stage_due == out.level_due == st.level_due


# ----------------------------------------------------------------------- the household named
HOUSEHOLD = {"case_id": "KPM-2026-000001", "region": "3271011001"}


def test_a_complaint_names_no_household_or_one_the_kpm_register_holds(calendar: Any) -> None:
    from tests.conftest import complaint_data

    kab = ACTORS["kabupaten"]
    # most reporters are not KPM, or do not know the household: nothing is looked up
    assert decide(calendar, None, "file", kab, complaint_data()).attrs["household"] is None
    # the register's case number, whichever of its codes the officer gave
    data = complaint_data(household="3271012600001")
    st = decide(calendar, None, "file", kab, data, household=HOUSEHOLD)
    assert st.attrs["household"] == "KPM-2026-000001"


@pytest.mark.parametrize(
    "found",
    [None, {"case_id": "KPM-2026-000007", "region": "7371011001"}],
    ids=["unknown", "outside-the-officers-area"],
)
def test_a_household_the_register_does_not_hold_is_bad_input_naming_the_field(
    calendar: Any, found: dict[str, str] | None
) -> None:
    """Outside the officer's area a household does not exist, as a case does not."""
    from tests.conftest import complaint_data

    data = complaint_data(household="KPM-2026-999999")
    with pytest.raises(InvalidInput) as err:
        decide(calendar, None, "file", ACTORS["kabupaten"], data, household=found)
    assert err.value.field == "household" and "KPM-2026-999999" in err.value.message
    assert err.value.message_id is not None and "tidak terdaftar" in err.value.message_id


def test_a_household_of_another_region_than_the_complaints_is_refused(calendar: Any) -> None:
    """The complaint goes to the office of its region: it must be the household's."""
    from tests.conftest import complaint_data

    elsewhere = {"case_id": "KPM-2026-000007", "region": "7371011001"}
    data = complaint_data(household="KPM-2026-000007", region="3271")
    with pytest.raises(GuardRejected) as err:
        decide(calendar, None, "file", ACTORS["pusat"], data, household=elsewhere)
    (reason,) = err.value.reasons
    assert reason.key == "household_outside_region"
    assert "7371011001" in reason.id and "3271" in reason.id and "wilayah" in reason.id
    # another desa of the officer's own kabupaten: still not the complaint's desa
    other_desa = {"case_id": "KPM-2026-000008", "region": "3271011002"}
    with pytest.raises(GuardRejected, match="household_outside_region"):
        decide(
            calendar,
            None,
            "file",
            ACTORS["kabupaten"],
            complaint_data(household="KPM-2026-000008"),
            household=other_desa,
        )
    # filed in the household's region (or a region holding it), it is taken
    st = decide(
        calendar,
        None,
        "file",
        ACTORS["pusat"],
        {**data, "region": "7371"},
        household=elsewhere,
    )
    assert st.region == "7371" and st.attrs["household"] == "KPM-2026-000007"


# ------------------------------------------------------------------- data a command does not take
@pytest.mark.parametrize(
    ("trigger", "data", "field"),
    [
        ("advance", {"parties": "Dinsos", "bogus": "1"}, "bogus"),
        # keys of other commands, which the event log would have kept (and the timeline shown)
        # as if the case had changed: its type, handler, the accused, its confidentiality
        ("advance", {"parties": "Dinsos", "type": "kkn", "handler": "pdp"}, "type"),
        ("escalate", {"reason": "perlu pusat", "accused": "pdp"}, "accused"),
        ("assign", {"handler": "other", "confidential": "true"}, "confidential"),
        ("release", {"reason": "cuti", "handler": "x"}, "handler"),
    ],
)
def test_data_a_command_does_not_take_is_refused_naming_it(
    calendar: Any, trigger: str, data: dict[str, Any], field: str
) -> None:
    actor = ACTORS[K]
    st = replace(state_at("kabupaten_identifikasi"), handler=actor.username)
    with pytest.raises(InvalidInput) as err:
        decide(calendar, st, trigger, actor, data, handler_user=Actor("other", K, "3271"))
    assert err.value.field == field
    assert "is not data of this command (it takes " in err.value.message
    assert err.value.message_id and err.value.message_id.startswith("bukan data perintah ini")
    # without the stray keys the same command is accepted
    clean = {k: v for k, v in data.items() if k in complaint.INPUTS[trigger]}
    decide(calendar, st, trigger, actor, clean, handler_user=Actor("other", K, "3271"))


def test_every_command_takes_what_its_transitions_require_and_the_definition_checks_it() -> None:
    for t in DEF.transitions:
        assert set(t.required) <= set(complaint.INPUTS[t.trigger]), t.trigger
    with pytest.raises(ValueError, match="extend: requires working_days, which it does not take"):
        replace(DEF, inputs={**complaint.INPUTS, "extend": ("reason",)})
    with pytest.raises(ValueError, match="inputs: unknown trigger nope"):
        replace(DEF, inputs={**complaint.INPUTS, "nope": ()})


def test_only_a_rejection_as_a_duplicate_names_the_complaint_it_duplicates(calendar: Any) -> None:
    actor = ACTORS[K]
    st = state_at("kabupaten_identifikasi")
    data = {"reason": "bukan_pkh", "duplicate_of": "ADU-2026-000002", "informed_via": "sms"}
    with pytest.raises(InvalidInput) as err:
        decide(calendar, st, "reject", actor, data)
    assert err.value.field == "duplicate_of" and "duplikat" in str(err.value.message_id)
    rejected = decide(calendar, st, "reject", actor, {**data, "duplicate_of": ""})
    assert rejected.state == "ditolak" and "duplicate_of" not in rejected.attrs
    with pytest.raises(InvalidInput) as err:
        decide(calendar, st, "reject", actor, {**data, "informed_via": "merpati"})
    assert err.value.field == "informed_via"


def test_releasing_a_case_nobody_handles_or_assigning_its_own_handler_is_refused(
    calendar: Any,
) -> None:
    """Both would record an event that changes nothing (and the page offered the first)."""
    actor = ACTORS[K]
    queued = state_at("kabupaten_identifikasi")  # in the office queue: no handler
    assert "release" not in WF.allowed_for(queued, actor)
    with pytest.raises(GuardRejected) as err:
        decide(calendar, queued, "release", actor, {"reason": "cuti"})
    assert [r.key for r in err.value.reasons] == ["no_handler"]
    handled = replace(queued, handler="kab")
    assert "release" in WF.allowed_for(handled, actor)
    assert decide(calendar, handled, "release", actor, {"reason": "cuti"}).handler is None
    with pytest.raises(GuardRejected) as err:
        decide(calendar, handled, "assign", actor, {"handler": "KAB"}, handler_user=actor)
    assert [r.key for r in err.value.reasons] == ["handler_unchanged"]
    other = Actor("kab2", K, "3271")
    after = decide(calendar, handled, "assign", actor, {"handler": "kab2"}, handler_user=other)
    assert after.handler == "kab2"


def test_refusals_say_levels_and_codes_in_words_not_as_keys(calendar: Any) -> None:
    """Officers read these reasons on the page: "ketua kelompok", not "ketua_kelompok"."""
    data = {
        "type": "data_peserta",
        "channel": "surat",
        "level": "ketua_kelompok",
        "region": "3271",
        "summary": "x",
        "reporter_name": "Ibu Ani",
    }
    with pytest.raises(GuardRejected) as err:
        decide(calendar, None, "file", ACTORS["pendamping"], data)
    said = " ".join(r.id for r in err.value.reasons)
    assert "tingkat ketua kelompok" in said and "_" not in said
    with pytest.raises(GuardRejected) as err:
        decide(calendar, state_at("kabupaten_pemberitahuan"), "advance", ACTORS[K], {})
    said = " ".join(r.id for r in err.value.reasons)
    assert "Pelapor diberi tahu melalui" in said and "tatap muka" in said
    assert "tatap_muka" not in said


def test_a_filing_with_several_mistakes_names_every_one_at_once(calendar: Any) -> None:
    """A form with three mistakes is refused once, naming all three (in the form's order),
    not three times in turn; the first is still `field`, for a client that reads one."""
    from tests.conftest import complaint_data

    data = complaint_data(type="bukan_tipe", region="3299", summary="", reporter_name=None)
    with pytest.raises(InvalidInput) as err:
        decide(calendar, None, "file", ACTORS["kabupaten"], data)
    e = err.value
    assert [one.field for one in e.every] == ["type", "region", "summary", "reporter_name"]
    assert e.field == "type"
    assert all(one.message_id for one in e.every)  # each said in Indonesian for the pages
    assert [x["field"] for x in e.as_dict()["errors"]] == [
        "type",
        "region",
        "summary",
        "reporter_name",
    ]  # type: ignore[union-attr]
    assert "summary: is required" in str(e) and str(e).startswith("type: unknown value")
    # a field that is itself wrong is not also said to be missing
    long_name = complaint_data(reporter_name="x" * 201, channel="burung")
    with pytest.raises(InvalidInput) as err:
        decide(calendar, None, "file", ACTORS["kabupaten"], long_name)
    assert [one.field for one in err.value.every] == ["channel", "reporter_name"]
    assert "longer than 200" in err.value.every[1].message
