"""Guessing passwords is slowed down: after 5 failed sign-ins for one username from one address
within 15 minutes, that address may not try that username again (429 with Retry-After, the
sign-in page says so) until the oldest failure is 15 minutes old, even with the right password.
The officer, from another address, is never locked out by it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api import http
from api.admin import add_user, password_ok
from api.http import create_app
from api.wiring import App, build_app
from engine.settings import Settings
from engine.store.tables import UserRow
from tests.conftest import TEST_SECRET, Clock

PASSWORD = "sandi-benar-123"
PER_ACCOUNT = 5  # failures of one address for one username (api.throttle)
PARALLEL = 16  # wrong passwords sent at once


@pytest.fixture
def officer(app: App) -> str:
    add_user(app.db, "kab.sandi", "kabupaten", "3271", now=app.service.clock(), password=PASSWORD)
    add_user(app.db, "kab.lain", "kabupaten", "3271", now=app.service.clock(), password=PASSWORD)
    return "kab.sandi"


def _token(client: TestClient, username: str, password: str) -> int:
    r = client.post("/auth/token", data={"username": username, "password": password})
    return r.status_code


def test_five_wrong_passwords_hold_back_that_address_for_that_username_only(
    app: App, clock: Clock, officer: str
) -> None:
    fastapi_app = create_app(app)
    guesser = TestClient(fastapi_app, client=("203.0.113.9", 4000))
    for _ in range(PER_ACCOUNT):
        assert _token(guesser, officer, "salah-tebak-1") == 401
    # in any letter case, and even the right password: not checked at all
    r = guesser.post("/auth/token", data={"username": "KAB.SANDI", "password": PASSWORD})
    assert r.status_code == 429, r.text
    assert r.json()["error"] == "too_many_sign_ins"
    assert 0 < int(r.headers["retry-after"]) <= 15 * 60
    # the officer at another address signs in; the guesser may still try another account
    officer_pc = TestClient(fastapi_app, client=("198.51.100.7", 5000))
    assert _token(officer_pc, officer, PASSWORD) == 200
    assert _token(guesser, "kab.lain", PASSWORD) == 200
    # 15 minutes after the first failures, the address may try again
    clock.set(clock() + timedelta(minutes=15, seconds=1))
    assert _token(guesser, officer, PASSWORD) == 200


def test_a_successful_sign_in_clears_the_count_of_its_address(
    app: App, clock: Clock, officer: str
) -> None:
    client = TestClient(create_app(app), client=("203.0.113.10", 4000))
    for _ in range(PER_ACCOUNT - 1):
        assert _token(client, officer, "typo-typo-1") == 401
    assert _token(client, officer, PASSWORD) == 200
    for _ in range(PER_ACCOUNT - 1):
        assert _token(client, officer, "typo-typo-2") == 401
    assert _token(client, officer, PASSWORD) == 200


def test_a_blank_username_is_counted_under_its_own_key_in_the_store(
    app: App, clock: Clock, officer: str
) -> None:
    """A blank username's failures are kept under a key of their own (not the address's "any
    username" one), which each store takes; five of them hold back only blank tries."""
    client = TestClient(create_app(app), client=("203.0.113.11", 4000))
    for _ in range(PER_ACCOUNT):
        assert _token(client, "   ", "tebak-tebak-1") in (401, 422)
    assert _token(client, "  ", "tebak-tebak-2") == 429
    assert _token(client, officer, PASSWORD) == 200


def test_the_sign_in_page_says_to_wait_and_keeps_the_form(
    app: App, clock: Clock, officer: str
) -> None:
    client = TestClient(create_app(app), client=("203.0.113.11", 4000))
    page = client.get("/login")
    csrf = client.cookies["pkh_csrf"]
    assert page.status_code == 200
    form = {"csrf": csrf, "next": "/", "username": officer, "password": "salah-tebak-1"}
    for _ in range(PER_ACCOUNT):
        assert client.post("/login", data=form, follow_redirects=False).status_code == 401
    r = client.post(
        "/login",
        data={**form, "password": PASSWORD, "keep.summary": "Bantuan belum diterima"},
        follow_redirects=False,
    )
    assert r.status_code == 429, r.text
    assert "pkh_session" not in r.cookies
    assert "Terlalu banyak percobaan masuk" in r.text and "15 menit" in r.text
    assert 'name="keep.summary" value="Bantuan belum diterima"' in r.text


def test_parallel_wrong_passwords_get_at_most_five_password_checks(
    app: App, clock: Clock, officer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """16 wrong passwords at once from one address: 5 are checked (401), 11 refused (429).
    Counted after the verdict, every attempt passed the count before any failure was in it.
    Each password check is held until every attempt has been let through or refused, so the
    attempts overlap as much as they can, without timing."""
    fastapi_app = create_app(app)
    state = threading.Condition()
    checked = refused = 0

    def counted(row: UserRow | None, password: str) -> bool:
        nonlocal checked
        with state:
            checked += 1
            state.notify_all()
            state.wait_for(lambda: checked + refused >= PARALLEL, timeout=60)
        return password_ok(row, password)

    monkeypatch.setattr(http, "password_ok", counted)
    start = threading.Barrier(PARALLEL)

    def one(_: int) -> int:
        nonlocal refused
        guesser = TestClient(fastapi_app, client=("203.0.113.12", 4000))
        start.wait(timeout=60)
        status = _token(guesser, officer, "salah-tebak-1")
        if status == 429:
            with state:
                refused += 1
                state.notify_all()
        return status

    with ThreadPoolExecutor(PARALLEL) as pool:
        said = list(pool.map(one, range(PARALLEL)))
    assert checked == PER_ACCOUNT, (checked, sorted(said))
    assert sorted(said) == [401] * PER_ACCOUNT + [429] * (PARALLEL - PER_ACCOUNT)
    guesser = TestClient(fastapi_app, client=("203.0.113.12", 4000))
    assert _token(guesser, officer, PASSWORD) == 429  # the 5 failures are counted
    assert checked == PER_ACCOUNT


# ------------------------------------------------------------- several API processes at once
def _serve(db_url: str, log: Path) -> tuple[str, subprocess.Popen[bytes]]:
    """`pkh serve` in a process of its own on `db_url` (the real clock)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    env = {**os.environ, "PKH_DATABASE_URL": db_url, "PKH_SECRET_KEY": TEST_SECRET}
    pkh = str(Path(sys.executable).with_name("pkh"))
    out = log.open("wb")
    proc = subprocess.Popen(
        [pkh, "serve", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return base, proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"pkh serve did not start:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.3)


@pytest.mark.slow
def test_two_api_processes_count_the_same_failures(db_url: str, tmp_path: Path) -> None:
    """Two `pkh serve` processes on one database (two machines, or two of `--workers N`): the
    failures one counted hold the guesser back at the other. Counted per process, each gave
    it 5 tries of its own, so N processes gave N times the attempts. Sent at once to both, 16
    wrong passwords get 5 checks: each attempt is counted before its password is checked, in
    a step that the other process's attempts wait for."""
    setup = build_app(Settings(database_url=db_url, secret_key=TEST_SECRET))
    now = setup.service.clock()
    add_user(setup.db, "kab.sandi", "kabupaten", "3271", now=now, password=PASSWORD)
    add_user(setup.db, "kab.lain", "kabupaten", "3271", now=now, password=PASSWORD)
    setup.db.dispose()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        one, first = _serve(db_url, tmp_path / "one.log")
        procs.append(first)
        two, second = _serve(db_url, tmp_path / "two.log")
        procs.append(second)
        guess = {"username": "kab.sandi", "password": "salah-tebak-1"}
        said = []
        for i in range(PER_ACCOUNT + 2):  # alternately, as a balancer would send them
            base = one if i % 2 == 0 else two
            said.append(httpx.post(f"{base}/auth/token", data=guess, timeout=30).status_code)
        assert said == [401] * PER_ACCOUNT + [429, 429], said
        right = {**guess, "password": PASSWORD}
        assert httpx.post(f"{one}/auth/token", data=right, timeout=30).status_code == 429
        # 16 wrong passwords for another account at once, half to each process: 5 checked
        start = threading.Barrier(PARALLEL)

        def one_guess(i: int) -> int:
            base = one if i % 2 == 0 else two
            other = {"username": "kab.lain", "password": f"salah-tebak-{i}"}
            with httpx.Client(timeout=60) as client:
                start.wait(timeout=60)
                return client.post(f"{base}/auth/token", data=other).status_code

        with ThreadPoolExecutor(PARALLEL) as pool:
            said = sorted(pool.map(one_guess, range(PARALLEL)))
        assert said == [401] * PER_ACCOUNT + [429] * (PARALLEL - PER_ACCOUNT), said
    finally:
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
