"""Indonesia's time zones and non-working days (libur nasional, cuti bersama) for the calendar."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from zoneinfo import ZoneInfo

import holidays

from engine.calendar import WorkingCalendar
from workflows.regions import normalize_region_code


class Zone(StrEnum):
    WIB = "WIB"
    WITA = "WITA"
    WIT = "WIT"


ZONE_INFO: dict[Zone, ZoneInfo] = {
    Zone.WIB: ZoneInfo("Asia/Jakarta"),
    Zone.WITA: ZoneInfo("Asia/Makassar"),
    Zone.WIT: ZoneInfo("Asia/Jayapura"),
}

PUSAT_ZONE = Zone.WIB

_PROVINCE_ZONES: dict[str, Zone] = {
    **{str(p): Zone.WIB for p in [*range(11, 22), *range(31, 37), 61, 62]},
    **{str(p): Zone.WITA for p in [51, 52, 53, 63, 64, 65, *range(71, 77)]},
    **{str(p): Zone.WIT for p in [81, 82, *range(91, 98)]},
}


def zone_for_province(province_code: str) -> Zone:
    try:
        return _PROVINCE_ZONES[province_code]
    except KeyError:
        raise ValueError(
            f"provinsi tanpa zona waktu / no time zone for province code: {province_code!r}"
        ) from None


def zone_for_region(region_code: str) -> Zone:
    return zone_for_province(normalize_region_code(region_code)[:2])


class DayKind(StrEnum):
    LIBUR_NASIONAL = "libur_nasional"
    CUTI_BERSAMA = "cuti_bersama"
    OVERRIDE = "override"


@dataclass(frozen=True)
class NonWorkingDay:
    date: date
    kind: DayKind
    name: str
    estimated: bool


@dataclass(frozen=True)
class Override:
    """A later decree's change: `working=False` adds a day off, `working=True` cancels one."""

    date: date
    working: bool
    name: str


def _label_affixes(holiday_set: holidays.HolidayBase) -> tuple[str, str] | None:
    """Prefix and suffix the package wraps around an estimated holiday's name, e.g. ('', ' (x)')."""
    label = getattr(holiday_set, "estimated_label", None)
    if not label:
        return None
    prefix, sep, suffix = holiday_set.tr(label).partition("%s")
    return (prefix, suffix) if sep else None


def _parse_name(names: str, affixes: tuple[str, str] | None) -> tuple[str, bool]:
    parts = names.split("; ")
    estimated = False
    if affixes is not None:
        prefix, suffix = affixes
        for i, part in enumerate(parts):
            if part.startswith(prefix) and part.endswith(suffix) and part != prefix + suffix:
                parts[i] = part[len(prefix) : len(part) - len(suffix)]
                estimated = True
    return "; ".join(parts), estimated


def _category_days(
    years: tuple[int, ...], category: str, kind: DayKind, language: str = "id"
) -> list[NonWorkingDay]:
    found = holidays.country_holidays("ID", years=years, categories=(category,), language=language)
    affixes = _label_affixes(found)
    return [NonWorkingDay(d, kind, *_parse_name(names, affixes)) for d, names in found.items()]


@cache
def _official_days(years: tuple[int, ...], language: str = "id") -> tuple[NonWorkingDay, ...]:
    if not years:
        return ()
    by_date = {
        d.date: d
        for d in _category_days(years, holidays.GOVERNMENT, DayKind.CUTI_BERSAMA, language)
    }
    # A libur nasional outranks a cuti bersama on the same date.
    by_date.update(
        (d.date, d)
        for d in _category_days(years, holidays.PUBLIC, DayKind.LIBUR_NASIONAL, language)
    )
    return tuple(sorted(by_date.values(), key=lambda d: d.date))


def official_days(years: Iterable[int]) -> list[NonWorkingDay]:
    """National holidays and cuti bersama as the `holidays` package knows them, weekends included.

    `estimated` marks a day whose date the package computed (e.g. from the Hijri calendar) rather
    than took from a published decree; if any of the day's names is estimated, the day is.
    """
    return list(_official_days(tuple(sorted(set(years)))))


def official_names_en(years: Iterable[int]) -> dict[date, str]:
    """The official days' names in English (the `holidays` package's en_US), by date: what
    the calendar page shows in English. An override's name is the decree's, as recorded."""
    return {d.date: d.name for d in _official_days(tuple(sorted(set(years))), "en_US")}


def non_working_days(years: Iterable[int], overrides: Iterable[Override]) -> list[NonWorkingDay]:
    """Official days with the overrides falling in `years` applied in order, sorted by date."""
    wanted = set(years)
    by_date = {d.date: d for d in official_days(wanted)}
    for o in overrides:
        if o.date.year not in wanted:
            continue
        if not o.working:
            by_date.setdefault(o.date, NonWorkingDay(o.date, DayKind.OVERRIDE, o.name, False))
        elif o.date.weekday() < 5:
            # A weekend stays off whatever a decree says, so its holiday stays listed too.
            by_date.pop(o.date, None)
    return sorted(by_date.values(), key=lambda d: d.date)


def build_calendar(
    overrides: Iterable[Override] = (), first_year: int = 2004, last_year: int = 2040
) -> WorkingCalendar:
    days = non_working_days(range(first_year, last_year + 1), overrides)
    return WorkingCalendar(
        (d.date for d in days), first=date(first_year, 1, 1), last=date(last_year, 12, 31)
    )


ZONE_BY_KEY: dict[str, Zone] = {info.key: zone for zone, info in ZONE_INFO.items()}


def zone_label(key: str) -> str:
    """'Asia/Makassar' -> 'WITA'; anything unknown is shown as given."""
    return str(ZONE_BY_KEY.get(key, key))
