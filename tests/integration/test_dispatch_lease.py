"""Two dispatch passes overlapping past the lease, through a real slow SMTP relay (aiosmtpd on
loopback): each message is delivered by one pass.

The relay stands for a slow one by moving the first pass's clock on as it receives messages
(the pass renews its lease by that clock), and holds one message until the test has run the
second pass: the overlap is made certain, no test sleeps or measures time.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from api.wiring import App
from engine.store.repository import OUTBOX
from notifications.dispatch import LEASE, Dispatcher, DispatchReport
from tests.conftest import Clock, complaint_data

ROW = re.compile(r"<pkh-outbox-(\d+)\.")


class SlowRelay:
    """Every message received moves `clock` (the first pass's) on by `per_message`. The
    `stall_at`-th message is held until `release` is set (`stalled` is set meanwhile), the
    clock moved on by `stall` more, then answered `stall_reply`."""

    def __init__(
        self,
        clock: Clock,
        per_message: timedelta,
        stall_at: int,
        stall: timedelta = timedelta(0),
        stall_reply: str = "250 OK",
    ) -> None:
        self.clock, self.per_message = clock, per_message
        self.stall_at, self.stall, self.stall_reply = stall_at, stall, stall_reply
        self.received = 0
        self.delivered: list[int] = []  # outbox ids of the messages accepted, in order
        self.stalled = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.received += 1
        self.clock.set(self.clock() + self.per_message)
        if self.received == self.stall_at:
            self.clock.set(self.clock() + self.stall)
            self.stalled.set()
            while not self.release.is_set():  # other connections go on meanwhile
                await asyncio.sleep(0.01)
            if not self.stall_reply.startswith("250"):
                return self.stall_reply
        msg = message_from_bytes(envelope.content, policy=policy.default)
        found = ROW.match(msg["Message-ID"])
        assert found, msg["Message-ID"]
        self.delivered.append(int(found.group(1)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def relay_at() -> Iterator[Any]:
    controllers: list[Controller] = []

    def start(relay: SlowRelay) -> int:
        ctl = Controller(relay, hostname="127.0.0.1", port=free_port())
        ctl.start()
        controllers.append(ctl)
        return int(ctl.port)

    yield start
    for ctl in controllers:
        ctl.stop(no_assert=True)


def dispatcher(app: App, port: int) -> Dispatcher:
    settings = app.settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_timeout": 30.0}
    )
    return Dispatcher(app.db, settings)


def queue(app: App, n: int) -> list[int]:
    """n acknowledgements to reporters with an e-mail address, due now."""
    for _ in range(n):
        app.service.open_case("complaint", complaint_data(), "kab.bogor")
    with app.db.reading() as s:
        return [i for (i,) in s.execute(sa.select(OUTBOX.c.id).order_by(OUTBOX.c.id))]


def overlap(
    app: App, relay: SlowRelay, port: int, start: datetime, second_at: datetime
) -> tuple[DispatchReport, DispatchReport]:
    """Pass A from `start` on its relay-moved clock; while the relay holds its stalled
    message, pass B at `second_at`; then A goes on to its end."""
    first: list[DispatchReport] = []
    a = threading.Thread(
        target=lambda: first.append(dispatcher(app, port).run_once(start, clock=relay.clock))
    )
    a.start()
    try:
        assert relay.stalled.wait(60), "the first pass never reached the stalled message"
        second = dispatcher(app, port).run_once(second_at)
    finally:
        relay.release.set()
        a.join(60)
    assert first, "the first pass did not finish"
    return first[0], second


def statuses(app: App) -> dict[int, str]:
    with app.db.reading() as s:
        return dict(s.execute(sa.select(OUTBOX.c.id, OUTBOX.c.status)).all())


def test_a_pass_slowed_past_its_first_lease_keeps_its_messages_and_a_later_pass_sends_none_again(
    app: App, clock: Clock, relay_at: Any
) -> None:
    ids = queue(app, 6)
    start = clock()
    # 2 minutes a message: the third arrives 6 minutes in, past the 5-minute claim's lease
    relay = SlowRelay(Clock(start), timedelta(minutes=2), stall_at=3)
    port = relay_at(relay)
    assert start + LEASE < start + timedelta(minutes=6)
    first, second = overlap(app, relay, port, start, start + timedelta(minutes=6))
    # the first pass renewed its lease as it went: the run a minute after it ran out finds
    # nothing of it to claim, and nothing is delivered twice
    assert second.sent == [] and second.taken == []
    assert sorted(first.sent) == ids and first.taken == []
    assert Counter(relay.delivered) == Counter(ids)
    assert set(statuses(app).values()) == {"sent"}


def test_a_pass_stalled_past_its_lease_leaves_what_another_pass_took_over(
    app: App, clock: Clock, relay_at: Any
) -> None:
    ids = queue(app, 6)
    start = clock()
    # the relay hangs on the second message for 7 minutes, then refuses it for now (451)
    relay = SlowRelay(
        Clock(start),
        timedelta(minutes=1),
        stall_at=2,
        stall=timedelta(minutes=7),
        stall_reply="451 Requested action aborted: local error in processing",
    )
    port = relay_at(relay)
    later = start + timedelta(minutes=8)  # the every-minute run once the lease has run out
    first, second = overlap(app, relay, port, start, later)
    # the later pass claimed the second message on: it delivers them
    assert sorted(second.sent) == ids[1:]
    # the first pass records nothing over it (the 451 does not put the delivered message
    # back in the queue) and sends none of the messages taken over
    assert first.sent == [ids[0]] and first.taken == ids[1:] and first.retrying == []
    assert Counter(relay.delivered) == Counter(ids)
    assert set(statuses(app).values()) == {"sent"}
    assert dispatcher(app, port).run_once(later + timedelta(hours=1)).sent == []


# ------------------------------------------------- a message whose hand-off stops the pass
class _Stopped(BaseException):
    """What a watchdog's kill looks like from inside the pass: nothing after it runs."""


class _Hangs:
    """A channel whose every hand-off stops the pass (a relay that hangs until a watchdog kills
    the dispatcher), or raises an error no channel should (`error`)."""

    name = "email"

    def __init__(self, error: BaseException) -> None:
        self.error, self.handed = error, 0

    def send(self, message: Any) -> None:
        self.handed += 1
        raise self.error


def _one_message(app: App) -> None:
    app.service.open_case("complaint", complaint_data(), "kab.bogor")
    first = sa.select(sa.func.min(OUTBOX.c.id)).scalar_subquery()
    with app.db.transaction() as s:
        s.execute(sa.delete(OUTBOX).where(OUTBOX.c.id != first))


def test_a_message_whose_sending_stops_every_pass_is_dead_lettered_after_its_tries(
    app: App, clock: Clock
) -> None:
    """Each pass counted the try and was stopped while sending; nothing ever compared the
    count with max_attempts, so the message was handed over again every lease, for ever."""
    _one_message(app)
    channel = _Hangs(_Stopped())
    settings = app.settings.model_copy(update={"dispatch_max_attempts": 3})
    dispatcher = Dispatcher(app.db, settings, channels={"email": channel, "sms": channel})
    moment = clock()
    for _ in range(10):
        with contextlib.suppress(_Stopped):
            dispatcher.run_once(moment)
        moment += LEASE + timedelta(minutes=1)
    with app.db.reading() as s:
        (row,) = s.execute(sa.select(OUTBOX.c.status, OUTBOX.c.attempts, OUTBOX.c.last_error))
    assert channel.handed == 3
    assert (row.status, row.attempts) == ("dead", 3)
    assert "no answer after 3 tries" in row.last_error


def test_a_channel_error_of_an_unexpected_kind_is_a_failed_try_not_a_stopped_pass(
    app: App, clock: Clock
) -> None:
    """A webhook gateway answering with a malformed status line raised http.client's
    BadStatusLine out of run_once: the pass stopped, its other messages untried."""
    import http.client

    _one_message(app)
    channel = _Hangs(http.client.BadStatusLine("HTTP/1.1 2OO"))
    settings = app.settings.model_copy(update={"dispatch_max_attempts": 2})
    dispatcher = Dispatcher(app.db, settings, channels={"email": channel, "sms": channel})
    report = dispatcher.run_once(clock())
    with app.db.reading() as s:
        (row,) = s.execute(sa.select(OUTBOX.c.status, OUTBOX.c.attempts, OUTBOX.c.last_error))
    assert (row.status, row.attempts) == ("pending", 1) and "BadStatusLine" in row.last_error
    assert report.retrying
    dispatcher.run_once(clock() + timedelta(days=1))
    with app.db.reading() as s:
        (row,) = s.execute(sa.select(OUTBOX.c.status, OUTBOX.c.attempts))
    assert (row.status, row.attempts) == ("dead", 2) and channel.handed == 2
