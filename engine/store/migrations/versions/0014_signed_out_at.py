"""users.signed_out_at: signing out ends the account's tokens and page sessions issued before it

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

import engine.store.tables

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Signing out only deleted the browser's cookies: a copy of the session cookie kept working
    # for its 8 hours. NULL (every account at the upgrade): never signed out since.
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "signed_out_at",
                engine.store.tables.UTCDateTime(timezone=True),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("signed_out_at")
