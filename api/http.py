"""The FastAPI application: wiring, dependencies, and the one place errors become responses."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Annotated, Any

import anyio.to_thread
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import OAuth2PasswordBearer
from fastapi_offline import FastAPIOffline
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.admin import password_ok, sign_in_account, verify_password
from api.security import InvalidToken, read_token
from api.throttle import TooManySignIns
from api.wiring import App, build_app
from engine.errors import (
    AlreadyRunning,
    CaseNotFound,
    ConcurrencyConflict,
    EngineError,
    GuardRejected,
    InvalidInput,
    NotFound,
    NotPermitted,
    StoredDataUnreadable,
    TransitionNotAllowed,
)
from engine.state import Actor
from engine.store.credentials import CredentialsChanged
from engine.store.tables import UserRow
from workflows.roles import AUDITOR_ROLES

log = logging.getLogger("pkh.api")
TOKEN_TTL = timedelta(hours=8)
oauth2 = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)


class Unauthenticated(EngineError):
    code = "unauthenticated"


async def get_pkh(request: Request) -> App:
    # async: no I/O here, so no trip through the thread pool (FastAPI runs sync dependencies
    # in worker threads, one hop each)
    return request.app.state.pkh  # type: ignore[no-any-return]


AppDep = Annotated[App, Depends(get_pkh)]


SESSION_COOKIE, CSRF_COOKIE = "pkh_session", "pkh_csrf"


def cookie_name(request: Request, name: str) -> str:
    """The name of the pages' cookie `name` on this request: over HTTPS `__Host-` first, which a
    browser takes only from this very host (Secure, Path=/, no Domain), so a sibling subdomain
    can plant neither a session of its own nor the CSRF cookie; plain HTTP (pkh serve on
    127.0.0.1) cannot have it, and keeps the plain name."""
    return f"__Host-{name}" if request.url.scheme == "https" else name


# Methods that change nothing: the only ones the pages' session cookie signs in over the API.
READING = frozenset({"GET", "HEAD", "OPTIONS"})
COOKIE_CANNOT_CHANGE = (
    "the officer pages' session cookie does not sign in a change over the API: "
    "send the bearer token (Authorization: Bearer)"
)


def _username(request: Request, app: App, token: str | None, *, page: bool = False) -> str:
    """`page`: an officer page's route, whose forms check their CSRF token (api.page_session). The
    JSON API checks none, so there the cookie signs in reading only: a same-site page (a sibling
    subdomain: SameSite=Lax sends the cookie) could otherwise POST with no body, which needs no
    preflight, and start a whole-store verification or sign the officer out."""
    if not token:
        token = request.cookies.get(cookie_name(request, SESSION_COOKIE))
        if token and not page and request.method not in READING:
            raise Unauthenticated(COOKIE_CANNOT_CHANGE)
    if not token:
        raise Unauthenticated("not signed in")
    try:
        return read_token(token, app.settings.secret_key, app.service.clock())
    except InvalidToken as e:
        raise Unauthenticated(f"invalid token: {e}") from None


async def token_user(
    request: Request, app: AppDep, token: Annotated[str | None, Depends(oauth2)] = None
) -> str:
    """The username a valid bearer token (API) or session cookie (pages) was issued to; the
    account itself is not read here (async: a signature check, no I/O). For routes whose
    command reads the account in its own transaction: the name carries when the token was
    issued (`SignedIn`), and that read refuses it if the password changed since (401)."""
    return _username(request, app, token)


TokenUser = Annotated[str, Depends(token_user)]
NO_LONGER_ACTIVE = "the account is no longer active"
# the right password of a disabled account (AccountDisabled)
DISABLED = "the account is disabled: ask an administrator to enable it again"


def current_actor(
    request: Request, app: AppDep, token: Annotated[str | None, Depends(oauth2)] = None
) -> Actor:
    """The signed-in user, from a bearer token (API) or the session cookie (pages), read from
    the store: an account made inactive is refused at once."""
    return active_actor(app, _username(request, app, token))


def page_actor(request: Request, app: App) -> Actor:
    """The signed-in officer of a page's request, from the session cookie (its forms carry
    the CSRF token the page checks)."""
    return active_actor(app, _username(request, app, None, page=True))


def active_actor(app: App, username: str) -> Actor:
    """The account a token was issued to, read from the store (inactive or gone: 401; the
    token older than the account's password: CredentialsChanged, 401). A route taking
    `TokenUser` calls it in its own thread: FastAPI runs each sync dependency in a worker
    thread of its own, a hop that cost about as much as the read under load."""
    try:
        return app.service.actor(username)
    except NotFound:
        raise Unauthenticated(NO_LONGER_ACTIVE) from None


CurrentActor = Annotated[Actor, Depends(current_actor)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


class AccountDisabled(Exception):
    """The right password of an account an admin has disabled: said as such to whoever
    typed it (they know the password), never to a wrong one, which reads as any other."""


def checked_sign_in(app: App, request: Request, typed: str, password: str) -> UserRow | None:
    """The account a sign-in's name and password open, or None; TooManySignIns (429) when
    this address has failed too often lately (api.throttle), before the password is checked;
    AccountDisabled for the right password of a disabled account (it stays counted a failure).
    The attempt is counted as a failure before its password is checked and taken back when
    it is right, so parallel guesses cannot all pass the count first (api.throttle)."""
    attempt = app.sign_ins.attempt(client_address(request), typed, app.service.clock())
    with app.db.reading() as s:
        row = sign_in_account(s, typed)
    if row is not None and not row.active and row.password_hash:
        # one check of the password, as for any account (an unknown name costs one too)
        if verify_password(password, row.password_hash):
            raise AccountDisabled(row.username)
        return None
    if not password_ok(row, password):  # as long for an unknown name as for a known one
        return None  # the attempt stays counted: a failure
    app.sign_ins.succeeded(attempt)
    return row


def require_role(*roles: str) -> Any:
    async def check(actor: CurrentActor) -> Actor:
        if actor.role not in roles:
            # the role and the roles that may: the pages say it in their words and language
            raise NotPermitted(
                f"this needs the role {' or '.join(roles)}", role=actor.role, allowed=roles
            )
        return actor

    return Depends(check)


Auditors = require_role(*AUDITOR_ROLES)

STATUS = {
    CaseNotFound: 404,
    NotFound: 404,
    TransitionNotAllowed: 409,
    ConcurrencyConflict: 409,
    AlreadyRunning: 409,
    StoredDataUnreadable: 409,  # the store was altered outside pkh; the request is fine
    GuardRejected: 422,
    InvalidInput: 422,
    NotPermitted: 403,
    Unauthenticated: 401,
    CredentialsChanged: 401,
    TooManySignIns: 429,
}


def _engine_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, EngineError)
    status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 422)
    body = exc.as_dict()
    if isinstance(exc, NotPermitted) and exc.out_of_scope:
        status, body = 404, {"error": "case_not_found", "message": "case not found"}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if isinstance(exc, TooManySignIns):
        headers = {"Retry-After": str(exc.retry_after)}
    return JSONResponse(body, status_code=status, headers=headers)


# pydantic names the member of a union a value failed (`data.hapus.constrained-str`, then
# `.int`, `.bool`): the client sent one value, so it is told once, under the field's name
UNION_MEMBERS = frozenset({"constrained-str", "str", "int", "bool", "float", "none"})
SCALAR_EXPECTED = (
    "must be text, a whole number, true/false or null (a list or an object goes as JSON text)"
)


def _field_errors(raw: list[Any]) -> list[dict[str, str]]:
    errors: dict[str, dict[str, str]] = {}
    for e in raw:
        loc = [str(p) for p in e.get("loc", ()) if p != "body"]
        # a body that is not JSON at all: its loc is a character position, not a field
        field = "body" if e.get("type") == "json_invalid" else ".".join(loc)
        field = field or "body"  # the body itself: not an object (a list, a string) or none
        message = e.get("msg", "invalid")
        if loc and loc[-1] in UNION_MEMBERS and field != "body":
            field = ".".join(loc[:-1])
            too_long = e.get("type") == "string_too_long"
            if field in errors and not too_long:
                continue
            message = message if too_long else SCALAR_EXPECTED
        errors[field] = {"field": field, "message": message}
    return list(errors.values())


def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _field_errors(list(exc.errors()))
    first = errors[0] if errors else {"field": "", "message": "invalid request"}
    return JSONResponse(
        {
            "error": "invalid_input",
            "field": first["field"],
            "message": f"{first['field']}: {first['message']}",
            "errors": errors,
        },
        status_code=422,
    )


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404 and request.method == "GET" and _browser(request):
        # an officer's mistyped or outdated address: the officer pages' own "not found" page
        from api.page_routing import problem_page

        try:
            return problem_page(request, 404, "not_found")
        except OperationalError:  # the session's account could not be read: the plain answer
            pass
    return JSONResponse(
        {"error": "http_error", "message": str(exc.detail)},
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


def _browser(request: Request) -> bool:
    """A browser navigating (it asks for HTML), not an API client."""
    return "text/html" in request.headers.get("accept", "")


def _storage_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    """The database could not be reached or answer in time (a lost or refused PostgreSQL
    connection, SQLite busy past its timeout). The request may be sent again; a command sent
    again with the same Idempotency-Key is applied at most once (a connection lost during the
    commit leaves its outcome unknown to this process)."""
    log.warning("storage unavailable: %s", str(exc).splitlines()[0] if str(exc) else exc)
    return JSONResponse(
        {
            "error": "storage_unavailable",
            "message": "the database is unavailable for a moment; try again "
            "(with the same Idempotency-Key for a command)",
        },
        status_code=503,
        headers={"Retry-After": "1"},
    )


def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=exc)
    return JSONResponse(
        {"error": "internal_error", "message": "unexpected error; logged"}, status_code=500
    )


# Every answer that does not set its own (the officer pages do: api.page_frame.HEADERS): nothing of
# it may be framed, sniffed into another type, cached or told in a Referer, and an HTML one (the
# monthly report) runs no script and loads nothing. The OpenAPI pages (Swagger UI, ReDoc) load
# their scripts from this server (fastapi-offline's copies, under DOCS_STATIC), never from a CDN:
# DOCS_CSP lets them run their own scripts and the one inline start-up script FastAPI writes.
BASELINE_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
)
API_CSP = (
    b"default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    b"frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
DOC_PAGES = ("/docs", "/redoc")
DOCS_STATIC = "/docs-static"
DOCS_CSP = (
    b"default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    b"img-src 'self' data:; connect-src 'self'; worker-src blob:; "
    b"frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


class SecurityHeaders:
    """Adds BASELINE_HEADERS (and API_CSP) to a response that does not set them itself."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = str(scope.get("path", "")).startswith(DOC_PAGES)

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {k.lower() for k, _ in headers}
                added = [(k, v) for k, v in BASELINE_HEADERS if k not in present]
                if b"content-security-policy" not in present:
                    added.append((b"content-security-policy", DOCS_CSP if docs else API_CSP))
                message = {**message, "headers": headers + added}
            await send(message)

        await self.app(scope, receive, with_headers)


def create_app(pkh: App | None = None) -> FastAPI:
    from api import (
        page_cases,
        page_kpm,
        page_office,
        page_sign_in,
        routes_admin,
        routes_cases,
        routes_reports,
        routes_staff,
    )

    pkh = pkh or build_app()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # the thread pool FastAPI runs sync routes and dependencies in (see Settings.api_threads)
        anyio.to_thread.current_default_thread_limiter().total_tokens = pkh.settings.api_threads
        yield

    # FastAPI's own /docs and /redoc load Swagger UI and ReDoc from a CDN, which an office
    # network (or this machine) may not reach: fastapi-offline serves the same pages with the
    # scripts from this server. No validator badge: it would call validator.swagger.io.
    app = FastAPIOffline(
        static_url=DOCS_STATIC,
        swagger_ui_parameters={"validatorUrl": None},
        lifespan=lifespan,
        title="pkh-casework",
        version="0.1.0",
        description="PKH complaint and case handling: cases, transitions, audit.",
    )
    app.state.pkh = pkh
    app.add_exception_handler(EngineError, _engine_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(OperationalError, _storage_unavailable)
    app.add_exception_handler(Exception, _unexpected)
    app.include_router(routes_cases.router)
    app.include_router(routes_admin.router)
    app.include_router(routes_reports.router)
    app.include_router(routes_staff.router)
    app.include_router(page_sign_in.router)  # the officer pages
    app.include_router(page_cases.router)
    app.include_router(page_office.router)
    app.include_router(page_kpm.router)

    from api.guard import InputGuard

    app.add_middleware(InputGuard)
    app.add_middleware(SecurityHeaders)  # outermost: the guard's own answers get them too

    @app.get("/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    _build_routes(app)
    return app


def _build_routes(app: FastAPI) -> None:
    """Build the included routers' routes now rather than at the first request that needs
    them (FastAPI 0.14x and later does it lazily). Built lazily, two apps first served from
    two threads at once (the tests' TestClients) ran FastAPI's `warnings.catch_warnings()`
    concurrently, which is not thread-safe before Python 3.14, and pydantic warnings leaked;
    and the first request paid for the building."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover - older FastAPI builds every route at include_router
        return
    for _route in iter_route_contexts(app.router.routes):
        pass


def app_from_settings() -> FastAPI:
    """The application built from the environment's settings (PKH_*): the factory each uvicorn
    worker process calls when `pkh serve --workers N` runs several."""
    from api.wiring import build_app
    from engine.settings import get_settings

    return create_app(build_app(get_settings()))
