"""OpenAttestation v2 wrapped documents, as TradeTrust's verifiers read them.

The rules are OpenAttestation's, read from its published specification and held to the npm package
``@govtechsg/open-attestation`` by tests/test_open_attestation.py (which runs that package's own
``verifySignature`` and ``validateSchema``, and ``@govtechsg/oa-verify``, on what this module writes):

- every leaf value of ``data`` is salted as ``<uuid v4>:<type>:<value>``, the type being JavaScript's
  ``typeof`` (``string``, ``number``, ``boolean``; ``null`` for null);
- the salted data is flattened into ``a.b.0.c`` keys; each ``{key: value}`` pair is hashed as the
  keccak-256 of its JSON text (JavaScript's ``JSON.stringify``: no spaces, non-ASCII left as it is);
- the document's ``targetHash`` is the keccak-256 of the JSON array of those hashes (and of any
  ``privacy.obfuscatedData`` hashes) sorted;
- a batch's ``merkleRoot`` is the root of a tree over the target hashes sorted, whose parents are the
  keccak-256 of their two children sorted (an odd last node goes up as it is); each document carries the
  sibling hashes from its leaf to the root as ``proof``.

Numbers other than integers are refused (JavaScript and Python write some of them differently, and a
different text is a different hash): amounts travel as decimal strings, as the hub keeps them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from hub.canonical import keccak
from hub.errors import Invalid
from ledger import merkle as tree

SCHEMA_V2 = "https://schema.openattestation.com/2.0/schema.json"


def _typed(value: Any, where: str) -> str:
    if value is None:
        return "null:null"
    if isinstance(value, bool):
        return f"boolean:{'true' if value else 'false'}"
    if isinstance(value, int):
        return f"number:{value}"
    if isinstance(value, str):
        return f"string:{value}"
    raise Invalid(f"{where}: {type(value).__name__} values cannot be wrapped (use a string)", field=where)


def salt(data: Any, salts: Callable[[], str] = lambda: str(uuid.uuid4()), where: str = "data") -> Any:
    """``data`` with every leaf value salted."""
    if isinstance(data, dict):
        if not data:
            raise Invalid(f"{where}: an empty object has no value to sign", field=where)
        for key in data:
            if "." in key:
                raise Invalid(f"{where}: key {key!r} holds a '.'", field=where)
        return {k: salt(v, salts, f"{where}.{k}") for k, v in data.items()}
    if isinstance(data, list):
        if not data:
            raise Invalid(f"{where}: an empty list has no value to sign", field=where)
        return [salt(v, salts, f"{where}[{i}]") for i, v in enumerate(data)]
    return f"{salts()}:{_typed(data, where)}"


def unsalt(data: Any) -> Any:
    """The values as they were before salting."""
    if isinstance(data, dict):
        return {k: unsalt(v) for k, v in data.items()}
    if isinstance(data, list):
        return [unsalt(v) for v in data]
    if not isinstance(data, str) or len(data) < 37 or data[36] != ":":
        return data
    kind, _, text = data[37:].strip().partition(":")  # trimmed, as OpenAttestation's unsalt does
    if kind == "number":
        return int(text)
    if kind == "boolean":
        return text == "true"
    if kind == "null":
        return None
    return text


def _flatten(data: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(data, dict | list) and data:
        items = data.items() if isinstance(data, dict) else ((str(i), v) for i, v in enumerate(data))
        for key, value in items:
            yield from _flatten(value, f"{prefix}.{key}" if prefix else key)
    else:
        yield prefix, data


def _js_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _hash(text: str) -> str:
    return keccak(text.encode("utf-8")).hex()


def target_hash(document: dict[str, Any]) -> str:
    """The digest of a wrapped document's data (its visible values and the hashes of obfuscated ones)."""
    hashes = [_hash(_js_json({key: value})) for key, value in _flatten(document["data"])]
    hidden = list((document.get("privacy") or {}).get("obfuscatedData") or [])
    return _hash(_js_json(sorted(hidden + hashes)))


def merkle(leaves: Sequence[str]) -> tuple[str, list[list[str]]]:
    """The root of the target hashes and each leaf's proof (sibling hashes, leaf to root): the hub's own
    sorted-pair tree (ledger/merkle.py) over the leaves sorted, as OpenAttestation builds it."""
    ordered = sorted(bytes.fromhex(h) for h in leaves)
    levels = tree.build(ordered)
    proofs = [[p.hex() for p in tree.proof(levels, ordered.index(bytes.fromhex(h)))] for h in leaves]
    return tree.root(levels).hex(), proofs


def wrap(
    datas: Sequence[dict[str, Any]], salts: Callable[[], str] = lambda: str(uuid.uuid4())
) -> list[dict[str, Any]]:
    """Wrap documents as one batch: one Merkle root for all of them, a proof in each."""
    documents: list[dict[str, Any]] = [{"version": SCHEMA_V2, "data": salt(d, salts)} for d in datas]
    hashes = [target_hash(d) for d in documents]
    root, proofs = merkle(hashes)
    for document, digest, proof in zip(documents, hashes, proofs, strict=True):
        document["signature"] = {
            "type": "SHA3MerkleProof",
            "targetHash": digest,
            "proof": proof,
            "merkleRoot": root,
        }
    return documents


def verify_signature(document: dict[str, Any]) -> bool:
    """Whether the data hashes to ``targetHash`` and the proof leads from it to ``merkleRoot``."""
    try:
        signature = document["signature"]
        if target_hash(document) != signature["targetHash"]:
            return False
        return tree.verify(
            bytes.fromhex(signature["targetHash"]),
            [bytes.fromhex(p) for p in signature["proof"]],
            bytes.fromhex(signature["merkleRoot"]),
        )
    except (KeyError, TypeError, ValueError):
        return False


def oa_identity_record(chain_id: int, document_store: str) -> str:
    """The DNS TXT record an issuer publishes so that TradeTrust's DNS-TXT identity check names it."""
    return f"openatts net=ethereum netId={chain_id} addr={document_store}"
