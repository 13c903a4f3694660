"""Every notification renders in Indonesian and English from a real complaint's state, safely."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jinja2
import pytest

from api.page_frame import CASE_PAGE
from engine.machine import Command, Env, compile_workflow
from engine.state import Actor, CaseState, evolve
from notifications import labels
from notifications.catalog import AUDIENCE, REPORTER_TEMPLATES
from notifications.context import EXTRA_DEFAULTS, letter_context, office_name
from notifications.render import (
    LANGUAGES,
    TEMPLATE_DIR,
    TEMPLATES,
    environment,
    render,
    render_letter_page,
)
from workflows import complaint, complaint_codes

WIB = timezone(timedelta(hours=7))
FILED_AT = datetime(2026, 3, 2, 9, 0, tzinfo=WIB)  # Monday
TODAY = date(2026, 3, 11)
WF = compile_workflow(complaint.definition())
KAB = Actor("kab.bogor", "kabupaten", "3271")
REPORTER = "Siti Aminah"
CONTACT = "0812-3456-7890"
OFFICER_TEMPLATES = [t for t in TEMPLATES if AUDIENCE[t] != "reporter"]
LETTER_TEMPLATES = [t for t in TEMPLATES if AUDIENCE[t] != "officer"]  # to reporters and staff
EXTRA: dict[str, Any] = {
    "days_left": 2,
    "days_overdue": 3,
    "working_days": 10,
    "reason": "perlu koordinasi dengan Dinas Kesehatan",
    "staff_name": "Budi Santoso",
    "outcome": "not_guilty",
}


def _decide(
    calendar: Any,
    state: CaseState | None,
    trigger: str,
    data: dict[str, Any],
    actor: Actor = KAB,
    **facts: Any,
) -> CaseState:
    cmd = Command(trigger, actor, FILED_AT, data, case_id="ADU-2026-000042")
    out = state
    for ev in WF.decide(state, cmd, Env(calendar, FILED_AT, facts=facts)):
        out = evolve(out, ev)
    assert out is not None
    return out


def file_complaint(calendar: Any, **overrides: Any) -> CaseState:
    data = {
        "type": "data_peserta",
        "channel": "kantor_uppkh",
        "level": "kabupaten",
        "region": "3271011001",
        "summary": "Nama anak kedua salah tertulis di data peserta PKH.",
        "reporter_name": REPORTER,
        "reporter_contact": CONTACT,
        "confidential": True,
        **overrides,
    }
    if data.get("anonymous"):
        data.pop("reporter_name", None)
        data.pop("reporter_contact", None)
    actor = (
        KAB
        if data["region"].startswith("3271")
        else Actor("kab.x", "kabupaten", data["region"][:4])
    )
    return _decide(calendar, None, "file", data, actor)


@pytest.fixture
def case(calendar: Any) -> CaseState:
    return file_complaint(calendar)


def context_for(state: CaseState, template: str, lang: str, **extra: Any) -> dict[str, Any]:
    recipient = REPORTER if template in REPORTER_TEMPLATES else "kab.bogor"
    return letter_context(
        state,
        template=template,
        lang=lang,
        recipient_name=recipient,
        extra={**EXTRA, **extra},
        today=TODAY,
    )


def all_parts(template: str, lang: str, state: CaseState, **extra: Any) -> str:
    r = render(template, lang, context_for(state, template, lang, **extra))
    return "\n".join((r.subject, r.text, r.html, r.sms))


# ------------------------------------------------------------------------------ every template
@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_renders_in_both_languages(
    case: CaseState, template: str, lang: str
) -> None:
    r = render(template, lang, context_for(case, template, lang))
    assert r.subject and "\n" not in r.subject
    assert case.id in r.subject and case.id in r.text and case.id in r.html
    assert r.html.lstrip().startswith("<div") and "<html" not in r.html
    assert "None" not in r.text and "None" not in r.html
    assert "http" not in r.html or "/cases/ADU-2026-000042" in r.html


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_has_its_four_files(template: str, lang: str) -> None:
    for suffix in (".subject.txt", ".txt", ".html", ".sms.txt"):
        assert (TEMPLATE_DIR / lang / f"{template}{suffix}").is_file()


@pytest.mark.parametrize("level", ["kabupaten", "pendamping"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_linked_reporters_acknowledgement_says_their_report_joined_the_complaint(
    case: CaseState, lang: str, level: str
) -> None:
    at = dataclasses.replace(case, level=level)
    r = render(
        "acknowledgement", lang, context_for(at, "acknowledgement", lang, event="ReporterLinked")
    )
    said = {
        "id": ("dicatat bersama pengaduan", "Disampaikan melalui", "Sesuai permintaan"),
        "en": ("recorded together with an existing complaint", "Received through", "As you"),
    }[lang]
    for part in (r.text, r.html):
        assert said[0] in part and said[1] not in part and said[2] not in part
    assert case.id in r.subject and case.id in r.sms
    assert 0 < len(r.sms) <= 160 and "\n" not in r.sms, r.sms


@pytest.mark.parametrize("level", ["kabupaten", "pendamping"])  # a kecamatan's longer name
@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("template", TEMPLATES)
def test_the_sms_fits_in_one_message(case: CaseState, template: str, lang: str, level: str) -> None:
    at = dataclasses.replace(case, level=level)
    sms = render(template, lang, context_for(at, template, lang)).sms
    assert 0 < len(sms) <= 160, sms
    assert "\n" not in sms


def test_html_e_mails_load_no_external_resources(case: CaseState) -> None:
    for template in TEMPLATES:
        for lang in LANGUAGES:
            html = render(template, lang, context_for(case, template, lang)).html
            assert "<img" not in html and "<link" not in html and "<script" not in html
            assert 'style="' in html


# ----------------------------------------------------------------------------- strictness
def test_a_context_without_case_raises_undefined_error(case: CaseState) -> None:
    ctx = context_for(case, "acknowledgement", "id")
    del ctx["case"]
    with pytest.raises(jinja2.UndefinedError):
        render("acknowledgement", "id", ctx)


def test_a_missing_nested_key_raises_too(case: CaseState) -> None:
    ctx = context_for(case, "reminder_overdue", "en")
    ctx["extra"] = {k: v for k, v in ctx["extra"].items() if k != "days_overdue"}
    with pytest.raises(jinja2.UndefinedError):
        render("reminder_overdue", "en", ctx)


@pytest.mark.parametrize(
    ("template", "lang", "words"),
    [("no_such_letter", "id", "unknown notification template"), ("acknowledgement", "fr", "lang")],
)
def test_an_unknown_template_or_language_is_refused_clearly(
    case: CaseState, template: str, lang: str, words: str
) -> None:
    ctx = context_for(case, "acknowledgement", "id")
    with pytest.raises(ValueError, match=words):
        render(template, lang, ctx)
    with pytest.raises(ValueError, match=words):
        letter_context(case, template=template, lang=lang, recipient_name="x", today=TODAY)


def test_a_shared_layout_is_not_a_template(case: CaseState) -> None:
    with pytest.raises(ValueError, match="unknown notification template"):
        render("_letter", "id", context_for(case, "acknowledgement", "id"))


def test_the_environment_is_built_once_and_escapes_only_html() -> None:
    env = environment()
    assert env is environment()
    assert env.undefined is jinja2.StrictUndefined
    assert env.autoescape("id/x.html") and not env.autoescape("id/x.txt")


# -------------------------------------------------------------------------------- language
def test_the_indonesian_acknowledgement_is_indonesian(case: CaseState) -> None:
    r = render("acknowledgement", "id", context_for(case, "acknowledgement", "id"))
    for words in (
        "Nomor pengaduan",
        "ADU-2026-000042",
        "Dengan hormat,",
        "Hormat kami,\nUPPKH Kota Bogor",
        "Data peserta PKH",
        "2 Maret 2026",
        "26 (dua puluh enam) hari kerja",
        "1 (satu) bulan",
        "dirahasiakan",
    ):
        assert words in r.text, words
    assert "pengaduan" in r.sms.lower() and "complaint" not in r.text.lower()


def test_the_english_acknowledgement_is_english(case: CaseState) -> None:
    r = render("acknowledgement", "en", context_for(case, "acknowledgement", "en"))
    assert "complaint" in r.text and "complaint" in r.subject.lower()
    assert "2 March 2026" in r.text and "Participant data" in r.text
    assert f"Dear {REPORTER}," in r.text and "Dengan hormat" not in r.text


def test_a_non_data_complaint_does_not_promise_the_pusat_month(calendar: Any) -> None:
    state = file_complaint(calendar, type="pembayaran")
    text = render("acknowledgement", "id", context_for(state, "acknowledgement", "id")).text
    assert "1 (satu) bulan" not in text and "Pembayaran" in text


# ------------------------------------------------------------------------------ escaping
def test_html_escapes_the_reporters_text_and_plain_text_keeps_it(calendar: Any) -> None:
    state = file_complaint(calendar, summary='<script>alert("x")</script> & <b>tebal</b>')
    r = render("acknowledgement", "id", context_for(state, "acknowledgement", "id"))
    assert "<script>" not in r.html and "&lt;script&gt;" in r.html
    assert "&amp; &lt;b&gt;tebal" in r.html
    assert '<script>alert("x")</script>' in r.text
    page = render_letter_page("acknowledgement", "id", context_for(state, "acknowledgement", "id"))
    assert "<script>" not in page and "&lt;script&gt;" in page


# --------------------------------------------------------------------------- confidentiality
@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("template", OFFICER_TEMPLATES)
def test_officer_and_staff_messages_never_carry_the_reporters_identity(
    calendar: Any, template: str, lang: str
) -> None:
    for confidential in (True, False):
        state = file_complaint(calendar, confidential=confidential)
        out = all_parts(template, lang, state)
        out += render_letter_page(template, lang, context_for(state, template, lang))
        assert REPORTER not in out and CONTACT not in out and "Aminah" not in out


def test_a_confidential_reporter_still_sees_its_own_name(case: CaseState) -> None:
    assert case.attrs["confidential"] is True
    for lang in LANGUAGES:
        assert (
            REPORTER
            in render("acknowledgement", lang, context_for(case, "acknowledgement", lang)).text
        )


def test_an_anonymous_reporter_is_addressed_generically(calendar: Any) -> None:
    state = file_complaint(calendar, anonymous=True, confidential=False)
    ctx = letter_context(
        state, template="acknowledgement", lang="id", recipient_name="", today=TODAY
    )
    assert (
        ctx["reporter"]["name"] == "Bapak/Ibu Pelapor"
        and ctx["recipient"]["name"] == "Bapak/Ibu Pelapor"
    )
    en = letter_context(
        state, template="acknowledgement", lang="en", recipient_name="", today=TODAY
    )
    assert "Dear reporter," in render("acknowledgement", "en", en).text


# ---------------------------------------------------------------------------------- letters
def test_the_result_letter_gives_the_result_and_the_recourse(
    calendar: Any, case: CaseState
) -> None:
    at_last = replace(case, state="kabupaten_pemberitahuan", stage="pemberitahuan")
    done = _decide(
        calendar,
        at_last,
        "advance",
        {"result": "Nama anak sudah diperbaiki.", "informed_via": "surat"},
    )
    assert done.state == "selesai"
    text = render("result_letter", "id", context_for(done, "result_letter", "id")).text
    assert "Nama anak sudah diperbaiki." in text and "selesai ditangani" in text
    assert "dibuka kembali" in text and "UPPKH Pusat" in text and "SP4N-LAPOR!" in text
    assert "Aparat Penegak Hukum" not in text


def test_a_duplicate_rejection_names_the_other_case(calendar: Any, case: CaseState) -> None:
    data = {"reason": "duplikat", "duplicate_of": "ADU-2026-000007", "informed_via": "surat"}
    rejected = _decide(calendar, case, "reject", data, duplicate_exists=True)
    assert rejected.state == "ditolak"
    for lang, words in (("id", "tidak dapat kami tindak lanjuti"), ("en", "cannot take")):
        r = render("result_letter", lang, context_for(rejected, "result_letter", lang))
        assert words in r.text and "ADU-2026-000007" in r.text and "ADU-2026-000007" in r.sms


def test_a_not_pkh_rejection_and_a_kkn_result_point_to_the_right_door(calendar: Any) -> None:
    state = file_complaint(calendar, type="kkn", confidential=False)
    data = {"reason": "bukan_pkh", "informed_via": "surat"}
    rejected = _decide(calendar, state, "reject", data)
    text = render("result_letter", "id", context_for(rejected, "result_letter", "id")).text
    assert "bukan merupakan permasalahan PKH" in text
    assert "Aparat Penegak Hukum (APH)" in text


def test_the_extension_notice_gives_the_new_due_date_and_reason(case: CaseState) -> None:
    ctx = context_for(case, "extension_notice", "id", new_due=date(2026, 5, 4))
    r = render("extension_notice", "id", ctx)
    assert "masih dalam proses" in r.text and "4 Mei 2026" in r.text
    assert "Dinas Kesehatan" in r.text and "10 hari kerja" in r.text


def test_a_pusat_extension_goes_out_through_the_regional_office(case: CaseState) -> None:
    at_pusat = replace(case, level="pusat", state="pusat_tindak_lanjut", stage="tindak_lanjut")
    r = render("extension_notice", "id", context_for(at_pusat, "extension_notice", "id"))
    assert "Hormat kami,\nUPPKH Pusat" in r.text and "melalui UPPKH Kota Bogor" in r.text


def test_reminders_link_to_the_case_and_count_working_days(case: CaseState) -> None:
    r = render("reminder_overdue", "id", context_for(case, "reminder_overdue", "id"))
    # the officer page of the case (the route the pages serve), not the API's JSON
    page = "http://127.0.0.1:8000" + CASE_PAGE.format(case_id="ADU-2026-000042")
    assert page.endswith("/cases/ADU-2026-000042/view")
    assert page in r.text and f'href="{page}"' in r.html
    assert r.sms.endswith(page)
    # the stage in words, short enough for an SMS, never the identifier
    later = replace(case, state="kabupaten_tindak_lanjut", stage="tindak_lanjut")
    for lang, words in (("id", "(tindak lanjut)"), ("en", "(follow-up)")):
        sms = render("reminder_overdue", lang, context_for(later, "reminder_overdue", lang)).sms
        assert words in sms and "tindak_lanjut" not in sms.split("/cases/")[0]
    assert "3 hari kerja" in r.subject and "9 Maret 2026" in r.text and "WIB" in r.text
    soon = render("reminder_due_soon", "en", context_for(case, "reminder_due_soon", "en"))
    assert "2 working days" in soon.subject
    sup = render("supervisor_overdue", "id", context_for(case, "supervisor_overdue", "id"))
    assert "kab.bogor" in sup.text and "3 hari kerja" in sup.text


@pytest.mark.parametrize(
    ("outcome", "id_words", "en_words"),
    [("guilty", "diberhentikan", "dismissed"), ("not_guilty", "dipulihkan", "restored")],
)
def test_the_kkn_outcome_letter_follows_the_outcome(
    case: CaseState, outcome: str, id_words: str, en_words: str
) -> None:
    id_text = render("kkn_outcome", "id", context_for(case, "kkn_outcome", "id", outcome=outcome))
    en_text = render("kkn_outcome", "en", context_for(case, "kkn_outcome", "en", outcome=outcome))
    assert id_words in id_text.text and "Aparat Penegak Hukum" in id_text.text
    assert en_words in en_text.text and "Budi Santoso" in en_text.text


@pytest.mark.parametrize(
    ("authority", "id_words", "en_words"),
    [
        ("apip", "Aparat Pengawasan Intern Pemerintah (APIP)", "internal oversight (APIP)"),
        ("kejaksaan", "Kejaksaan Republik Indonesia", "public prosecution service (Kejaksaan)"),
        ("aph", "Aparat Penegak Hukum (APH)", "law enforcement authorities (APH)"),
    ],
)
def test_the_guilty_letter_names_the_authority_the_case_was_referred_to(
    case: CaseState, authority: str, id_words: str, en_words: str
) -> None:
    """The finding names where the case went (kejaksaan, KPK, APIP, ...): the letter said
    "Aparat Penegak Hukum" whatever it was, so a reporter told of a referral to the
    inspectorate (APIP, not law enforcement) was sent to the wrong door."""
    kkn = replace(
        case,
        workflow="kkn",
        attrs={**case.attrs, "outcome": "guilty", "referred_to": authority},
    )
    for lang, words in (("id", id_words), ("en", en_words)):
        r = render("kkn_outcome", lang, context_for(kkn, "kkn_outcome", lang, outcome="guilty"))
        finding = next(p for p in r.text.split("\n\n") if "diberhentikan" in p or "dismissed" in p)
        assert words in finding and words in r.html, finding
        if authority == "apip":
            assert "APH" not in finding and "Penegak Hukum" not in finding


def test_the_kkn_outcome_needs_an_outcome(case: CaseState) -> None:
    with pytest.raises(ValueError, match="outcome"):
        context_for(case, "kkn_outcome", "id", outcome=None)


def test_the_suspension_letter_addresses_the_staff_member(case: CaseState) -> None:
    r = render("kkn_suspension", "id", context_for(case, "kkn_suspension", "id"))
    assert "Budi Santoso" in r.text and "dibebastugaskan" in r.text and "11 Maret 2026" in r.text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_postal_address_given_as_the_contact_goes_under_the_name_on_the_letter(
    case: CaseState, lang: str
) -> None:
    """The officer pages take "telepon/alamat/e-mail" as the contact: a postal address is
    written under the addressee (a letter is posted there), not "di tempat"; an e-mail or a
    phone number never is (they are how the message travels, not where a letter goes)."""
    street = "Jl. Merdeka No. 5, RT 02/RW 03, Desa Sukamaju"
    for address, shown in (
        (street, street),
        ("  Jl. Merdeka   No. 5 ", "Jl. Merdeka No. 5"),
        ("siti@example.org", None),
        ("+62 812-3456-7890", None),
        # phone numbers as officers write them are no postal address either (helper-45)
        ("(0251) 832-1234", None),
        ("0812.3456.7890", None),
        ("WA 081234567890", None),
        ("0812 3456 7890 (WA)", None),
        ("Telp. 0251-8321234", None),
        ("RT 02 RW 03 Kel. Batutulis 16133", "RT 02 RW 03 Kel. Batutulis 16133"),
        ("", None),
    ):
        ctx = letter_context(
            case,
            template="acknowledgement",
            lang=lang,
            recipient_name=REPORTER,
            recipient_address=address,
            extra=EXTRA,
            today=TODAY,
        )
        assert ctx["recipient"]["address"] == shown
        r = render("acknowledgement", lang, ctx)
        page = render_letter_page("acknowledgement", lang, ctx)
        head = "Yth." if lang == "id" else "To:"
        if shown:
            assert f"{head} {REPORTER}\n{shown}\n" in r.text
            assert f"{head} {REPORTER}<br>{shown}</p>" in r.html and shown in page
            assert "di tempat" not in r.text + page
        else:
            if lang == "id":
                assert f"Yth. {REPORTER}\ndi tempat\n" in r.text and "di tempat" in page
            else:
                assert f"To: {REPORTER}\n\n" in r.text and f"To: {REPORTER}</p>" in r.html
            assert (address.strip() or "@@") not in r.text + r.html + page
    ctx["recipient"]["address"] = "Jl. <b>Mawar</b>"
    assert "Jl. &lt;b&gt;Mawar&lt;/b&gt;" in render("acknowledgement", lang, ctx).html


# ------------------------------------------------------------------------------ letter page
def test_the_letter_page_is_a_printable_a4_page(case: CaseState) -> None:
    page = render_letter_page("acknowledgement", "id", context_for(case, "acknowledgement", "id"))
    assert page.lstrip().startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "@page" in page and "size: A4" in page and "@media print" in page
    assert "Kementerian Sosial RI &mdash; Program Keluarga Harapan" in page
    assert "UPPKH Kota Bogor" in page and "ADU-2026-000042" in page and "11 Maret 2026" in page
    assert "Bersama ini kami sampaikan" in page and 'lang="id"' in page


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("template", LETTER_TEMPLATES)
def test_the_letter_page_says_its_date_and_subject_once_without_hiding_anything(
    case: CaseState, template: str, lang: str
) -> None:
    """A text viewer or screen reader ignores CSS: the letter's own head is not rendered
    under the page's header, rather than rendered and hidden."""
    ctx = context_for(case, template, lang)
    page = render_letter_page(template, lang, ctx)
    assert "display: none" not in page and "letter-head" not in page
    shown = re.sub(r"<style>.*?</style>", "", page, flags=re.S)
    text = " ".join(re.sub(r"<[^>]+>", " ", shown).split())
    subject_word, today = labels.PAGE[lang]["subject"], ctx["today"]
    # the e-mail, which has no page header, says them in the letter's own head
    mail = " ".join(re.sub(r"<[^>]+>", " ", render(template, lang, ctx).html).split())
    assert subject_word in mail and today in mail
    # the page: once in its header, and the body only where the e-mail's body says it too
    assert text.count(subject_word) == 1 and text.count(f"{labels.PAGE[lang]['date']} :") == 1
    assert text.count(today) == mail.count(today), text


# ---------------------------------------------------------------------------------- context
def test_the_context_has_every_key_with_local_dates(calendar: Any) -> None:
    state = file_complaint(calendar, region="7371", confidential=False)
    ctx = letter_context(
        state, template="reminder_due_soon", lang="id", recipient_name="x", today=TODAY
    )
    assert set(ctx) == {
        "case",
        "reporter",
        "recipient",
        "office",
        "extra",
        "today",
        "app_url",
        "case_url",
        "lang",
    }
    assert set(EXTRA_DEFAULTS) <= set(ctx["extra"])
    c = ctx["case"]
    for key in (
        "id", "type", "type_label", "summary", "level", "level_label", "stage", "stage_label",
        "state", "region", "region_name", "zone", "received_date", "stage_due", "level_due",
        "status", "outcome", "result", "reason", "reason_label", "duplicate_of",
    ):  # fmt: skip
        assert key in c, key
    assert c["zone"] == "WITA" and c["region_name"] == "Kota Makassar"
    assert c["received_date"] == "2 Maret 2026" and c["stage_due"] == "9 Maret 2026"
    assert ctx["office"]["name"] == "UPPKH Kota Makassar"
    assert ctx["extra"]["handler"] == "kab.x" and ctx["extra"]["days_left"] == 0
    en = letter_context(
        state, template="acknowledgement", lang="en", recipient_name="x", today=TODAY
    )
    assert en["case"]["received_date"] == "2 March 2026" and en["today"] == "11 March 2026"


def test_missing_dates_show_as_a_dash(case: CaseState) -> None:
    bare = replace(case, stage_due=None, level_due=None)
    ctx = context_for(bare, "reminder_due_today", "id")
    assert ctx["case"]["stage_due"] == "-" and ctx["extra"]["new_due"] == "-"


@pytest.mark.parametrize(
    ("level", "region", "name"),
    [
        ("pusat", "3271011001", "UPPKH Pusat"),
        ("kabupaten", "3271011001", "UPPKH Kota Bogor"),
        ("kabupaten", "3201", "UPPKH Kabupaten Bogor"),
        ("pendamping", "327101", "UPPKH Kecamatan Bogor Selatan"),
        ("ketua_kelompok", "3271011001", "UPPKH Kecamatan Bogor Selatan"),
    ],
)
def test_the_office_follows_the_level_and_region(level: str, region: str, name: str) -> None:
    assert office_name(level, region) == name


def test_labels_cover_every_value_of_the_complaint_workflow() -> None:
    stages = {s.stage or s.name for s in complaint.definition().states}
    for lang in LANGUAGES:
        assert set(complaint_codes.TYPES) <= set(labels.TYPES[lang])
        assert set(complaint_codes.LEVELS) <= set(labels.LEVELS[lang])
        assert set(complaint_codes.CHANNELS) <= set(labels.CHANNELS[lang])
        assert set(complaint_codes.REJECT_REASONS) <= set(labels.REASONS[lang])
        assert set(complaint_codes.SIDE_BODIES) <= set(labels.SIDE_BODIES[lang])
        assert stages <= set(labels.STAGES[lang])
        assert len(labels.MONTHS[lang]) == 12


def test_templates_directory_holds_nothing_unexpected() -> None:
    names = {p.name.split(".")[0] for p in Path(TEMPLATE_DIR).rglob("*.*")}
    assert names - set(TEMPLATES) <= {"_letter", "_officer", "_page", "_macros"}


def test_a_discipline_letter_cites_its_case_number_not_a_complaint_number(
    case: CaseState,
) -> None:
    record = replace(case, id="DSP-2026-000001", workflow="discipline", attrs={"staff": "Andi"})
    for lang, label_, wrong in (
        ("id", "Nomor kasus", "Nomor pengaduan"),
        ("en", "Case number", "Complaint number"),
    ):
        ctx = context_for(record, "discipline_letter", lang, sanction="sp1")
        r = render("discipline_letter", lang, ctx)
        assert f"{label_}" in r.text and "DSP-2026-000001" in r.text and wrong not in r.text
        assert wrong not in render_letter_page("discipline_letter", lang, ctx)
    # a complaint's letter keeps "Nomor pengaduan"
    assert (
        "Nomor pengaduan"
        in render("acknowledgement", "id", context_for(case, "acknowledgement", "id")).text
    )


@pytest.mark.parametrize(
    ("lang", "end", "next_paragraph"),
    [
        ("id", "selama proses penyelidikan berlangsung.", "Selama masa pembebastugasan,"),
        ("en", "for the whole of the investigation.", "While relieved of duty you may not"),
    ],
)
@pytest.mark.parametrize("event", ["StaffSuspended", "InvestigationReopened"])
def test_the_suspension_letters_first_paragraph_stands_apart_in_its_text(
    case: CaseState, lang: str, end: str, next_paragraph: str, event: str
) -> None:
    """The text of the suspension letter ran its first paragraph into the second ("...
    berlangsung.\\nSelama masa pembebastugasan, ..."): the line that now ends in the
    reopening's `{% endif %}` lost its newline to trim_blocks, and with it the blank line
    every other paragraph of the letter has."""
    r = render("kkn_suspension", lang, context_for(case, "kkn_suspension", lang, event=event))
    assert f"{end}\n\n{next_paragraph}" in r.text, r.text


REMINDERS = ("reminder_due_soon", "reminder_due_today", "reminder_overdue", "supervisor_overdue")


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("body", complaint_codes.SIDE_BODIES)
def test_a_reminder_of_a_referred_complaint_names_the_body_it_waits_on(
    calendar: Any, lang: str, body: str
) -> None:
    """A complaint referred to PT Pos (state `..._dirujuk`) was reminded of as 'Stage: Referred
    to a related body', never saying which: the officer had to open the case to know whom to
    chase. Back from the referral, the body is no longer named."""
    follow_up = _decide(calendar, file_complaint(calendar), "advance", {})
    referred = _decide(calendar, follow_up, "refer", {"body": body})
    assert referred.stage == "dirujuk"
    name = labels.SIDE_BODIES[lang][body]
    row = "Dirujuk kepada" if lang == "id" else "Referred to"
    for template in REMINDERS:
        r = render(template, lang, context_for(referred, template, lang))
        line = next(x for x in r.text.splitlines() if x.startswith(f"- {row} "))
        assert line.split(" : ", 1)[1].startswith(name), (template, line)
        assert f">{row}</td>" in r.html and name in r.html, template
    back = _decide(calendar, referred, "return_from_referral", {"outcome": "sudah dibayar"})
    for template in REMINDERS:
        r = render(template, lang, context_for(back, template, lang))
        assert f"- {row} " not in r.text and name not in r.text, template
