"""Lookup tables of the KPM register: households by no_kk, members by NIK, participant numbers.

They are indexes over the KPM cases' events (a household's members live in its case's `attrs`),
written in the same transaction as those events, so a NIK is used by one household only and a
rerun of an import finds what it already recorded. `workflows.kpm_store.rebuild_index` rebuilds
them from the cases.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class KpmHouseholdRow(SQLModel, table=True):
    __tablename__ = "kpm_households"
    __table_args__ = (
        sa.UniqueConstraint("case_id", name="uq_kpm_households_case"),
        sa.UniqueConstraint("kode_peserta", name="uq_kpm_households_kode_peserta"),
    )

    no_kk: str = Field(primary_key=True, max_length=16)
    case_id: str = Field(max_length=40)
    kode_peserta: str = Field(max_length=13)
    region: str = Field(max_length=10)


class KpmMemberRow(SQLModel, table=True):
    __tablename__ = "kpm_members"
    __table_args__ = (sa.Index("ix_kpm_members_case", "case_id"),)

    nik: str = Field(primary_key=True, max_length=16)
    case_id: str = Field(max_length=40)
    member_no: str = Field(max_length=2)


class KpmCounterRow(SQLModel, table=True):
    """The sequence part of participant codes, per kecamatan and year (e.g. '32710126')."""

    __tablename__ = "kpm_counters"

    key: str = Field(primary_key=True, max_length=8)
    last: int = 0


HOUSEHOLDS = KpmHouseholdRow.__table__  # type: ignore[attr-defined]
MEMBERS = KpmMemberRow.__table__  # type: ignore[attr-defined]
COUNTERS = KpmCounterRow.__table__  # type: ignore[attr-defined]
