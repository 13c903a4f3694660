"""The Prefect flows, run once under Prefect's test harness against the real store."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from api.wiring import App
from engine.errors import InvalidInput
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


def test_a_sweep_run_when_no_office_is_open_says_so_in_its_log(
    prefect_harness: None, app: App, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sweep run asked for by hand after office hours (or on a holiday) does nothing: its log
    says why, as `pkh sweep` does, rather than only "0 reminded" as if nothing were due."""
    import logging

    import workflows.flows as flows

    logged: list[str] = []

    class Recorder(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            logged.append(record.getMessage())

    logger = logging.getLogger("test.sweep-flow")
    logger.addHandler(Recorder())
    logger.setLevel(logging.INFO)
    monkeypatch.setattr(flows, "get_run_logger", lambda: logger)
    app.service.open_case("complaint", complaint_data(), "kab.bogor")
    result = flows.deadline_sweep(now="2026-03-02T17:30:00+07:00", database_url=db_url)
    assert result["messages"] == 0
    assert any(
        "no office is open at that moment: Mon 17:30 WIB, Mon 18:30 WITA, Mon 19:30 WIT" in line
        for line in logged
    ), logged
    logged.clear()  # in office hours: no such line
    flows.deadline_sweep(now="2026-03-02T10:00:00+07:00", database_url=db_url)
    assert logged and not any("no office is open" in line for line in logged), logged


def test_a_sweep_run_on_the_real_clock_tells_its_moment_in_wib(
    prefect_harness: None, app: App, db_url: str
) -> None:
    """A scheduled run (no `now`) logs and returns its moment in WIB, as `pkh sweep` prints
    it and as the schedule (06-15 WIB) and the no-office note read, not in UTC."""
    from workflows.flows import deadline_sweep

    result = deadline_sweep(database_url=db_url)
    moment = datetime.fromisoformat(result["now"])
    assert result["now"].endswith("+07:00"), result["now"]
    assert abs((moment - datetime.now(UTC)).total_seconds()) < 120


@pytest.mark.parametrize(
    ("flow", "params", "field", "says"),
    [
        ("sweep", {"provinces": ["3"]}, "provinces", "'3' is not a province code"),
        ("sweep", {"provinces": ["32", "99"]}, "provinces", "'99' is not a province code"),
        ("sweep", {"now": "2026-03-05T10:00:00"}, "now", "offset"),
        ("sweep", {"now": "kemarin"}, "now", "not an ISO date and time"),
        ("sweep", {"now": "2999-01-01T10:00:00+07:00"}, "now", "in the future"),
        ("dispatch", {"now": "2999-01-01T10:00:00+07:00"}, "now", "in the future"),
        ("dispatch", {"now": "2026-03-05T10:00:00"}, "now", "offset"),
    ],
)
def test_the_flows_refuse_parameters_the_commands_refuse_before_doing_anything(
    prefect_harness: None,
    app: App,
    db_url: str,
    flow: str,
    params: dict[str, Any],
    field: str,
    says: str,
) -> None:
    """Regression: the sweep flow took provinces=["3"] as a prefix (it swept 31-36), and a
    `now` without its offset failed inside every province's task, each retried twice; the
    dispatch flow took a `now` in the future, which `pkh dispatch --now` refuses."""
    from workflows.flows import deadline_sweep, dispatch

    app.service.open_case("complaint", complaint_data(), "kab.bogor")
    run = deadline_sweep if flow == "sweep" else dispatch
    with pytest.raises(InvalidInput) as e:
        run(**params, database_url=db_url)
    assert e.value.field == field and says in str(e.value), str(e.value)
    with app.db.reading() as s:  # nothing was sent or marked
        assert s.execute(sa.text("SELECT count(*) FROM outbox WHERE status = 'sent'")).scalar() == 0


@pytest.mark.parametrize(
    ("flow", "params", "line"),
    [
        ("report", {"month": "2026-13"}, "refused: month: no such month: 2026-13"),
        ("report", {"month": "Maret"}, "refused: month: 'Maret' is not a month"),
        ("sweep", {"now": "kemarin"}, "refused: now: 'kemarin' is not an ISO date and time"),
        ("dispatch", {"now": "2026-03-05T10:00:00"}, "refused: now: "),
        ("kpm", {"on": "2026-02-30"}, "refused: on: expected a date as YYYY-MM-DD"),
    ],
)
def test_a_flow_run_with_a_refused_parameter_fails_in_one_line_without_a_traceback(
    prefect_harness: None, db_url: str, tmp_path: Path, flow: str, params: dict[str, Any], line: str
) -> None:
    """Regression: `prefect deployment run pkh-monthly-report/monthly -p month=2026-13` failed
    its run (right) but its log showed a traceback (report_flow -> engine/report.py) ending in
    the refusal; so did every flow's refused parameter. The run fails with the refusal as its
    state's one line, and nothing in its log carries a traceback."""
    import logging

    from workflows.flows import deadline_sweep, dispatch
    from workflows.kpm_flow import kpm_data_control
    from workflows.report_flow import monthly_report

    records: list[logging.LogRecord] = []

    class Recorder(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    run: Any = {
        "report": monthly_report,
        "sweep": deadline_sweep,
        "dispatch": dispatch,
        "kpm": kpm_data_control,
    }[flow]
    out = tmp_path / "reports"
    extra = {"out_dir": str(out)} if flow == "report" else {}
    recorder = Recorder(logging.DEBUG)
    watched = [logging.getLogger(n) for n in ("prefect", "prefect.flow_runs", "prefect.engine")]
    for logger in watched:
        logger.addHandler(recorder)
    try:
        state = run(**params, **extra, database_url=db_url, return_state=True)
    finally:
        for logger in watched:
            logger.removeHandler(recorder)
    assert state.is_failed()
    assert state.message.startswith(line) and "\n" not in state.message, state.message
    assert records  # the run's log was seen
    for r in records:
        text = logging.Formatter().format(r)
        assert r.exc_info is None and "Traceback" not in text, text
    with pytest.raises(InvalidInput):  # called directly, the flow still raises the refusal
        run(**params, **extra, database_url=db_url)
    assert not out.exists()  # no report written


def test_the_schedules_sweep_hourly_in_office_hours_and_dispatch_every_minute() -> None:
    """And the monthly report, KPM data control, and the nightly audit verification."""
    from workflows.flows import deployments

    report, kpm, sweep, dispatch, audit, seal = deployments()
    assert kpm.schedules[0].schedule.cron == "0 5 * * *"
    assert report.schedules[0].schedule.cron == "0 7 1 * *"
    cron = sweep.schedules[0].schedule
    assert (cron.cron, cron.timezone) == ("0 6-15 * * 1-5", "Asia/Jakarta")
    assert dispatch.schedules[0].schedule.interval.total_seconds() == 60
    nightly = audit.schedules[0].schedule
    assert (nightly.cron, nightly.timezone) == ("0 1 * * *", "Asia/Jakarta")
    weekly = seal.schedules[0].schedule
    assert (weekly.cron, weekly.timezone) == ("0 3 * * 0", "Asia/Jakarta")  # Sunday 03:00 WIB


def test_the_checkpoint_flow_seals_a_verified_store_logs_its_anchor_and_refuses_a_tampered_one(
    prefect_harness: None, app: App, db_url: str
) -> None:
    """The weekly seal: verify, then a checkpoint whose anchor line is kept by Prefect (the
    flow run's result and log); `pkh audit verify --anchor` with it then vouches for the
    store. A store that does not verify is not sealed."""
    import sqlalchemy as sa

    from engine.store import audit_runner
    from engine.store.repository import CASES
    from workflows.flows import audit_checkpoint

    case = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    sealed = audit_checkpoint(database_url=db_url)
    assert (sealed["id"], sealed["cases"], sealed["events"]) == (1, 1, 1)
    cp_id, digest = sealed["anchor"].split(":")
    assert audit_runner.verify(app.db, anchors=[(int(cp_id), digest)]).ok
    assert [r.digest for r in audit_runner.checkpoints(app.db)] == [digest]
    with app.db.transaction() as s:
        s.execute(sa.update(CASES).where(CASES.c.id == case.id).values(level="pusat"))
    with pytest.raises(audit_runner.NotIntact, match=f"{case.id} version 1: projection_mismatch"):
        audit_checkpoint(database_url=db_url)
    assert len(audit_runner.checkpoints(app.db)) == 1  # nothing sealed


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


def test_the_dispatch_flow_fails_its_run_when_it_dead_letters_after_doing_its_work(
    prefect_harness: None, app: App, clock: Clock, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    from engine.settings import get_settings
    from workflows.flows import dispatch

    with socket.socket() as s:  # a port nothing listens on: the SMTP server is down
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app.service.open_case("complaint", complaint_data(), "kab.bogor")
    app.service.open_case("complaint", complaint_data(reporter_contact=None), "kab.bogor")
    for name, value in {"HOST": "127.0.0.1", "PORT": str(port), "TIMEOUT": "2"}.items():
        monkeypatch.setenv(f"PKH_SMTP_{name}", value)
    monkeypatch.setenv("PKH_DISPATCH_MAX_ATTEMPTS", "1")
    get_settings.cache_clear()
    try:
        state = dispatch(now="2026-03-05T10:01:00+07:00", database_url=db_url, return_state=True)
    finally:
        get_settings.cache_clear()
    assert state.is_failed()
    with pytest.raises(RuntimeError, match=r"^1 message\(s\) dead-lettered \(ids 1\): "):
        state.result()
    from tests.integration.test_dispatch import statuses

    # the whole pass was done first: the paper letter waits to be printed
    assert [s for _, s, _ in statuses(app)] == ["dead", "print"]


def test_the_dispatch_flow_logs_a_warning_for_a_localhost_sender(
    prefect_harness: None, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As `pkh dispatch`: with PKH_SMTP_HOST set and the default PKH_SMTP_FROM (a localhost
    sender), the run's log has one warning saying so; an office's own sender has none."""
    import logging

    import workflows.flows as flows
    from engine.settings import get_settings

    warned: list[str] = []

    class Recorder(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno == logging.WARNING:
                warned.append(record.getMessage())

    logger = logging.getLogger("test.dispatch-flow")
    logger.addHandler(Recorder())
    logger.setLevel(logging.INFO)
    monkeypatch.setattr(flows, "get_run_logger", lambda: logger)
    monkeypatch.setenv("PKH_SMTP_HOST", "127.0.0.1")
    for sender, expected in [(None, 1), ("SPM-PKH <pkh@dinsos.example.go.id>", 0)]:
        if sender:
            monkeypatch.setenv("PKH_SMTP_FROM", sender)
        get_settings.cache_clear()
        warned.clear()
        try:
            flows.dispatch(database_url=db_url)  # an empty outbox: nothing is sent
        finally:
            get_settings.cache_clear()
        assert len(warned) == expected, warned
        assert all("PKH_SMTP_FROM 'SPM-PKH <pengaduan-pkh@localhost>'" in w for w in warned)


def deploy(tmp_path: Path, api_url: str | None, *extra: str) -> Any:
    """`python -m workflows.flows deploy --pool pkh [extra]` run as an admin would, without
    this run's PREFECT_ settings (a Prefect home of its own, `api_url` as PREFECT_API_URL)."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(tmp_path)
    if api_url is not None:
        env["PREFECT_API_URL"] = api_url
    return subprocess.run(
        [sys.executable, "-m", "workflows.flows", "deploy", "--pool", "pkh", *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )


def start_worker(tmp_path: Path, port: int, *, stderr: int) -> Any:
    """The real `pkh worker --port PORT` on a SQLite file in `tmp_path`, in a process group of
    its own (as at a terminal), without this run's PREFECT_ and PKH_ settings; text pipes."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PKH_"))}
    env.update(PKH_DATABASE_URL=f"sqlite:///{tmp_path / 'pkh.db'}", PYTHONUNBUFFERED="1")
    pkh = Path(sys.executable).with_name("pkh")
    return subprocess.Popen(
        [str(pkh), "worker", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        start_new_session=True,
    )


@pytest.mark.parametrize("sent", ["SIGINT", "SIGHUP", "SIGTERM"])
def test_ctrl_c_stops_the_worker_and_its_prefect_server_within_seconds(
    tmp_path: Path, sent: str
) -> None:
    """The real `pkh worker` in its own process group, as at a terminal: one Ctrl-C (SIGINT to
    the group), the terminal hanging up (SIGHUP: the server, in a session of its own, does
    not hear it) or a SIGTERM (a service manager's stop: Prefect's own handler for it exited
    before the `stopped` line), once it serves stops serving, then the
    server, and says so. About 15-60 s each, most of it the Prefect server starting."""
    import signal
    import socket
    import subprocess
    import threading
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = start_worker(tmp_path, port, stderr=subprocess.STDOUT)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout or ()), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 150
        while not any("being served" in line for line in lines):
            assert proc.poll() is None and time.monotonic() < deadline, "".join(lines)
            time.sleep(0.5)
        time.sleep(3)  # the runner is polling by now
        os.killpg(proc.pid, getattr(signal, sent))
        started = time.monotonic()
        code = proc.wait(timeout=30)
        took = time.monotonic() - started
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    reader.join(timeout=5)
    out = "".join(lines)
    assert code == 0 and took < 30, out
    assert lines[-1] == "stopped\n" and "Traceback" not in out, out
    assert f"export PREFECT_API_URL=http://127.0.0.1:{port}/api" in out
    served = (
        "serving pkh-monthly-report/monthly, pkh-kpm-data-control/daily, "
        "pkh-deadline-sweep/hourly, pkh-dispatch/every-minute, pkh-audit-verify/nightly, "
        "pkh-audit-checkpoint/weekly\n"
    )
    assert served in out
    with socket.socket() as s, pytest.raises(ConnectionRefusedError):  # the server is gone
        s.connect(("127.0.0.1", port))


def test_deploy_refuses_without_prefect_api_url_in_one_line(tmp_path: Path) -> None:

    done = deploy(tmp_path, None)  # no profile naming a server either
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("error: PREFECT_API_URL is not set: export PREFECT_API_URL=")
    assert len(done.stderr.splitlines()) == 1, done.stderr


def test_deploy_from_a_source_that_is_no_checkout_is_refused_in_one_line(tmp_path: Path) -> None:
    """`--source /opt/pkh-casework` run where that path holds no checkout (the admin's own
    machine, a typo): the flows are loaded from it to register them, so it is refused in one
    line, nothing registered. Before: a FileNotFoundError traceback, exit 1."""

    missing = tmp_path / "pkh-casework"
    done = deploy(tmp_path, "http://127.0.0.1:9/api", "--source", str(missing))  # never reached
    assert done.returncode == 2 and done.stdout == "", done.stderr
    assert done.stderr == (
        f"error: --source {missing}: no pkh-casework checkout there (no workflows/flows.py): "
        "deploy from a machine that has the checkout at that path, as the workers do\n"
    )


def test_deploy_to_a_prefect_server_that_does_not_answer_is_refused_in_one_line(
    tmp_path: Path,
) -> None:
    """PREFECT_API_URL naming a server that is down (or a mistyped port): one line saying
    which server could not be reached. Before: an httpx.ConnectError traceback, exit 1."""
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    done = deploy(tmp_path, f"http://127.0.0.1:{port}/api")
    assert done.returncode == 2 and done.stdout == "", done.stderr
    assert done.stderr.startswith(
        f"error: cannot reach the Prefect server at http://127.0.0.1:{port}/api ("
    ), done.stderr
    assert done.stderr.endswith("or check PREFECT_API_URL, then deploy again\n")
    assert len(done.stderr.splitlines()) == 1, done.stderr


def test_deploy_to_a_missing_work_pool_says_how_to_create_it(
    prefect_harness: None, capsys: pytest.CaptureFixture[str]
) -> None:
    from workflows.flows import main

    assert main(["deploy", "--pool", "pkh-nowhere", "--no-schedules"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no work pool 'pkh-nowhere' on the Prefect server at http")
    assert err.endswith(
        "create it with `prefect work-pool create pkh-nowhere --type process`, then deploy again\n"
    )


def test_deploy_to_a_process_pool_prints_the_deployments_not_prefects_advice_to_serve(
    prefect_harness: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's setup deploys to a process pool on purpose: Prefect's warning that
    `.serve` is "a great way to get started", ending "Set `ignore_warnings=True`" (a parameter
    the admin cannot set), is not printed."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate

    from workflows.flows import main

    with get_client(sync_client=True) as client:
        client.create_work_pool(WorkPoolCreate(name="pkh-advice", type="process"))
    assert main(["deploy", "--pool", "pkh-advice", "--no-schedules"]) == 0
    out = capsys.readouterr().out
    assert "pkh-dispatch/every-minute\n" in out
    assert "ignore_warnings" not in out and ".serve" not in out, out
