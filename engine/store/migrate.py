"""Alembic, run from code: `pkh db upgrade` and the test fixtures call `upgrade(url)`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError

HERE = Path(__file__).parent


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        command.upgrade(alembic_config(url), revision)
    except CommandError:
        # a database written by a newer pkh: "Can't locate revision identified by '0013'"
        problem = schema_problem(url)
        if problem and "newer than this pkh" in problem:
            raise RuntimeError(problem) from None
        raise


def current(url: str) -> str | None:
    import sqlalchemy as sa
    from alembic.runtime.migration import MigrationContext

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def head() -> str:
    """The revision this code's migrations end at."""
    found = _scripts().get_current_head()
    assert found is not None
    return found


def known(revision: str) -> bool:
    """Whether this code's migrations know `revision` (a newer pkh's do not)."""
    return any(r.revision == revision for r in _scripts().walk_revisions())


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config("sqlite://"))


def mismatch(url: str, at: str | None) -> str | None:
    """What is wrong with a database at revision `at` for this code, or None when nothing."""
    from engine.settings import database_label

    want, where = head(), database_label(url)
    if at == want:
        return None
    if at is not None and not known(at):
        return (
            f"the database {where} is at schema revision {at}, newer than this pkh knows "
            f"(head {want}): install the matching version of pkh, or restore a backup"
        )
    state = "has no schema yet" if at is None else f"is at schema revision {at}"
    return f"the database {where} {state}; this version of pkh needs {want}: run `pkh db upgrade`"


def missing_file(url: str) -> str | None:
    """What to say when `url` names a SQLite file that does not exist, else None. Opening it
    would make the file (and its folder, and the secret key file beside it) before any
    command could say "no schema": a mistyped PKH_DATABASE_URL left folders behind."""
    import sqlalchemy as sa

    from engine.settings import database_label

    try:
        u = sa.engine.make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        return None  # told by whatever opens it
    db = u.database
    if not u.drivername.startswith("sqlite") or not db or db == ":memory:":
        return None
    if db.startswith("file:") or Path(db).exists():
        return None
    return (
        f"the database {database_label(url)} does not exist (nothing was created); this "
        f"version of pkh needs {head()}: check PKH_DATABASE_URL, or run `pkh db upgrade` to "
        "create it"
    )


def schema_problem(url: str) -> str | None:
    """`mismatch` for the database at `url`; None when it is at head or cannot be read."""
    try:
        return mismatch(url, current(url))
    except Exception:  # the caller's own error is told instead
        return None


def require_head(url: str) -> None:
    """Refuse to serve a database whose schema is not the one this code writes: every request
    would otherwise fail on the first missing table or column."""
    problem = mismatch(url, current(url))
    if problem:
        raise RuntimeError(problem)
