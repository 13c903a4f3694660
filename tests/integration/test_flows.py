"""The Prefect flows, run once under Prefect's test harness against the real store."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from api.wiring import App
from tests.conftest import TEST_SECRET, Clock, complaint_data


@pytest.fixture(scope="module")
def prefect_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    home = tmp_path_factory.mktemp("prefect")
    saved = dict(os.environ)
    os.environ.update(
        {
            "PREFECT_HOME": str(home),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_LOGGING_TO_API_ENABLED": "false",
            "PKH_SECRET_KEY": TEST_SECRET,  # the flows build their own settings
        }
    )
    from prefect.testing.utilities import prefect_test_harness

    from engine.settings import get_settings

    get_settings.cache_clear()

    try:
        with prefect_test_harness(server_startup_timeout=60):
            yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        get_settings.cache_clear()


def test_the_sweep_flow_splits_by_province_and_reports_what_it_did(
    prefect_harness: None, app: App, clock: Clock, db_url: str
) -> None:
    from workflows.flows import deadline_sweep, dispatch, open_provinces

    bogor = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    mks = app.service.open_case("complaint", complaint_data(region="7371"), "kab.makassar")
    assert open_provinces(app) == ["32", "73"]
    result = deadline_sweep(now="2026-03-05T10:00:00+07:00", database_url=db_url)
    assert result["provinces"] == ["32", "73"]
    assert sorted(result["reminded"]) == sorted([bogor.id, mks.id])
    again = deadline_sweep(now="2026-03-05T10:00:00+07:00", database_url=db_url)
    assert again["reminded"] == [] and again["messages"] == 0
    sent = dispatch(now="2026-03-05T10:01:00+07:00", database_url=db_url)
    # acknowledgements (2) and reminders (2) go out; nobody has an address, so: log / print
    assert len(sent["sent"]) + len(sent["to_print"]) == 4 and sent["dead"] == []


def test_the_schedules_sweep_hourly_in_office_hours_and_dispatch_every_minute() -> None:
    """And the monthly report, KPM data control, and the nightly audit verification."""
    from workflows.flows import deployments

    report, kpm, sweep, dispatch, audit = deployments()
    assert kpm.schedules[0].schedule.cron == "0 5 * * *"
    assert report.schedules[0].schedule.cron == "0 7 1 * *"
    cron = sweep.schedules[0].schedule
    assert (cron.cron, cron.timezone) == ("0 6-15 * * 1-5", "Asia/Jakarta")
    assert dispatch.schedules[0].schedule.interval.total_seconds() == 60
    nightly = audit.schedules[0].schedule
    assert (nightly.cron, nightly.timezone) == ("0 1 * * *", "Asia/Jakarta")


def test_the_audit_flow_records_its_run_and_fails_on_tampering(
    prefect_harness: None, app: App, db_url: str
) -> None:
    import sqlalchemy as sa

    from engine.store import audit_runs
    from engine.store.repository import CASES
    from workflows.flows import audit_verify

    case = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    result = audit_verify(database_url=db_url)
    assert (result["status"], result["cases"], result["events_done"]) == ("ok", 1, 1)
    with app.db.transaction() as s:
        s.execute(sa.update(CASES).where(CASES.c.id == case.id).values(level="pusat"))
    with pytest.raises(RuntimeError, match=f"failed: 1 problems; first: {case.id}"):
        audit_verify(database_url=db_url)
    runs = audit_runs.recent(app.db, app.service.clock())
    assert [(r.status, r.started_by, r.problem_count) for r in runs] == [
        ("failed", "prefect", 1),
        ("ok", "prefect", 0),
    ]
    assert runs[0].problems[0]["kind"] == "projection_mismatch"
    # the flow runs on the real clock; an auditor's run started just now is under way
    auditors = audit_runs.start(app.db, "auditor", datetime.now(UTC))
    skipped = audit_verify(database_url=db_url)
    assert skipped["running"] == auditors.id and "started by auditor" in skipped["skipped"]
    assert len(audit_runs.recent(app.db, app.service.clock())) == 3
