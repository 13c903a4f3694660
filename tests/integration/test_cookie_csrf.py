"""The officer pages' session cookie signs in the pages, not changes over the JSON API.

SameSite=Lax keeps the cookie off a cross-site form, but a sibling subdomain is the same site:
its page could send the browser's cookie with a POST that needs no preflight and no body to a
route that checks no CSRF token, and start a whole-store verification or sign the officer out.
(A JSON body needs `Content-Type: application/json`, which a browser sends cross-origin only
after a preflight this server never grants.) A change over the API now needs the bearer token,
whatever its body; the cookie still reads (the monthly report's page opens with it).
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api.http import create_app
from api.wiring import App
from engine.store import audit_runs
from tests.integration.test_api import api_routes, client_for, token

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
NOT_SIGNED_IN = {"/auth/token"}  # the sign-in itself


def _page_browser(app: App, username: str) -> TestClient:
    """A browser signed in to the officer pages: only the session cookie, no bearer token."""
    web = client_for(app)
    web.cookies.set("pkh_session", token(app, username))
    return web


def _filled(path: str) -> str:
    dated = ("{day}", "{date}")
    return re.sub(r"\{[^}]+\}", lambda m: "2026-08-17" if m.group(0) in dated else "1", path)


def test_every_changing_api_route_refuses_the_page_cookie_without_a_bearer_token(
    app: App,
) -> None:
    web = _page_browser(app, "admin")
    assert web.get("/me").status_code == 200  # the cookie reads
    changing = sorted((m, p) for m, p in api_routes(web.app) if m in UNSAFE)  # type: ignore[arg-type]
    assert ("POST", "/audit/runs") in changing and ("POST", "/auth/logout") in changing
    for method, path in changing:
        if path in NOT_SIGNED_IN:
            continue
        # no Content-Type: a "simple" request a browser sends without asking first
        r = web.request(method, _filled(path), content=b"{}")
        assert r.status_code == 401, (method, path, r.status_code, r.text)
        assert r.json()["error"] == "unauthenticated"


def test_the_cookie_neither_starts_a_verification_nor_signs_the_officer_out(app: App) -> None:
    web = _page_browser(app, "auditor")
    assert web.post("/audit/runs").status_code == 401
    assert audit_runs.recent(app.db, app.service.clock(), 5) == []
    assert web.post("/auth/logout").status_code == 401
    assert web.get("/me").status_code == 200  # still signed in


@pytest.mark.parametrize("path", ["/logout"])
def test_the_pages_own_forms_still_take_the_cookie_with_their_csrf_token(
    app: App, path: str
) -> None:
    with TestClient(create_app(app)) as web:
        web.cookies.set("pkh_session", token(app, "kab.bogor"))
        page = web.get("/")
        assert page.status_code == 200
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None
        out = web.post(path, data={"csrf": csrf.group(1)}, follow_redirects=False)
        assert out.status_code == 303
