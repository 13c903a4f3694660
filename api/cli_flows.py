"""`pkh` commands that run the deadline flows once: sweep, dispatch."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import typer

from api.cli import app, command, emit, get_app, parse_instant, plural
from engine.errors import InvalidInput


@app.command("sweep")
@command
def sweep_once(
    now: str | None = typer.Option(
        None,
        "--now",
        help="sweep as at this earlier moment (one that was missed): a date and time with its "
        "offset, e.g. 2026-12-03T09:00+07:00; not later than now",
    ),
    province: list[str] = typer.Option([], "--province", help="2-digit code; repeatable"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Find due-soon, due-today and overdue cases; remind, notify supervisors, escalate.

    Exits 1 when an escalation failed (named on stderr); a case that changed while the sweep
    ran is planned again: handled as it is now, or listed as moved_on, never as failed."""
    from engine.sweep_report import failed_line
    from engine.sweeper import check_moment, sweep
    from workflows.office_hours import offices_closed

    provinces = _provinces(province)
    a = get_app()
    if now:
        if "T" not in now.upper() and " " not in now.strip():
            # a bare date would be noon UTC (evening in every zone, after office hours):
            # a sweep then does nothing, so it is refused
            raise InvalidInput(
                "now",
                f"'{now}' is a date alone; give a time with its offset, "
                f"e.g. {now}T09:00+07:00 (the sweep acts in office hours only)",
            )
        moment = parse_instant(now, "now")
        check_moment(moment)
        a.service.clock = lambda: moment
    # the real time, told in WIB (UPPKH Pusat's zone) as a --now is told in the offset given
    at = a.service.clock()
    at = at if now else at.astimezone(ZoneInfo("Asia/Jakarta"))
    report = sweep(a.service, at, provinces=provinces).as_dict()
    closed = offices_closed(a.service, at)
    report["offices_closed"] = closed  # --json says it too (null when an office is open)

    def text(r: dict) -> str:  # type: ignore[type-arg]
        lines = [
            f"sweep at {datetime.fromisoformat(r['now']).isoformat(timespec='seconds')}: "
            f"{plural(r['examined'], 'case')} examined, "
            f"{plural(r['messages'], 'message')} queued"
            + (
                f" ({closed})"
                if closed
                else " (cases handled earlier and unchanged since wait for their next day or "
                "deadline)"
            )
        ]
        for key in ("reminded", "supervisor_notified", "escalated", "moved_on"):
            lines.append(
                f"  {key:<20} {len(r[key]):>4}  {' '.join(r[key][:12])}"
                + (" ..." if len(r[key]) > 12 else "")
            )
        lines += [f"  failed: {f['case_id']} {f['action']}: {f['error']}" for f in r["failed"]]
        return "\n".join(lines)

    emit(report, as_json, text)
    if report["failed"]:
        typer.echo(f"error: {failed_line(report['failed'])}", err=True)
        raise typer.Exit(1)


def _provinces(given: list[str]) -> list[str] | None:
    """The --province codes (`workflows.regions.province_codes`); None for all."""
    from workflows.regions import province_codes

    return province_codes(given, "--province")


outbox_app = typer.Typer(
    no_args_is_help=True, help="Outgoing messages: the queue and dead letters."
)
app.add_typer(outbox_app, name="outbox")


@app.command("dispatch")
@command
def dispatch_once(
    now: str | None = typer.Option(None, "--now", help="pretend it is this moment (ISO)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Deliver what is due in the outbox: e-mail by SMTP, phones by the SMS gateway.

    E-mail by SMTP (PKH_SMTP_HOST), phones by the SMS gateway (PKH_WEBHOOK_URL); a letter
    whose channel is not configured, or with no address, waits for `pkh outbox print`. With no
    channel configured at all (the demo) messages go to the log, shown on stderr. Exits 1 when
    messages were dead-lettered or a delivery setting was refused."""
    import logging

    from notifications.dispatch import Dispatcher, check_dispatch_moment, sender_warning

    a = get_app()
    moment = parse_instant(now, "now") if now else a.service.clock()
    if now:
        check_dispatch_moment(moment)
    sender = sender_warning(a.settings)
    if sender:
        typer.echo(f"warning: {sender}", err=True)
    # what goes to the log channel (no SMTP or SMS gateway set) is shown, one line a message
    shown = logging.getLogger("pkh.notifications")
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("log: %(message)s"))
    # only the deliveries (INFO); a channel's warnings go where the logging setup sends them
    handler.addFilter(lambda record: record.levelno == logging.INFO)
    shown.addHandler(handler)
    level = shown.level
    shown.setLevel(logging.INFO)
    try:
        report = Dispatcher(a.db, a.settings).run_once(moment)
    finally:
        shown.removeHandler(handler)
        shown.setLevel(level)
    emit(report.as_dict(), as_json, dispatch_line)
    alarm = report.alarm()
    if alarm:
        typer.echo(f"error: {alarm}", err=True)
        raise typer.Exit(1)


def dispatch_line(result: dict[str, Any]) -> str:
    """A dispatch pass's counts in one line: always the five outcomes, and the messages left
    to another pass (`taken`) or failed on a delivery setting (`misconfigured`, also counted
    in retrying or dead) when there are any, as `--json` lists them."""
    always = ("sent", "to_print", "retrying", "dead", "skipped")
    shown = [*always, *(k for k in ("taken", "misconfigured") if result[k])]
    return "  ".join(f"{k}: {len(result[k])}" for k in shown)


@outbox_app.command("list")
@command
def outbox_list(
    status: str | None = typer.Option(None, help="pending, sent, print, printed, dead, skipped"),
    limit: int = typer.Option(50, min=1, max=1000),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Outgoing messages, newest first, optionally by --status."""
    from notifications.dispatch import list_outbox

    rows = list_outbox(get_app().db, status, limit + 1)  # one more: are there more?
    more, rows = len(rows) > limit, rows[:limit]
    if more:  # on stderr: the listing itself (and its JSON) stays as it was
        typer.echo(
            f"note: the {limit} newest shown; more are stored (--limit up to 1000, --status)",
            err=True,
        )
    emit(
        rows,
        as_json,
        lambda rs: (
            "\n".join(
                f"{r['id']:>6} {r['status']:<8} {r['attempts']} {r['case_id']:<18} "
                f"{r['template']:<20} {r['recipient']:<22} {r['last_error'] or ''}"
                for r in rs
            )
            or "(empty)"
        ),
    )


@outbox_app.command("print")
@command
def outbox_print(
    ids: list[int] = typer.Argument(None, help="letter ids; default every letter waiting"),
    out: str = typer.Option("var/letters", "--out", help="folder for the pages"),
    again: bool = typer.Option(
        False, "--again", help="print these letters (by id) again, though printed before"
    ),
    now: str | None = typer.Option(None, "--now", help="the date on the letters (ISO)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Paper letters: one printable A4 HTML page each, written to --out, then marked printed.

    For reporters with no e-mail or phone, or whose channel is not configured. Open a page in
    a browser and print it."""
    from pathlib import Path

    from notifications.paper import print_letters

    a = get_app()
    moment = parse_instant(now, "now") if now else a.service.clock()
    report = print_letters(a.db, a.settings, Path(out), moment, ids or None, again=again)

    def text(r: dict[str, Any]) -> str:
        lines = [f"{len(r['printed'])} letter(s) to print in {out}"]
        lines += [f"  {p['file']}" for p in r["printed"]]
        lines += [f"  not printed: {f['id']} {f['case_id']}: {f['error']}" for f in r["failed"]]
        return "\n".join(lines)

    emit(report, as_json, text)
    if report["failed"]:
        typer.echo(
            f"error: {len(report['failed'])} letter(s) could not be printed (listed above); "
            "they stay waiting",
            err=True,
        )
        raise typer.Exit(1)


@outbox_app.command("retry")
@command
def outbox_retry(
    ids: list[int] = typer.Argument(None, help="message ids; default all dead"),
) -> None:
    """Put dead-lettered messages back in the queue.

    An id that is not dead is named with why;
    exits 1 when ids were given and none of them could be queued."""
    from notifications.dispatch import retry_dead

    a = get_app()
    done = retry_dead(a.db, a.service.clock(), ids or None)
    typer.echo(f"{len(done.queued)} message(s) queued again")
    for i, why in done.refused.items():
        typer.echo(f"not queued: {i}: {why}", err=True)
    if ids and not done.queued:
        typer.echo("error: none of the messages given is dead; nothing queued again", err=True)
        raise typer.Exit(1)


@app.command("worker")
@command
def worker(
    port: int = typer.Option(4200, min=1, max=65535, help="port of the local Prefect server"),
) -> None:
    """Start a local Prefect server (SQLite under var/prefect) and serve the scheduled flows.

    Ctrl-C (or SIGTERM) stops serving, then the server."""
    import os
    import signal
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    if _port_in_use(port):
        # another Prefect server there would answer the health check in place of ours (which
        # fails to start), and the flows would be served, and at the end paused, on it
        raise InvalidInput(
            "port",
            f"127.0.0.1:{port} is already in use (another Prefect server?): `pkh worker` "
            "starts a Prefect server of its own, so give a free --port",
        )
    home = Path("var/prefect").resolve()
    home.mkdir(parents=True, exist_ok=True)
    api_url = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    command = [sys.executable, "-m", "prefect", "server", "start"]
    # its own session: a Ctrl-C at the terminal reaches this process only, which stops serving
    # while the server still answers (the runner's shutdown talks to it), then stops the server.
    # Out of the terminal's session, the server no longer hears a hangup: this process turns
    # one into a Ctrl-C, and on Linux the server is told to stop if this process dies anyway.
    signal.signal(signal.SIGHUP, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)  # as a Ctrl-C, also while the server starts
    server = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        start_new_session=True,
        preexec_fn=_stop_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509
    )
    try:
        _wait_for(server, f"{api_url}/health", time.monotonic() + 90, urllib.request.urlopen)
        os.environ.update(env)
        from prefect.runner import Runner

        from workflows.flows import deployments, serve_all

        # Serving puts Prefect's own SIGTERM handler in place of the one above; Prefect 3.8.8's
        # calls the async Runner.stop without awaiting it (a RuntimeWarning), then sys.exit(0)s
        # past the last line here, so `stopped` was never said. A SIGTERM while serving is
        # taken as a Ctrl-C instead, which the runner shuts down from, and serve_all returns.
        # (The ignore: mypy refuses any assignment to a method; this one is meant.)
        Runner.handle_sigterm = _interrupt_runner  # type: ignore[method-assign]
        served = deployments()
        typer.echo(
            f"Prefect server: http://127.0.0.1:{port}, serving "
            + ", ".join(f"{d.flow_name}/{d.name}" for d in served)
            + f"\nfor the prefect command line: export PREFECT_API_URL={api_url} "
            "(then e.g. `prefect deployment run pkh-dispatch/every-minute`); Ctrl-C stops"
        )
        serve_all(served)  # returns on Ctrl-C or SIGTERM, once serving has stopped
    except KeyboardInterrupt:
        pass  # while the server was starting
    finally:
        _stop(server)
    typer.echo("stopped")


def _port_in_use(port: int) -> bool:
    """Whether something listens on 127.0.0.1:`port` (or on every address at that port)."""
    import socket

    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a TIME_WAIT is no listener
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _wait_for(server: Any, health: str, deadline: float, urlopen: Any) -> None:
    import time

    while True:
        try:
            with urlopen(health, timeout=2):
                return
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the Prefect server did not start") from None
            time.sleep(1)


def _interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


def _interrupt_runner(self: Any, *_args: Any, **_kwargs: Any) -> None:
    """Stands in for `Runner.handle_sigterm`, whose parameters it takes (`self` by name)."""
    raise KeyboardInterrupt


def _stop_with_parent() -> None:
    """In the server's process before it starts (Linux): SIGTERM when its parent dies."""
    import ctypes
    import signal

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _stop(server: Any) -> None:
    """Terminate the server's session (the server and anything it started); kill it if it
    does not end within 10 s, or at a second Ctrl-C."""
    import os
    import signal
    import subprocess

    if server.poll() is not None:
        return
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
    except (subprocess.TimeoutExpired, KeyboardInterrupt):
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    except ProcessLookupError:
        server.wait()
