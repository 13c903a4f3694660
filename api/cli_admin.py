"""`pkh` commands for setup and oversight: db, users, calendar, workflows, audit, demo."""

from __future__ import annotations

import getpass
import sys
from datetime import date
from typing import Any

import typer

from api.admin import add_override, add_user, list_overrides, list_users, remove_override
from api.cli import app, command, emit, fail, get_app, now, parse_instant, plural
from api.views import workflow_view
from api.wiring import calendar_factory
from engine.audit import Problem
from engine.errors import InvalidInput
from engine.machine import mermaid
from engine.store import audit_runner, audit_runs
from workflows.indonesia import ZONE_INFO, Override, Zone, non_working_days
from workflows.kpm_files import progress_bar

db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
user_app = typer.Typer(no_args_is_help=True, help="User accounts.")
cal_app = typer.Typer(no_args_is_help=True, help="The working-day calendar.")
override_app = typer.Typer(no_args_is_help=True, help="Days added or removed by later decrees.")
wf_app = typer.Typer(no_args_is_help=True, help="Workflow definitions.")
audit_app = typer.Typer(no_args_is_help=True, help="Tamper evidence and replay checks.")
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(cal_app, name="calendar")
cal_app.add_typer(override_app, name="override")
app.add_typer(wf_app, name="workflow")
app.add_typer(audit_app, name="audit")


@db_app.command("upgrade")
@command
def db_upgrade() -> None:
    """Apply every Alembic migration to the configured database."""
    from alembic.util.exc import CommandError

    from engine.settings import database_label
    from engine.store.migrate import upgrade

    url = get_app(create=True).settings.database_url
    try:
        upgrade(url)
    except CommandError as e:
        fail(f"cannot upgrade the database {database_label(url)}: {e}")
    typer.echo(f"database at head: {database_label(url)}")


# ---------------------------------------------------------------------------------------- users
@user_app.command("add")
@command
def user_add(
    name: str,
    role: str = typer.Option(...),
    region: str | None = None,
    password: str | None = typer.Option(
        None, help="shows in `ps` and the shell history: prefer the prompt or --password-stdin"
    ),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="read the password as one line from stdin"
    ),
    no_password: bool = typer.Option(
        False,
        "--no-password",
        help="no password: the account cannot sign in, it only acts through `pkh ... --actor`",
    ),
    full_name: str | None = None,
    email: str | None = None,
) -> None:
    """Add an account.

    Without a password option it asks for one on a terminal; elsewhere it
    refuses (exit 2) rather than make an account that cannot sign in."""
    from api.cli_users import NO_PASSWORD_FOR_ADD, new_password
    from workflows.roles import check_role_region

    if sum((password is not None, password_stdin, no_password)) > 1:
        raise InvalidInput(
            "password",
            "give one of --password, --password-stdin, --no-password",
            message_id="berikan salah satu dari --password, --password-stdin, --no-password",
        )
    if password is None and not no_password:
        check_role_region(role, region)  # a typo is told before the password is asked for
        password = new_password(password_stdin=password_stdin, refusal=NO_PASSWORD_FOR_ADD)
    row = add_user(
        get_app().db,
        name,
        role,
        region,
        now=now(),
        password=password,
        full_name=full_name,
        email=email,
    )
    login = "" if row.password_hash else " (no password: cannot sign in)"
    typer.echo(
        f"user {row.username}: {row.role}" + (f" {row.region}" if row.region else "") + login
    )


@user_app.command("list")
@command
def user_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """Every account: role, region, active or suspended, whether a password is set, and the
    address its reminders and notices go to (`no-address`: to the log only; `pkh user set
    NAME --email ...` gives one)."""
    rows = [
        {
            "username": u.username,
            "role": u.role,
            "region": u.region,
            "active": u.active,
            "suspended": u.suspended,
            "password_set": bool(u.password_hash),
            "email": u.email,
        }
        for u in list_users(get_app().db)
    ]

    def status(r: dict[str, Any]) -> str:
        return (
            ("" if r["active"] else "  disabled")
            + ("" if r["password_set"] else "  no-password")
            + (f"  {r['email']}" if r["email"] else "  no-address")
        )

    emit(
        rows,
        as_json,
        lambda rs: (
            "\n".join(
                f"{r['username']:<24} {r['role']:<15} {r['region'] or '-':<10}{status(r)}".rstrip()
                for r in rs
            )
            or "(none)"
        ),
    )


# ------------------------------------------------------------------------------------- calendar
def _zone(zone: str) -> Any:
    try:
        return ZONE_INFO[Zone(zone.upper())]
    except ValueError:
        raise InvalidInput(
            "zone",
            f"unknown zone '{zone}'; use WIB, WITA or WIT",
            message_id=f"zona waktu '{zone}' tidak dikenal; gunakan WIB, WITA, atau WIT",
        ) from None


@cal_app.command("deadline")
@command
def calendar_deadline(
    start: str,
    n: int = typer.Argument(..., min=1),
    zone: str = typer.Option("WIB", help="WIB, WITA or WIT"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The end of the N-th working day after START's local date in ZONE."""
    tz = _zone(zone)
    begin = parse_instant(start, "start", tz)
    due = get_app().service.calendar().deadline(begin, n, tz)
    out = {
        "due_date": due.date().isoformat(),
        "due_at": due.isoformat(),
        "zone": zone.upper(),
        "start_local": begin.astimezone(tz).isoformat(),
        "working_days": n,
    }
    emit(
        out,
        as_json,
        lambda o: (
            f"{o['due_date']}  (23:59:59 {o['zone']}; {n} hari kerja "
            f"setelah {o['start_local'][:10]})"
        ),
    )


@cal_app.command("holidays")
@command
def calendar_holidays(
    year: int = typer.Argument(..., min=2004, max=2040),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Every non-working day of YEAR that is not a plain weekend."""
    overrides = [Override(o.day, o.working, o.name) for o in list_overrides(get_app().db)]
    rows = [
        {"date": d.date.isoformat(), "kind": str(d.kind), "name": d.name, "estimated": d.estimated}
        for d in non_working_days([year], overrides)
    ]
    emit(
        rows,
        as_json,
        lambda rs: "\n".join(
            f"{r['date']}  {r['kind']:<15} {r['name']}"
            + ("  (perkiraan)" if r["estimated"] else "")
            for r in rs
        ),
    )


@override_app.command("add")
@command
def override_add(
    day: str,
    name: str = typer.Option(...),
    actor: str = typer.Option(...),
    working: bool = typer.Option(False, "--working", help="make a listed holiday a working day"),
    decree: str | None = typer.Option(None, help="the decree, e.g. SKB 3 Menteri"),
) -> None:
    """Make DAY a non-working day (or, with --working, a listed holiday a working day).

    The deadlines of the open cases it affects move in the same transaction; prints how many."""
    d = _date(day)
    a = get_app()
    done = add_override(
        a.db,
        d,
        working=working,
        name=name,
        actor=actor,
        now=now(),
        decree=decree,
        calendars=calendar_factory(a.settings),
    )
    typer.echo(
        f"{d}: {'working day' if working else 'non-working day'} ({name}); "
        f"{_moved(done.cases_moved)}"
    )
    if done.note:
        typer.echo(f"note: {done.note}")


@override_app.command("remove")
@command
def override_remove(day: str, actor: str = typer.Option(...)) -> None:
    """Remove DAY's override; the deadlines it had moved move back. Prints how many."""
    a = get_app()
    done = remove_override(
        a.db, _date(day), actor=actor, now=now(), calendars=calendar_factory(a.settings)
    )
    typer.echo(f"{day}: override removed; {_moved(done.cases_moved)}")


def _moved(n: int) -> str:
    """How many open cases an override change moved (their deadlines recounted)."""
    return f"deadlines moved in {n} open case{'' if n == 1 else 's'}"


@override_app.command("list")
@command
def override_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """Every calendar override, by day: working or not, name, decree and who added it."""
    rows = [
        {
            "date": o.day.isoformat(),
            "working": o.working,
            "name": o.name,
            "decree": o.decree,
            "created_by": o.created_by,
        }
        for o in list_overrides(get_app().db)
    ]
    emit(
        rows,
        as_json,
        lambda rs: (
            "\n".join(
                f"{r['date']}  {'kerja' if r['working'] else 'libur'}  {r['name']}" for r in rs
            )
            or "(no overrides)"
        ),
    )


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            "date",
            f"'{value}' is not a date (YYYY-MM-DD)",
            message_id=f"'{value}' bukan tanggal (TTTT-BB-HH)",
        ) from None


# ------------------------------------------------------------------------------------ workflows
@wf_app.command("list")
@command
def workflow_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """The workflows this engine runs, with their versions."""
    reg = get_app().registry
    rows = [
        {"name": n, "version": reg.get(n).version, "title": reg.get(n).title_en}
        for n in reg.names()
    ]
    emit(
        rows,
        as_json,
        lambda rs: "\n".join(f"{r['name']} v{r['version']}  {r['title']}" for r in rs),
    )


@wf_app.command("show")
@command
def workflow_show(
    name: str,
    version: int | None = None,
    as_mermaid: bool = typer.Option(False, "--mermaid"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """A workflow's states, events and guards (--mermaid: as a state diagram)."""
    d = get_app().registry.get(name, version)
    if as_mermaid:
        typer.echo(mermaid(d))
        return
    out = workflow_view(d)
    emit(out, as_json, _workflow_text)


def _workflow_text(o: dict[str, Any]) -> str:
    lines = [f"{o['name']} v{o['version']}  levels: {' -> '.join(o['levels'])}", "states:"]
    lines += [
        f"  {s['name']:<28} {s['budget'] or ('closed' if s['closed'] else '')}" for s in o["states"]
    ]
    lines.append("transitions:")
    lines += [
        f"  {t['event']:<20} {','.join(t['from'])[:60]:<60} -> {t['to'] or '(same state)'}"
        for t in o["transitions"]
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------- audit
def _anchor(text: str) -> tuple[int, str]:
    cp_id, sep, digest = text.partition(":")
    digest = digest.strip().lower()
    if not (sep and cp_id.strip().isdigit() and len(digest) == 64):
        raise InvalidInput(
            "anchor",
            f"expected ID:DIGEST (64 hex digits), got {text!r}",
            message_id=f"seharusnya ID:DIGEST (64 digit heksadesimal), diberikan {text!r}",
        )
    try:
        int(digest, 16)
    except ValueError:
        raise InvalidInput(
            "anchor",
            f"the digest is not hexadecimal: {text!r}",
            message_id=f"digest-nya bukan heksadesimal: {text!r}",
        ) from None
    return int(cp_id), digest


@audit_app.command("verify")
@command
def audit_verify(
    as_json: bool = typer.Option(False, "--json"),
    all_problems: bool = typer.Option(False, "--all", help="list every problem, not the first"),
    progress: bool | None = typer.Option(
        None, "--progress/--no-progress", help="a progress bar on stderr (default: on a terminal)"
    ),
    record: bool = typer.Option(
        True,
        "--record/--no-record",
        help="record the run in the audit runs, as the API and the nightly flow do "
        "(--no-record: only read the store, e.g. a copy on read-only media)",
    ),
    anchor: list[str] = typer.Option(
        [],
        "--anchor",
        help="ID:DIGEST of a checkpoint kept outside the store (as `pkh audit checkpoint` "
        "printed it); repeatable",
    ),
) -> None:
    """Check every hash chain, every projection against its replay, and the checkpoints."""
    anchors = [_anchor(x) for x in anchor]
    a = get_app()
    shown = sys.stderr.isatty() if progress is None else progress
    run_id: int | None = None
    with progress_bar(shown) as bar:
        task = bar.add_task("memeriksa / verifying", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        if record:
            # the whole store, every problem: what the run records (the first is shown)
            who = f"cli:{getpass.getuser()}"
            run = audit_runs.start(a.db, who, a.service.clock())
            run = audit_runs.execute(
                a.db,
                run.id,
                a.service.clock,
                progress=advance if shown else None,
                anchors=anchors,
            )
            if run.status == "error":
                fail(f"audit run {run.id} could not finish: {run.error}")
            run_id = run.id
            ok, cases, events, checkpoints = (
                run.status == "ok",
                run.cases,
                run.events_done,
                run.checkpoints,
            )
            problems = [Problem(**p) for p in run.problems]
            count = run.problem_count
        else:
            report = audit_runner.verify(
                a.db,
                stop_at_first=not all_problems,
                progress=advance if shown else None,
                anchors=anchors,
            )
            ok, cases, events, checkpoints = (
                report.ok,
                report.cases,
                report.events,
                report.checkpoints,
            )
            problems, count = report.problems, len(report.problems)
    # --no-record without --all stops at the first problem: the totals are then partial
    complete = record or all_problems or ok
    anchored = _anchors_out(anchors, ok, complete, problems)
    if not all_problems:
        problems = problems[:1]
    out = {
        "ok": ok,
        "complete": complete,
        "run_id": run_id,
        "cases": cases,
        "events": events,
        "checkpoints": checkpoints,
        "problem_count": count,
        "problems": [p.as_dict() for p in problems],
        "anchors": anchored,
    }
    if as_json:
        emit(out, True, str)
    elif ok:
        recorded = f" (audit run {run_id})" if run_id is not None else ""
        matches = "".join(f"; anchor {i}:{d[:16]}... matches" for i, d in anchors)
        typer.echo(
            f"ok: {plural(cases, 'case')}, {plural(events, 'event')}, "
            f"{plural(checkpoints, 'checkpoint')} verified"
            f"{matches}{recorded}"
        )
    if not ok:
        if not as_json:
            for p in problems:
                typer.echo(f"TAMPERED: {p}", err=True)
            typer.echo(_failed_summary(out), err=True)
        raise typer.Exit(1)


def _anchors_out(
    anchors: list[tuple[int, str]], ok: bool, complete: bool, problems: list[Problem]
) -> list[dict[str, Any]]:
    """Each anchor given and whether it matched: true, false, or null when it was not
    checked (the check stopped at an earlier problem, or at an earlier anchor that failed)."""
    out: list[dict[str, Any]] = []
    stopped = not (ok or complete)
    for cp_id, digest in anchors:
        failed = any(p.checkpoint == cp_id for p in problems)
        matched = False if failed else None if stopped else True
        stopped = stopped or failed
        out.append({"checkpoint": cp_id, "digest": digest, "matched": matched})
    return out


def _failed_summary(o: dict[str, Any]) -> str:
    """The last line on a failure: how much was found, in which run, and how to see all."""
    run = f"audit run {o['run_id']}: " if o["run_id"] is not None else ""
    if not o["complete"]:
        return (
            f"stopped at the first problem after {plural(o['cases'], 'case')}, "
            f"{plural(o['events'], 'event')} "
            "(partial totals, not recorded); --all checks everything and lists every problem"
        )
    n = o["problem_count"]
    hint = " (--all lists them)" if n > len(o["problems"]) else ""
    return (
        f"{plural(n, 'problem')} in all{hint}; {run}{plural(o['cases'], 'case')}, "
        f"{plural(o['events'], 'event')}, {plural(o['checkpoints'], 'checkpoint')} verified"
    )


@audit_app.command("checkpoint")
@command
def audit_checkpoint(as_json: bool = typer.Option(False, "--json")) -> None:
    """Seal all case heads now, so a later deletion of a whole case is detected."""
    a = get_app()
    row = audit_runner.seal(a.db, now())
    if as_json:
        out = {
            "id": row.id,
            "cases": row.case_count,
            "events": row.event_count,
            "digest": row.digest,
            "anchor": f"{row.id}:{row.digest}",
        }
        emit(out, True, str)
        return
    typer.echo(
        f"checkpoint {row.id}: {plural(row.case_count, 'case')}, "
        f"{plural(row.event_count, 'event')}\n"
        f"anchor {row.id}:{row.digest}\n"
        "keep this line outside the store (print it, send it to the inspectorate); "
        f"`pkh audit verify --anchor {row.id}:...` then proves nothing sealed here was removed"
    )


@audit_app.command("checkpoints")
@command
def audit_checkpoints(as_json: bool = typer.Option(False, "--json")) -> None:
    """Every checkpoint with its anchor line (ID:DIGEST), oldest first.

    To compare with the anchors kept outside the store, or to keep one that was not kept."""
    a = get_app()
    rows = [
        {
            "id": r.id,
            "created_at": r.created_at.isoformat(),
            "cases": r.case_count,
            "events": r.event_count,
            "anchor": f"{r.id}:{r.digest}",
        }
        for r in audit_runner.checkpoints(a.db)
    ]
    emit(
        rows,
        as_json,
        lambda rs: (
            "\n".join(
                f"{r['created_at'][:16].replace('T', ' ')} UTC  {plural(r['cases'], 'case')}, "
                f"{plural(r['events'], 'event')}  anchor {r['anchor']}"
                for r in rs
            )
            or "(no checkpoints: `pkh audit checkpoint` takes one)"
        ),
    )


# ----------------------------------------------------------------------------------------- demo
@app.command("demo")
@command
def demo(
    serve_after: bool = typer.Option(True, "--serve/--no-serve", help="start the server after"),
    host: str = "127.0.0.1",
    port: int = 8000,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The main job: set up the database, load the demo data once, print the worklist, serve."""
    from api.cli import case_list
    from engine.store.migrate import upgrade
    from workflows.demo import DEMO_PASSWORD, USERS, check_store, load_demo

    a = get_app(create=True)
    check_store(a.db)  # a real office's store is refused before anything, a migration too
    upgrade(a.settings.database_url)
    created = load_demo(a)
    if not as_json:
        typer.echo(f"database: {a.settings.database_label}")
        typer.echo(f"demo data: {created}\n" if created else "demo data already loaded\n")
    case_list(
        status="open",
        level=None,
        workflow=None,
        region=None,
        handler=None,
        limit=100,
        as_json=as_json,
    )
    if serve_after:
        typer.echo(f"\nofficer pages: http://{host}:{port}/   API docs: http://{host}:{port}/docs")
        names = ", ".join(name for name, _, _ in USERS)
        typer.echo(f"demo logins (password {DEMO_PASSWORD}): {names}")
        serve(host=host, port=port)


@app.command("serve")
@command
def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Run the HTTP API and officer pages under uvicorn (OpenAPI docs at /docs).

    --workers N starts N processes sharing the port (PostgreSQL; on SQLite one writer works
    at a time)."""
    import uvicorn

    from api.http import create_app
    from engine.store.migrate import require_head

    if workers < 1:
        raise InvalidInput("workers", "must be at least 1", message_id="paling sedikit 1")
    settings = get_app().settings  # checked here, once, before any worker starts
    require_head(settings.database_url)
    if workers > 1 and settings.secret_origin == "memory":
        fail(
            "no secret key file beside the database could be read or made (its folder cannot "
            "be written, or the file is another account's), so each worker would sign its own "
            "tokens: set PKH_SECRET_KEY, or use --workers 1"
        )
    _check_port(host, port)
    try:
        if workers == 1:
            uvicorn.run(create_app(get_app()), host=host, port=port, log_level="info")
            return
        uvicorn.run(
            "api.http:app_from_settings",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
        )
    except SystemExit as e:
        if e.code == 3:  # uvicorn's "startup failed": its own message is above
            fail(f"the server did not start on {host}:{port} (see the message above)")
        raise


def _check_port(host: str, port: int) -> None:
    """Bind the address as uvicorn will, and let go: a port in use is told in one line (uvicorn
    would log it and exit 3, the code `pkh` uses for "not found")."""
    import errno
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except socket.gaierror as e:
            fail(f"cannot listen on {host}:{port}: {e.strerror}")
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                fail(
                    f"port {port} on {host} is in use (another `pkh serve`?): stop it, or "
                    "choose another --port"
                )
            fail(f"cannot listen on {host}:{port}: {e.strerror}")
