"""What an officer met using the pages on a normal day: a complaint form sent twice (a second
click while a slow server was still answering) filed two complaints."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.admin import add_user
from api.http import create_app
from api.wiring import App
from engine.store.repository import CASES

PASSWORD = "sandi-uji-123"


def case_count(app: App) -> int:
    with app.db.reading() as s:
        return int(s.execute(sa.select(sa.func.count()).select_from(CASES)).scalar_one())


@pytest.fixture
def web(app: App) -> Iterator[TestClient]:
    """A page session of a kabupaten officer, opened through the sign-in form."""
    add_user(app.db, "kab.web", "kabupaten", "3271", now=app.service.clock(), password=PASSWORD)
    with TestClient(create_app(app)) as client:
        assert client.get("/login").status_code == 200
        form = {
            "csrf": client.cookies["pkh_csrf"],
            "username": "kab.web",
            "password": PASSWORD,
            "next": "/",
        }
        assert client.post("/login", data=form, follow_redirects=False).status_code == 303
        yield client


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
