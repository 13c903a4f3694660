from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.calendar import CalendarRangeError, WorkingCalendar
from workflows.indonesia import ZONE_INFO, Zone, build_calendar

CALENDAR = build_calendar()
HOLIDAYS = sorted(CALENDAR.non_working_days)

starts = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
steps = st.integers(min_value=0, max_value=400)


def busday_offset(d: date, n: int, holidays: list[date], weekmask: str = "1111100") -> date:
    result = np.busday_offset(
        np.datetime64(d), n, roll="backward", weekmask=weekmask, holidays=holidays
    )
    return result.astype(date)


@given(start=starts, n=steps)
def test_add_working_days_matches_numpy_busday_offset_on_the_indonesian_calendar(start, n):
    assert CALENDAR.add_working_days(start, n) == busday_offset(start, n, HOLIDAYS)


@given(pairs=st.lists(st.tuples(starts, steps), min_size=1, max_size=50))
def test_bulk_matches_numpy_busday_offset_on_the_indonesian_calendar(pairs):
    dates = np.array([d for d, _ in pairs], dtype="datetime64[D]")
    ns = np.array([n for _, n in pairs])
    expected = np.busday_offset(dates, ns, roll="backward", holidays=HOLIDAYS)
    np.testing.assert_array_equal(CALENDAR.add_working_days_bulk(dates, ns), expected)
    assert CALENDAR.add_working_days_bulk(dates, ns).dtype == np.dtype("datetime64[D]")


SMALL_FIRST, SMALL_LAST = date(2024, 1, 1), date(2024, 12, 31)
small_days = st.dates(min_value=SMALL_FIRST, max_value=SMALL_LAST)
weekmasks = (
    st.lists(st.booleans(), min_size=7, max_size=7)
    .filter(any)
    .map(lambda bits: "".join("1" if b else "0" for b in bits))
)


@settings(max_examples=300)
@given(
    holidays=st.sets(small_days, max_size=120),
    weekmask=weekmasks,
    start=small_days,
    n=st.integers(min_value=0, max_value=120),
)
def test_a_random_small_calendar_agrees_with_numpy_or_refuses_outside_its_range(
    holidays, weekmask, start, n
):
    calendar = WorkingCalendar(holidays, first=SMALL_FIRST, last=SMALL_LAST, weekmask=weekmask)
    expected = busday_offset(start, n, sorted(holidays), weekmask)
    if SMALL_FIRST <= expected <= SMALL_LAST:
        assert calendar.add_working_days(start, n) == expected
        bulk = calendar.add_working_days_bulk(np.array([start], dtype="datetime64[D]"), n)
        assert bulk[0] == np.datetime64(expected)
    else:
        with pytest.raises(CalendarRangeError):
            calendar.add_working_days(start, n)
    expected_working = weekmask[start.weekday()] == "1" and start not in holidays
    assert calendar.is_working_day(start) == expected_working


def test_bulk_with_one_step_for_every_date_matches_numpy_over_a_whole_year():
    dates = np.arange("2026-01-01", "2026-12-31", dtype="datetime64[D]")
    expected = np.busday_offset(dates, 26, roll="backward", holidays=HOLIDAYS)
    np.testing.assert_array_equal(CALENDAR.add_working_days_bulk(dates, 26), expected)


# 16:30 UTC is 23:30 in WIB but already the next day in WITA and WIT; 15:30 UTC only in WIT.
@pytest.mark.parametrize(
    ("start", "due"),
    [
        ("2026-03-10T16:30:00+00:00", {Zone.WIB: 17, Zone.WITA: 25, Zone.WIT: 25}),
        ("2026-03-10T15:30:00+00:00", {Zone.WIB: 17, Zone.WITA: 17, Zone.WIT: 25}),
    ],
)
def test_a_deadline_counts_from_the_local_date_in_the_offices_zone(start, due):
    for zone, day in due.items():
        deadline = CALENDAR.deadline(datetime.fromisoformat(start), 5, ZONE_INFO[zone])
        # The WITA/WIT stage starts on 11 March, so the Idul Fitri block pushes it to the 25th.
        assert deadline == datetime(2026, 3, day, 23, 59, 59, tzinfo=ZONE_INFO[zone])
        assert deadline.tzinfo is ZONE_INFO[zone]


def test_a_deadline_is_the_end_of_the_local_working_day():
    start = datetime(2026, 6, 2, 9, 0, tzinfo=ZONE_INFO[Zone.WIT])
    deadline = CALENDAR.deadline(start, 1, ZONE_INFO[Zone.WIT])
    assert deadline.time() == time(23, 59, 59)
    assert deadline.utcoffset() == timedelta(hours=9)
    assert deadline.astimezone(UTC) == datetime(2026, 6, 3, 14, 59, 59, tzinfo=UTC)


def test_a_naive_start_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        CALENDAR.deadline(datetime(2026, 3, 10, 9, 0), 5, ZONE_INFO[Zone.WIB])


def test_a_stage_started_on_saturday_ends_with_one_started_the_friday_before():
    friday, saturday = date(2026, 3, 13), date(2026, 3, 14)
    assert CALENDAR.add_working_days(saturday, 5) == CALENDAR.add_working_days(friday, 5)


def test_the_idul_fitri_2026_block_is_skipped():
    # 16 and 17 March are days 1-2; 18-24 March are cuti bersama, Nyepi, Idul Fitri and a weekend.
    assert CALENDAR.add_working_days(date(2026, 3, 13), 3) == date(2026, 3, 25)
    assert CALENDAR.next_working_day(date(2026, 3, 17)) == date(2026, 3, 25)
    for day in range(18, 25):
        assert not CALENDAR.is_working_day(date(2026, 3, day))


def test_zero_working_days_rolls_back_to_the_last_working_day():
    assert CALENDAR.add_working_days(date(2026, 3, 24), 0) == date(2026, 3, 17)
    assert CALENDAR.add_working_days(date(2026, 3, 17), 0) == date(2026, 3, 17)


def test_working_days_between_counts_days_after_the_first_up_to_the_second():
    assert CALENDAR.working_days_between(date(2026, 3, 17), date(2026, 3, 24)) == 0
    assert CALENDAR.working_days_between(date(2026, 3, 17), date(2026, 3, 25)) == 1
    assert CALENDAR.working_days_between(date(2026, 3, 13), date(2026, 3, 27)) == 5
    assert CALENDAR.working_days_between(date(2026, 3, 27), date(2026, 3, 13)) == 0
    assert CALENDAR.working_days_between(date(2026, 3, 13), date(2026, 3, 13)) == 0


@given(a=starts, n=steps)
def test_working_days_between_undoes_add_working_days(a, n):
    assert CALENDAR.working_days_between(a, CALENDAR.add_working_days(a, n + 1)) == n + 1


def test_the_holiday_set_excludes_plain_weekends():
    assert date(2026, 3, 14) not in CALENDAR.non_working_days
    assert date(2026, 3, 21) in CALENDAR.non_working_days  # Idul Fitri on a Saturday


def test_dates_outside_the_calendar_raise_a_range_error():
    with pytest.raises(CalendarRangeError, match="2004-01-01..2040-12-31"):
        CALENDAR.add_working_days(date(2003, 12, 31), 1)
    with pytest.raises(CalendarRangeError):
        CALENDAR.add_working_days(date(2040, 12, 20), 26)
    with pytest.raises(CalendarRangeError):
        CALENDAR.is_working_day(date(2041, 1, 2))
    with pytest.raises(CalendarRangeError):
        CALENDAR.add_working_days_bulk(np.array(["2041-01-02"], dtype="datetime64[D]"), 1)
    with pytest.raises(CalendarRangeError):
        CALENDAR.add_working_days_bulk(np.array(["2040-12-20"], dtype="datetime64[D]"), 26)


def test_rolling_back_before_the_first_day_is_a_range_error():
    calendar = WorkingCalendar([date(2024, 1, 1)], first=date(2024, 1, 1), last=date(2024, 12, 31))
    with pytest.raises(CalendarRangeError):
        calendar.add_working_days(date(2024, 1, 1), 0)
    assert calendar.add_working_days(date(2024, 1, 1), 1) == date(2024, 1, 2)


def test_a_negative_step_is_refused():
    with pytest.raises(ValueError):
        CALENDAR.add_working_days(date(2026, 3, 10), -1)
    with pytest.raises(ValueError):
        CALENDAR.add_working_days_bulk(np.array(["2026-03-10"], dtype="datetime64[D]"), -1)


def test_a_weekmask_without_working_days_is_refused():
    with pytest.raises(ValueError, match="weekmask"):
        WorkingCalendar([], weekmask="0000000")
