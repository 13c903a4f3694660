"""The month's commitment verification uploaded in a real Chromium (/kpm/verifikasi): a
pendamping opens it from the navigation, uploads the month's CSV and reads the report; a file
over the 1 MB request limit gets the page saying so, not a reset connection."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from api.wiring import App
from tests.conftest import WIB
from tests.e2e.test_pages import require_chromium, served_store, signed_in_page
from tests.integration.test_kpm_import import KK1, person, write_csv
from workflows import kpm_store as store
from workflows.kpm_import import import_file


def participant(app: App, tmp_path: Path) -> tuple[str, str, str]:
    """A household established today (the real clock): (case, kode peserta, this month)."""
    rows = [
        person(KK1, "3271010101800001", "1980-01-01", 1, 1, 9, nama="Budi Santoso"),
        person(KK1, "3271010303150003", "2015-03-03", 1, 3, 4, jenjang_sekolah=1, kelas=5),
    ]
    assert import_file(app, write_csv(tmp_path / "hh.csv", rows)).rejected == []
    with app.db.reading() as s:
        case_id = store.resolve(s, KK1)
    store.apply(app, case_id, "pertemuan_awal", {}, "pdp.bogor")
    store.apply(app, case_id, "validasi", {"hasil": "eligible"}, "pdp.bogor")
    today = app.service.clock().astimezone(WIB).date()
    sk = {"nomor_sk": "SK-1/2026", "tanggal_sk": today.isoformat()}
    store.apply(app, case_id, "tetapkan", sk, "pusat.spm")
    kode = str(app.service.get(case_id).attrs["kode_peserta"])
    return case_id, kode, f"{today:%Y-%m}"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[str, tuple[str, str, str]]]:
    users = [("pdp.bogor", "pendamping", "327101"), ("pusat.spm", "pusat", None)]
    with served_store(tmp_path, users, lambda pkh: participant(pkh, tmp_path)) as served:
        yield served


@pytest.mark.slow
def test_a_pendamping_uploads_the_month_in_a_real_browser(
    live: tuple[str, tuple[str, str, str]], tmp_path: Path
) -> None:
    require_chromium()
    from playwright.sync_api import expect

    base, (case_id, kode, month) = live
    good = tmp_path / "hadir.csv"
    good.write_text(
        f"periode,kode_anggota,nik,hadir\n{month},{kode}02,,1\n{month},{kode}09,,1\n",
        encoding="utf-8",
    )
    big = tmp_path / "besar.csv"
    big.write_text("periode,kode_anggota,nik,hadir\n" + f"{month},{kode}02,,1\n" * 60_000)
    assert big.stat().st_size > 1_000_000
    with signed_in_page(base, "pdp.bogor") as page:
        page.click("header.top a:has-text('Verifikasi komitmen')")
        expect(page.locator("h1")).to_have_text("Verifikasi komitmen bulanan")
        expect(page.locator("pre.example")).to_contain_text("periode,kode_anggota,nik,hadir")

        page.set_input_files("#berkas", str(good))
        page.click("form[enctype] button[type=submit]")
        expect(page.locator("#report-title")).to_have_text("Hasil berkas hadir.csv")
        expect(page.locator("#v-rows")).to_have_text("2")
        expect(page.locator("#v-households")).to_have_text("0")  # member 09: the month waits
        expect(page.locator('tr[data-line="3"]')).to_contain_text("tidak memiliki anggota 09")

        good.write_text(f"periode,kode_anggota,nik,hadir\n{month},{kode}02,,1\n")
        page.set_input_files("#berkas", str(good))
        page.click("form[enctype] button[type=submit]")
        expect(page.locator("#v-households")).to_have_text("1")
        expect(page.locator(".alert.done")).to_contain_text("Semua 1 baris diterima")

        page.set_input_files("#berkas", str(big))
        page.click("form[enctype] button[type=submit]")
        expect(page.locator("h1")).to_have_text("Berkas terlalu besar")
        expect(page.locator("main")).to_contain_text("lebih dari 1 MB")
        page.click("text=Kembali ke formulir")
        expect(page.locator("h1")).to_have_text("Verifikasi komitmen bulanan")

        page.goto(f"{base}/cases/{case_id}/view")
        page.click("summary:has-text('Verifikasi komitmen')")
        page.click("#do-verifikasi_komitmen a:has-text('Verifikasi komitmen')")
        expect(page.locator("h1")).to_have_text("Verifikasi komitmen bulanan")
