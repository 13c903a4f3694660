"""An ASGI guard in front of every route: request size limits and NUL characters.

Bodies over the limit get 413 before the application reads them; a NUL character anywhere in the
path, query or body (raw, %00 or \\u0000) gets 422, since PostgreSQL text cannot hold it and no
field of this system needs it. The answer names the field where it can; a form posted from an
officer page is answered with a page (in the officer's language), not JSON.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Match

MAX_BODY = 1_000_000  # bytes
# \u0000 that is itself an escape (an even number of backslashes before it, none counts)
JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


async def _answer(
    send: Any, status: int, error: str, message: str, field: str | None = None
) -> None:
    said: dict[str, str] = {"error": error, "message": message}
    if field:
        said = {**said, "field": field, "message": f"{field}: {message}"}
    body = json.dumps(said).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


NUL_EN = "contains a NUL character, which is not accepted"
NUL_ID = "mengandung karakter NUL, yang tidak diterima"


def _nul_in(value: Any, path: str = "") -> str | None:
    """The dotted name of the first place in a decoded JSON value holding a NUL, if any."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, inner in items:
        if "\x00" in str(key):
            return path or "body"
        found = _nul_in(inner, f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


def _nul_field(body: bytes, form: bool) -> str:
    """Which field of the body holds the NUL ("" when that cannot be told)."""
    try:
        if form:
            pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
            return next((k for k, v in pairs if "\x00" in k + v), "")
        return _nul_in(json.loads(body, strict=False)) or ""
    except (ValueError, RecursionError):  # not JSON (multipart, bytes), or nested past telling
        return ""


def _for_a_page(scope: Any) -> bool:
    """Whether the request is for an officer page (those answer with pages, not JSON)."""
    from api.page_routing import BrowserRoute, PageRoute, _page_asked

    for route in getattr(getattr(scope.get("app"), "router", None), "routes", ()):
        if route.matches(scope)[0] is Match.FULL:
            # FastAPI keeps an included router whole (its `original_router`) or flattens it
            router = getattr(route, "original_router", route)
            kind = getattr(router, "route_class", None)
            if kind is PageRoute or isinstance(route, PageRoute):
                return True
            # a JSON route a browser also opens (the report's page): as that route answers
            return (kind is BrowserRoute or isinstance(route, BrowserRoute)) and _page_asked(
                Request(scope)
            )
    return False


async def _answer_page(scope: Any, send: Any, field: str) -> None:
    """The officer page saying which field holds the NUL, as other form errors say it."""
    from api.i18n import field_label, pick
    from api.page_frame import LANG_COOKIE
    from api.page_routing import problem_page

    request = Request(scope)
    lang = pick(request.cookies.get(LANG_COOKIE))
    said = NUL_ID if lang == "id" else NUL_EN
    # the action forms name the engine's fields `f_<name>`
    name = field.removeprefix("f_")
    detail = f"{field_label(name, lang)}: {said}" if name else said
    page = await run_in_threadpool(problem_page, request, 422, "bad_request", detail)
    await page(scope, _nothing, send)


async def _too_large_page(scope: Any, send: Any, max_body: int) -> None:
    """An officer page's form over the limit (an uploaded file): a page saying so in the
    officer's language, with the limit, and a way back to the form."""
    from api.i18n import pick, text
    from api.page_frame import LANG_COOKIE
    from api.page_routing import problem_page

    request = Request({**scope, "method": "GET"})  # the page's own address: "back to the form"
    lang = pick(request.cookies.get(LANG_COOKIE))
    detail = text("too_large_text", lang, mb=max_body // 1_000_000)
    page = await run_in_threadpool(problem_page, request, 413, "too_large", detail)
    await page(scope, _nothing, send)


async def _drained(receive: Any, limit: int) -> bool:
    """Read the rest of a body over the limit (never kept) so that a browser still sending it
    reads the answer instead of a reset connection; False when the client left, or when the
    body runs past `limit` too (then the answer comes anyway)."""
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return False
        size += len(message.get("body", b""))
        if not message.get("more_body", False):
            return True
        if size > limit:
            return True


async def _nothing() -> dict[str, Any]:  # the body was read already; the page does not need it
    return {"type": "http.request", "body": b"", "more_body": False}


# Officer pages that take an uploaded file (multipart), whose bytes may hold NULs
UPLOADS = frozenset({"/kpm/verifikasi"})
# How much of a body over the limit an officer page's form still reads (and drops) so that
# the browser, still sending it, shows the page saying so instead of a reset connection
DRAIN = 64_000_000


class InputGuard:
    def __init__(self, app: Any, max_body: int = MAX_BODY) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope.get("raw_path", b"") + b"?" + scope.get("query_string", b"")
        if any(m in head for m in (b"\x00", b"%00")):
            if _for_a_page(scope):  # an officer page's address (a search typed in): a page
                await _answer_page(scope, send, "")
                return
            await _answer(send, 422, "invalid_input", "NUL characters are not accepted")
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            await self._too_large(scope, receive, send, read=0)
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                more = message.get("more_body", False)
                await self._too_large(scope, receive if more else _nothing, send, read=size)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        kind = dict(scope.get("headers") or []).get(b"content-type", b"")
        form = b"form-urlencoded" in kind
        # an uploaded file is read by its own reader, which refuses a NUL in a CSV with its
        # line (and a workbook is binary); the form's other field is its CSRF token
        upload = kind.startswith(b"multipart/form-data") and scope.get("path") in UPLOADS
        nul = b"\x00" in body or JSON_NUL.search(body) or (form and b"%00" in body)
        if nul and not upload:
            field = _nul_field(body, form)
            if form and _for_a_page(scope):
                await _answer_page(scope, send, field)
                return
            await _answer(send, 422, "invalid_input", "NUL characters are not accepted", field)
            return
        sent = False

        async def replay() -> Any:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Any, receive: Any, send: Any, read: int) -> None:
        if _for_a_page(scope):
            if await _drained(receive, DRAIN - read):
                await _too_large_page(scope, send, self.max_body)
            return
        await _answer(send, 413, "payload_too_large", f"request body over {self.max_body} bytes")
