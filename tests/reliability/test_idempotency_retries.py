"""Idempotency keys hold under retries with network-like failures, against a real server.

uvicorn serves the app on loopback (a temp SQLite file); the clients talk to it through a small
TCP proxy that, per connection and at random, either passes the exchange or:

- `cut_before`: reads the request and resets the connection without forwarding it;
- `cut_after`: forwards the request, waits for the server's whole answer (the command has
  committed), then resets the client's connection instead of answering;
- `truncate`: forwards half the answer, then resets;
- `stall`: holds the answer past the client's read timeout;
- `twice`: delivers the request to the server twice at once (a duplicating middlebox), answers
  with the first reply.

Four client threads each file complaints and post events with an `Idempotency-Key` (events also
with `If-Match`: a retry of a committed event must get the stored answer, not a 409), retrying
each logical request with the same key until an answer arrives. Afterwards every logical request
recorded exactly one event, every answer matches the store, and audit verify passes.
(tests/integration/test_api.py covers the same key re-sent in process, and two clients racing.)
"""

from __future__ import annotations

import contextlib
import random
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import uvicorn

from api.http import TOKEN_TTL, create_app
from api.security import create_token
from api.wiring import App
from engine.store import audit_runner
from engine.store.repository import CASES, EV
from engine.store.tables import IdempotencyRow
from tests.conftest import another_reporter
from tests.reliability._support import dump_figures, filing

CLIENTS = 4
FILINGS_PER_CLIENT = 6
EVENTS_PER_CASE = 4
FATES = {  # probability of each fate per connection
    "pass": 0.40,
    "cut_before": 0.15,
    "cut_after": 0.20,
    "truncate": 0.10,
    "stall": 0.05,
    "twice": 0.10,
}
CLIENT_TIMEOUT = 1.0
STALL = CLIENT_TIMEOUT + 0.5
MAX_ATTEMPTS = 60


# ----------------------------------------------------------------------------------- the proxy
def _read_message(sock: socket.socket) -> bytes:
    """One HTTP/1.1 message (headers and a Content-Length body) from the socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def _reset(sock: socket.socket) -> None:
    """Close with a TCP RST, as a dropped connection looks to the peer."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class CuttingProxy:
    def __init__(self, upstream: tuple[str, int], seed: int) -> None:
        self.upstream = upstream
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.fates: Counter[str] = Counter()
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.closed = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _fate(self) -> str:
        with self.lock:
            fate = self.rng.choices(list(FATES), weights=list(FATES.values()))[0]
            self.fates[fate] += 1
            return fate

    def _accept(self) -> None:
        while not self.closed:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _exchange(self, request: bytes) -> bytes:
        with socket.create_connection(self.upstream, timeout=30) as up:
            up.sendall(request)
            return _read_message(up)

    def _handle(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(30)
            request = _read_message(conn)
            if not request:
                conn.close()
                return
            fate = self._fate()
            if fate == "cut_before":
                _reset(conn)
                return
            if fate == "twice":
                replies: list[bytes] = []
                other = threading.Thread(target=lambda: replies.append(self._exchange(request)))
                other.start()
                response = self._exchange(request)
                other.join(30)
            else:
                response = self._exchange(request)
            if fate == "cut_after":
                _reset(conn)
                return
            if fate == "truncate":
                conn.sendall(response[: len(response) // 2])
                _reset(conn)
                return
            if fate == "stall":
                time.sleep(STALL)
            conn.sendall(response)
            conn.close()
        except OSError:
            conn.close()

    def close(self) -> None:
        self.closed = True
        self.listener.close()


# ---------------------------------------------------------------------------------- the server
@pytest.fixture
def server(sqlite_app: App) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    srv = uvicorn.Server(uvicorn.Config(create_app(sqlite_app), log_level="warning"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"127.0.0.1:{sock.getsockname()[1]}"
    srv.should_exit = True
    thread.join(timeout=10)


# ---------------------------------------------------------------------------------- the client
@dataclass
class Tally:
    attempts: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    most_attempts: int = 0


def send(
    client: httpx.Client, method: str, path: str, headers: dict[str, str], body: Any, tally: Tally
) -> httpx.Response:
    """Send until an answer arrives, always with the same headers (and so the same key)."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        tally.attempts += 1
        try:
            r = client.request(method, path, headers=headers, json=body)
            tally.most_attempts = max(tally.most_attempts, attempt)
            return r
        except httpx.TransportError as e:
            tally.errors[type(e).__name__] += 1
    raise AssertionError(f"no answer after {MAX_ATTEMPTS} attempts: {method} {path}")


def client_run(
    base: str, token: str, client_no: int, tally: Tally, log: list[dict[str, Any]]
) -> None:
    # no keep-alive: every attempt is a new connection through the proxy
    no_reuse = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(base_url=base, timeout=CLIENT_TIMEOUT, limits=no_reuse) as client:
        client_requests(client, token, client_no, tally, log)


def client_requests(
    client: httpx.Client, token: str, client_no: int, tally: Tally, log: list[dict[str, Any]]
) -> None:
    auth = {"Authorization": f"Bearer {token}"}
    for f in range(FILINGS_PER_CLIENT):
        key = f"file-{client_no}-{f}"
        summary = f"Bantuan belum diterima ({key})"
        r = send(
            client,
            "POST",
            "/complaints",
            {**auth, "Idempotency-Key": key},
            filing(summary=summary),
            tally,
        )
        assert r.status_code == 201, r.text
        case = r.json()
        assert case["version"] == 1 and case["attrs"]["summary"] == summary
        log.append({"kind": "file", "key": key, "case": case["id"], "version": 1})
        version = 1
        for e in range(EVENTS_PER_CASE):
            key = f"event-{client_no}-{f}-{e}"
            headers = {**auth, "Idempotency-Key": key, "If-Match": f'"{version}"'}
            r = send(
                client,
                "POST",
                f"/cases/{case['id']}/events",
                headers,
                {
                    "event": "link_reporter",
                    "note": key,
                    "data": {"reporter_name": f"Pelapor {key}"},
                },
                tally,
            )
            assert r.status_code == 200, (key, r.status_code, r.text)
            assert r.json()["version"] == version + 1, (key, r.json()["version"], version)
            assert r.headers["etag"] == f'"{version + 1}"'
            version += 1
            log.append({"kind": "event", "key": key, "case": case["id"], "version": version})


def test_every_logical_request_records_exactly_one_event_through_a_cutting_proxy(
    sqlite_app: App, server: str
) -> None:
    proxy = CuttingProxy(("127.0.0.1", int(server.rsplit(":", 1)[1])), seed=20261122)
    base = f"http://127.0.0.1:{proxy.port}"
    token = create_token(
        "kab.bogor", sqlite_app.settings.secret_key, sqlite_app.service.clock(), TOKEN_TTL
    )
    tallies = [Tally() for _ in range(CLIENTS)]
    logs: list[list[dict[str, Any]]] = [[] for _ in range(CLIENTS)]
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            client_run(base, token, i, tallies[i], logs[i])
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    start = time.perf_counter()
    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    proxy.close()
    seconds = time.perf_counter() - start
    assert not any(t.is_alive() for t in threads), "a client hung"
    assert not errors, errors

    log = [entry for client_log in logs for entry in client_log]
    filings = [e for e in log if e["kind"] == "file"]
    events = [e for e in log if e["kind"] == "event"]
    assert len(filings) == CLIENTS * FILINGS_PER_CLIENT
    assert len(events) == CLIENTS * FILINGS_PER_CLIENT * EVENTS_PER_CASE
    with sqlite_app.db.reading() as s:
        cases = {r.id: r for r in s.execute(sa.select(CASES))}
        rows = s.execute(sa.select(EV).order_by(EV.c.case_id, EV.c.version)).all()
        keys = s.execute(sa.select(sa.func.count()).select_from(IdempotencyRow)).scalar_one()
    # one case per filing, with the summary of that filing
    assert sorted(cases) == sorted(e["case"] for e in filings), "a filing opened 0 or 2 cases"
    for e in filings:
        assert e["key"] in cases[e["case"]].summary
    # one event per logical event request, at the version its answer named
    notes = Counter(r.payload.get("note") for r in rows if r.event_type == "ReporterLinked")
    doubled = {k: n for k, n in notes.items() if n != 1}
    assert not doubled, f"events recorded more than once: {doubled}"
    at = {(r.case_id, r.version): r.payload.get("note") for r in rows}
    for e in events:
        assert at.get((e["case"], e["version"])) == e["key"], e
    assert len(rows) == len(filings) + len(events)
    for case_id, case in cases.items():
        assert case.version == 1 + EVENTS_PER_CASE, case_id
    assert keys == len(log), "one idempotency record per logical request"
    report = audit_runner.verify(sqlite_app.db, stop_at_first=False)
    assert report.ok, report.problems[:5]

    attempts = sum(t.attempts for t in tallies)
    failed = sum((t.errors for t in tallies), Counter())
    fates = dict(proxy.fates)
    assert fates.get("cut_after", 0) >= 5 and fates.get("twice", 0) >= 3, fates
    dump_figures(
        "idempotency_retries[sqlite, uvicorn]",
        {
            "logical_requests": len(log),
            "filings": len(filings),
            "events_posted": len(events),
            "http_attempts": attempts,
            "retries": attempts - len(log),
            "client_errors": dict(failed),
            "proxy_fates": fates,
            "most_attempts_for_one_request": max(t.most_attempts for t in tallies),
            "events_recorded": len(rows),
            "seconds": round(seconds, 1),
        },
    )


def test_the_proxy_really_cuts_after_the_server_committed(sqlite_app: App, server: str) -> None:
    """A control: without the key, a response lost after the commit makes a retry a 409."""
    case_id = sqlite_app.service.open_case("complaint", filing(), "kab.bogor").id
    token = create_token(
        "kab.bogor", sqlite_app.settings.secret_key, sqlite_app.service.clock(), TOKEN_TTL
    )
    proxy = CuttingProxy(("127.0.0.1", int(server.rsplit(":", 1)[1])), seed=1)
    saved = dict(FATES)
    try:
        FATES.clear()
        FATES["cut_after"] = 1.0
        headers = {"Authorization": f"Bearer {token}", "If-Match": '"1"'}
        with pytest.raises(httpx.TransportError):
            httpx.post(
                f"http://127.0.0.1:{proxy.port}/cases/{case_id}/events",
                json={"event": "link_reporter", "data": another_reporter()},
                headers=headers,
                timeout=CLIENT_TIMEOUT,
            )
    finally:
        FATES.clear()
        FATES.update(saved)
        proxy.close()
    assert sqlite_app.service.get(case_id).version == 2  # it committed; the answer was lost
    r = httpx.post(
        f"http://{server}/cases/{case_id}/events",
        json={"event": "link_reporter", "data": another_reporter()},
        headers=headers,
        timeout=CLIENT_TIMEOUT,
    )
    assert r.status_code == 409 and r.json()["current_version"] == 2, r.text
    assert sqlite_app.service.get(case_id).version == 2
