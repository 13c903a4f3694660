"""Who is asking, and whether the form is theirs: the session behind a page and its CSRF token.

Every POST form carries a CSRF token: the browser's `pkh_csrf` cookie, and for a signed-in
officer a MAC of it and the officer's name with the server's key (`form_token`), so a cookie
planted by a sibling subdomain makes no token for anyone signed in. The routes take these as
dependencies: `Page` (signed in), `Anyone`, `Form` (the posted fields, token checked).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, Request

from api.http import CSRF_COOKIE, SESSION_COOKIE, AppDep, Unauthenticated, page_actor
from api.i18n import pick
from api.page_frame import LANG_COOKIE, Ctx, read_cookie
from api.security import InvalidToken, read_token
from api.wiring import App
from engine.state import Actor
from engine.store.credentials import CredentialsChanged, SignedOut
from engine.store.repository import CASES, load_events
from engine.store.tables import StaffRow


class LoginRequired(Exception):
    def __init__(self, next_path: str, ended: str | None = None) -> None:
        self.next_path = next_path
        # why the session ended on the server, said on the sign-in page (a key of ENDED):
        # "password" (opened before the password was changed), "signed_out" (before the
        # account signed out); None: no session, or it expired
        self.ended = ended


class CsrfRejected(Exception):
    pass


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
    cookie = read_cookie(request, SESSION_COOKIE)
    if not cookie:
        return ""
    try:
        secret, now = app.settings.secret_key, app.service.clock()
        return str(read_token(cookie, secret, now, expired_ok=True))
    except InvalidToken:
        return ""


def request_context(request: Request, *, signed_out: bool = False) -> Ctx:
    """`signed_out`: the answer drops the session cookie, so its forms are made for nobody."""
    key = read_cookie(request, CSRF_COOKIE)
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
    return request_context(request)


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
    since when (recorded) and by which KKN case where the staff register says so."""
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
        # the last time the case entered `suspended`, as RECORDED: the engine relieves them of
        # duty from then (the letter's "terhitung sejak" says that day), not from when the
        # complaint naming them was received (its filing may be backdated)
        for chained in load_events(s, row.id):
            if chained.event.changes.get("state") == "suspended":
                since = chained.event.recorded_at
        return {"since": since, "zone": row.zone, "case": row.id}


async def posted(request: Request) -> dict[str, str]:
    """The form's fields, once its CSRF token is the one this browser's cookie and session
    make (form_token)."""
    form = await request.form()
    data = {k: v for k, v in form.items() if isinstance(v, str)}
    sent, cookie = data.pop("csrf", ""), read_cookie(request, CSRF_COOKIE)
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
