"""The monthly report's arithmetic on hand-built case facts around the March 2026 holidays.

March 2026 non-working days besides weekends: 18 (cuti bersama Nyepi), 19 (Nyepi), 20, 23, 24
(cuti bersama Idul Fitri); 21-22 are Idul Fitri on a weekend. Working days from the 17th go
straight to the 25th.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from engine.calendar import WorkingCalendar
from engine.errors import InvalidInput
from engine.report import (
    ALL,
    CaseFacts,
    CountRow,
    Month,
    MonthlyReport,
    SlaRow,
    StageRecord,
    build_monthly_report,
    percentile_nearest_rank,
)
from workflows.complaint_codes import LEVELS, TABEL_2, zone_for

WIB = timezone(timedelta(hours=7))
WITA = ZoneInfo("Asia/Makassar")
JKT = ZoneInfo("Asia/Jakarta")
FAR = datetime(2026, 4, 30, 23, 59, 59, tzinfo=WIB)  # a level deadline nobody reaches


def at(month: int, day: int, hour: int = 9, tz: timezone | ZoneInfo = WIB) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=tz)


def due(cal: WorkingCalendar, start: datetime, n: int) -> datetime:
    return cal.deadline(start, n, JKT)


def stage(
    cal: WorkingCalendar,
    name: str,
    start: datetime,
    left: datetime | None,
    *,
    closed: bool = False,
    level: str = "kabupaten",
    level_due: datetime = FAR,
) -> StageRecord:
    budget = dict(TABEL_2).get(name, 5)
    return StageRecord(name, level, start, due(cal, start, budget), left, level_due, closed)


def case(
    id_: str,
    type_: str,
    region: str,
    created: datetime,
    stages: tuple[StageRecord, ...],
    *,
    channel: str = "surat",
    level: str = "kabupaten",
) -> CaseFacts:
    closed = bool(stages) and stages[-1].closed
    return CaseFacts(
        id=id_,
        case_type=type_,
        region=region,
        channel=channel,
        entry_level=stages[0].level if stages else level,
        level=stages[-1].level if stages else level,
        created_at=created,
        closed_at=stages[-1].left_at if closed else None,
        status="closed" if closed else "open",
        stages=stages,
    )


@pytest.fixture
def facts(calendar: WorkingCalendar) -> list[CaseFacts]:
    cal = calendar
    # A: payment, Kota Bogor; walks Tabel 2 and closes on the 17th: 11 working days.
    # identifikasi (due 10 March) is left on the 12th: late.
    a = case(
        "A",
        "pembayaran",
        "3271011001",
        at(3, 2),
        (
            stage(cal, "dokumentasi", at(3, 2), at(3, 5)),
            stage(cal, "identifikasi", at(3, 5), at(3, 12)),
            stage(cal, "tindak_lanjut", at(3, 12), at(3, 16)),
            stage(cal, "pemberitahuan", at(3, 16), at(3, 17, 15), closed=True),
        ),
    )
    # B: payment, Kota Bandung; filed the 17th, rejected the 25th: 1 working day (18-24 off).
    b = case(
        "B",
        "pembayaran",
        "3273",
        at(3, 17),
        (stage(cal, "dokumentasi", at(3, 17), at(3, 25), closed=True),),
        channel="telepon",
    )
    # C: participant data, Kota Bogor; filed the 16th, closed the 31st: 6 working days.
    c = case(
        "C",
        "data_peserta",
        "3271",
        at(3, 16),
        (
            stage(cal, "dokumentasi", at(3, 16), at(3, 27)),
            stage(cal, "identifikasi", at(3, 27), at(3, 31, 16), closed=True),
        ),
    )
    # D: participant data, Kota Bogor, still in identifikasi (due 27 March) at month end.
    d = case(
        "D",
        "data_peserta",
        "3271011001",
        at(3, 10),
        (
            stage(cal, "dokumentasi", at(3, 10), at(3, 17, 10)),
            stage(cal, "identifikasi", at(3, 17, 10), None),
        ),
        channel="web",
    )
    # E: filed in February, closed on 5 March after its level deadline (3 March): late.
    e = case(
        "E",
        "kkn",
        "3273",
        at(2, 20),
        (
            stage(cal, "dokumentasi", at(2, 20), at(2, 26), level_due=at(3, 3, 23)),
            stage(cal, "pemberitahuan", at(2, 26), at(3, 5), closed=True, level_due=at(3, 3, 23)),
        ),
    )
    # F: Makassar (WITA), filed 00:30 on 1 April local time = 23:30 on 31 March in Jakarta.
    f = case(
        "F",
        "pembayaran",
        "7371",
        datetime(2026, 4, 1, 0, 30, tzinfo=WITA),
        (stage(cal, "dokumentasi", datetime(2026, 4, 1, 0, 30, tzinfo=WITA), None),),
    )
    # G: a pendamping-level complaint in Bogor, in handling at month end, not yet due.
    g = case(
        "G",
        "data_peserta",
        "327101",
        at(3, 25),
        (
            StageRecord(
                "penanganan",
                "pendamping",
                at(3, 25),
                due(cal, at(3, 25), 5),
                None,
                due(cal, at(3, 25), 5),
            ),
        ),
        channel="pendamping",
    )
    return [a, b, c, d, e, f, g]


def report(facts: list[CaseFacts], cal: WorkingCalendar) -> MonthlyReport:
    return build_monthly_report(
        facts, Month(2026, 3), cal, zone_for, stage_budgets=TABEL_2, levels=LEVELS
    )


def test_counts_received_closed_and_overdue_by_every_dimension(
    facts: list[CaseFacts], calendar: WorkingCalendar
) -> None:
    r = report(facts, calendar)
    assert r.cases == 7
    total = r.total
    # received: A B C D G (E is February's; F is April's in its own zone, WITA)
    # closed: A B C E; overdue: D (identifikasi due 27 March, open) and E (closed late)
    assert (total.received, total.closed, total.overdue) == (5, 4, 2)
    assert r.count("type", "pembayaran") == CountRow("type", "pembayaran", 2, 2, 0)
    assert (r.count("type", "data_peserta").received, r.count("type", "kkn").closed) == (3, 1)
    assert r.count("type", "kkn").overdue == 1
    assert r.count("provinsi", "32").received == 5 and r.count("provinsi", "73").received == 0
    kab = {row.key: (row.received, row.closed, row.overdue) for row in r.rows("kabupaten")}
    assert kab == {"3271": (4, 2, 1), "3273": (1, 2, 1)}
    chan = {row.key: row.received for row in r.rows("channel")}
    assert chan == {"pendamping": 1, "surat": 2, "telepon": 1, "web": 1}
    levels = [(row.key, row.received) for row in r.rows("level")]
    assert levels == [("pendamping", 1), ("kabupaten", 4)]  # ladder order, not alphabetical
    assert [row.dimension for row in r.counts][0] == "total"


def test_time_to_close_counts_working_days_across_the_holidays(
    facts: list[CaseFacts], calendar: WorkingCalendar
) -> None:
    r = report(facts, calendar)
    # A 2->17 March: 11; B 17->25: 1; C 16->31: 6; E 20 Feb->5 March: 9
    ttc = r.close_time()
    assert ttc is not None
    assert (ttc.closed, ttc.median, ttc.p90) == (4, 7.5, 11)
    pay = r.close_time("type", "pembayaran")
    assert pay is not None and (pay.closed, pay.median, pay.p90) == (2, 6.0, 11)
    bandung = r.close_time("kabupaten", "3273")
    assert bandung is not None and (bandung.median, bandung.p90) == (5.0, 9)
    assert r.close_time("type", "nothing") is None


def test_sla_is_the_share_of_stage_instances_left_by_their_deadline(
    facts: list[CaseFacts], calendar: WorkingCalendar
) -> None:
    r = report(facts, calendar)
    doc = r.sla_for("dokumentasi")
    # A (5 Mar, due 9), B (25 Mar, due 31: 25-31 are the 5 working days after the 17th),
    # C (27 Mar, due 30), D (17 Mar 10:00, due 17 Mar end of day): all on time
    assert doc is not None and (doc.left, doc.on_time, doc.compliance) == (4, 4, 1.0)
    ident = r.sla_for("identifikasi")
    # A late (due 10 March, left the 12th); C on time; D still running past its due
    assert ident is not None and (ident.left, ident.on_time, ident.late) == (2, 1, 1)
    assert ident.compliance == 0.5 and ident.open_overdue == 1
    pem = r.sla_for("pemberitahuan")
    # A on time; E's instance ended on 5 March, due 3 March: late
    assert pem is not None and (pem.left, pem.on_time) == (2, 1)
    assert r.sla_for("pemberitahuan", "kabupaten") == SlaRow(
        "pemberitahuan", "kabupaten", 3, 2, 1, 0
    )
    tl = r.sla_for("tindak_lanjut")
    assert tl is not None and tl.budget == 15 and (tl.left, tl.on_time) == (1, 1)
    # the Tabel 2 stages come first and in order, whether or not anything happened in them
    assert [s.stage for s in r.sla if s.level == ALL][:4] == [s for s, _ in TABEL_2]
    # G's penanganan is neither left nor overdue in March
    assert r.sla_for("penanganan") is None


def test_recurring_problems_are_types_received_in_two_or_more_kabupaten(
    facts: list[CaseFacts], calendar: WorkingCalendar
) -> None:
    r = report(facts, calendar)
    # pembayaran: Bogor (A) and Bandung (B); F (Makassar) is April's. data_peserta: Bogor only.
    assert r.recurring_map() == {"pembayaran": ("3271", "3273")}
    (rec,) = r.recurring
    assert rec.received == (1, 1) and rec.total == 2


def test_a_case_closed_reopened_and_closed_again_in_the_month_counts_once(
    calendar: WorkingCalendar,
) -> None:
    cal = calendar
    twice = case(
        "T",
        "pembayaran",
        "3271",
        at(3, 2),
        (
            stage(cal, "dokumentasi", at(3, 2), at(3, 4), closed=True),
            stage(cal, "dokumentasi", at(3, 9), at(3, 11), closed=True),
        ),
    )
    r = report([twice], cal)
    assert r.total.closed == 1
    ttc = r.close_time()
    assert ttc is not None and ttc.median == 7  # to the last close: 3-6, 9-11 March


def test_overdue_uses_the_month_end_of_the_office_zone(calendar: WorkingCalendar) -> None:
    cal = calendar
    # Due at the end of 31 March: overdue once March has ended, whatever happens in April.
    start = at(3, 24)
    rec = StageRecord("dokumentasi", "kabupaten", start, due(cal, start, 5), at(4, 2), FAR)
    assert rec.due_at == datetime(2026, 3, 31, 23, 59, 59, tzinfo=JKT)
    r = report([case("X", "kkn", "3271", start, (rec,))], cal)
    assert r.total.overdue == 1
    assert r.sla_for("dokumentasi") == SlaRow("dokumentasi", ALL, 5, 0, 0, 1)


def test_an_empty_month_has_a_zero_total_and_every_tabel_2_stage(
    calendar: WorkingCalendar,
) -> None:
    r = build_monthly_report([], "2026-03", calendar, zone_for, stage_budgets=TABEL_2)
    assert r.counts == (r.total,) and (r.total.received, r.total.closed) == (0, 0)
    assert [(s.stage, s.compliance) for s in r.sla] == [(s, None) for s, _ in TABEL_2]
    assert r.recurring == () and r.time_to_close == ()
    assert r.as_dict()["counts"] == [
        {"dimension": "total", "key": "all", "received": 0, "closed": 0, "overdue": 0}
    ]


def test_percentiles() -> None:
    assert percentile_nearest_rank([5], 90) == 5
    assert percentile_nearest_rank(list(range(1, 11)), 90) == 9
    assert percentile_nearest_rank(list(range(1, 12)), 90) == 10
    assert percentile_nearest_rank([3, 1, 2], 50) == 2
    with pytest.raises(ValueError):
        percentile_nearest_rank([], 90)


def test_months() -> None:
    assert Month.parse("2026-03") == Month(2026, 3) and str(Month(2026, 3)) == "2026-03"
    assert Month.before(at(1, 1).date()) == Month(2025, 12)
    assert Month(2026, 12).next() == Month(2027, 1)
    assert Month(2026, 2).last_day.day == 28
    assert Month(2026, 3).contains(datetime(2026, 3, 31, 16, 30, tzinfo=UTC), JKT)
    assert not Month(2026, 3).contains(datetime(2026, 3, 31, 16, 30, tzinfo=UTC), WITA)
    for bad in ("2026-13", "2026-3", "march", "", "0000-01"):
        with pytest.raises(InvalidInput):
            Month.parse(bad)


def test_the_report_module_is_pure() -> None:
    """The same rule as the pure core (tests/unit/test_architecture.py) for engine/report.py."""
    import ast
    from pathlib import Path

    from tests.unit.test_architecture import CLOCK_CALLS, CLOCK_OWNERS, FORBIDDEN, _imports

    path = Path(__file__).resolve().parents[2] / "engine" / "report.py"
    tree = ast.parse(path.read_text())
    assert not _imports(tree) & FORBIDDEN
    local = {
        n.module
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom) and n.module and n.module.startswith("engine")
    }
    assert local <= {"engine.calendar", "engine.errors"}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in CLOCK_OWNERS
        ):
            assert node.func.attr not in CLOCK_CALLS, f"engine/report.py:{node.lineno}"


def test_a_month_still_running_counts_only_deadlines_already_passed(
    facts: list[CaseFacts], calendar: WorkingCalendar
) -> None:
    # Read on 20 March (a holiday): D's identifikasi is due on the 27th, so not yet overdue.
    as_of = at(3, 20, 12)
    r = build_monthly_report(
        facts, Month(2026, 3), calendar, zone_for, stage_budgets=TABEL_2, as_of=as_of
    )
    assert r.partial and r.as_of == as_of
    assert r.total.overdue == 1  # only E, closed late on 5 March
    ident = r.sla_for("identifikasi")
    assert ident is not None and ident.open_overdue == 0
    done = build_monthly_report(
        facts, Month(2026, 3), calendar, zone_for, stage_budgets=TABEL_2, as_of=at(4, 1, 7)
    )
    assert not done.partial and done.total.overdue == 2


def test_a_month_not_yet_begun_counts_nothing_overdue(
    facts: list[CaseFacts], calendar: WorkingCalendar
) -> None:
    # Read on 1 April, the report for May: nothing has happened in May yet, so the cases
    # overdue now are not May's overdue (they are April's, so far).
    as_of = at(4, 1, 7)
    may = build_monthly_report(
        facts, Month(2026, 5), calendar, zone_for, stage_budgets=TABEL_2, as_of=as_of
    )
    assert may.partial
    assert (may.total.received, may.total.closed, may.total.overdue) == (0, 0, 0)
    assert all(r.open_overdue == 0 and r.left == 0 for r in may.sla)
    april = build_monthly_report(
        facts, Month(2026, 4), calendar, zone_for, stage_budgets=TABEL_2, as_of=as_of
    )
    assert april.total.overdue == 1  # D, still in identifikasi past its 27 March deadline
    assert may.not_begun and not april.not_begun and may.as_dict()["not_begun"] is True


@pytest.mark.parametrize(
    ("lang", "says", "not_said"),
    [
        ("id", "Bulan ini belum dimulai, belum ada angka: keadaan per", "Bulan berjalan"),
        ("en", "This month has not begun, no figures yet: as of", "Month still running"),
    ],
)
def test_the_page_of_a_month_not_yet_begun_does_not_call_it_running(
    facts: list[CaseFacts], calendar: WorkingCalendar, lang: str, says: str, not_said: str
) -> None:
    """Regression: the report page for May read on 1 April said "Bulan berjalan" (month in
    progress) over a table of zeros, as if May were under way and quiet."""
    from notifications.report import render as render_report

    kw = {"stage_budgets": TABEL_2, "as_of": at(4, 1, 7)}
    may = build_monthly_report(facts, Month(2026, 5), calendar, zone_for, **kw)
    page = render_report(may, "html", lang)
    assert says in page and not_said not in page
    assert "not_begun,true" in render_report(may, "csv", lang)
    april = build_monthly_report(facts, Month(2026, 4), calendar, zone_for, **kw)
    running = render_report(april, "html", lang)
    assert not_said in running and says not in running
