"""GraphQL for verification: is this record what was anchored, and where is the proof?"""

from __future__ import annotations

import enum
import json
import uuid
from datetime import datetime
from typing import Any

import strawberry

from hub import anchors, records
from hub.anchors import Verification as VerificationResult
from hub.api.graphql.common import parse_id
from hub.api.graphql.context import Info
from hub.auth.access import ensure_readable
from hub.auth.permissions import Action
from hub.errors import Invalid, NotFound, Unavailable


@strawberry.enum(description="What verification found.")
class VerificationStatus(enum.Enum):
    ANCHORED = "ANCHORED"
    PENDING = "PENDING"
    TAMPERED = "TAMPERED"
    NOT_FOUND = "NOT_FOUND"


@strawberry.type(
    description="A record checked against its anchor and the chain, with what a third party needs to check it again."
)
class Verification:
    status: VerificationStatus
    kind: str
    record_id: strawberry.ID
    version: int | None
    record_hash: str | None = strawberry.field(
        description="keccak256 of the record's canonical JSON (see README)."
    )
    leaf: str | None
    leaf_index: int | None
    proof: list[str] = strawberry.field(
        description="Sibling hashes from the leaf up (OpenZeppelin sorted pairs)."
    )
    merkle_root: str | None
    chain_id: str | None
    contract: str | None
    transaction_hash: str | None
    block_number: int | None
    anchored_at: datetime | None
    detail: str

    @staticmethod
    def of(result: VerificationResult) -> Verification:
        """The GraphQL view of a verification."""
        return Verification(
            status=VerificationStatus(result.status.value),
            kind=result.kind,
            record_id=strawberry.ID(result.record_id),
            version=result.version,
            record_hash=result.record_hash,
            leaf=result.leaf,
            leaf_index=result.leaf_index,
            proof=result.proof,
            merkle_root=result.root,
            chain_id=None if result.chain_id is None else str(result.chain_id),
            contract=result.contract,
            transaction_hash=result.tx_hash,
            block_number=result.block_number,
            anchored_at=result.anchored_at,
            detail=result.detail,
        )


@strawberry.type(description="One version of a record and its anchor.")
class RecordVersion:
    version: int
    record_hash: str
    recorded_at: datetime
    anchored: bool
    merkle_root: str | None
    transaction_hash: str | None
    block_number: int | None
    anchored_at: datetime | None


@strawberry.type(
    description="An exported record checked against the chain, as `python -m ledger.verify` does."
)
class ExportCheck:
    verified: bool
    kind: str | None
    record_id: strawberry.ID | None
    version: int | None
    steps: list[str] = strawberry.field(
        description="What was checked, in order; when not verified, the last step says what failed."
    )


# An exported record is one record and a proof of some tens of hashes: far below this.
MAX_EXPORT_CHARS = 1_000_000


def _named(verified: bool, steps: list[str], kind: Any, record_id: Any, version: Any) -> ExportCheck:
    """A file's check, named by the hub record it says it carries (what the file does not say is None)."""
    return ExportCheck(
        verified=verified,
        kind=None if kind is None else str(kind),
        record_id=None if record_id is None else strawberry.ID(str(record_id)),
        version=version if isinstance(version, int) else None,
        steps=steps,
    )


def _attestation_check(wrapped: dict[str, Any], verified: bool, steps: list[str]) -> ExportCheck:
    """An OpenAttestation file's check, named by the hub record it carries where the holder did not hide it."""
    from ledger.openattestation import unsalt

    data = unsalt(wrapped.get("data")) if isinstance(wrapped.get("data"), dict) else {}
    kind, record_id = data.get("recordKind"), data.get("recordId")
    return _named(
        verified,
        steps,
        kind if isinstance(kind, str) else None,
        record_id if isinstance(record_id, str) else None,
        data.get("version"),
    )


def _readable(info: Info, kind: str, id: strawberry.ID) -> uuid.UUID:
    """The record's id, once the caller is known to be allowed to read it."""
    ctx = info.context
    if kind not in records.kinds():
        raise Invalid(
            f"unknown record kind {kind!r}; known kinds: {', '.join(records.kinds())}", field="kind"
        )
    record_id = parse_id(id)
    ensure_readable(ctx.session, ctx.principal, kind, records.load(ctx.session, kind, record_id))
    return record_id


@strawberry.type
class AnchoringQuery:
    @strawberry.field(description="Check a record you may read against what was anchored on chain.")
    def verify_record(self, info: Info, kind: str, id: strawberry.ID) -> Verification:
        ctx = info.context
        try:
            record_id = _readable(info, kind, id)
        except NotFound:
            return Verification.of(
                VerificationResult(
                    anchors.VerificationStatus.NOT_FOUND, kind, str(id), detail="no such record"
                )
            )
        if ctx.state.ledger is None:
            raise Unavailable("this hub runs without a ledger")
        return Verification.of(ctx.state.ledger.verify(ctx.session, kind, record_id))

    @strawberry.field(
        description="The record you may read with its Merkle proof, root, transaction and block, as a JSON file "
        "that `python -m ledger.verify FILE --rpc <node>` checks without the hub."
    )
    def export_record(self, info: Info, kind: str, id: strawberry.ID) -> str:
        ctx = info.context
        record_id = _readable(info, kind, id)
        if ctx.state.ledger is None:
            raise Unavailable("this hub runs without a ledger")
        from hub.governance import service as governance

        governance.check_export(ctx.session, ctx.principal, kind, records.load(ctx.session, kind, record_id))
        exported = ctx.state.ledger.export(ctx.session, kind, record_id)
        ctx.session.commit()  # the transfer log of an export abroad
        return json.dumps(exported, indent=2, ensure_ascii=False)

    @strawberry.field(
        description="Check an exported file against the chain alone: exportRecord's answer (the record's hash "
        "recomputed from its content, the proof walked to its root, the registry asked), or exportDocument's "
        "OpenAttestation file, whole or with fields its holder hid (its targetHash, its proof, and the "
        "document store's isIssued and isRevoked). Nothing is read from the hub's database."
    )
    def check_exported_record(self, info: Info, file: str) -> ExportCheck:
        ctx = info.context
        ctx.principal.require(Action.READ_RECORDS)
        if len(file) > MAX_EXPORT_CHARS:
            raise Invalid(f"an exported record is at most {MAX_EXPORT_CHARS} characters", field="file")
        try:
            exported = json.loads(file)
        except ValueError as exc:
            raise Invalid(f"file: not JSON ({exc})", field="file") from exc
        if not isinstance(exported, dict):
            raise Invalid("file: an exported record is a JSON object", field="file")
        if ctx.state.ledger is None:
            raise Unavailable("this hub runs without a ledger")
        if "signature" in exported and "data" in exported and "format" not in exported:
            return _attestation_check(exported, *ctx.state.ledger.check_attestation(exported))
        verified, steps = ctx.state.ledger.check_export(exported)
        found = exported.get("document")
        document: dict[str, object] = found if isinstance(found, dict) else {}
        return _named(verified, steps, document.get("kind"), document.get("id"), document.get("version"))

    @strawberry.field(description="Every version of a record you may read, with its anchor.")
    def record_history(self, info: Info, kind: str, id: strawberry.ID) -> list[RecordVersion]:
        record_id = _readable(info, kind, id)
        return [
            RecordVersion(
                version=v.version,
                record_hash=v.record_hash,
                recorded_at=v.recorded_at,
                anchored=v.anchored,
                merkle_root=v.root,
                transaction_hash=v.tx_hash,
                block_number=v.block_number,
                anchored_at=v.anchored_at,
            )
            for v in anchors.history(info.context.session, kind, record_id)
        ]
