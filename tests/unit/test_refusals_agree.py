"""A refusal says the same thing in both languages: the API's `message` (English) and
`message_id` (Bahasa Indonesia) name the same codes, fields and numbers, and neither slips
into the other language. The pages show one or the other, so a code only the English names
reads as code on an English page, and an Indonesian list in an English sentence reads mixed."""

from __future__ import annotations

import re
from typing import Any

import pytest

from engine.errors import GuardRejected, InvalidInput
from tests.unit import test_complaint_workflow as cw
from tests.unit.test_i18n import _english_in
from workflows import discipline

# Words a Bahasa Indonesia text is made of and an English one never is (the glossary's
# programme terms, kept in English, are left out: validasi, verifikasi, pemutakhiran, ...).
INDONESIAN_WORDS = frozenset(
    {
        "dan",
        "atau",
        "yang",
        "tidak",
        "belum",
        "harus",
        "wajib",
        "diisi",
        "isi",
        "untuk",
        "dengan",
        "nilai",
        "perencanaan",
        "kerja",
        "pelaporan",
        "kegiatan",
        "komunikasi",
        "hubungan",
        "koordinasi",
        "analisis",
        "penyelesaian",
        "masalah",
        "pengendalian",
        "diri",
        "pelapor",
        "diberi",
        "tahu",
        "melalui",
    }
)


def _indonesian_in(text: str) -> list[str]:
    # a quoted or parenthesised programme term is the term, not the sentence's language
    bare = re.sub(r"\([^()]*\)|'[^']*'", " ", text)
    return sorted(set(re.findall(r"[a-z]+", bare.lower())) & INDONESIAN_WORDS)


def _named(text: str) -> set[str]:
    """What a refusal names that a reader types or looks up: codes (snake_case), quoted
    values and numbers."""
    return (
        set(re.findall(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b", text))
        | {f"'{q}'" for q in re.findall(r"'([a-z0-9_]+)'", text)}
        | set(re.findall(r"\d+", text))
    )


def agree(english: str, indonesian: str) -> None:
    assert _named(english) == _named(indonesian), (english, indonesian)
    assert _english_in(indonesian) == [], indonesian
    assert _indonesian_in(english) == [], english


# ------------------------------------------------------- a step's required data, left empty
REQUIRED = sorted(
    {
        (source, t.trigger)
        for t in cw.DEF.transitions
        for source in ((t.source,) if isinstance(t.source, str) else t.source)
        if t.required and t.trigger != "file" and not cw.DEF.state(source).closed
    }
)


@pytest.mark.parametrize(("source", "trigger"), REQUIRED)
def test_a_complaint_steps_missing_data_is_said_alike_in_both_languages(
    calendar: Any, source: str, trigger: str
) -> None:
    with pytest.raises((InvalidInput, GuardRejected)) as refused:
        cw.decide(calendar, cw.state_at(source), trigger, cw.actor_for(source), {})
    e = refused.value
    if isinstance(e, InvalidInput):
        assert e.message_id, e.message
        agree(e.message, e.message_id)
    else:
        for r in e.reasons:
            agree(r.en, r.id)


def test_closing_before_the_reporter_is_informed_is_said_alike(calendar: Any) -> None:
    state = cw.state_at("kabupaten_pemberitahuan")
    with pytest.raises(GuardRejected) as refused:
        cw.decide(calendar, state, "advance", cw.ACTORS["kabupaten"], {})
    (reason,) = refused.value.reasons
    agree(reason.en, reason.id)
    assert "Reporter informed via" in reason.en  # the form's own name for the field


# ------------------------------------------------------ a performance assessment's scores
@pytest.mark.parametrize("key", sorted(discipline.INDICATORS))
@pytest.mark.parametrize("given", ["1,2", "x", "9,9,9,9,9,9,9,9"])
def test_a_wrong_performance_score_is_said_alike_naming_the_indicators(
    key: str, given: str
) -> None:
    other = "behavioural" if key == "operational" else "operational"
    good = ",".join("3" for _ in discipline.INDICATORS[other])
    with pytest.raises(InvalidInput) as refused:
        discipline.parse_assessment({key: given, other: good})
    e = refused.value
    assert e.field == key and e.message_id
    agree(e.message, e.message_id)


# ------------------------------------------------------------------------ a region code
@pytest.mark.parametrize("value", ["9999", "32x", "3271019999", "1.2.3"])
@pytest.mark.parametrize("parse", ["complaint", "kpm"])
def test_a_bad_region_code_is_said_alike_not_in_both_languages_at_once(
    parse: str, value: str
) -> None:
    """The English message was the region reference's own bilingual line ("kode wilayah tidak
    dikenal / unknown region code: 9999"), shown whole on an English page."""
    from workflows import complaint_parse, kpm_parse

    with pytest.raises(InvalidInput) as refused:
        (complaint_parse.parse_region if parse == "complaint" else kpm_parse.region)(value)
    e = refused.value
    assert e.message_id and " / " not in e.message
    agree(e.message, e.message_id)
