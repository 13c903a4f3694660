"""The office's other pages: paper letters to print, the case audit and the whole-store
verification, the working calendar."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api import page_views as pv
from api.admin import list_overrides
from api.i18n import text
from api.page_frame import AUDITORS, HEADERS, Ctx, PageRefused, render, require_roles
from api.page_routing import PageRoute
from api.page_session import Form, Page
from engine.errors import (
    AlreadyRunning,
    CaseNotFound,
    EngineError,
    InvalidInput,
    StoredDataUnreadable,
)
from engine.store import audit_runs
from workflows.complaint_codes import LEVELS
from workflows.indonesia import ZONE_INFO, Override, Zone, non_working_days, official_names_en
from workflows.roles import sees_reporter

router = APIRouter(route_class=PageRoute, include_in_schema=False)


# ------------------------------------------------------------------------- paper letters
def _may_print(ctx: Ctx) -> Callable[[Any], bool]:
    """The letters of the cases the officer may read (in the region; a staff member's KKN or
    discipline file only for the roles that read it), and of a confidential reporter only
    where the officer may know who reported (the letter names them)."""
    actor, service = ctx.me, ctx.app.service
    return lambda state: service.may_read(actor, state) and sees_reporter(actor, state)


@router.get("/letters")
def letters(ctx: Page, done: str = "") -> HTMLResponse:
    """Letters to reporters with no e-mail or phone, waiting to be printed and posted."""
    from notifications.paper import waiting_letters

    require_roles(ctx, LEVELS)
    waiting, more = waiting_letters(ctx.app.db, _may_print(ctx), region=ctx.me.region)
    return render(ctx, "letters.html", letters=waiting, more=more, done=done == "printed")


@router.get("/letters/{letter_id}")
def letter(ctx: Page, letter_id: int) -> HTMLResponse:
    """The letter as a printable A4 page (the browser's print prints just the letter)."""
    from notifications.paper import letter_page

    require_roles(ctx, LEVELS)
    html = letter_page(
        ctx.app.db, ctx.app.settings, letter_id, ctx.app.service.clock(), _may_print(ctx)
    )
    return HTMLResponse(html, headers=HEADERS)


@router.post("/letters/{letter_id}/printed")
def letter_printed(form: Form, ctx: Page, letter_id: int) -> Response:
    from notifications.paper import mark_printed

    require_roles(ctx, LEVELS)
    mark_printed(ctx.app.db, letter_id, ctx.app.service.clock(), _may_print(ctx))
    return RedirectResponse("/letters?done=printed", status_code=303)


# ------------------------------------------------------------------------- audit, calendar
@router.get("/audit")
def audit(
    ctx: Page,
    case_id: str = "",
    at: str = "",
    zone: str = "",
    basis: str = "recorded",
    started: str = "",
) -> Response:
    require_roles(ctx, AUDITORS)
    # a household's kode peserta, no_kk or a member's NIK opens its case, as the worklist's
    # search does (within the auditor's scope; else the code is looked up as typed)
    found = pv.find_case(ctx.app, ctx.me, case_id)
    if found and found != case_id.strip().upper():
        kept = {"case_id": found, "at": at, "zone": zone, "basis": basis}
        query = urlencode({k: v for k, v in kept.items() if v})
        return RedirectResponse(f"/audit?{query}", status_code=303)
    # a case number as officers type it ("adu-2026-000014"): case numbers are upper case
    form = {"case_id": case_id.strip().upper(), "at": at, "zone": zone, "basis": basis}
    return _audit_page(ctx, form, started=bool(started))


@router.post("/audit/whole")
def start_whole_verify(form: Form, ctx: Page) -> Response:
    """A national auditor starts a whole-store verification (the API's POST /audit/runs)."""
    require_roles(ctx, AUDITORS)
    if ctx.me.region is not None:
        raise PageRefused(lambda lang: text("national_only", lang))
    try:
        audit_runs.launch(ctx.app.db, ctx.me.username, ctx.app.service.clock)
    except AlreadyRunning as e:
        blank = {"case_id": "", "at": "", "zone": "", "basis": "recorded"}
        error = {"message": text("whole_running", ctx.lang, id=e.run_id)}
        return _audit_page(ctx, blank, status=409, whole_error=error)
    return RedirectResponse("/audit?started=1", status_code=303)


def _audit_page(
    ctx: Ctx,
    form: dict[str, str],
    *,
    status: int = 200,
    started: bool = False,
    whole_error: dict[str, Any] | None = None,
) -> HTMLResponse:
    result, error, checked = None, None, None
    if form["case_id"]:
        try:
            result = pv.audit_case(ctx.app, ctx.me, form, ctx.lang)
        except StoredDataUnreadable as e:
            # what the auditor came for: the page says so in its words, and still checks the
            # case, naming the problem (a deleted event, one out of order, a row not JSON)
            error = {"message": text("unreadable_text", ctx.lang), "reasons": [str(e)]}
            checked = pv.audit_check(ctx.app, ctx.me, form["case_id"])
        except EngineError as e:
            error = pv.engine_error(e, ctx.lang)[1] if not isinstance(e, CaseNotFound) else None
            error = error or {"message": text("not_found_text", ctx.lang), "reasons": []}
    national = ctx.me.region is None  # the whole store names cases of every region
    last = audit_runs.recent(ctx.app.db, ctx.app.service.clock(), 1) if national else []
    return render(
        ctx,
        "audit.html",
        status,
        form=form,
        result=result,
        error=error,
        checked=checked,
        zones=[z.value for z in Zone],
        national=national,
        last_run=last[0] if last else None,
        started=started,
        whole_error=whole_error,
    )


@router.get("/calendar")
def calendar(ctx: Page, year: int | None = None) -> HTMLResponse:
    year = year or ctx.app.service.clock().astimezone(ZONE_INFO[Zone.WIB]).year
    if not 2004 <= year <= 2040:
        raise InvalidInput(
            "year",
            "the working calendar covers 2004 to 2040",
            message_id="kalender hari kerja mencakup tahun 2004 sampai 2040",
        )
    overrides = [Override(o.day, o.working, o.name) for o in list_overrides(ctx.app.db)]
    days = non_working_days([year], overrides)
    today = ctx.app.service.clock().astimezone(ZONE_INFO[Zone.WIB]).date()
    # an official day's name in the page's language; an override's as its decree named it
    names = official_names_en([year]) if ctx.lang == "en" else {}
    return render(ctx, "calendar.html", year=year, days=days, today=today, names=names)
