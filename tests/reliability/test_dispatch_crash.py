"""Outbox dispatch killed with SIGKILL mid-batch, delivering to a real SMTP server.

The relay is aiosmtpd on loopback in a process of its own (the dispatch passes are forked from
the test, and a fork must not copy a relay thread holding a lock); it writes each message it
accepts, its Message-ID and a digest of its body, to a file. Each pass is a forked child that
SIGKILLs itself at a point chosen by the test: right after claiming its batch (everything
leased, nothing sent); right after recording the n-th delivery; right after the SMTP server
accepted the n-th message, before the pass recorded it (the one window the design leaves:
delivery is at least once); and at seeded random moments. Then, on the SQLite file and on
PostgreSQL:

- a pass before the killed pass's lease has run out takes none of its messages; one at the
  lease's end takes them over;
- once passes run to the end, every message is sent and recorded `sent`, none lost;
- a message reached the server twice only where a pass was killed between the server
  accepting it and the pass recording it, and both copies carry the same Message-ID (so mail
  clients drop the repeat) and the same body;
- a kill uses up no attempt of a message it did not hand to the SMTP channel: after the kill
  right after claiming, every message still has 0 attempts; after each kill at a chosen point
  no message has more attempts than the times it was handed to the channel, and a kill at a
  random moment leaves at most one message (the one it came in the middle of) an attempt
  ahead; so repeated crashes never dead-letter a message that was never tried.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from api.wiring import App, build_app
from engine.settings import Settings
from engine.store import audit_runner
from engine.store.repository import OUTBOX
from notifications.dispatch import LEASE, Dispatcher, message_id
from tests.conftest import Clock, complaint_data
from tests.reliability._support import (
    TEST_SECRET,
    dump_figures,
    killer_at,
    wait_backends_gone,
    with_application_name,
)

MESSAGES = 40

RELAY = """
import hashlib, sys, time
from email import message_from_bytes, policy
from aiosmtpd.controller import Controller

out = open(sys.argv[2], "a", buffering=1)

class Handler:
    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.content, policy=policy.default)
        body = msg.get_body(("plain",)).get_content()
        digest = hashlib.sha256((msg["Subject"] + body).encode()).hexdigest()[:16]
        out.write(f"{msg['Message-ID']} {digest}\\n")
        return "250 OK"

Controller(Handler(), hostname="127.0.0.1", port=int(sys.argv[1])).start()
print("ready", flush=True)
while True:
    time.sleep(3600)
"""


def free_port_in_range() -> int:
    for port in range(8780, 8791):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 8780-8790")


@pytest.fixture
def relay(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """(port, file of accepted messages) of an aiosmtpd server in a process of its own."""
    received = tmp_path / "received.txt"
    received.touch()
    port = free_port_in_range()
    proc = subprocess.Popen(
        [sys.executable, "-c", RELAY, str(port), str(received)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        yield port, received
    finally:
        proc.kill()
        proc.wait(10)


def accepted(received: Path) -> list[tuple[str, str]]:
    return [tuple(line.split()) for line in received.read_text().splitlines()]  # type: ignore[misc]


def count_handed(monkeypatch: pytest.MonkeyPatch, handed: Path) -> None:
    """Every message handed to the SMTP channel, by this process or a pass forked from it (the
    forks inherit the patch), appends its outbox id to `handed` before the channel connects."""
    from notifications import channels

    send = channels.SmtpChannel.send

    def counted(self: Any, msg: Any) -> None:
        fd = os.open(handed, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, f"{msg.key.removeprefix('pkh-outbox-')}\n".encode())
        finally:
            os.close(fd)
        send(self, msg)

    monkeypatch.setattr(channels.SmtpChannel, "send", counted)


def handed_counts(handed: Path) -> Counter[int]:
    return Counter(int(i) for i in handed.read_text().split()) if handed.exists() else Counter()


def attempts_ahead(rows: dict[int, Any], handed: Counter[int]) -> dict[int, int]:
    """Messages with more attempts than the times they were handed to the channel: by how many."""
    return {i: r.attempts - handed[i] for i, r in rows.items() if r.attempts > handed[i]}


def _dispatcher(url: str, port: int, clock: Any) -> tuple[App, Dispatcher]:
    settings = Settings(
        database_url=url,
        secret_key=TEST_SECRET,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_timeout=30.0,
    )
    app = build_app(settings, clock=clock)
    return app, Dispatcher(app.db, settings)


def _dispatch_until_killed(url: str, port: int, point: str, n: int, moment: Any) -> None:
    """The child: one dispatch pass at `moment`, SIGKILLing itself at `point`, the n-th time."""
    from notifications import channels, dispatch

    die_at = killer_at(point, n)

    claim, finish, send = (
        dispatch.Dispatcher._claim,
        dispatch.Dispatcher._finish,
        channels.SmtpChannel.send,
    )

    def claimed(self: Any, *a: Any) -> Any:
        rows = claim(self, *a)
        die_at("claimed")
        return rows

    def finished(self: Any, *a: Any, **kw: Any) -> Any:
        kept = finish(self, *a, **kw)
        die_at("recorded")
        return kept

    def sent(self: Any, msg: Any) -> None:
        send(self, msg)  # the server has the message; the pass has not recorded it
        die_at("sent")

    dispatch.Dispatcher._claim = claimed  # type: ignore[method-assign]
    dispatch.Dispatcher._finish = finished  # type: ignore[method-assign]
    channels.SmtpChannel.send = sent  # type: ignore[method-assign]
    _, dispatcher = _dispatcher(url, port, lambda: moment)
    dispatcher.run_once(moment)
    os._exit(0)


def outbox(app: App) -> dict[int, Any]:
    with app.db.reading() as s:
        return {r.id: r for r in s.execute(sa.select(OUTBOX))}


KILLS = [("claimed", 1), ("recorded", 3), ("sent", 2), ("recorded", 1), ("sent", 1)]


def kill_dispatches(
    app: App,
    url: str,
    clock: Clock,
    port: int,
    received: Path,
    seed: int,
    timed: int,
    handed: Path,
) -> dict[str, Any]:
    for i in range(MESSAGES):
        app.service.open_case("complaint", complaint_data(summary=f"surat {i}"), "kab.bogor")
    rows = outbox(app)
    assert len(rows) == MESSAGES
    ids = {message_id(r, TEST_SECRET): i for i, r in rows.items()}
    rng = random.Random(seed)
    ctx = mp.get_context("fork")
    name = f"pkh_dispatch_{uuid.uuid4().hex[:8]}"
    child_url = with_application_name(url, name)
    moment = clock()
    may_repeat: set[int] = set()  # messages a kill came between sending and recording
    timed_landed = 0
    ahead_after_kills: list[int] = []  # attempts not handed to the channel, after each kill
    start = time.perf_counter()
    plan = KILLS + [("timed", 0)] * timed
    for k, (point, n) in enumerate(plan):
        app.db.dispose()
        before = {i for i, r in outbox(app).items() if r.status == "sent"}
        count_before = len(accepted(received))
        proc = ctx.Process(target=_dispatch_until_killed, args=(child_url, port, point, n, moment))
        proc.start()
        if point == "timed":
            time.sleep(rng.uniform(0.0, 0.3))
            os.kill(proc.pid, signal.SIGKILL)
        proc.join(60)
        if point != "timed" or proc.exitcode != 0:
            assert proc.exitcode == -signal.SIGKILL, (k, point, proc.exitcode)
        timed_landed += point == "timed" and proc.exitcode == -signal.SIGKILL
        if url.startswith("postgresql"):
            wait_backends_gone(url, name)
        now_rows = outbox(app)
        recorded = {i for i, r in now_rows.items() if r.status == "sent"}
        reached = {ids[m.strip("<>").split("@")[0]] for m, _ in accepted(received)[count_before:]}
        assert before <= recorded, "a kill undid a recorded delivery"
        unrecorded = reached - recorded
        if point == "sent":
            assert len(unrecorded) == 1, (k, unrecorded)  # exactly the one killed after sending
        elif point != "timed":
            assert not unrecorded, (k, point, unrecorded)
        may_repeat |= unrecorded
        ahead = attempts_ahead(now_rows, handed_counts(handed))
        ahead_after_kills.append(sum(ahead.values()))
        if point == "claimed":
            # the pass held all of them and sent none: no attempt is used up
            assert all(r.attempts == 0 for r in now_rows.values()), (k, ahead)
        if point == "timed":
            # at most the one message the kill came in the middle of: its attempt was counted
            # just before it was handed to the channel
            assert sum(ahead.values()) <= timed_landed, (k, ahead)
        else:
            assert not ahead, (k, point, ahead)
        leased = [i for i, r in now_rows.items() if r.status == "pending"]
        if k == 0:
            # the killed pass holds the lease of every row it claimed: a pass before the lease
            # ends takes none of them; one at its end takes them over
            assert leased and all(now_rows[i].next_attempt_at > moment for i in leased)
            early = Dispatcher(app.db, _settings(app, port)).run_once(moment + LEASE * 0.99)
            assert early.as_dict() == {
                "sent": [],
                "to_print": [],
                "retrying": [],
                "dead": [],
                "skipped": [],
                "taken": [],
                "misconfigured": [],
            }
            assert len(accepted(received)) == count_before
        moment += LEASE + timedelta(minutes=1)  # the killed pass's lease (renewed) ran out
    report = Dispatcher(app.db, _settings(app, port)).run_once(moment)
    final = outbox(app)
    assert {r.status for r in final.values()} == {"sent"}, Counter(r.status for r in final.values())
    assert not report.dead and not report.retrying and not report.taken
    got = accepted(received)
    by_id: dict[str, set[str]] = {}
    for mid, digest in got:
        by_id.setdefault(mid.strip("<>").split("@")[0], set()).add(digest)
    assert set(by_id) == set(ids), "a message was lost"
    copies = Counter(ids[m.strip("<>").split("@")[0]] for m, _ in got)
    repeated = {i for i, c in copies.items() if c > 1}
    assert repeated <= may_repeat, f"sent twice without a kill between send and record: {repeated}"
    assert all(c <= 2 for c in copies.values()), copies
    assert all(len(d) == 1 for d in by_id.values()), "a repeat differs from its first copy"
    assert len(repeated) >= sum(1 for p, _ in KILLS if p == "sent")
    assert audit_runner.verify(app.db).ok
    tries = handed_counts(handed)
    ahead = attempts_ahead(final, tries)
    assert sum(ahead.values()) <= timed_landed, ahead
    return {
        "backend": app.db.dialect,
        "kills": len(KILLS) + timed_landed,
        "timed_kills_that_landed": f"{timed_landed} of {timed}",
        "messages": MESSAGES,
        "accepted_by_server": len(got),
        "sent_twice_same_message_id": len(repeated),
        "max_attempts_seen": max(r.attempts for r in final.values()),
        "attempts_recorded": sum(r.attempts for r in final.values()),
        "times_handed_to_smtp": sum(tries.values()),
        "attempts_without_a_send_after_each_kill": ahead_after_kills,
        "seconds": round(time.perf_counter() - start, 1),
    }


def _settings(app: App, port: int) -> Settings:
    return app.settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_timeout": 30.0}
    )


def test_a_dispatch_killed_mid_batch_loses_nothing_and_repeats_only_with_the_same_message_id(
    app: App,
    db_url: str,
    clock: Clock,
    relay: tuple[int, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port, received = relay
    handed = tmp_path / "handed.txt"
    count_handed(monkeypatch, handed)
    figures = kill_dispatches(app, db_url, clock, port, received, seed=5, timed=3, handed=handed)
    dump_figures(f"dispatch_crash[{figures['backend']}]", figures)


def test_passes_killed_after_claiming_use_up_no_attempt_and_dead_letter_nothing(
    app: App, db_url: str, clock: Clock
) -> None:
    """Three passes in a row SIGKILLed right after claiming (a dispatcher crashing each
    minute), then a relay that is down: the messages have had 0 attempts, and the first real
    failure is their first, retried, not the one that dead-letters them (with max 3 attempts,
    the claims alone used to make it their 4th)."""
    n, kills, most = 5, 3, 3
    for i in range(n):
        app.service.open_case("complaint", complaint_data(summary=f"surat {i}"), "kab.bogor")
    closed = free_port_in_range()  # nothing listens: the relay is down
    name = f"pkh_dispatch_{uuid.uuid4().hex[:8]}"
    ctx = mp.get_context("fork")
    moment = clock()
    for _ in range(kills):
        app.db.dispose()
        proc = ctx.Process(
            target=_dispatch_until_killed,
            args=(with_application_name(db_url, name), closed, "claimed", 1, moment),
        )
        proc.start()
        proc.join(60)
        assert proc.exitcode == -signal.SIGKILL
        if db_url.startswith("postgresql"):
            wait_backends_gone(db_url, name)
        moment += LEASE + timedelta(minutes=1)
    rows = outbox(app)
    assert [r.attempts for r in rows.values()] == [0] * n
    settings = _settings(app, closed).model_copy(update={"dispatch_max_attempts": most})
    report = Dispatcher(app.db, settings).run_once(moment)
    assert report.dead == [] and sorted(report.retrying) == sorted(rows)
    assert {(r.status, r.attempts) for r in outbox(app).values()} == {("pending", 1)}
    dump_figures(
        f"dispatch_claim_kills[{app.db.dialect}]",
        {"kills_after_claiming": kills, "messages": n, "attempts_after_the_kills": 0},
    )
