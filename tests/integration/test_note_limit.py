"""An event's note is limited in the service, where every door passes (the API's schema said
2,000 characters, but a page form or the command line stored a note of any length), and a NUL
character, which PostgreSQL cannot store, is refused naming the note instead of failing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.admin import add_user
from api.http import create_app
from api.wiring import App
from engine.errors import InvalidInput
from engine.service import NOTE_MAX
from tests.conftest import Clock, complaint_data
from tests.e2e.test_pages import csrf_from

PASSWORD = "sandi-catatan-123"


def test_a_note_longer_than_the_limit_is_refused_and_nothing_is_written(app: App) -> None:
    case = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    with pytest.raises(InvalidInput) as e:
        app.service.apply(case.id, "advance", {}, "kab.bogor", note="x" * (NOTE_MAX + 1))
    assert e.value.field == "note"
    assert str(e.value) == f"note: is 2,001 characters long; at most {NOTE_MAX:,}"
    assert e.value.message_id == "panjangnya 2.001 karakter; paling banyak 2.000"  # id: 2.001
    assert app.service.get(case.id).version == case.version
    # at the limit it is taken
    done = app.service.apply(case.id, "advance", {}, "kab.bogor", note="x" * NOTE_MAX)
    assert done.version == case.version + 1


def test_a_filing_with_a_long_note_leaves_no_case_and_uses_no_number(app: App) -> None:
    with pytest.raises(InvalidInput):
        app.service.open_case("complaint", complaint_data(), "kab.bogor", note="y" * 5000)
    case = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    assert case.id.endswith("-000001")


def test_a_nul_character_in_a_note_is_refused_naming_the_note(app: App) -> None:
    case = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    with pytest.raises(InvalidInput) as e:
        app.service.apply(case.id, "advance", {}, "kab.bogor", note="sudah\x00dicek")
    assert e.value.field == "note" and e.value.message == "contains a NUL character"
    assert app.service.get(case.id).version == case.version


def test_a_page_form_posting_a_long_note_gets_the_page_back_saying_so(
    app: App, clock: Clock
) -> None:
    add_user(app.db, "kab.catat", "kabupaten", "3271", now=clock(), password=PASSWORD)
    case = app.service.open_case("complaint", complaint_data(), "kab.catat")
    with TestClient(create_app(app)) as web:
        web.get("/login")
        form = {"csrf": web.cookies["pkh_csrf"], "username": "kab.catat", "password": PASSWORD}
        assert web.post("/login", data=form, follow_redirects=False).status_code == 303
        page = web.post(
            f"/cases/{case.id}/view",
            data={
                "csrf": csrf_from(web, f"/cases/{case.id}/view"),
                "event": "advance",
                "version": str(case.version),
                "note": "z" * 5000,  # the textarea's maxlength is the browser's, not a limit
            },
        )
    assert page.status_code == 422, page.text[:500]
    assert "paling banyak 2.000" in page.text
    assert app.service.get(case.id).version == case.version
