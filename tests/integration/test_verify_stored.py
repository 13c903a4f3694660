"""Audit verify over a SQLite store checks each case's rows as stored first
(engine.audit.replay_stored: hashes over the stored texts, the fold over the payloads' changes
alone) and reads a case again in full only when something there does not hold. That shortcut
is sound only if it never says "holds" where the full check would find a problem: every
single change to any value of any row must send the case to the full check, and where all
holds it must give the very state the full replay gives."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from api.wiring import App, build_app
from engine.audit import (
    GENESIS,
    STORED_CASE_COLUMNS,
    STORED_COLUMNS,
    replay_stored,
    stored_case_holds,
)
from engine.settings import Settings
from engine.state import replay
from engine.store import audit_runner, repository
from engine.store.migrate import upgrade
from tests.conftest import OFFICERS, Clock, another_reporter, complaint_data

SELECT = f"SELECT {', '.join(STORED_COLUMNS)} FROM case_events WHERE case_id = ? ORDER BY version"


@pytest.fixture
def sqlite_app(tmp_path: Path, clock: Clock) -> Any:
    from api.admin import add_user

    url = f"sqlite:///{tmp_path / 'pkh.db'}"
    upgrade(url)
    app = build_app(Settings(database_url=url, secret_key="k" * 40), clock=clock)
    for name, role, region in OFFICERS:
        add_user(app.db, name, role, region, now=clock())
    yield app, tmp_path / "pkh.db"
    app.db.dispose()


def a_case(app: App, clock: Clock) -> str:
    """A case with instants in its changes, attrs set and merged, a handler, a note."""
    case_id = app.service.open_case("complaint", complaint_data(), "kab.bogor").id
    steps: list[tuple[str, dict[str, Any], str | None]] = [
        ("link_reporter", another_reporter(), None),
        ("assign", {"handler": "kab.bogor2"}, "ditangani langsung"),
        ("advance", {}, None),
        ("reclassify", {"type": "pembayaran"}, None),
    ]
    for event, data, note in steps:
        clock.set(clock() + timedelta(hours=3))
        app.service.apply(case_id, event, data, "kab.bogor", note=note)
    return case_id


def stored_rows(path: Path, case_id: str) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(path)
    try:
        return con.execute(SELECT, (case_id,)).fetchall()
    finally:
        con.close()


def changed(value: Any) -> list[Any]:
    """Values a tamperer might put in place of `value` (each differs from it)."""
    if type(value) is int:
        return [value + 1, value - 1, str(value), float(value), None]
    text = str(value)
    out = [text + " ", text[:-1], text.upper() if text != text.upper() else text.lower(), None]
    if text.startswith("{"):  # a payload: the same JSON re-encoded, spaced, a key added
        out += [text.replace(",", ", "), text[:-1] + ',"x":1}', text.replace(":", ": ", 1)]
    if len(text) == 26 and text[10] == " ":  # an instant: a microsecond on, in another form
        out += [text[:-1] + str((int(text[-1]) + 1) % 10), text.replace(" ", "T"), text + "+00:00"]
    return [v for v in out if v != value]


def test_the_stored_rows_of_a_sound_case_replay_as_its_events(
    sqlite_app: Any, clock: Clock
) -> None:
    app, path = sqlite_app
    case_id = a_case(app, clock)
    rows = stored_rows(path, case_id)
    assert len(rows) == 5 and rows[0][STORED_COLUMNS.index("prev_hash")] == GENESIS
    full = replay(c.event for c in app.service.history(case_id))
    assert replay_stored(rows) == full == app.service.get(case_id)
    assert replay_stored(rows).attrs == full.attrs  # type: ignore[union-attr]
    # every prefix is a sound case too (an open case at each of its versions)
    for n in range(1, len(rows)):
        assert replay_stored(rows[:n]) == replay(c.event for c in app.service.history(case_id)[:n])


def test_any_change_to_any_stored_value_goes_to_the_full_check(
    sqlite_app: Any, clock: Clock
) -> None:
    app, path = sqlite_app
    rows = stored_rows(path, a_case(app, clock))
    tried = 0
    for i, row in enumerate(rows):
        for col, value in enumerate(row):
            for other in changed(value):
                tampered = [*rows[:i], (*row[:col], other, *row[col + 1 :]), *rows[i + 1 :]]
                assert replay_stored(tampered) is None, (STORED_COLUMNS[col], i + 1, other)
                tried += 1
    # and rows removed, repeated, or in another order
    for bad in (rows[1:], rows[:2] + rows[3:], rows[:3] + rows[2:], [rows[1], rows[0], *rows[2:]]):
        assert replay_stored(bad) is None
    assert tried > 200


def test_verify_names_a_tampered_case_as_before_and_passes_the_rest(
    sqlite_app: Any, clock: Clock
) -> None:
    """Through the whole verify: a sound store passes on the stored path; a payload re-encoded
    with the same content (a tool rewrote it) goes to the full check and still passes there;
    a payload edit is named a hash mismatch, at its version."""
    app, path = sqlite_app
    ids = [a_case(app, clock) for _ in range(3)]
    report = audit_runner.verify(app.db, stop_at_first=False, workers=1)
    assert report.ok and (report.cases, report.events) == (3, 15)

    con = sqlite3.connect(path)
    con.execute(
        "UPDATE case_events SET payload = replace(payload, ',', ', ') "
        "WHERE case_id = ? AND version = 2",
        (ids[0],),
    )
    con.commit()
    report = audit_runner.verify(app.db, stop_at_first=False, workers=1)
    assert report.ok, [str(p) for p in report.problems]  # same JSON, another spelling

    con.execute(
        "UPDATE case_events SET payload = replace(payload, 'kab.bogor', 'kab.bogor2') "
        "WHERE case_id = ? AND version = 3",
        (ids[1],),
    )
    con.commit()
    con.close()
    report = audit_runner.verify(app.db, stop_at_first=False, workers=1)
    assert [(p.case_id, p.version, p.kind) for p in report.problems] == [
        (ids[1], 3, "hash_mismatch")
    ]
    assert (report.cases, report.events) == (3, 15)


# ------------------------------------------------------- the case rows, as SQLite stores them
CASE_SELECT = (
    f"SELECT {', '.join((*STORED_CASE_COLUMNS, *repository.DERIVED_COLUMNS))} FROM cases "
    "WHERE id = ?"
)


def case_row_changes(value: Any) -> list[Any]:
    """`changed(value)`, and for a JSON object (attrs) the same text with one value of
    another type that Python's == takes as equal (2 -> 2.0, false -> 0) or a key's case."""
    out = changed(value)
    if type(value) is str and value.startswith("{"):
        out += [
            value.replace(": false", ": 0", 1),
            value.replace(": 1,", ": 1.0,", 1).replace(": 2,", ": 2.0,", 1),
            value.replace('"type"', '"Type"', 1),
            value.replace('{"', '{"x": 1, "', 1),
            "[]",
            "null",
        ]
    return [v for v in out if v != value]


def test_the_stored_case_row_of_a_sound_case_holds_its_replay(
    sqlite_app: Any, clock: Clock
) -> None:
    app, path = sqlite_app
    case_id = a_case(app, clock)
    con = sqlite3.connect(path)
    row = con.execute(CASE_SELECT, (case_id,)).fetchone()
    con.close()
    replayed = replay(c.event for c in app.service.history(case_id))
    assert replayed is not None and replayed.handler == "kab.bogor2"
    holds = stored_case_holds(replayed, row, repository.derived_values, repository.DERIVED_COLUMNS)
    assert holds
    # a replay at another version, or with another attribute, is not what the row holds
    earlier = replay(c.event for c in app.service.history(case_id)[:-1])
    assert earlier is not None
    assert not stored_case_holds(
        earlier, row, repository.derived_values, repository.DERIVED_COLUMNS
    )
    other = replace(replayed, attrs={**replayed.attrs, "x": 1})
    assert not stored_case_holds(other, row, repository.derived_values, repository.DERIVED_COLUMNS)


def test_any_change_to_any_stored_case_value_is_found_as_the_full_comparison_finds_it(
    sqlite_app: Any, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Verify on SQLite compares each case row as stored with the replay (stored_case_holds)
    and reads it through SQLAlchemy only where that does not hold. Every change to every
    value of a case row gives the same report on that path as on the generic one (every row
    read through SQLAlchemy and compared as a state), and a sound store passes without
    reading any row the generic way."""
    app, path = sqlite_app
    ids = [a_case(app, clock) for _ in range(2)]
    closed = app.service.open_case("complaint", complaint_data(), "kab.bogor").id
    ids.append(closed)

    reads: list[list[str]] = []
    generic_projections = audit_runner._projections

    def counted(s: Any, case_ids: list[str]) -> Any:
        reads.append(list(case_ids))
        return generic_projections(s, case_ids)

    monkeypatch.setattr(audit_runner, "_projections", counted)
    report = audit_runner.verify(app.db, stop_at_first=False, workers=1)
    assert report.ok and report.cases == 3
    assert reads == []  # every case row compared as stored

    def both() -> tuple[list[str], list[str]]:
        fast = audit_runner.verify(app.db, stop_at_first=False, workers=1)
        with monkeypatch.context() as m:
            m.setattr(repository, "stored_case_rows", lambda *a: None)
            generic = audit_runner.verify(app.db, stop_at_first=False, workers=1)
        return [str(p) for p in fast.problems], [str(p) for p in generic.problems]

    con = sqlite3.connect(path)
    con.isolation_level = None
    row = con.execute(CASE_SELECT, (ids[0],)).fetchone()
    columns = (*STORED_CASE_COLUMNS, *repository.DERIVED_COLUMNS)
    tried = found = 0
    for col, value in zip(columns, row, strict=True):
        if col == "id":
            continue
        for other in case_row_changes(value):
            try:
                con.execute(f"UPDATE cases SET {col} = ? WHERE id = ?", (other, ids[0]))
            except sqlite3.IntegrityError:  # NOT NULL
                continue
            try:
                fast, generic = both()
            finally:
                con.execute(f"UPDATE cases SET {col} = ? WHERE id = ?", (value, ids[0]))
            assert fast == generic, (col, other)
            tried += 1
            found += bool(fast)
    # the case's row under another id: its events have no row, the row no events
    con.execute("UPDATE cases SET id = ? WHERE id = ?", (ids[0] + "X", ids[0]))
    fast, generic = both()
    assert fast == generic and fast
    con.close()
    assert tried > 80 and found > 60, (tried, found)


@pytest.mark.parametrize("column", ["occurred_at", "recorded_at"])
def test_an_instant_that_is_no_date_is_unreadable_though_its_hash_was_recomputed(
    sqlite_app: Any, clock: Clock, column: str
) -> None:
    """An instant in the stored form that is no date (month 13), written with the hash
    recomputed over it: the full check cannot read it (`event_unreadable`), so the stored
    path must not pass it either. Regression: recorded_at is not folded, and the stored path
    passed it unread, and one in occurred_at stopped verify with a ValueError."""
    import hashlib

    from engine.audit import _string

    app, path = sqlite_app
    case_id = a_case(app, clock)
    rows = stored_rows(path, case_id)
    last = dict(zip(STORED_COLUMNS, rows[-1], strict=True))
    last[column] = "2026-13-01" + last[column][10:]
    occ, rec = last["occurred_at"], last["recorded_at"]
    body = (
        f'["{last["prev_hash"]}",{_string(case_id)},{last["version"]},'
        f"{_string(last['event_type'])},{last['payload']},{_string(last['workflow'])},"
        f"{last['workflow_version']},{_string(last['actor'])},{_string(last['role'])},"
        f'"{occ[:10]}T{occ[11:]}Z","{rec[:10]}T{rec[11:]}Z"]'
    )
    digest = hashlib.sha256(body.encode()).hexdigest()
    assert replay_stored(rows) is not None
    assert replay_stored([*rows[:-1], tuple(last.values())[:-1] + (digest,)]) is None
    con = sqlite3.connect(path)
    con.execute(
        f"UPDATE case_events SET {column} = ?, hash = ? WHERE case_id = ? AND version = ?",
        (last[column], digest, case_id, last["version"]),
    )
    con.commit()
    con.close()
    report = audit_runner.verify(app.db, stop_at_first=False, workers=1)
    assert [(p.case_id, p.version, p.kind) for p in report.problems] == [
        (case_id, last["version"], "event_unreadable")
    ], [str(p) for p in report.problems]
