"""Records exported for verifiers outside the hub: OpenAttestation v2 wrapped documents (TradeTrust).

What can be exported: a trade document (its registered fields; the file's SHA-256 stands for the file), a
through bill, an inventory list (CEB621), and a receivable's evidence bundle (the receivable with the
content of each evidence record the caller may read). Each carries its hub identity (``recordKind``,
``recordId``, ``version``) and the issuer: the hub's name, its OpenAttestation document store as
``documentStore`` and the DNS name that vouches for it (``HUB_OA_IDENTITY_LOCATION``, where the issuer
publishes ``openatts net=ethereum netId=<chain id> addr=<store>`` as a TXT record).

TradeTrust's own code (``@govtechsg/open-attestation`` and ``@govtechsg/oa-verify``) recomputes a file's
hash from its salted values (a holder may hide fields with ``obfuscateDocument``) and asks the document
store (ledger/contracts/DocumentStore.sol) whether its root is issued and whether it is revoked.

Batches and exactly once: the records of one request (``exportAttestations``) are wrapped together under
one Merkle root. Each record version is wrapped once: the wrapped files are stored with their root before
the root is sent to the document store, then marked issued. A request that dies between the two leaves
them pending; the next export of any of them sends the same root again (the store answers "already
issued" to a root it holds, which counts as done) and only then hands the file out. The owner of the
record may revoke its exports.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, select

from hub import records
from hub.anchors import LedgerPort
from hub.auth.models import Organisation
from hub.auth.permissions import Action, Principal
from hub.db import new_id, utcnow
from hub.errors import Conflict, Forbidden, Invalid, Unavailable
from hub.settings import Settings

# The most records one request wraps (one batch): far more than a person downloads at once.
MAX_BATCH = 500


class Attestation(SQLModel, table=True):
    """One record version wrapped as an OpenAttestation v2 document, in a batch whose root is issued on
    the document store once; a later export of the same version is this one again."""

    __tablename__ = "attestation"
    __table_args__ = (
        UniqueConstraint("record_kind", "record_id", "version"),
        Index("ix_attestation_pending", "issued_at", "merkle_root"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    record_kind: str = Field(max_length=40)
    record_id: uuid.UUID
    version: int
    owner_org_id: uuid.UUID = Field(foreign_key="organisation.id")
    wrapped: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    target_hash: str = Field(max_length=64)
    merkle_root: str = Field(max_length=64)
    issued_at: datetime | None = None
    revoked_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


def _prune(value: Any) -> Any:
    """A record's content as OpenAttestation can carry it: no nulls, no empty objects or lists (which
    OpenAttestation cannot salt), numbers other than integers as text."""
    if isinstance(value, dict):
        kept = {k: _prune(v) for k, v in value.items() if v is not None}
        return {k: v for k, v in kept.items() if v not in ({}, [])}
    if isinstance(value, list):
        items = [_prune(v) for v in value if v is not None]
        return [v for v in items if v not in ({}, [])]
    if isinstance(value, float):
        return repr(value)
    return value


def _owner_name(session: Session, org_id: uuid.UUID) -> str | None:
    org = session.get(Organisation, org_id)
    return None if org is None else org.name


def _document(session: Session, principal: Principal, record_id: uuid.UUID) -> tuple[Any, dict[str, Any]]:
    from hub.canonical import decimal_text
    from hub.documents.service import get_document

    row = get_document(session, principal, record_id)
    fields = {
        "kind": row.kind.value,
        "reference": row.reference,
        "title": row.title,
        "issuedOn": row.issued_on.isoformat(),
        "amount": None if row.amount is None else decimal_text(row.amount),
        "currency": row.currency,
        "contentSha256": row.content_sha256,
        "owner": _owner_name(session, row.owner_org_id),
    }
    return row, fields


def _bill(session: Session, principal: Principal, record_id: uuid.UUID) -> tuple[Any, dict[str, Any]]:
    from hub.bills import service as bills

    view = bills.get_bill(session, principal, bill_id=record_id)
    return view.bill, {
        "bill": bills.canonical_view(view),
        "issuer": _owner_name(session, view.bill.owner_org_id),
    }


def _inventory(session: Session, principal: Principal, record_id: uuid.UUID) -> tuple[Any, dict[str, Any]]:
    from hub.commerce import service as commerce

    row = commerce.get_inventory(session, principal, inventory_id=record_id)
    return row, {"inventoryList": records.canonical("ceb_inventory", row)}


def _bundle(session: Session, principal: Principal, record_id: uuid.UUID) -> tuple[Any, dict[str, Any]]:
    """The receivable and, for each evidence record the caller may read, its content; the others are
    named and marked withheld (the bundle never shows more than its exporter may see)."""
    from hub.finance import service as finance

    row = finance.get(session, principal, record_id)
    evidence = []
    for ref in row.evidence:
        kind, rid = str(ref["kind"]), uuid.UUID(str(ref["id"]))
        found = records.load(session, kind, rid)
        if found is not None and finance.readable_evidence(session, principal, kind, found):
            evidence.append(
                {
                    "kind": kind,
                    "id": str(rid),
                    "version": found.version,
                    "content": records.canonical(kind, found),
                }
            )
        else:
            evidence.append({"kind": kind, "id": str(rid), "withheld": True})
    return row, {"receivable": records.canonical("receivable", row), "evidence": evidence}


# What each kind's export carries, read as the caller may read it (each raises NotFound otherwise).
EXPORTERS: dict[str, Callable[[Session, Principal, uuid.UUID], tuple[Any, dict[str, Any]]]] = {
    "document": _document,
    "bill": _bill,
    "ceb_inventory": _inventory,
    "receivable": _bundle,
}


def export(
    session: Session,
    principal: Principal,
    kind: str,
    record_ids: Sequence[uuid.UUID],
    *,
    ledger: LedgerPort | None,
    settings: Settings,
) -> list[dict[str, Any]]:
    """The records' OpenAttestation files, in the order asked: those of versions exported before as they
    were, the others wrapped together in one batch, stored, issued under one root, then handed out."""
    if kind not in EXPORTERS:
        raise Invalid(
            f"{kind} records are not exported as OpenAttestation files; these are: {', '.join(EXPORTERS)}",
            field="kind",
        )
    if not record_ids:
        raise Invalid("name at least one record", field="ids")
    if len(record_ids) > MAX_BATCH:
        raise Invalid(f"at most {MAX_BATCH} records per request", field="ids")
    rows = {rid: EXPORTERS[kind](session, principal, rid) for rid in dict.fromkeys(record_ids)}
    versions = [(row.id, row.version) for row, _ in rows.values()]
    known = {(a.record_id, a.version): a for a in _stored(session, kind, versions)}
    fresh = [(row, fields) for row, fields in rows.values() if (row.id, row.version) not in known]
    if fresh:
        known.update(_wrap_new(session, kind, fresh, ledger=ledger, settings=settings))
    pending = {a.merkle_root for a in known.values() if a.issued_at is None}
    for root in pending:
        _issue(session, root, ledger)
    return [known[(rows[rid][0].id, rows[rid][0].version)].wrapped for rid in record_ids]


def _stored(session: Session, kind: str, versions: Sequence[tuple[uuid.UUID, int]]) -> list[Attestation]:
    ids = {rid for rid, _ in versions}
    wanted = set(versions)
    found = session.exec(
        select(Attestation).where(Attestation.record_kind == kind, col(Attestation.record_id).in_(ids))
    )
    return [a for a in found if (a.record_id, a.version) in wanted]


def _wrap_new(
    session: Session,
    kind: str,
    fresh: Sequence[tuple[Any, dict[str, Any]]],
    *,
    ledger: LedgerPort | None,
    settings: Settings,
) -> dict[tuple[uuid.UUID, int], Attestation]:
    """Wrap ``fresh`` as one batch and store it, pending, before anything is sent to the chain."""
    if ledger is None:
        raise Unavailable("the hub has no chain connection")
    datas = [
        {"recordKind": kind, "recordId": str(row.id), "version": row.version, **_prune(fields)}
        for row, fields in fresh
    ]
    wrapped = ledger.open_attestation(datas, settings.oa_identity_location)
    made = {}
    try:
        with session.begin_nested():
            for (row, _), document in zip(fresh, wrapped, strict=True):
                signature = document["signature"]
                made[(row.id, row.version)] = attestation = Attestation(
                    record_kind=kind,
                    record_id=row.id,
                    version=row.version,
                    owner_org_id=row.owner_org_id,
                    wrapped=document,
                    target_hash=signature["targetHash"],
                    merkle_root=signature["merkleRoot"],
                )
                session.add(attestation)
    except IntegrityError as exc:
        # Another request exported some of these versions first: its files are their exports, and this
        # batch's root was never sent, so nothing of it is on chain. The others are wrapped by asking again.
        landed = {(a.record_id, a.version): a for a in _stored(session, kind, list(made))}
        if len(landed) < len(made):
            raise Conflict(
                "another export of some of these records was under way: ask again", field="ids"
            ) from exc
        return landed
    session.commit()  # stored before the root leaves: a retry sends this root, never a second one
    return made


def _issue(session: Session, root: str, ledger: LedgerPort | None) -> None:
    """Send a stored batch's root to the document store (again, when an earlier try may have), then mark
    its files issued."""
    if ledger is None:
        raise Unavailable("the hub has no chain connection")
    ledger.issue_attestation_root(root)
    now = utcnow()
    for attestation in session.exec(
        select(Attestation).where(Attestation.merkle_root == root, col(Attestation.issued_at).is_(None))
    ):
        attestation.issued_at = now
        session.add(attestation)
    session.commit()


def stored(session: Session, kind: str, row: Any) -> dict[str, Any] | None:
    """The issued export of this version of a record, if any (reading it issues nothing)."""
    found = _stored(session, kind, [(row.id, row.version)])
    return found[0].wrapped if found and found[0].issued_at is not None else None


def revoke(
    session: Session, principal: Principal, kind: str, record_id: uuid.UUID, *, ledger: LedgerPort | None
) -> int:
    """The record's owner revokes every export of it on the document store; how many were revoked."""
    principal.require(Action.WRITE_RECORDS)
    if kind not in EXPORTERS:
        raise Invalid(f"{kind} records have no OpenAttestation exports", field="kind")
    row, _ = EXPORTERS[kind](session, principal, record_id)
    if row.owner_org_id != principal.org_id:
        raise Forbidden(f"only the {kind}'s owner revokes its exports")
    live = list(
        session.exec(
            select(Attestation).where(
                Attestation.record_kind == kind,
                Attestation.record_id == row.id,
                col(Attestation.revoked_at).is_(None),
                col(Attestation.issued_at).is_not(None),
            )
        )
    )
    if not live:
        raise Conflict(f"the {kind} has no export that is not revoked", field="id")
    if ledger is None:
        raise Unavailable("the hub has no chain connection")
    for attestation in live:
        ledger.revoke_attestation(attestation.target_hash)
        attestation.revoked_at = utcnow()
        session.add(attestation)
    return len(live)
