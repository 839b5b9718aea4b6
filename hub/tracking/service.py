"""The only code that writes containers and tracking events, and the queries over them.

Ingest is all or nothing per request: adapters have already refused anything malformed, and the rows
(events, containers, outbox entries) go in one transaction with bulk statements. An event whose source
key is already stored is a duplicate and is counted, not stored again; a DCSA 3.0 event sent again with
a later ``eventUpdatedDateTime`` replaces the stored one as a new version.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, insert, or_, true
from sqlmodel import Session, col, select

from hub import records
from hub.auth.permissions import Action, Principal
from hub.canonical import camel, time_text
from hub.db import bulk_insert, chunks, keyset_page, new_id, utcnow
from hub.errors import NotFound
from hub.outbox import OutboxEntry, emit, outbox_values
from hub.tracking.commands import EventCommand, ParsedBatch
from hub.tracking.models import EVENT_KIND, Container, IngestedMessage, TrackingEvent

TOPIC = "tracking"
# Fields copied from a command onto a row, in the canonical (anchored) form too.
_FIELDS = (
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


_NAMES = tuple((name, camel(name)) for name in _FIELDS)
_POSITION_FIELDS = (
    "equipment_reference",
    "classifier",
    "event_type",
    "type_code",
    "event_datetime",
    "un_location_code",
    "facility_code",
    "empty_indicator",
)


def canonical(row: Any) -> dict[str, Any]:
    """The anchored content of an event (a row, or the dict of values about to be inserted)."""
    get: Callable[[str], Any] = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    body: dict[str, Any] = {camel: get(name) for name, camel in _NAMES}
    body["ownerOrgId"] = str(get("owner_org_id"))
    body["sourceKey"] = get("source_key")
    body["eventDateTime"] = time_text(get("event_datetime"))
    body["eventCreatedDateTime"] = time_text(get("event_created_datetime"))
    updated = get("source_updated_datetime")
    body["sourceUpdatedDateTime"] = None if updated is None else time_text(updated)
    body["seals"] = list(get("seals"))
    body["flags"] = list(get("flags"))
    return body


records.register(EVENT_KIND, TrackingEvent, canonical)


@dataclass
class IngestReport:
    """What an ingest request did."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    stored: int = 0
    duplicates: int = 0
    updated: int = 0
    containers_new: int = 0
    flagged: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The report as the REST answer and the CLI print it."""
        return {
            "stored": self.stored,
            "duplicates": self.duplicates,
            "updated": self.updated,
            "containersNew": self.containers_new,
            "messages": self.messages,
            "flagged": self.flagged,
            "notes": sorted(set(self.notes)),
        }


def ensure_containers(
    session: Session, seen: dict[str, tuple[bool, str | None]]
) -> tuple[dict[str, uuid.UUID], int]:
    """The ids of these containers, registering the ones the hub has not seen yet; also how many were new."""
    ids: dict[str, uuid.UUID] = {}
    numbers = sorted(seen)
    for chunk in chunks(numbers):
        for cid, number in session.exec(
            select(Container.id, Container.number).where(col(Container.number).in_(chunk))
        ):
            ids[number] = cid
    missing = [n for n in numbers if n not in ids]
    if missing:
        rows = []
        for number in missing:
            ids[number] = new_id()
            valid, size_type = seen[number]
            rows.append(
                {
                    "id": ids[number],
                    "number": number,
                    "check_digit_valid": valid,
                    "iso_size_type": size_type,
                    "created_at": utcnow(),
                }
            )
        session.connection().execute(insert(Container.__table__), rows)  # type: ignore[attr-defined]
    return ids, len(missing)


def ingest(session: Session, principal: Principal, batch: ParsedBatch) -> IngestReport:
    """Store a parsed batch for the caller's organisation (flushes; the edge commits)."""
    principal.require(Action.INGEST_EVENTS)
    return record_events(session, principal.org_id, batch)


def record_events(session: Session, org_id: uuid.UUID, batch: ParsedBatch) -> IngestReport:
    """Store events the hub itself derived for ``org_id`` (a customs decision's CUSI/CUSR), or, through
    ``ingest``, what a sender may send. No permission check here: callers have made theirs."""
    report = IngestReport()
    now = utcnow()
    seen: dict[str, tuple[bool, str | None]] = {}
    for event in batch.events:
        if event.equipment_reference:
            valid = not any(f.value == "EQUIPMENT_CHECK_DIGIT" for f in event.flags)
            seen.setdefault(event.equipment_reference, (valid, event.iso_equipment_code))
    for number, size_type in batch.containers:
        seen.setdefault(number, (True, size_type))
    container_ids, report.containers_new = ensure_containers(session, seen)

    # Within one request, the last occurrence of a source key wins (a body may repeat an event).
    latest: dict[str, EventCommand] = {}
    for event in batch.events:
        latest[event.source_key] = event
    existing: dict[str, TrackingEvent] = {}
    for chunk in chunks(list(latest)):
        for row in session.exec(select(TrackingEvent).where(col(TrackingEvent.source_key).in_(chunk))):
            existing[row.source_key] = row
    report.duplicates = len(batch.events) - len(latest)

    rows: list[dict[str, Any]] = []
    moved: list[dict[str, Any]] = []  # updated events, for the yard's picture
    outbox: list[dict[str, Any]] = []
    changed: dict[str, list[str]] = defaultdict(list)
    message_type = "+".join(sorted({m.message_type for m in batch.messages}))
    source_format = batch.messages[0].format if batch.messages else "HUB"
    for key, event in latest.items():
        old = existing.get(key)
        if old is not None:
            newer = (
                event.source_updated_datetime is not None
                and old.source_updated_datetime is not None
                and event.source_updated_datetime > old.source_updated_datetime
            )
            if not newer or old.owner_org_id != org_id:
                report.duplicates += 1
                continue
            _apply(old, event)
            old.version += 1
            session.add(old)
            report.updated += 1
            outbox.append(outbox_values(EVENT_KIND, old.id, old.version, canonical(old), now))
            moved.append({name: getattr(old, name) for name in _POSITION_FIELDS})
            if old.equipment_reference:
                changed[old.equipment_reference].append(str(old.id))
            continue
        values = _values(event, org_id, source_format, message_type, now)
        values["container_id"] = container_ids.get(event.equipment_reference or "")
        rows.append(values)
        outbox.append(outbox_values(EVENT_KIND, values["id"], 1, canonical(values), now))
        if event.flags:
            report.flagged.append(
                {
                    "where": event.where,
                    "equipmentReference": event.equipment_reference or "",
                    "flags": ",".join(f.value for f in event.flags),
                }
            )
        if event.equipment_reference:
            changed[event.equipment_reference].append(str(values["id"]))
    _known_vessels(session, rows)
    bulk_insert(session, TrackingEvent, rows)
    bulk_insert(session, OutboxEntry, outbox)
    report.stored = len(rows)
    from hub.tracking.push import queue_deliveries

    queue_deliveries(session, rows)
    from hub.port.yard import update_positions

    update_positions(session, [*rows, *moved])
    for info in batch.messages:
        session.add(
            IngestedMessage(
                org_id=org_id,
                format=info.format,
                message_type=info.message_type,
                reference=info.reference[:300],
                events_new=report.stored,
                events_duplicate=report.duplicates,
                events_updated=report.updated,
            )
        )
        report.messages.append({"type": info.message_type, "reference": info.reference})
        report.notes.extend(info.notes)
    session.flush()
    if changed:
        # One message per request (not per container): subscribers pick the containers they follow.
        emit(session, TOPIC, {"containers": dict(changed), "ownerOrgId": str(org_id)})
    return report


def _known_vessels(session: Session, rows: list[dict[str, Any]]) -> None:
    """Give events that name a ship without its IMO number (terminals' EDIFACT often does) the number the
    vessel register holds for that call sign or name, so a call's discharge and load lists find them."""
    from hub.port.models import Vessel

    unnamed = [r for r in rows if not r["vessel_imo"] and (r["vessel_call_sign"] or r["vessel_name"])]
    if not unnamed:
        return
    signs = sorted({r["vessel_call_sign"] for r in unnamed if r["vessel_call_sign"]})
    names = sorted({r["vessel_name"] for r in unnamed if r["vessel_name"]})
    by_sign: dict[str, str] = {}
    by_name: dict[str, str] = {}
    for vessel in session.exec(
        select(Vessel).where(or_(col(Vessel.call_sign).in_(signs), col(Vessel.name).in_(names)))
    ):
        if vessel.call_sign:
            by_sign[vessel.call_sign] = vessel.imo
        if vessel.name:
            by_name[vessel.name] = vessel.imo
    for row in unnamed:
        row["vessel_imo"] = by_sign.get(row["vessel_call_sign"] or "") or by_name.get(
            row["vessel_name"] or ""
        )


def _values(
    event: EventCommand, owner: uuid.UUID, source_format: str, message_type: str, now: datetime
) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(event, name) for name in _FIELDS}
    values.update(
        id=new_id(),
        owner_org_id=owner,
        source_key=event.source_key[:600],
        source_format=source_format,
        message_type=message_type[:20],
        event_datetime=event.event_datetime,
        event_created_datetime=event.event_created_datetime or now,
        source_updated_datetime=event.source_updated_datetime,
        seals=[{"number": s.number, "source": s.source, "type": s.type} for s in event.seals],
        flags=[f.value for f in event.flags],
        version=1,
        created_at=now,
    )
    values["event_type"] = event.event_type.value
    values["classifier"] = event.classifier.value
    return values


def _apply(row: TrackingEvent, event: EventCommand) -> None:
    for name in _FIELDS:
        setattr(row, name, getattr(event, name))
    row.event_type, row.classifier = event.event_type.value, event.classifier.value
    row.event_datetime = event.event_datetime
    row.source_updated_datetime = event.source_updated_datetime
    row.seals = [{"number": s.number, "source": s.source, "type": s.type} for s in event.seals]
    row.flags = [f.value for f in event.flags]


# -- reading ------------------------------------------------------------------------------------------


def _on_visible_bill(principal: Principal, number: Any) -> ColumnElement[bool]:
    from hub.bills.models import Bill, BillContainer
    from hub.bills.service import visible_bills

    return exists().where(
        and_(
            col(BillContainer.number) == number,
            col(BillContainer.bill_id) == col(Bill.id),
            visible_bills(principal),
        )
    )


def visible_events(principal: Principal) -> ColumnElement[bool]:
    """Events the caller may read: its own; on containers it handles or that travel under a bill it may
    read, everyone's; regulators all."""
    if principal.audits_all:
        return true()
    mine = col(TrackingEvent.owner_org_id) == principal.org_id
    other = TrackingEvent.__table__.alias("handled")  # type: ignore[attr-defined]
    handles = exists().where(
        and_(other.c.container_id == TrackingEvent.container_id, other.c.owner_org_id == principal.org_id)
    )
    on_bill = _on_visible_bill(principal, TrackingEvent.equipment_reference)
    return or_(mine, and_(col(TrackingEvent.container_id).is_not(None), or_(handles, on_bill)))


def get_container(session: Session, principal: Principal, number: str) -> Container:
    """A container the caller handles (or, for regulators, any)."""
    principal.require(Action.READ_RECORDS)
    clean = number.strip().upper().replace(" ", "")
    container = session.exec(select(Container).where(Container.number == clean)).first()
    if container is None:
        raise NotFound(f"no container {clean} that you may see", field="number")
    if not principal.audits_all:
        mine = session.exec(
            select(TrackingEvent.id)
            .where(TrackingEvent.container_id == container.id, TrackingEvent.owner_org_id == principal.org_id)
            .limit(1)
        ).first()
        if (
            mine is None
            and session.exec(select(true()).where(_on_visible_bill(principal, clean))).first() is None
        ):
            raise NotFound(f"no container {clean} that you may see", field="number")
    return container


@dataclass(frozen=True)
class EventFilter:
    """Filters shared by GraphQL and DCSA ``GET /v2/events``."""

    container_id: uuid.UUID | None = None
    equipment_reference: str | None = None
    event_types: tuple[str, ...] = ()
    classifiers: tuple[str, ...] = ()
    type_codes: tuple[str, ...] = ()
    un_location_code: str | None = None
    transport_call_id: str | None = None
    vessel_imo: str | None = None
    voyage: str | None = None
    export_voyage: str | None = None
    carrier_service_code: str | None = None
    booking_reference: str | None = None
    transport_document_reference: str | None = None
    created: tuple[tuple[str, datetime], ...] = ()  # (operator, value): gte, gt, lte, lt, eq
    happened_after: datetime | None = None
    happened_before: datetime | None = None


_OPS = {"gte": "__ge__", "gt": "__gt__", "lte": "__le__", "lt": "__lt__", "eq": "__eq__"}


def list_events(
    session: Session,
    principal: Principal,
    flt: EventFilter,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None = None,
    order: str = "created",
) -> Sequence[TrackingEvent]:
    """Visible events matching ``flt``, ``limit`` at a time, by creation (feeds) or by event time (history)."""
    principal.require(Action.READ_RECORDS)
    query = select(TrackingEvent).where(visible_events(principal))
    column = col(TrackingEvent.created_at) if order == "created" else col(TrackingEvent.event_datetime)
    conditions: list[Any] = []
    if flt.container_id is not None:
        conditions.append(TrackingEvent.container_id == flt.container_id)
    if flt.equipment_reference:  # through the container (its index), not the number on the event
        number = select(Container.id).where(Container.number == flt.equipment_reference).scalar_subquery()
        conditions.append(TrackingEvent.container_id == number)
    for name, values in (
        ("event_type", flt.event_types),
        ("classifier", flt.classifiers),
        ("type_code", flt.type_codes),
    ):
        if values:
            conditions.append(col(getattr(TrackingEvent, name)).in_(values))
    for name in (
        "un_location_code",
        "transport_call_id",
        "vessel_imo",
        "export_voyage",
        "carrier_service_code",
        "booking_reference",
        "transport_document_reference",
    ):
        value = getattr(flt, name)
        if value:
            conditions.append(getattr(TrackingEvent, name) == value)
    if flt.voyage:
        conditions.append(
            or_(
                col(TrackingEvent.export_voyage) == flt.voyage, col(TrackingEvent.import_voyage) == flt.voyage
            )
        )
    for op, value in flt.created:
        conditions.append(getattr(col(TrackingEvent.event_created_datetime), _OPS[op])(value))
    if flt.happened_after is not None:
        conditions.append(col(TrackingEvent.event_datetime) >= flt.happened_after)
    if flt.happened_before is not None:
        conditions.append(col(TrackingEvent.event_datetime) < flt.happened_before)
    if conditions:
        query = query.where(and_(*conditions))
    return session.exec(keyset_page(query, column, col(TrackingEvent.id), after, limit)).all()


@dataclass(frozen=True)
class ContainerStatus:
    """Where a container is now, derived from its events."""

    last_event: TrackingEvent | None
    last_actual: TrackingEvent | None
    next_planned: TrackingEvent | None
    eta: TrackingEvent | None
    empty_indicator: str | None
    location: str | None
    mode_of_transport: str | None


def status(session: Session, principal: Principal, container: Container) -> ContainerStatus:
    """The container's current status, from the events the caller may see."""
    events = list(
        session.exec(
            select(TrackingEvent)
            .where(TrackingEvent.container_id == container.id, visible_events(principal))
            .order_by(col(TrackingEvent.event_datetime), col(TrackingEvent.created_at))
        )
    )
    actual = [e for e in events if e.classifier == "ACT"]
    last_actual = actual[-1] if actual else None
    horizon = last_actual.event_datetime if last_actual else None
    ahead = [
        e
        for e in events
        if e.classifier in ("PLN", "EST") and (horizon is None or e.event_datetime > horizon)
    ]
    arrivals = [e for e in ahead if e.type_code in ("ARRI", "DISC")]
    known_empty = next((e.empty_indicator for e in reversed(actual) if e.empty_indicator), None)
    return ContainerStatus(
        last_event=events[-1] if events else None,
        last_actual=last_actual,
        next_planned=ahead[0] if ahead else None,
        eta=arrivals[-1] if arrivals else None,
        empty_indicator=known_empty,
        location=last_actual.un_location_code if last_actual else None,
        mode_of_transport=last_actual.mode_of_transport if last_actual else None,
    )


def events_by_ids(session: Session, principal: Principal, ids: Sequence[uuid.UUID]) -> list[TrackingEvent]:
    """The visible events among ``ids`` (for subscriptions)."""
    return list(
        session.exec(
            select(TrackingEvent).where(col(TrackingEvent.id).in_(list(ids)), visible_events(principal))
        )
    )
