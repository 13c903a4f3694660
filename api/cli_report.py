"""`pkh report monthly`: the monthly complaint report as CSV, HTML or JSON, to stdout or a file."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import typer

from api.cli import app, command, get_app

report_app = typer.Typer(no_args_is_help=True, help="Reports for UPPKH Pusat and the Tim Teknis.")
app.add_typer(report_app, name="report")
JAKARTA = ZoneInfo("Asia/Jakarta")


@report_app.command("monthly")
@command
def report_monthly(
    month: str | None = typer.Option(
        None, "--month", help="YYYY-MM; default the month before the current one (WIB)"
    ),
    fmt: str = typer.Option("csv", "--format", help="csv, html or json"),
    out: Path | None = typer.Option(None, "--out", help="write to this file instead of stdout"),
    region: str | None = typer.Option(None, "--region", help="only cases under this region code"),
    lang: str = typer.Option("id", "--lang", help="language of the HTML page: id or en"),
) -> None:
    """The monthly complaint report: counts, time to close, SLA per stage, recurring types.

    Received, closed and overdue complaints by type, region, channel and level; time to
    close; SLA per Tabel 2 stage; types recurring in two or more kabupaten."""
    from engine.report import Month
    from notifications.report import build_report, check_format, check_lang, render

    fmt, lang = check_format(fmt), check_lang(lang)
    if region:  # a mistyped code would match nothing: an all-zero report
        from engine.errors import InvalidInput
        from workflows.regions import UnknownRegion, get_region

        try:
            region = get_region(region).code
        except UnknownRegion as e:
            raise InvalidInput("region", str(e)) from None
    a = get_app()
    now = a.service.clock().astimezone(JAKARTA)
    which = Month.parse(month) if month else Month.before(now.date())
    report = build_report(a, which, region or None)
    body = render(report, fmt, lang, generated_at=now)
    if out is None:
        typer.echo(body, nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(body, encoding="utf-8", newline="")
    t = report.total
    typer.echo(
        f"{out}: {which} {region or 'all'}: {t.received} received, {t.closed} closed, "
        f"{t.overdue} overdue, {len(report.recurring)} recurring type(s)"
    )
