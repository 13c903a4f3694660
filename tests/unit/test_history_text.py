"""`pkh case history`'s text: what an officer gave a command, and what the workflow added."""

from __future__ import annotations

from typing import Any

from api.views import history_text


def _referral(budget: str) -> dict[str, Any]:
    return {
        "version": 3,
        "type": "CaseReferred",
        "trigger": "refer",
        "actor": "kab.bogor",
        "role": "kabupaten",
        "occurred_at": "2026-03-02T09:00:00+07:00",
        "recorded_at": "2026-03-02T09:00:00+07:00",
        "data": {"body": "pt_pos", "budget": budget},
        "changes": {"state": "kabupaten_rujukan"},
        "note": None,
    }


def test_a_referrals_time_limit_is_said_as_the_workflows_not_as_typed_by_the_officer() -> None:
    """The history printed 'refer body=pt_pos budget="15 hari kerja"', the time limit the
    workflow sets read as if the officer had typed it; the case page says 'Referral time
    limit: 15 working days'."""
    lines = history_text([_referral("15 hari kerja")], "Asia/Jakarta").splitlines()
    assert lines[1] == "     refer body=pt_pos"
    assert lines[2] == "     referral time limit (set by the workflow): 15 working days"
    months = history_text([_referral("3 bulan")], "Asia/Jakarta").splitlines()
    assert months[2] == "     referral time limit (set by the workflow): 3 months"
    assert "budget" not in "\n".join(lines + months)
