"""Drains the outbox: claim due messages, render them, deliver through a channel, record.

A claim pushes `next_attempt_at` forward (a lease) in a short transaction, so nothing is held
locked while a slow SMTP server answers; a crashed dispatcher's claims simply fall due again.
Failures back off exponentially; after `max_attempts` a message is dead-lettered for an admin.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa

from engine.errors import InvalidInput, NotFound
from engine.settings import Settings
from engine.state import CaseState, replay
from engine.store import repository as repo
from engine.store.db import Database
from engine.store.tables import UserRow
from engine.sweep import SWEEP_EVENT, lapsed
from notifications.catalog import AUDIENCE
from notifications.channels import (
    ConfigurationError,
    DeliveryError,
    LogChannel,
    Outgoing,
    SmtpChannel,
    WebhookChannel,
)
from notifications.context import letter_context
from notifications.render import render, render_letter_page

log = logging.getLogger("pkh.dispatch")
OUT = repo.OUTBOX
LEASE = timedelta(minutes=5)
# pending: to deliver (or retry); sent; print / printed: a paper letter; dead: gave up until
# an admin retries; skipped: a sweep message whose stage the case had left
STATUSES = ("pending", "sent", "print", "printed", "dead", "skipped")
PHONE = re.compile(r"^\+?[0-9][0-9 -]{6,18}$")
UNSET = {"email": "PKH_SMTP_HOST unset", "sms": "PKH_WEBHOOK_URL unset"}


class Channel(Protocol):
    name: str

    def send(self, msg: Outgoing) -> None: ...


@dataclass
class DispatchReport:
    sent: list[int] = field(default_factory=list)
    to_print: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    dead: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    # failed on a delivery setting (also in retrying or dead): id -> the error
    misconfigured: dict[int, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "to_print": self.to_print,
            "retrying": self.retrying,
            "dead": self.dead,
            "skipped": self.skipped,
            "misconfigured": sorted(self.misconfigured),
        }

    def alarm(self) -> str | None:
        """What an operator must hear about this pass, in one line, or None: messages given up
        on, or a delivery setting the server refuses (which no retry fixes)."""
        parts = []
        if self.dead:
            parts.append(
                f"{len(self.dead)} message(s) dead-lettered (ids {_ids(self.dead)}): "
                "`pkh outbox list --status dead` shows why; once the cause is fixed, "
                "`pkh outbox retry` queues them again"
            )
        if self.misconfigured:
            first = self.misconfigured[min(self.misconfigured)]
            parts.append(
                f"{len(self.misconfigured)} message(s) failed on a delivery setting "
                f"(ids {_ids(sorted(self.misconfigured))}): {first}"
            )
        return "; ".join(parts) or None


def _ids(ids: list[int], most: int = 10) -> str:
    return " ".join(map(str, ids[:most])) + (" ..." if len(ids) > most else "")


def channels_from(settings: Settings) -> dict[str, Channel]:
    """The delivery channels the settings configure, and the log. A webhook URL without its
    secret is refused: the gateway could not trust unsigned messages, and dropping the SMS
    channel silently would send phone reporters' letters to the log."""
    if settings.webhook_url and not settings.webhook_secret:
        raise ConfigurationError(
            "PKH_WEBHOOK_URL is set but PKH_WEBHOOK_SECRET is not: messages to the SMS gateway "
            "are signed with it; set PKH_WEBHOOK_SECRET (or unset PKH_WEBHOOK_URL)"
        )
    out: dict[str, Channel] = {"log": LogChannel()}
    if settings.smtp_host:
        out["email"] = SmtpChannel(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_from,
            user=settings.smtp_user,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            timeout=settings.smtp_timeout,
        )
    if settings.webhook_url and settings.webhook_secret:
        out["sms"] = WebhookChannel(settings.webhook_url, settings.webhook_secret)
    return out


class Dispatcher:
    def __init__(
        self, db: Database, settings: Settings, channels: Mapping[str, Channel] | None = None
    ) -> None:
        self.db = db
        self.settings = settings
        self.channels = dict(channels) if channels is not None else channels_from(settings)
        # no delivery channel at all (the demo): officers' messages go to the log without a
        # note; formal letters are printed all the same
        self.demo = not {"email", "sms"} & set(self.channels)

    def run_once(self, now: datetime, *, batch: int = 200) -> DispatchReport:
        report = DispatchReport()
        for row in self._claim(now, batch):
            self._deliver(row, now, report)
        return report

    def _claim(self, now: datetime, batch: int) -> list[Any]:
        with self.db.transaction() as s:
            q = (
                sa.select(OUT)
                .where(OUT.c.status == "pending", OUT.c.next_attempt_at <= now)
                .order_by(OUT.c.next_attempt_at, OUT.c.id)
                .limit(batch)
            )
            if self.db.dialect == "postgresql":
                q = q.with_for_update(skip_locked=True)
            rows = s.execute(q).all()
            if rows:
                s.execute(
                    sa.update(OUT)
                    .where(OUT.c.id.in_([r.id for r in rows]))
                    .values(attempts=OUT.c.attempts + 1, next_attempt_at=now + LEASE)
                )
        return rows

    def _deliver(self, row: Any, now: datetime, report: DispatchReport) -> None:
        attempts = row.attempts + 1
        try:
            letter = compose(self.db, row, now, self.settings.app_url)
            if letter.lapsed:
                # a reminder about a stage the case has left: nobody is told; kept, with why
                self._finish(row.id, status="skipped", error=f"lapsed: {letter.lapsed}")
                report.skipped.append(row.id)
                return
            channel, note, address, outgoing = self._prepare(row, letter)
        except Exception as e:  # noqa: BLE001 - a message that cannot be rendered is dead now
            log.warning("outbox %s cannot be prepared: %s", row.id, e)
            self._finish(row.id, status="dead", error=f"prepare: {e}")
            report.dead.append(row.id)
            return
        if channel is None:
            self._finish(row.id, status="print", channel="letter", address=address, error=note)
            report.to_print.append(row.id)
            return
        try:
            self.channels[channel].send(outgoing)
        except DeliveryError as e:
            if e.configuration:
                report.misconfigured[row.id] = str(e)
            if attempts >= self.settings.dispatch_max_attempts:
                self._finish(row.id, status="dead", error=str(e), channel=channel, address=address)
                report.dead.append(row.id)
            else:
                delay = self.settings.dispatch_backoff_seconds * 2 ** (attempts - 1)
                self._finish(
                    row.id,
                    status="pending",
                    error=str(e),
                    channel=channel,
                    address=address,
                    next_at=now + timedelta(seconds=delay),
                )
                report.retrying.append(row.id)
            return
        self._finish(
            row.id, status="sent", channel=channel, address=address, sent_at=now, error=note
        )
        report.sent.append(row.id)

    def _prepare(self, row: Any, letter: Letter) -> tuple[str | None, str | None, str, Outgoing]:
        address = letter.address or "-"
        outgoing = Outgoing(
            f"pkh-outbox-{row.id}",
            address,
            render(row.template, letter.lang, letter.context),
            letter.lang,
            message_id=message_id(row, self.settings.secret_key),
        )
        channel, note = self._route(letter.address, on_paper=letter.on_paper)
        return channel, note, address, outgoing

    def _route(self, address: str, *, on_paper: bool) -> tuple[str | None, str | None]:
        """Which channel, and a note on why not the address's own (kept in `last_error`).
        None means a paper letter to print: a formal letter (to a reporter, or to a staff
        member about their suspension or discipline) with no address, or whose address's
        channel is not configured, whatever else is (with no channel at all too: a letter the
        log alone holds would be lost). The log takes an officer's message with no channel to
        go by: the worklist shows it too."""
        wanted = "email" if "@" in address else "sms" if PHONE.match(address) else None
        if wanted in self.channels:
            return wanted, None
        if wanted is None:
            return (
                (None, None) if on_paper else ("log", "no e-mail or phone: written to the log only")
            )
        missing = f"no {wanted} channel configured ({UNSET[wanted]})"
        if on_paper:  # a formal letter is never only logged, demo or not: it is printed
            return None, f"{missing}: a letter to print"
        if self.demo:
            return "log", None
        return "log", f"{missing}: written to the log only"

    def _finish(
        self,
        outbox_id: int,
        *,
        status: str,
        error: str | None = None,
        channel: str | None = None,
        address: str | None = None,
        sent_at: datetime | None = None,
        next_at: datetime | None = None,
    ) -> None:
        values: dict[str, Any] = {"status": status, "last_error": error}
        if channel:
            values.update(channel=channel, address=address)
        if sent_at:
            values["sent_at"] = sent_at
        if next_at:
            values["next_attempt_at"] = next_at
        with self.db.transaction() as s:
            s.execute(sa.update(OUT).where(OUT.c.id == outbox_id).values(**values))


def message_id(row: Any, secret: str) -> str:
    """The message's id downstream (Message-ID, the webhook's Idempotency-Key): its row id
    and a token derived from the row (case, event, template, recipient, moment queued) and
    this installation's secret key. Every attempt of a message gets the same id, so a resend
    after a crash between sending and recording is recognisable; another installation's
    message, or one queued after a restore reused the row id, gets another."""
    created = row.created_at.isoformat() if row.created_at else ""
    seed = f"{row.id}|{row.case_id}|{row.event_version}|{row.template}|{row.recipient}|{created}"
    token = hmac.new(secret.encode(), seed.encode(), hashlib.sha256).hexdigest()[:16]
    return f"pkh-outbox-{row.id}.{token}"


@dataclass(frozen=True)
class Letter:
    """What one outbox row says and to whom: the template's context, the address now."""

    context: dict[str, Any]
    lang: str
    address: str
    on_paper: bool  # with no address, printed and posted (not only logged)
    lapsed: str | None = None  # a sweep's message whose stage the case has left: why


def compose(db: Database, row: Any, now: datetime, app_url: str) -> Letter:
    """The letter of an outbox row: its content from the case as it stood when the row was
    queued, its address from the case (or the officer's account) as it is now."""
    with db.reading() as s:
        current = repo.load_case(s, row.case_id)
        state = _as_queued(s, current, row.event_version)
        user = None
        if row.recipient.startswith("user:"):
            user = s.get(UserRow, row.recipient.removeprefix("user:"))
    if current is None or state is None:
        raise LookupError(f"case {row.case_id} is gone")
    payload = dict(row.payload or {})
    lang = payload.get("language") or "id"
    if row.event_type == SWEEP_EVENT and current.version != state.version:
        gone = lapsed(state, current, to_handler=row.template.startswith("reminder_"))
        if gone:
            return Letter({}, lang, "", False, gone)  # nothing to say: not rendered
    if row.recipient.startswith("user:") and user is None:
        # never fall back to the reporter's address: an officer's letter is not theirs
        raise LookupError(f"no account {row.recipient.removeprefix('user:')}")
    if user is not None:
        name, address = user.full_name or "", user.email or ""
        if not name and current.attrs.get("staff_user") == user.username:
            name = str(current.attrs.get("staff") or "")  # the staff record's name
        name = name or user.username
    elif row.recipient == "staff":
        # a staff member with no account: a paper letter addressed by the staff record's name
        name, address = str(current.attrs.get("staff") or ""), ""
    else:
        # delivered to the reporter's address as it is now (a corrected contact counts)
        name = str(current.attrs.get("reporter_name") or "")
        address = str(current.attrs.get("reporter_contact") or "")
    context = letter_context(
        state,
        template=row.template,
        lang=lang,
        recipient_name=name,
        extra=payload.get("extra") or {},
        today=now,
        app_url=app_url,
    )
    on_paper = user is None or AUDIENCE.get(row.template) == "staff"
    return Letter(context, lang, address, on_paper)


def print_letters(
    db: Database,
    settings: Settings,
    out_dir: Path,
    now: datetime,
    ids: list[int] | None = None,
    *,
    again: bool = False,
) -> dict[str, Any]:
    """Paper letters (status `print`: a reporter, or a staff member sent a suspension or
    discipline letter, with no e-mail or phone, or whose channel is not configured) as
    printable A4 HTML pages in `out_dir`, one file per letter, oldest first; each is then
    marked `printed`.
    `ids`: only these; `again`: letters already printed too (a lost or spoiled print). The
    files are written before anything is marked, so a failure leaves the letters waiting.
    A letter printed before keeps the moment of its first printing. Two people printing at
    once may both print a letter; each is told which letters it marked (`marked`)."""
    if again and not ids:
        raise InvalidInput("again", "name the letters to print again (their ids)")
    wanted = ["print", "printed"] if again else ["print"]
    with db.reading() as s:
        q = sa.select(OUT).where(OUT.c.status.in_(wanted)).order_by(OUT.c.id)
        if ids:
            q = q.where(OUT.c.id.in_(ids))
        rows = s.execute(q).all()
    if ids:
        missing = sorted(set(ids) - {r.id for r in rows})
        if missing:
            raise NotFound(
                f"no letter to print with id {', '.join(map(str, missing))} "
                f"({'print or printed' if again else 'status print; --again for printed ones'})"
            )
    out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    written: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for row in rows:
        try:
            letter = compose(db, row, now, settings.app_url)
            page = render_letter_page(row.template, letter.lang, letter.context)
        except Exception as e:  # noqa: BLE001 - reported; the letter stays waiting
            failed.append({"id": row.id, "case_id": row.case_id, "error": str(e)})
            continue
        path = out_dir / f"{row.id:06d}-{row.case_id}-{row.template}.html"
        # a reporter's name and address: readable by the one who prints, nobody else
        path.touch(mode=0o600)
        path.write_text(page, encoding="utf-8")
        written.append(
            {"id": row.id, "case_id": row.case_id, "template": row.template, "file": str(path)}
        )
    marked: list[int] = []
    if written:
        with db.transaction() as s:
            marked = sorted(
                int(i)
                for (i,) in s.execute(
                    sa.update(OUT)
                    .where(OUT.c.id.in_([w["id"] for w in written]), OUT.c.status == "print")
                    .values(status="printed", channel="letter", sent_at=now, last_error=None)
                    .returning(OUT.c.id)
                )
            )
    return {"printed": written, "failed": failed, "marked": marked}


def waiting_letters(
    db: Database,
    visible: Callable[[CaseState], bool],
    limit: int = 500,
    region: str | None = None,
) -> tuple[list[dict[str, Any]], bool]:
    """Paper letters waiting to be printed (status `print`) of the cases `visible` accepts
    (the officer pages: the officer's region, and a confidential reporter only for those who
    may see who reported), oldest first, at most `limit`; and whether more are waiting.
    `region`: only cases of that region code prefix are read at all."""
    cases = repo.CASES
    with db.reading() as s:
        q = (
            sa.select(
                OUT.c.id.label("letter_id"),
                OUT.c.template,
                OUT.c.created_at.label("queued_at"),
                cases,
            )
            .join(cases, cases.c.id == OUT.c.case_id)
            .where(OUT.c.status == "print")
            .order_by(OUT.c.id)
        )
        if region:
            q = q.where(repo.region_within(cases.c.region, region))
        out: list[dict[str, Any]] = []
        for row in s.execute(q):
            if len(out) >= limit:
                return out, True
            state = repo.state_from_row(row)
            if not visible(state):
                continue
            # addressed to the reporter, or (suspension, discipline) to the staff member
            to_staff = AUDIENCE.get(row.template) == "staff"
            name = state.attrs.get("staff" if to_staff else "reporter_name") or ""
            out.append(
                {
                    "id": row.letter_id,
                    "case_id": state.id,
                    "template": row.template,
                    "queued_at": row.queued_at,
                    "zone": state.zone,
                    "addressee": name,
                }
            )
        return out, False


def letter_page(
    db: Database,
    settings: Settings,
    letter_id: int,
    now: datetime,
    visible: Callable[[CaseState], bool],
) -> str:
    """One paper letter (waiting or printed) as its printable A4 page, if `visible`."""
    row = _letter_row(db, letter_id, visible)
    letter = compose(db, row, now, settings.app_url)
    return render_letter_page(row.template, letter.lang, letter.context)


def mark_printed(
    db: Database, letter_id: int, now: datetime, visible: Callable[[CaseState], bool]
) -> bool:
    """Record that a waiting letter was printed; False if it already was."""
    _letter_row(db, letter_id, visible)
    with db.transaction() as s:
        done = s.execute(
            sa.update(OUT)
            .where(OUT.c.id == letter_id, OUT.c.status == "print")
            .values(status="printed", channel="letter", sent_at=now, last_error=None)
        ).rowcount
    return bool(done)


def _letter_row(db: Database, letter_id: int, visible: Callable[[CaseState], bool]) -> Any:
    with db.reading() as s:
        row = s.execute(
            sa.select(OUT).where(OUT.c.id == letter_id, OUT.c.status.in_(("print", "printed")))
        ).first()
        state = repo.load_case(s, row.case_id) if row is not None else None
    if row is None or state is None or not visible(state):
        raise NotFound(f"no paper letter {letter_id}")
    return row


def _as_queued(s: Any, current: CaseState | None, version: int) -> CaseState | None:
    """The case as it stood when the message was queued (the version of the event, or of the
    sweep, that queued it): a letter tells what was decided then (the office, the deadline),
    not what the case has become by the time the dispatcher gets to it (escalated, referred,
    closed). Replayed from the event log; the current state when nothing happened since."""
    if current is None or current.version == version:
        return current
    events = [c.event for c in repo.load_events(s, current.id) if c.event.version <= version]
    if not events or events[-1].version != version:
        raise LookupError(f"case {current.id} has no event version {version}")
    return replay(events)


@dataclass(frozen=True)
class Retried:
    queued: list[int]
    refused: dict[int, str]  # an id asked for that was not queued: why


def retry_dead(db: Database, now: datetime, ids: list[int] | None = None) -> Retried:
    """An admin puts dead-lettered messages back in the queue: these `ids`, or every dead one.
    An id asked for that is not dead is named with why (no such message, or its status)."""
    with db.transaction() as s:
        status: dict[int, str] = {}
        if ids:
            rows = s.execute(sa.select(OUT.c.id, OUT.c.status).where(OUT.c.id.in_(ids)))
            status = {int(i): st for i, st in rows}
        q = sa.update(OUT).where(OUT.c.status == "dead")
        if ids:
            q = q.where(OUT.c.id.in_(ids))
        queued = sorted(
            int(i)
            for (i,) in s.execute(
                q.values(
                    status="pending", attempts=0, next_attempt_at=now, last_error=None
                ).returning(OUT.c.id)
            )
        )
    refused = {
        i: ("no such message" if i not in status else f"not dead: {status[i]}")
        for i in sorted(set(ids or ()))
        if i not in queued
    }
    return Retried(queued, refused)


def list_outbox(db: Database, status: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    if status and status not in STATUSES:
        raise InvalidInput(
            "status", f"unknown status '{status}'; expected one of: {', '.join(STATUSES)}"
        )
    with db.reading() as s:
        q = sa.select(OUT).order_by(OUT.c.id.desc()).limit(limit)
        if status:
            q = q.where(OUT.c.status == status)
        return [
            {
                "id": r.id,
                "case_id": r.case_id,
                "template": r.template,
                "recipient": r.recipient,
                "status": r.status,
                "attempts": r.attempts,
                "channel": r.channel,
                "address": r.address,
                "last_error": r.last_error,
                "next_attempt_at": r.next_attempt_at.isoformat() if r.next_attempt_at else None,
            }
            for r in s.execute(q)
        ]
