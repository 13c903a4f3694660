"""The officer's cases: the worklist, a case's page with its action forms, a new complaint."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import UTC, datetime, time
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api import page_views as pv
from api.i18n import label, text
from api.page_forms import case_page, complaint_page
from api.page_frame import CASE_PAGE, case_url, render, require_roles
from api.page_routing import PageRoute
from api.page_session import Form, Page
from engine.calendar import WorkingCalendar
from engine.errors import (
    CaseNotFound,
    EngineError,
    InvalidInput,
    NotPermitted,
    TransitionNotAllowed,
)
from engine.service import Once
from engine.store.repository import FAR_FUTURE, CaseFilter, count_flags, search_cases
from workflows.complaint_codes import LEVELS, TYPES
from workflows.indonesia import ZONE_INFO, Zone

router = APIRouter(route_class=PageRoute, include_in_schema=False)
WORKLIST_LIMIT = 100  # cases per worklist page


# ------------------------------------------------------------------------------- worklist
# The page's sorts and the store's orders (engine.store.repository.ORDERS).
SORTS: dict[str, str] = {
    "due": "stage_due",
    "-due": "-stage_due",
    "level_due": "level_due",
    "-level_due": "-level_due",
    "id": "id",
    "-id": "-id",
}


def flag_bounds(now: datetime, cal: WorkingCalendar) -> dict[str, tuple[datetime, datetime]]:
    """Per zone, the instants where "due today" and "due soon" end (page_views.deadline): the
    start of the first and of the third working day after today in that zone."""
    bounds = {}
    for info in ZONE_INFO.values():
        today = now.astimezone(info).date()
        ends = (cal.add_working_days(today, 1), cal.add_working_days(today, 3))
        bounds[info.key] = (
            datetime.combine(ends[0], time(0), tzinfo=info),
            datetime.combine(ends[1], time(0), tzinfo=info),
        )
    return bounds


def _cursor_text(cursor: tuple[datetime, str]) -> str:
    due, case_id = cursor
    return f"{'' if due >= FAR_FUTURE else due.astimezone(UTC).isoformat()}~{case_id}"


def _cursor_of(raw: str) -> tuple[datetime, str] | None:
    due, sep, case_id = raw.partition("~")
    if not sep or not case_id:
        return None
    if not due:
        return (FAR_FUTURE, case_id)
    try:
        at = datetime.fromisoformat(due)
    except ValueError:
        return None
    return (at, case_id) if at.tzinfo is not None else None


@router.get("/")
def worklist(
    ctx: Page,
    level: str = "",
    type: str = "",
    q: str = "",
    sort: str = "due",
    mine: str = "",
    after: str = "",
    start: int = 0,
    workflow: str = "",
) -> Response:
    app, me = ctx.app, ctx.me
    found = pv.find_case(app, me, q)  # a case number or a household's code opens it
    if found:
        return RedirectResponse(case_url(found), status_code=303)
    hidden = app.service.unreadable(me)
    kinds = [w for w in app.registry.names() if w not in hidden]  # what this role may read
    workflow = workflow if workflow in kinds else ""
    f = CaseFilter(
        workflow=workflow or None,
        status="open",
        scope=me.region,
        hidden_workflows=hidden,
        level=level or None,
        case_type=type or None,
        text=q.strip()[:200] or None,
        handler=me.username if mine else None,
    )
    sort = sort if sort in SORTS else "due"
    cursor = _cursor_of(after)
    start = max(start, 0) if cursor is not None else 0
    now, cal = app.service.clock(), app.service.calendar()
    unreadable: list[str] = []
    with app.db.reading() as s:
        states, _, next_cursor = search_cases(
            s,
            f,
            limit=WORKLIST_LIMIT,
            after=cursor,
            order=SORTS[sort],
            counted=False,
            unreadable=unreadable,
        )
        counts = count_flags(s, f, now, flag_bounds(now, cal))
    rows = [pv.worklist_item(st, now, cal) for st in states]
    filters = {
        "workflow": workflow,
        "level": level,
        "type": type,
        "q": q,
        "sort": sort,
        "mine": mine,
    }
    kept = {k: v for k, v in filters.items() if v}
    next_link = None
    if next_cursor is not None:
        more = {"after": _cursor_text(next_cursor), "start": str(start + len(rows))}
        next_link = "/?" + urlencode({**kept, **more})
    return render(
        ctx,
        "worklist.html",
        rows=rows,
        unreadable=unreadable,
        total=sum(counts.values()),
        first=start + 1,
        last=start + len(rows),
        counts=counts,
        filters=filters,
        levels=LEVELS,
        types=TYPES,
        kinds=kinds,
        sort_link=lambda key: pv.sort_link(filters, key),
        next_link=next_link,
        first_link=("/?" + urlencode(kept)) if cursor is not None else None,
    )


# ------------------------------------------------------------------------------- case page
@router.get(CASE_PAGE)
def show_case(case_id: str, ctx: Page, done: str = "") -> HTMLResponse:
    return case_page(ctx, case_id, done=done or None)


@router.post(CASE_PAGE)
def post_event(case_id: str, form: Form, ctx: Page) -> Response:
    app, me = ctx.app, ctx.me
    event = form.pop("event", "")
    note = form.pop("note", "").strip() or None
    at_raw = form.pop("at", "").strip()
    data = {k[2:]: v.strip() for k, v in form.items() if k.startswith("f_") and v.strip()}
    try:
        version = form.get("version", "")
        if not version.isdigit():
            raise InvalidInput(
                "version",
                "the form has no case version; reload the page",
                message_id="formulir tidak memuat versi kasus; muat ulang halaman",
            )
        state = app.service.get(case_id, me.username)
        at = pv.parse_local(at_raw, ZoneInfo(state.zone), "at") if at_raw else None
        command = pv.command_data(state.workflow, event, data, state.attrs.get("anggota"))
        app.service.apply(
            case_id, event, command, me.username, at=at, note=note, expected_version=int(version)
        )
    except EngineError as e:
        if isinstance(e, CaseNotFound) or (isinstance(e, NotPermitted) and e.out_of_scope):
            raise
        status, error = pv.engine_error(e, ctx.lang)
        if isinstance(e, TransitionNotAllowed):  # the engine's English line, said for officers
            error["reasons"] = [allowed_text(e.allowed, ctx.lang)]
        failed = {"event": event, "values": data, "note": note or "", "at": at_raw}
        return case_page(ctx, case_id, status, error=error, failed=failed)
    return RedirectResponse(f"{case_url(case_id)}?done={quote(event)}", status_code=303)


def allowed_text(allowed: list[str], lang: str) -> str:
    if not allowed:
        return text("allowed_none", lang)
    return text("allowed_now", lang, events=", ".join(label("event", e, lang) for e in allowed))


# --------------------------------------------------------------------------- new complaint
@router.get("/complaints/new")
def new_complaint(ctx: Page) -> HTMLResponse:
    require_roles(ctx, LEVELS)
    values = pv.complaint_defaults(ctx.me, ctx.app.service.clock())
    # the form's own key: sent twice (a second click while a slow answer was on its way), it
    # is one complaint; kept when the form is given back after a mistake or a sign-in
    return complaint_page(ctx, values | {"once": secrets.token_urlsafe(16)})


@router.post("/complaints/new")
def file_complaint(form: Form, ctx: Page) -> Response:
    require_roles(ctx, LEVELS)
    values = {k: v.strip() for k, v in form.items()}
    try:
        zone = ZONE_INFO[Zone(values.get("zone") or "WIB")]
        raw = values.get("received_at", "")
        at = pv.parse_local(raw, zone, "received_at") if raw else None
        data = pv.filing_data(values)
        once = None
        if values.get("once"):
            # one form sent twice (a double click) is one complaint: the second sending opens
            # the first's. The form's key with what it says: sent again changed (the back
            # button, another complaint written over the first), it is a complaint of its own
            said = json.dumps([data, at and at.isoformat(), values.get("note")], sort_keys=True)
            digest = hashlib.sha256(said.encode()).hexdigest()[:32]
            key = f"form:{values['once'][:100]}:{digest}"
            once = Once(key, digest, lambda st, _: {}, 303)
        state = ctx.app.service.open_case_once(
            "complaint", data, ctx.me.username, at=at, note=values.get("note") or None, once=once
        ).state
    except (EngineError, ValueError) as e:
        if not isinstance(e, EngineError):
            e = InvalidInput("zone", str(e))
        elif isinstance(e, InvalidInput) and e.field == "at":  # the engine's name for it
            e = InvalidInput("received_at", e.message)
        status, error = pv.engine_error(e, ctx.lang)
        return complaint_page(ctx, values, status, error)
    return RedirectResponse(f"{case_url(state.id)}?done=file", status_code=303)
