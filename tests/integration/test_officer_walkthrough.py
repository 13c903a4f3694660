"""What a usability walkthrough of the officer pages found: a step that closes the case not
said before the click, a form's mistakes far from the fields, a search box promising what the
role cannot search."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.admin import add_user
from api.http import create_app
from api.wiring import App
from tests.conftest import complaint_data

PASSWORD = "sandi-uji-123"


def signed_in(app: App, username: str, role: str, region: str) -> TestClient:
    add_user(app.db, username, role, region, now=app.service.clock(), password=PASSWORD)
    client = TestClient(create_app(app))
    client.get("/login")
    form = {"csrf": client.cookies["pkh_csrf"], "username": username, "password": PASSWORD}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303
    return client


@pytest.fixture
def web(app: App) -> Iterator[TestClient]:
    """A page session of a kabupaten officer, opened through the sign-in form."""
    with signed_in(app, "kab.walk", "kabupaten", "3271") as client:
        yield client


def action(page: str, event: str) -> str:
    """One action's block (`<details id="do-...">`) of a case page."""
    found = re.search(rf'<details class="action" id="do-{event}".*?</details>', page, re.S)
    assert found, f"no form for {event}"
    return found.group(0)


# ---------------------------------------------------- 1. a step that closes the case says so
def test_the_last_stage_s_advance_says_it_closes_the_case_before_the_click(
    app: App, web: TestClient
) -> None:
    """At pemberitahuan, "Lanjut ke tahap berikutnya" closed the case without a word before
    the click; the form now says it closes the case and its button is "Tutup kasus"."""
    svc = app.service
    case_id = svc.open_case("complaint", complaint_data(), "kab.walk").id
    assert svc.get(case_id).stage == "dokumentasi"
    early = action(web.get(f"/cases/{case_id}/view").text, "advance")
    assert "menutup kasus" not in early and ">Lanjut ke tahap berikutnya</button>" in early
    data = {"parties": "KPM dan pendamping", "result": "diperbaiki"}
    for _ in range(3):
        svc.apply(case_id, "advance", data, "kab.walk")
    assert svc.get(case_id).stage == "pemberitahuan"
    last = action(web.get(f"/cases/{case_id}/view").text, "advance")
    assert "Langkah ini menutup kasus: statusnya menjadi Selesai." in last
    assert ">Tutup kasus (Selesai)</button>" in last
    assert "Lanjut ke tahap berikutnya</button>" not in last
    # the rejection closes the case too: said, its button named for it
    assert "statusnya menjadi Ditolak" in action(web.get(f"/cases/{case_id}/view").text, "reject")
    web.get(f"/lang/en?next=/cases/{case_id}/view")
    english = action(web.get(f"/cases/{case_id}/view").text, "advance")
    assert "This step closes the case: it becomes Resolved." in english
    assert ">Close the case (Resolved)</button>" in english
