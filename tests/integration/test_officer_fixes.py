"""Three things an officer met: a refused filing time told in UTC, a NUL character in a page form
answered with raw JSON, and deadline cells for cases that have no deadline."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.admin import add_user
from api.http import create_app
from api.wiring import App
from engine.errors import InvalidInput
from engine.store.repository import CASES
from tests.conftest import Clock, complaint_data
from tests.e2e.test_pages import csrf_from
from tests.integration.conftest import PASSWORD
from tests.integration.test_api import auth
from tests.integration.test_kkn_story import kkn_against
from workflows.staff import add_staff

WIT, WITA = timezone(timedelta(hours=9)), timezone(timedelta(hours=8))
NUL = "Nama KPM\x00salah"


def case_count(app: App) -> int:
    with app.db.reading() as s:
        return int(s.execute(sa.select(sa.func.count()).select_from(CASES)).scalar_one())


# ---------------------------------------------------------- 1. a refused filing time, in its zone
def refused_filing(app: App, actor: str, received: datetime, **data: str) -> InvalidInput:
    # the page and the API hand the service the officer's moment as given, in its zone
    with pytest.raises(InvalidInput) as refused:
        app.service.open_case("complaint", complaint_data(**data), actor, at=received)
    assert refused.value.field == "received_at"
    return refused.value


def test_a_future_filing_time_in_papua_is_told_in_wit_not_utc(app: App, clock: Clock) -> None:
    add_user(app.db, "kab.jayapura", "kabupaten", "9171", now=clock())
    e = refused_filing(app, "kab.jayapura", datetime(2026, 3, 3, 9, 0, tzinfo=WIT), region="9171")
    assert e.message == "2026-03-03 09:00 WIT is in the future"
    assert e.message_id == "2026-03-03 09:00 WIT belum terjadi (masih di masa depan)"


def test_a_filing_time_too_far_back_in_makassar_is_told_in_wita(app: App) -> None:
    e = refused_filing(app, "kab.makassar", datetime(2025, 12, 1, 9, 0, tzinfo=WITA), region="7371")
    assert e.message == "2025-12-01 09:00 WITA is more than 60 days in the past"
    assert e.message_id == "2025-12-01 09:00 WITA lebih dari 60 hari yang lalu"


def test_a_pusat_filing_is_told_in_wib_and_an_unknown_region_as_the_time_was_given(
    app: App,
) -> None:
    at = datetime(2026, 3, 3, 9, 0, tzinfo=WIT)  # 07:00 WIB, 00:00 UTC
    pusat = refused_filing(app, "pusat.spm", at, level="pusat", region="9171")
    assert pusat.message == "2026-03-03 07:00 WIB is in the future"
    unknown = refused_filing(app, "kab.bogor", at, region="99")  # no province 99: no zone
    assert unknown.message == "2026-03-03 09:00 UTC+09:00 is in the future"


def test_a_refused_filing_time_with_a_wrong_region_is_said_as_the_officer_typed_it(
    web: TestClient,
) -> None:
    """A wrong region leaves the office, and so its zone, unknown: the refused time was said
    in UTC ("2026-03-03 00:00 UTC"), a time the officer never typed and a zone no office
    keeps; it is said as typed, in the zone picked on the form."""
    form = complaint_form(web, region="99", received_at="2026-03-03T09:00", zone="WIT")
    r = web.post("/complaints/new", data=form)
    assert r.status_code == 422, r.text[:300]
    said = re.search(r'<p class="field-error" id="received_at-error">([^<]+)</p>', r.text)
    assert said, r.text[:2000]
    assert said.group(1) == "2026-03-03 09:00 WIT belum terjadi (masih di masa depan)"
    assert "UTC" not in r.text


def test_the_api_says_a_refused_time_with_a_wrong_region_in_the_offset_it_was_sent_in(
    app: App,
) -> None:
    """The API too converted the moment to UTC before the service could say it."""
    body = complaint_data(region="99", received_at="2026-03-03T09:00+09:00")
    with TestClient(create_app(app)) as client:
        r = client.post("/complaints", json=body, headers=auth(app, "kab.bogor"))
    assert r.status_code == 422 and r.json()["field"] == "received_at", r.text
    said = {
        "field": "received_at",
        "message": "2026-03-03 09:00 +09:00 is in the future",
        "message_id": "2026-03-03 09:00 +09:00 belum terjadi (masih di masa depan)",
    }
    assert r.json()["errors"][0] == said, r.text  # then the region's own mistake
    region = {"field": "region", "message": "unknown region code: 99"}
    assert r.json()["errors"][1] == region | {"message_id": "kode wilayah tidak dikenal: 99"}


# ---------------------------------------------------------- 2. a NUL character in a page form


def complaint_form(web: TestClient, **overrides: str) -> dict[str, str]:
    # the fixtures' complaint, as the new-complaint form posts it
    form = {"csrf": csrf_from(web, "/complaints/new"), **complaint_data(), "zone": "WIB"}
    return form | overrides


def assert_nul_page(r: Any, label: str) -> None:  # a TestClient response
    assert r.status_code == 422, r.text[:300]
    assert r.headers["content-type"].startswith("text/html")
    assert f"{label}: mengandung karakter NUL" in r.text
    assert "Permintaan tidak sah" in r.text and "kab.web" in r.text  # the officer's own page


def test_a_nul_in_the_new_complaint_form_gets_the_officer_page_and_writes_nothing(
    app: App, web: TestClient
) -> None:
    before = case_count(app)
    r = web.post("/complaints/new", data=complaint_form(web, summary=NUL), follow_redirects=False)
    assert_nul_page(r, "Ringkasan")
    assert case_count(app) == before
    # the same form without the NUL is filed: the NUL was the only thing wrong
    ok = web.post("/complaints/new", data=complaint_form(web), follow_redirects=False)
    assert ok.status_code == 303, ok.text[:300]
    assert case_count(app) == before + 1


def test_a_nul_in_a_case_action_form_gets_the_officer_page_and_writes_nothing(
    app: App, web: TestClient
) -> None:
    case_id = app.service.open_case("complaint", complaint_data(), "kab.bogor").id
    form = {
        "csrf": web.cookies["pkh_csrf"],
        "event": "link_reporter",
        "version": "1",
        "f_reporter_name": "Pak\x00Budi",
    }
    r = web.post(f"/cases/{case_id}/view", data=form, follow_redirects=False)
    assert_nul_page(r, "Nama pelapor")
    assert app.service.get(case_id).version == 1
    note = web.post(
        f"/cases/{case_id}/view",
        data={**form, "f_reporter_name": "Pak Budi", "note": "a\x00b"},
        follow_redirects=False,
    )
    assert_nul_page(note, "Catatan (opsional)")
    assert app.service.get(case_id).version == 1


def test_the_api_still_answers_a_nul_with_json_naming_the_field(app: App) -> None:
    case_id = app.service.open_case("complaint", complaint_data(), "kab.bogor").id
    kab = auth(app, "kab.bogor")
    with TestClient(create_app(app)) as api:
        filed = api.post("/complaints", json=complaint_data(summary=NUL), headers=kab)
        event = {"event": "link_reporter", "data": {"reporter_name": "Pak\x00Budi"}}
        acted = api.post(f"/cases/{case_id}/events", json=event, headers=kab)
        token = api.post("/auth/token", data={"username": "a\x00b", "password": "x" * 8})
    for r, field in ((filed, "summary"), (acted, "data.reporter_name"), (token, "username")):
        assert r.status_code == 422 and r.headers["content-type"] == "application/json"
        assert r.json()["error"] == "invalid_input" and r.json()["field"] == field, r.json()
    assert app.service.get(case_id).version == 1


# ---------------------------------------------------------- 3. no deadline, no countdown
@pytest.fixture
def staffed(app: App, clock: Clock) -> App:
    """Andi, a pendamping on the staff register, whom a KKN complaint can name."""
    add_user(app.db, "pdp.andi", "pendamping", "327101", now=clock())
    add_staff(app.db, "Andi", "pendamping", "327101", username="pdp.andi", now=clock())
    return app


@pytest.fixture
def pusat_web(staffed: App) -> Iterator[TestClient]:
    add_user(staffed.db, "pusat.web", "pusat", None, now=staffed.service.clock(), password=PASSWORD)
    with TestClient(create_app(staffed)) as client:
        client.get("/login")
        form = {"csrf": client.cookies["pkh_csrf"], "username": "pusat.web", "password": PASSWORD}
        assert client.post("/login", data=form, follow_redirects=False).status_code == 303
        yield client


def row_of(html: str, case_id: str) -> str:
    start = html.index(f'data-case="{case_id}"')
    return html[start : html.index("</tr>", start)]


def countdown_card(html: str) -> str:
    start = html.index("<h2>Sisa waktu</h2>")
    return html[start : html.index("</section>", start)]


def test_a_case_without_deadlines_shows_no_countdown_on_the_worklist_or_its_page(
    staffed: App, pusat_web: TestClient
) -> None:
    complaint = kkn_against(staffed, "Andi")
    kkn = "KKN-2026-000001"
    assert staffed.service.get(kkn).stage_due is None and staffed.service.get(kkn).level_due is None

    worklist = pusat_web.get("/").text
    row = row_of(worklist, kkn)
    assert "badge" not in row
    assert row.count('class="muted no-deadline" title="Kasus ini tidak bertenggat."') == 2
    # a complaint with deadlines keeps its dates and countdown badges, and no such title
    assert "badge ok" in row_of(worklist, complaint)
    assert "no-deadline" not in row_of(worklist, complaint)

    card = countdown_card(pusat_web.get(f"/cases/{kkn}/view").text)
    assert "Kasus ini tidak bertenggat." in card
    assert "badge" not in card and "stage-due" not in card and "–" not in card
    card = countdown_card(pusat_web.get(f"/cases/{complaint}/view").text)
    assert "badge ok" in card and "tidak bertenggat" not in card


def test_a_closed_case_shows_when_it_closed_and_no_countdown(
    staffed: App, pusat_web: TestClient
) -> None:
    case_id = staffed.service.open_case("complaint", complaint_data(), "kab.bogor").id
    reject = {"reason": "bukan_pkh", "informed_via": "surat"}
    staffed.service.apply(case_id, "reject", reject, "kab.bogor")
    card = countdown_card(pusat_web.get(f"/cases/{case_id}/view").text)
    assert "Kasus ditutup" in card or "closed" in card.lower()
    assert "badge" not in card and "tidak bertenggat" not in card


# ---------------------------------------------------------- 3. a form with several mistakes
def test_a_complaint_with_several_mistakes_is_refused_once_naming_each(
    app: App, web: TestClient
) -> None:
    """The region mistyped and the reporter's name left out: the page names both fields, in
    Indonesian, and gives the form back filled; the API's JSON lists both under `errors`.
    Before, the officer corrected the region, sent it again, and only then heard of the name."""
    before = case_count(app)
    form = complaint_form(web, region="3299", reporter_name="", summary="Bantuan belum cair")
    r = web.post("/complaints/new", data=form, follow_redirects=False)
    assert r.status_code == 422, r.text[:300]
    assert "Ada 2 isian yang perlu diperbaiki" in r.text
    assert "kode wilayah tidak dikenal: 3299" in r.text
    assert "wajib diisi, kecuali pengaduan anonim" in r.text
    assert "Bantuan belum cair" in r.text  # what was typed is kept
    assert case_count(app) == before

    api = TestClient(create_app(app))
    data = complaint_data(region="3299", reporter_name=None)
    body = api.post("/complaints", json=data, headers=auth(app, "kab.bogor")).json()
    assert body["field"] == "region"
    assert [e["field"] for e in body["errors"]] == ["region", "reporter_name"]
    assert case_count(app) == before
    # one mistake: the page says it on one line, as before
    one = web.post("/complaints/new", data=complaint_form(web, region="3299"))
    assert one.status_code == 422 and "isian yang perlu diperbaiki" not in one.text
    assert "Wilayah: kode wilayah tidak dikenal: 3299" in one.text


def test_a_kkn_filing_says_who_was_relieved_of_duty_or_that_nobody_was(
    app: App, web: TestClient, clock: Clock
) -> None:
    """A KKN complaint naming "Andi Wijayaa" (one letter off) was confirmed like any other:
    nobody suspended, nothing said (helper-46). The confirmation and the complaint's page
    now say who was relieved of duty, with the KKN case, or that the name is nobody in the
    staff register."""
    add_staff(app.db, "Andi Wijaya", "pendamping", "327101", username=None, now=clock())
    for accused, expect in (("Andi Wijaya", "dibebastugaskan"), ("Andi Wijayaa", "tidak ada")):
        form = complaint_form(web, type="kkn", accused=accused, summary="Pungutan liar")
        done = web.post("/complaints/new", data=form)
        assert done.status_code == 200, done.text[:300]
        said = done.text.split('role="status"', 1)[1].split("</div>", 1)[0]
        assert expect in said, said
        case_id = done.url.path.split("/")[2]
        page = web.get(f"/cases/{case_id}/view").text
        step = page.split('id="kkn-step">', 1)[1].split("</dd>", 1)[0]
        assert expect in step, step
        if accused == "Andi Wijaya":
            (kkn,) = [
                c for c in _kkn_ids(app) if app.service.get(c).attrs["complaint_id"] == case_id
            ]
            assert f'href="/cases/{kkn}/view"' in step
        else:
            assert "periksa ejaan" in step
    plain = web.post("/complaints/new", data=complaint_form(web))
    assert 'id="kkn-step"' not in plain.text  # a complaint of another type says nothing of it


def _kkn_ids(app: App) -> list[str]:
    with app.db.reading() as s:
        return list(s.execute(sa.select(CASES.c.id).where(CASES.c.workflow == "kkn")).scalars())


def test_a_kkn_complaints_page_says_what_became_of_the_staff_member_it_named(
    staffed: App, clock: Clock
) -> None:
    """Once UPPKH Pusat had cleared Andi, his complaint's page still said "Andi, staf PKH,
    dibebastugaskan selama penyelidikan: KKN-..." as though he still were; and to a pendamping
    (who does not open KKN cases) the line ended on a colon with nothing after it. It now
    says how the investigation ended, and the colon comes only with the case's link."""
    from tests.e2e.test_pages import sign_in

    app = staffed
    add_staff(app.db, "Budi", "operator", "3271", username=None, now=clock())
    cleared, dismissed = kkn_against(app, "Andi"), kkn_against(app, "Budi")
    kkn_of = {app.service.get(c).attrs["complaint_id"]: c for c in _kkn_ids(app)}
    app.service.apply(kkn_of[cleared], "find_not_guilty", {}, "pusat.spm")
    app.service.apply(kkn_of[dismissed], "find_guilty", {"referred_to": "kpk"}, "pusat.spm")

    def step(client: TestClient, case_id: str) -> str:
        page = client.get(f"/cases/{case_id}/view").text
        return page.split('id="kkn-step">', 1)[1].split("</dd>", 1)[0]

    with TestClient(create_app(app)) as client:
        sign_in(client, app, "kab.bogor")
        said = step(client, cleared)
        assert "lalu dinyatakan tidak bersalah atas pengaduan ini" in said, said
        assert f': <a href="/cases/{kkn_of[cleared]}/view">' in said
        said = step(client, dismissed)
        assert "lalu dinyatakan bersalah dan diberhentikan" in said, said
        client.get("/lang/en")
        assert "then found not guilty of this complaint" in step(client, cleared)
        sign_in(client, app, "pdp.bogor")
        client.get("/lang/id")
        said = step(client, cleared)
        assert said.endswith("atas pengaduan ini") and "KKN-" not in said, said
