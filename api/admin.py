"""Administrative commands shared by the CLI and the API: users, calendar overrides."""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import argon2
import sqlalchemy as sa
from pwdlib import PasswordHash
from pwdlib.exceptions import UnknownHashError
from sqlalchemy.orm import Session
from sqlmodel import col

from engine.calendar import CalendarRangeError, WorkingCalendar
from engine.errors import InvalidInput, NotFound, NotPermitted
from engine.store import recalc
from engine.store import repository as repo
from engine.store.db import Database
from engine.store.recalc import Calendars
from engine.store.tables import CalendarOverrideRow, UserRow
from notifications.channels import address_channel, sms_number
from workflows.roles import REGION_DIGITS, check_role_region

_hasher = PasswordHash.recommended()  # argon2
# There is no table of administrative actions: changes to accounts are told here, with who
# made them (an admin's username, or `cli:<OS user>` for the command line).
log = logging.getLogger("pkh.admin")
UNCHANGED: Any = object()  # `update_user`: a region not given (None clears it)


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise InvalidInput(
            "password", "must be at least 8 characters", message_id="minimal 8 karakter"
        )
    return _hasher.hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    if not hashed:  # an account with no password: it cannot sign in
        return False
    try:
        return _hasher.verify(password, hashed)
    except UnknownHashError:  # not a hash this system wrote (edited by hand, cut short)
        return False


_DUMMY_HASH: list[str] = []


def password_ok(row: UserRow | None, password: str) -> bool:
    """Checks a sign-in; an unknown user costs as much time as a known one."""
    if row is None or not row.active or not row.password_hash:
        if not _DUMMY_HASH:
            _DUMMY_HASH.append(hash_password(secrets.token_hex(16)))
        verify_password(password or "x", _DUMMY_HASH[0])
        return False
    if not _readable(row.password_hash):
        # not a hash this system wrote (edited by hand, cut short): refused, as a wrong one is
        log.error("user %s: the stored password hash is unreadable; set a new one", row.username)
    return verify_password(password, row.password_hash)


def _readable(hashed: str) -> bool:
    """Whether a stored hash is one this system can check a password against (pwdlib tells
    a hash by its prefix alone: a cut-short argon2 hash is only found out by parsing it)."""
    if not any(h.identify(hashed) for h in _hasher.hashers):
        return False
    try:
        argon2.extract_parameters(hashed)
    except argon2.exceptions.InvalidHashError:
        return False
    return True


def sign_in_account(s: Session, typed: str) -> UserRow | None:
    """The account a typed name means (a sign-in, an admin's `pkh user` command): the
    username as typed, else the one account whose name differs from it only in letter case (a
    phone's keyboard capitalises the first letter: "Kab.bogor"). Where two accounts differ
    only in case (made before `add_user` refused such names) neither is guessed: only the name
    typed exactly finds one."""
    typed = (typed or "").strip()
    if not typed or len(typed) > 80:
        return None
    row = s.get(UserRow, typed)
    if row is not None:
        return row
    names = repo.usernames_ignoring_case(s, typed, 2)
    return s.get(UserRow, names[0]) if len(names) == 1 else None


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
    password_required: bool = False,
) -> UserRow:
    """Add an account. Without a password it cannot sign in (it acts through `pkh ...
    --actor`); `password_required` refuses that (the API asks for `no_password` to say so)."""
    username = (username or "").strip()
    if (
        not username
        or len(username) > 80
        or not username.replace(".", "").replace("_", "").replace("-", "").isalnum()
    ):
        raise InvalidInput(
            "username",
            "use 1-80 letters, digits, '.', '_' or '-'",
            message_id="gunakan 1-80 huruf, angka, '.', '_' atau '-'",
        )
    if username.lower() == "system":  # in any case: "SYSTEM" would sign in as the engine's
        raise InvalidInput(
            "username",
            "'system' is reserved for automatic actions",
            message_id="'system' dicadangkan untuk tindakan otomatis",
        )
    role, region = check_role_region(role, region)
    email = officer_address(email)
    hashed = hash_password(password) if password else None
    with db.transaction() as s:
        repo.hold_username(s, username)
        if s.get(UserRow, username) is not None:
            raise InvalidInput(
                "username",
                f"user {username} already exists",
                message_id=f"pengguna {username} sudah ada",
            )
        twin = repo.usernames_ignoring_case(s, username, 1)
        if twin:
            # two names an officer cannot tell apart when signing in ("Budi", "budi")
            raise InvalidInput(
                "username",
                f"user {twin[0]} already exists: usernames must differ in more than letter case",
                message_id=f"pengguna {twin[0]} sudah ada: nama pengguna harus berbeda lebih "
                "dari sekadar huruf besar-kecil",
            )
        if password_required and not password:
            raise InvalidInput(
                "password",
                "is required (or no_password: true for an account that cannot sign in)",
                message_id="wajib diisi (atau no_password: true untuk akun yang tidak dapat masuk)",
            )
        row = UserRow(
            username=username,
            role=role,
            region=region,
            password_hash=hashed,
            full_name=full_name,
            email=email,
            created_at=now,
            # None when no password is set: nothing has been issued on one yet
            password_changed_at=now if hashed else None,
        )
        s.add(row)
        return row


def update_user(
    db: Database,
    username: str,
    *,
    actor: str,
    password: str | None = None,
    role: str | None = None,
    region: str | None = UNCHANGED,
    active: bool | None = None,
    now: datetime | None = None,
    email: str | None = UNCHANGED,
    full_name: str | None = UNCHANGED,
) -> tuple[UserRow, list[str]]:
    """Change an account: any of its password, role, region, whether it is active, and the
    address its reminders and notices go to (`email`: an e-mail address, or a mobile number
    for the SMS gateway) and its full name (None or "": none). Role and region are checked
    together as `add_user` checks them; a national role drops the region when none is given.
    The last active admin is never disabled or demoted, so someone can still administer
    through the API. A new password ends the account's tokens and page sessions issued before
    `now` (the clock's time; the system's when not given). Returns the row and what changed."""
    if (
        password is None
        and role is None
        and region is UNCHANGED
        and active is None
        and email is UNCHANGED
        and full_name is UNCHANGED
    ):
        raise InvalidInput(
            "body",
            "nothing to change: give password, role, region, active, email or full_name",
            message_id="tidak ada yang diubah: isi password, role, region, active, email atau "
            "full_name",
        )
    email, full_name = officer_address(email), _text_or_none(full_name, "full_name")
    hashed = hash_password(password) if password is not None else None
    with db.transaction() as s:
        found = sign_in_account(s, username)  # "Kab.Bekasi" typed "kab.bekasi" is that one
        if found is None:
            raise NotFound(f"unknown user: {username}")
        username = found.username
        # Lock this account and every active admin first, in one statement and in name order
        # (PostgreSQL; SQLite has one writer at a time): two changes of one account, or two
        # admins disabling each other, then run one after the other on what the first left,
        # without a deadlock, and the role/region check sees the row as it will be written.
        users = UserRow.__table__  # type: ignore[attr-defined]
        s.execute(
            sa.select(users.c.username)
            .where(
                sa.or_(
                    users.c.username == username,
                    sa.and_(users.c.role == "admin", users.c.active.is_(True)),
                )
            )
            .order_by(users.c.username)
            .with_for_update()
        ).all()
        row = s.get(UserRow, username, populate_existing=True)
        if row is None:
            raise NotFound(f"unknown user: {username}")
        new_role, new_region = row.role, row.region
        if role is not None or region is not UNCHANGED:
            new_role = role if role is not None else row.role
            if region is not UNCHANGED:
                new_region = region
            elif REGION_DIGITS.get((new_role or "").strip().lower(), 0) is None:
                new_region = None
            new_role, new_region = check_role_region(new_role, new_region)
        new_active = row.active if active is None else active
        if row.active and row.role == "admin" and not (new_active and new_role == "admin"):
            _keep_an_admin(s, username, "active" if not new_active else "role")
        changes = [
            f"{name} {old or '-'} -> {new or '-'}"
            for name, old, new in (("role", row.role, new_role), ("region", row.region, new_region))
            if old != new
        ]
        if new_active != row.active:
            changes.append("enabled" if new_active else "disabled")
        if hashed is not None:
            changes.append("password set")
        for name, old_value, new_value in (
            ("email", row.email, email),
            ("full name", row.full_name, full_name),
        ):
            if new_value is not UNCHANGED and new_value != old_value:
                changes.append(f"{name} {'set' if new_value else 'removed'}")
        if row.active and not new_active:
            # disabling ends what was issued before, as a sign-out does: enabled again later,
            # the account's old tokens and page sessions must not come back to life with it
            ended = now or datetime.now(UTC)
            if row.signed_out_at is None or row.signed_out_at < ended:
                row.signed_out_at = ended
        row.role, row.region, row.active = new_role, new_region, new_active
        if email is not UNCHANGED:
            row.email = email
        if full_name is not UNCHANGED:
            row.full_name = full_name
        if hashed is not None:
            row.password_hash = hashed
            row.password_changed_at = now or datetime.now(UTC)
    log.info("user %s changed by %s: %s", username, actor, "; ".join(changes) or "no change")
    return row, changes


# an e-mail address as the SMTP channel can send to: one @, no spaces or list separators, a
# dotted domain
EMAIL = re.compile(r"^[^@\s<>,;:\"]+@[^@\s<>,;:\"]+\.[A-Za-z0-9-]{2,}$")


def officer_address(value: Any) -> Any:
    """An account's address as stored (`_text_or_none`), refused unless reminders can reach
    it: an e-mail address or a mobile number for the SMS gateway. A typo ("budi@bogor",
    "budi.bogor.go.id") was kept and every reminder to the account dead-lettered later."""
    text = _text_or_none(value, "email")
    if text is UNCHANGED or text is None:
        return text
    channel = address_channel(text)
    # a mobile number as the gateway reads it: a landline ("0251-8321234") reads as a phone
    # number but no SMS reaches it
    if (channel == "sms" and sms_number(text)) or (channel == "email" and EMAIL.match(text)):
        return text
    raise InvalidInput(
        "email",
        f"{text!r} is neither an e-mail address (name@office.go.id) nor a mobile number "
        "(08..., +628...): reminders could not reach it",
        message_id=f"{text!r} bukan alamat e-mail (nama@kantor.go.id) maupun nomor ponsel "
        "(08..., +628...): pengingat tidak dapat dikirim ke sana",
    )


def _text_or_none(value: Any, field: str) -> Any:
    """A text setting as stored: stripped, None for none ("" clears it); UNCHANGED kept."""
    if value is UNCHANGED or value is None:
        return value
    text = str(value).strip()
    if len(text) > 200:
        raise InvalidInput(field, "at most 200 characters", message_id="paling banyak 200 karakter")
    return text or None


def sign_out(db: Database, username: str, now: datetime) -> None:
    """End every token and page session of `username` issued before `now` (the account's own
    sign-out: a copied session cookie ends with it). A later sign-out never moves it back."""
    users = UserRow.__table__  # type: ignore[attr-defined]
    with db.transaction() as s:
        s.execute(
            sa.update(users)
            .where(
                users.c.username == username,
                sa.or_(users.c.signed_out_at.is_(None), users.c.signed_out_at < now),
            )
            .values(signed_out_at=now)
        )
    log.info("user %s signed out", username)


def _keep_an_admin(s: Any, username: str, field: str) -> None:
    # the other active admins' rows are locked (PostgreSQL), so two admins disabling each
    # other at once cannot both pass; SQLite has one writer at a time anyway
    users = UserRow.__table__  # type: ignore[attr-defined]
    others = s.execute(
        sa.select(users.c.username)
        .where(users.c.role == "admin", users.c.active.is_(True), users.c.username != username)
        .with_for_update()
    ).all()
    if not others:
        raise InvalidInput(
            field,
            f"{username} is the last active admin: make another admin (or enable one) first",
            message_id=f"{username} adalah admin aktif terakhir: buat admin lain (atau aktifkan "
            "salah satunya) terlebih dahulu",
        )


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


@dataclass(frozen=True)
class OverrideChange:
    """A calendar override as stored after the change (None: removed), and how many open
    cases had their deadlines moved by it (engine.store.recalc), in the same transaction."""

    row: CalendarOverrideRow | None
    cases_moved: int
    # an override that makes its day what the calendar has it as without it (a listed holiday
    # made non-working, a weekday with nothing listed made working): kept, as a decree may
    # pin a day the package only estimates, but it changes no deadline; says so (English)
    note: str | None = None


def _months(state: Any, due_field: str) -> int:
    """A deadline's budget in calendar months (a referral's), 0 for working days: from the
    case's own workflow version, as the machine counted it."""
    from workflows import default_registry
    from workflows.complaint import deadline_months

    if state.workflow == "complaint" and deadline_months(state, due_field):
        return deadline_months(state, due_field)
    try:
        d = _registry(default_registry).get(state.workflow, state.workflow_version)
    except NotFound:
        return 0
    budgets = d.stage_budgets.get(state.state) if due_field == "stage_due" else None
    if due_field == "level_due":
        budgets = d.level_budgets.get(state.level or "")
    return budgets.months if budgets is not None else 0


_REGISTRY: list[Any] = []


def _registry(build: Any) -> Any:
    if not _REGISTRY:  # month budgets do not depend on the settings' day counts
        _REGISTRY.append(build())
    return _REGISTRY[0]


def _standard_calendars() -> Calendars:
    # the calendar the app builds (api.wiring), for callers that do not pass their app's
    from api.wiring import calendar_factory
    from engine.settings import get_settings

    return calendar_factory(get_settings())


def add_override(
    db: Database,
    day: date,
    *,
    working: bool,
    name: str,
    actor: str,
    now: datetime,
    decree: str | None = None,
    calendars: Calendars | None = None,
) -> OverrideChange:
    """Add (or replace) the override of `day`, and move the deadlines of the open cases the
    change affects, in one transaction (engine.store.recalc). `calendars` builds the working
    calendar from the overrides (the app's `calendar_factory`)."""
    require_admin(db, actor)
    if not name.strip():
        raise InvalidInput("name", "is required", message_id="wajib diisi")
    if day.weekday() >= 5:
        # DOMAIN: working days exclude Saturdays and Sundays; a weekend override, either way,
        # would be stored and then never change a deadline
        raise InvalidInput(
            "working",
            f"{day.isoformat()} is a {day.strftime('%A')}: Saturdays and Sundays are never "
            + (
                "working days, so only a weekday holiday can be made a working day"
                if working
                else "working days, so marking one non-working changes nothing; only a "
                "weekday can be made a non-working day"
            ),
            message_id=f"{day.isoformat()} jatuh pada hari {_HARI[day.weekday()]}: Sabtu dan "
            "Minggu tidak pernah menjadi hari kerja, "
            + (
                "jadi hanya hari libur pada hari kerja biasa yang dapat dijadikan hari kerja"
                if working
                else "jadi libur pada hari itu tidak mengubah apa pun; hanya hari Senin-Jumat "
                "yang dapat dijadikan hari libur"
            ),
        )
    calendars = calendars or _standard_calendars()
    with db.transaction() as s:
        recalc.lock_calendar(s)
        old = recalc.current_calendar(s, calendars)
        if not old.first <= day <= old.last:  # stored, it would change nothing ever counted
            raise InvalidInput(
                "date",
                f"{day.isoformat()} is outside the working calendar ({old.first.isoformat()} "
                f"to {old.last.isoformat()})",
                message_id=f"{day.isoformat()} di luar kalender kerja ({old.first.isoformat()} "
                f"s.d. {old.last.isoformat()})",
            )
        note = _changes_nothing(
            recalc.current_calendar(s, calendars, leaving_out=day), day, working
        )
        row = s.get(CalendarOverrideRow, day, populate_existing=True)
        change = "added"
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
            change = "changed"
            row.working, row.name, row.decree = working, name.strip(), decree
            row.created_by, row.created_at = actor, now
        s.flush()
        moved = recalc.recalculate(
            s,
            old,
            recalc.current_calendar(s, calendars),
            day,
            now=now,
            reason=_reason(day, change, working, name.strip(), decree, actor),
            months=_months,
        )
    log.info("calendar override %s %s by %s: %d open cases moved", day, change, actor, moved)
    return OverrideChange(row, moved, note)


_HARI = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")


def _changes_nothing(without: WorkingCalendar, day: date, working: bool) -> str | None:
    """What to tell the officer when the override makes `day` what it is already without it
    (None when it changes the day, or the day lies outside the calendar's years)."""
    try:
        already = without.is_working_day(day) == working
    except CalendarRangeError:
        return None
    if not already:
        return None
    if working:
        return (
            f"{day.isoformat()} is a working day already (no holiday or cuti bersama is listed "
            "that day): the override is kept and changes no deadline; check the date"
        )
    return (
        f"{day.isoformat()} is a non-working day already (a listed holiday or cuti bersama): "
        "the override is kept, so the day stays non-working if the listing changes, and "
        "changes no deadline now"
    )


def remove_override(
    db: Database,
    day: date,
    *,
    actor: str,
    now: datetime | None = None,
    calendars: Calendars | None = None,
) -> OverrideChange:
    """Remove the override of `day`, and move the deadlines it had moved (see add_override)."""
    require_admin(db, actor)
    calendars = calendars or _standard_calendars()
    with db.transaction() as s:
        recalc.lock_calendar(s)
        row = s.get(CalendarOverrideRow, day, populate_existing=True)
        if row is None:
            raise NotFound(f"no calendar override on {day.isoformat()}")
        old = recalc.current_calendar(s, calendars)
        reason = _reason(day, "removed", row.working, row.name, row.decree, actor)
        s.delete(row)
        s.flush()
        moved = recalc.recalculate(
            s,
            old,
            recalc.current_calendar(s, calendars),
            day,
            now=now or datetime.now(UTC),
            reason=reason,
            months=_months,
        )
    log.info("calendar override %s removed by %s: %d open cases moved", day, actor, moved)
    return OverrideChange(None, moved)


def _reason(
    day: date, change: str, working: bool, name: str, decree: str | None, actor: str
) -> dict[str, Any]:
    """What a `DeadlinesRecalculated` event says of the calendar change that caused it."""
    return {
        "override_date": day.isoformat(),
        "override": change,
        "working": working,
        "name": name,
        "decree": decree,
        "by": actor,
    }


def list_overrides(db: Database) -> list[CalendarOverrideRow]:
    with db.reading() as s:
        return list(
            s.execute(
                sa.select(CalendarOverrideRow).order_by(col(CalendarOverrideRow.day))
            ).scalars()
        )
