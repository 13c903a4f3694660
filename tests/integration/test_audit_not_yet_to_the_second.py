"""The auditor's page said "KKN-2026-000001 was not yet recorded at 25 Nov 2026 15:16 WIB: its
first event was recorded at 25 Nov 2026 15:16 WIB" (at 15:16:17): both moments to the minute,
so the page seemed to contradict itself. Moments in the same minute are told to the second."""

from __future__ import annotations

import html
from datetime import datetime, timedelta

from fastapi.testclient import TestClient

from api.http import create_app
from api.wiring import App
from tests.conftest import WIB, Clock, complaint_data
from tests.e2e.test_pages import sign_in


def _not_yet(client: TestClient, case_id: str, at: str, lang: str = "id") -> str:
    client.get(f"/lang/{lang}")
    page = html.unescape(client.get(f"/audit?case_id={case_id}&at={at}").text)
    words = "belum tercatat pada" if lang == "id" else "was not yet recorded at"
    start = page.index(f"{case_id} {words}")
    return page[start : page.index("<", start)]


def test_moments_in_the_same_minute_are_told_to_the_second(app: App, clock: Clock) -> None:
    clock.set(datetime(2026, 3, 2, 9, 0, 17, tzinfo=WIB))
    case_id = app.service.open_case("complaint", complaint_data(), "kab.bogor").id
    late = app.service.open_case(
        "complaint", complaint_data(), "kab.bogor", at=clock() - timedelta(days=2)
    ).id
    with TestClient(create_app(app)) as client:
        sign_in(client, app, "auditor")
        said = _not_yet(client, case_id, "2026-03-02T09:00")
        assert said == (
            f"{case_id} belum tercatat pada 2 Mar 2026 09:00:00 WIB: kejadian pertamanya "
            "dicatat pada 2 Mar 2026 09:00:17 WIB."
        ), said
        said = _not_yet(client, case_id, "2026-03-02T09:00", "en")
        assert said.endswith(
            "at 2 Mar 2026 09:00:00 WIB: its first event was recorded at 2 Mar 2026 09:00:17 WIB"
        ), said
        # moments minutes apart keep the minute (received two days before it was recorded)
        said = _not_yet(client, late, "2026-03-02T08:59")
        assert said.startswith(
            f"{late} belum tercatat pada 2 Mar 2026 08:59 WIB: kejadian pertamanya dicatat pada "
            "2 Mar 2026 09:00 WIB, meskipun terjadi pada 28 Feb 2026 09:00 WIB"
        ), said
