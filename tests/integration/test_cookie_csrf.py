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
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from api.http import create_app
from api.wiring import App
from engine.store import audit_runs
from tests.conftest import Clock
from tests.integration.test_api import api_routes, client_for, file_case, token

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


# ------------------------------------------------------------------ a planted CSRF cookie
def _form_token(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def _hidden(html: str) -> dict[str, str]:
    """Every hidden input of a page, as a browser sends them with its form."""
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))


def test_a_csrf_cookie_planted_by_a_sibling_subdomain_does_not_pass_a_signed_in_form(
    app: App,
) -> None:
    """A sibling subdomain may set a cookie for the whole site (Domain=.example.go.id), so
    the double-submit token alone is the attacker's to choose: a planted value posted back
    matched. The form's token is now bound to the session's officer with the server's key: a
    planted cookie, even one the attacker got with its own form token by signing in as
    itself, does not make a token for another officer."""
    case_id = file_case(app)
    with TestClient(create_app(app)) as attacker:
        attacker.cookies.set("pkh_session", token(app, "kab.bogor2"))
        page = attacker.get(f"/cases/{case_id}/view")
        assert page.status_code == 200
        own_pair = (attacker.cookies["pkh_csrf"], _form_token(page.text))
    chosen = "dipasang-oleh-subdomain-lain-0123456789abcdef"
    for planted, sent in ((chosen, chosen), own_pair):
        with TestClient(create_app(app)) as victim:
            victim.cookies.set("pkh_session", token(app, "kab.bogor"))
            victim.cookies.set("pkh_csrf", planted)  # the sibling's Set-Cookie
            form = {"csrf": sent, "event": "advance", "version": "1", "note": "dipaksa"}
            r = victim.post(f"/cases/{case_id}/view", data=form, follow_redirects=False)
            assert r.status_code == 403, (planted, r.status_code)
            assert app.service.get(case_id).version == 1  # nothing recorded
    # the officer's own page and cookie still work
    with TestClient(create_app(app)) as web:
        web.cookies.set("pkh_session", token(app, "kab.bogor"))
        form = {"csrf": _form_token(web.get(f"/cases/{case_id}/view").text), "event": "advance"}
        r = web.post(f"/cases/{case_id}/view", data={**form, "version": "1"})
        assert r.status_code == 200 and app.service.get(case_id).version == 2


# ------------------------------------------------------- a form kept through the sign-in
PASSWORD = "sandi-csrf-123"


def _signed_in_with(web: TestClient, page: str, username: str) -> TestClient:
    """The sign-in form of `page` (a sign-in page in place of a form) sent as a browser sends
    it: every hidden input, with the officer's name and password."""
    form = {**_hidden(page), "username": username, "password": PASSWORD}
    return web.post("/login", data=form, follow_redirects=False)  # type: ignore[return-value]


def test_a_form_posted_from_another_site_does_not_come_back_filled_after_sign_in(
    app: App,
) -> None:
    """A cross-site form carries no Lax cookie, so it looked like a form whose session had
    expired: the sign-in page kept its values, and once the officer signed in the new
    complaint form came back filled with the attacker's text. A kept form now comes back
    only when its token was made for the officer who signs in."""
    from api.admin import add_user

    add_user(app.db, "kab.korban", "kabupaten", "3271", now=app.service.clock(), password=PASSWORD)
    with TestClient(create_app(app)) as attacker:  # a token of its own, signed in as itself
        attacker.cookies.set("pkh_session", token(app, "kab.bogor"))
        own = _form_token(attacker.get("/complaints/new").text)
    for sent in ("x", own):
        with TestClient(create_app(app)) as web:
            posted = {"csrf": sent, "summary": "Teks dari situs penyerang", "zone": "WIB"}
            r = web.post("/complaints/new", data=posted, follow_redirects=False)
            assert r.status_code == 401  # the sign-in page in place
            signed = _signed_in_with(web, r.text, "kab.korban")
            assert signed.status_code == 303, signed.text[:300]
            assert signed.headers["location"] == "/complaints/new"
            assert "Teks dari situs penyerang" not in web.get("/complaints/new").text


def test_an_officers_expired_form_comes_back_to_that_officer_only(app: App, clock: Clock) -> None:
    from api.admin import add_user
    from api.http import TOKEN_TTL

    for name in ("kab.korban", "kab.lain"):
        add_user(app.db, name, "kabupaten", "3271", now=clock(), password=PASSWORD)
    for who, filled in (("kab.korban", True), ("kab.lain", False)):
        with TestClient(create_app(app)) as web:
            web.cookies.set("pkh_session", token(app, "kab.korban"))
            form = {**_hidden(web.get("/complaints/new").text), "summary": "Ditulis sebelum habis"}
            clock.set(clock() + TOKEN_TTL + timedelta(minutes=1))  # the session expires
            r = web.post("/complaints/new", data=form, follow_redirects=False)
            assert r.status_code == 401
            signed = _signed_in_with(web, r.text, who)
            assert ("Ditulis sebelum habis</textarea>" in signed.text) is filled, who
            assert signed.status_code == (200 if filled else 303)


def test_a_same_site_form_to_a_signed_in_officer_is_refused_without_its_values(
    app: App,
) -> None:
    """A sibling subdomain's page posts with the officer's cookies but a token it cannot
    make: refused (403), and its text is not shown back as the officer's own form."""
    with TestClient(create_app(app)) as web:
        web.cookies.set("pkh_session", token(app, "kab.bogor"))
        web.get("/")  # the browser's own CSRF cookie
        posted = {"csrf": "x", "summary": "Teks dari subdomain lain", "zone": "WIB"}
        r = web.post("/complaints/new", data=posted, follow_redirects=False)
        assert r.status_code == 403
        assert "Teks dari subdomain lain" not in r.text and 'id="resumed"' not in r.text


# ----------------------------------------------------------------- served over HTTPS
def test_over_https_the_cookies_are_host_only_and_a_planted_plain_one_is_not_read(
    app: App,
) -> None:
    """Over HTTPS the cookies are named `__Host-`: a browser takes such a cookie only from
    the host itself (Secure, Path=/, no Domain), so a sibling subdomain can neither plant a
    session of its own (the officer working, unaware, in the attacker's account) nor the CSRF
    cookie of the sign-in form; cookies under the plain names are not read there."""
    from api.admin import add_user

    add_user(app.db, "kab.korban", "kabupaten", "3271", now=app.service.clock(), password=PASSWORD)
    with TestClient(create_app(app), base_url="https://pkh.example.go.id") as web:
        login = web.get("/login")
        form = {"csrf": _form_token(login.text), "username": "kab.korban", "password": PASSWORD}
        signed = web.post("/login", data=form, follow_redirects=False)
        assert signed.status_code == 303
        set_cookies = signed.headers.get_list("set-cookie")
        for name in ("__Host-pkh_session=", "__Host-pkh_csrf="):
            (cookie,) = [c for c in set_cookies if c.startswith(name)]
            assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
        assert web.get("/", follow_redirects=False).status_code == 200
        out = web.post("/logout", data={"csrf": _form_token(web.get("/").text)})
        assert out.status_code == 200  # back on the sign-in page
        assert not [c for c in web.cookies.jar if c.name.startswith("__Host-pkh_session")]
    with TestClient(create_app(app), base_url="https://pkh.example.go.id") as victim:
        # the sibling's cookies, under the plain names: the attacker's own session and a
        # CSRF cookie whose value it knows
        victim.cookies.set("pkh_session", token(app, "kab.bogor2"))
        assert victim.get("/", follow_redirects=False).status_code == 303  # not signed in
        victim.cookies.set("pkh_csrf", "dipasang-oleh-subdomain-lain-0123456789abcdef")
        form = {"csrf": "dipasang-oleh-subdomain-lain-0123456789abcdef"}
        form |= {"username": "kab.bogor2", "password": PASSWORD}
        assert victim.post("/login", data=form, follow_redirects=False).status_code == 403
    # plain HTTP (pkh serve on 127.0.0.1) keeps the plain names
    with TestClient(create_app(app)) as local:
        local.get("/login")
        assert "pkh_csrf" in local.cookies


# ------------------------------------------------- forms sent after the session has ended
@pytest.mark.parametrize(
    ("path", "form", "said"),
    [
        ("/logout", {}, 303),  # "Keluar" on a tab left open overnight: signed out, as asked
        ("/audit/whole", {}, 401),  # any other form: the sign-in page, as before the MAC
    ],
)
def test_a_form_sent_after_the_session_expired_goes_to_sign_in_not_to_the_forgery_page(
    app: App, clock: Clock, path: str, form: dict[str, str], said: int
) -> None:
    """The form token is bound to the session's officer; once the session expired, the page's
    own token was checked as nobody's and every form but the two a sign-in gives back was
    refused as forged ('Formulir kedaluwarsa', 403), e.g. signing out, or a whole-store
    verification, from a page left open overnight."""
    from api.http import TOKEN_TTL

    with TestClient(create_app(app)) as web:
        web.cookies.set("pkh_session", token(app, "auditor"))
        sent = {**_hidden(web.get("/audit").text), **form}
        clock.set(clock() + TOKEN_TTL + timedelta(hours=1))  # the session expires
        r = web.post(path, data=sent, follow_redirects=False)
        assert r.status_code == said, (path, r.status_code, r.text[:300])
        assert "Formulir kedaluwarsa" not in r.text
        if said == 401:
            assert 'name="password"' in r.text  # the sign-in page, in place
        assert audit_runs.recent(app.db, clock(), 5) == []  # nothing started unsigned


def test_switching_the_language_on_a_form_given_back_after_sign_in_keeps_it_filled(
    app: App, clock: Clock
) -> None:
    """Once the sign-in gave the expired form back filled, its language switch carried the
    sign-in form (next=/login): switching showed the sign-in page again, 'the form was not
    saved', to an officer already signed in."""
    from api.admin import add_user
    from api.http import TOKEN_TTL

    add_user(app.db, "kab.korban", "kabupaten", "3271", now=clock(), password=PASSWORD)
    with TestClient(create_app(app)) as web:
        web.cookies.set("pkh_session", token(app, "kab.korban"))
        form = {**_hidden(web.get("/complaints/new").text), "summary": "Ditulis sebelum habis"}
        clock.set(clock() + TOKEN_TTL + timedelta(minutes=1))
        kept = web.post("/complaints/new", data=form, follow_redirects=False)
        assert kept.status_code == 401
        signed = _signed_in_with(web, kept.text, "kab.korban")
        assert signed.status_code == 200 and "Ditulis sebelum habis</textarea>" in signed.text
        switch = re.search(
            r'<form method="post" action="/lang/en"[^>]*>(.*?)</form>', signed.text, re.S
        )
        assert switch is not None, "the switch is a link: the filled form would be lost"
        carried = _hidden(switch.group(1))
        assert carried["next"] == "/complaints/new", carried
        english = web.post("/lang/en", data=carried, follow_redirects=False)
        assert english.status_code == 200 and '<html lang="en">' in english.text
        assert 'name="password"' not in english.text  # not the sign-in page again
        assert "Ditulis sebelum habis</textarea>" in english.text
