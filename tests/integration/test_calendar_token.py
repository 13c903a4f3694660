"""The working calendar a process keeps between commands follows every change to the calendar
overrides, however it is made: the store's token (migration 0008) changes with each one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import sqlalchemy as sa

from api.wiring import App
from tests.conftest import complaint_data


def _sql(app: App, sql: str, **params: object) -> None:
    """A change made straight in the database, not through the engine or the admin code."""
    with app.db.write_engine.begin() as conn:
        conn.execute(sa.text(sql), params)


def _due(app: App) -> date:
    state = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    assert state.stage_due is not None
    return state.stage_due.date()


@contextmanager
def _selects(app: App) -> Iterator[list[str]]:
    sent: list[str] = []

    def capture(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append(statement)

    sa.event.listen(app.db.write_engine, "before_cursor_execute", capture)
    try:
        yield sent
    finally:
        sa.event.remove(app.db.write_engine, "before_cursor_execute", capture)


def test_a_day_off_added_in_the_database_moves_the_next_deadline(app: App) -> None:
    first = _due(app)  # the calendar is built and kept
    assert _due(app) == first  # kept: nothing changed
    _sql(
        app,
        "INSERT INTO calendar_overrides (day, working, name, created_by, created_at) "
        "VALUES (:d, false, 'Libur daerah', 'dba', CURRENT_TIMESTAMP)",
        d=date(2026, 3, 3),  # the Tuesday after the clock's Monday: inside the first stage
    )
    moved = _due(app)
    assert moved > first
    _sql(app, "UPDATE calendar_overrides SET working = true WHERE day = :d", d=date(2026, 3, 3))
    assert _due(app) == first  # a "working" override on a weekday changes nothing
    _sql(app, "UPDATE calendar_overrides SET working = false WHERE day = :d", d=date(2026, 3, 3))
    assert _due(app) == moved
    _sql(app, "DELETE FROM calendar_overrides WHERE day = :d", d=date(2026, 3, 3))
    assert _due(app) == first


def test_a_command_reads_the_overrides_only_when_the_token_changed(app: App) -> None:
    _due(app)
    with _selects(app) as sent:
        _due(app)
    assert sent and not any("calendar_overrides" in s for s in sent), sent
    assert any("calendar_epoch" in s for s in sent)  # the token, with the actor's row
    _sql(app, "UPDATE calendar_epoch SET token = 'changed' WHERE id = 1")
    with _selects(app) as sent:
        _due(app)
    assert any("calendar_overrides" in s for s in sent), sent


def test_without_a_token_the_overrides_are_read_every_time(app: App) -> None:
    _sql(app, "DELETE FROM calendar_epoch")
    first = _due(app)
    with _selects(app) as sent:
        assert _due(app) == first
    assert any("calendar_overrides" in s for s in sent), sent
