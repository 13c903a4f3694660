"""`pkh sweep` run when every office is closed says so, rather than that the cases were
handled earlier and wait for their next day."""

from __future__ import annotations

import pytest

from api.wiring import App
from tests.conftest import Clock, complaint_data
from tests.integration.test_sweep_review import pkh

HANDLED_EARLIER = "cases handled earlier and unchanged since"


@pytest.mark.parametrize(
    ("moment", "local"),
    [
        # Monday 2 March 2026 after office hours everywhere
        ("2026-03-02T17:30+07:00", "Mon 17:30 WIB, Mon 18:30 WITA, Mon 19:30 WIT"),
        # a Saturday morning, and a cuti bersama (Friday 20 March)
        ("2026-03-07T09:00+07:00", "Sat 09:00 WIB, Sat 10:00 WITA, Sat 11:00 WIT"),
        ("2026-03-20T09:00+07:00", "Fri 09:00 WIB, Fri 10:00 WITA, Fri 11:00 WIT"),
    ],
)
def test_a_sweep_when_no_office_is_open_says_so_not_that_cases_were_handled_earlier(
    app: App, clock: Clock, monkeypatch: pytest.MonkeyPatch, moment: str, local: str
) -> None:
    app.service.open_case("complaint", complaint_data(), "kab.bogor")
    r = pkh(app, monkeypatch, "sweep", "--now", moment)
    assert r.exit_code == 0, r.output
    first = r.output.splitlines()[0]
    assert "0 messages queued" in first
    assert f"no office is open at that moment: {local}" in first
    assert "08:00-16:00 in each office's own zone" in first and HANDLED_EARLIER not in first


def test_a_sweep_while_an_office_is_open_keeps_its_note(
    app: App, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 07:30 WIB: Jakarta not yet open, Jayapura (09:30 WIT) is
    r = pkh(app, monkeypatch, "sweep", "--now", "2026-03-02T07:30+07:00")
    assert r.exit_code == 0, r.output
    assert HANDLED_EARLIER in r.output and "no office is open" not in r.output


def test_a_sweep_s_json_says_when_no_office_is_open(
    app: App, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`pkh sweep --json` at a closed moment said only `"messages": 0`: a script could not
    tell a sweep that found nothing due from one that could do nothing then."""
    import json

    app.service.open_case("complaint", complaint_data(), "kab.bogor")
    r = pkh(app, monkeypatch, "sweep", "--now", "2026-03-02T17:30+07:00", "--json")
    assert r.exit_code == 0, r.output
    told = json.loads(r.stdout)
    assert told["messages"] == 0
    assert told["offices_closed"].startswith(
        "no office is open at that moment: Mon 17:30 WIB, Mon 18:30 WITA, Mon 19:30 WIT"
    )
    r = pkh(app, monkeypatch, "sweep", "--now", "2026-03-02T10:00+07:00", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["offices_closed"] is None, r.output
