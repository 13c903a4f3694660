"""Backups of the store: the SQLite online backup API, or pg_dump / pg_restore for PostgreSQL.

`backup(url, dest)` writes one self-contained file: a SQLite database (copied page by page while
writers go on, through `sqlite3.Connection.backup`) or a pg_dump custom-format archive (`-Fc`).
`restore(url, src)` puts such a file back over the database at `url`. Neither checks the audit
chain: callers run `audit_runner.verify` afterwards (`pkh db restore` does, and fails if it fails).

PostgreSQL: the dump covers the schema the application's tables live in: the first entry of a
`search_path` given in the URL's `options` (`?options=-csearch_path%3Dpkh`, as the test suite's
schema-per-test URLs do), or `public`. The URL is handed to the client tools in libpq form; a
password travels in PGPASSWORD, never on the command line. Restore runs `pg_restore --clean
--if-exists --single-transaction --exit-on-error`: it either replaces the schema's tables with the
archive's or changes nothing. Stop writers (API, workers) before restoring.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import sqlalchemy as sa

from engine.store.db import read_only_uri

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


class BackupError(RuntimeError):
    """A backup or restore that could not be done; the message says why."""


@dataclass(frozen=True)
class BackupInfo:
    backend: str  # sqlite | postgresql
    path: Path
    size: int
    schema: str | None = None  # PostgreSQL: the schema dumped

    def as_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "path": str(self.path),
            "size": self.size,
            "schema": self.schema,
        }


def backend(url: str) -> str:
    name = sa.engine.make_url(url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise BackupError(f"backups support SQLite and PostgreSQL, not {name}")
    return name


def backup(url: str, dest: str | Path) -> BackupInfo:
    """Write a backup of the database at `url` to `dest` (replaced atomically when done)."""
    dest = Path(dest)
    if dest.is_dir():
        raise BackupError(f"{dest} is a directory; give a file name")
    if backend(url) == "sqlite":
        _refuse_the_databases_own_files(_sqlite_path(url), dest)
    try:
        return _backup(url, dest)
    except (OSError, sqlite3.Error) as e:
        # a folder that cannot be made or written, read-only media, a full disk
        raise BackupError(f"cannot write the backup to {dest}: {_reason(e)}") from None


def _backup(url: str, dest: Path) -> BackupInfo:
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if backend(url) == "sqlite":
            _sqlite_backup(_sqlite_path(url), tmp)
            schema = None
        else:
            schema = _pg_dump(url, tmp)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return BackupInfo(backend(url), dest, dest.stat().st_size, schema)


def restore(url: str, src: str | Path) -> BackupInfo:
    """Replace the database at `url` with the backup in `src`."""
    src = Path(src)
    check_source(url, src)
    try:
        return _restore(url, src)
    except (OSError, sqlite3.Error) as e:
        from engine.settings import database_label

        raise BackupError(
            f"cannot restore {src} into {database_label(url)}: {_reason(e)}"
        ) from None


def check_source(url: str, src: Path) -> None:
    """Refuse at once what cannot be a backup for `url`: no file, a folder, a file whose first
    bytes are not a SQLite database's or a pg_dump archive's (before a restore copies a whole
    database to keep it)."""
    if src.is_dir():
        raise BackupError(f"{src} is a directory: give a file written by `pkh db backup`")
    if not src.is_file():
        raise BackupError(f"{src} does not exist")
    try:
        with src.open("rb") as f:
            head = f.read(16)
    except OSError as e:
        raise BackupError(f"cannot read {src}: {_reason(e)}") from None
    if backend(url) == "sqlite":
        if not head.startswith(SQLITE_MAGIC):
            raise BackupError(f"{src} is not a SQLite backup")
    elif not head.startswith(PGDUMP_MAGIC):
        raise BackupError(f"{src} is not a pg_dump custom-format archive (pkh db backup makes one)")
    else:
        _check_archive_schema(url, src)


def _reason(e: OSError | sqlite3.Error) -> str:
    if isinstance(e, OSError) and e.strerror:
        return f"{e.strerror} ({e.filename})" if e.filename else e.strerror
    return str(e)


def _restore(url: str, src: Path) -> BackupInfo:
    if backend(url) == "sqlite":
        _sqlite_restore(src, _sqlite_path(url))
        return BackupInfo("sqlite", src, src.stat().st_size)
    schema = _pg_restore(url, src)
    return BackupInfo("postgresql", src, src.stat().st_size, schema)


# ------------------------------------------------------------------------------------- SQLite
def _sqlite_path(url: str) -> Path:
    database = sa.engine.make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(f"not a SQLite file database: {url}")
    return Path(database)


def _sqlite_backup(path: Path, dest: Path) -> None:
    if not path.is_file():
        raise BackupError(f"no database at {path}")
    # read-only, and as immutable where the copy's folder cannot be written either
    src = sqlite3.connect(_read_uri(path), uri=True, timeout=30)
    try:
        src.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as e:
        src.close()
        raise BackupError(f"cannot read the database {path}: {_reason(e)}") from None
    out = sqlite3.connect(dest)
    try:
        # One step copies every page inside one read transaction: a consistent snapshot even
        # while writers commit (WAL readers never block them).
        src.backup(out)
        out.execute("PRAGMA journal_mode=DELETE")  # a single file, no -wal beside it
        ok = out.execute("PRAGMA integrity_check").fetchone()
        if not ok or ok[0] != "ok":
            raise BackupError(f"the copy fails its integrity check: {ok}")
    finally:
        out.close()
        src.close()


# the files SQLite (and pkh, for its key) keeps beside a database, named after it
_COMPANIONS = ("", "-wal", "-shm", "-journal", ".secret_key")


def _refuse_the_databases_own_files(path: Path, dest: Path) -> None:
    """A backup is put in place by a rename: written over the database itself, the processes
    that have it open (the API, workers) would go on writing to the file renamed away, their
    work lost to every later reader; over its -wal or -shm, the commits not yet checkpointed
    would be lost; over its key, everyone would be signed out."""
    target = dest.resolve()
    for suffix in _COMPANIONS:
        own = Path(f"{path.resolve()}{suffix}")
        same = own == target or (own.exists() and dest.exists() and own.samefile(dest))
        if same:
            what = "the database itself" if not suffix else f"the {suffix} file of {path}"
            raise BackupError(f"{dest} is {what}: nothing written; give the backup another name")


def _read_uri(path: Path) -> str:
    """A URI that opens the SQLite file `path` only to read it (`engine.store.db`)."""
    return read_only_uri(str(path)) or f"file:{quote(str(path.resolve()))}?mode=ro"


def _sqlite_restore(src: Path, path: Path) -> None:
    source = sqlite3.connect(_read_uri(src), uri=True)
    try:
        ok = source.execute("PRAGMA integrity_check").fetchone()
        if not ok or ok[0] != "ok":
            raise BackupError(f"{src} fails its integrity check: {ok}")
        tables = {r[0] for r in source.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not {"alembic_version", "case_events", "cases"} <= tables:
            raise BackupError(f"{src} is not a pkh-casework database")
        path.parent.mkdir(parents=True, exist_ok=True)
        target = sqlite3.connect(path, timeout=30)
        try:
            target.execute("PRAGMA busy_timeout=30000")
            source.backup(target)  # takes the write lock, replaces every page, commits
            target.execute("PRAGMA journal_mode=WAL")
            target.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            target.close()
    except sqlite3.DatabaseError as e:
        raise BackupError(f"cannot restore {src} into {path}: {e}") from None
    finally:
        source.close()


# --------------------------------------------------------------------------------- PostgreSQL
_LIBPQ_KEYS = {
    "sslmode",
    "sslcert",
    "sslkey",
    "sslrootcert",
    "sslcrl",
    "connect_timeout",
    "application_name",
    "target_session_attrs",
    "gssencmode",
    "service",
}


def _quote(value: str) -> str:
    if value and not re.search(r"[\s'\\]", value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def schema_of(url: str) -> str:
    """The schema the application's tables live in: search_path's first entry, or public."""
    options = sa.engine.make_url(url).query.get("options") or ""
    if isinstance(options, tuple):
        options = " ".join(options)
    m = re.search(r"-c\s*search_path\s*=\s*([^\s]+)", unquote(options))
    if not m:
        return "public"
    first = m.group(1).split(",")[0].strip().strip('"')
    if not first or first == "$user":
        return "public"
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", first):
        raise BackupError(f"unsupported schema name in search_path: {first!r}")
    return first


def libpq(url: str) -> tuple[str, dict[str, str]]:
    """(conninfo, environment) for the client tools: the password goes in PGPASSWORD."""
    u = sa.engine.make_url(url)
    parts = {
        "host": u.host,
        "port": str(u.port) if u.port else None,
        "user": u.username,
        "dbname": u.database,
    }
    for key, value in u.query.items():
        if key in _LIBPQ_KEYS:
            parts[key] = value if isinstance(value, str) else value[0]
    conninfo = " ".join(f"{k}={_quote(v)}" for k, v in parts.items() if v)
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = u.password
    return conninfo, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return path


def _run(args: list[str], env: dict[str, str]) -> None:
    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=3600)
    except subprocess.TimeoutExpired:
        raise BackupError(f"{Path(args[0]).name} took more than an hour") from None
    if done.returncode != 0:
        err = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{Path(args[0]).name} failed: {' / '.join(err[-5:])}")


def _pg_dump(url: str, dest: Path) -> str:
    schema = schema_of(url)
    conninfo, env = libpq(url)
    _run(
        [_tool("pg_dump"), "-Fc", "--no-owner", "--no-privileges", "-n", schema]
        + ["-f", str(dest), "-d", conninfo],
        env,
    )
    return schema


def _archive_schemas(src: Path, env: dict[str, str]) -> set[str]:
    done = subprocess.run(
        [_tool("pg_restore"), "-l", str(src)], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise BackupError(f"{src} is not a readable pg_dump archive: {done.stderr.strip()}")
    schemas = set()
    for line in done.stdout.splitlines():
        # "215; 1259 16390 TABLE t_abc case_events postgres", "3560; 0 16390 TABLE DATA t_abc
        # case_events postgres", "5; 2615 16385 SCHEMA - t_abc postgres"
        m = re.match(r"^\d+;\s+\d+\s+\d+\s+(TABLE DATA|TABLE|SCHEMA)\s+(\S+)\s+(\S+)", line)
        if m:
            schemas.add(m.group(3) if m.group(1) == "SCHEMA" else m.group(2))
    return schemas


def _check_archive_schema(url: str, src: Path) -> None:
    """An archive of another schema is refused (pg_restore -n would restore nothing of it),
    saying how to restore it where it belongs."""
    schema = schema_of(url)
    found = _archive_schemas(src, libpq(url)[1]) - {"-"}
    if found and found != {schema}:
        theirs = ", ".join(sorted(found))
        said = f"{src} holds schema {theirs}; this database uses {schema}: nothing restored"
        if len(found) == 1:
            where = (
                f"the option options=-csearch_path%3D{theirs} in PKH_DATABASE_URL"
                if theirs != "public"
                else "no search_path option in PKH_DATABASE_URL"
            )
            said += f"; to restore it into its own schema, run the command with {where}"
        raise BackupError(said)


def _pg_restore(url: str, src: Path) -> str:
    schema = schema_of(url)
    conninfo, env = libpq(url)
    _check_archive_schema(url, src)
    args = [_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges"]
    args += ["--single-transaction", "--exit-on-error", "-n", schema, "-d", conninfo, str(src)]
    _run(args, env)
    return schema
