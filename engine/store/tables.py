"""SQLModel tables: the append-only event log, case projection, outbox and reference data."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Stores instants in UTC and always hands back aware datetimes, on SQLite too."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: every instant must carry its zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value

    # On SQLite the two steps (this decorator's, then SQLAlchemy's text conversion) are done in
    # one, with the C datetime methods: the same text as SQLAlchemy's storage format
    # ("YYYY-MM-DD HH:MM:SS.ffffff", tests/unit/test_utc_datetime.py), at ~60% of the cost. A
    # command binds ~9 instants and loads ~7; the sweep and verify read hundreds of thousands.
    def bind_processor(self, dialect: Any) -> Any:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def process(value: datetime | None) -> str | None:
            if value is None:
                return None
            if value.tzinfo is None:
                raise ValueError(f"naive datetime {value!r}: every instant must carry its zone")
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")

        return process

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        def process(value: str | None) -> datetime | None:
            if value is None:
                return None
            try:  # the stored text is UTC without an offset: parsed with one, in one C call
                return datetime.fromisoformat(value + "+00:00")  # (6x faster than .replace)
            except ValueError:  # text written with an offset of its own
                parsed = datetime.fromisoformat(value)
                return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed

        return process


JsonType = sa.JSON().with_variant(JSONB(), "postgresql")


class EncodedJson:
    """A JSON column's value already encoded by the caller (an event's payload in canonical
    form: the text that was hashed), stored as it is instead of being encoded again. Only the
    engines of `engine.store.db` know it (`json_serializer`); any other serializer refuses it
    (json.dumps: "not JSON serializable"), so it is never stored as a quoted string."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"EncodedJson({self.text!r})"


def json_serializer(value: Any) -> str:
    """The engines' JSON encoder: SQLAlchemy's default (json.dumps) for every value but an
    `EncodedJson`, whose text is stored as given."""
    if type(value) is EncodedJson:
        return value.text
    return json.dumps(value)


def _ts(**kw: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kw)


class CaseEventRow(SQLModel, table=True):
    __tablename__ = "case_events"
    __table_args__ = (sa.UniqueConstraint("case_id", "version", name="uq_case_events_version"),)

    id: int | None = Field(default=None, primary_key=True)  # global order, used by checkpoints
    case_id: str = Field(max_length=40)
    version: int
    event_type: str = Field(max_length=60)
    payload: dict[str, Any] = Field(sa_type=JsonType)
    workflow: str = Field(max_length=40)
    workflow_version: int
    actor: str = Field(max_length=80)
    role: str = Field(max_length=40)
    occurred_at: datetime = _ts()
    recorded_at: datetime = _ts()
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class CaseRow(SQLModel, table=True):
    __tablename__ = "cases"
    __table_args__ = (
        sa.Index("ix_cases_open_stage_due", "status", "stage_due", "id"),
        sa.Index("ix_cases_open_level_due", "status", "level_due"),
        sa.Index("ix_cases_workflow_state", "workflow", "state"),
        sa.Index("ix_cases_region", "region"),
        sa.Index("ix_cases_status_region_due", "status", "region", "stage_due", "id"),
        sa.Index("ix_cases_handler", "handler"),
        sa.Index("ix_cases_subject", "subject", "workflow"),
    )

    id: str = Field(primary_key=True, max_length=40)
    workflow: str = Field(max_length=40)
    workflow_version: int
    version: int
    state: str = Field(max_length=60)
    status: str = Field(max_length=10)
    level: str | None = Field(default=None, max_length=30)
    stage: str | None = Field(default=None, max_length=30)
    region: str = Field(max_length=10)
    zone: str = Field(max_length=20)
    handler: str | None = Field(default=None, max_length=80)
    stage_started_at: datetime | None = _ts(default=None)
    stage_due: datetime | None = _ts(default=None)
    level_started_at: datetime | None = _ts(default=None)
    level_due: datetime | None = _ts(default=None)
    created_at: datetime | None = _ts(default=None)
    closed_at: datetime | None = _ts(default=None)
    updated_at: datetime | None = _ts(default=None)
    case_type: str | None = Field(default=None, max_length=40)
    subject: str | None = Field(default=None, max_length=100)  # who the case is about
    summary: str | None = Field(default=None)
    attrs: dict[str, Any] = Field(default_factory=dict, sa_type=JsonType)


class OutboxRow(SQLModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = (
        sa.Index("ix_outbox_due", "status", "next_attempt_at"),
        # a case's messages: the copies of a lapsed reminder (notifications.dispatch.copy_sent)
        sa.Index("ix_outbox_case", "case_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(max_length=40)
    event_version: int
    event_type: str = Field(max_length=60)
    template: str = Field(max_length=60)
    recipient: str = Field(max_length=40)  # reporter | handler | supervisor | ...
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JsonType)
    status: str = Field(default="pending", max_length=12)  # pending|sent|print|printed|dead|skipped
    attempts: int = 0
    created_at: datetime = _ts()
    next_attempt_at: datetime | None = _ts(default=None)
    channel: str | None = Field(default=None, max_length=20)
    address: str | None = Field(default=None, max_length=200)
    sent_at: datetime | None = _ts(default=None)
    last_error: str | None = None


class UserRow(SQLModel, table=True):
    __tablename__ = "users"
    # the officers of an office (repository.office_officers): by role, then region; an
    # account by its name in any case (api.admin.sign_in_account; migration 0016)
    __table_args__ = (
        sa.Index("ix_users_role_region", "role", "region"),
        sa.Index("ix_users_username_lower", sa.text("lower(username)")),
    )

    username: str = Field(primary_key=True, max_length=80)
    role: str = Field(max_length=30)
    region: str | None = Field(default=None, max_length=10)
    full_name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=200)
    password_hash: str | None = None
    active: bool = True
    suspended: bool = False
    created_at: datetime = _ts()
    # when the password was last set (migration 0013; None: not since): the tokens and page
    # sessions issued before it are refused (engine.store.credentials)
    password_changed_at: datetime | None = _ts(default=None)
    # when the account last signed out (migration 0014; None: never since): its tokens and
    # page sessions issued before it are refused, so a copied session cookie ends with it
    signed_out_at: datetime | None = _ts(default=None)


class CalendarOverrideRow(SQLModel, table=True):
    __tablename__ = "calendar_overrides"

    day: date = Field(primary_key=True)
    working: bool  # False: a day off added by decree; True: a holiday taken back
    name: str = Field(max_length=200)
    decree: str | None = Field(default=None, max_length=200)
    created_by: str = Field(max_length=80)
    created_at: datetime = _ts()


class CalendarEpochRow(SQLModel, table=True):
    """One row whose token changes (database triggers, migration 0008) whenever
    calendar_overrides changes, whoever changes it: a process keeps its working calendar while
    the token it read with the actor's row is the one it built the calendar under, instead of
    reading every override for every command (bench transitions_sqlite)."""

    __tablename__ = "calendar_epoch"

    id: int = Field(primary_key=True)  # always 1
    token: str = Field(max_length=40)


class CaseCounterRow(SQLModel, table=True):
    """Gapless case numbers per prefix and year: a gap means a case was removed."""

    __tablename__ = "case_counters"

    key: str = Field(primary_key=True, max_length=20)
    last: int = 0


class AuditCheckpointRow(SQLModel, table=True):
    __tablename__ = "audit_checkpoints"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = _ts()
    last_event_id: int
    event_count: int
    case_count: int
    heads_digest: str = Field(max_length=64)
    prev_digest: str = Field(max_length=64)
    digest: str = Field(max_length=64)


class AuditCheckpointHeadRow(SQLModel, table=True):
    """A case head (its last event's version and hash) a checkpoint sealed, recorded only where
    it changed since the checkpoint before (the first checkpoint to record heads records them
    all): the heads sealed by checkpoint k are each case's latest row at or before k. They let
    verify name the case whose sealed history changed; the checkpoint's `heads_digest` vouches
    for them (rows altered or removed no longer add up to it)."""

    __tablename__ = "audit_checkpoint_heads"
    __table_args__ = (sa.Index("ix_audit_checkpoint_heads_case", "case_id", "checkpoint_id"),)

    checkpoint_id: int = Field(primary_key=True)
    case_id: str = Field(primary_key=True, max_length=40)
    version: int
    hash: str = Field(max_length=64)


class AuditRunRow(SQLModel, table=True):
    """One whole-store audit verification (engine.store.audit_runs): who asked, how far it got
    and what it found. At most one row is `running` at a time (a partial unique index); a
    running row whose `updated_at` (its heartbeat) is old belongs to a process that died."""

    __tablename__ = "audit_runs"
    __table_args__ = (
        sa.Index(
            "ux_audit_runs_running",
            "status",
            unique=True,
            sqlite_where=sa.text("status = 'running'"),
            postgresql_where=sa.text("status = 'running'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(max_length=12)  # running, ok, failed, error, interrupted
    started_by: str = Field(max_length=80)
    started_at: datetime = _ts()
    updated_at: datetime = _ts()
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    events_total: int = 0
    events_done: int = 0
    cases: int = 0
    checkpoints: int = 0
    problem_count: int = 0
    problems: list[dict[str, Any]] = Field(default_factory=list, sa_type=JsonType)  # the first
    error: str | None = Field(default=None, max_length=500)


class IdempotencyRow(SQLModel, table=True):
    """A command's first response, kept so a retried request records nothing twice."""

    __tablename__ = "idempotency_keys"

    username: str = Field(primary_key=True, max_length=80)
    key: str = Field(primary_key=True, max_length=200)
    fingerprint: str = Field(max_length=64)
    case_id: str = Field(max_length=40)
    version: int
    status_code: int
    response: dict[str, Any] = Field(default_factory=dict, sa_type=JsonType)
    created_at: datetime = _ts()


class SweepMarkRow(SQLModel, table=True):
    """What the deadline sweep already did for a stage instance, so it does it only once."""

    __tablename__ = "sweep_marks"

    case_id: str = Field(primary_key=True, max_length=40)
    stage_key: str = Field(primary_key=True, max_length=120)
    mark: str = Field(primary_key=True, max_length=40)
    created_at: datetime = _ts()


class SweepQuietRow(SQLModel, table=True):
    """A case the sweep has handled, at this version, with nothing new to ask of it until
    `until` (engine.sweep.quiet_until), under this deadline policy and calendar (`basis`).
    Only a shortcut: the sweep leaves such a case out of its candidates; the marks still make
    every message happen once."""

    __tablename__ = "sweep_quiet"
    __table_args__ = (sa.Index("ix_sweep_quiet_until", "until"),)

    case_id: str = Field(primary_key=True, max_length=40)
    version: int
    basis: str = Field(max_length=16)
    until: datetime = _ts()


class StaffRow(SQLModel, table=True):
    """PKH human resources (SDM): pendamping, asisten, operators, coordinators, supervisors.

    Their status (active, suspended, dismissed) is not stored: it follows from their KKN and
    discipline cases, so it is always what the event log says.
    """

    __tablename__ = "staff"

    name: str = Field(primary_key=True, max_length=100)
    position: str = Field(max_length=30)
    region: str = Field(max_length=10)
    username: str | None = Field(default=None, max_length=80, index=True)
    created_at: datetime = _ts()


class SignInFailureRow(SQLModel, table=True):
    """A failed sign-in (api.throttle), kept for the throttle's window in the database so that
    every API process (each uvicorn worker, each machine) counts the same failures. `username`
    is the name as typed, lower-cased; "" counts the address's failures for any name. A sign-in
    whose password is still being checked has its rows already: counted first, they are
    deleted if the password was right."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (
        sa.Index("ix_sign_in_failures_key", "address", "username", "failed_at"),
        sa.Index("ix_sign_in_failures_at", "failed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    address: str = Field(max_length=100)  # an IPv4 address or an IPv6 /64 (api.throttle)
    username: str = Field(max_length=80)
    failed_at: datetime = _ts()
