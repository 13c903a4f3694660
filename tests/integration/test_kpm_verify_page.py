"""The month's commitment verification uploaded on the officer pages (/kpm/verifikasi): the same
`verify_file` as `pkh kpm verify-month`, run as the signed-in officer, its report on the page in
the officer's language, and every bad upload said on the page, never a 500. FastAPI's client."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.admin import add_user
from api.wiring import App
from tests.conftest import WIB, Clock
from tests.e2e.test_pages import csrf_from, sign_in
from tests.integration.test_kpm_import import (
    kpm_registered,  # noqa: F401  (autouse fixture)
    person,
    write_csv,
)
from tests.integration.test_kpm_verify_month import code
from tests.integration.test_kpm_verify_month import household as household  # noqa: F401
from workflows import kpm_store as store
from workflows.kpm_import import import_file

PAGE = "/kpm/verifikasi"
HEADER = "periode,kode_anggota,nik,hadir\n"
OTHER_KK = "3271020505200006"  # a household of Kecamatan 327102, outside pdp.bogor's
OTHER_NIK = "3271020707160003"


@pytest.fixture
def web(app: App) -> Iterator[TestClient]:
    from api.http import create_app

    with TestClient(create_app(app)) as client:
        yield client


@pytest.fixture
def other(app: App, clock: Clock, tmp_path: Path) -> str:
    """A participant of Kecamatan 327102, its pendamping pdp.lain."""
    add_user(app.db, "pdp.lain", "pendamping", "327102", now=clock())
    today = clock()
    clock.set(datetime(2025, 11, 20, 9, 0, tzinfo=WIB))
    rows = [
        person(OTHER_KK, "3271020505800001", "1980-05-05", 1, 1, 9, kode_wilayah="3271021001"),
        person(OTHER_KK, OTHER_NIK, "2016-07-07", 1, 3, 4, kode_wilayah="3271021001",
               jenjang_sekolah=1, kelas=4),
    ]  # fmt: skip
    report = import_file(app, write_csv(tmp_path / "lain.csv", rows)).as_dict()
    assert report["rejected"] == [], report["rejected"]
    with app.db.reading() as s:
        case_id = store.resolve(s, OTHER_KK)
    store.apply(app, case_id, "pertemuan_awal", {}, "pdp.lain")
    store.apply(app, case_id, "validasi", {"hasil": "eligible"}, "pdp.lain")
    clock.set(datetime(2025, 12, 1, 10, 0, tzinfo=WIB))
    sk = {"nomor_sk": "SK-13/2025", "tanggal_sk": "2025-12-01"}
    store.apply(app, case_id, "tetapkan", sk, "pusat.spm")
    clock.set(today)
    return case_id


def upload(web: TestClient, name: str, content: bytes, kind: str = "text/csv") -> tuple[int, str]:
    token = csrf_from(web, PAGE)
    r = web.post(PAGE, data={"csrf": token}, files={"berkas": (name, content, kind)})
    return r.status_code, html.unescape(r.text)


def fact(page: str, key: str) -> int:
    found = re.search(rf'<dd class="num" id="v-{key}">(\d+)</dd>', page)
    assert found, f"no {key} on the page"
    return int(found.group(1))


def rejected(page: str) -> dict[int, str]:
    rows = re.findall(r'<tr data-line="(\d+)"><td class="num">\d+</td><td>(.*?)</td></tr>', page)
    return {int(line): reason for line, reason in rows}


def test_a_pendamping_uploads_the_month_and_reads_the_report_in_either_language(
    web: TestClient, app: App, household: str
) -> None:
    case_id, kode = household, code(app, household)
    sign_in(web, app, "pdp.bogor")
    # linked from the navigation and from the household's page, no command line named there
    assert f'href="{PAGE}"' in web.get("/").text
    case_page = web.get(f"/cases/{case_id}/view").text
    assert f'href="{PAGE}"' in case_page and "pkh kpm verify-month" not in case_page
    form = web.get(PAGE).text
    assert 'enctype="multipart/form-data"' in form and "periode,kode_anggota,nik,hadir" in form

    rows = (
        f"2026-01,{kode}02,,0\n"
        f"2026-01,{kode}03,,1\n"
        f"2026-01,{kode}04,,1\n"
        "2026-01,,3271010909900009,1\n"  # nobody's NIK: rejected alone
    )
    status, page = upload(web, "hadir.csv", (HEADER + rows).encode())
    assert status == 200, page
    assert (fact(page, "rows"), fact(page, "accepted"), fact(page, "households")) == (4, 3, 1)
    assert fact(page, "months") == 1 and fact(page, "rejected") == 1
    assert rejected(page) == {
        5: "nik: 3271010909900009 bukan anggota KPM yang terdaftar di wilayah Anda (327101)",
    }
    assert "Hasil berkas hadir.csv" in page
    state = app.service.get(case_id)
    assert state.attrs["verifikasi_terakhir"]["periode"] == "2026-01"
    last = app.service.history(case_id, "pdp.bogor")[-1]
    assert last.event.actor == "pdp.bogor"  # recorded as the officer, not as `system`

    # the same file again: nothing changes (counted unchanged), in English when switched
    web.get("/lang/en", follow_redirects=False)
    status, page = upload(web, "hadir.csv", (HEADER + rows).encode())
    assert status == 200
    assert fact(page, "unchanged") == 1 and fact(page, "months") == 0
    assert rejected(page) == {
        5: "nik: 3271010909900009 is not a registered KPM member in your area (327101)"
    }
    assert "Report of hadir.csv" in page
    assert app.service.get(case_id).version == state.version

    # the month again with other attendance: the engine's reason, on every row of it
    changed = rows.replace(f"{kode}02,,0", f"{kode}02,,1")
    status, page = upload(web, "hadir.csv", (HEADER + changed).encode())
    why = rejected(page)
    assert why[2] == f"periode: 2026-01 of {case_id} is already recorded with other attendance"
    assert sorted(why) == [2, 3, 4, 5]
    assert app.service.get(case_id).version == state.version


def test_bad_uploads_are_said_on_the_page_never_a_500(
    web: TestClient, app: App, household: str
) -> None:
    sign_in(web, app, "pdp.bogor")
    kode = code(app, household)
    said = {
        ("", b"", "application/octet-stream"): (400, "Pilih berkas verifikasi terlebih dahulu"),
        ("hadir.csv", b"", "text/csv"): (400, "Berkas hadir.csv kosong (0 bita)"),
        ("hadir.csv", b"bulan,nik,hadir\n2026-01,3271010505800001,1\n", "text/csv"): (
            422,
            "hadir.csv tidak memiliki kolom: periode",
        ),
        ("hadir.csv", b"periode,hadir\n2026-01,1\n", "text/csv"): (
            422,
            "harus memiliki kolom kode_anggota atau nik",
        ),
        ("hadir.csv", (HEADER + f"2026-01,{kode}03,,1\n2026-01,\xe9,,1\n").encode("latin-1"),
         "text/csv"): (422, "hadir.csv baris 3 bukan teks UTF-8"),
        ("hadir.csv", "periode,hadir\n".encode("utf-16"), "text/csv"): (422, "UTF-16"),
        ("hadir.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00", "application/vnd.ms-excel"): (
            422,
            "berkas .xls (Excel 97-2003) tidak didukung",
        ),
        ("laporan.xlsx", b"PK\x03\x04\x00\x00 not a workbook", "application/zip"): (
            422,
            "laporan.xlsx bukan buku kerja Excel yang dapat dibaca",
        ),
        ("foto.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"): (422, "foto.png"),
    }  # fmt: skip
    before = app.service.get(household).version
    for (name, content, kind), (status, words) in said.items():
        got, page = upload(web, name, content, kind)
        assert got == status, (name, content, page[:2000])
        assert words in page, (name, page)
        assert 'class="alert error"' in page and 'name="berkas"' in page  # the form, again

    # over the request limit (1 MB): a page saying so, in the officer's language
    token = csrf_from(web, PAGE)
    big = (HEADER + f"2026-01,{kode}03,,1\n" * 60_000).encode()
    assert len(big) > 1_000_000
    r = web.post(PAGE, data={"csrf": token}, files={"berkas": ("hadir.csv", big, "text/csv")})
    assert r.status_code == 413 and r.headers["content-type"].startswith("text/html")
    assert "lebih dari 1 MB" in r.text and f'href="{PAGE}"' in r.text
    assert app.service.get(household).version == before

    # without the form's token: refused as every page form is
    r = web.post(PAGE, data={"csrf": "forged"}, files={"berkas": ("h.csv", b"x", "text/csv")})
    assert r.status_code == 403 and "Formulir kedaluwarsa" in r.text


def test_a_pendamping_records_only_its_own_region_as_the_command_line_would(
    web: TestClient, app: App, household: str, other: str
) -> None:
    kode = code(app, household)
    rows = HEADER + f"2026-01,{kode}03,,1\n" + f"2026-01,,{OTHER_NIK},1\n"
    sign_in(web, app, "pdp.lain")
    status, page = upload(web, "hadir.csv", rows.encode())
    assert status == 200
    # pdp.bogor's household is no case of pdp.lain's: said as a code the register does not
    # hold (neither its existence nor its case number told), nothing recorded there
    assert rejected(page) == {
        2: f"kode_anggota: {kode}03 tidak menyebut rumah tangga KPM yang terdaftar "
        "di wilayah Anda (327102)"
    }
    assert household not in page
    assert (fact(page, "households"), fact(page, "months")) == (1, 1)
    assert "verifikasi_terakhir" not in app.service.get(household).attrs
    assert app.service.get(other).attrs["verifikasi_terakhir"]["periode"] == "2026-01"


def test_an_upload_does_not_tell_which_niks_outside_the_area_are_kpm_members(
    web: TestClient, app: App, household: str, other: str
) -> None:
    """A NIK of a member of another area reads as a NIK of nobody: an officer cannot probe the
    register beyond its area (`CaseService.may_read`) by uploading NIKs."""
    member = app.service.get(household).attrs["anggota"]["01"]["nik"]
    nobody = "3271010909900009"
    rows = HEADER + f"2026-01,,{member},1\n" + f"2026-01,,{nobody},1\n"
    sign_in(web, app, "pdp.lain")
    status, page = upload(web, "hadir.csv", rows.encode())
    assert status == 200
    assert rejected(page) == {
        2: f"nik: {member} bukan anggota KPM yang terdaftar di wilayah Anda (327102)",
        3: f"nik: {nobody} bukan anggota KPM yang terdaftar di wilayah Anda (327102)",
    }
    assert household not in page
    assert "verifikasi_terakhir" not in app.service.get(household).attrs


def test_only_the_roles_that_record_verification_open_the_page(web: TestClient, app: App) -> None:
    sign_in(web, app, "kk.batutulis")  # a ketua kelompok records no verification
    assert f'href="{PAGE}"' not in web.get("/").text
    assert web.get(PAGE).status_code == 403
    token = csrf_from(web, "/")
    r = web.post(PAGE, data={"csrf": token}, files={"berkas": ("h.csv", b"x", "text/csv")})
    assert r.status_code == 403
    sign_in(web, app, "kab.bogor")
    assert f'href="{PAGE}"' in web.get("/").text and web.get(PAGE).status_code == 200


def test_a_pendamping_relieved_of_duty_gets_no_form_and_an_upload_is_refused_whole(
    web: TestClient, app: App, clock: Clock, household: str
) -> None:
    """The engine's own question (kpm_store.check_door), as `pkh kpm verify-month` asks it."""
    from tests.conftest import complaint_data
    from workflows.staff import add_staff

    add_user(app.db, "pdp.citra", "pendamping", "327101", now=clock())
    add_staff(app.db, "Citra Dewi", "pendamping", "327101", username="pdp.citra", now=clock())
    data = complaint_data(type="kkn", accused="Citra Dewi", summary="Pungutan liar")
    app.service.open_case("complaint", data, "kab.bogor")  # relieved of duty at once
    sign_in(web, app, "pdp.citra")
    page = web.get(PAGE).text
    assert "tidak dapat dicatat selama Anda dibebastugaskan" in page
    assert 'name="berkas"' not in page
    kode = code(app, household)
    status, page = upload(web, "hadir.csv", (HEADER + f"2026-01,{kode}03,,1\n").encode())
    box = re.search(r'<div class="alert error" role="alert">(.*?)</div>', page, re.S)
    assert status == 422 and box, page
    assert "<li>Anda sedang dibebastugaskan dan tidak dapat menangani kasus" in box.group(1)
    assert "verifikasi_terakhir" not in app.service.get(household).attrs


def _damaged_workbook(kode: str, damage: str) -> bytes:
    """A workbook whose first row is readable and whose sheet is damaged after it: `truncated`
    (its XML cut short), `cell` (a cell reference past the last column), `sheetless` (no
    worksheet at all)."""
    import io
    import zipfile

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["periode", "kode_anggota", "nik", "hadir"])
    ws.append(["2026-01", f"{kode}03", "", 1])
    ws.append(["2026-01", f"{kode}04", "", 1])
    saved = io.BytesIO()
    wb.save(saved)
    sheet = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(io.BytesIO(saved.getvalue())) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    if damage == "truncated":
        parts[sheet] = parts[sheet][: parts[sheet].index(b'<row r="3"')] + b"<row r=<<"
    elif damage == "cell":
        parts[sheet] = parts[sheet].replace(b'<c r="B3"', b'<c r="ZZZZZ3"')
    else:
        del parts[sheet]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for n, content in parts.items():
            z.writestr(n, content)
    return out.getvalue()


@pytest.mark.parametrize("damage", ["truncated", "cell", "sheetless"])
def test_a_damaged_workbook_is_refused_whole_on_the_page_not_a_500(
    web: TestClient, app: App, household: str, damage: str
) -> None:
    """openpyxl reads a sheet's XML as the rows are taken: a damage past the header failed
    there, outside the reader's own check of the workbook, and the page answered 500."""
    sign_in(web, app, "pdp.bogor")
    content = _damaged_workbook(code(app, household), damage)
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    status, page = upload(web, "hadir.xlsx", content, kind)
    assert status == 422, page[:2000]
    assert "hadir.xlsx bukan buku kerja Excel yang dapat dibaca" in page
    assert 'name="berkas"' in page  # the form, again
    assert "verifikasi_terakhir" not in app.service.get(household).attrs  # nothing recorded


def test_a_long_file_name_in_a_script_of_three_byte_letters_is_kept_short_enough(
    web: TestClient, app: App, household: str
) -> None:
    """The name was cut to 100 characters, but a file system takes 255 bytes: 100 Javanese
    (or Chinese) letters are 300, and writing the upload under that name answered 500."""
    sign_in(web, app, "pdp.bogor")
    name = "ꦥꦏ꧀ꦲ" * 40 + "_hadir.csv"  # aksara Jawa: 3 bytes a letter
    rows = HEADER + f"2026-01,{code(app, household)}03,,1\n"
    status, page = upload(web, name, rows.encode())
    assert status == 200, page[:2000]
    shown = re.search(r"Hasil berkas ([^<\s]+)", page)
    assert shown and shown.group(1).endswith("_hadir.csv")
    assert len(shown.group(1).encode()) <= 100
    assert app.service.get(household).attrs["verifikasi_terakhir"]["periode"] == "2026-01"
