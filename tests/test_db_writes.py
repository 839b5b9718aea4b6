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


def test_among_finds_the_same_rows_on_every_backend_also_once_statements_are_prepared(
    database_url: str,
) -> None:
    import uuid

    from sqlmodel import Session, col, select

    from hub.auth.models import Organisation, OrgType
    from hub.db import among, bulk_insert, make_engine, new_id, utcnow

    engine = make_engine(database_url)
    now = utcnow()
    rows = [
        {"id": new_id(), "name": f"Among {i}", "type": OrgType.SELLER, "created_at": now} for i in range(30)
    ]
    try:
        with Session(engine) as session:
            bulk_insert(session, Organisation, rows)
            session.commit()
            ids = [r["id"] for r in rows]
            # Past psycopg's prepare threshold (5) and PostgreSQL's switch to a generic plan (5 more).
            for _ in range(12):
                wanted = [ids[3], ids[7], ids[7], uuid.uuid4()]
                found = session.exec(
                    select(Organisation.name).where(among(session, col(Organisation.id), wanted))
                )
                assert sorted(found) == ["Among 3", "Among 7"]
            by_name = session.exec(
                select(Organisation.id).where(among(session, col(Organisation.name), ["Among 1", "nobody"]))
            ).all()
            assert by_name == [ids[1]]
            assert (
                session.exec(select(Organisation.id).where(among(session, col(Organisation.id), []))).all()
                == []
            )
    finally:
        engine.dispose()


def test_rows_given_column_by_column_are_stored_as_the_same_rows_given_as_dicts(database_url: str) -> None:
    """``insert_columns`` (how a prepared tracking batch is written) stores what ``bulk_insert`` stores,
    in parts of ``size`` rows, with enums, times, ids and NULLs as loading them gives back."""
    from sqlmodel import Session, col, select

    from hub.auth.models import Organisation, OrgType
    from hub.db import aware, bulk_insert, insert_columns, make_engine, new_id, utcnow

    engine = make_engine(database_url)
    now = utcnow()
    kinds = [OrgType.SELLER, OrgType.BANK, OrgType.CUSTOMS, OrgType.TERMINAL, OrgType.FORWARDER]
    rows = [
        {
            "id": new_id(),
            "name": f"Columns {i}",
            "type": kind,
            "country": None if i % 2 else "CN",
            "created_at": now + timedelta(seconds=i),
        }
        for i, kind in enumerate(kinds)
    ]
    columns = {name: [row[name] for row in rows[:3]] for name in rows[0]}
    try:
        with Session(engine) as session:
            insert_columns(session, Organisation, columns, size=2)  # two parts: 2 rows, then 1
            insert_columns(session, Organisation, {name: [] for name in rows[0]})  # nothing, no error
            bulk_insert(session, Organisation, rows[3:])
            session.commit()
            stored = session.exec(
                select(Organisation)
                .where(col(Organisation.name).startswith("Columns "))
                .order_by(col(Organisation.name))
            ).all()
            got = [(o.id, o.name, o.type, o.country, aware(o.created_at)) for o in stored]
        assert got == [(r["id"], r["name"], r["type"], r["country"], r["created_at"]) for r in rows]
    finally:
        engine.dispose()


def test_none_is_still_stored_as_null_through_the_bulk_path_and_the_orm(tmp_path: object) -> None:
    """``hub.db`` registers an adapter for None with sqlite3 (for speed): None must still arrive as NULL,
    both through ``execute_many`` and through an ORM flush, and a plain connection sees it as NULL too."""
    import sqlite3

    from sqlmodel import Session, select

    from hub.auth.models import Organisation, OrgType
    from hub.db import bulk_insert, make_engine, new_id, utcnow
    from hub.migrate import upgrade

    url = f"sqlite:///{tmp_path}/nulls.db"
    upgrade(url)
    engine = make_engine(url)
    bulk_id, orm_id = new_id(), new_id()
    with Session(engine) as session:
        row = {"id": bulk_id, "name": "Bulk", "type": OrgType.SELLER, "country": None, "created_at": utcnow()}
        bulk_insert(session, Organisation, [row])
        session.add(Organisation(id=orm_id, name="ORM", type=OrgType.SELLER, country=None))
        session.commit()
        assert session.exec(select(Organisation.country).where(Organisation.id == bulk_id)).one() is None
    engine.dispose()
    plain = sqlite3.connect(f"{tmp_path}/nulls.db")
    try:
        assert plain.execute("SELECT count(*) FROM organisation WHERE country IS NULL").fetchone() == (2,)
        assert plain.execute("SELECT typeof(?)", (None,)).fetchone() == ("null",)
    finally:
        plain.close()


def test_new_ids_are_version_7_unique_across_threads_and_sorted_by_time() -> None:
    import threading
    import time
    import uuid

    from hub.db import new_id

    made: list[list[uuid.UUID]] = [[] for _ in range(4)]

    def draw(into: list[uuid.UUID]) -> None:
        into.extend(new_id() for _ in range(3000))

    threads = [threading.Thread(target=draw, args=(into,)) for into in made]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [i for into in made for i in into]
    assert len(set(every)) == len(every)
    assert all(i.version == 7 and i.variant == uuid.RFC_4122 for i in every)
    assert all(uuid.UUID(str(i)) == i for i in every[:50])  # a normal UUID, equal to its parsed text
    before = new_id()
    time.sleep(0.002)
    assert new_id() > before  # a later millisecond sorts after


def test_json_columns_hold_the_same_text_through_the_bulk_path_as_through_sqlalchemy(
    database_url: str,
) -> None:
    """On SQLite the bulk path calls the engine's JSON serializer itself, not SQLAlchemy's wrapper: the
    text stored, and the values read back, are the same either way (and None is still NULL)."""
    from sqlalchemy import JSON, Column, Integer, MetaData, Table, insert, select, text
    from sqlmodel import Session

    from hub.db import bulk_insert, make_engine

    engine = make_engine(database_url)
    table = Table(
        f"json_probe_{new_suffix()}",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("value", JSON, nullable=True),
    )
    values = [{"名": "值", "n": 1, "list": [1, "two", None]}, [], {}, "text", None, [{"a": []}]]
    try:
        table.create(engine)
        with Session(engine) as session:
            connection = session.connection()
            for index, value in enumerate(values):
                connection.execute(insert(table), {"id": index, "value": value})
            bulk_insert(session, table, [{"id": 100 + i, "value": v} for i, v in enumerate(values)])
            session.commit()
            as_text = dict(
                session.connection().execute(text(f"SELECT id, CAST(value AS TEXT) FROM {table.name}")).all()
            )
            read = dict(session.connection().execute(select(table.c.id, table.c.value)).all())
        for index, value in enumerate(values):
            # SQLAlchemy writes None as JSON null unless told otherwise; the bulk path writes SQL NULL,
            # and both read back as None.
            if value is not None:
                assert as_text[100 + index] == as_text[index], value
            assert read[100 + index] == read[index] == value
    finally:
        table.drop(engine, checkfirst=True)
        engine.dispose()


def new_suffix() -> str:
    import uuid

    return uuid.uuid4().hex[:8]


def test_rows_updated_by_key_show_the_new_values_on_held_objects_as_loaded_ones(database_url: str) -> None:
    """``update_rows(held="set")``: a held object shows the written values as if loaded, with nothing left
    to flush, whether it was clean (values put in its dict) or had a pending change (set as committed)."""
    from sqlmodel import Session, col, select

    from hub.auth.models import Organisation, OrgType
    from hub.db import bulk_insert, make_engine, new_id, update_by_key, update_rows, utcnow

    engine = make_engine(database_url)
    rows = [
        {"id": new_id(), "name": f"Held {new_suffix()}", "type": OrgType.SELLER, "created_at": utcnow()}
        for _ in range(2)
    ]
    statement = update_by_key(Organisation.__table__, "name")  # type: ignore[attr-defined]
    try:
        with Session(engine) as session:
            bulk_insert(session, Organisation, rows)
            clean, pending = (session.get(Organisation, r["id"]) for r in rows)
            assert clean is not None and pending is not None
            pending.name = "changed, not flushed"
            written = [{"id": r["id"], "name": r["name"] + " renamed"} for r in rows]
            update_rows(session, statement, Organisation, written, held="set")
            assert [clean.name, pending.name] == [w["name"] for w in written]
            assert not session.is_modified(clean) and not session.is_modified(pending)
            session.commit()
            stored = session.exec(
                select(Organisation.name).where(col(Organisation.id).in_([r["id"] for r in rows]))
            ).all()
            assert sorted(stored) == sorted(w["name"] for w in written)
    finally:
        engine.dispose()
