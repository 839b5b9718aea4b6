"""The bulk write path sends what SQLAlchemy would send."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite
from sqlmodel.sql.sqltypes import UTCDateTime

from hub.db import sqlite_time

_SQLALCHEMY = UTCDateTime().dialect_impl(sqlite.dialect()).bind_processor(sqlite.dialect())


@settings(max_examples=500, deadline=None)
@given(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_sqlite_times_are_the_text_sqlalchemy_stores(moment: datetime, offset_minutes: int) -> None:
    value = moment.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    assert _SQLALCHEMY is not None
    assert sqlite_time(value) == _SQLALCHEMY(value)


def test_a_time_without_a_zone_is_refused_as_sqlalchemy_refuses_it() -> None:
    with pytest.raises(ValueError, match="timezone"):
        sqlite_time(datetime(2026, 11, 21, 12, 0))
    assert sqlite_time(datetime(2026, 11, 21, 12, 0, tzinfo=UTC)) == "2026-11-21 12:00:00.000000"
