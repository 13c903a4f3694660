"""What the deadline sweep reads from the store: its candidates (open cases due before a
horizon, less the quiet ones), the marks already recorded for them, what quiet rows are judged
under, and the officers by role and region it tells."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.state import CaseState, name_key
from engine.store import repository as repo
from engine.store.tables import SweepMarkRow, SweepQuietRow
from engine.sweep import LEGACY_MARKS

MARKS = SweepMarkRow.__table__  # type: ignore[attr-defined]
QUIET = SweepQuietRow.__table__  # type: ignore[attr-defined]
USERS = repo.USERS


@dataclass(frozen=True)
class Quiet:
    """Leave out the cases found quiet at their current version under this basis (see
    engine.sweep.quiet_until and SweepQuietRow)."""

    now: datetime
    basis: str


def _open_due(workflow: str, horizon: datetime, province: str | None, quiet: Quiet | None) -> Any:
    """The filter of the candidates: open, this workflow, stage due before the horizon (a
    range of the due index), in the province, not quiet."""
    c = repo.CASES.c
    where = [c.status == "open", c.workflow == workflow, c.stage_due <= horizon]
    if province:
        where.append(repo.region_within(c.region, province))
    if quiet is not None:
        q = QUIET.c
        where.append(
            ~sa.exists().where(
                q.case_id == c.id,
                q.version == c.version,
                q.basis == quiet.basis,
                q.until > quiet.now,
            )
        )
    return sa.and_(*where)


def candidates(
    s: Session,
    workflow: str,
    horizon: datetime,
    province: str | None,
    quiet: Quiet | None = None,
) -> list[CaseState]:
    """Open cases whose stage is due before the horizon, less the quiet ones. The case
    attributes are not loaded: planning and notices need only the projection's columns."""
    return read_states(s, _open_due(workflow, horizon, province, quiet), by_due=True)


def read_states(s: Session, where: Any, *, by_due: bool = False) -> list[CaseState]:
    """The cases matching `where`, from the projection's columns planning needs, by id (or
    by due time and id: the due index's order)."""
    c = repo.CASES.c
    q = sa.select(*(c[name] for name in _PLAN_COLUMNS), c.subject).where(where)
    # who the case is about (its accused, its staff member): never reminded of it
    rows = s.execute(q.order_by(*((c.stage_due,) if by_due else ()), c.id))
    # positional (_PLAN_COLUMNS is CaseState's fields up to `attrs`; a keyword dict per row
    # costs 1.5 us more, 75 ms of a 50k-case sweep): mypy cannot count the row's columns
    return [CaseState(*r[:-1], attrs=_subject(r[-1])) for r in rows]  # type: ignore[misc]


def _subject(subject: str | None) -> dict[str, Any]:
    return {"subject": subject} if subject else {}


# CaseState's fields in order, up to the attributes
_PLAN_COLUMNS = [f.name for f in dataclasses.fields(CaseState) if f.name != "attrs"]


# why a case's handler cannot act on it: recorded on the notice as its code (`handler_unable`),
# which the notices word in their language after the username (notifications.labels.UNABLE)
UNABLE = ("gone", "disabled", "suspended", "dismissed", "elsewhere", "subject")


class Offices:
    """Officers by role, for 'every officer of the handling office' and the level above.
    Indexed by role and region code, so finding the officers covering a case looks up the
    case region's prefixes instead of testing every officer (514 kabupaten offices)."""

    def __init__(self, s: Session, register: repo.StaffRegister = repo.NO_REGISTER) -> None:
        rows = s.execute(
            sa.select(
                USERS.c.username,
                USERS.c.role,
                USERS.c.region,
                USERS.c.active,
                USERS.c.suspended,
            )
        ).all()
        self.register = register
        self._index: dict[tuple[str, str | None], list[str]] = {}
        self._standing: dict[str, str] = {}  # accounts that cannot act: why
        self._known = {r.username for r in rows}
        lengths = set()
        for r in rows:
            if not r.active:
                self._standing[r.username] = "disabled"
                continue
            if r.suspended:
                self._standing[r.username] = "suspended"
                continue
            if r.username in register.relieved:  # by a KKN case, or dismissed
                self._standing[r.username] = register.relieved[r.username]
                continue
            self._index.setdefault((r.role, r.region), []).append(r.username)
            if r.region:
                lengths.add(len(r.region))
        self._lengths = sorted(lengths)

    def unable(self, handler: str, level: str | None, region: str) -> str | None:
        """Why `handler` cannot act on a case at this level and region (a key of UNABLE), or
        None when they can: an active officer, not suspended, of the level, covering it."""
        if handler in self.officers(level, region):
            return None
        return self._standing.get(handler, "elsewhere" if handler in self._known else "gone")

    def officers(
        self, role: str | None, region: str, about: Collection[str] = frozenset()
    ) -> list[str]:
        """The officers of `role` covering `region`, less the accounts the case is `about`
        (`repository.subject_accounts`)."""
        found = list(self._index.get((role or "", None), ()))
        for n in self._lengths:
            if n <= len(region):
                found += self._index.get((role or "", region[:n]), ())
        return sorted(u for u in found if name_key(u) not in about)


def recorded_marks(
    s: Session, workflow: str, horizon: datetime, province: str | None, quiet: Quiet | None
) -> set[tuple[str, str, str]]:
    """The marks already recorded for the candidates (the same filter as `candidates`)."""
    c = repo.CASES.c
    q = (
        sa.select(MARKS.c.case_id, MARKS.c.stage_key, MARKS.c.mark)
        .join(repo.CASES, c.id == MARKS.c.case_id)
        .where(_open_due(workflow, horizon, province, quiet))
    )
    return {(r.case_id, r.stage_key, r.mark) for r in s.execute(q)}


def legacy_marks(
    s: Session, workflow: str, horizon: datetime, province: str | None, quiet: Quiet | None
) -> dict[tuple[str, str], list[tuple[str, datetime]]]:
    """The candidates' reminder marks recorded before marks named their deadline
    (engine.sweep.LEGACY_MARKS), with when each was made: (case, stage key) -> [(mark, at)]."""
    c = repo.CASES.c
    q = (
        sa.select(MARKS.c.case_id, MARKS.c.stage_key, MARKS.c.mark, MARKS.c.created_at)
        .join(repo.CASES, c.id == MARKS.c.case_id)
        .where(_open_due(workflow, horizon, province, quiet), MARKS.c.mark.in_(LEGACY_MARKS))
    )
    out: dict[tuple[str, str], list[tuple[str, datetime]]] = {}
    for r in s.execute(q):
        out.setdefault((r.case_id, r.stage_key), []).append((r.mark, r.created_at))
    return out


def quiet_basis(policy: Any, s: Session) -> str:
    """What a quiet case was judged under: the deadline policy and the calendar overrides.
    Changing either makes every quiet row stale at once (they no longer match)."""
    overrides = sorted((str(r.day), bool(r.working)) for r in repo.calendar_overrides(s))
    return hashlib.sha256(repr((policy, overrides)).encode()).hexdigest()[:16]
