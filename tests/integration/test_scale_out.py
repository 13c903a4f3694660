"""Scale-out on loopback (issue 7): the API as two uvicorn workers on PostgreSQL, and the deadline
sweep deployed to a Prefect server backed by PostgreSQL, run by a process worker for two
provinces at once.

Everything here is the real thing: `pkh serve --workers 2`, `prefect server start` with its
database on the PostgreSQL server, `prefect work-pool create --type process`, a deployment made
with `flow.from_source(...).deploy(...)`, `prefect worker start`, and two flow runs started with
`run_deployment`. The multi-machine version of this layout is in the README ("Scale-out").
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa

from api.admin import add_user
from api.wiring import build_app
from engine.settings import Settings
from engine.store.migrate import upgrade
from engine.store.repository import CASES, OUTBOX
from tests.conftest import POSTGRES_URL, TEST_SECRET, _postgres_schema_url
from workflows.indonesia import build_calendar

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "kata-sandi-uji-123"
OFFICES = {"32": ("kab.bogor", "3271", "3271011001"), "73": ("kab.makassar", "7371", "7371011001")}
PER_PROVINCE = 6


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, proc: subprocess.Popen[bytes], what: str, log: Path, limit: float) -> None:
    deadline = time.monotonic() + limit
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
                pytest.fail(f"{what} did not start (exit {proc.poll()}):\n{tail}")
            time.sleep(0.5)


def _start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = log.open("wb")
    return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def pkh_url() -> Iterator[str]:
    gen = _postgres_schema_url()
    url = next(gen)
    upgrade(url)
    yield url
    gen.close()


@pytest.fixture
def prefect_db_url() -> Iterator[str]:
    """A database of its own for the Prefect server, on the same PostgreSQL server."""
    name = f"pkh_prefect_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f"CREATE DATABASE {name}")
    url = sa.engine.make_url(POSTGRES_URL).set(drivername="postgresql+asyncpg", database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def _received() -> str:
    """10:00 WIB on a working day about a month back: the complaints are overdue by a sweep
    moment that is still in the past (a sweep in the future is refused: it would date its
    events after the officers' next actions, engine.sweeper.check_moment)."""
    day = build_calendar().add_working_days(datetime.now(UTC).date() - timedelta(days=30), 1)
    return datetime.combine(day, dtime(10, 0), tzinfo=ZoneInfo("Asia/Jakarta")).isoformat()


def _file_complaints(base: str) -> dict[str, list[str]]:
    """Twelve complaints filed concurrently through the two API workers, six per province,
    received a month back."""
    received = _received()
    with httpx.Client(base_url=base, timeout=30) as client:
        tokens = {}
        for prov, (user, _, _) in OFFICES.items():
            r = client.post("/auth/token", data={"username": user, "password": PASSWORD})
            assert r.status_code == 200, r.text
            tokens[prov] = r.json()["access_token"]

    def file(prov: str, i: int) -> tuple[str, str, int]:
        user, _, desa = OFFICES[prov]
        body = {
            "type": "pembayaran",
            "channel": "surat",
            "level": "kabupaten",
            "region": desa,
            "summary": f"Bantuan tahap 4 belum diterima ({prov}-{i})",
            "reporter_name": "Ibu Warga",
            "received_at": received,
        }
        with httpx.Client(base_url=base, timeout=30) as c:
            r = c.post(
                "/complaints", json=body, headers={"Authorization": f"Bearer {tokens[prov]}"}
            )
        assert r.status_code in (200, 201), r.text
        return prov, r.json()["id"], os.getpid()

    jobs = [(p, i) for p in OFFICES for i in range(PER_PROVINCE)]
    with ThreadPoolExecutor(8) as pool:
        done = list(pool.map(lambda j: file(*j), jobs))
    ids: dict[str, list[str]] = {p: [] for p in OFFICES}
    for prov, case_id, _ in done:
        ids[prov].append(case_id)
    return ids


def _sweep_moment(url: str) -> datetime:
    """10:00 WIB (11:00 WITA) on the working day after the latest stage deadline: every case
    is overdue by one working day, inside office hours in both zones."""
    eng = sa.create_engine(url)
    with eng.connect() as c:
        last_due = c.execute(sa.select(sa.func.max(CASES.c.stage_due))).scalar_one()
    eng.dispose()
    cal = build_calendar()
    jakarta = ZoneInfo("Asia/Jakarta")
    due_day: date = last_due.astimezone(ZoneInfo("Asia/Makassar")).date()
    day = cal.add_working_days(due_day, 1)
    return datetime.combine(day, dtime(10, 0), tzinfo=jakarta).astimezone(UTC)


def test_api_workers_and_a_prefect_worker_sweep_two_provinces_in_parallel(
    pkh_url: str, prefect_db_url: str, tmp_path: Path
) -> None:
    # -- the officers, then the API as two uvicorn worker processes --------------------------
    setup = build_app(Settings(database_url=pkh_url, secret_key=TEST_SECRET))
    now = datetime.now(UTC)
    for user, region, _ in OFFICES.values():
        add_user(setup.db, user, "kabupaten", region, password=PASSWORD, now=now)
    add_user(setup.db, "pusat.spm", "pusat", None, password=PASSWORD, now=now)
    setup.db.dispose()

    env = {
        **os.environ,
        "PKH_DATABASE_URL": pkh_url,
        "PKH_SECRET_KEY": TEST_SECRET,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_API_DATABASE_CONNECTION_URL": prefect_db_url,
        "PREFECT_WORKER_QUERY_SECONDS": "2",
        "PREFECT_WORKER_PREFETCH_SECONDS": "5",
        "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "true",
        "PREFECT_LOCAL_STORAGE_PATH": str(tmp_path / "results"),
        "PREFECT_LOGGING_LEVEL": "INFO",
    }
    api_port, prefect_port = _free_port(), _free_port()
    env["PREFECT_API_URL"] = f"http://127.0.0.1:{prefect_port}/api"
    pkh = str(Path(sys.executable).with_name("pkh"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        api = _start(
            [pkh, "serve", "--port", str(api_port), "--workers", "2"], env, tmp_path / "api.log"
        )
        procs.append(api)
        _wait_http(
            f"http://127.0.0.1:{api_port}/health", api, "pkh serve", tmp_path / "api.log", 60
        )
        ids = _file_complaints(f"http://127.0.0.1:{api_port}")
        api_log = (tmp_path / "api.log").read_text(errors="replace")
        workers = {
            line.split("[", 1)[1].split("]", 1)[0]
            for line in api_log.splitlines()
            if "Started server process [" in line
        }
        assert len(workers) == 2, api_log[-2000:]  # two uvicorn worker processes served

        # -- Prefect server on PostgreSQL, a process work pool, a worker, the deployment -----
        server_log = tmp_path / "prefect-server.log"
        server = _start(
            [
                sys.executable,
                "-m",
                "prefect",
                "server",
                "start",
                "--host",
                "127.0.0.1",
                "--port",
                str(prefect_port),
            ],
            env,
            server_log,
        )
        procs.append(server)
        _wait_http(f"{env['PREFECT_API_URL']}/health", server, "prefect server", server_log, 120)
        pool = f"pkh-test-{uuid.uuid4().hex[:6]}"
        subprocess.run(
            [sys.executable, "-m", "prefect", "work-pool", "create", pool, "--type", "process"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            timeout=120,
        )
        deploy = subprocess.run(
            [sys.executable, "-m", "workflows.flows", "deploy", "--pool", pool, "--no-schedules"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert deploy.returncode == 0, deploy.stdout + deploy.stderr
        worker_log = tmp_path / "prefect-worker.log"
        procs.append(
            _start(
                [
                    sys.executable,
                    "-m",
                    "prefect",
                    "worker",
                    "start",
                    "--pool",
                    pool,
                    "--type",
                    "process",
                ],
                env,
                worker_log,
            )
        )

        # -- two provinces at once ----------------------------------------------------------
        when = _sweep_moment(pkh_url)
        assert when < datetime.now(UTC), when  # a missed sweep's moment, as allowed
        moment = when.isoformat()
        with _cases_held(pkh_url) as waiting:
            # the case table is locked: each sweep, once running, waits at its first read of
            # the cases; both waiting at once is the proof that they run at the same time
            runner = subprocess.Popen(
                [sys.executable, "-c", _RUN_BOTH, moment, pkh_url, *OFFICES],
                env=env,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            deadline = time.monotonic() + 240
            while waiting() < 2 and runner.poll() is None and time.monotonic() < deadline:
                time.sleep(0.2)
            both_waited = waiting()
        out, err = runner.communicate(timeout=600)
        assert runner.returncode == 0, out + err + worker_log.read_text(errors="replace")[-4000:]
        assert both_waited == 2, worker_log.read_text(errors="replace")[-4000:]
        runs = [_parse(line) for line in out.splitlines() if line.startswith("RUN ")]
    finally:
        for p in reversed(procs):
            _stop(p)

    assert [r["state"] for r in runs] == ["COMPLETED", "COMPLETED"], runs
    # in parallel: each run started before the other ended (both were held at the lock)
    a, b = ({k: datetime.fromisoformat(r[k]) for k in ("start", "end")} for r in runs)
    assert a["start"] < b["end"] and b["start"] < a["end"], runs
    # each run swept its own province, and every case there was reminded and its
    # supervisors told (one working day overdue)
    for r in runs:
        prov = r["provinces"][0]
        assert r["provinces"] == [prov]
        assert sorted(r["reminded"]) == sorted(ids[prov]), r
        assert sorted(r["supervisor_notified"]) == sorted(ids[prov]), r
    eng = sa.create_engine(pkh_url)
    with eng.connect() as c:
        rows = c.execute(
            sa.select(OUTBOX.c.case_id, OUTBOX.c.template, OUTBOX.c.recipient).where(
                OUTBOX.c.event_type == "DeadlineSweep"
            )
        ).all()
    eng.dispose()
    reminded = sorted(r.case_id for r in rows if r.template == "reminder_overdue")
    assert reminded == sorted(ids["32"] + ids["73"])  # each case once, no duplicates
    assert {r.recipient for r in rows if r.template == "supervisor_overdue"} == {"user:pusat.spm"}


@contextmanager
def _cases_held(url: str) -> Iterator[Callable[[], int]]:
    """The case table locked (ACCESS EXCLUSIVE) until the block ends; yields a function that
    counts the sessions waiting for it."""
    eng = sa.create_engine(url)
    try:
        with eng.connect() as holder, eng.connect() as looker:
            holder.exec_driver_sql("LOCK TABLE cases IN ACCESS EXCLUSIVE MODE")
            oid = holder.exec_driver_sql("SELECT 'cases'::regclass::oid").scalar_one()

            def waiting() -> int:
                q = "SELECT count(*) FROM pg_locks WHERE relation = %(oid)s AND NOT granted"
                n = looker.exec_driver_sql(q, {"oid": oid}).scalar_one()
                looker.rollback()
                return int(n)

            yield waiting
            holder.rollback()
    finally:
        eng.dispose()


def _parse(line: str) -> dict[str, Any]:
    import json

    return json.loads(line[4:])


# Run in a separate interpreter (Prefect client settings come from the environment): start one
# flow run per province at the same moment, wait for both, print their state, times and result.
_RUN_BOTH = r"""
import asyncio, json, sys
from prefect.client.orchestration import get_client
from prefect.deployments import run_deployment

moment, url, provinces = sys.argv[1], sys.argv[2], sys.argv[3:]

async def main():
    started = await asyncio.gather(*[
        run_deployment("pkh-deadline-sweep/hourly", timeout=0,
                       parameters={"now": moment, "provinces": [p], "database_url": url})
        for p in provinces
    ])
    async with get_client() as client:
        for _ in range(600):
            runs = [await client.read_flow_run(r.id) for r in started]
            if all(r.state and r.state.is_final() for r in runs):
                break
            await asyncio.sleep(1)
        for r in runs:
            result = await r.state.aresult(raise_on_failure=False) if r.state else None
            print("RUN " + json.dumps({
                "state": r.state.type.value if r.state else None,
                "start": r.start_time.isoformat() if r.start_time else None,
                "end": r.end_time.isoformat() if r.end_time else None,
                "provinces": (result or {}).get("provinces") if isinstance(result, dict) else None,
                "reminded": (result or {}).get("reminded", []) if isinstance(result, dict) else [],
                "supervisor_notified": (result or {}).get("supervisor_notified", [])
                    if isinstance(result, dict) else [],
                "error": None if isinstance(result, dict) else repr(result)[:2000],
            }))

asyncio.run(main())
"""
