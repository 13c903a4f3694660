"""The accused reading the complaint about them saw "Identitas dirahasiakan: tidak" next to
"Nama pelapor: *** (dirahasiakan)": the name hidden, yet the page said the identity was not
confidential. It now says why the name is hidden from them (the complaint is about them),
without saying whether the reporter asked for confidentiality."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api.http import create_app
from api.wiring import App
from tests.conftest import complaint_data
from tests.e2e.test_pages import sign_in
from tests.integration.test_kkn_story import staffed  # noqa: F401 (fixture)


def _words(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _reporter_block(client: TestClient, case_id: str, lang: str) -> str:
    client.get(f"/lang/{lang}")
    page = client.get(f"/cases/{case_id}/view").text
    heading = "<h2>Pelapor</h2>" if lang == "id" else "<h2>Reporter</h2>"
    return _words(page.split(heading, 1)[1].split("</section>", 1)[0])


def _timeline(client: TestClient, case_id: str) -> str:
    client.get("/lang/id")
    return _words(client.get(f"/cases/{case_id}/view").text.split("<h2>Riwayat</h2>", 1)[1])


def _about_andi(app: App, confidential: bool) -> str:
    """A KKN complaint naming Andi (pdp.andi), filed by kab.bogor from Ibu Siti."""
    data = complaint_data(type="kkn", accused="Andi", summary="Pungutan liar saat penyaluran")
    return app.service.open_case(
        "complaint", {**data, "confidential": confidential}, "kab.bogor"
    ).id


@pytest.mark.parametrize("confidential", [False, True])
def test_the_accused_is_told_the_reporter_is_hidden_from_them_because_it_is_about_them(
    staffed: App,  # noqa: F811
    confidential: bool,
) -> None:
    app = staffed
    case_id = _about_andi(app, confidential)
    with TestClient(create_app(app)) as client:
        sign_in(client, app, "pdp.andi")
        said = _reporter_block(client, case_id, "id")
        assert "Nama pelapor *** (dirahasiakan)" in said, said
        assert "Identitas dirahasiakan dari Anda, karena pengaduan ini menyangkut Anda" in said, (
            said
        )
        assert "Ibu Siti" not in said and " tidak " not in f"{said} " and " ya " not in said
        said = _reporter_block(client, case_id, "en")
        assert "Identity kept confidential from you, as this complaint is about you" in said
        # nor does the filing's line in the timeline say whether the reporter asked
        said = _timeline(client, case_id)
        assert "Nama pelapor: *** (dirahasiakan)" in said and "Identitas dirahasiakan" not in said
        # an officer it is not about reads the reporter and whether they asked for secrecy
        sign_in(client, app, "kab.bogor")
        said = _reporter_block(client, case_id, "id")
        assert "Ibu Siti" in said and "menyangkut Anda" not in said
        assert f"Identitas dirahasiakan {'ya' if confidential else 'tidak'}" in said, said
        said = _timeline(client, case_id)
        assert ("Identitas dirahasiakan: ya" in said) is confidential, said


@pytest.mark.parametrize("confidential", [False, True])
def test_the_accused_does_not_learn_from_the_api_or_the_cli_whether_the_reporter_asked(
    staffed: App,  # noqa: F811
    confidential: bool,
) -> None:
    """The page hid from the accused whether the reporter asked for confidentiality, but
    `GET /cases/{id}`, its history and replay, and `pkh case show/history --actor` still
    answered `"confidential": true` (helper-84's finding): what the reporter feared is not the
    accused's to know. An officer the complaint is not about still reads it."""
    from api import views
    from tests.integration.test_api import auth
    from workflows.roles import is_subject

    app = staffed
    case_id = _about_andi(app, confidential)
    with TestClient(create_app(app)) as client:
        for user, told in (("pdp.andi", False), ("kab.bogor", True)):
            h = auth(app, user)
            case = client.get(f"/cases/{case_id}", headers=h).json()
            assert ("confidential" in case["attrs"]) is told, (user, case["attrs"])
            history = client.get(f"/cases/{case_id}/history", headers=h).json()
            filed = history["events"][0] if isinstance(history, dict) else history[0]
            assert ("confidential" in filed["data"]) is told, (user, filed)
            now = client.get(f"/cases/{case_id}/replay", headers=h).json()
            assert ("confidential" in now["attrs"]) is told, (user, now["attrs"])
            if told:
                assert case["attrs"]["confidential"] is confidential
    # the CLI's views, as `pkh case show/history --actor pdp.andi` build them
    state = app.service.get(case_id)
    andi = app.service.actor("pdp.andi")
    assert is_subject(andi, state)
    assert "confidential" not in views.case_out(app.registry, state, andi)["attrs"]
    events = app.service.history(case_id)
    assert all("confidential" not in views.event_view(c, subject=True)["data"] for c in events)
