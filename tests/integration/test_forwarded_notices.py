"""A complaint forwarded to the next level: the receiving office and the reporter are told.

Before this, an escalation (an officer's, or the deadline sweep's) queued nothing: the receiving
office learnt of the case at the sweep's first reminder, days later, and the reporter not at all.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from api.wiring import App
from engine.store.repository import OUTBOX, USERS
from engine.sweeper import sweep
from notifications.labels import format_date
from tests.conftest import Clock, complaint_data
from tests.integration.test_dispatch import Inbox, dispatcher, smtp  # noqa: F401 (fixture)
from tests.integration.test_sweep import at


def queued(app: App, case_id: str, event_type: str) -> set[tuple[str, str]]:
    with app.db.reading() as s:
        rows = s.execute(
            sa.select(OUTBOX.c.template, OUTBOX.c.recipient).where(
                OUTBOX.c.case_id == case_id, OUTBOX.c.event_type == event_type
            )
        )
        return {(r.template, r.recipient) for r in rows}


def forwarded_text(app: App, case_id: str, recipient: str, now: datetime) -> str:
    """The Indonesian text of the `case_forwarded` message queued for `recipient`."""
    from notifications.letters import compose
    from notifications.render import render

    with app.db.reading() as s:
        row = s.execute(
            sa.select(OUTBOX).where(
                OUTBOX.c.case_id == case_id,
                OUTBOX.c.template == "case_forwarded",
                OUTBOX.c.recipient == recipient,
            )
        ).one()
    letter = compose(app.db, row, now, app.settings.app_url)
    return render("case_forwarded", "id", letter.context).text


def set_users(app: App, *where: sa.ColumnElement[bool], **values: object) -> None:
    with app.db.transaction() as s:
        s.execute(sa.update(USERS).where(*where).values(**values))


def test_an_escalation_tells_every_officer_of_the_receiving_office_and_the_reporter(
    app: App,
) -> None:
    case = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    app.service.apply(case.id, "escalate", {"reason": "perlu koreksi pusat"}, "kab.bogor")
    assert queued(app, case.id, "CaseEscalated") == {
        ("case_forwarded", "user:pusat.spm"),
        ("case_forwarded", "user:pusat.spm2"),
        ("forwarded_notice", "reporter"),
    }


def test_officers_who_cannot_act_and_the_officer_the_complaint_is_about_are_not_told(
    app: App,
) -> None:
    """pusat.spm2 is the accused of a staff-performance complaint; kab.bogor2 is disabled;
    kab.bandung's office covers another region."""
    about = app.service.open_case(
        "complaint",
        complaint_data(type="teknis_administrasi", accused="pusat.spm2"),
        "kab.bogor",
    )
    app.service.apply(about.id, "escalate", {"reason": "kinerja petugas pusat"}, "kab.bogor")
    assert queued(app, about.id, "CaseEscalated") == {
        ("case_forwarded", "user:pusat.spm"),
        ("forwarded_notice", "reporter"),
    }
    set_users(app, USERS.c.username == "kab.bogor2", active=False)
    up = app.service.open_case(
        "complaint", complaint_data(level="pendamping", region="327101"), "pdp.bogor"
    )
    app.service.apply(up.id, "escalate", {"reason": "perlu kabupaten"}, "pdp.bogor")
    assert queued(app, up.id, "CaseEscalated") == {
        ("case_forwarded", "user:kab.bogor"),
        ("forwarded_notice", "reporter"),
    }
    set_users(app, USERS.c.username == "kab.bogor2", active=True, suspended=True)
    again = app.service.open_case(
        "complaint", complaint_data(level="pendamping", region="327101"), "pdp.bogor"
    )
    app.service.apply(again.id, "escalate", {"reason": "perlu kabupaten"}, "pdp.bogor")
    assert ("case_forwarded", "user:kab.bogor2") not in queued(app, again.id, "CaseEscalated")


def test_an_anonymous_reporter_gets_no_letter_but_the_office_is_told(app: App) -> None:
    case = app.service.open_case(
        "complaint",
        complaint_data(anonymous=True, reporter_name=None, reporter_contact=None),
        "kab.bogor",
    )
    app.service.apply(case.id, "escalate", {"reason": "perlu koreksi pusat"}, "kab.bogor")
    assert {t for t, _ in queued(app, case.id, "CaseEscalated")} == {"case_forwarded"}


def test_the_messages_arrive_by_smtp_saying_where_the_complaint_went_and_by_when(
    app: App,
    clock: Clock,
    smtp: tuple[Controller, Inbox],  # noqa: F811
) -> None:
    ctl, inbox = smtp
    set_users(app, USERS.c.role == "pusat", email=USERS.c.username + "@uppkh.example")
    case = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    up = app.service.apply(case.id, "escalate", {"reason": "perlu koreksi pusat"}, "kab.bogor")
    report = dispatcher(app, ctl.port).run_once(clock())
    assert report.dead == [] and len(report.sent) == 4  # the acknowledgement, then these three
    by_to = {m["To"]: m for m in inbox.messages[1:]}
    assert set(by_to) == {"pusat.spm@uppkh.example", "pusat.spm2@uppkh.example", "siti@example.org"}
    level_due = format_date(up.level_due.astimezone(ZoneInfo(up.zone)).date(), "id")
    stage_due = format_date(up.stage_due.astimezone(ZoneInfo(up.zone)).date(), "id")

    officer = by_to["pusat.spm@uppkh.example"]
    assert officer["Subject"] == f"[SPM-PKH] Pengaduan {case.id} diteruskan ke UPPKH Pusat"
    text = officer.get_body(("plain",)).get_content()
    assert "diteruskan dari UPPKH Kota Bogor ke UPPKH Pusat untuk penanganan lebih lanjut." in text
    assert "Alasan: perlu koreksi pusat" in text and stage_due in text
    assert "secara otomatis" not in text  # an officer forwarded it
    assert "Ibu Siti" not in text and "siti@example.org" not in text  # no reporter identity

    letter = by_to["siti@example.org"]
    body = letter.get_body(("plain",)).get_content()
    assert (
        "Ibu Siti" in body and "telah diteruskan dari UPPKH Kota Bogor kepada UPPKH Pusat" in body
    )
    assert f"Batas waktu penanganan pengaduan di UPPKH Pusat adalah {level_due}" in body
    # data_peserta at pusat: the reporter is told pusat takes up to a month (DOMAIN)
    assert "paling lama 1 (satu) bulan" in body
    assert "perlu koreksi pusat" not in body  # the officers' reason is theirs


def test_the_sweeps_escalation_says_it_was_automatic(
    app: App,
    clock: Clock,
    smtp: tuple[Controller, Inbox],  # noqa: F811
) -> None:
    ctl, inbox = smtp
    set_users(app, USERS.c.role == "kabupaten", email=USERS.c.username + "@uppkh.example")
    case = app.service.open_case(
        "complaint", complaint_data(level="pendamping", region="327101"), "pdp.bogor"
    )
    assert sweep(app.service, at(clock, "2026-03-10T09:00:00+07:00")).escalated == [case.id]
    assert queued(app, case.id, "CaseEscalated") == {
        ("case_forwarded", "user:kab.bogor"),
        ("case_forwarded", "user:kab.bogor2"),
        ("forwarded_notice", "reporter"),
    }
    dispatcher(app, ctl.port).run_once(clock())
    to_kab = [m for m in inbox.messages if m["To"] == "kab.bogor@uppkh.example"]
    assert len(to_kab) == 1
    text = to_kab[0].get_body(("plain",)).get_content()
    assert "secara otomatis oleh sistem karena batas waktu penanganan" in text
    assert "Alasan:" not in text  # the sweep's own note (codes, 'toleransi') is not quoted
    assert "diteruskan dari UPPKH Kecamatan Bogor Selatan ke UPPKH Kota Bogor" in text


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_ketua_kelompok_complaint_forwarded_names_the_group_leader_not_an_office(
    app: App, lang: str
) -> None:
    from notifications.letters import compose
    from notifications.render import render

    case = app.service.open_case(
        "complaint",
        complaint_data(level="ketua_kelompok", region="3271011001"),
        "kk.batutulis",
    )
    app.service.apply(case.id, "escalate", {"reason": "butuh pendamping"}, "kk.batutulis")
    with app.db.reading() as s:
        row = s.execute(
            sa.select(OUTBOX).where(
                OUTBOX.c.case_id == case.id, OUTBOX.c.template == "forwarded_notice"
            )
        ).one()
    row = SimpleNamespace(**{**row._asdict(), "payload": {**row.payload, "language": lang}})
    letter = compose(app.db, row, case.created_at, app.settings.app_url)
    text = render("forwarded_notice", lang, letter.context).text
    expected = {
        "id": "diteruskan dari Ketua Kelompok PKH kepada Pendamping PKH di UPPKH Kecamatan Bogor "
        "Selatan",
        "en": "forwarded from the KPM group leader (ketua kelompok) to the PKH facilitator "
        "(pendamping) at UPPKH Kecamatan Bogor Selatan",
    }[lang]
    assert expected in text


# -- the second read (helper-40): who must not be told, and what a letter must say ----------
def test_an_officer_relieved_of_duty_by_a_kkn_case_is_neither_told_nor_reminded(
    app: App, clock: Clock
) -> None:
    """kab.bogor2 is relieved of duty by a KKN complaint (the staff register, not the account's
    flag): the notice of a forwarded complaint and the sweep's office-wide reminder go to
    kab.bogor alone."""
    from workflows.staff import add_staff, get_staff

    add_staff(app.db, "Budi Prasetyo", "operator", "3271", username="kab.bogor2", now=clock())
    app.service.open_case(
        "complaint", complaint_data(type="kkn", accused="Budi Prasetyo"), "kab.bogor"
    )
    assert get_staff(app.db, "Budi Prasetyo").status == "suspended"
    up = app.service.open_case(
        "complaint", complaint_data(level="pendamping", region="327101"), "pdp.bogor"
    )
    app.service.apply(up.id, "escalate", {"reason": "perlu kabupaten"}, "pdp.bogor")
    assert ("case_forwarded", "user:kab.bogor2") not in queued(app, up.id, "CaseEscalated")
    assert ("case_forwarded", "user:kab.bogor") in queued(app, up.id, "CaseEscalated")
    # nobody handles it at kabupaten yet: every officer of the office is reminded, but not him
    sweep(app.service, at(clock, "2026-03-05T09:00:00+07:00"))
    reminded = {r for t, r in queued(app, up.id, "DeadlineSweep") if t.startswith("reminder_")}
    assert reminded == {"user:kab.bogor"}


def test_the_officer_a_complaint_is_about_is_not_reminded_of_it_by_the_sweep(
    app: App, clock: Clock
) -> None:
    """A staff-performance complaint about kab.bogor2, named by its staff record, with nobody
    assigned: the office-wide reminder goes to kab.bogor only."""
    from workflows.staff import add_staff

    add_staff(app.db, "Rahmat Hidayat", "operator", "3271", username="kab.bogor2", now=clock())
    about = app.service.open_case(
        "complaint",
        complaint_data(type="teknis_administrasi", accused="rahmat hidayat"),
        "pusat.spm",  # filed by pusat at kabupaten: no handler there
    )
    assert about.handler is None
    sweep(app.service, at(clock, "2026-03-05T09:00:00+07:00"))
    assert queued(app, about.id, "DeadlineSweep") == {("reminder_due_soon", "user:kab.bogor")}


def test_an_accused_typed_in_another_case_is_still_the_account_it_names(app: App) -> None:
    from engine.errors import GuardRejected

    about = app.service.open_case(
        "complaint",
        complaint_data(type="teknis_administrasi", accused="PUSAT.SPM2"),
        "kab.bogor",
    )
    app.service.apply(about.id, "escalate", {"reason": "kinerja petugas pusat"}, "kab.bogor")
    told = {r for t, r in queued(app, about.id, "CaseEscalated") if t == "case_forwarded"}
    assert told == {"user:pusat.spm"}
    # it may not take the case, nor be given it
    with pytest.raises(GuardRejected, match="conflict_of_interest"):
        app.service.apply(about.id, "assign", {"handler": "pusat.spm2"}, "pusat.spm2")
    with pytest.raises(GuardRejected, match="handler_ineligible"):
        app.service.apply(about.id, "assign", {"handler": "pusat.spm2"}, "pusat.spm")


def test_the_received_date_is_the_receiving_offices_day_in_every_letter(app: App) -> None:
    """Received in Jayapura at 23:30 WIT on 1 March (21:30 WIB), forwarded to pusat (WIB):
    the letter from pusat gives the day Jayapura received it, as the acknowledgement did."""
    from datetime import datetime, timedelta, timezone

    from notifications.letters import compose
    from notifications.render import render

    wit = timezone(timedelta(hours=9))
    case = app.service.open_case(
        "complaint",
        complaint_data(region="9171", level="kabupaten"),
        "pusat.spm",
        at=datetime(2026, 3, 1, 23, 30, tzinfo=wit),
    )
    app.service.apply(case.id, "escalate", {"reason": "perlu koreksi pusat"}, "system")
    with app.db.reading() as s:
        rows = {
            r.template: r
            for r in s.execute(sa.select(OUTBOX).where(OUTBOX.c.case_id == case.id))
            if r.template in ("acknowledgement", "forwarded_notice")
        }
    said = {
        t: render(t, "id", compose(app.db, r, case.created_at, app.settings.app_url).context).text
        for t, r in rows.items()
    }
    assert "Tanggal diterima   : 1 Maret 2026" in said["acknowledgement"]
    assert "yang diterima pada 1 Maret 2026" in said["forwarded_notice"]


def test_an_office_with_nobody_who_can_act_is_not_a_dead_end(app: App, clock: Clock) -> None:
    """The kecamatan's only pendamping account is disabled: a ketua kelompok's complaint
    forwarded there is told to the kabupaten office above it, which is told why."""

    set_users(app, USERS.c.username == "pdp.bogor", active=False)
    case = app.service.open_case(
        "complaint", complaint_data(level="ketua_kelompok"), "kk.batutulis"
    )
    app.service.apply(case.id, "escalate", {"reason": "butuh pendamping"}, "kk.batutulis")
    assert queued(app, case.id, "CaseEscalated") == {
        ("case_forwarded", "user:kab.bogor"),
        ("case_forwarded", "user:kab.bogor2"),
        ("forwarded_notice", "reporter"),
    }
    text = forwarded_text(app, case.id, "user:kab.bogor", clock())
    assert "karena belum ada petugas UPPKH Kecamatan Bogor Selatan yang dapat menangani" in text
    # an officer of the receiving office itself is not told that
    up = app.service.open_case("complaint", complaint_data(level="kabupaten"), "kab.bogor")
    app.service.apply(up.id, "escalate", {"reason": "perlu pusat"}, "kab.bogor")
    assert "belum ada petugas" not in forwarded_text(app, up.id, "user:pusat.spm", clock())


def test_a_notice_delivered_after_the_case_moved_on_is_skipped_and_says_why(
    app: App, clock: Clock
) -> None:
    """An outage holds the outbox; meanwhile kabupaten forwards the case on to pusat. The
    kabupaten officers are not asked to take it up any more; the reporter's letters still go."""
    from notifications.dispatch import Dispatcher

    case = app.service.open_case(
        "complaint", complaint_data(level="pendamping", region="327101"), "pdp.bogor"
    )
    app.service.apply(case.id, "escalate", {"reason": "perlu kabupaten"}, "pdp.bogor")
    app.service.apply(case.id, "escalate", {"reason": "perlu pusat"}, "kab.bogor")
    Dispatcher(app.db, app.settings).run_once(clock())
    with app.db.reading() as s:
        rows = s.execute(
            sa.select(
                OUTBOX.c.event_version,
                OUTBOX.c.template,
                OUTBOX.c.recipient,
                OUTBOX.c.status,
                OUTBOX.c.last_error,
            ).where(OUTBOX.c.case_id == case.id, OUTBOX.c.template == "case_forwarded")
        ).all()
    by = {(r.event_version, r.recipient): (r.status, r.last_error) for r in rows}
    assert by[(2, "user:kab.bogor")] == (
        "skipped",
        "lapsed: the case has left level kabupaten (now pusat)",
    )
    assert by[(3, "user:pusat.spm")][0] == "sent"
    with app.db.reading() as s:
        letters = (
            s.execute(
                sa.select(OUTBOX.c.status).where(
                    OUTBOX.c.case_id == case.id, OUTBOX.c.template == "forwarded_notice"
                )
            )
            .scalars()
            .all()
        )
    assert letters and "skipped" not in letters


def test_the_bulk_path_leaves_out_an_officer_relieved_of_duty_as_the_service_does(
    app: App, clock: Clock
) -> None:
    """engine.bulk queued its notices without the staff register (helper-42, #8)."""
    from engine.bulk import Item
    from workflows.kpm_store import bulk_for
    from workflows.staff import add_staff

    add_staff(app.db, "Dewi Lestari", "operator", "3271", username="pusat.spm2", now=clock())
    app.service.open_case(
        "complaint", complaint_data(type="kkn", accused="Dewi Lestari"), "kab.bogor"
    )
    case = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    kab = app.service.actor("kab.bogor")
    with app.db.transaction() as s:
        [done] = bulk_for(app, clock()).apply(
            s, [Item("escalate", {"reason": "perlu koreksi pusat"}, kab, clock(), case.id)]
        )
    assert done.level == "pusat"
    assert queued(app, case.id, "CaseEscalated") == {
        ("case_forwarded", "user:pusat.spm"),
        ("forwarded_notice", "reporter"),
    }
