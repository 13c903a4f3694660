"""The officer pages on households and staff cases (review findings kpm #8, #14, officer #8):
KYC gaps and the data-update form on a household's page, members shown as tables in the
timeline and on the auditor's page, a KKN case named by its state, the worklist row of each,
and a household found by its codes. FastAPI's client on a SQLite file, then a real Chromium.

The form's submission and the lookup need api/page_cases.py to call `page_views.command_data` and
`page_views.find_case` (post_event, worklist)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.wiring import App
from tests.conftest import Clock
from tests.e2e.test_pages import (
    csrf_from,
    require_chromium,
    served_store,
    sign_in,
    signed_in_page,
)
from tests.integration.test_kpm_import import KK1, person, write_csv
from workflows import kpm_store as store
from workflows.kpm_import import import_file

WIFE_NIK = "3271014505850002"


def household(app: App, tmp_path: Path) -> str:
    """Budi's household; his wife's mother's maiden name is missing from the extract."""
    rows = [
        person(KK1, "3271010101800001", "1980-01-01", 1, 1, 9, nama="Budi Santoso"),
        person(KK1, WIFE_NIK, "1985-05-05", 2, 2, 1, nama="Ani", nama_ibu_kandung=""),
    ]
    import_file(app, write_csv(tmp_path / "hh.csv", rows))
    with app.db.reading() as s:
        return store.resolve(s, KK1)


def kkn_case(app: App) -> str:
    data = {"staff": "Andi Pendamping", "staff_user": "pdp.bogor", "region": "327101"}
    return app.service.open_case("kkn", data, "system").id


def test_a_household_page_shows_kyc_gaps_and_a_data_update_form(
    web: TestClient, app: App, tmp_path: Path
) -> None:
    case_id = household(app, tmp_path)
    sign_in(web, app, "pdp.bogor")
    page = web.get(f"/cases/{case_id}/view").text
    assert "Tempat lahir" in page and "Nama ibu kandung" in page
    assert "Data KYC belum lengkap" in page
    wife = re.search(r'<tr data-member="02">(.*?)</tr>', page, re.S)
    assert wife and 'class="badge overdue kyc-gap">belum diisi<' in wife.group(1)
    assert "kyc-gap" not in re.search(r'<tr data-member="01">(.*?)</tr>', page, re.S).group(1)
    assert "pkh kpm advance" not in page  # the update has its form now
    for name in ("f_nomor_anggota", "f_isian", "f_nilai_baru", "f_tambah_nama", "f_hapus_alasan"):
        assert f'name="{name}"' in page, name
    assert "Calon peserta" in page
    # the registration's members as a table, not a Python list of dicts
    assert "{'" not in page and "[{" not in page
    assert 'class="members small"' in page and "1 · KEPALA KELUARGA" in page


def test_the_kyc_banner_names_the_member_and_the_fields_missing(
    web: TestClient, app: App, tmp_path: Path
) -> None:
    """The banner named 'tempat lahir, nama ibu kandung' whatever was missing, and no member;
    it now says what the decree's refusal says (only the wife's mother's maiden name here)."""
    case_id = household(app, tmp_path)
    sign_in(web, app, "pdp.bogor")
    page = web.get(f"/cases/{case_id}/view").text
    banner = re.search(r'<p class="alert error kyc-gaps"[^>]*>(.*?)</p>', page, re.S)
    assert banner, "a household with a KYC gap shows the banner"
    said = banner.group(1)
    assert "anggota 02: nama ibu kandung" in said and "tempat lahir" not in said, said
    assert "sebelum penetapan" in said  # a candidate: the decree still needs it
    web.cookies.set("lang", "en")
    said_en = re.search(
        r'class="alert error kyc-gaps"[^>]*>(.*?)</p>', web.get(f"/cases/{case_id}/view").text, re.S
    ).group(1)
    assert "member 02: mother" in said_en and "place of birth" not in said_en, said_en


def test_the_decree_is_ahead_of_a_candidate_not_of_a_participant(app: App) -> None:
    """The banner says 'before the decree' only where the decree (kyc_complete) is still ahead."""
    from api.page_views import guard_ahead

    kpm = app.registry.get("kpm")
    assert guard_ahead(kpm, "calon", "kyc_complete") and guard_ahead(
        kpm, "eligible", "kyc_complete"
    )
    for state in ("peserta", "non_eligible", "graduasi_mandiri"):
        assert not guard_ahead(kpm, state, "kyc_complete"), state


def test_the_kyc_banner_of_a_closed_household_asks_for_no_data_update(
    web: TestClient, app: App, tmp_path: Path
) -> None:
    """A household found not eligible is closed: no data update can be recorded on it (no
    such form), yet its KYC banner said "isi dengan Pemutakhiran data". It names the gaps
    only."""
    case_id = household(app, tmp_path)
    store.apply(app, case_id, "pertemuan_awal", {}, "pdp.bogor")
    found = {"hasil": "non_eligible", "alasan": "tidak_ditemukan"}
    store.apply(app, case_id, "validasi", found, "pdp.bogor")
    sign_in(web, app, "pdp.bogor")
    page = web.get(f"/cases/{case_id}/view").text
    assert 'id="do-pemutakhiran"' not in page
    banner = re.search(r'<p class="alert error kyc-gaps"[^>]*>(.*?)</p>', page, re.S)
    assert banner, "the gaps are still shown"
    assert "anggota 02: nama ibu kandung" in banner.group(1)
    assert "Pemutakhiran" not in banner.group(1), banner.group(1)


def test_a_kkn_case_is_named_by_its_state_and_its_staff_fields_in_indonesian(
    web: TestClient, app: App
) -> None:
    case_id = kkn_case(app)
    sign_in(web, app, "kab.bogor")
    page = web.get(f"/cases/{case_id}/view").text
    assert "Dibebastugaskan" in page and "– · –" not in page
    assert "staff name" not in page and "staff user" not in page
    assert "Petugas yang bersangkutan" in page and "Akun SDM PKH" in page
    # the staff member's name the event keeps for the letters is the same: shown once (43bafd0)
    assert "Nama SDM PKH" not in page
    worklist = web.get("/").text
    row = re.search(rf'data-case="{case_id}">(.*?)</tr>', worklist, re.S)
    assert row, "the KKN case is on the worklist"
    assert "Pembebastugasan KKN" in row.group(1) and "Dibebastugaskan" in row.group(1)
    assert "Andi Pendamping (pdp.bogor)" in row.group(1)


def test_a_households_worklist_row_names_its_head_and_kode_peserta(
    web: TestClient, app: App, tmp_path: Path
) -> None:
    case_id = household(app, tmp_path)
    code = app.service.get(case_id).attrs["kode_peserta"]
    sign_in(web, app, "pdp.bogor")
    row = re.search(rf'data-case="{case_id}">(.*?)</tr>', web.get("/").text, re.S)
    assert row and f"Budi Santoso · {code}" in row.group(1)
    assert "Keluarga Penerima Manfaat" in row.group(1) and "Calon peserta" in row.group(1)


def test_the_audit_page_compares_members_per_member_and_field(
    web: TestClient, app: App, clock: Clock, tmp_path: Path
) -> None:
    case_id = household(app, tmp_path)
    before = app.service.get(case_id).updated_at
    assert before is not None
    clock.set(clock() + timedelta(minutes=5))
    update = {"anggota": {"02": {"nama_ibu_kandung": "Siti Rahayu"}}}
    store.apply(app, case_id, "pemutakhiran", update, "pdp.bogor")
    sign_in(web, app, "auditor")
    at = before.astimezone().isoformat(timespec="seconds")
    page = web.get("/audit", params={"case_id": case_id, "at": at}).text
    diff = page.split('class="changes member-diff"')[1].split("</table>")[0]
    assert "Nama ibu kandung" in diff and "Siti Rahayu" in diff and "Ani" in diff
    assert diff.count("<tr>") == 2  # the header and the one field that changed
    assert "{'" not in page and "Nama pelapor" not in page
    history = web.get(f"/cases/{case_id}/view").text
    assert 'class="member-changes small"' in history and "{'" not in history


def test_the_data_update_form_fills_a_kyc_gap(web: TestClient, app: App, tmp_path: Path) -> None:
    """Needs page_cases.py's post_event to pass the form through page_views.command_data."""
    case_id = household(app, tmp_path)
    sign_in(web, app, "pdp.bogor")
    url = f"/cases/{case_id}/view"
    token = csrf_from(web, url)
    version = str(app.service.get(case_id).version)
    form = {"csrf": token, "event": "pemutakhiran", "version": version}
    half = web.post(url, data={**form, "f_nomor_anggota": "02", "f_isian": "nama_ibu_kandung"})
    assert half.status_code == 422 and "Nilai baru" in half.text
    done = web.post(
        url,
        data={**form, "f_nomor_anggota": "02", "f_isian": "nama_ibu_kandung",
              "f_nilai_baru": "Siti Rahayu"},
        follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303, done.text
    assert app.service.get(case_id).attrs["anggota"]["02"]["nama_ibu_kandung"] == "Siti Rahayu"
    assert "kyc-gap" not in web.get(url).text


def test_the_worklist_search_opens_a_household_by_its_codes(
    web: TestClient, app: App, tmp_path: Path
) -> None:
    """Needs page_cases.py's worklist to try page_views.find_case on `q` first."""
    case_id = household(app, tmp_path)
    code = app.service.get(case_id).attrs["kode_peserta"]
    sign_in(web, app, "pdp.bogor")
    for q in (code, f"{code}02", KK1, WIFE_NIK):
        r = web.get("/", params={"q": q}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == f"/cases/{case_id}/view", q
    sign_in(web, app, "kab.makassar")  # another region: a summary search that finds nothing
    r = web.get("/", params={"q": code}, follow_redirects=False)
    assert r.status_code == 200 and case_id not in r.text


@pytest.fixture
def live_household(tmp_path: Path) -> Iterator[tuple[str, str]]:
    users = [("pdp.bogor", "pendamping", "327101"), ("kab.bogor", "kabupaten", "3271")]
    with served_store(tmp_path, users, lambda pkh: household(pkh, tmp_path)) as live:
        yield live


@pytest.mark.slow
def test_a_pendamping_finds_a_household_and_fills_its_kyc_gap_in_a_real_browser(
    live_household: tuple[str, str],
) -> None:
    require_chromium()
    from playwright.sync_api import expect

    base, case_id = live_household
    with signed_in_page(base, "pdp.bogor") as page:
        row = page.locator(f'tr[data-case="{case_id}"]')
        expect(row).to_contain_text("Budi Santoso · ")
        expect(row).to_contain_text("Keluarga Penerima Manfaat")
        expect(row).to_contain_text("Calon peserta")

        page.fill("#q", WIFE_NIK)  # a member's NIK opens the household
        page.click("form.filters button[type=submit]")
        expect(page.locator("h1")).to_contain_text(case_id)
        gap = page.locator('tr[data-member="02"] .kyc-gap')
        expect(gap).to_have_text("belum diisi")

        page.click("summary:has-text('Pemutakhiran data')")
        form = page.locator("#do-pemutakhiran")
        form.locator("select[name=f_nomor_anggota]").select_option("02")
        form.locator("select[name=f_isian]").select_option("nama_ibu_kandung")
        form.locator("input[name=f_nilai_baru]").fill("Siti Rahayu")
        form.locator("button[type=submit]").click()
        expect(page.locator(".alert.done")).to_be_visible()
        expect(page.locator('tr[data-member="02"] td.nama_ibu_kandung')).to_have_text("Siti Rahayu")
        expect(page.locator(".kyc-gap")).to_have_count(0)
        last = page.locator("section.timeline tr.event").last
        expect(last.locator("table.member-changes")).to_contain_text("Siti Rahayu")


def test_the_timeline_numbers_members_by_their_member_number_not_the_list_s_position(
    web: TestClient, app: App, tmp_path: Path
) -> None:
    """A member added as 03 read "1" in the timeline's "Anggota baru" table (the list's
    position, helper-46): each row now carries the number the household gave that member."""
    case_id = household(app, tmp_path)
    child = person(KK1, "3271010303150003", "2015-03-03", 1, 3, 4, jenjang_sekolah=1, kelas=5)
    added = {k: v for k, v in child.items() if k not in ("no_kk", "kode_wilayah")}
    app.service.apply(case_id, "pemutakhiran", {"tambah": [added]}, "pdp.bogor")
    assert "03" in app.service.get(case_id).attrs["anggota"]
    sign_in(web, app, "pdp.bogor")
    page = web.get(f"/cases/{case_id}/view")
    assert page.status_code == 200, page.text
    tables = re.findall(r'<table class="members small">(.*?)</table>', page.text, re.S)
    numbers = [re.findall(r'<td class="num">([^<]*)</td>', t) for t in tables]
    assert ["03"] in numbers and ["01", "02"] in numbers, numbers


def test_a_validation_refused_for_a_contradiction_says_it_in_the_page_s_words(
    web: TestClient, app: App, tmp_path: Path
) -> None:
    """'Memenuhi syarat' chosen with a reason for not being eligible: the refusal named the
    codes ("alasan untuk hasil non_eligible, sedangkan hasilnya eligible"); it says the
    result and the reason as the form's lists do, in the page's language."""
    case_id = household(app, tmp_path)
    sign_in(web, app, "pdp.bogor")
    url = f"/cases/{case_id}/view"
    form = {
        "csrf": csrf_from(web, url),
        "event": "validasi",
        "version": str(app.service.get(case_id).version),
        "f_hasil": "eligible",
        "f_alasan": "mampu",
    }
    refused = web.post(url, data=form)
    assert refused.status_code == 422
    assert (
        "Alasan: “Tidak miskin (mampu)” adalah alasan untuk hasil “Tidak memenuhi syarat "
        "(non eligible)”, sedangkan hasilnya “Memenuhi syarat (eligible)”" in refused.text
    )
    assert "non_eligible" not in refused.text.split('class="alert error"')[1].split("</div>")[0]
    web.cookies.set("lang", "en")
    english = web.post(url, data=form).text
    assert "Reason: “Not poor” is a reason for the result “Not eligible”" in english


def test_an_update_refused_names_the_member_and_field_in_words_and_the_api_the_path(
    web: TestClient, app: App, tmp_path: Path
) -> None:
    """A data update's refusal named the field by its path (`anggota.02.nik`); the page says
    "anggota 02, NIK" (English "member 02, NIK"), while the JSON API's `field` keeps the path."""
    from api.http import TOKEN_TTL
    from api.security import create_token

    case_id = household(app, tmp_path)
    sign_in(web, app, "pdp.bogor")
    url = f"/cases/{case_id}/view"
    form = {
        "csrf": csrf_from(web, url),
        "event": "pemutakhiran",
        "version": str(app.service.get(case_id).version),
        "f_nomor_anggota": "02",
        "f_isian": "nik",
        "f_nilai_baru": "12345",
    }
    refused = web.post(url, data=form)
    assert refused.status_code == 422
    assert "anggota 02, NIK: harus berupa 16 digit" in refused.text
    assert "anggota.02" not in refused.text
    web.cookies.set("lang", "en")
    assert "member 02, NIK: must be" in web.post(url, data=form).text
    web.cookies.clear()
    token = create_token("pdp.bogor", app.settings.secret_key, app.service.clock(), TOKEN_TTL)
    api = web.post(
        f"/cases/{case_id}/events",
        json={"event": "pemutakhiran", "data": {"anggota": '{"02": {"nik": "12345"}}'}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert api.status_code == 422 and api.json()["field"] == "anggota.02.nik"
