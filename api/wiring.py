"""The one wiring place: settings -> database, workflows, calendar, service."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from api.throttle import SignInThrottle, StoredFailures
from engine.calendar import WorkingCalendar
from engine.service import CalendarDay, CaseService, utcnow
from engine.settings import Settings, get_settings
from engine.store.db import Database
from workflows import Registry, default_registry
from workflows.complaint_store import REACTIONS as COMPLAINT_REACTIONS
from workflows.complaint_store import complaint_facts
from workflows.indonesia import Override, build_calendar
from workflows.kpm_store import kpm_facts, kpm_index
from workflows.roles import WORKFLOW_READERS
from workflows.staff import REACTIONS as STAFF_REACTIONS
from workflows.staff import register as staff_register
from workflows.staff import staff_facts


@dataclass
class App:
    settings: Settings
    db: Database
    registry: Registry
    service: CaseService
    # failed sign-ins per client address (api.throttle): build_app keeps them in the database,
    # shared by every API process
    sign_ins: SignInThrottle = field(default_factory=SignInThrottle)


def calendar_factory(settings: Settings) -> Callable[[Sequence[CalendarDay]], WorkingCalendar]:
    def factory(days: Sequence[CalendarDay]) -> WorkingCalendar:
        return build_calendar(
            [Override(d.day, d.working, d.name) for d in days],
            settings.calendar_first_year,
            settings.calendar_last_year,
        )

    return factory


def build_app(settings: Settings | None = None, *, clock: Callable[[], datetime] = utcnow) -> App:
    settings = settings or get_settings()
    settings.check()
    db = Database(settings.database_url)
    registry = default_registry(
        ketua_kelompok_days=settings.ketua_kelompok_days, pendamping_days=settings.pendamping_days
    )
    service = CaseService(
        db,
        registry,
        calendar_factory(settings),
        clock=clock,
        max_backdate=timedelta(days=settings.max_backdate_days),
        facts_provider=staff_facts,
        reactions={
            k: [*STAFF_REACTIONS.get(k, ()), *COMPLAINT_REACTIONS.get(k, ())]
            for k in STAFF_REACTIONS.keys() | COMPLAINT_REACTIONS.keys()
        },
        workflow_facts={"kpm": kpm_facts, "complaint": complaint_facts},
        projectors={"kpm": [kpm_index]},
        readers=WORKFLOW_READERS,
        staff_register=staff_register,
    )
    return App(settings, db, registry, service, SignInThrottle(store=StoredFailures(db)))
