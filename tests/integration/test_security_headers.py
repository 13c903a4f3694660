"""Every answer of the API, not only the officer pages, carries the browser protections: no
framing, no type sniffing, no Referer to elsewhere, no caching of case data, and a content
security policy that runs no script (the monthly report's HTML page is opened in a browser
with the officer's session cookie)."""

from __future__ import annotations

from typing import Any

from api.wiring import App
from tests.conftest import complaint_data
from tests.integration.test_api import auth, client_for


def _protected(r: Any, csp_has: str = "default-src 'none'") -> None:
    h = r.headers
    assert h.get("x-content-type-options") == "nosniff", (r.request.url, dict(h))
    assert h.get("x-frame-options") == "DENY"
    assert h.get("referrer-policy") == "same-origin"
    assert h.get("cache-control") == "no-store"
    csp = h.get("content-security-policy", "")
    assert csp_has in csp and "frame-ancestors 'none'" in csp, csp


def test_every_kind_of_api_answer_carries_the_security_headers(app: App) -> None:
    client = client_for(app)
    kab = auth(app, "kab.bogor")
    case_id = app.service.open_case("complaint", complaint_data(), "kab.bogor").id
    _protected(client.get("/health"))
    _protected(client.get(f"/cases/{case_id}", headers=kab))
    _protected(client.get("/cases", headers=kab))
    _protected(client.get("/cases/ADU-2000-999999", headers=kab))  # 404
    _protected(client.get("/cases"))  # 401
    _protected(client.get("/reports/monthly?format=html&month=2026-11", headers=kab))
    _protected(client.post("/complaints", content=b"x" * 1_100_000, headers=kab))  # 413
    # the officer pages keep their own policy
    page = client.get("/login")
    _protected(page, csp_has="default-src 'self'")
    assert page.headers.get_list("content-security-policy") == [
        page.headers["content-security-policy"]
    ]
