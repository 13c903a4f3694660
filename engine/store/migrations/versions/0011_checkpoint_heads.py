"""audit_checkpoint_heads: the case heads each checkpoint sealed, so verify can name the case

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A checkpoint stored one digest over all case heads: a mismatch said that history sealed
    # before it had changed, not in which case. The heads it seals are now kept (only those
    # changed since the checkpoint before; the first checkpoint after this migration keeps
    # them all), so a mismatch names the cases.
    op.create_table(
        "audit_checkpoint_heads",
        sa.Column("checkpoint_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint("checkpoint_id", "case_id"),
    )


def downgrade() -> None:
    op.drop_table("audit_checkpoint_heads")
