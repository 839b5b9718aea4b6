"""The yard's current picture: each container's position, kept from actual equipment events as they land.

A container is in the yard of a port from the actual gate-in or discharge there until the actual gate-out
or load; other actual events (stuffing, inspection, customs) keep it where it is. Older events that
arrive late change nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, col, select

from hub.port.models import ContainerPosition

IN_YARD = frozenset({"GTIN", "DISC"})
OUT_OF_YARD = frozenset({"GTOT", "LOAD"})
_CHUNK = 500


def aware(value: datetime) -> datetime:
    """SQLite hands datetimes back without their zone; the hub stores UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def update_positions(session: Session, events: Iterable[Mapping[str, Any]]) -> int:
    """Move containers according to these just-stored events (dicts or rows); return how many moved."""
    latest: dict[str, Mapping[str, Any]] = {}
    for event in events:
        number = event.get("equipment_reference")
        if not number or event.get("classifier") != "ACT" or event.get("event_type") != "EQUIPMENT":
            continue
        seen = latest.get(number)
        if seen is None or aware(event["event_datetime"]) >= aware(seen["event_datetime"]):
            latest[number] = event
    if not latest:
        return 0
    numbers = sorted(latest)
    existing: dict[str, ContainerPosition] = {}
    for start in range(0, len(numbers), _CHUNK):
        chunk = numbers[start : start + _CHUNK]
        for row in session.exec(
            select(ContainerPosition).where(col(ContainerPosition.container_number).in_(chunk))
        ):
            existing[row.container_number] = row
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for number, event in latest.items():
        when = aware(event["event_datetime"])
        code = event["type_code"]
        old = existing.get(number)
        if old is not None and aware(old.last_event_at) > when:
            continue
        here = event.get("un_location_code") or (old.un_location_code if old else None)
        was_in = bool(old and old.in_yard)
        in_yard = True if code in IN_YARD else False if code in OUT_OF_YARD else was_in
        moved_port = old is not None and here != old.un_location_code
        since = aware(old.since) if (old is not None and in_yard and was_in and not moved_port) else when
        values = {
            "container_number": number,
            "un_location_code": here,
            "facility_code": event.get("facility_code")
            or (old.facility_code if old and not moved_port else None),
            "in_yard": in_yard,
            "since": since,
            "last_type_code": code,
            "last_event_at": when,
            "empty": None
            if event.get("empty_indicator") is None
            else event.get("empty_indicator") == "EMPTY",
        }
        (changed if old is not None else new).append(values)
    connection = session.connection()
    table = ContainerPosition.__table__  # type: ignore[attr-defined]
    if new:
        connection.execute(insert(table), new)
    if changed:
        statement = (
            update(table)
            .where(table.c.container_number == bindparam("key"))
            .values({name: bindparam(f"v_{name}") for name in changed[0] if name != "container_number"})
        )
        connection.execute(
            statement,
            [{"key": v["container_number"], **{f"v_{k}": x for k, x in v.items()}} for v in changed],
        )
    return len(new) + len(changed)
