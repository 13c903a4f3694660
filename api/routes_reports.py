"""The monthly complaint report as JSON, CSV or a printable HTML page, in the caller's region."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request, Response

from api.http import AppDep, require_role
from api.i18n import pick
from api.page_frame import LANG_COOKIE
from api.page_routing import BrowserRoute
from engine.report import Month
from engine.state import Actor
from notifications.report import MEDIA_TYPES, build_report, filename, render

router = APIRouter(route_class=BrowserRoute)
Readers = require_role("pusat", "admin", "auditor", "provinsi", "kabupaten")
JAKARTA = ZoneInfo("Asia/Jakarta")  # UPPKH Pusat's zone: the month that has just ended there

MONTHLY_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the report (JSON), a CSV file in sections, or an HTML page with charts",
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "text/csv": {"schema": {"type": "string"}},
            "text/html": {"schema": {"type": "string"}},
        },
    },
    403: {"description": "this role may not read reports"},
    422: {"description": "invalid month, format or language"},
}


@router.get(
    "/reports/monthly",
    tags=["reports"],
    response_class=Response,
    responses=MONTHLY_RESPONSES,
)
def monthly(
    request: Request,
    app: AppDep,
    actor: Annotated[Actor, Readers],
    month: Annotated[
        str | None,
        Query(
            pattern=r"^\d{4}-\d{2}$",
            description="YYYY-MM; default the month before the current one (Asia/Jakarta)",
        ),
    ] = None,
    fmt: Annotated[Literal["json", "csv", "html"], Query(alias="format")] = "json",
    lang: Annotated[
        Literal["id", "en"] | None,
        Query(
            description="language of the HTML page; default the officer pages' language "
            "(their ID | EN switch), else id"
        ),
    ] = None,
) -> Response:
    """Complaints received, closed and overdue by type, province, kabupaten, channel and level;
    time to close; SLA per Tabel 2 stage; types recurring in two or more kabupaten. An officer
    with a region sees the cases under its region code only; pusat and admin see all."""
    now = app.service.clock()
    which = Month.parse(month) if month else Month.before(now.astimezone(JAKARTA).date())
    report = build_report(app, which, actor.region)
    # opened from a browser signed in to the pages: in the language the officer reads them in
    shown_in = lang or pick(request.cookies.get(LANG_COOKIE))
    body = render(report, fmt, shown_in, generated_at=now.astimezone(JAKARTA))
    headers = {}
    if fmt == "csv":
        headers["Content-Disposition"] = f'attachment; filename="{filename(report, "csv")}"'
    return Response(body, media_type=MEDIA_TYPES[fmt], headers=headers)
