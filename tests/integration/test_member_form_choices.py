"""The household's data-update form: a member's class picked from its list, as the other
coded fields are. FastAPI's client on a SQLite file (and PostgreSQL)."""

from __future__ import annotations

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
