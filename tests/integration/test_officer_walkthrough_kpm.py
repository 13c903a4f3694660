"""What a walkthrough of the officer pages with KPM households found: a state shown with its
code ("Peserta (peserta)"), a "closes the case" badge on a step that only may close it, a
verification's attendance listing members by number alone, and the data-update form asking
for a master code as a typed number. FastAPI's client on a SQLite file."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.wiring import App
from tests.conftest import Clock, complaint_data
from tests.e2e.test_pages import sign_in
from tests.integration.test_kpm_import import kpm_registered  # noqa: F401  (autouse fixture)
from tests.integration.test_pages_in_english import household

# a newborn added to a household by a data update, as the API takes a member
NEWBORN = {
    "nik": "3271014101260003",
    "nama": "Siti",
    "tanggal_lahir": "2026-01-01",
    "jenis_kelamin": 2,
    "hubungan_keluarga": 3,
    "komponen": 2,
}


@pytest.fixture
def web(app: App) -> Iterator[TestClient]:
    from api.http import create_app

    with TestClient(create_app(app)) as client:
        yield client


def _state_fact(page: str) -> str:
    """The text of the case's state fact (`Status kasus` / `State`), tags stripped."""
    found = re.search(r"<dt>(?:Status kasus|State)</dt><dd[^>]*>(.*?)</dd>", page, re.S)
    assert found, "no state fact on the page"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html.unescape(found.group(1)))).strip()


# ------------------------------------------------------------ 1. a state by its name alone
def test_a_cases_state_is_shown_by_its_name_without_its_code(
    web: TestClient, app: App, clock: Clock, tmp_path: Path
) -> None:
    """The household's state read "Calon peserta (calon)", a staff case's "Teguran lisan
    (teguran_lisan)", a complaint's "Kabupaten/Kota · Dokumentasi (kabupaten_dokumentasi)": the
    name alone now, the code kept in the title (and on the auditor's page)."""
    from workflows import staff

    case_id = household(app, tmp_path)
    staff.add_staff(app.db, "Budi", "operator", "3271", username=None, now=clock())
    data = {"staff": "Budi", "region": "3271", "staff_user": None}
    warned = app.service.open_and_apply("discipline", data, "kab.bogor", "warn", {"reason": "late"})
    complaint = app.service.open_case("complaint", complaint_data(), "kab.bogor").id
    expected = {
        case_id: ("Calon peserta", "Candidate", "calon"),
        warned.id: ("Teguran lisan", "Oral warning", "teguran_lisan"),
        complaint: ("Kabupaten/Kota · Dokumentasi", None, "kabupaten_dokumentasi"),
    }
    sign_in(web, app, "kab.bogor")
    for case, (indonesian, english, code) in expected.items():
        page = web.get(f"/cases/{case}/view").text
        assert _state_fact(page) == indonesian, case
        assert f'title="{code}"' in page
        if english:
            web.get("/lang/en", follow_redirects=False)
            assert _state_fact(web.get(f"/cases/{case}/view").text) == english
            web.get("/lang/id", follow_redirects=False)
    # the worklist and the household list name it alone too
    for path in ("/", "/?workflow=kpm"):
        listed = html.unescape(web.get(path).text)
        assert "Calon peserta" in listed and "(calon)" not in listed
    # the auditor's page keeps the code, where it is what is compared
    sign_in(web, app, "auditor")
    audit = html.unescape(web.get("/audit", params={"case_id": case_id}).text)
    assert "Calon peserta (calon)" in re.sub(r"<[^>]+>", "", audit)


# ------------------------------------------- 2. "closes the case" only where it always does
def _action(page: str, event: str) -> str:
    found = re.search(rf'<details class="action" id="do-{event}".*?</details>', page, re.S)
    assert found, f"no form for {event}"
    return found.group(0)


def _badge(block: str) -> str:
    found = re.search(r'<summary>.*?<span class="badge ([^"]+)">([^<]*)</span>', block, re.S)
    return f"{found.group(1)}: {found.group(2)}" if found else ""


def test_the_closes_the_case_badge_is_on_steps_that_always_close_it_only(
    web: TestClient, app: App, tmp_path: Path
) -> None:
    """The validation's form was badged "menutup kasus" though only a result of "Tidak
    memenuhi syarat" closes the household (eligible goes on), and so was a data update,
    which closes it only when it ends participation: those say "dapat menutup kasus"; a step
    that always closes the case (found ineligible) keeps "menutup kasus"."""
    case_id = household(app, tmp_path)
    from workflows import kpm_store as store

    store.apply(app, case_id, "pertemuan_awal", {}, "pdp.bogor")
    path = f"/cases/{case_id}/view"
    sign_in(web, app, "pdp.bogor")
    page = web.get(path).text
    validation = _action(page, "validasi")
    assert _badge(validation) == "may-close: dapat menutup kasus"
    assert "Langkah ini dapat menutup kasus (menjadi Tidak memenuhi syarat)" in validation
    assert "Tutup kasus" not in validation  # its button is the step's own
    web.get("/lang/en", follow_redirects=False)
    validation = _action(web.get(path).text, "validasi")
    assert _badge(validation) == "may-close: may close the case"
    # always: found ineligible (the office), from a household that is eligible
    store.apply(app, case_id, "validasi", {"hasil": "eligible"}, "pdp.bogor")
    sign_in(web, app, "kab.bogor")
    web.get("/lang/id", follow_redirects=False)
    page = web.get(path).text
    assert _badge(_action(page, "tidak_layak")) == "closed: menutup kasus"
    # a data update ends participation only for some changes: may
    sk = {"nomor_sk": "SK-1/2026", "tanggal_sk": "2026-03-02"}
    store.apply(app, case_id, "tetapkan", sk, "pusat.spm")
    page = web.get(path).text
    assert _badge(_action(page, "pemutakhiran")) == "may-close: dapat menutup kasus"
    assert _badge(_action(page, "tidak_layak")) == "closed: menutup kasus"


# --------------------------------------------- 3. members named beside their numbers
def participant(app: App, tmp_path: Path) -> str:
    """The household of test_pages_in_english, met, validated eligible and decreed."""
    from workflows import kpm_store as store

    case_id = household(app, tmp_path)
    store.apply(app, case_id, "pertemuan_awal", {}, "pdp.bogor")
    store.apply(app, case_id, "validasi", {"hasil": "eligible"}, "pdp.bogor")
    sk = {"nomor_sk": "SK-1/2026", "tanggal_sk": "2026-03-02"}
    store.apply(app, case_id, "tetapkan", sk, "pusat.spm")
    return case_id


def _event_text(page: str, event_type: str) -> str:
    """The timeline row of the (last) event of a type, as text: cells split by " | "."""
    rows = [r for r in page.split('<tr class="event"')[1:] if f'data-type="{event_type}"' in r]
    assert rows, f"no {event_type} in the timeline"
    row = rows[-1].split("</table>\n  </div>\n</section>")[0]
    cells = re.sub(r"</t[dh]>", " | ", row.split(">", 1)[1])
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.unescape(cells))).strip()


def test_a_verifications_timeline_names_each_member_beside_its_number(
    web: TestClient, app: App, tmp_path: Path
) -> None:
    """A commitment verification's attendance read "03 | tidak" with no name, and so did a
    data update's and a death's member: each number now has the member's name beside it, as
    the household had it then (a member renamed later keeps its old name on the old event)."""
    from workflows import kpm_store as store

    case_id = participant(app, tmp_path)
    hadir = {"periode": "2026-03", "hadir": {"02": True, "03": False}}
    app.service.apply(case_id, "verifikasi_komitmen", hadir, "pdp.bogor")
    store.apply(app, case_id, "pemutakhiran", {"anggota": {"03": {"nama": "Rudi H."}}}, "pdp.bogor")
    died = {"nomor_anggota": "02", "tanggal": "2026-03-02"}
    store.apply(app, case_id, "anggota_meninggal", died, "pdp.bogor")
    sign_in(web, app, "pdp.bogor")
    page = web.get(f"/cases/{case_id}/view").text
    verified = _event_text(page, "CommitmentVerified")
    assert "No. | Nama | Kehadiran | 02 | Ani | ya | 03 | Rudi | tidak" in verified, verified
    updated = _event_text(page, "DataUpdated")
    assert "03 | Rudi | Nama | Rudi H." in updated, updated
    assert "02 · Ani" in _event_text(page, "MemberDied")
    web.get("/lang/en", follow_redirects=False)
    english = _event_text(web.get(f"/cases/{case_id}/view").text, "CommitmentVerified")
    assert "No. | Name | Attendance | 02 | Ani | yes | 03 | Rudi | no" in english, english


# ------------------------------------------- 4. a member's code picked from its master list
def _select(page: str, name: str) -> list[tuple[str, str]]:
    found = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert found, f"no select {name}"
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', found.group(1))
    return [(v, html.unescape(t)) for v, t in options]


def test_a_data_update_picks_a_members_codes_from_their_lists_with_no_change_first(
    web: TestClient, app: App, tmp_path: Path
) -> None:
    """The data update asked for a new komponen, jenjang sekolah, hubungan keluarga or jenis
    kelamin as a number typed under "Nilai baru": each is now a list of its master codes by
    name (in the page's language), led by "no change"; the server still checks what comes."""
    from tests.e2e.test_pages import csrf_from

    case_id = household(app, tmp_path)
    path = f"/cases/{case_id}/view"
    sign_in(web, app, "pdp.bogor")
    page = web.get(path).text
    form = _action(page, "pemutakhiran")
    komponen = _select(form, "f_ubah_komponen")
    assert komponen[0] == ("", "— tidak diubah —")
    assert ("1", "1 · BUMIL") in komponen and ("9", "9 · NON KATEGORI") in komponen
    for name in ("f_ubah_jenjang_sekolah", "f_ubah_hubungan_keluarga", "f_ubah_jenis_kelamin"):
        assert _select(form, name)[0] == ("", "— tidak diubah —")
    assert ("2", "2 · PEREMPUAN") in _select(form, "f_ubah_jenis_kelamin")
    # not "Komponen baru" beside the new member's "Anggota baru: komponen" (helper-77's review)
    assert '<label for="pemutakhiran-ubah_komponen">Ubah komponen menjadi' in form
    # a coded field is no longer offered to be typed
    assert [v for v, _ in _select(form, "f_isian") if v in ("komponen", "jenis_kelamin")] == []
    web.get("/lang/en", follow_redirects=False)
    english = _action(web.get(path).text, "pemutakhiran")
    assert _select(english, "f_ubah_komponen")[0] == ("", "— no change —")
    assert ("1", "1 · Pregnant woman (BUMIL)") in _select(english, "f_ubah_komponen")
    assert '<label for="pemutakhiran-ubah_komponen">Change component to' in english
    web.get("/lang/id", follow_redirects=False)

    def send(**fields: str) -> object:
        version = str(app.service.get(case_id).version)
        data = {"csrf": csrf_from(web, path), "event": "pemutakhiran", "version": version}
        return web.post(path, data=data | {f"f_{k}": v for k, v in fields.items()})

    # the server still checks: a code outside the list, or no member named
    version = app.service.get(case_id).version
    refused = send(nomor_anggota="02", ubah_jenis_kelamin="7", ubah_komponen="")
    assert refused.status_code == 422 and "Jenis kelamin" in html.unescape(refused.text)
    refused = send(ubah_jenis_kelamin="2")
    assert refused.status_code == 422
    assert app.service.get(case_id).version == version
    # picked: recorded as the code, with a typed field in the same update
    done = send(nomor_anggota="02", ubah_komponen="9", isian="nama", nilai_baru="Ani Suryani")
    said = re.findall(r"<div class=\"alert error\".*?</div>", done.text, re.S)
    assert done.status_code in (200, 303), said
    member = app.service.get(case_id).attrs["anggota"]["02"]
    assert (member["komponen"], member["nama"]) == (9, "Ani Suryani")


def test_the_auditors_now_column_names_todays_member_where_a_number_was_reused(
    web: TestClient, app: App, clock: Clock, tmp_path: Path
) -> None:
    """The auditor's table of changes showed both columns with the names the household had
    then: member 03 (Rudi) removed and a newborn added as 03 (Siti), April's attendance in
    the "Sekarang" column read "03 | Rudi | ya", a person no longer in the household. Each
    column names the members of its own moment."""
    from datetime import timedelta

    from workflows import kpm_store as store

    case_id = participant(app, tmp_path)
    march = {"periode": "2026-03", "hadir": {"02": True, "03": False}}
    app.service.apply(case_id, "verifikasi_komitmen", march, "pdp.bogor")
    clock.set(clock() + timedelta(days=2))
    store.apply(app, case_id, "pemutakhiran", {"hapus": {"03": "pindah_kk"}}, "pdp.bogor")
    store.apply(app, case_id, "pemutakhiran", {"tambah": [NEWBORN]}, "pdp.bogor")
    assert app.service.get(case_id).attrs["anggota"]["03"]["nama"] == "Siti"
    clock.set(clock() + timedelta(days=40))
    april = {"periode": "2026-04", "hadir": {"02": True, "03": True}}
    app.service.apply(case_id, "verifikasi_komitmen", april, "pdp.bogor")
    sign_in(web, app, "auditor")
    audit = web.get("/audit", params={"case_id": case_id, "at": "2026-03-02"}).text
    said = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.unescape(audit)))
    verified = said.split("Verifikasi terakhir", 1)[1].split("Perubahan anggota", 1)[0]
    then, now = verified.split("Kehadiran:")[1:]  # each a table of its own moment
    assert "03 Rudi tidak" in then, then
    assert "03 Siti ya" in now and "Rudi" not in now, now


def test_a_code_picked_as_the_member_already_has_it_is_refused_not_recorded(
    web: TestClient, app: App, clock: Clock, tmp_path: Path
) -> None:
    """With several fields in one update, a code picked that the member already has (Ani's
    "1 · BUMIL" picked again while her name is corrected) was recorded as a change: it reset
    the day her pregnancy was counted from (data control ends BUMIL 9 months after it) and
    the timeline showed a komponen change that was none. The guard refuses a wholly
    unchanged update only; the page refuses a picked code the member already has."""
    from datetime import timedelta

    from tests.e2e.test_pages import csrf_from

    case_id = household(app, tmp_path)
    since = app.service.get(case_id).attrs["anggota"]["02"]["sejak"]
    clock.set(clock() + timedelta(days=30))
    path = f"/cases/{case_id}/view"
    sign_in(web, app, "pdp.bogor")
    version = app.service.get(case_id).version
    fields = {"nomor_anggota": "02", "ubah_komponen": "1", "isian": "nama", "nilai_baru": "Ani S."}
    data = {"csrf": csrf_from(web, path), "event": "pemutakhiran", "version": str(version)}
    refused = web.post(path, data=data | {f"f_{k}": v for k, v in fields.items()})
    assert refused.status_code == 422, refused.status_code
    assert "sudah tercatat dengan Komponen 1 · BUMIL" in html.unescape(refused.text)
    member = app.service.get(case_id).attrs["anggota"]["02"]
    assert (member["nama"], member["sejak"]) == ("Ani", since)
    assert app.service.get(case_id).version == version
    # the code left at "no change": the name alone is recorded
    data["csrf"] = csrf_from(web, path)
    fields["ubah_komponen"] = ""
    web.post(path, data=data | {f"f_{k}": v for k, v in fields.items()})
    member = app.service.get(case_id).attrs["anggota"]["02"]
    assert (member["nama"], member["sejak"], member["komponen"]) == ("Ani S.", since, 1)


def test_the_move_forms_optional_reason_is_not_styled_as_required(
    web: TestClient, app: App, tmp_path: Path
) -> None:
    """Regression: on the move (pindah) form the optional "Alasan" read "(opsional)" in the
    `req` style of a required field (red, as "Tujuan (wajib)" beside it). An optional field's
    note has its own, muted style (`opt`); a required one keeps `req`."""
    from workflows import kpm_store as store

    case_id = household(app, tmp_path)
    store.apply(app, case_id, "pertemuan_awal", {}, "pdp.bogor")
    store.apply(app, case_id, "validasi", {"hasil": "eligible"}, "pdp.bogor")
    sign_in(web, app, "pdp.bogor")
    move = _action(web.get(f"/cases/{case_id}/view").text, "pindah")
    notes = dict(re.findall(r'<label for="pindah-(\w+)">[^<]*<span class="(\w+)">\(', move))
    assert (notes["tujuan"], notes["alasan"]) == ("req", "opt"), notes
    assert '<span class="opt">(opsional)</span>' in move
