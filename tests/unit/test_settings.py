"""Settings: the embedded mode's secret, database URLs, and the bounds of the number settings."""

from __future__ import annotations

import os
import stat
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from engine.settings import DEFAULT_SECRET, Settings


@pytest.fixture(autouse=True)
def no_pkh_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("PKH_"):
            monkeypatch.delenv(name)


# ------------------------------------------------------------------------------------- secret
def checked(url: str) -> Settings:
    """Settings as `build_app` takes them: checked, the embedded secret in place."""
    settings = Settings(database_url=url)
    settings.check()
    return settings


def test_embedded_mode_without_a_secret_makes_a_random_one_beside_the_database_and_keeps_it(
    tmp_path: Path,
) -> None:
    """Regression (operator review, security): with no PKH_SECRET_KEY the server signed tokens
    with DEFAULT_SECRET, a constant in the source: anyone could sign an admin's token."""
    url = f"sqlite:///{tmp_path / 'var' / 'pkh.db'}"
    first = checked(url)
    assert first.secret_key != DEFAULT_SECRET and len(first.secret_key) >= 32
    kept = tmp_path / "var" / "pkh.db.secret_key"
    assert kept.read_text().strip() == first.secret_key
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    # every process on this database agrees (serve --workers N, the CLI)
    assert checked(url).secret_key == first.secret_key
    other = checked(f"sqlite:///{tmp_path / 'elsewhere' / 'pkh.db'}")
    assert other.secret_key != first.secret_key
    # another database in the same folder (a demo beside the office's store) has its own:
    # the demo's public-password tokens are not the store's
    demo = checked(f"sqlite:///{tmp_path / 'var' / 'demo.db'}")
    assert demo.secret_key != first.secret_key
    assert demo.secret_origin == str(tmp_path / "var" / "demo.db.secret_key")


def test_a_token_signed_with_the_public_default_secret_is_refused(tmp_path: Path) -> None:
    from api.security import InvalidToken, create_token, read_token

    settings = checked(f"sqlite:///{tmp_path / 'pkh.db'}")
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    forged = create_token("admin", DEFAULT_SECRET, now, timedelta(hours=8))
    with pytest.raises(InvalidToken):
        read_token(forged, settings.secret_key, now)
    real = create_token("admin", settings.secret_key, now, timedelta(hours=8))
    assert read_token(real, settings.secret_key, now) == "admin"


def test_processes_starting_together_agree_on_one_secret(tmp_path: Path) -> None:
    from engine.settings import embedded_secret

    url = f"sqlite:///{tmp_path / 'pkh.db'}"
    with ThreadPoolExecutor(max_workers=8) as pool:
        found = list(pool.map(lambda _: embedded_secret(url)[0], range(16)))
    assert len(set(found)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkh.db.secret_key"]  # no temp left


def test_a_database_folder_that_cannot_be_written_gets_a_secret_for_this_process_only(
    tmp_path: Path,
) -> None:
    """A copy on read-only media is still read (the read commands, verify --no-record)."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    url = f"sqlite:///{blocker / 'pkh.db'}"
    a, b = checked(url), checked(url)
    assert DEFAULT_SECRET not in (a.secret_key, b.secret_key) and a.secret_key != b.secret_key
    assert a.secret_origin == "memory"
    memory = checked("sqlite:///:memory:")
    assert memory.secret_key != DEFAULT_SECRET and len(memory.secret_key) >= 32


def test_a_secret_given_is_used_and_no_file_is_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PKH_SECRET_KEY", "s" * 40)
    settings = checked(f"sqlite:///{tmp_path / 'pkh.db'}")
    assert settings.secret_key == "s" * 40
    assert list(tmp_path.iterdir()) == []


def test_a_damaged_secret_file_is_refused_naming_it(tmp_path: Path) -> None:
    (tmp_path / "pkh.db.secret_key").write_text("short\n")
    (tmp_path / "pkh.db.secret_key").chmod(0o600)
    with pytest.raises(RuntimeError, match="secret_key is damaged"):
        checked(f"sqlite:///{tmp_path / 'pkh.db'}")


@pytest.mark.parametrize("planted", ["others_may_read", "a_link", "another_owner"])
def test_a_secret_file_this_account_did_not_make_alone_is_refused(
    tmp_path: Path, planted: str
) -> None:
    """In a shared folder another account could plant the file, and then sign any officer's
    token with it: a file readable or writable by others, a symbolic link, or a file of
    another owner is refused, naming it."""
    url = f"sqlite:///{tmp_path / 'pkh.db'}"
    path = tmp_path / "pkh.db.secret_key"
    value = "p" * 48 + "\n"
    if planted == "a_link":
        (tmp_path / "elsewhere").write_text(value)
        (tmp_path / "elsewhere").chmod(0o600)
        path.symlink_to(tmp_path / "elsewhere")
        said = "is a link"
    else:
        path.write_text(value)
        path.chmod(0o644 if planted == "others_may_read" else 0o600)
        said = "belongs to another account"
        if planted == "another_owner":
            if os.geteuid() != 0:  # only root can give a file away; mode 0644 covers the rest
                path.chmod(0o644)
            else:
                os.chown(path, 65534, 65534)
    with pytest.raises(RuntimeError, match=said):
        checked(url)


def test_reading_the_settings_makes_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`get_settings().audit_workers` and the like must not leave a var/secret_key wherever
    they happen to run: the secret is made when an application is built (check())."""
    monkeypatch.chdir(tmp_path)
    assert Settings().secret_key == DEFAULT_SECRET
    assert list(tmp_path.iterdir()) == []


def test_postgresql_still_needs_a_secret_key() -> None:
    settings = Settings(database_url="postgresql+psycopg://pkh@db.internal:5432/pkh")
    assert settings.secret_key == DEFAULT_SECRET
    with pytest.raises(RuntimeError, match="PKH_SECRET_KEY"):
        settings.check()


# ------------------------------------------------------------------------------- database URL
@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://pkh:pw@db:5432/pkh", "postgresql+psycopg://pkh:pw@db:5432/pkh"),
        (
            "postgresql://pkh@db/pkh?sslmode=require",
            "postgresql+psycopg://pkh@db/pkh?sslmode=require",
        ),
        ("postgresql+psycopg://pkh@db/pkh", "postgresql+psycopg://pkh@db/pkh"),
        ("sqlite:///var/pkh.db", "sqlite:///var/pkh.db"),
        ("sqlite+pysqlite:////srv/pkh.db", "sqlite+pysqlite:////srv/pkh.db"),
    ],
)
def test_postgresql_urls_without_the_driver_are_given_psycopg(given: str, used: str) -> None:
    assert Settings(database_url=given, secret_key="k" * 40).database_url == used


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("garbage", "not a database URL"),
        ("mysql://pkh@db/pkh", "mysql databases are not supported"),
        ("postgresql+psycopg2://pkh@db/pkh", "postgresql+psycopg2 databases are not supported"),
    ],
)
def test_a_database_url_pkh_cannot_use_is_refused_naming_the_setting(given: str, says: str) -> None:
    """Regression: these ended in SQLAlchemy tracebacks (ArgumentError, NoSuchModuleError,
    ModuleNotFoundError psycopg2) at the first command."""
    with pytest.raises(ValidationError) as err:
        Settings(database_url=given, secret_key="k" * 40)
    [error] = err.value.errors()
    assert error["loc"] == ("database_url",) and says in error["msg"]


def test_the_database_label_hides_the_password_and_shows_a_sqlite_files_whole_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.settings import database_label

    assert (
        database_label("postgresql+psycopg://postgres:S3cretPW@127.0.0.1:5432/pkh")
        == "postgresql+psycopg://postgres:***@127.0.0.1:5432/pkh"
    )
    monkeypatch.chdir(tmp_path)
    assert database_label("sqlite:///var/pkh.db") == f"sqlite:///{tmp_path}/var/pkh.db"


# ------------------------------------------------------------------------------------ numbers
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ketua_kelompok_days", 0),
        ("pendamping_days", -5),
        ("max_backdate_days", -1),
        ("dispatch_max_attempts", 0),
        ("dispatch_max_attempts", 21),
        ("dispatch_backoff_seconds", 0),
        ("smtp_port", 0),
        ("smtp_port", 70000),
        ("smtp_timeout", 0),
        ("smtp_timeout", -1.5),
        ("app_url", "pkh.example.id"),
        ("app_url", "ftp://pkh.example.id"),
    ],
)
def test_a_setting_out_of_range_is_refused_naming_it(
    name: str, value: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: PKH_PENDAMPING_DAYS=-5 was accepted and every filing then crashed."""
    monkeypatch.setenv(f"PKH_{name.upper()}", str(value))
    with pytest.raises(ValidationError) as err:
        Settings(database_url="sqlite:///:memory:")
    assert [e["loc"] for e in err.value.errors()] == [(name,)]


def test_the_defaults_and_the_edges_of_the_ranges_are_accepted() -> None:
    Settings(database_url="sqlite:///:memory:")
    Settings(
        database_url="sqlite:///:memory:",
        ketua_kelompok_days=1,
        pendamping_days=1,
        max_backdate_days=0,
        dispatch_max_attempts=1,
        dispatch_backoff_seconds=1,
    )
    Settings(
        database_url="sqlite:///:memory:",
        dispatch_max_attempts=20,
        dispatch_backoff_seconds=86400,
        max_backdate_days=3660,
        smtp_port=65535,
        smtp_timeout=0.5,
        app_url="https://pkh.example.id/spm",
    )


def test_the_readme_names_every_demo_account_and_its_password() -> None:
    """The README is how a first user signs in to the demo: every account the demo creates
    is listed there, with the password the demo sets."""
    from pathlib import Path

    from workflows.demo import DEMO_PASSWORD, USERS

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    line = readme[readme.index("Demo accounts (embedded demo only):") :].split("\n\n")[0]
    assert [u for u, _, _ in USERS if f"`{u}`" not in line] == []
    assert f"`{DEMO_PASSWORD}`" in line
