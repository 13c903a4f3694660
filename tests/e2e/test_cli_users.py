"""`pkh user ...` keeps accounts after they are made, and `pkh demo` loads only into an empty
store: through the real command, a subprocess per call, with stdin a pipe (no terminal)."""

from __future__ import annotations

import os
import pty
import select
import sqlite3
import subprocess
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from api.admin import verify_password
from tests.e2e.test_cli import Pkh as CliPkh
from tests.e2e.test_cli import copy_db, one_line_error, query

USERS = [
    ("admin", "admin", None),
    ("kab.bogor", "kabupaten", "3271"),
    ("pdp.bogor", "pendamping", "327101"),
]


@dataclass
class Pkh(CliPkh):
    """`pkh` with stdin a pipe (empty unless given): no terminal to ask on."""

    def run(self, *args: str, stdin: str | None = "") -> subprocess.CompletedProcess[str]:
        return super().run(*args, stdin="" if stdin is None else stdin)

    def refused(self, code: int, *args: str, stdin: str = "") -> str:
        r = self.run(*args, stdin=stdin)
        assert r.returncode == code, f"pkh {' '.join(args)} -> {r.returncode}\n{r.stderr}"
        return one_line_error(r)

    def user(self, name: str) -> tuple[str, str | None, int, str | None]:
        rows = query(
            self.db,
            "SELECT role, region, active, password_hash FROM users WHERE username = ?",
            (name,),
        )
        assert rows, f"no user {name}"
        return rows[0]  # type: ignore[return-value]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pkh = Pkh(tmp_path_factory.mktemp("users") / "pkh.db")
    pkh.ok("db", "upgrade")
    for name, role, region in USERS:
        pkh.ok(
            "user",
            "add",
            name,
            "--role",
            role,
            *(["--region", region] if region else []),
            "--password",
            "sandi-awal-123",
        )
    return pkh.db


@pytest.fixture
def pkh(template: Path, tmp_path: Path) -> Pkh:
    return Pkh(copy_db(template, tmp_path / "pkh.db"))


def test_user_add_without_a_password_and_no_terminal_is_refused_and_writes_nothing(
    pkh: Pkh,
) -> None:
    error = pkh.refused(2, "user", "add", "kab.baru", "--role", "kabupaten", "--region", "3271")
    assert "--password-stdin" in error and "--password" in error and "--no-password" in error
    assert query(pkh.db, "SELECT 1 FROM users WHERE username = 'kab.baru'") == []
    # a typo in the role is told first, before any password is asked for
    assert "role" in pkh.refused(2, "user", "add", "kab.baru", "--role", "kabupatn")


def test_user_add_reads_the_password_from_stdin_or_makes_a_cli_only_account_when_told(
    pkh: Pkh,
) -> None:
    pkh.ok(
        "user",
        "add",
        "kab.baru",
        "--role",
        "kabupaten",
        "--region",
        "3271",
        "--password-stdin",
        stdin="rahasia-baru-1\n",
    )
    assert verify_password("rahasia-baru-1", pkh.user("kab.baru")[3])
    out = pkh.ok(
        "user", "add", "kab.cli", "--role", "kabupaten", "--region", "3271", "--no-password"
    ).stdout
    assert "cannot sign in" in out and pkh.user("kab.cli")[3] is None
    listed = pkh.ok("user", "list").stdout
    assert any(line.startswith("kab.cli") and "no-password" in line for line in listed.splitlines())


def test_user_passwd_sets_a_new_password_from_stdin_and_refuses_without_one(pkh: Pkh) -> None:
    pkh.ok("user", "passwd", "kab.bogor", "--password-stdin", stdin="sandi-ganti-456\n")
    hashed = pkh.user("kab.bogor")[3]
    assert verify_password("sandi-ganti-456", hashed)
    assert not verify_password("sandi-awal-123", hashed)
    assert "--password-stdin" in pkh.refused(2, "user", "passwd", "kab.bogor")
    assert "password" in pkh.refused(
        2, "user", "passwd", "kab.bogor", "--password-stdin", stdin="short\n"
    )
    assert "unknown user" in pkh.refused(
        3, "user", "passwd", "nobody", "--password-stdin", stdin="sandi-ganti-456\n"
    )
    assert pkh.user("kab.bogor")[3] == hashed


def test_user_disable_and_enable_and_the_last_admin_stays(pkh: Pkh) -> None:
    pkh.ok("user", "disable", "kab.bogor")
    assert pkh.user("kab.bogor")[2] == 0
    assert any(
        line.startswith("kab.bogor") and "disabled" in line
        for line in pkh.ok("user", "list").stdout.splitlines()
    )
    pkh.ok("user", "enable", "kab.bogor")
    assert pkh.user("kab.bogor")[2] == 1
    assert "last active admin" in pkh.refused(2, "user", "disable", "admin")
    assert "last active admin" in pkh.refused(2, "user", "set", "admin", "--role", "pusat")
    assert pkh.user("admin")[:3] == ("admin", None, 1)
    assert "unknown user" in pkh.refused(3, "user", "disable", "nobody")


def test_user_set_checks_role_and_region_as_user_add_does(pkh: Pkh) -> None:
    assert "region" in pkh.refused(2, "user", "set", "pdp.bogor", "--role", "kabupaten")
    assert "role" in pkh.refused(2, "user", "set", "pdp.bogor", "--role", "raja")
    assert "role" in pkh.refused(2, "user", "set", "pdp.bogor")
    pkh.ok("user", "set", "pdp.bogor", "--role", "kabupaten", "--region", "3271")
    assert pkh.user("pdp.bogor")[:2] == ("kabupaten", "3271")
    pkh.ok("user", "set", "pdp.bogor", "--role", "pusat")
    assert pkh.user("pdp.bogor")[:2] == ("pusat", None)


def _on_a_terminal(pkh: Pkh, args: list[str], answers: list[str]) -> tuple[int, str]:
    """Run `pkh` with a pseudo-terminal for stdin/stdout, answering each prompt in turn."""
    parent, child = pty.openpty()
    proc = subprocess.Popen(
        pkh.command(*args),
        stdin=child,
        stdout=child,
        stderr=child,
        env=pkh.env(),
        cwd=pkh.db.parent,
    )
    os.close(child)
    seen, pending = b"", list(answers)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not select.select([parent], [], [], 0.2)[0]:
            if proc.poll() is not None:
                break
            continue
        try:
            chunk = os.read(parent, 1024)
        except OSError:  # the child closed the terminal
            break
        seen += chunk
        if pending and seen.rstrip().endswith(b":"):
            time.sleep(0.5)  # getpass flushes what was typed before it turned echo off
            os.write(parent, pending.pop(0).encode() + b"\n")
            seen += b"\n"
    os.close(parent)
    return proc.wait(timeout=30), seen.decode(errors="replace")


def test_user_add_on_a_terminal_asks_for_the_password_twice_without_echoing_it(
    pkh: Pkh,
) -> None:
    code, screen = _on_a_terminal(
        pkh,
        ["user", "add", "kab.tty", "--role", "kabupaten", "--region", "3271"],
        ["rahasia-tty-1", "rahasia-tty-1"],
    )
    assert code == 0, screen
    assert "Repeat for confirmation" in screen and "rahasia-tty-1" not in screen
    assert verify_password("rahasia-tty-1", pkh.user("kab.tty")[3])


# ------------------------------------------------------------------------------------- demo
def test_demo_refuses_a_database_with_users_of_its_own_in_one_line_and_writes_nothing(
    tmp_path: Path,
) -> None:
    pkh = Pkh(tmp_path / "pkh.db")
    pkh.ok("db", "upgrade")
    pkh.ok("user", "add", "kab.sleman", "--role", "kabupaten", "--region", "3404", "--no-password")
    error = pkh.refused(2, "demo", "--no-serve")
    assert "1 user not the demo's" in error and "empty database" in error
    assert query(pkh.db, "SELECT username FROM users") == [("kab.sleman",)]
    assert query(pkh.db, "SELECT count(*) FROM case_events") == [(0,)]


def test_demo_refuses_an_office_store_at_an_older_schema_before_migrating_it(
    tmp_path: Path,
) -> None:
    """The refusal comes first: an office's database at an older schema is not migrated by a
    demo that then refuses it (the office upgrades when it chooses, after a backup)."""
    from engine.store.migrate import upgrade

    pkh = Pkh(tmp_path / "pkh.db")
    upgrade(f"sqlite:///{pkh.db}", "0011")
    with closing(sqlite3.connect(pkh.db)) as con:  # an officer added under that version
        con.execute(
            "INSERT INTO users (username, role, region, active, suspended, created_at) "
            "VALUES ('kab.sleman', 'kabupaten', '3404', 1, 0, '2026-01-05 02:00:00')"
        )
        con.commit()
    error = pkh.refused(2, "demo", "--no-serve")
    assert "1 user not the demo's" in error
    assert query(pkh.db, "SELECT version_num FROM alembic_version") == [("0011",)]


def test_demo_loads_a_fresh_database_and_a_second_run_skips_the_loading(tmp_path: Path) -> None:
    pkh = Pkh(tmp_path / "var" / "pkh.db")
    pkh.db.parent.mkdir()
    first = pkh.ok("demo", "--no-serve").stdout
    assert "demo data: 10 users" in first
    events = query(pkh.db, "SELECT count(*) FROM case_events")
    second = pkh.ok("demo", "--no-serve").stdout
    assert "demo data already loaded" in second
    assert query(pkh.db, "SELECT count(*) FROM case_events") == events
