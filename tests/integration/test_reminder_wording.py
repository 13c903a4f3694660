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
