"""Routes for signing in, filing complaints, reading and advancing cases, history and replay."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import TypeAdapter

from api.admin import sign_out
from api.http import (
    DISABLED,
    NO_LONGER_ACTIVE,
    TOKEN_TTL,
    AccountDisabled,
    AppDep,
    Auditors,
    CurrentActor,
    TokenUser,
    Unauthenticated,
    active_actor,
    checked_sign_in,
)
from api.replaying import (
    API_MOMENT_HELP,
    BASES,
    NotYetRecorded,
    api_moment,
    check_basis,
    replay_case,
    replay_out,
)
from api.schemas import (
    CaseOut,
    CasePage,
    ComplaintCreate,
    EventCreate,
    EventOut,
    ReplayOut,
    Token,
)
from api.security import create_token
from api.views import case_out, event_view, unseen, unseen_in, without
from engine.errors import (
    CaseNotFound,
    InvalidInput,
    StoredDataUnreadable,
    UnknownActor,
    instant,
    one_of,
)
from engine.service import Once
from engine.state import Actor, CaseState
from engine.store import audit_runner
from engine.store.repository import COUNT_CAP, CaseFilter, search_cases
from workflows.complaint_codes import LEVELS, TYPES
from workflows.roles import AUDITOR_ROLES, is_subject, masked, sees_reporter

router = APIRouter()
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such case in your region"},
    409: {"description": "event not allowed now, or stale version"},
    422: {"description": "invalid input or refused by a guard"},
}


@router.post(
    "/auth/token",
    response_model=Token,
    tags=["auth"],
    responses={
        401: {"description": "wrong username or password, or the account is disabled"},
        429: {"description": "too many failed sign-ins from this address lately (Retry-After)"},
    },
)
def login(
    app: AppDep, request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> Token:
    try:
        row = checked_sign_in(app, request, form.username, form.password)
    except AccountDisabled:
        raise Unauthenticated(DISABLED) from None
    if row is None:
        raise Unauthenticated("wrong username or password")
    token = create_token(row.username, app.settings.secret_key, app.service.clock(), TOKEN_TTL)
    return Token(access_token=token, expires_in=int(TOKEN_TTL.total_seconds()))


@router.post(
    "/auth/logout",
    status_code=204,
    tags=["auth"],
    responses={401: {"description": "not signed in, or the token has already ended"}},
)
def logout(app: AppDep, actor: CurrentActor) -> Response:
    """Sign out: every token and page session of the account issued until now ends (a copy
    of this token, or of a page session cookie, is refused from now on)."""
    sign_out(app.db, actor.username, app.service.clock())
    return Response(status_code=204)


CASE: TypeAdapter[CaseOut] = TypeAdapter(CaseOut)
CASE_PAGE: TypeAdapter[CasePage] = TypeAdapter(CasePage)


def _json(
    adapter: TypeAdapter[Any], value: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """`value` checked against the route's response model and encoded here, in the route's
    own worker thread. Left to FastAPI, a sync route's response is validated in a second
    worker thread, and a sync dependency (the signed-in account) takes a third: under 50
    concurrent clients those hops cost more than the work (bench api_worklist_p99_ms,
    api_post_events_per_s). The hot routes take `TokenUser` and read the account themselves."""
    body = adapter.dump_json(adapter.validate_python(value))
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def _fingerprint(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _respond(app: Any) -> Any:
    return lambda state, who: case_out(
        app.registry, state, who, hidden=unseen(app.service, state, who)
    )


@router.post(
    "/complaints", status_code=201, response_model=CaseOut, tags=["cases"], responses=ERRORS
)
def file_complaint(
    body: ComplaintCreate,
    app: AppDep,
    actor: CurrentActor,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Any:
    data = body.model_dump(exclude={"received_at", "note"}, exclude_none=True)
    # checked here, handed on as sent: a refused time with no office's zone to tell it in (a
    # wrong region) is said in the sender's own offset, not in UTC
    received = body.received_at
    if received is not None:
        instant(received, "received_at")
    once = None
    if idempotency_key:
        once = Once(
            idempotency_key,
            _fingerprint("complaint", data, body.received_at, body.note),
            _respond(app),
            201,
        )
    try:  # the account is read again in the command's transaction: disabled since, 401
        out = app.service.open_case_once(
            "complaint", data, actor.username, at=received, note=body.note, once=once
        )
    except UnknownActor:
        raise Unauthenticated(NO_LONGER_ACTIVE) from None
    response.headers["ETag"] = f'"{(out.response or {}).get("version", out.state.version)}"'
    response.headers["Location"] = f"/cases/{out.state.id}"
    return _answer(out, app, actor)


def _answer(out: Any, app: Any, actor: Actor) -> Any:
    """The first response to a retried request, masked by the rules as they stand now: the
    reporter's, and the household a complaint names if `actor` may no longer open it
    (`unseen`), as `case_out` leaves them out of a case read today."""
    if out.response is None:
        return case_out(
            app.registry, out.state, actor, hidden=unseen(app.service, out.state, actor)
        )
    if not out.replayed:  # made just now by `_respond`, with the rules as they stand
        return out.response
    attrs = out.response.get("attrs", {})
    hidden = unseen(app.service, out.state, actor)
    if hidden:
        attrs = without(attrs, hidden)
    if not sees_reporter(actor, out.state):
        attrs = masked(attrs, subject=is_subject(actor, out.state))
    return {**out.response, "attrs": attrs}


def states_of(registry: Any) -> set[str]:
    """Every state name of the registry's workflows (a worklist's `state` filter)."""
    out = set()
    for name in registry.names():
        d = registry.get(name)
        out |= {d.initial, *(st.name for st in d.states)}
    return out


def _cursor(value: str | None) -> tuple[datetime, str] | None:
    if not value:
        return None
    try:
        due, case_id = json.loads(base64.urlsafe_b64decode(value.encode()))
        return instant(datetime.fromisoformat(due), "cursor"), str(case_id)
    except (ValueError, TypeError):
        raise InvalidInput("cursor", "is not a cursor this API gave out") from None


@router.get("/cases", response_model=CasePage, tags=["cases"])
def list_cases(
    app: AppDep,
    username: TokenUser,
    workflow: str | None = None,
    state: str | None = None,
    level: str | None = None,
    region: Annotated[str | None, Query(max_length=10, pattern=r"^\d*$")] = None,
    type: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[str | None, Query(pattern="^(open|closed)$")] = None,
    due_before: datetime | None = None,
    overdue: bool = False,
    mine: bool = False,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Any:
    """The worklist (see `_json`: one worker-thread hop per request, not three)."""
    actor = active_actor(app, username)
    # a filter value nothing can have is a mistake to report, not an empty worklist
    one_of("level", level, LEVELS)
    one_of("type", type, TYPES)
    if workflow is not None:
        one_of("workflow", workflow, app.registry.names())
    if state is not None:
        one_of("state", state, states_of(app.registry))
    if due_before is not None:
        due_before = instant(due_before, "due_before")
    f = CaseFilter(
        workflow=workflow,
        status=status,
        level=level,
        state=state,
        region_prefix=region,
        scope=actor.region,
        hidden_workflows=app.service.unreadable(actor),
        case_type=type,
        handler=actor.username if mine else None,
        due_before=due_before,
        overdue_at=app.service.clock() if overdue else None,
        text=q,
    )
    unreadable: list[str] = []  # named, not a 500 for every officer of the region
    with app.db.reading() as s:
        states, total, nxt = search_cases(
            s, f, limit=limit, after=_cursor(cursor), unreadable=unreadable
        )
    token = None
    if nxt:
        token = base64.urlsafe_b64encode(json.dumps([nxt[0].isoformat(), nxt[1]]).encode())
    hidden = unseen_in(app.service, states, actor)  # one read for the page's households
    page = {
        "items": [case_out(app.registry, st, actor, hidden=hidden[st.id]) for st in states],
        "total": min(total, COUNT_CAP),
        "total_capped": total > COUNT_CAP,
        "next_cursor": token.decode() if token else None,
        "unreadable": unreadable,
    }
    return _json(CASE_PAGE, page)


@router.get("/cases/{case_id}", response_model=CaseOut, tags=["cases"], responses=ERRORS)
def get_case(case_id: str, app: AppDep, username: TokenUser) -> Any:
    try:  # the account and the case in one read
        actor, state = app.service.get_as(case_id, username)
    except UnknownActor:
        raise Unauthenticated(NO_LONGER_ACTIVE) from None
    view = case_out(app.registry, state, actor, hidden=unseen(app.service, state, actor))
    return _json(CASE, view, headers={"ETag": f'"{state.version}"'})


def _if_match(value: str | None) -> int | None:
    if value is None:
        return None
    raw = value.strip().removeprefix("W/").strip('"')
    if not raw.isdigit():
        raise InvalidInput("If-Match", f"'{value}' is not a case version")
    return int(raw)


@router.post("/cases/{case_id}/events", response_model=CaseOut, tags=["cases"], responses=ERRORS)
def post_event(
    case_id: str,
    body: EventCreate,
    app: AppDep,
    username: TokenUser,
    if_match: Annotated[str | None, Header(max_length=40)] = None,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Any:
    expected = _if_match(if_match)
    once = None
    if idempotency_key:
        once = Once(
            idempotency_key,
            _fingerprint(case_id, body.event, body.data, body.note, body.at, expected),
            _respond(app),
        )
    try:
        # the account is read once, inside the command's transaction (not again before it:
        # that read was a quarter of the cost of a request, bench api_post_events_per_s)
        out = app.service.apply_once(
            case_id,
            body.event,
            body.data,
            username,
            at=instant(body.at, "at") if body.at else None,
            note=body.note,
            expected_version=expected,
            once=once,
        )
    except UnknownActor:
        raise Unauthenticated(NO_LONGER_ACTIVE) from None
    assert out.actor is not None
    etag = f'"{(out.response or {}).get("version", out.state.version)}"'
    return _json(CASE, _answer(out, app, out.actor), headers={"ETag": etag})


def _masked_history(app: Any, case_id: str, actor: Actor) -> tuple[CaseState, list[Any]]:
    state, events = app.service.recorded(case_id, actor.username, replayed_for=AUDITOR_ROLES)
    mask, subject = not sees_reporter(actor, state), is_subject(actor, state)
    hidden = unseen(app.service, state, actor)
    return state, [event_view(c, mask=mask, subject=subject, hidden=hidden) for c in events]


@router.get(
    "/cases/{case_id}/history", response_model=list[EventOut], tags=["audit"], responses=ERRORS
)
def history(case_id: str, app: AppDep, actor: CurrentActor) -> Any:
    return _masked_history(app, case_id, actor)[1]


@router.get("/cases/{case_id}/replay", response_model=ReplayOut, tags=["audit"], responses=ERRORS)
def replay(
    case_id: str,
    app: AppDep,
    actor: CurrentActor,
    as_of: Annotated[
        str | None,
        Query(
            max_length=64,
            description=f"the moment: {API_MOMENT_HELP}. Default: now. A moment not yet "
            "come gives the case as it stands now, with `current: true`",
            json_schema_extra={"format": "date-time"},
        ),
    ] = None,
    basis: Annotated[
        str,
        Query(
            max_length=16,
            description="recorded: the events recorded by then; occurred: the events that "
            "had happened by then (backdated ones included)",
            json_schema_extra={"enum": list(BASES)},
        ),
    ] = "recorded",
) -> Any:
    """The case as it stood at `as_of`, with the moment (`as_of`, UTC), the `basis` and
    `current`. Before the case's first event on that basis: 422 naming `as_of`, with the
    first event's `first_recorded_at` and `first_occurred_at`."""
    check_basis(basis)
    moment = api_moment(as_of) if as_of is not None else None
    r = replay_case(app, case_id, actor.username, moment, basis)
    if r.state is None:
        raise NotYetRecorded(r, hint="basis=occurred")
    return replay_out(app.registry, r, actor, hidden=unseen(app.service, r.now, actor))


@router.get("/cases/{case_id}/verify", tags=["audit"], responses=ERRORS)
def verify_case(case_id: str, app: AppDep, actor: Annotated[Actor, Auditors]) -> dict[str, Any]:
    """This case's hash chain, and its stored state against the replay of its events, in one
    snapshot (auditors, within their region). The whole store: POST /audit/runs."""
    try:  # not found, or outside the auditor's region
        app.service.get(case_id, actor.username)
    except (CaseNotFound, StoredDataUnreadable):  # the row gone or bad: as its events say
        app.service.recorded(case_id, actor.username, replayed_for=AUDITOR_ROLES)
    report = audit_runner.verify_case(app.db, case_id)
    return {
        "case_id": case_id,
        "ok": report.ok,
        "events": report.events,
        "problems": [p.as_dict() for p in report.problems],
    }
