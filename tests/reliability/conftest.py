"""Fixtures of the reliability suite, and the figures of each test printed at the end of the run.

`sqlite_url` / `postgres_url` give one backend each (a migrated SQLite file; a fresh schema on the
server, skipped or failed exactly as tests/conftest.py's `db_url` does); `*_app` build the app
on them with the real clock and the officers of tests/conftest.py. Tests that run on both
backends use `db_url` and `app` from tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from api.admin import add_user
from api.wiring import App
from engine.store.migrate import upgrade
from tests.conftest import OFFICERS, _postgres_schema_url
from tests.reliability._support import FIGURES, make_app


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES:
        terminalreporter.section("reliability figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'pkh.db'}"
    upgrade(url)
    return url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    gen = _postgres_schema_url()
    url = next(gen)
    upgrade(url)
    yield url
    gen.close()


def officers_app(url: str) -> App:
    app = make_app(url)
    now = datetime.now(UTC)
    for name, role, region in OFFICERS:
        add_user(app.db, name, role, region, now=now)
    return app


@pytest.fixture
def sqlite_app(sqlite_url: str) -> Iterator[App]:
    app = officers_app(sqlite_url)
    yield app
    app.db.dispose()


@pytest.fixture
def postgres_app(postgres_url: str) -> Iterator[App]:
    app = officers_app(postgres_url)
    yield app
    app.db.dispose()
