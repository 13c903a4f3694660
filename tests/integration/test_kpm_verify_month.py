"""`pkh kpm verify-month`: a household's month is recorded whole or not at all, so fixing the
rejected rows and importing the file again records it; months are recorded in order; the report
counts households and household-months apart; reasons in Bahasa Indonesia and English."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.wiring import App
from engine.store import audit_runner
from tests.conftest import WIB, Clock
from tests.integration.test_kpm_import import (
    kpm_registered,  # noqa: F401  (autouse fixture)
    person,
    write_csv,
)
from workflows import kpm_store as store
from workflows.kpm_import import import_file
from workflows.kpm_verify import verify_file

KK = "3271010505200005"
NIK = {
    "01": "3271010505800001",  # kepala keluarga, no component
    "02": "3271014606850002",  # his wife, no component
    "03": "3271010707160003",  # SD
    "04": "3271014808120004",  # SMP
}
HEADER = ("periode", "kode_anggota", "nik", "hadir")


@pytest.fixture
def cli(app: App, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    import api.cli
    import api.cli_kpm  # noqa: F401  (registers `pkh kpm`)

    monkeypatch.setattr(api.cli, "_APP", app)
    yield CliRunner()


@pytest.fixture
def household(app: App, clock: Clock, tmp_path: Path) -> str:
    """A participant since its decree of 1 December 2025 (registered and validated before
    it); the tests verify months up to March 2026."""
    today = clock()
    clock.set(datetime(2025, 11, 20, 9, 0, tzinfo=WIB))
    rows = [
        person(KK, NIK["01"], "1980-05-05", 1, 1, 9),
        person(KK, NIK["02"], "1985-06-06", 2, 2, 9),
        person(KK, NIK["03"], "2016-07-07", 1, 3, 4, jenjang_sekolah=1, kelas=4),
        person(KK, NIK["04"], "2012-08-08", 2, 3, 5, jenjang_sekolah=2, kelas=8),
    ]
    report = import_file(app, write_csv(tmp_path / "kk.csv", rows)).as_dict()
    assert report["rejected"] == [], report["rejected"]
    with app.db.reading() as s:
        case_id = store.resolve(s, KK)
    store.apply(app, case_id, "pertemuan_awal", {}, "pdp.bogor")
    store.apply(app, case_id, "validasi", {"hasil": "eligible"}, "pdp.bogor")
    clock.set(datetime(2025, 12, 1, 10, 0, tzinfo=WIB))
    sk = {"nomor_sk": "SK-12/2025", "tanggal_sk": "2025-12-01"}
    store.apply(app, case_id, "tetapkan", sk, "pusat.spm")
    clock.set(today)  # 2 March 2026
    return case_id


def code(app: App, case_id: str) -> str:
    return str(app.service.get(case_id).attrs["kode_peserta"])


def write(path: Path, rows: list[tuple[str, ...]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([HEADER, *rows])
    return path


def reasons(report: dict) -> dict[int, str]:
    return {r["line"]: r["reason"] for r in report["rejected"]}


def test_a_month_with_a_rejected_row_is_not_recorded_and_the_fixed_file_then_records_it(
    app: App, household: str, tmp_path: Path
) -> None:
    """The review's case: member 03 twice and a member 99 recorded the month from the other
    rows, and the corrected file was then refused for good ('already recorded with other
    attendance')."""
    case_id, kode = household, code(app, household)
    before = app.service.get(case_id)
    first = write(
        tmp_path / "hadir.csv",
        [
            ("2026-01", "", NIK["02"], "0"),
            ("2026-01", f"{kode}03", "", "1"),
            ("2026-01", f"{kode}03", "", "0"),  # twice
            ("2026-01", f"{kode}99", "", "1"),  # no such member
            ("2026-01", f"{kode}04", "", "1"),
        ],
    )
    report = verify_file(app, first, actor="pdp.bogor").as_dict()
    why = reasons(report)
    assert sorted(why) == [2, 3, 4, 5, 6]
    assert why[4] == (
        f"kode_anggota: anggota 03 {case_id} muncul dua kali (pertama di baris 3) / "
        f"member 03 of {case_id} appears twice (first on line 3)"
    )
    assert why[5] == (
        f"kode_anggota: {case_id} tidak memiliki anggota 99 / {case_id} has no member 99"
    )
    for line in (2, 3, 6):
        assert why[line] == (
            f"household: bulan 2026-01 {case_id} tidak dicatat karena baris 4, 5 ditolak; "
            "perbaiki baris itu lalu impor ulang berkas / "
            f"month 2026-01 of {case_id} not recorded because lines 4, 5 were rejected; "
            "fix them and import the file again"
        )
    assert (report["household_months"], report["households"], report["accepted_members"]) == (
        0,
        0,
        0,
    )
    assert app.service.get(case_id) == before  # nothing recorded

    fixed = write(
        tmp_path / "hadir.csv",
        [
            ("2026-01", "", NIK["02"], "0"),
            ("2026-01", f"{kode}03", "", "1"),
            ("2026-01", f"{kode}04", "", "1"),
        ],
    )
    report = verify_file(app, fixed, actor="pdp.bogor").as_dict()
    assert report["rejected"] == []
    assert (report["household_months"], report["households"], report["accepted_members"]) == (
        1,
        1,
        3,
    )
    state = app.service.get(case_id)
    assert state.attrs["verifikasi_terakhir"] == {
        "periode": "2026-01",
        "hadir": {"02": False, "03": True, "04": True},
    }
    again = verify_file(app, fixed, actor="pdp.bogor").as_dict()  # a rerun changes nothing
    assert again["rejected"] == [] and again["household_months"] == 0
    assert (again["unchanged_household_months"], again["unchanged_households"]) == (1, 1)
    assert app.service.get(case_id).version == state.version
    assert audit_runner.verify(app.db).ok


def test_a_row_rejected_as_it_is_read_holds_back_the_month_of_the_household_it_names(
    app: App, household: str, tmp_path: Path
) -> None:
    """An attendance that is not 1/0, a kode peserta without its member number, or a month
    that cannot be read still name a household: its month is not recorded without them. A row
    naming nobody the register holds belongs to no household and holds nothing back."""
    case_id, kode = household, code(app, household)
    path = write(
        tmp_path / "hadir.csv",
        [
            ("2026-01", f"{kode}03", "", "1"),
            ("2026-01", f"{kode}04", "", "maybe"),
            ("2026-02", f"{kode}03", "", "1"),
            ("2026-02", kode, "", "1"),  # the household, but which member?
            ("2026-03", f"{kode}03", "", "1"),
            ("03/2026", "", NIK["04"], "1"),  # its month cannot be read: every month waits
            ("2026-01", "", "3271010909900009", "1"),  # nobody's NIK
        ],
    )
    report = verify_file(app, path, actor="pdp.bogor").as_dict()
    why = reasons(report)
    assert sorted(why) == [2, 3, 4, 5, 6, 7, 8]
    assert why[3] == (
        "hadir: 'maybe' bukan 1 (hadir) atau 0 (tidak hadir) / "
        "'maybe' is not 1 (attended) or 0 (did not)"
    )
    assert why[5].startswith("kode_anggota: harus berupa 15 digit") and " / " in why[5]
    assert why[7].startswith("periode: '03/2026' bukan bulan (YYYY-MM) / ")
    assert why[8] == (
        "nik: 3271010909900009 bukan anggota KPM yang terdaftar di wilayah Anda (327101) / "
        "3271010909900009 is not a registered KPM member in your area (327101)"
    )
    assert "karena baris 3, 7 ditolak" in why[2] and "because lines 3, 7 were rejected" in why[2]
    assert "karena baris 5, 7 ditolak" in why[4]
    assert "karena baris 7 ditolak" in why[6] and "because line 7 was rejected" in why[6]
    assert "verifikasi_terakhir" not in app.service.get(case_id).attrs


def test_months_are_recorded_in_order_and_one_not_recorded_holds_back_the_later_ones(
    app: App, household: str, tmp_path: Path
) -> None:
    """February listed before January used to be recorded first, and January was then refused
    for good; a January not recorded must not be passed by February either."""
    case_id, kode = household, code(app, household)
    february = [("2026-02", f"{kode}{no}", "", "1") for no in ("03", "04")]
    january = [("2026-01", f"{kode}03", "", "0"), ("2026-01", f"{kode}04", "", "x")]
    report = verify_file(app, write(tmp_path / "v.csv", [*february, *january])).as_dict()
    why = reasons(report)
    assert sorted(why) == [2, 3, 4, 5]
    assert why[2] == (
        f"household: bulan 2026-02 {case_id} tidak dicatat: bulan 2026-01 sebelumnya "
        "(baris 5) tidak tercatat; bulan dicatat berurutan / "
        f"month 2026-02 of {case_id} not recorded: the earlier month 2026-01 (line 5) was "
        "not recorded; months are recorded in order"
    )
    assert "verifikasi_terakhir" not in app.service.get(case_id).attrs

    january[1] = ("2026-01", f"{kode}04", "", "0")
    report = verify_file(app, write(tmp_path / "v.csv", [*february, *january])).as_dict()
    assert report["rejected"] == []
    assert (report["households"], report["household_months"]) == (1, 2)
    state = app.service.get(case_id)
    assert state.attrs["verifikasi_terakhir"] == {
        "periode": "2026-02",
        "hadir": {"03": True, "04": True},
    }
    # January (both absent) was recorded before February: one month out of compliance, then
    # a compliant one
    assert state.attrs["bulan_tidak_patuh"] == 0
    types = [
        c.event.data.get("periode")
        for c in app.service.history(case_id)
        if "periode" in c.event.data
    ]
    assert types == ["2026-01", "2026-02"]
    assert audit_runner.verify(app.db).ok


def test_a_month_that_can_never_be_recorded_holds_nothing_back(
    app: App, household: str, tmp_path: Path
) -> None:
    """A month before the decree is refused for good: the months after it are recorded."""
    case_id, kode = household, code(app, household)
    path = write(
        tmp_path / "v.csv",
        [("2025-11", f"{kode}03", "", "1"), ("2025-12", f"{kode}03", "", "1")],
    )
    report = verify_file(app, path).as_dict()
    assert reasons(report) == {
        2: f"periode: 2025-11 sebelum {case_id} menjadi peserta (SK penetapan 2025-12-01) / "
        f"2025-11 is before {case_id} became a participant (SK penetapan of 2025-12-01)"
    }
    assert app.service.get(case_id).attrs["verifikasi_terakhir"]["periode"] == "2025-12"


def test_the_report_counts_households_and_household_months_apart(
    app: App, cli: CliRunner, household: str, tmp_path: Path
) -> None:
    """Three months of one household were reported as `households: 3`."""
    from api.cli import app as typer_app

    kode = code(app, household)
    months = ("2025-12", "2026-01", "2026-02")
    path = write(
        tmp_path / "v.csv", [(m, f"{kode}{no}", "", "0") for m in months for no in ("03", "04")]
    )
    out = cli.invoke(
        typer_app, ["kpm", "verify-month", str(path), "--json", "--actor", "pdp.bogor"]
    )
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert (report["households"], report["household_months"], report["accepted_members"]) == (
        1,
        3,
        6,
    )
    assert report["outcomes"] == {"penangguhan": 1}  # each household once, by its state now
    assert (report["unchanged_households"], report["unchanged_household_months"]) == (0, 0)
    last = write(
        tmp_path / "last.csv", [("2026-02", f"{kode}{no}", "", "0") for no in ("03", "04")]
    )
    text = cli.invoke(
        typer_app, ["kpm", "verify-month", str(last), "--actor", "pdp.bogor"]
    )  # a rerun of its month
    assert text.exit_code == 0, text.output
    assert "households: 0  household_months: 0" in text.stdout
    assert "unchanged_households: 1  unchanged_household_months: 1" in text.stdout


def test_a_household_outside_the_officer_s_area_is_not_found_and_nothing_more_is_said(
    app: App, clock: Clock, household: str, tmp_path: Path
) -> None:
    """A pendamping of another kecamatan learned a household's decree date, whether a month
    was recorded, and which member numbers it has, from the reasons."""
    from api.admin import add_user

    add_user(app.db, "pdp.lain", "pendamping", "327102", now=clock())
    case_id, kode = household, code(app, household)
    january = [("2026-01", f"{kode}{no}", "", "1") for no in ("03", "04")]
    verify_file(app, write(tmp_path / "v.csv", january), actor="pdp.bogor")
    before = app.service.get(case_id)
    rows = [
        ("2025-11", f"{kode}03", "", "1"),  # before the decree
        ("2026-01", f"{kode}03", "", "0"),  # recorded with other attendance
        ("2026-02", f"{kode}99", "", "1"),  # no such member
    ]
    report = verify_file(app, write(tmp_path / "v.csv", rows), actor="pdp.lain").as_dict()
    # nor that the code names a household at all, nor its case number: said as a code the
    # register does not hold
    assert reasons(report) == {
        line: f"kode_anggota: {kode}{no} tidak menyebut rumah tangga KPM yang terdaftar "
        f"di wilayah Anda (327102) / {kode}{no} names no registered KPM household in your area "
        "(327102)"
        for line, no in ((2, "03"), (3, "03"), (4, "99"))
    }
    assert case_id not in str(report["rejected"])
    assert app.service.get(case_id) == before
