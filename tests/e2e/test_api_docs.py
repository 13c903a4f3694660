"""The API's own documentation pages (/docs with Swagger UI, /redoc with ReDoc) in a real
Chromium that may reach nothing but the server: an office network, or this machine, often
cannot reach a CDN, and FastAPI's default pages then stay blank."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_pages import CHROMIUM, CHROMIUM_ARGS, require_chromium, served_store


def _offline_page(p: Any, base: str) -> tuple[Any, Any, list[str], list[str]]:
    """A page whose every request away from `base` is refused and written down, with the
    console errors (a Content-Security-Policy refusal is one) written down too."""
    browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    page = browser.new_page()
    elsewhere: list[str] = []
    errors: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith(base):
            r.continue_()
        else:
            elsewhere.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return browser, page, elsewhere, errors


@pytest.mark.slow
def test_swagger_ui_and_redoc_render_from_the_server_alone(tmp_path: Path) -> None:
    require_chromium()
    from playwright.sync_api import sync_playwright

    with served_store(tmp_path, []) as (base, _), sync_playwright() as p:
        browser, page, elsewhere, errors = _offline_page(p, base)
        try:
            page.goto(f"{base}/docs")
            # every operation of the schema, drawn by Swagger UI's script
            page.wait_for_selector(".opblock", timeout=20_000)
            assert page.locator(".opblock").count() > 20
            summaries = page.locator(".opblock-summary").all_inner_texts()
            drawn = [" ".join(t.split()) for t in summaries]
            assert "POST /complaints File Complaint" in drawn, drawn[:5]

            page.goto(f"{base}/redoc")
            page.wait_for_selector("text=pkh-casework", timeout=20_000)
            page.wait_for_selector("[data-section-id]", state="attached", timeout=20_000)
            assert page.locator("[data-section-id]").count() > 20
        finally:
            browser.close()
    assert elsewhere == [], elsewhere
    # The policy refuses nothing of the pages' own; the only thing it stops is ReDoc's
    # "powered by" logo, an image ReDoc fetches from its CDN (so it is not fetched at all).
    refused = [e for e in errors if "Content Security Policy" in e]
    assert all("Loading the image 'https://cdn.redoc.ly/" in e for e in refused), refused
