"""What audit verify says of each problem, in Bahasa Indonesia (`detail_id`) as in English: on
the auditor's page in its language, and in the problems verify reports. FastAPI's client on a
SQLite file (and PostgreSQL)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.wiring import App
from engine.audit import GENESIS, chain
from engine.store import audit_runner
from engine.store import repository as repo
from tests.conftest import Clock, complaint_data
from tests.e2e.test_pages import sign_in


def _verify_card(web: TestClient, case_id: str) -> str:
    page = web.get("/audit", params={"case_id": case_id})
    assert page.status_code == 200, page.text
    return page.text.split('class="card verify"')[1].split("</section>")[0]


def _both_languages(web: TestClient, case_id: str) -> tuple[str, str]:
    """The case's check on the auditor's page in Indonesian, then in English."""
    web.cookies.set("lang", "id")
    in_id = _verify_card(web, case_id)
    web.cookies.set("lang", "en")
    in_en = _verify_card(web, case_id)
    web.cookies.set("lang", "id")
    return in_id, in_en


def test_an_unreadable_event_and_events_that_do_not_replay_are_said_in_the_pages_language(
    app: App, clock: Clock
) -> None:
    """Regression: an event whose payload is not a JSON object read on the Indonesian page
    'Kejadian tersimpan tidak terbaca (event_unreadable) — the stored payload cannot be read
    (not a JSON object)' (PostgreSQL: '(not valid JSON: ...)'), and events whose chain holds
    but which do not fold 'ReplayError: event ...#1 sets unknown fields ...': the engine's
    English. Both now in Indonesian too."""
    from api.http import create_app

    damaged = app.service.open_case("complaint", complaint_data(), "kab.bogor").id
    with app.db.write_engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE case_events SET payload = '\"text\"' WHERE case_id = :c"),
            {"c": damaged},
        )
    forged = app.service.open_case("complaint", complaint_data(), "kab.bogor").id
    with app.db.reading() as s:
        (first,) = repo.load_events(s, forged)
    ev = dataclasses.replace(first.event, changes={**first.event.changes, "bogus": 1})
    payload, digest = chain(GENESIS, ev)  # a forgery whose hash holds: only the fold fails
    with app.db.write_engine.begin() as conn:
        conn.execute(
            repo.EV.update()
            .where(repo.EV.c.case_id == forged)
            .values(payload=repo.EncodedJson(payload), hash=digest)
        )
    report = audit_runner.verify_case(app.db, forged)
    assert [p.kind for p in report.problems] == ["replay_failed"], report.problems
    assert report.problems[0].detail_id == (
        f"ReplayError: kejadian {forged}#1 mengisi kolom yang tidak dikenal {{'bogus'}}"
    )

    with TestClient(create_app(app)) as web:
        sign_in(web, app, "auditor")
        in_id, in_en = _both_languages(web, damaged)
        assert "event_unreadable" in in_id
        # (PostgreSQL's jsonb gives the text back as a string that is not JSON)
        said = "isi kejadian (payload) yang tersimpan tidak dapat dibaca (bukan "
        assert said in in_id, in_id
        assert "cannot be read" not in in_id and "not a JSON" not in in_id, in_id
        assert "the stored payload cannot be read (not " in in_en, in_en
        assert "bukan" not in in_en, in_en

        in_id, in_en = _both_languages(web, forged)
        assert "replay_failed" in in_id
        assert "mengisi kolom yang tidak dikenal" in in_id, in_id
        assert "sets unknown fields" not in in_id, in_id
        assert f"ReplayError: event {forged}#1 sets unknown fields" in in_en, in_en
        assert "mengisi kolom" not in in_en, in_en


def test_a_history_changed_since_a_checkpoint_is_said_in_the_pages_language(
    app: App, clock: Clock
) -> None:
    """Regression: after `pkh audit checkpoint`, a case's last event deleted by hand read on the
    Indonesian page 'Riwayat berubah sejak titik periksa (history_changed) — checkpoint 1 (...)
    sealed it at version 2; it now ends at version 1: events removed', the engine's English;
    and the whole store's verify, with the checkpoint's recorded case heads gone too, said
    'events up to #N differ from the checkpoint taken ...'. Both now in Indonesian too."""
    from api.http import create_app

    case_id = app.service.open_case("complaint", complaint_data(), "kab.bogor").id
    clock.set(clock() + timedelta(hours=1))
    app.service.apply(case_id, "advance", {}, "kab.bogor")
    audit_runner.checkpoint(app.db, clock())
    with app.db.write_engine.begin() as conn:
        conn.execute(
            sa.text("DELETE FROM case_events WHERE case_id = :c AND version = 2"), {"c": case_id}
        )
    with TestClient(create_app(app)) as web:
        sign_in(web, app, "auditor")
        in_id, in_en = _both_languages(web, case_id)
    assert "history_changed" in in_id and "Riwayat berubah sejak titik periksa" in in_id
    said = "menyegelnya pada versi 2; kini berakhir pada versi 1: kejadian dihapus"
    assert "titik periksa 1 (" in in_id and said in in_id, in_id
    assert "sealed it" not in in_id and "events removed" not in in_id, in_id
    assert "sealed it at version 2; it now ends at version 1: events removed" in in_en, in_en
    assert "menyegel" not in in_en, in_en

    with app.db.write_engine.begin() as conn:  # no case can be named: the totals
        conn.execute(sa.text("DELETE FROM audit_checkpoint_heads"))
    changed = [
        p
        for p in audit_runner.verify(app.db, stop_at_first=False).problems
        if p.kind == "history_changed"
    ]
    assert [p.checkpoint for p in changed] == [1], changed
    assert changed[0].detail_id is not None, changed
    assert "berbeda dari titik periksa yang dibuat" in changed[0].detail_id
    assert "1 kasus / 2 kejadian saat itu, 1 / 1 kini" in changed[0].detail_id
    assert "(catatan kepala kasusnya tidak lengkap" in changed[0].detail_id


def _run(app: App, clock: Clock) -> list[audit_runner.Problem]:
    """A whole-store run, recorded as the page starts one; its problems."""
    from engine.store import audit_runs

    run = audit_runs.start(app.db, "pusat.spm", clock())
    audit_runs.execute(app.db, run.id, clock)
    return audit_runner.verify(app.db, stop_at_first=False).problems


def test_every_problem_of_the_whole_store_and_its_checkpoints_has_its_indonesian(
    app: App, clock: Clock
) -> None:
    """Regression: the whole store's problems that name no case's own history (a case row
    whose events are all gone, a case number issued but gone, a checkpoint altered, removed
    or unanchored, its recorded case heads altered) had no detail_id: the Indonesian page
    showed 'Titik periksa diubah (checkpoint_tampered) — the digest of checkpoint 1 no longer
    matches ...'. Each now has its Indonesian, shown on the page in Indonesian, the English
    when the page is in English."""
    from api.http import create_app

    cases = [app.service.open_case("complaint", complaint_data(), "kab.bogor").id for _ in "abc"]
    for case_id in cases:
        clock.set(clock() + timedelta(hours=1))
        app.service.apply(case_id, "advance", {}, "kab.bogor")
        audit_runner.checkpoint(app.db, clock())
    found: list[audit_runner.Problem] = []

    def tamper(*statements: str) -> None:
        with app.db.write_engine.begin() as conn:
            for sql in statements:
                conn.execute(sa.text(sql))

    tamper("UPDATE audit_checkpoints SET case_count = 7 WHERE id = 1")
    found += _run(app, clock)
    with TestClient(create_app(app)) as web:
        sign_in(web, app, "auditor")
        page = web.get("/audit").text
        assert "checkpoint_tampered" in page
        assert "digest titik periksa 1 tidak lagi cocok dengan kejadian terakhir" in page, page
        assert "no longer matches" not in page, page
        # what the problem is about in the page's language too
        assert "<strong>titik periksa 1</strong>" in page and "checkpoint 1" not in page, page
        web.cookies.set("lang", "en")
        page = web.get("/audit").text
        assert "the digest of checkpoint 1 no longer matches its recorded last event" in page
        assert "<strong>checkpoint 1</strong>" in page, page
        assert "tidak lagi cocok" not in page, page
    tamper("UPDATE audit_checkpoints SET case_count = 3 WHERE id = 1")
    assert _run(app, clock) == []  # mended; this run saw the three checkpoints
    found += audit_runner.verify(app.db, anchors=[(1, "0" * 64)]).problems
    tamper("UPDATE audit_checkpoint_heads SET version = 9 WHERE checkpoint_id = 1")
    found += audit_runner.verify(app.db, stop_at_first=False).problems
    tamper(
        "UPDATE audit_checkpoint_heads SET version = 1 WHERE checkpoint_id = 1",
        "DELETE FROM audit_checkpoints WHERE id = 2",
        f"DELETE FROM case_events WHERE case_id = '{cases[1]}'",
        f"DELETE FROM case_events WHERE case_id = '{cases[2]}'",
        f"DELETE FROM cases WHERE id = '{cases[2]}'",
    )
    found += audit_runner.verify(app.db, stop_at_first=False).problems

    kinds = {p.kind for p in found}
    assert kinds >= {
        "checkpoint_tampered",
        "checkpoint_missing",
        "checkpoint_heads_altered",
        "events_missing",
        "case_missing",
        "history_changed",
    }, found
    for p in found:
        assert p.detail_id and p.detail_id != p.detail, p
        assert "checkpoint " not in p.detail_id and " was " not in p.detail_id, p
    said = {p.detail_id for p in found}
    assert "baris kasusnya ada tetapi semua kejadiannya hilang" in said, said
    assert (
        "nomor kasus sudah diterbitkan tetapi kasusnya hilang (1 hilang di bawah ADU-2026)" in said
    )


def test_why_a_whole_store_run_did_not_finish_is_said_in_the_pages_language(
    app: App, clock: Clock
) -> None:
    """Regression: a run whose process went silent read on the Indonesian page 'terputus ...
    no progress since ... UTC: the process running it stopped; start a new run', the
    engine's English. Now in Indonesian; a run stopped by an error says it is the system's."""
    from api.http import create_app
    from engine.store import audit_runs

    audit_runs.start(app.db, "pusat.spm", clock())  # its process died: no heartbeat
    clock.set(clock() + audit_runs.STALE + timedelta(seconds=1))
    with TestClient(create_app(app)) as web:
        sign_in(web, app, "auditor")
        page = web.get("/audit").text
        assert "terputus" in page and "tidak ada kemajuan sejak" in page, page
        assert "proses yang menjalankannya berhenti; mulai pemeriksaan baru" in page, page
        assert "no progress since" not in page, page
        web.cookies.set("lang", "en")
        page = web.get("/audit").text
        assert "no progress since" in page and "tidak ada kemajuan" not in page, page

        with app.db.write_engine.begin() as conn:  # verify cannot end: an error of its own
            conn.execute(sa.text("DROP TABLE audit_checkpoints"))
        audit_runs.execute(app.db, audit_runs.start(app.db, "pusat.spm", clock()).id, clock)
        web.cookies.set("lang", "id")
        page = web.get("/audit").text
        assert "tidak dapat diselesaikan" in page and "galat sistem: " in page, page
        assert "audit_checkpoints" in page.split("galat sistem: ")[1].split("</p>")[0]
