"""PostgreSQL connections the server dropped: a pooled connection is pinged only after it sat
idle (engine.store.db.PING_AFTER_IDLE_S: a ping on every checkout cost a round trip per
command), replaced when the ping fails, and discarded when it breaks in use; the API answers
503 with Retry-After for that request, never 500, and nothing is half-written."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.admin import add_user
from api.wiring import App, build_app
from engine.settings import Settings
from engine.store import db as db_module
from engine.store.migrate import upgrade
from tests.conftest import OFFICERS, POSTGRES_URL, Clock, _postgres_schema_url, complaint_data
from tests.integration.test_api import auth, client_for

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_app(clock: Clock) -> Iterator[App]:
    gen = _postgres_schema_url()
    url = next(gen)
    upgrade(url)
    a = build_app(
        Settings(database_url=url, secret_key="test-secret-key-0123456789abcdef0123"), clock=clock
    )
    for name, role, region in OFFICERS:
        add_user(a.db, name, role, region, now=clock())
    yield a
    a.db.dispose()
    gen.close()


def _drop_pooled_connections(app: App) -> int:
    """Terminate, from another connection, the server side of every connection in the app's
    pool (as a server restart or an idle timeout would). Returns how many."""
    pids = []
    pool = app.db.write_engine.pool
    held = [pool.connect() for _ in range(pool.checkedin())]
    for c in held:
        cur = c.dbapi_connection.cursor()  # type: ignore[union-attr]
        cur.execute("SELECT pg_backend_pid()")
        pids.append(cur.fetchone()[0])
        c.dbapi_connection.rollback()  # type: ignore[union-attr]
    for c in held:
        c.close()
    admin = sa.create_engine(POSTGRES_URL)
    try:
        with admin.begin() as conn:
            for pid in pids:
                assert conn.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
    finally:
        admin.dispose()
    time.sleep(0.2)  # the backends exit
    return len(pids)


def _events(app: App, case_id: str) -> list[str]:
    return [c.event.type for c in app.service.history(case_id)]


def test_a_connection_dropped_while_idle_is_pinged_and_replaced(
    pg_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = pg_app.service.open_case("complaint", complaint_data(), "kab.bogor")
    assert _drop_pooled_connections(pg_app) >= 1
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_S", 0.05)
    time.sleep(0.1)  # idle longer than the threshold: pinged at checkout, found dead, replaced
    after = pg_app.service.apply(state.id, "advance", {}, "kab.bogor")
    assert after.version == 2
    assert _events(pg_app, state.id) == ["ComplaintFiled", "StageAdvanced"]


def test_a_connection_dropped_in_use_fails_that_request_only_with_503(pg_app: App) -> None:
    client: TestClient = client_for(pg_app)
    headers = auth(pg_app, "kab.bogor")
    created = client.post("/complaints", json=complaint_data(), headers=headers)
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    assert _drop_pooled_connections(pg_app) >= 1
    # used again at once (not idle long enough to be pinged): the statement meets the dead
    # connection, which is discarded; the client is told to retry
    lost = client.post(f"/cases/{case_id}/events", json={"event": "advance"}, headers=headers)
    assert lost.status_code == 503, lost.text
    assert lost.headers["Retry-After"] == "1"
    assert lost.json()["error"] == "storage_unavailable"
    assert _events(pg_app, case_id) == ["ComplaintFiled"]  # nothing half-written
    again = client.post(f"/cases/{case_id}/events", json={"event": "advance"}, headers=headers)
    assert again.status_code == 200, again.text
    assert again.json()["version"] == 2
    assert _events(pg_app, case_id) == ["ComplaintFiled", "StageAdvanced"]
