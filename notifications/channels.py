"""Delivery channels: real SMTP, an HMAC-signed webhook for SMS/WhatsApp gateways, and a log."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import smtplib
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from email.errors import MessageError
from email.message import EmailMessage
from email.utils import format_datetime

from notifications.render import Rendered

log = logging.getLogger("pkh.notifications")
PHONE = re.compile(r"^\+?[0-9][0-9 -]{6,18}$")


def address_channel(address: str) -> str | None:
    """The channel an address is written for: "email", "sms", or None (a postal address, as
    the officer pages' contact field allows, or no address at all). A mobile number goes by
    SMS however officers write it ("WA 0812.3456.7890", "0812 3456 7890 (WA)")."""
    if "@" in address:
        return "email"
    return "sms" if PHONE.match(address) or sms_number(address) else None


MOBILE = re.compile(r"^(?:\+?62|0)8[0-9]{7,12}$")  # 08..., 628..., +628...


def sms_number(address: str) -> str | None:
    """A mobile number as the gateway reads it: its digits (a leading + kept), without the
    words, spaces, dots, dashes and brackets officers write around it; None if it is none."""
    rest = re.sub(r"[\s()\-./:]", "", PHONE_WORDS.sub("", address))
    return rest if MOBILE.match(rest) else None


# a phone number as officers write it: "(0251) 832-1234", "0812.3456.7890", "WA 0812...",
# "Telp. 0251-8321234", "0812 3456 7890 (WA)": no postal address, whatever channel it takes
PHONE_WORDS = re.compile(r"\b(?:telp|tel|telepon|hp|ponsel|wa|whatsapp|sms)\b\.?", re.I)


def _phone_like(address: str) -> bool:
    rest = re.sub(r"[\s()+\-./:]", "", PHONE_WORDS.sub("", address))
    return rest.isdigit() and 6 <= len(rest) <= 16


def postal_address(address: str) -> str | None:
    """The address as it goes on a printed letter's envelope side: a postal address given as
    the contact, not an e-mail or phone number (however it is written); None when there is
    none."""
    address = " ".join(address.split())
    if not address or address_channel(address) is not None or _phone_like(address):
        return None
    return address


class DeliveryError(Exception):
    """The channel could not deliver now; the dispatcher retries later. `configuration`: the
    cause is a setting (the server refuses STARTTLS or AUTH, or the credentials), which no
    retry fixes until an operator changes it; the message says which setting."""

    def __init__(self, message: str, *, configuration: bool = False) -> None:
        super().__init__(f"configuration: {message}" if configuration else message)
        self.configuration = configuration


class ConfigurationError(RuntimeError):
    """A delivery setting that cannot work (a webhook URL without its secret): nothing is
    dispatched until it is fixed."""


@dataclass(frozen=True)
class Outgoing:
    key: str  # the outbox row: pkh-outbox-N (logs, the confidentiality scan)
    address: str
    rendered: Rendered
    lang: str
    # idempotency key downstream (Message-ID, Idempotency-Key): the same for every attempt of
    # one message, different for any other message, of this or another installation
    message_id: str = ""


class SmtpChannel:
    name = "email"

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        user: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password, self.starttls, self.timeout = user, password, starttls, timeout

    def send(self, msg: Outgoing) -> None:
        email = EmailMessage()
        email["From"] = self.sender
        try:
            email["To"] = msg.address
        except (ValueError, IndexError, MessageError) as e:
            # a contact typed wrong ("siti@", a line break): this letter fails, not the pass;
            # retried as usual, so a contact corrected meanwhile is used
            raise DeliveryError(f"not an e-mail address the mail can go to: {msg.address!r}") from e
        email["Subject"] = msg.rendered.subject
        # the sending time in UTC, said as +0000 ("-0000", formatdate's default, means the
        # zone is unknown: a reader gets a time without its offset)
        email["Date"] = format_datetime(datetime.now(UTC))
        # Receivers and archives drop repeats by Message-ID: the same id on every attempt makes
        # a resend harmless; unique per message (not only per row id), so a message of another
        # installation, or one queued after a restore reused a row id, is never taken for it.
        email["Message-ID"] = f"<{msg.message_id or msg.key}@pkh-casework>"
        email.set_content(msg.rendered.text)
        email.add_alternative(msg.rendered.html, subtype="html")
        email["Content-Language"] = msg.lang  # after the body: set_content drops Content-*
        where = f"smtp {self.host}:{self.port}"
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                self._secure_and_log_in(smtp, where)
                smtp.send_message(email)
        except DeliveryError:
            raise
        except (OSError, smtplib.SMTPException) as e:
            raise DeliveryError(f"{where}: {e}") from e

    def _secure_and_log_in(self, smtp: smtplib.SMTP, where: str) -> None:
        """STARTTLS and AUTH as configured. The server refusing them (not offered, no common
        method, credentials rejected) is a configuration error; a 4xx answer (454 temporary
        authentication failure) is a passing one."""
        step, setting = "", ""
        try:
            if self.starttls:
                step, setting = "STARTTLS", "PKH_SMTP_STARTTLS"
                smtp.starttls()
            if self.user:
                step, setting = "AUTH", "PKH_SMTP_USER / PKH_SMTP_PASSWORD"
                smtp.login(self.user, self.password or "")
        except smtplib.SMTPResponseException as e:
            if e.smtp_code < 500:
                raise DeliveryError(f"{where}: {step}: {e.smtp_code} {e.smtp_error!r}") from e
            raise DeliveryError(
                f"{where}: {step} refused: {e.smtp_code} {e.smtp_error!r} (check {setting})",
                configuration=True,
            ) from e
        except smtplib.SMTPNotSupportedError as e:
            raise DeliveryError(f"{where}: {e} (check {setting})", configuration=True) from e
        except smtplib.SMTPException as e:  # e.g. "No suitable authentication method found."
            if not isinstance(e, smtplib.SMTPServerDisconnected):
                raise DeliveryError(
                    f"{where}: {step}: {e} (check {setting})", configuration=True
                ) from e
            raise


class WebhookChannel:
    """POSTs {key, to, text, lang} as JSON, signed: X-PKH-Signature = hex HMAC-SHA256(body)."""

    name = "sms"

    def __init__(self, url: str, secret: str, timeout: float = 10.0) -> None:
        self.url, self.secret, self.timeout = url, secret.encode(), timeout

    def send(self, msg: Outgoing) -> None:
        key = msg.message_id or msg.key
        body = json.dumps(
            {
                "key": key,
                "to": sms_number(msg.address) or msg.address,
                "text": msg.rendered.sms,
                "lang": msg.lang,
            },
            ensure_ascii=False,
        ).encode()
        signature = hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        req = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Idempotency-Key": key,
                "X-PKH-Signature": f"sha256={signature}",
            },
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310
                if resp.status >= 300:
                    raise DeliveryError(f"webhook answered {resp.status}")
        except OSError as e:
            raise DeliveryError(f"webhook {self.url}: {e}") from e


class LogChannel:
    """For the demo and for recipients with no address: the message goes to the log."""

    name = "log"

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []

    def send(self, msg: Outgoing) -> None:
        self.sent.append(msg)
        log.info("message %s to %s: %s", msg.key, msg.address, msg.rendered.subject)
