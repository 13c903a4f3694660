"""An officer's step on a case while a sweep runs: after the sweep's frozen moment and before
its read of the case, or between its read and its write. The sweep acts on the case as it is
then: a case still due is handled (escalated at its last event, reminded in its new stage),
one that no longer is is counted as moved on, and neither is a failure. The steps are staged
deterministically: a hook on the sweep's own read or plan runs the officer's command, which
commits through another connection before the sweep goes on."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from api.wiring import App
from engine.sweeper import sweep
from tests.conftest import Clock, complaint_data
from tests.integration.test_flows import prefect_harness  # noqa: F401  (the fixture)
from tests.integration.test_sweep_review import (
    OVERDUE,
    _officer_acts_after_the_sweep_planned,
    at,
    pendamping_case,
    pkh,
    sweep_rows,
)


def _officer_acts_before_the_sweep_reads(
    monkeypatch: pytest.MonkeyPatch, step: Any, where: str = "engine.sweeper._horizon"
) -> None:
    """After the sweep froze its moment and before it reads its candidates, `step` runs
    (`_horizon` is worked out just before the read begins: SQLite's reader would otherwise
    see the moment its read began)."""
    module, name = where.rsplit(".", 1)
    import importlib

    target = importlib.import_module(module)
    real = getattr(target, name)
    done: list[bool] = []

    def step_then_read(*args: Any, **kwargs: Any) -> Any:
        if not done:
            done.append(True)
            step()
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, step_then_read)


def _release_a_minute_later(app: App, clock: Clock, case_id: str, now: datetime) -> Any:
    def step() -> None:
        clock.set(now + timedelta(minutes=1))
        app.service.apply(case_id, "release", {"reason": "cuti"}, "pdp.bogor")

    return step


# -- the window between the sweep's moment and its read ---------------------------------------
def test_a_case_an_officer_changed_after_the_sweeps_moment_but_before_its_read_is_escalated(
    app: App, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = pendamping_case(app)
    now = at(clock, OVERDUE)
    _officer_acts_before_the_sweep_reads(
        monkeypatch, _release_a_minute_later(app, clock, case_id, now)
    )
    report = sweep(app.service, now)
    assert (report.escalated, report.failed) == ([case_id], [])
    history = app.service.history(case_id)
    assert [c.event.type for c in history[-2:]] == ["HandlerReleased", "CaseEscalated"]
    assert history[-1].event.occurred_at == now + timedelta(minutes=1)
    assert app.service.get(case_id).level == "kabupaten"


def test_the_sweep_flow_escalates_a_case_changed_after_its_moment_and_does_not_fail(
    prefect_harness: None,  # noqa: F811
    app: App,
    clock: Clock,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The flow freezes its moment, then finds the provinces and starts a task per province:
    an officer's step (through the officers' own app) lands in between."""
    from workflows.flows import deadline_sweep

    case_id = pendamping_case(app)
    now = at(clock, OVERDUE)
    _officer_acts_before_the_sweep_reads(
        monkeypatch, _release_a_minute_later(app, clock, case_id, now), "workflows.flows._app"
    )
    result = deadline_sweep(now=OVERDUE, database_url=db_url)
    assert (result["escalated"], result["failed"]) == ([case_id], [])
    assert app.service.get(case_id).level == "kabupaten"


# -- the window between the sweep's read and its write ----------------------------------------
def test_a_case_that_left_its_stage_after_the_sweep_planned_gets_no_reminder_and_moved_on(
    app: App, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    now = at(clock, OVERDUE)  # dokumentasi one day overdue: a reminder and the supervisor

    def advance() -> None:
        clock.set(now + timedelta(minutes=1))
        app.service.apply(case.id, "advance", {}, "kab.bogor")

    _officer_acts_after_the_sweep_planned(app, monkeypatch, case.id, advance)
    report = sweep(app.service, now)
    # its new stage (identifikasi, 3 working days) is not due yet: nothing to say
    assert (report.reminded, report.supervisor_notified, report.failed) == ([], [], [])
    assert report.moved_on == [case.id] and report.messages == 0
    assert sweep_rows(app) == []
    assert report.as_dict()["moved_on"] == [case.id]


def test_a_case_an_officer_closed_after_the_sweep_planned_gets_no_reminder(
    app: App, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    now = at(clock, OVERDUE)

    def reject() -> None:
        clock.set(now + timedelta(minutes=1))
        reason = {"reason": "bukan_pkh", "informed_via": "surat"}
        app.service.apply(case.id, "reject", reason, "kab.bogor")

    _officer_acts_after_the_sweep_planned(app, monkeypatch, case.id, reject)
    report = sweep(app.service, now)
    assert app.service.get(case.id).status != "open"
    assert (report.reminded, report.supervisor_notified, report.failed) == ([], [], [])
    assert report.moved_on == [case.id] and sweep_rows(app) == []


def test_a_case_whose_handler_was_released_after_the_sweep_planned_reminds_the_office(
    app: App, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Still overdue in its new state (same stage, nobody assigned): handled as it is now."""
    case = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    now = at(clock, OVERDUE)

    def release() -> None:
        clock.set(now + timedelta(minutes=1))
        app.service.apply(case.id, "release", {"reason": "cuti"}, "kab.bogor")

    _officer_acts_after_the_sweep_planned(app, monkeypatch, case.id, release)
    report = sweep(app.service, now)
    assert (report.reminded, report.supervisor_notified) == ([case.id], [case.id])
    assert (report.moved_on, report.failed) == ([], [])
    assert {(r.template, r.recipient) for r in sweep_rows(app)} == {
        ("reminder_overdue", "user:kab.bogor"),
        ("reminder_overdue", "user:kab.bogor2"),
        ("supervisor_overdue", "user:pusat.spm"),
        ("supervisor_overdue", "user:pusat.spm2"),
    }
    # queued on the case as it is now: the dispatcher finds nothing lapsed
    assert {r.event_version for r in sweep_rows(app)} == {app.service.get(case.id).version}
    # and a second sweep at the same moment does nothing more
    again = sweep(app.service, now)
    assert (again.messages, again.failed) == (0, [])


def test_a_case_escalated_by_hand_after_the_sweep_planned_is_moved_on_not_escalated_twice(
    app: App, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = pendamping_case(app)
    now = at(clock, OVERDUE)

    def by_hand() -> None:
        clock.set(now + timedelta(minutes=1))
        app.service.apply(case_id, "escalate", {"reason": "perlu kabupaten"}, "pdp.bogor")

    _officer_acts_after_the_sweep_planned(app, monkeypatch, case_id, by_hand)
    report = sweep(app.service, now)
    assert (report.escalated, report.failed, report.moved_on) == ([], [], [case_id])
    history = [c.event.type for c in app.service.history(case_id)]
    assert history.count("CaseEscalated") == 1


def test_the_flow_leaves_a_case_changed_long_after_its_moment_to_the_next_sweep_not_failed(
    prefect_harness: None,  # noqa: F811
    app: App,
    clock: Clock,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The flow's clock stands at its moment: it records nothing more than the engine's clock
    skew later. An officer's step ten minutes after that moment, between the flow's read and
    its escalation (a long or delayed run), leaves the case to the next sweep: moved on, and
    the flow run does not fail."""
    from workflows.flows import deadline_sweep

    case_id = pendamping_case(app)
    now = at(clock, OVERDUE)

    def much_later() -> None:
        clock.set(now + timedelta(minutes=10))
        app.service.apply(case_id, "release", {"reason": "cuti"}, "pdp.bogor")

    _officer_acts_after_the_sweep_planned(app, monkeypatch, case_id, much_later)
    result = deadline_sweep(now=OVERDUE, database_url=db_url)
    assert (result["escalated"], result["failed"], result["moved_on"]) == ([], [], [case_id])
    assert app.service.get(case_id).level == "pendamping"
    # the next sweep, at a moment after the step, escalates it
    later = deadline_sweep(now="2026-03-10T10:00:00+07:00", database_url=db_url)
    assert (later["escalated"], later["failed"]) == ([case_id], [])


def test_pkh_sweep_lists_a_case_escalated_by_hand_meanwhile_as_moved_on_and_exits_0(
    app: App, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = pendamping_case(app)
    at(clock, OVERDUE)
    _officer_acts_after_the_sweep_planned(
        app,
        monkeypatch,
        case_id,
        lambda: app.service.apply(case_id, "escalate", {"reason": "perlu kabupaten"}, "pdp.bogor"),
    )
    out = pkh(app, monkeypatch, "sweep", "--now", OVERDUE, "--json")
    assert out.exit_code == 0, out.output
    told = json.loads(out.stdout)
    assert (told["escalated"], told["failed"], told["moved_on"]) == ([], [], [case_id])
    text = pkh(app, monkeypatch, "sweep", "--now", OVERDUE)
    assert text.exit_code == 0 and "moved_on" in text.stdout, text.output


def test_a_case_planned_again_that_still_needs_someone_to_tell_is_not_listed_moved_on(
    app: App, clock: Clock
) -> None:
    """`moved_on` says a case no longer asks for anything. A case planned again (it changed
    under the sweep) whose reminder finds nobody in its office yet still asks: it is looked
    at again by the next sweep, and was listed as moved on."""
    from api.admin import update_user
    from engine.store.sweep_source import Offices, Quiet, quiet_basis
    from engine.sweep_report import SweepReport
    from engine.sweeper import _Pass

    case = app.service.open_case(
        "complaint",
        complaint_data(region="7371011001"),
        "kab.makassar",  # Kota Makassar
    )
    now = at(clock, OVERDUE)
    for name in ("kab.makassar", "pusat.spm", "pusat.spm2"):  # its office and the one above
        update_user(app.db, name, actor="admin", now=now, active=False)
    definition = app.service.workflows.get("complaint")
    report = SweepReport(now=now.isoformat())
    with app.db.reading() as s:
        offices = Offices(s, app.service.staff_register(s))
        quiet = Quiet(now, quiet_basis(definition.deadline_policy, s))
    sweep_pass = _Pass(app.service, definition, now, quiet, offices, set(), report)
    notices: list[Any] = []
    state = app.service.get(case.id)
    sweep_pass._case(state, notices, [], replanned=True)
    assert notices == []  # nobody to remind, nobody above to tell
    assert report.moved_on == []
