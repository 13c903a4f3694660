"""What a district IT officer meets running the real `pkh`: wrong settings, a database that
cannot be reached or is at another schema, backups to places that cannot be written, a port in
use. Each is one `error:` line naming what is wrong (and which database), never a traceback, and
never a password."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import _postgres_schema_url
from tests.e2e.test_cli import Pkh, _pkh_executable, copy_db, one_line_error, sql

PASSWORD = "S3cretPW"
SECRET = "operator-test-secret-key-0123456789abcdef"


def run(
    *args: str, env: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PKH_")}
    return subprocess.run(
        [_pkh_executable(), *args],
        capture_output=True,
        text=True,
        env=clean | env,
        cwd=cwd,
        timeout=120,
    )


def refused(r: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in r.stdout + r.stderr, r.stderr
    assert PASSWORD not in r.stdout + r.stderr
    return one_line_error(r)


@pytest.fixture(scope="module")
def schema_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pkh = Pkh(tmp_path_factory.mktemp("schema") / "pkh.db")
    assert "database at head" in pkh.ok("db", "upgrade").stdout
    return pkh.db


@pytest.fixture
def pkh(schema_db: Path, tmp_path: Path) -> Pkh:
    return Pkh(copy_db(schema_db, tmp_path / "pkh.db"))


@pytest.fixture
def pg_url() -> Iterator[str]:
    gen = _postgres_schema_url()
    url = next(gen)
    yield url
    gen.close()


def with_password(url: str) -> str:
    return url.replace("://postgres@", f"://postgres:{PASSWORD}@")


# ---------------------------------------------------------------------- settings that are wrong
@pytest.mark.parametrize(
    ("setting", "says"),
    [
        ({"PKH_DATABASE_URL": "garbage"}, "configuration: PKH_DATABASE_URL: not a database URL"),
        (
            {"PKH_DATABASE_URL": "mysql://pkh@127.0.0.1/pkh"},
            "configuration: PKH_DATABASE_URL: mysql databases are not supported",
        ),
        (
            {"PKH_PENDAMPING_DAYS": "-5"},
            "configuration: PKH_PENDAMPING_DAYS: Input should be greater than or equal to 1",
        ),
        (
            {"PKH_SMTP_PORT": "0"},
            "configuration: PKH_SMTP_PORT: Input should be greater than or equal to 1",
        ),
        ({"PKH_APP_URL": "pkh.example.id"}, "configuration: PKH_APP_URL: must be an http"),
    ],
)
def test_a_setting_pkh_cannot_use_is_one_line_naming_it(
    setting: dict[str, str], says: str, pkh: Pkh
) -> None:
    """Regression: these were tracebacks (ArgumentError, NoSuchModuleError; a negative
    PKH_PENDAMPING_DAYS was taken and every filing then crashed)."""
    env = {"PKH_DATABASE_URL": f"sqlite:///{pkh.db}", **setting}
    for args in (("case", "list"), ("serve", "--port", "1")):
        line = refused(run(*args, env=env))
        assert line.startswith(f"error: {says}"), line


@pytest.mark.postgres
@pytest.mark.parametrize("scheme", ["postgres", "postgresql", "postgresql+psycopg"])
def test_a_missing_postgresql_database_is_told_as_unreachable_naming_it_without_the_password(
    scheme: str, pg_url: str
) -> None:
    """Regression: `FATAL: database "nope_db" does not exist` was told as a missing schema
    ("run `pkh db upgrade`"), and postgres:// / postgresql:// URLs were tracebacks."""
    url = f"{scheme}://postgres:{PASSWORD}@127.0.0.1:5432/nope_db"
    line = refused(run("case", "list", env={"PKH_DATABASE_URL": url, "PKH_SECRET_KEY": SECRET}))
    assert line.startswith(
        "error: cannot open the database postgresql+psycopg://postgres:***@127.0.0.1:5432/nope_db:"
    ), line
    assert 'database "nope_db" does not exist' in line and "db upgrade" not in line


@pytest.mark.postgres
def test_db_upgrade_and_a_missing_schema_name_the_database_without_its_password(
    pg_url: str,
) -> None:
    """Regression: `database at head: postgresql+psycopg://postgres:S3cretPW@...`."""
    env = {"PKH_DATABASE_URL": with_password(pg_url), "PKH_SECRET_KEY": SECRET}
    missing = refused(run("case", "list", env=env))
    assert "has no schema yet" in missing and "run `pkh db upgrade`" in missing
    assert "postgres:***@127.0.0.1:5432/test" in missing
    done = run("db", "upgrade", env=env)
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    assert done.stdout.startswith("database at head: postgresql+psycopg://postgres:***@127.0.0.1")


def test_a_missing_schema_names_the_sqlite_files_whole_path(tmp_path: Path) -> None:
    """An operator who ran pkh from another folder than meant sees which file it opened: the
    default sqlite:///var/pkh.db is relative."""
    line = refused(run("case", "list", env={}, cwd=tmp_path))
    assert f"the database sqlite:///{tmp_path}/var/pkh.db does not exist" in line, line
    assert line.endswith("run `pkh db upgrade` to create it")


@pytest.mark.parametrize(
    "argv", [("case", "list"), ("serve", "--port", "1"), ("db", "backup", "b")]
)
def test_a_mistyped_sqlite_path_makes_nothing(tmp_path: Path, argv: tuple[str, ...]) -> None:
    """Regression: a mistyped PKH_DATABASE_URL made the folders, an empty database and a
    secret key file beside it before saying "no schema"; the operator had them to clean up."""
    where = tmp_path / "typo" / "var"
    env = {"PKH_DATABASE_URL": f"sqlite:///{where}/pkh.db"}
    line = refused(run(*argv, env=env, cwd=tmp_path))
    assert f"the database sqlite:///{where}/pkh.db does not exist (nothing was created)" in line
    assert "check PKH_DATABASE_URL" in line
    assert not (tmp_path / "typo").exists()
    assert not (tmp_path / "b").exists()
    # the commands that make a database still do
    made = run("db", "upgrade", env=env, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert (where / "pkh.db").exists()
    assert run("case", "list", env=env, cwd=tmp_path).returncode == 0


def test_demo_prints_the_sqlite_files_whole_path(tmp_path: Path) -> None:
    r = run("demo", "--no-serve", env={}, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert f"database: sqlite:///{tmp_path}/var/pkh.db\n" in r.stdout


# --------------------------------------------------------------------------- the secret key
def test_sqlite_without_a_secret_key_signs_with_a_random_one_kept_beside_the_database(
    pkh: Pkh,
) -> None:
    from api.security import InvalidToken, read_token
    from engine.settings import DEFAULT_SECRET

    pkh.ok("case", "list")
    kept = (pkh.db.parent / f"{pkh.db.name}.secret_key").read_text().strip()
    assert len(kept) >= 32 and kept != DEFAULT_SECRET
    script = (
        "from datetime import UTC, datetime, timedelta\n"
        "from api.security import create_token\n"
        "from api.wiring import build_app\n"
        "print(create_token('admin', build_app().settings.secret_key, datetime.now(UTC), "
        "timedelta(hours=1)))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PKH_")}
    env["PKH_DATABASE_URL"] = f"sqlite:///{pkh.db}"
    token = subprocess.run(
        [Path(_pkh_executable()).with_name("python"), "-c", script],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout.strip()
    from datetime import UTC, datetime

    assert read_token(token, kept, datetime.now(UTC)) == "admin"
    with pytest.raises(InvalidToken):
        read_token(token, DEFAULT_SECRET, datetime.now(UTC))


# ------------------------------------------------------------------------------------ backups
@pytest.mark.parametrize("where", ["under-a-file", "proc"])
def test_a_backup_to_a_place_that_cannot_be_written_is_one_line_naming_it(
    where: str, pkh: Pkh
) -> None:
    """Regression: NotADirectoryError / EROFS / a full disk were tracebacks."""
    if where == "proc":
        dest = Path("/proc/pkh-backup.db")
    else:
        blocker = pkh.db.parent / "a-file"
        blocker.write_text("not a folder")
        dest = blocker / "sub" / "backup.db"
    line = refused(pkh.run("db", "backup", str(dest)))
    assert line.startswith(f"error: cannot write the backup to {dest}: "), line


def test_a_full_disk_during_a_backup_is_a_backup_error_naming_the_destination(
    pkh: Pkh, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.store import backup as backups

    def full(_path: Path, _dest: Path) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(backups, "_sqlite_backup", full)
    dest = tmp_path / "out" / "b.db"
    with pytest.raises(backups.BackupError, match=f"cannot write the backup to {dest}: database"):
        backups.backup(f"sqlite:///{pkh.db}", dest)
    assert list(dest.parent.iterdir()) == []  # no partial file left


def test_a_restore_into_a_folder_that_cannot_be_made_is_a_backup_error(
    pkh: Pkh, tmp_path: Path
) -> None:
    from engine.store.backup import BackupError, restore

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(BackupError, match=f"cannot restore {pkh.db} into sqlite:///{blocker}"):
        restore(f"sqlite:///{blocker / 'pkh.db'}", pkh.db)


# ---------------------------------------------------------------------------- schema versions
def test_a_database_newer_than_this_pkh_is_told_so_and_db_upgrade_does_not_crash(
    pkh: Pkh,
) -> None:
    """Regression: told "needs 0012: run `pkh db upgrade`", which then died with alembic's
    CommandError (Can't locate revision)."""
    from engine.store.migrate import head

    sql(pkh.db, "UPDATE alembic_version SET version_num = '9999'")
    newer = (
        f"the database sqlite:///{pkh.db} is at schema revision 9999, newer than this pkh "
        f"knows (head {head()}): install the matching version of pkh, or restore a backup"
    )
    upgraded, served = pkh.all([("db", "upgrade"), ("serve", "--port", "1")])
    assert refused(upgraded) == f"error: {newer}"
    assert refused(served) == f"error: {newer}"


def test_restoring_an_older_backup_restores_it_and_says_to_upgrade(
    pkh: Pkh, tmp_path: Path
) -> None:
    """Regression: the database was replaced, but the command printed only the schema error
    and exited 1."""
    from engine.store.migrate import upgrade

    old = tmp_path / "old" / "pkh.db"
    upgrade(f"sqlite:///{old}", "0007")
    r = pkh.ok("db", "restore", str(old))
    assert f"restored {old} into sqlite; not verified yet: " in r.stdout
    assert "is at schema revision 0007" in r.stdout
    assert "run `pkh db upgrade`, then `pkh audit verify`" in r.stdout
    pkh.ok("db", "upgrade")
    assert pkh.json("audit", "verify", "--json")["ok"] is True


# ---------------------------------------------------------------------------------- serve
def test_serve_on_a_port_in_use_is_one_line_and_exit_1(pkh: Pkh) -> None:
    """Regression: uvicorn's `[Errno 98] address already in use` and exit 3 (which pkh uses
    for "not found")."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = pkh.run("serve", "--host", "127.0.0.1", "--port", str(port))
    assert r.returncode == 1
    assert refused(r).startswith(f"error: port {port} on 127.0.0.1 is in use"), r.stderr


def test_a_sqlite_database_whose_folder_cannot_be_made_is_one_line_naming_it(
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    db = blocker / "var" / "pkh.db"
    # the command that makes the database (any other says it does not exist)
    line = refused(run("db", "upgrade", env={"PKH_DATABASE_URL": f"sqlite:///{db}"}))
    assert line.startswith(f"error: cannot open the database sqlite:///{db}: "), line
