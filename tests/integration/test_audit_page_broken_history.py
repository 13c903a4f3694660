"""A case whose stored events no longer fold (one deleted by hand): what the auditor's page,
the API's replay and `pkh case replay` say of it. FastAPI's client on a SQLite file (and
PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.admin import add_user
from api.wiring import App
from tests.conftest import Clock, complaint_data
from tests.e2e.test_pages import sign_in


def _case_with_an_event_deleted(app: App, clock: Clock) -> str:
    case_id = app.service.open_case("complaint", complaint_data(), "kab.bogor").id
    for data in ({}, {"parties": "PT Pos cabang Bogor"}):
        clock.set(clock() + timedelta(hours=1))
        app.service.apply(case_id, "advance", data, "kab.bogor")
    with app.db.write_engine.begin() as conn:
        conn.execute(
            sa.text("DELETE FROM case_events WHERE case_id = :c AND version = 2"), {"c": case_id}
        )
    return case_id


def test_the_auditors_page_names_a_deleted_event_in_its_language_and_still_checks_the_case(
    app: App, clock: Clock
) -> None:
    """Regression: with version 2 of a complaint deleted by hand, the auditor's page said only
    'Tidak dapat ditampilkan. case ADU-...: version 3 follows 1' (the engine's English) and
    showed no check of the case, so the auditor, whose page this is for, was not told the
    store was altered nor which problem verify finds. The API's replay answered 422
    `replay_error`, as if the request were wrong. Now the page says the stored data was
    altered outside the application, in its language, and shows the case's check naming the
    gap (`version_gap`); the API answers 409 `stored_data_unreadable` as for any damaged row,
    and `pkh case replay` says to run `pkh audit verify --all`."""
    from api.http import create_app

    case_id = _case_with_an_event_deleted(app, clock)
    add_user(app.db, "auditor.sulsel", "auditor", "73", now=clock())
    with TestClient(create_app(app)) as web:
        sign_in(web, app, "auditor")
        page = web.get("/audit", params={"case_id": case_id})
        assert page.status_code == 200
        assert "basis data diubah di luar aplikasi" in page.text, page.text
        assert "Nomor versi kejadian terputus" in page.text and "version_gap" in page.text
        assert 'class="card verify"' in page.text
        # the detail in the page's language too, not the engine's English
        assert "seharusnya versi 2, ditemukan versi 3" in page.text, page.text
        assert "expected version" not in page.text, page.text
        web.get("/lang/en", follow_redirects=False)
        page = web.get("/audit", params={"case_id": case_id})
        assert "the database was altered outside the application" in page.text
        assert "Event versions have a gap" in page.text
        assert "expected version 2, found 3" in page.text and "seharusnya" not in page.text

        sign_in(web, app, "auditor.sulsel")  # another region's auditor: no such case
        page = web.get("/audit", params={"case_id": case_id})
        assert "version_gap" not in page.text and 'class="card verify"' not in page.text

        r = web.get(
            f"/cases/{case_id}/replay",
            params={"as_of": (clock() + timedelta(days=1)).isoformat()},
            headers={"Authorization": f"Bearer {_token(app, 'auditor')}"},
        )
        assert r.status_code == 409, r.text
        body: dict[str, Any] = r.json()
        assert body["error"] == "stored_data_unreadable" and body["version"] == 3, body
        assert "pkh audit verify --all" in body["message"]

    import api.cli

    api.cli._APP, before = app, api.cli._APP
    try:
        said = CliRunner().invoke(api.cli.app, ["case", "replay", case_id, "--as-of", "2030-01-01"])
    finally:
        api.cli._APP = before
    assert said.exit_code == 1 and "pkh audit verify --all" in said.output, said.output


def _token(app: App, username: str) -> str:
    from api.http import TOKEN_TTL
    from api.security import create_token

    return create_token(username, app.settings.secret_key, app.service.clock(), TOKEN_TTL)


def test_a_damaged_event_of_a_case_outside_ones_region_is_not_found_not_named(
    app: App, clock: Clock
) -> None:
    """Regression: with a payload of a Bogor complaint made unreadable by hand, kab.makassar
    (and an auditor of province 73) asking for its history or replay got 409
    stored_data_unreadable naming the case, the version and the column: the case's
    existence, and its damage, told outside its region, where every other door answers 404.
    The events were read, and refused, before the region was checked. Now those outside the
    region get 404; those within it still get the 409 that says what is wrong."""
    from api.http import create_app

    case_id = app.service.open_case("complaint", complaint_data(), "kab.bogor").id
    add_user(app.db, "auditor.sulsel", "auditor", "73", now=clock())
    with app.db.write_engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE case_events SET payload = '\"text\"' WHERE case_id = :c"),
            {"c": case_id},
        )
    at = {"as_of": (clock() + timedelta(days=1)).isoformat()}
    with TestClient(create_app(app)) as web:
        for who, status in (
            ("kab.makassar", 404),
            ("auditor.sulsel", 404),
            ("kab.bogor", 409),
            ("auditor", 409),
        ):
            auth = {"Authorization": f"Bearer {_token(app, who)}"}
            for path, params in (("history", {}), ("replay", at)):
                r = web.get(f"/cases/{case_id}/{path}", params=params, headers=auth)
                assert r.status_code == status, (who, path, r.text)
                said = "stored_data_unreadable" if status == 409 else "case_not_found"
                assert r.json()["error"] == said, (who, path, r.text)
                assert ("payload" in r.text) == (status == 409), (who, path, r.text)
