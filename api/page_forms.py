"""The two forms an officer fills at length, a case's action form and a new complaint, built
as pages; and how such a form comes back filled, not saved, when it could not be taken: posted
after the session ended (the sign-in page keeps it), refused because another tab changed the
session, or answered with a language switch."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from fastapi import Request
from fastapi.responses import HTMLResponse

from api import page_views as pv
from api.http import SESSION_COOKIE, Unauthenticated, page_actor
from api.i18n import code_name, text
from api.page_frame import (
    KEEP,
    KEPT_TOKEN,
    NOT_KEPT,
    Ctx,
    drop_cookie,
    render,
    require_roles,
    safe_next,
)
from api.page_session import made_for, request_context, suspension_of
from api.views import case_out, event_view, hidden_of, household_named
from engine.errors import EngineError
from engine.store.credentials import CredentialsChanged, SignedOut
from workflows import kpm_codes as KC
from workflows import kpm_rules as K
from workflows.complaint_codes import CHANNELS, LEVELS, REPORTER_KINDS, TYPES
from workflows.indonesia import Zone
from workflows.roles import is_subject, sees_reporter
from workflows.staff import kkn_step_of


def case_page(ctx: Ctx, case_id: str, status: int = 200, **extra: Any) -> HTMLResponse:
    app, me = ctx.app, ctx.me
    state = app.service.get(case_id, me.username)
    household = household_named(app.service, state, me)  # if theirs to open: one read
    hidden = hidden_of(state, household)  # else left out of every view of the complaint
    view = case_out(app.registry, state, me, hidden=hidden)
    mask, about_you = not sees_reporter(me, state), is_subject(me, state)
    # whether the reporter asked for confidentiality is not the accused's to know either
    history = [
        event_view(c, mask=mask, subject=about_you, hidden=hidden)
        for c in app.service.history(case_id, me.username)
    ]
    definition = app.registry.get(state.workflow, state.workflow_version)
    now, cal = app.service.clock(), app.service.calendar()
    values: dict[str, Any] = {"error": None, "failed": None, "done": None}
    values.update(extra)
    kkn = None
    if state.attrs.get("type") == "kkn":  # a read of the staff register for those alone
        with app.db.reading() as s:
            kkn = kkn_step_of(s, state)
    if kkn and (kkn["case"] or kkn["dismissed"]):  # linked where the officer may open it
        kkn["readable"] = "kkn" not in app.service.unreadable(me)
    members = state.attrs.get("anggota")
    gaps = K.kyc_gaps(members) if isinstance(members, Mapping) else {}
    return render(
        ctx,
        "case.html",
        status,
        kkn=kkn,
        household=household,
        # the person the complaint is about: its reporter is hidden from them for that reason,
        # not (or not only) because the reporter asked (whether they did is not theirs to know)
        about_you=about_you,
        # a household's members whose KYC data is missing, as the decree's guard words them;
        # `kyc_ahead`: a transition still ahead of this state needs it (the decree)
        kyc_gaps=gaps,
        kyc_said=K.kyc_gaps_said(gaps)[ctx.lang == "en"] if gaps else "",
        kyc_ahead=bool(gaps) and pv.guard_ahead(definition, state.state, "kyc_complete"),
        case=view,
        zone=state.zone,
        region_name=pv.region_label(state.region),
        stage_due=pv.deadline(state, state.stage_due, now, cal),
        level_due=pv.deadline(state, state.level_due, now, cal),
        # a suspended officer may do nothing (the engine refuses): no forms to fill in vain
        forms=[]
        if ctx.suspension
        else [
            pv.event_form(app, definition, state, me, e, ctx.lang) for e in view["allowed_events"]
        ],
        timeline=pv.timeline(history, ctx.lang, view["attrs"].get("anggota")),
        state_label=lambda name: pv.state_label(definition, name, ctx.lang),
        workflow_title=definition.title_en if ctx.lang == "en" else definition.title_id,
        komponen={c: code_name("komponen", c, ctx.lang) for c in KC.KOMPONEN},
        hubungan={c: code_name("hubungan_keluarga", c, ctx.lang) for c in KC.HUBUNGAN},
        **values,
    )


def complaint_page(
    ctx: Ctx, values: dict[str, str], status: int = 200, error: Any = None
) -> HTMLResponse:
    return render(
        ctx,
        "complaint_new.html",
        status,
        v=values,
        error=error,
        types=TYPES,
        channels=CHANNELS,
        levels=LEVELS,
        kinds=REPORTER_KINDS,
        zones=[z.value for z in Zone],
    )


async def expired_post(request: Request, next_path: str, ended: str | None) -> HTMLResponse:
    """A form posted after the session ended: the sign-in page in place, saying so, with the
    posted fields kept in hidden inputs of the sign-in form (its body, never a URL), so the
    form comes back filled once the officer has signed in (`login`)."""
    form = await request.form()
    kept = {
        k: v
        for k, v in form.items()
        if isinstance(v, str) and k not in NOT_KEPT and "password" not in k.lower()
    }
    ctx = request_context(request, signed_out=ended is not None)
    page = render(
        ctx,
        "login.html",
        401,
        next=safe_next(next_path),
        error=False,
        username="",
        notice="password_changed_form" if ended == "password" else "session_expired_form",
        kept={KEEP + k: v for k, v in kept.items()}
        | ({KEPT_TOKEN: str(form.get("csrf") or "")} if kept else {}),
    )
    if ended:
        drop_cookie(page, request, SESSION_COOKIE)
    return page


async def rejected_post(request: Request) -> HTMLResponse | None:
    """A form whose CSRF token no longer matches the cookie's because the session changed in
    another tab (signed out there: both cookies dropped; signed in again: a new token): kept,
    never saved. Signed out, it waits on the sign-in page as for an expired session; signed in,
    the new complaint or the case's action form comes back filled (still 403: refused). None
    for the other forms (refused as before)."""
    path = request.url.path
    if path != "/complaints/new" and re.fullmatch(r"/cases/[^/?]+/view", path) is None:
        return None
    ctx = request_context(request)
    try:
        actor = page_actor(request, ctx.app)
    except (Unauthenticated, CredentialsChanged) as e:
        why = "signed_out" if isinstance(e, SignedOut) else "password"
        return await expired_post(request, path, why if isinstance(e, CredentialsChanged) else None)
    except EngineError:
        return None
    form = await request.form()
    if not made_for(ctx.app, str(form.get("csrf") or ""), actor.username):
        return None  # not a form this server gave the officer: a same-site page's, refused
    values = {k: v for k, v in form.items() if isinstance(v, str) and k not in NOT_KEPT}
    page = resume(ctx, actor.username, path, values)
    if page is not None and page.status_code == 200:
        page.status_code = 403
    return page


def resume(
    ctx: Ctx, username: str, path: str, values: dict[str, str], notice: bool | str = True
) -> HTMLResponse | None:
    """The form the officer posted when the session had ended, given back filled (not saved):
    the new complaint, or a case's action form. None for another page (the sign-in then goes
    to `path` as usual)."""
    ctx.actor = ctx.app.service.actor(username)
    ctx.resumed = notice
    ctx.suspension = suspension_of(ctx.app, ctx.actor)
    ctx.given_back = (path, values)
    try:
        if path == "/complaints/new":
            require_roles(ctx, LEVELS)
            return complaint_page(ctx, values)
        found = re.fullmatch(r"/cases/([^/?]+)/view", path)
        if found is None:
            return None
        case_id = unquote(found.group(1))
        failed = {
            "event": values.get("event", ""),
            "values": {k[2:]: v for k, v in values.items() if k.startswith("f_")},
            "note": values.get("note", ""),
            "at": values.get("at", ""),
        }
        current = str(ctx.app.service.get(case_id, ctx.me.username).version)
        if values.get("version", current) == current:
            return case_page(ctx, case_id, failed=failed)
        # the case changed while the officer was away: said, as on any stale form
        said = text("conflict", ctx.lang, current=current, expected=values.get("version"))
        error = {"message": said, "reasons": [], "reload": False}
        return case_page(ctx, case_id, 409, failed=failed, error=error)
    except EngineError:
        return None
