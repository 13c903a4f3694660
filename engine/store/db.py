"""Database wiring: engines for SQLite (WAL, immediate write transactions) or PostgreSQL."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from engine.store.prepared import use_connection
from engine.store.tables import json_serializer


def read_only_uri(db_path: str) -> str | None:
    """A SQLite URI that opens `db_path` read-only, when this process may not write the
    file (a copy on read-only media, or another user's file); None when it may.

    SQLite cannot open a WAL database whose `-shm` file it can neither find nor create
    ("attempt to write a readonly database", even to read), so where the folder cannot be
    written and holds no `-shm` (nothing has it open: a writer would have made one) the file
    is opened as `immutable`. A `-wal` left beside it is then not read: such a copy is
    refused, rather than read without its last writes."""
    path = Path(db_path)
    if not path.exists() or os.access(path, os.W_OK):
        return None
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    shm, wal = Path(f"{path}-shm"), Path(f"{path}-wal")
    if not os.access(path.parent, os.W_OK) and not shm.exists():
        if wal.exists() and wal.stat().st_size > 0:
            raise RuntimeError(
                f"{path} is read-only and its write-ahead log {wal.name} holds writes not yet "
                "in the file, which SQLite cannot read without a -shm file beside it: copy "
                f"both files ({path.name} and {wal.name}) to a folder that can be written, "
                "and check the copy"
            )
        uri += "&immutable=1"
    return uri


def _sqlite_engine(url: str, *, immediate: bool) -> sa.Engine:
    db_path = sa.engine.make_url(url).database
    read_only = None
    if db_path and db_path != ":memory:":
        read_only = read_only_uri(db_path)
        if read_only is None:
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    if read_only is not None:
        uri = read_only
        connect: dict[str, Any] = {
            "creator": lambda: sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=30)
        }
    else:
        connect = {"connect_args": {"check_same_thread": False, "timeout": 30}}
    engine = sa.create_engine(
        url,
        **connect,
        # Every unit of work ends its transaction itself (commit, or rollback when a
        # Connection closes inside one), so the pool's extra rollback on every return is
        # not needed: it cost ~0.1 ms per read (bench api_worklist_p99_ms: two reads a request).
        pool_reset_on_return=None,
        json_serializer=json_serializer,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if read_only is None:  # a file opened read-only keeps the mode it has
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # A write transaction takes the lock up front, so two writers never deadlock on upgrade.
        # Sent on the DBAPI connection: it runs once per command (bench: transitions_sqlite).
        conn.connection.dbapi_connection.execute(  # type: ignore[union-attr]
            "BEGIN IMMEDIATE" if immediate else "BEGIN"
        )

    return engine


# A pooled PostgreSQL connection idle longer than this is pinged before use (a restarted
# server, a firewall or `idle_session_timeout` may have dropped it meanwhile); see
# _postgres_engine.
PING_AFTER_IDLE_S = 5.0


def _postgres_engine(url: str) -> sa.Engine:
    """SQLAlchemy's `pool_pre_ping` pings on every checkout: one more round trip for every
    transaction, a fifth of a command's time with one client (bench:
    transitions_postgres_8clients). A connection back in use within PING_AFTER_IDLE_S of its
    last use is not pinged; one that sat idle longer is, and is replaced if the ping fails. A
    connection that breaks in use anyway is discarded, not pooled again
    (`engine.store.prepared` and SQLAlchemy both invalidate it), so the next command gets a
    new one."""
    engine = sa.create_engine(url, json_serializer=json_serializer)

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["pkh_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("pkh_idle_since")
        if since is None or time.monotonic() - since <= PING_AFTER_IDLE_S:
            return  # new, or in use a moment ago
        dialect = engine.dialect
        try:
            dialect.do_ping(dbapi_conn)
        except dialect.loaded_dbapi.Error as e:
            if dialect.is_disconnect(e, dbapi_conn, None):
                # the pool replaces this connection and tries again
                raise sa.exc.DisconnectionError(str(e)) from e
            raise

    return engine


@contextmanager
def _joined(conn: sa.Connection, *, flush: bool) -> Iterator[Session]:
    """A transaction begun on `conn`, with a session joined to it for its whole life: it
    commits when the block ends without an error (after flushing the session's ORM objects,
    with `flush`) and rolls back otherwise."""
    with (
        conn.begin(),
        Session(
            bind=conn, expire_on_commit=False, join_transaction_mode="rollback_only"
        ) as session,
    ):
        use_connection(session, conn)
        yield session
        if flush:
            session.flush()


class Database:
    """The two doors into storage: write transactions (one per command) and reads."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.dialect = sa.engine.make_url(url).get_backend_name()
        self._writer: Any = nullcontext()
        self._writer_conn: sa.Connection | None = None
        if self.dialect == "sqlite":
            self._writer = threading.RLock()
            self.write_engine = _sqlite_engine(url, immediate=True)
            self.read_engine = _sqlite_engine(url, immediate=False)
        else:
            self.write_engine = _postgres_engine(url)
            self.read_engine = self.write_engine

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A unit of work: everything inside commits together or not at all.

        On SQLite one writer works at a time. Threads of this process queue on a lock for
        their turn instead of in SQLite's busy handler, which polls with sleeps of up to
        100 ms: under 50 concurrent requests most of the time went to sleeping, not writing
        (bench api_post_events_per_s). Other processes still meet the busy timeout. The
        writing connection is kept between units of work (`_writer_connection`); the session
        joins its transaction, which commits when the unit ends without an error.

        On PostgreSQL the unit takes a pooled connection, begins on it and lets the session
        join (as on SQLite, without the lock): the session's own begin/commit/close machinery
        cost ~15% of a command's client-side instructions (callgrind, an advance: 1.98M ->
        1.67M instructions; bench transitions_postgres_8clients)."""
        if self.dialect != "sqlite":
            with self.write_engine.connect() as conn, _joined(conn, flush=True) as session:
                yield session
            return
        with self._writer, _joined(self._writer_connection(), flush=True) as session:
            yield session

    @contextmanager
    def reading(self, *, snapshot: bool = False) -> Iterator[Session]:
        """A read transaction. `snapshot`: every query sees one moment (PostgreSQL: REPEATABLE
        READ; SQLite's WAL readers see one moment from their first read anyway).

        As a write unit, it begins on a pooled connection and lets the session join it: the
        session's own transaction machinery cost about as much CPU as a small read itself
        (~135 -> ~80 us for a one-row read on SQLite; a worklist request makes two)."""
        with self.read_engine.connect() as conn:
            if snapshot and self.dialect == "postgresql":
                # reset by the pool when the connection goes back
                conn.execution_options(isolation_level="REPEATABLE READ")
            try:
                with _joined(conn, flush=False) as session:
                    yield session
            except BaseException:
                if self.dialect == "sqlite":
                    # A read that failed may have left a statement stopped mid-way (a row that
                    # could not be converted); an open statement keeps its read snapshot, and
                    # Python's sqlite3 does not reset it on rollback: pooled again, the
                    # connection would show that moment to every later read. It is closed.
                    conn.invalidate()
                raise

    def _writer_connection(self) -> sa.Connection:
        """SQLite: the one writing connection of this process, kept between transactions
        (only one writer works at a time; checking a connection out of the pool and back for
        every command cost ~50 us, bench transitions_sqlite)."""
        conn = self._writer_conn
        if conn is None or conn.closed or conn.invalidated:
            if conn is not None:
                conn.close()
            conn = self._writer_conn = self.write_engine.connect()
        return conn

    def dispose(self) -> None:
        if self._writer_conn is not None:
            self._writer_conn.close()
            self._writer_conn = None
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()
