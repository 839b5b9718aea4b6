"""Documents exported for verifiers outside the hub: OpenAttestation v2 wrapped documents (TradeTrust).

The export carries the document's registered fields (never its file: the file's SHA-256 stands for it),
the hub's record identity and version, and the issuer: the hub's organisation name, the registry the
hub anchors on as ``documentStore`` and the DNS name that vouches for it (``HUB_OA_IDENTITY_LOCATION``,
where the issuer publishes ``openatts net=ethereum netId=<chain id> addr=<registry>`` as a TXT record).

What it proves today: integrity. TradeTrust's own code (``@govtechsg/open-attestation`` and
``@govtechsg/oa-verify``) recomputes the document's hash from its salted values and accepts it, a holder
may hide fields (``obfuscateDocument``) and it still verifies, and a changed value fails. Not yet: the
status check, which asks the document store ``isIssued(merkleRoot)``; the hub's registry does not answer
that question yet (issue 23).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session

from hub.anchors import LedgerPort
from hub.auth.models import Organisation
from hub.auth.permissions import Principal
from hub.canonical import decimal_text
from hub.documents.models import TradeDocument
from hub.documents.service import get_document
from hub.errors import Unavailable
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
    """One document the caller may read, as an OpenAttestation v2 wrapped document."""
    row = get_document(session, principal, document_id)
    if ledger is None:
        raise Unavailable("the hub has no chain connection")
    (wrapped,) = ledger.open_attestation([document_data(session, row)], settings.oa_identity_location)
    return wrapped
