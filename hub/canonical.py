"""The canonical form of an anchored record, and its hash. Defined here and nowhere else.

A record version is anchored as this envelope::

    {"id": "<uuid>", "kind": "<record kind>", "record": {...}, "version": <int>}

serialised as JSON with:
- object keys sorted by Unicode code point, at every level;
- no insignificant white space (separators "," and ":");
- strings as UTF-8, not escaped to ASCII; only the escapes JSON requires;
- integers as integers; no floats at all: amounts are decimal strings in plain notation without trailing
  zeros (``decimal_text``: 186000.00 -> "186000", 100.50 -> "100.5"), so that a database that stores
  NUMERIC(20,4) and one that stores text agree; times are ISO 8601 strings in UTC;
- ``null``, ``true`` and ``false`` as themselves.

The record hash is ``keccak256(canonical bytes)``; the Merkle leaf is ``keccak256(record hash)``, hashed a
second time (as OpenZeppelin's StandardMerkleTree does) so that a leaf can never pass for an inner node.
Anyone can recompute both from an exported record: see README "Verifying a record".
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

import orjson


def _keccak_function() -> Callable[[bytes], bytes]:
    try:  # safe-pysha3 (installed with eth-tester) is about twice as fast as pycryptodome
        from sha3 import keccak_256

        return lambda data: keccak_256(data).digest()
    except ImportError:  # pragma: no cover - the fallback every Ethereum library ships
        from eth_hash.auto import keccak as eth_keccak

        return lambda data: bytes(eth_keccak(data))


_KECCAK = _keccak_function()


def keccak(data: bytes) -> bytes:
    """keccak256 of ``data`` (Ethereum's hash, not SHA3-256)."""
    return _KECCAK(data)


def decimal_text(value: Decimal) -> str:
    """The canonical text of an amount: plain notation, no exponent, no trailing zeros."""
    if not value.is_finite():
        raise TypeError("an amount must be finite")
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def camel(name: str) -> str:
    """The API and canonical spelling of a Python field name: ``issued_on`` -> ``issuedOn``."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@lru_cache(maxsize=4096)  # a batch stamps most rows with the same instant
def time_text(value: datetime) -> str:
    """The canonical text of an instant: UTC, microseconds, ``Z``."""
    if value.tzinfo is None:
        raise TypeError("a time without a zone has no canonical form")
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _refuse(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} has no canonical form; use a string or an integer")


_LEAVES = frozenset({str, int, bool, type(None)})


def _check(value: Any) -> None:
    # Iterative, and cheap on the common case of flat records of strings: this runs on every write.
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            for key, child in item.items():
                if type(key) is not str:
                    raise TypeError(f"object keys must be strings, not {type(key).__name__} ({key!r})")
                if type(child) not in _LEAVES:
                    stack.append(child)
        elif kind is list:
            stack.extend(child for child in item if type(child) not in _LEAVES)
        elif kind is float:
            raise TypeError(f"floats have no canonical form ({item!r}); send amounts as decimal strings")


def canonical_json(value: Any, *, checked: bool = False) -> bytes:
    """The canonical bytes of a JSON value (see the module docstring).

    orjson writes them about four times faster than the standard library and, for the values ``_check``
    lets through, byte for byte the same (keys sorted by code point, which is UTF-8 byte order; the same
    escapes; no white space): ``tests/test_merkle_canonical.py`` holds the two together on generated
    values. orjson refuses integers beyond 64 bits and strings with lone surrogates: those go to the
    standard library, which renders the first and refuses the second when encoding.

    ``checked`` skips the walk that refuses floats, for values built by code whose fields are typed as
    strings, integers and lists of them (a tracking event's record), where it cost half the encoding."""
    if not checked:
        _check(value)
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=_refuse)
    except orjson.JSONEncodeError:
        return json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_refuse
        ).encode()


def envelope(kind: str, record_id: uuid.UUID | str, version: int, record: dict[str, Any]) -> dict[str, Any]:
    """The anchored form of one version of one record."""
    return {"id": str(record_id), "kind": kind, "record": record, "version": int(version)}


def record_hash(document: dict[str, Any]) -> bytes:
    """keccak256 of the canonical bytes of an envelope."""
    return keccak(canonical_json(document))


def anchored(
    kind: str, record_id: uuid.UUID | str, version: int, record: dict[str, Any], *, checked: bool = False
) -> tuple[str, str]:
    """The canonical document of one record version (as text) and its record hash (``0x`` and 64 hex
    digits), as the anchoring outbox keeps them (``checked``: see ``canonical_json``)."""
    document = canonical_json(envelope(kind, record_id, version, record), checked=checked)
    return document.decode(), "0x" + keccak(document).hex()


def leaf_hash(rhash: bytes) -> bytes:
    """The Merkle leaf for a record hash."""
    return keccak(rhash)


def title_ref(bill_id: object) -> bytes:
    """The on-chain TitleRegistry key of a bill's title: keccak256("hub-bill:" + bill id)."""
    return keccak(f"hub-bill:{bill_id}".encode())


def org_ref(org_id: object | None) -> bytes:
    """The on-chain reference of an organisation: keccak256("hub-org:" + organisation id); zero for none."""
    return b"\x00" * 32 if org_id is None else keccak(f"hub-org:{org_id}".encode())
