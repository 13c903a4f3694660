"""Optimistic concurrency on a real SQLite file: many writers, one case, nothing lost or doubled."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import sqlalchemy as sa

from engine.errors import ConcurrencyConflict
from engine.service import Once
from engine.store import audit_runner
from engine.store.repository import EV
from tests.conftest import another_reporter, complaint_data

THREADS = 8
ROUNDS = 20


def _event_versions(app: Any, case_id: str) -> list[int]:
    with app.db.reading() as s:
        rows = s.execute(
            sa.select(EV.c.version).where(EV.c.case_id == case_id).order_by(EV.c.id)
        ).all()
    return [r.version for r in rows]


def _run_threads(target: Any) -> list[BaseException]:
    errors: list[BaseException] = []

    def guarded(i: int) -> None:
        try:
            target(i)
        except BaseException as e:  # noqa: BLE001 - surfaced to the test below
            errors.append(e)

    threads = [threading.Thread(target=guarded, args=(i,), daemon=True) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a writer thread hung"
    return errors


def test_eight_threads_advancing_one_case_get_exactly_one_winner_per_version(app) -> None:  # type: ignore[no-untyped-def]
    case_id = app.service.open_case("complaint", complaint_data(), "kab.bogor").id
    barrier = threading.Barrier(THREADS, timeout=60)
    lock = threading.Lock()
    outcomes: dict[int, list[tuple[str, int, Any]]] = {r: [] for r in range(ROUNDS)}

    def writer(_: int) -> None:
        for rnd in range(ROUNDS):
            barrier.wait()  # everybody has finished the previous round
            v = app.service.get(case_id).version
            barrier.wait()  # everybody has read the same version: go
            try:
                state = app.service.apply(
                    case_id, "link_reporter", another_reporter(), "kab.bogor", expected_version=v
                )
                result: tuple[str, int, Any] = ("won", v, state.version)
            except ConcurrencyConflict as e:
                result = ("conflict", v, e)
            with lock:
                outcomes[rnd].append(result)

    errors = _run_threads(writer)
    assert errors == [], errors

    for rnd, results in outcomes.items():
        assert len(results) == THREADS, (rnd, results)
        read = {v for _, v, _ in results}
        assert read == {rnd + 1}, f"round {rnd}: threads read versions {read}"
        kinds = Counter(kind for kind, _, _ in results)
        assert kinds == {"won": 1, "conflict": THREADS - 1}, f"round {rnd}: {kinds}"
        (won,) = [r for r in results if r[0] == "won"]
        assert won[2] == rnd + 2
        for kind, v, err in results:
            if kind == "conflict":
                assert (err.case_id, err.expected, err.current) == (case_id, v, v + 1)
                assert f"at version {v + 1}" in str(err)
                assert err.code == "version_conflict"

    n = 1 + ROUNDS
    assert _event_versions(app, case_id) == list(range(1, n + 1))
    state = app.service.get(case_id)
    assert state.version == n
    assert state.attrs["reporters"] == 1 + ROUNDS
    report = audit_runner.verify(app.db, stop_at_first=False)
    assert report.ok, report.problems
    assert (report.cases, report.events) == (1, n)


def test_eight_threads_applying_without_an_expected_version_all_succeed_in_turn(app) -> None:  # type: ignore[no-untyped-def]
    case_id = app.service.open_case("complaint", complaint_data(), "kab.bogor").id
    barrier = threading.Barrier(THREADS, timeout=60)
    got: list[int] = []
    lock = threading.Lock()

    def writer(_: int) -> None:
        barrier.wait()
        state = app.service.apply(case_id, "link_reporter", another_reporter(), "kab.bogor")
        with lock:
            got.append(state.version)

    errors = _run_threads(writer)
    assert errors == [], errors
    assert sorted(got) == list(range(2, THREADS + 2))  # each writer saw the one before it
    assert _event_versions(app, case_id) == list(range(1, THREADS + 2))
    state = app.service.get(case_id)
    assert state.version == THREADS + 1
    assert state.attrs["reporters"] == 1 + THREADS  # no update was lost
    assert audit_runner.verify(app.db).ok


def _file_at_once(app: Any, key: str) -> list[tuple[str, bool, int]]:
    """THREADS senders file one complaint under one Idempotency-Key at the same moment."""
    barrier = threading.Barrier(THREADS, timeout=60)
    got: list[tuple[str, bool, int]] = []
    lock = threading.Lock()

    def sender(_: int) -> None:
        once = Once(key, "one filing", lambda st, _who: {"id": st.id}, 201)
        barrier.wait()
        out = app.service.open_case_once("complaint", complaint_data(), "kab.bogor", once=once)
        with lock:
            got.append((out.state.id, out.replayed, out.status_code))

    errors = _run_threads(sender)
    assert errors == [], errors
    return got


def test_eight_threads_filing_under_one_idempotency_key_file_one_complaint(app) -> None:  # type: ignore[no-untyped-def]
    # PostgreSQL: the senders after the first passed the key check before the first committed,
    # then queued on the case counter; the key's row then failed to insert (a 500)
    for rnd in range(5):
        got = _file_at_once(app, f"file-{rnd}")
        assert {case_id for case_id, _, _ in got} == {f"ADU-2026-{rnd + 1:06d}"}, got
        assert sum(1 for _, replayed, _ in got if not replayed) == 1, got
        assert {code for _, _, code in got} == {201}
    with app.db.reading() as s:
        filed = s.execute(sa.select(sa.func.count()).select_from(EV)).scalar_one()
    assert filed == 5  # one complaint per key, no number taken by a sender that lost
    assert audit_runner.verify(app.db).ok
