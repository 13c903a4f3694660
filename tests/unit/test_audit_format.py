"""The instant text inside every event hash must never change: stored chains depend on it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from engine.audit import _instant

zones = st.integers(min_value=-12 * 60, max_value=14 * 60).map(
    lambda m: timezone(timedelta(minutes=m))
)


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)), zones)
def test_instant_text_is_the_strftime_form_the_hashes_were_made_with(
    naive: datetime, zone: timezone
) -> None:
    dt = naive.replace(tzinfo=zone)
    assert _instant(dt) == dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_instant_text_of_a_utc_value() -> None:
    assert _instant(datetime(2026, 3, 2, 2, 0, tzinfo=UTC)) == "2026-03-02T02:00:00.000000Z"
    wib = timezone(timedelta(hours=7))
    assert _instant(datetime(2026, 3, 2, 9, 0, 0, 5, tzinfo=wib)) == "2026-03-02T02:00:00.000005Z"
