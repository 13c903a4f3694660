"""The command line's case text: its deadlines are told in the handling office's zone."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from api.views import case_out, case_text
from engine.state import CaseState
from workflows import default_registry

WIB = timezone(timedelta(hours=7))


def test_a_pusat_case_of_a_makassar_region_says_its_deadlines_are_wib_not_the_region() -> None:
    # forwarded to pusat (Jakarta, WIB) from Makassar (WITA): the dates are pusat's days
    state = CaseState(
        id="ADU-2026-000001",
        workflow="complaint",
        workflow_version=1,
        version=2,
        state="pusat_dokumentasi",
        status="open",
        region="7371",
        zone="Asia/Jakarta",
        level="pusat",
        stage="dokumentasi",
        handler=None,
        stage_due=datetime(2026, 12, 2, 23, 59, 59, tzinfo=WIB),
        level_due=datetime(2027, 1, 8, 23, 59, 59, tzinfo=WIB),
        attrs={"type": "pembayaran", "summary": "uji"},
    )
    text = case_text(case_out(default_registry(), state, None))
    assert "7371 (WIB)" not in text  # Makassar is in WITA: the zone is not the region's
    due = next(line for line in text.splitlines() if line.strip().startswith("due:"))
    assert due.split() == ["due:", "stage", "2026-12-02", "level", "2027-01-08", "(WIB)"]
