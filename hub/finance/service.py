"""The only code that writes receivables, and the bank's verification of one.

A creditor registers a receivable with the trade evidence behind it (bills, documents, tracking events,
cross-border orders and inventory lists it may read). The invoice identity (creditor code + invoice
number, normalised: Unicode NFKC, no whitespace, upper case) is blinded with the hub's secret key
(HMAC-SHA256) and registered on the ReceivableRegistry, so a second registration of the same invoice,
however it is spaced or cased, is refused, and banks can see whether it is pledged without seeing it.

A bank the creditor shared the receivable with (a consent the creditor can revoke) verifies it and may
pledge it; the pledge is decided on chain, in one transaction, before the hub records it, so of two
banks racing exactly one wins. Repayment releases it, settlement closes it, the lender may transfer it.
Every step is anchored.

Finance follows the goods as well as the invoice: the evidence that carries value (a bill's cargo, an
invoice, a cross-border order) is drawn on by each pledge, keyed on chain by a blinded identity of the
evidence. A pledge draws the receivable's amount on each kind of value it cites (its bills' cargo, its
invoices, its orders), spread over the items of that kind in the order cited, and the registry refuses, in
the pledge's own transaction, any draw that would take an item beyond its value with every other live
pledge of any bank. Repaying or settling gives the draw back; a transfer keeps it with the receivable.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, or_, true
from sqlmodel import Session, col, select

from hub import records
from hub.anchors import LedgerPort, Verification, VerificationStatus
from hub.auth.access import can_read, visible_clause
from hub.auth.models import Organisation, OrgType
from hub.auth.permissions import Action, Principal
from hub.canonical import decimal_text, org_ref
from hub.db import aware, keyset_page, utcnow
from hub.documents.service import check_amount, check_currency
from hub.errors import Conflict, Forbidden, Invalid, NotFound, Unavailable
from hub.finance.models import RECEIVABLE_KIND, Receivable, ReceivableStatus
from hub.outbox import emit, record_change

TOPIC = "finance"
EVIDENCE_KINDS = (
    "bill",
    "document",
    "tracking_event",
    "ceb_order",
    "ceb_inventory",
    "ceb_waybill",
    "customs_declaration",
)
_MOVED = {"LOAD", "DEPA", "DISC", "ARRI", "GTOT", "GTIN"}
_ISSUED = {"ISSUED", "IN_TRANSIT", "DELIVERED", "SURRENDERED"}
_DELIVERED = {"DELIVERED", "SURRENDERED"}
_RELEASED = {"RELEASED", "CLEARED"}


def _canonical(row: Receivable) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ownerOrgId": str(row.owner_org_id),
        "creditorCode": row.creditor_code,
        "creditorName": row.creditor_name,
        "debtorName": row.debtor_name,
        "debtorCode": row.debtor_code,
        "invoiceNumber": row.invoice_number,
        "blindedId": row.blinded_id,
        "amount": decimal_text(row.amount),
        "currency": row.currency,
        "issueDate": row.issue_date.isoformat(),
        "dueDate": row.due_date.isoformat(),
        "evidence": row.evidence,
        "status": row.status.value,
        "lenderOrgId": None if row.lender_org_id is None else str(row.lender_org_id),
        "history": row.history,
    }
    # The financing's terms, only when it has them: a receivable anchored before terms existed keeps the
    # canonical form (and the hash) it was anchored with.
    if row.conditions:
        body["conditions"] = row.conditions
    if row.disbursed_at is not None:
        body["disbursedAt"] = row.disbursed_at.isoformat()
    if row.repay_days_after_delivery is not None:
        body["repayDaysAfterDelivery"] = row.repay_days_after_delivery
    if row.delivered_at is not None:
        body["deliveredAt"] = row.delivered_at.isoformat()
    if row.repayment_due is not None:
        body["repaymentDue"] = row.repayment_due.isoformat()
    if row.title_bill_id is not None:
        body["titleBillId"] = str(row.title_bill_id)
    return body


records.register(RECEIVABLE_KIND, Receivable, _canonical)


def normalise(text: str) -> str:
    """An identity as the registry compares it: NFKC (full-width forms folded), no whitespace, upper case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).upper()


def blinded_id(key: str, creditor_code: str, invoice_number: str) -> bytes:
    """HMAC-SHA256 of the normalised invoice identity under the hub's blinding key (32 bytes)."""
    identity = f"{normalise(creditor_code)}\x1f{normalise(invoice_number)}".encode()
    return hmac.new(key.encode(), identity, hashlib.sha256).digest()


@dataclass(frozen=True)
class ReceivableInput:
    """What a creditor enters."""

    debtor_name: str
    invoice_number: str
    amount: Decimal
    currency: str
    issue_date: date
    due_date: date
    evidence: tuple[tuple[str, uuid.UUID], ...] = ()
    debtor_code: str | None = None


def readable_evidence(session: Session, principal: Principal, kind: str, row: Any) -> bool:
    if kind == "bill":
        from hub.bills.service import can_read_bill

        return can_read_bill(session, principal, row)
    if kind == "tracking_event":
        from hub.tracking.service import events_by_ids

        return bool(events_by_ids(session, principal, [row.id]))
    if kind == "customs_declaration":
        from hub.port.service import get_declaration

        try:
            get_declaration(session, principal, row.id)
        except NotFound:
            return False
        return True
    if kind in ("ceb_order", "ceb_inventory"):
        from hub.commerce import service as commerce

        try:
            if kind == "ceb_order":
                commerce.get_order(session, principal, order_id=row.id)
            else:
                commerce.get_inventory(session, principal, inventory_id=row.id)
        except NotFound:
            return False
        return True
    return can_read(session, principal, kind, row)


def _ledger(ledger: LedgerPort | None) -> LedgerPort:
    if ledger is None:
        raise Unavailable("the hub has no chain connection for receivables")
    return ledger


def _history(row: Receivable, action: str, principal: Principal, tx: tuple[str, int], **extra: Any) -> None:
    row.history = [
        *row.history,
        {
            "action": action,
            "byOrgId": str(principal.org_id),
            "at": utcnow().isoformat(),
            "transactionHash": tx[0],
            "blockNumber": tx[1],
            **extra,
        },
    ]


def _new_steps(row: Receivable) -> list[dict[str, Any]]:
    """The history entries this save adds: those stamped after the row's last save."""
    last = aware(row.updated_at)
    return [h for h in row.history if datetime.fromisoformat(h["at"]) > last] or row.history[-1:]


def saved(session: Session, row: Receivable, banks: Sequence[uuid.UUID | None] = ()) -> Receivable:
    steps = _new_steps(row)
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
    record_change(session, RECEIVABLE_KIND, row.id, row.version, _canonical(row))
    orgs = {str(row.owner_org_id), *(str(b) for b in banks if b is not None)}
    if row.lender_org_id is not None:
        orgs.add(str(row.lender_org_id))
    emit(session, TOPIC, {"id": str(row.id), "status": row.status.value, "orgIds": sorted(orgs)})
    from hub.finance.hooks import queue

    queue(session, row, orgs, steps)  # and to their webhooks, in the same transaction
    return row


def _release(session: Session) -> None:
    """End the session's transaction before a call to the chain, which waits for its block.

    Everything before the call only read, and the chain, not the database, decides what the call may do
    (a second pledge fails there); a connection held across the wait starved the pool under a burst of
    pledges and stalled every other request (issue 26). The rows read stay loaded; the writes that follow
    the call begin a transaction of their own. A caller that wrote in this session before (the demo
    loader) sees those writes committed here."""
    session.commit()


def register(
    session: Session,
    principal: Principal,
    data: ReceivableInput,
    *,
    ledger: LedgerPort | None,
    blinding_key: str,
) -> Receivable:
    """Register a receivable on the hub and, blinded, on the registry; refused if the invoice is known."""
    principal.require(Action.REGISTER_RECEIVABLES)
    org = session.get(Organisation, principal.org_id)
    assert org is not None
    if not org.customs_code or len(org.customs_code) != 18:
        raise Forbidden(
            "a creditor needs its unified social credit code on the hub (the organisation's customs code)"
        )
    if not data.invoice_number.strip():
        raise Invalid("the invoice number is empty", field="invoiceNumber")
    if not data.debtor_name.strip():
        raise Invalid("the debtor is empty", field="debtorName")
    amount = check_amount(data.amount)
    if amount is None or amount <= 0:
        raise Invalid("the amount must be more than zero", field="amount")
    currency = check_currency(data.currency)
    assert currency is not None
    if data.due_date < data.issue_date:
        raise Invalid("the due date is before the issue date", field="dueDate")
    evidence = []
    for index, (kind, record_id) in enumerate(data.evidence):
        where = f"evidence[{index}]"
        if kind not in EVIDENCE_KINDS:
            raise Invalid(f"{where}: {kind!r} is not evidence ({', '.join(EVIDENCE_KINDS)})", field=where)
        row = records.load(session, kind, record_id)
        if row is None or not readable_evidence(session, principal, kind, row):
            raise NotFound(f"{where}: no {kind} {record_id} that you may read", field=where)
        evidence.append({"kind": kind, "id": str(record_id)})
    if not evidence:
        raise Invalid("a receivable needs trade evidence (a bill, invoice, orders ...)", field="evidence")
    blinded = "0x" + blinded_id(blinding_key, org.customs_code, data.invoice_number).hex()
    known = session.exec(select(Receivable).where(Receivable.blinded_id == blinded)).first()
    if known is not None:
        raise Conflict(
            "this invoice is already registered as a receivable"
            + (f" ({known.id})" if known.owner_org_id == principal.org_id else ""),
            field="invoiceNumber",
        )
    chain = _ledger(ledger)
    _release(session)
    try:
        tx = chain.receivable("register", bytes.fromhex(blinded[2:]))
    except Conflict:
        # Registered on chain but not on the hub: an earlier attempt whose database write failed. Only the
        # hub registers, so the entry is ours: adopt it.
        on_chain = chain.receivable_of(bytes.fromhex(blinded[2:]))
        if on_chain.status != "REGISTERED":
            raise
        tx = ("", on_chain.block_number)
    row = Receivable(
        owner_org_id=principal.org_id,
        creditor_code=org.customs_code,
        creditor_name=org.name,
        debtor_name=" ".join(data.debtor_name.split()),
        debtor_code=data.debtor_code,
        invoice_number=data.invoice_number.strip(),
        blinded_id=blinded,
        amount=amount,
        currency=currency,
        issue_date=data.issue_date,
        due_date=data.due_date,
        evidence=evidence,
        status=ReceivableStatus.REGISTERED,
    )
    _history(row, "REGISTERED", principal, tx)
    return saved(session, row)


def visible_receivables(principal: Principal) -> ColumnElement[bool]:
    """The creditor's own, those shared with the caller (consent), the lender's; regulators all."""
    if principal.audits_all:
        return true()
    return or_(
        visible_clause(principal, Receivable, RECEIVABLE_KIND),
        col(Receivable.lender_org_id) == principal.org_id,
    )


def get(session: Session, principal: Principal, receivable_id: uuid.UUID) -> Receivable:
    """A receivable the caller may read."""
    principal.require(Action.READ_RECORDS)
    row = session.exec(
        select(Receivable).where(Receivable.id == receivable_id, visible_receivables(principal))
    ).first()
    if row is None:
        raise NotFound("no receivable that you may see with that id", field="id")
    return row


def list_receivables(
    session: Session,
    principal: Principal,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None = None,
    status: ReceivableStatus | None = None,
) -> Sequence[Receivable]:
    """Visible receivables, oldest first."""
    principal.require(Action.READ_RECORDS)
    query = select(Receivable).where(visible_receivables(principal))
    if status is not None:
        query = query.where(Receivable.status == status)
    return session.exec(
        keyset_page(query, col(Receivable.created_at), col(Receivable.id), after, limit)
    ).all()


def _for_bank(session: Session, principal: Principal, receivable_id: uuid.UUID) -> Receivable:
    principal.require(Action.FINANCE_RECEIVABLES)
    return get(session, principal, receivable_id)


def pledge(
    session: Session,
    principal: Principal,
    receivable_id: uuid.UUID,
    *,
    ledger: LedgerPort | None,
    blinding_key: str,
    terms: FinancingTerms | None = None,
) -> Receivable:
    """Finance a receivable: decided on chain first, so a second pledge by any bank fails, and so does one
    whose evidence other pledges have already drawn on up to its value.

    ``terms`` may hold the money back until logistics events happen (hub.finance.conditions), set
    repayment a number of days after delivery, and take a cited bill's title as collateral: its holder
    must have endorsed it to the bank, and it stays with the bank until the financing ends."""
    from hub.finance import conditions as on_terms

    terms = terms or FinancingTerms()
    row = _for_bank(session, principal, receivable_id)
    if row.status == ReceivableStatus.PLEDGED:
        raise Conflict("the receivable is already pledged to a lender")
    if row.status == ReceivableStatus.SETTLED:
        raise Conflict("the receivable is settled")
    kept = on_terms.terms(terms.conditions, terms.repay_days_after_delivery, row.bill_ids)
    if terms.title_bill_id is not None:
        _collateral(session, principal, row, terms.title_bill_id)
    chain = _ledger(ledger)
    blinded = bytes.fromhex(row.blinded_id[2:])
    lender = org_ref(principal.org_id)
    draws = evidence_draws(session, row, chain, blinding_key)
    _refuse_short(row, draws)
    _release(session)
    try:
        tx = chain.receivable(
            "pledge",
            blinded,
            lender,
            [d.evidence_id for d in draws],
            [_units(d.draw) for d in draws],
            [_units(d.value) for d in draws],
            gas=_gas(len(draws)),
        )
    except Conflict:
        on_chain = chain.receivable_of(blinded)
        if on_chain.status == "PLEDGED" and on_chain.lender == lender:
            tx = ("", on_chain.block_number)  # our own earlier pledge whose database write was lost
        else:
            # Another bank's pledge drew on the same evidence between our check and our transaction: say
            # what remains now, as the check before it would have.
            _refuse_short(row, evidence_draws(session, row, chain, blinding_key))
            raise
    row.status, row.lender_org_id, row.version = ReceivableStatus.PLEDGED, principal.org_id, row.version + 1
    row.conditions, row.repay_days_after_delivery = kept, terms.repay_days_after_delivery
    row.delivered_at = row.repayment_due = None
    row.disbursed_at = None if kept else utcnow()
    row.title_bill_id = terms.title_bill_id
    _history(
        row,
        "PLEDGED",
        principal,
        tx,
        lenderOrgId=str(principal.org_id),
        draws=[{"evidence": d.ref, "amount": decimal_text(d.draw)} for d in draws],
        **({"conditions": [c["kind"] for c in kept]} if kept else {}),
        **({"titleBillId": str(terms.title_bill_id)} if terms.title_bill_id else {}),
    )
    on_terms.evaluate(session, row, principal.org_id)  # what already happened counts at once
    return saved(session, row)


@dataclass(frozen=True)
class FinancingTerms:
    """What a bank may attach to its pledge."""

    conditions: tuple[str, ...] = ()  # hub.finance.conditions.Condition values
    repay_days_after_delivery: int | None = None
    title_bill_id: uuid.UUID | None = None


def title_collateral(session: Session, bill_id: uuid.UUID) -> Receivable | None:
    """The pledged receivable whose lender holds this bill's title as collateral, if any."""
    return session.exec(
        select(Receivable).where(
            Receivable.title_bill_id == bill_id, Receivable.status == ReceivableStatus.PLEDGED
        )
    ).first()


def _collateral(session: Session, principal: Principal, row: Receivable, bill_id: uuid.UUID) -> None:
    """The bank may take this title: a cited negotiable bill whose live title its holder endorsed to it."""
    from hub.bills.models import Bill
    from hub.bills.states import TITLE_LIVE

    if bill_id not in row.bill_ids:
        raise Invalid(
            "the title taken as collateral must be one of the receivable's bills", field="titleBillId"
        )
    bill = session.get(Bill, bill_id)
    assert bill is not None
    if not bill.negotiable or bill.state not in TITLE_LIVE:
        raise Conflict(f"bill {bill.number} has no live negotiable title to pledge", field="titleBillId")
    if bill.holder_org_id != principal.org_id or bill.surrender_pending:
        holder = session.get(Organisation, bill.holder_org_id) if bill.holder_org_id else None
        raise Conflict(
            f"the title of bill {bill.number} is held by {holder.name if holder else 'nobody'}; its holder "
            "endorses it to you before you take it as collateral",
            field="titleBillId",
        )
    other = title_collateral(session, bill_id)
    if other is not None and other.id != row.id:
        raise Conflict(
            f"the title of bill {bill.number} already secures another financing", field="titleBillId"
        )


def _title_back(
    session: Session, principal: Principal, row: Receivable, to_org_id: uuid.UUID, why: str
) -> None:
    """Endorse the collateral title from the lender to ``to_org_id`` (the creditor, or the next bank)."""
    from hub.bills.models import Bill
    from hub.bills.service import title_action
    from hub.bills.states import TitleAction

    if row.title_bill_id is None:
        return
    bill = session.get(Bill, row.title_bill_id)
    if bill is None or bill.holder_org_id != principal.org_id:
        return  # surrendered or otherwise gone from the lender: nothing to give back
    title_action(session, principal, bill.id, TitleAction.ENDORSE, to_org_id, why, for_receivable=row.id)


def _as_lender(session: Session, principal: Principal, receivable_id: uuid.UUID) -> Receivable:
    row = _for_bank(session, principal, receivable_id)
    if row.status != ReceivableStatus.PLEDGED or row.lender_org_id != principal.org_id:
        raise Conflict("only the bank that financed the receivable may do this")
    return row


def _give_back(chain: LedgerPort, function: str, row: Receivable, principal: Principal) -> tuple[str, int]:
    """Release or settle on chain, which gives the pledge's draws on its evidence back."""
    blinded = bytes.fromhex(row.blinded_id[2:])
    draws = chain.receivable_draws(blinded)
    return chain.receivable(function, blinded, org_ref(principal.org_id), gas=_gas(len(draws)))


def repay(
    session: Session, principal: Principal, receivable_id: uuid.UUID, *, ledger: LedgerPort | None
) -> Receivable:
    """The lender records that its financing was repaid; the receivable is free again."""
    row = _as_lender(session, principal, receivable_id)
    _release(session)
    tx = _give_back(_ledger(ledger), "release", row, principal)
    lender = row.lender_org_id
    _title_back(session, principal, row, row.owner_org_id, f"returned on repayment of receivable {row.id}")
    row.status, row.lender_org_id, row.version = ReceivableStatus.REPAID, None, row.version + 1
    row.awaiting = False
    _history(row, "REPAID", principal, tx)
    return saved(session, row, [lender])


def settle(
    session: Session, principal: Principal, receivable_id: uuid.UUID, *, ledger: LedgerPort | None
) -> Receivable:
    """The lender records that the debtor paid it: the receivable is closed."""
    row = _as_lender(session, principal, receivable_id)
    _release(session)
    tx = _give_back(_ledger(ledger), "settle", row, principal)
    _title_back(session, principal, row, row.owner_org_id, f"returned on settlement of receivable {row.id}")
    row.status, row.version = ReceivableStatus.SETTLED, row.version + 1
    row.awaiting = False
    _history(row, "SETTLED", principal, tx)
    return saved(session, row)


def transfer(
    session: Session,
    principal: Principal,
    receivable_id: uuid.UUID,
    to_org_id: uuid.UUID,
    *,
    ledger: LedgerPort | None,
) -> Receivable:
    """The lender passes the financed receivable to another bank."""
    row = _as_lender(session, principal, receivable_id)
    target = session.get(Organisation, to_org_id)
    if target is None or target.type != OrgType.BANK or target.id == principal.org_id:
        raise Invalid("the receivable can be transferred to another bank only", field="toOrgId")
    _release(session)
    tx = _ledger(ledger).receivable(
        "transfer", bytes.fromhex(row.blinded_id[2:]), org_ref(principal.org_id), org_ref(target.id)
    )
    _title_back(session, principal, row, target.id, f"collateral of receivable {row.id}, transferred")
    row.lender_org_id, row.version = target.id, row.version + 1
    _history(row, "TRANSFERRED", principal, tx, fromOrgId=str(principal.org_id), toOrgId=str(target.id))
    return saved(session, row, [principal.org_id])


# -- the draw on evidence --------------------------------------------------------------------------

_UNIT = Decimal(10_000)  # the registry counts in ten-thousandths, the precision the hub keeps amounts in


def _gas(draws: int) -> int:
    """Gas for a pledge or a release touching ``draws`` evidence items (each a counter and an entry)."""
    return 200_000 + 100_000 * draws


def _units(amount: Decimal) -> int:
    return int((amount * _UNIT).to_integral_value())


def _amount(units: int) -> Decimal:
    return (Decimal(units) / _UNIT).quantize(Decimal("0.0001"))


def evidence_id(key: str, ref: str, currency: str) -> bytes:
    """The blinded identity of one piece of evidence in one currency: HMAC-SHA256 under the blinding key, so
    that the chain shows how much is drawn on it, never which bill, invoice or order it is."""
    return hmac.new(key.encode(), f"evidence\x1f{ref}\x1f{currency}".encode(), hashlib.sha256).digest()


@dataclass(frozen=True)
class EvidenceDraw:
    """One piece of value-carrying evidence a receivable cites, and what pledges draw on it."""

    ref: str  # "kind:id"
    source: str  # CARGO, INVOICES or ORDERS: the kind of value, as in the amount points
    label: str  # what a person calls it: "bill DLC-1", "invoice INV-7", "order A-1"
    index: int  # its place among the receivable's evidence, for the error's field
    evidence_id: bytes
    value: Decimal
    currency: str
    drawn_by_others: Decimal  # by every other live pledge, of any bank; never whose
    draw: Decimal  # what this receivable draws (pledged) or would draw (not yet)

    @property
    def remaining(self) -> Decimal:
        return max(self.value - self.drawn_by_others, Decimal(0))

    @property
    def overdrawn(self) -> bool:
        """Pledges together draw more than the evidence is worth now (its value fell after they drew)."""
        return self.drawn_by_others + self.draw > self.value


def _valued(session: Session, row: Receivable) -> list[tuple[str, str, str, int, Decimal]]:
    """(ref, source, label, index, value) for each cited item that carries value in the receivable's
    currency: a bill's cargo lines, an invoice's amount, an order's paid amount (CNY). An inventory list
    counts as the order it declares (once, if both are cited); an order whose list customs rejected, or
    whose goods were returned, is worth nothing now."""
    from hub.bills.models import CargoLine
    from hub.commerce.models import CommerceOrder, InventoryList
    from hub.commerce.service import VALUE_LOST, cancelled
    from hub.documents.models import TradeDocument

    valued = []
    seen: set[str] = set()
    for index, item in enumerate(row.evidence):
        kind, rid = item["kind"], uuid.UUID(item["id"])
        found: Any = records.load(session, kind, rid)
        if found is None:
            continue
        if kind == "ceb_inventory" and isinstance(found, InventoryList):
            kind, rid, found = "ceb_order", found.order_id, session.get(CommerceOrder, found.order_id)
        ref = f"{kind}:{rid}"
        if ref in seen:
            continue
        seen.add(ref)
        if kind == "bill":
            lines = session.exec(
                select(CargoLine).where(CargoLine.bill_id == rid, CargoLine.currency == row.currency)
            ).all()
            cargo = [c.value for c in lines if c.value is not None]
            if cargo:
                valued.append((ref, "CARGO", f"bill {found.number}", index, sum(cargo, Decimal(0))))
        elif kind == "document" and isinstance(found, TradeDocument):
            if found.amount is not None and found.currency == row.currency:
                valued.append(
                    (
                        ref,
                        "INVOICES",
                        f"{found.kind.value.lower().replace('_', ' ')} {found.reference}",
                        index,
                        found.amount,
                    )
                )
        elif kind == "ceb_order" and isinstance(found, CommerceOrder) and row.currency == "CNY":
            listed = session.exec(select(InventoryList).where(InventoryList.order_id == found.id)).first()
            if cancelled(found.head):
                valued.append((ref, "ORDERS", f"order {found.order_no} (cancelled)", index, Decimal(0)))
            elif listed is not None and listed.status in VALUE_LOST:
                label = f"order {found.order_no} (inventory list {listed.cop_no} {listed.status.value})"
                valued.append((ref, "ORDERS", label, index, Decimal(0)))
            else:
                paid = Decimal(str(found.head.get("acturalPaid") or 0))
                valued.append((ref, "ORDERS", f"order {found.order_no}", index, paid))
    return valued


def evidence_draws(
    session: Session, row: Receivable, chain: LedgerPort, blinding_key: str
) -> list[EvidenceDraw]:
    """What the receivable draws, or would draw, on each valued item it cites: its amount on each kind of
    value, spread over that kind's items in the order cited, each up to what other pledges leave of it."""
    valued = _valued(session, row)
    ids = [evidence_id(blinding_key, ref, row.currency) for ref, *_ in valued]
    drawn = chain.evidence_drawn(ids)
    own = (
        chain.receivable_draws(bytes.fromhex(row.blinded_id[2:]))
        if row.status == ReceivableStatus.PLEDGED
        else {}
    )
    left: dict[str, Decimal] = {}
    draws = []
    for (ref, source, label, index, value), eid, total in zip(valued, ids, drawn, strict=True):
        others = _amount(total - own.get(eid, 0))
        if eid in own:
            draw = _amount(own[eid])
        else:
            wanted = left.setdefault(source, row.amount)
            draw = min(wanted, max(value - others, Decimal(0)))
        left[source] = left.get(source, row.amount) - draw
        draws.append(EvidenceDraw(ref, source, label, index, eid, value, row.currency, others, draw))
    return draws


def _short(row: Receivable, draws: Sequence[EvidenceDraw]) -> dict[str, list[EvidenceDraw]]:
    """The kinds of value whose items together cover less than the receivable's amount."""
    by_source: dict[str, list[EvidenceDraw]] = {}
    for d in draws:
        by_source.setdefault(d.source, []).append(d)
    return {s: ds for s, ds in by_source.items() if sum((d.draw for d in ds), Decimal(0)) < row.amount}


def _refuse_short(row: Receivable, draws: Sequence[EvidenceDraw]) -> None:
    for items in _short(row, draws).values():
        first = items[0]
        said = "; ".join(
            f"{d.label} is worth {decimal_text(d.value)} {d.currency}, other receivables draw "
            f"{decimal_text(d.drawn_by_others)} on it, {decimal_text(d.remaining)} remains"
            for d in items
        )
        raise Conflict(
            f"the evidence cannot back {decimal_text(row.amount)} {row.currency} more: {said}",
            field=f"evidence[{first.index}]",
        )


def _pledged_draws(row: Receivable) -> dict[str, Decimal]:
    """What a pledged receivable draws on each evidence ref, as its pledge recorded (the registry holds
    the same: only the hub writes there)."""
    for step in reversed(row.history):
        if step["action"] == "PLEDGED":
            return {d["evidence"]: Decimal(d["amount"]) for d in step.get("draws", [])}
    return {}


def reassess(session: Session, refs: Sequence[str], by_org_id: uuid.UUID) -> list[Receivable]:
    """The value of this evidence fell (a rejected inventory list, returned goods): flag each pledged
    receivable drawing on it beyond what it is worth now, to its creditor and lender, once per fall."""
    wanted = set(refs)
    pledged = [
        (r, draws)
        for r in session.exec(select(Receivable).where(Receivable.status == ReceivableStatus.PLEDGED))
        if wanted & set(draws := _pledged_draws(r))
    ]
    totals: dict[str, Decimal] = {}
    for _r, draws in pledged:
        for ref, amount in draws.items():
            totals[ref] = totals.get(ref, Decimal(0)) + amount
    flagged = []
    for r, draws in pledged:
        values = {ref: (label, value) for ref, _source, label, _index, value in _valued(session, r)}
        short = [
            {
                "evidence": ref,
                "label": values[ref][0],
                "value": decimal_text(values[ref][1]),
                "drawn": decimal_text(totals[ref]),
            }
            for ref in sorted(wanted & set(draws))
            if ref in values and totals[ref] > values[ref][1]
        ]
        if not short:
            continue
        # Locked and read again before writing: an ingest advancing its terms may write it at once.
        session.refresh(r, with_for_update=True)
        known = {
            (s["evidence"], s["value"])
            for h in r.history
            if h["action"] == "EVIDENCE_SHORT"
            for s in h["short"]
        }
        short = [s for s in short if (s["evidence"], s["value"]) not in known]
        if not short:
            continue
        r.history = [
            *r.history,
            {
                "action": "EVIDENCE_SHORT",
                "byOrgId": str(by_org_id),
                "at": utcnow().isoformat(),
                "short": short,
            },
        ]
        r.version += 1
        flagged.append(saved(session, r))
    return flagged


# -- verification ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """One thing a bank wants to know, whether it holds, why, and from which records."""

    point: str
    ok: bool
    detail: str
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class AmountPoint:
    """The receivable's amount against one kind of evidence."""

    source: str
    ok: bool
    expected: Decimal
    found: Decimal
    currency: str
    detail: str


@dataclass(frozen=True)
class TitleHold:
    """Who holds a cited bill's negotiable title, and whether it secures this financing."""

    bill_id: uuid.UUID
    bill_number: str
    holder_org_id: uuid.UUID | None
    state: str
    held_by_lender: bool  # the receivable's lender holds it
    collateral: bool  # it is this receivable's collateral, locked while pledged


@dataclass
class ReceivableCheck:
    """The answer to "may I finance this?", each point with its proof."""

    receivable: Receivable
    records: list[tuple[str, Verification]] = field(default_factory=list)  # the receivable and its evidence
    trade: list[Point] = field(default_factory=list)
    amounts: list[AmountPoint] = field(default_factory=list)
    draws: list[EvidenceDraw] = field(default_factory=list)
    on_chain: Any = None
    lender_is_caller: bool = False
    titles: list[TitleHold] = field(default_factory=list)

    @property
    def authentic(self) -> bool:
        return all(v.status == VerificationStatus.ANCHORED for _, v in self.records)

    @property
    def trade_happened(self) -> bool:
        return bool(self.trade) and all(p.ok for p in self.trade)

    @property
    def amounts_agree(self) -> bool:
        return bool(self.amounts) and all(a.ok for a in self.amounts)

    @property
    def evidence_covers(self) -> bool:
        """What other pledges leave of the evidence covers the receivable's amount, on each kind of value."""
        return not _short(self.receivable, self.draws) and not any(d.overdrawn for d in self.draws)

    @property
    def pledged_elsewhere(self) -> bool:
        return self.on_chain is not None and self.on_chain.status == "PLEDGED" and not self.lender_is_caller

    @property
    def financeable(self) -> bool:
        return (
            self.authentic
            and self.trade_happened
            and self.amounts_agree
            and self.evidence_covers
            and self.on_chain is not None
            and self.on_chain.status == "REGISTERED"
        )


def _with_draws(point: AmountPoint, check: ReceivableCheck) -> AmountPoint:
    """An amount point that also says what other pledges already draw on that evidence: the value is not
    enough when others have drawn it down below the receivable's amount."""
    items = [d for d in check.draws if d.source == point.source]
    if not items:
        return point
    others = sum((d.drawn_by_others for d in items), Decimal(0))
    remaining = sum((d.remaining for d in items), Decimal(0))
    covered = sum((d.draw for d in items), Decimal(0)) >= check.receivable.amount
    return replace(
        point,
        ok=point.ok and covered,
        detail=f"{point.detail}; other receivables draw {decimal_text(others)} on it, "
        f"{decimal_text(remaining)} remains",
    )


def verify(
    session: Session,
    principal: Principal,
    receivable_id: uuid.UUID,
    *,
    ledger: LedgerPort | None,
    blinding_key: str,
) -> ReceivableCheck:
    """Check a receivable the caller may read: authenticity, trade, amounts and pledges."""
    from hub.bills.models import Bill, BillContainer, CargoLine
    from hub.commerce.models import CommerceOrder, InventoryList
    from hub.documents.models import TradeDocument
    from hub.port.models import Declaration, DeclarationState
    from hub.tracking.models import Container, TrackingEvent

    row = get(session, principal, receivable_id)
    chain = _ledger(ledger)
    check = ReceivableCheck(receivable=row)
    check.records.append((f"{RECEIVABLE_KIND}:{row.id}", chain.verify(session, RECEIVABLE_KIND, row.id)))
    loaded: dict[str, list[Any]] = {}
    for item in row.evidence:
        kind, rid = item["kind"], uuid.UUID(item["id"])
        check.records.append((f"{kind}:{rid}", chain.verify(session, kind, rid)))
        found = records.load(session, kind, rid)
        if found is not None:
            loaded.setdefault(kind, []).append(found)

    bills: list[Bill] = loaded.get("bill", [])
    if bills:
        issued = [b for b in bills if b.state.value in _ISSUED]
        check.trade.append(
            Point(
                "BILL_ISSUED",
                len(issued) == len(bills),
                "; ".join(f"bill {b.number} is {b.state.value}" for b in bills),
                tuple(f"bill:{b.id}" for b in bills),
            )
        )
        numbers = [
            c.number
            for c in session.exec(
                select(BillContainer).where(col(BillContainer.bill_id).in_([b.id for b in bills]))
            )
        ]
        moved = (
            session.exec(
                select(TrackingEvent)
                .where(
                    col(TrackingEvent.container_id).in_(
                        select(Container.id).where(col(Container.number).in_(numbers))
                    ),
                    TrackingEvent.classifier == "ACT",
                    col(TrackingEvent.type_code).in_(sorted(_MOVED)),
                )
                .order_by(col(TrackingEvent.event_datetime).desc())
                .limit(1)
            ).first()
            if numbers
            else None
        )
        check.trade.append(
            Point(
                "GOODS_MOVED",
                moved is not None,
                f"last actual movement: {moved.type_code} of {moved.equipment_reference} at "
                f"{moved.un_location_code or '?'} on {moved.event_datetime.isoformat()}"
                if moved is not None
                else "no actual load, departure, discharge or gate movement of the bill's containers",
                (f"tracking_event:{moved.id}",) if moved is not None else (),
            )
        )
        delivered = [b for b in bills if b.state.value in _DELIVERED]
        if delivered:
            check.trade.append(
                Point("DELIVERED", True, "; ".join(f"bill {b.number} delivered" for b in delivered))
            )
    declarations: list[Declaration] = loaded.get("customs_declaration", [])
    if bills:  # the declarations made for the bill count, whether or not the creditor named them
        named = {d.id for d in declarations}
        declarations += [
            d
            for d in session.exec(
                select(Declaration).where(
                    col(Declaration.bill_id).in_([b.id for b in bills]),
                    col(Declaration.state) != DeclarationState.CANCELLED,
                )
            )
            if d.id not in named
        ]
    live = [d for d in declarations if d.state not in (DeclarationState.DRAFT, DeclarationState.CANCELLED)]
    if live:
        cleared = [d for d in live if d.state == DeclarationState.RELEASED]
        check.trade.append(
            Point(
                "CUSTOMS_RELEASED",
                len(cleared) == len(live),
                "; ".join(
                    f"{d.direction.value.lower()} declaration {d.reference} is {d.state.value}" for d in live
                ),
                tuple(f"customs_declaration:{d.id}" for d in live),
            )
        )
    inventories: list[InventoryList] = loaded.get("ceb_inventory", [])
    orders: list[CommerceOrder] = loaded.get("ceb_order", [])
    if orders:
        matched = [o for o in orders if o.match_status == "MATCHED"]
        check.trade.append(
            Point(
                "ORDERS_MATCHED",
                len(matched) == len(orders),
                f"{len(matched)} of {len(orders)} orders match their payment and waybill",
                tuple(f"ceb_order:{o.id}" for o in orders),
            )
        )
        inventories += list(
            session.exec(
                select(InventoryList).where(
                    col(InventoryList.order_id).in_([o.id for o in orders]),
                    col(InventoryList.id).not_in([i.id for i in inventories]),
                )
            )
        )
    if inventories:
        released = [i for i in inventories if i.status.value in _RELEASED]
        check.trade.append(
            Point(
                "CUSTOMS_RELEASED",
                len(released) == len(inventories),
                "; ".join(f"inventory list {i.cop_no} is {i.status.value}" for i in inventories),
                tuple(f"ceb_inventory:{i.id}" for i in inventories),
            )
        )
    if not check.trade:
        check.trade.append(
            Point(
                "TRADE_EVIDENCE", False, "no bill, orders, declaration or inventory list among the evidence"
            )
        )

    invoices: list[TradeDocument] = [d for d in loaded.get("document", []) if d.amount is not None]
    if invoices:
        same = [d for d in invoices if d.currency == row.currency]
        total = sum((d.amount for d in same if d.amount is not None), Decimal(0))
        check.amounts.append(
            AmountPoint(
                "INVOICES",
                total == row.amount and len(same) == len(invoices),
                row.amount,
                total,
                row.currency,
                f"{len(same)} invoice(s) in {row.currency} total {total}"
                + (
                    "" if len(same) == len(invoices) else f"; {len(invoices) - len(same)} in another currency"
                ),
            )
        )
    if orders:
        paid = sum((Decimal(str(o.head.get("acturalPaid") or 0)) for o in orders), Decimal(0))
        check.amounts.append(
            AmountPoint(
                "ORDERS",
                row.currency == "CNY" and abs(paid - row.amount) <= Decimal("0.01"),
                row.amount,
                paid,
                "CNY",
                f"{len(orders)} order(s) paid {paid} CNY",
            )
        )
    if bills:
        values = [
            c
            for c in session.exec(select(CargoLine).where(col(CargoLine.bill_id).in_([b.id for b in bills])))
            if c.value is not None
        ]
        cargo = sum(
            (c.value for c in values if c.currency == row.currency and c.value is not None), Decimal(0)
        )
        if values:
            check.amounts.append(
                AmountPoint(
                    "CARGO",
                    cargo >= row.amount,
                    row.amount,
                    cargo,
                    row.currency,
                    f"the bill's cargo is declared at {cargo} {row.currency}; the receivable may not exceed it",
                )
            )
    check.titles = [
        TitleHold(
            b.id,
            b.number,
            b.holder_org_id,
            b.state.value,
            b.holder_org_id is not None and b.holder_org_id == row.lender_org_id,
            row.status == ReceivableStatus.PLEDGED and row.title_bill_id == b.id,
        )
        for b in bills
        if b.negotiable
    ]
    check.draws = evidence_draws(session, row, chain, blinding_key)
    check.amounts = [_with_draws(point, check) for point in check.amounts]
    on_chain = chain.receivable_of(bytes.fromhex(row.blinded_id[2:]))
    check.on_chain = on_chain
    check.lender_is_caller = on_chain.lender == org_ref(principal.org_id)
    return check


# -- the regulator's view ----------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceExposure:
    """What live pledges draw on one piece of evidence, as the hub recorded and as the registry counts."""

    ref: str
    label: str
    currency: str
    value: Decimal
    drawn: Decimal  # the sum of the live pledges' draws the hub recorded
    drawn_on_chain: Decimal  # the registry's counter for the evidence's blinded identity
    receivables: int

    @property
    def overdrawn(self) -> bool:
        return max(self.drawn, self.drawn_on_chain) > self.value


@dataclass(frozen=True)
class PartyExposure:
    """Live financing of one seller (as creditor) or one bank (as lender), in one currency."""

    org_id: uuid.UUID
    currency: str
    amount: Decimal
    receivables: int


@dataclass(frozen=True)
class Exposure:
    evidence: list[EvidenceExposure]
    by_seller: list[PartyExposure]
    by_bank: list[PartyExposure]

    @property
    def overdrawn(self) -> list[EvidenceExposure]:
        return [e for e in self.evidence if e.overdrawn]


def exposure(
    session: Session, principal: Principal, *, ledger: LedgerPort | None, blinding_key: str
) -> Exposure:
    """Every live financing, per evidence, per seller and per bank: for regulators, who audit all of it."""
    principal.require(Action.READ_RECORDS)
    if not principal.audits_all:
        raise Forbidden("the finance exposure of every organisation is for regulators")
    pledged = list(
        session.exec(
            select(Receivable)
            .where(Receivable.status == ReceivableStatus.PLEDGED)
            .order_by(col(Receivable.created_at))
        )
    )
    items: dict[tuple[str, str], dict[str, Any]] = {}
    sellers: dict[tuple[uuid.UUID, str], list[Decimal]] = {}
    banks: dict[tuple[uuid.UUID, str], list[Decimal]] = {}
    for row in pledged:
        sellers.setdefault((row.owner_org_id, row.currency), []).append(row.amount)
        if row.lender_org_id is not None:
            banks.setdefault((row.lender_org_id, row.currency), []).append(row.amount)
        draws = _pledged_draws(row)
        for ref, _source, label, _index, value in _valued(session, row):
            if ref not in draws:
                continue
            item = items.setdefault(
                (ref, row.currency), {"label": label, "value": value, "drawn": Decimal(0), "count": 0}
            )
            item["drawn"] += draws[ref]
            item["count"] += 1
    keys = list(items)
    on_chain = _ledger(ledger).evidence_drawn([evidence_id(blinding_key, ref, cur) for ref, cur in keys])
    evidence = [
        EvidenceExposure(
            ref,
            items[(ref, cur)]["label"],
            cur,
            items[(ref, cur)]["value"],
            items[(ref, cur)]["drawn"],
            _amount(total),
            items[(ref, cur)]["count"],
        )
        for (ref, cur), total in zip(keys, on_chain, strict=True)
    ]

    def parties(found: dict[tuple[uuid.UUID, str], list[Decimal]]) -> list[PartyExposure]:
        return sorted(
            (PartyExposure(org, cur, sum(a, Decimal(0)), len(a)) for (org, cur), a in found.items()),
            key=lambda p: (p.currency, -p.amount),
        )

    return Exposure(evidence, parties(sellers), parties(banks))
