"""Load the demo scenario: idempotent, so `hub demo` can run again on the same database."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from typing import Any

from sqlmodel import Session, select

from hub.auth import service as auth
from hub.auth.models import ApiKey, KeyRole, Organisation, OrgType
from hub.auth.permissions import Principal
from hub.db import utcnow
from hub.documents import service as documents
from hub.documents.models import DocumentKind, TradeDocument

DEMO_KEY_NAME = "demo"


@dataclass(frozen=True)
class DemoKey:
    """A key printed for one demo organisation."""

    organisation: str
    org_type: str
    token: str


def scenario() -> dict[str, Any]:
    """The demo scenario as shipped in ``seeds/demo.json``."""
    return json.loads(resources.files("seeds").joinpath("demo.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _principal(org: Organisation) -> Principal:
    # The loader acts as each organisation's own administrator.
    return Principal(org_id=org.id, org_name=org.name, org_type=org.type, role=KeyRole.ADMIN, key_id=org.id)


def load(session: Session) -> dict[str, Organisation]:
    """Create whatever part of the scenario is missing; return the organisations by name."""
    data = scenario()
    orgs: dict[str, Organisation] = {}
    for spec in data["organisations"]:
        existing = session.exec(select(Organisation).where(Organisation.name == spec["name"])).first()
        orgs[spec["name"]] = existing or auth.create_organisation(
            session,
            spec["name"],
            OrgType(spec["type"]),
            spec.get("country"),
            spec.get("customsCode"),
            spec.get("port"),
        )
    for spec in data["documents"]:
        owner = orgs[spec["owner"]]
        doc = session.exec(
            select(TradeDocument).where(
                TradeDocument.owner_org_id == owner.id,
                TradeDocument.kind == DocumentKind(spec["kind"]),
                TradeDocument.reference == spec["reference"],
            )
        ).first()
        if doc is None:
            doc = documents.create_document(
                session,
                _principal(owner),
                documents.DocumentInput(
                    kind=DocumentKind(spec["kind"]),
                    reference=spec["reference"],
                    title=spec["title"],
                    issued_on=date.fromisoformat(spec["issuedOn"]),
                    amount=Decimal(spec["amount"]) if spec.get("amount") else None,
                    currency=spec.get("currency"),
                ),
            )
        for grantee in spec.get("shareWith", []):
            auth.share_record(
                session,
                _principal(owner),
                kind="document",
                record_id=doc.id,
                owner_org_id=owner.id,
                grantee_org_id=orgs[grantee].id,
            )
    session.flush()
    _issuer_profile(session, orgs["Bohai Multimodal Forwarding"])
    _journey(session, orgs)
    _port_day(session, orgs)
    return orgs


def _issuer_profile(session: Session, forwarder: Organisation) -> None:
    """What the forwarder's eBL 3.0 transport documents carry and its bills do not."""
    from hub.bills import ebl
    from hub.bills.models import IssuerProfile

    if session.get(IssuerProfile, forwarder.id) is None:
        ebl.set_profile(
            session,
            _principal(forwarder),
            ebl.ProfileInput(
                street="Gangwan Street 1",
                city="Dalian",
                post_code="116001",
                email="documentation@bohai-multimodal.example",
                carrier_code="BMFD",
                carrier_code_list_provider="SMDG",
                terms_and_conditions=(
                    "Received in apparent good order and condition for carriage by sea, rail and road from the "
                    "place of receipt to the place of delivery, subject to the terms of the multimodal transport "
                    "document of Bohai Multimodal Forwarding (demo text, not legal terms)."
                ),
            ),
        )


def _port_day(session: Session, orgs: dict[str, Organisation]) -> None:
    """Dalian today (``seeds.yard``): this week's calls, a yard of boxes, the bill's import declaration
    accepted by customs, and a declaration of three yard boxes with one of them on hold."""
    from adapters import edifact
    from adapters.customs.decisions import DecisionCommand
    from adapters.dcsa.schedules import parse_ovs
    from hub.port import service as port
    from hub.port.models import Declaration, Direction
    from hub.tracking import service as tracking
    from seeds import journey, yard

    forwarder = _principal(orgs["Bohai Multimodal Forwarding"])
    if session.exec(
        select(Declaration.id).where(
            Declaration.owner_org_id == forwarder.org_id, Declaration.reference == "BMF-IMP-0001"
        )
    ).first():
        return
    now = utcnow()
    port.ingest_calls(session, _principal(orgs["Korea Strait Shipping"]), parse_ovs(yard.schedule(now)))
    tracking.ingest(session, _principal(orgs["Dalian Container Terminal"]), edifact.parse(yard.gate_ins(now)))
    seller_uscc = orgs["Hanul Electronics Export"].customs_code
    # Enter once, use many: the bill gives the containers, the vessel, the port and the cargo lines;
    # the declarant adds the trader and each line's origin.
    from_bill = port.create_declaration(
        session,
        forwarder,
        port.DeclarationDraft(
            reference="BMF-IMP-0001",
            direction=Direction.IMPORT,
            bill_number=journey.BILL_NUMBER,
            customs_code="0900",
            trader_uscc=seller_uscc,
        ),
    )
    port.amend_declaration(
        session,
        forwarder,
        from_bill.id,
        port.DeclarationPatch(
            trader_name="Hanul Electronics Export",
            items=tuple({"originCountry": "KR"} for _ in from_bill.items),
        ),
    )
    port.submit_declaration(session, forwarder, from_bill.id)
    boxes = [number for number, _hours in yard.yard_containers()[:3]]
    loose = port.create_declaration(
        session,
        forwarder,
        port.DeclarationDraft(
            reference="BMF-IMP-0002",
            direction=Direction.IMPORT,
            customs_code="0900",
            trader_uscc=seller_uscc,
            un_location_code="CNDLC",
        ),
    )
    port.amend_declaration(
        session,
        forwarder,
        loose.id,
        port.DeclarationPatch(
            trader_name="Hanul Electronics Export",
            containers=tuple(boxes),
            items=(
                {
                    "hsCode": "940360",
                    "description": "Wooden office furniture",
                    "quantity": "540",
                    "unit": "CARTONS",
                    "value": "126000",
                    "currency": "USD",
                    "originCountry": "KR",
                },
            ),
        ),
    )
    port.submit_declaration(session, forwarder, loose.id)
    customs = _principal(orgs["Dalian Customs District"])
    port.decide(
        session,
        customs,
        [
            DecisionCommand(where="demo[0]", kind="ACCEPT", declaration_id=str(from_bill.id)),
            DecisionCommand(
                where="demo[1]",
                kind="HOLD",
                declaration_id=str(loose.id),
                reasons=("X-ray scan: declared furniture, image shows machinery",),
                containers=(boxes[1],),
            ),
        ],
    )


def _journey(session: Session, orgs: dict[str, Organisation]) -> None:
    """The through bill, issued, with the journey up to the rail leg: a container on its way to Shenyang."""
    from adapters import dcsa, edifact
    from hub.bills import service as bills
    from hub.bills.models import Bill
    from hub.bills.states import BillState
    from hub.tracking import service as tracking
    from seeds import journey

    if session.exec(select(Bill.id).where(Bill.number == journey.BILL_NUMBER)).first() is not None:
        return
    spec: Any = journey.bill_input({name: str(org.id) for name, org in orgs.items()})

    def party(value: Any) -> bills.Party | None:
        return (
            None
            if value is None
            else bills.Party(
                name=value["name"], org_id=uuid.UUID(value["orgId"]) if value.get("orgId") else None
            )
        )

    def when(value: str | None) -> datetime | None:
        return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))

    data = bills.BillInput(
        number=spec["number"],
        negotiable=spec["negotiable"],
        shipper=bills.Party(name=spec["shipper"]["name"], org_id=uuid.UUID(spec["shipper"]["orgId"])),
        consignee=party(spec["consignee"]),
        notify=party(spec["notify"]),
        place_of_receipt=spec["placeOfReceipt"],
        place_of_delivery=spec["placeOfDelivery"],
        legs=tuple(
            bills.LegInput(
                mode=leg["mode"],
                from_locode=leg["fromLocode"],
                to_locode=leg["toLocode"],
                carrier_name=leg.get("carrierName"),
                carrier_org_id=uuid.UUID(leg["carrierOrgId"]) if leg.get("carrierOrgId") else None,
                vessel_name=leg.get("vesselName"),
                voyage=leg.get("voyage"),
                vehicle_reference=leg.get("vehicleReference"),
                planned_departure=when(leg.get("plannedDeparture")),
                planned_arrival=when(leg.get("plannedArrival")),
            )
            for leg in spec["legs"]
        ),
        containers=tuple(
            bills.ContainerInput(
                number=c["number"],
                iso_size_type=c["isoSizeType"],
                seals=tuple(c["seals"]),
                gross_weight_kg=Decimal(c["grossWeightKg"]),
            )
            for c in spec["containers"]
        ),
        cargo=tuple(
            bills.CargoInput(
                hs_code=c["hsCode"],
                description=c["description"],
                packages=c["packages"],
                package_type=c["packageType"],
                gross_weight_kg=Decimal(c["grossWeightKg"]),
                value=Decimal(c["value"]),
                currency=c["currency"],
                container_number=c["containerNumber"],
            )
            for c in spec["cargo"]
        ),
    )
    forwarder = _principal(orgs["Bohai Multimodal Forwarding"])
    view = bills.create_bill(session, forwarder, data)
    bills.change_state(session, forwarder, view.bill.id, BillState.ISSUED)
    bills.change_state(session, forwarder, view.bill.id, BillState.IN_TRANSIT)
    for step in (
        journey.schedule(),
        journey.sea_loading(),
        journey.dalian_discharge(),
        journey.dalian_gate_out_rail(),
        journey.rail_leg(),
    ):
        sender = orgs[step.sender]
        if step.kind == "schedules":
            from adapters.dcsa.schedules import parse_ovs
            from hub.port import service as port

            port.ingest_calls(session, _principal(sender), parse_ovs(step.body))
            continue
        batch = (
            edifact.parse(step.body)
            if step.kind == "edifact"
            else dcsa.parse(step.body, scope=str(sender.id))
        )
        tracking.ingest(session, _principal(sender), batch)


def commerce(session: Session, orgs: dict[str, Organisation], signer: Any) -> None:
    """Cross-border parcels: five matched orders, three declared, one released by customs, one mismatched."""
    from adapters.ceb.xml import CebRecord
    from hub.commerce import service as shop
    from hub.commerce.models import CommerceOrder
    from seeds import commerce as parcels

    if session.exec(select(CommerceOrder.id).where(CommerceOrder.order_no == "HNL00000001")).first():
        return
    seller = _principal(orgs["Hanul Electronics Export"])
    made = [parcels.parcel(n, bill_no=None) for n in range(1, 6)]
    wrong = parcels.parcel(6)
    wrong = parcels.Parcel(
        wrong.order, wrong.lines, wrong.payment, {**wrong.waybill, "consigneeTelephone": "13900000000"}
    )
    every = [*made, wrong]
    shop.ingest_orders(
        session,
        seller,
        [CebRecord(f"orders[{i}]", p.order, p.lines) for i, p in enumerate(every)],
        source="JSON",
    )
    shop.ingest_message(
        session, _principal(orgs["Bank of Dalian Trade Finance"]), _ceb(parcels.payments_xml(every))
    )
    shop.ingest_message(
        session, _principal(orgs["Bohai Multimodal Forwarding"]), _ceb(parcels.waybills_xml(every))
    )
    ids = shop.order_ids(session, seller, [p.order["orderNo"] for p in made[:3]])
    declared = shop.generate_inventory_lists(
        session,
        seller,
        ids,
        shop.Declaration(customs_code=parcels.CUSTOMS_DISTRICT, port_code=parcels.PORT_CODE, traf_mode="5"),
    )
    shop.submit_inventory_lists(session, seller, [i.id for i in declared], signer)
    shop.apply_inventory_receipts(
        session,
        _principal(orgs["Dalian Customs District"]),
        [{"copNo": declared[0].cop_no, "returnStatus": "800", "returnInfo": "released", "preNo": None}],
    )


def _ceb(data: bytes) -> Any:
    from adapters.ceb import parse

    return parse(data)


def finance(session: Session, orgs: dict[str, Organisation], ledger: Any, blinding_key: str) -> None:
    """The seller's receivable for the journey's invoice, backed by the bill, financed by the bank on terms."""
    from hub.bills.models import Bill
    from hub.finance import service as financing
    from hub.finance.models import Receivable
    from seeds import journey

    if session.exec(select(Receivable.id)).first() is not None:
        return
    seller, bank = orgs["Hanul Electronics Export"], orgs["Bank of Dalian Trade Finance"]
    bill = session.exec(select(Bill).where(Bill.number == journey.BILL_NUMBER)).one()
    invoice = session.exec(select(TradeDocument).where(TradeDocument.reference == "HNE-INV-2026-0412")).one()
    receivable = financing.register(
        session,
        _principal(seller),
        financing.ReceivableInput(
            debtor_name="Liaoning Cross-Border Mall",
            invoice_number=invoice.reference,
            amount=Decimal("186000.00"),
            currency="USD",
            issue_date=date(2026, 11, 2),
            due_date=date(2027, 1, 31),
            evidence=(("bill", bill.id), ("document", invoice.id)),
        ),
        ledger=ledger,
        blinding_key=blinding_key,
    )
    auth.share_record(
        session,
        _principal(seller),
        kind="receivable",
        record_id=receivable.id,
        owner_org_id=seller.id,
        grantee_org_id=bank.id,
    )
    # On terms: the money waits for the containers to be loaded at Busan (the carrier's LOAD events in the
    # journey meet it), and repayment falls due 60 days after the gate-out at Shenyang, still to come.
    terms = financing.FinancingTerms(conditions=("LOADED",), repay_days_after_delivery=60)
    financing.pledge(
        session, _principal(bank), receivable.id, ledger=ledger, blinding_key=blinding_key, terms=terms
    )


def issue_demo_keys(session: Session, orgs: dict[str, Organisation], pepper: str) -> list[DemoKey]:
    """A fresh admin key per demo organisation; keys from earlier demo runs are revoked."""
    now = utcnow()
    for key in session.exec(select(ApiKey).where(ApiKey.name == DEMO_KEY_NAME, ApiKey.revoked_at.is_(None))):  # type: ignore[union-attr]
        key.revoked_at = now
        session.add(key)
    keys = []
    for name, org in orgs.items():
        issued = auth.issue_key(session, org, pepper=pepper, name=DEMO_KEY_NAME, role=KeyRole.ADMIN)
        keys.append(DemoKey(organisation=name, org_type=org.type.value, token=issued.token))
    session.flush()
    return keys
