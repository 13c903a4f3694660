"""A new password ends the account's sessions: the bearer tokens and page session cookies issued
before it are refused (401), those issued after work, on the SQLite file and on PostgreSQL.
Accounts made over the API need a password unless they say they have none."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.admin import add_user, list_users
from api.http import create_app
from api.wiring import App, build_app
from engine.errors import InvalidInput
from engine.settings import Settings
from engine.store.migrate import current, head, upgrade
from engine.store.tables import UserRow, UTCDateTime
from tests.conftest import TEST_SECRET, WIB, Clock, _postgres_schema_url, complaint_data
from tests.integration.test_api import assert_field, auth, client_for

PASSWORD, NEW_PASSWORD = "sandi-lama-123", "sandi-baru-456"
ENDED = "signed in before the password was changed: sign in again"
ENDED_ID = "Sesi Anda berakhir karena kata sandi telah diganti: silakan masuk lagi."


@pytest.fixture
def officer(app: App) -> str:
    add_user(app.db, "kab.sesi", "kabupaten", "3271", now=app.service.clock(), password=PASSWORD)
    return "kab.sesi"


def _sign_in(client: TestClient, username: str, password: str) -> dict[str, str]:
    r = client.post("/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _refused(r: Any) -> None:  # a TestClient response
    assert r.status_code == 401, r.text
    assert r.json() == {"error": "unauthenticated", "message": ENDED}
    assert r.headers["www-authenticate"].lower().startswith("bearer")


def _changed_at(app: App, username: str) -> datetime | None:
    return next(u.password_changed_at for u in list_users(app.db) if u.username == username)


# ------------------------------------------------------------------------------ the API
def test_a_password_reset_over_the_api_ends_the_tokens_issued_before_it_on_every_route(
    app: App, clock: Clock, officer: str
) -> None:
    client = client_for(app)
    case_id = app.service.open_case("complaint", complaint_data(), "kab.bogor").id
    old = _sign_in(client, officer, PASSWORD)
    assert client.get(f"/cases/{case_id}", headers=old).status_code == 200

    clock.set(clock() + timedelta(minutes=5))
    admin = auth(app, "admin")
    # a new role or region is not a new password: the sessions go on
    r = client.patch(f"/users/{officer}", json={"region": "3271"}, headers=admin)
    assert r.status_code == 200 and client.get("/me", headers=old).status_code == 200
    r = client.patch(f"/users/{officer}", json={"password": NEW_PASSWORD}, headers=admin)
    assert r.status_code == 200, r.text
    assert _changed_at(app, officer) == clock()

    # every way a request reads its account: the signed-in dependency, the worklist's own read,
    # the case read with its account, the command's read inside its transaction
    _refused(client.get("/me", headers=old))
    _refused(client.get("/cases", headers=old))
    _refused(client.get(f"/cases/{case_id}", headers=old))
    _refused(client.post(f"/cases/{case_id}/events", json={"event": "link_reporter"}, headers=old))
    _refused(client.get(f"/cases/{case_id}/history", headers=old))
    assert app.service.get(case_id).version == 1  # the refused command wrote nothing

    new = _sign_in(client, officer, NEW_PASSWORD)
    assert client.get("/me", headers=new).json()["username"] == officer
    assert client.get(f"/cases/{case_id}", headers=new).status_code == 200
    # the other accounts' tokens are untouched
    assert client.get("/me", headers=auth(app, "kab.bogor")).status_code == 200


def test_a_token_from_the_same_second_as_the_change_is_told_apart_by_its_microseconds(
    app: App, clock: Clock, officer: str
) -> None:
    """JWT's `iat` is in whole seconds: a token issued at 09:00:00.2 and a change at 09:00:00.5
    share it. The earlier token is refused; a sign-in at 09:00:00.5 or later works."""
    client = client_for(app)
    second = clock().replace(microsecond=0) + timedelta(minutes=1)
    clock.set(second + timedelta(milliseconds=200))
    before = _sign_in(client, officer, PASSWORD)
    clock.set(second + timedelta(milliseconds=500))
    r = client.patch(
        f"/users/{officer}", json={"password": NEW_PASSWORD}, headers=auth(app, "admin")
    )
    assert r.status_code == 200, r.text
    at_once = _sign_in(client, officer, NEW_PASSWORD)  # the same microsecond as the change
    clock.set(second + timedelta(milliseconds=900))
    later = _sign_in(client, officer, NEW_PASSWORD)
    _refused(client.get("/me", headers=before))
    assert client.get("/me", headers=at_once).status_code == 200
    assert client.get("/me", headers=later).status_code == 200
    # and the token of a second that began before the change, from a pkh without the
    # microsecond claim, is refused too (migration 0013 came after it)
    iat = int(second.timestamp())
    claims = {"sub": officer, "iat": iat, "exp": iat + 3600, "typ": "access"}
    legacy = jwt.encode(claims, app.settings.secret_key, algorithm="HS256")
    _refused(client.get("/me", headers={"Authorization": f"Bearer {legacy}"}))


# ------------------------------------------------------------------------------ the CLI
def test_pkh_user_passwd_ends_the_tokens_issued_before_it(
    app: App, clock: Clock, officer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import api.cli
    from api import cli_admin, cli_users  # noqa: F401 - register the command groups

    client = client_for(app)
    old = _sign_in(client, officer, PASSWORD)
    monkeypatch.setattr(api.cli, "_APP", app)
    clock.set(clock() + timedelta(minutes=5))  # the command line changes it on the app's clock
    res = CliRunner().invoke(
        api.cli.app, ["user", "passwd", officer, "--password-stdin"], input=f"{NEW_PASSWORD}\n"
    )
    assert res.exit_code == 0, res.output
    _refused(client.get("/me", headers=old))
    new = _sign_in(client, officer, NEW_PASSWORD)
    r = client.get("/me", headers=new)
    assert r.status_code == 200, r.text


# ---------------------------------------------------------------------------- the pages
def test_a_page_session_opened_before_a_password_change_ends_and_says_why_in_indonesian(
    app: App, clock: Clock, officer: str
) -> None:
    with TestClient(create_app(app)) as web:
        login = web.get("/login")
        csrf = web.cookies["pkh_csrf"]
        assert login.status_code == 200
        form = {"csrf": csrf, "username": officer, "password": PASSWORD, "next": "/"}
        assert web.post("/login", data=form, follow_redirects=False).status_code == 303
        assert web.get("/", follow_redirects=False).status_code == 200

        clock.set(clock() + timedelta(minutes=5))
        admin = auth(app, "admin")
        r = web.patch(f"/users/{officer}", json={"password": NEW_PASSWORD}, headers=admin)
        assert r.status_code == 200, r.text

        page = web.get("/calendar", follow_redirects=False)
        assert page.status_code == 303
        assert page.headers["location"] == "/login?next=/calendar&ended=password"
        assert "pkh_session" not in web.cookies  # the ended session's cookie is dropped
        told = web.get(page.headers["location"])
        assert told.status_code == 200 and ENDED_ID in told.text

        form = {**form, "csrf": web.cookies["pkh_csrf"], "password": NEW_PASSWORD}
        assert web.post("/login", data=form, follow_redirects=False).status_code == 303
        assert web.get("/", follow_redirects=False).status_code == 200


# ------------------------------------------------------------------------- POST /users
def test_an_account_made_over_the_api_needs_a_password_unless_it_says_it_has_none(
    app: App,
) -> None:
    client, admin = client_for(app), auth(app, "admin")
    body = {"username": "kab.baru", "role": "kabupaten", "region": "3271"}
    assert_field(client.post("/users", json=body, headers=admin), "password")
    r = client.post(
        "/users", json={**body, "no_password": True, "password": PASSWORD}, headers=admin
    )
    assert_field(r, "password")
    assert "kab.baru" not in {u.username for u in list_users(app.db)}

    r = client.post("/users", json={**body, "no_password": True}, headers=admin)
    assert r.status_code == 201, r.text
    r = client.post(
        "/users", json={**body, "username": "kab.baru2", "password": PASSWORD}, headers=admin
    )
    assert r.status_code == 201, r.text
    rows = {u.username: u for u in list_users(app.db)}
    assert rows["kab.baru"].password_hash is None and rows["kab.baru"].password_changed_at is None
    assert rows["kab.baru2"].password_changed_at == app.service.clock()
    # no password to check against: refused as a wrong password is, not a server error
    for typed in (PASSWORD, "x"):
        r = client.post("/auth/token", data={"username": "kab.baru", "password": typed})
        assert r.status_code == 401, r.text
    assert client.post(
        "/auth/token", data={"username": "kab.baru2", "password": PASSWORD}
    ).is_success


def test_pkh_user_add_no_password_still_makes_an_account_that_cannot_sign_in(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    import api.cli
    from api import cli_admin, cli_users  # noqa: F401 - register the command groups

    monkeypatch.setattr(api.cli, "_APP", app)
    res = CliRunner().invoke(
        api.cli.app,
        ["user", "add", "kab.tanpa", "--role", "kabupaten", "--region", "3271", "--no-password"],
    )
    assert res.exit_code == 0 and "no password: cannot sign in" in res.output, res.output
    row = next(u for u in list_users(app.db) if u.username == "kab.tanpa")
    assert row.password_hash is None and row.password_changed_at is None


# -------------------------------------------------------------------------- migration 0013
@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url_at_0012(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
        upgrade(url, "0012")
        yield url
        return
    gen = _postgres_schema_url()
    url = next(gen)
    upgrade(url, "0012")
    yield url
    gen.close()


def test_upgrading_a_0012_store_keeps_its_accounts_and_their_tokens(url_at_0012: str) -> None:
    from api.admin import hash_password

    made = datetime(2026, 3, 1, 8, 0, tzinfo=WIB)
    users = sa.table(
        "users",
        sa.column("username"),
        sa.column("role"),
        sa.column("region"),
        sa.column("password_hash"),
        sa.column("active"),
        sa.column("suspended"),
        sa.column("created_at", UTCDateTime()),
    )
    engine = sa.create_engine(url_at_0012)
    with engine.begin() as conn:  # accounts as a 0012 pkh wrote them
        conn.execute(
            users.insert(),
            [
                {
                    "username": n,
                    "role": role,
                    "region": region,
                    "password_hash": hash_password(PASSWORD),
                    "active": True,
                    "suspended": False,
                    "created_at": made,
                }
                for n, role, region in (("admin", "admin", None), ("kab.lama", "kabupaten", "3271"))
            ],
        )
    engine.dispose()

    upgrade(url_at_0012)
    assert current(url_at_0012) == head()
    clock = Clock(datetime(2026, 3, 2, 9, 0, tzinfo=WIB))
    app = build_app(Settings(database_url=url_at_0012, secret_key=TEST_SECRET), clock=clock)
    try:
        client = client_for(app)
        with app.db.reading() as s:
            changed = s.execute(sa.select(UserRow.password_changed_at)).scalars().all()
        assert changed == [None, None]  # never changed since the upgrade
        # a token a 0012 pkh issued an hour ago still works after the upgrade
        token = auth(app, "kab.lama", at=clock() - timedelta(hours=1))
        assert client.get("/me", headers=token).json()["username"] == "kab.lama"
        clock.set(clock() + timedelta(minutes=1))
        r = client.patch(
            "/users/kab.lama", json={"password": NEW_PASSWORD}, headers=auth(app, "admin")
        )
        assert r.status_code == 200, r.text
        _refused(client.get("/me", headers=token))
    finally:
        app.db.dispose()


# ---------------------------------------------------------------- a name typed in another case
def test_a_username_typed_with_capitals_signs_in_to_its_account(app: App, officer: str) -> None:
    """A phone's keyboard capitalises the first letter ("Kab.sesi"): the one account of that
    name in any case signs in, as itself (the token and the pages name "kab.sesi"). Before,
    the officer was told the username or password was wrong."""
    client = client_for(app)
    r = client.post("/auth/token", data={"username": "Kab.Sesi", "password": PASSWORD})
    assert r.status_code == 200, r.text
    me = client.get("/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"})
    assert me.json()["username"] == officer
    wrong = client.post("/auth/token", data={"username": "KAB.SESI", "password": NEW_PASSWORD})
    assert wrong.status_code == 401  # the password still decides
    with TestClient(create_app(app)) as web:
        web.get("/login")
        form = {"csrf": web.cookies["pkh_csrf"], "username": " KAB.SESI ", "password": PASSWORD}
        assert web.post("/login", data=form, follow_redirects=False).status_code == 303
        assert "kab.sesi" in web.get("/").text
    # the form asks a phone not to capitalise it in the first place
    assert 'autocapitalize="none"' in client.get("/login").text


def test_names_that_differ_only_in_case_are_not_made_and_not_guessed(
    app: App, officer: str
) -> None:
    """A new account "Kab.Sesi" beside "kab.sesi" is refused (nobody could tell them apart when
    signing in). Twins a store already holds (made before this rule) both stay; a name typed
    in a third case signs in to neither, the exact one to its own."""
    with pytest.raises(InvalidInput, match="already exists: usernames must differ") as e:
        add_user(app.db, "Kab.Sesi", "kabupaten", "3271", now=app.service.clock())
    assert e.value.field == "username"
    twin = add_user(app.db, "kab.kembar", "kabupaten", "3271", now=app.service.clock())
    with app.db.transaction() as s:  # as an older pkh could have stored them
        s.execute(
            sa.insert(UserRow.__table__).values(  # type: ignore[attr-defined]
                username="KAB.KEMBAR",
                role="kabupaten",
                region="3271",
                password_hash=twin.password_hash,
                active=True,
                suspended=False,
                created_at=app.service.clock(),
            )
        )
    from api.admin import hash_password

    for name in ("kab.kembar", "KAB.KEMBAR"):
        with app.db.transaction() as s:
            s.execute(
                sa.update(UserRow.__table__)  # type: ignore[attr-defined]
                .where(UserRow.__table__.c.username == name)  # type: ignore[attr-defined]
                .values(password_hash=hash_password(PASSWORD))
            )
    client = client_for(app)
    for typed, status in (("Kab.Kembar", 401), ("kab.kembar", 200), ("KAB.KEMBAR", 200)):
        r = client.post("/auth/token", data={"username": typed, "password": PASSWORD})
        assert r.status_code == status, (typed, r.text)
        if status == 200:
            me = client.get("/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"})
            assert me.json()["username"] == typed


def test_an_account_is_found_in_any_case_by_the_admin_and_as_a_handler_too(
    app: App, officer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sign-in took "Kab.Bekasi" typed "kab.bekasi", but the admin's commands did not (`pkh
    user disable kab.bekasi`: unknown user; PATCH /users/kab.bekasi: 404), and assigning
    handler "KAB.SESI" was refused as an unknown user and, at once, as the handler the case
    already had (helper-47). "SYSTEM" was made as an account although "system" is reserved."""
    import api.cli
    from api import cli_users  # noqa: F401 - registers `pkh user`

    add_user(app.db, "Kab.Bekasi", "kabupaten", "3275", now=app.service.clock(), password=PASSWORD)
    monkeypatch.setattr(api.cli, "_APP", app)
    out = CliRunner().invoke(api.cli.app, ["user", "disable", "kab.bekasi"])
    assert out.exit_code == 0, out.output
    assert {u.username: u.active for u in list_users(app.db)}["Kab.Bekasi"] is False
    client = client_for(app)
    r = client.patch("/users/KAB.BEKASI", json={"active": True}, headers=auth(app, "admin"))
    assert r.status_code == 200 and r.json()["username"] == "Kab.Bekasi", r.text

    for reserved in ("SYSTEM", "System"):
        with pytest.raises(InvalidInput, match="reserved") as e:
            add_user(app.db, reserved, "pusat", None, now=app.service.clock())
        assert e.value.field == "username"
    r = client.post(
        "/users",
        json={"username": "SYSTEM", "role": "pusat", "password": "sandi-panjang-123"},
        headers=auth(app, "admin"),
    )
    assert r.status_code == 422 and r.json()["field"] == "username", r.text

    svc = app.service
    case = svc.open_case("complaint", complaint_data(), "kab.bogor").id
    assigned = svc.apply(case, "assign", {"handler": "KAB.SESI"}, "kab.bogor")
    assert assigned.handler == officer  # the account's own name, as replay finds it
    with pytest.raises(Exception) as again:
        svc.apply(case, "assign", {"handler": "Kab.Sesi"}, "kab.bogor")
    keys = [reason.key for reason in again.value.reasons]  # type: ignore[attr-defined]
    assert keys == ["handler_unchanged"], keys
    from engine.store import audit_runner

    assert audit_runner.verify(app.db).ok


def test_a_token_from_before_an_account_was_disabled_stays_dead_when_it_is_enabled_again(
    app: App, clock: Clock, officer: str
) -> None:
    """Disabling ended the account's tokens only while it stayed disabled: enabled again, the
    old ones worked again (helper-47), a lost phone's session with them. Disabling now ends
    them as a sign-out does; a new sign-in works."""
    client = client_for(app)
    old = _sign_in(client, officer, PASSWORD)
    assert client.get("/me", headers=old).status_code == 200
    admin = auth(app, "admin")
    clock.set(clock() + timedelta(minutes=1))
    assert (
        client.patch(f"/users/{officer}", json={"active": False}, headers=admin).status_code == 200
    )
    assert client.get("/me", headers=old).status_code == 401
    clock.set(clock() + timedelta(minutes=1))
    assert (
        client.patch(f"/users/{officer}", json={"active": True}, headers=admin).status_code == 200
    )
    assert client.get("/me", headers=old).status_code == 401  # still ended
    clock.set(clock() + timedelta(seconds=1))
    new = _sign_in(client, officer, PASSWORD)
    assert client.get("/me", headers=new).json()["username"] == officer


def test_an_account_whose_stored_hash_is_not_a_hash_is_refused_not_a_server_error(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    """A password hash edited by hand (or cut short) in the users table made pwdlib raise
    UnknownHashError: a 500 at /auth/token and at the sign-in page. It is refused as a wrong
    password is (the log says which account's hash is unreadable)."""
    client = client_for(app)
    r = client.post(
        "/users",
        json={"username": "kab.rusak", "role": "kabupaten", "region": "3271", "password": PASSWORD},
        headers=auth(app, "admin"),
    )
    assert r.status_code == 201, r.text
    users = UserRow.__table__  # type: ignore[attr-defined]
    with app.db.transaction() as s:
        s.execute(
            sa.update(users).where(users.c.username == "kab.rusak").values(password_hash="x$y")
        )
    for typed in (PASSWORD, "salah-salah"):
        r = client.post("/auth/token", data={"username": "kab.rusak", "password": typed})
        assert r.status_code == 401, r.text
    page = client.get("/login")
    form = {"username": "kab.rusak", "password": PASSWORD, "csrf": client.cookies["pkh_csrf"]}
    r = client.post("/login", data=form, follow_redirects=False)
    assert r.status_code == 401 and page.status_code == 200, r.text
    assert "pkh_session" not in client.cookies
    unreadable = [r for r in caplog.records if "kab.rusak" in r.getMessage()]
    assert unreadable and "unreadable" in unreadable[0].getMessage()
    assert (
        client.post("/auth/token", data={"username": "admin", "password": "x"}).status_code == 401
    )
    assert len([r for r in caplog.records if "unreadable" in r.getMessage()]) == len(unreadable)
    cut_short(app, client, users, caplog)


def cut_short(app: App, client: TestClient, users: Any, caplog: pytest.LogCaptureFixture) -> None:
    """A real argon2 hash cut short: pwdlib knows it by its prefix and refuses the password
    without a word; the log names the account."""
    add_user(app.db, "kab.potong", "kabupaten", "3271", now=app.service.clock(), password=PASSWORD)
    with app.db.transaction() as s:
        whole = s.execute(
            sa.select(users.c.password_hash).where(users.c.username == "kab.potong")
        ).scalar_one()
        s.execute(
            sa.update(users)
            .where(users.c.username == "kab.potong")
            .values(password_hash=whole[:40])
        )
    r = client.post("/auth/token", data={"username": "kab.potong", "password": PASSWORD})
    assert r.status_code == 401, r.text
    assert any("kab.potong" in r.getMessage() for r in caplog.records)
