"""Routes for staff (SDM) records, KKN outcomes and discipline."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.http import AppDep, CurrentActor, require_role
from api.schemas import CaseOut, DataKey, Scalar
from api.views import case_out
from engine.errors import NotFound, NotPermitted, instant
from engine.service import NOTE_MAX
from engine.state import Actor
from engine.store.repository import CASES
from workflows.staff import POSITIONS, add_staff, get_staff, kkn_case_to_decide, list_staff

router = APIRouter(tags=["staff"])
AdminOnly = require_role("admin")
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such staff member"}}


class StaffIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    position: Literal[POSITIONS]  # type: ignore[valid-type]
    region: str = Field(min_length=2, max_length=13)
    user: str | None = Field(None, max_length=80)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["guilty", "not_guilty"]
    referred_to: str = Field("aph", max_length=20)
    case_id: str | None = Field(None, max_length=40)
    note: str | None = Field(None, max_length=NOTE_MAX)
    at: datetime | None = None


class DisciplineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event: str = Field(min_length=1, max_length=60)
    data: dict[DataKey, Scalar] = Field(default_factory=dict, max_length=30)
    note: str | None = Field(None, max_length=NOTE_MAX)
    at: datetime | None = None


def _visible(app: Any, name: str, actor: Actor) -> Any:
    staff = get_staff(app.db, name)
    if not actor.covers(staff.region):
        raise NotFound(f"unknown staff member: {name}")  # outside your region it is not there
    return staff


def _may_act_on(app: Any, actor: Actor, workflow: str) -> None:
    """A role that may not even read a staff member's KKN or discipline file (a ketua
    kelompok, a pendamping: workflows.roles.WORKFLOW_READERS) is refused as a role, 403,
    before the file is looked for: not a 404 naming the case it may not see."""
    if workflow in app.service.unreadable(actor):
        raise NotPermitted(f"role '{actor.role}' cannot act on {workflow} cases")


def _as_read_by(app: Any, staff: Any, actor: Actor) -> dict[str, Any]:
    """A staff record as `actor` may read it: its status (who is relieved of duty is the
    register's to say), and only the KKN and discipline cases its role may read."""
    out = staff.as_dict()
    hidden = app.service.unreadable(actor)
    out["cases"] = [c for c in out["cases"] if c["workflow"] not in hidden]
    return out


@router.get("/staff")
def staff_list(app: AppDep, actor: CurrentActor) -> list[dict[str, Any]]:
    return [_as_read_by(app, s, actor) for s in list_staff(app.db, actor.region)]


@router.get("/staff/{name}", responses=NOT_FOUND)
def staff_one(name: str, app: AppDep, actor: CurrentActor) -> dict[str, Any]:
    return _as_read_by(app, _visible(app, name, actor), actor)


@router.post("/staff", status_code=201)
def staff_create(body: StaffIn, app: AppDep, _admin: Annotated[Actor, AdminOnly]) -> dict[str, Any]:
    add_staff(
        app.db, body.name, body.position, body.region, username=body.user, now=app.service.clock()
    )
    return get_staff(app.db, body.name).as_dict()


def _open_case_about(app: Any, name: str, workflow: str) -> str | None:
    with app.db.reading() as s:
        q = sa.select(CASES.c.id).where(
            CASES.c.subject == name, CASES.c.workflow == workflow, CASES.c.status == "open"
        )
        row = s.execute(q.order_by(CASES.c.id)).first()
    return row.id if row else None


@router.post(
    "/staff/{name}/decision",
    response_model=CaseOut,
    responses={
        **NOT_FOUND,
        409: {"description": "no investigation in progress"},
        422: {"description": "invalid input (e.g. a case_id not about this person) or refused"},
    },
)
def staff_decision(name: str, body: DecisionIn, app: AppDep, actor: CurrentActor) -> Any:
    """The outcome of a KKN investigation: dismissed (and referred) or reinstated."""
    _visible(app, name, actor)
    _may_act_on(app, actor, "kkn")
    case_id = kkn_case_to_decide(app.db, name, body.case_id, field="case_id")
    trigger = "find_guilty" if body.outcome == "guilty" else "find_not_guilty"
    data = {"referred_to": body.referred_to} if body.outcome == "guilty" else {}
    at = instant(body.at, "at") if body.at else None
    state = app.service.apply(case_id, trigger, data, actor.username, at=at, note=body.note)
    return case_out(app.registry, state, actor)


@router.post(
    "/staff/{name}/discipline",
    response_model=CaseOut,
    responses={
        **NOT_FOUND,
        409: {"description": "event not allowed now"},
        422: {"description": "invalid input or refused"},
    },
)
def staff_discipline(name: str, body: DisciplineIn, app: AppDep, actor: CurrentActor) -> Any:
    """A sanction on the staff member's discipline case, opened on first use."""
    staff = _visible(app, name, actor)
    _may_act_on(app, actor, "discipline")
    at = instant(body.at, "at") if body.at else None
    case_id = _open_case_about(app, name, "discipline")
    if case_id is None:  # opened with its first sanction, in one transaction
        state = app.service.open_and_apply(
            "discipline",
            {"staff": name, "region": staff.region, "staff_user": staff.username},
            actor.username,
            body.event,
            body.data,
            at=at,
            note=body.note,
        )
    else:
        state = app.service.apply(
            case_id, body.event, body.data, actor.username, at=at, note=body.note
        )
    return case_out(app.registry, state, actor)
