"""Shared fixtures: a real SQLite file per test, migrated with Alembic, and a settable clock."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

from api.admin import add_user
from api.cli import register_commands
from api.wiring import App, build_app
from engine.settings import Settings
from engine.store.migrate import upgrade
from workflows.indonesia import build_calendar

# the whole command line, as `pkh` has it: a test invoking `api.cli.app` must not depend on
# which command modules an earlier test happened to import
register_commands()

# Property tests check answers, not speed: Hypothesis's default 200 ms deadline per example
# fails on a loaded shared machine (a first call warming its tables). Speed is bench/'s job.
hypothesis_settings.register_profile("pkh", deadline=None)
hypothesis_settings.load_profile("pkh")

WIB = timezone(timedelta(hours=7))
TEST_SECRET = "test-secret-key-0123456789abcdef0123"  # 32+ bytes, as HS256 wants

OFFICERS = [
    ("admin", "admin", None),
    ("kab.bogor", "kabupaten", "3271"),
    ("kab.bogor2", "kabupaten", "3271"),
    ("kab.bandung", "kabupaten", "3273"),
    ("kab.makassar", "kabupaten", "7371"),
    ("pdp.bogor", "pendamping", "327101"),
    ("kk.batutulis", "ketua_kelompok", "3271011001"),
    ("pusat.spm", "pusat", None),
    ("pusat.spm2", "pusat", None),
    ("auditor", "auditor", None),
]


def another_reporter() -> dict[str, str]:
    """Data for `link_reporter`: somebody not yet on any case (each call another person)."""
    return {"reporter_name": f"Pelapor {uuid.uuid4().hex[:10]}"}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, when: datetime) -> None:
        self.now = when


@pytest.fixture(scope="session")
def calendar():  # type: ignore[no-untyped-def]
    return build_calendar()


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 3, 2, 9, 0, tzinfo=WIB))  # Monday, 2 March 2026


POSTGRES_URL = os.environ.get(
    "PKH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_schema_url() -> Iterator[str]:
    """A fresh schema per test on the PostgreSQL server, dropped afterwards."""
    import sqlalchemy as sa

    engine = sa.create_engine(POSTGRES_URL)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as e:  # noqa: BLE001 - any failure to connect means "no server here"
        engine.dispose()
        if os.environ.get("PKH_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL required (PKH_REQUIRE_POSTGRES=1) but unreachable: {e}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}: {type(e).__name__}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Every integration test runs on the SQLite file and on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'pkh.db'}"
        upgrade(url)
        yield url
        return
    gen = _postgres_schema_url()
    url = next(gen)
    upgrade(url)
    yield url
    gen.close()


@pytest.fixture
def app(db_url: str, clock: Clock) -> Iterator[App]:
    a = build_app(
        Settings(database_url=db_url, secret_key="test-secret-key-0123456789abcdef0123"),
        clock=clock,
    )
    for name, role, region in OFFICERS:
        add_user(a.db, name, role, region, now=clock())
    yield a
    a.db.dispose()


def complaint_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "type": "data_peserta",
        "channel": "surat",
        "level": "kabupaten",
        "region": "3271011001",
        "summary": "Nama KPM salah di data peserta",
        "reporter_name": "Ibu Siti",
        "reporter_contact": "siti@example.org",
    }
    data.update(overrides)
    return data
