"""Engine, sessions and the column types every domain package shares."""

from __future__ import annotations

import json
import os
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

import orjson
from sqlalchemy import (
    JSON,
    MetaData,
    Numeric,
    Select,
    String,
    Table,
    and_,
    bindparam,
    event,
    func,
    insert,
    literal_column,
    or_,
    update,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import instance_dict, instance_state, set_committed_value
from sqlalchemy.orm.util import identity_key
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, SQLModel, create_engine, select
from sqlmodel.sql.sqltypes import UTCDateTime

from hub.errors import Unavailable

# Constraint names that alembic can diff and drop on both SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata: MetaData = SQLModel.metadata


S = TypeVar("S", bound=Select[*tuple[Any, ...]])


def keyset_page(query: S, sort: Any, tie: Any, after: tuple[Any, Any] | None, limit: int) -> S:
    """``query`` ordered by (sort, tie), starting after the keyset ``after``, ``limit`` rows: the one way every
    list in the hub pages (cursors carry the last row's sort value and tie-breaker)."""
    if after is not None:
        query = query.where(or_(sort > after[0], and_(sort == after[0], tie > after[1])))
    return query.order_by(sort, tie).limit(limit)


T = TypeVar("T")
M = TypeVar("M")


def chunks(items: Sequence[T], size: int = 500) -> Iterator[Sequence[T]]:
    """``items`` in slices of ``size``: for IN lists and executemany batches of bounded size."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def bulk_insert(session: Session, model: Any, rows: Sequence[dict[str, Any]], size: int = 2000) -> None:
    """Insert plain rows (every row with the same keys) into a model's table (or a ``Table``) in the
    session's transaction, for rows that need no identity map and no defaults computed by SQLAlchemy. On
    PostgreSQL the rows go in with COPY, which takes them several times faster than any INSERT."""
    table = getattr(model, "__table__", model)
    execute_many(session, _insert_into(table), table, rows, size, copy=True)


@lru_cache(maxsize=128)
def _insert_into(table: Table) -> Any:
    return insert(table)


def execute_many(
    session: Session,
    statement: Any,
    table: Table,
    rows: Sequence[dict[str, Any]],
    size: int = 2000,
    *,
    copy: bool = False,
) -> None:
    """Run ``statement`` (an INSERT, an upsert, or an UPDATE whose bind parameters are named after
    ``table``'s columns) once per row.

    The statement is compiled once per statement, dialect and column list, and each value goes through
    its column type's own bind processor, as SQLAlchemy would send it; the rows then go to the driver's
    executemany directly. SQLAlchemy's executemany spends about 25 µs per 37-column row building and
    processing parameter dictionaries, more than SQLite takes to store the row. Callers keep
    ``statement`` in a cache of their own, so that its compiled form is found again."""
    if not rows:
        return
    names = tuple(rows[0])
    pick = itemgetter(*names) if len(names) > 1 else (lambda row: (row[names[0]],))
    for part in chunks(rows, size):
        # Column by column: zip and map run in C, and each processor is looked up once per column.
        _execute_columns(session, statement, table, names, list(zip(*map(pick, part), strict=True)), copy)


def insert_columns(
    session: Session, model: Any, columns: Mapping[str, Sequence[Any]], size: int = 2000
) -> None:
    """``bulk_insert`` for rows given column by column (a name and one value per row for each column, every
    column as long), as a batch made in another process travels: no row is built as a dict on the way."""
    table = getattr(model, "__table__", model)
    names = tuple(columns)
    count = len(columns[names[0]]) if names else 0
    for start in range(0, count, size):
        part = [columns[name][start : start + size] for name in names]
        _execute_columns(session, _insert_into(table), table, names, part, copy=True)


def _execute_columns(
    session: Session, statement: Any, table: Table, names: tuple[str, ...], columns: list[Any], copy: bool
) -> None:
    """Run ``statement`` once per row of ``columns`` (one sequence of values per name in ``names``, which
    this may replace with their processed values)."""
    connection = session.connection()
    sql, order, processors = _plan(statement, table, connection.dialect, names)
    for index, process in processors:
        columns[index] = [None if value is None else process(value) for value in columns[index]]
    if copy and connection.dialect.name == "postgresql":
        _copy_in(connection, table, names, zip(*columns, strict=True))
        return
    params: list[Any]
    if order is None:
        params = [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]
    else:
        params = list(zip(*(columns[i] for i in order), strict=True))
    connection.exec_driver_sql(sql, params)


def update_by_key(table: Table, *names: str) -> Any:
    """``UPDATE table SET name = :name, ... WHERE key = :key`` for the named columns and the table's primary
    key, with parameters named after the columns: the statement ``update_rows`` runs once per row."""
    keys = table.primary_key.columns
    return (
        update(table)
        .where(*(column == bindparam(column.name) for column in keys))
        .values({name: bindparam(name) for name in names})
    )


def update_rows(
    session: Session,
    statement: Any,
    model: Any,
    rows: Sequence[dict[str, Any]],
    *,
    held: Literal["expire", "set"] = "expire",
) -> None:
    """Run an UPDATE by primary key (``statement``, its parameters named after the columns) once per row.

    What changed on any object of those rows the session holds is then expired (``held="expire"``), so
    that none shows the old values, or set as loaded (``held="set"``) when the values written are exactly
    what loading them would give, so that reading them costs no query."""
    if not rows:
        return
    execute_many(session, statement, model.__table__, rows)
    keys = [column.name for column in model.__table__.primary_key.columns]
    changed = [name for name in rows[0] if name not in keys]
    for row in rows:
        ident = row[keys[0]] if len(keys) == 1 else tuple(row[key] for key in keys)
        obj = session.identity_map.get(identity_key(model, ident))
        if obj is None:
            continue
        if held == "expire":
            session.expire(obj, changed)
            continue
        state = instance_state(obj)
        if state.modified or state.expired or state.expired_attributes or state.callables:
            for name in changed:  # pending changes or unloaded values: as the ORM sets loaded values
                set_committed_value(obj, name, row[name])
        else:
            # Nothing pending and everything loaded: the values go into the instance's dict as they are,
            # which is all that setting them one by one as committed would do (3.0 µs for four values, against
            # 0.6).
            state.dict.update({name: row[name] for name in changed})


def attach_inserted(session: Session, model: type[M], rows: Sequence[dict[str, Any]]) -> list[M]:
    """ORM objects for rows just written with ``bulk_insert``, placed in the session as if loaded from the
    database (changes to them are flushed as updates), without reading the rows back."""
    # As the ORM builds a loaded object: no constructor (a model's own __init__ validates every field, four
    # times the cost of reading the row back), the values put in the instance's dict, then all committed
    # at once by make_transient_to_detached (7.7 µs for an inventory list's 21 columns; setting them one
    # by one as committed took 21.9).
    manager = sa_inspect(model).class_manager
    objects = []
    for row in rows:
        obj = manager.new_instance()
        instance_dict(obj).update(row)
        make_transient_to_detached(obj)
        session.add(obj)
        objects.append(obj)
    return objects


def loaded(session: Session, model: type[M], ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, M]:
    """The rows of ``model`` with these ids, by id: from the session when it holds them already (drafted a
    moment ago in the same unit of work), the rest with one query per 500."""
    found: dict[uuid.UUID, M] = {}
    missing = []
    for row_id in dict.fromkeys(ids):
        held = session.identity_map.get(identity_key(model, row_id))
        if held is not None:
            found[row_id] = held
        else:
            missing.append(row_id)
    key = model.__table__.c.id  # type: ignore[attr-defined]
    for chunk in chunks(missing):
        for obj in session.exec(select(model).where(among(session, key, chunk))):
            found[obj.id] = obj  # type: ignore[attr-defined]
    return found


def _copy_in(connection: Any, table: Table, names: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> None:
    """COPY these rows into ``table`` inside the connection's transaction (psycopg 3)."""
    quote = connection.dialect.identifier_preparer.quote
    columns = ", ".join(quote(name) for name in names)
    cursor = connection.connection.driver_connection.cursor()
    try:
        with cursor.copy(f"COPY {quote(table.name)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()


@lru_cache(maxsize=256)
def _plan(
    statement: Any, table: Table, dialect: Dialect, names: tuple[str, ...]
) -> tuple[str, tuple[int, ...] | None, tuple[tuple[int, Callable[[Any], Any]], ...]]:
    """The SQL text for these columns, the order of positional parameters (``None`` for named ones) and
    the bind processors that apply."""
    if statement.is_dml and statement.is_update:  # its own bind parameters, named after the columns
        compiled = statement.compile(dialect=dialect)
    else:
        compiled = statement.compile(dialect=dialect, column_keys=list(names))
    processors = []
    for index, name in enumerate(names):
        column_type = table.c[name].type
        process: Callable[[Any], Any] | None = column_type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None and dialect.name == "sqlite" and isinstance(column_type, UTCDateTime):
            process = _sqlite_time_cached
        elif process is not None and isinstance(column_type, JSON):
            serializer = dialect._json_serializer
            if dialect.name == "sqlite" and serializer is not None:
                # The engine's serializer itself, without SQLAlchemy's wrapper around it, which only maps
                # its NULL markers (plain rows never hold them): one Python call less per value.
                process = serializer
            process = _empty_list_first(process)
        if process is not None:
            processors.append((index, process))
    order = None
    if compiled.positional:
        order = tuple(names.index(key) for key in compiled.positiontup or ())
    return compiled.string, order, tuple(processors)


def _empty_list_first(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A JSON processor that answers the commonest value (an empty list: no seals, no flags) at once."""
    empty = process([])
    return lambda value: empty if value == [] else process(value)


def sqlite_time(value: datetime) -> str:
    """The text SQLAlchemy stores on SQLite for an aware datetime column (UTC, no zone, microseconds),
    made by ``isoformat`` in C: a quarter of the time of the two processors it replaces, and the same
    text (``tests/test_db_writes.py``), which matters because SQLite compares these as text."""
    if value.tzinfo is not UTC:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("Datetime values must have timezone information")
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


# Most times in a batch are the same "now": each is written once.
_sqlite_time_cached = lru_cache(maxsize=4096)(sqlite_time)


def json_text(value: Any) -> str:
    """JSON columns' text: orjson (compact, three times faster both ways than the standard library),
    falling back to the standard library for what orjson refuses (integers beyond 64 bits)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value)


def among(session: Session, column: Any, values: Iterable[Any]) -> Any:
    """``column IN values``, as each database reads it fastest.

    On PostgreSQL the values travel as one array parameter: psycopg parsed a statement with thousands of
    placeholders anew each time, which cost more than running it. The array is unnested into a
    sub-select (``IN (SELECT unnest(:values))``) rather than compared with ``= ANY(:values)``: once
    psycopg prepares a statement that runs often, PostgreSQL may settle on a generic plan, and for
    ``= ANY`` of a parameter that plan is a scan testing every row against every value (13 ms for 100
    values over 1,500 rows, against 0.8 ms for the sub-select, which the planner joins by hash or index).

    On SQLite the values travel likewise as one parameter, a JSON array read by ``json_each``
    (``IN (SELECT value FROM json_each(:values))``), each value first made what its column stores:
    SQLAlchemy renders an ``IN`` of a list anew on every run, a placeholder and a processed parameter per
    value, which took longer than SQLite took to answer (0.35 ms against 0.22 ms for 100 ids by an
    indexed column). SQLite still looks each value up in the column's index."""
    values = list(values)
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        array = bindparam(None, values, type_=postgresql.ARRAY(column.type))
        return column.in_(sa_select(func.unnest(array)))
    if dialect.name == "sqlite":
        process = _stored_as(column.type, dialect)
        stored = values if process is None else [None if v is None else process(v) for v in values]
        array = bindparam(None, json_text(stored), type_=String())
        return column.in_(sa_select(literal_column("value")).select_from(func.json_each(array)))
    return column.in_(values)


@lru_cache(maxsize=64)
def _stored_as(column_type: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    """The bind processor of a column type: what a value becomes on its way into the column."""
    process: Callable[[Any], Any] | None = column_type.dialect_impl(dialect).bind_processor(dialect)
    return process


def aware(value: datetime) -> datetime:
    """SQLite hands datetimes back without their zone; the hub stores UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (the only kind of time the hub stores)."""
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    """A fresh identifier for a row: a UUID version 7 (RFC 9562), 48 bits of Unix milliseconds then 74
    random bits. Ids made one after another sort together, so a primary-key index grows at its end
    instead of taking each insert at a random page (a third of an event insert's time at 100,000 rows)."""
    return new_ids(1)[0]


def new_ids(count: int) -> list[uuid.UUID]:
    """``count`` fresh identifiers (see ``new_id``), with one read of the system's random source for all
    of them (a message's 2,000 events made 2,000 system calls). The values are in range by construction,
    so ``fast_uuid`` skips the checks of ``UUID()``."""
    stamp = (time.time_ns() // 1_000_000) << 80 | _VERSION_7_VARIANT
    pool = os.urandom(10 * count)
    return [
        fast_uuid(stamp | int.from_bytes(pool[i : i + 10]) & _RANDOM_74) for i in range(0, 10 * count, 10)
    ]


def fast_uuid(value: int) -> uuid.UUID:
    """The UUID with this 128-bit value, without the checks of ``uuid.UUID(int=...)``: for values that
    were UUIDs a moment ago (sent between processes)."""
    made = object.__new__(uuid.UUID)
    object.__setattr__(made, "int", value)
    object.__setattr__(made, "is_safe", uuid.SafeUUID.unknown)
    return made


# Version 7 in bits 76-79 and the RFC 9562 variant (10) in bits 62-63; the random bits skip both.
_VERSION_7_VARIANT = 0x7 << 76 | 0b10 << 62
_RANDOM_74 = (0xFFF << 64) | ((1 << 62) - 1)


_CENTS = Decimal("0.01")


class Money(TypeDecorator[Decimal]):
    """An exact decimal amount: NUMERIC(20, 4) on PostgreSQL, text on SQLite (which has no exact decimals)."""

    impl = String(32)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(20, 4, asdecimal=True))
        return dialect.type_descriptor(String(32))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        value = Decimal(value)
        return value if dialect.name == "postgresql" else str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        # The same value reads back the same on both backends: at least two decimals, no padding beyond.
        amount = Decimal(value).normalize()
        exponent = amount.as_tuple().exponent
        return amount.quantize(_CENTS) if isinstance(exponent, int) and exponent > -2 else amount


JSONType = JSON().with_variant(JSON(), "postgresql")


# Python's sqlite3 binds None as NULL only after looking for an adapter and finding none, which costs about
# 0.6 µs per value: a tracking event has a dozen empty columns, and that search was a fifth of the time
# SQLite took to store it. With an adapter registered for None (a C builtin that answers None for any
# argument), the lookup succeeds at once and the value is still bound as NULL.
sqlite3.register_adapter(type(None), cast(Callable[[None], None], {}.get))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # 16 KiB pages, for a database file this connection creates (an existing file keeps its own; this
    # must come before WAL): ingest writes each dirty page as a WAL frame, two system calls each, and
    # copies it again at the checkpoint. With 4 KiB pages a tracking event cost about three system
    # calls; the writer of ``hub ingest`` took 34-36 µs of CPU per event instead of 39-45 (four runs of
    # each, interleaved, 40,000 events).
    cursor.execute("PRAGMA page_size=16384")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


# With ``checkpoints="thread"`` (see ``hub.checkpoint``): the log size at which a commit still checkpoints
# (8,192 pages of 16 KiB, 128 MiB), and the length the log file is cut back to once copied back.
BACKSTOP_PAGES = 8192
WAL_SIZE_LIMIT = 64 * 1024 * 1024


def _sqlite_thread_checkpoints(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
    cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
    cursor.close()


def busy_refusal(exc: BaseException) -> Unavailable | None:
    """A SQLite write that waited its whole busy timeout for another writer, as a refusal to retry (the
    unit it belonged to was rolled back: nothing of it is stored), or None for any other error.

    SQLite admits one writer at a time; under many concurrent writers in one process a write can wait
    out the timeout, and that answered 500 as if the hub were broken. PostgreSQL, where writers do not
    queue on one lock, is the path for that load."""
    text = str(getattr(exc, "orig", exc))
    if isinstance(exc, sqlite3.OperationalError | OperationalError) and "database is locked" in text:
        return Unavailable("the database is busy with other writes; nothing was stored: send it again")
    return None


#: Connections a process keeps open, and how many more it may open under load (see ``make_engine``).
POOL_SIZE, POOL_OVERFLOW = 10, 40


def make_engine(
    url: str, *, echo: bool = False, checkpoints: Literal["commit", "thread"] = "commit"
) -> Engine:
    """Create an engine for ``url``: a SQLite file (its folder made if missing) or PostgreSQL.

    ``checkpoints``: on SQLite, whether commits copy the write-ahead log back into the database as SQLite
    does by itself ("commit"), or leave that to a ``hub.checkpoint.Checkpointer`` thread ("thread")."""
    kwargs: dict[str, Any] = {"echo": echo}
    if url in ("sqlite://", "sqlite:///:memory:"):
        kwargs["connect_args"] = {"check_same_thread": False}
        kwargs["poolclass"] = StaticPool
    else:
        # Enough connections for every request thread at once (anyio's 40) and the in-process workers:
        # with 5 + 10, twenty clients and the workers queued for a connection and timed out (issue 26).
        # Ten are kept open; the rest close when idle. PostgreSQL's default of 100 connections admits two
        # hub processes at full load: set max_connections or put PgBouncer in front for more.
        kwargs["pool_size"], kwargs["max_overflow"] = POOL_SIZE, POOL_OVERFLOW
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False}
            path = url.split("///", 1)[-1]
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        else:
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
            kwargs["pool_pre_ping"] = True
    engine = create_engine(url, json_serializer=json_text, json_deserializer=orjson.loads, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        if checkpoints == "thread":
            event.listen(engine, "connect", _sqlite_thread_checkpoints)
    return engine


@contextmanager
def session_scope(engine: Engine, **info: Any) -> Iterator[Session]:
    """One unit of work: commit when the block ends cleanly, roll back when it raises."""
    session = Session(engine, expire_on_commit=False)
    session.info.update(info)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
