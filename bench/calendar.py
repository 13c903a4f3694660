"""calendar_bulk and calendar_scalar_us: WorkingCalendar against numpy.busday_offset.

The calendar is the product's (workflows.indonesia.build_calendar: 2004-2040, libur nasional and
cuti bersama). Inputs: one million random (date, n) pairs, dates over 2005-2039 (weekends and
holidays included), n in 0..60 working days.
"""

from __future__ import annotations

import time
from datetime import date

import numpy as np

from bench.core import Check, Context, Figure, log, median


def run(ctx: Context) -> list[Figure]:
    from workflows.indonesia import build_calendar

    cal = build_calendar()
    n = 1_000_000
    rng = np.random.default_rng(8)
    lo = np.datetime64("2005-01-01")
    days = lo + rng.integers(0, 35 * 365, n).astype("timedelta64[D]")
    steps = rng.integers(0, 61, n)
    holidays = np.array(sorted(cal.non_working_days), dtype="datetime64[D]")
    bdc = np.busdaycalendar(weekmask=cal.weekmask, holidays=holidays)

    ours = cal.add_working_days_bulk(days, steps)
    ref = np.busday_offset(days, steps, roll="backward", busdaycal=bdc)
    identical = bool(np.array_equal(ours, ref))

    times: list[float] = []
    base: list[float] = []
    for rep in range(max(ctx.reps, 7)):
        for which in ("ours", "numpy") if rep % 2 == 0 else ("numpy", "ours"):
            t = time.perf_counter()
            if which == "ours":
                cal.add_working_days_bulk(days, steps)
                times.append(time.perf_counter() - t)
            else:
                np.busday_offset(days, steps, roll="backward", busdaycal=bdc)
                base.append(time.perf_counter() - t)
    bulk = Figure(
        "calendar_bulk",
        median(times) * 1000,
        "ms / 1M deadlines",
        baseline=median(base) * 1000,
        baseline_what="numpy.busday_offset(roll='backward', busdaycal with the same weekmask "
        "and holidays), vectorised, same 1M inputs",
        ratio=median([t / b for t, b in zip(times, base, strict=True)]),
        size="1,000,000 (date, n) pairs, n 0..60",
        runs=[t * 1000 for t in times],
        baseline_runs=[b * 1000 for b in base],
        note=f"results identical to numpy: {identical}",
        extra={"identical": identical},
    )
    bulk.judge(Check("ratio", "<=", 2, "ratio <= 2 and identical"))
    if not identical:
        bulk.passed = False
    log(f"  calendar_bulk: {bulk.value:.1f} ms vs numpy {bulk.baseline:.1f} ms, same={identical}")

    # scalar: add_working_days(date, n), per call
    m = 200_000
    pairs = [
        (date.fromordinal(int(d) + date(1970, 1, 1).toordinal()), int(k))
        for d, k in zip(days[:m].astype(np.int64), steps[:m], strict=True)
    ]
    # the floor in Python for one lookup: two list indexings and a date construction
    first = cal.first.toordinal()
    cum = cal._cum_list  # noqa: SLF001 - the baseline reads the same tables directly
    wd = cal._workdays_list  # noqa: SLF001
    fromord = date.fromordinal

    def scalar() -> float:
        f = cal.add_working_days
        t = time.perf_counter()
        for d, k in pairs:
            f(d, k)
        return time.perf_counter() - t

    def floor() -> float:
        t = time.perf_counter()
        for d, k in pairs:
            fromord(wd[cum[d.toordinal() - first] - 1 + k])
        return time.perf_counter() - t

    st: list[float] = []
    sb: list[float] = []
    for rep in range(max(ctx.reps, 7)):
        if rep % 2 == 0:
            st.append(scalar())
            sb.append(floor())
        else:
            sb.append(floor())
            st.append(scalar())
    assert all(
        cal.add_working_days(d, k) == fromord(wd[cum[d.toordinal() - first] - 1 + k])
        for d, k in pairs[:1000]
    )
    per = 1e6 / m
    sc = Figure(
        "calendar_scalar_us",
        median(st) * per,
        "us / call",
        baseline=median(sb) * per,
        baseline_what="inline Python: date.fromordinal(workdays[cum[ordinal - first] - 1 + n]) "
        "on the same tables, no call, no checks",
        ratio=median([t / b for t, b in zip(st, sb, strict=True)]),
        size=f"{m:,} calls of add_working_days(date, n)",
        runs=[t * per for t in st],
        baseline_runs=[b * per for b in sb],
    )
    sc.judge(Check("value", "<=", 2, "<= 2 us/call"))
    log(f"  calendar_scalar_us: {sc.value:.2f} us vs floor {sc.baseline:.2f} us")
    return [bulk, sc]
