"""The only code that writes containers and tracking events, and the queries over them.

Ingest is all or nothing per request: adapters have already refused anything malformed, and the rows
(events, containers, outbox entries) go in one transaction with bulk statements. An event whose source
key is already stored is a duplicate and is counted, not stored again; a DCSA 3.0 event sent again with
a later ``eventUpdatedDateTime`` replaces the stored one as a new version.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, and_, exists, func, or_, true, type_coerce
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from hub import records
from hub.auth.permissions import Action, Principal
from hub.db import among, aware, bulk_insert, chunks, fast_uuid, insert_columns, keyset_page, new_id, utcnow
from hub.errors import Invalid, NotFound
from hub.outbox import OutboxEntry, emit, outbox_values
from hub.tracking import rows
from hub.tracking.commands import EventCommand, MessageInfo, ParsedBatch
from hub.tracking.models import EVENT_KIND, Container, IngestedMessage, TrackingEvent
from hub.tracking.rows import VesselRegister, canonical

TOPIC = "tracking"
# What the yard's picture takes from an event.
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


@dataclass
class KnownContainers:
    """Container ids by number that one run of many messages has seen committed, so that its later
    messages need not look them up again (containers are never deleted or renumbered). Ids found or
    registered in a transaction wait in ``pending`` until it commits: a message rolled back must not
    leave behind the id of a container it registered."""

    ids: dict[str, uuid.UUID] = field(default_factory=dict)
    pending: dict[str, uuid.UUID] = field(default_factory=dict)

    def commit(self) -> None:
        """The transaction that found or registered the pending ids has committed."""
        self.ids.update(self.pending)
        self.pending.clear()


def ensure_containers(
    session: Session, seen: dict[str, tuple[bool, str | None]], known: KnownContainers | None = None
) -> tuple[dict[str, uuid.UUID], int]:
    """The ids of these containers, registering the ones the hub has not seen yet; also how many were new.
    With ``known``, only the numbers it does not hold are looked up, and what this finds waits in it."""
    ids: dict[str, uuid.UUID] = {}
    if known is not None and known.ids:
        for number in seen:
            held = known.ids.get(number)
            if held is not None:
                ids[number] = held
    numbers = sorted(number for number in seen if number not in ids)
    table = Container.__table__  # type: ignore[attr-defined]
    # The id as the driver gives it (text on SQLite): no UUID built and checked per container per message.
    raw_id = type_coerce(table.c.id, String)
    connection = session.connection()
    found: dict[str, uuid.UUID] = {}
    for chunk in chunks(numbers, 2000):
        for cid, number in connection.execute(
            select(raw_id, table.c.number).where(among(session, table.c.number, chunk))
        ):
            found[number] = cid if isinstance(cid, uuid.UUID) else fast_uuid(int(cid, 16))
    missing = [n for n in numbers if n not in found]
    registered = 0
    if missing:
        rows = []
        proposed: dict[str, uuid.UUID] = {}
        for number in missing:
            proposed[number] = new_id()
            valid, size_type = seen[number]
            rows.append(
                {
                    "id": proposed[number],
                    "number": number,
                    "check_digit_valid": valid,
                    "iso_size_type": size_type,
                    "created_at": utcnow(),
                }
            )
        # Another transaction (another hub process, another request) may register the same new box at the
        # same time: the one that loses waits for the other, inserts nothing and reads the winner's id.
        dialect = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
        inserted: set[str] = set()
        for part in chunks(rows, 2000):
            statement = dialect(table).values(list(part)).on_conflict_do_nothing(index_elements=["number"])
            inserted.update(connection.execute(statement.returning(table.c.number)).scalars())
        registered = len(inserted)
        found.update({number: proposed[number] for number in inserted})
        lost = [number for number in missing if number not in inserted]
        for numbers_lost in chunks(lost, 2000):
            for cid, number in connection.execute(
                select(raw_id, table.c.number).where(among(session, table.c.number, numbers_lost))
            ):
                found[number] = cid if isinstance(cid, uuid.UUID) else fast_uuid(int(cid, 16))
    if known is not None:
        known.pending.update(found)
    ids.update(found)
    return ids, registered


def ingest(session: Session, principal: Principal, batch: ParsedBatch) -> IngestReport:
    """Store a parsed batch for the caller's organisation (flushes; the edge commits)."""
    principal.require(Action.INGEST_EVENTS)
    return record_events(session, principal.org_id, batch)


def ingest_prepared(
    session: Session, principal: Principal, prepared: PreparedBatch, known: KnownContainers | None = None
) -> IngestReport:
    """Store a batch prepared elsewhere (a worker process of ``hub ingest``) for the caller's organisation
    (``known``: see ``store``)."""
    principal.require(Action.INGEST_EVENTS)
    if prepared.org_id != principal.org_id:
        raise Invalid("this batch was prepared for another organisation", field="org")
    return store(session, prepared, known)


def record_events(session: Session, org_id: uuid.UUID, batch: ParsedBatch) -> IngestReport:
    """Store events the hub itself derived for ``org_id`` (a customs decision's CUSI/CUSR), or, through
    ``ingest``, what a sender may send. No permission check here: callers have made theirs."""
    return store(session, prepare(batch, org_id, vessel_register(session, batch.events)))


@dataclass
class PreparedBatch:
    """A parsed batch turned into rows, their canonical documents and hashes: everything that needs no
    database but the vessel register, so that worker processes can do it while one process writes.

    Every event is prepared as new (version 1); ``store`` drops the ones already known and turns newer
    DCSA 3.0 versions into updates. The rows are held column by column (a column name and one value per
    event), as the bulk insert takes them: sent as 2,000 dicts, a message's events took the writer about
    15 µs each just to unpickle, a third of what SQLite takes to store them; as columns, about 6 µs."""

    org_id: uuid.UUID
    messages: list[MessageInfo]
    containers: dict[str, tuple[bool, str | None]]
    events: dict[str, list[Any]]  # tracking_event columns but container_id, which the writer finds
    outbox: dict[str, list[Any]]  # outbox_entry columns, one entry per event, in the same order
    wheres: list[str]  # the place of each event in its message
    repeated: int  # events sent twice in the same batch

    def __len__(self) -> int:
        return len(self.wheres)

    def row(self, index: int) -> dict[str, Any]:
        """One event's values by column name."""
        return _row(self.events, index)

    def __getstate__(self) -> dict[str, Any]:
        # UUIDs travel as integers (unpickling a UUID goes through its SafeUUID enum); every event's
        # owner is the batch's organisation and every outbox entry's record is its event, so neither
        # column travels at all.
        state = dict(self.__dict__)
        state["events"] = {
            **{k: v for k, v in self.events.items() if k != "owner_org_id"},
            "id": [value.int for value in self.events.get("id", ())],
        }
        state["outbox"] = {k: v for k, v in self.outbox.items() if k != "record_id"}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        ids = [fast_uuid(value) for value in state["events"].get("id", ())]
        state["events"] = {
            **state["events"],
            "id": ids,
            "owner_org_id": [state["org_id"]] * len(ids),
        }
        state["outbox"] = {**state["outbox"], "record_id": ids}
        self.__dict__.update(state)


def _row(columns: dict[str, list[Any]], index: int) -> dict[str, Any]:
    return {name: values[index] for name, values in columns.items()}


def vessel_register(session: Session, events: Sequence[EventCommand] | None = None) -> VesselRegister:
    """IMO numbers by call sign and by name: for the ships these events name without one, or (``None``)
    for every ship in the register, as a snapshot for worker processes."""
    from hub.port.models import Vessel

    query = select(Vessel.imo, Vessel.call_sign, Vessel.name)
    if events is not None:
        unnamed = [e for e in events if not e.vessel_imo and (e.vessel_call_sign or e.vessel_name)]
        if not unnamed:
            return {}, {}
        signs = sorted({e.vessel_call_sign for e in unnamed if e.vessel_call_sign})
        names = sorted({e.vessel_name for e in unnamed if e.vessel_name})
        query = query.where(or_(col(Vessel.call_sign).in_(signs), col(Vessel.name).in_(names)))
    by_sign: dict[str, str] = {}
    by_name: dict[str, str] = {}
    for imo, sign, name in session.exec(query):
        if sign:
            by_sign[sign] = imo
        if name:
            by_name[name] = imo
    return by_sign, by_name


def prepare(
    batch: ParsedBatch, org_id: uuid.UUID, vessels: VesselRegister, now: datetime | None = None
) -> PreparedBatch:
    """Rows and outbox documents for every event of ``batch`` (no database)."""
    made = rows.event_rows(batch, org_id, vessels, now or utcnow())
    return PreparedBatch(
        org_id=org_id,
        messages=list(batch.messages),
        containers=made.containers,
        events=made.events,
        outbox=made.outbox,
        wheres=made.wheres,
        repeated=made.repeated,
    )


def store(session: Session, prepared: PreparedBatch, known: KnownContainers | None = None) -> IngestReport:
    """Write a prepared batch: new events, updates to known ones, their containers, the yard's picture,
    push deliveries and the anchoring outbox, in the session's transaction. ``known`` carries container
    ids from one message to the next of a run; its caller calls ``known.commit()`` once this commits."""
    org_id = prepared.org_id
    report = IngestReport(duplicates=prepared.repeated)
    # A copy (the caller's batch stays as it is); an empty batch has no columns, read here as empty ones.
    events: dict[str, list[Any]] = defaultdict(list, prepared.events)
    outbox, wheres = prepared.outbox, prepared.wheres
    now = events["created_at"][0] if wheres else utcnow()
    container_ids, report.containers_new = ensure_containers(session, prepared.containers, known)
    existing: dict[str, TrackingEvent] = {}
    for chunk in chunks(events["source_key"], 2000):
        for row in session.exec(
            select(TrackingEvent).where(among(session, col(TrackingEvent.source_key), chunk))
        ):
            existing[row.source_key] = row

    moved: list[dict[str, Any]] = []  # updated events, for the yard's picture
    updates: list[dict[str, Any]] = []  # their outbox entries
    changed: dict[str, list[str]] = defaultdict(list)
    if existing:
        new = []
        for index, key in enumerate(events["source_key"]):
            old = existing.get(key)
            if old is None:
                new.append(index)
                continue
            values = prepared.row(index)
            newer = (
                values["source_updated_datetime"] is not None
                and old.source_updated_datetime is not None
                and values["source_updated_datetime"] > aware(old.source_updated_datetime)
            )
            if not newer or old.owner_org_id != org_id:
                report.duplicates += 1
                continue
            _apply(old, values)
            old.version += 1
            session.add(old)
            report.updated += 1
            updates.append(outbox_values(EVENT_KIND, old.id, old.version, canonical(old), now))
            moved.append({name: getattr(old, name) for name in _POSITION_FIELDS})
            if old.equipment_reference:
                changed[old.equipment_reference].append(str(old.id))
        events = {name: [values[i] for i in new] for name, values in events.items()}
        outbox = {name: [values[i] for i in new] for name, values in outbox.items()}
        wheres = [wheres[i] for i in new]

    numbers = events["equipment_reference"]
    events["container_id"] = [container_ids.get(number) if number else None for number in numbers]
    for where, number, flags, event_id in zip(wheres, numbers, events["flags"], events["id"], strict=True):
        if flags:
            report.flagged.append(
                {"where": where, "equipmentReference": number or "", "flags": ",".join(flags)}
            )
        if number:
            changed[number].append(str(event_id))
    insert_columns(session, TrackingEvent, events)
    insert_columns(session, OutboxEntry, outbox)
    bulk_insert(session, OutboxEntry, updates)
    report.stored = len(wheres)
    from hub.tracking.push import queue_deliveries

    # Whole rows only when a subscription wants them (the generator is not run otherwise).
    queue_deliveries(session, (_row(events, i) for i in range(len(wheres))))
    from hub.port.yard import update_positions

    positions = zip(*(events[name] for name in _POSITION_FIELDS), strict=True)
    update_positions(session, [*(dict(zip(_POSITION_FIELDS, v, strict=True)) for v in positions), *moved])
    for info in prepared.messages:
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
        from hub.finance.conditions import on_movements

        # Financings waiting on these containers (loaded, released, gated out) advance with the events.
        on_movements(session, changed, org_id)
    return report


def _apply(row: TrackingEvent, values: dict[str, Any]) -> None:
    for name in rows.FIELDS:
        setattr(row, name, values[name])
    row.event_datetime = values["event_datetime"]
    row.source_updated_datetime = values["source_updated_datetime"]
    row.seals, row.flags = values["seals"], values["flags"]


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
    updated: tuple[tuple[str, datetime], ...] = ()  # on the eventUpdatedDateTime 3.0 shows (see below)
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
    if flt.updated:
        # DCSA 3.0's eventUpdatedDateTime: the source's own update time, else when the event was made.
        stamp = func.coalesce(TrackingEvent.source_updated_datetime, TrackingEvent.event_created_datetime)
        conditions.extend(getattr(stamp, _OPS[op])(value) for op, value in flt.updated)
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


def rows_by_ids(session: Session, ids: Sequence[uuid.UUID]) -> list[TrackingEvent]:
    """The events among ``ids``, unchecked: for live feeds, which check each reader with ``may_follow``
    (an event is visible to its owner, and to whoever may follow its container)."""
    return list(session.exec(select(TrackingEvent).where(col(TrackingEvent.id).in_(list(ids)))))


def may_follow(session: Session, principal: Principal, number: str) -> bool:
    """True when the caller may read every organisation's events on this container: ``visible_events``'
    rule for one container (it handles the box, the box travels under a bill it may read, or it audits)."""
    if principal.audits_all:
        return True
    container = select(Container.id).where(Container.number == number).scalar_subquery()
    handles = (
        select(TrackingEvent.id)
        .where(TrackingEvent.container_id == container, TrackingEvent.owner_org_id == principal.org_id)
        .limit(1)
    )
    if session.exec(handles).first() is not None:
        return True
    return session.exec(select(true()).where(_on_visible_bill(principal, number))).first() is not None
