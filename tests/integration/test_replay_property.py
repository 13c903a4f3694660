"""Property: whatever sequence of commands an officer issues, the stored case equals its replay."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.wiring import App
from engine.audit import comparable
from engine.errors import EngineError
from engine.state import replay
from engine.store import audit_runner
from tests.conftest import Clock, another_reporter, complaint_data

ACTOR_FOR_LEVEL = {
    "kabupaten": "kab.bogor",
    "pusat": "pusat.spm",
    "pendamping": "pdp.bogor",
    "ketua_kelompok": "kk.batutulis",
}
DATA = {
    "parties": "Dinas Sosial",
    "result": "selesai",
    "informed_via": "surat",
    "reason": "bukan_pkh",
    "body": "dinas_teknis",
    "outcome": "ok",
    "working_days": "3",
    "handler": "kab.bogor2",
    "type": "pembayaran",
}
EVENTS = [
    "advance",
    "escalate",
    "refer",
    "return_from_referral",
    "link_reporter",
    "reclassify",
    "extend",
    "reopen",
    "assign",
    "recommend_pt_pos",
    "reject",
]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    level=st.sampled_from(["ketua_kelompok", "pendamping", "kabupaten"]),
    steps=st.lists(st.tuples(st.sampled_from(EVENTS), st.integers(0, 30)), max_size=12),
)
def test_the_stored_case_always_equals_the_replay_of_its_events(
    app: App, clock: Clock, level: str, steps: list[tuple[str, int]]
) -> None:
    start = clock()
    try:
        state = app.service.open_case(
            "complaint", complaint_data(level=level), ACTOR_FOR_LEVEL[level], at=start
        )
        when = start
        for event, hours in steps:
            when = when + timedelta(hours=hours)
            clock.set(when)
            actor = ACTOR_FOR_LEVEL.get(state.level or "kabupaten", "kab.bogor")
            data: dict[str, Any] = dict(DATA)
            if state.level == "pusat":
                data["handler"] = "pusat.spm2"
            if event == "link_reporter":
                data.update(another_reporter())
            # refusals are fine; they must simply leave no trace
            with contextlib.suppress(EngineError):
                state = app.service.apply(state.id, event, data, actor, at=when)
            stored = app.service.get(state.id)
            replayed = replay(c.event for c in app.service.history(state.id))
            assert comparable(stored) == comparable(replayed)
            state = stored
    finally:
        clock.set(start)
    assert audit_runner.verify(app.db).ok
