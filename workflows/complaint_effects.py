"""The complaint workflow's effects: what each transition records on the case (deadlines,
reporters, referrals, extensions, outcomes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from engine.deadlines import COUNTED_FROM, counted_from
from engine.definition import (
    Budget,
    Effect,
)
from engine.machine import Decision, due_at
from engine.state import name_key
from workflows.complaint_codes import (
    LEVEL_RANK,
    REFERRAL_DEFAULT,
    REFERRAL_SERVICE,
    TABEL_2,
    zone_for,
)
from workflows.complaint_parse import REPORTER_KEYS


# ------------------------------------------------------------------------------------- effects
def on_filed(d: Decision) -> Effect:
    data = dict(d.data)
    level = data.pop("level")
    region = data.pop("region")
    handler = d.actor.username if d.actor.role == level else None
    attrs = {
        **data,
        "reporters": 1,
        "received_at": d.at.isoformat(),
        "entry_level": level,
        "filed_by": d.actor.username,
        "subject": data.get("accused"),  # who the complaint is about, if anyone
    }
    if data.get("accused") and d.env.facts.get("subject_user"):
        # the account of the staff member it is about: who must not see who reported them
        attrs["subject_user"] = d.env.facts["subject_user"]
    if data.get("household"):
        # as the register names it (KPM-...), whichever code the filing gave
        attrs["household"] = d.env.facts["household"]["case_id"]
    return Effect(changes={"region": region, "handler": handler, "created_at": d.at}, attrs=attrs)


def on_new_level(d: Decision) -> Effect:
    count = int(d.attr("escalations", 0)) + 1
    # the new level identifies its own parties and records its own result
    attrs: dict[str, Any] = {"escalations": count}
    attrs |= {k: None for k in STAGE_RECORDS if d.attr(k) is not None}
    return Effect(changes={"handler": None}, attrs=attrs)


def on_assigned(d: Decision) -> Effect:
    # the account's own name ("KAB.BOGOR" typed is kab.bogor, engine.service `handler_user`)
    user = d.env.facts.get("handler_user")
    return Effect(changes={"handler": user.username if user else d.data["handler"]})


def on_released(d: Decision) -> Effect:
    return Effect(changes={"handler": None}, attrs={"released": d.data.get("reason")})


def on_reclassified(d: Decision) -> Effect:
    return Effect(attrs={"type": d.data["type"], "previous_type": d.attr("type")})


def on_reporter_linked(d: Decision) -> Effect:
    """Counted and kept (masked with the first reporter's identity where that is hidden)."""
    n = int(d.attr("reporters", 1)) + 1
    linked = dict(d.attr("linked_reporters") or {})
    # when their report was recorded: their letters give that day as the day it was received
    linked[str(n)] = {**{k: d.data.get(k) for k in REPORTER_KEYS}, "linked_at": d.at.isoformat()}
    return Effect(attrs={"reporters": n, "linked_reporters": linked})


def _zone(d: Decision) -> ZoneInfo:
    assert d.state is not None
    return zone_for(d.state.level, d.state.region)


def on_referred(d: Decision) -> Effect:
    assert d.state is not None
    budget = REFERRAL_SERVICE if d.attr("type") == "ketersediaan_layanan" else REFERRAL_DEFAULT
    due = due_at(d.env.calendar, d.at, budget, _zone(d))
    level_due = max(d.state.level_due, due) if d.state.level_due else due
    return Effect(
        changes={"stage_due": due, "level_due": level_due},
        # the budget it was given, kept: a reclassification during the referral does not
        # change how its deadline moves with the calendar (`deadline_months`)
        attrs={
            "referred_to": d.data["body"],
            "referral_months": budget.months,
            # the level carried to the referral's due counts from this day
            **_level_carried(d, due, budget.months),
        },
        payload={"budget": str(budget)},
    )


def _beyond(due: datetime, before: datetime | None) -> bool:
    return before is None or due > before


def _restarted(
    d: Decision, *due_fields: str, tied: tuple[str, ...] = (), months: int = 0
) -> dict[str, Any]:
    """The attrs recording that these deadlines are now counted from the day of this command,
    not from their window's start, so a day off added or taken back before that day does not
    move them (engine.deadlines): in `months` (a date so many months on) or working days;
    those `tied` are the later of that count and the one they had, which end on the same day."""
    assert d.state is not None
    if not due_fields:
        return {}
    origins = dict.fromkeys(due_fields, d.at)
    in_months = dict.fromkeys(due_fields, months)
    return {COUNTED_FROM: counted_from(d.state, tied=tied, months=in_months, **origins)}


def _level_carried(d: Decision, due: datetime, months: int = 0) -> dict[str, Any]:
    """The level due is now the later of its own and `due` (counted from this command, in
    `months` or working days): the attrs saying how it is counted when `due` is the later, or
    both are (the same day)."""
    assert d.state is not None
    before = d.state.level_due
    if before is not None and due == before:
        return _restarted(d, "level_due", tied=("level_due",), months=months)
    return _restarted(d, *(("level_due",) if _beyond(due, before) else ()), months=months)


def on_referral_returned(d: Decision) -> Effect:
    assert d.state is not None
    rest = Budget(working_days=TABEL_2[2][1] + TABEL_2[3][1])
    due = due_at(d.env.calendar, d.at, rest, _zone(d))
    level_due = max(d.state.level_due, due) if d.state.level_due else due
    # The machine capped the follow-up stage by the level due this return replaces: a
    # referral answered on (or near) its own due day left the stage due at once.
    stage_due = due_at(d.env.calendar, d.at, Budget(working_days=TABEL_2[2][1]), _zone(d))
    return Effect(
        changes={"level_due": level_due, "stage_due": min(stage_due, level_due)},
        attrs={
            "referred_to": None,
            "referral_months": None,
            # the level held to the return's 18 working days counts them from this day
            **_level_carried(d, due),
        },
    )


def on_extended(d: Decision) -> Effect:
    """N more working days, counted from the deadline, or from the day of the extension when
    the deadline has passed: pusat extends cases that are already late, and a "new" deadline
    in the past would leave the stage overdue and tell the reporter a date gone by."""
    assert d.state is not None and d.state.level_due is not None
    n = d.data["working_days"]
    cal, tz = d.env.calendar, _zone(d)
    level_due = cal.deadline(max(d.state.level_due, d.at), n, tz)
    stage_due = cal.deadline(max(d.state.stage_due, d.at), n, tz) if d.state.stage_due else None
    # a deadline extended before it passed goes on counting from its window's start; one
    # extended late counts afresh from this day
    before = {"level_due": d.state.level_due, "stage_due": d.state.stage_due}
    late = [k for k, due in before.items() if due is not None and due < d.at]
    return Effect(
        changes={"level_due": level_due, "stage_due": stage_due},
        attrs={"extensions": int(d.attr("extensions", 0)) + 1, **_restarted(d, *late)},
    )


STAGE_RECORDS = ("parties", "result")


def on_closed(d: Decision) -> Effect:
    outcome = "rejected" if d.transition and d.transition.dest == "ditolak" else "resolved"
    attrs: dict[str, Any] = {
        "outcome": outcome,
        "closed_at_level": d.state.level if d.state else None,
    }
    for key in ("result", "reason", "duplicate_of", "informed_via"):
        if d.data.get(key):
            attrs[key] = d.data[key]
    if d.data.get("reason") == "duplikat":
        # Its reporters are passed on to the complaint it duplicates (workflows.complaint_store)
        # while that one is open, and its letter promises that one's result; not a
        # confidential reporter to a complaint that is not (whose officers would see them).
        kept_open = bool(d.env.facts.get("duplicate_open"))
        attrs["duplicate_open"] = kept_open
        attrs["duplicate_follows"] = kept_open and _reporters_stay_hidden_there(d)
    if outcome == "rejected" and not d.data.get("result") and d.attr("result") is not None:
        # a rejection's letter quotes only what was said when rejecting, not an earlier
        # follow-up's result
        attrs["result"] = None
    return Effect(attrs=attrs)


def _reporters_stay_hidden_there(d: Decision) -> bool:
    """Whether this complaint's reporters, linked to the complaint it duplicates, are seen
    there by nobody who may not see them here. Linked reporters are shown as that complaint
    shows its first, so: the person this one is about must be the one that one is about (or
    they would read who reported them); a confidential reporter only to a confidential
    complaint at this level or above (or officers below would see them)."""
    facts = d.env.facts
    about = name_key(d.attr("subject"))
    if about and about != name_key(facts.get("duplicate_subject")):
        return False
    if not d.attr("confidential"):
        return True
    here = LEVEL_RANK.get((d.state.level if d.state else None) or "", 3)
    there = LEVEL_RANK.get(str(facts.get("duplicate_level")), 3)
    return bool(facts.get("duplicate_confidential")) and there >= here


def on_stage_recorded(d: Decision) -> Effect:
    """What a stage establishes stays on the case: the parties identified (identifikasi) and
    the result of the follow-up (tindak_lanjut), which the result letter tells the reporter."""
    return Effect(attrs={k: d.data[k] for k in STAGE_RECORDS if d.data.get(k)})


def on_reopened(d: Decision) -> Effect:
    # the earlier result was not the last word: a rejection after reopening must not quote it
    return Effect(
        changes={"handler": None},
        attrs={"reopened": int(d.attr("reopened", 0)) + 1, "outcome": None, "result": None},
    )
