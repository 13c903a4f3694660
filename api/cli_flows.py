"""`pkh` commands that run the deadline flows once: sweep, dispatch."""

from __future__ import annotations

from typing import Any

import typer

from api.cli import app, command, emit, get_app, parse_instant


@app.command("sweep")
@command
def sweep_once(
    now: str | None = typer.Option(None, "--now", help="pretend it is this moment (ISO)"),
    province: list[str] = typer.Option([], "--province", help="2-digit code; repeatable"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Find due-soon, due-today and overdue cases; remind, notify supervisors, escalate."""
    from engine.sweeper import sweep

    a = get_app()
    if now:
        moment = parse_instant(now, "now")
        a.service.clock = lambda: moment
    report = sweep(a.service, a.service.clock(), provinces=province or None).as_dict()

    def text(r: dict) -> str:  # type: ignore[type-arg]
        lines = [
            f"sweep at {r['now']}: {r['examined']} cases examined, {r['messages']} messages queued"
            " (cases handled earlier and unchanged since wait for their next day or deadline)"
        ]
        for key in ("reminded", "supervisor_notified", "escalated"):
            lines.append(
                f"  {key:<20} {len(r[key]):>4}  {' '.join(r[key][:12])}"
                + (" ..." if len(r[key]) > 12 else "")
            )
        lines += [f"  failed: {f['case_id']} {f['action']}: {f['error']}" for f in r["failed"]]
        return "\n".join(lines)

    emit(report, as_json, text)


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
    """Deliver what is due in the outbox (SMTP if PKH_SMTP_HOST is set, else the log, shown
    on stderr); paper letters wait for `pkh outbox print`."""
    import logging

    from notifications.dispatch import Dispatcher

    a = get_app()
    moment = parse_instant(now, "now") if now else a.service.clock()
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
        report = Dispatcher(a.db, a.settings).run_once(moment).as_dict()
    finally:
        shown.removeHandler(handler)
        shown.setLevel(level)
    emit(report, as_json, lambda r: "  ".join(f"{k}: {len(v)}" for k, v in r.items()))


@outbox_app.command("list")
@command
def outbox_list(
    status: str | None = typer.Option(None, help="pending, sent, print, printed, dead, skipped"),
    limit: int = typer.Option(50, min=1, max=1000),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    from notifications.dispatch import list_outbox

    rows = list_outbox(get_app().db, status, limit)
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
    """Paper letters (reporters with no e-mail or phone): one printable A4 HTML page each,
    written to --out, then marked printed. Open a page in a browser and print it."""
    from pathlib import Path

    from notifications.dispatch import print_letters

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
    """Put dead-lettered messages back in the queue."""
    from notifications.dispatch import retry_dead

    a = get_app()
    n = retry_dead(a.db, a.service.clock(), ids or None)
    typer.echo(f"{n} message(s) queued again")


@app.command("worker")
@command
def worker(port: int = typer.Option(4200, help="port of the local Prefect server")) -> None:
    """Start a local Prefect server (SQLite under var/prefect) and serve the scheduled flows."""
    import os
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    home = Path("var/prefect").resolve()
    home.mkdir(parents=True, exist_ok=True)
    api_url = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{api_url}/health", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the Prefect server did not start") from None
                time.sleep(1)
        typer.echo(
            f"Prefect server: http://127.0.0.1:{port}  (flows: sweep hourly 06-15 WIB on "
            "weekdays, dispatch every minute)"
        )
        os.environ.update(env)
        from workflows.flows import serve_all

        serve_all()
    finally:
        server.terminate()
        server.wait(timeout=30)
