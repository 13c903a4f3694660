"""Since when a staff member is relieved of duty, said the same way everywhere: from the day the
suspension was recorded (the engine refuses their commands from then, and the suspension letter
says "terhitung sejak" that day), not from when the complaint naming them was received; and a
reopened investigation's letter says it was reopened, and from when they are relieved again."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.http import create_app
from api.wiring import App
from engine.store.repository import OUTBOX
from notifications.letters import compose
from notifications.render import render
from tests.conftest import Clock, complaint_data
from tests.e2e.test_pages import sign_in
from tests.integration.test_kkn_story import kkn_against, staffed  # noqa: F401 (fixture)
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


def _suspension_letters(app: App, kkn_id: str) -> list[Any]:
    """Each kkn_suspension row of the case, with its subject, text and HTML in id and en."""
    with app.db.reading() as s:
        rows = s.execute(
            sa.select(OUTBOX)
            .where(OUTBOX.c.case_id == kkn_id, OUTBOX.c.template == "kkn_suspension")
            .order_by(OUTBOX.c.id)
        ).all()
    now, out = app.service.clock(), []
    for r in rows:
        said = {}
        for lang in ("id", "en"):
            row = SimpleNamespace(**{**r._mapping, "payload": {**r.payload, "language": lang}})
            context = compose(app.db, row, now, "http://x").context
            rendered = render("kkn_suspension", lang, context)
            said[lang] = "\n".join((rendered.subject, rendered.text, rendered.html, rendered.sms))
        out.append((r.event_type, said))
    return out


def test_a_reopened_investigations_letter_says_it_was_reopened_and_from_when(
    staffed: App,  # noqa: F811
    clock: Clock,
) -> None:
    """InvestigationReopened queues kkn_suspension again, and the letter was word for word the
    first one: nothing said the investigation that had cleared him was reopened on new
    information, and that he is relieved of duty again from the reopening's day."""
    app = staffed
    kkn_against(app, "Andi")  # Monday 2 March 2026
    kkn_id = get_staff(app.db, "Andi").cases[0]["id"]
    clock.set(clock() + timedelta(days=1))
    app.service.apply(kkn_id, "find_not_guilty", {}, "pusat.spm")  # Tuesday 3 March
    clock.set(clock() + timedelta(days=2))
    app.service.apply(kkn_id, "reopen", {"reason": "bukti baru dari APIP"}, "kab.bogor")
    first, again = _suspension_letters(app, kkn_id)  # Thursday 5 March
    assert (first[0], again[0]) == ("StaffSuspended", "InvestigationReopened")
    for lang, words, since in (
        ("id", "dibuka kembali", "kembali dibebastugaskan dari pekerjaan terhitung sejak"),
        ("en", "reopened", "again relieved of duty (dibebastugaskan) from"),
    ):
        assert words not in first[1][lang] and since not in first[1][lang]
        said = again[1][lang]
        day = "5 Maret 2026" if lang == "id" else "5 March 2026"
        assert f"{since} {day}" in said, said
        assert said.count(words) >= 4, said  # subject, text, HTML and SMS
        assert "tidak bersalah" in said if lang == "id" else "found you not guilty" in said
        assert "bukti baru dari APIP" not in said  # the office's reason stays its own
