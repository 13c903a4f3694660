"""The sweep as the deadline supervisor and the operator meet it: reminders when the handler
can no longer act, escalations that fail loudly (and races that are no failure), and the
`pkh sweep` / `pkh calendar deadline` refusals of bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from api.admin import update_user
from api.wiring import App
from engine.store.repository import OUTBOX, USERS
from engine.sweeper import sweep
from notifications.letters import compose
from notifications.render import render
from tests.conftest import Clock, complaint_data
from tests.integration.test_flows import prefect_harness  # noqa: F401  (the fixture)

OVERDUE = "2026-03-10T09:00:00+07:00"  # a case filed on Monday 2 March is one day overdue


def at(clock: Clock, iso: str) -> datetime:
    clock.set(datetime.fromisoformat(iso))
    return clock()


def sweep_rows(app: App) -> list[Any]:
    with app.db.reading() as s:
        return list(
            s.execute(
                sa.select(OUTBOX)
                .where(OUTBOX.c.event_type == "DeadlineSweep")
                .order_by(OUTBOX.c.id)
            )
        )


def pkh(app: App, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    import api.cli
    import api.cli_admin  # noqa: F401  (registers `pkh calendar`)
    import api.cli_flows  # noqa: F401  (registers `pkh sweep`)

    monkeypatch.setattr(api.cli, "_APP", app)
    return CliRunner().invoke(api.cli.app, list(args))


def pendamping_case(app: App) -> str:
    """A pendamping-level complaint: level due Monday 9 March, escalated from 10 March."""
    case = app.service.open_case(
        "complaint", complaint_data(level="pendamping", region="327101"), "pdp.bogor"
    )
    return case.id


# -- #5: a handler who cannot act is nobody assigned ------------------------------------------
def _disable(app: App) -> None:
    update_user(app.db, "kab.bogor", actor="admin", active=False)


def _suspend(app: App) -> None:
    with app.db.transaction() as s:
        s.execute(sa.update(USERS).where(USERS.c.username == "kab.bogor").values(suspended=True))


@pytest.mark.parametrize(
    ("make_unable", "why"),
    [(_disable, "akun dinonaktifkan"), (_suspend, "sedang dibebastugaskan")],
    ids=["disabled", "suspended"],
)
def test_a_handler_who_can_no_longer_act_is_not_reminded_the_office_is(
    app: App, clock: Clock, make_unable: Any, why: str
) -> None:
    case = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    assert case.handler == "kab.bogor"
    make_unable(app)
    report = sweep(app.service, at(clock, OVERDUE))
    assert report.reminded == [case.id] and report.supervisor_notified == [case.id]
    rows = sweep_rows(app)
    assert {(r.template, r.recipient) for r in rows} == {
        ("reminder_overdue", "user:kab.bogor2"),  # the active colleague, not the handler
        ("supervisor_overdue", "user:pusat.spm"),
        ("supervisor_overdue", "user:pusat.spm2"),
    }
    # the supervisor is told who holds the case, and why they cannot act on it
    notice = next(r for r in rows if r.template == "supervisor_overdue")
    letter = compose(app.db, notice, clock(), "https://pkh.example")
    text = render(notice.template, letter.lang, letter.context).text
    assert f"Petugas penanganan: kab.bogor ({why})" in text


def test_an_active_handler_alone_is_reminded_and_named_as_before(app: App, clock: Clock) -> None:
    case = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    sweep(app.service, at(clock, OVERDUE))
    rows = sweep_rows(app)
    assert ("reminder_overdue", "user:kab.bogor") in {(r.template, r.recipient) for r in rows}
    assert "user:kab.bogor2" not in {r.recipient for r in rows}
    assert {r.payload["extra"]["handler"] for r in rows} == {case.handler}


# -- #9: a case changed while the sweep ran is planned again, not a failure --------------------
def _officer_acts_after_the_sweep_planned(
    app: App, monkeypatch: pytest.MonkeyPatch, case_id: str, step: Any
) -> None:
    """Between the sweep's read (its plan) and its escalation, `step` changes the case."""
    import engine.sweeper

    real = engine.sweeper.plan
    done: list[bool] = []

    def plan_then_step(state: Any, *args: Any) -> Any:
        actions = real(state, *args)
        if state.id == case_id and not done:
            done.append(True)
            step()
        return actions

    monkeypatch.setattr(engine.sweeper, "plan", plan_then_step)


def test_a_case_changed_after_the_sweep_read_it_is_escalated_on_its_new_version(
    app: App, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = pendamping_case(app)
    now = at(clock, OVERDUE)
    _officer_acts_after_the_sweep_planned(
        app,
        monkeypatch,
        case_id,
        lambda: app.service.apply(case_id, "release", {"reason": "cuti"}, "pdp.bogor"),
    )
    report = sweep(app.service, now)
    assert (report.escalated, report.failed) == ([case_id], [])
    assert app.service.get(case_id).level == "kabupaten"


def test_a_case_an_officer_changed_a_minute_after_the_sweeps_moment_is_escalated_not_failed(
    app: App, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the clock goes on while a sweep runs: the officer's step is later than the sweep's
    # moment, and the escalation at that moment would come before the case's last event
    case_id = pendamping_case(app)
    now = at(clock, OVERDUE)

    def later_step() -> None:
        clock.set(now + timedelta(minutes=1))
        app.service.apply(case_id, "release", {"reason": "cuti"}, "pdp.bogor")

    _officer_acts_after_the_sweep_planned(app, monkeypatch, case_id, later_step)
    report = sweep(app.service, now)
    assert (report.escalated, report.failed) == ([case_id], [])
    after = app.service.get(case_id)
    assert after.level == "kabupaten"
    history = app.service.history(case_id)
    assert [c.event.type for c in history[-2:]] == ["HandlerReleased", "CaseEscalated"]
    assert history[-1].event.occurred_at == now + timedelta(minutes=1)


def test_a_case_another_sweep_escalated_meanwhile_is_no_failure(
    app: App, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = pendamping_case(app)
    now = at(clock, OVERDUE)
    _officer_acts_after_the_sweep_planned(
        app,
        monkeypatch,
        case_id,
        lambda: app.service.apply(case_id, "escalate", {"reason": "sweep lain"}, "system"),
    )
    report = sweep(app.service, now)
    assert (report.escalated, report.failed) == ([], [])
    history = [c.event.type for c in app.service.history(case_id)]
    assert history.count("CaseEscalated") == 1


# -- #9: failures are loud: the flow run fails, `pkh sweep` exits 1 ---------------------------
def test_the_sweep_flow_escalates_at_its_now_and_fails_after_its_pass_on_a_real_failure(
    prefect_harness: None,  # noqa: F811
    app: App,
    clock: Clock,
    db_url: str,
) -> None:
    from workflows.flows import deadline_sweep

    first = pendamping_case(app)
    # the flow's `now` is not the machine's clock: the escalation is recorded at `now`
    result = deadline_sweep(now=OVERDUE, database_url=db_url)
    assert (result["escalated"], result["failed"]) == ([first], [])
    assert app.service.get(first).level == "kabupaten"

    # a sweep re-run for a moment before a case's last event cannot escalate it: loud
    second = pendamping_case(app)
    kab = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    clock.set(datetime.fromisoformat("2026-03-10T10:00:00+07:00"))
    app.service.apply(second, "release", {"reason": "cuti"}, "pdp.bogor")
    with pytest.raises(RuntimeError, match=f"1 sweep action\\(s\\) failed \\({second}\\)"):
        deadline_sweep(now="2026-03-10T09:30:00+07:00", database_url=db_url)
    # the pass went on to its end: the other case's reminder was queued
    assert kab.id in {r.case_id for r in sweep_rows(app) if r.template == "reminder_overdue"}
    assert app.service.get(second).level == "pendamping"


def test_pkh_sweep_exits_1_naming_a_failed_escalation(
    app: App, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = pendamping_case(app)
    clock.set(datetime.fromisoformat("2026-03-10T10:00:00+07:00"))
    app.service.apply(case_id, "release", {"reason": "cuti"}, "pdp.bogor")
    out = pkh(app, monkeypatch, "sweep", "--now", "2026-03-10T09:30+07:00", "--json")
    assert out.exit_code == 1, out.output
    assert json.loads(out.stdout)["failed"][0]["case_id"] == case_id
    assert out.stderr.startswith("error: 1 sweep action(s) failed") and case_id in out.stderr
    # at a moment after the last event it escalates, and exits 0
    fine = pkh(app, monkeypatch, "sweep", "--now", "2026-03-10T10:30+07:00")
    assert fine.exit_code == 0, fine.output
    assert app.service.get(case_id).level == "kabupaten"


# -- #10, #11: bad input is exit 2, naming what is wrong -------------------------------------
def test_pkh_sweep_refuses_a_bare_date_for_now(
    app: App, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.service.open_case("complaint", complaint_data(), "kab.bogor")
    out = pkh(app, monkeypatch, "sweep", "--now", "2026-03-10")
    assert out.exit_code == 2, out.output
    assert out.stderr.startswith("error: now: '2026-03-10' is a date alone")
    assert "2026-03-10T09:00+07:00" in out.stderr  # says how: a time with its offset
    assert sweep_rows(app) == []


def test_pkh_sweep_refuses_a_moment_in_the_future(
    app: App, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its escalations and reminders would be dated then, and every officer's next action on
    those cases refused as "before the case's last event" until that moment came."""
    case = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    out = pkh(app, monkeypatch, "sweep", "--now", tomorrow)
    assert out.exit_code == 2, out.output
    assert out.stderr.startswith("error: now: '") and "' is in the future" in out.stderr
    assert sweep_rows(app) == [] and app.service.get(case.id).version == 1


def test_no_door_sweeps_at_a_future_moment_nor_at_one_without_its_offset(app: App) -> None:
    """The check is the sweep's own: the Prefect flow's `now` (a deployment parameter) meets
    it as `pkh sweep --now` does, and nothing is recorded."""
    from engine.errors import InvalidInput
    from engine.sweeper import sweep_province
    from workflows import flows

    case = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    later = datetime.now(UTC) + timedelta(days=30)
    with pytest.raises(InvalidInput, match="is in the future"):
        sweep_province(app.service, later, "32")
    with pytest.raises(InvalidInput, match="is in the future"):
        flows.sweep_province.fn("32", later.isoformat(), app.settings.database_url)
    with pytest.raises(InvalidInput, match="no UTC offset"):
        flows.sweep_province.fn("32", "2026-03-10T09:00:00", app.settings.database_url)
    assert sweep_rows(app) == [] and app.service.get(case.id).version == 1


@pytest.mark.parametrize("code", ["xx", "99", "3271", "3"])
def test_pkh_sweep_refuses_a_province_that_is_not_one(
    app: App, monkeypatch: pytest.MonkeyPatch, code: str
) -> None:
    out = pkh(app, monkeypatch, "sweep", "--province", code, "--now", OVERDUE)
    assert out.exit_code == 2, out.output
    assert out.stderr.startswith(f"error: --province: '{code}' is not a province code")


def test_pkh_sweep_takes_a_real_province(
    app: App, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    out = pkh(app, monkeypatch, "sweep", "--province", "32", "--now", OVERDUE, "--json")
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["reminded"] == [case.id]


def test_pkh_calendar_deadline_outside_the_calendar_is_bad_input(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = pkh(app, monkeypatch, "calendar", "deadline", "2040-12-20", "26")
    assert out.exit_code == 2, out.output
    assert "outside the working calendar" in out.stderr
