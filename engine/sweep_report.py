"""The deadline sweep's report: what one sweep examined, did, and failed to do."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class SweepReport:
    now: str
    examined: int = 0
    reminded: list[str] = field(default_factory=list)
    supervisor_notified: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    # planned for, then changed under the sweep so that nothing is left to do: no failure
    moved_on: list[str] = field(default_factory=list)
    messages: int = 0
    _noted: set[tuple[str, str]] = field(default_factory=set, repr=False)

    def note(self, what: str, case_id: str) -> None:
        """Add the case to the list `what` (reminded, supervisor_notified, moved_on) once."""
        if (what, case_id) not in self._noted:
            self._noted.add((what, case_id))
            getattr(self, what).append(case_id)

    def merge(self, other: SweepReport) -> None:
        self.examined += other.examined
        self.reminded += other.reminded
        self.supervisor_notified += other.supervisor_notified
        self.escalated += other.escalated
        self.failed += other.failed
        self.moved_on += other.moved_on
        self.messages += other.messages

    def as_dict(self) -> dict[str, Any]:
        return {
            "now": self.now,
            "examined": self.examined,
            "reminded": sorted(self.reminded),
            "supervisor_notified": sorted(self.supervisor_notified),
            "escalated": sorted(self.escalated),
            "failed": self.failed,
            "moved_on": sorted(self.moved_on),
            "messages": self.messages,
        }


def failed_line(failed: list[dict[str, str]]) -> str:
    """What a sweep's failures come to, in one line: how many, which cases, the first error."""
    first = failed[0]
    cases = " ".join(f["case_id"] for f in failed[:10]) + (" ..." if len(failed) > 10 else "")
    return (
        f"{len(failed)} sweep action(s) failed ({cases}); first: {first['case_id']} "
        f"{first['action']}: {first['error']}"
    )
