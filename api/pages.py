"""The officer pages: server-rendered HTML over the same service as the JSON API.

Every POST form carries a CSRF token: the browser's `pkh_csrf` cookie, and for a signed-in
officer a MAC of it and the officer's name with the server's key (`form_token`), so a cookie
planted by a sibling subdomain makes no token for anyone signed in. Errors a
page can meet (not signed in, bad token, engine refusals) are turned into pages here, by the
router's own route class, so the JSON API's error handlers never answer a browser.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, unquote, urlencode
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from api import page_views as pv
from api.admin import list_overrides, sign_out
from api.http import (
    AUDITOR_ROLES,
    CSRF_COOKIE,
    SESSION_COOKIE,
    TOKEN_TTL,
    AppDep,
    Unauthenticated,
    checked_sign_in,
    cookie_name,
    page_actor,
)
from api.i18n import (
    attr_label,
    code_name,
    day_text,
    field_label,
    label,
    note_text,
    pick,
    roles_text,
    text,
    translator,
    when,
)
from api.security import InvalidToken, create_token, read_token
from api.throttle import TooManySignIns
from api.views import case_out, event_view
from api.wiring import App
from engine.audit import problem_subject
from engine.calendar import WorkingCalendar
from engine.errors import (
    AlreadyRunning,
    CaseNotFound,
    EngineError,
    InvalidInput,
    NotFound,
    NotPermitted,
    StoredDataUnreadable,
    TransitionNotAllowed,
)
from engine.service import Once
from engine.state import Actor
from engine.store import audit_runs
from engine.store.credentials import CredentialsChanged, SignedOut
from engine.store.repository import (
    CASES,
    FAR_FUTURE,
    CaseFilter,
    count_flags,
    load_events,
    search_cases,
)
from engine.store.tables import StaffRow
from workflows import kpm_codes as KC
from workflows.complaint_codes import CHANNELS, LEVELS, REPORTER_KINDS, TYPES
from workflows.indonesia import (
    ZONE_INFO,
    Override,
    Zone,
    non_working_days,
    official_names_en,
    zone_label,
)
from workflows.roles import MASK, sees_reporter
from workflows.staff import kkn_step_of

LANG_COOKIE = "lang"
AUDITORS = AUDITOR_ROLES
# Not /cases/{id}: the JSON API answers there, and its router is included first.
CASE_PAGE = "/cases/{case_id}/view"
WORKLIST_LIMIT = 100  # cases per worklist page
HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; style-src 'unsafe-inline'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
}
ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.globals["problem_subject"] = problem_subject


class LoginRequired(Exception):
    def __init__(self, next_path: str, ended: str | None = None) -> None:
        self.next_path = next_path
        # why the session ended on the server, said on the sign-in page (a key of ENDED):
        # "password" (opened before the password was changed), "signed_out" (before the
        # account signed out); None: no session, or it expired
        self.ended = ended


class CsrfRejected(Exception):
    pass


class PageRefused(NotPermitted):
    """A page's own refusal (a role that may not open it), said in the page's language:
    `say(lang)` gives the text."""

    def __init__(self, say: Callable[[str], str]) -> None:
        super().__init__(say("en"))
        self.say = say


@dataclass
class Ctx:
    request: Request
    app: App
    lang: str
    csrf: str  # the forms' token (form_token)
    fresh_csrf: bool
    csrf_key: str = ""  # the browser's CSRF cookie the token is made from
    actor: Actor | None = None
    # the actor's suspension (KKN), said on every page: {"since", "zone", "case"} or None
    suspension: dict[str, Any] | None = None
    # the page is a form given back filled (not saved): after the session expired and the
    # officer signed in (True), or after the language was switched on it ("switched")
    resumed: bool | str = False
    # the form given back filled (its address and values): what the language switch carries
    given_back: tuple[str, dict[str, str]] | None = None

    @property
    def me(self) -> Actor:
        assert self.actor is not None
        return self.actor


def case_url(case_id: str) -> str:
    return CASE_PAGE.format(case_id=quote(case_id, safe=""))


def _https(request: Request) -> bool:
    return request.url.scheme == "https"


def _cookie(request: Request, name: str) -> str:
    return request.cookies.get(cookie_name(request, name)) or ""


def _set_cookie(response: Response, request: Request, name: str, value: str, **kw: Any) -> None:
    response.set_cookie(
        cookie_name(request, name),
        value,
        httponly=True,
        samesite="lax",
        secure=_https(request),
        **kw,
    )


def _drop_cookie(response: Response, request: Request, name: str) -> None:
    # a browser takes a `__Host-` cookie's deletion only with Secure, as it took the cookie
    response.delete_cookie(
        cookie_name(request, name), httponly=True, samesite="lax", secure=_https(request)
    )


def render(ctx: Ctx, name: str, status: int = 200, **values: Any) -> HTMLResponse:
    lang = ctx.lang
    html = ENV.get_template(name).render(
        t=translator(lang),
        lab=lambda kind, value: label(kind, value, lang),
        day=lambda d, weekday=False: day_text(d, lang, weekday=weekday),
        when=lambda value, zone: when(value, zone, lang),
        note_text=lambda note: note_text(note, lang),
        zone_label=zone_label,
        field_label=lambda field: field_label(field, lang),
        attr_label=lambda field: attr_label(field, lang),
        mask=MASK,
        lang=lang,
        actor=ctx.actor,
        csrf=ctx.csrf,
        here=str(ctx.request.url.path)
        + (f"?{ctx.request.url.query}" if ctx.request.url.query else ""),
        case_url=case_url,
        auditors=AUDITORS,
        officers=LEVELS,
        suspension=ctx.suspension,
        resumed=ctx.resumed,
        switch=_switch_carries(ctx, name, values),
        **values,
    )
    response = HTMLResponse(html, status_code=status, headers=HEADERS)
    if ctx.fresh_csrf:
        _set_cookie(response, ctx.request, CSRF_COOKIE, ctx.csrf_key)
    return response


def form_token(app: App, key: str, username: str) -> str:
    """The CSRF token of the forms a page gives: the browser's cookie `key` and, for a
    signed-in officer, a MAC of it and the officer's name. The cookie alone is the attacker's
    to choose (a sibling subdomain can set it for the whole site); the MAC needs the server's
    key, and a token is made only on a page rendered for that officer's session."""
    if not username:
        return key
    return f"{key}.{_csrf_mac(app, key, username)}"


def _csrf_mac(app: App, key: str, username: str) -> str:
    mac = hmac.new(
        app.settings.secret_key.encode(), f"csrf\0{key}\0{username}".encode(), hashlib.sha256
    )
    return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


def made_for(app: App, sent: str, username: str) -> bool:
    """Whether a form's token was made by this server for `username` (whatever cookie the
    browser holds now: a form kept through a sign-in, or from before another tab's)."""
    key, _, mac = sent.partition(".")
    return bool(key and mac) and hmac.compare_digest(mac, _csrf_mac(app, key, username))


def session_name(request: Request) -> str:
    """The officer the session cookie names, if its token is sound (the account itself
    unread: a page and the form it gives agree on it without a query). Expired too: the forms
    a page gave stay that officer's after the session ends, so a form sent then is checked as
    theirs and goes to the sign-in page (kept), not refused as a forgery. Signing in is never
    decided here (page_actor)."""
    app: App = request.app.state.pkh
    cookie = _cookie(request, SESSION_COOKIE)
    if not cookie:
        return ""
    try:
        secret, now = app.settings.secret_key, app.service.clock()
        return str(read_token(cookie, secret, now, expired_ok=True))
    except InvalidToken:
        return ""


def _switch_carries(ctx: Ctx, name: str, values: dict[str, Any]) -> dict[str, str] | None:
    """What the language switch of a page answering a form carries, so that switching keeps
    the form filled (a link would open the page afresh, empty): the sign-in form's name, where
    it goes next and what it keeps; or the form posted (never a password nor the CSRF token).
    None for a page opened by its address: its switch is a link to the same address."""
    if ctx.given_back is not None:  # a form given back (after a sign-in, or a switch)
        path, given = ctx.given_back
        return {"next": path, **_carried(given)}
    if ctx.request.method != "POST":
        return None
    if name == "login.html":
        return {
            "next": SWITCH_LOGIN,
            "keep.username": values.get("username", ""),
            "keep.next": values.get("next", "/"),
            **{KEEP + k: v for k, v in values.get("kept", {}).items()},
        }
    form = getattr(ctx.request.state, "posted", None)
    if not form:
        return None
    if ctx.request.url.path.startswith("/lang/"):  # switched already: switching back carries it
        return dict(form)
    return {"next": ctx.request.url.path, **_carried(form)}


# The longest value a page's field takes (a complaint's summary, an event's data value): a
# longer one pasted into a refused form is not carried through a language switch (it is
# refused anyway, and would be written back into every page as a hidden field).
MAX_CARRIED = 4000


def _carried(form: dict[str, str]) -> dict[str, str]:
    """A posted form's fields as the language switch carries them: never a password, nor a
    token, nor a value longer than any field takes."""
    return {
        KEEP + k: v
        for k, v in form.items()
        if "password" not in k.lower() and k not in ("csrf", KEPT_TOKEN) and len(v) <= MAX_CARRIED
    }


def _context(request: Request, *, signed_out: bool = False) -> Ctx:
    """`signed_out`: the answer drops the session cookie, so its forms are made for nobody."""
    key = _cookie(request, CSRF_COOKIE)
    fresh = len(key) < 32
    key = secrets.token_urlsafe(32) if fresh else key
    app: App = request.app.state.pkh
    name = "" if signed_out else session_name(request)
    return Ctx(
        request,
        app,
        pick(request.cookies.get(LANG_COOKIE)),
        form_token(app, key, name),
        fresh,
        key,
    )


def context(request: Request, _app: AppDep) -> Ctx:
    return _context(request)


def signed_in(ctx: Annotated[Ctx, Depends(context)]) -> Ctx:
    try:
        ctx.actor = page_actor(ctx.request, ctx.app)
    except (Unauthenticated, CredentialsChanged) as e:
        url = ctx.request.url
        next_path = url.path + (f"?{url.query}" if url.query else "")
        why = "signed_out" if isinstance(e, SignedOut) else "password"
        raise LoginRequired(next_path, why if isinstance(e, CredentialsChanged) else None) from None
    ctx.suspension = suspension_of(ctx.app, ctx.actor)
    return ctx


def suspension_of(app: App, actor: Actor) -> dict[str, Any] | None:
    """Whether `actor` is relieved of duty (the engine refuses every command of theirs), and
    since when and by which KKN case where the staff register says so."""
    with app.db.reading() as s:
        if not app.service.actor_facts(s, actor).get("actor_suspended"):
            return None
        staff = StaffRow.__table__  # type: ignore[attr-defined]
        names = sa.select(staff.c.name).where(staff.c.username == actor.username)
        c = CASES.c
        row = s.execute(
            sa.select(c.id, c.zone, c.created_at)
            .where(c.subject.in_(names), c.workflow == "kkn", c.state == "suspended")
            .order_by(c.id)
            .limit(1)
        ).first()
        if row is None:
            return {"since": None, "zone": "Asia/Jakarta", "case": None}
        since = row.created_at
        for chained in load_events(s, row.id):  # the last time the case entered `suspended`
            if chained.event.changes.get("state") == "suspended":
                since = chained.event.occurred_at
        return {"since": since, "zone": row.zone, "case": row.id}


async def posted(request: Request) -> dict[str, str]:
    """The form's fields, once its CSRF token is the one this browser's cookie and session
    make (form_token)."""
    form = await request.form()
    data = {k: v for k, v in form.items() if isinstance(v, str)}
    sent, cookie = data.pop("csrf", ""), _cookie(request, CSRF_COOKIE)
    if not (sent and cookie):
        raise CsrfRejected()
    expected = form_token(request.app.state.pkh, cookie, session_name(request))
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfRejected()
    request.state.posted = dict(data)  # carried through a language switch (handlers pop fields)
    return data


Page = Annotated[Ctx, Depends(signed_in)]
Anyone = Annotated[Ctx, Depends(context)]
Form = Annotated[dict[str, str], Depends(posted)]


def problem_page(request: Request, status: int, key: str, detail: str = "") -> HTMLResponse:
    ctx = _context(request)
    try:
        ctx.actor = page_actor(request, ctx.app)
    except EngineError:
        ctx.actor = None
    return render(ctx, "problem.html", status, key=key, detail=detail)


def _problem_of(e: EngineError, lang: str) -> tuple[int, str, str]:
    if isinstance(e, CaseNotFound | NotFound) or (isinstance(e, NotPermitted) and e.out_of_scope):
        return 404, "not_found", ""
    if isinstance(e, PageRefused):
        return 403, "forbidden", e.say(lang)
    if isinstance(e, NotPermitted):
        return 403, "forbidden", pv.not_permitted_text(e, lang)
    if isinstance(e, StoredDataUnreadable):
        return 409, "unreadable", str(e)
    if isinstance(e, InvalidInput) and lang == "id" and e.message_id:
        return 400, "bad_request", f"{_param(e.field, lang)}: {e.message_id}"
    return 400, "bad_request", str(e)


# Fields of a form that are never carried through a sign-in (nor ever put into a URL).
NOT_KEPT = frozenset({"csrf", "password", "username", "next"})
KEEP = "keep."
# The kept form's own CSRF token, carried beside it: the form comes back only to the officer
# it was made for (`made_for`), never one an attacker's page posted to land on the sign-in.
KEPT_TOKEN = "kept_csrf"


async def expired_post(request: Request, next_path: str, ended: str | None) -> HTMLResponse:
    """A form posted after the session ended: the sign-in page in place, saying so, with the
    posted fields kept in hidden inputs of the sign-in form (its body, never a URL), so the
    form comes back filled once the officer has signed in (`login`)."""
    form = await request.form()
    kept = {
        k: v
        for k, v in form.items()
        if isinstance(v, str) and k not in NOT_KEPT and "password" not in k.lower()
    }
    ctx = _context(request, signed_out=ended is not None)
    page = render(
        ctx,
        "login.html",
        401,
        next=_safe_next(next_path),
        error=False,
        username="",
        notice="password_changed_form" if ended == "password" else "session_expired_form",
        kept={KEEP + k: v for k, v in kept.items()}
        | ({KEPT_TOKEN: str(form.get("csrf") or "")} if kept else {}),
    )
    if ended:
        _drop_cookie(page, request, SESSION_COOKIE)
    return page


async def rejected_post(request: Request) -> HTMLResponse | None:
    """A form whose CSRF token no longer matches the cookie's because the session changed in
    another tab (signed out there: both cookies dropped; signed in again: a new token): kept,
    never saved. Signed out, it waits on the sign-in page as for an expired session; signed in,
    the new complaint or the case's action form comes back filled (still 403: refused). None
    for the other forms (refused as before)."""
    path = request.url.path
    if path != "/complaints/new" and re.fullmatch(r"/cases/[^/?]+/view", path) is None:
        return None
    ctx = _context(request)
    try:
        actor = page_actor(request, ctx.app)
    except (Unauthenticated, CredentialsChanged) as e:
        why = "signed_out" if isinstance(e, SignedOut) else "password"
        return await expired_post(request, path, why if isinstance(e, CredentialsChanged) else None)
    except EngineError:
        return None
    form = await request.form()
    if not made_for(ctx.app, str(form.get("csrf") or ""), actor.username):
        return None  # not a form this server gave the officer: a same-site page's, refused
    values = {k: v for k, v in form.items() if isinstance(v, str) and k not in NOT_KEPT}
    page = _resume(ctx, actor.username, path, values)
    if page is not None and page.status_code == 200:
        page.status_code = 403
    return page


class PageRoute(APIRoute):
    """Turns what a page can meet into a page: login redirect, 403 on a bad token, 404..."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        inner = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await inner(request)
            except LoginRequired as e:
                if request.method == "POST":
                    return await expired_post(request, e.next_path, e.ended)
                if not e.ended:
                    return RedirectResponse(f"/login?next={quote(e.next_path)}", status_code=303)
                ended = RedirectResponse(
                    f"/login?next={quote(e.next_path)}&ended={e.ended}", status_code=303
                )
                _drop_cookie(ended, request, SESSION_COOKIE)
                return ended
            except CsrfRejected:
                if request.method == "POST":
                    kept = await rejected_post(request)
                    if kept is not None:
                        return kept
                return problem_page(request, 403, "csrf")
            except RequestValidationError as e:
                lang = pick(request.cookies.get(LANG_COOKIE))
                return problem_page(request, 400, "bad_request", _invalid(e, lang))
            except EngineError as e:
                lang = pick(request.cookies.get(LANG_COOKIE))
                return problem_page(request, *_problem_of(e, lang))

        return handler


class BrowserRoute(APIRoute):
    """A JSON API route a browser also opens (the monthly report's HTML page, signed in by
    the pages' cookie): a refusal is the officers' problem page in their language, a login
    redirect when not signed in; API clients (a bearer token, or `format=json`) get JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        inner = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await inner(request)
            except (RequestValidationError, EngineError) as e:
                if not _page_asked(request):
                    raise
                lang = pick(request.cookies.get(LANG_COOKIE))
                if isinstance(e, RequestValidationError):
                    return problem_page(request, 400, "bad_request", _invalid(e, lang))
                if isinstance(e, Unauthenticated | CredentialsChanged):
                    url = request.url
                    back = quote(url.path + (f"?{url.query}" if url.query else ""))
                    return RedirectResponse(f"/login?next={back}", status_code=303)
                return problem_page(request, *_problem_of(e, lang))

        return handler


def _page_asked(request: Request) -> bool:
    if request.headers.get("authorization"):
        return False
    fmt = request.query_params.get("format")
    return fmt == "html" or (fmt != "json" and "text/html" in request.headers.get("accept", ""))


router = APIRouter(route_class=PageRoute, include_in_schema=False)
# what an address's parameter got wrong, said as the pages say it (pydantic's own words else)
INVALID = {
    "int_parsing": ("harus bilangan bulat", "must be a whole number"),
    "missing": ("wajib diisi", "is required"),
    "string_pattern_mismatch": ("bentuknya salah", "is not in the right form"),
    "literal_error": ("bukan salah satu pilihan", "is not one of the choices"),
}
# an address's parameter named in the page's language (else by its own name)
PARAMS = {"month": ("bulan", "month"), "lang": ("bahasa", "lang")}


def _param(name: str, lang: str) -> str:
    words = PARAMS.get(name)
    return (words[0] if lang == "id" else words[1]) if words else name


def _invalid(e: RequestValidationError, lang: str) -> str:
    said = []
    for x in e.errors():
        name = _param(str((x.get("loc") or ("",))[-1]), lang)
        words = INVALID.get(str(x.get("type")))
        said.append(f"{name}: {words[0 if lang == 'id' else 1] if words else x.get('msg', '')}")
    return "; ".join(said)


def _safe_next(value: str | None) -> str:
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    return value


# ------------------------------------------------------------------------- sign in, language
ENDED = {
    "password": "signed_in_before_password_change",
    "signed_out": "signed_out_notice",
    "expired": "session_expired_form",
}


@router.get("/login")
def login_page(ctx: Anyone, next: str = "/", ended: str | None = None) -> HTMLResponse:
    notice = ENDED.get(ended or "")
    return render(
        ctx, "login.html", next=_safe_next(next), error=False, username="", notice=notice, kept={}
    )


@router.post("/login")
def login(form: Form, ctx: Anyone) -> Response:
    username = form.get("username", "").strip()
    nxt = _safe_next(form.get("next"))
    kept = {k: v for k, v in form.items() if k.startswith(KEEP) or k == KEPT_TOKEN}
    try:
        row = checked_sign_in(ctx.app, ctx.request, username, form.get("password", ""))
    except TooManySignIns as e:  # the form stays filled (kept) for when the wait is over
        minutes = max(1, -(-e.retry_after // 60))
        page = render(
            ctx,
            "login.html",
            429,
            next=nxt,
            error=False,
            username=username,
            notice=None,
            throttled=minutes,
            kept=kept,
        )
        page.headers["Retry-After"] = str(e.retry_after)
        return page
    if row is None:
        notice = "session_expired_form" if kept else None
        return render(
            ctx,
            "login.html",
            401,
            next=nxt,
            error=True,
            username=username,
            notice=notice,
            kept=kept,
        )
    app = ctx.app
    token = create_token(row.username, app.settings.secret_key, app.service.clock(), TOKEN_TTL)
    csrf = secrets.token_urlsafe(32)
    response: Response = RedirectResponse(nxt, status_code=303)
    values = {k[len(KEEP) :]: v for k, v in kept.items() if k.startswith(KEEP)}
    if values and made_for(app, kept.get(KEPT_TOKEN, ""), row.username):
        # the cookie is set below
        ctx.csrf, ctx.csrf_key, ctx.fresh_csrf = form_token(app, csrf, row.username), csrf, False
        response = _resume(ctx, row.username, nxt, values) or response
    _set_cookie(
        response, ctx.request, SESSION_COOKIE, token, max_age=int(TOKEN_TTL.total_seconds())
    )
    # A new CSRF token per session: one planted before sign-in is worth nothing after it.
    _set_cookie(response, ctx.request, CSRF_COOKIE, csrf)
    return response


def _resume(
    ctx: Ctx, username: str, path: str, values: dict[str, str], notice: bool | str = True
) -> HTMLResponse | None:
    """The form the officer posted when the session had ended, given back filled (not saved):
    the new complaint, or a case's action form. None for another page (the sign-in then goes
    to `path` as usual)."""
    ctx.actor = ctx.app.service.actor(username)
    ctx.resumed = notice
    ctx.suspension = suspension_of(ctx.app, ctx.actor)
    ctx.given_back = (path, values)
    try:
        if path == "/complaints/new":
            _require(ctx, LEVELS)
            return _complaint_page(ctx, values)
        found = re.fullmatch(r"/cases/([^/?]+)/view", path)
        if found is None:
            return None
        case_id = unquote(found.group(1))
        failed = {
            "event": values.get("event", ""),
            "values": {k[2:]: v for k, v in values.items() if k.startswith("f_")},
            "note": values.get("note", ""),
            "at": values.get("at", ""),
        }
        current = str(ctx.app.service.get(case_id, ctx.me.username).version)
        if values.get("version", current) == current:
            return case_page(ctx, case_id, failed=failed)
        # the case changed while the officer was away: said, as on any stale form
        said = text("conflict", ctx.lang, current=current, expected=values.get("version"))
        error = {"message": said, "reasons": [], "reload": False}
        return case_page(ctx, case_id, 409, failed=failed, error=error)
    except EngineError:
        return None


@router.post("/logout")
def logout(_form: Form, ctx: Anyone) -> Response:
    """Sign out: every session and token of the account issued until now ends on the server
    (a copy of the cookie is refused from now on), and the browser's cookies are dropped. A
    session already ended (expired, or ended by a new password) has nothing more to end."""
    try:
        actor = page_actor(ctx.request, ctx.app)
    except EngineError:
        actor = None
    if actor is not None:
        sign_out(ctx.app.db, actor.username, ctx.app.service.clock())
    response = RedirectResponse("/login", status_code=303)
    _drop_cookie(response, ctx.request, SESSION_COOKIE)
    _drop_cookie(response, ctx.request, CSRF_COOKIE)
    return response


@router.get("/lang/{code}")
def set_language(code: str, next: str = "/") -> Response:
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(LANG_COOKIE, pick(code), max_age=365 * 86400, samesite="lax")
    return response


SWITCH_LOGIN = "/login"


@router.post("/lang/{code}")
def switch_language(code: str, form: Form, ctx: Anyone) -> Response:
    """The language switched on a page that answered a form (a refused filing or action, a
    refused sign-in): the same form comes back filled in the language chosen, not saved."""
    lang = pick(code)
    ctx.lang = lang
    path = _safe_next(form.get("next"))
    carried = {k[len(KEEP) :]: v for k, v in form.items() if k.startswith(KEEP)}
    response: Response = RedirectResponse(path, status_code=303)
    if path == SWITCH_LOGIN:
        # the form kept through the sign-in, with the token it was made with (KEPT_TOKEN):
        # without it, signing in after the switch would not give the form back
        kept = {k: v for k, v in carried.items() if k.startswith(KEEP) or k == KEPT_TOKEN}
        response = render(
            ctx,
            "login.html",
            next=_safe_next(carried.get("next")),
            error=False,
            username=carried.get("username", ""),
            notice="session_expired_form" if kept else None,
            kept=kept,
        )
    else:
        try:
            actor = page_actor(ctx.request, ctx.app)
        except EngineError:
            actor = None
        if actor is not None:
            filled = _resume(ctx, actor.username, path, carried, notice="switched")
            response = filled or response
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


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
def case_page(ctx: Ctx, case_id: str, status: int = 200, **extra: Any) -> HTMLResponse:
    app, me = ctx.app, ctx.me
    state = app.service.get(case_id, me.username)
    view = case_out(app.registry, state, me)
    mask = not sees_reporter(me, state)
    history = [event_view(c, mask=mask) for c in app.service.history(case_id, me.username)]
    definition = app.registry.get(state.workflow, state.workflow_version)
    now, cal = app.service.clock(), app.service.calendar()
    values: dict[str, Any] = {"error": None, "failed": None, "done": None}
    values.update(extra)
    kkn = None
    if state.attrs.get("type") == "kkn":  # a read of the staff register for those alone
        with app.db.reading() as s:
            kkn = kkn_step_of(s, state)
    if kkn and (kkn["case"] or kkn["dismissed"]):  # linked where the officer may open it
        kkn["readable"] = "kkn" not in app.service.unreadable(me)
    return render(
        ctx,
        "case.html",
        status,
        kkn=kkn,
        case=view,
        zone=state.zone,
        region_name=pv.region_label(state.region),
        stage_due=pv.deadline(state, state.stage_due, now, cal),
        level_due=pv.deadline(state, state.level_due, now, cal),
        # a suspended officer may do nothing (the engine refuses): no forms to fill in vain
        forms=[]
        if ctx.suspension
        else [
            pv.event_form(app, definition, state, me, e, ctx.lang) for e in view["allowed_events"]
        ],
        timeline=pv.timeline(history, ctx.lang),
        state_label=lambda name: pv.state_label(definition, name, ctx.lang),
        workflow_title=definition.title_en if ctx.lang == "en" else definition.title_id,
        komponen={c: code_name("komponen", c, ctx.lang) for c in KC.KOMPONEN},
        hubungan={c: code_name("hubungan_keluarga", c, ctx.lang) for c in KC.HUBUNGAN},
        **values,
    )


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
        command = pv.command_data(state.workflow, event, data)
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
def _require(ctx: Ctx, roles: tuple[str, ...]) -> None:
    if ctx.me.role not in roles:
        raise PageRefused(lambda lang: text("forbidden_roles", lang, roles=roles_text(roles, lang)))


def _complaint_page(
    ctx: Ctx, values: dict[str, str], status: int = 200, error: Any = None
) -> HTMLResponse:
    return render(
        ctx,
        "complaint_new.html",
        status,
        v=values,
        error=error,
        types=TYPES,
        channels=CHANNELS,
        levels=LEVELS,
        kinds=REPORTER_KINDS,
        zones=[z.value for z in Zone],
    )


@router.get("/complaints/new")
def new_complaint(ctx: Page) -> HTMLResponse:
    _require(ctx, LEVELS)
    values = pv.complaint_defaults(ctx.me, ctx.app.service.clock())
    # the form's own key: sent twice (a second click while a slow answer was on its way), it
    # is one complaint; kept when the form is given back after a mistake or a sign-in
    return _complaint_page(ctx, values | {"once": secrets.token_urlsafe(16)})


@router.post("/complaints/new")
def file_complaint(form: Form, ctx: Page) -> Response:
    _require(ctx, LEVELS)
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
        return _complaint_page(ctx, values, status, error)
    return RedirectResponse(f"{case_url(state.id)}?done=file", status_code=303)


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

    _require(ctx, LEVELS)
    waiting, more = waiting_letters(ctx.app.db, _may_print(ctx), region=ctx.me.region)
    return render(ctx, "letters.html", letters=waiting, more=more, done=done == "printed")


@router.get("/letters/{letter_id}")
def letter(ctx: Page, letter_id: int) -> HTMLResponse:
    """The letter as a printable A4 page (the browser's print prints just the letter)."""
    from notifications.paper import letter_page

    _require(ctx, LEVELS)
    html = letter_page(
        ctx.app.db, ctx.app.settings, letter_id, ctx.app.service.clock(), _may_print(ctx)
    )
    return HTMLResponse(html, headers=HEADERS)


@router.post("/letters/{letter_id}/printed")
def letter_printed(form: Form, ctx: Page, letter_id: int) -> Response:
    from notifications.paper import mark_printed

    _require(ctx, LEVELS)
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
) -> HTMLResponse:
    _require(ctx, AUDITORS)
    # a case number as officers type it ("adu-2026-000014"): case numbers are upper case
    form = {"case_id": case_id.strip().upper(), "at": at, "zone": zone, "basis": basis}
    return _audit_page(ctx, form, started=bool(started))


@router.post("/audit/whole")
def start_whole_verify(form: Form, ctx: Page) -> Response:
    """A national auditor starts a whole-store verification (the API's POST /audit/runs)."""
    _require(ctx, AUDITORS)
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
    result, error = None, None
    if form["case_id"]:
        try:
            result = pv.audit_case(ctx.app, ctx.me, form, ctx.lang)
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
