"""UTCDateTime's SQLite conversions must store and read exactly what SQLAlchemy's would:
rows written before and after the fast conversions sit in the same indexes and compare."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from engine.store.tables import UTCDateTime

DIALECT = sqlite.dialect()
zones = st.integers(min_value=-12 * 60, max_value=14 * 60).map(
    lambda m: timezone(timedelta(minutes=m))
)


def _sqlalchemy_text(value: datetime) -> str:
    """What SQLAlchemy's own SQLite DATETIME makes of the decorator's UTC value."""
    impl = sa.DateTime(timezone=True).dialect_impl(DIALECT).bind_processor(DIALECT)
    return impl(value.astimezone(UTC).replace(tzinfo=None))  # type: ignore[misc, no-any-return]


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)), zones)
def test_bound_text_is_sqlalchemys_storage_format(naive: datetime, zone: timezone) -> None:
    value = naive.replace(tzinfo=zone)
    bind = UTCDateTime().dialect_impl(DIALECT).bind_processor(DIALECT)
    assert bind(value) == _sqlalchemy_text(value)


@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)))
def test_read_value_is_the_stored_instant_in_utc(naive: datetime) -> None:
    text = _sqlalchemy_text(naive.replace(tzinfo=UTC))
    read = UTCDateTime().dialect_impl(DIALECT).result_processor(DIALECT, None)
    sa_read = sa.DateTime().dialect_impl(DIALECT).result_processor(DIALECT, None)
    assert read(text) == naive.replace(tzinfo=UTC)
    assert read(text) == sa_read(text).replace(tzinfo=UTC)  # type: ignore[misc]
    assert read(text).tzinfo is UTC


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)), zones)
def test_text_with_an_offset_of_its_own_is_read_as_that_instant(
    naive: datetime, zone: timezone
) -> None:
    """Text not written by this type (an offset included, or no fraction) still reads right."""
    value = naive.replace(tzinfo=zone)
    read = UTCDateTime().dialect_impl(DIALECT).result_processor(DIALECT, None)
    assert read(value.isoformat(" ")) == value
    assert read(value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "seconds")) == (
        value.replace(microsecond=0)
    )


def test_none_passes_and_a_naive_value_is_refused() -> None:
    bind = UTCDateTime().dialect_impl(DIALECT).bind_processor(DIALECT)
    read = UTCDateTime().dialect_impl(DIALECT).result_processor(DIALECT, None)
    assert bind(None) is None and read(None) is None
    with pytest.raises(ValueError, match="naive datetime"):
        bind(datetime(2026, 3, 2, 9, 0))
    assert bind(datetime(2026, 3, 2, 9, 0, tzinfo=UTC)) == "2026-03-02 09:00:00.000000"
