"""Helpers for ledger tests: a chain per backend, documents to anchor, and raw outbox entries in bulk."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Engine

from hub.auth import service as auth
from hub.auth.models import KeyRole, OrgType
from hub.auth.permissions import Principal
from hub.canonical import canonical_json, envelope, keccak
from hub.db import session_scope, utcnow
from hub.documents import service as documents
from hub.documents.models import DocumentKind
from hub.outbox import OutboxEntry


def seller(engine: Engine) -> Principal:
    """A seller organisation acting through an admin principal."""
    with session_scope(engine) as session:
        org = auth.create_organisation(session, f"Seller {uuid.uuid4().hex[:6]}", OrgType.SELLER)
        return Principal(org.id, org.name, org.type, KeyRole.ADMIN, uuid.uuid4())


def make_documents(
    engine: Engine, principal: Principal, count: int, *, priced: bool = False
) -> list[uuid.UUID]:
    """``count`` invoices, each one version recorded in the outbox (``priced``: with USD amounts)."""
    ids = []
    with session_scope(engine) as session:
        for i in range(count):
            doc = documents.create_document(
                session,
                principal,
                documents.DocumentInput(
                    kind=DocumentKind.COMMERCIAL_INVOICE,
                    reference=f"INV-{uuid.uuid4().hex[:8]}-{i}",
                    title=f"Invoice {i}",
                    issued_on=date(2026, 11, 1),
                    amount=Decimal("1234.50") + i if priced else None,
                    currency="USD" if priced else None,
                ),
            )
            ids.append(doc.id)
    return ids


def bulk_outbox(engine: Engine, count: int) -> None:
    """``count`` synthetic record versions straight into the outbox (for worker tests and benchmarks)."""
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for i in range(count):
        rid = uuid.uuid4()
        document = canonical_json(envelope("synthetic", rid, 1, {"n": i, "note": "synthetic"}))
        rows.append(
            {
                "record_kind": "synthetic",
                "record_id": rid,
                "version": 1,
                "document": document.decode(),
                "created_at": now,
                "record_hash": "0x" + keccak(document).hex(),
            }
        )
    with engine.begin() as conn:
        for start in range(0, count, 5000):
            conn.execute(insert(OutboxEntry), rows[start : start + 5000])
