"""The officer pages as an English-speaking officer or auditor reads them (the ID | EN switch):
nothing left in Indonesian that the README's glossary does not keep, no raw codes, and the
Indonesian pages unchanged. FastAPI's client on a SQLite file."""

from __future__ import annotations

import ast
import html
import inspect
import re
import textwrap
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.page_views import CODE_TABLES
from api.wiring import App
from engine.store.repository import CASES
from tests.conftest import Clock
from tests.e2e.test_pages import sign_in
from tests.integration.test_kpm_import import KK1, person, write_csv
from workflows import kpm_store as store
from workflows.kpm_import import import_file


@pytest.fixture
def web(app: App) -> Iterator[TestClient]:
    from api.http import create_app

    with TestClient(create_app(app)) as client:
        yield client


def in_english(web: TestClient, app: App, username: str) -> TestClient:
    sign_in(web, app, username)
    web.get("/lang/en", follow_redirects=False)
    return web


def household(app: App, tmp_path: Path) -> str:
    """A head, his wife (pregnant) and their son at senior high school."""
    rows = [
        person(KK1, "3271010101800001", "1980-01-01", 1, 1, 9, nama="Budi Santoso"),
        person(KK1, "3271014505850002", "1985-05-05", 2, 2, 1, nama="Ani"),
        person(
            KK1, "3271010303080002", "2008-03-03", 1, 3, 6, nama="Rudi", jenjang_sekolah=3, kelas=12
        ),
    ]
    import_file(app, write_csv(tmp_path / "hh.csv", rows))
    with app.db.reading() as s:
        return store.resolve(s, KK1)


# ------------------------------------------------------------- a member's master-list codes
@pytest.mark.parametrize("field", sorted(CODE_TABLES))
def test_every_master_code_of_a_member_has_an_english_name(field: str) -> None:
    from api.i18n import code_name
    from workflows.kpm_codes import CODE_NAMES_EN

    for code, indonesian in CODE_TABLES[field].items():
        english = CODE_NAMES_EN.get(field, {}).get(code, "")
        assert english.strip() and english != indonesian, (field, code)
        assert code_name(field, code, "en") == english
        assert code_name(field, code, "id") == indonesian


def _master_names(page: str) -> list[str]:
    """The Indonesian master names a page shows, with their code ('3 · ANAK') or in a cell."""
    said = []
    for field, table in CODE_TABLES.items():
        for code, name in table.items():
            shown = f"{code} · {name}" in page or f">{name}<" in page
            if shown and name not in ("SD", "SMP", "SMA"):  # the glossary keeps those three
                said.append(f"{field}:{code} {name}")
    return said


def test_a_household_page_in_english_names_members_codes_in_english(
    web: TestClient, app: App, tmp_path: Path
) -> None:
    case_id = household(app, tmp_path)
    sign_in(web, app, "kab.bogor")
    indonesian = web.get(f"/cases/{case_id}/view").text
    assert "1 · KEPALA KELUARGA" in indonesian and ">SUAMI/ISTRI<" in indonesian
    assert "2 · PEREMPUAN" in indonesian
    page = in_english(web, app, "kab.bogor").get(f"/cases/{case_id}/view").text
    assert _master_names(page) == []
    # the members table, the forms' choices and the registration in the timeline
    assert ">Head of the family<" in page and ">Husband/wife<" in page
    assert "Pregnant woman (BUMIL)" in page and "1 · Head of the family" in page
    assert "2 · Female" in page and "3 · Senior high school (SMA)" in page


def test_the_audit_page_in_english_names_a_changed_member_code_in_english(
    web: TestClient, app: App, clock: Clock, tmp_path: Path
) -> None:
    case_id = household(app, tmp_path)
    before = app.service.get(case_id).updated_at
    assert before is not None
    clock.set(clock() + timedelta(minutes=5))
    store.apply(app, case_id, "pemutakhiran", {"anggota": {"02": {"komponen": 9}}}, "pdp.bogor")
    at = before.astimezone().isoformat(timespec="seconds")
    page = in_english(web, app, "auditor").get("/audit", params={"case_id": case_id, "at": at})
    diff = page.text.split('class="changes member-diff"')[1].split("</table>")[0]
    assert "1 · Pregnant woman (BUMIL)" in diff and "9 · No category" in diff
    assert re.search(r"NON KATEGORI|BUMIL<", diff) is None
    fields = re.findall(r'<tr><td class="num">\d+</td><td>[^<]*</td><td>([^<]*)</td>', diff)
    assert fields and "Pregnancy recorded on" in fields  # the bookkeeping the change cleared
    assert [f for f in fields if re.fullmatch(r"[a-z_ ]+", f)] == []  # no key shown for a name


def _stamped_keys() -> set[str]:
    """The bookkeeping keys workflows.kpm._stamped writes on a member, read from its source."""
    from workflows import kpm

    tree = ast.parse(textwrap.dedent(inspect.getsource(kpm._stamped)))
    return {
        node.slice.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Subscript)
        and isinstance(node.ctx, ast.Store)
        and isinstance(node.slice, ast.Constant)
    }


def test_every_key_of_a_members_record_has_a_name_in_both_languages() -> None:
    """The register's fields, the date a member died, the household a NIK was registered in
    before (kpm_codes.PREVIOUS_CASE) and the bookkeeping the workflow stamps."""
    from api.i18n import field_label
    from workflows import kpm_codes

    stamped = _stamped_keys()
    assert {"sejak", "tahun_ajaran"} <= stamped
    keys = (*kpm_codes.MEMBER_FIELDS, "meninggal", kpm_codes.PREVIOUS_CASE, *sorted(stamped))
    for key in keys:
        indonesian, english = field_label(key, "id"), field_label(key, "en")
        assert indonesian != key.replace("_", " ") and english != key.replace("_", " "), key
        assert indonesian != english or key == "nik", key


# ------------------------------------------------------------------ the language of a page
def _pages(app: App) -> list[str]:
    from tests.e2e.test_pages import file_case

    case_id = file_case(app)
    return [
        "/",
        f"/cases/{case_id}/view",
        "/complaints/new",
        "/letters",
        "/calendar?year=2026",
        "/reports/monthly?month=2026-03&format=html",
        "/reports/monthly?month=2026-13&format=html",  # its problem page
        "/cases/ADU-2026-999999/view",  # not found
    ]


def _lang_of(html: str) -> str:
    found = re.search(r'<html lang="(\w+)"', html)
    assert found, html[:200]
    return found.group(1)


def test_every_page_an_officer_opens_is_in_the_language_chosen_with_the_switch(
    web: TestClient, app: App
) -> None:
    pages = _pages(app)
    sign_in(web, app, "kab.bogor")
    assert {p: _lang_of(web.get(p).text) for p in pages} == {p: "id" for p in pages}
    in_english(web, app, "kab.bogor")
    assert {p: _lang_of(web.get(p).text) for p in pages} == {p: "en" for p in pages}
    report = web.get("/reports/monthly?month=2026-03&format=html").text
    assert "PKH Monthly Complaint Report" in report and "Laporan Bulanan" not in report
    # asked for by name, the report's language wins over the switch
    assert _lang_of(web.get("/reports/monthly?month=2026-03&format=html&lang=id").text) == "id"


# ---------------------------------------------------------------- the system's own notes
def _recorded_notes() -> list[str]:
    """Every note the engine and the workflows record on an event by themselves (a `note=`
    argument or a `note = ...` line with a fixed text), a case number in each placeholder."""
    import engine
    import workflows

    found = []
    roots = [Path(engine.__file__).parent, Path(workflows.__file__).parent]
    for module in sorted(p for root in roots for p in root.rglob("*.py")):
        for node in ast.walk(ast.parse(module.read_text())):
            values = [k.value for k in getattr(node, "keywords", ()) if k.arg == "note"]
            if isinstance(node, ast.Assign) and any(
                getattr(t, "id", None) == "note" for t in node.targets
            ):
                values.append(node.value)
            for v in values:
                if isinstance(v, ast.Constant) and isinstance(v.value, str):
                    found.append(v.value)
                elif isinstance(v, ast.JoinedStr):
                    found.append(
                        "".join(
                            p.value if isinstance(p, ast.Constant) else "ADU-2026-000001"
                            for p in v.values
                        )
                    )
    return found


def test_every_note_the_system_records_is_said_in_both_languages() -> None:
    from api.i18n import note_text

    notes = _recorded_notes()
    assert "deadline sweep" in notes and "impor DTKS/BDT" in notes  # the walk finds them
    same = [n for n in notes if note_text(n, "id") == note_text(n, "en")]
    assert same == []
    for n in notes:
        assert n in (note_text(n, "id"), note_text(n, "en")), n  # one of them is as recorded


def test_a_kkn_cases_timeline_says_the_systems_note_in_the_pages_language(
    web: TestClient, app: App, clock: Clock
) -> None:
    from tests.e2e.test_pages import file_case
    from workflows import staff

    staff.add_staff(app.db, "Andi", "pendamping", "327101", username="pdp.bogor", now=clock())
    complaint = file_case(app, type="kkn", accused="Andi")
    kkn = staff.get_staff(app.db, "Andi").cases[0]["id"]
    sign_in(web, app, "pusat.spm")
    indonesian = web.get(f"/cases/{kkn}/view").text
    assert f"dibebastugaskan karena pengaduan KKN {complaint}" in indonesian
    english = in_english(web, app, "pusat.spm").get(f"/cases/{kkn}/view").text
    assert f"relieved of duty for KKN complaint {complaint}" in english
    assert "dibebastugaskan karena" not in english


# ------------------------------------------------------------------- a discipline case
def test_every_sanction_letter_title_has_an_english_name() -> None:
    from api.i18n import label
    from workflows.discipline import SANCTION_LABELS

    for code, title in SANCTION_LABELS.items():
        assert label("sanction_label", title, "id") == title, code
        assert label("sanction_label", title, "en") == label("sanction", code, "en"), code
        assert label("sanction_label", title, "en") != title, code


def test_a_discipline_case_in_english_names_its_letter_in_english(
    web: TestClient, app: App, clock: Clock
) -> None:
    from workflows import staff

    staff.add_staff(app.db, "Budi", "operator", "3271", username=None, now=clock())
    data = {"staff": "Budi", "region": "3271", "staff_user": None}
    case = app.service.open_and_apply("discipline", data, "kab.bogor", "warn", {"reason": "late"})
    for _ in range(2):
        app.service.apply(case.id, "warn", {"reason": "late"}, "kab.bogor")
    app.service.apply(case.id, "issue_sp1", {}, "kab.bogor")
    sign_in(web, app, "kab.bogor")
    assert "Surat Peringatan Pertama (SP-1)" in web.get(f"/cases/{case.id}/view").text
    page = in_english(web, app, "kab.bogor").get(f"/cases/{case.id}/view").text
    assert "Surat Peringatan" not in page
    assert "Letter title:</span> First warning letter (SP-1)" in page


# ------------------------------------------------------------ a door for some roles only
def test_the_report_refused_to_a_role_says_who_may_in_the_pages_language(
    web: TestClient, app: App
) -> None:
    sign_in(web, app, "kk.batutulis")
    path = "/reports/monthly?month=2026-03&format=html"
    indonesian = web.get(path)
    assert indonesian.status_code == 403
    assert "Halaman ini hanya untuk peran" in indonesian.text and "UPPKH Pusat" in indonesian.text
    english = in_english(web, app, "kk.batutulis").get(path)
    assert english.status_code == 403
    assert "Only these roles may open this page:" in english.text
    for page in (indonesian.text, english.text):
        assert "this needs the role" not in page and "provinsi or kabupaten" not in page
    # the API's own answer is unchanged: English, naming the roles by their codes
    api = web.get("/reports/monthly?month=2026-03", headers={"accept": "application/json"})
    assert api.status_code == 403 and "this needs the role pusat" in api.json()["message"]


# --------------------------------------------------------------------------- the calendar
def test_the_calendar_in_english_names_the_official_days_in_english(
    web: TestClient, app: App
) -> None:
    from workflows.indonesia import official_days

    days = official_days([2026])
    sign_in(web, app, "kab.bogor")
    indonesian = web.get("/calendar?year=2026").text
    assert all(d.name in indonesian for d in days)
    english = in_english(web, app, "kab.bogor").get("/calendar?year=2026").text
    assert [d.name for d in days if f"<td>{d.name}" in english] == []
    assert "<td>New Year&#39;s Day" in english and "<td>Eid al-Fitr Joint Holiday" in english


# ------------------------------------------------- switching the language on a refused form
def _switch(page: str, code: str) -> dict[str, str]:
    """The fields the page's language switch to `code` posts (a form, on a page answering a
    form); fails when the switch is a plain link, which opens the page afresh."""
    found = re.search(rf'<form method="post" action="/lang/{code}"[^>]*>(.*?)</form>', page, re.S)
    assert found, "the language switch is a link: the form's values would be lost"
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', found.group(1))
    return {k: html.unescape(v) for k, v in fields}


def test_switching_the_language_on_a_refused_filing_keeps_the_form_filled(
    web: TestClient, app: App
) -> None:
    from tests.e2e.test_pages import csrf_from

    sign_in(web, app, "kab.bogor")
    form = {
        "csrf": csrf_from(web, "/complaints/new"),
        "reporter_name": "Ibu Siti",
        "reporter_kind": "kpm",
        "type": "pembayaran",
        "channel": "surat",
        "level": "kabupaten",
        "region": "9999",
        "received_at": "2026-03-02T08:30",
        "zone": "WIB",
        "summary": "Bantuan belum diterima",
    }
    refused = web.post("/complaints/new", data=form)
    assert refused.status_code == 422 and '<html lang="id">' in refused.text
    english = web.post("/lang/en", data=_switch(refused.text, "en"), follow_redirects=False)
    assert english.status_code == 200 and '<html lang="en">' in english.text
    assert "Bantuan belum diterima" in english.text and 'value="Ibu Siti"' in english.text
    assert 'value="9999"' in english.text and "NOT saved yet" in english.text
    assert web.cookies.get("lang") == "en"
    with app.db.reading() as s:  # nothing was filed by the switch
        assert s.execute(sa.select(sa.func.count()).select_from(CASES)).scalar() == 0
    # and back again, still filled
    back = web.post("/lang/id", data=_switch(english.text, "id"), follow_redirects=False)
    assert '<html lang="id">' in back.text and "Bantuan belum diterima" in back.text


def test_switching_the_language_on_a_refused_action_reopens_it_filled(
    web: TestClient, app: App
) -> None:
    from tests.e2e.test_pages import csrf_from, file_case

    case_id = file_case(app)
    path = f"/cases/{case_id}/view"
    sign_in(web, app, "kab.bogor")
    token = csrf_from(web, path)
    version = str(app.service.get(case_id).version)
    form = {"csrf": token, "event": "escalate", "version": version, "note": "catatan saya"}
    refused = web.post(path, data=form)
    assert refused.status_code == 422
    english = web.post("/lang/en", data=_switch(refused.text, "en"), follow_redirects=False)
    assert english.status_code == 200 and '<html lang="en">' in english.text
    assert "catatan saya" in english.text and "NOT saved yet" in english.text
    assert app.service.get(case_id).version == int(version)


def test_switching_the_language_on_a_refused_sign_in_keeps_where_it_goes_and_the_kept_form(
    web: TestClient, app: App
) -> None:
    from tests.e2e.test_pages import csrf_from

    token = csrf_from(web, "/login")
    form = {
        "csrf": token,
        "username": "kab.bogor",
        "password": "wrong-password",
        "next": "/cases/ADU-2026-000001/view",
        "keep.note": "catatan yang belum tersimpan",
    }
    refused = web.post("/login", data=form)
    assert refused.status_code == 401
    fields = _switch(refused.text, "en")
    assert "wrong-password" not in fields.values()
    english = web.post("/lang/en", data=fields, follow_redirects=False)
    assert english.status_code == 200 and '<html lang="en">' in english.text
    assert 'name="next" value="/cases/ADU-2026-000001/view"' in english.text
    assert 'name="keep.note" value="catatan yang belum tersimpan"' in english.text
    assert 'value="kab.bogor"' in english.text and "wrong-password" not in english.text


def test_a_page_opened_by_its_address_switches_by_a_link_keeping_its_query(
    web: TestClient, app: App
) -> None:
    sign_in(web, app, "kab.bogor")
    page = web.get("/?q=Bantuan&sort=-id").text
    assert '<form method="post" action="/lang/' not in page
    assert 'href="/lang/en?next=/%3Fq%3DBantuan%26sort%3D-id"' in page


# ---------------------------------------------------------- a household's states by name
def test_every_state_named_in_indonesian_has_an_english_name() -> None:
    """A state with only an Indonesian name was shown in Indonesian on the English pages
    (the household's badge, the state fact, the worklist, a closing form's "it becomes ...")."""
    from workflows import default_registry

    registry = default_registry()
    missing = [
        f"{name}:{s.name}"
        for name in registry.names()
        for s in registry.get(name).states
        if s.label_id and not s.label_en
    ]
    assert missing == []


def test_a_household_graduated_in_english_is_named_in_english(
    web: TestClient, app: App, tmp_path: Path
) -> None:
    """Seen on the English household page walking a household to graduation: the closing
    form said "it becomes Graduasi sejahtera mandiri", and so did the header's badge, the
    state, the saved message and the timeline once it was done."""
    case_id = household(app, tmp_path)
    store.apply(app, case_id, "pertemuan_awal", {}, "pdp.bogor")
    store.apply(app, case_id, "validasi", {"hasil": "eligible"}, "pdp.bogor")
    sk = {"nomor_sk": "SK-1/2026", "tanggal_sk": "2026-03-02"}
    store.apply(app, case_id, "tetapkan", sk, "pusat.spm")
    page = in_english(web, app, "pdp.bogor").get(f"/cases/{case_id}/view").text
    assert "it becomes Self-reliant graduation" in page
    store.apply(app, case_id, "graduasi_mandiri", {"alasan": "usaha mandiri"}, "pdp.bogor")
    page = web.get(f"/cases/{case_id}/view").text
    assert "Graduasi sejahtera mandiri" not in page and "graduasi sejahtera" not in page
    assert "Self-reliant graduation" in page
    indonesian = web.get("/lang/id", params={"next": f"/cases/{case_id}/view"}).text
    assert "Graduasi sejahtera mandiri" in indonesian


# ------------------------------------------------- a choice needed for one answer only
def _label_of(page: str, field_id: str) -> str:
    found = re.search(rf'<label for="{field_id}">(.*?)</label>', page, re.S)
    assert found, field_id
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html.unescape(found.group(1)))).strip()


def test_a_reason_needed_for_one_answer_says_so_on_the_form_and_when_refused(
    web: TestClient, app: App, tmp_path: Path
) -> None:
    """Seen validating a household as not eligible without a reason: the form labelled the
    reason "(optional)", and the refusal said only "Reason: is required"; finding a household
    ineligible for "Other" with no explanation was refused "is required when alasan is
    lainnya" on the English page, under a label that said "(needed for Other) (optional)"."""
    from tests.e2e.test_pages import csrf_from

    case_id = household(app, tmp_path)
    store.apply(app, case_id, "pertemuan_awal", {}, "pdp.bogor")
    path = f"/cases/{case_id}/view"
    expected = {
        "id": ("Alasan (wajib bila hasilnya Tidak memenuhi syarat)", "Tidak memenuhi syarat"),
        "en": ("Reason (required when the result is Not eligible)", "“Not eligible”"),
    }
    sign_in(web, app, "pdp.bogor")
    for lang, (label_text, refusal) in expected.items():
        web.get(f"/lang/{lang}", follow_redirects=False)
        page = web.get(path).text
        assert _label_of(page, "validasi-alasan") == label_text
        assert re.search(r'<select name="f_alasan" id="validasi-alasan"[^>]*required', page) is None
        form = {
            "csrf": csrf_from(web, path),
            "event": "validasi",
            "version": str(app.service.get(case_id).version),
            "f_hasil": "non_eligible",
        }
        refused = web.post(path, data=form)
        assert refused.status_code == 422
        said = refused.text.split('id="validasi-alasan-error">')[1].split("</p>")[0]
        assert refusal in html.unescape(said), said
    # the explanation a reason "Other" needs
    store.apply(app, case_id, "validasi", {"hasil": "eligible"}, "pdp.bogor")
    sign_in(web, app, "kab.bogor")
    expected = {
        "id": ("Keterangan (wajib untuk alasan Lainnya)", "“Lainnya”"),
        "en": ("Explanation (required when the reason is Other)", "“Other”"),
    }
    for lang, (label_text, refusal) in expected.items():
        web.get(f"/lang/{lang}", follow_redirects=False)
        page = web.get(path).text
        assert _label_of(page, "tidak_layak-keterangan") == label_text
        form = {
            "csrf": csrf_from(web, path),
            "event": "tidak_layak",
            "version": str(app.service.get(case_id).version),
            "f_alasan": "lainnya",
        }
        refused = web.post(path, data=form)
        assert refused.status_code == 422
        said = html.unescape(
            refused.text.split('id="tidak_layak-keterangan-error">')[1].split("</p>")[0]
        )
        assert refusal in said and "alasan is lainnya" not in said, said


# ---------------------------------------------------------- a data update that changes nothing
def test_a_data_update_to_the_value_already_recorded_is_refused_not_recorded(
    web: TestClient, app: App, tmp_path: Path
) -> None:
    """Seen sending a household's data update twice on the page: the second, which set a
    member's component to the one the first had just recorded, was saved too, a second
    "Data updated: 03 Component 7" in the append-only log that changed nothing."""
    from tests.e2e.test_pages import csrf_from

    case_id = household(app, tmp_path)
    path = f"/cases/{case_id}/view"
    sign_in(web, app, "pdp.bogor")
    form = {"event": "pemutakhiran", "f_nomor_anggota": "03", "f_isian": "nama"}

    def send(value: str, lang: str) -> Any:
        web.get(f"/lang/{lang}", follow_redirects=False)
        version = str(app.service.get(case_id).version)
        data = form | {"csrf": csrf_from(web, path), "version": version, "f_nilai_baru": value}
        return web.post(path, data=data)

    assert send("Rudi Hartono", "id").status_code in (200, 303)
    version = app.service.get(case_id).version
    for lang, said in (
        ("id", "tidak mengubah apa pun: anggota 03 sudah tercatat dengan Nama itu"),
        ("en", "changes nothing: member 03 already has that Name"),
    ):
        refused = send("  Rudi Hartono ", lang)
        assert refused.status_code == 422, refused.text[:300]
        assert said in html.unescape(refused.text)
    assert app.service.get(case_id).version == version
    # the same update with another change in it is recorded
    assert send("Rudi H.", "en").status_code in (200, 303)
    assert app.service.get(case_id).version == version + 1
