"""The Prefect flows that enforce deadlines: sweep (split by province), dispatch, schedules.

Flows are doors like the API: they build the application from settings and call the engine's
sweep and the notifications dispatcher, which hold all the logic and are tested directly.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import httpx
import sqlalchemy as sa
from prefect import flow, get_run_logger, task

from engine.audit import problem_subject
from engine.errors import InvalidInput

_T = TypeVar("_T")


def refusing(fn: Callable[..., _T]) -> Callable[..., Any]:
    """A flow whose parameters are refused (a bad `now`, month, province: `InvalidInput`)
    fails its run in one line, as `pkh` refuses them, not with a traceback in the run's log:
    the run ends `Failed("refused: month: no such month: 2026-13")`. Called directly, the flow
    still raises the refusal. Put under `@flow`: Prefect reads the parameters through it."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except InvalidInput as e:
            from prefect.states import Failed

            return Failed(message=f"refused: {e}", data=e)

    return run


def _app(database_url: str | None) -> Any:
    from api.wiring import build_app
    from engine.settings import Settings, get_settings

    settings = get_settings()
    if database_url:
        settings = Settings(**{**settings.model_dump(), "database_url": database_url})
    return build_app(settings)


def _now(now: str | None) -> datetime:
    """A run's `now` parameter: an ISO moment with its UTC offset (a flow run's parameters
    are typed by hand in Prefect's UI as often as set by a schedule), or the real time."""
    from engine.errors import echoed

    if not now:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(now.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput("now", f"{echoed(now)} is not an ISO date and time") from None
    if moment.tzinfo is None:
        raise InvalidInput("now", f"{echoed(now)} needs a time zone offset, e.g. +07:00")
    return moment


def open_provinces(app: Any) -> list[str]:
    """Provinces with open cases: the unit of work handed to workers."""
    from engine.store.repository import CASES

    with app.db.reading() as s:
        rows = s.execute(
            sa.select(sa.func.substr(CASES.c.region, 1, 2))
            .where(CASES.c.status == "open")
            .distinct()
        )
        return sorted(r[0] for r in rows)


@task(name="sweep-province", retries=2, retry_delay_seconds=10)
def sweep_province(province: str, now: str, database_url: str | None = None) -> dict[str, Any]:
    from engine.sweeper import sweep_province as run

    app = _app(database_url)
    moment = datetime.fromisoformat(now)
    # the service's clock stands at the sweep's moment, as `pkh sweep --now` sets it: an
    # escalation is recorded at that moment, which must not be in the service's future
    app.service.clock = lambda: moment
    try:
        return run(app.service, moment, province).as_dict()
    finally:
        app.db.dispose()


@flow(name="pkh-deadline-sweep", log_prints=True)
@refusing
def deadline_sweep(
    now: str | None = None, provinces: list[str] | None = None, database_url: str | None = None
) -> dict[str, Any]:
    """Remind, notify supervisors and escalate, one task per province. Escalations that
    failed are logged and fail the flow run after the whole pass (Prefect's notifications
    then see it), as dispatch does. A case an officer changed meanwhile is planned again:
    handled as it is now, or `moved_on` when nothing is left to do; no failure."""
    from engine.sweeper import check_moment
    from workflows.office_hours import offices_closed
    from workflows.regions import province_codes

    # checked once, before any task: a bad one would fail in every task, each retried twice
    # the real time told in WIB (UPPKH Pusat's zone), as `pkh sweep` tells it; a `now` given
    # keeps its own offset
    at = _now(now) if now else datetime.now(UTC).astimezone(ZoneInfo("Asia/Jakarta"))
    check_moment(at)
    moment = at.isoformat()
    given = province_codes(provinces or [])
    app = _app(database_url)
    try:
        todo = given or open_provinces(app)
        closed = offices_closed(app.service, at)
    finally:
        app.db.dispose()
    futures = [sweep_province.submit(p, moment, database_url) for p in todo]
    merged: dict[str, Any] = {
        "now": moment,
        "provinces": todo,
        "examined": 0,
        "reminded": [],
        "supervisor_notified": [],
        "escalated": [],
        "failed": [],
        "moved_on": [],
        "messages": 0,
    }
    for fut in futures:
        part = fut.result()
        for key in ("reminded", "supervisor_notified", "escalated", "failed", "moved_on"):
            merged[key] += part[key]
        merged["examined"] += part["examined"]
        merged["messages"] += part["messages"]
    logger = get_run_logger()
    logger.info(
        "sweep %s: %d reminded, %d supervisors told, %d escalated, %d moved on, %d failed",
        moment,
        len(merged["reminded"]),
        len(merged["supervisor_notified"]),
        len(merged["escalated"]),
        len(merged["moved_on"]),
        len(merged["failed"]),
    )
    if closed:  # a run asked for by hand at night, or a schedule moved: say why it did nothing
        logger.info("sweep %s: %s", moment, closed)
    for f in merged["failed"]:
        logger.error("failed: %s %s: %s", f["case_id"], f["action"], f["error"])
    if merged["failed"]:
        from engine.sweep_report import failed_line

        raise RuntimeError(failed_line(merged["failed"]))
    return merged


@flow(name="pkh-dispatch")
@refusing
def dispatch(now: str | None = None, database_url: str | None = None) -> dict[str, Any]:
    """Deliver what is due in the outbox. Messages dead-lettered, or refused on a delivery
    setting, fail the flow run after the whole pass (Prefect's notifications then see it)."""
    from notifications.dispatch import Dispatcher, check_dispatch_moment, sender_warning

    at = _now(now)
    if now:
        check_dispatch_moment(at)
    app = _app(database_url)
    sender = sender_warning(app.settings)
    if sender:
        get_run_logger().warning("%s", sender)
    try:
        report = Dispatcher(app.db, app.settings).run_once(at)
    finally:
        app.db.dispose()
    result = report.as_dict()
    get_run_logger().info("dispatch: %s", {k: len(v) for k, v in result.items()})
    alarm = report.alarm()
    if alarm:
        raise RuntimeError(alarm)
    return result


@flow(name="pkh-audit-verify")
def audit_verify(database_url: str | None = None) -> dict[str, Any]:
    """Verify the whole store (chains, stored cases against their replay, numbering,
    checkpoints), recorded as an audit run started by `prefect` (GET /audit/runs shows it).
    Problems found, or a run that could not finish, fail the flow run: Prefect's own
    notifications and automations then see it. While another run (an auditor's) is under way
    the flow skips: that run is the night's check."""
    from engine.errors import AlreadyRunning
    from engine.store import audit_runs

    app = _app(database_url)
    try:
        started = audit_runs.start(app.db, "prefect", app.service.clock())
        run = audit_runs.execute(app.db, started.id, app.service.clock)
    except AlreadyRunning as e:  # an auditor's run is under way: it is tonight's check
        get_run_logger().info("skipped: %s", e)
        return {"skipped": str(e), "running": e.run_id}
    finally:
        app.db.dispose()
    get_run_logger().info(
        "audit run %d: %s, %d cases, %d events, %d problems",
        run.id,
        run.status,
        run.cases,
        run.events_done,
        run.problem_count,
    )
    if run.status != "ok":
        first = run.problems[0] if run.problems else {}
        raise RuntimeError(
            f"audit run {run.id}: {run.status}: {run.problem_count} problems"
            + (
                f"; first: {problem_subject(first)}: {first['kind']}: {first['detail']}"
                if first
                else ""
            )
            + (f"; {run.error}" if run.error else "")
        )
    return run.as_dict()


@flow(name="pkh-audit-checkpoint")
def audit_checkpoint(database_url: str | None = None) -> dict[str, Any]:
    """Verify the whole store and seal a checkpoint of it (`pkh audit checkpoint`), weekly.
    Its anchor line (ID:DIGEST) goes to the flow run's log, kept by the Prefect server outside
    the store: `pkh audit verify --anchor` with it later proves nothing sealed was removed. A
    store that does not verify is not sealed, and the flow run fails."""
    from engine.store import audit_runner

    app = _app(database_url)
    try:
        row = audit_runner.seal(app.db, app.service.clock())
    finally:
        app.db.dispose()
    anchor = f"{row.id}:{row.digest}"
    get_run_logger().info(
        "checkpoint %d: %d cases, %d events; anchor %s",
        row.id,
        row.case_count,
        row.event_count,
        anchor,
    )
    return {"id": row.id, "cases": row.case_count, "events": row.event_count, "anchor": anchor}


def deployments() -> list[Any]:
    """Sweep hourly while any office is open (06-15 WIB covers the office hours of WIB, WITA
    and WIT) on weekdays; the sweep itself skips holidays and cuti bersama. Dispatch every
    minute; the monthly report at 07:00 WIB on the 1st; the whole-store audit verification
    nightly at 01:00 WIB, when nobody is filing; a checkpoint sealed on Sundays at 03:00 WIB
    (each checkpoint adds a digest of every case head to each later verify, so not nightly)."""
    from prefect.schedules import Cron, Interval

    from workflows.kpm_flow import deployment as kpm_deployment
    from workflows.report_flow import deployment as report_deployment

    return [
        report_deployment(),
        kpm_deployment(),
        deadline_sweep.to_deployment(
            name="hourly", schedules=[Cron("0 6-15 * * 1-5", timezone="Asia/Jakarta")]
        ),
        dispatch.to_deployment(name="every-minute", schedules=[Interval(60)]),
        audit_verify.to_deployment(
            name="nightly", schedules=[Cron("0 1 * * *", timezone="Asia/Jakarta")]
        ),
        audit_checkpoint.to_deployment(
            name="weekly", schedules=[Cron("0 3 * * 0", timezone="Asia/Jakarta")]
        ),
    ]


def serve_all(served: list[Any] | None = None) -> None:
    """Serve `served` (default: every deployment) until Ctrl-C or SIGTERM."""
    from prefect import serve

    serve(*(served if served is not None else deployments()))


ROOT = Path(__file__).resolve().parents[1]


def _synchronous(result: _T | Coroutine[Any, Any, _T]) -> _T:
    """What a Prefect call made outside any event loop returns: its result. Prefect's
    `async_dispatch` methods (`Flow.from_source`, `to_deployment`) return a coroutine instead
    when called in an async context (a running loop, an async flow), which this command
    line never is."""
    if isinstance(result, Coroutine):
        result.close()  # never awaited: no "coroutine was never awaited" warning
        raise RuntimeError("deploy_to_pool runs outside any event loop, not inside one")
    return result


def deploy_to_pool(pool: str, *, source: str | None = None, schedules: bool = True) -> list[str]:
    """Register every deployment of `deployments()` with the Prefect server at PREFECT_API_URL,
    for the workers of the work pool `pool` (type process). Their code is the checkout at
    `source` (default: this one), which must exist at the same path on every worker machine;
    a worker runs each flow run as a subprocess with that directory as working directory.
    `schedules=False` registers them without their schedules (runs only when asked)."""
    from prefect import deploy
    from prefect.flows import Flow

    root = Path(source).resolve() if source else ROOT
    found = []
    for d in deployments():
        path, func = str(d.entrypoint).rsplit(":", 1)
        entry = f"{Path(path).resolve().relative_to(ROOT).as_posix()}:{func}"
        remote = _synchronous(Flow.from_source(str(root), entry))
        found.append(
            _synchronous(
                remote.to_deployment(
                    name=d.name,
                    schedules=list(d.schedules or []) if schedules else None,
                    description=d.description,
                )
            )
        )
    # ignore_warnings: Prefect's advice to `.serve` the flows instead (for local development)
    # is no advice for the process workers this command deploys for
    deploy(*found, work_pool_name=pool, print_next_steps_message=False, ignore_warnings=True)
    return [f"{d.flow_name}/{d.name}" for d in found]


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m workflows.flows",
        description="Deploy the pkh flows to a Prefect work pool (process workers).",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    dep = sub.add_parser("deploy", help="register the deployments with the Prefect server")
    dep.add_argument("--pool", required=True, help="work pool name (type process)")
    dep.add_argument("--source", help="checkout directory on the worker machines")
    dep.add_argument("--no-schedules", action="store_true", help="register without schedules")
    args = parser.parse_args(argv)
    from prefect.settings import PREFECT_API_URL

    api = PREFECT_API_URL.value()
    if not api:
        # without it Prefect starts a temporary server of its own and registers nothing lasting
        return _refuse(
            "PREFECT_API_URL is not set: export PREFECT_API_URL=http://<prefect server>:4200/api "
            "(the server the workers poll), then deploy again"
        )
    if args.source and not (Path(args.source) / "workflows" / "flows.py").is_file():
        # the flows are loaded from there to register them: a path only the workers have
        # would end in a FileNotFoundError traceback
        return _refuse(
            f"--source {args.source}: no pkh-casework checkout there (no workflows/flows.py): "
            "deploy from a machine that has the checkout at that path, as the workers do"
        )
    try:
        names = deploy_to_pool(args.pool, source=args.source, schedules=not args.no_schedules)
    except httpx.TransportError as e:  # nothing answers there, or not in time
        return _refuse(
            f"cannot reach the Prefect server at {api} ({e or type(e).__name__}): start it "
            "(`prefect server start`) or check PREFECT_API_URL, then deploy again"
        )
    except ValueError as e:
        if "Could not find work pool" not in str(e):
            raise
        return _refuse(
            f"no work pool {args.pool!r} on the Prefect server at {api}: create it with "
            f"`prefect work-pool create {args.pool} --type process`, then deploy again"
        )
    print("\n".join(names))
    return 0


def _refuse(message: str) -> int:
    import sys

    print(f"error: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
