"""worklist indexes: the due index carries the case id (pages read in index order), and
(status, region) serves an office's worklist and its count

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # (status, stage_due) left ties on stage_due to a sort of every matching row; with the id
    # as the last column a page of 50 (and the keyset cursor after it) is read straight from
    # the index.
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_open_stage_due")
        batch_op.create_index("ix_cases_open_stage_due", ["status", "stage_due", "id"])
        # an office sees the open cases of its region: equality on status, a range of region
        batch_op.create_index("ix_cases_status_region", ["status", "region"])


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_status_region")
        batch_op.drop_index("ix_cases_open_stage_due")
        batch_op.create_index("ix_cases_open_stage_due", ["status", "stage_due"])
