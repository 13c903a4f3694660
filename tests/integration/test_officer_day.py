"""What an officer met using the pages on a normal day: a complaint form sent twice (a second
click while a slow server was still answering) filed two complaints."""

from __future__ import annotations

import re

import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.wiring import App
from engine.store.repository import CASES
from tests.e2e.test_pages import csrf_from
from tests.integration.conftest import PASSWORD


def case_count(app: App) -> int:
    with app.db.reading() as s:
        return int(s.execute(sa.select(sa.func.count()).select_from(CASES)).scalar_one())


def filled_form(web: TestClient, **values: str) -> dict[str, str]:
    """The new-complaint form as the page gives it (its hidden fields too), filled in."""
    page = web.get("/complaints/new").text
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
    filled = {
        "type": "pembayaran",
        "channel": "surat",
        "level": "kabupaten",
        "region": "3271011001",
        "summary": "Bantuan tahap II belum diterima",
        "reporter_name": "Ibu Siti",
        "zone": "WIB",
    }
    return hidden | filled | values


# ------------------------------------------------------------ 1. a complaint form sent twice
def test_the_same_complaint_form_sent_twice_files_one_complaint(app: App, web: TestClient) -> None:
    """A second click on "Simpan pengaduan" while the first was still being answered (the
    browser sends the form again): one complaint, one acknowledgement to the reporter, and
    both answers open it."""
    before = case_count(app)
    form = filled_form(web)
    first = web.post("/complaints/new", data=form, follow_redirects=False)
    again = web.post("/complaints/new", data=form, follow_redirects=False)
    assert first.status_code == again.status_code == 303, again.text[:300]
    assert again.headers["location"] == first.headers["location"]
    assert case_count(app) == before + 1
    # a form opened anew is another complaint
    other = web.post("/complaints/new", data=filled_form(web), follow_redirects=False)
    assert other.status_code == 303 and other.headers["location"] != first.headers["location"]
    assert case_count(app) == before + 2


def test_a_sent_form_written_over_and_sent_again_is_another_complaint(
    app: App, web: TestClient
) -> None:
    """The back button gives the filed form again; written over for another reporter and
    sent, it is that reporter's complaint: the form's key alone opened the first complaint
    and said it was filed, and the second complaint was lost."""
    before = case_count(app)
    form = filled_form(web)
    first = web.post("/complaints/new", data=form, follow_redirects=False)
    other = form | {"reporter_name": "Bapak Joko", "summary": "Kartu KKS hilang"}
    second = web.post("/complaints/new", data=other, follow_redirects=False)
    assert first.status_code == second.status_code == 303, second.text[:300]
    assert second.headers["location"] != first.headers["location"]
    assert case_count(app) == before + 2
    again = web.post("/complaints/new", data=other, follow_redirects=False)
    assert again.headers["location"] == second.headers["location"]  # still one per sending
    assert case_count(app) == before + 2


def test_a_form_refused_then_corrected_files_one_complaint(app: App, web: TestClient) -> None:
    """The form given back after a mistake keeps its identity: corrected and sent (twice),
    it is filed once."""
    before = case_count(app)
    refused = web.post("/complaints/new", data=filled_form(web, region="3271011"))
    assert refused.status_code == 422
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', refused.text))
    corrected = filled_form(web) | hidden
    first = web.post("/complaints/new", data=corrected, follow_redirects=False)
    again = web.post("/complaints/new", data=corrected, follow_redirects=False)
    assert first.status_code == again.status_code == 303
    assert again.headers["location"] == first.headers["location"]
    assert case_count(app) == before + 1


# ---------------------------------------- 2. a form sent after signing out or in in another tab
def sign_in_form(web: TestClient) -> None:
    web.get("/login")
    form = {"csrf": web.cookies["pkh_csrf"], "username": "kab.web", "password": PASSWORD}
    assert web.post("/login", data=form, follow_redirects=False).status_code == 303


def test_a_complaint_written_in_a_tab_signed_out_in_another_comes_back_after_sign_in(
    app: App, web: TestClient
) -> None:
    """Signing out ("Keluar") in one tab drops the CSRF cookie with the session: the complaint
    being written in another tab was answered "Formulir kedaluwarsa" and lost. It is kept as
    for an expired session: the sign-in page says so and gives it back filled."""
    before = case_count(app)
    form = filled_form(web, summary="Ditulis di tab lain")
    web.post("/logout", data={"csrf": csrf_from(web, "/")})
    r = web.post("/complaints/new", data=form, follow_redirects=False)
    assert r.status_code == 401, r.text[:300]
    assert "Formulir kedaluwarsa" not in r.text and "belum tersimpan" in r.text
    kept = dict(re.findall(r'<input type="hidden" name="(keep\.[^"]+)" value="([^"]*)">', r.text))
    assert kept["keep.summary"] == "Ditulis di tab lain" and "keep.csrf" not in kept
    # the kept form's own token goes with it, as every hidden input of the sign-in form does
    kept["kept_csrf"] = re.search(r'name="kept_csrf" value="([^"]+)"', r.text).group(1)  # type: ignore[union-attr]
    csrf = re.search(r'name="csrf" value="([^"]+)"', r.text).group(1)  # type: ignore[union-attr]
    login = {"csrf": csrf, "next": "/complaints/new", "username": "kab.web", "password": PASSWORD}
    signed = web.post("/login", data=login | kept, follow_redirects=False)
    assert signed.status_code == 200 and 'id="resumed"' in signed.text
    assert "Ditulis di tab lain</textarea>" in signed.text
    assert case_count(app) == before  # nothing saved behind the officer's back


def test_a_complaint_written_before_signing_in_again_in_another_tab_comes_back_filled(
    app: App, web: TestClient
) -> None:
    """Signed in again in another tab (a new session has a new CSRF token): the form of the
    first tab comes back filled, not saved, instead of "Formulir kedaluwarsa"."""
    before = case_count(app)
    form = filled_form(web, summary="Ditulis sebelum masuk lagi")
    web.post("/logout", data={"csrf": csrf_from(web, "/")})
    sign_in_form(web)
    r = web.post("/complaints/new", data=form, follow_redirects=False)
    assert r.status_code == 403, r.text[:300]  # refused, and given back
    assert "Formulir kedaluwarsa" not in r.text and 'id="resumed"' in r.text
    assert "Ditulis sebelum masuk lagi</textarea>" in r.text
    assert case_count(app) == before
    fresh = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', r.text))
    saved = web.post("/complaints/new", data=form | fresh, follow_redirects=False)
    assert saved.status_code == 303 and case_count(app) == before + 1


def test_a_case_action_sent_after_signing_in_again_in_another_tab_comes_back_open(
    app: App, web: TestClient
) -> None:
    from tests.conftest import complaint_data

    case_id = app.service.open_case("complaint", complaint_data(), "kab.web").id
    form = {
        "csrf": csrf_from(web, f"/cases/{case_id}/view"),
        "event": "escalate",
        "version": "1",
        "f_reason": "perlu keputusan pusat",
    }
    web.post("/logout", data={"csrf": csrf_from(web, "/")})
    sign_in_form(web)
    r = web.post(f"/cases/{case_id}/view", data=form, follow_redirects=False)
    assert r.status_code == 403 and 'id="resumed"' in r.text, r.text[:300]
    assert '<details class="action" id="do-escalate" open>' in r.text
    assert "perlu keputusan pusat</textarea>" in r.text
    assert app.service.get(case_id).version == 1


def test_a_form_from_another_site_is_still_refused(app: App, web: TestClient) -> None:
    """Not signed in and no form of ours to give back: the page refuses as before."""
    r = web.post("/letters/1/printed", data={"csrf": "forged"}, follow_redirects=False)
    assert r.status_code == 403 and "Formulir kedaluwarsa" in r.text


def test_a_kept_complaint_still_comes_back_after_switching_the_language_on_the_sign_in_page(
    app: App, web: TestClient
) -> None:
    """The sign-in page holding a complaint written before the session ended: switching it
    to English carried the kept fields but not the token they were made with (kept_csrf), so
    signing in afterwards opened the worklist and the complaint was gone."""
    before = case_count(app)
    form = filled_form(web, summary="Ditulis sebelum ganti bahasa")
    web.post("/logout", data={"csrf": csrf_from(web, "/")})
    kept_page = web.post("/complaints/new", data=form, follow_redirects=False)
    assert kept_page.status_code == 401 and 'name="kept_csrf"' in kept_page.text
    switch = re.search(
        r'<form method="post" action="/lang/en"[^>]*>(.*?)</form>', kept_page.text, re.S
    )
    assert switch is not None, "the sign-in page's language switch is a link"
    fields = dict(
        re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', switch.group(1))
    )
    english = web.post("/lang/en", data=fields, follow_redirects=False)
    assert english.status_code == 200 and '<html lang="en">' in english.text
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', english.text))
    assert hidden.get("keep.summary") == "Ditulis sebelum ganti bahasa" and "kept_csrf" in hidden
    login = hidden | {"username": "kab.web", "password": PASSWORD}
    signed = web.post("/login", data=login, follow_redirects=False)
    assert signed.status_code == 200 and 'id="resumed"' in signed.text, signed.text[:300]
    assert "Ditulis sebelum ganti bahasa</textarea>" in signed.text
    assert case_count(app) == before
