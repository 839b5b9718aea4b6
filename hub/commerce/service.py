"""The only code that writes cross-border e-commerce records, and the reads over them.

Flow: orders (CEB311, or platform JSON/CSV), payments (CEB411) and waybills (CEB511) arrive in any order
from the seller or platform, the payment enterprise and the logistics enterprise; each arrival re-runs the
three-document match of the orders it concerns. A matched order within the limits becomes a CEB621
inventory list (quota reserved for the buyer's year), is submitted as a signed message, and customs'
receipts (CEB622; 312/412/512 for the three documents) move it along. Every document version and every
step of an inventory list is anchored.

Each sender is checked against its organisation's customs code: a seller only sends orders of its own
enterprise or platform code, a payment enterprise only its payments, a logistics enterprise only its
waybills, and a customs office only answers lists declared to its district.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, or_, true
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from adapters.ceb.xml import CebMessage, CebRecord, Signer, new_guids, render
from hub import records
from hub.auth.access import visible_clause
from hub.auth.models import Organisation, OrgType
from hub.auth.permissions import Action, Principal
from hub.auth.service import customs_code_of
from hub.commerce import match as matching
from hub.commerce import tax as taxes
from hub.commerce.models import (
    INVENTORY_KIND,
    ORDER_KIND,
    PAYMENT_KIND,
    WAYBILL_KIND,
    BuyerQuota,
    CommerceOrder,
    CommercePayment,
    CommerceWaybill,
    InventoryList,
    InventoryStatus,
    OutboundMessage,
)
from hub.commerce.values import jsonable, tax_json
from hub.db import (
    among,
    attach_inserted,
    bulk_insert,
    chunks,
    keyset_page,
    loaded,
    new_ids,
    update_by_key,
    update_rows,
    utcnow,
)
from hub.errors import Conflict, Forbidden, Invalid, NotFound
from hub.outbox import OutboxEntry, emit, outbox_values, record_change

TOPIC = "commerce"
_TRAF_MODES = {"SEA": "2", "BARGE": "2", "RAIL": "3", "ROAD": "4", "AIR": "5"}
_FINAL = {InventoryStatus.REJECTED, InventoryStatus.CLEARED, InventoryStatus.RETURNED}
_SENDERS = {
    "CEB311": (OrgType.SELLER, OrgType.PLATFORM),
    "CEB411": (OrgType.BANK, OrgType.PLATFORM),
    "CEB511": (OrgType.FORWARDER, OrgType.CARRIER),
}


# -- canonical (anchored) forms ---------------------------------------------------------------------------


def _order_canonical(row: Any) -> dict[str, Any]:
    get = _getter(row)
    return {
        "ownerOrgId": str(get("owner_org_id")),
        "source": get("source"),
        "head": get("head"),
        "lines": get("lines"),
    }


def _document_canonical(row: Any) -> dict[str, Any]:
    get = _getter(row)
    return {"ownerOrgId": str(get("owner_org_id")), "head": get("head")}


def _waybill_canonical(row: Any) -> dict[str, Any]:
    get = _getter(row)
    return {
        "ownerOrgId": str(get("owner_org_id")),
        "head": get("head"),
        "containerNumber": get("container_number"),
    }


def _inventory_canonical(row: Any) -> dict[str, Any]:
    get = _getter(row)

    def text(name: str) -> str | None:
        value = get(name)
        return None if value is None else str(value)

    status = get("status")
    return {
        "ownerOrgId": text("owner_org_id"),
        "orderId": text("order_id"),
        "waybillId": text("waybill_id"),
        "billId": text("bill_id"),
        "containerNumber": get("container_number"),
        "copNo": get("cop_no"),
        "status": status.value if isinstance(status, InventoryStatus) else status,
        "preNo": get("pre_no"),
        "invtNo": get("invt_no"),
        "head": get("head"),
        "lines": get("lines"),
        "receipts": get("receipts"),
        "messageId": text("message_id"),
    }


def _getter(row: Any) -> Callable[[str], Any]:
    return row.get if isinstance(row, dict) else lambda name: getattr(row, name)


records.register(ORDER_KIND, CommerceOrder, _order_canonical)
records.register(PAYMENT_KIND, CommercePayment, _document_canonical)
records.register(WAYBILL_KIND, CommerceWaybill, _waybill_canonical)
records.register(INVENTORY_KIND, InventoryList, _inventory_canonical)


# -- ingest ----------------------------------------------------------------------------------------------


@dataclass
class CommerceReport:
    """What one ingest did."""

    message: str
    stored: int = 0
    updated: int = 0
    duplicates: int = 0
    receipts: int = 0
    match: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "stored": self.stored,
            "updated": self.updated,
            "duplicates": self.duplicates,
            "receipts": self.receipts,
            "match": self.match,
            "notes": self.notes,
        }


# What says when and in which transmission an order was sent, not what was ordered: a platform that
# leaves them out gets new ones on every send (adapters.platform), and a resend is still a duplicate.
_SENDING = frozenset({"guid", "appTime"})


def _same_order(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """True when two order heads differ at most in how they were sent."""
    return {k: v for k, v in old.items() if k not in _SENDING} == {
        k: v for k, v in new.items() if k not in _SENDING
    }


def _code_of(session: Session, principal: Principal) -> str:
    return customs_code_of(
        session,
        principal,
        "your organisation has no customs code on the hub; ask the hub's operator to record it "
        "before sending customs documents",
    )


def _sender(session: Session, principal: Principal, code: str) -> str:
    principal.require(Action.TRADE_ECOMMERCE)
    allowed = _SENDERS[code]
    if principal.org_type not in allowed:
        raise Forbidden(
            f"{code} is sent by {' or '.join(t.value for t in allowed)} organisations, not by a "
            f"{principal.org_type.value}"
        )
    return _code_of(session, principal)


def ingest_message(session: Session, principal: Principal, message: CebMessage) -> CommerceReport:
    """Store a parsed CEB message for the caller (flushes; the edge commits)."""
    if message.code == "CEB311":
        return ingest_orders(session, principal, message.records, source="CEB311")
    if message.code == "CEB411":
        return _ingest_payments(session, principal, message.records)
    if message.code == "CEB511":
        return _ingest_waybills(session, principal, message.records)
    if message.code in ("CEB312", "CEB412", "CEB512"):
        return _document_receipts(session, principal, message)
    if message.code == "CEB622":
        return apply_inventory_receipts(session, principal, [r.head for r in message.records], message.code)
    raise Invalid(
        f"{message.code} is not taken in: the hub writes inventory lists itself from matched orders",
        field=message.code,
    )


def _year(head: dict[str, Any]) -> int:
    text = str(head.get("appTime") or "")
    return int(text[:4]) if text[:4].isdigit() else utcnow().year


def _used(session: Session, buyers: Iterable[str], *, lock: bool = False) -> dict[tuple[str, int], Decimal]:
    """What each of these buyers has used of each year's limit, by (buyer, year), as plain rows; with
    ``lock``, the rows are locked for the transaction (PostgreSQL), so that two declarations cannot both
    spend the same remainder (SQLite serialises writers anyway)."""
    used: dict[tuple[str, int], Decimal] = {}
    session.flush()  # a quota given back earlier in this unit of work (a rejected list) counts
    connection = session.connection()
    for chunk in chunks(sorted(set(buyers))):
        query = sa_select(_QUOTAS.c.buyer_id_number, _QUOTAS.c.year, _QUOTAS.c.used).where(
            among(session, _QUOTAS.c.buyer_id_number, chunk)
        )
        for buyer, year, amount in connection.execute(query.with_for_update() if lock else query):
            used[(buyer, year)] = amount
    return used


def _tax_lines(lines: Sequence[dict[str, Any]]) -> list[taxes.LineIn]:
    return [
        taxes.LineIn(
            gnum=int(line.get("gnum") or i),
            hs_code=line.get("hsCode"),
            total_price=Decimal(str(line.get("totalPrice") or 0)),
            qty=Decimal(str(line.get("qty") or 0)),
        )
        for i, line in enumerate(lines, start=1)
    ]


def ingest_orders(
    session: Session, principal: Principal, orders: Sequence[CebRecord], *, source: str
) -> CommerceReport:
    """Store orders (new ones, or new versions of the caller's own), with their tax and match."""
    code = _sender(session, principal, "CEB311")
    report = CommerceReport(message="CEB311" if source == "CEB311" else f"orders ({source})")
    table = taxes.table()
    latest: dict[tuple[str, str], CebRecord] = {}
    for order in orders:
        head = order.head
        if code not in (head.get("ebcCode"), head.get("ebpCode")):
            raise Forbidden(
                f"{order.where}: the order's enterprise ({head.get('ebcCode')}) and platform "
                f"({head.get('ebpCode')}) codes are not your organisation's customs code {code}"
            )
        latest[(str(head["ebpCode"]), str(head["orderNo"]))] = order
    report.duplicates = len(orders) - len(latest)
    withdrawn: list[str] = []  # orders the platform cancelled (appType 3)
    keys = list(latest)
    existing = _existing(
        session,
        CommerceOrder,
        (
            sa_select(_ORDERS.c.ebp_code, _ORDERS.c.order_no, _ORDERS.c.id).where(
                among(session, _ORDERS.c.order_no, [n for _, n in chunk])
            )
            for chunk in chunks(keys)
        ),
    )
    payments, waybills = _counterparts(session, keys)
    used = _used(session, (str(o.head["buyerIdNumber"]) for o in latest.values()))
    now = utcnow()
    rows: list[dict[str, Any]] = []
    outbox: list[dict[str, Any]] = []
    ids = iter(new_ids(len(latest) - len(existing)))
    for key, order in latest.items():
        head, lines = dict(order.head), [dict(line) for line in order.lines]
        result = taxes.compute(
            _tax_lines(lines),
            goods_value=Decimal(str(head["goodsValue"])),
            freight=Decimal(str(head.get("freight") or 0)),
            annual_used=used.get((str(head["buyerIdNumber"]), _year(head)), Decimal(0)),
            rates=table,
        )
        if head.get("freight") is None:
            head["freight"] = Decimal(0)
        if head.get("taxTotal") is None:  # a platform order: the hub computes the tax withheld
            head["taxTotal"] = result.total
        if head.get("acturalPaid") is None:
            head["acturalPaid"] = head["goodsValue"] + head["freight"] + head["taxTotal"] - head["discount"]
        head_json, lines_json = jsonable(head), [jsonable(line) for line in lines]
        status, problems = matching.match(
            head, lines, payments.get(key), waybills.get(key[1]), table.tolerance
        )
        values = {
            "head": head_json,
            "lines": lines_json,
            "match_status": status.value,
            "match_problems": [p.as_json() for p in problems],
            "customs_value": result.customs_value,
            "limit_status": result.limit_status.value,
            "tax": tax_json(result),
        }
        report.match[status.value] = report.match.get(status.value, 0) + 1
        old = existing.get(key)
        if old is not None:
            if old.owner_org_id != principal.org_id:
                raise Conflict(
                    f"{order.where}: order {key[1]} of platform {key[0]} was sent by another organisation",
                    field=order.where,
                )
            if _same_order(old.head, head_json) and old.lines == lines_json:
                report.duplicates += 1
                continue
            if session.exec(select(InventoryList.id).where(InventoryList.order_id == old.id)).first():
                raise Conflict(
                    f"{order.where}: order {key[1]} is already declared on an inventory list; it cannot change",
                    field=order.where,
                )
            for name, value in values.items():
                setattr(old, name, value)
            old.source, old.version, old.updated_at = source, old.version + 1, now
            session.add(old)
            outbox.append(outbox_values(ORDER_KIND, old.id, old.version, _order_canonical(old), now))
            report.updated += 1
            if cancelled(head):
                withdrawn.append(f"{ORDER_KIND}:{old.id}")
            continue
        order_id = next(ids)
        new: dict[str, Any] = {
            "id": order_id,
            "owner_org_id": principal.org_id,
            "ebp_code": key[0],
            "ebc_code": str(head["ebcCode"]),
            "order_no": key[1],
            "buyer_id_number": str(head["buyerIdNumber"]),
            "source": source,
            "customs_status": None,
            "customs_info": None,
            "version": 1,
            "created_at": now,
            "updated_at": now,
            **values,
        }
        rows.append(new)
        outbox.append(outbox_values(ORDER_KIND, order_id, 1, _order_canonical(new), now, checked=True))
    bulk_insert(session, CommerceOrder, rows)
    bulk_insert(session, OutboxEntry, outbox)
    report.stored = len(rows)
    session.flush()
    if rows or report.updated:
        emit(session, TOPIC, {"kind": "orders", "orgIds": [str(principal.org_id)], "count": len(latest)})
    if withdrawn:
        from hub.finance.service import reassess

        reassess(session, withdrawn, principal.org_id)  # receivables financed on these orders are flagged
    return report


def cancelled(head: dict[str, Any]) -> bool:
    """An order its platform withdrew: sent again with appType 3 (delete)."""
    return str(head.get("appType") or "") == "3"


def _existing(session: Session, model: Any, queries: Iterable[Any]) -> dict[tuple[str, str], Any]:
    """The records that ``queries`` find (each selects two key columns and the id), as objects by key.

    Keys are read first and objects loaded only for what they name: most records of a message are new,
    and building objects to find that out cost more than the rest of the check."""
    connection = session.connection()
    found = {(a, b): row_id for query in queries for a, b, row_id in connection.execute(query)}
    held = loaded(session, model, found.values())
    return {key: held[row_id] for key, row_id in found.items()}


def _counterparts(
    session: Session,
    keys: Sequence[tuple[str, str]],
    *,
    payments_known: dict[tuple[str, str], dict[str, Any]] | None = None,
    waybills_known: dict[str, dict[str, Any]] | None = None,
) -> tuple[dict[tuple[str, str], dict[str, Any]], dict[str, dict[str, Any]]]:
    """The payments (by platform and order number) and waybills (by order number) of these orders; a kind
    given as known (the documents of the message just stored) is not read again."""
    payments: dict[tuple[str, str], dict[str, Any]] = {}
    waybills: dict[str, dict[str, Any]] = {}
    pay, way = CommercePayment.__table__, CommerceWaybill.__table__  # type: ignore[attr-defined]
    connection = session.connection()
    for chunk in chunks(list(keys)):
        numbers = [n for _, n in chunk]
        platforms = {ebp for ebp, _ in chunk}  # leads the (ebp_code, order_no) index
        if payments_known is None:
            for ebp, number, head in connection.execute(
                select(pay.c.ebp_code, pay.c.order_no, pay.c.head).where(
                    among(session, pay.c.ebp_code, platforms), among(session, pay.c.order_no, numbers)
                )
            ):
                payments[(ebp, number)] = head
        if waybills_known is None:
            for number, head in connection.execute(
                select(way.c.order_no, way.c.head).where(among(session, way.c.order_no, numbers))
            ):
                waybills[number] = head
    return (
        payments if payments_known is None else payments_known,
        waybills if waybills_known is None else waybills_known,
    )


def _rematch(
    session: Session,
    report: CommerceReport,
    *,
    payments: dict[tuple[str, str], dict[str, Any]] | None = None,
    waybills: dict[str, dict[str, Any]] | None = None,
) -> None:
    """Run the match again for the orders that the payments (by platform and order number) or the
    waybills (by order number) just stored concern, with those documents' heads as stored: they are not
    read back.

    Plain rows in, one UPDATE statement out: the orders are not needed as objects here, and building
    them (their JSON heads and lines) cost more than the match itself."""
    arrived: Iterable[str] = (n for _, n in payments) if payments is not None else waybills or ()
    wanted = sorted(set(arrived))
    connection = session.connection()
    orders = [
        row
        for chunk in chunks(wanted)
        for row in connection.execute(_MATCH_ROWS.where(among(session, _ORDERS.c.order_no, chunk)))
        # A payment concerns the order of its own platform only, another platform's order of the same
        # number stays as it is.
        if payments is None or (row.ebp_code, row.order_no) in payments
    ]
    payments, waybills = _counterparts(
        session,
        [(o.ebp_code, o.order_no) for o in orders],
        payments_known=payments,
        waybills_known=waybills,
    )
    tolerance = taxes.table().tolerance
    owners: set[str] = set()
    changed: list[dict[str, Any]] = []
    now = utcnow()
    for order in orders:
        # The order's own arithmetic was checked when it was stored (and is for each new version): only
        # what the documents say against it is worked out again.
        status, problems = matching.against(
            order.head,
            matching.own_problems(order.match_problems),
            payments.get((order.ebp_code, order.order_no)),
            waybills.get(order.order_no),
            tolerance,
        )
        report.match[status.value] = report.match.get(status.value, 0) + 1
        problem_json = [p.as_json() for p in problems]
        if status.value != order.match_status or problem_json != order.match_problems:
            changed.append(
                {
                    "id": order.id,
                    "match_status": status.value,
                    "match_problems": problem_json,
                    "updated_at": now,
                }
            )
            owners.add(str(order.owner_org_id))
    update_rows(session, _SET_MATCH, CommerceOrder, changed)
    if owners:
        emit(session, TOPIC, {"kind": "match", "orgIds": sorted(owners), "count": len(orders)})


_ORDERS = CommerceOrder.__table__  # type: ignore[attr-defined]
# What matching and drafting read of an order, as plain rows: building the objects (their JSON heads and
# lines) cost more than either.
_ORDER_ROWS = sa_select(
    *(
        _ORDERS.c[name]
        for name in (
            "id",
            "owner_org_id",
            "order_no",
            "ebp_code",
            "buyer_id_number",
            "head",
            "lines",
            "match_status",
            "match_problems",
        )
    )
)
# What the rematch reads: not the lines, which only the order's own checks need.
_MATCH_ROWS = sa_select(
    *(
        _ORDERS.c[name]
        for name in ("id", "owner_org_id", "order_no", "ebp_code", "head", "match_status", "match_problems")
    )
)
_WAYBILLS = CommerceWaybill.__table__  # type: ignore[attr-defined]
# What drafting reads of a waybill.
_WAYBILL_ROWS = sa_select(
    *(_WAYBILLS.c[name] for name in ("id", "order_no", "bill_no", "container_number", "head"))
)
_INVENTORY = InventoryList.__table__  # type: ignore[attr-defined]
_SET_TAX = update_by_key(_ORDERS, "tax", "limit_status")
_QUOTAS = BuyerQuota.__table__  # type: ignore[attr-defined]
_SET_QUOTA = update_by_key(_QUOTAS, "used", "updated_at")
_SUBMITTED = update_by_key(_INVENTORY, "status", "message_id", "version", "updated_at")
_SET_MATCH = update_by_key(_ORDERS, "match_status", "match_problems", "updated_at")


def _ingest_documents(
    session: Session,
    principal: Principal,
    records_in: Sequence[CebRecord],
    *,
    code: str,
    model: Any,
    kind: str,
    key_fields: tuple[str, str],
    own_field: str,
    extra: Callable[[dict[str, Any]], dict[str, Any]],
    canonical: Callable[[Any], dict[str, Any]],
) -> CommerceReport:
    mine = _sender(session, principal, code)
    report = CommerceReport(message=code)
    latest: dict[tuple[str, str], CebRecord] = {}
    for record in records_in:
        if record.head.get(own_field) != mine:
            raise Forbidden(
                f"{record.where}/{own_field}: {record.head.get(own_field)} is not your organisation's "
                f"customs code {mine}"
            )
        latest[(str(record.head[key_fields[0]]), str(record.head[key_fields[1]]))] = record
    report.duplicates = len(records_in) - len(latest)
    table = model.__table__
    first, second = (table.c[name] for name in _COLUMNS[code])
    existing = _existing(
        session,
        model,
        (
            # The sender's own code leads the unique index (payCode, logisticsCode): say it, or the
            # database reads every row of the table for each message.
            sa_select(first, second, table.c.id).where(
                first == mine, among(session, second, [k[1] for k in chunk])
            )
            for chunk in chunks(list(latest))
        ),
    )
    now = utcnow()
    rows: list[dict[str, Any]] = []
    outbox: list[dict[str, Any]] = []
    ids = iter(new_ids(len(latest) - len(existing)))
    payments: dict[tuple[str, str], dict[str, Any]] = {}
    waybills: dict[str, dict[str, Any]] = {}
    for key, record in latest.items():
        head = dict(record.head)
        columns = extra(head)  # may take hub extensions (containerNumber) out of the head
        head_json = jsonable(head)
        values = {"head": head_json, **columns}
        if kind == PAYMENT_KIND:
            payments[(values["ebp_code"], values["order_no"])] = head_json
        else:
            waybills[values["order_no"]] = head_json
        old = existing.get(key)
        if old is not None:
            if old.owner_org_id != principal.org_id:
                raise Conflict(
                    f"{record.where}: {key[1]} was sent by another organisation", field=record.where
                )
            if old.order_no != values["order_no"]:
                raise Conflict(
                    f"{record.where}: {key[1]} already belongs to order {old.order_no}, not {values['order_no']}",
                    field=f"{record.where}/orderNo",
                )
            if old.head == head_json:
                report.duplicates += 1
                continue
            for name, value in values.items():
                setattr(old, name, value)
            old.version += 1
            session.add(old)
            outbox.append(outbox_values(kind, old.id, old.version, canonical(old), now))
            report.updated += 1
            continue
        row = {
            "id": next(ids),
            "owner_org_id": principal.org_id,
            first.key: key[0],
            second.key: key[1],
            "customs_status": None,
            "customs_info": None,
            "version": 1,
            "created_at": now,
            **values,
        }
        rows.append(row)
        outbox.append(outbox_values(kind, row["id"], 1, canonical(row), now, checked=True))
    bulk_insert(session, model, rows)
    bulk_insert(session, OutboxEntry, outbox)
    report.stored = len(rows)
    session.flush()
    if kind == PAYMENT_KIND:
        _rematch(session, report, payments=payments)
    else:
        _rematch(session, report, waybills=waybills)
    return report


_COLUMNS = {
    "CEB411": ("pay_code", "pay_transaction_id"),
    "CEB511": ("logistics_code", "logistics_no"),
}


def _ingest_payments(
    session: Session, principal: Principal, records_in: Sequence[CebRecord]
) -> CommerceReport:
    return _ingest_documents(
        session,
        principal,
        records_in,
        code="CEB411",
        model=CommercePayment,
        kind=PAYMENT_KIND,
        key_fields=("payCode", "payTransactionId"),
        own_field="payCode",
        extra=lambda head: {"ebp_code": str(head["ebpCode"]), "order_no": str(head["orderNo"])},
        canonical=_document_canonical,
    )


def _ingest_waybills(
    session: Session, principal: Principal, records_in: Sequence[CebRecord]
) -> CommerceReport:
    def extra(head: dict[str, Any]) -> dict[str, Any]:
        return {
            "order_no": str(head["orderNo"]),
            "bill_no": head.get("billNo") or None,
            "container_number": _container_of(head),
        }

    return _ingest_documents(
        session,
        principal,
        records_in,
        code="CEB511",
        model=CommerceWaybill,
        kind=WAYBILL_KIND,
        key_fields=("logisticsCode", "logisticsNo"),
        own_field="logisticsCode",
        extra=extra,
        canonical=_waybill_canonical,
    )


def _container_of(head: dict[str, Any]) -> str | None:
    """The container a parcel travels in, when the waybill says so (hub extension ``containerNumber``)."""
    value = str(head.pop("containerNumber", "") or "").strip().upper()
    return value or None


def ingest_waybill_container(
    session: Session, principal: Principal, logistics_no: str, container_number: str
) -> CommerceWaybill:
    """Name the container a parcel travels in (CEB511 has no field for it)."""
    from hub.bills.service import container_number as checked

    code = _sender(session, principal, "CEB511")
    waybill = session.exec(
        select(CommerceWaybill).where(
            CommerceWaybill.logistics_code == code, CommerceWaybill.logistics_no == logistics_no
        )
    ).first()
    if waybill is None:
        raise NotFound(f"no waybill {logistics_no} of yours", field="logisticsNo")
    waybill.container_number = checked(container_number, "containerNumber")
    waybill.version += 1
    session.add(waybill)
    record_change(session, WAYBILL_KIND, waybill.id, waybill.version, _waybill_canonical(waybill))
    return waybill


# -- receipts ----------------------------------------------------------------------------------------------


def inventory_status(return_status: str, where: str) -> InventoryStatus:
    """The inventory state a CEB622 returnStatus means (codes in ``shared/DOMAIN.md`` §3)."""
    try:
        code = int(str(return_status).strip())
    except ValueError as exc:
        raise Invalid(f"{where}: returnStatus {return_status!r} is not a number", field=where) from exc
    if code < 0:
        return InventoryStatus.REJECTED
    if 501 <= code <= 599:
        return InventoryStatus.DETAINED
    mapped = {
        1: InventoryStatus.STORED,
        2: InventoryStatus.DECLARING,
        3: InventoryStatus.DECLARING,
        4: InventoryStatus.SEND_FAILED,
        100: InventoryStatus.REJECTED,
        120: InventoryStatus.DECLARING,
        300: InventoryStatus.MANUAL_REVIEW,
        399: InventoryStatus.ACCEPTED,
        500: InventoryStatus.INSPECTION,
        700: InventoryStatus.RETURNED,
        800: InventoryStatus.RELEASED,
        899: InventoryStatus.CLEARED,
    }.get(code)
    if mapped is None:
        raise Invalid(f"{where}: returnStatus {code} is not a CEB622 status", field=where)
    return mapped


def _customs(session: Session, principal: Principal) -> str:
    principal.require(Action.DECIDE_CUSTOMS)
    return _code_of(session, principal)


def _platform_orgs(session: Session, codes: set[str]) -> dict[str, uuid.UUID]:
    if not codes:
        return {}
    orgs = Organisation.__table__  # type: ignore[attr-defined]
    # Two columns as plain rows: 95 µs, against 160 for loading the organisations as objects.
    query = sa_select(orgs.c.customs_code, orgs.c.id).where(orgs.c.customs_code.in_(sorted(codes)))
    return {code: org_id for code, org_id in session.connection().execute(query) if code}


def apply_inventory_receipts(
    session: Session, principal: Principal, receipts: Sequence[dict[str, Any]], source: str = "HUB"
) -> CommerceReport:
    """Customs' answers to inventory lists (CEB622 records, or the same fields from a customs mutation)."""
    district = _customs(session, principal)
    report = CommerceReport(message=source)
    by_cop: dict[str, InventoryList] = {}
    cops = sorted({str(r.get("copNo") or "") for r in receipts})
    for chunk in chunks(cops):
        for row in session.exec(
            select(InventoryList).where(among(session, col(InventoryList.cop_no), chunk))
        ):
            by_cop[row.cop_no] = row
    now = utcnow()
    changed: list[InventoryList] = []
    for index, receipt in enumerate(receipts, start=1):
        where = f"InventoryReturn[{index}]"
        cop = str(receipt.get("copNo") or "")
        inventory = by_cop.get(cop)
        if (
            inventory is None
            or inventory.status == InventoryStatus.DRAFT
            or inventory.customs_code != district
        ):
            raise NotFound(
                f"{where}/copNo: no inventory list {cop!r} declared to customs {district}",
                field=f"{where}/copNo",
            )
        if receipt.get("customsCode") and receipt["customsCode"] != district:
            raise Forbidden(f"{where}/customsCode: {receipt['customsCode']} is not your district {district}")
        status = inventory_status(str(receipt.get("returnStatus")), f"{where}/returnStatus")
        entry = {
            "returnStatus": str(receipt.get("returnStatus")),
            "returnTime": str(receipt.get("returnTime") or receipt_time(now)),
            "returnInfo": str(receipt.get("returnInfo") or ""),
            "preNo": receipt.get("preNo") or None,
            "invtNo": receipt.get("invtNo") or None,
            "status": status.value,
            "receivedAt": now.isoformat(),
        }
        if any(
            r["returnTime"] == entry["returnTime"] and r["returnStatus"] == entry["returnStatus"]
            for r in inventory.receipts
        ):
            report.duplicates += 1
            continue
        inventory.receipts = [*inventory.receipts, entry]
        inventory.pre_no = entry["preNo"] or inventory.pre_no
        inventory.invt_no = entry["invtNo"] or inventory.invt_no
        latest = max(r["returnTime"] for r in inventory.receipts)
        # A late receipt is kept in the history but does not move the list back; a final state stays final.
        if inventory.status not in _FINAL and entry["returnTime"] == latest:
            if status == InventoryStatus.REJECTED:
                _release_quota(session, inventory)
            inventory.status = status
        inventory.version += 1
        inventory.updated_at = now
        session.add(inventory)
        record_change(
            session, INVENTORY_KIND, inventory.id, inventory.version, _inventory_canonical(inventory)
        )
        changed.append(inventory)
        report.receipts += 1
    session.flush()
    _announce(session, changed)
    fallen = [f"{ORDER_KIND}:{i.order_id}" for i in changed if i.status in VALUE_LOST]
    if fallen:
        from hub.finance.service import reassess

        reassess(session, fallen, principal.org_id)  # receivables financed on these goods are flagged
    return report


# An inventory list customs refused, or whose goods went back: its order is worth nothing to finance.
VALUE_LOST = frozenset({InventoryStatus.REJECTED, InventoryStatus.RETURNED})


def _announce(session: Session, lists: Sequence[InventoryList]) -> None:
    if not lists:
        return
    platforms = _platform_orgs(session, {i.ebp_code for i in lists})
    for inventory in lists:
        orgs = {str(inventory.owner_org_id)}
        if inventory.ebp_code in platforms:
            orgs.add(str(platforms[inventory.ebp_code]))
        emit(
            session,
            TOPIC,
            {
                "kind": "inventory",
                "orgIds": sorted(orgs),
                "customsCode": inventory.customs_code,
                "id": str(inventory.id),
                "copNo": inventory.cop_no,
                "status": inventory.status.value,
            },
        )


def _release_quota(session: Session, inventory: InventoryList) -> None:
    quota = session.get(BuyerQuota, (inventory.head["buyerIdNumber"], inventory.quota_year))
    if quota is not None:
        quota.used = max(Decimal(0), quota.used - inventory.quota_amount)
        quota.updated_at = utcnow()
        session.add(quota)


_RECEIPT_TARGETS: dict[str, tuple[Any, tuple[str, str], tuple[str, str]]] = {
    "CEB312": (CommerceOrder, ("ebpCode", "orderNo"), ("ebp_code", "order_no")),
    "CEB412": (CommercePayment, ("payCode", "payTransactionId"), ("pay_code", "pay_transaction_id")),
    "CEB512": (CommerceWaybill, ("logisticsCode", "logisticsNo"), ("logistics_code", "logistics_no")),
}


def _document_receipts(session: Session, principal: Principal, message: CebMessage) -> CommerceReport:
    """Customs' receipts for orders, payments and waybills: the latest status is kept on the document."""
    _customs(session, principal)
    model, (k1, k2), (c1, c2) = _RECEIPT_TARGETS[message.code]
    report = CommerceReport(message=message.code)
    owners: set[str] = set()
    for record in message.records:
        head = record.head
        row = session.exec(
            select(model).where(getattr(model, c1) == head[k1], getattr(model, c2) == head[k2])
        ).first()
        if row is None:
            report.notes.append(f"{record.where}: no {model.__tablename__} {head[k1]}/{head[k2]} on the hub")
            continue
        row.customs_status = str(head["returnStatus"])[:10]
        row.customs_info = str(head["returnInfo"])[:1000]
        session.add(row)
        owners.add(str(row.owner_org_id))
        report.receipts += 1
    session.flush()
    if owners:
        emit(session, TOPIC, {"kind": "receipts", "orgIds": sorted(owners), "message": message.code})
    return report


# -- inventory lists ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Declaration:
    """What the declarant adds to what the hub already holds to write inventory lists."""

    customs_code: str  # 4-digit customs district the lists are declared to
    port_code: str  # 4-digit port of entry
    trade_mode: str = "9610"  # 9610 direct purchase, 1210 bonded
    traf_mode: str | None = None  # JGS-20 transport mode; from the through bill's first leg when not given
    assure_code: str | None = None  # the tax guarantor; the e-commerce enterprise when not given


def _four_digits(value: str, name: str) -> str:
    value = value.strip()
    if len(value) != 4 or not value.isdigit():
        raise Invalid(f"{name} must be a 4-digit customs code, not {value!r}", field=name)
    return value


def generate_inventory_lists(
    session: Session, principal: Principal, order_ids: Sequence[uuid.UUID], declaration: Declaration
) -> list[InventoryList]:
    """Draft inventory lists for matched orders of the caller's, reserving each buyer's annual quota."""
    from hub.bills.models import Bill, BillContainer, BillLeg

    principal.require(Action.TRADE_ECOMMERCE)
    agent_code = _code_of(session, principal)
    customs_code = _four_digits(declaration.customs_code, "customsCode")
    port_code = _four_digits(declaration.port_code, "portCode")
    if declaration.trade_mode not in ("9610", "1210"):
        raise Invalid("tradeMode must be 9610 (direct purchase) or 1210 (bonded)", field="tradeMode")
    # Plain rows (attribute access as on objects): these orders and waybills are read, not changed, here.
    connection = session.connection()
    orders: list[Any] = []
    for chunk in chunks(list(dict.fromkeys(order_ids))):
        orders.extend(connection.execute(_ORDER_ROWS.where(among(session, _ORDERS.c.id, chunk))))
    found = {o.id: o for o in orders}
    for index, order_id in enumerate(order_ids):
        order = found.get(order_id)
        if order is None or order.owner_org_id != principal.org_id:
            raise NotFound(
                f"orderIds[{index}]: no order of yours with id {order_id}", field=f"orderIds[{index}]"
            )
    declared = {
        i
        for chunk in chunks(list(found))
        for (i,) in connection.execute(
            sa_select(_INVENTORY.c.order_id).where(among(session, _INVENTORY.c.order_id, chunk))
        )
    }
    waybills = {
        w.order_no: w
        for chunk in chunks([o.order_no for o in orders])
        for w in connection.execute(_WAYBILL_ROWS.where(among(session, _WAYBILLS.c.order_no, chunk)))
    }
    bill_numbers = sorted({w.bill_no for w in waybills.values() if w.bill_no})
    bills = (
        {b.number: b for b in session.exec(select(Bill).where(col(Bill.number).in_(bill_numbers)))}
        if bill_numbers
        else {}
    )
    first_legs: dict[uuid.UUID, BillLeg] = {}
    only_container: dict[uuid.UUID, str] = {}
    if bills:
        ids = [b.id for b in bills.values()]
        for leg in session.exec(
            select(BillLeg).where(col(BillLeg.bill_id).in_(ids)).order_by(col(BillLeg.sequence))
        ):
            first_legs.setdefault(leg.bill_id, leg)
        per_bill: dict[uuid.UUID, list[str]] = {}
        for c in session.exec(select(BillContainer).where(col(BillContainer.bill_id).in_(ids))):
            per_bill.setdefault(c.bill_id, []).append(c.number)
        only_container = {k: v[0] for k, v in per_bill.items() if len(v) == 1}
    table = taxes.table()
    now = utcnow()
    # The buyers' quota rows, locked; written back below with one statement for the new ones and one for
    # the changed ones.
    used = _used(session, (o.buyer_id_number for o in orders), lock=True)
    stored = set(used)
    spent: set[tuple[str, int]] = set()
    created: list[dict[str, Any]] = []
    taxed: list[dict[str, Any]] = []
    fresh = iter(new_ids(len(order_ids)))
    stamp = _Stamp(now, len(order_ids))
    for index, order_id in enumerate(order_ids):
        order = found[order_id]
        where = f"orderIds[{index}]"
        if order.id in declared:
            raise Conflict(f"{where}: order {order.order_no} is already on an inventory list", field=where)
        if order.match_status != matching.MatchStatus.MATCHED.value:
            reasons = "; ".join(p["message"] for p in order.match_problems[:3])
            raise Conflict(
                f"{where}: order {order.order_no} is {order.match_status}, not MATCHED ({reasons})",
                field=where,
            )
        waybill = waybills[order.order_no]
        missing_hs = [str(line.get("gnum")) for line in order.lines if not line.get("hsCode")]
        if missing_hs:
            raise Invalid(
                f"{where}: order {order.order_no} line(s) {', '.join(missing_hs)} have no 10-digit HS code "
                "(hsCode), which the inventory list declares as gcode",
                field=where,
            )
        buyer, year = order.buyer_id_number, _year(order.head)
        insured = Decimal(str(waybill.head.get("insuredFee") or 0))
        result = taxes.compute(
            _tax_lines(order.lines),
            goods_value=Decimal(str(order.head["goodsValue"])),
            freight=Decimal(str(order.head.get("freight") or 0)),
            insured_fee=insured,
            annual_used=used.get((buyer, year), Decimal(0)),
            rates=table,
        )
        if not result.limit_status.clears_as_retail:
            raise Conflict(f"{where}: order {order.order_no}: {' '.join(result.notes)}", field=where)
        used[(buyer, year)] = result.annual_used_after
        spent.add((buyer, year))
        bill = bills.get(waybill.bill_no or "")
        first_leg = first_legs.get(bill.id) if bill else None
        traf_mode = declaration.traf_mode or (_TRAF_MODES.get(first_leg.mode) if first_leg else None)
        if not traf_mode:
            raise Invalid(
                f"{where}: give trafMode: the waybill names no through bill on the hub to take it from",
                field="trafMode",
            )
        head = _inventory_head(
            order,
            waybill,
            principal.org_name,
            agent_code,
            customs_code,
            port_code,
            declaration,
            traf_mode,
            first_leg,
            stamp.next(index),
        )
        lines = [_inventory_line(line) for line in order.lines]
        # Plain rows and one statement: building ORM objects costs more than everything else here.
        created.append(
            {
                "id": next(fresh),
                "owner_org_id": principal.org_id,
                "order_id": order.id,
                "waybill_id": waybill.id,
                "bill_id": bill.id if bill else None,
                "container_number": waybill.container_number
                or (only_container.get(bill.id) if bill else None),
                "cop_no": head["copNo"],
                "ebp_code": order.ebp_code,
                "customs_code": customs_code,
                "status": InventoryStatus.DRAFT,
                "pre_no": None,
                "invt_no": None,
                "head": jsonable(head),
                "lines": [jsonable(line) for line in lines],
                "receipts": [],
                "message_id": None,
                "quota_year": year,
                "quota_amount": result.customs_value,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
        taxed.append({"id": order.id, "tax": tax_json(result), "limit_status": result.limit_status.value})
    quotas = [
        {"buyer_id_number": buyer, "year": year, "used": used[(buyer, year)], "updated_at": now}
        for buyer, year in sorted(spent)
    ]
    bulk_insert(session, BuyerQuota, [q for q in quotas if (q["buyer_id_number"], q["year"]) not in stored])
    update_rows(
        session,
        _SET_QUOTA,
        BuyerQuota,
        [q for q in quotas if (q["buyer_id_number"], q["year"]) in stored],
    )
    update_rows(session, _SET_TAX, CommerceOrder, taxed)
    bulk_insert(session, InventoryList, created)
    bulk_insert(
        session,
        OutboxEntry,
        [
            outbox_values(INVENTORY_KIND, row["id"], 1, _inventory_canonical(row), now, checked=True)
            for row in created
        ],
    )
    return attach_inserted(session, InventoryList, created)


class _Stamp:
    """What makes each of ``count`` drafted lists its own (guid and copNo) and dates it, made once per
    drafting: two reads of the random source and two dates for all the lists, instead of two of each
    per list."""

    def __init__(self, now: datetime, count: int) -> None:
        self.app_time, self.decl_time = now.strftime("%Y%m%d%H%M%S"), now.strftime("%Y%m%d")
        self.guids = new_guids(count)
        self.random_hex = os.urandom(10 * count).hex().upper()  # 20 digits a list; a copNo takes 19

    def next(self, index: int) -> tuple[str, str, str, str]:
        """The guid, copNo, appTime and declTime of the ``index``-th list."""
        cop_no = "I" + self.random_hex[20 * index : 20 * index + 19]
        return self.guids[index], cop_no, self.app_time, self.decl_time


def _inventory_head(
    order: Any,  # a CommerceOrder, or one of its rows as drafting reads them
    waybill: Any,  # likewise a CommerceWaybill
    org_name: str,
    agent_code: str,
    customs_code: str,
    port_code: str,
    declaration: Declaration,
    traf_mode: str,
    leg: Any,
    stamp: tuple[str, str, str, str],
) -> dict[str, Any]:
    o, w = order.head, waybill.head
    guid, cop_no, app_time, decl_time = stamp
    return {
        "guid": guid,
        "appType": "1",
        "appTime": app_time,
        "appStatus": "2",
        "orderNo": o["orderNo"],
        "ebpCode": o["ebpCode"],
        "ebpName": o["ebpName"],
        "ebcCode": o["ebcCode"],
        "ebcName": o["ebcName"],
        "logisticsNo": w["logisticsNo"],
        "logisticsCode": w["logisticsCode"],
        "logisticsName": w["logisticsName"],
        "copNo": cop_no,
        "assureCode": declaration.assure_code or o["ebcCode"],
        "ieFlag": "I",
        "declTime": decl_time,
        "customsCode": customs_code,
        "portCode": port_code,
        "buyerIdType": o["buyerIdType"],
        "buyerIdNumber": o["buyerIdNumber"],
        "buyerName": o["buyerName"],
        "buyerTelephone": o["buyerTelephone"],
        "consigneeAddress": o["consigneeAddress"],
        "agentCode": agent_code,
        "agentName": org_name[:100],
        "tradeMode": declaration.trade_mode,
        "trafMode": traf_mode,
        "trafNo": (leg.vessel_name or leg.vehicle_reference) if leg is not None else None,
        "voyageNo": leg.voyage if leg is not None else None,
        "billNo": w.get("billNo") or None,
        "country": order.lines[0].get("country") or "142",
        "freight": w.get("freight") if w.get("freight") is not None else o.get("freight", "0"),
        "insuredFee": w.get("insuredFee") or "0",
        "currency": "142",
        "packNo": w.get("packNo") or 1,
        "grossWeight": w["weight"],
        "netWeight": w["weight"],
    }


def _inventory_line(line: dict[str, Any]) -> dict[str, Any]:
    return {
        "gnum": line["gnum"],
        "itemNo": (line.get("itemNo") or None) and str(line["itemNo"])[:20],
        "itemName": line.get("itemName"),
        "gcode": line["hsCode"],
        "gname": line.get("itemName"),
        "gmodel": line.get("gmodel") or line.get("itemName"),
        "barCode": line.get("barCode") or "无",
        "country": line.get("country") or "142",
        "currency": "142",
        "qty": line["qty"],
        "unit": line["unit"],
        "qty1": line.get("legalQty") or line["qty"],
        "unit1": line.get("legalUnit") or line["unit"],
        "price": line["price"],
        "totalPrice": line["totalPrice"],
    }


def submit_inventory_lists(
    session: Session,
    principal: Principal,
    inventory_ids: Sequence[uuid.UUID],
    signer: Signer,
    dxp_id: str = "",
) -> list[OutboundMessage]:
    """Write the caller's draft lists as signed CEB621 messages (up to 100 lists each) and mark them sent."""
    principal.require(Action.TRADE_ECOMMERCE)
    code = _code_of(session, principal)
    found = loaded(session, InventoryList, inventory_ids)
    for index, inventory_id in enumerate(inventory_ids):
        inventory = found.get(inventory_id)
        if inventory is None or inventory.owner_org_id != principal.org_id:
            raise NotFound(
                f"inventoryIds[{index}]: no inventory list of yours with that id",
                field=f"inventoryIds[{index}]",
            )
        if inventory.status != InventoryStatus.DRAFT:
            raise Conflict(
                f"inventoryIds[{index}]: {inventory.cop_no} is {inventory.status.value}, only drafts are submitted",
                field=f"inventoryIds[{index}]",
            )
    ordered = [found[i] for i in dict.fromkeys(inventory_ids)]
    now = utcnow()
    messages: list[dict[str, Any]] = []
    groups = list(chunks(ordered, 100))
    for group, message_id, guid in zip(groups, new_ids(len(groups)), new_guids(len(groups)), strict=True):
        message = CebMessage(
            code="CEB621",
            guid=guid,
            version="1.0",
            records=[CebRecord(i.cop_no, i.head, list(i.lines)) for i in group],
            transfer={
                "copCode": code,
                "copName": principal.org_name[:100],
                "dxpMode": "DXP",
                "dxpId": dxp_id,
            },
        )
        outbound = {
            "id": message_id,
            "owner_org_id": principal.org_id,
            "code": "CEB621",
            "guid": guid,
            "xml": render(message, signer).decode(),
            "created_at": now,
        }
        bulk_insert(session, OutboundMessage, [outbound])  # now: the lists refer to it
        messages.append(outbound)
        # One statement for the group; the held lists are given the written values as loaded ones.
        update_rows(
            session,
            _SUBMITTED,
            InventoryList,
            [
                {
                    "id": inventory.id,
                    "status": InventoryStatus.SUBMITTED,
                    "message_id": message_id,
                    "version": inventory.version + 1,
                    "updated_at": now,
                }
                for inventory in group
            ],
            held="set",
        )
    # Drafts only: their heads and lines were written through ``jsonable``, and no receipt is taken on a
    # draft, so there is nothing for the canonical walk to refuse.
    bulk_insert(
        session,
        OutboxEntry,
        [
            outbox_values(INVENTORY_KIND, i.id, i.version, _inventory_canonical(i), now, checked=True)
            for i in ordered
        ],
    )
    _announce(session, ordered)
    return attach_inserted(session, OutboundMessage, messages)


# -- reading ------------------------------------------------------------------------------------------


def _my_code(session: Session, principal: Principal) -> str | None:
    org = session.get(Organisation, principal.org_id)
    return org.customs_code if org is not None else None


def visible_orders(session: Session, principal: Principal) -> ColumnElement[bool]:
    """Orders the caller may read: its own, its platform's or enterprise's, shared with it; regulators all."""
    principal.require(Action.READ_RECORDS)
    if principal.audits_all:
        return true()
    clause = visible_clause(principal, CommerceOrder, ORDER_KIND)
    code = _my_code(session, principal)
    if code and principal.org_type in (OrgType.PLATFORM, OrgType.SELLER):
        clause = or_(clause, col(CommerceOrder.ebp_code) == code, col(CommerceOrder.ebc_code) == code)
    return clause


def visible_inventory(session: Session, principal: Principal) -> ColumnElement[bool]:
    """Lists the caller may read: the declarant's, the platform's, the customs district's once sent."""
    principal.require(Action.READ_RECORDS)
    if principal.audits_all:
        return true()
    clause = visible_clause(principal, InventoryList, INVENTORY_KIND)
    code = _my_code(session, principal)
    if code and principal.org_type == OrgType.PLATFORM:
        clause = or_(clause, col(InventoryList.ebp_code) == code)
    if code and principal.org_type == OrgType.CUSTOMS:
        clause = or_(
            clause,
            (col(InventoryList.customs_code) == code) & (col(InventoryList.status) != InventoryStatus.DRAFT),
        )
    return clause


def list_orders(
    session: Session,
    principal: Principal,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None = None,
    match_status: str | None = None,
) -> Sequence[CommerceOrder]:
    """Visible orders, oldest first, ``limit`` at a time."""
    query = select(CommerceOrder).where(visible_orders(session, principal))
    if match_status:
        query = query.where(CommerceOrder.match_status == match_status)
    return session.exec(
        keyset_page(query, col(CommerceOrder.created_at), col(CommerceOrder.id), after, limit)
    ).all()


def get_order(
    session: Session,
    principal: Principal,
    *,
    order_id: uuid.UUID | None = None,
    ebp_code: str = "",
    order_no: str = "",
) -> CommerceOrder:
    """One visible order, by id or by platform code and order number."""
    query = select(CommerceOrder).where(visible_orders(session, principal))
    if order_id is not None:
        query = query.where(CommerceOrder.id == order_id)
    else:
        query = query.where(CommerceOrder.ebp_code == ebp_code, CommerceOrder.order_no == order_no)
    row = session.exec(query).first()
    if row is None:
        raise NotFound("no such order that you may see")
    return row


def list_inventory(
    session: Session,
    principal: Principal,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None = None,
    status: InventoryStatus | None = None,
) -> Sequence[InventoryList]:
    """Visible inventory lists, oldest first."""
    query = select(InventoryList).where(visible_inventory(session, principal))
    if status is not None:
        query = query.where(InventoryList.status == status)
    return session.exec(
        keyset_page(query, col(InventoryList.created_at), col(InventoryList.id), after, limit)
    ).all()


def get_inventory(
    session: Session, principal: Principal, *, inventory_id: uuid.UUID | None = None, cop_no: str = ""
) -> InventoryList:
    """One visible inventory list, by id or copNo."""
    query = select(InventoryList).where(visible_inventory(session, principal))
    query = (
        query.where(InventoryList.id == inventory_id)
        if inventory_id
        else query.where(InventoryList.cop_no == cop_no)
    )
    row = session.exec(query).first()
    if row is None:
        raise NotFound("no such inventory list that you may see")
    return row


def order_ids(session: Session, principal: Principal, order_numbers: Sequence[str]) -> list[uuid.UUID]:
    """The ids of the caller's orders with these numbers, in the order given (unknown numbers left out)."""
    found: dict[str, uuid.UUID] = {}
    connection = session.connection()  # plain rows: nothing here needs the ORM
    for chunk in chunks(list(order_numbers)):
        # By number alone, the owner compared here: told both, SQLite walked the owner's index, every order
        # of the seller for each chunk, instead of looking the numbers up.
        query = sa_select(_ORDERS.c.order_no, _ORDERS.c.id, _ORDERS.c.owner_org_id).where(
            among(session, _ORDERS.c.order_no, chunk)
        )
        for number, row_id, owner in connection.execute(query):
            if owner == principal.org_id:
                found[number] = row_id
    return [found[n] for n in order_numbers if n in found]


def inventory_of_orders(session: Session, order_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, InventoryList]:
    """The inventory list of each of these orders, where there is one."""
    found: dict[uuid.UUID, InventoryList] = {}
    for chunk in chunks(list(order_ids)):
        for row in session.exec(
            select(InventoryList).where(among(session, col(InventoryList.order_id), chunk))
        ):
            found[row.order_id] = row
    return found


def counterparts_of(
    session: Session, orders: Sequence[CommerceOrder]
) -> tuple[dict[tuple[str, str], CommercePayment], dict[str, CommerceWaybill]]:
    """The payment and waybill rows of these orders (for showing them with the order)."""
    payments: dict[tuple[str, str], CommercePayment] = {}
    waybills: dict[str, CommerceWaybill] = {}
    numbers = [o.order_no for o in orders]
    platforms = {o.ebp_code for o in orders}  # leads the payments' (ebp_code, order_no) index
    for chunk in chunks(numbers):
        for p in session.exec(
            select(CommercePayment).where(
                among(session, col(CommercePayment.ebp_code), platforms),
                among(session, col(CommercePayment.order_no), chunk),
            )
        ):
            payments[(p.ebp_code, p.order_no)] = p
        for w in session.exec(
            select(CommerceWaybill).where(among(session, col(CommerceWaybill.order_no), chunk))
        ):
            waybills[w.order_no] = w
    return payments, waybills


def message_xml(session: Session, message_id: uuid.UUID | None) -> str | None:
    """The signed CEB621 message an inventory list went out in (for a caller who may read the list)."""
    if message_id is None:
        return None
    message = session.get(OutboundMessage, message_id)
    return None if message is None else message.xml


def receipt_time(now: datetime | None = None) -> str:
    """A CEB returnTime (17 digits, milliseconds)."""
    moment = now or datetime.now(UTC)
    return moment.strftime("%Y%m%d%H%M%S") + f"{moment.microsecond // 1000:03d}"
