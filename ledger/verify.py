"""Verification: inside the hub (``Verifier``) and stand-alone, from an exported record and a chain node.

Stand-alone use needs no database and no running hub::

    python -m ledger.verify RECORD.json --rpc http://127.0.0.1:8545 [--contract 0xRegistry]
    python -m ledger.verify RECORD.json --chain-dir var/chain     # the embedded chain's journal

With ``--chain-dir`` it replays the embedded chain's journal of signed transactions in an EVM of its own
(read-only, beside a running hub too) and asks the registry there.

It recomputes the record hash from the exported content (``hub.canonical``), walks the Merkle proof to
the root, and asks the registry contract (one ``eth_call``) whether that root is anchored and whether
the proof holds on chain. Exit status 0 means verified.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlmodel import Session, col, func, select

from hub import records
from hub.anchors import AnchorBatch, BatchState, Verification, VerificationStatus
from hub.canonical import envelope, leaf_hash, record_hash
from hub.errors import Unavailable
from hub.outbox import OutboxEntry
from ledger import merkle
from ledger.chain import ChainClient, ChainUnavailable, RpcChain

EXPORT_FORMAT = "hub-anchored-record/1"


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


@lru_cache(maxsize=64)
def _levels(tree: bytes) -> list[list[bytes]]:
    return merkle.unpack(tree)


class Verifier:
    """Checks live records against their anchors and the chain (the hub's ``RecordVerifier``)."""

    def __init__(self, chain: ChainClient) -> None:
        self.chain = chain
        # Roots the registry has confirmed. An anchor is never removed from the registry (and the networks
        # the hub runs on have final blocks), so a confirmed root need not be asked about again.
        self._confirmed: dict[bytes, Any] = {}

    def verify(self, session: Session, kind: str, record_id: uuid.UUID) -> Verification:
        """The status of a record, with its proof when it is anchored."""
        row = records.load(session, kind, record_id)
        rid = str(record_id)
        if row is None:
            return Verification(VerificationStatus.NOT_FOUND, kind, rid, detail="no such record")
        live = record_hash(envelope(kind, record_id, row.version, records.canonical(kind, row)))
        entry = session.exec(
            select(OutboxEntry).where(
                OutboxEntry.record_kind == kind,
                OutboxEntry.record_id == record_id,
                OutboxEntry.version == row.version,
            )
        ).first()
        base: dict[str, Any] = {
            "kind": kind,
            "record_id": rid,
            "version": row.version,
            "record_hash": _hex(live),
        }
        if entry is None:
            return Verification(
                VerificationStatus.TAMPERED,
                **base,
                detail=f"version {row.version} was never recorded: the record changed behind the hub's back",
            )
        if entry.record_hash != _hex(live):
            return Verification(
                VerificationStatus.TAMPERED,
                **base,
                detail="the record's content differs from what was recorded for this version",
            )
        batch = session.get(AnchorBatch, entry.batch_id) if entry.batch_id is not None else None
        if batch is None or batch.state != BatchState.ANCHORED or batch.tree is None or batch.root is None:
            return Verification(VerificationStatus.PENDING, **base, detail="recorded, waiting to be anchored")
        index = session.exec(
            select(func.count()).where(OutboxEntry.batch_id == batch.id, col(OutboxEntry.id) < entry.id)
        ).one()
        levels = _levels(batch.tree)
        leaf = leaf_hash(live)
        anchor: dict[str, Any] = {
            "root": batch.root,
            "chain_id": batch.chain_id,
            "contract": batch.contract,
            "tx_hash": batch.tx_hash,
            "block_number": batch.block_number,
            "anchored_at": batch.anchored_at,
            "leaf": _hex(leaf),
            "leaf_index": int(index),
        }
        if index >= len(levels[0]) or levels[0][index] != leaf:
            return Verification(
                VerificationStatus.TAMPERED,
                **base,
                **anchor,
                detail="the stored batch does not hold this record's leaf",
            )
        proof = merkle.proof(levels, index)
        root = bytes.fromhex(batch.root[2:])
        if not merkle.verify(leaf, proof, root):
            return Verification(
                VerificationStatus.TAMPERED,
                **base,
                **anchor,
                detail="the stored proof does not lead to the root",
            )
        try:
            on_chain = self._confirmed.get(root) or self.chain.anchor_of(root)
        except ChainUnavailable as exc:
            raise Unavailable(f"cannot reach the chain to verify: {exc}") from exc
        if on_chain is not None and len(self._confirmed) < 100_000:
            self._confirmed[root] = on_chain
        if on_chain is None:
            return Verification(
                VerificationStatus.TAMPERED,
                **base,
                **anchor,
                proof=[_hex(p) for p in proof],
                detail="the chain holds no such root: the hub's anchor record is wrong",
            )
        anchor["anchored_at"] = datetime.fromtimestamp(on_chain.anchored_at, UTC)
        anchor["block_number"] = on_chain.block_number
        return Verification(
            VerificationStatus.ANCHORED,
            **base,
            **anchor,
            proof=[_hex(p) for p in proof],
            detail=f"anchored in block {on_chain.block_number} with {on_chain.record_count} records",
        )


def export_record(session: Session, verifier: Verifier, kind: str, record_id: uuid.UUID) -> dict[str, Any]:
    """The record with its proof, in the form the stand-alone verifier reads."""
    result = verifier.verify(session, kind, record_id)
    if result.status != VerificationStatus.ANCHORED:
        raise ValueError(f"{kind} {record_id} is {result.status.value}: {result.detail}")
    row = records.load(session, kind, record_id)
    assert row is not None  # verify() just found it
    return {
        "format": EXPORT_FORMAT,
        "document": envelope(kind, record_id, row.version, records.canonical(kind, row)),
        "recordHash": result.record_hash,
        "leaf": result.leaf,
        "leafIndex": result.leaf_index,
        "proof": result.proof,
        "root": result.root,
        "chainId": result.chain_id,
        "contract": result.contract,
        "txHash": result.tx_hash,
        "blockNumber": result.block_number,
        "anchoredAt": result.anchored_at.isoformat() if result.anchored_at else None,
    }


def verify_exported(exported: dict[str, Any], chain: ChainClient) -> tuple[bool, list[str]]:
    """Check an exported record with nothing but the chain. Returns (ok, what was checked or failed)."""
    notes: list[str] = []
    if exported.get("format") != EXPORT_FORMAT:
        return False, [f"not a {EXPORT_FORMAT} file"]
    try:
        rhash = record_hash(exported["document"])
        leaf = leaf_hash(rhash)
        proof = [bytes.fromhex(p[2:]) for p in exported["proof"]]
        root = bytes.fromhex(exported["root"][2:])
    except (KeyError, TypeError, ValueError) as exc:
        return False, [f"the file is malformed: {exc}"]
    if _hex(rhash) != exported.get("recordHash"):
        return False, ["the record's content does not hash to the recorded hash: it was changed"]
    notes.append(f"record hash {_hex(rhash)} recomputed from the content")
    if not merkle.verify(leaf, proof, root):
        return False, [*notes, "the proof does not lead to the root"]
    notes.append(f"proof of {len(proof)} steps leads to root {exported['root']}")
    if chain.chain_id != exported.get("chainId"):
        return False, [
            *notes,
            f"the node is on chain {chain.chain_id}, the record was anchored on {exported.get('chainId')}",
        ]
    on_chain = chain.anchor_of(root)
    if on_chain is None:
        return False, [*notes, "the registry holds no such root"]
    notes.append(
        f"the registry holds the root: block {on_chain.block_number}, "
        f"{datetime.fromtimestamp(on_chain.anchored_at, UTC).isoformat()}, {on_chain.record_count} records"
    )
    if not chain.verify_on_chain(root, leaf, proof):
        return False, [*notes, "the registry's own MerkleProof check refused the proof"]
    notes.append("the registry's MerkleProof.verify accepts the proof")
    return True, notes


def _chain(rpc: str | None, chain_dir: str | None) -> ChainClient:
    if chain_dir is not None:
        from pathlib import Path

        from ledger.chain import EmbeddedChain

        return EmbeddedChain(Path(chain_dir), read_only=True)
    assert rpc is not None  # argparse requires one of the two
    return RpcChain(rpc, "0x" + "11" * 32)  # reading needs no key: a throwaway one signs nothing


def main(argv: list[str] | None = None) -> int:
    """Verify an exported record against a chain node."""
    parser = argparse.ArgumentParser(
        prog="python -m ledger.verify", description="Verify an exported hub record."
    )
    parser.add_argument("record", help="the JSON file written by 'hub export'")
    node = parser.add_mutually_exclusive_group(required=True)
    node.add_argument("--rpc", help="a JSON-RPC endpoint of the chain (Besu, anvil, any node)")
    node.add_argument(
        "--chain-dir", help="the embedded chain's data directory (HUB_CHAIN_DATA_DIR, ./var/chain by default)"
    )
    parser.add_argument("--contract", help="the registry address (default: the one named in the file)")
    args = parser.parse_args(argv)
    try:
        with open(args.record, encoding="utf-8") as handle:
            exported = json.load(handle)
    except (OSError, ValueError) as exc:
        print(f"NOT VERIFIED: cannot read {args.record}: {exc}")
        return 2
    try:
        chain = _chain(args.rpc, args.chain_dir)
        chain.use_registry(args.contract or exported.get("contract", ""))
        ok, notes = verify_exported(exported, chain)
    except Exception as exc:
        print(f"NOT VERIFIED: {exc}")
        return 2
    for note in notes:
        print(("  ok  " if ok or note is not notes[-1] else "  !!  ") + note)
    print("VERIFIED" if ok else "NOT VERIFIED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
