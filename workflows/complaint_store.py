"""The complaint workflow's storage side: the facts only the stores know, looked up in the
command's transaction (see engine.service `workflow_facts`).

A complaint may name the KPM household it concerns (`household`). Whichever door it comes in
by, the household is looked up in the KPM register here; the workflow's guards decide. A
complaint rejected as a duplicate passes its reporters on to the one it duplicates (REACTIONS).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.errors import CaseNotFound
from engine.machine import Command
from engine.service import FollowUp, ReactionContext
from engine.state import CaseState, Event
from engine.store import repository as repo
from engine.store.kpm_tables import HOUSEHOLDS
from workflows.complaint_parse import reporters_of, same_reporter
from workflows.kpm_store import resolve


def household_fact(s: Session, given: Any) -> dict[str, str] | None:
    """The register's household for what a complaint names (its case number KPM-..., kode
    peserta, a member's kode anggota, no_kk or a member's NIK): its case id and region, or
    None when the register has no such household."""
    if isinstance(given, bool) or not isinstance(given, str | int):
        return None  # the filing parser names the bad value
    try:
        case_id = resolve(s, str(given))
    except CaseNotFound:
        return None
    row = s.execute(
        sa.select(HOUSEHOLDS.c.case_id, HOUSEHOLDS.c.region).where(HOUSEHOLDS.c.case_id == case_id)
    ).first()
    return {"case_id": row.case_id, "region": row.region} if row is not None else None


def complaint_facts(s: Session, cmd: Command, state: CaseState | None) -> dict[str, Any]:
    """For a filing that names a household: the household as the register knows it. For a
    rejection as a duplicate: what the guard and `on_closed` need of the complaint it
    duplicates (open, rejected, and whether its reporters may be passed on to it)."""
    # read as `parse_reject` reads them (the facts are gathered before the command is parsed)
    reason = str(cmd.data.get("reason") or "").strip().lower()
    other = str(cmd.data.get("duplicate_of") or "").strip().upper()
    if state is not None and reason == "duplikat" and other:
        kept = repo.load_case(s, other)
        if kept is None:
            return {}  # the guard names it (duplicate_of_unknown)
        return {
            "duplicate_open": kept.status == "open",
            "duplicate_outcome": kept.attrs.get("outcome"),
            "duplicate_confidential": bool(kept.attrs.get("confidential")),
            "duplicate_level": kept.level,
            "duplicate_subject": kept.attrs.get("subject"),
        }
    given = cmd.data.get("household")
    if state is not None or given in (None, ""):
        return {}
    return {"household": household_fact(s, given)}


def duplicate_passes_its_reporters_on(
    ctx: ReactionContext, state: CaseState, ev: Event
) -> list[FollowUp]:
    """A complaint rejected as a duplicate of one still open: its reporters are linked to that
    one (each not already on it), so the result its rejection letter promises reaches them,
    with an acknowledgement saying so; only where nobody who may not see them would
    (`on_closed`: `duplicate_follows`)."""
    if state.attrs.get("reason") != "duplikat" or not state.attrs.get("duplicate_follows"):
        return []
    kept = repo.load_case(ctx.session, str(state.attrs.get("duplicate_of")))
    if kept is None or kept.status != "open" or kept.workflow != state.workflow:
        return []
    known = reporters_of(kept)
    out = []
    for who in reporters_of(state):
        if any(same_reporter(who, r) for r in known):
            continue
        known.append(who)
        note = f"pelapor pengaduan {state.id} (ditolak sebagai duplikat)"
        out.append(FollowUp("link_reporter", who, case_id=kept.id, note=note))
    return out


REACTIONS = {("complaint", "CaseRejected"): [duplicate_passes_its_reporters_on]}
