"""A reminder is about its day: delivered after the local day it was queued for (an outage, a
late dispatch, a retry) it lapses, kept as `skipped` with why, and the sweep of the day it is
delivered on says what is true then; delivered on its own day it goes out, naming the case's
own due day."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa

from api.wiring import App
from engine.store.repository import OUTBOX
from engine.sweeper import sweep
from notifications.dispatch import Dispatcher
from notifications.letters import compose
from notifications.render import render
from tests.conftest import Clock, complaint_data

DUE_DAY = "2026-03-09T09:00:00+07:00"  # filed Monday 2 March: dokumentasi due Monday 9 March


def rows(app: App) -> list[Any]:
    with app.db.reading() as s:
        return list(s.execute(sa.select(OUTBOX).where(OUTBOX.c.event_type == "DeadlineSweep")))


def by_template(app: App) -> dict[str, Any]:
    return {r.template: r for r in rows(app)}


def test_a_due_today_reminder_delivered_on_its_day_goes_out_naming_the_due_day(
    app: App, clock: Clock
) -> None:
    case = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    clock.set(datetime.fromisoformat(DUE_DAY))
    assert sweep(app.service, clock()).reminded == [case.id]
    later_that_day = datetime.fromisoformat("2026-03-09T15:59:00+07:00")
    row = by_template(app)["reminder_due_today"]
    letter = compose(app.db, row, later_that_day, "https://pkh.example")
    assert letter.lapsed is None
    said = render(row.template, letter.lang, letter.context).text
    assert "berakhir hari ini, 9 Maret 2026" in said
    Dispatcher(app.db, app.settings).run_once(later_that_day)
    assert by_template(app)["reminder_due_today"].status == "sent"


def test_a_reminder_delivered_after_its_day_lapses_and_the_next_sweep_says_what_is_true(
    app: App, clock: Clock
) -> None:
    case = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    clock.set(datetime.fromisoformat(DUE_DAY))
    sweep(app.service, clock())
    # the outage lasted overnight: the dispatcher gets to it the next morning
    next_morning = datetime.fromisoformat("2026-03-10T05:46:00+07:00")
    report = Dispatcher(app.db, app.settings).run_once(next_morning)
    due_today = by_template(app)["reminder_due_today"]
    assert due_today.status == "skipped" and due_today.id in report.skipped
    assert due_today.last_error == "lapsed: for 2026-03-09 (Asia/Jakarta), a day that has passed"
    # the day's sweep queues the overdue reminder, which goes out
    clock.set(datetime.fromisoformat("2026-03-10T09:00:00+07:00"))
    assert sweep(app.service, clock()).reminded == [case.id]
    Dispatcher(app.db, app.settings).run_once(clock())
    overdue = by_template(app)["reminder_overdue"]
    assert overdue.status == "sent"


def test_a_supervisor_notice_told_once_per_stage_goes_out_even_late(app: App, clock: Clock) -> None:
    app.service.open_case("complaint", complaint_data(), "kab.bogor")
    clock.set(datetime.fromisoformat("2026-03-10T09:00:00+07:00"))  # one day overdue
    sweep(app.service, clock())
    Dispatcher(app.db, app.settings).run_once(datetime.fromisoformat("2026-03-11T07:00:00+07:00"))
    statuses = {(r.template, r.status) for r in rows(app)}
    assert ("supervisor_overdue", "sent") in statuses
    assert ("reminder_overdue", "skipped") in statuses


@pytest.mark.parametrize(
    ("lang", "stamp"),
    # the row's context is made in its language (id); an English template words it its way
    [
        ("id", "1 hari kerja (per 10 Maret 2026)"),
        ("en", "1 working day past its handling deadline (as of"),
    ],
)
def test_a_supervisor_notice_delivered_late_says_the_day_its_count_is_of(
    app: App, clock: Clock, lang: str, stamp: str
) -> None:
    """Regression: queued one working day overdue and delivered three days later after an
    outage, it still said "terlambat 1 hari kerja" as of the day it went out."""
    app.service.open_case("complaint", complaint_data(), "kab.bogor")
    clock.set(datetime.fromisoformat("2026-03-10T09:00:00+07:00"))  # one day overdue
    sweep(app.service, clock())
    row = by_template(app)["supervisor_overdue"]
    same_day = compose(app.db, row, datetime.fromisoformat("2026-03-10T11:00:00+07:00"), "x")
    assert "(per " not in render(row.template, lang, same_day.context).text
    assert "(as of " not in render(row.template, lang, same_day.context).text
    late = compose(app.db, row, datetime.fromisoformat("2026-03-13T08:00:00+07:00"), "x")
    told = render(row.template, lang, late.context)
    assert stamp in told.text and stamp in told.html.replace("</strong>", ""), told.text
    assert "10 Maret 2026" in told.sms, told.sms


def test_a_due_soon_reminder_lapsed_overnight_is_queued_again_with_what_is_true_the_next_day(
    app: App, clock: Clock
) -> None:
    """An outage across midnight: Thursday's "2 working days left" is not delivered until
    Friday, when it is no longer true. Friday's sweep queues "1 working day left" (due Monday
    9 March), rather than the handler hearing nothing before the due day."""
    case = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    clock.set(datetime.fromisoformat("2026-03-05T09:00:00+07:00"))
    assert sweep(app.service, clock()).reminded == [case.id]
    # Friday 09:30: the retry of Thursday's reminder, after Friday's 09:00 sweep
    clock.set(datetime.fromisoformat("2026-03-06T09:00:00+07:00"))
    assert sweep(app.service, clock()).reminded == []  # Thursday's is still on its way
    Dispatcher(app.db, app.settings).run_once(datetime.fromisoformat("2026-03-06T09:30+07:00"))
    lapsed = by_template(app)["reminder_due_soon"]
    assert lapsed.status == "skipped" and lapsed.last_error.startswith("lapsed: for 2026-03-05")
    clock.set(datetime.fromisoformat("2026-03-06T10:00:00+07:00"))
    assert sweep(app.service, clock()).reminded == [case.id]
    again = [r for r in rows(app) if r.template == "reminder_due_soon"][-1]
    assert again.id != lapsed.id and again.payload["extra"]["days_left"] == 1
    Dispatcher(app.db, app.settings).run_once(clock())
    assert by_template(app)["reminder_due_soon"].status == "sent"
    assert sweep(app.service, datetime.fromisoformat("2026-03-06T14:00+07:00")).messages == 0


def test_a_due_soon_reminder_one_officer_of_the_office_got_is_not_queued_again(
    app: App, clock: Clock
) -> None:
    """Office-wide: one officer's copy went out on its day, the other's lapsed: the office
    was told, and nobody gets it twice."""
    _one_copy_sent_the_other_lapsed(app, clock)
    assert sweep(app.service, clock()).reminded == []


def _one_copy_sent_the_other_lapsed(app: App, clock: Clock, **sent: Any) -> str:
    """Thursday's due-soon reminder to an office of two (kab.bogor, kab.bogor2): the first
    copy marked sent on its day (with `sent`'s values too), the other lapsed in Friday
    morning's dispatch; the clock left at Friday 10:00. Returns the case id."""
    case = app.service.open_case("complaint", complaint_data(), "pusat.spm")  # no kab handler
    clock.set(datetime.fromisoformat("2026-03-05T09:00:00+07:00"))
    assert sweep(app.service, clock()).reminded == [case.id]
    copies = [r for r in rows(app) if r.template == "reminder_due_soon"]
    assert len(copies) == 2  # kab.bogor and kab.bogor2
    with app.db.transaction() as s:
        s.execute(
            sa.update(OUTBOX)
            .where(OUTBOX.c.id == copies[0].id)
            .values(status="sent", sent_at=clock(), **sent)
        )
    Dispatcher(app.db, app.settings).run_once(datetime.fromisoformat("2026-03-06T09:30+07:00"))
    clock.set(datetime.fromisoformat("2026-03-06T10:00:00+07:00"))
    return case.id


def test_a_due_soon_copy_written_to_the_log_only_told_nobody_so_a_lapsed_one_is_queued_again(
    app: App, clock: Clock
) -> None:
    """Office-wide: one officer has no e-mail or phone, so their copy went to the log only
    (status sent, channel log); the other officer's copy lapsed in an outage. Nobody was told:
    the lapsed copy gives its mark back and Friday's sweep reminds the office again."""
    case_id = _one_copy_sent_the_other_lapsed(app, clock, channel="log")
    assert sweep(app.service, clock()).reminded == [case_id]


def test_a_copy_lapsing_after_the_next_days_reminder_went_out_does_not_send_it_twice(
    app: App, clock: Clock
) -> None:
    """Office-wide, both copies of Thursday's reminder held by the outage: one lapses on
    Friday morning and gives its mark back; Friday's sweep queues "1 working day left" and it
    goes out. The other copy, retried later that day, lapses too: it must not give back
    Friday's mark (the one Friday's reminder was queued under), or the next sweep sends
    Friday's reminder a second time."""
    case = app.service.open_case("complaint", complaint_data(), "pusat.spm")  # no kab handler
    clock.set(datetime.fromisoformat("2026-03-05T09:00:00+07:00"))
    assert sweep(app.service, clock()).reminded == [case.id]
    first, second = [r for r in rows(app) if r.template == "reminder_due_soon"]
    with app.db.transaction() as s:  # the second's retry is due later on Friday
        later = datetime.fromisoformat("2026-03-06T11:00:00+07:00")
        s.execute(sa.update(OUTBOX).where(OUTBOX.c.id == second.id).values(next_attempt_at=later))
    Dispatcher(app.db, app.settings).run_once(datetime.fromisoformat("2026-03-06T09:30+07:00"))
    clock.set(datetime.fromisoformat("2026-03-06T10:00:00+07:00"))
    assert sweep(app.service, clock()).reminded == [case.id]
    Dispatcher(app.db, app.settings).run_once(clock())
    friday = [r for r in rows(app) if r.template == "reminder_due_soon"][2:]
    assert len(friday) == 2 and {r.status for r in friday} == {"sent"}
    Dispatcher(app.db, app.settings).run_once(datetime.fromisoformat("2026-03-06T11:30+07:00"))
    assert {r.status for r in rows(app) if r.id in (first.id, second.id)} == {"skipped"}
    assert sweep(app.service, datetime.fromisoformat("2026-03-06T12:00+07:00")).messages == 0
