"""The API process serves at most PKH_API_THREADS requests at once in its thread pool."""

from __future__ import annotations

from dataclasses import replace

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from api.http import create_app
from api.wiring import App
from engine.settings import Settings


def _tokens(client: TestClient) -> float:
    # run in the server's event loop, where the limiter lives
    return client.portal.call(  # type: ignore[union-attr]
        lambda: anyio.to_thread.current_default_thread_limiter().total_tokens
    )


def test_the_thread_pool_has_the_configured_size(app: App) -> None:
    assert app.settings.api_threads == 8  # the default
    with TestClient(create_app(app)) as client:
        assert _tokens(client) == 8
        assert client.get("/health").status_code == 200
    few = replace(app, settings=app.settings.model_copy(update={"api_threads": 3}))
    with TestClient(create_app(few)) as client:
        assert _tokens(client) == 3


@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_a_thread_count_that_is_not_a_positive_number_is_refused(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PKH_API_THREADS", value)
    with pytest.raises(ValidationError, match="api_threads"):
        Settings()
