"""The only code that reads and writes trade documents."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import pycountry
from sqlmodel import Session, col, select

from hub import records
from hub.auth.access import ensure_owned, ensure_readable, visible_clause
from hub.auth.permissions import Action, Principal
from hub.canonical import camel, decimal_text
from hub.db import keyset_page, utcnow
from hub.documents.models import RECORD_KIND, DocumentKind, TradeDocument
from hub.errors import Conflict, Invalid
from hub.outbox import emit, record_change

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
TOPIC = "documents"


@dataclass(frozen=True, slots=True)
class DocumentInput:
    """What a caller supplies for a new document, or for a change (``None`` keeps the current value)."""

    kind: DocumentKind | None = None
    reference: str | None = None
    title: str | None = None
    issued_on: date | None = None
    amount: Decimal | None = None
    currency: str | None = None
    content_sha256: str | None = None


def check_currency(code: str, field: str = "currency") -> str:
    """An ISO 4217 currency code in upper case, or Invalid naming ``field``."""
    upper = code.strip().upper()
    if len(upper) != 3 or pycountry.currencies.get(alpha_3=upper) is None:
        raise Invalid(f"{code!r} is not an ISO 4217 currency code", field=field)
    return upper


def check_amount(value: Decimal, field: str = "amount") -> Decimal:
    """A finite, non-negative amount with at most four decimals."""
    try:
        if not value.is_finite() or value < 0:
            raise Invalid("an amount must be a finite number, zero or more", field=field)
        if value != value.quantize(Decimal("0.0001")):
            raise Invalid("an amount has at most four decimals", field=field)
        if value >= Decimal("1e16"):
            raise Invalid("an amount must be below 10^16", field=field)
    except InvalidOperation as exc:
        raise Invalid("an amount must be a number", field=field) from exc
    return value


def _apply(doc: TradeDocument, data: DocumentInput) -> None:
    if data.kind is not None:
        doc.kind = data.kind
    if data.reference is not None:
        reference = data.reference.strip()
        if not reference or len(reference) > 100:
            raise Invalid("a reference has 1 to 100 characters", field="reference")
        doc.reference = reference
    if data.title is not None:
        title = data.title.strip()
        if not title or len(title) > 300:
            raise Invalid("a title has 1 to 300 characters", field="title")
        doc.title = title
    if data.issued_on is not None:
        doc.issued_on = data.issued_on
    if data.amount is not None:
        doc.amount = check_amount(data.amount)
    if data.currency is not None:
        doc.currency = check_currency(data.currency)
    if data.content_sha256 is not None:
        digest = data.content_sha256.strip().lower()
        if not _SHA256.match(digest):
            raise Invalid("contentSha256 is 64 hexadecimal characters", field="contentSha256")
        doc.content_sha256 = digest
    if (doc.amount is None) != (doc.currency is None):
        raise Invalid("an amount needs its currency, and a currency its amount", field="currency")


def canonical(doc: TradeDocument) -> dict[str, Any]:
    """The record's content as anchored: plain JSON values only."""
    return {
        "id": str(doc.id),
        "ownerOrgId": str(doc.owner_org_id),
        "kind": doc.kind.value,
        "reference": doc.reference,
        "title": doc.title,
        "issuedOn": doc.issued_on.isoformat(),
        "amount": None if doc.amount is None else decimal_text(doc.amount),
        "currency": doc.currency,
        "contentSha256": doc.content_sha256,
        "version": doc.version,
    }


def _ensure_unique(session: Session, doc: TradeDocument) -> None:
    clash = session.exec(
        select(TradeDocument.id).where(
            TradeDocument.owner_org_id == doc.owner_org_id,
            TradeDocument.kind == doc.kind,
            TradeDocument.reference == doc.reference,
            TradeDocument.id != doc.id,
        )
    ).first()
    if clash is not None:
        raise Conflict(
            f"you already have a {doc.kind.value} with reference {doc.reference!r}", field="reference"
        )


def _changed(session: Session, doc: TradeDocument, change: str) -> None:
    record_change(session, RECORD_KIND, doc.id, doc.version, canonical(doc))
    emit(
        session,
        TOPIC,
        {"change": change, "id": str(doc.id), "ownerOrgId": str(doc.owner_org_id), "version": doc.version},
    )


def create_document(session: Session, principal: Principal, data: DocumentInput) -> TradeDocument:
    """Register a new document for the caller's organisation."""
    principal.require(Action.WRITE_RECORDS)
    for name in ("kind", "reference", "title", "issued_on"):
        if getattr(data, name) is None:
            raise Invalid(f"{name} is required", field=camel(name))
    doc = TradeDocument(
        owner_org_id=principal.org_id, kind=DocumentKind.OTHER, reference="", title="", issued_on=date.min
    )
    _apply(doc, data)
    _ensure_unique(session, doc)
    session.add(doc)
    session.flush()
    _changed(session, doc, "created")
    return doc


def update_document(
    session: Session, principal: Principal, doc_id: uuid.UUID, data: DocumentInput
) -> TradeDocument:
    """Change one of the caller's documents; the change becomes a new version."""
    doc = ensure_owned(principal, RECORD_KIND, session.get(TradeDocument, doc_id), Action.WRITE_RECORDS)
    _apply(doc, data)
    _ensure_unique(session, doc)
    doc.version += 1
    doc.updated_at = utcnow()
    session.add(doc)
    session.flush()
    _changed(session, doc, "updated")
    return doc


def get_document(session: Session, principal: Principal, doc_id: uuid.UUID) -> TradeDocument:
    """One document the caller may read."""
    return ensure_readable(session, principal, RECORD_KIND, session.get(TradeDocument, doc_id))


def list_documents(
    session: Session,
    principal: Principal,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None = None,
    kind: DocumentKind | None = None,
    owner_org_id: uuid.UUID | None = None,
) -> Sequence[TradeDocument]:
    """Documents the caller may read, oldest first, ``limit`` at a time after the keyset ``after``."""
    principal.require(Action.READ_RECORDS)
    query = select(TradeDocument).where(visible_clause(principal, TradeDocument, RECORD_KIND))
    if kind is not None:
        query = query.where(TradeDocument.kind == kind)
    if owner_org_id is not None:
        query = query.where(TradeDocument.owner_org_id == owner_org_id)
    return session.exec(
        keyset_page(query, col(TradeDocument.created_at), col(TradeDocument.id), after, limit)
    ).all()


records.register(RECORD_KIND, TradeDocument, canonical)
