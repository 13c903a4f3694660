"""sweep_quiet: cases the sweep has handled and can leave out until a moment

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import engine.store.tables

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A sweep with nothing new to do read and planned every due case again (4.4 s at 50,000
    # due: bench sweep_idle); with this table it skips the cases already handled.
    op.create_table(
        "sweep_quiet",
        sa.Column("case_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("basis", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("until", engine.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
    )
    with op.batch_alter_table("sweep_quiet", schema=None) as batch_op:
        batch_op.create_index("ix_sweep_quiet_until", ["until"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sweep_quiet", schema=None) as batch_op:
        batch_op.drop_index("ix_sweep_quiet_until")
    op.drop_table("sweep_quiet")
