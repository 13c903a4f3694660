"""Sign-in throttling: failed sign-ins slow a password guesser down, without letting anyone lock
the officers out.

Failures are counted per client address (an IPv6 client's /64 network): 5 for one username (in any
letter case) within 15 minutes, then that address may not try that username until the oldest of them
is 15 minutes old; 100 for any usernames (guessing one password across the accounts), then that
address may not sign in at all for as long. Another address, the officer's own, is never held back
by them, and a sign-in that succeeds clears its address's count for that username. A refused attempt
is not checked (no password hash computed) and not counted, so hammering does not extend the wait.

The counts live in the API process (one per uvicorn worker: with `--workers N` a guesser gets up
to N times the attempts). The address is the one uvicorn gives the request: behind a proxy it
must pass the client's (`--proxy-headers`, with the proxy in `--forwarded-allow-ips`), or every
officer shares the proxy's address and its count.
"""

from __future__ import annotations

import ipaddress
import math
import threading
from collections import deque
from datetime import datetime, timedelta

from engine.errors import EngineError

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


class SignInThrottle:
    def __init__(
        self,
        window: timedelta = WINDOW,
        per_account: int = PER_ACCOUNT,
        per_address: int = PER_ADDRESS,
    ) -> None:
        self.window, self.per_account, self.per_address = window, per_account, per_address
        self._failures: dict[tuple[str, str], deque[datetime]] = {}
        self._lock = threading.Lock()

    def check(self, address: str, username: str, now: datetime) -> None:
        """Raise TooManySignIns when `address` may not try `username` now."""
        address = client_key(address)
        with self._lock:
            wait = max(
                self._wait((address, _key(username)), self.per_account, now),
                self._wait((address, ANY), self.per_address, now),
            )
        if wait > 0:
            raise TooManySignIns(max(1, math.ceil(wait)))

    def failed(self, address: str, username: str, now: datetime) -> None:
        address = client_key(address)
        with self._lock:
            if len(self._failures) >= MAX_KEYS:
                self._sweep(now)
            for key in ((address, _key(username)), (address, ANY)):
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, address: str, username: str) -> None:
        with self._lock:
            self._failures.pop((client_key(address), _key(username)), None)

    def _wait(self, key: tuple[str, str], limit: int, now: datetime) -> float:
        """Seconds until `key` has fewer than `limit` failures in the window (0: now)."""
        times = self._failures.get(key)
        if not times:
            return 0
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[key]
            return 0
        if len(times) < limit:
            return 0
        return (times[-limit] + self.window - now).total_seconds()

    def _sweep(self, now: datetime) -> None:
        for key in [k for k, t in self._failures.items() if not t or t[-1] <= now - self.window]:
            del self._failures[key]
        while len(self._failures) >= MAX_KEYS:  # still full of fresh ones: the oldest go
            self._failures.pop(next(iter(self._failures)))


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
