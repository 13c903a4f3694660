"""Signing out ends the session on the server, not only in the browser.

Before, "Keluar" only deleted the cookies: a copy of the session cookie (a shared kiosk's
browser history, a proxy's log) kept working for the rest of its 8 hours. Now signing out
records the moment on the account, and every session and bearer token of that account issued
before it is refused, on the SQLite file and on PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from api.admin import add_user
from api.http import create_app
from api.wiring import App
from tests.conftest import Clock, complaint_data
from tests.e2e.test_pages import csrf_from
from tests.integration.test_api import client_for

PASSWORD = "sandi-keluar-123"
SIGNED_OUT = "signed out: sign in again"
SIGNED_OUT_ID = "Anda telah keluar. Silakan masuk lagi."


def _page_session(web: TestClient, username: str) -> dict[str, str]:
    web.get("/login")
    form = {"csrf": web.cookies["pkh_csrf"], "username": username, "password": PASSWORD}
    assert web.post("/login", data={**form, "next": "/"}, follow_redirects=False).status_code == 303
    return {"pkh_session": web.cookies["pkh_session"], "pkh_csrf": web.cookies["pkh_csrf"]}


def test_a_copied_session_cookie_is_refused_once_its_officer_signed_out(
    app: App, clock: Clock
) -> None:
    add_user(app.db, "kab.keluar", "kabupaten", "3271", now=clock(), password=PASSWORD)
    case_id = app.service.open_case("complaint", complaint_data(), "kab.bogor").id
    with TestClient(create_app(app)) as web, TestClient(create_app(app)) as thief:
        cookies = _page_session(web, "kab.keluar")
        thief.cookies.update(cookies)  # the same cookie, copied elsewhere
        assert thief.get(f"/cases/{case_id}/view", follow_redirects=False).status_code == 200

        clock.set(clock() + timedelta(minutes=5))
        out = web.post("/logout", data={"csrf": csrf_from(web, "/")}, follow_redirects=False)
        assert out.status_code == 303 and out.headers["location"] == "/login"
        assert "pkh_session" not in web.cookies

        page = thief.get(f"/cases/{case_id}/view", follow_redirects=False)
        assert page.status_code == 303
        assert page.headers["location"] == f"/login?next=/cases/{case_id}/view&ended=signed_out"
        told = thief.get(page.headers["location"])
        assert told.status_code == 200 and SIGNED_OUT_ID in told.text

        # signing in again opens a new session
        clock.set(clock() + timedelta(minutes=1))
        _page_session(web, "kab.keluar")
        assert web.get("/", follow_redirects=False).status_code == 200


def test_signing_out_over_the_api_ends_the_accounts_tokens_and_pages_alike(
    app: App, clock: Clock
) -> None:
    add_user(app.db, "kab.keluar", "kabupaten", "3271", now=clock(), password=PASSWORD)
    client = client_for(app)
    r = client.post("/auth/token", data={"username": "kab.keluar", "password": PASSWORD})
    token = {"Authorization": f"Bearer {r.json()['access_token']}"}
    with TestClient(create_app(app)) as web:
        _page_session(web, "kab.keluar")
        clock.set(clock() + timedelta(minutes=5))
        assert client.post("/auth/logout", headers=token).status_code == 204
        r = client.get("/me", headers=token)
        assert r.status_code == 401 and r.json() == {
            "error": "unauthenticated",
            "message": SIGNED_OUT,
        }
        assert client.post("/auth/logout", headers=token).status_code == 401  # already out
        assert web.get("/", follow_redirects=False).status_code == 303
    # a token issued after it works
    clock.set(clock() + timedelta(minutes=1))
    r = client.post("/auth/token", data={"username": "kab.keluar", "password": PASSWORD})
    fresh = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert client.get("/me", headers=fresh).json()["username"] == "kab.keluar"


def test_signing_out_without_a_valid_session_still_clears_the_browser(app: App) -> None:
    with TestClient(create_app(app)) as web:
        web.get("/login")
        web.cookies.set("pkh_session", "not-a-token")
        out = web.post("/logout", data={"csrf": web.cookies["pkh_csrf"]}, follow_redirects=False)
        assert out.status_code == 303
        dropped = [h for h in out.headers.get_list("set-cookie") if h.startswith("pkh_session=")]
        assert dropped and "Max-Age=0" in dropped[0]
