"""Statements of the write path run on the DBAPI cursor, compiled by SQLAlchemy once.

A command runs three to five statements (an advance: the case with its actor's account, the
event, the projection). Through `Connection.execute` each one costs ~55 us of
SQLAlchemy's per-execution machinery (execution context, parameter and result processing,
events) on top of ~7 us in the driver (bench: transitions_sqlite; SQLAlchemy was half of a
command's time). `Prepared` keeps SQLAlchemy as the author of the SQL and of the value
conversions, and only skips the machinery:

- the statement is compiled by SQLAlchemy's own compiler, once per dialect and set of
  parameter names;
- values are converted by the column types' own bind and result processors
  (`TypeEngine.dialect_impl(dialect).bind_processor(dialect)`), so a row written here is stored
  exactly as SQLAlchemy stores it (the same datetime text on SQLite, the same JSON);
- it runs on the cursor of the session's connection, inside the session's transaction.

What is skipped: SQLAlchemy's execution context, its after-execution events and echo logging
(`before_cursor_execute` listeners are still called, with no context) and Python-side column
defaults (a statement that would need one fails naming the missing parameter: a value is never
silently dropped).
"""

from __future__ import annotations

import contextlib
import itertools
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

_Processor = Callable[[Any], Any] | None
_names = itertools.count(1)


@dataclass(frozen=True)
class _Plan:
    sql: str
    names: tuple[str, ...]  # parameter names in the order the SQL takes them
    binds: tuple[_Processor, ...]
    positional: bool
    fixed: Mapping[str, Any]  # values written into the statement (literals), by name
    # whether the statement returns rows: known for a select and for an insert/update/delete
    # (RETURNING or not), None for text (the cursor is asked). Asked of psycopg, a cursor's
    # `description` builds a Column object per column each time (~10 us for a case's row)
    rows: bool | None


@dataclass(frozen=True)
class _Rows:
    make: Callable[[Sequence[Any]], Any]  # a named tuple from a row's values
    procs: tuple[tuple[int, Callable[[Any], Any]], ...]  # (column index, result processor)


class Prepared:
    """A Core statement (select, insert, update, text) to run through `run(session, params)`."""

    def __init__(self, stmt: Any) -> None:
        self.stmt = stmt
        self._plans: dict[tuple[str, tuple[str, ...] | None], _Plan] = {}
        self._rows: dict[str, _Rows] = {}

    def __repr__(self) -> str:
        return f"Prepared({self.stmt})"

    # -- compiling -------------------------------------------------------------------------------
    def _plan(self, dialect: Any, keys: tuple[str, ...] | None) -> _Plan:
        plan = self._plans.get((dialect.name, keys))
        if plan is None:
            plan = self._plans[(dialect.name, keys)] = self._compile(dialect, keys)
        return plan

    def _compile(self, dialect: Any, keys: tuple[str, ...] | None) -> _Plan:
        compiled = self.stmt.compile(
            dialect=dialect, column_keys=list(keys) if keys is not None else None
        )
        positional = bool(compiled.positional)
        names = tuple(compiled.positiontup or ()) if positional else tuple(compiled.binds)
        binds = tuple(_bind_processor(compiled.binds[n].type, dialect) for n in names)
        # a select's literals (`col == "open"`) are bound parameters with their value; an
        # insert's or update's values must all come from the caller
        fixed = (
            {}
            if isinstance(self.stmt, sa.Insert | sa.Update)
            else {n: b.value for n, b in compiled.binds.items() if not b.required}
        )
        if self.stmt.is_select:
            rows: bool | None = True
        elif compiled.isinsert or compiled.isupdate or compiled.isdelete:
            rows = bool(compiled.effective_returning)
        else:
            rows = None
        return _Plan(compiled.string, names, binds, positional, fixed, rows)

    def _result(self, dialect: Any, cursor: Any) -> _Rows:
        known = self._rows.get(dialect.name)
        if known is None:
            description = cursor.description
            columns = _selected(self.stmt)
            fields = [d[0] for d in description]
            procs = []
            for i, d in enumerate(description):
                t = columns.get(d[0])
                p = t.dialect_impl(dialect).result_processor(dialect, d[1]) if t else None
                if p is not None:
                    procs.append((i, p))
            row_type = namedtuple("Row", fields, rename=True)  # type: ignore[misc]  # noqa: PYI024
            known = self._rows[dialect.name] = _Rows(row_type._make, tuple(procs))
        return known

    # -- running ---------------------------------------------------------------------------------
    def run(
        self,
        session: Session,
        params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        *,
        stream: bool = False,
    ) -> Result:
        """Execute with one set of parameters (a mapping) or many (a list: executemany).
        `stream`: the rows are to be read with `Result.stream` (on PostgreSQL a server-side
        cursor, so a million rows are not held in memory; SQLite cursors step lazily anyway)."""
        session.flush()  # ORM objects pending in this unit of work go first (a no-op if none)
        conn = _connection(session)
        dialect = conn.dialect
        many = isinstance(params, list)
        first: Mapping[str, Any] = (params[0] if params else {}) if many else (params or {})  # type: ignore[index, assignment]
        keys = tuple(first) if isinstance(self.stmt, sa.Insert | sa.Update) else None
        plan = self._plan(dialect, keys)
        pooled = conn.connection
        kept: dict[Prepared, Any] | None = None
        if dialect.name != "postgresql":
            # sqlite3: a new cursor each time (cheap), closed when its rows are read, so no
            # statement is left open holding a read snapshot
            cursor = pooled.dbapi_connection.cursor()  # type: ignore[union-attr]
        elif stream:  # a server-side cursor
            cursor = pooled.dbapi_connection.cursor(name=f"pkh_stream_{next(_names)}")  # type: ignore[union-attr]
        else:
            # psycopg: one client-side cursor per statement and connection, kept for the
            # connection's life (the pool entry's `info` is cleared when the connection is
            # replaced). A cursor keeps its adapters for the query it ran last; a new one works
            # them out again, ~20 us a statement. Its rows are all on the client once it ran.
            kept = pooled.info.get("pkh_cursors")
            if kept is None:
                kept = pooled.info["pkh_cursors"] = {}
            cursor = kept.get(self)
            if cursor is None:
                cursor = kept[self] = pooled.dbapi_connection.cursor()  # type: ignore[union-attr]
        if many and len(params) == 1:  # type: ignore[arg-type]
            # one row is executed, not executemany'd: psycopg opens a pipeline (and syncs) for
            # an executemany, ~100 us more than an execute on loopback
            many = False
        if many:
            values: Any = _bind_many(plan, params)  # type: ignore[arg-type]
        else:
            values = _bind(plan, first)
        if conn.dispatch.before_cursor_execute:
            # someone listens (query tracing, the query-plan tests): tell them what is sent, as
            # the engine would; there is no execution context here, so `context` is None
            conn.dispatch.before_cursor_execute(
                conn, cursor, plan.sql, _shown(values, many), None, many
            )
        try:
            if many:
                cursor.executemany(plan.sql, values)
            else:
                cursor.execute(plan.sql, values)
        except dialect.loaded_dbapi.Error as e:
            if kept is not None:
                kept.pop(self, None)
            # a connection the server dropped is discarded, not pooled again (as SQLAlchemy's
            # own execution does): the next unit of work gets a new one
            gone = dialect.is_disconnect(e, pooled.dbapi_connection, cursor)
            with contextlib.suppress(dialect.loaded_dbapi.Error):
                cursor.close()
            if gone:
                conn.invalidate(e)
            # the driver's error as SQLAlchemy raises it (IntegrityError, OperationalError...),
            # so callers catch the same exceptions whichever way a statement ran
            raise sa.exc.DBAPIError.instance(
                plan.sql,
                values,
                e,
                dialect.loaded_dbapi.Error,
                hide_parameters=True,
                connection_invalidated=gone,
                dialect=dialect,
                ismulti=many,
            ) from e
        return Result(self, dialect, cursor, plan.rows, owned=kept is None)


@dataclass(frozen=True)
class Unreadable:
    """A row one of whose stored values its column's type cannot read (a datetime that is not
    one, JSON that does not parse: a store altered behind the engine's back), in place of the
    row where the caller reads leniently. `raw` holds the row's values as the driver gave
    them, by column name."""

    raw: Mapping[str, Any]
    column: str
    error: str


class Result:
    """What callers ask of a result: rows (named tuples), the first row, a scalar, rowcount.
    `lenient` reads give an `Unreadable` for a row a value of which cannot be converted,
    instead of raising for the whole result."""

    def __init__(
        self, prepared: Prepared, dialect: Any, cursor: Any, rows: bool | None, *, owned: bool
    ) -> None:
        self._prepared = prepared
        self._dialect = dialect
        self._cursor = cursor
        self._owned = owned  # closed when done; a kept cursor (Prepared.run) is left open
        self.rowcount: int = cursor.rowcount
        self._returns_rows = cursor.description is not None if rows is None else rows
        if not self._returns_rows:
            self._close()

    def _close(self) -> None:
        if self._owned:
            self._cursor.close()

    def _make(self, raw: Sequence[Any], lenient: bool = False) -> Any:
        return self._convert([raw], lenient)[0]

    def _convert(self, raws: Sequence[Sequence[Any]], lenient: bool = False) -> list[Any]:
        rows = self._prepared._result(self._dialect, self._cursor)
        make, procs = rows.make, rows.procs
        out = []
        try:
            for raw in raws:
                values = list(raw)
                for i, p in procs:
                    values[i] = p(values[i])
                out.append(make(values))
        except (ValueError, TypeError, AttributeError):
            if not lenient:
                raise
            return [self._one_by_one(raw, make, procs) for raw in raws]
        return out

    def _one_by_one(self, raw: Sequence[Any], make: Any, procs: Any) -> Any:
        values = list(raw)
        for i, p in procs:
            try:
                values[i] = p(values[i])
            except (ValueError, TypeError, AttributeError) as e:
                names = [d[0] for d in self._cursor.description]
                return Unreadable(dict(zip(names, raw, strict=False)), names[i], str(e))
        return make(values)

    def first(self, lenient: bool = False) -> Any:
        raw = self._cursor.fetchone()
        if raw is None:
            self._close()
            return None
        try:
            return self._make(raw, lenient)
        finally:
            self._close()

    def scalar_one(self) -> Any:
        row = self.first()
        if row is None:
            raise LookupError("no row returned")
        return row[0]

    def stream(self, size: int = 2000, lenient: bool = False) -> Iterator[Any]:
        """The rows, fetched `size` at a time."""
        try:
            while True:
                batch = self._cursor.fetchmany(size)
                if not batch:
                    return
                yield from self._convert(batch, lenient)
        finally:
            self._close()

    def all(self, lenient: bool = False) -> list[Any]:
        if not self._returns_rows:
            return []
        try:
            return self._convert(self._cursor.fetchall(), lenient)
        finally:
            self._close()

    def __iter__(self) -> Any:
        return iter(self.all())


WHOLE_UNIT = object()


def use_connection(session: Session, conn: sa.Connection) -> None:
    """For a session joined to a connection's transaction for its whole life (the SQLite
    writer, engine.store.db): statements run on `conn` from the first, without beginning the
    session's own transaction (~40 us a command). ORM work still joins it as usual."""
    session.info["prepared_connection"] = (WHOLE_UNIT, conn)


def _connection(session: Session) -> sa.Connection:
    """The session's connection in its current transaction, looked up once per transaction
    (`Session.connection()` costs ~15 us and a command runs six or more statements)."""
    known = session.info.get("prepared_connection")
    if known is not None and (known[0] is WHOLE_UNIT or known[0] is session.get_transaction()):
        return known[1]  # type: ignore[no-any-return]
    conn = session.connection()
    session.info["prepared_connection"] = (session.get_transaction(), conn)
    return conn


def _bind(plan: _Plan, params: Mapping[str, Any]) -> Any:
    if plan.fixed:
        params = {**plan.fixed, **params}
    try:
        values = [
            p(params[n]) if p is not None else params[n]
            for n, p in zip(plan.names, plan.binds, strict=True)
        ]
    except KeyError as e:
        raise ValueError(f"no value for parameter {e.args[0]!r} of {plan.sql!r}") from None
    return values if plan.positional else dict(zip(plan.names, values, strict=True))


_NOTHING = object()


def _bind_many(plan: _Plan, rows: Sequence[Mapping[str, Any]]) -> Any:
    """`_bind` of each row, worked column by column: each processor runs once for a value
    the row before had too (the same object: a batch's rows share their instants, `now` and
    the moment of the command; a processor is a pure conversion), and the values of a row go
    to the driver as a tuple. A bulk insert of 20,000 new cases binds ~30 values a row."""
    if plan.fixed:
        rows = [{**plan.fixed, **r} for r in rows]
    columns: list[list[Any]] = []
    try:
        for name, process in zip(plan.names, plan.binds, strict=True):
            column = [r[name] for r in rows]
            if process is not None:
                column = _processed(process, column)
            columns.append(column)
    except KeyError as e:
        raise ValueError(f"no value for parameter {e.args[0]!r} of {plan.sql!r}") from None
    if not columns:
        return [[] if plan.positional else {} for _ in rows]
    if plan.positional:
        return list(zip(*columns, strict=True))
    return [dict(zip(plan.names, values, strict=True)) for values in zip(*columns, strict=True)]


def _processed(process: Callable[[Any], Any], column: list[Any]) -> list[Any]:
    out = []
    last: Any = _NOTHING
    done: Any = None
    for value in column:
        if value is not last:
            last, done = value, process(value)
        out.append(done)
    return out


def _shown(values: Any, many: bool) -> Any:
    """Positional values as a tuple, the shape `exec_driver_sql` takes them in."""
    if many:
        return [tuple(v) if isinstance(v, list) else v for v in values]
    return tuple(values) if isinstance(values, list) else values


def _bind_processor(type_: Any, dialect: Any) -> _Processor:
    return type_.dialect_impl(dialect).bind_processor(dialect)  # type: ignore[no-any-return]


def _selected(stmt: Any) -> dict[str, Any]:
    """Result column name -> type, for statements that return rows."""
    cols = getattr(stmt, "selected_columns", None)
    if cols is None:
        returning = getattr(stmt, "_returning", ()) or ()
        return {c.key: c.type for c in returning}
    return {key: col.type for key, col in cols.items()}
