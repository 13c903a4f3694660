"""Reminders say what is true for the case they are about: its own due day, what its level can
do (pusat extends, it has nobody to hand the case up to), and its workflow's terms (a KPM
household's validation is not a complaint)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from engine.machine import Command, Env, compile_workflow
from engine.state import Actor, CaseState, evolve
from notifications.context import letter_context
from notifications.render import LANGUAGES, render
from workflows import complaint

WIB = timezone(timedelta(hours=7))
FILED_AT = datetime(2026, 3, 2, 9, 0, tzinfo=WIB)  # Monday; dokumentasi due Monday 9 March
REMINDERS = ("reminder_due_soon", "reminder_due_today", "reminder_overdue")
OFFICER = (*REMINDERS, "supervisor_overdue")
FORWARD = {"id": "teruskan", "en": "escalate"}
SUPERIORS = {"id": "atasan", "en": "supervisor at the level above"}
EXTEND = {"id": "perpanjang waktu penanganan", "en": "extend the handling time"}
TELL_REPORTER = {"id": "pemberitahuan kepada pelapor", "en": "send the reporter a notice"}


def filed(calendar: Any, level: str = "kabupaten") -> CaseState:
    data = {
        "type": "data_peserta",
        "channel": "kantor_uppkh",
        "level": level,
        "region": "3271011001",
        "summary": "Nama anak kedua salah tertulis.",
        "reporter_name": "Siti Aminah",
    }
    actor = (
        Actor("pusat.spm", "pusat", None)
        if level == "pusat"
        else Actor("kab.bogor", "kabupaten", "3271")
    )
    cmd = Command("file", actor, FILED_AT, data, case_id="ADU-2026-000042")
    out = None
    for ev in compile_workflow(complaint.definition()).decide(None, cmd, Env(calendar, FILED_AT)):
        out = evolve(out, ev)
    assert out is not None
    return out


def household(calendar: Any) -> CaseState:
    """A KPM household in validation: no complaint type, no level deadline, no reporter."""
    case = filed(calendar)
    return replace(
        case,
        id="KPM-2026-000019",
        workflow="kpm",
        level="pendamping",
        state="validasi",
        stage="validasi",
        region="3271011001",
        level_due=None,
        attrs={"no_kk": "3271012600011"},
    )


def text(state: CaseState, template: str, lang: str, today: date, **extra: Any) -> str:
    ctx = letter_context(
        state,
        template=template,
        lang=lang,
        recipient_name="kab.bogor",
        extra={"days_left": 1, "days_overdue": 1, **extra},
        today=today,
    )
    r = render(template, lang, ctx)
    return "\n".join((r.subject, r.text, r.html, r.sms))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_due_today_reminder_names_the_stage_due_day_not_the_day_it_is_delivered(
    calendar: Any, lang: str
) -> None:
    case = filed(calendar)
    late = text(case, "reminder_due_today", lang, today=date(2026, 3, 10))
    day = {"id": "9 Maret 2026", "en": "9 March 2026"}[lang]
    delivered = {"id": "10 Maret 2026", "en": "10 March 2026"}[lang]
    ends_today = {"id": "berakhir hari ini", "en": "ends today"}[lang]
    assert f"{ends_today}, {day}" in late
    assert f"{ends_today}, {delivered}" not in late


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("template", REMINDERS)
def test_pusat_is_told_to_extend_and_notify_the_reporter_not_to_forward(
    calendar: Any, template: str, lang: str
) -> None:
    at_pusat = text(filed(calendar, "pusat"), template, lang, today=date(2026, 3, 9))
    assert EXTEND[lang] in at_pusat and TELL_REPORTER[lang] in at_pusat
    assert FORWARD[lang] not in at_pusat and SUPERIORS[lang] not in at_pusat
    below = text(filed(calendar), template, lang, today=date(2026, 3, 9))
    assert FORWARD[lang] in below and EXTEND[lang] not in below


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("template", OFFICER)
def test_a_household_validation_is_reminded_in_its_own_terms(
    calendar: Any, template: str, lang: str
) -> None:
    said = text(household(calendar), template, lang, today=date(2026, 3, 9))
    validation = {"id": "alidasi rumah tangga KPM-2026-000019", "en": "household KPM-2026-000019"}
    assert validation[lang] in said
    complaint_words = {
        "id": ("Pengaduan KPM", "pengaduan KPM", "diteruskan", "teruskan", "Jenis pengaduan",
               "Batas waktu tingkat", "pelapor"),
        "en": ("Complaint KPM", "complaint KPM", "escalate", "Complaint type", "Level due",
               "reporter"),
    }  # fmt: skip
    for word in complaint_words[lang]:
        assert word not in said, (word, said)
    assert ": -" not in said  # no empty lines of details


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_complaint_reminder_keeps_its_type_and_level_deadline(calendar: Any, lang: str) -> None:
    said = text(filed(calendar), "reminder_overdue", lang, today=date(2026, 3, 10))
    assert {"id": "Jenis pengaduan", "en": "Complaint type"}[lang] in said
    assert {"id": "Batas waktu tingkat", "en": "Level due"}[lang] in said


@pytest.mark.parametrize("workflow_case", [filed, household])
@pytest.mark.parametrize("template", (*OFFICER, "extension_notice"))
def test_one_working_day_is_singular_in_english(
    calendar: Any, template: str, workflow_case: Any
) -> None:
    """A reminder due in 1 working day, overdue by 1, or an extension of 1 said "1 working
    days"; 2 stays plural."""
    case = workflow_case(calendar)
    if template == "extension_notice" and case.workflow != "complaint":
        return
    one = text(case, template, "en", date(2026, 3, 9), working_days=1)
    assert "1 working days" not in one, one
    if template == "reminder_due_today":
        return  # "ends today": no count
    assert "1 working day" in one, one
    two = text(case, template, "en", date(2026, 3, 9), days_left=2, days_overdue=2, working_days=2)
    assert "2 working days" in two and "2 working day " not in two


# what the level above can do about a late case: it cannot assign the case's handler nor
# escalate it (both are the handling office's, or the sweep's: a pusat officer assigning a
# kabupaten case is refused "role 'pusat' may not 'assign'"), and a household validation has
# no handler to assign at all
CANNOT = {
    "id": ("ditugaskan petugas lain", "diambil alih", "ditugaskan pendamping lain"),
    "en": ("assign another officer,", "take the complaint up", "assign another one"),
}
ASK = {
    "id": "meminta UPPKH Kota Bogor menugaskan petugas lain atau meneruskan pengaduan",
    "en": "ask UPPKH Kota Bogor to assign another officer or to forward the complaint",
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_supervisor_is_asked_only_what_the_level_above_can_do(calendar: Any, lang: str) -> None:
    complaint_notice = text(filed(calendar), "supervisor_overdue", lang, today=date(2026, 3, 10))
    household_notice = text(household(calendar), "supervisor_overdue", lang, date(2026, 3, 10))
    for said in (complaint_notice, household_notice):
        for words in CANNOT[lang]:
            assert words not in said, (words, said)
    assert complaint_notice.count(ASK[lang]) == 2  # text and HTML


@pytest.mark.parametrize(
    ("lang", "unassigned"), [("id", "belum ditugaskan"), ("en", "not yet assigned")]
)
def test_a_households_overdue_notice_does_not_say_its_pendamping_is_unassigned(
    calendar: Any, lang: str, unassigned: str
) -> None:
    """A household's validation is the pendamping office's, never one officer's: no KPM case
    has a handler. The overdue notice about one said "Pendamping: belum ditugaskan" /
    "Facilitator (pendamping): not yet assigned" every time (helper-85's finding), as if one
    were missing. It says no such line; a complaint's notice still has its handling officer's."""
    said = text(household(calendar), "supervisor_overdue", lang, date(2026, 3, 10))
    assert unassigned not in said, said
    ctx = letter_context(
        household(calendar),
        template="supervisor_overdue",
        lang=lang,
        recipient_name="kab.bogor",
        extra={"days_overdue": 1},
        today=date(2026, 3, 10),
    )
    body = render("supervisor_overdue", lang, ctx).text
    assert "\n\n\n" not in body and body.count("\n\n") >= 2, body  # paragraphs kept apart
    complaint = text(filed(calendar), "supervisor_overdue", lang, date(2026, 3, 10))
    assert ("Petugas penanganan:" if lang == "id" else "Handling officer:") in complaint
