"""users(role, region) index: the officers of an office are found without reading every account

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-24
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A forwarded complaint tells the officers of the receiving office: with 110,000 accounts
    # (most of them ketua kelompok) that read every account, 11-18 ms per escalation.
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index("ix_users_role_region", ["role", "region"])


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_role_region")
