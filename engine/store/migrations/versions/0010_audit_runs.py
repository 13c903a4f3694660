"""audit_runs: whole-store verifications run in the background, with their progress and result

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

import engine.store.tables

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # GET /audit/verify verified the whole store inside the request (70 s at 1M events, minutes
    # at national scale, holding an API thread): a run is now started, runs in the background,
    # and is read back here.
    op.create_table(
        "audit_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("started_by", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("started_at", engine.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", engine.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", engine.store.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("events_total", sa.Integer(), nullable=False),
        sa.Column("events_done", sa.Integer(), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("checkpoints", sa.Integer(), nullable=False),
        sa.Column("problem_count", sa.Integer(), nullable=False),
        sa.Column(
            "problems",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ux_audit_runs_running",
        "audit_runs",
        ["status"],
        unique=True,
        sqlite_where=sa.text("status = 'running'"),
        postgresql_where=sa.text("status = 'running'"),
    )


def downgrade() -> None:
    op.drop_index("ux_audit_runs_running", table_name="audit_runs")
    op.drop_table("audit_runs")
