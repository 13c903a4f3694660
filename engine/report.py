"""The monthly complaint report, computed from case facts (pure: no storage, no clock).

Input is one `CaseFacts` per case: what the case is (type, region, channel, levels, when it was
created and closed) and its stage instances (`StageRecord`: stage, level, started, due, left).
`build_monthly_report` turns them into counts by dimension (received, closed, overdue at month
end), time to close in working days (median, 90th percentile), SLA compliance per stage and the
recurring problems (the same type received in two or more kabupaten in the month).

Month boundaries are local: an instant belongs to the month when its local date, in the zone of
the office that acted (`zone_of(level, region)`), falls in it. Definitions:

- received: `created_at` in the month (zone of the entry level); counted at the entry level.
- closed: the case closed (resolved or rejected) in the month; a case closed twice in a month
  (reopened in between) counts once, for its last close; counted at the level it closed at.
- overdue: open at the end of the month with the stage or level deadline of the stage in progress
  already passed, or closed in the month after its level deadline (counted once); counted at the
  level of that stage or close. For a month still running, "the end" is `as_of`, when the facts
  were read: a deadline still to come is not counted as passed; a month not yet begun has
  nothing overdue.
- time to close: working days from the local creation date to the local date of the (last) close
  in the month, counted like deadlines (a < d <= b): closed the day it was filed is 0. Median as
  usual (the mean of the two middle values for an even count); the 90th percentile by nearest
  rank, so it is always an observed value: 90% of the cases closed within it.
- SLA: of the stage instances left in the month (advanced, escalated, referred, closed) that had a
  deadline, the share left by that deadline; `open_overdue` adds the instances still in progress
  at month end past their deadline, which the share does not count.
- recurring: a type received in the month in two or more kabupaten (4-digit region codes).
"""

from __future__ import annotations

import math
import re
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from engine.calendar import WorkingCalendar
from engine.errors import InvalidInput

ZoneLookup = Callable[[str | None, str], tzinfo]  # (level, region) -> the office's zone

DIMENSIONS = ("total", "type", "provinsi", "kabupaten", "channel", "level")
ALL = "all"  # the key of the `total` row, and the `level` of an SLA row over every level
NONE = "-"  # the key for a missing value (no channel, a region coarser than a kabupaten, ...)
_TICK = timedelta(microseconds=1)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


# ------------------------------------------------------------------------------------- month
@dataclass(frozen=True, order=True, slots=True)
class Month:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1000 <= self.year <= 9000:
            raise InvalidInput(
                "month",
                f"no such month: {self.year:04d}-{self.month:02d}",
                message_id=f"tidak ada bulan {self.year:04d}-{self.month:02d}",
            )

    @classmethod
    def parse(cls, text: str) -> Month:
        m = _MONTH.match((text or "").strip())
        if not m:
            raise InvalidInput(
                "month",
                f"'{text}' is not a month: use YYYY-MM, e.g. 2026-03",
                message_id=f"'{text}' bukan bulan: tulis TTTT-BB, mis. 2026-03",
            )
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def of(cls, value: Month | tuple[int, int] | str) -> Month:
        if isinstance(value, Month):
            return value
        if isinstance(value, str):
            return cls.parse(value)
        return cls(*value)

    @classmethod
    def before(cls, day: date) -> Month:
        """The month before the one `day` falls in (the report due on the 1st is last month's)."""
        return cls(day.year, day.month).previous()

    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    def next(self) -> Month:
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date.fromordinal(self.next().first_day.toordinal() - 1)

    def start(self, tz: tzinfo) -> datetime:
        return datetime.combine(self.first_day, time(0), tzinfo=tz)

    def end(self, tz: tzinfo) -> datetime:
        """The first instant after the month, in `tz` (exclusive end)."""
        return self.next().start(tz)

    def contains(self, instant: datetime, tz: tzinfo) -> bool:
        local = instant.astimezone(tz)
        return (local.year, local.month) == (self.year, self.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


# ------------------------------------------------------------------------------------- input
@dataclass(frozen=True, slots=True)
class StageRecord:
    """One stage instance: entered at `started_at`, due at `due_at`, left at `left_at` (or not)."""

    stage: str
    level: str | None
    started_at: datetime
    due_at: datetime | None
    left_at: datetime | None = None
    level_due: datetime | None = None  # the level deadline while this stage ran
    closed: bool = False  # left because the case closed (resolved or rejected)


@dataclass(frozen=True, slots=True)
class CaseFacts:
    id: str
    case_type: str | None
    region: str
    channel: str | None
    entry_level: str | None  # the level it was filed at
    level: str | None  # the level it is (or was closed) at now
    created_at: datetime
    closed_at: datetime | None = None
    status: str = "open"
    stages: tuple[StageRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class Closure:
    at: datetime
    level: str | None
    level_due: datetime | None


def closures(facts: CaseFacts) -> list[Closure]:
    """Every close of the case, from its stage records (or, without any, its last close)."""
    if facts.stages:
        return [
            Closure(r.left_at, r.level, r.level_due)
            for r in facts.stages
            if r.closed and r.left_at is not None
        ]
    if facts.closed_at is not None:
        return [Closure(facts.closed_at, facts.level, None)]
    return []


# ------------------------------------------------------------------------------------ output
@dataclass(frozen=True, slots=True)
class CountRow:
    dimension: str
    key: str
    received: int = 0
    closed: int = 0
    overdue: int = 0


@dataclass(frozen=True, slots=True)
class CloseTimeRow:
    dimension: str
    key: str
    closed: int
    median: float
    p90: int


@dataclass(frozen=True, slots=True)
class SlaRow:
    stage: str
    level: str  # ALL for every level together
    budget: int | None  # working days (Tabel 2), when known
    left: int = 0
    on_time: int = 0
    open_overdue: int = 0

    @property
    def late(self) -> int:
        return self.left - self.on_time

    @property
    def compliance(self) -> float | None:
        """Share of the instances left in the month that left by their deadline (0..1)."""
        return self.on_time / self.left if self.left else None


@dataclass(frozen=True, slots=True)
class Recurring:
    """A type received in two or more kabupaten: the codes and how many in each."""

    case_type: str
    kabupaten: tuple[str, ...]
    received: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.received)


@dataclass(frozen=True)
class MonthlyReport:
    month: Month
    scope: str | None  # region prefix the facts were limited to; None: all of Indonesia
    counts: tuple[CountRow, ...]
    time_to_close: tuple[CloseTimeRow, ...]
    sla: tuple[SlaRow, ...]
    recurring: tuple[Recurring, ...]
    cases: int  # facts examined
    as_of: datetime | None = None  # when the facts were read (see `partial`)
    _index: dict[tuple[str, str], CountRow] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._index.update({(r.dimension, r.key): r for r in self.counts})

    @property
    def partial(self) -> bool:
        """Read before the month ended (in the zone `as_of` carries): a month still running."""
        return self.as_of is not None and self.as_of < self.month.end(self.as_of.tzinfo or UTC)

    @property
    def not_begun(self) -> bool:
        """Read before the month began: nothing can have happened in it yet."""
        return self.as_of is not None and self.as_of < self.month.start(self.as_of.tzinfo or UTC)

    def count(self, dimension: str, key: str = ALL) -> CountRow:
        return self._index.get((dimension, key)) or CountRow(dimension, key)

    @property
    def total(self) -> CountRow:
        return self.count("total", ALL)

    def rows(self, dimension: str) -> list[CountRow]:
        return [r for r in self.counts if r.dimension == dimension]

    def close_time(self, dimension: str = "total", key: str = ALL) -> CloseTimeRow | None:
        return next(
            (r for r in self.time_to_close if (r.dimension, r.key) == (dimension, key)), None
        )

    def sla_for(self, stage: str, level: str = ALL) -> SlaRow | None:
        return next((r for r in self.sla if (r.stage, r.level) == (stage, level)), None)

    def recurring_map(self) -> dict[str, tuple[str, ...]]:
        return {r.case_type: r.kabupaten for r in self.recurring}

    def as_dict(self) -> dict[str, Any]:
        return {
            "month": str(self.month),
            "scope": self.scope,
            "cases_examined": self.cases,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "partial": self.partial,
            "not_begun": self.not_begun,
            "counts": [
                {
                    "dimension": r.dimension,
                    "key": r.key,
                    "received": r.received,
                    "closed": r.closed,
                    "overdue": r.overdue,
                }
                for r in self.counts
            ],
            "time_to_close": [
                {
                    "dimension": r.dimension,
                    "key": r.key,
                    "closed": r.closed,
                    "median_working_days": r.median,
                    "p90_working_days": r.p90,
                }
                for r in self.time_to_close
            ],
            "sla": [
                {
                    "stage": r.stage,
                    "level": r.level,
                    "budget_working_days": r.budget,
                    "left": r.left,
                    "on_time": r.on_time,
                    "late": r.late,
                    "compliance": r.compliance,
                    "open_overdue": r.open_overdue,
                }
                for r in self.sla
            ],
            "recurring": [
                {
                    "type": r.case_type,
                    "kabupaten": list(r.kabupaten),
                    "received": list(r.received),
                    "total": r.total,
                }
                for r in self.recurring
            ],
        }


# ------------------------------------------------------------------------------- arithmetic
def median(values: Sequence[int]) -> float:
    return float(statistics.median(values))


def percentile_nearest_rank(values: Sequence[int], p: float) -> int:
    """The smallest value with at least p% of the values at or below it."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


# --------------------------------------------------------------------------------- building
@dataclass
class _Tally:
    received: int = 0
    closed: int = 0
    overdue: int = 0
    days: list[int] = field(default_factory=list)


@dataclass
class _Sla:
    left: int = 0
    on_time: int = 0
    open_overdue: int = 0


def _kabupaten(region: str) -> str:
    return region[:4] if len(region) >= 4 else NONE


def _keys(f: CaseFacts, level: str | None) -> list[tuple[str, str]]:
    return [
        ("total", ALL),
        ("type", f.case_type or NONE),
        ("provinsi", f.region[:2] or NONE),
        ("kabupaten", _kabupaten(f.region)),
        ("channel", f.channel or NONE),
        ("level", level or NONE),
    ]


def _in_progress_at_end(
    f: CaseFacts, end_of: Callable[[str | None], datetime]
) -> StageRecord | None:
    """The stage instance running when the month ended (the latest, if zones overlap)."""
    found = None
    for r in f.stages:
        end = end_of(r.level)
        if r.started_at < end and (r.left_at is None or r.left_at >= end):
            found = r
    return found


def _stage_overdue(r: StageRecord, instant: datetime) -> bool:
    return r.due_at is not None and r.due_at < instant


def _overdue_at(r: StageRecord, instant: datetime) -> bool:
    return (r.due_at is not None and r.due_at < instant) or (
        r.level_due is not None and r.level_due < instant
    )


def build_monthly_report(
    facts: Iterable[CaseFacts],
    month: Month | tuple[int, int] | str,
    calendar: WorkingCalendar,
    zone_of: ZoneLookup,
    *,
    stage_budgets: Sequence[tuple[str, int]] = (),
    levels: Sequence[str] = (),
    scope: str | None = None,
    as_of: datetime | None = None,
    level_stage_budgets: Mapping[tuple[str, str], int] | None = None,
) -> MonthlyReport:
    """The report for `month`. `stage_budgets` (e.g. Tabel 2) lists the stages whose SLA rows
    always appear, in that order, with their budgets; `level_stage_budgets` gives a stage's
    budget at one level where it differs by level ((stage, level) -> working days: the
    ketua kelompok's and the pendamping's penanganan); `levels` orders the level rows. `as_of`
    (when the facts were read) stands in for the month's end while the month is still running,
    so a deadline that has not come yet is not counted as passed."""
    month = Month.of(month)
    tally: dict[tuple[str, str], _Tally] = defaultdict(_Tally)
    sla: dict[tuple[str, str], _Sla] = defaultdict(_Sla)
    by_type: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    n = 0
    for f in facts:
        n += 1
        entry_zone = zone_of(f.entry_level, f.region)

        def end_of(level: str | None, f: CaseFacts = f) -> datetime:
            end = month.end(zone_of(level, f.region))
            # what happened at `as_of` itself is in the facts: the cut falls just after it
            return min(end, as_of + _TICK) if as_of is not None else end

        # received
        if month.contains(f.created_at, entry_zone):
            for k in _keys(f, f.entry_level):
                tally[k].received += 1
            kab = _kabupaten(f.region)
            if kab != NONE:
                by_type[f.case_type or NONE][kab] += 1
        # closed, and time to close
        in_month = [c for c in closures(f) if month.contains(c.at, zone_of(c.level, f.region))]
        if in_month:
            last = in_month[-1]
            tz = zone_of(last.level, f.region)
            days = calendar.working_days_between(
                f.created_at.astimezone(entry_zone).date(), last.at.astimezone(tz).date()
            )
            for k in _keys(f, last.level):
                tally[k].closed += 1
                tally[k].days.append(days)
        # overdue at month end, or closed late in the month
        running = _in_progress_at_end(f, end_of)
        end = end_of(running.level) if running is not None else None
        if (
            running is not None
            and end is not None
            and end <= month.start(zone_of(running.level, f.region))
        ):
            # read before the month began (a month still to come): nothing ran in it yet
            running, end = None, None
        overdue_level: str | None = None
        overdue = False
        if running is not None and end is not None and _overdue_at(running, end):
            overdue, overdue_level = True, running.level
        else:
            late = [c for c in in_month if c.level_due is not None and c.at > c.level_due]
            if late:
                overdue, overdue_level = True, late[-1].level
        if overdue:
            for k in _keys(f, overdue_level):
                tally[k].overdue += 1
        # SLA per stage
        for r in f.stages:
            if r.due_at is None:
                continue
            if r.left_at is not None and month.contains(r.left_at, zone_of(r.level, f.region)):
                for key in ((r.stage, ALL), (r.stage, r.level or NONE)):
                    sla[key].left += 1
                    sla[key].on_time += r.left_at <= r.due_at
        if running is not None and end is not None and _stage_overdue(running, end):
            for key in ((running.stage, ALL), (running.stage, running.level or NONE)):
                sla[key].open_overdue += 1

    return MonthlyReport(
        month=month,
        scope=scope,
        counts=tuple(_count_rows(tally, levels)),
        time_to_close=tuple(_close_rows(tally, levels)),
        sla=tuple(_sla_rows(sla, stage_budgets, levels, level_stage_budgets or {})),
        recurring=tuple(_recurring(by_type)),
        cases=n,
        as_of=as_of,
    )


def _order(dimension: str, levels: Sequence[str]) -> Callable[[str], tuple[Any, ...]]:
    rank = {lvl: i for i, lvl in enumerate(levels)}

    def key(value: str) -> tuple[Any, ...]:
        missing = value == NONE
        if dimension == "level":
            return (missing, rank.get(value, len(rank)), value)
        return (missing, value)

    return key


def _grouped(
    tally: Mapping[tuple[str, str], _Tally], levels: Sequence[str]
) -> Iterable[tuple[str, str, _Tally]]:
    for dim in DIMENSIONS:
        keys = sorted((k for d, k in tally if d == dim), key=_order(dim, levels))
        for k in keys:
            yield dim, k, tally[(dim, k)]


def _count_rows(tally: Mapping[tuple[str, str], _Tally], levels: Sequence[str]) -> list[CountRow]:
    rows = [CountRow(d, k, t.received, t.closed, t.overdue) for d, k, t in _grouped(tally, levels)]
    if not any(r.dimension == "total" for r in rows):
        rows.insert(0, CountRow("total", ALL))
    return rows


def _close_rows(
    tally: Mapping[tuple[str, str], _Tally], levels: Sequence[str]
) -> list[CloseTimeRow]:
    return [
        CloseTimeRow(d, k, len(t.days), median(t.days), percentile_nearest_rank(t.days, 90))
        for d, k, t in _grouped(tally, levels)
        if t.days
    ]


def _sla_rows(
    sla: Mapping[tuple[str, str], _Sla],
    stage_budgets: Sequence[tuple[str, int]],
    levels: Sequence[str],
    by_level: Mapping[tuple[str, str], int],
) -> list[SlaRow]:
    budgets = dict(stage_budgets)
    stages = [s for s, _ in stage_budgets]
    stages += sorted({s for s, _ in sla} - set(stages))
    level_key = _order("level", levels)
    rows = []
    for stage in stages:
        keys = [ALL] + sorted((lvl for s, lvl in sla if s == stage and lvl != ALL), key=level_key)
        for lvl in keys:
            t = sla.get((stage, lvl), _Sla())
            budget = by_level.get((stage, lvl), budgets.get(stage))
            rows.append(SlaRow(stage, lvl, budget, t.left, t.on_time, t.open_overdue))
    return rows


def _recurring(by_type: Mapping[str, Mapping[str, int]]) -> list[Recurring]:
    found = [
        Recurring(t, tuple(sorted(kabs)), tuple(kabs[k] for k in sorted(kabs)))
        for t, kabs in by_type.items()
        if len(kabs) >= 2
    ]
    return sorted(found, key=lambda r: (-len(r.kabupaten), -r.total, r.case_type))
