"""Administrative commands shared by the CLI and (later) the API: users, calendar overrides."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from pwdlib import PasswordHash

from engine.errors import InvalidInput, NotFound, NotPermitted
from engine.store.db import Database
from engine.store.tables import CalendarOverrideRow, UserRow
from workflows.roles import check_role_region

_hasher = PasswordHash.recommended()  # argon2


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise InvalidInput("password", "must be at least 8 characters")
    return _hasher.hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    return bool(hashed) and _hasher.verify(password, hashed)


def add_user(
    db: Database,
    username: str,
    role: str,
    region: str | None,
    *,
    now: datetime,
    password: str | None = None,
    full_name: str | None = None,
    email: str | None = None,
) -> UserRow:
    username = (username or "").strip()
    if (
        not username
        or len(username) > 80
        or not username.replace(".", "").replace("_", "").replace("-", "").isalnum()
    ):
        raise InvalidInput("username", "use 1-80 letters, digits, '.', '_' or '-'")
    if username == "system":
        raise InvalidInput("username", "'system' is reserved for automatic actions")
    role, region = check_role_region(role, region)
    hashed = hash_password(password) if password else None
    with db.transaction() as s:
        if s.get(UserRow, username) is not None:
            raise InvalidInput("username", f"user {username} already exists")
        row = UserRow(
            username=username,
            role=role,
            region=region,
            password_hash=hashed,
            full_name=full_name,
            email=email,
            created_at=now,
        )
        s.add(row)
        return row


def list_users(db: Database) -> list[UserRow]:
    with db.reading() as s:
        return list(s.execute(sa.select(UserRow).order_by(UserRow.username)).scalars())


def require_admin(db: Database, username: str) -> None:
    with db.reading() as s:
        row = s.get(UserRow, username)
    if row is None or not row.active:
        raise NotFound(f"unknown or inactive user: {username}")
    if row.role != "admin":
        raise NotPermitted(f"{username} is not an admin: only an admin edits the calendar")


def add_override(
    db: Database,
    day: date,
    *,
    working: bool,
    name: str,
    actor: str,
    now: datetime,
    decree: str | None = None,
) -> CalendarOverrideRow:
    require_admin(db, actor)
    if not name.strip():
        raise InvalidInput("name", "is required")
    if working and day.weekday() >= 5:
        # DOMAIN: working days exclude Saturdays and Sundays; a weekend override would be
        # stored and then change no deadline
        raise InvalidInput(
            "working",
            f"{day.isoformat()} is a {day.strftime('%A')}: Saturdays and Sundays are never "
            "working days, so only a weekday holiday can be made a working day",
        )
    with db.transaction() as s:
        row = s.get(CalendarOverrideRow, day)
        if row is None:
            row = CalendarOverrideRow(
                day=day,
                working=working,
                name=name.strip(),
                decree=decree,
                created_by=actor,
                created_at=now,
            )
            s.add(row)
        else:
            row.working, row.name, row.decree = working, name.strip(), decree
            row.created_by, row.created_at = actor, now
        return row


def remove_override(db: Database, day: date, *, actor: str) -> None:
    require_admin(db, actor)
    with db.transaction() as s:
        row = s.get(CalendarOverrideRow, day)
        if row is None:
            raise NotFound(f"no calendar override on {day.isoformat()}")
        s.delete(row)


def list_overrides(db: Database) -> list[CalendarOverrideRow]:
    with db.reading() as s:
        return list(
            s.execute(sa.select(CalendarOverrideRow).order_by(CalendarOverrideRow.day)).scalars()
        )
