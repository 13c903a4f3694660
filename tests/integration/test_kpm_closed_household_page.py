"""A closed household's page says what can no longer happen to it. FastAPI's client on a
SQLite file (and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from api.wiring import App
from tests.conftest import complaint_data
from tests.e2e.test_pages import sign_in
from tests.integration.test_kpm_import import household_at_peserta
from workflows import kpm_store as store


def test_a_correction_left_waiting_when_the_household_moved_away_is_said_not_to_apply(
    app: App, tmp_path: Path
) -> None:
    """Pusat scheduled a correction from the next payment period; the household then moved
    away. Data control only runs on open households, so the correction never applies, yet the
    page still listed it under "Koreksi menunggu berlaku · Berlaku mulai ...". An open
    household's page keeps that heading."""
    from api.http import create_app

    case_id = household_at_peserta(app, tmp_path)
    complaint = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    app.service.apply(complaint.id, "escalate", {"reason": "koreksi data pusat"}, "kab.bogor")
    fix = {"pengaduan": complaint.id, "anggota": json.dumps({"02": {"nama": "Andi Saputra"}})}
    store.apply(app, case_id, "koreksi", fix, "pusat.spm")
    path = f"/cases/{case_id}/view"
    with TestClient(create_app(app)) as web:
        sign_in(web, app, "kab.bogor")
        waiting = web.get(path).text
        assert "Koreksi menunggu berlaku" in waiting and "tidak akan berlaku" not in waiting
        store.apply(app, case_id, "pindah", {"tujuan": "Kota Depok"}, "pdp.bogor")
        assert app.service.get(case_id).status == "closed"
        closed = web.get(path).text
        assert "Koreksi menunggu berlaku" not in closed
        assert "Koreksi yang tidak akan berlaku (rumah tangga sudah keluar dari PKH)" in closed
        assert "Andi Saputra" in closed  # what it would have changed is still shown
        web.get("/lang/en")
        english = web.get(path).text
        assert "Corrections that will not apply (the household has left PKH)" in english
