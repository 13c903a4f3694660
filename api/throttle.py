"""Sign-in throttling: failed sign-ins slow a password guesser down, without letting anyone lock
the officers out.

Failures are counted per client address (an IPv6 client's /64 network): 5 for one username (in any
letter case) within 15 minutes, then that address may not try that username until the oldest of them
is 15 minutes old; 100 for any usernames (guessing one password across the accounts), then that
address may not sign in at all for as long. Another address, the officer's own, is never held back
by them, and a sign-in that succeeds clears its address's count for that username. A refused attempt
is not checked (no password hash computed) and not counted, so hammering does not extend the wait.

The API keeps the failures in the database (`StoredFailures`, table `sign_in_failures`), so
every uvicorn worker and every machine counts the same ones: counted in each process, `--workers
N` gave a guesser N times the attempts. `MemoryFailures` keeps them in the process (the pure
tests). The address is the one uvicorn gives the request: behind a proxy it must pass the
client's (`--proxy-headers`, with the proxy in `--forwarded-allow-ips`), or every officer shares
the proxy's address and its count.
"""

from __future__ import annotations

import ipaddress
import math
import threading
from collections import deque
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

import sqlalchemy as sa

from engine.errors import EngineError
from engine.store.db import Database
from engine.store.tables import SignInFailureRow

WINDOW = timedelta(minutes=15)
PER_ACCOUNT = 5  # failures of one address for one username within the window
PER_ADDRESS = 100  # failures of one address for any usernames within the window
MAX_KEYS = 100_000  # entries kept before the old ones are swept out (memory stays bounded)
ANY = ""  # the key of an address's failures for every username


class TooManySignIns(EngineError):
    """Too many failed sign-ins from this address (for this username): try again later."""

    code = "too_many_sign_ins"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"too many failed sign-ins from this address: try again in {retry_after} seconds"
        )
        self.retry_after = retry_after


class Failures(Protocol):
    """Where failed sign-ins are kept, under (address, username key)."""

    def nth_latest(self, key: tuple[str, str], since: datetime, n: int) -> datetime | None:
        """The n-th most recent failure of `key` after `since`; None if there are fewer."""

    def add(self, keys: Sequence[tuple[str, str]], now: datetime, stale: datetime) -> None:
        """Record a failure under each key at `now` (failures before `stale` may go)."""

    def clear(self, key: tuple[str, str]) -> None: ...


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

    def check(self, address: str, username: str, now: datetime) -> None:
        """Raise TooManySignIns when `address` may not try `username` now."""
        address = client_key(address)
        wait = max(
            self._wait((address, _key(username)), self.per_account, now),
            self._wait((address, ANY), self.per_address, now),
        )
        if wait > 0:
            raise TooManySignIns(max(1, math.ceil(wait)))

    def failed(self, address: str, username: str, now: datetime) -> None:
        address = client_key(address)
        keys = [(address, _key(username)), (address, ANY)]
        self.store.add(keys, now, now - self.window)

    def succeeded(self, address: str, username: str) -> None:
        self.store.clear((client_key(address), _key(username)))

    def _wait(self, key: tuple[str, str], limit: int, now: datetime) -> float:
        """Seconds until `key` has fewer than `limit` failures in the window (0: now)."""
        oldest = self.store.nth_latest(key, now - self.window, limit)
        return 0 if oldest is None else (oldest + self.window - now).total_seconds()


class MemoryFailures:
    """The failures in this process's memory (bounded: MAX_KEYS keys)."""

    def __init__(self) -> None:
        self._failures: dict[tuple[str, str], deque[datetime]] = {}
        self._lock = threading.Lock()

    def nth_latest(self, key: tuple[str, str], since: datetime, n: int) -> datetime | None:
        with self._lock:
            times = self._failures.get(key)
            if not times:
                return None
            while times and times[0] <= since:
                times.popleft()
            if not times:
                del self._failures[key]
                return None
            return times[-n] if len(times) >= n else None

    def add(self, keys: Sequence[tuple[str, str]], now: datetime, stale: datetime) -> None:
        with self._lock:
            if len(self._failures) >= MAX_KEYS:
                self._sweep(stale)
            for key in keys:
                self._failures.setdefault(key, deque()).append(now)

    def clear(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def _sweep(self, stale: datetime) -> None:
        for key in [k for k, t in self._failures.items() if not t or t[-1] <= stale]:
            del self._failures[key]
        while len(self._failures) >= MAX_KEYS:  # still full of fresh ones: the oldest go
            self._failures.pop(next(iter(self._failures)))


FAILURES = SignInFailureRow.__table__  # type: ignore[attr-defined]


class StoredFailures:
    """The failures in the database, shared by every API process. Each process deletes the
    ones older than the window at most once a window (not at every failure: concurrent
    deletes of the same rows would wait on each other)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._swept: datetime | None = None

    def nth_latest(self, key: tuple[str, str], since: datetime, n: int) -> datetime | None:
        f = FAILURES.c
        q = (
            sa.select(f.failed_at)
            .where(f.address == key[0], f.username == key[1], f.failed_at > since)
            .order_by(f.failed_at.desc())
            .offset(n - 1)
            .limit(1)
        )
        with self.db.reading() as s:
            found: datetime | None = s.execute(q).scalar()
        return found

    def add(self, keys: Sequence[tuple[str, str]], now: datetime, stale: datetime) -> None:
        rows = [{"address": a[:100], "username": u, "failed_at": now} for a, u in keys]
        with self.db.transaction() as s:
            s.execute(sa.insert(FAILURES), rows)
            if self._swept is None or self._swept <= stale:
                s.execute(sa.delete(FAILURES).where(FAILURES.c.failed_at <= stale))
                self._swept = now

    def clear(self, key: tuple[str, str]) -> None:
        f = FAILURES.c
        with self.db.transaction() as s:
            s.execute(sa.delete(FAILURES).where(f.address == key[0], f.username == key[1]))


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


def _key(username: str) -> str:
    return (username or "").strip().lower()[:80]
