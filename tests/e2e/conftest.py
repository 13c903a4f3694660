"""Fixtures shared by the end-to-end tests of the officer pages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.http import create_app
from api.wiring import App


@pytest.fixture
def web(app: App) -> Iterator[TestClient]:
    """FastAPI's client on the pages of `app`, not signed in (a test signs in as it needs,
    e.g. with `tests.e2e.test_pages.sign_in`)."""
    with TestClient(create_app(app)) as client:
        yield client
