"""Builds the context a letter template needs from a case's state: pure, no database, no clock.

Every key a template may use is always present, because templates render with StrictUndefined.
Dates are shown in the handling office's own time zone (DOMAIN.md: a deadline ends at the end of
the working day where the office is).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.state import CaseState
from notifications import labels as L
from notifications.catalog import AUDIENCE, KKN_OUTCOMES, REPORTER_TEMPLATES, check
from notifications.channels import postal_address
from workflows.complaint_codes import LEVELS
from workflows.complaint_codes import zone_for as complaint_zone
from workflows.indonesia import zone_label
from workflows.regions import UnknownRegion, region_name

DEFAULT_APP_URL = "http://127.0.0.1:8000"
EXTRA_DEFAULTS: dict[str, Any] = {
    "days_left": 0,
    "days_overdue": 0,
    "working_days": None,
    "new_due": None,
    "handler": None,
    "staff_name": None,
    "outcome": None,
    "reason": None,
    "complaint_id": None,
    "sanction": None,
    "sanction_label": None,
    "reason_label": None,
    "event": None,  # the event that queued the message
    "automatic": False,  # the event was the system's (the deadline sweep), not an officer's
    "from_office": None,  # a forwarded complaint: the office it came from
    "to_office": None,  # ... and who has it now
    "recipient_role": None,  # an officer's role (told for an office above the case's?)
    "dismissed_by": None,  # a KKN outcome: the person was dismissed meanwhile by that case
    # a not-guilty KKN outcome: the complaint of another investigation still relieving them
    "suspended_by": None,
    # a supervisor notice delivered on a later day than the sweep counted its days overdue
    # (an outage): the day the count is true of
    "counted_on": None,
    # a KKN suspension or finding: the day it took effect, when it was recorded (the staff
    # member could hold no case from then, or could again), not the day the letter is sent
    "since": None,
}
FORWARDED = frozenset({"case_forwarded", "forwarded_notice"})
GROUP_LEADER = {"id": "Ketua Kelompok PKH", "en": "the KPM group leader (ketua kelompok)"}
PENDAMPING_AT = {
    "id": "Pendamping PKH di {office}",
    "en": "the PKH facilitator (pendamping) at {office}",
}


def letter_context(
    state: CaseState,
    *,
    template: str,
    lang: str,
    recipient_name: str,
    recipient_address: str = "",
    extra: Mapping[str, Any] | None = None,
    today: date,
    app_url: str = DEFAULT_APP_URL,
) -> dict[str, Any]:
    check(template, lang)
    tz = _zone(state.zone)
    case = _case(state, lang, tz)
    reporter = _reporter(state, lang, to_reporter=template in REPORTER_TEMPLATES)
    recipient = (recipient_name or "").strip()
    if not recipient:
        recipient = reporter["name"] if AUDIENCE[template] == "reporter" else L.WITHHELD[lang]
    return {
        "case": case,
        "reporter": reporter,
        # a postal address given as the contact goes under the name (else "di tempat": the
        # letter is handed over where the addressee is)
        "recipient": {"name": recipient, "address": postal_address(recipient_address)},
        "office": office(signing_level(state), state.region, lang),
        "extra": _extra(template, extra, state, case, lang, tz),
        "today": L.format_date(_day(today, tz), lang),
        "app_url": app_url.rstrip("/"),
        # the officer page of the case (not the API's JSON route)
        "case_url": f"{app_url.rstrip('/')}/cases/{state.id}/view",
        "lang": lang,
    }


# ------------------------------------------------------------------------------------- office
def signing_level(state: CaseState) -> str | None:
    """The level of the office a letter goes out under: the case's own, except for staff
    cases, which are not handled by the staff member's own unit. KKN cases are handled by
    UPPKH Pusat (DOMAIN; the kabupaten only gathers information). A sanction is issued by
    UPPKH Pusat when pusat acted, else by the UPPKH Kabupaten/Kota of the staff member's
    region, which sanctions its staff down to the pendamping (seed 003; seed 000, SANKSI)."""
    if state.workflow == "kkn":
        return "pusat"
    if state.workflow == "discipline":
        return "pusat" if state.attrs.get("issuer") == "pusat" else "kabupaten"
    return state.level


def office_name(level: str | None, region: str) -> str:
    """The UPPKH office that holds the case: 'UPPKH Pusat', 'UPPKH Kota Bogor', ...

    A ketua kelompok has no office of its own; its letters go out under the UPPKH Kecamatan
    (the pendamping) that supports the group.
    """
    if level == "pusat" or len(region) < 4:
        return "UPPKH Pusat"
    if level == "kabupaten" or len(region) < 6:
        return f"UPPKH {_region_name(region[:4])}"
    return f"UPPKH Kecamatan {_region_name(region[:6])}"


def office(level: str | None, region: str, lang: str) -> dict[str, Any]:
    """The handling office; `regional` is the UPPKH Kabupaten/Kota of the case's region, through
    which UPPKH Pusat sends its notices to the reporter (seed 003, UPPKH-Pusat step d)."""
    return {
        "name": office_name(level, region),
        "level": level,
        "level_label": L.label(L.LEVELS, lang, level),
        "regional": office_name("kabupaten", region) if len(region) >= 4 else None,
    }


# --------------------------------------------------------------------------------------- case
def _case(state: CaseState, lang: str, tz: ZoneInfo | None) -> dict[str, Any]:
    a = state.attrs
    stage_key = state.stage or state.state
    received = _parse(a.get("received_at")) or state.created_at
    shown_id = a.get("complaint_id") or state.id
    return {
        # letters about a KKN or discipline case cite the complaint the reporter knows
        "id": shown_id,
        # "Nomor pengaduan" only for a complaint's number (a discipline record has its own)
        "number_label": L.NUMBER_LABELS[lang][
            "complaint" if state.workflow == "complaint" or a.get("complaint_id") else "case"
        ],
        "type": a.get("type"),
        "type_label": L.label(L.TYPES, lang, a.get("type")),
        "summary": a.get("summary") or "",
        "channel": a.get("channel"),
        "channel_label": L.label(L.CHANNELS, lang, a.get("channel")),
        "level": state.level,
        "level_label": L.label(L.LEVELS, lang, state.level),
        "stage": state.stage,
        "stage_label": L.label(L.STAGES, lang, stage_key),
        "stage_short": L.label(L.STAGES_SHORT, lang, stage_key),
        "state": state.state,
        # reminders speak in the terms of the case's workflow (a household's validation is not
        # a complaint), and at the top level there is nobody to hand a case up to
        "workflow": state.workflow,
        "top_level": state.level == "pusat",
        "region": state.region,
        "region_name": _region_name(state.region),
        "zone": zone_label(state.zone),
        # the day the receiving office received it, in that office's zone: a complaint
        # received at 23:30 WIT was received that day, also in pusat's letters (WIB)
        "received_date": _date(received, lang, _received_zone(state) or tz),
        "stage_due": _date(state.stage_due, lang, tz),
        "level_due": _date(state.level_due, lang, tz),
        "status": state.status,
        "status_label": L.label(L.STATUSES, lang, state.status),
        "outcome": a.get("outcome"),
        "outcome_label": L.label(L.OUTCOMES, lang, a.get("outcome")),
        "result": a.get("result"),
        "reason": a.get("reason"),
        "reason_label": L.label(L.REASONS, lang, a.get("reason")),
        "duplicate_of": a.get("duplicate_of"),
        # whether the complaint it duplicates was open when rejected, and whether its
        # reporters were passed on to it (its result will reach them); rejections recorded
        # before this was kept promised it
        "duplicate_open": a.get("duplicate_open", True),
        "duplicate_follows": a.get("duplicate_follows", a.get("duplicate_open", True)),
        "handler": state.handler,
        "referred_to": a.get("referred_to"),
        # a complaint's side body, a KKN case's authority
        "referred_to_label": L.label(
            L.AUTHORITIES if state.workflow == "kkn" else L.SIDE_BODIES, lang, a.get("referred_to")
        ),
        "extensions": int(a.get("extensions", 0) or 0),
    }


def _reporter(state: CaseState, lang: str, *, to_reporter: bool) -> dict[str, Any]:
    a = state.attrs
    anonymous = bool(a.get("anonymous")) or not a.get("reporter_name")
    confidential = bool(a.get("confidential"))
    if not to_reporter:
        # Officers and accused staff get no reporter identity, confidential or not.
        return {
            "name": L.WITHHELD[lang],
            "contact": None,
            "anonymous": anonymous,
            "confidential": confidential,
            "greeting": L.GREETING_ANONYMOUS[lang],
        }
    name = L.REPORTER_FALLBACK[lang] if anonymous else str(a["reporter_name"])
    greeting = L.GREETING_ANONYMOUS[lang] if anonymous else L.GREETING[lang].format(name=name)
    return {
        "name": name,
        "contact": a.get("reporter_contact"),
        "anonymous": anonymous,
        "confidential": confidential,
        "greeting": greeting,
    }


def _extra(
    template: str,
    given: Mapping[str, Any] | None,
    state: CaseState,
    case: Mapping[str, Any],
    lang: str,
    tz: ZoneInfo | None,
) -> dict[str, Any]:
    out = {**EXTRA_DEFAULTS, **(given or {})}
    if out["handler"] is None:
        out["handler"] = state.handler
    unable = out.pop("handler_unable", None)  # the sweep's: why the handler cannot act
    if unable and out["handler"]:
        out["handler"] = f"{out['handler']} ({L.UNABLE[lang].get(unable, unable)})"
    # After an extension the level due date is the new one; callers may also name it.
    new_due = out["new_due"]
    out["new_due"] = case["level_due"] if new_due is None else _date(new_due, lang, tz)
    if template in FORWARDED:
        # a complaint goes up the ladder one level at a time: it came from the level below
        # (a ketua kelompok has no office: it is named as what it is; its complaints go up
        # to the pendamping of the UPPKH Kecamatan whose name its letters already carry)
        i = LEVELS.index(state.level) if state.level in LEVELS else 0
        below = LEVELS[max(i - 1, 0)]
        here = office_name(state.level, state.region)
        out["from_office"] = (
            GROUP_LEADER[lang] if below == "ketua_kelompok" else office_name(below, state.region)
        )
        out["to_office"] = (
            PENDAMPING_AT[lang].format(office=here) if state.level == "pendamping" else here
        )
    if template == "discipline_letter":
        out.update(_sanction(out, state, lang))
    if out["since"] is not None:
        out["since"] = _date(out["since"], lang, tz)
    if out["counted_on"] is not None:
        out["counted_on"] = _date(out["counted_on"], lang, tz)
    if template in ("kkn_outcome", "kkn_decision") and out["outcome"] not in KKN_OUTCOMES:
        raise ValueError(
            f"{template} needs extra.outcome in {KKN_OUTCOMES}, got {out['outcome']!r}"
        )
    return out


def _sanction(extra: Mapping[str, Any], state: CaseState, lang: str) -> dict[str, Any]:
    """The sanction and its reason in the letter's language (the event records codes)."""
    sanction = extra.get("sanction") or state.attrs.get("sanction")
    # SP-1's ground is the oral warnings before it, not a reason of its own
    reason = "oral_warnings" if sanction == "sp1" else extra.get("reason")
    known = L.DISCIPLINE_REASONS[lang].get(str(reason))
    performance = state.attrs.get("performance") or {}
    return {
        "sanction": sanction,
        "sanction_label": L.label(L.SANCTIONS, lang, sanction) or extra.get("sanction_label"),
        "reason_label": (
            known.format(n=state.attrs.get("oral_warnings", 0), total=performance.get("total", "-"))
            if known
            else reason or None
        ),
    }


# -------------------------------------------------------------------------------------- dates
def _received_zone(state: CaseState) -> ZoneInfo | None:
    """The zone of the office a complaint was filed at (its entry level), if it says."""
    entry = state.attrs.get("entry_level")
    if not entry:
        return None
    try:
        return complaint_zone(str(entry), state.region)
    except (KeyError, ValueError, UnknownRegion):
        return None


def _zone(key: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _parse(value: Any) -> datetime | date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _day(value: date, tz: ZoneInfo | None) -> date:
    if isinstance(value, datetime):
        aware = value.tzinfo is not None and tz is not None
        return value.astimezone(tz).date() if aware else value.date()
    return value


def _date(value: Any, lang: str, tz: ZoneInfo | None) -> str:
    parsed = _parse(value)
    if parsed is None:
        return str(value) if value not in (None, "") else "-"
    return L.format_date(_day(parsed, tz), lang)


def _region_name(code: str) -> str:
    try:
        return region_name(code)
    except UnknownRegion:
        return code
