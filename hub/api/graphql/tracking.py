"""GraphQL for container tracking: where is this container, what happened to it, what comes next."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from sqlmodel import Session

from hub.api.graphql.bills import Bill, BillLeg, bill_leg
from hub.api.graphql.common import PageInfo, decode_cursor, encode_cursor, page_size
from hub.api.graphql.context import Info
from hub.api.graphql.directory import Organisation
from hub.bills import service as bill_service
from hub.db import aware, utcnow
from hub.fanout import on_container
from hub.tracking import service
from hub.tracking.models import Container as ContainerRow
from hub.tracking.models import TrackingEvent as EventRow


@strawberry.type(description="A customs hold on a container, as the container's parties see it.")
class ContainerHoldNotice:
    kind: str = strawberry.field(description="HOLD, INSPECT or SCAN.")
    un_location_code: str | None
    placed_at: datetime
    age_hours: float
    reason: str | None = strawberry.field(description="None unless you may read the declaration.")
    declaration_reference: str | None = strawberry.field(
        description="None unless you may read the declaration."
    )


@strawberry.type(description="A seal on a container.")
class Seal:
    number: str
    source: str | None
    type: str | None


@strawberry.type(
    description="An equipment, transport, shipment, IoT or reefer event (DCSA Track & Trace model)."
)
class TrackingEvent:
    id: strawberry.ID
    event_type: str
    classifier: str = strawberry.field(description="PLN planned, EST estimated, ACT actual.")
    type_code: str = strawberry.field(
        description="LOAD, DISC, GTIN, GTOT, ... for equipment; ARRI, DEPA for transport."
    )
    event_date_time: datetime
    event_created_date_time: datetime
    equipment_reference: str | None
    iso_equipment_code: str | None
    empty_indicator: str | None
    movement_type: str | None
    un_location_code: str | None
    facility_code: str | None
    location_name: str | None
    mode_of_transport: str | None
    transport_call_id: str | None
    vessel_name: str | None
    vessel_imo_number: str | None
    vessel_call_sign: str | None
    carrier_code: str | None
    export_voyage_number: str | None
    import_voyage_number: str | None
    vehicle_reference: str | None
    booking_reference: str | None
    transport_document_reference: str | None
    seals: list[Seal]
    flags: list[str] = strawberry.field(
        description="What is wrong in the source data, kept rather than dropped."
    )
    source_format: str
    message_type: str
    version: int
    owner_org_id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="The organisation that reported the event.")
    async def reported_by(self, info: Info) -> Organisation | None:
        row = await info.context.loaders.organisations_by_id.load(self.owner_org_id)
        return None if row is None else Organisation.of(row)

    @staticmethod
    def of(row: EventRow) -> TrackingEvent:
        """The GraphQL view of an event row."""
        return TrackingEvent(
            id=strawberry.ID(str(row.id)),
            event_type=row.event_type,
            classifier=row.classifier,
            type_code=row.type_code,
            event_date_time=row.event_datetime,
            event_created_date_time=row.event_created_datetime,
            equipment_reference=row.equipment_reference,
            iso_equipment_code=row.iso_equipment_code,
            empty_indicator=row.empty_indicator,
            movement_type=row.movement_type,
            un_location_code=row.un_location_code,
            facility_code=row.facility_code,
            location_name=row.location_name,
            mode_of_transport=row.mode_of_transport,
            transport_call_id=row.transport_call_id,
            vessel_name=row.vessel_name,
            vessel_imo_number=row.vessel_imo,
            vessel_call_sign=row.vessel_call_sign,
            carrier_code=row.carrier_code,
            export_voyage_number=row.export_voyage,
            import_voyage_number=row.import_voyage,
            vehicle_reference=row.vehicle_reference,
            booking_reference=row.booking_reference,
            transport_document_reference=row.transport_document_reference,
            seals=[Seal(number=s["number"], source=s.get("source"), type=s.get("type")) for s in row.seals],
            flags=list(row.flags),
            source_format=row.source_format,
            message_type=row.message_type,
            version=row.version,
            owner_org_id=row.owner_org_id,
        )


@strawberry.type
class TrackingEventEdge:
    cursor: str
    node: TrackingEvent


@strawberry.type(description="A page of events.")
class TrackingEventConnection:
    edges: list[TrackingEventEdge]
    nodes: list[TrackingEvent]
    page_info: PageInfo


def _page(rows: list[EventRow], limit: int, stamp: str) -> TrackingEventConnection:
    page = rows[:limit]
    nodes = [TrackingEvent.of(r) for r in page]
    edges = [
        TrackingEventEdge(cursor=encode_cursor(getattr(r, stamp), r.id), node=n)
        for r, n in zip(page, nodes, strict=True)
    ]
    return TrackingEventConnection(
        edges=edges,
        nodes=nodes,
        page_info=PageInfo(has_next_page=len(rows) > limit, end_cursor=edges[-1].cursor if edges else None),
    )


@strawberry.type(description="Where a container is now, derived from its events.")
class ContainerStatus:
    location: str | None = strawberry.field(description="UN/LOCODE of the last actual event.")
    mode_of_transport: str | None
    empty_indicator: str | None
    last_event: TrackingEvent | None
    last_actual_event: TrackingEvent | None
    next_planned_event: TrackingEvent | None
    eta: datetime | None = strawberry.field(
        description="The latest estimated or planned arrival after the last actual event."
    )
    bill_number: str | None = strawberry.field(
        description="The through bill it travels under, when you may read one."
    )
    current_leg: BillLeg | None = strawberry.field(
        description="The bill's leg it is on, from its last actual event."
    )


@strawberry.type(description="A container, as the events you may see describe it.")
class Container:
    number: str
    check_digit_valid: bool = strawberry.field(
        description="False when the number fails ISO 6346; such numbers are kept."
    )
    iso_size_type: str | None
    container_id: strawberry.Private[uuid.UUID]

    @strawberry.field(
        description="Customs holds on the box not yet lifted. Why, and under which declaration, only for "
        "those who may read the declaration (the declarant, its customs district, regulators)."
    )
    def holds(self, info: Info) -> list[ContainerHoldNotice]:
        from hub.port import service as port

        ctx = info.context
        now = utcnow()
        return [
            ContainerHoldNotice(
                kind=hold.kind.value,
                un_location_code=hold.un_location_code,
                placed_at=aware(hold.placed_at),
                age_hours=round((now - aware(hold.placed_at)).total_seconds() / 3600, 2),
                reason=None if declaration is None else hold.reason,
                declaration_reference=None if declaration is None else declaration.reference,
            )
            for hold, declaration in port.holds_on(ctx.session, ctx.principal, self.number)
        ]

    @strawberry.field(description="Where it is, on which mode, full or empty, what comes next.")
    def status(self, info: Info) -> ContainerStatus:
        ctx = info.context
        row = ctx.session.get(ContainerRow, self.container_id)
        assert row is not None
        s = service.status(ctx.session, ctx.principal, row)
        bills = bill_service.bills_carrying(ctx.session, ctx.principal, row.number)
        live = [b for b in bills if b.bill.state.value not in ("VOID", "DRAFT")] or bills
        view = live[-1] if live else None
        last = s.last_actual
        leg = (
            None
            if view is None or last is None
            else bill_service.current_leg(
                view.legs, last.un_location_code, last.type_code, last.mode_of_transport
            )
        )

        def of(event: EventRow | None) -> TrackingEvent | None:
            return None if event is None else TrackingEvent.of(event)

        return ContainerStatus(
            location=s.location,
            mode_of_transport=s.mode_of_transport,
            empty_indicator=s.empty_indicator,
            last_event=of(s.last_event),
            last_actual_event=of(s.last_actual),
            next_planned_event=of(s.next_planned),
            eta=None if s.eta is None else s.eta.event_datetime,
            bill_number=None if view is None else view.bill.number,
            current_leg=None if leg is None else bill_leg(leg),
        )

    @strawberry.field(description="The through bills it travels under that you may read.")
    def bills(self, info: Info) -> list[Bill]:
        return [
            Bill.of(v)
            for v in bill_service.bills_carrying(info.context.session, info.context.principal, self.number)
        ]

    @strawberry.field(description="Its events, in the order they happened.")
    def events(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        event_type: str | None = None,
        classifier: str | None = None,
    ) -> TrackingEventConnection:
        ctx = info.context
        limit = page_size(first, ctx.state.settings)
        flt = service.EventFilter(
            container_id=self.container_id,
            event_types=(event_type,) if event_type else (),
            classifiers=(classifier,) if classifier else (),
        )
        rows = service.list_events(
            ctx.session, ctx.principal, flt, limit=limit + 1, after=decode_cursor(after), order="happened"
        )
        return _page(list(rows), limit, "event_datetime")

    @staticmethod
    def of(row: ContainerRow) -> Container:
        """The GraphQL view of a container row."""
        return Container(
            number=row.number,
            check_digit_valid=row.check_digit_valid,
            iso_size_type=row.iso_size_type,
            container_id=row.id,
        )


@strawberry.type
class TrackingQuery:
    @strawberry.field(description="A container you handle (regulators: any), by its number.")
    def container(self, info: Info, number: str) -> Container:
        return Container.of(service.get_container(info.context.session, info.context.principal, number))

    @strawberry.field(description="Events you may see, in the order they reached the hub.")
    def tracking_events(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        equipment_reference: str | None = None,
        event_type: str | None = None,
        un_location_code: str | None = None,
        booking_reference: str | None = None,
        transport_document_reference: str | None = None,
    ) -> TrackingEventConnection:
        ctx = info.context
        limit = page_size(first, ctx.state.settings)
        flt = service.EventFilter(
            equipment_reference=equipment_reference.upper() if equipment_reference else None,
            event_types=(event_type,) if event_type else (),
            un_location_code=un_location_code,
            booking_reference=booking_reference,
            transport_document_reference=transport_document_reference,
        )
        rows = service.list_events(
            ctx.session, ctx.principal, flt, limit=limit + 1, after=decode_cursor(after)
        )
        return _page(list(rows), limit, "created_at")


@strawberry.type
class TrackingSubscription:
    @strawberry.subscription(description="New and updated events of one container, as they are committed.")
    async def container_events(self, info: Info, number: str) -> AsyncGenerator[TrackingEvent, None]:
        ctx = info.context
        principal = ctx.principal
        wanted = number.strip().upper()
        reads = ctx.state.reads
        async for message in ctx.state.bus.subscribe(service.TOPIC):
            ids = message.get("containers", {}).get(wanted)
            if not ids:
                continue

            def load(session: Session, ids: list[str] = ids) -> list[TrackingEvent]:
                rows = service.rows_by_ids(session, [uuid.UUID(i) for i in ids])
                return [TrackingEvent.of(row) for row in sorted(rows, key=lambda r: r.event_datetime)]

            # Read once for every subscriber of this box; each sees what its organisation may.
            events = await reads.per_message(message, f"containerEvents:{wanted}", load)
            for event in await on_container(reads, principal, wanted, events, lambda e: e.owner_org_id):
                yield event
