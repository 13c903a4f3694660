"""A past calendar override does not move a deadline counted again from a later day: an
extension given after the deadline passed counts from the day it is given, a referral's
return gives the level 18 working days from the day it comes back."""

from __future__ import annotations

from datetime import date

import pytest

from api.admin import remove_override
from api.wiring import App, calendar_factory
from engine.state import CaseState
from tests.conftest import Clock, complaint_data
from tests.integration.test_override_moves_deadlines import at, day_of, day_off, verify_ok


def dues(state: CaseState) -> tuple[date | None, date | None]:
    return day_of(state.stage_due), day_of(state.level_due)


def extended_late(app: App, clock: Clock) -> CaseState:
    """At pusat from Monday 2 March (stage due 9 March, level 15 April), extended by 3
    working days on Thursday 12 March: the stage to 17 March (counted from 12 March, its due
    had passed), the level to 20 April (counted on from its due)."""
    s = app.service
    case = s.open_case("complaint", complaint_data(), "kab.bogor")
    s.apply(case.id, "escalate", {"reason": "kewenangan pusat"}, "kab.bogor")
    at(clock, "2026-03-12T10:00:00+07:00")
    case = s.apply(case.id, "extend", {"working_days": 3, "reason": "menunggu data"}, "pusat.spm")
    assert dues(case) == (date(2026, 3, 17), date(2026, 4, 20))
    return case


@pytest.mark.parametrize(
    ("day", "stage_due"),
    [
        (date(2026, 3, 10), date(2026, 3, 17)),  # before the extension: not in its count
        (date(2026, 3, 12), date(2026, 3, 17)),  # its day: day 1 is the day after
        (date(2026, 3, 16), date(2026, 3, 25)),  # in its count (18-24 March are off)
    ],
)
def test_a_past_day_off_moves_a_late_extension_only_from_the_day_it_was_given(
    app: App, clock: Clock, day: date, stage_due: date
) -> None:
    case = extended_late(app, clock)
    assert day_off(app, day, at(clock, "2026-03-17T09:00:00+07:00")) == 1
    after = app.service.get(case.id)
    # the level's count runs on from 2 March through its old due: every one of these moves it
    assert dues(after) == (stage_due, date(2026, 4, 21))
    assert app.service.replay(case.id) == after
    verify_ok(app)


def test_a_holiday_taken_back_before_a_late_extension_leaves_the_extended_stage_due(
    app: App, clock: Clock
) -> None:
    s = app.service
    case = s.open_case("complaint", complaint_data(), "kab.bogor")
    s.apply(case.id, "escalate", {"reason": "kewenangan pusat"}, "kab.bogor")
    thursday = date(2026, 3, 5)
    assert day_off(app, thursday, at(clock, "2026-03-03T09:00:00+07:00")) == 1
    assert dues(s.get(case.id)) == (date(2026, 3, 10), date(2026, 4, 16))
    at(clock, "2026-03-12T10:00:00+07:00")
    case = s.apply(case.id, "extend", {"working_days": 3, "reason": "menunggu data"}, "pusat.spm")
    assert dues(case) == (date(2026, 3, 17), date(2026, 4, 21))
    done = remove_override(
        app.db,
        thursday,
        actor="admin",
        now=at(clock, "2026-03-13T09:00:00+07:00"),
        calendars=calendar_factory(app.settings),
    )
    assert done.cases_moved == 1
    after = s.get(case.id)
    assert dues(after) == (date(2026, 3, 17), date(2026, 4, 20))  # only the level comes back
    assert s.replay(case.id) == after
    verify_ok(app)


def test_a_second_late_extension_counts_from_its_own_day(app: App, clock: Clock) -> None:
    case = extended_late(app, clock)
    at(clock, "2026-03-26T10:00:00+07:00")  # 17 March passed too: 2 from 26 March
    case = app.service.apply(
        case.id, "extend", {"working_days": 2, "reason": "menunggu data"}, "pusat.spm"
    )
    assert dues(case) == (date(2026, 3, 30), date(2026, 4, 22))
    # in the first extension's count, before the second's
    assert day_off(app, date(2026, 3, 16), at(clock, "2026-03-27T09:00:00+07:00")) == 1
    after = app.service.get(case.id)
    assert dues(after) == (date(2026, 3, 30), date(2026, 4, 23))
    assert int(after.attrs["extensions"]) == 2
    assert app.service.replay(case.id) == after
    verify_ok(app)


def returned(app: App, clock: Clock, level: str) -> CaseState:
    """Payment complaint referred to PT Pos on Monday 2 March (at kabupaten, or at pusat),
    back on Monday 30 March: the follow-up stage 15 working days from then (21 April), the
    level 18 (24 April), beyond the level's own due (mid-April)."""
    s = app.service
    officer = "kab.bogor" if level == "kabupaten" else "pusat.spm"
    case = s.open_case("complaint", complaint_data(type="pembayaran"), "kab.bogor")
    if level == "pusat":
        s.apply(case.id, "escalate", {"reason": "kewenangan pusat"}, "kab.bogor")
    s.apply(case.id, "advance", {"parties": "PT Pos", "result": "dirujuk"}, officer)
    s.apply(case.id, "refer", {"body": "pt_pos"}, officer)
    at(clock, "2026-03-30T10:00:00+07:00")
    case = s.apply(case.id, "return_from_referral", {"outcome": "sudah dibayar"}, officer)
    assert case.level == level and case.state == f"{level}_tindak_lanjut"
    assert day_of(case.level_started_at) == date(2026, 3, 2)
    assert dues(case) == (date(2026, 4, 21), date(2026, 4, 24))
    return case


@pytest.mark.parametrize("level", ["kabupaten", "pusat"])
@pytest.mark.parametrize(
    ("day", "moved"),
    [
        (date(2026, 3, 26), None),  # in the level's window, before the return
        (date(2026, 3, 30), None),  # the return's own day
        (date(2026, 3, 31), (date(2026, 4, 22), date(2026, 4, 27))),  # counted: both move
    ],
)
def test_a_past_day_off_moves_a_returned_referral_s_dues_only_from_the_return_day(
    app: App, clock: Clock, level: str, day: date, moved: tuple[date, date] | None
) -> None:
    case = returned(app, clock, level)
    count = day_off(app, day, at(clock, "2026-04-01T09:00:00+07:00"))
    after = app.service.get(case.id)
    assert (count, dues(after)) == ((1, moved) if moved else (0, dues(case)))
    assert app.service.replay(case.id) == after
    verify_ok(app)


def test_a_service_referral_s_three_months_carried_to_the_level_keep_their_date(
    app: App, clock: Clock
) -> None:
    """Referred on 10 March, eight days into the level: the stage and the level are both held
    to 10 June (3 months from the referral, not from the level's start), so a day off in the
    week before it moves neither; one on 10 June itself rolls both to the next working day."""
    s = app.service
    case = s.open_case("complaint", complaint_data(type="ketersediaan_layanan"), "kab.bogor")
    at(clock, "2026-03-10T09:00:00+07:00")
    s.apply(case.id, "advance", {"parties": "Dinas Pendidikan", "result": "dirujuk"}, "kab.bogor")
    referred = s.apply(case.id, "refer", {"body": "dinas_teknis"}, "kab.bogor")
    assert dues(referred) == (date(2026, 6, 10), date(2026, 6, 10))
    assert day_off(app, date(2026, 6, 4), at(clock, "2026-03-11T09:00:00+07:00")) == 0
    assert s.get(case.id) == referred
    assert day_off(app, date(2026, 6, 10), at(clock, "2026-03-11T10:00:00+07:00")) == 1
    assert dues(s.get(case.id)) == (date(2026, 6, 11), date(2026, 6, 11))
    verify_ok(app)


def test_the_audit_page_names_what_an_extension_changed_and_leaves_out_its_bookkeeping(
    app: App, clock: Clock
) -> None:
    """The auditor's table of changes since before the extension: the deadlines and the
    number of extensions in words; not the day their count started again ('counted from',
    with its ISO instants), which is the deadlines' bookkeeping."""
    import re

    from fastapi.testclient import TestClient

    from api.http import TOKEN_TTL, create_app
    from api.security import create_token

    case = extended_late(app, clock)
    with TestClient(create_app(app)) as web:
        session = create_token("auditor", app.settings.secret_key, clock(), TOKEN_TTL)
        web.cookies.set("pkh_session", session)
        page = web.get("/audit", params={"case_id": case.id, "at": "2026-03-05T10:00"})
    assert page.status_code == 200
    table = re.search(r'<table class="changes">(.*?)</table>', page.text, re.S)
    assert table is not None, page.text
    names = re.findall(r"<tr><td>(.*?)</td>", table.group(1))
    assert names == [
        "Tenggat tahap",
        "Tenggat tingkat",
        "Versi",
        "Jumlah perpanjangan tenggat",
    ], names
    assert "counted" not in page.text and "2026-03-12T10:00:00" not in page.text
