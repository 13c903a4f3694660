"""The officer pages' route classes: errors a page can meet (not signed in, bad token, engine
refusals) are turned into pages here, by the routers' own route class, so the JSON API's error
handlers never answer a browser."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute

from api import page_views as pv
from api.http import SESSION_COOKIE, Unauthenticated, page_actor
from api.i18n import pick
from api.page_forms import expired_post, rejected_post
from api.page_frame import LANG_COOKIE, PageRefused, drop_cookie, render
from api.page_session import CsrfRejected, LoginRequired, request_context
from engine.errors import (
    CaseNotFound,
    EngineError,
    InvalidInput,
    NotFound,
    NotPermitted,
    StoredDataUnreadable,
)
from engine.store.credentials import CredentialsChanged


def problem_page(request: Request, status: int, key: str, detail: str = "") -> HTMLResponse:
    ctx = request_context(request)
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
                drop_cookie(ended, request, SESSION_COOKIE)
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
