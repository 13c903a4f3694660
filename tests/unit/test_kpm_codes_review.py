"""KPM codes after the household-lifecycle review: identifiers from number cells, a spouse's
age, and ages that must fit each member's relation to the kepala keluarga."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from engine.errors import InvalidInput
from workflows import kpm_codes as C

AS_OF = date(2026, 3, 2)


@pytest.mark.parametrize(
    "value,field", [(3271010101800001, "nik"), (3271010101200001, "no_kk"), (3.2e15, "no_kk")]
)
def test_a_16_digit_identifier_from_a_number_cell_is_refused_int_or_float(
    value: Any, field: str
) -> None:
    with pytest.raises(InvalidInput) as err:
        C.digits(value, field, 16)
    assert err.value.field == field
    assert err.value.message == (
        "stored as a number in the spreadsheet (digits may be lost); store it as text"
    )
    assert err.value.message_id == (
        "tersimpan sebagai angka di lembar kerja (digit bisa hilang); simpan sebagai teks"
    )


def test_a_15_digit_member_code_fits_a_number_cell_and_text_is_taken_as_before() -> None:
    assert C.split_member_code(327101260004203) == ("3271012600042", "03")
    assert C.digits("3271010101800001", "nik", 16) == "3271010101800001"
    assert C.digits("'3271010101800001", "nik", 16) == "3271010101800001"


def member(nik: str, born: str, sex: int, relation: int, komponen: int = 9) -> dict[str, Any]:
    return {
        "nik": nik,
        "nama": f"Anggota {nik[-4:]}",
        "jenis_kelamin": sex,
        "tanggal_lahir": born,
        "hubungan_keluarga": relation,
        "komponen": komponen,
    }


@pytest.mark.parametrize(
    "relation,label", [(C.SUAMI_ISTRI, "suami/istri (2)"), (C.MENANTU, "menantu (6)")]
)
def test_a_spouse_or_menantu_is_at_least_15(relation: int, label: str) -> None:
    child = member("3271014404220001", "2022-04-04", 2, relation, komponen=2)
    with pytest.raises(InvalidInput) as err:
        C.check_member(child, AS_OF)
    assert err.value.field == "hubungan_keluarga"
    assert err.value.message == f"a {label} is at least 15 years old; the member is 3"
    assert err.value.message_id == (
        f"{label} sekurang-kurangnya berusia 15 tahun; anggota ini berusia 3 tahun"
    )
    C.check_member(member("3271014101110002", "2011-01-01", 2, relation), AS_OF)  # 15: taken


HEAD = member("3271010101800001", "1980-01-01", 1, C.KEPALA_KELUARGA)


def test_a_parent_younger_than_the_head_or_a_child_older_is_refused_naming_both() -> None:
    members = {
        "01": HEAD,
        "02": member("3271010101240002", "2024-01-01", 1, C.ORANG_TUA),
        "03": member("3271010101300003", "1930-01-01", 1, C.ANAK),
        "04": member("3271010101800004", "1980-01-01", 1, C.CUCU),  # the head's own age
        "05": member("3271010101500005", "1950-01-01", 1, C.ORANG_TUA),  # fine
        "06": member("3271010101100006", "2010-01-01", 1, C.ANAK),  # fine
    }
    problems = C.role_age_problems(members, AS_OF)
    assert sorted(problems) == ["02", "03", "04"]
    assert {e.field for e in problems.values()} == {"hubungan_keluarga"}
    assert problems["02"].message == (
        "an orang tua (5) aged 2 (born 2024-01-01) is not older than the kepala keluarga "
        "(member 01, aged 46, born 1980-01-01)"
    )
    assert problems["03"].message_id == (
        "anak (3) berusia 96 tahun (lahir 1930-01-01) tidak lebih muda dari kepala keluarga "
        "(anggota 01, berusia 46 tahun, lahir 1980-01-01)"
    )
    assert "cucu (4) aged 46" in problems["04"].message


def test_a_mertua_is_measured_against_the_spouse_when_there_is_one() -> None:
    old_head = member("3271010101500001", "1950-01-01", 1, C.KEPALA_KELUARGA, komponen=8)
    wife = member("3271014101900002", "1990-01-01", 2, C.SUAMI_ISTRI)
    her_mother = member("3271014101600003", "1960-01-01", 2, C.MERTUA)  # younger than the head
    assert C.role_age_problems({"01": old_head, "02": wife, "03": her_mother}, AS_OF) == {}
    too_young = member("3271010101950004", "1995-01-01", 1, C.MERTUA)
    found = C.role_age_problems({"01": old_head, "02": wife, "04": too_young}, AS_OF)
    assert list(found) == ["04"] and "than the suami/istri (member 02" in found["04"].message
    # without a spouse, a mertua younger than the head is refused
    assert list(C.role_age_problems({"01": old_head, "03": too_young}, AS_OF)) == ["03"]


def test_the_role_ages_need_one_living_head_and_name_members_as_the_caller_says() -> None:
    child = member("3271010101300003", "1930-01-01", 1, C.ANAK)
    dead = {**HEAD, "komponen": C.MENINGGAL}
    assert C.role_age_problems({"01": dead, "02": child}, AS_OF) == {}
    assert C.role_age_problems({"01": HEAD, "02": HEAD, "03": child}, AS_OF) == {}
    found = C.role_age_problems({7: HEAD, 9: child}, AS_OF, lambda k: (f"baris {k}", f"line {k}"))
    assert list(found) == [9] and "(line 7, aged 46" in found[9].message
    assert "(baris 7, berusia 46 tahun" in str(found[9].message_id)


def test_a_member_moved_from_a_closed_household_records_it_and_stays_a_member() -> None:
    m = C.normalize_member(
        {
            "nik": "3271010101800001",
            "nama": "Budi",
            "jenis_kelamin": 1,
            "tanggal_lahir": "1980-01-01",
            "hubungan_keluarga": 1,
            "komponen": 9,
        }
    )
    moved = C.moved_from(m, "KPM-2026-000007")
    assert type(moved) is C.Member and moved[C.PREVIOUS_CASE] == "KPM-2026-000007"
    assert {k: v for k, v in moved.items() if k != C.PREVIOUS_CASE} == m
