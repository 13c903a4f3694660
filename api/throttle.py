"""Sign-in throttling: failed sign-ins slow a password guesser down, without letting anyone lock
the officers out.

Failures are counted per client address (an IPv6 client's /64 network): 5 for one username (in any
letter case) within 15 minutes, then that address may not try that username until the oldest of them
is 15 minutes old; 100 for any usernames (guessing one password across the accounts), then that
address may not sign in at all for as long. Another address, the officer's own, is never held back
by them, and a sign-in that succeeds clears its address's count for that username. A refused attempt
is not checked (no password hash computed) and not counted, so hammering does not extend the wait.

An attempt is counted as a failure *before* its password is checked (`SignInThrottle.attempt`: the
count and the new failure in one step, under one lock), and a success takes it back
(`SignInThrottle.succeeded`). Checking first and counting after the verdict let parallel guesses
all pass the check before any failure was counted: 16 wrong passwords sent at once got about 12
password checks instead of 5. Now at most 5 attempts for one (address, username) reach the
password check within the window however many arrive at once, in one process or in several. A
process that dies between the two steps (or a password check that raises) leaves its attempt
counted as a failure: the throttle errs toward holding back, and the officer at another address is
not affected. A success that clears the count while other attempts of that address and username
are still being checked clears theirs too (their failures are then not counted): only someone at
that address who knows the password can do that.

The API keeps the failures in the database (`StoredFailures`, table `sign_in_failures`), so
every uvicorn worker and every machine counts the same ones: counted in each process, `--workers
N` gave a guesser N times the attempts. `MemoryFailures` keeps them in the process (the pure
tests). The address is the one uvicorn gives the request: behind a proxy it must pass the
client's (`--proxy-headers`, with the proxy in `--forwarded-allow-ips`), or every officer shares
the proxy's address and its count.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from engine.errors import EngineError
from engine.store.db import Database
from engine.store.tables import SignInFailureRow

WINDOW = timedelta(minutes=15)
PER_ACCOUNT = 5  # failures of one address for one username within the window
PER_ADDRESS = 100  # failures of one address for any usernames within the window
MAX_KEYS = 100_000  # entries kept before the old ones are swept out (memory stays bounded)
ANY = ""  # the key of an address's failures for every username

Key = tuple[str, str]  # (address, username key); ANY as the username: any username


class TooManySignIns(EngineError):
    """Too many failed sign-ins from this address (for this username): try again later."""

    code = "too_many_sign_ins"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"too many failed sign-ins from this address: try again in {retry_after} seconds"
        )
        self.retry_after = retry_after


@dataclass(frozen=True)
class Refused:
    """A reservation refused: `until` is the latest moment one of its keys' limits is reached
    by (the n-th latest failure's time; the attempt may come a window after it)."""

    until: datetime


@dataclass(frozen=True)
class Attempt:
    """A sign-in let through to its password check, already counted as a failure (`held`: the
    store's handle of what it recorded) until `SignInThrottle.succeeded` takes it back."""

    key: Key
    held: Any


class Failures(Protocol):
    """Where failed sign-ins are kept, under (address, username key)."""

    def reserve(
        self, limits: Sequence[tuple[Key, int]], now: datetime, since: datetime, stale: datetime
    ) -> Any:
        """In one step that no other reserve of the same address interleaves with: when every
        key has fewer than its limit of failures after `since`, record a failure under each at
        `now` and return a handle of them; else record nothing and return `Refused` (failures
        before `stale` may go)."""

    def release(self, held: Any, clear: Key) -> None:
        """Take back the failures `held` (a reserve's handle) and clear every failure of
        `clear` (a success)."""


class SignInThrottle:
    def __init__(
        self,
        window: timedelta = WINDOW,
        per_account: int = PER_ACCOUNT,
        per_address: int = PER_ADDRESS,
        store: Failures | None = None,
    ) -> None:
        self.window, self.per_account, self.per_address = window, per_account, per_address
        self.store: Failures = store if store is not None else MemoryFailures()

    def attempt(self, address: str, username: str, now: datetime) -> Attempt:
        """Let `address` try `username` now, counting the attempt as a failure at once (until
        `succeeded`); TooManySignIns when it may not (the attempt then counts for nothing)."""
        address = client_key(address)
        key = (address, _key(username))
        limits = [(key, self.per_account), ((address, ANY), self.per_address)]
        held = self.store.reserve(limits, now, now - self.window, now - self.window)
        if isinstance(held, Refused):
            wait = (held.until + self.window - now).total_seconds()
            raise TooManySignIns(max(1, math.ceil(wait)))
        return Attempt(key, held)

    def succeeded(self, attempt: Attempt) -> None:
        """The attempt's password was right: it is not a failure, and its address's count for
        that username is cleared."""
        self.store.release(attempt.held, attempt.key)


class MemoryFailures:
    """The failures in this process's memory (bounded: MAX_KEYS keys). One lock makes each
    reserve one step for the threads of the process."""

    def __init__(self) -> None:
        self._failures: dict[Key, deque[datetime]] = {}
        self._lock = threading.Lock()

    def reserve(
        self, limits: Sequence[tuple[Key, int]], now: datetime, since: datetime, stale: datetime
    ) -> Refused | list[tuple[Key, datetime]]:
        with self._lock:
            reached = [t for key, n in limits if (t := self._nth_latest(key, since, n))]
            if reached:
                return Refused(max(reached))
            if len(self._failures) >= MAX_KEYS:
                self._sweep(stale)
            for key, _ in limits:
                self._failures.setdefault(key, deque()).append(now)
            return [(key, now) for key, _ in limits]

    def release(self, held: list[tuple[Key, datetime]], clear: Key) -> None:
        with self._lock:
            for key, at in held:
                times = self._failures.get(key)
                if times is not None and at in times:
                    times.remove(at)  # one of the equal times: the order stays
            self._failures.pop(clear, None)

    def _nth_latest(self, key: Key, since: datetime, n: int) -> datetime | None:
        times = self._failures.get(key)
        if not times:
            return None
        while times and times[0] <= since:
            times.popleft()
        if not times:
            del self._failures[key]
            return None
        return times[-n] if len(times) >= n else None

    def _sweep(self, stale: datetime) -> None:
        for key in [k for k, t in self._failures.items() if not t or t[-1] <= stale]:
            del self._failures[key]
        while len(self._failures) >= MAX_KEYS:  # still full of fresh ones: the oldest go
            self._failures.pop(next(iter(self._failures)))


FAILURES = SignInFailureRow.__table__  # type: ignore[attr-defined]


class StoredFailures:
    """The failures in the database, shared by every API process. A reserve counts and inserts
    in one write transaction, which no other reserve of the same address interleaves with: on
    SQLite every write transaction is one at a time (`BEGIN IMMEDIATE`, and this process's
    writer lock: `Database.transaction`); on PostgreSQL (READ COMMITTED, each statement seeing
    what was committed before it) the transaction first takes a transaction-level advisory
    lock on the address, so the counts it reads include every failure reserved before it.
    Each process deletes the failures older than the window at most once a window (not at
    every failure: concurrent deletes of the same rows would wait on each other)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._swept: datetime | None = None

    def reserve(
        self, limits: Sequence[tuple[Key, int]], now: datetime, since: datetime, stale: datetime
    ) -> Refused | list[int]:
        f = FAILURES.c
        # An address already held back is refused by a read, without the write lock: a guesser
        # hammering it does not queue every sign-in's write behind its own. Only the count in
        # the write transaction below decides that an attempt may go on.
        with self.db.reading() as s:
            if refused := _reached(s, limits, since):
                return refused
        with self.db.transaction() as s:
            if self.db.dialect == "postgresql":
                lock = sa.select(sa.func.pg_advisory_xact_lock(_lock_id(limits[0][0][0])))
                s.execute(lock)
            if refused := _reached(s, limits, since):
                return refused
            ids = [
                s.execute(
                    sa.insert(FAILURES)
                    .values(address=address[:100], username=username, failed_at=now)
                    .returning(f.id)
                ).scalar_one()
                for (address, username), _ in limits
            ]
            if self._swept is None or self._swept <= stale:
                s.execute(sa.delete(FAILURES).where(f.failed_at <= stale))
                self._swept = now
            return ids

    def release(self, held: list[int], clear: Key) -> None:
        f = FAILURES.c
        with self.db.transaction() as s:
            s.execute(
                sa.delete(FAILURES).where(
                    sa.or_(
                        f.id.in_(held),
                        sa.and_(f.address == clear[0][:100], f.username == clear[1]),
                    )
                )
            )


def _reached(s: Session, limits: Sequence[tuple[Key, int]], since: datetime) -> Refused | None:
    """Refused when a key has its limit of failures after `since` (the latest such n-th)."""
    f = FAILURES.c
    reached = []
    for (address, username), n in limits:
        q = (
            sa.select(f.failed_at)
            .where(f.address == address[:100], f.username == username, f.failed_at > since)
            .order_by(f.failed_at.desc())
            .offset(n - 1)
            .limit(1)
        )
        if (t := s.execute(q).scalar()) is not None:
            reached.append(t)
    return Refused(max(reached)) if reached else None


def _lock_id(address: str) -> int:
    """The PostgreSQL advisory lock (a signed 64-bit number) of an address's failures: two
    addresses sharing one only wait for each other."""
    digest = hashlib.blake2b(f"pkh.sign_in:{address}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def client_key(host: str) -> str:
    """The address failures are counted under: an IPv6 client's /64 network (one household's
    or server's allotment, so a guesser cannot take a fresh address per try), an IPv4 one as
    it is."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


BLANK = " "  # a blank username's key: no stripped username is it, and it is not ANY


def _key(username: str) -> str:
    return (username or "").strip().lower()[:80] or BLANK
