"""`pkh` commands that run the deadline flows once: sweep, dispatch."""

from __future__ import annotations

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
        ]
        for key in ("reminded", "supervisor_notified", "escalated"):
            lines.append(
                f"  {key:<20} {len(r[key]):>4}  {' '.join(r[key][:12])}"
                + (" ..." if len(r[key]) > 12 else "")
            )
        lines += [f"  failed: {f['case_id']} {f['action']}: {f['error']}" for f in r["failed"]]
        return "\n".join(lines)

    emit(report, as_json, text)
