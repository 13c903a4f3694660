"""Longer runs of the reliability suite's race and crash tests, with figures.

    .venv/bin/python scripts/soak.py race  --backend sqlite   --rounds 1000 --writers 16
    .venv/bin/python scripts/soak.py race  --backend postgres --rounds 1000 --writers 16
    .venv/bin/python scripts/soak.py crash --backend both --kills 200 --time-cap 900
    .venv/bin/python scripts/soak.py all   # the full sizes of issue 7 on both backends

race: WRITERS threads (SQLite) or spawned processes (PostgreSQL) race on one case, ROUNDS
rounds of `link_reporter` at one expected version; exactly one winner per round, versions with
no gap, every event its winner's, audit verify passes. crash: a forked worker files and advances
complaints until it is SIGKILLed at a random moment, KILLS times; after each kill audit verify
passes and the outbox holds exactly the committed events' messages.

Every run is bounded: --time-cap stops a race at a round boundary and a crash run between kills
(the figures say how far it got). SQLite runs in a temporary directory; PostgreSQL in a fresh
schema of PKH_TEST_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test),
dropped afterwards. Prints one JSON line of figures per run; exits 1 if an invariant fails.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.reliability lives beside the installed packages

from api.admin import add_user  # noqa: E402
from api.wiring import App  # noqa: E402
from engine.store.migrate import upgrade  # noqa: E402
from tests.reliability._support import kill_loop, make_app, postgres_schema, race  # noqa: E402

OFFICERS = [("kab.bogor", "kabupaten", "3271"), ("pusat.spm", "pusat", None)]


@contextmanager
def store(backend: str) -> Iterator[tuple[App, str]]:
    """A migrated, empty store with the officers the workers act as."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="pkh-soak-") as tmp:
            url = f"sqlite:///{Path(tmp) / 'pkh.db'}"
            upgrade(url)
            app = make_app(url)
            _officers(app)
            try:
                yield app, url
            finally:
                app.db.dispose()
        return
    with postgres_schema() as url:
        app = make_app(url)
        _officers(app)
        try:
            yield app, url
        finally:
            app.db.dispose()


def _officers(app: App) -> None:
    for name, role, region in OFFICERS:
        add_user(app.db, name, role, region, now=datetime.now(UTC))


def backends(choice: str) -> list[str]:
    return ["sqlite", "postgres"] if choice == "both" else [choice]


def run_race(args: argparse.Namespace, backend: str) -> dict[str, Any]:
    with store(backend) as (app, url):
        figures = race(
            app,
            url,
            writers=args.writers,
            rounds=args.rounds,
            processes=backend == "postgres",
            time_limit=args.time_cap + 120,
            cap=args.time_cap,
        )
    figures["completed"] = figures["rounds"] == args.rounds
    return {"run": "race", **figures}


def run_crash(args: argparse.Namespace, backend: str) -> dict[str, Any]:
    with store(backend) as (app, url):
        figures = kill_loop(
            app,
            url,
            args.kills,
            args.seed,
            run_before_kill=(args.min_run, args.max_run),
            time_cap=args.time_cap,
        )
    figures["completed"] = figures["kills"] == args.kills
    return {"run": "crash", **figures}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    r = sub.add_parser("race", help="writers racing on one case")
    r.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    r.add_argument("--rounds", type=int, default=1000)
    r.add_argument("--writers", type=int, default=16)
    r.add_argument("--time-cap", type=float, default=900.0, help="seconds per backend")
    c = sub.add_parser("crash", help="SIGKILL a worker at random moments")
    c.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    c.add_argument("--kills", type=int, default=200)
    c.add_argument("--seed", type=int, default=1)
    c.add_argument("--min-run", type=float, default=0.02, help="seconds before a kill, at least")
    c.add_argument("--max-run", type=float, default=1.0, help="seconds before a kill, at most")
    c.add_argument("--time-cap", type=float, default=900.0, help="seconds per backend")
    a = sub.add_parser("all", help="race 1000 x 16 and crash 200, both backends")
    a.add_argument("--time-cap", type=float, default=900.0, help="seconds per run")
    args = parser.parse_args(argv)

    runs: list[tuple[Any, argparse.Namespace, str]] = []
    if args.what == "all":
        for backend in ("sqlite", "postgres"):
            runs.append(
                (run_race, argparse.Namespace(rounds=1000, writers=16, **vars(args)), backend)
            )
        for backend in ("sqlite", "postgres"):
            crash = argparse.Namespace(kills=200, seed=1, min_run=0.02, max_run=1.0, **vars(args))
            runs.append((run_crash, crash, backend))
    else:
        runs = [
            (run_race if args.what == "race" else run_crash, args, b)
            for b in backends(args.backend)
        ]
    failed = 0
    for fn, ns, backend in runs:
        start = time.perf_counter()
        try:
            figures = fn(ns, backend)
        except AssertionError as e:
            failed += 1
            figures = {"run": fn.__name__, "backend": backend, "failed": str(e)[:2000]}
        figures["wall_seconds"] = round(time.perf_counter() - start, 1)
        print(json.dumps(figures, default=str), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
