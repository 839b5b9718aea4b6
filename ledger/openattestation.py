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
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from hub.canonical import keccak
from hub.errors import Invalid
from ledger import merkle as tree

SCHEMA_V2 = "https://schema.openattestation.com/2.0/schema.json"


def _typed(value: Any, path: str) -> str:
    if value is None:
        return "null:null"
    if isinstance(value, bool):
        return f"boolean:{'true' if value else 'false'}"
    if isinstance(value, int):
        return f"number:{value}"
    if isinstance(value, str):
        return f"string:{value}"
    where = _where(path)
    raise Invalid(f"{where}: {type(value).__name__} values cannot be wrapped (use a string)", field=where)


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


# JSON.stringify of a string, as the C encoder writes it with ensure_ascii off: the same escapes
# (quote, backslash, control characters) and everything else as it is.
_js_string: Callable[[str], str] = json.encoder.encode_basestring


def _salts(count: int) -> Iterator[str]:
    """``count`` random version-4 UUIDs as text, from one read of the system's randomness (uuid.uuid4()
    reads it once per call, which is most of what salting a large batch costs)."""
    raw = bytearray(os.urandom(16 * count))
    for i in range(count):
        b = raw[16 * i : 16 * i + 16]
        b[6] = (b[6] & 0x0F) | 0x40  # version 4
        b[8] = (b[8] & 0x3F) | 0x80  # RFC 4122 variant
        h = b.hex()
        yield f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _leaves(data: Any) -> int:
    if isinstance(data, dict):
        return sum(_leaves(v) for v in data.values())
    if isinstance(data, list):
        return sum(_leaves(v) for v in data)
    return 1


def _salt_and_hash(
    data: Any, salts: Iterator[str], prefix: str, hashes: list[str], heads: dict[str, str]
) -> Any:
    """``target_hash``'s flattening and the salting in one walk: the salted value, and each salted leaf's
    ``{"a.b.0.c": "<salt>:<type>:<value>"}`` hash appended to ``hashes``. ``heads`` keeps each path's
    ``{"a.b.0.c":`` text for the batch: every document of a batch has the same paths."""
    if isinstance(data, dict):
        if not data:
            raise Invalid(f"{_where(prefix)}: an empty object has no value to sign", field=_where(prefix))
        out = {}
        for key, value in data.items():
            if "." in key:
                raise Invalid(f"{_where(prefix)}: key {key!r} holds a '.'", field=_where(prefix))
            out[key] = _salt_and_hash(value, salts, f"{prefix}.{key}" if prefix else key, hashes, heads)
        return out
    if isinstance(data, list):
        if not data:
            raise Invalid(f"{_where(prefix)}: an empty list has no value to sign", field=_where(prefix))
        return [
            _salt_and_hash(v, salts, f"{prefix}.{i}" if prefix else str(i), hashes, heads)
            for i, v in enumerate(data)
        ]
    salted = f"{next(salts)}:{_typed(data, prefix)}"
    head = heads.get(prefix)
    if head is None:
        head = heads[prefix] = "{" + _js_string(prefix) + ":"
    hashes.append(keccak(f"{head}{_js_string(salted)}}}".encode()).hex())
    return salted


def _where(path: str) -> str:
    """A flattened path as the place an error names: ``data.lines.0.sku``."""
    return f"data.{path}" if path else "data"


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
    position = {leaf: i for i, leaf in enumerate(ordered)}  # a lookup per leaf, not a search: linear overall
    proofs = [[p.hex() for p in tree.proof(levels, position[bytes.fromhex(h)])] for h in leaves]
    return tree.root(levels).hex(), proofs


def wrap(datas: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Wrap documents as one batch: one Merkle root for all of them, a proof in each. Each value is salted
    and its pair hashed in one walk of the data (``target_hash`` is the same rule, for a document as it
    arrives; the tests hold the two to each other and to OpenAttestation's own code)."""
    salts = _salts(sum(_leaves(d) for d in datas))
    documents: list[dict[str, Any]] = []
    hashes: list[str] = []
    heads: dict[str, str] = {}
    for data in datas:
        pairs: list[str] = []
        salted = _salt_and_hash(data, salts, "", pairs, heads)
        documents.append({"version": SCHEMA_V2, "data": salted})
        hashes.append(_hash(_js_json(sorted(pairs))))
    root, proofs = merkle(hashes)
    for document, digest, proof in zip(documents, hashes, proofs, strict=True):
        document["signature"] = {
            "type": "SHA3MerkleProof",
            "targetHash": digest,
            "proof": proof,
            "merkleRoot": root,
        }
    return documents


def check_signature(document: dict[str, Any]) -> tuple[bool, list[str]]:
    """TradeTrust's integrity check, step by step: the values (hidden ones by their hashes) hash to the
    ``targetHash``, and the proof leads from it to the ``merkleRoot``. When it fails, the last step says
    where."""
    try:
        signature = document["signature"]
        digest, root = signature["targetHash"], signature["merkleRoot"]
        proof = [bytes.fromhex(p) for p in signature["proof"]]
        recomputed = target_hash(document)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return False, [f"not an OpenAttestation v2 wrapped document: {exc!r} is missing or malformed"]
    if recomputed != digest:
        return False, ["the document's values do not hash to its targetHash: it was changed"]
    hidden = len((document.get("privacy") or {}).get("obfuscatedData") or [])
    steps = [f"targetHash 0x{digest} recomputed from the values ({hidden} hidden by the holder)"]
    try:
        leads = tree.verify(bytes.fromhex(digest), proof, bytes.fromhex(root))
    except ValueError:
        leads = False
    if not leads:
        return False, [*steps, "the proof does not lead to the merkleRoot"]
    return True, [*steps, f"proof of {len(proof)} steps leads to merkleRoot 0x{root}"]


def verify_signature(document: dict[str, Any]) -> bool:
    """Whether the data hashes to ``targetHash`` and the proof leads from it to ``merkleRoot``."""
    return check_signature(document)[0]


def oa_identity_record(chain_id: int, document_store: str) -> str:
    """The DNS TXT record an issuer publishes so that TradeTrust's DNS-TXT identity check names it."""
    return f"openatts net=ethereum netId={chain_id} addr={document_store}"
