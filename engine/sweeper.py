"""Runs the deadline sweep over the store: find due cases by index, plan, act once, report.

Reminders and supervisor notices become outbox rows, written with the sweep mark that makes them
happen once, in transactions of up to BATCH cases. Escalations are commands by the `system` actor.
What it reads is in engine.store.sweep_source, what it does to a case in engine.sweep_actions,
its plan for one case in engine.sweep (pure), its report in engine.sweep_report.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from engine.errors import InvalidInput
from engine.machine import CLOCK_SKEW
from engine.service import CaseService
from engine.state import CaseState, name_key
from engine.store import repository as repo
from engine.store.sweep_source import (
    QUIET,
    Offices,
    Quiet,
    candidates,
    legacy_marks,
    quiet_basis,
    read_states,
    recorded_marks,
)
from engine.sweep import Action, plan, quiet_until, stage_key
from engine.sweep_actions import Notice, escalate, notify
from engine.sweep_report import SweepReport

BATCH = 500
RESTARTS = 3


def _horizon(now: datetime, days: int, service: CaseService) -> datetime:
    """Every stage due within `days` working days of today in any zone is due before this."""
    cal = service.calendar()
    start = now.astimezone(UTC).date() - timedelta(days=1)
    last = cal.add_working_days(start, days + 2)
    return datetime.combine(last, time(23, 59, 59), tzinfo=UTC)


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
            quiet = Quiet(now, quiet_basis(definition.deadline_policy, s))
            found = candidates(s, name, horizon, province, quiet)
            done = recorded_marks(s, name, horizon, province, quiet) if found else set()
            legacy = legacy_marks(s, name, horizon, province, quiet) if found else {}
            offices = Offices(s, service.staff_register(s)) if found else None
        report.examined += len(found)
        if found:
            assert offices is not None
            _Pass(service, definition, now, quiet, offices, done, report, legacy).run(found)
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
        legacy: dict[tuple[str, str], list[tuple[str, datetime]]] | None = None,
    ) -> None:
        self.service, self.now, self.quiet = service, now, quiet
        self.offices, self.done, self.report = offices, done, report
        self.legacy = legacy or {}
        self.policy = definition.deadline_policy
        self.levels = list(definition.levels)
        self.cal = service.calendar()

    def run(self, found: list[CaseState]) -> None:
        todo, again = found, []
        for attempt in range(RESTARTS + 1):
            notices: list[Notice] = []
            settled: list[dict[str, Any]] = []
            for state in todo:
                again += self._case(state, notices, settled, replanned=attempt > 0)
            for i in range(0, len(notices), BATCH):
                again += notify(self.service, notices[i : i + BATCH], self.now, self.report)
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
            fresh = read_states(s, repo.CASES.c.id.in_(ids))
        for gone in set(ids) - {c.id for c in fresh}:
            self.report.note("moved_on", gone)
        return fresh

    def _case(
        self,
        state: CaseState,
        notices: list[Notice],
        settled: list[dict[str, Any]],
        *,
        replanned: bool,
    ) -> list[CaseState]:
        """Plan one case: escalate it, or queue its notices and quiet row into `notices` and
        `settled`. Returns [state] when it changed before the escalation could be recorded."""
        actions = plan(state, self.policy, self.cal, self.now)
        if actions and actions[0].kind == "escalate":
            return escalate(
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
            if self._done(state, key, action):
                continue
            if action.kind == "remind":
                to = [handler] if handler else offices.officers(state.level, state.region, about)
            elif above is None:
                continue  # the top level has no supervisor to tell
            else:
                to = offices.officers(above, state.region, about)
            if to:
                notices.append(Notice(state, key, action, to, named))
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

    def _done(self, state: CaseState, key: str, action: Action) -> bool:
        """Whether this action's mark is recorded: as named now, or as an older version named
        a reminder mark without its deadline ("due_soon"), made by a sweep at a moment whose
        plan for the case as it is now asked for this very mark (so it was about this
        deadline, not one the stage had before an extension)."""
        if (state.id, key, action.mark) in self.done:
            return True
        bare = action.mark.partition(":")[0]
        return any(
            mark == bare and action.mark in {a.mark for a in plan(state, self.policy, self.cal, at)}
            for mark, at in self.legacy.get((state.id, key), ())
        )


def _workflows(service: CaseService) -> list[str]:
    names = getattr(service.workflows, "names", None)
    return list(names()) if callable(names) else []


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
