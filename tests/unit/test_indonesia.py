from datetime import date

import pytest

from workflows.indonesia import (
    PUSAT_ZONE,
    ZONE_INFO,
    DayKind,
    Override,
    Zone,
    build_calendar,
    non_working_days,
    official_days,
    zone_for_province,
    zone_for_region,
)
from workflows.regions import iter_regions

# SKB 3 Menteri on the 2026 national holidays and cuti bersama.
LIBUR_NASIONAL_2026 = [
    date(2026, 1, 1),  # Tahun Baru Masehi
    date(2026, 1, 16),  # Isra Mikraj
    date(2026, 2, 17),  # Tahun Baru Imlek
    date(2026, 3, 19),  # Nyepi
    date(2026, 3, 21),  # Idul Fitri
    date(2026, 3, 22),  # Idul Fitri, second day
    date(2026, 4, 3),  # Wafat Yesus Kristus
    date(2026, 4, 5),  # Paskah
    date(2026, 5, 1),  # Hari Buruh
    date(2026, 5, 14),  # Kenaikan Yesus Kristus
    date(2026, 5, 27),  # Idul Adha
    date(2026, 5, 31),  # Waisak
    date(2026, 6, 1),  # Hari Lahir Pancasila
    date(2026, 6, 16),  # Tahun Baru Islam
    date(2026, 8, 17),  # Hari Kemerdekaan
    date(2026, 8, 25),  # Maulid Nabi
    date(2026, 12, 25),  # Natal
]
CUTI_BERSAMA_2026 = [
    date(2026, 2, 16),
    date(2026, 3, 18),
    date(2026, 3, 20),
    date(2026, 3, 23),
    date(2026, 3, 24),
    date(2026, 5, 15),
    date(2026, 5, 28),
    date(2026, 12, 24),
]


def dates_of_kind(days, kind):
    return [d.date for d in days if d.kind is kind]


def test_2026_has_exactly_the_national_holidays_and_cuti_bersama_of_the_skb():
    days = official_days([2026])
    assert dates_of_kind(days, DayKind.LIBUR_NASIONAL) == LIBUR_NASIONAL_2026
    assert dates_of_kind(days, DayKind.CUTI_BERSAMA) == CUTI_BERSAMA_2026
    assert len(days) == 25


def test_2026_days_are_decreed_not_estimated():
    assert not any(d.estimated for d in official_days([2026]))


def test_a_computed_future_idul_fitri_is_marked_estimated_and_its_name_is_clean():
    (idul_fitri,) = [d for d in official_days([2030]) if d.date == date(2030, 2, 4)]
    assert idul_fitri.estimated
    assert idul_fitri.name == "Hari Raya Idul Fitri"
    assert idul_fitri.kind is DayKind.LIBUR_NASIONAL


def test_a_date_with_two_holidays_keeps_both_names_without_the_estimate_label():
    (day,) = [d for d in official_days([2034]) if d.date == date(2034, 6, 1)]
    assert day.name == "Hari Lahir Pancasila; Hari Raya Waisak"
    assert day.estimated


def test_weekend_holidays_are_listed():
    days = {d.date for d in official_days([2026])}
    assert date(2026, 3, 22) in days  # a Sunday


def test_official_days_come_sorted_by_date():
    days = [d.date for d in official_days(range(2024, 2028))]
    assert days == sorted(days)


def test_an_override_adds_a_day_off_that_a_later_decree_declared():
    added = Override(date(2026, 8, 18), working=False, name="Cuti bersama HUT RI")
    days = {d.date: d for d in non_working_days([2026], [added])}
    assert days[date(2026, 8, 18)].kind is DayKind.OVERRIDE
    assert days[date(2026, 8, 18)].name == "Cuti bersama HUT RI"
    assert not build_calendar([added]).is_working_day(date(2026, 8, 18))
    assert build_calendar().is_working_day(date(2026, 8, 18))


def test_an_override_on_an_existing_holiday_keeps_the_official_entry():
    # The holidays package already carries the 2025 SKB revision that added 18 August.
    again = Override(date(2025, 8, 18), working=False, name="Cuti bersama HUT RI")
    days = {d.date: d for d in non_working_days([2025], [again])}
    assert days[date(2025, 8, 18)].kind is DayKind.CUTI_BERSAMA


def test_an_override_can_cancel_a_cuti_bersama():
    cancelled = Override(date(2026, 12, 24), working=True, name="Cuti bersama dibatalkan")
    assert date(2026, 12, 24) not in {d.date for d in non_working_days([2026], [cancelled])}
    assert build_calendar([cancelled]).is_working_day(date(2026, 12, 24))


def test_an_override_cannot_make_a_weekend_a_working_day():
    saturday = Override(date(2026, 3, 21), working=True, name="tidak berlaku")
    assert date(2026, 3, 21) in {d.date for d in non_working_days([2026], [saturday])}
    assert not build_calendar([saturday]).is_working_day(date(2026, 3, 21))


def test_overrides_outside_the_requested_years_are_ignored():
    elsewhere = Override(date(2027, 8, 18), working=False, name="x")
    assert non_working_days([2026], [elsewhere]) == official_days([2026])


def test_the_calendar_covers_the_requested_years():
    calendar = build_calendar(first_year=2025, last_year=2027)
    assert (calendar.first, calendar.last) == (date(2025, 1, 1), date(2027, 12, 31))


def test_every_province_in_the_region_reference_has_a_zone():
    provinces = [r.code for r in iter_regions(level=1)]
    assert len(provinces) == 38
    for code in provinces:
        assert zone_for_province(code) in Zone


@pytest.mark.parametrize(
    ("province", "zone"),
    [
        ("31", Zone.WIB),
        ("61", Zone.WIB),
        ("11", Zone.WIB),
        ("21", Zone.WIB),
        ("51", Zone.WITA),
        ("64", Zone.WITA),
        ("73", Zone.WITA),
        ("94", Zone.WIT),
        ("81", Zone.WIT),
    ],
)
def test_a_province_maps_to_its_time_zone(province, zone):
    assert zone_for_province(province) is zone


def test_an_unknown_province_is_refused():
    with pytest.raises(ValueError, match="99"):
        zone_for_province("99")


def test_a_region_takes_the_zone_of_its_province():
    assert zone_for_region("3271") is Zone.WIB
    assert zone_for_region("73.71.01") is Zone.WITA
    assert zone_for_region("9471") is Zone.WIT


def test_zones_have_their_iana_time_zones():
    assert {z: ZONE_INFO[z].key for z in Zone} == {
        Zone.WIB: "Asia/Jakarta",
        Zone.WITA: "Asia/Makassar",
        Zone.WIT: "Asia/Jayapura",
    }
    assert PUSAT_ZONE is Zone.WIB
