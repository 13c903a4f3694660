"""The monthly report flow: on the 1st of each month, last month's report as CSV and HTML files.

A door like the other flows: it builds the application from settings and calls the report code
(`notifications.report`), which is tested directly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from prefect import flow

from workflows.flows import _app, refusing

JAKARTA = ZoneInfo("Asia/Jakarta")


def write_monthly_report(app: Any, month: str | None, out_dir: str | Path) -> dict[str, Any]:
    """Write `laporan-pengaduan-YYYY-MM.csv` and `.html` (Bahasa Indonesia) under `out_dir`
    (relative to the working directory); `files` gives their absolute paths."""
    from engine.report import Month
    from notifications.report import build_report, filename, render

    now = app.service.clock().astimezone(JAKARTA)
    which = Month.parse(month) if month else Month.before(now.date())
    report = build_report(app, which)
    # absolute: a process worker runs the flow in the --source checkout, and a relative path
    # in the log ("var/reports/...") does not say where that is
    folder = Path(out_dir).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for fmt in ("csv", "html"):
        path = folder / filename(report, fmt)
        path.write_text(render(report, fmt, "id", generated_at=now), encoding="utf-8", newline="")
        files[fmt] = str(path)
    t = report.total
    return {
        "month": str(which),
        "files": files,
        "received": t.received,
        "closed": t.closed,
        "overdue": t.overdue,
        "recurring": report.recurring_map(),
    }


@flow(name="pkh-monthly-report")
@refusing
def monthly_report(
    month: str | None = None, database_url: str | None = None, out_dir: str = "var/reports"
) -> dict[str, Any]:
    """Last month's complaint report (or `month`, YYYY-MM) as CSV and HTML files."""
    app = _app(database_url)
    try:
        result = write_monthly_report(app, month, out_dir)
    finally:
        app.db.dispose()
    _log(result)
    return result


def _log(result: dict[str, Any]) -> None:
    try:
        from prefect import get_run_logger

        logger: Any = get_run_logger()
    except Exception:  # noqa: BLE001 - called outside a flow run (e.g. `monthly_report.fn`)
        import logging

        logger = logging.getLogger("pkh.report")
    logger.info(
        "monthly report %s: %d received, %d closed, %d overdue -> %s",
        result["month"],
        result["received"],
        result["closed"],
        result["overdue"],
        ", ".join(result["files"].values()),
    )


def deployment() -> Any:
    """07:00 WIB on the 1st of every month: the month just ended."""
    from prefect.schedules import Cron

    return monthly_report.to_deployment(
        name="monthly", schedules=[Cron("0 7 1 * *", timezone="Asia/Jakarta")]
    )
