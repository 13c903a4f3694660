"""`pkh staff`: SDM records, KKN outcomes and discipline."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import typer

from api.cli import app, command, emit, get_app, parse_data, parse_instant
from engine.errors import InvalidInput
from engine.store.repository import CASES
from workflows.staff import add_staff, get_staff, kkn_case_to_decide, list_staff

staff_app = typer.Typer(no_args_is_help=True, help="Staff (SDM): records, KKN, discipline.")
app.add_typer(staff_app, name="staff")


def _text(s: dict[str, Any]) -> str:
    cases = ", ".join(f"{c['id']} ({c['state']})" for c in s["cases"]) or "-"
    return (
        f"{s['name']}  [{s['status']}]  {s['position']}  region {s['region']}  "
        f"user {s['user'] or '-'}\n  cases: {cases}"
    )


@staff_app.command("add")
@command
def staff_add(
    name: str,
    position: str = typer.Option(
        ..., help="pendamping, asisten, operator, koordinator, supervisor"
    ),
    region: str = typer.Option(...),
    user: str | None = typer.Option(None),
) -> None:
    """Add a staff member (SDM) with position and region, optionally linked to an account."""
    a = get_app()
    row = add_staff(a.db, name, position, region, username=user, now=a.service.clock())
    typer.echo(
        f"staff {row.name}: {row.position} {row.region}"
        + (f" (user {row.username})" if row.username else "")
    )


@staff_app.command("show")
@command
def staff_show(name: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """A staff member's record: position, region, status, and KKN and discipline cases."""
    emit(get_staff(get_app().db, name).as_dict(), as_json, _text)


@staff_app.command("list")
@command
def staff_list(region: str | None = None, as_json: bool = typer.Option(False, "--json")) -> None:
    """Every staff member, optionally of one region."""
    rows = [s.as_dict() for s in list_staff(get_app().db, region)]
    emit(rows, as_json, lambda rs: "\n".join(_text(r) for r in rs) or "(no staff)")


def _open_case(name: str, workflow: str) -> str | None:
    with get_app().db.reading() as s:
        q = sa.select(CASES.c.id).where(
            CASES.c.subject == name, CASES.c.workflow == workflow, CASES.c.status == "open"
        )
        row = s.execute(q.order_by(CASES.c.id)).first()
    return row.id if row else None


@staff_app.command("decide")
@command
def staff_decide(
    name: str,
    outcome: str = typer.Option(..., help="guilty or not_guilty"),
    actor: str = typer.Option(...),
    at: str | None = typer.Option(None, help="when it was decided (ISO)"),
    referred_to: str = typer.Option("aph", help="guilty: aph, kepolisian, kejaksaan, kpk, apip"),
    case: str | None = typer.Option(
        None, help="the KKN case about this person, if several are open"
    ),
    note: str | None = None,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Record the outcome of the investigation: dismissed (and referred) or reinstated."""
    from api import views

    a = get_app()
    get_staff(a.db, name)  # a clear error for an unknown name
    if outcome not in ("guilty", "not_guilty"):
        raise InvalidInput("outcome", "must be guilty or not_guilty")
    case_id = kkn_case_to_decide(a.db, name, case, field="case")
    trigger = "find_guilty" if outcome == "guilty" else "find_not_guilty"
    data = {"referred_to": referred_to} if outcome == "guilty" else {}
    when = parse_instant(at, "at") if at else None
    state = a.service.apply(case_id, trigger, data, actor, at=when, note=note)
    emit(views.case_view(a, state, actor), as_json, views.case_text)


@staff_app.command("discipline")
@command
def staff_discipline(
    name: str,
    event: str = typer.Argument(
        ..., help="warn, issue_sp1, issue_sp2, issue_sp3, terminate, assess_performance"
    ),
    actor: str = typer.Option(...),
    data: list[str] = typer.Option(
        [],
        "--data",
        help="KEY=VALUE, e.g. reason=late; assess_performance: operational=<8 scores> "
        "behavioural=<5 scores>, each 1-5, comma-separated (seed 002's indicators, in order)",
    ),
    at: str | None = None,
    note: str | None = None,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Record a sanction on the staff member's discipline case (opened on first use)."""
    from api import views

    a = get_app()
    staff = get_staff(a.db, name)
    when = parse_instant(at, "at") if at else None
    case_id = _open_case(name, "discipline")
    if case_id is None:  # opened with its first sanction, in one transaction
        state = a.service.open_and_apply(
            "discipline",
            {"staff": name, "region": staff.region, "staff_user": staff.username},
            actor,
            event,
            parse_data(data),
            at=when,
            note=note,
        )
    else:
        state = a.service.apply(case_id, event, parse_data(data), actor, at=when, note=note)
    emit(views.case_view(a, state, actor), as_json, views.case_text)
