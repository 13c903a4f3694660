"""Shared fixtures: a real SQLite file per test, migrated with Alembic, and a settable clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from api.admin import add_user
from api.wiring import App, build_app
from engine.settings import Settings
from engine.store.migrate import upgrade
from workflows.indonesia import build_calendar

WIB = timezone(timedelta(hours=7))

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


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'pkh.db'}"
    upgrade(url)
    return url


@pytest.fixture
def app(db_url: str, clock: Clock) -> Iterator[App]:
    a = build_app(Settings(database_url=db_url), clock=clock)
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
