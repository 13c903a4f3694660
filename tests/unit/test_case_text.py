"""The command line's case text: its deadlines are told in the handling office's zone."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from api.views import case_out, case_text
from engine.state import CaseState
from workflows import default_registry

WIB = timezone(timedelta(hours=7))


def test_a_pusat_case_of_a_makassar_region_says_its_deadlines_are_wib_not_the_region() -> None:
    # forwarded to pusat (Jakarta, WIB) from Makassar (WITA): the dates are pusat's days
    state = CaseState(
        id="ADU-2026-000001",
        workflow="complaint",
        workflow_version=1,
        version=2,
        state="pusat_dokumentasi",
        status="open",
        region="7371",
        zone="Asia/Jakarta",
        level="pusat",
        stage="dokumentasi",
        handler=None,
        stage_due=datetime(2026, 12, 2, 23, 59, 59, tzinfo=WIB),
        level_due=datetime(2027, 1, 8, 23, 59, 59, tzinfo=WIB),
        attrs={"type": "pembayaran", "summary": "uji"},
    )
    text = case_text(case_out(default_registry(), state, None))
    assert "7371 (WIB)" not in text  # Makassar is in WITA: the zone is not the region's
    due = next(line for line in text.splitlines() if line.strip().startswith("due:"))
    assert due.split() == ["due:", "stage", "2026-12-02", "level", "2027-01-08", "(WIB)"]


def _staff_case(workflow: str, state: str, **attrs: object) -> CaseState:
    return CaseState(
        id="KKN-2026-000001" if workflow == "kkn" else "DSP-2026-000001",
        workflow=workflow,
        workflow_version=1,
        version=1,
        state=state,
        status="open",
        region="327101",
        zone="Asia/Jakarta",
        level=None,
        stage=None,
        handler=None,
        stage_due=None,
        level_due=None,
        attrs={"staff": "Andi", "subject": "Andi", **attrs},
    )


def test_a_kkn_or_discipline_case_says_whom_it_is_about_not_a_complaints_blanks() -> None:
    """`pkh case replay KKN-...` printed "type: -   level: -   stage: -" and "handler: (office
    queue)", none of which a KKN case has, and not the staff member it is about."""
    kkn = _staff_case("kkn", "suspended", complaint_id="ADU-2026-000034")
    text = case_text(case_out(default_registry(), kkn, None))
    lines = [line.split() for line in text.splitlines()[1:]]
    assert ["staff:", "Andi", "region", "327101"] in lines, text
    assert ["state:", "suspended"] in lines and ["complaint:", "ADU-2026-000034"] in lines
    for absent in ("type:", "level:", "stage:", "handler:", "office queue", "due:"):
        assert absent not in text, text
    dsp = case_text(case_out(default_registry(), _staff_case("discipline", "sp1"), None))
    assert "staff:     Andi" in dsp and "handler:" not in dsp and "type:" not in dsp, dsp


def test_the_operator_is_not_offered_the_engines_own_moves_as_next() -> None:
    """`pkh case show KKN-...` (the local operator, no --actor) listed "next: find_guilty,
    find_not_guilty, merge, link_reporter": merge and link_reporter are the engine's own (the
    system merges a duplicate investigation and links a reporter from the complaint), and done
    by hand they would bypass the complaint. They are now named apart, as the system's."""
    kkn = case_out(default_registry(), _staff_case("kkn", "suspended"), None)
    assert kkn["allowed_events"] == ["find_guilty", "find_not_guilty"], kkn["allowed_events"]
    assert kkn["system_events"] == ["merge", "link_reporter"], kkn["system_events"]
    text = case_text(kkn)
    assert "  next:      find_guilty, find_not_guilty\n" in text + "\n", text
    assert text.endswith("  by the system only: merge, link_reporter"), text


def test_a_kkn_case_cleared_after_another_case_ended_or_held_the_person_says_so() -> None:
    """`pkh case show KKN-2026-000001` said only 'state: reinstated' of Andi, cleared of this
    complaint after KKN-2026-000002 had dismissed him (or while ADU-2026-000035 still relieved
    him of duty): read alone, restored to duty, which the letters and the case's record say he
    was not."""
    ended = _staff_case("kkn", "reinstated", dismissed_by="KKN-2026-000002", outcome="not_guilty")
    text = case_text(case_out(default_registry(), ended, None))
    assert ["dismissed:", "by", "KKN-2026-000002"] in [line.split() for line in text.splitlines()]
    held = _staff_case("kkn", "reinstated", suspended_by="ADU-2026-000035")
    text = case_text(case_out(default_registry(), held, None))
    assert "still relieved of duty under ADU-2026-000035" in text, text
    plain = case_text(case_out(default_registry(), _staff_case("kkn", "reinstated"), None))
    assert "dismissed:" not in plain and "still relieved" not in plain, plain


def test_a_referral_is_named_by_the_bodys_label_as_the_case_page_names_it() -> None:
    """`pkh case show` printed a KKN finding's referral as its code ("referred:  kpk") and a
    complaint's referral not at all; the case page names both bodies by their labels."""
    kkn = _staff_case("kkn", "dismissed", referred_to="kpk")
    text = case_text(case_out(default_registry(), kkn, None))
    assert "  referred:  Corruption Eradication Commission (KPK)" in text.splitlines(), text
    for body, name in (("pt_pos", "PT Pos"), ("bank", "Paying bank")):
        text = case_text(case_out(default_registry(), _referred_complaint(body), None))
        assert f"  referred:  {name}" in text.splitlines(), text


def _referred_complaint(body: str) -> CaseState:
    return CaseState(
        id="ADU-2026-000002",
        workflow="complaint",
        workflow_version=1,
        version=4,
        state="kabupaten_dirujuk",
        status="open",
        region="327101",
        zone="Asia/Jakarta",
        level="kabupaten",
        stage=None,
        handler=None,
        stage_due=None,
        level_due=None,
        attrs={"type": "pembayaran", "summary": "uji", "referred_to": body},
    )
