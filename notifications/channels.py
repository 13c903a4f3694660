"""Delivery channels: real SMTP, an HMAC-signed webhook for SMS/WhatsApp gateways, and a log."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

from notifications.render import Rendered

log = logging.getLogger("pkh.notifications")


class DeliveryError(Exception):
    """The channel could not deliver now; the dispatcher retries later."""


@dataclass(frozen=True)
class Outgoing:
    key: str  # idempotency key of the message: the same key is never meant twice
    address: str
    rendered: Rendered
    lang: str


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
        email["To"] = msg.address
        email["Subject"] = msg.rendered.subject
        email["Date"] = formatdate(localtime=False)
        # Receivers and archives drop repeats by Message-ID: the key makes a resend harmless.
        email["Message-ID"] = f"<{msg.key}@pkh-casework>"
        email.set_content(msg.rendered.text)
        email.add_alternative(msg.rendered.html, subtype="html")
        email["Content-Language"] = msg.lang  # after the body: set_content drops Content-*
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(email)
        except (OSError, smtplib.SMTPException) as e:
            raise DeliveryError(f"smtp {self.host}:{self.port}: {e}") from e


class WebhookChannel:
    """POSTs {key, to, text, lang} as JSON, signed: X-PKH-Signature = hex HMAC-SHA256(body)."""

    name = "sms"

    def __init__(self, url: str, secret: str, timeout: float = 10.0) -> None:
        self.url, self.secret, self.timeout = url, secret.encode(), timeout

    def send(self, msg: Outgoing) -> None:
        body = json.dumps(
            {"key": msg.key, "to": msg.address, "text": msg.rendered.sms, "lang": msg.lang},
            ensure_ascii=False,
        ).encode()
        signature = hmac.new(self.secret, body, hashlib.sha256).hexdigest()
        req = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Idempotency-Key": msg.key,
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
