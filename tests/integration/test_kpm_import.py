"""The KPM register on SQLite and PostgreSQL: bulk import, rerun, verification, data control."""

from __future__ import annotations

import csv
import gc
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from api.wiring import App
from bench.gen_kpm import generate
from engine.errors import CaseNotFound, GuardRejected, InvalidInput
from engine.store import audit_runner
from engine.store.repository import EV
from tests.conftest import Clock, complaint_data
from workflows import kpm_store as store
from workflows.kpm_codes import COLUMNS
from workflows.kpm_flow import control_once
from workflows.kpm_import import import_file
from workflows.kpm_verify import verify_file

WIB = timezone(timedelta(hours=7))


@pytest.fixture(autouse=True)
def kpm_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Until `workflows.default_registry` lists the kpm workflow, the tests add it."""
    import api.wiring
    import workflows
    from workflows import complaint, kpm

    if "kpm" in workflows.default_registry().names():
        return

    def registry(**kw: Any) -> workflows.Registry:
        return workflows.Registry([complaint.definition(**kw), kpm.definition()])

    monkeypatch.setattr(api.wiring, "default_registry", registry)


def counts(app: App) -> tuple[dict[str, Any], int]:
    with app.db.reading() as s:
        events = int(s.execute(sa.select(sa.func.count()).select_from(EV)).scalar_one())
        return store.stats(s), events


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    return path


def person(no_kk: str, nik: str, born: str, sex: int, hub: int, komponen: int, **kw: Any) -> dict:
    row = {
        "no_kk": no_kk,
        "nik": nik,
        "nama": f"Anggota {nik[-4:]}",
        "jenis_kelamin": sex,
        "tempat_lahir": "Bogor",
        "tanggal_lahir": born,
        "hubungan_keluarga": hub,
        "nama_ibu_kandung": "Siti",
        "kode_wilayah": "3271011001",
        "komponen": komponen,
        "jenjang_sekolah": "",
        "kelas": "",
    }
    row.update(kw)
    return row


KK1, KK2 = "3271010101200001", "3271010202200002"
SMA = {"jenjang_sekolah": 3, "kelas": 12}


def two_households() -> list[dict[str, Any]]:
    """Household 1's rows are split by household 2's: the extract need not be sorted."""
    return [
        person(KK1, "3271010101800001", "1980-01-01", 1, 1, 9),
        person(KK2, "3271010202750001", "1975-02-02", 1, 1, 9),
        person(KK2, "3271010303080002", "2008-03-03", 1, 3, 6, **SMA),
        person(KK1, "3271014505850002", "1985-05-05", 2, 2, 1),
    ]


def test_a_generated_extract_imports_with_exactly_its_bad_rows_rejected_and_reruns_idempotently(
    app: App, clock: Clock, tmp_path: Path
) -> None:
    g = generate(tmp_path / "kpm.csv", 400, seed=5, bad=0.06, as_of=clock().date())
    assert g.bad, "the generator made bad rows"
    first = import_file(app, g.path).as_dict()
    assert gc.isenabled()  # paused for the import only
    assert {r["line"] for r in first["rejected"]} == set(g.bad)
    assert first["accepted_members"] == g.good_rows
    assert first["accepted_members"] + len(first["rejected"]) == first["rows"] == g.rows
    assert first["accepted_households"] == first["new_households"] == g.households
    by_kind = {g.bad[r["line"]]: r["reason"] for r in first["rejected"]}
    expected_field = {
        "nik_malformed": "nik:",
        "nik_disagrees": "nik:",
        "nik_duplicate": "nik:",
        "region": "kode_wilayah:",
        "date": "tanggal_lahir:",
        "code": "komponen:",
    }
    for kind, reason in by_kind.items():
        assert reason.startswith(expected_field[kind]), (kind, reason)
    stats, events = counts(app)
    assert (stats["households"], stats["members"]) == (g.households, g.good_rows)
    assert stats["by_state"] == {"calon": g.households} and events == g.households

    again = import_file(app, g.path).as_dict()
    assert counts(app) == (stats, events)
    assert again["rejected"] == first["rejected"]
    assert again["accepted_members"] == first["accepted_members"]
    assert (again["new_households"], again["unchanged_members"]) == (0, g.good_rows)
    assert audit_runner.verify(app.db).ok


def test_an_excel_extract_imports_like_the_csv(app: App, clock: Clock, tmp_path: Path) -> None:
    g = generate(tmp_path / "kpm.xlsx", 60, seed=9, bad=0.1, as_of=clock().date())
    report = import_file(app, g.path).as_dict()
    assert {r["line"] for r in report["rejected"]} == set(g.bad)
    assert report["accepted_members"] == g.good_rows
    assert counts(app)[0]["members"] == g.good_rows
    assert audit_runner.verify(app.db).ok


def test_a_household_split_in_the_file_is_one_household_and_a_changed_rerun_is_explicit(
    app: App, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "a.csv", two_households())
    report = import_file(app, path).as_dict()
    assert (report["new_households"], report["accepted_members"], report["rejected"]) == (2, 4, [])
    with app.db.reading() as s:
        kk1 = store.resolve(s, KK1)
    assert list(app.service.get(kk1).attrs["anggota"]) == ["01", "02"]

    changed = two_households()
    changed[0]["nama"] = "Budi Santoso"  # differs from the register
    changed.append(person(KK1, "3271010404200003", "2020-04-04", 1, 3, 2))  # a new member
    changed.append(person(KK2, "3271010101800001", "1980-01-01", 1, 7, 9))  # NIK of KK1's head
    changed.append(person(KK1, "3271010505900004", "1990-05-05", 1, 1, 9))  # a second head
    report = import_file(app, write_csv(tmp_path / "b.csv", changed)).as_dict()
    reasons = {r["line"]: r["reason"] for r in report["rejected"]}
    assert reasons[2].startswith("nama: berbeda dengan anggota 01 dari " + kk1)
    assert " / differs from member 01 of " + kk1 in reasons[2]
    assert "used in household no_kk " + KK1 in reasons[7]
    assert reasons[8] == (
        f"hubungan_keluarga: {kk1} sudah memiliki kepala keluarga / "
        f"{kk1} already has a kepala keluarga"
    )
    assert (report["added_members"], report["unchanged_members"]) == (1, 3)
    state = app.service.get(kk1)
    assert state.attrs["anggota"]["03"]["nik"] == "3271010404200003" and state.version == 2
    assert counts(app)[0]["members"] == 5
    assert audit_runner.verify(app.db).ok


def test_a_rows_difference_from_the_register_names_its_columns_in_words(
    app: App, tmp_path: Path
) -> None:
    """Regression: a row differing from the registered member was refused "... pada
    nama_ibu_kandung (Siti -> Aminah), tempat_lahir (...)": the columns by their keys. They are
    named in the words officers read (kpm_codes.field_words); the reason's field stays the key."""
    import_file(app, write_csv(tmp_path / "a.csv", two_households()))
    with app.db.reading() as s:
        kk1 = store.resolve(s, KK1)
    changed = two_households()
    changed[0]["nama_ibu_kandung"] = "Aminah"
    changed[0]["tempat_lahir"] = "Depok"
    report = import_file(app, write_csv(tmp_path / "b.csv", changed)).as_dict()
    (rejected,) = report["rejected"]
    said_id, said_en = rejected["reason"].split(" / ")
    assert said_id == (
        f"tempat_lahir: berbeda dengan anggota 01 dari {kk1} pada tempat lahir (Bogor -> Depok), "
        "nama ibu kandung (Siti -> Aminah); catat perubahan sebagai pemutakhiran"
    ), said_id
    assert "in place of birth (Bogor -> Depok), mother's maiden name (Siti -> Aminah);" in said_en


def test_a_row_with_several_mistakes_is_rejected_naming_every_one(
    app: App, clock: Clock, tmp_path: Path
) -> None:
    """An officer fixing an extract learns every mistake of a row from one report, not one
    per import: each field is checked even after another refused. The checks that compare
    fields (the NIK against the birth date, a component against the age) run when the fields
    they read passed; a row with one mistake reads as before."""
    many = person(KK1, "12345", "1980-01-01", 1, 1, 42, nama="")
    many["no_kk"], many["kelas"] = "32710101", "kelas dua"
    dated = person(KK2, "3271010202750001", "2030-02-02", 1, 1, 9, nama="")  # birth ahead
    nik_and_date = person(KK2, "3271010202750001", "1975-02-03", 1, 1, 9, kode_wilayah="99")
    one = person(KK2, "3271010202750001", "1975-02-02", 1, 1, 9, nama="")
    rows = [many, dated, nik_and_date, one]
    report = import_file(app, write_csv(tmp_path / "bad.csv", rows)).as_dict()
    reasons = {r["line"]: r["reason"] for r in report["rejected"]}
    fields = {r["line"]: r["fields"] for r in report["rejected"]}
    assert all(r["reason"].count(" | ") == len(r["fields"]) - 1 for r in report["rejected"])
    assert fields[2] == ["no_kk", "nik", "nama", "komponen", "kelas"], reasons[2]
    assert "nik: harus berupa 16 digit, bukan '12345' / must be 16 digits" in reasons[2]
    assert "nama: wajib diisi / is required" in reasons[2]
    # the NIK says 1975-02-02 and the row 2030-02-02: both named, and the date ahead as well
    assert fields[3] == ["nik", "nama", "tanggal_lahir"], reasons[3]
    assert "2030-02-02 berada di masa depan / 2030-02-02 is in the future" in reasons[3]
    # an unknown region: the checks as of the office's date are left out, the rest named
    assert fields[4] == ["kode_wilayah", "nik"], reasons[4]
    assert reasons[5] == "nama: wajib diisi / is required"
    assert report["accepted_members"] == 0 and report["rows"] == 4


def test_staged_rows_come_back_grouped_by_key_in_order_of_first_appearance() -> None:
    from workflows.kpm_files import Staging

    rows = [("b", 2, ("3271011001", {"nama": "Ani", "kelas": None, "x": 1.5}))]
    rows += [("a", 3, ("3271011002", {"nama": "Budi"})), ("b", 4, ["r", [1, 2]])]
    rows += [(f"k{i % 7}", 5 + i, {"i": i}) for i in range(25_000)]  # several flushes
    with Staging() as stage:
        for key, line, value in rows:
            stage.add(key, line, value)
        assert stage.count == len(rows)
        groups = list(stage.groups())
    expected: dict[str, list[tuple[int, Any]]] = {}
    for key, line, value in rows:
        expected.setdefault(key, []).append((line, value))
    assert [k for k, _ in groups] == list(expected)  # b, a, k0 ... k6
    assert dict(groups) == expected  # every value as it went in, lines ascending


def test_a_file_with_missing_columns_is_refused_naming_them(app: App, tmp_path: Path) -> None:
    from engine.errors import InvalidInput

    bad = tmp_path / "bad.csv"
    bad.write_text("no_kk;nik;nama\n1;2;3\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        import_file(app, bad)
    assert err.value.field == "file" and "jenis_kelamin" in err.value.message
    latin = write_csv(tmp_path / "latin.csv", two_households())
    latin.write_bytes(latin.read_bytes().replace(b"Bogor", "Bogör".encode("latin-1")))
    with pytest.raises(InvalidInput) as err:
        import_file(app, latin)
    assert err.value.field == "file" and "utf-8" in err.value.message.lower()
    assert counts(app)[0]["households"] == 0  # nothing half-imported
    assert gc.isenabled()  # the collector paused for the import runs again after a failure


def household_at_peserta(app: App, tmp_path: Path) -> str:
    # registered and validated in November 2025 (a decree cannot come before the validation)
    clock = app.service.clock
    assert isinstance(clock, Clock)
    today = clock()
    clock.set(datetime(2025, 11, 24, 9, 0, tzinfo=WIB))
    import_file(app, write_csv(tmp_path / "hh.csv", two_households()))
    with app.db.reading() as s:
        case_id = store.resolve(s, KK2)
    store.apply(app, case_id, "pertemuan_awal", {}, "pdp.bogor")
    store.apply(app, case_id, "validasi", {"hasil": "eligible"}, "pdp.bogor")
    clock.set(today)
    # decreed in December 2025: the verification tests record months from then on (a month
    # before the decree is refused: the household was not a participant yet)
    sk = {"nomor_sk": "SK-7/2025", "tanggal_sk": "2025-12-01"}
    return store.apply(app, case_id, "tetapkan", sk, "pusat.spm").id


def test_monthly_verification_files_set_compliance_and_rerun_idempotently(
    app: App, tmp_path: Path
) -> None:
    case_id = household_at_peserta(app, tmp_path)
    code = app.service.get(case_id).attrs["kode_peserta"]
    rows = [("periode", "kode_anggota", "nik", "hadir")]
    for month in ("2025-12", "2026-01", "2026-02"):
        rows.append((month, f"{code}02", "", "0"))
    rows.append(("2026-02", "", "3271010101800001", "1"))  # KK1 is only calon: refused
    rows.append(("2026-02", "", "3271019999990001", "1"))  # nobody's NIK
    path = tmp_path / "verifikasi.csv"
    with path.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    report = verify_file(app, path).as_dict()
    reasons = {r["line"]: r["reason"] for r in report["rejected"]}
    assert sorted(reasons) == [5, 6]
    assert "not allowed" in reasons[5] and reasons[6].startswith("nik:")
    state = app.service.get(case_id)
    assert state.state == "penangguhan" and state.attrs["bulan_tidak_patuh"] == 3
    again = verify_file(app, path).as_dict()
    assert again["unchanged_households"] == 1 and app.service.get(case_id).version == state.version
    assert audit_runner.verify(app.db).ok


def test_a_bad_verification_row_is_rejected_alone_with_its_own_reason(
    app: App, tmp_path: Path
) -> None:
    """A row naming a member the household does not have, or saying 'maybe', is rejected on
    its own line and column; the household's month is then not recorded, its other rows
    rejected naming them."""
    case_id = household_at_peserta(app, tmp_path)
    code = app.service.get(case_id).attrs["kode_peserta"]
    rows = [
        ("periode", "kode_anggota", "nik", "hadir"),
        ("2026-02", f"{code}02", "", "1"),
        ("2026-02", f"{code}99", "", "1"),  # no member 99
        ("2026-02", f"{code}01", "", "maybe"),
    ]
    path = tmp_path / "verifikasi.csv"
    with path.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    report = verify_file(app, path).as_dict()
    reasons = {r["line"]: r["reason"] for r in report["rejected"]}
    assert sorted(reasons) == [2, 3, 4], reasons
    assert (
        reasons[3]
        == f"kode_anggota: {case_id} tidak memiliki anggota 99 / {case_id} has no member 99"
    )
    assert reasons[4].startswith("hadir:"), reasons[4]
    assert "karena baris 3, 4 ditolak" in reasons[2]
    assert report["households"] == 0 and report["accepted_members"] == 0
    assert "verifikasi_terakhir" not in app.service.get(case_id).attrs


def test_the_cli_verify_month_exits_1_when_rows_are_rejected_and_0_when_none_are(
    cli: CliRunner, app: App, tmp_path: Path
) -> None:
    from api.cli import app as typer_app

    case_id = household_at_peserta(app, tmp_path)
    code = app.service.get(case_id).attrs["kode_peserta"]
    good = [("periode", "kode_anggota", "nik", "hadir"), ("2026-01", f"{code}02", "", "1")]
    path = tmp_path / "verifikasi.csv"
    with path.open("w", newline="") as f:
        csv.writer(f).writerows([*good, ("2026-01", "", "3271019999990001", "1")])
    before = app.service.get(case_id).version
    verify = ["kpm", "verify-month", str(path), "--actor", "pdp.bogor"]
    out = cli.invoke(typer_app, [*verify, "--json"])
    assert out.exit_code == 1, out.output
    assert out.stderr.startswith("error: 1 of 2 rows rejected")
    report = json.loads(out.stdout)
    assert [r["line"] for r in report["rejected"]] == [3]
    assert report["accepted_members"] == 1  # the good row is recorded all the same
    assert app.service.get(case_id).version == before + 1
    with path.open("w", newline="") as f:
        csv.writer(f).writerows(good)
    again = cli.invoke(typer_app, verify)
    assert again.exit_code == 0, again.output
    assert again.stderr == ""


def test_data_control_graduates_a_household_alamiah_when_its_last_component_ends(
    app: App, clock: Clock, tmp_path: Path
) -> None:
    case_id = household_at_peserta(app, tmp_path)
    clock.set(datetime(2026, 7, 15, 6, 0, tzinfo=WIB))
    result = control_once(app, clock().date())
    assert result["graduasi_alamiah"] == 1 and result["failed"] == []
    state = app.service.get(case_id)
    assert (state.state, state.attrs["alasan_keluar"]) == ("graduasi_alamiah", "graduasi_alamiah")
    assert control_once(app, clock().date())["kontrol_data"] == 0  # nothing left to move
    assert audit_runner.verify(app.db).ok


def test_a_pusat_approved_correction_applies_from_the_next_payment_period(
    app: App, clock: Clock, tmp_path: Path
) -> None:
    case_id = household_at_peserta(app, tmp_path)
    complaint = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    app.service.apply(complaint.id, "escalate", {"reason": "koreksi data pusat"}, "kab.bogor")
    fix = {"pengaduan": complaint.id, "anggota": json.dumps({"02": {"nama": "Andi Saputra"}})}
    state = store.apply(app, case_id, "koreksi", fix, "pusat.spm")
    assert state.attrs["koreksi_tertunda"][0]["berlaku_mulai"] == "2026-04"
    assert control_once(app, clock().date())["koreksi_berlaku"] == 0
    clock.set(datetime(2026, 4, 1, 6, 0, tzinfo=WIB))
    assert control_once(app, clock().date())["koreksi_berlaku"] == 1
    assert app.service.get(case_id).attrs["anggota"]["02"]["nama"] == "Andi Saputra"
    assert audit_runner.verify(app.db).ok


@pytest.fixture
def cli(app: App, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    import api.cli
    import api.cli_kpm  # noqa: F401  (registers `pkh kpm`)

    monkeypatch.setattr(api.cli, "_APP", app)
    yield CliRunner()


def test_the_cli_imports_with_a_json_report_and_counts_the_register(
    cli: CliRunner, app: App, clock: Clock, tmp_path: Path
) -> None:
    from api.cli import app as typer_app

    g = generate(tmp_path / "kpm.csv", 50, seed=2, bad=0.1, as_of=clock().date())
    by = ["--actor", "pusat.spm"]
    out = cli.invoke(typer_app, ["kpm", "import", g.path, *by, "--json"])
    # rows were rejected: the report on stdout, one line on stderr, exit 1 (the rest imported)
    assert out.exit_code == 1, out.output
    assert out.stderr.startswith(f"error: {len(g.bad)} of {g.rows} rows rejected")
    report = json.loads(out.stdout)
    assert report["accepted_members"] == g.good_rows
    assert report["accepted_households"] == g.households
    assert sorted(r["line"] for r in report["rejected"]) == sorted(g.bad)
    assert all(set(r) == {"line", "reason", "fields"} for r in report["rejected"])
    stats = json.loads(cli.invoke(typer_app, ["kpm", "stats", "--json"]).stdout)
    assert (stats["households"], stats["members"]) == (g.households, g.good_rows)
    shown = cli.invoke(typer_app, ["kpm", "show", "KPM-2026-000001", "--json"])
    assert json.loads(shown.stdout)["members"][0]["kode_anggota"].endswith("01")
    missing = cli.invoke(typer_app, ["kpm", "import", str(tmp_path / "none.csv"), *by])
    assert missing.exit_code == 2
    # the same file again: the good rows are unchanged and the bad ones still refused (exit 1);
    # only the good rows: exit 0
    again = cli.invoke(typer_app, ["kpm", "import", g.path, *by, "--json"])
    assert again.exit_code == 1
    assert json.loads(again.stdout)["unchanged_members"] == g.good_rows
    lines = Path(g.path).read_text(encoding="utf-8").splitlines(keepends=True)
    good = tmp_path / "good.csv"
    good.write_text(
        "".join(x for n, x in enumerate(lines, 1) if n not in set(g.bad)), encoding="utf-8"
    )
    clean = cli.invoke(typer_app, ["kpm", "import", str(good), *by])
    assert clean.exit_code == 0, clean.output
    assert "rejected: 0" in clean.stdout and clean.stderr == ""
    # every row rejected: the error does not say "the other rows are imported" (helper-46)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "".join(x for n, x in enumerate(lines, 1) if n == 1 or n in set(g.bad)), encoding="utf-8"
    )
    none = cli.invoke(typer_app, ["kpm", "import", str(bad), *by])
    assert none.exit_code == 1, none.output
    assert f"error: {len(g.bad)} of {len(g.bad)} rows rejected" in none.stderr
    assert "none was imported" in none.stderr and "other rows" not in none.stderr


def test_the_validation_deadline_is_swept_like_a_complaint(
    app: App, clock: Clock, tmp_path: Path
) -> None:
    from engine.sweeper import sweep

    import_file(app, write_csv(tmp_path / "hh.csv", two_households()))
    with app.db.reading() as s:
        case_id = store.resolve(s, KK1)
    state = store.apply(app, case_id, "pertemuan_awal", {}, "pdp.bogor")
    assert state.stage_due is not None  # 10 working days: Monday 16 March 2026
    clock.set(datetime(2026, 3, 13, 10, 0, tzinfo=WIB))  # due within 2 working days
    report = sweep(app.service, clock())
    assert report.reminded == [case_id]
    assert sweep(app.service, clock()).reminded == []


def test_the_cli_records_a_data_update_that_adds_a_member(
    cli: CliRunner, app: App, tmp_path: Path
) -> None:
    from api.cli import app as typer_app

    import_file(app, write_csv(tmp_path / "hh.csv", two_households()))
    baby = person(KK1, "3271010102260004", "2026-02-01", 1, 3, 2)
    baby = {k: v for k, v in baby.items() if k not in ("no_kk", "kode_wilayah")}
    args = ["kpm", "advance", KK1, "pemutakhiran", "--actor", "kab.bogor"]
    out = cli.invoke(typer_app, [*args, "--data", f"tambah={json.dumps([baby])}", "--json"])
    assert out.exit_code == 0, out.output
    assert [m["nik"] for m in json.loads(out.stdout)["members"]][-1] == baby["nik"]
    again = cli.invoke(typer_app, [*args, "--data", f"tambah={json.dumps([baby])}"])
    assert again.exit_code == 6 and "member_data_invalid" in again.output  # same NIK twice
    assert counts(app)[0]["members"] == 5
    assert audit_runner.verify(app.db).ok


def test_a_member_removed_through_the_generic_door_leaves_the_index_in_step(
    app: App, tmp_path: Path
) -> None:
    """`pkh case advance`, the API and the pages record a KPM event through the service, not
    through `pkh kpm`: the NIK index follows all the same, so a later import of the same
    file is a clean rerun (it used to fail on the index's unique NIK), and the removed
    member's NIK no longer finds the household."""
    extract = write_csv(tmp_path / "hh.csv", two_households())
    import_file(app, extract)
    with app.db.reading() as s:
        case_id = store.resolve(s, KK1)
    removed = "3271014505850002"
    app.service.apply(case_id, "pemutakhiran", {"hapus": {"02": "lainnya"}}, "pdp.bogor")
    with app.db.reading() as s, pytest.raises(CaseNotFound):
        store.resolve(s, removed)
    assert counts(app)[0]["members"] == 3
    again = import_file(app, extract).as_dict()  # the file still lists the removed member
    assert again["rejected"] == [] or all("nik" in r["reason"] for r in again["rejected"])
    assert counts(app)[0]["members"] in (3, 4)
    assert audit_runner.verify(app.db).ok
    # adding a member through the generic door is checked against the register too
    baby = person(KK1, "3271010303080002", "2008-03-03", 1, 3, 6, **SMA)  # household 2
    baby = {k: v for k, v in baby.items() if k not in ("no_kk", "kode_wilayah")}
    with pytest.raises(GuardRejected) as refused:
        app.service.apply(case_id, "pemutakhiran", {"tambah": [baby]}, "pdp.bogor")
    assert [r.key for r in refused.value.reasons] == ["nik_taken"]
    assert "3271010303080002 (KPM-" in str(refused.value)  # names the household holding it


def test_a_person_relieved_of_duty_cannot_change_the_register_by_any_door(
    app: App, clock: Clock, tmp_path: Path
) -> None:
    """The engine refuses every action of a suspended person; the KPM doors that decide in
    bulk (pkh kpm advance, import, verify-month) ask the same question."""
    from api.admin import add_user
    from workflows.staff import add_staff

    import_file(app, write_csv(tmp_path / "hh.csv", two_households()))
    with app.db.reading() as s:
        case_id = store.resolve(s, KK1)
    add_user(app.db, "pdp.citra", "pendamping", "327101", now=clock())
    add_staff(app.db, "Citra Dewi", "pendamping", "327101", username="pdp.citra", now=clock())
    store.apply(app, case_id, "pertemuan_awal", {}, "pdp.citra")  # still on duty: fine
    data = complaint_data(type="kkn", accused="Citra Dewi", summary="Pungutan liar")
    app.service.open_case("complaint", data, "kab.bogor")  # relieved of duty at once
    before = counts(app)
    with pytest.raises(GuardRejected) as refused:
        store.apply(app, case_id, "validasi", {"hasil": "eligible"}, "pdp.citra")
    assert [r.key for r in refused.value.reasons] == ["actor_suspended"]
    more = write_csv(
        tmp_path / "more.csv",
        [person("3271010404200004", "3271010404800001", "1980-04-04", 1, 1, 9)],
    )
    # a verification file (a pendamping's to send) is refused whole, not row by row
    with pytest.raises(GuardRejected) as whole:
        verify_file(app, more, actor="pdp.citra")
    assert [r.key for r in whole.value.reasons] == ["actor_suspended"]
    assert counts(app) == before


def test_a_file_from_a_role_that_may_not_record_it_is_refused_whole(
    app: App, cli: CliRunner, tmp_path: Path
) -> None:
    from api.cli import app as typer_app

    extract = write_csv(tmp_path / "hh.csv", two_households())
    out = cli.invoke(typer_app, ["kpm", "import", str(extract), "--actor", "auditor"])
    assert out.exit_code == 7, out.output
    assert out.stderr.startswith("error:") and len(out.stderr.strip().splitlines()) == 1
    assert "allowed roles" in out.stderr
    assert counts(app)[0]["households"] == 0


def test_data_control_never_runs_ahead_and_says_so_plainly(
    app: App, cli: CliRunner, clock: Clock, tmp_path: Path
) -> None:
    """A date that has not come yet would move members (and graduate households, for good)
    ahead of time: refused naming the field. A malformed date or province is one error
    line with exit 2, and the default day is today in WIB, not in UTC."""
    from api.cli import app as typer_app
    from workflows.kpm_flow import control_day

    case_id = household_at_peserta(app, tmp_path)
    clock.set(datetime(2026, 7, 14, 23, 30, tzinfo=UTC))  # 06:30 on the 15th in WIB
    assert control_day(None, clock()) == date(2026, 7, 15)
    with pytest.raises(InvalidInput) as ahead:
        control_once(app, date(2026, 7, 17))  # the 16th has begun in WIT; the 17th has not
    assert ahead.value.field == "on"
    assert app.service.get(case_id).state == "peserta"  # nothing moved
    for args, field in (
        (["--on", "2026-13-01"], "on"),
        (["--on", "20-11-2026"], "on"),
        (["--on", "2026-07-20"], "on"),
        (["--province", "99"], "province"),
        (["--province", "abc"], "province"),
    ):
        out = cli.invoke(typer_app, ["kpm", "control", *args])
        assert out.exit_code == 2, (args, out.output)
        assert out.stderr.startswith(f"error: {field}:") and len(out.stderr.splitlines()) == 1
    assert app.service.get(case_id).state == "peserta"


def test_a_death_cannot_be_dated_ahead_or_before_birth(app: App, tmp_path: Path) -> None:
    case_id = household_at_peserta(app, tmp_path)
    before = app.service.get(case_id)
    for day in ("2027-05-01", "2000-01-01"):  # not yet come; before the member (2008) was born
        with pytest.raises(InvalidInput) as bad:
            died = {"nomor_anggota": "02", "tanggal": day}
            store.apply(app, case_id, "anggota_meninggal", died, "pdp.bogor")
        assert bad.value.field == "tanggal"
    assert app.service.get(case_id) == before
