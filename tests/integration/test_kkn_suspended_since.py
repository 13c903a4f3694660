"""Since when a staff member is relieved of duty, said the same way everywhere: from the day the
suspension was recorded (the engine refuses their commands from then, and the suspension letter
says "terhitung sejak" that day), not from when the complaint naming them was received."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.http import create_app
from api.wiring import App
from engine.store.repository import OUTBOX
from notifications.letters import compose
from notifications.render import render
from tests.conftest import Clock, complaint_data
from tests.e2e.test_pages import sign_in
from tests.integration.test_kkn_story import staffed  # noqa: F401 (fixture)
from workflows.staff import get_staff


def _banner(client: TestClient) -> str:
    page = client.get("/").text
    return page.split('id="suspended">', 1)[1].split("</div>", 1)[0]


def test_the_suspended_officers_banner_and_letter_give_the_same_day(
    staffed: App,  # noqa: F811
    clock: Clock,
) -> None:
    """A KKN complaint received on Sunday 1 March, recorded on Monday 2 March: the banner said
    "dibebastugaskan sejak 1 Mar 2026 09:00 WIB" (the complaint's received time), the letter
    "terhitung sejak 2 Maret 2026" (the recording, when the engine relieved him of duty)."""
    app = staffed
    data = complaint_data(type="kkn", accused="Andi", summary="Pungutan liar saat penyaluran")
    app.service.open_case("complaint", data, "kab.bogor", at=clock() - timedelta(days=1))
    kkn_id = get_staff(app.db, "Andi").cases[0]["id"]
    with app.db.reading() as s:
        row = s.execute(
            sa.select(OUTBOX).where(
                OUTBOX.c.case_id == kkn_id, OUTBOX.c.template == "kkn_suspension"
            )
        ).one()
    letter = render("kkn_suspension", "id", compose(app.db, row, clock(), "http://x").context)
    assert "terhitung sejak 2 Maret 2026" in letter.text
    clock.set(clock() + timedelta(days=2))
    with TestClient(create_app(app)) as client:
        sign_in(client, app, "pdp.andi")
        said = _banner(client)
        assert "sejak 2 Mar 2026 09:00 WIB" in said and "1 Mar" not in said, said
