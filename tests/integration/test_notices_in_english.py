"""The officers' notices rendered in English (notifications/templates/en) say everything in
English, the sweep's own words included: why a handler cannot act on a case is recorded as
a code and worded in the notice's language, not baked into the notice in Indonesian."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from api.admin import update_user
from api.wiring import App
from engine.store import sweep_source
from engine.sweeper import sweep
from notifications import labels
from notifications.letters import compose
from notifications.render import render
from tests.conftest import Clock, complaint_data
from tests.integration.test_sweep_review import OVERDUE, at, sweep_rows


def test_every_reason_a_handler_cannot_act_is_worded_in_both_languages() -> None:
    for why in sweep_source.UNABLE:
        indonesian, english = labels.UNABLE["id"][why], labels.UNABLE["en"][why]
        assert indonesian.strip() and english.strip() and indonesian != english, why


@pytest.mark.parametrize("template", ["reminder_overdue", "supervisor_overdue"])
def test_a_disabled_handler_is_named_with_why_in_the_notices_language(
    app: App, clock: Clock, template: str
) -> None:
    case = app.service.open_case("complaint", complaint_data(), "kab.bogor")
    update_user(app.db, "kab.bogor", actor="admin", active=False)
    sweep(app.service, at(clock, OVERDUE))
    notice: Any = next(r for r in sweep_rows(app) if r.template == template)
    assert notice.payload["extra"]["handler"] == "kab.bogor"  # who, and why as a code
    assert notice.payload["extra"]["handler_unable"] == "disabled"
    letter = compose(app.db, notice, clock(), "https://pkh.example")
    indonesian = render(notice.template, "id", letter.context).text
    assert "kab.bogor (akun dinonaktifkan)" in indonesian
    english = render(notice.template, "en", _english(app, notice, clock))
    assert "kab.bogor (account disabled)" in english.text
    assert "akun" not in english.text and "akun" not in english.sms
    assert case.id in english.subject


def _english(app: App, notice: Any, clock: Clock) -> dict[str, Any]:
    """The notice's context composed in English (a notice's payload names its language)."""
    row = SimpleNamespace(**{**notice._mapping, "payload": {**notice.payload, "language": "en"}})
    return compose(app.db, row, clock(), "https://pkh.example").context
