"""Working-day arithmetic over a fixed date range and a set of non-working days (pure, no clock)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import numpy as np

from engine.errors import EngineError

_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_END_OF_DAY = time(23, 59, 59)


class CalendarRangeError(EngineError, ValueError):
    """A date, or the date an operation would reach, lies outside the calendar's range."""

    code = "outside_calendar"

    def __init__(self, message: str, *, message_id: str | None = None) -> None:
        super().__init__(message)
        self.message_id = message_id  # in Bahasa Indonesia alone (the message has both)


def _parse_weekmask(weekmask: str) -> np.ndarray:
    if len(weekmask) != 7 or set(weekmask) - {"0", "1"} or "1" not in weekmask:
        raise ValueError(
            f"weekmask must be 7 characters of 0/1, Monday first, with a working day: {weekmask!r}"
        )
    return np.array([c == "1" for c in weekmask], dtype=bool)


class WorkingCalendar:
    """Working days between `first` and `last` inclusive: weekmask days minus `non_working_days`.

    Results are exactly those of `numpy.busday_offset(..., roll="backward")` with the same weekmask
    and holidays, but from precomputed tables: `_cum[i]` counts working days in `first..first+i`,
    and `_workdays` lists working-day ordinals, so an offset is a single lookup.
    """

    def __init__(
        self,
        non_working_days: Iterable[date],
        *,
        first: date = date(2004, 1, 1),
        last: date = date(2040, 12, 31),
        weekmask: str = "1111100",
    ) -> None:
        if last < first:
            raise ValueError(f"empty calendar range: {first}..{last}")
        self._first = first
        self._last = last
        self._weekmask = weekmask
        self._non_working = frozenset(non_working_days)

        self._first_ord = first.toordinal()
        self._size = last.toordinal() - self._first_ord + 1
        ordinals = np.arange(self._first_ord, self._first_ord + self._size, dtype=np.int64)
        # date.fromordinal(1) is a Monday, so (ordinal - 1) % 7 is Python's weekday().
        working = _parse_weekmask(weekmask)[(ordinals - 1) % 7]
        offsets = [d.toordinal() - self._first_ord for d in self._non_working]
        working[[i for i in offsets if 0 <= i < self._size]] = False

        self._working = working
        self._cum = np.cumsum(working, dtype=np.int32)
        self._workdays = ordinals[working]
        self._workdays_d = (self._workdays - _EPOCH_ORDINAL).astype("datetime64[D]")
        self._count = len(self._workdays)
        self._first_epoch = self._first_ord - _EPOCH_ORDINAL
        # The scalar path indexes plain lists: a numpy scalar lookup costs several times more.
        self._working_list: list[bool] = working.tolist()
        self._cum_list: list[int] = self._cum.tolist()
        self._workdays_list: list[int] = self._workdays.tolist()

    @property
    def first(self) -> date:
        return self._first

    @property
    def last(self) -> date:
        return self._last

    @property
    def weekmask(self) -> str:
        return self._weekmask

    @property
    def non_working_days(self) -> frozenset[date]:
        return self._non_working

    def __repr__(self) -> str:
        return (
            f"WorkingCalendar({self._first}..{self._last}, weekmask={self._weekmask!r}, "
            f"{len(self._non_working)} non-working days)"
        )

    def _out_of_range(self, what: object, what_id: object = None) -> CalendarRangeError:
        """`what` is out of range; `what_id`: the same in Bahasa Indonesia, where it is words."""
        return CalendarRangeError(
            f"di luar rentang kalender kerja / outside the working calendar "
            f"{self._first}..{self._last}: {what}",
            message_id=f"di luar rentang kalender kerja {self._first}..{self._last}: "
            f"{what if what_id is None else what_id}",
        )

    def _offset(self, d: date) -> int:
        i = d.toordinal() - self._first_ord
        if not 0 <= i < self._size:
            raise self._out_of_range(d)
        return i

    def is_working_day(self, d: date) -> bool:
        return self._working_list[self._offset(d)]

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day after `d`; for n == 0, `d` or else the working day before it."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        k = self._cum_list[self._offset(d)] - 1 + n
        # k < 0 only when n == 0 and no working day precedes d inside the range.
        if not 0 <= k < self._count:
            raise self._out_of_range(f"{n} working days from {d}", f"{n} hari kerja dari {d}")
        return date.fromordinal(self._workdays_list[k])

    def next_working_day(self, d: date) -> date:
        return self.add_working_days(d, 1)

    def working_days_between(self, a: date, b: date) -> int:
        """How many working days d satisfy a < d <= b (0 when b <= a)."""
        i, j = self._offset(a), self._offset(b)
        return self._cum_list[j] - self._cum_list[i] if j > i else 0

    def deadline(self, start: datetime, n: int, tz: ZoneInfo) -> datetime:
        """End (23:59:59 local) of the n-th working day after `start`'s local date in `tz`."""
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError(f"start must be timezone-aware: {start!r}")
        try:
            local = start.astimezone(tz).date()
        except OverflowError:
            raise self._out_of_range(start) from None
        due = self.add_working_days(local, n)
        return datetime.combine(due, _END_OF_DAY, tzinfo=tz)

    def add_working_days_bulk(self, dates: np.ndarray, n: np.ndarray | int) -> np.ndarray:
        """Vectorised `add_working_days`: datetime64[D] in, datetime64[D] out, `n` broadcast."""
        days = np.asarray(dates, dtype="datetime64[D]").astype(np.int64) - self._first_epoch
        steps = np.asarray(n)
        if steps.size and steps.min() < 0:
            raise ValueError("n must be >= 0")
        if days.size and (days.min() < 0 or days.max() >= self._size):
            raise self._out_of_range("some dates", "sebagian tanggal")
        k = self._cum[days] - 1 + steps
        if k.size and (k.min() < 0 or k.max() >= self._count):
            raise self._out_of_range("some results", "sebagian hasil")
        return self._workdays_d[k]
