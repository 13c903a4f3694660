"""Keeping accounts after they are made (PATCH /users/{username}), and the demo that loads
only into an empty store: through FastAPI's client, on the SQLite file and on PostgreSQL."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from api.admin import add_user, list_users
from api.wiring import App, build_app
from engine.errors import InvalidInput
from engine.settings import Settings
from engine.store.migrate import upgrade
from engine.store.tables import CaseEventRow
from tests.conftest import WIB, Clock
from tests.integration.test_api import assert_field, auth, client_for, file_case
from workflows.demo import DEMO_PASSWORD, USERS, load_demo


def _sign_in(app: App, username: str, password: str) -> int:
    r = client_for(app).post("/auth/token", data={"username": username, "password": password})
    return r.status_code


def _user(app: App, username: str) -> dict[str, object]:
    row = next(u for u in list_users(app.db) if u.username == username)
    return {"role": row.role, "region": row.region, "active": row.active}


# ---------------------------------------------------------------------------- PATCH /users
def test_an_admin_resets_a_password_and_the_new_one_signs_in(app: App) -> None:
    r = client_for(app).patch(
        "/users/kab.bogor", json={"password": "sandi-baru-123"}, headers=auth(app, "admin")
    )
    assert r.status_code == 200, r.text
    assert _sign_in(app, "kab.bogor", "sandi-baru-123") == 200
    assert _sign_in(app, "kab.bogor", "sandi-lain-999") == 401


def test_a_disabled_users_existing_token_stops_working_at_once_and_enabling_restores_it(
    app: App,
) -> None:
    client = client_for(app)
    admin = auth(app, "admin")
    add_user(app.db, "kab.cuti", "kabupaten", "3271", now=app.service.clock(), password="x" * 8)
    mine = auth(app, "kab.cuti")  # issued before the account is disabled
    assert client.get("/me", headers=mine).status_code == 200
    r = client.patch("/users/kab.cuti", json={"active": False}, headers=admin)
    assert r.status_code == 200 and r.json()["active"] is False, r.text
    for path in ("/me", "/cases"):
        r = client.get(path, headers=mine)
        assert r.status_code == 401 and r.json()["message"] == "the account is no longer active"
    assert _sign_in(app, "kab.cuti", "x" * 8) == 401
    assert client.patch("/users/kab.cuti", json={"active": True}, headers=admin).status_code == 200
    assert client.get("/me", headers=mine).status_code == 200
    assert _sign_in(app, "kab.cuti", "x" * 8) == 200


def test_role_and_region_are_checked_as_on_creation_and_a_national_role_drops_the_region(
    app: App,
) -> None:
    client, admin = client_for(app), auth(app, "admin")
    r = client.patch("/users/pdp.bogor", json={"role": "kabupaten"}, headers=admin)
    assert_field(r, "region")  # a kabupaten needs a 4-digit region, not 327101
    r = client.patch(
        "/users/pdp.bogor", json={"role": "kabupaten", "region": "3271"}, headers=admin
    )
    assert r.status_code == 200, r.text
    assert _user(app, "pdp.bogor") == {"role": "kabupaten", "region": "3271", "active": True}
    r = client.patch("/users/pdp.bogor", json={"role": "pusat"}, headers=admin)
    assert r.status_code == 200 and r.json()["region"] is None, r.text
    r = client.patch("/users/pdp.bogor", json={"region": "3271"}, headers=admin)
    assert_field(r, "region")  # pusat is national
    assert _user(app, "pdp.bogor") == {"role": "pusat", "region": None, "active": True}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"role": "raja"}, "role"),
        ({"region": "327"}, "region"),
        ({"region": "9999"}, "region"),
        ({"password": "short"}, "password"),
        ({"password": None}, "password"),
        ({"active": None}, "active"),
        ({"active": "maybe"}, "active"),
        ({"username": "other"}, "username"),
        ({}, "body"),
    ],
)
def test_a_bad_value_is_422_naming_the_field_and_changes_nothing(
    app: App, body: dict[str, object], field: str
) -> None:
    before = _user(app, "kab.bogor")
    r = client_for(app).patch("/users/kab.bogor", json=body, headers=auth(app, "admin"))
    assert_field(r, field)
    assert _user(app, "kab.bogor") == before


def test_an_unknown_user_is_404_and_a_non_admin_is_403(app: App) -> None:
    client = client_for(app)
    r = client.patch("/users/nobody", json={"active": False}, headers=auth(app, "admin"))
    assert r.status_code == 404, r.text
    r = client.patch("/users/kab.bogor", json={"active": False}, headers=auth(app, "pusat.spm"))
    assert r.status_code == 403, r.text
    assert _user(app, "kab.bogor")["active"] is True


def test_the_last_active_admin_is_neither_disabled_nor_demoted(app: App) -> None:
    client, admin = client_for(app), auth(app, "admin")
    for body, field in (({"active": False}, "active"), ({"role": "pusat"}, "role")):
        r = client.patch("/users/admin", json=body, headers=admin)
        assert_field(r, field)
        assert "last active admin" in r.json()["message"]
    assert _user(app, "admin") == {"role": "admin", "region": None, "active": True}
    # with a second admin the first may go; then the second is the last one
    add_user(app.db, "admin2", "admin", None, now=app.service.clock())
    assert client.patch("/users/admin", json={"active": False}, headers=admin).status_code == 200
    admin2 = auth(app, "admin2")
    r = client.patch("/users/admin2", json={"role": "pusat"}, headers=admin2)
    assert_field(r, "role")
    # a disabled admin does not count, and enabling it again is allowed
    assert client.patch("/users/admin", json={"active": True}, headers=admin2).status_code == 200


def test_each_change_is_logged_with_the_admin_who_made_it(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="pkh.admin"):
        r = client_for(app).patch(
            "/users/kab.bogor", json={"active": False}, headers=auth(app, "admin")
        )
    assert r.status_code == 200
    assert "user kab.bogor changed by admin: disabled" in caplog.text


# ------------------------------------------------------------------------------------- demo
@pytest.fixture
def empty_app(tmp_path: Path) -> Iterator[App]:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    upgrade(url)
    a = build_app(Settings(database_url=url), clock=Clock(datetime(2026, 3, 2, 9, 0, tzinfo=WIB)))
    yield a
    a.db.dispose()


def _counts(app: App) -> tuple[int, int]:
    with app.db.reading() as s:
        events = s.execute(sa.select(sa.func.count()).select_from(CaseEventRow)).scalar_one()
    return len(list_users(app.db)), int(events)


def test_the_demo_refuses_a_store_with_users_and_cases_of_its_own_and_writes_nothing(
    app: App,
) -> None:
    # `app` holds real-looking officers (some named as the demo's) and a case
    file_case(app)
    before = _counts(app)
    with pytest.raises(InvalidInput) as e:
        load_demo(app)
    assert e.value.field == "database" and "empty database" in str(e.value)
    assert _counts(app) == before


def test_the_demo_refuses_a_store_holding_only_other_users(empty_app: App) -> None:
    add_user(empty_app.db, "kab.sleman", "kabupaten", "3404", now=empty_app.service.clock())
    with pytest.raises(InvalidInput, match="holds 1 user not the demo's"):
        load_demo(empty_app)
    assert _counts(empty_app) == (1, 0)


def test_the_demo_loads_into_an_empty_store_once_and_a_second_run_skips(empty_app: App) -> None:
    assert load_demo(empty_app) is not None
    loaded = _counts(empty_app)
    assert loaded[0] == len(USERS) and loaded[1] > 32
    assert _sign_in(empty_app, "admin", DEMO_PASSWORD) == 200
    assert load_demo(empty_app) is None
    assert _counts(empty_app) == loaded


def test_the_demo_loads_beside_other_data_only_when_told_to(empty_app: App) -> None:
    add_user(empty_app.db, "kab.sleman", "kabupaten", "3404", now=empty_app.service.clock())
    assert load_demo(empty_app, into_existing=True) is not None
    assert _counts(empty_app)[0] == len(USERS) + 1


# ------------------------------------------------------------------------- concurrent changes
def _meeting(fn: object, parties: int = 2) -> object:
    """`fn`, made to wait (up to a second) until `parties` callers have reached it: where two
    changes could both pass their check before either writes, they do."""
    import threading

    barrier = threading.Barrier(parties)

    def wrapped(*args: object, **kwargs: object) -> object:
        # the other may be held back (by the lock) until this one is done
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=1)
        return fn(*args, **kwargs)  # type: ignore[operator]

    return wrapped


def test_two_changes_of_one_account_at_once_leave_a_role_and_region_that_go_together(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One sets provinsi with region 32, the other region 3201: on the same row unlocked, each
    checked its own half and `provinsi 3201` was stored, which no check allows."""
    from concurrent.futures import ThreadPoolExecutor

    from api import admin
    from workflows.roles import check_role_region

    met = _meeting(check_role_region)

    def checked(role: str, region: str | None) -> object:
        found = met(role, region)  # type: ignore[operator]
        if region == "3201":  # the region's change writes last: over the role's, unlocked
            time.sleep(0.3)
        return found

    monkeypatch.setattr(admin, "check_role_region", checked)
    changes = [{"role": "provinsi", "region": "32"}, {"region": "3201"}]

    def change(given: dict[str, str]) -> str:
        try:
            admin.update_user(app.db, "kab.bogor", actor="admin", **given)  # type: ignore[arg-type]
        except InvalidInput as e:
            return e.field
        return "ok"

    with ThreadPoolExecutor(max_workers=2) as pool:
        said = list(pool.map(change, changes))
    stored = _user(app, "kab.bogor")
    assert check_role_region(str(stored["role"]), stored["region"]) == (  # type: ignore[arg-type]
        stored["role"],
        stored["region"],
    ), (said, stored)
    assert "ok" in said


def test_two_admins_disabling_each_other_at_once_leave_one_without_a_deadlock(
    app: App, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from api import admin

    add_user(app.db, "admin.dua", "admin", None, now=clock(), password="sandi-admin-2")
    monkeypatch.setattr(admin, "_keep_an_admin", _meeting(admin._keep_an_admin))

    def disable(name: str) -> str:
        try:
            admin.update_user(app.db, name, actor="admin", active=False)
        except InvalidInput as e:
            return e.field
        return "ok"

    with ThreadPoolExecutor(max_workers=2) as pool:
        said = sorted(pool.map(disable, ["admin", "admin.dua"]))
    assert said == ["active", "ok"]  # one disabled, the other refused as the last admin
    assert sum(bool(_user(app, n)["active"]) for n in ("admin", "admin.dua")) == 1


@pytest.mark.parametrize("second", ["kab.kembar", "Kab.Kembar"], ids=["same", "other-case"])
def test_two_admins_adding_one_name_at_once_make_one_account(
    app: App, clock: Clock, monkeypatch: pytest.MonkeyPatch, second: str
) -> None:
    """Both checked the name before either wrote: on PostgreSQL the same name was a 500 (the
    key's unique violation), and a name differing only in case made two accounts that no
    sign-in typed in another case could tell apart."""
    from concurrent.futures import ThreadPoolExecutor

    from engine.store import repository

    met = _meeting(repository.usernames_ignoring_case)
    monkeypatch.setattr(repository, "usernames_ignoring_case", met)

    def add(name: str) -> str:
        try:
            add_user(app.db, name, "kabupaten", "3271", now=clock())
        except InvalidInput as e:
            return e.field
        return "ok"

    with ThreadPoolExecutor(max_workers=2) as pool:
        said = sorted(pool.map(add, ["kab.kembar", second]))
    assert said == ["ok", "username"]
    assert [u.username.lower() for u in list_users(app.db)].count("kab.kembar") == 1


def test_an_account_disabled_while_its_filing_is_under_way_is_401_and_files_nothing(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Disabled between the request's sign-in check and the command's own read of the account
    (an admin's PATCH racing the officer): it was answered 404, as if the route did not exist."""
    from api import admin
    from tests.conftest import complaint_data

    real = app.service.open_case_once

    def disabled_first(*args: object, **kwargs: object) -> object:
        admin.update_user(app.db, "kab.bogor", actor="admin", active=False)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    headers = auth(app, "kab.bogor")
    monkeypatch.setattr(app.service, "open_case_once", disabled_first)
    r = client_for(app).post("/complaints", json=complaint_data(), headers=headers)
    assert r.status_code == 401, r.text
    assert r.json()["message"] == "the account is no longer active"
    with app.db.reading() as s:
        assert s.execute(sa.select(sa.func.count()).select_from(CaseEventRow)).scalar_one() == 0


def test_the_right_password_of_a_disabled_account_is_told_so_a_wrong_one_is_not(
    app: App,
) -> None:
    """A disabled officer who signed in again was told "wrong username or password"
    (/auth/token, and "Nama pengguna atau kata sandi salah." on the sign-in page), though
    the password was right: they went on trying it, and asked for a reset, instead of asking
    for the account to be enabled (helper-86's finding). The right password of a disabled
    account is now told so, on both doors; a wrong one reads as any wrong one (nothing says
    whether a name exists or is disabled), and it stays a failed sign-in for the throttle."""
    from fastapi.testclient import TestClient

    from api.http import create_app
    from tests.e2e.test_pages import csrf_from

    add_user(app.db, "kab.cuti", "kabupaten", "3271", now=app.service.clock(), password="x" * 8)
    r = client_for(app).patch("/users/kab.cuti", json={"active": False}, headers=auth(app, "admin"))
    assert r.status_code == 200, r.text
    right = client_for(app).post("/auth/token", data={"username": "kab.cuti", "password": "x" * 8})
    assert right.status_code == 401 and "disabled" in right.json()["message"], right.text
    wrong = client_for(app).post("/auth/token", data={"username": "kab.cuti", "password": "y" * 8})
    nobody = client_for(app).post("/auth/token", data={"username": "kab.tak", "password": "y" * 8})
    assert wrong.status_code == nobody.status_code == 401
    assert wrong.json()["message"] == nobody.json()["message"] == "wrong username or password"
    with TestClient(create_app(app)) as web:
        form = {"csrf": csrf_from(web, "/login"), "username": "kab.cuti", "next": "/"}
        page = web.post("/login", data={**form, "password": "x" * 8})
        assert page.status_code == 403, page.status_code
        assert "Akun ini dinonaktifkan" in page.text and "kata sandi salah" not in page.text
        assert "pkh_session" not in web.cookies
        page = web.post("/login", data={**form, "password": "y" * 8})
        assert page.status_code == 401 and "Akun ini dinonaktifkan" not in page.text
