"""Tracking events turned into table rows and anchored documents: the part of ingest that needs no
database, run for every event of every message (in ``hub ingest``'s worker processes when it has them).

This module is compiled with mypyc where the hub is built (``scripts/build_native.py``, run by
``scripts/setup.sh``): keep it free of anything that needs a database or a session, and keep its
annotations true, since compiled code checks them when it runs. Without the build it runs as it is.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from hub.canonical import anchored, camel, time_text
from hub.db import new_ids
from hub.tracking.commands import EventCommand, Flag, ParsedBatch
from hub.tracking.models import EVENT_KIND

# IMO numbers by call sign and by name, from the vessel register.
VesselRegister = tuple[dict[str, str], dict[str, str]]

# Fields copied from a command onto a row, in the canonical (anchored) form too.
FIELDS = (
    "event_type",
    "classifier",
    "type_code",
    "equipment_reference",
    "iso_equipment_code",
    "empty_indicator",
    "movement_type",
    "un_location_code",
    "facility_code",
    "facility_provider",
    "location_name",
    "mode_of_transport",
    "transport_call_id",
    "vessel_name",
    "vessel_imo",
    "vessel_call_sign",
    "carrier_code",
    "carrier_service_code",
    "export_voyage",
    "import_voyage",
    "vehicle_reference",
    "booking_reference",
    "transport_document_reference",
    "document_type_code",
)
_CAMEL_FIELDS = tuple(camel(name) for name in FIELDS)


def canonical(row: Any) -> dict[str, Any]:
    """The anchored content of an event (a row, or the dict of values about to be inserted)."""
    get: Callable[[str], Any] = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    return _record(
        [get(name) for name in FIELDS],
        str(get("owner_org_id")),
        get("source_key"),
        get("event_datetime"),
        get("event_created_datetime"),
        get("source_updated_datetime"),
        list(get("seals")),
        list(get("flags")),
    )


def _record(
    head: Sequence[Any],
    owner: str,
    source_key: str,
    event_time: datetime,
    created: datetime,
    updated: datetime | None,
    seals: list[Any],
    flags: list[Any],
) -> dict[str, Any]:
    """The canonical record from its values (``head``: those of FIELDS, in order); ``canonical`` makes
    it from a stored row and ``event_rows`` from an event about to be stored, so the two agree."""
    body: dict[str, Any] = dict(zip(_CAMEL_FIELDS, head, strict=True))
    body["ownerOrgId"] = owner
    body["sourceKey"] = source_key
    body["eventDateTime"] = time_text(event_time)
    body["eventCreatedDateTime"] = time_text(created)
    body["sourceUpdatedDateTime"] = None if updated is None else time_text(updated)
    body["seals"] = seals
    body["flags"] = flags
    return body


# The tracking_event columns a prepared event fills (all but container_id, which the writer finds), in
# the order of the tuple ``event_rows`` makes per event: FIELDS first, as the canonical record names them.
ROW_NAMES = (
    *FIELDS,
    "id",
    "owner_org_id",
    "source_key",
    "source_format",
    "message_type",
    "event_datetime",
    "event_created_datetime",
    "source_updated_datetime",
    "seals",
    "flags",
    "version",
    "created_at",
)
# Where ``event_rows`` finds in that tuple what the canonical record takes besides FIELDS.
_KEY, _TIME, _CREATED, _UPDATED, _SEALS, _FLAGS = (
    ROW_NAMES.index(name)
    for name in (
        "source_key",
        "event_datetime",
        "event_created_datetime",
        "source_updated_datetime",
        "seals",
        "flags",
    )
)
OUTBOX_NAMES = ("record_kind", "record_id", "version", "document", "record_hash", "created_at")


def _row(
    event: EventCommand,
    event_id: uuid.UUID,
    vessel_imo: str | None,
    owner: uuid.UUID,
    source_format: str,
    message_type: str,
    now: datetime,
) -> tuple[Any, ...]:
    # Attribute by attribute rather than getattr over FIELDS: compiled, this is a third of the cost. The
    # enums are StrEnums, whose str() is their value (``.value`` is a property run as Python code).
    return (
        str(event.event_type),
        str(event.classifier),
        event.type_code,
        event.equipment_reference,
        event.iso_equipment_code,
        event.empty_indicator,
        event.movement_type,
        event.un_location_code,
        event.facility_code,
        event.facility_provider,
        event.location_name,
        event.mode_of_transport,
        event.transport_call_id,
        event.vessel_name,
        vessel_imo,
        event.vessel_call_sign,
        event.carrier_code,
        event.carrier_service_code,
        event.export_voyage,
        event.import_voyage,
        event.vehicle_reference,
        event.booking_reference,
        event.transport_document_reference,
        event.document_type_code,
        event_id,
        owner,
        event.source_key[:600],
        source_format,
        message_type,
        event.event_datetime,
        event.event_created_datetime or now,
        event.source_updated_datetime,
        [{"number": s.number, "source": s.source, "type": s.type} for s in event.seals],
        [str(f) for f in event.flags],
        1,
        now,
    )


class BatchRows:
    """What ``event_rows`` makes of a batch: the containers it names (number: check digit valid, ISO
    size-type), the event and outbox rows as columns, each event's place in its message, and how many
    events the batch sent twice."""

    __slots__ = ("containers", "events", "outbox", "repeated", "wheres")

    def __init__(
        self,
        containers: dict[str, tuple[bool, str | None]],
        events: dict[str, list[Any]],
        outbox: dict[str, list[Any]],
        wheres: list[str],
        repeated: int,
    ) -> None:
        self.containers, self.events, self.outbox = containers, events, outbox
        self.wheres, self.repeated = wheres, repeated


def event_rows(batch: ParsedBatch, org_id: uuid.UUID, vessels: VesselRegister, now: datetime) -> BatchRows:
    """Rows and outbox documents for every event of ``batch``, each prepared as new."""
    seen: dict[str, tuple[bool, str | None]] = {}
    for event in batch.events:
        number = event.equipment_reference
        if number:
            valid = Flag.EQUIPMENT_CHECK_DIGIT not in event.flags
            seen.setdefault(number, (valid, event.iso_equipment_code))
    for number, size_type in batch.containers:
        seen.setdefault(number, (True, size_type))
    # Within one request, the last occurrence of a source key wins (a body may repeat an event).
    latest: dict[str, EventCommand] = {}
    for event in batch.events:
        latest[event.source_key[:600]] = event
    message_type = "+".join(sorted({m.message_type for m in batch.messages}))[:20]
    source_format = batch.messages[0].format if batch.messages else "HUB"
    by_sign, by_name = vessels
    owner = str(org_id)
    fields = len(FIELDS)
    made: list[list[Any]] = [[] for _ in ROW_NAMES]
    outbox: list[list[Any]] = [[] for _ in OUTBOX_NAMES]
    wheres: list[str] = []
    for event, event_id in zip(latest.values(), new_ids(len(latest)), strict=True):
        vessel_imo = event.vessel_imo
        if not vessel_imo and (by_sign or by_name):
            # Terminals' EDIFACT often names a ship without its IMO number: the register's, so that a
            # call's discharge and load lists find these events.
            vessel_imo = by_sign.get(event.vessel_call_sign or "") or by_name.get(event.vessel_name or "")
        row = _row(event, event_id, vessel_imo, org_id, source_format, message_type, now)
        for column, value in zip(made, row, strict=True):
            column.append(value)
        # What ``canonical`` makes of the stored row, from the same values. Typed fields (strings,
        # lists of strings): no float can be in it.
        record = _record(
            row[:fields], owner, row[_KEY], row[_TIME], row[_CREATED], row[_UPDATED], row[_SEALS], row[_FLAGS]
        )
        document, rhash = anchored(EVENT_KIND, event_id, 1, record, checked=True)
        for column, value in zip(outbox, (EVENT_KIND, event_id, 1, document, rhash, now), strict=True):
            column.append(value)
        wheres.append(event.where)
    return BatchRows(
        seen,
        dict(zip(ROW_NAMES, made, strict=True)) if wheres else {},
        dict(zip(OUTBOX_NAMES, outbox, strict=True)) if wheres else {},
        wheres,
        len(batch.events) - len(latest),
    )
