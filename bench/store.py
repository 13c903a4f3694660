"""Bench databases: migrated SQLite files and PostgreSQL schemas, users, tokens, raw access.

Everything here prepares data; nothing here is measured. The schema always comes from the
product's own Alembic migrations (`engine.store.migrate.upgrade`).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SECRET = "bench-secret-key-0123456789abcdef0123456789"
PG_URL = os.environ.get("PKH_BENCH_POSTGRES_URL") or os.environ.get(
    "PKH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        p = Path(str(path) + suffix)
        if p.exists():
            p.unlink()


def migrate(url: str) -> None:
    """The product's migrations to head. While two branches are being merged upstream (two heads
    at once), all heads are applied, with a warning: the bench measures the schema as it is."""
    from alembic.util.exc import CommandError

    from engine.store.migrate import upgrade

    try:
        upgrade(url)
    except CommandError as e:
        if "Multiple head revisions" not in str(e):
            raise
        from bench.core import log

        log("  warning: the migrations have several heads; applying all of them ('heads')")
        upgrade(url, "heads")


def migrated_sqlite(workdir: Path, name: str) -> Path:
    """A fresh SQLite file with the product schema (one Alembic run per harness, then copies)."""
    master = workdir / "_migrated.db"
    if not master.exists():
        tmp = workdir / "_migrating.db"
        _remove(tmp)
        migrate(sqlite_url(tmp))
        con = sqlite3.connect(tmp)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.execute("PRAGMA journal_mode=DELETE")
        con.close()
        tmp.rename(master)
    path = workdir / name
    _remove(path)
    shutil.copyfile(master, path)
    return path


def copy_sqlite(src: Path, dst: Path) -> Path:
    con = sqlite3.connect(src)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    _remove(dst)
    shutil.copyfile(src, dst)
    return dst


def raw_sqlite(path: Path) -> sqlite3.Connection:
    """A bare sqlite3 connection with the product's pragmas (engine/store/db.py)."""
    con = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("PRAGMA foreign_keys=ON")
    con.execute("PRAGMA busy_timeout=30000")
    return con


def sqlite_ts(dt: datetime) -> str:
    """How the product's UTCDateTime lands in SQLite: naive UTC with microseconds."""
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


# -- PostgreSQL ---------------------------------------------------------------------------------
def pg_reachable() -> str | None:
    """None if the server answers, else why not."""
    import sqlalchemy as sa

    eng = sa.create_engine(PG_URL)
    try:
        with eng.connect() as c:
            c.execute(sa.text("SELECT 1"))
        return None
    except Exception as e:  # noqa: BLE001 - any failure means "no server"
        return f"{type(e).__name__}: {e}".splitlines()[0]
    finally:
        eng.dispose()


@contextmanager
def pg_schema(prefix: str = "bench") -> Iterator[tuple[str, str]]:
    """A fresh schema, migrated; yields (sqlalchemy url, schema); dropped afterwards."""
    import sqlalchemy as sa

    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    eng = sa.create_engine(PG_URL)
    with eng.begin() as c:
        c.execute(sa.text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    try:
        migrate(url)
        yield url, schema
    finally:
        with eng.begin() as c:
            c.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        eng.dispose()


def raw_pg(schema: str) -> Any:
    import psycopg

    dsn = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    return psycopg.connect(dsn, options=f"-c search_path={schema}")


# -- the application ----------------------------------------------------------------------------
def build(url: str, clock: Any = None) -> Any:
    from api.wiring import build_app
    from engine.settings import Settings

    settings = Settings(database_url=url, secret_key=SECRET)
    return build_app(settings, clock=clock) if clock else build_app(settings)


def add_users(app: Any, users: Sequence[tuple[str, str, str | None]], now: datetime) -> None:
    from api.admin import add_user

    for name, role, region in users:
        add_user(app.db, name, role, region, now=now)


def bulk_users(path: Path, users: Sequence[tuple[str, str, str | None]], now: datetime) -> None:
    """Many officers at once (the sweep's offices); same columns `api.admin.add_user` writes."""
    con = raw_sqlite(path)
    con.execute("BEGIN")
    con.executemany(
        "INSERT INTO users (username, role, region, active, suspended, created_at) "
        "VALUES (?, ?, ?, 1, 0, ?)",
        [(n, r, reg, sqlite_ts(now)) for n, r, reg in users],
    )
    con.execute("COMMIT")
    con.close()


def token(username: str, now: datetime | None = None) -> str:
    from datetime import timedelta

    from api.security import create_token

    return create_token(username, SECRET, now or datetime.now(UTC), timedelta(hours=8))


# -- regions ------------------------------------------------------------------------------------
def kabupaten_codes() -> list[str]:
    from workflows.regions import iter_regions

    return [r.code for r in iter_regions(level=2)]


def desa_by_kabupaten() -> dict[str, list[str]]:
    from workflows.regions import iter_regions

    out: dict[str, list[str]] = {}
    for r in iter_regions(level=4):
        out.setdefault(r.code[:4], []).append(r.code)
    return out
