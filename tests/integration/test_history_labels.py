"""What the case page's timeline names a recorded value: the field's name, without what a
form says about how to fill it. FastAPI's client on a SQLite file (and PostgreSQL)."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from api.wiring import App
from tests.conftest import complaint_data
from tests.e2e.test_pages import sign_in


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def test_an_extensions_working_days_in_the_history_carry_no_forms_range(app: App) -> None:
    """The timeline said 'Jumlah hari kerja (1-26): 3', the extension form's range hint in
    the name of what was recorded. The form keeps its hint."""
    from api.http import create_app

    s = app.service
    case_id = s.open_case("complaint", complaint_data(), "kab.bogor").id
    s.apply(case_id, "escalate", {"reason": "kewenangan pusat"}, "kab.bogor")
    s.apply(case_id, "extend", {"working_days": 3, "reason": "menunggu data"}, "pusat.spm")
    with TestClient(create_app(app)) as web:
        sign_in(web, app, "pusat.spm")
        for lang, name in (("id", "Jumlah hari kerja"), ("en", "Working days")):
            web.get(f"/lang/{lang}", follow_redirects=False)
            page = web.get(f"/cases/{case_id}/view").text
            row = re.search(r'<tr class="event" data-type="LevelExtended">(.*?)</tr>', page, re.S)
            assert row, "no extension on the timeline"
            assert f"{name}: 3" in _text(row.group(1)), _text(row.group(1))
            form = page.split('<tr class="event"')[0]
            label = re.search(r'<label for="extend-working_days">(.*?)</label>', form, re.S)
            assert label, "no extension form"
            assert _text(label.group(1)).startswith(f"{name} (1-26)"), _text(label.group(1))
