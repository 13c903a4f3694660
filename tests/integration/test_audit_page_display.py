"""What the auditor's page (a case as of a moment, compared with now) shows of a complaint
closed and reopened, of dates and of a household's members: FastAPI's client on a SQLite file
(and PostgreSQL)."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from api.wiring import App
from tests.conftest import Clock, complaint_data
from tests.e2e.test_pages import sign_in
from tests.integration.test_officer_walkthrough_kpm import NEWBORN
from tests.integration.test_pages_in_english import household
from workflows import kpm_store as store


def _later(clock: Clock, hours: int = 1) -> None:
    clock.set(clock() + timedelta(hours=hours))


def _closed_then_reopened(app: App, clock: Clock) -> tuple[str, str, str]:
    """A complaint resolved (the reporter told by letter) and reopened; the moments while it
    was handled and while it was closed, as the audit page's `at` takes them."""
    case_id = app.service.open_case("complaint", complaint_data(), "kab.bogor").id
    handled = f"{clock():%Y-%m-%dT%H:%M}"
    for data in ({}, {"parties": "PT Pos cabang Bogor"}, {"result": "Data diperbaiki"}):
        _later(clock)
        app.service.apply(case_id, "advance", data, "kab.bogor")
    _later(clock)
    app.service.apply(case_id, "advance", {"informed_via": "surat"}, "kab.bogor")
    assert app.service.get(case_id).state == "selesai"
    closed = f"{clock():%Y-%m-%dT%H:%M}"
    _later(clock, 24)
    app.service.apply(case_id, "reopen", {"reason": "pelapor keberatan"}, "kab.bogor")
    _later(clock)
    return case_id, handled, closed


def _rows(page: str) -> dict[str, list[str]]:
    """The audit page's table of changes: field -> [then, now], as text."""
    table = page.split('<table class="changes">')[1].split("</table>")[0]
    out = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = [
            re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", c))).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        if cells:
            out[cells[0]] = cells[1:]
    return out


def test_a_reopened_complaints_closing_values_are_not_shown_as_holding_now(
    app: App, clock: Clock
) -> None:
    """Reopened, a complaint still carries the level it was closed at and how the reporter
    was told (replay of the events keeps them); the audit page showed them in its 'now'
    column as if they held now. They are shown as the earlier closing's, in both languages."""
    from api.http import create_app

    case_id, handled, closed = _closed_then_reopened(app, clock)
    with TestClient(create_app(app)) as web:
        sign_in(web, app, "auditor")
        rows = _rows(web.get("/audit", params={"case_id": case_id, "at": handled}).text)
        for field in ("Ditutup di tingkat", "Pelapor diberi tahu melalui"):
            assert field in rows, rows
            then, now = rows[field]
            assert then == "–"
            assert "dari penutupan 2 Mar 2026 13:00 WIB, sebelum dibuka kembali" in now, now
        # while it was closed they held: shown plainly then, as the closing's now
        rows = _rows(web.get("/audit", params={"case_id": case_id, "at": closed}).text)
        then, now = rows["Ditutup di tingkat"]
        assert then == "Kabupaten/Kota"
        assert now.startswith("Kabupaten/Kota") and "sebelum dibuka kembali" in now
        assert "dibuka kembali" not in rows["Pelapor diberi tahu melalui"][0]

        web.get("/lang/en", follow_redirects=False)
        rows = _rows(web.get("/audit", params={"case_id": case_id, "at": handled}).text)
        now = rows["Closed at level"][1]
        assert "from the closing of 2 Mar 2026 13:00 WIB, before it was reopened" in now, now


def test_the_table_of_changes_writes_deadlines_as_the_cards_do(app: App, clock: Clock) -> None:
    """The cards said '9 Mar 2026 23:59 WIB', the table of changes under them '2026-03-09'
    for the same deadline."""
    from api.http import create_app

    case_id, handled, _ = _closed_then_reopened(app, clock)
    with TestClient(create_app(app)) as web:
        sign_in(web, app, "auditor")
        page = web.get("/audit", params={"case_id": case_id, "at": handled}).text
        rows = _rows(page)
        assert rows["Tenggat tahap"] == ["9 Mar 2026 23:59 WIB", "10 Mar 2026 23:59 WIB"]
        assert rows["Tenggat tingkat"] == ["15 Apr 2026 23:59 WIB", "16 Apr 2026 23:59 WIB"]
        cards = page.split('<table class="changes">')[0]
        assert all(f">{d}<" in cards for d in ("9 Mar 2026 23:59 WIB", "16 Apr 2026 23:59 WIB"))

        web.get("/lang/en", follow_redirects=False)
        rows = _rows(web.get("/audit", params={"case_id": case_id, "at": handled}).text)
        assert rows["Stage due"] == ["9 Mar 2026 23:59 WIB", "10 Mar 2026 23:59 WIB"]
        assert not [v for vs in rows.values() for v in vs if re.search(r"\d{4}-\d\d-\d\d", v)]


def _member_rows(page: str) -> list[list[str]]:
    table = page.split('class="changes member-diff"')[1].split("</table>")[0]
    return [
        [re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", c))).strip() for c in cells]
        for cells in (
            re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
            for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
        )
        if cells
    ]


def test_a_reused_member_number_is_a_removal_and_an_addition(
    app: App, clock: Clock, tmp_path: Path
) -> None:
    """Rudi (03) moved out and a newborn was added, given 03 (the next number): the table of
    member changes showed 03 as one person whose name, NIK and birth date changed, from Rudi
    to the baby. It shows Rudi removed and the baby added."""
    from api.http import create_app

    case_id = household(app, tmp_path)
    at = f"{clock():%Y-%m-%dT%H:%M}"
    _later(clock)
    store.apply(app, case_id, "pemutakhiran", {"hapus": {"03": "pindah_kk"}}, "pdp.bogor")
    store.apply(app, case_id, "pemutakhiran", {"tambah": [NEWBORN]}, "pdp.bogor")
    assert app.service.get(case_id).attrs["anggota"]["03"]["nama"] == "Siti"
    with TestClient(create_app(app)) as web:
        sign_in(web, app, "auditor")
        rows = _member_rows(web.get("/audit", params={"case_id": case_id, "at": at}).text)
        assert rows == [
            ["03", "Rudi", "–", "Rudi", "dihapus"],
            ["03", "Siti", "–", "–", "ditambahkan"],
        ], rows


def test_a_members_dates_are_written_as_the_rest_of_the_page_writes_dates(
    app: App, clock: Clock, tmp_path: Path
) -> None:
    """Rudi's birth date corrected and Ani's death recorded: the table of member changes
    said 'Tanggal lahir 2008-03-03 | 2008-03-04' and 'Meninggal – | 2026-...' where the rest
    of the page says '9 Mar 2026 23:59 WIB'. A date of birth is a plain date: no time, no
    zone."""
    from api.http import create_app

    case_id = household(app, tmp_path)
    at = f"{clock():%Y-%m-%dT%H:%M}"
    _later(clock)
    fixed = {"03": {"nik": "3271010403080002", "tanggal_lahir": "2008-03-04"}}
    store.apply(app, case_id, "pemutakhiran", {"anggota": fixed}, "pdp.bogor")
    died = {"nomor_anggota": "02", "tanggal": "2026-03-02"}
    store.apply(app, case_id, "anggota_meninggal", died, "pdp.bogor")
    with TestClient(create_app(app)) as web:
        sign_in(web, app, "auditor")
        rows = _member_rows(web.get("/audit", params={"case_id": case_id, "at": at}).text)
        assert ["03", "Rudi", "Tanggal lahir", "3 Mar 2008", "4 Mar 2008"] in rows, rows
        assert ["02", "Ani", "Meninggal", "–", "2 Mar 2026"] in rows, rows
        assert not [c for row in rows for c in row if re.search(r"\d{4}-\d\d", c)], rows

        web.get("/lang/en", follow_redirects=False)
        rows = _member_rows(web.get("/audit", params={"case_id": case_id, "at": at}).text)
        assert ["03", "Rudi", "Date of birth", "3 Mar 2008", "4 Mar 2008"] in rows, rows
        assert not [c for row in rows for c in row if re.search(r"\d{4}-\d\d", c)], rows


def test_the_household_page_writes_member_dates_as_it_writes_other_days(
    app: App, clock: Clock, tmp_path: Path
) -> None:
    """The audit page writes a birth date '3 Mar 2008'; the household's own page, where the
    officers read it every day, said '2008-03-03' in its members table and in the timeline's
    member tables (the registration, a data update, a death). Both pages now write a day
    alike, in the page's language; the date input of a form keeps its ISO value."""
    from api.http import create_app

    case_id = household(app, tmp_path)
    _later(clock)
    fixed = {"03": {"nik": "3271010403080002", "tanggal_lahir": "2008-03-04"}}
    store.apply(app, case_id, "pemutakhiran", {"anggota": fixed}, "pdp.bogor")
    with TestClient(create_app(app)) as web:
        sign_in(web, app, "pdp.bogor")
        for lang, month in (("id", "Mar"), ("en", "Mar")):
            web.get(f"/lang/{lang}", follow_redirects=False)
            page = web.get(f"/cases/{case_id}/view").text
            shown = re.sub(r"<[^>]+>", " ", re.sub(r"<(input|option|select)[^>]*>", " ", page))
            shown = html.unescape(shown)
            assert f"4 {month} 2008" in shown, shown
            assert not re.findall(r"\b(?:19|20)\d\d-\d\d-\d\d\b", shown), re.findall(
                r".{40}\b(?:19|20)\d\d-\d\d-\d\d\b.{20}", shown
            )


def test_a_households_compliance_is_compared_in_words_not_as_recorded_codes(
    app: App, clock: Clock, tmp_path: Path
) -> None:
    """A month verified as missed: the auditor's table of changes said 'kepatuhan | – |
    tidak_patuh' and 'bulan tidak patuh | 0 | 1', the recorded keys and code as they are
    stored (in English too). Now in words, in the page's language."""
    import json

    from api.http import create_app
    from tests.integration.test_kpm_import import household_at_peserta

    case_id = household_at_peserta(app, tmp_path)
    at = f"{clock():%Y-%m-%dT%H:%M}"
    _later(clock)
    month = {"periode": "2025-12", "hadir": json.dumps({"02": 0})}
    store.apply(app, case_id, "verifikasi_komitmen", month, "pdp.bogor")
    with TestClient(create_app(app)) as web:
        sign_in(web, app, "auditor")
        rows = _rows(web.get("/audit", params={"case_id": case_id, "at": at}).text)
        assert rows["Kepatuhan"] == ["–", "Tidak patuh"], rows
        assert rows["Bulan tidak patuh berturut-turut"] == ["0", "1"], rows
        assert not [k for k in rows if "_" in k or k.islower()], rows
        web.get("/lang/en", follow_redirects=False)
        rows = _rows(web.get("/audit", params={"case_id": case_id, "at": at}).text)
        assert rows["Compliance"] == ["–", "Not compliant"], rows
        assert rows["Consecutive months not compliant"] == ["0", "1"], rows


def test_the_household_page_writes_a_death_and_the_decree_as_it_writes_other_days(
    app: App, clock: Clock, tmp_path: Path
) -> None:
    """Birth dates were written '4 Mar 2008', but the same page said 'MENINGGAL DUNIA
    (2026-01-05)' in its members table and 'Tanggal SK: 2025-12-01' and 'Tanggal: 2026-01-05'
    in the timeline (the decree, the death). Every day on the page is written alike now."""
    from api.http import create_app
    from tests.integration.test_kpm_import import household_at_peserta

    case_id = household_at_peserta(app, tmp_path)
    died = {"nomor_anggota": "01", "tanggal": "2026-01-05"}
    store.apply(app, case_id, "anggota_meninggal", died, "pdp.bogor")
    with TestClient(create_app(app)) as web:
        sign_in(web, app, "pdp.bogor")
        for lang, december in (("id", "Des"), ("en", "Dec")):
            web.get(f"/lang/{lang}", follow_redirects=False)
            page = web.get(f"/cases/{case_id}/view").text
            shown = re.sub(r"<[^>]+>", " ", re.sub(r"<(input|option|select)[^>]*>", " ", page))
            shown = re.sub(r"\s+", " ", html.unescape(shown))
            assert "(5 Jan 2026)" in shown and f"1 {december} 2025" in shown, shown
            assert not re.findall(r"\b(?:19|20)\d\d-\d\d-\d\d\b", shown), re.findall(
                r".{40}\b(?:19|20)\d\d-\d\d-\d\d\b.{20}", shown
            )
