"""Documents exported for verifiers outside the hub: OpenAttestation v2 wrapped documents (TradeTrust).

The export carries the document's registered fields (never its file: the file's SHA-256 stands for it),
the hub's record identity and version, and the issuer: the hub's name, the hub's OpenAttestation
document store as ``documentStore`` and the DNS name that vouches for it (``HUB_OA_IDENTITY_LOCATION``,
where the issuer publishes ``openatts net=ethereum netId=<chain id> addr=<registry>`` as a TXT record).

TradeTrust's own code (``@govtechsg/open-attestation`` and ``@govtechsg/oa-verify``) recomputes the
document's hash from its salted values (a holder may hide fields with ``obfuscateDocument``), and asks the
document store (ledger/contracts/DocumentStore.sol) whether the root is issued and whether the document is
revoked. Each document version is wrapped and issued once, at its first export; its owner may revoke it.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from hub.anchors import LedgerPort
from hub.auth.models import Organisation
from hub.auth.permissions import Action, Principal
from hub.canonical import decimal_text
from hub.db import utcnow
from hub.documents.models import DocumentExport, TradeDocument
from hub.documents.service import get_document
from hub.errors import Conflict, Forbidden, Unavailable
from hub.settings import Settings


def document_data(session: Session, row: TradeDocument) -> dict[str, Any]:
    """The document's fields as OpenAttestation data (only those that have a value)."""
    owner = session.get(Organisation, row.owner_org_id)
    fields = {
        "id": str(row.id),
        "version": row.version,
        "kind": row.kind.value,
        "reference": row.reference,
        "title": row.title,
        "issuedOn": row.issued_on.isoformat(),
        "amount": None if row.amount is None else decimal_text(row.amount),
        "currency": row.currency,
        "contentSha256": row.content_sha256,
        "owner": None if owner is None else owner.name,
    }
    return {k: v for k, v in fields.items() if v is not None}


def export_open_attestation(
    session: Session,
    principal: Principal,
    document_id: uuid.UUID,
    *,
    ledger: LedgerPort | None,
    settings: Settings,
) -> dict[str, Any]:
    """One document the caller may read, as an OpenAttestation v2 wrapped document: wrapped and issued on
    the document store at its first export, the same file at every later export of that version."""
    return export_row(
        session, get_document(session, principal, document_id), ledger=ledger, settings=settings
    )


def export_row(
    session: Session, row: TradeDocument, *, ledger: LedgerPort | None, settings: Settings
) -> dict[str, Any]:
    """The OpenAttestation export of this version of the document, issuing it first if it has none (the
    API for a caller who may read it; ``hub export --format oa`` for the hub's operator)."""
    known = _export_of(session, row)
    if known is not None:
        return known.wrapped
    if ledger is None:
        raise Unavailable("the hub has no chain connection")
    (wrapped,) = ledger.open_attestation([document_data(session, row)], settings.oa_identity_location)
    signature = wrapped["signature"]
    made = DocumentExport(
        document_id=row.id,
        version=row.version,
        wrapped=wrapped,
        target_hash=signature["targetHash"],
        merkle_root=signature["merkleRoot"],
    )
    try:
        with session.begin_nested():
            session.add(made)
    except IntegrityError:  # another export of this version landed first: that one is the export
        known = _export_of(session, row)
        assert known is not None
        return known.wrapped
    session.commit()
    return wrapped


def stored_export(session: Session, row: TradeDocument) -> dict[str, Any] | None:
    """The wrapped document already issued for this version, if any (reading it issues nothing)."""
    known = _export_of(session, row)
    return None if known is None else known.wrapped


def _export_of(session: Session, row: TradeDocument) -> DocumentExport | None:
    return session.exec(
        select(DocumentExport).where(
            DocumentExport.document_id == row.id, DocumentExport.version == row.version
        )
    ).first()


def revoke_exports(
    session: Session, principal: Principal, document_id: uuid.UUID, *, ledger: LedgerPort | None
) -> int:
    """The document's owner revokes every export of it on the document store; how many were revoked."""
    principal.require(Action.WRITE_RECORDS)
    row = get_document(session, principal, document_id)
    if row.owner_org_id != principal.org_id:
        raise Forbidden("only the document's owner revokes its exports")
    live = list(
        session.exec(
            select(DocumentExport).where(
                DocumentExport.document_id == row.id, col(DocumentExport.revoked_at).is_(None)
            )
        )
    )
    if not live:
        raise Conflict("the document has no export that is not revoked", field="id")
    if ledger is None:
        raise Unavailable("the hub has no chain connection")
    for export in live:
        ledger.revoke_attestation(export.target_hash)
        export.revoked_at = utcnow()
        session.add(export)
    return len(live)
