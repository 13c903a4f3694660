"""The sign-in and sign-out pages and the language switch (`/lang/{code}`)."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.admin import sign_out
from api.http import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    TOKEN_TTL,
    AccountDisabled,
    checked_sign_in,
    page_actor,
)
from api.i18n import pick
from api.page_forms import resume
from api.page_frame import (
    KEEP,
    KEPT_TOKEN,
    LANG_COOKIE,
    SWITCH_LOGIN,
    drop_cookie,
    render,
    safe_next,
    set_cookie,
)
from api.page_routing import PageRoute
from api.page_session import Anyone, Form, form_token, made_for
from api.security import create_token
from api.throttle import TooManySignIns
from engine.errors import EngineError

router = APIRouter(route_class=PageRoute, include_in_schema=False)


ENDED = {
    "password": "signed_in_before_password_change",
    "signed_out": "signed_out_notice",
    "expired": "session_expired_form",
}


@router.get("/login")
def login_page(ctx: Anyone, next: str = "/", ended: str | None = None) -> HTMLResponse:
    notice = ENDED.get(ended or "")
    return render(
        ctx, "login.html", next=safe_next(next), error=False, username="", notice=notice, kept={}
    )


@router.post("/login")
def login(form: Form, ctx: Anyone) -> Response:
    username = form.get("username", "").strip()
    nxt = safe_next(form.get("next"))
    kept = {k: v for k, v in form.items() if k.startswith(KEEP) or k == KEPT_TOKEN}
    try:
        row = checked_sign_in(ctx.app, ctx.request, username, form.get("password", ""))
    except AccountDisabled:  # the right password: they may know why they cannot sign in
        return render(
            ctx, "login.html", 403, next=nxt, error=False, username=username,
            notice=None, disabled=True, kept=kept,
        )  # fmt: skip
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
        response = resume(ctx, row.username, nxt, values) or response
    set_cookie(response, ctx.request, SESSION_COOKIE, token, max_age=int(TOKEN_TTL.total_seconds()))
    # A new CSRF token per session: one planted before sign-in is worth nothing after it.
    set_cookie(response, ctx.request, CSRF_COOKIE, csrf)
    return response


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
    drop_cookie(response, ctx.request, SESSION_COOKIE)
    drop_cookie(response, ctx.request, CSRF_COOKIE)
    return response


@router.get("/lang/{code}")
def set_language(code: str, next: str = "/") -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(LANG_COOKIE, pick(code), max_age=365 * 86400, samesite="lax")
    return response


@router.post("/lang/{code}")
def switch_language(code: str, form: Form, ctx: Anyone) -> Response:
    """The language switched on a page that answered a form (a refused filing or action, a
    refused sign-in): the same form comes back filled in the language chosen, not saved."""
    lang = pick(code)
    ctx.lang = lang
    path = safe_next(form.get("next"))
    carried = {k[len(KEEP) :]: v for k, v in form.items() if k.startswith(KEEP)}
    response: Response = RedirectResponse(path, status_code=303)
    if path == SWITCH_LOGIN:
        # the form kept through the sign-in, with the token it was made with (KEPT_TOKEN):
        # without it, signing in after the switch would not give the form back
        kept = {k: v for k, v in carried.items() if k.startswith(KEEP) or k == KEPT_TOKEN}
        response = render(
            ctx,
            "login.html",
            next=safe_next(carried.get("next")),
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
            filled = resume(ctx, actor.username, path, carried, notice="switched")
            response = filled or response
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response
