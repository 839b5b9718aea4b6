"""GraphQL for customs declarations and decisions, and for port operators: calls, holds, yard, dwell."""

from __future__ import annotations

import base64
import uuid
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any

import strawberry
from sqlmodel import Session
from strawberry.scalars import JSON

from adapters.customs.decisions import DecisionCommand
from hub.api.graphql.common import (
    PageInfo,
    UserError,
    decode_cursor,
    encode_cursor,
    page_of,
    page_size,
    parse_id,
    run_mutation,
)
from hub.api.graphql.context import Info
from hub.auth.models import OrgType
from hub.db import aware, utcnow
from hub.errors import Forbidden, Invalid, NotFound
from hub.port import service
from hub.port.models import (
    DECLARATION_KIND,
    ContainerHold,
    ContainerPosition,
    DecisionKind,
    DeclarationState,
    Direction,
)
from hub.port.models import Declaration as DeclarationRow
from hub.port.models import PortCall as PortCallRow

strawberry.enum(Direction, description="Export or import.")
strawberry.enum(DeclarationState, description="Where a declaration is with customs.")
strawberry.enum(DecisionKind, description="What customs decided.")

# Commercial values on a declaration are for the declarant, customs and regulators, not port operators.
_SEES_VALUES = (OrgType.CUSTOMS, OrgType.REGULATOR)


@strawberry.type(description="One goods item of a declaration.")
class DeclarationItem:
    hs_code: str | None
    description: str | None
    quantity: str | None
    unit: str | None
    value: str | None
    currency: str | None
    origin_country: str | None


@strawberry.type(description="Where a field's value came from.")
class FieldSource:
    field: str
    source: str = strawberry.field(
        description='"bill BMF-…", "order … line 2", "entered", "your organisation".'
    )


@strawberry.type(description="An export or import declaration, built from what the hub already holds.")
class Declaration:
    id: strawberry.ID
    reference: str
    direction: Direction
    state: DeclarationState
    customs_code: str | None
    customs_number: str | None
    trader_name: str | None
    trader_uscc: str | None
    bill_number: str | None
    vessel_name: str | None
    voyage: str | None
    un_location_code: str | None
    containers: list[str]
    items: list[DeclarationItem]
    sources: list[FieldSource]
    missing: list[str] = strawberry.field(description="What must still be given before it can be submitted.")
    reasons: list[str]
    version: int
    created_at: datetime
    updated_at: datetime
    masked_fields: list[str] = strawberry.field(
        default_factory=list,
        description="The fields (as the record's anchored form names them) its share does not grant you: "
        "they read null or empty. Empty for its owner.",
    )

    @staticmethod
    def of(row: DeclarationRow, masked: list[str] | None = None) -> Declaration:
        return Declaration(
            id=strawberry.ID(str(row.id)),
            reference=row.reference,
            direction=row.direction,
            state=row.state,
            customs_code=row.customs_code,
            customs_number=row.customs_number,
            trader_name=row.trader_name,
            trader_uscc=row.trader_uscc,
            bill_number=row.bill_number,
            vessel_name=row.vessel_name,
            voyage=row.voyage,
            un_location_code=row.un_location_code,
            containers=list(row.containers),
            items=[
                DeclarationItem(
                    hs_code=i.get("hsCode"),
                    description=i.get("description"),
                    quantity=i.get("quantity"),
                    unit=i.get("unit"),
                    value=i.get("value"),
                    currency=i.get("currency"),
                    origin_country=i.get("originCountry"),
                )
                for i in row.items
            ],
            sources=[FieldSource(field=k, source=v) for k, v in sorted(row.sources.items())],
            missing=service.missing(row),
            reasons=list(row.reasons),
            version=row.version,
            created_at=row.created_at,
            updated_at=row.updated_at,
            masked_fields=list(masked or []),
        )


@strawberry.type
class DeclarationConnection:
    nodes: list[Declaration]
    page_info: PageInfo


@strawberry.type(description="A customs hold on a container.")
class Hold:
    container_number: str
    un_location_code: str | None
    reason: str
    kind: DecisionKind
    declaration_reference: str
    placed_at: datetime
    released_at: datetime | None
    age_hours: float


@strawberry.type
class HoldConnection:
    nodes: list[Hold]
    page_info: PageInfo


@strawberry.type(description="A container in the yard.")
class YardContainer:
    container_number: str
    un_location_code: str | None
    facility_code: str | None
    since: datetime
    dwell_hours: float
    last_type_code: str
    empty: bool | None


@strawberry.type
class YardConnection:
    nodes: list[YardContainer]
    page_info: PageInfo


@strawberry.type(description="Containers in one facility of the yard.")
class FacilityDwell:
    facility_code: str
    containers: int
    average_hours: float


@strawberry.type(description="How many containers have been in the yard for a band of hours.")
class DwellBand:
    from_hours: int
    to_hours: int | None = strawberry.field(description="None for the last, open-ended band.")
    containers: int


@strawberry.type(description="How long the containers now in the yard have been there.")
class DwellStatistics:
    port: str | None
    containers: int
    average_hours: float
    p50_hours: float
    p90_hours: float
    max_hours: float
    over_7_days: int
    by_facility: list[FacilityDwell]
    distribution: list[DwellBand] = strawberry.field(
        description="The yard's dwell times as a histogram: day bands up to a week, then a week, then longer."
    )


@strawberry.type(description="A container moved by a call.")
class CallMove:
    container_number: str | None
    classifier: str
    event_date_time: datetime
    facility_code: str | None
    empty_indicator: str | None


@strawberry.type(description="A vessel's call at a port.")
class PortCall:
    id: strawberry.ID
    un_location_code: str
    vessel_imo: str
    vessel_name: str | None
    port_visit_reference: str
    transport_call_reference: str | None
    carrier_service_code: str | None
    import_voyage: str | None
    export_voyage: str | None
    terminal_code: str | None
    berth: str | None
    status_code: str | None
    eta: datetime | None
    etb: datetime | None
    etd: datetime | None
    ata: datetime | None
    atb: datetime | None
    atd: datetime | None
    details: JSON = strawberry.field(
        description="What JIT payloads added: terminal calls, services, moves, vessel status."
    )
    version: int

    @strawberry.field(description="What the call discharges and loads (from COARRI, BAPLIE and DCSA events).")
    def moves(self, info: Info) -> CallMoves:
        ctx = info.context
        call = service.get_call(ctx.session, ctx.principal, uuid.UUID(self.id))
        discharge, load = service.call_moves(ctx.session, ctx.principal, call)

        def move(row: Any) -> CallMove:
            return CallMove(
                container_number=row.equipment_reference,
                classifier=row.classifier,
                event_date_time=row.event_datetime,
                facility_code=row.facility_code,
                empty_indicator=row.empty_indicator,
            )

        return CallMoves(discharge=[move(r) for r in discharge], load=[move(r) for r in load])

    @staticmethod
    def of(row: PortCallRow, vessel_name: str | None = None) -> PortCall:
        return PortCall(
            id=strawberry.ID(str(row.id)),
            un_location_code=row.un_location_code,
            vessel_imo=row.vessel_imo,
            vessel_name=vessel_name,
            port_visit_reference=row.port_visit_reference,
            transport_call_reference=row.transport_call_reference,
            carrier_service_code=row.carrier_service_code,
            import_voyage=row.import_voyage,
            export_voyage=row.export_voyage,
            terminal_code=row.terminal_code,
            berth=row.berth,
            status_code=row.status_code,
            eta=row.eta,
            etb=row.etb,
            etd=row.etd,
            ata=row.ata,
            atb=row.atb,
            atd=row.atd,
            details=row.details,  # type: ignore[arg-type]
            version=row.version,
        )


@strawberry.type
class CallMoves:
    discharge: list[CallMove]
    load: list[CallMove]


@strawberry.type
class PortCallConnection:
    nodes: list[PortCall]
    page_info: PageInfo


def _position_cursor(row: ContainerPosition) -> str:
    return base64.urlsafe_b64encode(
        f"{aware(row.since).isoformat()}|{row.container_number}".encode()
    ).decode()


def _decode_position(cursor: str | None) -> tuple[datetime, str] | None:
    if cursor is None:
        return None
    try:
        moment, number = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return datetime.fromisoformat(moment), number
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid("not a cursor this API handed out", field="after") from exc


def _yard_page(rows: list[ContainerPosition], limit: int) -> YardConnection:
    now = utcnow()
    page = rows[:limit]
    return YardConnection(
        nodes=[
            YardContainer(
                container_number=r.container_number,
                un_location_code=r.un_location_code,
                facility_code=r.facility_code,
                since=aware(r.since),
                dwell_hours=round((now - aware(r.since)).total_seconds() / 3600, 2),
                last_type_code=r.last_type_code,
                empty=r.empty,
            )
            for r in page
        ],
        page_info=PageInfo(
            has_next_page=len(rows) > limit, end_cursor=_position_cursor(page[-1]) if page else None
        ),
    )


def _calls(info: Info, rows: list[PortCallRow]) -> list[PortCall]:
    names = service.vessel_names(info.context.session, {r.vessel_imo for r in rows})
    return [PortCall.of(r, names.get(r.vessel_imo)) for r in rows]


def _declaration_view(info: Info, row: DeclarationRow) -> Declaration:
    ((shown, masked, _),) = info.context.governed(DECLARATION_KIND, [row])
    view = Declaration.of(shown, masked)
    principal = info.context.principal
    if row.owner_org_id != principal.org_id and principal.org_type not in _SEES_VALUES:
        for item in view.items:
            item.value = None  # commercial values stay with the declarant and customs
    return view


@strawberry.type
class PortQuery:
    @strawberry.field(description="A declaration you may see: yours, or addressed to your customs district.")
    def declaration(self, info: Info, id: strawberry.ID) -> Declaration:
        ctx = info.context
        return _declaration_view(
            info, service.get_declaration(ctx.session, ctx.principal, parse_id(id, "id"))
        )

    @strawberry.field(description="Declarations you may see, oldest first.")
    def declarations(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        state: DeclarationState | None = None,
    ) -> DeclarationConnection:
        ctx = info.context
        limit = page_size(first, ctx.state.settings)
        rows = service.list_declarations(
            ctx.session, ctx.principal, limit=limit + 1, after=decode_cursor(after), state=state
        )
        page, page_info = page_of(rows, limit)
        return DeclarationConnection(nodes=[_declaration_view(info, r) for r in page], page_info=page_info)

    @strawberry.field(description="Vessel calls whose arrival (actual, else estimated) falls in the window.")
    def vessel_calls(
        self,
        info: Info,
        start: datetime,
        end: datetime,
        port: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> PortCallConnection:
        ctx = info.context
        limit = page_size(first, ctx.state.settings)
        rows = list(
            service.calls(
                ctx.session,
                ctx.principal,
                port=port,
                start=start,
                end=end,
                limit=limit + 1,
                after=decode_cursor(after),
            )
        )
        page = rows[:limit]
        last = page[-1] if page else None
        cursor = None
        if last is not None:
            cursor = encode_cursor(aware(last.ata or last.eta or last.created_at), last.id)
        return PortCallConnection(
            nodes=_calls(info, page), page_info=PageInfo(has_next_page=len(rows) > limit, end_cursor=cursor)
        )

    @strawberry.field(description="One port call, with what it discharges and loads.")
    def port_call(self, info: Info, id: strawberry.ID) -> PortCall:
        ctx = info.context
        return _calls(info, [service.get_call(ctx.session, ctx.principal, parse_id(id, "id"))])[0]

    @strawberry.field(description="Containers on customs hold, longest held first, with reason and age.")
    def containers_on_hold(
        self, info: Info, port: str | None = None, first: int | None = None, after: str | None = None
    ) -> HoldConnection:
        ctx = info.context
        limit = page_size(first, ctx.state.settings)
        rows = service.holds(
            ctx.session, ctx.principal, port=port, limit=limit + 1, after=decode_cursor(after)
        )
        page = rows[:limit]
        now = utcnow()
        return HoldConnection(
            nodes=[_hold(h, d.reference, now) for h, d in page],
            page_info=PageInfo(
                has_next_page=len(rows) > limit,
                end_cursor=encode_cursor(aware(page[-1][0].placed_at), page[-1][0].id) if page else None,
            ),
        )

    @strawberry.field(description="Containers in the yard, longest there first.")
    def yard(
        self, info: Info, port: str | None = None, first: int | None = None, after: str | None = None
    ) -> YardConnection:
        ctx = info.context
        limit = page_size(first, ctx.state.settings)
        rows = list(
            service.yard(
                ctx.session, ctx.principal, port=port, limit=limit + 1, after=_decode_position(after)
            )
        )
        return _yard_page(rows, limit)

    @strawberry.field(
        description="Containers gated in or discharged, still in the yard, that no declaration covers."
    )
    def undeclared_containers(
        self, info: Info, port: str | None = None, first: int | None = None, after: str | None = None
    ) -> YardConnection:
        ctx = info.context
        limit = page_size(first, ctx.state.settings)
        rows = list(
            service.yard(
                ctx.session,
                ctx.principal,
                port=port,
                limit=limit + 1,
                after=_decode_position(after),
                undeclared_only=True,
            )
        )
        return _yard_page(rows, limit)

    @strawberry.field(description="Dwell-time statistics of the yard.")
    def dwell_statistics(self, info: Info, port: str | None = None) -> DwellStatistics:
        ctx = info.context
        stats = service.dwell_stats(ctx.session, ctx.principal, port=port)
        return DwellStatistics(
            port=stats.port,
            containers=stats.containers,
            average_hours=round(stats.average_hours, 2),
            p50_hours=round(stats.p50_hours, 2),
            p90_hours=round(stats.p90_hours, 2),
            max_hours=round(stats.max_hours, 2),
            over_7_days=stats.over_7_days,
            by_facility=[
                FacilityDwell(facility_code=f, containers=n, average_hours=round(a, 2))
                for f, n, a in stats.by_facility
            ],
            distribution=[
                DwellBand(from_hours=lo, to_hours=hi, containers=n) for lo, hi, n in stats.distribution
            ],
        )


def _hold(hold: ContainerHold, reference: str, now: datetime) -> Hold:
    return Hold(
        container_number=hold.container_number,
        un_location_code=hold.un_location_code,
        reason=hold.reason,
        kind=hold.kind,
        declaration_reference=reference,
        placed_at=aware(hold.placed_at),
        released_at=None if hold.released_at is None else aware(hold.released_at),
        age_hours=round((now - aware(hold.placed_at)).total_seconds() / 3600, 2),
    )


@strawberry.input(description="A declaration to draft from what the hub holds.")
class DeclarationDraftInput:
    reference: str
    direction: Direction
    bill_number: str | None = None
    order_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    customs_code: str | None = None
    trader_uscc: str | None = None
    un_location_code: str | None = None


@strawberry.input(description="An item change, by position; only the fields given change.")
class DeclarationItemInput:
    hs_code: str | None = None
    description: str | None = None
    quantity: str | None = None
    unit: str | None = None
    value: str | None = None
    currency: str | None = None
    origin_country: str | None = None


@strawberry.input(description="What the declarant completes or corrects.")
class DeclarationPatchInput:
    customs_code: str | None = None
    trader_name: str | None = None
    trader_uscc: str | None = None
    un_location_code: str | None = None
    vessel_name: str | None = None
    voyage: str | None = None
    containers: list[str] | None = None
    items: list[DeclarationItemInput] | None = None


@strawberry.input(description="A customs decision on a declaration addressed to your district.")
class DecisionInput:
    declaration_id: strawberry.ID
    decision: DecisionKind
    reasons: list[str] = strawberry.field(default_factory=list)
    containers: list[str] = strawberry.field(
        default_factory=list, description="The containers concerned; all of the declaration's when empty."
    )
    customs_number: str | None = None


@strawberry.type
class DeclarationPayload:
    errors: list[UserError]
    declaration: Declaration | None = None


@strawberry.type
class PortCallPayload:
    errors: list[UserError]
    port_call: PortCall | None = None


_ITEM = {
    "hs_code": "hsCode",
    "description": "description",
    "quantity": "quantity",
    "unit": "unit",
    "value": "value",
    "currency": "currency",
    "origin_country": "originCountry",
}


@strawberry.type
class PortMutation:
    @strawberry.mutation(
        description="Draft a declaration from a bill or orders; `missing` says what is still needed."
    )
    def create_declaration(self, info: Info, input: DeclarationDraftInput) -> DeclarationPayload:
        ctx = info.context

        def act() -> dict[str, Any]:
            draft = service.DeclarationDraft(
                reference=input.reference,
                direction=input.direction,
                bill_number=input.bill_number,
                order_ids=tuple(parse_id(i, f"orderIds[{n}]") for n, i in enumerate(input.order_ids)),
                customs_code=input.customs_code,
                trader_uscc=input.trader_uscc,
                un_location_code=input.un_location_code,
            )
            return {
                "declaration": Declaration.of(service.create_declaration(ctx.session, ctx.principal, draft))
            }

        return run_mutation(DeclarationPayload, act, ctx.session.commit)

    @strawberry.mutation(description="Complete or correct a declaration (an amendment once submitted).")
    def amend_declaration(
        self, info: Info, id: strawberry.ID, input: DeclarationPatchInput
    ) -> DeclarationPayload:
        ctx = info.context

        def act() -> dict[str, Any]:
            patch = service.DeclarationPatch(
                customs_code=input.customs_code,
                trader_name=input.trader_name,
                trader_uscc=input.trader_uscc,
                un_location_code=input.un_location_code,
                vessel_name=input.vessel_name,
                voyage=input.voyage,
                containers=None if input.containers is None else tuple(input.containers),
                items=None
                if input.items is None
                else tuple(
                    {_ITEM[k]: v for k, v in vars(item).items() if k in _ITEM and v is not None}
                    for item in input.items
                ),
            )
            row = service.amend_declaration(ctx.session, ctx.principal, parse_id(id, "id"), patch)
            return {"declaration": Declaration.of(row)}

        return run_mutation(DeclarationPayload, act, ctx.session.commit)

    @strawberry.mutation(description="Send a complete declaration to customs.")
    def submit_declaration(self, info: Info, id: strawberry.ID) -> DeclarationPayload:
        ctx = info.context
        return run_mutation(
            DeclarationPayload,
            lambda: {
                "declaration": Declaration.of(
                    service.submit_declaration(ctx.session, ctx.principal, parse_id(id, "id"))
                )
            },
            ctx.session.commit,
        )

    @strawberry.mutation(description="Withdraw a declaration customs has not released.")
    def cancel_declaration(self, info: Info, id: strawberry.ID) -> DeclarationPayload:
        ctx = info.context
        return run_mutation(
            DeclarationPayload,
            lambda: {
                "declaration": Declaration.of(
                    service.cancel_declaration(ctx.session, ctx.principal, parse_id(id, "id"))
                )
            },
            ctx.session.commit,
        )

    @strawberry.mutation(
        description="Customs: decide on a declaration; holds and releases reach its containers."
    )
    def decide_declaration(self, info: Info, input: DecisionInput) -> DeclarationPayload:
        ctx = info.context

        def act() -> dict[str, Any]:
            declaration_id = parse_id(input.declaration_id, "declarationId")
            command = DecisionCommand(
                where="input",
                kind=input.decision.value,
                declaration_id=str(declaration_id),
                customs_number=input.customs_number,
                reasons=tuple(input.reasons),
                containers=tuple(c.strip().upper() for c in input.containers),
            )
            service.decide(ctx.session, ctx.principal, [command])
            return {
                "declaration": Declaration.of(
                    service.get_declaration(ctx.session, ctx.principal, declaration_id)
                )
            }

        return run_mutation(DeclarationPayload, act, ctx.session.commit)

    @strawberry.mutation(description="Report one of a call's times: ETA, ETB, ETD, ATA, ATB or ATD.")
    def report_port_call_time(
        self, info: Info, id: strawberry.ID, which: str, at: datetime
    ) -> PortCallPayload:
        ctx = info.context

        def act() -> dict[str, Any]:
            row = service.report_time(ctx.session, ctx.principal, parse_id(id, "id"), which, at)
            return {"port_call": _calls(info, [row])[0]}

        return run_mutation(PortCallPayload, act, ctx.session.commit)


@strawberry.type
class PortSubscription:
    @strawberry.subscription(
        description="Holds placed and lifted in your port (customs: in your district's declarations)."
    )
    async def container_holds(self, info: Info, port: str | None = None) -> AsyncGenerator[Hold, None]:
        ctx = info.context
        principal = ctx.principal
        with ctx.state.session() as session:
            port = service.port_of(session, principal, port)
        async for message in ctx.state.bus.subscribe(service.HOLDS_TOPIC):
            if message.get("kind") != "decision" or (
                port is not None and message.get("unLocationCode") != port
            ):
                continue

            def holds(session: Session, message: dict[str, Any] = message) -> list[Hold]:
                try:
                    found = service.holds_of_declaration(
                        session, principal, uuid.UUID(message["declarationId"])
                    )
                except NotFound:
                    return []
                now = utcnow()
                boxes = message.get("containers", [])
                return [_hold(hold, ref, now) for hold, ref in found if hold.container_number in boxes]

            for hold in await ctx.state.reads.per_reader(message, "containerHolds", principal, holds):
                yield hold

    @strawberry.subscription(description="Port calls as they are announced or change.")
    async def port_call_changed(self, info: Info, port: str | None = None) -> AsyncGenerator[PortCall, None]:
        ctx = info.context
        principal = ctx.principal
        async for message in ctx.state.bus.subscribe(service.CALLS_TOPIC):
            if port is not None and message.get("unLocationCode") != port.upper():
                continue

            def call(session: Session, message: dict[str, Any] = message) -> PortCall | None:
                try:
                    return PortCall.of(service.get_call(session, principal, uuid.UUID(message["id"])))
                except (NotFound, Forbidden):  # another port's call: not for this subscriber
                    return None

            found = await ctx.state.reads.per_reader(message, "portCallChanged", principal, call)
            if found is not None:
                yield found
