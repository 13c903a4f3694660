"""A household's page says what its state means: what can no longer happen to a closed one,
why one is suspended. FastAPI's client on a SQLite file (and PostgreSQL)."""

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


def test_a_suspended_households_page_says_how_many_months_were_missed_in_a_row(
    app: App, tmp_path: Path
) -> None:
    """Three months missed suspend the benefits; the officer deciding whether to reinstate
    (pulihkan) or end (hentikan) read only 'Kepatuhan terakhir 2026-02 · 0/1 hadir': not that
    the household was not compliant, nor for how many months in a row."""
    from api.http import create_app

    case_id = household_at_peserta(app, tmp_path)
    for month in ("2025-12", "2026-01", "2026-02"):
        missed = {"periode": month, "hadir": json.dumps({"02": 0})}
        store.apply(app, case_id, "verifikasi_komitmen", missed, "pdp.bogor")
    assert app.service.get(case_id).state == "penangguhan"
    with TestClient(create_app(app)) as web:
        sign_in(web, app, "kab.bogor")
        page = web.get(f"/cases/{case_id}/view").text
        facts = page.split('<dl class="facts">')[1].split("</dl>")[0]
        assert "0/1 hadir · Tidak patuh" in facts
        assert "<dt>Bulan tidak patuh berturut-turut</dt>" in facts
        assert '<dd class="num missed-months">3</dd>' in facts
        # reinstated: the count starts again and the line goes
        store.apply(app, case_id, "pulihkan", {"alasan": "sakit, ada surat dokter"}, "kab.bogor")
        assert "missed-months" not in web.get(f"/cases/{case_id}/view").text


def test_a_household_that_moved_says_so_and_where_to_even_with_the_officers_words(
    app: App, tmp_path: Path
) -> None:
    """The pindah form's optional "Alasan" replaced the exit reason: the page said 'Keluar',
    'Alasan keluar: ikut suami bekerja', nothing about a move nor where the family went (the
    new region's office takes it up from there)."""
    from api.http import create_app

    case_id = household_at_peserta(app, tmp_path)
    moved = {"tujuan": "Kota Depok", "alasan": "ikut suami bekerja"}
    store.apply(app, case_id, "pindah", moved, "pdp.bogor")
    with TestClient(create_app(app)) as web:
        sign_in(web, app, "kab.bogor")
        page = web.get(f"/cases/{case_id}/view").text
        facts = page.split('<dl class="facts">')[1].split("</dl>")[0]
        assert "<dt>Alasan keluar</dt><dd>Pindah</dd>" in facts
        assert '<dt>Tujuan pindah</dt><dd class="moved-to">Kota Depok</dd>' in facts
        assert "ikut suami bekerja" in page  # the officer's words stay in the timeline


def test_a_household_found_not_eligible_says_why_among_its_facts(app: App, tmp_path: Path) -> None:
    """Validated not eligible (no member in a PKH component): the closed household's facts
    said 'Tidak memenuhi syarat', 'ditutup' and nothing of the reason the pendamping had to
    give, which other exits show as 'Alasan keluar'."""
    from api.http import create_app
    from tests.integration.test_kpm_import import KK1, two_households, write_csv
    from workflows.kpm_import import import_file

    import_file(app, write_csv(tmp_path / "hh.csv", two_households()))
    with app.db.reading() as s:
        case_id = store.resolve(s, KK1)
    found = {"hasil": "non_eligible", "alasan": "tidak_ditemukan"}
    store.apply(app, case_id, "validasi", found, "pdp.bogor")
    with TestClient(create_app(app)) as web:
        sign_in(web, app, "kab.bogor")
        page = web.get(f"/cases/{case_id}/view").text
        facts = page.split('<dl class="facts">')[1].split("</dl>")[0]
        assert "<dt>Alasan hasil validasi</dt>" in facts
        assert '<dd class="validation-reason">Tidak ditemukan di alamat</dd>' in facts


def test_a_household_found_ineligible_for_another_reason_says_it_in_words(
    app: App, tmp_path: Path
) -> None:
    """`tidak_layak` with alasan 'lainnya' needs the reason in words (keterangan); the closed
    household's facts then said only 'Alasan keluar: Lainnya'."""
    from api.http import create_app

    case_id = household_at_peserta(app, tmp_path)
    why = {"alasan": "lainnya", "keterangan": "penerima ganda di kabupaten lain"}
    store.apply(app, case_id, "tidak_layak", why, "kab.bogor")
    assert app.service.get(case_id).attrs["alasan_keluar"] == "lainnya"
    with TestClient(create_app(app)) as web:
        sign_in(web, app, "kab.bogor")
        page = web.get(f"/cases/{case_id}/view").text
        facts = page.split('<dl class="facts">')[1].split("</dl>")[0]
        assert "<dt>Alasan keluar</dt><dd>Lainnya</dd>" in facts
        assert (
            '<dt>Keterangan</dt><dd class="exit-explained">penerima ganda di kabupaten lain</dd>'
            in facts
        )
