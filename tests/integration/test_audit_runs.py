"""Whole-store verifications as recorded background runs (engine.store.audit_runs), and the API
routes over them: POST /audit/runs, GET /audit/runs[/{id}], GET /cases/{id}/verify. Both
backends (the `app` fixture)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from api.wiring import App
from engine.errors import AlreadyRunning, NotFound
from engine.store import audit_runner, audit_runs
from engine.store.repository import CASES
from tests.conftest import Clock, complaint_data
from tests.integration.test_api import auth, client_for


def _tamper_level(app: App, case_id: str) -> None:
    with app.db.write_engine.begin() as conn:
        conn.execute(sa.update(CASES).where(CASES.c.id == case_id).values(level="pusat"))


def _finished(app: App, run_id: int, timeout: float = 30.0) -> audit_runs.Run:
    deadline = time.monotonic() + timeout
    while True:
        run = audit_runs.get(app.db, run_id, app.service.clock())
        if run.finished:
            return run
        assert time.monotonic() < deadline, run
        time.sleep(0.02)


def test_a_run_is_started_once_executed_and_recorded(app: App, clock: Clock) -> None:
    for _ in range(3):
        app.service.open_case("complaint", complaint_data(), "kab.bogor")
    started = audit_runs.start(app.db, "auditor", clock())
    assert (started.status, started.events_done, started.finished) == ("running", 0, False)
    with pytest.raises(AlreadyRunning, match=f"audit run {started.id}, started by auditor") as e:
        audit_runs.start(app.db, "pusat.spm", clock())
    assert e.value.run_id == started.id
    clock.set(clock() + timedelta(seconds=40))
    done = audit_runs.execute(app.db, started.id, clock)
    assert (done.status, done.cases, done.events_done, done.events_total) == ("ok", 3, 3, 3)
    assert done.finished_at == clock() and done.problems == [] and done.error is None
    again = audit_runs.start(app.db, "pusat.spm", clock())  # the first one finished
    assert again.id > started.id
    assert [r.id for r in audit_runs.recent(app.db, clock())] == [again.id, started.id]


def test_a_run_records_every_problem_it_finds(
    app: App, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [app.service.open_case("complaint", complaint_data(), "kab.bogor").id for _ in range(3)]
    _tamper_level(app, ids[0])
    _tamper_level(app, ids[2])
    monkeypatch.setattr(audit_runs, "KEPT_PROBLEMS", 1)
    run = audit_runs.execute(app.db, audit_runs.start(app.db, "auditor", clock()).id, clock)
    assert (run.status, run.problem_count, run.cases) == ("failed", 2, 3)  # not only the first
    assert run.problems == [
        {
            "case_id": ids[0],
            "checkpoint": None,
            "version": 1,
            "kind": "projection_mismatch",
            "detail": "stored case differs from its replay in: level",
            "detail_id": "kasus tersimpan berbeda dari pemutaran ulangnya pada: level",
        }
    ]


def test_a_run_that_cannot_finish_is_recorded_as_an_error(app: App, clock: Clock) -> None:
    app.service.open_case("complaint", complaint_data(), "kab.bogor")
    with app.db.write_engine.begin() as conn:  # the checkpoints table gone: verify cannot end
        conn.execute(sa.text("DROP TABLE audit_checkpoints"))
    run = audit_runs.execute(app.db, audit_runs.start(app.db, "auditor", clock()).id, clock)
    assert run.status == "error" and run.finished_at is not None
    assert run.error is not None and "audit_checkpoints" in run.error
    audit_runs.start(app.db, "auditor", clock())  # nothing left running


def test_a_silent_run_reads_as_interrupted_and_does_not_block_the_next(
    app: App, clock: Clock
) -> None:
    lost = audit_runs.start(app.db, "auditor", clock())  # its process died: no heartbeat
    clock.set(clock() + audit_runs.STALE - timedelta(seconds=1))
    assert audit_runs.get(app.db, lost.id, clock()).status == "running"
    with pytest.raises(AlreadyRunning):
        audit_runs.start(app.db, "auditor", clock())
    clock.set(clock() + timedelta(seconds=2))
    seen = audit_runs.get(app.db, lost.id, clock())
    assert seen.status == "interrupted" and seen.finished
    assert seen.error is not None and "no progress since" in seen.error
    fresh = audit_runs.start(app.db, "pusat.spm", clock())
    recorded = audit_runs.get(app.db, lost.id, clock())
    assert (recorded.status, recorded.finished_at) == ("interrupted", lost.started_at)
    assert audit_runs.get(app.db, fresh.id, clock()).status == "running"


def test_a_run_taken_for_interrupted_still_records_what_it_found(app: App, clock: Clock) -> None:
    app.service.open_case("complaint", complaint_data(), "kab.bogor")
    slow = audit_runs.start(app.db, "auditor", clock())
    clock.set(clock() + audit_runs.STALE + timedelta(seconds=1))
    audit_runs.start(app.db, "pusat.spm", clock())  # records `slow` as interrupted
    done = audit_runs.execute(app.db, slow.id, clock)  # ... which was only slow
    assert (done.status, done.error, done.events_done) == ("ok", None, 1)


def test_a_heartbeat_that_cannot_be_written_does_not_end_the_run(
    app: App, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(3):
        app.service.open_case("complaint", complaint_data(), "kab.bogor")
    monkeypatch.setattr(audit_runner, "CHUNK", 1)
    monkeypatch.setattr(audit_runs, "BEAT", 0.0)
    real = audit_runs._update

    def update(db, run_id, *, running_only=False, **values):  # type: ignore[no-untyped-def]
        if running_only:  # the progress writes only: the store is busy
            raise sa.exc.OperationalError("UPDATE audit_runs", {}, Exception("database is locked"))
        real(db, run_id, running_only=running_only, **values)

    monkeypatch.setattr(audit_runs, "_update", update)
    run = audit_runs.execute(app.db, audit_runs.start(app.db, "auditor", clock()).id, clock)
    assert (run.status, run.cases, run.events_done) == ("ok", 3, 3)


def test_a_run_writes_its_progress_as_it_goes(
    app: App, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(4):
        app.service.open_case("complaint", complaint_data(), "kab.bogor")
    monkeypatch.setattr(audit_runner, "CHUNK", 1)
    monkeypatch.setattr(audit_runs, "BEAT", 0.0)
    run = audit_runs.start(app.db, "auditor", clock())
    stored: list[tuple[int, int]] = []

    def look(done: int, total: int) -> None:  # called before the run writes this step
        r = audit_runs.get(app.db, run.id, clock())
        stored.append((r.events_done, r.events_total))

    audit_runs.execute(app.db, run.id, clock, progress=look)
    assert stored[:5] == [(0, 0), (0, 4), (1, 4), (2, 4), (3, 4)]


def test_two_starts_at_once_let_exactly_one_run(app: App, clock: Clock) -> None:
    for _ in range(5):
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def go(who: str, barrier: threading.Barrier, outcomes: list[str]) -> None:
            barrier.wait()
            try:
                audit_runs.start(app.db, who, clock())
                outcomes.append("started")
            except AlreadyRunning:
                outcomes.append("refused")

        threads = [
            threading.Thread(target=go, args=(n, barrier, outcomes))
            for n in ("auditor", "pusat.spm")
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["refused", "started"]
        running = [r for r in audit_runs.recent(app.db, clock(), 100) if r.status == "running"]
        assert len(running) == 1
        audit_runs.execute(app.db, running[0].id, clock)


def test_an_unknown_run_is_not_found(app: App, clock: Clock) -> None:
    with pytest.raises(NotFound, match="no audit run 42"):
        audit_runs.get(app.db, 42, clock())


# ------------------------------------------------------------------------------------------- API
def test_the_api_starts_a_run_in_the_background_and_reports_it(app: App, clock: Clock) -> None:
    client, h = client_for(app), auth(app, "auditor")
    case = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    app.service.apply(case.id, "advance", {}, "kab.bogor")
    r = client.post("/audit/runs", headers=h)
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "running" and body["started_by"] == "auditor"
    assert r.headers["location"] == f"/audit/runs/{body['id']}"
    _finished(app, body["id"])
    got = client.get(r.headers["location"], headers=h).json()
    assert (got["status"], got["ok"], got["cases"], got["events_done"]) == ("ok", True, 1, 2)
    listed = client.get("/audit/runs", params={"limit": 1}, headers=h).json()
    assert [x["id"] for x in listed] == [body["id"]]


def test_the_api_refuses_a_second_run_while_one_is_running(app: App, clock: Clock) -> None:
    client, h = client_for(app), auth(app, "auditor")
    running = audit_runs.start(app.db, "pusat.spm", clock())
    r = client.post("/audit/runs", headers=h)
    assert r.status_code == 409, r.text
    assert r.json()["error"] == "already_running" and r.json()["run_id"] == running.id
    assert "started by pusat.spm" in r.json()["message"]
    assert len(audit_runs.recent(app.db, clock())) == 1  # nothing recorded for the refusal


def test_the_api_answers_bad_run_ids_clearly(app: App) -> None:
    client, h = client_for(app), auth(app, "auditor")
    assert client.get("/audit/runs/999", headers=h).status_code == 404
    r = client.get("/audit/runs/0", headers=h)
    assert r.status_code == 422 and r.json()["field"] == "path.run_id"
    r = client.get("/audit/runs", params={"limit": 0}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "query.limit"


def test_the_api_verifies_one_case(app: App, clock: Clock) -> None:
    client = client_for(app)
    good = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    bad = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    _tamper_level(app, bad.id)
    r = client.get(f"/cases/{good.id}/verify", headers=auth(app, "auditor"))
    assert r.status_code == 200 and r.json() == {
        "case_id": good.id,
        "ok": True,
        "events": 1,
        "problems": [],
    }
    r = client.get(f"/cases/{bad.id}/verify", headers=auth(app, "pusat.spm"))
    assert r.status_code == 200 and not r.json()["ok"]
    assert [p["kind"] for p in r.json()["problems"]] == ["projection_mismatch"]
    missing = client.get("/cases/ADU-2026-999999/verify", headers=auth(app, "auditor"))
    assert missing.status_code == 404
    officer = client.get(f"/cases/{good.id}/verify", headers=auth(app, "kab.bogor"))
    assert officer.status_code == 403


def test_a_run_by_worker_processes_records_what_one_process_finds(
    app: App, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API's background run on a store big enough for worker processes (the threshold
    lowered here): spawned from this process's thread, they find the same problems."""
    ids = [app.service.open_case("complaint", complaint_data(), "kab.bogor").id for _ in range(5)]
    _tamper_level(app, ids[1])
    _tamper_level(app, ids[4])
    one = audit_runner.verify(app.db, stop_at_first=False, workers=1)
    monkeypatch.setattr(audit_runner, "PARALLEL_FROM", 0)
    monkeypatch.setattr(audit_runner, "default_workers", lambda: 2)
    parallel_runs: list[str] = []
    real = audit_runner._verify_parallel

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        parallel_runs.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(audit_runner, "_verify_parallel", spy)
    run = audit_runs.execute(app.db, audit_runs.start(app.db, "auditor", clock()).id, clock)
    assert parallel_runs == [app.db.url]
    assert (run.status, run.cases, run.events_done, run.problem_count) == ("failed", 5, 5, 2)
    assert run.problems == [p.as_dict() for p in one.problems]
    assert [p["case_id"] for p in run.problems] == [ids[1], ids[4]]
