"""outbox(case_id) index: a case's messages are found without reading every message sent

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-25
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A "due soon" reminder that lapses undelivered looks for a copy of it that was sent
    # (notifications.dispatch.copy_sent): by status alone that read every message ever sent,
    # 90 ms a lapsed reminder with 480,000 sent, minutes for the reminders an outage lapses.
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_case", ["case_id"])


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_case")
