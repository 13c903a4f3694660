"""What a complaint officer and an auditor met walking a complaint through its stages on the
pages (helper-78): FastAPI's client on a SQLite file."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from api.wiring import App
from tests.conftest import complaint_data


def _referred(app: App, **data: str) -> str:
    case = app.service.open_case("complaint", complaint_data(**data), "kab.bogor")
    app.service.apply(case.id, "advance", {}, "kab.bogor")
    app.service.apply(case.id, "refer", {"body": "pt_pos"}, "kab.bogor")
    return case.id


def _referral_row(page: str) -> str:
    row = re.search(r'<tr class="event" data-type="CaseReferred">(.*?)</tr>', page, re.S)
    assert row, "no referral on the timeline"
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", row.group(1))))


def test_a_referrals_time_limit_is_said_in_words_in_both_languages(
    app: App, web: TestClient
) -> None:
    """The timeline's referral showed 'budget: 15 hari kerja' on the Indonesian page and the
    same raw key and Indonesian value on the English one."""
    days = _referral_row(web.get(f"/cases/{_referred(app)}/view").text)
    assert "budget" not in days
    assert "Batas waktu rujukan: 15 hari kerja" in days
    months = _referral_row(
        web.get(f"/cases/{_referred(app, type='ketersediaan_layanan')}/view").text
    )
    assert "Batas waktu rujukan: 3 bulan" in months

    web.get("/lang/en", follow_redirects=False)
    days = _referral_row(web.get(f"/cases/{_referred(app)}/view").text)
    assert "budget" not in days and "hari kerja" not in days
    assert "Referral time limit: 15 working days" in days
    months = _referral_row(
        web.get(f"/cases/{_referred(app, type='ketersediaan_layanan')}/view").text
    )
    assert "Referral time limit: 3 months" in months
