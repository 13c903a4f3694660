"""`pkh user passwd|disable|enable|set`, on the `user` command group of api/cli_admin.py.

Passwords are never taken as an argument here (it would show in `ps` and the shell history):
they are asked for twice on a terminal, or read as one line from stdin with --password-stdin.
Changes made here are told to the `pkh.admin` log as made by `cli:<OS user>`: the command
line acts with the database's own rights, so it needs no admin account (and can enable one
again when none is left).
"""

from __future__ import annotations

import getpass
import sys
from typing import Any

import typer

from api.admin import UNCHANGED, update_user
from api.cli import command, get_app
from api.cli_admin import user_app
from engine.errors import InvalidInput

NO_TERMINAL = "no terminal to ask for the password on: pipe it in with --password-stdin"
NO_PASSWORD_FOR_ADD = (
    "no password given and no terminal to ask on: use --password-stdin (or --password, which"
    " shows in `ps` and the shell history), or --no-password for an account that cannot sign"
    " in and only acts through `pkh ... --actor`"
)


def new_password(*, password_stdin: bool, refusal: str = NO_TERMINAL) -> str:
    """A new password: one line of stdin, or asked twice (hidden) on a terminal."""
    if password_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise InvalidInput("password", "--password-stdin: nothing was read from stdin")
        return line
    if not sys.stdin.isatty():
        raise InvalidInput("password", refusal)
    return str(typer.prompt("New password", hide_input=True, confirmation_prompt=True))


def _cli_actor() -> str:
    return f"cli:{getpass.getuser()}"


def _update(name: str, **change: Any) -> None:
    a = get_app()
    row, changes = update_user(a.db, name, actor=_cli_actor(), now=a.service.clock(), **change)
    state = "" if row.active else " (disabled)"
    where = f" {row.region}" if row.region else ""
    typer.echo(
        f"user {row.username}: {row.role}{where}{state}; " + ("; ".join(changes) or "no change")
    )


@user_app.command("passwd")
@command
def user_passwd(
    name: str,
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="read the new password as one line from stdin"
    ),
) -> None:
    """Set NAME's password (asked twice on a terminal, or one line from stdin)."""
    _update(name, password=new_password(password_stdin=password_stdin))


@user_app.command("disable")
@command
def user_disable(name: str) -> None:
    """Disable NAME: it can no longer sign in or act.

    Its tokens and sessions stop working at once. The last active admin cannot be disabled."""
    _update(name, active=False)


@user_app.command("enable")
@command
def user_enable(name: str) -> None:
    """Enable NAME again."""
    _update(name, active=True)


@user_app.command("set")
@command
def user_set(
    name: str,
    role: str | None = typer.Option(None, help="the new role (checked as `user add` does)"),
    region: str | None = typer.Option(
        None, help="the new region code; '' for none (a national role drops it by itself)"
    ),
    email: str | None = typer.Option(
        None,
        help="where its reminders and notices go: an e-mail address (or a mobile number, "
        "for the SMS gateway); '' for none (they then go to the log only)",
    ),
    full_name: str | None = typer.Option(None, help="its full name; '' for none"),
) -> None:
    """Change NAME's role and/or region, or the address its messages go to. The last active
    admin cannot be demoted."""
    if role is None and region is None and email is None and full_name is None:
        raise InvalidInput(
            "role", "nothing to change: give --role, --region, --email and/or --full-name"
        )
    _update(
        name,
        role=role,
        region=UNCHANGED if region is None else (region or None),
        email=UNCHANGED if email is None else email,
        full_name=UNCHANGED if full_name is None else full_name,
    )
