"""The KPM register's review defects, end to end: impossible ages, months before the decree,
a household left without its head, gaps in participant codes, and `pkh kpm show`."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.wiring import App
from engine.errors import GuardRejected
from engine.store import audit_runner
from tests.conftest import WIB, Clock
from tests.integration.test_kpm_import import (
    KK1,
    KK2,
    counts,
    household_at_peserta,
    kpm_registered,  # noqa: F401  (autouse fixture)
    person,
    two_households,
    write_csv,
)
from workflows import kpm_store as store
from workflows.kpm_import import import_file
from workflows.kpm_verify import verify_file


@pytest.fixture
def cli(app: App, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    import api.cli
    import api.cli_kpm  # noqa: F401  (registers `pkh kpm`)

    monkeypatch.setattr(api.cli, "_APP", app)
    yield CliRunner()


def test_the_import_rejects_impossible_ages_for_a_pregnancy_or_a_head_naming_the_field(
    app: App, tmp_path: Path
) -> None:
    rows = [
        # a 3-year-old pregnant kepala keluarga: the row, and with it its household
        person("3271010101230001", "3271014101230001", "2023-01-01", 2, 1, 1),
        person("3271010101230001", "3271014202950002", "1995-02-02", 2, 2, 9),
        # a 96-year-old BUMIL beside a valid head: that row alone
        person(KK1, "3271010101800001", "1980-01-01", 1, 1, 9),
        person(KK1, "3271014101300002", "1930-01-01", 2, 2, 1),
        # a 3-year-old head in early childhood: the component fits, the head does not
        person(KK2, "3271010101230003", "2023-01-01", 1, 1, 2),
    ]
    report = import_file(app, write_csv(tmp_path / "ages.csv", rows)).as_dict()
    reasons = {r["line"]: r["reason"] for r in report["rejected"]}
    assert sorted(reasons) == [2, 3, 5, 6], reasons
    assert " / 1 (BUMIL) is for ages 10-55; the member is 3" in reasons[2]
    assert "its kepala keluarga (line 2) was rejected: komponen: 1 (BUMIL)" in reasons[3]
    assert " / 1 (BUMIL) is for ages 10-55; the member is 96" in reasons[5]
    assert " / a kepala keluarga (1) is at least 15 years old; the member is 3" in reasons[6]
    assert (report["new_households"], report["accepted_members"]) == (1, 1)
    assert counts(app)[0]["members"] == 1


def household_with_decree(app: App, tmp_path: Path, tanggal_sk: str) -> str:
    # registered and validated on 9 February 2026 (a decree cannot come before the validation)
    clock = app.service.clock
    assert isinstance(clock, Clock)
    today = clock()
    clock.set(datetime(2026, 2, 9, 9, 0, tzinfo=WIB))
    import_file(app, write_csv(tmp_path / "hh.csv", two_households()))
    with app.db.reading() as s:
        case_id = store.resolve(s, KK2)
    store.apply(app, case_id, "pertemuan_awal", {}, "pdp.bogor")
    store.apply(app, case_id, "validasi", {"hasil": "eligible"}, "pdp.bogor")
    clock.set(today)
    sk = {"nomor_sk": "SK-9/2026", "tanggal_sk": tanggal_sk}
    return store.apply(app, case_id, "tetapkan", sk, "pusat.spm").id


def test_verify_month_rejects_a_month_before_the_household_became_a_participant(
    app: App, cli: CliRunner, tmp_path: Path
) -> None:
    from api.cli import app as typer_app

    case_id = household_with_decree(app, tmp_path, "2026-02-10")
    code = app.service.get(case_id).attrs["kode_peserta"]
    path = tmp_path / "verifikasi.csv"
    with path.open("w", newline="") as f:
        csv.writer(f).writerows(
            [
                ("periode", "kode_anggota", "nik", "hadir"),
                ("2026-01", f"{code}02", "", "1"),  # before the decree of 10 February
                ("2026-02", f"{code}02", "", "1"),  # the decree's own month counts
            ]
        )
    out = cli.invoke(
        typer_app, ["kpm", "verify-month", str(path), "--actor", "pdp.bogor", "--json"]
    )
    assert out.exit_code == 1, out.output
    report = json.loads(out.stdout)
    reasons = {r["line"]: r["reason"] for r in report["rejected"]}
    assert list(reasons) == [2]
    assert reasons[2] == (
        f"periode: 2026-01 sebelum {case_id} menjadi peserta (SK penetapan 2026-02-10) / "
        f"2026-01 is before {case_id} became a participant (SK penetapan of 2026-02-10)"
    )
    last = app.service.get(case_id).attrs["verifikasi_terakhir"]
    assert last == {"periode": "2026-02", "hadir": {"02": True}}
    assert audit_runner.verify(app.db).ok


def test_a_month_before_the_decree_is_refused_even_as_the_first_verification(
    app: App, tmp_path: Path
) -> None:
    case_id = household_with_decree(app, tmp_path, "2026-02-10")
    before = app.service.get(case_id)
    with pytest.raises(GuardRejected) as refused:
        early = {"periode": "2025-12", "hadir": {"02": True}}
        app.service.apply(case_id, "verifikasi_komitmen", early, "pdp.bogor")
    assert [r.key for r in refused.value.reasons] == ["period_before_participation"]
    assert app.service.get(case_id) == before
    path = tmp_path / "v.csv"
    path.write_text("periode,nik,hadir\n2025-12,3271010303080002,1\n", encoding="utf-8")
    report = verify_file(app, path).as_dict()
    assert [r["reason"].split(":")[0] for r in report["rejected"]] == ["periode"]
    assert app.service.get(case_id) == before


def test_the_only_head_cannot_be_removed_unless_the_same_update_names_a_new_one(
    app: App, cli: CliRunner, tmp_path: Path
) -> None:
    from api.cli import app as typer_app

    import_file(app, write_csv(tmp_path / "hh.csv", two_households()))
    with app.db.reading() as s:
        case_id = store.resolve(s, KK1)
    before = app.service.get(case_id)
    args = ["kpm", "advance", KK1, "pemutakhiran", "--actor", "kab.bogor"]
    out = cli.invoke(typer_app, [*args, "--data", 'hapus={"01": "pindah_kk"}'])
    assert out.exit_code == 6, out.output
    assert out.stderr.startswith("error:") and len(out.stderr.strip().splitlines()) == 1
    assert "kepala keluarga" in out.stderr
    demoted = cli.invoke(typer_app, [*args, "--data", 'anggota={"01": {"hubungan_keluarga": 2}}'])
    assert demoted.exit_code == 6, demoted.output  # demoting the head is the same removal
    assert app.service.get(case_id) == before
    with app.db.reading() as s:
        assert store.resolve(s, "3271010101800001") == case_id  # the index is untouched
    # the same command naming the new head is taken
    ok = cli.invoke(
        typer_app,
        [
            *args,
            "--data",
            'hapus={"01": "pindah_kk"}',
            "--data",
            'anggota={"02": {"hubungan_keluarga": 1}}',
            "--json",
        ],
    )
    assert ok.exit_code == 0, ok.output
    members = json.loads(ok.stdout)["members"]
    assert [(m["nomor"], m["hubungan_keluarga"]) for m in members] == [("02", 1)]
    assert audit_runner.verify(app.db).ok


def test_participant_codes_are_issued_only_to_households_registered(
    app: App, tmp_path: Path
) -> None:
    """A household the workflow refuses (here: its only kepala keluarga is recorded as
    deceased, so it has no living head) takes no number: the households around it in the
    same kecamatan are numbered without a gap."""
    sma, smp = {"jenjang_sekolah": 3, "kelas": 12}, {"jenjang_sekolah": 2, "kelas": 9}
    kk = ("3271010101200011", "3271010101200012", "3271010101200013")
    rows = [
        person(kk[0], "3271010101700011", "1970-01-01", 1, 1, 9),
        person(kk[0], "3271010303080012", "2008-03-03", 1, 3, 6, **sma),
        person(kk[1], "3271010101710013", "1971-01-01", 1, 1, 10),  # a deceased head
        person(kk[1], "3271010404100014", "2010-04-04", 1, 3, 5, **smp),
        person(kk[2], "3271010101720015", "1972-01-01", 1, 1, 9),
        person(kk[2], "3271010505200016", "2020-05-05", 1, 3, 2),
    ]
    report = import_file(app, write_csv(tmp_path / "codes.csv", rows)).as_dict()
    assert sorted(r["line"] for r in report["rejected"]) == [4, 5], report["rejected"]
    assert all("kepala keluarga" in r["reason"] for r in report["rejected"])
    with app.db.reading() as s:
        codes = sorted(
            app.service.get(store.resolve(s, no_kk)).attrs["kode_peserta"]
            for no_kk in (kk[0], kk[2])
        )
    assert codes == ["3271012600001", "3271012600002"]
    # the next household of the kecamatan continues the numbering
    more = [person("3271010101200014", "3271010101730017", "1973-01-01", 1, 1, 9)]
    import_file(app, write_csv(tmp_path / "more.csv", more))
    with app.db.reading() as s:
        case_id = store.resolve(s, "3271010101200014")
    assert app.service.get(case_id).attrs["kode_peserta"] == "3271012600003"
    assert audit_runner.verify(app.db).ok


def test_kpm_show_prints_the_deadline_as_the_office_date_whichever_way_the_case_came(
    app: App, cli: CliRunner, tmp_path: Path
) -> None:
    """`pkh kpm advance` (the state just decided) and `pkh kpm show` (the state read back)
    print the same deadline, as `pkh case show` does: the local date in the household's
    zone, and the instant in UTC."""
    from api.cli import app as typer_app

    import_file(app, write_csv(tmp_path / "hh.csv", two_households()))
    advanced = cli.invoke(
        typer_app, ["kpm", "advance", KK1, "pertemuan_awal", "--actor", "pdp.bogor", "--json"]
    )
    assert advanced.exit_code == 0, advanced.output
    shown = cli.invoke(typer_app, ["kpm", "show", KK1, "--json"])
    case = cli.invoke(typer_app, ["case", "show", json.loads(shown.stdout)["id"], "--json"])
    a, b, c = (json.loads(x.stdout) for x in (advanced, shown, case))
    assert a["stage_due"] == b["stage_due"] == c["stage_due"] == "2026-03-16"
    assert a["stage_due_at"] == b["stage_due_at"] == c["stage_due_at"]
    assert b["zone"] == c["zone"] == "WIB"
    text = cli.invoke(typer_app, ["kpm", "show", KK1]).stdout
    assert "due 2026-03-16 (WIB)" in text


@pytest.mark.parametrize(
    "code",
    [
        "3271019999990001",  # NIK-like: nobody's NIK, nobody's no_kk
        "3271012600001" + "09",  # the household's kode peserta, with a member it does not have
        "3271012600099",  # a kode peserta nobody has
        "KPM-2026-000099",
    ],
)
def test_kpm_show_of_a_code_that_names_nobody_is_not_found(
    app: App, cli: CliRunner, tmp_path: Path, code: str
) -> None:
    from api.cli import app as typer_app

    import_file(app, write_csv(tmp_path / "hh.csv", two_households()))
    out = cli.invoke(typer_app, ["kpm", "show", code])
    assert out.exit_code == 3, out.output
    assert out.stdout == ""
    assert out.stderr.startswith("error:") and len(out.stderr.strip().splitlines()) == 1
    found = cli.invoke(typer_app, ["kpm", "show", "3271012600001" + "02", "--json"])
    assert found.exit_code == 0 and json.loads(found.stdout)["kode_peserta"] == "3271012600001"


def test_kpm_show_prints_no_python_none_nor_python_reprs(
    app: App, cli: CliRunner, tmp_path: Path
) -> None:
    """An eligible household verified once: `pkh kpm show` printed 'validasi_alasan: None',
    'kepatuhan: None' and 'verifikasi_terakhir: {'periode': ..., 'hadir': {'02': False}}'
    (Python's words). A value not recorded is left out, a nested one is written as --json
    writes it."""
    from api.cli import app as typer_app

    case_id = household_at_peserta(app, tmp_path)
    text = cli.invoke(typer_app, ["kpm", "show", case_id]).stdout
    assert "None" not in text and "validasi_alasan" not in text, text
    month = {"periode": "2025-12", "hadir": json.dumps({"02": 0})}
    store.apply(app, case_id, "verifikasi_komitmen", month, "pdp.bogor")
    text = cli.invoke(typer_app, ["kpm", "show", case_id]).stdout
    line = next(x for x in text.splitlines() if x.startswith("  verifikasi_terakhir: "))
    assert json.loads(line.split(": ", 1)[1]) == {"periode": "2025-12", "hadir": {"02": False}}
    assert "False" not in text and "None" not in text, text


def test_a_death_in_a_later_extract_points_to_the_death_command_and_says_no_none(
    app: App, tmp_path: Path
) -> None:
    """The next extract marks the SMA son deceased (komponen 10, no school): the row was
    refused '... jenjang_sekolah (3 -> None), kelas (12 -> None); catat perubahan sebagai
    pemutakhiran', Python's None, and an update that cannot record a death."""
    import_file(app, write_csv(tmp_path / "hh.csv", two_households()))
    rows = two_households()
    rows[2] = {**rows[2], "komponen": 10, "jenjang_sekolah": "", "kelas": ""}
    report = import_file(app, write_csv(tmp_path / "later.csv", rows)).as_dict()
    (refused,) = report["rejected"]
    assert refused["line"] == 4
    reason = refused["reason"]
    assert "None" not in reason, reason
    assert "jenjang sekolah (3 -> –), kelas (12 -> –)" in reason, reason
    assert "catat kematiannya dengan langkah “Anggota meninggal dunia”" in reason, reason
    assert "pemutakhiran" not in reason, reason
    # any other difference is still an update to record
    rows = two_households()
    rows[3] = {**rows[3], "nama_ibu_kandung": "Siti Aminah"}
    (other,) = import_file(app, write_csv(tmp_path / "name.csv", rows)).as_dict()["rejected"]
    assert other["reason"].endswith("record changes as pemutakhiran"), other
