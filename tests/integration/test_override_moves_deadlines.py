"""A calendar override moves the deadlines of the open cases it affects, recorded as an event."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import api.cli
from api import cli_admin  # noqa: F401 - registers `pkh calendar override`
from api.admin import add_override, remove_override
from api.http import TOKEN_TTL, create_app
from api.security import create_token
from api.wiring import App, calendar_factory
from engine.deadlines import RECALCULATED
from engine.errors import InvalidInput
from engine.state import CaseState
from engine.store import audit_runner
from engine.store.repository import OUTBOX
from engine.sweeper import sweep
from tests.conftest import Clock, complaint_data
from workflows.indonesia import Override, build_calendar

WIB = timezone(timedelta(hours=7))
JAKARTA = ZoneInfo("Asia/Jakarta")
FRIDAY = date(2026, 3, 6)  # inside the first stage of a complaint filed on Monday 2 March


def at(clock: Clock, iso: str) -> datetime:
    clock.set(datetime.fromisoformat(iso))
    return clock()


def day_of(instant: datetime | None) -> date | None:
    return instant.astimezone(JAKARTA).date() if instant is not None else None


def dues(state: CaseState) -> tuple[date | None, date | None]:
    return day_of(state.stage_due), day_of(state.level_due)


def day_off(app: App, day: date, now: datetime, *, working: bool = False) -> int:
    done = add_override(
        app.db,
        day,
        working=working,
        name="Cuti bersama tambahan" if not working else "Cuti bersama dibatalkan",
        actor="admin",
        now=now,
        decree="SKB perubahan",
        calendars=calendar_factory(app.settings),
    )
    return done.cases_moved


def verify_ok(app: App) -> None:
    report = audit_runner.verify(app.db, stop_at_first=False)
    assert report.ok, [str(p) for p in report.problems]


@pytest.fixture
def cases(app: App, clock: Clock) -> dict[str, CaseState]:
    """Filed on Monday 2 March 2026 (stage due 9 March), one long before (every deadline in
    February), and one closed."""
    svc = app.service
    open_now = svc.open_case("complaint", complaint_data(), "kab.bogor")
    early = svc.open_case(
        "complaint",
        complaint_data(summary="diterima Januari"),
        "kab.bogor",
        at=datetime(2026, 1, 5, 9, 0, tzinfo=WIB),
    )
    closed = svc.open_case("complaint", complaint_data(summary="ditolak"), "kab.bogor")
    closed = svc.apply(
        closed.id, "reject", {"reason": "bukan_pkh", "informed_via": "surat"}, "kab.bogor"
    )
    assert closed.status == "closed"
    assert dues(early)[1] is not None and dues(early)[1] < FRIDAY  # type: ignore[operator]
    return {"open": open_now, "early": early, "closed": closed}


def test_an_added_day_off_moves_the_deadlines_it_falls_within_by_one_working_day(
    app: App, clock: Clock, cases: dict[str, CaseState]
) -> None:
    a = cases["open"]
    assert day_of(a.stage_due) == date(2026, 3, 9)
    moved = day_off(app, FRIDAY, at(clock, "2026-03-02T10:00:00+07:00"))
    assert moved == 1
    after = app.service.get(a.id)
    new_cal = build_calendar([Override(FRIDAY, False, "x")])
    assert day_of(after.stage_due) == date(2026, 3, 10)
    assert after.level_due == new_cal.deadline(a.level_started_at, 26, JAKARTA)  # type: ignore[arg-type]
    assert after.level_due is not None and a.level_due is not None
    assert new_cal.working_days_between(day_of(a.level_due), day_of(after.level_due)) == 1  # type: ignore[arg-type]
    # the case whose windows ended before the day, and the closed case: untouched
    for key in ("early", "closed"):
        assert app.service.get(cases[key].id) == cases[key]
    verify_ok(app)


def test_the_move_is_an_event_in_the_history_and_replay_before_it_gives_the_old_deadlines(
    app: App, clock: Clock, cases: dict[str, CaseState]
) -> None:
    a = cases["open"]
    now = at(clock, "2026-03-02T10:00:00+07:00")
    day_off(app, FRIDAY, now)
    history = app.service.history(a.id)
    last = history[-1].event
    assert (last.type, last.actor, last.role, last.version) == (
        RECALCULATED,
        "system",
        "system",
        a.version + 1,
    )
    assert last.recorded_at == now
    assert last.data["override_date"] == "2026-03-06"
    assert last.data["override"] == "added" and last.data["working"] is False
    assert last.data["before"]["stage_due"] == a.stage_due.isoformat()  # type: ignore[union-attr]
    assert day_of(datetime.fromisoformat(last.data["after"]["stage_due"])) == date(2026, 3, 10)
    assert set(last.data["before"]) == {"stage_due", "level_due"}
    before = app.service.replay(a.id, datetime(2026, 3, 2, 9, 30, tzinfo=WIB))
    assert before is not None and dues(before) == dues(a)
    assert app.service.replay(a.id) == app.service.get(a.id)
    verify_ok(app)


def test_a_working_override_and_a_removal_move_the_deadlines_back(
    app: App, clock: Clock, cases: dict[str, CaseState]
) -> None:
    a = cases["open"]
    day_off(app, FRIDAY, at(clock, "2026-03-02T10:00:00+07:00"))
    assert day_of(app.service.get(a.id).stage_due) == date(2026, 3, 10)
    # the decree is cancelled: the day is worked after all
    assert day_off(app, FRIDAY, at(clock, "2026-03-02T11:00:00+07:00"), working=True) == 1
    assert dues(app.service.get(a.id)) == dues(a)
    # a holiday of the published calendar (cuti bersama 18 March 2026) worked after all:
    # the level deadline comes a working day earlier; the stage's (9 March) does not move
    cuti = date(2026, 3, 18)
    assert not build_calendar().is_working_day(cuti)
    assert day_off(app, cuti, at(clock, "2026-03-02T12:00:00+07:00"), working=True) == 1
    worked = app.service.get(a.id)
    assert day_of(worked.stage_due) == date(2026, 3, 9)
    cal = build_calendar()
    assert cal.working_days_between(day_of(worked.level_due), day_of(a.level_due)) == 1  # type: ignore[arg-type]
    # removing the override gives the published calendar, and the deadlines, back
    done = remove_override(
        app.db,
        cuti,
        actor="admin",
        now=at(clock, "2026-03-02T13:00:00+07:00"),
        calendars=calendar_factory(app.settings),
    )
    assert done.cases_moved == 1
    assert dues(app.service.get(a.id)) == dues(a)
    # the friday override (working now, as the weekday always was) goes without moving anyone
    assert remove_override(app.db, FRIDAY, actor="admin", now=clock()).cases_moved == 0
    assert dues(app.service.get(a.id)) == dues(a)
    events = [c.event for c in app.service.history(a.id)]
    assert [e.type for e in events].count(RECALCULATED) == 4
    verify_ok(app)


def test_a_day_off_after_the_stage_deadline_moves_only_the_level_deadline(
    app: App, clock: Clock, cases: dict[str, CaseState]
) -> None:
    a = cases["open"]
    wednesday = date(2026, 3, 11)
    assert day_off(app, wednesday, at(clock, "2026-03-02T10:00:00+07:00")) == 1
    after = app.service.get(a.id)
    assert after.stage_due == a.stage_due
    cal = build_calendar([Override(wednesday, False, "x")])
    assert cal.working_days_between(day_of(a.level_due), day_of(after.level_due)) == 1  # type: ignore[arg-type]
    assert set(app.service.history(a.id)[-1].event.data["after"]) == {"level_due"}
    verify_ok(app)


def test_on_the_new_due_day_the_sweep_reminds_due_today_and_sends_no_overdue_notice(
    app: App, clock: Clock, cases: dict[str, CaseState]
) -> None:
    a = cases["open"]
    day_off(app, FRIDAY, at(clock, "2026-03-02T10:00:00+07:00"))
    report = sweep(app.service, at(clock, "2026-03-10T09:00:00+07:00"))
    assert report.supervisor_notified == []
    with app.db.reading() as s:
        templates = set(
            s.execute(
                sa.select(OUTBOX.c.template).where(
                    OUTBOX.c.case_id == a.id, OUTBOX.c.event_type == "DeadlineSweep"
                )
            ).scalars()
        )
    assert templates == {"reminder_due_today"}


def test_the_api_and_the_command_line_say_how_many_cases_moved(
    app: App, clock: Clock, cases: dict[str, CaseState], monkeypatch: pytest.MonkeyPatch
) -> None:
    at(clock, "2026-03-02T10:00:00+07:00")
    client = TestClient(create_app(app))
    h = {
        "Authorization": "Bearer "
        + create_token("admin", app.settings.secret_key, clock(), TOKEN_TTL)
    }
    r = client.put(
        "/calendar/overrides", json={"date": "2026-03-06", "name": "Cuti tambahan"}, headers=h
    )
    assert r.status_code == 200 and r.json()["cases_moved"] == 1
    r = client.delete("/calendar/overrides/2026-03-06", headers=h)
    assert r.status_code == 204 and r.headers["Cases-Moved"] == "1"
    assert dues(app.service.get(cases["open"].id)) == dues(cases["open"])

    monkeypatch.setattr(api.cli, "_APP", app)
    runner = CliRunner()
    add = ["calendar", "override", "add", "2026-03-11", "--name", "Cuti", "--actor", "admin"]
    res = runner.invoke(api.cli.app, add)
    assert res.exit_code == 0, res.output
    assert "deadlines moved in 1 open case" in res.output
    res = runner.invoke(
        api.cli.app, ["calendar", "override", "remove", "2026-03-11", "--actor", "admin"]
    )
    assert res.exit_code == 0, res.output
    assert "override removed; deadlines moved in 1 open case" in res.output
    verify_ok(app)


@pytest.mark.parametrize("working", [False, True])
def test_cases_in_many_batches_each_move_exactly_once(
    app: App, clock: Clock, monkeypatch: pytest.MonkeyPatch, working: bool
) -> None:
    from engine.store import recalc

    monkeypatch.setattr(recalc, "BATCH", 2)  # batches smaller than each due's group of cases
    cuti = date(2026, 3, 18)  # cuti bersama in the published calendar
    day = cuti if working else FRIDAY
    filed = []
    for d in (2, 3, 4, 5):
        at(clock, f"2026-03-0{d}T09:00:00+07:00")
        for i in range(3):
            filed.append(
                app.service.open_case("complaint", complaint_data(summary=f"{d}/{i}"), "kab.bogor")
            )
    old = build_calendar()
    new = build_calendar([Override(day, working, "x")])
    moved = day_off(app, day, at(clock, "2026-03-05T10:00:00+07:00"), working=working)
    assert moved == len(filed)
    for a in filed:
        after = app.service.get(a.id)
        for start, due in ((a.stage_started_at, a.stage_due), (a.level_started_at, a.level_due)):
            assert start is not None and due is not None
            k = old.working_days_between(day_of(start), day_of(due))  # type: ignore[arg-type]
            want = new.deadline(start, k, JAKARTA) if day_of(start) <= day <= day_of(due) else due  # type: ignore[operator]
            got = after.stage_due if due is a.stage_due else after.level_due
            assert got == min(want, new.deadline(a.level_started_at, 26, JAKARTA)), a.id  # type: ignore[arg-type]
        assert after.version == a.version + 1
    verify_ok(app)


def test_a_referral_of_three_months_keeps_its_date_unless_its_own_day_goes(
    app: App, clock: Clock
) -> None:
    """A referral's budget is 3 calendar months, not a count of working days: a day off in
    the middle of it leaves its date alone (second read: it moved a day), and a day off on
    the date itself rolls it to the next working day, as the machine would have."""
    s = app.service
    case = s.open_case("complaint", complaint_data(type="ketersediaan_layanan"), "kab.bogor")
    case = s.apply(case.id, "advance", {"parties": "x", "result": "y"}, "kab.bogor")
    referred = s.apply(case.id, "refer", {"body": "dinas_teknis"}, "kab.bogor")
    stage_due = day_of(referred.stage_due)
    assert stage_due == date(2026, 6, 2)  # 2 March + 3 months, a working day
    day_off(app, date(2026, 4, 15), at(clock, "2026-03-03T09:00:00+07:00"))
    assert day_of(s.get(case.id).stage_due) == stage_due
    day_off(app, stage_due, at(clock, "2026-03-03T10:00:00+07:00"))
    assert day_of(s.get(case.id).stage_due) == date(2026, 6, 3)
    verify_ok(app)


@pytest.mark.parametrize(
    ("first", "then", "moved"),
    [
        # 15 working days (due 27 Jan), then retyped as service availability: still counted
        # in working days, so a day off on 20 Jan moves it to the 28th (it stayed the 27th)
        ("pembayaran", "ketersediaan_layanan", date(2026, 1, 28)),
        # 3 months (due 6 Apr), then retyped: still a date, a day off leaves it
        ("ketersediaan_layanan", "pembayaran", None),
    ],
)
def test_a_referral_moves_with_the_calendar_by_the_budget_it_was_given_not_its_type_now(
    app: App, clock: Clock, first: str, then: str, moved: date | None
) -> None:
    s = app.service
    at(clock, "2026-01-05T09:00:00+07:00")
    case = s.open_case("complaint", complaint_data(type=first), "kab.bogor")
    s.apply(case.id, "advance", {"parties": "x", "result": "y"}, "kab.bogor")
    referred = s.apply(case.id, "refer", {"body": "dinas_teknis"}, "kab.bogor")
    due = day_of(referred.stage_due)
    s.apply(case.id, "reclassify", {"type": then}, "kab.bogor")
    day_off(app, date(2026, 1, 20), at(clock, "2026-01-06T09:00:00+07:00"))
    after = s.get(case.id)
    assert day_of(after.stage_due) == (moved or due), (due, after.stage_due)
    verify_ok(app)


def test_an_override_that_changes_nothing_is_refused_on_a_weekend_and_said_on_a_weekday(
    app: App, clock: Clock, cases: dict[str, CaseState], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Saturday or Sunday is never a working day: marking one non-working would be stored
    and change nothing, so it is refused as the working one is, naming `working`, at every
    door. On a weekday an override that makes the day what it already is (Nyepi, listed, made
    non-working; a plain Thursday made working) is kept, since a decree may pin a day the
    package only estimates, and the officer is told it moved nothing."""
    now = at(clock, "2026-03-02T10:00:00+07:00")
    saturday, nyepi, thursday = date(2026, 3, 7), date(2026, 3, 19), date(2026, 3, 12)
    before = dues(app.service.get(cases["open"].id))
    with pytest.raises(InvalidInput) as refused:
        day_off(app, saturday, now)
    assert refused.value.field == "working"
    assert "never working days, so marking one non-working changes nothing" in str(refused.value)
    assert "Sabtu dan Minggu tidak pernah menjadi hari kerja" in str(refused.value.message_id)
    client = TestClient(create_app(app))
    token = create_token("admin", app.settings.secret_key, clock(), TOKEN_TTL)
    h = {"Authorization": f"Bearer {token}"}
    r = client.put("/calendar/overrides", json={"date": "2026-03-08", "name": "x"}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "working", r.text
    assert {o["date"] for o in client.get("/calendar/overrides", headers=h).json()} == set()

    r = client.put(
        "/calendar/overrides", json={"date": nyepi.isoformat(), "name": "Nyepi"}, headers=h
    )
    assert r.status_code == 200 and r.json()["cases_moved"] == 0, r.text
    assert "is a non-working day already" in r.json()["note"]
    monkeypatch.setattr(api.cli, "_APP", app)
    add = ["calendar", "override", "add", thursday.isoformat(), "--working", "--name", "Kerja"]
    res = CliRunner().invoke(api.cli.app, [*add, "--actor", "admin"])
    assert res.exit_code == 0, res.output
    assert "deadlines moved in 0 open cases" in res.output
    assert "note: 2026-03-12 is a working day already" in res.output
    # an override that does change its day says nothing more
    r = client.put("/calendar/overrides", json={"date": "2026-03-05", "name": "Libur"}, headers=h)
    assert r.status_code == 200 and r.json()["cases_moved"] == 1 and "note" not in r.json()
    assert dues(app.service.get(cases["open"].id)) != before
    verify_ok(app)


def test_an_override_outside_the_calendar_s_years_is_refused_naming_the_date(
    app: App, clock: Clock
) -> None:
    """0001-01-01 and 9999-12-31 were stored (helper-47) though no deadline is ever counted
    there: refused, naming `date` and the calendar's span."""
    now = at(clock, "2026-03-02T10:00:00+07:00")
    client = TestClient(create_app(app))
    token = create_token("admin", app.settings.secret_key, clock(), TOKEN_TTL)
    h = {"Authorization": f"Bearer {token}"}
    for day in ("0001-01-01", "9999-12-31", "2003-06-02", "2041-06-03"):
        r = client.put("/calendar/overrides", json={"date": day, "name": "x"}, headers=h)
        assert r.status_code == 422 and r.json()["field"] == "date", (day, r.text)
        assert "outside the working calendar" in r.json()["message"]
    with pytest.raises(InvalidInput, match="outside the working calendar"):
        day_off(app, date(1999, 6, 1), now)
    assert client.get("/calendar/overrides", headers=h).json() == []
