"""`pkh db backup FILE` and `pkh db restore FILE`, on the `db` command group of api/cli_admin.py.

SQLite: the online backup API (writers may go on while it copies). PostgreSQL: pg_dump -Fc and
pg_restore (the client tools must be installed). Restore copies the configured database, replaces
it with the backup and then runs the audit verification: if the restored store fails it, the copy
is put back and the command says which case and exits 1. Before replacing anything it names
that copy on stderr with the command that puts it back, for a restore killed midway. Stop the API
and the workers before restoring.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from api.cli import command, fail, get_app, plural
from api.cli_admin import db_app
from engine.errors import NotFound
from engine.store import audit_runner
from engine.store.backup import BackupError, backend, backup, restore
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

    The database is copied first: when the restored one fails audit verify, it is put back as
    it was and the command exits 1 naming the first problem (--keep-failed keeps the restored
    one instead). A backup of an older schema is restored and not verified: it says to run
    `pkh db upgrade`."""
    if not file.exists():  # not found: exit 3, as for anything else not found
        raise NotFound(f"{file} does not exist")
    app = get_app(create=True)
    url = app.settings.database_url
    app.db.dispose()  # nothing of ours holds the database while it is replaced
    with tempfile.TemporaryDirectory(prefix="pkh-restore-") as work:
        before, no_copy = _copy_before(url, Path(work) / "before-restore.backup")
        if before is not None:
            # said before anything is replaced: a restore killed from here on (SIGKILL, power)
            # leaves the database restored, unverified or failing, and nothing else says how
            # to get the old one back; this copy is removed only when the command ends
            typer.echo(
                f"the database as it was is copied to {before}: if this restore is "
                f"interrupted, `pkh db restore {before}` puts it back",
                err=True,
            )
        try:
            info = restore(url, file)
        except BackupError as e:
            fail(str(e))
            return
        problem = mismatch(url, current(url))
        if problem:
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
    out = {
        **info.as_dict(),
        "verified": report.ok,
        "cases": report.cases,
        "events": report.events,
        "checkpoints": report.checkpoints,
        "problems": [str(p) for p in report.problems],
        "put_back": put_back,
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
        else:
            then = f"; it stays restored: {no_copy}"
        fail(f"the backup fails audit verify: {report.problems[0]}{then}", 1)


def _copy_before(url: str, dest: Path) -> tuple[Path | None, str]:
    """A copy of the database as it is, to put back if the restored one fails audit verify:
    (its path, ""), or (None, why there is none). A database with no schema yet (or no file)
    has nothing to keep; one that cannot be read is restored over without a copy (restoring
    is how a damaged store is mended)."""
    try:
        if backend(url) == "sqlite" and not Path(make_url(url).database or "").is_file():
            return None, "there was no database before it"
        if current(url) is None:
            return None, "the database had no schema before it"
        backup(url, dest)
    except (BackupError, OperationalError, ProgrammingError) as e:
        reason = str(getattr(e, "orig", None) or e).strip().splitlines()[0]
        return None, f"the database could not be copied before the restore ({reason})"
    return dest, ""
