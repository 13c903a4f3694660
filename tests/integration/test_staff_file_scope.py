"""A staff member's KKN suspension and discipline record are personnel files: the offices that
decide and oversee them read them (kabupaten, provinsi, pusat), with auditors and admins; a
ketua kelompok (an elected KPM) and a pendamping (a colleague) find no such case through any
door, while the complaint that started the KKN case stays readable in its region."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.http import create_app
from api.wiring import App
from engine.errors import CaseNotFound
from tests.conftest import Clock, complaint_data
from tests.e2e.test_pages import sign_in
from tests.integration.test_api import auth
from workflows.roles import WORKFLOW_READERS
from workflows.staff import add_staff, get_staff

DEWI = "Dewi Lestari"  # a pendamping of Batutulis, where the ketua kelompok's group is
OUTSIDERS = ("kk.batutulis", "pdp.bogor")
READERS = ("kab.bogor", "pusat.spm", "auditor")


@pytest.fixture
def files(app: App, clock: Clock) -> tuple[str, str, str]:
    """(discipline case, KKN case, the KKN complaint) about Dewi."""
    add_staff(app.db, DEWI, "pendamping", "3271011001", username=None, now=clock())
    svc = app.service
    dsp = svc.open_case("discipline", {"staff": DEWI, "region": "3271011001"}, "kab.bogor").id
    svc.apply(dsp, "warn", {"reason": "late"}, "kab.bogor", note="laporan dari KPM Ibu Ani")
    data = complaint_data(type="kkn", accused=DEWI, region="3271011001", summary="Pungutan liar")
    complaint = svc.open_case("complaint", data, "kab.bogor").id
    (kkn,) = [c["id"] for c in get_staff(app.db, DEWI).cases if c["id"].startswith("KKN")]
    return dsp, kkn, complaint


def test_the_read_table_keeps_personnel_files_to_the_offices_that_decide_them() -> None:
    for workflow in ("kkn", "discipline"):
        assert {"kabupaten", "provinsi", "pusat", "auditor", "admin"} <= WORKFLOW_READERS[workflow]
        assert not {"ketua_kelompok", "pendamping"} & WORKFLOW_READERS[workflow]


def test_no_door_shows_a_ketua_kelompok_or_a_pendamping_a_staff_member_s_files(
    app: App, files: tuple[str, str, str]
) -> None:
    dsp, kkn, complaint = files
    svc = app.service
    client = TestClient(create_app(app), raise_server_exceptions=False)
    for who in OUTSIDERS:
        for case_id in (dsp, kkn):
            with pytest.raises(CaseNotFound):
                svc.get(case_id, who)
            r = client.get(f"/cases/{case_id}", headers=auth(app, who))
            assert r.status_code == 404, (who, case_id, r.status_code)
            body = {"event": "warn", "data": {"reason": "late"}}
            r = client.post(f"/cases/{case_id}/events", json=body, headers=auth(app, who))
            assert r.status_code == 404, (who, case_id, r.status_code)
        listed = client.get("/cases", params={"limit": 200}, headers=auth(app, who)).json()
        ids = {c["id"] for c in listed["items"]}
        assert complaint in ids and not {dsp, kkn} & ids, (who, ids)
        assert svc.get(complaint, who).id == complaint  # the complaint stays readable
        # the register still says Dewi is relieved of duty, without naming the files
        record = client.get(f"/staff/{DEWI}", headers=auth(app, who)).json()
        assert (record["status"], record["cases"]) == ("suspended", []), record
        for decision in (
            client.post(
                f"/staff/{DEWI}/decision", json={"outcome": "guilty"}, headers=auth(app, who)
            ),
            client.post(
                f"/staff/{DEWI}/discipline",
                json={"event": "warn", "data": {"reason": "late"}},
                headers=auth(app, who),
            ),
        ):
            assert decision.status_code == 403 and kkn not in decision.text, decision.text
        pages = TestClient(create_app(app), raise_server_exceptions=False)
        sign_in(pages, app, who)
        for case_id in (dsp, kkn):
            page = pages.get(f"/cases/{case_id}/view")
            assert page.status_code == 404, (who, case_id, page.status_code)
            assert "Ibu Ani" not in page.text
        worklist = pages.get("/", params={"q": ""})
        assert worklist.status_code == 200 and dsp not in worklist.text and kkn not in worklist.text
    for who in READERS:
        for case_id in (dsp, kkn):
            assert svc.get(case_id, who).id == case_id
            assert client.get(f"/cases/{case_id}", headers=auth(app, who)).status_code == 200
        record = client.get(f"/staff/{DEWI}", headers=auth(app, who)).json()
        assert {c["id"] for c in record["cases"]} == {dsp, kkn}, record


def test_the_worklist_search_finds_a_case_by_the_person_it_is_about(
    app: App, files: tuple[str, str, str]
) -> None:
    """The worklist shows a KKN or discipline case by its staff member's name, but searching
    that name found nothing (only summaries were searched; helper-46)."""
    dsp, kkn, complaint = files
    client = TestClient(create_app(app), raise_server_exceptions=False)
    r = client.get("/cases", params={"q": "dewi lest"}, headers=auth(app, "kab.bogor"))
    assert r.status_code == 200, r.text
    assert {c["id"] for c in r.json()["items"]} == {dsp, kkn, complaint}  # the accused too
    pages = TestClient(create_app(app), raise_server_exceptions=False)
    sign_in(pages, app, "kab.bogor")
    found = pages.get("/", params={"q": "Dewi Lestari"})
    assert found.status_code == 200 and all(i in found.text for i in (dsp, kkn, complaint))
    # for whom the files do not exist, the search does not find them either
    r = client.get("/cases", params={"q": "dewi"}, headers=auth(app, "pdp.bogor"))
    assert {c["id"] for c in r.json()["items"]} == {complaint}


def test_the_worklist_page_filters_by_kind_of_case_among_those_the_role_may_read(
    app: App, files: tuple[str, str, str]
) -> None:
    """`/?workflow=kkn` was ignored and the page had no such filter (helper-46): it lists
    the kinds of case the role may read, and filters by one."""
    dsp, kkn, complaint = files
    pages = TestClient(create_app(app), raise_server_exceptions=False)
    sign_in(pages, app, "kab.bogor")
    everything = pages.get("/")
    assert '<select name="workflow"' in everything.text
    assert "Disiplin staf (SDM)" in everything.text
    only_kkn = pages.get("/", params={"workflow": "kkn"})
    assert only_kkn.status_code == 200
    assert kkn in only_kkn.text and dsp not in only_kkn.text and complaint not in only_kkn.text
    assert 'value="kkn" selected' in only_kkn.text.split('<select name="workflow"', 1)[1]
    sign_in(pages, app, "pdp.bogor")  # the kinds it may read; another is no filter at all
    mine = pages.get("/", params={"workflow": "kkn"})
    assert mine.status_code == 200 and complaint in mine.text and kkn not in mine.text
    kinds = mine.text.split('<select name="workflow"', 1)[1].split("</select>", 1)[0]
    assert 'value="kkn"' not in kinds and 'value="discipline"' not in kinds, kinds
    assert 'value="complaint"' in kinds


@pytest.mark.parametrize("name", ["Andi S/O", "Andi\nBaris", "Andi\tTab"])
def test_a_staff_name_that_could_not_be_reached_or_printed_is_refused(app: App, name: str) -> None:
    """Regression: a staff record named "a/b" was made, then every route to it
    (/staff/a%2Fb) was a bare 404 "Not Found"; a line break broke the letters naming it."""
    client = TestClient(create_app(app))
    r = client.post(
        "/staff",
        json={"name": name, "position": "operator", "region": "3271"},
        headers=auth(app, "admin"),
    )
    assert r.status_code == 422 and r.json()["field"] == "name", r.text
    assert "control character" in r.json()["message"]
    with pytest.raises(Exception, match="tidak boleh|may not"):
        add_staff(app.db, name, "operator", "3271", username=None, now=app.service.clock())
    ok = client.post(
        "/staff",
        json={"name": "Andi Saputra-Wijaya", "position": "operator", "region": "3271"},
        headers=auth(app, "admin"),
    )
    assert ok.status_code == 201, ok.text
