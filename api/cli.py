"""The `pkh` command line: every read has --json; every error is one line and a non-zero exit."""

from __future__ import annotations

import inspect
import json
import re
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from functools import wraps
from typing import Any, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError, ProgrammingError

from api import views
from api.wiring import App, build_app
from engine.errors import EngineError, InvalidInput, echoed, one_of

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="pkh-casework: PKH complaint and case handling.",
)
case_app = typer.Typer(no_args_is_help=True, help="Read and advance cases.")
complaint_app = typer.Typer(no_args_is_help=True, help="File complaints (pengaduan).")
app.add_typer(case_app, name="case")
app.add_typer(complaint_app, name="complaint")

F = TypeVar("F", bound=Callable[..., Any])
_APP: App | None = None


def get_app(*, create: bool = False) -> App:
    """The application on the configured database. A SQLite file that does not exist is
    refused before anything is made (a mistyped path would otherwise leave a folder, an empty
    database and a key file behind), unless the command makes the database (`create`:
    `pkh db upgrade`, `pkh demo`, `pkh db restore`)."""
    global _APP
    if _APP is None:
        from engine.settings import get_settings
        from engine.store.migrate import missing_file

        problem = None if create else missing_file(get_settings().database_url)
        if problem:
            fail(problem)
        try:
            _APP = build_app()
        except OSError as e:  # a SQLite folder that cannot be made: a file in the way, no access
            where = f" ({e.filename})" if e.filename else ""
            fail(f"cannot open the database {database_named()}: {e.strerror or e}{where}")
            raise  # not reached: fail() exits
    return _APP


def plural(n: int, noun: str) -> str:
    """'1 case', '3 cases': a number with its noun (English; the nouns here add an s)."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


EXIT_CODES = {
    "case_not_found": 3,
    "not_found": 3,
    "transition_not_allowed": 4,
    "version_conflict": 5,
    "guard_rejected": 6,
    "not_permitted": 7,
    "already_running": 8,
    "invalid_input": 2,
    "outside_calendar": 2,  # a date outside the working calendar's range: bad input
}


def database_named() -> str:
    """The configured database as an operator should see it: no password, a SQLite file's
    absolute path (pkh may have been started from another folder than meant)."""
    from engine.settings import database_label, get_settings

    try:
        url = _APP.settings.database_url if _APP is not None else get_settings().database_url
    except Exception:  # settings that do not parse are told on their own
        return "(unreadable PKH_DATABASE_URL)"
    return database_label(url)


def _one_line(error: object) -> str:
    return " / ".join(part.strip() for part in str(error).splitlines() if part.strip())


def _schema_missing(e: OperationalError | ProgrammingError) -> bool:
    """A table or column this code uses is not there (not: a database or role that does not
    exist, which PostgreSQL also says with "does not exist")."""
    if getattr(e.orig, "sqlstate", None) in ("42P01", "42703"):  # undefined table / column
        return True
    return bool(re.search(r"no such (table|column)|relation \"[^\"]*\" does not exist", str(e)))


_CANNOT_CONNECT = (
    "connection failed",  # psycopg: no server, no such database or role, authentication
    "failed to resolve host",
    "unable to open database file",  # SQLite: no such folder, or one that cannot be read
)


def _cannot_connect(e: OperationalError | ProgrammingError) -> bool:
    said = str(e.orig)
    return any(marker in said for marker in _CANNOT_CONNECT)


def _database_error(e: OperationalError | ProgrammingError) -> None:
    where = database_named()
    if _schema_missing(e):
        from engine.store.migrate import schema_problem

        fail(
            schema_problem(get_app().settings.database_url)
            or (
                f"the database schema is missing or older than this version of pkh ({where}): "
                "run `pkh db upgrade`"
            )
        )
    if "readonly database" in str(e) or "read-only transaction" in str(e):
        fail(
            f"the database is read-only ({_one_line(e.orig)}): this command writes to it; "
            "`pkh audit verify --no-record` and the read commands work on a read-only copy"
        )
    if _cannot_connect(e):
        fail(f"cannot open the database {where}: {_one_line(e.orig)}")
    fail(f"database error ({where}): {_one_line(e.orig)}")


def reflowed(doc: str | None) -> str | None:
    """A command's docstring as its `--help` should show it: each paragraph one line, for the
    terminal to wrap. Typer's help keeps a docstring's line breaks inside paragraphs, so text
    wrapped at the source's width read as broken lines; a paragraph laid out in lines on
    purpose (a list, or Click's \\b marker) is kept as it is."""
    if not doc:
        return doc
    paragraphs = inspect.cleandoc(doc).split("\n\n")
    return "\n\n".join(p if _laid_out(p) else " ".join(p.split()) for p in paragraphs)


def _laid_out(paragraph: str) -> bool:
    return paragraph.startswith("\b") or any(
        line.lstrip().startswith(("- ", "* ", "$ ")) for line in paragraph.splitlines()
    )


def command(fn: F) -> F:
    """Turn every engine refusal into one line on stderr and a non-zero exit; the docstring
    reflowed for `--help` (`reflowed`)."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except EngineError as e:
            fail(str(e), EXIT_CODES.get(e.code, 1))
        except (OperationalError, ProgrammingError) as e:
            _database_error(e)
        except typer.Exit:
            raise
        except RuntimeError as e:  # e.g. Settings.check() refusing a default secret
            fail(str(e))
        except OSError as e:  # a file it cannot write or read (--out a folder, no access)
            where = f"{e.filename}: " if e.filename else ""
            fail(f"{where}{e.strerror or e}")
        except ValidationError as e:
            if e.title != "Settings":
                raise
            # a PKH_* variable that does not parse: name it, no traceback
            fail(
                "configuration: "
                + "; ".join(
                    f"PKH_{str(err['loc'][0]).upper() if err['loc'] else 'SETTINGS'}: {err['msg']}"
                    for err in e.errors()
                )
            )

    wrapper.__doc__ = reflowed(fn.__doc__)
    return wrapper  # type: ignore[return-value]


def emit(obj: Any, as_json: bool, text: Callable[[Any], str]) -> None:
    if as_json:
        typer.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))
    else:
        typer.echo(text(obj))


def now() -> datetime:
    return get_app().service.clock()


def parse_instant(value: str, field: str, zone: Any = None) -> datetime:
    """An ISO datetime with offset, or a date: noon in `zone` (UTC when none is given), so a
    received or occurred date stays that local day. Replay moments are read otherwise
    (`api.replaying.read_moment`: a date is the end of that day)."""
    try:
        if len(value) == 10:
            d = date.fromisoformat(value)
            return datetime.combine(d, time(12), tzinfo=zone or UTC)
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(field, f"'{value}' is not an ISO date or datetime") from None
    if dt.tzinfo is None:
        raise InvalidInput(field, f"'{value}' needs a time zone offset, e.g. +07:00")
    return dt


def parse_data(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidInput("data", f"'{pair}' is not KEY=VALUE")
        out[key.strip()] = value
    return out


# ----------------------------------------------------------------------------------- complaint
@complaint_app.command("file")
@command
def complaint_file(
    type_: str = typer.Option(..., "--type", help="data_peserta, pembayaran, kkn, ..."),
    channel: str = typer.Option(..., help="how it arrived: surat, telepon, pendamping, ..."),
    level: str = typer.Option(..., help="ketua_kelompok, pendamping, kabupaten or pusat"),
    region: str = typer.Option(..., help="Kemendagri region code, e.g. 3271"),
    received: str | None = typer.Option(
        None, help="when it was received: ISO datetime or date (default: now)"
    ),
    summary: str = typer.Option(...),
    actor: str = typer.Option(..., help="the officer recording it"),
    reporter_name: str | None = typer.Option(None),
    anonymous: bool = typer.Option(False, "--anonymous"),
    confidential: bool = typer.Option(False, "--confidential"),
    reporter_kind: str = typer.Option("kpm", help="kpm, masyarakat, media, lsm, pendamping, ..."),
    reporter_contact: str | None = typer.Option(None, help="e-mail or phone for letters"),
    form: str | None = typer.Option(None, help="C-1 (KPM) or C-2 (others); default by kind"),
    accused: str | None = typer.Option(None, help="the staff member (or person) complained of"),
    household: str | None = typer.Option(None, help="the KPM case (data complaints)"),
    about_self: bool = typer.Option(
        False, "--about-self", help="a pendamping complaining about its own situation"
    ),
    note: str | None = typer.Option(None),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """File a complaint (pengaduan) from any channel; prints the new case and its deadlines."""
    from workflows.complaint_codes import zone_for
    from workflows.complaint_parse import parse_region

    a = get_app()
    zone = None
    if received and len(received) == 10:
        zone = zone_for(level, parse_region(region)) if level else None
    data = {
        "type": type_,
        "channel": channel,
        "level": level,
        "region": region,
        "summary": summary,
        "reporter_name": reporter_name,
        "anonymous": anonymous,
        "confidential": confidential,
        "reporter_kind": reporter_kind,
        "reporter_contact": reporter_contact,
        "accused": accused,
        "household": household,
        "about_self": about_self,
    }
    if form:
        data["form"] = form
    try:
        state = a.service.open_case(
            "complaint",
            data,
            actor,
            at=parse_instant(received, "received", zone) if received else None,
            note=note,
        )
    except InvalidInput as e:
        if e.field == "received_at":  # the option is called --received here
            raise InvalidInput("received", e.message) from None
        raise
    emit(views.case_view(a, state, actor), as_json, views.case_text)
    said = None if as_json else _kkn_said(a, state, actor)
    if said:
        typer.echo(said)


def _kkn_said(a: App, state: Any, actor: str) -> str | None:
    """What a KKN complaint did to the person it names, as the pages' filing confirmation
    says it: a name nobody on the staff answers to (a typo) relieves nobody of duty, and the
    officer should see that at once. The KKN case is named only to a role that reads them."""
    from workflows.staff import kkn_step_of

    with a.db.reading() as s:
        k = kkn_step_of(s, state)
    if k is None:
        return None
    if not k["staff"]:
        return (
            "kkn: nobody relieved of duty: the name complained of is not in the staff register "
            "(if PKH staff are meant, check the spelling of the name, or their account name)"
        )
    readable = "kkn" not in a.service.unreadable(a.service.actor(actor))
    if k["case"]:
        where = f": {k['case']}" if readable else ""
        return f"kkn: {k['staff']}, PKH staff, relieved of duty during the investigation{where}"
    if k["dismissed"]:
        where = f" ({k['dismissed']})" if readable else ""
        return f"kkn: nobody relieved of duty: {k['staff']} has already been dismissed{where}"
    return f"kkn: {k['staff']}, PKH staff: no KKN case from this complaint"


# ---------------------------------------------------------------------------------------- case
@case_app.command("advance")
@command
def case_advance(
    case_id: str,
    event: str,
    actor: str = typer.Option(...),
    at: str | None = typer.Option(None, help="when it happened (ISO); default now"),
    note: str | None = typer.Option(None),
    data: list[str] = typer.Option([], "--data", help="KEY=VALUE, repeatable"),
    if_version: int | None = typer.Option(
        None, "--if-version", help="refuse unless the case is at this version"
    ),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Apply EVENT to the case as --actor, checked by the workflow and its guards.

    Prints the case as it is now; a refused event exits non-zero naming why (the events
    allowed, a guard's reasons, the field). --if-version refuses unless the case is at that
    version."""
    a = get_app()
    when = None
    if at:
        zone = views.case_zone(a.service.get(case_id, actor)) if len(at) == 10 else None
        when = parse_instant(at, "at", zone)
    state = a.service.apply(
        case_id, event, parse_data(data), actor, at=when, note=note, expected_version=if_version
    )
    emit(views.case_view(a, state, actor), as_json, views.case_text)


@case_app.command("show")
@command
def case_show(
    case_id: str,
    actor: str | None = typer.Option(None),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The case as it is now: state, level, handler, deadlines, and the events allowed next."""
    a = get_app()
    emit(views.case_view(a, a.service.get(case_id, actor), actor), as_json, views.case_text)


@case_app.command("history")
@command
def case_history(
    case_id: str,
    actor: str | None = typer.Option(None),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Every recorded event of the case, oldest first, with who and when (its office's zone)."""
    from workflows.roles import AUDITOR_ROLES, is_subject, sees_reporter

    a = get_app()
    who = a.service.actor(actor) if actor else None
    state, events = a.service.recorded(case_id, actor, replayed_for=AUDITOR_ROLES)
    mask = who is not None and not sees_reporter(who, state)
    subject, hidden = is_subject(who, state), views.unseen(a.service, state, who)
    rows = [views.event_view(c, mask=mask, subject=subject, hidden=hidden) for c in events]
    # the text shows times in the case's own zone (WIB/WITA/WIT); --json keeps ISO instants
    # what the workflow added to a command's data is said apart from what was given
    inputs = a.registry.get(state.workflow, state.workflow_version).inputs
    emit(rows, as_json, lambda rs: views.history_text(rs, state.zone, inputs))


@case_app.command("replay")
@command
def case_replay(
    case_id: str,
    as_of: str | None = typer.Option(
        None,
        "--as-of",
        help="the moment: a date (YYYY-MM-DD) is the END of that day in the case's office zone, "
        "the case as it stood on that day; a date and time (YYYY-MM-DDTHH:MM) is read in the "
        "case's zone unless it has an offset (+07:00, Z). Default: now. A moment not yet come "
        "shows the case as it stands now, and says so",
    ),
    basis: str = typer.Option(
        "recorded",
        help="recorded: the events the store had recorded by then (what anyone could have "
        "seen); occurred: the events that had happened by then, backdated ones included",
    ),
    actor: str | None = typer.Option(None),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The case as it stood at a moment, replayed from its events.

    The output names the moment and the basis (--json: as_of, basis, and current: true when
    the moment is now or later). Before the case's first event: exit 2, naming when it was
    first recorded."""
    from api.replaying import NotYetRecorded, moment_text, replay_case, replay_out

    a = get_app()
    r = replay_case(a, case_id, actor, as_of, basis)
    if r.state is None:
        raise NotYetRecorded(r, hint="--basis occurred")
    who = a.service.actor(actor) if actor else None
    view = replay_out(a.registry, r, who, hidden=views.unseen(a.service, r.now, who))
    emit(view, as_json, lambda v: f"{moment_text(r, as_of is not None)}\n{views.case_text(v)}")


@case_app.command("list")
@command
def case_list(
    status: str | None = typer.Option("open"),
    level: str | None = None,
    workflow: str | None = None,
    region: str | None = None,
    handler: str | None = None,
    limit: int = typer.Option(100, min=1, max=1000),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The worklist, soonest stage deadline first."""
    from engine.store.repository import CaseFilter, search_cases
    from workflows.complaint_codes import LEVELS

    a = get_app()
    # a value nothing can have is a mistake to report, not "(no cases)" (as the API does)
    one_of("status", status or None, ("open", "closed"))
    one_of("level", level, LEVELS)
    one_of("workflow", workflow, a.registry.names())
    region = "".join((region or "").replace(".", "").split()) or None  # 32.71 as written
    if region is not None and (not region.isdigit() or len(region) > 10):
        raise InvalidInput("region", f"{echoed(region)} is not a region code (digits, e.g. 3271)")
    f = CaseFilter(
        workflow=workflow, status=status or None, level=level, region_prefix=region, handler=handler
    )
    unreadable: list[str] = []
    with a.db.reading() as s:
        states, _, _ = search_cases(s, f, limit=limit, counted=False, unreadable=unreadable)
    cal = a.service.calendar()
    rows = [views.worklist_row(st, now(), cal) for st in states]
    emit(rows, as_json, views.worklist_text)
    if unreadable:  # on stderr: the listing (and its JSON) stays what it is
        typer.echo(
            f"warning: not listed, their stored data cannot be read: {', '.join(unreadable)} "
            "(`pkh audit verify --all` names the damaged rows)",
            err=True,
        )


def register_commands() -> typer.Typer:
    """`app` with every command group: the other modules attach theirs when imported (they
    import this one, so it cannot import them at its top). `main` calls this, and so does the
    test suite once, so a test's CliRunner sees the whole command line whatever ran before."""
    from api import cli_admin, cli_backup, cli_flows, cli_kpm, cli_report, cli_staff, cli_users  # noqa: F401

    return app


def main() -> None:
    import click

    register_commands()
    # Typer 0.2x carries its own copy of click, older ones use click itself
    usage_errors = tuple(
        t for t in (getattr(typer, "TyperException", None), click.ClickException) if t
    )
    aborts = tuple(t for t in (getattr(typer, "Abort", None), click.Abort) if t)
    try:
        # not standalone: a usage error (unknown option, a value out of range) comes here, to
        # be told in the one `error:` line every other refusal uses, instead of Typer's box
        code = app(standalone_mode=False)
    except KeyboardInterrupt:
        sys.exit(130)
    except aborts:
        typer.echo("error: aborted", err=True)
        sys.exit(1)
    except usage_errors as e:
        if type(e).__name__ == "NoArgsIsHelpError":
            # a group run without a command: its help, shown as the error was made (as before)
            message = e.format_message()  # type: ignore[attr-defined]
            if message.strip():
                typer.echo(message, err=True)
        else:
            message = e.format_message()  # type: ignore[attr-defined]
            ctx = getattr(e, "ctx", None)
            where = ctx.command_path if ctx is not None else "pkh"
            typer.echo(f"error: {message} (see `{where} --help`)", err=True)
        sys.exit(getattr(e, "exit_code", 2))
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    # `python -m api.cli` runs this file as `__main__`, a second copy of the module: the other
    # command modules attach their commands to `api.cli`'s app, so that one is run
    from api.cli import main as _main

    _main()
