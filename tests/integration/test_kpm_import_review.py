"""The KPM import after the household-lifecycle review: identifiers in number cells, a family
registered again after its household closed, a NIK correction that is not a new member,
impossible ages for a role, what the rows of a household whose head failed are told, and every
reason in Bahasa Indonesia and English."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from api.wiring import App
from engine.errors import GuardRejected, InvalidInput
from engine.store import audit_runner
from tests.conftest import WIB, Clock
from tests.integration.test_kpm_import import (
    KK1,
    KK2,
    counts,
    kpm_registered,  # noqa: F401  (autouse fixture)
    person,
    two_households,
    write_csv,
)
from workflows import kpm_store as store
from workflows.kpm_codes import COLUMNS, PREVIOUS_CASE
from workflows.kpm_import import import_file, said

HEAD1, SPOUSE1 = "3271010101800001", "3271014505850002"  # household KK1 of two_households()
HEAD2 = "3271010202750001"  # household KK2


def reasons(report: dict[str, Any]) -> dict[int, str]:
    return {r["line"]: r["reason"] for r in report["rejected"]}


def case_of(app: App, code: str) -> str:
    with app.db.reading() as s:
        return store.resolve(s, code)


def close_as_moved(app: App, case_id: str) -> None:
    store.apply(app, case_id, "pertemuan_awal", {}, "pdp.bogor")
    store.apply(
        app, case_id, "validasi", {"hasil": "non_eligible", "alasan": "pindah"}, "pdp.bogor"
    )
    assert app.service.get(case_id).status == "closed"


# ------------------------------------------------------------------------- number cells (#2)
def write_xlsx(path: Path, rows: list[dict[str, Any]]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(list(COLUMNS))
    for r in rows:
        ws.append([r[c] for c in COLUMNS])
    wb.save(path)
    return path


@pytest.mark.parametrize("column", ["nik", "no_kk"])
def test_a_16_digit_identifier_in_a_whole_number_cell_is_refused_not_registered(
    app: App, tmp_path: Path, column: str
) -> None:
    """Excel keeps 15 significant digits: a NIK or no_kk typed as a number has lost its last
    digit, and openpyxl hands an integral cell over as an int, not a float."""
    rows = two_households()[:1]  # KK1's head alone
    rows[0][column] = int(rows[0][column])
    report = import_file(app, write_xlsx(tmp_path / "angka.xlsx", rows)).as_dict()
    assert reasons(report) == {
        2: f"{column}: tersimpan sebagai angka di lembar kerja (digit bisa hilang); simpan "
        "sebagai teks / stored as a number in the spreadsheet (digits may be lost); store it "
        "as text"
    }
    assert report["new_households"] == 0 and counts(app)[0]["members"] == 0


# ------------------------------------------------------------- a closed household's NIKs (#3)
def test_a_family_whose_household_closed_registers_again_under_its_new_kk(
    app: App, clock: Clock, tmp_path: Path
) -> None:
    import_file(app, write_csv(tmp_path / "hh.csv", two_households()))
    old = case_of(app, KK1)
    close_as_moved(app, old)
    new_kk = "3271011102260001"
    moved = [
        {**r, "no_kk": new_kk, "kode_wilayah": "3271011002"}
        for r in two_households()
        if r["no_kk"] == KK1
    ]
    report = import_file(app, write_csv(tmp_path / "kk_baru.csv", moved)).as_dict()
    assert (report["rejected"], report["new_households"], report["new_members"]) == ([], 1, 2)
    new = case_of(app, new_kk)
    assert case_of(app, HEAD1) == case_of(app, SPOUSE1) == new  # the index moved
    members = app.service.get(new).attrs["anggota"]
    assert {no: m[PREVIOUS_CASE] for no, m in members.items()} == {"01": old, "02": old}
    registered = app.service.history(new)[0].event
    assert [m[PREVIOUS_CASE] for m in registered.data["anggota"]] == [old, old]  # in the event
    closed = app.service.get(old)
    assert [m["nik"] for m in closed.attrs["anggota"].values()] == [HEAD1, SPOUSE1]  # as it was
    again = import_file(app, write_csv(tmp_path / "kk_baru.csv", moved)).as_dict()
    assert (again["rejected"], again["unchanged_members"]) == ([], 2)
    # a rebuilt index points each NIK to its open household ...
    with app.db.transaction() as s:
        store.rebuild_index(s)
    with app.db.reading() as s:
        assert store.members_by_nik(s, [HEAD1, SPOUSE1]) == {
            HEAD1: (new, "01"),
            SPOUSE1: (new, "02"),
        }
    # ... or, when every household listing it is closed, to the one that closed last
    clock.set(datetime(2026, 3, 3, 9, 0, tzinfo=WIB))
    close_as_moved(app, new)
    with app.db.transaction() as s:
        store.rebuild_index(s)
    with app.db.reading() as s:
        assert {c for c, _ in store.members_by_nik(s, [HEAD1, SPOUSE1]).values()} == {new}
        assert store.stats(s)["households"] == 3
    assert audit_runner.verify(app.db).ok


def test_a_nik_an_open_household_holds_still_blocks_and_the_reason_says_it_is_open(
    app: App, tmp_path: Path
) -> None:
    import_file(app, write_csv(tmp_path / "hh.csv", two_households()))
    kk2 = case_of(app, KK2)
    rows = [person("3271011102260002", HEAD2, "1975-02-02", 1, 1, 9)]
    report = import_file(app, write_csv(tmp_path / "dobel.csv", rows)).as_dict()
    assert reasons(report) == {
        2: f"nik: {HEAD2} sudah dipakai rumah tangga lain yang masih terbuka: {kk2} (calon) / "
        f"{HEAD2} is already used in another household, which is open: {kk2} (calon)"
    }
    assert case_of(app, HEAD2) == kk2


def test_a_member_of_a_closed_household_can_join_an_open_one_by_any_door(
    app: App, tmp_path: Path
) -> None:
    """`pkh kpm advance` / the API: the register's facts treat a NIK only a closed household
    holds as free, and the index row follows the member (kpm_index)."""
    import_file(app, write_csv(tmp_path / "hh.csv", two_households()))
    old, kk2 = case_of(app, KK1), case_of(app, KK2)
    close_as_moved(app, old)
    spouse = {k: v for k, v in two_households()[3].items() if k not in ("no_kk", "kode_wilayah")}
    after = store.apply(app, kk2, "pemutakhiran", {"tambah": [spouse]}, "pdp.bogor")
    assert [m["nik"] for m in after.attrs["anggota"].values()] == [
        HEAD2,
        "3271010303080002",
        SPOUSE1,
    ]
    assert case_of(app, SPOUSE1) == kk2 and case_of(app, HEAD1) == old
    with app.db.transaction() as s:
        store.rebuild_index(s)
    assert case_of(app, SPOUSE1) == kk2 and case_of(app, HEAD1) == old
    assert audit_runner.verify(app.db).ok


def test_an_extract_adds_a_member_of_a_closed_household_to_a_known_one(
    app: App, tmp_path: Path
) -> None:
    import_file(app, write_csv(tmp_path / "hh.csv", two_households()))
    old, kk2 = case_of(app, KK1), case_of(app, KK2)
    close_as_moved(app, old)
    joined = [r for r in two_households() if r["no_kk"] == KK2]
    joined.append({**two_households()[3], "no_kk": KK2})  # KK1's spouse, now in KK2
    report = import_file(app, write_csv(tmp_path / "gabung.csv", joined)).as_dict()
    assert (report["rejected"], report["added_members"], report["unchanged_members"]) == (
        [],
        1,
        2,
    )
    assert case_of(app, SPOUSE1) == kk2
    assert app.service.get(kk2).attrs["anggota"]["03"][PREVIOUS_CASE] == old
    assert audit_runner.verify(app.db).ok


# ---------------------------------------------------------------------- NIK correction (#4)
def test_a_corrected_nik_is_rejected_as_a_nik_correction_not_added_as_a_second_member(
    app: App, tmp_path: Path
) -> None:
    import_file(app, write_csv(tmp_path / "hh.csv", two_households()))
    kk1 = case_of(app, KK1)
    fixed = "3271014505850003"
    rows = two_households()
    rows[3] = {**rows[3], "nik": fixed, "nama": " ANGGOTA  0002"}  # spacing and case aside
    report = import_file(app, write_csv(tmp_path / "nik_baru.csv", rows)).as_dict()
    assert reasons(report) == {
        5: f"nik: {fixed} tampaknya anggota 02 dari {kk1} (Anggota 0002, 1985-05-05) yang "
        f"tercatat dengan NIK lain ({SPOUSE1}); catat koreksi NIK sebagai pemutakhiran "
        f"(anggota.02.nik={fixed}) / {fixed} looks like member 02 of {kk1} (Anggota 0002, "
        f"1985-05-05), registered with another NIK ({SPOUSE1}); record the NIK correction as "
        f"pemutakhiran (anggota.02.nik={fixed})"
    }
    assert (report["added_members"], counts(app)[0]["members"]) == (0, 4)
    # what the reason says to do is taken, and the file then reruns clean
    store.apply(app, kk1, "pemutakhiran", {"anggota": {"02": {"nik": fixed}}}, "pdp.bogor")
    rows[3]["nama"] = "Anggota 0002"
    again = import_file(app, write_csv(tmp_path / "nik_baru.csv", rows)).as_dict()
    assert (again["rejected"], again["unchanged_members"]) == ([], 4)


# ------------------------------------------------------------------ ages for the role (#10)
def test_impossible_ages_for_the_role_are_refused_naming_the_lines_and_ages(
    app: App, tmp_path: Path
) -> None:
    kk, kk_b = "3271010404260001", "3271010101500001"
    rows = [
        person(kk, "3271010404800001", "1980-04-04", 1, 1, 9),  # head, 45
        person(kk, "3271014404220001", "2022-04-04", 2, 2, 2),  # a spouse of 3
        person(kk, "3271010404240001", "2024-04-04", 1, 5, 2),  # an orang tua of 1
        person(kk, "3271010404300001", "1930-04-04", 1, 3, 8),  # an anak of 95
        # an old head, a young wife: her mother is younger than the head, older than her
        person(kk_b, "3271010101500001", "1950-01-01", 1, 1, 8),
        person(kk_b, "3271014101900002", "1990-01-01", 2, 2, 9),
        person(kk_b, "3271014101600003", "1960-01-01", 2, 8, 9),  # mertua: accepted
        person(kk_b, "3271010101950004", "1995-01-01", 1, 8, 9),  # mertua younger than the wife
        person(kk_b, "3271010101140005", "2014-01-01", 1, 6, 9),  # a menantu of 12
    ]
    report = import_file(app, write_csv(tmp_path / "peran.csv", rows)).as_dict()
    assert reasons(report) == {
        3: "hubungan_keluarga: suami/istri (2) sekurang-kurangnya berusia 15 tahun; anggota ini "
        "berusia 3 tahun / a suami/istri (2) is at least 15 years old; the member is 3",
        4: "hubungan_keluarga: orang tua (5) berusia 1 tahun (lahir 2024-04-04) tidak lebih tua "
        "dari kepala keluarga (baris 2, berusia 45 tahun, lahir 1980-04-04) / an orang tua (5) "
        "aged 1 (born 2024-04-04) is not older than the kepala keluarga (line 2, aged 45, born "
        "1980-04-04)",
        5: "hubungan_keluarga: anak (3) berusia 95 tahun (lahir 1930-04-04) tidak lebih muda "
        "dari kepala keluarga (baris 2, berusia 45 tahun, lahir 1980-04-04) / an anak (3) aged "
        "95 (born 1930-04-04) is not younger than the kepala keluarga (line 2, aged 45, born "
        "1980-04-04)",
        9: "hubungan_keluarga: mertua (8) berusia 31 tahun (lahir 1995-01-01) tidak lebih tua "
        "dari suami/istri (baris 7, berusia 36 tahun, lahir 1990-01-01) / a mertua (8) aged 31 "
        "(born 1995-01-01) is not older than the suami/istri (line 7, aged 36, born 1990-01-01)",
        10: "hubungan_keluarga: menantu (6) sekurang-kurangnya berusia 15 tahun; anggota ini "
        "berusia 12 tahun / a menantu (6) is at least 15 years old; the member is 12",
    }
    assert (report["new_households"], report["accepted_members"]) == (2, 4)


def test_a_member_added_to_a_known_household_is_measured_against_its_registered_head(
    app: App, tmp_path: Path
) -> None:
    import_file(app, write_csv(tmp_path / "hh.csv", two_households()))
    older = person(KK1, "3271010101700009", "1970-01-01", 1, 3, 9)  # an anak older than 01
    report = import_file(app, write_csv(tmp_path / "tambah.csv", [older])).as_dict()
    assert reasons(report) == {
        2: "hubungan_keluarga: anak (3) berusia 56 tahun (lahir 1970-01-01) tidak lebih muda "
        "dari kepala keluarga (anggota 01, berusia 46 tahun, lahir 1980-01-01) / an anak (3) "
        "aged 56 (born 1970-01-01) is not younger than the kepala keluarga (member 01, aged 46, "
        "born 1980-01-01)"
    }
    assert counts(app)[0]["members"] == 4


# ------------------------------------------------------- a household whose head failed (#11)
def test_the_rows_of_a_household_whose_head_was_rejected_say_so(app: App, tmp_path: Path) -> None:
    import_file(app, write_csv(tmp_path / "hh.csv", two_households()))
    kk2 = case_of(app, KK2)
    a, b, c = "3271011111260001", "3271011111260002", "3271011111260003"
    rows = [
        person(a, "3271010101160001", "2016-01-01", 1, 1, 9),  # a head of 10
        person(a, "3271014101850002", "1985-01-01", 2, 2, 9),
        person(b, HEAD2, "1975-02-02", 1, 1, 9),  # KK2's head: its NIK is taken
        person(b, "3271010101100004", "2010-01-01", 1, 3, 9),
        person(c, "3271010303700005", "1970-03-03", 1, 1, 10),  # the head died
        person(c, "3271014404750006", "1975-04-04", 2, 2, 9),
    ]
    report = import_file(app, write_csv(tmp_path / "kepala.csv", rows)).as_dict()
    got = reasons(report)
    assert sorted(got) == [2, 3, 4, 5, 6, 7]
    assert got[3] == (
        "hubungan_keluarga: kepala keluarga rumah tangga ini (baris 2) ditolak: "
        "hubungan_keluarga: kepala keluarga (1) sekurang-kurangnya berusia 15 tahun; anggota "
        "ini berusia 10 tahun / its kepala keluarga (line 2) was rejected: hubungan_keluarga: "
        "a kepala keluarga (1) is at least 15 years old; the member is 10"
    )
    assert got[5] == (
        f"hubungan_keluarga: kepala keluarga rumah tangga ini (baris 4) ditolak: nik: {HEAD2} "
        f"sudah dipakai rumah tangga lain yang masih terbuka: {kk2} (calon) / its kepala "
        f"keluarga (line 4) was rejected: nik: {HEAD2} is already used in another household, "
        f"which is open: {kk2} (calon)"
    )
    deceased = (
        "hubungan_keluarga: kepala keluarga (baris 6) tercatat meninggal (komponen 10); rumah "
        "tangga tanpa kepala keluarga yang hidup tidak dapat didaftarkan / the kepala keluarga "
        "(line 6) is recorded as deceased (komponen 10); a household without a living kepala "
        "keluarga cannot be registered"
    )
    assert got[6] == got[7] == deceased


def test_a_nik_claimed_by_a_household_without_a_head_is_free_for_the_next_one(
    app: App, tmp_path: Path
) -> None:
    """Household A has no head, so nothing of it is registered: its child's NIK must not keep
    household B, listed after it, from registering the child."""
    child = "3271011503150001"
    rows = [
        person("3271012222220001", "3271012202800001", "1980-02-22", 1, 2, 9),  # no head
        person("3271012222220001", child, "2015-03-15", 1, 3, 4, jenjang_sekolah=1, kelas=5),
        person("3271012222220002", "3271012202800002", "1980-02-22", 1, 1, 9),
        person("3271012222220002", child, "2015-03-15", 1, 3, 4, jenjang_sekolah=1, kelas=5),
    ]
    report = import_file(app, write_csv(tmp_path / "klaim.csv", rows)).as_dict()
    assert sorted(reasons(report)) == [2, 3]
    assert "the household has no kepala keluarga (1)" in reasons(report)[3]
    household_b = case_of(app, "3271012222220002")
    assert case_of(app, child) == household_b
    assert len(app.service.get(household_b).attrs["anggota"]) == 2
    again = import_file(app, write_csv(tmp_path / "klaim.csv", rows)).as_dict()
    assert (sorted(reasons(again)), again["unchanged_members"]) == ([2, 3], 2)


# ------------------------------------------------------------ reasons in both languages (#9)
def test_a_bilingual_message_is_not_said_twice() -> None:
    from workflows.kpm_parse import region

    with pytest.raises(InvalidInput) as unknown:
        region("3271019999")
    assert str(said(unknown.value)) == (
        "kode_wilayah: kode wilayah tidak dikenal: 3271019999 / unknown region code: 3271019999"
    )
    both = InvalidInput("row", "memuat X / contains X", message_id="memuat X")
    assert str(said(both)) == "row: memuat X / contains X"
    english = InvalidInput("row", "contains X")
    assert str(said(english)) == "row: contains X"


def test_a_household_the_workflow_refuses_is_named_in_both_languages_and_takes_no_number(
    app: App, tmp_path: Path
) -> None:
    """kab.bogor's file lists a Makassar household between two of its own: the workflow
    refuses it (out of the officer's region), and the Bogor households are numbered without a
    gap."""
    rows = [
        person("3271010101200021", "3271010101700021", "1970-01-01", 1, 1, 9),
        person("7371010101200022", "7371010101710022", "1971-01-01", 1, 1, 9),
        person("3271010101200023", "3271010101720023", "1972-01-01", 1, 1, 9),
    ]
    rows[1]["kode_wilayah"] = "7371011001"
    report = import_file(app, write_csv(tmp_path / "wilayah.csv", rows), actor="kab.bogor")
    got = reasons(report.as_dict())
    assert list(got) == [3]
    assert got[3].startswith("household: peristiwa 'daftar' ditolak: region_out_of_scope: ")
    assert " / event 'daftar' refused: region_out_of_scope: " in got[3]
    codes = [
        app.service.get(case_of(app, kk)).attrs["kode_peserta"]
        for kk in ("3271010101200021", "3271010101200023")
    ]
    assert codes == ["3271012600001", "3271012600002"]


def test_a_member_recorded_dead_in_a_closed_household_is_not_registered_alive_again(
    app: App, tmp_path: Path
) -> None:
    """A closed household frees the NIKs of those who left it, not of those who died in it:
    a deceased member registered again as a living beneficiary would be paid for."""
    import_file(app, write_csv(tmp_path / "hh.csv", two_households()))
    old, kk2 = case_of(app, KK1), case_of(app, KK2)
    died = {"nomor_anggota": "02", "tanggal": "2026-02-20"}
    store.apply(app, old, "anggota_meninggal", died, "pdp.bogor")
    close_as_moved(app, old)
    rows = [{**two_households()[3], "no_kk": KK2}]  # KK1's late spouse, in KK2's extract
    report = import_file(app, write_csv(tmp_path / "lagi.csv", rows)).as_dict()
    assert list(reasons(report)) == [2]
    assert reasons(report)[2].startswith(f"nik: {SPOUSE1} tercatat meninggal dunia")
    assert old in reasons(report)[2]
    spouse = {k: v for k, v in two_households()[3].items() if k not in ("no_kk", "kode_wilayah")}
    with pytest.raises(GuardRejected) as refused:
        store.apply(app, kk2, "pemutakhiran", {"tambah": [spouse]}, "pdp.bogor")
    assert "meninggal" in str(refused.value) and old in str(refused.value)
    assert case_of(app, SPOUSE1) == old
    assert len(app.service.get(kk2).attrs["anggota"]) == 2
    assert audit_runner.verify(app.db).ok
