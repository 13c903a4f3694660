"""The household's data-update form: a member's class picked from its list, as the other
coded fields are. FastAPI's client on a SQLite file (and PostgreSQL)."""

from __future__ import annotations

import html
import re
from pathlib import Path

from fastapi.testclient import TestClient

from api.wiring import App
from tests.e2e.test_pages import csrf_from, sign_in
from tests.integration.test_pages_in_english import household


def _options(page: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select, f"{name} is not a list to pick from"
    return re.findall(r'<option value="([^"]*)"', select.group(1))


def _newborn_form(nik: str) -> dict[str, str]:
    """The data-update form's "add a member" inputs for a newborn with this NIK."""
    return {
        "f_tambah_nik": nik,
        "f_tambah_nama": "Siti",
        "f_tambah_tanggal_lahir": "2026-01-01",
        "f_tambah_jenis_kelamin": "2",
        "f_tambah_hubungan_keluarga": "3",
        "f_tambah_komponen": "2",
    }


def test_a_members_class_is_picked_from_its_list_on_the_update_form(
    app: App, tmp_path: Path
) -> None:
    """komponen, jenjang_sekolah, hubungan_keluarga and jenis_kelamin were picked from
    lists; kelas was typed (its name picked under 'Isian', its value typed). It is a list
    of the classes 1-12, for a member changed and for a member added; picked, it is
    recorded."""
    from api.http import create_app

    case_id = household(app, tmp_path)
    path = f"/cases/{case_id}/view"
    with TestClient(create_app(app)) as web:
        sign_in(web, app, "pdp.bogor")
        page = web.get(path).text
        classes = [str(k) for k in range(1, 13)]
        assert _options(page, "f_ubah_kelas") == ["", *classes]
        assert _options(page, "f_tambah_kelas") == ["", *classes]
        assert "kelas" not in _options(page, "f_isian")
        version = app.service.get(case_id).version
        form = {"csrf": csrf_from(web, path), "event": "pemutakhiran", "version": str(version)}
        form |= {"f_nomor_anggota": "03", "f_ubah_kelas": "11", "f_ubah_jenjang_sekolah": ""}
        assert web.post(path, data=form, follow_redirects=False).status_code == 303
    assert app.service.get(case_id).attrs["anggota"]["03"]["kelas"] == 11


def _said_under(page: str, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="pemutakhiran-{name}-error">(.*?)</p>', page)
    assert found, f"nothing said under {name}"
    return html.unescape(found.group(1))


def test_a_refused_code_is_said_under_the_list_it_was_picked_from(app: App, tmp_path: Path) -> None:
    """Rudi is at senior high school (komponen 6 · SMA); jenjang sekolah 1 · SD picked for
    him was refused only in the box at the top of the form ('data anggota tidak sah: anggota
    03: Jenjang sekolah: komponen 6 (SMA) memerlukan ...'); nothing under the list it was
    picked from, which was not marked. So for a new member's class given without a school
    level."""
    from api.http import create_app

    case_id = household(app, tmp_path)
    path = f"/cases/{case_id}/view"
    baby = _newborn_form("3271014101260003")
    with TestClient(create_app(app)) as web:
        sign_in(web, app, "pdp.bogor")
        version = str(app.service.get(case_id).version)
        form = {"csrf": csrf_from(web, path), "event": "pemutakhiran", "version": version}
        refused = web.post(
            path, data=form | {"f_nomor_anggota": "03", "f_ubah_jenjang_sekolah": "1"}
        )
        assert refused.status_code == 422
        said = _said_under(refused.text, "ubah_jenjang_sekolah")
        assert said.startswith("komponen 6 (SMA) memerlukan jenjang sekolah 3 (SMA)"), said
        assert re.search(
            r'id="pemutakhiran-ubah_jenjang_sekolah"[^>]*aria-invalid="true"', refused.text
        )
        assert "data anggota tidak sah: anggota 03" in html.unescape(refused.text)  # the box

        form["csrf"] = csrf_from(web, path)
        refused = web.post(path, data=form | baby | {"f_tambah_kelas": "3"})
        assert refused.status_code == 422
        assert _said_under(refused.text, "tambah_jenjang_sekolah") == "wajib diisi bila kelas diisi"


def test_a_new_members_typed_mistakes_are_said_under_the_inputs_they_were_typed_in(
    app: App, tmp_path: Path
) -> None:
    """A newborn added with a 3-digit NIK: the mistake was said only in the box at the top
    ('anggota baru ke-1, NIK: harus berupa 16 digit'), the error naming the API's path
    `tambah[0].nik` while the form's input is `tambah_nik`: nothing under the input, which
    was not marked. So for a birth date that is no date. A typed value of a member changed
    (`anggota.03.nik`) is said under 'Nilai baru' with the field it is about."""
    from api.http import create_app

    case_id = household(app, tmp_path)
    path = f"/cases/{case_id}/view"
    baby = _newborn_form("123")
    with TestClient(create_app(app)) as web:
        sign_in(web, app, "pdp.bogor")
        version = str(app.service.get(case_id).version)
        form = {"csrf": csrf_from(web, path), "event": "pemutakhiran", "version": version}

        def refused(data: dict[str, str], name: str) -> str:
            form["csrf"] = csrf_from(web, path)
            r = web.post(path, data=form | data)
            assert r.status_code == 422
            tag = re.search(rf'<input[^>]* id="pemutakhiran-{name}"[^>]*>', r.text)
            assert tag and 'aria-invalid="true"' in tag.group(0), name
            assert f'aria-describedby="pemutakhiran-{name}-error"' in tag.group(0), name
            return r.text

        page = refused(baby, "tambah_nik")
        assert _said_under(page, "tambah_nik").startswith("harus berupa 16 digit")
        box = html.unescape(page.split('class="alert error"')[1].split("</div>")[0])
        assert "anggota baru ke-1, NIK: harus berupa 16 digit" in box, box  # the box keeps it
        nama = re.search(r'<input[^>]* id="pemutakhiran-tambah_nama"[^>]*>', page)
        assert nama and "aria-invalid" not in nama.group(0) and 'value="Siti"' in nama.group(0)
        # the copy inside the reopened form, where the page goes back to, is still there
        assert 'id="refused"' in page and f'action="{path}#refused"' in page

        no_date = baby | {"f_tambah_nik": "3271014101260003"}
        no_date["f_tambah_tanggal_lahir"] = "2026-02-30"
        page = refused(no_date, "tambah_tanggal_lahir")
        assert "anggota baru ke-1, tanggal lahir" in html.unescape(page).lower()

        typed = {"f_nomor_anggota": "03", "f_isian": "nik", "f_nilai_baru": "12"}
        page = refused(typed, "nilai_baru")
        assert _said_under(page, "nilai_baru").startswith("NIK: harus berupa 16 digit"), page


def test_a_death_is_not_a_component_to_pick_on_the_update_form(app: App, tmp_path: Path) -> None:
    """'Ubah komponen menjadi' offered 10 · MENINGGAL DUNIA: picked for the household's only
    eligible member, the update closed the household ("Keluar", meninggal) with no date of
    death. The list no longer offers it, and the form posted with it anyway is refused under
    that list, naming the command that records a death with its date."""
    from api.http import create_app

    case_id = household(app, tmp_path)
    path = f"/cases/{case_id}/view"
    with TestClient(create_app(app)) as web:
        sign_in(web, app, "pdp.bogor")
        page = web.get(path).text
        assert "10" not in _options(page, "f_ubah_komponen")
        version = str(app.service.get(case_id).version)
        form = {"csrf": csrf_from(web, path), "event": "pemutakhiran", "version": version}
        form |= {"f_nomor_anggota": "03", "f_ubah_komponen": "10"}
        refused = web.post(path, data=form)
        assert refused.status_code == 422
        assert "Anggota meninggal dunia" in _said_under(refused.text, "ubah_komponen")
    after = app.service.get(case_id)
    assert (after.status, after.version) == ("open", int(version))
    assert after.attrs["anggota"]["03"]["komponen"] != 10
