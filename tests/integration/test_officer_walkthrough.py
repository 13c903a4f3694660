"""What a usability walkthrough of the officer pages found: a step that closes the case not
said before the click, a form's mistakes far from the fields, a search box promising what the
role cannot search."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from api.admin import add_user
from api.http import create_app
from api.wiring import App
from tests.conftest import complaint_data
from tests.e2e.test_pages import csrf_from
from tests.integration.conftest import PASSWORD


def signed_in(app: App, username: str, role: str, region: str) -> TestClient:
    add_user(app.db, username, role, region, now=app.service.clock(), password=PASSWORD)
    client = TestClient(create_app(app))
    client.get("/login")
    form = {"csrf": client.cookies["pkh_csrf"], "username": username, "password": PASSWORD}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303
    return client


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
    case_id = svc.open_case("complaint", complaint_data(), "kab.web").id
    assert svc.get(case_id).stage == "dokumentasi"
    early = action(web.get(f"/cases/{case_id}/view").text, "advance")
    assert "menutup kasus" not in early and ">Lanjut ke tahap berikutnya</button>" in early
    data = {"parties": "KPM dan pendamping", "result": "diperbaiki"}
    for _ in range(3):
        svc.apply(case_id, "advance", data, "kab.web")
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


# ------------------------------------------------- 2. a form's mistakes said next to the fields
def test_a_refused_complaint_form_says_each_mistake_next_to_its_field(web: TestClient) -> None:
    """The mistakes were only in the box at the top, the fields unmarked: each is now said
    under its field (aria-invalid, aria-describedby), the box linking to the fields, and
    every typed value kept."""
    page = web.get("/complaints/new").text
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
    form = hidden | {
        "type": "pembayaran",
        "channel": "surat",
        "level": "kabupaten",
        "region": "3271011",
        "summary": "",
        "reporter_name": "Ibu Siti",
        "accused": "Pak Budi",
        "zone": "WIB",
    }
    r = web.post("/complaints/new", data=form)
    assert r.status_code == 422
    for name in ("region", "summary"):
        tag = re.search(rf'<(?:input|textarea)[^>]* id="{name}"[^>]*>', r.text)
        assert tag, name
        assert 'aria-invalid="true"' in tag.group(0)
        assert f'aria-describedby="{name}-error"' in tag.group(0)
        assert re.search(rf'<p class="field-error" id="{name}-error">[^<]+</p>', r.text)
        assert f'<a href="#{name}">' in r.text  # from the box at the top
    said = re.search(r'id="summary-error">([^<]+)<', r.text)
    assert said and said.group(1) == "wajib diisi"
    accused = re.search(r'<input[^>]* id="accused"[^>]*>', r.text)
    assert accused and "aria-invalid" not in accused.group(0)
    assert 'value="Pak Budi"' in accused.group(0) and 'value="3271011"' in r.text


def test_a_refused_action_is_said_at_its_form_and_the_page_goes_back_there(
    app: App, web: TestClient
) -> None:
    """A refused step was said only at the top of the page, screens above the form on a
    phone: it is said again inside the reopened form, whose action ends in #refused so the
    browser scrolls back to it; the field is marked and the typed values kept."""
    svc = app.service
    case_id = svc.open_case("complaint", complaint_data(), "kab.web").id
    svc.apply(case_id, "advance", {}, "kab.web")  # at identifikasi: advancing needs parties
    page = web.get(f"/cases/{case_id}/view").text
    assert f'action="/cases/{case_id}/view#refused"' in action(page, "advance")
    form = {
        "csrf": csrf_from(web, f"/cases/{case_id}/view"),
        "event": "advance",
        "version": "2",
        "note": "dicatat dari kunjungan",
    }
    r = web.post(f"/cases/{case_id}/view", data=form)
    assert r.status_code == 422, r.text[:300]
    refused = action(r.text, "advance")
    inside = re.search(
        r'<div class="alert error" id="refused" tabindex="-1">(.*?)</div>', refused, re.S
    )
    assert inside and "wajib diisi" in inside.group(1)
    tag = re.search(r'<textarea[^>]* id="advance-parties"[^>]*>', refused)
    assert tag and 'aria-describedby="advance-parties-error"' in tag.group(0)
    assert 'aria-invalid="true"' in tag.group(0) and 'id="advance-parties-error"' in refused
    assert "dicatat dari kunjungan</textarea>" in refused
    assert r.text.count('id="refused"') == 1  # only the form refused


# ------------------------------------- 3. the search box says what the role can search, only
def search_label(page: str) -> str:
    found = re.search(r'<label for="q">([^<]+)</label>', page)
    assert found
    return found.group(1)


def test_the_search_box_offers_household_codes_only_to_roles_that_read_households(
    app: App, web: TestClient
) -> None:
    """A ketua kelompok was offered "kode peserta, no. KK atau NIK", though households are not
    readable for the role; a kabupaten officer, who reads them, still is."""
    assert search_label(web.get("/").text).endswith("kode peserta, no. KK atau NIK")
    with signed_in(app, "kk.walk", "ketua_kelompok", "3271011001") as kk:
        said = search_label(kk.get("/").text)
        assert said == "Cari ringkasan atau no. kasus"
        kk.get("/lang/en?next=/")
        assert search_label(kk.get("/").text) == "Search summary or case number"
