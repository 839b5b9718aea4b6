"""GraphQL for through bills and their negotiable title."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
import structlog
from sqlmodel import Session

from hub.api.graphql.common import (
    PageInfo,
    UserError,
    decode_cursor,
    encode_cursor,
    page_size,
    parse_id,
    run_mutation,
)
from hub.api.graphql.context import Info
from hub.api.graphql.directory import Organisation
from hub.auth.permissions import Action
from hub.bills import service
from hub.bills.models import BILL_KIND
from hub.bills.models import Bill as BillRow
from hub.bills.states import BillState, TitleAction
from hub.canonical import org_ref, title_ref
from hub.errors import HubError
from hub.fanout import on_container
from hub.governance import service as governance

log = structlog.get_logger(__name__)

strawberry.enum(BillState, description="Where a bill is in its life.")
strawberry.enum(TitleAction, description="A step of a negotiable title's endorsement chain.")


async def _org(info: Info, org_id: uuid.UUID | None) -> Organisation | None:
    if org_id is None:
        return None
    row = await info.context.loaders.organisations_by_id.load(org_id)
    return None if row is None else Organisation.of(row)


@strawberry.type(description="A party named on the bill.")
class BillParty:
    name: str | None
    org_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field(description="The party's organisation on the hub, when it has one.")
    async def organisation(self, info: Info) -> Organisation | None:
        return await _org(info, self.org_id)


@strawberry.type(description="One leg of the journey.")
class BillLeg:
    sequence: int
    mode: str
    from_locode: str
    to_locode: str
    carrier_name: str | None
    vessel_name: str | None
    voyage: str | None
    vehicle_reference: str | None
    planned_departure: datetime | None
    planned_arrival: datetime | None


def bill_leg(leg: Any) -> BillLeg:
    """The GraphQL view of a leg row."""
    return BillLeg(
        sequence=leg.sequence,
        mode=leg.mode,
        from_locode=leg.from_locode,
        to_locode=leg.to_locode,
        carrier_name=leg.carrier_name,
        vessel_name=leg.vessel_name,
        voyage=leg.voyage,
        vehicle_reference=leg.vehicle_reference,
        planned_departure=leg.planned_departure,
        planned_arrival=leg.planned_arrival,
    )


@strawberry.type(description="A container carried under the bill.")
class BillContainer:
    number: str
    iso_size_type: str
    seals: list[str]
    gross_weight_kg: Decimal | None
    tare_weight_kg: Decimal | None


@strawberry.type(description="An HS-coded cargo line.")
class CargoLine:
    sequence: int
    hs_code: str
    description: str | None
    packages: int
    package_type: str
    gross_weight_kg: Decimal
    value: Decimal | None
    currency: str | None
    container_number: str | None


@strawberry.type(description="One step of the endorsement chain.")
class TitleEntry:
    sequence: int
    action: TitleAction
    at: datetime
    note: str | None
    by_org_id: strawberry.Private[uuid.UUID]
    to_org_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field
    async def by(self, info: Info) -> Organisation | None:
        return await _org(info, self.by_org_id)

    @strawberry.field
    async def to(self, info: Info) -> Organisation | None:
        return await _org(info, self.to_org_id)


_STATUS = {1: "ACTIVE", 2: "SURRENDER_PENDING", 3: "SURRENDERED", 4: "VOID"}


@strawberry.type(description="What the on-chain TitleRegistry says of a negotiable bill's title.")
class TitleOnChain:
    title_ref: str = strawberry.field(description='keccak256("hub-bill:" + bill id), the registry key.')
    holder_ref: str = strawberry.field(
        description='keccak256("hub-org:" + holder organisation id); zeros for none.'
    )
    version: int = strawberry.field(description="The step of the endorsement chain the chain holds.")
    status: str
    blank_endorsed: bool
    in_step: bool = strawberry.field(
        description="True when the chain holds the hub's latest step and the same holder."
    )


def _shown(info: Info, views: list[service.BillView]) -> list[Bill]:
    """Bills as the caller's grant on each shows them (parties see every field; a share its class)."""
    grants = info.context.governed(BILL_KIND, [v.bill for v in views])
    out = []
    for view, (_, _, grant) in zip(views, grants, strict=True):
        shown, masked = governance.view(BILL_KIND, view, grant)
        out.append(Bill.of(shown, masked))
    return out


@strawberry.type(description="A multimodal through bill: one document for sea, rail and road.")
class Bill:
    id: strawberry.ID
    number: str
    negotiable: bool
    state: BillState
    version: int
    shipper: BillParty
    consignee: BillParty
    notify: BillParty
    place_of_receipt: str | None
    place_of_delivery: str | None
    issued_at: datetime | None
    blank_endorsed: bool
    surrender_pending: bool
    legs: list[BillLeg]
    containers: list[BillContainer]
    cargo: list[CargoLine]
    endorsement_chain: list[TitleEntry]
    origin_platform: str | None = strawberry.field(
        description="The eBL platform (DCSA PINT code) that issued a bill received from another platform."
    )
    title_platform: str | None = strawberry.field(
        description="The eBL platform the title is on while it is away from this hub."
    )
    owner_org_id: strawberry.Private[uuid.UUID]
    holder_org_id: strawberry.Private[uuid.UUID | None]
    masked_fields: list[str] = strawberry.field(
        default_factory=list,
        description="The fields (as the bill's anchored form names them, e.g. cargo[].value) its share does "
        "not grant you: they read null. Empty for its parties.",
    )

    @strawberry.field(description="The forwarder or carrier that issued it.")
    async def issuer(self, info: Info) -> Organisation | None:
        return await _org(info, self.owner_org_id)

    @strawberry.field(description="Who holds the negotiable title now (none for straight or spent bills).")
    async def holder(self, info: Info) -> Organisation | None:
        return await _org(info, self.holder_org_id)

    @strawberry.field(
        description="The title as the on-chain TitleRegistry records it (null until the first step lands)."
    )
    def title_on_chain(self, info: Info) -> TitleOnChain | None:
        ledger = info.context.state.ledger
        if not self.negotiable or ledger is None:
            return None
        found = ledger.title_on_chain(uuid.UUID(self.id))
        if found is None:
            return None
        latest = self.endorsement_chain[-1].sequence if self.endorsement_chain else 0
        return TitleOnChain(
            title_ref="0x" + title_ref(self.id).hex(),
            holder_ref="0x" + found.holder.hex(),
            version=found.version,
            status=_STATUS.get(found.status, str(found.status)),
            blank_endorsed=found.blank_endorsed,
            in_step=found.version == latest and found.holder == org_ref(self.holder_org_id),
        )

    @staticmethod
    def of(view: service.BillView, masked: list[str] | None = None) -> Bill:
        """The GraphQL view of a bill and its parts (``view`` as the reader's grant shows it)."""
        b = view.bill
        return Bill(
            id=strawberry.ID(str(b.id)),
            number=b.number,
            negotiable=b.negotiable,
            state=b.state,
            version=b.version,
            shipper=BillParty(name=b.shipper_name, org_id=b.shipper_org_id),
            consignee=BillParty(name=b.consignee_name, org_id=b.consignee_org_id),
            notify=BillParty(name=b.notify_name, org_id=b.notify_org_id),
            place_of_receipt=b.place_of_receipt,
            place_of_delivery=b.place_of_delivery,
            issued_at=b.issued_at,
            blank_endorsed=b.blank_endorsed,
            surrender_pending=b.surrender_pending,
            legs=[bill_leg(leg) for leg in view.legs],
            containers=[
                BillContainer(
                    number=c.number,
                    iso_size_type=c.iso_size_type,
                    seals=list(c.seals),
                    gross_weight_kg=c.gross_weight_kg,
                    tare_weight_kg=c.tare_weight_kg,
                )
                for c in view.containers
            ],
            cargo=[
                CargoLine(
                    sequence=c.sequence,
                    hs_code=c.hs_code,
                    description=c.description,
                    packages=c.packages,
                    package_type=c.package_type,
                    gross_weight_kg=c.gross_weight_kg,
                    value=c.value,
                    currency=c.currency,
                    container_number=c.container_number,
                )
                for c in view.cargo
            ],
            endorsement_chain=[
                TitleEntry(
                    sequence=t.sequence,
                    action=t.action,
                    at=t.at,
                    note=t.note,
                    by_org_id=t.by_org_id,
                    to_org_id=t.to_org_id,
                )
                for t in view.title
            ],
            origin_platform=b.origin_platform,
            title_platform=b.title_platform,
            owner_org_id=b.owner_org_id,
            holder_org_id=b.holder_org_id,
            masked_fields=list(masked or []),
        )

    @strawberry.field(
        description="Envelope transfers of this bill to and from other eBL platforms (DCSA PINT)."
    )
    def platform_transfers(self, info: Info) -> list[PlatformTransfer]:
        from hub.bills import pint

        return [PlatformTransfer.of(t) for t in pint.transfers_of(info.context.session, uuid.UUID(self.id))]


@strawberry.type(description="One DCSA PINT envelope transfer of a bill, sent or received, and its answer.")
class PlatformTransfer:
    id: strawberry.ID
    direction: str = strawberry.field(description="out (this hub sent it) or in (it arrived here).")
    platform: str = strawberry.field(description="The other platform's code.")
    state: str = strawberry.field(description="STARTED (no signed answer yet), ACCEPTED or REJECTED.")
    response_code: str | None = strawberry.field(
        description="The receiving platform's signed answer: RECE, DUPE, BENV, BSIG, DISE, MDOC or INCD."
    )
    reason: str | None
    envelope_reference: str
    last_entry_checksum: str = strawberry.field(
        description="SHA-256 of the transfer chain entry this envelope added (as anchored with the step)."
    )
    created_at: datetime
    finished_at: datetime | None

    @staticmethod
    def of(row: Any) -> PlatformTransfer:
        return PlatformTransfer(
            id=strawberry.ID(str(row.id)),
            direction=row.direction,
            platform=row.peer,
            state=row.state,
            response_code=row.response_code,
            reason=row.reason,
            envelope_reference=row.envelope_reference,
            last_entry_checksum=row.last_entry_checksum,
            created_at=row.created_at,
            finished_at=row.finished_at,
        )


@strawberry.type
class PlatformTransferPayload:
    errors: list[UserError]
    transfer: PlatformTransfer | None = None
    bill: Bill | None = None


def _platform(info: Info, bill_id: strawberry.ID, act: Any) -> PlatformTransferPayload:
    """Run a PINT round (which commits on its own, around the call to the peer), then read the bill."""
    ctx = info.context

    def run() -> dict[str, Any]:
        transfer = act(ctx, parse_id(bill_id))
        ctx.session.expire_all()
        view = service.get_bill(ctx.session, ctx.principal, bill_id=parse_id(bill_id))
        return {"transfer": PlatformTransfer.of(transfer) if transfer else None, "bill": Bill.of(view)}

    return run_mutation(PlatformTransferPayload, run, ctx.session.commit)


@strawberry.type
class BillEdge:
    cursor: str
    node: Bill


@strawberry.type
class BillConnection:
    edges: list[BillEdge]
    page_info: PageInfo


@strawberry.input
class PartyInput:
    name: str
    org_id: strawberry.ID | None = None


@strawberry.input
class LegInput:
    mode: str = strawberry.field(description="SEA, RAIL, ROAD, BARGE or AIR.")
    from_locode: str
    to_locode: str
    carrier_name: str | None = None
    carrier_org_id: strawberry.ID | None = None
    vessel_name: str | None = None
    voyage: str | None = None
    vehicle_reference: str | None = None
    planned_departure: datetime | None = None
    planned_arrival: datetime | None = None


@strawberry.input
class ContainerInput:
    number: str
    iso_size_type: str
    seals: list[str] = strawberry.field(default_factory=list)
    gross_weight_kg: Decimal | None = None
    tare_weight_kg: Decimal | None = None


@strawberry.input
class CargoLineInput:
    hs_code: str
    description: str
    packages: int
    package_type: str
    gross_weight_kg: Decimal
    value: Decimal | None = None
    currency: str | None = None
    container_number: str | None = None


@strawberry.input
class BillInput:
    number: str
    negotiable: bool
    shipper: PartyInput
    consignee: PartyInput | None = None
    notify: PartyInput | None = None
    legs: list[LegInput] = strawberry.field(default_factory=list)
    containers: list[ContainerInput] = strawberry.field(default_factory=list)
    cargo: list[CargoLineInput] = strawberry.field(default_factory=list)
    place_of_receipt: str | None = None
    place_of_delivery: str | None = None


@strawberry.type
class BillPayload:
    errors: list[UserError]
    bill: Bill | None = None


def _party(value: PartyInput | None, where: str) -> service.Party | None:
    if value is None:
        return None
    return service.Party(
        name=value.name, org_id=None if value.org_id is None else parse_id(value.org_id, f"{where}.orgId")
    )


def _input(data: BillInput) -> service.BillInput:
    shipper = _party(data.shipper, "shipper")
    assert shipper is not None
    return service.BillInput(
        number=data.number,
        negotiable=data.negotiable,
        shipper=shipper,
        consignee=_party(data.consignee, "consignee"),
        notify=_party(data.notify, "notify"),
        place_of_receipt=data.place_of_receipt,
        place_of_delivery=data.place_of_delivery,
        legs=tuple(
            service.LegInput(
                mode=leg.mode,
                from_locode=leg.from_locode,
                to_locode=leg.to_locode,
                carrier_name=leg.carrier_name,
                carrier_org_id=None
                if leg.carrier_org_id is None
                else parse_id(leg.carrier_org_id, f"legs[{i}].carrierOrgId"),
                vessel_name=leg.vessel_name,
                voyage=leg.voyage,
                vehicle_reference=leg.vehicle_reference,
                planned_departure=leg.planned_departure,
                planned_arrival=leg.planned_arrival,
            )
            for i, leg in enumerate(data.legs)
        ),
        containers=tuple(
            service.ContainerInput(
                number=c.number,
                iso_size_type=c.iso_size_type,
                seals=tuple(c.seals),
                gross_weight_kg=c.gross_weight_kg,
                tare_weight_kg=c.tare_weight_kg,
            )
            for c in data.containers
        ),
        cargo=tuple(
            service.CargoInput(
                hs_code=c.hs_code,
                description=c.description,
                packages=c.packages,
                package_type=c.package_type,
                gross_weight_kg=c.gross_weight_kg,
                value=c.value,
                currency=c.currency,
                container_number=c.container_number,
            )
            for c in data.cargo
        ),
    )


@strawberry.type
class BillQuery:
    @strawberry.field(description="Your organisation's issuer profile for eBL 3.0, if it keeps one.")
    def issuer_profile(self, info: Info) -> IssuerProfile | None:
        from hub.bills.models import IssuerProfile as ProfileRow

        ctx = info.context
        ctx.principal.require(Action.READ_RECORDS)
        row = ctx.session.get(ProfileRow, ctx.principal.org_id)
        return None if row is None else _profile(row)

    @strawberry.field(description="A bill you may read, by its number.")
    def bill(self, info: Info, number: str) -> Bill:
        return _shown(info, [service.get_bill(info.context.session, info.context.principal, number=number)])[
            0
        ]

    @strawberry.field(description="Bills you may read, oldest first.")
    def bills(
        self, info: Info, first: int | None = None, after: str | None = None, state: BillState | None = None
    ) -> BillConnection:
        ctx = info.context
        limit = page_size(first, ctx.state.settings)
        rows = service.list_bills(
            ctx.session, ctx.principal, limit=limit + 1, after=decode_cursor(after), state=state
        )
        page = rows[:limit]
        nodes = _shown(info, [service.load_view(ctx.session, r) for r in page])
        edges = [
            BillEdge(cursor=encode_cursor(r.created_at, r.id), node=node)
            for r, node in zip(page, nodes, strict=True)
        ]
        return BillConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(rows) > limit, end_cursor=edges[-1].cursor if edges else None
            ),
        )


def _mutate(info: Info, act: Any) -> BillPayload:
    ctx = info.context

    def run() -> dict[str, Any]:
        return {"bill": Bill.of(act(ctx))}

    return run_mutation(BillPayload, run, ctx.session.commit)


def _state(info: Info, id: strawberry.ID, target: BillState) -> BillPayload:
    return _mutate(info, lambda ctx: service.change_state(ctx.session, ctx.principal, parse_id(id), target))


def _answered(info: Info, payload: BillPayload) -> BillPayload:
    """After the issuer answered a surrender: a surrender from another platform hears the answer there.
    The answer stands here whatever the peer does; an undelivered one is sent again by
    retryPlatformTransfer."""
    from hub.bills import pint

    if payload.bill is not None and payload.bill.origin_platform is None:
        try:
            pint.answer_platform(info.context.state, uuid.UUID(payload.bill.id))
        except HubError as exc:
            log.warning("pint.answer_undelivered", bill=payload.bill.number, reason=exc.message)
    return payload


def _title(
    info: Info,
    id: strawberry.ID,
    action: TitleAction,
    to_org_id: strawberry.ID | None = None,
    note: str | None = None,
) -> BillPayload:
    def act(ctx: Any) -> service.BillView:
        # Ids are parsed inside the mutation, so that a malformed one is a typed error like any other.
        to = None if to_org_id is None else parse_id(to_org_id, "toOrgId")
        return service.title_action(ctx.session, ctx.principal, parse_id(id), action, to, note)

    return _mutate(info, act)


@strawberry.type(description="What an issuer keeps for DCSA eBL 3.0 transport documents.")
class IssuerProfile:
    street: str
    city: str
    post_code: str | None
    email: str
    carrier_code: str
    carrier_code_list_provider: str
    terms_and_conditions: str
    updated_at: datetime


@strawberry.input(description="Your organisation's address, documentation email, carrier code and terms.")
class IssuerProfileInput:
    street: str
    city: str
    email: str
    carrier_code: str = strawberry.field(description="Your SMDG or NMFTA (SCAC) code, 2 to 4 characters.")
    carrier_code_list_provider: str = strawberry.field(description="SMDG or NMFTA.")
    terms_and_conditions: str
    post_code: str | None = None


@strawberry.type
class IssuerProfilePayload:
    errors: list[UserError]
    profile: IssuerProfile | None = None


def _profile(row: Any) -> IssuerProfile:
    return IssuerProfile(
        street=row.street,
        city=row.city,
        post_code=row.post_code,
        email=row.email,
        carrier_code=row.carrier_code,
        carrier_code_list_provider=row.carrier_code_list_provider,
        terms_and_conditions=row.terms_and_conditions,
        updated_at=row.updated_at,
    )


@strawberry.type
class BillMutation:
    @strawberry.mutation(
        description="Issuers: record your address, documentation email, carrier code and terms, which "
        "DCSA eBL 3.0 transport documents of your bills carry (GET /v3/transport-documents/{number})."
    )
    def set_issuer_profile(self, info: Info, input: IssuerProfileInput) -> IssuerProfilePayload:
        from hub.bills import ebl

        ctx = info.context

        def act() -> dict[str, Any]:
            data = ebl.ProfileInput(
                street=input.street,
                city=input.city,
                email=input.email,
                carrier_code=input.carrier_code,
                carrier_code_list_provider=input.carrier_code_list_provider,
                terms_and_conditions=input.terms_and_conditions,
                post_code=input.post_code,
            )
            return {"profile": _profile(ebl.set_profile(ctx.session, ctx.principal, data))}

        return run_mutation(IssuerProfilePayload, act, ctx.session.commit)

    @strawberry.mutation(description="Draft a through bill (forwarders and carriers).")
    def create_bill(self, info: Info, input: BillInput) -> BillPayload:
        return _mutate(info, lambda ctx: service.create_bill(ctx.session, ctx.principal, _input(input)))

    @strawberry.mutation(description="Amend a bill: a new version of the whole document, anchored again.")
    def amend_bill(self, info: Info, id: strawberry.ID, input: BillInput) -> BillPayload:
        return _mutate(
            info, lambda ctx: service.amend_bill(ctx.session, ctx.principal, parse_id(id), _input(input))
        )

    @strawberry.mutation(description="Issue a draft bill; a negotiable one hands its title to the shipper.")
    def issue_bill(self, info: Info, id: strawberry.ID) -> BillPayload:
        return _state(info, id, BillState.ISSUED)

    @strawberry.mutation(description="The goods are on their way.")
    def start_transit(self, info: Info, id: strawberry.ID) -> BillPayload:
        return _state(info, id, BillState.IN_TRANSIT)

    @strawberry.mutation(description="The goods were delivered.")
    def confirm_delivery(self, info: Info, id: strawberry.ID) -> BillPayload:
        return _state(info, id, BillState.DELIVERED)

    @strawberry.mutation(description="Void a bill that was never used.")
    def void_bill(self, info: Info, id: strawberry.ID) -> BillPayload:
        return _state(info, id, BillState.VOID)

    @strawberry.mutation(
        description="Holder only: endorse the title to a named organisation, which becomes holder."
    )
    def endorse_title(
        self, info: Info, id: strawberry.ID, to_org_id: strawberry.ID, note: str | None = None
    ) -> BillPayload:
        return _title(info, id, TitleAction.ENDORSE, to_org_id, note)

    @strawberry.mutation(description="Holder only: endorse in blank; the title then passes by delivery.")
    def blank_endorse_title(self, info: Info, id: strawberry.ID, note: str | None = None) -> BillPayload:
        return _title(info, id, TitleAction.BLANK_ENDORSE, None, note)

    @strawberry.mutation(description="Holder only: hand a blank-endorsed title to another organisation.")
    def transfer_title(
        self, info: Info, id: strawberry.ID, to_org_id: strawberry.ID, note: str | None = None
    ) -> BillPayload:
        return _title(info, id, TitleAction.TRANSFER, to_org_id, note)

    @strawberry.mutation(description="Holder only: surrender the title to the issuer to take delivery.")
    def request_surrender(self, info: Info, id: strawberry.ID, note: str | None = None) -> BillPayload:
        return _title(info, id, TitleAction.SURRENDER_REQUESTED, None, note)

    @strawberry.mutation(
        description="Issuer only: accept a surrender; the title is spent. A surrender that came from another "
        "eBL platform is answered there too (SACC)."
    )
    def accept_surrender(self, info: Info, id: strawberry.ID, note: str | None = None) -> BillPayload:
        return _answered(info, _title(info, id, TitleAction.SURRENDER_ACCEPTED, None, note))

    @strawberry.mutation(
        description="Issuer only: refuse a surrender; the title returns to its holder (on another eBL "
        "platform, through an SREJ envelope)."
    )
    def reject_surrender(self, info: Info, id: strawberry.ID, note: str) -> BillPayload:
        return _answered(info, _title(info, id, TitleAction.SURRENDER_REJECTED, None, note))

    @strawberry.mutation(
        description="Holder only: send the title to a party on another eBL platform (DCSA PINT). The title "
        "moves when that platform's signed answer accepts the envelope; the answer is in `transfer`."
    )
    def send_title_to_platform(
        self, info: Info, id: strawberry.ID, platform: str, party_code: str, note: str | None = None
    ) -> PlatformTransferPayload:
        from hub.bills import pint

        return _platform(
            info,
            id,
            lambda ctx, bill_id: pint.send_title(
                ctx.state, ctx.principal, bill_id, platform, party_code, note
            ),
        )

    @strawberry.mutation(
        description="Holder only: surrender a bill issued on another eBL platform to its carrier there."
    )
    def surrender_to_platform(
        self, info: Info, id: strawberry.ID, note: str | None = None
    ) -> PlatformTransferPayload:
        from hub.bills import pint

        return _platform(
            info, id, lambda ctx, bill_id: pint.surrender_to_platform(ctx.state, ctx.principal, bill_id, note)
        )

    @strawberry.mutation(
        description="Send again an envelope that got no signed answer (the peer was unreachable): the same "
        "envelope, which the peer answers DUPE if it had taken it."
    )
    def retry_platform_transfer(self, info: Info, id: strawberry.ID) -> PlatformTransferPayload:
        from hub.bills import pint

        ctx = info.context

        def run() -> dict[str, Any]:
            transfer = pint.retry(ctx.state, ctx.principal, parse_id(id))
            ctx.session.expire_all()
            assert transfer.bill_id is not None
            view = service.get_bill(ctx.session, ctx.principal, bill_id=transfer.bill_id)
            return {"transfer": PlatformTransfer.of(transfer), "bill": Bill.of(view)}

        return run_mutation(PlatformTransferPayload, run, ctx.session.commit)


@strawberry.type(description="Something happened to a bill or to one of its containers.")
class BillEvent:
    bill_number: str
    change: str = strawberry.field(
        description="created, amended, issued, title_endorse, ..., or container_event."
    )
    version: int | None
    container_number: str | None
    event_ids: list[strawberry.ID]


@strawberry.type
class BillSubscription:
    @strawberry.subscription(description="Changes to a bill you may read, and events of its containers.")
    async def bill_events(self, info: Info, number: str) -> AsyncGenerator[BillEvent, None]:
        from hub.tracking import service as tracking

        ctx = info.context
        principal = ctx.principal
        with ctx.state.session() as session:
            view = service.get_bill(
                session, principal, number=number
            )  # refuses a bill the caller may not read
            containers = {c.number for c in view.containers}
            bill_id = str(view.bill.id)
        reads = ctx.state.reads
        bill_changes = ctx.state.bus.subscribe(service.TOPIC)
        container_changes = ctx.state.bus.subscribe(tracking.TOPIC)
        import asyncio

        queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()

        async def pump(name: str, source: Any) -> None:
            async for message in source:
                await queue.put((name, message))

        tasks = [
            asyncio.create_task(pump("bill", bill_changes)),
            asyncio.create_task(pump("container", container_changes)),
        ]
        try:
            while True:
                name, message = await queue.get()
                if name == "bill" and message.get("billId") == bill_id:
                    yield BillEvent(
                        bill_number=number,
                        change=message["change"],
                        version=message.get("version"),
                        container_number=None,
                        event_ids=[],
                    )
                elif name == "container":
                    for box, ids in message.get("containers", {}).items():
                        if box not in containers:
                            continue

                        def load(session: Session, ids: list[str] = ids) -> list[Any]:
                            return tracking.rows_by_ids(session, [uuid.UUID(i) for i in ids])

                        rows = await reads.per_message(message, f"billEvents:{box}", load)
                        visible = await on_container(reads, principal, box, rows, lambda e: e.owner_org_id)
                        if visible:
                            yield BillEvent(
                                bill_number=number,
                                change="container_event",
                                version=None,
                                container_number=box,
                                event_ids=[strawberry.ID(str(e.id)) for e in visible],
                            )
        finally:
            for task in tasks:
                task.cancel()


__all__ = ["BillMutation", "BillQuery", "BillRow", "BillSubscription"]
