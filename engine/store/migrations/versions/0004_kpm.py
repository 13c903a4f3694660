"""kpm register lookups: households by no_kk, members by NIK, participant-code counters

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kpm_households",
        sa.Column("no_kk", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("case_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("kode_peserta", sqlmodel.sql.sqltypes.AutoString(length=13), nullable=False),
        sa.Column("region", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.PrimaryKeyConstraint("no_kk"),
        sa.UniqueConstraint("case_id", name="uq_kpm_households_case"),
        sa.UniqueConstraint("kode_peserta", name="uq_kpm_households_kode_peserta"),
    )
    op.create_table(
        "kpm_members",
        sa.Column("nik", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("case_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("member_no", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.PrimaryKeyConstraint("nik"),
    )
    with op.batch_alter_table("kpm_members", schema=None) as batch_op:
        batch_op.create_index("ix_kpm_members_case", ["case_id"], unique=False)
    op.create_table(
        "kpm_counters",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("kpm_counters")
    with op.batch_alter_table("kpm_members", schema=None) as batch_op:
        batch_op.drop_index("ix_kpm_members_case")
    op.drop_table("kpm_members")
    op.drop_table("kpm_households")
