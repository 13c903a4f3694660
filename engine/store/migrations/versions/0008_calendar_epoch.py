"""calendar_epoch: a token that changes with every change to calendar_overrides

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Triggers, not application code, change the token: an override written by any path (the API,
# the CLI, a restore, an operator's SQL) makes every process rebuild its calendar.
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER calendar_overrides_{what.lower()} AFTER {what} ON calendar_overrides "
    "BEGIN UPDATE calendar_epoch SET token = lower(hex(randomblob(16))) WHERE id = 1; END"
    for what in ("INSERT", "UPDATE", "DELETE")
]
POSTGRES_FUNCTION = """
CREATE FUNCTION pkh_calendar_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE calendar_epoch SET token = md5(random()::text || clock_timestamp()::text)
    WHERE id = 1;
    RETURN NULL;
END $$
"""
POSTGRES_TRIGGER = (
    "CREATE TRIGGER calendar_overrides_changed "
    "AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON calendar_overrides "
    "FOR EACH STATEMENT EXECUTE FUNCTION pkh_calendar_changed()"
)


def upgrade() -> None:
    op.create_table(
        "calendar_epoch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "INSERT INTO calendar_epoch (id, token) "
            "VALUES (1, md5(random()::text || clock_timestamp()::text))"
        )
        op.execute(POSTGRES_FUNCTION)
        op.execute(POSTGRES_TRIGGER)
    else:
        op.execute("INSERT INTO calendar_epoch (id, token) VALUES (1, lower(hex(randomblob(16))))")
        for sql in SQLITE_TRIGGERS:
            op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER calendar_overrides_changed ON calendar_overrides")
        op.execute("DROP FUNCTION pkh_calendar_changed()")
    else:
        for what in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER calendar_overrides_{what}")
    op.drop_table("calendar_epoch")
