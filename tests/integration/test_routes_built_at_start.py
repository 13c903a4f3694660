"""The app's routes are built when the app is made, not by its first requests.

FastAPI (0.14x and later) builds an included router's routes when a request first needs them,
and silences a pydantic warning while it does with `warnings.catch_warnings()`, which is not
thread-safe on Python < 3.14. Two apps served from two threads (each TestClient runs its own
event loop thread, as the concurrency tests do) built them at once, and the warning leaked
into the test output (3 UnsupportedFieldAttributeWarnings in session 21's CI). Built in
`create_app`, nothing of it happens while requests are served.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import fastapi.utils
import pytest
from fastapi.testclient import TestClient

from api.http import create_app
from api.wiring import App
from tests.integration.test_api import auth


@pytest.fixture
def fields_made(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names of the model fields FastAPI makes from here on (its routes' building)."""
    made: list[str] = []
    real = fastapi.utils.create_model_field

    def counting(name: str, *args: Any, **kwargs: Any) -> Any:
        made.append(name)
        return real(name, *args, **kwargs)

    for module in ("fastapi.utils", "fastapi.routing", "fastapi.dependencies.utils"):
        mod = __import__(module, fromlist=["create_model_field"])
        if hasattr(mod, "create_model_field"):
            monkeypatch.setattr(mod, "create_model_field", counting)
    yield made


def test_serving_requests_builds_no_routes(app: App, fields_made: list[str]) -> None:
    fastapi_app = create_app(app)
    assert fields_made, "create_app itself builds the routes' fields"
    fields_made.clear()
    with TestClient(fastapi_app) as client:
        assert client.get("/health").status_code == 200
        h = auth(app, "kab.bogor")
        assert client.get("/cases", headers=h).status_code == 200
        assert client.get("/login").status_code == 200
    assert fields_made == []
