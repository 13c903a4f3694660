"""The complaint workflow's storage side: the facts only the stores know, looked up in the
command's transaction (see engine.service `workflow_facts`).

A complaint may name the KPM household it concerns (`household`). Whichever door it comes in
by, the household is looked up in the KPM register here; the workflow's guards decide.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.errors import CaseNotFound
from engine.machine import Command
from engine.state import CaseState
from engine.store.kpm_tables import HOUSEHOLDS
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
    """For a filing that names a household: the household as the register knows it."""
    given = cmd.data.get("household")
    if state is not None or given in (None, ""):
        return {}
    return {"household": household_fact(s, given)}
