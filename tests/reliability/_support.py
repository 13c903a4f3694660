"""Helpers shared by the reliability tests and `scripts/soak.py`.

Everything a spawned or forked worker runs lives here at module level, so it can be pickled by
name: the writers racing on one case, the process filing and advancing complaints until killed.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import random
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from api.admin import add_user
from api.wiring import App, build_app
from engine.errors import ConcurrencyConflict, EngineError
from engine.settings import Settings
from engine.state import evolve
from engine.store.repository import CASES, EV, OUTBOX, addressees, event_from_row

TEST_SECRET = "test-secret-key-0123456789abcdef0123"  # as tests/conftest.py
POSTGRES_URL = os.environ.get(
    "PKH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
CASE_REGION = "3271011001"
WRITER_REGION = "3271"


def writer_name(i: int) -> str:
    return f"kab.w{i:02d}"


def make_app(url: str) -> App:
    return build_app(Settings(database_url=url, secret_key=TEST_SECRET))


def add_writers(app: App, n: int) -> list[str]:
    now = datetime.now(UTC)
    names = [writer_name(i) for i in range(n)]
    for name in names:
        add_user(app.db, name, "kabupaten", WRITER_REGION, now=now)
    return names


def filing(**overrides: Any) -> dict[str, Any]:
    data = {
        "type": "data_peserta",
        "channel": "surat",
        "level": "kabupaten",
        "region": CASE_REGION,
        "summary": "Nama KPM salah di data peserta",
        "reporter_name": "Ibu Siti",
        "reporter_contact": "siti@example.org",
    }
    data.update(overrides)
    return data


# ------------------------------------------------------------------------------ PostgreSQL
@contextmanager
def postgres_schema(url: str = POSTGRES_URL) -> Iterator[str]:
    """A fresh, migrated schema on the server (for scripts; tests use the db_url fixture)."""
    from engine.store.migrate import upgrade

    engine = sa.create_engine(url)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in url else "?"
    try:
        schema_url = f"{url}{sep}options=-csearch_path%3D{schema}"
        upgrade(schema_url)
        yield schema_url
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


def with_application_name(url: str, name: str) -> str:
    if not url.startswith("postgresql"):
        return url
    return f"{url}{'&' if '?' in url else '?'}application_name={name}"


def wait_backends_gone(url: str, name: str, timeout: float = 30.0) -> float:
    """Wait until the server has no session left with this application_name; returns seconds."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    start = time.monotonic()
    try:
        while True:
            with engine.connect() as conn:
                n = conn.execute(
                    sa.text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :n"),
                    {"n": name},
                ).scalar_one()
            if n == 0:
                return time.monotonic() - start
            if time.monotonic() - start > timeout:
                raise TimeoutError(f"{n} sessions of {name} still on the server after {timeout}s")
            time.sleep(0.02)
    finally:
        engine.dispose()


# --------------------------------------------------------------------------------- the race
def race_rounds(
    url: str,
    writer: int,
    rounds: int,
    case_id: str,
    barrier: Any,
    deadline: float,
    stop_round: Any = None,
    stop_at: float | None = None,
) -> dict[str, Any]:
    """One writer: each round, wait for everybody, then link_reporter at version round + 1.

    Returns {"rows": [(round, "won" | "conflict", expected, version), ...], "started", "ended"}:
    the new version for the winner, the current version the conflict named for a loser; and
    when the first round began and the last ended (time.time()). With `stop_round` (a shared
    integer, -1) and `stop_at` (a time.time()), writer 0 calls the last round once stop_at has
    passed; every writer stops at that same round.
    """
    app = make_app(url)
    me = writer_name(writer)
    out: list[tuple[int, str, int, int]] = []
    started = None
    try:
        for rnd in range(rounds):
            late = stop_at is not None and time.time() > stop_at
            if writer == 0 and stop_round is not None and late and stop_round.value < 0:
                stop_round.value = rnd
            barrier.wait(timeout=max(5.0, deadline - time.time()))
            started = started or time.time()
            if stop_round is not None and 0 <= stop_round.value <= rnd:
                break
            expected = rnd + 1
            try:
                state = app.service.apply(
                    case_id,
                    "link_reporter",
                    {"reporter_name": f"Pelapor {me} r{rnd}"},
                    me,
                    note=f"{me} r{rnd}",
                    expected_version=expected,
                )
                out.append((rnd, "won", expected, state.version))
            except ConcurrencyConflict as e:
                out.append((rnd, "conflict", e.expected, e.current))
    finally:
        app.db.dispose()
    return {"rows": out, "started": started or time.time(), "ended": time.time()}


def race_process(
    url: str,
    writer: int,
    rounds: int,
    case_id: str,
    barrier: Any,
    results: Any,
    deadline: float,
    stop_round: Any = None,
    stop_at: float | None = None,
) -> None:
    """Entry point of a spawned writer process: sends (writer, results or error) back."""
    try:
        rows = race_rounds(url, writer, rounds, case_id, barrier, deadline, stop_round, stop_at)
        results.put((writer, rows))
    except BaseException as e:  # noqa: BLE001 - the parent reports it
        try:
            barrier.abort()
        finally:
            results.put((writer, f"{type(e).__name__}: {e}"))


class _Flag:
    def __init__(self) -> None:
        self.value = -1


def run_threads(
    url: str, case_id: str, writers: int, rounds: int, time_limit: float, cap: float | None = None
) -> dict[int, Any]:
    """The race with one thread (and one app) per writer; `cap`: stop after so many seconds."""
    barrier = threading.Barrier(writers)
    results: dict[int, Any] = {}
    deadline = time.time() + time_limit
    stop_round, stop_at = _Flag(), (time.time() + cap if cap else None)

    def writer(i: int) -> None:
        try:
            results[i] = race_rounds(
                url, i, rounds, case_id, barrier, deadline, stop_round, stop_at
            )
        except BaseException as e:  # noqa: BLE001 - reported by check_race
            barrier.abort()
            results[i] = f"{type(e).__name__}: {e}"

    threads = [threading.Thread(target=writer, args=(i,), daemon=True) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(1.0, deadline - time.time()))
    assert not any(t.is_alive() for t in threads), "a writer thread hung"
    return results


def run_processes(
    url: str, case_id: str, writers: int, rounds: int, time_limit: float, cap: float | None = None
) -> dict[int, Any]:
    """The race with one spawned process (and one app) per writer."""
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(writers)
    queue = ctx.Queue()
    stop_round = ctx.Value("i", -1, lock=False)
    deadline = time.time() + time_limit
    stop_at = time.time() + cap if cap else None
    procs = [
        ctx.Process(
            target=race_process,
            args=(url, i, rounds, case_id, barrier, queue, deadline, stop_round, stop_at),
            daemon=True,
        )
        for i in range(writers)
    ]
    for p in procs:
        p.start()
    results: dict[int, Any] = {}
    try:
        for _ in range(writers):
            w, rows = queue.get(timeout=max(1.0, deadline - time.time()))
            results[w] = rows
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
    assert all(p.exitcode == 0 for p in procs), [p.exitcode for p in procs]
    return results


def race(
    app: App,
    url: str,
    *,
    writers: int,
    rounds: int,
    processes: bool,
    time_limit: float = 600.0,
    cap: float | None = None,
) -> dict[str, Any]:
    """Writers race on a fresh case; checks every invariant and returns the figures."""
    add_writers(app, writers)
    case_id = app.service.open_case("complaint", filing(), "kab.bogor").id
    start = time.perf_counter()
    runner = run_processes if processes else run_threads
    results = runner(url, case_id, writers, rounds, time_limit, cap)
    seconds = time.perf_counter() - start
    done = {len(r["rows"]) for r in results.values() if not isinstance(r, str)}
    assert len(done) <= 1, f"writers stopped at different rounds: {done}"
    figures = check_race(app, case_id, writers, done.pop() if done else rounds, results)
    racing = max(r["ended"] for r in results.values()) - min(r["started"] for r in results.values())
    figures.update(
        backend=app.db.dialect,
        writers_are="processes (spawn)" if processes else "threads",
        seconds=round(seconds, 1),
        racing_seconds=round(racing, 1),
        rounds_per_second=round(figures["rounds"] / max(racing, 1e-9), 1),
    )
    return figures


def check_race(
    app: App, case_id: str, writers: int, rounds: int, results: dict[int, Any]
) -> dict[str, Any]:
    """Assert the race's invariants; returns figures."""
    errors = {w: r for w, r in results.items() if isinstance(r, str)}
    assert not errors, f"writers failed: {errors}"
    assert sorted(results) == list(range(writers)), sorted(results)
    per_round: dict[int, list[tuple[int, str, int, int]]] = {r: [] for r in range(rounds)}
    for w, result in results.items():
        rows = result["rows"]
        assert [r[0] for r in rows] == list(range(rounds)), f"writer {w} skipped rounds"
        for rnd, kind, expected, version in rows:
            per_round[rnd].append((w, kind, expected, version))
    winners: dict[int, int] = {}
    for rnd, rows in per_round.items():
        kinds = Counter(kind for _, kind, _, _ in rows)
        assert kinds == {"won": 1, "conflict": writers - 1}, f"round {rnd}: {kinds}"
        for w, kind, expected, version in rows:
            assert expected == rnd + 1, (rnd, w, expected)
            # the winner made version rnd + 2; every loser was told the case is there now
            assert version == rnd + 2, (rnd, w, kind, version)
            if kind == "won":
                winners[rnd] = w
    with app.db.reading() as s:
        rows = s.execute(
            sa.select(EV.c.version, EV.c.actor, EV.c.event_type, EV.c.payload)
            .where(EV.c.case_id == case_id)
            .order_by(EV.c.id)
        ).all()
        outbox = s.execute(sa.select(sa.func.count()).select_from(OUTBOX)).scalar_one()
    versions = [r.version for r in rows]
    assert versions == list(range(1, rounds + 2)), "versions lost, doubled or out of order"
    for r in rows[1:]:
        rnd = r.version - 2
        me = writer_name(winners[rnd])
        assert (r.actor, r.event_type, r.payload.get("note")) == (
            me,
            "ReporterLinked",
            f"{me} r{rnd}",
        ), f"version {r.version} is not the event of round {rnd}'s winner"
    state = app.service.get(case_id)
    assert (state.version, state.attrs["reporters"]) == (rounds + 1, rounds + 1)
    # the filing's acknowledgement and one per reporter linked: each round's winner's alone
    assert outbox == rounds + 1, "a refused write queued a letter, or a winner's was lost"
    from engine.store import audit_runner

    report = audit_runner.verify(app.db, stop_at_first=False)
    assert report.ok, report.problems[:5]
    assert (report.cases, report.events) == (1, rounds + 1)
    wins = Counter(winners.values())
    return {
        "rounds": rounds,
        "writers": writers,
        "attempts": rounds * writers,
        "winners": len(winners),
        "conflicts": rounds * (writers - 1),
        "events": len(rows),
        "distinct_winning_writers": len(wins),
        "most_wins_by_one_writer": max(wins.values()),
    }


# ------------------------------------------------------------------------------- crash worker
ADVANCE_DATA = {"parties": "KPM dan pendamping", "result": "diperbaiki", "informed_via": "surat"}


def crash_worker(url: str, seed: int, ready: Any, committed: Any, busy: Any) -> None:
    """File and advance complaints through the service until killed (never returns).

    `committed` counts the commands that returned; `busy` is 1 while a command is under way.
    """
    rng = random.Random(seed)
    app = make_app(url)
    svc = app.service
    with app.db.reading() as s:
        open_ids = [
            r.id
            for r in s.execute(
                sa.select(CASES.c.id).where(
                    CASES.c.status == "open", CASES.c.workflow == "complaint"
                )
            )
        ]
    svc.calendar()  # build the working calendar now, so the kill window is all commands
    ready.set()
    serial = 0
    while True:
        serial += 1
        roll = rng.random()
        busy.value = 1
        try:
            if roll < 0.25 or not open_ids:
                if rng.random() < 0.2:
                    st = svc.open_case(
                        "complaint",
                        filing(level="pusat", region="32", summary=f"pusat {seed}/{serial}"),
                        "pusat.spm",
                    )
                else:
                    anonymous = rng.random() < 0.25
                    data = filing(summary=f"crash {seed}/{serial}")
                    if anonymous:
                        data.update(anonymous=True, reporter_name=None, reporter_contact=None)
                    st = svc.open_case("complaint", data, "kab.bogor")
                open_ids.append(st.id)
            else:
                case_id = rng.choice(open_ids)
                state = svc.get(case_id)
                actor = "pusat.spm" if state.level == "pusat" else "kab.bogor"
                pick = rng.random()
                if state.status != "open":
                    open_ids.remove(case_id)
                    continue
                if pick < 0.65:
                    st = svc.apply(case_id, "advance", ADVANCE_DATA, actor)
                elif pick < 0.75:
                    st = svc.apply(
                        case_id, "reject", {"reason": "bukan_pkh", "informed_via": "surat"}, actor
                    )
                elif pick < 0.85 and state.level == "pusat":
                    st = svc.apply(
                        case_id, "extend", {"working_days": 3, "reason": "menunggu data"}, actor
                    )
                elif pick < 0.9 and state.level == "kabupaten":
                    st = svc.apply(case_id, "escalate", {"reason": "perlu pusat"}, actor)
                else:
                    st = svc.apply(
                        case_id,
                        "link_reporter",
                        {"reporter_name": f"Pelapor {seed}/{serial}"},
                        actor,
                        note=f"crash {serial}",
                    )
                if st.status != "open":
                    open_ids.remove(case_id)
            committed.value += 1  # a lock-free counter: a lock held at the SIGKILL stays held
        except EngineError:
            continue
        finally:
            busy.value = 0


# ------------------------------------------------------------------------------------- outbox
def expected_outbox(app: App) -> tuple[Counter[tuple[Any, ...]], int]:
    """The outbox rows the committed events call for, by replaying every case's events."""
    want: Counter[tuple[Any, ...]] = Counter()
    events = 0
    with app.db.reading() as s:
        rows = s.execute(sa.select(EV).order_by(EV.c.case_id, EV.c.version)).all()
        state = None
        current = None
        for row in rows:
            ev = event_from_row(row).event
            if ev.case_id != current:
                current, state = ev.case_id, None
            events += 1
            state = evolve(state, ev)
            definition = app.registry.get(ev.workflow, ev.workflow_version)
            for template in definition.notifications.get(ev.type, ()):
                # the office's officers as the accounts stand now (no account changes here)
                for recipient in addressees(s, state, definition.recipients(state, template)):
                    want[(ev.case_id, ev.version, ev.type, template, recipient)] += 1
    return want, events


def check_outbox(app: App) -> dict[str, int]:
    """The outbox holds exactly the messages of the committed events; returns figures."""
    want, events = expected_outbox(app)
    with app.db.reading() as s:
        got = Counter(
            tuple(r)
            for r in s.execute(
                sa.select(
                    OUTBOX.c.case_id,
                    OUTBOX.c.event_version,
                    OUTBOX.c.event_type,
                    OUTBOX.c.template,
                    OUTBOX.c.recipient,
                )
            )
        )
        orphans = s.execute(
            sa.select(OUTBOX.c.id, OUTBOX.c.case_id, OUTBOX.c.event_version)
            .select_from(
                OUTBOX.outerjoin(
                    EV,
                    sa.and_(
                        EV.c.case_id == OUTBOX.c.case_id, EV.c.version == OUTBOX.c.event_version
                    ),
                )
            )
            .where(EV.c.id.is_(None))
        ).all()
    assert not orphans, f"outbox rows without their event: {orphans[:5]}"
    missing, extra = want - got, got - want
    assert not missing and not extra, f"outbox differs: missing {missing}, extra {extra}"
    return {"events": events, "outbox": sum(got.values())}


FIGURES: list[str] = []  # printed at the end of the run by tests/reliability/conftest.py


def dump_figures(name: str, figures: dict[str, Any]) -> None:
    """Print the figures; append them to $PKH_RELIABILITY_FIGURES (a JSON-lines file) if set."""
    line = json.dumps({"test": name, **figures}, default=str)
    FIGURES.append(line)
    print(f"\nFIGURES {line}")
    path = os.environ.get("PKH_RELIABILITY_FIGURES")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(line + "\n")


# --------------------------------------------------------------------------------- kill loop
def counts(app: App) -> tuple[int, int]:
    with app.db.reading() as s:
        cases = s.execute(sa.select(sa.func.count()).select_from(CASES)).scalar_one()
        events = s.execute(sa.select(sa.func.count()).select_from(EV)).scalar_one()
    return int(cases), int(events)


def kill_loop(
    app: App,
    url: str,
    kills: int,
    seed: int,
    *,
    run_before_kill: tuple[float, float] = (0.05, 0.5),
    time_cap: float = 600.0,
) -> dict[str, Any]:
    """Start the crash worker, SIGKILL it, check the store; `kills` times. Returns figures."""
    from engine.store import audit_runner

    rng = random.Random(seed)
    ctx = mp.get_context("fork")  # the test process has everything imported already
    name = f"pkh_crash_{uuid.uuid4().hex[:8]}"
    child_url = with_application_name(url, name)
    committed = ctx.Value("q", 0, lock=False)  # one worker at a time; never a lock to die holding
    busy = ctx.Value("b", 0, lock=False)
    in_command = 0
    waited_for_server = 0.0
    slowest_verify = 0.0
    start = time.perf_counter()
    done = 0
    outbox = {"outbox": 0}
    for k in range(kills):
        if time.perf_counter() - start > time_cap:
            break
        app.db.dispose()  # nothing of ours is shared with the child
        ready = ctx.Event()
        busy.value = 0
        proc = ctx.Process(
            target=crash_worker, args=(child_url, seed * 1000 + k, ready, committed, busy)
        )
        proc.start()
        assert ready.wait(60), "the worker did not start"
        time.sleep(rng.uniform(*run_before_kill))
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(30)
        in_command += busy.value
        assert proc.exitcode == -signal.SIGKILL, f"the worker ended on its own: {proc.exitcode}"
        if url.startswith("postgresql"):
            waited_for_server += wait_backends_gone(url, name)
        t = time.perf_counter()
        report = audit_runner.verify(app.db, stop_at_first=False)
        slowest_verify = max(slowest_verify, time.perf_counter() - t)
        assert report.ok, f"after kill {k + 1}: {[str(p) for p in report.problems[:5]]}"
        outbox = check_outbox(app)
        done += 1
    cases, events = counts(app)
    assert events > cases >= 5, (cases, events)  # it did real work
    return {
        "backend": app.db.dialect,
        "kills": done,
        "killed_inside_a_command": in_command,
        "cases": cases,
        "events": events,
        "commands_acknowledged": committed.value,
        "outbox_rows": outbox["outbox"],
        "seconds": round(time.perf_counter() - start, 1),
        "slowest_verify_s": round(slowest_verify, 3),
        "server_cleanup_wait_s": round(waited_for_server, 2),
    }


def killer_at(point: str, n: int) -> Callable[[str], None]:
    """`die_at(here)` for a crash test's child process: it SIGKILLs itself the n-th time it
    reaches `point`."""
    seen = 0

    def die_at(here: str) -> None:
        nonlocal seen
        if here == point:
            seen += 1
            if seen == n:
                os.kill(os.getpid(), signal.SIGKILL)

    return die_at
