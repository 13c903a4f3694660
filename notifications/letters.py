"""What an outbox row says and to whom: its content from the case as it stood when the row was
queued (replayed from the event log), its address from the case or the officer's account as it
is now. Used by the dispatcher (e-mail, SMS) and by the paper letters (notifications.paper).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from engine.definition import LINKED_REPORTER
from engine.state import SYSTEM, CaseState, replay
from engine.store import repository as repo
from engine.store.db import Database
from engine.store.tables import UserRow
from engine.sweep import SWEEP_EVENT, lapsed
from notifications.catalog import AUDIENCE
from notifications.context import letter_context


@dataclass(frozen=True)
class Letter:
    """What one outbox row says and to whom: the template's context, the address now."""

    context: dict[str, Any]
    lang: str
    address: str
    on_paper: bool  # with no address, printed and posted (not only logged)
    lapsed: str | None = None  # a sweep's message whose stage the case has left: why


def compose(db: Database, row: Any, now: datetime, app_url: str) -> Letter:
    """The letter of an outbox row: its content from the case as it stood when the row was
    queued, its address from the case (or the officer's account) as it is now."""
    with db.reading() as s:
        current = repo.load_case(s, row.case_id)
        state = _as_queued(s, current, row.event_version)
        linked = row.recipient.startswith(LINKED_REPORTER)
        if linked and current is not None and state is not None:
            key = row.recipient.removeprefix(LINKED_REPORTER)
            state, current = as_linked_reporter(state, key), as_linked_reporter(current, key)
        user = None
        if row.recipient.startswith("user:"):
            user = s.get(UserRow, row.recipient.removeprefix("user:"))
    if current is None or state is None:
        raise LookupError(f"case {row.case_id} is gone")
    payload = dict(row.payload or {})
    lang = payload.get("language") or "id"
    if row.event_type == SWEEP_EVENT:
        gone = lapsed(
            state,
            current,
            to_handler=row.template.startswith("reminder_"),
            queued_at=row.created_at,
            now=now,
        )
        if gone:
            return Letter({}, lang, "", False, gone)  # nothing to say: not rendered
    counted_on = None
    if row.template == "supervisor_overdue" and row.created_at is not None:
        # told once per stage, so delivered late rather than not at all (an outage): its
        # count of days overdue is then said to be of the day it was made
        tz = ZoneInfo(state.zone)
        if now.astimezone(tz).date() > row.created_at.astimezone(tz).date():
            counted_on = row.created_at.isoformat()
    if row.template == "case_forwarded":
        gone = _forwarded_lapsed(state, current)
        if gone:
            return Letter({}, lang, "", False, gone)  # the office is not asked to take it now
    if row.recipient.startswith("user:") and user is None:
        # never fall back to the reporter's address: an officer's letter is not theirs
        raise LookupError(f"no account {row.recipient.removeprefix('user:')}")
    if user is not None:
        name, address = user.full_name or "", user.email or ""
        if not name and current.attrs.get("staff_user") == user.username:
            name = str(current.attrs.get("staff") or "")  # the staff record's name
        name = name or user.username
    elif row.recipient == "staff":
        # a staff member with no account: a paper letter addressed by the staff record's name
        name, address = str(current.attrs.get("staff") or ""), ""
    elif row.recipient != "reporter" and not linked:
        # an unknown recipient is never taken for the reporter (their address is not its)
        raise LookupError(f"unknown recipient {row.recipient!r}")
    else:
        # delivered to the reporter's address as it is now (a corrected contact counts); a
        # linked reporter's own (as_linked_reporter)
        name = str(current.attrs.get("reporter_name") or "")
        address = str(current.attrs.get("reporter_contact") or "")
    context = letter_context(
        state,
        template=row.template,
        lang=lang,
        recipient_name=name,
        recipient_address=address,
        extra={
            **(payload.get("extra") or {}),
            "event": row.event_type,
            "automatic": payload.get("actor") == SYSTEM.username,
            # an officer told in place of an office with nobody who can act (the level above)
            "recipient_role": user.role if user is not None else None,
            "counted_on": counted_on,
            "since": (
                row.created_at.isoformat()
                if row.template in ("kkn_suspension", "kkn_decision") and row.created_at is not None
                else None
            ),
        },
        today=now,
        app_url=app_url,
    )
    on_paper = user is None or AUDIENCE.get(row.template) == "staff"
    return Letter(context, lang, address, on_paper)


def as_linked_reporter(state: CaseState, key: str) -> CaseState:
    """The case as a letter to one of its linked reporters reads it: that reporter's name and
    contact in the reporter's place (a letter never carries another reporter's identity), and
    the day their report was recorded as the day it was received (older links, recorded
    before that was kept, give the complaint's). LookupError when the case holds no linked
    reporter of that key."""
    who = (state.attrs.get("linked_reporters") or {}).get(key)
    if not isinstance(who, dict):
        raise LookupError(f"case {state.id} has no linked reporter {key!r}")
    attrs = {
        **state.attrs,
        "reporter_name": who.get("reporter_name"),
        "reporter_contact": who.get("reporter_contact"),
        "anonymous": False,
        "received_at": who.get("linked_at") or state.attrs.get("received_at"),
    }
    return replace(state, attrs=attrs)


def _forwarded_lapsed(queued: CaseState, current: CaseState) -> str | None:
    """Why the notice of a complaint forwarded to an office no longer applies (None: it
    does): delivered late (an outage), it must not ask an office to take up a case that has
    since been closed or gone on to another level. The reporter's letter still goes: what it
    says happened."""
    if current.status != "open":
        return f"the case is {current.status} now"
    if current.level != queued.level:
        return f"the case has left level {queued.level} (now {current.level})"
    return None


def _as_queued(s: Any, current: CaseState | None, version: int) -> CaseState | None:
    """The case as it stood when the message was queued (the version of the event, or of the
    sweep, that queued it): a letter tells what was decided then (the office, the deadline),
    not what the case has become by the time the dispatcher gets to it (escalated, referred,
    closed). Replayed from the event log; the current state when nothing happened since."""
    if current is None or current.version == version:
        return current
    events = [c.event for c in repo.load_events(s, current.id) if c.event.version <= version]
    if not events or events[-1].version != version:
        raise LookupError(f"case {current.id} has no event version {version}")
    return replay(events)
