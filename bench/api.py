"""api_worklist_p99_ms and api_post_events_per_s: `pkh serve` (uvicorn, one worker) on loopback,
driven by wrk (Debian's package) with 50 connections, baseline FastAPI's bare /health route
measured against the same server process in the same run.

Data: 100,000 open complaint projections seeded with SQL (5% due or overdue), plus 2,000 cases
with real events (a filing recorded through the service, cloned with correct hash chains) that
the POST load drives: advance x4 (closing writes the result-letter outbox row), then reopen,
round and round; each wrk thread owns its half of the cases, so no request is refused.

Worklist: `GET /cases?status=open&limit=50` as a pusat officer (national scope: all 100k cases
are candidates). The same for a kabupaten officer is recorded in `extra`.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.core import Check, Context, Figure, log, median
from bench.seed import (
    COMPLAINT,
    ProjectionSpec,
    record,
    seed_projections,
    set_counter,
    write_clones,
)
from bench.store import (
    SECRET,
    add_users,
    build,
    bulk_users,
    copy_sqlite,
    desa_by_kabupaten,
    migrated_sqlite,
    sqlite_url,
    token,
)

CONNECTIONS = 50
THREADS = 2
TARGETS = 2_000
N_CASES = 100_000
WORKLIST = "/cases?status=open&limit=50"

POST_LUA = """
local first = {first}
local n = {n}
local nt = {nt}
local counter = 0
local bodies = {{
  '{{"event":"advance","data":{{}}}}',
  '{{"event":"advance","data":{{"parties":"Dinas Sosial Kabupaten"}}}}',
  '{{"event":"advance","data":{{"result":"Data KPM diperbaiki di DTKS"}}}}',
  '{{"event":"advance","data":{{"informed_via":"surat"}}}}',
  '{{"event":"reopen","data":{{"reason":"pelapor mengajukan keberatan"}}}}',
}}
local headers = {{
  ["Authorization"] = "Bearer {token}",
  ["Content-Type"] = "application/json",
}}
local created = 0
function setup(thread)
  thread:set("tid", created)
  created = created + 1
end
request = function()
  local idx = tid + nt * counter
  counter = counter + 1
  local c = idx % n
  local pass = math.floor(idx / n) % 5
  local path = string.format("/cases/ADU-2026-%06d/events", first + c)
  return wrk.format("POST", path, headers, bodies[pass + 1])
end
"""

GET_LUA = """
wrk.headers["Authorization"] = "Bearer {token}"
"""

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not m:
        raise ValueError(f"wrk latency {text!r}")
    return float(m.group(1)) * _UNITS[m.group(2)]


def _wrk(
    url: str, script: Path, seconds: int, server: Server | None = None, label: str = ""
) -> dict[str, Any]:
    spy = None
    if server is not None and server.profile is not None and label:
        from bench.profiling import py_spy

        out = server.profile / f"server-{label}.txt"
        spy = subprocess.Popen(
            [
                py_spy() or "py-spy",
                "record",
                "--pid",
                str(server.proc.pid),
                "-d",
                str(seconds),
                "-r",
                "100",
                "-f",
                "raw",
                "--nonblocking",
                "-o",
                str(out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    r = _wrk_once(url, script, seconds)
    if spy is not None:
        spy.wait()
    if server is not None:
        r["drain_s"] = server.drain()
    return r


def _wrk_once(
    url: str, script: Path, seconds: int, conns: int = CONNECTIONS, threads: int = THREADS
) -> dict[str, Any]:
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{conns}",
        f"-d{seconds}s",
        "--timeout",
        "30s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    pct = dict(re.findall(r"^\s*(50|75|90|99)%\s+(\S+)\s*$", out, re.M))
    if "99" not in pct:
        raise RuntimeError(f"cannot read wrk's output for {url}:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errs = re.search(r"Socket errors: (.*)", out)
    if total == 0:
        # nothing finished within the run: latency is at least the run's length
        return {
            "p50": seconds * 1000.0,
            "p99": seconds * 1000.0,
            "rps": 0.0,
            "requests": 0,
            "non2xx": 0,
            "socket_errors": errs.group(1) if errs else "",
            "none_done": True,
        }
    return {
        "p50": _ms(pct["50"]),
        "p99": _ms(pct["99"]),
        "rps": rps,
        "requests": total,
        "non2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errs.group(1) if errs else "",
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`pkh serve` as a user runs it: uvicorn, one worker, access log on."""

    def __init__(self, db: Path, logdir: Path, profile: Path | None = None) -> None:
        self.profile = profile
        self.port = _free_port()
        pkh = Path(sys.executable).parent / "pkh"
        env = {
            **os.environ,
            "PKH_DATABASE_URL": sqlite_url(db),
            "PKH_SECRET_KEY": SECRET,
        }
        self.log = open(logdir / f"serve-{self.port}.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [str(pkh), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self.base + "/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"pkh serve did not start; see {self.log.name}")
            time.sleep(0.2)

    def _cpu(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def drain(self, limit: float = 300.0) -> float:
        """Wait until the requests the load generator left behind are done: the server process
        uses (almost) no CPU for two half-second windows in a row. (Answering /health is not
        proof: sqlite3 releases the GIL, so /health can be fast while queries still run.)"""
        t0 = time.monotonic()
        quiet = 0
        last = self._cpu()
        while quiet < 2 and time.monotonic() - t0 < limit:
            time.sleep(0.5)
            now = self._cpu()
            quiet = quiet + 1 if now - last < 0.03 else 0
            last = now
        return time.monotonic() - t0

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def _seed(ctx: Context) -> tuple[Path, int]:
    now = datetime.now(UTC)
    scratch = migrated_sqlite(ctx.workdir, "api_template.db")
    app = build(sqlite_url(scratch))
    add_users(app, [("kab.3271", "kabupaten", "3271")], now)
    filed = record(app, "kab.3271", {**COMPLAINT, "region": "3271011001"}, [])
    app.db.dispose()

    path = migrated_sqlite(ctx.workdir, "api.db")
    from workflows.indonesia import build_calendar

    desa = desa_by_kabupaten()
    kabs = sorted(desa)
    users = [(f"kab.{k}.1", "kabupaten", k) for k in kabs] + [("pusat.1", "pusat", None)]
    users += [("kab.3271", "kabupaten", "3271")]
    bulk_users(path, users, now)
    handlers = {k: [f"kab.{k}.1"] for k in kabs}
    seed_projections(
        path, ProjectionSpec(N_CASES, N_CASES // 20, now), build_calendar(), desa, handlers, "api"
    )
    first = N_CASES + 1
    write_clones(
        path,
        filed,
        ((f"ADU-2026-{first + i:06d}", 1) for i in range(TARGETS)),
        TARGETS,
        label="post targets",
    )
    set_counter(path, "ADU-2026", first + TARGETS - 1)
    return path, first


def run(ctx: Context) -> list[Figure]:
    names = ("api_worklist_p99_ms", "api_post_events_per_s")
    if shutil.which("wrk") is None:
        return [
            Figure(n, None, "", skipped=True, note="wrk not installed (apt-get install -y wrk)")
            for n in names
        ]
    secs = ctx.size(10, 30)
    path, first = _seed(ctx)
    log(f"  seeded {N_CASES:,} projections + {TARGETS:,} cases with events")
    pusat, kab = token("pusat.1"), token("kab.3271")
    s_pusat = ctx.workdir / "get_pusat.lua"
    s_pusat.write_text(GET_LUA.format(token=pusat))
    s_kab = ctx.workdir / "get_kab.lua"
    s_kab.write_text(GET_LUA.format(token=kab))
    s_post = ctx.workdir / "post.lua"
    s_post.write_text(POST_LUA.format(first=first, n=TARGETS, nt=THREADS, token=kab))

    # worklist vs health, one server, interleaved
    wl: list[dict[str, Any]] = []
    hl: list[dict[str, Any]] = []
    kb: list[dict[str, Any]] = []
    srv = Server(copy_sqlite(path, ctx.workdir / "api_run.db"), ctx.workdir, ctx.profile)
    try:
        _wrk(srv.base + "/health", s_pusat, 2, srv)
        _wrk(srv.base + WORKLIST, s_pusat, 2, srv)
        for rep in range(ctx.reps):
            order = ("h", "w", "k") if rep % 2 == 0 else ("w", "k", "h")
            for which in order:
                if which == "h":
                    hl.append(_wrk(srv.base + "/health", s_pusat, secs, srv, "health"))
                elif which == "w":
                    wl.append(_wrk(srv.base + WORKLIST, s_pusat, secs, srv, "worklist_pusat"))
                else:
                    kb.append(_wrk(srv.base + WORKLIST, s_kab, secs, srv, "worklist_kab"))
            log(
                f"  worklist rep {rep + 1}/{ctx.reps}: p99 {wl[-1]['p99']:.1f} ms "
                f"({wl[-1]['rps']:.0f}/s, non-2xx {wl[-1]['non2xx']}); kab p99 "
                f"{kb[-1]['p99']:.1f} ms; health p99 {hl[-1]['p99']:.1f} ms ({hl[-1]['rps']:.0f}/s)"
            )
        # supplementary: one client at a time, i.e. the service time of one request
        solo = _wrk_once(srv.base + WORKLIST, s_pusat, secs, conns=1, threads=1)
        srv.drain()
        solo_h = _wrk_once(srv.base + "/health", s_pusat, secs, conns=1, threads=1)
        log(
            f"  worklist with 1 client: p50 {solo['p50']:.1f} ms, p99 {solo['p99']:.1f} ms; "
            f"health p99 {solo_h['p99']:.2f} ms"
        )
    finally:
        srv.stop()

    # POST events: a fresh copy of the data and a fresh server per run
    po: list[dict[str, Any]] = []
    ph: list[dict[str, Any]] = []
    for rep in range(ctx.reps):
        srv = Server(copy_sqlite(path, ctx.workdir / "api_run.db"), ctx.workdir, ctx.profile)
        try:
            _wrk(srv.base + "/health", s_pusat, 2, srv)
            ph.append(_wrk(srv.base + "/health", s_pusat, secs, srv))
            po.append(_wrk(srv.base + "/cases", s_post, secs, srv, "post_events"))
        finally:
            srv.stop()
        log(
            f"  post rep {rep + 1}/{ctx.reps}: {po[-1]['rps']:.0f}/s p99 {po[-1]['p99']:.0f} ms "
            f"(non-2xx {po[-1]['non2xx']}, {po[-1]['socket_errors'] or 'no socket errors'}); "
            f"health {ph[-1]['rps']:.0f}/s"
        )

    bad_w = sum(r["non2xx"] for r in wl)
    wfig = Figure(
        "api_worklist_p99_ms",
        median([r["p99"] for r in wl]),
        "ms",
        baseline=median([r["p99"] for r in hl]),
        baseline_what="GET /health (FastAPI, no auth, no db) p99, same server, same wrk settings",
        ratio=median([w["p99"] / h["p99"] for w, h in zip(wl, hl, strict=True)]),
        size=f"{N_CASES + TARGETS:,} cases, {CONNECTIONS} connections, {secs} s x {ctx.reps}",
        runs=[r["p99"] for r in wl],
        baseline_runs=[r["p99"] for r in hl],
        note=(
            f"GET {WORKLIST} as pusat: median {median([r['rps'] for r in wl]):.0f} req/s, "
            f"p50 {median([r['p50'] for r in wl]):.1f} ms; kabupaten officer p99 "
            f"{median([r['p99'] for r in kb]):.1f} ms; non-2xx {bad_w}; with 1 client: p50 "
            f"{solo['p50']:.0f} ms, p99 {solo['p99']:.0f} ms (health {solo_h['p99']:.2f} ms)"
        ),
        extra={
            "worklist": wl,
            "health": hl,
            "kabupaten_worklist": kb,
            "one_client_worklist": solo,
            "one_client_health": solo_h,
        },
    ).judge(Check("value", "<=", 50, "p99 <= 50 ms"))
    bad_p = sum(r["non2xx"] for r in po)
    total_p = sum(r["requests"] for r in po)
    pfig = Figure(
        "api_post_events_per_s",
        median([r["rps"] for r in po]),
        "requests/s",
        baseline=median([r["rps"] for r in ph]),
        baseline_what="GET /health requests/s on the same server just before",
        ratio=median([h["rps"] / p["rps"] for p, h in zip(po, ph, strict=True)]),
        size=f"{TARGETS:,} cases, {CONNECTIONS} connections, {secs} s x {ctx.reps}",
        runs=[r["rps"] for r in po],
        baseline_runs=[r["rps"] for r in ph],
        note=(
            f"POST /cases/{{id}}/events (advance x4, reopen): p99 "
            f"{median([r['p99'] for r in po]):.0f} ms; non-2xx {bad_p} of {total_p}"
        ),
        extra={"post": po, "health": ph},
    ).judge(Check("value", ">=", 300, ">= 300/s"))
    if total_p and bad_p > 0.01 * total_p:
        pfig.passed = False
        pfig.note += " (more than 1% refused: the figure is not valid)"
    return [wfig, pfig]
