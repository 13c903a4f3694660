"""Routes for workflows, the calendar and its overrides, users, and audit verification."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from api.admin import (
    UNCHANGED,
    add_override,
    add_user,
    list_overrides,
    list_users,
    remove_override,
    update_user,
)
from api.http import AppDep, Auditors, CurrentActor, require_role
from api.replaying import plus_restored
from api.views import workflow_view
from api.wiring import calendar_factory
from engine.calendar import CalendarRangeError
from engine.errors import InvalidInput, NotPermitted, instant
from engine.machine import mermaid
from engine.state import Actor
from engine.store import audit_runs
from workflows.indonesia import ZONE_INFO, Override, Zone, non_working_days

router = APIRouter()
CASES_MOVED = "Cases-Moved"  # DELETE /calendar/overrides/{day}: a 204 carries no body
AdminOnly = require_role("admin")


@router.get("/workflows", tags=["workflows"])
def workflows(app: AppDep, _actor: CurrentActor) -> list[dict[str, Any]]:
    reg = app.registry
    return [
        {
            "name": n,
            "version": reg.get(n).version,
            "title_id": reg.get(n).title_id,
            "title_en": reg.get(n).title_en,
        }
        for n in reg.names()
    ]


@router.get(
    "/workflows/{name}", tags=["workflows"], responses={404: {"description": "unknown workflow"}}
)
def workflow(
    name: str, app: AppDep, _actor: CurrentActor, version: Annotated[int | None, Query(ge=1)] = None
) -> dict[str, Any]:
    d = app.registry.get(name, version)
    return {**workflow_view(d), "mermaid": mermaid(d)}


def _zone(zone: str) -> Any:
    try:
        return ZONE_INFO[Zone(zone.upper())]
    except ValueError:
        raise InvalidInput(
            "zone",
            f"unknown zone '{zone}'; use WIB, WITA or WIT",
            message_id=f"zona waktu '{zone}' tidak dikenal; gunakan WIB, WITA, atau WIT",
        ) from None


@router.get("/calendar/deadline", tags=["calendar"])
def deadline(
    app: AppDep,
    _actor: CurrentActor,
    start: str,
    n: Annotated[int, Query(ge=1, le=1000)],
    zone: Annotated[str, Query(max_length=4)] = "WIB",
) -> dict[str, Any]:
    tz = _zone(zone)
    start = plus_restored(start)
    try:
        begin = (
            datetime.combine(date.fromisoformat(start), time(12), tzinfo=tz)
            if len(start) == 10
            else datetime.fromisoformat(start.replace("Z", "+00:00"))
        )
    except ValueError:
        raise InvalidInput(
            "start",
            f"'{start}' is not an ISO date or datetime",
            message_id=f"'{start}' bukan tanggal atau waktu ISO",
        ) from None
    try:
        due = app.service.calendar().deadline(instant(begin, "start"), n, tz)
    except CalendarRangeError as e:
        raise InvalidInput("start", str(e), message_id=e.message_id) from None
    return {
        "due_date": due.date().isoformat(),
        "due_at": due.isoformat(),
        "zone": zone.upper(),
        "working_days": n,
    }


@router.get("/calendar/holidays", tags=["calendar"])
def holidays(
    app: AppDep, _actor: CurrentActor, year: Annotated[int, Query(ge=2004, le=2040)]
) -> list[dict[str, Any]]:
    overrides = [Override(o.day, o.working, o.name) for o in list_overrides(app.db)]
    return [
        {"date": d.date.isoformat(), "kind": str(d.kind), "name": d.name, "estimated": d.estimated}
        for d in non_working_days([year], overrides)
    ]


class OverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: date
    working: bool = False
    name: str = Field(min_length=1, max_length=200)
    decree: str | None = Field(None, max_length=200)


def _override_out(o: Any) -> dict[str, Any]:
    return {
        "date": o.day.isoformat(),
        "working": o.working,
        "name": o.name,
        "decree": o.decree,
        "created_by": o.created_by,
    }


@router.get("/calendar/overrides", tags=["calendar"])
def overrides(app: AppDep, _actor: CurrentActor) -> list[dict[str, Any]]:
    return [_override_out(o) for o in list_overrides(app.db)]


@router.put("/calendar/overrides", tags=["calendar"])
def put_override(
    body: OverrideIn, app: AppDep, actor: Annotated[Actor, AdminOnly]
) -> dict[str, Any]:
    done = add_override(
        app.db,
        body.date,
        working=body.working,
        name=body.name,
        actor=actor.username,
        now=app.service.clock(),
        decree=body.decree,
        calendars=calendar_factory(app.settings),
    )
    out = {**_override_out(done.row), "cases_moved": done.cases_moved}
    if done.note:  # the day is that already without the override: kept, changes nothing
        out["note"] = done.note
    return out


@router.delete(
    "/calendar/overrides/{day}",
    status_code=204,
    tags=["calendar"],
    responses={
        204: {
            "description": "removed; the open cases whose deadlines it moved are moved back",
            "headers": {
                CASES_MOVED: {
                    "description": "how many open cases had their deadlines moved",
                    "schema": {"type": "integer"},
                }
            },
        },
        404: {"description": "no override that day"},
    },
)
def delete_override(day: date, app: AppDep, actor: Annotated[Actor, AdminOnly]) -> Response:
    done = remove_override(
        app.db,
        day,
        actor=actor.username,
        now=app.service.clock(),
        calendars=calendar_factory(app.settings),
    )
    return Response(status_code=204, headers={CASES_MOVED: str(done.cases_moved)})


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=80)
    role: str = Field(max_length=30)
    region: str | None = Field(None, max_length=13)
    password: str | None = Field(None, min_length=8, max_length=200)
    # an account that cannot sign in (it acts through `pkh ... --actor`) is asked for by name
    no_password: bool = False
    full_name: str | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=200)


def _user_out(u: Any) -> dict[str, Any]:
    return {
        "username": u.username,
        "role": u.role,
        "region": u.region,
        "full_name": u.full_name,
        # where its reminders and notices go (none: to the log only)
        "email": u.email,
        "active": u.active,
        "suspended": u.suspended,
    }


@router.get("/users", tags=["users"])
def users(app: AppDep, _admin: Annotated[Actor, AdminOnly]) -> list[dict[str, Any]]:
    return [_user_out(u) for u in list_users(app.db)]


@router.post("/users", status_code=201, tags=["users"])
def create_user(body: UserIn, app: AppDep, _admin: Annotated[Actor, AdminOnly]) -> dict[str, Any]:
    """Add an account with its password; `"no_password": true` (and no password) for one that
    cannot sign in."""
    if body.no_password and body.password is not None:
        raise InvalidInput(
            "password",
            "give a password or no_password: true, not both",
            message_id="berikan password atau no_password: true, tidak keduanya",
        )
    row = add_user(
        app.db,
        body.username,
        body.role,
        body.region,
        now=app.service.clock(),
        password=body.password,
        full_name=body.full_name,
        email=body.email,
        password_required=not body.no_password,
    )
    return _user_out(row)


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: str | None = Field(None, min_length=8, max_length=200)
    role: str | None = Field(None, max_length=30)
    region: str | None = Field(None, max_length=13)  # null: no region (a national role)
    active: bool | None = None
    # where its reminders and notices go (an e-mail address, or a mobile number for the SMS
    # gateway); null or "": none
    email: str | None = Field(None, max_length=200)
    full_name: str | None = Field(None, max_length=200)


@router.patch(
    "/users/{username}",
    tags=["users"],
    responses={
        404: {"description": "no such user"},
        422: {"description": "a bad value, or the last active admin disabled or demoted"},
    },
)
def patch_user(
    username: Annotated[str, Path(max_length=80)],
    body: UserPatch,
    app: AppDep,
    admin: Annotated[Actor, AdminOnly],
) -> dict[str, Any]:
    """Change an account's password, role, region, whether it is active, or the address its
    reminders and notices go to (`email`; null or "" for none) and its `full_name`. A disabled
    account's tokens and sessions stop working at once, and stay ended when it is enabled
    again; so do those issued before a new password. The last active admin cannot be
    disabled or demoted."""
    for name in ("password", "role", "active"):
        if name in body.model_fields_set and getattr(body, name) is None:
            raise InvalidInput(name, "may not be null", message_id="tidak boleh null")
    row, _changes = update_user(
        app.db,
        username,
        actor=admin.username,
        password=body.password,
        role=body.role,
        region=body.region if "region" in body.model_fields_set else UNCHANGED,
        active=body.active,
        now=app.service.clock(),
        email=body.email if "email" in body.model_fields_set else UNCHANGED,
        full_name=body.full_name if "full_name" in body.model_fields_set else UNCHANGED,
    )
    return _user_out(row)


@router.get("/me", tags=["users"])
def me(actor: CurrentActor) -> dict[str, Any]:
    return {"username": actor.username, "role": actor.role, "region": actor.region}


def _national(actor: Actor) -> None:
    if actor.region is not None:
        # the chains and checkpoints cover the whole store, so the answer names cases anywhere
        raise NotPermitted("verification covers every region: national auditors, pusat, admin")


@router.post(
    "/audit/runs",
    status_code=202,
    tags=["audit"],
    responses={409: {"description": "a verification is already running (its run_id given)"}},
)
def start_audit_run(
    app: AppDep, actor: Annotated[Actor, Auditors], response: Response
) -> dict[str, Any]:
    """Start verifying the whole store (every chain, every stored case against its replay,
    case numbering, checkpoints) in the background; read its progress and result at the URL
    in Location. One run at a time."""
    _national(actor)
    run = audit_runs.launch(app.db, actor.username, app.service.clock)
    response.headers["Location"] = f"/audit/runs/{run.id}"
    return run.as_dict()


@router.get("/audit/runs", tags=["audit"])
def list_audit_runs(
    app: AppDep,
    actor: Annotated[Actor, Auditors],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[dict[str, Any]]:
    """The latest whole-store verifications, newest first, from the API or the nightly flow."""
    _national(actor)
    return [r.as_dict() for r in audit_runs.recent(app.db, app.service.clock(), limit)]


@router.get("/audit/runs/{run_id}", tags=["audit"], responses={404: {"description": "no such run"}})
def get_audit_run(
    run_id: Annotated[int, Path(ge=1, le=2**62)], app: AppDep, actor: Annotated[Actor, Auditors]
) -> dict[str, Any]:
    """One verification: `running` with events_done of events_total, then `ok`, `failed`
    (problems found), `error` (could not finish) or `interrupted` (its process stopped)."""
    _national(actor)
    return audit_runs.get(app.db, run_id, app.service.clock()).as_dict()
