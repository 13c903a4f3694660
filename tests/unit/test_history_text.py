"""`pkh case history`'s text: what an officer gave a command, and what the workflow added."""

from __future__ import annotations

from typing import Any

import pytest

from api.views import history_text
from engine.errors import InvalidInput
from workflows import complaint, discipline, kkn, kpm
from workflows import kpm_parse as P

# the data each command takes, as `pkh case history` is given it (the case's definition's)
COMPLAINT = complaint.definition().inputs


def _event(type_: str, trigger: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": 3,
        "type": type_,
        "trigger": trigger,
        "actor": "kab.bogor",
        "role": "kabupaten",
        "occurred_at": "2026-03-02T09:00:00+07:00",
        "recorded_at": "2026-03-02T09:00:00+07:00",
        "data": data,
        "changes": {},
        "note": None,
    }


def _referral(budget: str) -> dict[str, Any]:
    return _event("CaseReferred", "refer", {"body": "pt_pos", "budget": budget})


def test_a_referrals_time_limit_is_said_as_the_workflows_not_as_typed_by_the_officer() -> None:
    """The history printed 'refer body=pt_pos budget="15 hari kerja"', the time limit the
    workflow sets read as if the officer had typed it; the case page says 'Referral time
    limit: 15 working days'."""
    lines = history_text([_referral("15 hari kerja")], "Asia/Jakarta", COMPLAINT).splitlines()
    assert lines[1] == "     refer body=pt_pos"
    assert lines[2] == "     referral time limit (set by the workflow): 15 working days"
    months = history_text([_referral("3 bulan")], "Asia/Jakarta", COMPLAINT).splitlines()
    assert months[2] == "     referral time limit (set by the workflow): 3 months"
    assert "budget" not in "\n".join(lines + months)


def _said(type_: str, trigger: str, data: dict[str, Any], inputs: Any) -> list[str]:
    return history_text([_event(type_, trigger, data)], "Asia/Jakarta", inputs).splitlines()[1:]


def test_what_a_staff_case_and_a_household_workflow_add_is_said_as_theirs() -> None:
    """A KKN finding printed 'find_guilty referred_to=kepolisian outcome=guilty
    staff_name=Andi complaint_id=ADU-2026-000001', an assessment 'total=20
    proposes_termination=true', a correction 'berlaku_mulai=2026-04': what the workflow adds
    itself, read as typed by the officer under its raw key."""
    guilty = {
        "referred_to": "kepolisian",
        "outcome": "guilty",
        "staff_name": "Andi",
        "complaint_id": "ADU-2026-000001",
    }
    assert _said("StaffDismissed", "find_guilty", guilty, kkn.definition().inputs) == [
        "     find_guilty referred_to=kepolisian",
        "     verdict (set by the workflow): Guilty",
        "     staff member's name (set by the workflow): Andi",
        "     originating complaint (set by the workflow): ADU-2026-000001",
    ]
    # the name given with the suspension is said once, as given (the case page does so)
    suspended = {"staff": "Andi", "region": "3201", "staff_name": "Andi"}
    assert _said("StaffSuspended", "suspend", suspended, kkn.definition().inputs) == [
        "     suspend staff=Andi region=3201"
    ]

    scored = {"operational": [3] * 5, "behavioural": [1] * 5, "total": 20}
    scored["proposes_termination"] = True
    staff = discipline.definition().inputs
    assert _said("PerformanceAssessed", "assess_performance", scored, staff) == [
        "     assess_performance operational=[3, 3, 3, 3, 3] behavioural=[1, 1, 1, 1, 1]",
        "     total score (set by the workflow): 20",
        "     termination proposed (score below 26) (set by the workflow): yes",
    ]
    sp1 = {"reason": "absent", "sanction": "sp1", "issuer": "kabupaten", "staff_name": "Budi"}
    assert _said("WarningLetterIssued", "issue_sp1", sp1, staff)[1:3] == [
        "     sanction (set by the workflow): First warning letter (SP-1)",
        "     issued by (set by the workflow): UPPKH district/city",
    ]

    correction = {"pengaduan": "ADU-2026-000002", "anggota": {"03": {"kelas": 11}}}
    lines = _said(
        "CorrectionScheduled",
        "koreksi",
        correction | {"berlaku_mulai": "2026-04"},
        kpm.definition().inputs,
    )
    assert lines == [
        '     koreksi pengaduan=ADU-2026-000002 anggota={"03": {"kelas": 11}}',
        "     applies from (set by the workflow): 2026-04",
    ]
    control = {"tanggal": "2026-07-13", "perubahan": {"03": {"kelas": 12}}}
    assert _said("DataControlled", "kontrol_data", control, kpm.definition().inputs) == [
        "     kontrol_data tanggal=2026-07-13",
        '     changes found by the data control (set by the workflow): {"03": {"kelas": 12}}',
    ]


@pytest.mark.parametrize("trigger", sorted(P.INPUTS))
def test_the_household_workflows_inputs_are_what_its_parsers_take(trigger: str) -> None:
    """The KPM definition's inputs (what the history says was given) name exactly the keys
    each command's parser takes."""
    parser = kpm.definition().parsers[trigger]
    with pytest.raises(InvalidInput) as refused:
        parser({"zz_stray": 1})
    keys = P.INPUTS[trigger]
    assert f"({'it takes ' + ', '.join(keys) if keys else 'it takes no data'})" in str(
        refused.value.message
    )


def test_a_version_missing_from_the_stored_events_is_said_where_it_is() -> None:
    """With version 2 of a case deleted from case_events by hand, `pkh case history` listed
    v1 then v3 and said nothing (helper-86's finding): a history read for an audit hid the
    gap that verify reports as version_gap. The gap is now a line of its own where it is."""
    rows = []
    for v in (1, 3, 4, 7):
        row = _event("StageAdvanced", "advance", {})
        rows.append({**row, "version": v})
    text = history_text(rows)
    lines = text.splitlines()
    gaps = [line for line in lines if line.startswith("!!")]
    assert len(gaps) == 2, text
    assert gaps[0].startswith("!!   v2 missing: the store was altered outside pkh"), text
    assert gaps[1].startswith("!!   v5-v6 missing"), text
    assert lines.index(gaps[0]) < next(i for i, x in enumerate(lines) if x.startswith("v3 "))
    whole = [{**_event("StageAdvanced", "advance", {}), "version": v} for v in (1, 2, 3)]
    assert "!!" not in history_text(whole)
