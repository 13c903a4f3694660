"""What every officer page is made of: the context a route gets (`Ctx`), its cookies, the
template rendering with the pages' words, and what a form carries through a language switch or
a sign-in (the kept fields' names, `KEEP`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from api.http import AUDITOR_ROLES, CSRF_COOKIE, cookie_name
from api.i18n import (
    attr_label,
    day_text,
    field_label,
    label,
    note_text,
    roles_text,
    text,
    translator,
    when,
)
from api.wiring import App
from engine.audit import problem_subject
from engine.errors import NotPermitted
from engine.state import Actor
from workflows.complaint_codes import LEVELS
from workflows.indonesia import zone_label
from workflows.roles import MASK

LANG_COOKIE = "lang"
AUDITORS = AUDITOR_ROLES
# Not /cases/{id}: the JSON API answers there, and its router is included first.
CASE_PAGE = "/cases/{case_id}/view"
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


def _problem_subject(problem: Mapping[str, Any], lang: str) -> str:
    """What a problem verify found is about (engine.audit.problem_subject), in the page's
    language: a checkpoint is 'titik periksa N' in Indonesian."""
    if lang == "id" and problem.get("case_id") is None:
        cp = problem.get("checkpoint")
        return f"titik periksa {cp}" if cp is not None else "titik periksa"
    return problem_subject(problem)


ENV.globals["problem_subject"] = _problem_subject


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


def read_cookie(request: Request, name: str) -> str:
    return request.cookies.get(cookie_name(request, name)) or ""


def set_cookie(response: Response, request: Request, name: str, value: str, **kw: Any) -> None:
    response.set_cookie(
        cookie_name(request, name),
        value,
        httponly=True,
        samesite="lax",
        secure=_https(request),
        **kw,
    )


def drop_cookie(response: Response, request: Request, name: str) -> None:
    # a browser takes a `__Host-` cookie's deletion only with Secure, as it took the cookie
    response.delete_cookie(
        cookie_name(request, name), httponly=True, samesite="lax", secure=_https(request)
    )


VERIFY_TRIGGER = "verifikasi_komitmen"


def verify_roles(app: App) -> tuple[str, ...]:
    """The officers' roles the KPM workflow lets record a month's commitment verification
    (the engine's own table, as `kpm_store.check_door` reads it; `system` is no officer):
    the roles the navigation links to its upload page (api.page_kpm) for."""
    transitions = app.registry.get("kpm").transitions
    roles = {r for t in transitions if t.trigger == VERIFY_TRIGGER for r in t.roles}
    return tuple(sorted(roles - {"system"}))


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
        verifiers=verify_roles(ctx.app),
        suspension=ctx.suspension,
        resumed=ctx.resumed,
        switch=_switch_carries(ctx, name, values),
        **values,
    )
    response = HTMLResponse(html, status_code=status, headers=HEADERS)
    if ctx.fresh_csrf:
        set_cookie(response, ctx.request, CSRF_COOKIE, ctx.csrf_key)
    return response


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


# Fields of a form that are never carried through a sign-in (nor ever put into a URL).
NOT_KEPT = frozenset({"csrf", "password", "username", "next"})
KEEP = "keep."
# The kept form's own CSRF token, carried beside it: the form comes back only to the officer
# it was made for (`made_for`), never one an attacker's page posted to land on the sign-in.
KEPT_TOKEN = "kept_csrf"


SWITCH_LOGIN = "/login"


def safe_next(value: str | None) -> str:
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    return value


def require_roles(ctx: Ctx, roles: tuple[str, ...]) -> None:
    if ctx.me.role not in roles:
        raise PageRefused(lambda lang: text("forbidden_roles", lang, roles=roles_text(roles, lang)))
