"""One Settings object, read from the environment with the PKH_ prefix."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
import tempfile
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa
from pydantic import Field, PrivateAttr, field_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict

# Stands for "not set": never signs anything. Settings.check() replaces it in the embedded
# SQLite mode with a random secret kept beside the database (`secret_file`); any other database
# refuses to start with it.
DEFAULT_SECRET = "pkh-embedded-dev-secret-change-me"
SECRET_SUFFIX = ".secret_key"  # beside the SQLite file (pkh.db.secret_key), made on first use, 0600
_DRIVERS = {"postgres": "postgresql+psycopg", "postgresql": "postgresql+psycopg"}
_SUPPORTED = ("sqlite", "sqlite+pysqlite", "postgresql+psycopg")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PKH_", env_file=None, extra="ignore")

    database_url: str = "sqlite:///var/pkh.db"
    secret_key: str = DEFAULT_SECRET
    ketua_kelompok_days: int = Field(default=20, ge=1, le=366)  # until the next group meeting
    pendamping_days: int = Field(default=5, ge=1, le=366)
    # how far back an officer may date a paper form
    max_backdate_days: int = Field(default=60, ge=0, le=3660)
    app_url: str = "http://127.0.0.1:8000"  # links in reminders
    # outgoing messages (notifications/dispatch.py)
    smtp_host: str | None = None  # unset: e-mails go on paper (only the log, with no channel)
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = "SPM-PKH <pengaduan-pkh@localhost>"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout: float = Field(default=10.0, gt=0, le=3600)
    webhook_url: str | None = None  # SMS/WhatsApp gateway
    webhook_secret: str | None = None  # HMAC-SHA256 key for X-PKH-Signature
    # then the message is dead-lettered for an admin to retry; at most 20, so the longest
    # backoff (dispatch_backoff_seconds * 2**18) still makes a date
    dispatch_max_attempts: int = Field(default=9, ge=1, le=20)
    # doubled after each failed attempt: with the defaults a message is retried for about
    # 21 hours (300 s * (2**8 - 1)), an outage overnight, before it is dead-lettered
    dispatch_backoff_seconds: int = Field(default=300, ge=1, le=86400)
    # Worker threads of one API process (the requests served at once; others wait their turn
    # in the event loop). Few, because the work is CPU and the GIL: on 2 cores, 8 threads
    # served the worklist at 1.5-1.7x the rate of anyio's default 40, with 40-50% of the p99
    # (bench api_worklist_p99_ms, two runs). Raise it when requests mostly wait on a remote
    # database.
    api_threads: int = Field(default=8, ge=1, le=1000)
    # Processes of a whole-store audit verify (engine.store.audit_runner.verify); unset: one
    # per CPU. 1 verifies in the calling process.
    audit_workers: int | None = Field(default=None, ge=1, le=256)
    calendar_first_year: int = 2004
    calendar_last_year: int = 2040

    # where the secret came from: "PKH_SECRET_KEY", the secret file's path, or "memory"
    _secret_origin: str = PrivateAttr(default="PKH_SECRET_KEY")

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        try:
            url = sa.engine.make_url(value)
        except (sa.exc.ArgumentError, ValueError):
            raise PydanticCustomError(
                "database_url",
                "not a database URL; give sqlite:///path/to/pkh.db or "
                "postgresql+psycopg://user:password@host:5432/dbname",
            ) from None
        if url.drivername in _DRIVERS:  # Heroku-style and driverless PostgreSQL URLs
            return _DRIVERS[url.drivername] + "://" + value.split("://", 1)[1]
        if url.drivername not in _SUPPORTED:
            raise PydanticCustomError(
                "database_url",
                "{driver} databases are not supported; give sqlite:///path/to/pkh.db "
                "or postgresql+psycopg://user:password@host:5432/dbname",
                {"driver": url.drivername},
            )
        return value

    @field_validator("app_url")
    @classmethod
    def _web_address(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise PydanticCustomError(
                "app_url", "must be an http:// or https:// address, e.g. https://pkh.example.id"
            )
        return value

    @property
    def embedded(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def secret_origin(self) -> str:
        return self._secret_origin

    @property
    def database_label(self) -> str:
        return database_label(self.database_url)

    def check(self) -> None:
        """Before the application is built on these settings: in the embedded SQLite mode an
        unset secret becomes the one kept beside the database (made on first use; not when
        the settings are merely read, as `get_settings().audit_workers` is); any other
        database refuses to run with the default secret or a weak one."""
        if self.embedded:
            if self.secret_key == DEFAULT_SECRET:
                self.secret_key, self._secret_origin = embedded_secret(self.database_url)
            return
        weak = self.secret_key == DEFAULT_SECRET or len(self.secret_key.strip()) < 32
        if weak:
            raise RuntimeError(
                "PKH_SECRET_KEY must be set to a random string of 32 characters or more when "
                "PKH_DATABASE_URL is not SQLite"
            )


def database_label(url: str) -> str:
    """The URL to show an operator: no password, and a SQLite file's absolute path (the
    default `sqlite:///var/pkh.db` is relative to the folder pkh was started from)."""
    try:
        u = sa.engine.make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        return "(an unreadable PKH_DATABASE_URL)"
    db = u.database or ""
    if (
        u.get_backend_name() == "sqlite"
        and db not in ("", ":memory:")
        and not db.startswith("file:")
    ):
        u = u.set(database=str(Path(db).absolute()))
    return u.render_as_string(hide_password=True)


def secret_file(database: str) -> Path:
    """The file of the secret of the SQLite database file `database`: beside it and named
    after it (`pkh.db.secret_key`), so another database in the same folder (a demo beside
    the office's store) never signs tokens the other accepts."""
    path = Path(database).absolute()
    return path.with_name(f"{path.name}{SECRET_SUFFIX}")


def embedded_secret(database_url: str) -> tuple[str, str]:
    """(secret, origin) for a SQLite database run without PKH_SECRET_KEY: a random secret made
    once in a file beside the database (`secret_file`), so every process on that database
    (`pkh serve --workers N`, the CLI) signs and checks tokens alike. Where the file can be
    neither read nor made (an in-memory database, a copy on read-only media, a file of
    another account's that this one may not read) a random secret for this process only: its
    tokens hold in this process alone. A file this account did not make alone (another owner,
    or one others may read or write, or a link) is refused: whoever planted it could sign
    any token."""
    database = sa.engine.make_url(database_url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return secrets.token_urlsafe(32), "memory"
    path = secret_file(database)
    try:
        return _read_or_create(path), str(path)
    except OSError:  # no folder to keep it in, or a file this account may not read
        return secrets.token_urlsafe(32), "memory"


class SecretFileRefused(RuntimeError):
    """The secret file is not one this account made for itself alone."""


def _read_or_create(path: Path) -> str:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return _create(path)
    except OSError as e:
        if e.errno == errno.ELOOP:  # a symbolic link where the file should be
            raise SecretFileRefused(
                f"the secret key file {path} is a link: delete it (a new one is made), or set "
                "PKH_SECRET_KEY"
            ) from None
        raise
    try:
        st = os.fstat(fd)
        if st.st_uid != os.geteuid() or st.st_mode & 0o077:
            raise SecretFileRefused(
                f"the secret key file {path} belongs to another account (uid {st.st_uid}) or "
                f"others may read or change it (mode {stat.S_IMODE(st.st_mode):o}): whoever "
                "can could sign any officer's token; delete it (a new one is made, mode 600) "
                "or set PKH_SECRET_KEY"
            )
        found = os.read(fd, 4096).decode("ascii", "replace").strip()
    finally:
        os.close(fd)
    if len(found) < 32:
        raise RuntimeError(
            f"the secret key file {path} is damaged (under 32 characters): delete it and a new "
            "one is made (signed-in officers sign in again), or set PKH_SECRET_KEY"
        )
    return found


def _create(path: Path) -> str:
    """Write a new secret where none is yet; when another process wins the race, theirs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600
    try:
        os.write(fd, secrets.token_urlsafe(48).encode("ascii") + b"\n")
        os.fsync(fd)
        os.close(fd)
        fd = -1
        # link() publishes the whole file at once, or fails when the name is taken (O_EXCL's
        # guarantee): a racing process never reads a half-written secret
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        if fd >= 0:
            os.close(fd)
        os.unlink(tmp)
    return path.read_text(encoding="ascii").strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
