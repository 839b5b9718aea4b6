"""Customs declarations and decisions, holds, vessel calls and the port-operator queries.

Declarations are built from what the hub holds: a through bill (parties, vessel and voyage, containers,
HS-coded cargo lines) or cross-border orders (lines with their HS codes); each field records where it came
from, and ``missing`` lists what the declarant still has to give before it can be submitted.

A customs decision (from a customs organisation through GraphQL, a JSON customs response or an EDIFACT
CUSRES) moves the declaration and reaches its containers: an inspection, scan or detention places holds
and records DCSA CUSI/CUSS events; a release lifts the holds and records CUSR. Every decision and every
declaration version is anchored.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pycountry
from sqlalchemy import ColumnElement, and_, case, delete, exists, func, or_, true
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from adapters.customs.decisions import DecisionCommand
from adapters.dcsa.schedules import CallCommand
from hub import records
from hub.auth.access import visible_clause
from hub.auth.models import Organisation, OrgType
from hub.auth.permissions import Action, Principal
from hub.auth.service import check_uscc, customs_code_of
from hub.db import aware, keyset_page, utcnow
from hub.errors import Conflict, Forbidden, Invalid, NotFound
from hub.outbox import emit, record_change
from hub.port.models import (
    DECISION_KIND,
    DECLARATION_KIND,
    PORT_CALL_KIND,
    ContainerHold,
    ContainerPosition,
    CustomsDecision,
    DecisionKind,
    Declaration,
    DeclarationContainer,
    DeclarationState,
    Direction,
    PortCall,
    Vessel,
)
from hub.tracking.commands import Classifier, EventCommand, EventType, MessageInfo, ParsedBatch

HOLDS_TOPIC = "port.holds"
CALLS_TOPIC = "port.calls"
_HS = re.compile(r"^[0-9]{6,10}$")
_LIVE = (DeclarationState.SUBMITTED, DeclarationState.ACCEPTED, DeclarationState.INSPECTION)
_AMENDABLE = (
    DeclarationState.DRAFT,
    DeclarationState.SUBMITTED,
    DeclarationState.ACCEPTED,
    DeclarationState.REJECTED,
)
_CANCELLABLE = (*_AMENDABLE, DeclarationState.INSPECTION)
_HOLDING = {DecisionKind.INSPECT: "CUSI", DecisionKind.SCAN: "CUSS", DecisionKind.HOLD: "CUSI"}
ITEM_FIELDS = ("hsCode", "description", "quantity", "unit", "value", "currency", "originCountry")


def _declaration_canonical(row: Declaration) -> dict[str, Any]:
    return {
        "ownerOrgId": str(row.owner_org_id),
        "reference": row.reference,
        "direction": row.direction.value,
        "customsCode": row.customs_code,
        "traderName": row.trader_name,
        "traderUscc": row.trader_uscc,
        "billNumber": row.bill_number,
        "vesselName": row.vessel_name,
        "voyage": row.voyage,
        "unLocationCode": row.un_location_code,
        "containers": row.containers,
        "items": row.items,
        "state": row.state.value,
        "reasons": row.reasons,
        "customsNumber": row.customs_number,
    }


def _decision_canonical(row: CustomsDecision) -> dict[str, Any]:
    return {
        "ownerOrgId": str(row.owner_org_id),
        "declarationId": str(row.declaration_id),
        "kind": row.kind.value,
        "reasons": row.reasons,
        "containers": row.containers,
        "source": row.source,
        "sourceReference": row.source_reference,
        "decidedAt": row.decided_at.isoformat(),
    }


def _call_canonical(row: PortCall) -> dict[str, Any]:
    def t(value: datetime | None) -> str | None:
        return None if value is None else aware(value).isoformat()

    return {
        "ownerOrgId": str(row.owner_org_id),
        "unLocationCode": row.un_location_code,
        "vesselIMO": row.vessel_imo,
        "portVisitReference": row.port_visit_reference,
        "terminalCode": row.terminal_code,
        "berth": row.berth,
        "eta": t(row.eta),
        "etb": t(row.etb),
        "etd": t(row.etd),
        "ata": t(row.ata),
        "atb": t(row.atb),
        "atd": t(row.atd),
    }


records.register(DECLARATION_KIND, Declaration, _declaration_canonical)
records.register(DECISION_KIND, CustomsDecision, _decision_canonical)
records.register(PORT_CALL_KIND, PortCall, _call_canonical)


# -- declarations -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeclarationDraft:
    """What the declarant gives; everything else comes from the bill or the orders."""

    reference: str
    direction: Direction
    bill_number: str | None = None
    order_ids: tuple[uuid.UUID, ...] = ()
    customs_code: str | None = None
    trader_uscc: str | None = None
    un_location_code: str | None = None


@dataclass(frozen=True)
class DeclarationPatch:
    """Fields the declarant sets or corrects (None keeps the current value)."""

    customs_code: str | None = None
    trader_name: str | None = None
    trader_uscc: str | None = None
    un_location_code: str | None = None
    vessel_name: str | None = None
    voyage: str | None = None
    containers: tuple[str, ...] | None = None
    items: tuple[dict[str, Any], ...] | None = None  # index-aligned changes: {"originCountry": "KR"} ...


def missing(row: Declaration) -> list[str]:
    """What must still be given before the declaration can be submitted."""
    gaps = [
        name
        for name, value in (
            ("customsCode", row.customs_code),
            ("traderName", row.trader_name),
            ("traderUscc", row.trader_uscc),
            ("unLocationCode", row.un_location_code),
        )
        if not value
    ]
    if not row.items:
        gaps.append("items")
    for index, item in enumerate(row.items):
        gaps.extend(f"items[{index}].{name}" for name in ITEM_FIELDS if item.get(name) in (None, ""))
    return gaps


def _country(value: str, where: str) -> str:
    code = value.strip().upper()
    if pycountry.countries.get(alpha_2=code) is None:
        raise Invalid(f"{where}: {value!r} is not an ISO 3166 alpha-2 country code", field=where)
    return code


def _district(value: str) -> str:
    code = value.strip()
    if len(code) != 4 or not code.isdigit():
        raise Invalid(f"customsCode must be a 4-digit customs district, not {value!r}", field="customsCode")
    return code


def _check_item(item: dict[str, Any], where: str) -> dict[str, Any]:
    clean = {name: item.get(name) for name in ITEM_FIELDS}
    if clean["hsCode"] and not _HS.match(str(clean["hsCode"])):
        raise Invalid(
            f"{where}.hsCode: {clean['hsCode']!r} is not an HS code of 6 to 10 digits",
            field=f"{where}.hsCode",
        )
    if clean["originCountry"]:
        clean["originCountry"] = _country(str(clean["originCountry"]), f"{where}.originCountry")
    for name in ("quantity", "value"):
        if clean[name] not in (None, ""):
            try:
                amount = Decimal(str(clean[name]))
            except ArithmeticError as exc:
                raise Invalid(
                    f"{where}.{name}: {clean[name]!r} is not a number", field=f"{where}.{name}"
                ) from exc
            if amount < 0:
                raise Invalid(f"{where}.{name}: may not be negative", field=f"{where}.{name}")
            clean[name] = format(amount, "f")
    return clean


def _from_bill(session: Session, principal: Principal, row: Declaration, number: str) -> None:
    from hub.bills import service as bills
    from hub.bills.models import BillLeg, CargoLine

    view = bills.get_bill(session, principal, number=number)
    bill = view.bill
    row.bill_id, row.bill_number = bill.id, bill.number
    row.sources["billNumber"] = f"bill {bill.number}"
    party = bill.shipper_name if row.direction == Direction.EXPORT else bill.consignee_name
    party_org = bill.shipper_org_id if row.direction == Direction.EXPORT else bill.consignee_org_id
    if party and party.upper() != "TO ORDER":
        row.trader_name = party
        row.sources["traderName"] = (
            f"bill {bill.number} {'shipper' if row.direction == Direction.EXPORT else 'consignee'}"
        )
    if party_org is not None and row.trader_uscc is None:
        org = session.get(Organisation, party_org)
        if org is not None and org.customs_code and len(org.customs_code) == 18:
            row.trader_uscc = org.customs_code
            row.sources["traderUscc"] = f"organisation {org.name}"
    legs = sorted(
        session.exec(select(BillLeg).where(BillLeg.bill_id == bill.id)), key=lambda leg: leg.sequence
    )
    sea = [leg for leg in legs if leg.mode == "SEA"]
    leg = sea[0] if row.direction == Direction.EXPORT and sea else (sea[-1] if sea else None)
    if leg is not None:
        row.vessel_name, row.voyage = leg.vessel_name, leg.voyage
        row.sources["vesselName"] = row.sources["voyage"] = f"bill {bill.number} leg {leg.sequence}"
        if row.un_location_code is None:
            row.un_location_code = leg.from_locode if row.direction == Direction.EXPORT else leg.to_locode
            row.sources["unLocationCode"] = f"bill {bill.number} leg {leg.sequence}"
    row.containers = [c.number for c in view.containers]
    row.sources["containers"] = f"bill {bill.number}"
    items: list[dict[str, Any]] = []
    for line in session.exec(
        select(CargoLine).where(CargoLine.bill_id == bill.id).order_by(col(CargoLine.sequence))
    ):
        index = len(items)
        items.append(
            {
                "hsCode": line.hs_code,
                "description": line.description,
                "quantity": str(line.packages),
                "unit": line.package_type,
                "value": None if line.value is None else format(line.value, "f"),
                "currency": line.currency,
                "originCountry": None,
            }
        )
        for name in ("hsCode", "description", "quantity", "unit", "value", "currency"):
            if items[-1][name] is not None:
                row.sources[f"items[{index}].{name}"] = f"bill {bill.number} cargo line {line.sequence}"
    row.items = items


_JGS_COUNTRIES = {
    "110": "HK",
    "116": "JP",
    "133": "KR",
    "142": "CN",
    "303": "GB",
    "304": "DE",
    "305": "FR",
    "502": "US",
    "601": "AU",
}


def _from_orders(
    session: Session, principal: Principal, row: Declaration, order_ids: Sequence[uuid.UUID]
) -> None:
    from hub.commerce import service as commerce

    items: list[dict[str, Any]] = []
    for order_id in order_ids:
        order = commerce.get_order(session, principal, order_id=order_id)
        for line in order.lines:
            index = len(items)
            country = _JGS_COUNTRIES.get(str(line.get("country") or ""))
            items.append(
                {
                    "hsCode": line.get("hsCode"),
                    "description": line.get("itemName"),
                    "quantity": str(line.get("qty")),
                    "unit": line.get("unit"),
                    "value": str(line.get("totalPrice")),
                    "currency": "CNY",
                    "originCountry": country,
                }
            )
            where = f"order {order.order_no} line {line.get('gnum')}"
            for name, value in items[-1].items():
                if value not in (None, ""):
                    row.sources[f"items[{index}].{name}"] = where
        if row.trader_name is None:
            row.trader_name = order.head.get("ebcName")
            row.sources["traderName"] = f"order {order.order_no} e-commerce enterprise"
        code = str(order.head.get("ebcCode") or "")
        if row.trader_uscc is None and len(code) == 18:
            row.trader_uscc = code
            row.sources["traderUscc"] = f"order {order.order_no} e-commerce enterprise"
    row.items = items


def create_declaration(session: Session, principal: Principal, draft: DeclarationDraft) -> Declaration:
    """A draft declaration from a bill or orders (or empty), with the source of every field it could fill."""
    principal.require(Action.WRITE_RECORDS)
    if not draft.reference.strip():
        raise Invalid("a declaration needs the declarant's reference", field="reference")
    taken = session.exec(
        select(Declaration.id).where(
            Declaration.owner_org_id == principal.org_id, Declaration.reference == draft.reference.strip()
        )
    ).first()
    if taken is not None:
        raise Conflict(f"you already have a declaration {draft.reference!r}", field="reference")
    row = Declaration(
        owner_org_id=principal.org_id,
        reference=draft.reference.strip(),
        direction=draft.direction,
        state=DeclarationState.DRAFT,
        sources={},
    )
    if draft.trader_uscc:
        row.trader_uscc = check_uscc(draft.trader_uscc, "traderUscc")
        row.sources["traderUscc"] = "entered"
    if draft.customs_code:
        row.customs_code = _district(draft.customs_code)
        row.sources["customsCode"] = "entered"
    if draft.un_location_code:
        row.un_location_code = draft.un_location_code.strip().upper()
        row.sources["unLocationCode"] = "entered"
    if draft.bill_number:
        _from_bill(session, principal, row, draft.bill_number)
    if draft.order_ids:
        _from_orders(session, principal, row, draft.order_ids)
    if row.trader_uscc is None:
        org = session.get(Organisation, principal.org_id)
        if org is not None and org.customs_code and len(org.customs_code) == 18:
            row.trader_uscc = org.customs_code
            row.sources["traderUscc"] = "your organisation"
    return _saved(session, row)


def _saved(session: Session, row: Declaration) -> Declaration:
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    session.execute(delete(DeclarationContainer).where(col(DeclarationContainer.declaration_id) == row.id))
    if row.state != DeclarationState.CANCELLED:
        for number in sorted(set(row.containers)):
            session.add(DeclarationContainer(declaration_id=row.id, container_number=number))
    session.flush()
    record_change(session, DECLARATION_KIND, row.id, row.version, _declaration_canonical(row))
    return row


def _own(session: Session, principal: Principal, declaration_id: uuid.UUID) -> Declaration:
    principal.require(Action.WRITE_RECORDS)
    row = session.get(Declaration, declaration_id)
    if row is None or row.owner_org_id != principal.org_id:
        raise NotFound("no declaration of yours with that id", field="id")
    return row


def amend_declaration(
    session: Session, principal: Principal, declaration_id: uuid.UUID, patch: DeclarationPatch
) -> Declaration:
    """Complete or correct a declaration; after submission an amendment goes back to customs."""
    row = _own(session, principal, declaration_id)
    if row.state not in _AMENDABLE:
        raise Conflict(f"a declaration that is {row.state.value} cannot be amended", field="id")
    if patch.customs_code is not None:
        row.customs_code, row.sources["customsCode"] = _district(patch.customs_code), "entered"
    if patch.trader_uscc is not None:
        row.trader_uscc, row.sources["traderUscc"] = check_uscc(patch.trader_uscc, "traderUscc"), "entered"
    for name in ("trader_name", "vessel_name", "voyage"):
        value = getattr(patch, name)
        if value is not None:
            setattr(row, name, value.strip() or None)
            row.sources[_camel(name)] = "entered"
    if patch.un_location_code is not None:
        row.un_location_code, row.sources["unLocationCode"] = (
            patch.un_location_code.strip().upper(),
            "entered",
        )
    if patch.containers is not None:
        from hub.bills.service import container_number

        row.containers = [container_number(c, f"containers[{i}]") for i, c in enumerate(patch.containers)]
        row.sources["containers"] = "entered"
    if patch.items is not None:
        items = [dict(item) for item in row.items]
        for index, change in enumerate(patch.items):
            if index >= len(items):
                items.append({name: None for name in ITEM_FIELDS})
            for name, value in change.items():
                if name not in ITEM_FIELDS:
                    raise Invalid(f"items[{index}].{name} is not an item field", field=f"items[{index}]")
                if value is not None:
                    items[index][name] = value
                    row.sources[f"items[{index}].{name}"] = "entered"
        row.items = [_check_item(item, f"items[{i}]") for i, item in enumerate(items)]
    row.version += 1  # every change is a new, anchored version
    if row.state == DeclarationState.REJECTED:
        row.state, row.reasons = DeclarationState.DRAFT, []  # corrected: submit again
    elif row.state != DeclarationState.DRAFT:
        row.state = DeclarationState.SUBMITTED  # an amendment goes back to customs
    return _saved(session, row)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def submit_declaration(session: Session, principal: Principal, declaration_id: uuid.UUID) -> Declaration:
    """Send a complete draft to customs."""
    row = _own(session, principal, declaration_id)
    if row.state != DeclarationState.DRAFT:
        raise Conflict(f"only a draft is submitted; this one is {row.state.value}", field="id")
    gaps = missing(row)
    if gaps:
        raise Invalid(f"the declaration still needs: {', '.join(gaps)}", field=gaps[0])
    row.state, row.version = DeclarationState.SUBMITTED, row.version + 1
    saved = _saved(session, row)
    emit(session, HOLDS_TOPIC, {"kind": "declaration", "id": str(row.id), "customsCode": row.customs_code})
    return saved


def cancel_declaration(session: Session, principal: Principal, declaration_id: uuid.UUID) -> Declaration:
    """Withdraw a declaration that customs has not released."""
    row = _own(session, principal, declaration_id)
    if row.state not in _CANCELLABLE:
        raise Conflict(f"a declaration that is {row.state.value} cannot be cancelled", field="id")
    row.state, row.version = DeclarationState.CANCELLED, row.version + 1
    return _saved(session, row)


def _customs_code(session: Session, principal: Principal) -> str:
    return customs_code_of(session, principal, "your customs office has no district code on the hub")


def visible_declarations(session: Session, principal: Principal) -> ColumnElement[bool]:
    """The declarant's own and those shared with it; customs those addressed to its district; regulators all."""
    principal.require(Action.READ_RECORDS)
    if principal.audits_all:
        return true()
    clause = visible_clause(principal, Declaration, DECLARATION_KIND)
    if principal.org_type == OrgType.CUSTOMS:
        code = _customs_code(session, principal)
        clause = or_(
            clause,
            (col(Declaration.customs_code) == code) & (col(Declaration.state) != DeclarationState.DRAFT),
        )
    return clause


def get_declaration(session: Session, principal: Principal, declaration_id: uuid.UUID) -> Declaration:
    row = session.exec(
        select(Declaration).where(Declaration.id == declaration_id, visible_declarations(session, principal))
    ).first()
    if row is None:
        raise NotFound("no declaration that you may see with that id", field="id")
    return row


def list_declarations(
    session: Session,
    principal: Principal,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None = None,
    state: DeclarationState | None = None,
) -> Sequence[Declaration]:
    query = select(Declaration).where(visible_declarations(session, principal))
    if state is not None:
        query = query.where(Declaration.state == state)
    return session.exec(
        keyset_page(query, col(Declaration.created_at), col(Declaration.id), after, limit)
    ).all()


# -- customs decisions -----------------------------------------------------------------------------


@dataclass
class DecisionReport:
    decisions: list[CustomsDecision] = field(default_factory=list)
    holds_placed: int = 0
    holds_released: int = 0
    events: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "decisions": [
                {"id": str(d.id), "declarationId": str(d.declaration_id), "kind": d.kind.value}
                for d in self.decisions
            ],
            "holdsPlaced": self.holds_placed,
            "holdsReleased": self.holds_released,
            "events": self.events,
        }


_NEXT = {
    DecisionKind.ACCEPT: DeclarationState.ACCEPTED,
    DecisionKind.INSPECT: DeclarationState.INSPECTION,
    DecisionKind.SCAN: DeclarationState.INSPECTION,
    DecisionKind.HOLD: DeclarationState.INSPECTION,
    DecisionKind.RELEASE: DeclarationState.RELEASED,
    DecisionKind.REJECT: DeclarationState.REJECTED,
}


def decide(
    session: Session,
    principal: Principal,
    commands: Sequence[DecisionCommand],
    *,
    source: str = "HUB",
    reference: str | None = None,
) -> DecisionReport:
    """Apply customs decisions from a customs office to declarations addressed to its district."""
    principal.require(Action.DECIDE_CUSTOMS)
    district = _customs_code(session, principal)
    report = DecisionReport()
    events: list[EventCommand] = []
    for command in commands:
        declaration = _declaration_for(session, command)
        if (
            declaration is None
            or declaration.customs_code != district
            or declaration.state == DeclarationState.DRAFT
        ):
            raise NotFound(
                f"{command.where}: no declaration {command.reference or command.declaration_id or command.customs_number} "
                f"submitted to customs {district}",
                field=command.where,
            )
        if declaration.state in (DeclarationState.RELEASED, DeclarationState.CANCELLED):
            raise Conflict(
                f"{command.where}: the declaration is {declaration.state.value}", field=command.where
            )
        kind = DecisionKind(command.kind)
        if kind == DecisionKind.REJECT and not command.reasons:
            raise Invalid(f"{command.where}: a rejection needs its reasons", field=f"{command.where}.reasons")
        containers = list(command.containers) or list(declaration.containers)
        unknown = sorted(set(containers) - set(declaration.containers))
        if unknown:
            raise Invalid(
                f"{command.where}: {', '.join(unknown)} are not on the declaration",
                field=f"{command.where}.containers",
            )
        when = command.decided_at or utcnow()
        decision = CustomsDecision(
            owner_org_id=principal.org_id,
            declaration_id=declaration.id,
            kind=kind,
            reasons=list(command.reasons),
            containers=containers,
            source=source,
            source_reference=reference,
            decided_at=when,
        )
        session.add(decision)
        session.flush()
        record_change(session, DECISION_KIND, decision.id, 1, _decision_canonical(decision))
        report.decisions.append(decision)
        if command.customs_number:
            declaration.customs_number = command.customs_number
        was_inspected = declaration.state == DeclarationState.INSPECTION
        declaration.state = _NEXT[kind]
        declaration.reasons = (
            list(command.reasons)
            if kind in (DecisionKind.REJECT, DecisionKind.HOLD, DecisionKind.INSPECT, DecisionKind.SCAN)
            else declaration.reasons
        )
        declaration.version += 1
        _saved(session, declaration)
        reason = "; ".join(command.reasons) or {
            DecisionKind.INSPECT: "selected for inspection",
            DecisionKind.SCAN: "selected for scanning",
            DecisionKind.HOLD: "detained",
        }.get(kind, "")
        if kind in _HOLDING:
            for number in containers:
                session.add(
                    ContainerHold(
                        container_number=number,
                        un_location_code=declaration.un_location_code,
                        reason=reason[:500],
                        kind=kind,
                        declaration_id=declaration.id,
                        placed_by_decision_id=decision.id,
                        placed_at=when,
                    )
                )
                events.append(_event(decision, number, _HOLDING[kind], declaration, when))
            report.holds_placed += len(containers)
        elif kind == DecisionKind.RELEASE:
            holds = session.exec(
                select(ContainerHold).where(
                    ContainerHold.declaration_id == declaration.id,
                    col(ContainerHold.released_at).is_(None),
                    col(ContainerHold.container_number).in_(containers),
                )
            ).all()
            for hold in holds:
                hold.released_at = when
                session.add(hold)
            report.holds_released += len(holds)
            for number in containers:
                if was_inspected:
                    events.append(_event(decision, number, "INSP", declaration, when - timedelta(seconds=1)))
                events.append(_event(decision, number, "CUSR", declaration, when))
        emit(
            session,
            HOLDS_TOPIC,
            {
                "kind": "decision",
                "decision": kind.value,
                "declarationId": str(declaration.id),
                "unLocationCode": declaration.un_location_code,
                "containers": containers,
                "orgIds": [str(declaration.owner_org_id), str(principal.org_id)],
            },
        )
    if events:
        from hub.tracking.service import record_events

        batch = ParsedBatch(
            messages=(MessageInfo("HUB", f"CUSTOMS-{source}", reference or "decision"),), events=tuple(events)
        )
        report.events = record_events(session, principal.org_id, batch).stored
    session.flush()
    return report


def _declaration_for(session: Session, command: DecisionCommand) -> Declaration | None:
    if command.declaration_id:
        try:
            return session.get(Declaration, uuid.UUID(command.declaration_id))
        except ValueError as exc:
            raise Invalid(f"{command.where}.declarationId: not an id", field=command.where) from exc
    query = select(Declaration).where(col(Declaration.state) != DeclarationState.CANCELLED)
    if command.customs_number and not command.reference:
        return session.exec(query.where(Declaration.customs_number == command.customs_number)).first()
    return session.exec(query.where(Declaration.reference == command.reference)).first()


def _event(
    decision: CustomsDecision, number: str, code: str, declaration: Declaration, when: datetime
) -> EventCommand:
    return EventCommand(
        source_key=f"CUSTOMS:{decision.id}:{number}:{code}",
        event_type=EventType.EQUIPMENT,
        classifier=Classifier.ACT,
        type_code=code,
        event_datetime=when,
        where=f"decision {decision.id}",
        equipment_reference=number,
        un_location_code=declaration.un_location_code,
        transport_document_reference=declaration.bill_number,
        document_type_code="CUS",
    )


# -- holds, yard, calls: the port-operator view -----------------------------------------------------


def port_of(session: Session, principal: Principal, port: str | None) -> str | None:
    """The port a query covers: a port operator's or terminal's own; any (or all) for customs and regulators."""
    principal.require(Action.READ_RECORDS)
    if principal.org_type in (OrgType.PORT_OPERATOR, OrgType.TERMINAL):
        org = session.get(Organisation, principal.org_id)
        own = org.port_locode if org is not None else None
        if own is None:
            raise Forbidden("your organisation has no port on the hub (portLocode)")
        if port is not None and port.upper() != own:
            raise Forbidden(f"you see the port of {own}, not {port}")
        return own
    if principal.org_type in (OrgType.CUSTOMS, OrgType.REGULATOR):
        return port.upper() if port else None
    raise Forbidden("port status is for port operators, terminals, customs and regulators")


def holds(
    session: Session,
    principal: Principal,
    *,
    port: str | None,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None = None,
) -> list[tuple[ContainerHold, Declaration]]:
    """Active holds, oldest first (the longest-held at the top)."""
    port = port_of(session, principal, port)
    query = (
        select(ContainerHold, Declaration)
        .join(Declaration, col(Declaration.id) == col(ContainerHold.declaration_id))
        .where(col(ContainerHold.released_at).is_(None))
    )
    if port is not None:
        query = query.where(ContainerHold.un_location_code == port)
    rows = session.exec(
        keyset_page(query, col(ContainerHold.placed_at), col(ContainerHold.id), after, limit)
    ).all()
    return [(h, d) for h, d in rows]


def holds_on(
    session: Session, principal: Principal, number: str
) -> list[tuple[ContainerHold, Declaration | None]]:
    """The active holds on one container, oldest first, each with its declaration when the caller may read
    that declaration (None otherwise: the box's other parties learn that it is held, not why). The caller
    has already been allowed to read the container."""
    rows = session.exec(
        select(ContainerHold, Declaration)
        .join(Declaration, col(Declaration.id) == col(ContainerHold.declaration_id))
        .where(ContainerHold.container_number == number, col(ContainerHold.released_at).is_(None))
        .order_by(col(ContainerHold.placed_at))
    ).all()
    if not rows:
        return []
    readable = set(
        session.exec(
            select(Declaration.id).where(
                col(Declaration.id).in_({d.id for _, d in rows}), visible_declarations(session, principal)
            )
        )
    )
    return [(h, d if d.id in readable else None) for h, d in rows]


@dataclass(frozen=True)
class DwellStats:
    """How long the containers now in a port's yard have been there (hours)."""

    port: str | None
    containers: int
    average_hours: float
    p50_hours: float
    p90_hours: float
    max_hours: float
    over_7_days: int
    by_facility: tuple[tuple[str, int, float], ...]  # (facility, containers, average hours)
    distribution: tuple[tuple[int, int | None, int], ...] = ()  # (from hours, to hours or None, containers)


# The dwell histogram's bands in hours: a day at a time through the free-time days most terminals give,
# then the long tail a control room chases.
DWELL_BANDS = (0, 24, 48, 72, 120, 168, 336)


# SQLite would take the facility index for a range on arrival and scan it whole; the yard index is
# already in arrival order.
_YARD_INDEX = "INDEXED BY ix_container_position_yard"


def dwell_stats(
    session: Session, principal: Principal, *, port: str | None, now: datetime | None = None
) -> DwellStats:
    """Dwell statistics of the containers in the yard, from their gate-in or discharge times, computed in the
    database (counts and averages by aggregate, percentiles by position in the yard index)."""
    port = port_of(session, principal, port)
    now = now or utcnow()
    where: list[ColumnElement[bool]] = [col(ContainerPosition.in_yard).is_(True)]
    if port is not None:
        where.append(col(ContainerPosition.un_location_code) == port)
    since = col(ContainerPosition.since)
    postgres = session.get_bind().dialect.name == "postgresql"
    # Seconds since the epoch of the average arrival: dialects spell it differently.
    epoch = func.extract("epoch", since) if postgres else (func.julianday(since) - 2440587.5) * 86400.0

    def hours_since(seconds: Any) -> float:
        return 0.0 if seconds is None else (now.timestamp() - float(seconds)) / 3600

    # One pass over the yard by facility, from the facility index alone: counts, mean arrival, the oldest,
    # and on PostgreSQL the week and every band as conditional sums. SQLite instead counts the week and
    # each band over a range of the yard index (the bands partition it): as sums in its pass they cost 17
    # of 21 ms at 100,000 boxes, while PostgreSQL's range counts each visit the rows again (74 ms p50).
    week_ago = now - timedelta(days=7)
    bands = list(zip(DWELL_BANDS, (*DWELL_BANDS[1:], None), strict=True))

    def within(lower: int, upper: int | None) -> list[ColumnElement[bool]]:
        held = [since <= now - timedelta(hours=lower)]
        return held if upper is None else [*held, since > now - timedelta(hours=upper)]

    conditions = [[since < week_ago], *(within(lower, upper) for lower, upper in bands)]
    columns: list[Any] = [
        col(ContainerPosition.facility_code),
        func.count(),
        func.avg(epoch),
        func.min(since),
    ]
    if postgres:
        columns += [func.sum(case((and_(*condition), 1), else_=0)) for condition in conditions]
    rows = session.execute(  # SQLAlchemy's select: SQLModel's is typed for a few columns only
        sa_select(*columns)
        .where(*where)
        .group_by(col(ContainerPosition.facility_code))
        .order_by(col(ContainerPosition.facility_code))
    ).all()
    count = sum(int(row[1]) for row in rows)
    mean = sum(float(row[2]) * int(row[1]) for row in rows) / count if count else None
    oldest = min((aware(row[3]) for row in rows if row[3] is not None), default=None)
    by_facility = tuple((row[0] or "?", int(row[1]), hours_since(row[2])) for row in rows)

    def counted(index: int) -> int:
        if not count:
            return 0
        if postgres:
            return sum(int(row[4 + index] or 0) for row in rows)
        query = select(func.count()).select_from(ContainerPosition).where(*where, *conditions[index])
        return int(session.exec(query.with_hint(ContainerPosition, _YARD_INDEX, "sqlite")).one())

    over = counted(0)
    distribution = [(lower, upper, counted(1 + i)) for i, (lower, upper) in enumerate(bands)]

    def pct(p: float) -> float:
        # The p-th shortest dwell is the (1 - p)-th latest arrival: one step along the yard's index.
        if not count:
            return 0.0
        offset = min(count - 1, int((1 - p) * count))
        query = select(since).where(*where).order_by(since).offset(offset).limit(1)
        query = query.with_hint(ContainerPosition, _YARD_INDEX, "sqlite")
        found = session.exec(query).first()
        return 0.0 if found is None else (now - aware(found)).total_seconds() / 3600

    return DwellStats(
        port=port,
        containers=int(count),
        average_hours=hours_since(mean) if count else 0.0,
        p50_hours=pct(0.5),
        p90_hours=pct(0.9),
        max_hours=(now - oldest).total_seconds() / 3600 if oldest is not None else 0.0,
        over_7_days=int(over),
        by_facility=by_facility,
        distribution=tuple(distribution),
    )


def yard(
    session: Session,
    principal: Principal,
    *,
    port: str | None,
    limit: int,
    after: tuple[datetime, str] | None = None,
    undeclared_only: bool = False,
) -> Sequence[ContainerPosition]:
    """Containers in the yard, longest there first; with ``undeclared_only``, those that no live declaration
    covers (gated in or discharged without one)."""
    port = port_of(session, principal, port)
    query = select(ContainerPosition).where(col(ContainerPosition.in_yard).is_(True))
    if undeclared_only:
        covered = exists().where(
            col(DeclarationContainer.container_number) == col(ContainerPosition.container_number),
            col(DeclarationContainer.declaration_id) == col(Declaration.id),
            col(Declaration.state) != DeclarationState.CANCELLED,
        )
        query = query.where(~covered)
    if port is not None:
        query = query.where(ContainerPosition.un_location_code == port)
    return session.exec(
        keyset_page(
            query, col(ContainerPosition.since), col(ContainerPosition.container_number), after, limit
        )
    ).all()


def _vessel(session: Session, info: Any) -> Vessel:
    vessel = session.get(Vessel, info.imo) or Vessel(imo=info.imo)
    vessel.imo_check_digit_valid = info.imo_valid
    for name in ("name", "call_sign", "mmsi", "operator_code", "type_code", "length_m", "width_m"):
        value = getattr(info, name)
        if value is not None:
            setattr(vessel, name, value)
    vessel.updated_at = utcnow()
    session.add(vessel)
    return vessel


_TIME_FIELDS = {
    ("ARRI", "ACT"): "ata",
    ("DEPA", "ACT"): "atd",
    ("ARRI", "EST"): "eta",
    ("DEPA", "EST"): "etd",
    ("ARRI", "PLN"): "eta",
    ("DEPA", "PLN"): "etd",
}


def _require_schedule_sender(principal: Principal) -> None:
    principal.require(Action.INGEST_EVENTS)


def ingest_calls(session: Session, principal: Principal, commands: Sequence[CallCommand]) -> list[PortCall]:
    """Store the calls of an OVS schedule or a JIT port call: new calls, or new versions of known ones."""
    _require_schedule_sender(principal)
    stored = []
    for command in commands:
        _vessel(session, command.vessel)
        session.flush()
        call = session.exec(
            select(PortCall).where(
                PortCall.un_location_code == command.un_location_code,
                PortCall.vessel_imo == command.vessel.imo,
                PortCall.port_visit_reference == command.port_visit_reference,
            )
        ).first()
        is_new = call is None
        if call is not None:
            _may_update(session, principal, call)
        if call is None:
            call = PortCall(
                owner_org_id=principal.org_id,
                un_location_code=command.un_location_code,
                vessel_imo=command.vessel.imo,
                port_visit_reference=command.port_visit_reference,
            )
        for name in (
            "transport_call_reference",
            "carrier_service_code",
            "import_voyage",
            "export_voyage",
            "status_code",
            "jit_port_call_id",
        ):
            value = getattr(command, name)
            if value is not None:
                setattr(call, name, value)
        # PLN then EST then ACT: the most certain wins for each field.
        rank = {"PLN": 0, "EST": 1, "ACT": 2}
        for stamp in sorted(command.times, key=lambda t: rank[t.classifier]):
            target = _TIME_FIELDS[(stamp.event_type, stamp.classifier)]
            if stamp.at_berth:
                target = {"eta": "etb", "ata": "atb"}.get(target, target)
            setattr(call, target, stamp.at)
        if command.details:
            call.details = {**call.details, **command.details}
        stored.append(_call_changed(session, call, is_new))
    return stored


def _may_update(session: Session, principal: Principal, call: PortCall) -> None:
    """A call is changed by whoever announced it, or by the port operators and terminals of its port."""
    if call.owner_org_id == principal.org_id:
        return
    org = session.get(Organisation, principal.org_id)
    if (
        org is None
        or org.type not in (OrgType.PORT_OPERATOR, OrgType.TERMINAL)
        or org.port_locode != call.un_location_code
    ):
        raise Forbidden(
            f"port call {call.port_visit_reference} at {call.un_location_code} was announced by another "
            "organisation; only it and that port's operators and terminals change it"
        )


def _call_changed(session: Session, call: PortCall, is_new: bool) -> PortCall:
    if not is_new:
        call.version += 1
    call.updated_at = utcnow()
    session.add(call)
    session.flush()
    record_change(session, PORT_CALL_KIND, call.id, call.version, _call_canonical(call))
    emit(
        session,
        CALLS_TOPIC,
        {"id": str(call.id), "unLocationCode": call.un_location_code, "version": call.version},
    )
    return call


def ingest_jit(session: Session, principal: Principal, kind: str, payload: dict[str, Any]) -> PortCall:
    """Apply one JIT payload to its port call."""
    _require_schedule_sender(principal)
    if kind == "port-call":
        return ingest_calls(session, principal, [payload["command"]])[0]
    if kind == "terminal-call":
        call = _call_by(
            session, PortCall.jit_port_call_id == payload["portCallID"], "portCallID", payload["portCallID"]
        )
        _may_update(session, principal, call)
        call.carrier_service_code = payload["carrierServiceCode"] or call.carrier_service_code
        call.import_voyage = payload["importVoyage"] or call.import_voyage
        call.export_voyage = payload["exportVoyage"] or call.export_voyage
        terminals = dict(call.details.get("terminalCalls", {}))
        terminals[payload["terminalCallID"]] = {
            k: payload[k] for k in ("terminalCallReference", "carrierServiceName")
        }
        call.details = {**call.details, "terminalCalls": terminals}
        return _call_changed(session, call, False)
    if kind == "port-call-service":
        call = _call_with_terminal_call(session, payload["terminalCallID"])
        _may_update(session, principal, call)
        services = dict(call.details.get("services", {}))
        services[payload["portCallServiceID"]] = {
            k: payload[k]
            for k in ("serviceType", "eventType", "phase", "locationName", "facilityCode", "moves")
        }
        call.details = {**call.details, "services": services}
        if payload["facilityCode"]:
            call.terminal_code = payload["facilityCode"]
        if payload["serviceType"] == "BERTH" and payload["locationName"]:
            call.berth = payload["locationName"][:50]
        return _call_changed(session, call, False)
    call = _call_with_service(session, payload["portCallServiceID"])
    _may_update(session, principal, call)
    call.details = {
        **call.details,
        "vesselStatus": {k: payload[k] for k in ("draft", "airDraft", "milesToDestinationPort")},
    }
    return _call_changed(session, call, False)


def _call_by(session: Session, clause: Any, name: str, value: str) -> PortCall:
    call = session.exec(select(PortCall).where(clause)).first()
    if call is None:
        raise NotFound(f"no port call with {name} {value!r}: send the port call first", field=name)
    return call


def _call_with_terminal_call(session: Session, terminal_call_id: str) -> PortCall:
    for call in session.exec(select(PortCall).where(col(PortCall.jit_port_call_id).is_not(None))):
        if terminal_call_id in call.details.get("terminalCalls", {}):
            return call
    raise NotFound(
        f"no port call with terminalCallID {terminal_call_id!r}: send the terminal call first",
        field="terminalCallID",
    )


def _call_with_service(session: Session, service_id: str) -> PortCall:
    for call in session.exec(select(PortCall).where(col(PortCall.jit_port_call_id).is_not(None))):
        if service_id in call.details.get("services", {}):
            return call
    raise NotFound(
        f"no port call with portCallServiceID {service_id!r}: send the service first",
        field="portCallServiceID",
    )


def report_time(
    session: Session, principal: Principal, call_id: uuid.UUID, which: str, at: datetime
) -> PortCall:
    """A carrier, terminal or port operator reports one of a call's times (ETA, ETB, ETD, ATA, ATB, ATD)."""
    _require_schedule_sender(principal)
    name = which.lower()
    if name not in ("eta", "etb", "etd", "ata", "atb", "atd"):
        raise Invalid(f"{which!r} is not ETA, ETB, ETD, ATA, ATB or ATD", field="which")
    if at.tzinfo is None:
        raise Invalid("the time needs its zone", field="at")
    call = session.get(PortCall, call_id)
    if call is None:
        raise NotFound("no such port call", field="id")
    _may_update(session, principal, call)
    setattr(call, name, at)
    return _call_changed(session, call, False)


def calls(
    session: Session,
    principal: Principal,
    *,
    port: str | None,
    start: datetime,
    end: datetime,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None = None,
) -> Sequence[PortCall]:
    """Calls whose arrival (actual, else estimated) falls in [start, end), in arrival order."""
    if principal.org_type not in (
        OrgType.PORT_OPERATOR,
        OrgType.TERMINAL,
        OrgType.CUSTOMS,
        OrgType.REGULATOR,
    ):
        principal.require(Action.READ_RECORDS)
        port = port.upper() if port else None  # schedules are public: carriers and forwarders read them too
    else:
        port = port_of(session, principal, port)
    arrival = func.coalesce(col(PortCall.ata), col(PortCall.eta))
    query = select(PortCall).where(arrival >= start, arrival < end)
    if port is not None:
        query = query.where(PortCall.un_location_code == port)
    return session.exec(keyset_page(query, arrival, col(PortCall.id), after, limit)).all()


def call_moves(
    session: Session, principal: Principal, call: PortCall, *, limit: int = 1000
) -> tuple[list[Any], list[Any]]:
    """What a call discharges and loads: the DISC and LOAD events (COARRI, BAPLIE-derived, DCSA) of its vessel
    and voyage at its port. The port's own operator and terminals, customs and regulators see every move
    (the port view, as ``port_of`` grants it); anyone else only the moves of containers whose events the
    tracking rules let them read."""
    from hub.tracking.models import TrackingEvent
    from hub.tracking.service import visible_events

    if principal.org_type in (OrgType.PORT_OPERATOR, OrgType.TERMINAL, OrgType.CUSTOMS, OrgType.REGULATOR):
        port_of(session, principal, call.un_location_code)
        visible: ColumnElement[bool] = true()
    else:
        principal.require(Action.READ_RECORDS)
        visible = visible_events(principal)
    voyages = [v for v in (call.import_voyage, call.export_voyage) if v]
    # Ingest fills an event's IMO number from the vessel register when a terminal names the ship only.
    base = select(TrackingEvent).where(
        visible,
        TrackingEvent.vessel_imo == call.vessel_imo,
        TrackingEvent.un_location_code == call.un_location_code,
        col(TrackingEvent.type_code).in_(["DISC", "LOAD"]),
    )
    if voyages:
        base = base.where(
            or_(col(TrackingEvent.import_voyage).in_(voyages), col(TrackingEvent.export_voyage).in_(voyages))
        )
    rows = session.exec(base.order_by(col(TrackingEvent.event_datetime)).limit(limit)).all()
    latest: dict[tuple[str, str], Any] = {}
    for row in rows:  # one line per container and move; ACT overrides EST and PLN
        key = (row.type_code, row.equipment_reference or "")
        if key not in latest or row.classifier == "ACT":
            latest[key] = row
    discharge = [r for (code, _), r in latest.items() if code == "DISC"]
    load = [r for (code, _), r in latest.items() if code == "LOAD"]
    return discharge, load


def holds_of_declaration(
    session: Session, principal: Principal, declaration_id: uuid.UUID
) -> list[tuple[ContainerHold, str]]:
    """The holds a declaration's decisions placed (and whether lifted), for those who may follow them."""
    declaration = session.get(Declaration, declaration_id)
    if declaration is None:
        raise NotFound("no such declaration", field="id")
    if principal.org_type in (OrgType.PORT_OPERATOR, OrgType.TERMINAL):
        port_of(session, principal, declaration.un_location_code)
    else:
        declaration = get_declaration(session, principal, declaration_id)
    rows = session.exec(
        select(ContainerHold)
        .where(ContainerHold.declaration_id == declaration_id)
        .order_by(col(ContainerHold.placed_at))
    ).all()
    return [(row, declaration.reference) for row in rows]


def vessel_names(session: Session, imos: set[str]) -> dict[str, str | None]:
    """The registered name of each of these vessels."""
    if not imos:
        return {}
    return {v.imo: v.name for v in session.exec(select(Vessel).where(col(Vessel.imo).in_(sorted(imos))))}


def get_call(session: Session, principal: Principal, call_id: uuid.UUID) -> PortCall:
    principal.require(Action.READ_RECORDS)
    call = session.get(PortCall, call_id)
    if call is None:
        raise NotFound("no such port call", field="id")
    if principal.org_type in (OrgType.PORT_OPERATOR, OrgType.TERMINAL):
        port_of(session, principal, call.un_location_code)
    return call
