"""Runs the deadline sweep over the store: find due cases by index, plan, act once, report.

Reminders and supervisor notices become outbox rows, written with the sweep mark that makes them
happen once, in one transaction per case. Escalations are commands by the `system` actor.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine.errors import ConcurrencyConflict, EngineError, InvalidInput
from engine.machine import CLOCK_SKEW
from engine.service import CaseService
from engine.state import SYSTEM, CaseState, name_key
from engine.store import repository as repo
from engine.store.tables import SweepMarkRow, SweepQuietRow
from engine.sweep import SWEEP_EVENT, Action, plan, quiet_until, stage_key

MARKS = SweepMarkRow.__table__  # type: ignore[attr-defined]
QUIET = SweepQuietRow.__table__  # type: ignore[attr-defined]
USERS = repo.USERS


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


def _horizon(now: datetime, days: int, service: CaseService) -> datetime:
    """Every stage due within `days` working days of today in any zone is due before this."""
    cal = service.calendar()
    start = now.astimezone(UTC).date() - timedelta(days=1)
    last = cal.add_working_days(start, days + 2)
    return datetime.combine(last, time(23, 59, 59), tzinfo=UTC)


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
    return _states(s, _open_due(workflow, horizon, province, quiet), by_due=True)


def _states(s: Session, where: Any, *, by_due: bool = False) -> list[CaseState]:
    """The cases matching `where`, from the projection's columns planning needs, by id (or
    by due time and id: the due index's order)."""
    c = repo.CASES.c
    q = sa.select(*(c[name] for name in _PLAN_COLUMNS), c.subject).where(where)
    # who the case is about (its accused, its staff member): never reminded of it
    return [
        CaseState(*r[:-1], attrs={"subject": r[-1]} if r[-1] else {})
        for r in s.execute(q.order_by(*((c.stage_due,) if by_due else ()), c.id))
    ]


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


def sweep(
    service: CaseService, now: datetime, *, provinces: Iterable[str] | None = None
) -> SweepReport:
    report = SweepReport(now=now.isoformat())
    for prov in list(provinces) if provinces else [None]:
        report.merge(sweep_province(service, now, prov))
    return report


def check_moment(now: datetime) -> None:
    """A sweep records its escalations and reminders at its moment. One "run" in the future
    would date events after every officer's next action, which the engine then refuses
    ("before the case's last event") until that moment comes: refused, by the real clock, for
    every door (`pkh sweep --now`, the flow's `now`). An earlier moment (a missed sweep) is
    fine."""
    if now.tzinfo is None:
        raise InvalidInput(
            "now",
            f"'{now.isoformat()}' has no UTC offset (e.g. +07:00)",
            message_id=f"'{now.isoformat()}' tanpa selisih UTC (mis. +07:00)",
        )
    if now > datetime.now(UTC) + CLOCK_SKEW:
        raise InvalidInput(
            "now",
            f"'{now.isoformat()}' is in the future: a sweep records its events at its moment, "
            "and officers could not act on those cases until then; give a moment not later "
            "than now",
            message_id=f"'{now.isoformat()}' belum terjadi: sweep mencatat peristiwanya pada "
            "saat itu, dan petugas tidak dapat menindaklanjuti kasusnya sebelum saat itu tiba",
        )


def sweep_province(service: CaseService, now: datetime, province: str | None) -> SweepReport:
    """Plan every candidate (pure), then act: escalations one command each, reminders and
    supervisor notices in transactions of up to BATCH cases. Marks already recorded are read
    once up front, so a sweep with nothing new to do writes nothing; each mark is still
    claimed with an insert that skips conflicts, so two sweeps racing on one province still
    send each message once.

    A case an officer changed between the sweep's read and its write (its version moved) is
    read and planned again, up to RESTARTS times: handled as it is now, or counted as moved
    on when it no longer asks for anything (`SweepReport.moved_on`); no failure either way.

    A case whose every planned action is done is recorded as quiet until the plan can next
    ask for something new (engine.sweep.quiet_until: the next local midnight or deadline),
    and later sweeps leave it out of their candidates until then or until it changes: a
    sweep repeated within the hour reads only what changed (bench sweep_idle)."""
    check_moment(now)
    report = SweepReport(now=now.isoformat())
    for name in _workflows(service):
        definition = service.workflows.get(name)
        if definition.deadline_policy is None:
            continue
        horizon = _horizon(now, definition.deadline_policy.due_soon_days, service)
        with service.db.reading() as s:
            quiet = Quiet(now, _basis(definition.deadline_policy, s))
            found = candidates(s, name, horizon, province, quiet)
            done = _recorded_marks(s, name, horizon, province, quiet) if found else set()
            offices = Offices(s, service.staff_register(s)) if found else None
        report.examined += len(found)
        if found:
            assert offices is not None
            _Pass(service, definition, now, quiet, offices, done, report).run(found)
    return report


class _Pass:
    """One workflow's candidates in one sweep: plan each case, act, and plan again the cases
    that changed under the sweep (an officer's step between its read and its write)."""

    def __init__(
        self,
        service: CaseService,
        definition: Any,
        now: datetime,
        quiet: Quiet,
        offices: Offices,
        done: set[tuple[str, str, str]],
        report: SweepReport,
    ) -> None:
        self.service, self.now, self.quiet = service, now, quiet
        self.offices, self.done, self.report = offices, done, report
        self.policy = definition.deadline_policy
        self.levels = list(definition.levels)
        self.cal = service.calendar()

    def run(self, found: list[CaseState]) -> None:
        todo, again = found, []
        for attempt in range(RESTARTS + 1):
            notices: list[_Notice] = []
            settled: list[dict[str, Any]] = []
            for state in todo:
                again += self._case(state, notices, settled, replanned=attempt > 0)
            for i in range(0, len(notices), BATCH):
                again += _notify(self.service, notices[i : i + BATCH], self.now, self.report)
            _settle(self.service, settled, self.now)
            if not again:
                return
            todo = self._reread(again)
            again = []
        for state in todo:
            self.report.failed.append(
                {
                    "case_id": state.id,
                    "action": "sweep",
                    "error": f"the case changed {RESTARTS} times while the sweep handled it",
                }
            )

    def _reread(self, changed: list[CaseState]) -> list[CaseState]:
        """The cases as they are now; a case whose fresh plan asks for nothing is moved on
        (another sweep, an officer's step or its closing took it past what was planned)."""
        ids = sorted({c.id for c in changed})
        with self.service.db.reading() as s:
            fresh = _states(s, repo.CASES.c.id.in_(ids))
        for gone in set(ids) - {c.id for c in fresh}:
            self.report.note("moved_on", gone)
        return fresh

    def _case(
        self,
        state: CaseState,
        notices: list[_Notice],
        settled: list[dict[str, Any]],
        *,
        replanned: bool,
    ) -> list[CaseState]:
        """Plan one case: escalate it, or queue its notices and quiet row into `notices` and
        `settled`. Returns [state] when it changed before the escalation could be recorded."""
        actions = plan(state, self.policy, self.cal, self.now)
        if actions and actions[0].kind == "escalate":
            return _escalate(
                self.service, state, actions[0], self.now, self.report, self.policy, replanned
            )
        key = stage_key(state)
        above = (
            self.levels[self.levels.index(state.level) + 1]
            if state.level in self.levels and self.levels.index(state.level) + 1 < len(self.levels)
            else None
        )
        offices = self.offices
        unhandled = False
        # a handler who cannot act (disabled, suspended, moved, or the person the case is
        # about: their staff record linked to the account since it was assigned) counts as
        # nobody assigned: the office is reminded, and every notice names the handler with why
        about = repo.subject_accounts(state, offices.register)
        why = offices.unable(state.handler, state.level, state.region) if state.handler else None
        if state.handler and not why and name_key(state.handler) in about:
            why = "subject"
        handler = None if why else state.handler
        named = (state.handler, why)
        queued = False
        for action in actions:
            if (state.id, key, action.mark) in self.done:
                continue
            if action.kind == "remind":
                to = [handler] if handler else offices.officers(state.level, state.region, about)
            elif above is None:
                continue  # the top level has no supervisor to tell
            else:
                to = offices.officers(above, state.region, about)
            if to:
                notices.append(_Notice(state, key, action, to, named))
                queued = True
            else:
                unhandled = True  # no one to tell yet: look again next sweep
        if replanned and not queued and not unhandled:  # nobody to tell yet is not moved on
            self.report.note("moved_on", state.id)
        until = None if unhandled else quiet_until(state, self.policy, self.cal, self.now)
        if until is not None:
            settled.append(
                {
                    "case_id": state.id,
                    "version": state.version,
                    "basis": self.quiet.basis,
                    "until": until,
                }
            )
        return []


BATCH = 500


@dataclass(frozen=True)
class _Notice:
    state: CaseState
    key: str
    action: Action
    to: list[str]
    handler: tuple[str | None, str | None] = (None, None)  # the handler, and why unable


def _workflows(service: CaseService) -> list[str]:
    names = getattr(service.workflows, "names", None)
    return list(names()) if callable(names) else []


def escalation_moment(state: CaseState, now: datetime) -> datetime | None:
    """When the sweep at `now` records its escalation of this case: at its moment, or at the
    case's last event where an officer's step came after that moment but within the engine's
    clock skew (the clock goes on while a sweep runs: an event cannot come before the case's
    last one). None: the case changed later than that, and the sweep's moment is stale for it."""
    last = state.updated_at
    if last is None or last <= now:
        return now
    return last if last - now <= CLOCK_SKEW else None


def _escalate(
    service: CaseService,
    state: CaseState,
    action: Action,
    now: datetime,
    report: SweepReport,
    policy: Any,
    replanned: bool = False,
) -> list[CaseState]:
    """Escalate as `system`, on condition that the case is still as the sweep read it. A case
    changed since (an officer's step, another sweep's escalation) is returned, to be read
    and planned again: escalated if its plan still says so, else moved on; that is no failure.
    Failures are the refusals that remain.

    A case read already changed later than the sweep's moment allows (`escalation_moment`:
    a sweep re-run for a missed moment) is refused, loudly; one that changed so while the
    sweep ran (`replanned`: read before, changed since) is moved on, left to the next sweep."""
    at = escalation_moment(state, now)
    if at is None:
        if replanned:
            report.note("moved_on", state.id)
            return []
        report.failed.append(
            {
                "case_id": state.id,
                "action": "escalate",
                "error": (
                    f"the case changed at {state.updated_at}, after the sweep's moment "
                    f"{now.isoformat()}: a sweep for that moment cannot escalate it; "
                    "sweep at a later moment"
                ),
            }
        )
        return []
    # the level in words ("Ketua Kelompok", not "ketua_kelompok"): the reason is shown as
    # stored on the timeline and in the letters
    level = (state.level or "").replace("_", " ").title()
    reason = (
        f"tenggat tingkat {level} terlewati {action.extra['days_overdue']} hari "
        f"kerja (toleransi {action.extra['grace']}); eskalasi otomatis"
    )
    try:
        service.apply(
            state.id,
            policy.escalate_trigger,
            {"reason": reason},
            SYSTEM.username,
            at=at,
            expected_version=state.version,
            note="deadline sweep",
        )
    except ConcurrencyConflict:
        return [state]
    except EngineError as e:
        report.failed.append({"case_id": state.id, "action": "escalate", "error": str(e)})
        return []
    report.escalated.append(state.id)
    return []


RESTARTS = 3


def _notify(
    service: CaseService, notices: list[_Notice], now: datetime, report: SweepReport
) -> list[CaseState]:
    """One transaction: claim the marks; queue the messages of the marks this sweep won.
    Only for the cases still at the version the sweep planned on; the others are returned, to
    be planned again: a reminder of a stage the case has left, or to a handler it no longer
    has, is not queued."""
    with service.db.transaction() as s:
        planned = {n.state.id: n.state for n in notices}
        stale = _changed(s, {k: v.version for k, v in planned.items()})
        notices = [n for n in notices if n.state.id not in stale]
        won = _claim(s, notices, now) if notices else set()
        outbox = []
        for n in notices:
            if (n.state.id, n.key, n.action.mark) not in won:
                continue  # another sweep did it since we looked
            outbox += [_message(n.state, n.action, user, now, n.handler) for user in n.to]
            report.messages += len(n.to)
            report.note(
                "reminded" if n.action.kind == "remind" else "supervisor_notified", n.state.id
            )
        repo.add_outbox(s, outbox)
    return [planned[case_id] for case_id in sorted(stale)]


def _changed(s: Session, planned: dict[str, int]) -> set[str]:
    """The cases of `planned` (id: version) whose version moved since the sweep read them.

    Not locked: an officer's step committing after this read is ordered after the sweep's
    transaction (it reads nothing the sweep writes), as if it came once the sweep was done;
    the dispatcher then finds those messages lapsed. Locking the batch's rows would risk a
    deadlock with a command that holds one case and reaches for another (a duplicate's)."""
    c = repo.CASES.c
    q = sa.select(c.id, c.version).where(c.id.in_(sorted(planned)))
    current = {r.id: r.version for r in s.execute(q)}
    return {case_id for case_id, version in planned.items() if current.get(case_id) != version}


def _recorded_marks(
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


def _basis(policy: Any, s: Session) -> str:
    """What a quiet case was judged under: the deadline policy and the calendar overrides.
    Changing either makes every quiet row stale at once (they no longer match)."""
    overrides = sorted((str(r.day), bool(r.working)) for r in repo.calendar_overrides(s))
    return hashlib.sha256(repr((policy, overrides)).encode()).hexdigest()[:16]


def _settle(service: CaseService, quiet: list[dict[str, Any]], now: datetime) -> None:
    """Record the quiet cases (replacing what an earlier sweep recorded for them) and forget
    quiet rows that ended more than a day ago (closed cases leave theirs behind)."""
    if not quiet:
        return
    insert = pg_insert if service.db.dialect == "postgresql" else sqlite_insert
    stmt = insert(QUIET)
    upsert = stmt.on_conflict_do_update(
        index_elements=[QUIET.c.case_id],
        set_={k: stmt.excluded[k] for k in ("version", "basis", "until")},
    )
    for i in range(0, len(quiet), BATCH):
        with service.db.transaction() as s:
            s.execute(upsert, quiet[i : i + BATCH])
    with service.db.transaction() as s:
        s.execute(sa.delete(QUIET).where(QUIET.c.until < now - timedelta(days=1)))


def _claim(s: Session, notices: list[_Notice], now: datetime) -> set[tuple[str, str, str]]:
    """Record the marks; return those this call recorded (a mark already there, put there by a
    sweep running at the same time, is skipped and not returned)."""
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(MARKS)
        .on_conflict_do_nothing()
        .returning(MARKS.c.case_id, MARKS.c.stage_key, MARKS.c.mark)
    )
    rows = [
        {"case_id": n.state.id, "stage_key": n.key, "mark": n.action.mark, "created_at": now}
        for n in notices
    ]
    unique = list({(r["case_id"], r["stage_key"], r["mark"]): r for r in rows}.values())
    return {(r.case_id, r.stage_key, r.mark) for r in s.execute(stmt, unique)}


def _message(
    state: CaseState,
    action: Action,
    user: str,
    now: datetime,
    handler: tuple[str | None, str | None] = (None, None),
) -> dict[str, Any]:
    name, unable = handler
    extra = {**action.extra, "handler": name, **({"handler_unable": unable} if unable else {})}
    return {
        "case_id": state.id,
        "event_version": state.version,
        "event_type": SWEEP_EVENT,
        "template": action.template,
        "recipient": f"user:{user}",
        "payload": {"language": "id", "extra": extra},
        "status": "pending",
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
    }
