"""The only code that writes bills, their legs, containers, cargo and title; and the reads over them."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import pycountry
import stdnum.iso6346
from sqlalchemy import ColumnElement, and_, delete, exists, false, or_, true
from sqlmodel import Session, col, select

from hub import records
from hub.auth.access import visible_clause
from hub.auth.models import Organisation
from hub.auth.permissions import Action, Principal
from hub.bills.models import BILL_KIND, Bill, BillContainer, BillLeg, CargoLine, TitleEntry, TitleSync
from hub.bills.states import AMENDABLE, TITLE_LIVE, TITLE_STATUS, BillState, TitleAction, check_transition
from hub.canonical import decimal_text, time_text
from hub.db import keyset_page, utcnow
from hub.documents.service import check_amount, check_currency
from hub.errors import Conflict, Forbidden, Invalid, NotFound
from hub.outbox import emit, record_change

TOPIC = "bills"
MODES = ("SEA", "RAIL", "ROAD", "BARGE", "AIR")
_LOCODE = re.compile(r"^[A-Z]{2}[A-Z2-9]{3}$")
_HS = re.compile(r"^[0-9]{6,10}$")
_SIZE_TYPE = re.compile(r"^[0-9A-Z]{4}$")
_CONTAINER = re.compile(r"^[A-Z]{4}[0-9]{7}$")


@dataclass(frozen=True)
class Party:
    """A party named on the bill, optionally an organisation on the hub."""

    name: str
    org_id: uuid.UUID | None = None


@dataclass(frozen=True)
class LegInput:
    mode: str
    from_locode: str
    to_locode: str
    carrier_name: str | None = None
    carrier_org_id: uuid.UUID | None = None
    vessel_name: str | None = None
    voyage: str | None = None
    vehicle_reference: str | None = None
    planned_departure: datetime | None = None
    planned_arrival: datetime | None = None


@dataclass(frozen=True)
class ContainerInput:
    number: str
    iso_size_type: str
    seals: tuple[str, ...] = ()
    gross_weight_kg: Decimal | None = None
    tare_weight_kg: Decimal | None = None


@dataclass(frozen=True)
class CargoInput:
    hs_code: str
    description: str
    packages: int
    package_type: str
    gross_weight_kg: Decimal
    value: Decimal | None = None
    currency: str | None = None
    container_number: str | None = None


@dataclass(frozen=True)
class BillInput:
    number: str
    negotiable: bool
    shipper: Party
    consignee: Party | None
    notify: Party | None = None
    legs: tuple[LegInput, ...] = ()
    containers: tuple[ContainerInput, ...] = ()
    cargo: tuple[CargoInput, ...] = ()
    place_of_receipt: str | None = None
    place_of_delivery: str | None = None


@dataclass
class BillView:
    """A bill with its parts, as read."""

    bill: Bill
    legs: list[BillLeg] = field(default_factory=list)
    containers: list[BillContainer] = field(default_factory=list)
    cargo: list[CargoLine] = field(default_factory=list)
    title: list[TitleEntry] = field(default_factory=list)


# -- validation --------------------------------------------------------------------------------------


def _locode(value: str, where: str) -> str:
    code = value.strip().upper().replace(" ", "")
    if not _LOCODE.match(code) or pycountry.countries.get(alpha_2=code[:2]) is None:
        raise Invalid(
            f"{where}: {value!r} is not a UN/LOCODE (country code + 3 characters, e.g. CNDLC)", field=where
        )
    return code


def container_number(value: str, where: str) -> str:
    """A container number a person entered: ISO 6346, check digit included, or Invalid."""
    number = value.strip().upper().replace(" ", "").replace("-", "")
    if not _CONTAINER.match(number):
        raise Invalid(f"{where}: {value!r} is not 4 letters and 7 digits (ISO 6346)", field=where)
    if not stdnum.iso6346.is_valid(number):
        expected = stdnum.iso6346.calc_check_digit(number[:10])
        raise Invalid(
            f"{where}: {number} fails ISO 6346; with owner code and serial {number[:10]} the check digit is {expected}",
            field=where,
        )
    return number


def _org(session: Session, org_id: uuid.UUID | None, where: str) -> uuid.UUID | None:
    if org_id is not None and session.get(Organisation, org_id) is None:
        raise NotFound(f"{where}: no organisation with that id", field=where)
    return org_id


def _name(value: str | None, where: str, *, required: bool) -> str | None:
    clean = " ".join((value or "").split())
    if not clean:
        if required:
            raise Invalid(f"{where} is required", field=where)
        return None
    if len(clean) > 200:
        raise Invalid(f"{where} has at most 200 characters", field=where)
    return clean


def _validate(session: Session, data: BillInput) -> None:
    if not 1 <= len(data.number.strip()) <= 35:
        raise Invalid("number has 1 to 35 characters", field="number")
    if not data.legs:
        raise Invalid("a through bill has at least one leg", field="legs")
    if data.negotiable and data.shipper.org_id is None:
        raise Invalid(
            "a negotiable bill names its shipper's organisation: the first holder of the title",
            field="shipper.orgId",
        )
    if not data.negotiable and (data.consignee is None or not data.consignee.name.strip()):
        raise Invalid("a straight bill names its consignee", field="consignee")
    if not data.containers:
        raise Invalid("a bill carries at least one container", field="containers")
    if not data.cargo:
        raise Invalid("a bill describes its cargo in at least one line", field="cargo")


def _legs(bill_id: uuid.UUID, legs: Sequence[LegInput], session: Session) -> list[BillLeg]:
    rows = []
    previous: str | None = None
    for i, leg in enumerate(legs):
        where = f"legs[{i}]"
        mode = leg.mode.strip().upper()
        if mode not in MODES:
            raise Invalid(
                f"{where}.mode: {leg.mode!r} is not one of {', '.join(MODES)}", field=f"{where}.mode"
            )
        start, end = _locode(leg.from_locode, f"{where}.from"), _locode(leg.to_locode, f"{where}.to")
        if start == end and mode != "ROAD":
            # Only a local road delivery stays within one UN/LOCODE area.
            raise Invalid(f"{where}: a {mode} leg goes from one place to another", field=f"{where}.to")
        if previous is not None and start != previous:
            raise Invalid(
                f"{where}.from: the journey is broken: the previous leg ends at {previous}, this one starts at {start}",
                field=f"{where}.from",
            )
        for name in ("planned_departure", "planned_arrival"):
            value = getattr(leg, name)
            if value is not None and value.tzinfo is None:
                raise Invalid(f"{where}.{name}: a time needs its zone", field=f"{where}.{name}")
        if leg.planned_departure and leg.planned_arrival and leg.planned_arrival <= leg.planned_departure:
            raise Invalid(
                f"{where}: the planned arrival is not after the planned departure",
                field=f"{where}.plannedArrival",
            )
        rows.append(
            BillLeg(
                bill_id=bill_id,
                sequence=i + 1,
                mode=mode,
                from_locode=start,
                to_locode=end,
                carrier_name=_name(leg.carrier_name, f"{where}.carrierName", required=False),
                carrier_org_id=_org(session, leg.carrier_org_id, f"{where}.carrierOrgId"),
                vessel_name=_name(leg.vessel_name, f"{where}.vesselName", required=False),
                voyage=leg.voyage,
                vehicle_reference=leg.vehicle_reference,
                planned_departure=leg.planned_departure,
                planned_arrival=leg.planned_arrival,
            )
        )
        previous = end
    return rows


def _containers(bill_id: uuid.UUID, containers: Sequence[ContainerInput]) -> list[BillContainer]:
    rows, seen = [], set()
    for i, box in enumerate(containers):
        where = f"containers[{i}]"
        number = container_number(box.number, f"{where}.number")
        if number in seen:
            raise Invalid(f"{where}.number: {number} is listed twice", field=f"{where}.number")
        seen.add(number)
        size_type = box.iso_size_type.strip().upper()
        if not _SIZE_TYPE.match(size_type):
            raise Invalid(
                f"{where}.isoSizeType: {box.iso_size_type!r} is not an ISO 6346 size-type code (e.g. 45G1)",
                field=f"{where}.isoSizeType",
            )
        for name in ("gross_weight_kg", "tare_weight_kg"):
            if getattr(box, name) is not None:
                check_amount(getattr(box, name), f"{where}.{name}")
        rows.append(
            BillContainer(
                bill_id=bill_id,
                number=number,
                check_digit_valid=True,
                iso_size_type=size_type,
                seals=[s.strip() for s in box.seals if s.strip()],
                gross_weight_kg=box.gross_weight_kg,
                tare_weight_kg=box.tare_weight_kg,
            )
        )
    return rows


def _cargo(bill_id: uuid.UUID, lines: Sequence[CargoInput], containers: set[str]) -> list[CargoLine]:
    rows = []
    for i, line in enumerate(lines):
        where = f"cargo[{i}]"
        hs = line.hs_code.replace(".", "").strip()
        if not _HS.match(hs):
            raise Invalid(
                f"{where}.hsCode: {line.hs_code!r} is not an HS code of 6 to 10 digits",
                field=f"{where}.hsCode",
            )
        if line.packages < 1:
            raise Invalid(f"{where}.packages must be at least 1", field=f"{where}.packages")
        check_amount(line.gross_weight_kg, f"{where}.grossWeightKg")
        if line.gross_weight_kg == 0:
            raise Invalid(f"{where}.grossWeightKg must be above zero", field=f"{where}.grossWeightKg")
        if (line.value is None) != (line.currency is None):
            raise Invalid(
                f"{where}: a value needs its currency, and a currency its value", field=f"{where}.currency"
            )
        number = line.container_number.strip().upper() if line.container_number else None
        if number is not None and number not in containers:
            raise Invalid(
                f"{where}.containerNumber: {number} is not among the bill's containers",
                field=f"{where}.containerNumber",
            )
        rows.append(
            CargoLine(
                bill_id=bill_id,
                sequence=i + 1,
                hs_code=hs,
                description=_name(line.description, f"{where}.description", required=True) or "",
                packages=line.packages,
                package_type=line.package_type.strip()[:30] or "PACKAGES",
                gross_weight_kg=line.gross_weight_kg,
                value=None if line.value is None else check_amount(line.value, f"{where}.value"),
                currency=None
                if line.currency is None
                else check_currency(line.currency, f"{where}.currency"),
                container_number=number,
            )
        )
    return rows


# -- canonical form and change notes -----------------------------------------------------------------


def _t(value: datetime | None) -> str | None:
    return None if value is None else time_text(value)


def _d(value: Decimal | None) -> str | None:
    return None if value is None else decimal_text(value)


def canonical_view(view: BillView) -> dict[str, Any]:
    """The anchored content of a bill and all its parts."""
    b = view.bill
    return {
        "id": str(b.id),
        "number": b.number,
        "negotiable": b.negotiable,
        "state": b.state.value,
        "issuerOrgId": str(b.owner_org_id),
        "shipper": {"name": b.shipper_name, "orgId": str(b.shipper_org_id) if b.shipper_org_id else None},
        "consignee": {
            "name": b.consignee_name,
            "orgId": str(b.consignee_org_id) if b.consignee_org_id else None,
        },
        "notify": {"name": b.notify_name, "orgId": str(b.notify_org_id) if b.notify_org_id else None},
        "placeOfReceipt": b.place_of_receipt,
        "placeOfDelivery": b.place_of_delivery,
        "holderOrgId": str(b.holder_org_id) if b.holder_org_id else None,
        "blankEndorsed": b.blank_endorsed,
        "surrenderPending": b.surrender_pending,
        "issuedAt": _t(b.issued_at),
        "version": b.version,
        "legs": [
            {
                "sequence": leg.sequence,
                "mode": leg.mode,
                "from": leg.from_locode,
                "to": leg.to_locode,
                "carrierName": leg.carrier_name,
                "carrierOrgId": str(leg.carrier_org_id) if leg.carrier_org_id else None,
                "vesselName": leg.vessel_name,
                "voyage": leg.voyage,
                "vehicleReference": leg.vehicle_reference,
                "plannedDeparture": _t(leg.planned_departure),
                "plannedArrival": _t(leg.planned_arrival),
            }
            for leg in view.legs
        ],
        "containers": [
            {
                "number": c.number,
                "isoSizeType": c.iso_size_type,
                "seals": list(c.seals),
                "grossWeightKg": _d(c.gross_weight_kg),
                "tareWeightKg": _d(c.tare_weight_kg),
            }
            for c in view.containers
        ],
        "cargo": [
            {
                "sequence": c.sequence,
                "hsCode": c.hs_code,
                "description": c.description,
                "packages": c.packages,
                "packageType": c.package_type,
                "grossWeightKg": _d(c.gross_weight_kg),
                "value": _d(c.value),
                "currency": c.currency,
                "containerNumber": c.container_number,
            }
            for c in view.cargo
        ],
        "title": [
            {
                "sequence": t.sequence,
                "action": t.action.value,
                "byOrgId": str(t.by_org_id),
                "toOrgId": str(t.to_org_id) if t.to_org_id else None,
                # A step across platforms names the PINT transfer chain entry it was (only those steps).
                **({"pintEntry": t.extra["pintEntry"]} if t.extra.get("pintEntry") else {}),
            }
            for t in view.title
        ],
        # Only bills that crossed platforms carry these, so older bills' anchored forms stay as they were.
        **({"originPlatform": b.origin_platform} if b.origin_platform else {}),
        **({"titlePlatform": b.title_platform} if b.title_platform else {}),
    }


def load_view(session: Session, bill: Bill) -> BillView:
    """A bill with its parts."""
    return BillView(
        bill=bill,
        legs=list(
            session.exec(select(BillLeg).where(BillLeg.bill_id == bill.id).order_by(col(BillLeg.sequence)))
        ),
        containers=list(
            session.exec(
                select(BillContainer)
                .where(BillContainer.bill_id == bill.id)
                .order_by(col(BillContainer.number))
            )
        ),
        cargo=list(
            session.exec(
                select(CargoLine).where(CargoLine.bill_id == bill.id).order_by(col(CargoLine.sequence))
            )
        ),
        title=list(
            session.exec(
                select(TitleEntry).where(TitleEntry.bill_id == bill.id).order_by(col(TitleEntry.sequence))
            )
        ),
    )


records.register(
    BILL_KIND,
    Bill,
    lambda bill: canonical_view(load_view(_session_of(bill), bill)),
    # Its holders, parties and leg carriers may read it whole and check it against its anchor; a share
    # grants what its class says (hub.governance).
    lambda session, principal, bill: can_read_bill(session, principal, bill, shares=False),
)


def _session_of(row: Any) -> Session:
    from sqlalchemy.orm import object_session

    session = object_session(row)
    if session is None:
        raise RuntimeError("a bill's canonical form needs the session it was loaded in")
    return session  # type: ignore[return-value]


def _changed(session: Session, bill: Bill, change: str) -> BillView:
    bill.updated_at = utcnow()
    session.add(bill)
    session.flush()
    view = load_view(session, bill)
    record_change(session, BILL_KIND, bill.id, bill.version, canonical_view(view))
    emit(
        session,
        TOPIC,
        {"billId": str(bill.id), "number": bill.number, "change": change, "version": bill.version},
    )
    return view


# -- writing -----------------------------------------------------------------------------------------


def _replace_parts(session: Session, bill: Bill, data: BillInput) -> None:
    for model in (CargoLine, BillContainer, BillLeg):
        session.execute(delete(model).where(col(model.bill_id) == bill.id))
    from hub.tracking.service import ensure_containers

    legs = _legs(bill.id, data.legs, session)
    containers = _containers(bill.id, data.containers)
    ensure_containers(session, {c.number: (True, c.iso_size_type) for c in containers})
    cargo = _cargo(bill.id, data.cargo, {c.number for c in containers})
    session.add_all([*legs, *containers, *cargo])


def _apply_header(session: Session, bill: Bill, data: BillInput) -> None:
    bill.number = data.number.strip()
    bill.negotiable = data.negotiable
    bill.shipper_name = _name(data.shipper.name, "shipper.name", required=True) or ""
    bill.shipper_org_id = _org(session, data.shipper.org_id, "shipper.orgId")
    bill.consignee_name = _name(
        data.consignee.name if data.consignee else None, "consignee.name", required=not data.negotiable
    )
    bill.consignee_org_id = _org(
        session, data.consignee.org_id if data.consignee else None, "consignee.orgId"
    )
    bill.notify_name = _name(data.notify.name if data.notify else None, "notify.name", required=False)
    bill.notify_org_id = _org(session, data.notify.org_id if data.notify else None, "notify.orgId")
    bill.place_of_receipt = (
        _locode(data.place_of_receipt, "placeOfReceipt") if data.place_of_receipt else None
    )
    bill.place_of_delivery = (
        _locode(data.place_of_delivery, "placeOfDelivery") if data.place_of_delivery else None
    )


def create_bill(session: Session, principal: Principal, data: BillInput) -> BillView:
    """A new draft bill issued by the caller's organisation."""
    principal.require(Action.ISSUE_BILLS)
    _validate(session, data)
    if session.exec(select(Bill.id).where(Bill.number == data.number.strip())).first() is not None:
        raise Conflict(f"bill number {data.number.strip()!r} is already taken", field="number")
    bill = Bill(
        owner_org_id=principal.org_id,
        number="",
        negotiable=data.negotiable,
        state=BillState.DRAFT,
        shipper_name="",
    )
    _apply_header(session, bill, data)
    session.add(bill)
    session.flush()
    _replace_parts(session, bill, data)
    return _changed(session, bill, "created")


def _own(session: Session, principal: Principal, bill_id: uuid.UUID) -> Bill:
    principal.require(Action.ISSUE_BILLS)
    bill = session.get(Bill, bill_id)
    if bill is None or bill.owner_org_id != principal.org_id:
        raise NotFound("no bill of yours with that id", field="id")
    return bill


def amend_bill(session: Session, principal: Principal, bill_id: uuid.UUID, data: BillInput) -> BillView:
    """Replace a bill's content; the amendment is a new version, anchored again."""
    bill = _own(session, principal, bill_id)
    if bill.state not in AMENDABLE:
        raise Conflict(f"a {bill.state.value} bill can no longer be amended", field="state")
    _validate(session, data)
    if data.negotiable != bill.negotiable and bill.state != BillState.DRAFT:
        raise Conflict("an issued bill cannot change between negotiable and straight", field="negotiable")
    if data.number.strip() != bill.number:
        raise Conflict("the bill number cannot change; void the bill and issue a new one", field="number")
    _apply_header(session, bill, data)
    _replace_parts(session, bill, data)
    bill.version += 1
    return _changed(session, bill, "amended")


def _title(
    session: Session,
    bill: Bill,
    action: TitleAction,
    by: uuid.UUID,
    to: uuid.UUID | None,
    note: str | None = None,
    extra: dict[str, Any] | None = None,
) -> int:
    """Add a step to the endorsement chain, and owe it to the on-chain title registry (same transaction).

    Call after the bill's holder, status and blank flag reflect the step."""
    last = session.exec(
        select(TitleEntry.sequence)
        .where(TitleEntry.bill_id == bill.id)
        .order_by(col(TitleEntry.sequence).desc())
    ).first()
    sequence = (last or 0) + 1
    session.add(
        TitleEntry(
            bill_id=bill.id,
            sequence=sequence,
            action=action,
            by_org_id=by,
            to_org_id=to,
            note=note,
            extra=extra or {},
        )
    )
    session.add(
        TitleSync(
            bill_id=bill.id,
            version=sequence,
            issuer_org_id=bill.owner_org_id,
            holder_org_id=bill.holder_org_id,
            status=TITLE_STATUS[action],
            blank_endorsed=bill.blank_endorsed,
        )
    )
    return sequence


def change_state(session: Session, principal: Principal, bill_id: uuid.UUID, target: BillState) -> BillView:
    """Issue, start transit, confirm delivery or void a bill (issuer only)."""
    bill = _own(session, principal, bill_id)
    check_transition(bill.state, target)
    if target == BillState.SURRENDERED:
        raise Conflict(
            "a bill is surrendered through its title (requestSurrender, acceptSurrender)", field="state"
        )
    if target == BillState.ISSUED:
        bill.issued_at = utcnow()
        if bill.negotiable:
            bill.holder_org_id = bill.shipper_org_id
            _title(session, bill, TitleAction.ISSUE, principal.org_id, bill.shipper_org_id)
    if target == BillState.VOID:
        had_title = bill.negotiable and bill.holder_org_id is not None
        bill.holder_org_id = None
        if had_title:
            _title(session, bill, TitleAction.VOID, principal.org_id, None)
    bill.state = target
    bill.version += 1
    return _changed(session, bill, target.value.lower())


def title_action(
    session: Session,
    principal: Principal,
    bill_id: uuid.UUID,
    action: TitleAction,
    to_org_id: uuid.UUID | None = None,
    note: str | None = None,
    *,
    for_receivable: uuid.UUID | None = None,
) -> BillView:
    """Move a negotiable title: only the current holder acts, except that the issuer answers a surrender.

    A title a bank holds as collateral for a financed receivable does not move (not endorsed on, not
    surrendered) except by the financing itself (``for_receivable``): back to the creditor when it ends,
    on to the next bank when the receivable is transferred."""
    from hub.finance.service import title_collateral

    principal.require(Action.WRITE_RECORDS)
    bill = session.get(Bill, bill_id)
    if bill is None or not can_read_bill(session, principal, bill):
        raise NotFound("no bill with that id", field="id")
    if not bill.negotiable:
        raise Conflict("a straight bill has no title to endorse or surrender", field="id")
    if bill.state not in TITLE_LIVE:
        raise Conflict(f"the title of a {bill.state.value} bill does not move", field="id")
    if bill.title_platform is not None:
        raise Conflict(f"the title is on eBL platform {bill.title_platform}; it moves there", field="id")
    if action == TitleAction.SURRENDER_REQUESTED and bill.origin_platform is not None:
        raise Conflict(
            f"the bill was issued on eBL platform {bill.origin_platform}: it is surrendered there, "
            "through surrenderToPlatform",
            field="id",
        )
    pledged = title_collateral(session, bill.id)
    if pledged is not None and pledged.id != for_receivable:
        raise Conflict(
            f"the title is collateral for receivable {pledged.id}, financed by its holder; it is endorsed "
            "back to the creditor when the financing is repaid",
            field="id",
        )
    holder = bill.holder_org_id
    if action in (TitleAction.SURRENDER_ACCEPTED, TitleAction.SURRENDER_REJECTED):
        if principal.org_id != bill.owner_org_id:
            raise Forbidden("only the issuer of the bill answers a surrender")
        if not bill.surrender_pending:
            raise Conflict("no surrender is pending", field="id")
        bill.surrender_pending = False
        if action == TitleAction.SURRENDER_ACCEPTED:
            bill.state, bill.holder_org_id = BillState.SURRENDERED, None
        _title(
            session,
            bill,
            action,
            principal.org_id,
            holder if action == TitleAction.SURRENDER_REJECTED else None,
            note,
        )
    else:
        if principal.org_id != holder:
            raise Forbidden("only the current holder of the title may do this")
        if bill.surrender_pending:
            raise Conflict("the title is being surrendered; the issuer must answer first", field="id")
        if action in (TitleAction.ENDORSE, TitleAction.TRANSFER):
            if to_org_id is None:
                raise Invalid("name the organisation that receives the title", field="toOrgId")
            if to_org_id == holder:
                raise Invalid("the title is already held by that organisation", field="toOrgId")
            _org(session, to_org_id, "toOrgId")
            if action == TitleAction.TRANSFER and not bill.blank_endorsed:
                raise Conflict(
                    "only a blank-endorsed title passes by delivery; endorse it to the new holder instead",
                    field="id",
                )
            bill.holder_org_id = to_org_id
            bill.blank_endorsed = bill.blank_endorsed if action == TitleAction.TRANSFER else False
        elif action == TitleAction.BLANK_ENDORSE:
            if bill.blank_endorsed:
                raise Conflict("the title is already endorsed in blank", field="id")
            bill.blank_endorsed = True
        elif action == TitleAction.SURRENDER_REQUESTED:
            bill.surrender_pending = True
            to_org_id = bill.owner_org_id
        else:
            raise Invalid(f"{action.value} is not something a holder does", field="action")
        _title(session, bill, action, principal.org_id, to_org_id, note)
    bill.version += 1
    return _changed(session, bill, f"title_{action.value.lower()}")


# -- reading -----------------------------------------------------------------------------------------


def visible_bills(principal: Principal, *, shares: bool = True) -> ColumnElement[bool]:
    """Bills the caller may read: issuer, named parties, current and past holders, leg carriers, shares
    (those only with ``shares``)."""
    if principal.audits_all:
        return true()
    me = principal.org_id
    carrier = exists().where(and_(col(BillLeg.bill_id) == col(Bill.id), col(BillLeg.carrier_org_id) == me))
    past_holder = exists().where(
        and_(
            col(TitleEntry.bill_id) == col(Bill.id),
            or_(col(TitleEntry.to_org_id) == me, col(TitleEntry.by_org_id) == me),
        )
    )
    return or_(
        col(Bill.owner_org_id) == me,
        col(Bill.shipper_org_id) == me,
        col(Bill.consignee_org_id) == me,
        col(Bill.notify_org_id) == me,
        col(Bill.holder_org_id) == me,
        carrier,
        past_holder,
        visible_clause(principal, Bill, BILL_KIND) if shares else false(),
    )


def can_read_bill(session: Session, principal: Principal, bill: Bill, *, shares: bool = True) -> bool:
    """True when the caller may read ``bill`` (as a party, holder or carrier only, without ``shares``)."""
    query = select(Bill.id).where(Bill.id == bill.id, visible_bills(principal, shares=shares))
    return session.exec(query).first() is not None


def get_bill(
    session: Session, principal: Principal, *, number: str | None = None, bill_id: uuid.UUID | None = None
) -> BillView:
    """One bill the caller may read, by number or id."""
    principal.require(Action.READ_RECORDS)
    query = select(Bill).where(visible_bills(principal))
    query = (
        query.where(Bill.number == number.strip()) if number is not None else query.where(Bill.id == bill_id)
    )
    bill = session.exec(query).first()
    if bill is None:
        raise NotFound(
            "no bill with that number that you may see", field="number" if number is not None else "id"
        )
    return load_view(session, bill)


def list_bills(
    session: Session,
    principal: Principal,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None = None,
    state: BillState | None = None,
) -> Sequence[Bill]:
    """Bills the caller may read, oldest first."""
    principal.require(Action.READ_RECORDS)
    query = select(Bill).where(visible_bills(principal))
    if state is not None:
        query = query.where(Bill.state == state)
    return session.exec(keyset_page(query, col(Bill.created_at), col(Bill.id), after, limit)).all()


def bills_carrying(session: Session, principal: Principal, number: str) -> list[BillView]:
    """The visible bills that carry a container."""
    bills = session.exec(
        select(Bill)
        .join(BillContainer, col(BillContainer.bill_id) == col(Bill.id))
        .where(BillContainer.number == number, visible_bills(principal))
        .order_by(col(Bill.created_at))
    ).all()
    return [load_view(session, b) for b in bills]


def current_leg(
    legs: Sequence[BillLeg], location: str | None, type_code: str | None, mode: str | None
) -> BillLeg | None:
    """The leg a container is on, from its last actual event: arrivals end a leg, departures start one."""
    if location is None or not legs:
        return None
    modes = {"VESSEL": "SEA", "RAIL": "RAIL", "TRUCK": "ROAD", "BARGE": "BARGE"}
    want = modes.get(mode or "")
    arriving = type_code in ("DISC", "ARRI", "GTIN", "DROP")
    for leg in legs:
        if want is not None and leg.mode != want:
            continue
        if (arriving and leg.to_locode == location) or (not arriving and leg.from_locode == location):
            return leg
    for leg in legs:  # an event without a matching mode: any leg touching the place
        if leg.from_locode == location or leg.to_locode == location:
            return leg
    return None
