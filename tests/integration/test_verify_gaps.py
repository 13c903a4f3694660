"""Two ways a store could be altered so that readers see one thing and audit verify another.

1. The columns of `cases` the writer derives from a case's attrs (`case_type`, `summary`,
   `subject`: engine.store.repository.derived_values) are read on their own: the staff
   register counts a staff member suspended by the KKN case whose `subject` names them, the
   monthly report counts complaints by `case_type`. Verify derives them from the replay as the
   writer does and names the column that differs, on SQLite's stored fast path, on its full
   check and on PostgreSQL, in the whole-store verify and in the one-case verify.
2. A payload text with a key twice in one object reads differently to Python (the last
   counts: replay, verify) and to SQLite's JSON functions (the first counts: the monthly
   report). Verify refuses such a stored text, naming the case and version. PostgreSQL's
   jsonb keeps one value of a duplicated key (the last) for every reader, so there the
   edit changes nothing anyone reads.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from api.wiring import App
from engine.store import audit_runner
from engine.store.repository import CASES
from tests.conftest import Clock, complaint_data
from workflows.staff import add_staff, get_staff


def problems(app: App) -> list[tuple[str | None, int | None, str, str]]:
    report = audit_runner.verify(app.db, stop_at_first=False, workers=1)
    return [(p.case_id, p.version, p.kind, p.detail) for p in report.problems]


def one_case(app: App, case_id: str) -> list[tuple[str | None, str, str]]:
    return [
        (p.case_id, p.kind, p.detail) for p in audit_runner.verify_case(app.db, case_id).problems
    ]


def execute(app: App, sql: str, **params: Any) -> None:
    with app.db.write_engine.begin() as conn:
        conn.execute(sa.text(sql), params)


def respell_payloads(app: App, case_id: str) -> None:
    """The case's payloads in another spelling of the same JSON (SQLite: the case then fails
    the stored fast path and is read in full)."""
    execute(
        app,
        "UPDATE case_events SET payload = replace(payload, ',', ', ') WHERE case_id = :c",
        c=case_id,
    )


@pytest.fixture
def staffed(app: App, clock: Clock) -> App:
    add_staff(app.db, "Andi", "pendamping", "327101", username=None, now=clock())
    return app


@pytest.mark.parametrize("path", ["stored", "full"])
def test_a_kkn_cases_subject_altered_in_its_row_is_named(staffed: App, path: str) -> None:
    """Repro: the KKN case's subject renamed reads Andi as active again; verify said ok."""
    app = staffed
    app.service.open_case(
        "complaint", complaint_data(type="kkn", accused="Andi", summary="Pungli"), "kab.bogor"
    )
    andi = get_staff(app.db, "Andi")
    assert andi.status == "suspended"
    kkn_id = andi.cases[0]["id"]
    assert problems(app) == []
    if path == "full" and app.db.dialect == "sqlite":
        respell_payloads(app, kkn_id)
        assert problems(app) == []

    execute(app, "UPDATE cases SET subject = 'X' WHERE id = :c", c=kkn_id)
    assert get_staff(app.db, "Andi").status == "active"  # what the tampering buys
    detail = "stored case differs from its replay in: subject"
    assert problems(app) == [(kkn_id, 1, "projection_mismatch", detail)]
    assert one_case(app, kkn_id) == [(kkn_id, "projection_mismatch", detail)]


@pytest.mark.parametrize("path", ["stored", "full"])
@pytest.mark.parametrize(
    ("column", "value"),
    [("case_type", "pembayaran"), ("summary", "Lain"), ("subject", "Andi"), ("case_type", None)],
)
def test_a_complaints_derived_column_altered_in_its_row_is_named(
    app: App, column: str, value: Any, path: str
) -> None:
    case_id = app.service.open_case("complaint", complaint_data(), "kab.bogor").id
    app.service.apply(case_id, "advance", {}, "kab.bogor")
    if path == "full" and app.db.dialect == "sqlite":
        respell_payloads(app, case_id)
    assert problems(app) == []
    execute(app, f"UPDATE cases SET {column} = :v WHERE id = :c", v=value, c=case_id)
    detail = f"stored case differs from its replay in: {column}"
    assert problems(app) == [(case_id, 2, "projection_mismatch", detail)]
    assert one_case(app, case_id) == [(case_id, "projection_mismatch", detail)]


def test_a_derived_column_and_the_attrs_altered_together_are_both_named(app: App) -> None:
    case_id = app.service.open_case("complaint", complaint_data(), "kab.bogor").id
    attrs = {**app.service.get(case_id).attrs, "type": "pembayaran"}
    with app.db.write_engine.begin() as conn:
        conn.execute(sa.text("UPDATE cases SET subject = 'Andi' WHERE id = :c"), {"c": case_id})
        conn.execute(sa.update(CASES).where(CASES.c.id == case_id).values(attrs=attrs))
    # the attrs say pembayaran; the replay says data_peserta: the type column (still
    # data_peserta) is what the replay derives, the subject is not
    detail = "stored case differs from its replay in: attrs, subject"
    assert problems(app) == [(case_id, 1, "projection_mismatch", detail)]


FORGED_CHANGES = '{"changes":{"state":"selesai","status":"closed"},'


def test_a_payload_with_a_duplicate_key_is_refused(app: App) -> None:
    """Repro: a forged "changes" put first in the stored text. SQLite's JSON functions (the
    monthly report's `payload->'$.changes'`) read the forged copy, Python the real one, whose
    canonical form matches the hash: verify said ok."""
    case_id = app.service.open_case("complaint", complaint_data(), "kab.bogor").id
    other = app.service.open_case("complaint", complaint_data(), "kab.bogor").id
    app.service.apply(case_id, "advance", {}, "kab.bogor")
    where = "WHERE case_id = :c AND version = 2"
    pg = app.db.dialect == "postgresql"
    # the forged "changes" first in the text (PostgreSQL: the text read into jsonb again), and
    # what the store's own JSON reader then sees of the event's state
    forged = "(:f || substr(payload::text, 2))::jsonb" if pg else ":f || substr(payload, 2)"
    reader = "payload->'changes'->>'state'" if pg else "json_extract(payload, '$.changes.state')"
    execute(app, f"UPDATE case_events SET payload = {forged} {where}", f=FORGED_CHANGES, c=case_id)
    with app.db.reading() as s:
        read = sa.text(f"SELECT {reader} FROM case_events {where}")
        first = s.execute(read, {"c": case_id}).scalar()
    if pg:
        # jsonb keeps one value of a key given twice, the last: the forged copy is gone and
        # every reader sees the event as written, so there is nothing to report
        assert first != "selesai"
        assert problems(app) == []
        return
    assert first == "selesai"  # the report's reader sees the forged copy
    assert app.service.get(case_id).state != "selesai"  # replay sees the real one
    found = problems(app)
    assert [(c, v, k) for c, v, k, _ in found] == [(case_id, 2, "hash_mismatch")], found
    assert '"changes" twice' in found[0][3]
    assert [(c, k) for c, k, _ in one_case(app, case_id)] == [(case_id, "hash_mismatch")]
    assert one_case(app, other) == []


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # a key of the changes given twice, the forged value first
        ('{"changes":{', '{"changes":{"handler":"penyusup",'),
        # a key of the data given twice, spelled with an escape
        ('"data":{', '"data":{"x\\u0031":1,"x1":2,'),
    ],
    ids=["changes", "data_escaped"],
)
# SQLite only, not skipped on PostgreSQL: jsonb keeps one value of a duplicated key, so
# nothing ambiguous is stored there
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_duplicate_key_inside_the_payload_is_refused_on_sqlite(
    app: App, old: str, new: str
) -> None:
    case_id = app.service.open_case("complaint", complaint_data(), "kab.bogor").id
    app.service.apply(case_id, "assign", {"handler": "kab.bogor2"}, "kab.bogor")
    execute(
        app,
        "UPDATE case_events SET payload = replace(payload, :o, :n) "
        "WHERE case_id = :c AND version = 2",
        o=old,
        n=new,
        c=case_id,
    )
    found = problems(app)
    assert [(c, v, k) for c, v, k, _ in found] == [(case_id, 2, "hash_mismatch")], found
    assert "twice in one object" in found[0][3]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # SQLite keeps the text
def test_a_payload_in_another_spelling_without_duplicates_still_verifies(app: App) -> None:
    """Rows written before payloads were stored canonically (and jsonb) are other spellings of
    the content hashed: they still verify."""
    case_id = app.service.open_case("complaint", complaint_data(), "kab.bogor").id
    execute(
        app,
        "UPDATE case_events SET payload = json_object('trigger', json_extract(payload, "
        "'$.trigger'), 'note', json_extract(payload, '$.note'), 'data', "
        "json_extract(payload, '$.data'), 'changes', json_extract(payload, '$.changes')) "
        "WHERE case_id = :c",
        c=case_id,
    )
    assert problems(app) == []
