"""Guards and helpers shared by more than one workflow (pure)."""

from __future__ import annotations

from engine.errors import Reason
from engine.machine import Decision


def R(key: str, id_: str, en: str) -> Reason:  # noqa: N802 - reads as a table row
    return Reason(key, id_, en)


def actor_covers_region(d: Decision) -> Reason | None:
    """The officer works in the region the case is filed in."""
    if d.actor.covers(d.data["region"]):
        return None
    return R(
        "region_out_of_scope",
        f"wilayah {d.data['region']} di luar wilayah kerja Anda",
        f"region {d.data['region']} is outside your area",
    )
