"""A KKN outcome letter's recourse must be one the office can give for that outcome. After a
guilty finding it said "meminta agar pengaduan dibuka kembali" ("ask for the complaint to be
reopened"), though the KKN workflow reopens only a cleared investigation (`reinstated`), never a
dismissal (`dismissed`): the reporter is told instead to give further information to the office,
which passes it to the authority the case was referred to, and that anyone else involved can be
named in a new complaint. A not-guilty finding still offers the reopening."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest

from engine.machine import compile_workflow
from engine.state import CaseState
from notifications.render import render, render_letter_page
from tests.unit.test_notifications_render import context_for, file_complaint
from workflows import kkn

KKN = compile_workflow(kkn.definition())


@pytest.fixture
def case(calendar: Any) -> CaseState:
    return file_complaint(calendar, type="kkn")


def _kkn(case: CaseState, outcome: str) -> CaseState:
    attrs = {**case.attrs, "outcome": outcome}
    if outcome == "guilty":
        attrs["referred_to"] = "kejaksaan"
    return replace(case, workflow="kkn", attrs=attrs)


def _said(state: CaseState, lang: str, outcome: str) -> tuple[str, ...]:
    ctx = context_for(state, "kkn_outcome", lang, outcome=outcome)
    r = render("kkn_outcome", lang, ctx)
    return r.text, r.html, render_letter_page("kkn_outcome", lang, ctx)


def test_the_kkn_workflow_reopens_only_a_cleared_investigation() -> None:
    sources = {s for t in KKN.definition.transitions if t.trigger == "reopen" for s in t.source}
    assert sources == {"reinstated"}


@pytest.mark.parametrize(
    ("lang", "promise", "instead", "authority"),
    [
        ("id", "dibuka kembali", "sebagai pengaduan baru", "Kejaksaan Republik Indonesia"),
        ("en", "reopen", "as a new complaint", "public prosecution service (Kejaksaan)"),
    ],
)
def test_a_guilty_findings_letter_does_not_promise_a_reopening(
    case: CaseState, lang: str, promise: str, instead: str, authority: str
) -> None:
    for said in _said(_kkn(case, "guilty"), lang, "guilty"):
        assert promise not in said, said
        recourse = said.split("tidak puas" if lang == "id" else "not satisfied", 1)[1]
        # further information goes to the office, for the authority that has the case
        assert authority in recourse and instead in recourse, recourse
        assert "ADU-2026-000042" in recourse


@pytest.mark.parametrize(("lang", "promise"), [("id", "dibuka kembali"), ("en", "reopen")])
def test_a_not_guilty_findings_letter_still_offers_the_reopening(
    case: CaseState, lang: str, promise: str
) -> None:
    for said in _said(_kkn(case, "not_guilty"), lang, "not_guilty"):
        recourse = said.split("tidak puas" if lang == "id" else "not satisfied", 1)[1]
        assert promise in recourse, recourse


def test_the_guilty_letter_without_a_named_authority_names_the_aph(case: CaseState) -> None:
    state: Any = replace(case, workflow="kkn", attrs={**case.attrs, "outcome": "guilty"})
    for said in _said(state, "id", "guilty"):
        recourse = said.split("tidak puas", 1)[1]
        assert "Aparat Penegak Hukum (APH)" in recourse and "dibuka kembali" not in recourse


@pytest.mark.parametrize("outcome", ["guilty", "not_guilty"])
@pytest.mark.parametrize(
    ("lang", "signed", "elsewhere"),
    [("id", "UPPKH Pusat", "SP4N-LAPOR!")] + [("en", "UPPKH Pusat", "SP4N-LAPOR!")],
)
def test_a_letter_signed_by_uppkh_pusat_does_not_send_the_reporter_back_to_it(
    case: CaseState, outcome: str, lang: str, signed: str, elsewhere: str
) -> None:
    """A KKN finding is UPPKH Pusat's and its letter goes out under Pusat's name; its recourse
    said "menyampaikan pengaduan kepada UPPKH Pusat (Kotak Pos SPM-PKH ...)" / "take the
    complaint to UPPKH Pusat": to the office that had just decided. As the result letter of a
    complaint closed at pusat does, it now names only the channel outside the programme."""
    ctx = context_for(_kkn(case, outcome), "kkn_outcome", lang, outcome=outcome)
    assert ctx["office"]["name"] == signed
    for said in _said(_kkn(case, outcome), lang, outcome):
        recourse = said.split("tidak puas" if lang == "id" else "not satisfied", 1)[1]
        assert elsewhere in recourse, recourse
        assert "Salemba" not in recourse and "JKT 10000" not in recourse, recourse
        assert "complaint to UPPKH Pusat" not in recourse, recourse
        assert "pengaduan kepada UPPKH Pusat" not in recourse, recourse
    text = _said(_kkn(case, outcome), lang, outcome)[0]
    assert "(www.lapor.go.id);\n3. " in text, text  # each recourse on its own line


@pytest.mark.parametrize(
    ("lang", "untrue", "true"),
    [
        ("id", "diberhentikan dari tugasnya dalam PKH atas perkara lain", "telah berakhir"),
        ("en", "dismissed from PKH duties on another matter", "has already ended"),
    ],
)
def test_a_cleared_person_whose_engagement_ended_otherwise_is_not_said_dismissed(
    case: CaseState, lang: str, untrue: str, true: str
) -> None:
    """Cleared here after another case ended the engagement (`dismissed_by`): the reporter's
    letter said the person "telah diberhentikan dari tugasnya dalam PKH atas perkara lain" /
    "has been dismissed from PKH duties on another matter". The case that ended it may be a
    dismissal, but also a discipline termination for death or a resignation (seed 002): said
    of a person who died or resigned, "dismissed on another matter" is untrue and defames
    them. The letter now says the engagement has already ended, which holds for each."""
    state = _kkn(case, "not_guilty")
    ctx = context_for(state, "kkn_outcome", lang, outcome="not_guilty", dismissed_by="DSP-1")
    r = render("kkn_outcome", lang, ctx)
    for said in (r.text, r.html):
        flat = " ".join(said.split())
        assert untrue not in flat, flat
        assert true in flat, flat


@pytest.mark.parametrize(
    ("held", "lang", "said", "not_said"),
    [
        ("ADU-2026-000035", "id", "pengaduan nomor ADU-2026-000035", None),
        ("ADU-2026-000035", "en", "complaint number ADU-2026-000035", None),
        ("KKN-2026-000002", "id", "penyelidikan KKN-2026-000002", "pengaduan nomor KKN-"),
        ("KKN-2026-000002", "en", "investigation KKN-2026-000002", "complaint number KKN-"),
    ],
)
def test_the_case_still_holding_the_person_is_named_as_what_it_is(
    case: CaseState, held: str, lang: str, said: str, not_said: str | None
) -> None:
    """Cleared here while another investigation still relieves them of duty, the staff member
    is told which: that investigation's complaint, or, for a KKN case a kabupaten or pusat
    opened directly (no complaint), the case itself. The letter called that one "pengaduan
    nomor KKN-2026-000002" / "complaint number KKN-...": no complaint has that number
    (helper-84's finding)."""
    state = _kkn(case, "not_guilty")
    ctx = context_for(state, "kkn_decision", lang, outcome="not_guilty", suspended_by=held)
    r = render("kkn_decision", lang, ctx)
    for text in (r.text, r.html):
        flat = " ".join(re.sub(r"<[^>]+>", " ", text).split())
        assert said in flat, flat
        assert not_said is None or not_said not in flat, flat
