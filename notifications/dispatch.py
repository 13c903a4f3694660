"""Drains the outbox: claim due messages, render them, deliver through a channel, record.

A claim pushes `next_attempt_at` forward (a lease) in a short transaction, so nothing is held
locked while a slow SMTP server answers; a crashed dispatcher's claims simply fall due again.
A claim does not count as an attempt: `attempts` goes up by one for a message alone, in a
short transaction of its own just before it is handed to its channel (or with its outcome,
for a letter to print, a skipped or an unrenderable message), so a pass killed after claiming
its batch has used up at most the attempt of the one message it was sending, not one of every
message it held. Before each message the pass renews the lease of the rows it still holds, on
condition that they are still its own (their lease and attempt count as it left them: another
pass's claim moves the lease on, always later, since a row is claimed only once its lease has
run out): a row another pass claimed once this pass's lease ran out (a pass slowed by a slow
relay) is left to that pass, so a message is delivered by one pass. Failures back off
exponentially; after `max_attempts` tries a message is dead-lettered for an admin.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from typing import Any, Protocol, cast
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from engine.errors import InvalidInput
from engine.machine import CLOCK_SKEW
from engine.settings import Settings
from engine.store import repository as repo
from engine.store.db import Database
from engine.store.sweep_source import MARKS, QUIET
from notifications.channels import (
    ConfigurationError,
    DeliveryError,
    LogChannel,
    Outgoing,
    SmtpChannel,
    WebhookChannel,
    address_channel,
)
from notifications.letters import Letter, compose
from notifications.render import render

log = logging.getLogger("pkh.dispatch")
OUT = repo.OUTBOX
LEASE = timedelta(minutes=5)
# pending: to deliver (or retry); sent; print / printed: a paper letter; dead: gave up until
# an admin retries; skipped: a sweep message whose stage the case had left
STATUSES = ("pending", "sent", "print", "printed", "dead", "skipped")
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
    # claimed by this pass, then by another once this pass's lease had run out: left to it
    taken: list[int] = field(default_factory=list)
    # failed on a delivery setting (also in retrying or dead): id -> the error
    misconfigured: dict[int, str] = field(default_factory=dict)

    def record(self, what: str, outbox_id: int, kept: bool) -> None:
        """Add the message to the list `what` (sent, dead, ...) if its outcome was recorded,
        else to `taken`: another pass took it over meanwhile and records its own."""
        getattr(self, what if kept else "taken").append(outbox_id)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "to_print": self.to_print,
            "retrying": self.retrying,
            "dead": self.dead,
            "skipped": self.skipped,
            "taken": self.taken,
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


def sender_warning(settings: Settings) -> str | None:
    """One line when e-mail goes out (PKH_SMTP_HOST set) from a localhost sender, as the
    default `PKH_SMTP_FROM` is: real mail servers reject it or file it as spam. Not refused:
    a test relay on the same machine takes it."""
    if not settings.smtp_host:
        return None
    _, address = parseaddr(settings.smtp_from)
    domain = address.rpartition("@")[2].strip().rstrip(".").lower()
    local = domain in ("localhost", "localhost.localdomain") or domain.endswith(".localhost")
    if not local:
        return None
    return (
        f"e-mail goes out from PKH_SMTP_FROM {settings.smtp_from!r}, a localhost sender that "
        "mail servers reject or take for spam: set PKH_SMTP_FROM to an address of the "
        "office's own mail domain"
    )


def channels_from(settings: Settings) -> dict[str, Channel]:
    """The delivery channels the settings configure, and the log. A webhook URL without its
    secret is refused: the gateway could not trust unsigned messages, and dropping the SMS
    channel silently would send phone reporters' letters to the log; so is a URL that is not
    http(s)."""
    if settings.webhook_url and not settings.webhook_secret:
        raise ConfigurationError(
            "PKH_WEBHOOK_URL is set but PKH_WEBHOOK_SECRET is not: messages to the SMS gateway "
            "are signed with it; set PKH_WEBHOOK_SECRET (or unset PKH_WEBHOOK_URL)"
        )
    url = urlsplit(settings.webhook_url or "")
    if settings.webhook_url and (url.scheme not in ("http", "https") or not url.netloc):
        # urllib would raise on every message, ending the pass with a traceback
        raise ConfigurationError(
            f"PKH_WEBHOOK_URL {settings.webhook_url!r} is not an http(s) URL: give the "
            "gateway's address as http://host/path or https://host/path"
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


def check_dispatch_moment(moment: datetime) -> None:
    """A dispatch "as at" a given moment (`pkh dispatch --now`, the flow's `now`): each delivery
    is recorded as sent at it, and retries due before it would go early, so a moment still to
    come is refused, as the sweep refuses one; so is one without its UTC offset."""
    if moment.tzinfo is None:
        raise InvalidInput("now", f"'{moment.isoformat()}' needs a time zone offset, e.g. +07:00")
    if moment > datetime.now(UTC) + CLOCK_SKEW:
        raise InvalidInput(
            "now",
            f"'{moment.isoformat()}' is in the future: a dispatch records when each message was "
            "sent; give a moment not later than now",
        )


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

    def run_once(
        self,
        now: datetime,
        *,
        batch: int = 200,
        clock: Callable[[], datetime] | None = None,
    ) -> DispatchReport:
        """Claim what is due at `now` and deliver it. `clock` tells the moment as the pass
        goes on, for renewing its lease (default: `now` plus the time the pass has taken)."""
        report = DispatchReport()
        if clock is None:
            started = time.monotonic()

            def clock() -> datetime:
                return now + timedelta(seconds=time.monotonic() - started)

        rows = self._claim(now, batch)
        # what this pass holds: each row's attempt count (a claim leaves it as it was), and
        # the lease
        held = {r.id: r.attempts for r in rows}
        lease = now + LEASE
        for row in rows:
            lease, held = self._renew(held, lease, max(clock(), now) + LEASE)
            if row.id not in held:
                # another pass claimed it once our lease had run out: it is that pass's now
                log.warning("outbox %s: taken over by another dispatch run", row.id)
                report.taken.append(row.id)
                continue
            del held[row.id]
            self._deliver(row, lease, now, report)
        return report

    def _renew(
        self, held: dict[int, int], lease: datetime, until: datetime
    ) -> tuple[datetime, dict[int, int]]:
        """Push the lease of the rows this pass still holds to `until`, on condition that each
        is still as this pass left it (pending, its lease and attempt count unchanged: another
        pass's claim moves the lease on, its try counts an attempt); return the new lease and
        the rows still held."""
        if not held:
            return lease, held
        until = max(until, lease)  # a lease never moves back
        with self.db.transaction() as s:
            kept = s.execute(
                sa.update(OUT)
                .where(
                    OUT.c.status == "pending",
                    OUT.c.next_attempt_at == lease,
                    sa.tuple_(OUT.c.id, OUT.c.attempts).in_(list(held.items())),
                )
                .values(next_attempt_at=until)
                .returning(OUT.c.id)
            )
            ids = {int(i) for (i,) in kept}
        return until, {i: a for i, a in held.items() if i in ids}

    def _claim(self, now: datetime, batch: int) -> Sequence[sa.Row[Any]]:
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
                # the lease alone: the attempt is counted when a message is tried
                s.execute(
                    sa.update(OUT)
                    .where(OUT.c.id.in_([r.id for r in rows]))
                    .values(next_attempt_at=now + LEASE)
                )
        return rows

    def _deliver(self, row: Any, lease: datetime, now: datetime, report: DispatchReport) -> None:
        """Deliver one claimed row, held under `lease` with its attempt count as claimed."""
        attempts = row.attempts + 1  # this try's
        # an outcome reached without sending counts its attempt in the transaction recording it
        hold = _Hold(row.id, row.attempts, lease)
        try:
            letter = compose(self.db, row, now, self.settings.app_url)
            if letter.lapsed:
                # a reminder about a stage the case has left: nobody is told; kept, with why
                kept = self._finish(
                    hold, attempts, status="skipped", error=f"lapsed: {letter.lapsed}"
                )
                if kept:
                    self._give_back_mark(row)
                report.record("skipped", row.id, kept)
                return
            channel, note, address, outgoing = self._prepare(row, letter)
        except Exception as e:  # noqa: BLE001 - a message that cannot be rendered is dead now
            log.warning("outbox %s cannot be prepared: %s", row.id, e)
            report.record(
                "dead", row.id, self._finish(hold, attempts, status="dead", error=f"prepare: {e}")
            )
            return
        if channel is None:
            report.record(
                "to_print",
                row.id,
                self._finish(
                    hold, attempts, status="print", channel="letter", address=address, error=note
                ),
            )
            return
        if row.attempts >= self.settings.dispatch_max_attempts:
            # every try was used and none came back with an answer: each pass that handed it
            # over was killed while sending (a relay that hangs until a watchdog kills the
            # pass). Sent again it would be so for ever, and the rows after it never reached
            report.record(
                "dead",
                row.id,
                self._finish(
                    hold,
                    row.attempts,
                    status="dead",
                    error=f"no answer after {row.attempts} tries: each pass sending it stopped",
                    channel=channel,
                    address=address,
                ),
            )
            return
        # the attempt is counted, on its own, before the message leaves: a pass killed while
        # sending (a relay that hangs until a watchdog kills the pass, every time) has used it,
        # and such a message is dead-lettered after `max_attempts` like any failing one
        if not self._try(hold):
            log.warning("outbox %s: taken over by another dispatch run", row.id)
            report.taken.append(row.id)
            return
        hold = _Hold(row.id, attempts, lease)
        try:
            try:
                self.channels[channel].send(outgoing)
            except DeliveryError:
                raise
            except Exception as e:  # noqa: BLE001 - e.g. a gateway's malformed HTTP status line
                log.warning("outbox %s: %s failed unexpectedly: %r", row.id, channel, e)
                raise DeliveryError(f"{type(e).__name__}: {e}") from e
        except DeliveryError as e:
            if e.configuration:
                report.misconfigured[row.id] = str(e)
            if attempts >= self.settings.dispatch_max_attempts:
                report.record(
                    "dead",
                    row.id,
                    self._finish(
                        hold,
                        attempts,
                        status="dead",
                        error=str(e),
                        channel=channel,
                        address=address,
                    ),
                )
            else:
                delay = self.settings.dispatch_backoff_seconds * 2 ** (attempts - 1)
                report.record(
                    "retrying",
                    row.id,
                    self._finish(
                        hold,
                        attempts,
                        status="pending",
                        error=str(e),
                        channel=channel,
                        address=address,
                        next_at=now + timedelta(seconds=delay),
                    ),
                )
            return
        report.record(
            "sent",
            row.id,
            self._finish(
                hold,
                attempts,
                status="sent",
                channel=channel,
                address=address,
                sent_at=now,
                error=note,
            ),
        )

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
        wanted = address_channel(address)
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

    def _try(self, hold: _Hold) -> bool:
        """Count the attempt of a held row about to be sent, if it is still this pass's."""
        with self.db.transaction() as s:
            done = cast(  # a CursorResult, typed Result (see _finish)
                "CursorResult[Any]",
                s.execute(
                    sa.update(OUT).where(*hold.still_ours()).values(attempts=hold.attempts + 1)
                ),
            )
        return bool(done.rowcount)

    def _give_back_mark(self, row: Any) -> None:
        """A "due soon" reminder that lapsed undelivered (an outage across midnight) gives
        back the sweep mark it was queued under, unless a copy of it reached someone (an
        office-wide reminder: one officer was told), and ends the case's quiet: the next sweep
        plans it again and, still due soon, says what is true that day ("1 working day left")
        rather than nothing before the due day. Other reminders need not: the next day has a
        mark of its own (overdue, or due today)."""
        marked = (row.payload or {}).get("mark") or {}
        if row.template != "reminder_due_soon" or not marked.get("stage_key"):
            return
        with self.db.transaction() as s:
            if copy_sent(s, row.case_id, row.template, row.created_at):
                return
            s.execute(
                sa.delete(MARKS).where(
                    MARKS.c.case_id == row.case_id,
                    MARKS.c.stage_key == marked["stage_key"],
                    MARKS.c.mark == marked["mark"],
                    # the mark this row was queued under, not one a later sweep made again
                    # after another copy gave it back (its reminder may have gone out)
                    MARKS.c.created_at <= row.created_at,
                )
            )
            s.execute(sa.delete(QUIET).where(QUIET.c.case_id == row.case_id))

    def _finish(
        self,
        hold: _Hold,
        attempts: int,
        *,
        status: str,
        error: str | None = None,
        channel: str | None = None,
        address: str | None = None,
        sent_at: datetime | None = None,
        next_at: datetime | None = None,
    ) -> bool:
        values: dict[str, Any] = {"status": status, "last_error": error, "attempts": attempts}
        if channel:
            values.update(channel=channel, address=address)
        if sent_at:
            values["sent_at"] = sent_at
        if next_at:
            values["next_attempt_at"] = next_at
        # only while the row is still this pass's (its lease and attempt count as this pass
        # left them): a pass that took it over since records its own outcome
        with self.db.transaction() as s:
            # Session.execute is typed Result; an UPDATE without RETURNING gets a CursorResult
            # (sqlalchemy/sqlalchemy#12913)
            done = cast(
                "CursorResult[Any]",
                s.execute(sa.update(OUT).where(*hold.still_ours()).values(**values)),
            )
        return bool(done.rowcount)


def copy_sent(s: Session, case_id: str, template: str, queued_at: datetime) -> bool:
    """Whether a copy of a message queued at `queued_at` (the sweep queues one per officer of
    an office) reached someone. A copy "sent" to the log only (an officer with no e-mail or
    phone) told nobody. Found among the case's messages (`ix_outbox_case`): by status, it
    would read every message ever sent, 90 ms a lapsed reminder with half a million sent."""
    q = sa.select(OUT.c.id).where(
        OUT.c.case_id == case_id,
        OUT.c.template == template,
        OUT.c.created_at == queued_at,
        OUT.c.status == "sent",
        sa.or_(OUT.c.channel.is_(None), OUT.c.channel != "log"),
    )
    return s.execute(q.limit(1)).first() is not None


@dataclass(frozen=True)
class _Hold:
    """A row a pass holds: its attempt count as the pass left it, under the pass's lease."""

    outbox_id: int
    attempts: int
    lease: datetime

    def still_ours(self) -> tuple[Any, ...]:
        # another pass's claim moves the lease on (later: a row is claimed once its lease
        # has run out), its try counts an attempt
        return (
            OUT.c.id == self.outbox_id,
            OUT.c.status == "pending",
            OUT.c.next_attempt_at == self.lease,
            OUT.c.attempts == self.attempts,
        )


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
