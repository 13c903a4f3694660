"""users(lower(username)) index: a sign-in finds the account whose name differs only in case,
and a new account is refused when its name differs from another's only in case

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not unique: stores made before add_user refused such twins may hold "Budi" and "budi";
    # both stay, and only the name typed exactly signs in to either (api.admin.sign_in_account).
    op.create_index("ix_users_username_lower", "users", [sa.text("lower(username)")])


def downgrade() -> None:
    op.drop_index("ix_users_username_lower", table_name="users")
