"""Whether any office is open at a moment: the note of a sweep that could do nothing.

Apart from `workflows.flows` so that `pkh sweep` does not import Prefect (whose console, made
at import, would hold the command's output stream)."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def offices_closed(service: Any, at: datetime) -> str | None:
    """Why a sweep at `at` does nothing anywhere, when no office is open then in WIB, WITA or
    WIT (the sweep acts only on working days, in office hours, in each case's own zone); None
    when one is."""
    from engine.sweep import in_office_hours
    from workflows.indonesia import ZONE_INFO

    cal = service.calendar()
    names = getattr(service.workflows, "names", None)
    policies = [
        d.deadline_policy
        for d in (service.workflows.get(n) for n in (names() if callable(names) else []))
        if d.deadline_policy is not None
    ]
    if not policies or any(
        in_office_hours(p, cal, at.astimezone(tz)) for p in policies for tz in ZONE_INFO.values()
    ):
        return None
    start, end = policies[0].office_hours
    local = ", ".join(f"{at.astimezone(tz):%a %H:%M} {zone}" for zone, tz in ZONE_INFO.items())
    return (
        f"no office is open at that moment: {local}; the sweep reminds, tells supervisors "
        f"and escalates on working days, {start:%H:%M}-{end:%H:%M} in each office's own zone"
    )
