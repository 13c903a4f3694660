"""The sweep over the store: each reminder once, supervisors told, escalation by `system`."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from api.admin import add_override, add_user
from api.wiring import App
from engine.store.repository import OUTBOX, USERS
from engine.sweeper import sweep
from tests.conftest import Clock, complaint_data

WIB = timezone(timedelta(hours=7))


def messages(app: App) -> list[tuple[str, str, str]]:
    with app.db.reading() as s:
        rows = s.execute(
            sa.select(OUTBOX.c.case_id, OUTBOX.c.template, OUTBOX.c.recipient)
            .where(OUTBOX.c.event_type == "DeadlineSweep")
            .order_by(OUTBOX.c.id)
        )
        return [tuple(r) for r in rows]


def at(clock: Clock, iso: str) -> datetime:
    clock.set(datetime.fromisoformat(iso))
    return clock()


def test_one_case_on_one_day_gets_one_reminder_and_a_second_run_changes_nothing(
    app: App, clock: Clock
) -> None:
    # filed Monday 2 March 2026 at kabupaten: dokumentasi due Monday 9 March
    case = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    first = sweep(app.service, at(clock, "2026-03-05T09:00:00+07:00"))  # 2 working days left
    assert first.reminded == [case.id] and first.supervisor_notified == []
    assert messages(app) == [(case.id, "reminder_due_soon", "user:kab.bogor")]
    again = sweep(app.service, clock())
    assert (again.reminded, again.messages) == ([], 0)
    assert len(messages(app)) == 1


def test_without_a_handler_every_officer_of_the_office_is_reminded_and_the_level_above_told(
    app: App, clock: Clock
) -> None:
    case = app.service.open_case("complaint", complaint_data(), "pusat.spm")  # no kab handler
    assert case.handler is None
    report = sweep(app.service, at(clock, "2026-03-10T09:00:00+07:00"))  # one day overdue
    assert report.reminded == [case.id] and report.supervisor_notified == [case.id]
    assert set(messages(app)) == {
        (case.id, "reminder_overdue", "user:kab.bogor"),
        (case.id, "reminder_overdue", "user:kab.bogor2"),
        (case.id, "supervisor_overdue", "user:pusat.spm"),
        (case.id, "supervisor_overdue", "user:pusat.spm2"),
    }
    # next working day: a new overdue reminder, but the supervisor only once
    nxt = sweep(app.service, at(clock, "2026-03-11T09:00:00+07:00"))
    assert nxt.reminded == [case.id] and nxt.supervisor_notified == []


def test_on_a_cuti_bersama_day_the_sweep_sends_nothing(app: App, clock: Clock) -> None:
    app.service.open_case("complaint", complaint_data(), "kab.bogor")
    report = sweep(app.service, at(clock, "2026-03-20T10:00:00+07:00"))  # cuti bersama
    assert (report.reminded, report.supervisor_notified, report.escalated) == ([], [], [])
    assert report.examined == 1 and messages(app) == []


def test_a_level_deadline_passed_beyond_its_grace_escalates_as_system(
    app: App, clock: Clock
) -> None:
    case = app.service.open_case(
        "complaint", complaint_data(level="pendamping", region="327101"), "pdp.bogor"
    )
    assert case.level_due.date().isoformat() == "2026-03-09"
    report = sweep(app.service, at(clock, "2026-03-10T09:00:00+07:00"))
    assert report.escalated == [case.id]
    after = app.service.get(case.id)
    assert after.level == "kabupaten" and after.handler is None
    last = app.service.history(case.id)[-1].event
    assert (last.type, last.actor, last.role) == ("CaseEscalated", "system", "system")
    assert "eskalasi otomatis" in last.data["reason"]
    # the level in words, as the timeline shows the reason (it read "tingkat pendamping")
    assert last.data["reason"].startswith("tenggat tingkat Pendamping terlewati "), last.data
    assert sweep(app.service, clock()).escalated == []


def test_the_sweep_can_be_split_by_province(app: App, clock: Clock) -> None:
    bogor = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    mks = app.service.open_case("complaint", complaint_data(region="7371"), "kab.makassar")
    now = at(clock, "2026-03-05T10:00:00+07:00")
    west = sweep(app.service, now, provinces=["32"])
    east = sweep(app.service, now, provinces=["73"])
    assert (west.reminded, east.reminded) == ([bogor.id], [mks.id])


def test_many_cases_across_batches_each_reminded_once(
    app: App, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import engine.sweeper

    monkeypatch.setattr(engine.sweeper, "BATCH", 4)  # 11 cases: batches of 4, 4 and 3
    ids = [app.service.open_case("complaint", complaint_data(), "kab.bogor").id for _ in range(11)]
    report = sweep(app.service, at(clock, "2026-03-05T09:00:00+07:00"))
    assert sorted(report.reminded) == sorted(ids) and report.messages == 11
    assert sorted(m[0] for m in messages(app)) == sorted(ids)
    assert sweep(app.service, clock()).messages == 0


def test_two_sweeps_racing_on_one_province_send_each_message_once(
    app: App, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both read the recorded marks before either writes (made certain here by hiding the marks
    from the read): the claim, an insert that skips conflicts, decides who sends."""
    import threading

    import engine.sweeper

    monkeypatch.setattr(engine.sweeper, "recorded_marks", lambda *a: set())
    ids = [app.service.open_case("complaint", complaint_data(), "kab.bogor").id for _ in range(30)]
    now = at(clock, "2026-03-05T09:00:00+07:00")
    barrier = threading.Barrier(2)
    reports = []

    def run() -> None:
        barrier.wait()
        reports.append(sweep(app.service, now, provinces=["32"]))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(reports[0].reminded + reports[1].reminded) == sorted(ids)
    assert reports[0].messages + reports[1].messages == 30
    assert sorted(m[0] for m in messages(app)) == sorted(ids)  # each case once, no duplicate
    assert sweep(app.service, now).messages == 0  # and a third, later, finds nothing new


# -- quiet cases: a handled case is left out until the plan can ask for something new ----------
def test_a_handled_case_is_left_out_until_it_changes_or_its_quiet_ends(
    app: App, clock: Clock
) -> None:
    case = app.service.open_case("complaint", complaint_data(), "pusat.spm")  # no kab handler
    first = sweep(app.service, at(clock, "2026-03-10T09:00:00+07:00"))  # one day overdue
    assert first.examined == 1 and first.reminded == [case.id]
    later = sweep(app.service, at(clock, "2026-03-10T14:00:00+07:00"))  # same day
    assert (later.examined, later.messages) == (0, 0)
    # a change to the case (a new version) brings it back at once
    app.service.apply(case.id, "assign", {"handler": "kab.bogor"}, "kab.bogor2")
    changed = sweep(app.service, at(clock, "2026-03-10T15:00:00+07:00"))
    assert changed.examined == 1 and changed.messages == 0  # same stage, marks already there
    assert sweep(app.service, clock()).examined == 0
    # the next working day the quiet has ended: the day's overdue reminder goes out
    nxt = sweep(app.service, at(clock, "2026-03-11T09:00:00+07:00"))
    assert nxt.examined == 1 and nxt.reminded == [case.id]
    assert messages(app)[-1] == (case.id, "reminder_overdue", "user:kab.bogor")


def test_a_calendar_change_ends_every_quiet_at_once(app: App, clock: Clock) -> None:
    app.service.open_case("complaint", complaint_data(), "kab.bogor")
    now = at(clock, "2026-03-05T09:00:00+07:00")
    assert sweep(app.service, now).examined == 1
    assert sweep(app.service, now).examined == 0
    add_override(
        app.db, date(2026, 4, 1), working=False, name="Libur daerah", actor="admin", now=now
    )
    assert sweep(app.service, now).examined == 1  # judged again under the new calendar


def test_a_case_with_no_one_to_tell_is_not_left_out(app: App, clock: Clock) -> None:
    # Bandung's office has one officer; while they are away the reminder waits, not the case
    case = app.service.open_case("complaint", complaint_data(region="3273"), "pusat.spm")
    with app.db.transaction() as s:
        s.execute(sa.update(USERS).where(USERS.c.username == "kab.bandung").values(active=False))
    now = at(clock, "2026-03-10T09:00:00+07:00")
    first = sweep(app.service, now)
    assert first.reminded == [] and first.supervisor_notified == [case.id]
    add_user(app.db, "kab.bandung2", "kabupaten", "3273", now=now)
    again = sweep(app.service, at(clock, "2026-03-10T10:00:00+07:00"))
    assert again.reminded == [case.id]
    assert (case.id, "reminder_overdue", "user:kab.bandung2") in messages(app)
