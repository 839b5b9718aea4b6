"""The yard's current picture: each container's position, kept from actual equipment events as they land.

A container is in the yard of a port from the actual gate-in or discharge there until the actual gate-out
or load; other events (stuffing, inspection, customs, estimates) do not move it. Older moves that arrive
late change nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy import Column, MetaData, Table, and_, case, delete, select
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from hub.db import aware, bulk_insert, execute_many
from hub.port.models import ContainerPosition

IN_YARD = frozenset({"GTIN", "DISC"})
OUT_OF_YARD = frozenset({"GTOT", "LOAD"})
YARD_MOVES = IN_YARD | OUT_OF_YARD


def update_positions(session: Session, events: Iterable[Mapping[str, Any]]) -> int:
    """Move containers according to these just-stored events (dicts or rows); return how many were seen.

    One upsert per batch: a newer yard move replaces the position, an older one is ignored by the
    statement's own condition, so no position is read into Python first.
    """
    latest: dict[str, Mapping[str, Any]] = {}
    for event in events:
        number = event.get("equipment_reference")
        code = event.get("type_code")
        if not number or code not in YARD_MOVES or event.get("classifier") != "ACT":
            continue
        seen = latest.get(number)
        if seen is None or aware(event["event_datetime"]) >= aware(seen["event_datetime"]):
            latest[number] = event
    if not latest:
        return 0
    rows = [
        {
            "container_number": number,
            "un_location_code": event.get("un_location_code"),
            "facility_code": event.get("facility_code"),
            "in_yard": event["type_code"] in IN_YARD,
            "since": aware(event["event_datetime"]),
            "last_type_code": event["type_code"],
            "last_event_at": aware(event["event_datetime"]),
            "empty": None
            if event.get("empty_indicator") is None
            else event.get("empty_indicator") == "EMPTY",
        }
        for number, event in latest.items()
    ]
    table = ContainerPosition.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    if dialect != "postgresql":
        execute_many(session, _upsert(dialect), table, rows)
        return len(rows)
    # PostgreSQL runs an upsert per row one round trip at a time; COPY into a temporary table and one
    # INSERT ... SELECT ... ON CONFLICT take the batch at once (the stage empties itself at commit).
    connection = session.connection()
    connection.exec_driver_sql(_STAGE_DDL)
    bulk_insert(session, _STAGE, rows)
    connection.execute(_upsert(dialect, staged=True))
    connection.execute(delete(_STAGE))  # for a second batch in this transaction
    return len(rows)


# The temporary stage for PostgreSQL: the positions' columns, in a metadata of its own (no migration).
_STAGE = Table(
    "container_position_stage",
    MetaData(),
    *(Column(c.name, c.type) for c in ContainerPosition.__table__.columns),  # type: ignore[attr-defined]
)


_STAGE_DDL = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS container_position_stage "
    "(LIKE container_position) ON COMMIT DELETE ROWS"
)


@lru_cache(maxsize=4)
def _upsert(dialect: str, *, staged: bool = False) -> Any:
    """Insert a position, or move it when the event is not older than the one that put it there; from
    the rows given, or (``staged``) from the stage."""
    table = ContainerPosition.__table__  # type: ignore[attr-defined]
    statement = (postgres_insert if dialect == "postgresql" else sqlite_insert)(table)
    if staged:
        names = [c.name for c in _STAGE.columns]
        statement = statement.from_select(names, select(*_STAGE.columns))
    new = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[table.c.container_number],
        set_={
            "un_location_code": new.un_location_code,
            "facility_code": new.facility_code,
            "in_yard": new.in_yard,
            # Still in the same port's yard (a move inside it): it has been there since it came in.
            "since": case(
                (
                    and_(new.in_yard, table.c.in_yard, table.c.un_location_code == new.un_location_code),
                    table.c.since,
                ),
                else_=new.since,
            ),
            "last_type_code": new.last_type_code,
            "last_event_at": new.last_event_at,
            "empty": new.empty,
        },
        where=new.last_event_at >= table.c.last_event_at,
    )
