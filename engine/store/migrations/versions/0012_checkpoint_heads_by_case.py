"""audit_checkpoint_heads by case: the per-case verify reads one case's sealed heads

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-24
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # `pkh audit verify` of one case (the auditor's page, GET /cases/{id}/verify) checks the
    # case against what each checkpoint sealed of it: its recorded heads, by case.
    op.create_index(
        "ix_audit_checkpoint_heads_case",
        "audit_checkpoint_heads",
        ["case_id", "checkpoint_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_audit_checkpoint_heads_case", table_name="audit_checkpoint_heads")
