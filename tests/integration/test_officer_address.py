"""An officer's address for reminders and notices can be given, changed and removed after the
account is made (`pkh user set --email`, PATCH /users/{name}), not only when it is created:
an account made without one (the demo's, any `pkh user add` without --email) had its
reminders go to the log for good."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from api.wiring import App
from engine.store.repository import OUTBOX
from engine.sweeper import sweep
from notifications.letters import compose
from tests.conftest import Clock, complaint_data
from tests.integration.test_api import auth, client_for
from tests.integration.test_sweep_review import at, pkh


def reminder_address(app: App, clock: Clock) -> str:
    """Where the reminder the sweep queued for kab.bogor goes, as the dispatcher reads it."""
    with app.db.reading() as s:
        row = s.execute(sa.select(OUTBOX).where(OUTBOX.c.template == "reminder_due_soon")).one()
    return compose(app.db, row, clock(), "https://pkh.example").address


def test_an_admin_gives_changes_and_removes_an_officers_address_through_the_api(
    app: App, clock: Clock
) -> None:
    app.service.open_case("complaint", complaint_data(), "kab.bogor")
    sweep(app.service, at(clock, "2026-03-05T09:00:00+07:00"))  # due soon: kab.bogor reminded
    assert reminder_address(app, clock) == ""  # made without one: the reminder goes to the log
    client, admin = client_for(app), auth(app, "admin")
    given = {"email": " kab.bogor@kemensos.go.id "}
    r = client.patch("/users/kab.bogor", json=given, headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["email"] == "kab.bogor@kemensos.go.id" and r.json()["role"] == "kabupaten"
    assert reminder_address(app, clock) == "kab.bogor@kemensos.go.id"
    listed = client.get("/users", headers=admin).json()
    assert {"username": "kab.bogor", "email": "kab.bogor@kemensos.go.id"}.items() <= next(
        u for u in listed if u["username"] == "kab.bogor"
    ).items()
    r = client.patch("/users/kab.bogor", json={"email": ""}, headers=admin)
    assert r.status_code == 200 and r.json()["email"] is None
    assert reminder_address(app, clock) == ""


def test_pkh_user_set_gives_an_officer_an_address_and_user_list_shows_it(
    app: App, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import api.cli_users  # noqa: F401  (registers `pkh user set`)

    def listed(name: str) -> Any:
        out = pkh(app, monkeypatch, "user", "list", "--json")
        assert out.exit_code == 0, out.output
        return next(u for u in json.loads(out.output) if u["username"] == name)

    assert listed("kab.bogor")["email"] is None
    line = pkh(app, monkeypatch, "user", "list").output
    assert any(x.startswith("kab.bogor ") and "no-address" in x for x in line.splitlines())
    r = pkh(
        app,
        monkeypatch,
        *("user", "set", "kab.bogor", "--email", "0812-3456-7890", "--full-name", "Budi S."),
    )
    assert r.exit_code == 0, r.output
    assert "email set" in r.output and "full name set" in r.output
    assert listed("kab.bogor")["email"] == "0812-3456-7890"
    assert pkh(app, monkeypatch, "user", "set", "kab.bogor", "--email", "").exit_code == 0
    assert listed("kab.bogor")["email"] is None
    nothing = pkh(app, monkeypatch, "user", "set", "kab.bogor")
    assert nothing.exit_code == 2 and "--email" in nothing.output


# "0251-8321234": an office's landline, which the SMS gateway cannot text
@pytest.mark.parametrize(
    "typo", ["budi@bogor", "budi.bogor.go.id", "budi @bogor.go.id", "Bogor", "0251-8321234"]
)
def test_an_address_no_reminder_could_reach_is_refused_naming_it(
    app: App, monkeypatch: Any, typo: str
) -> None:
    """`pkh user add --email` and `user set --email` (and the API) kept any text: a typo such
    as "budi@bogor" was stored and every reminder to the account dead-lettered later, seen
    by nobody who could mend it then (helper-85's finding). An address must be an e-mail
    address or a mobile number for the SMS gateway; anything else is bad input naming the
    field and the value, and nothing is written."""
    client, admin = client_for(app), auth(app, "admin")
    r = client.patch("/users/kab.bogor", json={"email": typo}, headers=admin)
    assert r.status_code == 422, r.text
    assert "email" in r.text and typo in r.text, r.text
    made = client.post(
        "/users",
        json={
            "username": "kab.baru",
            "role": "kabupaten",
            "region": "3271",
            "email": typo,
            "no_password": True,
        },
        headers=admin,
    )
    assert made.status_code == 422 and "email" in made.text, made.text
    out = pkh(app, monkeypatch, "user", "set", "kab.bogor", "--email", typo)
    assert out.exit_code == 2 and typo in out.output, out.output
    listed = json.loads(pkh(app, monkeypatch, "user", "list", "--json").output)
    assert {u["username"] for u in listed} >= {"kab.bogor"}
    assert "kab.baru" not in {u["username"] for u in listed}
    assert next(u for u in listed if u["username"] == "kab.bogor").get("email") in (None, "")
    # an e-mail address or a mobile number still goes in
    for good in ("kab.bogor@kemensos.go.id", "0812-3456-7890"):
        r = client.patch("/users/kab.bogor", json={"email": good}, headers=admin)
        assert r.status_code == 200, r.text
