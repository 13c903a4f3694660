"""Every reporter of a complaint hears of it, not only the one who filed it.

A second reporter linked to a complaint (`link_reporter`: the same matter reported again; a PT
Pos recommendation needs two) was counted and kept, but every letter went to the first
reporter alone: the second was never told their report was recorded, where the complaint
went, or how it ended.
"""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from api.wiring import App
from engine.store.repository import OUTBOX
from notifications.letters import compose
from notifications.render import render
from tests.conftest import Clock, complaint_data
from tests.integration.test_dispatch import Inbox, dispatcher, smtp  # noqa: F401 (fixture)

SECOND = {"reporter_name": "Bapak Joko Susilo", "reporter_contact": "joko@example.org"}


def queued(app: App, case_id: str) -> list[tuple[str, str, str]]:
    with app.db.reading() as s:
        rows = s.execute(
            sa.select(OUTBOX.c.event_type, OUTBOX.c.template, OUTBOX.c.recipient)
            .where(OUTBOX.c.case_id == case_id)
            .order_by(OUTBOX.c.id)
        )
        return [tuple(r) for r in rows]


def letter_text(app: App, case_id: str, event_type: str, recipient: str, now: datetime) -> str:
    with app.db.reading() as s:
        row = s.execute(
            sa.select(OUTBOX).where(
                OUTBOX.c.case_id == case_id,
                OUTBOX.c.event_type == event_type,
                OUTBOX.c.recipient == recipient,
            )
        ).one()
    letter = compose(app.db, row, now, app.settings.app_url)
    return render(row.template, "id", letter.context).text


def test_a_linked_reporter_is_acknowledged_and_gets_every_later_letter(
    app: App, clock: Clock
) -> None:
    svc = app.service
    case = svc.open_case("complaint", complaint_data(), "kab.bogor")
    svc.apply(case.id, "link_reporter", SECOND, "kab.bogor")
    svc.apply(case.id, "escalate", {"reason": "perlu koreksi pusat"}, "kab.bogor")
    assert queued(app, case.id) == [
        ("ComplaintFiled", "acknowledgement", "reporter"),
        ("ReporterLinked", "acknowledgement", "reporter:2"),  # not the first again
        ("CaseEscalated", "case_forwarded", "user:pusat.spm"),
        ("CaseEscalated", "case_forwarded", "user:pusat.spm2"),
        ("CaseEscalated", "forwarded_notice", "reporter"),
        ("CaseEscalated", "forwarded_notice", "reporter:2"),
    ]
    ack = letter_text(app, case.id, "ReporterLinked", "reporter:2", clock())
    assert "Bapak Joko Susilo" in ack and "Ibu Siti" not in ack  # nobody else's identity
    assert "dicatat bersama pengaduan yang sudah ada" in ack and case.id in ack
    assert "Disampaikan melalui" not in ack  # the first reporter's channel is not theirs
    first = letter_text(app, case.id, "ComplaintFiled", "reporter", clock())
    assert "Ibu Siti" in first and "Joko" not in first


def test_the_letters_reach_each_reporter_at_their_own_address(
    app: App,
    clock: Clock,
    smtp: tuple[Controller, Inbox],  # noqa: F811
) -> None:
    ctl, inbox = smtp
    svc = app.service
    case = svc.open_case("complaint", complaint_data(), "kab.bogor")
    svc.apply(case.id, "link_reporter", SECOND, "kab.bogor")
    for data in ({}, {"parties": "Dinas Sosial"}, {"result": "Data diperbaiki"}):
        svc.apply(case.id, "advance", data, "kab.bogor")
    closed = svc.apply(case.id, "advance", {"informed_via": "surat"}, "kab.bogor")
    assert closed.state == "selesai"
    report = dispatcher(app, ctl.port).run_once(clock())
    assert report.dead == []
    to = {}
    for m in inbox.messages:
        to.setdefault(m["To"], []).append(m.get_body(("plain",)).get_content())
    assert sorted(to) == ["joko@example.org", "siti@example.org"]
    assert len(to["joko@example.org"]) == 2 == len(to["siti@example.org"])  # ack and result
    assert all(
        "Data diperbaiki" in t for t in (to["joko@example.org"][1], to["siti@example.org"][1])
    )
    assert not any("Ibu Siti" in t for t in to["joko@example.org"])
    assert not any("Joko" in t for t in to["siti@example.org"])


def test_an_anonymous_filer_gets_nothing_but_a_named_linked_reporter_is_written_to(
    app: App,
) -> None:
    svc = app.service
    case = svc.open_case(
        "complaint",
        complaint_data(anonymous=True, reporter_name=None, reporter_contact=None),
        "kab.bogor",
    )
    svc.apply(case.id, "link_reporter", SECOND, "kab.bogor")
    svc.apply(case.id, "escalate", {"reason": "perlu koreksi pusat"}, "kab.bogor")
    reporters = [(e, t, r) for e, t, r in queued(app, case.id) if not r.startswith("user:")]
    assert reporters == [
        ("ReporterLinked", "acknowledgement", "reporter:2"),
        ("CaseEscalated", "forwarded_notice", "reporter:2"),
    ]


def test_a_third_reporter_is_acknowledged_alone_and_later_letters_go_to_all_three(
    app: App,
) -> None:
    svc = app.service
    case = svc.open_case("complaint", complaint_data(), "kab.bogor")
    svc.apply(case.id, "link_reporter", SECOND, "kab.bogor")
    svc.apply(case.id, "link_reporter", {"reporter_name": "Ibu Ratna"}, "kab.bogor")
    svc.apply(case.id, "escalate", {"reason": "perlu koreksi pusat"}, "kab.bogor")
    reporters = [(e, r) for e, t, r in queued(app, case.id) if not r.startswith("user:")]
    assert reporters == [
        ("ComplaintFiled", "reporter"),
        ("ReporterLinked", "reporter:2"),
        ("ReporterLinked", "reporter:3"),
        ("CaseEscalated", "reporter"),
        ("CaseEscalated", "reporter:2"),
        ("CaseEscalated", "reporter:3"),
    ]


# -- the second read (helper-42) ---------------------------------------------------------------
def test_a_paper_letter_to_a_linked_reporter_is_listed_under_their_name(
    app: App, clock: Clock
) -> None:
    """The officers' list of letters to print named the filer on the linked reporter's letter."""
    from notifications.dispatch import Dispatcher
    from notifications.paper import waiting_letters

    svc = app.service
    case = svc.open_case("complaint", complaint_data(reporter_contact=None), "kab.bogor")
    svc.apply(case.id, "link_reporter", {"reporter_name": "Pak Joko"}, "kab.bogor")
    Dispatcher(app.db, app.settings).run_once(clock())
    waiting, _ = waiting_letters(app.db, lambda state: True)
    assert [(w["template"], w["addressee"]) for w in waiting] == [
        ("acknowledgement", "Ibu Siti"),
        ("acknowledgement", "Pak Joko"),
    ]


def test_a_linked_reporter_is_not_sent_the_filers_own_words_and_is_given_their_own_day(
    app: App, clock: Clock
) -> None:
    """The summary is the filer's text (it may name them); the day received is the day this
    reporter's report was recorded, in their letters after it too."""
    from datetime import timedelta

    svc = app.service
    case = svc.open_case(
        "complaint",
        complaint_data(confidential=True, summary="Saya Ibu Siti dari RT 02, NIK 3271..."),
        "kab.bogor",
    )
    clock.set(clock() + timedelta(days=20))  # 22 March
    svc.apply(case.id, "link_reporter", SECOND, "kab.bogor")
    svc.apply(case.id, "escalate", {"reason": "perlu koreksi pusat"}, "kab.bogor")
    ack = letter_text(app, case.id, "ReporterLinked", "reporter:2", clock())
    assert "Ibu Siti" not in ack and "RT 02" not in ack and "Ringkasan" not in ack
    assert "Tanggal dicatat    : 22 Maret 2026" in ack
    forwarded = letter_text(app, case.id, "CaseEscalated", "reporter:2", clock())
    assert "yang diterima pada 22 Maret 2026" in forwarded
    first = letter_text(app, case.id, "CaseEscalated", "reporter", clock())
    assert "yang diterima pada 2 Maret 2026" in first


# -- a duplicate's reporters are passed on to the complaint it duplicates (helper-42 #5) -------
def reject_as_duplicate(app: App, case_id: str, of: str) -> None:
    data = {"reason": "duplikat", "duplicate_of": of, "informed_via": "surat"}
    app.service.apply(case_id, "reject", data, "kab.bogor")


def test_the_reporter_of_a_duplicate_hears_the_result_its_rejection_letter_promises(
    app: App, clock: Clock
) -> None:
    svc = app.service
    kept = svc.open_case("complaint", complaint_data(), "kab.bogor")
    dup = svc.open_case("complaint", complaint_data(**SECOND), "kab.bogor")
    reject_as_duplicate(app, dup.id, kept.id)
    state = svc.get(kept.id)
    assert state.attrs["reporters"] == 2
    assert state.attrs["linked_reporters"]["2"]["reporter_contact"] == "joko@example.org"
    rejected = letter_text(app, dup.id, "CaseRejected", "reporter", clock())
    assert f"Penanganan dilanjutkan melalui pengaduan nomor {kept.id}" in rejected
    ack = letter_text(app, kept.id, "ReporterLinked", "reporter:2", clock())
    assert "Bapak Joko Susilo" in ack and kept.id in ack
    for data in ({}, {"parties": "Dinas Sosial"}, {"result": "Data diperbaiki"}):
        svc.apply(kept.id, "advance", data, "kab.bogor")
    svc.apply(kept.id, "advance", {"informed_via": "surat"}, "kab.bogor")
    result = letter_text(app, kept.id, "CaseResolved", "reporter:2", clock())
    assert "Data diperbaiki" in result and "Bapak Joko Susilo" in result


def test_the_same_reporter_filing_twice_is_not_linked_to_their_own_complaint(app: App) -> None:
    svc = app.service
    kept = svc.open_case("complaint", complaint_data(), "kab.bogor")
    dup = svc.open_case("complaint", complaint_data(summary="lagi"), "kab.bogor")
    reject_as_duplicate(app, dup.id, kept.id)  # not refused by the link's guard
    assert svc.get(dup.id).state == "ditolak"
    assert svc.get(kept.id).attrs["reporters"] == 1


def test_a_duplicate_of_a_closed_complaint_is_told_so_and_nobody_is_linked(
    app: App, clock: Clock
) -> None:
    svc = app.service
    kept = svc.open_case("complaint", complaint_data(), "kab.bogor")
    for data in ({}, {"parties": "Dinas Sosial"}, {"result": "Data diperbaiki"}):
        svc.apply(kept.id, "advance", data, "kab.bogor")
    svc.apply(kept.id, "advance", {"informed_via": "surat"}, "kab.bogor")
    dup = svc.open_case("complaint", complaint_data(**SECOND), "kab.bogor")
    reject_as_duplicate(app, dup.id, kept.id)
    assert svc.get(kept.id).attrs["reporters"] == 1
    rejected = letter_text(app, dup.id, "CaseRejected", "reporter", clock())
    assert f"yaitu pengaduan nomor {kept.id}, yang telah selesai ditangani." in rejected
    assert "hasilnya akan disampaikan" not in rejected


def test_an_anonymous_duplicate_passes_on_only_the_reporters_who_can_be_named(app: App) -> None:
    svc = app.service
    kept = svc.open_case("complaint", complaint_data(), "kab.bogor")
    dup = svc.open_case(
        "complaint",
        complaint_data(anonymous=True, reporter_name=None, reporter_contact=None),
        "kab.bogor",
    )
    svc.apply(dup.id, "link_reporter", {"reporter_name": "Ibu Ratna"}, "kab.bogor")
    reject_as_duplicate(app, dup.id, kept.id)
    linked = svc.get(kept.id).attrs["linked_reporters"]
    assert [v["reporter_name"] for v in linked.values()] == ["Ibu Ratna"]


def test_a_confidential_reporter_is_passed_on_only_to_a_confidential_complaint(
    app: App, clock: Clock
) -> None:
    """Linked reporters are shown as the case shows its first: a confidential reporter passed
    on to a complaint that is not confidential would be seen by its pendamping."""
    svc = app.service
    open_ = svc.open_case("complaint", complaint_data(), "kab.bogor")
    secret = svc.open_case("complaint", complaint_data(confidential=True), "kab.bogor")
    dup = svc.open_case("complaint", complaint_data(confidential=True, **SECOND), "kab.bogor")
    reject_as_duplicate(app, dup.id, open_.id)
    assert svc.get(open_.id).attrs["reporters"] == 1  # not passed on
    rejected = letter_text(app, dup.id, "CaseRejected", "reporter", clock())
    assert f"yaitu pengaduan nomor {open_.id}." in rejected
    assert "hasilnya akan disampaikan" not in rejected and "selesai ditangani" not in rejected
    again = svc.open_case("complaint", complaint_data(confidential=True, **SECOND), "kab.bogor")
    reject_as_duplicate(app, again.id, secret.id)
    assert svc.get(secret.id).attrs["reporters"] == 2


# -- the KKN outcome reaches every reporter of the complaint (helper-42 #3) --------------------
def kkn_case_of(app: App, complaint_id: str) -> str:
    from workflows.staff import get_staff

    cases = [c["id"] for c in get_staff(app.db, "Andi Wijaya").cases if c["workflow"] == "kkn"]
    assert len(cases) == 1 and app.service.get(cases[0]).attrs["complaint_id"] == complaint_id
    return str(cases[0])


def outcome_recipients(app: App, kkn_id: str) -> list[str]:
    return [r for e, t, r in queued(app, kkn_id) if t == "kkn_outcome"]


def andi_on_staff(app: App) -> None:
    from workflows.staff import add_staff

    add_staff(app.db, "Andi Wijaya", "pendamping", "327101", username=None, now=app.service.clock())


def kkn_complaint(app: App) -> tuple[str, str]:
    """A KKN complaint about Andi Wijaya (on the staff) and the KKN case it opened."""
    andi_on_staff(app)
    complaint = app.service.open_case(
        "complaint", complaint_data(type="kkn", accused="Andi Wijaya"), "kab.bogor"
    )
    return complaint.id, kkn_case_of(app, complaint.id)


def test_a_reporter_linked_to_a_kkn_complaint_is_told_the_outcome(app: App, clock: Clock) -> None:
    svc = app.service
    complaint_id, kkn = kkn_complaint(app)
    svc.apply(complaint_id, "link_reporter", SECOND, "kab.bogor")
    svc.apply(kkn, "find_not_guilty", {}, "pusat.spm")
    assert outcome_recipients(app, kkn) == ["reporter", "reporter:2"]
    text = letter_text(app, kkn, "StaffReinstated", "reporter:2", clock())
    assert "Bapak Joko Susilo" in text and "Ibu Siti" not in text
    assert complaint_id in text


def test_reporters_linked_before_a_complaint_became_kkn_are_told_the_outcome(
    app: App,
) -> None:
    andi_on_staff(app)
    svc = app.service
    complaint = svc.open_case(
        "complaint",
        complaint_data(
            type="teknis_administrasi",
            accused="Andi Wijaya",
            anonymous=True,
            reporter_name=None,
            reporter_contact=None,
        ),
        "kab.bogor",
    )
    svc.apply(complaint.id, "link_reporter", {"reporter_name": "Ibu Ratna"}, "kab.bogor")
    svc.apply(complaint.id, "reclassify", {"type": "kkn"}, "kab.bogor")
    kkn = kkn_case_of(app, complaint.id)
    svc.apply(kkn, "find_guilty", {"referred_to": "kejaksaan"}, "pusat.spm")
    assert outcome_recipients(app, kkn) == ["reporter:2"]  # the filer is anonymous


def test_a_suspension_given_reporters_that_are_not_a_complaints_is_refused_naming_the_field(
    app: App,
) -> None:
    from engine.errors import InvalidInput

    for junk in ("x", {"2": "x"}, {"2": {"reporter_name": 5}}):
        data = {"staff": "Andi Wijaya", "region": "3271", "linked_reporters": junk}
        with pytest.raises(InvalidInput) as err:
            app.service.open_case("kkn", data, "kab.bogor")
        assert err.value.field == "linked_reporters"


# -- the third read (helper-43) ----------------------------------------------------------------
def test_the_person_a_duplicate_is_about_never_reads_its_reporters_on_the_other(
    app: App, clock: Clock
) -> None:
    """Linked reporters are shown as the kept complaint shows its first: the accused of the
    duplicate may read a complaint that is not about them."""
    svc = app.service
    kept = svc.open_case("complaint", complaint_data(), "kab.bogor")
    dup = svc.open_case(
        "complaint", complaint_data(type="teknis_administrasi", accused="pdp.bogor"), "kab.bogor"
    )
    reject_as_duplicate(app, dup.id, kept.id)
    assert svc.get(kept.id).attrs["reporters"] == 1
    rejected = letter_text(app, dup.id, "CaseRejected", "reporter", clock())
    assert f"yaitu pengaduan nomor {kept.id}." in rejected
    assert "hasilnya akan disampaikan" not in rejected and "selesai ditangani" not in rejected
    # the same person on both: passed on
    both = svc.open_case(
        "complaint", complaint_data(type="teknis_administrasi", accused="pdp.bogor"), "kab.bogor"
    )
    again = svc.open_case(
        "complaint",
        complaint_data(type="teknis_administrasi", accused="PDP.Bogor", **SECOND),
        "kab.bogor",
    )
    reject_as_duplicate(app, again.id, both.id)
    assert svc.get(both.id).attrs["reporters"] == 2


def test_a_confidential_reporter_is_not_passed_down_to_a_lower_level(app: App) -> None:
    """A confidential complaint at pusat is hidden from the kabupaten; linked to a confidential
    one at the kabupaten, its reporter would be shown there."""
    svc = app.service
    kept = svc.open_case("complaint", complaint_data(confidential=True), "kab.bogor")
    dup = svc.open_case("complaint", complaint_data(confidential=True, **SECOND), "kab.bogor")
    svc.apply(dup.id, "escalate", {"reason": "kewenangan pusat"}, "kab.bogor")
    data = {"reason": "duplikat", "duplicate_of": kept.id, "informed_via": "surat"}
    svc.apply(dup.id, "reject", data, "pusat.spm")
    assert svc.get(kept.id).attrs["reporters"] == 1


def test_no_complaint_is_the_duplicate_of_a_rejected_one(app: App) -> None:
    """Two rejected as each other's duplicate: neither handled, both told it goes on."""
    from engine.errors import GuardRejected

    svc = app.service
    a = svc.open_case("complaint", complaint_data(), "kab.bogor")
    b = svc.open_case("complaint", complaint_data(**SECOND), "kab.bogor")
    reject_as_duplicate(app, a.id, b.id)
    with pytest.raises(GuardRejected, match="duplicate_of_rejected"):
        reject_as_duplicate(app, b.id, a.id)
    assert svc.get(b.id).status == "open"


def test_a_duplicate_named_as_officers_type_it_is_the_same_duplicate(app: App) -> None:
    """The reason and number as the API and the command line take them ("Duplikat", a case
    number in lower case with spaces): read as the rejection's parser reads them by the
    lookups behind its guards too (helper-45: "does not exist"; a rejected one accepted)."""
    from engine.errors import GuardRejected

    svc = app.service
    kept = svc.open_case("complaint", complaint_data(), "kab.bogor")
    dup = svc.open_case("complaint", complaint_data(**SECOND), "kab.bogor")
    typed = {"reason": "Duplikat", "duplicate_of": f" {kept.id.lower()} ", "informed_via": "surat"}
    rejected = svc.apply(dup.id, "reject", typed, "kab.bogor")
    assert rejected.attrs["duplicate_of"] == kept.id and rejected.attrs["duplicate_follows"]
    assert svc.get(kept.id).attrs["reporters"] == 2  # its reporter passed on
    third = svc.open_case("complaint", complaint_data(summary="lagi"), "kab.bogor")
    with pytest.raises(GuardRejected, match="duplicate_of_rejected"):
        svc.apply(third.id, "reject", {**typed, "duplicate_of": dup.id.lower()}, "kab.bogor")
    assign = svc.apply(third.id, "assign", {"handler": " kab.bogor2 "}, "kab.bogor")
    assert assign.handler == "kab.bogor2"


def test_a_reporter_linked_while_the_complaint_is_not_kkn_still_reaches_its_kkn_case(
    app: App,
) -> None:
    svc = app.service
    complaint_id, kkn = kkn_complaint(app)
    svc.apply(complaint_id, "reclassify", {"type": "teknis_administrasi"}, "kab.bogor")
    svc.apply(complaint_id, "link_reporter", SECOND, "kab.bogor")
    svc.apply(kkn, "find_not_guilty", {}, "pusat.spm")
    assert outcome_recipients(app, kkn) == ["reporter", "reporter:2"]


def test_a_complaint_reclassified_away_from_kkn_and_back_keeps_its_one_kkn_case(
    app: App,
) -> None:
    """It opened a second KKN case about the same person and allegation, and a reporter linked
    after that got two outcome letters."""
    from workflows.staff import get_staff

    svc = app.service
    complaint_id, kkn = kkn_complaint(app)
    svc.apply(complaint_id, "reclassify", {"type": "teknis_administrasi"}, "kab.bogor")
    svc.apply(complaint_id, "reclassify", {"type": "kkn"}, "kab.bogor")
    assert [c["id"] for c in get_staff(app.db, "Andi Wijaya").cases] == [kkn]
    svc.apply(complaint_id, "link_reporter", SECOND, "kab.bogor")
    svc.apply(kkn, "find_not_guilty", {}, "pusat.spm")
    assert outcome_recipients(app, kkn) == ["reporter", "reporter:2"]


def test_a_kkn_duplicate_about_the_same_person_is_merged_and_decided_once(app: App) -> None:
    """Two KKN complaints about Andi opened two KKN cases: once one complaint is rejected as
    the other's duplicate, its KKN case is merged into the other's, and the one decision's
    outcome reaches both reporters once (helper-43 #5)."""
    from workflows.staff import get_staff

    svc = app.service
    kept_id, kkn_kept = kkn_complaint(app)
    dup = svc.open_case(
        "complaint", complaint_data(type="kkn", accused="Andi Wijaya", **SECOND), "kab.bogor"
    )
    kkn_dup = next(
        c["id"]
        for c in get_staff(app.db, "Andi Wijaya").cases
        if c["workflow"] == "kkn" and c["id"] != kkn_kept
    )
    reject_as_duplicate(app, dup.id, kept_id)
    merged = svc.get(kkn_dup)
    assert (merged.state, merged.attrs["merged_into"]) == ("merged", kkn_kept)
    assert get_staff(app.db, "Andi Wijaya").status == "suspended"  # the kept case holds
    svc.apply(kkn_kept, "find_not_guilty", {}, "pusat.spm")
    assert outcome_recipients(app, kkn_kept) == ["reporter", "reporter:2"]
    assert outcome_recipients(app, kkn_dup) == []
    assert get_staff(app.db, "Andi Wijaya").status == "active"
