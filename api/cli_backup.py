"""`pkh db backup FILE` and `pkh db restore FILE`, on the `db` command group of api/cli_admin.py.

SQLite: the online backup API (writers may go on while it copies). PostgreSQL: pg_dump -Fc and
pg_restore (the client tools must be installed). Restore copies the configured database, replaces
it with the backup and then runs the audit verification: if the restored store fails it, the copy
is put back and the command says which case and exits 1. Before replacing anything it names
that copy on stderr with the command that puts it back, for a restore killed midway. Stop the API
and the workers before restoring.

The copy of a SQLite database goes beside it (`.<name>.before-restore-<UTC time>.backup`, in the
database's own folder, mode 0600): on the same disk, so it is quick, survives a reboot and never
fills a RAM-backed /tmp. A PostgreSQL database has no folder here: its pg_dump goes to the system
temporary folder (`$TMPDIR`, else /tmp), named alike. The copy is removed when the command ends
with the database as it meant to leave it; it is kept, and named, when the restored database
failed verify and stays (--keep-failed), or when the command stops on anything unforeseen
(Ctrl-C, a put-back that failed).
"""

from __future__ import annotations

import json
import os
import shlex
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from api.cli import command, fail, get_app, plural
from api.cli_admin import db_app
from engine.errors import NotFound
from engine.store import audit_runner
from engine.store.backup import BackupError, backend, backup, check_source, restore
from engine.store.db import Database
from engine.store.migrate import current, mismatch


@db_app.command("backup")
@command
def db_backup(
    file: Path = typer.Argument(..., help="where to write the backup (replaced when done)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Write a consistent backup of the configured database to FILE."""
    url = get_app().settings.database_url
    try:
        info = backup(url, file)
    except BackupError as e:
        fail(str(e))
        return
    if as_json:
        typer.echo(json.dumps(info.as_dict()))
    else:
        where = f" (schema {info.schema})" if info.schema else ""
        typer.echo(f"backup of {info.backend}{where} written to {info.path} ({info.size} bytes)")


@db_app.command("restore")
@command
def db_restore(
    file: Path = typer.Argument(..., help="a file written by `pkh db backup`"),
    as_json: bool = typer.Option(False, "--json"),
    keep_failed: bool = typer.Option(
        False,
        "--keep-failed",
        help="keep the restored database even when it fails audit verify (the default puts "
        "the database back as it was)",
    ),
) -> None:
    """Replace the configured database with FILE, then verify every case's audit chain.

    The database is copied first (a SQLite file beside itself, a PostgreSQL one to $TMPDIR;
    stderr names the copy): when the restored one fails audit verify, it is put back as it was
    and the command exits 1 naming the first problem (--keep-failed keeps the restored one
    instead, and the copy). A backup of an older schema is restored and not verified: it says
    to run `pkh db upgrade`."""
    if not file.exists():  # not found: exit 3, as for anything else not found
        raise NotFound(f"{file} does not exist")
    app = get_app(create=True)
    url = app.settings.database_url
    try:  # a folder or a file that is no backup: refused before the database is copied
        check_source(url, file)
    except BackupError as e:
        fail(str(e), 2)  # bad input, as every command's (README: exit codes)
        return
    app.db.dispose()  # nothing of ours holds the database while it is replaced
    sealed = _checkpoints(url)  # what the database as it is holds: said if the restore drops any
    before, no_copy = _copy_before(url)
    if before is not None:
        # said before anything is replaced: a restore killed from here on (SIGKILL, power)
        # leaves the database restored, unverified or failing, and nothing else says how
        # to get the old one back; this copy is removed only when the command ends
        typer.echo(
            f"the database as it was is copied to {before}: if this restore is "
            f"interrupted, `{back_command(before)}` puts it back",
            err=True,
        )
    elif no_copy.startswith("the database could not be copied"):
        # said before anything is replaced: there will be nothing to put back
        typer.echo(f"warning: {no_copy}; restoring over it with no copy", err=True)
    settled = False  # the database is as the command means to leave it: the copy can go
    try:
        try:
            info = restore(url, file)
        except BackupError as e:
            settled = True  # refused, or replaced nothing (one transaction): as it was
            fail(str(e))
            return
        problem = mismatch(url, current(url))
        if problem:
            settled = True
            # an older (or newer) backup: restored, but verify needs this code's schema
            if as_json:
                typer.echo(json.dumps({**info.as_dict(), "verified": None, "needs": problem}))
            else:
                then = ", then `pkh audit verify`" if problem.endswith("`pkh db upgrade`") else ""
                typer.echo(
                    f"restored {info.path} into {info.backend}; not verified yet: {problem}{then}"
                )
            return
        db = Database(url)
        try:
            report = audit_runner.verify(db, stop_at_first=False)
        finally:
            db.dispose()
        put_back = False
        if not report.ok and before is not None and not keep_failed:
            restore(url, before)
            put_back = True
        # a failing store kept (--keep-failed): the copy is the sound one, kept too
        settled = report.ok or put_back
    finally:
        if before is not None:
            if settled:
                before.unlink(missing_ok=True)
            else:
                typer.echo(
                    f"the database as it was before this restore is kept in {before}: "
                    f"`{back_command(before)}` puts it back",
                    err=True,
                )
    # checkpoints sealed after the backup was made are gone with the restore: an anchor an
    # auditor kept for one now fails verify (checkpoint_missing), which should not come as news
    lost = [] if put_back else sorted(set(sealed.items()) - set(_checkpoints(url).items()))
    if lost and not as_json:
        ids = ", ".join(str(i) for i, _ in lost)
        are, them = ("is", "it") if len(lost) == 1 else ("are", "them")
        typer.echo(
            f"warning: {plural(len(lost), 'checkpoint')} ({ids}) of the database as it was "
            f"{are} not in the restored one: an anchor kept for {them} now fails `pkh audit "
            "verify --anchor` (checkpoint_missing); `pkh audit checkpoint` seals the restored "
            "store",
            err=True,
        )
    out = {
        **info.as_dict(),
        "verified": report.ok,
        "checkpoints_lost": [i for i, _ in lost],
        "cases": report.cases,
        "events": report.events,
        "checkpoints": report.checkpoints,
        "problems": [str(p) for p in report.problems],
        "put_back": put_back,
        # the copy of the database as it was, when kept (--keep-failed on a failing store)
        "copy_kept": None if settled or before is None else str(before),
    }
    if as_json:
        typer.echo(json.dumps(out))
    else:
        # put back: the backup is not in the database any more, so it is not "restored"
        done = "tried restoring" if put_back else "restored"
        typer.echo(
            f"{done} {info.path} into {info.backend}; verify: {plural(report.cases, 'case')}, "
            f"{plural(report.events, 'event')}, {plural(report.checkpoints, 'checkpoint')}"
        )
    if not report.ok:
        if put_back:
            then = (
                "; the database was put back as it was before the restore (--keep-failed "
                "keeps the restored one)"
            )
        elif keep_failed:
            then = "; kept as restored (--keep-failed)"
            if before is not None:
                then += f"; the database as it was is kept in {before}"
        else:
            then = f"; it stays restored: {no_copy}"
        fail(f"the backup fails audit verify: {report.problems[0]}{then}", 1)


def _checkpoints(url: str) -> dict[int, str]:
    """The audit checkpoints a database holds, {id: digest}; none where it has none yet, or
    cannot be read (a restore is how a damaged store is mended)."""
    if backend(url) == "sqlite" and not Path(make_url(url).database or "").is_file():
        return {}  # no file: none (and connecting would make one)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT id, digest FROM audit_checkpoints"))
            return {int(r[0]): str(r[1]) for r in rows}
    except sa.exc.SQLAlchemyError:
        return {}
    finally:
        engine.dispose()


def copy_path(url: str, moment: datetime | None = None) -> Path:
    """Where a restore keeps its copy of the database as it was: a SQLite file's own folder
    (`.pkh.db.before-restore-20260114T031500Z.backup` beside `pkh.db`), or for PostgreSQL the
    system temporary folder (`pkh-<database>.before-restore-...`), as for a SQLite file whose
    folder this user cannot write. Absolute, so the command that puts it back works from any
    folder; a name taken already gets a number."""
    stamp = (moment or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    if backend(url) == "sqlite":
        db = Path(make_url(url).database or "pkh.db").resolve()
        folder, name = db.parent, f".{db.name}.before-restore-{stamp}"
        if not os.access(folder, os.W_OK | os.X_OK):
            # a folder this user cannot write: the system temporary one rather than no copy
            folder, name = Path(tempfile.gettempdir()).resolve(), name[1:]
    else:
        folder = Path(tempfile.gettempdir()).resolve()
        name = f"pkh-{make_url(url).database or 'postgres'}.before-restore-{stamp}"
    path, n = folder / f"{name}.backup", 1
    while path.exists():
        n += 1
        path = folder / f"{name}-{n}.backup"
    return path


def back_command(copy: Path) -> str:
    """The command that puts the copy back, quoted for a shell (a folder with a space)."""
    return f"pkh db restore {shlex.quote(str(copy))}"


def _copy_before(url: str) -> tuple[Path | None, str]:
    """A copy of the database as it is, to put back if the restored one fails audit verify:
    (its path, ""), or (None, why there is none). A database with no schema yet (or no file)
    has nothing to keep; one that cannot be read is restored over without a copy (restoring
    is how a damaged store is mended)."""
    try:
        if backend(url) == "sqlite" and not Path(make_url(url).database or "").is_file():
            return None, "there was no database before it"
        if current(url) is None:
            return None, "the database had no schema before it"
        dest = copy_path(url)
    except (BackupError, OperationalError, ProgrammingError, OSError) as e:
        return None, _no_copy(e)
    try:
        backup(url, dest)
        os.chmod(dest, 0o600)  # a copy of every case: for the database's owner only
    except (BackupError, OperationalError, ProgrammingError, OSError) as e:
        dest.unlink(missing_ok=True)  # a copy cut short (a full disk) or left readable
        return None, _no_copy(e)
    return dest, ""


def _no_copy(e: BaseException) -> str:
    reason = str(getattr(e, "orig", None) or e).strip().splitlines()[0]
    return f"the database could not be copied before the restore ({reason})"
