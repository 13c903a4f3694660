"""Delivery through a real SMTP server on loopback (aiosmtpd): content, outage, dead letters."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from typer.testing import CliRunner

from api.wiring import App
from engine.settings import Settings
from engine.store.repository import OUTBOX
from engine.sweeper import sweep
from notifications.dispatch import Dispatcher, retry_dead
from notifications.labels import format_date
from notifications.paper import print_letters, waiting_letters
from tests.conftest import Clock, complaint_data

OFFICE_SENDER = "SPM-PKH <pengaduan-pkh@dinsos.example.go.id>"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Controller, Inbox]]:
    inbox = Inbox()
    ctl = Controller(inbox, hostname="127.0.0.1", port=free_port())
    ctl.start()
    yield ctl, inbox
    ctl.stop(no_assert=True)


def dispatcher(app: App, port: int, **overrides: Any) -> Dispatcher:
    settings = app.settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_timeout": 2.0, **overrides}
    )
    return Dispatcher(app.db, settings)


def statuses(app: App) -> list[tuple[str, str, int]]:
    with app.db.reading() as s:
        return [
            tuple(r)
            for r in s.execute(
                sa.select(OUTBOX.c.template, OUTBOX.c.status, OUTBOX.c.attempts).order_by(
                    OUTBOX.c.id
                )
            )
        ]


def test_the_acknowledgement_and_a_reminder_arrive_by_smtp_in_bahasa_indonesia(
    app: App, clock: Clock, smtp: tuple[Controller, Inbox]
) -> None:
    ctl, inbox = smtp
    with app.db.transaction() as s:
        s.execute(
            sa.text(
                "UPDATE users SET email = 'kab.bogor@uppkh.example', "
                "full_name = 'Budi Santoso' WHERE username = 'kab.bogor'"
            )
        )
    case = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    clock.set(clock() + timedelta(days=3))  # Thursday 5 March: due soon
    sweep(app.service, clock())
    report = dispatcher(app, ctl.port).run_once(clock())
    assert len(report.sent) == 2 and report.dead == []
    ack, reminder = inbox.messages
    assert ack["To"] == "siti@example.org" and reminder["To"] == "kab.bogor@uppkh.example"
    for msg in (ack, reminder):
        assert msg["Content-Language"] == "id"
        assert msg["Message-ID"].startswith("<pkh-outbox-")
        assert case.id in msg.get_body(("plain",)).get_content()
        assert msg.get_body(("html",)) is not None
    ack_text = ack.get_body(("plain",)).get_content()
    assert "pengaduan" in ack_text.lower() and "Ibu Siti" in ack_text
    reminder_text = reminder.get_body(("plain",)).get_content()
    assert "Ibu Siti" not in reminder_text  # officers are not told who the reporter is
    assert "9 Maret 2026" in reminder_text  # the stage due date, in Indonesian


def test_across_an_smtp_outage_nothing_is_lost_and_nothing_is_sent_twice(
    app: App, clock: Clock, smtp: tuple[Controller, Inbox]
) -> None:
    ctl, inbox = smtp
    for _ in range(3):
        app.service.open_case("complaint", complaint_data(), "kab.bogor")
    down = dispatcher(app, free_port())  # nothing listens there: the server is down
    first = down.run_once(clock())
    assert len(first.retrying) == 3 and inbox.messages == []
    # still inside the back-off: not even attempted
    assert down.run_once(clock() + timedelta(seconds=30)).retrying == []
    second = down.run_once(clock() + timedelta(minutes=5, seconds=1))
    assert len(second.retrying) == 3
    up = dispatcher(app, ctl.port)
    later = clock() + timedelta(minutes=30)
    assert len(up.run_once(later).sent) == 3
    assert up.run_once(later + timedelta(hours=1)).sent == []
    assert len(inbox.messages) == 3
    assert len({m["Message-ID"] for m in inbox.messages}) == 3
    assert [s for _, s, _ in statuses(app)] == ["sent"] * 3


def test_after_the_last_attempt_a_message_is_dead_lettered_until_an_admin_retries(
    app: App, clock: Clock, smtp: tuple[Controller, Inbox]
) -> None:
    ctl, inbox = smtp
    app.service.open_case("complaint", complaint_data(), "kab.bogor")
    down = dispatcher(app, free_port(), dispatch_max_attempts=2)
    down.run_once(clock())
    assert down.run_once(clock() + timedelta(hours=1)).dead != []
    assert statuses(app) == [("acknowledgement", "dead", 2)]
    assert dispatcher(app, ctl.port).run_once(clock() + timedelta(hours=2)).sent == []
    assert retry_dead(app.db, clock() + timedelta(hours=2)).queued == [1]
    assert len(dispatcher(app, ctl.port).run_once(clock() + timedelta(hours=2)).sent) == 1
    assert len(inbox.messages) == 1


def outbox_rows(app: App, case_id: str) -> list[Any]:
    with app.db.reading() as s:
        return list(
            s.execute(sa.select(OUTBOX).where(OUTBOX.c.case_id == case_id).order_by(OUTBOX.c.id))
        )


def test_a_reminder_about_a_stage_the_case_has_left_is_not_sent_and_says_why(
    app: App, clock: Clock, smtp: tuple[Controller, Inbox]
) -> None:
    """The sweep queues due-soon reminders for four cases; before the dispatcher runs, one is
    advanced, one rejected, one handed to another officer and one only reclassified (same
    stage, same handler). Only the last one's reminder is still true, and only it is sent;
    the others are kept as `skipped` with the reason."""
    ctl, inbox = smtp
    with app.db.transaction() as s:
        s.execute(sa.text("UPDATE users SET email = username || '@uppkh.example'"))
    svc = app.service
    advanced, rejected, reassigned, reclassified = (
        svc.open_case("complaint", complaint_data(), "kab.bogor") for _ in range(4)
    )
    dispatcher(app, ctl.port).run_once(clock())  # the four acknowledgements
    inbox.messages.clear()
    clock.set(clock() + timedelta(days=3))  # Thursday 5 March: due soon
    assert sweep(app.service, clock()).messages == 4
    svc.apply(advanced.id, "advance", {}, "kab.bogor")
    svc.apply(rejected.id, "reject", {"reason": "bukan_pkh", "informed_via": "surat"}, "kab.bogor")
    svc.apply(reassigned.id, "assign", {"handler": "kab.bogor2"}, "kab.bogor")
    svc.apply(reclassified.id, "reclassify", {"type": "data_peserta"}, "kab.bogor")

    report = dispatcher(app, ctl.port).run_once(clock())
    assert len(report.skipped) == 3 and report.dead == [], report
    sent = [m for m in inbox.messages if m["To"] == "kab.bogor@uppkh.example"]
    assert len(sent) == 1 and len(inbox.messages) == 2  # and the result letter of the rejection
    assert reclassified.id in sent[0].get_body(("plain",)).get_content()
    why = {
        case.id: [
            (r.status, r.last_error)
            for r in outbox_rows(app, case.id)
            if r.template == "reminder_due_soon"
        ]
        for case in (advanced, rejected, reassigned)
    }
    assert all(len(w) == 1 and w[0][0] == "skipped" for w in why.values()), why
    why = {k: w[0] for k, w in why.items()}
    assert why[advanced.id][1].startswith("lapsed: the case has left stage")
    assert why[reassigned.id][1] == "lapsed: the case has another handler now"
    assert why[rejected.id][1] == "lapsed: the case is closed now"
    # the rejection's result letter is not a sweep message: it goes out as usual
    result = [r for r in outbox_rows(app, rejected.id) if r.template == "result_letter"]
    assert [r.status for r in result] == ["sent"]
    later = dispatcher(app, ctl.port).run_once(clock() + timedelta(hours=1))
    assert later.skipped == [] and later.sent == []  # skipped rows are not tried again


def test_a_reporter_without_an_address_gets_a_letter_to_print(app: App, clock: Clock) -> None:
    app.service.open_case("complaint", complaint_data(reporter_contact=None), "kab.bogor")
    report = Dispatcher(app.db, app.settings).run_once(clock())
    assert len(report.to_print) == 1 and statuses(app) == [("acknowledgement", "print", 1)]


def test_a_letter_tells_the_case_as_it_stood_when_queued_and_the_result_reaches_the_reporter(
    app: App, clock: Clock, smtp: tuple[Controller, Inbox]
) -> None:
    """The acknowledgement is dispatched only after the case went up to pusat and closed: it
    still names the office and deadline of the filing; the result letter quotes the result
    recorded at the follow-up stage (not given again when closing)."""
    ctl, inbox = smtp
    svc = app.service
    case = svc.open_case("complaint", complaint_data(), "kab.bogor")
    filed_due = case.level_due
    svc.apply(case.id, "escalate", {"reason": "perlu koreksi pusat"}, "kab.bogor")
    for data in ({}, {"parties": "Dinas Dukcapil"}, {"result": "Nama KPM diperbaiki pusat"}):
        svc.apply(case.id, "advance", data, "pusat.spm")
    closed = svc.apply(case.id, "advance", {"informed_via": "surat"}, "pusat.spm")
    assert closed.state == "selesai" and closed.attrs["result"] == "Nama KPM diperbaiki pusat"
    assert closed.attrs["parties"] == "Dinas Dukcapil"
    assert dispatcher(app, ctl.port).run_once(clock()).sent != []
    # the reporter's three letters (the officers of pusat, told of the escalation, have no
    # e-mail address here: theirs go to the log)
    ack, forwarded, result = (m.get_body(("plain",)).get_content() for m in inbox.messages)
    assert "diteruskan dari UPPKH Kota Bogor kepada UPPKH Pusat" in forwarded
    assert "Ditangani oleh     : UPPKH Kota Bogor" in ack
    assert "batas waktu penanganan di UPPKH Kota Bogor" in ack
    assert filed_due is not None and closed.level_due != filed_due
    assert format_date(filed_due.astimezone(ZoneInfo(case.zone)).date(), "id") in ack
    assert "Nama KPM diperbaiki pusat" in result
    assert "Pengaduan telah diselesaikan." not in result  # the fallback is not used


def test_paper_letters_are_printed_as_a4_pages_once_and_again_on_request(
    app: App, clock: Clock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import api.cli
    import api.cli_flows  # noqa: F401  (registers `pkh outbox`)

    case = app.service.open_case(
        "complaint", complaint_data(reporter_contact=None, reporter_name="Pak Darto"), "kab.bogor"
    )
    Dispatcher(app.db, app.settings).run_once(clock())  # no address: a letter to print
    assert statuses(app) == [("acknowledgement", "print", 1)]

    monkeypatch.setattr(api.cli, "_APP", app)
    runner = CliRunner()
    out = runner.invoke(api.cli.app, ["outbox", "print", "--out", str(tmp_path), "--json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert report["failed"] == [] and [p["case_id"] for p in report["printed"]] == [case.id]
    page = Path(report["printed"][0]["file"]).read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "@page { size: A4;" in page
    assert "Yth. Pak Darto" in page and case.id in page and "Tanda terima pengaduan" in page
    assert [s for _, s, _ in statuses(app)] == ["printed"]

    # printed letters are not printed twice, unless asked for again by id
    again = runner.invoke(api.cli.app, ["outbox", "print", "--out", str(tmp_path / "b")])
    assert again.exit_code == 0 and again.stdout.startswith("0 letter(s)")
    letter_id = report["printed"][0]["id"]
    refused = runner.invoke(api.cli.app, ["outbox", "print", str(letter_id), "--out", "x"])
    assert refused.exit_code == 3 and "--again" in refused.stderr
    reprint = print_letters(app.db, app.settings, tmp_path / "c", clock(), [letter_id], again=True)
    assert len(reprint["printed"]) == 1 and (tmp_path / "c").exists()
    listed = runner.invoke(api.cli.app, ["outbox", "list", "--status", "printed", "--json"])
    assert [r["id"] for r in json.loads(listed.stdout)] == [letter_id]
    assert reprint["marked"] == []  # a reprint keeps the moment of the first printing
    everything = runner.invoke(api.cli.app, ["outbox", "print", "--again", "--out", "x"])
    assert everything.exit_code == 2 and "ids" in everything.stderr  # --again names letters
    assert (Path(report["printed"][0]["file"]).stat().st_mode & 0o777) == 0o600


def test_a_letter_to_a_postal_address_is_printed_with_it_and_listed_with_it(
    app: App, clock: Clock, tmp_path: Path
) -> None:
    """A reporter who gave a street address as the contact: the letter waits on paper, the
    list of letters to print says where it goes and the printed page carries the address. A
    phone number (no SMS gateway set) is no address for a letter: "di tempat", by hand."""
    street = "Jl. Merdeka No. 5, RT 02/RW 03, Desa Sukamaju"
    posted = app.service.open_case(
        "complaint", complaint_data(reporter_name="Pak Darto", reporter_contact=street), "kab.bogor"
    )
    by_hand = app.service.open_case(
        "complaint", complaint_data(reporter_contact="081234567890"), "kab.bogor"
    )
    report = Dispatcher(app.db, app.settings).run_once(clock())
    assert len(report.to_print) == 2
    waiting, more = waiting_letters(app.db, lambda st: True)
    assert not more
    assert [(w["case_id"], w["addressee"], w["address"]) for w in waiting] == [
        (posted.id, "Pak Darto", street),
        (by_hand.id, "Ibu Siti", None),
    ]
    printed = print_letters(app.db, app.settings, tmp_path, clock())
    pages = [Path(p["file"]).read_text(encoding="utf-8") for p in printed["printed"]]
    assert f"Yth. Pak Darto<br>{street}</p>" in pages[0] and "di tempat" not in pages[0]
    assert "Yth. Ibu Siti<br>di tempat</p>" in pages[1] and "081234567890" not in pages[1]


def test_an_officers_letter_whose_account_is_gone_is_dead_never_sent_to_the_reporter(
    app: App, clock: Clock, smtp: tuple[Controller, Inbox]
) -> None:
    ctl, inbox = smtp
    app.service.open_case("complaint", complaint_data(), "kab.bogor")
    with app.db.transaction() as s:  # an officer's message whose account no longer exists
        s.execute(
            sa.text("UPDATE outbox SET recipient = 'user:hilang', template = 'reminder_overdue'")
        )
    report = dispatcher(app, ctl.port).run_once(clock())
    assert len(report.dead) == 1 and report.sent == [] and inbox.messages == []


def pkh_cli(app: App, monkeypatch: pytest.MonkeyPatch, *args: str, **settings: Any) -> Any:
    """`pkh ARGS` against this app, its settings changed by `settings`."""
    import dataclasses

    import api.cli
    import api.cli_flows  # noqa: F401  (registers `pkh dispatch`, `pkh outbox`)

    changed = dataclasses.replace(app, settings=app.settings.model_copy(update=settings))
    monkeypatch.setattr(api.cli, "_APP", changed)
    return CliRunner().invoke(api.cli.app, list(args))


def test_with_only_smtp_set_a_phone_reporters_letter_waits_on_paper_and_is_never_logged_as_sent(
    app: App,
    clock: Clock,
    smtp: tuple[Controller, Inbox],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    ctl, inbox = smtp
    app.service.open_case("complaint", complaint_data(reporter_contact="081234567890"), "kab.bogor")
    app.service.open_case("complaint", complaint_data(), "kab.bogor")  # by e-mail
    out = pkh_cli(app, monkeypatch, "dispatch", smtp_host="127.0.0.1", smtp_port=ctl.port)
    assert out.exit_code == 0, out.output
    assert out.stdout.split()[:4] == ["sent:", "1", "to_print:", "1"]
    assert "log:" not in out.output
    with app.db.reading() as s:
        rows = s.execute(sa.select(OUTBOX).order_by(OUTBOX.c.id)).all()
    by_phone, by_mail = rows
    assert (by_phone.status, by_phone.channel, by_phone.address) == (
        "print",
        "letter",
        "081234567890",
    )
    assert by_phone.last_error == (
        "no sms channel configured (PKH_WEBHOOK_URL unset): a letter to print"
    )
    assert (by_mail.status, by_mail.channel) == ("sent", "email") and len(inbox.messages) == 1
    printed = pkh_cli(app, monkeypatch, "outbox", "print", "--out", str(tmp_path))
    assert printed.exit_code == 0 and printed.stdout.startswith("1 letter(s)"), printed.output


def test_dispatch_warns_in_one_line_when_e_mail_goes_out_from_a_localhost_sender(
    app: App, clock: Clock, smtp: tuple[Controller, Inbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: with PKH_SMTP_HOST set and PKH_SMTP_FROM not, e-mail went out from the
    default `SPM-PKH <pengaduan-pkh@localhost>`, which real relays reject or file as spam,
    without a word. `pkh dispatch` says so in one `warning:` line on stderr and delivers as
    before; an office's own sender, or no SMTP at all, has no such line."""
    ctl, inbox = smtp
    app.service.open_case("complaint", complaint_data(), "kab.bogor")  # by e-mail
    default = Settings.model_fields["smtp_from"].default
    assert default == "SPM-PKH <pengaduan-pkh@localhost>"
    smtp_set = {"smtp_host": "127.0.0.1", "smtp_port": ctl.port, "smtp_from": default}
    out = pkh_cli(app, monkeypatch, "dispatch", **smtp_set)
    assert out.exit_code == 0 and out.stdout.startswith("sent: 1"), out.output
    assert out.stderr.splitlines() == [
        "warning: e-mail goes out from PKH_SMTP_FROM 'SPM-PKH <pengaduan-pkh@localhost>', a "
        "localhost sender that mail servers reject or take for spam: set PKH_SMTP_FROM to an "
        "address of the office's own mail domain"
    ]
    assert len(inbox.messages) == 1  # delivered all the same
    from notifications.dispatch import sender_warning

    for sender in ("pengaduan@Mail.Localhost", "<pkh@localhost.localdomain>"):
        assert sender_warning(app.settings.model_copy(update={**smtp_set, "smtp_from": sender}))
    own = {**smtp_set, "smtp_from": OFFICE_SENDER}
    assert sender_warning(app.settings.model_copy(update=own)) is None
    quiet = pkh_cli(app, monkeypatch, "dispatch", **own)
    assert quiet.exit_code == 0 and quiet.stderr == "", quiet.output
    no_smtp = pkh_cli(app, monkeypatch, "dispatch", smtp_host=None, smtp_from=default)
    assert "warning:" not in no_smtp.stderr, no_smtp.output


def test_a_webhook_url_without_its_secret_is_refused_at_dispatch_not_dropped(
    app: App, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from notifications.channels import ConfigurationError

    app.service.open_case("complaint", complaint_data(reporter_contact="081234567890"), "kab.bogor")
    settings = app.settings.model_copy(update={"webhook_url": "http://127.0.0.1:9/sms"})
    with pytest.raises(ConfigurationError, match="PKH_WEBHOOK_SECRET is not"):
        Dispatcher(app.db, settings)
    out = pkh_cli(app, monkeypatch, "dispatch", webhook_url="http://127.0.0.1:9/sms")
    assert out.exit_code == 1 and out.stdout == ""
    assert out.stderr.splitlines() == [
        "error: PKH_WEBHOOK_URL is set but PKH_WEBHOOK_SECRET is not: messages to the SMS "
        "gateway are signed with it; set PKH_WEBHOOK_SECRET (or unset PKH_WEBHOOK_URL)"
    ]
    assert statuses(app) == [("acknowledgement", "pending", 0)]  # nothing was touched


def test_a_pass_that_dead_letters_exits_non_zero_and_says_how_to_see_and_retry(
    app: App, clock: Clock, smtp: tuple[Controller, Inbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    ctl, inbox = smtp
    app.service.open_case("complaint", complaint_data(), "kab.bogor")
    down = {
        "smtp_host": "127.0.0.1",
        "smtp_port": free_port(),
        "dispatch_max_attempts": 1,
        "smtp_from": OFFICE_SENDER,  # the default's localhost warning is another test's
    }
    out = pkh_cli(app, monkeypatch, "dispatch", **down)
    assert out.exit_code == 1, out.output
    assert out.stdout.split() == [
        *("sent:", "0", "to_print:", "0", "retrying:", "0", "dead:", "1", "skipped:", "0")
    ]
    (line,) = out.stderr.splitlines()
    assert line.startswith("error: 1 message(s) dead-lettered (ids 1): ")
    assert "`pkh outbox list --status dead`" in line and "`pkh outbox retry`" in line
    # nothing dead this time: exit 0 again
    assert pkh_cli(app, monkeypatch, "dispatch", **down).exit_code == 0


def test_dispatch_text_shows_taken_and_misconfigured_when_there_are_any(
    app: App, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: `pkh dispatch` printed sent/to_print/retrying/dead/skipped only, so messages
    another pass took over (`taken`) or that failed on a delivery setting (`misconfigured`),
    both in `--json`, went unsaid in the text. Each is shown when not zero."""
    from notifications.dispatch import DispatchReport

    passes = [
        DispatchReport(sent=[1], taken=[2, 3]),
        DispatchReport(retrying=[4], misconfigured={4: "configuration: smtp ..."}),
        DispatchReport(sent=[5]),
    ]
    monkeypatch.setattr(Dispatcher, "run_once", lambda self, at: passes.pop(0))
    five = "sent: {}  to_print: 0  retrying: {}  dead: 0  skipped: 0"
    taken = pkh_cli(app, monkeypatch, "dispatch", smtp_from=OFFICE_SENDER)
    assert taken.stdout.strip() == five.format(1, 0) + "  taken: 2", taken.output
    wrong = pkh_cli(app, monkeypatch, "dispatch", smtp_from=OFFICE_SENDER)
    assert wrong.exit_code == 1 and wrong.stdout.strip() == five.format(0, 1) + (
        "  misconfigured: 1"
    ), wrong.output
    plain = pkh_cli(app, monkeypatch, "dispatch", smtp_from=OFFICE_SENDER)
    assert plain.stdout.strip() == five.format(1, 0), plain.output


def test_retry_names_the_ids_it_did_not_queue_and_why(
    app: App, clock: Clock, smtp: tuple[Controller, Inbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    ctl, inbox = smtp
    for _ in range(2):
        app.service.open_case("complaint", complaint_data(), "kab.bogor")
    dispatcher(app, free_port(), dispatch_max_attempts=1).run_once(clock())
    assert [s for _, s, _ in statuses(app)] == ["dead", "dead"]
    missing = pkh_cli(app, monkeypatch, "outbox", "retry", "99999")
    assert missing.exit_code == 1 and missing.stdout == "0 message(s) queued again\n"
    assert missing.stderr.splitlines() == [
        "not queued: 99999: no such message",
        "error: none of the messages given is dead; nothing queued again",
    ]
    some = pkh_cli(app, monkeypatch, "outbox", "retry", "1", "99999")
    assert some.exit_code == 0 and some.stdout == "1 message(s) queued again\n"
    assert some.stderr == "not queued: 99999: no such message\n"
    dispatcher(app, ctl.port).run_once(clock())
    again = pkh_cli(app, monkeypatch, "outbox", "retry", "1")
    assert again.exit_code == 1 and "not queued: 1: not dead: sent" in again.stderr
    everything = pkh_cli(app, monkeypatch, "outbox", "retry")  # every dead one: message 2
    assert everything.exit_code == 0 and everything.stdout == "1 message(s) queued again\n"
    assert everything.stderr == ""


def test_smtp_settings_the_server_refuses_are_told_as_configuration_errors(
    app: App, clock: Clock, smtp: tuple[Controller, Inbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No AUTH offered while PKH_SMTP_USER is set, no STARTTLS offered while asked for, a
    password rejected: each is named as the setting to check; the message is retried per the
    usual policy, and the pass fails loudly at once instead of after the last attempt."""
    ctl, inbox = smtp
    app.service.open_case("complaint", complaint_data(), "kab.bogor")
    no_auth = dispatcher(app, ctl.port, smtp_user="pkh", smtp_password="x").run_once(clock())
    assert no_auth.retrying == [1] and no_auth.dead == []
    error = no_auth.misconfigured[1]
    assert error.startswith("configuration: smtp 127.0.0.1:") and "AUTH" in error
    assert error.endswith("(check PKH_SMTP_USER / PKH_SMTP_PASSWORD)")
    assert no_auth.alarm() == f"1 message(s) failed on a delivery setting (ids 1): {error}"
    later = clock() + timedelta(hours=1)
    no_tls = dispatcher(app, ctl.port, smtp_starttls=True).run_once(later)
    assert no_tls.misconfigured[1].endswith("(check PKH_SMTP_STARTTLS)")
    rejecting = Controller(
        Inbox(),
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=lambda *_: AuthResult(success=False, handled=False),
        auth_require_tls=False,
    )
    rejecting.start()
    try:
        out = pkh_cli(
            app,
            monkeypatch,
            "dispatch",
            "--now",
            (later + timedelta(hours=1)).isoformat(),
            smtp_host="127.0.0.1",
            smtp_port=rejecting.port,
            smtp_user="pkh",
            smtp_password="salah",
            smtp_from=OFFICE_SENDER,
        )
    finally:
        rejecting.stop(no_assert=True)
    assert out.exit_code == 1, out.output
    (line,) = out.stderr.splitlines()
    assert line.startswith("error: 1 message(s) failed on a delivery setting (ids 1): ")
    assert "AUTH refused: 535" in line and "(check PKH_SMTP_USER / PKH_SMTP_PASSWORD)" in line
    assert statuses(app) == [("acknowledgement", "pending", 3)] and inbox.messages == []


def test_message_ids_differ_when_a_restore_reuses_a_row_id_and_hold_across_retries(
    app: App, clock: Clock, smtp: tuple[Controller, Inbox]
) -> None:
    ctl, inbox = smtp
    first = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    dispatcher(app, ctl.port).run_once(clock())
    # a restore from a backup taken before that letter was queued: the next row gets its id
    with app.db.transaction() as s:
        s.execute(sa.delete(OUTBOX).where(OUTBOX.c.case_id == first.id))
    clock.set(clock() + timedelta(hours=1))
    app.service.open_case("complaint", complaint_data(reporter_name="Ibu Ani"), "kab.bogor")
    with app.db.transaction() as s:
        s.execute(sa.update(OUTBOX).values(id=1))
    down = dispatcher(app, free_port())
    down.run_once(clock())  # a failed attempt, then a retry: the same id each time
    dispatcher(app, ctl.port).run_once(clock() + timedelta(hours=1))
    before, after = (m["Message-ID"] for m in inbox.messages)
    assert before.startswith("<pkh-outbox-1.") and after.startswith("<pkh-outbox-1.")
    assert before != after
    from notifications.dispatch import message_id

    with app.db.reading() as s:
        row = s.execute(sa.select(OUTBOX)).one()
    assert after == f"<{message_id(row, app.settings.secret_key)}@pkh-casework>"


def test_outbox_list_says_when_more_are_stored_than_it_shows(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(3):
        app.service.open_case("complaint", complaint_data(), "kab.bogor")
    two = pkh_cli(app, monkeypatch, "outbox", "list", "--limit", "2", "--json")
    assert two.exit_code == 0, two.output
    assert len(json.loads(two.stdout)) == 2
    assert two.stderr.startswith("note: the 2 newest shown; more are stored")
    three = pkh_cli(app, monkeypatch, "outbox", "list", "--limit", "3")
    assert three.exit_code == 0 and len(three.stdout.splitlines()) == 3
    assert three.stderr == ""


def test_a_contact_the_mail_library_cannot_address_is_refused_for_that_letter_alone(
    app: App, clock: Clock, smtp: tuple[Controller, Inbox]
) -> None:
    """A typo in a reporter's e-mail ("siti@": the officer pages take any contact) made the
    mail library raise while the message was built, which ended the whole dispatch pass: the
    letters after it in the pass waited for the lease, and the broken one came back every
    five minutes, never dead-lettered. It is a delivery failure of that letter alone."""
    ctl, inbox = smtp
    typo, two_lines = (
        app.service.open_case("complaint", complaint_data(reporter_contact=c), "kab.bogor")
        for c in ("siti@", "siti@example.org\nBcc: other@example.org")
    )
    fine = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    report = dispatcher(app, ctl.port, dispatch_max_attempts=1).run_once(clock())
    assert len(report.sent) == 1 and len(report.dead) == 2, report
    assert [m["To"] for m in inbox.messages] == ["siti@example.org"]
    for broken in (typo, two_lines):
        (dead,) = outbox_rows(app, broken.id)
        assert dead.status == "dead" and "not an e-mail address" in dead.last_error
    assert [r.status for r in outbox_rows(app, fine.id)] == ["sent"]


def test_a_webhook_url_that_is_not_an_http_url_is_refused_at_dispatch_in_one_line(
    app: App, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A URL without its scheme made urllib raise a ValueError in the middle of the pass: a
    traceback (each minute from the flow), the phone reporters' letters left claimed."""
    app.service.open_case("complaint", complaint_data(reporter_contact="081234567890"), "kab.bogor")
    out = pkh_cli(
        app, monkeypatch, "dispatch", webhook_url="gateway.example/sms", webhook_secret="s3cret"
    )
    assert out.exit_code == 1 and out.stdout == "", out.output
    assert out.stderr.splitlines() == [
        "error: PKH_WEBHOOK_URL 'gateway.example/sms' is not an http(s) URL: give the "
        "gateway's address as http://host/path or https://host/path"
    ]
    assert statuses(app) == [("acknowledgement", "pending", 0)]  # nothing was touched


def test_a_mobile_number_written_as_officers_write_it_goes_by_the_sms_gateway(
    app: App, clock: Clock
) -> None:
    """ "WA 0812.3456.7890" or "0812 3456 7890 (WA)" is a phone number (the letter page never
    prints it as a postal address), yet with the gateway set the letter waited on paper, to be
    handed over "di tempat", and the reporter got no SMS. The gateway gets the digits."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    got: list[dict[str, Any]] = []

    class Gateway(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for contact in ("WA 0812.3456.7890", "0812 3456 7890 (WA)", "+62 (812) 3456-7890"):
            app.service.open_case(
                "complaint", complaint_data(reporter_contact=contact), "kab.bogor"
            )
        settings = app.settings.model_copy(
            update={
                "webhook_url": f"http://127.0.0.1:{server.server_port}/sms",
                "webhook_secret": "s3cret",
            }
        )
        report = Dispatcher(app.db, settings).run_once(clock())
    finally:
        server.shutdown()
    assert len(report.sent) == 3 and report.to_print == [], report
    assert [m["to"] for m in got] == ["081234567890", "081234567890", "+6281234567890"]


def test_a_mails_date_says_its_time_zone(
    app: App, clock: Clock, smtp: tuple[Controller, Inbox]
) -> None:
    """The Date header is the sending time in UTC, said as +0000: "-0000" means "zone
    unknown" (RFC 5322 3.3), and a reader then gets a moment without its offset."""
    ctl, inbox = smtp
    app.service.open_case("complaint", complaint_data(), "kab.bogor")
    before = datetime.now(UTC).replace(microsecond=0)
    dispatcher(app, ctl.port).run_once(clock())
    (ack,) = inbox.messages
    sent = ack["Date"].datetime
    assert sent.tzinfo is not None and sent.utcoffset() == timedelta(0), ack["Date"]
    assert before <= sent <= datetime.now(UTC)
