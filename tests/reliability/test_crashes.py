"""A process filing and advancing complaints is killed with SIGKILL at random moments, 20 times.

The worker (`_support.crash_worker`, forked from the test so each restart takes milliseconds, not
a fresh interpreter's second) files complaints at kabupaten and pusat level, some anonymous, and
advances, rejects, escalates, extends and links reporters on them through the service, one
transaction per command, as fast as it can. After each kill, on the SQLite file and on
PostgreSQL (once the server has dropped the killed sessions):

- `audit verify` passes: every chain holds, every projection equals its replay, the case numbers
  have no gap (a killed filing must not burn a number);
- the outbox holds exactly the messages of the committed events: for every committed event
  whose type has notifications in its workflow and whose recipients are not empty, exactly the
  expected rows; no outbox row without its event.

`scripts/soak.py crash` runs the same with more kills and a time cap.
"""

from __future__ import annotations

import os

import pytest

from api.wiring import App
from tests.reliability._support import dump_figures, kill_loop

KILLS = int(os.environ.get("PKH_CRASH_KILLS", "20"))


@pytest.mark.parametrize("seed", [7])
def test_sigkill_20_times_on_sqlite_leaves_a_verifiable_store(
    sqlite_app: App, sqlite_url: str, seed: int
) -> None:
    dump_figures("crashes[sqlite]", kill_loop(sqlite_app, sqlite_url, KILLS, seed))


@pytest.mark.postgres
@pytest.mark.parametrize("seed", [11])
def test_sigkill_20_times_on_postgresql_leaves_a_verifiable_store(
    postgres_app: App, postgres_url: str, seed: int
) -> None:
    dump_figures("crashes[postgresql]", kill_loop(postgres_app, postgres_url, KILLS, seed))
