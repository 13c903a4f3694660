"""The auditor's page said "Petugas: (antrian kantor)" and gave deadlines of "–" for KKN and
discipline cases, which nobody is ever assigned and which have no deadlines; a complaint's
card keeps them."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from api.http import create_app
from api.wiring import App
from tests.conftest import complaint_data
from tests.e2e.test_pages import sign_in
from tests.integration.test_kkn_story import staffed  # noqa: F401 (fixture)
from workflows.staff import get_staff


def _now_card(client: TestClient, case_id: str) -> str:
    page = client.get(f"/audit?case_id={case_id}").text
    card = page.split("<h2>Sekarang</h2>", 1)[1].split("</section>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", card)).strip()


def test_a_kkn_case_on_the_auditors_page_has_no_handler_nor_deadlines(
    staffed: App,  # noqa: F811
) -> None:
    app = staffed
    data = complaint_data(type="kkn", accused="Andi", summary="Pungutan liar saat penyaluran")
    complaint = app.service.open_case("complaint", data, "kab.bogor").id
    kkn_id = get_staff(app.db, "Andi").cases[0]["id"]
    with TestClient(create_app(app)) as client:
        sign_in(client, app, "auditor")
        said = _now_card(client, kkn_id)
        assert "Andi" in said and f"Pengaduan asal {complaint}" in said, said
        assert "antrian kantor" not in said and "Petugas" not in said, said
        assert "Tenggat" not in said, said
        said = _now_card(client, complaint)  # a complaint's card is as it was
        assert "Petugas kab.bogor" in said and "Tenggat tahap 9 Mar 2026" in said, said
