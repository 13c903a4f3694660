"""verify_events_per_s and replay_100_events_ms.

Seeding: two lifecycles are recorded through the real service (a 10-event one: file, assign,
link a reporter, reclassify, advance x2, refer, return, advance x2 to closed; and a 100-event
one). The 10-event case is cloned in bulk under new case ids, each clone cut after 1..10 events
(so open and closed cases of every stage exist), its hash chain recomputed with
`engine.audit.event_hash` and its projection taken from the service's own row at that version,
so `engine.store.audit_runner.verify` passes. Full: 1,000,000 events; quick: 100,000.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.core import Check, Context, Figure, log, median, rate_figure
from bench.seed import COMPLAINT, long_script, record, set_counter, write_clones
from bench.store import add_users, build, migrated_sqlite, raw_sqlite, sqlite_url

OFFICERS = [("kab.3271", "kabupaten", "3271"), ("kab.3271b", "kabupaten", "3271")]
TEN: list[tuple[str, dict[str, Any]]] = [
    ("assign", {"handler": "kab.3271b"}),
    ("link_reporter", {"reporter_name": "Pak Joko"}),
    ("reclassify", {"type": "pembayaran"}),
    ("advance", {}),
    ("advance", {"parties": "Dinas Sosial Kabupaten"}),
    ("refer", {"body": "dinas_teknis"}),
    ("return_from_referral", {"outcome": "Dinas teknis sudah menindaklanjuti"}),
    ("advance", {"result": "Data KPM diperbaiki di DTKS"}),
    ("advance", {"informed_via": "surat"}),
]


def _seed(ctx: Context, total_events: int) -> tuple[Path, str, int]:
    scratch = migrated_sqlite(ctx.workdir, "verify_template.db")
    app = build(sqlite_url(scratch))
    add_users(app, OFFICERS, datetime.now(UTC))
    data = {**COMPLAINT, "region": "3271011001"}
    ten = record(app, "kab.3271", data, TEN)
    hundred = record(app, "kab.3271", data, long_script(["kab.3271b", "kab.3271"], 100))
    app.db.dispose()
    assert len(ten.events) == 10 and len(hundred.events) == 100

    path = migrated_sqlite(ctx.workdir, "verify.db")
    add_users(build(sqlite_url(path)), OFFICERS, datetime.now(UTC))
    rng = random.Random(8)
    lengths: list[int] = []
    left = total_events - 100
    while left > 0:
        k = min(rng.randint(1, 10), left)
        lengths.append(k)
        left -= k
    n = len(lengths)
    specs = ((f"ADU-2026-{i + 1:06d}", k) for i, k in enumerate(lengths))
    t = time.perf_counter()
    events = write_clones(path, ten, specs, n, label="verify seed")
    long_id = f"ADU-2026-{n + 1:06d}"
    events += write_clones(path, hundred, [(long_id, 100)], 1, label="long case")
    set_counter(path, "ADU-2026", n + 1)
    con = raw_sqlite(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    log(f"  seeded {events:,} events in {n + 1:,} cases in {time.perf_counter() - t:.0f} s")
    return path, long_id, events


def _bare_verify(path: Path) -> tuple[int, int]:
    """A minimal chain check in bare Python: stream rows in (case, version) order, rebuild the
    canonical body, SHA-256 it, compare links. No projection replay. Returns (events, bad)."""
    con = raw_sqlite(path)
    genesis = "0" * 64
    cur = con.execute(
        "SELECT case_id, version, event_type, payload, workflow, workflow_version, actor, role, "
        "occurred_at, recorded_at, prev_hash, hash FROM case_events ORDER BY case_id, version"
    )
    dumps = json.dumps
    loads = json.loads
    sha = hashlib.sha256
    n = bad = 0
    last_case = None
    prev = genesis
    for case_id, ver, typ, payload, wf, wv, actor, role, occ, rec, prev_hash, h in cur:
        if case_id != last_case:
            last_case, prev = case_id, genesis
        body = [
            prev,
            case_id,
            ver,
            typ,
            loads(payload),
            wf,
            wv,
            actor,
            role,
            occ.replace(" ", "T") + "Z",
            rec.replace(" ", "T") + "Z",
        ]
        digest = sha(
            dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        ).hexdigest()
        if prev_hash != prev or digest != h:
            bad += 1
        prev = h
        n += 1
    con.close()
    return n, bad


def _bare_replay(path: Path, case_id: str) -> int:
    con = raw_sqlite(path)
    rows = con.execute(
        "SELECT * FROM case_events WHERE case_id = ? ORDER BY version", (case_id,)
    ).fetchall()
    out = [json.loads(r[4]) for r in rows]
    con.close()
    return len(out)


def run(ctx: Context) -> list[Figure]:
    from engine.state import replay
    from engine.store.audit_runner import default_workers, verify
    from engine.store.db import Database

    total = ctx.size(100_000, 1_000_000)
    path, long_id, events = _seed(ctx, total)
    url = sqlite_url(path)

    times: list[float] = []
    base: list[float] = []
    for rep in range(ctx.reps):
        for which in ("verify", "bare") if rep % 2 == 0 else ("bare", "verify"):
            if which == "verify":
                db = Database(url)
                t = time.perf_counter()
                report = verify(db, stop_at_first=True)
                dt = time.perf_counter() - t
                db.dispose()
                if not report.ok or report.events != events:
                    raise AssertionError(
                        f"verify over seeded data: ok={report.ok} events={report.events} "
                        f"problems={[str(p) for p in report.problems[:3]]}"
                    )
                times.append(dt)
            else:
                t = time.perf_counter()
                n, bad = _bare_verify(path)
                dt = time.perf_counter() - t
                assert n == events and bad == 0, (n, bad)
                base.append(dt)
            log(f"  verify rep {rep + 1}/{ctx.reps} {which}: {events / dt:,.0f} events/s")
    vf = rate_figure(
        "verify_events_per_s",
        "events/s",
        events,
        times,
        base,
        "bare Python chain check: sqlite3 scan in (case, version) order, canonical JSON, "
        "SHA-256, link compare (no projection replay)",
        f"{events:,} events",
    ).judge(Check("value", ">=", 200_000, ">= 200,000/s"))
    # the same check in one process, once, for the record (the figure is the default setup)
    db = Database(url)
    t = time.perf_counter()
    one = verify(db, stop_at_first=True, workers=1)
    one_rate = events / (time.perf_counter() - t)
    db.dispose()
    assert one.ok and one.events == events
    workers = default_workers()
    vf.note = (
        f"audit_runner.verify(stop_at_first=True) passes on the seeded data; {workers} worker "
        f"process(es) (the default: one per CPU); one process, one run: {one_rate:,.0f} events/s"
    )
    vf.extra = {"workers": workers, "one_process_events_per_s": one_rate}

    # one case of 100 events, through CaseService.replay (load from the store + fold)
    app = build(url)
    svc = app.service
    state = svc.replay(long_id)
    assert state is not None and state.version == 100
    calls = 200
    rt: list[float] = []
    rb: list[float] = []
    fold: list[float] = []
    evs = [c.event for c in svc.history(long_id)]
    for _ in range(max(ctx.reps, 7)):
        t = time.perf_counter()
        for _ in range(calls):
            svc.replay(long_id)
        rt.append((time.perf_counter() - t) / calls)
        t = time.perf_counter()
        for _ in range(calls):
            _bare_replay(path, long_id)
        rb.append((time.perf_counter() - t) / calls)
        t = time.perf_counter()
        for _ in range(calls):
            replay(evs)
        fold.append((time.perf_counter() - t) / calls)
    app.db.dispose()
    rp = Figure(
        "replay_100_events_ms",
        median(rt) * 1000,
        "ms",
        baseline=median(rb) * 1000,
        baseline_what="bare sqlite3: fetch the same 100 rows and json-decode their payloads",
        ratio=median([a / b for a, b in zip(rt, rb, strict=True)]),
        size=f"1 case of 100 events among {events:,}",
        runs=[x * 1000 for x in rt],
        baseline_runs=[x * 1000 for x in rb],
        note=f"CaseService.replay(case_id); the in-memory fold alone "
        f"(engine.state.replay) is {median(fold) * 1000:.3f} ms",
        extra={"fold_only_ms": median(fold) * 1000},
    ).judge(Check("value", "<=", 2, "<= 2 ms"))
    log(f"  replay_100_events_ms: {rp.value:.2f} ms (bare {rp.baseline:.2f} ms)")
    return [vf, rp]
