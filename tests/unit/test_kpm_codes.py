"""KPM master codes, NIK rules and identifiers: every bad value is refused naming its field."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from engine.errors import InvalidInput
from workflows import kpm_codes as C

AS_OF = date(2026, 3, 2)


def row(**overrides: Any) -> dict[str, Any]:
    base = {
        "nik": "3271014505850002",  # female: day 05 + 40
        "nama": "Siti Aminah",
        "jenis_kelamin": "2",
        "tempat_lahir": "Bogor",
        "tanggal_lahir": "1985-05-05",
        "hubungan_keluarga": "2",
        "nama_ibu_kandung": "Fatimah",
        "komponen": "9",
        "jenjang_sekolah": "",
        "kelas": "",
    }
    base.update(overrides)
    return base


def refused(field: str, **overrides: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as err:
        C.parse_member(row(**overrides), AS_OF)
    assert err.value.field == field, str(err.value)
    return err.value


def test_a_valid_row_is_normalised_and_blank_fields_are_left_out() -> None:
    m = C.parse_member(row(tempat_lahir=" ", jenjang_sekolah=None), AS_OF)
    assert m == {
        "nik": "3271014505850002",
        "nama": "Siti Aminah",
        "jenis_kelamin": 2,
        "tanggal_lahir": "1985-05-05",
        "hubungan_keluarga": 2,
        "nama_ibu_kandung": "Fatimah",
        "komponen": 9,
    }
    assert C.kyc_missing(m) == ["tempat_lahir"]


@pytest.mark.parametrize(
    "nik,why",
    [
        ("327101450585000", "16 digits"),
        ("32710145058500021", "16 digits"),
        ("3271O14505850002", "16 digits"),
        ("9971014505850002", "not a province"),
        ("3200014505850002", "kabupaten/kecamatan"),
        ("3271014513850002", "no possible birth date"),  # month 13
        ("3271017205850002", "no possible birth date"),  # day 32 for a woman
        ("3271014505850000", "serial 0000"),
    ],
)
def test_a_malformed_nik_is_refused(nik: str, why: str) -> None:
    assert why in refused("nik", nik=nik).message


def test_a_nik_stored_as_a_spreadsheet_number_is_refused_as_digits_may_be_lost() -> None:
    assert "spreadsheet" in refused("nik", nik=3271014505850002.0).message
    # an integral cell (openpyxl gives an int) has lost its 16th digit in Excel all the same
    assert "spreadsheet" in refused("nik", nik=3271014505850002).message


def test_the_nik_must_agree_with_birth_date_and_sex() -> None:
    assert "the date of birth is 1985-05-06" in refused("nik", tanggal_lahir="1985-05-06").message
    assert "the sex is 1" in refused("nik", jenis_kelamin="1").message
    male = C.parse_member(row(nik="3271010505850003", jenis_kelamin=1, hubungan_keluarga=1), AS_OF)
    assert male["jenis_kelamin"] == 1


@pytest.mark.parametrize("value", ["1985-02-30", "30-02-1985", "31/04/1985"])
def test_an_impossible_date_is_refused(value: str) -> None:
    assert "impossible date" in refused("tanggal_lahir", tanggal_lahir=value).message


@pytest.mark.parametrize("value", ["05-05-1985", "05/05/1985", date(1985, 5, 5)])
def test_dates_are_read_in_iso_and_indonesian_order(value: Any) -> None:
    assert C.parse_member(row(tanggal_lahir=value), AS_OF)["tanggal_lahir"] == "1985-05-05"


def test_a_birth_date_in_the_future_or_too_long_ago_is_refused() -> None:
    refused("tanggal_lahir", tanggal_lahir="2027-05-05", nik="3271014505270002")
    refused("tanggal_lahir", tanggal_lahir="1885-05-05", nik="3271014505850002")


@pytest.mark.parametrize("value", ["3", 3, "12", "0", "x", True])
def test_unknown_komponen_codes_are_refused_including_the_unused_3(value: Any) -> None:
    err = refused("komponen", komponen=value)
    assert "unknown code" in err.message
    if value in ("3", 3):
        assert "(3 is unused)" in err.message


@pytest.mark.parametrize(
    "field,value",
    [
        ("hubungan_keluarga", "9"),
        ("hubungan_keluarga", "0"),
        ("jenis_kelamin", "3"),
        ("jenis_kelamin", "L"),
        ("jenjang_sekolah", "4"),
        ("kelas", "13"),
    ],
)
def test_other_unknown_master_codes_are_refused(field: str, value: str) -> None:
    refused(field, **{field: value})


@pytest.mark.parametrize("value", ["1", "01", 1, 1.0])
def test_codes_may_come_as_text_numbers_or_spreadsheet_floats(value: Any) -> None:
    assert C.code(value, "hubungan_keluarga", C.HUBUNGAN) == 1


def test_every_master_code_of_the_seed_is_known() -> None:
    assert sorted(C.KOMPONEN) == [1, 2, 4, 5, 6, 7, 8, 9, 10, 11]
    assert sorted(C.HUBUNGAN) == list(range(1, 9))
    assert sorted(C.JENIS_KELAMIN) == [1, 2]
    assert sorted(C.JENJANG_SEKOLAH) == [1, 2, 3]
    assert sorted(C.ELIGIBLE_KOMPONEN) == [1, 2, 4, 5, 6, 8, 11]


CHILD = {  # born 2015-03-03, male: 11 years old on AS_OF
    "nik": "3271010303150003",
    "jenis_kelamin": "1",
    "tanggal_lahir": "2015-03-03",
    "hubungan_keluarga": "3",
}


@pytest.mark.parametrize(
    "overrides,field,text",
    [
        ({"komponen": "1", "nik": "3271010505850003", "jenis_kelamin": "1"}, "komponen", "2"),
        ({"komponen": "8"}, "komponen", "starts at 60"),
        ({"komponen": "2"}, "komponen", "0-6"),
        ({"komponen": "4", "jenjang_sekolah": "2", "kelas": "7"}, "jenjang_sekolah", "needs"),
        ({**CHILD, "komponen": "4", "jenjang_sekolah": "1"}, "kelas", "needs a kelas"),
        ({**CHILD, "komponen": "4", "jenjang_sekolah": "1", "kelas": "7"}, "kelas", "SD class"),
        ({**CHILD, "kelas": "3"}, "jenjang_sekolah", "required when kelas"),
        ({"komponen": "5", "jenjang_sekolah": "2", "kelas": "8"}, "komponen", "under 21"),
    ],
)
def test_the_component_must_fit_the_member(overrides: dict, field: str, text: str) -> None:
    assert text in refused(field, **overrides).message


def test_a_school_child_in_the_right_class_is_accepted() -> None:
    m = C.parse_member(row(**CHILD, komponen="4", jenjang_sekolah="1", kelas="5"), AS_OF)
    assert (m["komponen"], m["jenjang_sekolah"], m["kelas"]) == (4, 1, 5)


def test_participant_and_member_codes_follow_region_year_sequence() -> None:
    code = C.participant_code("3271011001", 2026, 42)
    assert code == "3271012600042"
    assert C.member_code(code, "03") == "327101260004203"
    assert C.split_member_code("327101260004203") == (code, "03")
    with pytest.raises(InvalidInput) as err:
        C.split_member_code("32710126000420")
    assert err.value.field == "kode_anggota"
    with pytest.raises(InvalidInput):
        C.participant_code("3271", 2026, 1)


def test_the_registration_parser_takes_a_normalised_member_as_is_and_normalises_the_rest() -> None:
    from workflows import kpm_parse as P

    household = {
        "kode_peserta": "3271010000001",
        "region": "3271011001",
        "no_kk": "3271010101010001",
    }
    member = C.normalize_member(row())
    assert type(member) is C.Member
    taken = P.registration({**household, "anggota": [member]})
    assert taken["anggota"][0] is member  # the import's rows are not normalised twice
    raw = P.registration({**household, "anggota": [row()]})
    assert raw["anggota"] == taken["anggota"]  # a plain dict comes out the same, normalised
    assert type(raw["anggota"][0]) is C.Member
    with pytest.raises(InvalidInput) as err:  # and a plain dict is still checked
        P.registration({**household, "anggota": [member, row(nik="3271O14505850002")]})
    assert err.value.field == "anggota[1].nik"


@pytest.mark.parametrize(
    "nik,born,age",
    [("3271014101230001", "2023-01-01", 3), ("3271014101300002", "1930-01-01", 96)],
)
def test_a_pregnancy_is_refused_at_an_impossible_age(nik: str, born: str, age: int) -> None:
    err = refused("komponen", nik=nik, tanggal_lahir=born, komponen="1", hubungan_keluarga="3")
    assert err.message == f"1 (BUMIL) is for ages 10-55; the member is {age}"


@pytest.mark.parametrize(
    "nik,born", [("3271014101160001", "2016-01-01"), ("3271014101710001", "1971-01-01")]
)
def test_a_pregnancy_at_the_bounds_of_10_and_55_is_accepted(nik: str, born: str) -> None:
    child = {"hubungan_keluarga": "3"}  # a spouse (the row's 2) is at least 15
    m = C.parse_member(row(nik=nik, tanggal_lahir=born, komponen="1", **child), AS_OF)
    assert m["komponen"] == C.BUMIL


def test_a_kepala_keluarga_is_not_a_small_child() -> None:
    toddler = {"nik": "3271010101230003", "jenis_kelamin": "1", "tanggal_lahir": "2023-01-01"}
    err = refused("hubungan_keluarga", **toddler, hubungan_keluarga="1", komponen="2")
    assert err.message == "a kepala keluarga (1) is at least 15 years old; the member is 3"
    assert C.parse_member(row(**toddler, hubungan_keluarga="3", komponen="2"), AS_OF)
    orphan = {"nik": "3271010101110004", "jenis_kelamin": "1", "tanggal_lahir": "2011-01-01"}
    assert C.parse_member(row(**orphan, hubungan_keluarga="1"), AS_OF)["hubungan_keluarga"] == 1
