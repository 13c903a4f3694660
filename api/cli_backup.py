"""`pkh db backup FILE` and `pkh db restore FILE`, on the `db` command group of api/cli_admin.py.

SQLite: the online backup API (writers may go on while it copies). PostgreSQL: pg_dump -Fc and
pg_restore (the client tools must be installed). Restore replaces the configured database with
the backup and then runs the audit verification: if the restored store fails it, the command
says which case and exits 1. Stop the API and the workers before restoring.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from api.cli import command, fail, get_app, plural
from api.cli_admin import db_app
from engine.errors import NotFound
from engine.store import audit_runner
from engine.store.backup import BackupError, backup, restore
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
) -> None:
    """Replace the configured database with FILE, then verify every case's audit chain.

    A backup of an older schema is restored and not verified: it says to run `pkh db upgrade`."""
    if not file.exists():  # not found: exit 3, as for anything else not found
        raise NotFound(f"{file} does not exist")
    app = get_app(create=True)
    url = app.settings.database_url
    app.db.dispose()  # nothing of ours holds the database while it is replaced
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
    out = {
        **info.as_dict(),
        "verified": report.ok,
        "cases": report.cases,
        "events": report.events,
        "checkpoints": report.checkpoints,
        "problems": [str(p) for p in report.problems],
    }
    if as_json:
        typer.echo(json.dumps(out))
    else:
        typer.echo(
            f"restored {info.path} into {info.backend}; verify: {plural(report.cases, 'case')}, "
            f"{plural(report.events, 'event')}, {plural(report.checkpoints, 'checkpoint')}"
        )
    if not report.ok:
        fail(f"the restored database fails audit verify: {report.problems[0]}", 1)
