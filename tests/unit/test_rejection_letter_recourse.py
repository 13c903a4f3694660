"""A rejected complaint's result letter offered the reporter a recourse the programme cannot
give: "meminta agar pengaduan dibuka kembali" ("ask ... to reopen the complaint"), though the
complaint workflow reopens only a resolved complaint (`selesai`), never a rejected one
(`ditolak`). The reporter is told instead to bring it again, as a new complaint.

Also: letters signed by an office the complaint reached after another received it (the result
letter, the extension notice, the KKN outcome) said "yang kami terima pada"; they say "yang
diterima pada" now."""

from __future__ import annotations

from typing import Any

import pytest

from notifications.render import render, render_letter_page
from tests.unit.test_notifications_render import WF, _decide, context_for, file_complaint


def _rejected(calendar: Any, reason: str) -> Any:
    data: dict[str, Any] = {"reason": reason, "informed_via": "surat"}
    if reason == "duplikat":
        data["duplicate_of"] = "ADU-2026-000007"
    state = _decide(calendar, file_complaint(calendar), "reject", data, duplicate_exists=True)
    assert state.state == "ditolak"
    return state


def test_the_workflow_reopens_only_a_resolved_complaint() -> None:
    sources = {s for t in WF.definition.transitions if t.trigger == "reopen" for s in t.source}
    assert sources == {"selesai"}


@pytest.mark.parametrize("reason", ["bukan_pkh", "duplikat"])
def test_a_rejection_letter_does_not_promise_a_reopening(calendar: Any, reason: str) -> None:
    state = _rejected(calendar, reason)
    for lang, promise, instead in (
        ("id", "dibuka kembali", "sebagai pengaduan baru"),
        ("en", "reopen", "as a new complaint"),
    ):
        ctx = context_for(state, "result_letter", lang)
        r = render("result_letter", lang, ctx)
        page = render_letter_page("result_letter", lang, ctx)
        for said in (r.text, r.html, page):
            assert promise not in said, (lang, reason)
            assert instead in said and "ADU-2026-000042" in said, (lang, reason)


def test_a_resolved_complaints_letter_still_offers_the_reopening(calendar: Any) -> None:
    state = file_complaint(calendar)
    for _ in range(3):
        state = _decide(calendar, state, "advance", {"parties": "Dinsos", "result": "Sudah"})
    done = _decide(calendar, state, "advance", {"informed_via": "surat"})
    assert done.state == "selesai"
    assert (
        "dibuka kembali"
        in render("result_letter", "id", context_for(done, "result_letter", "id")).text
    )
    assert "reopen" in render("result_letter", "en", context_for(done, "result_letter", "en")).text


@pytest.mark.parametrize("template", ["result_letter", "extension_notice", "kkn_outcome"])
def test_a_letter_from_the_office_a_complaint_reached_does_not_say_it_received_it(
    calendar: Any, template: str
) -> None:
    """Signed by the office handling it at the end (UPPKH Pusat, for an extension always),
    these letters said 'pengaduan ... yang kami terima pada 4 November 2026', the day another
    office (UPPKH Kota Jayapura) received it; the English ones say 'received on', as the
    forwarding notice does in both."""
    escalated = _decide(calendar, file_complaint(calendar), "escalate", {"reason": "perlu pusat"})
    assert escalated.level == "pusat"
    text = render(template, "id", context_for(escalated, template, "id")).text
    assert "kami terima pada" not in text and "yang diterima pada" in text
