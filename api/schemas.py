"""Request and response models of the HTTP API (one family per resource)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from engine.service import NOTE_MAX
from workflows.complaint_codes import CHANNELS, LEVELS, REPORTER_KINDS, TYPES

ComplaintType = Literal[TYPES]  # type: ignore[valid-type]
Channel = Literal[CHANNELS]  # type: ignore[valid-type]
Level = Literal[LEVELS]  # type: ignore[valid-type]
ReporterKind = Literal[REPORTER_KINDS]  # type: ignore[valid-type]
Scalar = Annotated[str, StringConstraints(max_length=4000)] | int | bool | None
DataKey = Annotated[str, StringConstraints(min_length=1, max_length=60)]


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class ComplaintCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: ComplaintType
    channel: Channel
    level: Level
    region: str = Field(min_length=2, max_length=13, description="Kemendagri code, e.g. 3271")
    summary: str = Field(min_length=1, max_length=4000)
    received_at: datetime | None = Field(None, description="ISO datetime with offset")
    reporter_name: str | None = Field(None, max_length=200)
    reporter_contact: str | None = Field(None, max_length=200)
    reporter_kind: ReporterKind = "kpm"
    anonymous: bool = False
    confidential: bool = False
    form: Literal["C-1", "C-2"] | None = None
    accused: str | None = Field(None, max_length=100)
    household: str | None = Field(None, max_length=40, description="KPM case it concerns")
    about_self: bool = False
    note: str | None = Field(None, max_length=NOTE_MAX)


class EventCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    event: str = Field(min_length=1, max_length=60)
    data: dict[DataKey, Scalar] = Field(default_factory=dict, max_length=30)
    note: str | None = Field(None, max_length=NOTE_MAX)
    at: datetime | None = Field(None, description="when it happened (ISO, offset); default now")


class CaseOut(BaseModel):
    id: str
    workflow: str
    workflow_version: int
    level: str | None
    state: str
    stage: str | None
    status: str
    region: str
    zone: str
    stage_due: str | None
    level_due: str | None
    stage_due_at: str | None
    level_due_at: str | None
    handler: str | None
    version: int
    allowed_events: list[str]
    created_at: str | None
    updated_at: str | None
    closed_at: str | None
    attrs: dict[str, Any]


class ReplayOut(CaseOut):
    as_of: str = Field(description="the moment replayed to, in UTC")
    basis: Literal["recorded", "occurred"]
    current: bool = Field(
        description="the moment is now or later: this is the case as it stands now"
    )


class CasePage(BaseModel):
    items: list[CaseOut]
    total: int = Field(description="matching cases, counted up to 10,000")
    total_capped: bool = Field(
        False, description="true: more than `total` cases match (the count stops at 10,000)"
    )
    next_cursor: str | None = None
    unreadable: list[str] = Field(
        default_factory=list,
        description="cases of this page whose stored row cannot be read (altered outside "
        "pkh: `pkh audit verify` names the column); left out of `items` until repaired",
    )


class EventOut(BaseModel):
    version: int
    type: str
    trigger: str
    actor: str
    role: str
    occurred_at: str
    recorded_at: str
    data: dict[str, Any]
    changes: dict[str, Any]
    note: str | None
    hash: str


class Problem(BaseModel):
    error: str
    message: str
