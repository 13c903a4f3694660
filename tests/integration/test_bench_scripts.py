"""The benchmarks' seeds are real lifecycles under today's rules.

The harness (`python -m bench`) records its cases through the service and seeds the sweep's
offices; a rule change can make a seed invalid, and the group then reports its figures as
SKIP. Session 14 did that twice unnoticed (`link_reporter` without a person broke the verify
seed; the sweep's made-up handlers left due cases unreminded). These run the same seeds
small, so the suite says so at once.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bench.seed import CLOSE_SCRIPT, COMPLAINT, long_script, record
from bench.store import add_users, build, desa_by_kabupaten, migrated_sqlite, sqlite_url
from bench.sweep import NOW, _make_db, _sweep
from bench.verify import OFFICERS, TEN
from workflows.indonesia import build_calendar


def test_the_recorded_lifecycles_run_through_the_service(tmp_path: Path) -> None:
    app = build(sqlite_url(migrated_sqlite(tmp_path, "scripts.db")))
    try:
        add_users(app, OFFICERS, datetime.now(UTC))
        data = {**COMPLAINT, "region": "3271011001"}
        assert len(record(app, "kab.3271", data, TEN).events) == 10
        assert len(record(app, "kab.3271", data, CLOSE_SCRIPT).events) == 1 + len(CLOSE_SCRIPT)
        long = long_script(["kab.3271b", "kab.3271"], 100)
        assert len(record(app, "kab.3271", data, long).events) == 100
    finally:
        app.db.dispose()


def test_the_sweep_seed_leaves_no_due_case_unreminded(tmp_path: Path) -> None:
    due = 200
    path = _make_db(tmp_path, "sweep.db", 3_000, due, build_calendar(), desa_by_kabupaten())
    app = build(sqlite_url(path), clock=lambda: NOW)
    try:
        _, report = _sweep(app)
    finally:
        app.db.dispose()
    assert (report.examined, len(report.reminded), report.failed) == (due, due, [])


def test_the_table_script_answers_help_and_a_missing_file_in_a_line() -> None:
    """`python -m bench.table --help` read '--help' as a result file and ended in a
    FileNotFoundError traceback; a mistyped file name did the same."""
    import subprocess
    import sys

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "bench.table", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60)

    helped = run("--help")
    assert helped.returncode == 0 and "python -m bench.table A.json" in helped.stdout
    assert "Traceback" not in helped.stderr
    missing = run("bench/results/no-such-run.json")
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert "no such result file: bench/results/no-such-run.json" in missing.stderr
    shown = run("bench/results/full.json")
    assert shown.returncode == 0 and shown.stdout.startswith("| figure | full |")
