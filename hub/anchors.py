"""Anchor batches and the contracts they were anchored through: what the anchoring worker writes and
what verification reads. The worker itself lives in ``ledger.anchorer``."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import BigInteger, Column, Enum, Identity, Integer, LargeBinary, UniqueConstraint, func
from sqlmodel import Field, Session, SQLModel, col, select

from hub.db import utcnow
from hub.outbox import OutboxEntry


class BatchState(enum.StrEnum):
    """Where a batch is on its way to the chain."""

    SEALED = "sealed"  # records claimed, root computed, nothing sent yet
    SUBMITTED = "submitted"  # a signed transaction (hash stored) was sent
    ANCHORED = "anchored"  # the registry holds the root; proofs are final


class AnchorBatch(SQLModel, table=True):
    """One Merkle batch of record versions and the transaction that anchored its root."""

    __tablename__ = "anchor_batch"

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer(), "sqlite"), Identity(), primary_key=True),
    )
    state: BatchState = Field(
        sa_column=Column(Enum(BatchState, native_enum=False, length=10), nullable=False)
    )
    root: str | None = Field(default=None, max_length=66, unique=True)
    record_count: int = 0
    tree: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    chain_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    contract: str | None = Field(default=None, max_length=42)
    tx_hash: str | None = Field(default=None, max_length=66)
    block_number: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    anchored_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = None
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)


class ChainContract(SQLModel, table=True):
    """A contract the hub deployed or was pointed at, per chain, so that a restart finds it again."""

    __tablename__ = "chain_contract"
    __table_args__ = (UniqueConstraint("chain_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    chain_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    name: str = Field(max_length=40)
    address: str = Field(max_length=42)
    created_at: datetime = Field(default_factory=utcnow)


class VerificationStatus(enum.StrEnum):
    """What verification found."""

    ANCHORED = "ANCHORED"  # the live record matches a version whose root the chain holds
    PENDING = "PENDING"  # the live record matches a version not anchored yet
    TAMPERED = "TAMPERED"  # the live record, or the hub's anchor data, no longer matches what was anchored
    NOT_FOUND = "NOT_FOUND"  # no such record


@dataclass(frozen=True)
class Verification:
    """The answer to "can I trust this record?", with everything needed to check it elsewhere."""

    status: VerificationStatus
    kind: str
    record_id: str
    version: int | None = None
    record_hash: str | None = None
    leaf: str | None = None
    leaf_index: int | None = None
    proof: list[str] = field(default_factory=list)
    root: str | None = None
    chain_id: int | None = None
    contract: str | None = None
    tx_hash: str | None = None
    block_number: int | None = None
    anchored_at: datetime | None = None
    detail: str = ""


@dataclass(frozen=True)
class VersionAnchor:
    """One version of a record and where it was anchored."""

    version: int
    record_hash: str
    recorded_at: datetime
    anchored: bool
    root: str | None
    tx_hash: str | None
    block_number: int | None
    anchored_at: datetime | None


class LedgerPort(Protocol):
    """What the hub needs from the chain side; ``ledger.runtime.Ledger`` implements it and the app wires it
    in at start-up (the hub's domain never imports ``ledger``)."""

    def verify(self, session: Session, kind: str, record_id: uuid.UUID) -> Verification:
        """Check the live record against what was anchored, and the anchor against the chain."""

    def export(self, session: Session, kind: str, record_id: uuid.UUID) -> dict[str, Any]:
        """The anchored record with its proof, as ``python -m ledger.verify`` reads it; Invalid when the
        record's current version is not anchored yet."""

    def check_export(self, exported: dict[str, Any]) -> tuple[bool, list[str]]:
        """Check an exported record against the chain alone, as the stand-alone verifier does: whether it
        holds, and each step checked (the last one is where it failed)."""

    def check_attestation(self, document: dict[str, Any]) -> tuple[bool, list[str]]:
        """Check an OpenAttestation v2 wrapped document (fields may be hidden) against the document store:
        its hash, its proof, issued and not revoked; with each step, the last one where it failed."""

    def open_attestation(self, datas: list[dict[str, Any]], identity_location: str) -> list[dict[str, Any]]:
        """Wrap documents as OpenAttestation v2 (one batch) under the hub's document store; Unavailable
        before the chain is connected or without a document store."""

    def issue_attestation_root(self, root: str) -> None:
        """Issue a batch's root on the document store (a root issued before counts as done)."""

    def revoke_attestation(self, target_hash: str) -> None:
        """Revoke one wrapped document on the document store, by its target hash."""

    async def start(self, *, worker: bool) -> None:
        """Connect to the chain; run the anchoring worker in this process when ``worker``."""

    async def stop(self) -> None:
        """Stop what ``start`` started."""

    def health(self) -> str:
        """'ok', or what is wrong, for /ready."""

    def title_on_chain(self, bill_id: uuid.UUID) -> Any:
        """What the on-chain title registry says of a bill's title (issuer, holder, version, status, ...)."""

    def receivable(self, function: str, *args: object, gas: int = 200_000) -> tuple[str, int]:
        """Call the receivable registry (register, pledge, release, settle, transfer) and wait for it:
        (transaction hash, block number); Conflict when the registry refuses, Unavailable when away. ``gas``
        grows with the evidence a pledge draws on and a release gives back."""

    def receivable_of(self, receivable_id: bytes) -> Any:
        """What the receivable registry holds for a blinded id (status, lender, pledges, contract, block)."""

    def evidence_drawn(self, evidence_ids: list[bytes]) -> list[int]:
        """What live pledges draw on each blinded evidence id, in ten-thousandths of its currency."""

    def receivable_draws(self, receivable_id: bytes) -> dict[bytes, int]:
        """What a pledged receivable draws on each blinded evidence id (empty when not pledged)."""


def history(session: Session, kind: str, record_id: uuid.UUID) -> list[VersionAnchor]:
    """Every recorded version of a record, oldest first, with its anchor where it has one."""
    rows = session.exec(
        select(OutboxEntry, AnchorBatch)
        .join(AnchorBatch, isouter=True)
        .where(OutboxEntry.record_kind == kind, OutboxEntry.record_id == record_id)
        .order_by(col(OutboxEntry.version))
    ).all()
    result = []
    for entry, batch in rows:
        anchored = batch is not None and batch.state == BatchState.ANCHORED
        result.append(
            VersionAnchor(
                version=entry.version,
                record_hash=entry.record_hash,
                recorded_at=entry.created_at,
                anchored=anchored,
                root=batch.root if anchored else None,
                tx_hash=batch.tx_hash if anchored else None,
                block_number=batch.block_number if anchored else None,
                anchored_at=batch.anchored_at if anchored else None,
            )
        )
    return result


def pending_count(session: Session) -> int:
    """How many record versions wait for a batch."""
    return int(session.exec(select(func.count()).where(col(OutboxEntry.batch_id).is_(None))).one())
