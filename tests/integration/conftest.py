"""Fixtures shared by the integration tests: a page session opened as an officer would."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.admin import add_user
from api.http import create_app
from api.wiring import App

PASSWORD = "sandi-uji-123"  # the page officers' password (kab.web and others a test adds)


@pytest.fixture
def web(app: App) -> Iterator[TestClient]:
    """A page session of a kabupaten officer (kab.web, Kota Bogor), opened through the
    sign-in form."""
    add_user(app.db, "kab.web", "kabupaten", "3271", now=app.service.clock(), password=PASSWORD)
    with TestClient(create_app(app)) as client:
        assert client.get("/login").status_code == 200
        form = {
            "csrf": client.cookies["pkh_csrf"],
            "username": "kab.web",
            "password": PASSWORD,
            "next": "/",
        }
        assert client.post("/login", data=form, follow_redirects=False).status_code == 303
        yield client
