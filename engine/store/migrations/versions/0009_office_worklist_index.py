"""an office's worklist index carries the deadline and the id: its page is chosen inside the
index and only the 50 rows shown are read

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # With (status, region) the page of a kabupaten officer sorted every open case of the
    # kabupaten, whole rows, by deadline (2,200 cases: 3 ms). With the deadline and the id in
    # the index the sort is of small index entries and the rows are read for the page only.
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_status_region_due", ["status", "region", "stage_due", "id"])
        batch_op.drop_index("ix_cases_status_region")


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_status_region", ["status", "region"])
        batch_op.drop_index("ix_cases_status_region_due")
