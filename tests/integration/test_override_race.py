"""A command deciding while a calendar override commits counts under the new calendar.

The override (a day off added by a later SKB) recounts every open case's deadlines in its own
transaction. A command that read the calendar before the override committed, and committed
after it, used to keep the old calendar's deadline: on PostgreSQL a complaint filed, or a stage
advanced, during the override's recount ended up due a day early, and nothing recounted it
again. The override now holds the cases table against writers until it commits, and a command
reads the calendar under that lock. (SQLite has one writer at a time: it was never affected,
and the same tests show it.)
"""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest

from api.admin import add_override
from api.wiring import App
from engine.state import CaseState
from engine.store import recalc
from tests.conftest import Clock, complaint_data

DAY_OFF = date(2026, 3, 4)  # a Wednesday, made a day off while the commands run


class Paused:
    """Runs the override in a thread and holds its transaction open after the recount, until
    released: the moment a command can meet it."""

    def __init__(self, app: App, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
        self.recounted = threading.Event()
        self.release = threading.Event()
        self.error: BaseException | None = None
        original = recalc.recalculate

        def held(*args: Any, **kwargs: Any) -> int:
            moved = original(*args, **kwargs)
            self.recounted.set()
            assert self.release.wait(20), "the test never released the override"
            return moved

        monkeypatch.setattr(recalc, "recalculate", held)

        def run() -> None:
            try:
                add_override(
                    app.db,
                    DAY_OFF,
                    working=False,
                    name="Cuti bersama (uji)",
                    actor="admin",
                    now=clock(),
                )
            except BaseException as e:  # noqa: BLE001 - reported by the test
                self.error = e

        self.thread = threading.Thread(target=run)
        self.thread.start()
        assert self.recounted.wait(20), "the override did not reach its recount"


def command_during(paused: Paused, command: Any) -> CaseState:
    """Run `command` while the override is held, release it, return what the command made."""
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["state"] = command()
        except BaseException as e:  # noqa: BLE001 - reported below
            out["error"] = e

    t = threading.Thread(target=run)
    t.start()
    t.join(0.5)  # the command runs into the override (or, before the fix, passes it by)
    paused.release.set()
    t.join(30)
    paused.thread.join(30)
    assert paused.error is None, paused.error
    assert "error" not in out, out.get("error")
    return out["state"]  # type: ignore[no-any-return]


def test_a_complaint_filed_during_the_recount_is_due_under_the_new_calendar(
    app: App, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # filed Monday 2 March 09:00 at kabupaten: 5 working days from Tuesday 3 March
    paused = Paused(app, clock, monkeypatch)
    filed = command_during(
        paused, lambda: app.service.open_case("complaint", complaint_data(), "kab.bogor")
    )
    case = app.service.get(filed.id)
    assert case.stage_due is not None
    # 3, 5, 6, 9, 10 March: the 4th is off (9 March under the old calendar)
    assert case.stage_due.astimezone(clock().tzinfo).date() == date(2026, 3, 10)


def test_a_stage_advanced_during_the_recount_is_due_under_the_new_calendar(
    app: App, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    paused = Paused(app, clock, monkeypatch)
    command_during(paused, lambda: app.service.apply(case.id, "advance", {}, "kab.bogor"))
    after = app.service.get(case.id)
    assert after.stage == "identifikasi" and after.stage_due is not None
    # identifying the parties: 3 working days from Tuesday 3 March, the 4th off: 3, 5, 6
    assert after.stage_due.astimezone(clock().tzinfo).date() == date(2026, 3, 6)
    # and the level's 26 working days count the day off too, once
    first = app.service.history(case.id)[0].event
    assert first.type == "ComplaintFiled"


def test_a_bulk_batch_during_the_recount_decides_under_the_new_calendar(
    app: App, clock: Clock, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """The bulk path (KPM import, monthly verification, data control): a batch whose context
    was built before the change, as an import's is at its start, decides under the calendar
    of its own moment."""
    from engine.bulk import Item
    from tests.integration.test_kpm_import import KK1, two_households, write_csv
    from workflows import kpm_store as store
    from workflows.kpm_import import import_file

    import_file(app, write_csv(tmp_path / "hh.csv", two_households()))
    with app.db.reading() as s:
        case_id = store.resolve(s, KK1)
    bulk = store.bulk_for(app, clock())  # built before the change
    paused = Paused(app, clock, monkeypatch)

    def batch() -> CaseState:
        with app.db.transaction() as s:
            item = Item("pertemuan_awal", {}, app.service.actor("pdp.bogor"), clock(), case_id)
            (result,) = bulk.apply(s, [item])
        assert isinstance(result, CaseState), result
        return result

    command_during(paused, batch)
    after = app.service.get(case_id)
    assert after.state == "validasi" and after.stage_due is not None
    # 10 working days from Tuesday 3 March, the 4th off: 3, 5, 6, 9 ... 16, 17 March
    assert after.stage_due.astimezone(clock().tzinfo).date() == date(2026, 3, 17)
