"""Audit verify and checkpoints while writers are busy: no false alarm, now or later.

`pkh audit verify` and `pkh audit checkpoint` are meant to run on a live system (the auditor's
page runs verify on every visit). So:

- a verify must read the store at one moment: a writer committing between its read of the
  projections and its read of the events must not make a sound case "differ from its replay";
- a checkpoint must not seal a moment at which an event with a lower id is still uncommitted,
  or that event later reads as "history changed" for ever after;
- under load (two writers appending to twenty cases for two seconds), every verify passes.

The first two interleave the writer exactly where it hurts (deterministic); the third measures.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from engine.errors import InvalidInput
from engine.store import audit_runner
from engine.store import repository as repo
from tests.conftest import another_reporter
from tests.reliability._support import dump_figures, filing, make_app
from tests.reliability.conftest import officers_app

SECONDS = 2.0
CASES = 20
WRITERS = 2


def test_a_verify_reads_one_moment_when_a_writer_commits_in_the_middle(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = officers_app(db_url)
    other = make_app(db_url)
    try:
        case_id = app.service.open_case("complaint", filing(), "kab.bogor").id
        done = []

        def after_a_commit(real: Any) -> Any:
            def events(session: Any, *a: Any, **kw: Any) -> Any:
                if not done:  # verify has counted the events: now a writer commits
                    done.append(
                        other.service.apply(
                            case_id, "link_reporter", {"reporter_name": "Ibu Ani"}, "kab.bogor"
                        )
                    )
                return real(session, *a, **kw)

            return events

        # the events as SQLite stores them (audit verify's read there), or as events
        for read in ("stored_event_rows", "iter_all_events"):
            monkeypatch.setattr(repo, read, after_a_commit(getattr(repo, read)))
        report = audit_runner.verify(app.db)
        monkeypatch.undo()
        assert done and done[0].version == 2
        assert report.ok, f"a false alarm: {[str(p) for p in report.problems]}"
        assert audit_runner.verify(app.db).ok
    finally:
        other.db.dispose()
        app.db.dispose()


@pytest.mark.postgres
def test_a_checkpoint_does_not_seal_past_an_uncommitted_event(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writer A has inserted its event (id N) but not committed; writer B commits id N+1; a
    checkpoint is taken; A commits. The store is sound, so verify must pass."""
    app = officers_app(postgres_url)
    first, second = (app.service.open_case("complaint", filing(), "kab.bogor").id for _ in "ab")
    inserted, release = threading.Event(), threading.Event()
    slow_thread: list[Any] = [None]  # writer A's thread
    real = repo.save_projection

    def paused(session: Any, state: Any, expected: int, before: Any = None) -> None:
        if threading.current_thread() is slow_thread[0]:
            inserted.set()  # A's event row exists, uncommitted
            release.wait(30)
        real(session, state, expected, before)

    monkeypatch.setattr(repo, "save_projection", paused)
    a_app, b_app = make_app(postgres_url), make_app(postgres_url)
    errors: list[BaseException] = []

    def writer_a() -> None:
        try:
            a_app.service.apply(first, "link_reporter", another_reporter(), "kab.bogor")
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    thread = threading.Thread(target=writer_a, daemon=True)
    slow_thread[0] = thread
    try:
        thread.start()
        assert inserted.wait(30)
        b_app.service.apply(
            second, "link_reporter", another_reporter(), "kab.bogor"
        )  # B commits first
        # A goes on half a second from now: a checkpoint that waits for it then sees it
        threading.Timer(0.5, release.set).start()
        audit_runner.checkpoint(app.db, datetime.now(UTC))
        thread.join(30)
        assert not errors, errors
        report = audit_runner.verify(app.db, stop_at_first=False)
        assert report.ok, [str(p) for p in report.problems]
    finally:
        release.set()
        thread.join(30)
        for a in (a_app, b_app, app):
            a.db.dispose()


def test_verify_during_writes_raises_no_false_alarm(db_url: str) -> None:
    app = officers_app(db_url)
    ids = [app.service.open_case("complaint", filing(), "kab.bogor").id for _ in range(CASES)]
    stop = threading.Event()
    errors: list[BaseException] = []
    refused: list[str] = []
    written = [0] * WRITERS

    def writer(k: int) -> None:
        mine = make_app(db_url)
        try:
            i = k
            while not stop.is_set():
                try:
                    mine.service.apply(
                        ids[i % CASES], "link_reporter", another_reporter(), "kab.bogor"
                    )
                    written[k] += 1
                except InvalidInput as e:  # see test_concurrency_rounds: the clock-read race
                    refused.append(str(e))
                i += 1
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            mine.db.dispose()

    threads = [threading.Thread(target=writer, args=(k,), daemon=True) for k in range(WRITERS)]
    for t in threads:
        t.start()
    alarms: list[str] = []
    verifies = 0
    end = time.monotonic() + SECONDS
    try:
        while time.monotonic() < end:
            report = audit_runner.verify(app.db)
            verifies += 1
            if not report.ok:
                alarms.append(str(report.problems[0]))
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    try:
        assert not errors, errors
        final = audit_runner.verify(app.db, stop_at_first=False)
        dump_figures(
            f"verify_under_load[{app.db.dialect}]",
            {
                "backend": app.db.dialect,
                "seconds": SECONDS,
                "writers": WRITERS,
                "events_written": sum(written),
                "writes_refused_by_the_clock_race": len(refused),
                "verifies": verifies,
                "false_alarms": len(alarms),
            },
        )
        assert final.ok, final.problems
        assert not alarms, (
            f"{len(alarms)} of {verifies} verifies failed on a sound store: {alarms[:3]}"
        )
    finally:
        app.db.dispose()
