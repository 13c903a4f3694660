"""Data control that fails for a household (an engine refusal of its event) is said, not
swallowed: `pkh kpm control` names each failure and exits 1, and the `pkh-kpm-data-control`
flow run logs each and fails after its whole pass, as the sweep and dispatch flows do. Before,
both reported only the counts: the `failed` list was in `--json` alone, and the exit and the
flow run's state were those of a clean pass."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

import workflows.kpm_flow as kpm_flow
from api.wiring import App
from tests.conftest import Clock
from tests.integration.test_flows import prefect_harness  # noqa: F401 - a fixture
from tests.integration.test_kpm_import import WIB, household_at_peserta, kpm_registered  # noqa: F401


@pytest.fixture
def refused(app: App, clock: Clock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Households whose data control the engine refuses: the plan asks for a control that
    changes nothing (the workflow's guard refuses it), for both open households."""
    case_id = household_at_peserta(app, tmp_path)
    clock.set(datetime(2026, 3, 3, 5, 0, tzinfo=WIB))
    monkeypatch.setattr(kpm_flow, "plan", lambda state, on: ["kontrol_data"])
    return case_id


def test_the_command_names_each_failure_and_exits_1(
    app: App, refused: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import api.cli
    import api.cli_kpm  # noqa: F401  (registers `pkh kpm`)

    monkeypatch.setattr(api.cli, "_APP", app)
    out = CliRunner().invoke(api.cli.app, ["kpm", "control", "--on", "2026-03-03"])
    assert out.exit_code == 1, out.output
    assert f"failed: {refused} kontrol_data: event 'kontrol_data' refused" in out.stdout
    assert out.stderr.startswith("error: 2 household(s) failed data control: ")
    assert f"{refused} kontrol_data: " in out.stderr and len(out.stderr.splitlines()) == 1


def test_the_flow_run_fails_after_its_pass(
    prefect_harness: None,  # noqa: F811
    app: App,
    db_url: str,
    refused: str,
) -> None:
    state = kpm_flow.kpm_data_control(
        on="2026-03-03", provinces=["32"], database_url=db_url, return_state=True
    )
    assert state.is_failed()
    with pytest.raises(RuntimeError, match=r"^2 household\(s\) failed data control: ") as e:
        state.result()
    assert f"{refused} kontrol_data: " in str(e.value)
