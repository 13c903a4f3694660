"""KPM import throughput: rows/s and peak memory, against a same-run baseline.

    python -m bench.kpm_import [--rows 1000000] [--bad 0.01] [--db sqlite|postgresql+psycopg://...]
                               [--file PATH] [--rerun] [--verify]

Generates a realistic extract (bench/gen_kpm.py) unless --file is given, then in a fresh child
process imports it into a freshly migrated database (SQLite file, or a new schema on the
PostgreSQL URL) and reports wall time, rows/s and the child's peak RSS. Baseline, same file,
same run: plain `csv.reader` parsing every row (the floor of any CSV import in Python).
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def baseline(path: Path) -> tuple[int, float]:
    t = time.perf_counter()
    n = 0
    with path.open(newline="", encoding="utf-8") as f:
        for _ in csv.reader(f):
            n += 1
    return n - 1, time.perf_counter() - t


def _cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def child(url: str, path: str, rerun: bool, verify: bool) -> None:
    """In a fresh process: migrate, import (and rerun, verify), print JSON with peak RSS."""
    import resource

    import api.wiring
    import workflows
    from engine.settings import Settings
    from engine.store.migrate import upgrade
    from workflows import complaint, kpm

    if "kpm" not in workflows.default_registry().names():  # until the registry lists it

        def registry(**kw: Any) -> workflows.Registry:
            return workflows.Registry([complaint.definition(**kw), kpm.definition()])

        api.wiring.default_registry = registry  # type: ignore[assignment]
    from engine.store import audit_runner
    from workflows.kpm_import import import_file

    upgrade(url)
    app = api.wiring.build_app(Settings(database_url=url, secret_key="bench-" + "x" * 32))
    out: dict[str, Any] = {}
    t, cpu = time.perf_counter(), _cpu()
    report = import_file(app, path, progress=sys.stderr.isatty()).as_dict()
    out["seconds"] = time.perf_counter() - t
    out["cpu_seconds"] = _cpu() - cpu  # this process only: a figure that load elsewhere spares
    out["rss_after_import_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out |= {k: report[k] for k in ("rows", "accepted_members", "accepted_households")}
    out["rejected"] = len(report["rejected"])
    if rerun:
        t = time.perf_counter()
        again = import_file(app, path).as_dict()
        out["rerun_seconds"] = time.perf_counter() - t
        out["rerun_unchanged"] = again["unchanged_members"] == report["accepted_members"]
    if verify:
        t = time.perf_counter()
        v = audit_runner.verify(app.db)
        out["verify_seconds"] = time.perf_counter() - t
        out["verify_ok"] = v.ok
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    app.db.dispose()
    print(json.dumps(out))


def _database(kind: str, work: Path) -> tuple[str, Any]:
    if kind == "sqlite":
        return f"sqlite:///{work / 'kpm.db'}", None
    import sqlalchemy as sa

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(kind)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in kind else "?"

    def drop() -> None:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()

    return f"{kind}{sep}options=-csearch_path%3D{schema}", drop


def main() -> None:
    ap = argparse.ArgumentParser(description="KPM import throughput")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--bad", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--db", default="sqlite", help="sqlite, or a PostgreSQL URL")
    ap.add_argument("--file", type=Path, help="import this file instead of generating one")
    ap.add_argument("--rerun", action="store_true", help="import again and time the no-op")
    ap.add_argument("--verify", action="store_true", help="time audit verify afterwards")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="pkh-kpm-bench-") as tmp:
        work = Path(tmp)
        path = a.file
        if path is None:
            from bench.gen_kpm import generate

            path = work / "kpm.csv"
            t = time.perf_counter()
            g = generate(path, a.rows, a.seed, bad=a.bad, as_of=datetime.now(UTC).date())
            print(
                f"generated {g.rows:,} rows, {g.households:,} households, {len(g.bad):,} bad "
                f"rows in {time.perf_counter() - t:.0f} s",
                file=sys.stderr,
            )
        rows, base = baseline(path)
        url, drop = _database(a.db, work)
        try:
            p = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.kpm_import",
                    "--child",
                    url,
                    str(path),
                    str(a.rerun),
                    str(a.verify),
                ],
                stdout=subprocess.PIPE,
                text=True,
                check=True,
            )
        finally:
            if drop:
                drop()
        r = json.loads(p.stdout.strip().splitlines()[-1])
    rate = r["rows"] / r["seconds"]
    print(
        f"KPM import ({a.db.split(':')[0]}): {r['rows']:,} rows "
        f"({r['accepted_members']:,} accepted in {r['accepted_households']:,} households, "
        f"{r['rejected']:,} rejected) in {r['seconds']:.1f} s = {rate:,.0f} rows/s "
        f"({r['cpu_seconds']:.1f} CPU s in the importing process); "
        f"peak RSS {r['rss_after_import_mb']:.0f} MB"
    )
    print(
        f"baseline csv.reader: {rows:,} rows in {base:.2f} s = {rows / base:,.0f} rows/s "
        f"(import is {r['seconds'] / base:.0f}x the bare parse)"
    )
    if a.rerun:
        print(f"rerun: {r['rerun_seconds']:.1f} s, nothing changed: {r['rerun_unchanged']}")
    if a.verify:
        print(
            f"audit verify: {r['verify_seconds']:.1f} s, ok: {r['verify_ok']} "
            f"(peak RSS with verify {r['peak_rss_mb']:.0f} MB)"
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], sys.argv[4] == "True", sys.argv[5] == "True")
    else:
        main()
