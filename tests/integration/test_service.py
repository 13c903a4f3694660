"""The service on a real SQLite file: one transaction per command, outbox, numbering, scoping."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from api.wiring import App
from engine.audit import canonical
from engine.errors import (
    CaseNotFound,
    GuardRejected,
    InvalidInput,
    NotFound,
    NotPermitted,
    UnknownActor,
)
from engine.store import audit_runner
from engine.store.repository import CASES, OUTBOX
from tests.conftest import Clock, another_reporter, complaint_data


def tamper(app: App, sql: str, **params: object) -> None:
    """An edit made behind the engine's back, straight in the database."""
    with app.db.write_engine.begin() as conn:
        conn.execute(sa.text(sql), params)


def outbox(app: App) -> list[tuple[str, int, str]]:
    with app.db.reading() as s:
        rows = s.execute(
            sa.select(OUTBOX.c.case_id, OUTBOX.c.event_version, OUTBOX.c.template).order_by(
                OUTBOX.c.id
            )
        )
        return [tuple(r) for r in rows]


def test_filing_writes_the_event_the_case_row_and_the_acknowledgement_together(app: App) -> None:
    state = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    assert state.id == "ADU-2026-000001"
    assert outbox(app) == [(state.id, 1, "acknowledgement")]
    assert len(app.service.history(state.id)) == 1


def test_a_refused_command_leaves_no_trace_in_the_outbox(app: App) -> None:
    state = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    before = outbox(app)
    with pytest.raises(InvalidInput):
        app.service.apply(state.id, "advance", {}, "kab.bogor")  # fine: dokumentasi needs none
        app.service.apply(state.id, "advance", {}, "kab.bogor")  # identifikasi needs parties
    assert outbox(app) == before
    assert app.service.get(state.id).version == 2


def test_an_anonymous_reporter_gets_no_letter_in_the_outbox(app: App) -> None:
    data = complaint_data(anonymous=True, reporter_name=None, reporter_contact=None)
    app.service.open_case("complaint", data, "kab.bogor")
    assert outbox(app) == []


def test_a_refused_filing_consumes_no_case_number(app: App) -> None:
    with pytest.raises(InvalidInput):
        app.service.open_case("complaint", complaint_data(region="3299"), "kab.bogor")
    with pytest.raises(GuardRejected):
        app.service.open_case("complaint", complaint_data(region="3273"), "kab.bogor")
    assert app.service.open_case("complaint", complaint_data(), "kab.bogor").id.endswith("01")


def test_a_case_outside_the_officers_region_does_not_exist_for_it(app: App) -> None:
    state = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    for call in (
        lambda: app.service.get(state.id, "kab.bandung"),
        lambda: app.service.history(state.id, "kab.bandung"),
        lambda: app.service.apply(state.id, "advance", {}, "kab.bandung"),
    ):
        with pytest.raises(CaseNotFound):
            call()
    assert app.service.get(state.id, "pusat.spm").id == state.id


def test_a_duplicate_must_be_a_complaint_the_officer_can_see_and_not_the_case_itself(
    app: App,
) -> None:
    """A case in another region reads as unknown (no leak, and the reporter is not sent to
    follow a case nobody here can see); naming the case itself says so."""
    svc = app.service
    mine, also_mine = (svc.open_case("complaint", complaint_data(), "kab.bogor") for _ in "ab")
    theirs = svc.open_case("complaint", complaint_data(region="7371011001"), "kab.makassar")
    reject = {"reason": "duplikat", "informed_via": "surat"}
    for other, key in (
        (theirs.id, "duplicate_of_unknown"),
        ("ADU-2026-999999", "duplicate_of_unknown"),
        (mine.id, "duplicate_of_self"),
    ):
        with pytest.raises(GuardRejected) as err:
            svc.apply(mine.id, "reject", {**reject, "duplicate_of": other}, "kab.bogor")
        assert [r.key for r in err.value.reasons] == [key]
    done = svc.apply(mine.id, "reject", {**reject, "duplicate_of": also_mine.id}, "kab.bogor")
    assert (done.state, done.attrs["duplicate_of"]) == ("ditolak", also_mine.id)


def test_an_unknown_actor_is_refused(app: App) -> None:
    with pytest.raises(NotFound, match="nobody"):
        app.service.open_case("complaint", complaint_data(), "nobody")


def test_replay_as_of_a_moment_shows_the_case_as_it_stood(app: App, clock: Clock) -> None:
    t0 = clock()
    state = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    clock.set(t0 + timedelta(days=1))
    app.service.apply(state.id, "advance", {}, "kab.bogor")
    then = app.service.replay(state.id, t0 + timedelta(hours=1))
    assert then is not None and then.stage == "dokumentasi" and then.version == 1
    assert app.service.replay(state.id, t0 - timedelta(hours=1)) is None
    assert app.service.replay(state.id).stage == "identifikasi"


def test_verify_names_a_case_whose_projection_was_edited(app: App) -> None:
    state = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    assert audit_runner.verify(app.db).ok
    tamper(app, "UPDATE cases SET handler = 'someone' WHERE id = :id", id=state.id)
    report = audit_runner.verify(app.db)
    assert not report.ok
    assert report.problems[0].case_id == state.id
    assert report.problems[0].kind == "projection_mismatch"


def test_verify_case_checks_that_case_only(app: App) -> None:
    a, b = (app.service.open_case("complaint", complaint_data(), "kab.bogor") for _ in range(2))
    app.service.apply(a.id, "advance", {}, "kab.bogor")
    ok = audit_runner.verify_case(app.db, a.id)
    assert ok.ok and (ok.cases, ok.events) == (1, 2)
    tamper(
        app,
        "UPDATE case_events SET actor = 'someone' WHERE case_id = :id AND version = 1",
        id=b.id,
    )
    assert audit_runner.verify_case(app.db, a.id).ok
    bad = audit_runner.verify_case(app.db, b.id)
    assert [(p.case_id, p.version, p.kind) for p in bad.problems] == [(b.id, 1, "hash_mismatch")]
    tamper(app, "DELETE FROM case_events WHERE case_id = :id", id=a.id)
    gone = audit_runner.verify_case(app.db, a.id)
    assert [p.kind for p in gone.problems] == ["events_missing"]
    assert audit_runner.verify_case(app.db, "ADU-2026-999999").ok  # nothing stored, nothing wrong


def test_payloads_are_stored_as_hashed_and_verified_by_content(app: App) -> None:
    """The payload is stored in the canonical text that was hashed (SQLite keeps it as
    written). Verify accepts the same content in another JSON form (a store or a tool that
    re-encodes it, rows written before) and still catches changed content."""
    state = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    app.service.apply(state.id, "advance", {}, "kab.bogor", note="dicek")
    events = app.service.history(state.id)
    if app.db.dialect == "sqlite":
        with app.db.write_engine.connect() as conn:
            texts = conn.execute(
                sa.text("SELECT payload FROM case_events WHERE case_id = :id ORDER BY version"),
                {"id": state.id},
            ).scalars()
            stored = list(texts)
        assert stored == [canonical(e.event.payload()) for e in events]
        assert [e.stored_text for e in events] == stored
    assert audit_runner.verify(app.db).ok
    payload = events[1].event.payload()
    spaced = json.dumps(payload, indent=2, ensure_ascii=True)
    value = "CAST(:p AS jsonb)" if app.db.dialect == "postgresql" else ":p"
    sql = f"UPDATE case_events SET payload = {value} WHERE case_id = :id AND version = 2"
    tamper(app, sql, p=spaced, id=state.id)
    assert audit_runner.verify(app.db).ok, "the same content in another form is not tampering"
    tamper(app, sql, p=json.dumps({**payload, "note": "diubah"}), id=state.id)
    bad = audit_runner.verify(app.db)
    assert [(p.case_id, p.version, p.kind) for p in bad.problems] == [
        (state.id, 2, "hash_mismatch")
    ]


def test_verify_notices_a_stored_number_that_changed_type(app: App) -> None:
    """2 == 2.0 == True in Python; in the stored state they are different values."""
    state = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    state = app.service.apply(state.id, "link_reporter", another_reporter(), "kab.bogor")
    assert state.attrs["reporters"] == 2 and audit_runner.verify(app.db).ok
    for changed in (2.0, True):
        with app.db.write_engine.begin() as conn:
            conn.execute(
                sa.update(CASES)
                .where(CASES.c.id == state.id)
                .values(attrs={**state.attrs, "reporters": changed})
            )
        bad = audit_runner.verify(app.db)
        assert [(p.case_id, p.kind) for p in bad.problems] == [(state.id, "projection_mismatch")]
        assert "attrs" in bad.problems[0].detail


def test_verify_reports_its_progress_over_the_snapshot(app: App, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(audit_runner, "CHUNK", 2)  # cases per step
    ids = [app.service.open_case("complaint", complaint_data(), "kab.bogor").id for _ in range(5)]
    app.service.apply(ids[0], "advance", {}, "kab.bogor")
    audit_runner.checkpoint(app.db, app.service.clock())
    audit_runner.checkpoint(app.db, app.service.clock())
    seen: list[tuple[int, int]] = []
    report = audit_runner.verify(app.db, progress=lambda done, total: seen.append((done, total)))
    assert report.ok and report.events == 6 and report.checkpoints == 2
    # every 2 cases, then after the numbering check and after each checkpoint (a heartbeat)
    assert seen == [(0, 6), (3, 6), (5, 6), (6, 6), (6, 6), (6, 6), (6, 6)]


def test_verify_notices_a_whole_case_removed_after_a_checkpoint(
    app: App, db_url: str, clock: Clock
) -> None:
    ids = [app.service.open_case("complaint", complaint_data(), "kab.bogor").id for _ in range(3)]
    audit_runner.checkpoint(app.db, clock())
    tamper(app, "DELETE FROM case_events WHERE case_id = :id", id=ids[2])
    tamper(app, "DELETE FROM cases WHERE id = :id", id=ids[2])
    tamper(app, "UPDATE case_counters SET last = 2")  # even hiding the number
    report = audit_runner.verify(app.db, stop_at_first=False)
    assert [(p.case_id, p.version, p.kind) for p in report.problems] == [
        (ids[2], 1, "history_changed")
    ]
    assert "checkpoint 1" in report.problems[0].detail
    assert "all its events are gone" in report.problems[0].detail
    alone = audit_runner.verify_case(app.db, ids[2])
    assert [(p.case_id, p.kind) for p in alone.problems] == [(ids[2], "history_changed")]
    assert alone.problems[0].detail == report.problems[0].detail


def test_verify_names_a_case_cut_short_or_rewritten_under_a_checkpoint(
    app: App, clock: Clock
) -> None:
    """Checkpoint 1 seals three cases; the second checkpoint records only the case that
    changed. A forger then cuts one case's last event (and its projection with it) and
    rewrites another's first event with its whole chain recomputed, so both chains hold:
    the checkpoint names both cases."""
    from engine.audit import chain
    from engine.store.audit_runner import HEADS
    from engine.store.repository import load_events

    svc = app.service
    cut, rewritten, untouched = (
        svc.open_case("complaint", complaint_data(), "kab.bogor").id for _ in range(3)
    )
    svc.apply(cut, "advance", {}, "kab.bogor")
    audit_runner.checkpoint(app.db, clock())
    svc.apply(cut, "advance", {"parties": "Dinas Sosial"}, "kab.bogor")
    audit_runner.checkpoint(app.db, clock())
    with app.db.reading() as s:
        recorded = s.execute(sa.select(HEADS.c.checkpoint_id, HEADS.c.case_id)).all()
    assert sorted(recorded) == [(1, cut), (1, rewritten), (1, untouched), (2, cut)]
    assert audit_runner.verify(app.db).ok

    with app.db.reading() as s:
        before = svc.get(cut)
        events = [c.event for c in load_events(s, rewritten)]
    pg = app.db.dialect == "postgresql"
    attrs, payload_ = ("CAST(:a AS jsonb)", "CAST(:p AS jsonb)") if pg else (":a", ":p")
    tamper(app, "DELETE FROM case_events WHERE case_id = :id AND version = 3", id=cut)
    tamper(app, f"UPDATE cases SET version = 2, attrs = {attrs} WHERE id = :id", id=cut,
           a=json.dumps({k: v for k, v in before.attrs.items() if k != "parties"}))  # fmt: skip
    prev = "0" * 64
    for i, ev in enumerate(events):
        if i == 0:
            ev = dataclasses.replace(ev, data={**ev.data, "summary": "Tidak ada masalah"})
        payload, digest = chain(prev, ev)
        tamper(app, f"UPDATE case_events SET payload = {payload_}, prev_hash = :prev, hash = :h "
               "WHERE case_id = :id AND version = :v", p=payload, prev=prev, h=digest,
               id=rewritten, v=ev.version)  # fmt: skip
        prev = digest
    report = audit_runner.verify(app.db, stop_at_first=False)
    named = {p.case_id: p for p in report.problems if p.kind == "history_changed"}
    assert sorted(named) == sorted([cut, rewritten]), report.problems
    assert "checkpoint 2" in named[cut].detail and "events removed" in named[cut].detail
    assert named[cut].version == 3
    assert "rewritten" in named[rewritten].detail
    # the auditor's check of one case says the same of it (from the heads recorded for it)
    for case_id in (cut, rewritten):
        alone = audit_runner.verify_case(app.db, case_id)
        assert [p.detail for p in alone.problems if p.kind == "history_changed"] == [
            named[case_id].detail
        ], alone.problems
    assert audit_runner.verify_case(app.db, untouched).ok


def test_verify_reads_the_events_once_for_all_its_checkpoints(app: App, clock: Clock) -> None:
    """Four checkpoints, each sealing more events (two of them the same ones): the store-wide
    checkpoint check reads the events in one pass (reading them again per checkpoint cost
    seconds each at 1M events), and still names a case cut short under the second one."""
    svc = app.service
    first = svc.open_case("complaint", complaint_data(), "kab.bogor").id
    audit_runner.checkpoint(app.db, clock())
    second = svc.open_case("complaint", complaint_data(), "kab.bogor").id
    svc.apply(second, "advance", {}, "kab.bogor")
    audit_runner.checkpoint(app.db, clock())
    audit_runner.checkpoint(app.db, clock())
    svc.apply(first, "advance", {}, "kab.bogor")
    audit_runner.checkpoint(app.db, clock())

    def reads_of_the_events() -> tuple[int, audit_runner.VerifyReport]:
        sent: list[str] = []

        def capture(statement: str) -> None:
            sent.append(" ".join(statement.split()).upper())

        # what the database itself was sent: on SQLite the cases' pass reads its rows on the
        # driver's own cursor (repository.stored_event_rows), which SQLAlchemy's events miss
        engine = app.db.read_engine
        if engine.dialect.name == "sqlite":

            def trace(dbapi_conn: Any, *_: Any) -> None:
                dbapi_conn.set_trace_callback(capture)

            def untrace(dbapi_conn: Any, *_: Any) -> None:
                dbapi_conn.set_trace_callback(None)

            hooks: list[tuple[str, Any]] = [("checkout", trace), ("checkin", untrace)]
        else:

            def sent_by_sqlalchemy(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
                capture(statement)

            hooks = [("before_cursor_execute", sent_by_sqlalchemy)]
        for name, hook in hooks:
            sa.event.listen(engine, name, hook)
        try:
            report = audit_runner.verify(app.db, stop_at_first=False, workers=1)
        finally:
            for name, hook in hooks:
                sa.event.remove(engine, name, hook)
        # the cases' own pass reads them once as well; the numbering check reads only ids
        return sum("FROM CASE_EVENTS" in q and "HASH" in q for q in sent), report

    reads, report = reads_of_the_events()
    assert report.ok and report.checkpoints == 4
    assert reads == 2, reads

    tamper(app, "DELETE FROM case_events WHERE case_id = :id AND version = 2", id=second)
    reads, report = reads_of_the_events()
    named = [p for p in report.problems if p.kind == "history_changed"]
    assert [(p.case_id, p.version) for p in named] == [(second, 2)], report.problems
    assert "checkpoint 2" in named[0].detail and "events removed" in named[0].detail
    assert reads == 2, reads


def _malformed(app: App, ids: list[str]) -> dict[str, tuple[str, int | None, str]]:
    """Rows altered outside pkh into what the engine never writes, as each backend can hold
    them; returns (case id -> (problem kind, version, column named))."""
    if app.db.dialect == "postgresql":  # typed columns: only JSON of the wrong shape fits
        tamper(app, "UPDATE case_events SET payload = '[]' WHERE case_id = :id AND version = 2",
               id=ids[0])  # fmt: skip
        return {ids[0]: ("event_unreadable", 2, "payload")}
    tamper(app, "UPDATE case_events SET payload = '{not json' WHERE case_id = :id AND version = 2",
           id=ids[0])  # fmt: skip
    tamper(app, "UPDATE case_events SET occurred_at = 'garbage' WHERE case_id = :id", id=ids[1])
    tamper(app, "UPDATE cases SET stage_due = 'notadate' WHERE id = :id", id=ids[2])
    return {
        ids[0]: ("event_unreadable", 2, "payload"),
        ids[1]: ("event_unreadable", 1, "occurred_at"),
        ids[2]: ("projection_unreadable", None, "stage_due"),
    }


def test_verify_names_each_row_it_cannot_read_and_checks_the_rest(app: App, clock: Clock) -> None:
    """A row no engine wrote (JSON that does not parse, a date that is not one) is tampering
    to report, naming the case, the version and the column; it does not stop the audit, and
    the cases around it are checked as usual."""
    from engine.errors import StoredDataUnreadable
    from engine.store import audit_runs

    svc = app.service
    ids = [svc.open_case("complaint", complaint_data(), "kab.bogor").id for _ in range(4)]
    svc.apply(ids[0], "advance", {}, "kab.bogor")
    broken = _malformed(app, ids)
    report = audit_runner.verify(app.db, stop_at_first=False, workers=1)
    found = {p.case_id: (p.kind, p.version, p.detail) for p in report.problems}
    assert sorted(found) == sorted(broken), report.problems
    for case_id, (kind, version, column) in broken.items():
        assert found[case_id][:2] == (kind, version)
        assert f"the stored {column} cannot be read" in found[case_id][2]
    assert (report.cases, report.events) == (4, 5)

    # the per-case check and the recorded run say the same; the run's result is read back
    # whole (a read stopped mid-way by the bad row must not leave a stale snapshot behind)
    for case_id, (kind, _, _) in broken.items():
        assert [p.kind for p in audit_runner.verify_case(app.db, case_id).problems] == [kind]
    run = audit_runs.execute(app.db, audit_runs.start(app.db, "auditor", clock()).id, clock)
    assert (run.status, run.cases, run.problem_count) == ("failed", 4, len(broken))

    # showing the broken case's history is refused naming the row, not a crash
    with pytest.raises(StoredDataUnreadable, match=f"case {ids[0]} version 2: the stored payload"):
        svc.history(ids[0])
    # and the store is read as it is now afterwards
    svc.apply(ids[3], "advance", {}, "kab.bogor")
    assert svc.get(ids[3]).version == 2


def test_verify_tells_a_removed_checkpoint_from_an_altered_one(app: App, clock: Clock) -> None:
    svc = app.service
    for _ in range(3):
        svc.open_case("complaint", complaint_data(), "kab.bogor")
        audit_runner.checkpoint(app.db, clock())
    tamper(app, "UPDATE audit_checkpoints SET event_count = event_count + 1 WHERE id = 3")
    problems = audit_runner.verify(app.db, stop_at_first=False, workers=1).problems
    assert [(p.checkpoint, p.kind) for p in problems] == [(3, "checkpoint_tampered")]
    assert "the checkpoint row was altered" in problems[0].detail
    assert "(3 cases, 4 events)" in problems[0].detail
    tamper(app, "UPDATE audit_checkpoints SET event_count = event_count - 1 WHERE id = 3")
    tamper(app, "DELETE FROM audit_checkpoints WHERE id = 2")
    problems = audit_runner.verify(app.db, stop_at_first=False, workers=1).problems
    assert [(p.checkpoint, p.kind) for p in problems] == [(3, "checkpoint_missing")]
    assert "between checkpoint 1 and checkpoint 3 was removed" in problems[0].detail


def test_verify_tells_when_the_heads_recorded_for_a_checkpoint_were_tampered_with(
    app: App, clock: Clock
) -> None:
    """The events still hold what the checkpoints sealed, but the records that let verify name
    a case were altered or thinned out: told once, at the first checkpoint they fail."""
    ids = [app.service.open_case("complaint", complaint_data(), "kab.bogor").id for _ in range(2)]
    audit_runner.checkpoint(app.db, clock())
    app.service.apply(ids[0], "advance", {}, "kab.bogor")
    audit_runner.checkpoint(app.db, clock())
    assert audit_runner.verify(app.db, workers=1).ok
    for sql in (
        "UPDATE audit_checkpoint_heads SET version = 3 WHERE checkpoint_id = 2",
        "DELETE FROM audit_checkpoint_heads WHERE case_id = :id",
    ):
        tamper(app, sql, id=ids[1])
        problems = audit_runner.verify(app.db, stop_at_first=False, workers=1).problems
        assert [(p.case_id, p.checkpoint, p.kind) for p in problems] == [
            (None, 2 if "version" in sql else 1, "checkpoint_heads_altered")
        ], problems
        assert "the events themselves still hold what it sealed" in problems[0].detail


def test_a_checkpoint_whose_recorded_heads_were_altered_still_fails_without_a_name(
    app: App, clock: Clock
) -> None:
    ids = [app.service.open_case("complaint", complaint_data(), "kab.bogor").id for _ in range(2)]
    audit_runner.checkpoint(app.db, clock())
    tamper(app, "DELETE FROM case_events WHERE case_id = :id", id=ids[1])
    tamper(app, "DELETE FROM cases WHERE id = :id", id=ids[1])
    tamper(app, "UPDATE case_counters SET last = 1")
    tamper(app, "DELETE FROM audit_checkpoint_heads WHERE case_id = :id", id=ids[1])
    report = audit_runner.verify(app.db, stop_at_first=False)
    assert [(p.checkpoint, p.kind) for p in report.problems] == [(1, "history_changed")]
    assert "1 / 1 now" in report.problems[0].detail
    assert "no case named" in report.problems[0].detail


def test_a_case_opened_with_a_refused_first_command_leaves_nothing_behind(
    app: App, clock: Clock
) -> None:
    """Discipline: the record is opened with its first sanction in one transaction. A refused
    first sanction (SP-2 before any SP-1) leaves no empty record and uses no case number."""
    from engine.errors import EngineError
    from engine.store.repository import CASES
    from workflows.staff import add_staff

    add_staff(app.db, "Staf Satu", "pendamping", "3271011001", username=None, now=clock())
    opening = {"staff": "Staf Satu", "region": "3271011001", "staff_user": None}

    def discipline_cases() -> list[tuple[str, int]]:
        with app.db.reading() as s:
            q = sa.select(CASES.c.id, CASES.c.version).where(CASES.c.workflow == "discipline")
            return [tuple(r) for r in s.execute(q)]

    with pytest.raises(EngineError):
        app.service.open_and_apply(
            "discipline", opening, "kab.bogor", "issue_sp2", {"reason": "late"}
        )
    assert discipline_cases() == []
    state = app.service.open_and_apply(
        "discipline", opening, "kab.bogor", "warn", {"reason": "late"}
    )
    assert state.version == 2 and state.state == "teguran_lisan"
    assert discipline_cases() == [(state.id, 2)]
    assert state.id.endswith("-000001")  # the refused attempt used no number
    assert audit_runner.verify(app.db).ok


def _statements(app: App) -> Any:
    sent: list[str] = []

    def capture(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        sent.append(" ".join(statement.split()).upper())

    return sent, capture


def test_a_command_on_a_case_reads_the_case_and_its_actor_in_one_statement(app: App) -> None:
    """Advancing a case: one read (the case with the actor's account and the calendar's
    token), the event, the projection; nothing else (each statement is a round trip on
    PostgreSQL: bench transitions_postgres_8clients)."""
    state = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    sent, capture = _statements(app)
    sa.event.listen(app.db.write_engine, "before_cursor_execute", capture)
    try:
        after = app.service.apply(state.id, "advance", {}, "kab.bogor")
    finally:
        sa.event.remove(app.db.write_engine, "before_cursor_execute", capture)
    assert after.version == 2
    kinds = [s.split()[0] for s in sent if s not in ("BEGIN", "BEGIN IMMEDIATE", "COMMIT")]
    assert kinds == ["SELECT", "INSERT", "UPDATE"], sent
    assert "FROM CASES LEFT OUTER JOIN USERS" in sent[-3] and "CALENDAR_EPOCH" in sent[-3]


def test_who_may_act_is_checked_before_the_case_with_the_combined_read(app: App) -> None:
    """The case and the account come in one statement; the answers stay as before: an unknown
    or inactive account is refused whether or not the case exists (so a stranger learns
    nothing of which case ids exist), a known one gets 'not found' for a case it cannot see."""
    state = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    for case_id in (state.id, "PGD-2026-999999"):
        with pytest.raises(UnknownActor, match="nobody"):
            app.service.apply(case_id, "advance", {}, "nobody")
    with app.db.write_engine.begin() as conn:
        conn.execute(sa.text("UPDATE users SET active = false WHERE username = 'kab.bogor2'"))
    with pytest.raises(UnknownActor, match="kab.bogor2"):
        app.service.apply(state.id, "advance", {}, "kab.bogor2")
    with pytest.raises(CaseNotFound):
        app.service.apply("PGD-2026-999999", "advance", {}, "kab.bogor")
    with pytest.raises(CaseNotFound):
        app.service.apply(state.id, "advance", {}, "kab.bandung")
    assert app.service.get(state.id).version == 1  # nothing was written
    # the system actor has no account: its commands read the case alone and reach the decision
    with pytest.raises(NotPermitted, match="role 'system' may not 'advance'"):
        app.service.apply(state.id, "advance", {}, "system")


def test_get_as_reads_the_account_and_the_case_together(app: App) -> None:
    state = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    who, seen = app.service.get_as(state.id, "kab.bogor")
    assert (who.username, who.role, who.region) == ("kab.bogor", "kabupaten", "3271")
    assert seen == app.service.get(state.id)
    with pytest.raises(CaseNotFound):
        app.service.get_as(state.id, "kab.bandung")  # another region: not there for it
    for case_id in (state.id, "PGD-2026-999999"):
        with pytest.raises(UnknownActor):
            app.service.get_as(case_id, "nobody")


def test_a_checkpoint_after_the_checkpoints_were_deleted_seals_every_head_again(
    app: App, clock: Clock
) -> None:
    """Someone deletes every checkpoint (verify tells, from the audit runs); the heads those
    recorded are left behind. The next checkpoint may get the same id (SQLite): it replaces
    them with every head, and still names a case removed under it."""
    from engine.store.audit_runner import HEADS

    ids = [app.service.open_case("complaint", complaint_data(), "kab.bogor").id for _ in range(2)]
    audit_runner.checkpoint(app.db, clock())
    tamper(app, "DELETE FROM audit_checkpoints")
    app.service.apply(ids[0], "advance", {}, "kab.bogor")
    again = audit_runner.checkpoint(app.db, clock())
    with app.db.reading() as s:
        rows = s.execute(sa.select(HEADS.c.checkpoint_id, HEADS.c.case_id, HEADS.c.version)).all()
    assert sorted(rows) == [(again.id, ids[0], 2), (again.id, ids[1], 1)]
    tamper(app, "DELETE FROM case_events WHERE case_id = :id", id=ids[1])
    tamper(app, "DELETE FROM cases WHERE id = :id", id=ids[1])
    tamper(app, "UPDATE case_counters SET last = 1")
    report = audit_runner.verify(app.db, stop_at_first=False)
    assert [(p.case_id, p.kind) for p in report.problems] == [(ids[1], "history_changed")]
